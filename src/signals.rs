//! The stop signals every long-running command listens to: SIGTERM, SIGINT
//! and SIGHUP (a closed terminal). One watcher for the headless consumer,
//! the dashboard and the wizard; each decides what a signal means.

use tokio::task::JoinHandle;

/// Calls `on_signal` for every stop signal until it returns false or the
/// task is aborted. Must be called inside a tokio runtime.
pub fn watch(mut on_signal: impl FnMut() -> bool + Send + 'static) -> JoinHandle<()> {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
                signal(SignalKind::hangup()),
            ) else {
                tracing::warn!("cannot listen for signals");
                return;
            };
            loop {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                    _ = hup.recv() => {}
                }
                if !on_signal() {
                    return;
                }
            }
        }
        #[cfg(not(unix))]
        loop {
            if tokio::signal::ctrl_c().await.is_err() || !on_signal() {
                return;
            }
        }
    })
}
