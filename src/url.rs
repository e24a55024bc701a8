//! Small URL helpers: enough to check base URLs and webhook URLs, to build request paths and
//! to take apart the proxy's incoming URLs, without pulling a full URL parser into the wasm
//! binary. Also the one `redact`, since a token can hide in a URL's encoding.

use crate::text::find_bytes;

/// The provider's base URL, used when the caller gives none.
pub const DEFAULT_BASE_URL: &str = "https://api.useapi.net/v1/dreamina";

/// The parts of an absolute http(s) URL this crate cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl<'a> {
    pub secure: bool,
    /// Host without port or brackets, lower-cased by the caller when comparing.
    pub host: &'a str,
}

/// Parses `scheme://host[:port][/path]`, accepting only http and https. Byte scans rather
/// than `split`/`rsplit_once` patterns, each of which would bring its own searcher into wasm.
pub fn parse_http_url(url: &str) -> Option<HttpUrl<'_>> {
    // A backslash is a path separator to the URL standard but not to this parser: refusing it
    // keeps both agreeing on the host (`http://evil\@127.0.0.1` must not pass as loopback).
    if has_space_control_or_backslash(url) {
        return None;
    }
    let (scheme, rest) = split_scheme(url)?;
    let secure = match scheme {
        s if s.eq_ignore_ascii_case("https") => true,
        s if s.eq_ignore_ascii_case("http") => false,
        _ => return None,
    };
    let authority = before(rest, b"/?#");
    let host_port = match authority.bytes().rposition(|b| b == b'@') {
        Some(at) => authority.get(at + 1..)?,
        None => authority,
    };
    let host = match host_port.strip_prefix('[') {
        Some(v6) if v6.contains(']') => before(v6, b"]"),
        Some(_) => return None,
        None => before(host_port, b":"),
    };
    if host.is_empty() {
        return None;
    }
    Some(HttpUrl { secure, host })
}

/// `s` up to its first byte among `stops` (all of it when there is none).
fn before<'a>(s: &'a str, stops: &[u8]) -> &'a str {
    let end = s
        .bytes()
        .position(|b| stops.contains(&b))
        .unwrap_or(s.len());
    // An ASCII byte always starts a character, so this never falls back.
    s.get(..end).unwrap_or(s)
}

/// True when `s` holds white space, a control character or a backslash anywhere (none of
/// which a URL this crate sends to, or a same-origin path, may contain).
pub fn has_space_control_or_backslash(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
}

/// `("https", "host/path")` from `https://host/path`. Byte checks rather than a substring
/// search keep string-searching and panic-formatting code out of the wasm binary.
pub fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let colon = url.find(':')?;
    let rest = url.get(colon + 1..)?.strip_prefix("//")?;
    Some((url.get(..colon)?, rest))
}

