//! `generate`, `generateAndWait`, `upscaleMany` and `upscaleAll`: a second exported block of
//! `DreaminaClient`. Checks and decisions come from `crate::generate` and `crate::batch`;
//! results and events are built for JS with serde-wasm-bindgen, errors by `convert`.

use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;

use super::client::{create_job, notify, promise, signal, upscale_request, Inner};
use super::convert::{error_to_js, error_with_job, fields, object, prop, to_val, Prop};
use crate::batch::{self, Batch, BatchOptions, ItemResult};
use crate::engine::{self, WaitPlan};
use crate::error::{Error, Result};
use crate::generate::{self, GenerateRequest};
use crate::validate::{self, UpscaleRequest};
use crate::value::Val;

use super::client::DreaminaClient;

/// Most items one `upscaleMany` call takes (an array-like whose `length` is huge would
/// otherwise keep the reader busy); larger catalogues are split into calls or queued.
const MAX_BATCH_ITEMS: f64 = 100_000.0;

#[wasm_bindgen]
impl DreaminaClient {
    /// Starts a generation job (`POST /images`) and resolves with the created job.
    #[wasm_bindgen(unchecked_return_type = "Promise<Job>")]
    pub fn generate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GenerateRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CallOptions")] options: JsValue,
    ) -> Promise {
        let body = generate_request(&request).map(|r| r.entries());
        let url = generate::generate_url(&self.inner.config.base_url);
        promise(Box::pin(create_job(
            self.inner.clone(),
            url,
            body,
            options,
            false,
        )))
    }

    /// `generate` then `waitForJob`; `onUpdate` also sees the created job. A failure after the
    /// job was created carries its `jobid`.
    #[wasm_bindgen(js_name = generateAndWait, unchecked_return_type = "Promise<Job>")]
    pub fn generate_and_wait(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GenerateRequest")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Promise {
        let body = generate_request(&request).map(|r| r.entries());
        let url = generate::generate_url(&self.inner.config.base_url);
        promise(Box::pin(create_job(
            self.inner.clone(),
            url,
            body,
            options,
            true,
        )))
    }

    /// Upscales every request, at most `concurrency` jobs at once, and resolves in input order
    /// with one `Promise.allSettled`-shaped result per request; never rejects for one item.
    #[wasm_bindgen(js_name = upscaleMany, unchecked_return_type = "Promise<BatchResult[]>")]
    pub fn upscale_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "readonly UpscaleRequest[]")] requests: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "BatchOptions")] options: JsValue,
    ) -> Promise {
        promise(Box::pin(batch_call(
            self.inner.clone(),
            Items::Given(requests),
            options,
        )))
    }

    /// `upscaleMany` over every image of a completed generation job (read once with `getJob`;
    /// it may have fewer than 4), each with the same resolution and strengths.
    #[wasm_bindgen(js_name = upscaleAll, unchecked_return_type = "Promise<BatchResult[]>")]
    pub fn upscale_all(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] source_jobid: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "UpscaleAllOptions")] options: JsValue,
    ) -> Promise {
        promise(Box::pin(batch_call(
            self.inner.clone(),
            Items::AllOf(source_jobid),
            options,
        )))
    }
}

/// Where a batch's requests come from.
enum Items {
    /// `upscaleMany`: the caller's array.
    Given(JsValue),
    /// `upscaleAll`: every image of this source job.
    AllOf(JsValue),
}

/// `upscaleMany` and `upscaleAll`: one body for both, so the binary carries it once.
async fn batch_call(
    inner: Rc<Inner>,
    items: Items,
    options: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let source = match &items {
        Items::AllOf(id) => id.as_string(),
        Items::Given(_) => None,
    };
    let prepared = async {
        let fields = fields(&options, "options", true)?;
        match &items {
            Items::Given(requests) => {
                Ok((batch::batch_options(&fields)?, read_requests(requests)?))
            }
            Items::AllOf(source_jobid) => {
                let id = validate::jobid("sourceJobid", &to_val(source_jobid))?;
                let (opts, extras) = batch::upscale_all_options(&fields)?;
                let t = inner.transport(signal(&options));
                let timeout = opts
                    .wait
                    .request_timeout_ms
                    .unwrap_or(inner.config.timeout_ms);
                let policy = inner.policy(opts.wait.max_retries);
                let base = &inner.config.base_url;
                let job = engine::get_job(&t, base, &id, timeout, &policy, f64::INFINITY).await?;
                let images = batch::source_images(&job.job, image_count(&job.doc))?;
                Ok((opts, batch::upscale_all_requests(&id, images, &extras)))
            }
        }
    }
    .await;
    let (opts, items) = prepared.map_err(|e: Error| error_to_js(&e, source.as_deref()))?;
    Ok(run(&inner, &options, &opts, items).await)
}

