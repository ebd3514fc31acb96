//! Describe: after naming, give every item the generated crates show a doc line, so that the
//! crates can deny `missing_docs`.
//!
//! - A member or `oneOf` variant without a description of its own (a `$ref` member has none:
//!   OpenAPI 3.0 ignores siblings of `$ref`) takes the first paragraph of the type it holds.
//! - A type or member the spec leaves undescribed says where it comes from: the operation whose
//!   body it is, or its place in the spec.
//! - A type whose name another API module also defines, with rules of its own (the v1 card API's
//!   `CardId` checks far less than the shared one), says so and links to the others, so nobody
//!   takes one for the other.
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

/// Types of one name defined in several modules: each says which others exist and links them.
fn add_namesake_notes(ir: &mut Ir) {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, def) in ir.types.iter().enumerate() {
        if !matches!(def.kind, TypeKind::ReExport(_)) {
            by_name.entry(def.name.as_str()).or_default().push(i);
        }
    }
    let groups: Vec<Vec<usize>> = by_name.into_values().filter(|g| g.len() > 1).collect();
    for group in groups {
        let notes: Vec<(usize, String)> = group
            .iter()
            .map(|&i| {
                let others: Vec<String> = group.iter().filter(|&&j| j != i).map(|&j| reference(&ir.types[j])).collect();
                let def = &ir.types[i];
                let note = if others.len() == 1 {
                    format!(
                        "Not the only `{}`: {} is another type of that name, with rules of its own. \
                         The two are not interchangeable: pass the one the operation names.",
                        def.name, others[0]
                    )
                } else {
                    format!(
                        "Not the only `{}`: {} are other types of that name, each with rules of its own. \
                         They are not interchangeable: pass the one the operation names.",
                        def.name,
                        others.join(", ")
                    )
                };
                (i, note)
            })
            .collect();
        for (i, note) in notes {
            let doc = ir.types[i].doc.get_or_insert_with(String::new);
            if !doc.is_empty() {
                doc.push_str("\n\n");
            }
            doc.push_str(&note);
        }
    }
}

/// A link to `def` from a sibling module of the types crate, with what sets it apart.
fn reference(def: &TypeDef) -> String {
    let path = match &def.module {
        Module::Common => format!("super::common::{}", def.name),
        Module::Api(m) => format!("super::{m}::{}", def.name),
    };
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
    format!("[`{}::{}`]({path}){rules}", def.module.name(), def.name)
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
