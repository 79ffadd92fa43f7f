use super::*;
use rquickjs::{Context, Runtime};

/// Runs `f` in a fresh context that has the `DOMException` the codec throws.
fn with_ctx(f: impl for<'js> FnOnce(&Ctx<'js>)) {
    let rt = Runtime::new().unwrap();
    let context = Context::full(&rt).unwrap();
    context.with(|ctx| {
        ctx.eval::<(), _>(
            "globalThis.DOMException = class DOMException extends Error {
               constructor(message = '', name = 'Error') { super(message); Object.defineProperty(this, 'name', { value: name }); }
             };",
        )
        .unwrap();
        f(&ctx)
    });
}

fn eval<'js>(ctx: &Ctx<'js>, src: &str) -> Value<'js> {
    ctx.eval(src)
        .unwrap_or_else(|e| panic!("{src}: {e}: {:?}", ctx.catch()))
}

/// Serializes `src`'s value, reads it back into `globalThis.out`, and
/// evaluates `assertion` (which must be true).
fn round_trip(src: &str, assertion: &str) {
    with_ctx(|ctx| {
        let v = eval(ctx, src);
        let bytes = serialize(ctx, &v, Purpose::Store).unwrap();
        assert_eq!(&bytes[..2], &[MAGIC, VERSION]);
        let back = deserialize(ctx, &bytes).unwrap();
        ctx.globals().set("out", back).unwrap();
        let ok: bool = eval(ctx, assertion).get().unwrap();
        assert!(ok, "{src}: {assertion}");
    });
}

#[test]
fn primitives_round_trip() {
    round_trip("undefined", "out === undefined");
    round_trip("null", "out === null");
    round_trip("[true, false]", "out[0] === true && out[1] === false");
    round_trip("[0, -0, 1.5, NaN, Infinity, -Infinity, 2147483647, -2147483648, 2**53]",
        "Object.is(out[0], 0) && Object.is(out[1], -0) && out[2] === 1.5 && Number.isNaN(out[3]) && out[4] === Infinity && out[5] === -Infinity && out[6] === 2147483647 && out[7] === -2147483648 && out[8] === 2**53");
    round_trip(
        "[0n, -1n, 2n ** 100n]",
        "out[0] === 0n && out[1] === -1n && out[2] === 2n ** 100n",
    );
    round_trip("'héllo \\u{1F600}'", "out === 'héllo \\u{1F600}'");
    round_trip(
        "'a\\ud800b\\udc00'",
        "out.length === 4 && out.charCodeAt(1) === 0xd800 && out.charCodeAt(3) === 0xdc00",
    );
}

#[test]
fn containers_keep_shape_sharing_and_cycles() {
    round_trip(
        "const a = [1, , 3]; a.x = 'y'; a",
        "out.length === 3 && !(1 in out) && out[2] === 3 && out.x === 'y'",
    );
    round_trip(
        "const a = []; a[5] = 1; a",
        "out.length === 6 && Object.keys(out).join() === '5'",
    );
    round_trip(
        "const o = {b: 1, a: 2, 1: 'i'}; o",
        "Object.keys(out).join() === '1,b,a'",
    );
    round_trip(
        "const s = {}; const o = {x: s, y: s}; o.me = o; o",
        "out.x === out.y && out.me === out",
    );
    round_trip(
        "new Map([[1, {a: 1}], ['k', 2]])",
        "out instanceof Map && out.get(1).a === 1 && out.get('k') === 2",
    );
    round_trip(
        "new Set([1, 'x'])",
        "out instanceof Set && out.has(1) && out.has('x')",
    );
    round_trip(
        "JSON.parse('{\"__proto__\": 1}')",
        "Object.getPrototypeOf(out) === Object.prototype && Object.keys(out)[0] === '__proto__'",
    );
}

#[test]
fn builtins_round_trip() {
    round_trip(
        "new Date(12345)",
        "out instanceof Date && out.getTime() === 12345",
    );
    round_trip(
        "/a.b/gu",
        "out instanceof RegExp && out.source === 'a.b' && out.flags === 'gu'",
    );
    round_trip("[new Number(1), new String('s'), new Boolean(false), Object(3n)]",
        "out[0] instanceof Number && out[0].valueOf() === 1 && out[1] instanceof String && out[2] instanceof Boolean && out[2].valueOf() === false && typeof out[3] === 'object' && out[3].valueOf() === 3n");
    round_trip("const e = new TypeError('bad', {cause: 7}); e",
        "out instanceof TypeError && out.message === 'bad' && out.cause === 7 && typeof out.stack === 'string'");
    round_trip(
        "const e = new Error('m'); e.name = 'Custom'; e",
        "out instanceof Error && out.name === 'Custom' && out.message === 'm'",
    );
    round_trip(
        "new DOMException('gone', 'NotFoundError')",
        "out instanceof DOMException && out.name === 'NotFoundError' && out.message === 'gone'",
    );
}

