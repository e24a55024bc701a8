//! The edge targets of `tests/fuzz.rs`: the proxy's route matcher fed hostile paths, the
//! upscale bodies it forwards, and the webhook bodies `handleWebhook` reads. Generators first,
//! then the invariants each output must keep.

use super::*;

/// An upscale request body as a caller (or an attacker) might post it to the proxy.
pub fn upscale_body(r: &mut Rng) -> Vec<u8> {
    let mut pairs = Vec::new();
    for k in UPSCALE
        .field_names()
        .iter()
        .chain(["account", "__proto__", "token"].iter())
    {
        if k == &"jobid" && !r.chance(8) {
            let id = if r.chance(2) {
                format!("j{}i-u1-US:a@b.com:dreamina", r.next())
            } else {
                text(r, 30)
            };
            pairs.push(format!("\"jobid\":{id:?}"));
        } else if r.chance(3) {
            let good = match *k {
                "imageIndex" => "2",
                "upscaleResolution" => "\"8K\"",
                "originalImageStrength" | "detailStrength" => "0.25",
                "replyUrl" => "\"https://hooks.example.com/x?y=1\"",
                "replyRef" => "\"order-7\"",
                "maxJobs" => "50",
                _ => "null",
            };
            let v = if r.chance(2) {
                good.to_string()
            } else {
                json_value(r)
            };
            pairs.push(format!("{k:?}:{v}"));
        }
    }
    let obj = format!("{{{}}}", pairs.join(","));
    match r.below(8) {
        0 => lossy_bytes(r, 200).into_bytes(),
        1 => (0..r.below(200)).map(|_| r.next() as u8).collect(),
        2 => mutate(r, &obj).into_bytes(),
        3 => deep(r).into_bytes(),
        4 => format!("\u{feff}{obj}").into_bytes(),
        _ => obj.into_bytes(),
    }
}

/// A webhook body: the job in JSON (in an envelope, double-encoded), a form, or garbage.
pub fn webhook_body(r: &mut Rng) -> String {
    let id = if r.chance(2) {
        format!("{:?}", text(r, 30))
    } else {
        json_value(r)
    };
    let key = r.pick(&["jobid", "jobId", "job_id", "request", "status"]);
    let job = format!("{{{key:?}:{id},\"replyRef\":{}}}", json_value(r));
    match r.below(9) {
        0 => lossy_bytes(r, 200),
        1 => mutate(r, JOB),
        2 => format!(
            "{{{:?}:{job}}}",
            r.pick(&["data", "payload", "job", "event", "x"])
        ),
        3 => format!("{job:?}"),
        4 => format!(
            "jobid={}&replyRef={}",
            encode_path_segment(&text(r, 20)),
            text(r, 8)
        ),
        5 => deep(r),
        _ => job,
    }
}

/// Pieces of a hostile job id segment: dots and slashes in every spelling an attacker tries
/// (percent-encoded in either case, twice, `%u`, backslashes, look-alike dots), controls,
/// parameters, and pieces of real job ids.
pub const PATH_PIECES: &[&str] = &[
    ".",
    "..",
    "...",
    "/",
    "\\",
    "%2e",
    "%2E",
    "%2f",
    "%2F",
    "%5c",
    "%5C",
    "%252e",
    "%252E",
    "%252f",
    "%252F",
    "%255c",
    "%25252e",
    "%u002e",
    "%u002f",
    "%U002E",
    "%c0%ae",
    "%c0%af",
    "%e2%80%a4",
    "%ef%bc%8e",
    "%EF%BC%8F",
    "%00",
    "%0a",
    "%0D",
    "%09",
    "%20",
    " ",
    "%7f",
    "%c2%85",
    "%",
    "%%",
    "%2",
    "%g1",
    ";",
    "%3b",
    "?",
    "%3F",
    "#",
    "%23",
    "@",
    "%40",
    ":",
    "%3A",
    "%3a",
    "upscale",
    "%75pscale",
    "images",
    "scheduler",
    "accounts",
    "__mock",
    "reset",
    "j1125000000000000001i-u12345-US",
    "user",
    "example.com",
    "dreamina",
    "~",
    "-",
    "_",
    "é",
    "%C3%A9",
    "%C3",
    "%FF",
    "💥",
];

/// A raw request path aimed at the proxy mounted at `base`: mostly the job route with a
/// hostile segment, sometimes a near miss of the prefix.
pub fn hostile_path(r: &mut Rng, base: &str) -> String {
    let mut seg = String::new();
    if r.chance(20) {
        seg.push_str(r.pick(&["upscale", "%75pscale", "%75%70scale", "upscal%65"]));
    } else if r.chance(3) {
        // A plausible job id, encoded by a client (any case of hex) or not at all.
        let local: String = (0..r.below(10))
            .map(|_| r.pick(&['a', 'Z', '0', '.', '/', '?', '#', '%', '+', 'é']))
            .collect();
        let id = format!("j{}i-u1-US:{local}@example.com:dreamina", r.next());
        seg = match r.below(3) {
            0 => encode_path_segment(&id),
            1 => encode_path_segment(&id).to_ascii_lowercase(),
            _ => id,
        };
    }
    let pieces = if !seg.is_empty() && r.chance(2) {
        0
    } else {
        r.below(8) + 1
    };
    for _ in 0..pieces {
        match r.below(10) {
            0 => seg.push_str(&text(r, 6)),
            1 => seg.push_str(&encode_path_segment(&text(r, 6))),
            2 => {
                // One more layer of encoding over what is there so far.
                seg = seg.replace('%', "%25");
            }
            3 => seg.push_str(&format!("%{:02x}", r.below(256))),
            _ => seg.push_str(r.pick(PATH_PIECES)),
        }
    }
    let prefix = match r.below(12) {
        0 => format!("{base}/images"),
        1 => format!("{base}/scheduler/"),
        2 => format!("{base}/%69mages/"),
        3 => format!("{base}//images/"),
        4 => format!("{base}/images/..%2F"),
        5 => "/images/".to_string(),
        _ => format!("{base}/images/"),
    };
    let suffix = match r.below(10) {
        0 => "/".to_string(),
        1 => format!("/{}", r.pick(PATH_PIECES)),
        _ => String::new(),
    };
    format!("{prefix}{seg}{suffix}")
}

