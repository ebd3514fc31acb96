//! What changed between two versions of the specs, judged for the people who use the generated
//! crates: **client users** (who call `d1-client` and build request types) and **server
//! implementers** (who implement the `d1-server` traits and build response types).
//!
//! The comparison reads the IR after naming, so every change names the Rust item it touches
//! and the JSON pointer of the spec node it comes from. APIs are matched by module name,
//! operations by method and path, parameters by location and name, struct fields by their
//! name on the wire, enum values by value. Types are compared where they are used: walking
//! from the operations tells whether a type is sent by the client (a request), by the server
//! (a response) or both, and that decides which side a change breaks.
//!
//! The rules (applied in this module's private `Diff` methods):
//!
//! * the side that **builds** a value (client for requests, server for responses) is broken by
//!   a new required field (one more constructor argument); a new optional field breaks nobody,
//!   as generated structs are `#[non_exhaustive]` and built through constructors and setters
//!   ([`EXHAUSTIVE_TYPES`] is `false`);
//! * a new enum value breaks nobody: enums are `#[non_exhaustive]` too, so every `match` already
//!   has a wildcard, and string enums keep unknown values; a new `oneOf` variant in a response
//!   breaks parsing, as unions have no catch-all;
//! * removals, renames, type changes and a field or parameter that becomes required or
//!   optional (`T` ↔ `Option<T>`) break both sides;
//! * a tightened constraint (pattern, length, range, items) breaks client users, whose values
//!   or received responses may now be refused, and server implementers when the server
//!   builds the value; a loosened one breaks nobody;
//! * a new operation breaks server implementers (one more trait method) and no client user;
//!   a new response status breaks server implementers, whom the spec now asks to produce it
//!   (the client's per-operation enums are `#[non_exhaustive]`).

use crate::emit::Options;
use crate::ir::{
    Api, Constraints, Ir, Operation, ParamLocation, Parameter, Status, StringEnum, TypeDef, TypeId, TypeKind, TypeRef,
};
use crate::naming;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Whether generated structs and enums are exhaustive (a new field would break struct
/// literals, a new variant `match`es without a wildcard). They are `#[non_exhaustive]`, so only
/// the wire-level rules and the constructors' arguments remain.
pub const EXHAUSTIVE_TYPES: bool = false;

/// For one side: does the change break existing code or behaviour?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Breaking,
    Compatible,
}

impl Verdict {
    fn from(breaks: bool) -> Self {
        if breaks {
            Verdict::Breaking
        } else {
            Verdict::Compatible
        }
    }
}

/// What kind of change (stable names, used by tests and the report).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    ApiAdded,
    ApiRemoved,
    OperationAdded,
    OperationRemoved,
    OperationRenamed,
    ParameterAdded,
    ParameterRemoved,
    ParameterNowRequired,
    ParameterNowOptional,
    BodyAdded,
    BodyRemoved,
    BodyNowRequired,
    BodyNowOptional,
    ResponseAdded,
    ResponseRemoved,
    FieldAdded,
    FieldRemoved,
    FieldNowRequired,
    FieldNowOptional,
    ValueAdded,
    ValueRemoved,
    ConstraintTightened,
    ConstraintLoosened,
    TypeChanged,
    TypeRenamed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ApiAdded => "api-added",
            Kind::ApiRemoved => "api-removed",
            Kind::OperationAdded => "operation-added",
            Kind::OperationRemoved => "operation-removed",
            Kind::OperationRenamed => "operation-renamed",
            Kind::ParameterAdded => "parameter-added",
            Kind::ParameterRemoved => "parameter-removed",
            Kind::ParameterNowRequired => "parameter-now-required",
            Kind::ParameterNowOptional => "parameter-now-optional",
            Kind::BodyAdded => "body-added",
            Kind::BodyRemoved => "body-removed",
            Kind::BodyNowRequired => "body-now-required",
            Kind::BodyNowOptional => "body-now-optional",
            Kind::ResponseAdded => "response-added",
            Kind::ResponseRemoved => "response-removed",
            Kind::FieldAdded => "field-added",
            Kind::FieldRemoved => "field-removed",
            Kind::FieldNowRequired => "field-now-required",
            Kind::FieldNowOptional => "field-now-optional",
            Kind::ValueAdded => "value-added",
            Kind::ValueRemoved => "value-removed",
            Kind::ConstraintTightened => "constraint-tightened",
            Kind::ConstraintLoosened => "constraint-loosened",
            Kind::TypeChanged => "type-changed",
            Kind::TypeRenamed => "type-renamed",
        }
    }
}

