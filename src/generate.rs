//! The `POST /images` (generation) request: checked field by field with the same rules and
//! messages as an upscale request, so bad input is refused naming the field before anything
//! is sent or billed.

use crate::error::{Error, Result};
use crate::validate::{
    describe, opt_int, opt_reply_url, opt_string, reject_unknown, JsonObject, Scalar,
};
use crate::value::{get, Fields, Val};

/// Longest prompt the API takes, in characters (Unicode code points, not bytes).
pub const MAX_PROMPT_CHARS: usize = 1600;
/// Aspect ratios the API accepts for `ratio`.
pub const RATIOS: [&str; 9] = [
    "auto", "1:1", "3:4", "16:9", "4:3", "9:16", "2:3", "3:2", "21:9",
];
/// Resolutions the API accepts for a generation's `resolution`.
pub const GENERATE_RESOLUTIONS: [&str; 3] = ["1k", "2k", "4k"];
/// `imageRef_1` … `imageRef_6`, in order.
pub const IMAGE_REF_FIELDS: [&str; 6] = [
    "imageRef_1",
    "imageRef_2",
    "imageRef_3",
    "imageRef_4",
    "imageRef_5",
    "imageRef_6",
];

pub const GENERATE_FIELDS: [&str; 14] = [
    "prompt",
    "model",
    "ratio",
    "resolution",
    "imageRef_1",
    "imageRef_2",
    "imageRef_3",
    "imageRef_4",
    "imageRef_5",
    "imageRef_6",
    "account",
    "replyUrl",
    "replyRef",
    "maxJobs",
];

/// A checked `POST /images` body. Absent options are left out so the API applies its defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerateRequest {
    pub prompt: Option<String>,
    /// Passed on as given: new models appear over time and the API judges the name.
    pub model: Option<String>,
    pub ratio: Option<String>,
    pub resolution: Option<String>,
    /// `imageRef_1…`, contiguous from 1.
    pub image_refs: Vec<String>,
    pub account: Option<String>,
    pub reply_url: Option<String>,
    pub reply_ref: Option<String>,
    pub max_jobs: Option<u8>,
}

impl GenerateRequest {
    /// The body's fields in the API's names, only those given.
    pub fn entries(&self) -> JsonObject {
        fn put(out: &mut JsonObject, k: &'static str, v: &Option<String>) {
            out.extend(v.clone().map(|v| (k, Scalar::Str(v))));
        }
        let mut out = Vec::new();
        put(&mut out, "prompt", &self.prompt);
        put(&mut out, "model", &self.model);
        put(&mut out, "ratio", &self.ratio);
        put(&mut out, "resolution", &self.resolution);
        for (k, v) in IMAGE_REF_FIELDS.iter().zip(&self.image_refs) {
            out.push((k, Scalar::Str(v.clone())));
        }
        put(&mut out, "account", &self.account);
        put(&mut out, "replyUrl", &self.reply_url);
        put(&mut out, "replyRef", &self.reply_ref);
        out.extend(self.max_jobs.map(|n| ("maxJobs", Scalar::Int(n.into()))));
        out
    }
}

/// Checks a generation request object field by field.
pub fn generate_request(fields: &Fields) -> Result<GenerateRequest> {
    reject_unknown(fields, &GENERATE_FIELDS, "request")?;
    let image_refs = image_refs(fields)?;
    let prompt = prompt(get(fields, "prompt"), !image_refs.is_empty())?;
    Ok(GenerateRequest {
        prompt,
        model: opt_name(fields, "model", 100)?,
        ratio: opt_choice(fields, "ratio", &RATIOS)?,
        resolution: opt_choice(fields, "resolution", &GENERATE_RESOLUTIONS)?,
        image_refs,
        account: opt_name(fields, "account", 256)?,
        reply_url: opt_reply_url(get(fields, "replyUrl"))?,
        reply_ref: opt_string(fields, "replyRef", 1024)?,
        max_jobs: opt_int(fields, "maxJobs", 1, 50)?.map(|n| n as u8),
    })
}

