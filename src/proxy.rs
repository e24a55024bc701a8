//! The decisions of the edge proxy (`createProxyHandler`): which routes exist, which headers
//! cross, which origins may read answers, how big a body may be, and what an upscale body must
//! look like before the server's token is attached to it. Pure, so all of it is tested on the
//! host; `wasm::proxy` only moves bytes and headers between `Request`, `fetch` and `Response`.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::url::{encode_path_segment, parse_http_url, DEFAULT_BASE_URL};
use crate::validate;
use crate::value::{get, Fields, Val};

/// Largest upscale body accepted from a caller when `maxBodyBytes` is not given. A real
/// request is a few hundred bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest provider answer relayed; a job is a few KB.
pub const MAX_UPSTREAM_BODY_BYTES: usize = crate::response::MAX_BODY_BYTES;
/// Time limit of one upstream request when `timeoutMs` is not given.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// Where the proxy is mounted when `basePath` is not given (the client's documented path).
pub const DEFAULT_BASE_PATH: &str = "/api/dreamina";

/// Request headers of the caller that reach the provider. An allowlist, so `Authorization`,
/// `Cookie`, hop-by-hop and forwarding headers can never leak through by omission; the proxy
/// itself sets `Authorization` and, on POST, `Content-Type`.
pub const FORWARDED_REQUEST_HEADERS: [&str; 1] = ["accept"];
/// Provider response headers relayed to the caller (others, e.g. `Set-Cookie`, stay behind).
pub const RELAYED_RESPONSE_HEADERS: [&str; 2] = ["content-type", "retry-after"];
/// Headers a browser may read from a cross-origin answer.
pub const EXPOSED_HEADERS: &str = "Retry-After";
/// How long a browser may cache a preflight answer, in seconds.
pub const PREFLIGHT_MAX_AGE: &str = "600";

const OPTION_FIELDS: [&str; 9] = [
    "token",
    "upstream",
    "basePath",
    "allowOrigins",
    "maxBodyBytes",
    "timeoutMs",
    "authorize",
    "transformUpscale",
    "fetch",
];

/// Origins whose pages may call the proxy from another origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowOrigins {
    /// `'*'`: any origin (the proxy sends no credentials, so `*` is valid CORS).
    Any,
    /// Exact origins, lower-cased, without a trailing slash. Empty: same-origin pages only.
    List(Vec<String>),
}

