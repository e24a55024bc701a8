//! Small string helpers written out by hand: the std versions pull large generic code (the
//! two-way substring searcher, `[T]::join`'s copy machinery) into the wasm binary.

/// True when `haystack` holds `needle` (ASCII case-sensitive), without `str::contains`'s
/// two-way searcher, which is large in wasm.
pub fn has_bytes(haystack: &str, needle: &str) -> bool {
    find_bytes(haystack.as_bytes(), needle.as_bytes()).is_some()
}

/// Where `needle` first occurs in `haystack` (an empty needle occurs at 0).
pub fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The value of a non-empty run of ASCII digits (no sign, no spaces), `None` for anything else
/// or on overflow: the byte-level reader behind HTTP dates and loopback octets.
pub fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit()
            .then_some(())
            .and_then(|()| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
    })
}

/// Joins with a separator, without `[T]::join`'s generic copy code.
pub fn join(items: &[&str], sep: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(item);
    }
    out
}

/// How many characters (Unicode scalar values) `s` holds: counts the bytes that start one,
/// without `chars().count()`'s unrolled counter, which is large in wasm.
pub fn char_count(s: &str) -> usize {
    s.bytes().filter(|b| b & 0xC0 != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_and_join() {
        assert!(has_bytes("fetch failed (econnrefused)", "econnrefused"));
        assert!(!has_bytes("econ", "econnrefused"));
        assert!(has_bytes("x", ""));
        assert_eq!(find_bytes(b"abcabc", b"ca"), Some(2));
        assert_eq!(find_bytes(b"ab", b"abc"), None);
        assert_eq!(join(&["a", "b", "c"], ", "), "a, b, c");
        assert_eq!(join(&[], ", "), "");
        for t in ["", "abc", "é", "日本語", "a🦀b", "\u{10FFFF}x"] {
            assert_eq!(char_count(t), t.chars().count(), "{t}");
        }
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal(b"0"), Some(0));
        assert_eq!(decimal(b"007"), Some(7));
        assert_eq!(decimal(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b"+1",
            b"-1",
            b" 1",
            b"1x",
            b"18446744073709551616",
        ] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
    }
}
