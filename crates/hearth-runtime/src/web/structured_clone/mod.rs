//! Structured serialization: JavaScript values to compact bytes and back.
//!
//! One codec serves `structuredClone`, Durable Object storage values, RPC
//! arguments, results and exceptions, and WebSocket attachments. It follows
//! the HTML structured-serialize algorithm as V8 implements it (the engine
//! behind workerd): primitives (with `-0`, `NaN`, BigInt, lone surrogates),
//! arrays (holes and extra properties kept), plain objects, `Date`, `RegExp`,
//! `Map`, `Set`, `ArrayBuffer`, every typed array and `DataView` (views of one
//! buffer still share it), errors (name, message, stack, cause), boxed
//! primitives, cycles and shared references. Functions, symbols, promises,
//! weak collections and platform objects throw a `DataCloneError`, except in
//! RPC ([`Purpose::Rpc`]), where functions, `RpcTarget`s and stubs cross by
//! reference: the prelude's `rpcEncode` names them and `rpcDecode` makes the
//! stub on the other side (`bindings/services/rpc.js`).
//!
//! The bytes start with [`MAGIC`] and a version; values are a tag byte
//! followed by varints, little-endian doubles and raw bytes, so a 1 MiB typed
//! array costs 1 MiB. Storage written before this codec holds tagged JSON
//! text, which never starts with [`MAGIC`] (not a UTF-8 byte):
//! [`deserialize`] still reads it.

mod legacy;

use rquickjs::{qjs, Ctx, Exception, Function, Object, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// First byte of every serialized value; never the first byte of UTF-8 text.
pub const MAGIC: u8 = 0xFF;
/// Format version, the second byte.
const VERSION: u8 = 1;

/// Nesting deeper than this throws instead of exhausting the native stack.
const MAX_DEPTH: u32 = 2000;

/// What a serialization is for, which decides how class instances are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Storage (Durable Objects, queues) and `structuredClone`: an instance of
    /// a JavaScript class is stored as a plain object of its own enumerable
    /// properties, as V8 does.
    Store,
    /// RPC arguments and results: class instances are refused, as on workerd;
    /// functions, `RpcTarget`s and stubs are written as stubs.
    Rpc,
}

/// Which side of an RPC call deserialized bytes are: it decides who owns the
/// stubs in them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Received {
    /// A call's arguments: their stubs are lent for the call (the callee
    /// `dup()`s one to keep it).
    Args,
    /// A call's result: its stubs belong to the receiver, who disposes them
    /// (the result itself gets a `Symbol.dispose` disposing them all).
    Result,
}

mod tag {
    pub const UNDEFINED: u8 = 0x00;
    pub const NULL: u8 = 0x01;
    pub const TRUE: u8 = 0x02;
    pub const FALSE: u8 = 0x03;
    pub const INT: u8 = 0x04;
    pub const DOUBLE: u8 = 0x05;
    pub const BIGINT: u8 = 0x06;
    pub const STRING: u8 = 0x07;
    pub const REF: u8 = 0x08;
    pub const OBJECT: u8 = 0x10;
    pub const DENSE_ARRAY: u8 = 0x11;
    pub const SPARSE_ARRAY: u8 = 0x12;
    pub const DATE: u8 = 0x13;
    pub const REGEXP: u8 = 0x14;
    pub const MAP: u8 = 0x15;
    pub const SET: u8 = 0x16;
    pub const ARRAY_BUFFER: u8 = 0x17;
    pub const VIEW: u8 = 0x18;
    pub const ERROR: u8 = 0x19;
    pub const BOXED: u8 = 0x1A;
    pub const DOM_EXCEPTION: u8 = 0x1B;
    pub const HOST: u8 = 0x1C;
    pub const SIDE_BUFFER: u8 = 0x1D;
    pub const STUB: u8 = 0x1E;
}

/// View kinds as stored (stable, unlike the engine's enum).
const VIEW_KINDS: [(u8, i32); 12] = [
    (0, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_INT8 as i32),
    (1, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_UINT8 as i32),
    (2, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_UINT8C as i32),
    (3, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_INT16 as i32),
    (4, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_UINT16 as i32),
    (5, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_INT32 as i32),
    (6, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_UINT32 as i32),
    (7, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_FLOAT16 as i32),
    (8, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_FLOAT32 as i32),
    (9, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_FLOAT64 as i32),
    (10, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_BIG_INT64 as i32),
    (11, qjs::JSTypedArrayEnum_JS_TYPED_ARRAY_BIG_UINT64 as i32),
];
const DATA_VIEW: u8 = 12;

/// Error constructors a serialized error can name (V8's list).
const ERROR_NAMES: [&str; 7] = [
    "Error",
    "EvalError",
    "RangeError",
    "ReferenceError",
    "SyntaxError",
    "TypeError",
    "URIError",
];

/// Serializes `value` to bytes for `purpose`.
pub fn serialize<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    purpose: Purpose,
) -> rquickjs::Result<Vec<u8>> {
    let mut w = Writer::new(ctx, purpose, None)?;
    w.value(value)?;
    Ok(w.out)
}

/// Reads bytes made by [`serialize`] (or by the JSON format before it).
pub fn deserialize<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<Value<'js>> {
    if bytes.first() != Some(&MAGIC) {
        return legacy::deserialize(ctx, bytes);
    }
    if bytes.get(1) != Some(&VERSION) {
        return Err(corrupt(ctx));
    }
    let mut r = Reader::new(ctx, &bytes[2..], Vec::new(), Vec::new());
    let value = r.value()?;
    if r.pos != r.buf.len() {
        return Err(corrupt(ctx));
    }
    Ok(value)
}

