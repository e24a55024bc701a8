//! Timers and aborts as futures: gloo-timers for the waiting, an `abort` listener for the
//! caller's `AbortSignal`, and `race` to put a piece of work against both. Dropping any of them
//! clears its timer and removes its listener, so a settled or aborted call leaves nothing behind
//! (a Node process with nothing else to do exits at once). Shared by the client and the proxy.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Poll, Waker};

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use super::convert::prop;

/// How a raced piece of work ended.
#[derive(Debug, PartialEq)]
pub(crate) enum Raced<T> {
    Done(T),
    TimedOut,
    Aborted,
}

/// `signal.aborted`, read through `Reflect` (`convert::prop`, which catches): a signal is only
/// duck-typed, and a getter that throws must not unwind through wasm.
pub(crate) fn is_aborted(signal: Option<&AbortSignal>) -> bool {
    signal.is_some_and(|s| prop(s, "aborted").as_bool() == Some(true))
}

/// Runs `work` until it finishes, `timeout_ms` passes (`None`: no limit) or `signal` fires,
/// whichever comes first. The loser is dropped at once: its timer cleared, its listener removed.
pub(crate) async fn race<F: Future>(
    work: F,
    timeout_ms: Option<u32>,
    signal: Option<&AbortSignal>,
) -> Raced<F::Output> {
    if is_aborted(signal) {
        return Raced::Aborted;
    }
    let mut work = pin!(work);
    let mut timer = timeout_ms.map(TimeoutFuture::new);
    let abort = signal.map(AbortWatch::new);
    poll_fn(|cx| {
        if let Poll::Ready(v) = work.as_mut().poll(cx) {
            return Poll::Ready(Raced::Done(v));
        }
        if let Some(t) = timer.as_mut() {
            if Pin::new(t).poll(cx).is_ready() {
                return Poll::Ready(Raced::TimedOut);
            }
        }
        match abort.as_ref() {
            Some(a) if a.fired(cx.waker()) => Poll::Ready(Raced::Aborted),
            _ => Poll::Pending,
        }
    })
    .await
}

/// Waits `ms` (a gloo-timers future), or less if `signal` fires: `Err(())` then.
pub(crate) async fn sleep(ms: u32, signal: Option<&AbortSignal>) -> Result<(), ()> {
    match race(TimeoutFuture::new(ms), None, signal).await {
        Raced::Done(()) => Ok(()),
        _ => Err(()),
    }
}

/// An `abort` listener on the caller's signal, removed on drop.
struct AbortWatch<'a> {
    signal: &'a AbortSignal,
    state: Rc<State>,
    listener: Option<Closure<dyn FnMut()>>,
}

#[derive(Default)]
struct State {
    fired: Cell<bool>,
    waker: Cell<Option<Waker>>,
}

impl<'a> AbortWatch<'a> {
    fn new(signal: &'a AbortSignal) -> Self {
        let state = Rc::new(State::default());
        let seen = state.clone();
        let listener = Closure::<dyn FnMut()>::new(move || {
            seen.fired.set(true);
            if let Some(w) = seen.waker.take() {
                w.wake();
            }
        });
        // A look-alike signal whose addEventListener throws is only read through `aborted`.
        let added = signal
            .add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref())
            .is_ok();
        AbortWatch {
            signal,
            state,
            listener: added.then_some(listener),
        }
    }

    /// True once the signal has fired; otherwise remembers who to wake.
    fn fired(&self, waker: &Waker) -> bool {
        if self.state.fired.get() || is_aborted(Some(self.signal)) {
            return true;
        }
        self.state.waker.set(Some(waker.clone()));
        false
    }
}

impl Drop for AbortWatch<'_> {
    fn drop(&mut self) {
        if let Some(l) = self.listener.take() {
            let _ = self
                .signal
                .remove_event_listener_with_callback("abort", l.as_ref().unchecked_ref());
        }
    }
}
