//! The outbound calls: what each operation takes ([`Job`]), the call D1 makes for a change
//! of the sandbox's state ([`job_for`]), and an on-demand call's inputs ([`Job::parse`]).

use crate::state::{Event, Operation};
use d1_client::types::{common, out_v1_digital_card as dc, out_v2_card as card};
use serde_json::Value;

/// The generated client's names of the outbound operations.
pub const TOKEN: &str = "out_v1_auth2.get_authorization_token";
pub const CONSUMER_INFORMATION: &str = "out_v1_consumer.get_consumer_information";
pub const DIGITAL_CARD_OPERATION: &str = "out_v1_digital_card.notify_digital_card_operation";
pub const ACTIVATE_CARD: &str = "out_v1_physical_issuance.activate_card";
pub const CARD_AUTHORISATIONS: &str = "out_v2_card.notify_card_authorisations";
pub const CARD_OPERATIONS: &str = "out_v2_card.notify_card_operations";
pub const CARD_CREDENTIALS: &str = "out_v2_card.get_card_credentials";

/// Every operation of the outbound specs, by the generated client's name: all of them can be
/// sent (on demand: `POST /sandbox/issuers/{issuerId}/outbound/{operation}`).
pub const OPERATIONS: [&str; 7] = [
    TOKEN,
    CONSUMER_INFORMATION,
    DIGITAL_CARD_OPERATION,
    ACTIVATE_CARD,
    CARD_AUTHORISATIONS,
    CARD_OPERATIONS,
    CARD_CREDENTIALS,
];

/// One outbound call, with its inputs already validated.
#[derive(Clone, Debug)]
pub enum Job {
    /// Fetch a new token, even if one is kept.
    Token,
    CardOperations(card::NotifyCardOperationsRequest),
    CardAuthorisations(card::NotifyCardAuthorisationsRequest),
    CardCredentials(common::CardId),
    DigitalCardOperation(common::DigitalCardId, dc::NotifyDigitalCardOperationRequest),
    ActivateCard(common::CardId),
    ConsumerInformation(common::ConsumerId, Option<common::CardId>),
}

impl Job {
    /// The generated client's name of the operation.
    pub fn operation(&self) -> &'static str {
        match self {
            Job::Token => TOKEN,
            Job::ConsumerInformation(..) => CONSUMER_INFORMATION,
            Job::DigitalCardOperation(..) => DIGITAL_CARD_OPERATION,
            Job::ActivateCard(_) => ACTIVATE_CARD,
            Job::CardAuthorisations(_) => CARD_AUTHORISATIONS,
            Job::CardOperations(_) => CARD_OPERATIONS,
            Job::CardCredentials(_) => CARD_CREDENTIALS,
        }
    }

    /// The call `operation` (one of [`OPERATIONS`]) with the inputs of an on-demand request:
    /// `{"cardId", "digitalCardId", "consumerId", "body"}`, each where the operation takes it.
    /// `Err` names the missing or invalid member.
    pub fn parse(operation: &str, payload: &Value) -> Result<Job, String> {
        fn member<T: serde::de::DeserializeOwned>(payload: &Value, name: &str) -> Result<T, String> {
            let value = payload.get(name).cloned().ok_or_else(|| format!("`{name}` is missing"))?;
            serde_json::from_value(value).map_err(|e| format!("`{name}` is invalid: {e}"))
        }
        fn optional<T: serde::de::DeserializeOwned>(payload: &Value, name: &str) -> Result<Option<T>, String> {
            if payload.get(name).is_none_or(Value::is_null) {
                Ok(None)
            } else {
                member(payload, name).map(Some)
            }
        }
        Ok(match operation {
            TOKEN => Job::Token,
            CONSUMER_INFORMATION => {
                Job::ConsumerInformation(member(payload, "consumerId")?, optional(payload, "cardId")?)
            }
            DIGITAL_CARD_OPERATION => {
                Job::DigitalCardOperation(member(payload, "digitalCardId")?, member(payload, "body")?)
            }
            ACTIVATE_CARD => Job::ActivateCard(member(payload, "cardId")?),
            CARD_AUTHORISATIONS => Job::CardAuthorisations(member(payload, "body")?),
            CARD_OPERATIONS => Job::CardOperations(member(payload, "body")?),
            CARD_CREDENTIALS => Job::CardCredentials(member(payload, "cardId")?),
            other => {
                return Err(format!("`{other}` is not an outbound operation; these are: {}", OPERATIONS.join(", ")))
            }
        })
    }
}

