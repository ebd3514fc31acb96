//! Load: parse spec files (JSON or YAML), apply OpenAPI Overlay documents, and read each spec
//! into `openapiv3` types (by hand in `typed.rs`, by serde where that gives up). Errors carry the file
//! and the JSON pointer of the node.
//!
//! The caller hands in file contents; this module does no I/O of its own.

use crate::error::{Error, Location, Warning};
use crate::overlay;
use serde_json::Value;

/// One input file as read from disk (or built in memory by a test).
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user should see it in messages and `@generated` headers, with `/` separators.
    pub path: String,
    pub text: String,
}

/// A parsed OpenAPI document and where it came from.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Display path of the file.
    pub path: String,
    /// The file name without directories and extension, e.g. `D1-Public-IN-v1-Card`.
    pub stem: String,
    /// Display paths of the overlays applied to it.
    pub overlays: Vec<String>,
    pub document: openapiv3::OpenAPI,
    /// Targets of local `$ref`s copied into `components` ([`crate::refs`]): the copy's pointer →
    /// the original's, so that locations name the place in the file.
    pub hoisted: crate::refs::Hoisted,
    /// What loading left out or read in a way the author may not expect, located.
    pub warnings: Vec<Warning>,
}

/// Parse every file, apply overlays to the specs they extend, and return the specs sorted by
/// path (so the output never depends on the order the files were given in).
pub fn load(files: &[SourceFile]) -> Result<Vec<Spec>, Error> {
    let mut specs: Vec<(String, Value, Vec<String>)> = Vec::new();
    let mut overlays: Vec<(String, Value)> = Vec::new();
    for file in files {
        let value = parse_text(file)?;
        let root = Location::new(&file.path, "");
        match &value {
            Value::Object(map) if map.contains_key("overlay") => overlays.push((file.path.clone(), value)),
            Value::Object(map) => match map.get("openapi") {
                Some(Value::String(v)) if v.starts_with("3.0") => specs.push((file.path.clone(), value, Vec::new())),
                Some(Value::String(v)) => {
                    return Err(Error::new(
                        &root.child("openapi"),
                        format!("OpenAPI version {v} is not supported (only 3.0.x)"),
                    ))
                }
                _ => {
                    return Err(Error::new(
                        &root,
                        "neither an OpenAPI document (no `openapi` key) nor an Overlay document (no `overlay` key)",
                    ))
                }
            },
            _ => return Err(Error::new(&root, "the document is not a JSON/YAML object")),
        }
    }
    specs.sort_by(|a, b| a.0.cmp(&b.0));
    overlays.sort_by(|a, b| a.0.cmp(&b.0));
    for (overlay_path, overlay_doc) in &overlays {
        let target = overlay::extends_path(overlay_path, overlay_doc)?;
        let Some(spec) = specs.iter_mut().find(|(p, _, _)| normalize(p) == target) else {
            return Err(Error::new(
                &Location::new(overlay_path, "/extends"),
                format!("no spec file `{target}` among the inputs"),
            ));
        };
        overlay::apply(overlay_path, overlay_doc, &mut spec.1)?;
        spec.2.push(overlay_path.clone());
    }
    specs
        .into_iter()
        .map(|(path, mut value, overlays)| {
            // Schema keywords first: located errors, and no exponential retry inside openapiv3.
            crate::validate::check_document(&path, &value)?;
            let mut warnings = drop_callbacks(&path, &mut value);
            let hoisted = crate::refs::hoist(&path, &mut value, &mut warnings);
            let document = deserialize(&path, value)?;
            let stem = stem_of(&path);
            Ok(Spec { path, stem, overlays, document, hoisted, warnings })
        })
        .collect()
}

/// Callbacks (the requests an API makes back to its caller) are not generated: they are taken
/// out before the document is read into the typed model, which could not hold a callback given
/// by `$ref`, and each operation that had some gets a warning.
fn drop_callbacks(path: &str, doc: &mut Value) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let Some(Value::Object(paths)) = doc.get_mut("paths") else { return warnings };
    for (template, item) in paths.iter_mut() {
        let Value::Object(item) = item else { continue };
        for (method, operation) in item.iter_mut() {
            let Value::Object(operation) = operation else { continue };
            let Some(callbacks) = operation.remove("callbacks") else { continue };
            let names: Vec<String> = match &callbacks {
                Value::Object(map) => map.keys().map(|name| format!("`{name}`")).collect(),
                _ => Vec::new(),
            };
            warnings.push(Warning {
                location: Location::new(path, "").child("paths").child(template).child(method).child("callbacks"),
                message: format!(
                    "callbacks are not generated ({}): describe the requests this API makes back in a spec of \
                     their own to get a server trait for them",
                    if names.is_empty() { "none usable".to_string() } else { names.join(", ") }
                ),
            });
        }
    }
    warnings
}

