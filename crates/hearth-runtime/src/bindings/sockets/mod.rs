//! TCP sockets for `cloudflare:sockets`: outbound `connect()` (opened
//! through [`crate::host::egress`], like every outbound connection), the
//! accepted connections of Socket Workers, and STARTTLS.
//!
//! A socket is split into a read half and a write half so a pending read never
//! blocks a write. All I/O runs as local tasks on the isolate's thread
//! ([`spawn_op`]); JavaScript pulls one chunk per read (back-pressure: nothing
//! is read from the OS until a reader asks) and a write resolves once its
//! bytes were handed to the OS.

use crate::host::bytes::{new_u8, require_bytes};
use crate::host::egress::{addresses, io_message, Conn, Egress};
use crate::host::errors::describe;
use crate::host::event_loop::enter;
use crate::host::event_loop::{current, settle, spawn_op};
use crate::host::isolate::{caught, internal, on_settled, Core, Isolate};
use rquickjs::{Array, Ctx, Exception, Function, Object, Value};
use std::rc::Rc;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch, Mutex};

/// Bytes read from the OS per `read()` of a socket's readable stream.
const READ_CHUNK: usize = 64 * 1024;

type Half<T> = Rc<Mutex<Option<T>>>;

/// What an operation on an open socket needs: both halves and an interrupt.
type Handles = (
    Half<ReadHalf<Conn>>,
    Half<WriteHalf<Conn>>,
    watch::Receiver<u32>,
);

/// One open socket of an isolate.
pub(crate) struct SocketEntry {
    reader: Half<ReadHalf<Conn>>,
    writer: Half<WriteHalf<Conn>>,
    /// Bumped to abort pending reads and writes: on close (to `u32::MAX`) and
    /// when STARTTLS takes the connection over.
    interrupt: watch::Sender<u32>,
    /// Dropped with the entry, telling the server an inbound connection ended.
    _done: Option<oneshot::Sender<()>>,
}

impl SocketEntry {
    pub(crate) fn new(conn: Conn, done: Option<oneshot::Sender<()>>) -> SocketEntry {
        let (r, w) = tokio::io::split(conn);
        SocketEntry {
            reader: Rc::new(Mutex::new(Some(r))),
            writer: Rc::new(Mutex::new(Some(w))),
            interrupt: watch::channel(0).0,
            _done: done,
        }
    }
}

impl Drop for SocketEntry {
    fn drop(&mut self) {
        self.interrupt.send_replace(u32::MAX);
    }
}

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("socketConnect", Function::new(ctx.clone(), socket_connect)?)?;
    native.set("socketRead", Function::new(ctx.clone(), socket_read)?)?;
    native.set("socketWrite", Function::new(ctx.clone(), socket_write)?)?;
    native.set(
        "socketShutdown",
        Function::new(ctx.clone(), socket_shutdown)?,
    )?;
    native.set(
        "socketStartTls",
        Function::new(ctx.clone(), socket_start_tls)?,
    )?;
    native.set(
        "socketClose",
        Function::new(ctx.clone(), |id: u32| {
            current().resources.borrow_mut().take::<SocketEntry>(id);
        })?,
    )?;
    Ok(())
}

/// `[id, remoteAddress, localAddress]` for JavaScript.
fn opened_info<'js>(
    ctx: &Ctx<'js>,
    id: u32,
    remote: String,
    local: String,
) -> rquickjs::Result<Value<'js>> {
    let out = Array::new(ctx.clone())?;
    out.set(0, id)?;
    out.set(1, remote)?;
    out.set(2, local)?;
    Ok(out.into_value())
}

/// Turns Nagle off (Workers sockets write what they are given at once) and
/// returns the connection's `(remote, local)` addresses.
fn prepare(stream: &TcpStream) -> (String, String) {
    let _ = stream.set_nodelay(true);
    addresses(stream)
}

