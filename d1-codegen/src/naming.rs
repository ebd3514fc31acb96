//! All naming in one place: Rust identifiers from spec names (cases, keyword escaping),
//! operation names from summaries and paths, parameter names that stay clear of what generated
//! code uses around them, status variants and client accessors (the same on every side, from one
//! spec alone), and deterministic collision handling.

use std::collections::{BTreeMap, BTreeSet};

/// Words that cannot be identifiers; we append `_` rather than use raw identifiers so that
/// every name also works as a `self`/`super`-free path segment.
fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "try"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
    )
}

/// Names an API module must not take: what the generated crates' roots define beside the API
/// modules (the types crate's `common`, `validation`, `jwe`; the client's re-exported `types`,
/// `auth`, `error`, `oauth2`, `retry`, `new_correlation_id`; the server's `axum`, `finish`,
/// `not_found`), and `lib`, `main`, `mod`, which would clash with crate-root file names. A test
/// reads the roots of the generated crates and fails on a name missing here.
pub const RESERVED_MODULES: &[&str] = &[
    "common",
    "validation",
    "jwe",
    "types",
    "auth",
    "error",
    "oauth2",
    "retry",
    "new_correlation_id",
    "axum",
    "finish",
    "not_found",
    "lib",
    "main",
    "mod",
];

fn escape(ident: String, fallback: &str) -> String {
    let ident = if ident.is_empty() { fallback.to_string() } else { ident };
    let ident = if ident.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{}{ident}", fallback_prefix(fallback))
    } else {
        ident
    };
    if is_keyword(&ident) {
        format!("{ident}_")
    } else {
        ident
    }
}

fn fallback_prefix(fallback: &str) -> &'static str {
    if fallback.starts_with(|c: char| c.is_ascii_uppercase()) {
        "V"
    } else {
        "v"
    }
}

/// Calls `word` with each word of `raw`, in order. Runs of ASCII letters and digits are split
/// where `heck` splits them (`parentCardID` → `parent`, `Card`, `ID`; `HTTPServer` → `HTTP`,
/// `Server`); every other character only separates words, so no identifier gets a character
/// from outside `[A-Za-z0-9_]`. Done by hand rather than through `heck` (which formats each
/// character): names are made for every property and parameter of a spec.
fn each_word(raw: &str, mut word: impl FnMut(&str)) {
    #[derive(Clone, Copy, PartialEq)]
    enum Case {
        None,
        Lower,
        Upper,
    }
    for run in raw.split(|c: char| !c.is_ascii_alphanumeric()) {
        let bytes = run.as_bytes();
        let (mut start, mut case) = (0, Case::None);
        for i in 0..bytes.len() {
            let (c, Some(&next)) = (bytes[i], bytes.get(i + 1)) else {
                word(&run[start..]);
                break;
            };
            let case_with_c = match c {
                b'a'..=b'z' => Case::Lower,
                b'A'..=b'Z' => Case::Upper,
                _ => case,
            };
            if case_with_c == Case::Lower && next.is_ascii_uppercase() {
                // `cardId`: a word ends after a lowercase letter followed by an uppercase one.
                word(&run[start..=i]);
                (start, case) = (i + 1, Case::None);
            } else if case == Case::Upper && c.is_ascii_uppercase() && next.is_ascii_lowercase() {
                // `HTTPServer`: the last of a run of capitals starts the next word.
                word(&run[start..i]);
                (start, case) = (i, Case::None);
            } else {
                case = case_with_c;
            }
        }
    }
}

/// `x-correlation-id` → `x_correlation_id` (words lowercased, joined by `_`).
pub fn snake_case(raw: &str) -> String {
    joined(raw, "_", |w, out| {
        let start = out.len();
        out.push_str(w);
        out[start..].make_ascii_lowercase();
    })
}

/// `x-correlation-id` → `X_CORRELATION_ID` (words uppercased, joined by `_`).
pub fn shouty_snake_case(raw: &str) -> String {
    joined(raw, "_", |w, out| {
        let start = out.len();
        out.push_str(w);
        out[start..].make_ascii_uppercase();
    })
}

/// `x-correlation-id` → `XCorrelationId` (words capitalized, joined).
pub fn upper_camel_case(raw: &str) -> String {
    joined(raw, "", |w, out| {
        let start = out.len();
        out.push_str(w);
        out[start..].make_ascii_lowercase();
        if let Some(first) = out.get_mut(start..start + 1) {
            first.make_ascii_uppercase();
        }
    })
}

fn joined(raw: &str, separator: &str, mut push: impl FnMut(&str, &mut String)) -> String {
    let mut out = String::with_capacity(raw.len() + 4);
    each_word(raw, |w| {
        if !out.is_empty() {
            out.push_str(separator);
        }
        push(w, &mut out);
    });
    out
}

