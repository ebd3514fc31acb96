//! Local `$ref`s that point anywhere but `#/components/<section>/<name>` — into a path's
//! parameter, an operation's response, a property of a schema — are valid OpenAPI, but the typed
//! model and the lowering follow component references only. Before the document is read into
//! that model, each such target is copied, once, into the components section its use calls for
//! (a `$ref` in a schema's place is a schema, one in `parameters` a parameter…), under a fresh
//! name, and every reference to it is pointed there. The copies remember where they came from,
//! so that errors still name the place in the file.
//!
//! A `$ref` to another components section than its place calls for (a response object where a
//! schema belongs) is copied the same way, read as what its place calls for, with a warning.
//!
//! Cost: one walk of the document per round, one copy per distinct target; a round only runs
//! when the previous one copied targets that themselves hold such references, at most
//! `MAX_ROUNDS` (16) times. What is left (a target that does not exist, a use of no known kind) is
//! not touched: the lowering reports it as before.

use crate::error::{Location, Warning};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Rounds of copying targets found inside copied targets.
const MAX_ROUNDS: usize = 16;

/// Copied targets: their pointer in the rewritten document (`/components/schemas/Name`) → the
/// pointer of the original in the file.
pub type Hoisted = BTreeMap<String, String>;

/// Rewrite `doc` (the file `file`) so that every local `$ref` it can place points into the
/// `components` section its use calls for.
pub fn hoist(file: &str, doc: &mut Value, warnings: &mut Vec<Warning>) -> Hoisted {
    let mut hoisted = Hoisted::new();
    // (target pointer, section) → the copy's name.
    let mut copies: BTreeMap<(String, &'static str), String> = BTreeMap::new();
    for _ in 0..MAX_ROUNDS {
        let mut found = Vec::new();
        collect(doc, &mut Vec::new(), &mut found);
        let mut rewrites: Vec<(Vec<String>, String)> = Vec::new();
        let mut copied = false;
        for (at, target, section) in found {
            let key = (target.clone(), section);
            if !copies.contains_key(&key) {
                let Some(value) = doc.pointer(&target).cloned() else { continue };
                if let Some(other) = other_section(&target, section) {
                    let location = at.iter().fold(Location::new(file, ""), |l, key| l.child(key)).child("$ref");
                    warnings.push(Warning {
                        location,
                        message: format!(
                            "this `$ref` stands for an entry of `components/{section}` but points into \
                             `components/{other}`: the target is read as one of `{section}`"
                        ),
                    });
                }
                let name = fresh_name(doc, section, &target);
                if let Some(map) = section_map(doc, section) {
                    map.insert(name.clone(), value);
                    hoisted.insert(format!("/components/{section}/{}", escape_segment(&name)), target.clone());
                    copies.insert(key.clone(), name);
                    copied = true;
                }
            }
            if let Some(name) = copies.get(&key) {
                rewrites.push((at, format!("#/components/{section}/{}", escape_segment(name))));
            }
        }
        for (at, reference) in rewrites {
            if let Some(Value::Object(object)) = node_mut(doc, &at) {
                object.insert("$ref".to_string(), Value::String(reference));
            }
        }
        if !copied {
            break;
        }
    }
    hoisted
}

/// Every `$ref` object to rewrite: where it is, its target as a JSON Pointer, and the section
/// its use calls for.
/// `path` borrows the keys on the way down (a walk of the whole document); only a found
/// reference's path is copied.
fn collect<'v>(value: &'v Value, path: &mut Vec<Cow<'v, str>>, out: &mut Vec<(Vec<String>, String, &'static str)>) {
    match value {
        Value::Object(object) => {
            // A scan rather than a lookup: the loop below visits every member anyway.
            if let Some((_, Value::String(reference))) = object.iter().find(|(key, _)| *key == "$ref")
                && let Some(section) = section_of(path)
                && let Some(target) = movable_target(reference, section)
            {
                out.push((path.iter().map(|key| key.to_string()).collect(), target, section));
            }
            for (key, child) in object.iter().filter(|(_, child)| holds_nodes(child)) {
                path.push(Cow::Borrowed(key));
                collect(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate().filter(|(_, child)| holds_nodes(child)) {
                path.push(Cow::Owned(i.to_string()));
                collect(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Whether a value can hold a `$ref` (strings, numbers… are not walked into).
fn holds_nodes(value: &Value) -> bool {
    matches!(value, Value::Object(_) | Value::Array(_))
}

/// The JSON Pointer of a local reference that is not `#/components/<section>/<name>`.
fn movable_target(reference: &str, section: &str) -> Option<String> {
    let pointer = percent_decode(reference.strip_prefix('#')?)?;
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    let canonical = matches!(segments[..], ["components", s, _] if s == section);
    (!canonical && pointer.starts_with('/')).then_some(pointer)
}

/// The section of a `components/<other>/<name>` target, when it is not `section`.
fn other_section<'t>(target: &'t str, section: &str) -> Option<&'t str> {
    match target.split('/').skip(1).collect::<Vec<_>>()[..] {
        ["components", other, _] if other != section => Some(other),
        _ => None,
    }
}

/// The components section a `$ref` at `path` stands for, from the keys around it.
fn section_of(path: &[Cow<str>]) -> Option<&'static str> {
    let last = path.last()?.as_ref();
    let parent = path.len().checked_sub(2).map(|i| path[i].as_ref());
    let is_index = last.parse::<usize>().is_ok();
    if let [first, section, _] = path
        && *first == "components"
    {
        return ["schemas", "parameters", "responses", "requestBodies", "headers"]
            .into_iter()
            .find(|s| *s == section.as_ref());
    }
    match (parent, last) {
        (_, "schema" | "items" | "additionalProperties" | "not") => Some("schemas"),
        (Some("properties"), _) => Some("schemas"),
        (Some("allOf" | "oneOf" | "anyOf"), _) if is_index => Some("schemas"),
        (Some("parameters"), _) if is_index => Some("parameters"),
        (Some("responses"), _) => Some("responses"),
        (_, "requestBody") => Some("requestBodies"),
        (Some("headers"), _) => Some("headers"),
        _ => None,
    }
}

/// A name for the copy of `target` in `section`: a parameter's own name (for it or its
/// schema), else the last segment of the pointer that names something, made unique.
fn fresh_name(doc: &Value, section: &str, target: &str) -> String {
    const STRUCTURE: &[&str] = &[
        "schema",
        "items",
        "additionalProperties",
        "not",
        "properties",
        "allOf",
        "oneOf",
        "anyOf",
        "content",
        "parameters",
        "responses",
        "requestBody",
        "headers",
        "components",
        "schemas",
        "paths",
        "get",
        "put",
        "post",
        "delete",
        "patch",
        "head",
        "options",
        "trace",
    ];
    let segments: Vec<String> = target.split('/').skip(1).map(unescape_segment).collect();
    // A parameter, or a parameter's schema: the parameter's `name`.
    let named = |pointer: &str| doc.pointer(pointer).and_then(|p| p.get("name")).and_then(Value::as_str);
    let parameter_name = named(target).or_else(|| target.strip_suffix("/schema").and_then(named)).map(str::to_string);
    let base = parameter_name
        .or_else(|| {
            segments
                .iter()
                .rev()
                .find(|s| !STRUCTURE.contains(&s.as_str()) && s.parse::<usize>().is_err() && !s.contains('/'))
                .cloned()
        })
        .or_else(|| segments.iter().rev().find(|s| s.starts_with('/')).cloned())
        .unwrap_or_else(|| "Shared".to_string());
    let base: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    let taken = |name: &str| doc.pointer(&format!("/components/{section}/{}", escape_segment(name))).is_some();
    if !taken(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}{n}")).find(|name| !taken(name)).unwrap_or(base)
}

/// `components/<section>` as an object, created if missing; `None` when it is not an object.
fn section_map<'a>(doc: &'a mut Value, section: &str) -> Option<&'a mut Map<String, Value>> {
    let components = doc.as_object_mut()?.entry("components").or_insert_with(|| Value::Object(Map::new()));
    components.as_object_mut()?.entry(section).or_insert_with(|| Value::Object(Map::new())).as_object_mut()
}

fn node_mut<'a>(value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |node, key| match node {
        Value::Object(object) => object.get_mut(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    })
}

