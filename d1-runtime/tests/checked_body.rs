//! `checked_body`: the fast path (straight `Deserialize`) and the slow path (checks that
//! collect every violation) must give the same verdict.
#![cfg(feature = "server")]

use d1_runtime::server::{checked_body, Checker, Encoding, Scalar, Violations};
use serde_json::Value;

#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    reason: Option<String>,
    count: i32,
}

/// What the generated check of `Body` does: `reason` optional and not nullable, `count` required.
fn check(value: &Value, c: &mut Checker) {
    let Some(object) = c.object(value) else { return };
    for key in object.keys() {
        if key != "reason" && key != "count" {
            c.unknown(key);
        }
    }
    if let Some(member) = object.get("reason") {
        let mark = c.enter("reason");
        if member.is_null() {
            c.null()
        } else {
            c.string(member)
        }
        c.leave(mark);
    }
    match object.get("count") {
        Some(member) => {
            let mark = c.enter("count");
            c.integer(member, i64::from(i32::MIN), i64::from(i32::MAX));
            c.leave(mark);
        }
        None => c.missing("count"),
    }
}

fn run(encoding: Encoding, body: &str) -> (Option<Body>, bool) {
    let mut violations = Violations::new();
    let fields = [("count", Scalar::Integer)];
    let parsed = checked_body::<Body>(encoding, body.as_bytes(), &fields, check, &mut violations);
    (parsed, violations.is_empty())
}

#[test]
fn a_valid_body_decodes() {
    assert_eq!(
        run(Encoding::Json, r#"{"reason":"lost","count":2}"#),
        (Some(Body { reason: Some("lost".into()), count: 2 }), true)
    );
}

#[test]
fn null_in_a_member_that_is_not_nullable_is_refused_although_option_accepts_it() {
    let (body, clean) = run(Encoding::Json, r#"{"reason":null,"count":2}"#);
    assert_eq!(body, None);
    assert!(!clean);
}

#[test]
fn text_containing_null_still_decodes() {
    let (body, clean) = run(Encoding::Json, r#"{"reason":"nullified","count":1}"#);
    assert_eq!(body.map(|b| b.count), Some(1));
    assert!(clean);
}

#[test]
fn every_violation_is_collected_on_the_slow_path() {
    let mut violations = Violations::new();
    let body = br#"{"reason":7,"extra":true}"#;
    let parsed = checked_body::<Body>(Encoding::Json, body, &[], check, &mut violations);
    assert_eq!(parsed, None);
    let response = violations.response();
    assert_eq!(response.status(), 400);
}

#[test]
fn forms_are_coerced_then_checked() {
    assert_eq!(run(Encoding::Form, "count=3&reason=x"), (Some(Body { reason: Some("x".into()), count: 3 }), true));
    assert_eq!(run(Encoding::Form, "count=three").0, None);
}