/// `text` with every copy of `secret`, raw or percent-encoded, replaced by `[redacted]`, so a
/// token an API or a proxy echoes back never reaches an error message or a relayed body.
pub fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_string();
    }
    let encoded = encode_path_segment(secret);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // The earliest copy of either form; at the same place the raw one, never longer.
    while let Some((at, len)) = [secret, encoded.as_str()]
        .iter()
        .filter_map(|n| find_bytes(rest.as_bytes(), n.as_bytes()).map(|i| (i, n.len())))
        .min()
    {
        // A match of a whole UTF-8 needle starts and ends on character boundaries.
        out.push_str(rest.get(..at).unwrap_or_default());
        out.push_str("[redacted]");
        rest = rest.get(at + len..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// Strict percent-decoding: a `%` must start a two-digit hex escape; the result must be UTF-8.
#[cfg(any(not(target_arch = "wasm32"), feature = "edge"))]
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

/// The raw path of a URL (an absolute one such as `Request.url`, or a path), without query
/// or fragment.
pub fn path_of_url(url: &str) -> &str {
    let rest = split_scheme(url).map_or(url, |(_, rest)| rest);
    let authority = match split_scheme(url) {
        Some(_) => before(rest, b"/?#"),
        None => "",
    };
    match before(rest.get(authority.len()..).unwrap_or_default(), b"?#") {
        "" => "/",
        path => path,
    }
}

/// The origin (`scheme://host[:port]`, lower-cased) of an absolute URL.
#[cfg(any(not(target_arch = "wasm32"), feature = "edge"))]
pub fn origin_of_url(url: &str) -> Option<String> {
    let (scheme, rest) = split_scheme(url)?;
    let authority = before(rest, b"/?#");
    let authority = match authority.bytes().rposition(|b| b == b'@') {
        Some(at) => authority.get(at + 1..)?,
        None => authority,
    };
    if authority.is_empty() {
        return None;
    }
    Some(format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// True for hosts that never leave this machine.
pub fn is_loopback(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host.strip_prefix("127.").is_some_and(|r| {
            // Three more decimal octets (by bytes: no `split` searcher in the binary).
            r.bytes().filter(|&b| b == b'.').count() == 2
                && r.as_bytes()
                    .split(|&b| b == b'.')
                    .all(|p| crate::text::decimal(p).is_some_and(|n| n <= 255))
        })
}

/// Percent-encodes `s` as one path segment: everything but RFC 3986 unreserved characters.
pub fn encode_path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(
                char::from_digit((b >> 4) as u32, 16)
                    .unwrap_or('0')
                    .to_ascii_uppercase(),
            );
            out.push(
                char::from_digit((b & 15) as u32, 16)
                    .unwrap_or('0')
                    .to_ascii_uppercase(),
            );
        }
    }
    out
}

/// True when a decoded job id could step out of its path segment at a router that decodes
/// again: a dot segment, a backslash, or a percent-escape left over.
pub fn reads_as_path(s: &str) -> bool {
    s.as_bytes().contains(&b'\\') || has_dot_segment(s) || has_percent_escape(s)
}

/// True when some `/`-separated segment of `s` (up to a `;` parameter, spaces aside) is made
/// only of dots, including the look-alikes NFKC folds to `.`: a router that decodes `%2F` could
/// read it as `.` or `..` and step out of the job's path. One pass over the bytes, small in wasm.
pub fn has_dot_segment(s: &str) -> bool {
    // (dots seen, anything else seen, inside a `;` parameter) for the current segment.
    let (mut dots, mut other, mut param) = (0u32, false, false);
    let mut it = s.as_bytes().iter().copied();
    while let Some(b) = it.next() {
        match b {
            b'/' => {
                if dots > 0 && !other {
                    return true;
                }
                (dots, other, param) = (0, false, false);
            }
            _ if param => {}
            b';' => param = true,
            b'.' => dots += 1,
            b' ' => {}
            // U+2024..U+2026 (dot leaders, ellipsis), U+FE52, U+FF0E: E2 80 A4-A6, EF B9 92, EF BC 8E.
            0xe2 | 0xef => {
                let pair = (it.next(), it.next());
                let look_alike = matches!(
                    (b, pair),
                    (0xe2, (Some(0x80), Some(0xa4..=0xa6)))
                        | (0xef, (Some(0xb9), Some(0x92)) | (Some(0xbc), Some(0x8e)))
                );
                if look_alike {
                    dots += 1;
                } else {
                    other = true;
                }
            }
            _ => other = true,
        }
    }
    dots > 0 && !other
}

/// True when `s` (already decoded once) still holds a percent-escape, `%XX` or `%uXXXX`: a
/// second layer of encoding that a router decoding twice would turn into `/`, `.` or `\\`.
pub fn has_percent_escape(s: &str) -> bool {
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).is_some_and(u8::is_ascii_hexdigit);
    (0..b.len()).any(|i| {
        b[i] == b'%'
            && ((hex(i + 1) && hex(i + 2))
                || (matches!(b.get(i + 1), Some(b'u' | b'U')) && (2..6).all(|k| hex(i + k))))
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts() {
        let u = parse_http_url("https://api.useapi.net/v1/dreamina").unwrap();
        assert!(u.secure);
        assert_eq!(u.host, "api.useapi.net");
        assert_eq!(
            parse_http_url("http://127.0.0.1:8080/x").unwrap().host,
            "127.0.0.1"
        );
        assert_eq!(parse_http_url("http://[::1]:80").unwrap().host, "::1");
        assert_eq!(parse_http_url("https://a@b@h:1?x").unwrap().host, "h");
        assert!(parse_http_url("HTTPS://h#x").unwrap().secure);
        assert_eq!(
            parse_http_url("HTTP://user@Example.com").unwrap().host,
            "Example.com"
        );
        for bad in [
            "ftp://x",
            "https://",
            "//x",
            "x",
            "https:// x",
            "https://a\nb",
            "http://[::1",
            "http://u@/x",
            "",
        ] {
            assert!(parse_http_url(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn schemes_and_redaction() {
        assert_eq!(split_scheme("https://a/b"), Some(("https", "a/b")));
        assert_eq!(split_scheme("https:/a"), None);
        assert_eq!(split_scheme("nocolon"), None);
        assert_eq!(
            redact("bad token user:1-x here", "user:1-x"),
            "bad token [redacted] here"
        );
        assert_eq!(redact("é user:1-x é", "user:1-x"), "é [redacted] é");
        assert_eq!(redact("nothing", "user:1-x"), "nothing");
        let t = "user:12345-sandbox";
        assert_eq!(
            redact("{\"error\":\"Unauthorized\"}", t),
            "{\"error\":\"Unauthorized\"}"
        );
        assert_eq!(
            redact("bad token user:12345-sandbox or user%3A12345-sandbox!", t),
            "bad token [redacted] or [redacted]!"
        );
        assert_eq!(redact("x", ""), "x");
        assert_eq!(redact("ab%3Aab:", "ab:"), "[redacted][redacted]");
        assert_eq!(redact("a:a:a", "a:"), "[redacted][redacted]a");
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
    fn loopback_hosts() {
        for h in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "127.0.0.255",
            "127.000.0.01",
            "::1",
            "app.localhost",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "example.com",
            "127.0.0.1.evil.com",
            "10.0.0.1",
            "128.0.0.1",
            "127.0.0.256",
            "127.0.0.1000",
            "127.0..1",
            "127.0.0.",
            "127.0.1",
            "127.0.0.+1",
            "127.0.0.1x",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn dot_segments_and_second_encodings() {
        for s in [
            ".",
            "..",
            "a/../b",
            "a/./b",
            "a/..",
            "../a",
            "a/.. /b",
            "a/..;x/b",
            "\u{2026}",
            "\u{2025}",
            "\u{ff0e}\u{ff0e}",
            "...",
        ] {
            assert!(has_dot_segment(s), "{s:?}");
        }
        for s in [
            "a.b",
            "a/.b/c",
            "j1:we/ird?#%x@example.com",
            "..a",
            "a..",
            "",
            "/",
        ] {
            assert!(!has_dot_segment(s), "{s:?}");
        }
        for s in ["%2e", "%2E%2e", "a%2Fb", "%5c", "%u002e", "%U2215", "x%00"] {
            assert!(has_percent_escape(s), "{s:?}");
        }
        for s in ["%", "%x@example.com", "100%", "%2", "%u12", "%g0", "a%-1"] {
            assert!(!has_percent_escape(s), "{s:?}");
        }
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(encode_path_segment("é"), "%C3%A9");
        assert_eq!(encode_path_segment("a b+c"), "a%20b%2Bc");
    }
}
