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
