//! The sandbox's data and state machine: plain Rust, no HTTP. Every change goes through a
//! method of [`State`], which the HTTP layer calls with the lock held. A change D1 would tell
//! the issuer about is also recorded as an [`Event`], which the sandbox takes out with
//! [`State::take_events`] and turns into outbound calls.

use crate::time::Clock;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, VecDeque};

/// How many operations each consumer, card and digital card keeps by default (see
/// [`History`]).
pub const DEFAULT_HISTORY_LIMIT: usize = 1000;

/// The life-cycle state of a card or a digital card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Lifecycle {
    Active,
    /// Never activated (a renewed card ordered `INACTIVE`, or seeded so).
    Inactive,
    Suspended,
    /// Final: nothing changes a deleted card again.
    Deleted,
}

impl Lifecycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Active => "ACTIVE",
            Lifecycle::Inactive => "INACTIVE",
            Lifecycle::Suspended => "SUSPENDED",
            Lifecycle::Deleted => "DELETED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ACTIVE" => Some(Lifecycle::Active),
            "INACTIVE" => Some(Lifecycle::Inactive),
            "SUSPENDED" => Some(Lifecycle::Suspended),
            "DELETED" => Some(Lifecycle::Deleted),
            _ => None,
        }
    }
}

/// One recorded operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub operation_id: String,
    /// `SUSPEND`, `RESUME`, `DELETE`, `RENEW`, `PRODUCE`, `STEPUP_AUTHENTICATION_RESULT`, …
    pub operation: String,
    pub status: String,
    pub start_time: String,
    /// Unset while the operation is `PENDING` (a card in production).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// The production status of a `PRODUCE` operation (`details.status`: `CARD_PROD_REQUESTED`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub production_status: Option<String>,
    pub requestor_type: String,
    pub requestor_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
}

