//! Node.js compatibility (`nodejs_compat`): the `node:*` modules are the
//! JavaScript files beside this one (registered in `loader`); the few that
//! need Rust get their natives here.

pub(crate) mod fs;
pub(crate) mod zlib;

use rquickjs::{Ctx, Object};

/// Adds the Node.js modules' natives to the native object.
pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    zlib::install(ctx, native)?;
    fs::install(ctx, native)
}
