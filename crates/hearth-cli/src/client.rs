//! The commands that talk to a `hearth serve` over its admin API, with
//! wrangler's shapes: `deploy`, `versions`, `deployments`, `rollback`,
//! `secret`.

use crate::project::{load_config, ProjectArgs};
use anyhow::{anyhow, bail, Context, Result};
use hearth_platform::api::{
    ApiError, DeployRequest, Deployment, DeploymentVersion, RollbackRequest, SecretName,
    SecretValue, UploadAnswer, UploadRequest, Version,
};
use http_body_util::{BodyExt, Full};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

/// Where the server is and who we are.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Server {
    /// The admin API of a `hearth serve` (e.g. http://127.0.0.1:8788).
    #[arg(long, env = "HEARTH_SERVER", value_name = "URL")]
    server: String,
    /// A token of that server.
    #[arg(long, env = "HEARTH_TOKEN", hide_env_values = true)]
    token: String,
}

/// Which worker: the project's (its configuration names it), or `--name`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Project {
    /// The project folder.
    #[arg(default_value = ".", value_name = "DIR")]
    dir: PathBuf,
    /// Path to the configuration file, instead of looking in DIR.
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// Use the `[env.NAME]` section: the worker `NAME-ENV`.
    #[arg(long, short = 'e')]
    env: Option<String>,
}

/// `--name` or the project's worker.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct Target {
    /// The worker, instead of the one the project in the current folder names.
    #[arg(long)]
    name: Option<String>,
    /// Path to the configuration file naming the worker.
    #[arg(long, short = 'c')]
    config: Option<PathBuf>,
    /// Use the `[env.NAME]` section: the worker `NAME-ENV`.
    #[arg(long, short = 'e')]
    env: Option<String>,
}

impl Target {
    fn worker(&self) -> Result<String> {
        if let Some(name) = &self.name {
            return Ok(name.clone());
        }
        let config = load_config(
            &ProjectArgs {
                dir: PathBuf::from("."),
                script: None,
                config: self.config.clone(),
                env: self.env.clone(),
                vars: Vec::new(),
            },
            false,
        )
        .context("pass --name WORKER, or run in the worker's project folder")?;
        Ok(config.name)
    }
}

/// `hearth deploy`.
#[derive(clap::Args, Debug)]
pub(crate) struct DeployArgs {
    #[command(flatten)]
    project: Project,
    /// A tag for the version.
    #[arg(long)]
    tag: Option<String>,
    /// A message for the version and deployment.
    #[arg(long)]
    message: Option<String>,
    #[command(flatten)]
    server: Server,
}

/// `hearth versions`.
#[derive(clap::Args, Debug)]
pub(crate) struct VersionsArgs {
    #[command(subcommand)]
    command: VersionsCommand,
}

#[derive(clap::Subcommand, Debug)]
enum VersionsCommand {
    /// Upload a new version without deploying it; prints its id.
    Upload {
        #[command(flatten)]
        project: Project,
        /// A tag for the version.
        #[arg(long)]
        tag: Option<String>,
        /// A message for the version.
        #[arg(long)]
        message: Option<String>,
        #[command(flatten)]
        server: Server,
    },
    /// List the worker's versions, newest first.
    List {
        #[command(flatten)]
        target: Target,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: Server,
    },
    /// Show one version.
    View {
        /// The version id.
        id: String,
        #[command(flatten)]
        target: Target,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: Server,
    },
    /// Deploy one or two versions: `<id>@<percent>%` (a bare id is 100%).
    Deploy {
        /// `<id>@<percent>%`, once or twice (percentages summing to 100).
        #[arg(required = true, num_args = 1..=2)]
        versions: Vec<String>,
        #[command(flatten)]
        target: Target,
        /// A message for the deployment.
        #[arg(long)]
        message: Option<String>,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Do not judge the split with the canary judge.
        #[arg(long)]
        no_judge: bool,
        #[command(flatten)]
        server: Server,
    },
}

/// `hearth deployments`.
#[derive(clap::Args, Debug)]
pub(crate) struct DeploymentsArgs {
    #[command(subcommand)]
    command: DeploymentsCommand,
}

#[derive(clap::Subcommand, Debug)]
enum DeploymentsCommand {
    /// List the worker's deployments, newest first.
    List {
        #[command(flatten)]
        target: Target,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: Server,
    },
    /// Show the current deployment.
    Status {
        #[command(flatten)]
        target: Target,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: Server,
    },
}

/// `hearth rollback`.
#[derive(clap::Args, Debug)]
pub(crate) struct RollbackArgs {
    /// The version to deploy at 100% (default: the one before the current
    /// deployment).
    id: Option<String>,
    #[command(flatten)]
    target: Target,
    /// A message for the deployment.
    #[arg(long)]
    message: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
    #[command(flatten)]
    server: Server,
}

/// `hearth secret`.
#[derive(clap::Args, Debug)]
pub(crate) struct SecretArgs {
    #[command(subcommand)]
    command: SecretCommand,
}

