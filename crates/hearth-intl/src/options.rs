//! Reading an options bag the way ECMA-402's GetOption and
//! GetNumberOption do, with the errors they name.

use rquickjs::convert::Coerced;
use rquickjs::{Ctx, FromJs, Object, Result, Value};

use crate::{range_error, type_error};

/// An options argument (`undefined` or an object) and the API it is for
/// (used in error messages).
pub(crate) struct Options<'js> {
    ctx: Ctx<'js>,
    object: Option<Object<'js>>,
    api: &'static str,
}

impl<'js> Options<'js> {
    /// ECMA-402 CoerceOptionsToObject: `undefined` is an empty bag, `null`
    /// throws, primitives are boxed (and so carry no options).
    pub(crate) fn new(
        ctx: &Ctx<'js>,
        value: Option<Value<'js>>,
        api: &'static str,
    ) -> Result<Self> {
        let object = match value {
            None => None,
            Some(v) if v.is_undefined() => None,
            Some(v) if v.is_null() => return type_error(ctx, "Cannot convert null to object"),
            Some(v) => v.into_object(),
        };
        Ok(Self {
            ctx: ctx.clone(),
            object,
            api,
        })
    }

    fn raw(&self, name: &str) -> Result<Option<Value<'js>>> {
        match &self.object {
            None => Ok(None),
            Some(o) => {
                let v: Value = o.get(name)?;
                Ok((!v.is_undefined()).then_some(v))
            }
        }
    }

    /// A string option; `allowed` empty means any string.
    pub(crate) fn string(&self, name: &str, allowed: &[&str]) -> Result<Option<String>> {
        let Some(v) = self.raw(name)? else {
            return Ok(None);
        };
        let s = Coerced::<String>::from_js(&self.ctx, v)?.0;
        if !allowed.is_empty() && !allowed.contains(&s.as_str()) {
            return range_error(
                &self.ctx,
                format!(
                    "Value {s} out of range for {} options property {name}",
                    self.api
                ),
            );
        }
        Ok(Some(s))
    }

    /// A boolean option (ToBoolean of whatever was given).
    pub(crate) fn boolean(&self, name: &str) -> Result<Option<bool>> {
        Ok(self.raw(name)?.map(|v| truthy(&v)))
    }

    /// An integer option within `min..=max`.
    pub(crate) fn number(&self, name: &str, min: u32, max: u32) -> Result<Option<u32>> {
        let Some(v) = self.raw(name)? else {
            return Ok(None);
        };
        let n = Coerced::<f64>::from_js(&self.ctx, v)?.0;
        if n.is_nan() || n < min as f64 || n > max as f64 {
            return range_error(&self.ctx, format!("{name} value is out of range."));
        }
        Ok(Some(n.floor() as u32))
    }

    /// The context the options are read in.
    pub(crate) fn ctx(&self) -> &Ctx<'js> {
        &self.ctx
    }

    /// The raw value of an option, for options with special handling.
    pub(crate) fn value(&self, name: &str) -> Result<Option<Value<'js>>> {
        self.raw(name)
    }
}

/// JavaScript's ToBoolean.
pub(crate) fn truthy(v: &Value<'_>) -> bool {
    if let Some(b) = v.as_bool() {
        b
    } else if v.is_undefined() || v.is_null() {
        false
    } else if let Some(n) = v.as_number() {
        n != 0.0 && !n.is_nan()
    } else if let Some(s) = v.as_string() {
        s.to_string().map(|s| !s.is_empty()).unwrap_or(true)
    } else if v.is_big_int() {
        v.as_big_int()
            .and_then(|b| b.clone().to_i64().ok())
            .map(|i| i != 0)
            .unwrap_or(true)
    } else {
        true
    }
}
