//! A subset of OpenAPI Overlay 1.0.0: `extends`, and `actions` whose `target` is a JSONPath made
//! of `$`, `.name` and `['name']` segments, with `update` (deep merge) or `remove: true`.
//! This is how the project declares what D1's files cannot say — which fields are JWE-sealed
//! (`x-d1-jwe`, `x-d1-plaintext`) and which are sensitive (`x-d1-redact`) — without editing them.

use crate::error::{Error, Location};
use serde_json::Value;

/// The normalized path of the spec an overlay extends (relative to the overlay's own folder).
pub fn extends_path(overlay_path: &str, doc: &Value) -> Result<String, Error> {
    let at = Location::new(overlay_path, "/extends");
    let Some(Value::String(extends)) = doc.get("extends") else {
        return Err(Error::new(&at, "an overlay needs `extends`: the path of the spec it applies to"));
    };
    if extends.contains("://") {
        return Err(Error::new(&at, "only relative file paths are supported in `extends`"));
    }
    let dir = match overlay_path.rfind(['/', '\\']) {
        Some(i) => &overlay_path[..i],
        None => "",
    };
    let joined = if dir.is_empty() { extends.clone() } else { format!("{dir}/{extends}") };
    Ok(crate::load::normalize(&joined))
}

/// Apply every action of `overlay` to `spec`, in order.
pub fn apply(overlay_path: &str, overlay: &Value, spec: &mut Value) -> Result<(), Error> {
    let root = Location::new(overlay_path, "");
    match overlay.get("overlay") {
        Some(Value::String(v)) if v.starts_with("1.") => {}
        _ => return Err(Error::new(&root.child("overlay"), "only Overlay 1.x documents are supported")),
    }
    let Some(Value::Array(actions)) = overlay.get("actions") else {
        return Err(Error::new(&root.child("actions"), "an overlay needs an `actions` array"));
    };
    for (i, action) in actions.iter().enumerate() {
        let at = root.child("actions").index(i);
        let Some(Value::String(target)) = action.get("target") else {
            return Err(Error::new(&at.child("target"), "each action needs a `target` JSONPath"));
        };
        let segments = parse_path(target).map_err(|m| Error::new(&at.child("target"), m))?;
        if action.get("remove") == Some(&Value::Bool(true)) {
            let Some((last, parent)) = segments.split_last() else {
                return Err(Error::new(&at.child("target"), "cannot remove the document root"));
            };
            let node = walk(spec, parent).ok_or_else(|| missing(&at, target))?;
            let removed = match node {
                Value::Object(map) => map.shift_remove(last).is_some(),
                _ => false,
            };
            if !removed {
                return Err(missing(&at, target));
            }
        } else if let Some(update) = action.get("update") {
            let node = walk(spec, &segments).ok_or_else(|| missing(&at, target))?;
            merge(node, update);
        } else {
            return Err(Error::new(&at, "an action needs `update` or `remove: true`"));
        }
    }
    Ok(())
}

fn missing(at: &Location, target: &str) -> Error {
    Error::new(&at.child("target"), format!("`{target}` matches nothing in the spec"))
}

fn walk<'a>(mut node: &'a mut Value, segments: &[String]) -> Option<&'a mut Value> {
    for segment in segments {
        node = match node {
            Value::Object(map) => map.get_mut(segment)?,
            Value::Array(items) => items.get_mut(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Overlay merge rules: objects merge key by key, arrays are appended to, anything else is replaced.
fn merge(target: &mut Value, update: &Value) {
    match (target, update) {
        (Value::Object(t), Value::Object(u)) => {
            for (key, value) in u {
                match t.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        t.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(u)) => t.extend(u.iter().cloned()),
        (t, u) => *t = u.clone(),
    }
}

/// `$.paths['/a/{b}'].get.responses['200']` → `["paths", "/a/{b}", "get", "responses", "200"]`.
fn parse_path(path: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = path.chars().collect();
    if chars.first() != Some(&'$') {
        return Err(format!("JSONPath `{path}` must start with `$`"));
    }
    let mut segments = Vec::new();
    let mut i = 1;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                if name.is_empty() || name == "*" {
                    return Err(format!(
                        "JSONPath `{path}`: only plain names are supported after `.` (offset {start})"
                    ));
                }
                segments.push(name);
                i = end;
            }
            '[' => {
                let quote = match chars.get(i + 1) {
                    Some(q @ ('\'' | '"')) => *q,
                    _ => {
                        return Err(format!(
                            "JSONPath `{path}`: only quoted names are supported inside `[...]` (offset {i})"
                        ))
                    }
                };
                let mut name = String::new();
                let mut j = i + 2;
                loop {
                    match chars.get(j) {
                        None => return Err(format!("JSONPath `{path}`: unterminated `[` at offset {i}")),
                        Some('\\') => {
                            if let Some(c) = chars.get(j + 1) {
                                name.push(*c);
                            }
                            j += 2;
                        }
                        Some(c) if *c == quote => break,
                        Some(c) => {
                            name.push(*c);
                            j += 1;
                        }
                    }
                }
                if chars.get(j + 1) != Some(&']') {
                    return Err(format!("JSONPath `{path}`: expected `]` at offset {}", j + 1));
                }
                segments.push(name);
                i = j + 2;
            }
            other => return Err(format!("JSONPath `{path}`: unexpected `{other}` at offset {i}")),
        }
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dotted_and_bracketed_segments() {
        assert_eq!(
            parse_path("$.paths['/a/{b}:x'].get.responses[\"200\"]").unwrap(),
            vec!["paths", "/a/{b}:x", "get", "responses", "200"]
        );
        assert!(parse_path("$..x").is_err());
        assert!(parse_path("$.a[*]").is_err());
        assert!(parse_path("paths").is_err());
        assert!(parse_path("$.a['b'").is_err());
    }

    #[test]
    fn merges_objects_and_appends_arrays() {
        let mut spec = serde_json::json!({"a": {"b": 1, "l": [1]}});
        merge(&mut spec["a"], &serde_json::json!({"c": 2, "l": [2]}));
        assert_eq!(spec, serde_json::json!({"a": {"b": 1, "c": 2, "l": [1, 2]}}));
    }
}
