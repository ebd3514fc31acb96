//! Describe: after naming, give every item the generated crates show a doc line, so that the
//! crates can deny `missing_docs`.
//!
//! - A member or `oneOf` variant without a description of its own (a `$ref` member has none:
//!   OpenAPI 3.0 ignores siblings of `$ref`) takes the first paragraph of the type it holds.
//! - A type or member the spec leaves undescribed says where it comes from: the operation whose
//!   body it is, or its place in the spec.
//! - Names that several modules define, each with rules of its own (the v1 Card API's `CardId`
//!   checks far less than the `common` one), are listed at the crate root with every definition
//!   and its rules. An API module's type whose name `common` also defines links to that one. No
//!   module mentions another API module's namesake, and `common` lists none: adding a spec must
//!   change no other module (a contract, tested in `tests/determinism.rs`).
//!
//! The texts reach the generated files through the emitters' doc escaping, like every
//! description.

use crate::escape;
use crate::ir::{Ir, Module, ParamLocation, Status, TypeDef, TypeId, TypeKind, TypeRef};
use std::collections::BTreeMap;

/// `ir` with every missing doc filled and the namesake notes added.
pub fn described(mut ir: Ir) -> Ir {
    fill_members(&mut ir);
    fill_types(&mut ir);
    add_namesake_notes(&mut ir);
    ir
}

/// Members and variants without a description take the summary of the type they hold; the
/// rest say that the spec gives none.
fn fill_members(ir: &mut Ir) {
    let summaries: Vec<Option<String>> = (0..ir.types.len()).map(|i| summary(ir, TypeId(i))).collect();
    let of = |ty: &TypeRef| held_type(ty).and_then(|id| summaries[id.0].clone());
    for def in &mut ir.types {
        match &mut def.kind {
            TypeKind::Struct(s) => {
                for f in s.fields.iter_mut().filter(|f| f.doc.is_none()) {
                    f.doc =
                        Some(of(&f.ty).unwrap_or_else(|| {
                            format!("The {} member (the spec does not describe it).", code(&f.name))
                        }));
                }
            }
            TypeKind::OneOf(o) => {
                let tag = o.tag.clone();
                for v in o.variants.iter_mut().filter(|v| v.doc.is_none()) {
                    let selected = match (&tag, &v.tag_value) {
                        (Some(tag), Some(value)) => format!("{} is {}", code(tag), code(value)),
                        _ => "the value has this shape".to_string(),
                    };
                    let what = of(&v.ty).map(|s| format!(" {s}")).unwrap_or_default();
                    v.doc = Some(format!("When {selected}.{what}"));
                }
            }
            _ => {}
        }
    }
}

/// Types without a description: a parameter's type takes the parameter's description, a body
/// says which operation it belongs to, any other type where the spec defines it.
fn fill_types(ir: &mut Ir) {
    let mut uses: BTreeMap<TypeId, String> = BTreeMap::new();
    for api in &ir.apis {
        for op in &api.operations {
            let call = code(&format!("{} {}", op.method.as_str(), op.path));
            for p in &op.params {
                if let TypeRef::Named(id) = &p.ty {
                    let text = p.doc.as_deref().and_then(first_paragraph).unwrap_or_else(|| {
                        format!("The {} {} parameter of {call}.", code(&p.name), location_word(p.location))
                    });
                    uses.entry(*id).or_insert(text);
                }
            }
            if let Some(TypeRef::Named(id)) = op.body.as_ref().map(|b| &b.ty) {
                uses.entry(*id).or_insert_with(|| format!("Body of a {call} request."));
            }
            for r in &op.responses {
                if let Some(TypeRef::Named(id)) = r.body.as_ref().map(|b| &b.ty) {
                    let status = match r.status {
                        Status::Code(c) => format!("{c}"),
                        Status::Range(r) => format!("{r}XX"),
                        Status::Default => "default".to_string(),
                    };
                    uses.entry(*id).or_insert_with(|| format!("Body of the {status} response to {call}."));
                }
            }
        }
    }
    for (i, def) in ir.types.iter_mut().enumerate() {
        if def.doc.is_some() || matches!(def.kind, TypeKind::ReExport(_)) {
            continue;
        }
        let text = uses.remove(&TypeId(i)).unwrap_or_else(|| {
            format!("Defined at {} (the spec does not describe it).", code(&def.location.to_string()))
        });
        def.doc = Some(text);
    }
}

