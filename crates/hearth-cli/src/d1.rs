//! `hearth d1 ...`: a project's D1 databases in its local state, with
//! wrangler 4's command shapes. Works while `hearth dev` runs on the same
//! state (SQLite serializes the writers).

use crate::project::{load_config, persist_dir, ProjectArgs};
use anyhow::{anyhow, bail, Context, Result};
use hearth_config::Config;
use hearth_d1::history::{self, Target};
use hearth_d1::{export, migrations, D1Database, QueryResult};
use std::path::PathBuf;

/// Arguments shared by every `hearth d1` command.
#[derive(clap::Args, Debug)]
pub(crate) struct D1Args {
    /// Path to the configuration file (default: found in the current folder).
    #[arg(long, short = 'c', global = true)]
    config: Option<PathBuf>,
    /// Use the `[env.NAME]` section of the configuration.
    #[arg(long, short = 'e', global = true)]
    env: Option<String>,
    /// Folder for local state; default `.hearth/state` in the project.
    #[arg(long, global = true)]
    persist_to: Option<PathBuf>,
    /// Accepted for wrangler compatibility: hearth's databases are always local.
    #[arg(long, global = true)]
    local: bool,
    /// Accepted for wrangler compatibility (hearth never prompts).
    #[arg(long, short = 'y', global = true)]
    yes: bool,
    #[command(subcommand)]
    command: D1Command,
}

