//! `Transport` on the real JS platform: fetch through web-sys (`super::fetch`), timers and the
//! caller's `AbortSignal` through gloo-timers futures (`super::timer`). Works without
//! `window`. Every outcome is classified here, in Rust.

use std::cell::Cell;

use js_sys::{JsString, JSON};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use web_sys::{AbortController, AbortSignal, Headers};

use super::convert::{is_array, object, prop, to_val, Prop};
use super::fetch::{guarded, head, header, request_init, text, Fetcher};
use super::timer::{self, is_aborted, Raced};
use crate::engine::{HttpRequest, Transport};
use crate::error::{Error, Result};
use crate::json::{JsonObject, Scalar};
use crate::response::{
    needs_error_text, needs_excerpt, printable_status, Body, BodyFields, ErrorField, Response,
    BODY_START_CHARS, MAX_BODY_BYTES,
};
use crate::retry::proves_not_sent;
use crate::url::{path_of_url, redact};

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` taking the JS string as it is (js-sys's takes `&str`, a copy into wasm).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsString) -> std::result::Result<JsValue, JsValue>;
}

/// One call's view of the platform: the fetch to use, the client's headers, the caller's signal.
pub struct JsTransport<'a> {
    pub fetch: &'a Fetcher,
    /// The client's headers, built once per client.
    pub headers: &'a RequestHeaders,
    /// The token, to be redacted from anything an answer quotes back.
    pub secret: Option<&'a str>,
    pub signal: Option<AbortSignal>,
    /// The caller's picture (a `Blob`, `ArrayBuffer` or `Uint8Array`, never copied into wasm),
    /// the body of a request that has a `picture` type.
    pub picture: Option<JsValue>,
}

/// An answer whose body was read in full.
struct RawResponse {
    status: u16,
    headers: Headers,
    body: JsString,
}

/// Why an exchange ended without a body.
enum ExchangeError {
    /// fetch threw or rejected: nothing was answered.
    Send(JsValue),
    /// `Content-Length` announced more than `MAX_BODY_BYTES`.
    TooLarge(u16),
    /// The body broke off after the status arrived.
    Body(JsValue, u16),
}

impl Transport for JsTransport<'_> {
    type Doc = JsValue;

    async fn send(&self, req: &HttpRequest, timeout_ms: u32) -> Result<(Response, JsValue)> {
        let signal = self.signal.as_ref();
        if is_aborted(signal) {
            return Err(Error::Aborted);
        }
        let not_sent = |e: JsValue| self.failure(ExchangeError::Send(e), req);
        let (body, headers) = match (&req.body, req.picture) {
            (Some(obj), _) => (Some(json_body(obj)), self.headers.get(true, self.fetch)),
            // A picture's type varies from call to call: its headers are always its own.
            (None, Some(picture)) => (
                self.picture.clone(),
                self.headers.build(Some(picture.content_type())),
            ),
            (None, None) => (None, self.headers.get(false, self.fetch)),
        };
        let headers = headers.map_err(not_sent)?;
        let controller = AbortController::new().map_err(not_sent)?;
        let init = request_init(req.method.as_str(), &headers, body.as_ref(), &controller);
        let exchange = async {
            let resp = self
                .fetch
                .send(&req.url, &init)
                .await
                .map_err(ExchangeError::Send)?;
            let (status, headers) = head(&resp).map_err(ExchangeError::Send)?;
            if header(&headers, "content-length")
                .and_then(|n| n.trim().parse::<u64>().ok())
                .is_some_and(|n| n > MAX_BODY_BYTES as u64)
            {
                return Err(ExchangeError::TooLarge(status));
            }
            let body = text(&resp)
                .await
                .map_err(|e| ExchangeError::Body(e, status))?;
            Ok(RawResponse {
                status,
                headers,
                body,
            })
        };
        let raw = match guarded(exchange, &controller, timeout_ms, signal).await {
            Raced::Done(Ok(raw)) => raw,
            Raced::Done(Err(fail)) => {
                controller.abort();
                return Err(self.failure(fail, req));
            }
            Raced::TimedOut => return Err(timed_out(req, timeout_ms)),
            Raced::Aborted => return Err(aborted_in_flight(req)),
        };
        // The body stays in JS: it is parsed once there, and only a short start is copied in.
        let (mut body, doc) = parse(&raw.body, raw.status);
        let mut body_start = match needs_excerpt(raw.status, &body) {
            true => raw.body.slice(0, BODY_START_CHARS as u32).into(),
            false => String::new(),
        };
        if let Some(secret) = self.secret {
            redact_response(&mut body, &mut body_start, secret);
        }
        // Only an error answer's classification reads these two headers.
        let error_header = |name| match (200..300).contains(&raw.status) {
            true => None,
            false => header(&raw.headers, name),
        };
        let response = Response {
            status: raw.status,
            retry_after: error_header("retry-after"),
            content_type: error_header("content-type"),
            body_len: raw.body.length() as usize,
            body_start,
            body,
        };
        Ok((response, doc))
    }

    async fn sleep(&self, ms: u32) -> Result<()> {
        timer::sleep(ms, self.signal.as_ref())
            .await
            .map_err(|_| Error::Aborted)
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }

    fn is_aborted(&self) -> bool {
        is_aborted(self.signal.as_ref())
    }
}

impl JsTransport<'_> {
    /// What an exchange that ended without a body means.
    fn failure(&self, fail: ExchangeError, req: &HttpRequest) -> Error {
        match fail {
            ExchangeError::TooLarge(status) => Error::InvalidResponse {
                status,
                message: format!(
                    "The API answered HTTP {} with a body larger than the {MAX_BODY_BYTES} bytes accepted",
                    printable_status(status)
                ),
            },
            ExchangeError::Body(e, status) => body_error(&e, req, status),
            ExchangeError::Send(e) if !self.fetch.available() => Error::Network {
                message: format!(
                    "Cannot send {}: this runtime has no global fetch; pass `fetch` in the client options ({})",
                    on(req),
                    describe_js_error(&e)
                ),
                not_sent: true,
            },
            ExchangeError::Send(e) => network_from(&e, req),
        }
    }
}

fn timed_out(req: &HttpRequest, timeout_ms: u32) -> Error {
    Error::Timeout {
        message: format!("{} got no answer within {} ms", on(req), timeout_ms),
        status: None,
    }
}

fn aborted_in_flight(req: &HttpRequest) -> Error {
    Error::AbortedInFlight {
        message: format!("The operation was aborted while {} was on its way", on(req)),
    }
}

/// Replaces the token wherever an answer's error text or quoted body repeats it.
fn redact_response(body: &mut Body, body_start: &mut String, secret: &str) {
    *body_start = redact(body_start, secret);
    if let Body::Object(f) = body {
        for text in [&mut f.error, &mut f.message].into_iter().flatten() {
            *text = redact(text, secret);
        }
    }
}

/// A client's constant request headers: `Accept`, `Authorization` when there is a token, and
/// `Content-Type` for JSON bodies. Built at the first request, not in the constructor: in Node,
/// touching `Headers` loads the whole fetch implementation (tens of ms), which plain JS pays at
/// its first `fetch` too.
pub struct RequestHeaders {
    authorization: Option<String>,
    // `Cell`s taken and put back, not `OnceCell`s: their re-entrant-init panic (with its
    // message and source path) would be in the binary for a case that cannot happen here.
    plain: Cell<Option<Headers>>,
    json: Cell<Option<Headers>>,
}

impl RequestHeaders {
    pub fn new(token: Option<&str>) -> Self {
        RequestHeaders {
            authorization: token.map(|t| format!("Bearer {t}")),
            plain: Cell::new(None),
            json: Cell::new(None),
        }
    }

    /// The headers without (`json: false`) or with `Content-Type: application/json`, for a
    /// request through `fetch`: the client's own object for the global fetch (which copies them
    /// into its `Request`), a new one for a caller's fetch (which may change `init.headers`).
    pub fn get(&self, json: bool, fetch: &Fetcher) -> std::result::Result<Headers, JsValue> {
        let content_type = json.then_some("application/json");
        if let Fetcher::Custom(_) = fetch {
            return self.build(content_type);
        }
        let cell = if json { &self.json } else { &self.plain };
        let h = match cell.take() {
            Some(h) => h,
            None => self.build(content_type)?,
        };
        cell.set(Some(h.clone()));
        Ok(h)
    }

    /// New headers, with this `Content-Type` if any (built afresh rather than copied: `new
    /// Headers(init)` would be one import more).
    pub fn build(&self, content_type: Option<&str>) -> std::result::Result<Headers, JsValue> {
        let h = Headers::new()?;
        h.set("Accept", "application/json")?;
        if let Some(auth) = &self.authorization {
            h.set("Authorization", auth)?;
        }
        if let Some(content_type) = content_type {
            h.set("Content-Type", content_type)?;
        }
        Ok(h)
    }
}

