//! The request/retry loop and the poll loop, written against a small `Transport` trait so they
//! run on the host with a fake clock in tests, and on `fetch` + timers in wasm.

use crate::endpoint::{Answers, Endpoint, Method, CANCEL, GET_JOB, UPLOAD_IMAGE};
use crate::error::{Error, ErrorKind, Result};
use crate::json::JsonObject;
use crate::poll;
use crate::response::{classify_response, Job, JobDoc, JobStatus, Response};
use crate::retry::{ambiguous_post_note, next_delay, RetryPolicy};
use crate::upload::ImageType;

/// One HTTP request as the engine asks for it. The transport adds the token and headers.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    /// A JSON object body (sent with `Content-Type: application/json`).
    pub body: Option<JsonObject>,
    /// A picture body of this type instead: its bytes stay in JS, held by the transport of
    /// the call, and are sent with this `Content-Type`.
    pub picture: Option<ImageType>,
    pub timeout_ms: u32,
    /// What a successful answer must be.
    pub answers: Answers,
}

impl HttpRequest {
    /// A request to `endpoint` (with `segment`, a job id, for a `Path::Segment` one).
    pub fn to(
        endpoint: &Endpoint,
        base_url: &str,
        segment: &str,
        body: Option<JsonObject>,
        timeout_ms: u32,
    ) -> Self {
        HttpRequest {
            method: endpoint.method,
            url: endpoint.url(base_url, segment),
            body,
            picture: None,
            timeout_ms,
            answers: endpoint.answers,
        }
    }
}

/// What the engine needs from the outside world. Implementations own the caller's abort signal:
/// `send` and `sleep` fail with `Error::Aborted` as soon as it fires.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// The parsed body handed back to the caller (the JS object in wasm).
    type Doc;
    /// Sends one request and parses its body once; errors are `Network`, `Timeout` (no status)
    /// or `Aborted`.
    async fn send(&self, req: &HttpRequest) -> Result<(Response, Self::Doc)>;
    async fn sleep(&self, ms: u32) -> Result<()>;
    /// Unix epoch milliseconds.
    fn now_ms(&self) -> f64;
    /// A number in [0, 1) for jitter.
    fn random(&self) -> f64;
    fn is_aborted(&self) -> bool;
}

/// Sends `req`, retrying what `policy` allows, and classifies the answer: the job it holds
/// (for an endpoint that answers one) and the parsed document. No attempt or retry sleep
/// reaches past `deadline_ms` (epoch ms; `f64::INFINITY` for none). A 429 is retried only when
/// `retry_rate_limits` (a batch waits out a full account itself): a flag, not a closure, so the
/// loop is compiled once.
pub async fn send<T: Transport>(
    t: &T,
    req: &HttpRequest,
    policy: &RetryPolicy,
    deadline_ms: f64,
    retry_rate_limits: bool,
) -> Result<(Option<Job>, T::Doc)> {
    let mut attempt = 0;
    loop {
        if t.is_aborted() {
            return Err(Error::Aborted);
        }
        let left = deadline_ms - t.now_ms();
        let clamped;
        let req = if left.is_finite() && left < req.timeout_ms as f64 {
            clamped = HttpRequest {
                timeout_ms: left.max(1.0).ceil() as u32,
                ..req.clone()
            };
            &clamped
        } else {
            req
        };
        let outcome = match t.send(req).await {
            Ok((response, doc)) => {
                classify_response(&response, t.now_ms(), req.answers).map(|job| (job, doc))
            }
            Err(e) => Err(e),
        };
        let err = match outcome {
            Ok(answer) => return Ok(answer),
            Err(e) => e,
        };
        let delay = match retry_rate_limits || err.kind() != ErrorKind::RateLimited {
            true => next_delay(policy, req.method, &err, attempt, t.random()),
            false => None,
        };
        match delay {
            Some(delay) if t.now_ms() + (delay as f64) < deadline_ms => {
                t.sleep(delay).await?;
                attempt += 1;
            }
            _ => return Err(err),
        }
    }
}