/// `cardRequestThales` → `CardRequestThales`, `x-correlation-id` → `XCorrelationId`.
pub fn type_name(raw: &str) -> String {
    escape(upper_camel_case(raw), "Type")
}

/// The name of a type inside `parent`: `Links` + `Self_` → `LinksSelf` (a keyword's escape is
/// only needed when the keyword stands alone).
pub fn qualified_type_name(parent: &str, short: &str) -> String {
    escape(format!("{}{}", parent.trim_end_matches('_'), short.trim_end_matches('_')), "Type")
}

/// `parentCardId` → `parent_card_id`, `type` → `type_`.
pub fn field_ident(raw: &str) -> String {
    escape(snake_case(raw), "field")
}

/// `USER_DECISION` → `UserDecision`.
pub fn variant_ident(raw: &str) -> String {
    escape(upper_camel_case(raw), "Value")
}

/// `Production server` → `PRODUCTION`.
pub fn const_name(raw: &str) -> String {
    let name = shouty_snake_case(raw);
    let name = name.strip_suffix("_SERVER").unwrap_or(&name).to_string();
    escape(name, "SERVER")
}

/// The server trait of an API module: `in_v1_card` → `InV1CardApi`.
pub fn server_trait(module: &str) -> String {
    format!("{}Api", upper_camel_case(module))
}

/// A per-operation type: `Suspend` (the operation's type stem) + `Request` → `SuspendRequest`
/// (client errors and builders, server requests and responses).
pub fn operation_type(stem: &str, suffix: &str) -> String {
    format!("{stem}{suffix}")
}

/// Names the generated code around an operation's inputs already uses: members of the server's
/// request struct (`body`, `bearer_token`), the argument of its extract function (`inputs`), the
/// client's local `call`, and the methods every client call builder has. An input whose name is
/// one of these gets `_param` appended, on both sides alike.
const RESERVED_INPUT_NAMES: &[&str] =
    &["body", "bearer_token", "inputs", "call", "client", "header", "timeout", "retry", "send", "into_future"];

/// The Rust name of a parameter (`x-correlation-id` → `correlation_id`), the same in the
/// client's arguments and setters and the server's request struct.
pub fn param_ident(name: &str, is_header: bool) -> String {
    let lower = name.to_ascii_lowercase();
    let base = if is_header { lower.strip_prefix("x-").map(|_| &name[2..]).unwrap_or(name) } else { name };
    let ident = field_ident(base);
    if RESERVED_INPUT_NAMES.contains(&ident.as_str()) {
        format!("{ident}_param")
    } else {
        ident
    }
}

/// The type-name stem of a parameter (`x-correlation-id` → `CorrelationId`).
pub fn param_type_name(name: &str, is_header: bool) -> String {
    let lower = name.to_ascii_lowercase();
    let base = if is_header && lower.starts_with("x-") { &name[2..] } else { name };
    type_name(base)
}

/// The method name of an operation: its `operationId`, else its summary, else the last
/// custom method or path words (`/cards/{id}/operations:suspend` → `suspend`).
pub fn operation_name(operation_id: Option<&str>, summary: Option<&str>, method: &str, path: &str) -> String {
    if let Some(id) = operation_id.filter(|s| s.chars().any(|c| c.is_ascii_alphanumeric())) {
        return field_ident(id);
    }
    if let Some(summary) = summary.filter(|s| s.chars().any(|c| c.is_ascii_alphanumeric())) {
        return field_ident(summary);
    }
    path_operation_name(method, path)
}

/// Whether clippy flags an operation method of this name: a `&self` method returning a builder
/// (on the client's `Api`, a `Copy` struct) or an answer (in the server trait). That is
/// `new_ret_no_self` for `new`; `wrong_self_convention` for `from_*`, `into_*`, `to_*` (on a
/// `Copy` type) and `as_*_mut` (`as_*` and `is_*` may take `&self`); `should_implement_trait`
/// for the names of standard traits' `&self` methods.
fn clippy_flags_method(name: &str) -> bool {
    const TRAIT_METHODS: &[&str] = &["as_ref", "borrow", "clone", "cmp", "deref", "eq", "hash", "index", "partial_cmp"];
    name == "new"
        || TRAIT_METHODS.contains(&name)
        || ["from_", "into_", "to_"].iter().any(|prefix| name.starts_with(prefix))
        || (name.starts_with("as_") && name.ends_with("_mut"))
}

/// The method name of an operation within its API: its own [`operation_name`], else, when
/// another operation shares it (`shared`) or clippy flags it, the path-derived name, prefixed
/// with the HTTP method if clippy flags that too (`/things:new` → `post_new`).
pub fn operation_method_name(name: &str, shared: bool, method: &str, path: &str) -> String {
    if !shared && !clippy_flags_method(name) {
        return name.to_string();
    }
    let derived = path_operation_name(method, path);
    if clippy_flags_method(&derived) {
        field_ident(&format!("{} {derived}", method.to_ascii_lowercase()))
    } else {
        derived
    }
}

