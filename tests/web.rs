//! wasm-bindgen-test suite: the exported `DreaminaClient` against the mock API server, run in
//! Node (`wasm-pack test --node`) and in headless Chromium (`WASM_BINDGEN_USE_BROWSER=1`).
//! The mock's URL comes from `DREAMINA_MOCK_URL` at compile time (scripts/test.sh sets it).
#![cfg(target_arch = "wasm32")]

use dreamina_upscale::DreaminaClient;
use js_sys::{Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

const TOKEN: &str = "user:12345-sandbox";
const SQUARE: &str = "j1125000000000000001i-u12345-US:user@example.com:dreamina";
const WEIRD: &str = "j1125000000000000003i-u12345-US:we/ird?#%x@example.com:dreamina";
const FAILING_PREFIX: &str = "j1125000000000000005i";

fn base_url() -> String {
    match option_env!("DREAMINA_MOCK_URL") {
        Some(url) => url.to_string(),
        None => {
            panic!("DREAMINA_MOCK_URL must be set at compile time (run through scripts/test.sh)")
        }
    }
}

fn control_url(path: &str) -> String {
    base_url().replace("/v1/dreamina", &format!("/__mock/{path}"))
}

fn obj(json: &str) -> JsValue {
    JSON::parse(json).expect("test JSON")
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

fn client_with(json: &str) -> DreaminaClient {
    let opts = obj(json);
    Reflect::set(&opts, &"baseUrl".into(), &base_url().into()).unwrap();
    DreaminaClient::new(opts).unwrap_or_else(|e| panic!("client: {e:?}"))
}

fn client() -> DreaminaClient {
    client_with(&format!(
        r#"{{"token":"{TOKEN}","retryBaseDelayMs":10,"retryMaxDelayMs":50}}"#
    ))
}

async fn settle(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

/// Calls the mock's control API with the global fetch (available in Node and browsers).
async fn control(method: &str, path: &str, body: Option<&str>) -> JsValue {
    let fetch: Function = get(&js_sys::global(), "fetch").unchecked_into();
    let init = Object::new();
    Reflect::set(&init, &"method".into(), &method.into()).unwrap();
    if let Some(b) = body {
        Reflect::set(&init, &"body".into(), &b.into()).unwrap();
    }
    let resp = settle(
        fetch
            .call2(&JsValue::UNDEFINED, &control_url(path).into(), &init)
            .unwrap()
            .into(),
    )
    .await
    .unwrap();
    let text: Promise = get(&resp, "text")
        .unchecked_into::<Function>()
        .call0(&resp)
        .unwrap()
        .into();
    let text = settle(text).await.unwrap().as_string().unwrap();
    JSON::parse(&text).unwrap_or(JsValue::NULL)
}

/// Requests the mock has logged whose body or path mentions `marker`.
async fn requests_mentioning(marker: &str) -> u32 {
    let log = control("GET", "requests", None).await;
    let arr: js_sys::Array = log.unchecked_into();
    arr.iter()
        .filter(|r| get(r, "method").as_string().as_deref() != Some("OPTIONS"))
        .filter(|r| {
            JSON::stringify(r)
                .unwrap()
                .as_string()
                .unwrap()
                .contains(marker)
        })
        .count() as u32
}

/// A marker unique to this run, so runs sharing one mock server do not count each other.
fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", (js_sys::Math::random() * 1e12) as u64)
}

fn assert_dreamina_error(e: &JsValue, kind: &str) {
    assert!(e.is_instance_of::<js_sys::Error>(), "not an Error: {e:?}");
    assert_eq!(get(e, "name").as_string().as_deref(), Some("DreaminaError"));
    assert_eq!(
        get(e, "kind").as_string().as_deref(),
        Some(kind),
        "{:?}",
        get(e, "message")
    );
    let msg = get(e, "message").as_string().unwrap();
    assert!(!msg.is_empty() && !msg.contains(TOKEN), "{msg}");
}

#[wasm_bindgen_test]
async fn upscale_and_wait_completes_with_the_asked_resolution() {
    let req = obj(&format!(
        r#"{{"jobid":"{SQUARE}","upscaleResolution":"2k","imageIndex":1}}"#
    ));
    let job = settle(client().upscale_and_wait(req, obj(r#"{"pollIntervalMs":100}"#)))
        .await
        .unwrap();
    assert_eq!(
        get(&job, "status").as_string().as_deref(),
        Some("completed")
    );
    assert_eq!(get(&job, "type").as_string().as_deref(), Some("upscale"));
    let image = get(&get(&get(&job, "response"), "images"), "0");
    assert_eq!(get(&image, "width").as_f64(), Some(2048.0));
    assert_eq!(get(&image, "height").as_f64(), Some(2048.0));
    // Every field the API sent is kept, including ones the client does not know.
    assert_eq!(
        get(&get(&job, "request"), "resolution")
            .as_string()
            .as_deref(),
        Some("2k")
    );
    assert!(get(&job, "model").is_string());
}

#[wasm_bindgen_test]
async fn upscale_then_wait_reports_every_poll() {
    let c = client();
    let created = settle(c.upscale(
        obj(&format!(r#"{{"jobid":"{SQUARE}"}}"#)),
        JsValue::UNDEFINED,
    ))
    .await
    .unwrap();
    assert_eq!(
        get(&created, "status").as_string().as_deref(),
        Some("created")
    );
    let jobid = get(&created, "jobid").as_string().unwrap();
    assert!(jobid.contains("I-u12345"), "{jobid}");
    let seen = js_sys::Array::new();
    let push = seen.clone();
    let on_update = Closure::<dyn FnMut(JsValue)>::new(move |job: JsValue| {
        push.push(&get(&job, "status"));
    });
    let opts = obj(r#"{"pollIntervalMs":100}"#);
    Reflect::set(&opts, &"onUpdate".into(), on_update.as_ref()).unwrap();
    let done = settle(c.wait_for_job(jobid.clone().into(), opts))
        .await
        .unwrap();
    assert_eq!(get(&done, "jobid").as_string(), Some(jobid));
    assert!(seen.length() >= 2, "polls seen: {}", seen.length());
    assert_eq!(
        seen.get(seen.length() - 1).as_string().as_deref(),
        Some("completed")
    );
}

#[wasm_bindgen_test]
async fn validation_errors_name_the_field_and_send_nothing() {
    let marker = &unique("validation-marker");
    let cases = [
        (
            format!(r#"{{"jobid":"{marker}","imageIndex":"1"}}"#),
            "imageIndex",
        ),
        (
            format!(r#"{{"jobid":"{marker}","imageIndex":1.5}}"#),
            "imageIndex",
        ),
        (
            format!(r#"{{"jobid":"{marker}","upscaleResolution":"16k"}}"#),
            "upscaleResolution",
        ),
        (
            format!(r#"{{"jobid":"{marker}","detailStrength":2}}"#),
            "detailStrength",
        ),
        (format!(r#"{{"jobid":"{marker}","maxJobs":0}}"#), "maxJobs"),
        (
            format!(r#"{{"jobid":"{marker}","replyUrl":"nope"}}"#),
            "replyUrl",
        ),
        (r#"{"jobid":""}"#.to_string(), "jobid"),
    ];
    for (json, field) in cases {
        let e = settle(client().upscale(obj(&json), JsValue::UNDEFINED))
            .await
            .unwrap_err();
        assert_dreamina_error(&e, "validation");
        assert_eq!(
            get(&e, "field").as_string().as_deref(),
            Some(field),
            "{json}"
        );
        assert!(get(&e, "message").as_string().unwrap().contains(field));
    }
    // NaN cannot be written in JSON: set it directly.
    let req = obj(&format!(r#"{{"jobid":"{marker}"}}"#));
    Reflect::set(
        &req,
        &"originalImageStrength".into(),
        &JsValue::from_f64(f64::NAN),
    )
    .unwrap();
    let e = settle(client().upscale(req, JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_eq!(
        get(&e, "field").as_string().as_deref(),
        Some("originalImageStrength")
    );
    // Not even a request object.
    let e = settle(client().upscale(JsValue::from(42), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_dreamina_error(&e, "validation");
    assert_eq!(requests_mentioning(marker).await, 0);
}

#[wasm_bindgen_test]
fn bad_client_options_throw_a_validation_error() {
    for (json, field) in [
        (r#"{"token":""}"#, "token"),
        (
            r#"{"token":"t","baseUrl":"http://example.com/v1"}"#,
            "baseUrl",
        ),
        (r#"{"token":"t","maxRetries":-1}"#, "maxRetries"),
        (r#"{"token":"t","timeoutMs":"5"}"#, "timeoutMs"),
        (r#"{"token":"t","colour":"red"}"#, "colour"),
    ] {
        let e = DreaminaClient::new(obj(json)).err().expect(json);
        assert_dreamina_error(&e, "validation");
        assert_eq!(
            get(&e, "field").as_string().as_deref(),
            Some(field),
            "{json}"
        );
    }
    assert!(DreaminaClient::new(JsValue::UNDEFINED).is_err());
}

#[wasm_bindgen_test]
async fn odd_job_ids_travel_as_one_path_segment() {
    let job = settle(client().get_job(WEIRD.into(), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(get(&job, "jobid").as_string().as_deref(), Some(WEIRD));
    assert_eq!(
        get(&job, "status").as_string().as_deref(),
        Some("completed")
    );
}

#[wasm_bindgen_test]
async fn api_errors_have_their_kind_status_and_jobid() {
    let e = settle(client().get_job("j-no-such-job".into(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_dreamina_error(&e, "not_found");
    assert_eq!(get(&e, "status").as_f64(), Some(404.0));
    assert_eq!(
        get(&e, "jobid").as_string().as_deref(),
        Some("j-no-such-job")
    );

    let wrong = client_with(r#"{"token":"user:1-wrong"}"#);
    let e = settle(wrong.get_job(SQUARE.into(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    assert_dreamina_error(&e, "unauthorized");
    assert_eq!(get(&e, "status").as_f64(), Some(401.0));
    assert_eq!(
        get(&e, "message").as_string().as_deref(),
        Some("Unauthorized")
    );
}

#[wasm_bindgen_test]
async fn failed_jobs_reject_with_the_job() {
    let failing = format!("{FAILING_PREFIX}-u12345-US:user@example.com:dreamina");
    let req = obj(&format!(r#"{{"jobid":"{failing}"}}"#));
    let e = settle(client().upscale_and_wait(req, obj(r#"{"pollIntervalMs":100}"#)))
        .await
        .unwrap_err();
    assert_dreamina_error(&e, "job_failed");
    let job = get(&e, "job");
    assert_eq!(get(&job, "status").as_string().as_deref(), Some("failed"));
    assert_eq!(get(&e, "jobid"), get(&job, "jobid"));
    assert!(get(&e, "message")
        .as_string()
        .unwrap()
        .contains("fail_code: 2043"));
}

#[wasm_bindgen_test]
async fn an_aborted_signal_sends_nothing() {
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let opts = Object::new();
    Reflect::set(&opts, &"signal".into(), &controller.signal()).unwrap();
    let marker = &unique("abort-marker");
    let e = settle(client().get_job(marker.into(), opts.into()))
        .await
        .unwrap_err();
    assert_dreamina_error(&e, "aborted");
    assert_eq!(requests_mentioning(marker).await, 0);
}

#[wasm_bindgen_test]
async fn a_wait_times_out_with_the_jobid() {
    let c = client();
    control("POST", "config", Some(r#"{"completeAfterMs":60000}"#)).await;
    let created_slow = settle(c.upscale(
        obj(&format!(r#"{{"jobid":"{SQUARE}"}}"#)),
        JsValue::UNDEFINED,
    ))
    .await;
    control("POST", "config", Some(r#"{"completeAfterMs":300}"#)).await;
    let slow_id = get(&created_slow.unwrap(), "jobid");
    let e = settle(c.wait_for_job(
        slow_id.clone(),
        obj(r#"{"pollIntervalMs":100,"timeoutMs":400}"#),
    ))
    .await
    .unwrap_err();
    assert_dreamina_error(&e, "timeout");
    assert_eq!(get(&e, "jobid"), slow_id);
}

#[wasm_bindgen_test]
async fn rate_limits_are_retried_after_retry_after() {
    let marker = &unique("j-rate-limit");
    control("POST", "faults", Some(&format!(r#"{{"method":"GET","path":"{marker}","status":429,"headers":{{"Retry-After":"0"}},"times":2}}"#))).await;
    let e = settle(client().get_job(marker.into(), JsValue::UNDEFINED))
        .await
        .unwrap_err();
    // After two 429s the third try reaches the real handler: this job does not exist.
    assert_dreamina_error(&e, "not_found");
    assert_eq!(requests_mentioning(marker).await, 3);
}
