//! Turns an HTTP response (status, a few headers, the body parsed once) into a `Job` or
//! a typed error. Pure, so every status and body shape is checked on the host.
//!
//! One response passes through these types, in order: the transport reads the answer
//! (`wasm::transport::RawResponse`: status, headers, body text still in JS), parses the body
//! once and reports a `Response` (status, the two headers classification reads, the body's
//! length and start, and what the `Body` turned out to be, with the few `BodyFields` read);
//! `classify_response` makes it a `Job` (id, status, a failure's reason) or an `Error`; the
//! engine hands back a `JobDoc` (that `Job` and the parsed document, the very JS object). On
//! the host, tests build responses from text (`TextResponse`).

use crate::endpoint::Answers;
use crate::error::{Error, ErrorKind, Result};
use crate::value::Val;

/// Bodies larger than this are refused rather than parsed (a job is a few KB).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// How much of an unexpected body an error message quotes.
const EXCERPT_CHARS: usize = 120;
/// A status as printed in messages. Formatted as a `u32`: `u16`'s `Display` would bring its
/// own formatting code into the wasm binary (about 100 B gzip) for no other use.
pub fn printable_status(status: u16) -> u32 {
    u32::from(status)
}

/// How much of the body a transport keeps as text for messages.
pub const BODY_START_CHARS: usize = 200;

/// What a body turned out to be. The transport parses each body exactly once (`JSON.parse`
/// in wasm, so the job handed to JS is that same object) and reports these few fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Body {
    #[default]
    NotJson,
    /// JSON, but not an object (an array, a string, `null`…).
    NotObject,
    Object(BodyFields),
}

/// The fields of a JSON object body the client looks at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BodyFields {
    pub jobid: Val,
    pub status: Val,
    /// `error` as text: the string itself, or an upstream object's `message` / `error` string.
    pub error: Option<String>,
    /// `message` as text, the same way.
    pub message: Option<String>,
}

/// What classification needs from one HTTP exchange.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Response {
    pub status: u16,
    pub retry_after: Option<String>,
    pub content_type: Option<String>,
    /// Length of the body (bytes, or UTF-16 units from JS: it is only compared to a limit).
    pub body_len: usize,
    /// The first `BODY_START_CHARS` characters of the body, for error messages. A transport
    /// may leave it empty when `needs_excerpt` says no message will quote it.
    pub body_start: String,
    pub body: Body,
}

/// False only for the common good case, a 2xx job object with a string `jobid` and `status`,
/// which no error message quotes: the transport can then skip copying the body's start.
pub fn needs_excerpt(status: u16, body: &Body) -> bool {
    let good_job = matches!(body, Body::Object(f)
        if matches!(&f.jobid, Val::Str(s) if !s.is_empty()) && matches!(f.status, Val::Str(_)));
    !((200..300).contains(&status) && good_job)
}

/// Whether classification reads a body's `error` / `message` text: only for an error answer
/// or a failed job. A transport may leave `BodyFields::error` / `message` empty otherwise.
pub fn needs_error_text(status: u16, job_status: &Val) -> bool {
    !(200..300).contains(&status) || matches!(job_status, Val::Str(s) if s == "failed")
}

/// A job's status as the API reports it; unknown values count as still running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    Created,
    Completed,
    Failed,
    Other(String),
}

impl JobStatus {
    fn parse(s: &str) -> Self {
        match s {
            "created" => JobStatus::Created,
            "completed" => JobStatus::Completed,
            "failed" => JobStatus::Failed,
            other => JobStatus::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Created => "created",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Other(s) => s,
        }
    }
}

/// The few fields of a job the client acts on; the JS side keeps the full object.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub jobid: String,
    pub status: JobStatus,
    /// The reason of a failed job (`None` for any other status).
    pub error: Option<String>,
}

/// A successful exchange: the job plus the parsed document (a JS object in wasm).
#[derive(Debug, Clone, PartialEq)]
pub struct JobDoc<D> {
    pub job: Job,
    pub doc: D,
}

/// Classifies a response: for 2xx, what `answers` expects (a `Job` read from a job body; a
/// JSON object; anything), a typed error otherwise.
pub fn classify_response(
    response: &Response,
    now_ms: f64,
    answers: Answers,
) -> Result<Option<Job>> {
    if response.body_len > MAX_BODY_BYTES {
        return Err(Error::InvalidResponse {
            status: response.status,
            message: format!(
                "The API answered HTTP {} with a body of {} bytes, more than the {} accepted",
                printable_status(response.status),
                response.body_len,
                MAX_BODY_BYTES
            ),
        });
    }
    if !(200..300).contains(&response.status) {
        return Err(api_error(response, now_ms));
    }
    match (answers, &response.body) {
        (Answers::Job, _) => read_job(response).map(Some),
        (Answers::Object, Body::Object(_)) | (Answers::Anything, _) => Ok(None),
        (Answers::Object, Body::NotObject) => Err(invalid(response, "JSON that is not an object")),
        (Answers::Object, Body::NotJson) => Err(invalid(response, "a body that is not JSON")),
    }
}

