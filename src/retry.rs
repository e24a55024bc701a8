//! When a failed request may be sent again, and after how long. The rule that matters most:
//! a POST is repeated only when the server certainly did not accept it, because the API has no
//! idempotency key and a second POST bills a second job.

use crate::endpoint::Method;
use crate::error::Error;

/// Retry settings of a client or a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 turns retrying off.
    pub max_retries: u32,
    pub base_delay_ms: u32,
    pub max_delay_ms: u32,
    /// A `Retry-After` longer than this is not waited for: the error is returned instead.
    pub max_retry_after_ms: u32,
}

/// True when the failure may be retried for `method` at all.
pub fn is_retryable(method: Method, err: &Error) -> bool {
    match (method, err) {
        (Method::Get, Error::Network { .. }) => true,
        // A GET is idempotent: a 408 or our own request timeout is safe to repeat.
        (Method::Get, Error::Timeout { .. }) => true,
        (Method::Get, Error::Api { status, .. }) => matches!(status, 429 | 500 | 502 | 503 | 504),
        // POST (and a cancel's DELETE, which a second time would answer 404): only when the
        // server cannot have acted on it.
        (Method::Post | Method::Delete, Error::Network { not_sent, .. }) => *not_sent,
        (Method::Post | Method::Delete, Error::Api { status: 429, .. }) => true,
        (
            Method::Post | Method::Delete,
            Error::Api {
                status: 503,
                from_provider,
                ..
            },
        ) => !from_provider,
        _ => false,
    }
}

/// The delay before retry number `attempt` (0-based), or `None` to give up.
/// `random` is a number in [0, 1) used for jitter.
pub fn next_delay(
    policy: &RetryPolicy,
    method: Method,
    err: &Error,
    attempt: u32,
    random: f64,
) -> Option<u32> {
    if attempt >= policy.max_retries || !is_retryable(method, err) {
        return None;
    }
    let backoff = backoff_ms(policy, attempt, random);
    match err.retry_after_ms() {
        Some(wait) if wait > policy.max_retry_after_ms as u64 => None,
        Some(wait) => Some((wait as u32).max(backoff.min(policy.max_retry_after_ms))),
        None => Some(backoff),
    }
}

/// Exponential backoff capped at `max_delay_ms`, with "equal jitter": half fixed, half random,
/// so retries from many clients spread out but never fire at once.
pub fn backoff_ms(policy: &RetryPolicy, attempt: u32, random: f64) -> u32 {
    let exp = (policy.base_delay_ms as u64).saturating_mul(1u64 << attempt.min(30));
    let capped = exp.min(policy.max_delay_ms as u64) as f64;
    let r = if random.is_finite() {
        random.clamp(0.0, 1.0)
    } else {
        0.5
    };
    (capped / 2.0 + r * capped / 2.0).round() as u32
}

/// True when a fetch failure's description proves the request never left: a refused connection,
/// a failed DNS lookup or a connect timeout (as Node, Deno and Bun word them). Browsers say only
/// "Failed to fetch", which proves nothing, so a POST is then not retried.
pub fn proves_not_sent(description: &str) -> bool {
    let lower = description.to_ascii_lowercase();
    [
        "econnrefused",
        "connection refused",
        "connectionrefused",
        "enotfound",
        "eai_again",
        "und_err_connect_timeout",
    ]
    .iter()
    .any(|needle| crate::text::has_bytes(&lower, needle))
}

