//! Conversions across the boundary: JS objects into the validator's `Val`s, and — in exactly one
//! place — the crate's `Error` into the JS `DreaminaError`, its properties serialised by
//! serde-wasm-bindgen.

use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{Error, Result};
use crate::value::{Fields, Val};

#[wasm_bindgen]
extern "C" {
    // Caller-supplied objects may be Proxies whose traps throw: every call on them is declared
    // `catch`, because an exception unwinding through wasm would corrupt the instance.
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn object_keys(obj: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn array_is_array(v: &JsValue) -> Result<bool, JsValue>;
}

/// `Array.isArray` that treats a throwing Proxy as "not an array".
fn is_array(v: &JsValue) -> bool {
    array_is_array(v).unwrap_or(false)
}

/// A JS value as the validator sees it.
pub fn to_val(v: &JsValue) -> Val {
    // Strings first: job ids and statuses are most of what is read, one crossing each.
    if let Some(s) = v.as_string() {
        Val::Str(s)
    } else if v.is_undefined() {
        Val::Missing
    } else if v.is_null() {
        Val::Null
    } else if let Some(b) = v.as_bool() {
        Val::Bool(b)
    } else if let Some(n) = v.as_f64() {
        Val::Num(n)
    } else if v.is_function() {
        Val::Function
    } else if v.is_bigint() {
        Val::Other("bigint")
    } else if v.is_symbol() {
        Val::Other("symbol")
    } else if is_array(v) {
        Val::Object("array")
    } else if is_abort_signal(v) {
        Val::Object("AbortSignal")
    } else {
        Val::Object("object")
    }
}

/// Duck-typed, so signals from another realm or a polyfill work too.
fn is_abort_signal(v: &JsValue) -> bool {
    let aborted = Reflect::get(v, &"aborted".into()).ok();
    let add = Reflect::get(v, &"addEventListener".into()).ok();
    aborted.is_some_and(|a| a.as_bool().is_some()) && add.is_some_and(|f| f.is_function())
}

/// The own enumerable properties of an options object. `undefined`/`null` read as `{}` when
/// `optional`; anything that is not a plain object is a validation error naming `what`.
pub fn fields(obj: &JsValue, what: &str, optional: bool) -> Result<Fields> {
    if optional && obj.is_null_or_undefined() {
        return Ok(Vec::new());
    }
    let is_plain_object = obj.is_object() && !is_array(obj) && !obj.is_function();
    if !is_plain_object {
        return Err(Error::validation(
            what,
            format!("must be an object, got {}", to_val(obj).type_name()),
        ));
    }
    let keys = object_keys(obj)
        .map_err(|_| Error::validation(what, "could not be read (listing its keys threw)"))?;
    let mut out = Vec::new();
    for key in keys.iter() {
        let name = key.as_string().unwrap_or_default();
        let value = Reflect::get(obj, &key)
            .map_err(|_| Error::validation(name.clone(), "could not be read (its getter threw)"))?;
        out.push((name, to_val(&value)));
    }
    Ok(out)
}

/// Reads one property, `undefined` when absent or unreadable.
pub fn prop(obj: &JsValue, key: &str) -> JsValue {
    if obj.is_null_or_undefined() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Builds the JS `DreaminaError`: an `Error` (so it has a stack) named "DreaminaError" with
/// `kind`, `status`, `jobid`, `field`, `retryAfterMs` and `job`. The only Error→JS conversion.
pub fn error_to_js(err: &Error, jobid: Option<&str>) -> JsValue {
    error_with_job(err, jobid, &JsValue::UNDEFINED)
}

/// `error_to_js`, with the failed job attached as `job` for kind "job_failed".
pub fn error_with_job(err: &Error, jobid: Option<&str>, job: &JsValue) -> JsValue {
    let e = js_sys::Error::new(&err.to_string());
    e.set_name("DreaminaError");
    let props = ErrorProps {
        kind: err.kind().as_str(),
        status: err.status(),
        jobid,
        field: err.field(),
        retry_after_ms: err.retry_after_ms().map(|ms| ms as f64),
        job: match err {
            Error::JobFailed { .. } => job.clone(),
            _ => JsValue::UNDEFINED,
        },
    };
    // Serialising these few scalars cannot fail; were it to, the error still has its message.
    if let Ok(props) = props.serialize(&serde_wasm_bindgen::Serializer::new()) {
        Object::assign(&e, props.unchecked_ref());
    }
    e.into()
}

/// The properties of a `DreaminaError` beyond its message (`undefined` when they do not apply).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorProps<'a> {
    kind: &'a str,
    status: Option<u16>,
    jobid: Option<&'a str>,
    field: Option<&'a str>,
    retry_after_ms: Option<f64>,
    /// The failed job, the very object the API's answer was parsed into.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    job: JsValue,
}
