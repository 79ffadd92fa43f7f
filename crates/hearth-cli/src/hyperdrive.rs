//! `[[hyperdrive]]` bindings: which database each one pools, and the pools
//! themselves, started on first need and kept across reloads.

use anyhow::{anyhow, Result};
use hearth_config::Config;
use hearth_hyperdrive::Hyperdrive;
use hearth_runtime::HyperdriveBinding;
use std::sync::OnceLock;

/// Environment variable prefixes that override `localConnectionString`, as
/// in `wrangler dev` (the `WRANGLER_` one is the older spelling).
const ENV_PREFIXES: &[&str] = &[
    "CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_",
    "WRANGLER_HYPERDRIVE_LOCAL_CONNECTION_STRING_",
];

/// The process's Hyperdrive service, started when a project first has a binding.
#[derive(Default)]
pub(crate) struct LazyHyperdrive(OnceLock<Hyperdrive>);

impl LazyHyperdrive {
    /// Starts (or keeps) a pool per binding of `config` and returns what
    /// the worker's `env` shows for each.
    pub(crate) fn bindings(&self, config: &Config) -> Result<Vec<HyperdriveBinding>> {
        if config.hyperdrive.is_empty() {
            return Ok(Vec::new());
        }
        let service = match self.0.get() {
            Some(service) => service,
            None => {
                let started = Hyperdrive::start()
                    .map_err(|e| anyhow!("cannot start the Hyperdrive pool thread: {e}"))?;
                self.0.get_or_init(|| started)
            }
        };
        config
            .hyperdrive
            .iter()
            .map(|entry| {
                let name = &entry.binding;
                let origin = ENV_PREFIXES
                    .iter()
                    .find_map(|prefix| std::env::var(format!("{prefix}{name}")).ok())
                    .or_else(|| entry.local_connection_string.clone())
                    .ok_or_else(|| {
                        anyhow!(
                            "{}: hyperdrive binding {name} has no local database: set \
                             localConnectionString = \"postgres://user:password@127.0.0.1:5432/db\" \
                             in its [[hyperdrive]] entry or the environment variable \
                             CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_{name}",
                            config.path.display()
                        )
                    })?;
                let limit = entry.origin_connection_limit.map(|n| n as usize);
                // Pools are per worker: two workers may use one binding name.
                let pool_name = format!("{name} of worker {}", config.name);
                let endpoint = service.pool(&pool_name, &origin, limit).map_err(|e| {
                    anyhow!("{}: hyperdrive binding {name}: {e}", config.path.display())
                })?;
                Ok(HyperdriveBinding {
                    binding: name.clone(),
                    connection_string: endpoint.connection_string(),
                    host: endpoint.host,
                    port: endpoint.port,
                    user: endpoint.user,
                    password: endpoint.password,
                    database: endpoint.database,
                })
            })
            .collect()
    }
}
