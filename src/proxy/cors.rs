//! Which origins may use the proxy and read its answers, and the CORS headers that say so.

use super::config::AllowOrigins;
use super::routes::RouteKind;

/// Headers a browser may read from a cross-origin answer.
pub const EXPOSED_HEADERS: &str = "Retry-After";
/// How long a browser may cache a preflight answer, in seconds.
pub const PREFLIGHT_MAX_AGE: &str = "600";

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
