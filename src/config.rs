//! `new DreaminaClient(options)`: the client's settings, checked once at construction.

use crate::error::{Error, Result};
use crate::url::{has_space_control_or_backslash, parse_http_url, DEFAULT_BASE_URL};
use crate::validate::{
    describe, is_header_token, opt_function, opt_int, opt_ms, reject_unknown, require_secure,
    wrong_type,
};
use crate::value::{get, Fields, Val};

/// Settings of one `DreaminaClient`. `Debug` redacts the token.
#[derive(Clone, PartialEq)]
pub struct ClientConfig {
    /// `None` only when the base URL is not the provider's (an app's own proxy).
    pub token: Option<String>,
    /// Without a trailing slash.
    pub base_url: String,
    pub timeout_ms: u32,
    pub max_retries: u32,
    pub retry_base_delay_ms: u32,
    pub retry_max_delay_ms: u32,
    pub max_retry_after_ms: u32,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

/// Per-request time limit when none is given.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;
/// Retries of a retryable failure when none is given.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Upper bound of `maxRetries`.
pub const MAX_RETRIES_LIMIT: i64 = 20;

pub const CLIENT_FIELDS: [&str; 8] = [
    "token",
    "baseUrl",
    "timeoutMs",
    "maxRetries",
    "fetch",
    "retryBaseDelayMs",
    "retryMaxDelayMs",
    "maxRetryAfterMs",
];

/// Checks the `new DreaminaClient(options)` object.
pub fn client_config(fields: &Fields) -> Result<ClientConfig> {
    reject_unknown(fields, &CLIENT_FIELDS, "client")?;
    let base_url = base_url(get(fields, "baseUrl"))?;
    let token = token(get(fields, "token"), &base_url)?;
    opt_function(fields, "fetch")?;
    let retry_base_delay_ms = opt_ms(fields, "retryBaseDelayMs", 0.0)?.unwrap_or(500);
    let retry_max_delay_ms = opt_ms(fields, "retryMaxDelayMs", 0.0)?.unwrap_or(20_000);
    if retry_max_delay_ms < retry_base_delay_ms {
        return Err(Error::validation(
            "retryMaxDelayMs",
            "must not be less than retryBaseDelayMs",
        ));
    }
    Ok(ClientConfig {
        token,
        base_url,
        timeout_ms: opt_ms(fields, "timeoutMs", 1.0)?.unwrap_or(DEFAULT_TIMEOUT_MS),
        max_retries: max_retries(fields)?.unwrap_or(DEFAULT_MAX_RETRIES),
        retry_base_delay_ms,
        retry_max_delay_ms,
        max_retry_after_ms: opt_ms(fields, "maxRetryAfterMs", 0.0)?.unwrap_or(60_000),
    })
}

/// `maxRetries`: an integer from 0 (no retries) to 20.
pub fn max_retries(fields: &Fields) -> Result<Option<u32>> {
    Ok(opt_int(fields, "maxRetries", 0, MAX_RETRIES_LIMIT)?.map(|n| n as u32))
}

fn base_url(v: &Val) -> Result<String> {
    let s = match v {
        v if v.is_absent() => return Ok(DEFAULT_BASE_URL.to_string()),
        Val::Str(s) => s.trim().trim_end_matches('/').to_string(),
        v => return Err(wrong_type("baseUrl", "a string", v)),
    };
    // A same-origin path such as "/api/dreamina" reaches an app's own proxy (browsers only).
    // No backslash: browsers read "/\\host" as "//host", another origin.
    if s.starts_with('/') && !s.starts_with("//") && !has_space_control_or_backslash(&s) {
        return Ok(s);
    }
    let url = parse_http_url(&s).ok_or_else(|| {
        Error::validation(
            "baseUrl",
            format!(
                "must be an absolute http(s) URL or a path starting with /, got {}",
                describe(v)
            ),
        )
    })?;
    require_secure("baseUrl", &url)?;
    Ok(s)
}

/// True when requests go to the provider itself, where a token is mandatory.
pub fn is_provider(base_url: &str) -> bool {
    parse_http_url(base_url).is_some_and(|u| u.host.eq_ignore_ascii_case("api.useapi.net"))
}

fn token(v: &Val, base_url: &str) -> Result<Option<String>> {
    let token = match v {
        v if v.is_absent() => None,
        // Almost always an unset environment variable: refused, not read as "no token".
        Val::Str(s) if s.trim().is_empty() => {
            return Err(Error::validation(
                "token",
                "is an empty string (an unset environment variable?); leave token out only when baseUrl is your own proxy",
            ))
        }
        Val::Str(s) if !is_header_token(s.trim()) => {
            return Err(Error::validation(
                "token",
                "must be visible ASCII characters only (no spaces)",
            ))
        }
        Val::Str(s) => Some(s.trim().to_string()),
        v => return Err(wrong_type("token", "a string", v)),
    };
    if token.is_none() && is_provider(base_url) {
        return Err(Error::validation(
            "token",
            "is required for the useapi.net API (it may be left out only when baseUrl is your own proxy)",
        ));
    }
    Ok(token)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::testing::{fields_of as f, s};

    #[test]
    fn debug_output_never_shows_the_token() {
        let c = client_config(&f(&[("token", s("user:1-secret"))])).unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("user:1-secret") && shown.contains("[redacted]"),
            "{shown}"
        );
    }

