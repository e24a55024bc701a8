//! A loose, host-testable picture of a JS value, so validation can run in plain Rust and a
//! value of the wrong JS type becomes a validation error instead of a crash.

/// One JS value as the validator sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// The property is absent or `undefined`.
    Missing,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Function,
    /// Any other object; the string is a short description such as "object" or "array".
    Object(&'static str),
    /// bigint, symbol, …
    Other(&'static str),
}

impl Val {
    /// A short name of the JS type, for error messages.
    pub fn type_name(&self) -> String {
        match self {
            Val::Missing => "undefined".into(),
            Val::Null => "null".into(),
            Val::Bool(_) => "boolean".into(),
            Val::Num(n) if n.is_nan() => "NaN".into(),
            Val::Num(n) => format!("number {n}"),
            Val::Str(_) => "string".into(),
            Val::Function => "function".into(),
            Val::Object(t) | Val::Other(t) => (*t).into(),
        }
    }

    /// `undefined` and `null` both mean "not given" for optional fields.
    pub fn is_absent(&self) -> bool {
        matches!(self, Val::Missing | Val::Null)
    }
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