/// One change, judged for both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Module name of the API.
    pub api: String,
    pub kind: Kind,
    /// `file#pointer` of the spec node (in the new specs; in the old ones for a removal).
    pub location: String,
    /// The Rust item it changes, e.g. `d1_types::in_v1_card::CardId`.
    pub item: String,
    /// One sentence: what changed and why it breaks whom.
    pub detail: String,
    pub client: Verdict,
    pub server: Verdict,
}

impl Change {
    pub fn is_breaking(&self) -> bool {
        self.client == Verdict::Breaking || self.server == Verdict::Breaking
    }
}

/// Every change between two IRs, in API order then in the order found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub changes: Vec<Change>,
}

/// Compare two IRs; `options` gives the crate names used in Rust paths.
pub fn compare(old: &Ir, new: &Ir, options: &Options) -> Report {
    let crates = Crates {
        types: options.types_crate.replace('-', "_"),
        client: options.client_crate.replace('-', "_"),
        server: options.server_crate.replace('-', "_"),
    };
    let mut changes = Vec::new();
    let old_apis: BTreeMap<&str, &Api> = old.apis.iter().map(|a| (a.module.as_str(), a)).collect();
    let new_apis: BTreeMap<&str, &Api> = new.apis.iter().map(|a| (a.module.as_str(), a)).collect();
    let modules: BTreeSet<&str> = old_apis.keys().chain(new_apis.keys()).copied().collect();
    for module in modules {
        let mut diff = Diff { old, new, crates: &crates, api: module, pairs: BTreeMap::new(), changes: Vec::new() };
        match (old_apis.get(module), new_apis.get(module)) {
            (Some(a), Some(b)) => diff.api(a, b),
            (Some(a), None) => diff.push(
                Kind::ApiRemoved,
                a.source.clone(),
                format!("{}::{module}, {}::{module}, {}::{module}", crates.types, crates.client, crates.server),
                format!("API {} removed ({} operations)", code(module), a.operations.len()),
                true,
                true,
            ),
            (None, Some(b)) => diff.push(
                Kind::ApiAdded,
                b.source.clone(),
                format!("{}::{module}, {}::{module}, {}::{module}", crates.types, crates.client, crates.server),
                format!(
                    "API {} added ({} operations): a new trait nobody has to implement",
                    code(module),
                    b.operations.len()
                ),
                false,
                false,
            ),
            (None, None) => {}
        }
        changes.extend(diff.changes);
    }
    Report { changes }
}

struct Crates {
    types: String,
    client: String,
    server: String,
}

/// Who sends values of a type: the client (in requests), the server (in responses), or both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Flow {
    request: bool,
    response: bool,
}

const REQUEST: Flow = Flow { request: true, response: false };
const RESPONSE: Flow = Flow { request: false, response: true };

impl Flow {
    fn union(self, other: Flow) -> Flow {
        Flow { request: self.request || other.request, response: self.response || other.response }
    }

    fn describe(self) -> &'static str {
        match (self.request, self.response) {
            (true, true) => "in requests and responses",
            (true, false) => "in requests",
            _ => "in responses",
        }
    }
}

/// The comparison of one API.
struct Diff<'a> {
    old: &'a Ir,
    new: &'a Ir,
    crates: &'a Crates,
    api: &'a str,
    /// Named types at the same place in both versions, with where their values flow.
    pairs: BTreeMap<(TypeId, TypeId), Flow>,
    changes: Vec<Change>,
}

impl<'a> Diff<'a> {
    fn push(&mut self, kind: Kind, location: String, item: String, detail: String, client: bool, server: bool) {
        self.changes.push(Change {
            api: self.api.to_string(),
            kind,
            location,
            item,
            detail,
            client: Verdict::from(client),
            server: Verdict::from(server),
        });
    }

