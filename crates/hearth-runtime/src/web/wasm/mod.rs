//! WebAssembly's natives, over `hearth-wasm` (wasmtime). `wasm.js` builds the
//! `WebAssembly` namespace from them.
//!
//! Each isolate has one wasmtime store, created on first use, holding every
//! instance, memory, table, global and function its JavaScript made; JavaScript
//! refers to them by number. Wasm and JavaScript call each other re-entrantly
//! (wasm-bindgen glue calls back into wasm from inside an import), so while an
//! import runs, its `Caller` is the store every native uses ([`with_store`]).
//!
//! Linear memories never move (see `hearth-wasm`), so `Memory.buffer` is an
//! `ArrayBuffer` over the memory's bytes; when a memory grows, the buffers
//! handed out before are detached before JavaScript runs again, as the spec
//! says. A shared memory (`Memory({shared: true})`) belongs to no store: its
//! `buffer` is a `SharedArrayBuffer` that keeps the memory alive, and growing
//! it never detaches anything (a new, longer buffer is handed out instead).

use crate::host::bytes::{bytes_of, new_array_buffer};
use crate::host::errors::FatalKind;
use crate::host::event_loop::current;
use crate::host::isolate::Core;
use crate::host::memory::Budget;
use hearth_wasm::wasmtime::{
    AsContext, AsContextMut, Caller, ExnRef, ExnRefPre, ExnType, Extern, ExternRef, ExternType,
    Func, FuncType, Global, GlobalType, Memory, MemoryType, Module, Mutability, Ref, RefType,
    RootScope, SharedMemory, Store, StoreContextMut, Table, TableType, Tag, TagType,
    ThrownException, Trap, Val, ValRaw, ValType,
};
use hearth_wasm::{Host, Limiter};
use rquickjs::function::Rest;
use rquickjs::{qjs, Array, Ctx, Exception, Function, Object, Persistent, Value};
use std::cell::{Cell, RefCell, UnsafeCell};
use std::collections::HashMap;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("wasmValidate", Function::new(ctx.clone(), validate)?)?;
    native.set(
        "wasmBundleModule",
        Function::new(ctx.clone(), bundle_module)?,
    )?;
    native.set(
        "wasmModuleImports",
        Function::new(ctx.clone(), module_imports)?,
    )?;
    native.set(
        "wasmModuleExports",
        Function::new(ctx.clone(), module_exports)?,
    )?;
    native.set(
        "wasmModuleCustomSections",
        Function::new(ctx.clone(), custom_sections)?,
    )?;
    native.set("wasmInstantiate", Function::new(ctx.clone(), instantiate)?)?;
    native.set("wasmCall", Function::new(ctx.clone(), call)?)?;
    native.set("wasmMemoryNew", Function::new(ctx.clone(), memory_new)?)?;
    native.set(
        "wasmMemoryBuffer",
        Function::new(ctx.clone(), memory_buffer)?,
    )?;
    native.set("wasmMemoryGrow", Function::new(ctx.clone(), memory_grow)?)?;
    native.set("wasmTableNew", Function::new(ctx.clone(), table_new)?)?;
    native.set("wasmTableGet", Function::new(ctx.clone(), table_get)?)?;
    native.set("wasmTableSet", Function::new(ctx.clone(), table_set)?)?;
    native.set("wasmTableGrow", Function::new(ctx.clone(), table_grow)?)?;
    native.set("wasmTableLength", Function::new(ctx.clone(), table_length)?)?;
    native.set("wasmGlobalNew", Function::new(ctx.clone(), global_new)?)?;
    native.set("wasmGlobalGet", Function::new(ctx.clone(), global_get)?)?;
    native.set("wasmGlobalSet", Function::new(ctx.clone(), global_set)?)?;
    native.set("wasmGlobalType", Function::new(ctx.clone(), global_type)?)?;
    native.set("wasmTagNew", Function::new(ctx.clone(), tag_new)?)?;
    native.set("wasmTagType", Function::new(ctx.clone(), tag_type)?)?;
    native.set("wasmTagPayload", Function::new(ctx.clone(), tag_payload)?)?;
    Ok(())
}

/// An isolate's WebAssembly: its store, made on first use.
#[derive(Default)]
pub(crate) struct State {
    store: UnsafeCell<Option<Store<HostData>>>,
    /// The callers of the imports now running, innermost last.
    callers: RefCell<Vec<NonNull<Caller<'static, HostData>>>>,
}

/// What the store holds for the isolate: the objects JavaScript refers to
/// by number, and the JavaScript values wasm holds.
pub(crate) struct HostData {
    limiter: Limiter,
    deadline: Rc<Cell<Option<Instant>>>,
    budget: Rc<Budget>,
    ctx: NonNull<qjs::JSContext>,
    modules: Vec<ModuleEntry>,
    funcs: Vec<(Func, FuncType)>,
    /// For each of `funcs`, its signature when it takes and returns only
    /// numbers (at most [`FAST_MAX`] of them): such calls skip `Val`s.
    fast: Vec<Option<Fast>>,
    func_ids: HashMap<usize, u32>,
    memories: Vec<MemoryEntry>,
    memory_ids: HashMap<usize, u32>,
    /// Whether any of `memories` is shared (their growth is charged after
    /// each call into wasm).
    shared_memories: bool,
    tables: Vec<Table>,
    globals: Vec<Global>,
    /// Exception tags (few: looked up by [`Tag::eq`]).
    tags: Vec<Tag>,
    /// JavaScript functions given as imports.
    imports: Vec<Persistent<Function<'static>>>,
    /// JavaScript values passed to wasm as `externref`s.
    externs: Vec<Persistent<Value<'static>>>,
}

struct ModuleEntry {
    module: Module,
    bytes: Arc<[u8]>,
}

struct MemoryEntry {
    memory: Linear,
    /// The `ArrayBuffer` last handed out, and the size it covers.
    buffer: Option<(Persistent<Value<'static>>, usize)>,
    /// For a shared memory, the bytes charged to the isolate's budget so
    /// far (no limiter sees a shared memory grow).
    charged: usize,
}

/// A linear memory: the store's own, or shared (of no store).
#[derive(Clone)]
enum Linear {
    Own(Memory),
    Shared(SharedMemory),
}

impl Linear {
    fn size(&self, store: &StoreContextMut<'_, HostData>) -> usize {
        match self {
            Linear::Own(memory) => memory.data_size(store),
            Linear::Shared(memory) => memory.data_size(),
        }
    }

    fn base(&self, store: &StoreContextMut<'_, HostData>) -> *mut u8 {
        match self {
            Linear::Own(memory) => memory.data_ptr(store),
            Linear::Shared(memory) => memory.data().as_ptr() as *mut u8,
        }
    }

    fn is_shared(&self) -> bool {
        matches!(self, Linear::Shared(_))
    }
}

impl From<Linear> for Extern {
    fn from(memory: Linear) -> Extern {
        match memory {
            Linear::Own(memory) => memory.into(),
            Linear::Shared(memory) => memory.into(),
        }
    }
}

impl Host for HostData {
    fn deadline(&self) -> Option<Instant> {
        self.deadline.get()
    }

