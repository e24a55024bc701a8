//! `upscaleMany` / `upscaleAll`: many upscale-and-wait items at once, within the account's
//! capacity. At most `concurrency` jobs are created and not yet finished (what the provider's
//! `maxJobs` counts); a 429 on submit is back-pressure, not failure; every item settles on its
//! own, in input order, and a job that was created keeps its id whatever happens next.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use crate::endpoint::UPSCALE;
use crate::engine::{self, Transport, WaitPlan};
use crate::error::{Error, ErrorKind, Result};
use crate::json::JsonObject;
use crate::response::{Job, JobDoc, JobStatus};
use crate::retry::backoff_ms;
use crate::value::{Fields, Val};

/// The request fields of image `index` of `source`, plus the shared `extras`.
pub(crate) fn image_request(source: &str, index: usize, extras: &Fields) -> Fields {
    let mut f = extras.clone();
    f.push(("jobid".to_string(), Val::Str(source.to_string())));
    f.push(("imageIndex".to_string(), Val::Num(index as f64)));
    f
}

/// How many images of the source job `upscaleAll` upscales: all it has (at most 4, the
/// highest `imageIndex` being 3), once it has completed.
pub fn source_images(job: &Job, images: usize) -> Result<usize> {
    match job.status {
        JobStatus::Completed => Ok(images.min(4)),
        _ => Err(Error::validation(
            "sourceJobid",
            format!(
                "must be a completed generation job; {} is {} (wait for it first, e.g. with generateAndWait)",
                job.jobid,
                job.status.as_str()
            ),
        )),
    }
}

/// `upscaleAll`'s requests: one per image of `source`, each with the same `extras`.
pub fn upscale_all_requests(
    source: &str,
    images: usize,
    extras: &Fields,
) -> Vec<Result<JsonObject>> {
    let mut requests = Vec::with_capacity(images);
    for i in 0..images {
        requests.push(UPSCALE.check(&image_request(source, i, extras)));
    }
    requests
}

/// Why one item failed: the error, and the job when one was created (so it is never lost).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFailure<D> {
    pub error: Error,
    /// The created job's id, when the item got that far.
    pub jobid: Option<String>,
    /// The last snapshot of the job seen, for a failed job (`job_failed`).
    pub job: Option<D>,
}

pub type ItemResult<D> = std::result::Result<D, ItemFailure<D>>;

/// `onUpdate`: an item's index and a job snapshot.
pub type OnUpdate<'a, D> = &'a mut dyn FnMut(usize, &JobDoc<D>);
/// Receives each item's outcome.
pub type Settle<'a, D> = &'a mut dyn FnMut(usize, ItemResult<D>);

/// One batch run's settings and platform.
pub struct Batch<'a, T> {
    /// Carries the caller's signal: waits, back-pressure sleeps and the check before each
    /// submit stop when it fires.
    pub transport: &'a T,
    /// The same platform without the signal, for the POST itself: a submit on its way
    /// finishes, so a job the server creates always gets its id into the result.
    pub submit_transport: &'a T,
    pub base_url: &'a str,
    pub concurrency: usize,
    /// Each item's wait.
    pub plan: WaitPlan,
    /// Time limit of each submit request.
    pub submit_timeout_ms: u32,
    /// After an abort, cancel each created job (through `submit_transport`, which the signal
    /// does not stop).
    pub cancel_on_abort: bool,
}

/// Runs every item; `settle(index, result)` receives each one's outcome as it settles (every
/// index exactly once). An invalid item (`Err`) settles at once and sends nothing.
/// `on_update` sees every job snapshot of every item (the created job, then each poll).
pub async fn upscale_many<T: Transport>(
    batch: &Batch<'_, T>,
    mut items: Vec<Result<JsonObject>>,
    on_update: OnUpdate<'_, T::Doc>,
    settle: Settle<'_, T::Doc>,
) where
    T::Doc: Clone,
{
    let settle = RefCell::new(settle);
    // Reversed, so `pop` hands the items out in input order.
    let mut queue = Vec::with_capacity(items.len());
    while let Some(item) = items.pop() {
        let index = items.len();
        match item {
            Ok(request) => queue.push((index, request)),
            Err(error) => (settle.borrow_mut())(index, Err(failure(error, None, None))),
        }
    }
    let workers = batch.concurrency.clamp(1, queue.len().max(1));
    let queue = RefCell::new(queue);
    let on_update = RefCell::new(on_update);
    join_all(workers, || worker(batch, &queue, &on_update, &settle)).await;
}

/// Takes the next item until none is left; so at most one job per worker is in flight.
async fn worker<T: Transport>(
    batch: &Batch<'_, T>,
    queue: &RefCell<Vec<(usize, JsonObject)>>,
    on_update: &RefCell<OnUpdate<'_, T::Doc>>,
    settle: &RefCell<Settle<'_, T::Doc>>,
) where
    T::Doc: Clone,
{
    loop {
        // The borrow ends before the item's first await.
        let next = queue.borrow_mut().pop();
        let Some((index, request)) = next else { return };
        let result = run_item(batch, index, &request, on_update).await;
        (settle.borrow_mut())(index, result);
    }
}

