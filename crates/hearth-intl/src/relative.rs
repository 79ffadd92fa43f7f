//! `Intl.RelativeTimeFormat`.

use icu_experimental::relativetime::{
    options::Numeric as IcuNumeric, RelativeTimeFormatter, RelativeTimeFormatterOptions,
};
use icu_locale::Locale;
use rquickjs::class::Trace;
use rquickjs::convert::Coerced;
use rquickjs::function::Opt;
use rquickjs::FromJs;
use rquickjs::{Array, Ctx, JsLifetime, Object, Result, Value};

use crate::number::{from_f64, Numeric};
use crate::options::Options;
use crate::parts;

const UNITS: &[&str] = &[
    "second", "minute", "hour", "day", "week", "month", "quarter", "year",
];

/// `Intl.RelativeTimeFormat`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "RelativeTimeFormat")]
pub(crate) struct RelativeTimeFormat {
    #[qjs(skip_trace)]
    locale: Locale,
    #[qjs(skip_trace)]
    style: String,
    #[qjs(skip_trace)]
    numeric: String,
    /// One formatter per unit, created on first use.
    #[qjs(skip_trace)]
    formatters: [std::cell::OnceCell<RelativeTimeFormatter>; 8],
}

impl RelativeTimeFormat {
    fn formatter(&self, ctx: &Ctx<'_>, unit: usize) -> Result<&RelativeTimeFormatter> {
        if let Some(f) = self.formatters[unit].get() {
            return Ok(f);
        }
        let prefs = (&self.locale).into();
        let mut options = RelativeTimeFormatterOptions::default();
        options.numeric = Some(if self.numeric == "auto" {
            IcuNumeric::Auto
        } else {
            IcuNumeric::Always
        });
        type New = fn(
            icu_experimental::relativetime::RelativeTimeFormatterPreferences,
            RelativeTimeFormatterOptions,
        )
            -> std::result::Result<RelativeTimeFormatter, icu_provider::DataError>;
        let table: [[New; 8]; 3] = [
            [
                RelativeTimeFormatter::try_new_long_second,
                RelativeTimeFormatter::try_new_long_minute,
                RelativeTimeFormatter::try_new_long_hour,
                RelativeTimeFormatter::try_new_long_day,
                RelativeTimeFormatter::try_new_long_week,
                RelativeTimeFormatter::try_new_long_month,
                RelativeTimeFormatter::try_new_long_quarter,
                RelativeTimeFormatter::try_new_long_year,
            ],
            [
                RelativeTimeFormatter::try_new_short_second,
                RelativeTimeFormatter::try_new_short_minute,
                RelativeTimeFormatter::try_new_short_hour,
                RelativeTimeFormatter::try_new_short_day,
                RelativeTimeFormatter::try_new_short_week,
                RelativeTimeFormatter::try_new_short_month,
                RelativeTimeFormatter::try_new_short_quarter,
                RelativeTimeFormatter::try_new_short_year,
            ],
            [
                RelativeTimeFormatter::try_new_narrow_second,
                RelativeTimeFormatter::try_new_narrow_minute,
                RelativeTimeFormatter::try_new_narrow_hour,
                RelativeTimeFormatter::try_new_narrow_day,
                RelativeTimeFormatter::try_new_narrow_week,
                RelativeTimeFormatter::try_new_narrow_month,
                RelativeTimeFormatter::try_new_narrow_quarter,
                RelativeTimeFormatter::try_new_narrow_year,
            ],
        ];
        let row = match self.style.as_str() {
            "short" => 1,
            "narrow" => 2,
            _ => 0,
        };
        let f = table[row][unit](prefs, options).map_err(|e| {
            rquickjs::Exception::throw_range(ctx, &format!("Intl.RelativeTimeFormat: {e}"))
        })?;
        Ok(self.formatters[unit].get_or_init(|| f))
    }

