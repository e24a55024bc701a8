//! Conversions across the boundary: JS objects into the validator's `Val`s, and — in exactly one
//! place — the crate's `Error` into the JS `DreaminaError`, its properties serialised by
//! serde-wasm-bindgen.

use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{Error, Result, JS_PROPERTIES};
use crate::validate::wrong_type;
use crate::value::{Fields, Val};

#[wasm_bindgen]
extern "C" {
    // Caller-supplied objects may be Proxies whose traps throw: every call on them is declared
    // `catch`, because an exception unwinding through wasm would corrupt the instance.
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    pub(crate) fn object_keys(obj: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn array_is_array(v: &JsValue) -> Result<bool, JsValue>;
}

/// `Array.isArray` that treats a throwing Proxy as "not an array". The one binding of it in
/// the client (js-sys's is a second import, with its own glue).
pub(crate) fn is_array(v: &JsValue) -> bool {
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
        Val::BigInt
    } else if v.is_symbol() {
        Val::Symbol
    } else if is_array(v) {
        Val::Array
    } else if is_abort_signal(v) {
        Val::AbortSignal
    } else {
        Val::Object
    }
}

/// Duck-typed, so signals from another realm or a polyfill work too.
fn is_abort_signal(v: &JsValue) -> bool {
    prop(v, "aborted").as_bool().is_some() && prop(v, "addEventListener").is_function()
}

/// The own enumerable properties of an options object. `undefined`/`null` read as `{}` when
/// `optional`; anything that is not a plain object is a validation error naming `what`.
pub fn fields(obj: &JsValue, what: &str, optional: bool) -> Result<Fields> {
    read_object(obj, what, optional).map(|(fields, _)| fields)
}

/// `fields`, with the JS value of each property (each getter runs once).
pub fn read_object(obj: &JsValue, what: &str, optional: bool) -> Result<(Fields, Vec<JsValue>)> {
    if optional && (obj.is_undefined() || obj.is_null()) {
        return Ok((Vec::new(), Vec::new()));
    }
    let is_plain_object = obj.is_object() && !is_array(obj) && !obj.is_function();
    if !is_plain_object {
        return Err(wrong_type(what, "an object", &to_val(obj)));
    }
    let keys = object_keys(obj)
        .map_err(|_| Error::validation(what, "could not be read (listing its keys threw)"))?;
    let (mut fields, mut values) = (Vec::new(), Vec::new());
    for i in 0..length(&keys) as u32 {
        let key = at(&keys, i);
        let name = key.as_string().unwrap_or_default();
        let value = Reflect::get(obj, &key)
            .map_err(|_| Error::validation(name.clone(), "could not be read (its getter threw)"))?;
        fields.push((name, to_val(&value)));
        values.push(value);
    }
    Ok((fields, values))
}

/// The outcome of calling a user's (or a runtime's) function: what it threw, or what it
/// returned, awaited when that is a promise (a rejection is an `Err` too).
pub async fn awaited(called: Result<JsValue, JsValue>) -> Result<JsValue, JsValue> {
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&called?)).await
}

/// `obj.length`, 0 when it is not a number. With `at`, how arrays and byte views are read:
/// through `Reflect`, already bound, as js-sys's own `length` and index getters of each type
/// would be an import each.
pub fn length(obj: &JsValue) -> f64 {
    prop(obj, "length").as_f64().unwrap_or(0.0)
}

/// `obj[index]`, `undefined` when unreadable.
pub fn at(obj: &JsValue, index: u32) -> JsValue {
    Reflect::get(obj, &index.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Reads one property, `undefined` when absent or unreadable (`Reflect.get` of `null`,
/// `undefined` or another primitive throws, and is caught).
pub fn prop(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Builds the JS `DreaminaError`: an `Error` (so it has a stack) named "DreaminaError" with
/// the properties of `JS_PROPERTIES`. The only Error→JS conversion.
pub fn error_to_js(err: &Error, jobid: Option<&str>) -> JsValue {
    error_with_job(err, jobid, &JsValue::UNDEFINED)
}

/// `error_to_js`, with the failed job attached as `job` for kind "job_failed".
pub fn error_with_job(err: &Error, jobid: Option<&str>, job: &JsValue) -> JsValue {
    // wasm-bindgen's own `Error(message)` (serde-wasm-bindgen's errors use it too): js-sys's
    // `new Error` and `name` setter would be two imports more. `name` is the first property
    // assigned, as a setter would have made it.
    let e = JsValue::from(wasm_bindgen::JsError::new(&err.to_string()));
    // The properties beyond the message (`undefined` when they do not apply); `job` is the very
    // object the API's answer was parsed into.
    let job = match err {
        Error::JobFailed { .. } | Error::Cancelled { .. } => job,
        _ => &JsValue::UNDEFINED,
    };
    let [kind, status, id, field, retry_after, failed_job] = JS_PROPERTIES;
    let props = object(&[
        ("name", Prop::Str(Some("DreaminaError"))),
        (kind, Prop::Str(Some(err.kind().as_str()))),
        (status, Prop::Num(err.status().map(f64::from))),
        (id, Prop::Str(jobid)),
        (field, Prop::Str(err.field())),
        (
            retry_after,
            Prop::Num(err.retry_after_ms().map(|ms| ms as f64)),
        ),
        (failed_job, Prop::Js(job)),
    ]);
    Object::assign(e.unchecked_ref::<Object>(), props.unchecked_ref());
    e
}

/// One property value of an object built for JS: `None` becomes `undefined`.
pub enum Prop<'a> {
    Str(Option<&'a str>),
    Num(Option<f64>),
    /// A JS value handed over as it is.
    Js(&'a JsValue),
}

/// One value type for an object's entries (a JS value preserved as it is), so
/// serde-wasm-bindgen's entry code is compiled once, not once per kind of value.
impl Serialize for Prop<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Prop::Str(v) => v.serialize(s),
            Prop::Num(v) => v.serialize(s),
            Prop::Js(v) => serde_wasm_bindgen::preserve::serialize(*v, s),
        }
    }
}

/// A plain JS object with these properties in this order, built by serde-wasm-bindgen. One
/// map-shaped builder for every Rust-made object (errors' properties, batch results and
/// events), so the binary carries no derived struct serialisers and their key cache.
pub fn object(props: &[(&str, Prop)]) -> JsValue {
    struct Obj<'a>(&'a [(&'a str, Prop<'a>)]);
    impl Serialize for Obj<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for (key, value) in self.0 {
                map.serialize_entry(key, value)?;
            }
            map.end()
        }
    }
    // Strings, numbers and preserved JS values under string keys cannot fail to serialise;
    // were it to, the caller would see an empty object, never an exception.
    Obj(props)
        .serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .unwrap_or_else(|_| Object::new().into())
}