    fn api(&mut self, old: &'a Api, new: &'a Api) {
        let key = |op: &Operation| (op.method, op.path.clone());
        let old_ops: BTreeMap<_, &Operation> = old.operations.iter().map(|op| (key(op), op)).collect();
        let new_ops: BTreeMap<_, &Operation> = new.operations.iter().map(|op| (key(op), op)).collect();
        // First where every type flows (a type may be reached from several operations), then
        // the changes, each reported once.
        for (k, a) in &old_ops {
            if let Some(b) = new_ops.get(k) {
                self.link_operation(a, b);
            }
        }
        for (k, a) in &old_ops {
            match new_ops.get(k) {
                Some(b) => self.operation(a, b),
                None => self.push(
                    Kind::OperationRemoved,
                    a.location.to_string(),
                    self.op_items(a),
                    format!("operation {} removed", code(&format!("{} {}", a.method.as_str(), a.path))),
                    true,
                    true,
                ),
            }
        }
        for (k, b) in &new_ops {
            if !old_ops.contains_key(k) {
                self.push(
                    Kind::OperationAdded,
                    b.location.to_string(),
                    self.op_items(b),
                    format!(
                        "operation {} added: server implementers must implement one more trait method",
                        code(&format!("{} {}", b.method.as_str(), b.path))
                    ),
                    false,
                    true,
                );
            }
        }
        let pairs: Vec<_> = self.pairs.iter().map(|(k, v)| (*k, *v)).collect();
        for ((a, b), flow) in pairs {
            self.types(a, b, flow);
        }
    }

    fn op_items(&self, op: &Operation) -> String {
        format!(
            "{}::{}::Api::{}, {}::{}::{}::{}",
            self.crates.client,
            self.api,
            op.name,
            self.crates.server,
            self.api,
            naming::server_trait(self.api),
            op.name
        )
    }

    /// Record the named types an operation's inputs and outputs share between the versions.
    fn link_operation(&mut self, a: &Operation, b: &Operation) {
        for (pa, pb) in matched_params(a, b) {
            self.link(&pa.ty, &pb.ty, REQUEST);
        }
        if let (Some(x), Some(y)) = (&a.body, &b.body) {
            self.link(&x.ty, &y.ty, REQUEST);
        }
        for ra in &a.responses {
            if let Some(rb) = b.responses.iter().find(|r| r.status == ra.status)
                && let (Some(x), Some(y)) = (&ra.body, &rb.body)
            {
                self.link(&x.ty, &y.ty, RESPONSE);
            }
        }
    }

    /// Pair the named types found at the same place in `a` and `b`, and everything they reach.
    fn link(&mut self, a: &TypeRef, b: &TypeRef, flow: Flow) {
        let Ok(found) = zip(self.old, self.new, a, b) else { return };
        for pair in found {
            let known = self.pairs.get(&pair).copied().unwrap_or_default();
            let merged = known.union(flow);
            if merged == known && self.pairs.contains_key(&pair) {
                continue;
            }
            self.pairs.insert(pair, merged);
            let (x, y) = (self.old.ty(pair.0), self.new.ty(pair.1));
            for (ta, tb) in children(x, y) {
                self.link(&ta, &tb, merged);
            }
        }
    }

