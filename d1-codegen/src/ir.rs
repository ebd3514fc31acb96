//! The intermediate representation: what the specs mean, with final Rust names, and nothing
//! about `openapiv3`. Emitters read only this. All collections are ordered (Vec / BTreeMap), so
//! emission never depends on hash order.

use crate::error::{Location, Warning};
use std::collections::BTreeMap;

/// Everything the emitters need.
#[derive(Clone, Debug)]
pub struct Ir {
    /// One module per spec, sorted by module name.
    pub apis: Vec<Api>,
    /// The document of shared types (the `common` module), when one is given.
    pub common: Option<CommonSource>,
    /// All types. `TypeId` indexes this.
    pub types: Vec<TypeDef>,
    pub warnings: Vec<Warning>,
    /// Number of fields declared as JWE-sealed.
    pub sealed_fields: usize,
    /// Names that several modules define, each with rules of its own: one Markdown list item
    /// per name, linking every definition from the types crate's root (see `describe`).
    pub namesakes: Vec<String>,
}

/// Index into `Ir::types`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeId(pub usize);

/// The document whose schemas make the `common` module (see [`crate::lower::COMMON_MARK`]).
#[derive(Clone, Debug)]
pub struct CommonSource {
    /// Display path of the file, e.g. `specs/common.json`.
    pub source: String,
    pub doc: Option<String>,
}

/// Where a type lives in the types crate.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Module {
    /// The shared types, declared in the document marked `x-d1-common`.
    Common,
    /// The module of one spec, by its Rust module name.
    Api(String),
}

