//! The engine against a scripted server on the shared fake clock (`crate::testing`): the
//! retry rules of each method, the wait's schedule, deadlines, rate limits and aborts.

use super::*;
use crate::endpoint::{CANCEL, GENERATE, UPSCALE};
use crate::json::json_text;
use crate::response::TextResponse;
use crate::testing::FakeClock;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;

type Answer = Result<TextResponse>;

/// A scripted server on a fake clock: each request takes `latency_ms`.
struct Fake {
    answers: RefCell<VecDeque<Answer>>,
    sent: RefCell<Vec<HttpRequest>>,
    sleeps: RefCell<Vec<u32>>,
    clock: FakeClock,
    abort_after_sends: Cell<Option<usize>>,
    latency_ms: f64,
}

impl Fake {
    fn new(answers: Vec<Answer>) -> Self {
        Fake {
            answers: RefCell::new(answers.into()),
            sent: RefCell::default(),
            sleeps: RefCell::default(),
            clock: FakeClock::starting_at(1_000_000.0),
            abort_after_sends: Cell::new(None),
            latency_ms: 10.0,
        }
    }
}

impl Fake {
    /// Runs `f` on this server's clock.
    fn run<F: Future>(&self, f: F) -> F::Output {
        self.clock.run(f)
    }
}