    fn limiter(&mut self) -> &mut Limiter {
        &mut self.limiter
    }
}

/// Runs `f` with the store: the innermost running import's caller, or the
/// isolate's store itself.
fn with_store<R>(ctx: &Ctx<'_>, f: impl FnOnce(StoreContextMut<'_, HostData>) -> R) -> R {
    let core = current();
    let top = core.wasm.callers.borrow().last().copied();
    match top {
        // SAFETY: the pointer is to the `Caller` of an import that is running
        // further up this thread's stack (pushed and popped around the call
        // into JavaScript in `call_import`), so it is alive, and nothing else
        // uses it while JavaScript runs.
        Some(mut caller) => f(unsafe { caller.as_mut() }.as_context_mut()),
        None => {
            // SAFETY: only this isolate's thread reaches the store, and only
            // here; while wasm runs from a borrow taken here, natives reach
            // the store through the running import's caller instead.
            let slot = unsafe { &mut *core.wasm.store.get() };
            let store = slot.get_or_insert_with(|| new_store(&core, ctx));
            f(store.as_context_mut())
        }
    }
}

fn new_store(core: &Core, ctx: &Ctx<'_>) -> Store<HostData> {
    let budget = core.budget.clone();
    let charged = budget.clone();
    hearth_wasm::new_store(HostData {
        // SAFETY: the store lives in the isolate's `Core`, which never
        // leaves its thread.
        limiter: unsafe { Limiter::new(move |bytes| charged.charge(bytes)) },
        deadline: core.deadline.clone(),
        budget,
        ctx: ctx.as_raw(),
        modules: Vec::new(),
        funcs: Vec::new(),
        fast: Vec::new(),
        func_ids: HashMap::new(),
        memories: Vec::new(),
        memory_ids: HashMap::new(),
        shared_memories: false,
        tables: Vec::new(),
        globals: Vec::new(),
        tags: Vec::new(),
        imports: Vec::new(),
        externs: Vec::new(),
    })
}

/// A WebAssembly error class from `wasm.js` (`CompileError`, `LinkError`,
/// `RuntimeError`), thrown with `message`.
fn throw_wasm(ctx: &Ctx<'_>, class: &str, message: &str) -> rquickjs::Error {
    let make = || -> rquickjs::Result<Value<'_>> {
        let internal = current().internals().internal.clone().restore(ctx)?;
        let hooks: Object = internal.get("wasm")?;
        let class: rquickjs::Constructor = hooks.get(class)?;
        class.construct((message,))
    };
    match make() {
        Ok(error) => ctx.throw(error),
        Err(e) => e,
    }
}

/// The error for a wasm failure: a trap becomes a `RuntimeError` with V8's
/// words; the CPU deadline stops the isolate as JavaScript's does; an
/// exception JavaScript threw inside an import goes on unchanged.
fn wasm_error(ctx: &Ctx<'_>, error: hearth_wasm::wasmtime::Error) -> rquickjs::Error {
    if error.downcast_ref::<JsThrew>().is_some() {
        return rquickjs::Error::Exception;
    }
    if hearth_wasm::is_interrupt(&error) {
        let core = current();
        core.cpu_tripped.set(true);
        return throw_wasm(
            ctx,
            "RuntimeError",
            &FatalKind::Cpu.explain(core.cpu_limit, core.worker.memory_limit()),
        );
    }
    let core = current();
    if core.budget.exceeded() {
        return Exception::throw_range(
            ctx,
            &FatalKind::Memory.explain(core.cpu_limit, core.worker.memory_limit()),
        );
    }
    match error.downcast_ref::<Trap>() {
        Some(trap) => throw_wasm(ctx, "RuntimeError", trap_message(*trap)),
        None => throw_wasm(ctx, "RuntimeError", &hearth_wasm::reason(&error)),
    }
}

/// V8's message for each trap, so code matching on them works alike.
fn trap_message(trap: Trap) -> &'static str {
    match trap {
        Trap::UnreachableCodeReached => "unreachable",
        Trap::MemoryOutOfBounds => "memory access out of bounds",
        Trap::HeapMisaligned => "operation does not support unaligned accesses",
        Trap::TableOutOfBounds => "table index is out of bounds",
        Trap::IndirectCallToNull => "null function or function signature mismatch",
        Trap::BadSignature => "null function or function signature mismatch",
        Trap::IntegerOverflow => "divide result unrepresentable",
        Trap::IntegerDivisionByZero => "divide by zero",
        Trap::BadConversionToInteger => "float unrepresentable in integer range",
        Trap::StackOverflow => "Maximum call stack size exceeded",
        Trap::NullReference => "dereferencing a null pointer",
        Trap::ArrayOutOfBounds => "array element access out of bounds",
        Trap::AllocationTooLarge => "requested new array is too large",
        Trap::CastFailure => "illegal cast",
        _ => "wasm trap",
    }
}

/// Marks an error unwinding through wasm because JavaScript threw inside an
/// import: the exception is pending in the context and is rethrown as is.
#[derive(Debug)]
struct JsThrew;

impl std::fmt::Display for JsThrew {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JavaScript import threw")
    }
}

impl std::error::Error for JsThrew {}

fn validate(value: Value<'_>) -> rquickjs::Result<bool> {
    match bytes_of(&value) {
        Some(bytes) => Ok(hearth_wasm::validate(&bytes).is_ok()),
        None => Err(Exception::throw_type(
            value.ctx(),
            "WebAssembly.validate(): Argument 0 must be a buffer source",
        )),
    }
}

/// The cache of compiled modules for `worker`'s state folder.
pub(crate) fn cache(worker: &crate::worker::Worker) -> hearth_wasm::Cache {
    hearth_wasm::Cache::new(&worker.state_dir().join("wasm-cache"))
}

/// A `.wasm` file of the project, compiled (or read from the cache), as a
/// module number. The loader compiled it once already, so it is in memory.
fn bundle_module(ctx: Ctx<'_>, name: String) -> rquickjs::Result<u32> {
    let core = current();
    let bytes = core
        .worker
        .source(&name)
        .map_err(|e| Exception::throw_internal(&ctx, &e))?;
    let module = cache(&core.worker)
        .module(&bytes)
        .map_err(|e| throw_wasm(&ctx, "CompileError", &format!("{name}: {e}")))?;
    with_store(&ctx, |mut store| {
        let modules = &mut store.data_mut().modules;
        modules.push(ModuleEntry { module, bytes });
        Ok((modules.len() - 1) as u32)
    })
}

fn module_of(ctx: &Ctx<'_>, id: u32) -> rquickjs::Result<Module> {
    with_store(ctx, |store| {
        store
            .data()
            .modules
            .get(id as usize)
            .map(|m| m.module.clone())
    })
    .ok_or_else(|| Exception::throw_type(ctx, "not a WebAssembly.Module"))
}

fn kind_name(ty: &ExternType) -> &'static str {
    match ty {
        ExternType::Func(_) => "function",
        ExternType::Global(_) => "global",
        ExternType::Table(_) => "table",
        ExternType::Memory(_) => "memory",
        ExternType::Tag(_) => "tag",
    }
}

/// `[module, name, kind, ...]` for each import, in order.
fn module_imports(ctx: Ctx<'_>, id: u32) -> rquickjs::Result<Vec<String>> {
    let module = module_of(&ctx, id)?;
    Ok(module
        .imports()
        .flat_map(|i| {
            [
                i.module().to_string(),
                i.name().to_string(),
                kind_name(&i.ty()).to_string(),
            ]
        })
        .collect())
}

/// `[name, kind, ...]` for each export, in order.
fn module_exports(ctx: Ctx<'_>, id: u32) -> rquickjs::Result<Vec<String>> {
    let module = module_of(&ctx, id)?;
    Ok(module
        .exports()
        .flat_map(|e| [e.name().to_string(), kind_name(&e.ty()).to_string()])
        .collect())
}

