//! `Transport` on the real JS platform: `fetch` from the global object (or the caller's),
//! `setTimeout` timers and the caller's `AbortSignal`. Works without `window`.

use futures_util::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Function, JsString, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Response};

use super::abort::{sleep, AbortWatch};
use super::convert::to_val;
use crate::engine::{HttpRequest, Transport};
use crate::error::{Error, Result};
use crate::response::{text, Facts, Parsed, Reply, BODY_START_CHARS, MAX_BODY_BYTES};
use crate::validate::{JsonObject, Scalar};

/// One call's view of the platform: the fetch to use, the token, and the caller's signal.
pub struct JsTransport<'a> {
    pub fetch: Option<&'a Function>,
    pub token: Option<&'a str>,
    pub signal: Option<AbortSignal>,
}

impl Transport for JsTransport<'_> {
    type Doc = JsValue;

    async fn send(&self, req: &HttpRequest) -> Result<(Reply, JsValue)> {
        let controller = AbortController::new()
            .map_err(|_| network("AbortController is not available", req, None))?;
        let exchange = self.exchange(req, &controller);
        let guard = select(
            TimeoutFuture::new(req.timeout_ms),
            AbortWatch::new(self.signal.as_ref()),
        );
        let outcome = select(Box::pin(exchange), guard).await;
        let result = match outcome {
            Either::Left((result, _)) => result,
            Either::Right((Either::Left(_), _)) => {
                controller.abort();
                Err(Error::Timeout {
                    message: format!(
                        "{} {} got no answer within {} ms",
                        req.method.as_str(),
                        path_of(&req.url),
                        req.timeout_ms
                    ),
                    status: None,
                })
            }
            Either::Right((Either::Right(_), _)) => {
                controller.abort();
                Err(Error::Aborted)
            }
        };
        result
    }

    async fn sleep(&self, ms: u32) -> Result<()> {
        sleep(ms, self.signal.as_ref()).await
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }

    fn is_aborted(&self) -> bool {
        self.signal.as_ref().is_some_and(|s| s.aborted())
    }
}

impl JsTransport<'_> {
    /// fetch + read the body; timeouts and aborts are raced around it by `send`.
    async fn exchange(
        &self,
        req: &HttpRequest,
        controller: &AbortController,
    ) -> Result<(Reply, JsValue)> {
        let init = self.init(req, &controller.signal());
        let global = js_sys::global();
        let fetch: Function = match self.fetch {
            Some(f) => f.clone(),
            None => Reflect::get(&global, &"fetch".into())
                .ok()
                .and_then(|f| f.dyn_into().ok())
                .ok_or_else(|| {
                    network(
                        "no global fetch() in this runtime; pass one as the `fetch` option",
                        req,
                        None,
                    )
                })?,
        };
        let promise = fetch
            .call2(&global, &JsValue::from_str(&req.url), &init)
            .map_err(|e| network_from(&e, req))?;
        let resp = JsFuture::from(Promise::resolve(&promise))
            .await
            .map_err(|e| network_from(&e, req))?;
        let resp: Response = resp.unchecked_into();
        let header = |name: &str| resp.headers().get(name).ok().flatten();
        let status = resp.status();
        if header("content-length")
            .and_then(|l| l.trim().parse::<usize>().ok())
            .is_some_and(|l| l > MAX_BODY_BYTES)
        {
            controller.abort();
            return Err(Error::InvalidResponse {
                status,
                message: format!("The API answered HTTP {status} with a body larger than the {MAX_BODY_BYTES} bytes accepted"),
            });
        }
        let text = resp.text().map_err(|e| network_from(&e, req))?;
        let body = JsFuture::from(text)
            .await
            .map_err(|e| body_error(&e, req, status))?;
        // The body stays in JS: it is parsed once there, and only a short start is copied in.
        let body: JsString = body.dyn_into().unwrap_or_else(|_| JsString::from(""));
        let (parsed, doc) = parse(&body);
        let reply = Reply {
            status,
            retry_after: header("retry-after"),
            content_type: header("content-type"),
            body_len: body.length() as usize,
            body_start: body.slice(0, BODY_START_CHARS as u32).into(),
            parsed,
        };
        Ok((reply, doc))
    }

    fn init(&self, req: &HttpRequest, signal: &AbortSignal) -> Object {
        let headers = Object::new();
        let put = |o: &Object, k: &str, v: &JsValue| {
            let _ = Reflect::set(o, &JsValue::from_str(k), v);
        };
        put(&headers, "Accept", &"application/json".into());
        if let Some(token) = self.token {
            put(&headers, "Authorization", &format!("Bearer {token}").into());
        }
        let init = Object::new();
        put(&init, "method", &req.method.as_str().into());
        if let Some(body) = &req.body {
            put(&headers, "Content-Type", &"application/json".into());
            put(&init, "body", &json_body(body));
        }
        put(&init, "headers", &headers);
        put(&init, "signal", signal);
        init
    }
}

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` taking the JS string as it is (js-sys's takes `&str`, a copy into wasm).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsString) -> std::result::Result<JsValue, JsValue>;
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

/// Parses a body once with `JSON.parse`: the facts the classifier needs, and the object that
/// is handed to the caller as the job.
fn parse(body: &JsString) -> (Parsed, JsValue) {
    let Ok(doc) = json_parse(body) else {
        return (Parsed::NotJson, JsValue::UNDEFINED);
    };
    if !doc.is_object() || Array::is_array(&doc) {
        return (Parsed::NotObject, doc);
    }
    let get =
        |v: &JsValue, k: &str| Reflect::get(v, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    // `error` / `message` as text: a string, or an upstream object's `message` / `error`.
    let as_text = |v: JsValue| match v.as_string() {
        Some(s) => text(&s),
        None if v.is_object() => get(&v, "message")
            .as_string()
            .or_else(|| get(&v, "error").as_string())
            .and_then(|s| text(&s)),
        None => None,
    };
    let facts = Facts {
        jobid: to_val(&get(&doc, "jobid")),
        status: to_val(&get(&doc, "status")),
        error: as_text(get(&doc, "error")),
        message: as_text(get(&doc, "message")),
    };
    (Parsed::Object(facts), doc)
}

/// The path of a URL, for messages (the host is the caller's own knowledge).
fn path_of(url: &str) -> &str {
    url.split_once("://")
        .and_then(|(_, r)| r.find('/').map(|i| &r[i..]))
        .unwrap_or(url)
}

fn network(message: &str, req: &HttpRequest, not_sent: Option<bool>) -> Error {
    Error::Network {
        message: format!(
            "Network error on {} {}: {message}",
            req.method.as_str(),
            path_of(&req.url)
        ),
        not_sent: not_sent.unwrap_or(false),
    }
}

/// A rejected fetch. Only a refused connection or a failed DNS lookup proves nothing was sent.
fn network_from(e: &JsValue, req: &HttpRequest) -> Error {
    let text = describe_js_error(e);
    let lower = text.to_ascii_lowercase();
    let not_sent = [
        "econnrefused",
        "connection refused",
        "connectionrefused",
        "enotfound",
        "eai_again",
        "und_err_connect_timeout",
    ]
    .iter()
    .any(|needle| lower.contains(needle));
    network(&text, req, Some(not_sent))
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
            text = format!("{text} ({})", bits.join(": "));
        }
    }
    text
}
