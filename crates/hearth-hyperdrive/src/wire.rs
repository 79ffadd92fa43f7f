//! PostgreSQL wire protocol pieces postgres-protocol leaves out: the
//! messages a *server* sends (the pool plays the server towards Workers),
//! reading start-up packets and whole messages, and ErrorResponse as a value.

use bytes::{BufMut, Bytes, BytesMut};
use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::ErrorFields;
use std::fmt;
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Start-up packet codes (the int32 after the length).
pub(crate) const CANCEL_REQUEST: i32 = 80877102;
pub(crate) const SSL_REQUEST: i32 = 80877103;
pub(crate) const GSSENC_REQUEST: i32 = 80877104;

/// Longest start-up packet or handshake message accepted from a client.
const MAX_HANDSHAKE_MESSAGE: usize = 10_000;

/// An error as PostgreSQL reports it: what clients turn into their
/// exceptions (`err.code`, `err.message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    /// `ERROR` or `FATAL`.
    pub severity: &'static str,
    /// The SQLSTATE, e.g. `28P01`.
    pub code: String,
    /// The primary message.
    pub message: String,
}

impl PgError {
    /// A `FATAL` error: the connection ends after it.
    pub(crate) fn fatal(code: &str, message: impl Into<String>) -> PgError {
        PgError {
            severity: "FATAL",
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// The fields of a server's ErrorResponse.
    pub(crate) fn from_fields(mut fields: ErrorFields<'_>) -> PgError {
        let mut err = PgError::fatal("XX000", "the database reported an error without a message");
        while let Ok(Some(field)) = fields.next() {
            let value = String::from_utf8_lossy(field.value_bytes());
            match field.type_() {
                b'C' => err.code = value.into_owned(),
                b'M' => err.message = value.into_owned(),
                b'V' if value == "ERROR" => err.severity = "ERROR",
                _ => {}
            }
        }
        err
    }

    /// The same error with `context` in front of its message.
    pub(crate) fn context(mut self, context: &str) -> PgError {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// Appends one tagged message whose body `body` writes.
fn message(tag: u8, buf: &mut BytesMut, body: impl FnOnce(&mut BytesMut)) {
    buf.put_u8(tag);
    let at = buf.len();
    buf.put_i32(0);
    body(buf);
    let len = (buf.len() - at) as i32;
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

fn put_cstr(buf: &mut BytesMut, s: &str) {
    // A NUL inside would end the string early on the client's side.
    buf.put_slice(s.replace('\0', "").as_bytes());
    buf.put_u8(0);
}

/// AuthenticationOk (0) or AuthenticationCleartextPassword (3).
pub(crate) fn authentication(code: i32, buf: &mut BytesMut) {
    message(b'R', buf, |b| b.put_i32(code));
}

/// ParameterStatus: a run-time parameter's current value.
pub(crate) fn parameter_status(name: &str, value: &str, buf: &mut BytesMut) {
    message(b'S', buf, |b| {
        put_cstr(b, name);
        put_cstr(b, value);
    });
}

/// BackendKeyData: what a client quotes to cancel its query.
pub(crate) fn backend_key_data(process_id: i32, secret: i32, buf: &mut BytesMut) {
    message(b'K', buf, |b| {
        b.put_i32(process_id);
        b.put_i32(secret);
    });
}

/// ReadyForQuery with transaction status `I`, `T` or `E`.
pub(crate) fn ready_for_query(status: u8, buf: &mut BytesMut) {
    message(b'Z', buf, |b| b.put_u8(status));
}

/// NegotiateProtocolVersion: the pool speaks 3.0 and none of the `_pq_.` options.
pub(crate) fn negotiate_protocol_version(unsupported: &[String], buf: &mut BytesMut) {
    message(b'v', buf, |b| {
        b.put_i32(0);
        b.put_i32(unsupported.len() as i32);
        for option in unsupported {
            put_cstr(b, option);
        }
    });
}

/// ErrorResponse.
pub(crate) fn error_response(err: &PgError, buf: &mut BytesMut) {
    message(b'E', buf, |b| {
        for (field, value) in [
            (b'S', err.severity),
            (b'V', err.severity),
            (b'C', err.code.as_str()),
            (b'M', err.message.as_str()),
        ] {
            b.put_u8(field);
            put_cstr(b, value);
        }
        b.put_u8(0);
    });
}

/// Reads a start-up packet (no tag): its code and the rest of its body.
/// `Ok(None)` when the peer closed before sending one.
pub(crate) async fn read_startup<R: AsyncRead + Unpin>(
    r: &mut R,
) -> io::Result<Option<(i32, Bytes)>> {
    let mut head = [0u8; 8];
    match r.read_exact(&mut head[..4]).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = i32::from_be_bytes(head[..4].try_into().expect("4 bytes")) as usize;
    if !(8..=MAX_HANDSHAKE_MESSAGE).contains(&len) {
        return Err(invalid("start-up packet length out of range"));
    }
    r.read_exact(&mut head[4..]).await?;
    let mut body = vec![0u8; len - 8];
    r.read_exact(&mut body).await?;
    let code = i32::from_be_bytes(head[4..].try_into().expect("4 bytes"));
    Ok(Some((code, body.into())))
}

/// Reads one tagged handshake message from a client: its tag and body.
pub(crate) async fn read_message<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<(u8, Bytes)> {
    let mut head = [0u8; 5];
    r.read_exact(&mut head).await?;
    let len = i32::from_be_bytes(head[1..].try_into().expect("4 bytes")) as usize;
    if !(4..=MAX_HANDSHAKE_MESSAGE).contains(&len) {
        return Err(invalid("message length out of range"));
    }
    let mut body = vec![0u8; len - 4];
    r.read_exact(&mut body).await?;
    Ok((head[0], body.into()))
}

/// The NUL-terminated strings of a start-up message: `name, value, ..., ""`.
pub(crate) fn startup_parameters(body: &[u8]) -> io::Result<Vec<(String, String)>> {
    let mut strings = body.split(|b| *b == 0).map(|s| {
        String::from_utf8(s.to_vec()).map_err(|_| invalid("start-up parameter is not UTF-8"))
    });
    let mut out = Vec::new();
    loop {
        let name = strings.next().transpose()?.unwrap_or_default();
        if name.is_empty() {
            return Ok(out);
        }
        let value = strings
            .next()
            .transpose()?
            .ok_or_else(|| invalid("start-up parameter without a value"))?;
        out.push((name, value));
    }
}

/// The string of a PasswordMessage body (NUL-terminated).
pub(crate) fn password(body: &[u8]) -> &[u8] {
    body.strip_suffix(&[0]).unwrap_or(body)
}

pub(crate) fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use postgres_protocol::message::backend::Message;

    #[test]
    fn error_response_round_trips_through_the_client_parser() {
        let mut buf = BytesMut::new();
        let err = PgError::fatal("28P01", "password authentication failed for user \"x\"");
        error_response(&err, &mut buf);
        let Some(Message::ErrorResponse(body)) = Message::parse(&mut buf).unwrap() else {
            panic!("not an ErrorResponse")
        };
        assert_eq!(PgError::from_fields(body.fields()), err);
        assert!(buf.is_empty());
    }

    #[test]
    fn startup_parameters_split_pairs() {
        let body = b"user\0bob\0database\0shop\0\0";
        assert_eq!(
            startup_parameters(body).unwrap(),
            [
                ("user".into(), "bob".into()),
                ("database".into(), "shop".into())
            ]
        );
        assert!(startup_parameters(b"user").is_err());
    }
}
