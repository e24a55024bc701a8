//! Field primitives: the checks of one value (a job id, an integer in a range, one of a few
//! choices, a URL…) with the messages that name the field, shared by the endpoint rules
//! (`crate::endpoint`), the options (`crate::options`, `crate::config`) and the edge helpers.

use crate::error::{Error, Result};
use crate::url::{is_loopback, parse_http_url, HttpUrl};
use crate::value::{format_number, get, Fields, Val};

/// Longest `setTimeout` delay JS honours; longer ones fire at once.
pub const MAX_TIMER_MS: f64 = 2_147_483_647.0;
/// Longest `replyUrl`, in bytes: the provider's limit for its account-wide one.
pub const MAX_REPLY_URL_BYTES: usize = 1024;

/// "must be {expected}, got {what v is}": the message of a value of the wrong type.
pub fn wrong_type(field: &str, expected: &str, v: &Val) -> Error {
    Error::validation(field, format!("must be {expected}, got {}", v.type_name()))
}

/// A job id: a non-empty string without control characters, and nothing a path router could
/// read as steps out of the id's own URL segment (dot segments, `\\`, a second encoding).
pub fn jobid(field: &str, v: &Val) -> Result<String> {
    segment(field, v, "job id")
}

/// A value sent as one URL path segment (a job id, an account): `jobid`'s rules; `what` names
/// it in the message.
pub(crate) fn segment(field: &str, v: &Val, what: &str) -> Result<String> {
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
            format!("must not read as a path (a \".\" or \"..\" segment, a backslash, or a percent-escape such as %2F: pass the {what} decoded)"),
        )),
        Val::Str(s) => Ok(s.clone()),
        v if v.is_absent() => Err(Error::validation(field, "is required")),
        v => Err(wrong_type(field, "a string", v)),
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
    int(field, get(fields, field), min, max)
}

/// `opt_int` of a value already read.
pub(crate) fn int(field: &str, v: &Val, min: i64, max: i64) -> Result<Option<i64>> {
    match v {
        v if v.is_absent() => Ok(None),
        Val::Num(n)
            if n.is_finite() && n.fract() == 0.0 && *n >= min as f64 && *n <= max as f64 =>
        {
            Ok(Some(*n as i64))
        }
        _ => Err(out_of_range(field, "an integer", min as f64, max as f64, v)),
    }
}

/// An optional finite number in `min..=max`.
pub fn opt_number(fields: &Fields, field: &str, min: f64, max: f64) -> Result<Option<f64>> {
    number(field, get(fields, field), min, max)
}

/// `opt_number` of a value already read.
pub(crate) fn number(field: &str, v: &Val, min: f64, max: f64) -> Result<Option<f64>> {
    match v {
        v if v.is_absent() => Ok(None),
        Val::Num(n) if n.is_finite() && *n >= min && *n <= max => Ok(Some(*n)),
        _ => Err(out_of_range(field, "a number", min, max, v)),
    }
}

fn out_of_range(field: &str, what: &str, min: f64, max: f64, v: &Val) -> Error {
    let range = format!(
        "{what} from {} to {}",
        format_number(min),
        format_number(max)
    );
    wrong_type(field, &range, v)
}

