//! An options object read from JS once per call: its own enumerable properties are read once
//! (so a getter runs once), checked by the plain-Rust checker of that call, and the JS handles
//! among them (`signal`, `onUpdate`, `onResult`, `fetch`) kept beside the checked settings.

use js_sys::Function;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::AbortSignal;

use super::convert::read_object;
use crate::error::Result;
use crate::value::{Fields, Val};

/// The checked settings of one options object, and the JS handles it carried.
pub(crate) struct Options<T> {
    pub(crate) checked: T,
    pub(crate) signal: Option<AbortSignal>,
    pub(crate) on_update: Option<Function>,
    pub(crate) on_result: Option<Function>,
    pub(crate) fetch: Option<Function>,
}

impl<T> Options<T> {
    /// The same handles with the checked settings mapped.
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Options<U> {
        Options {
            checked: f(self.checked),
            signal: self.signal,
            on_update: self.on_update,
            on_result: self.on_result,
            fetch: self.fetch,
        }
    }
}

/// Reads `obj` (`undefined`/`null` read as `{}` when `optional`) and checks it with `check`.
/// Generic only in this thin shell: the reading is `read_handles`, compiled once.
pub(crate) fn read<T>(
    obj: &JsValue,
    optional: bool,
    check: fn(&Fields) -> Result<T>,
) -> Result<Options<T>> {
    let (fields, handles) = read_handles(obj, optional)?;
    let checked = check(&fields)?;
    Ok(handles.map(|()| checked))
}

/// The properties of an options object and the JS handles among them.
fn read_handles(obj: &JsValue, optional: bool) -> Result<(Fields, Options<()>)> {
    let (fields, values) = read_object(obj, "options", optional)?;
    let mut opts = Options {
        checked: (),
        signal: None,
        on_update: None,
        on_result: None,
        fetch: None,
    };
    // Only handles of the right type are kept; the checker refuses the others.
    for ((name, val), value) in fields.iter().zip(values) {
        match (name.as_str(), val) {
            ("signal", Val::AbortSignal) => opts.signal = Some(value.unchecked_into()),
            ("onUpdate", Val::Function) => opts.on_update = Some(value.unchecked_into()),
            ("onResult", Val::Function) => opts.on_result = Some(value.unchecked_into()),
            ("fetch", Val::Function) => opts.fetch = Some(value.unchecked_into()),
            _ => {}
        }
    }
    Ok((fields, opts))
}

/// Calls a user callback; a throw must not end the wait or the batch (the job would be left
/// unwatched), so it is reported on the console with `what` instead.
pub(crate) fn call_logged(outcome: std::result::Result<JsValue, JsValue>, what: &str) {
    if let Err(e) = outcome {
        web_sys::console::error_2(&JsValue::from_str(what), &e);
    }
}

/// `onUpdate(value)`, when given.
pub(crate) fn notify(on_update: &Option<Function>, value: &JsValue) {
    if let Some(f) = on_update {
        call_logged(
            f.call1(&JsValue::UNDEFINED, value),
            "dreamina-upscale: onUpdate threw; the wait goes on:",
        );
    }
}
