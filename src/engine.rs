//! The request/retry loop and the poll loop, written against a small `Transport` trait so they
//! run on the host with a fake clock in tests, and on `fetch` + timers in wasm.

use crate::endpoint::{Endpoint, Method, GET_JOB};
use crate::error::{Error, ErrorKind, Result};
use crate::json::JsonObject;
use crate::poll;
use crate::response::{classify_response, JobDoc, JobStatus, Response};
use crate::retry::{ambiguous_post_note, next_delay, RetryPolicy};

/// One HTTP request as the engine asks for it. The transport adds the token and headers.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    /// A JSON object body (sent with `Content-Type: application/json`).
    pub body: Option<JsonObject>,
    pub timeout_ms: u32,
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

/// Sends `req`, retrying what `policy` allows, and classifies the answer. No attempt or retry
/// sleep reaches past `deadline_ms` (epoch ms; `f64::INFINITY` for none).
pub async fn send_with_retries<T: Transport>(
    t: &T,
    req: &HttpRequest,
    policy: &RetryPolicy,
    deadline_ms: f64,
) -> Result<JobDoc<T::Doc>> {
    send_with_retries_where(t, req, policy, deadline_ms, true).await
}

/// `send_with_retries`; a 429 is retried only when `retry_rate_limits` (a batch waits out a
/// full account itself). A flag, not a closure, so the loop is compiled once.
pub async fn send_with_retries_where<T: Transport>(
    t: &T,
    req: &HttpRequest,
    policy: &RetryPolicy,
    deadline_ms: f64,
    retry_rate_limits: bool,
) -> Result<JobDoc<T::Doc>> {
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
                classify_response(&response, t.now_ms()).map(|job| JobDoc { job, doc })
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
    let req = HttpRequest {
        method: endpoint.method,
        url: endpoint.url(base_url, ""),
        body: Some(body),
        timeout_ms,
    };
    send_with_retries_where(t, &req, policy, f64::INFINITY, retry_rate_limits)
        .await
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
    let req = HttpRequest {
        method: GET_JOB.method,
        url: GET_JOB.url(base_url, jobid),
        body: None,
        timeout_ms,
    };
    send_with_retries(t, &req, policy, deadline_ms).await
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

/// The wasm layer attaches the failed job itself (it saw it through `on_update`).
fn job_failed<D>(answer: JobDoc<D>) -> Error {
    let reason = answer.job.error.unwrap_or_else(|| "no reason given".into());
    Error::JobFailed {
        message: format!("Job {} failed: {reason}", answer.job.jobid),
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
mod tests {
    use super::*;
    use crate::endpoint::{GENERATE, UPSCALE};
    use crate::json::json_text;
    use crate::response::TextResponse;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    /// Runs a future whose awaits never really wait (the fake transport answers at once).
    fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }

    type Answer = Result<TextResponse>;

    /// A scripted server on a fake clock: each request takes `latency_ms`.
    struct Fake {
        answers: RefCell<VecDeque<Answer>>,
        sent: RefCell<Vec<HttpRequest>>,
        sleeps: RefCell<Vec<u32>>,
        clock: Cell<f64>,
        abort_after_sends: Cell<Option<usize>>,
        latency_ms: f64,
    }

    impl Fake {
        fn new(answers: Vec<Answer>) -> Self {
            Fake {
                answers: RefCell::new(answers.into()),
                sent: RefCell::default(),
                sleeps: RefCell::default(),
                clock: Cell::new(1_000_000.0),
                abort_after_sends: Cell::new(None),
                latency_ms: 10.0,
            }
        }
    }

    impl Transport for Fake {
        type Doc = String;
        async fn send(&self, req: &HttpRequest) -> Result<(Response, String)> {
            self.sent.borrow_mut().push(req.clone());
            self.clock.set(self.clock.get() + self.latency_ms);
            let answer = self.answers.borrow_mut().pop_front().unwrap_or_else(|| {
                Err(Error::Network {
                    message: "script ran out".into(),
                    not_sent: false,
                })
            });
            answer.map(|resp| (resp.to_response(), resp.body))
        }
        async fn sleep(&self, ms: u32) -> Result<()> {
            if self.is_aborted() {
                return Err(Error::Aborted);
            }
            self.sleeps.borrow_mut().push(ms);
            self.clock.set(self.clock.get() + ms as f64);
            Ok(())
        }
        fn now_ms(&self) -> f64 {
            self.clock.get()
        }
        fn random(&self) -> f64 {
            0.5
        }
        fn is_aborted(&self) -> bool {
            self.abort_after_sends
                .get()
                .is_some_and(|n| self.sent.borrow().len() >= n)
        }
    }

    const POLICY: RetryPolicy = RetryPolicy {
        max_retries: 3,
        base_delay_ms: 100,
        max_delay_ms: 1000,
        max_retry_after_ms: 60_000,
    };
    const BASE: &str = "http://127.0.0.1:1/v1/dreamina";

    fn job(status: &str) -> Answer {
        Ok(TextResponse {
            status: 200,
            body: format!(r#"{{"jobid":"j1I","status":"{status}","error":"fail_code: 2043"}}"#),
            ..Default::default()
        })
    }

    fn status(code: u16, body: &str) -> Answer {
        Ok(TextResponse {
            status: code,
            body: body.into(),
            ..Default::default()
        })
    }

    fn net(not_sent: bool) -> Answer {
        Err(Error::Network {
            message: "fetch failed".into(),
            not_sent,
        })
    }

    fn req() -> JsonObject {
        UPSCALE
            .check(&vec![(
                "jobid".into(),
                crate::value::Val::Str("j1i".into()),
            )])
            .unwrap()
    }

    fn upscale(t: &Fake) -> Result<JobDoc<String>> {
        block_on(submit(t, BASE, &UPSCALE, req(), 1000, &POLICY, true))
    }

    #[test]
    fn get_retries_then_succeeds() {
        let t = Fake::new(vec![
            net(false),
            status(503, "<html>"),
            status(502, "{}"),
            job("created"),
        ]);
        let f = block_on(get_job(&t, BASE, "j/1", 1000, &POLICY, f64::INFINITY)).unwrap();
        assert_eq!(f.job.status, JobStatus::Created);
        assert_eq!(t.sent.borrow().len(), 4);
        assert_eq!(t.sent.borrow()[0].url, format!("{BASE}/images/j%2F1"));
        assert_eq!(*t.sleeps.borrow(), vec![75, 150, 300]);
    }

    #[test]
    fn get_gives_up_after_max_retries() {
        let t = Fake::new(vec![
            status(500, ""),
            status(500, ""),
            status(500, ""),
            status(500, r#"{"error":"down"}"#),
        ]);
        let e = block_on(get_job(&t, BASE, "j", 1000, &POLICY, f64::INFINITY)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.to_string(), "down");
        assert_eq!(t.sent.borrow().len(), 4);
    }

    #[test]
    fn post_is_never_repeated_after_an_ambiguous_failure() {
        for answer in [
            net(false),
            Err(Error::Timeout {
                message: "timed out".into(),
                status: None,
            }),
            status(500, ""),
            status(502, ""),
            status(504, ""),
            status(503, r#"{"error":"x"}"#),
            status(200, "<html>"),
        ] {
            let t = Fake::new(vec![answer, job("created")]);
            let e = upscale(&t).unwrap_err();
            assert_eq!(t.sent.borrow().len(), 1, "{e:?}");
            if matches!(
                e.kind(),
                ErrorKind::Network | ErrorKind::Timeout | ErrorKind::InvalidResponse
            ) {
                assert!(e.to_string().contains("may have been created"), "{e}");
            }
        }
    }

    #[test]
    fn post_is_retried_when_nothing_was_accepted() {
        let mut limited = TextResponse {
            status: 429,
            body: r#"{"error":"busy"}"#.into(),
            ..Default::default()
        };
        limited.retry_after = Some("2".into());
        let t = Fake::new(vec![
            Ok(limited),
            status(503, ""),
            net(true),
            job("created"),
        ]);
        let f = upscale(&t).unwrap();
        assert_eq!(f.job.jobid, "j1I");
        assert_eq!(t.sent.borrow().len(), 4);
        assert_eq!(t.sleeps.borrow()[0], 2000);
        assert_eq!(
            t.sent.borrow()[0].body.as_ref().map(json_text).as_deref(),
            Some(r#"{"jobid":"j1i"}"#)
        );
    }

    #[test]
    fn generate_posts_to_images_under_the_same_retry_rule() {
        let fields = vec![("prompt".into(), crate::value::Val::Str("a fox".into()))];
        let r = GENERATE.check(&fields).unwrap();
        let t = Fake::new(vec![status(429, "{}"), net(true), job("created")]);
        block_on(submit(&t, BASE, &GENERATE, r.clone(), 1000, &POLICY, true)).unwrap();
        let sent = t.sent.borrow();
        assert_eq!(
            sent.len(),
            3,
            "a 429 and a refused connection created nothing"
        );
        assert!(sent.iter().all(|r| r.url == format!("{BASE}/images")));
        let body = sent[0].body.as_ref().map(json_text);
        assert_eq!(body.as_deref(), Some(r#"{"prompt":"a fox"}"#));
        for answer in [net(false), status(500, ""), status(200, "<html>")] {
            let t = Fake::new(vec![answer, job("created")]);
            let e =
                block_on(submit(&t, BASE, &GENERATE, r.clone(), 1000, &POLICY, true)).unwrap_err();
            assert_eq!(t.sent.borrow().len(), 1, "{e:?}");
        }
    }

    #[test]
    fn a_submit_can_leave_rate_limits_to_its_caller() {
        let t = Fake::new(vec![status(429, "{}"), job("created")]);
        let e = block_on(submit(&t, BASE, &UPSCALE, req(), 1000, &POLICY, false)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(t.sent.borrow().len(), 1);
    }

    #[test]
    fn zero_retries_means_one_attempt() {
        let t = Fake::new(vec![status(429, ""), job("created")]);
        let off = RetryPolicy {
            max_retries: 0,
            ..POLICY
        };
        assert_eq!(
            block_on(get_job(&t, BASE, "j", 1000, &off, f64::INFINITY))
                .unwrap_err()
                .kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(t.sent.borrow().len(), 1);
    }

    fn plan(timeout_ms: u32) -> WaitPlan {
        WaitPlan {
            poll_interval_ms: None,
            timeout_ms,
            request_timeout_ms: 30_000,
            policy: POLICY,
            skip_first_poll: false,
        }
    }

    #[test]
    fn wait_polls_until_completed_on_the_default_schedule() {
        let t = Fake::new(vec![
            job("created"),
            job("created"),
            job("queued"),
            job("completed"),
        ]);
        let mut seen = vec![];
        let f = block_on(wait_for_job(&t, BASE, "j1I", &plan(600_000), |f| {
            seen.push(f.job.status.clone())
        }))
        .unwrap();
        assert_eq!(f.job.status, JobStatus::Completed);
        assert_eq!(seen.len(), 4);
        assert_eq!(*t.sleeps.borrow(), vec![0, 25_000, 7_500, 7_500]);
    }

    #[test]
    fn wait_rejects_failed_jobs_with_the_job() {
        let t = Fake::new(vec![job("created"), job("failed")]);
        match block_on(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {})).unwrap_err() {
            Error::JobFailed { message } => {
                assert!(message.contains("fail_code: 2043"));
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn wait_times_out_with_the_last_status() {
        let t = Fake::new((0..100).map(|_| job("created")).collect());
        let e = block_on(wait_for_job(&t, BASE, "j1I", &plan(20_000), |_| {})).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(e.to_string().contains("last status: created"), "{e}");
        assert!(t.now_ms() - 1_000_000.0 <= 20_100.0);
    }

    #[test]
    fn rate_limits_slow_the_wait_instead_of_failing_it() {
        let mut limited = TextResponse {
            status: 429,
            body: "{}".into(),
            ..Default::default()
        };
        limited.retry_after = Some("30".into());
        let rl = || Ok(limited.clone());
        let mut answers = vec![job("created")];
        answers.extend([rl(), rl(), rl(), rl()]);
        answers.push(job("completed"));
        let t = Fake::new(answers);
        let f = block_on(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {})).unwrap();
        assert_eq!(f.job.status, JobStatus::Completed);
        // Three retries of 30 s inside the poll, then the poll itself waits 30 s.
        assert_eq!(
            *t.sleeps.borrow(),
            vec![0, 25_000, 30_000, 30_000, 30_000, 30_000]
        );
    }

    #[test]
    fn a_poll_that_times_out_does_not_end_the_wait() {
        let slow = || {
            Err(Error::Timeout {
                message: "slow".into(),
                status: None,
            })
        };
        let mut answers: Vec<Answer> = vec![job("created")];
        answers.extend([slow(), slow(), slow(), slow()]);
        answers.push(job("completed"));
        let t = Fake::new(answers);
        let f = block_on(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {})).unwrap();
        assert_eq!(f.job.status, JobStatus::Completed);
        assert_eq!(t.sent.borrow().len(), 6);
    }

    #[test]
    fn a_network_blip_does_not_end_the_wait_but_an_unreachable_server_does() {
        let mut answers: Vec<Answer> = vec![job("created")];
        answers.extend((0..8).map(|_| net(false)));
        answers.push(job("completed"));
        let t = Fake::new(answers);
        let f = block_on(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {})).unwrap();
        assert_eq!(f.job.status, JobStatus::Completed);

        let t = Fake::new((0..8).map(|_| net(false)).collect());
        let e = block_on(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {})).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Network);
        assert_eq!(t.sent.borrow().len(), 4, "one poll and its three retries");
    }

    #[test]
    fn retries_never_run_past_the_wait_deadline() {
        let t = Fake::new((0..100).map(|_| status(503, "")).collect());
        let e = block_on(wait_for_job(&t, BASE, "j1I", &plan(200), |_| {})).unwrap_err();
        // The last real failure is reported once no retry fits before the deadline.
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");
        assert!(
            t.now_ms() - 1_000_000.0 <= 210.0,
            "{}",
            t.now_ms() - 1_000_000.0
        );
        assert!(t.sent.borrow().iter().all(|r| r.timeout_ms <= 200));
    }

    #[test]
    fn abort_stops_before_the_next_request() {
        let t = Fake::new((0..10).map(|_| job("created")).collect());
        t.abort_after_sends.set(Some(2));
        let e = block_on(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {})).unwrap_err();
        assert_eq!(e, Error::Aborted);
        assert_eq!(t.sent.borrow().len(), 2);
    }

    #[test]
    fn upscale_and_wait_skips_the_pointless_first_poll() {
        let t = Fake::new(vec![job("completed")]);
        let p = WaitPlan {
            skip_first_poll: true,
            poll_interval_ms: Some(250),
            ..plan(1000)
        };
        block_on(wait_for_job(&t, BASE, "j1I", &p, |_| {})).unwrap();
        assert_eq!(*t.sleeps.borrow(), vec![250]);
    }
}
