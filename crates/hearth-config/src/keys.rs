//! Catalogue of wrangler's top-level configuration keys: whether named
//! environments inherit them, and what hearth does with them.
//!
//! Inheritance follows wrangler's `EnvironmentInheritable` /
//! `EnvironmentNonInheritable` split and the "top-level only" keys of the
//! configuration docs: inheritable keys in `[env.NAME]` override the top level
//! and fall back to it; non-inheritable keys (bindings, `vars`, `define`) must
//! be repeated in every environment; top-level-only keys may not appear in an
//! environment at all.

use crate::node::{Kind, Node};

/// How a key behaves under `[env.NAME]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Falls back to the top-level value when the environment omits it.
    Inheritable,
    /// Only the environment's own value counts.
    NonInheritable,
    /// Only valid at the top level.
    TopOnly,
}

/// What hearth does with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// Parsed into [`crate::Config`].
    Used,
    /// Deploy-only metadata without a local effect: accepted silently.
    Silent,
    /// Not acted on; a warning with this explanation is emitted.
    Ignored(&'static str),
}

const BINDING: &str = "these bindings are not supported yet, so they will be missing from `env`";

/// `(key, scope, use)` for every known top-level key except `env` itself.
pub(crate) const KEYS: &[(&str, Scope, Use)] = {
    use Scope::*;
    use Use::*;
    &[
        // Used by hearth.
        ("name", Inheritable, Used),
        ("main", Inheritable, Used),
        ("compatibility_date", Inheritable, Used),
        ("compatibility_flags", Inheritable, Used),
        ("rules", Inheritable, Used),
        ("triggers", Inheritable, Used),
        ("limits", Inheritable, Used),
        ("migrations", Inheritable, Used),
        ("tcp_listeners", Inheritable, Used),
        ("outbound", Inheritable, Used),
        ("assets", Inheritable, Used),
        ("build", Inheritable, Used),
        ("site", TopOnly, Used),
        ("vars", NonInheritable, Used),
        ("kv_namespaces", NonInheritable, Used),
        ("durable_objects", NonInheritable, Used),
        ("hyperdrive", NonInheritable, Used),
        ("d1_databases", NonInheritable, Used),
        ("r2_buckets", NonInheritable, Used),
        ("services", NonInheritable, Used),
        ("version_metadata", NonInheritable, Used),
        ("route", Inheritable, Used),
        ("routes", Inheritable, Used),
        ("queues", NonInheritable, Used),
        ("ratelimits", NonInheritable, Used),
        ("unsafe", NonInheritable, Used),
        // Deploy-time metadata: nothing to do locally.
        ("$schema", TopOnly, Silent),
        ("keep_vars", TopOnly, Silent),
        ("send_metrics", TopOnly, Silent),
        ("legacy_env", TopOnly, Silent),
        ("account_id", Inheritable, Silent),
        ("workers_dev", Inheritable, Silent),
        ("preview_urls", Inheritable, Silent),
        ("zone_id", Inheritable, Silent),
        ("minify", Inheritable, Silent),
        ("keep_names", Inheritable, Silent),
        ("upload_source_maps", Inheritable, Silent),
        ("logpush", Inheritable, Silent),
        ("first_party_worker", Inheritable, Silent),
        ("compliance_region", Inheritable, Silent),
        ("no_bundle", Inheritable, Silent),
        ("observability", Inheritable, Silent),
        ("dependencies_instrumentation", TopOnly, Silent),
        ("previews", Inheritable, Silent),
        ("exports", Inheritable, Silent),
        // What wrangler adds to the configuration a build writes (e.g.
        // `@cloudflare/vite-plugin`'s `dist/<name>/wrangler.json`).
        ("configPath", TopOnly, Silent),
        ("userConfigPath", TopOnly, Silent),
        ("topLevelName", TopOnly, Silent),
        ("definedEnvironments", TopOnly, Silent),
        ("targetEnvironment", TopOnly, Silent),
        // Known to wrangler, not (yet) acted on by hearth.
        ("dev", TopOnly, Ignored("local dev-server settings are not read; use hearth's command-line flags")),
        ("wasm_modules", TopOnly, Ignored("service-worker module bindings are not supported; import the module and use `rules` instead")),
        ("text_blobs", TopOnly, Ignored("service-worker module bindings are not supported; import the file and use `rules` instead")),
        ("data_blobs", TopOnly, Ignored("service-worker module bindings are not supported; import the file and use `rules` instead")),
        ("alias", TopOnly, Ignored("module aliases are not applied")),
        ("pages_build_output_dir", TopOnly, Ignored("Pages projects are not supported")),
        ("usage_model", Inheritable, Ignored("it only affects billing on Cloudflare")),
        ("placement", Inheritable, Ignored("Smart Placement has no local effect")),
        ("node_compat", Inheritable, Ignored("it was removed in wrangler v4; add \"nodejs_compat\" to compatibility_flags instead")),
        ("tsconfig", Inheritable, Ignored("tsconfig settings such as path aliases are not applied")),
        ("jsx_factory", Inheritable, Ignored("JSX follows tsconfig.json's jsxFactory (default React.createElement)")),
        ("jsx_fragment", Inheritable, Ignored("JSX follows tsconfig.json's jsxFragmentFactory (default React.Fragment)")),
        ("base_dir", Inheritable, Ignored("module paths are resolved relative to the configuration file")),
        ("find_additional_modules", Inheritable, Ignored("modules are loaded on demand from disk")),
        ("preserve_file_names", Inheritable, Ignored("module file names are never rewritten")),
        ("python_modules", Inheritable, Ignored("Python Workers are not supported")),
        ("logfwdr", Inheritable, Ignored(BINDING)),
        ("define", NonInheritable, Ignored("global constant replacement is not applied")),
        ("tail_consumers", NonInheritable, Ignored("tail events are not forwarded")),
        ("streaming_tail_consumers", NonInheritable, Ignored("tail events are not forwarded")),
        ("analytics_engine_datasets", NonInheritable, Ignored(BINDING)),
        ("workflows", NonInheritable, Ignored(BINDING)),
        ("containers", NonInheritable, Ignored("containers are not supported")),
        ("cloudchamber", NonInheritable, Ignored("containers are not supported")),
        ("send_email", NonInheritable, Ignored(BINDING)),
        ("vectorize", NonInheritable, Ignored(BINDING)),
        ("browser", NonInheritable, Ignored(BINDING)),
        ("ai", NonInheritable, Ignored(BINDING)),
        ("images", NonInheritable, Ignored(BINDING)),
        ("media", NonInheritable, Ignored(BINDING)),
        ("mtls_certificates", NonInheritable, Ignored(BINDING)),
        ("dispatch_namespaces", NonInheritable, Ignored(BINDING)),
        ("pipelines", NonInheritable, Ignored(BINDING)),
        ("secrets_store_secrets", NonInheritable, Ignored(BINDING)),
        ("worker_loaders", NonInheritable, Ignored(BINDING)),
        ("vpc_services", NonInheritable, Ignored(BINDING)),
        ("unsafe_hello_world", NonInheritable, Ignored(BINDING)),
        ("connect", NonInheritable, Ignored(BINDING)),
        ("ai_search_namespaces", NonInheritable, Ignored(BINDING)),
        ("ai_search", NonInheritable, Ignored(BINDING)),
        ("websearch", NonInheritable, Ignored(BINDING)),
        ("agent_memory", NonInheritable, Ignored(BINDING)),
        ("artifacts", NonInheritable, Ignored(BINDING)),
        ("stream", NonInheritable, Ignored(BINDING)),
        ("flagship", NonInheritable, Ignored(BINDING)),
        ("vpc_networks", NonInheritable, Ignored(BINDING)),
        ("addresses", TopOnly, Ignored("Email Routing addresses have no local effect")),
        ("access", Inheritable, Ignored("Cloudflare Access is not applied locally")),
        ("cache", Inheritable, Ignored("the zone cache settings are not applied locally")),
        ("secrets", NonInheritable, Ignored("secret declarations are not checked; put local values in .dev.vars")),
    ]
};

