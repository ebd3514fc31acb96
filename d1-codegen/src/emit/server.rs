//! The server crate: for every API a trait with one async method per operation, a request
//! struct of checked inputs and a response enum per operation, and `router`/`routes` functions
//! that mount any implementation on axum 0.8. The checks that run before an implementation is
//! called are generated from the IR (see [`checks`]: one function per body type, in the module of
//! the type) on top of `d1_runtime::server`, which the crate root re-exports.
//!
//! Trait methods are declared `fn op(&self, r: OpRequest) -> impl Future<Output = …> + Send`:
//! implementations write plain `async fn`, the router stays generic over the implementation
//! (static dispatch, no boxing per call), and the `Send` bound is part of the contract so that
//! every handler future can run on a multi-threaded runtime.

mod checks;

use super::templates;
use super::{
    declaration_text, describe_sources, doc_attrs, fn_with_statements, ident, inner_docs, path_tokens, plain_doc_line,
    render_block, render_crate_root, render_items, rust_header, spaced_after, type_string, type_tokens, Member,
    Options, Part, RootPart, Scope, MARGIN,
};
use crate::error::{Error, Location};
use crate::ir::{
    Api, IntWidth, Ir, ListStyle, MediaType, Method, Module, NewtypeInner, Operation, ParamLocation, Parameter,
    PathSegment, SecurityKind, Status, TypeKind, TypeRef, ValueStyle,
};
use crate::naming;
use crate::write::FileTree;
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use std::collections::BTreeMap;

pub(super) fn emit_crate(ir: &Ir, options: &Options, tree: &mut FileTree) -> Result<(), Error> {
    let root = options.server_crate.clone();
    let types_crate = options.path_of(Part::Types);
    let sources = ir.sources();
    let all_header = rust_header(&sources);

    let server_root = options.root_of(Part::Server);
    let open = checks::open_types(ir);
    for api in &ir.apis {
        let path = format!("{root}/src/{}.rs", api.module);
        let text = api_module(ir, &open, api, &types_crate, &server_root, &path)?;
        tree.insert(path, spaced_after(&rust_header(&[api.source.as_str()]), text));
    }
    // The shared types' checks, when there are some: the server's `common` module.
    let common_checks = ir
        .common
        .as_ref()
        .map(|common| (common, checks::Checks::common(ir, &open, &types_crate, &server_root).finish(0)))
        .filter(|(_, functions)| !functions.is_empty());
    let common_module = common_checks.is_some();
    if let Some((common, functions)) = common_checks {
        let head = quote! {
            //! Checks of the shared types' JSON, one function per struct or union, for the API
            //! modules' body checks to call. All are generated, whether these APIs use them or not,
            //! so that this file depends on the shared types alone.
            #![allow(dead_code)]

            use ::d1_runtime::server::Checker;
            use serde_json::Value;
        };
        let path = format!("{root}/src/common.rs");
        let mut text = render_items(head, &path)?;
        for function in functions {
            match function {
                Member::Text(function) => text.push_str(&function),
                Member::Tokens(function) => text.push_str(&render_items(function, &path)?),
            }
        }
        tree.insert(path, spaced_after(&rust_header(&[common.source.as_str()]), text));
    }
    let lib = lib_rs(ir, options, common_module);
    tree.insert(format!("{root}/src/lib.rs"), render_crate_root(lib, &all_header, "lib.rs")?);

    let example = example_api(ir);
    let apis: Vec<minijinja::Value> = ir
        .apis
        .iter()
        .map(|a| {
            minijinja::context! {
                module => a.module.clone(), title => a.title.clone(), version => a.version.clone(),
                source => a.source.clone(), operations => a.operations.len(), trait_name => trait_name(a),
            }
        })
        .collect();
    let context = minijinja::context! {
        name => root.clone(), name_ident => root.replace('-', "_"), version => options.version.clone(),
        sources => describe_sources(&sources), types_crate => options.types_crate.clone(), apis => apis,
        example_trait => example.map(trait_name).unwrap_or_default(),
        example_module => example.map(|a| a.module.clone()).unwrap_or_default(),
        runtime_path => options.runtime.context().0, runtime_version => options.runtime.context().1, edition => super::EDITION, rust_version => super::RUST_VERSION,
    };
    tree.insert(format!("{root}/Cargo.toml"), templates::render("server/Cargo.toml.j2", context.clone())?);
    tree.insert(format!("{root}/README.md"), templates::render("server/README.md.j2", context)?);
    Ok(())
}

/// Spec text as rustdoc: a line that follows a list item without being one starts a new
/// paragraph (otherwise Markdown continues the item, which clippy's `doc_lazy_continuation`
/// rejects).
fn doc_text(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut in_list = false;
    for line in text.lines() {
        let item = line.starts_with("- ") || line.starts_with("* ") || {
            let digits = line.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && line[digits..].starts_with(". ")
        };
        if in_list && !item && !line.is_empty() && !line.starts_with(' ') {
            out.push("");
        }
        in_list = item || (in_list && line.starts_with(' '));
        out.push(line);
    }
    out.join("\n")
}

fn trait_name(api: &Api) -> String {
    naming::server_trait(&api.module)
}

fn op_type_name(op: &Operation, suffix: &str) -> String {
    naming::operation_type(&op.type_stem, suffix)
}

/// The API used in the crate-level example: the one with the fewest operations.
fn example_api(ir: &Ir) -> Option<&Api> {
    ir.apis.iter().filter(|a| !a.operations.is_empty()).min_by_key(|a| a.operations.len())
}

