//! `uploadImage`'s rules in plain Rust: which pictures the API takes (JPEG, PNG and WebP, told
//! by their first bytes, whatever a `Blob` declares), how large, the call's options, and which
//! account an upload goes to when none is named. The wasm layer (`wasm::upload`) reads only the
//! data's length and first `SNIFF_BYTES` bytes and hands them here; the bytes stay in JS.

use crate::error::{Error, Result};
use crate::options::{call_settings, CallOptions, CALL_FIELDS};
use crate::validate::{reject_unknown, segment, wrong_type};
use crate::value::{get, Fields, Val};

/// The largest picture the API takes: "max 10 MB" in the provider's documentation, which does
/// not say which megabyte; read as 10 × 1024 × 1024 bytes (the larger, so the client never
/// refuses what the provider takes; a picture it refuses comes back as its 400).
pub const MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;
/// How many first bytes tell the three types apart (WebP needs 12: `RIFF`, a size, `WEBP`).
pub const SNIFF_BYTES: u32 = 12;
/// What `data` may be, for messages and docs.
pub const DATA_TYPES: &str = "a Blob, File, ArrayBuffer, Uint8Array or ReadableStream";

/// A picture type the API takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    /// The `Content-Type` the upload is sent with.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
        }
    }
}

/// The picture type of data that starts with `first`, by its magic number: JPEG `FF D8 FF`,
/// PNG's 8-byte signature, WebP `RIFF????WEBP`.
pub fn sniff(first: &[u8]) -> Option<ImageType> {
    match first {
        [0xff, 0xd8, 0xff, ..] => Some(ImageType::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, ..] => Some(ImageType::Png),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(ImageType::Webp),
        _ => None,
    }
}

/// The error for a `data` of a type the client cannot send.
pub fn wrong_data(v: &Val) -> Error {
    wrong_type("data", DATA_TYPES, v)
}

/// Checks a picture of `len` bytes that starts with `first` (its first `SNIFF_BYTES`, or all
/// of it when shorter): not empty, at most `MAX_UPLOAD_BYTES`, and a JPEG, PNG or WebP.
pub fn check_picture(len: f64, first: &[u8]) -> Result<ImageType> {
    if len <= 0.0 {
        return Err(Error::validation("data", "is empty"));
    }
    if len > MAX_UPLOAD_BYTES as f64 {
        return Err(Error::validation(
            "data",
            format!(
                "is {} bytes, more than the {} (10 MB) the API takes",
                crate::value::format_number(len),
                MAX_UPLOAD_BYTES as u32
            ),
        ));
    }
    sniff(first).ok_or_else(|| {
        Error::validation(
            "data",
            "is not a JPEG, PNG or WebP picture (told by its first bytes, not by its name or declared type)",
        )
    })
}

/// Checked options of one `uploadImage` call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadOptions {
    /// The linked account (`REGION:email`) to upload to; `None`: the first `GET /accounts` lists.
    pub account: Option<String>,
    pub call: CallOptions,
}

/// Every option of `uploadImage`: `account`, then the call options (`CALL_FIELDS`), joined at
/// compile time.
pub const UPLOAD_FIELDS: [&str; 1 + CALL_FIELDS.len()] = {
    let mut all = ["account"; 1 + CALL_FIELDS.len()];
    let mut i = 0;
    while i < CALL_FIELDS.len() {
        all[1 + i] = CALL_FIELDS[i];
        i += 1;
    }
    all
};

/// Checks the `uploadImage` options object.
pub fn upload_options(fields: &Fields) -> Result<UploadOptions> {
    reject_unknown(fields, &UPLOAD_FIELDS, "uploadImage")?;
    let account = match get(fields, "account") {
        v if v.is_absent() => None,
        v => Some(account("account", v)?),
    };
    Ok(UploadOptions {
        account,
        call: call_settings(fields)?,
    })
}

/// An account id, `REGION:email`: it goes into the path as one encoded segment, so it is
/// checked as one (`validate::segment`, the job id's rules).
pub fn account(field: &str, v: &Val) -> Result<String> {
    segment(field, v, "account")
}

/// The account an upload without `account` goes to: the first that `GET /accounts` lists
/// (`first`, the answer's first key; `None` when it lists none).
pub fn first_account(first: Option<String>) -> Result<String> {
    let Some(first) = first else {
        return Err(Error::validation(
            "account",
            "was not given, and GET /accounts lists no linked account: link one on useapi.net, or pass account",
        ));
    };
    account("account", &Val::Str(first))
}

