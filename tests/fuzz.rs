//! Property / fuzz test of the pure parsing and validation code, std only.
//!
//! Every input runs under `catch_unwind`, so one panic is counted (and shown) instead of
//! stopping the run. Besides "no panic", each target checks invariants that must hold for
//! any input (see `check_*`). Quick by default; the long run:
//!
//! ```text
//! DREAMINA_FUZZ_ITERS=1000000 cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! `DREAMINA_FUZZ_ITERS` is the number of inputs per target (default 20 000) and
//! `DREAMINA_FUZZ_SEED` the PRNG seed (default fixed, so a failure reproduces).
//!
//! Bugs this test found, now fixed and kept as regression cases in `src/response.rs`:
//! signed or overlong time fields in HTTP dates (an overflow panic in debug builds), and an
//! empty message from `{"error":{"message":""}}`.
#![cfg(not(target_arch = "wasm32"))]

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use dreamina_upscale::host::json_text;
use dreamina_upscale::host::{
    classify, client_config, encode_path_segment, fields_from_json, is_provider, match_route,
    parse_http_date, parse_http_url, parse_retry_after, parse_upscale_body, parse_webhook,
    upstream_upscale_body, wait_options, Fields, RouteKind, Routing, TextResponse, Val,
    CLIENT_FIELDS, MAX_BODY_BYTES, MIN_POLL_INTERVAL_MS, RESOLUTIONS, UPSCALE, WAIT_FIELDS,
};
use dreamina_upscale::{Error, ErrorKind};

#[path = "fuzz/edge.rs"]
mod edge;
use edge::{
    check_route, check_upscale_body, check_webhook, hostile_path, method, upscale_body,
    webhook_body,
};

const DEFAULT_ITERS: u64 = 20_000;
const DEFAULT_SEED: u64 = 0x5eed_d8ea_311a_u64;
/// How many kinds of problem per target are shown with an example.
const SHOW: usize = 8;

// ---------------------------------------------------------------------------------------
// PRNG: xorshift64*, enough for input generation and reproducible from the seed.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

// ---------------------------------------------------------------------------------------
// Generators

const JOB: &str = r#"{"jobid":"j1125014203123000001I-u12345-US:user@example.com:dreamina","type":"upscale","status":"completed","model":"seedream-4.0","created":"2025-11-25T01:42:03.123Z","updated":"2025-11-25T01:42:09.000Z","request":{"jobid":"j1125000000000000001i-u12345-US:user@example.com:dreamina","imageIndex":0,"resolution":"4k","originalImageStrength":0.65,"detailStrength":0.5},"response":{"forecastCost":0,"images":[{"imageUrl":"https://cdn.example.com/a.png?x=1","width":4096,"height":4096,"format":"png"}]},"code":200}"#;

const SNIPPETS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u0000",
    "\\ud800",
    "null",
    "true",
    "false",
    "-0",
    "1e999999",
    "-1e400",
    "123456789012345678901234567890",
    "0.0000000000000000001",
    "NaN",
    "\"jobid\"",
    "\"status\"",
    "\"error\"",
    "\"message\"",
    "\"created\"",
    "\"completed\"",
    "\"failed\"",
    "{\"message\":\"\"}",
    "é",
    "💥",
    "\u{0}",
    "\u{7f}",
    "\u{2028}",
    "\r\n",
    "<",
    ">",
];

const HTML: &[&str] = &[
    "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
    "<!DOCTYPE html>\n<html><body>Cloudflare: error 1020</body></html>",
    "<html>",
    "",
    "   \n\t ",
];

/// Random text: a mix of ASCII, control characters, multi-byte characters and JSON tokens.
fn text(r: &mut Rng, max_len: u64) -> String {
    let len = r.below(max_len + 1);
    let mut s = String::new();
    while (s.len() as u64) < len {
        match r.below(6) {
            0 => s.push(char::from(r.below(0x20) as u8)),
            1 => s.push_str(r.pick(SNIPPETS)),
            2 => s.push(char::from_u32(r.below(0x11_0000) as u32).unwrap_or('\u{fffd}')),
            _ => s.push(char::from(0x20 + r.below(0x5f) as u8)),
        }
    }
    s
}