/// Looks up a top-level key.
pub(crate) fn lookup(key: &str) -> Option<(Scope, Use)> {
    KEYS.iter()
        .find(|(k, _, _)| *k == key)
        .map(|&(_, scope, usage)| (scope, usage))
}

/// Whether `node` is a value that asks nothing of hearth: empty (null, `[]`,
/// `{}`, tables of empty values such as `queues = { producers = [] }`) or
/// the default wrangler itself writes into a generated configuration.
/// Ignored keys with such values get no warning.
pub(crate) fn is_default(key: &str, node: &Node) -> bool {
    let text = |expected: &str| matches!(&node.kind, Kind::Str(s) if s == expected);
    match key {
        "jsx_factory" if text("React.createElement") => return true,
        "jsx_fragment" if text("React.Fragment") => return true,
        _ => {}
    }
    match &node.kind {
        Kind::Null => true,
        Kind::Array(items) => items.is_empty(),
        Kind::Table(entries) => entries
            .iter()
            .all(|(k, v)| match (key, k.as_str(), &v.kind) {
                // `dev`'s defaults as wrangler writes them.
                ("dev", "ip", Kind::Str(s)) => s == "localhost" || s == "127.0.0.1",
                ("dev", "local_protocol" | "upstream_protocol", Kind::Str(s)) => s == "http",
                ("dev", "enable_containers" | "generate_types", Kind::Bool(_)) => true,
                ("python_modules", "exclude", _) => true,
                _ => is_default(k, v),
            }),
        _ => false,
    }
}
