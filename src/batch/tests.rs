//! The batch against a simulated provider on a fake clock: jobs with durations, an account
//! capacity enforced with 429s, and a caller's abort at a chosen time. A tiny executor runs
//! the batch and moves the clock to the next timer whenever every task is waiting, so hours
//! of simulated jobs take milliseconds and every run is exactly repeatable.

use super::*;
use crate::engine::HttpRequest;
use crate::error::ErrorKind;
use crate::json::{field, Scalar};
use crate::options::{batch_options, upscale_all_options, DEFAULT_CONCURRENCY};
use crate::response::{Response, TextResponse};
use crate::retry::RetryPolicy;
use crate::testing::FakeClock;
use crate::value::Val;
use std::cell::Cell;

const BASE: &str = "http://127.0.0.1:1/v1/dreamina";

struct SimJob {
    id: String,
    source: String,
    done_at: f64,
    fails: bool,
}

/// The simulated provider and clock.
struct Sim {
    clock: FakeClock,
    capacity: usize,
    /// Duration of the n-th job created.
    job_ms: Box<dyn Fn(usize) -> f64>,
    retry_after: Option<&'static str>,
    latency_ms: f64,
    abort_at: Option<f64>,
    /// Sources whose upscales fail.
    failing: Vec<String>,
    /// Sources the server does not know (404 on submit).
    missing: Vec<String>,
    jobs: RefCell<Vec<SimJob>>,
    /// (time, source jobid, accepted) of every POST.
    posts: RefCell<Vec<(f64, String, bool)>>,
    gets: Cell<usize>,
    /// Run the batch with `cancel_on_abort`.
    cancel_on_abort: bool,
    /// (time, jobid) of every DELETE /scheduler/{jobid}.
    cancels: RefCell<Vec<(f64, String)>>,
    most_running: Cell<usize>,
    seed: Cell<u32>,
}

impl Sim {
    fn new(capacity: usize, job_ms: impl Fn(usize) -> f64 + 'static) -> Self {
        Sim {
            clock: FakeClock::starting_at(0.0),
            capacity,
            job_ms: Box::new(job_ms),
            retry_after: None,
            latency_ms: 5.0,
            abort_at: None,
            failing: vec![],
            missing: vec![],
            jobs: RefCell::default(),
            posts: RefCell::default(),
            gets: Cell::new(0),
            cancel_on_abort: false,
            cancels: RefCell::default(),
            most_running: Cell::new(0),
            seed: Cell::new(7),
        }
    }

    fn now(&self) -> f64 {
        self.clock.now()
    }

    fn running(&self) -> usize {
        let now = self.now();
        let jobs = self.jobs.borrow();
        jobs.iter().filter(|j| j.done_at > now).count()
    }

