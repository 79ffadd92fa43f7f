//! URLPattern compilation by the `urlpattern` crate (the one Deno uses).
//! Patterns become ECMAScript regular expressions that `url_pattern.js`
//! runs; this side parses patterns and canonicalizes the URLs to match.

use rquickjs::{Ctx, Exception, Function, Object};
use urlpattern::quirks::{self, StringOrInit};
use urlpattern::UrlPatternOptions;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("urlPatternParse", Function::new(ctx.clone(), parse)?)?;
    native.set("urlPatternInput", Function::new(ctx.clone(), match_input)?)?;
    Ok(())
}

fn type_error(ctx: &Ctx<'_>, what: impl std::fmt::Display) -> rquickjs::Error {
    Exception::throw_type(ctx, &format!("Failed to construct 'URLPattern': {what}"))
}

/// Input is the JSON of a pattern string or a URLPatternInit; the result
/// is the JSON of each component's pattern string, regular expression and
/// group names.
fn parse(
    ctx: Ctx<'_>,
    input: String,
    base: Option<String>,
    ignore_case: bool,
) -> rquickjs::Result<String> {
    let input: StringOrInit = serde_json::from_str(&input).map_err(|e| type_error(&ctx, e))?;
    let init = quirks::process_construct_pattern_input(input, base.as_deref())
        .map_err(|e| type_error(&ctx, e))?;
    let pattern = quirks::parse_pattern(init, UrlPatternOptions { ignore_case })
        .map_err(|e| type_error(&ctx, e))?;
    serde_json::to_string(&pattern).map_err(|e| type_error(&ctx, e))
}

/// The eight canonical components of a URL (string) or URLPatternInit to
/// match, as JSON; `undefined` when the input cannot be a URL (no match).
fn match_input(
    ctx: Ctx<'_>,
    input: String,
    base: Option<String>,
) -> rquickjs::Result<Option<String>> {
    let input: StringOrInit = serde_json::from_str(&input).map_err(|e| type_error(&ctx, e))?;
    let input = match quirks::process_match_input(input, base.as_deref()) {
        Ok(Some((input, _))) => input,
        Ok(None) => return Ok(None),
        Err(e) => {
            return Err(Exception::throw_type(
                &ctx,
                &format!("Failed to execute 'exec' on 'URLPattern': {e}"),
            ))
        }
    };
    Ok(quirks::parse_match_input(input).and_then(|m| serde_json::to_string(&m).ok()))
}
