//! Constraints that D1's own specs do not use, checked on the generator's fixture crate
//! (`d1-codegen/tests/snapshots/fixture-types`, from `kitchen-sink.json`).

use fixture_types::kitchen_sink::{Item, Labels};
use fixture_types::validation::Violation;

fn labels(items: &[&str]) -> Vec<Item> {
    items.iter().map(|s| Item::new(*s).expect("short label")).collect()
}

#[test]
fn unique_items_refuse_a_repeated_item_and_name_both_places() {
    assert!(Labels::new(labels(&["a", "b", "c"])).is_ok());
    let e = Labels::new(labels(&["a", "b", "a"])).expect_err("a repeated label");
    assert_eq!(e.violation(), &Violation::DuplicateItems { first: 0, second: 2 });
    assert_eq!(e.to_string(), "invalid Labels: items 0 and 2 are equal, but uniqueItems is true");
    // The same rule when the value comes in as JSON.
    let e = serde_json::from_str::<Labels>(r#"["x", "y", "y"]"#).expect_err("a repeated label");
    assert!(e.to_string().contains("items 1 and 2 are equal"), "{e}");
    assert!(serde_json::from_str::<Labels>(r#"["x", "y"]"#).is_ok());
}
