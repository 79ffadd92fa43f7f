//! Per-thread listening sockets sharing one port through `SO_REUSEPORT`.

use socket2::{Domain, Protocol, Socket, Type};
use std::net::SocketAddr;

/// Binds a non-blocking listener on `addr` that other threads can share.
pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
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
