//! Per-object limits, as for workers. An object whose code runs past the CPU
//! limit is reset: its running event fails with a message naming the limit
//! (its writes are kept, as after an exception), its instance is replaced
//! (the constructor runs again on the next event) and other objects carry on.
//! Running out of memory condemns the whole isolate, as on Cloudflare: every
//! object living there fails its running event and its queued events move to
//! the isolate that replaces it.

use super::{
    drop_instance, flush, hibernation, pump, schedule_retry, set_alarm, take_all, DoFailure,
    DoResult, ObjectSlot, Router,
};
use crate::host::errors::FatalKind;
use crate::host::isolate::Core;
use std::cell::RefCell;
use std::rc::Rc;
use tokio::sync::oneshot;

/// Close code sent to an object's WebSockets when it is reset.
const RESET_CLOSE_CODE: u16 = 1011;

/// Where an event's reply goes; empty once answered.
pub(crate) type ReplySlot = Rc<RefCell<Option<oneshot::Sender<DoResult>>>>;

/// An event an object is running, kept so a reset can answer it.
pub(crate) struct Running {
    /// Where the event's reply goes.
    pub(crate) reply: ReplySlot,
    /// Whether it is an alarm (retried after a reset).
    pub(crate) is_alarm: bool,
}

/// Whether the end of `slot`'s event (logged with `message`) came from a
/// broken limit, as the engine recorded it; this module then handles it,
/// otherwise the caller reports the outcome.
pub(crate) fn stopped_by_limit(
    core: &Rc<Core>,
    slot: &Rc<ObjectSlot>,
    message: impl FnOnce() -> String,
) -> bool {
    if core.cpu_tripped.get() || slot.resetting.get() {
        cpu_exceeded(core, slot);
        true
    } else if core.budget.exceeded() {
        // Condemns the isolate, which retires every object (see `retire_all`).
        core.condemn(FatalKind::Memory);
        core.report(
            &format!(
                "Durable Object {} {} ran out of memory",
                slot.class, slot.id
            ),
            &message(),
        );
        true
    } else {
        false
    }
}

/// Resets an object whose code ran past the CPU limit. Idempotent until the
/// new instance is in place.
pub(crate) fn cpu_exceeded(core: &Rc<Core>, slot: &Rc<ObjectSlot>) {
    if slot.resetting.replace(true) {
        return;
    }
    let message = FatalKind::Cpu.explain_durable(core.cpu_limit, core.worker.memory_limit());
    tracing::error!(
        target: "hearth::js",
        "[{}] Durable Object {} {}: {message}",
        core.worker.name(),
        slot.class,
        slot.id
    );
    if abandon_events(slot, &message) {
        schedule_retry(core, slot);
    }
    hibernation::close_all(
        core,
        &slot.class,
        &slot.id,
        RESET_CLOSE_CODE,
        "Durable Object reset",
    );
    let (core, slot) = (core.clone(), slot.clone());
    // The instance is dropped outside the run that was interrupted.
    tokio::task::spawn_local(async move {
        drop_instance(&core, &slot);
        slot.resetting.set(false);
        pump(&core, &slot);
    });
}

/// Takes every object out of a condemned isolate: running events fail,
/// queued ones go to the replacement isolate, WebSockets are closed.
pub(crate) fn retire_all(core: &Core, kind: FatalKind) {
    let message = match kind {
        FatalKind::Memory => kind.explain_durable(core.cpu_limit, core.worker.memory_limit()),
        FatalKind::Cpu => {
            "Durable Object's isolate was reset because the worker exceeded its CPU time limit."
                .into()
        }
    };
    for slot in take_all(core) {
        slot.retired.set(true);
        if abandon_events(&slot, &message) {
            // The alarm was cleared when it started; bring it back.
            set_alarm(core, &slot, Some(super::now_ms()));
        }
        // Whatever the object wrote is stored before the slot goes away.
        if slot.storage.borrow().has_uncommitted() {
            let _ = slot.storage.borrow_mut().end_event();
            flush(&slot);
        }
        hibernation::close_all(
            core,
            &slot.class,
            &slot.id,
            RESET_CLOSE_CODE,
            "Durable Object reset",
        );
        forward_queue(&slot);
    }
}

/// Sends a retired object's queued events back through the router, which
/// hands them to the replacement isolate.
pub(crate) fn forward_queue(slot: &ObjectSlot) {
    let queued: Vec<_> = slot.queue.borrow_mut().drain(..).collect();
    let router = Router::get();
    for envelope in queued {
        match &router {
            Some(router) => router.send(envelope),
            None => {
                let _ = envelope
                    .reply
                    .send(Err("the Durable Object's isolate was reset".into()));
            }
        }
    }
}

/// Fails the object's running events with `message`. As with an exception,
/// the writes they made are kept, except those of a `transaction()` one was
/// inside (never finished, so rolled back); the errors leave through the
/// output gate like any reply. Returns whether an alarm was among them.
fn abandon_events(slot: &Rc<ObjectSlot>, message: &str) -> bool {
    let needed = {
        let mut storage = slot.storage.borrow_mut();
        while storage.in_savepoint() {
            if storage.rollback_savepoint().is_err() {
                break;
            }
        }
        storage
            .end_event()
            .unwrap_or_else(|_| storage.writing_events())
    };
    *slot.gate_holder.borrow_mut() = None;
    let running = std::mem::take(&mut *slot.running.borrow_mut());
    let (mut alarm, mut held) = (false, false);
    for event in running {
        let Some(reply) = event.reply.borrow_mut().take() else {
            continue;
        };
        alarm |= event.is_alarm;
        let error = DoFailure::Reset(message.to_string());
        if slot.gate.must_wait(needed) {
            held = true;
            slot.gate.hold(
                needed,
                Box::new(move |stored: Result<(), String>| {
                    let _ = reply.send(stored.map_err(DoFailure::from).and(Err(error)));
                }),
            );
        } else {
            let _ = reply.send(Err(error));
        }
    }
    if held {
        flush(slot);
    }
    alarm
}
