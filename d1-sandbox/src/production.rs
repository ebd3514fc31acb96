//! A card order's production, over simulated time: the order's `PRODUCE` operation moves
//! through the production statuses, and D1 notifies the issuer of each step (Notify Card
//! Operations, `details.status`).
//!
//! D1 publishes the statuses of a central issuance (`CARD_PROD_REQUESTED`, `DATA_PREPARED`,
//! `CARD_PROD_READY`, `CARD_PROD_ONGOING`, `CARD_PROD_DONE`, `CARD_SHIPPED`, with
//! `DATA_EXCEPTION` and `CARD_PROD_CANCELED` off the happy path), not how long each step takes
//! nor that every order passes every step. The timeline here is ours: the happy path, in the
//! listed order, one simulated hour per step; `CARD_SHIPPED` only for an order with a shipment.
//! The operation is `PENDING` until the last step, then `SUCCESSFUL`.

use crate::Sandbox;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// The steps after `CARD_PROD_REQUESTED` (the status an order starts in): wait, then status.
pub const STEPS: [(Duration, &str); 4] =
    [(HOUR, "DATA_PREPARED"), (HOUR, "CARD_PROD_READY"), (HOUR, "CARD_PROD_ONGOING"), (HOUR, "CARD_PROD_DONE")];

/// The last step of an order with a shipment.
pub const SHIPPED: (Duration, &str) = (HOUR, "CARD_SHIPPED");

/// Run the production of `card`'s order `operation_id` to its end, unless the operation is
/// forgotten first.
pub async fn run(sandbox: Sandbox, issuer: String, card: String, operation_id: String, shipped: bool) {
    let steps: Vec<(Duration, &str)> = STEPS.into_iter().chain(shipped.then_some(SHIPPED)).collect();
    let count = steps.len();
    for (i, (wait, status)) in steps.into_iter().enumerate() {
        sandbox.clock().sleep(wait).await;
        let last = i + 1 == count;
        if !sandbox.state().advance_production(&issuer, &card, &operation_id, status, last) {
            return;
        }
        sandbox.dispatch();
    }
}
