//! The decisions of the edge proxy (`createProxyHandler`), one concern per file: its options
//! (`config`), the two routes it forwards (`routes`), who may call it (`cors`), how big and
//! what shape a body must be (`body`), and what crosses to and from the provider (`relay`).
//! Pure, so all of it is tested on the host; `wasm::proxy` only moves bytes and headers
//! between `Request`, `fetch` and `Response`.

pub mod body;
pub mod config;
pub mod cors;
pub mod relay;
pub mod routes;

pub use body::{BodyBudget, MAX_BODY_BYTES_LIMIT, MAX_UPSTREAM_BODY_BYTES};
pub use config::{proxy_config, ProxyConfig};
pub use cors::{check_origin, cors_headers, preflight_headers, OriginCheck};
pub use routes::{match_route, Route, RouteKind, Routing};

/// An answer the proxy makes itself instead of forwarding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub status: u16,
    pub message: String,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
}

impl Reject {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Reject {
            status,
            message: message.into(),
            allow: None,
        }
    }

    /// A 405 for a known route, saying which methods it takes.
    pub fn method_not_allowed(kind: RouteKind) -> Self {
        Reject {
            allow: Some(kind.allow()),
            ..Reject::new(405, "Method not allowed")
        }
    }

    /// `{"error": "...", "code": n}`, the provider's own error shape.
    pub fn body(&self) -> String {
        let message = serde_json::to_string(&self.message).unwrap_or_else(|_| "\"\"".into());
        format!("{{\"error\":{message},\"code\":{}}}", self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_have_the_api_error_shape() {
        let r = Reject::new(400, "Invalid jobid: \"x\"");
        assert_eq!(r.body(), r#"{"error":"Invalid jobid: \"x\"","code":400}"#);
        assert_eq!(r.allow, None);
        let r = Reject::method_not_allowed(RouteKind::Upscale);
        assert_eq!((r.status, r.allow), (405, Some("POST, OPTIONS")));
        assert_eq!(r.body(), r#"{"error":"Method not allowed","code":405}"#);
    }
}