impl Module {
    pub fn name(&self) -> &str {
        match self {
            Module::Common => "common",
            Module::Api(name) => name,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Api {
    /// Rust module name, e.g. `in_v1_digital_card`.
    pub module: String,
    /// The `Client` method that reaches this API: the module name (unless that is a method of
    /// `Client` itself), so that it derives from this spec alone.
    pub accessor: String,
    /// Display path of the spec file, e.g. `specs/D1-Public-IN-v1-Digital-Card.json`.
    pub source: String,
    pub overlays: Vec<String>,
    /// `info.title` on one line (whitespace runs as one space).
    pub title: String,
    /// `info.version` on one line.
    pub version: String,
    pub doc: Option<String>,
    pub servers: Vec<Server>,
    pub operations: Vec<Operation>,
    /// Types that belong to this API (including ones re-exported from `common`), sorted by name.
    pub types: Vec<TypeId>,
    /// The named security schemes of the document.
    pub security_schemes: Vec<SecurityScheme>,
}

#[derive(Clone, Debug)]
pub struct Server {
    /// Constant name, e.g. `PRODUCTION`.
    pub const_name: String,
    pub url: String,
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityScheme {
    pub name: String,
    pub kind: SecurityKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecurityKind {
    Bearer,
    Basic,
    ApiKey { header: String },
    OAuth2,
    Other,
}

#[derive(Clone, Debug)]
pub struct Operation {
    /// snake_case method name, unique within the API, e.g. `suspend`, `get_credentials`.
    pub name: String,
    /// UpperCamelCase stem of the operation's own types (`Suspend` → `SuspendBuilder`,
    /// `SuspendRequest`…), unique within the API like `name`.
    pub type_stem: String,
    pub method: Method,
    /// The path as written in the spec, e.g. `/issuers/{issuerId}/digitalCards:search`.
    pub path: String,
    pub segments: Vec<PathSegment>,
    pub summary: Option<String>,
    pub doc: Option<String>,
    pub deprecated: bool,
    pub params: Vec<Parameter>,
    pub body: Option<RequestBody>,
    pub responses: Vec<Response>,
    /// Names of the security schemes that apply (empty: no auth).
    pub security: Vec<String>,
    pub location: Location,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Patch,
    Head,
    Options,
    Trace,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
        }
    }
}

/// A piece of a path template. `/issuers/{issuerId}/digitalCards:search` is
/// `Literal("/issuers/")`, `Param("issuerId")`, `Literal("/digitalCards:search")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathSegment {
    Literal(String),
    Param(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
}

#[derive(Clone, Debug)]
pub struct Parameter {
    /// The name on the wire, e.g. `x-correlation-id`.
    pub name: String,
    /// snake_case Rust name, unique within the operation, e.g. `correlation_id`.
    pub ident: String,
    pub location: ParamLocation,
    pub required: bool,
    pub ty: TypeRef,
    pub doc: Option<String>,
    pub default: Option<serde_json::Value>,
    /// How a list value is written (OpenAPI 3.0 `style` and `explode`); scalars ignore it.
    pub list_style: ListStyle,
    /// `Some`: the value is an object, a map or a `oneOf`/`anyOf` (or a scalar in `label` or
    /// `matrix` style, or an array in `deepObject`), written by the runtime's styles from its
    /// JSON form; `Json` for a parameter declared with `content: application/json` or one no
    /// style can write. `None`: a scalar or a list of scalars, written per `list_style`.
    pub value_style: Option<ValueStyle>,
}

/// The `style` and `explode` of a parameter (OpenAPI 3.0 §Style Values), or JSON text.
/// Mirrors `d1_runtime::style::Style`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueStyle {
    Form { explode: bool },
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
    Simple { explode: bool },
    Label { explode: bool },
    Matrix { explode: bool },
    Json,
}

impl ValueStyle {
    /// The name OpenAPI gives it, for messages.
    pub fn name(self) -> &'static str {
        match self {
            ValueStyle::Form { .. } => "form",
            ValueStyle::SpaceDelimited => "spaceDelimited",
            ValueStyle::PipeDelimited => "pipeDelimited",
            ValueStyle::DeepObject => "deepObject",
            ValueStyle::Simple { .. } => "simple",
            ValueStyle::Label { .. } => "label",
            ValueStyle::Matrix { .. } => "matrix",
            ValueStyle::Json => "content: application/json",
        }
    }

    /// How a list of scalars is laid out in this style.
    pub fn list(self) -> ListStyle {
        match self {
            ValueStyle::Form { explode: true } | ValueStyle::DeepObject | ValueStyle::Json => ListStyle::Repeated,
            ValueStyle::Form { explode: false } | ValueStyle::Simple { .. } => ListStyle::Joined(','),
            ValueStyle::SpaceDelimited => ListStyle::Joined(' '),
            ValueStyle::PipeDelimited => ListStyle::Joined('|'),
            ValueStyle::Label { explode } => ListStyle::Label { explode },
            ValueStyle::Matrix { explode } => ListStyle::Matrix { explode },
        }
    }
}

/// How the items of an array parameter are laid out on the wire (OpenAPI 3.0 §Style Values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListStyle {
    /// Query `form` with `explode`: `name=a&name=b`.
    Repeated,
    /// One value, items joined by the separator: query `form` (`,`), `spaceDelimited` (`%20`),
    /// `pipeDelimited` (`|`); path, header and cookie `simple`/`form` (`,`).
    Joined(char),
    /// Path `label`: `.a.b` with `explode`, `.a,b` without.
    Label { explode: bool },
    /// Path `matrix`: `;name=a;name=b` with `explode`, `;name=a,b` without.
    Matrix { explode: bool },
}

#[derive(Clone, Debug)]
pub struct RequestBody {
    pub media_type: MediaType,
    /// Other media types the spec also accepts for the same body.
    pub alternatives: Vec<String>,
    pub ty: TypeRef,
    pub required: bool,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaType {
    Json,
    FormUrlEncoded,
    /// Anything else: the body is passed as raw bytes with this content type.
    Other(String),
}

#[derive(Clone, Debug)]
pub struct Response {
    pub status: Status,
    /// The variant that stands for this status in the operation's enums (client and server).
    pub variant: String,
    pub description: String,
    /// `None`: no body (e.g. 204), or a body the generator does not model (see the warning).
    pub body: Option<ResponseBody>,
}

#[derive(Clone, Debug)]
pub struct ResponseBody {
    pub media_type: MediaType,
    pub ty: TypeRef,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Code(u16),
    /// `2XX` → `Range(2)`.
    Range(u16),
    Default,
}

/// As the spec writes it: `404`, `2XX`, `default`.
impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Code(code) => write!(f, "{code}"),
            Status::Range(class) => write!(f, "{class}XX"),
            Status::Default => f.write_str("default"),
        }
    }
}

