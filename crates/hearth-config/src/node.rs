//! A format-neutral tree of configuration values, remembering where each
//! value came from (line and column) when the parser can tell.
//!
//! TOML input keeps positions for every value; JSON/JSONC input (parsed by
//! `json5`) only reports positions for syntax errors.

use std::fmt;
use std::ops::Range;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One-based line and column in the configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

/// A parsed value plus its position, when known.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: Kind,
    pub pos: Option<Pos>,
}

/// The shape of a parsed value. Tables keep the file's key order.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Node>),
    Table(Vec<(String, Node)>),
}

impl Node {
    /// A short, human name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Array(_) => "an array",
            Kind::Table(_) => "a table",
        }
    }

    /// Entries of a table, or `None` if this is not a table.
    pub fn table(&self) -> Option<&[(String, Node)]> {
        match &self.kind {
            Kind::Table(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value stored under `key`, if this is a table that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.table()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value)
    }

    /// Converts the tree to JSON (used for `vars`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Array(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Table(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    fn from_json(value: serde_json::Value) -> Node {
        use serde_json::Value;
        let kind = match value {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Kind::Int(i),
                None => Kind::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Kind::Str(s),
            Value::Array(items) => Kind::Array(items.into_iter().map(Node::from_json).collect()),
            Value::Object(map) => Kind::Table(
                map.into_iter()
                    .map(|(k, v)| (k, Node::from_json(v)))
                    .collect(),
            ),
        };
        Node { kind, pos: None }
    }
}

/// A syntax error: message, position when known, and the key on that line
/// when one can be recognised.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub message: String,
    pub pos: Option<Pos>,
    pub key: Option<String>,
}

/// Parses TOML text, keeping positions.
pub(crate) fn parse_toml(src: &str) -> Result<Node, SyntaxError> {
    match toml::from_str::<TNode>(src) {
        Ok(root) => Ok(root.into_node(&LineIndex::new(src))),
        Err(err) => {
            let pos = err.span().map(|span| LineIndex::new(src).pos(span.start));
            Err(SyntaxError {
                message: err.message().trim().to_string(),
                key: pos.and_then(|p| key_on_line(src, p.line)),
                pos,
            })
        }
    }
}

/// Parses JSON or JSONC (comments and trailing commas allowed).
pub(crate) fn parse_json(src: &str) -> Result<Node, SyntaxError> {
    match json5::from_str::<serde_json::Value>(src) {
        Ok(value) => Ok(Node::from_json(value)),
        Err(json5::Error::Message { msg, location }) => {
            let pos = location.map(|l| Pos {
                line: l.line,
                column: l.column,
            });
            // pest renders a multi-line diagram; keep its "= ..." summary line.
            let message = msg
                .lines()
                .map(str::trim)
                .find_map(|l| l.strip_prefix("= "))
                .unwrap_or(msg.trim())
                .to_string();
            Err(SyntaxError {
                message,
                key: pos.and_then(|p| key_on_line(src, p.line)),
                pos,
            })
        }
    }
}

/// Best-effort guess of the key written on a (one-based) line: the part before
/// `=` / `:`, or a `[table]` header.
fn key_on_line(src: &str, line: usize) -> Option<String> {
    let text = src.lines().nth(line.checked_sub(1)?)?.trim();
    let key = if let Some(header) = text.strip_prefix('[') {
        header.trim_start_matches('[').split(']').next()?.trim()
    } else {
        let end = text.find(['=', ':'])?;
        text[..end].trim()
    };
    let key = key.trim_matches('"').trim_matches('\'').trim();
    let plausible = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '"'));
    plausible.then(|| key.to_string())
}

/// Maps byte offsets to one-based line/column pairs.
struct LineIndex<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { src, starts }
    }

    fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.src.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = self
            .src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Pos { line, column }
    }
}

// --- TOML with spans -------------------------------------------------------
//
// `toml` hands out value positions through the `serde_spanned` protocol: a
// struct request with these magic names is answered with a map holding the
// start, end and value. Unlike `toml::Spanned`, the visitor below also accepts
// values the parser has no span for (implicit tables) and simply records no
// position for them, so it degrades gracefully.

const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";
const SPANNED_FIELDS: &[&str] = &[SPANNED_START, SPANNED_END, SPANNED_VALUE];
const DATETIME_FIELD: &str = "$__toml_private_datetime";

struct TNode {
    kind: TKind,
    span: Option<Range<usize>>,
}

enum TKind {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<TNode>),
    Table(Vec<(String, TNode)>),
}

impl TNode {
    fn into_node(self, index: &LineIndex<'_>) -> Node {
        let kind = match self.kind {
            TKind::Bool(b) => Kind::Bool(b),
            TKind::Int(i) => Kind::Int(i),
            TKind::Float(f) => Kind::Float(f),
            TKind::Str(s) => Kind::Str(s),
            TKind::Array(items) => {
                Kind::Array(items.into_iter().map(|n| n.into_node(index)).collect())
            }
            TKind::Table(entries) => Kind::Table(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, v.into_node(index)))
                    .collect(),
            ),
        };
        Node {
            kind,
            pos: self.span.map(|s| index.pos(s.start)),
        }
    }
}

impl<'de> Deserialize<'de> for TNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, TVisitor { spanned: true })
    }
}

/// The value inside a spanned wrapper (must not ask for a span again).
struct Inner(TNode);

impl<'de> Deserialize<'de> for Inner {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TVisitor { spanned: false }).map(Inner)
    }
}

struct TVisitor {
    spanned: bool,
}

fn plain(kind: TKind) -> TNode {
    TNode { kind, span: None }
}

impl<'de> Visitor<'de> for TVisitor {
    type Value = TNode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<TNode, E> {
        Ok(plain(TKind::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<TNode, E> {
        Ok(plain(TKind::Int(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<TNode, E> {
        Ok(plain(match i64::try_from(v) {
            Ok(i) => TKind::Int(i),
            Err(_) => TKind::Float(v as f64),
        }))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<TNode, E> {
        Ok(plain(TKind::Float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<TNode, E> {
        Ok(plain(TKind::Str(v.to_string())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<TNode, E> {
        Ok(plain(TKind::Str(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<TNode>()? {
            items.push(item);
        }
        Ok(plain(TKind::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TNode, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Ok(plain(TKind::Table(Vec::new())));
        };
        if self.spanned && first == SPANNED_START {
            let start: usize = map.next_value()?;
            let mut end = start;
            let mut value = None;
            while let Some(key) = map.next_key::<String>()? {
                if key == SPANNED_END {
                    end = map.next_value()?;
                } else if key == SPANNED_VALUE {
                    value = Some(map.next_value::<Inner>()?.0);
                } else {
                    return Err(de::Error::custom(format!("unexpected span field {key}")));
                }
            }
            let mut node = value.ok_or_else(|| de::Error::custom("span without value"))?;
            node.span = Some(start..end.max(start));
            return Ok(node);
        }
        if first == DATETIME_FIELD {
            let text: String = map.next_value()?;
            return Ok(plain(TKind::Str(text)));
        }
        let mut entries = vec![(first, map.next_value::<TNode>()?)];
        while let Some(key) = map.next_key::<String>()? {
            entries.push((key, map.next_value::<TNode>()?));
        }
        Ok(plain(TKind::Table(entries)))
    }
}
