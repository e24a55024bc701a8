//! Turns an HTTP response (status, a few headers, body text) into a job summary or a typed
//! error. Pure, so every status and body shape is checked on the host.

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};

/// Bodies larger than this are refused rather than parsed (a job is a few KB).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// How much of an unexpected body an error message quotes.
const EXCERPT_CHARS: usize = 120;

/// What the transport hands over from one HTTP exchange.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub retry_after: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
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
pub struct JobSummary {
    pub jobid: String,
    pub status: JobStatus,
    pub error: Option<String>,
}

/// A successful exchange: the summary plus the body text, parsed for JS only once.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub job: JobSummary,
    pub body: String,
}

#[derive(Deserialize)]
struct RawJob {
    jobid: Option<serde_json::Value>,
    status: Option<serde_json::Value>,
    error: Option<serde_json::Value>,
}

/// Classifies a response: a job for 2xx with a job body, a typed error otherwise.
pub fn classify(resp: HttpResponse, now_ms: f64) -> Result<Fetched> {
    if resp.body.len() > MAX_BODY_BYTES {
        return Err(Error::InvalidResponse {
            status: resp.status,
            message: format!(
                "The API answered HTTP {} with a body of {} bytes, more than the {} accepted",
                resp.status,
                resp.body.len(),
                MAX_BODY_BYTES
            ),
        });
    }
    if (200..300).contains(&resp.status) {
        let job = parse_job(&resp)?;
        return Ok(Fetched {
            job,
            body: resp.body,
        });
    }
    Err(api_error(&resp, now_ms))
}

fn parse_job(resp: &HttpResponse) -> Result<JobSummary> {
    let invalid = |why: &str| Error::InvalidResponse {
        status: resp.status,
        message: format!(
            "The API answered HTTP {} with {why}: {}",
            resp.status,
            excerpt(&resp.body)
        ),
    };
    let raw: RawJob = match serde_json::from_str::<serde_json::Value>(&resp.body) {
        Ok(v @ serde_json::Value::Object(_)) => {
            serde_json::from_value(v).map_err(|_| invalid("a job object of the wrong shape"))?
        }
        Ok(_) => return Err(invalid("JSON that is not a job object")),
        Err(_) => return Err(invalid("a body that is not JSON")),
    };
    let jobid = match raw.jobid {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s,
        _ => return Err(invalid("a job without a string \"jobid\"")),
    };
    let status = match raw.status {
        Some(serde_json::Value::String(s)) => JobStatus::parse(&s),
        _ => return Err(invalid("a job without a string \"status\"")),
    };
    let error = match raw.error {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    Ok(JobSummary {
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

fn api_error(resp: &HttpResponse, now_ms: f64) -> Error {
    let kind = kind_for_status(resp.status);
    let provider_message = error_message(&resp.body);
    let from_provider = provider_message.is_some();
    let message = provider_message.unwrap_or_else(|| default_message(resp));
    let retry_after_ms = resp
        .retry_after
        .as_deref()
        .and_then(|v| parse_retry_after(v, now_ms));
    match kind {
        ErrorKind::Timeout => Error::Timeout {
            message,
            status: Some(resp.status),
        },
        ErrorKind::InvalidResponse => Error::InvalidResponse {
            status: resp.status,
            message,
        },
        _ => Error::Api {
            kind,
            status: resp.status,
            message,
            retry_after_ms,
            from_provider,
        },
    }
}

/// The API's own error text: `{"error":"..."}`, `{"message":"..."}`, or an upstream object
/// passed through as `{"error":{"message":"..."}}`.
fn error_message(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let obj = v.as_object()?;
    let pick = |v: &serde_json::Value| -> Option<String> {
        match v {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            serde_json::Value::Object(o) => o
                .get("message")
                .or_else(|| o.get("error"))
                .and_then(|m| m.as_str())
                .filter(|m| !m.trim().is_empty())
                .map(String::from),
            _ => None,
        }
    };
    obj.get("error")
        .and_then(pick)
        .or_else(|| obj.get("message").and_then(pick))
}

fn default_message(resp: &HttpResponse) -> String {
    let what = match resp.status {
        429 => "Rate limited by the API",
        500..=599 => "The API had a server error",
        _ => "The API refused the request",
    };
    if resp.body.trim().is_empty() {
        format!("{what} (HTTP {}, empty body)", resp.status)
    } else {
        let ctype = resp.content_type.as_deref().unwrap_or("unknown type");
        format!(
            "{what} (HTTP {}, {ctype} body: {})",
            resp.status,
            excerpt(&resp.body)
        )
    }
}

/// A short, single-line quote of a body for messages.
pub fn excerpt(body: &str) -> String {
    let flat: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if flat.is_empty() {
        return "(empty)".into();
    }
    let mut out: String = flat.chars().take(EXCERPT_CHARS).collect();
    if flat.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    format!("{out:?}")
}

/// Parses `Retry-After` as delay-seconds or an HTTP date (IMF-fixdate), into milliseconds
/// from `now_ms` (Unix epoch milliseconds).
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(|s| s.saturating_mul(1000));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some((secs * 1000.0).min(u64::MAX as f64 / 2.0) as u64);
        }
        return None;
    }
    let at = parse_http_date(value)?;
    Some((at - now_ms).max(0.0) as u64)
}

/// Parses `Sun, 06 Nov 1994 08:49:37 GMT` into Unix epoch milliseconds.
pub fn parse_http_date(s: &str) -> Option<f64> {
    let (_, rest) = s.split_once(", ")?;
    let parts: Vec<&str> = rest.split_whitespace().collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let day: i64 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let year: i64 = year.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let hms: Vec<i64> = time.split(':').map(two_digits).collect::<Option<_>>()?;
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    if *h > 23 || *m > 59 || *sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + h * 3600 + m * 60 + sec) * 1000) as f64)
}

/// An IMF-fixdate time field: exactly two ASCII digits (no sign, so no overflow).
fn two_digits(p: &str) -> Option<i64> {
    (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok())?
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

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
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
        assert_eq!(f.body, JOB);
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
        assert!(!from(""));
        assert!(!from("<html>503</html>"));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = parse_http_date("Wed, 25 Nov 2026 01:00:00 GMT").unwrap();
        assert_eq!(parse_retry_after("7", now), Some(7000));
        assert_eq!(parse_retry_after(" 0 ", now), Some(0));
        assert_eq!(parse_retry_after("1.5", now), Some(1500));
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
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000.0)
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
