//! The Durable Object side of an event-loop thread: its mailbox, its alarms
//! and the eviction of idle objects.

use crate::thread::Slot;
use hearth_runtime::bindings::durable::{shard_of, DoEvent, Envelope, Shard};
use hearth_runtime::Isolate;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How often idle objects are looked for: often enough to evict close to
/// the idle limit.
fn eviction_tick() -> Duration {
    (hearth_runtime::bindings::durable::idle_eviction() / 2)
        .clamp(Duration::from_millis(50), Duration::from_secs(5))
}

/// Longest sleep of the alarm loop, so clock changes are noticed.
const ALARM_POLL: Duration = Duration::from_secs(30);

/// Runs this thread's Durable Objects, of every served worker: delivers
/// mailbox events to the isolate of the worker hosting the class, fires due
/// alarms (also those scheduled before a restart) and evicts idle objects.
pub(crate) async fn serve(shard: Shard, slot: Rc<Slot>) {
    let Shard {
        index,
        mut mailbox,
        alarms_changed,
    } = shard;
    let alarms = {
        let slot = slot.clone();
        tokio::task::spawn_local(async move {
            loop {
                let next = slot
                    .durable_isolates()
                    .into_iter()
                    .filter_map(|iso| fire_due_alarms(index, iso))
                    .reduce(f64::min);
                let wait = next
                    .map(|ms| Duration::from_millis(ms.max(0.0) as u64))
                    .unwrap_or(ALARM_POLL)
                    .min(ALARM_POLL);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = alarms_changed.notified() => {}
                }
            }
        })
    };
    let eviction = {
        let slot = slot.clone();
        tokio::task::spawn_local(async move {
            loop {
                tokio::time::sleep(eviction_tick()).await;
                for iso in slot.durable_isolates() {
                    iso.evict_idle_objects();
                }
            }
        })
    };
    while let Some(envelope) = mailbox.recv().await {
        match slot.isolate_of(Some(&envelope.worker)) {
            Ok(iso) => iso.deliver_durable(envelope),
            Err(message) => {
                let _ = envelope.reply.send(Err(message.into()));
            }
        }
    }
    alarms.abort();
    eviction.abort();
}

/// Delivers the alarms of this thread's objects of one worker that are due;
/// returns the milliseconds until the next one.
fn fire_due_alarms(index: usize, iso: Rc<Isolate>) -> Option<f64> {
    let alarm_index = iso.worker().alarm_index()?;
    let shards = hearth_runtime::bindings::durable::Router::get()?.shards();
    let now = hearth_runtime::bindings::durable::now_ms();
    let mut next: Option<f64> = None;
    for alarm in alarm_index.all().unwrap_or_default() {
        if shard_of(&alarm.id, shards) != index {
            continue;
        }
        if alarm.time <= now {
            let (reply, _) = oneshot::channel();
            iso.deliver_durable(Envelope {
                worker: iso.worker().name().to_string(),
                class: alarm.class,
                id: alarm.id,
                name: alarm.name,
                event: DoEvent::Alarm,
                reply,
            });
        } else {
            let wait = alarm.time - now;
            next = Some(next.map_or(wait, |n: f64| n.min(wait)));
        }
    }
    next
}
