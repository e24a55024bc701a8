//! Futures that end when the caller's `AbortSignal` fires, and timers that honour it. Every
//! listener and timer is removed on drop, so nothing keeps a process alive after a call.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::oneshot;
use futures_util::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use crate::error::{Error, Result};

/// Resolves when the signal aborts; pending forever without a signal.
pub struct AbortWatch {
    inner: Option<Listening>,
}

/// The signal, the listener registered on it, and the channel the listener fires.
struct Listening {
    signal: AbortSignal,
    closure: Closure<dyn FnMut()>,
    rx: oneshot::Receiver<()>,
}

impl AbortWatch {
    pub fn new(signal: Option<&AbortSignal>) -> Self {
        let Some(signal) = signal else {
            return AbortWatch { inner: None };
        };
        let (tx, rx) = oneshot::channel();
        let mut tx = Some(tx);
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(tx) = tx.take() {
                let _ = tx.send(());
            }
        });
        let _ = signal.add_event_listener_with_callback("abort", closure.as_ref().unchecked_ref());
        AbortWatch {
            inner: Some(Listening {
                signal: signal.clone(),
                closure,
                rx,
            }),
        }
    }
}

impl Future for AbortWatch {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.inner.as_mut() {
            Some(l) if l.signal.aborted() => Poll::Ready(()),
            Some(l) => Pin::new(&mut l.rx).poll(cx).map(|_| ()),
            None => Poll::Pending,
        }
    }
}

impl Drop for AbortWatch {
    fn drop(&mut self) {
        if let Some(l) = self.inner.take() {
            let callback = l.closure.as_ref().unchecked_ref();
            let _ = l
                .signal
                .remove_event_listener_with_callback("abort", callback);
        }
    }
}

/// Sleeps `ms`, or fails with `Aborted` as soon as the signal fires (clearing the timer).
pub async fn sleep(ms: u32, signal: Option<&AbortSignal>) -> Result<()> {
    if signal.is_some_and(|s| s.aborted()) {
        return Err(Error::Aborted);
    }
    match select(TimeoutFuture::new(ms), AbortWatch::new(signal)).await {
        Either::Left(_) => Ok(()),
        Either::Right(_) => Err(Error::Aborted),
    }
}
