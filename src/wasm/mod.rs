//! The thin wasm-bindgen layer: JS values in, `fetch` and timers out. No business logic lives
//! here; decisions come from the plain modules of the crate.

mod abort;
pub mod client;
mod convert;
#[cfg(feature = "edge")]
mod proxy;
mod transport;
mod types;
#[cfg(feature = "edge")]
mod webhook;

pub use client::DreaminaClient;

/// Runs once when the module is instantiated; in debug builds, reports panics to the console.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    #[cfg(feature = "debug-panic-hook")]
    console_error_panic_hook::set_once();
}
