//! Locale lists (ECMA-402 CanonicalizeLocaleList), locale negotiation and the
//! `Intl` functions about locales.

use icu_locale::{Locale, LocaleExpander, TransformResult};
use rquickjs::FromJs;
use rquickjs::{Array, Ctx, Result, Value};

use crate::{range_error, type_error};

/// The locale used when none of the requested ones is available, as in
/// workerd.
pub(crate) const DEFAULT_LOCALE: &str = "en-US";

/// The default locale, parsed.
pub(crate) fn default_locale() -> Locale {
    DEFAULT_LOCALE.parse().expect("valid default locale")
}

/// Reads a `locales` argument (undefined, a string, a `Intl.Locale`-like
/// object or an array of them) into canonicalized, de-duplicated locales.
pub(crate) fn requested_locales<'js>(ctx: &Ctx<'js>, locales: &Value<'js>) -> Result<Vec<Locale>> {
    if locales.is_undefined() {
        return Ok(Vec::new());
    }
    let items: Vec<Value<'js>> = if locales.is_string() {
        vec![locales.clone()]
    } else if let Some(obj) = locales.as_object() {
        if obj.is_array() {
            obj.as_array()
                .expect("checked")
                .iter()
                .collect::<Result<_>>()?
        } else {
            let len: Option<f64> = obj.get("length")?;
            match len {
                Some(len) => (0..len as u32).map(|i| obj.get(i)).collect::<Result<_>>()?,
                None => Vec::new(),
            }
        }
    } else if locales.is_null() {
        return type_error(ctx, "Cannot convert null to object");
    } else {
        Vec::new()
    };
    let mut out: Vec<Locale> = Vec::new();
    for item in items {
        let tag: String = if let Some(s) = item.as_string() {
            s.to_string()?
        } else if item.is_object() {
            rquickjs::convert::Coerced::<String>::from_js(ctx, item)?.0
        } else {
            return type_error(ctx, "Language ID should be string or object.");
        };
        let locale = parse_locale(ctx, &tag)?;
        if !out.contains(&locale) {
            out.push(locale);
        }
    }
    Ok(out)
}

/// Parses and canonicalizes one BCP 47 language tag, or throws the
/// `RangeError` the spec names.
pub(crate) fn parse_locale(ctx: &Ctx<'_>, tag: &str) -> Result<Locale> {
    // ICU4X accepts `_` as a separator; BCP 47 (and so ECMA-402) does not.
    if tag.is_empty() || tag.contains('_') {
        return range_error(ctx, "Incorrect locale information provided");
    }
    match Locale::try_from_str(tag) {
        Ok(mut l) => {
            canonicalize(&mut l);
            Ok(l)
        }
        Err(_) => range_error(ctx, "Incorrect locale information provided"),
    }
}

/// Replaces the few deprecated language codes that pages still send.
fn canonicalize(locale: &mut Locale) {
    let replacement = match locale.id.language.as_str() {
        "iw" => "he",
        "in" => "id",
        "ji" => "yi",
        "jw" => "jv",
        "mo" => "ro",
        "tl" => "fil",
        _ => return,
    };
    locale.id.language = replacement.parse().expect("valid language");
}

/// Whether CLDR knows this locale's language: its likely-subtags data (the
/// "common" set, which covers the languages with locale data) can expand
/// the bare language. ICU4X's formatting data is deduplicated against the
/// parent locale, so asking a formatter's data would not tell.
pub(crate) fn is_supported(locale: &Locale) -> bool {
    if locale.id.language.is_unknown() {
        return false;
    }
    let mut bare = icu_locale::LanguageIdentifier::from((locale.id.language, None, None));
    LocaleExpander::new_common().maximize(&mut bare) == TransformResult::Modified
}

/// ECMA-402 ResolveLocale, simplified to "the first requested locale whose
/// language ICU4X has data for, else the default".
pub(crate) fn resolve_locale(requested: &[Locale]) -> Locale {
    requested
        .iter()
        .find(|l| is_supported(l))
        .cloned()
        .unwrap_or_else(default_locale)
}

/// `Intl.getCanonicalLocales(locales)`.
pub(crate) fn get_canonical_locales<'js>(
    ctx: rquickjs::Ctx<'js>,
    locales: rquickjs::function::Opt<Value<'js>>,
) -> Result<Array<'js>> {
    let locales = locales
        .0
        .unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    let list = requested_locales(&ctx, &locales)?;
    to_array(&ctx, list.iter().map(|l| l.to_string()))
}

/// `Intl.X.supportedLocalesOf(locales, options)`.
pub(crate) fn supported_locales_of<'js>(
    ctx: rquickjs::Ctx<'js>,
    locales: rquickjs::function::Opt<Value<'js>>,
    options: rquickjs::function::Opt<Value<'js>>,
) -> Result<Array<'js>> {
    let locales = locales
        .0
        .unwrap_or_else(|| Value::new_undefined(ctx.clone()));
    let list = requested_locales(&ctx, &locales)?;
    let options = crate::options::Options::new(&ctx, options.0, "supportedLocalesOf")?;
    options.string("localeMatcher", &["lookup", "best fit"])?;
    to_array(
        &ctx,
        list.iter()
            .filter(|l| is_supported(l))
            .map(|l| l.to_string()),
    )
}

/// `Intl.supportedValuesOf(key)`.
pub(crate) fn supported_values_of<'js>(
    ctx: rquickjs::Ctx<'js>,
    key: rquickjs::function::Opt<rquickjs::convert::Coerced<String>>,
) -> Result<Array<'js>> {
    let key = key.0.map(|k| k.0).unwrap_or_else(|| "undefined".into());
    let mut values: Vec<String> = match key.as_str() {
        // The calendars ICU4X's AnyCalendar implements.
        "calendar" => [
            "buddhist",
            "chinese",
            "coptic",
            "dangi",
            "ethioaa",
            "ethiopic",
            "gregory",
            "hebrew",
            "indian",
            "islamic-civil",
            "islamic-tbla",
            "islamic-umalqura",
            "iso8601",
            "japanese",
            "persian",
            "roc",
        ]
        .map(String::from)
        .to_vec(),
        "collation" => ["default"].map(String::from).to_vec(),
        "currency" => crate::number::CURRENCIES
            .split(' ')
            .map(String::from)
            .collect(),
        "numberingSystem" => [
            "arab", "arabext", "beng", "deva", "fullwide", "latn", "thai",
        ]
        .map(String::from)
        .to_vec(),
        "timeZone" => crate::datetime::time_zone_names(),
        "unit" => crate::number::UNITS.iter().map(|u| u.to_string()).collect(),
        _ => return range_error(&ctx, format!("Invalid key : {key}")),
    };
    values.sort();
    values.dedup();
    to_array(&ctx, values.into_iter())
}

/// Collects strings into a new JavaScript array.
pub(crate) fn to_array<'js>(
    ctx: &Ctx<'js>,
    items: impl Iterator<Item = String>,
) -> Result<Array<'js>> {
    let array = Array::new(ctx.clone())?;
    for (i, item) in items.enumerate() {
        array.set(i, item)?;
    }
    Ok(array)
}

/// `locales`, `options` arguments as given to a constructor.
pub(crate) fn object_or_undefined<'js>(ctx: &Ctx<'js>, value: Option<Value<'js>>) -> Value<'js> {
    value.unwrap_or_else(|| Value::new_undefined(ctx.clone()))
}
