//! Listening sockets: one per address, shared by every event-loop thread.
//!
//! No `SO_REUSEPORT`: with it, a second hearth (or any process of the same
//! user) could bind the same port and the kernel would split the
//! connections between them. One socket per address makes a port in use an
//! error, as for every server; each thread accepts from its own handle of
//! that socket (a kernel queue shared by all), so a busy thread leaves the
//! next connection to an idle one.

use socket2::{Domain, Protocol, Socket, Type};
use std::net::SocketAddr;

/// Binds a non-blocking listener on `addr`.
pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // Only lets a restart rebind while old connections are in TIME_WAIT; on
    // Linux it never lets two listeners share a port.
    socket.set_reuse_address(true)?;
    socket.set_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// `count` handles of one listener, one per thread.
pub(crate) fn share(
    listener: std::net::TcpListener,
    count: usize,
) -> std::io::Result<Vec<std::net::TcpListener>> {
    let mut handles = Vec::with_capacity(count);
    for _ in 1..count {
        handles.push(listener.try_clone()?);
    }
    handles.push(listener);
    Ok(handles)
}

/// How long an accept loop pauses after a failed `accept()`. Out of file
/// descriptors the pending connection stays queued and every retry fails at
/// once, so retrying without a pause would spin (nginx pauses 500 ms).
const ACCEPT_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Failures of one accept loop are logged at most this often.
const ACCEPT_REPORT_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// An accept loop's failures: a pause after each, one log line per interval.
#[derive(Default)]
pub(crate) struct AcceptFailures {
    last_report: Option<std::time::Instant>,
    unreported: u64,
}

impl AcceptFailures {
    /// Logs `error` (or counts it when one was logged recently) and pauses.
    pub(crate) async fn failed(&mut self, what: &str, error: &std::io::Error) {
        self.unreported += 1;
        if self
            .last_report
            .is_none_or(|at| at.elapsed() >= ACCEPT_REPORT_EVERY)
        {
            tracing::warn!(
                "accept failed on {what}: {error} ({} failure(s) since the last report; \
                 retrying every {} ms)",
                self.unreported,
                ACCEPT_PAUSE.as_millis()
            );
            self.last_report = Some(std::time::Instant::now());
            self.unreported = 0;
        }
        tokio::time::sleep(ACCEPT_PAUSE).await;
    }
}