#[derive(clap::Subcommand, Debug)]
enum D1Command {
    /// Run SQL: `--command "SQL"` or `--file F`, all statements in one transaction.
    Execute {
        /// The binding or `database_name` from the configuration.
        database: String,
        /// SQL to run.
        #[arg(long, conflicts_with = "file")]
        command: Option<String>,
        /// A file of SQL to run.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage the numbered `.sql` files in `migrations_dir`.
    #[command(subcommand)]
    Migrations(MigrationsCommand),
    /// Write the database as SQL.
    Export {
        /// The binding or `database_name`.
        database: String,
        /// The file to write.
        #[arg(long)]
        output: PathBuf,
        /// Only these tables (repeatable).
        #[arg(long = "table")]
        tables: Vec<String>,
        /// Leave out the schema.
        #[arg(long)]
        no_schema: bool,
        /// Leave out the rows.
        #[arg(long)]
        no_data: bool,
    },
    /// Restore the database to an earlier point of its write history.
    #[command(subcommand, name = "time-travel")]
    TimeTravel(TimeTravelCommand),
}

#[derive(clap::Subcommand, Debug)]
enum MigrationsCommand {
    /// Write the next numbered migration file.
    Create {
        /// The binding or `database_name`.
        database: String,
        /// What the migration does (becomes part of the file name).
        message: String,
    },
    /// List the migrations not applied yet.
    List {
        /// The binding or `database_name`.
        database: String,
    },
    /// Apply the migrations not applied yet, in order; each is one
    /// transaction, and a failing one is rolled back and not recorded.
    Apply {
        /// The binding or `database_name`.
        database: String,
    },
}

#[derive(clap::Subcommand, Debug)]
enum TimeTravelCommand {
    /// The current bookmark, or the one for `--timestamp`.
    Info {
        /// The binding or `database_name`.
        database: String,
        /// A unix timestamp (seconds) or an RFC 3339 time.
        #[arg(long)]
        timestamp: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Restore to `--bookmark` or `--timestamp`.
    Restore {
        /// The binding or `database_name`.
        database: String,
        /// A bookmark (from `info`, `getBookmark()` or an earlier restore).
        #[arg(
            long,
            conflicts_with = "timestamp",
            required_unless_present = "timestamp"
        )]
        bookmark: Option<String>,
        /// A unix timestamp (seconds) or an RFC 3339 time.
        #[arg(long)]
        timestamp: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(args: D1Args) -> Result<()> {
    let _ = (args.local, args.yes);
    let project = ProjectArgs {
        dir: PathBuf::from("."),
        script: None,
        config: args.config,
        env: args.env,
        vars: Vec::new(),
    };
    let config = load_config(&project, false)?;
    let state = persist_dir(&config.root, args.persist_to.as_deref())?;
    match args.command {
        D1Command::Execute {
            database,
            command,
            file,
            json,
        } => {
            let (binding, db) = open(&config, &state, &database)?;
            let sql = match (command, file) {
                (Some(sql), _) => sql,
                (None, Some(file)) => std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?,
                (None, None) => bail!("give the SQL with --command \"SQL\" or --file FILE"),
            };
            if !json {
                println!(
                    "🌀 Executing on local database {database} ({}) from {}:",
                    binding.local_id(),
                    state.join("d1").display()
                );
            }
            let results = db.script(&sql, |_| Ok(())).map_err(|e| anyhow!("{e}"))?;
            if json {
                let all: Vec<_> = results.iter().map(QueryResult::to_json).collect();
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                println!("🚣 {} commands executed successfully.", results.len());
                if let Some(last) = results.iter().rev().find(|r| !r.columns.is_empty()) {
                    print_table(last);
                }
            }
            Ok(())
        }
        D1Command::Migrations(cmd) => run_migrations(&config, &state, cmd),
        D1Command::Export {
            database,
            output,
            tables,
            no_schema,
            no_data,
        } => {
            let (_, db) = open(&config, &state, &database)?;
            let sql = export::dump(
                &db,
                &export::Options {
                    no_schema,
                    no_data,
                    tables,
                },
            )
            .map_err(|e| anyhow!("{e}"))?;
            std::fs::write(&output, sql)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!("🌀 Exporting local database {database}");
            println!("🌀 Exported to {}", output.display());
            Ok(())
        }
        D1Command::TimeTravel(cmd) => run_time_travel(&config, &state, cmd),
    }
}

/// The binding named `name` (binding or `database_name`) and its database.
fn open<'c>(
    config: &'c Config,
    state: &std::path::Path,
    name: &str,
) -> Result<(&'c hearth_config::D1Database, D1Database)> {
    let binding = config
        .d1_databases
        .iter()
        .find(|d| d.binding == name || d.database_name.as_deref() == Some(name))
        .ok_or_else(|| {
            let known: Vec<String> = config
                .d1_databases
                .iter()
                .map(|d| d.database_name.clone().unwrap_or_else(|| d.binding.clone()))
                .collect();
            anyhow!(
                "{}: no d1_databases entry has binding or database_name `{name}` (known: {})",
                config.path.display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })?;
    let db = D1Database::open(state, binding.local_id()).map_err(|e| anyhow!("{e}"))?;
    Ok((binding, db))
}

fn run_migrations(config: &Config, state: &std::path::Path, cmd: MigrationsCommand) -> Result<()> {
    match cmd {
        MigrationsCommand::Create { database, message } => {
            let (binding, _) = open(config, state, &database)?;
            let now = jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string();
            let path = migrations::create(&binding.migrations_dir, &message, &now)
                .map_err(|e| anyhow!("{e}"))?;
            println!(
                "✅ Successfully created Migration '{}'!\n",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            println!("The migration is available for editing here");
            println!("{}", path.display());
            Ok(())
        }
        MigrationsCommand::List { database } => {
            let (binding, db) = open(config, state, &database)?;
            let pending =
                migrations::unapplied(&db, &binding.migrations_dir, &binding.migrations_table)
                    .map_err(|e| anyhow!("{e}"))?;
            if pending.is_empty() {
                println!("✅ No migrations to apply!");
            } else {
                println!("Migrations to be applied:");
                print_names(&pending, None);
            }
            Ok(())
        }
        MigrationsCommand::Apply { database } => {
            let (binding, db) = open(config, state, &database)?;
            let pending =
                migrations::unapplied(&db, &binding.migrations_dir, &binding.migrations_table)
                    .map_err(|e| anyhow!("{e}"))?;
            if pending.is_empty() {
                println!("✅ No migrations to apply!");
                return Ok(());
            }
            println!("Migrations to be applied:");
            print_names(&pending, None);
            let mut status: Vec<&str> = vec![""; pending.len()];
            for (i, name) in pending.iter().enumerate() {
                let applied = migrations::apply(
                    &db,
                    &binding.migrations_dir,
                    &binding.migrations_table,
                    name,
                );
                status[i] = if applied.is_ok() { "✅" } else { "❌" };
                print_names(&pending, Some(&status));
                if let Err(e) = applied {
                    bail!(
                        "Migration {name} failed with the following errors:\n{e}\n(file {}; it was rolled back and not recorded)",
                        binding.migrations_dir.join(name).display()
                    );
                }
            }
            Ok(())
        }
    }
}

fn run_time_travel(config: &Config, state: &std::path::Path, cmd: TimeTravelCommand) -> Result<()> {
    match cmd {
        TimeTravelCommand::Info {
            database,
            timestamp,
            json,
        } => {
            let (_, db) = open(config, state, &database)?;
            let at = timestamp.as_deref().map(parse_time).transpose()?;
            let info = history::info(&db, at).map_err(|e| anyhow!("{e}"))?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "bookmark": info.bookmark, "oldest": info.oldest, "entries": info.entries })
                );
            } else if let Some(t) = timestamp {
                println!("🚧 Time Traveling...");
                println!(
                    "⚠️ Timestamp '{t}' corresponds with bookmark '{}'",
                    info.bookmark
                );
            } else {
                println!("🚧 Time Traveling...");
                println!("⚠️ The current bookmark is '{}'", info.bookmark);
                println!(
                    "⚡️ The oldest restorable bookmark is '{}' ({} writes recorded)",
                    info.oldest, info.entries
                );
            }
            Ok(())
        }
        TimeTravelCommand::Restore {
            database,
            bookmark,
            timestamp,
            json,
        } => {
            let (_, db) = open(config, state, &database)?;
            let target = match (bookmark, timestamp) {
                (Some(b), _) => Target::Bookmark(b),
                (None, Some(t)) => Target::Timestamp(parse_time(&t)?),
                (None, None) => bail!("give --bookmark or --timestamp"),
            };
            let restored = history::restore(&db, &target).map_err(|e| anyhow!("{e}"))?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "bookmark": restored.bookmark, "previous_bookmark": restored.previous })
                );
            } else {
                println!("⚡️ Time travel in progress...");
                println!(
                    "✅ Database {database} restored back to bookmark {}",
                    restored.bookmark
                );
                println!(
                    "↩️ To undo this operation, you can restore to the previous bookmark: {}",
                    restored.previous
                );
            }
            Ok(())
        }
    }
}

