//! `dreamina-upscale`: a client for the Dreamina image-upscale API (useapi.net), compiled to
//! WebAssembly for JavaScript. The modules below are plain Rust, tested on the host; the
//! `wasm` module is the thin layer that binds them to `fetch`, timers and JS values.

pub mod batch;
pub mod config;
pub mod endpoint;
pub mod engine;
pub mod error;
pub mod json;
pub mod options;
pub mod poll;
#[cfg(any(not(target_arch = "wasm32"), feature = "edge"))]
pub mod proxy;
pub mod response;
pub mod retry;
pub mod text;
pub mod url;
pub mod validate;
pub mod value;
#[cfg(any(not(target_arch = "wasm32"), feature = "edge"))]
pub mod webhook;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, ErrorKind};
