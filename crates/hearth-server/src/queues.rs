//! The queue consumer dispatcher: on one event-loop thread, it forms batches
//! of each consumed queue (full at `max_batch_size`, or once the oldest
//! message has waited `max_batch_timeout`), runs the consumer worker's
//! `queue()` handler on them and settles each message (ack, retry after its
//! delay, dead-letter queue after `max_retries`).

use crate::thread::Slot;
use hearth_config::queues::{Consumer, ConsumerType};
use hearth_queues::{now_ms, QueueStore};
use hearth_runtime::Isolate;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::Notify;

/// Longest sleep between looks at the queues, so a reload's consumers are
/// picked up and messages sent by another process are seen.
const POLL: Duration = Duration::from_secs(1);

/// How long a batch is leased to its handler: Cloudflare's 15-minute limit
/// on a consumer's wall time. A message still leased after it (the handler
/// hung) is delivered again.
const LEASE_MS: i64 = 15 * 60 * 1000;

/// Batches running now, per queue.
type Running = Rc<RefCell<HashMap<String, u32>>>;

/// Runs until the thread stops.
pub(crate) async fn serve(slot: Rc<Slot>) {
    let running: Running = Rc::default();
    let finished = Rc::new(Notify::new());
    let mut released: HashSet<PathBuf> = HashSet::new();
    loop {
        let mut wait = POLL;
        let mut store_to_watch: Option<QueueStore> = None;
        for name in slot.worker_names() {
            let Ok(isolate) = slot.isolate_of(Some(&name)) else {
                continue;
            };
            let worker = isolate.worker().clone();
            let Some(store) = worker.queue_store().cloned() else {
                continue;
            };
            // Leases of a previous run of this process (killed mid-batch)
            // are released once, before the first delivery.
            if released.insert(store.path().to_path_buf()) {
                match store.release_leases() {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("queues: {n} message(s) in flight when hearth last stopped will be delivered again"),
                    Err(e) => tracing::error!("queues: {e}"),
                }
            }
            for consumer in &worker.config().queues.consumers {
                if consumer.kind != ConsumerType::Worker {
                    continue;
                }
                let next = dispatch(&isolate, &store, consumer, &running, &finished);
                wait = wait.min(next);
            }
            store_to_watch = Some(store);
        }
        let sent = async {
            match &store_to_watch {
                Some(store) => store.sent().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = sent => {}
            _ = finished.notified() => {}
        }
    }
}

/// Starts every batch of `consumer`'s queue that is due; returns how long
/// until the next one may be.
fn dispatch(
    isolate: &Rc<Isolate>,
    store: &QueueStore,
    consumer: &Consumer,
    running: &Running,
    finished: &Rc<Notify>,
) -> Duration {
    let timeout_ms = (consumer.max_batch_timeout * 1000.0) as i64;
    loop {
        let busy = running.borrow().get(&consumer.queue).copied().unwrap_or(0);
        if busy >= consumer.max_concurrency {
            return POLL;
        }
        let now = now_ms();
        let ready = match store.ready(&consumer.queue, now) {
            Ok(ready) => ready,
            Err(e) => {
                tracing::error!("queue {}: {e}", consumer.queue);
                return POLL;
            }
        };
        let full = ready.count >= consumer.max_batch_size as u64;
        let waited = ready.oldest_ms.is_some_and(|t| now - t >= timeout_ms);
        if ready.count == 0 || !(full || waited) {
            let due = [
                ready.oldest_ms.map(|t| t + timeout_ms),
                ready.next_visible_ms.map(|t| t + timeout_ms),
            ]
            .into_iter()
            .flatten()
            .min();
            return due.map_or(POLL, |t| Duration::from_millis((t - now).max(1) as u64));
        }
        let leased = match store.lease(
            &consumer.queue,
            consumer.max_batch_size as usize,
            LEASE_MS,
            now,
        ) {
            Ok(leased) => leased,
            Err(e) => {
                tracing::error!("queue {}: {e}", consumer.queue);
                return POLL;
            }
        };
        if leased.is_empty() {
            return POLL;
        }
        *running
            .borrow_mut()
            .entry(consumer.queue.clone())
            .or_default() += 1;
        tokio::task::spawn_local(deliver(
            isolate.clone(),
            store.clone(),
            consumer.clone(),
            leased,
            running.clone(),
            finished.clone(),
        ));
    }
}

/// Runs one batch and settles its messages.
async fn deliver(
    isolate: Rc<Isolate>,
    store: QueueStore,
    consumer: Consumer,
    leased: Vec<hearth_queues::Leased>,
    running: Running,
    finished: Rc<Notify>,
) {
    let ids: Vec<String> = leased.iter().map(|m| m.id.clone()).collect();
    let started = std::time::Instant::now();
    let outcome = isolate.queue(&consumer.queue, leased).await;
    let decisions = outcome.decisions(&ids, consumer.retry_delay);
    let (queue, max_retries, dead_letter) = (
        consumer.queue.clone(),
        consumer.max_retries,
        consumer.dead_letter_queue.clone(),
    );
    // The commit's fsync happens off the event loop.
    let settled = tokio::task::spawn_blocking(move || {
        store.settle(
            &queue,
            &decisions,
            max_retries,
            dead_letter.as_deref(),
            now_ms(),
        )
    })
    .await;
    let attempts = consumer.max_retries + 1;
    match settled {
        Ok(Ok(report)) => {
            for id in &report.dead_lettered {
                tracing::warn!(
                    "queue {}: moving message \"{id}\" to dead letter queue \"{}\" after {attempts} failed attempt(s)",
                    consumer.queue,
                    consumer.dead_letter_queue.as_deref().unwrap_or_default()
                );
            }
            for id in &report.dropped {
                tracing::warn!(
                    "queue {}: dropped message \"{id}\" after {attempts} failed attempt(s) (no dead_letter_queue)",
                    consumer.queue
                );
            }
            tracing::info!(
                "QUEUE {} {}/{} acked ({} ms)",
                consumer.queue,
                report.acked,
                ids.len(),
                started.elapsed().as_millis()
            );
        }
        Ok(Err(e)) => tracing::error!("queue {}: {e}", consumer.queue),
        Err(e) => tracing::error!("queue {}: {e}", consumer.queue),
    }
    if let Some(n) = running.borrow_mut().get_mut(&consumer.queue) {
        *n = n.saturating_sub(1);
    }
    finished.notify_one();
}