/// An optional duration in whole or fractional milliseconds, at least `min`, that a JS timer
/// can represent.
pub fn opt_ms(fields: &Fields, field: &str, min: f64) -> Result<Option<u32>> {
    Ok(opt_number(fields, field, min, MAX_TIMER_MS)?.map(|n| n.ceil() as u32))
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

/// An absolute http(s) URL the provider calls back (`replyUrl`).
pub(crate) fn reply_url(field: &str, v: &Val) -> Result<String> {
    match v {
        Val::Str(s) if s.len() > MAX_REPLY_URL_BYTES => Err(Error::validation(
            field,
            format!("is longer than {MAX_REPLY_URL_BYTES} bytes (UTF-8)"),
        )),
        Val::Str(s) if parse_http_url(s).is_some() => Ok(s.clone()),
        _ => Err(Error::validation(
            field,
            format!("must be an absolute http(s) URL, got {}", describe(v)),
        )),
    }
}

/// An optional string of at most `max_len` bytes of UTF-8 (what the API receives).
pub(crate) fn bytes(field: &str, v: &Val, max_len: usize) -> Result<Option<String>> {
    match v {
        v if v.is_absent() => Ok(None),
        Val::Str(s) if s.len() <= max_len => Ok(Some(s.clone())),
        Val::Str(_) => Err(Error::validation(
            field,
            format!("is longer than {max_len} bytes (UTF-8)"),
        )),
        v => Err(wrong_type(field, "a string", v)),
    }
}

/// A non-empty string without control characters (but newlines in a prompt), at most `max`
/// characters.
pub(crate) fn name(field: &str, v: &Val, max: usize) -> Result<String> {
    let why = match v {
        Val::Str(s) if s.trim().is_empty() => "must not be empty (leave it out instead)".into(),
        Val::Str(s) if field != "prompt" && s.chars().any(char::is_control) => {
            "must not contain control characters".into()
        }
        Val::Str(s) if crate::text::char_count(s) > max => {
            format!("is longer than {max} characters")
        }
        Val::Str(s) => return Ok(s.clone()),
        v => return Err(wrong_type(field, "a string", v)),
    };
    Err(Error::validation(field, why))
}

/// An optional flag: `true` or `false` when given.
pub fn opt_bool(fields: &Fields, field: &str) -> Result<Option<bool>> {
    match get(fields, field) {
        Val::Bool(b) => Ok(Some(*b)),
        v if v.is_absent() => Ok(None),
        v => Err(wrong_type(field, "true or false", v)),
    }
}

/// An optional callback (`onUpdate`, `fetch`…): a function when given.
pub fn opt_function(fields: &Fields, field: &str) -> Result<()> {
    match get(fields, field) {
        Val::Function => Ok(()),
        v if v.is_absent() => Ok(()),
        v => Err(wrong_type(field, "a function", v)),
    }
}

/// An optional `signal`: an `AbortSignal` when given.
pub fn opt_signal(fields: &Fields) -> Result<()> {
    match get(fields, "signal") {
        Val::AbortSignal => Ok(()),
        v if v.is_absent() => Ok(()),
        v => Err(wrong_type("signal", "an AbortSignal", v)),
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

/// True for a token that can travel in an HTTP header: visible ASCII only. Anything else would
/// make fetch fail on every call (and look like a network error).
pub fn is_header_token(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_graphic())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    use crate::testing::s;

    #[test]
    fn length_limits_say_they_count_bytes() {
        // 600 characters, 1200 bytes: over the 1024-byte limit, and the message says bytes.
        let id = "é".repeat(600);
        let e = jobid("jobid", &s(&id)).unwrap_err().to_string();
        assert!(e.contains("1024 bytes"), "{e}");
        assert!(jobid("jobid", &s(&"é".repeat(512))).is_ok());
    }

    #[test]
    fn reply_urls_are_absolute_and_at_most_1024_bytes() {
        let url = |len: usize| format!("https://hooks.example.com/{}", "a".repeat(len - 26));
        assert_eq!(url(1024).len(), 1024);
        assert!(reply_url("replyUrl", &s(&url(1024))).is_ok());
        let e = reply_url("replyUrl", &s(&url(1025))).unwrap_err();
        assert_eq!(e.field(), Some("replyUrl"));
        assert!(e.to_string().contains("1024 bytes"), "{e}");
        let e = reply_url("replyUrl", &s("/relative")).unwrap_err();
        assert!(e.to_string().contains("absolute http(s) URL"), "{e}");
    }

    #[test]
    fn callbacks_and_signals() {
        let f = |v: Val| vec![("x".to_string(), v)];
        assert!(opt_function(&f(Val::Function), "x").is_ok());
        assert!(opt_function(&f(Val::Null), "x").is_ok());
        let e = opt_function(&f(s("y")), "x").unwrap_err();
        assert_eq!(e.to_string(), "Invalid x: must be a function, got string");
        let sig = |v: Val| vec![("signal".to_string(), v)];
        assert!(opt_signal(&sig(Val::AbortSignal)).is_ok());
        assert_eq!(
            opt_signal(&sig(Val::Object)).unwrap_err().field(),
            Some("signal")
        );
    }
}