/// A request body: the flat object built into a JS object by serde-wasm-bindgen (the one
/// object builder, `convert::object`), then `JSON.stringify` (JS formats the numbers, so the
/// binary does not have to).
fn json_body(obj: &JsonObject) -> JsValue {
    let props: Vec<(&str, Prop)> = obj
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Scalar::Str(v) => Prop::Str(Some(v)),
                Scalar::Int(v) => Prop::Num(Some(*v as f64)),
                Scalar::Num(v) => Prop::Num(Some(*v)),
            };
            (*key, value)
        })
        .collect();
    JSON::stringify(&object(&props)).map_or_else(|_| "{}".into(), JsValue::from)
}

/// Parses a body once with `JSON.parse`: the fields the classifier needs, and the object that
/// is handed to the caller as the job.
fn parse(body: &JsString, status: u16) -> (Body, JsValue) {
    let Ok(doc) = json_parse(body) else {
        return (Body::NotJson, JsValue::UNDEFINED);
    };
    if !doc.is_object() || is_array(&doc) {
        return (Body::NotObject, doc);
    }
    let get = prop;
    // `error` / `message` as text: a string, or an upstream object's `message` / `error`.
    let as_text = |v: JsValue| {
        match v.as_string() {
            Some(s) => ErrorField::Text(s),
            None if v.is_object() => ErrorField::Object {
                message: get(&v, "message").as_string(),
                error: get(&v, "error").as_string(),
            },
            None => ErrorField::Other,
        }
        .text()
    };
    let jobid = to_val(&get(&doc, "jobid"));
    let job_status = to_val(&get(&doc, "status"));
    let texts = needs_error_text(status, &job_status);
    let fields = BodyFields {
        error: texts.then(|| as_text(get(&doc, "error"))).flatten(),
        message: texts.then(|| as_text(get(&doc, "message"))).flatten(),
        jobid,
        status: job_status,
    };
    (Body::Object(fields), doc)
}