/// The call D1 makes for `event`: its operation, why, and the job (or why it cannot be built).
/// `None` for an event that is not one call ([`Event::Ordered`]: production, see
/// the `production` module).
pub fn job_for(event: &Event) -> Option<(&'static str, String, Result<Job, String>)> {
    Some(match event {
        Event::Card { card, operation, .. } => {
            let step = operation.production_status.as_deref().map(|s| format!(" {s}")).unwrap_or_default();
            let why = format!("card {card}: {}{step} (operation {})", operation.operation, operation.operation_id);
            (CARD_OPERATIONS, why, card_notification(card, operation).map(Job::CardOperations))
        }
        Event::DigitalCard { digital_card, operation, .. } => {
            let why =
                format!("digital card {digital_card}: {} (operation {})", operation.operation, operation.operation_id);
            let job = digital_notification(operation).and_then(|body| {
                let id = common::DigitalCardId::new(digital_card.as_str()).map_err(|e| e.to_string())?;
                Ok(Job::DigitalCardOperation(id, body))
            });
            (DIGITAL_CARD_OPERATION, why, job)
        }
        Event::CredentialsNeeded { card, .. } => {
            let why = format!("card {card} renewed without card data");
            (
                CARD_CREDENTIALS,
                why,
                common::CardId::new(card.as_str()).map(Job::CardCredentials).map_err(|e| e.to_string()),
            )
        }
        Event::Ordered { .. } => return None,
    })
}

/// Notify Card Operations with one operation: its status, times, and for a production step
/// the production status (`details.status`).
fn card_notification(card_id: &str, op: &Operation) -> Result<card::NotifyCardOperationsRequest, String> {
    let e = |e: d1_client::types::validation::ValidationError| e.to_string();
    let mut notification = card::CardStatusOperationNotification::new(
        card::OperationId::new(op.operation_id.as_str()).map_err(e)?,
        card::CardStatusOperationNotificationOperation::from(op.operation.as_str()),
        card::CardStatusOperationNotificationStatus::from(op.status.as_str()),
        op.start_time.clone(),
        common::CardId::new(card_id).map_err(e)?,
    );
    notification.end_time = op.end_time.clone();
    if let Some(status) = &op.production_status {
        let details =
            card::CardStatusDetails::default().with_status(card::CardStatusDetailsStatus::from(status.as_str()));
        notification = notification.with_details(details);
    }
    Ok(card::NotifyCardOperationsRequest::default().with_operations(vec![notification]))
}

/// Notify Digital Card Operation. D1 does not publish the values of `operation` and `status`
/// here: the sandbox sends the names it records (`SUSPEND`, `RESUME`, `DELETE`; `SUCCESSFUL`).
fn digital_notification(op: &Operation) -> Result<dc::NotifyDigitalCardOperationRequest, String> {
    let id = common::OperationId::new(op.operation_id.as_str()).map_err(|e| e.to_string())?;
    Ok(dc::NotifyDigitalCardOperationRequest::default()
        .with_operation_id(id)
        .with_operation(op.operation.as_str())
        .with_status(op.status.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_operation_parses_and_names_itself() {
        let payload = json!({
            "cardId": "c1", "digitalCardId": "d1", "consumerId": "u1",
            "body": {"operations": [], "operation": "SUSPEND"}
        });
        for operation in OPERATIONS {
            let job = Job::parse(operation, &payload).expect(operation);
            assert_eq!(job.operation(), operation);
        }
        let missing = Job::parse("out_v2_card.get_card_credentials", &json!({})).unwrap_err();
        assert!(missing.contains("`cardId` is missing"), "{missing}");
        let invalid = Job::parse("out_v2_card.get_card_credentials", &json!({"cardId": "bad id!"})).unwrap_err();
        assert!(invalid.contains("`cardId` is invalid"), "{invalid}");
        assert!(Job::parse("out_v2_card.nothing", &payload).is_err());
    }
}
