//! Timers and the clock.
//!
//! Timer bookkeeping (ids, intervals, clearing) lives in JavaScript; the
//! native side only sleeps and then asks JavaScript to fire timer `id`.

use crate::host::event_loop::{current, enter_as, running_actor};
use rquickjs::{Ctx, Function, Object};
use std::time::Duration;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "timerStart",
        Function::new(ctx.clone(), |id: f64, delay_ms: f64| {
            let core = current();
            let object = running_actor(&core);
            let delay = Duration::from_secs_f64((delay_ms.max(0.0)) / 1000.0);
            tokio::task::spawn_local(async move {
                tokio::time::sleep(delay).await;
                if !core.is_alive() {
                    return;
                }
                enter_as(&core, object, |ctx| {
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
        })?,
    )?;
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
