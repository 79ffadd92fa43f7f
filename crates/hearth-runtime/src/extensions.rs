//! The one list of what every isolate gets: each Web API's and each binding's
//! natives, installed on the native object the prelude's JavaScript reads.
//! A new API or binding adds one line here and one to `prelude.list`.

use rquickjs::{Ctx, Object};

/// Creates the native object and fills it.
pub(crate) fn install(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let native = Object::new(ctx.clone())?;
    crate::web::console::install(ctx, &native)?;
    crate::web::timers::install(ctx, &native)?;
    crate::web::encoding::install(ctx, &native)?;
    crate::web::structured_clone::install(ctx, &native)?;
    crate::web::url::install(ctx, &native)?;
    crate::web::crypto::install(ctx, &native)?;
    crate::web::fetch::install(ctx, &native)?;
    crate::web::websocket::install(ctx, &native)?;
    crate::web::html_rewriter::install(ctx, &native)?;
    crate::web::cache::install(ctx, &native)?;
    crate::loader::data::install(ctx, &native)?;
    crate::bindings::durable::natives::install(ctx, &native)?;
    crate::bindings::kv::install(ctx, &native)?;
    crate::bindings::sockets::install(ctx, &native)?;
    ctx.globals().set("__hearth_native", native)?;
    Ok(())
}