/// The contents of the custom sections named `name`, as ArrayBuffers
/// (wasmtime keeps no custom sections: they are read from the bytes).
fn custom_sections<'js>(ctx: Ctx<'js>, id: u32, name: String) -> rquickjs::Result<Array<'js>> {
    let bytes = with_store(&ctx, |store| {
        store
            .data()
            .modules
            .get(id as usize)
            .map(|m| m.bytes.clone())
    })
    .ok_or_else(|| Exception::throw_type(&ctx, "not a WebAssembly.Module"))?;
    let sections = Array::new(ctx.clone())?;
    for (index, data) in hearth_wasm::custom_sections(&bytes, &name)
        .into_iter()
        .enumerate()
    {
        sections.set(index, new_array_buffer(&ctx, data)?)?;
    }
    Ok(sections)
}

// ---- values ---------------------------------------------------------------

/// A JavaScript value as a wasm value of type `ty` (the JS API's ToWebAssemblyValue).
fn to_wasm<'js>(
    ctx: &Ctx<'js>,
    mut store: StoreContextMut<'_, HostData>,
    value: &Value<'js>,
    ty: &ValType,
) -> rquickjs::Result<Val> {
    let raw_ctx = ctx.as_raw().as_ptr();
    Ok(match ty {
        ValType::I32 => {
            let mut out = 0i32;
            // SAFETY: a live value of this context; the result is written to `out`.
            if unsafe { qjs::JS_ToInt32(raw_ctx, &mut out, value.as_raw()) } < 0 {
                return Err(rquickjs::Error::Exception);
            }
            Val::I32(out)
        }
        ValType::I64 => {
            let mut out = 0i64;
            // SAFETY: as above; numbers are refused with a TypeError, as the spec says.
            if unsafe { qjs::JS_ToBigInt64(raw_ctx, &mut out, value.as_raw()) } < 0 {
                return Err(rquickjs::Error::Exception);
            }
            Val::I64(out)
        }
        ValType::F32 | ValType::F64 => {
            let mut out = 0f64;
            // SAFETY: as above.
            if unsafe { qjs::JS_ToFloat64(raw_ctx, &mut out, value.as_raw()) } < 0 {
                return Err(rquickjs::Error::Exception);
            }
            if matches!(ty, ValType::F32) {
                Val::F32((out as f32).to_bits())
            } else {
                Val::F64(out.to_bits())
            }
        }
        ValType::V128 => {
            return Err(Exception::throw_type(
                ctx,
                "type incompatibility when transforming from/to JS",
            ))
        }
        ValType::Ref(rt) => {
            let nullable = rt.is_nullable();
            match rt.heap_type().top() {
                hearth_wasm::wasmtime::HeapType::Func => {
                    if value.is_null() && nullable {
                        Val::FuncRef(None)
                    } else {
                        let id = func_id_of(ctx, value)?.ok_or_else(|| {
                            Exception::throw_type(
                                ctx,
                                "type incompatibility when transforming from/to JS",
                            )
                        })?;
                        Val::FuncRef(Some(store.data().funcs[id as usize].0))
                    }
                }
                hearth_wasm::wasmtime::HeapType::Extern => {
                    if value.is_null() && nullable {
                        Val::ExternRef(None)
                    } else {
                        let externs = &mut store.data_mut().externs;
                        externs.push(Persistent::save(ctx, value.clone()));
                        let id = (externs.len() - 1) as u32;
                        let extern_ref = ExternRef::new(&mut store, id)
                            .map_err(|e| Exception::throw_internal(ctx, &e.to_string()))?;
                        Val::ExternRef(Some(extern_ref))
                    }
                }
                _ => {
                    return Err(Exception::throw_type(
                        ctx,
                        "type incompatibility when transforming from/to JS",
                    ))
                }
            }
        }
    })
}

/// A wasm value as a JavaScript value (the JS API's ToJSValue).
fn to_js<'js>(
    ctx: &Ctx<'js>,
    mut store: StoreContextMut<'_, HostData>,
    value: &Val,
) -> rquickjs::Result<Value<'js>> {
    Ok(match value {
        Val::I32(v) => Value::new_int(ctx.clone(), *v),
        Val::I64(v) => rquickjs::BigInt::from_i64(ctx.clone(), *v)?.into_value(),
        Val::F32(bits) => Value::new_float(ctx.clone(), f32::from_bits(*bits) as f64),
        Val::F64(bits) => Value::new_float(ctx.clone(), f64::from_bits(*bits)),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) | Val::ExnRef(None) => {
            Value::new_null(ctx.clone())
        }
        Val::FuncRef(Some(func)) => {
            let (id, arity) = register_func(store.as_context_mut(), *func);
            wrap_function(ctx, id, arity)?
        }
        Val::ExternRef(Some(extern_ref)) => {
            let id = extern_ref
                .data(&store)
                .ok()
                .flatten()
                .and_then(|data| data.downcast_ref::<u32>().copied());
            match id.and_then(|id| store.data().externs.get(id as usize)) {
                Some(value) => value.clone().restore(ctx)?,
                None => Value::new_null(ctx.clone()),
            }
        }
        _ => {
            return Err(Exception::throw_type(
                ctx,
                "type incompatibility when transforming from/to JS",
            ))
        }
    })
}

/// The JavaScript function for the wasm function `id` (made once, by `wasm.js`).
fn wrap_function<'js>(ctx: &Ctx<'js>, id: u32, arity: usize) -> rquickjs::Result<Value<'js>> {
    let internal = current().internals().internal.clone().restore(ctx)?;
    let hooks: Object = internal.get("wasm")?;
    let wrap: Function = hooks.get("wrapFunction")?;
    wrap.call((id, arity))
}

/// The number of the wasm function behind a JavaScript value, if it is one.
fn func_id_of<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> rquickjs::Result<Option<u32>> {
    if !value.is_function() {
        return Ok(None);
    }
    let internal = current().internals().internal.clone().restore(ctx)?;
    let hooks: Object = internal.get("wasm")?;
    let id_of: Function = hooks.get("functionId")?;
    id_of.call((value.clone(),))
}

/// Gives a wasm function a number (the same one each time).
fn register_func(mut store: StoreContextMut<'_, HostData>, func: Func) -> (u32, usize) {
    let key = func.to_raw(&mut store) as usize;
    if let Some(&id) = store.data().func_ids.get(&key) {
        let arity = store.data().funcs[id as usize].1.params().len();
        return (id, arity);
    }
    let ty = func.ty(&store);
    let arity = ty.params().len();
    let data = store.data_mut();
    data.fast.push(Fast::of(&ty));
    data.funcs.push((func, ty));
    let id = (data.funcs.len() - 1) as u32;
    data.func_ids.insert(key, id);
    (id, arity)
}

/// Gives a memory a number (the same one each time).
fn register_memory(mut store: StoreContextMut<'_, HostData>, memory: Linear) -> u32 {
    let key = memory.base(&store) as usize;
    if let Some(&id) = store.data().memory_ids.get(&key) {
        return id;
    }
    // What is there now was charged when it was made (by `memory_new`, or by
    // the limiter for a memory an instance defines).
    let charged = memory.size(&store);
    let data = store.data_mut();
    data.shared_memories |= memory.is_shared();
    data.memories.push(MemoryEntry {
        memory,
        buffer: None,
        charged,
    });
    let id = (data.memories.len() - 1) as u32;
    data.memory_ids.insert(key, id);
    id
}

