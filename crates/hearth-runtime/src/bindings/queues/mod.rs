//! Queues: the producer natives behind `env.MY_QUEUE.send()` /
//! `sendBatch()`, over `hearth-queues` (a send resolves once its messages
//! are on disk), and the consumer entry point, [`Isolate::queue`], which
//! runs the worker's `queue(batch, env, ctx)` handler and reads back what it
//! decided for each message.

use crate::host::bytes::{bytes_of, new_array_buffer};
use crate::host::errors::describe;
use crate::host::event_loop::{current, enter, settle, spawn_op};
use crate::host::isolate::{caught, internal, on_settled, Isolate};
use crate::web::structured_clone::{deserialize, serialize, Purpose};
use hearth_queues::{limits, ContentType, Leased, NewMessage, Settle};
use rquickjs::{Array, Ctx, Exception, Function, Object, Value};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use tokio::sync::oneshot;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("queueSend", Function::new(ctx.clone(), queue_send)?)?;
    Ok(())
}

/// A delay given in JavaScript, checked against Cloudflare's limit.
fn delay(what: &str, seconds: Option<f64>) -> Result<Option<u32>, String> {
    match seconds {
        None => Ok(None),
        Some(s) => match limits::check_delay(s) {
            Some(message) => Err(format!("{what}: {message}")),
            None => Ok(Some(s as u32)),
        },
    }
}

/// Sends `items` (`[contentType, body, delaySeconds]` each, the body
/// already a string for text and JSON) to the queue behind `binding`;
/// `batch_delay` applies to items without their own delay.
fn queue_send<'js>(
    ctx: Ctx<'js>,
    binding: String,
    items: Array<'js>,
    batch_delay: Option<f64>,
    batch: bool,
) -> rquickjs::Result<rquickjs::Promise<'js>> {
    let what = if batch {
        "Queue sendBatch failed"
    } else {
        "Queue send failed"
    };
    let worker = current().worker.clone();
    let (Some(producer), Some(store)) = (worker.queue_producer(&binding), worker.queue_store())
    else {
        return Err(Exception::throw_internal(
            &ctx,
            &format!("no queue binding {binding}"),
        ));
    };
    let (queue, store) = (producer.queue.clone(), store.clone());
    let fail = |ctx: &Ctx<'js>, message: String| Exception::throw_message(ctx, &message);
    let batch_delay = delay(what, batch_delay).map_err(|m| fail(&ctx, m))?;
    let default_delay = batch_delay.unwrap_or(producer.delivery_delay);
    let mut messages = Vec::with_capacity(items.len());
    for item in items.iter::<Array>() {
        let item = item?;
        let kind: String = item.get(0)?;
        let body: Value = item.get(1)?;
        let content_type = ContentType::parse(&kind).ok_or_else(|| {
            Exception::throw_type(
                &ctx,
                &format!("Unsupported queue message content type: {kind}"),
            )
        })?;
        let bytes = match content_type {
            ContentType::V8 => serialize(&ctx, &body, Purpose::Store)?,
            ContentType::Bytes => bytes_of(&body).unwrap_or_default(),
            ContentType::Text | ContentType::Json => body
                .as_string()
                .map(|s| s.to_string())
                .transpose()?
                .unwrap_or_default()
                .into_bytes(),
        };
        let own_delay = delay(what, item.get::<Option<f64>>(2)?).map_err(|m| fail(&ctx, m))?;
        messages.push(NewMessage {
            content_type,
            body: bytes,
            delay_seconds: own_delay,
        });
    }
    spawn_op(&ctx, async move {
        let sent = tokio::task::spawn_blocking(move || store.send(&queue, messages, default_delay))
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        sent.map_err(|e| format!("{what}: {e}"))?;
        Ok(settle(|ctx| Ok(Value::new_undefined(ctx.clone()))))
    })
}

/// What a `queue()` handler decided for its batch.
#[derive(Debug, Default)]
pub struct QueueOutcome {
    acks: HashSet<String>,
    retries: HashMap<String, Option<u32>>,
    ack_all: bool,
    retry_all: Option<Option<u32>>,
    /// The handler threw (or could not run): the message, with its stack.
    pub error: Option<String>,
}

impl QueueOutcome {
    fn failed(message: String) -> QueueOutcome {
        QueueOutcome {
            error: Some(message),
            ..QueueOutcome::default()
        }
    }

