//! The types crate: one module per spec, `common` for types several specs share, and the
//! static support modules (`validation`, `jwe`).
//!
//! Construction. Every generated struct and enum is `#[non_exhaustive]`, so a member or value
//! D1 adds later is not a breaking change; struct literals are therefore closed to users, and
//! these are the ways in:
//!
//! - a struct without required members derives `Default`;
//! - a struct with required members has `new(required…)`, taking exactly those, in spec order
//!   (forgetting one is a compile error, not a run-time one);
//! - every optional member has a `with_member(value)` setter that consumes and returns the value,
//!   so a request reads as one expression: `Shipment::new(address).with_group_id("g1")`.
//!
//! Constructor and setters take `impl Into<T>`, so a `&str` fills a `String` member. This is
//! typify's "constructor for the required part" without its separate builder type, and
//! progenitor's chained setters without the `build() -> Result` that reports a missing member
//! only at run time: D1's structs have at most a handful of required members, all of distinct
//! types, so a plain argument list stays readable. Names come from the naming stage
//! ([`crate::naming::CONSTRUCTOR`], [`crate::naming::setters`]).
//!
//! Enums are `#[non_exhaustive]` too, string enums included: their `Unknown` variant keeps a
//! value this version does not list at run time, and `#[non_exhaustive]` keeps a later version
//! that lists it from breaking a `match` at compile time (the `_` arm takes both).

use super::templates;
use super::{
    describe_sources, doc_attrs, ident, inner_docs, newtype, render_block, render_crate_root, render_items,
    runtime_path, rust_header, spaced, type_string, type_tokens, Member, Options, RootPart, Scope, MARGIN,
};
use crate::error::{Error, Location};
use crate::ir::{Api, Ir, Module, Newtype, NewtypeInner, OneOf, StringEnum, Struct, TypeDef, TypeKind, TypeRef};
use crate::write::FileTree;
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::hash_map::Entry;
use std::collections::BTreeMap;

/// What the generated code needs from its manifest.
struct Needs {
    regress: bool,
    jwe: bool,
}

impl Needs {
    /// The d1-runtime features the generated code uses.
    fn runtime_features(&self) -> Vec<&'static str> {
        // `jwe` (sealing and opening) is the types crate's own feature, on by default.
        [(self.regress, "regress")].into_iter().filter(|(on, _)| *on).map(|(_, f)| f).collect()
    }
}

fn needs(ir: &Ir) -> Result<Needs, Error> {
    let mut needs = Needs { regress: false, jwe: ir.sealed_fields > 0 };
    for t in &ir.types {
        match &t.kind {
            TypeKind::Newtype(n) => {
                if let Some(p) = &n.constraints.pattern {
                    let compiled = crate::pattern::compile(p)
                        .map_err(|e| Error::new(&t.location, format!("invalid pattern: {e}")))?;
                    needs.regress |= compiled.needs_engine();
                }
            }
            TypeKind::Struct(s) if s.plaintext => needs.jwe = true,
            _ => {}
        }
    }
    Ok(needs)
}

pub(super) fn emit_crate(ir: &Ir, options: &Options, tree: &mut FileTree) -> Result<(), Error> {
    let needs = needs(ir)?;
    let sources = ir.sources();
    let root = options.types_crate.clone();
    let all_header = rust_header(&sources);
    let modules = ir.modules();

    // lib.rs
    let lib = lib_rs(ir, &needs, &modules);
    tree.insert(format!("{root}/src/lib.rs"), render_crate_root(lib, &all_header, "lib.rs")?);
    for (module, ids) in &modules {
        let path = format!("{root}/src/{}.rs", module.name());
        let text = module_file(ir, module, ids, &path)?;
        tree.insert(path, text);
    }

    let stats = ir.stats();
    let apis: Vec<minijinja::Value> = ir
        .apis
        .iter()
        .map(|a| {
            minijinja::context! {
                module => a.module.clone(), title => a.title.clone(), version => a.version.clone(), source => a.source.clone(),
                operations => a.operations.len(), types => a.types.len(),
            }
        })
        .collect();
    let context = minijinja::context! {
        name => root.clone(), version => options.version.clone(), sources => describe_sources(&sources),
        runtime_path => options.runtime.context().0, runtime_version => options.runtime.context().1, runtime_features => needs.runtime_features(), jwe => needs.jwe, edition => super::EDITION, rust_version => super::RUST_VERSION,
        apis => apis, common => ir.common.as_ref().map(|c| c.source.clone()), types => stats.types, newtypes => stats.newtypes, sealed => stats.sealed,
    };
    tree.insert(format!("{root}/Cargo.toml"), templates::render("types/Cargo.toml.j2", context.clone())?);
    tree.insert(format!("{root}/README.md"), templates::render("types/README.md.j2", context)?);
    Ok(())
}

