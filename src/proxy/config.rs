//! The options of `createProxyHandler`, checked once when the handler is made: a bad option
//! is a validation error naming it, never a surprise on the first request.

use crate::config::DEFAULT_TIMEOUT_MS;
use crate::error::{Error, Result};
use crate::url::{parse_http_url, DEFAULT_BASE_URL};
use crate::validate;
use crate::value::{get, Fields, Val};

use super::body::{DEFAULT_MAX_BODY_BYTES, MAX_BODY_BYTES_LIMIT};

/// Where the proxy is mounted when `basePath` is not given (the client's documented path).
pub const DEFAULT_BASE_PATH: &str = "/api/dreamina";

/// The options `createProxyHandler` accepts (`ProxyOptions` in src/edge.d.ts).
pub const PROXY_FIELDS: [&str; 9] = [
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
    validate::reject_unknown(fields, &PROXY_FIELDS, "proxy")?;
    for hook in ["authorize", "transformUpscale", "fetch"] {
        let v = get(fields, hook);
        if !v.is_absent() && *v != Val::Function {
            return Err(Error::validation(
                hook,
                format!("must be a function, got {}", v.type_name()),
            ));
        }
    }
    let max_body = validate::opt_int(fields, "maxBodyBytes", 1, MAX_BODY_BYTES_LIMIT)?;
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
        (Val::Array, Some(items)) => {
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
                ("allowOrigins", Val::Array),
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
            &opts(&[("token", s("t")), ("allowOrigins", Val::Array)]),
            Some(&[Val::Num(3.0)]),
        );
        assert_eq!(bad_item.unwrap_err().field(), Some("allowOrigins"));
    }
}
