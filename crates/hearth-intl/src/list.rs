//! `Intl.ListFormat`.

use icu_list::options::{ListFormatterOptions, ListLength};
use icu_list::ListFormatter;
use icu_locale::Locale;
use rquickjs::class::Trace;
use rquickjs::function::Opt;
use rquickjs::{Array, Ctx, Function, JsLifetime, Object, Result, Value};
use writeable::Part;

use crate::options::Options;
use crate::parts;

/// `Intl.ListFormat`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "ListFormat")]
pub(crate) struct ListFormat {
    #[qjs(skip_trace)]
    locale: Locale,
    #[qjs(skip_trace)]
    kind: String,
    #[qjs(skip_trace)]
    style: String,
    #[qjs(skip_trace)]
    formatter: ListFormatter,
}

/// ECMA-402 StringListFromIterable: every element must be a string.
fn strings<'js>(ctx: &Ctx<'js>, list: Opt<Value<'js>>) -> Result<Vec<String>> {
    let Some(list) = list.0.filter(|v| !v.is_undefined()) else {
        return Ok(Vec::new());
    };
    let from: Function = ctx.globals().get::<_, Object>("Array")?.get("from")?;
    let array: Array = from.call((list,))?;
    let mut out = Vec::with_capacity(array.len());
    for v in array.iter::<Value>() {
        let v = v?;
        match v.as_string() {
            Some(s) => out.push(s.to_string()?),
            None => return crate::type_error(ctx, "Iterable yielded a value that is not a string"),
        }
    }
    Ok(out)
}

fn list_part(part: &Part) -> Option<&'static str> {
    match *part {
        icu_list::parts::ELEMENT => Some("element"),
        icu_list::parts::LITERAL => Some("literal"),
        _ => None,
    }
}

#[rquickjs::methods]
impl ListFormat {
    #[qjs(constructor)]
    pub fn new<'js>(
        ctx: Ctx<'js>,
        locales: Opt<Value<'js>>,
        options: Opt<Value<'js>>,
    ) -> Result<Self> {
        let requested =
            crate::requested_locales(&ctx, &crate::locale::object_or_undefined(&ctx, locales.0))?;
        let opts = Options::new(&ctx, options.0, "Intl.ListFormat")?;
        opts.string("localeMatcher", &["lookup", "best fit"])?;
        let kind = opts
            .string("type", &["conjunction", "disjunction", "unit"])?
            .unwrap_or_else(|| "conjunction".into());
        let style = opts
            .string("style", &["long", "short", "narrow"])?
            .unwrap_or_else(|| "long".into());
        let locale = crate::resolve_locale(&requested);
        let length = match style.as_str() {
            "short" => ListLength::Short,
            "narrow" => ListLength::Narrow,
            _ => ListLength::Wide,
        };
        let options = ListFormatterOptions::default().with_length(length);
        let prefs = (&locale).into();
        let formatter = match kind.as_str() {
            "disjunction" => ListFormatter::try_new_or(prefs, options),
            "unit" => ListFormatter::try_new_unit(prefs, options),
            _ => ListFormatter::try_new_and(prefs, options),
        }
        .map_err(|e| rquickjs::Exception::throw_range(&ctx, &format!("Intl.ListFormat: {e}")))?;
        Ok(Self {
            locale,
            kind,
            style,
            formatter,
        })
    }

    pub fn format<'js>(&self, ctx: Ctx<'js>, list: Opt<Value<'js>>) -> Result<String> {
        let items = strings(&ctx, list)?;
        Ok(self
            .formatter
            .format(items.iter().map(String::as_str))
            .to_string())
    }

    #[qjs(rename = "formatToParts")]
    pub fn format_to_parts<'js>(&self, ctx: Ctx<'js>, list: Opt<Value<'js>>) -> Result<Array<'js>> {
        let items = strings(&ctx, list)?;
        let formatted = self.formatter.format(items.iter().map(String::as_str));
        let collected = parts::collect(&formatted);
        parts::to_js(&ctx, parts::split(&collected, list_part))
    }

    #[qjs(rename = "resolvedOptions")]
    pub fn resolved_options<'js>(&self, ctx: Ctx<'js>) -> Result<Object<'js>> {
        let o = Object::new(ctx)?;
        o.set("locale", self.locale.to_string())?;
        o.set("type", self.kind.as_str())?;
        o.set("style", self.style.as_str())?;
        Ok(o)
    }
}

pub(crate) fn define<'js>(ctx: &Ctx<'js>, intl: &Object<'js>) -> Result<()> {
    crate::define_class::<ListFormat>(ctx, intl)
}