    fn operation(&mut self, a: &Operation, b: &Operation) {
        let items = self.op_items(b);
        let what = code(&format!("{} {}", b.method.as_str(), b.path));
        if a.name != b.name {
            self.push(
                Kind::OperationRenamed,
                b.location.to_string(),
                items.clone(),
                format!("operation {what}: method {} is now {}", code(&a.name), code(&b.name)),
                true,
                true,
            );
        }
        let request = naming::operation_type(&b.type_stem, "Request");
        let at = b.location.child("parameters").to_string();
        for pa in &a.params {
            if !b.params.iter().any(|pb| same_param(pa, pb)) {
                let detail = format!("{} parameter {} of {what} removed", location_name(pa.location), code(&pa.name));
                let item = self.param_item(b, &request, pa);
                self.push(Kind::ParameterRemoved, a.location.child("parameters").to_string(), item, detail, true, true);
            }
        }
        for pb in &b.params {
            let item = self.param_item(b, &request, pb);
            let name = format!("{} parameter {} of {what}", location_name(pb.location), code(&pb.name));
            match a.params.iter().find(|pa| same_param(pa, pb)) {
                None if pb.required => self.push(
                    Kind::ParameterAdded,
                    at.clone(),
                    item,
                    format!("required {name} added: client users must pass one more argument"),
                    true,
                    false,
                ),
                None => self.push(
                    Kind::ParameterAdded,
                    at.clone(),
                    item,
                    format!("optional {name} added (a builder setter)"),
                    false,
                    false,
                ),
                Some(pa) if pa.required != pb.required => {
                    let (kind, now) = if pb.required {
                        (
                            Kind::ParameterNowRequired,
                            "required (an argument instead of a setter; `T` instead of `Option<T>`)",
                        )
                    } else {
                        (
                            Kind::ParameterNowOptional,
                            "optional (a setter instead of an argument; `Option<T>` instead of `T`)",
                        )
                    };
                    self.push(kind, at.clone(), item, format!("{name} is now {now}"), true, true);
                }
                Some(pa) => self.refs(&pa.ty, &pb.ty, REQUEST, &at, &item),
            }
        }
        let body_at = b.location.child("requestBody").to_string();
        let body_item = format!("{}::{}::{request}::body", self.crates.server, self.api);
        match (&a.body, &b.body) {
            (Some(_), None) => {
                let at = a.location.child("requestBody").to_string();
                self.push(Kind::BodyRemoved, at, body_item, format!("request body of {what} removed"), true, true);
            }
            (None, Some(y)) => self.push(
                Kind::BodyAdded,
                body_at,
                body_item,
                format!("{} request body added to {what}", if y.required { "required" } else { "optional" }),
                y.required,
                false,
            ),
            (Some(x), Some(y)) if x.required != y.required => self.push(
                if y.required { Kind::BodyNowRequired } else { Kind::BodyNowOptional },
                body_at,
                body_item,
                format!("request body of {what} is now {}", if y.required { "required" } else { "optional" }),
                true,
                true,
            ),
            (Some(x), Some(y)) => self.refs(&x.ty, &y.ty, REQUEST, &body_at, &body_item),
            (None, None) => {}
        }
        for ra in &a.responses {
            if !b.responses.iter().any(|rb| rb.status == ra.status) {
                let at = a.location.child("responses").child(&status_key(ra.status)).to_string();
                let detail = format!("response {} of {what} removed", code(&status_key(ra.status)));
                self.push(Kind::ResponseRemoved, at, self.answer_enums(b, ra.status), detail, true, true);
            }
        }
        for rb in &b.responses {
            let at = b.location.child("responses").child(&status_key(rb.status)).to_string();
            match a.responses.iter().find(|ra| ra.status == rb.status) {
                None => self.push(
                    Kind::ResponseAdded,
                    at,
                    self.answer_enums(b, rb.status),
                    format!(
                        "response {} added to {what}: one more variant to match, one more answer the server must give",
                        code(&status_key(rb.status))
                    ),
                    EXHAUSTIVE_TYPES,
                    true,
                ),
                Some(ra) => match (&ra.body, &rb.body) {
                    (Some(x), Some(y)) => self.refs(&x.ty, &y.ty, RESPONSE, &at, &self.answer_enums(b, rb.status)),
                    (None, None) => {}
                    _ => self.push(
                        Kind::TypeChanged,
                        at,
                        self.answer_enums(b, rb.status),
                        format!("response {} of {what} gained or lost its body", code(&status_key(rb.status))),
                        true,
                        true,
                    ),
                },
            }
        }
    }

    /// The client's enum of an operation's declared answers (successes or errors), and the
    /// server's of all of them.
    fn answer_enums(&self, op: &Operation, status: Status) -> String {
        let client_enum = naming::operation_type(&op.type_stem, if status.is_success() { "Success" } else { "Error" });
        let response_enum = naming::operation_type(&op.type_stem, "Response");
        let (client, server, api) = (&self.crates.client, &self.crates.server, self.api);
        format!("{client}::{api}::{client_enum}, {server}::{api}::{response_enum}")
    }

