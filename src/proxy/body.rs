//! How big a body may be, and what an upscale body must look like before the server's token
//! is attached to it: the caller's bytes are parsed once here, and whatever `transformUpscale`
//! makes of them is re-checked with the client's own rules.

use serde_json::{Map, Value};

use crate::endpoint::UPSCALE;
use crate::json::json_text;
use crate::value::{from_json, Fields};

use super::Reject;

/// Largest upscale body accepted from a caller when `maxBodyBytes` is not given. A real
/// request is a few hundred bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// Upper bound of `maxBodyBytes`, for the proxy and for webhooks (64 MiB).
pub const MAX_BODY_BYTES_LIMIT: i64 = 64 * 1024 * 1024;
/// Largest provider answer relayed; a job is a few KB.
pub const MAX_UPSTREAM_BODY_BYTES: usize = crate::response::MAX_BODY_BYTES;

/// Checks a `Content-Length` header before any byte is read.
pub fn check_content_length(value: Option<&str>, max: usize) -> std::result::Result<(), Reject> {
    let Some(value) = value.map(str::trim) else {
        return Ok(());
    };
    match value.parse::<u64>() {
        Ok(n) if n > max as u64 => Err(too_large(max)),
        Ok(_) => Ok(()),
        Err(_) => Err(Reject::new(400, "Invalid Content-Length header")),
    }
}

/// Counts the bytes actually read, which a missing or lying `Content-Length` cannot hide.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    max: usize,
    seen: usize,
}

impl BodyBudget {
    pub fn new(max: usize) -> Self {
        BodyBudget { max, seen: 0 }
    }

    /// Accounts for one chunk; fails as soon as the total passes the limit.
    pub fn take(&mut self, chunk_len: usize) -> std::result::Result<(), Reject> {
        self.seen = self.seen.saturating_add(chunk_len);
        if self.seen > self.max {
            Err(too_large(self.max))
        } else {
            Ok(())
        }
    }
}

fn too_large(max: usize) -> Reject {
    Reject::new(413, format!("Request body is larger than {max} bytes"))
}

/// The caller's upscale body as a JSON object, for `transformUpscale` (400 otherwise).
pub fn parse_upscale_body(bytes: &[u8]) -> std::result::Result<Map<String, Value>, Reject> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Reject::new(400, "Request body is not UTF-8 JSON"))?;
    match serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) {
        Ok(Value::Object(mut map)) => {
            map.values_mut().for_each(as_js_numbers);
            Ok(map)
        }
        Ok(_) => Err(Reject::new(400, "Request body must be a JSON object")),
        Err(_) => Err(Reject::new(400, "Request body is not valid JSON")),
    }
}

/// Integers beyond ±2^53 become floats, as `JSON.parse` reads them, so the body can be handed
/// to `transformUpscale` as a JS object (and is checked the same with or without the hook).
fn as_js_numbers(v: &mut Value) {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    match v {
        Value::Number(n) if n.as_f64().is_some_and(|f| f.abs() > SAFE) && !n.is_f64() => {
            if let Some(f) = n.as_f64().and_then(serde_json::Number::from_f64) {
                *n = f;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(as_js_numbers),
        Value::Object(map) => map.values_mut().for_each(as_js_numbers),
        _ => {}
    }
}

/// The body sent upstream: the (transformed) object's fields re-checked with the client's
/// rules and re-serialized, so only known, in-range fields reach the provider with the token.
pub fn upstream_upscale_body(fields: &Fields) -> std::result::Result<String, Reject> {
    UPSCALE
        .check(fields)
        .map(|body| json_text(&body))
        .map_err(|e| Reject::new(400, e.to_string()))
}

/// The body sent upstream after `transformUpscale`: `None` when the hook returned something
/// other than a plain object (or a `Response`), which is the server's bug, hence 500.
pub fn transformed_upscale_body(fields: Option<&Fields>) -> std::result::Result<String, Reject> {
    match fields {
        Some(fields) => upstream_upscale_body(fields),
        None => Err(Reject::new(
            500,
            "transformUpscale must return a JSON object or a Response",
        )),
    }
}

/// A JSON object as the validator's `Fields`.
pub fn fields_from_json(map: &Map<String, Value>) -> Fields {
    map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_size() {
        assert_eq!(check_content_length(None, 10), Ok(()));
        assert_eq!(check_content_length(Some("10"), 10), Ok(()));
        assert_eq!(
            check_content_length(Some("11"), 10).unwrap_err().status,
            413
        );
        assert_eq!(
            check_content_length(Some("-1"), 10).unwrap_err().status,
            400
        );
        let mut b = BodyBudget::new(10);
        assert!(b.take(6).is_ok());
        assert!(b.take(4).is_ok());
        let e = b.take(1).unwrap_err();
        assert_eq!(e.status, 413);
        assert_eq!(
            e.body(),
            r#"{"error":"Request body is larger than 10 bytes","code":413}"#
        );
    }

    #[test]
    fn upscale_bodies() {
        assert_eq!(parse_upscale_body(b"nope").unwrap_err().status, 400);
        assert_eq!(parse_upscale_body(b"[1]").unwrap_err().status, 400);
        assert_eq!(parse_upscale_body(&[0xff, 0xfe]).unwrap_err().status, 400);
        let m = parse_upscale_body("\u{feff}{\"jobid\":\"j1\"}".as_bytes()).unwrap();
        assert_eq!(m["jobid"], "j1");
        let upstream = |json: &str| {
            upstream_upscale_body(&fields_from_json(
                &parse_upscale_body(json.as_bytes()).unwrap(),
            ))
        };
        let out =
            upstream(r#"{"jobid":"j1","upscaleResolution":"8K","maxJobs":2,"replyRef":null}"#)
                .unwrap();
        assert_eq!(
            out,
            r#"{"jobid":"j1","upscaleResolution":"8k","maxJobs":2}"#
        );
        let e = upstream(r#"{"jobid":"j1","imageIndex":9}"#).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("imageIndex"), "{}", e.message);
        let e = upstream(r#"{"jobid":"j1","account":"x"}"#).unwrap_err();
        assert!(e.message.contains("account"));
        let e = upstream(r#"{"jobid":{"a":1}}"#).unwrap_err();
        assert!(e.message.contains("jobid"));
        assert_eq!(transformed_upscale_body(None).unwrap_err().status, 500);
        let big = parse_upscale_body(
            br#"{"jobid":"j1","maxJobs":12345678901234567890,"x":[-9007199254740993],"n":7}"#,
        )
        .unwrap();
        assert!(big["maxJobs"].is_f64() && big["x"][0].is_f64(), "{big:?}");
        assert!(big["n"].is_u64(), "safe integers stay integers");
        let e = upstream_upscale_body(&fields_from_json(&big)).unwrap_err();
        assert!(
            e.message.contains("maxJobs") || e.message.contains("\"x\""),
            "{}",
            e.message
        );
        let fields = fields_from_json(&parse_upscale_body(br#"{"jobid":"j1"}"#).unwrap());
        assert_eq!(
            transformed_upscale_body(Some(&fields)).unwrap(),
            r#"{"jobid":"j1"}"#
        );
    }
}