impl Transport for Fake {
    type Doc = String;
    async fn send(&self, req: &HttpRequest) -> Result<(Response, String)> {
        self.sent.borrow_mut().push(req.clone());
        self.clock.sleep(self.latency_ms).await;
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
        self.clock.sleep(ms as f64).await;
        Ok(())
    }
    fn now_ms(&self) -> f64 {
        self.clock.now()
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

/// A job that is created, then `n` answers of `middle`, then completes.
fn created_then(n: usize, middle: impl Fn() -> Answer) -> Vec<Answer> {
    let mut answers = vec![job("created")];
    answers.extend((0..n).map(|_| middle()));
    answers.push(job("completed"));
    answers
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
    t.run(submit(t, BASE, &UPSCALE, req(), 1000, &POLICY, true))
}

#[test]
fn get_retries_then_succeeds() {
    let t = Fake::new(vec![
        net(false),
        status(503, "<html>"),
        status(502, "{}"),
        job("created"),
    ]);
    let f = t
        .run(get_job(&t, BASE, "j/1", 1000, &POLICY, f64::INFINITY))
        .unwrap();
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
    let e = t
        .run(get_job(&t, BASE, "j", 1000, &POLICY, f64::INFINITY))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.to_string(), "down");
    assert_eq!(t.sent.borrow().len(), 4);
}

/// Failures after which a POST may have been acted on: never sent again.
fn maybe_taken() -> [Answer; 7] {
    [
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
    ]
}

#[test]
fn post_is_never_repeated_after_an_ambiguous_failure() {
    for answer in maybe_taken() {
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
    t.run(submit(&t, BASE, &GENERATE, r.clone(), 1000, &POLICY, true))
        .unwrap();
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
        let e = t
            .run(submit(&t, BASE, &GENERATE, r.clone(), 1000, &POLICY, true))
            .unwrap_err();
        assert_eq!(t.sent.borrow().len(), 1, "{e:?}");
    }
}

#[test]
fn a_submit_can_leave_rate_limits_to_its_caller() {
    let t = Fake::new(vec![status(429, "{}"), job("created")]);
    let e = t
        .run(submit(&t, BASE, &UPSCALE, req(), 1000, &POLICY, false))
        .unwrap_err();
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
        t.run(get_job(&t, BASE, "j", 1000, &off, f64::INFINITY))
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
    let f = t
        .run(wait_for_job(&t, BASE, "j1I", &plan(600_000), |f| {
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
    match t
        .run(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {}))
        .unwrap_err()
    {
        Error::JobFailed { message } => {
            assert!(message.contains("fail_code: 2043"));
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn wait_times_out_with_the_last_status() {
    let t = Fake::new((0..100).map(|_| job("created")).collect());
    let e = t
        .run(wait_for_job(&t, BASE, "j1I", &plan(20_000), |_| {}))
        .unwrap_err();
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
    let t = Fake::new(created_then(4, rl));
    let f = t
        .run(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {}))
        .unwrap();
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
    let t = Fake::new(created_then(4, slow));
    let f = t
        .run(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {}))
        .unwrap();
    assert_eq!(f.job.status, JobStatus::Completed);
    assert_eq!(t.sent.borrow().len(), 6);
}

#[test]
fn a_network_blip_does_not_end_the_wait_but_an_unreachable_server_does() {
    let t = Fake::new(created_then(8, || net(false)));
    let f = t
        .run(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {}))
        .unwrap();
    assert_eq!(f.job.status, JobStatus::Completed);

    let t = Fake::new((0..8).map(|_| net(false)).collect());
    let e = t
        .run(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {}))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    assert_eq!(t.sent.borrow().len(), 4, "one poll and its three retries");
}

#[test]
fn retries_never_run_past_the_wait_deadline() {
    let t = Fake::new((0..100).map(|_| status(503, "")).collect());
    let e = t
        .run(wait_for_job(&t, BASE, "j1I", &plan(200), |_| {}))
        .unwrap_err();
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
    let e = t
        .run(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {}))
        .unwrap_err();
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
    t.run(wait_for_job(&t, BASE, "j1I", &p, |_| {})).unwrap();
    assert_eq!(*t.sleeps.borrow(), vec![250]);
}

#[test]
fn cancel_deletes_the_job_in_one_segment_and_takes_a_204() {
    let t = Fake::new(vec![status(204, "")]);
    let doc = t
        .run(call(
            &t,
            &CANCEL,
            BASE,
            "j1i-u1-US:a/b@c.d:dreamina",
            1000,
            &POLICY,
        ))
        .unwrap();
    assert_eq!(doc, "");
    let sent = t.sent.borrow();
    assert_eq!(sent[0].method, Method::Delete);
    assert_eq!(
        sent[0].url,
        format!("{BASE}/scheduler/j1i-u1-US%3Aa%2Fb%40c.d%3Adreamina")
    );
    assert_eq!(sent[0].body, None);
}

#[test]
fn cancel_is_repeated_only_when_the_server_cannot_have_acted() {
    let t = Fake::new(vec![status(429, "{}"), net(true), status(204, "")]);
    t.run(call(&t, &CANCEL, BASE, "j1i", 1000, &POLICY))
        .unwrap();
    assert_eq!(t.sent.borrow().len(), 3);
    for answer in [net(false), status(503, r#"{"error":"x"}"#)] {
        let t = Fake::new(vec![answer, status(204, "")]);
        assert!(t
            .run(call(&t, &CANCEL, BASE, "j1i", 1000, &POLICY))
            .is_err());
        assert_eq!(t.sent.borrow().len(), 1, "a second DELETE would answer 404");
    }
    let t = Fake::new(vec![status(
        404,
        r#"{"error":"Unable to locate running jobid j1i"}"#,
    )]);
    let e = t
        .run(call(&t, &CANCEL, BASE, "j1i", 1000, &POLICY))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn a_wait_on_a_cancelled_job_rejects_as_cancelled() {
    let cancelled = Ok(TextResponse {
        status: 200,
        body: r#"{"jobid":"j1I","status":"failed","error":"Cancelled by user"}"#.into(),
        ..Default::default()
    });
    let t = Fake::new(vec![job("created"), cancelled]);
    let e = t
        .run(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {}))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert!(e.to_string().contains("Cancelled by user"), "{e}");
    // Any other reason is a failed job.
    let t = Fake::new(vec![job("failed")]);
    let e = t
        .run(wait_for_job(&t, BASE, "j1I", &plan(600_000), |_| {}))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::JobFailed);
}

fn upload_png(t: &Fake) -> Result<String> {
    t.run(upload(
        t,
        BASE,
        "US:a/b@c.com",
        ImageType::Png,
        1000,
        &POLICY,
    ))
}

const ASSET: &str = r#"{"assetRef":"US:a@c.com-image:w1:h1:s9-uri:x","account":"US:a@c.com","width":1,"height":1,"size":9}"#;

#[test]
fn an_upload_goes_to_its_account_as_a_picture_and_answers_the_asset() {
    let t = Fake::new(vec![status(200, ASSET)]);
    assert_eq!(upload_png(&t).unwrap(), ASSET);
    let sent = t.sent.borrow();
    assert_eq!(sent[0].method, Method::Post);
    assert_eq!(sent[0].url, format!("{BASE}/assets/US%3Aa%2Fb%40c.com"));
    assert_eq!(
        (sent[0].picture, &sent[0].body),
        (Some(ImageType::Png), &None)
    );
}

#[test]
fn an_upload_is_sent_again_only_when_it_was_not_taken() {
    let t = Fake::new(vec![
        status(429, r#"{"error":"busy"}"#),
        net(true),
        status(200, ASSET),
    ]);
    assert!(upload_png(&t).is_ok());
    assert_eq!(t.sent.borrow().len(), 3);
    for answer in maybe_taken() {
        let t = Fake::new(vec![answer, status(200, ASSET)]);
        let e = upload_png(&t).unwrap_err();
        assert_eq!(t.sent.borrow().len(), 1, "{e:?}");
        if e.kind() != ErrorKind::Server {
            assert!(e.to_string().contains(UPLOAD_NOTE), "{e}");
            assert!(!e.to_string().contains("job may have been"), "{e}");
        }
    }
    let t = Fake::new(vec![status(400, r#"{"error":"Image is empty"}"#)]);
    let e = upload_png(&t).unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string()),
        (ErrorKind::Validation, "Image is empty".into())
    );
    let t = Fake::new(vec![status(200, "[1]")]);
    assert_eq!(
        upload_png(&t).unwrap_err().kind(),
        ErrorKind::InvalidResponse
    );
}
