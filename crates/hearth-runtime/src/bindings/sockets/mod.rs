//! TCP sockets for `cloudflare:sockets`: outbound `connect()`, the accepted
//! connections of Socket Workers, and STARTTLS over rustls.
//!
//! A socket is split into a read half and a write half so a pending read never
//! blocks a write. All I/O runs as local tasks on the isolate's thread
//! ([`spawn_op`]); JavaScript pulls one chunk per read (back-pressure: nothing
//! is read from the OS until a reader asks) and a write resolves once its
//! bytes were handed to the OS.

use crate::host::bytes::{new_u8, require_bytes};
use crate::host::event_loop::{current, settle, spawn_op};
use crate::host::isolate::Core;
use rquickjs::{Array, Ctx, Exception, Function, Object, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch, Mutex};
use tokio_rustls::rustls;

/// Bytes read from the OS per `read()` of a socket's readable stream.
const READ_CHUNK: usize = 64 * 1024;

/// Environment variable naming extra PEM CA certificates for TLS sockets.
pub const CA_BUNDLE_ENV: &str = "HEARTH_CA_BUNDLE";

/// A TCP connection, plain or wrapped in TLS.
pub(crate) enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

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
            current().resources.borrow_mut().sockets.remove(&id);
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
    let address =
        |a: std::io::Result<std::net::SocketAddr>| a.map(|a| a.to_string()).unwrap_or_default();
    (address(stream.peer_addr()), address(stream.local_addr()))
}

/// Registers an accepted connection; returns its id and `[remote, local]`.
pub(crate) fn register_inbound(
    core: &Core,
    stream: TcpStream,
    done: oneshot::Sender<()>,
) -> (u32, String, String) {
    let (remote, local) = prepare(&stream);
    let entry = SocketEntry::new(Conn::Plain(stream), Some(done));
    let id = core.resources.borrow_mut().add_socket(entry);
    (id, remote, local)
}

/// Closes socket `id` of `core` (dropping both halves closes the connection).
pub(crate) fn close(core: &Core, id: u32) {
    core.resources.borrow_mut().sockets.remove(&id);
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
    let policy = if to_pool {
        hearth_config::Outbound::default()
    } else {
        core.worker.config().outbound.clone()
    };
    let ca_bundle = ca_bundle_path(&core);
    spawn_op(&ctx, async move {
        let (conn, remote, local) =
            dial(&policy, &hostname, port, tls, ca_bundle, "connect()").await?;
        let id = core
            .resources
            .borrow_mut()
            .add_socket(SocketEntry::new(conn, None));
        Ok(settle(move |ctx| opened_info(ctx, id, remote, local)))
    })
}

/// Opens an outbound connection to `hostname:port` as the `[outbound]`
/// policy permits (checked for the name and for every address it resolves
/// to), wrapped in TLS when asked. Returns the connection and its remote and
/// local addresses; errors start with `what` (the API that asked).
pub(crate) async fn dial(
    policy: &hearth_config::Outbound,
    hostname: &str,
    port: u16,
    tls: bool,
    ca_bundle: Option<PathBuf>,
    what: &str,
) -> Result<(Conn, String, String), String> {
    let target = format!("{}:{port}", display_host(hostname));
    let blocked = || {
        format!(
            "{what} to {target} is blocked by the [outbound] policy in wrangler.toml \
             (allow = {:?}, deny = {:?})",
            policy.allow, policy.deny
        )
    };
    if policy.denies(hostname, port) {
        return Err(blocked());
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((hostname, port))
        .await
        .map_err(|e| format!("{what} to {target} failed: DNS lookup of '{hostname}' failed ({e})"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!(
            "{what} to {target} failed: DNS lookup of '{hostname}' returned no addresses"
        ));
    }
    let host_allowed = policy.allows(hostname, port);
    let mut last_error = None;
    let mut stream = None;
    for addr in &addrs {
        let ip = addr.ip().to_string();
        if policy.denies(&ip, port) || !(host_allowed || policy.allows(&ip, port)) {
            last_error = Some(blocked());
            continue;
        }
        match TcpStream::connect(addr).await {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_error = Some(format!("{what} to {target} failed: {}", io_message(&e))),
        }
    }
    let Some(stream) = stream else {
        return Err(last_error.unwrap_or_else(blocked));
    };
    let (remote, local) = prepare(&stream);
    let conn = if tls {
        Conn::Tls(Box::new(handshake(stream, hostname, ca_bundle).await?))
    } else {
        Conn::Plain(stream)
    };
    Ok((conn, remote, local))
}

fn display_host(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// A readable explanation of an I/O error.
fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            "connection refused (nothing is listening there)".into()
        }
        io::ErrorKind::ConnectionReset => "connection reset by peer".into(),
        io::ErrorKind::ConnectionAborted => "connection aborted".into(),
        io::ErrorKind::TimedOut => "connection timed out".into(),
        io::ErrorKind::BrokenPipe => "the peer closed the connection (broken pipe)".into(),
        _ => e.to_string(),
    }
}

fn lookup(id: u32) -> Option<Handles> {
    let core = current();
    let resources = core.resources.borrow();
    resources
        .sockets
        .get(&id)
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
    let ca_bundle = ca_bundle_path(&core);
    let found = {
        let resources = core.resources.borrow();
        resources
            .sockets
            .get(&id)
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
        let tls = handshake(stream, &hostname, ca_bundle).await?;
        let (rh, wh) = tokio::io::split(Conn::Tls(Box::new(tls)));
        *r = Some(rh);
        *w = Some(wh);
        Ok(settle(|ctx| Ok(Value::new_undefined(ctx.clone()))))
    })
}

/// The CA bundle to trust besides the webpki roots: `[outbound] ca_bundle`,
/// else `$HEARTH_CA_BUNDLE`.
pub(crate) fn ca_bundle_path(core: &Rc<Core>) -> Option<PathBuf> {
    core.worker
        .config()
        .outbound
        .ca_bundle
        .clone()
        .or_else(|| std::env::var_os(CA_BUNDLE_ENV).map(PathBuf::from))
}

thread_local! {
    static TLS_CONFIGS: RefCell<HashMap<Option<PathBuf>, Arc<rustls::ClientConfig>>> =
        RefCell::new(HashMap::new());
}

fn tls_config(ca_bundle: Option<PathBuf>) -> Result<Arc<rustls::ClientConfig>, String> {
    if let Some(config) = TLS_CONFIGS.with(|c| c.borrow().get(&ca_bundle).cloned()) {
        return Ok(config);
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &ca_bundle {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("cannot read the CA bundle {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!(
                "the CA bundle {} holds no PEM certificates",
                path.display()
            ));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                format!(
                    "the CA bundle {} has a bad certificate: {e}",
                    path.display()
                )
            })?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let config = Arc::new(config);
    TLS_CONFIGS.with(|c| c.borrow_mut().insert(ca_bundle, config.clone()));
    Ok(config)
}

async fn handshake(
    stream: TcpStream,
    hostname: &str,
    ca_bundle: Option<PathBuf>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    let config = tls_config(ca_bundle)?;
    let name = rustls::pki_types::ServerName::try_from(hostname.to_string())
        .map_err(|_| format!("TLS failed: '{hostname}' is not a valid server name"))?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(|e| {
            let detail = match e.get_ref() {
                Some(inner) => inner.to_string(),
                None => io_message(&e),
            };
            format!("TLS handshake with '{hostname}' failed: {detail}")
        })
}
