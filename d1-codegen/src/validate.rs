//! Checks every schema object of a document against what the OpenAPI 3.0 schema allows for
//! its keywords, on the JSON tree, before `openapiv3` sees it.
//!
//! Two reasons. A value the OpenAPI 3.0 schema forbids (`"type": "strng"`, `"minLength": -1`)
//! must be an error naming the file and JSON pointer, not a field that silently accepts any
//! JSON. And `openapiv3` reads schemas through untagged enums: a bad keyword deep inside
//! nested schemas makes every level retry every variant, which takes time exponential in the
//! depth. Caught here, in one walk, the time is linear in the document's size.
//!
//! The walk is iterative (an explicit stack), and schema nesting is bounded by
//! [`MAX_SCHEMA_DEPTH`], so no input can make it overflow the stack. It runs without tracking
//! where it is (a pointer per node costs more than the checks), and only a document that fails
//! is walked again with locations, to say where.

use crate::error::{Error, Location};
use serde_json::{Map, Value};

/// Schemas nested deeper than this (inline, not through `$ref`) are refused.
pub const MAX_SCHEMA_DEPTH: usize = 64;

const TYPES: &[&str] = &["string", "number", "integer", "boolean", "array", "object"];
const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Where the walk is: a [`Location`] when an error must name the place, nothing on the first walk.
trait Place: Sized {
    fn child(&self, key: &str) -> Self;
    fn index(&self, i: usize) -> Self;
    fn error(&self, message: String) -> Error;
}

impl Place for Location {
    fn child(&self, key: &str) -> Self {
        Location::child(self, key)
    }
    fn index(&self, i: usize) -> Self {
        Location::index(self, i)
    }
    fn error(&self, message: String) -> Error {
        Error::new(self, message)
    }
}

/// No place: the walk that only says whether there is a problem.
struct Unplaced;

impl Place for Unplaced {
    fn child(&self, _: &str) -> Self {
        Unplaced
    }
    fn index(&self, _: usize) -> Self {
        Unplaced
    }
    fn error(&self, message: String) -> Error {
        Error::new(&Location::new("", ""), message)
    }
}

/// Every schema of `document` (a parsed OpenAPI 3.0 file at `file`), or the first problem.
pub fn check_document(file: &str, document: &Value) -> Result<(), Error> {
    match walk(Unplaced, document) {
        Ok(()) => Ok(()),
        Err(_) => walk(Location::new(file, ""), document),
    }
}

fn walk<P: Place>(root: P, document: &Value) -> Result<(), Error> {
    let mut schemas: Vec<(P, &Value)> = Vec::new();
    let components = document.get("components");
    if let Some(Value::Object(c)) = components {
        let at = root.child("components");
        for (name, s) in entries(c.get("schemas")) {
            schemas.push((at.child("schemas").child(name), s));
        }
        for (name, p) in entries(c.get("parameters")) {
            parameter(&at.child("parameters").child(name), p, &mut schemas);
        }
        for (name, h) in entries(c.get("headers")) {
            parameter(&at.child("headers").child(name), h, &mut schemas);
        }
        for (name, b) in entries(c.get("requestBodies")) {
            content(&at.child("requestBodies").child(name), b, &mut schemas);
        }
        for (name, r) in entries(c.get("responses")) {
            response(&at.child("responses").child(name), r, &mut schemas);
        }
    }
    for (path, item) in entries(document.get("paths")) {
        let at = root.child("paths").child(path);
        parameters(&at, item, &mut schemas);
        for method in METHODS {
            let Some(op) = item.get(*method) else { continue };
            let op_at = at.child(method);
            parameters(&op_at, op, &mut schemas);
            if let Some(body) = op.get("requestBody") {
                content(&op_at.child("requestBody"), body, &mut schemas);
            }
            for (code, r) in entries(op.get("responses")) {
                response(&op_at.child("responses").child(code), r, &mut schemas);
            }
        }
    }
    for (at, s) in schemas {
        check_schema_tree(at, s)?;
    }
    Ok(())
}

fn entries(v: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    v.and_then(Value::as_object).into_iter().flat_map(Map::iter)
}

fn parameters<'v, P: Place>(at: &P, holder: &'v Value, out: &mut Vec<(P, &'v Value)>) {
    if let Some(Value::Array(list)) = holder.get("parameters") {
        for (i, p) in list.iter().enumerate() {
            parameter(&at.child("parameters").index(i), p, out);
        }
    }
}

/// A parameter or header: `schema`, or `content`.
fn parameter<'v, P: Place>(at: &P, p: &'v Value, out: &mut Vec<(P, &'v Value)>) {
    if let Some(s) = p.get("schema") {
        out.push((at.child("schema"), s));
    }
    content(at, p, out);
}

