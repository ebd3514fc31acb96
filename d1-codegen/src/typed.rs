//! The typed read of a document: `openapiv3`'s model built from the parsed JSON tree by hand,
//! for the nodes that make up nearly all of a large spec (paths, operations, responses, media
//! types, request bodies and schemas).
//!
//! serde reads those types through untagged enums (`ReferenceOr`) and flattened members (every
//! `x-` extension, a schema's two halves), which buffer each node into an intermediate tree and
//! clone it again for every attempt: most of the loading time of a large spec. Here each node is
//! read once. The reading is exactly serde's or nothing: any node with something this module
//! does not read the way `openapiv3`'s serde code does (a `null` where serde wants a value, a
//! value of another type, a node kind read rarely such as a parameter or an example) is handed
//! to serde on its own, and a node serde refuses makes the whole read give up, so that
//! [`crate::load`] reads the document with serde again and reports the error with its location.
//! A test holds the two reads equal on the D1 specs and the test fixtures; `cargo xtask corpus`
//! runs the generator (and so this module) on every spec of the public corpus.

use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, AnySchema, ArrayType, BooleanType, Components, CookieStyle, Example, HeaderStyle,
    IntegerType, MediaType, NumberType, ObjectType, OpenAPI, Operation, Parameter, ParameterData,
    ParameterSchemaOrContent, PathItem, PathStyle, Paths, QueryStyle, ReferenceOr, RequestBody, Response, Responses,
    Schema, SchemaData, SchemaKind, StatusCode, StringType, Type,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

/// The document, or `None` if some node is one serde refuses (or reads differently than this
/// module could tell).
pub fn document(value: &Value) -> Option<OpenAPI> {
    let Value::Object(map) = value else { return None };
    // Everything but the paths and components, small, is read by serde.
    let mut rest: Map<String, Value> = map
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "paths" | "components"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    rest.insert("paths".to_string(), Value::Object(Map::new()));
    let mut document: OpenAPI = serde(&Value::Object(rest))?;
    document.paths = paths(map.get("paths")?)?;
    document.components = match map.get("components") {
        None | Some(Value::Null) => None,
        Some(components) => Some(or_serde(components, read_components)?),
    };
    Some(document)
}

/// serde's reading of one node.
fn serde<T: DeserializeOwned>(value: &Value) -> Option<T> {
    T::deserialize(value).ok()
}

/// This module's reading of a node, or serde's where it has none.
fn or_serde<T: DeserializeOwned>(value: &Value, read: impl Fn(&Value) -> Option<T>) -> Option<T> {
    read(value).or_else(|| serde(value))
}

/// `ReferenceOr<T>`: an object with a string `$ref` is a reference (other members ignored), as
/// serde's untagged reading tries that first.
fn reference_or<T: DeserializeOwned>(value: &Value, item: impl Fn(&Value) -> Option<T>) -> Option<ReferenceOr<T>> {
    match value {
        Value::Object(map) => match map.get("$ref") {
            Some(Value::String(reference)) => Some(ReferenceOr::Reference { reference: reference.clone() }),
            Some(_) => serde(value),
            None => item(value).map(ReferenceOr::Item).or_else(|| serde(value)),
        },
        _ => serde(value),
    }
}

fn schema_or_ref(value: &Value) -> Option<ReferenceOr<Schema>> {
    reference_or(value, schema)
}

fn boxed_schema_or_ref(value: &Value) -> Option<ReferenceOr<Box<Schema>>> {
    reference_or(value, |v| schema(v).map(Box::new))
}

/// A map of named nodes, in document order.
fn named<T>(value: &Value, read: impl Fn(&Value) -> Option<T>) -> Option<IndexMap<String, T>> {
    let Value::Object(map) = value else { return None };
    let mut named = IndexMap::with_capacity(map.len());
    for (k, v) in map {
        named.insert(k.clone(), read(v)?);
    }
    Some(named)
}

fn list<T>(value: &Value, read: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    let Value::Array(items) = value else { return None };
    items.iter().map(read).collect()
}

/// An `Option` member: `null` is `None`, as serde reads it.
fn optional<T>(value: &Value, read: impl Fn(&Value) -> Option<T>) -> Option<Option<T>> {
    match value {
        Value::Null => Some(None),
        v => read(v).map(Some),
    }
}

fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

fn usize_of(value: &Value) -> Option<usize> {
    value.as_u64().and_then(|n| usize::try_from(n).ok())
}

fn number(value: &Value) -> Option<Number> {
    value.as_number().cloned()
}

fn is_extension(key: &str) -> bool {
    key.starts_with("x-")
}

fn paths(value: &Value) -> Option<Paths> {
    let Value::Object(map) = value else { return serde(value) };
    let mut paths = Paths::default();
    paths.paths.reserve(map.len());
    for (key, v) in map {
        if key.starts_with('/') {
            paths.paths.insert(key.clone(), reference_or(v, path_item)?);
        } else if is_extension(key) {
            paths.extensions.insert(key.clone(), v.clone());
        }
    }
    Some(paths)
}

fn path_item(value: &Value) -> Option<PathItem> {
    let Value::Object(map) = value else { return None };
    let mut item = PathItem::default();
    for (key, v) in map {
        let operation = || optional(v, |v| or_serde(v, operation));
        match key.as_str() {
            "summary" => item.summary = optional(v, string)?,
            "description" => item.description = optional(v, string)?,
            "get" => item.get = operation()?,
            "put" => item.put = operation()?,
            "post" => item.post = operation()?,
            "delete" => item.delete = operation()?,
            "options" => item.options = operation()?,
            "head" => item.head = operation()?,
            "patch" => item.patch = operation()?,
            "trace" => item.trace = operation()?,
            "servers" => item.servers = serde(v)?,
            "parameters" => item.parameters = list(v, |p| reference_or(p, parameter))?,
            k if is_extension(k) => {
                item.extensions.insert(key.clone(), v.clone());
            }
            _ => {}
        }
    }
    Some(item)
}

fn operation(value: &Value) -> Option<Operation> {
    let Value::Object(map) = value else { return None };
    let mut operation = Operation::default();
    let mut responses = None;
    for (key, v) in map {
        match key.as_str() {
            "tags" => operation.tags = list(v, string)?,
            "summary" => operation.summary = optional(v, string)?,
            "description" => operation.description = optional(v, string)?,
            "externalDocs" => operation.external_docs = optional(v, serde)?,
            "operationId" => operation.operation_id = optional(v, string)?,
            "parameters" => operation.parameters = list(v, |p| reference_or(p, parameter))?,
            "requestBody" => operation.request_body = optional(v, |v| reference_or(v, request_body))?,
            "responses" => responses = Some(or_serde(v, read_responses)?),
            "callbacks" => operation.callbacks = serde(v)?,
            "deprecated" => operation.deprecated = v.as_bool()?,
            "security" => operation.security = serde(v)?,
            "servers" => operation.servers = serde(v)?,
            k if is_extension(k) => {
                operation.extensions.insert(key.clone(), v.clone());
            }
            _ => {}
        }
    }
    // Required: without it, serde's error.
    operation.responses = responses?;
    Some(operation)
}

fn request_body(value: &Value) -> Option<RequestBody> {
    let Value::Object(map) = value else { return None };
    let mut body = RequestBody::default();
    for (key, v) in map {
        match key.as_str() {
            "description" => body.description = optional(v, string)?,
            "content" => body.content = named(v, |m| or_serde(m, media_type))?,
            "required" => body.required = v.as_bool()?,
            k if is_extension(k) => {
                body.extensions.insert(key.clone(), v.clone());
            }
            _ => {}
        }
    }
    Some(body)
}

fn read_responses(value: &Value) -> Option<Responses> {
    let Value::Object(map) = value else { return None };
    let mut responses = Responses::default();
    for (key, v) in map {
        if key == "default" {
            responses.default = optional(v, |v| reference_or(v, response))?;
        } else if is_extension(key) {
            responses.extensions.insert(key.clone(), v.clone());
        } else if let Some(status) = status_code(key) {
            responses.responses.insert(status, reference_or(v, response)?);
        }
        // Anything else is ignored, as serde ignores a key that is not a status code.
    }
    Some(responses)
}