/// A name from the method and path alone, used when two operations would share a name.
fn path_operation_name(method: &str, path: &str) -> String {
    if let Some((_, custom)) = path.rsplit_once(':')
        && !custom.contains('/')
        && !custom.contains('}')
    {
        return field_ident(custom);
    }
    let literal: Vec<&str> = path.split('/').filter(|s| !s.is_empty() && !s.starts_with('{')).collect();
    let tail = literal.iter().rev().take(2).rev().cloned().collect::<Vec<_>>().join(" ");
    field_ident(&format!("{} {tail}", method.to_ascii_lowercase()))
}

/// Module name of a spec, from its file stem alone (never from the other files of the set, so
/// adding or removing a spec renames nothing else): the first of `prefixes` the stem starts with
/// is dropped (`D1-Public-IN-v1-Card` → `IN-v1-Card`), the rest is snake_cased (`in_v1_card`),
/// keywords and the types crate's own module names get a suffix.
pub fn module_name(stem: &str, prefixes: &[String]) -> String {
    let rest = prefixes.iter().find_map(|p| stem.strip_prefix(p.as_str()).filter(|r| !r.is_empty())).unwrap_or(stem);
    let base = escape(snake_case(rest), "api");
    if RESERVED_MODULES.contains(&base.as_str()) {
        format!("{base}_api")
    } else {
        base
    }
}

/// Methods of the generated `Client` itself, which an accessor must not shadow.
const CLIENT_METHODS: &[&str] = &["builder", "new", "base_url", "clone", "core", "http_client", "from_core"];

/// The `Client` method that reaches an API: its module name, with `_api` appended when that is
/// a method of `Client` itself. A function of the module alone (module names are unique), so
/// adding or removing a spec renames no accessor — unlike a short name that drops the direction
/// and version, which a new version of the same API would make ambiguous.
pub fn client_accessor(module: &str) -> String {
    if CLIENT_METHODS.contains(&module) {
        format!("{module}_api")
    } else {
        module.to_string()
    }
}

/// The statuses `http::StatusCode` names, with the name of its constant: generated code writes
/// `StatusCode::NOT_FOUND`, and the variant for a status is the constant in UpperCamelCase.
const STATUS_CONSTANTS: &[(u16, &str)] = &[
    (100, "CONTINUE"),
    (101, "SWITCHING_PROTOCOLS"),
    (102, "PROCESSING"),
    (103, "EARLY_HINTS"),
    (200, "OK"),
    (201, "CREATED"),
    (202, "ACCEPTED"),
    (203, "NON_AUTHORITATIVE_INFORMATION"),
    (204, "NO_CONTENT"),
    (205, "RESET_CONTENT"),
    (206, "PARTIAL_CONTENT"),
    (207, "MULTI_STATUS"),
    (208, "ALREADY_REPORTED"),
    (226, "IM_USED"),
    (300, "MULTIPLE_CHOICES"),
    (301, "MOVED_PERMANENTLY"),
    (302, "FOUND"),
    (303, "SEE_OTHER"),
    (304, "NOT_MODIFIED"),
    (305, "USE_PROXY"),
    (307, "TEMPORARY_REDIRECT"),
    (308, "PERMANENT_REDIRECT"),
    (400, "BAD_REQUEST"),
    (401, "UNAUTHORIZED"),
    (402, "PAYMENT_REQUIRED"),
    (403, "FORBIDDEN"),
    (404, "NOT_FOUND"),
    (405, "METHOD_NOT_ALLOWED"),
    (406, "NOT_ACCEPTABLE"),
    (407, "PROXY_AUTHENTICATION_REQUIRED"),
    (408, "REQUEST_TIMEOUT"),
    (409, "CONFLICT"),
    (410, "GONE"),
    (411, "LENGTH_REQUIRED"),
    (412, "PRECONDITION_FAILED"),
    (413, "PAYLOAD_TOO_LARGE"),
    (414, "URI_TOO_LONG"),
    (415, "UNSUPPORTED_MEDIA_TYPE"),
    (416, "RANGE_NOT_SATISFIABLE"),
    (417, "EXPECTATION_FAILED"),
    (418, "IM_A_TEAPOT"),
    (421, "MISDIRECTED_REQUEST"),
    (422, "UNPROCESSABLE_ENTITY"),
    (423, "LOCKED"),
    (424, "FAILED_DEPENDENCY"),
    (425, "TOO_EARLY"),
    (426, "UPGRADE_REQUIRED"),
    (428, "PRECONDITION_REQUIRED"),
    (429, "TOO_MANY_REQUESTS"),
    (431, "REQUEST_HEADER_FIELDS_TOO_LARGE"),
    (451, "UNAVAILABLE_FOR_LEGAL_REASONS"),
    (500, "INTERNAL_SERVER_ERROR"),
    (501, "NOT_IMPLEMENTED"),
    (502, "BAD_GATEWAY"),
    (503, "SERVICE_UNAVAILABLE"),
    (504, "GATEWAY_TIMEOUT"),
    (505, "HTTP_VERSION_NOT_SUPPORTED"),
    (506, "VARIANT_ALSO_NEGOTIATES"),
    (507, "INSUFFICIENT_STORAGE"),
    (508, "LOOP_DETECTED"),
    (510, "NOT_EXTENDED"),
    (511, "NETWORK_AUTHENTICATION_REQUIRED"),
];

