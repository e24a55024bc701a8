//! The TypeScript declarations (src/types.d.ts, emitted into the package's .d.ts) must list
//! exactly the options the Rust validator accepts and the error kinds it produces: a field
//! added on one side and not the other fails here, before a user meets it.
#![cfg(not(target_arch = "wasm32"))]

use dreamina_upscale::host::UPLOAD_FIELDS;
use dreamina_upscale::host::{
    batch_fields, upscale_all_fields, CALL_FIELDS, CLIENT_FIELDS, GENERATE, GENERATE_RESOLUTIONS,
    RATIOS, RESOLUTIONS, SET_PER_IMAGE, UPSCALE, WAIT_FIELDS,
};
use dreamina_upscale::{ErrorKind, JS_PROPERTIES};

const TS: &str = include_str!("../src/types.d.ts");
const EDGE_TS: &str = include_str!("../src/edge.d.ts");

/// The property names of `export interface NAME`, in order: those it inherits through
/// `extends A, Omit<B, "x" | "y">`, then those it declares.
fn interface_fields(name: &str) -> Vec<String> {
    interface_fields_in(TS, name)
}

fn interface_fields_in(ts: &str, name: &str) -> Vec<String> {
    let start = [
        format!("export interface {name} {{"),
        format!("export interface {name} extends "),
    ]
    .iter()
    .find_map(|decl| ts.find(decl.as_str()))
    .unwrap_or_else(|| panic!("interface {name} is not declared"));
    let decl = &ts[start..];
    let open = decl.find('{').unwrap();
    let mut fields = Vec::new();
    if let Some(parents) = decl[..open].split(" extends ").nth(1) {
        for parent in split_parents(parents) {
            fields.extend(parent_fields(ts, parent.trim()));
        }
    }
    let body = &decl[open + 1..];
    let body = &body[..body.find('}').unwrap()];
    fields.extend(
        body.lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("/**") && !l.starts_with('*') && !l.starts_with('['))
            .filter_map(|l| l.split(['?', ':']).next())
            .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .map(String::from),
    );
    fields
}