    #[test]
    fn client_defaults_and_token_rules() {
        let c = client_config(&f(&[("token", s(" user:1-abc \n"))])).unwrap();
        assert_eq!(c.token.as_deref(), Some("user:1-abc"));
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert_eq!(c.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(c.max_retries, DEFAULT_MAX_RETRIES);
        assert_eq!(client_config(&f(&[])).unwrap_err().field(), Some("token"));
        assert_eq!(
            client_config(&f(&[("token", s(""))])).unwrap_err().field(),
            Some("token")
        );
        assert_eq!(
            client_config(&f(&[("token", s("user:1-séc€ret"))]))
                .unwrap_err()
                .field(),
            Some("token")
        );
        assert_eq!(
            client_config(&f(&[("token", s("a b"))]))
                .unwrap_err()
                .field(),
            Some("token")
        );
        assert_eq!(
            client_config(&f(&[("token", Val::Num(1.0))]))
                .unwrap_err()
                .field(),
            Some("token")
        );
        // A token is optional in front of an app's own proxy.
        let p = client_config(&f(&[("baseUrl", s("/api/dreamina/"))])).unwrap();
        assert_eq!(p.base_url, "/api/dreamina");
        assert_eq!(p.token, None);
    }

    #[test]
    fn an_empty_token_is_refused_even_in_front_of_a_proxy() {
        // `token: process.env.X ?? ''` with X unset: a mistake, not "no token".
        for empty in ["", "  \n"] {
            let e = client_config(&f(&[("token", s(empty)), ("baseUrl", s("/api/dreamina"))]))
                .unwrap_err();
            assert_eq!(e.field(), Some("token"));
            assert!(e.to_string().contains("empty string"), "{e}");
        }
    }

    #[test]
    fn base_url_must_be_https_unless_loopback() {
        let ok = |u: &str| client_config(&f(&[("token", s("t")), ("baseUrl", s(u))]));
        assert!(ok("http://127.0.0.1:9000/v1/dreamina").is_ok());
        assert!(ok("http://localhost/v1").is_ok());
        assert!(ok("https://proxy.example.com/dreamina").is_ok());
        for bad in [
            "http://api.useapi.net/v1/dreamina",
            "http://10.0.0.1/x",
            "ftp://x",
            "api.useapi.net",
            "//evil.com",
            "/\\evil.com",
        ] {
            assert_eq!(ok(bad).unwrap_err().field(), Some("baseUrl"), "{bad}");
        }
    }

    #[test]
    fn client_numbers_are_checked() {
        let bad = |k: &str, v: Val| {
            client_config(&f(&[("token", s("t")), (k, v)]))
                .unwrap_err()
                .field()
                .map(String::from)
        };
        assert_eq!(
            bad("timeoutMs", Val::Num(0.0)).as_deref(),
            Some("timeoutMs")
        );
        assert_eq!(
            bad("timeoutMs", Val::Num(3e9)).as_deref(),
            Some("timeoutMs")
        );
        assert_eq!(bad("timeoutMs", s("100")).as_deref(), Some("timeoutMs"));
        assert_eq!(
            bad("maxRetries", Val::Num(-1.0)).as_deref(),
            Some("maxRetries")
        );
        assert_eq!(
            bad("maxRetries", Val::Num(21.0)).as_deref(),
            Some("maxRetries")
        );
        assert_eq!(bad("fetch", s("x")).as_deref(), Some("fetch"));
        assert_eq!(bad("tokn", s("x")).as_deref(), Some("tokn"));
        let c = client_config(&f(&[("token", s("t")), ("maxRetries", Val::Num(0.0))])).unwrap();
        assert_eq!(c.max_retries, 0);
    }
}
