//! `Intl.Collator` and `String.prototype.localeCompare`.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

use icu_collator::options::{AlternateHandling, CaseLevel, CollatorOptions, Strength};
use icu_collator::{Collator as IcuCollator, CollatorBorrowed, CollatorPreferences};
use icu_locale::preferences::extensions::unicode::keywords::{
    CollationCaseFirst, CollationNumericOrdering,
};
use icu_locale::Locale;
use rquickjs::class::Trace;
use rquickjs::convert::Coerced;
use rquickjs::function::{Opt, This};
use rquickjs::FromJs;
use rquickjs::{Ctx, Function, JsLifetime, Object, Result, Value};

use crate::options::Options;

/// What a `Collator` resolved at construction.
pub(crate) struct CollatorInner {
    locale: Locale,
    usage: String,
    sensitivity: String,
    ignore_punctuation: bool,
    numeric: bool,
    case_first: String,
    collator: CollatorBorrowed<'static>,
}

impl CollatorInner {
    fn new<'js>(
        ctx: &Ctx<'js>,
        locales: Option<Value<'js>>,
        options: Option<Value<'js>>,
    ) -> Result<Self> {
        let requested =
            crate::requested_locales(ctx, &crate::locale::object_or_undefined(ctx, locales))?;
        let opts = Options::new(ctx, options, "Intl.Collator")?;
        let usage = opts
            .string("usage", &["sort", "search"])?
            .unwrap_or_else(|| "sort".into());
        opts.string("localeMatcher", &["lookup", "best fit"])?;
        opts.string("collation", &[])?;
        let numeric_opt = opts.boolean("numeric")?;
        let case_first_opt = opts.string("caseFirst", &["upper", "lower", "false"])?;
        let sensitivity = opts
            .string("sensitivity", &["base", "accent", "case", "variant"])?
            .unwrap_or_else(|| "variant".into());
        let ignore_punctuation = opts.boolean("ignorePunctuation")?;
        let locale = crate::resolve_locale(&requested);
        let mut prefs = CollatorPreferences::from(&locale);
        // Options override the locale's -u-kn / -u-kf keywords.
        if let Some(n) = numeric_opt {
            prefs.numeric_ordering = Some(if n {
                CollationNumericOrdering::True
            } else {
                CollationNumericOrdering::False
            });
        }
        if let Some(c) = &case_first_opt {
            prefs.case_first = Some(match c.as_str() {
                "upper" => CollationCaseFirst::Upper,
                "lower" => CollationCaseFirst::Lower,
                _ => CollationCaseFirst::False,
            });
        }
        let numeric = prefs.numeric_ordering == Some(CollationNumericOrdering::True);
        let case_first = match prefs.case_first {
            Some(CollationCaseFirst::Upper) => "upper",
            Some(CollationCaseFirst::Lower) => "lower",
            _ => "false",
        }
        .to_string();
        let mut options = CollatorOptions::default();
        let (strength, case_level) = match sensitivity.as_str() {
            "base" => (Strength::Primary, CaseLevel::Off),
            "accent" => (Strength::Secondary, CaseLevel::Off),
            "case" => (Strength::Primary, CaseLevel::On),
            _ => (Strength::Tertiary, CaseLevel::Off),
        };
        options.strength = Some(strength);
        options.case_level = Some(case_level);
        let ignore_punctuation = ignore_punctuation.unwrap_or(locale.id.language.as_str() == "th");
        if ignore_punctuation {
            options.alternate_handling = Some(AlternateHandling::Shifted);
        }
        let collator = IcuCollator::try_new(prefs, options)
            .map_err(|e| rquickjs::Exception::throw_range(ctx, &format!("Intl.Collator: {e}")))?;
        Ok(Self {
            locale,
            usage,
            sensitivity,
            ignore_punctuation,
            numeric,
            case_first,
            collator,
        })
    }

    fn compare(&self, a: &str, b: &str) -> i32 {
        match self.collator.compare(a, b) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }
    }
}

