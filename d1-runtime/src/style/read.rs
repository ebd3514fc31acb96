//! A parameter's text read back into a typed value: a `serde` deserializer over the text, driven
//! by the type. Where the type asks for a number, the text is parsed as one; where it asks for
//! an object or a list, a text written in one piece is split by the style's delimiters (a value
//! nested inside is JSON text, see [`super`]), and `deepObject` pairs come as a tree already.

use super::{Delimiters, Style};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// A parameter's text as it came: one text, or keyed parts (`deepObject` pairs; the query pairs
/// of a `form` object with `explode`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Text<'a> {
    /// One text (what a one-piece style wrote, or one `deepObject` value).
    Leaf(Cow<'a, str>),
    /// Keys and their parts, in the order they came.
    Map(Vec<(Cow<'a, str>, Text<'a>)>),
}

impl<'a> Text<'a> {
    /// The `deepObject` pairs of `name` (`name[a][b]=v`, or a plain `name=v`) as a tree; `None`
    /// when there are none. A pair that repeats a key replaces the earlier one.
    pub fn deep<'p>(name: &str, pairs: impl IntoIterator<Item = (&'p str, &'a str)>) -> Option<Text<'a>> {
        let mut root: Option<Text<'a>> = None;
        for (key, value) in pairs {
            let Some(rest) = key.strip_prefix(name) else { continue };
            let Some(path) = bracket_path(rest) else { continue };
            insert(&mut root, &path, value);
        }
        root
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(text: &'a str) -> Self {
        Text::Leaf(Cow::Borrowed(text))
    }
}

/// `[a][b]` → `["a", "b"]`; `""` → `[]`; `None` for anything else.
fn bracket_path(mut rest: &str) -> Option<Vec<&str>> {
    let mut path = Vec::new();
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let end = inner.find(']')?;
        path.push(&inner[..end]);
        rest = &inner[end + 1..];
    }
    Some(path)
}

fn insert<'a>(node: &mut Option<Text<'a>>, path: &[&str], value: &'a str) {
    let Some((first, rest)) = path.split_first() else {
        *node = Some(Text::Leaf(Cow::Borrowed(value)));
        return;
    };
    if !matches!(node, Some(Text::Map(_))) {
        *node = Some(Text::Map(Vec::new()));
    }
    let Some(Text::Map(members)) = node else { return };
    let at = match members.iter().position(|(k, _)| k == first) {
        Some(at) => at,
        None => {
            members.push((Cow::Owned((*first).to_string()), Text::Map(Vec::new())));
            members.len() - 1
        }
    };
    let mut child = Some(std::mem::replace(&mut members[at].1, Text::Map(Vec::new())));
    insert(&mut child, rest, value);
    if let Some(child) = child {
        members[at].1 = child;
    }
}

/// A parameter's text in its style, ready to be read as any type.
#[derive(Clone, Debug)]
pub struct Styled<'a> {
    text: Text<'a>,
    delimiters: Delimiters,
    style: Style,
}

impl<'a> Styled<'a> {
    /// The text of parameter `name`, written in `style`.
    pub fn new(name: &str, style: Style, text: Text<'a>) -> Self {
        Styled { text, delimiters: style.delimiters(name), style }
    }

    /// The value as `T`; the error says what did not fit.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        if let (Style::Json, Text::Leaf(text)) = (self.style, &self.text) {
            return serde_json::from_str(text).map_err(|e| format!("is not valid: {e}"));
        }
        T::deserialize(Node { text: &self.text, top: Some(&self.delimiters) })
            .map_err(|e| format!("is not valid: {}", e.0))
    }
}

/// The error of reading a parameter's text.
#[derive(Debug)]
pub struct ReadError(String);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadError {}

impl de::Error for ReadError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ReadError(msg.to_string())
    }
}

/// One node of the text; `top` holds the delimiters while the node is the whole parameter
/// (nested one-piece texts are JSON).
#[derive(Clone, Copy)]
struct Node<'t, 'a> {
    text: &'t Text<'a>,
    top: Option<&'t Delimiters>,
}

impl<'t> Node<'t, '_> {
    /// The text of a scalar, without the `label`/`matrix` prefix at the top.
    fn scalar(&self, what: &str) -> Result<&'t str, ReadError> {
        match self.text {
            Text::Leaf(text) => {
                let text: &'t str = text;
                match self.top {
                    Some(d) => strip(text, &d.list_prefix),
                    None => Ok(text),
                }
            }
            Text::Map(_) => Err(ReadError(format!("expected {what}, found an object"))),
        }
    }
}

/// `text` without the style's `prefix` (`.` for `label`, `;name=` for `matrix`), which it must have.
fn strip<'s>(text: &'s str, prefix: &str) -> Result<&'s str, ReadError> {
    text.strip_prefix(prefix).ok_or_else(|| ReadError(format!("does not start with `{prefix}`")))
}

fn shown(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    format!("{short:?}")
}

