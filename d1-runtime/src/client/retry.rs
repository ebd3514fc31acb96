//! When and how long to wait before sending a request again.
//!
//! A request is sent again when it is safe and useful:
//!
//! * **connection failures** (nothing reached the server) are retried for every method;
//! * **timeouts, dropped connections and the statuses in [`RetryPolicy::statuses`]** (429, 502,
//!   503, 504 by default) are retried only for idempotent methods (`GET`, `HEAD`, `OPTIONS`,
//!   `PUT`, `DELETE`, RFC 9110 §9.2.2), unless [`RetryPolicy::non_idempotent`] is set: a `POST`
//!   that may have reached D1 is not repeated behind your back;
//! * the wait is exponential (`initial_backoff × 2ⁿ`, capped at `max_backoff`) with full jitter
//!   (a uniformly random part of it), or what the server's `Retry-After` header asks for when
//!   that is longer — unless it is longer than `max_retry_after`, in which case the answer is
//!   returned as it is.

use std::time::{Duration, SystemTime};

/// How a call is retried. [`RetryPolicy::default`] makes at most 3 attempts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Base of the exponential backoff.
    pub initial_backoff: Duration,
    /// Longest computed backoff.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured; a longer one ends the retries.
    pub max_retry_after: Duration,
    /// Statuses worth another attempt.
    pub statuses: Vec<u16>,
    /// Retry non-idempotent methods (`POST`, `PATCH`) on timeouts, dropped connections and
    /// retryable statuses too. Off by default.
    pub non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
            statuses: vec![429, 502, 503, 504],
            non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// At most `attempts` attempts in total.
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Backoff between `initial` and `max`.
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Also retry non-idempotent methods (see the module documentation).
    #[must_use]
    pub fn with_non_idempotent(mut self, yes: bool) -> Self {
        self.non_idempotent = yes;
        self
    }

    /// The statuses worth another attempt.
    #[must_use]
    pub fn with_statuses(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.statuses = statuses.into_iter().collect();
        self
    }

    /// The wait before attempt `attempt + 1` (`attempt` ≥ 1 is the attempt that just failed).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let ceiling = self.initial_backoff.saturating_mul(1u32 << exp).min(self.max_backoff);
        // Full jitter: uniform in [0, ceiling].
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(crate::client::random_u64() % (nanos + 1))
    }
}

/// `Retry-After` as a duration from now: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// Whether a method may be repeated without changing the effect (RFC 9110 §9.2.2).
pub(crate) fn is_idempotent(method: &reqwest::Method) -> bool {
    matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE" | "TRACE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default().with_backoff(Duration::from_millis(100), Duration::from_millis(300));
        for attempt in 1..10 {
            let cap = Duration::from_millis(100 * (1 << (attempt - 1).min(8))).min(Duration::from_millis(300));
            assert!(p.backoff(attempt) <= cap);
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