/// Reads an RPC call's arguments or result (see [`Received`]).
pub fn deserialize_rpc<'js>(
    ctx: &Ctx<'js>,
    bytes: &[u8],
    received: Received,
) -> rquickjs::Result<Value<'js>> {
    if bytes.first() != Some(&MAGIC) || bytes.get(1) != Some(&VERSION) {
        return Err(corrupt(ctx));
    }
    let mut r = Reader::new(ctx, &bytes[2..], Vec::new(), Vec::new());
    r.owned = received == Received::Result;
    let value = r.value()?;
    if r.pos != r.buf.len() {
        return Err(corrupt(ctx));
    }
    if r.owned && !r.stubs.is_empty() {
        let adopt: Function = crate::host::isolate::internal(ctx)?.get("rpcAdopt")?;
        adopt.call::<_, ()>((value.clone(), std::mem::take(&mut r.stubs)))?;
    }
    Ok(value)
}

/// `structuredClone(value)`: serialize and deserialize in one go. Platform
/// objects with a cloner registered in `cloners` (a `Map` from prototype to
/// function, e.g. `Blob`) are copied by it.
pub fn clone<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    cloners: Option<Object<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let mut w = Writer::new(ctx, Purpose::Store, cloners)?;
    w.value(value)?;
    let host = std::mem::take(&mut w.host);
    let buffers = std::mem::take(&mut w.buffers)
        .into_iter()
        .map(Some)
        .collect();
    let bytes = std::mem::take(&mut w.out);
    drop(w);
    let mut r = Reader::new(ctx, &bytes[2..], host, buffers);
    r.value()
}

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "structuredClone",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, value: Value<'js>, cloners: Option<Object<'js>>| {
                clone(&ctx, &value, cloners)
            },
        )?,
    )?;
    Ok(())
}

/// Throws `new DOMException(message, 'DataCloneError')`.
pub fn data_clone_error(ctx: &Ctx<'_>, message: &str) -> rquickjs::Error {
    let made = (|| -> rquickjs::Result<Value<'_>> {
        let ctor: rquickjs::Constructor = ctx.globals().get("DOMException")?;
        ctor.construct((message, "DataCloneError"))
    })();
    match made {
        Ok(e) => ctx.throw(e),
        Err(e) => e,
    }
}

fn corrupt(ctx: &Ctx<'_>) -> rquickjs::Error {
    Exception::throw_message(
        ctx,
        "cannot read a stored value: its serialization is corrupt",
    )
}

/// Turns a raw engine result into an owned value, or the pending exception.
fn owned<'js>(ctx: &Ctx<'js>, raw: qjs::JSValue) -> rquickjs::Result<Value<'js>> {
    // SAFETY: `raw` was just returned by the engine for this context and is owned.
    unsafe {
        if qjs::JS_IsException(raw) {
            return Err(rquickjs::Error::Exception);
        }
        Ok(Value::from_raw(ctx.clone(), raw))
    }
}

/// A number value; unlike `Value::new_number`, keeps `-0`.
fn number<'js>(ctx: &Ctx<'js>, f: f64) -> Value<'js> {
    // SAFETY: a float needs no reference count.
    unsafe { Value::from_raw(ctx.clone(), qjs::JS_NewFloat64(f)) }
}

/// A new reference to `v`, for engine calls that take ownership.
fn dup(ctx: &Ctx<'_>, v: &Value<'_>) -> qjs::JSValue {
    // SAFETY: `v` is a live value of this context.
    unsafe { qjs::JS_DupValue(ctx.as_raw().as_ptr(), v.as_raw()) }
}

/// Class ids of boxed primitives, fixed for the engine build.
struct BoxClasses {
    boolean: u32,
    number: u32,
    string: u32,
    bigint: u32,
    symbol: u32,
}

fn box_classes<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<&'static BoxClasses> {
    static CLASSES: OnceLock<BoxClasses> = OnceLock::new();
    if let Some(c) = CLASSES.get() {
        return Ok(c);
    }
    let object: Function = ctx.globals().get("Object")?;
    let symbol: Function = ctx.globals().get("Symbol")?;
    let id = |primitive: Value<'js>| -> rquickjs::Result<u32> {
        let boxed: Value = object.call((primitive,))?;
        // SAFETY: reads the class id of a live value.
        Ok(unsafe { qjs::JS_GetClassID(boxed.as_raw()) })
    };
    let classes = BoxClasses {
        boolean: id(Value::new_bool(ctx.clone(), false))?,
        number: id(Value::new_int(ctx.clone(), 0))?,
        string: id(rquickjs::String::from_str(ctx.clone(), "")?.into_value())?,
        bigint: id(rquickjs::BigInt::from_i64(ctx.clone(), 0)?.into_value())?,
        symbol: id(symbol.call::<_, Value>(())?)?,
    };
    Ok(CLASSES.get_or_init(|| classes))
}

/// The engine's class id of ordinary objects (`JS_CLASS_OBJECT`, first of its enum).
const CLASS_OBJECT: u32 = 1;

struct Writer<'js> {
    ctx: Ctx<'js>,
    raw: *mut qjs::JSContext,
    out: Vec<u8>,
    /// Objects already written, by address, with their id.
    ids: HashMap<usize, u32>,
    /// Keeps every written object alive, so no address is reused meanwhile.
    pinned: Vec<Value<'js>>,
    purpose: Purpose,
    object_proto: Value<'js>,
    boxes: &'static BoxClasses,
    /// `structuredClone` only: platform objects copied by their cloner, and
    /// buffer contents kept aside (handed to the copy without a second memcpy).
    cloners: Option<Object<'js>>,
    host: Vec<Value<'js>>,
    buffers: Vec<Vec<u8>>,
    depth: u32,
    /// RPC only: the prelude's `rpcEncode`, once looked up.
    encode: Option<Function<'js>>,
}

