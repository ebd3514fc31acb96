//! The sandbox's clock and its UTC timestamps in ISO 8601 (`2025-01-17T06:28:02.492Z`),
//! without a date library.
//!
//! The clock can run faster than real time ([`Clock::new`]'s `speed`, the `--speed` option), so
//! that what takes D1 hours (a physical card's production) is watched in seconds. It starts at
//! the real time and then advances `speed` simulated seconds per real second: timestamps the
//! sandbox writes and the waits it simulates ([`Clock::sleep`]) both follow it. HTTP timeouts do
//! not: an issuer's answer takes real time.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Simulated time: real time, sped up by a constant factor.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    speed: f64,
    started: Instant,
    started_millis: i64,
}

impl Default for Clock {
    /// Real time.
    fn default() -> Self {
        Clock::new(1.0)
    }
}

impl Clock {
    /// A clock starting now, running `speed` simulated seconds per real second (a speed that is
    /// not a positive finite number counts as 1).
    pub fn new(speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 { speed } else { 1.0 };
        let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Clock { speed, started: Instant::now(), started_millis: i64::try_from(since.as_millis()).unwrap_or(0) }
    }

    /// Simulated seconds per real second.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Simulated milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        let elapsed = self.started.elapsed().as_secs_f64() * self.speed * 1000.0;
        // `as` saturates; a sandbox does not run for 292 million simulated years.
        self.started_millis.saturating_add(elapsed as i64)
    }

    /// Now, in simulated UTC, to the millisecond.
    pub fn now(&self) -> String {
        format_millis(self.now_millis())
    }

    /// The real time `simulated` takes on this clock.
    pub fn real(&self, simulated: Duration) -> Duration {
        Duration::try_from_secs_f64(simulated.as_secs_f64() / self.speed).unwrap_or(Duration::MAX)
    }

    /// Wait for `simulated` time to pass on this clock.
    pub async fn sleep(&self, simulated: Duration) {
        tokio::time::sleep(self.real(simulated)).await;
    }
}

/// Milliseconds since the Unix epoch → `YYYY-MM-DDThh:mm:ss.mmmZ`.
pub fn format_millis(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::Clock;
    use std::time::Duration;

    #[test]
    fn a_fast_clock_shortens_waits_and_advances_timestamps() {
        let clock = Clock::new(3600.0);
        assert_eq!(clock.real(Duration::from_secs(7200)), Duration::from_secs(2));
        let before = clock.now_millis();
        std::thread::sleep(Duration::from_millis(20));
        // 20 ms of real time is at least 72 simulated seconds.
        assert!(clock.now_millis() - before >= 72_000);
        assert_eq!(Clock::new(0.0).speed(), 1.0);
        assert_eq!(Clock::new(f64::NAN).speed(), 1.0);
    }

    #[test]
    fn formats() {
        assert_eq!(super::format_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::format_millis(1_737_095_282_492), "2025-01-17T06:28:02.492Z");
        assert_eq!(super::format_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
