//! `handleWebhook`: reads the provider's (unsigned) webhook call, then confirms the job with
//! the caller's `client.getJob(jobid)` and reports the confirmed job. The options, the parsing
//! and the checks of the confirmation live in `crate::webhook`; this file moves JS values.

use js_sys::{Function, Object, Promise, Reflect, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::body::{header, read_capped, ReadError};
use super::convert::{awaited, error_to_js, fields, is_array, prop, to_val};
use crate::error::Error;
use crate::webhook::{self, ConfirmedJob, RECORDED_REPLY_REF_PATHS, REPLY_REF_KEYS};

/// A failure: the crate's own error, or a `getJob` rejection passed on unchanged.
enum WebhookError {
    Rust(Error),
    Js(JsValue),
}

impl From<Error> for WebhookError {
    fn from(e: Error) -> Self {
        WebhookError::Rust(e)
    }
}

/// What `handleWebhook` resolves with (`WebhookResult` in src/edge.d.ts).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookResult<'a> {
    /// The job as `getJob` returned it, the very object.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    job: JsValue,
    jobid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_ref: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_ref_source: Option<&'static str>,
    confirmed: bool,
}

/// Resolves with `{job, jobid, replyRef?, replyRefSource?, confirmed: true}` once
/// `client.getJob` confirmed the job the body names; rejects with a `DreaminaError` (kind
/// "validation", field "body" or "jobid" for a bad body, or `getJob`'s own error such as
/// "not_found"). `replyRef` is the call's (the provider sends it beside the job, not in the
/// job's `request` echo), or the provider's record when its job holds one. A call for a job
/// this app never started (an account-wide `replyUrl` is called for every job of the account)
/// is confirmed the same way and resolves without `replyRef`: look the `jobid` up in your own
/// records, and ignore or adopt a job you do not know.
#[wasm_bindgen(js_name = handleWebhook, unchecked_return_type = "Promise<WebhookResult>")]
pub fn handle_webhook(
    #[wasm_bindgen(unchecked_param_type = "Request | string | Record<string, unknown>")]
    request: JsValue,
    #[wasm_bindgen(unchecked_param_type = "WebhookOptions")] options: JsValue,
) -> Promise {
    future_to_promise(async move {
        let mut jobid = None;
        run(&request, &options, &mut jobid)
            .await
            .map_err(|f| match f {
                WebhookError::Rust(e) => error_to_js(&e, jobid.as_deref()),
                WebhookError::Js(v) => v,
            })
    })
}

async fn run(
    request: &JsValue,
    options: &JsValue,
    jobid: &mut Option<String>,
) -> Result<JsValue, WebhookError> {
    let opts = fields(options, "options", false)?;
    let client = prop(options, "client");
    let get_job = prop(&client, "getJob");
    let config = webhook::webhook_config(&opts, &to_val(&get_job))?;
    let text = body_text(request, config.max_body_bytes).await?;
    let hint = webhook::parse_webhook(&text)?;
    *jobid = Some(hint.jobid.clone());
    let call_opts = Object::new();
    for key in &config.get_job_options {
        let _ = Reflect::set(&call_opts, &(*key).into(), &prop(options, key));
    }
    let get_job: Function = get_job.unchecked_into();
    let called = get_job.call2(&client, &hint.jobid.as_str().into(), &call_opts);
    let job = awaited(called).await.map_err(WebhookError::Js)?;
    let confirmation = webhook::confirm(&hint, &confirmed_job(&job))?;
    let result = WebhookResult {
        jobid: &hint.jobid,
        reply_ref: confirmation.reply_ref.as_deref(),
        reply_ref_source: confirmation.reply_ref.as_ref().map(|_| {
            if confirmation.reply_ref_from_job {
                "job"
            } else {
                "body"
            }
        }),
        confirmed: true,
        job,
    };
    serde_wasm_bindgen::to_value(&result).map_err(|_| {
        WebhookError::Rust(Error::validation(
            "body",
            "the confirmed result could not be built",
        ))
    })
}

/// The facts `confirm` checks, read from the job object (property reads that cannot throw).
fn confirmed_job(job: &JsValue) -> ConfirmedJob {
    if !job.is_object() || is_array(job) {
        return ConfirmedJob::default();
    }
    let holders =
        RECORDED_REPLY_REF_PATHS.map(|path| path.map_or_else(|| job.clone(), |key| prop(job, key)));
    ConfirmedJob {
        is_object: true,
        jobid: prop(job, "jobid").as_string(),
        recorded_reply_ref: holders.iter().find_map(|holder| {
            REPLY_REF_KEYS
                .iter()
                .find_map(|k| prop(holder, k).as_string())
        }),
    }
}

/// The body as text: a fetch `Request` (read up to `limit` bytes), a string, or an object
/// some framework already parsed (serialized back to JSON, the one text the parser reads).
async fn body_text(request: &JsValue, limit: usize) -> Result<String, WebhookError> {
    let capped = |text: String| {
        webhook::check_size(Some(text.len()), None, limit)?;
        Ok(text)
    };
    if let Some(s) = request.as_string() {
        return capped(s);
    }
    if !request.is_object() {
        return Err(Error::validation(
            "request",
            "must be a Request, a string or a parsed JSON object",
        )
        .into());
    }
    let is_request = prop(request, "arrayBuffer").is_function();
    if !is_request {
        let text = JSON::stringify(request)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        return capped(text);
    }
    webhook::check_size(None, header(request, "content-length").as_deref(), limit)?;
    match read_capped(request, limit).await {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| Error::validation("body", "is not UTF-8 text").into()),
        Err(ReadError::TooLarge(_)) => Err(webhook::too_large(limit).into()),
        Err(ReadError::Failed) => {
            Err(Error::validation("body", "could not be read (was it already consumed?)").into())
        }
    }
}
