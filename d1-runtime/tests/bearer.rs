//! `BearerToken::from_header`: which `Authorization` values carry a bearer token (RFC 6750
//! §2.1: the scheme in any case, spaces, a token68), and what the token is.
#![cfg(feature = "server")]

use d1_runtime::server::BearerToken;

#[test]
fn accepts_bearer_tokens_and_nothing_else() {
    for (header, token) in [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER   a.b-c_d~e+f/g==", "a.b-c_d~e+f/g=="),
        ("Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig", "eyJhbGciOiJFUzI1NiJ9.e30.sig"),
    ] {
        let parsed = BearerToken::from_header(header).unwrap_or_else(|| panic!("{header:?} refused"));
        assert_eq!(parsed.as_str(), token, "{header:?}");
    }
    for header in [
        "",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "Bearer =",
        "Bearer ab=c",
        "Bearer a b",
        "Bearer a\tb",
        "Basic abc",
        "Bearerabc",
        " Bearer abc",
        "Bearers abc",
        "Bearer abc ",
        "Bearer ab\u{e9}",
    ] {
        assert!(BearerToken::from_header(header).is_none(), "{header:?} accepted");
    }
}

#[test]
fn never_prints_the_token() {
    let token = BearerToken::from_header("Bearer s3cr3t-value").expect("valid");
    assert!(!format!("{token:?}").contains("s3cr3t"));
}
