//! `console`: the JavaScript side formats the arguments, this native writes
//! the line to hearth's log under the worker's name.

use crate::host::event_loop::current;
use rquickjs::{Ctx, Function, Object};

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "log",
        Function::new(ctx.clone(), |level: String, text: String| {
            let core = current();
            let worker = core.worker.name();
            // Stack traces of transpiled TypeScript point at the .ts lines.
            let text = crate::loader::transpile::map_stack(&text);
            match level.as_str() {
                "error" => tracing::error!(target: "hearth::console", "[{worker}] {text}"),
                "warn" => tracing::warn!(target: "hearth::console", "[{worker}] {text}"),
                "debug" => tracing::debug!(target: "hearth::console", "[{worker}] {text}"),
                _ => tracing::info!(target: "hearth::console", "[{worker}] {text}"),
            }
        })?,
    )?;
    Ok(())
}
