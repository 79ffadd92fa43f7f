//! `Intl.Segmenter` and the `Segments` objects its `segment()` returns.

use icu_locale::Locale;
use icu_segmenter::options::{SentenceBreakInvariantOptions, WordBreakInvariantOptions};
use icu_segmenter::{GraphemeClusterSegmenter, SentenceSegmenter, WordSegmenter};
use rquickjs::class::Trace;
use rquickjs::convert::Coerced;
use rquickjs::function::{Opt, This};
use rquickjs::{Array, Class, Ctx, Function, JsLifetime, Object, Result, Value};

use crate::options::Options;

#[derive(Clone, Copy, PartialEq)]
enum Granularity {
    Grapheme,
    Word,
    Sentence,
}

impl Granularity {
    fn name(self) -> &'static str {
        match self {
            Granularity::Grapheme => "grapheme",
            Granularity::Word => "word",
            Granularity::Sentence => "sentence",
        }
    }
}

/// `Intl.Segmenter`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "Segmenter")]
pub(crate) struct Segmenter {
    #[qjs(skip_trace)]
    locale: Locale,
    #[qjs(skip_trace)]
    granularity: Granularity,
}

#[rquickjs::methods]
impl Segmenter {
    #[qjs(constructor)]
    pub fn new<'js>(
        ctx: Ctx<'js>,
        locales: Opt<Value<'js>>,
        options: Opt<Value<'js>>,
    ) -> Result<Self> {
        let requested =
            crate::requested_locales(&ctx, &crate::locale::object_or_undefined(&ctx, locales.0))?;
        let opts = Options::new(&ctx, options.0, "Intl.Segmenter")?;
        opts.string("localeMatcher", &["lookup", "best fit"])?;
        let granularity = match opts
            .string("granularity", &["grapheme", "word", "sentence"])?
            .as_deref()
        {
            Some("word") => Granularity::Word,
            Some("sentence") => Granularity::Sentence,
            _ => Granularity::Grapheme,
        };
        Ok(Self {
            locale: crate::resolve_locale(&requested),
            granularity,
        })
    }

    pub fn segment<'js>(
        &self,
        ctx: Ctx<'js>,
        input: Opt<Coerced<String>>,
    ) -> Result<Class<'js, Segments>> {
        let input = input.0.map(|s| s.0).unwrap_or_else(|| "undefined".into());
        let utf16: Vec<u16> = input.encode_utf16().collect();
        let mut bounds: Vec<(usize, bool)> = Vec::new();
        match self.granularity {
            Granularity::Grapheme => bounds.extend(
                GraphemeClusterSegmenter::new()
                    .segment_utf16(&utf16)
                    .map(|b| (b, false)),
            ),
            Granularity::Sentence => bounds.extend(
                SentenceSegmenter::new(SentenceBreakInvariantOptions::default())
                    .segment_utf16(&utf16)
                    .map(|b| (b, false)),
            ),
            Granularity::Word => bounds.extend(
                WordSegmenter::new_auto(WordBreakInvariantOptions::default())
                    .segment_utf16(&utf16)
                    .iter_with_word_type()
                    .map(|(b, t)| (b, t.is_word_like())),
            ),
        }
        if bounds.first().map(|b| b.0) != Some(0) {
            bounds.insert(0, (0, false));
        }
        Class::instance(
            ctx,
            Segments {
                input,
                utf16,
                bounds,
                granularity: self.granularity,
            },
        )
    }

    #[qjs(rename = "resolvedOptions")]
    pub fn resolved_options<'js>(&self, ctx: Ctx<'js>) -> Result<Object<'js>> {
        let o = Object::new(ctx)?;
        o.set("locale", self.locale.to_string())?;
        o.set("granularity", self.granularity.name())?;
        Ok(o)
    }
}

/// The result of `segmenter.segment(input)`: iterable, with `containing()`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class]
pub(crate) struct Segments {
    #[qjs(skip_trace)]
    input: String,
    #[qjs(skip_trace)]
    utf16: Vec<u16>,
    /// Boundaries in UTF-16 code units, each with whether the segment that
    /// ends there is word-like.
    #[qjs(skip_trace)]
    bounds: Vec<(usize, bool)>,
    #[qjs(skip_trace)]
    granularity: Granularity,
}

impl Segments {
    /// The segment data object of the segment ending at `bounds[i]`.
    fn data<'js>(&self, ctx: &Ctx<'js>, i: usize) -> Result<Object<'js>> {
        let (start, _) = self.bounds[i - 1];
        let (end, word_like) = self.bounds[i];
        let o = Object::new(ctx.clone())?;
        o.set(
            "segment",
            rquickjs::String::from_str(
                ctx.clone(),
                &String::from_utf16_lossy(&self.utf16[start..end]),
            )?,
        )?;
        o.set("index", start)?;
        o.set("input", self.input.as_str())?;
        if self.granularity == Granularity::Word {
            o.set("isWordLike", word_like)?;
        }
        Ok(o)
    }
}

#[rquickjs::methods]
impl Segments {
    /// The segment containing the code unit at `index`, or undefined.
    pub fn containing<'js>(&self, ctx: Ctx<'js>, index: Opt<Coerced<f64>>) -> Result<Value<'js>> {
        let n = index.0.map(|i| i.0).unwrap_or(0.0);
        let n = if n.is_nan() { 0.0 } else { n.trunc() };
        if n < 0.0 || n >= self.utf16.len() as f64 {
            return Ok(Value::new_undefined(ctx));
        }
        let n = n as usize;
        let i = self.bounds.partition_point(|b| b.0 <= n);
        Ok(self.data(&ctx, i)?.into_value())
    }
}

pub(crate) fn define<'js>(ctx: &Ctx<'js>, intl: &Object<'js>) -> Result<()> {
    crate::define_class::<Segmenter>(ctx, intl)?;
    let proto = Class::<Segments>::prototype(ctx)?.expect("Segments has a prototype");
    let iterator: rquickjs::Symbol = ctx.globals().get::<_, Object>("Symbol")?.get("iterator")?;
    let f = Function::new(
        ctx.clone(),
        |ctx: Ctx<'js>, this: This<Class<'js, Segments>>| {
            let segments = this.0.borrow();
            let array = Array::new(ctx.clone())?;
            for i in 1..segments.bounds.len() {
                array.set(i - 1, segments.data(&ctx, i)?)?;
            }
            let values: Function = array.as_object().get("values")?;
            values.call::<_, Value>((This(array),))
        },
    )?;
    f.set_name("[Symbol.iterator]")?;
    proto.prop(
        iterator,
        rquickjs::object::Property::from(f)
            .writable()
            .configurable(),
    )
}
