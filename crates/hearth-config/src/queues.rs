//! The `queues` key: `[[queues.producers]]` bindings and
//! `[[queues.consumers]]`, validated as wrangler validates them.

use crate::node::{Kind, Node};
use crate::{Loader, Result};

/// `queues`: what this worker sends to and consumes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Queues {
    /// `[[queues.producers]]`.
    pub producers: Vec<Producer>,
    /// `[[queues.consumers]]`.
    pub consumers: Vec<Consumer>,
}

/// A producer binding: `env.<binding>.send()` sends to `queue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Producer {
    /// Name on `env`.
    pub binding: String,
    /// The queue's name.
    pub queue: String,
    /// `delivery_delay`: seconds every message waits unless it names its own.
    pub delivery_delay: u32,
}

/// How a consumer gets its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerType {
    /// The worker's `queue()` handler (the default).
    Worker,
    /// `type = "http_pull"`: pulled over the HTTP API.
    HttpPull,
}

/// A consumer of `queue`.
#[derive(Debug, Clone, PartialEq)]
pub struct Consumer {
    /// The queue's name.
    pub queue: String,
    /// `type`.
    pub kind: ConsumerType,
    /// `max_batch_size` (1-100, default 10).
    pub max_batch_size: u32,
    /// `max_batch_timeout` in seconds (0-60, default 5).
    pub max_batch_timeout: f64,
    /// `max_retries` (0-100, default 3).
    pub max_retries: u32,
    /// `dead_letter_queue`.
    pub dead_letter_queue: Option<String>,
    /// `retry_delay` in seconds (default 0).
    pub retry_delay: u32,
    /// `max_concurrency`: batches delivered at once (default 1 locally).
    pub max_concurrency: u32,
}

impl Loader<'_> {
    pub(crate) fn queues(&mut self, node: &Node, key: &str) -> Result<Queues> {
        self.fields(node, key, &[("producers", None), ("consumers", None)])?;
        let producers = match node.get("producers") {
            Some(n) => self.each(n, &format!("{key}.producers"), Self::producer)?,
            None => Vec::new(),
        };
        let consumers = match node.get("consumers") {
            Some(n) => self.each(n, &format!("{key}.consumers"), Self::consumer)?,
            None => Vec::new(),
        };
        Ok(Queues {
            producers,
            consumers,
        })
    }

    fn producer(&mut self, node: &Node, key: &str) -> Result<Producer> {
        self.fields(
            node,
            key,
            &[("binding", None), ("queue", None), ("delivery_delay", None)],
        )?;
        Ok(Producer {
            binding: self.req_string(
                node,
                key,
                "binding",
                "each queue producer needs a binding name, e.g. binding = \"MY_QUEUE\"",
            )?,
            queue: self.req_string(
                node,
                key,
                "queue",
                "name the queue, e.g. queue = \"my-queue\"",
            )?,
            delivery_delay: self
                .whole(node, key, "delivery_delay", 0, 43_200)?
                .unwrap_or(0),
        })
    }

    fn consumer(&mut self, node: &Node, key: &str) -> Result<Consumer> {
        self.fields(
            node,
            key,
            &[
                ("queue", None),
                ("type", None),
                ("max_batch_size", None),
                ("max_batch_timeout", None),
                ("max_retries", None),
                ("dead_letter_queue", None),
                ("retry_delay", None),
                ("max_concurrency", None),
                (
                    "visibility_timeout_ms",
                    Some("an http_pull consumer's lease is given with each pull"),
                ),
            ],
        )?;
        let kind = match self.opt_string(node, key, "type")?.as_deref() {
            None | Some("worker") => ConsumerType::Worker,
            Some("http_pull") => ConsumerType::HttpPull,
            Some(other) => {
                return Err(self.invalid(
                    node.get("type").expect("it was read"),
                    &format!("{key}.type"),
                    format!("unknown consumer type \"{other}\"; use \"worker\" or \"http_pull\""),
                ))
            }
        };
        let max_batch_timeout = match node.get("max_batch_timeout") {
            None => 5.0,
            Some(v) => match v.kind {
                Kind::Int(n) if (0..=60).contains(&n) => n as f64,
                Kind::Float(f) if (0.0..=60.0).contains(&f) => f,
                _ => {
                    return Err(self.invalid(
                        v,
                        &format!("{key}.max_batch_timeout"),
                        "expected a number of seconds from 0 to 60, e.g. 5".to_string(),
                    ))
                }
            },
        };
        Ok(Consumer {
            queue: self.req_string(
                node,
                key,
                "queue",
                "name the queue, e.g. queue = \"my-queue\"",
            )?,
            kind,
            max_batch_size: self
                .whole(node, key, "max_batch_size", 1, 100)?
                .unwrap_or(10),
            max_batch_timeout,
            max_retries: self.whole(node, key, "max_retries", 0, 100)?.unwrap_or(3),
            dead_letter_queue: self.opt_string(node, key, "dead_letter_queue")?,
            retry_delay: self
                .whole(node, key, "retry_delay", 0, 43_200)?
                .unwrap_or(0),
            max_concurrency: self
                .whole(node, key, "max_concurrency", 1, 250)?
                .unwrap_or(1),
        })
    }

    /// An optional whole number from `min` to `max`.
    fn whole(
        &self,
        node: &Node,
        key: &str,
        field: &str,
        min: i64,
        max: i64,
    ) -> Result<Option<u32>> {
        match node.get(field) {
            None => Ok(None),
            Some(v) => match v.kind {
                Kind::Int(n) if (min..=max).contains(&n) => Ok(Some(n as u32)),
                _ => Err(self.invalid(
                    v,
                    &format!("{key}.{field}"),
                    format!("expected a whole number from {min} to {max}"),
                )),
            },
        }
    }
}
