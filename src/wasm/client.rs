//! The exported `DreaminaClient` class and its single-job methods. Each is one endpoint of
//! `crate::endpoint` and the options of its kind, read once (`super::options`); the shared
//! work is in `super::call`. Batches are in `super::batch`.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::call::{check_request, promise, spawn, Inner};
use super::convert::{error_to_js, to_val};
use super::fetch::Fetcher;
use super::options::{self, notify};
use super::transport::RequestHeaders;
use crate::config::client_config;
use crate::endpoint::{
    Endpoint, CANCEL, GENERATE, GET_ACCOUNT, GET_JOB, LIST_ACCOUNTS, LIST_RUNNING, UPSCALE,
};
use crate::engine;
use crate::options::{call_options, wait_options};
use crate::validate;
use crate::value::Val;

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
        let opts =
            options::read(&options, false, client_config).map_err(|e| error_to_js(&e, None))?;
        let fetch = Fetcher::from_option(opts.fetch.map_or(JsValue::UNDEFINED, JsValue::from));
        if !fetch.available() {
            let e = crate::Error::validation(
                "fetch",
                "is required here: this runtime has no global fetch, so pass one in the client options",
            );
            return Err(error_to_js(&e, None));
        }
        let config = opts.checked;
        Ok(DreaminaClient {
            inner: Rc::new(Inner {
                fetch,
                headers: RequestHeaders::new(config.token.as_deref()),
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
        self.start(&UPSCALE, request, options)
    }

    /// `upscale` then `waitForJob`; `onUpdate` also sees the created job. A failure after the
    /// job was created carries its `jobid`, so it is never lost.
    #[wasm_bindgen(js_name = upscaleAndWait, unchecked_return_type = "Promise<Job>")]
    pub fn upscale_and_wait(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UpscaleRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        self.start_and_wait(&UPSCALE, request, options)
    }

    /// Starts a generation job (`POST /images`) and resolves with the created job.
    #[wasm_bindgen(unchecked_return_type = "Promise<Job>")]
    pub fn generate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GenerateRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.start(&GENERATE, request, options)
    }

    /// `generate` then `waitForJob`; `onUpdate` also sees the created job. A failure after the
    /// job was created carries its `jobid`.
    #[wasm_bindgen(js_name = generateAndWait, unchecked_return_type = "Promise<Job>")]
    pub fn generate_and_wait(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GenerateRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        self.start_and_wait(&GENERATE, request, options)
    }

    /// Fetches a job's current state (`GET /images/{jobid}`).
    #[wasm_bindgen(js_name = getJob, unchecked_return_type = "Promise<Job>")]
    pub fn get_job(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] jobid: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call(&GET_JOB, Some((&JOB_ID, jobid)), options)
    }

    /// Cancels an executing job (`DELETE /scheduler/{jobid}`): one still "created" fails with
    /// "Cancelled by user". Resolves with what the API answers (nothing, for its 204); rejects
    /// with kind "not_found" when no job by that id is running.
    #[wasm_bindgen(unchecked_return_type = "Promise<CancelResult>")]
    pub fn cancel(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] jobid: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call(&CANCEL, Some((&JOB_ID, jobid)), options)
    }

    /// The linked accounts (`GET /accounts`), keyed by `REGION:email`; `{}` when none is linked.
    #[wasm_bindgen(js_name = listAccounts, unchecked_return_type = "Promise<AccountList>")]
    pub fn list_accounts(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call(&LIST_ACCOUNTS, None, options)
    }

    /// One linked account (`GET /accounts/{account}`, `account` as `REGION:email`): its
    /// session, models and credits (fetched live by the provider; left out when that fails).
    #[wasm_bindgen(js_name = getAccount, unchecked_return_type = "Promise<Account>")]
    pub fn get_account(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] account: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call(&GET_ACCOUNT, Some((&ACCOUNT, account)), options)
    }

    /// The jobs executing now (`GET /scheduler`), grouped by account.
    #[wasm_bindgen(js_name = listRunning, unchecked_return_type = "Promise<RunningJobs>")]
    pub fn list_running(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call(&LIST_RUNNING, None, options)
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
            let read = validate::jobid("jobid", &to_val(&jobid))
                .and_then(|id| Ok((id, options::read(&options, true, wait_options)?)));
            let (id, opts) = read.map_err(|e| error_to_js(&e, jobid.as_string().as_deref()))?;
            inner.wait(&id, &opts, false).await
        }))
    }
}

/// An argument sent as the path segment of an endpoint.
struct SegmentArg {
    /// Its name in messages and in a validation error's `field`.
    field: &'static str,
    /// What it is, in words.
    what: &'static str,
    /// Whether a failure carries it as the error's `jobid`.
    is_jobid: bool,
}

const JOB_ID: SegmentArg = SegmentArg {
    field: "jobid",
    what: "job id",
    is_jobid: true,
};
const ACCOUNT: SegmentArg = SegmentArg {
    field: "account",
    what: "account",
    is_jobid: false,
};

impl DreaminaClient {
    /// One call of `endpoint` under the call options, with its path segment when it has one
    /// (an argument checked as one): resolves with the answer.
    fn call(
        &self,
        endpoint: &'static Endpoint,
        segment: Option<(&'static SegmentArg, JsValue)>,
        options: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        let (arg, value) = segment.unzip();
        let given = value.as_ref().and_then(JsValue::as_string);
        // A failure about a job carries its id.
        let jobid = given.clone().filter(|_| arg.is_some_and(|a| a.is_jobid));
        let val = match (given, &value) {
            (Some(s), _) => Val::Str(s),
            (None, Some(v)) => to_val(v),
            (None, None) => Val::Missing,
        };
        spawn(jobid, async move {
            let segment = match arg {
                Some(arg) => validate::segment(arg.field, &val, arg.what)?,
                None => String::new(),
            };
            let opts = options::read(&options, true, call_options)?;
            let t = inner.transport(opts.signal.as_ref());
            let call = &opts.checked;
            let (timeout, policy) = (
                inner.timeout(call.timeout_ms),
                inner.policy(call.max_retries),
            );
            let base = &inner.config.base_url;
            engine::call(&t, endpoint, base, &segment, timeout, &policy).await
        })
    }

    /// `upscale` / `generate`: one job-creating POST to `endpoint`, under the call options.
    fn start(&self, endpoint: &'static Endpoint, request: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        spawn(None, async move {
            let body = check_request(endpoint, &request)?;
            let opts = options::read(&options, true, call_options)?;
            let (signal, call) = (opts.signal.as_ref(), &opts.checked);
            let created = inner
                .create(endpoint, body, signal, call.timeout_ms, call.max_retries)
                .await?;
            Ok(created.doc)
        })
    }

    /// `upscaleAndWait` / `generateAndWait`: the POST, then the wait, under the wait options
    /// read once for both.
    fn start_and_wait(
        &self,
        endpoint: &'static Endpoint,
        request: JsValue,
        options: JsValue,
    ) -> Promise {
        let inner = self.inner.clone();
        promise(Box::pin(async move {
            let created = async {
                let body = check_request(endpoint, &request)?;
                let opts = options::read(&options, true, wait_options)?;
                let wait = &opts.checked;
                let (signal, timeout) = (opts.signal.as_ref(), wait.request_timeout_ms);
                let created = inner
                    .create(endpoint, body, signal, timeout, wait.max_retries)
                    .await?;
                Ok((created, opts))
            }
            .await;
            let (created, opts) = created.map_err(|e| error_to_js(&e, None))?;
            notify(&opts.on_update, &created.doc);
            inner.wait(&created.job.jobid, &opts, true).await
        }))
    }
}
