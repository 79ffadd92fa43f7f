//! The one list of what every isolate gets: each Web API's and each binding's
//! natives, installed on the native object the prelude's JavaScript reads.
//! A new API or binding adds one line here and one to `prelude.list`.

use rquickjs::{Ctx, Object};

/// A fresh native object holding every API's natives.
pub(crate) fn natives<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let native = Object::new(ctx.clone())?;
    crate::web::console::install(ctx, &native)?;
    crate::web::timers::install(ctx, &native)?;
    crate::web::encoding::install(ctx, &native)?;
    crate::web::structured_clone::install(ctx, &native)?;
    crate::web::url::install(ctx, &native)?;
    crate::web::url_pattern::install(ctx, &native)?;
    crate::web::compression::install(ctx, &native)?;
    crate::web::crypto::install(ctx, &native)?;
    crate::web::fetch::install(ctx, &native)?;
    crate::web::websocket::install(ctx, &native)?;
    crate::web::html_rewriter::install(ctx, &native)?;
    crate::web::cache::install(ctx, &native)?;
    crate::web::wasm::install(ctx, &native)?;
    crate::loader::data::install(ctx, &native)?;
    crate::bindings::durable::natives::install(ctx, &native)?;
    crate::bindings::kv::install(ctx, &native)?;
    crate::bindings::assets::install(ctx, &native)?;
    crate::bindings::d1::install(ctx, &native)?;
    crate::bindings::r2::install(ctx, &native)?;
    crate::bindings::queues::install(ctx, &native)?;
    crate::bindings::ratelimit::install(ctx, &native)?;
    crate::bindings::site::install(ctx, &native)?;
    crate::bindings::sockets::install(ctx, &native)?;
    crate::bindings::services::install(ctx, &native)?;
    crate::node::install(ctx, &native)?;
    Ok(native)
}

/// Standard globals implemented outside this crate, defined directly.
pub(crate) fn install_globals(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    hearth_intl::install(ctx)
}
