//! Client-side validation that mirrors the API's ranges, so bad input is refused with a clear
//! message naming the field before anything is sent (and before anything is billed).

use crate::error::{Error, Result};
use crate::url::{
    has_space_control_or_backslash, is_loopback, parse_http_url, HttpUrl, DEFAULT_BASE_URL,
};
use crate::value::{format_number, get, Fields, Val};

/// Longest `setTimeout` delay JS honours; longer ones fire at once.
pub const MAX_TIMER_MS: f64 = 2_147_483_647.0;

/// A checked `POST /images/upscale` body. Absent options are left out so the API applies its
/// own defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct UpscaleRequest {
    pub jobid: String,
    pub image_index: Option<u8>,
    pub upscale_resolution: Option<String>,
    pub original_image_strength: Option<f64>,
    pub detail_strength: Option<f64>,
    pub reply_url: Option<String>,
    pub reply_ref: Option<String>,
    pub max_jobs: Option<u8>,
}

/// A JSON scalar of a request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Num(f64),
}

/// A flat JSON object, in order. The transport serialises it (`JSON.stringify` in wasm, so the
/// binary carries no float formatting).
pub type JsonObject = Vec<(&'static str, Scalar)>;

impl UpscaleRequest {
    /// The body's fields in the API's names, only those given.
    pub fn entries(&self) -> JsonObject {
        let mut out = vec![("jobid", Scalar::Str(self.jobid.clone()))];
        let mut put = |k: &'static str, v: Option<Scalar>| out.extend(v.map(|v| (k, v)));
        put(
            "imageIndex",
            self.image_index.map(|n| Scalar::Int(n.into())),
        );
        put(
            "upscaleResolution",
            self.upscale_resolution.clone().map(Scalar::Str),
        );
        put(
            "originalImageStrength",
            self.original_image_strength.map(Scalar::Num),
        );
        put("detailStrength", self.detail_strength.map(Scalar::Num));
        put("replyUrl", self.reply_url.clone().map(Scalar::Str));
        put("replyRef", self.reply_ref.clone().map(Scalar::Str));
        put("maxJobs", self.max_jobs.map(|n| Scalar::Int(n.into())));
        out
    }

    /// The JSON body sent to the API (host and edge builds).
    #[cfg(any(not(target_arch = "wasm32"), feature = "edge"))]
    pub fn to_json(&self) -> String {
        json_text(&self.entries())
    }
}

/// Serialises a flat object in its order, with serde_json's escaping (host and edge builds).
#[cfg(any(not(target_arch = "wasm32"), feature = "edge"))]
pub fn json_text(obj: &JsonObject) -> String {
    let fields: Vec<String> = obj
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Scalar::Str(s) => serde_json::Value::from(s.as_str()),
                Scalar::Int(n) => serde_json::Value::from(*n),
                Scalar::Num(n) => serde_json::Value::from(*n),
            };
            format!("{}:{v}", serde_json::Value::from(*k))
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// Resolutions the API accepts for `upscaleResolution`.
pub const RESOLUTIONS: [&str; 3] = ["2k", "4k", "8k"];

pub const UPSCALE_FIELDS: [&str; 8] = [
    "jobid",
    "imageIndex",
    "upscaleResolution",
    "originalImageStrength",
    "detailStrength",
    "replyUrl",
    "replyRef",
    "maxJobs",
];

/// Checks an upscale request object field by field.
pub fn upscale_request(fields: &Fields) -> Result<UpscaleRequest> {
    reject_unknown(fields, &UPSCALE_FIELDS, "request")?;
    Ok(UpscaleRequest {
        jobid: jobid("jobid", get(fields, "jobid"))?,
        image_index: opt_int(fields, "imageIndex", 0, 3)?.map(|n| n as u8),
        upscale_resolution: opt_resolution(get(fields, "upscaleResolution"))?,
        original_image_strength: opt_unit(fields, "originalImageStrength")?,
        detail_strength: opt_unit(fields, "detailStrength")?,
        reply_url: opt_reply_url(get(fields, "replyUrl"))?,
        reply_ref: opt_string(fields, "replyRef", 1024)?,
        max_jobs: opt_int(fields, "maxJobs", 1, 50)?.map(|n| n as u8),
    })
}

/// A job id: a non-empty string without control characters, and nothing a path router could
/// read as steps out of the id's own URL segment (dot segments, `\\`, a second encoding).
pub fn jobid(field: &str, v: &Val) -> Result<String> {
    match v {
        Val::Str(s) if s.trim().is_empty() => Err(Error::validation(
            field,
            "is required and must not be empty",
        )),
        Val::Str(s) if s.len() > 1024 => Err(Error::validation(
            field,
            "is longer than 1024 bytes (UTF-8)",
        )),
        Val::Str(s) if s.chars().any(char::is_control) => Err(Error::validation(
            field,
            "must not contain control characters",
        )),
        // "." and ".." would be read as path steps and leave their URL segment; so could a
        // dot segment between `/`s, a backslash or a `%2F` once a router decodes the path.
        Val::Str(s) if crate::url::reads_as_path(s) => Err(Error::validation(
            field,
            "must not read as a path (a \".\" or \"..\" segment, a backslash, or a percent-escape such as %2F: pass the job id decoded)",
        )),
        Val::Str(s) => Ok(s.clone()),
        v if v.is_absent() => Err(Error::validation(field, "is required")),
        v => Err(Error::validation(
            field,
            format!("must be a string, got {}", v.type_name()),
        )),
    }
}

/// Refuses the first key not in `known`, naming it and listing the known ones.
pub fn reject_unknown(fields: &Fields, known: &[&str], what: &str) -> Result<()> {
    match fields.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((k, _)) => Err(Error::validation(
            k.clone(),
            format!(
                "is not a known {what} option (expected one of: {})",
                crate::text::join(known, ", ")
            ),
        )),
        None => Ok(()),
    }
}

