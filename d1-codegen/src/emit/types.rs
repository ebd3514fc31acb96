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
    declaration_text, describe_sources, doc_attrs, ident, newtype, render_block, render_crate_root, render_items,
    runtime_path, rust_header, spaced, struct_with_members, type_text, type_tokens, Member, Options, Scope, MARGIN,
};
use crate::error::{Error, Location};
use crate::ir::{Api, Ir, Module, OneOf, StringEnum, Struct, TypeDef, TypeKind, TypeRef};
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

fn lib_rs(ir: &Ir, needs: &Needs, modules: &BTreeMap<Module, Vec<crate::ir::TypeId>>) -> TokenStream {
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
    let doc = lines.iter().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
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
    quote! {
        #( #![doc = #doc] )*
        #![forbid(unsafe_code)]
        #![deny(missing_docs)]

        ::d1_runtime::require_generated_api!(1);

        #(#mods)*
    }
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
    let doc_lines = doc.lines().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    let mut text = header;
    text.push_str(&render_items(quote!(#( #![doc = #doc_lines] )*), what)?);
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
        TypeKind::OneOf(o) => one_of(ir, def, o, scope),
        TypeKind::Newtype(n) => newtype::emit(ir, def, n, scope)?,
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

fn field_type(ir: &Ir, f: &crate::ir::Field, scope: Scope<'_>) -> TokenStream {
    let ty = type_tokens(ir, &f.ty, scope);
    if f.required && !f.nullable {
        ty
    } else {
        quote!(::std::option::Option<#ty>)
    }
}

/// A struct and its [`construction`]. Its members are printed as text (see [`field_text`]) into
/// the struct printed without them, unless one of them would not print as plain lines.
fn structure(ir: &Ir, def: &TypeDef, s: &Struct, scope: Scope<'_>, what: &str) -> Result<String, Error> {
    let name = ident(&def.name);
    let doc = doc_attrs(def.doc.as_deref());
    // The additional properties' map is left to prettyplease, with the members around it.
    let as_text: Option<String> = match s.additional {
        None if !s.fields.is_empty() => s.fields.iter().map(|f| field_text(f, &field_type(ir, f, scope))).collect(),
        _ => None,
    };
    let mut fields = Vec::new();
    for f in s.fields.iter().filter(|_| as_text.is_none()) {
        fields.push(field_tokens(f, &field_type(ir, f, scope)));
    }
    let mut extra = None;
    if let Some(additional) = &s.additional {
        let ty = type_tokens(ir, additional, scope);
        let mut taken: std::collections::BTreeSet<String> = s.fields.iter().map(|f| f.ident.clone()).collect();
        let name = ident(&crate::naming::unique("additional_properties".to_string(), &mut taken));
        fields.push(quote! {
            /// Properties not listed above (the schema allows them via `additionalProperties`).
            #[serde(flatten)]
            pub #name: ::std::collections::BTreeMap<::std::string::String, #ty>,
        });
        extra = Some(name);
    }
    let default = if s.constructor_args().next().is_none() { quote!(Default,) } else { TokenStream::new() };
    let deny = if s.deny_unknown_fields && s.additional.is_none() {
        quote!(#[serde(deny_unknown_fields)])
    } else {
        TokenStream::new()
    };
    let tokens = quote! {
        #doc
        #[derive(Clone, Debug, #default PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #deny
        #[non_exhaustive]
        pub struct #name {
            #(#fields)*
        }
    };
    let mut text = match as_text {
        Some(members) => struct_with_members(tokens, &members, what)?,
        None => render_items(tokens, what)?,
    };
    text.push_str(&construction(ir, def, s, scope, extra.as_ref(), what)?);
    Ok(text)
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

/// [`field_tokens`] as prettyplease prints them, or `None` where it might break a line (a long
/// type or name) or print an escape.
fn field_text(f: &crate::ir::Field, ty: &TokenStream) -> Option<String> {
    let declaration = declaration_text(&f.ident, ty)?;
    let mut out = String::new();
    super::docs::push_doc(&mut out, "    ", f.doc.as_deref());
    if f.ident != f.name {
        let rename = format!("    #[serde(rename = {})]\n", proc_macro2::Literal::string(&f.name));
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
    let args: Vec<&crate::ir::Field> = s.constructor_args().collect();
    if !args.is_empty() {
        let params = args.iter().map(|f| {
            let id = ident(&f.ident);
            let ty = type_tokens(ir, &f.ty, scope);
            quote!(#id: impl ::std::convert::Into<#ty>)
        });
        let inits = s.fields.iter().map(|f| {
            let id = ident(&f.ident);
            if f.required && !f.nullable {
                quote!(#id: #id.into(),)
            } else {
                quote!(#id: ::std::option::Option::None,)
            }
        });
        let extra = extra.map(|m| quote!(#m: ::std::collections::BTreeMap::new(),));
        let listed = args.iter().map(|f| format!("`{}`", f.ident)).collect::<Vec<_>>().join(", ");
        let doc = format!(
            " Builds the value from its required members ({listed}); the others start unset, see the `with_` methods."
        );
        let allow = if args.len() > 7 { quote!(#[allow(clippy::too_many_arguments)]) } else { TokenStream::new() };
        let constructor = ident(&s.constructor);
        methods.push(
            quote! {
                #[doc = #doc]
                #allow
                pub fn #constructor(#(#params),*) -> Self {
                    Self { #(#inits)* #extra }
                }
            }
            .into(),
        );
    }
    for f in s.fields.iter().filter(|f| !f.required || f.nullable) {
        let ty = type_tokens(ir, &f.ty, scope);
        methods.push(match type_text(&ty).and_then(|text| setter_text(&f.setter, &f.ident, &text)) {
            Some(text) => Member::Text(text),
            None => setter_tokens(&f.setter, &f.ident, &ty).into(),
        });
    }
    if methods.is_empty() {
        return Ok(String::new());
    }
    let name = ident(&def.name);
    render_block(quote!(impl #name), methods, what)
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
/// line when it fits, else its parameters go one per line; `None` where prettyplease would break
/// a line further (a long type or member name), which then goes through it.
fn setter_text(setter: &str, member: &str, ty: &str) -> Option<String> {
    // Widths below are counted in bytes, prettyplease counts characters.
    if !(setter.is_ascii() && member.is_ascii() && ty.is_ascii()) {
        return None;
    }
    let one_line = format!("    pub fn {setter}(mut self, value: impl ::std::convert::Into<{ty}>) -> Self {{\n");
    let signature = if one_line.len() - 1 <= MARGIN {
        one_line
    } else {
        let value = format!("        value: impl ::std::convert::Into<{ty}>,\n");
        if value.len() - 1 > MARGIN {
            return None;
        }
        format!("    pub fn {setter}(\n        mut self,\n{value}    ) -> Self {{\n")
    };
    let assignment = format!("        self.{member} = ::std::option::Option::Some(value.into());\n");
    if assignment.len() - 1 > MARGIN {
        return None;
    }
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
        let literal = proc_macro2::Literal::string(&v.value).to_string();
        let to_str = format!("            Self::{} => {literal},\n", v.ident);
        let from_str = format!("            {literal} => Self::{},\n", v.ident);
        if v.value.chars().any(crate::escape::is_unsafe)
            || !literal.is_ascii()
            || to_str.len() - 1 > MARGIN
            || from_str.len() - 1 > MARGIN
        {
            return render_items(string_enum_tokens(def, e), what);
        }
        lines.0.push_str(&format!("    /// `{}`\n    {},\n", v.value, v.ident));
        lines.1.push_str(&to_str);
        lines.2.push_str(&from_str);
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

/// The items of string enums without their values, by the length of the enum's name and the
/// name of its catch-all variant: printed once with a stand-in name of that length (the layout
/// depends on names only through their lengths), then given each enum's name and docs.
#[derive(Default)]
struct EnumSkeletons(std::collections::HashMap<(usize, String), String>);

impl EnumSkeletons {
    fn get(&mut self, def: &TypeDef, e: &StringEnum, what: &str) -> Result<String, Error> {
        let without_values = StringEnum { variants: Vec::new(), unknown_variant: e.unknown_variant.clone() };
        // The stand-in must be no other identifier of the printed items.
        if e.unknown_variant.starts_with('Q') {
            return render_items(string_enum_tokens(def, &without_values), what);
        }
        let stand_in = format!("Q{}", "q".repeat(def.name.len().saturating_sub(1)));
        let skeleton = match self.0.entry((def.name.len(), e.unknown_variant.clone())) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => {
                let stand_in_def = TypeDef {
                    name: stand_in.clone(),
                    module: def.module.clone(),
                    doc: None,
                    location: def.location.clone(),
                    kind: TypeKind::Alias(TypeRef::Json),
                    check: None,
                };
                let printed = render_items(string_enum_tokens(&stand_in_def, &without_values), what)?;
                // Without the stand-in's docs: each enum gets its own.
                let docs: usize =
                    printed.split_inclusive('\n').take_while(|l| l.starts_with("///")).map(str::len).sum();
                new.insert(printed[docs..].to_string())
            }
        };
        let mut text = String::new();
        super::docs::push_doc(&mut text, "", Some(&enum_doc(def, e)));
        text.push_str(&replace_identifier(skeleton, &stand_in, &def.name));
        Ok(text)
    }
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

fn one_of(ir: &Ir, def: &TypeDef, o: &OneOf, scope: Scope<'_>) -> TokenStream {
    let name = ident(&def.name);
    let mut doc = def.doc.clone().unwrap_or_default();
    if let Some(tag) = &o.tag {
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(&format!("Tagged by the `{tag}` property, which the variant types do not repeat."));
    }
    let doc = doc_attrs(Some(&doc));
    let variants: Vec<TokenStream> = o
        .variants
        .iter()
        .map(|v| {
            let id = ident(&v.ident);
            let ty = type_tokens(ir, &v.ty, scope);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::EnumVariant;

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
        let variant = |(i, value): (usize, &&str)| EnumVariant { value: value.to_string(), ident: format!("V{i}") };
        let mut enums: Vec<Vec<EnumVariant>> = values.iter().enumerate().map(|v| vec![variant(v)]).collect();
        enums.push(values.iter().take(4).enumerate().map(variant).collect());
        enums.push(vec![EnumVariant { value: "x".into(), ident: "VeryLong".repeat(10) }]);
        let _docs = super::super::docs::Table::scope();
        let mut skeletons = EnumSkeletons::default();
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
    fn struct_members_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        let types = [quote!(i32), quote!(::std::option::Option<::std::vec::Vec<super::other::SomeType>>)];
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
                match field_text(&f, ty) {
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
    fn setters_print_as_prettyplease_prints_them() {
        let types = [
            quote!(i32),
            quote!(::std::string::String),
            quote!(::std::vec::Vec<super::other::SomeType>),
            quote!(::std::collections::BTreeMap<::std::string::String, ::serde_json::Value>),
            quote!(::d1_runtime::jwe::Jwe<CardPlaintext, 4096>),
            quote!(::std::vec::Vec<::std::vec::Vec<::d1_types::a_module::AVeryLongTypeNameThatGoesOnAndOn>>),
        ];
        let (mut one_line, mut broken, mut left) = (0, 0, 0);
        for ty in &types {
            let text = type_text(ty).unwrap();
            // Every length around the two line breaks: the signature's and the assignment's.
            for n in 1..80 {
                let member = format!("m{}", "x".repeat(n));
                let setter = format!("with_{member}");
                let expected = printed(&setter, &member, ty);
                if let Some(member_text) = setter_text(&setter, &member, &text) {
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
        assert!(one_line > 10 && broken > 20 && left > 20, "{one_line} {broken} {left}");
    }
}
