//! Bad input is an error naming the file and the JSON pointer — never a panic — and a failed
//! run changes nothing on disk.

use d1_codegen::emit::Options;
use d1_codegen::load::SourceFile;

fn spec(paths: &str, schemas: &str) -> String {
    format!(
        r#"{{"openapi":"3.0.0","info":{{"title":"T","version":"1"}},"paths":{paths},"components":{{"schemas":{schemas}}}}}"#
    )
}

fn run(files: &[(&str, &str)]) -> d1_codegen::Error {
    let files: Vec<SourceFile> =
        files.iter().map(|(p, t)| SourceFile { path: p.to_string(), text: t.to_string() }).collect();
    match d1_codegen::generate(&files, &Options::default()) {
        Ok(_) => panic!("expected an error for {:?}", files.iter().map(|f| &f.path).collect::<Vec<_>>()),
        Err(e) => e,
    }
}

fn assert_error(files: &[(&str, &str)], file: &str, pointer: &str, text: &str) {
    let e = run(files);
    assert_eq!(e.location.file, file, "wrong file in: {e}");
    assert_eq!(e.location.pointer, pointer, "wrong pointer in: {e}");
    assert!(e.message.contains(text), "message `{}` lacks `{text}`", e.message);
}

#[test]
fn invalid_json_names_line_and_column() {
    let e = run(&[("specs/a.json", "{\n  \"openapi\": \"3.0.0\",\n  oops\n}")]);
    assert_eq!(e.location.file, "specs/a.json");
    assert!(e.message.contains("invalid JSON at line 3, column 3"), "{e}");
}

#[test]
fn invalid_yaml_names_the_position() {
    let e = run(&[("specs/a.yaml", "openapi: 3.0.0\ninfo: [unclosed\n")]);
    assert!(e.message.starts_with("invalid YAML at line"), "{e}");
}

