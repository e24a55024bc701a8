//! Reading the provider's webhook call (`replyUrl`). The provider publishes no schema and signs
//! nothing, so the body is only a hint: it is parsed leniently for a job id, and the job is
//! then confirmed with `GET /images/{jobid}` (`wasm::webhook`), whose answer is what callers
//! get. Pure, so every body shape is tested on the host.
//!
//! `replyRef` is read from the body, next to the job id (the provider sends it at the top level
//! of the call, if at all): the provider's job echo of an upscale holds only `jobid`,
//! `imageIndex` and `resolution`, so nothing here needs it inside `request`. A call with no
//! `replyRef` is handled like any other: with an account-wide `replyUrl`, calls also come for
//! jobs this app never started (made elsewhere on the same account); they are confirmed the
//! same way and reported without a `replyRef`, for the caller to look up by `jobid`.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::options::CALL_FIELDS;
use crate::proxy::MAX_BODY_BYTES_LIMIT;
use crate::validate;
use crate::value::{get, Fields, Val};

/// Largest webhook body read when `maxBodyBytes` is not given (a job is a few KB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The options `handleWebhook` accepts (`WebhookOptions` in src/edge.d.ts).
pub const WEBHOOK_FIELDS: [&str; 5] = [
    "client",
    "maxBodyBytes",
    "signal",
    "timeoutMs",
    "maxRetries",
];

/// Checked options of one `handleWebhook` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    pub max_body_bytes: usize,
    /// Which of `getJob`'s options (`CALL_FIELDS`) were given, to pass on as they are.
    pub get_job_options: Vec<&'static str>,
}

/// Checks the `handleWebhook(request, options)` object; `get_job` is `options.client.getJob`.
pub fn webhook_config(fields: &Fields, get_job: &Val) -> Result<WebhookConfig> {
    validate::reject_unknown(fields, &WEBHOOK_FIELDS, "webhook")?;
    if *get_job != Val::Function {
        return Err(Error::validation(
            "client",
            "must be a DreaminaClient (an object with getJob)",
        ));
    }
    let max_body = validate::opt_int(fields, "maxBodyBytes", 1, MAX_BODY_BYTES_LIMIT)?;
    Ok(WebhookConfig {
        max_body_bytes: max_body.map_or(DEFAULT_MAX_BODY_BYTES, |n| n as usize),
        get_job_options: CALL_FIELDS
            .into_iter()
            .filter(|k| !get(fields, k).is_absent())
            .collect(),
    })
}

/// The error for a body over `limit` bytes.
pub fn too_large(limit: usize) -> Error {
    Error::validation("body", format!("is larger than {limit} bytes"))
}

/// Checks a body of `len` bytes, or a declared `Content-Length`, against `limit`. Unlike the
/// proxy, a malformed `Content-Length` is ignored (lenient): the bytes read are capped anyway.
pub fn check_size(len: Option<usize>, content_length: Option<&str>, limit: usize) -> Result<()> {
    let declared = content_length.and_then(|v| v.trim().parse::<u64>().ok());
    let over = len.is_some_and(|n| n > limit) || declared.is_some_and(|n| n > limit as u64);
    if over {
        Err(too_large(limit))
    } else {
        Ok(())
    }
}

/// Keys a job id may be under.
const JOBID_KEYS: [&str; 3] = ["jobid", "jobId", "job_id"];
/// Keys a reply reference may be under.
pub const REPLY_REF_KEYS: [&str; 2] = ["replyRef", "reply_ref"];
/// Envelope keys searched, in order, when the job id is not at the top level. `request` is
/// deliberately absent: a job's `request.jobid` is the SOURCE image's id, not the job's.
const ENVELOPE_KEYS: [&str; 8] = [
    "job", "data", "payload", "body", "result", "event", "object", "detail",
];
/// How many envelopes deep the job id is looked for.
const MAX_DEPTH: usize = 3;

/// What an (untrusted) webhook body claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookHint {
    /// Checked with the client's job id rules.
    pub jobid: String,
    pub reply_ref: Option<String>,
}