/// Detaches the buffers of memories that grew, before JavaScript runs again,
/// and charges what shared memories grew by inside wasm.
fn detach_grown(ctx: &Ctx<'_>, mut store: StoreContextMut<'_, HostData>) {
    if store.data().shared_memories {
        charge_shared_growth(&mut store);
    }
    if !store.data_mut().limiter.take_grew() {
        return;
    }
    let sizes: Vec<usize> = store
        .data()
        .memories
        .iter()
        .map(|m| m.memory.size(&store))
        .collect();
    for (entry, size) in store.data_mut().memories.iter_mut().zip(sizes) {
        if entry.memory.is_shared() {
            continue;
        }
        if entry.buffer.as_ref().is_some_and(|(_, len)| *len != size) {
            let (buffer, _) = entry.buffer.take().expect("checked above");
            if let Ok(buffer) = buffer.restore(ctx) {
                // SAFETY: a live ArrayBuffer of this context.
                unsafe { qjs::JS_DetachArrayBuffer(ctx.as_raw().as_ptr(), buffer.as_raw()) };
            }
        }
    }
}

/// A shared memory's `memory.grow` inside wasm asks no limiter: its growth
/// is charged to the isolate's budget when wasm returns (past the limit, the
/// budget is marked exceeded and the isolate is replaced after the request).
fn charge_shared_growth(store: &mut StoreContextMut<'_, HostData>) {
    let budget = store.data().budget.clone();
    for entry in store.data_mut().memories.iter_mut() {
        if let Linear::Shared(shared) = &entry.memory {
            let size = shared.data_size();
            if size > entry.charged {
                budget.charge(size - entry.charged);
                entry.charged = size;
            }
        }
    }
}

// ---- instances and calls ---------------------------------------------------

/// Instantiates module `id`. `imports` holds one entry per import, in order,
/// as `wasm.js` prepared it: a JavaScript function, the number of a wasm
/// object, or `[value]` for a global given as a plain value. Returns
/// `[name, kind, id, arity, ...]` for each export.
fn instantiate<'js>(
    ctx: Ctx<'js>,
    id: u32,
    imports: Array<'js>,
) -> rquickjs::Result<Vec<Value<'js>>> {
    let module = module_of(&ctx, id)?;
    with_store(&ctx, |mut store| {
        let mut externs = Vec::new();
        for (index, import) in module.imports().enumerate() {
            let given: Value = imports.get(index)?;
            let what = format!(
                "Import #{index} \"{}\" \"{}\"",
                import.module(),
                import.name()
            );
            let link_error = |message: &str| {
                throw_wasm(
                    &ctx,
                    "LinkError",
                    &format!("WebAssembly.Instance(): {what}: {message}"),
                )
            };
            let number = given.as_number().map(|n| n as usize);
            let data = store.data();
            let external: Extern = match import.ty() {
                ExternType::Func(ty) => match number {
                    Some(n) => {
                        let (func, _) = data.funcs.get(n).ok_or_else(|| link_error("function import requires a callable"))?;
                        if !func.matches_ty(&store, &ty) {
                            return Err(link_error("imported function does not match the expected type"));
                        }
                        (*func).into()
                    }
                    None => {
                        let js = Function::from_value(given.clone())
                            .map_err(|_| link_error("function import requires a callable"))?;
                        import_func(&ctx, store.as_context_mut(), ty, js).into()
                    }
                },
                ExternType::Memory(_) => {
                    let entry = number.and_then(|n| data.memories.get(n)).ok_or_else(|| link_error("memory import must be a WebAssembly.Memory object"))?;
                    entry.memory.clone().into()
                }
                ExternType::Table(_) => {
                    let table = number.and_then(|n| data.tables.get(n)).ok_or_else(|| link_error("table import requires a WebAssembly.Table"))?;
                    (*table).into()
                }
                ExternType::Global(ty) => match number {
                    Some(n) => (*data.globals.get(n).ok_or_else(|| link_error("global import must be a number, valid Wasm reference, or WebAssembly.Global object"))?).into(),
                    None => {
                        if ty.mutability() == Mutability::Var {
                            return Err(link_error("imported mutable global must be a WebAssembly.Global object"));
                        }
                        let boxed = Array::from_value(given.clone()).map_err(|_| link_error("global import must be a number, valid Wasm reference, or WebAssembly.Global object"))?;
                        let plain: Value = boxed.get(0)?;
                        let value = to_wasm(&ctx, store.as_context_mut(), &plain, ty.content())
                            .map_err(|_| { let _ = ctx.catch(); link_error("global import must be a number, valid Wasm reference, or WebAssembly.Global object") })?;
                        Global::new(&mut store, ty, value).map_err(|e| link_error(&hearth_wasm::reason(&e)))?.into()
                    }
                },
                ExternType::Tag(_) => {
                    let tag = number.and_then(|n| data.tags.get(n)).ok_or_else(|| link_error("tag import requires a WebAssembly.Tag"))?;
                    (*tag).into()
                }
            };
            externs.push(external);
        }
        let instance = match hearth_wasm::wasmtime::Instance::new(&mut store, &module, &externs) {
            Ok(instance) => instance,
            Err(e) if e.downcast_ref::<ThrownException>().is_some() => {
                detach_grown(&ctx, store.as_context_mut());
                return Err(throw_exception(&ctx, store.as_context_mut()));
            }
            Err(e)
                if e.downcast_ref::<Trap>().is_some() || e.downcast_ref::<JsThrew>().is_some() =>
            {
                detach_grown(&ctx, store.as_context_mut());
                return Err(wasm_error(&ctx, e));
            }
            Err(e) if store.data().budget.exceeded() => return Err(wasm_error(&ctx, e)),
            Err(e) => {
                return Err(throw_wasm(
                    &ctx,
                    "LinkError",
                    &format!("WebAssembly.Instance(): {}", hearth_wasm::reason(&e)),
                ))
            }
        };
        detach_grown(&ctx, store.as_context_mut());
        let exports: Vec<(String, Extern)> = instance
            .exports(&mut store)
            .map(|e| (e.name().to_string(), e.into_extern()))
            .collect();
        let mut out = Vec::with_capacity(exports.len() * 4);
        for (name, external) in exports {
            let (kind, id, arity) = match external {
                Extern::Func(f) => {
                    let (id, arity) = register_func(store.as_context_mut(), f);
                    ("function", id, arity)
                }
                Extern::Memory(m) => (
                    "memory",
                    register_memory(store.as_context_mut(), Linear::Own(m)),
                    0,
                ),
                Extern::SharedMemory(m) => (
                    "memory",
                    register_memory(store.as_context_mut(), Linear::Shared(m)),
                    0,
                ),
                Extern::Table(t) => {
                    let tables = &mut store.data_mut().tables;
                    tables.push(t);
                    ("table", (tables.len() - 1) as u32, 0)
                }
                Extern::Global(g) => {
                    let globals = &mut store.data_mut().globals;
                    globals.push(g);
                    ("global", (globals.len() - 1) as u32, 0)
                }
                Extern::Tag(t) => ("tag", register_tag(store.as_context_mut(), t), 0),
            };
            out.push(rquickjs::String::from_str(ctx.clone(), &name)?.into_value());
            out.push(rquickjs::String::from_str(ctx.clone(), kind)?.into_value());
            out.push(Value::new_int(ctx.clone(), id as i32));
            out.push(Value::new_int(ctx.clone(), arity as i32));
        }
        Ok(out)
    })
}

/// A host function calling the JavaScript function `js` when wasm calls it.
fn import_func<'js>(
    ctx: &Ctx<'js>,
    mut store: StoreContextMut<'_, HostData>,
    ty: FuncType,
    js: Function<'js>,
) -> Func {
    let imports = &mut store.data_mut().imports;
    imports.push(Persistent::save(ctx, js));
    let id = imports.len() - 1;
    let results: Vec<ValType> = ty.results().collect();
    Func::new(store, ty, move |mut caller, params, out| {
        call_import(&mut caller, id, &results, params, out)
    })
}