/// Runs a checked batch and returns the array of settled results.
async fn run(
    inner: &Inner,
    options: &JsValue,
    opts: &BatchOptions,
    items: Vec<Result<UpscaleRequest>>,
) -> JsValue {
    let (on_update, on_result) = (prop(options, "onUpdate"), prop(options, "onResult"));
    let t = inner.transport(signal(options));
    // Without the signal: a submit on its way finishes, so its job's id is never lost.
    let post = inner.transport(None);
    let wait = &opts.wait;
    let request_timeout_ms = wait.request_timeout_ms.unwrap_or(inner.config.timeout_ms);
    let b = Batch {
        t: &t,
        post: &post,
        base_url: &inner.config.base_url,
        concurrency: opts.concurrency,
        plan: WaitPlan {
            poll_interval_ms: wait.poll_interval_ms,
            timeout_ms: wait.timeout_ms,
            request_timeout_ms,
            policy: inner.policy(wait.max_retries),
            skip_first_poll: true,
        },
        submit_timeout_ms: request_timeout_ms,
    };
    let results = Array::new_with_length(items.len() as u32);
    batch::upscale_many(
        &b,
        items,
        &mut |index, f| {
            // What `onUpdate` receives.
            let event = object(&[
                ("index", Prop::Num(Some(index as f64))),
                ("job", Prop::Js(&f.doc)),
            ]);
            notify(&on_update, &event);
        },
        &mut |index, result| {
            let settled = settled(result);
            results.set(index as u32, settled.clone());
            call_on_result(&on_result, index, &settled);
        },
    )
    .await;
    results.into()
}

/// One `Promise.allSettled`-shaped result: `{status, value}` or `{status, reason}`.
fn settled(result: ItemResult<JsValue>) -> JsValue {
    match result {
        Ok(job) => object(&[
            ("status", Prop::Str(Some("fulfilled"))),
            ("value", Prop::Js(&job)),
        ]),
        Err(f) => {
            let reason = error_with_job(
                &f.error,
                f.jobid.as_deref(),
                &f.job.unwrap_or(JsValue::UNDEFINED),
            );
            object(&[
                ("status", Prop::Str(Some("rejected"))),
                ("reason", Prop::Js(&reason)),
            ])
        }
    }
}

/// Calls the user's `onResult(index, result)`; like `onUpdate`, a throw is logged, not fatal.
fn call_on_result(callback: &JsValue, index: usize, result: &JsValue) {
    let Some(f) = callback.dyn_ref::<Function>() else {
        return;
    };
    if let Err(e) = f.call2(&JsValue::UNDEFINED, &JsValue::from(index as u32), result) {
        web_sys::console::error_2(
            &"dreamina-upscale: onResult threw; the batch goes on:".into(),
            &e,
        );
    }
}

fn generate_request(request: &JsValue) -> Result<GenerateRequest> {
    generate::generate_request(&fields(request, "request", false)?)
}

/// The requests array, each item checked on its own (a bad item fails alone, sending nothing).
fn read_requests(requests: &JsValue) -> Result<Vec<Result<UpscaleRequest>>> {
    if to_val(requests) != Val::Array {
        return Err(Error::validation(
            "requests",
            format!(
                "must be an array of upscale requests, got {}",
                to_val(requests).type_name()
            ),
        ));
    }
    let unreadable = || Error::validation("requests", "could not be read (a getter threw)");
    let len = js_sys::Reflect::get(requests, &"length".into())
        .map_err(|_| unreadable())?
        .as_f64()
        .unwrap_or(0.0);
    if len > MAX_BATCH_ITEMS {
        return Err(Error::validation(
            "requests",
            "holds more than 100000 items; split it into several calls",
        ));
    }
    let mut items = Vec::with_capacity(len as usize);
    for i in 0..len as u32 {
        let item = js_sys::Reflect::get_u32(requests, i).map_err(|_| unreadable())?;
        items.push(upscale_request(&item));
    }
    Ok(items)
}

/// How many images a job's `response.images` holds (0 when it is not an array).
fn image_count(job: &JsValue) -> usize {
    let images = prop(&prop(job, "response"), "images");
    match to_val(&images) {
        Val::Array => prop(&images, "length").as_f64().unwrap_or(0.0) as usize,
        _ => 0,
    }
}