/// An optional integer in `min..=max`; rejects strings, NaN and fractions.
pub fn opt_int(fields: &Fields, field: &str, min: i64, max: i64) -> Result<Option<i64>> {
    let v = get(fields, field);
    if v.is_absent() {
        return Ok(None);
    }
    match v {
        Val::Num(n)
            if n.is_finite() && n.fract() == 0.0 && *n >= min as f64 && *n <= max as f64 =>
        {
            Ok(Some(*n as i64))
        }
        _ => Err(Error::validation(
            field,
            format!(
                "must be an integer from {} to {}, got {}",
                format_number(min as f64),
                format_number(max as f64),
                v.type_name()
            ),
        )),
    }
}

/// An optional finite number in `min..=max`.
pub fn opt_number(fields: &Fields, field: &str, min: f64, max: f64) -> Result<Option<f64>> {
    let v = get(fields, field);
    if v.is_absent() {
        return Ok(None);
    }
    match v {
        Val::Num(n) if n.is_finite() && *n >= min && *n <= max => Ok(Some(*n)),
        _ => Err(Error::validation(
            field,
            format!(
                "must be a number from {} to {}, got {}",
                format_number(min),
                format_number(max),
                v.type_name()
            ),
        )),
    }
}

fn opt_unit(fields: &Fields, field: &str) -> Result<Option<f64>> {
    opt_number(fields, field, 0.0, 1.0)
}

fn opt_resolution(v: &Val) -> Result<Option<String>> {
    match v {
        v if v.is_absent() => Ok(None),
        v => Ok(Some(choice("upscaleResolution", v, &RESOLUTIONS)?.into())),
    }
}

/// One of `allowed` (case-insensitive), in the API's spelling.
pub(crate) fn choice(
    field: &str,
    v: &Val,
    allowed: &'static [&'static str],
) -> Result<&'static str> {
    if let Val::Str(s) = v {
        if let Some(a) = allowed.iter().find(|a| a.eq_ignore_ascii_case(s)) {
            return Ok(a);
        }
    }
    Err(Error::validation(
        field,
        format!(
            "must be one of {}, got {}",
            crate::text::join(allowed, ", "),
            describe(v)
        ),
    ))
}

