//! What every call of a `DreaminaClient` shares: the client's settings (`Inner`), the
//! transport of one call, the retry policy, the one job-creating POST, the wait, and the
//! promise every exported method returns.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

use super::convert::{error_to_js, error_with_job, fields};
use super::fetch::Fetcher;
use super::options::{notify, Options};
use super::transport::{JsTransport, RequestHeaders};
use crate::config::ClientConfig;
use crate::endpoint::Endpoint;
use crate::engine::{self, WaitPlan};
use crate::error::{Error, ErrorKind, Result};
use crate::json::JsonObject;
use crate::options::WaitOptions;
use crate::response::JobDoc;
use crate::retry::RetryPolicy;

/// One client's settings, shared by its calls (each call holds an `Rc` of it).
pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    /// The caller's `fetch`, or the global one.
    pub(crate) fetch: Fetcher,
    /// Request headers, built at the first request.
    pub(crate) headers: RequestHeaders,
}

impl Inner {
    /// The platform for one call: this client's fetch and headers, the call's signal.
    pub(crate) fn transport(&self, signal: Option<&AbortSignal>) -> JsTransport<'_> {
        JsTransport {
            fetch: &self.fetch,
            headers: &self.headers,
            secret: self.config.token.as_deref(),
            signal: signal.cloned(),
            picture: None,
        }
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

    /// A call's per-request time limit: its own, or the client's.
    pub(crate) fn timeout(&self, timeout_ms: Option<u32>) -> u32 {
        timeout_ms.unwrap_or(self.config.timeout_ms)
    }

    /// Sends the one job-creating POST of a checked request to `endpoint`.
    pub(crate) async fn create(
        &self,
        endpoint: &Endpoint,
        body: JsonObject,
        signal: Option<&AbortSignal>,
        timeout_ms: Option<u32>,
        max_retries: Option<u32>,
    ) -> Result<JobDoc<JsValue>> {
        let t = self.transport(signal);
        let (timeout, policy) = (self.timeout(timeout_ms), self.policy(max_retries));
        let base = &self.config.base_url;
        engine::submit(&t, base, endpoint, body, timeout, &policy, true).await
    }

    /// Polls `jobid`; every error leaves as a `DreaminaError` carrying the jobid, and a failed
    /// job's error carries the job object as the last poll fetched it.
    pub(crate) async fn wait(
        &self,
        jobid: &str,
        opts: &Options<WaitOptions>,
        skip_first_poll: bool,
    ) -> std::result::Result<JsValue, JsValue> {
        let last = RefCell::new(JsValue::UNDEFINED);
        let wait = &opts.checked;
        let plan = WaitPlan {
            poll_interval_ms: wait.poll_interval_ms,
            timeout_ms: wait.timeout_ms,
            request_timeout_ms: self.timeout(wait.request_timeout_ms),
            policy: self.policy(wait.max_retries),
            skip_first_poll,
        };
        let t = self.transport(opts.signal.as_ref());
        let outcome = engine::wait_for_job(&t, &self.config.base_url, jobid, &plan, |f| {
            last.replace(f.doc.clone());
            notify(&opts.on_update, &f.doc)
        })
        .await;
        let e = match outcome {
            Ok(done) => return Ok(done.doc),
            Err(e) if e.kind() == ErrorKind::Aborted && wait.cancel_on_abort => {
                // Through a transport the signal does not stop.
                let base = &self.config.base_url;
                let (timeout, policy) = (plan.request_timeout_ms, &plan.policy);
                let what_now =
                    engine::cancel_after_abort(&self.transport(None), base, jobid, timeout, policy)
                        .await;
                Error::AbortedInFlight {
                    message: format!("{e}; {what_now}"),
                }
            }
            Err(e) => e,
        };
        let job = last.borrow().clone();
        Err(error_with_job(&e, Some(jobid), &job))
    }
}

/// A request object checked with `endpoint`'s rules: the body to send.
pub(crate) fn check_request(endpoint: &Endpoint, request: &JsValue) -> Result<JsonObject> {
    endpoint.check(&fields(request, "request", false)?)
}

/// Every exported method's work, boxed, so `future_to_promise` is compiled once, not per method.
pub(crate) type JsWork = Pin<Box<dyn Future<Output = std::result::Result<JsValue, JsValue>>>>;

pub(crate) fn promise(work: JsWork) -> Promise {
    future_to_promise(work)
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