/// `openapiv3`'s reading of a status key: three characters, a number from 100 to 999 or a
/// digit and `XX` (any case).
fn status_code(key: &str) -> Option<StatusCode> {
    if key.len() != 3 {
        return None;
    }
    if let Ok(number) = key.parse::<i64>() {
        return u16::try_from(number).ok().filter(|n| (100..1000).contains(n)).map(StatusCode::Code);
    }
    match key.as_bytes() {
        [n, x, y] if n.is_ascii_digit() && x.eq_ignore_ascii_case(&b'X') && y.eq_ignore_ascii_case(&b'X') => {
            Some(StatusCode::Range(u16::from(n - b'0')))
        }
        _ => None,
    }
}

fn response(value: &Value) -> Option<Response> {
    let Value::Object(map) = value else { return None };
    let mut response = Response::default();
    let mut description = None;
    for (key, v) in map {
        match key.as_str() {
            "description" => description = Some(string(v)?),
            "headers" => response.headers = serde(v)?,
            "content" => response.content = named(v, |m| or_serde(m, media_type))?,
            "links" => response.links = serde(v)?,
            k if is_extension(k) => {
                response.extensions.insert(key.clone(), v.clone());
            }
            _ => {}
        }
    }
    response.description = description?;
    Some(response)
}

fn media_type(value: &Value) -> Option<MediaType> {
    let Value::Object(map) = value else { return None };
    let mut media = MediaType::default();
    for (key, v) in map {
        match key.as_str() {
            "schema" => media.schema = optional(v, schema_or_ref)?,
            "example" => media.example = (!v.is_null()).then(|| v.clone()),
            "examples" => media.examples = named(v, |e| reference_or(e, example))?,
            "encoding" => media.encoding = serde(v)?,
            k if is_extension(k) => {
                media.extensions.insert(key.clone(), v.clone());
            }
            _ => {}
        }
    }
    Some(media)
}

fn read_components(value: &Value) -> Option<Components> {
    let Value::Object(map) = value else { return None };
    let mut components = Components::default();
    for (key, v) in map {
        match key.as_str() {
            "schemas" => components.schemas = named(v, schema_or_ref)?,
            "responses" => components.responses = named(v, |r| reference_or(r, response))?,
            "requestBodies" => components.request_bodies = named(v, |b| reference_or(b, request_body))?,
            "parameters" => components.parameters = named(v, |p| reference_or(p, parameter))?,
            "examples" => components.examples = named(v, |e| reference_or(e, example))?,
            "headers" => components.headers = serde(v)?,
            "securitySchemes" => components.security_schemes = serde(v)?,
            "links" => components.links = serde(v)?,
            "callbacks" => components.callbacks = serde(v)?,
            k if is_extension(k) => {
                components.extensions.insert(key.clone(), v.clone());
            }
            _ => {}
        }
    }
    Some(components)
}

/// A parameter: its `in` picks the variant; `schema` or `content`, whichever comes first, its
/// format (both present, or neither, is left to serde).
fn parameter(value: &Value) -> Option<Parameter> {
    let Value::Object(map) = value else { return None };
    let mut name = None;
    let mut data_format = None;
    let (mut description, mut required, mut deprecated, mut example_value, mut examples, mut explode) =
        (None, false, None, None, IndexMap::new(), None);
    let mut extensions = IndexMap::new();
    let (mut style, mut allow_reserved, mut allow_empty_value) = (None, false, None);
    for (key, v) in map {
        match key.as_str() {
            "in" | "style" => {}
            "name" => name = Some(string(v)?),
            "description" => description = optional(v, string)?,
            "required" => required = v.as_bool()?,
            "deprecated" => deprecated = optional(v, Value::as_bool)?,
            "schema" | "content" if data_format.is_some() => return None,
            "schema" => data_format = Some(ParameterSchemaOrContent::Schema(schema_or_ref(v)?)),
            "content" => data_format = Some(ParameterSchemaOrContent::Content(named(v, |m| or_serde(m, media_type))?)),
            "example" => example_value = (!v.is_null()).then(|| v.clone()),
            "examples" => examples = named(v, |e| reference_or(e, example))?,
            "explode" => explode = optional(v, Value::as_bool)?,
            "allowReserved" => allow_reserved = v.as_bool()?,
            "allowEmptyValue" => allow_empty_value = optional(v, Value::as_bool)?,
            k if is_extension(k) => {
                extensions.insert(key.clone(), v.clone());
            }
            _ => {}
        }
        if key == "style" {
            style = Some(v);
        }
    }
    let parameter_data = ParameterData {
        name: name?,
        description,
        required,
        deprecated,
        format: data_format?,
        example: example_value,
        examples,
        explode,
        extensions,
    };
    // A style is read by serde (a string naming one of the location's styles).
    Some(match map.get("in")?.as_str()? {
        "query" => Parameter::Query {
            parameter_data,
            allow_reserved,
            style: style.map_or(Some(QueryStyle::default()), serde)?,
            allow_empty_value,
        },
        "header" => Parameter::Header { parameter_data, style: style.map_or(Some(HeaderStyle::default()), serde)? },
        "path" => Parameter::Path { parameter_data, style: style.map_or(Some(PathStyle::default()), serde)? },
        "cookie" => Parameter::Cookie { parameter_data, style: style.map_or(Some(CookieStyle::default()), serde)? },
        _ => return None,
    })
}