/// Checks the API's answer to an upload: it must name the asset with a string `assetRef`.
pub fn check_asset(asset_ref: &Val) -> Result<()> {
    match asset_ref {
        Val::Str(s) if !s.is_empty() => Ok(()),
        _ => Err(Error::InvalidResponse {
            status: 200,
            message: "The API answered the upload without a string \"assetRef\"".into(),
        }),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::testing::{fields_of as f, s};

    const JPEG: &[u8] = &[
        0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1,
    ];
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0d";
    const WEBP: &[u8] = b"RIFF\x24\0\0\0WEBP";

    fn refused(len: f64, first: &[u8]) -> String {
        let e = check_picture(len, first).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Validation);
        assert_eq!(e.field(), Some("data"));
        e.to_string()
    }

    #[test]
    fn types_are_told_by_their_first_bytes() {
        assert_eq!(sniff(JPEG), Some(ImageType::Jpeg));
        assert_eq!(sniff(&JPEG[..3]), Some(ImageType::Jpeg));
        assert_eq!(sniff(PNG), Some(ImageType::Png));
        assert_eq!(sniff(WEBP), Some(ImageType::Webp));
        assert_eq!(ImageType::Webp.content_type(), "image/webp");
        for other in [
            &b"GIF89a\x01\0\x01\0\0\0"[..],
            b"BM\x36\0\0\0\0\0\0\0\x36\0",       // BMP
            b"RIFF\x24\0\0\0WAVE",               // a RIFF that is not WebP
            b"\x89PNG\r\n\x1a",                  // a PNG signature cut short
            &[0xff, 0xd8],                       // a JPEG start cut short
            b"<svg xmlns='http://www.w3.org/'>", // SVG
            b"",
        ] {
            assert_eq!(sniff(other), None, "{other:?}");
        }
    }

    #[test]
    fn empty_too_large_and_wrong_types_name_data() {
        assert_eq!(check_picture(3.0, JPEG), Ok(ImageType::Jpeg));
        let limit = MAX_UPLOAD_BYTES as f64;
        assert_eq!(check_picture(limit, PNG), Ok(ImageType::Png));
        assert_eq!(refused(0.0, b""), "Invalid data: is empty");
        let big = refused(limit + 1.0, PNG);
        assert!(
            big.contains("10485761 bytes") && big.contains("10485760"),
            "{big}"
        );
        assert!(refused(100.0, b"GIF89a").contains("not a JPEG, PNG or WebP"));
        let e = wrong_data(&s("/photo.jpg"));
        assert_eq!(e.field(), Some("data"));
        assert!(e.to_string().contains(DATA_TYPES), "{e}");
    }

    #[test]
    fn options_take_an_account_and_the_call_options() {
        assert_eq!(upload_options(&f(&[])).unwrap(), UploadOptions::default());
        let o = upload_options(&f(&[
            ("account", s("US:we/ird?#%x@example.com")),
            ("timeoutMs", Val::Num(5.0)),
            ("signal", Val::AbortSignal),
        ]))
        .unwrap();
        assert_eq!(o.account.as_deref(), Some("US:we/ird?#%x@example.com"));
        assert_eq!(o.call.timeout_ms, Some(5));
        let field = |pairs: &[(&str, Val)]| upload_options(&f(pairs)).unwrap_err();
        for bad in [
            s(""),
            s("US:a\u{0}b"),
            s(".."),
            s("US:a%2Fb"),
            Val::Num(1.0),
        ] {
            assert_eq!(field(&[("account", bad.clone())]).field(), Some("account"));
        }
        assert_eq!(field(&[("acount", s("x"))]).field(), Some("acount"));
        assert_eq!(field(&[("timeoutMs", s("5"))]).field(), Some("timeoutMs"));
        assert_eq!(
            UPLOAD_FIELDS,
            ["account", "signal", "timeoutMs", "maxRetries"]
        );
    }

    #[test]
    fn the_default_account_is_the_first_listed() {
        let first = Some("US:a@b.com".to_string());
        assert_eq!(first_account(first).unwrap(), "US:a@b.com");
        let none = first_account(None).unwrap_err();
        assert_eq!(none.field(), Some("account"));
        assert!(none.to_string().contains("no linked account"), "{none}");
    }

    #[test]
    fn an_answer_must_name_its_asset() {
        assert!(check_asset(&s("US:a@b.com-image:w1:h1:s9-uri:x")).is_ok());
        for bad in [Val::Missing, s(""), Val::Num(1.0)] {
            let e = check_asset(&bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{bad:?}");
        }
    }
}
