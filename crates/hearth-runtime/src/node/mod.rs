//! Node.js compatibility (`nodejs_compat`): the `node:*` modules are the
//! JavaScript files beside this one (registered in `loader`); the few that
//! need Rust get their natives here.

pub(crate) mod fs;
pub(crate) mod zlib;

use rquickjs::{Ctx, Function, Module, Object, Value};

/// Adds the Node.js modules' natives to the native object.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("builtinModule", Function::new(ctx.clone(), builtin_module)?)?;
    zlib::install(ctx, native)?;
    fs::install(ctx, native)
}

/// The namespace of `node:{bare}`, loaded and evaluated synchronously, or
/// `undefined` when the worker has no such module (`process.getBuiltinModule`
/// and `require` of a builtin no bundler saw). A small module that imports
/// the builtin is evaluated now: it shares the builtin's one instance with
/// every `import`, and no builtin has top-level await, so evaluation ends
/// before this returns. Callers cache the result per name.
fn builtin_module<'js>(ctx: Ctx<'js>, bare: String) -> rquickjs::Result<Value<'js>> {
    let core = crate::host::event_loop::current();
    if !crate::loader::node_builtin_available(&core.worker, &bare) {
        return Ok(Value::new_undefined(ctx));
    }
    let probe = format!("hearth:builtin/{bare}");
    let source = format!("import * as ns from 'node:{bare}';\nexport {{ ns }};\n");
    let (module, promise) = Module::declare(ctx.clone(), probe, source)?.eval()?;
    if let Some(Err(e)) = promise.result::<Value>() {
        return Err(e);
    }
    module.namespace()?.get("ns")
}