/// Checked options of one proxy handler. `Debug` leaves the token out.
#[derive(Clone, PartialEq)]
pub struct ProxyConfig {
    pub token: String,
    /// Without a trailing slash.
    pub upstream: String,
    /// Starts with `/`, without a trailing slash; `""` mounts the proxy at the root.
    pub base_path: String,
    pub allow_origins: AllowOrigins,
    pub max_body_bytes: usize,
    pub timeout_ms: u32,
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("token", &"[redacted]")
            .field("upstream", &self.upstream)
            .field("base_path", &self.base_path)
            .field("allow_origins", &self.allow_origins)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// Checks the `createProxyHandler(options)` object. `origin_items` holds the elements of
/// `allowOrigins` when it is an array (the `Fields` view only says "array").
pub fn proxy_config(fields: &Fields, origin_items: Option<&[Val]>) -> Result<ProxyConfig> {
    validate::reject_unknown(fields, &OPTION_FIELDS, "proxy")?;
    for hook in ["authorize", "transformUpscale", "fetch"] {
        let v = get(fields, hook);
        if !v.is_absent() && *v != Val::Function {
            return Err(Error::validation(
                hook,
                format!("must be a function, got {}", v.type_name()),
            ));
        }
    }
    let max_body = validate::opt_int(fields, "maxBodyBytes", 1, 64 * 1024 * 1024)?;
    Ok(ProxyConfig {
        token: server_token(get(fields, "token"))?,
        upstream: upstream(get(fields, "upstream"))?,
        base_path: base_path(get(fields, "basePath"))?,
        allow_origins: allow_origins(get(fields, "allowOrigins"), origin_items)?,
        max_body_bytes: max_body.map_or(DEFAULT_MAX_BODY_BYTES, |n| n as usize),
        timeout_ms: validate::opt_ms(fields, "timeoutMs", 1.0)?.unwrap_or(DEFAULT_TIMEOUT_MS),
    })
}

fn server_token(v: &Val) -> Result<String> {
    match v {
        Val::Str(s) if s.trim().is_empty() => Err(Error::validation(
            "token",
            "is required: the proxy adds it to every request it forwards",
        )),
        Val::Str(s) if !validate::is_header_token(s.trim()) => Err(Error::validation(
            "token",
            "must be visible ASCII characters only (no spaces)",
        )),
        Val::Str(s) => Ok(s.trim().to_string()),
        v if v.is_absent() => Err(Error::validation(
            "token",
            "is required: the proxy adds it to every request it forwards",
        )),
        v => Err(Error::validation(
            "token",
            format!("must be a string, got {}", v.type_name()),
        )),
    }
}

/// The provider's base URL: https, or http to a loopback host (a local mock).
fn upstream(v: &Val) -> Result<String> {
    let s = match v {
        v if v.is_absent() => return Ok(DEFAULT_BASE_URL.to_string()),
        Val::Str(s) => s.trim().trim_end_matches('/').to_string(),
        v => {
            return Err(Error::validation(
                "upstream",
                format!("must be a string, got {}", v.type_name()),
            ))
        }
    };
    let url = parse_http_url(&s)
        .ok_or_else(|| Error::validation("upstream", "must be an absolute http(s) URL"))?;
    if s.contains(['?', '#']) {
        return Err(Error::validation(
            "upstream",
            "must not have a query or fragment",
        ));
    }
    validate::require_secure("upstream", &url)?;
    Ok(s)
}

fn base_path(v: &Val) -> Result<String> {
    let s = match v {
        v if v.is_absent() => return Ok(DEFAULT_BASE_PATH.to_string()),
        Val::Str(s) => s.trim(),
        v => {
            return Err(Error::validation(
                "basePath",
                format!("must be a string, got {}", v.type_name()),
            ))
        }
    };
    let ok = s.starts_with('/')
        && !s.contains("//")
        && !s.contains(['?', '#', '%', '\\'])
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        return Err(Error::validation(
            "basePath",
            "must be a path such as \"/api/dreamina\" (starting with /, without query, spaces or %)",
        ));
    }
    Ok(s.trim_end_matches('/').to_string())
}

fn allow_origins(v: &Val, items: Option<&[Val]>) -> Result<AllowOrigins> {
    match (v, items) {
        (v, _) if v.is_absent() => Ok(AllowOrigins::List(Vec::new())),
        (Val::Str(s), _) if s.trim() == "*" => Ok(AllowOrigins::Any),
        (Val::Str(s), _) => Ok(AllowOrigins::List(vec![origin_entry(s)?])),
        (Val::Object("array"), Some(items)) => {
            let mut list = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Val::Str(s) if s.trim() == "*" => return Ok(AllowOrigins::Any),
                    Val::Str(s) => list.push(origin_entry(s)?),
                    other => {
                        return Err(Error::validation(
                            "allowOrigins",
                            format!("must hold origin strings, got {}", other.type_name()),
                        ))
                    }
                }
            }
            Ok(AllowOrigins::List(list))
        }
        (v, _) => Err(Error::validation(
            "allowOrigins",
            format!(
                "must be '*' or an array of origins such as \"https://app.example.com\", got {}",
                v.type_name()
            ),
        )),
    }
}

