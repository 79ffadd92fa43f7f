//! The pool's side of a Worker's connection start-up: declining TLS and
//! GSS encryption, reading the start-up message or a cancel request, and
//! checking the credentials the binding handed out.

use crate::wire::{self, PgError};
use bytes::BytesMut;
use std::io;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// What a new client connection asks for.
pub(crate) enum Opening {
    /// A session with these start-up parameters (protocol 3.x).
    Startup {
        /// Minor protocol version asked for; the pool speaks 3.0.
        minor: u16,
        params: Vec<(String, String)>,
    },
    /// Cancel the query running under this key.
    Cancel((i32, i32)),
}

/// The credentials a binding's clients must present.
pub(crate) struct Credentials {
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) database: String,
}

/// Reads start-up packets until a start-up message or cancel request;
/// `Ok(None)` when the client leaves first.
pub(crate) async fn open(stream: &mut TcpStream) -> io::Result<Option<Opening>> {
    loop {
        let Some((code, body)) = wire::read_startup(stream).await? else {
            return Ok(None);
        };
        match code {
            // Loopback only: no TLS. 'N' makes drivers go on in plain text.
            wire::SSL_REQUEST | wire::GSSENC_REQUEST => stream.write_all(b"N").await?,
            wire::CANCEL_REQUEST if body.len() == 8 => {
                let pid = i32::from_be_bytes(body[..4].try_into().expect("4 bytes"));
                let secret = i32::from_be_bytes(body[4..].try_into().expect("4 bytes"));
                return Ok(Some(Opening::Cancel((pid, secret))));
            }
            code if code >> 16 == 3 => {
                return Ok(Some(Opening::Startup {
                    minor: (code & 0xffff) as u16,
                    params: wire::startup_parameters(&body)?,
                }))
            }
            _ => {
                let err = PgError::fatal(
                    "08P01",
                    format!(
                        "unsupported frontend protocol {}.{}: hearth's Hyperdrive pool speaks 3.0",
                        code >> 16,
                        code & 0xffff
                    ),
                );
                send_error(stream, &err).await;
                return Ok(None);
            }
        }
    }
}

/// Checks user and database, then asks for the password in clear text (the
/// connection never leaves this machine) and compares it.
pub(crate) async fn authenticate(
    stream: &mut TcpStream,
    params: &[(String, String)],
    expected: &Credentials,
) -> Result<(), PgError> {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let user = param("user").unwrap_or_default();
    if user != expected.user {
        return Err(PgError::fatal(
            "28000",
            format!(
                "role \"{user}\" is not served by this Hyperdrive binding; \
                 connect with the binding's user (env.BINDING.user)"
            ),
        ));
    }
    let database = param("database").unwrap_or(user);
    if database != expected.database {
        return Err(PgError::fatal(
            "3D000",
            format!(
                "database \"{database}\" is not served by this Hyperdrive binding, which pools \
                 \"{}\"; use the binding's connectionString",
                expected.database
            ),
        ));
    }
    if param("replication").is_some_and(|v| v != "false" && v != "0" && v != "off") {
        return Err(PgError::fatal(
            "08P01",
            "replication connections are not supported by hearth's Hyperdrive pool",
        ));
    }
    let mut out = BytesMut::new();
    wire::authentication(3, &mut out);
    let protocol = |e: io::Error| PgError::fatal("08P01", e.to_string());
    stream.write_all(&out).await.map_err(protocol)?;
    let (tag, body) = wire::read_message(stream).await.map_err(protocol)?;
    let given = wire::password(&body);
    if tag != b'p' || !same(given, expected.password.as_bytes()) {
        return Err(PgError::fatal(
            "28P01",
            format!("password authentication failed for user \"{user}\""),
        ));
    }
    Ok(())
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Sends an ErrorResponse; the caller closes the connection after it.
pub(crate) async fn send_error(stream: &mut TcpStream, err: &PgError) {
    let mut out = BytesMut::new();
    wire::error_response(err, &mut out);
    let _ = stream.write_all(&out).await;
}