    fn param_item(&self, op: &Operation, request: &str, p: &Parameter) -> String {
        format!(
            "{}::{}::Api::{} ({}), {}::{}::{request}::{}",
            self.crates.client, self.api, op.name, p.ident, self.crates.server, self.api, p.ident
        )
    }

    /// A type reference at the same place in both versions: report a change of shape (the
    /// named types inside are compared once each, in [`Diff::types`]).
    fn refs(&mut self, a: &TypeRef, b: &TypeRef, flow: Flow, at: &str, item: &str) {
        if zip(self.old, self.new, a, b).is_err() {
            let detail = format!(
                "type changed {}: {} is now {}",
                flow.describe(),
                code(&self.type_text(self.old, a)),
                code(&self.type_text(self.new, b))
            );
            self.push(Kind::TypeChanged, at.to_string(), item.to_string(), detail, true, true);
        }
    }

    /// The path of a type through the API's module (shared types are re-exported there).
    fn type_path(&self, t: &TypeDef) -> String {
        format!("{}::{}::{}", self.crates.types, self.api, t.name)
    }

    fn type_text(&self, ir: &Ir, t: &TypeRef) -> String {
        match t {
            TypeRef::Named(id) => ir.ty(resolve(ir, *id)).name.clone(),
            TypeRef::String => "String".into(),
            TypeRef::Integer(crate::ir::IntWidth::I32) => "i32".into(),
            TypeRef::Integer(crate::ir::IntWidth::I64) => "i64".into(),
            TypeRef::Number => "f64".into(),
            TypeRef::Boolean => "bool".into(),
            TypeRef::Array(inner) => format!("Vec<{}>", self.type_text(ir, inner)),
            TypeRef::Map(inner) => format!("BTreeMap<String, {}>", self.type_text(ir, inner)),
            TypeRef::Json => "serde_json::Value".into(),
            TypeRef::JsonObject => "serde_json::Map".into(),
            TypeRef::Boxed(inner) => format!("Box<{}>", self.type_text(ir, inner)),
            TypeRef::Bytes => "Bytes".into(),
            TypeRef::Sealed { plaintext, .. } => format!("Jwe<{}>", ir.ty(*plaintext).name),
        }
    }

