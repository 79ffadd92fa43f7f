//! Ctrl-C and SIGTERM: a clean stop once serving, with a grace period.

use anyhow::{Context, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Ctrl-C and SIGTERM handling. Before the server is up a signal exits at
/// once (there is nothing to shut down cleanly); once serving it asks the
/// main loop to shut down, and exits anyway after its grace or on a second
/// signal.
pub(crate) struct StopOnSignal {
    serving: Arc<AtomicBool>,
}

impl StopOnSignal {
    /// Handles the signals from now on; `stop` asks the main loop to stop.
    pub(crate) fn install(
        grace: Duration,
        stop: impl Fn() + Send + 'static,
    ) -> Result<StopOnSignal> {
        use tokio::signal::unix::{signal, SignalKind};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // Registered here, on the caller's thread: a signal arriving before
        // registration would kill the process with the default action.
        let (mut int, mut term) = {
            let _entered = rt.enter();
            (
                signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
                signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            )
        };
        let serving = Arc::new(AtomicBool::new(false));
        let up = serving.clone();
        std::thread::Builder::new()
            .name("hearth-signals".into())
            .spawn(move || {
                rt.block_on(async {
                    let next = async {
                        tokio::select! {
                            _ = int.recv() => {}
                            _ = term.recv() => {}
                        }
                    };
                    next.await;
                    if !up.load(Ordering::SeqCst) {
                        std::process::exit(0);
                    }
                    stop();
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                        _ = tokio::time::sleep(grace) => {
                            tracing::warn!(
                                "did not shut down within {grace:?}; exiting anyway"
                            );
                        }
                    }
                    std::process::exit(0);
                })
            })?;
        Ok(StopOnSignal { serving })
    }

    /// The server is up: from now on a signal shuts it down cleanly.
    pub(crate) fn serving(&self) {
        self.serving.store(true, Ordering::SeqCst);
    }
}