/// The prompt: required unless a reference image is given; at most `MAX_PROMPT_CHARS`
/// characters, counted as Unicode code points (an emoji is one, though JS `.length` says 2).
fn prompt(v: &Val, has_image: bool) -> Result<Option<String>> {
    match v {
        v if v.is_absent() && has_image => Ok(None),
        v if v.is_absent() => Err(Error::validation(
            "prompt",
            "is required (unless imageRef_1 is given)",
        )),
        Val::Str(s) if s.trim().is_empty() => Err(Error::validation(
            "prompt",
            "must not be empty (leave it out to generate from imageRef_1 alone)",
        )),
        Val::Str(s) if s.chars().count() > MAX_PROMPT_CHARS => Err(Error::validation(
            "prompt",
            format!(
                "is {} characters long, more than the {MAX_PROMPT_CHARS} allowed (counted as Unicode code points, not bytes)",
                s.chars().count()
            ),
        )),
        Val::Str(s) => Ok(Some(s.clone())),
        v => Err(Error::validation(
            "prompt",
            format!("must be a string, got {}", v.type_name()),
        )),
    }
}

/// `imageRef_1…6`: non-empty strings, numbered without gaps from 1.
fn image_refs(fields: &Fields) -> Result<Vec<String>> {
    let mut refs = Vec::new();
    for (i, field) in IMAGE_REF_FIELDS.iter().enumerate() {
        let Some(r) = opt_name(fields, field, 1024)? else {
            continue;
        };
        if refs.len() != i {
            return Err(Error::validation(
                *field,
                format!(
                    "is given without {} (references are numbered contiguously from imageRef_1)",
                    IMAGE_REF_FIELDS[refs.len()]
                ),
            ));
        }
        refs.push(r);
    }
    Ok(refs)
}

/// An optional non-empty string without control characters, at most `max` characters.
fn opt_name(fields: &Fields, field: &str, max: usize) -> Result<Option<String>> {
    match get(fields, field) {
        v if v.is_absent() => Ok(None),
        Val::Str(s) if s.trim().is_empty() => Err(Error::validation(
            field,
            "must not be empty (leave it out for the default)",
        )),
        Val::Str(s) if s.chars().any(char::is_control) => Err(Error::validation(
            field,
            "must not contain control characters",
        )),
        Val::Str(s) if s.chars().count() > max => Err(Error::validation(
            field,
            format!("is longer than {max} characters"),
        )),
        Val::Str(s) => Ok(Some(s.clone())),
        v => Err(Error::validation(
            field,
            format!("must be a string, got {}", v.type_name()),
        )),
    }
}

/// One of `allowed` (case-insensitive, sent in the API's spelling).
fn opt_choice(fields: &Fields, field: &str, allowed: &[&str]) -> Result<Option<String>> {
    let v = get(fields, field);
    match v {
        v if v.is_absent() => Ok(None),
        Val::Str(s) => match allowed.iter().find(|a| a.eq_ignore_ascii_case(s)) {
            Some(a) => Ok(Some(a.to_string())),
            None => Err(choice_error(field, allowed, v)),
        },
        v => Err(choice_error(field, allowed, v)),
    }
}

