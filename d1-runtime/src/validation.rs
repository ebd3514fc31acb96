//! Errors of the validated newtypes, and the building blocks they share.
//!
//! A generated types crate re-exports this module as its own `validation`.
//!
//! Every constrained value in the D1 specs (a `pattern`, a length, a numeric range, an item
//! count) is a newtype whose constructors, `FromStr`, `TryFrom` and `Deserialize` all run the
//! same check. When it fails you get a [`ValidationError`] naming the type, the constraint
//! and — unless the type holds card data — the offending value.

use std::fmt;

/// Which constraint a value broke. Each field is named after the JSON Schema keyword it
/// reports; `actual` is what the value had.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Violation {
    /// Fewer characters than `minLength` (counted in Unicode code points, as JSON Schema does).
    TooShort { min: usize, actual: usize },
    /// More characters than `maxLength`.
    TooLong { max: usize, actual: usize },
    /// The value does not match the ECMA-262 `pattern`.
    PatternMismatch { pattern: &'static str },
    /// Below `minimum` (or equal to it when `exclusive`).
    BelowMinimum { minimum: f64, exclusive: bool },
    /// Above `maximum` (or equal to it when `exclusive`).
    AboveMaximum { maximum: f64, exclusive: bool },
    /// Fewer items than `minItems`.
    TooFewItems { min: usize, actual: usize },
    /// More items than `maxItems`.
    TooManyItems { max: usize, actual: usize },
    /// Two equal items where `uniqueItems` is true: the positions of the first two.
    DuplicateItems { first: usize, second: usize },
    /// A card number that fails the Luhn check digit.
    LuhnCheck,
    /// Text that is not the expected kind of value (e.g. not an integer).
    Malformed { expected: &'static str },
    /// A whole number beyond what the type can hold (e.g. more than 64 bits).
    OutOfRange { expected: &'static str },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::TooShort { min, actual } => write!(f, "length {actual} is below minLength {min}"),
            Violation::TooLong { max, actual } => write!(f, "length {actual} exceeds maxLength {max}"),
            Violation::PatternMismatch { pattern } => write!(f, "does not match pattern `{pattern}`"),
            Violation::BelowMinimum { minimum, exclusive: false } => write!(f, "is below minimum {minimum}"),
            Violation::BelowMinimum { minimum, exclusive: true } => {
                write!(f, "is not above exclusive minimum {minimum}")
            }
            Violation::AboveMaximum { maximum, exclusive: false } => write!(f, "exceeds maximum {maximum}"),
            Violation::AboveMaximum { maximum, exclusive: true } => {
                write!(f, "is not below exclusive maximum {maximum}")
            }
            Violation::TooFewItems { min, actual } => write!(f, "{actual} items is below minItems {min}"),
            Violation::TooManyItems { max, actual } => write!(f, "{actual} items exceeds maxItems {max}"),
            Violation::DuplicateItems { first, second } => {
                write!(f, "items {first} and {second} are equal, but uniqueItems is true")
            }
            Violation::LuhnCheck => write!(f, "fails the Luhn check"),
            Violation::Malformed { expected } => write!(f, "is not {expected}"),
            Violation::OutOfRange { expected } => write!(f, "is out of range for {expected}"),
        }
    }
}

/// A value rejected by a validated newtype.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidationError {
    type_name: &'static str,
    violation: Violation,
    value: Option<String>,
}

/// Values longer than this are shortened in error messages.
const SHOWN_CHARS: usize = 80;

impl ValidationError {
    /// The error of `type_name` for `violation` (used by the generated newtypes); `value` is
    /// `None` for types that hold card data, and is shortened to 80 characters otherwise.
    pub fn new(type_name: &'static str, violation: Violation, value: Option<&str>) -> Self {
        let value = value.map(|v| {
            if v.chars().count() > SHOWN_CHARS {
                let mut shown: String = v.chars().take(SHOWN_CHARS).collect();
                shown.push('…');
                shown
            } else {
                v.to_string()
            }
        });
        ValidationError { type_name, violation, value }
    }

    /// The Rust name of the type that rejected the value, e.g. `CardId`.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The constraint that failed.
    pub fn violation(&self) -> &Violation {
        &self.violation
    }

