//! WHATWG URL parsing and setters, by the `url` crate.

use rquickjs::{Array, Ctx, Exception, Function, Object, Value};
use url::{Position, Url};

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

/// `URL.prototype.origin`, computed only when asked for.
fn url_origin(href: String) -> String {
    Url::parse(&href)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| "null".to_string())
}
