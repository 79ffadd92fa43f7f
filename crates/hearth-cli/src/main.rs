//! The `hearth` command.

mod client;
mod d1;
mod dev;
mod hyperdrive;
mod kv;
mod project;
mod queues;
mod r2;
mod serve;
mod signals;
mod state_lock;
mod watch;
mod workers;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Run Cloudflare Workers projects on your own machines.
#[derive(Parser)]
#[command(name = "hearth", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a Workers project locally, reloading when its files change.
    Dev(dev::DevArgs),
    /// Manage KV namespaces and keys in the local state.
    Kv(kv::KvArgs),
    /// Query D1 databases, apply migrations, export, time travel.
    D1(d1::D1Args),
    /// Serve every worker deployed to this server (production).
    Serve(serve::ServeArgs),
    /// Upload the project as a new version and deploy it at 100%.
    Deploy(client::DeployArgs),
    /// Upload, list, view and deploy versions.
    Versions(client::VersionsArgs),
    /// List deployments and show the current one.
    Deployments(client::DeploymentsArgs),
    /// Deploy an earlier version at 100%.
    Rollback(client::RollbackArgs),
    /// Set, list and delete a worker's secrets.
    Secret(client::SecretArgs),
    /// Manage R2 buckets and objects in the local state.
    R2(r2::R2Args),
    /// List, create and delete queues in the local state.
    Queues(queues::QueuesArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HEARTH_LOG")
                // notify logs, as warnings, watches it drops itself when a
                // watched folder is deleted: nothing a user can act on.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,notify=error")),
        )
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dev(args) => dev::run(args),
        Command::Kv(args) => kv::run(args),
        Command::D1(args) => d1::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Deploy(args) => client::deploy(args),
        Command::Versions(args) => client::versions(args),
        Command::Deployments(args) => client::deployments(args),
        Command::Rollback(args) => client::rollback(args),
        Command::Secret(args) => client::secret(args),
        Command::R2(args) => r2::run(args),
        Command::Queues(args) => queues::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