    /// The server's side of one request, at its arrival.
    fn handle(&self, req: &HttpRequest) -> TextResponse {
        let ok = |body: String| TextResponse {
            status: 200,
            body,
            ..Default::default()
        };
        if req.method == crate::endpoint::Method::Delete {
            let id = req.url.rsplit('/').next().unwrap_or_default().to_string();
            let mut jobs = self.jobs.borrow_mut();
            let job = jobs.iter_mut().find(|j| j.id == id);
            let job = job.expect("cancelled a job that exists");
            if job.done_at <= self.now() {
                return TextResponse {
                    status: 404,
                    body: r#"{"error":"Unable to locate running jobid"}"#.into(),
                    ..Default::default()
                };
            }
            (job.done_at, job.fails) = (self.now(), true);
            self.cancels.borrow_mut().push((self.now(), id));
            return TextResponse {
                status: 204,
                ..Default::default()
            };
        }
        if let Some(body) = &req.body {
            let source = match &body[0].1 {
                Scalar::Str(s) => s.clone(),
                _ => unreachable!(),
            };
            if self.missing.contains(&source) {
                self.posts.borrow_mut().push((self.now(), source, false));
                return TextResponse {
                    status: 404,
                    body: r#"{"error":"Source image job not found","code":404}"#.into(),
                    ..Default::default()
                };
            }
            if self.running() >= self.capacity {
                self.posts.borrow_mut().push((self.now(), source, false));
                return TextResponse {
                    status: 429,
                    retry_after: self.retry_after.map(String::from),
                    body: r#"{"error":"All accounts at capacity","code":429}"#.into(),
                    ..Default::default()
                };
            }
            self.posts
                .borrow_mut()
                .push((self.now(), source.clone(), true));
            let mut jobs = self.jobs.borrow_mut();
            let n = jobs.len();
            let id = format!("job-{n}I");
            jobs.push(SimJob {
                id: id.clone(),
                fails: self.failing.contains(&source),
                source,
                done_at: self.now() + (self.job_ms)(n),
            });
            drop(jobs);
            self.most_running
                .set(self.most_running.get().max(self.running()));
            return ok(format!(r#"{{"jobid":"{id}","status":"created"}}"#));
        }
        self.gets.set(self.gets.get() + 1);
        let jobs = self.jobs.borrow();
        let id = req.url.rsplit('/').next().unwrap_or_default();
        let job = jobs
            .iter()
            .find(|j| j.id == id)
            .expect("polled a job that exists");
        let status = match (self.now() >= job.done_at, job.fails) {
            (false, _) => "created",
            (true, false) => "completed",
            (true, true) => "failed",
        };
        ok(format!(
            r#"{{"jobid":"{id}","status":"{status}","error":"fail_code: 2043"}}"#
        ))
    }

    fn aborted(&self) -> bool {
        self.abort_at.is_some_and(|at| self.now() >= at)
    }

    /// Sleeps until `at`; with `abortable`, wakes at the abort instead and says so.
    async fn until(&self, at: f64, abortable: bool) -> bool {
        let stop = if abortable { self.abort_at } else { None };
        self.clock.until(at, stop).await
    }

    /// Runs `f` on the simulated clock.
    fn run<F: Future>(&self, f: F) -> F::Output {
        self.clock.run(f)
    }

    fn view(&self, signalled: bool) -> View<'_> {
        View {
            sim: self,
            signalled,
        }
    }
}

/// The platform as one transport sees it: with or without the caller's signal.
struct View<'a> {
    sim: &'a Sim,
    signalled: bool,
}

impl Transport for View<'_> {
    type Doc = String;
    async fn send(&self, req: &HttpRequest) -> crate::error::Result<(Response, String)> {
        if self.is_aborted() {
            return Err(Error::Aborted);
        }
        let resp = self.sim.handle(req);
        let arrive = self.sim.now() + self.sim.latency_ms;
        if self.sim.until(arrive, self.signalled).await {
            return Err(Error::AbortedInFlight {
                message: "aborted on the way".into(),
            });
        }
        Ok((resp.to_response(), resp.body))
    }
    async fn sleep(&self, ms: u32) -> crate::error::Result<()> {
        if self.is_aborted() {
            return Err(Error::Aborted);
        }
        match self
            .sim
            .until(self.sim.now() + ms as f64, self.signalled)
            .await
        {
            true => Err(Error::Aborted),
            false => Ok(()),
        }
    }
    fn now_ms(&self) -> f64 {
        self.sim.now()
    }
    fn random(&self) -> f64 {
        // mulberry32-ish: deterministic jitter.
        let s = self.sim.seed.get().wrapping_add(0x6d2b79f5);
        self.sim.seed.set(s);
        let mut t = (s ^ (s >> 15)).wrapping_mul(s | 1);
        t ^= t.wrapping_add((t ^ (t >> 7)).wrapping_mul(t | 61));
        ((t ^ (t >> 14)) as f64) / 4_294_967_296.0
    }
    fn is_aborted(&self) -> bool {
        self.signalled && self.sim.aborted()
    }
}

const POLICY: RetryPolicy = RetryPolicy {
    max_retries: 3,
    base_delay_ms: 100,
    max_delay_ms: 1_000,
    max_retry_after_ms: 60_000,
};

fn plan(poll_ms: u32) -> WaitPlan {
    WaitPlan {
        poll_interval_ms: Some(poll_ms),
        timeout_ms: 600_000,
        request_timeout_ms: 30_000,
        policy: POLICY,
        skip_first_poll: true,
    }
}

fn request(source: &str) -> Result<JsonObject> {
    UPSCALE.check(&vec![("jobid".into(), Val::Str(source.into()))])
}

