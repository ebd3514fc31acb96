//! A parameter value (as the JSON its `Serialize` gives) written in its [`Style`]. An object's
//! members come in the order of their names (the order of `serde_json`'s map).

use super::Style;
use serde_json::Value;

/// A value as the styles see it.
enum Flat {
    Scalar(String),
    List(Vec<String>),
    Object(Vec<(String, String)>),
}

/// A scalar's text; an object or list inside another is its JSON text; `null` is empty.
fn atom(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

/// `None` for `null` (nothing to write).
fn flat(value: &Value) -> Option<Flat> {
    Some(match value {
        Value::Null => return None,
        Value::Array(items) => Flat::List(items.iter().map(atom).collect()),
        Value::Object(members) => Flat::Object(
            sorted(members).into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), atom(v))).collect(),
        ),
        scalar => Flat::Scalar(atom(scalar)),
    })
}

/// The query pairs of `value` (names and values not yet encoded); none for `null`.
pub fn query_pairs(name: &str, style: Style, value: &Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    match style {
        Style::Json if !value.is_null() => pairs.push((name.to_string(), value.to_string())),
        Style::Json => {}
        Style::DeepObject => deep(name.to_string(), value, &mut pairs),
        Style::Form { explode: true } => match flat(value) {
            None => {}
            Some(Flat::Scalar(s)) => pairs.push((name.to_string(), s)),
            Some(Flat::List(items)) => pairs.extend(items.into_iter().map(|item| (name.to_string(), item))),
            Some(Flat::Object(members)) => pairs.extend(members),
        },
        _ => pairs.extend(one_text(name, style, value, &|s| s.to_string()).map(|text| (name.to_string(), text))),
    }
    pairs
}

/// `name[key][sub]=v`, array items by index.
/// An object's members in the order of their names, whether or not `serde_json` keeps the
/// order they were written in (its `preserve_order` feature, which another crate of the build
/// may turn on): the wire form must not depend on that.
fn sorted(members: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut members: Vec<(&String, &Value)> = members.iter().collect();
    members.sort_by(|a, b| a.0.cmp(b.0));
    members
}

fn deep(key: String, value: &Value, pairs: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Object(members) => {
            for (k, v) in sorted(members) {
                deep(format!("{key}[{k}]"), v, pairs);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                deep(format!("{key}[{i}]"), v, pairs);
            }
        }
        scalar => pairs.push((key, atom(scalar))),
    }
}

/// `value` as one text: every key and value passed through `encode`, the delimiters of the
/// style as they are; `None` for `null`. `name` is used as it is (by `matrix`): pass it encoded.
pub fn one_text(name: &str, style: Style, value: &Value, encode: &dyn Fn(&str) -> String) -> Option<String> {
    if style == Style::Json {
        return (!value.is_null()).then(|| encode(&value.to_string()));
    }
    let d = style.delimiters(name);
    Some(match flat(value)? {
        Flat::Scalar(s) => format!("{}{}", d.list_prefix, encode(&s)),
        Flat::List(items) => {
            let items: Vec<String> = items.iter().map(|i| encode(i)).collect();
            format!("{}{}", d.list_prefix, items.join(&d.list_separator))
        }
        Flat::Object(members) => {
            let parts: Vec<String> = if d.explode {
                members.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect()
            } else {
                members.iter().flat_map(|(k, v)| [encode(k), encode(v)]).collect()
            };
            format!("{}{}", d.object_prefix, parts.join(&d.object_separator))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(style: Style, value: &Value) -> String {
        one_text("color", style, value, &|s| s.replace(',', "%2C")).unwrap_or_default()
    }

    /// The table of OpenAPI 3.0 §Style Values, object column, and its array column.
    #[test]
    fn objects_and_lists_in_every_style() {
        let object = json!({"B": 150, "G": 200, "R": 100});
        let list = json!(["blue", "black", "brown"]);
        let cases = [
            (Style::Simple { explode: false }, "B,150,G,200,R,100", "blue,black,brown"),
            (Style::Simple { explode: true }, "B=150,G=200,R=100", "blue,black,brown"),
            (Style::Label { explode: false }, ".B,150,G,200,R,100", ".blue,black,brown"),
            (Style::Label { explode: true }, ".B=150.G=200.R=100", ".blue.black.brown"),
            (Style::Matrix { explode: false }, ";color=B,150,G,200,R,100", ";color=blue,black,brown"),
            (Style::Matrix { explode: true }, ";B=150;G=200;R=100", ";color=blue;color=black;color=brown"),
            (Style::Form { explode: false }, "B,150,G,200,R,100", "blue,black,brown"),
            (Style::SpaceDelimited, "B 150 G 200 R 100", "blue black brown"),
            (Style::PipeDelimited, "B|150|G|200|R|100", "blue|black|brown"),
        ];
        for (style, for_object, for_list) in cases {
            assert_eq!(text(style, &object), for_object, "{style:?}");
            assert_eq!(text(style, &list), for_list, "{style:?}");
        }
        assert_eq!(text(Style::Label { explode: false }, &json!(5)), ".5");
        assert_eq!(text(Style::Matrix { explode: true }, &json!("x")), ";color=x");
    }

    #[test]
    fn keys_and_values_are_encoded_and_delimiters_are_not() {
        assert_eq!(text(Style::Simple { explode: true }, &json!({"a,b": "c,d"})), "a%2Cb=c%2Cd");
        assert_eq!(text(Style::Json, &json!({"a": [1, 2]})), "{\"a\":[1%2C2]}");
    }

    #[test]
    fn query_pairs_per_style() {
        let pairs = |style, value: Value| query_pairs("color", style, &value);
        let p = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(pairs(Style::Form { explode: true }, json!({"R": 100, "G": null})), [p("R", "100")]);
        assert_eq!(pairs(Style::Form { explode: false }, json!({"G": 200, "R": 100})), [p("color", "G,200,R,100")]);
        assert_eq!(pairs(Style::Form { explode: true }, json!(["a", "b"])), [p("color", "a"), p("color", "b")]);
        assert_eq!(pairs(Style::DeepObject, json!({"G": 200, "R": 100})), [p("color[G]", "200"), p("color[R]", "100")]);
        assert_eq!(
            pairs(Style::DeepObject, json!({"a": {"b": true}, "l": ["x", "y"]})),
            [p("color[a][b]", "true"), p("color[l][0]", "x"), p("color[l][1]", "y")]
        );
        assert_eq!(pairs(Style::DeepObject, json!(7)), [p("color", "7")]);
        assert_eq!(pairs(Style::Json, json!("7")), [p("color", "\"7\"")]);
        assert!(pairs(Style::DeepObject, Value::Null).is_empty());
        assert!(pairs(Style::Form { explode: false }, Value::Null).is_empty());
    }
}
