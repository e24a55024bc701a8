//! The exported `DreaminaClient` class and its single-job methods. Each is one endpoint of
//! `crate::endpoint` and the options of its kind, read once (`super::options`); the shared
//! work is in `super::call`. Batches are in `super::batch`.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::call::{check_request, promise, spawn, Inner};
use super::convert::{error_to_js, prop, to_val};
use super::fetch::Fetcher;
use super::options::{self, notify};
use super::transport::RequestHeaders;
use crate::config::client_config;
use crate::endpoint::{
    Endpoint, CANCEL, GENERATE, GET_ACCOUNT, GET_JOB, LIST_ACCOUNTS, LIST_RUNNING, UPSCALE,
};
use crate::engine::{self, HttpRequest};
use crate::error::Result;
use crate::options::{call_options, wait_options};
use crate::upload::{self, UploadOptions};
use crate::validate;
use crate::value::Fields;

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
        // Already a function (the options reader keeps only functions as `fetch`).
        let fetch = opts.fetch.map_or(Fetcher::Global, Fetcher::Custom);
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
    // Handed over as a JS string made in JS from wasm memory (typed `string`): a returned
    // `String` would be copied, then freed by the glue through `__wbindgen_free`, whose export
    // and code this getter alone needed.
    #[wasm_bindgen(getter, js_name = baseUrl, unchecked_return_type = "string")]
    pub fn base_url(&self) -> JsValue {
        JsValue::from_str(&self.inner.config.base_url)
    }

    /// Starts an upscale job (`POST /images/upscale`) and resolves with the created job.
    #[wasm_bindgen(unchecked_return_type = "Promise<Job>")]
    pub fn upscale(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UpscaleRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call(&UPSCALE, Arg::Request(request), options)
    }

    /// `upscale` then `waitForJob`; `onUpdate` also sees the created job. A failure after the
    /// job was created carries its `jobid`, so it is never lost.
    #[wasm_bindgen(js_name = upscaleAndWait, unchecked_return_type = "Promise<Job>")]
    pub fn upscale_and_wait(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UpscaleRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        self.wait(Some(&UPSCALE), request, options)
    }

    /// Starts a generation job (`POST /images`) and resolves with the created job.
    #[wasm_bindgen(unchecked_return_type = "Promise<Job>")]
    pub fn generate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GenerateRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call(&GENERATE, Arg::Request(request), options)
    }

    /// `generate` then `waitForJob`; `onUpdate` also sees the created job. A failure after the
    /// job was created carries its `jobid`.
    #[wasm_bindgen(js_name = generateAndWait, unchecked_return_type = "Promise<Job>")]
    pub fn generate_and_wait(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GenerateRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        self.wait(Some(&GENERATE), request, options)
    }

    /// Fetches a job's current state (`GET /images/{jobid}`).
    #[wasm_bindgen(js_name = getJob, unchecked_return_type = "Promise<Job>")]
    pub fn get_job(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] jobid: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call(&GET_JOB, Arg::Segment(&JOB_ID, jobid), options)
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
        self.call(&CANCEL, Arg::Segment(&JOB_ID, jobid), options)
    }

    /// The linked accounts (`GET /accounts`), keyed by `REGION:email`; `{}` when none is linked.
    #[wasm_bindgen(js_name = listAccounts, unchecked_return_type = "Promise<AccountList>")]
    pub fn list_accounts(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call(&LIST_ACCOUNTS, Arg::Nothing, options)
    }

    /// One linked account (`GET /accounts/{account}`, `account` as `REGION:email`): its
    /// session, models and credits (fetched live by the provider; left out when that fails).
    #[wasm_bindgen(js_name = getAccount, unchecked_return_type = "Promise<Account>")]
    pub fn get_account(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] account: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call(&GET_ACCOUNT, Arg::Segment(&ACCOUNT, account), options)
    }

    /// The jobs executing now (`GET /scheduler`), grouped by account.
    #[wasm_bindgen(js_name = listRunning, unchecked_return_type = "Promise<RunningJobs>")]
    pub fn list_running(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        self.call(&LIST_RUNNING, Arg::Nothing, options)
    }

    /// Polls a job until it completes; rejects if it fails, times out or is aborted.
    #[wasm_bindgen(js_name = waitForJob, unchecked_return_type = "Promise<Job>")]
    pub fn wait_for_job(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] jobid: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        self.wait(None, jobid, options)
    }
}