#[test]
fn unknown_ref_is_located() {
    let s = spec(r#"{}"#, r##"{"A":{"type":"object","properties":{"b":{"$ref":"#/components/schemas/Missing"}}}}"##);
    assert_error(&[("s.json", &s)], "s.json", "/components/schemas/A/properties/b", "points to nothing");
}

#[test]
fn ref_cycle_without_a_schema_is_rejected() {
    let s = spec(r#"{}"#, r##"{"A":{"$ref":"#/components/schemas/B"},"B":{"$ref":"#/components/schemas/A"}}"##);
    assert_error(&[("s.json", &s)], "s.json", "/components/schemas/B", "cycle");
}

#[test]
fn recursive_types_are_fine() {
    let s = spec(r#"{}"#, r##"{"N":{"type":"object","properties":{"next":{"$ref":"#/components/schemas/N"}}}}"##);
    let files = vec![SourceFile { path: "s.json".into(), text: s }];
    let (tree, _) = d1_codegen::generate(&files, &Options::default()).expect("a recursive type is representable");
    let module = tree.get("d1-types/src/s.rs").expect("module");
    assert!(module.contains("::std::boxed::Box<N>"), "{module}");
}

#[test]
fn external_and_odd_refs_are_unsupported_with_location() {
    let s = spec(r#"{}"#, r#"{"A":{"type":"object","properties":{"b":{"$ref":"other.json#/B"}}}}"#);
    assert_error(&[("s.json", &s)], "s.json", "/components/schemas/A/properties/b", "external `$ref`");
}

#[test]
fn invalid_pattern_is_located() {
    let s = spec(r#"{}"#, r#"{"A":{"type":"string","pattern":"[a-z"}}"#);
    assert_error(&[("s.json", &s)], "s.json", "/components/schemas/A/pattern", "invalid pattern");
}

#[test]
fn contradictory_lengths_are_rejected() {
    let s = spec(r#"{}"#, r#"{"A":{"type":"string","minLength":5,"maxLength":2}}"#);
    assert_error(&[("s.json", &s)], "s.json", "/components/schemas/A", "minLength 5 is greater than maxLength 2");
}

#[test]
fn undeclared_path_parameter_is_located() {
    let paths = r#"{"/a/{id}":{"get":{"responses":{"200":{"description":"ok"}}}}}"#;
    assert_error(&[("s.json", &spec(paths, "{}"))], "s.json", "/paths/~1a~1{id}/get", "path parameter `id`");
}

#[test]
fn wrong_node_types_are_located_by_pointer() {
    let paths = r#"{"/a":{"get":{"responses":{"200":{"description":7}}}}}"#;
    let e = run(&[("s.json", &spec(paths, "{}"))]);
    assert!(e.location.pointer.starts_with("/paths/~1a/get"), "{e}");
    assert!(e.message.contains("not a valid OpenAPI 3.0 node"), "{e}");
}

#[test]
fn other_documents_are_refused() {
    assert_error(
        &[("s.json", r#"{"openapi":"3.1.0","info":{"title":"T","version":"1"},"paths":{}}"#)],
        "s.json",
        "/openapi",
        "only 3.0.x",
    );
    assert_error(&[("s.json", r#"{"swagger":"2.0"}"#)], "s.json", "", "neither an OpenAPI document");
}

#[test]
fn overlay_errors_are_located_in_the_overlay() {
    let s = spec(r#"{}"#, r#"{"A":{"type":"string"}}"#);
    let missing = r#"{"overlay":"1.0.0","info":{"title":"o","version":"1"},"extends":"s.json",
        "actions":[{"target":"$.components.schemas.Nope","update":{"x":1}}]}"#;
    assert_error(&[("s.json", &s), ("o.json", missing)], "o.json", "/actions/0/target", "matches nothing");
    let unsupported = r#"{"overlay":"1.0.0","info":{"title":"o","version":"1"},"extends":"s.json",
        "actions":[{"target":"$..A","update":{"x":1}}]}"#;
    assert_error(&[("s.json", &s), ("o.json", unsupported)], "o.json", "/actions/0/target", "only plain names");
    let elsewhere = r#"{"overlay":"1.0.0","info":{"title":"o","version":"1"},"extends":"nowhere.json","actions":[]}"#;
    assert_error(&[("s.json", &s), ("o.json", elsewhere)], "o.json", "/extends", "no spec file `nowhere.json`");
}

#[test]
fn sealed_fields_need_a_declared_plaintext() {
    let s = spec(
        r#"{}"#,
        r##"{"P":{"type":"object","properties":{"pan":{"type":"string"}}},
            "R":{"type":"object","properties":{"data":{"type":"string","x-d1-jwe":{"plaintext":"#/components/schemas/P"}}}}}"##,
    );
    assert_error(
        &[("s.json", &s)],
        "s.json",
        "/components/schemas/R/properties/data/x-d1-jwe",
        "not marked `x-d1-plaintext: true`",
    );
}

/// Delete nodes from the real specs one at a time: the generator may refuse the result, but it
/// must never panic.
#[test]
fn mutated_specs_never_panic() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut checked = 0;
    for entry in std::fs::read_dir(&root).expect("specs") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let original: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("valid json");
        let mut pointers = Vec::new();
        collect_pointers(&original, String::new(), &mut pointers);
        for pointer in pointers.iter().step_by(11) {
            let mut mutated = original.clone();
            remove(&mut mutated, pointer);
            let files = vec![SourceFile { path: "m.json".into(), text: mutated.to_string() }];
            let outcome = std::panic::catch_unwind(|| d1_codegen::generate(&files, &Options::default()).map(|_| ()));
            assert!(outcome.is_ok(), "panic after removing {pointer} from {}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} mutations tried");
}

fn collect_pointers(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    if let serde_json::Value::Object(map) = v {
        for (k, child) in map {
            let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            out.push(p.clone());
            collect_pointers(child, p, out);
        }
    }
}

fn remove(v: &mut serde_json::Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else { return };
    let key = last.replace("~1", "/").replace("~0", "~");
    if let Some(serde_json::Value::Object(map)) = v.pointer_mut(parent) {
        map.remove(&key);
    }
}

#[test]
fn a_failed_run_changes_nothing_on_disk() {
    let dir = std::env::temp_dir().join(format!("d1-codegen-bad-input-{}", std::process::id()));
    let specs = dir.join("specs");
    let out = dir.join("out");
    std::fs::create_dir_all(&specs).expect("mkdir");
    std::fs::write(specs.join("good.json"), spec("{}", r#"{"A":{"type":"string","maxLength":3}}"#)).expect("write");
    let config = d1_codegen::Config::new().specs_dir(&specs).out_dir(&out).display_root(&dir);
    config.generate().expect("first run works");
    let before = snapshot(&out);
    assert!(!before.is_empty());
    std::fs::write(specs.join("bad.json"), spec("{}", r##"{"B":{"$ref":"#/components/schemas/Gone"}}"##))
        .expect("write");
    let error = config.generate().expect_err("second run fails");
    assert_eq!(error.location.file, "specs/bad.json");
    assert_eq!(snapshot(&out), before, "a failed run changed the output folder");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

fn snapshot(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.display().to_string(), std::fs::read_to_string(&path).expect("read")));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn two_files_with_one_module_name_are_an_error_not_a_renaming() {
    let s = spec(r#"{}"#, r#"{}"#);
    let e = run(&[("specs/card-api.json", &s), ("specs/card_api.json", &s)]);
    assert_eq!(e.location.file, "specs/card_api.json", "{e}");
    assert!(e.message.contains("`card_api` is also that of `specs/card-api.json`"), "{e}");
}

#[test]
fn all_of_a_ref_and_a_description_is_the_referenced_type_even_when_recursive() {
    // AWS writes every `$ref` property as `allOf: [{$ref}, {description}]`.
    let s = spec(
        r#"{}"#,
        r##"{"Expr":{"type":"object","properties":{
                "not":{"allOf":[{"$ref":"#/components/schemas/Expr"},{"description":"Negated."}]},
                "key":{"allOf":[{"$ref":"#/components/schemas/Key"},{"description":"The key."}]}}},
             "Key":{"type":"string","maxLength":5}}"##,
    );
    let files = vec![SourceFile { path: "s.json".into(), text: s }];
    let (tree, ir) = d1_codegen::generate(&files, &Options::default()).expect("a recursive AWS-style type generates");
    let module = tree.get("d1-types/src/s.rs").expect("module");
    assert!(module.contains("pub not: ::std::option::Option<::std::boxed::Box<Expr>>"), "{module}");
    assert!(module.contains("pub key: ::std::option::Option<Key>"), "{module}");
    assert!(ir.warnings.is_empty(), "{:?}", ir.warnings);
}

/// An operation `GET /a` with one query parameter.
fn one_parameter(parameter: &str, schemas: &str) -> String {
    spec(
        &format!(r#"{{"/a":{{"get":{{"parameters":[{parameter}],"responses":{{"204":{{"description":"ok"}}}}}}}}}}"#),
        schemas,
    )
}

#[test]
fn parameter_shapes_openapi_does_not_define_generate_with_a_located_warning() {
    let object =
        r##"{"O":{"type":"object","properties":{"x":{"type":"string"},"y":{"$ref":"#/components/schemas/O"}}}}"##;
    for (parameter, schemas, text, call) in [
        (
            r#"{"name":"f","in":"query","style":"deepObject","schema":{"type":"array","items":{"type":"string"}}}"#,
            "{}",
            "this array is written `f[0]=…&f[1]=…`, as qs and Rails read it",
            "::d1_runtime::style::Style::DeepObject",
        ),
        (
            r##"{"name":"f","in":"query","style":"deepObject","schema":{"$ref":"#/components/schemas/O"}}"##,
            object,
            "written `f[key][sub]=…` and `f[key][0]=…`",
            "::d1_runtime::style::Style::DeepObject",
        ),
        (
            r##"{"name":"f","in":"query","schema":{"type":"array","items":{"$ref":"#/components/schemas/O"}}}"##,
            object,
            "style `form` of OpenAPI 3.0 writes scalars, flat arrays and flat objects only: this parameter (objects or arrays inside an object or array) is sent as JSON text",
            "::d1_runtime::style::Style::Json",
        ),
        (
            r#"{"name":"f","in":"header","schema":{"type":"array","items":{"type":"array","items":{"type":"string"}}}}"#,
            "{}",
            "style `simple` of OpenAPI 3.0 writes scalars, flat arrays and flat objects only",
            "::d1_runtime::style::Style::Json",
        ),
    ] {
        let s = one_parameter(parameter, schemas);
        let files = vec![SourceFile { path: "s.json".into(), text: s }];
        let (tree, ir) = d1_codegen::generate(&files, &Options::default()).expect("the parameter generates");
        let at = "s.json#/paths/~1a/get/parameters/0";
        assert!(
            ir.warnings.iter().any(|w| w.to_string().starts_with(at) && w.message.contains(text)),
            "no `{text}` at {at} in {:?}",
            ir.warnings
        );
        let client = tree.get("d1-client/src/s.rs").expect("client module");
        assert!(client.contains(call), "{client}");
    }
}

#[test]
fn objects_unions_and_label_scalars_generate_without_a_warning() {
    let color = r#"{"C":{"type":"object","properties":{"r":{"type":"integer"}}}}"#;
    for (parameter, schemas) in [
        (r##"{"name":"f","in":"query","style":"deepObject","schema":{"$ref":"#/components/schemas/C"}}"##, color),
        (r#"{"name":"f","in":"query","schema":{"oneOf":[{"type":"integer"},{"type":"string"}]}}"#, "{}"),
        (r#"{"name":"f","in":"query","schema":{"type":"object","additionalProperties":{"type":"integer"}}}"#, "{}"),
        (r#"{"name":"f","in":"cookie","explode":false,"schema":{"type":"object"}}"#, "{}"),
        (r#"{"name":"f","in":"query","content":{"application/json":{"schema":{"type":"array","items":{}}}}}"#, "{}"),
    ] {
        let s = one_parameter(parameter, schemas);
        let files = vec![SourceFile { path: "s.json".into(), text: s }];
        let (_, ir) = d1_codegen::generate(&files, &Options::default())
            .unwrap_or_else(|e| panic!("{parameter} does not generate: {e}"));
        let unexpected: Vec<_> = ir.warnings.iter().filter(|w| w.location.pointer.contains("parameters")).collect();
        assert!(unexpected.is_empty(), "{parameter}: {unexpected:?}");
    }
    let paths = r#"{"/a/{id}":{"get":{"parameters":[{"name":"id","in":"path","required":true,"style":"label",
        "schema":{"type":"integer"}}],"responses":{"204":{"description":"ok"}}}}}"#;
    let files = vec![SourceFile { path: "s.json".into(), text: spec(paths, "{}") }];
    let (tree, _) = d1_codegen::generate(&files, &Options::default()).expect("a label scalar generates");
    let client = tree.get("d1-client/src/s.rs").expect("client module");
    assert!(client.contains("::d1_runtime::style::Style::Label"), "{client}");
}

#[test]
fn an_untyped_parameter_is_text_with_a_warning() {
    let s = one_parameter(r#"{"name":"f","in":"query","schema":{"enum":[true,0]}}"#, "{}");
    let files = vec![SourceFile { path: "s.json".into(), text: s }];
    let (tree, ir) = d1_codegen::generate(&files, &Options::default()).expect("an untyped parameter generates");
    let client = tree.get("d1-client/src/s.rs").expect("client module");
    assert!(client.contains("pub fn f(mut self, value: &str)"), "{client}");
    assert!(ir.warnings.iter().any(|w| w.message.contains("without a `type` is passed as text")), "{:?}", ir.warnings);
}
