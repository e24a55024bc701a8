//! `dreamina-upscale`: a client for the Dreamina image-upscale API (useapi.net), compiled to
//! WebAssembly for JavaScript. The modules below are plain Rust, tested on the host; the
//! `wasm` module is the thin layer that binds them to `fetch`, timers and JS values. See
//! README "Layout" for which module owns what.
//!
//! Every module is private to the crate, so the compiler reports code nothing uses in the
//! wasm builds (browser and edge), which are what ships. On the host the wasm layer is not
//! compiled, so much of the client is unused there by design; the host build re-exports
//! only what the integration tests (tests/*.rs) check from outside.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]

pub(crate) mod batch;
pub(crate) mod config;
pub(crate) mod endpoint;
pub(crate) mod engine;
pub(crate) mod error;
pub(crate) mod json;
pub(crate) mod options;
pub(crate) mod poll;
#[cfg(any(not(target_arch = "wasm32"), feature = "edge"))]
pub(crate) mod proxy;
pub(crate) mod response;
pub(crate) mod retry;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod testing;
pub(crate) mod text;
pub(crate) mod upload;
pub(crate) mod url;
pub(crate) mod validate;
pub(crate) mod value;
#[cfg(any(not(target_arch = "wasm32"), feature = "edge"))]
pub(crate) mod webhook;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use error::{Error, ErrorKind, JS_PROPERTIES};
#[cfg(target_arch = "wasm32")]
pub use wasm::DreaminaClient;

/// What tests/*.rs check from outside, on the host: the validators and the field lists the
/// TypeScript declarations are compared with (types_sync.rs), and the parsers and checkers
/// fed random input (fuzz.rs).
#[cfg(not(target_arch = "wasm32"))]
pub mod host {
    pub use crate::config::{client_config, is_provider, CLIENT_FIELDS};
    pub use crate::endpoint::{GENERATE, GENERATE_RESOLUTIONS, RATIOS, RESOLUTIONS, UPSCALE};
    pub use crate::json::json_text;
    pub use crate::options::{
        batch_fields, upscale_all_fields, wait_options, CALL_FIELDS, MIN_POLL_INTERVAL_MS,
        SET_PER_IMAGE, WAIT_FIELDS,
    };
    pub use crate::proxy::body::{fields_from_json, parse_upscale_body, upstream_upscale_body};
    pub use crate::proxy::config::PROXY_FIELDS;
    pub use crate::proxy::{match_route, RouteKind, Routing};
    pub use crate::response::{
        classify, parse_http_date, parse_retry_after, TextResponse, MAX_BODY_BYTES,
    };
    pub use crate::upload::UPLOAD_FIELDS;
    pub use crate::url::{encode_path_segment, is_loopback, parse_http_url};
    pub use crate::validate::jobid;
    pub use crate::value::{get, Fields, Val};
    pub use crate::webhook::{parse_webhook, WEBHOOK_FIELDS};
}
