//! The two routes the proxy forwards, and nothing else: `POST {basePath}/images/upscale` and
//! `GET {basePath}/images/{jobid}`, the job id decoded once and re-encoded canonically.

use crate::endpoint::{GET_JOB, UPSCALE};
use crate::url::percent_decode;
use crate::validate;
use crate::value::Val;

/// Which upstream call a route maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    Upscale,
    GetJob,
}

impl RouteKind {
    /// Every route the proxy forwards (tests/types_sync.rs checks `ProxyRoute` against it).
    #[cfg(not(target_arch = "wasm32"))]
    pub const ALL: [RouteKind; 2] = [RouteKind::Upscale, RouteKind::GetJob];

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
    // The two client endpoints' paths, from their declarations: `/images/` and `/images/upscale`.
    let (jobs, upscale) = (GET_JOB.url("", ""), UPSCALE.url("", ""));
    let Some(segment) = rest.strip_prefix(jobs.as_str()) else {
        return Routing::NotFound;
    };
    if segment.is_empty() || segment.contains('/') {
        return Routing::NotFound;
    }
    let decoded = percent_decode(segment);
    // `%75pscale` is the upscale route too: never a GET of `/images/upscale` upstream.
    let kind = if decoded.as_deref() == upscale.strip_prefix(jobs.as_str()) {
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
            path: upscale,
            jobid: None,
        }),
        RouteKind::GetJob => match check_jobid(decoded) {
            Ok(jobid) => Routing::Forward(Route {
                kind,
                path: GET_JOB.url("", &jobid),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