    fn pieces<'js>(
        &self,
        ctx: &Ctx<'js>,
        value: Opt<Value<'js>>,
        unit: Opt<Coerced<String>>,
    ) -> Result<(Vec<(&'static str, String)>, &'static str)> {
        let value = value.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
        let n = Coerced::<f64>::from_js(ctx, value)?.0;
        let unit = unit.0.map(|u| u.0).unwrap_or_else(|| "undefined".into());
        let singular = unit.strip_suffix('s').unwrap_or(&unit);
        let Some(index) = UNITS.iter().position(|u| *u == singular) else {
            return crate::range_error(
                ctx,
                format!(
                    "Invalid unit argument for Intl.RelativeTimeFormat.prototype.format() '{unit}'"
                ),
            );
        };
        let Numeric::Finite(d) = from_f64(n) else {
            return crate::range_error(ctx, "Invalid number value");
        };
        let f = self.formatter(ctx, index)?;
        let collected = parts::collect(&f.format(d));
        let pieces = parts::split(&collected, |p| {
            use icu_decimal::parts as dp;
            Some(match *p {
                dp::INTEGER => "integer",
                dp::FRACTION => "fraction",
                dp::GROUP => "group",
                dp::DECIMAL => "decimal",
                _ => return None,
            })
        });
        Ok((pieces, UNITS[index]))
    }
}

#[rquickjs::methods]
impl RelativeTimeFormat {
    #[qjs(constructor)]
    pub fn new<'js>(
        ctx: Ctx<'js>,
        locales: Opt<Value<'js>>,
        options: Opt<Value<'js>>,
    ) -> Result<Self> {
        let requested =
            crate::requested_locales(&ctx, &crate::locale::object_or_undefined(&ctx, locales.0))?;
        let opts = Options::new(&ctx, options.0, "Intl.RelativeTimeFormat")?;
        opts.string("localeMatcher", &["lookup", "best fit"])?;
        opts.string("numberingSystem", &[])?;
        let style = opts
            .string("style", &["long", "short", "narrow"])?
            .unwrap_or_else(|| "long".into());
        let numeric = opts
            .string("numeric", &["always", "auto"])?
            .unwrap_or_else(|| "always".into());
        Ok(Self {
            locale: crate::resolve_locale(&requested),
            style,
            numeric,
            formatters: Default::default(),
        })
    }

    pub fn format<'js>(
        &self,
        ctx: Ctx<'js>,
        value: Opt<Value<'js>>,
        unit: Opt<Coerced<String>>,
    ) -> Result<String> {
        let (pieces, _) = self.pieces(&ctx, value, unit)?;
        Ok(pieces.into_iter().map(|(_, s)| s).collect())
    }

    #[qjs(rename = "formatToParts")]
    pub fn format_to_parts<'js>(
        &self,
        ctx: Ctx<'js>,
        value: Opt<Value<'js>>,
        unit: Opt<Coerced<String>>,
    ) -> Result<Array<'js>> {
        let (pieces, unit) = self.pieces(&ctx, value, unit)?;
        let array = parts::to_js(&ctx, pieces)?;
        for item in array.iter::<Object>() {
            let item = item?;
            if item.get::<_, String>("type")? != "literal" {
                item.set("unit", unit)?;
            }
        }
        Ok(array)
    }

    #[qjs(rename = "resolvedOptions")]
    pub fn resolved_options<'js>(&self, ctx: Ctx<'js>) -> Result<Object<'js>> {
        let o = Object::new(ctx)?;
        o.set("locale", self.locale.to_string())?;
        o.set("style", self.style.as_str())?;
        o.set("numeric", self.numeric.as_str())?;
        o.set(
            "numberingSystem",
            crate::number::numbering_system(&self.locale),
        )?;
        Ok(o)
    }
}

pub(crate) fn define<'js>(ctx: &Ctx<'js>, intl: &Object<'js>) -> Result<()> {
    crate::define_class::<RelativeTimeFormat>(ctx, intl)
}