/// The `http::StatusCode` constant for a status code, when there is one.
pub fn status_constant(code: u16) -> Option<&'static str> {
    STATUS_CONSTANTS.iter().find(|(c, _)| *c == code).map(|(_, name)| *name)
}

/// The variant that stands for a status in the per-operation enums, on the client and the
/// server alike: `404` → `NotFound`, `299` → `Status299`, `2XX` → `Success`, `default` → `Other`.
pub fn status_variant(status: Status) -> String {
    match status {
        Status::Code(code) => match status_constant(code) {
            Some(constant) => upper_camel_case(constant),
            None => format!("Status{code}"),
        },
        Status::Range(1) => "Informational".to_string(),
        Status::Range(2) => "Success".to_string(),
        Status::Range(3) => "Redirection".to_string(),
        Status::Range(4) => "ClientError".to_string(),
        Status::Range(5) => "ServerError".to_string(),
        Status::Range(n) => format!("Status{n}XX"),
        Status::Default => "Other".to_string(),
    }
}

/// The constructor of a struct that has required members: `Shipment::new(delivery_address)`.
pub const CONSTRUCTOR: &str = "new";

/// The setters of a struct's optional members, in field order, from their idents: `card_id` →
/// `with_card_id`, `type_` → `with_type`. Unique within the struct and never the constructor.
pub fn setters<'a>(idents: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = Names::from_iter([CONSTRUCTOR.to_string()]);
    idents.into_iter().map(|i| taken.unique(format!("with_{}", i.trim_end_matches('_')))).collect()
}

/// The member holding a struct's additional properties, from its fields' idents:
/// `additional_properties`, or `additional_properties2` when a field has that name already.
pub fn additional_member<'a>(idents: impl IntoIterator<Item = &'a str>) -> String {
    let mut taken: Names = idents.into_iter().map(str::to_string).collect();
    taken.unique("additional_properties".to_string())
}

/// The names taken in one scope (a module's types, a struct's fields, an enum's variants…);
/// [`Names::unique`] takes the next one.
#[derive(Clone, Debug, Default)]
pub struct Names {
    taken: BTreeSet<String>,
    /// Per numbered stem, the number to try first: every lower one is taken already, so
    /// thousands of clashes on one name (Microsoft Graph's `Value`) stay linear.
    next: BTreeMap<String, usize>,
}

