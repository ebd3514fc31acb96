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

/// The files of a generated tree that belong to no one module: crate roots, manifests, READMEs.
fn is_crate_root(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    matches!(file, "lib.rs" | "Cargo.toml" | "README.md") || path.starts_with('.')
}

/// `before` and `after` agree on every module file but those of `changed` modules: same paths,
/// same bytes. Returns how many files were compared.
fn other_modules_unchanged(before: &d1_codegen::FileTree, after: &d1_codegen::FileTree, changed: &[&str]) -> usize {
    let of_changed = |path: &str| changed.iter().any(|m| path.ends_with(&format!("/src/{m}.rs")));
    let mut compared = 0;
    for (path, content) in before.iter() {
        if is_crate_root(path) || of_changed(path) {
            continue;
        }
        compared += 1;
        assert_eq!(after.get(path), Some(content), "{path} changed");
    }
    for (path, _) in after.iter() {
        assert!(is_crate_root(path) || of_changed(path) || before.get(path).is_some(), "{path} appeared");
    }
    compared
}

#[test]
fn adding_removing_or_renaming_a_spec_changes_no_other_module() {
    let d1 = read_specs();
    let generate =
        |files: &[d1_codegen::load::SourceFile]| d1_codegen::generate(files, &Options::default()).expect("generates").0;
    let before = generate(&d1);
    let file = |name: &str| d1.iter().find(|f| f.path == name).cloned().expect("bundled spec");
    // The shared types and `checks` are files of their own, compared like every API module.
    assert!(before.get("d1-types/src/common.rs").is_some() && before.get("d1-server/src/common.rs").is_some());

    // Added: a copy of the v1 Card API, which defines the same types as `in_v1_card` and the
    // shared ones (its `x-d1-jwe` declarations come with its own overlay, also copied).
    let mut added = d1.clone();
    let mut copy = file("specs/D1-Public-IN-v1-Card.json");
    copy.path = "specs/Zz-Extra-Card.json".into();
    let mut overlay = file("specs/overlays/D1-Public-IN-v1-Card.overlay.json");
    overlay.path = "specs/overlays/Zz-Extra-Card.overlay.json".into();
    overlay.text = overlay.text.replace("D1-Public-IN-v1-Card.json", "Zz-Extra-Card.json");
    added.extend([copy, overlay]);
    let after = generate(&added);
    assert!(other_modules_unchanged(&before, &after, &["zz_extra_card"]) >= 30);
    assert!(after.get("d1-types/src/zz_extra_card.rs").is_some_and(|t| t.contains("pub use super::common::IssuerId;")));

    // Removed: the v2 Card API, with its overlay.
    let removed: Vec<_> = d1.iter().filter(|f| !f.path.contains("OUT-v2-Card")).cloned().collect();
    let after = generate(&removed);
    assert!(other_modules_unchanged(&before, &after, &["out_v2_card"]) >= 27);
    assert!(after.get("d1-types/src/out_v2_card.rs").is_none());

    // Renamed: the consumer API's file; only its own modules change name.
    let renamed: Vec<_> = d1
        .iter()
        .cloned()
        .map(|mut f| {
            f.path = f.path.replace("D1-Public-IN-v2-Consumer", "Consumer-2");
            f
        })
        .collect();
    let after = generate(&renamed);
    assert!(other_modules_unchanged(&before, &after, &["in_v2_consumer", "consumer_2"]) >= 27);
    let old = before.get("d1-types/src/in_v2_consumer.rs").expect("old module");
    let new = after.get("d1-types/src/consumer_2.rs").expect("new module");
    assert_eq!(new, &old.replace("D1-Public-IN-v2-Consumer", "Consumer-2"), "only the file name differs");
}
