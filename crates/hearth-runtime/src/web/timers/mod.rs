//! Timers and the clock.
//!
//! Timer bookkeeping (ids, intervals, clearing) lives in JavaScript; the
//! native side only sleeps and then asks JavaScript to fire timer `id`.

use crate::host::event_loop::{current, enter_scoped, running_actor, running_scope};
use crate::host::isolate::{end_scope, on_settled, Core};
use crate::host::scope::RequestScope;
use rquickjs::{Ctx, Function, Object, Promise};
use std::time::Duration;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "timerStart",
        Function::new(ctx.clone(), |id: f64, delay_ms: f64| -> bool {
            let core = current();
            let object = running_actor(&core);
            let scope = running_scope(&core);
            // A finished request's code schedules nothing more.
            if scope.as_ref().is_some_and(|s| s.has_ended()) {
                return false;
            }
            let delay = Duration::from_secs_f64((delay_ms.max(0.0)) / 1000.0);
            let owner = scope.clone();
            let task = tokio::task::spawn_local(async move {
                tokio::time::sleep(delay).await;
                // A condemned isolate runs nothing more; its replacement is coming.
                if !core.is_alive() || core.is_condemned() {
                    return;
                }
                if let Some(scope) = &scope {
                    scope.timer_done(id);
                }
                enter_scoped(&core, scope, object, |ctx| {
                    let fire: rquickjs::Result<Function> = crate::host::isolate::internal(&ctx)
                        .and_then(|i| i.get("fireTimer"));
                    if let Ok(fire) = fire {
                        if fire.call::<_, ()>((id,)).is_err() {
                            let message = crate::host::errors::describe(&ctx, ctx.catch());
                            tracing::error!(target: "hearth::js", "[{}] uncaught error in a timer: {message}", core.worker.name());
                        }
                    }
                });
            });
            if let Some(scope) = owner {
                scope.add_timer(id, task.abort_handle());
            }
            true
        })?,
    )?;
    native.set("waitUntil", Function::new(ctx.clone(), wait_until)?)?;
    native.set(
        "now",
        Function::new(ctx.clone(), || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64() * 1000.0)
                .unwrap_or(0.0)
        })?,
    )?;
    Ok(())
}

/// `ctx.waitUntil(promise)`: the request goes on (its timers and I/O live)
/// until the promise settles, for 30 s after the response at most.
fn wait_until<'js>(ctx: Ctx<'js>, promise: Promise<'js>) -> rquickjs::Result<()> {
    let core = current();
    let Some(scope) = running_scope(&core) else {
        return Ok(());
    };
    scope.hold();
    // Either callback releases it, once.
    let once = std::rc::Rc::new(std::cell::Cell::new(Some((core, scope))));
    let other = once.clone();
    let release =
        |slot: &std::cell::Cell<Option<(std::rc::Rc<Core>, std::rc::Rc<RequestScope>)>>| {
            if let Some((core, scope)) = slot.take() {
                let ended = scope.release();
                end_scope(&core, &scope, ended);
            }
        };
    on_settled(
        &ctx,
        &promise,
        move |_, _| release(&once),
        move |_, _| release(&other),
    )
}
