//! The Web API scripts every isolate starts with, as QuickJS bytecode
//! compiled by `build.rs` from the files listed in `src/prelude.list`.
//! Loading bytecode skips parsing, which is most of an isolate's start-up
//! time: that is what makes cold starts and isolate recycling cheap.

use rquickjs::{Ctx, Module, Value};

/// `[count]` then `[name length, name, bytecode length, bytecode]` per script.
static EMBEDDED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/prelude.bin"));

/// Evaluates every prelude script into the context, in order.
pub(crate) fn install(ctx: &Ctx<'_>) -> Result<(), String> {
    for (name, bytecode) in scripts() {
        // Safety: the bytes were written by `Module::write` of this same
        // QuickJS version at build time.
        let module =
            unsafe { Module::load(ctx.clone(), bytecode) }.map_err(|e| failed(ctx, name, e))?;
        let (_, promise) = module.eval().map_err(|e| failed(ctx, name, e))?;
        if let Some(Err(e)) = promise.result::<Value>() {
            return Err(failed(ctx, name, e));
        }
    }
    Ok(())
}

/// The embedded `(name, bytecode)` pairs.
fn scripts() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    let mut at = 4usize;
    let count = u32::from_le_bytes(EMBEDDED[..4].try_into().expect("4 bytes")) as usize;
    let mut next = move || {
        let len = u32::from_le_bytes(EMBEDDED[at..at + 4].try_into().expect("4 bytes")) as usize;
        let part = &EMBEDDED[at + 4..at + 4 + len];
        at += 4 + len;
        part
    };
    (0..count).map(move |_| {
        let name = std::str::from_utf8(next()).expect("prelude names are UTF-8");
        (name, next())
    })
}

fn failed(ctx: &Ctx<'_>, name: &str, e: rquickjs::Error) -> String {
    format!(
        "hearth's {name} failed: {}",
        crate::host::isolate::caught(ctx, e)
    )
}
