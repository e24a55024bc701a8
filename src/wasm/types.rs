//! TypeScript declarations of the objects the exported functions take and return; the
//! generated `.d.ts` refers to these through `unchecked_param_type`/`unchecked_return_type`.
//! The text lives in `src/types.d.ts`, where a host test checks it against the validator's
//! field lists and the error kinds, so the types and the checks cannot drift apart.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("../types.d.ts");
