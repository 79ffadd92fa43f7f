//! Loads a wrangler configuration and prints it.
//!
//! Usage: `cargo run -p hearth-config --example print_config -- <path-or-folder> [env]`

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(arg) = args.next().map(PathBuf::from) else {
        eprintln!("usage: print_config <wrangler.toml|wrangler.json(c)|folder> [env]");
        return ExitCode::from(2);
    };
    let env = args.next().map(|e| e.to_string_lossy().into_owned());
    let path = if arg.is_dir() {
        match hearth_config::find_config(&arg) {
            Some(path) => path,
            None => {
                eprintln!(
                    "{}: no wrangler.json, wrangler.jsonc or wrangler.toml found",
                    arg.display()
                );
                return ExitCode::FAILURE;
            }
        }
    } else {
        arg
    };
    match hearth_config::load(&path, env.as_deref()) {
        Ok(config) => {
            for warning in &config.warnings {
                eprintln!("warning: {warning}");
            }
            println!("{config:#?}");
            match hearth_config::load_dev_vars(&config.root, env.as_deref()) {
                Ok(vars) => println!("dev vars: {:?}", vars.keys().collect::<Vec<_>>()),
                Err(err) => eprintln!("error: {err}"),
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