impl Names {
    /// `base`, or `base2`, `base3`, … whichever is not taken yet; takes the result.
    pub fn unique(&mut self, base: String) -> String {
        if self.taken.insert(base.clone()) {
            return base;
        }
        // `type_` → `type2`, `Self_` → `Self2`: an escape's `_` is not needed once a number follows.
        let stem = match base.trim_end_matches('_') {
            "" => base.as_str(),
            stem => stem,
        };
        let sep = if stem.ends_with(|c: char| c.is_ascii_digit()) { "_" } else { "" };
        let next = self.next.entry(stem.to_string()).or_insert(2);
        loop {
            let candidate = format!("{stem}{sep}{next}");
            *next += 1;
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }
}

impl FromIterator<String> for Names {
    fn from_iter<I: IntoIterator<Item = String>>(names: I) -> Self {
        Names { taken: names.into_iter().collect(), next: BTreeMap::new() }
    }
}

// ----- the naming stage -------------------------------------------------------------------

use crate::ir::{Ir, Module, Status, TypeDef, TypeId, TypeKind, TypeRef};
use crate::lower::{Hint, Lowered};

/// Give every type its final name: identical types (same candidate name, same structure) in
/// one module are merged, and an API's type identical to a declared shared one becomes that
/// `common` type, re-exported; remaining clashes fall back to parent-qualified names, then to
/// numbered ones, in a fixed order. Nothing here looks at which other specs are present, so each
/// API module depends on its own spec and the shared types only.
pub fn finalize(lowered: Lowered) -> Ir {
    let Lowered { mut ir, hints } = lowered;
    let n = ir.types.len();
    // 1. Hash-consing to a fixpoint: canon[i] is the representative of type i.
    let mut canon: Vec<usize> = (0..n).collect();
    let order = {
        // Representatives: shared types first, then components, then by location, so the choice
        // never depends on input order.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| (ir.types[i].module != Module::Common, !hints[i].component, &ir.types[i].location));
        order
    };
    loop {
        // Each structure seen with a (fingerprint, candidate name), and the representative of
        // that (name, structure) in each module that has one.
        type Seen<'m> = Vec<(TypeKind, BTreeMap<&'m Module, usize>)>;
        let mut by_key: BTreeMap<(u64, &str), Seen> = BTreeMap::new();
        let mut changed = false;
        for &i in &order {
            if canon[i] != i {
                continue;
            }
            let module = &ir.types[i].module;
            let shape = structural_key(&ir.types[i].kind, &canon);
            let print = fingerprint(&shape);
            // A shared type is found by either of the type's candidate names.
            let shared = [&hints[i].short, &hints[i].qualified].into_iter().find_map(|name| {
                let (_, reps) = by_key.get(&(print, name.as_str()))?.iter().find(|(seen, _)| *seen == shape)?;
                reps.get(&Module::Common).copied()
            });
            let shapes = by_key.entry((print, hints[i].short.as_str())).or_default();
            let k = match shapes.iter().position(|(seen, _)| *seen == shape) {
                Some(k) => k,
                None => {
                    shapes.push((shape, BTreeMap::new()));
                    shapes.len() - 1
                }
            };
            let reps = &mut shapes[k].1;
            match shared.or_else(|| reps.get(module).copied()) {
                Some(rep) => {
                    canon[i] = rep;
                    changed = true;
                }
                None => {
                    reps.insert(module, i);
                }
            }
        }
        // Path compression.
        for i in 0..n {
            let mut r = canon[i];
            while canon[r] != r {
                r = canon[r];
            }
            canon[i] = r;
        }
        if !changed {
            break;
        }
    }
    // 2. The API modules that use each shared type.
    let mut modules_of: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for (i, def) in ir.types.iter().enumerate() {
        if let Module::Api(m) = &def.module
            && ir.types[canon[i]].module == Module::Common
        {
            modules_of.entry(canon[i]).or_default().insert(m.clone());
        }
    }
    let reps: Vec<usize> = order.iter().copied().filter(|&i| canon[i] == i).collect();
    // 3. Names: `common` first, then each API module around the names it re-exports.
    let mut final_name: BTreeMap<usize, String> = BTreeMap::new();
    let final_module: BTreeMap<usize, Module> = reps.iter().map(|&r| (r, ir.types[r].module.clone())).collect();
    let common: Vec<usize> = reps.iter().copied().filter(|r| final_module[r] == Module::Common).collect();
    name_group(common.clone(), &hints, &ir.types, &mut Names::default(), &mut final_name);
    let api_modules: BTreeSet<String> = ir.apis.iter().map(|a| a.module.clone()).collect();
    for m in &api_modules {
        let module = Module::Api(m.clone());
        let mut taken: Names = common
            .iter()
            .filter(|r| modules_of.get(r).is_some_and(|ms| ms.contains(m)))
            .map(|r| final_name[r].clone())
            .collect();
        let local: Vec<usize> = reps.iter().copied().filter(|r| final_module[r] == module).collect();
        name_group(local, &hints, &ir.types, &mut taken, &mut final_name);
    }
    // 4. The new type table: representatives, then one re-export per (common type, module).
    let mut new_id: BTreeMap<usize, TypeId> = BTreeMap::new();
    let mut types: Vec<TypeDef> = Vec::new();
    // By module, then name (unique within a module): each key looked up once, not per comparison.
    let mut keyed: Vec<(&Module, &String, usize)> =
        reps.iter().map(|r| (&final_module[r], &final_name[r], *r)).collect();
    keyed.sort_unstable();
    let sorted_reps: Vec<usize> = keyed.into_iter().map(|(_, _, r)| r).collect();
    for &r in &sorted_reps {
        new_id.insert(r, TypeId(types.len()));
        let mut def = ir.types[r].clone();
        def.name = final_name[&r].clone();
        def.module = final_module[&r].clone();
        types.push(def);
    }
    let remap = |id: TypeId| new_id[&canon[id.0]];
    for def in &mut types {
        map_kind(&mut def.kind, &remap);
    }
    for &r in &sorted_reps {
        if final_module[&r] != Module::Common {
            continue;
        }
        for m in modules_of.get(&r).into_iter().flatten() {
            types.push(TypeDef {
                name: final_name[&r].clone(),
                module: Module::Api(m.clone()),
                doc: None,
                location: ir.types[r].location.clone(),
                kind: TypeKind::ReExport(new_id[&r]),
                check: None,
            });
        }
    }
    // 5. The server's check functions, named per module.
    let mut check_names: BTreeMap<Module, Names> = BTreeMap::new();
    for def in &mut types {
        let checked = match &def.kind {
            TypeKind::Struct(s) => !s.plaintext,
            TypeKind::OneOf(_) => true,
            _ => false,
        };
        if checked {
            let taken = check_names.entry(def.module.clone()).or_default();
            def.check = Some(taken.unique(format!("check_{}", snake_case(&def.name))));
        }
    }
    for api in &mut ir.apis {
        for op in &mut api.operations {
            for p in &mut op.params {
                map_ref(&mut p.ty, &remap);
            }
            if let Some(b) = &mut op.body {
                map_ref(&mut b.ty, &remap);
            }
            for r in &mut op.responses {
                if let Some(b) = &mut r.body {
                    map_ref(&mut b.ty, &remap);
                }
            }
        }
        let module = Module::Api(api.module.clone());
        let mut ids: Vec<TypeId> =
            types.iter().enumerate().filter(|(_, t)| t.module == module).map(|(i, _)| TypeId(i)).collect();
        ids.sort_by(|a, b| types[a.0].name.cmp(&types[b.0].name));
        api.types = ids;
    }
    ir.types = types;
    ir
}

