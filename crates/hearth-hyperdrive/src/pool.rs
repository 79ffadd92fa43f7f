//! The pool of server connections behind one binding: at most `limit` of
//! them exist at once, clients that find all busy wait in line (first come,
//! first served), and a connection goes back to the pool only after it has
//! been reset to a fresh session.

use crate::origin::Origin;
use crate::upstream::ServerConn;
use crate::wire::PgError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a client waits for a free connection before it gets an error.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// How long resetting a returned connection may take before it is closed instead.
const RESET_TIMEOUT: Duration = Duration::from_secs(5);

/// Server connections to one origin.
pub(crate) struct Pool {
    pub(crate) origin: Origin,
    limit: usize,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<ServerConn>>,
    /// Cancel keys handed to clients → the real keys of their server processes.
    cancel_keys: Mutex<HashMap<(i32, i32), (i32, i32)>>,
}

/// A server connection lent to one client; its permit keeps its place in
/// the limit until it is back in the pool or closed.
pub(crate) struct Lease {
    pub(crate) conn: ServerConn,
    permit: OwnedSemaphorePermit,
}

impl Pool {
    /// A pool that opens at most `limit` connections to `origin`.
    pub(crate) fn new(origin: Origin, limit: usize) -> Pool {
        Pool {
            origin,
            limit,
            permits: Arc::new(Semaphore::new(limit)),
            idle: Mutex::new(Vec::new()),
            cancel_keys: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a permit, then takes an idle connection that is still alive
    /// or opens a new one.
    pub(crate) async fn acquire(&self) -> Result<Lease, PgError> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| {
                PgError::fatal(
                    "53300",
                    format!(
                        "all {} connections of hearth's Hyperdrive pool to {} stayed busy for {} s",
                        self.limit,
                        self.origin,
                        ACQUIRE_TIMEOUT.as_secs()
                    ),
                )
            })?
            .expect("the pool's semaphore is never closed");
        loop {
            let candidate = self.idle.lock().expect("pool lock poisoned").pop();
            let Some(mut conn) = candidate else { break };
            if conn.alive() {
                return Ok(Lease { conn, permit });
            }
            tracing::debug!("dropping a dead pooled connection to {}", self.origin);
        }
        let conn = ServerConn::connect(&self.origin).await.map_err(|e| {
            tracing::warn!("Hyperdrive pool cannot connect to {}: {e}", self.origin);
            e.context("hearth's Hyperdrive pool could not connect to the database")
        })?;
        Ok(Lease { conn, permit })
    }

    /// Takes a connection back. `clean` says the client left it between
    /// requests; anything else (a half-sent message, a query still running)
    /// closes it. A clean one is rolled back if in a transaction and reset
    /// with `DISCARD ALL` before anyone else gets it.
    pub(crate) async fn release(&self, lease: Lease, clean: bool) {
        let Lease { mut conn, permit } = lease;
        if clean {
            match tokio::time::timeout(RESET_TIMEOUT, reset(&mut conn)).await {
                Ok(Ok(())) => {
                    self.idle.lock().expect("pool lock poisoned").push(conn);
                    drop(permit);
                    return;
                }
                Ok(Err(e)) => tracing::debug!("closing a pooled connection: reset failed: {e}"),
                Err(_) => tracing::debug!("closing a pooled connection: reset timed out"),
            }
        }
        let _ = conn.stream.shutdown().await;
        drop(permit);
    }

    /// Remembers which server process a client's cancel key stands for.
    pub(crate) fn register_cancel(&self, client_key: (i32, i32), server_key: (i32, i32)) {
        self.cancel_keys
            .lock()
            .expect("pool lock poisoned")
            .insert(client_key, server_key);
    }

    /// Forgets a client's cancel key (its connection has gone back).
    pub(crate) fn forget_cancel(&self, client_key: (i32, i32)) {
        self.cancel_keys
            .lock()
            .expect("pool lock poisoned")
            .remove(&client_key);
    }

    /// Forwards a CancelRequest to the server process the client is using.
    pub(crate) async fn cancel(&self, client_key: (i32, i32)) {
        let server_key = self
            .cancel_keys
            .lock()
            .expect("pool lock poisoned")
            .get(&client_key)
            .copied();
        let Some((pid, secret)) = server_key else {
            return;
        };
        let mut out = bytes::BytesMut::new();
        postgres_protocol::message::frontend::cancel_request(pid, secret, &mut out);
        let target = (self.origin.host.as_str(), self.origin.port);
        if let Ok(mut stream) = tokio::net::TcpStream::connect(target).await {
            let _ = stream.write_all(&out).await;
        }
    }
}

/// Ends any transaction and drops all session state (prepared statements,
/// settings, temporary tables, advisory locks, LISTENs).
async fn reset(conn: &mut ServerConn) -> Result<(), PgError> {
    if conn.status != b'I' {
        conn.execute("ROLLBACK").await?;
    }
    conn.execute("DISCARD ALL").await?;
    if conn.status == b'I' {
        Ok(())
    } else {
        Err(PgError::fatal(
            "25000",
            "the connection is still in a transaction after the reset",
        ))
    }
}