fn call_import(
    caller: &mut Caller<'_, HostData>,
    id: usize,
    result_types: &[ValType],
    params: &[Val],
    out: &mut [Val],
) -> hearth_wasm::wasmtime::Result<()> {
    // SAFETY: the context of the isolate that owns this store, which is
    // running (it called into wasm), on this thread.
    let ctx = unsafe { Ctx::from_raw(caller.data().ctx) };
    let core = current();
    let outcome = (|| -> rquickjs::Result<()> {
        detach_grown(&ctx, caller.as_context_mut());
        let mut args = Vec::with_capacity(params.len());
        for param in params {
            args.push(to_js(&ctx, caller.as_context_mut(), param)?);
        }
        let js = caller.data().imports[id].clone().restore(&ctx)?;
        core.wasm
            .callers
            .borrow_mut()
            .push(NonNull::from(&mut *caller).cast());
        let returned = js.call::<_, Value>((Rest(args),));
        core.wasm.callers.borrow_mut().pop();
        let returned = returned?;
        match result_types {
            [] => {}
            [ty] => out[0] = to_wasm(&ctx, caller.as_context_mut(), &returned, ty)?,
            many => {
                let values = iterable_to_vec(&ctx, returned)?;
                if values.len() != many.len() {
                    return Err(Exception::throw_type(&ctx, "multi-return length mismatch"));
                }
                for (i, (value, ty)) in values.iter().zip(many).enumerate() {
                    out[i] = to_wasm(&ctx, caller.as_context_mut(), value, ty)?;
                }
            }
        }
        Ok(())
    })();
    match outcome {
        Ok(()) => Ok(()),
        Err(rquickjs::Error::Exception) => match exception_into_wasm(&ctx, caller) {
            Some(thrown) => Err(thrown),
            None => Err(hearth_wasm::wasmtime::Error::new(JsThrew)),
        },
        Err(other) => {
            let _ = Exception::throw_internal(&ctx, &other.to_string());
            Err(hearth_wasm::wasmtime::Error::new(JsThrew))
        }
    }
}

/// The values of an iterable (a multi-value import's result).
fn iterable_to_vec<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Vec<Value<'js>>> {
    let array: Function = ctx.globals().get::<_, Object>("Array")?.get("from")?;
    let array: Array = array.call((value,))?;
    array.iter().collect()
}

/// The most numbers a function on the fast path takes or returns.
const FAST_MAX: usize = 8;

/// A number type, on the fast path.
#[derive(Clone, Copy)]
enum Num {
    I32,
    I64,
    F32,
    F64,
}

/// The signature of a function taking and returning only numbers.
#[derive(Clone, Copy)]
struct Fast {
    params: [Num; FAST_MAX],
    arity: usize,
    result: Option<Num>,
}

impl Fast {
    fn of(ty: &FuncType) -> Option<Fast> {
        let num = |t: ValType| match t {
            ValType::I32 => Some(Num::I32),
            ValType::I64 => Some(Num::I64),
            ValType::F32 => Some(Num::F32),
            ValType::F64 => Some(Num::F64),
            _ => None,
        };
        let mut results = ty.results();
        let result = match (results.next(), results.next()) {
            (None, _) => None,
            (Some(t), None) => Some(num(t)?),
            (Some(_), Some(_)) => return None,
        };
        let mut params = [Num::I32; FAST_MAX];
        let mut arity = 0;
        for t in ty.params() {
            *params.get_mut(arity)? = num(t)?;
            arity += 1;
        }
        Some(Fast {
            params,
            arity,
            result,
        })
    }
}

/// A call on the fast path: arguments converted straight to raw values on
/// the stack, no type check at call time (done once, by [`Fast::of`]).
fn call_fast<'js>(
    ctx: &Ctx<'js>,
    mut store: StoreContextMut<'_, HostData>,
    func: Func,
    fast: Fast,
    args: &[Value<'js>],
) -> rquickjs::Result<Value<'js>> {
    let raw_ctx = ctx.as_raw().as_ptr();
    let undefined = Value::new_undefined(ctx.clone());
    let mut raw = [ValRaw::i32(0); FAST_MAX];
    for (i, slot) in raw.iter_mut().enumerate().take(fast.arity) {
        let arg = args.get(i).unwrap_or(&undefined);
        // SAFETY (all three): a live value of this context; the result is
        // written to the local; a failed conversion leaves an exception.
        *slot = match fast.params[i] {
            Num::I32 => {
                let mut out = 0i32;
                if unsafe { qjs::JS_ToInt32(raw_ctx, &mut out, arg.as_raw()) } < 0 {
                    return Err(rquickjs::Error::Exception);
                }
                ValRaw::i32(out)
            }
            Num::I64 => {
                let mut out = 0i64;
                if unsafe { qjs::JS_ToBigInt64(raw_ctx, &mut out, arg.as_raw()) } < 0 {
                    return Err(rquickjs::Error::Exception);
                }
                ValRaw::i64(out)
            }
            Num::F32 | Num::F64 => {
                let mut out = 0f64;
                if unsafe { qjs::JS_ToFloat64(raw_ctx, &mut out, arg.as_raw()) } < 0 {
                    return Err(rquickjs::Error::Exception);
                }
                if matches!(fast.params[i], Num::F32) {
                    ValRaw::f32((out as f32).to_bits())
                } else {
                    ValRaw::f64(out.to_bits())
                }
            }
        };
    }
    let used = fast.arity.max(usize::from(fast.result.is_some()));
    // SAFETY: `Fast::of` checked the function's type: its parameters are
    // the numbers written above, in order, and it returns at most one number;
    // `raw` holds max(params, results) slots; no references are passed, so
    // nothing needs rooting; `func` belongs to this store.
    let called = unsafe { func.call_unchecked(&mut store, &mut raw[..used]) };
    detach_grown(ctx, store.as_context_mut());
    match called {
        Ok(()) => {}
        Err(e) if e.downcast_ref::<ThrownException>().is_some() => {
            return Err(throw_exception(ctx, store.as_context_mut()))
        }
        Err(e) => return Err(wasm_error(ctx, e)),
    }
    Ok(match fast.result {
        None => undefined,
        Some(Num::I32) => Value::new_int(ctx.clone(), raw[0].get_i32()),
        Some(Num::I64) => rquickjs::BigInt::from_i64(ctx.clone(), raw[0].get_i64())?.into_value(),
        Some(Num::F32) => Value::new_float(ctx.clone(), f32::from_bits(raw[0].get_f32()) as f64),
        Some(Num::F64) => Value::new_float(ctx.clone(), f64::from_bits(raw[0].get_f64())),
    })
}

/// Calls the wasm function `id` with JavaScript arguments.
fn call<'js>(ctx: Ctx<'js>, id: u32, args: Rest<Value<'js>>) -> rquickjs::Result<Value<'js>> {
    with_store(&ctx, |mut store| {
        if let Some(Some(fast)) = store.data().fast.get(id as usize).copied() {
            let func = store.data().funcs[id as usize].0;
            return call_fast(&ctx, store, func, fast, &args.0);
        }
        let (func, ty) = store
            .data()
            .funcs
            .get(id as usize)
            .cloned()
            .ok_or_else(|| Exception::throw_type(&ctx, "not a wasm function"))?;
        let undefined = Value::new_undefined(ctx.clone());
        let mut params = Vec::with_capacity(ty.params().len());
        for (i, param) in ty.params().enumerate() {
            let arg = args.0.get(i).unwrap_or(&undefined);
            params.push(to_wasm(&ctx, store.as_context_mut(), arg, &param)?);
        }
        let mut results: Vec<Val> = ty
            .results()
            .map(|t| Val::default_for_ty(&t).unwrap_or(Val::I32(0)))
            .collect();
        let called = func.call(&mut store, &params, &mut results);
        detach_grown(&ctx, store.as_context_mut());
        match called {
            Err(e) if e.downcast_ref::<ThrownException>().is_some() => {
                return Err(throw_exception(&ctx, store.as_context_mut()))
            }
            called => called.map_err(|e| wasm_error(&ctx, e))?,
        }
        match results.as_slice() {
            [] => Ok(undefined),
            [one] => to_js(&ctx, store.as_context_mut(), one),
            many => {
                let array = Array::new(ctx.clone())?;
                for (i, v) in many.iter().enumerate() {
                    array.set(i, to_js(&ctx, store.as_context_mut(), v)?)?;
                }
                Ok(array.into_value())
            }
        }
    })
}

