//! The hand-over of a client's upgraded connection: a response carrying a
//! WebSocket holds an [`UpgradeLink`], through which the server passes the
//! connection once the 101 has gone out.

use hyper::upgrade::Upgraded;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Where the server sends a client's upgraded connection once the 101
/// response has gone out. Cloneable so it can ride in `http::Extensions`;
/// taken exactly once.
#[derive(Clone, Debug)]
pub struct UpgradeLink(pub Arc<Mutex<Option<oneshot::Sender<Upgraded>>>>);

impl UpgradeLink {
    pub(crate) fn new(tx: oneshot::Sender<Upgraded>) -> Self {
        UpgradeLink(Arc::new(Mutex::new(Some(tx))))
    }

    /// Hands over the upgraded connection.
    pub fn connect(&self, upgraded: Upgraded) {
        if let Some(tx) = self.0.lock().expect("upgrade link poisoned").take() {
            let _ = tx.send(upgraded);
        }
    }
}
