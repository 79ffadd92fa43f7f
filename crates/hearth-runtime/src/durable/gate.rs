//! The output gate for WebSocket messages: what an object sends after a
//! storage write leaves only once that write is durable, like its HTTP
//! replies. "After a write" covers writes still open in the running event
//! and commits whose `fsync` has not finished. A message that follows no
//! pending write goes out at once, unless earlier ones are still held (the
//! order of messages is kept).

use super::{flush, ObjectSlot};
use std::rc::Rc;

/// The commit a message sent now must see durable: every commit so far,
/// plus the one that will take the writes still open.
fn needed(slot: &ObjectSlot) -> u64 {
    let storage = slot.storage.borrow();
    storage.commits() + u64::from(storage.has_uncommitted())
}

/// Whether a message `slot` sends now must wait. When it need not, nothing
/// is held either: every held entry waits for a commit at or below
/// [`needed`], and entries are released as soon as their commit is durable.
pub(crate) fn must_wait(slot: &ObjectSlot) -> bool {
    needed(slot) > slot.durable_commits.get()
}

/// Holds `send` until the writes made so far are durable, behind whatever is
/// already held, and starts the commit and `fsync` that release it.
pub(crate) fn hold(slot: &Rc<ObjectSlot>, send: Box<dyn FnOnce()>) {
    let seq = needed(slot);
    slot.held.borrow_mut().push((seq, send));
    // Committing inside `storage.transaction()` would end it early; the
    // commit at the end of the event releases the message instead.
    if !slot.storage.borrow().in_savepoint() {
        flush(slot);
    }
}

/// Commits writes an object made outside its events (listeners of accepted
/// WebSockets, timers and `waitUntil` work after an event ended) at the end
/// of the run that made them, instead of leaving them open until its next
/// event.
pub(crate) fn commit_stray_writes(slot: &Rc<ObjectSlot>) {
    let stray = {
        let storage = slot.storage.borrow();
        !slot.busy.get() && storage.has_uncommitted() && !storage.in_savepoint()
    };
    if stray {
        flush(slot);
    }
}