/// Random bytes read as UTF-8 the way `Response.text()` would (invalid sequences replaced).
fn lossy_bytes(r: &mut Rng, max_len: u64) -> String {
    let bytes: Vec<u8> = (0..r.below(max_len + 1)).map(|_| r.next() as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Cuts `s` at a random char boundary.
fn truncate(r: &mut Rng, s: &str) -> String {
    let mut at = r.below(s.len() as u64 + 1) as usize;
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    s[..at].to_string()
}

/// A few random edits (insert / delete / replace a snippet) of `s`.
fn mutate(r: &mut Rng, s: &str) -> String {
    let mut out = s.to_string();
    for _ in 0..=r.below(4) {
        let mut at = r.below(out.len() as u64 + 1) as usize;
        while !out.is_char_boundary(at) {
            at -= 1;
        }
        match r.below(3) {
            0 => out.insert_str(at, r.pick(SNIPPETS)),
            1 => {
                let mut end = (at + 1 + r.below(8) as usize).min(out.len());
                while !out.is_char_boundary(end) {
                    end += 1;
                }
                out.replace_range(at..end, "");
            }
            _ => {
                let mut end = (at + 1).min(out.len());
                while !out.is_char_boundary(end) {
                    end += 1;
                }
                out.replace_range(at..end, r.pick(SNIPPETS));
            }
        }
    }
    out
}

/// A JSON value of a random type, sometimes absurd.
fn json_value(r: &mut Rng) -> String {
    match r.below(12) {
        0 => "null".into(),
        1 => "true".into(),
        2 => format!("{}", r.next() as i64),
        3 => r
            .pick(&[
                "1e999999",
                "-1e400",
                "1e308",
                "-0",
                "0.5",
                "123456789012345678901234567890",
            ])
            .to_string(),
        4 => "[]".into(),
        5 => "{}".into(),
        6 => r#"{"message":""}"#.into(),
        7 => r#"{"message":"nested message","type":"x"}"#.into(),
        8 => format!("{:?}", text(r, 40)),
        9 => "\"\"".into(),
        10 => format!("{:?}", "x".repeat(r.below(5000) as usize)),
        _ => format!(
            "{:?}",
            r.pick(&["created", "completed", "failed", "queued", ""])
        ),
    }
}

/// An object with the job's keys (and `error` / `message`) set to values of random types.
fn wrong_types(r: &mut Rng) -> String {
    let keys = [
        "jobid",
        "status",
        "error",
        "message",
        "errorDetails",
        "code",
    ];
    let mut parts = Vec::new();
    for k in keys {
        if !r.chance(3) {
            parts.push(format!("{k:?}:{}", json_value(r)));
        }
    }
    format!("{{{}}}", parts.join(","))
}

/// `[[[[…` or `{"a":{"a":…` of random depth, closed or not.
fn deep(r: &mut Rng) -> String {
    let depth = r.below(20_000) as usize + 1;
    let (open, close) = if r.chance(2) {
        ("[", "]")
    } else {
        ("{\"a\":", "}")
    };
    let mut s = open.repeat(depth);
    if r.chance(2) {
        s.push('1');
        s.push_str(&close.repeat(depth));
    }
    s
}

fn body(r: &mut Rng) -> String {
    match r.below(10) {
        0 => lossy_bytes(r, 300),
        1 => text(r, 300),
        2 => mutate(r, JOB),
        3 => truncate(r, JOB),
        4 => deep(r),
        5 => wrong_types(r),
        6 => r.pick(HTML).to_string(),
        7 => JOB.replace(
            "completed",
            r.pick(&["created", "failed", "", "COMPLETED", "é"]),
        ),
        8 if r.chance(2_000) => "x".repeat(MAX_BODY_BYTES + r.below(3) as usize - 1),
        _ => format!(r#"{{"error":{},"code":{}}}"#, json_value(r), json_value(r)),
    }
}

fn status(r: &mut Rng) -> u16 {
    match r.below(4) {
        0 => r.pick(&[
            200, 201, 204, 299, 300, 400, 401, 402, 404, 408, 410, 422, 429, 500, 502, 503, 504,
            596, 599,
        ]),
        1 => 100 + r.below(500) as u16,
        2 => r.next() as u16,
        _ => r.pick(&[0, 1, 199, 600, 999, u16::MAX]),
    }
}

/// Retry-After values: seconds, fractions, signs, huge numbers, and HTTP dates with odd fields.
fn retry_after(r: &mut Rng) -> String {
    match r.below(6) {
        0 => r.below(100_000).to_string(),
        1 => r
            .pick(&[
                "",
                " ",
                "0",
                "-0",
                "-1",
                "+1",
                "1.5",
                "1e3",
                "1e400",
                "NaN",
                "inf",
                "-inf",
                "99999999999999999999999",
                "0x10",
                "1 ",
                "soon",
            ])
            .to_string(),
        2 => http_date(r),
        3 => mutate(r, "Wed, 25 Nov 2026 01:00:30 GMT"),
        4 => text(r, 40),
        _ => format!("{}", r.unit() * 10f64.powi(r.below(30) as i32)),
    }
}

/// An HTTP date whose fields are sometimes out of range, signed, or of the wrong width.
fn http_date(r: &mut Rng) -> String {
    let num = |r: &mut Rng, hi: i64| -> String {
        match r.below(8) {
            0 => format!("-{}", r.below(hi as u64 + 1)),
            1 => format!("+{}", r.below(hi as u64 + 1)),
            2 => format!("{}", r.next() as i64),
            3 => format!("{:02}", r.below(hi as u64 * 2 + 2)),
            _ => format!("{:02}", r.below(hi as u64 + 1)),
        }
    };
    let day = r.pick(&["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Xyz"]);
    let month = r.pick(&[
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Foo",
    ]);
    let (d, y) = (num(r, 31), num(r, 9999));
    let (h, m, s) = (num(r, 23), num(r, 59), num(r, 60));
    format!("{day}, {d} {month} {y} {h}:{m}:{s} GMT")
}

fn now_ms(r: &mut Rng) -> f64 {
    match r.below(6) {
        0 => r.pick(&[
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            f64::MAX,
            -1e18,
        ]),
        _ => 1.7e12 + r.unit() * 1e11,
    }
}

/// A random JS value as the validator sees it, with a bias towards the edge cases.
fn val(r: &mut Rng) -> Val {
    match r.below(14) {
        0 => Val::Missing,
        1 => Val::Null,
        2 => Val::Bool(r.chance(2)),
        3 => Val::Num(r.pick(&[
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            2_147_483_647.0,
            2_147_483_648.0,
            4_294_967_296.0,
            0.5,
            1.0,
            3.0,
            50.0,
            100.0,
        ])),
        4 => Val::Num((r.next() as i64 % 200) as f64),
        5 => Val::Num(f64::from_bits(r.next())),
        6 => Val::Num(r.unit() * 1.2 - 0.1),
        7 => Val::Str(text(r, 60)),
        8 => Val::Str("x".repeat(r.below(3000) as usize)),
        9 => Val::Str(
            r.pick(&[
                "2k",
                "4K",
                "8k",
                "16k",
                "",
                " ",
                "https://hooks.example.com/x",
                "http://127.0.0.1:9/x",
                "http://10.0.0.1/x",
                "/api/dreamina/",
                "//evil.com",
                "ftp://x",
                "https://",
                "user:12345-abc",
                "a\u{0}b",
                "j1125000000000000001i-u12345-US:user@example.com:dreamina",
            ])
            .to_string(),
        ),
        10 => Val::Function,
        11 => [Val::Object, Val::Array, Val::AbortSignal][r.below(3) as usize].clone(),
        12 => [Val::BigInt, Val::Symbol][r.below(2) as usize].clone(),
        _ => Val::Str(format!("https://{}/{}", text(r, 12), text(r, 12))),
    }
}

/// Fields mostly from `known` (plus sometimes an unknown key), each with a random value.
fn fields(r: &mut Rng, known: &[&str]) -> Fields {
    let mut out: Fields = Vec::new();
    for k in known {
        if r.chance(2) {
            out.push((k.to_string(), val(r)));
        }
    }
    if r.chance(8) {
        let key = if r.chance(2) {
            text(r, 12)
        } else {
            r.pick(&["__proto__", "constructor", "jobId", "timeout", ""])
                .to_string()
        };
        out.insert(r.below(out.len() as u64 + 1) as usize, (key, val(r)));
    }
    // Shuffle: validation must not depend on the key order it happens to be given.
    for i in (1..out.len()).rev() {
        out.swap(i, r.below(i as u64 + 1) as usize);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Invariants: each returns Err(description) when one is broken.

type Check = Result<(), String>;

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Check {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

fn check_classify(resp: TextResponse, now: f64) -> Check {
    let (status, body, header) = (resp.status, resp.body.clone(), resp.retry_after.clone());
    // A quote of a non-provider body: 120 chars, each at most 10 once escaped ("\u{10ffff}"),
    // plus a short sentence and the Content-Type.
    let quote_limit = 1_300
        + resp
            .content_type
            .as_deref()
            .map_or(0, |c| c.chars().count());
    match classify(resp, now) {
        Ok(f) => {
            ensure((200..300).contains(&status), || {
                format!("Ok for HTTP {status}")
            })?;
            ensure(body.len() <= MAX_BODY_BYTES, || {
                "Ok for an oversized body".into()
            })?;
            ensure(!f.job.jobid.is_empty(), || "Ok with an empty jobid".into())?;
            ensure(f.doc == body, || {
                "Ok with a body that differs from the input".into()
            })?;
            let v: serde_json::Value =
                serde_json::from_str(&f.doc).map_err(|e| format!("Ok for non-JSON: {e}"))?;
            ensure(v["jobid"].as_str() == Some(f.job.jobid.as_str()), || {
                "jobid differs from the body".into()
            })?;
            ensure(v["status"].as_str() == Some(f.job.status.as_str()), || {
                "status differs from the body".into()
            })
        }
        Err(e) => {
            ensure(e.status() == Some(status), || {
                format!("error status {:?} for HTTP {status}", e.status())
            })?;
            ensure(!e.to_string().trim().is_empty(), || {
                format!("empty error message ({:?})", e.kind())
            })?;
            ensure(
                !matches!(
                    e,
                    Error::Validation { .. }
                        | Error::Aborted
                        | Error::Network { .. }
                        | Error::JobFailed { .. }
                ),
                || format!("kind {:?} from a response", e.kind()),
            )?;
            let expected_retry = header.as_deref().and_then(|h| parse_retry_after(h, now));
            if let Error::Api {
                from_provider: false,
                message,
                ..
            } = &e
            {
                ensure(message.chars().count() <= quote_limit, || {
                    format!(
                        "message of {} chars quoting a non-provider body",
                        message.chars().count()
                    )
                })?;
            }
            if matches!(e, Error::Api { .. }) {
                ensure(e.retry_after_ms() == expected_retry, || {
                    "retryAfterMs differs from the header".into()
                })?;
            }
            if (200..300).contains(&status) {
                ensure(e.kind() == ErrorKind::InvalidResponse, || {
                    format!("{:?} for a 2xx", e.kind())
                })?;
            }
            Ok(())
        }
    }
}

/// A strict IMF-fixdate time field: exactly two digits, within `0..=max`.
fn two_digits(s: &str, max: u32) -> bool {
    s.len() == 2
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u32>().is_ok_and(|n| n <= max)
}

fn check_retry_after(value: &str, now: f64) -> Check {
    let raw = parse_retry_after(value, now);
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(secs) = v.parse::<u64>() {
            ensure(raw == Some(secs.saturating_mul(1000)), || {
                format!("{raw:?} for {secs} seconds")
            })?;
        }
    }
    if v.starts_with('-') && v.parse::<f64>().is_ok_and(|x| x < 0.0) {
        ensure(raw.is_none(), || format!("{raw:?} for a negative delay"))?;
    }
    if parse_http_date(v).is_some() {
        // Sun, 06 Nov 1994 08:49:37 GMT: the time must be HH:MM:SS in range.
        let after_day_name = v.split_once(", ").map_or("", |(_, rest)| rest);
        let time = after_day_name.split_whitespace().nth(3).unwrap_or("");
        let hms: Vec<&str> = time.split(':').collect();
        let strict = hms.len() == 3
            && two_digits(hms[0], 23)
            && two_digits(hms[1], 59)
            && two_digits(hms[2], 60);
        ensure(strict, || format!("HTTP date accepted with time {time:?}"))?;
    }
    Ok(())
}

/// A validation error must name a field that was given or that is required, and say its name.
fn check_validation_error(e: &Error, fields: &Fields, required: &[&str]) -> Check {
    let field = e
        .field()
        .ok_or_else(|| format!("non-validation error {e:?}"))?;
    ensure(
        !field.is_empty() || fields.iter().any(|(k, _)| k.is_empty()),
        || "error names an empty field".into(),
    )?;
    ensure(
        fields.iter().any(|(k, _)| k == field) || required.contains(&field),
        || format!("error names {field:?}, which was not given"),
    )?;
    ensure(e.to_string().contains(field), || {
        format!("message {e} does not contain {field:?}")
    })
}

fn check_upscale_request(fields: &Fields) -> Check {
    match UPSCALE.check(fields) {
        Err(e) => check_validation_error(&e, fields, &["jobid"]),
        Ok(req) => {
            let v: serde_json::Value = serde_json::from_str(&json_text(&req))
                .map_err(|e| format!("body is not JSON: {e}"))?;
            let given = |k: &str| fields.iter().any(|(f, v)| f == k && !v.is_absent());
            ensure(
                v.as_object().is_some_and(|o| o.keys().all(|k| given(k))),
                || "a field that was not given is in the body".into(),
            )?;
            let jobid = v["jobid"].as_str();
            ensure(jobid.is_some_and(|id| !id.trim().is_empty()), || {
                "bad jobid in body".into()
            })?;
            let int_in = |k: &str, lo: i64, hi: i64| {
                v.get(k)
                    .is_none_or(|n| n.as_i64().is_some_and(|n| (lo..=hi).contains(&n)))
            };
            ensure(int_in("imageIndex", 0, 3), || {
                "imageIndex out of range".into()
            })?;
            ensure(int_in("maxJobs", 1, 50), || "maxJobs out of range".into())?;
            let unit = |k: &str| {
                v.get(k)
                    .is_none_or(|x| x.as_f64().is_some_and(|x| (0.0..=1.0).contains(&x)))
            };
            ensure(
                unit("originalImageStrength") && unit("detailStrength"),
                || "strength out of range".into(),
            )?;
            ensure(
                v.get("upscaleResolution")
                    .is_none_or(|s| s.as_str().is_some_and(|s| RESOLUTIONS.contains(&s))),
                || "bad resolution".into(),
            )?;
            ensure(
                v.get("replyUrl")
                    .is_none_or(|u| u.as_str().is_some_and(|u| parse_http_url(u).is_some())),
                || "bad replyUrl".into(),
            )
        }
    }
}

/// The token is a secret: a message may contain its text only where it would also appear
/// with another token of the same shape in its place (fixed wording, or another field).
fn check_token_not_quoted(fields: &Fields, message: &str) -> Check {
    let token = match dreamina_upscale::host::get(fields, "token") {
        Val::Str(s) if s.trim().len() >= 4 => s.trim().to_string(),
        _ => return Ok(()),
    };
    if !message.contains(&token) {
        return Ok(());
    }
    let stand_in: String = token
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                c
            } else {
                'Q'
            }
        })
        .collect();
    let swapped: Fields = fields
        .iter()
        .map(|(k, v)| match k.as_str() {
            "token" => (k.clone(), Val::Str(stand_in.clone())),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    let other = client_config(&swapped).err().map(|e| e.to_string());
    ensure(other.is_some_and(|m| m.contains(&token)), || {
        "message quotes the token".into()
    })
}

fn check_client_config(fields: &Fields) -> Check {
    match client_config(fields) {
        Err(e) => {
            check_validation_error(&e, fields, &["token", "retryMaxDelayMs"])?;
            check_token_not_quoted(fields, &e.to_string())
        }
        Ok(c) => {
            ensure(c.timeout_ms >= 1 && c.max_retries <= 20, || {
                format!("{c:?}")
            })?;
            ensure(c.retry_max_delay_ms >= c.retry_base_delay_ms, || {
                format!("{c:?}")
            })?;
            ensure(!c.base_url.ends_with('/'), || {
                format!("base URL {:?} ends with /", c.base_url)
            })?;
            let url = parse_http_url(&c.base_url);
            ensure(url.is_some() || c.base_url.starts_with('/'), || {
                format!("base URL {:?}", c.base_url)
            })?;
            let plain = url.as_ref().is_some_and(|u| !u.secure);
            ensure(
                !plain || dreamina_upscale::host::is_loopback(url.unwrap().host),
                || format!("plain http to {:?}", c.base_url),
            )?;
            ensure(c.token.is_some() || !is_provider(&c.base_url), || {
                "provider without a token".into()
            })
        }
    }
}

fn check_wait_options(fields: &Fields) -> Check {
    match wait_options(fields) {
        Err(e) => check_validation_error(&e, fields, &[]),
        Ok(w) => {
            ensure(
                w.poll_interval_ms
                    .is_none_or(|p| p as f64 >= MIN_POLL_INTERVAL_MS),
                || format!("{w:?}"),
            )?;
            ensure(
                w.timeout_ms >= 1 && w.request_timeout_ms.is_none_or(|t| t >= 1),
                || format!("{w:?}"),
            )?;
            ensure(w.max_retries.is_none_or(|m| m <= 20), || format!("{w:?}"))
        }
    }
}

/// Only unreserved characters and `%XX` (upper-case hex), and decoding gives the input back.
fn check_segment(s: &str) -> Check {
    let enc = encode_path_segment(s);
    let b = enc.as_bytes();
    let mut decoded = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3).ok_or("dangling %")?;
            ensure(
                hex.iter()
                    .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c)),
                || format!("bad escape in {enc:?}"),
            )?;
            decoded.push(u8::from_str_radix(std::str::from_utf8(hex).unwrap(), 16).unwrap());
            i += 3;
        } else {
            ensure(
                b[i].is_ascii_alphanumeric() || b"-._~".contains(&b[i]),
                || format!("reserved byte {:?} in {enc:?}", b[i] as char),
            )?;
            decoded.push(b[i]);
            i += 1;
        }
    }
    ensure(decoded == s.as_bytes(), || {
        format!("{enc:?} does not decode to the input")
    })
}