/// One allowed origin: `scheme://host[:port]`, no path.
fn origin_entry(s: &str) -> Result<String> {
    let s = s.trim().trim_end_matches('/').to_ascii_lowercase();
    let has_path = s
        .split_once("://")
        .is_some_and(|(_, rest)| rest.contains('/'));
    if parse_http_url(&s).is_none() || has_path || s.contains(['?', '#']) {
        return Err(Error::validation(
            "allowOrigins",
            format!(
                "entries must be origins such as \"https://app.example.com\" (no path), got {s:?}"
            ),
        ));
    }
    Ok(s)
}

/// Which upstream call a route maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    Upscale,
    GetJob,
}

impl RouteKind {
    /// The name `authorize` sees in `route.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::Upscale => "upscale",
            RouteKind::GetJob => "getJob",
        }
    }

    /// The one method the route accepts.
    pub fn method(self) -> &'static str {
        match self {
            RouteKind::Upscale => "POST",
            RouteKind::GetJob => "GET",
        }
    }

    /// The value of `Allow` for a 405 and of `Access-Control-Allow-Methods` for a preflight.
    pub fn allow(self) -> &'static str {
        match self {
            RouteKind::Upscale => "POST, OPTIONS",
            RouteKind::GetJob => "GET, OPTIONS",
        }
    }
}

/// A request that maps to an upstream call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub kind: RouteKind,
    /// The upstream path, relative to the upstream base: `/images/upscale` or
    /// `/images/{segment}`, the segment being the canonical encoding of the decoded job id.
    pub path: String,
    /// For `GetJob`: the decoded job id (for `authorize`).
    pub jobid: Option<String>,
}

/// What a method + path amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routing {
    Forward(Route),
    /// `OPTIONS` on a known route.
    Preflight(RouteKind),
    NotFound,
    MethodNotAllowed(RouteKind),
    /// The job id segment is not a valid percent-encoded job id.
    BadJobid(String),
}

/// Matches a raw path (as received, still percent-encoded) against the two client routes. The
/// job id segment is decoded once and checked with the client's job id rules; what goes
/// upstream is its canonical encoding, so no spelling of a path can reach another endpoint.
pub fn match_route(method: &str, raw_path: &str, base_path: &str) -> Routing {
    let Some(rest) = raw_path.strip_prefix(base_path) else {
        return Routing::NotFound;
    };
    let Some(segment) = rest.strip_prefix("/images/") else {
        return Routing::NotFound;
    };
    if segment.is_empty() || segment.contains('/') {
        return Routing::NotFound;
    }
    let decoded = percent_decode(segment);
    // `%75pscale` is the upscale route too: never a GET of `/images/upscale` upstream.
    let kind = if decoded.as_deref() == Some("upscale") {
        RouteKind::Upscale
    } else {
        RouteKind::GetJob
    };
    if method == "OPTIONS" {
        return Routing::Preflight(kind);
    }
    if method != kind.method() {
        return Routing::MethodNotAllowed(kind);
    }
    match kind {
        RouteKind::Upscale => Routing::Forward(Route {
            kind,
            path: "/images/upscale".into(),
            jobid: None,
        }),
        RouteKind::GetJob => match check_jobid(decoded) {
            Ok(jobid) => Routing::Forward(Route {
                kind,
                path: format!("/images/{}", encode_path_segment(&jobid)),
                jobid: Some(jobid),
            }),
            Err(reason) => Routing::BadJobid(reason),
        },
    }
}

/// Checks a decoded job id segment with the client's own job id rules.
fn check_jobid(decoded: Option<String>) -> std::result::Result<String, String> {
    let decoded = decoded
        .ok_or_else(|| "The job id in the path is not valid percent-encoded UTF-8".to_string())?;
    validate::jobid("jobid", &Val::Str(decoded)).map_err(|e| e.to_string())
}

/// Strict percent-decoding: a `%` must start a two-digit hex escape; the result must be UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            // from_str_radix alone would accept a sign ("%+F").
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The raw path of an absolute URL (`Request.url`), without query or fragment.
pub fn path_of_url(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let path_start = after_scheme.find(['/', '?', '#']);
    let path = path_start.map_or("", |i| &after_scheme[i..]);
    let end = path.find(['?', '#']).unwrap_or(path.len());
    match &path[..end] {
        "" => "/",
        p => p,
    }
}

