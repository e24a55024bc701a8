//! `handleWebhook`: reads the provider's (unsigned) webhook call, then confirms the job with
//! the caller's `client.getJob(jobid)` and reports the confirmed job. Parsing and the checks
//! of the confirmation live in `crate::webhook`.

use js_sys::{Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::convert::{error_to_js, fields, prop};
use super::proxy::{header, read_capped};
use crate::error::Error;
use crate::value::get;
use crate::{validate, webhook};

const OPTION_FIELDS: [&str; 5] = [
    "client",
    "maxBodyBytes",
    "signal",
    "timeoutMs",
    "maxRetries",
];
/// Options handed on to `getJob` unchanged (the client checks them).
const GET_JOB_OPTIONS: [&str; 3] = ["signal", "timeoutMs", "maxRetries"];

/// A failure: the crate's own error, or a `getJob` rejection passed on unchanged.
enum Fail {
    Rust(Error),
    Js(JsValue),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Rust(e)
    }
}

/// Resolves with `{job, jobid, replyRef?, confirmed: true}` once `client.getJob` confirmed the
/// job the body names; rejects with a `DreaminaError` (kind "validation", field "body" or
/// "jobid" for a bad body, or `getJob`'s own error such as "not_found").
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
                Fail::Rust(e) => error_to_js(&e, jobid.as_deref()),
                Fail::Js(v) => v,
            })
    })
}

async fn run(
    request: &JsValue,
    options: &JsValue,
    jobid: &mut Option<String>,
) -> Result<JsValue, Fail> {
    let opts = fields(options, "options", false)?;
    crate::validate::reject_unknown(&opts, &OPTION_FIELDS, "webhook")?;
    let client = prop(options, "client");
    let get_job = prop(&client, "getJob")
        .dyn_into::<Function>()
        .map_err(|_| {
            Error::validation("client", "must be a DreaminaClient (an object with getJob)")
        })?;
    let limit = validate::opt_int(&opts, "maxBodyBytes", 1, 64 * 1024 * 1024)?
        .map_or(webhook::DEFAULT_MAX_BODY_BYTES, |n| n as usize);
    let text = body_text(request, limit).await?;
    let hint = webhook::parse_webhook(&text)?;
    *jobid = Some(hint.jobid.clone());
    let call_opts = Object::new();
    for key in GET_JOB_OPTIONS {
        if !get(&opts, key).is_absent() {
            let _ = Reflect::set(&call_opts, &key.into(), &prop(options, key));
        }
    }
    let pending = get_job
        .call2(&client, &hint.jobid.as_str().into(), &call_opts)
        .map_err(Fail::Js)?;
    let job = JsFuture::from(Promise::resolve(&pending))
        .await
        .map_err(Fail::Js)?;
    let job_json = JSON::stringify(&job)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    let confirmation = webhook::confirm(&hint, &job_json)?;
    let out = Object::new();
    let put = |k: &str, v: &JsValue| {
        let _ = Reflect::set(&out, &k.into(), v);
    };
    put("job", &job);
    put("jobid", &hint.jobid.as_str().into());
    if let Some(r) = &confirmation.reply_ref {
        put("replyRef", &r.as_str().into());
        let source = if confirmation.reply_ref_from_job {
            "job"
        } else {
            "body"
        };
        put("replyRefSource", &source.into());
    }
    put("confirmed", &JsValue::TRUE);
    Ok(out.into())
}

/// The body as text: a fetch `Request` (read up to `limit` bytes), a string, or an object
/// some framework already parsed (serialized back to JSON).
async fn body_text(request: &JsValue, limit: usize) -> Result<String, Fail> {
    let too_large = || Error::validation("body", format!("is larger than {limit} bytes"));
    if let Some(s) = request.as_string() {
        return if s.len() > limit {
            Err(too_large().into())
        } else {
            Ok(s)
        };
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
        return if text.len() > limit {
            Err(too_large().into())
        } else {
            Ok(text)
        };
    }
    let length = header(&prop(request, "headers"), "content-length");
    // A malformed Content-Length is ignored here (lenient); the bytes read are still capped.
    if crate::proxy::check_content_length(length.as_deref(), limit).is_err_and(|r| r.status == 413)
    {
        return Err(too_large().into());
    }
    let unreadable = |_| Error::validation("body", "could not be read (was it already consumed?)");
    match read_capped(&prop(request, "body"), request, limit)
        .await
        .map_err(unreadable)?
    {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| Error::validation("body", "is not UTF-8 text").into()),
        Err(_) => Err(too_large().into()),
    }
}
