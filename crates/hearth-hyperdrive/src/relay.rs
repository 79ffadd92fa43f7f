//! Relaying a session between a Worker and its lent server connection,
//! following the protocol state on the way, and settling the server side
//! once the Worker has gone so the connection can be reused.

use crate::framer::{Event, Framer};
use crate::upstream::ServerConn;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long the server may take to finish replies to a client that left.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(5);

/// What is known about the server session's progress.
#[derive(Default)]
struct Progress {
    /// ReadyForQuery messages still owed: one per Query, FunctionCall and Sync sent.
    owed: u32,
    /// Extended-protocol messages sent since the last Sync.
    unsynced: bool,
    /// The server is in COPY FROM STDIN, waiting for data.
    copy_in: bool,
}

/// Follows the server's messages: ReadyForQuery settles what was owed and
/// gives the transaction status, ParameterStatus updates the parameters.
fn follow_server(
    framer: &mut Framer,
    data: &[u8],
    progress: &Mutex<Progress>,
    status: &mut u8,
    params: &mut BTreeMap<String, String>,
) -> std::io::Result<()> {
    framer.walk(
        data,
        |tag| tag == b'Z' || tag == b'S',
        |event| {
            match event {
                Event::Start(b'G') => progress.lock().expect("relay lock poisoned").copy_in = true,
                Event::Complete(b'Z', body) => {
                    let mut p = progress.lock().expect("relay lock poisoned");
                    p.owed = p.owed.saturating_sub(1);
                    p.copy_in = false;
                    *status = body.first().copied().unwrap_or(b'E');
                }
                Event::Complete(b'S', body) => {
                    let mut parts = body.split(|b| *b == 0);
                    if let (Some(name), Some(value)) = (parts.next(), parts.next()) {
                        params.insert(
                            String::from_utf8_lossy(name).into_owned(),
                            String::from_utf8_lossy(value).into_owned(),
                        );
                    }
                }
                _ => {}
            }
            true
        },
    )?;
    Ok(())
}

/// Relays until either side leaves. True when the server connection can be
/// reset and reused: the client left without a half-sent message, and
/// whatever it had asked for has been answered.
pub(crate) async fn relay(client: &mut TcpStream, conn: &mut ServerConn) -> bool {
    let progress = Mutex::new(Progress::default());
    let mut up = Framer::default();
    let mut down = Framer::default();
    let ServerConn {
        stream,
        params,
        status,
        ..
    } = conn;
    let client_left = {
        let (mut client_rx, mut client_tx) = client.split();
        let (mut server_rx, mut server_tx) = stream.split();
        let upstream = async {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = match client_rx.read(&mut buf).await {
                    Ok(0) | Err(_) => return true,
                    Ok(n) => n,
                };
                let mut terminated = false;
                let walked = {
                    let mut p = progress.lock().expect("relay lock poisoned");
                    up.walk(
                        &buf[..n],
                        |_| false,
                        |event| match event {
                            // Terminate ends the client's session, not the server's.
                            Event::Start(b'X') => {
                                terminated = true;
                                false
                            }
                            Event::Start(b'Q' | b'F') => {
                                p.owed += 1;
                                true
                            }
                            Event::Start(b'S') => {
                                p.owed += 1;
                                p.unsynced = false;
                                true
                            }
                            Event::Start(b'P' | b'B' | b'D' | b'E' | b'C' | b'H') => {
                                p.unsynced = true;
                                true
                            }
                            _ => true,
                        },
                    )
                };
                let Ok(walked) = walked else { return false };
                if server_tx.write_all(&buf[..walked]).await.is_err() {
                    return false;
                }
                if terminated {
                    return true;
                }
            }
        };
        let downstream = async {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let n = match server_rx.read(&mut buf).await {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => n,
                };
                if follow_server(&mut down, &buf[..n], &progress, status, params).is_err() {
                    return false;
                }
                if client_tx.write_all(&buf[..n]).await.is_err() {
                    // The client is gone; the server's side is settled below.
                    return true;
                }
            }
        };
        tokio::select! {
            left = upstream => left,
            left = downstream => left,
        }
    };
    if !client_left || !up.at_boundary() {
        return false;
    }
    let progress = progress.into_inner().expect("relay lock poisoned");
    if progress.owed == 0 && !progress.unsynced && down.at_boundary() {
        return true;
    }
    let settled = settle(stream, progress, &mut down, status, params);
    matches!(
        tokio::time::timeout(SETTLE_TIMEOUT, settled).await,
        Ok(Ok(()))
    )
}

/// Brings the server to its next ReadyForQuery after the client left
/// mid-request: ends an unfinished extended-protocol batch with Sync, fails
/// a COPY FROM STDIN, and reads (dropping) the replies still owed.
async fn settle(
    stream: &mut TcpStream,
    mut progress: Progress,
    down: &mut Framer,
    status: &mut u8,
    params: &mut BTreeMap<String, String>,
) -> std::io::Result<()> {
    let mut out = bytes::BytesMut::new();
    if progress.copy_in {
        postgres_protocol::message::frontend::copy_fail("client disconnected", &mut out)?;
    }
    if progress.unsynced {
        postgres_protocol::message::frontend::sync(&mut out);
        progress.owed += 1;
        progress.unsynced = false;
    }
    stream.write_all(&out).await?;
    let progress = Mutex::new(progress);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        {
            let p = progress.lock().expect("relay lock poisoned");
            if p.owed == 0 && down.at_boundary() {
                return Ok(());
            }
        }
        let n = read_some(stream, &mut buf).await?;
        follow_server(down, &buf[..n], &progress, status, params)?;
    }
}

async fn read_some<R: AsyncRead + Unpin>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    match r.read(buf).await? {
        0 => Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the database closed the connection",
        )),
        n => Ok(n),
    }
}