/// Registers an accepted connection; returns its id and `[remote, local]`.
pub(crate) fn register_inbound(
    core: &Core,
    stream: TcpStream,
    done: oneshot::Sender<()>,
) -> (u32, String, String) {
    let (remote, local) = prepare(&stream);
    let entry = SocketEntry::new(Conn::Plain(stream), Some(done));
    let id = core.resources.borrow_mut().add(entry);
    (id, remote, local)
}

/// Closes socket `id` of `core` (dropping both halves closes the connection).
pub(crate) fn close(core: &Core, id: u32) {
    core.resources.borrow_mut().take::<SocketEntry>(id);
}

fn socket_connect<'js>(
    ctx: Ctx<'js>,
    hostname: String,
    port: u16,
    tls: bool,
) -> rquickjs::Result<rquickjs::Promise<'js>> {
    let core = current();
    // A Hyperdrive binding's pool is configured by the operator, like the
    // binding itself: the [outbound] policy does not apply to it.
    let to_pool = core
        .worker
        .hyperdrive()
        .iter()
        .any(|b| b.host == hostname && b.port == port);
    let egress = if to_pool {
        Egress::unrestricted(&core.worker)
    } else {
        Egress::of(&core.worker)
    };
    spawn_op(&ctx, async move {
        let dialed = egress.dial(&hostname, port, tls, "connect()").await?;
        let id = core
            .resources
            .borrow_mut()
            .add(SocketEntry::new(dialed.conn, None));
        Ok(settle(move |ctx| {
            opened_info(ctx, id, dialed.remote, dialed.local)
        }))
    })
}

fn lookup(id: u32) -> Option<Handles> {
    let core = current();
    let resources = core.resources.borrow();
    resources
        .get::<SocketEntry>(id)
        .map(|e| (e.reader.clone(), e.writer.clone(), e.interrupt.subscribe()))
}

fn null<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
    Ok(Value::new_null(ctx.clone()))
}

/// Reads the next chunk: a `Uint8Array`, or `null` at end of stream or once
/// the socket was closed.
fn socket_read<'js>(ctx: Ctx<'js>, id: u32) -> rquickjs::Result<rquickjs::Promise<'js>> {
    let found = lookup(id);
    spawn_op(&ctx, async move {
        let Some((reader, _, mut interrupt)) = found else {
            return Ok(settle(null));
        };
        interrupt.borrow_and_update();
        let mut guard = tokio::select! {
            g = reader.lock() => g,
            _ = interrupt.changed() => return Ok(settle(null)),
        };
        let Some(half) = guard.as_mut() else {
            return Ok(settle(null));
        };
        let mut buf = Vec::with_capacity(READ_CHUNK);
        let read = tokio::select! {
            r = half.read_buf(&mut buf) => r,
            _ = interrupt.changed() => return Ok(settle(null)),
        };
        match read {
            Ok(0) => Ok(settle(null)),
            Ok(_) => Ok(settle(move |ctx| new_u8(ctx, buf))),
            Err(e) => Err(format!(
                "reading from the socket failed: {}",
                io_message(&e)
            )),
        }
    })
}

/// Writes a chunk; resolves once the OS accepted all of it.
fn socket_write<'js>(
    ctx: Ctx<'js>,
    id: u32,
    chunk: Value<'js>,
) -> rquickjs::Result<rquickjs::Promise<'js>> {
    let bytes = if let Some(s) = chunk.as_string() {
        s.to_string()?.into_bytes()
    } else {
        require_bytes(&ctx, &chunk, "socket write chunk")?
    };
    let Some((_, writer, mut interrupt)) = lookup(id) else {
        return Err(Exception::throw_type(&ctx, "the socket is closed"));
    };
    spawn_op(&ctx, async move {
        interrupt.borrow_and_update();
        let closed = || "writing to the socket failed: the socket was closed".to_string();
        let mut guard = tokio::select! {
            g = writer.lock() => g,
            _ = interrupt.changed() => return Err(closed()),
        };
        let half = guard.as_mut().ok_or_else(closed)?;
        let written = tokio::select! {
            r = async { half.write_all(&bytes).await?; half.flush().await } => r,
            _ = interrupt.changed() => return Err(closed()),
        };
        written.map_err(|e| format!("writing to the socket failed: {}", io_message(&e)))?;
        Ok(settle(|ctx| Ok(Value::new_undefined(ctx.clone()))))
    })
}

