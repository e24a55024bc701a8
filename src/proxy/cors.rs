//! Which callers may use the proxy and read its answers, and the CORS headers that say so.
//!
//! "Same origin" is decided as Go 1.25's `net/http` `CrossOriginProtection` does: the browser's
//! `Sec-Fetch-Site` says it first (`same-origin` or `none`: the app's own page or the user
//! typing the URL); without it (older browsers, non-browser callers) the `Origin` header is
//! compared with the `Host` header, never with the request URL, which servers and frameworks
//! rewrite (a Next.js route handler sees `http://localhost:PORT/…` whatever the browser asked
//! for). Anything else cross-site passes only through `allowOrigins`.

use super::config::AllowOrigins;
use super::routes::RouteKind;

/// Headers a browser may read from a cross-origin answer.
pub const EXPOSED_HEADERS: &str = "Retry-After";
/// How long a browser may cache a preflight answer, in seconds.
pub const PREFLIGHT_MAX_AGE: &str = "600";
/// Longest `Origin` value quoted back in a refusal.
const QUOTED_ORIGIN_MAX: usize = 200;

/// What a request says about where it comes from (header values as received).
#[derive(Debug, Clone, Copy, Default)]
pub struct Caller<'a> {
    /// The `Origin` header.
    pub origin: Option<&'a str>,
    /// The `Sec-Fetch-Site` header, which pages cannot set (browsers since 2020-2023).
    pub sec_fetch_site: Option<&'a str>,
    /// The `Host` header (or, when a runtime hides it, the request URL's host).
    pub host: Option<&'a str>,
}

/// Whether the caller may use the proxy and read its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginCheck {
    /// No `Origin` header and no browser saying cross-site: a server-side caller (curl, a
    /// backend) or a same-origin GET.
    NoOrigin,
    /// The page is on the proxy's own origin: no CORS headers needed.
    SameOrigin,
    /// A listed origin: answers carry `Access-Control-Allow-Origin: <this value>`.
    Allowed(String),
    /// Refused with this message (it says what to set): nothing is forwarded and no CORS
    /// header is sent.
    Denied(String),
}

impl OriginCheck {
    pub fn is_denied(&self) -> bool {
        matches!(self, OriginCheck::Denied(_))
    }
}

/// Decides about a caller against the allow list, as described at the top of this file.
pub fn check_origin(caller: &Caller, allow: &AllowOrigins) -> OriginCheck {
    let origin = nonempty(caller.origin).map(str::to_ascii_lowercase);
    let site = nonempty(caller.sec_fetch_site).map(str::to_ascii_lowercase);
    match site.as_deref() {
        Some("same-origin" | "none") => return OriginCheck::SameOrigin,
        // same-site, cross-site, or a value this code does not know: not the app's own page.
        Some(site) => {
            return listed(origin.as_deref(), allow)
                .unwrap_or_else(|| cross_site(origin.as_deref(), site))
        }
        None => {}
    }
    let Some(origin) = origin else {
        return OriginCheck::NoOrigin;
    };
    let host = nonempty(caller.host).map(str::to_ascii_lowercase);
    let origin_host = origin.split_once("://").map(|(_, h)| h);
    if origin_host.is_some() && origin_host == host.as_deref() {
        return OriginCheck::SameOrigin;
    }
    listed(Some(&origin), allow).unwrap_or_else(|| other_host(&origin, host.as_deref()))
}

/// The trimmed header value, `None` when missing or blank.
fn nonempty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// `Allowed` when `allowOrigins` lets this origin in.
fn listed(origin: Option<&str>, allow: &AllowOrigins) -> Option<OriginCheck> {
    match (allow, origin) {
        (AllowOrigins::Any, _) => Some(OriginCheck::Allowed("*".into())),
        // "null" (sandboxed iframes, file://) is never an allowed origin.
        (AllowOrigins::List(list), Some(o)) if o != "null" && list.iter().any(|l| l == o) => {
            Some(OriginCheck::Allowed(o.to_string()))
        }
        _ => None,
    }
}

/// The origin as quoted in a message: cut short, without control characters.
fn quoted(origin: &str) -> String {
    origin
        .chars()
        .filter(|c| !c.is_control())
        .take(QUOTED_ORIGIN_MAX)
        .collect()
}

fn cross_site(origin: Option<&str>, site: &str) -> OriginCheck {
    let site: String = quoted(site);
    OriginCheck::Denied(match origin {
        Some("null") => format!(
            "Origin not allowed: a sandboxed or file:// page (Origin: null, Sec-Fetch-Site: {site}) may never use the proxy"
        ),
        Some(o) => {
            let o = quoted(o);
            format!(
                "Origin not allowed: the browser says this request comes from a page on another site ({o}, Sec-Fetch-Site: {site}). If pages on {o} may use this proxy, add \"{o}\" to createProxyHandler's allowOrigins option"
            )
        }
        None => format!(
            "Origin not allowed: the browser says this request comes from another site (Sec-Fetch-Site: {site}) and sent no Origin. Only pages whose origin is in createProxyHandler's allowOrigins option may use this proxy from another site"
        ),
    })
}