/// The origin (`scheme://host[:port]`, lower-cased) of an absolute URL.
pub fn origin_of_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if authority.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// Whether the caller's origin may use the proxy and read its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginCheck {
    /// No `Origin` header: a server-side caller (curl, a backend) or a same-origin GET.
    NoOrigin,
    /// The page is on the proxy's own origin: no CORS headers needed.
    SameOrigin,
    /// A listed origin: answers carry `Access-Control-Allow-Origin: <this value>`.
    Allowed(String),
    /// Refused: nothing is forwarded and no CORS header is sent.
    Denied,
}

/// Decides about the `Origin` header against the allow list and the proxy's own origin.
pub fn check_origin(
    origin: Option<&str>,
    allow: &AllowOrigins,
    own_origin: Option<&str>,
) -> OriginCheck {
    let Some(origin) = origin.map(str::trim).filter(|o| !o.is_empty()) else {
        return OriginCheck::NoOrigin;
    };
    let origin = origin.to_ascii_lowercase();
    if own_origin.is_some_and(|own| own == origin) {
        return OriginCheck::SameOrigin;
    }
    match allow {
        AllowOrigins::Any => OriginCheck::Allowed("*".into()),
        // "null" (sandboxed iframes, file://) is never an allowed origin.
        AllowOrigins::List(list) if origin != "null" && list.contains(&origin) => {
            OriginCheck::Allowed(origin)
        }
        AllowOrigins::List(_) => OriginCheck::Denied,
    }
}

/// CORS headers for an answer (any status) to a request with this origin decision.
pub fn cors_headers(check: &OriginCheck) -> Vec<(&'static str, String)> {
    match check {
        OriginCheck::Allowed(value) => vec![
            ("access-control-allow-origin", value.clone()),
            ("access-control-expose-headers", EXPOSED_HEADERS.into()),
            ("vary", "Origin".into()),
        ],
        // Caches must not reuse a same-origin answer for a cross-origin request or back.
        _ => vec![("vary", "Origin".into())],
    }
}

/// Extra headers of a preflight answer. The requested headers are echoed (when they are
/// plain header names) so an app may authorize its callers with its own headers: only
/// `FORWARDED_REQUEST_HEADERS` ever reach the provider anyway.
pub fn preflight_headers(kind: RouteKind, requested: Option<&str>) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("access-control-allow-methods", kind.allow().to_string()),
        ("access-control-max-age", PREFLIGHT_MAX_AGE.to_string()),
    ];
    let requested = requested.unwrap_or("").trim();
    let is_token_list = requested
        .split(',')
        .all(|h| !h.trim().is_empty() && h.trim().bytes().all(is_header_name_byte));
    if !requested.is_empty() && requested.len() <= 1024 && is_token_list {
        out.push(("access-control-allow-headers", requested.to_string()));
    } else {
        out.push((
            "access-control-allow-headers",
            "Content-Type, Accept".into(),
        ));
    }
    out
}

fn is_header_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// True for a caller's request header that is copied to the upstream request.
pub fn forwards_request_header(name: &str) -> bool {
    FORWARDED_REQUEST_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// True for an upstream response header that is copied to the caller.
pub fn relays_response_header(name: &str) -> bool {
    RELAYED_RESPONSE_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// An answer the proxy makes itself instead of forwarding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub status: u16,
    pub message: String,
}

impl Reject {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Reject {
            status,
            message: message.into(),
        }
    }

    /// `{"error": "...", "code": n}`, the provider's own error shape.
    pub fn body(&self) -> String {
        let message = serde_json::to_string(&self.message).unwrap_or_else(|_| "\"\"".into());
        format!("{{\"error\":{message},\"code\":{}}}", self.status)
    }
}

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
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Reject::new(400, "Request body must be a JSON object")),
        Err(_) => Err(Reject::new(400, "Request body is not valid JSON")),
    }
}