fn requests(n: usize) -> Vec<Result<JsonObject>> {
    (0..n).map(|i| request(&format!("src-{i}i"))).collect()
}

/// A finished run: results in input order, and every update seen as (index, body).
struct Run {
    results: Vec<ItemResult<String>>,
    updates: Vec<(usize, String)>,
    settled_order: Vec<usize>,
}

fn run(sim: &Sim, concurrency: usize, plan: WaitPlan, items: Vec<Result<JsonObject>>) -> Run {
    let (t, post) = (sim.view(true), sim.view(false));
    let batch = Batch {
        transport: &t,
        submit_transport: &post,
        base_url: BASE,
        concurrency,
        plan,
        submit_timeout_ms: 30_000,
        cancel_on_abort: sim.cancel_on_abort,
    };
    let mut updates = vec![];
    let mut settled = vec![];
    let mut results: Vec<Option<ItemResult<String>>> = (0..items.len()).map(|_| None).collect();
    sim.run(upscale_many(
        &batch,
        items,
        &mut |i, f| updates.push((i, f.doc.clone())),
        &mut |i, r| {
            settled.push(i);
            assert!(results[i].is_none(), "item {i} settled twice");
            results[i] = Some(r);
        },
    ));
    Run {
        results: results
            .into_iter()
            .map(|r| r.expect("every item settles"))
            .collect(),
        updates,
        settled_order: settled,
    }
}

fn jobid_of(doc: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(doc).unwrap();
    v["jobid"].as_str().unwrap().to_string()
}

#[test]
fn forty_items_at_concurrency_ten_never_exceed_ten_jobs() {
    let sim = Sim::new(10, |_| 1_000.0);
    let r = run(&sim, 10, plan(250), requests(40));
    assert_eq!(r.results.len(), 40);
    assert!(r.results.iter().all(|x| x.is_ok()));
    assert_eq!(sim.jobs.borrow().len(), 40, "exactly one job per item");
    assert_eq!(sim.posts.borrow().len(), 40, "no 429 at capacity 10");
    assert!(sim.most_running.get() <= 10);
    assert_eq!(sim.most_running.get(), 10, "the capacity was used");
    // In input order: item i upscaled source i.
    for (i, res) in r.results.iter().enumerate() {
        let id = jobid_of(res.as_ref().unwrap());
        let jobs = sim.jobs.borrow();
        let job = jobs.iter().find(|j| j.id == id).unwrap();
        assert_eq!(job.source, format!("src-{i}i"));
    }
    let mut order = r.settled_order.clone();
    order.sort();
    assert_eq!(order, (0..40).collect::<Vec<_>>(), "each item settled once");
}

#[test]
fn capacity_below_concurrency_is_back_pressure_not_failure() {
    let sim = Sim::new(3, |_| 1_000.0);
    let r = run(&sim, 10, plan(250), requests(40));
    assert!(r.results.iter().all(|x| x.is_ok()), "all complete");
    assert_eq!(sim.jobs.borrow().len(), 40, "one job per item, never two");
    assert!(sim.most_running.get() <= 3);
    let refused = sim.posts.borrow().iter().filter(|p| !p.2).count();
    assert!(refused > 0, "the 429 path was exercised");
}

#[test]
fn retry_after_is_honoured_between_submits_of_an_item() {
    let mut sim = Sim::new(1, |_| 3_000.0);
    sim.retry_after = Some("2");
    let r = run(&sim, 3, plan(250), requests(3));
    assert!(r.results.iter().all(|x| x.is_ok()));
    let posts = sim.posts.borrow();
    for source in ["src-1i", "src-2i"] {
        let times: Vec<f64> = posts
            .iter()
            .filter(|p| p.1 == source)
            .map(|p| p.0)
            .collect();
        assert!(times.len() >= 2, "{source} was refused at least once");
        assert!(
            times.windows(2).all(|w| w[1] - w[0] >= 2_000.0),
            "{source}: {times:?}"
        );
    }
}

#[test]
fn a_retry_after_of_zero_does_not_spin() {
    let mut sim = Sim::new(1, |_| 3_000.0);
    sim.retry_after = Some("0");
    let r = run(&sim, 3, plan(250), requests(3));
    assert!(r.results.iter().all(|x| x.is_ok()));
    // 5 ms per POST: without a floor on the delay this would be hundreds of POSTs.
    let posts = sim.posts.borrow().len();
    assert!(posts < 40, "{posts} POSTs");
}

