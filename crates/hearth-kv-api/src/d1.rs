//! D1's v4 REST endpoints, served beside KV's on the API port, so tools
//! such as drizzle-kit's `d1-http` driver work against local databases:
//!
//! | method | path | body | result |
//! |---|---|---|---|
//! | POST | `/accounts/:a/d1/database/:id/query` | `{sql, params?}` or `{batch: [{sql, params?}]}` | `[{results: [{col: v}], success, meta}]` |
//! | POST | `/accounts/:a/d1/database/:id/raw` | the same | `[{results: {columns, rows}, success, meta}]` |
//!
//! `:id` is a `database_id` (or `database_name`) from the configuration.
//! Without parameters, `sql` may hold several statements (one result each),
//! all in one transaction; a failure answers 400 with D1's error code 7500.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use hearth_d1::{D1Database, D1Error, Query, QueryResult, Value as SqlValue};
use serde_json::{json, Value};

/// The databases the API serves, by every id they may be addressed with.
#[derive(Clone, Default)]
pub struct D1Databases(Arc<Vec<(Vec<String>, D1Database)>>);

impl D1Databases {
    /// `(ids, database)` pairs: a database answers to each of its ids.
    pub fn new(databases: Vec<(Vec<String>, D1Database)>) -> D1Databases {
        D1Databases(Arc::new(databases))
    }

    fn find(&self, id: &str) -> Option<&D1Database> {
        self.0
            .iter()
            .find(|(ids, _)| ids.iter().any(|i| i == id))
            .map(|(_, db)| db)
    }
}

/// The D1 routes (without authentication: [`crate::rest::router`] adds it).
pub(crate) fn routes(databases: D1Databases) -> Router {
    let mut routes = Router::new();
    for base in [
        "/client/v4/accounts/{account}/d1/database/{id}",
        "/accounts/{account}/d1/database/{id}",
    ] {
        routes = routes
            .route(&format!("{base}/query"), post(query))
            .route(&format!("{base}/raw"), post(raw));
    }
    routes.with_state(databases)
}

fn envelope(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn failure(status: StatusCode, code: u32, message: &str) -> Response {
    envelope(
        status,
        json!({"result": [], "success": false, "errors": [{"code": code, "message": message}], "messages": []}),
    )
}

async fn query(
    State(dbs): State<D1Databases>,
    Path((_account, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    answer(&dbs, &id, &body, QueryResult::to_json).await
}

async fn raw(
    State(dbs): State<D1Databases>,
    Path((_account, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    answer(&dbs, &id, &body, |r| {
        let rows: Vec<Value> = r
            .rows
            .iter()
            .map(|row| row.iter().map(SqlValue::to_json).collect())
            .collect();
        json!({"results": {"columns": r.columns, "rows": rows}, "success": true, "meta": r.meta.to_json()})
    })
    .await
}

async fn answer(
    dbs: &D1Databases,
    id: &str,
    body: &[u8],
    shape: fn(&QueryResult) -> Value,
) -> Response {
    let Some(db) = dbs.find(id).cloned() else {
        return failure(
            StatusCode::NOT_FOUND,
            7404,
            &format!("The database {id} could not be found"),
        );
    };
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return failure(
                StatusCode::BAD_REQUEST,
                7400,
                &format!("invalid JSON body: {e}"),
            )
        }
    };
    let queries = match parse(&request) {
        Ok(q) => q,
        Err(e) => return failure(StatusCode::BAD_REQUEST, 7400, &e),
    };
    // SQLite work (and its fsync) off the async threads.
    let outcome = tokio::task::spawn_blocking(move || run(&db, &queries)).await;
    match outcome {
        Ok(Ok(results)) => envelope(
            StatusCode::OK,
            json!({"result": results.iter().map(shape).collect::<Vec<_>>(), "success": true, "errors": [], "messages": []}),
        ),
        Ok(Err(e)) => failure(StatusCode::BAD_REQUEST, 7500, &e.to_string()),
        Err(e) => failure(StatusCode::INTERNAL_SERVER_ERROR, 7500, &e.to_string()),
    }
}

/// `{sql, params}` or `{batch: [{sql, params}]}`.
fn parse(request: &Value) -> Result<Vec<Query>, String> {
    let one = |q: &Value| -> Result<Query, String> {
        let sql = q
            .get("sql")
            .and_then(Value::as_str)
            .ok_or("each query needs `sql`, a string")?
            .to_string();
        let params = match q.get("params") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(SqlValue::from_json)
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("`params` must be an array".into()),
        };
        Ok(Query { sql, params })
    };
    match request.get("batch") {
        Some(Value::Array(items)) => items.iter().map(one).collect(),
        Some(_) => Err("`batch` must be an array of {sql, params}".into()),
        None => Ok(vec![one(request)?]),
    }
}

fn run(db: &D1Database, queries: &[Query]) -> Result<Vec<QueryResult>, D1Error> {
    // A lone query without parameters may hold several statements: one result each.
    if let [q] = queries {
        if q.params.is_empty() {
            return db.script(&q.sql, |_| Ok(()));
        }
    }
    db.query(queries)
}
