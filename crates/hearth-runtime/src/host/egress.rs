//! Egress: the one way out of the runtime. `fetch()`, `connect()` and
//! outbound WebSockets all open their connections here, so they share one
//! name resolution, one `[outbound]` allow/deny policy (checked for the name
//! and for every address it resolves to, on every redirect hop too), one TLS
//! setup (rustls with the webpki roots plus `[outbound] ca_bundle` or
//! `$HEARTH_CA_BUNDLE`) and one set of error messages.
//!
//! The policy is decided on the addresses a name resolves to, normalized
//! ([`policy_names`]), and the connection goes to exactly the address that
//! was checked, so no other spelling of a denied host (`0.0.0.0`, `[::]`,
//! `::ffff:127.0.0.1`, `127.1`, `2130706433`, ...) gets past a deny.

use crate::host::body::RequestBody;
use crate::worker::Worker;
use hearth_config::Outbound;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioIo;
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// Environment variable naming extra PEM CA certificates for outbound TLS.
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

impl Connection for Conn {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// An opened outbound connection and its addresses (`ip:port`).
pub(crate) struct Dialed {
    pub(crate) conn: Conn,
    pub(crate) remote: String,
    pub(crate) local: String,
}

/// Where a worker may connect to and which certificate authorities it
/// trusts. Cheap to clone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Egress(Arc<Settings>);

#[derive(Debug, PartialEq, Eq)]
struct Settings {
    /// `[outbound]` allow/deny (its `ca_bundle` is moved out into the field below).
    policy: Outbound,
    /// Extra trusted CAs: `[outbound] ca_bundle`, else `$HEARTH_CA_BUNDLE`.
    ca_bundle: Option<PathBuf>,
}

impl Egress {
    /// The worker's `[outbound]` policy and CA bundle.
    pub(crate) fn of(worker: &Worker) -> Egress {
        Self::new(worker.config().outbound.clone())
    }

    /// The worker's CA bundle and no allow/deny policy: for destinations the
    /// operator configured, like a Hyperdrive binding's pool.
    pub(crate) fn unrestricted(worker: &Worker) -> Egress {
        Self::new(Outbound {
            ca_bundle: worker.config().outbound.ca_bundle.clone(),
            ..Outbound::default()
        })
    }

    fn new(mut policy: Outbound) -> Egress {
        let ca_bundle = policy
            .ca_bundle
            .take()
            .or_else(|| std::env::var_os(CA_BUNDLE_ENV).map(PathBuf::from));
        Egress(Arc::new(Settings { policy, ca_bundle }))
    }

    /// Opens a connection to `hostname:port` as the policy permits, wrapped
    /// in TLS when asked (the server is verified as `hostname`). Errors start
    /// with `what`, the API that asked (`connect()`, `fetch()`, ...).
    pub(crate) async fn dial(
        &self,
        hostname: &str,
        port: u16,
        tls: bool,
        what: &str,
    ) -> Result<Dialed, String> {
        let policy = &self.0.policy;
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
            .map_err(|e| {
                format!("{what} to {target} failed: DNS lookup of '{hostname}' failed ({e})")
            })?
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
            if is_reserved(*addr) {
                last_error = Some(format!(
                    "{what} to {target} is refused: that address is the hearth server's own \
                     admin API, which worker code may not reach"
                ));
                continue;
            }
            let names = policy_names(addr.ip());
            let denied = names.iter().any(|n| policy.denies(n, port));
            if denied || !(host_allowed || names.iter().any(|n| policy.allows(n, port))) {
                last_error = Some(blocked());
                continue;
            }
            match TcpStream::connect(addr).await {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => {
                    last_error = Some(format!("{what} to {target} failed: {}", io_message(&e)))
                }
            }
        }
        let Some(stream) = stream else {
            return Err(last_error.unwrap_or_else(blocked));
        };
        // Workers sockets write what they are given at once.
        let _ = stream.set_nodelay(true);
        let (remote, local) = addresses(&stream);
        let conn = if tls {
            Conn::Tls(Box::new(self.start_tls(stream, hostname).await?))
        } else {
            Conn::Plain(stream)
        };
        Ok(Dialed {
            conn,
            remote,
            local,
        })
    }

    /// The TLS handshake on an open connection, verifying the server as
    /// `hostname` against the webpki roots and the CA bundle.
    pub(crate) async fn start_tls(
        &self,
        stream: TcpStream,
        hostname: &str,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
        let config = tls_config(&self.0.ca_bundle)?;
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

    /// `fetch()`'s pooling HTTP client for these settings: one per thread
    /// and settings, so a pooled connection is only reused under the policy
    /// that opened it.
    pub(crate) fn http_client(&self) -> HttpClient {
        thread_local! {
            static CLIENTS: RefCell<Vec<(Egress, HttpClient)>> = const { RefCell::new(Vec::new()) };
        }
        CLIENTS.with(|clients| {
            let mut clients = clients.borrow_mut();
            if let Some((_, client)) = clients.iter().find(|(e, _)| e == self) {
                return client.clone();
            }
            let client = Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(Connector(self.clone()));
            clients.push((self.clone(), client.clone()));
            client
        })
    }
}

/// `fetch()`'s client: hyper's pooling client over [`Connector`].
pub(crate) type HttpClient = Client<Connector, RequestBody>;

/// Opens `fetch()`'s connections through [`Egress::dial`].
#[derive(Clone)]
pub(crate) struct Connector(Egress);

/// Why [`Connector`] could not connect: the message [`Egress::dial`] gave.
#[derive(Debug)]
pub(crate) struct DialError(pub(crate) String);

impl std::fmt::Display for DialError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DialError {}

impl tower_service::Service<http::Uri> for Connector {
    type Response = TokioIo<Conn>;
    type Error = DialError;
    type Future = Pin<Box<dyn Future<Output = Result<TokioIo<Conn>, DialError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), DialError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let egress = self.0.clone();
        Box::pin(async move {
            let tls = match uri.scheme_str() {
                Some("https") => true,
                Some("http") => false,
                _ => return Err(DialError(format!("fetch() failed: unsupported URL {uri}"))),
            };
            let host = uri
                .host()
                .ok_or_else(|| DialError(format!("fetch() failed: no host in {uri}")))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
            let dialed = egress
                .dial(host, port, tls, "fetch()")
                .await
                .map_err(DialError)?;
            Ok(TokioIo::new(dialed.conn))
        })
    }
}