#[test]
fn binary_data_keeps_types_offsets_and_sharing() {
    round_trip(
        "const b = new ArrayBuffer(8); new Uint8Array(b).set([1,2,3,4,5,6,7,8]); [b, new Uint8Array(b, 2, 3), new DataView(b, 4), new Int16Array(b, 2, 2)]",
        "out[1].buffer === out[0] && out[2].buffer === out[0] && out[3].buffer === out[0] && out[1].byteOffset === 2 && out[1].length === 3 && out[1][0] === 3 && out[2].byteOffset === 4 && out[2].getUint8(0) === 5 && out[3].length === 2",
    );
    for t in [
        "Int8Array",
        "Uint8Array",
        "Uint8ClampedArray",
        "Int16Array",
        "Uint16Array",
        "Int32Array",
        "Uint32Array",
        "Float32Array",
        "Float64Array",
    ] {
        round_trip(
            &format!("{t}.of(1, 2, 3)"),
            &format!("out instanceof {t} && out.join() === '1,2,3'"),
        );
    }
    round_trip(
        "[BigInt64Array.of(-1n), BigUint64Array.of(2n**64n-1n)]",
        "out[0][0] === -1n && out[1][0] === 2n**64n-1n",
    );
}

#[test]
fn a_mebibyte_typed_array_costs_a_mebibyte() {
    with_ctx(|ctx| {
        let v = eval(ctx, "new Uint8Array(1 << 20).fill(9)");
        let bytes = serialize(ctx, &v, Purpose::Store).unwrap();
        assert!(bytes.len() < (1 << 20) + 32, "{} bytes", bytes.len());
        let back = deserialize(ctx, &bytes).unwrap();
        assert_eq!(
            crate::host::bytes::bytes_of(&back).unwrap(),
            vec![9u8; 1 << 20]
        );
    });
}

fn error_name(ctx: &Ctx<'_>, e: rquickjs::Error) -> String {
    assert!(matches!(e, rquickjs::Error::Exception), "{e}");
    let thrown = ctx.catch();
    thrown
        .as_object()
        .unwrap()
        .get::<_, String>("name")
        .unwrap()
}

#[test]
fn uncloneable_values_throw_data_clone_error() {
    with_ctx(|ctx| {
        for src in [
            "(function f() {})",
            "Symbol('s')",
            "({a: Symbol()})",
            "Promise.resolve()",
            "new WeakMap()",
            "new Proxy({}, {})",
            "({f() {}})",
        ] {
            let v = eval(ctx, src);
            let e = serialize(ctx, &v, Purpose::Store).unwrap_err();
            assert_eq!(error_name(ctx, e), "DataCloneError", "{src}");
        }
    });
}

#[test]
fn class_instances_are_plain_in_storage_and_refused_over_rpc() {
    with_ctx(|ctx| {
        let v = eval(ctx, "class P { constructor() { this.x = 1; } }; new P()");
        let bytes = serialize(ctx, &v, Purpose::Store).unwrap();
        ctx.globals()
            .set("out", deserialize(ctx, &bytes).unwrap())
            .unwrap();
        assert!(eval(
            ctx,
            "Object.getPrototypeOf(out) === Object.prototype && out.x === 1"
        )
        .get::<bool>()
        .unwrap());
        let e = serialize(ctx, &v, Purpose::Rpc).unwrap_err();
        assert_eq!(error_name(ctx, e), "DataCloneError");
    });
}

#[test]
fn truncated_or_garbled_bytes_are_an_error_not_a_crash() {
    with_ctx(|ctx| {
        let v = eval(
            ctx,
            "({a: [1, 'x', new Map([[1, new Uint8Array(3)]])], d: new Date(1), e: new Error('m')})",
        );
        let bytes = serialize(ctx, &v, Purpose::Store).unwrap();
        for cut in 0..bytes.len() {
            assert!(deserialize(ctx, &bytes[..cut]).is_err(), "cut at {cut}");
            let _ = ctx.catch();
        }
        let mut bad = bytes.clone();
        bad[1] = 99;
        assert!(deserialize(ctx, &bad).is_err());
        let _ = ctx.catch();
    });
}

#[test]
fn the_old_json_format_still_reads() {
    with_ctx(|ctx| {
        let old = r#"{"o":{"s":"x","n":{"n":"-0"},"u":{"u":0},"b":{"big":"123"},"a":{"a":[1,{"ref":0}]},"m":{"map":[["k",{"date":5}]]},"t":{"ta":["Int16Array",[254,255,3,0]]},"e":{"err":["RangeError","far","stack"]},"x":{"box":true}}}"#;
        let back = deserialize(ctx, old.as_bytes()).unwrap();
        ctx.globals().set("out", back).unwrap();
        let ok: bool = eval(
            ctx,
            "out.s === 'x' && Object.is(out.n, -0) && 'u' in out && out.u === undefined && out.b === 123n && out.a[1] === out && out.m.get('k').getTime() === 5 && out.t instanceof Int16Array && out.t[0] === -2 && out.t[1] === 3 && out.e instanceof RangeError && out.e.message === 'far' && out.x instanceof Boolean",
        )
        .get()
        .unwrap();
        assert!(ok);
        assert!(deserialize(ctx, b"\"plain\"")
            .unwrap()
            .as_string()
            .is_some());
    });
}