macro_rules! parse_scalar {
    ($($method:ident => $visit:ident, $ty:ty, $what:literal;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
                let text = self.scalar($what)?;
                match text.parse::<$ty>() {
                    Ok(v) => visitor.$visit(v),
                    Err(_) => Err(ReadError(format!("{} is not {}", shown(text), $what))),
                }
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for Node<'_, '_> {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match self.text {
            Text::Leaf(_) => visitor.visit_str(self.scalar("text")?),
            Text::Map(_) => self.deserialize_map(visitor),
        }
    }

    parse_scalar! {
        deserialize_bool => visit_bool, bool, "`true` or `false`";
        deserialize_i8 => visit_i8, i8, "an integer";
        deserialize_i16 => visit_i16, i16, "an integer";
        deserialize_i32 => visit_i32, i32, "an integer";
        deserialize_i64 => visit_i64, i64, "an integer";
        deserialize_u8 => visit_u8, u8, "an integer";
        deserialize_u16 => visit_u16, u16, "an integer";
        deserialize_u32 => visit_u32, u32, "an integer";
        deserialize_u64 => visit_u64, u64, "an integer";
        deserialize_f32 => visit_f32, f32, "a number";
        deserialize_f64 => visit_f64, f64, "a number";
        deserialize_char => visit_char, char, "one character";
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        visitor.visit_str(self.scalar("text")?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, ReadError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        visitor.visit_enum(self.scalar("a name")?.into_deserializer())
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match (self.text, self.top) {
            (Text::Leaf(text), Some(d)) => {
                let rest = strip(text, &d.list_prefix)?;
                let items: Vec<Text<'_>> = if rest.is_empty() {
                    Vec::new()
                } else {
                    rest.split(d.list_separator.as_str()).map(|i| Text::Leaf(Cow::Borrowed(i))).collect()
                };
                visitor.visit_seq(Items(items.iter()))
            }
            (Text::Leaf(text), None) => json(text, |d| de::Deserializer::deserialize_seq(d, visitor)),
            (Text::Map(members), _) => {
                // `deepObject` items by index: `name[0]`, `name[1]`, … in the order of the index.
                let mut indexed: Vec<(u64, &Text<'_>)> = Vec::with_capacity(members.len());
                for (key, item) in members {
                    let index =
                        key.parse().map_err(|_| ReadError(format!("expected a list, found key {}", shown(key))))?;
                    indexed.push((index, item));
                }
                indexed.sort_by_key(|(i, _)| *i);
                let items: Vec<Text<'_>> = indexed.into_iter().map(|(_, t)| t.clone()).collect();
                visitor.visit_seq(Items(items.iter()))
            }
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, ReadError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match (self.text, self.top) {
            (Text::Leaf(text), Some(d)) => {
                let rest = strip(text, &d.object_prefix)?;
                let parts: Vec<&str> =
                    if rest.is_empty() { Vec::new() } else { rest.split(d.object_separator.as_str()).collect() };
                let mut members = Vec::with_capacity(parts.len());
                if d.explode {
                    for part in parts {
                        let (k, v) = part
                            .split_once('=')
                            .ok_or_else(|| ReadError(format!("{} is not `key=value`", shown(part))))?;
                        members.push((Cow::Borrowed(k), Text::Leaf(Cow::Borrowed(v))));
                    }
                } else {
                    if parts.len() % 2 == 1 {
                        return Err(ReadError("has a key without a value".to_string()));
                    }
                    for pair in parts.chunks(2) {
                        members.push((Cow::Borrowed(pair[0]), Text::Leaf(Cow::Borrowed(pair[1]))));
                    }
                }
                visitor.visit_map(Members { members: members.iter(), value: None })
            }
            (Text::Leaf(text), None) => json(text, |d| de::Deserializer::deserialize_map(d, visitor)),
            (Text::Map(members), _) => visitor.visit_map(Members { members: members.iter(), value: None }),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 bytes byte_buf unit unit_struct tuple_struct
    }
}

/// A nested object or list, which is JSON text.
fn json<T>(text: &str, read: impl FnOnce(serde_json::Value) -> Result<T, serde_json::Error>) -> Result<T, ReadError> {
    let fail = |e: serde_json::Error| ReadError(format!("{} is not the JSON expected: {e}", shown(text)));
    read(serde_json::from_str(text).map_err(fail)?).map_err(fail)
}

struct Items<'t, 'a>(std::slice::Iter<'t, Text<'a>>);

impl<'de> SeqAccess<'de> for Items<'_, '_> {
    type Error = ReadError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, ReadError> {
        self.0.next().map(|text| seed.deserialize(Node { text, top: None })).transpose()
    }
}

struct Members<'t, 'a> {
    members: std::slice::Iter<'t, (Cow<'a, str>, Text<'a>)>,
    value: Option<&'t Text<'a>>,
}

impl<'de> MapAccess<'de> for Members<'_, '_> {
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ReadError> {
        let Some((key, value)) = self.members.next() else { return Ok(None) };
        self.value = Some(value);
        let key: &str = key;
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ReadError> {
        let text = self.value.take().ok_or_else(|| ReadError("a value without a key".to_string()))?;
        seed.deserialize(Node { text, top: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Color {
        #[serde(rename = "R")]
        r: i32,
        #[serde(rename = "G")]
        g: Option<i64>,
        name: Option<String>,
    }

    fn leaf(text: &str) -> Text<'_> {
        Text::Leaf(Cow::Borrowed(text))
    }

    fn read<T: DeserializeOwned>(style: Style, text: &str) -> Result<T, String> {
        Styled::new("color", style, leaf(text)).parse()
    }

    #[test]
    fn objects_in_every_one_piece_style() {
        let want = Color { r: 100, g: Some(200), name: None };
        let cases = [
            (Style::Simple { explode: false }, "G,200,R,100"),
            (Style::Simple { explode: true }, "G=200,R=100"),
            (Style::Label { explode: false }, ".G,200,R,100"),
            (Style::Label { explode: true }, ".G=200.R=100"),
            (Style::Matrix { explode: false }, ";color=G,200,R,100"),
            (Style::Matrix { explode: true }, ";G=200;R=100"),
            (Style::Form { explode: false }, "G,200,R,100"),
            (Style::SpaceDelimited, "G 200 R 100"),
            (Style::PipeDelimited, "G|200|R|100"),
            (Style::Json, r#"{"G":200,"R":100}"#),
        ];
        for (style, text) in cases {
            assert_eq!(read::<Color>(style, text), Ok(Color { r: 100, g: Some(200), name: None }), "{style:?}");
        }
        assert_eq!(
            read::<Color>(Style::Simple { explode: false }, "R,100,G,200,name,0"),
            Ok(Color { name: Some("0".into()), ..want })
        );
    }

    #[test]
    fn lists_and_scalars() {
        assert_eq!(read::<Vec<i64>>(Style::Label { explode: true }, ".1.2.3"), Ok(vec![1, 2, 3]));
        assert_eq!(
            read::<Vec<String>>(Style::Matrix { explode: true }, ";color=a;color=b"),
            Ok(vec!["a".into(), "b".into()])
        );
        assert_eq!(read::<Vec<String>>(Style::Simple { explode: false }, ""), Ok(vec![]));
        assert_eq!(read::<i64>(Style::Matrix { explode: false }, ";color=5"), Ok(5));
        assert_eq!(read::<bool>(Style::Form { explode: true }, "true"), Ok(true));
        assert_eq!(
            read::<BTreeMap<String, String>>(Style::Simple { explode: true }, "a=1,b=x"),
            Ok([("a".into(), "1".into()), ("b".into(), "x".into())].into())
        );
    }

    #[test]
    fn what_does_not_fit_is_an_error() {
        let err = |r: Result<Color, String>| r.unwrap_err();
        assert!(err(read(Style::Simple { explode: false }, "R,x")).contains("\"x\" is not an integer"));
        assert!(err(read(Style::Simple { explode: false }, "R,1,G")).contains("key without a value"));
        assert!(err(read(Style::Simple { explode: true }, "R")).contains("not `key=value`"));
        assert!(err(read(Style::Simple { explode: false }, "G,1")).contains("missing field `R`"));
        assert!(err(read(Style::Simple { explode: false }, "R,1,B,2")).contains("unknown field `B`"));
        assert!(read::<i32>(Style::Simple { explode: false }, "99999999999").is_err());
        assert!(err(read(Style::Label { explode: true }, "R=1")).contains("does not start with `.`"));
        assert!(read::<i32>(Style::Matrix { explode: false }, ";other=1")
            .unwrap_err()
            .contains("does not start with `;color=`"));
    }

    #[test]
    fn deep_objects_nest_by_brackets_and_index_lists() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Filter {
            range: BTreeMap<String, i64>,
            tags: Vec<String>,
        }
        let pairs = [
            ("filter[range][gte]", "1"),
            ("other", "x"),
            ("filter[tags][1]", "b"),
            ("filter[tags][0]", "a"),
            ("filter[range][lt]", "9"),
        ];
        let text = Text::deep("filter", pairs).unwrap();
        let got: Filter = Styled::new("filter", Style::DeepObject, text).parse().unwrap();
        assert_eq!(
            got,
            Filter { range: [("gte".into(), 1), ("lt".into(), 9)].into(), tags: vec!["a".into(), "b".into()] }
        );
        assert_eq!(Text::deep("filter", [("filter", "7")]), Some(leaf("7")));
        assert_eq!(Text::deep("filter", [("filterx", "7"), ("filter[a", "1")]), None);
        let list: Result<Vec<String>, _> =
            Styled::new("f", Style::DeepObject, Text::deep("f", [("f[x]", "1")]).unwrap()).parse();
        assert!(list.unwrap_err().contains("expected a list"));
    }

    #[test]
    fn nested_values_in_one_piece_styles_are_json() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Outer {
            inner: BTreeMap<String, i64>,
        }
        let got: Outer = read(Style::Simple { explode: true }, r#"inner={"a":1}"#).unwrap();
        assert_eq!(got.inner["a"], 1);
        assert!(read::<Outer>(Style::Simple { explode: true }, "inner=x")
            .unwrap_err()
            .contains("not the JSON expected"));
    }
}
