//! Rate limiting bindings (`env.MY_RATE_LIMITER.limit({key})`): a fixed
//! window of `period` seconds per namespace and key, counted in this
//! process's memory. Bindings naming the same `namespace_id` share their
//! counters, as on Cloudflare (where counts are per location, and here the
//! one process is the one location).

use crate::host::event_loop::current;
use rquickjs::{Ctx, Exception, Function, Object};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Counters past this many are swept of ended windows.
const SWEEP_AT: usize = 100_000;

/// `(namespace, period, key)` → `(window, calls counted in it)`.
type Counters = HashMap<(String, u32, String), (u64, u32)>;

fn counters() -> &'static Mutex<Counters> {
    static COUNTERS: OnceLock<Mutex<Counters>> = OnceLock::new();
    COUNTERS.get_or_init(Default::default)
}

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("rateLimit", Function::new(ctx.clone(), rate_limit)?)?;
    Ok(())
}

/// Counts a call for `key` on binding `name`; whether it is within the limit.
fn rate_limit(ctx: Ctx<'_>, name: String, key: String) -> rquickjs::Result<bool> {
    let worker = current().worker.clone();
    let Some(binding) = worker.config().ratelimits.iter().find(|r| r.name == name) else {
        return Err(Exception::throw_internal(
            &ctx,
            &format!("no rate limiting binding {name}"),
        ));
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let window = now / binding.period as u64;
    let mut counters = counters().lock().expect("rate limit counters poisoned");
    if counters.len() >= SWEEP_AT {
        counters.retain(|(_, period, _), (w, _)| *w == now / *period as u64);
    }
    let entry = counters
        .entry((binding.namespace_id.clone(), binding.period, key))
        .or_insert((window, 0));
    if entry.0 != window {
        *entry = (window, 0);
    }
    if entry.1 >= binding.limit {
        return Ok(false);
    }
    entry.1 += 1;
    Ok(true)
}
