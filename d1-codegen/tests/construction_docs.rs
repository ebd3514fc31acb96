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

fn shared(schemas: &str) -> SourceFile {
    let text = format!(
        r#"{{"openapi":"3.0.3","info":{{"title":"Shared","version":"1"}},"x-d1-common":true,"paths":{{}},"components":{{"schemas":{schemas}}}}}"#
    );
    SourceFile { path: "specs/common.json".into(), text }
}

#[test]
fn declared_shared_types_are_reexported_and_namesakes_link_them() {
    let strict = r#"{"CardId": {"type": "string", "pattern": "^[a-z]{1,4}$", "description": "Card."},
                     "Kind": {"type": "string", "maxLength": 3}}"#;
    let loose = r#"{"CardId": {"type": "string", "pattern": "[a-z]{1,4}", "description": "Card."},
                    "Kind": {"type": "string", "maxLength": 4}}"#;
    let common = shared(r#"{"CardId": {"type": "string", "pattern": "^[a-z]{1,4}$", "description": "Card."}}"#);
    let files =
        [spec("specs/one.json", strict), spec("specs/two.json", strict), spec("specs/three.json", loose), common];
    let (code, ir) = generate(&files);
    // `one` and `two` define the declared `CardId`: they re-export it; `three`'s has other rules.
    for module in ["one", "two"] {
        assert!(matches!(ty(&ir, module, "CardId").kind, TypeKind::ReExport(_)), "{module}");
    }
    let own = ty(&ir, "three", "CardId").doc.clone().unwrap_or_default();
    assert_eq!(
        own,
        "Card.\n\nNot the `CardId` the other APIs share ([`common::CardId`](super::common::CardId) (matches \
         `^[a-z]{1,4}$`)): this API's has rules of its own. The types are not interchangeable; pass the one \
         the operation names."
    );
    // The shared type's docs name no API: they must not change when a spec is added.
    assert_eq!(ty(&ir, "common", "CardId").doc.as_deref(), Some("Card."));
    // `Kind` is not declared: `one` and `two` each keep their own, though they are identical.
    assert!(!matches!(ty(&ir, "one", "Kind").kind, TypeKind::ReExport(_)));
    assert!(!matches!(ty(&ir, "two", "Kind").kind, TypeKind::ReExport(_)));
    // Every such name is listed at the crate root.
    assert_eq!(ir.namesakes.len(), 2, "{:?}", ir.namesakes);
    assert!(ir.namesakes[1].starts_with("- `Kind`: [`one::Kind`] (at most 3 characters); "), "{:?}", ir.namesakes);
    assert!(code.contains("/// Not the `CardId` the other APIs share"), "rendered");
    assert!(code.contains("//! # One name, several types"), "listed in the crate docs");
    assert!(code.contains("//! The types the APIs share, from `specs/common.json`"), "{code}");
}

#[test]
fn the_shared_types_document_is_checked() {
    let err = |files: &[SourceFile]| match d1_codegen::generate(files, &Options::default()) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    };
    let with_paths = SourceFile {
        path: "specs/common.json".into(),
        text: r#"{"openapi":"3.0.3","info":{"title":"S","version":"1"},"x-d1-common":true,
                  "paths":{"/a":{"get":{"responses":{"200":{"description":"ok"}}}}}}"#
            .into(),
    };
    let e = err(&[with_paths]);
    assert!(e.contains("specs/common.json#/paths") && e.contains("may only define `components/schemas`"), "{e}");
    let mut second = shared("{}");
    second.path = "specs/more-common.json".into();
    let e = err(&[shared("{}"), second]);
    assert!(e.contains("specs/more-common.json#/x-d1-common") && e.contains("mark only one"), "{e}");
    let mut not_bool = shared("{}");
    not_bool.text = not_bool.text.replace(r#""x-d1-common":true"#, r#""x-d1-common":"yes""#);
    let e = err(&[not_bool]);
    assert!(e.contains("#/x-d1-common") && e.contains("must be `true` or `false`"), "{e}");
}