/// Unix milliseconds from a unix timestamp in seconds or an RFC 3339 time.
fn parse_time(text: &str) -> Result<i64> {
    if let Ok(secs) = text.trim().parse::<f64>() {
        return Ok((secs * 1000.0) as i64);
    }
    let t: jiff::Timestamp = text
        .trim()
        .parse()
        .with_context(|| format!("`{text}` is neither a unix timestamp nor an RFC 3339 time"))?;
    Ok(t.as_millisecond())
}

fn print_names(names: &[String], status: Option<&[&str]>) {
    let rows: Vec<Vec<String>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| match status {
            Some(s) => vec![n.clone(), s[i].to_string()],
            None => vec![n.clone()],
        })
        .collect();
    let header: Vec<String> = match status {
        Some(_) => vec!["name".into(), "status".into()],
        None => vec!["name".into()],
    };
    table(&header, &rows);
}

fn print_table(r: &QueryResult) {
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| match v.to_json() {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    table(&r.columns, &rows);
}

/// A box-drawn table, as wrangler prints results.
fn table(header: &[String], rows: &[Vec<String>]) {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain(std::iter::once(header[i].chars().count()))
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |l: &str, m: &str, r: &str| {
        let parts: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
        format!("{l}{}{r}", parts.join(m))
    };
    let cells = |row: &[String]| {
        let parts: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!(" {c}{} ", " ".repeat(w - c.chars().count())))
            .collect();
        format!("│{}│", parts.join("│"))
    };
    println!("{}", line("┌", "┬", "┐"));
    println!("{}", cells(header));
    println!("{}", line("├", "┼", "┤"));
    for row in rows {
        println!("{}", cells(row));
    }
    println!("{}", line("└", "┴", "┘"));
}
