//! WHATWG URL parsing and setters, by the `url` crate.

use rquickjs::{Array, Ctx, Exception, Function, Object, Value};
use url::{quirks, Position, Url};

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("urlParse", Function::new(ctx.clone(), url_parse)?)?;
    native.set("urlSet", Function::new(ctx.clone(), url_set)?)?;
    native.set("urlOrigin", Function::new(ctx.clone(), url_origin)?)?;
    Ok(())
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
        Ok(url) => components(&ctx, &url),
        Err(_) => Ok(Value::new_null(ctx)),
    }
}

fn url_set<'js>(
    ctx: Ctx<'js>,
    href: String,
    field: String,
    value: String,
) -> rquickjs::Result<Value<'js>> {
    let mut url = Url::parse(&href)
        .map_err(|_| Exception::throw_type(&ctx, &format!("Invalid URL: {href}")))?;
    // The url crate's `quirks` functions are the WHATWG URL API setters (the
    // spec's state overrides); invalid input leaves the URL unchanged.
    match field.as_str() {
        "href" => quirks::set_href(&mut url, &value)
            .map_err(|_| Exception::throw_type(&ctx, &format!("Invalid URL: {value}")))?,
        "protocol" => drop(quirks::set_protocol(&mut url, &value)),
        "username" => drop(quirks::set_username(&mut url, &value)),
        "password" => drop(quirks::set_password(&mut url, &value)),
        "host" => drop(quirks::set_host(&mut url, &value)),
        "hostname" => drop(quirks::set_hostname(&mut url, &value)),
        "port" => drop(quirks::set_port(&mut url, &value)),
        "pathname" => quirks::set_pathname(&mut url, &value),
        "search" => quirks::set_search(&mut url, &value),
        "hash" => quirks::set_hash(&mut url, &value),
        other => {
            return Err(Exception::throw_type(
                &ctx,
                &format!("unknown URL field {other}"),
            ))
        }
    }
    components(&ctx, &url)
}

/// The parsed URL as `[href, ...offsets]` (read by the getters in url.js):
/// one string and a few integers instead of an object of eleven strings, so
/// `new URL()` allocates little and the getters slice `href` lazily. The url
/// crate serializes to ASCII, so byte offsets are UTF-16 offsets.
fn components<'js>(ctx: &Ctx<'js>, url: &Url) -> rquickjs::Result<Value<'js>> {
    const MARKS: [Position; 12] = [
        Position::AfterScheme,
        Position::BeforeUsername,
        Position::AfterUsername,
        Position::BeforePassword,
        Position::AfterPassword,
        Position::BeforeHost,
        Position::AfterHost,
        Position::BeforePort,
        Position::AfterPort,
        Position::BeforePath,
        Position::AfterPath,
        Position::AfterQuery,
    ];
    let out = Array::new(ctx.clone())?;
    out.set(0, url.as_str())?;
    for (i, mark) in MARKS.into_iter().enumerate() {
        // Without a password the url crate's password span covers the "@".
        let mark = match mark {
            Position::BeforePassword | Position::AfterPassword if url.password().is_none() => {
                Position::AfterUsername
            }
            other => other,
        };
        out.set(i + 1, url[..mark].len() as u32)?;
    }
    Ok(out.into_value())
}

/// `URL.prototype.origin`, computed only when asked for. A `blob:` URL has
/// the origin of the URL in its path only when that one is http(s) (WHATWG
/// URL; the url crate also takes it from other schemes).
fn url_origin(href: String) -> String {
    let Ok(url) = Url::parse(&href) else {
        return "null".to_string();
    };
    if url.scheme() == "blob" {
        return match Url::parse(url.path()) {
            Ok(inner) if matches!(inner.scheme(), "http" | "https") => {
                inner.origin().ascii_serialization()
            }
            _ => "null".to_string(),
        };
    }
    url.origin().ascii_serialization()
}
