//! HTTP body types that cross between the server and an isolate.

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Error type carried by request and response bodies.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// A request body handed to a worker (streamed, never buffered whole).
pub type RequestBody = UnsyncBoxBody<Bytes, BodyError>;

/// A response body produced by a worker.
pub type ResponseBody = UnsyncBoxBody<Bytes, BodyError>;

/// A body fed chunk by chunk from JavaScript through a bounded channel, so a
/// slow client slows the producing stream down instead of growing a buffer.
pub(crate) struct ChannelBody {
    pub(crate) rx: mpsc::Receiver<Result<Bytes, BodyError>>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|r| r.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// A complete body from bytes already in memory.
pub(crate) fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    use http_body_util::BodyExt;
    http_body_util::Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// The sending end of a [`ChannelBody`], as a resource JavaScript writes to.
pub(crate) struct BodySink(pub(crate) mpsc::Sender<Result<Bytes, BodyError>>);

/// Left in a request body's place in the resource table when the body grew
/// past the size limit while being read, so the failed request gets a 413.
pub(crate) struct Oversized;
