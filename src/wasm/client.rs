//! The exported `DreaminaClient` class. Each method checks its input, builds a `JsTransport`
//! for the call and hands the work to `crate::engine`; errors leave through `error_to_js`.
//! `Inner` and its helpers are `pub(crate)` so other `#[wasm_bindgen] impl DreaminaClient`
//! blocks (in their own files) can build on the same transport, retry policy and wait loop.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use super::convert::{error_to_js, error_with_job, fields, prop};
use super::fetch::Fetcher;
use super::transport::{JsTransport, RequestHeaders};
use crate::engine::{self, WaitPlan};
use crate::error::Result;
use crate::retry::RetryPolicy;
use crate::validate::{self, CallOptions, ClientConfig, JsonObject};
use crate::value::Val;

/// One client's settings, shared by its calls (each call holds an `Rc` of it).
pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    /// The caller's `fetch`, or the global one.
    pub(crate) fetch: Fetcher,
    /// Request headers, built at the first request.
    pub(crate) headers: RequestHeaders,
}

/// A client of the Dreamina upscale API. Cheap to create; share one per token.
#[wasm_bindgen]
pub struct DreaminaClient {
    pub(crate) inner: Rc<Inner>,
}

#[wasm_bindgen]
impl DreaminaClient {
    /// Checks `options` and throws a `DreaminaError` (kind "validation") naming a bad field.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ClientOptions")] options: JsValue,
    ) -> std::result::Result<DreaminaClient, JsValue> {
        let config = fields(&options, "options", false)
            .and_then(|f| validate::client_config(&f))
            .map_err(|e| error_to_js(&e, None))?;
        let fetch = Fetcher::from_option(prop(&options, "fetch"));
        if !fetch.available() {
            let e = crate::Error::validation(
                "fetch",
                "is required here: this runtime has no global fetch, so pass one in the client options",
            );
            return Err(error_to_js(&e, None));
        }
        let token = config.token.as_deref();
        Ok(DreaminaClient {
            inner: Rc::new(Inner {
                fetch,
                headers: RequestHeaders::new(token),
                config,
            }),
        })
    }

    /// The API base URL requests go to.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.inner.config.base_url.clone()
    }

    /// Starts an upscale job (`POST /images/upscale`) and resolves with the created job.
    #[wasm_bindgen(unchecked_return_type = "Promise<Job>")]
    pub fn upscale(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UpscaleRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        let body = upscale_request(&request).map(|r| r.entries());
        let url = crate::url::upscale_url(&self.inner.config.base_url);
        promise(Box::pin(create_job(
            self.inner.clone(),
            url,
            body,
            options,
            false,
        )))
    }

    /// Fetches a job's current state (`GET /images/{jobid}`).
    #[wasm_bindgen(js_name = getJob, unchecked_return_type = "Promise<Job>")]
    pub fn get_job(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] jobid: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        let id = jobid.as_string();
        let val = id
            .clone()
            .map_or_else(|| super::convert::to_val(&jobid), Val::Str);
        spawn(id, async move {
            let jobid = validate::jobid("jobid", &val)?;
            let opts = call_options(&options)?;
            let t = inner.transport(signal(&options));
            let f = engine::get_job(
                &t,
                &inner.config.base_url,
                &jobid,
                inner.timeout(&opts),
                &inner.policy(opts.max_retries),
                f64::INFINITY,
            )
            .await?;
            Ok(f.doc)
        })
    }

    /// Polls a job until it completes; rejects if it fails, times out or is aborted.
    #[wasm_bindgen(js_name = waitForJob, unchecked_return_type = "Promise<Job>")]
    pub fn wait_for_job(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] jobid: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(Box::pin(async move {
            let id = validate::jobid("jobid", &super::convert::to_val(&jobid))
                .map_err(|e| error_to_js(&e, jobid.as_string().as_deref()))?;
            inner.wait(&id, &options, false).await
        }))
    }

    /// `upscale` then `waitForJob`; `onUpdate` also sees the created job. A failure after the
    /// job was created carries its `jobid`, so it is never lost.
    #[wasm_bindgen(js_name = upscaleAndWait, unchecked_return_type = "Promise<Job>")]
    pub fn upscale_and_wait(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UpscaleRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        let body = upscale_request(&request).map(|r| r.entries());
        let url = crate::url::upscale_url(&self.inner.config.base_url);
        promise(Box::pin(create_job(
            self.inner.clone(),
            url,
            body,
            options,
            true,
        )))
    }
}

