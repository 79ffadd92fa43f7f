//! Compiles the Web API scripts listed in `src/prelude.list` to QuickJS
//! bytecode and embeds it: isolates then load bytecode instead of parsing
//! ~300 KB of JavaScript, which is most of what a cold start would cost.

use rquickjs::module::WriteOptions;
use rquickjs::{Context, Module, Runtime};
use std::path::Path;

fn main() {
    let src = Path::new("src");
    let list = std::fs::read_to_string(src.join("prelude.list")).expect("reading src/prelude.list");
    println!("cargo:rerun-if-changed=src/prelude.list");
    let runtime = Runtime::new().expect("QuickJS runtime");
    let context = Context::full(&runtime).expect("QuickJS context");
    let mut out = Vec::new();
    let entries: Vec<(&str, &str)> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once(' ').expect("each line is `name path`"))
        .collect();
    out.extend((entries.len() as u32).to_le_bytes());
    for (name, file) in entries {
        let path = src.join(file.trim());
        println!("cargo:rerun-if-changed={}", path.display());
        let source = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let bytecode = context.with(|ctx| {
            let module = Module::declare(ctx.clone(), name, source).map_err(|e| {
                let detail = ctx.catch();
                format!("{}: {e}: {detail:?}", path.display())
            })?;
            module
                .write(WriteOptions::default())
                .map_err(|e| format!("{}: {e}", path.display()))
        });
        let bytecode = bytecode.unwrap_or_else(|e| panic!("compiling {e}"));
        for part in [name.as_bytes(), &bytecode] {
            out.extend((part.len() as u32).to_le_bytes());
            out.extend(part);
        }
    }
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("prelude.bin");
    std::fs::write(dest, out).expect("writing prelude.bin");
}
