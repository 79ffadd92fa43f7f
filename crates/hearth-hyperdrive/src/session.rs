//! One Worker connection through the pool: start-up, a lent server
//! connection brought to the client's settings, the relay, and handing the
//! server connection back.

use crate::client::{self, Credentials, Opening};
use crate::pool::Pool;
use crate::relay;
use crate::upstream::ServerConn;
use crate::wire::{self, PgError};
use bytes::BytesMut;
use postgres_protocol::escape::{escape_identifier, escape_literal};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// How long a client may take over start-up and authentication.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Start-up parameters that are about the connection, not session settings.
const NOT_SETTINGS: &[&str] = &["user", "database", "replication", "options"];

/// How a client's start-up ended.
enum Start {
    /// Authenticated, wanting these session settings.
    Session(Vec<(String, String)>),
    /// Refused with this error.
    Refused(PgError),
    /// A cancel request for this key.
    Cancel((i32, i32)),
}

/// Start-up and authentication; `None` when the client went away.
async fn start(client: &mut TcpStream, credentials: &Credentials) -> Option<Start> {
    let (minor, params) = match client::open(client).await.ok().flatten()? {
        Opening::Startup { minor, params } => (minor, params),
        Opening::Cancel(key) => return Some(Start::Cancel(key)),
    };
    let unsupported: Vec<String> = params
        .iter()
        .filter(|(k, _)| k.starts_with("_pq_."))
        .map(|(k, _)| k.clone())
        .collect();
    if minor > 0 || !unsupported.is_empty() {
        let mut out = BytesMut::new();
        wire::negotiate_protocol_version(&unsupported, &mut out);
        client.write_all(&out).await.ok()?;
    }
    let checked = client::authenticate(client, &params, credentials)
        .await
        .and_then(|()| settings(&params));
    Some(match checked {
        Ok(settings) => Start::Session(settings),
        Err(e) => Start::Refused(e),
    })
}

/// Serves one accepted client connection to the end.
pub(crate) async fn serve(pool: Arc<Pool>, credentials: Arc<Credentials>, mut client: TcpStream) {
    let _ = client.set_nodelay(true);
    let settings =
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, start(&mut client, &credentials)).await {
            Ok(Some(Start::Session(settings))) => settings,
            Ok(Some(Start::Refused(e))) => return client::send_error(&mut client, &e).await,
            Ok(Some(Start::Cancel(key))) => return pool.cancel(key).await,
            Ok(None) | Err(_) => return,
        };
    let mut lease = match pool.acquire().await {
        Ok(lease) => lease,
        Err(e) => return client::send_error(&mut client, &e).await,
    };
    if let Err(e) = apply(&mut lease.conn, &settings).await {
        let e = PgError {
            severity: "FATAL",
            ..e
        };
        client::send_error(&mut client, &e).await;
        return pool.release(lease, true).await;
    }
    let client_key: (i32, i32) = (rand::random::<i32>() & i32::MAX, rand::random());
    let mut out = BytesMut::new();
    wire::authentication(0, &mut out);
    for (name, value) in &lease.conn.params {
        wire::parameter_status(name, value, &mut out);
    }
    wire::backend_key_data(client_key.0, client_key.1, &mut out);
    wire::ready_for_query(lease.conn.status, &mut out);
    if client.write_all(&out).await.is_err() {
        return pool.release(lease, true).await;
    }
    pool.register_cancel(client_key, lease.conn.key);
    let clean = relay::relay(&mut client, &mut lease.conn).await;
    pool.forget_cancel(client_key);
    pool.release(lease, clean).await;
}

/// The session settings a client asked for in its start-up message
/// (`application_name`, `client_encoding`, `-c name=value` in `options`).
fn settings(params: &[(String, String)]) -> Result<Vec<(String, String)>, PgError> {
    let mut out: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| !NOT_SETTINGS.contains(&k.as_str()) && !k.starts_with("_pq_."))
        .cloned()
        .collect();
    if let Some((_, options)) = params.iter().find(|(k, _)| k == "options") {
        out.extend(parse_options(options)?);
    }
    Ok(out)
}

/// Splits libpq's `options` (`-c name=value --name=value`, backslash escapes).
fn parse_options(options: &str) -> Result<Vec<(String, String)>, PgError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = Vec::new();
    let mut words = words.into_iter();
    while let Some(w) = words.next() {
        let setting = if w == "-c" {
            words.next().unwrap_or_default()
        } else if let Some(rest) = w.strip_prefix("-c").or_else(|| w.strip_prefix("--")) {
            rest.to_string()
        } else {
            String::new()
        };
        match setting.split_once('=') {
            Some((name, value)) if !name.is_empty() => {
                out.push((name.replace('-', "_"), value.to_string()))
            }
            _ => {
                return Err(PgError::fatal(
                    "08P01",
                    format!(
                        "options \"{options}\": hearth's Hyperdrive pool understands only \
                         -c name=value settings"
                    ),
                ))
            }
        }
    }
    Ok(out)
}

/// Brings the lent session to the client's settings with one `SET` batch,
/// skipping those the server already reports with the same value.
async fn apply(conn: &mut ServerConn, settings: &[(String, String)]) -> Result<(), PgError> {
    let sql: String = settings
        .iter()
        .filter(|(name, value)| conn.params.get(name) != Some(value))
        .map(|(name, value)| {
            format!(
                "SET {} = {};",
                escape_identifier(name),
                escape_literal(value)
            )
        })
        .collect();
    if sql.is_empty() {
        return Ok(());
    }
    conn.execute(&sql).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_become_settings() {
        let parsed =
            parse_options("-c search_path=app\\ x --statement-timeout=5s -cwork_mem=4MB").unwrap();
        assert_eq!(
            parsed,
            [
                ("search_path".into(), "app x".into()),
                ("statement_timeout".into(), "5s".into()),
                ("work_mem".into(), "4MB".into()),
            ]
        );
        assert!(parse_options("-d 5").is_err());
    }
}