pub(crate) fn opt_reply_url(v: &Val) -> Result<Option<String>> {
    match v {
        v if v.is_absent() => Ok(None),
        Val::Str(s) if parse_http_url(s).is_some() && s.len() <= 2048 => Ok(Some(s.clone())),
        _ => Err(Error::validation(
            "replyUrl",
            format!("must be an absolute http(s) URL, got {}", describe(v)),
        )),
    }
}

/// An optional string of at most `max_len` bytes of UTF-8 (what the API receives).
pub fn opt_string(fields: &Fields, field: &str, max_len: usize) -> Result<Option<String>> {
    match get(fields, field) {
        v if v.is_absent() => Ok(None),
        Val::Str(s) if s.len() <= max_len => Ok(Some(s.clone())),
        Val::Str(_) => Err(Error::validation(
            field,
            format!("is longer than {max_len} bytes (UTF-8)"),
        )),
        v => Err(Error::validation(
            field,
            format!("must be a string, got {}", v.type_name()),
        )),
    }
}

/// Quotes short strings in messages; names the type otherwise.
pub(crate) fn describe(v: &Val) -> String {
    match v {
        Val::Str(s) if crate::text::char_count(s) <= 40 => format!("\"{s}\""),
        Val::Str(_) => "a long string".into(),
        v => v.type_name(),
    }
}

