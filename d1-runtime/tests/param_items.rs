//! The server's reading of array parameters sent as one value (`split_items`) and of validated
//! list newtypes (`Violations::list`).
#![cfg(feature = "server")]

use d1_runtime::server::{split_items, In, Violations};

fn split<'a>(raw: Option<&'a str>, prefix: &str, separator: &str) -> (Vec<&'a str>, bool) {
    let mut violations = Violations::new();
    let items = split_items(raw, prefix, separator, In::Path, "p", &mut violations);
    (items, violations.is_empty())
}

#[test]
fn each_style_splits_into_its_items() {
    assert_eq!(split(Some("a,b,c"), "", ","), (vec!["a", "b", "c"], true));
    assert_eq!(split(Some("a b"), "", " "), (vec!["a", "b"], true));
    assert_eq!(split(Some("a|b"), "", "|"), (vec!["a", "b"], true));
    assert_eq!(split(Some(".a.b"), ".", "."), (vec!["a", "b"], true));
    assert_eq!(split(Some(".a,b"), ".", ","), (vec!["a", "b"], true));
    assert_eq!(split(Some(";p=a,b"), ";p=", ","), (vec!["a", "b"], true));
    assert_eq!(split(Some(";p=a;p=b"), ";p=", ";p="), (vec!["a", "b"], true));
    // One item, and an empty item between two separators, are kept as they are.
    assert_eq!(split(Some("a"), "", ","), (vec!["a"], true));
    assert_eq!(split(Some("a,,b"), "", ","), (vec!["a", "", "b"], true));
}

#[test]
fn nothing_sent_is_no_items_and_no_violation() {
    assert_eq!(split(None, ";p=", ","), (vec![], true));
    assert_eq!(split(Some(""), "", ","), (vec![], true));
    assert_eq!(split(Some(";p="), ";p=", ","), (vec![], true));
}

#[test]
fn a_value_without_its_prefix_is_a_violation() {
    assert_eq!(split(Some("a.b"), ".", "."), (vec![], false));
    assert_eq!(split(Some(";q=a"), ";p=", ","), (vec![], false));
}

/// A list of at most two items.
#[derive(Debug, PartialEq)]
struct Pair(Vec<u8>);

impl TryFrom<Vec<u8>> for Pair {
    type Error = String;

    fn try_from(items: Vec<u8>) -> Result<Self, String> {
        if items.len() > 2 {
            Err(format!("has {} items, at most 2 allowed", items.len()))
        } else {
            Ok(Pair(items))
        }
    }
}

#[test]
fn a_list_newtype_keeps_its_constraints() {
    let mut violations = Violations::new();
    assert_eq!(violations.list::<u8, Pair>(In::Query, "pair", vec![1, 2]), Some(Pair(vec![1, 2])));
    assert!(violations.is_empty());
    assert_eq!(violations.list::<u8, Pair>(In::Query, "pair", vec![1, 2, 3]), None);
    assert!(!violations.is_empty());
}
