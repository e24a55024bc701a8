//! `createProxyHandler`: a fetch-style handler `(Request) => Promise<Response>` for Cloudflare
//! Workers, Deno, Bun, Vercel Edge and Node 18+. Every decision comes from `crate::proxy`;
//! this file only reads the `Request`, calls the hooks and `fetch`, and builds `Response`s.
//! The incoming request is read through `Reflect` (never a throwing web-sys getter), and any
//! failure becomes a JSON 500/502 answer: the handler's promise never rejects.

use std::rc::Rc;

use futures_util::future::{select, Either};
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{AbortController, Headers, Response, ResponseInit};

use super::convert::{error_to_js, fields, prop, to_val};
use crate::proxy::{self, BodyBudget, OriginCheck, ProxyConfig, Reject, Route, RouteKind, Routing};

#[wasm_bindgen(typescript_custom_section)]
const TS_PROXY: &'static str = r#"
/** What `authorize` learns about a call before it is forwarded. */
export interface ProxyRoute {
  method: "POST" | "GET";
  /** The upstream path: "/images/upscale", or "/images/{jobid}" with the decoded job id in its canonical percent-encoding (one path segment). */
  path: string;
  kind: "upscale" | "getJob";
  /** For kind "getJob": the decoded job id. */
  jobid?: string;
}