    /// The fate of each of `ids`, as Cloudflare decides it: an explicit
    /// `ack()` / `retry()` first, then `ackAll()` / `retryAll()`; a message
    /// nothing was said of is acked when the handler returned and retried
    /// when it threw. Retries without a delay of their own wait
    /// `retry_delay` seconds (the consumer's setting).
    pub fn decisions(&self, ids: &[String], retry_delay: u32) -> Vec<(String, Settle)> {
        let retry = |d: Option<u32>| Settle::Retry {
            delay_seconds: d.unwrap_or(retry_delay),
        };
        ids.iter()
            .map(|id| {
                let fate = if self.acks.contains(id) {
                    Settle::Ack
                } else if let Some(d) = self.retries.get(id) {
                    retry(*d)
                } else if self.ack_all {
                    Settle::Ack
                } else if let Some(d) = self.retry_all {
                    retry(d)
                } else if self.error.is_some() {
                    retry(None)
                } else {
                    Settle::Ack
                };
                (id.clone(), fate)
            })
            .collect()
    }
}

/// `[id, timestamp, contentType, body, attempts]` for the batch's JavaScript.
fn message_row<'js>(ctx: &Ctx<'js>, m: Leased) -> rquickjs::Result<Array<'js>> {
    let row = Array::new(ctx.clone())?;
    row.set(0, m.id.as_str())?;
    row.set(1, m.timestamp_ms as f64)?;
    row.set(2, m.content_type.as_str())?;
    let body = match m.content_type {
        ContentType::Text | ContentType::Json => {
            rquickjs::String::from_str(ctx.clone(), &String::from_utf8_lossy(&m.body))?.into_value()
        }
        ContentType::Bytes => new_array_buffer(ctx, m.body)?,
        ContentType::V8 => deserialize(ctx, &m.body)?,
    };
    row.set(3, body)?;
    row.set(4, m.attempts)?;
    Ok(row)
}

/// Reads `[acks, [[id, delay]], ackAll, retryAll, retryAllDelay]`.
fn read_decisions(value: &Array<'_>, outcome: &mut QueueOutcome) -> rquickjs::Result<()> {
    let acks: Vec<String> = value.get(0)?;
    outcome.acks = acks.into_iter().collect();
    let retries: Vec<(String, Option<u32>)> = value
        .get::<Vec<Array>>(1)?
        .into_iter()
        .map(|pair| Ok((pair.get(0)?, pair.get(1)?)))
        .collect::<rquickjs::Result<_>>()?;
    outcome.retries = retries.into_iter().collect();
    outcome.ack_all = value.get(2)?;
    if value.get::<bool>(3)? {
        outcome.retry_all = Some(value.get(4)?);
    }
    Ok(())
}

/// Queue consumers: the entry point the server's dispatcher calls.
impl Isolate {
    /// Runs the worker's `queue()` handler on a batch of leased messages of
    /// `queue` and returns what it decided; never fails (a handler that
    /// throws is an outcome, logged here).
    pub async fn queue(&self, queue: &str, messages: Vec<Leased>) -> QueueOutcome {
        let (tx, rx) = oneshot::channel::<QueueOutcome>();
        let tx = Rc::new(RefCell::new(Some(tx)));
        let send = move |outcome: QueueOutcome| {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(outcome);
            }
        };
        enter(self.core(), |ctx| {
            let run = || -> rquickjs::Result<rquickjs::Promise> {
                let rows = Array::new(ctx.clone())?;
                for (i, m) in messages.into_iter().enumerate() {
                    rows.set(i, message_row(&ctx, m)?)?;
                }
                let run: Function = internal(&ctx)?.get("runQueue")?;
                run.call((queue, rows))
            };
            let promise = match run() {
                Ok(p) => p,
                Err(e) => return send(QueueOutcome::failed(caught(&ctx, e))),
            };
            let ok = send.clone();
            let attached = on_settled(
                &ctx,
                &promise,
                move |ctx, value| {
                    let read = || -> rquickjs::Result<QueueOutcome> {
                        let result: Array = rquickjs::FromJs::from_js(ctx, value)?;
                        let mut outcome = QueueOutcome::default();
                        read_decisions(&result.get::<Array>(0)?, &mut outcome)?;
                        if result.get::<bool>(1)? {
                            outcome.error = Some(describe(ctx, result.get(2)?));
                        }
                        Ok(outcome)
                    };
                    ok(read().unwrap_or_else(|e| QueueOutcome::failed(caught(ctx, e))));
                },
                {
                    let send = send.clone();
                    move |ctx, e| send(QueueOutcome::failed(describe(ctx, e)))
                },
            );
            if let Err(e) = attached {
                tracing::error!("cannot await the queue handler: {e}");
            }
        });
        let outcome = rx.await.unwrap_or_else(|_| {
            QueueOutcome::failed("the queue handler never finished".to_string())
        });
        if let Some(message) = &outcome.error {
            self.core()
                .report("uncaught exception in queue handler", message);
        }
        outcome
    }
}