    /// Compare two named types found at the same place; `flow` says who sends their values.
    fn types(&mut self, a: TypeId, b: TypeId, flow: Flow) {
        let (x, y) = (self.old.ty(a), self.new.ty(b));
        let item = self.type_path(y);
        let at = y.location.to_string();
        if x.name != y.name {
            let detail = format!(
                "type {} renamed {} ({}); the JSON is unchanged, Rust code naming the type breaks",
                code(&x.name),
                code(&y.name),
                flow.describe()
            );
            self.push(Kind::TypeRenamed, at.clone(), item.clone(), detail, true, true);
        }
        match (&x.kind, &y.kind) {
            (TypeKind::Struct(s), TypeKind::Struct(t)) => {
                for f in &s.fields {
                    if !t.fields.iter().any(|g| g.name == f.name) {
                        let at = x.location.child("properties").child(&f.name).to_string();
                        let detail =
                            format!("field {} removed from {} ({})", code(&f.name), code(&y.name), flow.describe());
                        self.push(Kind::FieldRemoved, at, format!("{item}::{}", f.ident), detail, true, true);
                    }
                }
                for g in &t.fields {
                    let at = y.location.child("properties").child(&g.name).to_string();
                    let field_item = format!("{item}::{}", g.ident);
                    let optional = |f: &crate::ir::Field| !f.required || f.nullable;
                    match s.fields.iter().find(|f| f.name == g.name) {
                        None => {
                            let required = !optional(g);
                            let detail = format!(
                                "{} field {} added to {} ({}){}",
                                if required { "required" } else { "optional" },
                                code(&g.name),
                                code(&y.name),
                                flow.describe(),
                                if required {
                                    ": the side that builds it must set it"
                                } else if EXHAUSTIVE_TYPES {
                                    ": struct literals of the side that builds it break"
                                } else {
                                    ""
                                }
                            );
                            let builds = |side: bool| side && (required || EXHAUSTIVE_TYPES);
                            self.push(
                                Kind::FieldAdded,
                                at,
                                field_item,
                                detail,
                                builds(flow.request),
                                builds(flow.response),
                            );
                        }
                        Some(f) if optional(f) != optional(g) => {
                            let (kind, now) = if optional(g) {
                                (Kind::FieldNowOptional, "optional (`Option<T>` instead of `T`)")
                            } else {
                                (Kind::FieldNowRequired, "required (`T` instead of `Option<T>`)")
                            };
                            let detail = format!(
                                "field {} of {} is now {now} ({})",
                                code(&g.name),
                                code(&y.name),
                                flow.describe()
                            );
                            self.push(kind, at, field_item, detail, true, true);
                        }
                        Some(f) => self.refs(&f.ty, &g.ty, flow, &at, &field_item),
                    }
                }
            }
            (TypeKind::StringEnum(s), TypeKind::StringEnum(t)) => self.string_enum(s, t, x, y, flow),
            (TypeKind::OneOf(s), TypeKind::OneOf(t)) => {
                let key = variant_key;
                for v in &s.variants {
                    if !t.variants.iter().any(|w| key(w) == key(v)) {
                        let detail =
                            format!("variant {} removed from {} ({})", code(&key(v)), code(&y.name), flow.describe());
                        self.push(Kind::ValueRemoved, at.clone(), format!("{item}::{}", v.ident), detail, true, true);
                    }
                }
                for w in &t.variants {
                    match s.variants.iter().find(|v| key(v) == key(w)) {
                        None => {
                            let detail = format!(
                                "variant {} added to {} ({}): a union has no catch-all, so readers cannot parse it before they upgrade", code(&key(w)), code(&y.name),
                                flow.describe()
                            );
                            self.push(
                                Kind::ValueAdded,
                                at.clone(),
                                format!("{item}::{}", w.ident),
                                detail,
                                flow.response,
                                flow.request,
                            );
                        }
                        Some(v) => self.refs(&v.ty, &w.ty, flow, &at, &format!("{item}::{}", w.ident)),
                    }
                }
            }
            (TypeKind::Newtype(s), TypeKind::Newtype(t)) if s.inner == t.inner => {
                self.constraints(&s.constraints, &t.constraints, y, flow)
            }
            (TypeKind::Alias(s), TypeKind::Alias(t)) => self.refs(s, t, flow, &at, &item),
            _ => {
                let detail = format!("type {} changed kind ({})", code(&y.name), flow.describe());
                self.push(Kind::TypeChanged, at, item, detail, true, true);
            }
        }
    }

    fn string_enum(&mut self, s: &StringEnum, t: &StringEnum, x: &TypeDef, y: &TypeDef, flow: Flow) {
        let item = self.type_path(y);
        for v in &s.variants {
            if !t.variants.iter().any(|w| w.value == v.value) {
                let at = x.location.child("enum").to_string();
                let detail = format!("value {} removed from {} ({})", code(&v.value), code(&y.name), flow.describe());
                self.push(Kind::ValueRemoved, at, format!("{item}::{}", v.ident), detail, true, true);
            }
        }
        for w in &t.variants {
            if !s.variants.iter().any(|v| v.value == w.value) {
                let at = y.location.child("enum").to_string();
                let detail = format!(
                    "value {} added to {} ({}): readers that do not know it get `{}::{}`{}",
                    code(&w.value),
                    code(&y.name),
                    flow.describe(),
                    y.name,
                    t.unknown_variant,
                    if EXHAUSTIVE_TYPES { "; exhaustive `match`es on the enum break" } else { "" }
                );
                self.push(
                    Kind::ValueAdded,
                    at,
                    format!("{item}::{}", w.ident),
                    detail,
                    EXHAUSTIVE_TYPES && flow.response,
                    EXHAUSTIVE_TYPES && flow.request,
                );
            }
        }
    }

