//! fetch through web-sys, shared by the client and the proxy: the global `fetch` bound as
//! gloo-net and reqwest's wasm backend bind it (so it works with no `window`: Node, Deno, Bun,
//! workerd, workers), a caller's own `fetch` called from Rust, and one exchange guarded by a
//! timeout and the caller's signal through a `web_sys::AbortController`.

use std::future::Future;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, Request, RequestInit, Response};

use super::convert::{awaited, object, prop, Prop};
use super::timer::{race, Raced};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, taking a `Request`. Declared `catch`: where there is none, the
    /// ReferenceError becomes an `Err`, not an exception through wasm.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(input: &Request) -> Result<Promise, JsValue>;
}

/// Which `fetch` a client or proxy calls.
pub(crate) enum Fetcher {
    /// The runtime's global `fetch`, given a `web_sys::Request`.
    Global,
    /// The caller's `fetch` option, given `(url, init)` as `fetch` accepts them.
    Custom(Function),
}

impl Fetcher {
    /// The caller's `fetch` option when it is a function, the global one otherwise. (The
    /// client's options reader has already kept only a function.)
    #[cfg(feature = "edge")]
    pub(crate) fn from_option(fetch: JsValue) -> Fetcher {
        match fetch.dyn_into::<Function>() {
            Ok(f) => Fetcher::Custom(f),
            Err(_) => Fetcher::Global,
        }
    }

    /// False when no `fetch` option was given and the runtime has no global `fetch`. Asks
    /// `"fetch" in globalThis` rather than reading it: Node's `fetch` is a lazy getter that
    /// loads the whole fetch implementation, which a constructor must not pay for.
    pub(crate) fn available(&self) -> bool {
        matches!(self, Fetcher::Custom(_))
            || Reflect::has(&js_sys::global(), &JsValue::from_str("fetch")).unwrap_or(false)
    }

    /// Sends one request and resolves with its `Response` (headers received, body unread).
    /// `Err` holds what fetch threw or rejected with.
    pub(crate) async fn send(&self, url: &str, init: &RequestInit) -> Result<Response, JsValue> {
        let called = match self {
            Fetcher::Global => {
                global_fetch(&Request::new_with_str_and_init(url, init)?).map(JsValue::from)
            }
            Fetcher::Custom(f) => f.call2(&JsValue::UNDEFINED, &JsValue::from_str(url), init),
        };
        Ok(awaited(called).await?.unchecked_into())
    }
}

/// A `RequestInit` with `method`, `headers`, an optional body and the signal of `controller`.
/// The plain object it is, made by the one object builder (`convert::object`): web-sys's
/// four `RequestInit` setters would be four imports more, each with its glue.
pub(crate) fn request_init(
    method: &str,
    headers: &Headers,
    body: Option<&JsValue>,
    controller: &AbortController,
) -> RequestInit {
    // Read as a property: web-sys's `signal` getter would be an import of its own.
    let signal = prop(controller, "signal");
    let method = ("method", Prop::Str(Some(method)));
    let headers = ("headers", Prop::Js(headers));
    let signal = ("signal", Prop::Js(&signal));
    let init = match body {
        Some(body) => object(&[method, headers, ("body", Prop::Js(body)), signal]),
        None => object(&[method, headers, signal]),
    };
    init.unchecked_into()
}

/// Runs one exchange (fetch and body read) against `timeout_ms` and the caller's `signal`.
/// When either wins, `controller` is aborted, which cancels the request and its body; the
/// exchange itself is dropped, so a `fetch` that ignores its signal still settles the call.
pub(crate) async fn guarded<F: Future>(
    exchange: F,
    controller: &AbortController,
    timeout_ms: u32,
    signal: Option<&AbortSignal>,
) -> Raced<F::Output> {
    let outcome = race(exchange, Some(timeout_ms), signal).await;
    if !matches!(outcome, Raced::Done(_)) {
        controller.abort();
    }
    outcome
}

/// The status and headers of a response, read without any chance of a throw through wasm.
pub(crate) fn head(resp: &Response) -> Result<(u16, Headers), JsValue> {
    // Read through `Reflect`, which catches a throwing getter (web-sys's getters do not), for
    // a look-alike from a caller's fetch and a real `Response` alike: one way for both keeps
    // `instanceof Response` and web-sys's `status` and `headers` out of the glue. Its
    // `headers.get` and `text` are caught by web-sys.
    let get = |key: &str| Reflect::get(resp, &JsValue::from_str(key));
    let status = get("status")?.as_f64().unwrap_or(0.0);
    Ok((status as u16, get("headers")?.unchecked_into()))
}

/// One response header, `None` when absent or unreadable.
pub(crate) fn header(headers: &Headers, name: &str) -> Option<String> {
    headers.get(name).ok().flatten()
}

/// The whole body as a JS string (it stays in JS; only what is needed is copied into wasm).
pub(crate) async fn text(resp: &Response) -> Result<js_sys::JsString, JsValue> {
    let text = JsFuture::from(resp.text()?).await?;
    text.dyn_into()
}
