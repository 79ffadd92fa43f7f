//! What one client connection may cost: the header-read, keep-alive idle and
//! body-read timeouts, and the check of a chunked request body before the
//! worker runs.

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// How long a client may take, each configurable on `hearth dev`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From the connection's start, or from the first byte of a later
    /// request, until its headers are complete (nginx's
    /// `client_header_timeout`, 60 s).
    pub header: Duration,
    /// A kept-alive connection waiting for its next request (Cloudflare
    /// closes HTTP/1.1 keep-alive connections after 400 s).
    pub idle: Duration,
    /// Between two reads of a request body the worker is waiting for
    /// (nginx's `client_body_timeout`, 60 s).
    pub body: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header: Duration::from_secs(60),
            idle: Duration::from_secs(400),
            body: Duration::from_secs(60),
        }
    }
}

const HEAD: u8 = 0;
const BUSY: u8 = 1;
const IDLE: u8 = 2;

/// Where a connection is between requests, shared by its socket (which
/// enforces the deadline when hyper waits to read) and its requests.
pub(crate) struct Clock {
    timeouts: Timeouts,
    origin: Instant,
    phase: AtomicU8,
    /// When the phase began, in milliseconds since `origin`.
    since: AtomicU64,
}

impl Clock {
    /// A new connection, waiting for its first request's headers.
    pub(crate) fn new(timeouts: Timeouts) -> Arc<Clock> {
        Arc::new(Clock {
            timeouts,
            origin: Instant::now(),
            phase: AtomicU8::new(HEAD),
            since: AtomicU64::new(0),
        })
    }

    fn enter(&self, phase: u8) {
        self.since
            .store(self.origin.elapsed().as_millis() as u64, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Relaxed);
    }

    /// A request's headers arrived: the worker (or an upgraded socket) owns
    /// the connection now, and reads wait as long as it wants.
    pub(crate) fn busy(&self) {
        self.enter(BUSY);
    }

    /// The response was written: the connection waits for another request.
    pub(crate) fn idle(&self) {
        self.enter(IDLE);
    }

    fn deadline(&self) -> Option<Instant> {
        let limit = match self.phase.load(Ordering::Relaxed) {
            HEAD => self.timeouts.header,
            IDLE => self.timeouts.idle,
            _ => return None,
        };
        let since = Duration::from_millis(self.since.load(Ordering::Relaxed));
        Some(self.origin + since + limit)
    }

    /// Bytes arrived: a kept-alive connection starts its next request.
    fn received(&self) {
        if self.phase.load(Ordering::Relaxed) == IDLE {
            self.enter(HEAD);
        }
    }
}

/// A client's socket that fails a read with `TimedOut` once the header or
/// idle deadline of its [`Clock`] passes, so hyper closes the connection.
pub(crate) struct Guarded<T> {
    io: T,
    clock: Arc<Clock>,
    sleep: Pin<Box<Sleep>>,
}

