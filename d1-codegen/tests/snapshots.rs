//! Snapshot test: the fixture specs under `tests/fixtures/features/` generate the crates under
//! `tests/snapshots/`, which are workspace members — so a snapshot that would not compile (or
//! not pass clippy) fails the build, as progenitor's do. Run with `UPDATE_SNAPSHOTS=1` to
//! rewrite them after an intended change, and review the diff.

use std::path::Path;

fn config() -> d1_codegen::Config {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    d1_codegen::Config::new()
        .specs_dir(root.join("tests/fixtures/features"))
        .out_dir(root.join("tests/snapshots"))
        .display_root(root)
        .types_crate("fixture-types")
        .client_crate("fixture-client")
        .server_crate("fixture-server")
        .runtime_path("../../../d1-runtime")
}

#[test]
fn fixture_snapshots_are_current() {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        let summary = config().generate().expect("fixtures generate");
        eprintln!("{}", summary.render("updated snapshots"));
        return;
    }
    let summary = config().check().expect("fixtures generate");
    assert!(
        summary.diff.is_empty(),
        "the snapshots are stale; run `UPDATE_SNAPSHOTS=1 cargo test -p d1-codegen --test snapshots` and review:\n{}",
        summary.diff.render()
    );
}

#[test]
fn fixtures_produce_the_expected_warnings() {
    let summary = config().check().expect("fixtures generate");
    let warnings: Vec<String> = summary.warnings.iter().map(|w| w.to_string()).collect();
    let expect = [
        ("#/components/schemas/Pet", "`anyOf` is modelled as an untagged enum"),
        ("#/components/schemas/Not", "`not` cannot be expressed"),
        ("#/components/schemas/Unanchored/pattern", "is not anchored"),
        ("~1things:search/post/requestBody/content/multipart~1form-data", "sent as raw bytes"),
        ("~1nesting/get/parameters/0", "this array is written `expand[0]=…&expand[1]=…`, as qs and Rails read it"),
        ("~1nesting/get/parameters/1", "written `nested[key][sub]=…` and `nested[key][0]=…`"),
        ("~1nesting/get/parameters/2", "is sent as JSON text, as `content: application/json` would send it"),
        ("~1nesting/get/parameters/3", "is sent as JSON text, as `content: application/json` would send it"),
        ("~1lines~1{modes}/get/parameters/8", "parameter without a `type` is passed as text"),
        ("~1lines~1{modes}/get/parameters/9", "parameter items without a `type` are passed as text"),
    ];
    for (pointer, text) in expect {
        assert!(
            warnings.iter().any(|w| w.contains(pointer) && w.contains(text)),
            "missing warning `{text}` at `{pointer}` in:\n{}",
            warnings.join("\n")
        );
    }
}