/// Finds the job id (and replyRef) in a webhook body: JSON (also double-encoded, or with the
/// job in an envelope such as `{"data": {...}}`), or `application/x-www-form-urlencoded`.
/// Errors are validation errors on field "body" (unreadable) or "jobid" (missing or bad).
pub fn parse_webhook(body: &str) -> Result<WebhookHint> {
    let body = body.trim_start_matches('\u{feff}').trim();
    if body.is_empty() {
        return Err(Error::validation(
            "body",
            "is empty: expected the job as JSON",
        ));
    }
    let root = match serde_json::from_str::<Value>(body) {
        Ok(v) => unwrap_string(v),
        Err(_) => form_object(body).ok_or_else(|| {
            Error::validation(
                "body",
                "is neither JSON nor a form: expected the job as JSON",
            )
        })?,
    };
    let Value::Object(root) = root else {
        return Err(Error::validation(
            "body",
            "must be a JSON object holding the job",
        ));
    };
    let (jobid, inner_ref) = find_jobid(&root, 0)?
        .ok_or_else(|| Error::validation("jobid", "was not found in the webhook body"))?;
    let jobid = validate::jobid("jobid", &Val::Str(jobid))?;
    let reply_ref = inner_ref.or_else(|| string_at(&root, &REPLY_REF_KEYS));
    Ok(WebhookHint { jobid, reply_ref })
}

/// A JSON string that itself holds a JSON object or array is parsed once more.
fn unwrap_string(v: Value) -> Value {
    match &v {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(inner @ (Value::Object(_) | Value::Array(_))) => inner,
            _ => v,
        },
        _ => v,
    }
}

/// The job id and the replyRef of the object holding it: the top level first, then the
/// envelopes (as objects, or as JSON strings holding an object).
fn find_jobid(obj: &Map<String, Value>, depth: usize) -> Result<Option<(String, Option<String>)>> {
    for key in JOBID_KEYS {
        match obj.get(key) {
            Some(Value::String(s)) => {
                return Ok(Some((s.clone(), string_at(obj, &REPLY_REF_KEYS))))
            }
            Some(Value::Null) | None => {}
            Some(other) => {
                return Err(Error::validation(
                    "jobid",
                    format!(
                        "must be a string in the webhook body, got {}",
                        json_type(other)
                    ),
                ))
            }
        }
    }
    if depth >= MAX_DEPTH {
        return Ok(None);
    }
    for key in ENVELOPE_KEYS {
        let inner = match obj.get(key) {
            Some(Value::Object(inner)) => find_jobid(inner, depth + 1)?,
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(inner)) => find_jobid(&inner, depth + 1)?,
                _ => None,
            },
            _ => None,
        };
        if inner.is_some() {
            return Ok(inner);
        }
    }
    Ok(None)
}

fn string_at(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str).map(str::to_string))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `a=1&b=2` as a JSON object of strings; `None` when it does not look like a form.
fn form_object(body: &str) -> Option<Value> {
    let mut map = Map::new();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=')?;
        let decode = |s: &str| crate::url::percent_decode(&s.replace('+', " "));
        let key = decode(k)?;
        if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        map.insert(key, Value::String(decode(v)?));
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

/// The facts `handleWebhook` reports once `getJob` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub reply_ref: Option<String>,
    /// True when `reply_ref` is the provider's record; false when only the body claimed it.
    pub reply_ref_from_job: bool,
}

/// What `handleWebhook` reads from the job `getJob` returned (the object itself goes back to
/// the caller untouched).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfirmedJob {
    /// False when `getJob` resolved with something other than a plain object.
    pub is_object: bool,
    pub jobid: Option<String>,
    /// A `replyRef` the provider's own job object holds (`RECORDED_REPLY_REF_PATHS`), if any:
    /// its record. Today's provider echoes none, so this is usually `None`.
    pub recorded_reply_ref: Option<String>,
}

/// Where a job object from `GET /images/{jobid}` could hold a `replyRef`, in order: its top
/// level, then its `request` echo (each under `REPLY_REF_KEYS`).
pub const RECORDED_REPLY_REF_PATHS: [Option<&str>; 2] = [None, Some("request")];

