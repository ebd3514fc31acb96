//! The inbound traits, implemented on the in-memory state.

use crate::state::{Action, Lifecycle, Operation, Reason, Refusal, Renewal};
use crate::Sandbox;
use d1_server::{in_v1_auth2, in_v1_card, in_v1_digital_card, in_v1_physical_issuance, in_v2_consumer};
use d1_server::{ApiError, Status2xx};
use d1_types as t;
use serde_json::{json, Map, Value};

/// A refusal of the APIs that publish no error bodies: `error` text only (no invented codes).
fn api_error(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::UnknownConsumer => ApiError::not_found("Unknown consumerId."),
        Refusal::UnknownCard => ApiError::not_found("Unknown cardId.").with_code("UNKNOWN_CARD"),
        Refusal::UnknownDigitalCard => ApiError::not_found("Unknown digitalCardId."),
        Refusal::UnknownOperation => ApiError::not_found("Unknown operationId.").with_code("UNKNOWN_OPERATION"),
        Refusal::Forbidden(reason) => ApiError::forbidden(reason),
    }
}

/// The v1 Card API's error body (`errorGeneric`), with its documented codes.
fn v1_error(refusal: &Refusal) -> t::in_v1_card::ErrorGeneric {
    let (code, text) = match refusal {
        Refusal::UnknownCard => (Some(t::in_v1_card::ErrorCode::UnknownCard), "Unknown cardId.".to_string()),
        Refusal::UnknownOperation => {
            (Some(t::in_v1_card::ErrorCode::UnknownOperation), "Unknown operationId.".to_string())
        }
        Refusal::UnknownConsumer => (None, "Unknown consumerId.".to_string()),
        Refusal::UnknownDigitalCard => (None, "Unknown digitalCardId.".to_string()),
        Refusal::Forbidden(reason) => (None, reason.clone()),
    };
    let body = t::in_v1_card::ErrorGeneric::default().with_error(text);
    match code {
        Some(code) => body.with_error_code(code),
        None => body,
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("The sandbox could not build {what}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Inbound Card API (v1)
// ---------------------------------------------------------------------------------------------

fn card_reason(body: Option<&t::in_v1_card::OperationRequest>) -> Reason {
    Reason {
        reason: body.and_then(|b| b.reason.as_ref()).map(|r| r.as_str().to_string()),
        reason_code: Some(body.and_then(|b| b.reason_code.clone()).unwrap_or_else(|| "ISSUER_DECISION".to_string())),
    }
}

fn operation_card(op: &Operation) -> Result<t::in_v1_card::OperationCard, ApiError> {
    let mut operation = t::in_v1_card::OperationCard::new(
        t::in_v1_card::OperationId::new(op.operation_id.clone()).map_err(|e| internal("an operation", e))?,
        t::in_v1_card::Operation::from(op.operation.as_str()),
        t::in_v1_card::Status::from(op.status.as_str()),
        op.start_time.clone(),
        t::in_v1_card::RequestorType::from(op.requestor_type.as_str()),
        op.requestor_id.clone(),
    );
    operation.end_time = op.end_time.clone();
    Ok(operation)
}

macro_rules! card_transition {
    ($self:ident, $request:ident, $action:expr, $resp:ident) => {{
        $self.authorize(&$request.bearer_token)?;
        let reason = card_reason($request.body.as_ref());
        let result =
            $self.state().card_transition($request.issuer_id.as_str(), $request.card_id.as_str(), $action, &reason);
        Ok(match result {
            Ok(_) => in_v1_card::$resp::Success(Status2xx::NO_CONTENT),
            Err(refusal @ Refusal::Forbidden(_)) => in_v1_card::$resp::Forbidden(v1_error(&refusal)),
            Err(refusal) => in_v1_card::$resp::NotFound(v1_error(&refusal)),
        })
    }};
}

impl in_v1_card::InV1CardApi for Sandbox {
    async fn resume(&self, request: in_v1_card::ResumeRequest) -> Result<in_v1_card::ResumeResponse, ApiError> {
        card_transition!(self, request, Action::Resume, ResumeResponse)
    }

    async fn suspend(&self, request: in_v1_card::SuspendRequest) -> Result<in_v1_card::SuspendResponse, ApiError> {
        card_transition!(self, request, Action::Suspend, SuspendResponse)
    }

    async fn delete(&self, request: in_v1_card::DeleteRequest) -> Result<in_v1_card::DeleteResponse, ApiError> {
        card_transition!(self, request, Action::Delete, DeleteResponse)
    }

    async fn renew(&self, request: in_v1_card::RenewRequest) -> Result<in_v1_card::RenewResponse, ApiError> {
        use in_v1_card::RenewResponse as R;
        self.authorize(&request.bearer_token)?;
        let body = request.body.unwrap_or_default();
        let state = match body.state.as_ref().map(|s| s.as_str()) {
            None => None,
            Some(s) => match Lifecycle::parse(s) {
                Some(l @ (Lifecycle::Active | Lifecycle::Inactive)) => Some(l),
                _ => {
                    return Ok(R::BadRequest(v1_error(&Refusal::Forbidden(format!(
                        "`state` {s} is not ACTIVE or INACTIVE."
                    )))))
                }
            },
        };
        let reason = Reason {
            reason: body.reason.as_ref().map(|r| r.as_str().to_string()),
            reason_code: Some(body.reason_code.clone().unwrap_or_else(|| "ISSUER_DECISION".to_string())),
        };
        let renewal = Renewal {
            new_card: body.new_card_id.as_ref().map(|n| n.as_str()),
            state,
            card_product: body.card_product_id.as_ref().map(|p| p.as_str().to_string()),
            reason,
            card_data_sent: body.encrypted_data.is_some(),
        };
        let result = self.state().renew_card(request.issuer_id.as_str(), request.card_id.as_str(), renewal);
        Ok(match result {
            Ok(()) => R::Success(Status2xx::NO_CONTENT),
            Err(refusal @ Refusal::Forbidden(_)) => R::Forbidden(v1_error(&refusal)),
            Err(refusal) => R::NotFound(v1_error(&refusal)),
        })
    }

    async fn list_operations(
        &self,
        request: in_v1_card::ListOperationsRequest,
    ) -> Result<in_v1_card::ListOperationsResponse, ApiError> {
        use in_v1_card::ListOperationsResponse as R;
        self.authorize(&request.bearer_token)?;
        let result = self.state().card_operations(
            request.issuer_id.as_str(),
            request.card_id.as_str(),
            request.offset.unwrap_or(0),
            request.limit,
        );
        match result {
            Ok((operations, remaining)) => {
                let operations = operations.iter().map(operation_card).collect::<Result<Vec<_>, _>>()?;
                let mut page = Map::new();
                page.insert("operations".into(), serde_json::to_value(operations).map_err(|e| internal("a page", e))?);
                page.insert("remainingOperations".into(), json!(remaining));
                Ok(R::Ok(page))
            }
            Err(refusal) => Ok(R::NotFound(v1_error(&refusal))),
        }
    }

    async fn get_operation(
        &self,
        request: in_v1_card::GetOperationRequest,
    ) -> Result<in_v1_card::GetOperationResponse, ApiError> {
        use in_v1_card::GetOperationResponse as R;
        self.authorize(&request.bearer_token)?;
        let result = self.state().card_operation(
            request.issuer_id.as_str(),
            request.card_id.as_str(),
            request.operation_id.as_str(),
        );
        match result {
            Ok(op) => Ok(R::Ok(operation_card(&op)?)),
            Err(refusal) => Ok(R::NotFound(v1_error(&refusal))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Inbound Digital Card API
// ---------------------------------------------------------------------------------------------

/// The reason of a digital card call. The router lets `reasonCode` values the spec does not
/// list through (D1 may add values); the sandbox knows only the listed ones and refuses others.
fn digital_reason(
    reason: Option<&t::common::Reason>,
    code: Option<&t::in_v1_digital_card::ReasonCode>,
) -> Result<Reason, ApiError> {
    if let Some(code) = code.filter(|c| !c.is_known()) {
        return Err(ApiError::bad_request(format!(
            "reasonCode `{}` is not one the sandbox knows (USER_DECISION, ISSUER_DECISION, DEVICE_LOST).",
            code.as_str()
        )));
    }
    Ok(Reason {
        reason: reason.map(|r| r.as_str().to_string()),
        reason_code: Some(code.map(|c| c.as_str().to_string()).unwrap_or_else(|| "ISSUER_DECISION".to_string())),
    })
}

fn operation_response(result: Result<String, Refusal>) -> Result<t::in_v1_digital_card::OperationResponse, ApiError> {
    let id = result.map_err(api_error)?;
    Ok(t::in_v1_digital_card::OperationResponse::new("SUCCESSFUL")
        .with_operation_id(t::common::OperationId::new(id).map_err(|e| internal("an operation id", e))?))
}

fn digital_details(
    id: &str,
    d: &crate::state::DigitalCard,
) -> Result<t::in_v1_digital_card::DigitalCardDetails, ApiError> {
    use t::in_v1_digital_card as dc;
    let e = |e: t::validation::ValidationError| internal("digital card details", e);
    let mut details = dc::DigitalCardDetails::new(
        dc::DigitalCardDetailsDigitalCardId::new(id).map_err(e)?,
        dc::PanSuffix::new(d.pan_suffix.clone()).map_err(e)?,
        dc::State::from(d.state.as_str()),
    )
    .with_provisioning_time(dc::ProvisioningTime::new(d.provisioning_time.clone()).map_err(e)?)
    .with_last_state_change_time(dc::LastStateChangeTime::new(d.last_state_change_time.clone()).map_err(e)?);
    details.parent_card_id = d.card_id.clone().map(dc::ParentCardId::new).transpose().map_err(e)?;
    details.type_ = d.kind.clone().map(dc::Type::new).transpose().map_err(e)?;
    Ok(details)
}

fn digital_operation(op: &Operation) -> Result<t::in_v1_digital_card::DigitalCardOperation, ApiError> {
    use t::in_v1_digital_card as dc;
    let e = |e: t::validation::ValidationError| internal("an operation", e);
    let mut operation = dc::DigitalCardOperation::new(
        t::common::OperationId::new(op.operation_id.clone()).map_err(e)?,
        op.operation.clone(),
        op.status.clone(),
        dc::StartTime::new(op.start_time.clone()).map_err(e)?,
        op.requestor_id.clone(),
        op.requestor_type.clone(),
    );
    operation.end_time = op.end_time.clone().map(dc::EndTime::new).transpose().map_err(e)?;
    operation.reason = op.reason.clone();
    operation.reason_code = op.reason_code.as_deref().map(dc::ReasonCode::from);
    Ok(operation)
}

impl Sandbox {
    /// Suspend, resume or delete a digital card: the three calls differ only in the action.
    fn digital_action(
        &self,
        token: &d1_server::BearerToken,
        issuer: &t::common::IssuerId,
        digital_card: &t::common::DigitalCardId,
        reason: Option<&t::common::Reason>,
        code: Option<&t::in_v1_digital_card::ReasonCode>,
        action: Action,
    ) -> Result<t::in_v1_digital_card::OperationResponse, ApiError> {
        self.authorize(token)?;
        let reason = digital_reason(reason, code)?;
        operation_response(self.state().digital_transition(issuer.as_str(), digital_card.as_str(), action, &reason))
    }
}

impl in_v1_digital_card::InV1DigitalCardApi for Sandbox {
    async fn suspend(
        &self,
        request: in_v1_digital_card::SuspendRequest,
    ) -> Result<in_v1_digital_card::SuspendResponse, ApiError> {
        let b = request.body.as_ref();
        let (reason, code) = (b.and_then(|b| b.reason.as_ref()), b.and_then(|b| b.reason_code.as_ref()));
        let response = self.digital_action(
            &request.bearer_token,
            &request.issuer_id,
            &request.digital_card_id,
            reason,
            code,
            Action::Suspend,
        )?;
        Ok(in_v1_digital_card::SuspendResponse::Ok(response))
    }

    async fn resume(
        &self,
        request: in_v1_digital_card::ResumeRequest,
    ) -> Result<in_v1_digital_card::ResumeResponse, ApiError> {
        let b = request.body.as_ref();
        let (reason, code) = (b.and_then(|b| b.reason.as_ref()), b.and_then(|b| b.reason_code.as_ref()));
        let response = self.digital_action(
            &request.bearer_token,
            &request.issuer_id,
            &request.digital_card_id,
            reason,
            code,
            Action::Resume,
        )?;
        Ok(in_v1_digital_card::ResumeResponse::Ok(response))
    }

    async fn delete(
        &self,
        request: in_v1_digital_card::DeleteRequest,
    ) -> Result<in_v1_digital_card::DeleteResponse, ApiError> {
        let b = request.body.as_ref();
        let (reason, code) = (b.and_then(|b| b.reason.as_ref()), b.and_then(|b| b.reason_code.as_ref()));
        let response = self.digital_action(
            &request.bearer_token,
            &request.issuer_id,
            &request.digital_card_id,
            reason,
            code,
            Action::Delete,
        )?;
        Ok(in_v1_digital_card::DeleteResponse::Ok(response))
    }

    async fn search(
        &self,
        request: in_v1_digital_card::SearchRequest,
    ) -> Result<in_v1_digital_card::SearchResponse, ApiError> {
        self.authorize(&request.bearer_token)?;
        // The spec does not require a body: without one there is nothing to match.
        let Some(body) = request.body else {
            let mut result = Map::new();
            result.insert("digitalCards".into(), json!([]));
            return Ok(in_v1_digital_card::SearchResponse::Ok(result));
        };
        let digital_pan = body.encrypted_data.open(self.d1_private_key()).map_err(|e| {
            ApiError::bad_request(format!(
                "`encryptedData` cannot be opened with the sandbox's D1 key (GET /sandbox/keys/d1): {e}"
            ))
        })?;
        let found = self.state().search(request.issuer_id.as_str(), digital_pan.pan.as_str());
        let cards = found.iter().map(|(id, d)| digital_details(id, d)).collect::<Result<Vec<_>, _>>()?;
        let mut result = Map::new();
        result.insert("digitalCards".into(), serde_json::to_value(cards).map_err(|e| internal("a search result", e))?);
        Ok(in_v1_digital_card::SearchResponse::Ok(result))
    }

    async fn get_details(
        &self,
        request: in_v1_digital_card::GetDetailsRequest,
    ) -> Result<in_v1_digital_card::GetDetailsResponse, ApiError> {
        self.authorize(&request.bearer_token)?;
        let id = request.digital_card_id.as_str();
        let d = self.state().digital_card(request.issuer_id.as_str(), id).map(|d| d.clone()).map_err(api_error)?;
        Ok(in_v1_digital_card::GetDetailsResponse::Ok(digital_details(id, &d)?))
    }

    async fn get_credentials(
        &self,
        request: in_v1_digital_card::GetCredentialsRequest,
    ) -> Result<in_v1_digital_card::GetCredentialsResponse, ApiError> {
        use t::in_v1_digital_card as dc;
        self.authorize(&request.bearer_token)?;
        let issuer = request.issuer_id.as_str();
        let d = self
            .state()
            .digital_card(issuer, request.digital_card_id.as_str())
            .map(|d| d.clone())
            .map_err(api_error)?;
        if d.state == Lifecycle::Deleted {
            return Err(ApiError::forbidden("The digital card is deleted."));
        }
        let credentials = match self.issuer_key(issuer) {
            None => None,
            Some(key) => {
                let plaintext = dc::DigitalCardCredentials::new(
                    dc::Pan::new(d.pan.clone()).map_err(|e| internal("credentials", e))?,
                )
                .with_exp(dc::Exp::new("1230").map_err(|e| internal("credentials", e))?);
                Some(t::jwe::Jwe::seal(&plaintext, &key).map_err(|e| internal("credentials", e))?)
            }
        };
        let mut body = dc::GetCredentialsResponse::default();
        body.credentials = credentials;
        Ok(in_v1_digital_card::GetCredentialsResponse::Ok(body))
    }

    async fn get_operation(
        &self,
        request: in_v1_digital_card::GetOperationRequest,
    ) -> Result<in_v1_digital_card::GetOperationResponse, ApiError> {
        self.authorize(&request.bearer_token)?;
        let op = self
            .state()
            .digital_operation(
                request.issuer_id.as_str(),
                request.digital_card_id.as_str(),
                request.operation_id.as_str(),
            )
            .map_err(api_error)?;
        Ok(in_v1_digital_card::GetOperationResponse::Ok(digital_operation(&op)?))
    }

    async fn get_all_operations(
        &self,
        request: in_v1_digital_card::GetAllOperationsRequest,
    ) -> Result<in_v1_digital_card::GetAllOperationsResponse, ApiError> {
        self.authorize(&request.bearer_token)?;
        let offset = request.offset.map(|o| o.get()).unwrap_or(0);
        let (ops, remaining) = self
            .state()
            .digital_operations(
                request.issuer_id.as_str(),
                request.digital_card_id.as_str(),
                offset,
                request.limit.get(),
            )
            .map_err(api_error)?;
        let operations = ops.iter().map(digital_operation).collect::<Result<Vec<_>, _>>()?;
        Ok(in_v1_digital_card::GetAllOperationsResponse::Ok(
            t::in_v1_digital_card::DigitalCardOperationList::default()
                .with_operations(operations)
                .with_remaining_operations(remaining),
        ))
    }

    async fn step_up_auth_result(
        &self,
        request: in_v1_digital_card::StepUpAuthResultRequest,
    ) -> Result<in_v1_digital_card::StepUpAuthResultResponse, ApiError> {
        self.authorize(&request.bearer_token)?;
        // The spec does not require the body; the sandbox records the result either way.
        let id =
            self.state().step_up(request.issuer_id.as_str(), request.digital_card_id.as_str()).map_err(api_error)?;
        Ok(in_v1_digital_card::StepUpAuthResultResponse::Ok(
            t::in_v1_digital_card::OperationResultResponse::default()
                .with_operation_id(t::common::OperationId::new(id).map_err(|e| internal("an operation id", e))?)
                .with_status("SUCCESSFUL"),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Inbound Physical Card API
// ---------------------------------------------------------------------------------------------

impl in_v1_physical_issuance::InV1PhysicalIssuanceApi for Sandbox {
    async fn card_order(
        &self,
        request: in_v1_physical_issuance::CardOrderRequest,
    ) -> Result<in_v1_physical_issuance::CardOrderResponse, ApiError> {
        use t::in_v1_physical_issuance::CardRequest;
        self.authorize(&request.bearer_token)?;
        let (consumer, product, card_data, shipped) = match &request.body {
            Some(CardRequest::Thales(b)) => {
                (b.consumer_id.as_ref(), b.card_product_id.as_ref(), Some(&b.encrypted_data), true)
            }
            Some(CardRequest::Instant(b)) => {
                (b.consumer_id.as_ref(), b.card_product_id.as_ref(), b.encrypted_data.as_ref(), b.shipment.is_some())
            }
            Some(CardRequest::Central(b)) => {
                (b.consumer_id.as_ref(), b.card_product_id.as_ref(), b.encrypted_data.as_ref(), b.shipment.is_some())
            }
            // The spec does not require the body: the card is ordered without details, as it is
            // for a channel added to the spec after this sandbox was written.
            Some(_) | None => (None, None, None, false),
        };
        if let Some(sealed) = card_data {
            sealed.open(self.d1_private_key()).map_err(|e| {
                ApiError::bad_request(format!(
                    "`encryptedData` cannot be opened with the sandbox's D1 key (GET /sandbox/keys/d1): {e}"
                ))
            })?;
        }
        let id = self
            .state()
            .order_card(
                request.issuer_id.as_str(),
                request.card_id.as_str(),
                consumer.map(|c| c.as_str().to_string()),
                product.map(|p| p.as_str().to_string()),
                shipped,
            )
            .map_err(api_error)?;
        Ok(in_v1_physical_issuance::CardOrderResponse::Accepted(operation_information(id)?))
    }

    async fn get_card_order_status(
        &self,
        request: in_v1_physical_issuance::GetCardOrderStatusRequest,
    ) -> Result<in_v1_physical_issuance::GetCardOrderStatusResponse, ApiError> {
        use t::in_v1_physical_issuance as pi;
        self.authorize(&request.bearer_token)?;
        let card_id = request.card_id.clone();
        let (ops, consumer) = {
            let mut state = self.state();
            let ops = state.production(request.issuer_id.as_str(), card_id.as_str()).map_err(api_error)?;
            let consumer = state.issuers[request.issuer_id.as_str()].cards[card_id.as_str()].consumer_id.clone();
            (ops, consumer)
        };
        let operations = ops
            .iter()
            .map(|op| {
                let status = op.production_status.as_deref().unwrap_or(crate::state::FIRST_PRODUCTION_STATUS);
                let mut details =
                    pi::ProduceDetails::default().with_status(t::common::ProduceDetailsStatus::from(status));
                details.consumer_id = consumer.clone();
                let mut operation = pi::ProduceOperation::new(
                    t::common::OperationId::new(op.operation_id.clone()).map_err(|e| internal("an operation", e))?,
                    pi::Operation::Produce,
                    t::common::ProduceOperationStatus::from(op.status.as_str()),
                    op.start_time.clone(),
                    card_id.clone(),
                    details,
                );
                operation.end_time = op.end_time.clone();
                Ok(operation)
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(in_v1_physical_issuance::GetCardOrderStatusResponse::Success(
            Status2xx::OK,
            pi::CardOrderStatus::default().with_operations(operations),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// D1 Inbound Consumer API (v2)
// ---------------------------------------------------------------------------------------------

fn operation_information(id: String) -> Result<t::common::OperationInformation, ApiError> {
    Ok(t::common::OperationInformation::default()
        .with_operation_id(t::common::OperationId::new(id).map_err(|e| internal("an operation id", e))?))
}

/// Check an update's members against the typed consumer information (`ConsumerInfo`), the
/// schema the registered information is served as: the update schema publishes no members, but
/// a member `ConsumerInfo` types (`firstName`, `language`, …) must have that type, so that the
/// merged information is still a valid `ConsumerInfo`. Members it does not know are kept as
/// sent. `Err`: a 400 naming the member.
fn check_consumer_update(update: &Map<String, Value>) -> Result<(), ApiError> {
    use serde::Deserialize;
    let typed = |key: &str, value: Value| {
        let mut one = Map::new();
        one.insert(key.to_string(), value);
        t::common::ConsumerInfo::deserialize(Value::Object(one))
    };
    for (key, value) in update {
        // `ConsumerInfo` ignores members it does not have; one it has refuses an array.
        let known = typed(key, json!([])).is_err();
        let problem = match value {
            Value::Null if known => Some("must not be null".to_string()),
            _ if known => typed(key, value.clone()).err().map(|e| e.to_string()),
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(ApiError::bad_request(format!("The request is invalid: body member `{key}` {problem}.")));
        }
    }
    Ok(())
}

impl in_v2_consumer::InV2ConsumerApi for Sandbox {
    async fn register_consumer(
        &self,
        request: in_v2_consumer::RegisterConsumerRequest,
    ) -> Result<in_v2_consumer::RegisterConsumerResponse, ApiError> {
        self.authorize(&request.bearer_token)?;
        let info = match request.body.map(serde_json::to_value) {
            Some(Ok(Value::Object(map))) => map,
            _ => Map::new(),
        };
        self.state()
            .register_consumer(request.issuer_id.as_str(), request.consumer_id.as_str(), info)
            .map_err(api_error)?;
        Ok(in_v2_consumer::RegisterConsumerResponse::NoContent)
    }

    async fn update_consumer_information(
        &self,
        request: in_v2_consumer::UpdateConsumerInformationRequest,
    ) -> Result<in_v2_consumer::UpdateConsumerInformationResponse, ApiError> {
        self.authorize(&request.bearer_token)?;
        let update = request.body.unwrap_or_default();
        check_consumer_update(&update)?;
        let id = self
            .state()
            .update_consumer(request.issuer_id.as_str(), request.consumer_id.as_str(), update)
            .map_err(api_error)?;
        Ok(in_v2_consumer::UpdateConsumerInformationResponse::Ok(operation_information(id)?))
    }

    async fn delete(&self, request: in_v2_consumer::DeleteRequest) -> Result<in_v2_consumer::DeleteResponse, ApiError> {
        self.authorize(&request.bearer_token)?;
        let reason = Reason {
            reason: request.body.as_ref().and_then(|b| b.reason.as_ref()).map(|r| r.as_str().to_string()),
            reason_code: None,
        };
        let id = self
            .state()
            .delete_consumer(request.issuer_id.as_str(), request.consumer_id.as_str(), &reason)
            .map_err(api_error)?;
        Ok(in_v2_consumer::DeleteResponse::Ok(operation_information(id)?))
    }

    async fn get_card_list(
        &self,
        request: in_v2_consumer::GetCardListRequest,
    ) -> Result<in_v2_consumer::GetCardListResponse, ApiError> {
        self.authorize(&request.bearer_token)?;
        let list =
            self.state().card_list(request.issuer_id.as_str(), request.consumer_id.as_str()).map_err(api_error)?;
        let Value::Object(map) = list else { return Err(ApiError::internal("card list is not an object")) };
        Ok(in_v2_consumer::GetCardListResponse::Ok(map))
    }
}

// ---------------------------------------------------------------------------------------------
// D1 OAuth API (inbound, JWT bearer)
// ---------------------------------------------------------------------------------------------

/// The grant type of the JWT bearer flow (RFC 7523 §2.1), the only one D1 takes.
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The `error` codes of an OAuth token error response (RFC 6749 §5.2).
const OAUTH_ERRORS: [&str; 6] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
];

/// A token error: 400 with the RFC 6749 §5.2 body `{"error": code}`.
fn oauth_error(code: &'static str) -> ApiError {
    debug_assert!(OAUTH_ERRORS.contains(&code));
    ApiError::bad_request(code)
}

/// Whether `assertion` can be a JWT in compact serialization: base64url parts separated by
/// dots (RFC 7515 §7.1). The sandbox holds no issuer keys, so it checks no more than that.
fn jwt_shaped(assertion: &str) -> bool {
    assertion.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
}

/// Every 400 of the token endpoint as an OAuth error body (RFC 6749 §5.2): a body the router
/// sent for a request it could not check (a missing or mistyped member, bad JSON, …) becomes
/// `{"error": "invalid_request", "error_description": <its text>, "errors": <its list>}`;
/// bodies that already carry an OAuth `error` code are left as they are. The spec declares
/// the 400 without a body, so any body is allowed.
pub(crate) async fn oauth_error_body(response: axum::response::Response) -> axum::response::Response {
    use axum::http::{header, HeaderValue, StatusCode};
    if response.status() != StatusCode::BAD_REQUEST {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let mut value = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let code = value.get("error").and_then(Value::as_str).unwrap_or("");
    if !OAUTH_ERRORS.contains(&code) {
        if let Some(Value::String(text)) = value.remove("error") {
            value.insert("error_description".into(), Value::String(text));
        }
        value.insert("error".into(), Value::String("invalid_request".into()));
    }
    let bytes = serde_json::to_vec(&value).unwrap_or_else(|_| br#"{"error":"invalid_request"}"#.to_vec());
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

impl in_v1_auth2::InV1Auth2Api for Sandbox {
    async fn get_token(
        &self,
        request: in_v1_auth2::GetTokenRequest,
    ) -> Result<in_v1_auth2::GetTokenResponse, ApiError> {
        // RFC 7523 §2.1 / RFC 6749 §5.2: both parameters are required (the spec does not
        // require a body, but a request without one has neither); another grant type is
        // `unsupported_grant_type`. The sandbox does not hold the issuers' signing keys, so any
        // assertion shaped like a JWT is accepted; anything else is `invalid_grant`.
        let Some(body) = request.body else { return Err(oauth_error("invalid_request")) };
        if body.grant_type.as_str() != JWT_BEARER {
            return Err(oauth_error("unsupported_grant_type"));
        }
        if body.assertion.expose().is_empty() {
            return Err(oauth_error("invalid_request"));
        }
        if !jwt_shaped(body.assertion.expose()) {
            return Err(oauth_error("invalid_grant"));
        }
        let mut body = t::in_v1_auth2::GetTokenResponse::default().with_expires_in(3600.0).with_token_type("Bearer");
        // An unconstrained sensitive string: `new` cannot fail.
        body.access_token = t::common::AccessToken::new(self.issue_token()).ok();
        Ok(in_v1_auth2::GetTokenResponse::Ok(body))
    }
}