/// Names defined in several modules: the crate root lists them; an API module's type links its
/// `common` namesake.
fn add_namesake_notes(ir: &mut Ir) {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, def) in ir.types.iter().enumerate() {
        if !matches!(def.kind, TypeKind::ReExport(_)) {
            by_name.entry(def.name.as_str()).or_default().push(i);
        }
    }
    let groups: Vec<Vec<usize>> = by_name.into_values().filter(|g| g.len() > 1).collect();
    let mut notes: Vec<(usize, String)> = Vec::new();
    let mut listed = Vec::new();
    for group in &groups {
        let defs: Vec<&TypeDef> = group.iter().map(|&i| &ir.types[i]).collect();
        let all: Vec<String> = defs.iter().map(|d| reference(d, "")).collect();
        listed.push(format!("- `{}`: {}", defs[0].name, all.join("; ")));
        // The shared type's own docs do not list the others: they would change with the set of
        // specs, which the crate root's list may do but a module may not.
        let Some(common) = group.iter().copied().find(|&i| ir.types[i].module == Module::Common) else { continue };
        let shared = reference(&ir.types[common], "super::");
        for &i in group.iter().filter(|&&i| i != common) {
            notes.push((
                i,
                format!(
                    "Not the `{}` the other APIs share ({shared}): this API's has rules of its own. The \
                     types are not interchangeable; pass the one the operation names.",
                    ir.types[i].name
                ),
            ));
        }
    }
    for (i, note) in notes {
        let doc = ir.types[i].doc.get_or_insert_with(String::new);
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(&note);
    }
    ir.namesakes = listed;
}

/// A link to `def` (from the crate root with `from` empty, from a sibling module with
/// `super::`), with its rules when it is a newtype.
fn reference(def: &TypeDef, from: &str) -> String {
    let (module, name) = (def.module.name(), &def.name);
    let rules = match &def.kind {
        TypeKind::Newtype(n) => {
            let summary = n.constraints.summary();
            if summary.is_empty() {
                " (no constraints)".to_string()
            } else {
                format!(" ({summary})")
            }
        }
        _ => String::new(),
    };
    if from.is_empty() {
        format!("[`{module}::{name}`]{rules}")
    } else {
        format!("[`{module}::{name}`]({from}{module}::{name}){rules}")
    }
}

/// The type a member or variant holds, through boxes, lists, maps and seals.
fn held_type(ty: &TypeRef) -> Option<TypeId> {
    match ty {
        TypeRef::Named(id) => Some(*id),
        TypeRef::Sealed { plaintext, .. } => Some(*plaintext),
        TypeRef::Boxed(inner) | TypeRef::Array(inner) | TypeRef::Map(inner) => held_type(inner),
        _ => None,
    }
}

/// The first paragraph of a type's description (through re-exports).
fn summary(ir: &Ir, id: TypeId) -> Option<String> {
    let def = ir.ty(id);
    if let TypeKind::ReExport(target) = def.kind {
        return summary(ir, target);
    }
    def.doc.as_deref().and_then(first_paragraph)
}

/// The first paragraph of a Markdown text, unless it would cut a code block in two.
fn first_paragraph(doc: &str) -> Option<String> {
    let first: Vec<&str> = doc.lines().take_while(|l| !l.trim().is_empty()).collect();
    let fences = first.iter().filter(|l| l.trim_start().starts_with("```")).count();
    (!first.is_empty() && fences % 2 == 0).then(|| first.join("\n"))
}

fn location_word(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

/// Spec text as inline code on one line.
fn code(text: &str) -> String {
    let text = escape::doc_line(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}
