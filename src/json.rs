//! The request body type: a flat JSON object of scalars, in order. Built by the endpoint rules
//! (`crate::endpoint`), serialised by the transport (`JSON.stringify` in wasm, so the binary
//! carries no float formatting; serde_json on the host and in the edge build).

/// A JSON scalar of a request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Num(f64),
}

/// A flat JSON object, in order.
pub type JsonObject = Vec<(&'static str, Scalar)>;

/// One field's value, if given.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub fn field<'a>(obj: &'a JsonObject, name: &str) -> Option<&'a Scalar> {
    obj.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// Serialises a flat object in its order, with serde_json's escaping (host and edge builds).
#[cfg(any(not(target_arch = "wasm32"), feature = "edge"))]
pub fn json_text(obj: &JsonObject) -> String {
    let fields: Vec<String> = obj
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Scalar::Str(s) => serde_json::Value::from(s.as_str()),
                Scalar::Int(n) => serde_json::Value::from(*n),
                Scalar::Num(n) => serde_json::Value::from(*n),
            };
            format!("{}:{v}", serde_json::Value::from(*k))
        })
        .collect();
    format!("{{{}}}", fields.join(","))
}
