//! The admin API of `hearth serve` (axum, on `--admin-port`): uploads,
//! versions, deployments, rollbacks and secrets, behind bearer tokens.
//! Deploy tokens may do everything; read-only tokens may only look.

use super::platform::Platform;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use hearth_platform::api::{
    ApiError, BundleFile, DeployRequest, Deployment, DeploymentVersion, RollbackRequest,
    SecretName, SecretValue, UploadAnswer, UploadRequest, Version,
};
use hearth_platform::{bundle, PlatformError};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Largest upload: a project's files, base64 in JSON.
const MAX_UPLOAD: usize = 200 * 1024 * 1024;

/// Who may call the API.
pub(crate) struct Tokens {
    /// May deploy (and read).
    pub(crate) deploy: String,
    /// May only read, when set.
    pub(crate) read: Option<String>,
}

/// What a request's token allows.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Access {
    Deploy,
    Read,
}

impl Tokens {
    /// The access `given` grants: tokens are compared as SHA-256 digests in
    /// constant time, so neither their contents nor their lengths leak
    /// through timing.
    fn access(&self, given: &str) -> Option<Access> {
        let digest = |t: &str| Sha256::digest(t.as_bytes());
        let given = digest(given);
        let deploy: bool = given.ct_eq(&digest(&self.deploy)).into();
        let read: bool = self
            .read
            .as_deref()
            .is_some_and(|r| given.ct_eq(&digest(r)).into());
        if deploy {
            Some(Access::Deploy)
        } else if read {
            Some(Access::Read)
        } else {
            None
        }
    }
}

struct AppState {
    platform: Arc<Platform>,
    tokens: Tokens,
}

type Shared = State<Arc<AppState>>;

/// The API's routes.
pub(crate) fn router(platform: Arc<Platform>, tokens: Tokens) -> Router {
    let state = Arc::new(AppState { platform, tokens });
    Router::new()
        .route("/api/workers", get(workers))
        .route("/api/versions", post(upload))
        .route("/api/workers/{name}/versions", get(versions))
        .route("/api/workers/{name}/versions/{id}", get(version))
        .route(
            "/api/workers/{name}/deployments",
            get(deployments).post(deploy),
        )
        .route("/api/workers/{name}/deployments/current", get(current))
        .route("/api/workers/{name}/rollback", post(rollback))
        .route("/api/workers/{name}/secrets", get(secrets))
        .route(
            "/api/workers/{name}/secrets/{secret}",
            put(put_secret).delete(delete_secret),
        )
        .layer(middleware::from_fn_with_state(state.clone(), authorize))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
        .with_state(state)
}

/// Refuses requests without a valid token, and changes without a deploy
/// token.
async fn authorize(State(state): Shared, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let access = token.and_then(|t| state.tokens.access(t.trim()));
    match access {
        None => error(
            StatusCode::UNAUTHORIZED,
            "missing or invalid token: send `Authorization: Bearer <token>` (hearth's \
             --token or HEARTH_TOKEN)",
        ),
        Some(Access::Read) if request.method() != Method::GET => error(
            StatusCode::FORBIDDEN,
            "this token is read-only: it may list and view, not deploy or change secrets",
        ),
        Some(_) => next.run(request).await,
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    json(
        status,
        &ApiError {
            error: message.into(),
        },
    )
}

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).expect("plain data serializes");
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(body),
    )
        .into_response()
}

/// An error answer on its way out of a helper (boxed: a `Response` is large).
type Refusal = Box<Response>;

fn refusal(status: StatusCode, message: impl Into<String>) -> Refusal {
    Box::new(error(status, message))
}

fn failure(e: PlatformError) -> Refusal {
    Box::new(failed(e))
}

fn failed(e: PlatformError) -> Response {
    let status = match e {
        PlatformError::Invalid(_) => StatusCode::BAD_REQUEST,
        PlatformError::NotFound(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, e.to_string())
}

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(body)
        .map_err(|e| refusal(StatusCode::BAD_REQUEST, format!("bad request body: {e}")))
}

/// Runs blocking work (loading workers, the store) off the API's thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(refusal(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())))
}

fn answer<T: serde::Serialize>(result: Result<T, Refusal>) -> Response {
    match result {
        Ok(value) => json(StatusCode::OK, &value),
        Err(response) => *response,
    }
}