fn example(value: &Value) -> Option<Example> {
    let Value::Object(map) = value else { return None };
    let mut example = Example::default();
    for (key, v) in map {
        match key.as_str() {
            "summary" => example.summary = optional(v, string)?,
            "description" => example.description = optional(v, string)?,
            "value" => example.value = (!v.is_null()).then(|| v.clone()),
            "externalValue" => example.external_value = optional(v, string)?,
            k if is_extension(k) => {
                example.extensions.insert(key.clone(), v.clone());
            }
            _ => {}
        }
    }
    Some(example)
}

/// The keywords that decide the kind of a schema, as `openapiv3` reads them (`null` is absent).
#[derive(Default)]
struct Keywords {
    typ: Option<String>,
    pattern: Option<String>,
    multiple_of: Option<Number>,
    exclusive_minimum: Option<bool>,
    exclusive_maximum: Option<bool>,
    minimum: Option<Number>,
    maximum: Option<Number>,
    properties: Option<IndexMap<String, ReferenceOr<Box<Schema>>>>,
    required: Option<Vec<String>>,
    additional_properties: Option<AdditionalProperties>,
    min_properties: Option<usize>,
    max_properties: Option<usize>,
    items: Option<ReferenceOr<Box<Schema>>>,
    min_items: Option<usize>,
    max_items: Option<usize>,
    unique_items: Option<bool>,
    enumeration: Option<Vec<Value>>,
    format: Option<String>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    one_of: Option<Vec<ReferenceOr<Schema>>>,
    all_of: Option<Vec<ReferenceOr<Schema>>>,
    any_of: Option<Vec<ReferenceOr<Schema>>>,
    not: Option<Box<ReferenceOr<Schema>>>,
}