    fn constraints(&mut self, a: &Constraints, b: &Constraints, y: &TypeDef, flow: Flow) {
        let item = self.type_path(y);
        let mut tightened = Vec::new();
        let mut loosened = Vec::new();
        let mut lower = |name: &'static str, old: Option<f64>, new: Option<f64>| match (old, new) {
            (None, Some(_)) => tightened.push(name),
            (Some(_), None) => loosened.push(name),
            (Some(o), Some(n)) if n > o => tightened.push(name),
            (Some(o), Some(n)) if n < o => loosened.push(name),
            _ => {}
        };
        let f = |v: Option<u64>| v.map(|v| v as f64);
        let bound = |v: Option<crate::ir::Bound>| v.map(|b| b.value.as_f64());
        lower("minLength", f(a.min_length), f(b.min_length));
        lower("minItems", f(a.min_items), f(b.min_items));
        lower("minimum", bound(a.minimum), bound(b.minimum));
        let neg = |v: Option<f64>| v.map(|v| -v);
        lower("maxLength", neg(f(a.max_length)), neg(f(b.max_length)));
        lower("maxItems", neg(f(a.max_items)), neg(f(b.max_items)));
        lower("maximum", neg(bound(a.maximum)), neg(bound(b.maximum)));
        match (&a.pattern, &b.pattern) {
            (None, Some(_)) => tightened.push("pattern"),
            (Some(_), None) => loosened.push("pattern"),
            // Whether one pattern accepts a subset of another is not decided here: any
            // change may refuse values accepted before.
            (Some(p), Some(q)) if p != q => tightened.push("pattern"),
            _ => {}
        }
        for (name, was, is) in [("luhn", a.luhn, b.luhn), ("uniqueItems", a.unique_items, b.unique_items)] {
            match (was, is) {
                (false, true) => tightened.push(name),
                (true, false) => loosened.push(name),
                _ => {}
            }
        }
        let words = |names: &[&str]| names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
        if !tightened.is_empty() {
            let at = y.location.child(tightened[0]).to_string();
            let detail = format!(
                "{} tightened ({}), {}: values accepted before may be refused",
                code(&y.name),
                words(&tightened),
                flow.describe()
            );
            self.push(Kind::ConstraintTightened, at, item.clone(), detail, true, flow.response);
        }
        if !loosened.is_empty() {
            let at = y.location.child(loosened[0]).to_string();
            let detail = format!(
                "{} loosened ({}), {}: more values are accepted",
                code(&y.name),
                words(&loosened),
                flow.describe()
            );
            self.push(Kind::ConstraintLoosened, at, item, detail, false, false);
        }
    }
}

/// The parameters present in both operations.
fn matched_params<'o>(a: &'o Operation, b: &'o Operation) -> Vec<(&'o Parameter, &'o Parameter)> {
    a.params.iter().filter_map(|pa| b.params.iter().find(|pb| same_param(pa, pb)).map(|pb| (pa, pb))).collect()
}

fn same_param(a: &Parameter, b: &Parameter) -> bool {
    a.location == b.location
        && if a.location == ParamLocation::Header { a.name.eq_ignore_ascii_case(&b.name) } else { a.name == b.name }
}