/// An argument sent as the path segment of an endpoint.
pub(super) struct SegmentArg {
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

/// What a call sends beside its options.
pub(super) enum Arg {
    Nothing,
    /// An argument sent as the path segment.
    Segment(&'static SegmentArg, JsValue),
    /// A request object checked with the endpoint's rules: the body of a job-creating POST.
    Request(JsValue),
    /// `uploadImage`'s data (`super::upload`), sent to the account its options name.
    Picture(JsValue),
}

/// The call options, in the shape `uploadImage`'s take (no `account`), so one reader serves
/// every call.
fn call_only(fields: &Fields) -> Result<UploadOptions> {
    Ok(UploadOptions {
        account: None,
        call: call_options(fields)?,
    })
}

impl DreaminaClient {
    /// One call of `endpoint` under the call options, with its path segment or its request
    /// body when it has one (each checked first): resolves with the answer. For `upscale` and
    /// `generate`, the one job-creating POST (repeated only when the API certainly did not
    /// take it), resolving with the created job; for `uploadImage`, the picture's POST, after
    /// its options and its data were checked (and the default account looked up).
    pub(super) fn call(&self, endpoint: &'static Endpoint, arg: Arg, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        // A failure about a job carries its id.
        let jobid = match &arg {
            Arg::Segment(a, value) if a.is_jobid => value.as_string(),
            _ => None,
        };
        spawn(jobid, async move {
            let (segment, body) = match &arg {
                Arg::Segment(a, value) => {
                    (validate::segment(a.field, &to_val(value), a.what)?, None)
                }
                Arg::Request(request) => (String::new(), Some(check_request(endpoint, request)?)),
                Arg::Nothing | Arg::Picture(_) => (String::new(), None),
            };
            let check = match arg {
                Arg::Picture(_) => upload::upload_options,
                _ => call_only,
            };
            let opts = options::read(&options, true, check)?;
            let mut t = inner.transport(opts.signal.as_ref());
            let UploadOptions { account, call } = opts.checked;
            let (timeout, policy) = (
                inner.timeout(call.timeout_ms),
                inner.policy(call.max_retries),
            );
            let base = &inner.config.base_url;
            let req = match &arg {
                // The picture read as far as its rules need, then the account it goes to.
                Arg::Picture(data) => {
                    let (data, picture) = super::upload::picture(data).await?;
                    let account = match account {
                        Some(account) => account,
                        None => super::upload::first_account(&t, base, timeout, &policy).await?,
                    };
                    t.picture = Some(data);
                    engine::upload_request(base, &account, picture, timeout)
                }
                _ => HttpRequest::to(endpoint, base, &segment, body, timeout),
            };
            let answer = engine::request(&t, req, &policy).await?;
            if let Arg::Picture(_) = arg {
                upload::check_asset(&to_val(&prop(&answer, "assetRef")))?;
            }
            Ok(answer)
        })
    }

    /// `waitForJob` (`start`: `None`, `arg` the jobid), or `upscaleAndWait` / `generateAndWait`
    /// (`arg` the request): the POST to `start`, then the wait, under the wait options read
    /// once for both. One body for the three, so the binary carries it once.
    fn wait(&self, start: Option<&'static Endpoint>, arg: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(Box::pin(async move {
            let ready = async {
                let (body, id) = match start {
                    Some(endpoint) => (Some(check_request(endpoint, &arg)?), String::new()),
                    None => (None, validate::jobid("jobid", &to_val(&arg))?),
                };
                let opts = options::read(&options, true, wait_options)?;
                let (Some(endpoint), Some(body)) = (start, body) else {
                    return Ok((id, opts));
                };
                // The one job-creating POST, repeated only when the API certainly did not take it.
                let wait = &opts.checked;
                let t = inner.transport(opts.signal.as_ref());
                let timeout = inner.timeout(wait.request_timeout_ms);
                let policy = inner.policy(wait.max_retries);
                let base = &inner.config.base_url;
                let created =
                    engine::submit(&t, base, endpoint, body, timeout, &policy, true).await?;
                notify(&opts.on_update, &created.doc);
                Ok((created.job.jobid, opts))
            }
            .await;
            // A bad jobid given to waitForJob is named in its error.
            let given = start.map_or_else(|| arg.as_string(), |_| None);
            let (id, opts) = ready.map_err(|e| error_to_js(&e, given.as_deref()))?;
            inner.wait(&id, &opts, start.is_some()).await
        }))
    }
}
