//! The endpoint tables checked value by value: each bad value is refused naming its field,
//! each good request is sent in the API's names and order.

use super::*;
use crate::json::{field, json_text};
use crate::testing::{fields_of as f, s};

/// Each `(field, value)` added to an otherwise good request (`good`) is refused, the error
/// naming that field.
fn each_refused_naming_its_field(endpoint: &Endpoint, good: (&str, Val), cases: Vec<(&str, Val)>) {
    for (field, val) in cases {
        let mut fields = f(std::slice::from_ref(&good));
        fields.retain(|(k, _)| k != field);
        fields.push((field.to_string(), val.clone()));
        let err = endpoint
            .check(&fields)
            .expect_err(&format!("{field} = {val:?} should fail"));
        assert_eq!(err.field(), Some(field), "{field} = {val:?}: {err}");
        assert!(err.to_string().contains(field), "{err}");
    }
}

const ID: &str = "j1125000000000000001i-u12345-US:user@example.com:dreamina";

#[test]
fn minimal_request_sends_only_jobid() {
    let r = UPSCALE.check(&f(&[("jobid", s(ID))])).unwrap();
    assert_eq!(json_text(&r), format!("{{\"jobid\":\"{ID}\"}}"));
}

#[test]
fn full_request_serialises_in_api_names() {
    let r = UPSCALE
        .check(&f(&[
            ("jobid", s(ID)),
            ("imageIndex", Val::Num(3.0)),
            ("upscaleResolution", s("8K")),
            ("originalImageStrength", Val::Num(0.0)),
            ("detailStrength", Val::Num(1.0)),
            ("replyUrl", s("https://hooks.example.com/x?y=1")),
            ("replyRef", s("order-7")),
            ("maxJobs", Val::Num(50.0)),
        ]))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json_text(&r)).unwrap();
    assert_eq!(v["imageIndex"], 3);
    assert_eq!(v["upscaleResolution"], "8k");
    assert_eq!(v["originalImageStrength"], 0.0);
    assert_eq!(v["detailStrength"], 1.0);
    assert_eq!(v["replyUrl"], "https://hooks.example.com/x?y=1");
    assert_eq!(v["replyRef"], "order-7");
    assert_eq!(v["maxJobs"], 50);
}

#[test]
fn null_and_undefined_optionals_are_left_out() {
    let r = UPSCALE
        .check(&f(&[
            ("jobid", s(ID)),
            ("imageIndex", Val::Null),
            ("maxJobs", Val::Missing),
        ]))
        .unwrap();
    assert_eq!(field(&r, "imageIndex"), None);
    assert_eq!(field(&r, "maxJobs"), None);
}

/// The validation table: each bad value is refused naming its field.
#[test]
fn upscale_bad_values_name_their_field() {
    let cases: Vec<(&str, Val)> = vec![
        ("jobid", Val::Missing),
        ("jobid", s("")),
        ("jobid", s("   ")),
        ("jobid", Val::Num(5.0)),
        ("jobid", s("a\nb")),
        ("jobid", s("..")),
        ("jobid", s(".")),
        ("jobid", s("j1-u1-US:a/../b@example.com:dreamina")),
        ("jobid", s("j1\\..\\b")),
        ("jobid", s("j1%2F..%2Fb")),
        ("jobid", s("j1\u{7f}")),
        ("imageIndex", Val::Num(4.0)),
        ("imageIndex", Val::Num(-1.0)),
        ("imageIndex", Val::Num(1.5)),
        ("imageIndex", Val::Num(f64::NAN)),
        ("imageIndex", Val::Num(f64::INFINITY)),
        ("imageIndex", s("1")),
        ("imageIndex", Val::Bool(true)),
        ("upscaleResolution", s("16k")),
        ("upscaleResolution", s("")),
        ("upscaleResolution", Val::Num(4.0)),
        ("originalImageStrength", Val::Num(1.01)),
        ("originalImageStrength", Val::Num(-0.1)),
        ("originalImageStrength", Val::Num(f64::NAN)),
        ("originalImageStrength", s("0.5")),
        ("detailStrength", Val::Num(2.0)),
        ("detailStrength", Val::Object),
        ("maxJobs", Val::Num(0.0)),
        ("maxJobs", Val::Num(51.0)),
        ("maxJobs", Val::Num(2.5)),
        ("maxJobs", Val::BigInt),
        ("replyUrl", s("not a url")),
        ("replyUrl", s("ftp://x.example.com")),
        ("replyUrl", s("/relative")),
        ("replyUrl", Val::Num(1.0)),
        ("replyRef", Val::Num(1.0)),
        ("replyRef", Val::Str("x".repeat(2000))),
        ("upscaleResoluton", s("4k")),
    ];
    each_refused_naming_its_field(&UPSCALE, ("jobid", s(ID)), cases);
}

