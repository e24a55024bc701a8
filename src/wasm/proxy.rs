//! `createProxyHandler`: a fetch-style handler `(Request) => Promise<Response>` for Cloudflare
//! Workers, Deno, Bun, Vercel Edge and Node 18+. Every decision comes from `crate::proxy`;
//! this file only reads the `Request`, calls the hooks, fetches upstream through web-sys
//! (`super::fetch`, timed by gloo-timers) and builds `Response`s. Each step ends in one flat
//! `Flow`: a JS failure becomes its 500 or 502 where it happens, so the handler's promise
//! never rejects.

use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{AbortController, Headers, RequestRedirect, Response, ResponseInit};

use super::body::{header, read_capped, ReadError};
use super::convert::{at, error_to_js, fields, is_array, length, prop, to_val};
use super::fetch::{self, Fetcher};
use super::timer::Raced;
use crate::proxy::body::{
    check_content_length, fields_from_json, parse_upscale_body, transformed_upscale_body,
    upstream_upscale_body,
};
use crate::proxy::config::MISSING_TOKEN;
use crate::proxy::relay::{self, FORWARDED_REQUEST_HEADERS, RELAYED_RESPONSE_HEADERS};
use crate::proxy::{
    self, Caller, OriginCheck, ProxyConfig, Reject, Route, RouteKind, Routing,
    MAX_UPSTREAM_BODY_BYTES,
};
use crate::url::{origin_of_url, path_of_url};

#[wasm_bindgen(typescript_custom_section)]
const TS_EDGE: &'static str = include_str!("../edge.d.ts");

/// How a step of one request ends when it does not go on: the proxy's own error, or a
/// `Response` to answer with (a hook's, or one built already).
enum Stop {
    Reject(Reject),
    Answer(JsValue),
}

impl From<Reject> for Stop {
    fn from(r: Reject) -> Self {
        Stop::Reject(r)
    }
}

/// The outcome of each step: go on with `T`, or stop.
type Flow<T> = Result<T, Stop>;

/// A JS failure while answering: the caller gets a 500.
fn failed<E>(_: E) -> Stop {
    Stop::Reject(Reject::new(500, "The proxy failed to handle the request"))
}

/// The hooks and settings of one handler.
struct Proxy {
    config: ProxyConfig,
    authorize: Option<Function>,
    transform: Option<Function>,
    fetch: Fetcher,
}

/// The parts of the incoming request the proxy looks at.
struct Incoming {
    request: JsValue,
    method: String,
    cors: OriginCheck,
}

/// What `authorize` learns about a call (`ProxyRoute` in src/edge.d.ts).
#[derive(Serialize)]
struct RouteInfo<'a> {
    method: &'static str,
    path: &'a str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    jobid: Option<&'a str>,
}

/// Checks `options` (throws a `DreaminaError` of kind "validation" naming a bad option) and
/// returns the handler.
#[wasm_bindgen(js_name = createProxyHandler, unchecked_return_type = "ProxyHandler")]
pub fn create_proxy_handler(
    #[wasm_bindgen(unchecked_param_type = "ProxyOptions")] options: JsValue,
) -> Result<Function, JsValue> {
    let origins = prop(&options, "allowOrigins");
    let items: Option<Vec<_>> = is_array(&origins).then(|| {
        (0..length(&origins) as u32)
            .map(|i| to_val(&at(&origins, i)))
            .collect()
    });
    let config = fields(&options, "options", false)
        .and_then(|f| proxy::proxy_config(&f, items.as_deref()))
        .map_err(|e| error_to_js(&e, None))?;
    let hook = |name: &str| prop(&options, name).dyn_into::<Function>().ok();
    let proxy = Rc::new(Proxy {
        config,
        authorize: hook("authorize"),
        transform: hook("transformUpscale"),
        fetch: Fetcher::from_option(prop(&options, "fetch")),
    });
    let handler = Closure::<dyn Fn(JsValue) -> Promise>::new(move |request: JsValue| {
        let proxy = proxy.clone();
        future_to_promise(async move { Ok(proxy.handle(request).await) })
    });
    Ok(handler.into_js_value().unchecked_into())
}

