//! Hostile and broken specs (issue 10): each is a located error — file and JSON pointer —
//! or output, never a hang, a stack overflow or a field that silently accepts anything.

use d1_codegen::emit::Options;
use d1_codegen::load::SourceFile;

fn spec(paths: &str, schemas: &str) -> String {
    format!(
        r#"{{"openapi":"3.0.0","info":{{"title":"T","version":"1"}},"paths":{paths},"components":{{"schemas":{schemas}}}}}"#
    )
}

fn files(text: &str) -> Vec<SourceFile> {
    vec![SourceFile { path: "s.json".into(), text: text.to_string() }]
}

fn run(text: &str) -> d1_codegen::Error {
    match d1_codegen::generate(&files(text), &Options::default()) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

fn assert_error(text: &str, pointer: &str, message: &str) {
    let e = run(text);
    assert_eq!(e.location.file, "s.json", "wrong file in: {e}");
    assert_eq!(e.location.pointer, pointer, "wrong pointer in: {e}");
    assert!(e.message.contains(message), "message `{}` lacks `{message}`", e.message);
}

/// A body using `schema` (a JSON schema text), so the type is reached from an operation.
fn with_body(schema: &str, schemas: &str) -> String {
    let paths = format!(
        r#"{{"/x":{{"post":{{"requestBody":{{"content":{{"application/json":{{"schema":{schema}}}}}}},"responses":{{"204":{{"description":"ok"}}}}}}}}}}"#
    );
    spec(&paths, schemas)
}

// ----- item 3: deep invalid nesting is located in linear time -----------------------------

#[test]
fn deep_invalid_nesting_is_a_located_error() {
    let n = 40;
    let mut schema = r#"{"type":"string","minLength":"x"}"#.to_string();
    for _ in 0..n {
        schema = format!(r#"{{"type":"array","items":{schema}}}"#);
    }
    let s = spec("{}", &format!(r#"{{"A":{schema}}}"#));
    let pointer = format!("/components/schemas/A{}/minLength", "/items".repeat(n));
    assert_error(&s, &pointer, "non-negative integer");
}

#[test]
fn schemas_nested_beyond_the_bound_are_refused() {
    let mut schema = r#"{"type":"string"}"#.to_string();
    for _ in 0..100 {
        schema = format!(r#"{{"type":"array","items":{schema}}}"#);
    }
    let e = run(&spec("{}", &format!(r#"{{"A":{schema}}}"#)));
    assert!(e.message.contains("nest more than"), "{e}");
    assert!(e.location.pointer.starts_with("/components/schemas/A/items/items/"), "{e}");
}

// ----- item 7: values the OpenAPI 3.0 schema forbids --------------------------------------

#[test]
fn unknown_type_is_a_located_error() {
    let s = spec("{}", r#"{"A":{"type":"object","properties":{"b":{"type":"strng"}}}}"#);
    assert_error(&s, "/components/schemas/A/properties/b/type", "unknown type `strng`");
}

#[test]
fn forbidden_keyword_values_are_located_errors() {
    for (schema, key, text) in [
        (r#"{"type":"string","minLength":-1}"#, "minLength", "non-negative integer"),
        (r#"{"type":"string","maxLength":1.5}"#, "maxLength", "non-negative integer"),
        (r#"{"type":"string","format":7}"#, "format", "a string"),
        (r#"{"type":"string","pattern":["a"]}"#, "pattern", "a string"),
        (r#"{"type":["string","null"]}"#, "type", "one of the strings"),
        (r#"{"type":"number","minimum":"1"}"#, "minimum", "a number"),
        (r#"{"type":"number","multipleOf":0}"#, "multipleOf", "greater than 0"),
        (r#"{"type":"number","exclusiveMinimum":1}"#, "exclusiveMinimum", "a boolean"),
        (r#"{"type":"object","required":"a"}"#, "required", "an array of strings"),
        (r#"{"type":"array","items":[]}"#, "items", "an object"),
        (r#"{"type":"object","additionalProperties":1}"#, "additionalProperties", "a boolean or a schema"),
        (r#"{"type":"string","nullable":"yes"}"#, "nullable", "a boolean"),
    ] {
        let s = with_body(schema, "{}");
        let e = run(&s);
        let pointer = format!("/paths/~1x/post/requestBody/content/application~1json/schema/{key}");
        assert_eq!(e.location.pointer, pointer, "{schema}: {e}");
        assert!(e.message.contains(text), "{schema}: {e}");
    }
}

#[test]
fn a_schema_must_be_an_object() {
    let s = spec("{}", r#"{"A":{"type":"object","properties":{"b":5}}}"#);
    assert_error(&s, "/components/schemas/A/properties/b", "a schema must be an object");
}

#[test]
fn pointers_are_escaped_in_messages() {
    // `/` and `~` are escaped in the pointer (RFC 6901); `#` and `%` in the fragment shown.
    let paths = r#"{"/tags/{resourceArn}#tagKeys~x%":{"get":{"parameters":[{"name":"a","in":"query","schema":{"type":"strng"}}],"responses":{"204":{"description":"ok"}}}}}"#;
    let e = run(&spec(paths, "{}"));
    assert_eq!(e.location.pointer, "/paths/~1tags~1{resourceArn}#tagKeys~0x%/get/parameters/0/schema/type");
    let shown = e.to_string();
    assert!(
        shown.starts_with("s.json#/paths/~1tags~1{resourceArn}%23tagKeys~0x%25/get/parameters/0/schema/type: "),
        "{shown}"
    );
    assert_eq!(shown.matches('#').count(), 1, "{shown}");
}

#[test]
fn control_characters_in_keys_do_not_reach_messages_raw() {
    let s = spec("{}", r#"{"A\nB":{"type":"strng"}}"#);
    let e = run(&s);
    assert!(!e.to_string().contains('\n'), "{e}");
    assert!(e.to_string().contains("A%0AB"), "{e}");
}

// ----- item 2: cycles that name no object -------------------------------------------------

const ALL_OF_CYCLE: &str =
    r##"{"A":{"allOf":[{"$ref":"#/components/schemas/B"}]},"B":{"allOf":[{"$ref":"#/components/schemas/A"}]}}"##;

#[test]
fn all_of_cycle_unused_is_a_located_error() {
    let e = run(&spec("{}", ALL_OF_CYCLE));
    assert_eq!(e.location.pointer, "/components/schemas/A", "{e}");
    assert!(e.message.contains("A → B → A") || e.message.contains("B → A → B"), "{e}");
}

#[test]
fn all_of_cycle_from_a_request_body_is_a_located_error() {
    let e = run(&with_body(r##"{"$ref":"#/components/schemas/A"}"##, ALL_OF_CYCLE));
    assert_eq!(e.location.pointer, "/components/schemas/A", "{e}");
    assert!(e.message.contains("no Rust type can represent"), "{e}");
}

#[test]
fn all_of_cycle_under_items_is_a_located_error() {
    let e = run(&with_body(r##"{"type":"array","items":{"$ref":"#/components/schemas/A"}}"##, ALL_OF_CYCLE));
    assert_eq!(e.location.pointer, "/components/schemas/A", "{e}");
}

#[test]
fn one_of_and_items_cycles_are_located_errors() {
    for schemas in [
        r##"{"A":{"oneOf":[{"$ref":"#/components/schemas/A"}]}}"##,
        r##"{"A":{"type":"array","items":{"$ref":"#/components/schemas/A"}}}"##,
        r##"{"A":{"anyOf":[{"$ref":"#/components/schemas/B"}]},"B":{"type":"object","additionalProperties":{"$ref":"#/components/schemas/A"}}}"##,
    ] {
        let e = run(&with_body(r##"{"$ref":"#/components/schemas/A"}"##, schemas));
        assert!(e.location.pointer.starts_with("/components/schemas/"), "{schemas}: {e}");
        assert!(e.message.contains("no Rust type can represent"), "{schemas}: {e}");
    }
}

#[test]
fn cycles_through_objects_are_boxed() {
    let schemas = r##"{"A":{"allOf":[{"$ref":"#/components/schemas/B"}]},"B":{"type":"object","properties":{"a":{"$ref":"#/components/schemas/A"},"list":{"type":"array","items":{"$ref":"#/components/schemas/A"}}}}}"##;
    let (tree, _) = d1_codegen::generate(
        &files(&with_body(r##"{"$ref":"#/components/schemas/A"}"##, schemas)),
        &Options::default(),
    )
    .expect("a cycle through a struct field is representable");
    let module = tree.get("d1-types/src/s.rs").expect("module");
    assert!(module.contains("::std::boxed::Box<"), "{module}");
}

#[test]
fn long_ref_chains_are_a_located_error_not_a_stack_overflow() {
    let n = 5000;
    let schemas: Vec<String> = (0..n)
        .map(|i| format!(r##""S{i}":{{"type":"array","items":{{"$ref":"#/components/schemas/S{}"}}}}"##, i + 1))
        .chain([format!(r#""S{n}":{{"type":"string"}}"#)])
        .collect();
    let e = run(&spec("{}", &format!("{{{}}}", schemas.join(","))));
    assert!(e.message.contains("nest more than"), "{e}");
    assert!(e.location.pointer.starts_with("/components/schemas/S"), "{e}");
}

#[test]
fn all_of_diamonds_are_bounded() {
    // Each level merges the next one twice: 2^30 schemas if expanded naively.
    let n = 30;
    let schemas: Vec<String> = (0..n)
        .map(|i| {
            let next = format!(r##"{{"$ref":"#/components/schemas/D{}"}}"##, i + 1);
            format!(r#""D{i}":{{"allOf":[{next},{next}]}}"#)
        })
        .chain([format!(r#""D{n}":{{"type":"object","properties":{{"x":{{"type":"string"}}}}}}"#)])
        .collect();
    let e = run(&spec("{}", &format!("{{{}}}", schemas.join(","))));
    assert!(e.message.contains("merges more than"), "{e}");
}

// ----- item 5: validators run in linear time -----------------------------------------------

#[test]
fn patterns_needing_a_backtracking_engine_are_located_errors() {
    // A backreference to a group of unboundedly many strings, an inline flag group, and an
    // automaton past even the NFA's cap.
    for pattern in [r"^(a+)\\1$", r"^(?i:a)$", r"^(?:a{1,200}){101}$"] {
        let s = spec(
            "{}",
            &format!(r#"{{"A":{{"type":"object","properties":{{"b":{{"type":"string","pattern":"{pattern}"}}}}}}}}"#),
        );
        let e = run(&s);
        assert_eq!(e.location.pointer, "/components/schemas/A/properties/b/pattern", "{pattern}: {e}");
        assert!(e.message.contains("backtracking"), "{pattern}: {e}");
        assert!(e.message.contains("allow_backtracking_patterns"), "{pattern}: {e}");
    }
}

#[test]
fn backtracking_patterns_are_accepted_on_opt_in() {
    let s = spec("{}", r#"{"A":{"type":"string","pattern":"^(a+)\\1$"}}"#);
    let options = Options { allow_backtracking_patterns: true, ..Options::default() };
    let (tree, _) = d1_codegen::generate(&files(&s), &options).expect("allowed");
    assert!(tree.get("d1-types/src/s.rs").expect("module").contains("::regress::Regex"));
}

#[test]
fn patterns_that_used_to_fall_back_to_the_engine_compile_to_automata() {
    // A 50-arm automaton (was: regress, which answers this pattern wrongly) and the issue's
    // 26-character / 17 GB pattern.
    for pattern in [
        r"([^]é(.{0,3}cZ{1,}?){1}){2}",
        r"^\\${2,4}(?:(?:1{3,}\\u{1F600}{0,3}Z{2,4}|\\n{0}){0,3}[^]{0,3}|Z+?[^\\s][^\\d\\s]){2}0{0,3}$",
        // Lookaheads, anchors inside alternatives, Annex B identity escapes, properties.
        r"^(?!test)[a-z]+$",
        r"^[a-z](?!.*--)[a-z-]*$",
        r"^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$",
        r"^[a-z]+$|^[0-9]{2}$",
        r"\\+[0-9]{1,3}\\-[0-9()+\\-]{1,30}",
        // Word boundaries, and what only Annex B reads (a letter escape, octal, a lone `}`).
        r"\\bword\\b",
        r"^\\$\\{[a-z]+}\\q[^\\000-\\037]$",
        // Simulated as an NFA by d1-runtime: a lookbehind, `\b` with a lookahead, a nested
        // lookahead, an automaton too large to determinise; and expanded backreferences.
        r"^[a-z]+(?<!test)$",
        r"(?=w)\\bword\\b",
        r"(?=a(?!b))",
        r"^(?:.{1,1020}\\.jpg)$",
        r"^(?!.*?(.)\\1{3})[-_!@#$a-zA-Z0-9]*$",
        r"^\\d{4}([-/]?)\\d{2}\\1\\d{2}$",
    ] {
        let s = spec("{}", &format!(r#"{{"A":{{"type":"string","pattern":"{pattern}"}}}}"#));
        let (tree, _) =
            d1_codegen::generate(&files(&s), &Options::default()).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        let module = tree.get("d1-types/src/s.rs").expect("module");
        assert!(!module.contains("regress"), "{pattern}");
    }
}

// ----- names that collide only once converted ---------------------------------------------

#[test]
fn operations_whose_names_share_a_camel_case_form_get_distinct_types() {
    // `getA1` and `get_a_1` are distinct method names but both read `GetA1` in UpperCamelCase.
    let op = |id: &str| format!(r#"{{"operationId":"{id}","responses":{{"204":{{"description":"ok"}}}}}}"#);
    let paths = format!(r#"{{"/a":{{"get":{}}},"/b":{{"get":{}}}}}"#, op("getA1"), op("get_a_1"));
    let (tree, ir) = d1_codegen::generate(&files(&spec(&paths, "{}")), &Options::default()).expect("generates");
    let stems: Vec<&str> = ir.apis[0].operations.iter().map(|o| o.type_stem.as_str()).collect();
    assert_eq!(stems, ["GetA1", "GetA1_2"]);
    let client = tree.get("d1-client/src/s.rs").expect("client module");
    let server = tree.get("d1-server/src/s.rs").expect("server module");
    for name in ["pub struct GetA1Builder", "pub struct GetA1_2Builder", "pub enum GetA1_2Error"] {
        assert!(client.contains(name), "no `{name}` in the client");
    }
    for name in ["pub struct GetA1Request", "pub struct GetA1_2Request", "pub enum GetA1_2Response"] {
        assert!(server.contains(name), "no `{name}` in the server");
    }
}

#[test]
fn a_request_body_without_media_types_is_no_body_and_a_warning() {
    let paths = r#"{"/x":{"post":{"requestBody":{"content":{}},"responses":{"204":{"description":"ok"}}}}}"#;
    let (_, ir) = d1_codegen::generate(&files(&spec(paths, "{}")), &Options::default()).expect("generates");
    assert!(ir.apis[0].operations[0].body.is_none());
    let warning = ir.warnings.iter().find(|w| w.location.pointer == "/paths/~1x/post/requestBody/content");
    assert!(warning.is_some_and(|w| w.message.contains("lists no media type")), "{:?}", ir.warnings);
}

#[test]
fn an_array_whose_only_rule_is_min_items_zero_is_a_plain_vec() {
    // A newtype with nothing to check would have an empty check (an unused-variable warning).
    let schemas =
        r#"{"A":{"type":"object","properties":{"xs":{"type":"array","minItems":0,"items":{"type":"string"}}}}}"#;
    let (tree, ir) = d1_codegen::generate(&files(&spec("{}", schemas)), &Options::default()).expect("generates");
    assert!(!ir.types.iter().any(|t| matches!(t.kind, d1_codegen::ir::TypeKind::Newtype(_))), "{:?}", ir.types);
    let types = tree.get("d1-types/src/s.rs").expect("types module");
    assert!(types.contains("pub xs: ::std::option::Option<::std::vec::Vec<::std::string::String>>"), "{types}");
}

#[test]
fn a_brace_that_is_not_a_quantifier_is_plain_text_and_a_warning() {
    // `{1-70}` is not a quantifier: ECMA-262 without `u` reads it as text, and so do we, loudly.
    let schemas =
        r#"{"Name":{"type":"string","pattern":"^[a-zA-Z]{1-70}$"},"Ok":{"type":"string","pattern":"^[a-z]{1,70}$"}}"#;
    let (_, ir) = d1_codegen::generate(&files(&spec("{}", schemas)), &Options::default()).expect("generates");
    let braces: Vec<&str> = ir
        .warnings
        .iter()
        .filter(|w| w.message.contains("does not start a valid quantifier"))
        .map(|w| w.location.pointer.as_str())
        .collect();
    assert_eq!(braces, ["/components/schemas/Name/pattern"], "{:?}", ir.warnings);
    assert!(ir.warnings.iter().any(|w| w.message.contains("the `{` at character 9")), "{:?}", ir.warnings);
}

#[test]
fn refs_into_paths_and_schema_members_generate_and_errors_name_the_original_place() {
    let paths = r##"{
        "/a/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "maxLength": 4}}],
                            "responses": {"204": {"description": "ok"}}}},
        "/b/{id}": {"get": {"parameters": [{"$ref": "#/paths/~1a~1%7Bid%7D/get/parameters/0"}],
                            "responses": {"default": {"$ref": "#/paths/~1a~1{id}/get/responses/204"}}}}}"##;
    let schemas = r##"{"Pet": {"type": "object", "properties": {"tag": {"type": "string", "pattern": "^[a-z]+$"}}},
                      "Tagged": {"type": "object", "properties": {"tag": {"$ref": "#/components/schemas/Pet/properties/tag"}}}}"##;
    let (_, ir) = d1_codegen::generate(&files(&spec(paths, schemas)), &Options::default()).expect("generates");
    let b = ir.apis[0].operations.iter().find(|o| o.path == "/b/{id}").expect("operation b");
    assert_eq!(b.params[0].name, "id");
    // An invalid pattern in a copied target is reported where it is written, not at the copy.
    let broken = schemas.replace("^[a-z]+$", "[");
    assert_error(&spec(paths, &broken), "/components/schemas/Pet/properties/tag/pattern", "invalid pattern");
}

#[test]
fn a_path_item_by_ref_is_served_at_both_paths_and_bad_ones_are_located() {
    let paths = r##"{
        "/a": {"get": {"operationId": "getA", "responses": {"204": {"description": "ok"}}}},
        "/b": {"$ref": "#/paths/~1a"},
        "/c": {"$ref": "#/paths/~1b"}}"##;
    let (_, ir) = d1_codegen::generate(&files(&spec(paths, "{}")), &Options::default()).expect("generates");
    let mut served: Vec<(&str, &str)> =
        ir.apis[0].operations.iter().map(|o| (o.path.as_str(), o.name.as_str())).collect();
    served.sort();
    // One `operationId` at three paths: the names fall back to the paths.
    assert_eq!(served, [("/a", "get_a"), ("/b", "get_b"), ("/c", "get_c")]);
    // An error inside the shared item names where it is written.
    let broken = paths.replace(r#""responses": {"204""#, r#""parameters": [{"name": "q", "in": "query", "schema": {"type": "string", "pattern": "["}}], "responses": {"204""#);
    assert_error(&spec(&broken, "{}"), "/paths/~1a/get/parameters/0/schema/pattern", "invalid pattern");
    let elsewhere = r##"{"/b": {"$ref": "#/components/schemas/X"}}"##;
    assert_error(&spec(elsewhere, "{}"), "/paths/~1b/$ref", "not an entry of this document's `paths`");
    let cycle = r##"{"/a": {"$ref": "#/paths/~1b"}, "/b": {"$ref": "#/paths/~1a"}}"##;
    let e = run(&spec(cycle, "{}"));
    assert!(e.message.contains("cycle"), "{e}");
}

#[test]
fn callbacks_are_left_out_with_a_warning_even_by_ref() {
    let paths = r##"{"/a": {"post": {"responses": {"204": {"description": "ok"}},
        "callbacks": {"done": {"$ref": "#/components/callbacks/Done"}}}}}"##;
    let text = spec(paths, "{}").replace(
        r#""components":{"#,
        r#""components":{"callbacks":{"Done":{"{$request.body#/url}":{"post":{"responses":{"200":{"description":"ok"}}}}}},"#,
    );
    let (_, ir) = d1_codegen::generate(&files(&text), &Options::default()).expect("generates");
    let warning = ir.warnings.iter().find(|w| w.message.contains("callbacks are not generated")).expect("a warning");
    assert_eq!(warning.location.pointer, "/paths/~1a/post/callbacks");
    assert!(warning.message.contains("`done`"), "{warning}");
}

#[test]
fn a_ref_into_another_components_section_is_read_as_its_place_calls_for_with_a_warning() {
    // rumble.run: a response object where a schema belongs.
    let paths = r##"{"/a": {"get": {"responses": {"200": {"description": "ok",
        "content": {"application/json": {"schema": {"$ref": "#/components/responses/Status"}}}}}}}}"##;
    let text = spec(paths, "{}")
        .replace(r#""components":{"#, r#""components":{"responses":{"Status":{"description":"A summary."}},"#);
    let (_, ir) = d1_codegen::generate(&files(&text), &Options::default()).expect("generates");
    let warning =
        ir.warnings.iter().find(|w| w.message.contains("points into `components/responses`")).expect("a warning");
    assert_eq!(warning.location.pointer, "/paths/~1a/get/responses/200/content/application~1json/schema/$ref");
}