/// The operations of one consumer, card or digital card: a ring buffer that keeps the newest
/// `limit` of them (oldest first) and counts the ones it forgot, so that a long-running sandbox
/// does not grow without bound. Listing, `remainingOperations` and fetching one operation see
/// only the kept ones (a forgotten operationId is unknown); `GET /sandbox/state` shows them as
/// `operations`, with `operationsForgotten` when some were.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    operations: VecDeque<Operation>,
    #[serde(skip_serializing_if = "is_zero")]
    operations_forgotten: u64,
    #[serde(skip)]
    limit: usize,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl History {
    /// An empty history keeping at most `limit` operations (at least 1).
    pub fn new(limit: usize) -> Self {
        History { operations: VecDeque::new(), operations_forgotten: 0, limit: limit.max(1) }
    }

    /// Record `operation`, forgetting the oldest one when the history is full.
    pub fn push(&mut self, operation: Operation) {
        while self.operations.len() >= self.limit {
            self.operations.pop_front();
            self.operations_forgotten += 1;
        }
        self.operations.push_back(operation);
    }

    /// The kept operations, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Operation> + ExactSizeIterator {
        self.operations.iter()
    }

    /// How many operations are kept.
    pub fn len(&self) -> usize {
        self.operations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// How many operations were forgotten to stay within the limit.
    pub fn forgotten(&self) -> u64 {
        self.operations_forgotten
    }

    /// The kept operation with this id.
    pub fn get_mut(&mut self, operation_id: &str) -> Option<&mut Operation> {
        self.operations.iter_mut().find(|o| o.operation_id == operation_id)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Consumer {
    /// The registered information, as sent (updates are merged in, member by member).
    pub info: Map<String, Value>,
    pub deleted: bool,
    #[serde(flatten)]
    pub operations: History,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    pub consumer_id: Option<String>,
    pub state: Lifecycle,
    pub card_product_id: Option<String>,
    /// Oldest first; listed newest first.
    #[serde(flatten)]
    pub operations: History,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DigitalCard {
    /// The funding card (`parentCardId`).
    pub card_id: Option<String>,
    pub state: Lifecycle,
    /// The token PAN (digital PAN), used by search and credentials.
    #[serde(skip)]
    pub pan: String,
    pub pan_suffix: String,
    pub kind: Option<String>,
    pub provisioning_time: String,
    pub last_state_change_time: String,
    #[serde(flatten)]
    pub operations: History,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issuer {
    pub consumers: BTreeMap<String, Consumer>,
    pub cards: BTreeMap<String, Card>,
    pub digital_cards: BTreeMap<String, DigitalCard>,
}

/// Why a call is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    UnknownConsumer,
    UnknownCard,
    UnknownDigitalCard,
    UnknownOperation,
    /// 403, with the reason.
    Forbidden(String),
}

/// A change D1 tells the issuer about, or a moment D1 calls the issuer: what the outbound side
/// of the sandbox acts on (see [`crate::outbound`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// An operation on a card: suspend, resume, delete, renew, or a production step.
    Card { issuer: String, card: String, operation: Operation },
    /// An operation on a digital card: suspend, resume, delete.
    DigitalCard { issuer: String, digital_card: String, operation: Operation },
    /// A card order was accepted: its production starts (`operation_id` is the `PRODUCE` one).
    Ordered { issuer: String, card: String, operation_id: String, shipped: bool },
    /// D1 needs the card's PAN and expiry from the issuer (a renew without card data).
    CredentialsNeeded { issuer: String, card: String },
}

impl Event {
    /// The issuer the event is about.
    pub fn issuer(&self) -> &str {
        match self {
            Event::Card { issuer, .. }
            | Event::DigitalCard { issuer, .. }
            | Event::Ordered { issuer, .. }
            | Event::CredentialsNeeded { issuer, .. } => issuer,
        }
    }
}

/// Everything the sandbox holds.
#[derive(Debug, Default, Serialize)]
pub struct State {
    pub issuers: BTreeMap<String, Issuer>,
    #[serde(skip)]
    next_operation: u64,
    #[serde(skip)]
    prefix: String,
    /// Operations kept per consumer, card and digital card.
    #[serde(skip)]
    history_limit: usize,
    #[serde(skip)]
    clock: Clock,
    /// Recorded since the last [`State::take_events`].
    #[serde(skip)]
    events: Vec<Event>,
}

/// The inputs of a renewal ([`State::renew_card`]).
#[derive(Clone, Debug, Default)]
pub struct Renewal<'a> {
    pub new_card: Option<&'a str>,
    pub state: Option<Lifecycle>,
    pub card_product: Option<String>,
    pub reason: Reason,
    /// The request carried the new card data (`encryptedData`).
    pub card_data_sent: bool,
}

/// Inputs shared by the state-changing calls.
#[derive(Clone, Debug, Default)]
pub struct Reason {
    pub reason: Option<String>,
    pub reason_code: Option<String>,
}

impl State {
    pub fn new(prefix: String) -> Self {
        State {
            issuers: BTreeMap::new(),
            next_operation: 0,
            prefix,
            history_limit: DEFAULT_HISTORY_LIMIT,
            clock: Clock::default(),
            events: Vec::new(),
        }
    }

    /// Timestamps follow `clock` (simulated time).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The events recorded since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Keep at most `limit` operations (at least 1) per consumer, card and digital card created
    /// from now on (see [`History`]).
    pub fn with_history_limit(mut self, limit: usize) -> Self {
        self.history_limit = limit.max(1);
        self
    }

    fn issuer(&mut self, issuer: &str) -> &mut Issuer {
        self.issuers.entry(issuer.to_string()).or_default()
    }

    fn operation(&mut self, issuer: &str, operation: &str, reason: &Reason) -> Operation {
        self.next_operation += 1;
        let now = self.clock.now();
        Operation {
            operation_id: format!("{}{:08}", self.prefix, self.next_operation),
            operation: operation.to_string(),
            status: "SUCCESSFUL".to_string(),
            start_time: now.clone(),
            end_time: Some(now),
            production_status: None,
            requestor_type: "ISSUER".to_string(),
            requestor_id: issuer.to_string(),
            reason: reason.reason.clone(),
            reason_code: reason.reason_code.clone(),
        }
    }

    // ---- consumers ---------------------------------------------------------------------------

    /// Register (or re-register) a consumer. A deleted consumer id cannot be used again.
    pub fn register_consumer(&mut self, issuer: &str, consumer: &str, info: Map<String, Value>) -> Result<(), Refusal> {
        let op = self.operation(issuer, "REGISTER", &Reason::default());
        let limit = self.history_limit;
        let entry = self.issuer(issuer).consumers.entry(consumer.to_string());
        let c = entry.or_insert_with(|| Consumer { info: Map::new(), deleted: false, operations: History::new(limit) });
        if c.deleted {
            return Err(Refusal::Forbidden(
                "This consumerId was deleted; register the end user under a new consumerId.".into(),
            ));
        }
        c.info = info;
        c.operations.push(op);
        Ok(())
    }

    fn live_consumer(&mut self, issuer: &str, consumer: &str) -> Result<&mut Consumer, Refusal> {
        match self.issuers.get_mut(issuer).and_then(|i| i.consumers.get_mut(consumer)) {
            Some(c) if !c.deleted => Ok(c),
            _ => Err(Refusal::UnknownConsumer),
        }
    }

    pub fn update_consumer(
        &mut self,
        issuer: &str,
        consumer: &str,
        update: Map<String, Value>,
    ) -> Result<String, Refusal> {
        self.live_consumer(issuer, consumer)?;
        let op = self.operation(issuer, "UPDATE", &Reason::default());
        let id = op.operation_id.clone();
        let c = self.live_consumer(issuer, consumer)?;
        for (k, v) in update {
            c.info.insert(k, v);
        }
        c.operations.push(op);
        Ok(id)
    }

    /// Delete a consumer, cascading to its cards and their digital cards.
    pub fn delete_consumer(&mut self, issuer: &str, consumer: &str, reason: &Reason) -> Result<String, Refusal> {
        self.live_consumer(issuer, consumer)?;
        let op = self.operation(issuer, "DELETE", reason);
        let id = op.operation_id.clone();
        let cards: Vec<String> = self.issuers[issuer]
            .cards
            .iter()
            .filter(|(_, c)| c.consumer_id.as_deref() == Some(consumer) && c.state != Lifecycle::Deleted)
            .map(|(id, _)| id.clone())
            .collect();
        for card in cards {
            self.delete_card_cascade(issuer, &card, reason);
        }
        let c = self.live_consumer(issuer, consumer)?;
        c.deleted = true;
        c.operations.push(op);
        Ok(id)
    }

    /// The consumer's cards with their digital cards.
    pub fn card_list(&mut self, issuer: &str, consumer: &str) -> Result<Value, Refusal> {
        self.live_consumer(issuer, consumer)?;
        let i = &self.issuers[issuer];
        let cards: Vec<Value> = i
            .cards
            .iter()
            .filter(|(_, c)| c.consumer_id.as_deref() == Some(consumer))
            .map(|(card_id, c)| {
                let digital: Vec<Value> = i
                    .digital_cards
                    .iter()
                    .filter(|(_, d)| d.card_id.as_deref() == Some(card_id.as_str()))
                    .map(|(id, d)| serde_json::json!({"digitalCardId": id, "state": d.state.as_str()}))
                    .collect();
                serde_json::json!({"cardId": card_id, "state": c.state.as_str(), "digitalCards": digital})
            })
            .collect();
        Ok(serde_json::json!({ "cards": cards }))
    }

    // ---- cards -------------------------------------------------------------------------------

    /// Create a card (sandbox set-up, or a card order for an unknown card).
    pub fn put_card(&mut self, issuer: &str, card: &str, consumer: Option<String>, state: Lifecycle) {
        let operations = History::new(self.history_limit);
        self.issuer(issuer)
            .cards
            .insert(card.to_string(), Card { consumer_id: consumer, state, card_product_id: None, operations });
    }

    fn card(&mut self, issuer: &str, card: &str) -> Result<&mut Card, Refusal> {
        self.issuers.get_mut(issuer).and_then(|i| i.cards.get_mut(card)).ok_or(Refusal::UnknownCard)
    }

    /// Suspend (`ACTIVE` only), resume (`SUSPENDED` or never activated) or delete (anything but
    /// deleted) a card.
    pub fn card_transition(
        &mut self,
        issuer: &str,
        card: &str,
        action: Action,
        reason: &Reason,
    ) -> Result<String, Refusal> {
        let current = self.card(issuer, card)?.state;
        let next = transition(current, action, "card")?;
        if next == Lifecycle::Deleted {
            return Ok(self.delete_card_cascade(issuer, card, reason));
        }
        let op = self.operation(issuer, action.operation(), reason);
        let id = op.operation_id.clone();
        self.card(issuer, card)?.state = next;
        self.record_card(issuer, card, op);
        Ok(id)
    }

    /// Record `op` in the card's history and as an event.
    fn record_card(&mut self, issuer: &str, card: &str, op: Operation) {
        if let Some(c) = self.issuers.get_mut(issuer).and_then(|i| i.cards.get_mut(card)) {
            c.operations.push(op.clone());
            self.events.push(Event::Card { issuer: issuer.to_string(), card: card.to_string(), operation: op });
        }
    }

    /// Mark a card deleted and delete its digital cards (each with an operation of its own);
    /// the id of the card's `DELETE` operation.
    fn delete_card_cascade(&mut self, issuer: &str, card: &str, reason: &Reason) -> String {
        let digital: Vec<String> = self.issuers[issuer]
            .digital_cards
            .iter()
            .filter(|(_, d)| d.card_id.as_deref() == Some(card) && d.state != Lifecycle::Deleted)
            .map(|(id, _)| id.clone())
            .collect();
        // The digital cards go with the card; the card's reasonCode (free text in the v1 Card
        // API) is not a digital card reasonCode, so only the reason text is kept.
        let cascaded = Reason { reason: reason.reason.clone(), reason_code: None };
        for id in digital {
            let op = self.operation(issuer, "DELETE", &cascaded);
            self.record_digital(issuer, &id, Lifecycle::Deleted, op);
        }
        let op = self.operation(issuer, "DELETE", reason);
        let id = op.operation_id.clone();
        if let Some(c) = self.issuers.get_mut(issuer).and_then(|i| i.cards.get_mut(card)) {
            c.state = Lifecycle::Deleted;
            self.record_card(issuer, card, op);
        }
        id
    }

    /// Renew a card. With a `newCardId` other than `cardId` the new card is created for the same
    /// consumer (in `state`, `ACTIVE` by default); the old card keeps its state. Without card
    /// data, D1 asks the issuer for the renewed card's ([`Event::CredentialsNeeded`]).
    pub fn renew_card(&mut self, issuer: &str, card: &str, renewal: Renewal<'_>) -> Result<(), Refusal> {
        let Renewal { new_card, state, card_product, reason, card_data_sent } = renewal;
        let old = self.card(issuer, card)?.clone();
        if old.state == Lifecycle::Deleted {
            return Err(Refusal::Forbidden("The card is deleted.".into()));
        }
        if let Some(consumer) = &old.consumer_id
            && self.issuers[issuer].consumers.get(consumer).is_some_and(|c| c.deleted)
        {
            return Err(Refusal::Forbidden("The end user (consumer) is not active.".into()));
        }
        let op = self.operation(issuer, "RENEW", &reason);
        match new_card.filter(|n| *n != card) {
            Some(new_id) => {
                if let Some(existing) = self.issuers[issuer].cards.get(new_id) {
                    if existing.consumer_id != old.consumer_id {
                        return Err(Refusal::Forbidden(
                            "The new card is already registered for another end user.".into(),
                        ));
                    }
                    if card_product.is_some() && existing.card_product_id != card_product {
                        return Err(Refusal::Forbidden(
                            "The new card is already registered with another cardProductId.".into(),
                        ));
                    }
                }
                let new_state = state.unwrap_or(Lifecycle::Active);
                let product = card_product.or(old.card_product_id.clone());
                let operations = History::new(self.history_limit);
                let i = self.issuer(issuer);
                let entry = i.cards.entry(new_id.to_string()).or_insert(Card {
                    consumer_id: old.consumer_id.clone(),
                    state: new_state,
                    card_product_id: product,
                    operations,
                });
                entry.operations.push(op.clone());
            }
            None => {
                if let Some(s) = state {
                    self.card(issuer, card)?.state = s;
                }
            }
        }
        self.record_card(issuer, card, op);
        if !card_data_sent {
            let renewed = new_card.unwrap_or(card).to_string();
            self.events.push(Event::CredentialsNeeded { issuer: issuer.to_string(), card: renewed });
        }
        Ok(())
    }

    /// Operations of a card or digital card, newest first: `(page, remaining)`.
    pub fn card_operations(
        &mut self,
        issuer: &str,
        card: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Operation>, i64), Refusal> {
        let c = self.card(issuer, card)?;
        Ok(page(&c.operations, offset, limit))
    }

    pub fn card_operation(&mut self, issuer: &str, card: &str, operation: &str) -> Result<Operation, Refusal> {
        let c = self.card(issuer, card)?;
        c.operations.iter().find(|o| o.operation_id == operation).cloned().ok_or(Refusal::UnknownOperation)
    }

    /// A card order: creates the card if unknown (`ACTIVE`), records a `PRODUCE` operation,
    /// `PENDING` with production status `CARD_PROD_REQUESTED`, and starts its production
    /// ([`Event::Ordered`]; `shipped`: the order asks for a shipment).
    pub fn order_card(
        &mut self,
        issuer: &str,
        card: &str,
        consumer: Option<String>,
        product: Option<String>,
        shipped: bool,
    ) -> Result<String, Refusal> {
        if let Some(c) = self.issuers.get(issuer).and_then(|i| i.cards.get(card)) {
            if c.state == Lifecycle::Deleted {
                return Err(Refusal::Forbidden("The card is deleted.".into()));
            }
        } else {
            self.put_card(issuer, card, consumer.clone(), Lifecycle::Active);
        }
        let mut op = self.operation(issuer, "PRODUCE", &Reason::default());
        op.status = "PENDING".to_string();
        op.end_time = None;
        op.production_status = Some(FIRST_PRODUCTION_STATUS.to_string());
        let id = op.operation_id.clone();
        let c = self.card(issuer, card)?;
        if c.consumer_id.is_none() {
            c.consumer_id = consumer;
        }
        if product.is_some() {
            c.card_product_id = product;
        }
        self.record_card(issuer, card, op);
        let (issuer, card, operation_id) = (issuer.to_string(), card.to_string(), id.clone());
        self.events.push(Event::Ordered { issuer, card, operation_id, shipped });
        Ok(id)
    }

    /// Move a card's production on to `status` (`details.status`); `last`: production is over,
    /// the operation `SUCCESSFUL`. `false` when the operation is not known (any more: see
    /// [`History`]), and nothing changed.
    pub fn advance_production(
        &mut self,
        issuer: &str,
        card: &str,
        operation_id: &str,
        status: &str,
        last: bool,
    ) -> bool {
        let now = self.clock.now();
        let Some(op) = self
            .issuers
            .get_mut(issuer)
            .and_then(|i| i.cards.get_mut(card))
            .and_then(|c| c.operations.get_mut(operation_id))
        else {
            return false;
        };
        op.production_status = Some(status.to_string());
        if last {
            op.status = "SUCCESSFUL".to_string();
            op.end_time = Some(now);
        }
        let operation = op.clone();
        self.events.push(Event::Card { issuer: issuer.to_string(), card: card.to_string(), operation });
        true
    }

    /// The `PRODUCE` operations of a card, newest first.
    pub fn production(&mut self, issuer: &str, card: &str) -> Result<Vec<Operation>, Refusal> {
        let c = self.card(issuer, card)?;
        Ok(c.operations.iter().rev().filter(|o| o.operation == "PRODUCE").cloned().collect())
    }

    // ---- digital cards -----------------------------------------------------------------------

    pub fn put_digital_card(
        &mut self,
        issuer: &str,
        id: &str,
        card: Option<String>,
        pan: String,
        state: Lifecycle,
        kind: Option<String>,
    ) {
        let now = self.clock.now();
        let suffix: String = pan.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        let operations = History::new(self.history_limit);
        self.issuer(issuer).digital_cards.insert(
            id.to_string(),
            DigitalCard {
                card_id: card,
                state,
                pan,
                pan_suffix: suffix,
                kind,
                provisioning_time: now.clone(),
                last_state_change_time: now,
                operations,
            },
        );
    }

    pub fn digital_card(&mut self, issuer: &str, id: &str) -> Result<&mut DigitalCard, Refusal> {
        self.issuers.get_mut(issuer).and_then(|i| i.digital_cards.get_mut(id)).ok_or(Refusal::UnknownDigitalCard)
    }

    pub fn digital_transition(
        &mut self,
        issuer: &str,
        id: &str,
        action: Action,
        reason: &Reason,
    ) -> Result<String, Refusal> {
        let current = self.digital_card(issuer, id)?.state;
        let next = transition(current, action, "digital card")?;
        let op = self.operation(issuer, action.operation(), reason);
        let op_id = op.operation_id.clone();
        self.record_digital(issuer, id, next, op);
        Ok(op_id)
    }

    /// Move a digital card to `state`, recording `op` in its history and as an event.
    fn record_digital(&mut self, issuer: &str, id: &str, state: Lifecycle, op: Operation) {
        if let Some(d) = self.issuers.get_mut(issuer).and_then(|i| i.digital_cards.get_mut(id)) {
            d.state = state;
            d.last_state_change_time = op.start_time.clone();
            d.operations.push(op.clone());
            let (issuer, digital_card) = (issuer.to_string(), id.to_string());
            self.events.push(Event::DigitalCard { issuer, digital_card, operation: op });
        }
    }

    pub fn step_up(&mut self, issuer: &str, id: &str) -> Result<String, Refusal> {
        if self.digital_card(issuer, id)?.state == Lifecycle::Deleted {
            return Err(Refusal::Forbidden("The digital card is deleted.".into()));
        }
        let op = self.operation(issuer, "STEPUP_AUTHENTICATION_RESULT", &Reason::default());
        let op_id = op.operation_id.clone();
        self.digital_card(issuer, id)?.operations.push(op);
        Ok(op_id)
    }

    pub fn digital_operations(
        &mut self,
        issuer: &str,
        id: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Operation>, i64), Refusal> {
        let d = self.digital_card(issuer, id)?;
        Ok(page(&d.operations, offset, limit))
    }

    pub fn digital_operation(&mut self, issuer: &str, id: &str, operation: &str) -> Result<Operation, Refusal> {
        let d = self.digital_card(issuer, id)?;
        d.operations.iter().find(|o| o.operation_id == operation).cloned().ok_or(Refusal::UnknownOperation)
    }

    /// Digital cards of the issuer whose token PAN is `pan`.
    pub fn search(&self, issuer: &str, pan: &str) -> Vec<(String, DigitalCard)> {
        self.issuers
            .get(issuer)
            .map(|i| {
                i.digital_cards.iter().filter(|(_, d)| d.pan == pan).map(|(k, d)| (k.clone(), d.clone())).collect()
            })
            .unwrap_or_default()
    }
}

/// The production status a card order starts in (D1's first `details.status` of a `PRODUCE`
/// notification).
pub const FIRST_PRODUCTION_STATUS: &str = "CARD_PROD_REQUESTED";

/// A life-cycle call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Suspend,
    Resume,
    Delete,
}

