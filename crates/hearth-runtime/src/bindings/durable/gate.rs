//! An object's output gate (see [`crate::host::output_gate`]) as its
//! storage numbers writes: what an object sends after a storage write
//! leaves only once that write is durable, like its HTTP replies. "After a write" covers writes still open in the running event
//! and writes committed but not yet `fsync`ed. A message that follows no
//! pending write goes out at once, unless earlier ones are still held (the
//! order of messages is kept).

use super::{flush, ObjectSlot};
use std::rc::Rc;

/// Numbers the writes made so far (as if an event ended) and returns the
/// number a message sent now must see durable. Inside `transaction()` the
/// writes cannot be numbered yet (numbering ends nested transactions): the
/// message then waits for the end of the running event.
fn barrier(slot: &ObjectSlot) -> u64 {
    let mut storage = slot.storage.borrow_mut();
    if storage.in_savepoint() {
        return storage.writing_events() + 1;
    }
    // Cannot fail: there is no nested transaction to release.
    storage
        .end_event()
        .unwrap_or_else(|_| storage.writing_events())
}

/// If a message `slot` sends now must wait, the number it waits for. When
/// it need not, nothing is held either: held entries wait for numbers at or
/// below the barrier, and are released as soon as those are durable.
pub(crate) fn must_wait(slot: &ObjectSlot) -> Option<u64> {
    let needed = barrier(slot);
    slot.gate.must_wait(needed).then_some(needed)
}

/// Holds `send` until writes number `seq` are durable, behind whatever is
/// already held, and starts the commit and `fsync` that release it. If the
/// writes cannot be stored, the message is dropped with them.
pub(crate) fn hold(slot: &Rc<ObjectSlot>, seq: u64, send: Box<dyn FnOnce()>) {
    slot.gate.hold_message(seq, send);
    flush(slot);
}

/// Commits the writes of a run that ended with the input gate open (an
/// event awaiting I/O, listeners of accepted WebSockets, timers and
/// `waitUntil` work after an event ended), instead of leaving them open
/// until the next event ends.
pub(crate) fn commit_stray_writes(slot: &Rc<ObjectSlot>) {
    let stray = {
        let storage = slot.storage.borrow();
        !slot.gate_closed() && storage.has_uncommitted() && !storage.in_savepoint()
    };
    if stray {
        barrier(slot);
        flush(slot);
    }
}