/** Options of `createProxyHandler(options)`. */
export interface ProxyOptions {
  /** Your useapi.net API token. It stays on the server: added to each forwarded request, never sent back. */
  token: string;
  /** The API base URL. Default `https://api.useapi.net/v1/dreamina` (https required; http only for localhost). */
  upstream?: string;
  /** Path the proxy is mounted at; the browser client uses it as `baseUrl`. Default `/api/dreamina`. */
  basePath?: string;
  /** Other origins whose pages may call the proxy (CORS): exact origins such as `https://app.example.com`, or `"*"`. Default none (same-origin pages and server-side callers only). */
  allowOrigins?: "*" | string | string[];
  /** Largest upscale request body accepted, in bytes; more gets 413. Default 65536. */
  maxBodyBytes?: number;
  /** Time limit of each upstream request in ms; past it the caller gets 504. Default 30000. */
  timeoutMs?: number;
  /**
   * Decides whether a call may use your token: return `true` to forward it, `false` for a 403,
   * or a `Response` to answer with it. Runs before the body is read: do not consume `request`'s
   * body (use `request.clone()` if you must). Default: every call is forwarded.
   */
  authorize?: (request: Request, route: ProxyRoute) => boolean | Response | Promise<boolean | Response>;
  /**
   * Rewrites an upscale body before it is checked and forwarded (e.g. refuse "8k", force `maxJobs`).
   * Return the body to send, or a `Response` to answer with it instead. The result is checked with
   * the client's own rules; an invalid one gets 400.
   */
  transformUpscale?: (body: Record<string, unknown>) =>
    | UpscaleRequest | Record<string, unknown> | Response | void
    | Promise<UpscaleRequest | Record<string, unknown> | Response | void>;
  /** The fetch used to call the API; default the global `fetch`. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

/** A fetch-style handler: answers every request, never rejects. */
export type ProxyHandler = (request: Request) => Promise<Response>;

/** Options of `handleWebhook(request, options)`. */
export interface WebhookOptions {
  /** The client whose `getJob` confirms the job (point it at the API with your token, or at your proxy). */
  client: Pick<DreaminaClient, "getJob">;
  /** Largest webhook body read, in bytes. Default 1048576. */
  maxBodyBytes?: number;
  /** Passed to `getJob`. */
  signal?: AbortSignal;
  /** Passed to `getJob`. */
  timeoutMs?: number;
  /** Passed to `getJob`. */
  maxRetries?: number;
}

/** A webhook call, confirmed with `GET /images/{jobid}`. */
export interface WebhookResult {
  /** The job as the API returned it just now (not as the webhook body claimed). */
  job: Job;
  jobid: string;
  /** The provider's recorded `replyRef` of the job, else the one the (unsigned) body claims. */
  replyRef?: string;
  /** Where `replyRef` came from: "job" (the provider's record, trustworthy) or "body" (a claim only: key your records by `jobid`). */
  replyRefSource?: "job" | "body";
  confirmed: true;
}
"#;

/// The hooks and settings of one handler.
struct Proxy {
    config: ProxyConfig,
    authorize: Option<Function>,
    transform: Option<Function>,
    fetch: Option<Function>,
}

/// The parts of the incoming request the proxy looks at.
struct Incoming {
    request: JsValue,
    method: String,
    headers: JsValue,
    cors: OriginCheck,
}

/// Checks `options` (throws a `DreaminaError` of kind "validation" naming a bad option) and
/// returns the handler.
#[wasm_bindgen(js_name = createProxyHandler, unchecked_return_type = "ProxyHandler")]
pub fn create_proxy_handler(
    #[wasm_bindgen(unchecked_param_type = "ProxyOptions")] options: JsValue,
) -> Result<Function, JsValue> {
    let origins = prop(&options, "allowOrigins");
    let items: Option<Vec<_>> = Array::is_array(&origins)
        .then(|| Array::from(&origins).iter().map(|v| to_val(&v)).collect());
    let config = fields(&options, "options", false)
        .and_then(|f| proxy::proxy_config(&f, items.as_deref()))
        .map_err(|e| error_to_js(&e, None))?;
    let hook = |name: &str| prop(&options, name).dyn_into::<Function>().ok();
    let proxy = Rc::new(Proxy {
        config,
        authorize: hook("authorize"),
        transform: hook("transformUpscale"),
        fetch: hook("fetch"),
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
        let Some(url) = str_prop(&request, "url") else {
            return fallback(500, "The proxy handler was called without a Request");
        };
        let headers = prop(&request, "headers");
        let own_origin = proxy::origin_of_url(&url);
        let origin = header(&headers, "origin");
        let incoming = Incoming {
            method: str_prop(&request, "method")
                .unwrap_or_default()
                .to_ascii_uppercase(),
            cors: proxy::check_origin(
                origin.as_deref(),
                &self.config.allow_origins,
                own_origin.as_deref(),
            ),
            request,
            headers,
        };
        let routing = proxy::match_route(
            &incoming.method,
            proxy::path_of_url(&url),
            &self.config.base_path,
        );
        match self.answer(&incoming, routing).await {
            Ok(response) => response,
            Err(_) => reject(
                &incoming,
                &Reject::new(500, "The proxy failed to handle the request"),
                &[],
            )
            .unwrap_or_else(|_| fallback(500, "The proxy failed to handle the request")),
        }
    }

    async fn answer(&self, inc: &Incoming, routing: Routing) -> Result<JsValue, JsValue> {
        match routing {
            Routing::NotFound => reject(inc, &Reject::new(404, "Not found"), &[]),
            Routing::MethodNotAllowed(kind) => reject(
                inc,
                &Reject::new(405, "Method not allowed"),
                &[("allow", kind.allow().to_string())],
            ),
            Routing::BadJobid(message) => reject(inc, &Reject::new(400, message), &[]),
            Routing::Preflight(kind) => preflight(inc, kind),
            Routing::Forward(_) if inc.cors == OriginCheck::Denied => {
                reject(inc, &Reject::new(403, "Origin not allowed"), &[])
            }
            Routing::Forward(route) => self.forward_checked(inc, &route).await,
        }
    }

    /// authorize → body → transform → upstream.
    async fn forward_checked(&self, inc: &Incoming, route: &Route) -> Result<JsValue, JsValue> {
        if let Some(answer) = self.authorize(inc, route).await? {
            return Ok(answer);
        }
        let body = match route.kind {
            RouteKind::GetJob => None,
            RouteKind::Upscale => match self.upscale_body(inc).await? {
                Ok(body) => Some(body),
                Err(Answer::Reject(r)) => return reject(inc, &r, &[]),
                Err(Answer::Hook(response)) => return relay_hook_response(inc, &response),
            },
        };
        let url = format!("{}{}", self.config.upstream, route.path);
        match self
            .upstream(inc, route.kind, &url, body.as_deref())
            .await?
        {
            Ok(response) => Ok(response),
            Err(r) => reject(inc, &r, &[]),
        }
    }

    /// `Ok(None)` to go on; `Ok(Some(response))` answers the caller instead.
    async fn authorize(&self, inc: &Incoming, route: &Route) -> Result<Option<JsValue>, JsValue> {
        let Some(authorize) = &self.authorize else {
            return Ok(None);
        };
        let info = Object::new();
        set(&info, "method", &route.kind.method().into());
        set(&info, "path", &route.path.as_str().into());
        set(&info, "kind", &route.kind.as_str().into());
        if let Some(jobid) = &route.jobid {
            set(&info, "jobid", &jobid.as_str().into());
        }
        let verdict = match call_hook(authorize, &inc.request, &info).await {
            Ok(v) => v,
            Err(_) => return reject(inc, &Reject::new(500, "authorize failed"), &[]).map(Some),
        };
        if verdict.as_bool() == Some(true) {
            Ok(None)
        } else if let Some(response) = verdict.dyn_ref::<Response>() {
            relay_hook_response(inc, response).map(Some)
        } else {
            reject(inc, &Reject::new(403, "Forbidden"), &[]).map(Some)
        }
    }

    /// Reads, parses, transforms and re-checks the upscale body; the outer `Err` is a JS
    /// failure (→ 500), the inner one an answer to send instead of forwarding.
    async fn upscale_body(&self, inc: &Incoming) -> Result<Result<String, Answer>, JsValue> {
        let limit = self.config.max_body_bytes;
        if let Err(r) =
            proxy::check_content_length(header(&inc.headers, "content-length").as_deref(), limit)
        {
            return Ok(Err(Answer::Reject(r)));
        }
        let bytes = match read_capped(&prop(&inc.request, "body"), &inc.request, limit).await? {
            Ok(bytes) => bytes,
            Err(r) => return Ok(Err(Answer::Reject(r))),
        };
        let map = match proxy::parse_upscale_body(&bytes) {
            Ok(map) => map,
            Err(r) => return Ok(Err(Answer::Reject(r))),
        };
        let json = serde_json::Value::Object(map).to_string();
        let json = match &self.transform {
            None => json,
            Some(transform) => {
                let body = JSON::parse(&json)?;
                let out = match call_hook(transform, &body, &JsValue::UNDEFINED).await {
                    Ok(out) => out,
                    Err(_) => {
                        return Ok(Err(Answer::Reject(Reject::new(
                            500,
                            "transformUpscale failed",
                        ))))
                    }
                };
                if out.is_instance_of::<Response>() {
                    return Ok(Err(Answer::Hook(out.unchecked_into())));
                }
                // `undefined`: the hook changed the body in place.
                let out = if out.is_undefined() { body } else { out };
                JSON::stringify(&out)?.as_string().unwrap_or_default()
            }
        };
        Ok(proxy::upstream_upscale_body(&json).map_err(Answer::Reject))
    }

    /// Calls the API with the server's token and relays its answer, within `timeoutMs`.
    async fn upstream(
        &self,
        inc: &Incoming,
        kind: RouteKind,
        url: &str,
        body: Option<&str>,
    ) -> Result<Result<JsValue, Reject>, JsValue> {
        let controller = AbortController::new()?;
        let init = self.upstream_init(inc, kind, body, &controller);
        let exchange = Box::pin(self.exchange(url, &init));
        let timeout = TimeoutFuture::new(self.config.timeout_ms);
        let (status, headers, bytes) = match select(exchange, timeout).await {
            Either::Left((Ok(Ok(got)), _)) => got,
            Either::Left((Ok(Err(r)), _)) => return Ok(Err(r)),
            Either::Left((Err(_), _)) => {
                return Ok(Err(Reject::new(502, "The API could not be reached")))
            }
            Either::Right(_) => {
                controller.abort();
                let message = format!(
                    "The API did not answer within {} ms",
                    self.config.timeout_ms
                );
                return Ok(Err(Reject::new(504, message)));
            }
        };
        let status = match proxy::relay_status(status) {
            Ok(s) => s,
            Err(r) => return Ok(Err(r)),
        };
        let bytes = proxy::redact(&bytes, &self.config.token).unwrap_or(bytes);
        let mut extra: Vec<(&str, String)> = proxy::RELAYED_RESPONSE_HEADERS
            .iter()
            .filter_map(|name| header(&headers, name).map(|v| (*name, v)))
            .collect();
        extra.push(("cache-control", "no-store".into()));
        let body = (!proxy::is_null_body_status(status)).then_some(bytes.as_slice());
        Ok(Ok(respond(inc, status, body, &extra)?))
    }

    fn upstream_init(
        &self,
        inc: &Incoming,
        kind: RouteKind,
        body: Option<&str>,
        controller: &AbortController,
    ) -> Object {
        let headers = Object::new();
        for name in proxy::FORWARDED_REQUEST_HEADERS {
            if let Some(v) = header(&inc.headers, name) {
                set(&headers, name, &v.into());
            }
        }
        if header(&inc.headers, "accept").is_none() {
            set(&headers, "accept", &"application/json".into());
        }
        set(
            &headers,
            "authorization",
            &format!("Bearer {}", self.config.token).into(),
        );
        let init = Object::new();
        set(&init, "method", &kind.method().into());
        if let Some(body) = body {
            set(&headers, "content-type", &"application/json".into());
            set(&init, "body", &body.into());
        }
        set(&init, "headers", &headers);
        // The token must never follow a redirect to another host.
        set(&init, "redirect", &"manual".into());
        set(&init, "signal", &controller.signal());
        init
    }

    /// fetch + read the answer (capped). Outer `Err`: the fetch itself failed.
    async fn exchange(
        &self,
        url: &str,
        init: &Object,
    ) -> Result<Result<(u16, JsValue, Vec<u8>), Reject>, JsValue> {
        let global = js_sys::global();
        let fetch = match &self.fetch {
            Some(f) => f.clone(),
            None => Reflect::get(&global, &"fetch".into())?.dyn_into::<Function>()?,
        };
        let response = JsFuture::from(Promise::resolve(&fetch.call2(
            &global,
            &url.into(),
            init,
        )?))
        .await?;
        let status = prop(&response, "status").as_f64().unwrap_or(0.0) as u16;
        let headers = prop(&response, "headers");
        let limit = proxy::MAX_UPSTREAM_BODY_BYTES;
        if proxy::check_content_length(header(&headers, "content-length").as_deref(), limit)
            .is_err()
        {
            return Ok(Err(Reject::new(
                502,
                "The API sent an answer too large to relay",
            )));
        }
        match read_capped(&prop(&response, "body"), &response, limit).await? {
            Ok(bytes) => Ok(Ok((status, headers, bytes))),
            Err(_) => Ok(Err(Reject::new(
                502,
                "The API sent an answer too large to relay",
            ))),
        }
    }
}

/// An answer made instead of forwarding: the proxy's own error, or a hook's `Response`.
enum Answer {
    Reject(Reject),
    Hook(Response),
}

/// Reads a body stream, stopping as soon as it passes `limit` (a lying or missing
/// `Content-Length` cannot make the proxy buffer more). Objects without a stream fall back to
/// `arrayBuffer()`. Outer `Err`: the stream failed; inner: too large.
pub(super) async fn read_capped(
    stream: &JsValue,
    owner: &JsValue,
    limit: usize,
) -> Result<Result<Vec<u8>, Reject>, JsValue> {
    let mut budget = BodyBudget::new(limit);
    if stream.is_null_or_undefined() {
        return Ok(Ok(Vec::new()));
    }
    let Ok(get_reader) = prop(stream, "getReader").dyn_into::<Function>() else {
        let buffer = JsFuture::from(Promise::resolve(&call_method(owner, "arrayBuffer")?)).await?;
        let bytes = Uint8Array::new(&buffer).to_vec();
        return Ok(budget.take(bytes.len()).map(|_| bytes));
    };
    let reader = get_reader.call0(stream)?;
    let mut out = Vec::new();
    loop {
        let chunk = JsFuture::from(Promise::resolve(&call_method(&reader, "read")?)).await?;
        if prop(&chunk, "done").is_truthy() {
            return Ok(Ok(out));
        }
        let value = Uint8Array::new(&prop(&chunk, "value"));
        if let Err(r) = budget.take(value.length() as usize) {
            // Stop the sender; the rest of the body is never buffered.
            let _ = call_method(&reader, "cancel");
            return Ok(Err(r));
        }
        out.extend_from_slice(&value.to_vec());
    }
}

/// Calls a hook and awaits its result when it is a promise.
async fn call_hook(hook: &Function, a: &JsValue, b: &JsValue) -> Result<JsValue, JsValue> {
    let value = hook.call2(&JsValue::UNDEFINED, a, b)?;
    JsFuture::from(Promise::resolve(&value)).await
}

fn preflight(inc: &Incoming, kind: RouteKind) -> Result<JsValue, JsValue> {
    match &inc.cors {
        OriginCheck::Denied => reject(inc, &Reject::new(403, "Origin not allowed"), &[]),
        OriginCheck::Allowed(_) => {
            let requested = header(&inc.headers, "access-control-request-headers");
            let extra = proxy::preflight_headers(kind, requested.as_deref());
            respond(inc, 204, None, &extra)
        }
        // Not a CORS preflight: a plain OPTIONS gets the allowed methods.
        _ => respond(inc, 204, None, &[("allow", kind.allow().to_string())]),
    }
}

/// A JSON error answer `{"error": ..., "code": n}` with the CORS headers the origin gets.
fn reject(inc: &Incoming, r: &Reject, extra: &[(&str, String)]) -> Result<JsValue, JsValue> {
    let mut headers = extra.to_vec();
    headers.push(("content-type", "application/json".into()));
    headers.push(("cache-control", "no-store".into()));
    respond(inc, r.status, Some(r.body().as_bytes()), &headers)
}

/// Builds a `Response` with the CORS headers of the request's origin.
fn respond(
    inc: &Incoming,
    status: u16,
    body: Option<&[u8]>,
    extra: &[(&str, String)],
) -> Result<JsValue, JsValue> {
    let headers = Headers::new()?;
    for (k, v) in extra.iter().chain(proxy::cors_headers(&inc.cors).iter()) {
        headers.append(k, v)?;
    }
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers);
    let body = body.map(Uint8Array::from);
    Ok(Response::new_with_opt_js_u8_array_and_init(body.as_ref(), &init)?.into())
}

/// A hook's own `Response`, copied so CORS headers can be added (its headers may be immutable).
fn relay_hook_response(inc: &Incoming, response: &Response) -> Result<JsValue, JsValue> {
    let headers = Headers::new_with_headers(&response.headers())?;
    for (k, v) in proxy::cors_headers(&inc.cors) {
        headers.set(k, &v)?;
    }
    let init = Object::new();
    set(&init, "status", &response.status().into());
    set(&init, "statusText", &response.status_text().into());
    set(&init, "headers", &headers);
    let ctor = Reflect::get(&js_sys::global(), &"Response".into())?.dyn_into::<Function>()?;
    let args = Array::of2(&prop(response, "body"), &init);
    Reflect::construct(&ctor, &args)
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

fn str_prop(obj: &JsValue, key: &str) -> Option<String> {
    prop(obj, key).as_string()
}

/// `headers.get(name)` on any Headers-like object; `None` when absent or unreadable.
pub(super) fn header(headers: &JsValue, name: &str) -> Option<String> {
    let get = prop(headers, "get").dyn_into::<Function>().ok()?;
    get.call1(headers, &name.into()).ok()?.as_string()
}

fn call_method(obj: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    prop(obj, name).dyn_into::<Function>()?.call0(obj)
}

fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &key.into(), value);
}