fn lib_rs(ir: &Ir, needs: &Needs, modules: &BTreeMap<Module, Vec<crate::ir::TypeId>>) -> Vec<RootPart> {
    let mut lines = vec![
        "Types of the Thales D1 APIs, generated from their OpenAPI specs.".to_string(),
        String::new(),
        "Every constrained value is a validated newtype (see [`validation`]); string enums keep values".to_string(),
        "D1 adds later; the types the APIs share are defined once, in `common`.".to_string(),
        String::new(),
        "| module | API | version | spec |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    for api in &ir.apis {
        lines.push(format!(
            "| [`{}`] | {} | {} | `{}` |",
            api.module,
            crate::escape::doc_line(&api.title),
            crate::escape::doc_line(&api.version),
            crate::escape::doc_line(&api.source)
        ));
    }
    if !ir.namesakes.is_empty() {
        lines.push(String::new());
        lines.push("# One name, several types".to_string());
        lines.push(String::new());
        lines.push("These names are defined by several modules, with the rules shown. The types are not".to_string());
        lines.push("interchangeable: pass the one the operation names.".to_string());
        lines.push(String::new());
        lines.extend(ir.namesakes.iter().cloned());
    }
    let mut mods = vec![quote!(
        pub use ::d1_runtime::validation;
    )];
    if needs.jwe {
        mods.push(quote!(
            pub use ::d1_runtime::jwe;
        ));
    }
    mods.extend(modules.keys().map(|module| {
        let m = ident(module.name());
        quote!(pub mod #m;)
    }));
    let items = quote! {
        #![forbid(unsafe_code)]
        #![deny(missing_docs)]

        ::d1_runtime::require_generated_api!(1);

        #(#mods)*
    };
    vec![inner_docs(&lines), RootPart::Items(items)]
}

/// A module's file, printed type by type: a large spec never holds the tokens of a whole module.
fn module_file(ir: &Ir, module: &Module, ids: &[crate::ir::TypeId], what: &str) -> Result<String, Error> {
    let scope = Scope::Module(module);
    let (doc, header) = match module {
        Module::Common => {
            let common = ir.common.as_ref().ok_or_else(|| {
                Error::new(&Location::new("common", ""), "internal error: shared types without their document")
            })?;
            let mut doc = format!(
                "The types the APIs share, from `{}`: an API module whose spec defines one of them by the same name and with the same rules re-exports it from here.",
                crate::escape::doc_line(&common.source)
            );
            if let Some(d) = &common.doc {
                doc.push_str("\n\n");
                doc.push_str(d);
            }
            (doc, rust_header(&[common.source.as_str()]))
        }
        Module::Api(name) => {
            let api = ir.apis.iter().find(|a| &a.module == name).ok_or_else(|| {
                Error::new(&Location::new(name.as_str(), ""), "internal error: module without an API")
            })?;
            (api_doc(api), rust_header(&[api.source.as_str()]))
        }
    };
    let mut text = header;
    match inner_docs(&doc.lines().map(str::to_string).collect::<Vec<_>>()) {
        RootPart::Text(docs) => text.push_str(&docs),
        RootPart::Items(tokens) => text.push_str(&render_items(tokens, what)?),
    }
    let mut skeletons = EnumSkeletons::default();
    for id in ids {
        text.push_str(&type_item(ir, ir.ty(*id), scope, what, &mut skeletons)?);
    }
    Ok(spaced(text))
}

fn api_doc(api: &Api) -> String {
    let mut doc = format!(
        "Types of the **{}** (version {}), from `{}`.",
        crate::escape::doc_line(&api.title),
        crate::escape::doc_line(&api.version),
        crate::escape::doc_line(&api.source)
    );
    if !api.overlays.is_empty() {
        doc.push_str(&format!(
            "\n\nSealed (JWE) fields are declared in {}.",
            api.overlays.iter().map(|o| format!("`{o}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(d) = &api.doc {
        doc.push_str("\n\n");
        doc.push_str(d);
    }
    doc
}

/// The printed items of one type.
fn type_item(
    ir: &Ir,
    def: &TypeDef,
    scope: Scope<'_>,
    what: &str,
    skeletons: &mut EnumSkeletons,
) -> Result<String, Error> {
    let name = ident(&def.name);
    let tokens = match &def.kind {
        TypeKind::Struct(s) if s.plaintext => return plaintext_struct(ir, def, s, scope, what),
        TypeKind::Struct(s) => return structure(ir, def, s, scope, what),
        TypeKind::StringEnum(e) => return string_enum(def, e, what, skeletons),
        TypeKind::OneOf(o) => {
            let texts: Vec<String> = o.variants.iter().map(|v| type_string(ir, &v.ty, scope)).collect();
            if let Some(text) = one_of_text(def, o, &texts) {
                return Ok(text);
            }
            let types: Vec<TokenStream> = o.variants.iter().map(|v| type_tokens(ir, &v.ty, scope)).collect();
            one_of(def, o, &types)
        }
        TypeKind::Newtype(n) => return newtype_item(ir, def, n, scope, what),
        TypeKind::Alias(target) => {
            let doc = doc_attrs(def.doc.as_deref());
            let target = type_tokens(ir, target, scope);
            quote!(#doc pub type #name = #target;)
        }
        TypeKind::ReExport(id) => {
            let target = type_tokens(ir, &TypeRef::Named(*id), scope);
            quote!(pub use #target;)
        }
    };
    render_items(tokens, what)
}

/// [`field_type`] as [`super::type_text`] prints it.
fn field_type_string(ir: &Ir, f: &crate::ir::Field, scope: Scope<'_>) -> String {
    let ty = type_string(ir, &f.ty, scope);
    if f.required && !f.nullable {
        ty
    } else {
        format!("::std::option::Option<{ty}>")
    }
}

fn field_type(ir: &Ir, f: &crate::ir::Field, scope: Scope<'_>) -> TokenStream {
    let ty = type_tokens(ir, &f.ty, scope);
    if f.required && !f.nullable {
        ty
    } else {
        quote!(::std::option::Option<#ty>)
    }
}

/// A struct and its [`construction`]. Each member that prints as plain lines is printed as text
/// (see [`field_text`]); the others, and the map of additional properties, go through
/// prettyplease one by one inside the struct's head ([`render_block`]).
fn structure(ir: &Ir, def: &TypeDef, s: &Struct, scope: Scope<'_>, what: &str) -> Result<String, Error> {
    let mut members: Vec<Member> = s
        .fields
        .iter()
        .map(|f| match field_text(f, &field_type_string(ir, f, scope)) {
            Some(text) => Member::Text(text),
            None => field_tokens(f, &field_type(ir, f, scope)).into(),
        })
        .collect();
    let mut extra = None;
    if let Some(additional) = &s.additional {
        let name = ident(&additional.ident);
        let map =
            format!("::std::collections::BTreeMap<::std::string::String, {}>", type_string(ir, &additional.ty, scope));
        members.push(match additional_text(&name.to_string(), &map) {
            Some(text) => Member::Text(text),
            None => {
                let ty = type_tokens(ir, &additional.ty, scope);
                additional_tokens(&name, &quote!(::std::collections::BTreeMap<::std::string::String, #ty>)).into()
            }
        });
        extra = Some(name);
    }
    let mut text = block(|| struct_head_tokens(def, s), &struct_head_text(def, s), members, what)?;
    text.push_str(&construction(ir, def, s, scope, extra.as_ref(), what)?);
    Ok(text)
}

/// The member holding the properties a struct does not list, of type `map`.
fn additional_tokens(name: &proc_macro2::Ident, map: &TokenStream) -> TokenStream {
    quote! {
        /// Properties not listed above (the schema allows them via `additionalProperties`).
        #[serde(flatten)]
        pub #name: #map,
    }
}

/// [`additional_tokens`] as prettyplease prints them in the struct (see `declaration_text`).
fn additional_text(name: &str, map: &str) -> Option<String> {
    let declaration = super::declaration_text(name, map)?;
    Some(format!(
        "    /// Properties not listed above (the schema allows them via `additionalProperties`).\n    #[serde(flatten)]\n{declaration}"
    ))
}

/// Whether a struct derives `Default` (it has no required members) and denies unknown fields.
fn struct_attrs(s: &Struct) -> (bool, bool) {
    (s.constructor_args().next().is_none(), s.deny_unknown_fields && s.additional.is_none())
}

/// A struct's head: its docs, attributes and `pub struct Name`.
fn struct_head_tokens(def: &TypeDef, s: &Struct) -> TokenStream {
    let (default, deny) = struct_attrs(s);
    let name = ident(&def.name);
    let doc = doc_attrs(def.doc.as_deref());
    let default = if default { quote!(Default,) } else { TokenStream::new() };
    let deny = if deny { quote!(#[serde(deny_unknown_fields)]) } else { TokenStream::new() };
    quote! {
        #doc
        #[derive(Clone, Debug, #default PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #deny
        #[non_exhaustive]
        pub struct #name
    }
}

/// [`struct_head_tokens`] as prettyplease prints them followed by ` {` (on a line of its own:
/// nothing in it can break).
fn struct_head_text(def: &TypeDef, s: &Struct) -> String {
    let (default, deny) = struct_attrs(s);
    let mut text = String::new();
    super::docs::push_doc(&mut text, "", def.doc.as_deref());
    text.push_str(if default {
        "#[derive(Clone, Debug, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]\n"
    } else {
        "#[derive(Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize)]\n"
    });
    if deny {
        text.push_str("#[serde(deny_unknown_fields)]\n");
    }
    text.push_str(&format!("#[non_exhaustive]\npub struct {} {{\n", def.name));
    text
}

/// [`render_block`] of `head()`, whose printed form up to and including its `{` line is
/// `opening`: when every member is text, the block is put together without making or printing
/// the head's tokens.
fn block(head: impl FnOnce() -> TokenStream, opening: &str, members: Vec<Member>, what: &str) -> Result<String, Error> {
    if members.is_empty() || members.iter().any(|m| matches!(m, Member::Tokens(_))) {
        return render_block(head(), members, what);
    }
    let mut out = opening.to_string();
    for member in members {
        if let Member::Text(text) = member {
            out.push_str(&text);
        }
    }
    out.push_str("}\n");
    Ok(out)
}

fn field_tokens(f: &crate::ir::Field, ty: &TokenStream) -> TokenStream {
    let ident = ident(&f.ident);
    let doc = doc_attrs(f.doc.as_deref());
    let wire = &f.name;
    let rename = if f.ident != f.name { quote!(#[serde(rename = #wire)]) } else { TokenStream::new() };
    let optional = if f.required {
        TokenStream::new()
    } else {
        quote!(#[serde(default, skip_serializing_if = "::std::option::Option::is_none")])
    };
    quote! { #doc #rename #optional pub #ident: #ty, }
}

/// [`field_tokens`] as prettyplease prints them, or `None` where it might print an escape or
/// break a line other than between generic arguments.
fn field_text(f: &crate::ir::Field, ty: &str) -> Option<String> {
    let declaration = type_lines(4, &format!("pub {}: ", f.ident), ty, ",", true)?;
    let mut out = String::new();
    super::docs::push_doc(&mut out, "    ", f.doc.as_deref());
    if f.ident != f.name {
        let rename = format!("    #[serde(rename = {})]\n", super::string_literal(&f.name));
        if !rename.is_ascii() || rename.len() - 1 > MARGIN {
            return None;
        }
        out.push_str(&rename);
    }
    if !f.required {
        out.push_str("    #[serde(default, skip_serializing_if = \"::std::option::Option::is_none\")]\n");
    }
    out.push_str(&declaration);
    Some(out)
}

/// The ways into a `#[non_exhaustive]` struct (see the module docs): `new(required…)` when it
/// has required members, and a `with_` setter per optional one. `extra` is the map of
/// additional properties, which starts empty.
fn construction(
    ir: &Ir,
    def: &TypeDef,
    s: &Struct,
    scope: Scope<'_>,
    extra: Option<&proc_macro2::Ident>,
    what: &str,
) -> Result<String, Error> {
    let mut methods: Vec<Member> = Vec::new();
    let params: Vec<(&str, String)> =
        s.constructor_args().map(|f| (f.ident.as_str(), type_string(ir, &f.ty, scope))).collect();
    if !params.is_empty() {
        let mut inits: Vec<(&str, Init)> = s
            .fields
            .iter()
            .map(|f| (f.ident.as_str(), if f.required && !f.nullable { Init::Argument } else { Init::Unset }))
            .collect();
        let extra = extra.map(ToString::to_string);
        inits.extend(extra.as_deref().map(|m| (m, Init::EmptyMap)));
        let constructor = Constructor { name: &s.constructor, params, inits };
        methods.push(match constructor.text() {
            Some(text) => Member::Text(text),
            None => {
                let types: Vec<TokenStream> = s.constructor_args().map(|f| type_tokens(ir, &f.ty, scope)).collect();
                constructor.tokens(&types).into()
            }
        });
    }
    for f in s.fields.iter().filter(|f| !f.required || f.nullable) {
        methods.push(match setter_text(&f.setter, &f.ident, &type_string(ir, &f.ty, scope)) {
            Some(text) => Member::Text(text),
            None => setter_tokens(&f.setter, &f.ident, &type_tokens(ir, &f.ty, scope)).into(),
        });
    }
    if methods.is_empty() {
        return Ok(String::new());
    }
    let name = ident(&def.name);
    block(|| quote!(impl #name), &format!("impl {name} {{\n"), methods, what)
}

/// `new(required…)`: its name, its parameters (member and type) and the first value of every
/// member, in declaration order.
struct Constructor<'a> {
    name: &'a str,
    /// Each parameter's member and type, the type as [`super::type_text`] prints it.
    params: Vec<(&'a str, String)>,
    inits: Vec<(&'a str, Init)>,
}

/// The first value of a member in [`Constructor`].
#[derive(Clone, Copy)]
enum Init {
    /// The parameter of the same name.
    Argument,
    /// An optional member, unset.
    Unset,
    /// The map of additional properties, empty.
    EmptyMap,
}

impl Init {
    fn text(self, member: &str) -> String {
        match self {
            Init::Argument => format!("{member}.into()"),
            Init::Unset => "::std::option::Option::None".to_string(),
            Init::EmptyMap => "::std::collections::BTreeMap::new()".to_string(),
        }
    }
}

impl Constructor<'_> {
    fn doc(&self) -> String {
        let listed = self.params.iter().map(|(p, _)| format!("`{p}`")).collect::<Vec<_>>().join(", ");
        format!(
            " Builds the value from its required members ({listed}); the others start unset, see the `with_` methods."
        )
    }

    /// More than seven parameters is clippy's `too_many_arguments`.
    fn too_many_arguments(&self) -> bool {
        self.params.len() > 7
    }

    /// The constructor's tokens, `types` its parameters' types in order.
    fn tokens(&self, types: &[TokenStream]) -> TokenStream {
        let doc = self.doc();
        let allow =
            if self.too_many_arguments() { quote!(#[allow(clippy::too_many_arguments)]) } else { TokenStream::new() };
        let params = self.params.iter().zip(types).map(|((p, _), ty)| {
            let p = ident(p);
            quote!(#p: impl ::std::convert::Into<#ty>)
        });
        let inits = self.inits.iter().map(|(member, init)| {
            let id = ident(member);
            match init {
                Init::Argument => quote!(#id: #id.into(),),
                Init::Unset => quote!(#id: ::std::option::Option::None,),
                Init::EmptyMap => quote!(#id: ::std::collections::BTreeMap::new(),),
            }
        });
        let name = ident(self.name);
        quote! {
            #[doc = #doc]
            #allow
            pub fn #name(#(#params),*) -> Self {
                Self { #(#inits)* }
            }
        }
    }

    /// [`Self::tokens`] as prettyplease prints them: a spec with many schemas has a constructor
    /// for most of them, each a line per member. The `Self { … }` literal stays on one line while
    /// its text up to the closing brace is at most 34 characters (prettyplease's limit for struct
    /// literals), else takes a line per member, an unset one past the margin if it must; `None`
    /// where another line would not fit.
    fn text(&self) -> Option<String> {
        let mut params = Vec::with_capacity(self.params.len());
        for (p, ty) in &self.params {
            params.push((format!("{p}: impl "), format!("::std::convert::Into<{ty}>")));
        }
        let mut out = format!("    ///{}\n", self.doc());
        if self.too_many_arguments() {
            out.push_str("    #[allow(clippy::too_many_arguments)]\n");
        }
        out.push_str(&signature_text(&format!("pub fn {}", self.name), &params, "-> Self")?);
        let fields: Vec<String> =
            self.inits.iter().map(|(member, init)| format!("{member}: {}", init.text(member))).collect();
        let one_line = format!("Self {{ {} }}", fields.join(", "));
        if one_line.len() - 1 <= 34 {
            out.push_str(&format!("        {one_line}\n"));
        } else {
            out.push_str("        Self {\n");
            for ((_, init), field) in self.inits.iter().zip(&fields) {
                let line = format!("            {field},\n");
                // An unset member's value has nowhere to break; an argument's call might.
                if line.len() - 1 > MARGIN && matches!(init, Init::Argument) {
                    return None;
                }
                out.push_str(&line);
            }
            out.push_str("        }\n");
        }
        out.push_str("    }\n");
        out.is_ascii().then_some(out)
    }
}

/// The signature of a method in an `impl` block as prettyplease prints it, up to the `{` that opens
/// its body: on one line when it fits, else one parameter per line; `None` where a parameter
/// would not fit its line either (prettyplease would break it further).
fn signature_text(head: &str, params: &[(String, String)], tail: &str) -> Option<String> {
    // Widths below are counted in bytes, prettyplease counts characters.
    if !(head.is_ascii() && tail.is_ascii() && params.iter().all(|(p, ty)| p.is_ascii() && ty.is_ascii())) {
        return None;
    }
    let written: Vec<String> = params.iter().map(|(p, ty)| format!("{p}{ty}")).collect();
    let one_line = format!("    {head}({}) {tail} {{\n", written.join(", "));
    if one_line.len() - 1 <= MARGIN {
        return Some(one_line);
    }
    let mut out = format!("    {head}(\n");
    for (i, (p, ty)) in params.iter().enumerate() {
        out.push_str(&type_lines(8, p, ty, ",", i + 1 < params.len())?);
    }
    out.push_str(&format!("    ) {tail} {{\n"));
    Some(out)
}

/// `{prefix}{ty}{suffix}` indented by `indent`, as prettyplease lays out a type (`ty` as
/// [`super::type_text`] writes it): on one line when it fits, else with the outermost generic arguments
/// one per line, each laid out the same way (a path without them stays whole, past the margin
/// if it must). `None` where the text is not ASCII (widths are counted in bytes). `counted`: whether
/// the suffix counts toward the width (a comma prettyplease prints only when it breaks the line,
/// after the last argument or parameter, does not).
pub(super) fn type_lines(indent: usize, prefix: &str, ty: &str, suffix: &str, counted: bool) -> Option<String> {
    let pad = " ".repeat(indent);
    let line = format!("{pad}{prefix}{ty}{suffix}\n");
    if !line.is_ascii() {
        return None;
    }
    // A comma that prettyplease prints only when it breaks the line may overrun the margin; a
    // line indented past 29 columns may hold 60 after its indentation (prettyplease's minimum).
    let width = line.len() - 1 - if counted { 0 } else { suffix.len() };
    if width <= MARGIN.max(indent + 60) {
        return Some(line);
    }
    // A path without generic arguments has nowhere to break: it stays whole past the margin.
    let Some(open) = ty.find('<') else { return Some(line) };
    let args = ty[open + 1..].strip_suffix('>')?;
    let mut out = format!("{pad}{prefix}{}\n", &ty[..=open]);
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in args.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.checked_sub(1)?,
            ',' if depth == 0 => {
                out.push_str(&type_lines(indent + 4, "", args[start..i].trim(), ",", true)?);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push_str(&type_lines(indent + 4, "", args[start..].trim(), ",", false)?);
    out.push_str(&format!("{pad}>{suffix}\n"));
    Some(out)
}

fn setter_tokens(setter: &str, member: &str, ty: &TokenStream) -> TokenStream {
    let doc = format!(" Sets [`{member}`](Self::{member}).");
    let (setter, member) = (ident(setter), ident(member));
    quote! {
        #[doc = #doc]
        pub fn #setter(mut self, value: impl ::std::convert::Into<#ty>) -> Self {
            self.#member = ::std::option::Option::Some(value.into());
            self
        }
    }
}

/// [`setter_tokens`] printed as text, as prettyplease prints it: there are
/// thousands in a large spec, and they differ only in names and type. The signature stays on one
/// line when it fits, else its parameters go one per line; the assignment on one line, else with
/// the call's argument on a line of its own; `None` where prettyplease would break a line further,
/// which then goes through it.
fn setter_text(setter: &str, member: &str, ty: &str) -> Option<String> {
    let params =
        [("mut self".to_string(), String::new()), ("value: impl ".to_string(), format!("::std::convert::Into<{ty}>"))];
    let signature = signature_text(&format!("pub fn {setter}"), &params, "-> Self")?;
    let assignment = format!("        self.{member} = ::std::option::Option::Some(value.into());\n");
    let assignment = if assignment.len() - 1 <= MARGIN {
        assignment
    } else {
        // The call's argument goes to a line of its own, the call's head past the margin if
        // it must; unless `self.member = ` itself does not fit (prettyplease breaks before
        // `.member`; measured: the test sweeps the member's length).
        if format!("        self.{member} = ").len() > MARGIN {
            return None;
        }
        format!("        self.{member} = ::std::option::Option::Some(\n            value.into(),\n        );\n")
    };
    Some(format!("    /// Sets [`{member}`](Self::{member}).\n{signature}{assignment}        self\n    }}\n"))
}

/// A JWE plaintext: no public serde (so it cannot be logged as JSON by accident), a redacted
/// `Debug` through its fields, and the `Plaintext` impl that sealing and opening use.
fn plaintext_struct(ir: &Ir, def: &TypeDef, s: &Struct, scope: Scope<'_>, what: &str) -> Result<String, Error> {
    let name = ident(&def.name);
    let type_name = &def.name;
    let mut doc = def.doc.clone().unwrap_or_default();
    doc.push_str("\n\nThe plaintext of a JWE. Fields are redacted in `Debug` and zeroized on drop; the JSON form exists only inside [`Plaintext`](::d1_runtime::jwe::Plaintext).");
    let doc = doc_attrs(Some(&doc));
    let jwe = runtime_path("jwe");
    let mut fields = Vec::new();
    let mut wire_fields = Vec::new();
    let mut wire_values = Vec::new();
    let mut owned_fields = Vec::new();
    let mut builds = Vec::new();
    let mut lengths = Vec::new();
    for f in &s.fields {
        let id = ident(&f.ident);
        let ty = field_type(ir, f, scope);
        let inner = type_tokens(ir, &f.ty, scope);
        let fdoc = doc_attrs(f.doc.as_deref());
        let wire = &f.name;
        fields.push(quote!(#fdoc pub #id: #ty,));
        if f.required {
            wire_fields.push(quote!(#[serde(rename = #wire)] #id: &'a str,));
            wire_values.push(quote!(#id: self.#id.as_str(),));
            lengths.push(quote!(self.#id.as_str().len()));
            owned_fields.push(quote!(#[serde(rename = #wire)] #id: ::std::string::String,));
            builds.push(quote!(#id: <#inner as ::std::convert::TryFrom<::std::string::String>>::try_from(wire.#id).map_err(invalid)?,));
        } else {
            wire_fields.push(quote!(#[serde(rename = #wire, skip_serializing_if = "::std::option::Option::is_none")] #id: ::std::option::Option<&'a str>,));
            wire_values.push(quote!(#id: self.#id.as_ref().map(|v| v.as_str()),));
            lengths.push(quote!(self.#id.as_ref().map_or(0, |v| v.as_str().len())));
            owned_fields
                .push(quote!(#[serde(rename = #wire, default)] #id: ::std::option::Option<::std::string::String>,));
            builds.push(quote!(#id: wire.#id.map(<#inner as ::std::convert::TryFrom<::std::string::String>>::try_from).transpose().map_err(invalid)?,));
        }
    }
    let overhead = proc_macro2::Literal::usize_unsuffixed(
        16 + 8 * s.fields.len() + s.fields.iter().map(|f| f.name.len()).sum::<usize>(),
    );
    let default = if s.constructor_args().next().is_none() { quote!(Default,) } else { TokenStream::new() };
    let mut text = render_items(
        quote! {
            #doc
            #[derive(Clone, Debug, #default PartialEq, Eq)]
            #[non_exhaustive]
            pub struct #name {
                #(#fields)*
            }
        },
        what,
    )?;
    text.push_str(&construction(ir, def, s, scope, None, what)?);
    let plaintext = quote! {
        impl #jwe::Plaintext for #name {
            const TYPE_NAME: &'static str = #type_name;

            fn to_json(&self) -> ::d1_runtime::zeroize::Zeroizing<::std::vec::Vec<u8>> {
                #[derive(::serde::Serialize)]
                struct Wire<'a> {
                    #(#wire_fields)*
                }
                let wire = Wire { #(#wire_values)* };
                // Sized up front so the buffer never reallocates and leaves a copy behind.
                let capacity = #overhead #( + #lengths )*;
                let mut out = ::d1_runtime::zeroize::Zeroizing::new(::std::vec::Vec::with_capacity(capacity));
                if ::serde_json::to_writer(&mut *out, &wire).is_err() {
                    // Writing plain strings into a Vec cannot fail; never hand out half a document.
                    ::d1_runtime::zeroize::Zeroize::zeroize(&mut *out);
                    out.clear();
                }
                out
            }

            fn from_json(json: &[u8]) -> ::std::result::Result<Self, #jwe::PlaintextError> {
                // Members it does not list are skipped: D1 may add some to a sealed payload.
                #[derive(::serde::Deserialize)]
                struct Wire {
                    #(#owned_fields)*
                }
                let invalid = |e: ::d1_runtime::validation::ValidationError| #jwe::PlaintextError {
                    type_name: #type_name,
                    reason: e.to_string(),
                };
                let wire: Wire = #jwe::decode_plaintext(#type_name, json)?;
                Ok(Self { #(#builds)* })
            }
        }
    };
    text.push_str(&render_items(plaintext, what)?);
    Ok(text)
}

/// A string enum: its items printed without the listed values, and the lines of each value
/// added as text where prettyplease would print them: one line each in the `enum`, in `as_str`
/// and in `from` (enums with hundreds of values are common). Where a value would not print as
/// one plain line (an escape in its doc, a line too long), the whole enum goes through
/// prettyplease.
fn string_enum(def: &TypeDef, e: &StringEnum, what: &str, skeletons: &mut EnumSkeletons) -> Result<String, Error> {
    let mut lines = (String::new(), String::new(), String::new());
    for v in &e.variants {
        let literal = super::string_literal(&v.value);
        if v.value.chars().any(crate::escape::is_unsafe) || !literal.is_ascii() || !v.ident.is_ascii() {
            return render_items(string_enum_tokens(def, e), what);
        }
        lines.0.push_str(&format!("    /// `{}`\n    {},\n", v.value, v.ident));
        push_arm(&mut lines.1, &format!("Self::{}", v.ident), &literal);
        push_arm(&mut lines.2, &literal, &format!("Self::{}", v.ident));
    }
    let skeleton = skeletons.get(def, e, what)?;
    let anchors = [
        ("    /// A value this version of the spec does not list.\n".to_string(), lines.0),
        (format!("            Self::{}(value) => value.as_str(),\n", e.unknown_variant), lines.1),
        ("            other => ".to_string(), lines.2),
    ];
    let mut text = String::with_capacity(skeleton.len() + anchors.iter().map(|(_, l)| l.len()).sum::<usize>());
    let mut rest = skeleton.as_str();
    for (anchor, lines) in &anchors {
        let at = rest.find(anchor.as_str()).ok_or_else(|| {
            Error::new(&Location::new(what, ""), "internal error: a string enum printed unexpectedly")
        })?;
        text.push_str(&rest[..at]);
        text.push_str(lines);
        rest = &rest[at..];
    }
    text.push_str(rest);
    Ok(text)
}

/// A match arm `pattern => body,` of a string enum's `as_str` or `from` as prettyplease prints
/// it: on one line when the line fits without its comma, else with the body in a block of its own
/// (neither side can break further).
fn push_arm(out: &mut String, pattern: &str, body: &str) {
    const INDENT: &str = "            ";
    if INDENT.len() + pattern.len() + " => ".len() + body.len() <= MARGIN {
        out.push_str(&format!("{INDENT}{pattern} => {body},\n"));
    } else {
        out.push_str(&format!("{INDENT}{pattern} => {{\n{INDENT}    {body}\n{INDENT}}}\n"));
    }
}

/// The items of string enums without their values, by the length of the enum's name and the
/// name of its catch-all variant: printed once with a stand-in name of that length (the layout
/// depends on names only through their lengths), then given each enum's name and docs. Names of
/// at most [`SHORT_NAME`] bytes share one stand-in: no line that holds the name comes near the
/// margin.
/// The longest enum name (in bytes) printed with the shared stand-in of [`EnumSkeletons`]: the
/// longest line holding the name, `impl<'de> ::serde::Deserialize<'de> for Name {`, then still
/// fits the margin with room to spare.
const SHORT_NAME: usize = 40;

#[derive(Default)]
struct EnumSkeletons(std::collections::HashMap<(usize, String), String>);

impl EnumSkeletons {
    fn get(&mut self, def: &TypeDef, e: &StringEnum, what: &str) -> Result<String, Error> {
        let without_values = StringEnum { variants: Vec::new(), unknown_variant: e.unknown_variant.clone() };
        // The stand-in must be no other identifier of the printed items.
        if e.unknown_variant.starts_with('Q') {
            return render_items(string_enum_tokens(def, &without_values), what);
        }
        let length = def.name.len().max(SHORT_NAME);
        let stand_in = format!("Q{}", "q".repeat(length - 1));
        let skeleton = match self.0.entry((length, e.unknown_variant.clone())) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) if length == SHORT_NAME && e.unknown_variant == "Unknown" => {
                new.insert(SHORT_SKELETON.replace("Skeleton", &stand_in))
            }
            Entry::Vacant(new) => new.insert(skeleton(def, &stand_in, &without_values, what)?),
        };
        let mut text = String::new();
        super::docs::push_doc(&mut text, "", Some(&enum_doc(def, e)));
        text.push_str(&replace_identifier(skeleton, &stand_in, &def.name));
        Ok(text)
    }
}

/// The items of the string enum `without_values` named `stand_in`, as prettyplease prints them,
/// without docs: each enum gets its own.
fn skeleton(def: &TypeDef, stand_in: &str, without_values: &StringEnum, what: &str) -> Result<String, Error> {
    let stand_in_def = TypeDef {
        name: stand_in.to_string(),
        module: def.module.clone(),
        doc: None,
        location: def.location.clone(),
        kind: TypeKind::Alias(TypeRef::Json),
        check: None,
    };
    let printed = render_items(string_enum_tokens(&stand_in_def, without_values), what)?;
    let docs: usize = printed.split_inclusive('\n').take_while(|l| l.starts_with("///")).map(str::len).sum();
    Ok(printed[docs..].to_string())
}

/// The [`skeleton`] of the enums named in at most [`SHORT_NAME`] bytes whose catch-all is
/// `Unknown` (nearly all), named `Skeleton`: printing it took a fortieth of a run on a median spec.
const SHORT_SKELETON: &str = r#"#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Skeleton {
    /// A value this version of the spec does not list.
    Unknown(::d1_runtime::validation::UnknownValue),
}
impl Skeleton {
    /// The value as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unknown(value) => value.as_str(),
        }
    }
    /// Whether the value is one this version of the spec lists.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Unknown(_))
    }
}
impl ::std::convert::From<&str> for Skeleton {
    fn from(value: &str) -> Self {
        match value {
            other => {
                Self::Unknown(
                    ::d1_runtime::validation::UnknownValue::new_unchecked(
                        other.to_string(),
                    ),
                )
            }
        }
    }
}
impl ::std::str::FromStr for Skeleton {
    type Err = ::std::convert::Infallible;
    fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
        Ok(Self::from(value))
    }
}
impl ::std::fmt::Display for Skeleton {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}
impl ::serde::Serialize for Skeleton {
    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
impl<'de> ::serde::Deserialize<'de> for Skeleton {
    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::std::result::Result<Self, D::Error> {
        let value = <::std::borrow::Cow<
            'de,
            str,
        > as ::serde::Deserialize>::deserialize(deserializer)?;
        Ok(Self::from(value.as_ref()))
    }
}
"#;

/// A validated newtype: its doc, then its items as text where [`newtype::text`] knows their
/// layout (nearly always), else printed from [`newtype::emit`]'s tokens.
fn newtype_item(ir: &Ir, def: &TypeDef, n: &Newtype, scope: Scope<'_>, what: &str) -> Result<String, Error> {
    let item = match &n.inner {
        NewtypeInner::Array(item) => Some(item),
        _ => None,
    };
    let mut text = String::new();
    super::docs::push_doc(&mut text, "", Some(&newtype::doc(def, n)));
    let item_text = item.map(|item| type_string(ir, item, scope));
    match newtype::text(def, &def.name, n, item_text.as_deref(), what)? {
        Some(items) => text.push_str(&items),
        None => {
            let item = item.map(|item| type_tokens(ir, item, scope)).unwrap_or_default();
            text.push_str(&render_items(newtype::emit(def, &def.name, n, item)?, what)?)
        }
    }
    Ok(text)
}

/// `text` with every whole identifier `from` replaced by `to`.
fn replace_identifier(text: &str, from: &str, to: &str) -> String {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let (before, after) = (&rest[..at], &rest[at + from.len()..]);
        out.push_str(before);
        let whole = !before.ends_with(is_ident) && !after.starts_with(is_ident);
        out.push_str(if whole { to } else { from });
        rest = after;
    }
    out.push_str(rest);
    out
}

fn enum_doc(def: &TypeDef, e: &StringEnum) -> String {
    let mut doc = def.doc.clone().unwrap_or_default();
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    doc.push_str(&format!(
        "Values D1 adds after this spec was written are kept as [`{}::{}`].",
        def.name, e.unknown_variant
    ));
    doc
}

fn string_enum_tokens(def: &TypeDef, e: &StringEnum) -> TokenStream {
    let name = ident(&def.name);
    let doc = doc_attrs(Some(&enum_doc(def, e)));
    let validation = runtime_path("validation");
    let unknown = ident(&e.unknown_variant);
    let variants: Vec<TokenStream> = e
        .variants
        .iter()
        .map(|v| {
            let id = ident(&v.ident);
            let d = format!(" `{}`", v.value);
            quote!(#[doc = #d] #id,)
        })
        .collect();
    let to_str: Vec<TokenStream> = e
        .variants
        .iter()
        .map(|v| {
            let id = ident(&v.ident);
            let value = &v.value;
            quote!(Self::#id => #value,)
        })
        .collect();
    let from_str: Vec<TokenStream> = e
        .variants
        .iter()
        .map(|v| {
            let id = ident(&v.ident);
            let value = &v.value;
            quote!(#value => Self::#id,)
        })
        .collect();
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value this version of the spec does not list.
            #unknown(#validation::UnknownValue),
        }

        impl #name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_str)*
                    Self::#unknown(value) => value.as_str(),
                }
            }

            /// Whether the value is one this version of the spec lists.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::#unknown(_))
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#from_str)*
                    other => Self::#unknown(#validation::UnknownValue::new_unchecked(other.to_string())),
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value.as_ref()))
            }
        }
    }
}

/// The doc of a union: the type's, and the tag's property when it is tagged.
fn one_of_doc(def: &TypeDef, o: &OneOf) -> String {
    let mut doc = def.doc.clone().unwrap_or_default();
    if let Some(tag) = &o.tag {
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(&format!("Tagged by the `{tag}` property, which the variant types do not repeat."));
    }
    doc
}

/// A union as an enum, `types` the variants' types in order.
fn one_of(def: &TypeDef, o: &OneOf, types: &[TokenStream]) -> TokenStream {
    let name = ident(&def.name);
    let doc = doc_attrs(Some(&one_of_doc(def, o)));
    let variants: Vec<TokenStream> = o
        .variants
        .iter()
        .zip(types)
        .map(|(v, ty)| {
            let id = ident(&v.ident);
            let doc = doc_attrs(v.doc.as_deref());
            match &v.tag_value {
                Some(tag) => quote!(#doc #[serde(rename = #tag)] #id(#ty),),
                None => quote!(#doc #id(#ty),),
            }
        })
        .collect();
    let attr = match &o.tag {
        Some(tag) => quote!(#[serde(tag = #tag)]),
        None => quote!(#[serde(untagged)]),
    };
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #attr
        #[allow(clippy::large_enum_variant)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
        }
    }
}

/// [`one_of`] as prettyplease prints it: each variant on one line when it fits, else its type
/// alone (see [`type_lines`]). `None` where an attribute would not print as one plain line.
fn one_of_text(def: &TypeDef, o: &OneOf, types: &[String]) -> Option<String> {
    let attr = |name: &str, value: &str| {
        let line = format!("#[serde({name} = {})]", super::string_literal(value));
        (line.is_ascii() && line.len() + 4 <= MARGIN).then_some(line)
    };
    let mut text = String::new();
    super::docs::push_doc(&mut text, "", Some(&one_of_doc(def, o)));
    text.push_str("#[derive(Clone, Debug, PartialEq, ::serde::Serialize, ::serde::Deserialize)]\n");
    match &o.tag {
        Some(tag) => text.push_str(&attr("tag", tag)?),
        None => text.push_str("#[serde(untagged)]"),
    }
    text.push_str("\n#[allow(clippy::large_enum_variant)]\n#[non_exhaustive]\npub enum ");
    text.push_str(&def.name);
    if o.variants.is_empty() {
        text.push_str(" {}\n");
        return Some(text);
    }
    text.push_str(" {\n");
    for (v, ty) in o.variants.iter().zip(types) {
        super::docs::push_doc(&mut text, "    ", v.doc.as_deref());
        if let Some(tag) = &v.tag_value {
            text.push_str("    ");
            text.push_str(&attr("rename", tag)?);
            text.push('\n');
        }
        let line = format!("    {}({ty}),\n", v.ident);
        if line.len() - 1 <= MARGIN {
            text.push_str(&line);
        } else {
            text.push_str(&format!("    {}(\n", v.ident));
            text.push_str(&type_lines(8, "", ty, ",", false)?);
            text.push_str("    ),\n");
        }
    }
    text.push_str("}\n");
    text.is_ascii().then_some(text)
}

#[cfg(test)]
mod tests {
    use super::super::type_text;
    use super::*;
    use crate::ir::{EnumVariant, OneOfVariant};

    /// The member of additional properties printed as text equals prettyplease's printing of it.
    #[test]
    fn additional_properties_print_as_prettyplease_prints_them() {
        let (mut as_text, mut broken) = (0, 0);
        for n in 1..120 {
            let name = format!("additional_properties{}", "_".repeat(n % 7));
            let value = format!("::d1_types::m::V{}", "v".repeat(n));
            let map: TokenStream =
                format!("::std::collections::BTreeMap<::std::string::String, {value}>").parse().unwrap();
            let text = additional_text(&name, &type_text(&map).unwrap()).unwrap();
            let member = additional_tokens(&ident(&name), &map);
            let whole = render_items(quote!(pub struct A { #member }), "test");
            assert_eq!(format!("pub struct A {{\n{text}}}\n"), whole.unwrap(), "{n}");
            as_text += 1;
            broken += usize::from(text.contains("<\n"));
        }
        assert!(as_text == 119 && broken > 60, "{as_text} {broken}");
    }

    /// The unions printed as text equal prettyplease's printing of their tokens, across name,
    /// type and tag lengths that put a variant on one line, break its type or leave it whole.
    #[test]
    fn unions_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        let names: Vec<String> =
            crate::test_strings::joined(&["Microsoft", "Graph", "A", "x", "Identity", "9"], 300, 14, 11).collect();
        let (mut as_text, mut broken, mut tagged, mut left) = (0, 0, 0, 0);
        for n in 0..300 {
            let path = |k: usize| format!("::d1_types::graph::T{}", names[k % names.len()]);
            let types = [
                path(n),
                format!("::std::option::Option<{}>", path(n + 1)),
                format!("::std::collections::BTreeMap<::std::string::String, ::std::vec::Vec<{}>>", path(n + 2)),
                "::serde_json::Map<::std::string::String, ::serde_json::Value>".to_string(),
                format!("super::m::U{}", "u".repeat(n % 90)),
            ];
            let tag = (n % 3 == 0).then(|| format!("@{}", "t".repeat(n % 100)));
            let variants: Vec<OneOfVariant> = (0..n % 4 + usize::from(n % 50 != 0))
                .map(|i| OneOfVariant {
                    ident: format!("V{}", names[(n + i * 7) % names.len()]),
                    tag_value: tag.as_ref().map(|_| format!("value {}", "v".repeat((n * i) % 90))),
                    ty: TypeRef::Json,
                    doc: (i % 2 == 1).then(|| format!("When the value has this shape. {}", names[i])),
                })
                .collect();
            let types: Vec<TokenStream> =
                (0..variants.len()).map(|i| types[(n + i) % types.len()].parse::<TokenStream>().unwrap()).collect();
            let def = TypeDef {
                name: format!("U{}", names[(n * 3) % names.len()]),
                module: Module::Api("m".into()),
                doc: (n % 5 == 0).then(|| "A *union*.\n\nTwo paragraphs.".to_string()),
                location: Location::new("spec.json", "#/components/schemas/U"),
                kind: TypeKind::Alias(TypeRef::String),
                check: None,
            };
            let o = OneOf { tag, variants };
            let texts: Vec<String> = types.iter().map(|t| type_text(t).unwrap()).collect();
            let Some(text) = one_of_text(&def, &o, &texts) else {
                left += 1;
                continue;
            };
            assert_eq!(text, render_items(one_of(&def, &o, &types), "test").unwrap(), "{n}");
            as_text += 1;
            broken += usize::from(text.contains("(\n"));
            tagged += usize::from(text.contains("#[serde(rename"));
        }
        assert!(as_text > 200 && broken > 50 && tagged > 30 && left < 80, "{as_text} {broken} {tagged} {left}");
    }

    /// The setter through quote and prettyplease, as every member was printed before.
    fn printed(setter: &str, member: &str, ty: &TokenStream) -> String {
        render_block(quote!(impl A), [setter_tokens(setter, member, ty)], "test").unwrap()
    }

    #[test]
    fn string_enums_print_as_prettyplease_prints_them() {
        let values = [
            "A",
            "with space",
            "quote \" and \\ backslash",
            "caf\u{e9}",
            "line\nbreak",
            "tab\t",
            "bidi \u{202e}",
            "",
            &"LONG_VALUE_".repeat(4),
            &"LONGER_VALUE_".repeat(6),
        ];
        // Every length around the margin, in both arms.
        let long: Vec<String> = (60..80).map(|n| "V".repeat(n)).collect();
        let variant = |(i, value): (usize, &&str)| EnumVariant { value: value.to_string(), ident: format!("V{i}") };
        let mut enums: Vec<Vec<EnumVariant>> = values.iter().enumerate().map(|v| vec![variant(v)]).collect();
        enums.push(values.iter().take(4).enumerate().map(variant).collect());
        enums.push(vec![EnumVariant { value: "x".into(), ident: "VeryLong".repeat(10) }]);
        enums.push(long.iter().enumerate().map(|(i, value)| variant((i, &value.as_str()))).collect());
        enums.push((60..80).map(|n| EnumVariant { value: "x".into(), ident: format!("V{}", "v".repeat(n)) }).collect());
        let _docs = super::super::docs::Table::scope();
        let mut skeletons = EnumSkeletons::default();
        // Every name length up to past the shared stand-in's, with either catch-all name.
        for (n, unknown) in (1..SHORT_NAME + 8).flat_map(|n| [(n, "Unknown"), (n, "UnknownValue2")]) {
            let def = TypeDef {
                name: format!("N{}", "n".repeat(n - 1)),
                module: Module::Api("m".into()),
                doc: None,
                location: Location::new("spec.json", "#/components/schemas/N"),
                kind: TypeKind::Alias(TypeRef::String),
                check: None,
            };
            let e = StringEnum { variants: vec![variant((0, &"A"))], unknown_variant: unknown.into() };
            let whole = render_items(string_enum_tokens(&def, &e), "test").unwrap();
            assert_eq!(string_enum(&def, &e, "test", &mut skeletons).unwrap(), whole, "{n}");
        }
        for (i, variants) in enums.into_iter().enumerate() {
            let def = TypeDef {
                // Names of one length share a printed skeleton.
                name: ["Colour".to_string(), "Flavor".to_string(), "AVeryLongEnumName".repeat(4)][i % 3].clone(),
                module: Module::Api("m".into()),
                doc: (i % 4 == 0).then(|| "Some *docs*.\n\nTwo paragraphs.".to_string()),
                location: Location::new("spec.json", "#/components/schemas/Colour"),
                kind: TypeKind::Alias(TypeRef::String),
                check: None,
            };
            let e = StringEnum { variants, unknown_variant: "Unknown".into() };
            let whole = render_items(string_enum_tokens(&def, &e), "test").unwrap();
            assert_eq!(string_enum(&def, &e, "test", &mut skeletons).unwrap(), whole, "{:?}", e.variants);
        }
    }

    #[test]
    fn the_short_enum_skeleton_is_what_prettyplease_prints() {
        let _docs = super::super::docs::Table::scope();
        let stand_in = format!("Q{}", "q".repeat(SHORT_NAME - 1));
        let def = TypeDef {
            name: "Colour".into(),
            module: Module::Api("m".into()),
            doc: None,
            location: Location::new("spec.json", "#/components/schemas/Colour"),
            kind: TypeKind::Alias(TypeRef::String),
            check: None,
        };
        let e = StringEnum { variants: Vec::new(), unknown_variant: "Unknown".into() };
        let printed = skeleton(&def, &stand_in, &e, "test").unwrap();
        assert_eq!(SHORT_SKELETON.replace("Skeleton", &stand_in), printed);
    }

    #[test]
    fn struct_members_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        let types = [
            quote!(i32),
            quote!(::std::option::Option<::std::vec::Vec<super::other::SomeType>>),
            quote!(::std::collections::BTreeMap<::std::string::String, ::std::vec::Vec<super::other::SomeLongerType>>),
        ];
        let docs = [None, Some("One line."), Some("Two\r\nlines  \n\n* and a list\u{202e}")];
        let wires = ["plain", "with \"quote\"", "caf\u{e9}", "tab\tand\\"];
        let (mut as_text, mut left) = (0, 0);
        for n in (1..80).step_by(3) {
            for (i, ty) in types.iter().enumerate() {
                let ident = format!("m{}", "x".repeat(n));
                let f = crate::ir::Field {
                    name: if n % 2 == 0 { ident.clone() } else { format!("{}{}", wires[n % 4], "y".repeat(n)) },
                    setter: format!("with_{ident}"),
                    ident,
                    ty: TypeRef::Integer(crate::ir::IntWidth::I32),
                    required: i == 0,
                    nullable: false,
                    doc: docs[n % 3].map(str::to_string),
                };
                let tokens = field_tokens(&f, ty);
                let whole = render_items(quote!(pub struct A { #tokens }), "test").unwrap();
                match field_text(&f, &type_text(ty).unwrap()) {
                    Some(text) => {
                        as_text += 1;
                        assert_eq!(format!("pub struct A {{\n{text}}}\n"), whole);
                    }
                    None => left += 1,
                }
            }
        }
        assert!(as_text > 10 && left > 10, "{as_text} {left}");
    }

    #[test]
    fn struct_heads_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        let field = |required| crate::ir::Field {
            name: "a".into(),
            ident: "a".into(),
            ty: TypeRef::String,
            required,
            nullable: false,
            doc: None,
            setter: "with_a".into(),
        };
        for i in 0..8 {
            let def = TypeDef {
                name: if i % 2 == 0 { "A".to_string() } else { "AVeryLongStructName".repeat(6) },
                module: Module::Api("m".into()),
                doc: (i % 4 < 2).then(|| "Some *docs*.\n\nTwo\r\nparagraphs\u{202e}.".to_string()),
                location: Location::new("spec.json", "#/components/schemas/A"),
                kind: TypeKind::Alias(TypeRef::String),
                check: None,
            };
            let s = Struct {
                fields: vec![field(i < 4)],
                deny_unknown_fields: i % 3 == 0,
                additional: None,
                plaintext: false,
                constructor: "new".into(),
            };
            let (head, opening) = (struct_head_tokens(&def, &s), struct_head_text(&def, &s));
            let whole = render_items(quote!(#head {}), "test").unwrap();
            assert_eq!(format!("{}{{}}\n", opening.strip_suffix("{\n").unwrap()), whole);
        }
    }

    #[test]
    /// A newtype's doc and items, whether printed as text or from tokens (the name beyond ASCII,
    /// or long), with item types of the same module (see `newtype::tests` for the layouts).
    fn newtypes_print_as_prettyplease_prints_them() {
        use crate::ir::{Bound, BoundValue, Constraints, IntWidth};
        let _docs = super::super::docs::Table::scope();
        let def = |name: &str, doc: Option<&str>, kind: TypeKind| TypeDef {
            name: name.to_string(),
            module: Module::Api("m".into()),
            doc: doc.map(str::to_string),
            location: Location::new("spec.json", "#/components/schemas/A"),
            kind,
            check: None,
        };
        let newtype = |inner, constraints, sensitive| Newtype {
            inner,
            constraints,
            sensitive,
            plaintext: false,
            reveal_last: sensitive.then_some(4),
        };
        let pattern =
            |p: &str| Constraints { pattern: Some(p.to_string()), max_length: Some(64), ..Default::default() };
        let bounds = Constraints {
            minimum: Some(Bound { value: BoundValue::Integer(1), exclusive: false }),
            maximum: Some(Bound { value: BoundValue::Integer(100), exclusive: true }),
            ..Default::default()
        };
        let items = Constraints { min_items: Some(1), unique_items: true, ..Default::default() };
        let mut ir = Ir {
            apis: Vec::new(),
            common: None,
            types: Vec::new(),
            warnings: Vec::new(),
            sealed_fields: 0,
            namesakes: Vec::new(),
        };
        // Item types named like a newtype, or not.
        for name in ["Zzzzz", "Qqqqq", "Colour"] {
            ir.types.push(def(name, None, TypeKind::Alias(TypeRef::String)));
        }
        let shapes = [
            newtype(NewtypeInner::String, pattern("^[a-z]+$"), false),
            newtype(NewtypeInner::String, pattern("^[a-z]+$"), true),
            newtype(NewtypeInner::String, pattern("^(Qqqqq|Qqqqqqqqqqqqqqqqqqq)$"), false),
            newtype(NewtypeInner::Integer(IntWidth::I64), bounds.clone(), false),
            newtype(NewtypeInner::Number, bounds, false),
            newtype(NewtypeInner::Array(TypeRef::Named(crate::ir::TypeId(2))), items.clone(), false),
            newtype(NewtypeInner::Array(TypeRef::Named(crate::ir::TypeId(0))), items.clone(), false),
            newtype(NewtypeInner::Array(TypeRef::Named(crate::ir::TypeId(1))), items.clone(), false),
            newtype(NewtypeInner::Array(TypeRef::String), items, false),
        ];
        let names = ["Alpha", "Bravo", "Zzzzz", "Caf\u{e9}", &"AVeryLongNewtypeName".repeat(5), "Brav0"];
        let module = Module::Api("m".into());
        for n in &shapes {
            for (i, name) in names.iter().enumerate() {
                let def = def(name, (i % 2 == 0).then_some("Some *docs*.\r\nTwo lines."), TypeKind::Newtype(n.clone()));
                let item = match &n.inner {
                    NewtypeInner::Array(item) => type_tokens(&ir, item, Scope::Module(&module)),
                    _ => TokenStream::new(),
                };
                let mut whole = String::new();
                super::super::docs::push_doc(&mut whole, "", Some(&newtype::doc(&def, n)));
                whole.push_str(&render_items(newtype::emit(&def, name, n, item).unwrap(), "test").unwrap());
                let printed = newtype_item(&ir, &def, n, Scope::Module(&module), "test").unwrap();
                assert_eq!(printed, whole, "{name}: {n:?}");
            }
        }
    }

    #[test]
    fn constructors_print_as_prettyplease_prints_them() {
        let types = [
            quote!(i32),
            quote!(::std::string::String),
            quote!(::std::vec::Vec<::d1_types::a_module::AVeryLongTypeNameThatGoesOnAndOn>),
        ];
        let inits = [Init::Argument, Init::Unset, Init::EmptyMap];
        let (mut one_line, mut broken, mut left) = (0, 0, 0);
        // Every length around the literal's 34 characters, the signature's margin and the
        // member lines' margin, with one to nine parameters.
        for (n, taken) in (0..80).flat_map(|n| (1..4).map(move |taken| (n, taken))) {
            for (i, ty) in types.iter().enumerate() {
                let names: Vec<String> = (0..1 + (n + i) % 9)
                    .map(|k| {
                        let long = if n % 3 == 0 { 40 + n % 20 } else { 0 };
                        format!("{}{}", (b'a' + k as u8) as char, "x".repeat(n % 40 / (k + 1) + long))
                    })
                    .collect();
                let ty_text = type_text(ty).unwrap();
                let params: Vec<(&str, String)> =
                    names.iter().take(taken).map(|m| (m.as_str(), ty_text.clone())).collect();
                let types = vec![ty.clone(); params.len()];
                let all: Vec<(&str, Init)> = names
                    .iter()
                    .enumerate()
                    .map(|(k, m)| (m.as_str(), if k < params.len() { Init::Argument } else { inits[k % 3] }))
                    .collect();
                for count in [params.len(), all.len()] {
                    let constructor = Constructor { name: "new", params: params.clone(), inits: all[..count].to_vec() };
                    let expected = render_block(quote!(impl A), [constructor.tokens(&types)], "test").unwrap();
                    match constructor.text() {
                        Some(text) => {
                            if text.contains("        Self {\n") {
                                broken += 1
                            } else {
                                one_line += 1
                            }
                            let block = render_block(quote!(impl A), [Member::Text(text)], "test").unwrap();
                            assert_eq!(block, expected);
                        }
                        None => left += 1,
                    }
                }
            }
        }
        assert!(one_line > 10 && broken > 50 && left > 10, "{one_line} {broken} {left}");
    }

    #[test]
    fn setters_print_as_prettyplease_prints_them() {
        let types = [
            quote!(i32),
            quote!(::std::string::String),
            quote!(::std::vec::Vec<super::other::SomeType>),
            quote!(::std::collections::BTreeMap<::std::string::String, ::serde_json::Value>),
            quote!(::d1_runtime::jwe::Jwe<CardPlaintext, 4096>),
            quote!(::std::vec::Vec<::std::vec::Vec<::d1_types::a_module::AVeryLongTypeNameThatGoesOnAndOn>>),
        ];
        let (mut one_line, mut broken, mut left, mut split) = (0, 0, 0, 0);
        for ty in &types {
            let text = type_text(ty).unwrap();
            // Every length around the two line breaks: the signature's and the assignment's.
            for n in 1..100 {
                let member = format!("m{}", "x".repeat(n));
                let setter = format!("with_{member}");
                let expected = printed(&setter, &member, ty);
                if let Some(member_text) = setter_text(&setter, &member, &text) {
                    split += usize::from(member_text.contains("(\n            value.into(),\n"));
                    if member_text.contains("(\n") {
                        broken += 1
                    } else {
                        one_line += 1
                    }
                    let block = render_block(quote!(impl A), [Member::Text(member_text)], "test").unwrap();
                    assert_eq!(block, expected, "{setter}: {text}");
                } else {
                    left += 1;
                }
            }
        }
        // Both layouts are printed as text, and the long ones are left to prettyplease.
        assert!(one_line > 10 && broken > 20 && left > 20 && split > 50, "{one_line} {broken} {left} {split}");
    }
}
