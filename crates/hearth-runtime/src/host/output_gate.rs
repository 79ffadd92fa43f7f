//! The output gate: what an object answers or sends after a storage write
//! leaves only once that write is durable. HTTP replies, RPC results and
//! WebSocket messages all wait here, in one queue, so they leave in the
//! order they were produced. Writes are numbered by whoever stores them (a
//! Durable Object's storage); the gate only learns which number is durable.

use std::cell::{Cell, RefCell};

/// Lets a held output go: with `Ok` once its writes are durable, with the
/// error when they could not be stored.
pub(crate) type Release = Box<dyn FnOnce(Result<(), String>)>;

/// Outputs held until the writes they follow are durable.
#[derive(Default)]
pub(crate) struct OutputGate {
    /// The highest write number known durable.
    durable: Cell<u64>,
    held: RefCell<Vec<(u64, Release)>>,
}

impl OutputGate {
    /// Whether an output that follows writes numbered `needed` must wait.
    pub(crate) fn must_wait(&self, needed: u64) -> bool {
        needed > self.durable.get()
    }

    /// Holds `release` until writes numbered `seq` are durable.
    pub(crate) fn hold(&self, seq: u64, release: Release) {
        self.held.borrow_mut().push((seq, release));
    }

    /// Holds a message until writes numbered `seq` are durable; if they
    /// cannot be stored, the message is dropped with them.
    pub(crate) fn hold_message(&self, seq: u64, send: Box<dyn FnOnce()>) {
        self.hold(
            seq,
            Box::new(move |stored| {
                if stored.is_ok() {
                    send();
                }
            }),
        );
    }

    /// Whether nothing is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.held.borrow().is_empty()
    }

    /// Writes up to `target` were stored (or failed, with `stored`'s error):
    /// releases every output waiting for them, in the order they were held.
    pub(crate) fn reached(&self, target: u64, stored: Result<(), String>) {
        if stored.is_ok() {
            self.durable.set(self.durable.get().max(target));
        }
        let ready: Vec<(u64, Release)> = {
            let mut held = self.held.borrow_mut();
            let (ready, waiting) = held.drain(..).partition(|(seq, _)| *seq <= target);
            *held = waiting;
            ready
        };
        for (_, release) in ready {
            release(stored.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OutputGate;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn outputs_leave_in_order_once_their_writes_are_durable() {
        let gate = OutputGate::default();
        let out = Rc::new(RefCell::new(Vec::new()));
        assert!(gate.must_wait(1));
        for (seq, name) in [(1, "reply"), (2, "message"), (2, "close")] {
            let out = out.clone();
            gate.hold_message(seq, Box::new(move || out.borrow_mut().push(name)));
        }
        gate.reached(1, Ok(()));
        assert_eq!(*out.borrow(), ["reply"]);
        assert!(!gate.must_wait(1));
        gate.reached(2, Ok(()));
        assert_eq!(*out.borrow(), ["reply", "message", "close"]);
        assert!(gate.is_empty());
    }

    #[test]
    fn failed_writes_drop_messages_and_fail_replies() {
        let gate = OutputGate::default();
        let sent = Rc::new(RefCell::new(false));
        let seen = sent.clone();
        gate.hold_message(1, Box::new(move || *seen.borrow_mut() = true));
        let error = Rc::new(RefCell::new(None));
        let got = error.clone();
        gate.hold(1, Box::new(move |r| *got.borrow_mut() = r.err()));
        gate.reached(1, Err("disk full".into()));
        assert!(!*sent.borrow());
        assert_eq!(error.borrow().as_deref(), Some("disk full"));
        assert!(gate.must_wait(1), "nothing became durable");
    }
}