// ---- Tag and Exception ------------------------------------------------------

/// Gives a tag a number (the same one each time).
fn register_tag(mut store: StoreContextMut<'_, HostData>, tag: Tag) -> u32 {
    if let Some(id) = store
        .data()
        .tags
        .iter()
        .position(|known| Tag::eq(known, &tag, &store))
    {
        return id as u32;
    }
    let tags = &mut store.data_mut().tags;
    tags.push(tag);
    (tags.len() - 1) as u32
}

fn tag_of(ctx: &Ctx<'_>, store: &StoreContextMut<'_, HostData>, id: u32) -> rquickjs::Result<Tag> {
    store
        .data()
        .tags
        .get(id as usize)
        .copied()
        .ok_or_else(|| Exception::throw_type(ctx, "not a WebAssembly.Tag"))
}

/// A new tag whose exceptions carry values of the types `parameters` names.
fn tag_new(ctx: Ctx<'_>, parameters: Vec<String>) -> rquickjs::Result<u32> {
    let mut types = Vec::with_capacity(parameters.len());
    for name in &parameters {
        types.push(value_type(&ctx, name).map_err(|_| {
            let _ = ctx.catch();
            Exception::throw_type(
                &ctx,
                &format!("WebAssembly.Tag(): Argument 0 parameter type at index #{} must be a value type", types.len()),
            )
        })?);
    }
    with_store(&ctx, |mut store| {
        let ty = FuncType::new(hearth_wasm::engine(), types, []);
        let tag = Tag::new(&mut store, &TagType::new(ty)).map_err(|e| wasm_error(&ctx, e))?;
        Ok(register_tag(store, tag))
    })
}

/// The names of a tag's parameter types.
fn tag_type(ctx: Ctx<'_>, id: u32) -> rquickjs::Result<Vec<&'static str>> {
    with_store(&ctx, |store| {
        let tag = tag_of(&ctx, &store, id)?;
        Ok(tag
            .ty(&store)
            .ty()
            .params()
            .map(|t| value_type_name(&t))
            .collect())
    })
}

/// `values` converted to the tag's parameter types and back, as
/// `new WebAssembly.Exception(tag, payload)` stores them (a TypeError for a
/// wrong count or a value that does not convert).
fn tag_payload<'js>(
    ctx: Ctx<'js>,
    id: u32,
    values: Vec<Value<'js>>,
) -> rquickjs::Result<Vec<Value<'js>>> {
    with_store(&ctx, |mut store| {
        let tag = tag_of(&ctx, &store, id)?;
        let types: Vec<ValType> = tag.ty(&store).ty().params().collect();
        if types.len() != values.len() {
            return Err(Exception::throw_type(
                &ctx,
                "WebAssembly.Exception(): Number of exception values does not match signature length",
            ));
        }
        let mut out = Vec::with_capacity(values.len());
        for (value, ty) in values.iter().zip(&types) {
            let wasm = to_wasm(&ctx, store.as_context_mut(), value, ty)?;
            out.push(to_js(&ctx, store.as_context_mut(), &wasm)?);
        }
        Ok(out)
    })
}

/// The hooks of `wasm.js` (error classes, function and tag wrappers).
fn hooks<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let internal = current().internals().internal.clone().restore(ctx)?;
    internal.get("wasm")
}

/// The exception wasm threw and did not catch, thrown to JavaScript as a
/// `WebAssembly.Exception` with its tag's JavaScript object.
fn throw_exception(ctx: &Ctx<'_>, mut store: StoreContextMut<'_, HostData>) -> rquickjs::Error {
    let make = |store: &mut StoreContextMut<'_, HostData>| -> rquickjs::Result<Value<'_>> {
        let mut scope = RootScope::new(store);
        let exn = scope
            .as_context_mut()
            .take_pending_exception()
            .ok_or_else(|| Exception::throw_internal(ctx, "no pending wasm exception"))?;
        let tag = exn
            .tag(&mut scope)
            .map_err(|e| Exception::throw_internal(ctx, &e.to_string()))?;
        let count = tag.ty(&scope).ty().params().len();
        let mut values = Vec::with_capacity(count);
        for index in 0..count {
            let value = exn
                .field(&mut scope, index)
                .map_err(|e| Exception::throw_internal(ctx, &e.to_string()))?;
            values.push(to_js(ctx, scope.as_context_mut(), &value)?);
        }
        let id = register_tag(scope.as_context_mut(), tag);
        let make: Function = hooks(ctx)?.get("makeException")?;
        make.call((id, values))
    };
    match make(&mut store) {
        Ok(exception) => ctx.throw(exception),
        Err(e) => e,
    }
}

/// When the JavaScript an import called threw a `WebAssembly.Exception`,
/// throws it into wasm (where a `try_table` may catch it) and returns the
/// error that carries it; any other exception is left pending for
/// JavaScript (`None`), and unwinds through wasm uncaught.
fn exception_into_wasm(
    ctx: &Ctx<'_>,
    caller: &mut Caller<'_, HostData>,
) -> Option<hearth_wasm::wasmtime::Error> {
    let thrown = ctx.catch();
    let payload = hooks(ctx)
        .and_then(|h| h.get::<_, Function>("exceptionPayload"))
        .and_then(|f| f.call::<_, Option<Array>>((thrown.clone(),)))
        .and_then(|pair| match pair {
            Some(pair) => Ok(Some((pair.get::<u32>(0)?, pair.get::<Vec<Value>>(1)?))),
            None => Ok(None),
        });
    let Ok(Some((id, values))) = payload else {
        // Not a WebAssembly.Exception: pending again, as it was.
        let _ = ctx.throw(thrown);
        return None;
    };
    let mut store = caller.as_context_mut();
    let mut scope = RootScope::new(&mut store);
    let built = (|| -> rquickjs::Result<hearth_wasm::wasmtime::Error> {
        let tag = *scope
            .as_context()
            .data()
            .tags
            .get(id as usize)
            .ok_or(rquickjs::Error::Unknown)?;
        let ty = tag.ty(&scope);
        let mut fields = Vec::with_capacity(values.len());
        for (value, param) in values.iter().zip(ty.ty().params()) {
            fields.push(to_wasm(ctx, scope.as_context_mut(), value, &param)?);
        }
        let exn_ty = ExnType::from_tag_type(&ty).map_err(|_| rquickjs::Error::Unknown)?;
        let pre = ExnRefPre::new(&mut scope, exn_ty);
        let exn =
            ExnRef::new(&mut scope, &pre, &tag, &fields).map_err(|_| rquickjs::Error::Unknown)?;
        Ok(scope
            .as_context_mut()
            .throw::<()>(exn)
            .expect_err("throw always fails"))
    })();
    match built {
        Ok(error) => Some(error),
        Err(_) => {
            let _ = ctx.throw(thrown);
            None
        }
    }
}

// ---- Memory -----------------------------------------------------------------