fn parse_text(file: &SourceFile) -> Result<Value, Error> {
    let trimmed = file.text.trim_start_matches('\u{feff}').trim_start();
    let is_yaml = !trimmed.starts_with('{')
        && (file.path.ends_with(".yaml") || file.path.ends_with(".yml") || !trimmed.starts_with('['));
    if is_yaml {
        serde_yaml::from_str::<Value>(trimmed).map_err(|e| {
            let at = e.location().map(|l| format!(" at line {}, column {}", l.line(), l.column())).unwrap_or_default();
            Error::file(&file.path, format!("invalid YAML{at}: {e}"))
        })
    } else {
        serde_json::from_str::<Value>(trimmed).map_err(|e| {
            Error::file(&file.path, format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column()))
        })
    }
}

fn deserialize(path: &str, value: Value) -> Result<openapiv3::OpenAPI, Error> {
    // Read by hand where that reads as serde does (much faster on large specs); a document it
    // gives up on is read by serde, from the borrowed tree, which is still there to locate an
    // error. Tracking the path costs a string per key, so only a document that fails is read
    // again with it, to say where.
    if let Some(document) = crate::typed::document(&value) {
        return Ok(document);
    }
    if let Ok(document) = <openapiv3::OpenAPI as serde::Deserialize>::deserialize(&value) {
        return Ok(document);
    }
    let root = Location::new(path, "");
    serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(&value).map_err(|e| {
        // openapiv3 deserializes path items and schemas through untagged enums, which hide
        // where inside them the problem is; retry each entry on its own to find it.
        let located = match e.path().to_string().as_str() {
            "paths" => drill::<openapiv3::ReferenceOr<openapiv3::PathItem>>(&root.child("paths"), value.get("paths")),
            "components" | "components.schemas" => drill::<openapiv3::ReferenceOr<openapiv3::Schema>>(
                &root.child("components").child("schemas"),
                value.get("components").and_then(|c| c.get("schemas")),
            ),
            _ => None,
        };
        located.unwrap_or_else(|| located_error(&root, &e))
    })
}

/// Deserialize each entry of an object as `T`; the first failure, located inside the entry.
fn drill<T: serde::de::DeserializeOwned>(at: &Location, map: Option<&Value>) -> Option<Error> {
    let Some(Value::Object(map)) = map else { return None };
    map.iter().find_map(|(key, entry)| {
        let e = serde_path_to_error::deserialize::<_, T>(entry.clone()).err()?;
        // Inside a path item, each operation on its own gives a deeper pointer.
        let deeper = if e.path().to_string() == "." || e.path().iter().next().is_none() {
            drill_operations(&at.child(key), entry)
        } else {
            None
        };
        Some(deeper.unwrap_or_else(|| located_error(&at.child(key), &e)))
    })
}

fn drill_operations(at: &Location, item: &Value) -> Option<Error> {
    let Value::Object(map) = item else { return None };
    ["get", "put", "post", "delete", "options", "head", "patch", "trace"].iter().find_map(|method| {
        let op = map.get(*method)?;
        let e = serde_path_to_error::deserialize::<_, openapiv3::Operation>(op.clone()).err()?;
        Some(located_error(&at.child(method), &e))
    })
}

fn located_error(root: &Location, e: &serde_path_to_error::Error<serde_json::Error>) -> Error {
    {
        let mut location = root.clone();
        for segment in e.path().iter() {
            location = match segment {
                serde_path_to_error::Segment::Seq { index } => location.index(*index),
                serde_path_to_error::Segment::Map { key } => location.child(key),
                serde_path_to_error::Segment::Enum { variant } => location.child(variant),
                serde_path_to_error::Segment::Unknown => location,
            };
        }
        Error::new(&location, format!("not a valid OpenAPI 3.0 node: {}", e.inner()))
    }
}

/// `specs/./a/../D1.json` → `specs/D1.json`, with `/` separators.
pub(crate) fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

fn stem_of(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match name.rfind('.') {
        Some(dot) if dot > 0 => name[..dot].to_string(),
        _ => name.to_string(),
    }
}
