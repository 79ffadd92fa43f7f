//! Hyperdrive for hearth: the connection pooling service behind
//! `[[hyperdrive]]` bindings.
//!
//! Each binding gets a PostgreSQL-protocol pool listening on a loopback
//! port. Workers connect to it with their usual driver (`pg`, `postgres`)
//! using the binding's `connectionString`; the pool authenticates them
//! against credentials it made up for the binding, lends each a server
//! connection it already opened and authenticated to the real database, and
//! takes it back when the Worker disconnects (session pooling: the
//! connection is rolled back and `DISCARD ALL`-reset before reuse, or closed
//! when the client left mid-request). Many short-lived Worker connections so
//! share a few database connections.
//!
//! The pools run on one background thread of their own.

mod client;
mod framer;
#[doc(hidden)]
pub mod fuzzing;
mod origin;
mod pool;
mod relay;
mod session;
mod upstream;
mod wire;

pub use wire::PgError;

use client::Credentials;
use pool::Pool;
use rand::Rng;
use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Server connections a pool opens at most when the binding does not set
/// `origin_connection_limit` (Hyperdrive keeps 10 to 20 per region).
pub const DEFAULT_ORIGIN_CONNECTION_LIMIT: usize = 20;

/// How a Worker reaches a binding's pool: the values of `env.BINDING`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Always `127.0.0.1`.
    pub host: String,
    /// The pool's port.
    pub port: u16,
    /// The origin database's user.
    pub user: String,
    /// A password made up for this pool (not the database's).
    pub password: String,
    /// The origin database's name.
    pub database: String,
}

impl Endpoint {
    /// `postgresql://user:password@127.0.0.1:port/database`, percent-encoded.
    pub fn connection_string(&self) -> String {
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        format!(
            "postgresql://{}:{}@{}:{}/{}",
            utf8_percent_encode(&self.user, NON_ALPHANUMERIC),
            utf8_percent_encode(&self.password, NON_ALPHANUMERIC),
            self.host,
            self.port,
            utf8_percent_encode(&self.database, NON_ALPHANUMERIC),
        )
    }
}

/// Why a pool could not be started.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The connection string is not one the pool can use.
    #[error("{0}")]
    Origin(String),
    /// The loopback listener could not be bound.
    #[error("cannot listen on 127.0.0.1 for the Hyperdrive pool: {0}")]
    Bind(io::Error),
}

/// A running pool and what it was started from.
struct Running {
    connection_string: String,
    limit: usize,
    endpoint: Endpoint,
    stop: watch::Sender<bool>,
}

/// The pools of a hearth process, one per worker and binding.
pub struct Hyperdrive {
    runtime: tokio::runtime::Runtime,
    pools: Mutex<HashMap<String, Running>>,
}

impl Hyperdrive {
    /// Starts the background thread the pools run on.
    pub fn start() -> io::Result<Hyperdrive> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("hearth-hyperdrive")
            .enable_all()
            .build()?;
        Ok(Hyperdrive {
            runtime,
            pools: Mutex::new(HashMap::new()),
        })
    }

    /// The pool called `name` (unique per worker and binding, shown in
    /// logs), started on first use. Asking again with the same connection
    /// string and limit (a reload) keeps the running pool and its
    /// connections; a changed one replaces it (sessions already open finish
    /// on the old pool).
    pub fn pool(
        &self,
        name: &str,
        connection_string: &str,
        limit: Option<usize>,
    ) -> Result<Endpoint, Error> {
        let limit = limit.unwrap_or(DEFAULT_ORIGIN_CONNECTION_LIMIT).max(1);
        let mut pools = self.pools.lock().expect("pool registry poisoned");
        if let Some(running) = pools.get(name) {
            if running.connection_string == connection_string && running.limit == limit {
                return Ok(running.endpoint.clone());
            }
        }
        let origin = origin::parse(connection_string).map_err(Error::Origin)?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(Error::Bind)?;
        listener.set_nonblocking(true).map_err(Error::Bind)?;
        let port = listener.local_addr().map_err(Error::Bind)?.port();
        let password: String = rand::thread_rng()
            .sample_iter(rand::distributions::Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        let endpoint = Endpoint {
            host: "127.0.0.1".to_string(),
            port,
            user: origin.user.clone(),
            password: password.clone(),
            database: origin.database.clone(),
        };
        let credentials = Arc::new(Credentials {
            user: origin.user.clone(),
            password,
            database: origin.database.clone(),
        });
        tracing::info!(
            "Hyperdrive binding {name}: pool on 127.0.0.1:{port} for {origin} (up to {limit} connections)"
        );
        let pool = Arc::new(Pool::new(origin, limit));
        let (stop, stopped) = watch::channel(false);
        let _guard = self.runtime.enter();
        let listener = tokio::net::TcpListener::from_std(listener).map_err(Error::Bind)?;
        self.runtime
            .spawn(accept(listener, pool, credentials, stopped));
        if let Some(old) = pools.insert(
            name.to_string(),
            Running {
                connection_string: connection_string.to_string(),
                limit,
                endpoint: endpoint.clone(),
                stop,
            },
        ) {
            let _ = old.stop.send(true);
        }
        Ok(endpoint)
    }
}

/// Accepts Worker connections until the pool is replaced.
async fn accept(
    listener: tokio::net::TcpListener,
    pool: Arc<Pool>,
    credentials: Arc<Credentials>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(session::serve(pool.clone(), credentials.clone(), stream));
                }
                Err(e) => {
                    tracing::warn!("Hyperdrive pool for {}: accept failed: {e}", pool.origin);
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            _ = stopped.changed() => return,
        }
    }
}