fn schema(value: &Value) -> Option<Schema> {
    let Value::Object(map) = value else { return None };
    let mut data = SchemaData::default();
    let mut k = Keywords::default();
    for (key, v) in map {
        match key.as_str() {
            "nullable" => data.nullable = v.as_bool()?,
            "readOnly" => data.read_only = v.as_bool()?,
            "writeOnly" => data.write_only = v.as_bool()?,
            "deprecated" => data.deprecated = v.as_bool()?,
            "externalDocs" => data.external_docs = optional(v, serde)?,
            "example" => data.example = (!v.is_null()).then(|| v.clone()),
            "title" => data.title = optional(v, string)?,
            "description" => data.description = optional(v, string)?,
            "discriminator" => data.discriminator = optional(v, serde)?,
            "default" => data.default = (!v.is_null()).then(|| v.clone()),
            "type" => k.typ = optional(v, string)?,
            "pattern" => k.pattern = optional(v, string)?,
            "multipleOf" => k.multiple_of = optional(v, number)?,
            "exclusiveMinimum" => k.exclusive_minimum = optional(v, Value::as_bool)?,
            "exclusiveMaximum" => k.exclusive_maximum = optional(v, Value::as_bool)?,
            "minimum" => k.minimum = optional(v, number)?,
            "maximum" => k.maximum = optional(v, number)?,
            "properties" => k.properties = optional(v, |p| named(p, boxed_schema_or_ref))?,
            "required" => k.required = optional(v, |r| list(r, string))?,
            "additionalProperties" => {
                k.additional_properties = optional(v, |a| match a {
                    Value::Bool(any) => Some(AdditionalProperties::Any(*any)),
                    a => schema_or_ref(a).map(|s| AdditionalProperties::Schema(Box::new(s))),
                })?
            }
            "minProperties" => k.min_properties = optional(v, usize_of)?,
            "maxProperties" => k.max_properties = optional(v, usize_of)?,
            "items" => k.items = optional(v, boxed_schema_or_ref)?,
            "minItems" => k.min_items = optional(v, usize_of)?,
            "maxItems" => k.max_items = optional(v, usize_of)?,
            "uniqueItems" => k.unique_items = optional(v, Value::as_bool)?,
            "enum" => k.enumeration = optional(v, |e| e.as_array().cloned())?,
            "format" => k.format = optional(v, string)?,
            "minLength" => k.min_length = optional(v, usize_of)?,
            "maxLength" => k.max_length = optional(v, usize_of)?,
            "oneOf" => k.one_of = optional(v, |l| list(l, schema_or_ref))?,
            "allOf" => k.all_of = optional(v, |l| list(l, schema_or_ref))?,
            "anyOf" => k.any_of = optional(v, |l| list(l, schema_or_ref))?,
            "not" => k.not = optional(v, |n| schema_or_ref(n).map(Box::new))?,
            key if is_extension(key) => {
                data.extensions.insert(key.to_string(), v.clone());
            }
            _ => {}
        }
    }
    Some(Schema { schema_data: data, schema_kind: schema_kind(k) })
}

/// Which keywords a schema has, one bit each.
mod has {
    pub const PATTERN: u32 = 1 << 0;
    pub const MULTIPLE_OF: u32 = 1 << 1;
    pub const EXCLUSIVE_MINIMUM: u32 = 1 << 2;
    pub const EXCLUSIVE_MAXIMUM: u32 = 1 << 3;
    pub const MINIMUM: u32 = 1 << 4;
    pub const MAXIMUM: u32 = 1 << 5;
    pub const PROPERTIES: u32 = 1 << 6;
    pub const REQUIRED: u32 = 1 << 7;
    pub const ADDITIONAL_PROPERTIES: u32 = 1 << 8;
    pub const MIN_PROPERTIES: u32 = 1 << 9;
    pub const MAX_PROPERTIES: u32 = 1 << 10;
    pub const ITEMS: u32 = 1 << 11;
    pub const MIN_ITEMS: u32 = 1 << 12;
    pub const MAX_ITEMS: u32 = 1 << 13;
    pub const UNIQUE_ITEMS: u32 = 1 << 14;
    pub const ENUM: u32 = 1 << 15;
    pub const FORMAT: u32 = 1 << 16;
    pub const MIN_LENGTH: u32 = 1 << 17;
    pub const MAX_LENGTH: u32 = 1 << 18;
    pub const ONE_OF: u32 = 1 << 19;
    pub const ALL_OF: u32 = 1 << 20;
    pub const ANY_OF: u32 = 1 << 21;
    pub const NOT: u32 = 1 << 22;

    pub const BOUNDS: u32 = MULTIPLE_OF | EXCLUSIVE_MINIMUM | EXCLUSIVE_MAXIMUM | MINIMUM | MAXIMUM;
    /// What each `type` allows beside it (anything more makes the schema an `Any`).
    pub const STRING: u32 = PATTERN | ENUM | FORMAT | MIN_LENGTH | MAX_LENGTH;
    pub const NUMBER: u32 = BOUNDS | ENUM | FORMAT;
    pub const BOOLEAN: u32 = ENUM;
    pub const OBJECT: u32 = PROPERTIES | REQUIRED | ADDITIONAL_PROPERTIES | MIN_PROPERTIES | MAX_PROPERTIES;
    pub const ARRAY: u32 = ITEMS | MIN_ITEMS | MAX_ITEMS | UNIQUE_ITEMS;
}