#[derive(clap::Subcommand, Debug)]
enum SecretCommand {
    /// Set a secret; its value is read from stdin.
    Put {
        /// The secret's name on `env`.
        key: String,
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        server: Server,
    },
    /// List the secrets' names.
    List {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        server: Server,
    },
    /// Delete a secret.
    Delete {
        /// The secret's name.
        key: String,
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        server: Server,
    },
}

impl Server {
    /// GETs `path` of the admin API and prints it: as JSON with `--json`,
    /// else with `print`.
    fn show<T: serde::de::DeserializeOwned + serde::Serialize>(
        &self,
        path: &str,
        json: bool,
        print: impl Fn(&T),
    ) -> Result<()> {
        let value: T = self.call(http::Method::GET, path, None)?;
        if json {
            return print_json(&value);
        }
        print(&value);
        Ok(())
    }

    /// [`Server::show`] for a list, its items apart.
    fn show_list<T: serde::de::DeserializeOwned + serde::Serialize>(
        &self,
        path: &str,
        json: bool,
        print: fn(&T),
    ) -> Result<()> {
        self.show(path, json, |list: &Vec<T>| {
            for item in list {
                print(item);
                println!();
            }
        })
    }

    /// Sends a request to the admin API and decodes its JSON answer; an
    /// error answer becomes an error with the server's message.
    fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: http::Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T> {
        let url = format!("{}{path}", self.server.trim_end_matches('/'));
        let uri: http::Uri = url
            .parse()
            .with_context(|| format!("--server {}: not a URL", self.server))?;
        if uri.scheme_str() != Some("http") {
            bail!(
                "--server {}: only http:// servers are supported",
                self.server
            );
        }
        let request = http::Request::builder()
            .method(method)
            .uri(uri)
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(bytes::Bytes::from(body.unwrap_or_default())))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (status, bytes) = rt.block_on(async {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<Full<bytes::Bytes>>();
            let response = client
                .request(request)
                .await
                .with_context(|| format!("cannot reach the hearth server at {}", self.server))?;
            let status = response.status();
            let bytes = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, bytes))
        })?;
        if !status.is_success() {
            let message = serde_json::from_slice::<ApiError>(&bytes)
                .map(|e| e.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
            bail!("the server refused ({status}): {message}");
        }
        serde_json::from_slice(&bytes).context("the server's answer is not what hearth expects")
    }
}

/// Uploads the project as a new version (deploying it at 100% with `deploy`).
fn upload(
    project: &Project,
    server: &Server,
    tag: Option<String>,
    message: Option<String>,
    deploy: bool,
) -> Result<UploadAnswer> {
    let args = ProjectArgs {
        dir: project.dir.clone(),
        script: None,
        config: project.config.clone(),
        env: project.env.clone(),
        vars: Vec::new(),
    };
    let configs = vec![load_config(&args, true)?];
    crate::dev::run_builds(&configs)?;
    let config = &configs[0];
    let relative = config
        .path
        .file_name()
        .ok_or_else(|| anyhow!("{}: not a file", config.path.display()))?
        .to_string_lossy()
        .into_owned();
    let files = hearth_platform::bundle::collect(&config.root)
        .with_context(|| format!("cannot read the project in {}", config.root.display()))?;
    let body = serde_json::to_vec(&UploadRequest {
        config: relative,
        env: project.env.clone(),
        tag,
        message,
        files,
        deploy,
    })?;
    server.call(http::Method::POST, "/api/versions", Some(body))
}