async fn workers(State(state): Shared) -> Response {
    answer(
        state
            .platform
            .control
            .current_deployments()
            .map_err(failure),
    )
}

/// Stores a new version: unpacks the files into its folder, loads its
/// configuration and starts it once; any error refuses the upload whole
/// (the folder is removed) and the error names the file and line.
async fn upload(State(state): Shared, body: Bytes) -> Response {
    let request: UploadRequest = match parse(&body) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let platform = state.platform.clone();
    let _deploying = platform.deploying.lock().await;
    let stored = {
        let platform = platform.clone();
        blocking(move || store_version(&platform, request)).await
    };
    let (version, deploy) = match stored {
        Ok(stored) => stored,
        Err(response) => return *response,
    };
    let deployment = if deploy {
        let versions = vec![DeploymentVersion {
            version_id: version.id.clone(),
            percentage: 100.0,
        }];
        match make_deployment(&platform, version.worker.clone(), versions, None).await {
            Ok(d) => Some(d),
            Err(response) => return *response,
        }
    } else {
        None
    };
    json(
        StatusCode::OK,
        &UploadAnswer {
            version,
            deployment,
        },
    )
}

fn store_version(platform: &Platform, request: UploadRequest) -> Result<(Version, bool), Refusal> {
    let id = hearth_platform::new_id();
    let dir = platform.data.version(&id);
    let refuse = |message: String| {
        let _ = std::fs::remove_dir_all(&dir);
        refusal(StatusCode::BAD_REQUEST, message)
    };
    unpack(&request.files, &dir).map_err(|e| refuse(e.to_string()))?;
    let config = hearth_config::load(&dir.join(&request.config), request.env.as_deref())
        .map_err(|e| refuse(shown(&e.to_string(), &dir)))?;
    let version = Version {
        id,
        worker: config.name.clone(),
        number: 0,
        created_on: hearth_platform::now(),
        tag: request.tag,
        message: request.message,
        config: request.config,
        env: request.env,
        routes: config
            .routes
            .iter()
            .map(|r| hearth_platform::api::Route {
                pattern: r.pattern.clone(),
                custom_domain: r.custom_domain,
            })
            .collect(),
    };
    let worker = platform
        .load(&version)
        .map_err(|e| refuse(shown(&format!("{e:#}"), &dir)))?;
    hearth_server::check_worker_starts(&worker).map_err(|e| refuse(shown(&e.to_string(), &dir)))?;
    let version = platform.control.add_version(version).map_err(failure)?;
    Ok((version, request.deploy))
}

fn unpack(files: &[BundleFile], dir: &std::path::Path) -> Result<(), PlatformError> {
    std::fs::create_dir_all(dir)?;
    bundle::unpack(files, dir)
}

/// An error about the bundle with its folder taken out of paths, so it
/// names the files as the project has them.
fn shown(message: &str, dir: &std::path::Path) -> String {
    message.replace(&format!("{}/", dir.display()), "")
}