// ---------------------------------------------------------------------------------------
// Runner

/// Counts for one target, plus the first failing input of each kind of problem.
#[derive(Default)]
struct Tally {
    inputs: u64,
    panics: u64,
    broken: u64,
    /// (kind of problem, how many times, first example)
    examples: Vec<(String, u64, String)>,
}

static QUIET_PANICS: AtomicBool = AtomicBool::new(false);

/// Runs `check(input)` under catch_unwind and records the outcome.
fn run<I: std::fmt::Debug>(t: &mut Tally, input: I, check: impl FnOnce(&I) -> Check) {
    t.inputs += 1;
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| check(&input)));
    let problem = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(why)) => {
            t.broken += 1;
            why
        }
        Err(p) => {
            t.panics += 1;
            let msg = p.downcast_ref::<String>().cloned();
            let msg = msg.or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            format!("PANIC {}", msg.unwrap_or_default())
        }
    };
    // Group by the problem's wording up to its first variable part.
    let kind: String = problem
        .chars()
        .take_while(|c| !matches!(c, '(' | ':' | '"' | '0'..='9'))
        .collect();
    if let Some(e) = t.examples.iter_mut().find(|e| e.0 == kind) {
        e.1 += 1;
        return;
    }
    if t.examples.len() < SHOW {
        let mut shown = format!("{input:?}");
        if shown.len() > 300 {
            let head: String = shown.chars().take(300).collect();
            shown = format!("{head}… ({} chars)", shown.len());
        }
        t.examples
            .push((kind, 1, format!("{problem}\n      input: {shown}")));
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

#[test]
fn fuzz_parsers_and_validators() {
    let iters = env_u64("DREAMINA_FUZZ_ITERS", DEFAULT_ITERS);
    let seed = env_u64("DREAMINA_FUZZ_SEED", DEFAULT_SEED);
    let mut r = Rng::new(seed);
    // Panics are counted and shown below; the default hook would print each one.
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !QUIET_PANICS.load(Ordering::Relaxed) {
            default_hook(info)
        }
    }));
    QUIET_PANICS.store(true, Ordering::Relaxed);

    let names = [
        "classify",
        "parse_retry_after",
        "upscale_request",
        "client_config",
        "wait_options",
        "encode_path_segment",
        "match_route",
        "proxy upscale body",
        "parse_webhook",
    ];
    let mut tallies: Vec<Tally> = names.iter().map(|_| Tally::default()).collect();
    // Routes the matcher forwarded: [upscale, getJob]. Both must be reached for the route
    // target to mean anything.
    let mut forwards = [0u64; 2];
    // Upscale bodies the proxy would forward, webhook bodies that named a job.
    let mut accepted = [0u64; 2];
    let started = Instant::now();
    for _ in 0..iters {
        let resp = TextResponse {
            status: status(&mut r),
            retry_after: r.chance(3).then(|| retry_after(&mut r)),
            content_type: r.chance(2).then(|| text(&mut r, 30)),
            body: body(&mut r),
        };
        let now = now_ms(&mut r);
        run(&mut tallies[0], resp, |resp| {
            check_classify(resp.clone(), now)
        });
        let (ra, now) = (retry_after(&mut r), now_ms(&mut r));
        run(&mut tallies[1], ra, |v| check_retry_after(v, now));
        run(
            &mut tallies[2],
            fields(&mut r, &UPSCALE.field_names()),
            check_upscale_request,
        );
        run(
            &mut tallies[3],
            fields(&mut r, &CLIENT_FIELDS),
            check_client_config,
        );
        run(
            &mut tallies[4],
            fields(&mut r, &WAIT_FIELDS),
            check_wait_options,
        );
        let seg = if r.chance(2) {
            text(&mut r, 80)
        } else {
            lossy_bytes(&mut r, 80)
        };
        run(&mut tallies[5], seg, |s| check_segment(s));
        let base = r.pick(&["/api/dreamina", "", "/p"]);
        let route = (method(&mut r), hostile_path(&mut r, base), base);
        if let Routing::Forward(f) = match_route(&route.0, &route.1, base) {
            forwards[(f.kind == RouteKind::GetJob) as usize] += 1;
        }
        run(&mut tallies[6], route, check_route);
        let body = upscale_body(&mut r);
        let ok = parse_upscale_body(&body)
            .and_then(|map| upstream_upscale_body(&fields_from_json(&map)))
            .is_ok();
        accepted[0] += ok as u64;
        run(&mut tallies[7], body, |b| check_upscale_body(b));
        let hook = webhook_body(&mut r);
        accepted[1] += parse_webhook(&hook).is_ok() as u64;
        run(&mut tallies[8], hook, |h| check_webhook(h));
    }
    QUIET_PANICS.store(false, Ordering::Relaxed);
    let _ = panic::take_hook();

    let elapsed = started.elapsed();
    let total: u64 = tallies.iter().map(|t| t.inputs).sum();
    let panics: u64 = tallies.iter().map(|t| t.panics).sum();
    let broken: u64 = tallies.iter().map(|t| t.broken).sum();
    println!(
        "fuzz: seed {seed:#x}, {iters} iterations, {total} inputs in {:.2?}",
        elapsed
    );
    println!(
        "{:<22} {:>10} {:>8} {:>10}",
        "target", "inputs", "panics", "invariant"
    );
    for (name, t) in names.iter().zip(&tallies) {
        println!(
            "{name:<22} {:>10} {:>8} {:>10}",
            t.inputs, t.panics, t.broken
        );
        for (_, n, example) in &t.examples {
            println!("   - {n} x {example}");
        }
    }
    println!(
        "match_route forwarded {} upscale and {} getJob routes, all inside the two routes",
        forwards[0], forwards[1]
    );
    println!(
        "accepted {} upscale bodies and {} webhook bodies",
        accepted[0], accepted[1]
    );
    println!("total: {total} inputs, {panics} panics, {broken} broken invariants");
    assert!(
        forwards.iter().chain(&accepted).all(|&n| n > 0) || iters < 1000,
        "the generators must reach the accepting paths: {forwards:?} {accepted:?}"
    );
    assert_eq!(
        (panics, broken),
        (0, 0),
        "see the examples above (seed {seed:#x})"
    );
}
