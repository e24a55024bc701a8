//! Reading bodies and headers of JS requests and responses, capped and without a throw through
//! wasm: shared by the proxy (the caller's upscale body, the provider's answer) and the webhook
//! (the provider's call). Objects are only duck-typed: a framework's request look-alike works.

use js_sys::{Function, Uint8Array};
use wasm_bindgen::prelude::*;

use super::convert::{awaited, prop};
use crate::proxy::{BodyBudget, Reject};

/// Why a body could not be read whole.
pub(super) enum ReadError {
    /// It passed the limit (the 413 to answer with).
    TooLarge(Reject),
    /// The stream failed, or the body was already consumed.
    Failed,
}

/// `headers.get(name)` on the `headers` of a request or response, `None` when absent or
/// unreadable (a getter or `get` that throws is caught).
pub(super) fn header(owner: &JsValue, name: &str) -> Option<String> {
    let headers = prop(owner, "headers");
    super::fetch::header(headers.unchecked_ref(), name)
}

/// Reads the body of `owner` (a `Request` or `Response`), stopping as soon as it passes
/// `limit`: a lying or missing `Content-Length` cannot make the proxy buffer more. Objects
/// without a stream fall back to `arrayBuffer()`.
pub(super) async fn read_capped(owner: &JsValue, limit: usize) -> Result<Vec<u8>, ReadError> {
    let mut budget = BodyBudget::new(limit);
    let stream = prop(owner, "body");
    if stream.is_null_or_undefined() {
        return Ok(Vec::new());
    }
    let Ok(get_reader) = prop(&stream, "getReader").dyn_into::<Function>() else {
        let buffer = settle(call_method(owner, "arrayBuffer")).await?;
        let bytes = Uint8Array::new(&buffer).to_vec();
        return budget
            .take(bytes.len())
            .map(|_| bytes)
            .map_err(ReadError::TooLarge);
    };
    let reader = get_reader.call0(&stream).map_err(|_| ReadError::Failed)?;
    let mut out = Vec::new();
    loop {
        let chunk = settle(call_method(&reader, "read")).await?;
        if prop(&chunk, "done").is_truthy() {
            return Ok(out);
        }
        let value = Uint8Array::new(&prop(&chunk, "value"));
        if let Err(r) = budget.take(value.length() as usize) {
            // Stop the sender; the rest of the body is never buffered.
            let _ = call_method(&reader, "cancel");
            return Err(ReadError::TooLarge(r));
        }
        out.extend_from_slice(&value.to_vec());
    }
}

/// Awaits what a call returned (a value or a promise); a throw or a rejection is `Failed`.
async fn settle(called: Result<JsValue, JsValue>) -> Result<JsValue, ReadError> {
    awaited(called).await.map_err(|_| ReadError::Failed)
}

/// `obj[name]()`, an `Err` when it is not a function or throws.
pub(super) fn call_method(obj: &JsValue, name: &str) -> Result<JsValue, JsValue> {
    prop(obj, name).dyn_into::<Function>()?.call0(obj)
}