/// The body sent upstream: the (transformed) object re-checked with the client's rules and
/// re-serialized, so only known, in-range fields reach the provider with the token.
pub fn upstream_upscale_body(json_text: &str) -> std::result::Result<String, Reject> {
    let map = match serde_json::from_str::<Value>(json_text) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(Reject::new(
                500,
                "transformUpscale must return a JSON object or a Response",
            ))
        }
    };
    validate::upscale_request(&fields_from_json(&map))
        .map(|req| req.to_json())
        .map_err(|e| Reject::new(400, e.to_string()))
}

/// A JSON object as the validator's `Fields` (nested values are only named by type).
pub fn fields_from_json(map: &Map<String, Value>) -> Fields {
    map.iter()
        .map(|(k, v)| {
            let val = match v {
                Value::Null => Val::Null,
                Value::Bool(b) => Val::Bool(*b),
                Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
                Value::String(s) => Val::Str(s.clone()),
                Value::Array(_) => Val::Object("array"),
                Value::Object(_) => Val::Object("object"),
            };
            (k.clone(), val)
        })
        .collect()
}

/// The status the caller gets for an upstream status. Redirects are not followed (the token
/// must not travel to another host) and become 502, like statuses a `Response` cannot carry.
pub fn relay_status(upstream: u16) -> std::result::Result<u16, Reject> {
    match upstream {
        200..=299 | 400..=599 => Ok(upstream),
        300..=399 => Err(Reject::new(502, "The API answered with a redirect")),
        _ => Err(Reject::new(
            502,
            "The API answered with an unexpected status",
        )),
    }
}

/// Statuses whose `Response` must have no body.
pub fn is_null_body_status(status: u16) -> bool {
    matches!(status, 101 | 204 | 205 | 304)
}

