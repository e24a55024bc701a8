//! What crosses between the caller and the provider: the request headers forwarded, and the
//! provider's status, headers and body relayed back (never a redirect, never the token).

use crate::url::redact;

use super::Reject;

/// Request headers of the caller that reach the provider. An allowlist, so `Authorization`,
/// `Cookie`, hop-by-hop and forwarding headers can never leak through by omission; the proxy
/// itself sets `Authorization` and, on POST, `Content-Type`.
pub const FORWARDED_REQUEST_HEADERS: [&str; 1] = ["accept"];
/// Provider response headers relayed to the caller (others, e.g. `Set-Cookie`, stay behind).
pub const RELAYED_RESPONSE_HEADERS: [&str; 2] = ["content-type", "retry-after"];

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

/// The provider's body with every copy of the token, raw or percent-encoded, replaced, in case
/// an upstream error message quotes it. Bodies without it are returned as they are.
pub fn redact_body(body: Vec<u8>, token: &str) -> Vec<u8> {
    match String::from_utf8(body) {
        Ok(text) => {
            let out = redact(&text, token);
            if out.len() == text.len() && out == text {
                text.into_bytes()
            } else {
                out.into_bytes()
            }
        }
        // Not UTF-8 (a provider's odd error page): only rewritten when it holds the token.
        Err(e) => {
            let bytes = e.into_bytes();
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let out = redact(&lossy, token);
            if out == lossy {
                bytes
            } else {
                out.into_bytes()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// True for a caller's request header the proxy copies upstream (it copies the list).
    fn forwards_request_header(name: &str) -> bool {
        FORWARDED_REQUEST_HEADERS
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
    }

    /// True for an upstream response header the proxy relays (it copies the list).
    fn relays_response_header(name: &str) -> bool {
        RELAYED_RESPONSE_HEADERS
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
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
        let body = b"{\"error\":\"Unauthorized\"}".to_vec();
        assert_eq!(redact_body(body.clone(), t), body);
        let out = redact_body(
            b"bad token user:12345-sandbox or user%3A12345-sandbox!".to_vec(),
            t,
        );
        assert_eq!(out, b"bad token [redacted] or [redacted]!");
        let mut odd = b"\xff token user:12345-sandbox".to_vec();
        assert!(!String::from_utf8_lossy(&redact_body(odd.clone(), t)).contains(t));
        odd.truncate(7);
        assert_eq!(
            redact_body(odd.clone(), t),
            odd,
            "untouched without the token"
        );
    }
}
