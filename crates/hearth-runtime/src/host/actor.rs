//! How objects living in an isolate plug into its event loop without the
//! host core knowing what they are (as workerd's `InputGate::Hooks` and its
//! hibernation-manager interface): Durable Objects implement [`Actor`] for
//! each live object and [`Resident`] for their registry.
//!
//! Code runs on behalf of an actor when it is entered with
//! [`crate::host::event_loop::enter_as`]; natives started by that code
//! remember the actor, so their completions run as it too. The event loop
//! tells the actor when such a run ends and when it broke the CPU limit.

use crate::host::errors::FatalKind;
use crate::host::isolate::Core;
use std::rc::Rc;

/// One object whose code runs inside an isolate, its events passing its
/// input gate.
pub(crate) trait Actor {
    /// A run of the actor's code ended: what it wrote so far is committed,
    /// and an event left waiting on I/O opens the input gate.
    fn run_ended(self: Rc<Self>, core: &Rc<Core>);

    /// The actor's code ran past the CPU limit: the actor is reset, the
    /// isolate goes on.
    fn cpu_exceeded(self: Rc<Self>, core: &Rc<Core>);

    /// Whether a broken limit, as the engine recorded it, explains why the
    /// actor's code failed (logged as `message`); the actor then deals with
    /// it, otherwise the caller reports the failure.
    fn stopped_by_limit(self: Rc<Self>, core: &Rc<Core>, message: &str) -> bool;

    /// The output gate: if a message the actor sends now must wait for
    /// writes to become durable, the number it waits for.
    fn output_barrier(&self) -> Option<u64>;

    /// Holds `send` until the writes numbered `seq` are durable (see
    /// [`crate::host::output_gate`]); it is dropped if they cannot be stored.
    fn hold_output(self: Rc<Self>, seq: u64, send: Box<dyn FnOnce()>);
}

/// Something living in an isolate that must hear when the isolate is
/// condemned (a broken limit): it goes down with it.
pub(crate) trait Resident {
    /// The isolate is being replaced because of `kind`.
    fn condemned(&self, core: &Core, kind: FatalKind);
}
