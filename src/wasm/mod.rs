//! The thin wasm-bindgen layer: JS values in, `fetch` and timers out. No business logic lives
//! here; decisions come from the plain modules of the crate.

mod batch;
#[cfg(feature = "edge")]
mod body;
mod call;
pub mod client;
mod convert;
pub(crate) mod fetch;
mod options;
#[cfg(feature = "edge")]
mod proxy;
pub(crate) mod timer;
mod transport;
mod types;
mod upload;
#[cfg(feature = "edge")]
mod webhook;

pub use client::DreaminaClient;

/// Runs once when the module is instantiated, in debug builds only: reports panics to the
/// console (a panic aborts the instance, so the message is all there is to see). Release builds
/// have nothing to run, so no start function (nor its export and glue) at all.
#[cfg(any(debug_assertions, feature = "debug-panic-hook"))]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// A small allocator: dlmalloc is about 8 KB of the binary; this client makes few, small
/// allocations on one thread.
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown without atomics runs on one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
