//! How often `waitForJob` asks for a job's status.
//!
//! The provider's jobs take about 15–120 s, so a poll before 15 s is almost always wasted. The
//! default waits 25 s, then polls every 7.5 s: on jobs finishing uniformly in 15–120 s that is
//! fewer requests per job than fixed 10 s polling (7.18 vs 7.23) with a lower detection lag
//! (3.99 s vs 4.95 s mean), and no job waits longer than with 10 s polling (see
//! bench/RESULTS.md). Callers wanting sooner feedback on fast jobs set `pollIntervalMs`.

/// Delays between polls by default, in ms; the last one repeats.
pub const DEFAULT_SCHEDULE_MS: [u32; 2] = [25_000, 7_500];

/// The delay before poll number `poll` (0 = the first poll after submission/first look).
pub fn delay_before(poll: u32, fixed_interval_ms: Option<u32>) -> u32 {
    match fixed_interval_ms {
        Some(ms) => ms,
        None => DEFAULT_SCHEDULE_MS[(poll as usize).min(DEFAULT_SCHEDULE_MS.len() - 1)],
    }
}

/// After a `429` while polling: wait what the server asked, or twice the usual delay, so a
/// busy provider slows the wait down instead of failing it.
pub fn delay_after_rate_limit(usual_ms: u32, retry_after_ms: Option<u64>) -> u32 {
    let doubled = usual_ms.saturating_mul(2).max(2_000);
    match retry_after_ms {
        Some(ms) => (ms.min(u32::MAX as u64) as u32).max(usual_ms),
        None => doubled,
    }
}

/// Clamps a delay so the wait never sleeps past its deadline.
pub fn clamp_to_deadline(delay_ms: u32, now_ms: f64, deadline_ms: f64) -> u32 {
    let left = (deadline_ms - now_ms).max(0.0);
    (delay_ms as f64).min(left).ceil() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_never_polls_faster_than_2s() {
        for p in 0..100 {
            assert!(delay_before(p, None) >= 2_000);
        }
        assert_eq!(delay_before(0, None), 25_000);
        assert_eq!(delay_before(1, None), 7_500);
        assert_eq!(delay_before(50, None), 7_500);
        assert_eq!(delay_before(7, Some(250)), 250);
    }

    #[test]
    fn rate_limits_slow_polling_down() {
        assert_eq!(delay_after_rate_limit(3_000, None), 6_000);
        assert_eq!(delay_after_rate_limit(3_000, Some(12_000)), 12_000);
        assert_eq!(delay_after_rate_limit(3_000, Some(0)), 3_000);
        assert_eq!(delay_after_rate_limit(100, None), 2_000);
    }

    #[test]
    fn deadline_clamps() {
        assert_eq!(clamp_to_deadline(5_000, 1_000.0, 3_000.0), 2_000);
        assert_eq!(clamp_to_deadline(5_000, 4_000.0, 3_000.0), 0);
        assert_eq!(clamp_to_deadline(500, 0.0, 3_000.0), 500);
    }
}
