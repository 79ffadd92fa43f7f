//! One authenticated connection from the pool to the origin database:
//! opening it (trust, cleartext, MD5 or SCRAM-SHA-256), running the pool's
//! own statements on it, and checking it is still alive.

use crate::origin::Origin;
use crate::wire::PgError;
use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256, SCRAM_SHA_256};
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;
use std::collections::BTreeMap;
use std::io;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long opening a connection may take, as Hyperdrive's initial
/// connection timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// An authenticated server connection, ready for a query when idle.
pub(crate) struct ServerConn {
    pub(crate) stream: TcpStream,
    /// Run-time parameters as last reported by ParameterStatus.
    pub(crate) params: BTreeMap<String, String>,
    /// The server process's cancel key (process id, secret).
    pub(crate) key: (i32, i32),
    /// Transaction status of the last ReadyForQuery: `I`, `T` or `E`.
    pub(crate) status: u8,
    buf: BytesMut,
}

/// Reads the next backend message, or fails at end of stream.
async fn next(stream: &mut TcpStream, buf: &mut BytesMut) -> io::Result<Message> {
    loop {
        if let Some(message) = Message::parse(buf)? {
            return Ok(message);
        }
        if stream.read_buf(buf).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the database closed the connection",
            ));
        }
    }
}

fn lost(origin: &Origin, e: io::Error) -> PgError {
    PgError::fatal(
        "08006",
        format!("connection to the database at {origin} failed: {e}"),
    )
}

impl ServerConn {
    /// Connects and authenticates as the origin's user.
    pub(crate) async fn connect(origin: &Origin) -> Result<ServerConn, PgError> {
        match tokio::time::timeout(CONNECT_TIMEOUT, Self::open(origin)).await {
            Ok(result) => result,
            Err(_) => Err(PgError::fatal(
                "08001",
                format!(
                    "connecting to the database at {origin} timed out after {} s",
                    CONNECT_TIMEOUT.as_secs()
                ),
            )),
        }
    }

    async fn open(origin: &Origin) -> Result<ServerConn, PgError> {
        let mut stream = TcpStream::connect((origin.host.as_str(), origin.port))
            .await
            .map_err(|e| lost(origin, e))?;
        let _ = stream.set_nodelay(true);
        let mut out = BytesMut::new();
        frontend::startup_message(
            [
                ("user", origin.user.as_str()),
                ("database", origin.database.as_str()),
                ("client_encoding", "UTF8"),
            ],
            &mut out,
        )
        .map_err(|e| lost(origin, e))?;
        stream.write_all(&out).await.map_err(|e| lost(origin, e))?;
        let mut buf = BytesMut::with_capacity(8 * 1024);
        authenticate(origin, &mut stream, &mut buf).await?;
        let mut conn = ServerConn {
            stream,
            params: BTreeMap::new(),
            key: (0, 0),
            status: b'I',
            buf,
        };
        conn.until_ready()
            .await
            .map_err(|e| e.context(&format!("the database at {origin}")))?;
        Ok(conn)
    }

    /// Reads messages up to ReadyForQuery, keeping parameters and the cancel
    /// key; the first ErrorResponse seen is returned after it.
    async fn until_ready(&mut self) -> Result<(), PgError> {
        let mut failure = None;
        loop {
            let message = next(&mut self.stream, &mut self.buf)
                .await
                .map_err(|e| PgError::fatal("08006", e.to_string()))?;
            match message {
                Message::ReadyForQuery(body) => {
                    self.status = body.status();
                    return failure.map_or(Ok(()), Err);
                }
                Message::ParameterStatus(body) => {
                    if let (Ok(name), Ok(value)) = (body.name(), body.value()) {
                        self.params.insert(name.to_string(), value.to_string());
                    }
                }
                Message::BackendKeyData(body) => self.key = (body.process_id(), body.secret_key()),
                Message::ErrorResponse(body) => {
                    let err = PgError::from_fields(body.fields());
                    if err.severity == "FATAL" {
                        return Err(err);
                    }
                    failure.get_or_insert(err);
                }
                _ => {}
            }
        }
    }