/// The error for an isolate past its memory limit.
fn memory_limit_error(ctx: &Ctx<'_>) -> rquickjs::Error {
    let core = current();
    Exception::throw_range(
        ctx,
        &FatalKind::Memory.explain(core.cpu_limit, core.worker.memory_limit()),
    )
}

const PAGE: usize = 65536;

fn memory_new(
    ctx: Ctx<'_>,
    initial: u32,
    maximum: Option<u32>,
    shared: bool,
) -> rquickjs::Result<u32> {
    let could_not = |e: hearth_wasm::wasmtime::Error| {
        Exception::throw_range(
            &ctx,
            &format!(
                "WebAssembly.Memory(): could not allocate memory: {}",
                hearth_wasm::reason(&e)
            ),
        )
    };
    with_store(&ctx, |mut store| {
        let memory = if shared {
            let maximum = maximum.ok_or_else(|| {
                Exception::throw_type(
                    &ctx,
                    "WebAssembly.Memory(): If shared is true, maximum property should be defined.",
                )
            })?;
            let bytes = initial as usize * PAGE;
            if !store.data().budget.charge(bytes) {
                return Err(memory_limit_error(&ctx));
            }
            let memory =
                SharedMemory::new(hearth_wasm::engine(), MemoryType::shared(initial, maximum))
                    .map_err(could_not)?;
            Linear::Shared(memory)
        } else {
            let memory =
                Memory::new(&mut store, MemoryType::new(initial, maximum)).map_err(|e| {
                    if store.data().budget.exceeded() {
                        wasm_error(&ctx, e)
                    } else {
                        could_not(e)
                    }
                })?;
            Linear::Own(memory)
        };
        Ok(register_memory(store, memory))
    })
}

fn memory_entry(
    ctx: &Ctx<'_>,
    store: &StoreContextMut<'_, HostData>,
    id: u32,
) -> rquickjs::Result<Linear> {
    store
        .data()
        .memories
        .get(id as usize)
        .map(|m| m.memory.clone())
        .ok_or_else(|| Exception::throw_type(ctx, "not a WebAssembly.Memory"))
}

/// Frees what a shared memory's `SharedArrayBuffer` holds: QuickJS calls
/// this with size 0 when the buffer is collected; `opaque` is the boxed
/// [`SharedMemory`] keeping the bytes mapped.
unsafe extern "C" fn release_shared(
    _rt: *mut qjs::JSRuntime,
    opaque: *mut std::ffi::c_void,
    _ptr: *mut std::ffi::c_void,
    size: qjs::size_t,
) -> *mut std::ffi::c_void {
    if size == 0 && !opaque.is_null() {
        // SAFETY: `opaque` is the box `memory_buffer` leaked for this buffer,
        // released exactly once, when the buffer is finalized.
        drop(unsafe { Box::from_raw(opaque.cast::<SharedMemory>()) });
    }
    std::ptr::null_mut()
}

/// The memory's bytes as an ArrayBuffer (a SharedArrayBuffer for a shared
/// memory), without copying: the same object until the memory grows.
fn memory_buffer<'js>(ctx: Ctx<'js>, id: u32) -> rquickjs::Result<Value<'js>> {
    with_store(&ctx, |mut store| {
        let memory = memory_entry(&ctx, &store, id)?;
        let size = memory.size(&store);
        let ptr = memory.base(&store);
        let entry = &mut store.data_mut().memories[id as usize];
        if let Some((buffer, len)) = &entry.buffer {
            if *len == size {
                return buffer.clone().restore(&ctx);
            }
        }
        if let Some((old, _)) = entry.buffer.take() {
            // A shared memory's old buffers stay valid at their length.
            if !memory.is_shared() {
                let old = old.restore(&ctx)?;
                // SAFETY: a live ArrayBuffer of this context.
                unsafe { qjs::JS_DetachArrayBuffer(ctx.as_raw().as_ptr(), old.as_raw()) };
            }
        }
        let raw = match &memory {
            // SAFETY: the memory's bytes stay at `ptr` (memories never move)
            // and stay mapped for the store's life, which outlives every
            // JavaScript run of this isolate; no free function: wasmtime owns
            // the bytes. When the memory grows this buffer is detached before
            // JavaScript runs again, so it never covers bytes that are not
            // there.
            Linear::Own(_) => unsafe {
                qjs::JS_NewArrayBuffer(
                    ctx.as_raw().as_ptr(),
                    ptr,
                    size as u64,
                    0,
                    None,
                    std::ptr::null_mut(),
                    false,
                )
            },
            // SAFETY: a shared memory never moves and never shrinks; the
            // buffer owns a handle to it (released by `release_shared`), so
            // its `size` bytes stay mapped as long as the buffer lives.
            Linear::Shared(shared) => unsafe {
                qjs::JS_NewArrayBuffer(
                    ctx.as_raw().as_ptr(),
                    ptr,
                    size as u64,
                    0,
                    Some(release_shared),
                    Box::into_raw(Box::new(shared.clone())).cast(),
                    true,
                )
            },
        };
        // SAFETY: a fresh value (or the exception marker) owned by us.
        let buffer = unsafe { Value::from_raw(ctx.clone(), raw) };
        if buffer.is_exception() {
            return Err(rquickjs::Error::Exception);
        }
        if memory.is_shared() {
            // The JS API freezes a shared memory's buffer.
            // SAFETY: a live object of this context.
            unsafe { qjs::JS_FreezeObject(ctx.as_raw().as_ptr(), buffer.as_raw()) };
        }
        entry.buffer = Some((Persistent::save(&ctx, buffer.clone()), size));
        Ok(buffer)
    })
}

/// Grows the memory by `delta` pages; returns the old size in pages.
fn memory_grow(ctx: Ctx<'_>, id: u32, delta: f64) -> rquickjs::Result<f64> {
    let too_big = || {
        Exception::throw_range(
            &ctx,
            "WebAssembly.Memory.grow(): Maximum memory size exceeded",
        )
    };
    with_store(&ctx, |mut store| {
        let memory = memory_entry(&ctx, &store, id)?;
        let memory = match memory {
            Linear::Own(memory) => memory,
            Linear::Shared(shared) => {
                let pages = shared.size();
                let maximum = shared.ty().maximum().unwrap_or(u64::MAX);
                if pages.saturating_add(delta as u64) > maximum {
                    return Err(too_big());
                }
                if !store.data().budget.charge(delta as usize * PAGE) {
                    return Err(memory_limit_error(&ctx));
                }
                let old = shared.grow(delta as u64).map_err(|_| too_big())?;
                store.data_mut().memories[id as usize].charged = shared.data_size();
                return Ok(old as f64);
            }
        };
        let grown = memory.grow(&mut store, delta as u64);
        detach_grown(&ctx, store.as_context_mut());
        match grown {
            Ok(old) => Ok(old as f64),
            Err(e) if store.data().budget.exceeded() => Err(wasm_error(&ctx, e)),
            Err(_) => Err(too_big()),
        }
    })
}

// ---- Table ------------------------------------------------------------------

fn ref_type(ctx: &Ctx<'_>, element: &str) -> rquickjs::Result<RefType> {
    match element {
        "anyfunc" | "funcref" => Ok(RefType::FUNCREF),
        "externref" => Ok(RefType::EXTERNREF),
        other => Err(Exception::throw_type(
            ctx,
            &format!("WebAssembly.Table(): Descriptor property 'element' must be a WebAssembly reference type, not '{other}'"),
        )),
    }
}

/// The table's element as a value type, to convert values with.
fn element_type(store: &StoreContextMut<'_, HostData>, table: &Table) -> ValType {
    ValType::Ref(table.ty(store).element().clone())
}

