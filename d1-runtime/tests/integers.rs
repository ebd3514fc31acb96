//! Integers beyond their type's width are "out of range", whether they arrive as text or JSON.

use d1_runtime::validation::{deserialize_integer, parse_integer, Violation};

#[test]
fn text_beyond_the_width_is_out_of_range_and_other_text_is_malformed() {
    let e = parse_integer::<i64>("Limit", "123456789012345678901234567890").expect_err("too big");
    assert_eq!(e.violation(), &Violation::OutOfRange { expected: "a 64-bit integer" });
    let e = parse_integer::<i32>("Offset", "-2147483649").expect_err("too small");
    assert_eq!(e.violation(), &Violation::OutOfRange { expected: "a 32-bit integer" });
    let e = parse_integer::<i64>("Limit", "12x").expect_err("not digits");
    assert_eq!(e.violation(), &Violation::Malformed { expected: "an integer" });
    assert_eq!(parse_integer::<i32>("Offset", " 42 ").expect("trimmed"), 42);
}

fn from_json<T: d1_runtime::validation::Integer>(json: &str) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_str(json);
    deserialize_integer::<_, T>(&mut de, "AuthenticationId").map_err(|e| e.to_string())
}

#[test]
fn json_beyond_the_width_is_out_of_range_not_a_float() {
    assert_eq!(from_json::<i64>("-7"), Ok(-7));
    assert_eq!(from_json::<i32>("2147483647"), Ok(i32::MAX));
    for (json, width) in [("123456789012345678901234567890", 64), ("18446744073709551615", 64), ("2147483648", 32)] {
        let message = if width == 64 { from_json::<i64>(json) } else { from_json::<i32>(json).map(i64::from) }
            .expect_err("out of range");
        assert!(message.contains("out of range") && message.contains("AuthenticationId"), "{json}: {message}");
        assert!(!message.contains("floating point"), "{json}: {message}");
    }
    let message = from_json::<i64>("1.5").expect_err("a fraction");
    assert!(message.contains("floating point"), "{message}");
}