/// Checks the job `getJob` returned against the hint. The confirmed job must be the one the
/// body named. A `replyRef` the provider's job records is preferred, and a body that claims a
/// different one is refused as forged; with none recorded (the provider's usual answer), the
/// body's claim is passed on as such, and with no claim either (a job started without one, or
/// any job of the account when its `replyUrl` is account-wide) there is none to report.
pub fn confirm(hint: &WebhookHint, job: &ConfirmedJob) -> Result<Confirmation> {
    if !job.is_object {
        return Err(Error::InvalidResponse {
            status: 200,
            message: "getJob did not return a job object".into(),
        });
    }
    if job.jobid.as_deref() != Some(hint.jobid.as_str()) {
        return Err(Error::InvalidResponse {
            status: 200,
            message: "getJob returned a different job than the webhook named".into(),
        });
    }
    let recorded = &job.recorded_reply_ref;
    match (recorded, &hint.reply_ref) {
        (Some(r), Some(claimed)) if r != claimed => Err(Error::validation(
            "replyRef",
            "in the webhook body differs from the one the provider recorded for this job",
        )),
        (Some(r), _) => Ok(Confirmation {
            reply_ref: Some(r.clone()),
            reply_ref_from_job: true,
        }),
        (None, claimed) => Ok(Confirmation {
            reply_ref: claimed.clone(),
            reply_ref_from_job: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The facts `confirm` reads, from a job's JSON (the wasm layer reads the JS object).
    fn confirmed_job(job: &Value) -> ConfirmedJob {
        let Value::Object(job) = job else {
            return ConfirmedJob::default();
        };
        let holder = |path: Option<&str>| match path {
            None => Some(job),
            Some(key) => job.get(key).and_then(Value::as_object),
        };
        ConfirmedJob {
            is_object: true,
            jobid: job.get("jobid").and_then(Value::as_str).map(str::to_string),
            recorded_reply_ref: RECORDED_REPLY_REF_PATHS
                .iter()
                .find_map(|p| holder(*p).and_then(|o| string_at(o, &REPLY_REF_KEYS))),
        }
    }

    use crate::ErrorKind;

    const ID: &str = "j0302140530123456789I-u12345-US:user@example.com:dreamina";
    const SOURCE: &str = "j0302140530123456789i-u12345-US:user@example.com:dreamina";

    fn hint(body: &str) -> WebhookHint {
        parse_webhook(body).unwrap_or_else(|e| panic!("{body}: {e}"))
    }

    fn field_of(body: &str) -> Option<String> {
        let e = parse_webhook(body).expect_err(body);
        assert_eq!(e.kind(), ErrorKind::Validation);
        e.field().map(str::to_string)
    }

    #[test]
    fn options_are_checked_field_by_field() {
        let s = |v: &str| Val::Str(v.into());
        let opts = |pairs: &[(&str, Val)]| -> Fields {
            let mut f: Fields = vec![("client".into(), Val::Object)];
            f.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())));
            f
        };
        let c = webhook_config(&opts(&[]), &Val::Function).unwrap();
        assert_eq!(c.max_body_bytes, 1024 * 1024);
        assert!(c.get_job_options.is_empty());
        let c = webhook_config(
            &opts(&[
                ("maxBodyBytes", Val::Num(10.0)),
                ("timeoutMs", Val::Num(5.0)),
                ("signal", Val::AbortSignal),
                ("maxRetries", Val::Null),
            ]),
            &Val::Function,
        )
        .unwrap();
        assert_eq!(c.max_body_bytes, 10);
        assert_eq!(c.get_job_options, ["signal", "timeoutMs"]);
        let field = |pairs: &[(&str, Val)], get_job: Val| {
            let e = webhook_config(&opts(pairs), &get_job).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Validation);
            e.field().map(str::to_string)
        };
        assert_eq!(field(&[], Val::Missing).as_deref(), Some("client"));
        assert_eq!(field(&[], s("getJob")).as_deref(), Some("client"));
        for bad in [Val::Num(0.0), Val::Num(1.5), s("1"), Val::Num(f64::NAN)] {
            let f = field(&[("maxBodyBytes", bad.clone())], Val::Function);
            assert_eq!(f.as_deref(), Some("maxBodyBytes"), "{bad:?}");
        }
        let huge = Val::Num((MAX_BODY_BYTES_LIMIT + 1) as f64);
        assert_eq!(
            field(&[("maxBodyBytes", huge)], Val::Function).as_deref(),
            Some("maxBodyBytes")
        );
        assert_eq!(
            field(&[("clinet", s("x"))], Val::Function).as_deref(),
            Some("clinet")
        );
    }

    #[test]
    fn sizes_are_capped_leniently() {
        assert!(check_size(Some(10), None, 10).is_ok());
        assert_eq!(
            check_size(Some(11), None, 10).unwrap_err().to_string(),
            "Invalid body: is larger than 10 bytes"
        );
        assert!(check_size(None, Some(" 11 "), 10).is_err());
        assert!(check_size(None, Some("10"), 10).is_ok());
        assert!(
            check_size(None, Some("-1"), 10).is_ok(),
            "malformed: ignored"
        );
        assert!(
            check_size(None, Some("lots"), 10).is_ok(),
            "malformed: ignored"
        );
    }

    #[test]
    fn job_at_top_level_not_the_source_jobid() {
        let body = format!(
            r#"{{"request":{{"jobid":"{SOURCE}","replyRef":"r-1"}},"jobid":"{ID}","status":"completed","replyRef":"r-1"}}"#
        );
        let h = hint(&body);
        assert_eq!(h.jobid, ID);
        assert_eq!(h.reply_ref.as_deref(), Some("r-1"));
    }

    #[test]
    fn source_jobid_alone_is_not_taken() {
        let body = format!(r#"{{"request":{{"jobid":"{SOURCE}"}},"status":"completed"}}"#);
        assert_eq!(field_of(&body).as_deref(), Some("jobid"));
    }

    #[test]
    fn envelopes_and_key_spellings() {
        let cases = [
            format!(r#"{{"data":{{"jobId":"{ID}"}},"replyRef":"outer"}}"#),
            format!(
                r#"{{"event":"done","payload":{{"job":{{"job_id":"{ID}","replyRef":"outer"}}}}}}"#
            ),
            format!(r#"{{"data":"{{\"jobid\":\"{ID}\"}}","replyRef":"outer"}}"#),
            serde_json::to_string(&format!(r#"{{"jobid":"{ID}","replyRef":"outer"}}"#)).unwrap(),
            format!("\u{feff}  {{\"jobid\":\"{ID}\",\"reply_ref\":\"outer\"}}\n"),
        ];
        for body in cases {
            let h = hint(&body);
            assert_eq!(h.jobid, ID, "{body}");
            assert_eq!(h.reply_ref.as_deref(), Some("outer"), "{body}");
        }
        let deep = format!(r#"{{"a":{{"jobid":"{ID}"}}}}"#);
        assert_eq!(
            field_of(&deep).as_deref(),
            Some("jobid"),
            "unknown envelope"
        );
        let too_deep = format!(r#"{{"data":{{"data":{{"data":{{"data":{{"jobid":"{ID}"}}}}}}}}}}"#);
        assert_eq!(field_of(&too_deep).as_deref(), Some("jobid"));
    }

    #[test]
    fn form_bodies() {
        let h = hint("jobid=j1%3Aa%40b.com&replyRef=order+7");
        assert_eq!(h.jobid, "j1:a@b.com");
        assert_eq!(h.reply_ref.as_deref(), Some("order 7"));
    }

    #[test]
    fn bad_bodies_name_their_field() {
        for (body, field) in [
            ("", "body"),
            ("   ", "body"),
            ("<html>oops</html>", "body"),
            ("[1,2]", "body"),
            ("42", "body"),
            ("{}", "jobid"),
            (r#"{"jobid":42}"#, "jobid"),
            (r#"{"jobid":""}"#, "jobid"),
            (r#"{"jobid":"a\u0000b"}"#, "jobid"),
            (r#"{"status":"completed"}"#, "jobid"),
            // The job id goes into `GET /images/{jobid}`: nothing that reads as a path.
            (r#"{"jobid":".."}"#, "jobid"),
            (r#"{"jobid":"j1/../../scheduler"}"#, "jobid"),
            (r#"{"data":{"jobid":"j1\\..\\x"}}"#, "jobid"),
            (r#"{"jobid":"%2e%2e%2Faccounts"}"#, "jobid"),
            ("jobid=..%2F..%2Faccounts", "jobid"),
            ("jobid=%252e%252e", "jobid"),
        ] {
            assert_eq!(field_of(body).as_deref(), Some(field), "{body:?}");
        }
    }

    #[test]
    fn confirmation_prefers_the_provider_and_refuses_mismatches() {
        let h = WebhookHint {
            jobid: ID.into(),
            reply_ref: Some("claimed".into()),
        };
        let facts = |json: &str| confirmed_job(&serde_json::from_str(json).unwrap());
        let job = |reply: &str| {
            facts(&format!(
                r#"{{"jobid":"{ID}","status":"completed","request":{{"jobid":"{SOURCE}"{reply}}}}}"#
            ))
        };
        let c = confirm(&h, &job(r#","replyRef":"claimed""#)).unwrap();
        assert_eq!(c.reply_ref.as_deref(), Some("claimed"));
        assert!(c.reply_ref_from_job);
        let e = confirm(&h, &job(r#","replyRef":"other""#)).unwrap_err();
        assert_eq!(e.field(), Some("replyRef"));
        // The provider did not echo it: the body's value is all there is.
        assert_eq!(
            confirm(&h, &job("")).unwrap().reply_ref.as_deref(),
            Some("claimed")
        );
        let no_claim = WebhookHint {
            jobid: ID.into(),
            reply_ref: None,
        };
        assert_eq!(
            confirm(&no_claim, &job(r#","replyRef":"rec""#))
                .unwrap()
                .reply_ref
                .as_deref(),
            Some("rec")
        );
        let other = facts(&format!(r#"{{"jobid":"{SOURCE}","status":"completed"}}"#));
        assert_eq!(
            confirm(&h, &other).unwrap_err().kind(),
            ErrorKind::InvalidResponse
        );
        assert_eq!(
            confirm(&h, &facts("[]")).unwrap_err().kind(),
            ErrorKind::InvalidResponse
        );
    }

    /// The job object as the provider answers `GET /images/{jobid}` for an upscale: its
    /// `request` echo holds only jobid, imageIndex and resolution.
    fn provider_job(status: &str) -> String {
        format!(
            r#"{{"jobid":"{ID}","type":"upscale","status":"{status}","request":{{"jobid":"{SOURCE}","imageIndex":0,"resolution":"4k"}},"response":{{"images":[]}},"code":200}}"#
        )
    }

    #[test]
    fn reply_ref_comes_from_the_call_not_from_the_request_echo() {
        let job = confirmed_job(&serde_json::from_str(&provider_job("completed")).unwrap());
        assert_eq!(job.recorded_reply_ref, None);
        // The provider's call: the job object, replyRef at its top level.
        let call = provider_job("completed").replacen('{', r#"{"replyRef":"order-9","#, 1);
        let c = confirm(&hint(&call), &job).unwrap();
        assert_eq!(c.reply_ref.as_deref(), Some("order-9"));
        assert!(!c.reply_ref_from_job);
        // A replyRef the provider's job does hold (top level or echo) is its record.
        for recorded in [
            provider_job("completed").replacen('{', r#"{"replyRef":"rec","#, 1),
            provider_job("completed")
                .replace(r#""imageIndex""#, r#""replyRef":"rec","imageIndex""#),
        ] {
            let job = confirmed_job(&serde_json::from_str(&recorded).unwrap());
            assert_eq!(job.recorded_reply_ref.as_deref(), Some("rec"), "{recorded}");
            let c = confirm(&hint(&call), &job);
            assert_eq!(c.unwrap_err().field(), Some("replyRef"), "{recorded}");
        }
    }

    #[test]
    fn a_call_for_a_job_never_started_here_is_confirmed_without_a_reply_ref() {
        // An account-wide replyUrl: the provider calls it for every job of the account, with
        // no replyRef for jobs that set none (made on the provider's site, by another app...).
        for status in ["completed", "failed", "created"] {
            let call = provider_job(status);
            let h = hint(&call);
            assert_eq!((h.jobid.as_str(), h.reply_ref.as_deref()), (ID, None));
            let job = confirmed_job(&serde_json::from_str(&provider_job("completed")).unwrap());
            let c = confirm(&h, &job).unwrap();
            assert_eq!((c.reply_ref, c.reply_ref_from_job), (None, false));
        }
    }
}