/// Name the representatives of one module: a unique candidate keeps its short name; on a clash a
/// lone component keeps it and the others take parent-qualified names; numbers settle the rest.
fn name_group(
    members: Vec<usize>,
    hints: &[Hint],
    types: &[TypeDef],
    taken: &mut Names,
    final_name: &mut BTreeMap<usize, String>,
) {
    let mut by_short: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for r in members {
        by_short.entry(hints[r].short.clone()).or_default().push(r);
    }
    let mut names = Vec::new();
    for (short, group) in by_short {
        let components = group.iter().filter(|r| hints[**r].component).count();
        for r in group.iter().copied() {
            let keep_short = (group.len() == 1 || (components == 1 && hints[r].component)) && !taken.contains(&short);
            let base = if keep_short { short.clone() } else { hints[r].qualified.clone() };
            names.push((r, base));
        }
    }
    // Short names first so a qualified name never steals one.
    let key = |(r, base): &(usize, String)| (*base != hints[*r].short, &types[*r].location);
    names.sort_by(|a, b| key(a).cmp(&key(b)));
    for (r, base) in names {
        final_name.insert(r, taken.unique(base));
    }
}

/// What makes two types the same, apart from their names: the definition, with member docs left
/// out and references through their representatives. Compared with `==` (numeric bounds as
/// `f64`: `-0.0` and `0.0` are one bound, as they are one limit).
fn structural_key(kind: &TypeKind, canon: &[usize]) -> TypeKind {
    let mut kind = kind.clone();
    map_kind(&mut kind, &|id: TypeId| TypeId(canon[id.0]));
    if let TypeKind::Struct(s) = &mut kind {
        for f in &mut s.fields {
            f.doc = None;
        }
    }
    kind
}

/// A hash of a structure (equal structures have equal fingerprints), so that only structures
/// with the same fingerprint are compared in full: Microsoft Graph has thousands of types with
/// one candidate name (`Value`, `Item`…). All but the numeric bounds count, texts by length.
fn fingerprint(kind: &TypeKind) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    std::mem::discriminant(kind).hash(&mut h);
    match kind {
        TypeKind::Struct(s) => {
            for f in &s.fields {
                (&f.name, &f.ty, f.required, f.nullable).hash(&mut h); // member docs are left out
            }
            (&s.additional, s.deny_unknown_fields, s.plaintext).hash(&mut h);
        }
        TypeKind::StringEnum(e) => e.variants.iter().for_each(|v| v.value.hash(&mut h)),
        TypeKind::OneOf(o) => {
            o.tag.hash(&mut h);
            for v in &o.variants {
                (&v.tag_value, &v.ty, v.doc.as_ref().map(String::len)).hash(&mut h);
            }
        }
        TypeKind::Newtype(n) => {
            let c = &n.constraints;
            (&c.pattern, c.min_length, c.max_length, c.min_items, c.max_items, c.unique_items, c.luhn).hash(&mut h);
            (n.sensitive, n.plaintext, n.reveal_last).hash(&mut h);
            match &n.inner {
                crate::ir::NewtypeInner::Array(item) => item.hash(&mut h),
                other => std::mem::discriminant(other).hash(&mut h),
            }
        }
        TypeKind::Alias(r) => r.hash(&mut h),
        TypeKind::ReExport(id) => id.hash(&mut h),
    }
    h.finish()
}