impl Proxy {
    /// Answers one request; whatever goes wrong, the answer is a JSON error `Response`.
    async fn handle(&self, request: JsValue) -> JsValue {
        let Some(url) = prop(&request, "url").as_string() else {
            return fallback(500, "The proxy handler was called without a Request");
        };
        // The Host header, not the URL: frameworks rewrite request.url (Next.js: localhost).
        let host = header(&request, "host").or_else(|| host_of_url(&url));
        let origin = header(&request, "origin");
        let site = header(&request, "sec-fetch-site");
        let caller = Caller {
            origin: origin.as_deref(),
            sec_fetch_site: site.as_deref(),
            host: host.as_deref(),
        };
        let inc = Incoming {
            method: prop(&request, "method")
                .as_string()
                .unwrap_or_default()
                .to_ascii_uppercase(),
            cors: proxy::check_origin(&caller, &self.config.allow_origins),
            request,
        };
        let routing = proxy::match_route(&inc.method, path_of_url(&url), &self.config.base_path);
        match self.answer(&inc, routing).await {
            Ok(response) | Err(Stop::Answer(response)) => response,
            Err(Stop::Reject(r)) => reject(&inc, &r),
        }
    }

    async fn answer(&self, inc: &Incoming, routing: Routing) -> Flow<JsValue> {
        match routing {
            Routing::NotFound => Err(Reject::new(404, "Not found").into()),
            Routing::MethodNotAllowed(kind) => Err(Reject::method_not_allowed(kind).into()),
            Routing::BadJobid(message) => Err(Reject::new(400, message).into()),
            Routing::Preflight(kind) => preflight(inc, kind),
            Routing::Forward(_) if inc.cors.is_denied() => Err(denied(&inc.cors).into()),
            Routing::Forward(route) => self.forward(inc, &route).await,
        }
    }

    /// authorize → body → transform → upstream.
    async fn forward(&self, inc: &Incoming, route: &Route) -> Flow<JsValue> {
        // Made without a token (a build, a forgotten secret): say so, forward nothing.
        let Some(token) = self.config.token.as_deref() else {
            return Err(Reject::new(500, MISSING_TOKEN).into());
        };
        self.authorize(inc, route).await?;
        let body = match route.kind {
            RouteKind::GetJob => None,
            RouteKind::Upscale => Some(self.upscale_body(inc).await?),
        };
        let url = format!("{}{}", self.config.upstream, route.path);
        self.upstream(inc, token, route.kind, &url, body.as_deref())
            .await
    }

    /// Goes on only when `authorize` (if any) returned `true`.
    async fn authorize(&self, inc: &Incoming, route: &Route) -> Flow<()> {
        let Some(authorize) = &self.authorize else {
            return Ok(());
        };
        let info = RouteInfo {
            method: route.kind.method(),
            path: &route.path,
            kind: route.kind.as_str(),
            jobid: route.jobid.as_deref(),
        };
        let info = serde_wasm_bindgen::to_value(&info).map_err(failed)?;
        let verdict = call_hook(authorize, &inc.request, &info)
            .await
            .map_err(|_| Reject::new(500, "authorize failed"))?;
        if verdict.as_bool() == Some(true) {
            Ok(())
        } else if let Some(response) = verdict.dyn_ref::<Response>() {
            Err(Stop::Answer(relay_hook_response(inc, response)?))
        } else {
            Err(Reject::new(403, "Forbidden").into())
        }
    }