/// Loads the versions first (a version that cannot load is refused), then
/// records the deployment and swaps it in.
async fn make_deployment(
    platform: &Arc<Platform>,
    worker: String,
    versions: Vec<DeploymentVersion>,
    message: Option<String>,
) -> Result<Deployment, Refusal> {
    let platform = platform.clone();
    blocking(move || {
        for v in &versions {
            platform
                .ensure_loaded(&worker, &v.version_id)
                .map_err(|e| refusal(StatusCode::BAD_REQUEST, format!("{e:#}")))?;
        }
        let deployment = platform
            .control
            .deploy(&worker, versions, message)
            .map_err(failure)?;
        platform
            .refresh()
            .map_err(|e| refusal(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
        tracing::info!(
            "deployed {worker}: {}",
            deployment
                .versions
                .iter()
                .map(|v| format!("{}@{}%", v.version_id, v.percentage))
                .collect::<Vec<_>>()
                .join(" ")
        );
        Ok(deployment)
    })
    .await
}

async fn versions(State(state): Shared, Path(name): Path<String>) -> Response {
    answer(state.platform.control.versions(&name).map_err(failure))
}

async fn version(State(state): Shared, Path((name, id)): Path<(String, String)>) -> Response {
    match state.platform.control.version(&name, &id) {
        Ok(Some(v)) => json(StatusCode::OK, &v),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            format!("worker `{name}` has no version {id}"),
        ),
        Err(e) => failed(e),
    }
}

async fn deployments(State(state): Shared, Path(name): Path<String>) -> Response {
    answer(state.platform.control.deployments(&name).map_err(failure))
}

async fn current(State(state): Shared, Path(name): Path<String>) -> Response {
    match state.platform.control.deployments(&name) {
        Ok(list) => match list.into_iter().next() {
            Some(d) => json(StatusCode::OK, &d),
            None => error(
                StatusCode::NOT_FOUND,
                format!("worker `{name}` has no deployment"),
            ),
        },
        Err(e) => failed(e),
    }
}

async fn deploy(State(state): Shared, Path(name): Path<String>, body: Bytes) -> Response {
    let request: DeployRequest = match parse(&body) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let _deploying = state.platform.deploying.lock().await;
    answer(make_deployment(&state.platform, name, request.versions, request.message).await)
}

/// Deploys `version_id` at 100%, or else the version that served before
/// the current deployment.
async fn rollback(State(state): Shared, Path(name): Path<String>, body: Bytes) -> Response {
    let request: RollbackRequest = match parse(&body) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    let _deploying = state.platform.deploying.lock().await;
    let target = match request.version_id {
        Some(id) => id,
        None => match previous_version(&state.platform, &name) {
            Ok(id) => id,
            Err(response) => return *response,
        },
    };
    let versions = vec![DeploymentVersion {
        version_id: target,
        percentage: 100.0,
    }];
    let message = request.message.or_else(|| Some("Rollback".to_string()));
    answer(make_deployment(&state.platform, name, versions, message).await)
}

/// The main version (the largest share, the first listed on a tie) of the
/// latest deployment before the current one whose main version differs.
fn previous_version(platform: &Platform, name: &str) -> Result<String, Refusal> {
    let main = |d: &Deployment| {
        d.versions
            .iter()
            .fold(None::<&DeploymentVersion>, |best, v| match best {
                Some(b) if b.percentage >= v.percentage => Some(b),
                _ => Some(v),
            })
            .map(|v| v.version_id.clone())
    };
    let list = platform.control.deployments(name).map_err(failure)?;
    let mut list = list.iter();
    let current = list.next().and_then(main).ok_or_else(|| {
        refusal(
            StatusCode::NOT_FOUND,
            format!("worker `{name}` has no deployment"),
        )
    })?;
    list.filter_map(main)
        .find(|id| *id != current)
        .ok_or_else(|| {
            refusal(
                StatusCode::BAD_REQUEST,
                format!("worker `{name}` has no earlier deployment to roll back to"),
            )
        })
}

async fn secrets(State(state): Shared, Path(name): Path<String>) -> Response {
    answer(
        state
            .platform
            .control
            .secrets(&name)
            .map(|all| {
                all.into_keys()
                    .map(|name| SecretName {
                        name,
                        kind: "secret_text".into(),
                    })
                    .collect::<Vec<_>>()
            })
            .map_err(failure),
    )
}

async fn put_secret(
    State(state): Shared,
    Path((name, secret)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let value: SecretValue = match parse(&body) {
        Ok(v) => v,
        Err(response) => return *response,
    };
    if let Err(e) = state
        .platform
        .control
        .put_secret(&name, &secret, &value.value)
    {
        return failed(e);
    }
    state.platform.unload(&name);
    tracing::info!("secret {secret} of {name} set");
    json(StatusCode::OK, &serde_json::json!({ "name": secret }))
}

async fn delete_secret(
    State(state): Shared,
    Path((name, secret)): Path<(String, String)>,
) -> Response {
    match state.platform.control.delete_secret(&name, &secret) {
        Ok(true) => {
            state.platform.unload(&name);
            tracing::info!("secret {secret} of {name} deleted");
            json(StatusCode::OK, &serde_json::json!({ "name": secret }))
        }
        Ok(false) => error(
            StatusCode::NOT_FOUND,
            format!("worker `{name}` has no secret {secret}"),
        ),
        Err(e) => failed(e),
    }
}
