//! `Intl.PluralRules`.

use icu_locale::Locale;
use icu_plurals::{PluralCategory, PluralOperands, PluralRules as Rules};
use rquickjs::class::Trace;
use rquickjs::function::Opt;
use rquickjs::FromJs;
use rquickjs::{Array, Ctx, JsLifetime, Object, Result, Value};

use crate::number::{to_numeric, Digits, Numeric};
use crate::options::Options;

/// `Intl.PluralRules`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "PluralRules")]
pub(crate) struct PluralRules {
    #[qjs(skip_trace)]
    locale: Locale,
    #[qjs(skip_trace)]
    ordinal: bool,
    #[qjs(skip_trace)]
    digits: Digits,
    #[qjs(skip_trace)]
    rules: Rules,
}

/// The CLDR name of a plural category.
pub(crate) fn category_name(c: PluralCategory) -> &'static str {
    match c {
        PluralCategory::Zero => "zero",
        PluralCategory::One => "one",
        PluralCategory::Two => "two",
        PluralCategory::Few => "few",
        PluralCategory::Many => "many",
        PluralCategory::Other => "other",
    }
}

impl PluralRules {
    fn category(&self, n: Numeric) -> &'static str {
        match n {
            Numeric::Finite(mut d) => {
                self.digits.apply(&mut d);
                category_name(self.rules.category_for(PluralOperands::from(&d)))
            }
            _ => "other",
        }
    }
}

#[rquickjs::methods]
impl PluralRules {
    #[qjs(constructor)]
    pub fn new<'js>(
        ctx: Ctx<'js>,
        locales: Opt<Value<'js>>,
        options: Opt<Value<'js>>,
    ) -> Result<Self> {
        let requested =
            crate::requested_locales(&ctx, &crate::locale::object_or_undefined(&ctx, locales.0))?;
        let opts = Options::new(&ctx, options.0, "Intl.PluralRules")?;
        opts.string("localeMatcher", &["lookup", "best fit"])?;
        let ordinal = opts.string("type", &["cardinal", "ordinal"])?.as_deref() == Some("ordinal");
        let digits = Digits::read(&opts, 0, 3, false)?;
        let locale = crate::resolve_locale(&requested);
        let rules = if ordinal {
            Rules::try_new_ordinal((&locale).into())
        } else {
            Rules::try_new_cardinal((&locale).into())
        }
        .map_err(|e| rquickjs::Exception::throw_range(&ctx, &format!("Intl.PluralRules: {e}")))?;
        Ok(Self {
            locale,
            ordinal,
            digits,
            rules,
        })
    }

    pub fn select<'js>(&self, ctx: Ctx<'js>, value: Opt<Value<'js>>) -> Result<&'static str> {
        let value = value.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
        // PluralRules.select uses ToNumber, not the decimal-string path.
        let n = rquickjs::convert::Coerced::<f64>::from_js(&ctx, value)?.0;
        Ok(self.category(crate::number::from_f64(n)))
    }

    #[qjs(rename = "selectRange")]
    pub fn select_range<'js>(
        &self,
        ctx: Ctx<'js>,
        start: Opt<Value<'js>>,
        end: Opt<Value<'js>>,
    ) -> Result<&'static str> {
        let (Some(_), Some(end)) = (
            start.0.filter(|v| !v.is_undefined()),
            end.0.filter(|v| !v.is_undefined()),
        ) else {
            return crate::type_error(&ctx, "start or end is undefined");
        };
        // CLDR's range rules mostly pick the end's category.
        let n = to_numeric(&ctx, end)?;
        Ok(self.category(n))
    }

    #[qjs(rename = "resolvedOptions")]
    pub fn resolved_options<'js>(&self, ctx: Ctx<'js>) -> Result<Object<'js>> {
        let o = Object::new(ctx.clone())?;
        o.set("locale", self.locale.to_string())?;
        o.set("type", if self.ordinal { "ordinal" } else { "cardinal" })?;
        self.digits.resolved(&o)?;
        let cats = Array::new(ctx.clone())?;
        let order = [
            PluralCategory::Zero,
            PluralCategory::One,
            PluralCategory::Two,
            PluralCategory::Few,
            PluralCategory::Many,
            PluralCategory::Other,
        ];
        let present: Vec<PluralCategory> = self.rules.categories().collect();
        for (i, c) in order.iter().filter(|c| present.contains(c)).enumerate() {
            cats.set(i, category_name(*c))?;
        }
        o.set("pluralCategories", cats)?;
        o.set("roundingIncrement", 1)?;
        o.set("roundingMode", "halfExpand")?;
        o.set("roundingPriority", "auto")?;
        o.set("trailingZeroDisplay", "auto")?;
        Ok(o)
    }
}

pub(crate) fn define<'js>(ctx: &Ctx<'js>, intl: &Object<'js>) -> Result<()> {
    crate::define_class::<PluralRules>(ctx, intl)
}
