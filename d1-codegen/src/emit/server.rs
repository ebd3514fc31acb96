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
    declaration_text, describe_sources, doc_attrs, ident, render_block, render_crate_root, render_items, rust_header,
    spaced_after, struct_with_members, type_tokens, Options, Part, Scope,
};
use crate::error::Error;
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
        .map(|common| (common, checks::Checks::common(ir, &open, &types_crate, &server_root).finish()))
        .filter(|(_, functions)| !functions.is_empty());
    if let Some((common, functions)) = &common_checks {
        let file = quote! {
            //! Checks of the shared types' JSON, one function per struct or union, for the API
            //! modules' body checks to call. All are generated, whether these APIs use them or not,
            //! so that this file depends on the shared types alone.
            #![allow(dead_code)]

            use ::d1_runtime::server::Checker;
            use serde_json::Value;

            #(#functions)*
        };
        let path = format!("{root}/src/common.rs");
        let text = spaced_after(&rust_header(&[common.source.as_str()]), render_items(file, &path)?);
        tree.insert(path, text);
    }
    let lib = lib_rs(ir, options, common_checks.is_some());
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
fn lib_rs(ir: &Ir, options: &Options, common_checks: bool) -> TokenStream {
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
    let doc = lines.iter().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    let common = common_checks.then(|| {
        quote!(
            mod common;
        )
    });
    let mods = ir.apis.iter().map(|a| {
        let m = ident(&a.module);
        quote!(pub mod #m;)
    });
    quote! {
        #( #![doc = #doc] )*
        #![forbid(unsafe_code)]
        #![deny(missing_docs)]

        ::d1_runtime::require_generated_api!(1);

        #common
        #(#mods)*

        pub use ::d1_runtime::server::{finish, not_found, ApiError, BearerToken, Config, Status2xx, StatusClass, CORRELATION_ID};
        /// The axum version the routers are built with.
        pub use ::d1_runtime::server::axum;
    }
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

fn method_fn(method: Method) -> TokenStream {
    match method {
        Method::Get => quote!(get),
        Method::Put => quote!(put),
        Method::Post => quote!(post),
        Method::Delete => quote!(delete),
        Method::Patch => quote!(patch),
        Method::Head => quote!(head),
        Method::Options => quote!(options),
        Method::Trace => quote!(trace),
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

/// How a parameter's text becomes its value.
struct ParamShape {
    /// The value's type (one item for arrays).
    ty: TokenStream,
    /// `fn(&str) -> Result<T, String>`.
    parser: TokenStream,
    array: bool,
    /// The validated list newtype the items are wrapped in, if any.
    list: Option<TokenStream>,
}

fn param_shape(ir: &Ir, ty: &TypeRef, scope: Scope<'_>) -> ParamShape {
    let tokens = type_tokens(ir, ty, scope);
    let scalar = |parser: TokenStream| ParamShape { ty: tokens.clone(), parser, array: false, list: None };
    match ty {
        TypeRef::String => scalar(quote!(::d1_runtime::server::parse_string)),
        TypeRef::Integer(IntWidth::I32) => scalar(quote!(::d1_runtime::server::parse_i32)),
        TypeRef::Integer(IntWidth::I64) => scalar(quote!(::d1_runtime::server::parse_i64)),
        TypeRef::Number => scalar(quote!(::d1_runtime::server::parse_f64)),
        TypeRef::Boolean => scalar(quote!(::d1_runtime::server::parse_bool)),
        TypeRef::Json => scalar(quote!(::d1_runtime::server::parse_json)),
        TypeRef::Array(item) => {
            let inner = param_shape(ir, item, scope);
            if inner.array || inner.list.is_some() {
                scalar(quote!(::d1_runtime::server::parse_json_as::<#tokens>))
            } else {
                ParamShape { array: true, ..inner }
            }
        }
        TypeRef::Named(id) => match &ir.ty(*id).kind {
            TypeKind::Newtype(n) => match &n.inner {
                NewtypeInner::Array(item) => {
                    let inner = param_shape(ir, item, scope);
                    if inner.array || inner.list.is_some() {
                        scalar(quote!(::d1_runtime::server::parse_json_as::<#tokens>))
                    } else {
                        ParamShape { array: true, list: Some(tokens.clone()), ..inner }
                    }
                }
                _ => scalar(quote!(::d1_runtime::server::parse_from_str::<#tokens>)),
            },
            TypeKind::StringEnum(_) => scalar(quote!(::d1_runtime::server::parse_from_str::<#tokens>)),
            TypeKind::Alias(target) => {
                let inner = param_shape(ir, target, scope);
                ParamShape { ty: if inner.array { inner.ty } else { tokens }, ..inner }
            }
            TypeKind::ReExport(target) => {
                let inner = param_shape(ir, &TypeRef::Named(*target), scope);
                match inner.list {
                    Some(_) => ParamShape { list: Some(tokens), ..inner },
                    None => ParamShape { ty: tokens, ..inner },
                }
            }
            _ => scalar(quote!(::d1_runtime::server::parse_json_as::<#tokens>)),
        },
        TypeRef::Sealed { .. } => scalar(quote!(::d1_runtime::server::parse_from_str::<#tokens>)),
        _ => scalar(quote!(::d1_runtime::server::parse_json_as::<#tokens>)),
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
    match location {
        ParamLocation::Path => quote!(::d1_runtime::server::In::Path),
        ParamLocation::Query => quote!(::d1_runtime::server::In::Query),
        ParamLocation::Header => quote!(::d1_runtime::server::In::Header),
        ParamLocation::Cookie => quote!(::d1_runtime::server::In::Cookie),
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

/// The encodings a body may come in, the spec's first media type first.
fn body_encodings(body: &crate::ir::RequestBody) -> Vec<TokenStream> {
    let mut out = Vec::new();
    let mut add = |media: &str| {
        let media = media.to_ascii_lowercase();
        let e = if media == "application/json" || media.ends_with("+json") {
            Some(quote!(::d1_runtime::server::Encoding::Json))
        } else if media == "application/x-www-form-urlencoded" {
            Some(quote!(::d1_runtime::server::Encoding::Form))
        } else {
            None
        };
        if let Some(e) = e
            && !out.iter().any(|o: &TokenStream| o.to_string() == e.to_string())
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
        out.push(quote!(::d1_runtime::server::Encoding::Json));
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
    let trait_ident = ident(&trait_name(api));
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
    let module_doc = doc_text(&module_doc);
    let module_doc = module_doc.lines().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });

    let mut trait_methods = Vec::new();
    let mut items = String::new();
    let mut handlers = String::new();
    // path → (method, handler ident) in operation order
    let mut paths: BTreeMap<String, Vec<(Method, proc_macro2::Ident)>> = BTreeMap::new();
    let api_name = &api.module;

    for op in &api.operations {
        let method_ident = ident(&op.name);
        let req_ident = ident(&op_type_name(op, "Request"));
        let resp_ident = ident(&op_type_name(op, "Response"));
        let handler_ident = ident(&format!("handle_{}", op.name));
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
        let doc = doc_attrs(Some(&doc_text(&doc)));
        trait_methods.push(quote! {
            #doc
            fn #method_ident(&self, request: #req_ident)
                -> impl ::std::future::Future<Output = ::std::result::Result<#resp_ident, ::d1_runtime::server::ApiError>> + ::std::marker::Send;
        });

        // ---- request struct
        items.push_str(&request_struct(ir, api, op, bearer, &req_ident, scope, what)?);

        // ---- response enum
        let mut variants = Vec::new();
        let mut arms = Vec::new();
        let mut status_arms = Vec::new();
        for r in &op.responses {
            let v = ident(&r.variant);
            let d = format!("`{}`: {}", r.status, r.description);
            let d = doc_attrs(Some(&doc_text(&d)));
            let body_ty = r.body.as_ref().map(|b| type_tokens(ir, &b.ty, scope));
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
                Some(b) => match (&b.media_type, &b.ty) {
                    (MediaType::Other(ct), TypeRef::Bytes) => {
                        quote!(::d1_runtime::server::bytes_response(status, #ct, body))
                    }
                    _ => quote!(::d1_runtime::server::json_response(status, &body)),
                },
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
        let resp_doc = format!(
            "The responses [`{}::{}`] can give, one per status the spec declares. For a status the spec does not declare, return an [`ApiError`](::d1_runtime::server::ApiError).",
            trait_name(api),
            op.name
        );
        if variants.is_empty() {
            items.push_str(&render_items(
                quote! {
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
                },
                what,
            )?);
        } else {
            items.push_str(&render_items(
                quote! {
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
                },
                what,
            )?);
        }

        // ---- handler
        let handler = handler(ir, api_name, op, bearer, &trait_ident, &req_ident, &handler_ident, &mut checks, scope);
        handlers.push_str(&render_items(handler, what)?);
        paths.entry(axum_path(op)).or_default().push((op.method, handler_ident));
    }

    // ---- routes
    let mut route_calls = Vec::new();
    for (path, mut methods) in paths {
        methods.sort_by_key(|(m, _)| *m);
        let mut allow: Vec<&str> = methods.iter().map(|(m, _)| m.as_str()).collect();
        if methods.iter().any(|(m, _)| *m == Method::Get) && !methods.iter().any(|(m, _)| *m == Method::Head) {
            allow.push("HEAD");
        }
        let allow = allow.join(", ");
        let mut chain = TokenStream::new();
        for (i, (m, h)) in methods.iter().enumerate() {
            let f = method_fn(*m);
            if i == 0 {
                chain = quote!(::d1_runtime::server::axum::routing::#f(#h::<A>));
            } else {
                chain = quote!(#chain.#f(#h::<A>));
            }
        }
        route_calls.push(quote! {
            .route(#path, #chain.fallback(|headers: ::d1_runtime::server::axum::http::HeaderMap| async move {
                ::d1_runtime::server::method_not_allowed(&headers, #allow)
            }))
        });
    }
    let base = base_path(api).map(|b| {
        let d = format!(
            " The path under which D1 serves this API (from its first server URL, `{}`).",
            api.servers.first().map(|s| s.url.as_str()).unwrap_or("")
        );
        quote! {
            #[doc = #d]
            pub const BASE_PATH: &str = #b;
        }
    });
    let trait_doc = format!(
        "The **{}** (version {}): one method per operation. Mount an implementation with [`router`].\n\nEach method receives inputs the router has already checked and returns the response to send; for a status the spec does not declare, return an [`ApiError`](::d1_runtime::server::ApiError). Implement the methods as `async fn`; the futures must be `Send`.",
        api.title, api.version
    );
    let trait_doc = doc_attrs(Some(&trait_doc));

    let mut text = render_items(
        quote! {
            #( #![doc = #module_doc] )*

            #base

        },
        what,
    )?;
    text.push_str(&render_block(
        quote!(#trait_doc pub trait #trait_ident: ::std::marker::Send + ::std::marker::Sync + 'static),
        trait_methods,
        what,
    )?);
    text.push_str(&items);
    let routes = quote! {
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
    };
    text.push_str(&render_items(routes, what)?);
    text.push_str(&handlers);
    let checks = checks.finish();
    if !checks.is_empty() {
        let uses = [quote! { use ::d1_runtime::server::Checker; }, quote! { use serde_json::Value; }];
        text.push_str(&render_block(
            quote! {
                /// Checks of this API's body types, recording every violation with its JSON Pointer.
                mod checks
            },
            uses.into_iter().chain(checks),
            what,
        )?);
    }
    Ok(text)
}

/// The path part of the API's first server URL (`https://host/banking/v1` → `/banking/v1`).
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
    let mut members: Vec<(String, String, TokenStream)> = Vec::new();
    for p in &op.params {
        let shape = param_shape(ir, &p.ty, scope);
        let item = &shape.ty;
        let ty = match &shape.list {
            Some(list) => list.clone(),
            None if shape.array => quote!(::std::vec::Vec<#item>),
            None => quote!(#item),
        };
        let always = p.required || p.location == ParamLocation::Path || (p.default.is_some() && !shape.array);
        let ty = if always { ty } else { quote!(::std::option::Option<#ty>) };
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
        members.push((doc.to_string(), "bearer_token".to_string(), quote!(::d1_runtime::server::BearerToken)));
    }
    if let Some(body) = &op.body {
        let ty = type_tokens(ir, &body.ty, scope);
        let ty = if body.required { ty } else { quote!(::std::option::Option<#ty>) };
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
    let fields = members.iter().filter(|_| as_text.is_none()).map(|(doc, name, ty)| {
        let doc = doc_attrs(Some(doc));
        let name = ident(name);
        quote!(#doc pub #name: #ty,)
    });
    let req_doc = format!("The checked inputs of [`{}::{}`].", trait_name(api), op.name);
    // Not `#[non_exhaustive]`, unlike the types: the router builds it, and the one place a
    // user builds it is a test of a handler, where a struct literal is the way in.
    let tokens = quote! {
        #[doc = #req_doc]
        #[derive(Clone, Debug)]
        pub struct #req_ident {
            #(#fields)*
        }
    };
    match as_text {
        Some(members) if !members.is_empty() => struct_with_members(tokens, &members, what),
        _ => render_items(tokens, what),
    }
}

fn base_path(api: &Api) -> Option<String> {
    let url = &api.servers.first()?.url;
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
    let path = path.trim_end_matches('/');
    (!path.is_empty() && !path.contains('{')).then(|| path.to_string())
}

#[allow(clippy::too_many_arguments)]
fn handler(
    ir: &Ir,
    api_name: &str,
    op: &Operation,
    bearer: bool,
    trait_ident: &proc_macro2::Ident,
    req_ident: &proc_macro2::Ident,
    handler_ident: &proc_macro2::Ident,
    checks: &mut checks::Checks,
    scope: Scope<'_>,
) -> TokenStream {
    let method_ident = ident(&op.name);
    let op_name = &op.name;
    let mut steps = Vec::new();
    let mut required = Vec::new();
    let mut assign = Vec::new();
    let mut body_encodings_tokens = Vec::new();

    if bearer {
        // `serve` answers 401 before `extract` runs when the token is missing.
        steps.push(quote!(let bearer_token = inputs.bearer.take()?;));
        assign.push(ident("bearer_token"));
    }
    for p in &op.params {
        if let Some(style) = p.value_style {
            let var = ident(&p.ident);
            // As the request struct declares it: a default makes the member always there,
            // except for arrays.
            let default = p.default.as_ref().filter(|_| !param_shape(ir, &p.ty, scope).array);
            steps.push(styled_step(ir, op, p, style, default, scope));
            if p.required || p.location == ParamLocation::Path || default.is_some() {
                required.push(var.clone());
            }
            assign.push(var);
            continue;
        }
        let shape = param_shape(ir, &p.ty, scope);
        let var = ident(&p.ident);
        let name = &p.name;
        let loc = location_tokens(p.location);
        let parser = &shape.parser;
        let is_path = p.location == ParamLocation::Path;
        if shape.array {
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
                (ParamLocation::Cookie, _) => split(
                    quote!(::d1_runtime::server::cookie(&inputs.parts.headers, #name)),
                    String::new(),
                    ",".to_string(),
                ),
            };
            let parsed = quote!(inputs.violations.repeated(#loc, #name, &raw, #parser));
            let parsed = match &shape.list {
                Some(list) => quote!(#parsed.and_then(|items| inputs.violations.list::<_, #list>(#loc, #name, items))),
                None => parsed,
            };
            let presence = if p.required || is_path {
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
            steps.push(quote! {
                let #var = {
                    let raw: Vec<&str> = #raw;
                    #presence
                };
            });
            required.push(var.clone());
            assign.push(var.clone());
            continue;
        }
        if p.required || is_path {
            steps.push(quote!(let #var = inputs.required(#loc, #name, #parser);));
            required.push(var.clone());
        } else if let Some(default) = &p.default {
            let default = default_text(default);
            steps.push(quote!(let #var = inputs.defaulted(#loc, #name, #default, #parser);));
            required.push(var.clone());
        } else {
            steps.push(quote!(let #var = inputs.optional(#loc, #name, #parser);));
        }
        assign.push(var.clone());
    }
    if let Some(body) = &op.body {
        let encodings = body_encodings(body);
        let ty = type_tokens(ir, &body.ty, scope);
        let check = checks.expr(&body.ty, quote!(value), quote!(::std::option::Option::None));
        let form_fields: Vec<TokenStream> = checks
            .form_fields(&body.ty)
            .iter()
            .map(|(name, kind)| {
                let name = name.as_str();
                quote!((#name, #kind))
            })
            .collect();
        let missing = if body.required {
            quote!(inputs.violations.push(::d1_runtime::server::In::Body, "", "is required");)
        } else {
            TokenStream::new()
        };
        // A body without constraints (raw bytes, an open value) has nothing to check.
        let (value, c) = if check.is_empty() { (quote!(_value), quote!(_c)) } else { (quote!(value), quote!(c)) };
        body_encodings_tokens = encodings;
        steps.push(quote! {
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
        });
        if body.required {
            required.push(ident("body"));
        }
        assign.push(ident("body"));
    }
    let values =
        assign.iter().map(|field| if required.contains(field) { quote!(#field: #field?) } else { quote!(#field) });
    let doc = format!(" Checks the inputs of `{} {}`, then calls the implementation.", op.method.as_str(), op.path);
    let extract_doc =
        format!(" The checked inputs of `{op_name}`; `None` when one is invalid (each recorded in `inputs`).");
    let extract_ident = format_ident!("extract_{}", op.name);
    let inputs = if steps.is_empty() { quote!(_inputs) } else { quote!(inputs) };
    quote! {
        #[doc = #doc]
        fn #handler_ident<A: #trait_ident>(
            ::d1_runtime::server::axum::extract::State(shared): ::d1_runtime::server::axum::extract::State<::std::sync::Arc<::d1_runtime::server::Shared<A>>>,
            params: ::std::result::Result<::d1_runtime::server::axum::extract::RawPathParams, ::d1_runtime::server::axum::extract::rejection::RawPathParamsRejection>,
            request: ::d1_runtime::server::axum::extract::Request,
        ) -> impl ::std::future::Future<Output = ::d1_runtime::server::axum::response::Response> + ::std::marker::Send {
            let operation = &::d1_runtime::server::Operation {
                api: #api_name,
                name: #op_name,
                bearer: #bearer,
                body: &[#(#body_encodings_tokens),*],
            };
            let body_limit = shared.config.body_limit;
            ::d1_runtime::server::serve(operation, body_limit, params, request, #extract_ident, move |request| async move {
                shared.api.#method_ident(request).await
            })
        }

        #[doc = #extract_doc]
        fn #extract_ident(#inputs: &mut ::d1_runtime::server::Inputs<'_>) -> ::std::option::Option<#req_ident> {
            #(#steps)*
            ::std::option::Option::Some(#req_ident { #(#values),* })
        }
    }
}
