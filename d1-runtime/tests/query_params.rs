//! `QueryParams::parse` decodes exactly as `application/x-www-form-urlencoded` parsing does
//! (the `form_urlencoded` crate is the reference): same pairs, same order, same values, for
//! random query strings full of `&`, `=`, `+`, `%` escapes (valid or not) and non-ASCII text.
#![cfg(feature = "server")]

use d1_runtime::server::QueryParams;
use proptest::prelude::*;

fn reference(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

fn agree(query: &str) {
    let ours = QueryParams::parse(Some(query));
    let expected = reference(query);
    for (name, _) in &expected {
        let want: Vec<&str> = expected.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect();
        assert_eq!(ours.all(name), want, "query {query:?}, name {name:?}");
        assert_eq!(ours.get(name), want.first().copied(), "query {query:?}, name {name:?}");
    }
}

#[test]
fn known_cases() {
    for query in [
        "",
        "&&",
        "offset=0&limit=5",
        "a=1&a=2&b",
        "name=Jane+Doe&city=S%C3%A3o%20Paulo",
        "k%3Dx=v%26w",
        "bad=%zz%4&truncated=%E2%82",
        "=value&empty=",
        "plus%2B=%2B+",
        "x=a=b=c",
    ] {
        agree(query);
    }
    assert_eq!(QueryParams::parse(None).get("offset"), None);
    assert_eq!(QueryParams::parse(Some("a=1&a=2")).get("a"), Some("1"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn decodes_like_form_urlencoded(query in "([a-c=&+%]|%[0-9A-Fa-f]{2}|%[0-9a-g]|é|€|%C3|%A9){0,24}") {
        agree(&query);
    }
}