/// What to add to a POST failure that may have created a job anyway.
pub fn ambiguous_post_note(err: &Error) -> Option<&'static str> {
    let ambiguous = match err {
        Error::Network { not_sent, .. } => !not_sent,
        Error::Timeout { .. } | Error::InvalidResponse { .. } | Error::AbortedInFlight { .. } => {
            true
        }
        _ => false,
    };
    ambiguous.then_some(
        "The job may have been created and billed; it was not retried. Check your jobs before submitting again",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: RetryPolicy = RetryPolicy {
        max_retries: 3,
        base_delay_ms: 500,
        max_delay_ms: 20_000,
        max_retry_after_ms: 60_000,
    };

    fn api(status: u16, from_provider: bool, retry_after_ms: Option<u64>) -> Error {
        Error::Api {
            kind: crate::response::kind_for_status(status),
            status,
            message: "x".into(),
            retry_after_ms,
            from_provider,
        }
    }

    fn net(not_sent: bool) -> Error {
        Error::Network {
            message: "x".into(),
            not_sent,
        }
    }

    #[test]
    fn get_retries_transient_failures() {
        for s in [429, 500, 502, 503, 504] {
            assert!(is_retryable(Method::Get, &api(s, true, None)), "{s}");
        }
        assert!(is_retryable(Method::Get, &net(false)));
        assert!(is_retryable(
            Method::Get,
            &Error::Timeout {
                message: "x".into(),
                status: Some(408)
            }
        ));
        for s in [400, 401, 402, 404, 410, 422, 596, 501] {
            assert!(!is_retryable(Method::Get, &api(s, true, None)), "{s}");
        }
        assert!(is_retryable(
            Method::Get,
            &Error::Timeout {
                message: "x".into(),
                status: None
            }
        ));
        assert!(!is_retryable(Method::Get, &Error::Aborted));
    }

    #[test]
    fn post_retries_only_when_nothing_was_accepted() {
        assert!(is_retryable(Method::Post, &api(429, true, None)));
        assert!(is_retryable(Method::Post, &api(503, false, None)));
        assert!(is_retryable(Method::Post, &net(true)));
        assert!(!is_retryable(Method::Post, &api(503, true, None)));
        assert!(!is_retryable(Method::Post, &net(false)));
        for s in [500, 502, 504, 408] {
            assert!(!is_retryable(Method::Post, &api(s, false, None)), "{s}");
        }
        assert!(!is_retryable(
            Method::Post,
            &Error::Timeout {
                message: "x".into(),
                status: None
            }
        ));
        assert!(!is_retryable(
            Method::Post,
            &Error::InvalidResponse {
                status: 200,
                message: "x".into()
            }
        ));
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        assert_eq!(backoff_ms(&P, 0, 0.0), 250);
        assert_eq!(backoff_ms(&P, 0, 1.0), 500);
        assert_eq!(backoff_ms(&P, 3, 1.0), 4000);
        assert_eq!(backoff_ms(&P, 40, 1.0), 20_000);
        assert_eq!(backoff_ms(&P, 40, 0.0), 10_000);
        assert_eq!(backoff_ms(&P, 1, f64::NAN), 750);
    }

    #[test]
    fn retry_after_is_honoured_within_the_ceiling() {
        assert_eq!(
            next_delay(&P, Method::Get, &api(429, true, Some(7000)), 0, 0.5),
            Some(7000)
        );
        assert_eq!(
            next_delay(&P, Method::Get, &api(429, true, Some(0)), 2, 0.0),
            Some(1000)
        );
        assert_eq!(
            next_delay(&P, Method::Get, &api(429, true, Some(61_000)), 0, 0.5),
            None
        );
        assert_eq!(
            next_delay(&P, Method::Get, &api(503, true, None), 3, 0.5),
            None
        );
        let off = RetryPolicy {
            max_retries: 0,
            ..P
        };
        assert_eq!(
            next_delay(&off, Method::Get, &api(503, true, None), 0, 0.5),
            None
        );
    }

    #[test]
    fn only_refused_connections_prove_nothing_was_sent() {
        assert!(proves_not_sent(
            "fetch failed (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9)"
        ));
        assert!(proves_not_sent(
            "error sending request: tcp connect error: Connection refused (os error 111)"
        ));
        assert!(proves_not_sent(
            "Unable to connect. Is the computer able to access the url? (ConnectionRefused)"
        ));
        assert!(proves_not_sent(
            "fetch failed (ENOTFOUND: getaddrinfo ENOTFOUND api.useapi.net)"
        ));
        assert!(!proves_not_sent(
            "fetch failed (ECONNRESET: socket hang up)"
        ));
        assert!(!proves_not_sent("Failed to fetch"));
        assert!(!proves_not_sent(
            "fetch failed (UND_ERR_SOCKET: other side closed)"
        ));
    }

    #[test]
    fn ambiguous_posts_get_a_note() {
        assert!(ambiguous_post_note(&net(false)).is_some());
        assert!(ambiguous_post_note(&Error::Timeout {
            message: "x".into(),
            status: None
        })
        .is_some());
        assert!(ambiguous_post_note(&net(true)).is_none());
        assert!(ambiguous_post_note(&Error::AbortedInFlight {
            message: "x".into()
        })
        .is_some());
        assert!(ambiguous_post_note(&Error::Aborted).is_none());
        assert!(ambiguous_post_note(&api(400, true, None)).is_none());
    }
}