/// A job-creating POST of `body` to `endpoint`: repeated only when the server certainly did
/// not take it (and, unless `retry_rate_limits`, not after a 429, which the caller then
/// handles). An ambiguous failure says the job may exist. Creates one job, never two.
pub async fn submit<T: Transport>(
    t: &T,
    base_url: &str,
    endpoint: &Endpoint,
    body: JsonObject,
    timeout_ms: u32,
    policy: &RetryPolicy,
    retry_rate_limits: bool,
) -> Result<JobDoc<T::Doc>> {
    let req = HttpRequest::to(endpoint, base_url, "", Some(body), timeout_ms);
    send(t, &req, policy, f64::INFINITY, retry_rate_limits)
        .await
        .and_then(job_doc)
        .map_err(|e| match ambiguous_post_note(&e) {
            Some(note) => e.with_note(note),
            None => e,
        })
}

/// `GET /images/{jobid}`, with no attempt past `deadline_ms` (`f64::INFINITY` for none).
pub async fn get_job<T: Transport>(
    t: &T,
    base_url: &str,
    jobid: &str,
    timeout_ms: u32,
    policy: &RetryPolicy,
    deadline_ms: f64,
) -> Result<JobDoc<T::Doc>> {
    let req = HttpRequest::to(&GET_JOB, base_url, jobid, None, timeout_ms);
    send(t, &req, policy, deadline_ms, true)
        .await
        .and_then(job_doc)
}

/// One call of any endpoint (a `Path::Segment` one with `segment`): its parsed document.
pub async fn call<T: Transport>(
    t: &T,
    endpoint: &Endpoint,
    base_url: &str,
    segment: &str,
    timeout_ms: u32,
    policy: &RetryPolicy,
) -> Result<T::Doc> {
    let req = HttpRequest::to(endpoint, base_url, segment, None, timeout_ms);
    Ok(send(t, &req, policy, f64::INFINITY, true).await?.1)
}

/// What an upload failure that may have reached the API says.
pub const UPLOAD_NOTE: &str = "The picture may have been uploaded; it was not sent again";

/// `POST /assets/{account}` of a picture of type `picture` (its bytes are the transport's):
/// repeated only when the server certainly did not take it, as a job-creating POST; a failure
/// that may have reached the API says so. Answers the asset object.
pub async fn upload<T: Transport>(
    t: &T,
    base_url: &str,
    account: &str,
    picture: ImageType,
    timeout_ms: u32,
    policy: &RetryPolicy,
) -> Result<T::Doc> {
    let req = HttpRequest {
        picture: Some(picture),
        ..HttpRequest::to(&UPLOAD_IMAGE, base_url, account, None, timeout_ms)
    };
    match send(t, &req, policy, f64::INFINITY, true).await {
        Ok((_, asset)) => Ok(asset),
        Err(e) if ambiguous_post_note(&e).is_some() => Err(e.with_note(UPLOAD_NOTE)),
        Err(e) => Err(e),
    }
}

/// After an abort, cancels `jobid` (`DELETE /scheduler/{jobid}`) through `t`, a transport the
/// caller's signal does not stop, and says how that went, to be added to the abort's message.
/// Best effort: never an error of its own.
pub async fn cancel_after_abort<T: Transport>(
    t: &T,
    base_url: &str,
    jobid: &str,
    timeout_ms: u32,
    policy: &RetryPolicy,
) -> String {
    match call(t, &CANCEL, base_url, jobid, timeout_ms, policy).await {
        Ok(_) => format!("job {jobid} was cancelled"),
        Err(e) => format!(
            "cancelling job {jobid} failed ({e}), so it may still complete (wait for it with waitForJob)"
        ),
    }
}

/// The job of an answer from an endpoint that answers one.
fn job_doc<D>((job, doc): (Option<Job>, D)) -> Result<JobDoc<D>> {
    match job {
        Some(job) => Ok(JobDoc { job, doc }),
        // `classify_response` reads a job for every endpoint that answers one.
        None => Err(Error::InvalidResponse {
            status: 200,
            message: "The API answered without a job".into(),
        }),
    }
}

/// Settings of one wait.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitPlan {
    pub poll_interval_ms: Option<u32>,
    pub timeout_ms: u32,
    pub request_timeout_ms: u32,
    pub policy: RetryPolicy,
    /// Sleep before the first poll (a job that was just created is not done yet).
    pub skip_first_poll: bool,
}