/// Addresses no worker may connect to, whatever its `[outbound]` policy:
/// `hearth serve`'s admin API.
static RESERVED: std::sync::RwLock<Vec<SocketAddr>> = std::sync::RwLock::new(Vec::new());

/// Refuses every outbound connection of every worker to `addr` (and, for a
/// loopback or unspecified `addr`, to every local spelling of its port:
/// `0.0.0.0`, `[::]`, `127.0.0.1`, `::ffff:127.0.0.1` all reach it).
pub fn reserve(addr: SocketAddr) {
    RESERVED.write().expect("reserved list poisoned").push(addr);
}

/// Whether dialing `addr` would reach a [`reserve`]d address.
fn is_reserved(addr: SocketAddr) -> bool {
    let ip = addr.ip().to_canonical();
    let local = ip.is_loopback() || ip.is_unspecified();
    RESERVED
        .read()
        .expect("reserved list poisoned")
        .iter()
        .any(|r| {
            let rip = r.ip().to_canonical();
            r.port() == addr.port()
                && (rip == ip || local && (rip.is_loopback() || rip.is_unspecified()))
        })
}

/// The spellings under which a connection to `ip` is checked against the
/// policy: the address as resolved, the address normalized (an IPv4-mapped
/// or IPv4-compatible IPv6 address as IPv4; `0.0.0.0/8` and `::`, which
/// reach this host, as its loopback address) and, for this host, each of
/// its names (`localhost`, `127.0.0.1`, `::1`): denying one denies them all.
fn policy_names(ip: IpAddr) -> Vec<String> {
    let normal = match ip {
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            // `::a.b.c.d` (deprecated IPv4-compatible), but not `::1`.
            None if v6.segments()[..6] == [0; 6] && !v6.is_loopback() => {
                IpAddr::V4(v6.to_ipv4().expect("an IPv4-compatible address"))
            }
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    };
    let normal = match normal {
        IpAddr::V4(v4) if v4.octets()[0] == 0 => IpAddr::V4(Ipv4Addr::LOCALHOST),
        other => other,
    };
    let mut names = vec![ip.to_string()];
    let mut add = |name: String| {
        if !names.contains(&name) {
            names.push(name);
        }
    };
    add(normal.to_string());
    if normal.is_loopback() {
        for name in ["localhost", "127.0.0.1", "::1"] {
            add(name.to_string());
        }
    }
    names
}

/// The connection's `(remote, local)` addresses.
pub(crate) fn addresses(stream: &TcpStream) -> (String, String) {
    let address = |a: io::Result<SocketAddr>| a.map(|a| a.to_string()).unwrap_or_default();
    (address(stream.peer_addr()), address(stream.local_addr()))
}

fn display_host(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// A readable explanation of an I/O error.
pub(crate) fn io_message(e: &io::Error) -> String {
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

thread_local! {
    static TLS_CONFIGS: RefCell<HashMap<Option<PathBuf>, Arc<rustls::ClientConfig>>> =
        RefCell::new(HashMap::new());
}

/// The client TLS configuration trusting the webpki roots and `ca_bundle`
/// (built once per thread and bundle).
fn tls_config(ca_bundle: &Option<PathBuf>) -> Result<Arc<rustls::ClientConfig>, String> {
    if let Some(config) = TLS_CONFIGS.with(|c| c.borrow().get(ca_bundle).cloned()) {
        return Ok(config);
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_bundle {
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
    TLS_CONFIGS.with(|c| c.borrow_mut().insert(ca_bundle.clone(), config.clone()));
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::policy_names;

    #[test]
    fn every_spelling_of_this_host_is_checked_under_its_names() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "::",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "127.0.0.2",
            "::1",
        ] {
            let names = policy_names(ip.parse().unwrap());
            for name in ["localhost", "127.0.0.1", "::1"] {
                assert!(names.iter().any(|n| n == name), "{ip}: {names:?}");
            }
        }
        assert_eq!(
            policy_names("::ffff:10.0.0.1".parse().unwrap()),
            ["::ffff:10.0.0.1", "10.0.0.1"]
        );
        assert_eq!(policy_names("10.0.0.1".parse().unwrap()), ["10.0.0.1"]);
        assert_eq!(
            policy_names("2001:db8::1".parse().unwrap()),
            ["2001:db8::1"]
        );
    }
}
