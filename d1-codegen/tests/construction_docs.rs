//! How generated types are built and documented: `new(required…)` plus `with_` setters, or
//! `Default` when nothing is required, on `#[non_exhaustive]` structs; a doc line on every
//! item, `$ref` members taking the referenced schema's description; types of one name with
//! different rules in two modules pointing at each other. (That no public item lacks a doc is
//! checked by the build: every generated crate root denies `missing_docs`, the snapshot crates
//! and `d1-generated/` included.)

use d1_codegen::emit::Options;
use d1_codegen::ir::{Ir, TypeDef, TypeKind};
use d1_codegen::load::SourceFile;

fn spec(path: &str, schemas: &str) -> SourceFile {
    let text = format!(
        r#"{{"openapi":"3.0.3","info":{{"title":"T","version":"1"}},"paths":{{}},"components":{{"schemas":{schemas}}}}}"#
    );
    SourceFile { path: path.into(), text }
}

fn generate(files: &[SourceFile]) -> (String, Ir) {
    let (tree, ir) = d1_codegen::generate(files, &Options::default()).expect("generates");
    let code = tree.iter().filter(|(p, _)| p.contains("d1-types/src/")).map(|(_, c)| c.to_string()).collect();
    (code, ir)
}

fn ty<'a>(ir: &'a Ir, module: &str, name: &str) -> &'a TypeDef {
    ir.types
        .iter()
        .find(|t| t.name == name && t.module.name() == module)
        .unwrap_or_else(|| panic!("no type {module}::{name}"))
}

const ORDER: &str = r##"{
    "Order": {"type": "object", "required": ["service", "id"], "properties": {
        "service": {"$ref": "#/components/schemas/Service"},
        "id": {"type": "string"},
        "note": {"type": "string", "description": "Free text."},
        "type": {"type": "string"},
        "shape": {"$ref": "#/components/schemas/Shape"}
    }},
    "Service": {"type": "object", "description": "What is produced.\n\nMore about it.", "properties": {
        "speed": {"type": "integer"}
    }},
    "Shape": {"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/Service"}]}
}"##;

#[test]
fn required_members_make_the_constructor_and_the_others_have_setters() {
    let (code, ir) = generate(&[spec("specs/a.json", ORDER)]);
    let TypeKind::Struct(order) = &ty(&ir, "a", "Order").kind else { panic!("Order is not a struct") };
    let args: Vec<&str> = order.constructor_args().map(|f| f.ident.as_str()).collect();
    assert_eq!(args, ["service", "id"]);
    let setters: Vec<&str> = order.fields.iter().filter(|f| !f.required).map(|f| f.setter.as_str()).collect();
    assert_eq!(setters, ["with_note", "with_type", "with_shape"]);
    let squeezed = |text: &str| text.split_whitespace().collect::<String>();
    let code_squeezed = squeezed(&code);
    for signature in [
        "pub fn new(service: impl ::std::convert::Into<Service>, id: impl ::std::convert::Into<::std::string::String>,) -> Self",
        "pub fn with_type(mut self, value: impl ::std::convert::Into<::std::string::String>,) -> Self",
    ] {
        assert!(code_squeezed.contains(&squeezed(signature)), "no `{signature}` in {code}");
    }
    // `Order` has required members: no `Default`; `Service` has none: `Default`, no `new`.
    let derive_of = |name: &str| {
        let at = code.find(&format!("pub struct {name} ")).unwrap_or_else(|| panic!("no struct {name}"));
        code[..at].rsplit("#[derive(").next().map(|d| d.split(')').next().unwrap_or("").to_string()).unwrap_or_default()
    };
    assert!(!derive_of("Order").contains("Default"), "{}", derive_of("Order"));
    assert!(derive_of("Service").contains("Default"), "{}", derive_of("Service"));
    assert!(!code.contains("impl Service {\n    /// Builds"), "a struct without required members has no constructor");
    // Every struct and enum is closed to literals.
    let items = code.matches("pub struct ").count() + code.matches("pub enum ").count();
    assert_eq!(code.matches("#[non_exhaustive]").count(), items, "{code}");
}

#[test]
fn every_item_gets_a_doc_line_and_ref_members_take_the_referenced_description() {
    let (_, ir) = generate(&[spec("specs/a.json", ORDER)]);
    let TypeKind::Struct(order) = &ty(&ir, "a", "Order").kind else { panic!("Order is not a struct") };
    let doc = |ident: &str| order.fields.iter().find(|f| f.ident == ident).and_then(|f| f.doc.clone());
    assert_eq!(doc("service").as_deref(), Some("What is produced."), "the first paragraph of `Service`");
    assert_eq!(doc("note").as_deref(), Some("Free text."), "its own description wins");
    assert_eq!(doc("id").as_deref(), Some("The `id` member (the spec does not describe it)."));
    assert!(ty(&ir, "a", "Order").doc.as_deref().is_some_and(|d| d.contains("#/components/schemas/Order")));
    let TypeKind::OneOf(shape) = &ty(&ir, "a", "Shape").kind else { panic!("Shape is not a oneOf") };
    let docs: Vec<Option<&str>> = shape.variants.iter().map(|v| v.doc.as_deref()).collect();
    assert_eq!(
        docs,
        [Some("When the value has this shape."), Some("When the value has this shape. What is produced.")]
    );
    for def in &ir.types {
        assert!(def.doc.is_some() || matches!(def.kind, TypeKind::ReExport(_)), "{} has no doc", def.name);
    }
}

#[test]
fn names_defined_with_different_rules_are_listed_and_link_the_common_one() {
    let strict = r#"{"CardId": {"type": "string", "pattern": "^[a-z]{1,4}$", "description": "Card."},
                     "Kind": {"type": "string", "maxLength": 3}}"#;
    let loose = r#"{"CardId": {"type": "string", "pattern": "[a-z]{1,4}", "description": "Card."},
                    "Kind": {"type": "string", "maxLength": 4}}"#;
    let files = [spec("specs/one.json", strict), spec("specs/two.json", strict), spec("specs/three.json", loose)];
    let (code, ir) = generate(&files);
    // `one` and `two` share their `CardId`, in `common`; `three` has its own.
    let own = ty(&ir, "three", "CardId").doc.clone().unwrap_or_default();
    assert_eq!(
        own,
        "Card.\n\nNot the `CardId` the other APIs share ([`common::CardId`](super::common::CardId) (matches \
         `^[a-z]{1,4}$`)): this API's has rules of its own. The types are not interchangeable; pass the one \
         the operation names."
    );
    let shared = ty(&ir, "common", "CardId").doc.clone().unwrap_or_default();
    assert!(shared.contains("[`three::CardId`](super::three::CardId) (matches `[a-z]{1,4}`)"), "{shared}");
    // Every such name is listed at the crate root, `Kind` (no `common` one) too.
    assert_eq!(ir.namesakes.len(), 2, "{:?}", ir.namesakes);
    assert!(ir.namesakes[1].starts_with("- `Kind`: [`common::Kind`] (at most 3 characters); "));
    assert!(code.contains("/// Not the `CardId` the other APIs share"), "rendered");
    assert!(code.contains("//! # One name, different rules"), "listed in the crate docs");
}