/// The error of a 2xx answer that is not what the endpoint answers.
fn invalid(response: &Response, why: &str) -> Error {
    Error::InvalidResponse {
        status: response.status,
        message: format!(
            "The API answered HTTP {} with {why}: {}",
            printable_status(response.status),
            excerpt(&response.body_start)
        ),
    }
}

fn read_job(response: &Response) -> Result<Job> {
    let invalid = |why: &str| invalid(response, why);
    let fields = match &response.body {
        Body::Object(fields) => fields,
        Body::NotObject => return Err(invalid("JSON that is not a job object")),
        Body::NotJson => return Err(invalid("a body that is not JSON")),
    };
    let jobid = match &fields.jobid {
        Val::Str(s) if !s.is_empty() => s.clone(),
        _ => return Err(invalid("a job without a string \"jobid\"")),
    };
    let status = match &fields.status {
        Val::Str(s) => JobStatus::parse(s),
        _ => return Err(invalid("a job without a string \"status\"")),
    };
    // Only a failed job's reason is kept (see `needs_error_text`).
    let error = match status {
        JobStatus::Failed => fields.error.clone(),
        _ => None,
    };
    Ok(Job {
        jobid,
        status,
        error,
    })
}

/// The error kind an HTTP status maps to.
pub fn kind_for_status(status: u16) -> ErrorKind {
    match status {
        400 | 405 | 409 | 413 | 415 => ErrorKind::Validation,
        401 | 403 => ErrorKind::Unauthorized,
        402 | 412 => ErrorKind::PaymentRequired,
        404 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        410 => ErrorKind::Gone,
        422 => ErrorKind::Moderated,
        429 => ErrorKind::RateLimited,
        596 => ErrorKind::AccountError,
        500..=599 => ErrorKind::Server,
        // 1xx/3xx reaching us, or a 4xx this API does not use: not what the contract promises.
        _ => ErrorKind::InvalidResponse,
    }
}

fn api_error(response: &Response, now_ms: f64) -> Error {
    let kind = kind_for_status(response.status);
    let provider_message = match &response.body {
        Body::Object(f) => f.error.clone().or_else(|| f.message.clone()),
        _ => None,
    };
    // Any JSON body counts as the provider's (it may pass an upstream error object through);
    // only an empty or non-JSON body (a proxy's or load balancer's page) does not.
    let from_provider = !matches!(response.body, Body::NotJson);
    let message = provider_message.unwrap_or_else(|| default_message(response));
    let retry_after_ms = response
        .retry_after
        .as_deref()
        .and_then(|v| parse_retry_after(v, now_ms));
    match kind {
        ErrorKind::Timeout => Error::Timeout {
            message,
            status: Some(response.status),
        },
        ErrorKind::InvalidResponse => Error::InvalidResponse {
            status: response.status,
            message,
        },
        _ => Error::Api {
            kind,
            status: response.status,
            message,
            retry_after_ms,
            from_provider,
        },
    }
}

/// A body's `error` or `message` field as a transport finds it (`BodyFields` holds its text).
pub enum ErrorField {
    /// A string.
    Text(String),
    /// An upstream error object passed through: its own `message` and `error`, where strings.
    Object {
        message: Option<String>,
        error: Option<String>,
    },
    /// Absent, or anything else.
    Other,
}

impl ErrorField {
    /// The text a message quotes: a non-blank string, or an upstream object's `message` (or
    /// else its `error`) string. The one rule, for the wasm transport and the host alike.
    pub fn text(self) -> Option<String> {
        let s = match self {
            ErrorField::Text(s) => s,
            ErrorField::Object { message, error } => message.or(error)?,
            ErrorField::Other => return None,
        };
        (!s.trim().is_empty()).then_some(s)
    }
}

fn default_message(response: &Response) -> String {
    let what = match response.status {
        429 => "Rate limited by the API",
        500..=599 => "The API had a server error",
        _ => "The API refused the request",
    };
    if response.body_start.trim().is_empty() && response.body_len <= response.body_start.len() {
        format!(
            "{what} (HTTP {}, empty body)",
            printable_status(response.status)
        )
    } else {
        let ctype = response.content_type.as_deref().unwrap_or("unknown type");
        format!(
            "{what} (HTTP {}, {ctype} body: {})",
            printable_status(response.status),
            excerpt(&response.body_start)
        )
    }
}

