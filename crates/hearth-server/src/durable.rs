//! The Durable Object side of an event-loop thread: its mailbox, its alarms
//! and the eviction of idle objects.

use hearth_runtime::durable::{shard_of, DoEvent, Envelope, Shard};
use hearth_runtime::Isolate;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::oneshot;

/// How often idle objects are looked for: often enough to evict close to
/// the idle limit.
fn eviction_tick() -> Duration {
    (hearth_runtime::durable::idle_eviction() / 2)
        .clamp(Duration::from_millis(50), Duration::from_secs(5))
}

/// Longest sleep of the alarm loop, so clock changes are noticed.
const ALARM_POLL: Duration = Duration::from_secs(30);

/// Runs this thread's Durable Objects: delivers mailbox events, fires due
/// alarms (also those scheduled before a restart) and evicts idle objects.
pub(crate) async fn serve<F>(shard: Shard, isolate: F)
where
    F: Fn() -> Result<Rc<Isolate>, String> + 'static,
{
    let isolate = Rc::new(isolate);
    let Shard {
        index,
        mut mailbox,
        alarms_changed,
    } = shard;
    let alarms = {
        let isolate = isolate.clone();
        tokio::task::spawn_local(async move {
            loop {
                let next = fire_due_alarms(index, &*isolate);
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
        let isolate = isolate.clone();
        tokio::task::spawn_local(async move {
            loop {
                tokio::time::sleep(eviction_tick()).await;
                if let Ok(iso) = isolate() {
                    iso.evict_idle_objects();
                }
            }
        })
    };
    while let Some(envelope) = mailbox.recv().await {
        match isolate() {
            Ok(iso) => iso.deliver_durable(envelope),
            Err(message) => {
                let _ = envelope.reply.send(Err(message));
            }
        }
    }
    alarms.abort();
    eviction.abort();
}

/// Delivers the alarms of this thread's objects that are due; returns the
/// milliseconds until the next one.
fn fire_due_alarms(index: usize, isolate: &dyn Fn() -> Result<Rc<Isolate>, String>) -> Option<f64> {
    let iso = isolate().ok()?;
    let alarm_index = iso.worker().alarm_index()?;
    let shards = hearth_runtime::durable::Router::get()?.shards();
    let now = hearth_runtime::durable::now_ms();
    let mut next: Option<f64> = None;
    for alarm in alarm_index.all().unwrap_or_default() {
        if shard_of(&alarm.id, shards) != index {
            continue;
        }
        if alarm.time <= now {
            let (reply, _) = oneshot::channel();
            iso.deliver_durable(Envelope {
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