/// Asks before a change unless `--yes` or not at a terminal.
fn confirm(question: &str, yes: bool) -> Result<()> {
    if yes || !std::io::stdin().is_terminal() {
        return Ok(());
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    if matches!(line.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        bail!("cancelled")
    }
}

fn print_deployment(d: &Deployment) {
    println!("Deployment ID: {}", d.id);
    println!("Created:       {}", d.created_on);
    if let Some(m) = &d.message {
        println!("Message:       {m}");
    }
    for v in &d.versions {
        println!("  {:>6}% {}", v.percentage, v.version_id);
    }
}

fn print_version(v: &Version) {
    println!("Version ID: {}", v.id);
    println!("Number:     {}", v.number);
    println!("Created:    {}", v.created_on);
    println!("Tag:        {}", v.tag.as_deref().unwrap_or("-"));
    println!("Message:    {}", v.message.as_deref().unwrap_or("-"));
    if !v.routes.is_empty() {
        let routes: Vec<&str> = v.routes.iter().map(|r| r.pattern.as_str()).collect();
        println!("Routes:     {}", routes.join(", "));
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// `<id>@<percent>%` (or a bare id: 100%).
fn parse_split(spec: &str) -> Result<DeploymentVersion> {
    let (id, pct) = match spec.split_once('@') {
        Some((id, pct)) => {
            let pct = pct.trim_end_matches('%');
            let pct: f64 = pct.parse().map_err(|_| {
                anyhow!("`{spec}`: the percentage must be a number, as in <id>@10%")
            })?;
            (id, pct)
        }
        None => (spec, 100.0),
    };
    Ok(DeploymentVersion {
        version_id: id.to_string(),
        percentage: pct,
    })
}

pub(crate) fn deploy(args: DeployArgs) -> Result<()> {
    let answer = upload(&args.project, &args.server, args.tag, args.message, true)?;
    let v = &answer.version;
    println!("Uploaded {} (version {})", v.worker, v.id);
    println!("Deployed {} at 100%", v.worker);
    for route in &v.routes {
        println!("  {}", route.pattern);
    }
    println!("Current Version ID: {}", v.id);
    Ok(())
}

pub(crate) fn versions(args: VersionsArgs) -> Result<()> {
    match args.command {
        VersionsCommand::Upload {
            project,
            tag,
            message,
            server,
        } => {
            let answer = upload(&project, &server, tag, message, false)?;
            println!("Uploaded {}", answer.version.worker);
            println!("Worker Version ID: {}", answer.version.id);
        }
        VersionsCommand::List {
            target,
            json,
            server,
        } => {
            let worker = target.worker()?;
            let path = format!("/api/workers/{worker}/versions");
            server.show_list(&path, json, print_version)?;
        }
        VersionsCommand::View {
            id,
            target,
            json,
            server,
        } => {
            let worker = target.worker()?;
            let path = format!("/api/workers/{worker}/versions/{id}");
            server.show(&path, json, print_version)?;
        }
        VersionsCommand::Deploy {
            versions,
            target,
            message,
            yes,
            no_judge,
            server,
        } => {
            let worker = target.worker()?;
            let versions = versions
                .iter()
                .map(|s| parse_split(s))
                .collect::<Result<Vec<_>>>()?;
            if versions.len() > 1 && !no_judge {
                // Said rather than left silent: the split is served, unjudged.
                eprintln!(
                    "warning: hearth serve does not run the canary judge yet: this split is not \
                     judged and nothing is rolled back automatically (pass --no-judge to silence this)"
                );
            }
            confirm(&format!("Deploy these versions of {worker}?"), yes)?;
            let body = serde_json::to_vec(&DeployRequest { versions, message })?;
            let d: Deployment = server.call(
                http::Method::POST,
                &format!("/api/workers/{worker}/deployments"),
                Some(body),
            )?;
            println!("Deployed {worker}");
            print_deployment(&d);
        }
    }
    Ok(())
}

pub(crate) fn deployments(args: DeploymentsArgs) -> Result<()> {
    match args.command {
        DeploymentsCommand::List {
            target,
            json,
            server,
        } => {
            let worker = target.worker()?;
            let path = format!("/api/workers/{worker}/deployments");
            server.show_list(&path, json, print_deployment)?;
        }
        DeploymentsCommand::Status {
            target,
            json,
            server,
        } => {
            let worker = target.worker()?;
            let path = format!("/api/workers/{worker}/deployments/current");
            server.show(&path, json, print_deployment)?;
        }
    }
    Ok(())
}

pub(crate) fn rollback(args: RollbackArgs) -> Result<()> {
    let worker = args.target.worker()?;
    let what = args.id.as_deref().unwrap_or("the previous version");
    confirm(&format!("Roll {worker} back to {what}?"), args.yes)?;
    let body = serde_json::to_vec(&RollbackRequest {
        version_id: args.id,
        message: args.message,
    })?;
    let d: Deployment = args.server.call(
        http::Method::POST,
        &format!("/api/workers/{worker}/rollback"),
        Some(body),
    )?;
    println!("Rolled back {worker}");
    print_deployment(&d);
    Ok(())
}

pub(crate) fn secret(args: SecretArgs) -> Result<()> {
    match args.command {
        SecretCommand::Put {
            key,
            target,
            server,
        } => {
            let worker = target.worker()?;
            if std::io::stdin().is_terminal() {
                eprint!("Enter a secret value: ");
            }
            let mut value = String::new();
            std::io::stdin().read_to_string(&mut value)?;
            // A value piped with `echo` ends with one newline that is not part of it.
            let value = value
                .strip_suffix('\n')
                .map(|v| v.strip_suffix('\r').unwrap_or(v))
                .unwrap_or(&value)
                .to_string();
            let body = serde_json::to_vec(&SecretValue { value })?;
            let _: serde_json::Value = server.call(
                http::Method::PUT,
                &format!("/api/workers/{worker}/secrets/{key}"),
                Some(body),
            )?;
            println!("Secret {key} of {worker} set");
        }
        SecretCommand::List { target, server } => {
            let worker = target.worker()?;
            let list: Vec<SecretName> = server.call(
                http::Method::GET,
                &format!("/api/workers/{worker}/secrets"),
                None,
            )?;
            print_json(&list)?;
        }
        SecretCommand::Delete {
            key,
            target,
            server,
        } => {
            let worker = target.worker()?;
            let _: serde_json::Value = server.call(
                http::Method::DELETE,
                &format!("/api/workers/{worker}/secrets/{key}"),
                None,
            )?;
            println!("Secret {key} of {worker} deleted");
        }
    }
    Ok(())
}
