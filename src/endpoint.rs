//! The API's calls as data. Each `Endpoint` says its method, its path, its request body's
//! fields with the rule each is checked by, and what it answers; one loop (`check`) applies
//! the rules, `url` builds the address, and the field lists the TypeScript declarations are
//! tested against are read from the same tables. A new call is one more `Endpoint` here and
//! one client method in `wasm::client`.

use crate::error::{Error, Result};
use crate::json::{JsonObject, Scalar};
use crate::url::encode_path_segment;
use crate::validate::{bytes, choice, int, jobid, name, number, reject_unknown, reply_url};
use crate::value::{get, Fields, Val};

/// The HTTP methods the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// Where an endpoint lives, relative to the base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// A fixed path, such as `/images`.
    Fixed(&'static str),
    /// This prefix, then one path segment (a job id), percent-encoded as one segment.
    Segment(&'static str),
}

/// What a successful answer of an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// A job object: `jobid` and `status` are read from it.
    Job,
    /// A JSON object of any shape, handed back as it is.
    Object,
    /// Anything, or nothing (`204`): the body, when JSON, is handed back.
    Anything,
}

/// How one request field is checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// A job id; required.
    JobId,
    /// An integer in this range.
    Int(i64, i64),
    /// A number in this range.
    Number(f64, f64),
    /// One of these (case-insensitive, sent in this spelling).
    Choice(&'static [&'static str]),
    /// The prompt: at most `MAX_PROMPT_CHARS` characters, newlines allowed.
    Prompt,
    /// A non-empty string of at most this many characters; passed on as given.
    Name(usize),
    /// A `Name(1024)` in a numbered series (`imageRef_1`, `imageRef_2`…): each given one must
    /// follow the one before it.
    Ref,
    /// An absolute http(s) URL.
    ReplyUrl,
    /// A string of at most this many bytes of UTF-8.
    Bytes(usize),
}

/// One call of the API.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Endpoint {
    pub method: Method,
    pub path: Path,
    /// Every field of its request body with its rule, in the order checked and sent.
    pub fields: &'static [(&'static str, Rule)],
    /// Of these fields, at least one must be given: the first, unless one of the others is and
    /// the model takes that alone (which the API judges: models differ); empty when no such
    /// rule applies.
    pub needs_one_of: &'static [&'static str],
    pub answers: Answers,
}

/// Resolutions the API upscales to.
pub const RESOLUTIONS: [&str; 3] = ["2k", "4k", "8k"];
/// Longest prompt the API takes, in characters (Unicode code points, not bytes).
pub const MAX_PROMPT_CHARS: usize = 1600;
/// Aspect ratios the API accepts for `ratio`.
pub const RATIOS: [&str; 9] = [
    "auto", "1:1", "3:4", "16:9", "4:3", "9:16", "2:3", "3:2", "21:9",
];
/// Resolutions the API accepts for a generation's `resolution`.
pub const GENERATE_RESOLUTIONS: [&str; 3] = ["1k", "2k", "4k"];

/// `POST /images/upscale`: starts an upscale of one image of a generation job.
pub const UPSCALE: Endpoint = Endpoint {
    method: Method::Post,
    path: Path::Fixed("/images/upscale"),
    fields: &[
        ("jobid", Rule::JobId),
        ("imageIndex", Rule::Int(0, 3)),
        ("upscaleResolution", Rule::Choice(&RESOLUTIONS)),
        ("originalImageStrength", Rule::Number(0.0, 1.0)),
        ("detailStrength", Rule::Number(0.0, 1.0)),
        ("replyUrl", Rule::ReplyUrl),
        ("replyRef", Rule::Bytes(1024)),
        ("maxJobs", Rule::Int(1, 50)),
    ],
    needs_one_of: &[],
    answers: Answers::Job,
};

/// `POST /images`: starts a generation (the source of every upscale).
pub const GENERATE: Endpoint = Endpoint {
    method: Method::Post,
    path: Path::Fixed("/images"),
    fields: &[
        ("prompt", Rule::Prompt),
        ("model", Rule::Name(100)),
        ("ratio", Rule::Choice(&RATIOS)),
        ("resolution", Rule::Choice(&GENERATE_RESOLUTIONS)),
        ("imageRef_1", Rule::Ref),
        ("imageRef_2", Rule::Ref),
        ("imageRef_3", Rule::Ref),
        ("imageRef_4", Rule::Ref),
        ("imageRef_5", Rule::Ref),
        ("imageRef_6", Rule::Ref),
        ("imageStrength", Rule::Number(0.0, 1.0)),
        ("account", Rule::Name(256)),
        ("replyUrl", Rule::ReplyUrl),
        ("replyRef", Rule::Bytes(1024)),
        ("maxJobs", Rule::Int(1, 50)),
    ],
    needs_one_of: &["prompt", "imageRef_1"],
    answers: Answers::Job,
};