pub fn method(r: &mut Rng) -> String {
    match r.below(12) {
        0..=4 => "GET".into(),
        5..=7 => "POST".into(),
        8 => "OPTIONS".into(),
        9 => r
            .pick(&["DELETE", "PUT", "PATCH", "HEAD", "get", "post"])
            .into(),
        10 => "".into(),
        _ => text(r, 8),
    }
}

/// A body is forwarded only as a JSON object of known fields with a valid job id; anything
/// else is a 400 naming what is wrong.
pub fn check_upscale_body(bytes: &[u8]) -> Check {
    let out =
        parse_upscale_body(bytes).and_then(|map| upstream_upscale_body(&fields_from_json(&map)));
    match out {
        Err(r) => ensure(r.status == 400 && !r.message.is_empty(), || {
            format!("{r:?}")
        }),
        Ok(json) => {
            let v: serde_json::Value =
                serde_json::from_str(&json).map_err(|e| format!("{e}: {json}"))?;
            let obj = v
                .as_object()
                .ok_or_else(|| format!("not an object: {json}"))?;
            ensure(
                obj.keys()
                    .all(|k| UPSCALE.field_names().contains(&k.as_str())),
                || format!("unknown key forwarded: {json}"),
            )?;
            let id = obj
                .get("jobid")
                .and_then(|j| j.as_str())
                .ok_or_else(|| format!("no jobid: {json}"))?;
            ensure(
                dreamina_upscale::host::jobid("jobid", &Val::Str(id.into())).is_ok(),
                || format!("bad jobid forwarded: {json}"),
            )
        }
    }
}

/// A webhook body yields a job id that passes the client's rules, or a validation error
/// naming the body or the job id.
pub fn check_webhook(body: &str) -> Check {
    match parse_webhook(body) {
        Ok(h) => ensure(
            dreamina_upscale::host::jobid("jobid", &Val::Str(h.jobid.clone())).is_ok(),
            || format!("{h:?}"),
        ),
        Err(e) => ensure(
            e.kind() == ErrorKind::Validation && matches!(e.field(), Some("body" | "jobid")),
            || format!("{:?} {:?}: {e}", e.kind(), e.field()),
        ),
    }
}

/// A decoder written apart from the crate's, for checking what the matcher forwards.
pub fn decode_checked(seg: &str) -> Option<String> {
    let b = seg.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// What may be forwarded: `POST /images/upscale`, or `GET /images/{one canonical segment}`
/// whose decoded id no router could read as a path (no dot segment of any spelling, no
/// backslash, no control character, no escape left to decode a second time).
pub fn check_route((method, path, base): &(String, String, &str)) -> Check {
    let route = match match_route(method, path, base) {
        Routing::Forward(route) => route,
        _ => return Ok(()),
    };
    ensure(path.starts_with(&format!("{base}/images/")), || {
        format!("forwarded a path outside {base}/images/: {route:?}")
    })?;
    match route.kind {
        RouteKind::Upscale => ensure(
            method == "POST" && route.path == "/images/upscale" && route.jobid.is_none(),
            || format!("forwarded an upscale route other than POST /images/upscale: {route:?}"),
        ),
        RouteKind::GetJob => {
            ensure(method == "GET", || {
                format!("forwarded a {method} job route")
            })?;
            let seg = route
                .path
                .strip_prefix("/images/")
                .ok_or_else(|| format!("forwarded outside /images/: {route:?}"))?;
            let canonical = seg.split('%').enumerate().all(|(i, part)| {
                let (hex, rest) = if i == 0 {
                    ("", part)
                } else {
                    part.split_at(2.min(part.len()))
                };
                (i == 0
                    || (hex.len() == 2
                        && hex
                            .bytes()
                            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))))
                    && rest
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c))
            });
            ensure(!seg.is_empty() && canonical, || {
                format!("forwarded segment is not canonical: {seg:?}")
            })?;
            ensure(seg != "upscale", || "forwarded GET /images/upscale".into())?;
            let id = decode_checked(seg).ok_or_else(|| format!("undecodable {seg:?}"))?;
            ensure(Some(&id) == route.jobid.as_ref(), || {
                format!("segment {seg:?} is not the job id {:?}", route.jobid)
            })?;
            let dots = id.split('/').any(|s| {
                let s = s.split(';').next().unwrap_or("").trim_matches(' ');
                !s.is_empty()
                    && s.chars().all(|c| {
                        matches!(c, '.' | '\u{2024}'..='\u{2026}' | '\u{fe52}' | '\u{ff0e}')
                    })
            });
            let escaped = id
                .as_bytes()
                .windows(3)
                .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
            ensure(
                !dots && !escaped && !id.contains('\\') && !id.chars().any(char::is_control),
                || format!("forwarded a job id that reads as a path: {id:?}"),
            )
        }
    }
}