impl<T> Guarded<T> {
    pub(crate) fn new(io: T, clock: Arc<Clock>) -> Self {
        let sleep = Box::pin(tokio::time::sleep_until(
            clock.deadline().unwrap_or_else(Instant::now),
        ));
        Guarded { io, clock, sleep }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.clock.received();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some(deadline) = this.clock.deadline() else {
                    return Poll::Pending;
                };
                if this.sleep.deadline() != deadline {
                    this.sleep.as_mut().reset(deadline);
                }
                match this.sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client sent no complete request in time",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// A response body that tells its connection's clock when it is done, so
/// the keep-alive idle timeout starts when the response has been written.
pub(crate) struct Tracked<B> {
    inner: B,
    clock: Arc<Clock>,
}

impl<B> Tracked<B> {
    pub(crate) fn new(inner: B, clock: Arc<Clock>) -> Self {
        Tracked { inner, clock }
    }
}

impl<B> Drop for Tracked<B> {
    fn drop(&mut self) {
        self.clock.idle();
    }
}

impl<B: Body + Unpin> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyFailure {
    /// The client sent nothing for the body-read timeout while the worker waited.
    #[error("the client sent no request body data for {0:?}")]
    TimedOut(Duration),
    /// The body is not valid HTTP/1.1 framing (a bad chunk size, ...).
    #[error("malformed request body: {0}")]
    Malformed(hyper::Error),
    /// The connection failed or closed before the body was complete.
    #[error("{0}")]
    Other(hyper::Error),
}

/// A request body read with the body-read timeout, remembering whether its
/// framing turned out malformed (then the answer is a 400, whatever the
/// worker said).
pub(crate) struct TimedBody {
    inner: Incoming,
    timeout: Duration,
    /// Armed while the reader waits for data.
    sleep: Option<Pin<Box<Sleep>>>,
    malformed: Arc<AtomicBool>,
}

impl TimedBody {
    pub(crate) fn new(inner: Incoming, timeout: Duration) -> Self {
        TimedBody {
            inner,
            timeout,
            sleep: None,
            malformed: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Set once the body's framing was found malformed.
    pub(crate) fn malformed_flag(&self) -> Arc<AtomicBool> {
        self.malformed.clone()
    }
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = BodyFailure;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyFailure>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(result) => {
                this.sleep = None;
                Poll::Ready(result.map(|r| {
                    r.map_err(|e| {
                        if is_malformed(&e) {
                            this.malformed.store(true, Ordering::Relaxed);
                            BodyFailure::Malformed(e)
                        } else {
                            BodyFailure::Other(e)
                        }
                    })
                }))
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.sleep = None;
                        Poll::Ready(Some(Err(BodyFailure::TimedOut(timeout))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether hyper gave up on the body because of its framing (its decoder
/// reports those as `InvalidData`/`InvalidInput`), not because the client left.
fn is_malformed(e: &hyper::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return matches!(
                io.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput
            );
        }
        source = cause.source();
    }
    false
}

/// A chunked request body's start is read before the worker runs, so a
/// malformed one is refused with 400 without entering JavaScript: up to this
/// much, or until the client pauses for [`PREREAD_PAUSE`] (a client
/// streaming its upload slowly, or waiting for the answer before sending
/// more, must not wait for the worker to start).
pub(crate) const PREREAD: usize = 64 * 1024;

/// See [`PREREAD`].
const PREREAD_PAUSE: Duration = Duration::from_millis(100);

/// A body whose first frames were already read: those, then the rest.
pub(crate) struct Prefixed {
    prefix: VecDeque<Bytes>,
    rest: Option<TimedBody>,
}

impl Prefixed {
    /// Reads `body` until its end, until [`PREREAD`] bytes arrived or until
    /// the client pauses.
    pub(crate) async fn read(mut body: TimedBody) -> Result<Prefixed, BodyFailure> {
        use http_body_util::BodyExt;
        let mut prefix = VecDeque::new();
        let mut size = 0;
        while size < PREREAD {
            // A frame not yet begun is simply polled again by the worker.
            let Ok(next) = tokio::time::timeout(PREREAD_PAUSE, body.frame()).await else {
                break;
            };
            match next {
                None => {
                    return Ok(Prefixed { prefix, rest: None });
                }
                Some(frame) => {
                    if let Ok(data) = frame?.into_data() {
                        size += data.len();
                        prefix.push_back(data);
                    }
                }
            }
        }
        Ok(Prefixed {
            prefix,
            rest: Some(body),
        })
    }
}

impl Body for Prefixed {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = self.get_mut();
        if let Some(data) = this.prefix.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        match this.rest.as_mut() {
            None => Poll::Ready(None),
            Some(rest) => Pin::new(rest)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(BodyError::from))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_empty() && self.rest.as_ref().is_none_or(|r| r.is_end_stream())
    }
}