    /// The rejected value (shortened), unless the type holds card data.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.type_name, self.violation)?;
        if let Some(value) = &self.value {
            write!(f, " (value {value:?})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// A string enum value that this version of the spec does not list. D1 may add enum values
/// at any time; they are kept, not rejected. Only deserialization and `FromStr` create one, so
/// it never holds a value that has a named variant.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnknownValue(String);

impl UnknownValue {
    /// For generated enums only: `value` must not be one of the enum's listed values.
    #[doc(hidden)]
    pub fn new_unchecked(value: String) -> Self {
        UnknownValue(value)
    }

    /// The value as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The positions of the first two equal items (`uniqueItems`), comparing them as JSON does:
/// object members in any order, `1` and `1.0` equal. Each item is written once in a canonical
/// form and hashed, so the time is linear in the items' total size, whatever their number. An
/// item that cannot be written as JSON counts as unequal to every other.
pub fn first_duplicate<T: serde::Serialize>(items: &[T]) -> Option<(usize, usize)> {
    let mut seen = std::collections::HashMap::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let Ok(value) = serde_json::to_value(item) else { continue };
        let mut text = String::new();
        canonical_json(&value, &mut text);
        if let Some(first) = seen.insert(text, index) {
            return Some((first, index));
        }
    }
    None
}

/// `value` as JSON text with object members sorted and whole numbers without a fraction.
fn canonical_json(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => out.push_str(&(f as i64).to_string()),
            _ => out.push_str(&n.to_string()),
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical_json(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The Luhn (mod 10) check used by card numbers. Expects ASCII digits only.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    let mut double = false;
    for c in digits.chars().rev() {
        let Some(d) = c.to_digit(10) else { return false };
        let d = if double {
            let x = d * 2;
            if x > 9 {
                x - 9
            } else {
                x
            }
        } else {
            d
        };
        sum += d;
        double = !double;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// `****1234`: the last `shown` characters of a secret, for `Debug`/`Display`.
pub fn mask(secret: &str, shown: usize) -> String {
    let count = secret.chars().count();
    if count <= shown * 2 {
        return "****".to_string();
    }
    let tail: String = secret.chars().skip(count - shown).collect();
    format!("****{tail}")
}

/// An integer type the validated newtypes wrap (`i32`, `i64`).
pub trait Integer: Copy + std::str::FromStr<Err = std::num::ParseIntError> + TryFrom<i64> + TryFrom<u64> {
    /// What the type holds, for messages: `a 32-bit integer`.
    const EXPECTED: &'static str;
}

impl Integer for i32 {
    const EXPECTED: &'static str = "a 32-bit integer";
}

impl Integer for i64 {
    const EXPECTED: &'static str = "a 64-bit integer";
}

/// Text as an integer for the newtype `type_name`: digits that do not fit are
/// [`Violation::OutOfRange`], anything else that is not an integer [`Violation::Malformed`].
pub fn parse_integer<T: Integer>(type_name: &'static str, text: &str) -> Result<T, ValidationError> {
    use std::num::IntErrorKind::{NegOverflow, PosOverflow};
    text.trim().parse().map_err(|e: std::num::ParseIntError| {
        let violation = match e.kind() {
            PosOverflow | NegOverflow => Violation::OutOfRange { expected: T::EXPECTED },
            _ => Violation::Malformed { expected: "an integer" },
        };
        ValidationError::new(type_name, violation, Some(text))
    })
}

/// A JSON integer for the newtype `type_name`. A whole number beyond the type's range (which
/// JSON parsers hand over as an unsigned or a floating-point number) is reported as out of
/// range, not as a value of the wrong type.
pub fn deserialize_integer<'de, D: serde::Deserializer<'de>, T: Integer>(
    deserializer: D,
    type_name: &'static str,
) -> Result<T, D::Error> {
    struct Visitor<T>(&'static str, std::marker::PhantomData<T>);

    impl<T: Integer> Visitor<T> {
        fn out_of_range<E: serde::de::Error>(&self, shown: &str) -> E {
            E::custom(ValidationError::new(self.0, Violation::OutOfRange { expected: T::EXPECTED }, Some(shown)))
        }
    }

    impl<T: Integer> serde::de::Visitor<'_> for Visitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(T::EXPECTED)
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
            T::try_from(v).map_err(|_| self.out_of_range(&v.to_string()))
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
            T::try_from(v).map_err(|_| self.out_of_range(&v.to_string()))
        }

        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
            if v.is_finite() && v.fract() == 0.0 {
                // Integral, yet not an i64 or u64 to the parser: beyond 64 bits.
                Err(self.out_of_range(&v.to_string()))
            } else {
                Err(E::invalid_type(serde::de::Unexpected::Float(v), &self))
            }
        }
    }

    deserializer.deserialize_i64(Visitor(type_name, std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::first_duplicate;
    use serde_json::json;

    #[test]
    fn duplicates_are_found_as_json_compares_them() {
        assert_eq!(first_duplicate(&["a", "b", "c"]), None);
        assert_eq!(first_duplicate(&["a", "b", "a", "b"]), Some((0, 2)));
        assert_eq!(first_duplicate::<u8>(&[]), None);
        // Members in another order, and 1.0 for 1, are the same JSON value.
        let objects = [json!({"a": 1, "b": [1, 2]}), json!({"b": [1.0, 2], "a": 1.0})];
        assert_eq!(first_duplicate(&objects), Some((0, 1)));
        // Order inside arrays matters; different types differ.
        assert_eq!(first_duplicate(&[json!([1, 2]), json!([2, 1])]), None);
        assert_eq!(first_duplicate(&[json!("1"), json!(1), json!(true), json!(null)]), None);
        assert_eq!(first_duplicate(&[1.5, 2.5, 1.5]), Some((0, 2)));
    }

    #[test]
    fn a_duplicate_far_apart_in_a_long_list_is_found() {
        let items: Vec<String> = (0..200_000).map(|i| format!("item-{i}")).collect();
        assert_eq!(first_duplicate(&items), None);
        let mut with_copy = items.clone();
        with_copy.push("item-123".to_string());
        assert_eq!(first_duplicate(&with_copy), Some((123, 200_000)));
    }
}
