//! Data modules (`[[rules]] type = "Data"`): the file's bytes as an ArrayBuffer.

use crate::host::bytes::new_array_buffer;
use crate::host::event_loop::current;
use rquickjs::{Ctx, Exception, Function, Object, Value};

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("moduleData", Function::new(ctx.clone(), module_data)?)?;
    Ok(())
}

fn module_data<'js>(ctx: Ctx<'js>, name: String) -> rquickjs::Result<Value<'js>> {
    let core = current();
    let bytes = core
        .worker
        .source(&name)
        .map_err(|e| Exception::throw_internal(&ctx, &e))?;
    new_array_buffer(&ctx, bytes.to_vec())
}
