//! Rate limiting bindings: `[[ratelimits]]` and the older
//! `[[unsafe.bindings]] type = "ratelimit"` form, validated as Cloudflare
//! does (the period is 10 or 60 seconds).

use crate::node::{Kind, Node};
use crate::{Loader, Result};

/// One rate limiting binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// Name on `env`.
    pub name: String,
    /// `namespace_id`: bindings with the same id share their counters.
    pub namespace_id: String,
    /// `simple.limit`: calls allowed per key and period.
    pub limit: u32,
    /// `simple.period` in seconds: 10 or 60.
    pub period: u32,
}

impl Loader<'_> {
    /// `[[ratelimits]]`.
    pub(crate) fn ratelimit(&mut self, node: &Node, key: &str) -> Result<RateLimit> {
        self.fields(
            node,
            key,
            &[("name", None), ("namespace_id", None), ("simple", None)],
        )?;
        self.ratelimit_fields(node, key)
    }

    /// `unsafe`: its `bindings` of type `ratelimit` (other types and keys
    /// are warned about and ignored).
    pub(crate) fn unsafe_ratelimits(&mut self, node: &Node, key: &str) -> Result<Vec<RateLimit>> {
        let why = "`unsafe` metadata is not applied";
        self.fields(
            node,
            key,
            &[
                ("bindings", None),
                ("metadata", Some(why)),
                ("capnp", Some(why)),
            ],
        )?;
        let Some(bindings) = node.get("bindings") else {
            return Ok(Vec::new());
        };
        let key = format!("{key}.bindings");
        let mut out = Vec::new();
        for (i, item) in self.array(bindings, &key)?.iter().enumerate() {
            let item_key = format!("{key}[{i}]");
            match self.opt_string(item, &item_key, "type")?.as_deref() {
                Some("ratelimit") => {
                    self.fields(
                        item,
                        &item_key,
                        &[
                            ("name", None),
                            ("type", None),
                            ("namespace_id", None),
                            ("simple", None),
                        ],
                    )?;
                    out.push(self.ratelimit_fields(item, &item_key)?);
                }
                other => self.warn(
                    item,
                    &item_key,
                    format!(
                        "hearth ignores `unsafe` bindings of type {}; only \"ratelimit\" is supported",
                        other.unwrap_or("(none)")
                    ),
                ),
            }
        }
        Ok(out)
    }

    fn ratelimit_fields(&mut self, node: &Node, key: &str) -> Result<RateLimit> {
        let name = self.req_string(
            node,
            key,
            "name",
            "each rate limiter needs a binding name, e.g. name = \"MY_RATE_LIMITER\"",
        )?;
        let namespace_id = match node.get("namespace_id") {
            Some(v) => match &v.kind {
                Kind::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.clone(),
                Kind::Int(n) if *n >= 0 => n.to_string(),
                _ => {
                    return Err(self.invalid(
                        v,
                        &format!("{key}.namespace_id"),
                        "expected a positive integer (as a string or a number), e.g. \"1001\""
                            .to_string(),
                    ))
                }
            },
            None => {
                return Err(self.missing(
                    node,
                    &format!("{key}.namespace_id"),
                    "a positive integer unique to the account, e.g. \"1001\"",
                ))
            }
        };
        let simple_key = format!("{key}.simple");
        let simple = node.get("simple").ok_or_else(|| {
            self.missing(
                node,
                &simple_key,
                "e.g. simple = { limit = 100, period = 60 }",
            )
        })?;
        self.fields(simple, &simple_key, &[("limit", None), ("period", None)])?;
        let number = |field: &str, what: &str| -> Result<i64> {
            let path = format!("{simple_key}.{field}");
            match simple.get(field) {
                Some(Node {
                    kind: Kind::Int(n), ..
                }) => Ok(*n),
                Some(v) => Err(self.invalid(v, &path, format!("expected {what}"))),
                None => Err(self.missing(simple, &path, what)),
            }
        };
        let limit = number("limit", "a whole number of calls, e.g. 100")?;
        if !(1..=u32::MAX as i64).contains(&limit) {
            return Err(self.invalid(
                simple,
                &format!("{simple_key}.limit"),
                "expected a positive whole number of calls".to_string(),
            ));
        }
        let period = number("period", "10 or 60 (seconds)")?;
        if period != 10 && period != 60 {
            return Err(self.invalid(
                simple.get("period").unwrap_or(simple),
                &format!("{simple_key}.period"),
                format!("the period must be 10 or 60 seconds, not {period}"),
            ));
        }
        Ok(RateLimit {
            name,
            namespace_id,
            limit: limit as u32,
            period: period as u32,
        })
    }
}
