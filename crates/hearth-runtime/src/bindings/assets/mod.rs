//! The natives behind the `[assets] binding` (`env.ASSETS.fetch()`): the
//! same handling the server applies in front of the worker, from the
//! worker's scanned assets (`hearth-assets`).

use crate::host::bytes::new_u8;
use crate::host::event_loop::current;
use rquickjs::{Array, Ctx, Exception, Function, Object};

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("assetsFetch", Function::new(ctx.clone(), assets_fetch)?)?;
    Ok(())
}

/// `[status, [name, value, ...], body: Uint8Array | null]` for a request
/// given as method, absolute URL and flat header pairs.
fn assets_fetch<'js>(
    ctx: Ctx<'js>,
    method: String,
    url: String,
    headers: Vec<String>,
) -> rquickjs::Result<Array<'js>> {
    let worker = current().worker.clone();
    let Some(assets) = worker.assets() else {
        return Err(Exception::throw_internal(
            &ctx,
            "this worker has no [assets] folder",
        ));
    };
    let method = http::Method::from_bytes(method.as_bytes())
        .map_err(|_| Exception::throw_type(&ctx, &format!("invalid method {method}")))?;
    let uri: http::Uri = url
        .parse()
        .map_err(|_| Exception::throw_type(&ctx, &format!("invalid URL {url}")))?;
    let mut map = http::HeaderMap::new();
    for pair in headers.chunks(2) {
        if let [name, value] = pair {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                map.append(n, v);
            }
        }
    }
    let response = assets.serve(&method, &uri, &map);
    let out = Array::new(ctx.clone())?;
    out.set(0, response.status().as_u16())?;
    let flat = Array::new(ctx.clone())?;
    for (i, (name, value)) in response.headers().iter().enumerate() {
        flat.set(i * 2, name.as_str())?;
        flat.set(
            i * 2 + 1,
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        )?;
    }
    out.set(1, flat)?;
    let body = response.into_body();
    // HEAD, 304 and redirects carry no body.
    if body.is_empty() {
        out.set(2, rquickjs::Value::new_null(ctx.clone()))?;
    } else {
        out.set(2, new_u8(&ctx, body.to_vec())?)?;
    }
    Ok(out)
}