/// Settings of one `DreaminaClient`, checked once at construction. `Debug` redacts the token.
#[derive(Clone, PartialEq)]
pub struct ClientConfig {
    /// `None` only when the base URL is not the provider's (an app's own proxy).
    pub token: Option<String>,
    /// Without a trailing slash.
    pub base_url: String,
    pub timeout_ms: u32,
    pub max_retries: u32,
    pub retry_base_delay_ms: u32,
    pub retry_max_delay_ms: u32,
    pub max_retry_after_ms: u32,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

/// Per-request time limit when none is given.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// Retries of a retryable failure when none is given.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Upper bound of `maxRetries`.
pub const MAX_RETRIES_LIMIT: i64 = 20;

pub const CLIENT_FIELDS: [&str; 8] = [
    "token",
    "baseUrl",
    "timeoutMs",
    "maxRetries",
    "fetch",
    "retryBaseDelayMs",
    "retryMaxDelayMs",
    "maxRetryAfterMs",
];

/// Checks the `new DreaminaClient(options)` object.
pub fn client_config(fields: &Fields) -> Result<ClientConfig> {
    reject_unknown(fields, &CLIENT_FIELDS, "client")?;
    let base_url = base_url(get(fields, "baseUrl"))?;
    let token = token(get(fields, "token"), &base_url)?;
    match get(fields, "fetch") {
        Val::Function => {}
        v if v.is_absent() => {}
        v => {
            return Err(Error::validation(
                "fetch",
                format!("must be a function, got {}", v.type_name()),
            ))
        }
    }
    let retry_base_delay_ms = opt_ms(fields, "retryBaseDelayMs", 0.0)?.unwrap_or(500);
    let retry_max_delay_ms = opt_ms(fields, "retryMaxDelayMs", 0.0)?.unwrap_or(20_000);
    if retry_max_delay_ms < retry_base_delay_ms {
        return Err(Error::validation(
            "retryMaxDelayMs",
            "must not be less than retryBaseDelayMs",
        ));
    }
    Ok(ClientConfig {
        token,
        base_url,
        timeout_ms: opt_ms(fields, "timeoutMs", 1.0)?.unwrap_or(DEFAULT_TIMEOUT_MS),
        max_retries: max_retries(fields)?.unwrap_or(DEFAULT_MAX_RETRIES),
        retry_base_delay_ms,
        retry_max_delay_ms,
        max_retry_after_ms: opt_ms(fields, "maxRetryAfterMs", 0.0)?.unwrap_or(60_000),
    })
}

/// `maxRetries`: an integer from 0 (no retries) to 20.
pub fn max_retries(fields: &Fields) -> Result<Option<u32>> {
    Ok(opt_int(fields, "maxRetries", 0, MAX_RETRIES_LIMIT)?.map(|n| n as u32))
}

/// An optional duration in whole or fractional milliseconds, at least `min`, that a JS timer
/// can represent.
pub fn opt_ms(fields: &Fields, field: &str, min: f64) -> Result<Option<u32>> {
    Ok(opt_number(fields, field, min, MAX_TIMER_MS)?.map(|n| n.ceil() as u32))
}

/// The rule for any URL the token is sent to: https, or plain http only to a loopback host.
pub fn require_secure(field: &str, url: &HttpUrl) -> Result<()> {
    if url.secure || is_loopback(url.host) {
        return Ok(());
    }
    Err(Error::validation(
        field,
        "must use https:// (plain http:// is allowed only for localhost, so the token never crosses a network unencrypted)",
    ))
}

fn base_url(v: &Val) -> Result<String> {
    let s = match v {
        v if v.is_absent() => return Ok(DEFAULT_BASE_URL.to_string()),
        Val::Str(s) => s.trim().trim_end_matches('/').to_string(),
        v => {
            return Err(Error::validation(
                "baseUrl",
                format!("must be a string, got {}", v.type_name()),
            ))
        }
    };
    // A same-origin path such as "/api/dreamina" reaches an app's own proxy (browsers only).
    // No backslash: browsers read "/\\host" as "//host", another origin.
    if s.starts_with('/') && !s.starts_with("//") && !has_space_control_or_backslash(&s) {
        return Ok(s);
    }
    let url = parse_http_url(&s).ok_or_else(|| {
        Error::validation(
            "baseUrl",
            format!(
                "must be an absolute http(s) URL or a path starting with /, got {}",
                describe(v)
            ),
        )
    })?;
    require_secure("baseUrl", &url)?;
    Ok(s)
}

/// True when requests go to the provider itself, where a token is mandatory.
pub fn is_provider(base_url: &str) -> bool {
    parse_http_url(base_url).is_some_and(|u| u.host.eq_ignore_ascii_case("api.useapi.net"))
}

fn token(v: &Val, base_url: &str) -> Result<Option<String>> {
    let token = match v {
        v if v.is_absent() => None,
        // Almost always an unset environment variable: refused, not read as "no token".
        Val::Str(s) if s.trim().is_empty() => {
            return Err(Error::validation(
                "token",
                "is an empty string (an unset environment variable?); leave token out only when baseUrl is your own proxy",
            ))
        }
        Val::Str(s) if !is_header_token(s.trim()) => {
            return Err(Error::validation(
                "token",
                "must be visible ASCII characters only (no spaces)",
            ))
        }
        Val::Str(s) => Some(s.trim().to_string()),
        v => {
            return Err(Error::validation(
                "token",
                format!("must be a string, got {}", v.type_name()),
            ))
        }
    };
    if token.is_none() && is_provider(base_url) {
        return Err(Error::validation(
            "token",
            "is required for the useapi.net API (it may be left out only when baseUrl is your own proxy)",
        ));
    }
    Ok(token)
}

/// True for a token that can travel in an HTTP header: visible ASCII only. Anything else would
/// make fetch fail on every call (and look like a network error).
pub fn is_header_token(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_graphic())
}

/// Options of one `upscale` / `getJob` call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    pub timeout_ms: Option<u32>,
    pub max_retries: Option<u32>,
}

pub const CALL_FIELDS: [&str; 3] = ["signal", "timeoutMs", "maxRetries"];

/// Checks the per-call options object.
pub fn call_options(fields: &Fields) -> Result<CallOptions> {
    reject_unknown(fields, &CALL_FIELDS, "call")?;
    check_signal(fields)?;
    Ok(CallOptions {
        timeout_ms: opt_ms(fields, "timeoutMs", 1.0)?,
        max_retries: max_retries(fields)?,
    })
}