#[test]
fn reply_ref_limit_counts_bytes() {
    let r = f(&[("jobid", s(ID)), ("replyRef", s(&"€".repeat(342)))]);
    let e = UPSCALE.check(&r).unwrap_err();
    assert_eq!(e.field(), Some("replyRef"));
    assert!(e.to_string().contains("1024 bytes"), "{e}");
}

#[test]
fn minimal_request_sends_only_the_prompt() {
    let r = GENERATE.check(&f(&[("prompt", s("a red fox"))])).unwrap();
    assert_eq!(json_text(&r), r#"{"prompt":"a red fox"}"#);
}

#[test]
fn full_request_serialises_in_api_names_and_order() {
    let r = GENERATE
        .check(&f(&[
            ("maxJobs", Val::Num(5.0)),
            ("imageRef_2", s("asset-2")),
            ("imageRef_1", s("asset-1")),
            ("imageStrength", Val::Num(0.7)),
            ("prompt", s("fox")),
            ("model", s("seedream-9.9-new")),
            ("ratio", s("16:9")),
            ("resolution", s("2K")),
            ("account", s("user@example.com")),
            ("replyUrl", s("https://hooks.example.com/g")),
            ("replyRef", s("r1")),
        ]))
        .unwrap();
    assert_eq!(
        json_text(&r),
        r#"{"prompt":"fox","model":"seedream-9.9-new","ratio":"16:9","resolution":"2k","imageRef_1":"asset-1","imageRef_2":"asset-2","imageStrength":0.7,"account":"user@example.com","replyUrl":"https://hooks.example.com/g","replyRef":"r1","maxJobs":5}"#
    );
}

#[test]
fn an_image_reference_makes_the_prompt_optional() {
    let r = GENERATE.check(&f(&[("imageRef_1", s("asset-1"))])).unwrap();
    assert_eq!(field(&r, "prompt"), None);
    assert_eq!(json_text(&r), r#"{"imageRef_1":"asset-1"}"#);
    let e = GENERATE.check(&f(&[])).unwrap_err();
    assert_eq!(e.field(), Some("prompt"));
    assert!(e.to_string().contains("imageRef_1"), "{e}");
}

#[test]
fn the_prompt_limit_counts_characters_not_bytes() {
    // 1600 two-byte and four-byte characters: 3200 and 6400 bytes, still 1600 characters.
    for c in ["é", "🦊"] {
        let ok = c.repeat(MAX_PROMPT_CHARS);
        assert!(GENERATE.check(&f(&[("prompt", s(&ok))])).is_ok());
        let long = c.repeat(MAX_PROMPT_CHARS + 1);
        let e = GENERATE.check(&f(&[("prompt", s(&long))])).unwrap_err();
        assert_eq!(e.field(), Some("prompt"));
        assert!(
            e.to_string().contains("1601 characters") && e.to_string().contains("not bytes"),
            "{e}"
        );
    }
}

#[test]
fn references_must_be_contiguous_from_one() {
    let e = GENERATE
        .check(&f(&[("prompt", s("x")), ("imageRef_2", s("a"))]))
        .unwrap_err();
    assert_eq!(e.field(), Some("imageRef_2"));
    assert!(e.to_string().contains("without imageRef_1"), "{e}");
    let e = GENERATE
        .check(&f(&[
            ("imageRef_1", s("a")),
            ("imageRef_2", s("b")),
            ("imageRef_4", s("d")),
        ]))
        .unwrap_err();
    assert_eq!(e.field(), Some("imageRef_4"));
    assert!(e.to_string().contains("without imageRef_3"), "{e}");
    let all: Vec<(&str, Val)> = GENERATE
        .field_names()
        .into_iter()
        .filter(|k| k.starts_with("imageRef_"))
        .map(|k| (k, s("a")))
        .collect();
    assert_eq!(GENERATE.check(&f(&all)).unwrap().len(), 6);
    // null counts as absent, as for every optional field.
    let r = GENERATE.check(&f(&[("imageRef_1", s("a")), ("imageRef_2", Val::Null)]));
    assert_eq!(r.unwrap().len(), 1);
}

/// The validation table: each bad value is refused naming its field.
#[test]
fn generate_bad_values_name_their_field() {
    let cases: Vec<(&str, Val)> = vec![
        ("prompt", Val::Missing),
        ("prompt", s("")),
        ("prompt", s("  ")),
        ("prompt", Val::Num(1.0)),
        ("prompt", Val::Array),
        ("model", s("")),
        ("model", Val::Num(4.0)),
        ("model", s("a\nb")),
        ("model", Val::Str("m".repeat(101))),
        ("ratio", s("5:4")),
        ("ratio", s("")),
        ("ratio", Val::Num(1.0)),
        ("resolution", s("8k")),
        ("resolution", Val::Bool(true)),
        ("imageRef_1", s("")),
        ("imageRef_1", Val::Num(1.0)),
        ("account", Val::Num(1.0)),
        ("account", s("")),
        ("replyUrl", s("not a url")),
        ("replyUrl", s("ftp://x.example.com")),
        ("replyRef", Val::Num(1.0)),
        ("maxJobs", Val::Num(0.0)),
        ("maxJobs", Val::Num(51.0)),
        ("maxJobs", Val::Num(2.5)),
        ("maxJobs", s("5")),
        ("maxJobs", Val::Num(f64::NAN)),
        ("imageRef_7", s("a")),
        ("imageStrength", Val::Num(1.5)),
        ("imageStrength", Val::Num(-0.1)),
        ("imageStrength", s("0.5")),
        ("imageStrength", Val::Num(f64::NAN)),
        ("promt", s("x")),
        ("seed", Val::Num(1.0)),
    ];
    each_refused_naming_its_field(&GENERATE, ("prompt", s("a fox")), cases);
}

#[test]
fn choices_list_what_is_allowed() {
    let e = GENERATE
        .check(&f(&[("prompt", s("x")), ("ratio", s("5:4"))]))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"Invalid ratio: must be one of auto, 1:1, 3:4, 16:9, 4:3, 9:16, 2:3, 3:2, 21:9, got "5:4""#
    );
}

#[test]
fn urls_put_a_job_id_in_one_segment() {
    let base = "https://h/v1/dreamina";
    assert_eq!(UPSCALE.url(base, ""), format!("{base}/images/upscale"));
    assert_eq!(GENERATE.url(base, ""), format!("{base}/images"));
    let id = "j0302140530123456789i-u12345-US:we/ird?#%x@example.com:dreamina";
    let url = GET_JOB.url(base, id);
    assert_eq!(
        url,
        "https://h/v1/dreamina/images/j0302140530123456789i-u12345-US%3Awe%2Fird%3F%23%25x%40example.com%3Adreamina"
    );
    let seg = url.rsplit('/').next().unwrap();
    assert!(!seg.contains(['/', '?', '#', ':', '@']));
    assert_eq!(
        GET_ACCOUNT.url(base, "US:we/ird?#%x@example.com"),
        format!("{base}/accounts/US%3Awe%2Fird%3F%23%25x%40example.com")
    );
    assert_eq!(LIST_ACCOUNTS.url(base, ""), format!("{base}/accounts"));
    assert_eq!(CANCEL.url(base, "j1"), format!("{base}/scheduler/j1"));
    assert_eq!(LIST_RUNNING.url(base, ""), format!("{base}/scheduler"));
}
