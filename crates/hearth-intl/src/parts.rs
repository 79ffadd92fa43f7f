//! `formatToParts`: turning ICU4X's annotated output (writeable parts) into
//! ECMA-402's `{ type, value }` list.

use rquickjs::{Array, Ctx, Object, Result};
use writeable::{Part, PartsWrite, Writeable};

/// Output text with the outermost annotated ranges.
#[derive(Default)]
pub(crate) struct Collected {
    pub(crate) text: String,
    /// `(start, end, part)` in byte offsets of `text`, outermost first.
    pub(crate) spans: Vec<(usize, usize, Part)>,
}

struct Sink<'a> {
    out: &'a mut Collected,
    depth: usize,
}

impl std::fmt::Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.out.text.push_str(s);
        Ok(())
    }
}

impl PartsWrite for Sink<'_> {
    type SubPartsWrite = Self;
    fn with_part(
        &mut self,
        part: Part,
        mut f: impl FnMut(&mut Self::SubPartsWrite) -> std::fmt::Result,
    ) -> std::fmt::Result {
        let start = self.out.text.len();
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        let end = self.out.text.len();
        if end > start {
            self.out.spans.push((start, end, part));
        }
        r
    }
}

/// Writes `w` and records every annotated range.
pub(crate) fn collect(w: &impl Writeable) -> Collected {
    let mut out = Collected::default();
    let mut sink = Sink {
        out: &mut out,
        depth: 0,
    };
    let _ = w.write_to_parts(&mut sink);
    out
}

/// Splits `collected` into `(type, value)` pieces. `name` maps an ICU4X part
/// to an ECMA-402 type (or `None` to look inside it, at the parts nested in
/// it); text outside any named part is a `literal`.
pub(crate) fn split(
    collected: &Collected,
    name: impl Fn(&Part) -> Option<&'static str>,
) -> Vec<(&'static str, String)> {
    // Spans are recorded innermost first; each byte belongs to the innermost
    // named span covering it (an integer's group separators are their own
    // pieces).
    let len = collected.text.len();
    let mut owner: Vec<Option<(usize, &'static str)>> = vec![None; len];
    for (i, (start, end, part)) in collected.spans.iter().enumerate() {
        if let Some(ty) = name(part) {
            for slot in owner.iter_mut().take(*end).skip(*start) {
                if slot.is_none() {
                    *slot = Some((i, ty));
                }
            }
        }
    }
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut last: Option<Option<usize>> = None;
    for (at, ch) in collected.text.char_indices() {
        let (id, ty) = match owner[at] {
            Some((id, ty)) => (Some(id), ty),
            None => (None, "literal"),
        };
        if last == Some(id) && (id.is_some() || out.last().map(|p| p.0) == Some("literal")) {
            out.last_mut().expect("continues a piece").1.push(ch);
        } else {
            out.push((ty, ch.to_string()));
        }
        last = Some(id);
    }
    out
}

/// Builds the JavaScript array of `{ type, value }` objects.
pub(crate) fn to_js<'js>(
    ctx: &Ctx<'js>,
    pieces: impl IntoIterator<Item = (&'static str, String)>,
) -> Result<Array<'js>> {
    let array = Array::new(ctx.clone())?;
    for (i, (ty, value)) in pieces.into_iter().enumerate() {
        let o = Object::new(ctx.clone())?;
        o.set("type", ty)?;
        o.set("value", value)?;
        array.set(i, o)?;
    }
    Ok(array)
}