fn check_signal(fields: &Fields) -> Result<()> {
    match get(fields, "signal") {
        v if v.is_absent() => Ok(()),
        Val::AbortSignal => Ok(()),
        v => Err(Error::validation(
            "signal",
            format!("must be an AbortSignal, got {}", v.type_name()),
        )),
    }
}

/// Options of `waitForJob`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WaitOptions {
    /// A fixed poll interval; `None` uses the default schedule.
    pub poll_interval_ms: Option<u32>,
    /// Overall limit of the wait.
    pub timeout_ms: u32,
    pub request_timeout_ms: Option<u32>,
    pub max_retries: Option<u32>,
}

/// How long `waitForJob` waits in all when not told.
pub const DEFAULT_WAIT_TIMEOUT_MS: u32 = 15 * 60 * 1000;
/// The shortest poll interval a caller may ask for.
pub const MIN_POLL_INTERVAL_MS: f64 = 100.0;

pub const WAIT_FIELDS: [&str; 6] = [
    "pollIntervalMs",
    "timeoutMs",
    "requestTimeoutMs",
    "signal",
    "onUpdate",
    "maxRetries",
];

/// Checks the `waitForJob` options object.
pub fn wait_options(fields: &Fields) -> Result<WaitOptions> {
    reject_unknown(fields, &WAIT_FIELDS, "wait")?;
    wait_settings(fields)
}