/// A whole response with its body text: the host-side form the tests feed the classifier.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextResponse {
    pub status: u16,
    pub retry_after: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

#[cfg(not(target_arch = "wasm32"))]
impl TextResponse {
    /// Parses the body with serde_json into the `Response` the classifier reads.
    pub fn to_response(&self) -> Response {
        Response {
            status: self.status,
            retry_after: self.retry_after.clone(),
            content_type: self.content_type.clone(),
            body_len: self.body.len(),
            body_start: self.body.chars().take(BODY_START_CHARS).collect(),
            body: parse_json(&self.body),
        }
    }
}

/// Classifies a whole response; the body text is kept as the document.
#[cfg(not(target_arch = "wasm32"))]
pub fn classify(resp: TextResponse, now_ms: f64) -> Result<JobDoc<String>> {
    let job = classify_response(&resp.to_response(), now_ms, Answers::Job)?;
    let job = job.ok_or_else(|| invalid(&resp.to_response(), "no job"))?;
    Ok(JobDoc {
        job,
        doc: resp.body,
    })
}

/// `Body` from body text, with serde_json (the wasm client uses `JSON.parse` instead).
#[cfg(not(target_arch = "wasm32"))]
pub fn parse_json(body: &str) -> Body {
    use serde_json::Value;
    let obj = match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(o)) => o,
        Ok(_) => return Body::NotObject,
        Err(_) => return Body::NotJson,
    };
    let val = |v: Option<&Value>| v.map_or(Val::Missing, crate::value::from_json);
    let string = |v: Option<&Value>| v.and_then(Value::as_str).map(String::from);
    let as_text = |v: Option<&Value>| {
        match v {
            Some(Value::String(s)) => ErrorField::Text(s.clone()),
            Some(Value::Object(o)) => ErrorField::Object {
                message: string(o.get("message")),
                error: string(o.get("error")),
            },
            _ => ErrorField::Other,
        }
        .text()
    };
    Body::Object(BodyFields {
        jobid: val(obj.get("jobid")),
        status: val(obj.get("status")),
        error: as_text(obj.get("error")),
        message: as_text(obj.get("message")),
    })
}

/// A short, single-line quote of a body for messages.
pub fn excerpt(body: &str) -> String {
    // Control characters and runs of white space become one space.
    let mut flat = String::new();
    for c in body.chars() {
        let space = c.is_control() || c.is_whitespace();
        if !space {
            flat.push(c);
        } else if !flat.is_empty() && !flat.ends_with(' ') {
            flat.push(' ');
        }
    }
    let flat = flat.trim_end();
    if flat.is_empty() {
        return "(empty)".into();
    }
    let mut out: String = flat.chars().take(EXCERPT_CHARS).collect();
    if crate::text::char_count(flat) > EXCERPT_CHARS {
        out.push('…');
    }
    format!("\"{out}\"")
}

/// Parses `Retry-After` as delay-seconds or an HTTP date (IMF-fixdate), into milliseconds
/// from `now_ms` (Unix epoch milliseconds).
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<u64> {
    let value = value.trim();
    // delay-seconds is a whole number (RFC 9110); no float parsing needed in the binary.
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(secs.saturating_mul(1000));
    }
    let at = parse_http_date(value)?;
    Some((at - now_ms).max(0.0) as u64)
}

