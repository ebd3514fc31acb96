//! Sensitive fields (`x-d1-redact`): an unconstrained string declared sensitive becomes a
//! redacted, zeroized newtype with the plain string as its JSON; a property whose name
//! suggests a secret and is declared neither way is a located warning; and the table of
//! tests/tests/sensitive_fields.rs covers every struct of the bundled specs with a sensitive member.

mod support;

use d1_codegen::emit::Options;
use d1_codegen::ir::{Ir, TypeKind, TypeRef};
use d1_codegen::load::SourceFile;
use std::collections::BTreeMap;
use support::{read_specs, repo};

fn spec(properties: &str) -> Vec<SourceFile> {
    let text = format!(
        r#"{{"openapi":"3.0.3","info":{{"title":"T","version":"1"}},"paths":{{}},
            "components":{{"schemas":{{"Login":{{"type":"object","properties":{properties}}}}}}}}}"#
    );
    vec![SourceFile { path: "specs/t.json".into(), text }]
}

fn types_rs(tree: &d1_codegen::FileTree) -> String {
    tree.iter().filter(|(p, _)| p.contains("d1-types/src/")).map(|(_, c)| c.to_string()).collect()
}

#[test]
fn an_unconstrained_string_declared_sensitive_is_a_redacted_newtype() {
    let files =
        spec(r#"{"secretCode":{"type":"string","x-d1-redact":"all"},"pan":{"type":"string","x-d1-redact":"last4"}}"#);
    let (tree, ir) = d1_codegen::generate(&files, &Options::default()).expect("generates");
    let code = types_rs(&tree);
    for name in ["SecretCode", "Pan"] {
        let def = ir.types.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no type {name}"));
        let TypeKind::Newtype(n) = &def.kind else { panic!("{name} is not a newtype: {:?}", def.kind) };
        assert!(n.sensitive && !n.plaintext, "{name}: {n:?}");
        assert!(code.contains(&format!("impl ::std::fmt::Debug for {name}")), "{name}: no hand-written Debug");
        assert!(code.contains(&format!("impl ::std::ops::Drop for {name}")), "{name}: not zeroized on drop");
        assert!(code.contains(&format!("impl ::serde::Serialize for {name}")), "{name}: no serde");
        assert!(!code.contains("f.write_str(&self.0)"), "a Display prints the value");
    }
    assert!(ir.warnings.is_empty(), "{:?}", ir.warnings);
}

#[test]
fn redaction_of_a_non_string_or_unknown_value_is_a_located_error() {
    let err = d1_codegen::generate(&spec(r#"{"pin":{"type":"integer","x-d1-redact":"all"}}"#), &Options::default())
        .unwrap_err();
    assert!(err.to_string().contains("/components/schemas/Login/properties/pin/x-d1-redact"), "{err}");
    let err = d1_codegen::generate(&spec(r#"{"pin":{"type":"string","x-d1-redact":"some"}}"#), &Options::default())
        .unwrap_err();
    assert!(err.to_string().contains("x-d1-redact"), "{err}");
}

#[test]
fn secret_looking_names_not_declared_either_way_are_located_warnings() {
    let props = r#"{
        "cardPIN":{"type":"string"}, "access_token":{"type":"string"}, "track1":{"type":"string"},
        "clientAssertion":{"type":"string"}, "otpValue":{"type":"string"}, "cvv2":{"type":"string"},
        "panSuffix":{"type":"string","x-d1-redact":"none"}, "password":{"type":"string","x-d1-redact":"all"},
        "spinner":{"type":"string"}, "pinned":{"type":"boolean"}, "tokens2go":{"type":"string"}, "expand":{"type":"string"}
    }"#;
    let (_, ir) = d1_codegen::generate(&spec(props), &Options::default()).expect("generates");
    let warned: Vec<String> = ir.warnings.iter().map(|w| w.location.to_string()).collect();
    for name in ["cardPIN", "access_token", "track1", "clientAssertion", "otpValue", "cvv2"] {
        let at = format!("specs/t.json#/components/schemas/Login/properties/{name}");
        assert!(warned.contains(&at), "no warning at {at}: {warned:?}");
    }
    assert_eq!(warned.len(), 6, "{:#?}", ir.warnings);
}

#[test]
fn the_bundled_specs_declare_every_secret_looking_property() {
    let files = read_specs();
    let (_, ir) = d1_codegen::generate(&files, &Options::default()).expect("generates");
    let undeclared: Vec<_> = ir.warnings.iter().filter(|w| w.message.contains("not declared either way")).collect();
    assert!(undeclared.is_empty(), "{undeclared:#?}");
}

/// Structs (by `module::Name`) with sensitive members, and their wire names.
fn sensitive_structs(ir: &Ir) -> BTreeMap<String, Vec<String>> {
    let sensitive = |r: &TypeRef| {
        let mut r = r;
        loop {
            match r {
                TypeRef::Array(inner) | TypeRef::Boxed(inner) | TypeRef::Map(inner) => r = inner,
                TypeRef::Named(id) => match &ir.ty(*id).kind {
                    TypeKind::Newtype(n) => return n.sensitive,
                    TypeKind::ReExport(target) | TypeKind::Alias(TypeRef::Named(target)) => {
                        return matches!(&ir.ty(*target).kind, TypeKind::Newtype(n) if n.sensitive)
                    }
                    _ => return false,
                },
                _ => return false,
            }
        }
    };
    let mut out = BTreeMap::new();
    for def in &ir.types {
        let TypeKind::Struct(s) = &def.kind else { continue };
        if s.plaintext {
            continue; // covered by d1-runtime/tests/jwe_redaction.rs and tests/tests/sensitive_fields.rs
        }
        let fields: Vec<String> = s.fields.iter().filter(|f| sensitive(&f.ty)).map(|f| f.name.clone()).collect();
        if !fields.is_empty() {
            out.insert(format!("{}::{}", def.module.name(), def.name), fields);
        }
    }
    out
}

#[test]
fn the_redaction_test_table_covers_every_struct_with_a_sensitive_member() {
    let (_, ir) = d1_codegen::generate(&read_specs(), &Options::default()).expect("generates");
    let expected = sensitive_structs(&ir);
    assert!(expected.len() >= 4, "{expected:?}");
    let table = std::fs::read_to_string(repo().join("tests/tests/sensitive_fields.rs")).expect("the test file");
    let mut rows: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for line in table.lines().map(str::trim) {
        let Some((ty, json)) = line.split_once(" => r#\"") else { continue };
        let json = json.trim_end_matches(',').trim_end_matches("\"#");
        rows.insert(ty.to_string(), serde_json::from_str(json).unwrap_or_else(|e| panic!("{ty}: {e}")));
    }
    for (ty, fields) in &expected {
        let row =
            rows.get(ty).unwrap_or_else(|| panic!("tests/tests/sensitive_fields.rs has no case for {ty} ({fields:?})"));
        for f in fields {
            assert_eq!(row.get(f).and_then(|v| v.as_str()), Some("MARKER"), "{ty}.{f} does not carry MARKER");
        }
    }
    let extra: Vec<_> = rows.keys().filter(|k| !expected.contains_key(*k)).collect();
    assert!(extra.is_empty(), "cases for types without sensitive members: {extra:?}");
}