/// The checks of `wait_options` but for unknown keys, for option objects that add their own
/// fields to the wait's (a batch's).
pub fn wait_settings(fields: &Fields) -> Result<WaitOptions> {
    check_signal(fields)?;
    match get(fields, "onUpdate") {
        v if v.is_absent() => {}
        Val::Function => {}
        v => {
            return Err(Error::validation(
                "onUpdate",
                format!("must be a function, got {}", v.type_name()),
            ))
        }
    }
    Ok(WaitOptions {
        poll_interval_ms: opt_ms(fields, "pollIntervalMs", MIN_POLL_INTERVAL_MS)?,
        timeout_ms: opt_ms(fields, "timeoutMs", 1.0)?.unwrap_or(DEFAULT_WAIT_TIMEOUT_MS),
        request_timeout_ms: opt_ms(fields, "requestTimeoutMs", 1.0)?,
        max_retries: max_retries(fields)?,
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, Val)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn s(x: &str) -> Val {
        Val::Str(x.into())
    }

    const ID: &str = "j1125000000000000001i-u12345-US:user@example.com:dreamina";

    #[test]
    fn minimal_request_sends_only_jobid() {
        let r = upscale_request(&f(&[("jobid", s(ID))])).unwrap();
        assert_eq!(r.to_json(), format!("{{\"jobid\":\"{ID}\"}}"));
    }

    #[test]
    fn full_request_serialises_in_api_names() {
        let r = upscale_request(&f(&[
            ("jobid", s(ID)),
            ("imageIndex", Val::Num(3.0)),
            ("upscaleResolution", s("8K")),
            ("originalImageStrength", Val::Num(0.0)),
            ("detailStrength", Val::Num(1.0)),
            ("replyUrl", s("https://hooks.example.com/x?y=1")),
            ("replyRef", s("order-7")),
            ("maxJobs", Val::Num(50.0)),
        ]))
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["imageIndex"], 3);
        assert_eq!(v["upscaleResolution"], "8k");
        assert_eq!(v["originalImageStrength"], 0.0);
        assert_eq!(v["detailStrength"], 1.0);
        assert_eq!(v["replyUrl"], "https://hooks.example.com/x?y=1");
        assert_eq!(v["replyRef"], "order-7");
        assert_eq!(v["maxJobs"], 50);
    }

    #[test]
    fn null_and_undefined_optionals_are_left_out() {
        let r = upscale_request(&f(&[
            ("jobid", s(ID)),
            ("imageIndex", Val::Null),
            ("maxJobs", Val::Missing),
        ]))
        .unwrap();
        assert_eq!(r.image_index, None);
        assert_eq!(r.max_jobs, None);
    }

    /// The validation table: each bad value is refused naming its field.
    #[test]
    fn bad_values_name_their_field() {
        let cases: Vec<(&str, Val)> = vec![
            ("jobid", Val::Missing),
            ("jobid", s("")),
            ("jobid", s("   ")),
            ("jobid", Val::Num(5.0)),
            ("jobid", s("a\nb")),
            ("jobid", s("..")),
            ("jobid", s(".")),
            ("jobid", s("j1-u1-US:a/../b@example.com:dreamina")),
            ("jobid", s("j1\\..\\b")),
            ("jobid", s("j1%2F..%2Fb")),
            ("jobid", s("j1\u{7f}")),
            ("imageIndex", Val::Num(4.0)),
            ("imageIndex", Val::Num(-1.0)),
            ("imageIndex", Val::Num(1.5)),
            ("imageIndex", Val::Num(f64::NAN)),
            ("imageIndex", Val::Num(f64::INFINITY)),
            ("imageIndex", s("1")),
            ("imageIndex", Val::Bool(true)),
            ("upscaleResolution", s("16k")),
            ("upscaleResolution", s("")),
            ("upscaleResolution", Val::Num(4.0)),
            ("originalImageStrength", Val::Num(1.01)),
            ("originalImageStrength", Val::Num(-0.1)),
            ("originalImageStrength", Val::Num(f64::NAN)),
            ("originalImageStrength", s("0.5")),
            ("detailStrength", Val::Num(2.0)),
            ("detailStrength", Val::Object),
            ("maxJobs", Val::Num(0.0)),
            ("maxJobs", Val::Num(51.0)),
            ("maxJobs", Val::Num(2.5)),
            ("maxJobs", Val::BigInt),
            ("replyUrl", s("not a url")),
            ("replyUrl", s("ftp://x.example.com")),
            ("replyUrl", s("/relative")),
            ("replyUrl", Val::Num(1.0)),
            ("replyRef", Val::Num(1.0)),
            ("replyRef", Val::Str("x".repeat(2000))),
            ("upscaleResoluton", s("4k")),
        ];
        for (field, val) in cases {
            let mut fields = f(&[("jobid", s(ID))]);
            fields.retain(|(k, _)| k != field);
            fields.push((field.to_string(), val.clone()));
            let err =
                upscale_request(&fields).expect_err(&format!("{field} = {val:?} should fail"));
            assert_eq!(err.field(), Some(field), "{field} = {val:?}: {err}");
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let c = client_config(&f(&[("token", s("user:1-secret"))])).unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("user:1-secret") && shown.contains("[redacted]"),
            "{shown}"
        );
    }

    #[test]
    fn client_defaults_and_token_rules() {
        let c = client_config(&f(&[("token", s(" user:1-abc \n"))])).unwrap();
        assert_eq!(c.token.as_deref(), Some("user:1-abc"));
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert_eq!(c.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(c.max_retries, DEFAULT_MAX_RETRIES);
        assert_eq!(client_config(&f(&[])).unwrap_err().field(), Some("token"));
        assert_eq!(
            client_config(&f(&[("token", s(""))])).unwrap_err().field(),
            Some("token")
        );
        assert_eq!(
            client_config(&f(&[("token", s("user:1-séc€ret"))]))
                .unwrap_err()
                .field(),
            Some("token")
        );
        assert_eq!(
            client_config(&f(&[("token", s("a b"))]))
                .unwrap_err()
                .field(),
            Some("token")
        );
        assert_eq!(
            client_config(&f(&[("token", Val::Num(1.0))]))
                .unwrap_err()
                .field(),
            Some("token")
        );
        // A token is optional in front of an app's own proxy.
        let p = client_config(&f(&[("baseUrl", s("/api/dreamina/"))])).unwrap();
        assert_eq!(p.base_url, "/api/dreamina");
        assert_eq!(p.token, None);
    }

    #[test]
    fn an_empty_token_is_refused_even_in_front_of_a_proxy() {
        // `token: process.env.X ?? ''` with X unset: a mistake, not "no token".
        for empty in ["", "  \n"] {
            let e = client_config(&f(&[("token", s(empty)), ("baseUrl", s("/api/dreamina"))]))
                .unwrap_err();
            assert_eq!(e.field(), Some("token"));
            assert!(e.to_string().contains("empty string"), "{e}");
        }
    }

    #[test]
    fn length_limits_say_they_count_bytes() {
        // 600 characters, 1200 bytes: over the 1024-byte limit, and the message says bytes.
        let id = "é".repeat(600);
        let e = jobid("jobid", &s(&id)).unwrap_err().to_string();
        assert!(e.contains("1024 bytes"), "{e}");
        assert!(jobid("jobid", &s(&"é".repeat(512))).is_ok());
        let r = f(&[("jobid", s(ID)), ("replyRef", s(&"€".repeat(342)))]);
        let e = upscale_request(&r).unwrap_err();
        assert_eq!(e.field(), Some("replyRef"));
        assert!(e.to_string().contains("1024 bytes"), "{e}");
    }

    #[test]
    fn base_url_must_be_https_unless_loopback() {
        let ok = |u: &str| client_config(&f(&[("token", s("t")), ("baseUrl", s(u))]));
        assert!(ok("http://127.0.0.1:9000/v1/dreamina").is_ok());
        assert!(ok("http://localhost/v1").is_ok());
        assert!(ok("https://proxy.example.com/dreamina").is_ok());
        for bad in [
            "http://api.useapi.net/v1/dreamina",
            "http://10.0.0.1/x",
            "ftp://x",
            "api.useapi.net",
            "//evil.com",
            "/\\evil.com",
        ] {
            assert_eq!(ok(bad).unwrap_err().field(), Some("baseUrl"), "{bad}");
        }
    }

    #[test]
    fn client_numbers_are_checked() {
        let bad = |k: &str, v: Val| {
            client_config(&f(&[("token", s("t")), (k, v)]))
                .unwrap_err()
                .field()
                .map(String::from)
        };
        assert_eq!(
            bad("timeoutMs", Val::Num(0.0)).as_deref(),
            Some("timeoutMs")
        );
        assert_eq!(
            bad("timeoutMs", Val::Num(3e9)).as_deref(),
            Some("timeoutMs")
        );
        assert_eq!(bad("timeoutMs", s("100")).as_deref(), Some("timeoutMs"));
        assert_eq!(
            bad("maxRetries", Val::Num(-1.0)).as_deref(),
            Some("maxRetries")
        );
        assert_eq!(
            bad("maxRetries", Val::Num(21.0)).as_deref(),
            Some("maxRetries")
        );
        assert_eq!(bad("fetch", s("x")).as_deref(), Some("fetch"));
        assert_eq!(bad("tokn", s("x")).as_deref(), Some("tokn"));
        let c = client_config(&f(&[("token", s("t")), ("maxRetries", Val::Num(0.0))])).unwrap();
        assert_eq!(c.max_retries, 0);
    }

    #[test]
    fn wait_options_checked() {
        let w = wait_options(&f(&[])).unwrap();
        assert_eq!(w.timeout_ms, DEFAULT_WAIT_TIMEOUT_MS);
        assert_eq!(w.poll_interval_ms, None);
        assert!(wait_options(&f(&[("pollIntervalMs", Val::Num(10.0))])).is_err());
        assert!(wait_options(&f(&[("onUpdate", s("x"))])).is_err());
        assert!(wait_options(&f(&[("signal", Val::Object)])).is_err());
        assert!(wait_options(&f(&[
            ("signal", Val::AbortSignal),
            ("onUpdate", Val::Function)
        ]))
        .is_ok());
    }
}
