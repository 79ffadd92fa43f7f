//! The format Durable Object storage used before the binary codec: JSON in
//! which every non-JSON value is a one-key object (`{"n":"NaN"}`,
//! `{"o":{...}}`, `{"ta":["Uint8Array",[1,2]]}`, `{"ref":3}`, ...). Stored
//! values keep it until they are written again, so it is still read.

use super::{corrupt, number, ERROR_NAMES};
use rquickjs::{Array, Constructor, Ctx, Function, Object, Value};

const TYPED: [&str; 11] = [
    "Int8Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int16Array",
    "Uint16Array",
    "Int32Array",
    "Uint32Array",
    "Float32Array",
    "Float64Array",
    "BigInt64Array",
    "BigUint64Array",
];

pub(super) fn deserialize<'js>(ctx: &Ctx<'js>, bytes: &[u8]) -> rquickjs::Result<Value<'js>> {
    let text = std::str::from_utf8(bytes).map_err(|_| corrupt(ctx))?;
    let tree = ctx.json_parse(text)?;
    let mut refs = Vec::new();
    decode(ctx, tree, &mut refs)
}

/// Object ids follow the old decoder: containers are numbered before their
/// contents, everything else after.
fn decode<'js>(
    ctx: &Ctx<'js>,
    node: Value<'js>,
    refs: &mut Vec<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let Some(o) = node.as_object().filter(|_| !node.is_array()) else {
        return Ok(node);
    };
    let Some(tag) = o.keys::<String>().next().transpose()? else {
        return Err(corrupt(ctx));
    };
    let body: Value = o.get(tag.as_str())?;
    let globals = ctx.globals();
    let list = |v: &Value<'js>| v.as_array().cloned().ok_or_else(|| corrupt(ctx));
    let out: Value = match tag.as_str() {
        "n" => {
            let text: String = body.get()?;
            let n = match text.as_str() {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                "-0" => -0.0,
                other => other.parse().map_err(|_| corrupt(ctx))?,
            };
            return Ok(number(ctx, n));
        }
        "big" => return globals.get::<_, Function>("BigInt")?.call((body,)),
        "u" => return Ok(Value::new_undefined(ctx.clone())),
        "ref" => {
            let i: usize = body.get()?;
            return refs.get(i).cloned().ok_or_else(|| corrupt(ctx));
        }
        "a" => {
            let out = Array::new(ctx.clone())?;
            refs.push(out.clone().into_value());
            for (i, v) in list(&body)?.iter::<Value>().enumerate() {
                out.set(i, decode(ctx, v?, refs)?)?;
            }
            return Ok(out.into_value());
        }
        "o" => {
            let out = Object::new(ctx.clone())?;
            refs.push(out.clone().into_value());
            let body = body.into_object().ok_or_else(|| corrupt(ctx))?;
            for entry in body.props::<String, Value>() {
                let (k, v) = entry?;
                out.set(k, decode(ctx, v, refs)?)?;
            }
            return Ok(out.into_value());
        }
        "map" | "set" => {
            let is_map = tag == "map";
            let out: Object = globals
                .get::<_, Constructor>(if is_map { "Map" } else { "Set" })?
                .construct(())?;
            refs.push(out.clone().into_value());
            let add: Function = out.get(if is_map { "set" } else { "add" })?;
            for item in list(&body)?.iter::<Value>() {
                let this = rquickjs::function::This(out.clone());
                if is_map {
                    let pair = list(&item?)?;
                    let k = decode(ctx, pair.get(0)?, refs)?;
                    let v = decode(ctx, pair.get(1)?, refs)?;
                    add.call::<_, ()>((this, k, v))?;
                } else {
                    let v = decode(ctx, item?, refs)?;
                    add.call::<_, ()>((this, v))?;
                }
            }
            return Ok(out.into_value());
        }
        "date" => {
            let time: f64 = body.get()?;
            globals.get::<_, Constructor>("Date")?.construct((time,))?
        }
        "re" => {
            let parts = list(&body)?;
            globals
                .get::<_, Constructor>("RegExp")?
                .construct((parts.get::<Value>(0)?, parts.get::<Value>(1)?))?
        }
        "ab" => bytes(ctx, &body)?.into_value(),
        "dv" => globals
            .get::<_, Constructor>("DataView")?
            .construct((bytes(ctx, &body)?,))?,
        "ta" => {
            let parts = list(&body)?;
            let name: String = parts.get(0)?;
            let name = TYPED
                .iter()
                .find(|t| **t == name)
                .copied()
                .unwrap_or("Uint8Array");
            let ctor: Object = globals.get(name)?;
            let per: f64 = ctor.get("BYTES_PER_ELEMENT")?;
            let buffer = bytes(ctx, &parts.get(1)?)?;
            let len = buffer.len() as f64 / per;
            ctor.into_value()
                .into_constructor()
                .ok_or_else(|| corrupt(ctx))?
                .construct((buffer, 0, len))?
        }
        "err" => {
            let parts = list(&body)?;
            let name: String = parts.get(0)?;
            let known = ERROR_NAMES.contains(&name.as_str());
            let e: Object = globals
                .get::<_, Constructor>(if known { name.as_str() } else { "Error" })?
                .construct((parts.get::<Value>(1)?,))?;
            if !known {
                e.set("name", name)?;
            }
            e.set("stack", parts.get::<Value>(2)?)?;
            e.into_value()
        }
        "box" => {
            let inner = decode(ctx, body, refs)?;
            globals.get::<_, Function>("Object")?.call((inner,))?
        }
        _ => return Err(corrupt(ctx)),
    };
    refs.push(out.clone());
    Ok(out)
}

/// A JSON array of byte values as a fresh `ArrayBuffer`.
fn bytes<'js>(ctx: &Ctx<'js>, list: &Value<'js>) -> rquickjs::Result<rquickjs::ArrayBuffer<'js>> {
    let list = list.as_array().ok_or_else(|| corrupt(ctx))?;
    let data = list
        .iter::<f64>()
        .map(|b| b.map(|b| b as u8))
        .collect::<rquickjs::Result<Vec<u8>>>()?;
    rquickjs::ArrayBuffer::new(ctx.clone(), data)
}
