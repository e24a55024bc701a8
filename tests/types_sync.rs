//! The TypeScript declarations (src/types.d.ts, emitted into the package's .d.ts) must list
//! exactly the options the Rust validator accepts and the error kinds it produces: a field
//! added on one side and not the other fails here, before a user meets it.
#![cfg(not(target_arch = "wasm32"))]

use dreamina_upscale::batch::{BATCH_FIELDS, UPSCALE_ALL_FIELDS};
use dreamina_upscale::generate::{GENERATE_FIELDS, GENERATE_RESOLUTIONS, RATIOS};
use dreamina_upscale::validate::{
    CALL_FIELDS, CLIENT_FIELDS, RESOLUTIONS, UPSCALE_FIELDS, WAIT_FIELDS,
};
use dreamina_upscale::ErrorKind;

const TS: &str = include_str!("../src/types.d.ts");

/// The property names declared in `export interface NAME { ... }`, in order.
fn interface_fields(name: &str) -> Vec<String> {
    let start = [
        format!("export interface {name} {{"),
        format!("export interface {name} extends "),
    ]
    .iter()
    .find_map(|decl| TS.find(decl.as_str()))
    .unwrap_or_else(|| panic!("interface {name} is not declared"));
    let body = &TS[start..];
    let body = &body[body.find('{').unwrap() + 1..body.find("\n}").unwrap()];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("/**") && !l.starts_with('*') && !l.starts_with('['))
        .filter_map(|l| l.split(['?', ':']).next())
        .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
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
        &UPSCALE_FIELDS,
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
        interface_fields("GenerateFields"),
        &GENERATE_FIELDS,
        "GenerateFields",
    );
    same(
        interface_fields("BatchOptions"),
        BATCH_FIELDS,
        "BatchOptions",
    );
    same(
        interface_fields("UpscaleAllOptions"),
        UPSCALE_ALL_FIELDS,
        "UpscaleAllOptions",
    );
    assert!(TS.contains("export interface UpscaleAllOptions extends BatchOptions {"));
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