/// Replaces every copy of the token (raw or percent-encoded) in a body, in case an upstream
/// error message quotes it. `None` when the body does not contain it.
pub fn redact(body: &[u8], token: &str) -> Option<Vec<u8>> {
    let encoded = crate::url::encode_path_segment(token);
    let needles = [token.as_bytes(), encoded.as_bytes()];
    let hit = |at: usize| {
        needles
            .iter()
            .find(|n| !n.is_empty() && body[at..].starts_with(n))
    };
    if !(0..body.len()).any(|i| hit(i).is_some()) {
        return None;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if let Some(n) = hit(i) {
            out.extend_from_slice(b"[redacted]");
            i += n.len();
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Val {
        Val::Str(v.into())
    }

    fn opts(pairs: &[(&str, Val)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn config() -> ProxyConfig {
        proxy_config(&opts(&[("token", s("user:1-secret"))]), None).unwrap()
    }

    #[test]
    fn config_defaults() {
        let c = config();
        assert_eq!(c.token, "user:1-secret");
        assert_eq!(c.upstream, "https://api.useapi.net/v1/dreamina");
        assert_eq!(c.base_path, "/api/dreamina");
        assert_eq!(c.allow_origins, AllowOrigins::List(vec![]));
        assert_eq!(c.max_body_bytes, 64 * 1024);
        assert_eq!(c.timeout_ms, 30_000);
        assert!(
            !format!("{c:?}").contains("secret"),
            "Debug must not print the token"
        );
    }

    #[test]
    fn config_is_checked_field_by_field() {
        let bad = |pairs: &[(&str, Val)], field: &str| {
            // `get` finds the first key: the pairs under test come before the default token.
            let mut all = pairs.to_vec();
            all.push(("token", s("t")));
            let e = proxy_config(&opts(&all), None).expect_err("must fail");
            assert_eq!(e.field(), Some(field), "{e}");
        };
        bad(&[("token", Val::Missing)], "token");
        bad(&[("token", s("  "))], "token");
        bad(&[("token", s("a b"))], "token");
        bad(&[("upstream", s("http://api.example.com"))], "upstream");
        bad(&[("upstream", s("ftp://x"))], "upstream");
        bad(&[("upstream", s("https://x/v1?a=1"))], "upstream");
        bad(&[("basePath", s("api"))], "basePath");
        bad(&[("basePath", s("/a//b"))], "basePath");
        bad(&[("basePath", s("/a b"))], "basePath");
        bad(&[("allowOrigins", s("https://x.com/app"))], "allowOrigins");
        bad(&[("allowOrigins", Val::Num(1.0))], "allowOrigins");
        bad(&[("maxBodyBytes", Val::Num(0.0))], "maxBodyBytes");
        bad(&[("maxBodyBytes", Val::Num(1.5))], "maxBodyBytes");
        bad(&[("authorize", Val::Bool(true))], "authorize");
        bad(&[("transformUpscale", s("x"))], "transformUpscale");
        bad(&[("tokn", s("x"))], "tokn");
    }

    #[test]
    fn config_errors_never_quote_the_token() {
        let e = proxy_config(&opts(&[("token", s("user:1 secret-x"))]), None).unwrap_err();
        assert!(!e.to_string().contains("secret-x"));
    }

    #[test]
    fn config_accepts_loopback_upstreams_paths_and_origin_lists() {
        let items = [s("https://App.example.com/"), s("http://127.0.0.1:8080")];
        let c = proxy_config(
            &opts(&[
                ("token", s(" t ")),
                ("upstream", s("http://127.0.0.1:9/v1/dreamina/")),
                ("basePath", s("/")),
                ("allowOrigins", Val::Object("array")),
                ("maxBodyBytes", Val::Num(10.0)),
            ]),
            Some(&items),
        )
        .unwrap();
        assert_eq!(c.token, "t");
        assert_eq!(c.upstream, "http://127.0.0.1:9/v1/dreamina");
        assert_eq!(c.base_path, "");
        assert_eq!(
            c.allow_origins,
            AllowOrigins::List(vec![
                "https://app.example.com".into(),
                "http://127.0.0.1:8080".into()
            ])
        );
        assert_eq!(c.max_body_bytes, 10);
        let star =
            proxy_config(&opts(&[("token", s("t")), ("allowOrigins", s("*"))]), None).unwrap();
        assert_eq!(star.allow_origins, AllowOrigins::Any);
        let bad_item = proxy_config(
            &opts(&[("token", s("t")), ("allowOrigins", Val::Object("array"))]),
            Some(&[Val::Num(3.0)]),
        );
        assert_eq!(bad_item.unwrap_err().field(), Some("allowOrigins"));
    }

    #[test]
    fn routes() {
        let b = "/api/dreamina";
        let fwd = |m: &str, p: &str| match match_route(m, p, b) {
            Routing::Forward(r) => r,
            other => panic!("{m} {p}: {other:?}"),
        };
        let up = fwd("POST", "/api/dreamina/images/upscale");
        assert_eq!(
            (up.kind, up.path.as_str()),
            (RouteKind::Upscale, "/images/upscale")
        );
        let weird = "j1-u1-US%3Awe%2Fird%3F%23%25x%40example.com%3Adreamina";
        let job = fwd("GET", &format!("{b}/images/{weird}"));
        assert_eq!(job.kind, RouteKind::GetJob);
        assert_eq!(job.path, format!("/images/{weird}"), "already canonical");
        assert_eq!(
            job.jobid.as_deref(),
            Some("j1-u1-US:we/ird?#%x@example.com:dreamina")
        );
        let lower = fwd(
            "GET",
            &format!("{b}/images/j1-u1-US%3aa%40b.com%3adreamina"),
        );
        assert_eq!(
            lower.path, "/images/j1-u1-US%3Aa%40b.com%3Adreamina",
            "re-encoded canonically"
        );
        let raw = fwd("GET", &format!("{b}/images/j1:a@b.com"));
        assert_eq!(raw.path, "/images/j1%3Aa%40b.com");
        assert_eq!(
            match_route("GET", &format!("{b}/images/%75pscale"), b),
            Routing::MethodNotAllowed(RouteKind::Upscale)
        );
        assert_eq!(
            fwd("POST", &format!("{b}/images/%75pscale")).path,
            "/images/upscale"
        );
        for p in [
            "/api/dreamina/images",
            "/api/dreamina/images/",
            "/api/dreamina/images/upscale/",
            "/api/dreamina/images/a/b",
            "/api/dreamina/scheduler/x",
            "/api/dreaminaX/images/upscale",
            "/images/upscale",
            "/",
        ] {
            assert_eq!(match_route("GET", p, b), Routing::NotFound, "{p}");
        }
        assert_eq!(
            match_route("GET", "/api/dreamina/images/upscale", b),
            Routing::MethodNotAllowed(RouteKind::Upscale)
        );
        assert_eq!(
            match_route("DELETE", "/api/dreamina/images/j1", b),
            Routing::MethodNotAllowed(RouteKind::GetJob)
        );
        assert_eq!(
            match_route("OPTIONS", "/api/dreamina/images/upscale", b),
            Routing::Preflight(RouteKind::Upscale)
        );
        assert!(matches!(
            match_route("GET", "/api/dreamina/images/%zz", b),
            Routing::BadJobid(_)
        ));
        assert!(matches!(
            match_route("GET", "/api/dreamina/images/a%0Ab", b),
            Routing::BadJobid(_)
        ));
        assert!(matches!(
            match_route("GET", "/images/j1", ""),
            Routing::Forward(_)
        ));
    }

    /// Segments that decode to a path, each refused with 400 before anything is forwarded.
    #[test]
    fn hostile_job_id_segments_are_refused() {
        let b = "/api/dreamina";
        for seg in [
            ".",
            "..",
            "%2e",
            "%2E%2e",
            "..%2F..%2Fscheduler",
            "..%2f..%2faccounts",
            "%2e%2e%2F%2e%2e%2Faccounts",
            "j1%2F..%2F..%2Fscheduler",
            "j1%2F.%2Fx",
            "%252e%252e%252Faccounts",
            "j1%252F..",
            "..%5Caccounts",
            "j1%5C..%5Cx",
            "j1\\..\\x",
            "%u002e%u002e",
            "j1%00",
            "j1%0D%0AX-Injected:%201",
            "j1%7F",
            "%C2%85",
            "%EF%BC%8E%EF%BC%8E",
            "..%3Bx",
            "%2e%2e%20",
            "%zz",
            "%",
            "%C3",
        ] {
            let got = match_route("GET", &format!("{b}/images/{seg}"), b);
            assert!(matches!(got, Routing::BadJobid(_)), "{seg}: {got:?}");
        }
    }

    #[test]
    fn url_parts() {
        assert_eq!(path_of_url("http://h:1/a/b%2F?x=1#f"), "/a/b%2F");
        assert_eq!(path_of_url("https://h"), "/");
        assert_eq!(path_of_url("https://h?q"), "/");
        assert_eq!(
            origin_of_url("HTTP://Example.com:8080/x").as_deref(),
            Some("http://example.com:8080")
        );
        assert_eq!(origin_of_url("nope"), None);
        assert_eq!(percent_decode("%C3%A9a").as_deref(), Some("éa"));
        assert_eq!(percent_decode("%"), None);
        assert_eq!(percent_decode("%+F"), None);
        assert_eq!(percent_decode("%FF"), None, "not UTF-8");
    }

    #[test]
    fn origins() {
        let list = AllowOrigins::List(vec!["https://app.example.com".into()]);
        let own = Some("https://proxy.example.com");
        assert_eq!(check_origin(None, &list, own), OriginCheck::NoOrigin);
        assert_eq!(
            check_origin(Some("https://APP.example.com"), &list, own),
            OriginCheck::Allowed("https://app.example.com".into())
        );
        assert_eq!(
            check_origin(Some("https://proxy.example.com"), &list, own),
            OriginCheck::SameOrigin
        );
        assert_eq!(
            check_origin(Some("https://evil.com"), &list, own),
            OriginCheck::Denied
        );
        assert_eq!(check_origin(Some("null"), &list, own), OriginCheck::Denied);
        assert_eq!(
            check_origin(Some("https://evil.com"), &AllowOrigins::Any, own),
            OriginCheck::Allowed("*".into())
        );
        let h = cors_headers(&OriginCheck::Allowed("https://a.com".into()));
        assert!(h.contains(&("access-control-allow-origin", "https://a.com".into())));
        assert!(cors_headers(&OriginCheck::Denied)
            .iter()
            .all(|(k, _)| !k.starts_with("access-control")));
    }

    #[test]
    fn preflight_echoes_plain_header_names_only() {
        let get =
            |h: &[(&str, String)], k: &str| h.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        let h = preflight_headers(RouteKind::Upscale, Some("content-type, x-app-session"));
        assert_eq!(
            get(&h, "access-control-allow-methods").unwrap(),
            "POST, OPTIONS"
        );
        assert_eq!(
            get(&h, "access-control-allow-headers").unwrap(),
            "content-type, x-app-session"
        );
        let h = preflight_headers(RouteKind::GetJob, Some("a\r\nset-cookie: x"));
        assert_eq!(
            get(&h, "access-control-allow-headers").unwrap(),
            "Content-Type, Accept"
        );
    }

    #[test]
    fn header_lists() {
        for h in [
            "Authorization",
            "cookie",
            "proxy-authorization",
            "connection",
            "keep-alive",
            "transfer-encoding",
            "te",
            "trailer",
            "upgrade",
            "host",
            "content-length",
            "x-forwarded-for",
            "cf-connecting-ip",
            "origin",
        ] {
            assert!(!forwards_request_header(h), "{h}");
        }
        assert!(forwards_request_header("Accept"));
        assert!(relays_response_header("Content-Type"));
        assert!(relays_response_header("retry-after"));
        assert!(!relays_response_header("set-cookie"));
    }

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
        let out = upstream_upscale_body(
            r#"{"jobid":"j1","upscaleResolution":"8K","maxJobs":2,"replyRef":null}"#,
        )
        .unwrap();
        assert_eq!(
            out,
            r#"{"jobid":"j1","upscaleResolution":"8k","maxJobs":2}"#
        );
        let e = upstream_upscale_body(r#"{"jobid":"j1","imageIndex":9}"#).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("imageIndex"), "{}", e.message);
        let e = upstream_upscale_body(r#"{"jobid":"j1","account":"x"}"#).unwrap_err();
        assert!(e.message.contains("account"));
        assert_eq!(upstream_upscale_body("[]").unwrap_err().status, 500);
        let e = upstream_upscale_body(r#"{"jobid":{"a":1}}"#).unwrap_err();
        assert!(e.message.contains("jobid"));
    }

    #[test]
    fn statuses() {
        assert_eq!(relay_status(200), Ok(200));
        assert_eq!(relay_status(596), Ok(596));
        assert_eq!(relay_status(302).unwrap_err().status, 502);
        assert_eq!(relay_status(100).unwrap_err().status, 502);
        assert_eq!(relay_status(600).unwrap_err().status, 502);
        assert!(is_null_body_status(204));
        assert!(!is_null_body_status(200));
    }

    #[test]
    fn redaction() {
        let t = "user:12345-sandbox";
        assert_eq!(redact(b"{\"error\":\"Unauthorized\"}", t), None);
        let out = redact(b"bad token user:12345-sandbox or user%3A12345-sandbox!", t).unwrap();
        assert_eq!(out, b"bad token [redacted] or [redacted]!");
        assert_eq!(redact(b"x", ""), None);
    }
}
