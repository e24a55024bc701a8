//! The host test harness: one fake clock with timers and one executor that moves the clock to
//! the next timer whenever every task is waiting (shared by the engine's and the batch's
//! tests, so hours of simulated polling take milliseconds and every run repeats exactly), and
//! the literal-building helpers every validation test uses.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::value::{Fields, Val};

/// `Fields` from literal pairs.
pub(crate) fn fields_of(pairs: &[(&str, Val)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// A string value.
pub(crate) fn s(x: &str) -> Val {
    Val::Str(x.into())
}

/// Simulated time, in epoch milliseconds, and the timers tasks wait on.
pub(crate) struct FakeClock {
    now: Cell<f64>,
    timers: RefCell<Vec<f64>>,
}

impl FakeClock {
    pub(crate) fn starting_at(ms: f64) -> Self {
        FakeClock {
            now: Cell::new(ms),
            timers: RefCell::default(),
        }
    }

    pub(crate) fn now(&self) -> f64 {
        self.now.get()
    }

    /// Waits until `at`, or until `stop` if that comes first; true when stopped early.
    pub(crate) async fn until(&self, at: f64, stop: Option<f64>) -> bool {
        let wake = stop.map_or(at, |s| s.min(at));
        let mut registered = false;
        poll_fn(|_| {
            if self.now() >= wake {
                return Poll::Ready(());
            }
            if !registered {
                self.timers.borrow_mut().push(wake);
                registered = true;
            }
            Poll::Pending
        })
        .await;
        stop.is_some_and(|s| self.now() >= s)
    }

    /// Waits `ms` from now.
    pub(crate) async fn sleep(&self, ms: f64) {
        self.until(self.now() + ms, None).await;
    }

    /// Runs `f` to the end, moving the clock to the next timer whenever it waits.
    pub(crate) fn run<F: Future>(&self, f: F) -> F::Output {
        let mut f = pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            let mut timers = self.timers.borrow_mut();
            let (i, at) = timers
                .iter()
                .copied()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .expect("every task waits on nothing: deadlock");
            timers.swap_remove(i);
            self.now.set(self.now().max(at));
        }
    }
}