/// A rejected fetch. Only a refused connection or a failed DNS lookup proves nothing was sent.
fn network_from(e: &JsValue, req: &HttpRequest) -> Error {
    let text = describe_js_error(e);
    Error::Network {
        message: format!("Network error on {}: {text}", on(req)),
        not_sent: proves_not_sent(&text),
    }
}

fn body_error(e: &JsValue, req: &HttpRequest, status: u16) -> Error {
    Error::Network {
        message: format!(
            "The connection broke while reading the HTTP {} answer to {}: {}",
            printable_status(status),
            on(req),
            describe_js_error(e)
        ),
        not_sent: false,
    }
}

/// `message (cause.code: cause.message)` of a thrown value (the parts that are strings).
fn describe_js_error(e: &JsValue) -> String {
    // `prop`: an unreadable part reads as `undefined`, so it is left out.
    let get = |v: &JsValue, k: &str| prop(v, k).as_string();
    let mut text = get(e, "message")
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "fetch failed".into());
    {
        let cause = prop(e, "cause");
        let mut sep = " (";
        for bit in ["code", "message"]
            .into_iter()
            .filter_map(|k| get(&cause, k))
        {
            text.push_str(sep);
            text.push_str(&bit);
            sep = ": ";
        }
        if sep == ": " {
            text.push(')');
        }
    }
    text
}

/// `METHOD /path` of a request, as messages name it.
fn on(req: &HttpRequest) -> String {
    let mut text = req.method.as_str().to_string();
    text.push(' ');
    text.push_str(path_of_url(&req.url));
    text
}
