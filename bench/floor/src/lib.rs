//! The floor under the package's per-call overhead: exactly what bench/baseline/plain.mjs does
//! for a `getJob` (an init object with headers, `fetch(url, init)`, `text()`, `JSON.parse`, a
//! status check), in Rust through wasm-bindgen-futures, with no timeout, no AbortController, no
//! validation and no classification. The gap between this and plain JS is the cost of an
//! exported async function that awaits two promises, before any of the package's own work.

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(url: &str, init: &Object) -> Result<Promise, JsValue>;
    /// `JSON.parse` on the JS string as it is, as plain JS calls it (no copy into wasm).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
}

/// `GET url` with `Accept` and `Authorization`, through `fetch` (the global one when not a
/// function); resolves with the parsed job, rejects on a non-2xx status or a body that is not one.
#[wasm_bindgen(js_name = getJob)]
pub async fn get_job(
    fetch: JsValue,
    url: String,
    authorization: String,
) -> Result<JsValue, JsValue> {
    let set = |o: &Object, k: &str, v: &JsValue| Reflect::set(o, &k.into(), v).map(|_| ());
    let headers = Object::new();
    set(&headers, "Accept", &"application/json".into())?;
    set(&headers, "Authorization", &authorization.into())?;
    let init = Object::new();
    set(&init, "method", &"GET".into())?;
    set(&init, "headers", &headers)?;
    let promise = match fetch.dyn_ref::<Function>() {
        Some(f) => Promise::resolve(&f.call2(&JsValue::UNDEFINED, &url.into(), &init)?),
        None => global_fetch(&url, &init)?,
    };
    let res: Response = JsFuture::from(promise).await?.unchecked_into();
    let text = JsFuture::from(res.text()?).await?;
    let data = json_parse(&text).unwrap_or(JsValue::NULL);
    let status = Reflect::get(&data, &"status".into()).unwrap_or(JsValue::UNDEFINED);
    if !res.ok() || !status.is_string() {
        return Err(js_sys::Error::new(&format!("HTTP {}", res.status())).into());
    }
    Ok(data)
}