    /// Reads, parses, transforms and re-checks the upscale body: the JSON text to send.
    async fn upscale_body(&self, inc: &Incoming) -> Flow<String> {
        let limit = self.config.max_body_bytes;
        check_content_length(header(&inc.request, "content-length").as_deref(), limit)?;
        let bytes = read_capped(&inc.request, limit)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge(r) => Stop::Reject(r),
                ReadError::Failed => failed(()),
            })?;
        let map = parse_upscale_body(&bytes)?;
        let Some(transform) = &self.transform else {
            return Ok(upstream_upscale_body(&fields_from_json(&map))?);
        };
        // The hook gets a plain JS object; what it returns is read like a client's request.
        let json_objects = serde_wasm_bindgen::Serializer::json_compatible();
        let body = map.serialize(&json_objects).map_err(failed)?;
        let out = call_hook(transform, &body, &JsValue::UNDEFINED)
            .await
            .map_err(|_| Reject::new(500, "transformUpscale failed"))?;
        if let Some(response) = out.dyn_ref::<Response>() {
            return Err(Stop::Answer(relay_hook_response(inc, response)?));
        }
        // `undefined`: the hook changed the body in place.
        let out = if out.is_undefined() { body } else { out };
        let read = fields(&out, "body", false).ok();
        Ok(transformed_upscale_body(read.as_ref())?)
    }

    /// Calls the API with the server's token and relays its answer, within `timeoutMs`.
    async fn upstream(
        &self,
        inc: &Incoming,
        token: &str,
        kind: RouteKind,
        url: &str,
        body: Option<&str>,
    ) -> Flow<JsValue> {
        let controller = AbortController::new().map_err(failed)?;
        let headers = upstream_headers(inc, token, body.is_some())?;
        let body = body.map(JsValue::from_str);
        let init = fetch::request_init(kind.method(), &headers, body.as_ref(), &controller);
        // The token must never follow a redirect to another host.
        init.set_redirect(RequestRedirect::Manual);
        let timeout = self.config.timeout_ms;
        let (status, answer, bytes) =
            match fetch::guarded(self.exchange(url, &init), &controller, timeout, None).await {
                Raced::Done(got) => got?,
                Raced::TimedOut => {
                    let message = format!("The API did not answer within {timeout} ms");
                    return Err(Reject::new(504, message).into());
                }
                Raced::Aborted => return Err(unreachable_api().into()),
            };
        let status = relay::relay_status(status)?;
        let bytes = relay::redact_body(bytes, token);
        let mut extra: Vec<(&str, String)> = RELAYED_RESPONSE_HEADERS
            .iter()
            .filter_map(|name| header(&answer, name).map(|v| (*name, v)))
            .collect();
        extra.push(("cache-control", "no-store".into()));
        let body = (!relay::is_null_body_status(status)).then_some(bytes.as_slice());
        respond(inc, status, body, &extra)
    }

    /// fetch + read the answer (capped): status, the response (for its headers), the bytes.
    async fn exchange(
        &self,
        url: &str,
        init: &web_sys::RequestInit,
    ) -> Flow<(u16, JsValue, Vec<u8>)> {
        let response = self
            .fetch
            .send(url, init)
            .await
            .map_err(|_| unreachable_api())?;
        let (status, _) = fetch::head(&response).map_err(|_| unreachable_api())?;
        let response: JsValue = response.into();
        let too_large = || Reject::new(502, "The API sent an answer too large to relay");
        let length = header(&response, "content-length");
        check_content_length(length.as_deref(), MAX_UPSTREAM_BODY_BYTES)
            .map_err(|_| too_large())?;
        match read_capped(&response, MAX_UPSTREAM_BODY_BYTES).await {
            Ok(bytes) => Ok((status, response, bytes)),
            Err(ReadError::TooLarge(_)) => Err(too_large().into()),
            Err(ReadError::Failed) => Err(unreachable_api().into()),
        }
    }
}

/// The allowlisted caller headers, the server's token and, with a body, its type.
fn upstream_headers(inc: &Incoming, token: &str, json: bool) -> Flow<Headers> {
    let headers = Headers::new().map_err(failed)?;
    let put = |k: &str, v: &str| headers.set(k, v).map_err(failed);
    for name in FORWARDED_REQUEST_HEADERS {
        if let Some(v) = header(&inc.request, name) {
            put(name, &v)?;
        }
    }
    if header(&inc.request, "accept").is_none() {
        put("accept", "application/json")?;
    }
    put("authorization", &format!("Bearer {}", token))?;
    if json {
        put("content-type", "application/json")?;
    }
    Ok(headers)
}

fn unreachable_api() -> Reject {
    Reject::new(502, "The API could not be reached")
}

