//! Same specs → same bytes: in any input order, on every run; and the committed
//! `d1-generated/` is what the bundled specs produce.

mod support;

use d1_codegen::emit::Options;
use support::{read_specs, repo};

#[test]
fn output_does_not_depend_on_input_order_or_run() {
    let files = read_specs();
    assert!(files.len() >= 10, "expected the bundled specs, found {}", files.len());
    let (first, _) = d1_codegen::generate(&files, &Options::default()).expect("generates");
    let mut reversed = files.clone();
    reversed.reverse();
    let (second, _) = d1_codegen::generate(&reversed, &Options::default()).expect("generates");
    // A rotation puts overlays before the specs they extend.
    let mut rotated = files.clone();
    rotated.rotate_left(files.len() / 2);
    let (third, _) = d1_codegen::generate(&rotated, &Options::default()).expect("generates");
    assert!(first == second, "reversed input order changed the output");
    assert!(first == third, "rotated input order changed the output");
    let (again, _) = d1_codegen::generate(&files, &Options::default()).expect("generates");
    assert!(first == again, "a second run changed the output");
}

#[test]
fn committed_d1_generated_is_fresh() {
    let summary = d1_codegen::Config::new()
        .specs_dir(repo().join("specs"))
        .out_dir(repo().join("d1-generated"))
        .display_root(repo())
        .runtime_path("../d1-runtime")
        .check()
        .expect("specs generate");
    assert!(summary.diff.is_empty(), "d1-generated/ is stale; run `cargo xtask codegen`:\n{}", summary.diff.render());
}

#[test]
fn every_generated_file_names_its_spec() {
    let (tree, _) = d1_codegen::generate(&read_specs(), &Options::default()).expect("generates");
    for (path, content) in tree.iter() {
        let head: String = content.lines().take(2).collect::<Vec<_>>().join("\n");
        assert!(head.contains(d1_codegen::write::MARKER), "{path} lacks the @generated header");
        assert!(head.contains("specs/"), "{path} does not name its spec: {head}");
    }
}

#[test]
fn check_reports_what_it_would_write_and_writes_nothing() {
    let out = std::env::temp_dir().join(format!("d1-check-{}", std::process::id()));
    let config = d1_codegen::Config::new().specs_dir(repo().join("specs")).out_dir(&out).display_root(repo());
    let generated = config.generate().expect("generates");
    let text = generated.render("generated");
    assert!(text.contains(" written,") && !text.contains("would be"), "{text}");
    let lib = out.join("d1-types/src/lib.rs");
    std::fs::write(&lib, "// edited by hand\n").expect("edit");
    let checked = config.check().expect("checks");
    let text = checked.render("checked");
    assert!(text.contains("— 1 would be written,"), "{text}");
    assert_eq!(std::fs::read_to_string(&lib).expect("still there"), "// edited by hand\n", "check wrote");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn adding_a_spec_changes_no_other_module() {
    let d1 = read_specs();
    let (before, _) = d1_codegen::generate(&d1, &Options::default()).expect("generates");
    let extra_text =
        std::fs::read_to_string(repo().join("d1-codegen/tests/fixtures/features/petstore.yaml")).expect("fixture");
    let mut with_extra = d1.clone();
    with_extra.push(d1_codegen::load::SourceFile { path: "specs/Zz-Extra-Api.yaml".into(), text: extra_text });
    let (after, _) = d1_codegen::generate(&with_extra, &Options::default()).expect("generates");
    let mut modules = 0;
    for (path, content) in before.iter() {
        // Per-API module files; crate roots, manifests, READMEs and `checks.rs` list every spec.
        let file = path.rsplit('/').next().unwrap_or(path);
        if !(file.starts_with("in_") || file.starts_with("out_")) {
            continue;
        }
        modules += 1;
        assert_eq!(after.get(path), Some(content), "{path} changed when a spec was added");
    }
    assert!(modules >= 30, "expected the D1 modules of three crates, found {modules}");
    assert!(after.get("d1-types/src/zz_extra_api.rs").is_some(), "the new spec's module is named from its file alone");
}
