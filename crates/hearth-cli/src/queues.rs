//! `hearth queues ...`: the queues in a project's local state, with
//! wrangler's command shapes (`list`, `create`, `delete`). Works while
//! `hearth dev` runs on the same state (SQLite serializes the writers).

use crate::project::{load_config, persist_dir, ProjectArgs};
use anyhow::{anyhow, Result};
use hearth_queues::QueueStore;
use std::path::PathBuf;

/// Arguments shared by every `hearth queues` command.
#[derive(clap::Args, Debug)]
pub(crate) struct QueuesArgs {
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
    command: QueuesCommand,
}

#[derive(clap::Subcommand, Debug)]
enum QueuesCommand {
    /// List the queues with their backlog, delayed, in-flight and dead-lettered counts.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create a queue.
    Create {
        /// The queue's name.
        name: String,
    },
    /// Delete a queue and its messages.
    Delete {
        /// The queue's name.
        name: String,
    },
}

pub(crate) fn run(args: QueuesArgs) -> Result<()> {
    let state = match &args.persist_to {
        Some(dir) => persist_dir(dir, Some(dir))?,
        None => {
            let project = ProjectArgs {
                dir: PathBuf::from("."),
                script: None,
                config: args.config,
                env: args.env,
                vars: Vec::new(),
            };
            let config = load_config(&project, false)?;
            persist_dir(&config.root, None)?
        }
    };
    let store = QueueStore::open(&state).map_err(|e| anyhow!(e))?;
    match args.command {
        QueuesCommand::List { json } => {
            let queues = store.list().map_err(|e| anyhow!(e))?;
            if json {
                let rows: Vec<serde_json::Value> = queues
                    .iter()
                    .map(|q| {
                        serde_json::json!({
                            "queue_name": q.name,
                            "created_on": q.created_ms,
                            "backlog": q.backlog,
                            "delayed": q.delayed,
                            "in_flight": q.in_flight,
                            "dead_lettered": q.dead_lettered,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
            } else {
                println!(
                    "{:<32} {:>9} {:>9} {:>10} {:>14}",
                    "name", "backlog", "delayed", "in flight", "dead-lettered"
                );
                for q in queues {
                    println!(
                        "{:<32} {:>9} {:>9} {:>10} {:>14}",
                        q.name, q.backlog, q.delayed, q.in_flight, q.dead_lettered
                    );
                }
            }
        }
        QueuesCommand::Create { name } => {
            store.create_queue(&name).map_err(|e| anyhow!(e))?;
            println!("Created queue {name}.");
        }
        QueuesCommand::Delete { name } => {
            store.delete_queue(&name).map_err(|e| anyhow!(e))?;
            println!("Deleted queue {name}.");
        }
    }
    Ok(())
}