/// Calls a hook and awaits its result when it is a promise.
async fn call_hook(hook: &Function, a: &JsValue, b: &JsValue) -> Result<JsValue, JsValue> {
    let value = hook.call2(&JsValue::UNDEFINED, a, b)?;
    JsFuture::from(Promise::resolve(&value)).await
}

/// The 403 of a refused origin, with the message saying what to set.
fn denied(check: &OriginCheck) -> Reject {
    match check {
        OriginCheck::Denied(message) => Reject::new(403, message.clone()),
        _ => Reject::new(403, "Origin not allowed"),
    }
}

fn preflight(inc: &Incoming, kind: RouteKind) -> Flow<JsValue> {
    match &inc.cors {
        OriginCheck::Denied(_) => Err(denied(&inc.cors).into()),
        OriginCheck::Allowed(_) => {
            let requested = header(&inc.request, "access-control-request-headers");
            let extra = proxy::preflight_headers(kind, requested.as_deref());
            respond(inc, 204, None, &extra)
        }
        // Not a CORS preflight: a plain OPTIONS gets the allowed methods.
        _ => respond(inc, 204, None, &[("allow", kind.allow().to_string())]),
    }
}

/// The proxy's own JSON error `{"error": ..., "code": n}`, with the CORS headers the origin
/// gets (and `Allow` on a 405); a plain one if even that cannot be built.
fn reject(inc: &Incoming, r: &Reject) -> JsValue {
    let mut headers = vec![
        ("content-type", "application/json".to_string()),
        ("cache-control", "no-store".to_string()),
    ];
    if let Some(allow) = r.allow {
        headers.insert(0, ("allow", allow.to_string()));
    }
    respond(inc, r.status, Some(r.body().as_bytes()), &headers)
        .unwrap_or_else(|_| fallback(r.status, &r.message))
}

/// Builds a `Response` with the CORS headers of the request's origin.
fn respond(
    inc: &Incoming,
    status: u16,
    body: Option<&[u8]>,
    extra: &[(&str, String)],
) -> Flow<JsValue> {
    let headers = Headers::new().map_err(failed)?;
    for (k, v) in extra.iter().chain(proxy::cors_headers(&inc.cors).iter()) {
        headers.append(k, v).map_err(failed)?;
    }
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers);
    let body = body.map(Uint8Array::from);
    let response = Response::new_with_opt_js_u8_array_and_init(body.as_ref(), &init);
    Ok(response.map_err(failed)?.into())
}

/// A hook's own `Response`, copied so CORS headers can be added (its headers may be immutable).
fn relay_hook_response(inc: &Incoming, response: &Response) -> Flow<JsValue> {
    let headers = Headers::new_with_headers(&response.headers()).map_err(failed)?;
    for (k, v) in proxy::cors_headers(&inc.cors) {
        headers.set(k, &v).map_err(failed)?;
    }
    let init = Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&init, &k.into(), v).map_err(failed);
    set("status", &response.status().into())?;
    set("statusText", &response.status_text().into())?;
    set("headers", &headers)?;
    // Constructed from the global `Response` with the hook's body stream as it is.
    let ctor = Reflect::get(&js_sys::global(), &"Response".into())
        .and_then(|c| c.dyn_into::<Function>())
        .map_err(failed)?;
    let args = Array::of2(&prop(response, "body"), &init);
    Reflect::construct(&ctor, &args).map_err(failed)
}

/// The `host[:port]` of an absolute URL, for runtimes whose `Request` carries no Host header.
fn host_of_url(url: &str) -> Option<String> {
    origin_of_url(url).and_then(|o| o.split_once("://").map(|(_, h)| h.to_string()))
}

/// Last resort when even building the JSON error failed: a plain `Response`.
fn fallback(status: u16, message: &str) -> JsValue {
    let body = Reject::new(status, message).body();
    let init = ResponseInit::new();
    init.set_status(status);
    Response::new_with_opt_str_and_init(Some(&body), &init)
        .map(JsValue::from)
        .unwrap_or(JsValue::UNDEFINED)
}