impl Keywords {
    fn present(&self) -> u32 {
        let flags = [
            (self.pattern.is_some(), has::PATTERN),
            (self.multiple_of.is_some(), has::MULTIPLE_OF),
            (self.exclusive_minimum.is_some(), has::EXCLUSIVE_MINIMUM),
            (self.exclusive_maximum.is_some(), has::EXCLUSIVE_MAXIMUM),
            (self.minimum.is_some(), has::MINIMUM),
            (self.maximum.is_some(), has::MAXIMUM),
            (self.properties.is_some(), has::PROPERTIES),
            (self.required.is_some(), has::REQUIRED),
            (self.additional_properties.is_some(), has::ADDITIONAL_PROPERTIES),
            (self.min_properties.is_some(), has::MIN_PROPERTIES),
            (self.max_properties.is_some(), has::MAX_PROPERTIES),
            (self.items.is_some(), has::ITEMS),
            (self.min_items.is_some(), has::MIN_ITEMS),
            (self.max_items.is_some(), has::MAX_ITEMS),
            (self.unique_items.is_some(), has::UNIQUE_ITEMS),
            (self.enumeration.is_some(), has::ENUM),
            (self.format.is_some(), has::FORMAT),
            (self.min_length.is_some(), has::MIN_LENGTH),
            (self.max_length.is_some(), has::MAX_LENGTH),
            (self.one_of.is_some(), has::ONE_OF),
            (self.all_of.is_some(), has::ALL_OF),
            (self.any_of.is_some(), has::ANY_OF),
            (self.not.is_some(), has::NOT),
        ];
        flags.iter().filter(|(on, _)| *on).fold(0, |bits, (_, bit)| bits | bit)
    }

    /// Every enum value `null` or one `check` accepts.
    fn enum_of(&self, check: fn(&Value) -> bool) -> bool {
        self.enumeration.iter().flatten().all(|v| v.is_null() || check(v))
    }
}

/// The values of an enum, `null` as `None` (only called once [`Keywords::enum_of`] accepted them).
fn enum_values<T>(values: Option<Vec<Value>>, convert: fn(&Value) -> Option<T>) -> Vec<Option<T>> {
    values.unwrap_or_default().iter().map(convert).collect()
}

fn is_int(n: &Option<Number>) -> bool {
    n.as_ref().is_none_or(Number::is_i64)
}