/// Polls a job until it completes (Ok), fails (`JobFailed`), or the wait times out or is aborted.
/// `on_update` sees every job snapshot fetched.
pub async fn wait_for_job<T: Transport>(
    t: &T,
    base_url: &str,
    jobid: &str,
    plan: &WaitPlan,
    mut on_update: impl FnMut(&JobDoc<T::Doc>),
) -> Result<JobDoc<T::Doc>> {
    wait_loop(t, base_url, jobid, plan, &mut on_update).await
}

/// The body of `wait_for_job`, taking the callback as `dyn` so the loop is compiled once per
/// transport, not once per caller's closure.
async fn wait_loop<T: Transport>(
    t: &T,
    base_url: &str,
    jobid: &str,
    plan: &WaitPlan,
    on_update: &mut dyn FnMut(&JobDoc<T::Doc>),
) -> Result<JobDoc<T::Doc>> {
    let deadline = t.now_ms() + plan.timeout_ms as f64;
    let mut polls: u32 = 0;
    let mut last_status = String::from("not yet polled");
    // Position in the poll schedule. A job that was just created is not done yet, so its
    // first look is the schedule's first delay away; otherwise look at once.
    let mut turn: u32 = 0;
    let mut delay = 0;
    // Whether the server has answered in this wait (the POST just did, after a submission).
    let mut reachable = plan.skip_first_poll;
    if plan.skip_first_poll {
        delay = poll::delay_before(turn, plan.poll_interval_ms);
        turn += 1;
    }
    loop {
        t.sleep(poll::clamp_to_deadline(delay, t.now_ms(), deadline))
            .await?;
        let left = deadline - t.now_ms();
        if left <= 0.0 {
            return Err(wait_timeout(jobid, plan.timeout_ms, polls, &last_status));
        }
        let usual = poll::delay_before(turn, plan.poll_interval_ms);
        turn += 1;
        polls += 1;
        let poll = get_job(
            t,
            base_url,
            jobid,
            plan.request_timeout_ms,
            &plan.policy,
            deadline,
        );
        match poll.await {
            Ok(answer) => {
                reachable = true;
                on_update(&answer);
                last_status = answer.job.status.as_str().to_string();
                match answer.job.status {
                    JobStatus::Completed => return Ok(answer),
                    JobStatus::Failed => return Err(job_failed(answer)),
                    _ => delay = usual,
                }
            }
            Err(e) if e.kind() == ErrorKind::RateLimited => {
                delay = poll::delay_after_rate_limit(usual, e.retry_after_ms())
            }
            Err(_) if t.now_ms() >= deadline => {
                return Err(wait_timeout(jobid, plan.timeout_ms, polls, &last_status))
            }
            // A poll that stayed unanswered or cut off through its retries, on a server that
            // has answered before: the job may be fine, so a network blip does not end a long
            // wait; poll again at the next turn. (A server never reached is a setup problem:
            // that error is returned at once.)
            Err(Error::Timeout { .. } | Error::Network { .. }) if reachable => delay = usual,
            Err(e) => return Err(e),
        }
    }
}

/// The reason the provider gives a job that `DELETE /scheduler/{jobid}` cancelled.
pub const CANCELLED_REASON: &str = "Cancelled by user";

/// The wasm layer attaches the failed job itself (it saw it through `on_update`).
fn job_failed<D>(answer: JobDoc<D>) -> Error {
    let reason = answer.job.error.unwrap_or_else(|| "no reason given".into());
    let message = format!("Job {} failed: {reason}", answer.job.jobid);
    match reason.trim().eq_ignore_ascii_case(CANCELLED_REASON) {
        true => Error::Cancelled { message },
        false => Error::JobFailed { message },
    }
}

fn wait_timeout(jobid: &str, timeout_ms: u32, polls: u32, last_status: &str) -> Error {
    Error::Timeout {
        message: format!(
            "Job {jobid} did not complete within {timeout_ms} ms ({polls} polls, last status: {last_status}); it may still finish, wait for it again with the same jobid"
        ),
        status: None,
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
