//! `Transport` on the real JS platform: `fetch` from the global object (or the caller's),
//! timers and the caller's `AbortSignal`, through the two promises of `js/platform.js`. Works
//! without `window`. Every outcome is classified here, in Rust.

use js_sys::{Array, JsString, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use super::convert::to_val;
use crate::engine::{HttpRequest, Transport};
use crate::error::{Error, Result};
use crate::response::{
    needs_excerpt, text, Facts, Parsed, Reply, BODY_START_CHARS, MAX_BODY_BYTES,
};
use crate::retry::proves_not_sent;
use crate::url::redact;
use crate::validate::{JsonObject, Scalar};

#[wasm_bindgen(module = "/js/platform.js")]
extern "C" {
    /// One fetch + body read, with its timeout and the caller's signal (see platform.js).
    #[allow(clippy::too_many_arguments)]
    fn exchange(
        fetch: &JsValue,
        url: &str,
        method: &str,
        headers: &Object,
        body: &JsValue,
        timeout_ms: u32,
        signal: &JsValue,
        max_bytes: f64,
    ) -> Promise;

    /// Resolves after `ms`; rejects "aborted" as soon as the signal fires.
    #[wasm_bindgen(js_name = sleep)]
    fn sleep_js(ms: u32, signal: &JsValue) -> Promise;
}

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` taking the JS string as it is (js-sys's takes `&str`, a copy into wasm).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsString) -> std::result::Result<JsValue, JsValue>;
}

/// One call's view of the platform: the fetch to use, the client's headers, the caller's signal.
pub struct JsTransport<'a> {
    /// The caller's `fetch`, or `undefined` for the global one.
    pub fetch: &'a JsValue,
    /// `Accept` and `Authorization`, built once per client.
    pub headers: &'a Object,
    /// The same plus `Content-Type: application/json`, for POSTs.
    pub json_headers: &'a Object,
    /// The token, to be redacted from anything an answer quotes back.
    pub secret: Option<&'a str>,
    pub signal: Option<AbortSignal>,
}

impl Transport for JsTransport<'_> {
    type Doc = JsValue;

    async fn send(&self, req: &HttpRequest) -> Result<(Reply, JsValue)> {
        let (headers, body) = match &req.body {
            Some(obj) => (self.json_headers, json_body(obj)),
            None => (self.headers, JsValue::UNDEFINED),
        };
        let promise = exchange(
            self.fetch,
            &req.url,
            req.method.as_str(),
            headers,
            &body,
            req.timeout_ms,
            &self.signal_value(),
            MAX_BODY_BYTES as f64,
        );
        let answer = JsFuture::from(promise)
            .await
            .map_err(|e| failure(&e, req))?;
        let get = |i: u32| Reflect::get_u32(&answer, i).unwrap_or(JsValue::UNDEFINED);
        let body: JsString = get(3).dyn_into().unwrap_or_else(|_| JsString::from(""));
        // The body stays in JS: it is parsed once there, and only a short start is copied in.
        let (mut parsed, doc) = parse(&body);
        let status = get(0).as_f64().unwrap_or(0.0) as u16;
        let mut body_start = match needs_excerpt(status, &parsed) {
            true => body.slice(0, BODY_START_CHARS as u32).into(),
            false => String::new(),
        };
        if let Some(secret) = self.secret {
            redact_reply(&mut parsed, &mut body_start, secret);
        }
        let reply = Reply {
            status,
            retry_after: get(1).as_string(),
            content_type: get(2).as_string(),
            body_len: body.length() as usize,
            body_start,
            parsed,
        };
        Ok((reply, doc))
    }

    async fn sleep(&self, ms: u32) -> Result<()> {
        JsFuture::from(sleep_js(ms, &self.signal_value()))
            .await
            .map(|_| ())
            .map_err(|_| Error::Aborted)
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }

    fn is_aborted(&self) -> bool {
        // Read through Reflect (which catches): the signal is only duck-typed, and a getter that
        // throws must not unwind through wasm.
        self.signal.as_ref().is_some_and(|s| {
            Reflect::get(s, &"aborted".into()).is_ok_and(|a| a.as_bool() == Some(true))
        })
    }
}

impl JsTransport<'_> {
    fn signal_value(&self) -> JsValue {
        self.signal
            .clone()
            .map_or(JsValue::UNDEFINED, JsValue::from)
    }
}

/// Replaces the token wherever an answer's error text or quoted body repeats it.
fn redact_reply(parsed: &mut Parsed, body_start: &mut String, secret: &str) {
    *body_start = redact(body_start, secret);
    if let Parsed::Object(f) = parsed {
        for text in [&mut f.error, &mut f.message].into_iter().flatten() {
            *text = redact(text, secret);
        }
    }
}

/// The client's constant request headers: `Accept`, `Authorization` when there is a token,
/// and `Content-Type` when `json`.
pub fn headers(token: Option<&str>, json: bool) -> Object {
    let h = Object::new();
    let put = |k: &str, v: &str| {
        let _ = Reflect::set(&h, &k.into(), &v.into());
    };
    put("Accept", "application/json");
    if let Some(token) = token {
        put("Authorization", &format!("Bearer {token}"));
    }
    if json {
        put("Content-Type", "application/json");
    }
    h
}

/// What a rejected `exchange` means: our timeout, the caller's abort, a body cut off, a body
/// too large, or fetch's own failure.
fn failure(e: &JsValue, req: &HttpRequest) -> Error {
    match e.as_string().as_deref() {
        Some("timeout") => {
            return Error::Timeout {
                message: format!(
                    "{} {} got no answer within {} ms",
                    req.method.as_str(),
                    path_of(&req.url),
                    req.timeout_ms
                ),
                status: None,
            }
        }
        Some("aborted") => return Error::Aborted,
        Some("aborted_in_flight") => {
            return Error::AbortedInFlight {
                message: format!(
                    "The operation was aborted while {} {} was on its way",
                    req.method.as_str(),
                    path_of(&req.url)
                ),
            }
        }
        _ => {}
    }
    if Array::is_array(e) {
        let tag = Reflect::get_u32(e, 0).ok().and_then(|t| t.as_string());
        let detail = Reflect::get_u32(e, 1).unwrap_or(JsValue::UNDEFINED);
        if tag.as_deref() == Some("too_large") {
            let status = detail.as_f64().unwrap_or(0.0) as u16;
            return Error::InvalidResponse {
                status,
                message: format!("The API answered HTTP {status} with a body larger than the {MAX_BODY_BYTES} bytes accepted"),
            };
        }
        let status = Reflect::get_u32(e, 2)
            .ok()
            .and_then(|s| s.as_f64())
            .unwrap_or(0.0);
        return body_error(&detail, req, status as u16);
    }
    network_from(e, req)
}

/// `JSON.stringify` of a flat object: JS formats the numbers, so the binary does not have to.
fn json_body(obj: &JsonObject) -> JsValue {
    let o = Object::new();
    for (key, value) in obj {
        let v = match value {
            Scalar::Str(s) => JsValue::from_str(s),
            Scalar::Int(n) => JsValue::from_f64(*n as f64),
            Scalar::Num(n) => JsValue::from_f64(*n),
        };
        let _ = Reflect::set(&o, &JsValue::from_str(key), &v);
    }
    JSON::stringify(&o)
        .map(JsValue::from)
        .unwrap_or_else(|_| "{}".into())
}

/// The property names read from every body, made into JS strings once per thread.
struct Keys {
    jobid: JsValue,
    status: JsValue,
    error: JsValue,
    message: JsValue,
}

thread_local! {
    static KEYS: Keys = Keys {
        jobid: "jobid".into(),
        status: "status".into(),
        error: "error".into(),
        message: "message".into(),
    };
}

/// Parses a body once with `JSON.parse`: the facts the classifier needs, and the object that
/// is handed to the caller as the job.
fn parse(body: &JsString) -> (Parsed, JsValue) {
    let Ok(doc) = json_parse(body) else {
        return (Parsed::NotJson, JsValue::UNDEFINED);
    };
    if !doc.is_object() || Array::is_array(&doc) {
        return (Parsed::NotObject, doc);
    }
    KEYS.with(|k| {
        let get = |v: &JsValue, key: &JsValue| Reflect::get(v, key).unwrap_or(JsValue::UNDEFINED);
        // `error` / `message` as text: a string, or an upstream object's `message` / `error`.
        let as_text = |v: JsValue| match v.as_string() {
            Some(s) => text(&s),
            None if v.is_object() => get(&v, &k.message)
                .as_string()
                .or_else(|| get(&v, &k.error).as_string())
                .and_then(|s| text(&s)),
            None => None,
        };
        let facts = Facts {
            jobid: to_val(&get(&doc, &k.jobid)),
            status: to_val(&get(&doc, &k.status)),
            error: as_text(get(&doc, &k.error)),
            message: as_text(get(&doc, &k.message)),
        };
        (Parsed::Object(facts), doc)
    })
}

/// The path of a URL, for messages (the host is the caller's own knowledge).
fn path_of(url: &str) -> &str {
    crate::url::split_scheme(url)
        .and_then(|(_, r)| r.find('/').and_then(|i| r.get(i..)))
        .unwrap_or(url)
}

/// A rejected fetch. Only a refused connection or a failed DNS lookup proves nothing was sent.
fn network_from(e: &JsValue, req: &HttpRequest) -> Error {
    let text = describe_js_error(e);
    Error::Network {
        message: format!(
            "Network error on {} {}: {text}",
            req.method.as_str(),
            path_of(&req.url)
        ),
        not_sent: proves_not_sent(&text),
    }
}

fn body_error(e: &JsValue, req: &HttpRequest, status: u16) -> Error {
    Error::Network {
        message: format!(
            "The connection broke while reading the HTTP {status} answer to {} {}: {}",
            req.method.as_str(),
            path_of(&req.url),
            describe_js_error(e)
        ),
        not_sent: false,
    }
}

/// `message (cause.code cause.message)` of a thrown value.
fn describe_js_error(e: &JsValue) -> String {
    let get = |v: &JsValue, k: &str| Reflect::get(v, &k.into()).ok().and_then(|x| x.as_string());
    let mut text = get(e, "message")
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "fetch failed".into());
    if let Ok(cause) = Reflect::get(e, &"cause".into()) {
        let bits: Vec<String> = ["code", "message"]
            .iter()
            .filter_map(|k| get(&cause, k))
            .collect();
        if !bits.is_empty() {
            let bits: Vec<&str> = bits.iter().map(String::as_str).collect();
            text = format!("{text} ({})", crate::url::join(&bits, ": "));
        }
    }
    text
}