    /// Runs `sql` with the simple query protocol; fails with the first error
    /// it raised.
    pub(crate) async fn execute(&mut self, sql: &str) -> Result<(), PgError> {
        let mut out = BytesMut::new();
        frontend::query(sql, &mut out).map_err(|e| PgError::fatal("08006", e.to_string()))?;
        self.stream
            .write_all(&out)
            .await
            .map_err(|e| PgError::fatal("08006", e.to_string()))?;
        self.until_ready().await
    }

    /// Whether the connection can still be used, taking in what the server
    /// sent while it sat idle (parameter changes, notices). A closed socket
    /// or anything else (such as a FATAL error on shutdown) means no.
    pub(crate) fn alive(&mut self) -> bool {
        loop {
            let mut chunk = [0u8; 4096];
            match self.stream.try_read(&mut chunk) {
                Ok(0) => return false,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => return false,
            }
        }
        loop {
            match Message::parse(&mut self.buf) {
                Ok(None) => return self.buf.is_empty(),
                Ok(Some(Message::ParameterStatus(body))) => {
                    if let (Ok(name), Ok(value)) = (body.name(), body.value()) {
                        self.params.insert(name.to_string(), value.to_string());
                    }
                }
                Ok(Some(Message::NoticeResponse(_))) => {}
                _ => return false,
            }
        }
    }
}

/// Answers the server's authentication request with the origin's password.
async fn authenticate(
    origin: &Origin,
    stream: &mut TcpStream,
    buf: &mut BytesMut,
) -> Result<(), PgError> {
    let password = || {
        origin.password.as_deref().ok_or_else(|| {
            PgError::fatal(
                "28P01",
                format!(
                    "the database at {origin} asks for a password but the connection string has none"
                ),
            )
        })
    };
    let io_err = |e: io::Error| lost(origin, e);
    let mut scram: Option<ScramSha256> = None;
    loop {
        let mut out = BytesMut::new();
        match next(stream, buf).await.map_err(io_err)? {
            Message::AuthenticationOk => return Ok(()),
            Message::AuthenticationCleartextPassword => {
                frontend::password_message(password()?.as_bytes(), &mut out).map_err(io_err)?;
            }
            Message::AuthenticationMd5Password(body) => {
                let hash = md5_hash(origin.user.as_bytes(), password()?.as_bytes(), body.salt());
                frontend::password_message(hash.as_bytes(), &mut out).map_err(io_err)?;
            }
            Message::AuthenticationSasl(body) => {
                let mut mechanisms = body.mechanisms();
                let mut offered = Vec::new();
                while let Some(m) = mechanisms.next().map_err(io_err)? {
                    offered.push(m.to_string());
                }
                if !offered.iter().any(|m| m == SCRAM_SHA_256) {
                    return Err(PgError::fatal(
                        "28000",
                        format!(
                            "the database at {origin} offers SASL mechanisms {offered:?}; \
                             hearth's pool supports SCRAM-SHA-256"
                        ),
                    ));
                }
                // The pool talks to the database without TLS: no channel binding.
                let s = ScramSha256::new(password()?.as_bytes(), ChannelBinding::unsupported());
                frontend::sasl_initial_response(SCRAM_SHA_256, s.message(), &mut out)
                    .map_err(io_err)?;
                scram = Some(s);
            }
            Message::AuthenticationSaslContinue(body) => {
                let s = scram.as_mut().ok_or_else(|| io_err(out_of_order()))?;
                s.update(body.data()).map_err(io_err)?;
                frontend::sasl_response(s.message(), &mut out).map_err(io_err)?;
            }
            Message::AuthenticationSaslFinal(body) => {
                let s = scram.as_mut().ok_or_else(|| io_err(out_of_order()))?;
                s.finish(body.data()).map_err(io_err)?;
                continue;
            }
            Message::ErrorResponse(body) => {
                return Err(PgError::from_fields(body.fields()).context(&format!(
                    "the database at {origin} refused the pool's login"
                )))
            }
            _ => {
                return Err(PgError::fatal(
                    "28000",
                    format!(
                        "the database at {origin} asks for an authentication method hearth's \
                         pool does not support (only trust, password, md5 and scram-sha-256)"
                    ),
                ))
            }
        }
        stream.write_all(&out).await.map_err(io_err)?;
    }
}

fn out_of_order() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "SASL message out of order during authentication",
    )
}