/// Half-closes the socket (sends FIN); reading continues.
fn socket_shutdown<'js>(ctx: Ctx<'js>, id: u32) -> rquickjs::Result<rquickjs::Promise<'js>> {
    let found = lookup(id);
    spawn_op(&ctx, async move {
        if let Some((_, writer, _)) = found {
            if let Some(half) = writer.lock().await.as_mut() {
                half.shutdown().await.map_err(|e| {
                    format!(
                        "closing the socket's writable side failed: {}",
                        io_message(&e)
                    )
                })?;
            }
        }
        Ok(settle(|ctx| Ok(Value::new_undefined(ctx.clone()))))
    })
}

/// Upgrades socket `id` to TLS in place, verifying the server as `hostname`.
fn socket_start_tls<'js>(
    ctx: Ctx<'js>,
    id: u32,
    hostname: String,
) -> rquickjs::Result<rquickjs::Promise<'js>> {
    let core = current();
    let egress = Egress::of(&core.worker);
    let found = {
        let resources = core.resources.borrow();
        resources
            .get::<SocketEntry>(id)
            .map(|e| (e.reader.clone(), e.writer.clone(), e.interrupt.clone()))
    };
    spawn_op(&ctx, async move {
        let Some((reader, writer, interrupt)) = found else {
            return Err("startTls() failed: the socket is closed".into());
        };
        // Abort reads and writes still waiting on the plain-text socket.
        interrupt.send_modify(|v| *v = v.wrapping_add(1).min(u32::MAX - 1));
        let mut r = reader.lock().await;
        let mut w = writer.lock().await;
        let (Some(rh), Some(wh)) = (r.take(), w.take()) else {
            return Err("startTls() failed: the socket is closed".into());
        };
        let stream = match rh.unsplit(wh) {
            Conn::Plain(s) => s,
            Conn::Tls(_) => return Err("startTls() failed: the socket already uses TLS".into()),
        };
        let tls = egress.start_tls(stream, &hostname).await?;
        let (rh, wh) = tokio::io::split(Conn::Tls(Box::new(tls)));
        *r = Some(rh);
        *w = Some(wh);
        Ok(settle(|ctx| Ok(Value::new_undefined(ctx.clone()))))
    })
}

/// Socket Workers: the entry point for connections a `[[tcp]]` listener accepts.
impl Isolate {
    /// Hands an accepted TCP connection to the worker's `connect(socket, env,
    /// ctx)` handler (Socket Workers) and returns once the connection is
    /// closed. `handler` names the export to use (default: the default
    /// export). A handler that throws or rejects closes this connection only.
    pub async fn connect(&self, stream: tokio::net::TcpStream, handler: Option<&str>) {
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let (id, remote, local) = register_inbound(self.core(), stream, done_tx);
        let core = self.core().clone();
        enter(&core, |ctx| {
            let fail = {
                let core = core.clone();
                move |message: String| {
                    core.report("uncaught exception in connect handler", &message);
                    close(&core, id);
                }
            };
            let run = || -> rquickjs::Result<rquickjs::Promise> {
                let run: Function = internal(&ctx)?.get("runConnect")?;
                run.call((id, remote, local, handler))
            };
            match run() {
                Ok(promise) => {
                    let attached = on_settled(
                        &ctx,
                        &promise,
                        |_, _| {},
                        move |ctx, e| fail(describe(ctx, e)),
                    );
                    if let Err(e) = attached {
                        tracing::error!("cannot await the connect handler: {e}");
                    }
                }
                Err(e) => fail(caught(&ctx, e)),
            }
        });
        let _ = done_rx.await;
    }
}