fn location_name(l: ParamLocation) -> &'static str {
    match l {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

fn status_key(s: Status) -> String {
    match s {
        Status::Code(c) => c.to_string(),
        Status::Range(r) => format!("{r}XX"),
        Status::Default => "default".to_string(),
    }
}

/// A re-export stands for the type it re-exports.
fn resolve(ir: &Ir, mut id: TypeId) -> TypeId {
    while let TypeKind::ReExport(target) = ir.ty(id).kind {
        if target == id {
            break;
        }
        id = target;
    }
    id
}

/// The named types at matching places of `a` (old) and `b` (new), or `Err` when their shapes
/// differ (a different Rust type).
fn zip(old: &Ir, new: &Ir, a: &TypeRef, b: &TypeRef) -> Result<Vec<(TypeId, TypeId)>, ()> {
    match (a, b) {
        (TypeRef::Named(x), TypeRef::Named(y)) => Ok(vec![(resolve(old, *x), resolve(new, *y))]),
        (TypeRef::Array(x), TypeRef::Array(y))
        | (TypeRef::Map(x), TypeRef::Map(y))
        | (TypeRef::Boxed(x), TypeRef::Boxed(y)) => zip(old, new, x, y),
        (TypeRef::Sealed { plaintext: x, .. }, TypeRef::Sealed { plaintext: y, .. }) => Ok(vec![(*x, *y)]),
        _ if a == b && !matches!(a, TypeRef::Named(_)) => Ok(Vec::new()),
        _ => Err(()),
    }
}

/// A `oneOf` variant is the same in both versions when its tag value is (untagged: its name).
fn variant_key(v: &crate::ir::OneOfVariant) -> String {
    v.tag_value.clone().unwrap_or_else(|| v.ident.clone())
}

/// The type references inside two paired types that sit at the same place.
fn children(x: &TypeDef, y: &TypeDef) -> Vec<(TypeRef, TypeRef)> {
    match (&x.kind, &y.kind) {
        (TypeKind::Struct(s), TypeKind::Struct(t)) => s
            .fields
            .iter()
            .filter_map(|f| t.fields.iter().find(|g| g.name == f.name).map(|g| (f.ty.clone(), g.ty.clone())))
            .collect(),
        (TypeKind::OneOf(s), TypeKind::OneOf(t)) => s
            .variants
            .iter()
            .filter_map(|v| {
                t.variants.iter().find(|w| variant_key(w) == variant_key(v)).map(|w| (v.ty.clone(), w.ty.clone()))
            })
            .collect(),
        (TypeKind::Newtype(s), TypeKind::Newtype(t)) => match (&s.inner, &t.inner) {
            (crate::ir::NewtypeInner::Array(a), crate::ir::NewtypeInner::Array(b)) => vec![(a.clone(), b.clone())],
            _ => Vec::new(),
        },
        (TypeKind::Alias(a), TypeKind::Alias(b)) => vec![(a.clone(), b.clone())],
        _ => Vec::new(),
    }
}

impl Report {
    /// Whether anything breaks either side.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(Change::is_breaking)
    }

    /// The report as Markdown, fit for a pull-request comment. Every text that comes from a
    /// spec is shown as inline code (see [`code`]), so a spec cannot inject Markdown.
    pub fn markdown(&self) -> String {
        let count = |f: &dyn Fn(&Change) -> bool| self.changes.iter().filter(|c| f(c)).count();
        let client = count(&|c| c.client == Verdict::Breaking);
        let server = count(&|c| c.server == Verdict::Breaking);
        let compatible = count(&|c| !c.is_breaking());
        let mut out = String::from("## API changes\n\n");
        if self.changes.is_empty() {
            out.push_str("No change to the generated API.\n");
            return out;
        }
        let _ = writeln!(
            out,
            "{} {}: **{client} breaking for client users**, **{server} breaking for server implementers**, {compatible} compatible for both.",
            self.changes.len(),
            if self.changes.len() == 1 { "change" } else { "changes" }
        );
        let mut api = None;
        for c in &self.changes {
            if api != Some(&c.api) {
                api = Some(&c.api);
                let _ = write!(
                    out,
                    "\n### {}\n\n| change | client users | server implementers | Rust item | spec |\n|---|---|---|---|---|\n",
                    code(&c.api)
                );
            }
            let verdict = |v: Verdict| if v == Verdict::Breaking { "**breaking**" } else { "compatible" };
            let items: Vec<String> = c.item.split(", ").map(code).collect();
            let _ = writeln!(
                out,
                "| {}: {} | {} | {} | {} | {} |",
                c.kind.as_str(),
                cell(&c.detail),
                verdict(c.client),
                verdict(c.server),
                items.join("<br>"),
                code(&c.location)
            );
        }
        out
    }
}

/// `text` as an inline code span that a table cell cannot break out of: a fence of backticks
/// longer than any run inside, line breaks as spaces, `|` escaped (GitHub tables split on it
/// even inside code).
pub fn code(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let longest = flat.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{}{pad}{fence}", flat.replace('|', "\\|"))
}

/// A detail sentence in a table cell. Details are written by this module, with every text from
/// a spec inside a [`code`] span already: only line breaks and `|` need care.
fn cell(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().replace('|', "\\|")
}