/// Parses an IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (the fixed-width form RFC 9110
/// has senders use), into Unix epoch milliseconds. Read by byte positions: no splitting or
/// integer parsing code in the binary for it.
pub fn parse_http_date(s: &str) -> Option<f64> {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let b = s.as_bytes();
    let shape = b.len() == 29
        && b.get(3..5) == Some(b", ")
        && [7, 11, 16].iter().all(|&i| b[i] == b' ')
        && b[19] == b':'
        && b[22] == b':'
        && b.get(25..) == Some(b" GMT");
    if !shape {
        return None;
    }
    // Digits only, within `range`; `None` for anything else.
    let num = |from: usize, to: usize, range: std::ops::RangeInclusive<i64>| {
        let n = crate::text::decimal(b.get(from..to)?)? as i64;
        range.contains(&n).then_some(n)
    };
    let month = MONTHS.iter().position(|m| b.get(8..11) == Some(*m))? as i64 + 1;
    let day = num(5, 7, 1..=31)?;
    let year = num(12, 16, 1970..=9999)?;
    let (h, m, sec) = (
        num(17, 19, 0..=23)?,
        num(20, 22, 0..=59)?,
        num(23, 25, 0..=60)?,
    );
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + h * 3600 + m * 60 + sec) * 1000) as f64)
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> TextResponse {
        TextResponse {
            status,
            body: body.into(),
            ..Default::default()
        }
    }

    const JOB: &str =
        r#"{"jobid":"j1I-u1-US:a@b.c:dreamina","type":"upscale","status":"created","code":200}"#;

    #[test]
    fn job_bodies_are_summarised() {
        let f = classify(resp(200, JOB), 0.0).unwrap();
        assert_eq!(f.job.jobid, "j1I-u1-US:a@b.c:dreamina");
        assert_eq!(f.job.status, JobStatus::Created);
        assert_eq!(f.doc, JOB);
        let failed = classify(
            resp(
                200,
                r#"{"jobid":"x","status":"failed","error":"fail_code: 2043"}"#,
            ),
            0.0,
        )
        .unwrap();
        assert_eq!(failed.job.status, JobStatus::Failed);
        assert_eq!(failed.job.error.as_deref(), Some("fail_code: 2043"));
        let odd = classify(resp(200, r#"{"jobid":"x","status":"queued"}"#), 0.0).unwrap();
        assert_eq!(odd.job.status, JobStatus::Other("queued".into()));
    }

    #[test]
    fn only_good_jobs_skip_the_excerpt() {
        let job = |status: u16, body: &str| needs_excerpt(status, &parse_json(body));
        assert!(!job(200, JOB));
        assert!(job(404, JOB));
        assert!(job(200, r#"{"jobid":"","status":"created"}"#));
        assert!(job(200, r#"{"jobid":"x"}"#));
        assert!(job(200, "<html>"));
        assert!(job(500, r#"{"error":"x"}"#));
    }

    #[test]
    fn error_text_is_only_read_where_it_changes_the_outcome() {
        let bodies = [
            JOB,
            r#"{"jobid":"x","status":"completed","error":"ignored","message":"m"}"#,
            r#"{"jobid":"x","status":"failed","error":"fail_code: 1"}"#,
            r#"{"jobid":"x","status":"failed","error":{"message":"nested"}}"#,
            r#"{"jobid":"","status":"created","error":"e"}"#,
            r#"{"error":"Unauthorized","message":"m"}"#,
            r#"{"status":"created","message":"no id"}"#,
        ];
        for status in [200, 201, 400, 401, 429, 500, 503] {
            for body in bodies {
                let full = resp(status, body).to_response();
                let Body::Object(fields) = &full.body else {
                    unreachable!()
                };
                if needs_error_text(status, &fields.status) {
                    continue;
                }
                let mut bare = full.clone();
                bare.body = Body::Object(BodyFields {
                    error: None,
                    message: None,
                    ..fields.clone()
                });
                let (a, b) = (
                    classify_response(&full, 0.0, Answers::Job),
                    classify_response(&bare, 0.0, Answers::Job),
                );
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{status} {body}");
            }
        }
        assert!(needs_error_text(200, &Val::Str("failed".into())));
        assert!(needs_error_text(404, &Val::Missing));
        assert!(!needs_error_text(200, &Val::Str("completed".into())));
    }

    #[test]
    fn bad_success_bodies_are_invalid_response() {
        for body in [
            "",
            "<html>hi</html>",
            r#"{"jobid":"x","status":"crea"#,
            "[1,2]",
            "null",
            r#"{"status":"created"}"#,
            r#"{"jobid":5,"status":"created"}"#,
            r#"{"jobid":"x","status":7}"#,
            r#"{"jobid":"","status":"created"}"#,
        ] {
            let e = classify(resp(200, body), 0.0).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{body}");
            assert_eq!(e.status(), Some(200));
            assert!(e.to_string().contains("HTTP 200"), "{e}");
        }
        let huge = "x".repeat(MAX_BODY_BYTES + 1);
        assert_eq!(
            classify(resp(200, &huge), 0.0).unwrap_err().kind(),
            ErrorKind::InvalidResponse
        );
    }

    #[test]
    fn each_status_has_its_kind() {
        let table = [
            (400, ErrorKind::Validation),
            (401, ErrorKind::Unauthorized),
            (402, ErrorKind::PaymentRequired),
            (404, ErrorKind::NotFound),
            (408, ErrorKind::Timeout),
            (410, ErrorKind::Gone),
            (412, ErrorKind::PaymentRequired),
            (422, ErrorKind::Moderated),
            (429, ErrorKind::RateLimited),
            (500, ErrorKind::Server),
            (502, ErrorKind::Server),
            (503, ErrorKind::Server),
            (504, ErrorKind::Server),
            (596, ErrorKind::AccountError),
            (302, ErrorKind::InvalidResponse),
        ];
        for (status, kind) in table {
            let e = classify(resp(status, r#"{"error":"boom","code":1}"#), 0.0).unwrap_err();
            assert_eq!(e.kind(), kind, "{status}");
            assert_eq!(e.status(), Some(status));
            assert_eq!(e.to_string(), "boom");
        }
    }

    #[test]
    fn error_messages_from_each_body_shape() {
        let msg = |body: &str| classify(resp(400, body), 0.0).unwrap_err().to_string();
        assert_eq!(
            msg(r#"{"error":"Parameter jobid is required"}"#),
            "Parameter jobid is required"
        );
        assert_eq!(msg(r#"{"message":"upstream said no"}"#), "upstream said no");
        assert_eq!(
            msg(r#"{"error":{"message":"nested","type":"x"}}"#),
            "nested"
        );
        let html = msg("<html><body>\n<h1>Bad gateway</h1></body></html>");
        assert!(
            html.contains("HTTP 400") && html.contains("Bad gateway"),
            "{html}"
        );
        assert!(msg("").contains("empty body"));
        assert!(msg(r#"{"error":{"message":" "}}"#).contains("HTTP 400"));
        let long = msg(&"y".repeat(5000));
        assert!(long.len() < 300, "{long}");
    }

    #[test]
    fn provider_bodies_are_told_apart() {
        let from = |body: &str| match classify(resp(503, body), 0.0).unwrap_err() {
            Error::Api { from_provider, .. } => from_provider,
            e => panic!("{e:?}"),
        };
        assert!(from(r#"{"error":"Service unavailable","code":503}"#));
        // An upstream error object passed through is still the provider's answer.
        assert!(from(r#"{"code":503,"detail":"upstream busy"}"#));
        assert!(!from(""));
        assert!(!from("<html>503</html>"));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = parse_http_date("Wed, 25 Nov 2026 01:00:00 GMT").unwrap();
        assert_eq!(parse_retry_after("7", now), Some(7000));
        assert_eq!(parse_retry_after(" 0 ", now), Some(0));
        assert_eq!(parse_retry_after("1.5", now), None);
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 01:00:30 GMT", now),
            Some(30_000)
        );
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 00:59:00 GMT", now),
            Some(0)
        );
        for bad in [
            "",
            "-1",
            "soon",
            "Wed, 25 Nov 2026 25:00:00 GMT",
            "NaN",
            "inf",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0.0));
        for bad in [
            "Thu, 01 Jan 1970 00:00:00 UTC",
            "Thu, 1 Jan 1970 00:00:00 GMT",
            "Thu, +1 Jan 1970 00:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:0x GMT",
            "Thu, 01 Jam 1970 00:00:00 GMT",
            "Thu, 01 Jan 1969 00:00:00 GMT",
            "Thu, 32 Jan 1970 00:00:00 GMT",
            "Thu, 01 Jan 1970 00:60:00 GMT",
            "Thu, 01 Jan 1970 00:00:61 GMT",
            "Thu,  01 Jan 1970 00:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT ",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000.0)
        );
    }

    #[test]
    fn each_endpoint_kind_of_answer_is_checked() {
        let of = |status: u16, body: &str, answers| {
            classify_response(&resp(status, body).to_response(), 0.0, answers)
        };
        assert_eq!(of(200, r#"{"US:a@b.c":{}}"#, Answers::Object), Ok(None));
        assert_eq!(of(200, "{}", Answers::Object), Ok(None));
        for body in ["[]", "null", "", "<html>"] {
            let e = of(200, body, Answers::Object).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{body}");
        }
        assert_eq!(of(204, "", Answers::Anything), Ok(None));
        assert_eq!(of(200, "[1]", Answers::Anything), Ok(None));
        let e = of(
            404,
            r#"{"error":"Unable to find configuration for account x"}"#,
            Answers::Object,
        );
        assert_eq!(e.unwrap_err().kind(), ErrorKind::NotFound);
        assert!(
            of(200, "{}", Answers::Job).is_err(),
            "a job needs jobid and status"
        );
    }

    #[test]
    fn rate_limit_carries_retry_after() {
        let mut r = resp(429, r#"{"error":"busy"}"#);
        r.retry_after = Some("12".into());
        let e = classify(r, 0.0).unwrap_err();
        assert_eq!(e.retry_after_ms(), Some(12_000));
    }
}