#[test]
fn back_pressure_gives_up_at_the_items_time_limit_having_created_nothing() {
    let sim = Sim::new(0, |_| 1_000.0);
    let r = run(
        &sim,
        2,
        WaitPlan {
            timeout_ms: 10_000,
            ..plan(250)
        },
        requests(2),
    );
    for res in &r.results {
        let f = res.as_ref().unwrap_err();
        assert_eq!(f.error.kind(), ErrorKind::RateLimited);
        assert!(
            f.error.to_string().contains("nothing was created"),
            "{}",
            f.error
        );
        assert_eq!(f.jobid, None);
    }
    assert!(sim.jobs.borrow().is_empty());
    assert!(sim.now() <= 10_100.0, "{}", sim.now());
}

#[test]
fn a_failing_item_and_an_invalid_item_do_not_stop_the_others() {
    let mut sim = Sim::new(10, |_| 1_000.0);
    sim.failing = vec!["src-2i".into()];
    let mut items = requests(6);
    items[4] = UPSCALE.check(&vec![
        ("jobid".into(), Val::Str("src-4i".into())),
        ("imageIndex".into(), Val::Num(9.0)),
    ]);
    let r = run(&sim, 4, plan(250), items);
    for i in [0, 1, 3, 5] {
        assert!(r.results[i].is_ok(), "item {i}");
    }
    let failed = r.results[2].as_ref().unwrap_err();
    assert_eq!(failed.error.kind(), ErrorKind::JobFailed);
    let id = failed.jobid.clone().unwrap();
    assert!(failed
        .job
        .as_deref()
        .unwrap()
        .contains(r#""status":"failed""#));
    assert_eq!(jobid_of(failed.job.as_deref().unwrap()), id);
    let invalid = r.results[4].as_ref().unwrap_err();
    assert_eq!(invalid.error.field(), Some("imageIndex"));
    assert_eq!(invalid.jobid, None);
    assert!(
        sim.posts.borrow().iter().all(|p| p.1 != "src-4i"),
        "nothing sent for it"
    );
    assert_eq!(r.settled_order[0], 4, "an invalid item settles at once");
}

#[test]
fn abort_stops_new_submits_and_every_created_job_keeps_its_id() {
    let mut sim = Sim::new(10, |n| 1_000.0 + (n % 7) as f64 * 300.0);
    // 100 ms per request: some polls are on their way when the abort fires.
    sim.latency_ms = 100.0;
    sim.abort_at = Some(2_600.0);
    let r = run(&sim, 10, plan(250), requests(40));
    assert_eq!(r.results.len(), 40);
    assert!(
        sim.posts.borrow().iter().all(|p| p.0 <= 2_600.0),
        "no submit after the abort"
    );
    let created: Vec<String> = sim.jobs.borrow().iter().map(|j| j.id.clone()).collect();
    assert!(
        created.len() > 10 && created.len() < 40,
        "{}",
        created.len()
    );
    let mut seen = vec![];
    for res in &r.results {
        match res {
            Ok(doc) => seen.push(jobid_of(doc)),
            Err(f) => {
                assert_eq!(f.error.kind(), ErrorKind::Aborted, "{}", f.error);
                if f.jobid.is_some() {
                    assert!(
                        f.error.to_string().contains("may still complete"),
                        "{}",
                        f.error
                    );
                }
                seen.extend(f.jobid.clone());
            }
        }
    }
    seen.sort();
    let mut created = created;
    created.sort();
    assert_eq!(seen, created, "every created job is in exactly one result");
    assert!(
        sim.now() <= 2_600.0 + 100.0,
        "the run ended at the abort, {}",
        sim.now()
    );
}

#[test]
fn with_cancel_on_abort_every_job_still_running_is_cancelled_and_said_so() {
    let mut sim = Sim::new(10, |_| 60_000.0);
    sim.latency_ms = 100.0;
    sim.abort_at = Some(2_600.0);
    sim.cancel_on_abort = true;
    let r = run(&sim, 10, plan(250), requests(20));
    let created: Vec<String> = sim.jobs.borrow().iter().map(|j| j.id.clone()).collect();
    assert!(!created.is_empty());
    let mut cancelled: Vec<String> = sim.cancels.borrow().iter().map(|c| c.1.clone()).collect();
    cancelled.sort();
    let mut expected = created.clone();
    expected.sort();
    assert_eq!(
        cancelled, expected,
        "every created job, still running, was cancelled once"
    );
    assert!(sim.cancels.borrow().iter().all(|c| c.0 >= 2_600.0));
    for f in r.results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(f.error.kind(), ErrorKind::Aborted, "{}", f.error);
        if let Some(id) = &f.jobid {
            assert!(
                f.error
                    .to_string()
                    .contains(&format!("job {id} was cancelled")),
                "{}",
                f.error
            );
        }
    }
    // Without the option, nothing is cancelled.
    let mut sim = Sim::new(10, |_| 60_000.0);
    sim.abort_at = Some(2_600.0);
    run(&sim, 10, plan(250), requests(20));
    assert!(sim.cancels.borrow().is_empty());
}

#[test]
fn an_abort_while_submits_are_on_their_way_still_reports_their_jobs() {
    let mut sim = Sim::new(10, |_| 1_000.0);
    sim.latency_ms = 100.0;
    sim.abort_at = Some(50.0);
    let r = run(&sim, 10, plan(250), requests(30));
    assert_eq!(
        sim.jobs.borrow().len(),
        10,
        "the first ten POSTs were already sent"
    );
    let with_id = r
        .results
        .iter()
        .filter(|x| x.as_ref().unwrap_err().jobid.is_some())
        .count();
    assert_eq!(with_id, 10);
    let msg = r.results[0].as_ref().unwrap_err().error.to_string();
    assert!(
        msg.contains("job-0I") && msg.contains("may still complete"),
        "{msg}"
    );
}

#[test]
fn every_snapshot_of_every_item_is_reported_with_its_index() {
    let sim = Sim::new(10, |n| 500.0 + n as f64 * 100.0);
    let r = run(&sim, 5, plan(200), requests(12));
    assert_eq!(
        r.updates.len(),
        sim.gets.get() + 12,
        "each poll, plus each created job"
    );
    for (i, res) in r.results.iter().enumerate() {
        let id = jobid_of(res.as_ref().unwrap());
        let mine: Vec<&String> = r
            .updates
            .iter()
            .filter(|u| u.0 == i)
            .map(|u| &u.1)
            .collect();
        assert!(mine.len() >= 2);
        assert!(
            mine.iter().all(|d| jobid_of(d) == id),
            "item {i} saw only its own job"
        );
        assert!(mine.last().unwrap().contains("completed"));
    }
}

#[test]
fn concurrency_one_runs_one_job_at_a_time() {
    let sim = Sim::new(10, |_| 700.0);
    let r = run(&sim, 1, plan(100), requests(5));
    assert!(r.results.iter().all(|x| x.is_ok()));
    assert_eq!(sim.most_running.get(), 1);
    assert_eq!(r.settled_order, vec![0, 1, 2, 3, 4]);
}

#[test]
fn an_empty_batch_resolves_at_once() {
    let sim = Sim::new(10, |_| 700.0);
    assert!(run(&sim, 10, plan(100), vec![]).results.is_empty());
    assert_eq!(sim.now(), 0.0);
}

#[test]
fn a_refused_submit_fails_only_its_item_and_is_not_repeated() {
    let mut sim = Sim::new(10, |_| 700.0);
    sim.missing = vec!["src-1i".into()];
    let r = run(&sim, 2, plan(100), requests(3));
    assert!(r.results[0].is_ok() && r.results[2].is_ok());
    let f = r.results[1].as_ref().unwrap_err();
    assert_eq!(
        (f.error.kind(), f.jobid.as_deref()),
        (ErrorKind::NotFound, None)
    );
    assert_eq!(
        sim.posts
            .borrow()
            .iter()
            .filter(|p| p.1 == "src-1i")
            .count(),
        1
    );
}

/// 200 items, capacity 10, jobs drawn 1–3 s: the wall time stays near the ideal
/// (200 / 10 × mean job time), the poll interval being the only idle time per job.
#[test]
fn a_large_batch_keeps_the_capacity_busy() {
    let durations: Vec<f64> = (0..200)
        .map(|n| 1_000.0 + ((n * 7919) % 2001) as f64)
        .collect();
    let mean = durations.iter().sum::<f64>() / 200.0;
    let d = durations.clone();
    let sim = Sim::new(10, move |n| d[n]);
    let r = run(&sim, 10, plan(250), requests(200));
    assert!(r.results.iter().all(|x| x.is_ok()));
    let ideal = 200.0 / 10.0 * mean;
    let wall = sim.now();
    assert!(wall >= ideal * 0.9, "{wall} vs {ideal}");
    assert!(wall <= ideal * 1.25, "wall {wall} ms vs ideal {ideal} ms");
    assert!(sim.most_running.get() <= 10);
}

#[test]
fn options_are_checked_naming_the_field() {
    let f = crate::testing::fields_of;
    let ok = batch_options(&f(&[])).unwrap();
    assert_eq!(ok.concurrency, DEFAULT_CONCURRENCY);
    const { assert!(DEFAULT_CONCURRENCY <= 10) };
    let o = batch_options(&f(&[
        ("concurrency", Val::Num(50.0)),
        ("pollIntervalMs", Val::Num(500.0)),
    ]))
    .unwrap();
    assert_eq!((o.concurrency, o.wait.poll_interval_ms), (50, Some(500)));
    for (k, v) in [
        ("concurrency", Val::Num(0.0)),
        ("concurrency", Val::Num(51.0)),
        ("concurrency", Val::Num(2.5)),
        ("concurrency", Val::Str("3".into())),
        ("concurrency", Val::Num(f64::NAN)),
        ("onResult", Val::Str("x".into())),
        ("onUpdate", Val::Num(1.0)),
        ("signal", Val::Object),
        ("pollIntervalMs", Val::Num(10.0)),
        ("timeoutMs", Val::Num(0.0)),
        ("maxRetries", Val::Num(21.0)),
        ("concurency", Val::Num(2.0)),
        ("upscaleResolution", Val::Str("4k".into())),
    ] {
        let e = batch_options(&f(&[(k, v.clone())])).expect_err(k);
        assert_eq!(e.field(), Some(k), "{k} = {v:?}: {e}");
    }
    let (o, extras) = upscale_all_options(&f(&[
        ("upscaleResolution", Val::Str("8K".into())),
        ("detailStrength", Val::Num(0.2)),
        ("concurrency", Val::Num(4.0)),
    ]))
    .unwrap();
    assert_eq!(o.concurrency, 4);
    let reqs = upscale_all_requests("src-i", 3, &extras);
    let reqs: Vec<JsonObject> = reqs.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(reqs.len(), 3);
    for (i, r) in reqs.iter().enumerate() {
        assert_eq!(field(r, "imageIndex"), Some(&Scalar::Int(i as i64)));
        assert_eq!(
            field(r, "upscaleResolution"),
            Some(&Scalar::Str("8k".into()))
        );
        assert_eq!(field(r, "detailStrength"), Some(&Scalar::Num(0.2)));
    }
    for (k, v) in [
        ("upscaleResolution", Val::Str("16k".into())),
        ("detailStrength", Val::Num(2.0)),
        ("imageIndex", Val::Num(1.0)),
        ("jobid", Val::Str("x".into())),
    ] {
        let e = upscale_all_options(&f(&[(k, v)])).unwrap_err();
        assert_eq!(e.field(), Some(k), "{e}");
    }
}

#[test]
fn upscale_all_takes_every_image_of_a_completed_source() {
    let job = |status: JobStatus| Job {
        jobid: "src-i".into(),
        status,
        error: None,
    };
    assert_eq!(source_images(&job(JobStatus::Completed), 4).unwrap(), 4);
    assert_eq!(source_images(&job(JobStatus::Completed), 2).unwrap(), 2);
    assert_eq!(source_images(&job(JobStatus::Completed), 9).unwrap(), 4);
    let e = source_images(&job(JobStatus::Created), 0).unwrap_err();
    assert_eq!(e.field(), Some("sourceJobid"));
    assert!(e.to_string().contains("src-i is created"), "{e}");
}
