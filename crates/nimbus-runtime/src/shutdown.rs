//! Graceful shutdown: one signal broadcast to every task, and a way to wait
//! until all of them have finished (mini-redis's broadcast + drop-signal).
//!
//! ```
//! # async fn demo() {
//! use nimbus_runtime::Shutdown;
//! let shutdown = Shutdown::new();
//! let mut listener = shutdown.listener();
//! tokio::spawn(async move {
//!     // serve until told to stop, then finish in-flight work
//!     listener.recv().await;
//!     // `listener` dropped here: this task is done
//! });
//! shutdown.shutdown().await; // signal, then wait for every listener to drop
//! # }
//! ```

use tokio::sync::{mpsc, watch};

/// Owned by whoever decides when to stop (the binary's signal handler).
pub struct Shutdown {
    /// `true` once shutdown has begun; every listener watches it.
    signal: watch::Sender<bool>,
    /// Cloned into each listener; the channel closes when all are dropped.
    done_tx: mpsc::Sender<()>,
    done_rx: mpsc::Receiver<()>,
}

/// Held by each task that must finish before the process exits.
#[derive(Clone)]
pub struct ShutdownListener {
    signal: watch::Receiver<bool>,
    /// Never sent on: dropping it tells [`Shutdown::shutdown`] this task is done.
    _done: mpsc::Sender<()>,
}

/// Starts shutdown from anywhere (a second signal handler, an internal endpoint).
#[derive(Clone)]
pub struct ShutdownTrigger {
    signal: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        let (signal, _) = watch::channel(false);
        let (done_tx, done_rx) = mpsc::channel(1);
        Shutdown {
            signal,
            done_tx,
            done_rx,
        }
    }

    /// A listener for one task; the task keeps it until its work is done.
    pub fn listener(&self) -> ShutdownListener {
        ShutdownListener {
            signal: self.signal.subscribe(),
            _done: self.done_tx.clone(),
        }
    }

    pub fn trigger(&self) -> ShutdownTrigger {
        ShutdownTrigger {
            signal: self.signal.clone(),
        }
    }

    /// Signals every listener, then waits until all of them are dropped.
    pub async fn shutdown(self) {
        let Shutdown {
            signal,
            done_tx,
            mut done_rx,
        } = self;
        signal.send_replace(true);
        drop(done_tx);
        // `None` once every listener is gone.
        let _ = done_rx.recv().await;
    }
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        self.signal.send_replace(true);
    }
}

impl ShutdownListener {
    pub fn is_shutdown(&self) -> bool {
        *self.signal.borrow()
    }

    /// Completes once shutdown has begun (at once if it already has).
    pub async fn recv(&mut self) {
        // An error means the `Shutdown` itself is gone: stop as well.
        let _ = self.signal.wait_for(|stopping| *stopping).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn shutdown_waits_for_every_listener_to_finish() {
        let shutdown = Shutdown::new();
        let finished = Arc::new(AtomicUsize::new(0));
        for _ in 0..3 {
            let mut listener = shutdown.listener();
            let finished = finished.clone();
            tokio::spawn(async move {
                listener.recv().await;
                tokio::task::yield_now().await; // in-flight work
                finished.fetch_add(1, Ordering::SeqCst);
            });
        }
        shutdown.shutdown().await;
        assert_eq!(finished.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_trigger_starts_shutdown_and_late_listeners_see_it() {
        let shutdown = Shutdown::new();
        let listener = shutdown.listener();
        assert!(!listener.is_shutdown());
        shutdown.trigger().trigger();
        assert!(listener.is_shutdown());
        let mut late = shutdown.listener();
        late.recv().await;
        drop((listener, late));
        shutdown.shutdown().await;
    }
}