fn choice_error(field: &str, allowed: &[&str], v: &Val) -> Error {
    let quoted: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
    let quoted: Vec<&str> = quoted.iter().map(String::as_str).collect();
    Error::validation(
        field,
        format!(
            "must be one of {}, got {}",
            crate::url::join(&quoted, ", "),
            describe(v)
        ),
    )
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::validate::json_text;

    fn f(pairs: &[(&str, Val)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn s(x: &str) -> Val {
        Val::Str(x.into())
    }

    #[test]
    fn minimal_request_sends_only_the_prompt() {
        let r = generate_request(&f(&[("prompt", s("a red fox"))])).unwrap();
        assert_eq!(json_text(&r.entries()), r#"{"prompt":"a red fox"}"#);
    }

    #[test]
    fn full_request_serialises_in_api_names_and_order() {
        let r = generate_request(&f(&[
            ("maxJobs", Val::Num(5.0)),
            ("imageRef_2", s("asset-2")),
            ("imageRef_1", s("asset-1")),
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
            json_text(&r.entries()),
            r#"{"prompt":"fox","model":"seedream-9.9-new","ratio":"16:9","resolution":"2k","imageRef_1":"asset-1","imageRef_2":"asset-2","account":"user@example.com","replyUrl":"https://hooks.example.com/g","replyRef":"r1","maxJobs":5}"#
        );
    }

    #[test]
    fn an_image_reference_makes_the_prompt_optional() {
        let r = generate_request(&f(&[("imageRef_1", s("asset-1"))])).unwrap();
        assert_eq!(r.prompt, None);
        assert_eq!(r.image_refs, vec!["asset-1".to_string()]);
        let e = generate_request(&f(&[])).unwrap_err();
        assert_eq!(e.field(), Some("prompt"));
        assert!(e.to_string().contains("imageRef_1"), "{e}");
    }

    #[test]
    fn the_prompt_limit_counts_characters_not_bytes() {
        // 1600 two-byte and four-byte characters: 3200 and 6400 bytes, still 1600 characters.
        for c in ["é", "🦊"] {
            let ok = c.repeat(MAX_PROMPT_CHARS);
            assert!(generate_request(&f(&[("prompt", s(&ok))])).is_ok());
            let long = c.repeat(MAX_PROMPT_CHARS + 1);
            let e = generate_request(&f(&[("prompt", s(&long))])).unwrap_err();
            assert_eq!(e.field(), Some("prompt"));
            assert!(
                e.to_string().contains("1601 characters") && e.to_string().contains("not bytes"),
                "{e}"
            );
        }
    }

    #[test]
    fn references_must_be_contiguous_from_one() {
        let e = generate_request(&f(&[("prompt", s("x")), ("imageRef_2", s("a"))])).unwrap_err();
        assert_eq!(e.field(), Some("imageRef_2"));
        assert!(e.to_string().contains("without imageRef_1"), "{e}");
        let e = generate_request(&f(&[
            ("imageRef_1", s("a")),
            ("imageRef_2", s("b")),
            ("imageRef_4", s("d")),
        ]))
        .unwrap_err();
        assert_eq!(e.field(), Some("imageRef_4"));
        assert!(e.to_string().contains("without imageRef_3"), "{e}");
        let all: Vec<(&str, Val)> = IMAGE_REF_FIELDS.iter().map(|k| (*k, s("a"))).collect();
        assert_eq!(generate_request(&f(&all)).unwrap().image_refs.len(), 6);
        // null counts as absent, as for every optional field.
        let r = generate_request(&f(&[("imageRef_1", s("a")), ("imageRef_2", Val::Null)]));
        assert_eq!(r.unwrap().image_refs.len(), 1);
    }

    /// The validation table: each bad value is refused naming its field.
    #[test]
    fn bad_values_name_their_field() {
        let cases: Vec<(&str, Val)> = vec![
            ("prompt", Val::Missing),
            ("prompt", s("")),
            ("prompt", s("  ")),
            ("prompt", Val::Num(1.0)),
            ("prompt", Val::Object("array")),
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
            ("promt", s("x")),
            ("seed", Val::Num(1.0)),
        ];
        for (field, val) in cases {
            let mut fields = f(&[("prompt", s("a fox"))]);
            fields.retain(|(k, _)| k != field);
            fields.push((field.to_string(), val.clone()));
            let err =
                generate_request(&fields).expect_err(&format!("{field} = {val:?} should fail"));
            assert_eq!(err.field(), Some(field), "{field} = {val:?}: {err}");
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn choices_list_what_is_allowed() {
        let e = generate_request(&f(&[("prompt", s("x")), ("ratio", s("5:4"))])).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"Invalid ratio: must be one of "auto", "1:1", "3:4", "16:9", "4:3", "9:16", "2:3", "3:2", "21:9", got "5:4""#
        );
    }
}