/// `A, Omit<B, "x" | "y">` split at the top-level commas.
fn split_parents(list: &str) -> Vec<&str> {
    let (mut depth, mut from, mut out) = (0, 0, Vec::new());
    for (i, c) in list.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&list[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    out.push(&list[from..]);
    out
}

/// The fields of `A` or of `Omit<A, "x" | "y">`.
fn parent_fields(ts: &str, parent: &str) -> Vec<String> {
    match parent.strip_prefix("Omit<") {
        Some(rest) => {
            let (base, omitted) = rest.split_once(',').unwrap();
            let omitted = omitted_keys(omitted);
            let mut fields = interface_fields_in(ts, base.trim());
            fields.retain(|f| !omitted.contains(f));
            fields
        }
        None => interface_fields_in(ts, parent),
    }
}

/// The string literals of `"x" | "y">`.
fn omitted_keys(list: &str) -> Vec<String> {
    list.split('"')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

/// The string literals of `export type NAME = "a" | "b" ...;`.
fn union_members(name: &str) -> Vec<String> {
    let start = TS
        .find(&format!("export type {name} ="))
        .unwrap_or_else(|| panic!("type {name} is not declared"));
    let decl = &TS[start..start + TS[start..].find(';').unwrap()];
    decl.split('"')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

fn same(declared: Vec<String>, accepted: &[&str], what: &str) {
    let mut d = declared;
    let mut a: Vec<String> = accepted.iter().map(|s| s.to_string()).collect();
    d.sort();
    a.sort();
    assert_eq!(
        d, a,
        "{what}: TypeScript declares the left, the validator accepts the right"
    );
}

#[test]
fn option_interfaces_match_the_validator() {
    same(
        interface_fields("UpscaleRequest"),
        &UPSCALE.field_names(),
        "UpscaleRequest",
    );
    same(
        interface_fields("ClientOptions"),
        &CLIENT_FIELDS,
        "ClientOptions",
    );
    same(interface_fields("CallOptions"), &CALL_FIELDS, "CallOptions");
    same(interface_fields("WaitOptions"), &WAIT_FIELDS, "WaitOptions");
    same(
        interface_fields("UploadOptions"),
        &UPLOAD_FIELDS,
        "UploadOptions",
    );
    same(
        interface_fields("GenerateFields"),
        &GENERATE.field_names(),
        "GenerateFields",
    );
    same(
        interface_fields("BatchOptions"),
        &batch_fields(),
        "BatchOptions",
    );
    same(
        interface_fields("UpscaleAllOptions"),
        &[batch_fields(), upscale_all_fields()].concat(),
        "UpscaleAllOptions",
    );
    // The request fields upscaleAll sets itself are omitted from its options, in both languages.
    let decl = "export interface UpscaleAllOptions extends BatchOptions, Omit<UpscaleRequest, ";
    let at = TS
        .find(decl)
        .expect("UpscaleAllOptions extends BatchOptions and UpscaleRequest");
    let omitted = omitted_keys(&TS[at + decl.len()..][..TS[at + decl.len()..].find('>').unwrap()]);
    same(omitted, &SET_PER_IMAGE, "fields upscaleAll sets per image");
}

#[test]
fn generate_needs_a_prompt_or_a_first_reference() {
    assert!(TS.contains(
        "export type GenerateRequest = GenerateFields & ({ prompt: string } | { imageRef_1: string });"
    ));
    for f in interface_fields("GenerateFields") {
        assert!(TS.contains(&format!("  {f}?:")), "{f} should be optional");
    }
}

#[test]
fn unions_match_the_rust_enums() {
    let kinds: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    same(
        union_members("DreaminaErrorKind"),
        &kinds,
        "DreaminaErrorKind",
    );
    same(
        union_members("UpscaleResolution"),
        &RESOLUTIONS,
        "UpscaleResolution",
    );
    same(union_members("GenerateRatio"), &RATIOS, "GenerateRatio");
    same(
        union_members("GenerateResolution"),
        &GENERATE_RESOLUTIONS,
        "GenerateResolution",
    );
}

#[test]
fn dreamina_error_properties_come_from_one_list() {
    same(
        interface_fields("DreaminaErrorProps"),
        &JS_PROPERTIES,
        "DreaminaErrorProps",
    );
    // js/error.js copies every property but `kind` (which has a default) from one array.
    let js = include_str!("../js/error.js");
    let list = &js[js
        .find("for (const key of [")
        .expect("error.js copies a list")
        + 19..];
    let list = &list[..list.find(']').unwrap()];
    let copied: Vec<String> = list
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect();
    let mut expected: Vec<&str> = JS_PROPERTIES.to_vec();
    expected.retain(|p| *p != "kind");
    assert_eq!(
        copied, expected,
        "js/error.js copies the properties of JS_PROPERTIES"
    );
    assert!(js.contains("this.kind = props.kind"));
}

#[test]
fn only_jobid_is_required() {
    assert!(
        TS.contains("  jobid: string;"),
        "UpscaleRequest.jobid is required"
    );
    for f in interface_fields("UpscaleRequest")
        .iter()
        .filter(|f| *f != "jobid")
    {
        assert!(TS.contains(&format!("  {f}?:")), "{f} should be optional");
    }
}

#[test]
fn edge_option_interfaces_match_the_validators() {
    use dreamina_upscale::host::WEBHOOK_FIELDS;
    use dreamina_upscale::host::{RouteKind, PROXY_FIELDS};
    same(
        interface_fields_in(EDGE_TS, "ProxyOptions"),
        &PROXY_FIELDS,
        "ProxyOptions",
    );
    same(
        interface_fields_in(EDGE_TS, "WebhookOptions"),
        &WEBHOOK_FIELDS,
        "WebhookOptions",
    );
    // `ProxyRoute.kind` and `.method` name exactly the routes the matcher knows.
    let route = &EDGE_TS[EDGE_TS.find("export interface ProxyRoute {").unwrap()..];
    let route = &route[..route.find("\n}").unwrap()];
    for kind in RouteKind::ALL {
        let (name, method) = (kind.as_str(), kind.method());
        assert!(
            route.contains(&format!("\"{name}\"")),
            "ProxyRoute.kind lacks {name}"
        );
        assert!(
            route.contains(&format!("\"{method}\"")),
            "ProxyRoute.method lacks {method}"
        );
    }
    assert_eq!(route.matches(" | ").count(), 2 * (RouteKind::ALL.len() - 1));
}
