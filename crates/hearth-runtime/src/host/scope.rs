//! A request's scope, as Cloudflare bounds a request: until its response,
//! each run of its JavaScript has the CPU limit; what it runs after the
//! response (timers, I/O callbacks, microtasks it left behind) shares one
//! budget of that size; and when the request is over — its response sent and its
//! `waitUntil` promises settled, or 30 seconds after the response — its
//! timers are cancelled and its pending I/O is dropped, so nothing it left
//! behind keeps running.
//!
//! Code entered for a request carries its scope (as code of a Durable Object
//! carries its actor): timers and native operations started then remember
//! it and re-enter with it. A response that upgrades to a WebSocket leaves
//! the scope open-ended, since the socket keeps the request alive.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

/// How long `waitUntil` work may run after the response, as on Cloudflare.
const WAIT_UNTIL_GRACE: Duration = Duration::from_secs(30);

/// One request's share of its isolate.
#[derive(Default)]
pub(crate) struct RequestScope {
    /// Time spent running JavaScript for this request since its response.
    used: Cell<Duration>,
    /// The response is produced: runs now share one budget.
    counting: Cell<bool>,
    /// No CPU budget of its own (a WebSocket upgrade): each run gets the
    /// per-run limit, as before.
    open_ended: Cell<bool>,
    response_done: Cell<bool>,
    /// `waitUntil` promises not yet settled.
    waits: Cell<usize>,
    ended: Cell<bool>,
    /// Sleeping timers by id, aborted when the request ends.
    timers: RefCell<HashMap<u64, AbortHandle>>,
    /// Tells the waiting request when a limit stopped its code.
    failed: RefCell<Option<oneshot::Sender<()>>>,
}

impl RequestScope {
    /// A scope, and what its request awaits beside the handler's outcome:
    /// it fires when a broken limit stopped the request's code.
    pub(crate) fn new() -> (Rc<RequestScope>, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let scope = RequestScope::default();
        *scope.failed.borrow_mut() = Some(tx);
        (Rc::new(scope), rx)
    }

    /// Whether the request is over (its timers and I/O are dropped).
    pub(crate) fn has_ended(&self) -> bool {
        self.ended.get()
    }

    /// CPU left for the next run, or `None` when the run gets the whole
    /// limit (before the response, or with no budget of its own).
    pub(crate) fn remaining(&self, limit: Duration) -> Option<Duration> {
        (self.counting.get() && !self.open_ended.get())
            .then(|| limit.saturating_sub(self.used.get()))
    }

    /// Charges a run to the request, once its response is produced.
    pub(crate) fn charge(&self, spent: Duration) {
        if self.counting.get() {
            self.used.set(self.used.get() + spent);
        }
    }

    /// The handler produced its response (or failed): what runs from now on
    /// shares one budget.
    pub(crate) fn responded(&self) {
        self.counting.set(true);
    }

    /// A broken limit stopped this request's code: its response is the
    /// limit's error. Returns whether the request was still waiting for one
    /// (if not, nobody else will report the limit).
    pub(crate) fn fail(&self) -> bool {
        self.failed
            .borrow_mut()
            .take()
            .is_some_and(|tx| tx.send(()).is_ok())
    }

    /// The response upgraded to a WebSocket: the request lives as long as
    /// the socket, with no budget across its events.
    pub(crate) fn make_open_ended(&self) {
        self.open_ended.set(true);
    }

    /// Remembers a sleeping timer (replacing an interval's previous sleep).
    pub(crate) fn add_timer(&self, id: f64, task: AbortHandle) {
        self.timers.borrow_mut().insert(id.to_bits(), task);
    }

    /// A timer fired (or was cleared).
    pub(crate) fn timer_done(&self, id: f64) {
        self.timers.borrow_mut().remove(&id.to_bits());
    }

    /// A `waitUntil` promise the request must wait for.
    pub(crate) fn hold(&self) {
        self.waits.set(self.waits.get() + 1);
    }

    /// A `waitUntil` promise settled; the request ends if it was the last.
    /// Returns the timers to forget when it did end.
    pub(crate) fn release(&self) -> Option<Vec<f64>> {
        self.waits.set(self.waits.get().saturating_sub(1));
        self.try_end()
    }

    /// The response is sent. Returns the timers to forget when the request
    /// ended now; otherwise `waitUntil` work goes on, for 30 s at most (see
    /// [`RequestScope::grace`]).
    pub(crate) fn response_finished(&self) -> Option<Vec<f64>> {
        self.response_done.set(true);
        self.try_end()
    }

    /// How long `waitUntil` work may outlive the response.
    pub(crate) fn grace() -> Duration {
        WAIT_UNTIL_GRACE
    }

    /// Ends the request whatever is pending (the grace period ran out).
    pub(crate) fn end_now(&self) -> Option<Vec<f64>> {
        self.end()
    }

    fn try_end(&self) -> Option<Vec<f64>> {
        if self.open_ended.get() || !self.response_done.get() || self.waits.get() > 0 {
            return None;
        }
        self.end()
    }

    fn end(&self) -> Option<Vec<f64>> {
        if self.ended.replace(true) {
            return None;
        }
        let timers: Vec<(u64, AbortHandle)> = self.timers.borrow_mut().drain().collect();
        Some(
            timers
                .into_iter()
                .map(|(bits, task)| {
                    task.abort();
                    f64::from_bits(bits)
                })
                .collect(),
        )
    }
}