fn map_kind(kind: &mut TypeKind, f: &impl Fn(TypeId) -> TypeId) {
    match kind {
        TypeKind::Struct(s) => {
            for field in &mut s.fields {
                map_ref(&mut field.ty, f);
            }
            if let Some(a) = &mut s.additional {
                map_ref(&mut a.ty, f);
            }
        }
        TypeKind::OneOf(o) => {
            for v in &mut o.variants {
                map_ref(&mut v.ty, f);
            }
        }
        TypeKind::Newtype(n) => {
            if let crate::ir::NewtypeInner::Array(item) = &mut n.inner {
                map_ref(item, f);
            }
        }
        TypeKind::Alias(r) => map_ref(r, f),
        TypeKind::ReExport(id) => *id = f(*id),
        TypeKind::StringEnum(_) => {}
    }
}

fn map_ref(r: &mut TypeRef, f: &impl Fn(TypeId) -> TypeId) {
    match r {
        TypeRef::Named(id) => *id = f(*id),
        TypeRef::Sealed { plaintext, .. } => *plaintext = f(*plaintext),
        TypeRef::Array(inner) | TypeRef::Map(inner) | TypeRef::Boxed(inner) => map_ref(inner, f),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_are_module_names_that_do_not_shadow_client_methods() {
        assert_eq!(client_accessor("in_v1_card"), "in_v1_card");
        assert_eq!(client_accessor("out_v2_card"), "out_v2_card");
        assert_eq!(client_accessor("petstore"), "petstore");
        assert_eq!(client_accessor("new"), "new_api");
    }

    #[test]
    fn statuses_have_one_name_on_both_sides() {
        assert_eq!(status_variant(Status::Code(404)), "NotFound");
        assert_eq!(status_variant(Status::Code(200)), "Ok");
        assert_eq!(status_variant(Status::Code(418)), "ImATeapot");
        assert_eq!(status_variant(Status::Code(299)), "Status299");
        assert_eq!(status_variant(Status::Range(2)), "Success");
        assert_eq!(status_variant(Status::Range(4)), "ClientError");
        assert_eq!(status_variant(Status::Default), "Other");
        assert_eq!(status_constant(500), Some("INTERNAL_SERVER_ERROR"));
        assert_eq!(status_constant(299), None);
    }

    #[test]
    fn idents() {
        assert_eq!(type_name("cardRequestThales"), "CardRequestThales");
        assert_eq!(type_name("Self"), "Self_");
        assert_eq!(type_name("2fa"), "V2fa");
        assert_eq!(field_ident("type"), "type_");
        assert_eq!(field_ident("parentCardId"), "parent_card_id");
        assert_eq!(field_ident("$"), "field");
        assert_eq!(variant_ident("USER_DECISION"), "UserDecision");
        assert_eq!(
            variant_ident("urn:ietf:params:oauth:grant-type:jwt-bearer"),
            "UrnIetfParamsOauthGrantTypeJwtBearer"
        );
        assert_eq!(const_name("Production server"), "PRODUCTION");
        assert_eq!(param_ident("x-correlation-id", true), "correlation_id");
        assert_eq!(param_ident("X-User-Id", true), "user_id");
        assert_eq!(param_type_name("x-correlation-id", true), "CorrelationId");
    }

    #[test]
    fn operation_names() {
        assert_eq!(operation_name(None, Some("Get credentials"), "GET", "/x"), "get_credentials");
        assert_eq!(operation_name(Some("getToken"), Some("Get Authorization Token"), "POST", "/t"), "get_token");
        assert_eq!(
            operation_name(None, None, "POST", "/issuers/{issuerId}/cards/{cardId}/operations:suspend"),
            "suspend"
        );
        assert_eq!(
            operation_name(None, None, "GET", "/issuers/{issuerId}/cards/{cardId}/operations"),
            "get_cards_operations"
        );
    }

    #[test]
    fn operation_methods_are_names_clippy_accepts() {
        assert_eq!(operation_method_name("suspend", false, "POST", "/cards:suspend"), "suspend");
        assert_eq!(operation_method_name("is_ready", false, "GET", "/ready"), "is_ready");
        assert_eq!(operation_method_name("get", true, "GET", "/cards/{id}"), "get_cards");
        assert_eq!(operation_method_name("new", false, "POST", "/things/{id}/copies"), "post_things_copies");
        assert_eq!(operation_method_name("from_thing", false, "GET", "/things/{id}/origin"), "get_things_origin");
        assert_eq!(operation_method_name("to_pdf", false, "GET", "/report"), "get_report");
        assert_eq!(operation_method_name("clone", false, "POST", "/a:copy"), "copy");
        assert_eq!(operation_method_name("new", false, "POST", "/things:new"), "post_new");
        assert_eq!(operation_method_name("into_x", false, "POST", "/things:into_x"), "post_into_x");
    }

    /// Every lower-case name the generated crates' roots bring in (`use`, `mod`), other than the
    /// API modules, is reserved: an API module of that name would clash with it.
    #[test]
    fn crate_root_names_are_reserved_for_modules() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../d1-generated");
        let mut names = Vec::new();
        for krate in ["d1-types", "d1-client", "d1-server"] {
            let lib = std::fs::read_to_string(root.join(krate).join("src/lib.rs")).expect("generated lib.rs");
            // `pub use a::{b, c};` over several lines is joined first.
            let joined = lib.replace(",\n", ", ").replace("{\n", "{");
            for line in joined.lines().map(str::trim) {
                let Some(item) = line.strip_prefix("pub use ").or_else(|| line.strip_prefix("use ")) else {
                    if let Some(module) = line.strip_prefix("mod ") {
                        names.push(module.trim_end_matches(';').to_string());
                    }
                    continue;
                };
                let item = item.trim_end_matches(';');
                let listed = match item.split_once('{') {
                    Some((_, list)) => list.trim_end_matches('}').split(',').map(str::trim).collect::<Vec<_>>(),
                    None => vec![item],
                };
                for name in listed {
                    let name = name.rsplit([' ', ':']).next().unwrap_or(name);
                    names.push(name.to_string());
                }
            }
        }
        let lower: Vec<&String> = names.iter().filter(|n| n.starts_with(|c: char| c.is_ascii_lowercase())).collect();
        assert!(lower.len() >= 8, "too few root names found: {lower:?}");
        for name in lower {
            assert!(RESERVED_MODULES.contains(&name.as_str()), "`{name}` is defined at a crate root but not reserved");
        }
    }

    #[test]
    fn module_names_come_from_each_file_alone() {
        let d1 = vec!["D1-Public-".to_string()];
        assert_eq!(module_name("D1-Public-IN-v1-Card", &d1), "in_v1_card");
        assert_eq!(module_name("Zz-Extra-Api", &d1), "zz_extra_api");
        assert_eq!(module_name("petstore", &d1), "petstore");
        assert_eq!(module_name("D1-Public-", &d1), "d1_public");
        assert_eq!(module_name("a-common", &[]), "a_common");
        assert_eq!(module_name("common", &[]), "common_api");
        assert_eq!(module_name("D1-Public-Jwe", &d1), "jwe_api");
    }

    #[test]
    fn unique_names() {
        let mut taken = Names::default();
        assert_eq!(taken.unique("A".into()), "A");
        assert_eq!(taken.unique("A".into()), "A2");
        assert_eq!(taken.unique("V1".into()), "V1");
        assert_eq!(taken.unique("V1".into()), "V1_2");
        assert_eq!(taken.unique("Self_".into()), "Self_");
        assert_eq!(taken.unique("Self_".into()), "Self2");
        // A number taken directly is skipped; one freed by nothing is never reused.
        assert_eq!(taken.unique("A3".into()), "A3");
        assert_eq!(taken.unique("A".into()), "A4");
        assert_eq!(taken.unique("A".into()), "A5");
        assert_eq!(qualified_type_name("Links", "Self_"), "LinksSelf");
        assert_eq!(qualified_type_name("", "Self_"), "Self_");
    }

    /// The cases are `heck`'s, applied to the name with every character but ASCII letters and
    /// digits made a space: checked on names from D1 and on pseudo-random mixtures of lowercase
    /// and uppercase runs, digits, separators and non-ASCII letters.
    #[test]
    fn cases_are_hecks_on_ascii_words() {
        use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
        let words =
            |raw: &str| -> String { raw.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect() };
        let mut names: Vec<String> = "parentCardID HTTPServer x-correlation-id USER_DECISION cardRequestThales \
             already_snake ABC aB Ab a1B2 A1b v2Beta1 IOStream getHTTP2Response _ --a-- é Σa naïveCafé X x ÀB iOS \
             Status299 Self_ urn:ietf:params:oauth:grant-type:jwt-bearer"
            .split(' ')
            .map(String::from)
            .chain([String::new()])
            .collect();
        let alphabet: Vec<String> = "abzABZ0919_- .:éÉßΣ".chars().map(String::from).collect();
        let alphabet: Vec<&str> = alphabet.iter().map(String::as_str).collect();
        names.extend(crate::test_strings::joined(&alphabet, 5000, 11, 0x2545_f491_4f6c_dd1d));
        for name in &names {
            let spaced = words(name);
            assert_eq!(snake_case(name), spaced.to_snake_case(), "{name:?}");
            assert_eq!(upper_camel_case(name), spaced.to_upper_camel_case(), "{name:?}");
            assert_eq!(shouty_snake_case(name), spaced.to_shouty_snake_case(), "{name:?}");
        }
    }

    #[test]
    fn setter_names() {
        assert_eq!(setters(["card_id", "type_", "new"]), ["with_card_id", "with_type", "with_new"]);
        assert_eq!(setters(["a_", "a"]), ["with_a", "with_a2"]);
        assert_eq!(additional_member(["id", "name"]), "additional_properties");
        assert_eq!(additional_member(["additional_properties"]), "additional_properties2");
    }
}
