//! The options objects of the client's calls, checked once per call: `CallOptions` (`upscale`,
//! `generate`, `getJob`), `WaitOptions` (`waitForJob` and the `…AndWait` calls) and
//! `BatchOptions` (`upscaleMany`, `upscaleAll`). Each list of names is the one the TypeScript
//! interfaces are tested against; the longer lists are built from the shorter ones.

use crate::config::max_retries;
use crate::endpoint::UPSCALE;
use crate::error::Result;
use crate::validate::{opt_bool, opt_function, opt_int, opt_ms, opt_signal, reject_unknown};
use crate::value::Fields;

/// Options of one `upscale` / `generate` / `getJob` call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    pub timeout_ms: Option<u32>,
    pub max_retries: Option<u32>,
}

pub const CALL_FIELDS: [&str; 3] = ["signal", "timeoutMs", "maxRetries"];

/// Checks the per-call options object.
pub fn call_options(fields: &Fields) -> Result<CallOptions> {
    reject_unknown(fields, &CALL_FIELDS, "call")?;
    call_settings(fields)
}

/// The checks of `call_options` but for unknown keys, for option objects that add their own
/// fields to a call's (`uploadImage`'s).
pub fn call_settings(fields: &Fields) -> Result<CallOptions> {
    opt_signal(fields)?;
    Ok(CallOptions {
        timeout_ms: opt_ms(fields, "timeoutMs", 1.0)?,
        max_retries: max_retries(fields)?,
    })
}

/// Options of `waitForJob`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WaitOptions {
    /// A fixed poll interval; `None` uses the default schedule.
    pub poll_interval_ms: Option<u32>,
    /// Overall limit of the wait.
    pub timeout_ms: u32,
    pub request_timeout_ms: Option<u32>,
    pub max_retries: Option<u32>,
    /// After an abort, cancel the job(s) the call created or waited for that still run.
    pub cancel_on_abort: bool,
}

/// How long `waitForJob` waits in all when not told.
pub const DEFAULT_WAIT_TIMEOUT_MS: u32 = 15 * 60 * 1000;
/// The shortest poll interval a caller may ask for.
pub const MIN_POLL_INTERVAL_MS: f64 = 100.0;

pub const WAIT_FIELDS: [&str; 7] = [
    "pollIntervalMs",
    "timeoutMs",
    "requestTimeoutMs",
    "signal",
    "onUpdate",
    "maxRetries",
    "cancelOnAbort",
];

/// Checks the `waitForJob` options object.
pub fn wait_options(fields: &Fields) -> Result<WaitOptions> {
    reject_unknown(fields, &WAIT_FIELDS, "wait")?;
    wait_settings(fields)
}

/// The checks of `wait_options` but for unknown keys, for option objects that add their own
/// fields to the wait's (a batch's).
fn wait_settings(fields: &Fields) -> Result<WaitOptions> {
    opt_signal(fields)?;
    opt_function(fields, "onUpdate")?;
    Ok(WaitOptions {
        poll_interval_ms: opt_ms(fields, "pollIntervalMs", MIN_POLL_INTERVAL_MS)?,
        timeout_ms: opt_ms(fields, "timeoutMs", 1.0)?.unwrap_or(DEFAULT_WAIT_TIMEOUT_MS),
        request_timeout_ms: opt_ms(fields, "requestTimeoutMs", 1.0)?,
        max_retries: max_retries(fields)?,
        cancel_on_abort: opt_bool(fields, "cancelOnAbort")?.unwrap_or(false),
    })
}

/// Jobs in flight when `concurrency` is not given: the provider's default account `maxJobs`.
pub const DEFAULT_CONCURRENCY: usize = 10;
/// Upper bound of `concurrency`: the highest `maxJobs` an account can have.
pub const MAX_CONCURRENCY: i64 = 50;

/// What a batch's options add to the wait options of each item.
pub const BATCH_ONLY_FIELDS: [&str; 2] = ["concurrency", "onResult"];
/// The upscale request fields `upscaleAll` sets itself, per image; its options take the rest.
pub const SET_PER_IMAGE: [&str; 2] = ["jobid", "imageIndex"];

/// Every option of `upscaleMany`: the wait options and `BATCH_ONLY_FIELDS`.
pub fn batch_fields() -> Vec<&'static str> {
    WAIT_FIELDS.into_iter().chain(BATCH_ONLY_FIELDS).collect()
}

/// The upscale request fields `upscaleAll` applies to every image.
pub fn upscale_all_fields() -> Vec<&'static str> {
    let mut names = UPSCALE.field_names();
    names.retain(|name| !SET_PER_IMAGE.contains(name));
    names
}

/// Checked options of one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOptions {
    pub concurrency: usize,
    /// Applied to each item's wait (and `timeoutMs` also bounds its back-pressure).
    pub wait: WaitOptions,
}

/// Checks the `upscaleMany` options object.
pub fn batch_options(fields: &Fields) -> Result<BatchOptions> {
    reject_unknown(fields, &batch_fields(), "batch")?;
    checked_batch_options(fields)
}

/// Checks the `upscaleAll` options object; also returns the per-image request fields.
pub fn upscale_all_options(fields: &Fields) -> Result<(BatchOptions, Fields)> {
    let per_image = upscale_all_fields();
    let mut known = batch_fields();
    known.extend(&per_image);
    reject_unknown(fields, &known, "upscaleAll")?;
    let mut extras = Fields::new();
    for (k, v) in fields {
        if per_image.contains(&k.as_str()) {
            extras.push((k.clone(), v.clone()));
        }
    }
    // Checked once, up front, with the upscale rules and messages.
    UPSCALE.check(&crate::batch::image_request("x", 0, &extras))?;
    Ok((checked_batch_options(fields)?, extras))
}

fn checked_batch_options(fields: &Fields) -> Result<BatchOptions> {
    opt_function(fields, "onResult")?;
    let concurrency = opt_int(fields, "concurrency", 1, MAX_CONCURRENCY)?;
    Ok(BatchOptions {
        concurrency: concurrency.map_or(DEFAULT_CONCURRENCY, |n| n as usize),
        // Unknown keys were refused by the caller; the wait options are checked as waitForJob's.
        wait: wait_settings(fields)?,
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::testing::{fields_of as f, s};
    use crate::value::Val;

    #[test]
    fn wait_options_checked() {
        let w = wait_options(&f(&[])).unwrap();
        assert_eq!(w.timeout_ms, DEFAULT_WAIT_TIMEOUT_MS);
        assert_eq!(w.poll_interval_ms, None);
        assert!(wait_options(&f(&[("pollIntervalMs", Val::Num(10.0))])).is_err());
        assert!(wait_options(&f(&[("onUpdate", s("x"))])).is_err());
        assert!(!w.cancel_on_abort);
        let c = wait_options(&f(&[("cancelOnAbort", Val::Bool(true))])).unwrap();
        assert!(c.cancel_on_abort);
        let e = wait_options(&f(&[("cancelOnAbort", s("yes"))])).unwrap_err();
        assert_eq!(e.field(), Some("cancelOnAbort"));
        assert!(wait_options(&f(&[("signal", Val::Object)])).is_err());
        assert!(wait_options(&f(&[
            ("signal", Val::AbortSignal),
            ("onUpdate", Val::Function)
        ]))
        .is_ok());
    }
}
