//! UTF-8 text encoding, WHATWG URL parsing (the `url` crate) and Data modules.

use super::{new_array_buffer, new_u8, require_bytes};
use crate::event_loop::current;
use rquickjs::{Ctx, Exception, Function, Object, Value};
use url::Url;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("utf8Encode", Function::new(ctx.clone(), utf8_encode)?)?;
    native.set("utf8Decode", Function::new(ctx.clone(), utf8_decode)?)?;
    native.set("urlParse", Function::new(ctx.clone(), url_parse)?)?;
    native.set("urlSet", Function::new(ctx.clone(), url_set)?)?;
    native.set("moduleData", Function::new(ctx.clone(), module_data)?)?;
    Ok(())
}

fn utf8_encode<'js>(ctx: Ctx<'js>, text: rquickjs::String<'js>) -> rquickjs::Result<Value<'js>> {
    // Lone surrogates become U+FFFD, as TextEncoder requires.
    let s = text.to_string()?;
    new_u8(&ctx, s.into_bytes())
}

fn utf8_decode<'js>(ctx: Ctx<'js>, bytes: Value<'js>, fatal: bool) -> rquickjs::Result<String> {
    let bytes = require_bytes(&ctx, &bytes, "TextDecoder input")?;
    if fatal {
        String::from_utf8(bytes).map_err(|_| {
            Exception::throw_type(&ctx, "The encoded data was not valid for encoding utf-8")
        })
    } else {
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

fn url_parse<'js>(
    ctx: Ctx<'js>,
    input: String,
    base: Option<String>,
) -> rquickjs::Result<Value<'js>> {
    let parsed = match base {
        Some(base) => Url::parse(&base).and_then(|b| b.join(&input)),
        None => Url::parse(&input),
    };
    match parsed {
        Ok(url) => components(&ctx, &url).map(|o| o.into_value()),
        Err(_) => Ok(Value::new_null(ctx)),
    }
}

fn url_set<'js>(
    ctx: Ctx<'js>,
    href: String,
    field: String,
    value: String,
) -> rquickjs::Result<Object<'js>> {
    let mut url = Url::parse(&href)
        .map_err(|_| Exception::throw_type(&ctx, &format!("Invalid URL: {href}")))?;
    // Setters that get invalid input leave the URL unchanged, per WHATWG.
    match field.as_str() {
        "href" => {
            url = Url::parse(&value)
                .map_err(|_| Exception::throw_type(&ctx, &format!("Invalid URL: {value}")))?
        }
        "protocol" => drop(url.set_scheme(value.trim_end_matches(':'))),
        "username" => drop(url.set_username(&value)),
        "password" => {
            let _ = url.set_password(Some(&value).filter(|v| !v.is_empty()).map(|v| v.as_str()));
        }
        "host" => {
            if let Ok(tmp) = Url::parse(&format!("{}://{value}", url.scheme())) {
                if url.set_host(tmp.host_str()).is_ok() {
                    let _ = url.set_port(tmp.port());
                }
            }
        }
        "hostname" => drop(url.set_host(Some(&value))),
        "port" => {
            if value.is_empty() {
                let _ = url.set_port(None);
            } else if let Ok(p) = value.parse::<u16>() {
                let _ = url.set_port(Some(p));
            }
        }
        "pathname" => url.set_path(&value),
        "search" => {
            let v = value.strip_prefix('?').unwrap_or(&value);
            url.set_query(Some(v).filter(|v| !v.is_empty()));
        }
        "hash" => {
            let v = value.strip_prefix('#').unwrap_or(&value);
            url.set_fragment(Some(v).filter(|v| !v.is_empty()));
        }
        other => {
            return Err(Exception::throw_type(
                &ctx,
                &format!("unknown URL field {other}"),
            ))
        }
    }
    components(&ctx, &url)
}

fn module_data<'js>(ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
    let core = current();
    let bytes = core
        .worker
        .source(&name)
        .map_err(|e| Exception::throw_internal(&ctx, &e))?;
    new_array_buffer(&ctx, bytes.to_vec())
}

fn components<'js>(ctx: &Ctx<'js>, url: &Url) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set("href", url.as_str())?;
    o.set("origin", url.origin().ascii_serialization())?;
    o.set("protocol", format!("{}:", url.scheme()))?;
    o.set("username", url.username())?;
    o.set("password", url.password().unwrap_or(""))?;
    let hostname = url.host_str().unwrap_or("");
    let port = url.port().map(|p| p.to_string()).unwrap_or_default();
    let host = if port.is_empty() {
        hostname.to_string()
    } else {
        format!("{hostname}:{port}")
    };
    o.set("host", host)?;
    o.set("hostname", hostname)?;
    o.set("port", port)?;
    o.set("pathname", url.path())?;
    o.set(
        "search",
        url.query()
            .filter(|q| !q.is_empty())
            .map(|q| format!("?{q}"))
            .unwrap_or_default(),
    )?;
    o.set(
        "hash",
        url.fragment()
            .filter(|f| !f.is_empty())
            .map(|f| format!("#{f}"))
            .unwrap_or_default(),
    )?;
    Ok(o)
}