fn escape_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A JSON Pointer segment as the key it stands for: `~1` → `/`, `~0` → `~`.
pub(crate) fn unescape_segment(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// A URI fragment's `%XX` escapes decoded; `None` when one is malformed or the result is not UTF-8.
pub(crate) fn percent_decode(fragment: &str) -> Option<String> {
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = fragment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::hoist;
    use serde_json::json;

    #[test]
    fn targets_are_copied_once_into_the_section_their_use_calls_for() {
        let mut doc = json!({
            "paths": {
                "/a/{id}": {"get": {
                    "parameters": [{"name": "id", "in": "path", "schema": {"type": "string", "maxLength": 4}}],
                    "responses": {"200": {"description": "ok"}}
                }},
                "/b/{id}": {"get": {
                    "parameters": [
                        {"name": "id", "in": "path", "schema": {"$ref": "#/paths/~1a~1%7Bid%7D/get/parameters/0/schema"}},
                        {"$ref": "#/paths/~1a~1{id}/get/parameters/0"}
                    ],
                    "responses": {"default": {"$ref": "#/paths/~1a~1{id}/get/responses/200"}}
                }}
            },
            "components": {"schemas": {
                "Pet": {"type": "object", "properties": {"tag": {"type": "string"}}},
                "Tagged": {"type": "object", "properties": {"tag": {"$ref": "#/components/schemas/Pet/properties/tag"}}},
                "Other": {"$ref": "#/components/schemas/Pet/properties/tag"}
            }}
        });
        let hoisted = hoist("s.json", &mut doc, &mut Vec::new());
        let b = &doc["paths"]["/b/{id}"]["get"];
        assert_eq!(b["parameters"][0]["schema"]["$ref"], "#/components/schemas/id");
        assert_eq!(b["parameters"][1]["$ref"], "#/components/parameters/id");
        // Nothing names a response: the path does.
        assert_eq!(b["responses"]["default"]["$ref"], "#/components/responses/_a__id_");
        // Two references to one schema share one copy.
        let tag = &doc["components"]["schemas"]["Tagged"]["properties"]["tag"]["$ref"];
        assert_eq!(tag, "#/components/schemas/tag");
        assert_eq!(doc["components"]["schemas"]["Other"]["$ref"], "#/components/schemas/tag");
        assert_eq!(doc["components"]["schemas"]["tag"], json!({"type": "string"}));
        assert_eq!(doc["components"]["schemas"]["id"], json!({"type": "string", "maxLength": 4}));
        assert_eq!(
            hoisted.get("/components/schemas/id").map(String::as_str),
            Some("/paths/~1a~1{id}/get/parameters/0/schema")
        );
        assert_eq!(hoisted.len(), 4, "{hoisted:?}");
    }

    #[test]
    fn names_do_not_replace_existing_components_and_unknown_targets_are_left_alone() {
        let mut doc = json!({
            "components": {"schemas": {
                "tag": {"type": "integer"},
                "Pet": {"type": "object", "properties": {
                    "tag": {"type": "string"},
                    "a": {"$ref": "#/components/schemas/Pet/properties/tag"},
                    "b": {"$ref": "#/components/schemas/Pet/properties/missing"},
                    "c": {"$ref": "#/x/%ZZ"}
                }}
            }}
        });
        hoist("s.json", &mut doc, &mut Vec::new());
        let pet = &doc["components"]["schemas"]["Pet"]["properties"];
        assert_eq!(pet["a"]["$ref"], "#/components/schemas/tag2");
        assert_eq!(doc["components"]["schemas"]["tag"], json!({"type": "integer"}));
        assert_eq!(pet["b"]["$ref"], "#/components/schemas/Pet/properties/missing");
        assert_eq!(pet["c"]["$ref"], "#/x/%ZZ");
    }
}