/// The crate root; `common_checks`: whether there is a `common` module of shared types' checks.
fn lib_rs(ir: &Ir, options: &Options, common_checks: bool) -> Vec<RootPart> {
    let krate = options.server_crate.replace('-', "_");
    let mut lines = vec![
        "Server side of the Thales D1 APIs, generated from their OpenAPI specs: for every API a trait".to_string(),
        "to implement and an axum router that serves any implementation.".to_string(),
        String::new(),
        "| module | API | version | trait | spec |".to_string(),
        "|---|---|---|---|---|".to_string(),
    ];
    for api in &ir.apis {
        let t = trait_name(api);
        lines.push(format!(
            "| [`{m}`] | {} | {} | [`{t}`]({m}::{t}) | `{}` |",
            crate::escape::doc_line(&api.title),
            crate::escape::doc_line(&api.version),
            crate::escape::doc_line(&api.source),
            m = api.module
        ));
    }
    lines.extend(
        [
            "",
            "Each trait method takes a request struct whose fields have already been checked with the",
            "validated types of the types crate, and returns `Result<OperationResponse, ApiError>`: the",
            "response enum has one variant per status the spec declares, [`ApiError`] covers statuses",
            "it does not declare (D1 publishes no error responses for many operations).",
            "",
            "Before calling the implementation the router answers on its own: `400` listing every",
            "invalid parameter and body member of the request, `401` without a well-formed bearer",
            "token (operations with bearer security), `404` for an unknown path (routers from",
            "`router`, or after [`finish`]), `405` for a wrong method, `413` for a body over",
            "[`Config::body_limit`], `415` for an unsupported media type; a panic in the implementation",
            "becomes a `500`. `x-correlation-id` is echoed on every response and recorded on the",
            "`d1_request` tracing span.",
            "",
            "To serve several APIs on one listener, combine their `routes` functions (merged or nested",
            "under each API's base path) and call [`finish`] once.",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    if let Some(api) = example_api(ir) {
        lines.push(String::new());
        lines.push(options.example_fence().to_string());
        lines.extend(example_code(api, &krate).lines().map(str::to_string));
        lines.push("```".to_string());
    }
    let common = common_checks.then(|| {
        quote!(
            mod common;
        )
    });
    let mods = ir.apis.iter().map(|a| {
        let m = ident(&a.module);
        quote!(pub mod #m;)
    });
    let items = quote! {
        #![forbid(unsafe_code)]
        #![deny(missing_docs)]

        ::d1_runtime::require_generated_api!(1);

        #common
        #(#mods)*

        pub use ::d1_runtime::server::{finish, not_found, ApiError, BearerToken, Config, Status2xx, StatusClass, CORRELATION_ID};
        /// The axum version the routers are built with.
        pub use ::d1_runtime::server::axum;
    };
    vec![inner_docs(&lines), RootPart::Items(items)]
}

fn example_code(api: &Api, krate: &str) -> String {
    let t = trait_name(api);
    let mut uses = vec![t.clone()];
    let mut methods = String::new();
    for op in &api.operations {
        let req = op_type_name(op, "Request");
        let resp = op_type_name(op, "Response");
        uses.push(req.clone());
        let body = op
            .responses
            .iter()
            .find(|r| r.body.is_none() && r.status.is_success())
            .map(|r| {
                let v = r.variant.clone();
                match r.status {
                    Status::Code(_) => format!("Ok({resp}::{v})"),
                    _ => format!("Ok({resp}::{v}({krate}::Status2xx::NO_CONTENT))"),
                }
            })
            .unwrap_or_else(|| "Err(ApiError::not_found(\"unknown\"))".to_string());
        methods.push_str(&format!(
            "    async fn {}(&self, _request: {req}) -> Result<{resp}, ApiError> {{\n        {body}\n    }}\n",
            op.name
        ));
        uses.push(resp);
    }
    uses.sort();
    uses.dedup();
    format!(
        "use {krate}::ApiError;\nuse {krate}::{m}::{{{}}};\n\nstruct Backend;\n\nimpl {t} for Backend {{\n{methods}}}\n\nlet app: {krate}::axum::Router = {krate}::{m}::router(Backend);\n",
        uses.join(", "),
        m = api.module
    )
}

/// A status code as generated code writes it: the named constant where `http` has one.
fn status_code(code: u16) -> TokenStream {
    match crate::naming::status_constant(code) {
        Some(name) => {
            let name = ident(name);
            quote!(::d1_runtime::server::axum::http::StatusCode::#name)
        }
        None => {
            let code = Literal::u16_unsuffixed(code);
            quote!(::d1_runtime::server::axum::http::StatusCode::from_u16(#code)
                .unwrap_or(::d1_runtime::server::axum::http::StatusCode::INTERNAL_SERVER_ERROR))
        }
    }
}

/// The name of axum's method router for `method` (`get`, `post`, …).
fn method_fn(method: Method) -> &'static str {
    match method {
        Method::Get => "get",
        Method::Put => "put",
        Method::Post => "post",
        Method::Delete => "delete",
        Method::Patch => "patch",
        Method::Head => "head",
        Method::Options => "options",
        Method::Trace => "trace",
    }
}

/// The path in axum 0.8 syntax: `{name}` captures, literal braces doubled.
fn axum_path(op: &Operation) -> String {
    let mut out = String::new();
    for segment in &op.segments {
        match segment {
            PathSegment::Literal(text) => out.push_str(&text.replace('{', "{{").replace('}', "}}")),
            PathSegment::Param(name) => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
    }
    out
}

/// Whether the operation requires a bearer token: one of its schemes is HTTP bearer or OAuth2.
fn needs_bearer(api: &Api, op: &Operation) -> bool {
    op.security.iter().any(|name| {
        api.security_schemes
            .iter()
            .any(|s| &s.name == name && matches!(s.kind, SecurityKind::Bearer | SecurityKind::OAuth2))
    })
}

/// How a parameter's text becomes its value, each type and path as [`super::type_text`] prints
/// it (see [`super::text_tokens`] for the rare parameter printed from tokens).
struct ParamShape {
    /// The value's type (one item for arrays).
    ty: String,
    /// `fn(&str) -> Result<T, String>`.
    parser: String,
    array: bool,
    /// The validated list newtype the items are wrapped in, if any.
    list: Option<String>,
}

fn param_shape(ir: &Ir, ty: &TypeRef, scope: Scope<'_>) -> ParamShape {
    let text = type_string(ir, ty, scope);
    let scalar =
        |parser: &str, text: String| ParamShape { ty: text, parser: parser.to_string(), array: false, list: None };
    let json_as = |text: String| ParamShape {
        parser: format!("::d1_runtime::server::parse_json_as::<{text}>"),
        ty: text,
        array: false,
        list: None,
    };
    let from_str = |text: String| ParamShape {
        parser: format!("::d1_runtime::server::parse_from_str::<{text}>"),
        ty: text,
        array: false,
        list: None,
    };
    match ty {
        TypeRef::String => scalar("::d1_runtime::server::parse_string", text),
        TypeRef::Integer(IntWidth::I32) => scalar("::d1_runtime::server::parse_i32", text),
        TypeRef::Integer(IntWidth::I64) => scalar("::d1_runtime::server::parse_i64", text),
        TypeRef::Number => scalar("::d1_runtime::server::parse_f64", text),
        TypeRef::Boolean => scalar("::d1_runtime::server::parse_bool", text),
        TypeRef::Json => scalar("::d1_runtime::server::parse_json", text),
        TypeRef::Array(item) => {
            let inner = param_shape(ir, item, scope);
            if inner.array || inner.list.is_some() {
                json_as(text)
            } else {
                ParamShape { array: true, ..inner }
            }
        }
        TypeRef::Named(id) => match &ir.ty(*id).kind {
            TypeKind::Newtype(n) => match &n.inner {
                NewtypeInner::Array(item) => {
                    let inner = param_shape(ir, item, scope);
                    if inner.array || inner.list.is_some() {
                        json_as(text)
                    } else {
                        ParamShape { array: true, list: Some(text), ..inner }
                    }
                }
                _ => from_str(text),
            },
            TypeKind::StringEnum(_) => from_str(text),
            TypeKind::Alias(target) => {
                let inner = param_shape(ir, target, scope);
                ParamShape { ty: if inner.array { inner.ty } else { text }, ..inner }
            }
            TypeKind::ReExport(target) => {
                let inner = param_shape(ir, &TypeRef::Named(*target), scope);
                match inner.list {
                    Some(_) => ParamShape { list: Some(text), ..inner },
                    None => ParamShape { ty: text, ..inner },
                }
            }
            _ => json_as(text),
        },
        TypeRef::Sealed { .. } => from_str(text),
        _ => json_as(text),
    }
}

/// Reading a parameter written by the runtime's styles (an object, a map, a union, JSON text):
/// its text gathered as the style spreads it, then parsed as its type — a union by trying its
/// variants in order, the first that fits winning (for a `oneOf` as for an `anyOf`).
fn styled_step(
    ir: &Ir,
    op: &Operation,
    p: &Parameter,
    style: ValueStyle,
    default: Option<&serde_json::Value>,
    scope: Scope<'_>,
) -> TokenStream {
    let var = ident(&p.ident);
    let name = &p.name;
    let loc = location_tokens(p.location);
    let text_from = quote!(.map(::d1_runtime::style::read::Text::from));
    let text = match (p.location, style) {
        (ParamLocation::Query, ValueStyle::DeepObject) => {
            quote!(::d1_runtime::server::query_deep(&inputs.query, #name))
        }
        (ParamLocation::Query, ValueStyle::Form { explode: true }) => match object_keys(ir, &p.ty, 0) {
            Some(keys) => quote!(::d1_runtime::server::query_members(&inputs.query, #name, &[#(#keys),*])),
            None => {
                let declared = op
                    .params
                    .iter()
                    .filter(|q| q.location == ParamLocation::Query && q.name != p.name)
                    .map(|q| q.name.as_str());
                quote!(::d1_runtime::server::query_rest(&inputs.query, &[#(#declared),*]))
            }
        },
        (ParamLocation::Query, _) => quote!(inputs.query.get(#name) #text_from),
        (ParamLocation::Path, _) => quote!(inputs.path.get(#name) #text_from),
        (ParamLocation::Header, _) => {
            quote!(::d1_runtime::server::header(&inputs.parts.headers, #name, &mut inputs.violations) #text_from)
        }
        (ParamLocation::Cookie, _) => quote!(::d1_runtime::server::cookie(&inputs.parts.headers, #name) #text_from),
    };
    let ty = type_tokens(ir, &p.ty, scope);
    let parse = match union_variants(ir, &p.ty) {
        Some(variants) if style != ValueStyle::Json => {
            let message = format!("is not valid: fits none of its {} forms", variants.len());
            let mut tries = variants.iter().map(|(variant, variant_ty)| {
                let variant = ident(variant);
                let variant_ty = type_tokens(ir, variant_ty, scope);
                quote!(value.parse::<#variant_ty>().map(#ty::#variant))
            });
            let first = tries.next().unwrap_or_else(|| quote!(value.parse::<#ty>()));
            let chain = tries.fold(first, |chain, next| quote!(#chain.or_else(|_| #next)));
            quote!(#chain.map_err(|_| #message.to_string()))
        }
        _ => quote!(value.parse::<#ty>()),
    };
    let required = p.required || p.location == ParamLocation::Path;
    let style = super::client::style_tokens(style);
    let read = match default {
        Some(default) => {
            let default = default.to_string();
            quote!(inputs.violations.styled_or(#loc, #name, #style, text, #default, |value| #parse))
        }
        None => quote!(inputs.violations.styled(#loc, #name, #style, text, #required, |value| #parse)),
    };
    quote! {
        let #var = {
            let text = #text;
            #read
        };
    }
}

/// The variants of an untagged union (through aliases and re-exports), in order.
fn union_variants<'a>(ir: &'a Ir, ty: &'a TypeRef) -> Option<Vec<(&'a str, &'a TypeRef)>> {
    let TypeRef::Named(mut id) = *ty else { return None };
    // A re-export names the shared type itself.
    if let TypeKind::ReExport(target) = ir.ty(id).kind {
        id = target;
    }
    match &ir.ty(id).kind {
        TypeKind::OneOf(o) if o.tag.is_none() => Some(o.variants.iter().map(|v| (v.ident.as_str(), &v.ty)).collect()),
        TypeKind::Alias(target) => union_variants(ir, target),
        _ => None,
    }
}

/// The member names of an object parameter in `form` style with `explode`, which are query
/// parameters of their own (those of every object variant, for a union); `None` when any key
/// may come (a map).
fn object_keys(ir: &Ir, ty: &TypeRef, depth: usize) -> Option<Vec<String>> {
    if depth > 16 {
        return Some(Vec::new());
    }
    match ty {
        TypeRef::Map(_) | TypeRef::JsonObject => None,
        TypeRef::Boxed(inner) => object_keys(ir, inner, depth + 1),
        TypeRef::Named(id) => match &ir.ty(*id).kind {
            TypeKind::Struct(s) if s.additional.is_none() => Some(s.fields.iter().map(|f| f.name.clone()).collect()),
            TypeKind::Struct(_) => None,
            TypeKind::Alias(target) => object_keys(ir, target, depth + 1),
            TypeKind::ReExport(target) => object_keys(ir, &TypeRef::Named(*target), depth + 1),
            TypeKind::OneOf(o) => {
                let mut keys = Vec::new();
                for v in &o.variants {
                    keys.extend(object_keys(ir, &v.ty, depth + 1)?);
                }
                keys.sort();
                keys.dedup();
                Some(keys)
            }
            _ => Some(Vec::new()),
        },
        _ => Some(Vec::new()),
    }
}

fn location_tokens(location: ParamLocation) -> TokenStream {
    path_tokens(location_path(location))
}

/// The runtime's `In` variant for a parameter location, as a path.
fn location_path(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "::d1_runtime::server::In::Path",
        ParamLocation::Query => "::d1_runtime::server::In::Query",
        ParamLocation::Header => "::d1_runtime::server::In::Header",
        ParamLocation::Cookie => "::d1_runtime::server::In::Cookie",
    }
}

fn location_name(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

fn default_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The encodings a body may come in, the spec's first media type first, as paths of the
/// runtime's `Encoding` variants.
fn body_encodings(body: &crate::ir::RequestBody) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut add = |media: &str| {
        let media = media.to_ascii_lowercase();
        let e = if media == "application/json" || media.ends_with("+json") {
            Some("::d1_runtime::server::Encoding::Json")
        } else if media == "application/x-www-form-urlencoded" {
            Some("::d1_runtime::server::Encoding::Form")
        } else {
            None
        };
        if let Some(e) = e
            && !out.contains(&e)
        {
            out.push(e);
        }
    };
    match &body.media_type {
        MediaType::Json => add("application/json"),
        MediaType::FormUrlEncoded => add("application/x-www-form-urlencoded"),
        MediaType::Other(m) => add(m),
    }
    for alt in &body.alternatives {
        add(alt);
    }
    if out.is_empty() {
        // A media type the router cannot decode: accept JSON, the closest D1 has.
        out.push("::d1_runtime::server::Encoding::Json");
    }
    out
}

/// The module's text (without the header). The items of each operation are printed as they are
/// made, the handlers kept as text until the routes are printed: large APIs never hold the tokens
/// of the whole module.
fn api_module(
    ir: &Ir,
    open: &[bool],
    api: &Api,
    types_crate: &str,
    server_root: &str,
    what: &str,
) -> Result<String, Error> {
    let scope = Scope::External(types_crate);
    let mut checks = checks::Checks::new(ir, open, types_crate, server_root, Module::Api(api.module.clone()));
    let trait_text = trait_name(api);
    let module_doc = {
        let mut doc = format!(
            "Server side of the **{}** (version {}), from `{}`: implement [`{}`] and mount it with [`router`] (or [`routes`]).",
            crate::escape::doc_line(&api.title),
            crate::escape::doc_line(&api.version),
            crate::escape::doc_line(&api.source),
            trait_name(api)
        );
        if let Some(base) = base_path(api) {
            doc.push_str(&format!(
                "\n\nD1 serves this API under `{base}` ([`BASE_PATH`]); the routes below are relative to it."
            ));
        }
        if let Some(d) = &api.doc {
            doc.push_str("\n\n");
            doc.push_str(d);
        }
        doc
    };
    let module_doc: Vec<String> = doc_text(&module_doc).lines().map(str::to_string).collect();

    let mut trait_methods = Vec::new();
    // Reserved from the bytes an operation's items and handler take (about 2 and 4 kB on
    // Microsoft Graph, 11,422 operations): growing these by doubling copied tens of megabytes
    // into freshly cleared pages.
    let mut items = String::with_capacity(api.operations.len() * 2560);
    let mut handlers = String::with_capacity(api.operations.len() * 4096);
    // path → (method, handler name) in operation order
    let mut paths: BTreeMap<String, Vec<(Method, String)>> = BTreeMap::new();
    let api_name = &api.module;

    for op in &api.operations {
        let req_ident = ident(&op_type_name(op, "Request"));
        let resp_ident = ident(&op_type_name(op, "Response"));
        let bearer = needs_bearer(api, op);

        // ---- trait method
        let mut doc = String::new();
        if let Some(summary) = op.summary.as_deref().filter(|s| !s.trim().is_empty()) {
            doc.push_str(&crate::docs::to_markdown(summary));
            doc.push_str("\n\n");
        }
        if let Some(d) = &op.doc {
            doc.push_str(d);
            doc.push_str("\n\n");
        }
        doc.push_str(&format!("`{} {}`", op.method.as_str(), op.path));
        if op.deprecated {
            doc.push_str("\n\nDeprecated in the spec.");
        }
        let doc = doc_text(&doc);
        let method = TraitMethod { name: &op.name, request: &req_ident.to_string(), response: &resp_ident.to_string() };
        trait_methods.push(match method.text(&doc) {
            Some(text) => Member::Text(text),
            None => method.tokens(&doc).into(),
        });

        // ---- request struct
        items.push_str(&request_struct(ir, api, op, bearer, &req_ident, scope, what)?);

        // ---- response enum
        let variants: Vec<Variant> = op
            .responses
            .iter()
            .map(|r| Variant {
                doc: doc_text(&format!("`{}`: {}", r.status, r.description)),
                name: r.variant.clone(),
                status: r.status,
                body: r.body.as_ref().map(|b| {
                    let bytes = match (&b.media_type, &b.ty) {
                        (MediaType::Other(ct), TypeRef::Bytes) => Some(ct.clone()),
                        _ => None,
                    };
                    (type_string(ir, &b.ty, scope), bytes)
                }),
            })
            .collect();
        let response = Response {
            doc: format!(
                "The responses [`{}::{}`] can give, one per status the spec declares. For a status the spec does not declare, return an [`ApiError`](::d1_runtime::server::ApiError).",
                trait_name(api),
                op.name
            ),
            name: resp_ident.to_string(),
            variants,
        };
        match response.text() {
            Some(text) => items.push_str(&text),
            None => items.push_str(&render_items(response.tokens(what)?, what)?),
        }

        // ---- handler
        let handler = handler(ir, api_name, op, bearer, &trait_text, &req_ident, &mut checks, scope, what)?;
        handlers.push_str(&handler);
        paths.entry(axum_path(op)).or_default().push((op.method, format!("handle_{}", op.name)));
    }

    // ---- routes
    let routes: Vec<Route> = paths
        .into_iter()
        .map(|(path, mut methods)| {
            methods.sort_by_key(|(m, _)| *m);
            let mut allow: Vec<&str> = methods.iter().map(|(m, _)| m.as_str()).collect();
            if methods.iter().any(|(m, _)| *m == Method::Get) && !methods.iter().any(|(m, _)| *m == Method::Head) {
                allow.push("HEAD");
            }
            let allow = allow.join(", ");
            Route { path, handlers: methods.into_iter().map(|(m, h)| (method_fn(m), h)).collect(), allow }
        })
        .collect();
    let base = base_path(api).map(|b| {
        let doc = format!(
            "The path under which D1 serves this API (from its first server URL, `{}`).",
            api.servers.first().map(|s| s.url.as_str()).unwrap_or("")
        );
        (doc, b)
    });
    let trait_doc = format!(
        "The **{}** (version {}): one method per operation. Mount an implementation with [`router`].\n\nEach method receives inputs the router has already checked and returns the response to send; for a status the spec does not declare, return an [`ApiError`](::d1_runtime::server::ApiError). Implement the methods as `async fn`; the futures must be `Send`.",
        api.title, api.version
    );

    let base = base.as_ref().map(|(doc, path)| (doc.as_str(), path.as_str()));
    // An eighth more for the checks module and the blank lines `spaced_after` adds in place.
    let known = items.len() + handlers.len() + routes.len() * 512 + 4096;
    let mut text = String::with_capacity(known + known / 8);
    text.push_str(&module_head(&module_doc, base, what)?);
    text.push_str(&api_trait(&trait_text, &trait_doc, trait_methods, what)?);
    text.push_str(&items);
    drop(items);
    text.push_str(&routes_fns(&trait_text, &routes, what)?);
    text.push_str(&handlers);
    let checks = checks.finish(4);
    if !checks.is_empty() {
        text.push_str(&checks_module(checks, what)?);
    }
    Ok(text)
}

/// The head of an API module's `checks` module, as prettyplease prints it, up to its `{` line.
const CHECKS_HEAD: &str =
    "/// Checks of this API's body types, recording every violation with its JSON Pointer.\nmod checks {\n";

/// The `use` declarations of a `checks` module, as prettyplease prints them inside it.
const CHECKS_USES: &str = "    use ::d1_runtime::server::Checker;\n    use serde_json::Value;\n";

/// An API module's `checks` module around its check `functions`: as text when every function
/// is, else printed around those that are not.
fn checks_module(functions: Vec<Member>, what: &str) -> Result<String, Error> {
    let uses = Member::Text(CHECKS_USES.to_string());
    if functions.iter().all(|f| matches!(f, Member::Text(_))) {
        let mut text = CHECKS_HEAD.to_string();
        for member in std::iter::once(uses).chain(functions) {
            if let Member::Text(member) = member {
                text.push_str(&member);
            }
        }
        text.push_str("}\n");
        return Ok(text);
    }
    render_block(checks_head_tokens(), std::iter::once(uses).chain(functions), what)
}

fn checks_head_tokens() -> TokenStream {
    quote! {
        /// Checks of this API's body types, recording every violation with its JSON Pointer.
        mod checks
    }
}

/// The request struct of `op`: one member per parameter, the bearer token and the body. Its
/// members are printed as text (see [`declaration_text`]) into the struct printed without them,
/// unless one of them would not print as plain lines.
fn request_struct(
    ir: &Ir,
    api: &Api,
    op: &Operation,
    bearer: bool,
    req_ident: &proc_macro2::Ident,
    scope: Scope<'_>,
    what: &str,
) -> Result<String, Error> {
    // (doc, member name, type) of each member.
    let mut members: Vec<(String, String, String)> = Vec::new();
    for p in &op.params {
        let shape = param_shape(ir, &p.ty, scope);
        let ty = match shape.list {
            Some(list) => list,
            None if shape.array => format!("::std::vec::Vec<{}>", shape.ty),
            None => shape.ty,
        };
        let always = p.required || p.location == ParamLocation::Path || (p.default.is_some() && !shape.array);
        let ty = if always { ty } else { format!("::std::option::Option<{ty}>") };
        let mut d = format!("`{}` ({} parameter", p.name, location_name(p.location));
        if let Some(default) = &p.default {
            d.push_str(&format!(", default `{}`", default_text(default)));
        }
        d.push(')');
        if let Some(pd) = &p.doc {
            d.push_str(": ");
            d.push_str(pd);
        }
        members.push((doc_text(&d), p.ident.clone(), ty));
    }
    if bearer {
        let doc = "The token of the `Authorization: Bearer` header. The router checked its shape only:\n\
                   whether it grants access is for the implementation to decide.";
        members.push((doc.to_string(), "bearer_token".to_string(), "::d1_runtime::server::BearerToken".to_string()));
    }
    if let Some(body) = &op.body {
        let ty = type_string(ir, &body.ty, scope);
        let ty = if body.required { ty } else { format!("::std::option::Option<{ty}>") };
        let mut d = String::from("The request body");
        if !body.required {
            d.push_str(" (`None` when the request has none)");
        }
        if let Some(bd) = &body.doc {
            d.push_str(": ");
            d.push_str(bd);
        } else {
            d.push('.');
        }
        members.push((doc_text(&d), "body".to_string(), ty));
    }
    let as_text: Option<String> = members
        .iter()
        .map(|(doc, name, ty)| {
            let mut text = String::new();
            super::docs::push_doc(&mut text, "    ", Some(doc));
            text.push_str(&declaration_text(name, ty)?);
            Some(text)
        })
        .collect();
    let req_doc = format!("The checked inputs of [`{}::{}`].", trait_name(api), op.name);
    if let Some(members) = as_text {
        return Ok(request_struct_text(&req_doc, &req_ident.to_string(), &members));
    }
    let mut fields = TokenStream::new();
    for (doc, name, ty) in &members {
        let (doc, name, ty) = (doc_attrs(Some(doc)), ident(name), super::text_tokens(ty, what)?);
        fields.extend(quote!(#doc pub #name: #ty,));
    }
    render_items(request_struct_tokens(&req_doc, req_ident, fields), what)
}

fn request_struct_tokens(doc: &str, name: &proc_macro2::Ident, fields: TokenStream) -> TokenStream {
    // Not `#[non_exhaustive]`, unlike the types: the router builds it, and the one place a
    // user builds it is a test of a handler, where a struct literal is the way in.
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug)]
        pub struct #name {
            #fields
        }
    }
}

/// The request struct's doc, derive and braces around its members' lines, as prettyplease
/// prints them (the doc names only identifiers; the head is never broken).
fn request_struct_text(doc: &str, name: &str, members: &str) -> String {
    let braces = if members.is_empty() { "{}\n" } else { "{\n" };
    let close = if members.is_empty() { "" } else { "}\n" };
    let mut text = String::with_capacity(doc.len() + name.len() + members.len() + 48);
    super::docs::push_doc(&mut text, "", Some(doc));
    text.push_str("#[derive(Clone, Debug)]\npub struct ");
    text.push_str(name);
    text.push(' ');
    text.push_str(braces);
    text.push_str(members);
    text.push_str(close);
    text
}

/// The module's `//!` docs and, when D1 serves the API under a path, `BASE_PATH` with its doc
/// (`base`: the doc's text and the path). Printed as text where every doc line prints as it is
/// (see [`inner_docs`]), else from tokens.
fn module_head(doc: &[String], base: Option<(&str, &str)>, what: &str) -> Result<String, Error> {
    if let (RootPart::Text(mut text), true) = (inner_docs(doc), base.is_none_or(|(d, _)| plain_doc_line(d))) {
        if let Some((doc, path)) = base {
            text.push_str("/// ");
            text.push_str(doc);
            text.push_str("\npub const BASE_PATH: &str = ");
            text.push_str(&super::string_literal(path));
            text.push_str(";\n");
        }
        return Ok(text);
    }
    render_items(module_head_tokens(doc, base), what)
}

fn module_head_tokens(doc: &[String], base: Option<(&str, &str)>) -> TokenStream {
    let doc = doc.iter().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    let base = base.map(|(doc, path)| {
        let doc = format!(" {doc}");
        quote! {
            #[doc = #doc]
            pub const BASE_PATH: &str = #path;
        }
    });
    quote! {
        #( #![doc = #doc] )*
        #base
    }
}

/// The API's trait: as text when every method is, else printed around the methods that are not.
fn api_trait(name: &str, doc: &str, methods: Vec<Member>, what: &str) -> Result<String, Error> {
    let mut text = String::new();
    if methods.iter().all(|m| matches!(m, Member::Text(_))) {
        super::docs::push_doc(&mut text, "", Some(doc));
        text.push_str("pub trait ");
        text.push_str(name);
        text.push_str(": ::std::marker::Send + ::std::marker::Sync + 'static {");
        text.push_str(if methods.is_empty() { "}\n" } else { "\n" });
        for method in &methods {
            if let Member::Text(method) = method {
                text.push_str(method);
            }
        }
        if !methods.is_empty() {
            text.push_str("}\n");
        }
        return Ok(text);
    }
    render_block(api_trait_head(name, doc), methods, what)
}

fn api_trait_head(name: &str, doc: &str) -> TokenStream {
    let (doc, name) = (doc_attrs(Some(doc)), ident(name));
    quote!(#doc pub trait #name: ::std::marker::Send + ::std::marker::Sync + 'static)
}

/// One path of the router.
struct Route {
    /// The path in axum's syntax.
    path: String,
    /// The method routers' names and their handlers' names, the first made with axum's
    /// `routing::` function of its name, the others chained to it.
    handlers: Vec<(&'static str, String)>,
    /// The methods the path allows, for the `405` of the others.
    allow: String,
}

impl Route {
    /// The `.route(…)` call of the chain in `routes`.
    fn tokens(&self) -> TokenStream {
        let (path, allow) = (&self.path, &self.allow);
        let mut chain = TokenStream::new();
        for (i, (f, h)) in self.handlers.iter().enumerate() {
            let (f, h) = (ident(f), ident(h));
            chain = if i == 0 {
                quote!(::d1_runtime::server::axum::routing::#f(#h::<A>))
            } else {
                quote!(#chain.#f(#h::<A>))
            };
        }
        quote! {
            .route(#path, #chain.fallback(|headers: ::d1_runtime::server::axum::http::HeaderMap| async move {
                ::d1_runtime::server::method_not_allowed(&headers, #allow)
            }))
        }
    }

    /// [`Route::tokens`] as prettyplease prints them in the chain of `routes` (the chain always
    /// breaks: the `fallback` line alone is past the margin), or `None` where a name might make
    /// them print otherwise.
    fn text(&self) -> Option<String> {
        let path = super::string_literal(&self.path);
        let allow = super::string_literal(&self.allow);
        let mut text = String::with_capacity(512);
        text.push_str("        .route(\n            ");
        text.push_str(&path);
        text.push_str(",\n");
        for (i, (f, h)) in self.handlers.iter().enumerate() {
            let lead = if i == 0 { "            ::d1_runtime::server::axum::routing::" } else { "                ." };
            let line = format!("{lead}{f}({h}::<A>)\n");
            let alone = format!("                    {h}::<A>,\n");
            if line.len() - 1 <= MARGIN {
                text.push_str(&line);
            } else if alone.len() - ",\n".len() <= MARGIN {
                text.push_str(&format!("{lead}{f}(\n{alone}                )\n"));
            } else {
                // Past the margin, prettyplease breaks `::<A>` too.
                text.push_str(&format!(
                    "{lead}{f}(\n                    {h}::<\n                        A,\n                    >,\n                )\n"
                ));
            }
        }
        text.push_str(
            "                .fallback(|headers: ::d1_runtime::server::axum::http::HeaderMap| async move {\n",
        );
        let call = format!("                    ::d1_runtime::server::method_not_allowed(&headers, {allow})\n");
        if call.len() - 1 <= MARGIN {
            text.push_str(&call);
        } else {
            text.push_str(&format!(
                "                    ::d1_runtime::server::method_not_allowed(\n                        &headers,\n                        {allow},\n                    )\n"
            ));
        }
        text.push_str("                }),\n        )\n");
        text.is_ascii().then_some(text)
    }

    /// [`Route::tokens`] printed by prettyplease in a chain of its own, cut out of it.
    fn printed(&self, what: &str) -> Result<String, Error> {
        let call = self.tokens();
        let printed = render_items(
            quote!(fn f() -> R { ::d1_runtime::server::axum::Router::new() #call .with_state(shared) }),
            what,
        )?;
        printed
            .strip_prefix("fn f() -> R {\n    ::d1_runtime::server::axum::Router::new()\n")
            .and_then(|rest| rest.strip_suffix("        .with_state(shared)\n}\n"))
            .map(str::to_string)
            .ok_or_else(|| Error::new(&Location::new(what, ""), "internal error: a route printed unexpectedly"))
    }
}

/// The `router` and `routes` functions of the API whose trait is `trait_name`: as text, each
/// route's call as text where [`Route::text`] allows and printed on its own where not; all
/// from tokens where the trait's name or having no routes would print the functions otherwise.
fn routes_fns(trait_name: &str, routes: &[Route], what: &str) -> Result<String, Error> {
    let router = format!("pub fn router<A: {trait_name}>(api: A) -> ::d1_runtime::server::axum::Router {{\n");
    if routes.is_empty() || router.len() - 1 > MARGIN || !trait_name.is_ascii() {
        return render_items(routes_fns_tokens(trait_name, routes.iter().map(Route::tokens)), what);
    }
    let mut text = String::with_capacity(routes.len() * 512 + 1024);
    text.push_str("/// Every operation of the API, with a JSON `404` for unknown paths.\n");
    text.push_str(&router);
    text.push_str(
        "    ::d1_runtime::server::finish(routes(api, ::d1_runtime::server::Config::default()))\n}\n\
         /// Every operation of the API and no fallback, to be merged or nested with the routes of\n\
         /// other APIs; call [`finish`](::d1_runtime::server::finish) on the combined router.\n\
         pub fn routes<A: ",
    );
    text.push_str(trait_name);
    text.push_str(
        ">(\n    api: A,\n    config: ::d1_runtime::server::Config,\n) -> ::d1_runtime::server::axum::Router {\n    \
         let shared = ::std::sync::Arc::new(::d1_runtime::server::Shared {\n        api,\n        config,\n    });\n    \
         ::d1_runtime::server::axum::Router::new()\n",
    );
    for route in routes {
        match route.text() {
            Some(route) => text.push_str(&route),
            None => text.push_str(&route.printed(what)?),
        }
    }
    text.push_str("        .with_state(shared)\n}\n");
    Ok(text)
}

fn routes_fns_tokens(trait_name: &str, route_calls: impl Iterator<Item = TokenStream>) -> TokenStream {
    let trait_ident = ident(trait_name);
    quote! {
        /// Every operation of the API, with a JSON `404` for unknown paths.
        pub fn router<A: #trait_ident>(api: A) -> ::d1_runtime::server::axum::Router {
            ::d1_runtime::server::finish(routes(api, ::d1_runtime::server::Config::default()))
        }

        /// Every operation of the API and no fallback, to be merged or nested with the routes of
        /// other APIs; call [`finish`](::d1_runtime::server::finish) on the combined router.
        pub fn routes<A: #trait_ident>(api: A, config: ::d1_runtime::server::Config) -> ::d1_runtime::server::axum::Router {
            let shared = ::std::sync::Arc::new(::d1_runtime::server::Shared { api, config });
            ::d1_runtime::server::axum::Router::new()
                #(#route_calls)*
                .with_state(shared)
        }
    }
}

/// The path part of the API's first server URL (`https://host/banking/v1` → `/banking/v1`).
fn base_path(api: &Api) -> Option<String> {
    let url = &api.servers.first()?.url;
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
    let path = path.trim_end_matches('/');
    (!path.is_empty() && !path.contains('{')).then(|| path.to_string())
}

/// The step reading an array parameter `p` of `shape`, as tokens: `let var = { let raw = …; … };`.
fn array_step_tokens(p: &Parameter, shape: &ParamShape, what: &str) -> Result<TokenStream, Error> {
    let var = ident(&p.ident);
    let name = &p.name;
    let loc = location_tokens(p.location);
    let split = |raw: TokenStream, prefix: String, separator: String| quote!(::d1_runtime::server::split_items(#raw, #prefix, #separator, #loc, #name, &mut inputs.violations));
    let raw = match (p.location, p.list_style) {
        (ParamLocation::Query, ListStyle::Joined(separator)) => {
            split(quote!(inputs.query.get(#name)), String::new(), separator.to_string())
        }
        (ParamLocation::Query, _) => quote!(inputs.query.all(#name)),
        (ParamLocation::Header, _) => {
            quote!(::d1_runtime::server::header_items(&inputs.parts.headers, #name, &mut inputs.violations))
        }
        (ParamLocation::Path, style) => {
            let (prefix, separator) = match style {
                ListStyle::Label { explode } => (".".to_string(), if explode { "." } else { "," }.to_string()),
                ListStyle::Matrix { explode } => {
                    let prefix = format!(";{name}=");
                    let separator = if explode { prefix.clone() } else { ",".to_string() };
                    (prefix, separator)
                }
                ListStyle::Repeated | ListStyle::Joined(_) => (String::new(), ",".to_string()),
            };
            split(quote!(inputs.path.get(#name)), prefix, separator)
        }
        (ParamLocation::Cookie, _) => {
            split(quote!(::d1_runtime::server::cookie(&inputs.parts.headers, #name)), String::new(), ",".to_string())
        }
    };
    let parser = super::text_tokens(&shape.parser, what)?;
    let parsed = quote!(inputs.violations.repeated(#loc, #name, &raw, #parser));
    let parsed = match &shape.list {
        Some(list) => {
            let list = super::text_tokens(list, what)?;
            quote!(#parsed.and_then(|items| inputs.violations.list::<_, #list>(#loc, #name, items)))
        }
        None => parsed,
    };
    let presence = if p.required || p.location == ParamLocation::Path {
        quote! {
            if raw.is_empty() {
                inputs.violations.push(#loc, #name, "is required");
                None
            } else {
                #parsed
            }
        }
    } else {
        quote! {
            if raw.is_empty() { Some(None) } else { #parsed.map(Some) }
        }
    };
    Ok(quote! {
        let #var = {
            let raw: Vec<&str> = #raw;
            #presence
        };
    })
}

#[allow(clippy::too_many_arguments)]
fn handler(
    ir: &Ir,
    api_name: &str,
    op: &Operation,
    bearer: bool,
    trait_name: &str,
    req_ident: &proc_macro2::Ident,
    checks: &mut checks::Checks,
    scope: Scope<'_>,
    what: &str,
) -> Result<String, Error> {
    let op_name = &op.name;
    let mut steps: Vec<Member> = Vec::new();
    // The request's members in order, each with whether its statement's value is an `Option`.
    let mut fields: Vec<(String, bool)> = Vec::new();
    let mut body_encodings_list = Vec::new();

    if bearer {
        // `serve` answers 401 before `extract` runs when the token is missing.
        steps.push(Member::Text("    let bearer_token = inputs.bearer.take()?;\n".to_string()));
        fields.push(("bearer_token".to_string(), false));
    }
    for p in &op.params {
        if let Some(style) = p.value_style {
            // As the request struct declares it: a default makes the member always there,
            // except for arrays.
            let default = p.default.as_ref().filter(|_| !param_shape(ir, &p.ty, scope).array);
            steps.push(styled_step(ir, op, p, style, default, scope).into());
            let early = p.required || p.location == ParamLocation::Path || default.is_some();
            fields.push((p.ident.clone(), early));
            continue;
        }
        let shape = param_shape(ir, &p.ty, scope);
        let name = &p.name;
        let is_path = p.location == ParamLocation::Path;
        if shape.array {
            let text = match (p.location, p.list_style, &shape.list, p.required) {
                (ParamLocation::Query, ListStyle::Joined(separator), Some(list), false) => {
                    joined_query_list_text(&p.ident, &super::string_literal(name), separator, &shape.parser, list)
                }
                _ => None,
            };
            steps.push(match text {
                Some(text) => Member::Text(text),
                None => array_step_tokens(p, &shape, what)?.into(),
            });
            fields.push((p.ident.clone(), true));
            continue;
        }
        // `let var = inputs.required(location, "name", parser);` and the like: as text where
        // `call_text` knows how prettyplease lays it out, as tokens where it does not.
        let default = p.default.as_ref().filter(|_| !(p.required || is_path)).map(default_text);
        let method = if p.required || is_path {
            "required"
        } else if default.is_some() {
            "defaulted"
        } else {
            "optional"
        };
        fields.push((p.ident.clone(), method != "optional"));
        let mut args = vec![location_path(p.location).to_string(), super::string_literal(name)];
        args.extend(default.as_deref().map(super::string_literal));
        args.push(shape.parser);
        steps.push(match call_text(&p.ident, method, &args) {
            Some(text) => Member::Text(text),
            None => {
                let (var, loc, method, default) =
                    (ident(&p.ident), location_tokens(p.location), ident(method), default.iter());
                let parser = super::text_tokens(&args[args.len() - 1], what)?;
                quote!(let #var = inputs.#method(#loc, #name, #(#default,)* #parser);).into()
            }
        });
    }
    if let Some(body) = &op.body {
        let encodings = body_encodings(body);
        let check = checks.check(&body.ty);
        let form = checks.form_fields(&body.ty);
        body_encodings_list = encodings;
        let fields_text: Vec<(String, String)> =
            form.iter().map(|(name, kind)| (super::string_literal(name), kind.clone())).collect();
        let ty = type_string(ir, &body.ty, scope);
        let text = check.text("value", 20).and_then(|lines| body_step_text(&ty, body.required, &fields_text, &lines));
        steps.push(match text {
            Some(text) => Member::Text(text),
            None => {
                let form_fields = form_field_tokens(&form);
                let check = check.tokens(&quote!(value), &quote!(::std::option::Option::None));
                body_step_tokens(&type_tokens(ir, &body.ty, scope), body.required, &form_fields, &check).into()
            }
        });
        fields.push(("body".to_string(), body.required));
    }
    let route = format!("{} {}", op.method.as_str(), op.path);
    let handler = Handler { api: api_name, name: op_name, route: &route, bearer, trait_name };
    let mut text = match handler.text(&body_encodings_list) {
        Some(text) => text,
        None => render_items(handler.tokens(&body_encodings_list), what)?,
    };
    let extract = Extract { name: op_name, request: &req_ident.to_string(), fields };
    text.push_str(&extract.print(steps, what)?);
    Ok(text)
}

/// An operation's `extract_` function: its statements read the request's members, its last
/// expression builds the request.
struct Extract<'a> {
    /// The operation's name.
    name: &'a str,
    /// The request struct's name.
    request: &'a str,
    /// The request's members, each with whether its statement's value is an `Option` the
    /// function returns early on (`member?`).
    fields: Vec<(String, bool)>,
}

impl Extract<'_> {
    fn doc(&self) -> String {
        format!("The checked inputs of `{}`; `None` when one is invalid (each recorded in `inputs`).", self.name)
    }

    /// The function around `statements`: as text when every statement is text and the head and
    /// the last expression print as [`Extract::text`] lays them out, else printed around the
    /// statements given as tokens.
    fn print(&self, statements: Vec<Member>, what: &str) -> Result<String, Error> {
        if statements.iter().all(|s| matches!(s, Member::Text(_))) {
            let lines = statements.iter().map(|s| if let Member::Text(t) = s { t.as_str() } else { "" });
            if let Some(text) = self.text(!statements.is_empty(), lines) {
                return Ok(text);
            }
        }
        let inputs = if statements.is_empty() { quote!(_inputs) } else { quote!(inputs) };
        fn_with_statements(self.head(inputs), statements, self.tail(), what)
    }

    fn head(&self, inputs: TokenStream) -> TokenStream {
        let doc = format!(" {}", self.doc());
        let (name, request) = (format_ident!("extract_{}", self.name), ident(self.request));
        quote! {
            #[doc = #doc]
            fn #name(#inputs: &mut ::d1_runtime::server::Inputs<'_>) -> ::std::option::Option<#request>
        }
    }

    fn tail(&self) -> TokenStream {
        let request = ident(self.request);
        let values = self.fields.iter().map(|(field, early)| {
            let field = ident(field);
            if *early {
                quote!(#field: #field?)
            } else {
                quote!(#field)
            }
        });
        quote!(::std::option::Option::Some(#request { #(#values),* }))
    }

    /// The function as prettyplease prints it, the statements' lines given; `None` where a name
    /// might make the head or the last expression print otherwise.
    fn text<'s>(&self, reads: bool, statements: impl Iterator<Item = &'s str>) -> Option<String> {
        let (name, request) = (self.name, self.request);
        let inputs = if reads { "inputs" } else { "_inputs" };
        let head = format!(
            "fn extract_{name}({inputs}: &mut ::d1_runtime::server::Inputs<'_>) -> ::std::option::Option<{request}> {{\n"
        );
        let output = format!(") -> ::std::option::Option<{request}> {{\n");
        let output = if output.len() - 1 <= MARGIN {
            output
        } else {
            format!(") -> ::std::option::Option<\n    {request},\n> {{\n")
        };
        let head = if head.len() - 1 <= MARGIN {
            head
        } else {
            format!("fn extract_{name}(\n    {inputs}: &mut ::d1_runtime::server::Inputs<'_>,\n{output}")
        };
        let values: Vec<String> = self
            .fields
            .iter()
            .map(|(field, early)| if *early { format!("{field}: {field}?") } else { field.clone() })
            .collect();
        let some = format!("    ::std::option::Option::Some({request} {{");
        // prettyplease breaks a struct literal wider than 34 columns.
        let one_line = format!("{request} {{ {} ", values.join(", "));
        let tail = if values.is_empty() {
            // Broken in between (measured: the test sweeps the name's length); past the margin,
            // prettyplease keeps the empty literal whole.
            if request.len() + 2 <= 33 || some.len() > MARGIN {
                format!("{some}}})\n")
            } else {
                format!("{some}\n    }})\n")
            }
        } else if one_line.len() <= 34 && format!("    ::std::option::Option::Some({one_line}}})").len() <= MARGIN {
            format!("    ::std::option::Option::Some({one_line}}})\n")
        } else {
            let mut tail = format!("{some}\n");
            for value in &values {
                tail.push_str("        ");
                tail.push_str(value);
                tail.push_str(",\n");
            }
            tail + "    })\n"
        };
        // Past the margin only names alone on their line (with what cannot leave it), which
        // have nowhere to break.
        let alone = |line: &str| {
            line == format!("fn extract_{name}(")
                || line == format!("    {request},")
                || line == some
                || line == format!("{some}}})")
                || line.strip_prefix("        ").is_some_and(|value| values.iter().any(|v| value == format!("{v},")))
        };
        if !(head.is_ascii() && tail.is_ascii())
            || head.lines().chain(tail.lines()).any(|l| l.len() > MARGIN && !alone(l))
        {
            return None;
        }
        let mut text = String::with_capacity(512);
        super::docs::push_doc(&mut text, "", Some(&self.doc()));
        text.push_str(&head);
        for statement in statements {
            text.push_str(statement);
        }
        text.push_str(&tail);
        text.push_str("}\n");
        Some(text)
    }
}

/// The statement reading the body of type `ty`, checking it with `check`.
/// A form body's fields as the `(name, kind)` tuples `body_step_tokens` lists: each name a
/// string literal, each kind a path.
fn form_field_tokens(fields: &[(String, String)]) -> Vec<TokenStream> {
    fields
        .iter()
        .map(|(name, kind)| {
            let kind = path_tokens(kind);
            quote!((#name, #kind))
        })
        .collect()
}

fn body_step_tokens(ty: &TokenStream, required: bool, form_fields: &[TokenStream], check: &TokenStream) -> TokenStream {
    let missing = if required {
        quote!(inputs.violations.push(::d1_runtime::server::In::Body, "", "is required");)
    } else {
        TokenStream::new()
    };
    // A body without constraints (raw bytes, an open value) has nothing to check.
    let (value, c) = if check.is_empty() { (quote!(_value), quote!(_c)) } else { (quote!(value), quote!(c)) };
    quote! {
        let body: ::std::option::Option<#ty> = match inputs.body.take() {
            None => {
                #missing
                None
            }
            Some((encoding, bytes)) => ::d1_runtime::server::checked_body(
                encoding,
                &bytes,
                &[#(#form_fields),*],
                |#value: &::serde_json::Value, #c: &mut ::d1_runtime::server::Checker| { #check },
                &mut inputs.violations,
            ),
        };
    }
}

/// [`body_step_tokens`] as prettyplease prints it in the body of a top-level function: `ty` the
/// body's type, `form_fields` the quoted names and kinds of the form fields, `check` the lines of
/// the check at the depth of the closure's body (empty: nothing to check). `None` where a name
/// might make it print otherwise.
fn body_step_text(ty: &str, required: bool, form_fields: &[(String, String)], check: &str) -> Option<String> {
    let head = format!("    let body: ::std::option::Option<{ty}> = match inputs.body.take() {{\n");
    let scrutinee = format!("    let body: ::std::option::Option<{ty}> = match inputs");
    // The type's lines where it is broken, measured by `type_lines`.
    let mut alone = String::new();
    let head = if head.len() - 1 <= MARGIN {
        head
    } else if head.len() - " {\n".len() <= MARGIN {
        format!("{scrutinee}.body.take()\n    {{\n")
    } else if scrutinee.len() <= MARGIN + 12 {
        // prettyplease keeps the type whole up to 12 columns past the margin (measured: the
        // test sweeps the boundary) and breaks the scrutinee's chain.
        format!("{scrutinee}\n        .body\n        .take()\n    {{\n")
    } else {
        alone = super::types::type_lines(8, "", ty, ",", false)?;
        format!("    let body: ::std::option::Option<\n{alone}    > = match inputs.body.take() {{\n")
    };
    let none = if required {
        "        None => {\n            inputs.violations.push(::d1_runtime::server::In::Body, \"\", \"is required\");\n            None\n        }\n"
    } else {
        "        None => None,\n"
    };
    let check = if check.is_empty() {
        // Past the margin: a closure with an empty body has nowhere to break.
        "                |_value: &::serde_json::Value, _c: &mut ::d1_runtime::server::Checker| {},\n".to_string()
    } else {
        format!(
            "                |value: &::serde_json::Value, c: &mut ::d1_runtime::server::Checker| {{\n{check}                }},\n"
        )
    };
    let fields = form_fields_text(form_fields)?;
    let text = format!(
        "{head}{none}        Some((encoding, bytes)) => {{
            ::d1_runtime::server::checked_body(
                encoding,
                &bytes,
{fields}{check}                &mut inputs.violations,
            )
        }}
    }};
"
    );
    // Past the margin only what has nowhere to break (the check's lines were measured already).
    let past = |line: &str| {
        line.len() > MARGIN
            && !line.ends_with(" = match inputs")
            && !line.ends_with("::Checker| {},")
            && ![&alone, &check, &fields].iter().any(|lines| lines.lines().any(|l| l == line))
    };
    (text.is_ascii() && !text.lines().any(past)).then_some(text)
}

/// The form fields argument of [`body_step_tokens`] (`&[("name", kind), …],`) as prettyplease
/// prints it among the broken arguments of `checked_body`: on one line when it fits, else one
/// field a line, a field too long for its line broken after its parenthesis. `None` where a
/// line would pass the margin with something on it that could break.
fn form_fields_text(fields: &[(String, String)]) -> Option<String> {
    let tuples: Vec<String> = fields.iter().map(|(name, kind)| format!("({name}, {kind})")).collect();
    let line = format!("                &[{}],\n", tuples.join(", "));
    if line.len() - 1 <= MARGIN {
        return Some(line);
    }
    let mut text = "                &[\n".to_string();
    for (i, (name, kind)) in fields.iter().enumerate() {
        // The comma after the last field is prettyplease's own: it does not count.
        let last = i + 1 == fields.len();
        let line = format!("                    ({name}, {kind}),\n");
        if line.len() - 1 - usize::from(last) <= MARGIN {
            text.push_str(&line);
        } else {
            let kind = format!("                        {kind},\n");
            if kind.len() - 2 > MARGIN {
                return None;
            }
            text.push_str(&format!(
                "                    (\n                        {name},\n{kind}                    ),\n"
            ));
        }
    }
    text.push_str("                ],\n");
    Some(text)
}

/// The statement reading an optional query parameter that is a list joined by `separator`
/// into its list type, as prettyplease prints it in the body of a top-level function (`name`
/// is the quoted literal), with the generics of the call of `list` broken. `None` where it
/// might print otherwise: that call fitting on one line, or a line over the margin.
fn joined_query_list_text(var: &str, name: &str, separator: char, parser: &str, list: &str) -> Option<String> {
    let loc = location_path(ParamLocation::Query);
    let args = format!("({loc}, {name}, items)");
    if format!("                        .list::<_, {list}>{args}").len() <= MARGIN {
        return None;
    }
    let list_call = format!(
        "                        .list::<\n                            _,\n                            {list},\n                        >{args}"
    );
    let separator = Literal::string(&separator.to_string());
    let parser = argument_lines("                    ", parser)?;
    let text = format!(
        "    let {var} = {{
        let raw: Vec<&str> = ::d1_runtime::server::split_items(
            inputs.query.get({name}),
            \"\",
            {separator},
            {loc},
            {name},
            &mut inputs.violations,
        );
        if raw.is_empty() {{
            Some(None)
        }} else {{
            inputs
                .violations
                .repeated(
                    {loc},
                    {name},
                    &raw,
{parser}                )
                .and_then(|items| {{
                    inputs
                        .violations
{list_call}
                }})
                .map(Some)
        }}
    }};
"
    );
    // The list type alone on its line has nowhere to break.
    let list_line = format!("                            {list},");
    let fits = text.lines().all(|line| line == list_line || fits_but_commas(line));
    (text.is_ascii() && fits).then_some(text)
}

/// `    let var = inputs.method(args);` as prettyplease prints it in the body of a top-level
/// function: on one line when it fits, else the call on a line of its own, its arguments on
/// that line when they fit, else one per line. `None` where it might print otherwise (a line
/// over the margin).
fn call_text(var: &str, method: &str, args: &[String]) -> Option<String> {
    let args_text = args.join(", ");
    let one_line = format!("    let {var} = inputs.{method}({args_text});\n");
    if !one_line.is_ascii() {
        return None;
    }
    if one_line.len() - 1 <= MARGIN {
        return Some(one_line);
    }
    // Broken after `inputs`: `    let var = inputs` has nowhere to break, nor `        .method(`.
    let call_head = "        .".len() + method.len() + "(".len();
    if "    let ".len() + var.len() + " = inputs".len() > MARGIN || call_head > MARGIN {
        return None;
    }
    if call_head + args_text.len() + ");".len() <= MARGIN {
        return Some(format!("    let {var} = inputs\n        .{method}({args_text});\n"));
    }
    // The arguments' lines are measured by `argument_lines`.
    let mut text = format!("    let {var} = inputs\n        .{method}(\n");
    for arg in args {
        text.push_str(&argument_lines("            ", arg)?);
    }
    text.push_str("        );\n");
    Some(text)
}

/// An argument alone on its line (`indent` before it) of a broken argument list, as prettyplease
/// prints it: whole when it fits, its trailing comma past the margin allowed; else, for a path
/// with one generic argument without generics of its own (`parse_from_str::<T>`), that argument
/// on a line of its own. `None` where it might print otherwise.
fn argument_lines(indent: &str, arg: &str) -> Option<String> {
    let line = format!("{indent}{arg},\n");
    if line.len() - ",\n".len() <= MARGIN {
        return Some(line);
    }
    let (path, inner) = arg.strip_suffix('>')?.split_once("::<")?;
    if inner.contains(['<', ',']) {
        return None;
    }
    // The argument alone on its line has nowhere to break, past the margin or not.
    Some(format!("{indent}{path}::<\n{indent}    {inner},\n{indent}>,\n"))
}

/// `fits`, but a line ending with a comma may end one column past the margin: prettyplease
/// does not count the comma it adds after the last item of a broken list.
fn fits_but_commas(text: &str) -> bool {
    text.is_ascii() && text.lines().all(|l| l.len() <= MARGIN || (l.ends_with(',') && l.len() - 1 <= MARGIN))
}

/// One variant of a response enum: a status the spec declares.
struct Variant {
    doc: String,
    name: String,
    status: Status,
    /// The body's type (as [`super::type_text`] prints it), and its media type when it is sent
    /// as raw bytes.
    body: Option<(String, Option<String>)>,
}

/// An operation's response enum, with its `status` method and `IntoResponse` implementation.
struct Response {
    doc: String,
    name: String,
    variants: Vec<Variant>,
}

impl Response {
    fn tokens(&self, what: &str) -> Result<TokenStream, Error> {
        let resp_doc = &self.doc;
        let resp_ident = ident(&self.name);
        if self.variants.is_empty() {
            return Ok(quote! {
                #[doc = #resp_doc]
                #[derive(Clone, Debug)]
                #[non_exhaustive]
                pub enum #resp_ident {}
                impl #resp_ident {
                    /// The HTTP status of this response.
                    pub fn status(&self) -> ::d1_runtime::server::axum::http::StatusCode {
                        match *self {}
                    }
                }
                impl ::d1_runtime::server::axum::response::IntoResponse for #resp_ident {
                    fn into_response(self) -> ::d1_runtime::server::axum::response::Response {
                        match self {}
                    }
                }
            });
        }
        let mut variants = Vec::new();
        let mut arms = Vec::new();
        let mut status_arms = Vec::new();
        for r in &self.variants {
            let v = ident(&r.name);
            let d = doc_attrs(Some(&r.doc));
            let body_ty = r.body.as_ref().map(|(ty, _)| super::text_tokens(ty, what)).transpose()?;
            // The status carried by the variant (ranges and `default`), or the declared code.
            let (status_expr, status_ty) = match r.status {
                Status::Code(code) => (status_code(code), None),
                Status::Range(2) => (quote!(status.status()), Some(quote!(::d1_runtime::server::Status2xx))),
                Status::Range(n) => {
                    let n = Literal::u16_unsuffixed(n);
                    (quote!(status.status()), Some(quote!(::d1_runtime::server::StatusClass<#n>)))
                }
                Status::Default => (quote!(*status), Some(quote!(::d1_runtime::server::axum::http::StatusCode))),
            };
            // `into_response` takes the status from `status()` first, so its arms only write.
            let write = match &r.body {
                None => quote!(::d1_runtime::server::empty_response(status)),
                Some((_, Some(ct))) => quote!(::d1_runtime::server::bytes_response(status, #ct, body)),
                Some((_, None)) => quote!(::d1_runtime::server::json_response(status, &body)),
            };
            match (status_ty, body_ty) {
                (None, None) => {
                    variants.push(quote!(#d #v,));
                    arms.push(quote!(Self::#v => #write,));
                    status_arms.push(quote!(Self::#v => #status_expr,));
                }
                (None, Some(ty)) => {
                    variants.push(quote!(#d #v(#ty),));
                    arms.push(quote!(Self::#v(body) => #write,));
                    status_arms.push(quote!(Self::#v(_) => #status_expr,));
                }
                (Some(st), None) => {
                    variants.push(quote!(#d #v(#st),));
                    arms.push(quote!(Self::#v(_) => #write,));
                    status_arms.push(quote!(Self::#v(status) => #status_expr,));
                }
                (Some(st), Some(ty)) => {
                    variants.push(quote!(#d #v(#st, #ty),));
                    arms.push(quote!(Self::#v(_, body) => #write,));
                    status_arms.push(quote!(Self::#v(status, _) => #status_expr,));
                }
            }
        }
        Ok(quote! {
            #[doc = #resp_doc]
            #[derive(Clone, Debug)]
            #[allow(clippy::large_enum_variant)]
            #[non_exhaustive]
            pub enum #resp_ident {
                #(#variants)*
            }
            impl #resp_ident {
                /// The HTTP status of this response.
                pub fn status(&self) -> ::d1_runtime::server::axum::http::StatusCode {
                    match self {
                        #(#status_arms)*
                    }
                }
            }
            impl ::d1_runtime::server::axum::response::IntoResponse for #resp_ident {
                fn into_response(self) -> ::d1_runtime::server::axum::response::Response {
                    let status = self.status();
                    match self {
                        #(#arms)*
                    }
                }
            }
        })
    }

    /// [`Response::tokens`] as prettyplease prints them; `None` for an enum without variants,
    /// for codes without a named constant that are not three digits, and where a name or a type
    /// might make them print
    /// otherwise (a variant on one line or each of its fields on a line of its own, an arm on
    /// one line or its body alone in braces, with a margin to spare at the boundaries).
    fn text(&self) -> Option<String> {
        let name = &self.name;
        let fits = |line: &str| line.len() <= MARGIN;
        let (mut variants, mut status_arms, mut arms) = (String::new(), String::new(), String::new());
        for v in &self.variants {
            let variant = &v.name;
            // The status carried by the variant (ranges and `default`), or the declared code.
            let (status, carried) = match v.status {
                Status::Code(code) => match naming::status_constant(code) {
                    Some(constant) => (format!("::d1_runtime::server::axum::http::StatusCode::{constant}"), None),
                    None => (String::new(), None),
                },
                Status::Range(2) => {
                    ("status.status()".to_string(), Some("::d1_runtime::server::Status2xx".to_string()))
                }
                Status::Range(n) => {
                    ("status.status()".to_string(), Some(format!("::d1_runtime::server::StatusClass<{n}>")))
                }
                Status::Default => {
                    ("*status".to_string(), Some("::d1_runtime::server::axum::http::StatusCode".to_string()))
                }
            };
            let write = match &v.body {
                None => "::d1_runtime::server::empty_response(status)".to_string(),
                Some((_, Some(ct))) => {
                    format!("::d1_runtime::server::bytes_response(status, {}, body)", super::string_literal(ct))
                }
                Some((_, None)) => "::d1_runtime::server::json_response(status, &body)".to_string(),
            };
            let (pattern, status_pattern) = match (&carried, &v.body) {
                (None, None) => (format!("Self::{variant}"), format!("Self::{variant}")),
                (None, Some(_)) => (format!("Self::{variant}(body)"), format!("Self::{variant}(_)")),
                (Some(_), None) => (format!("Self::{variant}(_)"), format!("Self::{variant}(status)")),
                (Some(_), Some(_)) => (format!("Self::{variant}(_, body)"), format!("Self::{variant}(status, _)")),
            };
            let mut fields = Vec::new();
            fields.extend(carried);
            if let Some((ty, _)) = &v.body {
                fields.push(ty.clone());
            }
            super::docs::push_doc(&mut variants, "    ", Some(&v.doc));
            if fields.is_empty() {
                variants.push_str(&format!("    {variant},\n"));
            } else {
                let line = format!("    {variant}({}),", fields.join(", "));
                if fits(&line) {
                    variants.push_str(&line);
                    variants.push('\n');
                } else {
                    // Each field alone on its line, broken further where it does not fit (a
                    // path has nowhere to break).
                    variants.push_str(&format!("    {variant}(\n"));
                    for (i, ty) in fields.iter().enumerate() {
                        variants.push_str(&super::types::type_lines(8, "", ty, ",", i + 1 < fields.len())?);
                    }
                    variants.push_str("    ),\n");
                }
            }
            status_arms.push_str(&match v.status {
                Status::Code(code) if status.is_empty() => unnamed_status_arm(&status_pattern, code)?,
                _ => arm_text(&status_pattern, &status)?,
            });
            arms.push_str(&match &v.body {
                Some((_, Some(ct))) => bytes_arm_text(&pattern, &super::string_literal(ct))?,
                _ => arm_text(&pattern, &write)?,
            });
        }
        // Widths are counted in bytes: only the docs may hold other characters.
        if variants.is_empty() || !variants.lines().all(|l| l.is_ascii() || l.trim_start().starts_with("///")) {
            return None;
        }
        let head = format!("impl ::d1_runtime::server::axum::response::IntoResponse for {name} {{");
        let head = if fits(&head) {
            head
        } else {
            format!("impl ::d1_runtime::server::axum::response::IntoResponse\nfor {name} {{")
        };
        let mut text = String::new();
        super::docs::push_doc(&mut text, "", Some(&self.doc));
        text.push_str(&format!(
            "#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
#[non_exhaustive]
pub enum {name} {{
{variants}}}
impl {name} {{
    /// The HTTP status of this response.
    pub fn status(&self) -> ::d1_runtime::server::axum::http::StatusCode {{
        match self {{
{status_arms}        }}
    }}
}}
{head}
    fn into_response(self) -> ::d1_runtime::server::axum::response::Response {{
        let status = self.status();
        match self {{
{arms}        }}
    }}
}}
"
        ));
        Some(text)
    }
}

/// A match arm at the depth of the arms of [`Response::text`], as prettyplease prints it: on one
/// line when it fits without its comma, else its body alone in braces; `None` when that body
/// or the pattern's line would not fit either (prettyplease would break the pattern).
fn arm_text(pattern: &str, body: &str) -> Option<String> {
    let line = format!("            {pattern} => {body},");
    if line.len() - 1 <= MARGIN {
        return Some(line + "\n");
    }
    let (open, inner) = (format!("            {pattern} => {{"), format!("                {body}"));
    (open.len() <= MARGIN && inner.len() <= MARGIN).then(|| format!("{open}\n{inner}\n            }}\n"))
}

/// An arm writing raw bytes of the media type `ct` (a quoted literal), as [`arm_text`] prints
/// it, the call's arguments one per line where the call does not fit its line.
fn bytes_arm_text(pattern: &str, ct: &str) -> Option<String> {
    let call = "::d1_runtime::server::bytes_response";
    if let Some(text) = arm_text(pattern, &format!("{call}(status, {ct}, body)")) {
        return Some(text);
    }
    let open = format!("            {pattern} => {{");
    (open.len() <= MARGIN).then(|| {
        format!(
            "{open}\n                {call}(\n                    status,\n                    {ct},\n                    body,\n                )\n            }}\n"
        )
    })
}

/// A status arm of [`Response::text`] for a code `http` has no constant for, as prettyplease
/// prints it (the code's expression never fits one line); `None` for a code that is not three
/// digits or a pattern that would not fit.
fn unnamed_status_arm(pattern: &str, code: u16) -> Option<String> {
    let open = format!("            {pattern} => {{\n");
    ((100..=999).contains(&code) && open.len() - 1 <= MARGIN).then(|| {
        format!(
            "{open}                ::d1_runtime::server::axum::http::StatusCode::from_u16({code})
                    .unwrap_or(
                        ::d1_runtime::server::axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    )
            }}
"
        )
    })
}

/// An operation's method of the API trait.
struct TraitMethod<'a> {
    name: &'a str,
    /// The request struct's name.
    request: &'a str,
    /// The response enum's name.
    response: &'a str,
}

impl TraitMethod<'_> {
    fn tokens(&self, doc: &str) -> TokenStream {
        let doc = doc_attrs(Some(doc));
        let (name, request, response) = (ident(self.name), ident(self.request), ident(self.response));
        quote! {
            #doc
            fn #name(&self, request: #request)
                -> impl ::std::future::Future<Output = ::std::result::Result<#response, ::d1_runtime::server::ApiError>> + ::std::marker::Send;
        }
    }

    /// [`TraitMethod::tokens`] as prettyplease prints them inside the trait, or `None` where the
    /// names might make them print otherwise.
    fn text(&self, doc: &str) -> Option<String> {
        let (name, request, response) = (self.name, self.request, self.response);
        // The result type on one line when it fits there, less its trailing comma.
        let result = format!("        Output = ::std::result::Result<{response}, ::d1_runtime::server::ApiError>");
        let result = if result.len() <= MARGIN {
            result + ",\n"
        } else {
            format!(
                "        Output = ::std::result::Result<
            {response},
            ::d1_runtime::server::ApiError,
        >,
"
            )
        };
        let code = format!(
            "    fn {name}(
        &self,
        request: {request},
    ) -> impl ::std::future::Future<
{result}    > + ::std::marker::Send;
"
        );
        // Past the margin only a name alone on its line, which has nowhere to break, and the
        // comma prettyplease adds after the last generic argument.
        let alone = |line: &str| {
            (line.starts_with("        Output = ") && line.len() - 1 <= MARGIN)
                || line == format!("    fn {name}(")
                || line == format!("        request: {request},")
                || line == format!("            {response},")
        };
        if !code.is_ascii() || code.lines().any(|line| line.len() > MARGIN && !alone(line)) {
            return None;
        }
        let mut text = String::with_capacity(doc.len() + code.len() + 16);
        super::docs::push_doc(&mut text, "    ", Some(doc));
        text.push_str(&code);
        Some(text)
    }
}

/// What an operation's handler is made of: it reads the operation's inputs with its `extract_`
/// function and calls the implementation.
struct Handler<'a> {
    /// The API's module name.
    api: &'a str,
    /// The operation's name (its trait method).
    name: &'a str,
    /// `GET /path`.
    route: &'a str,
    bearer: bool,
    trait_name: &'a str,
}

impl Handler<'_> {
    fn doc(&self) -> String {
        format!("Checks the inputs of `{}`, then calls the implementation.", self.route)
    }

    fn tokens(&self, encodings: &[&str]) -> TokenStream {
        let doc = format!(" {}", self.doc());
        let (api, name, bearer) = (self.api, self.name, self.bearer);
        let (trait_ident, method_ident) = (ident(self.trait_name), ident(name));
        let (handler_ident, extract_ident) = (format_ident!("handle_{name}"), format_ident!("extract_{name}"));
        let encodings = encodings.iter().map(|e| path_tokens(e));
        quote! {
            #[doc = #doc]
            fn #handler_ident<A: #trait_ident>(
                ::d1_runtime::server::axum::extract::State(shared): ::d1_runtime::server::axum::extract::State<::std::sync::Arc<::d1_runtime::server::Shared<A>>>,
                params: ::std::result::Result<::d1_runtime::server::axum::extract::RawPathParams, ::d1_runtime::server::axum::extract::rejection::RawPathParamsRejection>,
                request: ::d1_runtime::server::axum::extract::Request,
            ) -> impl ::std::future::Future<Output = ::d1_runtime::server::axum::response::Response> + ::std::marker::Send {
                let operation = &::d1_runtime::server::Operation {
                    api: #api,
                    name: #name,
                    bearer: #bearer,
                    body: &[#(#encodings),*],
                };
                let body_limit = shared.config.body_limit;
                ::d1_runtime::server::serve(operation, body_limit, params, request, #extract_ident, move |request| async move {
                    shared.api.#method_ident(request).await
                })
            }
        }
    }

    /// [`Handler::tokens`] as prettyplease prints them, or `None` where a name might make them
    /// print otherwise (a line over the margin, a route that is not plain text).
    fn text(&self, encodings: &[&str]) -> Option<String> {
        let (name, trait_name, bearer) = (self.name, self.trait_name, self.bearer);
        let call = format!("        move |request| async move {{ shared.api.{name}(request).await }},\n");
        // The trailing comma of a broken argument list does not count towards the margin.
        let call = if call.len() - ",\n".len() <= MARGIN {
            call
        } else {
            let line = format!("            shared.api.{name}(request).await\n");
            let method = format!("                .{name}(request)\n");
            let body = if line.len() - 1 <= MARGIN {
                line
            } else if method.len() - 1 <= MARGIN {
                format!("            shared\n                .api\n{method}                .await\n")
            } else {
                format!(
                    "            shared\n                .api\n                .{name}(\n                    request,\n                )\n                .await\n"
                )
            };
            format!("        move |request| async move {{\n{body}        }},\n")
        };
        let head = format!("fn handle_{name}<A: {trait_name}>(\n");
        let head =
            if head.len() - 1 <= MARGIN { head } else { format!("fn handle_{name}<\n    A: {trait_name},\n>(\n") };
        let code = format!(
            "{head}    ::d1_runtime::server::axum::extract::State(
        shared,
    ): ::d1_runtime::server::axum::extract::State<
        ::std::sync::Arc<::d1_runtime::server::Shared<A>>,
    >,
    params: ::std::result::Result<
        ::d1_runtime::server::axum::extract::RawPathParams,
        ::d1_runtime::server::axum::extract::rejection::RawPathParamsRejection,
    >,
    request: ::d1_runtime::server::axum::extract::Request,
) -> impl ::std::future::Future<
    Output = ::d1_runtime::server::axum::response::Response,
> + ::std::marker::Send {{
    let operation = &::d1_runtime::server::Operation {{
        api: {api},
        name: {name_literal},
        bearer: {bearer},
        body: &[{encodings}],
    }};
    let body_limit = shared.config.body_limit;
    ::d1_runtime::server::serve(
        operation,
        body_limit,
        params,
        request,
        extract_{name},
{call}    )
}}
",
            api = super::string_literal(self.api),
            name_literal = super::string_literal(name),
            encodings = encodings.join(", "),
        );
        let doc = self.doc();
        let mut text = String::with_capacity(doc.len() + code.len() + 8);
        super::docs::push_doc(&mut text, "", Some(&doc));
        let plain = text.is_ascii() && !text.bytes().any(|b| b < b' ' && b != b'\n') && text.lines().count() == 1;
        text.push_str(&code);
        // The call's lines were measured above, by their own rules; the name alone on a line
        // has nowhere to break.
        let alone = |line: &str| {
            call.contains(line)
                || line.starts_with(&format!("fn handle_{name}"))
                || line.trim_start().starts_with(&format!("extract_{name},"))
                || line.trim_start().starts_with(&format!("name: \"{name}\","))
        };
        let fits = code.lines().all(|line| line.len() <= MARGIN || alone(line));
        (plain && fits).then_some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parameter statements printed as text equal prettyplease's printing of their tokens,
    /// in a function whose other statements are printed from tokens, across name lengths that
    /// take each layout and the fallback.
    #[test]
    fn parameter_statements_print_as_prettyplease_prints_them() {
        let parsers = [
            "::d1_runtime::server::parse_i32".to_string(),
            "::d1_runtime::server::parse_from_str::<::d1_types::some_module::SomeType>".to_string(),
            "::d1_runtime::server::parse_from_str::<::d1_types::a_longer_module::ALongerTypeName>".to_string(),
            format!("::d1_runtime::server::parse_from_str::<::d1_types::graph::{}>", "Long".repeat(20)),
        ];
        let (mut as_text, mut one_line, mut broken_generic, mut left) = (0, 0, 0, 0);
        for n in 1..90 {
            for (i, parser) in parsers.iter().enumerate() {
                for (method, default) in [("required", None), ("optional", None), ("defaulted", Some("ten"))] {
                    let var = format!("v{}", "x".repeat(n));
                    let name = format!("n{}", "y".repeat((n * 7 + i) % 40));
                    let location = location_path(if n % 2 == 0 { ParamLocation::Query } else { ParamLocation::Path });
                    let mut args = vec![location.to_string(), Literal::string(&name).to_string()];
                    args.extend(default.map(|d| Literal::string(d).to_string()));
                    args.push(parser.clone());
                    let Some(text) = call_text(&var, method, &args) else {
                        left += 1;
                        continue;
                    };
                    one_line += usize::from(text.lines().count() == 2);
                    broken_generic += usize::from(text.contains("::<\n"));
                    let (var, method) = (ident(&var), ident(method));
                    let (location, parser) = (path_tokens(location), path_tokens_with_generics(parser));
                    let default = default.iter();
                    let statement = quote!(let #var = inputs.#method(#location, #name, #(#default,)* #parser););
                    let other = quote!(let b = inputs.bearer.take()?;);
                    let head = quote!(fn f(inputs: &mut X) -> Option<Y>);
                    let tail = quote!(Some(Y));
                    let whole =
                        render_items(quote!(#head { #other #statement #other #statement #tail }), "test").unwrap();
                    let statements = vec![
                        Member::Tokens(other.clone()),
                        Member::Text(text.clone()),
                        other.into(),
                        Member::Text(text),
                    ];
                    assert_eq!(fn_with_statements(head, statements, tail, "test").unwrap(), whole);
                    as_text += 1;
                }
            }
        }
        assert!(as_text > 300 && one_line > 2 && broken_generic > 50, "{as_text} {one_line} {broken_generic} {left}");
    }

    /// The trait methods printed as text equal prettyplease's printing of their tokens.
    #[test]
    fn trait_methods_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        let (mut as_text, mut left) = (0, 0);
        for n in 1..200 {
            let name = format!("o{}", "p".repeat(n % 130));
            let request = format!("R{}", "q".repeat((n * 3) % 131));
            let response = format!("S{}", "t".repeat((n * 5) % 131));
            let method = TraitMethod { name: &name, request: &request, response: &response };
            let doc = "One line.\n\n`GET /x`";
            let Some(text) = method.text(doc) else {
                left += 1;
                continue;
            };
            let head = quote!(pub trait A: Send);
            let whole = render_block(head.clone(), [method.tokens(doc)], "test").unwrap();
            assert_eq!(render_block(head, [Member::Text(text)], "test").unwrap(), whole, "{name} {request} {response}");
            as_text += 1;
        }
        assert!(as_text == 199 && left == 0, "{as_text} {left}");
    }

    /// The response enums printed as text equal prettyplease's printing of their tokens, across
    /// statuses (codes, ranges, `default`), bodies, and name and type lengths that take each
    /// layout of variants and arms, and the fallback.
    #[test]
    fn responses_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        let (mut as_text, mut broken_variant, mut braced_arm, mut unnamed, mut left) = (0, 0, 0, 0, 0);
        let mut broken_call = 0;
        for n in 1..180 {
            let path = format!("::d1_types::module::T{}", "u".repeat(n % 97));
            let ty = match n % 3 {
                0 => path,
                1 => format!("::std::vec::Vec<{path}>"),
                _ => format!("::std::collections::BTreeMap<::std::string::String, {path}>"),
            };
            let variant = |status: Status, name: String, body: Option<(String, Option<String>)>| Variant {
                doc: format!("`{status}`: Multi\nline {name}, {}.", if n % 4 == 0 { "café" } else { "cafe" }),
                name,
                status,
                body,
            };
            let mut variants = vec![
                variant(Status::Code(200), format!("O{}", "k".repeat(n % 31)), Some((ty.clone(), None))),
                variant(Status::Code(404), "NotFound".to_string(), None),
            ];
            let long = |c: &str| format!("{c}{}", "r".repeat((n * 7) % 45));
            match n % 7 {
                0 => variants.push(variant(
                    Status::Code(299),
                    format!("S{}", "x".repeat((n * 11) % 80)),
                    (n % 2 == 0).then(|| (ty.clone(), None)),
                )),
                2 => variants.push(variant(
                    Status::Code(201),
                    format!("C{}", "r".repeat(n % 5)),
                    Some(("::std::vec::Vec<u8>".to_string(), Some("a/b".to_string()))),
                )),
                1 => variants.push(variant(Status::Range(2), long("S"), None)),
                3 => variants.push(variant(Status::Range(4), long("E"), Some((ty.clone(), None)))),
                4 => variants.push(variant(Status::Default, long("D"), Some((ty.clone(), None)))),
                5 => variants.push(variant(
                    Status::Range(5),
                    long("F"),
                    Some(("::std::vec::Vec<u8>".to_string(), Some(format!("application/{}", "x".repeat(n % 90))))),
                )),
                _ => variants.push(variant(Status::Default, long("G"), None)),
            }
            let response = Response {
                doc: "The responses [`A::b`] can give.".to_string(),
                name: format!("R{}", "s".repeat((n * 7) % 131)),
                variants,
            };
            let Some(text) = response.text() else {
                left += 1;
                continue;
            };
            assert_eq!(text, render_items(response.tokens("test").unwrap(), "test").unwrap(), "{n}");
            as_text += 1;
            broken_variant += usize::from(text.contains("(\n        ::d1_types"));
            braced_arm += usize::from(text.contains(" => {\n"));
            unnamed += usize::from(text.contains("from_u16(299)"));
            broken_call += usize::from(text.contains("bytes_response(\n"));
        }
        assert!(
            broken_call > 5
                && as_text > 140
                && broken_variant > 20
                && as_text - broken_variant > 20
                && braced_arm > 40
                && unnamed > 5,
            "{as_text} {broken_variant} {braced_arm} {unnamed} {left}"
        );
    }

    /// The joined query lists printed as text equal prettyplease's printing of their tokens, in
    /// a function whose other statements are printed from tokens, across name, parser and list
    /// type lengths up to and past the margin (the fallback).
    #[test]
    fn joined_query_lists_print_as_prettyplease_prints_them() {
        let (mut as_text, mut broken_parser, mut long_list, mut left) = (0, 0, 0, 0);
        for n in 1..90 {
            for m in [n, (n * 7) % 60, (n * 13) % 45] {
                let var = format!("v{}", "x".repeat(m % 30));
                let name = format!("${}", "n".repeat((m * 3) % 25));
                let parser = format!("::d1_runtime::server::parse_from_str::<::d1_types::m::I{}>", "i".repeat(m % 30));
                let list = format!("::d1_types::m::L{}", "l".repeat(n));
                let Some(text) = joined_query_list_text(&var, &Literal::string(&name).to_string(), ',', &parser, &list)
                else {
                    left += 1;
                    continue;
                };
                let text_has_broken_parser = text.contains("parse_from_str::<\n");
                long_list += usize::from(text.lines().any(|l| l.len() > MARGIN + 1));
                let (var, separator) = (ident(&var), ",".to_string());
                let (parser, list) = (path_tokens_with_generics(&parser), path_tokens(&list));
                let loc = quote!(::d1_runtime::server::In::Query);
                let statement = quote! {
                    let #var = {
                        let raw: Vec<&str> = ::d1_runtime::server::split_items(inputs.query.get(#name), "", #separator, #loc, #name, &mut inputs.violations);
                        if raw.is_empty() { Some(None) } else {
                            inputs.violations.repeated(#loc, #name, &raw, #parser)
                                .and_then(|items| inputs.violations.list::<_, #list>(#loc, #name, items))
                                .map(Some)
                        }
                    };
                };
                let other = quote!(let b = inputs.bearer.take()?;);
                let head = quote!(fn f(inputs: &mut X) -> Option<Y>);
                let tail = quote!(Some(Y));
                let whole = render_items(quote!(#head { #other #statement #other #tail }), "test").unwrap();
                let statements = vec![Member::Tokens(other.clone()), Member::Text(text), other.into()];
                assert_eq!(fn_with_statements(head, statements, tail, "test").unwrap(), whole, "{n} {m}");
                as_text += 1;
                broken_parser += usize::from(text_has_broken_parser);
            }
        }
        assert!(
            as_text > 150 && broken_parser > 50 && long_list > 50 && left > 30,
            "{as_text} {broken_parser} {long_list} {left}"
        );
    }

    /// The request structs printed as text equal prettyplease's printing of their tokens, with
    /// and without members, across name lengths.
    #[test]
    fn request_structs_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        for n in 1..100 {
            let name = format!("R{}", "q".repeat(n));
            let doc = format!("The checked inputs of [`Api::{}`].", "o".repeat(n % 60 + 1));
            let member = "    /// `x` (query parameter)\n    pub x: i64,\n";
            let attrs = doc_attrs(Some("`x` (query parameter)"));
            let fields = quote!(#attrs pub x: i64,);
            let whole = render_items(request_struct_tokens(&doc, &ident(&name), fields), "test").unwrap();
            assert_eq!(request_struct_text(&doc, &name, member), whole);
            let empty = render_items(request_struct_tokens(&doc, &ident(&name), quote!()), "test").unwrap();
            assert_eq!(request_struct_text(&doc, &name, ""), empty);
        }
    }

    /// The `checks` module printed as text equals prettyplease's printing of its tokens.
    #[test]
    fn checks_modules_print_as_prettyplease_prints_them() {
        let uses = [quote! { use ::d1_runtime::server::Checker; }, quote! { use serde_json::Value; }];
        let function = quote! { pub(crate) fn f(value: &Value) { c.string(value); } };
        let printed = render_block(quote!(impl A), [function.clone()], "test").unwrap();
        let function_text = printed.strip_prefix("impl A {\n").and_then(|t| t.strip_suffix("}\n")).unwrap();
        let whole =
            render_block(checks_head_tokens(), uses.into_iter().map(Member::from).chain([function.into()]), "test");
        let text = checks_module(vec![Member::Text(function_text.to_string())], "test").unwrap();
        assert_eq!(text, whole.unwrap());
        assert!(text.starts_with(CHECKS_HEAD) && text.contains(CHECKS_USES));
    }

    /// The module's head printed as text equals prettyplease's printing of its tokens, with and
    /// without a base path; lines that might print otherwise are left to the tokens.
    #[test]
    fn module_heads_print_as_prettyplease_prints_them() {
        let doc: Vec<String> =
            ["Server side of the **A** (version 1).", "", "- an item", "", "Text, `code` and [link](x)."]
                .map(String::from)
                .to_vec();
        for n in [1, 40, 90, 150] {
            let path = format!("/{}/v1", "p".repeat(n));
            let base_doc =
                format!("The path under which D1 serves this API (from its first server URL, `https://h{path}`).");
            for base in [None, Some((base_doc.as_str(), path.as_str()))] {
                let text = module_head(&doc, base, "test").unwrap();
                assert_eq!(text, render_items(module_head_tokens(&doc, base), "test").unwrap());
            }
        }
        for odd in ["trailing space ", "bidi \u{202e}", "a\rb"] {
            let base = Some((odd, "/x"));
            let text = module_head(&doc, base, "test").unwrap();
            assert_eq!(text, always_escaped(module_head_tokens(&doc, base)), "{odd:?}");
            let lines = vec![odd.to_string()];
            let text = module_head(&lines, None, "test").unwrap();
            assert_eq!(text, always_escaped(module_head_tokens(&lines, None)), "{odd:?}");
        }
    }

    /// Printed with every doc string escaped, as `render_items` does when it must.
    fn always_escaped(tokens: TokenStream) -> String {
        prettyplease::unparse(&syn::parse2(super::super::escape_docs_for_test(tokens)).unwrap())
    }

    /// The trait printed as text equals prettyplease's printing of it, with and without methods,
    /// across name lengths.
    #[test]
    fn api_traits_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        for n in 1..90 {
            let name = format!("T{}", "r".repeat(n));
            let doc = "The **A** (version 1): one method.\n\nEach method…";
            let method = TraitMethod { name: "op", request: "OpRequest", response: "OpResponse" };
            let methods = || vec![Member::Text(method.text("Op.").unwrap()), Member::Text(method.text("Op.").unwrap())];
            let by_tokens =
                render_block(api_trait_head(&name, doc), [method.tokens("Op."), method.tokens("Op.")], "test");
            assert_eq!(api_trait(&name, doc, methods(), "test").unwrap(), by_tokens.unwrap(), "{n}");
            let head = api_trait_head(&name, doc);
            let empty_tokens = render_items(quote!(#head {}), "test").unwrap();
            assert_eq!(api_trait(&name, doc, Vec::new(), "test").unwrap(), empty_tokens);
        }
    }

    /// The routes printed as text equal prettyplease's printing of the route in the chain, across
    /// path, handler and method-list lengths that take each layout, up to and past the margin.
    #[test]
    fn routes_print_as_prettyplease_prints_them() {
        let allows = ["GET, HEAD", "POST", "GET, DELETE, HEAD", "GET, PUT, POST, DELETE, PATCH, HEAD", "PUT"];
        let (mut as_text, mut broken, mut broken_generics, mut left) = (0, 0, 0, 0);
        for n in 1..100 {
            let handler = |c: &str, k: usize| format!("handle_{c}{}", "h".repeat(k));
            let mut handlers = vec![("get", handler("a", n))];
            if n % 3 == 1 {
                handlers.push(("delete", handler("b", (n * 7) % 90)));
            }
            if n % 4 == 2 {
                handlers.push(("patch", handler("c", (n * 3) % 90)));
            }
            let route = Route {
                path: format!("/v1/{}/{{id}}", "p".repeat((n * 5) % 110)),
                handlers,
                allow: allows[n % allows.len()].to_string(),
            };
            let printed = route.printed("test").unwrap();
            let Some(text) = route.text() else {
                left += 1;
                continue;
            };
            assert_eq!(text, printed, "{n}");
            as_text += 1;
            broken += usize::from(text.contains("::<A>,\n"));
            broken_generics += usize::from(text.contains("::<\n"));
        }
        assert!(as_text > 90 && broken > 10 && broken_generics > 10, "{as_text} {broken} {broken_generics} {left}");
    }

    /// The `router` and `routes` functions printed as text equal prettyplease's printing of their
    /// tokens, across trait name lengths (the fallback included).
    #[test]
    fn routes_fns_print_as_prettyplease_prints_them() {
        let routes = || {
            vec![
                Route {
                    path: "/a".to_string(),
                    handlers: vec![("get", "handle_a".to_string())],
                    allow: "GET, HEAD".to_string(),
                },
                Route {
                    path: format!("/{}", "b".repeat(100)),
                    handlers: vec![("post", format!("handle_{}", "b".repeat(90))), ("put", "handle_c".to_string())],
                    allow: "PUT, POST".to_string(),
                },
            ]
        };
        for n in 1..90 {
            let name = format!("T{}", "r".repeat(n));
            let text = routes_fns(&name, &routes(), "test").unwrap();
            let tokens = routes_fns_tokens(&name, routes().iter().map(Route::tokens));
            assert_eq!(text, render_items(tokens, "test").unwrap(), "{n}");
            let none = routes_fns(&name, &[], "test").unwrap();
            assert_eq!(none, render_items(routes_fns_tokens(&name, std::iter::empty()), "test").unwrap());
        }
    }

    /// The `extract_` functions printed as text equal prettyplease's printing of their tokens,
    /// across name lengths and member lists that take each layout of the head and the last
    /// expression.
    #[test]
    fn extract_fns_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        let (mut as_text, mut one_line, mut broken_output, mut left) = (0, 0, 0, 0);
        for n in 1..130 {
            let name = format!("o{}", "p".repeat(n));
            let request = format!("R{}", "q".repeat((n * 7) % 110));
            let fields: Vec<(String, bool)> =
                (0..n % 5).map(|i| (format!("f{}", "x".repeat((n * 5 + i * 3) % 90)), (n + i) % 2 == 0)).collect();
            // Every length of a request without members, whose literal breaks in between.
            let bare = format!("R{}", "q".repeat(n - 1));
            let extracts = [
                Extract { name: &name, request: &request, fields },
                Extract { name: "o", request: &bare, fields: Vec::new() },
            ];
            let statement = "    let b = inputs.bearer.take()?;\n";
            for (extract, statements) in
                extracts.iter().flat_map(|e| [(e, vec![]), (e, vec![Member::Text(statement.to_string())])])
            {
                let reads = !statements.is_empty();
                let Some(text) = extract.text(reads, statements.iter().map(|_| statement)) else {
                    left += 1;
                    continue;
                };
                let inputs = if reads { quote!(inputs) } else { quote!(_inputs) };
                let tokens: Vec<Member> =
                    statements.iter().map(|_| quote!(let b = inputs.bearer.take()?;).into()).collect();
                let whole = fn_with_statements(extract.head(inputs), tokens, extract.tail(), "test").unwrap();
                assert_eq!(text, whole, "{n}");
                as_text += 1;
                one_line += usize::from(text.contains("::std::option::Option::Some(") && text.contains(" })\n"));
                broken_output += usize::from(text.contains(") -> ::std::option::Option<\n"));
            }
        }
        assert!(
            as_text > 400 && one_line > 100 && broken_output > 40 && left < 40,
            "{as_text} {one_line} {broken_output} {left}"
        );
    }

    /// The body statements printed as text equal prettyplease's printing of their tokens, in a
    /// function whose other statements are printed from tokens, across type and check-function
    /// lengths up to and past the margin.
    #[test]
    fn body_steps_print_as_prettyplease_prints_them() {
        use checks::{Call, Check};
        let (mut as_text, mut broken_type, mut broken_inner, mut broken_call, mut unchecked, mut left) =
            (0, 0, 0, 0, 0, 0);
        let (mut loops, mut fields_line, mut fields_broken, mut tuple_broken) = (0, 0, 0, 0);
        let names: Vec<String> =
            crate::test_strings::joined(&["a", "field_", "x", "LongerName", "9", "-"], 400, 12, 7).collect();
        for n in 1..200 {
            for required in [true, false] {
                let ty = format!("::d1_types::m::B{}", "b".repeat(n % 97));
                let ty = if required { ty } else { format!("::std::option::Option<{ty}>") };
                let function = format!("checks::check_{}", "c".repeat((n * 7) % 80));
                let leaf = path_tokens(&format!("::d1_types::m::N{}", "n".repeat((n * 5) % 70)));
                let check = match n % 6 {
                    0 => Check::Nothing,
                    1 => Check::Items(Box::new(Check::Call(Call::String))),
                    2 => Check::Members(Box::new(Check::Items(Box::new(Check::Function(function))))),
                    3 => Check::Items(Box::new(Check::Leaf(leaf))),
                    4 if n % 4 == 0 => Check::Call(Call::I32),
                    _ => Check::Function(function),
                };
                let kinds = ["Integer", "Number", "Boolean"];
                let fields: Vec<(String, String)> = (0..(n * 3) % 7)
                    .map(|i| {
                        let name = &names[(n * 7 + i) % names.len()];
                        (name.clone(), format!("::d1_runtime::server::Scalar::{}", kinds[(n + i) % 3]))
                    })
                    .collect();
                let form_fields = form_field_tokens(&fields);
                let fields_text: Vec<(String, String)> =
                    fields.iter().map(|(name, kind)| (Literal::string(name).to_string(), kind.clone())).collect();
                let lines = check.text("value", 20).unwrap_or_default();
                let Some(text) = body_step_text(&ty, required, &fields_text, &lines) else {
                    left += 1;
                    continue;
                };
                let check = check.tokens(&quote!(value), &quote!(::std::option::Option::None));
                let statement = body_step_tokens(&path_tokens_with_generics(&ty), required, &form_fields, &check);
                let other = quote!(let b = inputs.bearer.take()?;);
                let head = quote!(fn f(inputs: &mut X) -> Option<Y>);
                let whole = render_items(quote!(#head { #other #statement #other Some(Y) }), "test").unwrap();
                let statements = vec![Member::Tokens(other.clone()), Member::Text(text.clone()), other.into()];
                assert_eq!(fn_with_statements(head, statements, quote!(Some(Y)), "test").unwrap(), whole, "{n}");
                as_text += 1;
                broken_type += usize::from(text.starts_with("    let body: ::std::option::Option<\n"));
                broken_inner += usize::from(text.contains("        ::std::option::Option<\n"));
                unchecked += usize::from(text.contains("|_value"));
                broken_call += usize::from(text.contains("(\n                        value,"));
                loops += usize::from(text.contains("for (index, item)"));
                fields_line += usize::from(text.contains("&[(\""));
                fields_broken += usize::from(text.contains("&[\n"));
                tuple_broken += usize::from(text.contains("                    (\n"));
            }
        }
        assert!(
            as_text > 300
                && left == 0
                && broken_type > 50
                && broken_inner > 10
                && broken_call > 20
                && unchecked > 20
                && loops > 50
                && fields_line > 20
                && fields_broken > 20
                && tuple_broken > 5,
            "{as_text} {left} {broken_type} {broken_inner} {broken_call} {unchecked} {loops} {fields_line} {fields_broken} {tuple_broken}"
        );
    }

    /// `::a::b::<::c::D>` as tokens.
    fn path_tokens_with_generics(path: &str) -> TokenStream {
        path.parse().unwrap()
    }

    /// The handlers printed as text equal prettyplease's printing of their tokens, across name
    /// lengths that take each layout of the closure and the fallback.
    #[test]
    fn handlers_print_as_prettyplease_prints_them() {
        let encodings: [&[&str]; 3] = [
            &[],
            &["::d1_runtime::server::Encoding::Json"],
            &["::d1_runtime::server::Encoding::Form", "::d1_runtime::server::Encoding::Json"],
        ];
        let (mut as_text, mut broken_call, mut broken_chain, mut broken_head, mut left) = (0, 0, 0, 0, 0);
        for n in 1..130 {
            let name = format!("o{}", "p".repeat(n));
            let trait_name = format!("T{}", "r".repeat(n % 30));
            let route = format!("GET /{}", "s".repeat(n));
            let encodings = encodings[n % 3];
            let handler =
                Handler { api: "api", name: &name, route: &route, bearer: n % 2 == 0, trait_name: &trait_name };
            let Some(text) = handler.text(encodings) else {
                left += 1;
                continue;
            };
            assert_eq!(text, render_items(handler.tokens(encodings), "test").unwrap(), "{name}");
            as_text += 1;
            broken_call += usize::from(text.contains("async move {\n"));
            broken_chain += usize::from(text.contains("                .api\n"));
            broken_head += usize::from(text.contains("<\n    A: "));
        }
        assert!(
            as_text > 80
                && left > 30
                && broken_call > 50
                && as_text - broken_call > 5
                && broken_chain > 20
                && broken_head > 20,
            "{as_text} {broken_call} {broken_chain} {broken_head} {left}"
        );
    }
}