impl<'js> Writer<'js> {
    fn new(
        ctx: &Ctx<'js>,
        purpose: Purpose,
        cloners: Option<Object<'js>>,
    ) -> rquickjs::Result<Self> {
        let object_proto = ctx
            .globals()
            .get::<_, Object>("Object")?
            .get::<_, Value>("prototype")?;
        Ok(Writer {
            ctx: ctx.clone(),
            raw: ctx.as_raw().as_ptr(),
            out: vec![MAGIC, VERSION],
            ids: HashMap::new(),
            pinned: Vec::new(),
            purpose,
            object_proto,
            boxes: box_classes(ctx)?,
            cloners,
            host: Vec::new(),
            buffers: Vec::new(),
            depth: 0,
            encode: None,
        })
    }

    /// RPC: writes `v` as a stub if it crosses by reference (a function, an
    /// `RpcTarget`, a stub); `false` if it does not.
    fn stub(&mut self, v: &Value<'js>, addr: usize) -> rquickjs::Result<bool> {
        if self.purpose != Purpose::Rpc {
            return Ok(false);
        }
        let encode = match &self.encode {
            Some(f) => f.clone(),
            None => {
                // Outside an isolate (the serializer's unit tests) no stub
                // machinery exists, so nothing crosses by reference.
                let Some(internal) = crate::host::isolate::try_internal(&self.ctx) else {
                    return Ok(false);
                };
                let f: Function = internal.get("rpcEncode")?;
                self.encode = Some(f.clone());
                f
            }
        };
        let descriptor: Value = encode.call((v.clone(),))?;
        if descriptor.is_null() || descriptor.is_undefined() {
            return Ok(false);
        }
        self.remember(v, addr);
        self.out.push(tag::STUB);
        self.value(&descriptor)?;
        Ok(true)
    }

    fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.out.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.out.push(n as u8);
    }

    fn number(&mut self, f: f64) {
        if f.fract() == 0.0
            && f >= i32::MIN as f64
            && f <= i32::MAX as f64
            && !(f == 0.0 && f.is_sign_negative())
        {
            self.int(f as i32);
        } else {
            self.out.push(tag::DOUBLE);
            self.out.extend_from_slice(&f.to_le_bytes());
        }
    }

    fn int(&mut self, i: i32) {
        self.out.push(tag::INT);
        self.varint(((i << 1) ^ (i >> 31)) as u32 as u64);
    }

    /// A string's code units as WTF-8 (lone surrogates kept), after tag `t`
    /// (a BigInt gives its decimal digits).
    fn string(&mut self, t: u8, v: qjs::JSValue) -> rquickjs::Result<()> {
        let mut len: qjs::size_t = 0;
        // SAFETY: `v` is a live string; the buffer is read before being freed.
        unsafe {
            let p = qjs::JS_ToCStringLen2(self.raw, &mut len, v, false);
            if p.is_null() {
                return Err(rquickjs::Error::Exception);
            }
            let bytes = std::slice::from_raw_parts(p as *const u8, len as usize);
            self.out.push(t);
            self.varint(bytes.len() as u64);
            self.out.extend_from_slice(bytes);
            qjs::JS_FreeCString(self.raw, p);
        }
        Ok(())
    }

    fn str(&mut self, s: &str) {
        self.out.push(tag::STRING);
        self.varint(s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }

    fn value(&mut self, v: &Value<'js>) -> rquickjs::Result<()> {
        let raw = v.as_raw();
        // SAFETY: reads the tag and payload of a live value.
        let t = unsafe { qjs::JS_VALUE_GET_NORM_TAG(raw) };
        match t {
            qjs::JS_TAG_UNDEFINED => self.out.push(tag::UNDEFINED),
            qjs::JS_TAG_NULL => self.out.push(tag::NULL),
            qjs::JS_TAG_BOOL => {
                let b = unsafe { qjs::JS_VALUE_GET_BOOL(raw) };
                self.out.push(if b { tag::TRUE } else { tag::FALSE });
            }
            qjs::JS_TAG_INT => self.int(unsafe { qjs::JS_VALUE_GET_INT(raw) }),
            qjs::JS_TAG_FLOAT64 => self.number(unsafe { qjs::JS_VALUE_GET_FLOAT64(raw) }),
            qjs::JS_TAG_STRING | qjs::JS_TAG_STRING_ROPE => self.string(tag::STRING, raw)?,
            qjs::JS_TAG_BIG_INT | qjs::JS_TAG_SHORT_BIG_INT => self.string(tag::BIGINT, raw)?,
            qjs::JS_TAG_OBJECT => self.object(v)?,
            qjs::JS_TAG_SYMBOL => {
                let text: String = self
                    .ctx
                    .globals()
                    .get::<_, Function>("String")?
                    .call((v.clone(),))?;
                return Err(data_clone_error(
                    &self.ctx,
                    &format!("{text} could not be cloned."),
                ));
            }
            _ => return Err(data_clone_error(&self.ctx, "value could not be cloned.")),
        }
        Ok(())
    }

    fn object(&mut self, v: &Value<'js>) -> rquickjs::Result<()> {
        let raw = v.as_raw();
        // SAFETY: `raw` is a live object.
        let addr = unsafe { qjs::JS_VALUE_GET_PTR(raw) } as usize;
        if let Some(&id) = self.ids.get(&addr) {
            self.out.push(tag::REF);
            self.varint(id as u64);
            return Ok(());
        }
        if self.depth >= MAX_DEPTH {
            return Err(Exception::throw_range(
                &self.ctx,
                "Maximum call stack size exceeded",
            ));
        }
        self.depth += 1;
        let result = self.object_body(v, raw, addr);
        self.depth -= 1;
        result
    }

    fn remember(&mut self, v: &Value<'js>, addr: usize) {
        let id = self.ids.len() as u32;
        self.ids.insert(addr, id);
        self.pinned.push(v.clone());
    }

    fn object_body(
        &mut self,
        v: &Value<'js>,
        raw: qjs::JSValue,
        addr: usize,
    ) -> rquickjs::Result<()> {
        let ctx = self.ctx.clone();
        // SAFETY (whole function): the engine predicates only read `raw`.
        unsafe {
            if (qjs::JS_IsProxy(raw) || qjs::JS_IsFunction(self.raw, raw)) && self.stub(v, addr)? {
                return Ok(());
            }
            if qjs::JS_IsProxy(raw) {
                return Err(data_clone_error(&ctx, "#<Object> could not be cloned."));
            }
            if qjs::JS_IsFunction(self.raw, raw) {
                // V8's message: the function's source text.
                let text: String = ctx
                    .globals()
                    .get::<_, Function>("String")?
                    .call((v.clone(),))?;
                return Err(data_clone_error(
                    &ctx,
                    &format!("{text} could not be cloned."),
                ));
            }
            if qjs::JS_IsArray(raw) {
                self.remember(v, addr);
                return self.array(v);
            }
            if qjs::JS_IsArrayBuffer(raw) {
                self.remember(v, addr);
                return self.array_buffer(raw);
            }
            let kind = qjs::JS_GetTypedArrayType(raw);
            if kind >= 0 {
                return self.typed_array(v, addr, kind);
            }
            if qjs::JS_IsDataView(raw) {
                return self.data_view(v, addr);
            }
            if qjs::JS_IsDate(raw) {
                self.remember(v, addr);
                let time: f64 = v
                    .as_object()
                    .expect("an object")
                    .get::<_, Function>("getTime")?
                    .call((rquickjs::function::This(v.clone()),))?;
                self.out.push(tag::DATE);
                self.out.extend_from_slice(&time.to_le_bytes());
                return Ok(());
            }
            if qjs::JS_IsRegExp(raw) {
                self.remember(v, addr);
                let o = v.as_object().expect("an object");
                let source: String = o.get("source")?;
                let flags: String = o.get("flags")?;
                self.out.push(tag::REGEXP);
                self.str(&source);
                self.str(&flags);
                return Ok(());
            }
            if qjs::JS_IsMap(raw) || qjs::JS_IsSet(raw) {
                self.remember(v, addr);
                return self.collection(v, qjs::JS_IsMap(raw));
            }
            if qjs::JS_IsError(raw) {
                self.remember(v, addr);
                return self.error(v);
            }
            if qjs::JS_IsPromise(raw)
                || qjs::JS_IsWeakMap(raw)
                || qjs::JS_IsWeakSet(raw)
                || qjs::JS_IsWeakRef(raw)
            {
                let what = if qjs::JS_IsPromise(raw) {
                    "#<Promise>"
                } else if qjs::JS_IsWeakMap(raw) {
                    "#<WeakMap>"
                } else if qjs::JS_IsWeakSet(raw) {
                    "#<WeakSet>"
                } else {
                    "#<WeakRef>"
                };
                return Err(data_clone_error(
                    &ctx,
                    &format!("{what} could not be cloned."),
                ));
            }
        }
        let class = unsafe { qjs::JS_GetClassID(raw) };
        let b = self.boxes;
        if class == b.symbol {
            return Err(data_clone_error(&ctx, "Symbol object could not be cloned."));
        }
        if [b.boolean, b.number, b.string, b.bigint].contains(&class) {
            self.remember(v, addr);
            let inner: Value = v
                .as_object()
                .expect("an object")
                .get::<_, Function>("valueOf")?
                .call((rquickjs::function::This(v.clone()),))?;
            self.out.push(tag::BOXED);
            return self.value(&inner);
        }
        if class != CLASS_OBJECT {
            return Err(data_clone_error(
                &ctx,
                &format!("{} could not be cloned.", self.describe(v)),
            ));
        }
        let proto = unsafe { owned(&ctx, qjs::JS_GetPrototype(self.raw, raw))? };
        let plain = proto.is_null()
            || unsafe {
                qjs::JS_VALUE_GET_PTR(proto.as_raw())
                    == qjs::JS_VALUE_GET_PTR(self.object_proto.as_raw())
            };
        if !plain {
            if let Some(cloner) = self.cloners.as_ref().and_then(|m| {
                m.get::<_, Function>("get")
                    .and_then(|get| {
                        get.call::<_, Option<Function>>((
                            rquickjs::function::This(m.clone()),
                            proto.clone(),
                        ))
                    })
                    .ok()
                    .flatten()
            }) {
                self.remember(v, addr);
                let copy: Value = cloner.call((v.clone(),))?;
                self.out.push(tag::HOST);
                self.varint(self.host.len() as u64);
                self.host.push(copy);
                return Ok(());
            }
            if self.stub(v, addr)? {
                return Ok(());
            }
            if self.is_platform_object(v)? {
                return Err(data_clone_error(
                    &ctx,
                    &format!("{} could not be cloned.", self.describe(v)),
                ));
            }
            if self.purpose == Purpose::Rpc {
                return Err(data_clone_error(
                    &ctx,
                    &format!(
                        "Could not serialize object of type \"{}\". This type does not support serialization.",
                        self.constructor_name(v)
                    ),
                ));
            }
        }
        self.remember(v, addr);
        self.out.push(tag::OBJECT);
        self.properties(v, None)
    }

    /// `[object Foo]` style name for messages.
    fn describe(&self, v: &Value<'js>) -> String {
        format!("#<{}>", self.constructor_name(v))
    }

    fn constructor_name(&self, v: &Value<'js>) -> String {
        v.as_object()
            .and_then(|o| o.get::<_, Object>("constructor").ok())
            .and_then(|c| c.get::<_, String>("name").ok())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Object".into())
    }

    /// Web platform objects (streams, Request, EventTarget...) are JavaScript
    /// classes here; they announce themselves with a `Symbol.toStringTag`
    /// naming a global class they are an instance of.
    fn is_platform_object(&self, v: &Value<'js>) -> rquickjs::Result<bool> {
        let o = v.as_object().expect("an object");
        let symbol: Object = self.ctx.globals().get("Symbol")?;
        let to_string_tag: Value = symbol.get("toStringTag")?;
        let name: Value = o.get(to_string_tag)?;
        let Some(name) = name.as_string().map(|s| s.to_string()).transpose()? else {
            return Ok(false);
        };
        let ctor: Value = self.ctx.globals().get(name.as_str())?;
        if !ctor.is_function() {
            return Ok(false);
        }
        // SAFETY: both are live values of this context.
        let is = unsafe { qjs::JS_IsInstanceOf(self.raw, v.as_raw(), ctor.as_raw()) };
        if is < 0 {
            return Err(rquickjs::Error::Exception);
        }
        // Typed arrays carry a toStringTag too, but are handled before.
        Ok(is == 1)
    }

    /// Own enumerable string-keyed properties: a count, then key/value pairs.
    /// With `skip_below`, array indices under it were already written.
    fn properties(&mut self, v: &Value<'js>, array_len: Option<u32>) -> rquickjs::Result<()> {
        let raw = v.as_raw();
        let mut tab: *mut qjs::JSPropertyEnum = std::ptr::null_mut();
        let mut len: u32 = 0;
        // SAFETY: `raw` is a live object; the table is freed below.
        let rc = unsafe {
            qjs::JS_GetOwnPropertyNames(
                self.raw,
                &mut tab,
                &mut len,
                raw,
                (qjs::JS_GPN_STRING_MASK | qjs::JS_GPN_ENUM_ONLY) as i32,
            )
        };
        if rc < 0 {
            return Err(rquickjs::Error::Exception);
        }
        let atoms: Vec<qjs::JSAtom> = (0..len as usize)
            // SAFETY: `tab` holds `len` entries.
            .map(|i| unsafe { (*tab.add(i)).atom })
            .collect();
        let result = self.properties_of(v, &atoms, array_len);
        // SAFETY: frees the table (and its atoms) made above.
        unsafe { qjs::JS_FreePropertyEnum(self.raw, tab, len) };
        result
    }

    fn properties_of(
        &mut self,
        v: &Value<'js>,
        atoms: &[qjs::JSAtom],
        array_len: Option<u32>,
    ) -> rquickjs::Result<()> {
        let raw = v.as_raw();
        let ctx = self.ctx.clone();
        let keys = atoms
            .iter()
            // SAFETY: atoms from the live property table.
            .map(|&a| owned(&ctx, unsafe { qjs::JS_AtomToValue(self.raw, a) }))
            .collect::<rquickjs::Result<Vec<_>>>()?;
        // Arrays: a dense prefix 0..len is written as bare values.
        let dense = match array_len {
            Some(n) => {
                let indexed = keys
                    .iter()
                    .take_while(|k| k.as_int().is_some_and(|i| i >= 0 && (i as u32) < n))
                    .count();
                if indexed as u32 == n {
                    self.out.push(tag::DENSE_ARRAY);
                    self.varint(n as u64);
                    indexed
                } else {
                    self.out.push(tag::SPARSE_ARRAY);
                    self.varint(n as u64);
                    0
                }
            }
            None => 0,
        };
        for &atom in &atoms[..dense] {
            // SAFETY: `raw` is live; the getter may run JavaScript.
            let value = owned(&ctx, unsafe { qjs::JS_GetProperty(self.raw, raw, atom) })?;
            self.value(&value)?;
        }
        self.varint((atoms.len() - dense) as u64);
        for (i, &atom) in atoms.iter().enumerate().skip(dense) {
            // SAFETY: as above.
            let value = owned(&ctx, unsafe { qjs::JS_GetProperty(self.raw, raw, atom) })?;
            self.value(&keys[i])?;
            self.value(&value)?;
        }
        Ok(())
    }

    fn array(&mut self, v: &Value<'js>) -> rquickjs::Result<()> {
        let mut len: i64 = 0;
        // SAFETY: `v` is a live array.
        if unsafe { qjs::JS_GetLength(self.raw, v.as_raw(), &mut len) } < 0 {
            return Err(rquickjs::Error::Exception);
        }
        self.properties(v, Some(len as u32))
    }

    fn array_buffer(&mut self, raw: qjs::JSValue) -> rquickjs::Result<()> {
        let mut size: qjs::size_t = 0;
        // SAFETY: `raw` is a live ArrayBuffer; its bytes are copied at once.
        let p = unsafe { qjs::JS_GetArrayBuffer(self.raw, &mut size, raw) };
        if p.is_null() {
            // Detached: V8 refuses it.
            let _ = self.ctx.catch();
            return Err(data_clone_error(
                &self.ctx,
                "An ArrayBuffer is detached and could not be cloned.",
            ));
        }
        // SAFETY: `p` points at `size` bytes owned by the buffer.
        let bytes = unsafe { std::slice::from_raw_parts(p, size as usize) };
        if self.cloners.is_some() {
            self.out.push(tag::SIDE_BUFFER);
            self.varint(self.buffers.len() as u64);
            self.buffers.push(bytes.to_vec());
        } else {
            self.out.push(tag::ARRAY_BUFFER);
            self.varint(bytes.len() as u64);
            self.out.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn typed_array(&mut self, v: &Value<'js>, addr: usize, kind: i32) -> rquickjs::Result<()> {
        let (mut offset, mut length, mut per): (qjs::size_t, qjs::size_t, qjs::size_t) = (0, 0, 0);
        // SAFETY: `v` is a live typed array.
        let buffer = owned(&self.ctx, unsafe {
            qjs::JS_GetTypedArrayBuffer(self.raw, v.as_raw(), &mut offset, &mut length, &mut per)
        })?;
        let code = VIEW_KINDS
            .iter()
            .find(|(_, k)| *k == kind)
            .map(|(c, _)| *c)
            .ok_or_else(|| data_clone_error(&self.ctx, "this typed array could not be cloned."))?;
        self.remember(v, addr);
        self.out.push(tag::VIEW);
        self.out.push(code);
        self.value(&buffer)?;
        self.varint(offset as usize as u64);
        self.varint((length / per.max(1)) as usize as u64);
        Ok(())
    }

    fn data_view(&mut self, v: &Value<'js>, addr: usize) -> rquickjs::Result<()> {
        let o = v.as_object().expect("an object");
        let buffer: Value = o.get("buffer")?;
        let offset: f64 = o.get("byteOffset")?;
        let length: f64 = o.get("byteLength")?;
        self.remember(v, addr);
        self.out.push(tag::VIEW);
        self.out.push(DATA_VIEW);
        self.value(&buffer)?;
        self.varint(offset as u64);
        self.varint(length as u64);
        Ok(())
    }

    fn collection(&mut self, v: &Value<'js>, is_map: bool) -> rquickjs::Result<()> {
        // A snapshot first, as V8 does: a getter cannot change what is written.
        let array_from: Function = self.ctx.globals().get::<_, Object>("Array")?.get("from")?;
        let entries: rquickjs::Array = array_from.call((v.clone(),))?;
        self.out.push(if is_map { tag::MAP } else { tag::SET });
        self.varint(entries.len() as u64);
        for entry in entries.iter::<Value>() {
            let entry = entry?;
            if is_map {
                let pair = entry.as_array().expect("Map entries are pairs");
                self.value(&pair.get(0)?)?;
                self.value(&pair.get(1)?)?;
            } else {
                self.value(&entry)?;
            }
        }
        Ok(())
    }

    fn error(&mut self, v: &Value<'js>) -> rquickjs::Result<()> {
        let o = v.as_object().expect("an object").clone();
        let dom: Value = self.ctx.globals().get("DOMException")?;
        // SAFETY: live values of this context.
        if dom.is_function()
            && unsafe { qjs::JS_IsInstanceOf(self.raw, v.as_raw(), dom.as_raw()) } == 1
        {
            let name: String = o.get("name")?;
            let message: String = o.get("message")?;
            let stack: Option<String> = o
                .get::<_, Value>("stack")?
                .as_string()
                .map(|s| s.to_string())
                .transpose()?;
            self.out.push(tag::DOM_EXCEPTION);
            self.str(&name);
            self.str(&message);
            self.str(stack.as_deref().unwrap_or(""));
            return Ok(());
        }
        let name: Value = o.get("name")?;
        let name = name
            .as_string()
            .map(|s| s.to_string())
            .transpose()?
            .unwrap_or_else(|| "Error".into());
        let message = own_data(&self.ctx, &o, "message")?;
        let stack: Value = o.get("stack")?;
        let cause = own_data(&self.ctx, &o, "cause")?;
        self.out.push(tag::ERROR);
        // Flags: message present, stack present, cause present.
        let mut flags = 0u8;
        if message.is_some() {
            flags |= 1;
        }
        if stack.is_string() {
            flags |= 2;
        }
        if cause.is_some() {
            flags |= 4;
        }
        self.out.push(flags);
        self.str(&name);
        if let Some(m) = message {
            let text: String = self
                .ctx
                .globals()
                .get::<_, Function>("String")?
                .call((m,))?;
            self.str(&text);
        }
        if stack.is_string() {
            self.value(&stack)?;
        }
        if let Some(c) = cause {
            self.value(&c)?;
        }
        Ok(())
    }
}

/// The value of an own data property, if `o` has one named `key`.
fn own_data<'js>(
    ctx: &Ctx<'js>,
    o: &Object<'js>,
    key: &str,
) -> rquickjs::Result<Option<Value<'js>>> {
    let get_own: Function = ctx
        .globals()
        .get::<_, Object>("Object")?
        .get("getOwnPropertyDescriptor")?;
    let desc: Value = get_own.call((o.clone(), key))?;
    match desc.as_object() {
        Some(d) if d.contains_key("value")? => Ok(Some(d.get("value")?)),
        _ => Ok(None),
    }
}

