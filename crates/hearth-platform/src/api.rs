//! The admin API's request and answer bodies (JSON), shared by `hearth
//! serve` and the `hearth` client commands.

use serde::{Deserialize, Serialize};

/// One immutable version of a worker.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Version {
    /// Its id, a UUID.
    pub id: String,
    /// The worker it belongs to.
    pub worker: String,
    /// 1 for the worker's first upload, then counting up.
    pub number: u64,
    /// When it was uploaded (RFC 3339).
    pub created_on: String,
    /// `--tag`.
    pub tag: Option<String>,
    /// `--message`.
    pub message: Option<String>,
    /// The configuration file inside the bundle (relative path).
    pub config: String,
    /// The `[env.NAME]` it was uploaded for.
    pub env: Option<String>,
    /// The routes its configuration claims.
    pub routes: Vec<Route>,
}

/// A route a version claims.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Route {
    /// The pattern as written (`example.com/api/*`).
    pub pattern: String,
    /// `custom_domain = true`.
    #[serde(default)]
    pub custom_domain: bool,
}

/// One version's share of a deployment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeploymentVersion {
    /// The version's id.
    pub version_id: String,
    /// Its share of requests, in percent.
    pub percentage: f64,
}

/// Which versions serve a worker, and how much of its traffic each gets.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Deployment {
    /// Its id, a UUID.
    pub id: String,
    /// The worker.
    pub worker: String,
    /// When it was made (RFC 3339).
    pub created_on: String,
    /// `--message`, or what made it (`Rollback`, `Secret change`).
    pub message: Option<String>,
    /// One or two versions, percentages summing to 100.
    pub versions: Vec<DeploymentVersion>,
}

/// A file of an uploaded project.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BundleFile {
    /// Relative path with `/` separators.
    pub path: String,
    /// Contents, base64.
    pub data: String,
}

/// `POST /api/versions`: a new version from a project's files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadRequest {
    /// The configuration file among `files` (relative path).
    pub config: String,
    /// The `[env.NAME]` to use.
    pub env: Option<String>,
    /// `--tag`.
    pub tag: Option<String>,
    /// `--message`.
    pub message: Option<String>,
    /// The project's files.
    pub files: Vec<BundleFile>,
    /// Deploy it at 100% at once (`hearth deploy`).
    #[serde(default)]
    pub deploy: bool,
}

/// The answer to an upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadAnswer {
    /// The new version.
    pub version: Version,
    /// The deployment made, with `deploy`.
    pub deployment: Option<Deployment>,
}

/// `POST /api/workers/NAME/deployments`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeployRequest {
    /// One or two versions, percentages summing to 100.
    pub versions: Vec<DeploymentVersion>,
    /// `--message`.
    pub message: Option<String>,
}

/// `POST /api/workers/NAME/rollback`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RollbackRequest {
    /// The version to go back to; `None`: the one deployed before the
    /// current deployment.
    pub version_id: Option<String>,
    /// `--message`.
    pub message: Option<String>,
}

/// `PUT /api/workers/NAME/secrets/SECRET`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretValue {
    /// The secret's text.
    pub value: String,
}

/// A secret as listed: its name only.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SecretName {
    /// The secret's name.
    pub name: String,
    /// Always `secret_text`, as wrangler lists them.
    #[serde(rename = "type")]
    pub kind: String,
}

/// An error answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiError {
    /// What went wrong.
    pub error: String,
}
