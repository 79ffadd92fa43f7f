//! A worker's `env`: its vars and secrets, and one object per binding in its
//! configuration, built from the classes the bindings' scripts put on the
//! internal object. A new binding adds its line here.

use crate::host::isolate::caught;
use crate::worker::{EnvValue, Format, Worker};
use rquickjs::{Ctx, Object, Value};

/// Builds `env` from vars, secrets and each binding's class (defined by
/// the binding's script), and the compatibility switches.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    worker: &Worker,
    internal: &Object<'js>,
) -> Result<(), String> {
    let build = || -> rquickjs::Result<()> {
        let env = Object::new(ctx.clone())?;
        for (key, value) in worker.env_values() {
            match value {
                EnvValue::Text(s) => env.set(key.as_str(), s.as_str())?,
                EnvValue::Json(v) => env.set(key.as_str(), ctx.json_parse(v.to_string())?)?,
            }
        }
        let do_class: rquickjs::Constructor = internal.get("DurableObjectNamespace")?;
        for binding in &worker.config().durable_objects {
            let script = binding.script_name.as_deref().unwrap_or(worker.name());
            let namespace: Value = do_class.construct((binding.class_name.as_str(), script))?;
            env.set(binding.name.as_str(), namespace)?;
        }
        let kv_class: rquickjs::Constructor = internal.get("KVNamespace")?;
        for (binding, id) in worker.kv_bindings() {
            let namespace: Value = kv_class.construct((id.as_str(),))?;
            env.set(binding.as_str(), namespace)?;
        }
        let hyperdrive_class: rquickjs::Constructor = internal.get("Hyperdrive")?;
        for b in worker.hyperdrive() {
            let info = Object::new(ctx.clone())?;
            info.set("connectionString", b.connection_string.as_str())?;
            info.set("host", b.host.as_str())?;
            info.set("port", b.port)?;
            info.set("user", b.user.as_str())?;
            info.set("password", b.password.as_str())?;
            info.set("database", b.database.as_str())?;
            let binding: Value = hyperdrive_class.construct((info,))?;
            env.set(b.binding.as_str(), binding)?;
        }
        let d1_class: rquickjs::Constructor = internal.get("D1Database")?;
        for (binding, _) in worker.d1_bindings() {
            let database: Value = d1_class.construct((binding.as_str(),))?;
            env.set(binding.as_str(), database)?;
        }
        let r2_class: rquickjs::Constructor = internal.get("R2Bucket")?;
        for (binding, _) in worker.r2_bindings() {
            let bucket: Value = r2_class.construct((binding.as_str(),))?;
            env.set(binding.as_str(), bucket)?;
        }
        let queue_class: rquickjs::Constructor = internal.get("WorkerQueue")?;
        for p in &worker.config().queues.producers {
            let queue: Value = queue_class.construct((p.binding.as_str(),))?;
            env.set(p.binding.as_str(), queue)?;
        }
        let ratelimit_class: rquickjs::Constructor = internal.get("RateLimit")?;
        for r in &worker.config().ratelimits {
            let limiter: Value = ratelimit_class.construct((r.name.as_str(),))?;
            env.set(r.name.as_str(), limiter)?;
        }
        if let Some(binding) = worker
            .config()
            .assets
            .as_ref()
            .and_then(|a| a.binding.as_ref())
        {
            let assets_class: rquickjs::Constructor = internal.get("AssetsBinding")?;
            let fetcher: Value = assets_class.construct(())?;
            env.set(binding.as_str(), fetcher)?;
        }
        if let Some(manifest) = worker.site_manifest() {
            let site_class: rquickjs::Constructor = internal.get("StaticContent")?;
            let content: Value = site_class.construct(())?;
            env.set("__STATIC_CONTENT", content)?;
            // Service workers read the manifest as a global string.
            if worker.format() == Format::ServiceWorker {
                env.set("__STATIC_CONTENT_MANIFEST", manifest)?;
            }
        }
        let service_class: rquickjs::Constructor = internal.get("ServiceBinding")?;
        for b in &worker.config().services {
            let binding: Value =
                service_class.construct((b.service.as_str(), b.entrypoint.as_deref()))?;
            env.set(b.binding.as_str(), binding)?;
        }
        if let Some(name) = &worker.config().version_metadata {
            let version = worker.version();
            let info = Object::new(ctx.clone())?;
            info.set("id", version.id.as_str())?;
            info.set("tag", version.tag.as_str())?;
            info.set("timestamp", version.timestamp.as_str())?;
            let freeze: rquickjs::Function =
                ctx.globals().get::<_, Object>("Object")?.get("freeze")?;
            let info: Value = freeze.call((info,))?;
            env.set(name.as_str(), info)?;
        }
        internal.set("env", env)?;
        internal.set("workerName", worker.name())?;
        install_compat(ctx, worker, internal)
    };
    build().map_err(|e| caught(ctx, e))
}

/// The compatibility changes the prelude's JavaScript consults, as
/// `__hearth_internal.compat`, and the globals that only exist from a date.
fn install_compat<'js>(
    ctx: &Ctx<'js>,
    worker: &Worker,
    internal: &Object<'js>,
) -> rquickjs::Result<()> {
    let compatibility = &worker.config().compatibility;
    let flags = Object::new(ctx.clone())?;
    for flag in [
        "formdata_parser_supports_files",
        "nodejs_compat_v2",
        "nodejs_compat_populate_process_env",
        "enable_nodejs_http_server_modules",
        "queues_json_messages",
    ] {
        flags.set(flag, compatibility.is_on(flag))?;
    }
    internal.set("compat", flags)?;
    let globals = ctx.globals();
    if !compatibility.is_on("global_navigator") {
        globals.remove("navigator")?;
    } else if !compatibility.is_on("enable_navigator_language") {
        let navigator: Object = globals.get("navigator")?;
        navigator.remove("language")?;
    }
    Ok(())
}
