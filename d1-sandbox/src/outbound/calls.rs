//! The record of every outbound call: what was sent, why, each attempt and the outcome, as
//! `GET /sandbox/outbound/calls` shows it. Bounded: the newest [`CALLS_KEPT`] calls are kept.

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;

/// How many calls the record keeps; older ones are forgotten (and counted).
pub const CALLS_KEPT: usize = 1000;

/// Where a call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// Waiting for its turn (calls to one issuer go one at a time, in order).
    Queued,
    /// An attempt failed in a way worth another one, which is waiting for its backoff.
    Retrying,
    /// The issuer answered with the declared success.
    Delivered,
    /// Given up: a failure another attempt would not fix, or the last attempt failed.
    Dropped,
}

/// One try at a call.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// When it was sent (simulated time).
    pub at: String,
    /// The HTTP status, when the issuer answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What happened, in words; never a value of the request or the response.
    pub result: String,
    /// Real milliseconds from sending to the end of the answer.
    pub latency_ms: u64,
}

/// One outbound call.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    pub id: u64,
    pub issuer_id: String,
    /// The generated client's name of the operation, e.g. `out_v2_card.notify_card_operations`.
    pub operation: &'static str,
    /// Why the sandbox makes the call, e.g. `card c1: SUSPEND (operation …)`.
    pub trigger: String,
    /// The `x-correlation-id` of every attempt (one per call, so the issuer can tell a repeat).
    pub correlation_id: String,
    pub outcome: Outcome,
    pub attempts: Vec<Attempt>,
    /// When the call was queued (simulated time).
    pub queued_at: String,
}

/// The record; one lock, held only to copy or change a call.
#[derive(Debug, Default)]
pub struct Calls {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    calls: VecDeque<Call>,
    forgotten: u64,
}

impl Calls {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record a new call, `Queued`, with a fresh correlation id; its id and correlation id.
    pub fn open(&self, issuer_id: &str, operation: &'static str, trigger: String, queued_at: String) -> (u64, String) {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        if inner.calls.len() >= CALLS_KEPT {
            inner.calls.pop_front();
            inner.forgotten += 1;
        }
        let correlation_id = d1_client::new_correlation_id();
        inner.calls.push_back(Call {
            id,
            issuer_id: issuer_id.to_string(),
            operation,
            trigger,
            correlation_id: correlation_id.clone(),
            outcome: Outcome::Queued,
            attempts: Vec::new(),
            queued_at,
        });
        (id, correlation_id)
    }

    /// Change call `id` (nothing happens if it was forgotten).
    pub fn update(&self, id: u64, change: impl FnOnce(&mut Call)) {
        let mut inner = self.lock();
        // Ids increase along the queue, so the position is found by search.
        if let Ok(i) = inner.calls.binary_search_by_key(&id, |c| c.id) {
            change(&mut inner.calls[i]);
        }
    }

    /// Call `id`, if still kept.
    pub fn get(&self, id: u64) -> Option<Call> {
        let inner = self.lock();
        inner.calls.binary_search_by_key(&id, |c| c.id).ok().map(|i| inner.calls[i].clone())
    }

    /// Every kept call, oldest first, and how many were forgotten.
    pub fn list(&self) -> (Vec<Call>, u64) {
        let inner = self.lock();
        (inner.calls.iter().cloned().collect(), inner.forgotten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_calls_and_finds_them_by_id() {
        let calls = Calls::default();
        for i in 0..CALLS_KEPT + 5 {
            calls.open("ISSUER0001", "out_v2_card.notify_card_operations", format!("t{i}"), String::new());
        }
        let (kept, forgotten) = calls.list();
        assert_eq!((kept.len(), forgotten), (CALLS_KEPT, 5));
        assert!(calls.get(5).is_none());
        calls.update(6, |c| c.outcome = Outcome::Delivered);
        assert_eq!(calls.get(6).map(|c| (c.trigger, c.outcome)), Some(("t5".to_string(), Outcome::Delivered)));
        assert_ne!(kept[0].correlation_id, kept[1].correlation_id);
    }
}