impl Action {
    fn operation(self) -> &'static str {
        match self {
            Action::Suspend => "SUSPEND",
            Action::Resume => "RESUME",
            Action::Delete => "DELETE",
        }
    }
}

/// The state machine: suspend only when active, resume only when suspended (or never
/// activated), delete from any state but deleted; deleted is final.
pub fn transition(current: Lifecycle, action: Action, what: &str) -> Result<Lifecycle, Refusal> {
    use Lifecycle::*;
    match (current, action) {
        (Deleted, _) => Err(Refusal::Forbidden(format!("The {what} is deleted."))),
        (Active, Action::Suspend) => Ok(Suspended),
        (_, Action::Suspend) => {
            Err(Refusal::Forbidden(format!("Only an active {what} can be suspended (it is {}).", current.as_str())))
        }
        (Suspended | Inactive, Action::Resume) => Ok(Active),
        (_, Action::Resume) => {
            Err(Refusal::Forbidden(format!("Only a suspended {what} can be resumed (it is {}).", current.as_str())))
        }
        (_, Action::Delete) => Ok(Deleted),
    }
}

/// Newest first, `offset` skipped (negative counts as 0), at most `limit` (negative counts as
/// 0); the second value is how many come after the page.
fn page(operations: &History, offset: i64, limit: i64) -> (Vec<Operation>, i64) {
    let offset = usize::try_from(offset.max(0)).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit.max(0)).unwrap_or(usize::MAX);
    let items: Vec<Operation> = operations.iter().rev().skip(offset).take(limit).cloned().collect();
    let remaining = operations.len().saturating_sub(offset).saturating_sub(items.len());
    (items, i64::try_from(remaining).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use Lifecycle::*;
        assert_eq!(transition(Active, Action::Suspend, "card"), Ok(Suspended));
        assert!(transition(Suspended, Action::Suspend, "card").is_err());
        assert_eq!(transition(Suspended, Action::Resume, "card"), Ok(Active));
        assert!(transition(Active, Action::Resume, "card").is_err());
        assert_eq!(transition(Inactive, Action::Resume, "card"), Ok(Active));
        for action in [Action::Suspend, Action::Resume, Action::Delete] {
            assert!(transition(Deleted, action, "card").is_err());
        }
        assert_eq!(transition(Suspended, Action::Delete, "card"), Ok(Deleted));
    }

    #[test]
    fn pages_newest_first() {
        let mut s = State::new("t".into());
        s.put_card("ISSUER0001", "c1", None, Lifecycle::Active);
        for _ in 0..3 {
            s.card_transition("ISSUER0001", "c1", Action::Suspend, &Reason::default()).unwrap();
            s.card_transition("ISSUER0001", "c1", Action::Resume, &Reason::default()).unwrap();
        }
        let (page1, remaining) = s.card_operations("ISSUER0001", "c1", 0, 4).unwrap();
        assert_eq!(page1.len(), 4);
        assert_eq!(remaining, 2);
        assert_eq!(page1[0].operation, "RESUME");
        assert!(page1[0].operation_id > page1[1].operation_id);
        let (page2, remaining) = s.card_operations("ISSUER0001", "c1", 4, 4).unwrap();
        assert_eq!((page2.len(), remaining), (2, 0));
        let (none, remaining) = s.card_operations("ISSUER0001", "c1", 10, 4).unwrap();
        assert_eq!((none.len(), remaining), (0, 0));
    }

    #[test]
    fn history_keeps_the_newest_operations_up_to_its_limit() {
        let mut s = State::new("t".into()).with_history_limit(3);
        s.put_card("ISSUER0001", "c1", None, Lifecycle::Active);
        for _ in 0..5 {
            s.card_transition("ISSUER0001", "c1", Action::Suspend, &Reason::default()).unwrap();
            s.card_transition("ISSUER0001", "c1", Action::Resume, &Reason::default()).unwrap();
        }
        let history = &s.issuers["ISSUER0001"].cards["c1"].operations;
        assert_eq!((history.len(), history.forgotten()), (3, 7));
        let (page, remaining) = s.card_operations("ISSUER0001", "c1", 0, 10).unwrap();
        assert_eq!((page.len(), remaining), (3, 0));
        assert_eq!(page[0].operation_id, "t00000010");
        assert_eq!(s.card_operation("ISSUER0001", "c1", "t00000001"), Err(Refusal::UnknownOperation));
        assert!(s.card_operation("ISSUER0001", "c1", "t00000008").is_ok());
    }

    /// What each change tells the issuer, in order.
    fn told(s: &mut State) -> Vec<String> {
        let events = s.take_events();
        let describe = |e: &Event| match e {
            Event::Card { card, operation, .. } => {
                let step = operation.production_status.as_deref().unwrap_or("");
                format!("card {card} {} {} {step}", operation.operation, operation.status).trim_end().to_string()
            }
            Event::DigitalCard { digital_card, operation, .. } => {
                format!("digital {digital_card} {}", operation.operation)
            }
            Event::Ordered { card, shipped, .. } => format!("ordered {card} shipped={shipped}"),
            Event::CredentialsNeeded { card, .. } => format!("credentials {card}"),
        };
        events.iter().map(describe).collect()
    }

    #[test]
    fn changes_are_told_once_each() {
        let mut s = State::new("t".into());
        s.put_card("ISSUER0001", "c1", None, Lifecycle::Active);
        s.put_digital_card("ISSUER0001", "d1", Some("c1".into()), "4000000000000002".into(), Lifecycle::Active, None);
        assert!(told(&mut s).is_empty(), "set-up calls are not D1 operations");

        let id = s.order_card("ISSUER0001", "c1", None, None, true).unwrap();
        assert_eq!(told(&mut s), ["card c1 PRODUCE PENDING CARD_PROD_REQUESTED", "ordered c1 shipped=true"]);
        assert!(s.advance_production("ISSUER0001", "c1", &id, "CARD_SHIPPED", true));
        assert_eq!(told(&mut s), ["card c1 PRODUCE SUCCESSFUL CARD_SHIPPED"]);
        assert!(!s.advance_production("ISSUER0001", "c1", "unknown", "CARD_SHIPPED", true));

        s.card_transition("ISSUER0001", "c1", Action::Suspend, &Reason::default()).unwrap();
        s.digital_transition("ISSUER0001", "d1", Action::Suspend, &Reason::default()).unwrap();
        assert_eq!(told(&mut s), ["card c1 SUSPEND SUCCESSFUL", "digital d1 SUSPEND"]);

        let renewal = Renewal { new_card: Some("c2"), ..Renewal::default() };
        s.renew_card("ISSUER0001", "c1", renewal).unwrap();
        assert_eq!(told(&mut s), ["card c1 RENEW SUCCESSFUL", "credentials c2"]);
        let renewal = Renewal { card_data_sent: true, ..Renewal::default() };
        s.renew_card("ISSUER0001", "c2", renewal).unwrap();
        assert_eq!(told(&mut s), ["card c2 RENEW SUCCESSFUL"]);

        // Deleting the card deletes its digital card: one DELETE each, told and recorded once.
        let id = s.card_transition("ISSUER0001", "c1", Action::Delete, &Reason::default()).unwrap();
        assert_eq!(told(&mut s), ["digital d1 DELETE", "card c1 DELETE SUCCESSFUL"]);
        let deletes: Vec<_> =
            s.issuers["ISSUER0001"].cards["c1"].operations.iter().filter(|o| o.operation == "DELETE").collect();
        assert_eq!(deletes.len(), 1);
        assert_eq!(deletes[0].operation_id, id);
    }

    #[test]
    fn consumer_delete_cascades() {
        let mut s = State::new("t".into());
        s.register_consumer("ISSUER0001", "u1", Map::new()).unwrap();
        s.put_card("ISSUER0001", "c1", Some("u1".into()), Lifecycle::Active);
        s.put_card("ISSUER0001", "c2", Some("u2".into()), Lifecycle::Active);
        s.put_digital_card("ISSUER0001", "d1", Some("c1".into()), "4000000000000002".into(), Lifecycle::Active, None);
        s.delete_consumer("ISSUER0001", "u1", &Reason::default()).unwrap();
        let i = &s.issuers["ISSUER0001"];
        assert_eq!(i.cards["c1"].state, Lifecycle::Deleted);
        assert_eq!(i.cards["c2"].state, Lifecycle::Active);
        assert_eq!(i.digital_cards["d1"].state, Lifecycle::Deleted);
        assert_eq!(s.update_consumer("ISSUER0001", "u1", Map::new()), Err(Refusal::UnknownConsumer));
        assert!(matches!(s.register_consumer("ISSUER0001", "u1", Map::new()), Err(Refusal::Forbidden(_))));
    }
}