/// `GET /images/{jobid}`: a job's current state.
pub const GET_JOB: Endpoint = Endpoint {
    method: Method::Get,
    path: Path::Segment("/images/"),
    fields: &[],
    needs_one_of: &[],
    answers: Answers::Job,
};

/// `DELETE /scheduler/{jobid}`: cancels an executing job (it fails with "Cancelled by user").
pub const CANCEL: Endpoint = Endpoint {
    method: Method::Delete,
    path: Path::Segment("/scheduler/"),
    fields: &[],
    needs_one_of: &[],
    answers: Answers::Anything,
};

/// `GET /accounts`: the linked accounts, keyed by `REGION:email`.
pub const LIST_ACCOUNTS: Endpoint = Endpoint {
    method: Method::Get,
    path: Path::Fixed("/accounts"),
    fields: &[],
    needs_one_of: &[],
    answers: Answers::Object,
};

/// `GET /accounts/{account}`: one account, with its session, models and credits.
pub const GET_ACCOUNT: Endpoint = Endpoint {
    method: Method::Get,
    path: Path::Segment("/accounts/"),
    fields: &[],
    needs_one_of: &[],
    answers: Answers::Object,
};

/// `GET /scheduler`: the jobs executing now, grouped by account.
pub const LIST_RUNNING: Endpoint = Endpoint {
    method: Method::Get,
    path: Path::Fixed("/scheduler"),
    fields: &[],
    needs_one_of: &[],
    answers: Answers::Object,
};

/// `POST /assets/{account}`: uploads a picture, its raw bytes as the body (no fields: the
/// picture's rules are in `crate::upload`); answers the asset object.
pub const UPLOAD_IMAGE: Endpoint = Endpoint {
    method: Method::Post,
    path: Path::Segment("/assets/"),
    fields: &[],
    needs_one_of: &[],
    answers: Answers::Object,
};

impl Endpoint {
    /// The names of its request fields, in order.
    pub fn field_names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|(name, _)| *name).collect()
    }

    /// `{base}{path}`, with `segment` (a job id) encoded as one path segment for a
    /// `Path::Segment` endpoint.
    pub fn url(&self, base: &str, segment: &str) -> String {
        match self.path {
            Path::Fixed(path) => format!("{base}{path}"),
            Path::Segment(prefix) => format!("{base}{prefix}{}", encode_path_segment(segment)),
        }
    }

    /// Checks a request object field by field with this endpoint's rules: the body to send,
    /// only the fields given, in the table's order (absent options are left out so the API
    /// applies its defaults), or a validation error naming the first bad field.
    pub fn check(&self, fields: &Fields) -> Result<JsonObject> {
        let known = self.field_names();
        reject_unknown(fields, &known, "request")?;
        let mut body = JsonObject::new();
        // The first reference of the series not given: no later one may be.
        let mut missing_ref = None;
        for &(field, rule) in self.fields {
            let v = get(fields, field);
            if v.is_absent() && rule != Rule::JobId {
                if rule == Rule::Ref {
                    missing_ref.get_or_insert(field);
                }
                continue;
            }
            if let (Rule::Ref, Some(expected)) = (rule, missing_ref) {
                return Err(Error::validation(
                    field,
                    format!(
                        "is given without {expected} (references are numbered contiguously from imageRef_1)"
                    ),
                ));
            }
            body.extend(apply(rule, field, v)?.map(|value| (field, value)));
        }
        if let [first, others @ ..] = self.needs_one_of {
            if !body.iter().any(|(k, _)| self.needs_one_of.contains(k)) {
                let others = crate::text::join(others, ", ");
                return Err(Error::validation(
                    *first,
                    format!(
                        "is required (unless {others} is given to a model that takes it alone)"
                    ),
                ));
            }
        }
        Ok(body)
    }
}

/// One field's value as sent, or `None` to leave it out.
fn apply(rule: Rule, field: &str, v: &Val) -> Result<Option<Scalar>> {
    Ok(match rule {
        Rule::JobId => Some(Scalar::Str(jobid(field, v)?)),
        Rule::Int(min, max) => int(field, v, min, max)?.map(Scalar::Int),
        Rule::Number(min, max) => number(field, v, min, max)?.map(Scalar::Num),
        Rule::Choice(allowed) => Some(Scalar::Str(choice(field, v, allowed)?.into())),
        Rule::Prompt => Some(Scalar::Str(prompt(v)?)),
        Rule::Name(max) => Some(Scalar::Str(name(field, v, max)?)),
        Rule::Ref => Some(Scalar::Str(name(field, v, 1024)?)),
        Rule::ReplyUrl => Some(Scalar::Str(reply_url(field, v)?)),
        Rule::Bytes(max) => bytes(field, v, max)?.map(Scalar::Str),
    })
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