fn other_host(origin: &str, host: Option<&str>) -> OriginCheck {
    let o = quoted(origin);
    if origin == "null" {
        return OriginCheck::Denied(
            "Origin not allowed: a sandboxed or file:// page (Origin: null) may never use the proxy".into(),
        );
    }
    let host = host.map_or_else(|| "(none)".to_string(), quoted);
    OriginCheck::Denied(format!(
        "Origin not allowed: Origin {o} does not match this server's Host header {host}, and the browser sent no Sec-Fetch-Site. If the app's pages are served from {o} (for example behind a reverse proxy that changes the Host header), add \"{o}\" to createProxyHandler's allowOrigins option"
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "https://app.example.com";

    fn list() -> AllowOrigins {
        AllowOrigins::List(vec![APP.into()])
    }

    fn check(origin: Option<&str>, site: Option<&str>, host: Option<&str>) -> OriginCheck {
        let caller = Caller {
            origin,
            sec_fetch_site: site,
            host,
        };
        check_origin(&caller, &list())
    }

    #[test]
    fn sec_fetch_site_decides_first() {
        // The app's own page behind a host the request URL does not show (Next.js, proxies).
        let own = check(
            Some("http://127.0.0.1:3000"),
            Some("same-origin"),
            Some("localhost:3000"),
        );
        assert_eq!(own, OriginCheck::SameOrigin);
        assert_eq!(check(None, Some("none"), None), OriginCheck::SameOrigin);
        assert_eq!(
            check(None, Some("Same-Origin"), None),
            OriginCheck::SameOrigin
        );
        // A listed origin on another site gets CORS headers.
        assert_eq!(
            check(
                Some("https://APP.example.com"),
                Some("cross-site"),
                Some("proxy.example.com")
            ),
            OriginCheck::Allowed(APP.into())
        );
        // Cross-site even when Origin claims the host: the browser's word wins.
        for site in ["cross-site", "same-site", "something-new"] {
            let r = check(
                Some("https://proxy.example.com"),
                Some(site),
                Some("proxy.example.com"),
            );
            assert!(r.is_denied(), "{site}: {r:?}");
        }
        let OriginCheck::Denied(m) = check(Some("https://evil.com"), Some("cross-site"), Some("x"))
        else {
            panic!("must be denied");
        };
        assert!(
            m.contains("allowOrigins") && m.contains("\"https://evil.com\""),
            "{m}"
        );
        assert!(check(None, Some("cross-site"), Some("x")).is_denied());
        assert!(check(Some("null"), Some("cross-site"), Some("x")).is_denied());
    }

    #[test]
    fn without_sec_fetch_site_origin_is_compared_with_host() {
        let own = check(Some("http://127.0.0.1:3000"), None, Some("127.0.0.1:3000"));
        assert_eq!(own, OriginCheck::SameOrigin);
        let own = check(
            Some("https://Proxy.Example.com"),
            None,
            Some("proxy.example.COM"),
        );
        assert_eq!(own, OriginCheck::SameOrigin);
        assert_eq!(check(None, None, Some("x")), OriginCheck::NoOrigin);
        assert_eq!(check(Some("  "), None, None), OriginCheck::NoOrigin);
        assert_eq!(
            check(Some(APP), None, Some("proxy.example.com")),
            OriginCheck::Allowed(APP.into())
        );
        let OriginCheck::Denied(m) =
            check(Some("http://127.0.0.1:3000"), None, Some("localhost:3000"))
        else {
            panic!("must be denied");
        };
        assert!(
            m.contains("localhost:3000") && m.contains("allowOrigins"),
            "{m}"
        );
        assert!(check(Some("http://127.0.0.1:3000"), None, None).is_denied());
        assert!(check(Some("null"), None, Some("null")).is_denied());
        // The quoted origin is cut short and loses control characters.
        let long = format!("https://{}\u{7}.com", "a".repeat(500));
        let OriginCheck::Denied(m) = check(Some(&long), None, Some("x")) else {
            panic!("must be denied");
        };
        assert!(m.len() < 1000 && !m.contains('\u{7}'), "{m}");
    }

    #[test]
    fn any_origin_and_headers() {
        let caller = Caller {
            origin: Some("https://evil.com"),
            sec_fetch_site: Some("cross-site"),
            host: None,
        };
        assert_eq!(
            check_origin(&caller, &AllowOrigins::Any),
            OriginCheck::Allowed("*".into())
        );
        let h = cors_headers(&OriginCheck::Allowed("https://a.com".into()));
        assert!(h.contains(&("access-control-allow-origin", "https://a.com".into())));
        assert!(cors_headers(&OriginCheck::Denied(String::new()))
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
}