fn content<'v, P: Place>(at: &P, holder: &'v Value, out: &mut Vec<(P, &'v Value)>) {
    for (media, m) in entries(holder.get("content")) {
        if let Some(s) = m.get("schema") {
            out.push((at.child("content").child(media).child("schema"), s));
        }
    }
}

fn response<'v, P: Place>(at: &P, r: &'v Value, out: &mut Vec<(P, &'v Value)>) {
    content(at, r, out);
    for (name, h) in entries(r.get("headers")) {
        parameter(&at.child("headers").child(name), h, out);
    }
}

/// Checks the schema at `at` and every schema nested in it, iteratively.
fn check_schema_tree<P: Place>(at: P, schema: &Value) -> Result<(), Error> {
    let mut stack: Vec<(P, &Value, usize)> = vec![(at, schema, 0)];
    while let Some((at, schema, depth)) = stack.pop() {
        if depth > MAX_SCHEMA_DEPTH {
            return Err(at.error(format!("schemas nest more than {MAX_SCHEMA_DEPTH} levels deep")));
        }
        let Value::Object(map) = schema else {
            return Err(at.error(format!("a schema must be an object, not {}", kind(schema))));
        };
        if let Some(r) = map.get("$ref") {
            if !r.is_string() {
                return Err(at.child("$ref").error("`$ref` must be a string".to_string()));
            }
            continue; // siblings of `$ref` are ignored (OpenAPI 3.0)
        }
        check_keywords(&at, map)?;
        let mut push = |loc: P, v| stack.push((loc, v, depth + 1));
        for key in ["items", "not"] {
            if let Some(s) = map.get(key) {
                push(at.child(key), s);
            }
        }
        if let Some(s @ Value::Object(_)) = map.get("additionalProperties") {
            push(at.child("additionalProperties"), s);
        }
        if let Some(Value::Object(props)) = map.get("properties") {
            for (name, s) in props {
                push(at.child("properties").child(name), s);
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(Value::Array(list)) = map.get(key) {
                for (i, s) in list.iter().enumerate() {
                    push(at.child(key).index(i), s);
                }
            }
        }
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The keywords of one schema object (not its sub-schemas).
fn check_keywords<P: Place>(at: &P, map: &Map<String, Value>) -> Result<(), Error> {
    let wrong = |key: &str, v: &Value, want: &str| {
        Err(at.child(key).error(format!("`{key}` must be {want}, not {} (OpenAPI 3.0)", kind(v))))
    };
    for (key, v) in map {
        let check = |ok: bool, want: &str| if ok { Ok(()) } else { wrong(key, v, want) };
        match key.as_str() {
            "type" => match v {
                Value::String(t) if TYPES.contains(&t.as_str()) => {}
                Value::String(t) => {
                    return Err(at
                        .child(key)
                        .error(format!("unknown type `{t}` (OpenAPI 3.0 types: {})", TYPES.join(", "))))
                }
                _ => return wrong(key, v, "one of the strings string, number, integer, boolean, array, object"),
            },
            "format" | "pattern" | "title" | "description" => check(v.is_string(), "a string")?,
            "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties" | "maxProperties" => {
                check(v.as_u64().is_some_and(|n| i64::try_from(n).is_ok()), "a non-negative integer")?
            }
            "minimum" | "maximum" => check(v.is_number(), "a number")?,
            "multipleOf" => check(v.as_f64().is_some_and(|n| n > 0.0), "a number greater than 0")?,
            "exclusiveMinimum" | "exclusiveMaximum" | "uniqueItems" | "nullable" | "readOnly" | "writeOnly"
            | "deprecated" => check(v.is_boolean(), "a boolean")?,
            "required" => match v {
                Value::Array(items) if items.iter().all(Value::is_string) => {}
                _ => return wrong(key, v, "an array of strings"),
            },
            "enum" => check(v.is_array(), "an array")?,
            "allOf" | "oneOf" | "anyOf" => check(v.is_array(), "an array of schemas")?,
            "items" | "not" | "properties" | "xml" | "externalDocs" => check(v.is_object(), "an object")?,
            "additionalProperties" => check(v.is_object() || v.is_boolean(), "a boolean or a schema")?,
            "discriminator" => {
                let ok = v.get("propertyName").is_some_and(Value::is_string)
                    && v.get("mapping").is_none_or(|m| m.as_object().is_some_and(|m| m.values().all(Value::is_string)));
                if !ok {
                    return wrong(key, v, "an object with a string `propertyName` and a string `mapping`");
                }
            }
            _ => {}
        }
    }
    Ok(())
}