impl Status {
    pub fn is_success(self) -> bool {
        match self {
            Status::Code(c) => (200..300).contains(&c),
            Status::Range(r) => r == 2,
            Status::Default => false,
        }
    }
}

/// A reference to a type: a named definition or a built-in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TypeRef {
    Named(TypeId),
    String,
    Integer(IntWidth),
    Number,
    Boolean,
    Array(Box<TypeRef>),
    /// A JSON object with arbitrary keys and values of one type.
    Map(Box<TypeRef>),
    /// Any JSON value (also the fallback where the spec cannot be modelled precisely).
    Json,
    /// Any JSON object.
    JsonObject,
    /// `Box<T>` to break a recursive type.
    Boxed(Box<TypeRef>),
    /// Raw bytes (a body in a media type the generator does not model).
    Bytes,
    /// A JWE whose plaintext is the given struct; `max_length` bounds the compact form.
    Sealed {
        plaintext: TypeId,
        max_length: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IntWidth {
    I32,
    I64,
}

#[derive(Clone, Debug)]
pub struct TypeDef {
    /// Final Rust name (UpperCamelCase), unique within `module`.
    pub name: String,
    pub module: Module,
    pub doc: Option<String>,
    pub location: Location,
    pub kind: TypeKind,
    /// The server's function checking a JSON value against this struct or union, unique among
    /// its module's check functions; `None` for other kinds and for JWE plaintexts.
    pub check: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    Struct(Struct),
    StringEnum(StringEnum),
    OneOf(OneOf),
    Newtype(Newtype),
    /// `pub type Name = Target;` (a named schema that adds nothing to a built-in type).
    Alias(TypeRef),
    /// A type defined in `common`, re-exported by this API module.
    ReExport(TypeId),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Struct {
    pub fields: Vec<Field>,
    pub deny_unknown_fields: bool,
    /// Extra properties allowed by `additionalProperties: <schema>`, collected into a map.
    pub additional: Option<Additional>,
    /// A JWE plaintext: redacted, zeroized, no public serde.
    pub plaintext: bool,
    /// Name of the constructor taking the required members (emitted only when there are some;
    /// a struct without required members derives `Default` instead).
    pub constructor: String,
}

/// The member of a struct that collects the properties it does not name.
#[derive(Clone, Debug, PartialEq, Hash)]
pub struct Additional {
    /// The type of each value (the keys are strings).
    pub ty: TypeRef,
    /// The member's Rust name: `additional_properties`, numbered past a field of that name.
    pub ident: String,
}

impl Struct {
    /// The members a value cannot be built without: required and not nullable (a required
    /// nullable member starts as `null`).
    pub fn constructor_args(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| f.required && !f.nullable)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Name on the wire.
    pub name: String,
    /// snake_case Rust name.
    pub ident: String,
    pub ty: TypeRef,
    pub required: bool,
    pub nullable: bool,
    pub doc: Option<String>,
    /// Name of the method that sets an optional member (`with_card_id`); unused for the
    /// members the constructor takes.
    pub setter: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StringEnum {
    pub variants: Vec<EnumVariant>,
    /// Name of the catch-all variant for values this version does not know.
    pub unknown_variant: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumVariant {
    pub value: String,
    pub ident: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OneOf {
    /// `Some`: internally tagged by this property; `None`: untagged (first variant that fits).
    pub tag: Option<String>,
    pub variants: Vec<OneOfVariant>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OneOfVariant {
    pub ident: String,
    /// Tag value (only for tagged unions).
    pub tag_value: Option<String>,
    pub ty: TypeRef,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Newtype {
    pub inner: NewtypeInner,
    pub constraints: Constraints,
    /// Never printed (`Debug`/`Display` redacted), zeroized on drop: a member of a JWE plaintext,
    /// or a string declared sensitive with `x-d1-redact`.
    pub sensitive: bool,
    /// A member of a JWE plaintext: no public serde (its JSON exists only inside the plaintext).
    /// `false` for wire types, whose serde form is the plain string.
    pub plaintext: bool,
    /// `Some(4)`: `Debug`/`Display` show the last 4 characters (PANs).
    pub reveal_last: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewtypeInner {
    String,
    Integer(IntWidth),
    Number,
    Array(TypeRef),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Constraints {
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// ECMA-262 pattern as written in the spec.
    pub pattern: Option<String>,
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    /// No two items may be equal (as JSON values).
    pub unique_items: bool,
    /// The value must pass the Luhn check (a real card number).
    pub luhn: bool,
}

impl Constraints {
    /// "1 to 48 characters, matches `…`": the rules in words, for docs.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        match (self.min_length, self.max_length) {
            (Some(a), Some(b)) if a == b => parts.push(format!("exactly {a} characters")),
            (Some(a), Some(b)) => parts.push(format!("{a} to {b} characters")),
            (Some(a), None) => parts.push(format!("at least {a} characters")),
            (None, Some(b)) => parts.push(format!("at most {b} characters")),
            (None, None) => {}
        }
        if let Some(p) = &self.pattern {
            parts.push(format!("matches `{p}`"));
        }
        if let Some(m) = self.minimum {
            parts.push(format!("{} {}", if m.exclusive { ">" } else { ">=" }, m.value));
        }
        if let Some(m) = self.maximum {
            parts.push(format!("{} {}", if m.exclusive { "<" } else { "<=" }, m.value));
        }
        match (self.min_items, self.max_items) {
            (Some(a), Some(b)) => parts.push(format!("{a} to {b} items")),
            (Some(a), None) => parts.push(format!("at least {a} items")),
            (None, Some(b)) => parts.push(format!("at most {b} items")),
            (None, None) => {}
        }
        if self.unique_items {
            parts.push("no two items equal".to_string());
        }
        if self.luhn {
            parts.push("a valid Luhn check digit".to_string());
        }
        parts.join(", ")
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    pub value: BoundValue,
    pub exclusive: bool,
}

/// A bound as the spec wrote it: integers exactly (never through `f64`), numbers as `f64`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BoundValue {
    Integer(i64),
    Number(f64),
}

impl BoundValue {
    /// The nearest `f64` (for error values, which are `f64` at run time).
    pub fn as_f64(self) -> f64 {
        match self {
            BoundValue::Integer(v) => v as f64,
            BoundValue::Number(v) => v,
        }
    }
}

impl std::fmt::Display for BoundValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BoundValue::Integer(v) => write!(f, "{v}"),
            BoundValue::Number(v) => write!(f, "{v}"),
        }
    }
}

/// Counts for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub specs: usize,
    pub operations: usize,
    pub types: usize,
    pub newtypes: usize,
    pub sealed: usize,
}

impl Ir {
    pub fn ty(&self, id: TypeId) -> &TypeDef {
        &self.types[id.0]
    }

    pub fn stats(&self) -> Stats {
        let defined = self.types.iter().filter(|t| !matches!(t.kind, TypeKind::ReExport(_)));
        let mut stats = Stats { specs: self.apis.len(), sealed: self.sealed_fields, ..Stats::default() };
        stats.operations = self.apis.iter().map(|a| a.operations.len()).sum();
        for t in defined {
            stats.types += 1;
            if let TypeKind::Newtype(_) = t.kind {
                stats.newtypes += 1;
            }
        }
        stats
    }

    /// Display paths of every document the crates come from: the specs, then the shared types'.
    pub fn sources(&self) -> Vec<&str> {
        self.apis.iter().map(|a| a.source.as_str()).chain(self.common.iter().map(|c| c.source.as_str())).collect()
    }

    /// Types grouped by module, each sorted by name.
    pub fn modules(&self) -> BTreeMap<Module, Vec<TypeId>> {
        let mut modules: BTreeMap<Module, Vec<TypeId>> = BTreeMap::new();
        for (i, t) in self.types.iter().enumerate() {
            modules.entry(t.module.clone()).or_default().push(TypeId(i));
        }
        for ids in modules.values_mut() {
            ids.sort_by(|a, b| self.types[a.0].name.cmp(&self.types[b.0].name));
        }
        modules
    }
}
