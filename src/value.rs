//! A loose, host-testable picture of a JS value, so validation can run in plain Rust and a
//! value of the wrong JS type becomes a validation error instead of a crash.

/// One JS value as the validator sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Val {
    /// The property is absent or `undefined`.
    #[default]
    Missing,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Function,
    Array,
    /// An `AbortSignal` (duck-typed: `aborted` and `addEventListener`).
    AbortSignal,
    /// Any other object.
    Object,
    BigInt,
    Symbol,
}

impl Val {
    /// A short name of the JS type, for error messages.
    pub fn type_name(&self) -> String {
        match self {
            Val::Missing => "undefined".into(),
            Val::Null => "null".into(),
            Val::Bool(_) => "boolean".into(),
            Val::Num(n) if n.is_nan() => "NaN".into(),
            Val::Num(n) => format!("number {}", format_number(*n)),
            Val::Str(_) => "string".into(),
            Val::Function => "function".into(),
            Val::Array => "array".into(),
            Val::AbortSignal => "AbortSignal".into(),
            Val::Object => "object".into(),
            Val::BigInt => "bigint".into(),
            Val::Symbol => "symbol".into(),
        }
    }

    /// `undefined` and `null` both mean "not given" for optional fields.
    pub fn is_absent(&self) -> bool {
        matches!(self, Val::Missing | Val::Null)
    }
}

/// A JSON value as the validator sees it (nested values are only named by type). The one
/// conversion from serde_json, used by the response classifier and the proxy alike.
#[cfg(any(not(target_arch = "wasm32"), feature = "edge"))]
pub fn from_json(v: &serde_json::Value) -> Val {
    use serde_json::Value;
    match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Val::Str(s.clone()),
        Value::Array(_) => Val::Array,
        Value::Object(_) => Val::Object,
    }
}

/// Formats a number for messages with integer arithmetic only (up to 6 decimals), so the wasm
/// binary carries no float-formatting code.
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if n.abs() >= 1e15 {
        return if n > 0.0 { "above 1e15" } else { "below -1e15" }.into();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let micros = (n.abs() * 1e6).round() as u64;
    let (whole, frac) = (micros / 1_000_000, micros % 1_000_000);
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let digits = format!("{frac:06}");
    format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
}

/// An object's own enumerable properties, in order, as `(key, value)` pairs.
pub type Fields = Vec<(String, Val)>;

/// Looks a key up in `fields` (absent keys read as `Val::Missing`).
pub fn get<'a>(fields: &'a Fields, key: &str) -> &'a Val {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or(&Val::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_without_float_formatting() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(1.5), "1.5");
        assert_eq!(format_number(-0.1), "-0.1");
        assert_eq!(format_number(2147483647.0), "2147483647");
        assert_eq!(format_number(0.65), "0.65");
        assert_eq!(format_number(1e-9), "0");
        assert_eq!(format_number(f64::NAN), "NaN");
        assert_eq!(format_number(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(format_number(3e20), "above 1e15");
        assert_eq!(Val::Num(1.5).type_name(), "number 1.5");
    }
}
