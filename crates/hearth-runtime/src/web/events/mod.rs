//! Events: the host side of HTML's unhandled-rejection tracking. QuickJS
//! reports every promise rejected without a handler (and every handler
//! added to one later); `events.js` turns them into `unhandledrejection` and
//! `rejectionhandled` events on the global scope.

use rquickjs::{Ctx, Function, Value};

/// The runtime's promise rejection tracker: hands each report to
/// the prelude's `internal.trackRejection`.
pub(crate) fn track_rejection<'js>(
    ctx: Ctx<'js>,
    promise: Value<'js>,
    reason: Value<'js>,
    handled: bool,
) {
    let track = crate::host::isolate::try_internal(&ctx)
        .and_then(|internal| internal.get::<_, Function>("trackRejection").ok());
    if let Some(track) = track {
        if track.call::<_, ()>((promise, reason, handled)).is_err() {
            // Nothing to report to: drop the exception rather than leave it
            // pending for unrelated code.
            let _ = ctx.catch();
        }
    }
}