fn to_ref<'js>(
    ctx: &Ctx<'js>,
    mut store: StoreContextMut<'_, HostData>,
    table: &Table,
    value: Option<Value<'js>>,
) -> rquickjs::Result<Ref> {
    let ty = element_type(&store, table);
    let ValType::Ref(rt) = &ty else {
        unreachable!("table elements are references")
    };
    match value.filter(|v| !v.is_undefined()) {
        // A missing value is the element type's default, null.
        None => Ok(Ref::null(rt.heap_type())),
        Some(v) => Ok(to_wasm(ctx, store.as_context_mut(), &v, &ty)?
            .ref_()
            .expect("a reference type gives a reference")),
    }
}

fn table_new<'js>(
    ctx: Ctx<'js>,
    element: String,
    initial: u32,
    maximum: Option<u32>,
    value: rquickjs::function::Opt<Value<'js>>,
) -> rquickjs::Result<u32> {
    let rt = ref_type(&ctx, &element)?;
    with_store(&ctx, |mut store| {
        let init = match value.0.filter(|v| !v.is_undefined()) {
            None => Ref::null(rt.heap_type()),
            Some(v) => to_wasm(&ctx, store.as_context_mut(), &v, &ValType::Ref(rt.clone()))?
                .ref_()
                .expect("a reference type gives a reference"),
        };
        let table = Table::new(&mut store, TableType::new(rt, initial, maximum), init)
            .map_err(|e| wasm_error(&ctx, e))?;
        let tables = &mut store.data_mut().tables;
        tables.push(table);
        Ok((tables.len() - 1) as u32)
    })
}

fn table_of(
    ctx: &Ctx<'_>,
    store: &StoreContextMut<'_, HostData>,
    id: u32,
) -> rquickjs::Result<Table> {
    store
        .data()
        .tables
        .get(id as usize)
        .copied()
        .ok_or_else(|| Exception::throw_type(ctx, "not a WebAssembly.Table"))
}

fn table_get<'js>(ctx: Ctx<'js>, id: u32, index: f64) -> rquickjs::Result<Value<'js>> {
    with_store(&ctx, |mut store| {
        let table = table_of(&ctx, &store, id)?;
        let got = table.get(&mut store, index as u64).ok_or_else(|| {
            Exception::throw_range(&ctx, "WebAssembly.Table.get(): invalid address")
        })?;
        to_js(&ctx, store, &Val::from(got))
    })
}

fn table_set<'js>(
    ctx: Ctx<'js>,
    id: u32,
    index: f64,
    value: rquickjs::function::Opt<Value<'js>>,
) -> rquickjs::Result<()> {
    with_store(&ctx, |mut store| {
        let table = table_of(&ctx, &store, id)?;
        let value = to_ref(&ctx, store.as_context_mut(), &table, value.0)?;
        table
            .set(&mut store, index as u64, value)
            .map_err(|_| Exception::throw_range(&ctx, "WebAssembly.Table.set(): invalid address"))
    })
}

fn table_grow<'js>(
    ctx: Ctx<'js>,
    id: u32,
    delta: f64,
    value: rquickjs::function::Opt<Value<'js>>,
) -> rquickjs::Result<f64> {
    with_store(&ctx, |mut store| {
        let table = table_of(&ctx, &store, id)?;
        let init = to_ref(&ctx, store.as_context_mut(), &table, value.0)?;
        match table.grow(&mut store, delta as u64, init) {
            Ok(old) => Ok(old as f64),
            Err(e) if store.data().budget.exceeded() => Err(wasm_error(&ctx, e)),
            Err(_) => Err(Exception::throw_range(
                &ctx,
                "WebAssembly.Table.grow(): failed to grow table",
            )),
        }
    })
}

fn table_length(ctx: Ctx<'_>, id: u32) -> rquickjs::Result<f64> {
    with_store(&ctx, |store| {
        Ok(table_of(&ctx, &store, id)?.size(&store) as f64)
    })
}

// ---- Global -----------------------------------------------------------------

fn value_type(ctx: &Ctx<'_>, name: &str) -> rquickjs::Result<ValType> {
    Ok(match name {
        "i32" => ValType::I32,
        "i64" => ValType::I64,
        "f32" => ValType::F32,
        "f64" => ValType::F64,
        "anyfunc" | "funcref" => ValType::FUNCREF,
        "externref" => ValType::EXTERNREF,
        other => {
            return Err(Exception::throw_type(
                ctx,
                &format!("WebAssembly.Global(): Descriptor property 'value' must be a WebAssembly type, not '{other}'"),
            ))
        }
    })
}

fn value_type_name(ty: &ValType) -> &'static str {
    match ty {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        ValType::V128 => "v128",
        ValType::Ref(rt)
            if matches!(rt.heap_type().top(), hearth_wasm::wasmtime::HeapType::Func) =>
        {
            "anyfunc"
        }
        ValType::Ref(_) => "externref",
    }
}

fn global_new<'js>(
    ctx: Ctx<'js>,
    ty: String,
    mutable: bool,
    value: rquickjs::function::Opt<Value<'js>>,
) -> rquickjs::Result<u32> {
    let content = value_type(&ctx, &ty)?;
    with_store(&ctx, |mut store| {
        let initial = match value.0.filter(|v| !v.is_undefined()) {
            Some(v) => to_wasm(&ctx, store.as_context_mut(), &v, &content)?,
            None => Val::default_for_ty(&content).unwrap_or(Val::I32(0)),
        };
        let mutability = if mutable {
            Mutability::Var
        } else {
            Mutability::Const
        };
        let global = Global::new(&mut store, GlobalType::new(content, mutability), initial)
            .map_err(|e| wasm_error(&ctx, e))?;
        let globals = &mut store.data_mut().globals;
        globals.push(global);
        Ok((globals.len() - 1) as u32)
    })
}

fn global_of(
    ctx: &Ctx<'_>,
    store: &StoreContextMut<'_, HostData>,
    id: u32,
) -> rquickjs::Result<Global> {
    store
        .data()
        .globals
        .get(id as usize)
        .copied()
        .ok_or_else(|| Exception::throw_type(ctx, "not a WebAssembly.Global"))
}

fn global_get<'js>(ctx: Ctx<'js>, id: u32) -> rquickjs::Result<Value<'js>> {
    with_store(&ctx, |mut store| {
        let global = global_of(&ctx, &store, id)?;
        let value = global.get(&mut store);
        to_js(&ctx, store, &value)
    })
}

fn global_set<'js>(ctx: Ctx<'js>, id: u32, value: Value<'js>) -> rquickjs::Result<()> {
    with_store(&ctx, |mut store| {
        let global = global_of(&ctx, &store, id)?;
        let ty = global.ty(&store);
        if ty.mutability() == Mutability::Const {
            return Err(Exception::throw_type(
                &ctx,
                "set WebAssembly.Global.value: Can't set the value of an immutable global.",
            ));
        }
        let value = to_wasm(&ctx, store.as_context_mut(), &value, ty.content())?;
        global
            .set(&mut store, value)
            .map_err(|e| Exception::throw_type(&ctx, &hearth_wasm::reason(&e)))
    })
}

/// `[type, mutable]` of a global.
fn global_type<'js>(ctx: Ctx<'js>, id: u32) -> rquickjs::Result<Array<'js>> {
    let (name, mutable) = with_store(&ctx, |store| {
        let ty = global_of(&ctx, &store, id)?.ty(&store);
        Ok::<_, rquickjs::Error>((
            value_type_name(ty.content()),
            ty.mutability() == Mutability::Var,
        ))
    })?;
    let out = Array::new(ctx.clone())?;
    out.set(0, name)?;
    out.set(1, mutable)?;
    Ok(out)
}