impl Inner {
    /// The platform for one call: this client's fetch and headers, the call's signal.
    pub(crate) fn transport(&self, signal: Option<AbortSignal>) -> JsTransport<'_> {
        JsTransport {
            fetch: &self.fetch,
            headers: &self.headers,
            secret: self.config.token.as_deref(),
            signal,
        }
    }

    /// The per-request time limit of a call: its own, or the client's.
    pub(crate) fn timeout(&self, opts: &CallOptions) -> u32 {
        opts.timeout_ms.unwrap_or(self.config.timeout_ms)
    }

    /// The client's retry policy, with a call's own `maxRetries` when given.
    pub(crate) fn policy(&self, max_retries: Option<u32>) -> RetryPolicy {
        RetryPolicy {
            max_retries: max_retries.unwrap_or(self.config.max_retries),
            base_delay_ms: self.config.retry_base_delay_ms,
            max_delay_ms: self.config.retry_max_delay_ms,
            max_retry_after_ms: self.config.max_retry_after_ms,
        }
    }

    /// Polls `jobid`; every error leaves as a `DreaminaError` carrying the jobid, and a failed
    /// job's error carries the job object as the last poll fetched it.
    pub(crate) async fn wait(
        &self,
        jobid: &str,
        options: &JsValue,
        skip_first_poll: bool,
    ) -> std::result::Result<JsValue, JsValue> {
        let last = RefCell::new(JsValue::UNDEFINED);
        let outcome = async {
            let wait = validate::wait_options(&fields(options, "options", true)?)?;
            let plan = WaitPlan {
                poll_interval_ms: wait.poll_interval_ms,
                timeout_ms: wait.timeout_ms,
                request_timeout_ms: wait.request_timeout_ms.unwrap_or(self.config.timeout_ms),
                policy: self.policy(wait.max_retries),
                skip_first_poll,
            };
            let on_update = prop(options, "onUpdate");
            let t = self.transport(signal(options));
            let done = engine::wait_for_job(&t, &self.config.base_url, jobid, &plan, |f| {
                last.replace(f.doc.clone());
                notify(&on_update, &f.doc)
            })
            .await?;
            Ok(done.doc)
        }
        .await;
        outcome.map_err(|e| error_with_job(&e, Some(jobid), &last.borrow()))
    }
}

/// The body of every job-creating call: `generate` / `upscale` (call options) and
/// `generateAndWait` / `upscaleAndWait` (wait options), so the binary carries it once. `body`
/// is the request as checked (an error is a validation error, and nothing is sent).
pub(crate) async fn create_job(
    inner: Rc<Inner>,
    url: String,
    body: Result<JsonObject>,
    options: JsValue,
    and_wait: bool,
) -> std::result::Result<JsValue, JsValue> {
    let created = async {
        let body = body?;
        let (timeout, retries) = if and_wait {
            let wait = validate::wait_options(&fields(&options, "options", true)?)?;
            (wait.request_timeout_ms, wait.max_retries)
        } else {
            let call = call_options(&options)?;
            (call.timeout_ms, call.max_retries)
        };
        let t = inner.transport(signal(&options));
        let timeout = timeout.unwrap_or(inner.config.timeout_ms);
        let policy = inner.policy(retries);
        engine::submit(&t, url, body, timeout, &policy, true).await
    }
    .await
    .map_err(|e| error_to_js(&e, None))?;
    if !and_wait {
        return Ok(created.doc);
    }
    notify(&prop(&options, "onUpdate"), &created.doc);
    inner.wait(&created.job.jobid, &options, true).await
}

/// Runs `work` as a Promise; its error becomes a `DreaminaError` carrying `jobid` when known.
pub(crate) fn spawn(
    jobid: Option<String>,
    work: impl Future<Output = Result<JsValue>> + 'static,
) -> Promise {
    promise(Box::pin(async move {
        work.await.map_err(|e| error_to_js(&e, jobid.as_deref()))
    }))
}

/// Every exported method's work, boxed, so `future_to_promise` is compiled once, not per method.
pub(crate) type JsWork = Pin<Box<dyn Future<Output = std::result::Result<JsValue, JsValue>>>>;

pub(crate) fn promise(work: JsWork) -> Promise {
    future_to_promise(work)
}

pub(crate) fn upscale_request(request: &JsValue) -> Result<validate::UpscaleRequest> {
    validate::upscale_request(&fields(request, "request", false)?)
}

pub(crate) fn call_options(options: &JsValue) -> Result<CallOptions> {
    validate::call_options(&fields(options, "options", true)?)
}

pub(crate) fn signal(options: &JsValue) -> Option<AbortSignal> {
    let s = prop(options, "signal");
    (!s.is_null_or_undefined()).then(|| s.unchecked_into())
}

/// Calls the user's `onUpdate(job)`. A throwing callback must not end the wait (the job would
/// be left unwatched), so its error is reported on the console instead.
pub(crate) fn notify(callback: &JsValue, job: &JsValue) {
    let Some(f) = callback.dyn_ref::<Function>() else {
        return;
    };
    if let Err(e) = f.call1(&JsValue::UNDEFINED, job) {
        web_sys::console::error_2(
            &"dreamina-upscale: onUpdate threw; the wait goes on:".into(),
            &e,
        );
    }
}