/// `openapiv3`'s choice of a schema's kind: a `type` with only the keywords that type allows,
/// or exactly one of `oneOf`/`allOf`/`anyOf`/`not` and nothing else, or else `Any`.
fn schema_kind(k: Keywords) -> SchemaKind {
    let present = k.present();
    let only = |allowed: u32| present & !allowed == 0;
    let f64_of = |n: Option<Number>| n.and_then(|n| n.as_f64());
    let i64_of = |n: Option<Number>| n.and_then(|n| n.as_i64());
    match k.typ.as_deref() {
        Some("string") if only(has::STRING) && k.enum_of(Value::is_string) => {
            return SchemaKind::Type(Type::String(StringType {
                format: k.format.into(),
                pattern: k.pattern,
                enumeration: enum_values(k.enumeration, |v| v.as_str().map(String::from)),
                min_length: k.min_length,
                max_length: k.max_length,
            }))
        }
        Some("number") if only(has::NUMBER) && k.enum_of(Value::is_number) => {
            return SchemaKind::Type(Type::Number(NumberType {
                format: k.format.into(),
                multiple_of: f64_of(k.multiple_of),
                exclusive_minimum: k.exclusive_minimum.unwrap_or_default(),
                exclusive_maximum: k.exclusive_maximum.unwrap_or_default(),
                minimum: f64_of(k.minimum),
                maximum: f64_of(k.maximum),
                enumeration: enum_values(k.enumeration, Value::as_f64),
            }))
        }
        Some("integer")
            if only(has::NUMBER)
                && k.enum_of(Value::is_i64)
                && is_int(&k.multiple_of)
                && is_int(&k.minimum)
                && is_int(&k.maximum) =>
        {
            return SchemaKind::Type(Type::Integer(IntegerType {
                format: k.format.into(),
                multiple_of: i64_of(k.multiple_of),
                exclusive_minimum: k.exclusive_minimum.unwrap_or_default(),
                exclusive_maximum: k.exclusive_maximum.unwrap_or_default(),
                minimum: i64_of(k.minimum),
                maximum: i64_of(k.maximum),
                enumeration: enum_values(k.enumeration, Value::as_i64),
            }))
        }
        Some("boolean") if only(has::BOOLEAN) && k.enum_of(Value::is_boolean) => {
            return SchemaKind::Type(Type::Boolean(BooleanType {
                enumeration: enum_values(k.enumeration, Value::as_bool),
            }))
        }
        Some("object") if only(has::OBJECT) => {
            return SchemaKind::Type(Type::Object(ObjectType {
                properties: k.properties.unwrap_or_default(),
                required: k.required.unwrap_or_default(),
                additional_properties: k.additional_properties,
                min_properties: k.min_properties,
                max_properties: k.max_properties,
            }))
        }
        Some("array") if only(has::ARRAY) => {
            return SchemaKind::Type(Type::Array(ArrayType {
                items: k.items,
                min_items: k.min_items,
                max_items: k.max_items,
                unique_items: k.unique_items.unwrap_or_default(),
            }))
        }
        None if present == has::ONE_OF => return SchemaKind::OneOf { one_of: k.one_of.unwrap_or_default() },
        None if present == has::ALL_OF => return SchemaKind::AllOf { all_of: k.all_of.unwrap_or_default() },
        None if present == has::ANY_OF => return SchemaKind::AnyOf { any_of: k.any_of.unwrap_or_default() },
        None if present == has::NOT => {
            if let Some(not) = k.not {
                return SchemaKind::Not { not };
            }
        }
        _ => {}
    }
    SchemaKind::Any(AnySchema {
        typ: k.typ,
        pattern: k.pattern,
        multiple_of: f64_of(k.multiple_of),
        exclusive_minimum: k.exclusive_minimum,
        exclusive_maximum: k.exclusive_maximum,
        minimum: f64_of(k.minimum),
        maximum: f64_of(k.maximum),
        properties: k.properties.unwrap_or_default(),
        required: k.required.unwrap_or_default(),
        additional_properties: k.additional_properties,
        min_properties: k.min_properties,
        max_properties: k.max_properties,
        items: k.items,
        min_items: k.min_items,
        max_items: k.max_items,
        unique_items: k.unique_items,
        enumeration: k.enumeration.unwrap_or_default(),
        format: k.format,
        min_length: k.min_length,
        max_length: k.max_length,
        one_of: k.one_of.unwrap_or_default(),
        all_of: k.all_of.unwrap_or_default(),
        any_of: k.any_of.unwrap_or_default(),
        not: k.not,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn serde_read(value: &Value) -> Option<OpenAPI> {
        OpenAPI::deserialize(value).ok()
    }

    use serde::Deserialize;

    fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                json_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }

    /// The two reads agree on every OpenAPI document of the repository (the D1 specs, the test
    /// fixtures, the committed corpus slice), and on a folder of more given by
    /// `D1_TYPED_READ_DIR` (e.g. the whole public corpus).
    #[test]
    fn reads_every_document_as_serde_does() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for dir in ["specs", "d1-codegen/tests", "xtask/corpus-slice"] {
            json_files(&root.join(dir), &mut files);
        }
        if let Some(more) = std::env::var_os("D1_TYPED_READ_DIR") {
            json_files(Path::new(&more), &mut files);
        }
        let (mut documents, mut refused) = (0, 0);
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else { continue };
            let Ok(value) = serde_json::from_str::<Value>(&text) else { continue };
            if !value.get("openapi").and_then(Value::as_str).is_some_and(|v| v.starts_with("3.0")) {
                continue;
            }
            documents += 1;
            let expected = serde_read(&value);
            refused += usize::from(expected.is_none());
            assert!(document(&value) == expected, "{} is read differently", file.display());
        }
        assert!(documents >= 20, "only {documents} documents found");
        eprintln!("{documents} documents read alike ({refused} refused by both)");
    }

    fn kind(json: Value) -> SchemaKind {
        schema(&json).expect("a schema").schema_kind
    }

    #[test]
    fn reads_each_schema_kind_as_serde_does() {
        let cases = [
            serde_json::json!({"type": "string", "pattern": "^a$", "enum": ["a", null], "format": "date"}),
            serde_json::json!({"type": "string", "minimum": 1}),
            serde_json::json!({"type": "string", "enum": [1]}),
            serde_json::json!({"type": "integer", "minimum": 1, "maximum": 2.5}),
            serde_json::json!({"type": "integer", "multipleOf": 2, "enum": [1, 2, null], "format": "int32"}),
            serde_json::json!({"type": "number", "minimum": 0.5, "exclusiveMaximum": true, "enum": [1.5]}),
            serde_json::json!({"type": "boolean", "enum": [true]}),
            serde_json::json!({"type": "boolean", "format": "x"}),
            serde_json::json!({"type": "object", "properties": {"a": {"$ref": "#/x"}}, "required": ["a"],
                "additionalProperties": {"type": "string"}, "minProperties": 1}),
            serde_json::json!({"type": "object", "additionalProperties": false, "items": {}}),
            serde_json::json!({"type": "array", "items": {"type": "integer"}, "uniqueItems": true, "maxItems": 3}),
            serde_json::json!({"oneOf": [{"$ref": "#/a"}, {"type": "string"}]}),
            serde_json::json!({"allOf": [{"$ref": "#/a"}], "nullable": true, "x-a": 1}),
            serde_json::json!({"anyOf": [], "description": "d", "title": null}),
            serde_json::json!({"not": {"type": "string"}}),
            serde_json::json!({"oneOf": [], "type": "object"}),
            serde_json::json!({"allOf": [], "anyOf": []}),
            serde_json::json!({"type": "foo", "minLength": 2}),
            serde_json::json!({"minimum": null, "maxLength": 4, "example": null, "default": 3}),
            serde_json::json!({}),
        ];
        for case in cases {
            let expected = Schema::deserialize(&case).expect("serde reads it");
            assert_eq!(kind(case.clone()), expected.schema_kind, "{case}");
            assert_eq!(schema(&case).map(|s| s.schema_data), Some(expected.schema_data), "{case}");
        }
        // What serde refuses, this module leaves to serde.
        for refused in
            [serde_json::json!({"nullable": null}), serde_json::json!({"minLength": -1}), serde_json::json!([1])]
        {
            assert!(Schema::deserialize(&refused).is_err());
            assert!(schema(&refused).is_none(), "{refused}");
        }
    }

    #[test]
    fn reads_parameters_as_serde_does() {
        let cases = [
            serde_json::json!({"in": "path", "name": "id", "required": true, "schema": {"type": "string"}, "x-a": 1}),
            serde_json::json!({"in": "query", "name": "q", "style": "deepObject", "explode": true, "allowReserved": true,
                "allowEmptyValue": null, "schema": {"$ref": "#/s"}, "example": 1, "examples": {"a": {"value": 2}}}),
            serde_json::json!({"in": "header", "name": "h", "deprecated": false, "content": {"text/plain": {}}}),
            serde_json::json!({"in": "cookie", "name": "c", "style": "form", "schema": {}, "description": null}),
            serde_json::json!({"in": "path", "name": "p", "allowReserved": 3, "schema": {}}),
            serde_json::json!({"in": "query", "name": "both", "content": {}, "schema": {}}),
        ];
        for case in cases {
            let expected = Parameter::deserialize(&case).expect("serde reads it");
            let read = reference_or(&case, parameter).expect("read");
            assert_eq!(read, ReferenceOr::Item(expected), "{case}");
        }
        for refused in [
            serde_json::json!({"in": "body", "name": "b", "schema": {}}),
            serde_json::json!({"in": "header", "name": "h", "style": "form", "schema": {}}),
            serde_json::json!({"in": "query", "name": "n"}),
            serde_json::json!({"in": "query", "schema": {}}),
        ] {
            assert!(Parameter::deserialize(&refused).is_err(), "{refused}");
            assert!(reference_or(&refused, parameter).is_none(), "{refused}");
        }
    }

    #[test]
    fn status_keys_as_openapiv3_reads_them() {
        for key in
            ["200", "2XX", "5xx", "099", "1000", "-10", "+99", "20X", "é1", "default", "x-a", "abc", "999", "100"]
        {
            let expected = StatusCode::deserialize(Value::String(key.to_string())).ok();
            assert_eq!(status_code(key), expected, "{key}");
        }
    }
}