fn failure<D>(error: Error, jobid: Option<String>, job: Option<D>) -> ItemFailure<D> {
    ItemFailure { error, jobid, job }
}

/// One item: `POST /images/upscale`, submitted again after each 429 (which created nothing)
/// until it is accepted, the signal fires, or the item's `timeoutMs` would pass; then the wait.
async fn run_item<T: Transport>(
    batch: &Batch<'_, T>,
    index: usize,
    request: &JsonObject,
    on_update: &RefCell<OnUpdate<'_, T::Doc>>,
) -> ItemResult<T::Doc>
where
    T::Doc: Clone,
{
    let fail = failure;
    let deadline = batch.transport.now_ms() + batch.plan.timeout_ms as f64;
    let mut attempt = 0;
    let created = loop {
        if batch.transport.is_aborted() {
            return Err(fail(Error::Aborted, None, None));
        }
        let policy = &batch.plan.policy;
        let timeout = batch.submit_timeout_ms;
        let sent = engine::submit(
            batch.submit_transport,
            batch.base_url,
            &UPSCALE,
            request.clone(),
            timeout,
            policy,
            false,
        );
        let e = match sent.await {
            Ok(created) => break created,
            Err(e) if e.kind() == ErrorKind::RateLimited => e,
            Err(e) => return Err(fail(e, None, None)),
        };
        let delay = capacity_delay(batch, attempt, e.retry_after_ms());
        if batch.transport.now_ms() + delay as f64 >= deadline {
            return Err(fail(
                capacity_exhausted(e, batch.plan.timeout_ms),
                None,
                None,
            ));
        }
        if let Err(e) = batch.transport.sleep(delay).await {
            return Err(fail(e, None, None));
        }
        attempt += 1;
    };
    (on_update.borrow_mut())(index, &created);
    let jobid = created.job.jobid;
    if batch.transport.is_aborted() {
        return Err(fail(
            aborted_after_creation(batch, &jobid).await,
            Some(jobid),
            None,
        ));
    }
    let last = RefCell::new(None);
    let waited = engine::wait_for_job(batch.transport, batch.base_url, &jobid, &batch.plan, |f| {
        last.replace(Some(f.doc.clone()));
        (on_update.borrow_mut())(index, f)
    })
    .await;
    match waited {
        Ok(done) => Ok(done.doc),
        // Aborted between polls or with a poll on its way: either way the job exists.
        Err(e) if e.kind() == ErrorKind::Aborted => Err(fail(
            aborted_after_creation(batch, &jobid).await,
            Some(jobid),
            None,
        )),
        Err(error) => {
            let job = matches!(error, Error::JobFailed { .. } | Error::Cancelled { .. })
                .then(|| last.into_inner())
                .flatten();
            Err(fail(error, Some(jobid), job))
        }
    }
}

/// How long to wait after a 429 on submit: what the server asked, but never less than the
/// client's jittered backoff (so a `Retry-After: 0` does not spin, and waiting items spread out).
fn capacity_delay<T: Transport>(
    batch: &Batch<'_, T>,
    attempt: u32,
    retry_after_ms: Option<u64>,
) -> u32 {
    let backoff = backoff_ms(
        &batch.plan.policy,
        attempt.min(30),
        batch.transport.random(),
    );
    match retry_after_ms {
        Some(ms) => (ms.min(u32::MAX as u64) as u32).max(backoff),
        None => backoff,
    }
}

/// An item aborted after its job was created: with `cancel_on_abort`, the job is cancelled
/// first (best effort; the message says how it went).
async fn aborted_after_creation<T: Transport>(batch: &Batch<'_, T>, jobid: &str) -> Error {
    let what_now = match batch.cancel_on_abort {
        false => "it may still complete (wait for it with waitForJob)".to_string(),
        true => {
            let (timeout, policy) = (batch.submit_timeout_ms, &batch.plan.policy);
            engine::cancel_after_abort(
                batch.submit_transport,
                batch.base_url,
                jobid,
                timeout,
                policy,
            )
            .await
        }
    };
    Error::AbortedInFlight {
        message: format!("The batch was aborted after job {jobid} was created; {what_now}"),
    }
}

/// A 429 that outlasted an item's time limit.
fn capacity_exhausted(e: Error, timeout_ms: u32) -> Error {
    match e {
        Error::Api {
            kind,
            status,
            message,
            retry_after_ms,
            from_provider,
        } => Error::Api {
            kind,
            status,
            message: format!(
                "{message} (still at capacity after waiting up to the item's timeoutMs of {timeout_ms} ms; nothing was created)"
            ),
            retry_after_ms,
            from_provider,
        },
        other => other,
    }
}

/// Runs futures side by side on the current task and waits for them all: every wake polls
/// each one still running (a batch has at most 50), so no executor or extra crate is needed.
pub async fn join_all<F: Future<Output = ()>>(count: usize, mut start: impl FnMut() -> F) {
    let mut running: Vec<Option<Pin<Box<F>>>> = Vec::with_capacity(count);
    for _ in 0..count {
        running.push(Some(Box::pin(start())));
    }
    poll_fn(|cx| {
        let mut pending = false;
        for slot in running.iter_mut() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    Poll::Ready(()) => *slot = None,
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
