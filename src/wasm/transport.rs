//! `Transport` on the real JS platform: `fetch` from the global object (or the caller's),
//! `setTimeout` timers and the caller's `AbortSignal`. Works without `window`.

use futures_util::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Response};

use super::abort::{sleep, AbortWatch};
use crate::engine::{HttpRequest, Transport};
use crate::error::{Error, Result};
use crate::response::{HttpResponse, MAX_BODY_BYTES};

/// One call's view of the platform: the fetch to use, the token, and the caller's signal.
pub struct JsTransport<'a> {
    pub fetch: Option<&'a Function>,
    pub token: Option<&'a str>,
    pub signal: Option<AbortSignal>,
}

impl Transport for JsTransport<'_> {
    async fn send(&self, req: &HttpRequest) -> Result<HttpResponse> {
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
    ) -> Result<HttpResponse> {
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
        Ok(HttpResponse {
            status,
            retry_after: header("retry-after"),
            content_type: header("content-type"),
            body: body.as_string().unwrap_or_default(),
        })
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
            put(&init, "body", &body.as_str().into());
        }
        put(&init, "headers", &headers);
        put(&init, "signal", signal);
        init
    }
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
