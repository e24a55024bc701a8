//! `upscaleMany` and `upscaleAll`: the batch methods of `DreaminaClient`. Checks and decisions
//! come from `crate::options` and `crate::batch`; results and events are built for JS with
//! serde-wasm-bindgen, errors by `convert`.

use std::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::call::{check_request, promise, Inner};
use super::client::DreaminaClient;
use super::convert::{error_to_js, error_with_job, object, prop, to_val, Prop};
use super::options::{self, call_logged, notify, Options};
use crate::batch::{self, Batch, ItemResult};
use crate::endpoint::UPSCALE;
use crate::engine::{self, WaitPlan};
use crate::error::{Error, Result};
use crate::json::JsonObject;
use crate::options::{batch_options, upscale_all_options, BatchOptions};
use crate::validate;
use crate::value::{Fields, Val};

/// Most items one `upscaleMany` call takes (an array-like whose `length` is huge would
/// otherwise keep the reader busy); larger catalogues are split into calls or queued.
const MAX_BATCH_ITEMS: f64 = 100_000.0;

#[wasm_bindgen]
impl DreaminaClient {
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
        match &items {
            Items::Given(requests) => {
                let opts = options::read(&options, true, batch_options)?;
                Ok((opts, read_requests(requests)?))
            }
            Items::AllOf(source_jobid) => {
                let id = validate::jobid("sourceJobid", &to_val(source_jobid))?;
                let opts = options::read(&options, true, upscale_all_options)?;
                let mut extras = Fields::new();
                let opts = opts.map(|(batch, per_image)| {
                    extras = per_image;
                    batch
                });
                let t = inner.transport(opts.signal.as_ref());
                let wait = &opts.checked.wait;
                let timeout = inner.timeout(wait.request_timeout_ms);
                let policy = inner.policy(wait.max_retries);
                let base = &inner.config.base_url;
                let job = engine::get_job(&t, base, &id, timeout, &policy, f64::INFINITY).await?;
                let images = batch::source_images(&job.job, image_count(&job.doc))?;
                Ok((opts, batch::upscale_all_requests(&id, images, &extras)))
            }
        }
    }
    .await;
    let (opts, items) = prepared.map_err(|e: Error| error_to_js(&e, source.as_deref()))?;
    Ok(run(&inner, &opts, items).await)
}

/// Runs a checked batch and returns the array of settled results.
async fn run(
    inner: &Inner,
    opts: &Options<BatchOptions>,
    items: Vec<Result<JsonObject>>,
) -> JsValue {
    let t = inner.transport(opts.signal.as_ref());
    // Without the signal: a submit on its way finishes, so its job's id is never lost.
    let post = inner.transport(None);
    let wait = &opts.checked.wait;
    let request_timeout_ms = inner.timeout(wait.request_timeout_ms);
    let batch = Batch {
        transport: &t,
        submit_transport: &post,
        base_url: &inner.config.base_url,
        concurrency: opts.checked.concurrency,
        plan: WaitPlan {
            poll_interval_ms: wait.poll_interval_ms,
            timeout_ms: wait.timeout_ms,
            request_timeout_ms,
            policy: inner.policy(wait.max_retries),
            skip_first_poll: true,
        },
        submit_timeout_ms: request_timeout_ms,
        cancel_on_abort: wait.cancel_on_abort,
    };
    let results = Array::new_with_length(items.len() as u32);
    batch::upscale_many(
        &batch,
        items,
        &mut |index, f| {
            // What `onUpdate` receives.
            let event = object(&[
                ("index", Prop::Num(Some(index as f64))),
                ("job", Prop::Js(&f.doc)),
            ]);
            notify(&opts.on_update, &event);
        },
        &mut |index, result| {
            let settled = settled(result);
            results.set(index as u32, settled.clone());
            if let Some(f) = &opts.on_result {
                let index = JsValue::from(index as u32);
                call_logged(
                    f.call2(&JsValue::UNDEFINED, &index, &settled),
                    "dreamina-upscale: onResult threw; the batch goes on:",
                );
            }
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

/// The requests array, each item checked on its own (a bad item fails alone, sending nothing).
fn read_requests(requests: &JsValue) -> Result<Vec<Result<JsonObject>>> {
    let val = to_val(requests);
    if val != Val::Array {
        return Err(validate::wrong_type(
            "requests",
            "an array of upscale requests",
            &val,
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
        // `Reflect.get` with a number key: js-sys's `get_u32` would be an import of its own.
        let item = js_sys::Reflect::get(requests, &i.into()).map_err(|_| unreadable())?;
        items.push(check_request(&UPSCALE, &item));
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