struct Reader<'a, 'js> {
    ctx: Ctx<'js>,
    raw: *mut qjs::JSContext,
    buf: &'a [u8],
    pos: usize,
    objects: Vec<Value<'js>>,
    host: Vec<Value<'js>>,
    buffers: Vec<Option<Vec<u8>>>,
    depth: u32,
    /// RPC: whether the stubs read belong to the receiver ([`Received`]).
    owned: bool,
    /// The stubs read, in order.
    stubs: Vec<Value<'js>>,
}

impl<'a, 'js> Reader<'a, 'js> {
    fn new(
        ctx: &Ctx<'js>,
        buf: &'a [u8],
        host: Vec<Value<'js>>,
        buffers: Vec<Option<Vec<u8>>>,
    ) -> Self {
        Reader {
            ctx: ctx.clone(),
            raw: ctx.as_raw().as_ptr(),
            buf,
            pos: 0,
            objects: Vec::new(),
            host,
            buffers,
            depth: 0,
            owned: false,
            stubs: Vec::new(),
        }
    }

    fn byte(&mut self) -> rquickjs::Result<u8> {
        let b = *self.buf.get(self.pos).ok_or_else(|| corrupt(&self.ctx))?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> rquickjs::Result<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= ((b & 0x7F) as u64) << shift;
            if b < 0x80 {
                return Ok(n);
            }
        }
        Err(corrupt(&self.ctx))
    }

    fn bytes(&mut self, n: usize) -> rquickjs::Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| corrupt(&self.ctx))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn f64(&mut self) -> rquickjs::Result<f64> {
        let b = self.bytes(8)?;
        Ok(f64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn len(&mut self) -> rquickjs::Result<usize> {
        let n = self.varint()?;
        // No count can exceed the bytes left (every entry takes one or more).
        if n > self.buf.len() as u64 {
            return Err(corrupt(&self.ctx));
        }
        Ok(n as usize)
    }

    fn string_body(&mut self) -> rquickjs::Result<Value<'js>> {
        let n = self.len()?;
        let b = self.bytes(n)?;
        // SAFETY: the engine copies `n` bytes (WTF-8) into a new string.
        owned(&self.ctx, unsafe {
            qjs::JS_NewStringLen(self.raw, b.as_ptr() as *const _, n as _)
        })
    }

    fn string(&mut self) -> rquickjs::Result<Value<'js>> {
        if self.byte()? != tag::STRING {
            return Err(corrupt(&self.ctx));
        }
        self.string_body()
    }

    fn text(&mut self) -> rquickjs::Result<String> {
        let v = self.string()?;
        v.as_string().ok_or_else(|| corrupt(&self.ctx))?.to_string()
    }

    /// Reserves the next object id; [`Reader::fill`] sets it.
    fn reserve(&mut self) -> usize {
        self.objects.push(Value::new_undefined(self.ctx.clone()));
        self.objects.len() - 1
    }

    fn fill(&mut self, id: usize, v: &Value<'js>) {
        self.objects[id] = v.clone();
    }

    fn value(&mut self) -> rquickjs::Result<Value<'js>> {
        if self.depth >= MAX_DEPTH {
            return Err(corrupt(&self.ctx));
        }
        self.depth += 1;
        let v = self.value_inner();
        self.depth -= 1;
        v
    }

    fn value_inner(&mut self) -> rquickjs::Result<Value<'js>> {
        let ctx = self.ctx.clone();
        let t = self.byte()?;
        Ok(match t {
            tag::UNDEFINED => Value::new_undefined(ctx),
            tag::NULL => Value::new_null(ctx),
            tag::TRUE => Value::new_bool(ctx, true),
            tag::FALSE => Value::new_bool(ctx, false),
            tag::INT => {
                let z = self.varint()? as u32;
                Value::new_int(ctx, ((z >> 1) as i32) ^ -((z & 1) as i32))
            }
            tag::DOUBLE => number(&ctx, self.f64()?),
            tag::BIGINT => {
                let digits = self.string_body()?;
                ctx.globals()
                    .get::<_, Function>("BigInt")?
                    .call((digits,))?
            }
            tag::STRING => self.string_body()?,
            tag::REF => {
                let id = self.varint()? as usize;
                self.objects.get(id).cloned().ok_or_else(|| corrupt(&ctx))?
            }
            tag::OBJECT => {
                let id = self.reserve();
                let o = owned(&ctx, unsafe { qjs::JS_NewObject(self.raw) })?;
                self.fill(id, &o);
                self.properties(&o)?;
                o
            }
            tag::DENSE_ARRAY | tag::SPARSE_ARRAY => {
                let id = self.reserve();
                let a = owned(&ctx, unsafe { qjs::JS_NewArray(self.raw) })?;
                self.fill(id, &a);
                let len = self.varint()?;
                if len > u32::MAX as u64 {
                    return Err(corrupt(&ctx));
                }
                if t == tag::DENSE_ARRAY {
                    if len > self.buf.len() as u64 {
                        return Err(corrupt(&ctx));
                    }
                    for i in 0..len as u32 {
                        let item = self.value()?;
                        // SAFETY: `a` is live; the value's new reference is given away.
                        let rc = unsafe {
                            qjs::JS_DefinePropertyValueUint32(
                                self.raw,
                                a.as_raw(),
                                i,
                                dup(&ctx, &item),
                                qjs::JS_PROP_C_W_E as i32,
                            )
                        };
                        if rc < 0 {
                            return Err(rquickjs::Error::Exception);
                        }
                    }
                } else {
                    a.as_object().expect("an array").set("length", len as f64)?;
                }
                self.properties(&a)?;
                a
            }
            tag::DATE => {
                let time = self.f64()?;
                let d = owned(&ctx, unsafe { qjs::JS_NewDate(self.raw, time) })?;
                self.objects.push(d.clone());
                d
            }
            tag::REGEXP => {
                let id = self.reserve();
                let source = self.string()?;
                let flags = self.string()?;
                let re: rquickjs::Constructor = ctx.globals().get("RegExp")?;
                let r: Value = re.construct((source, flags))?;
                self.fill(id, &r);
                r
            }
            tag::MAP | tag::SET => {
                let id = self.reserve();
                let name = if t == tag::MAP { "Map" } else { "Set" };
                let ctor: rquickjs::Constructor = ctx.globals().get(name)?;
                let c: Object = ctor.construct(())?;
                self.fill(id, c.as_value());
                let n = self.len()?;
                let add: Function = c.get(if t == tag::MAP { "set" } else { "add" })?;
                for _ in 0..n {
                    let this = rquickjs::function::This(c.clone());
                    if t == tag::MAP {
                        let k = self.value()?;
                        let v = self.value()?;
                        add.call::<_, ()>((this, k, v))?;
                    } else {
                        let v = self.value()?;
                        add.call::<_, ()>((this, v))?;
                    }
                }
                c.into_value()
            }
            tag::ARRAY_BUFFER => {
                let n = self.len()?;
                let b = self.bytes(n)?;
                let ab = owned(&ctx, unsafe {
                    qjs::JS_NewArrayBufferCopy(self.raw, b.as_ptr(), n as _)
                })?;
                self.objects.push(ab.clone());
                ab
            }
            tag::VIEW => {
                let id = self.reserve();
                let code = self.byte()?;
                let buffer = self.value()?;
                let offset = self.varint()? as f64;
                let length = self.varint()? as f64;
                let view = if code == DATA_VIEW {
                    let ctor: rquickjs::Constructor = ctx.globals().get("DataView")?;
                    ctor.construct((buffer, offset, length))?
                } else {
                    let kind = VIEW_KINDS
                        .iter()
                        .find(|(c, _)| *c == code)
                        .map(|(_, k)| *k)
                        .ok_or_else(|| corrupt(&ctx))?;
                    let offset = Value::new_number(ctx.clone(), offset);
                    let length = Value::new_number(ctx.clone(), length);
                    let mut argv = [buffer.as_raw(), offset.as_raw(), length.as_raw()];
                    // SAFETY: the arguments are borrowed for the call.
                    owned(&ctx, unsafe {
                        qjs::JS_NewTypedArray(self.raw, 3, argv.as_mut_ptr(), kind as _)
                    })?
                };
                self.fill(id, &view);
                view
            }
            tag::ERROR => self.error()?,
            tag::DOM_EXCEPTION => {
                let id = self.reserve();
                let name = self.string()?;
                let message = self.string()?;
                let stack = self.string()?;
                let ctor: rquickjs::Constructor = ctx.globals().get("DOMException")?;
                let e: Object = ctor.construct((message, name))?;
                if stack
                    .as_string()
                    .is_some_and(|s| s.to_string().is_ok_and(|s| !s.is_empty()))
                {
                    define(&e, "stack", stack)?;
                }
                self.fill(id, e.as_value());
                e.into_value()
            }
            tag::BOXED => {
                let id = self.reserve();
                let inner = self.value()?;
                let object: Function = ctx.globals().get("Object")?;
                let b: Value = object.call((inner,))?;
                self.fill(id, &b);
                b
            }
            tag::SIDE_BUFFER => {
                let i = self.varint()? as usize;
                let bytes = self
                    .buffers
                    .get_mut(i)
                    .and_then(Option::take)
                    .ok_or_else(|| corrupt(&ctx))?;
                let ab = rquickjs::ArrayBuffer::new(ctx.clone(), bytes)?.into_value();
                self.objects.push(ab.clone());
                ab
            }
            tag::HOST => {
                let i = self.varint()? as usize;
                let h = self.host.get(i).cloned().ok_or_else(|| corrupt(&ctx))?;
                self.objects.push(h.clone());
                h
            }
            tag::STUB => {
                let id = self.reserve();
                let descriptor = self.value()?;
                let decode: Function = crate::host::isolate::internal(&ctx)?.get("rpcDecode")?;
                let stub: Value = decode.call((descriptor, self.owned))?;
                self.fill(id, &stub);
                self.stubs.push(stub.clone());
                stub
            }
            _ => return Err(corrupt(&ctx)),
        })
    }

    /// A count, then key/value pairs defined as own data properties.
    fn properties(&mut self, target: &Value<'js>) -> rquickjs::Result<()> {
        let n = self.len()?;
        for _ in 0..n {
            let key = self.value()?;
            let value = self.value()?;
            // SAFETY: `key` is live; the atom is freed after use.
            unsafe {
                let atom = qjs::JS_ValueToAtom(self.raw, key.as_raw());
                if atom == qjs::JS_ATOM_NULL {
                    return Err(rquickjs::Error::Exception);
                }
                let rc = qjs::JS_DefinePropertyValue(
                    self.raw,
                    target.as_raw(),
                    atom,
                    dup(&self.ctx, &value),
                    qjs::JS_PROP_C_W_E as i32,
                );
                qjs::JS_FreeAtom(self.raw, atom);
                if rc < 0 {
                    return Err(rquickjs::Error::Exception);
                }
            }
        }
        Ok(())
    }

    fn error(&mut self) -> rquickjs::Result<Value<'js>> {
        let ctx = self.ctx.clone();
        let id = self.reserve();
        let flags = self.byte()?;
        let name = self.text()?;
        let known = ERROR_NAMES.contains(&name.as_str());
        let ctor: rquickjs::Constructor =
            ctx.globals()
                .get(if known { name.as_str() } else { "Error" })?;
        let e: Object = ctor.construct(())?;
        self.fill(id, e.as_value());
        if !known {
            define(
                &e,
                "name",
                rquickjs::String::from_str(ctx.clone(), &name)?.into_value(),
            )?;
        }
        if flags & 1 != 0 {
            let message = self.string()?;
            define(&e, "message", message)?;
        }
        if flags & 2 != 0 {
            let stack = self.value()?;
            define(&e, "stack", stack)?;
        } else {
            e.remove("stack")?;
        }
        if flags & 4 != 0 {
            let cause = self.value()?;
            define(&e, "cause", cause)?;
        }
        Ok(e.into_value())
    }
}

/// Defines a writable, configurable, non-enumerable own property (as the
/// `Error` constructor makes `message`).
fn define<'js>(o: &Object<'js>, key: &str, value: Value<'js>) -> rquickjs::Result<()> {
    o.prop(
        key,
        rquickjs::object::Property::from(value)
            .writable()
            .configurable(),
    )
}

#[cfg(test)]
mod tests;
