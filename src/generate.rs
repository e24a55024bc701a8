//! The `POST /images` (generation) request: checked field by field with the same rules and
//! messages as an upscale request, so bad input is refused naming the field before anything
//! is sent or billed.

use crate::error::{Error, Result};
use crate::validate::{
    choice, opt_int, opt_reply_url, opt_string, reject_unknown, JsonObject, Scalar,
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

/// A checked `POST /images` body: the fields given, in the API's names and order. Absent
/// options are left out so the API applies its defaults.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerateRequest {
    body: JsonObject,
}

impl GenerateRequest {
    /// The body's fields, only those given.
    pub fn entries(&self) -> JsonObject {
        self.body.clone()
    }

    /// One field's value as sent, if given.
    pub fn get(&self, field: &str) -> Option<&Scalar> {
        self.body.iter().find(|(k, _)| *k == field).map(|(_, v)| v)
    }
}

/// `{base}/images`, where a generation is started.
pub fn generate_url(base: &str) -> String {
    format!("{base}/images")
}

/// How one field is checked.
#[derive(Clone, Copy)]
enum Rule {
    Prompt,
    /// A non-empty string of at most this many characters; passed on as given.
    Name(usize),
    /// One of these (case-insensitive, sent in this spelling).
    Choice(&'static [&'static str]),
    ReplyUrl,
    ReplyRef,
    MaxJobs,
}

/// Every field with its rule, in the order they are checked and sent. A table rather than
/// code per field, so the wasm binary carries one loop.
const RULES: [(&str, Rule); 14] = [
    ("prompt", Rule::Prompt),
    ("model", Rule::Name(100)),
    ("ratio", Rule::Choice(&RATIOS)),
    ("resolution", Rule::Choice(&GENERATE_RESOLUTIONS)),
    ("imageRef_1", Rule::Name(1024)),
    ("imageRef_2", Rule::Name(1024)),
    ("imageRef_3", Rule::Name(1024)),
    ("imageRef_4", Rule::Name(1024)),
    ("imageRef_5", Rule::Name(1024)),
    ("imageRef_6", Rule::Name(1024)),
    ("account", Rule::Name(256)),
    ("replyUrl", Rule::ReplyUrl),
    ("replyRef", Rule::ReplyRef),
    ("maxJobs", Rule::MaxJobs),
];

/// Checks a generation request object field by field.
pub fn generate_request(fields: &Fields) -> Result<GenerateRequest> {
    reject_unknown(fields, &GENERATE_FIELDS, "request")?;
    let mut body = JsonObject::new();
    // References given so far; each must follow the one before it.
    let mut refs = 0;
    for (field, rule) in RULES {
        let v = get(fields, field);
        if v.is_absent() {
            continue;
        }
        let value = match rule {
            Rule::Prompt => Some(Scalar::Str(prompt(v)?)),
            Rule::Name(max) => Some(Scalar::Str(name(field, v, max)?)),
            Rule::Choice(allowed) => Some(Scalar::Str(choice(field, v, allowed)?.into())),
            Rule::ReplyUrl => opt_reply_url(v)?.map(Scalar::Str),
            Rule::ReplyRef => opt_string(fields, field, 1024)?.map(Scalar::Str),
            Rule::MaxJobs => opt_int(fields, field, 1, 50)?.map(Scalar::Int),
        };
        let Some(value) = value else { continue };
        if field.starts_with("imageRef_") {
            let expected = IMAGE_REF_FIELDS.get(refs).copied().unwrap_or_default();
            if field != expected {
                return Err(Error::validation(
                    field,
                    format!(
                        "is given without {expected} (references are numbered contiguously from imageRef_1)"
                    ),
                ));
            }
            refs += 1;
        }
        body.push((field, value));
    }
    if refs == 0 && get(fields, "prompt").is_absent() {
        return Err(Error::validation(
            "prompt",
            "is required (unless imageRef_1 is given)",
        ));
    }
    Ok(GenerateRequest { body })
}

/// The prompt: at most `MAX_PROMPT_CHARS` characters, counted as Unicode code points (an
/// emoji is one, though JS `.length` says 2).
fn prompt(v: &Val) -> Result<String> {
    let s = name("prompt", v, usize::MAX)?;
    let count = crate::text::char_count(&s);
    if count > MAX_PROMPT_CHARS {
        return Err(Error::validation(
            "prompt",
            format!(
                "is {count} characters long, more than the {MAX_PROMPT_CHARS} allowed (counted as Unicode code points, not bytes)"
            ),
        ));
    }
    Ok(s)
}

/// A non-empty string without control characters (but newlines in a prompt), at most `max`
/// characters.
fn name(field: &str, v: &Val, max: usize) -> Result<String> {
    let why = match v {
        Val::Str(s) if s.trim().is_empty() => "must not be empty (leave it out instead)".into(),
        Val::Str(s) if field != "prompt" && s.chars().any(char::is_control) => {
            "must not contain control characters".into()
        }
        Val::Str(s) if crate::text::char_count(s) > max => {
            format!("is longer than {max} characters")
        }
        Val::Str(s) => return Ok(s.clone()),
        v => format!("must be a string, got {}", v.type_name()),
    };
    Err(Error::validation(field, why))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::validate::json_text;
    use crate::value::fields_of as f;

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
        assert_eq!(r.get("prompt"), None);
        assert_eq!(json_text(&r.entries()), r#"{"imageRef_1":"asset-1"}"#);
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
        assert_eq!(generate_request(&f(&all)).unwrap().entries().len(), 6);
        // null counts as absent, as for every optional field.
        let r = generate_request(&f(&[("imageRef_1", s("a")), ("imageRef_2", Val::Null)]));
        assert_eq!(r.unwrap().entries().len(), 1);
    }

    /// The validation table: each bad value is refused naming its field.
    #[test]
    fn bad_values_name_their_field() {
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
            r#"Invalid ratio: must be one of auto, 1:1, 3:4, 16:9, 4:3, 9:16, 2:3, 3:2, 21:9, got "5:4""#
        );
    }
}