/// `Intl.Collator`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "Collator")]
pub(crate) struct Collator {
    #[qjs(skip_trace)]
    inner: Rc<CollatorInner>,
}

#[rquickjs::methods]
impl Collator {
    #[qjs(constructor)]
    pub fn new<'js>(
        ctx: Ctx<'js>,
        locales: Opt<Value<'js>>,
        options: Opt<Value<'js>>,
    ) -> Result<Self> {
        Ok(Self {
            inner: Rc::new(CollatorInner::new(&ctx, locales.0, options.0)?),
        })
    }

    /// The bound compare function (usable directly as a sort comparator).
    #[qjs(get)]
    pub fn compare<'js>(&self, ctx: Ctx<'js>) -> Result<Function<'js>> {
        let inner = self.inner.clone();
        let f = Function::new(
            ctx,
            move |a: Opt<Coerced<String>>, b: Opt<Coerced<String>>| {
                let a = a.0.map(|s| s.0).unwrap_or_else(|| "undefined".into());
                let b = b.0.map(|s| s.0).unwrap_or_else(|| "undefined".into());
                inner.compare(&a, &b)
            },
        )?;
        f.set_name("")?;
        Ok(f)
    }

    #[qjs(rename = "resolvedOptions")]
    pub fn resolved_options<'js>(&self, ctx: Ctx<'js>) -> Result<Object<'js>> {
        let i = &self.inner;
        let o = Object::new(ctx)?;
        o.set("locale", i.locale.to_string())?;
        o.set("usage", i.usage.as_str())?;
        o.set("sensitivity", i.sensitivity.as_str())?;
        o.set("ignorePunctuation", i.ignore_punctuation)?;
        o.set("collation", "default")?;
        o.set("numeric", i.numeric)?;
        o.set("caseFirst", i.case_first.as_str())?;
        Ok(o)
    }
}

pub(crate) fn define<'js>(ctx: &Ctx<'js>, intl: &Object<'js>) -> Result<()> {
    crate::define_class::<Collator>(ctx, intl)
}

thread_local! {
    /// The collator of `a.localeCompare(b)` without locales or options,
    /// kept because sorting calls it once per comparison.
    static DEFAULT: RefCell<Option<Rc<CollatorInner>>> = const { RefCell::new(None) };
}

/// `String.prototype.localeCompare(that, locales, options)`.
pub(crate) fn patch_string<'js>(ctx: &Ctx<'js>) -> Result<()> {
    let proto: Object = ctx.globals().get::<_, Object>("String")?.get("prototype")?;
    let f = Function::new(
        ctx.clone(),
        |ctx: Ctx<'js>,
         this: This<Value<'js>>,
         that: Opt<Coerced<String>>,
         locales: Opt<Value<'js>>,
         options: Opt<Value<'js>>| {
            if this.0.is_undefined() || this.0.is_null() {
                return crate::type_error(
                    &ctx,
                    "String.prototype.localeCompare called on null or undefined",
                );
            }
            let s = Coerced::<String>::from_js(&ctx, this.0)?.0;
            let that = that.0.map(|t| t.0).unwrap_or_else(|| "undefined".into());
            let plain = locales.0.as_ref().is_none_or(|v| v.is_undefined())
                && options.0.as_ref().is_none_or(|v| v.is_undefined());
            if plain {
                let inner = DEFAULT.with(|d| {
                    if let Some(c) = d.borrow().as_ref() {
                        return Ok(c.clone());
                    }
                    let c = Rc::new(CollatorInner::new(&ctx, None, None)?);
                    *d.borrow_mut() = Some(c.clone());
                    Ok::<_, rquickjs::Error>(c)
                })?;
                return Ok(inner.compare(&s, &that));
            }
            Ok(CollatorInner::new(&ctx, locales.0, options.0)?.compare(&s, &that))
        },
    )?;
    crate::method(&proto, "localeCompare", f)
}
