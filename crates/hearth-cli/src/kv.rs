//! `hearth kv ...`: manage the KV data of a project's local state, with
//! wrangler 4's command shapes. Works while `hearth dev` runs on the same state.

use crate::project::{load_config, persist_dir, ProjectArgs};
use anyhow::Result;
use hearth_kv_api::cli::KvCommand;
use std::path::PathBuf;

/// Arguments shared by every `hearth kv` command.
#[derive(clap::Args, Debug)]
pub(crate) struct KvArgs {
    /// Path to the configuration file (default: found in the current folder).
    #[arg(long, short = 'c', global = true)]
    config: Option<PathBuf>,
    /// Use the `[env.NAME]` section of the configuration.
    #[arg(long, short = 'e', global = true)]
    env: Option<String>,
    /// Folder for local state; default `.hearth/state` in the project.
    #[arg(long, global = true)]
    persist_to: Option<PathBuf>,
    #[command(subcommand)]
    command: KvCommand,
}

pub(crate) fn run(args: KvArgs) -> Result<()> {
    let project = ProjectArgs {
        script: None,
        dir: PathBuf::from("."),
        config: args.config,
        env: args.env,
        vars: Vec::new(),
    };
    // Without a project, `--namespace-id` still works against --persist-to.
    let config = match load_config(&project, false) {
        Ok(config) => Some(config),
        Err(e) if args.persist_to.is_some() && project.config.is_none() => {
            tracing::debug!("no project configuration: {e:#}");
            None
        }
        Err(e) => return Err(e),
    };
    let root = config
        .as_ref()
        .map(|c| c.root.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    let bindings: Vec<(String, String)> = config
        .as_ref()
        .map(|c| {
            c.kv_namespaces
                .iter()
                .map(|ns| (ns.binding.clone(), hearth_runtime::kv_namespace_id(ns)))
                .collect()
        })
        .unwrap_or_default();
    let state = persist_dir(&root, args.persist_to.as_deref())?;
    hearth_kv_api::cli::run(&state, &bindings, args.command)?;
    Ok(())
}
