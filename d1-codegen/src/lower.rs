//! Lower: turn parsed specs into the IR. Follows `$ref`s (rejecting dangling ones and
//! reference cycles that name no type), picks a Rust shape for every schema, and records a
//! warning wherever a construct is modelled more loosely than the spec states.
//!
//! Type names produced here are candidates; `naming::finalize` makes them unique and final.

use crate::docs;
use crate::error::{Error, Location, Warning};
use crate::ir::*;
use crate::load::Spec;
use crate::naming;
use crate::pattern;
use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, AnySchema, ArrayType, IntegerFormat, ObjectType, OpenAPI, ParameterSchemaOrContent, PathItem,
    ReferenceOr, Schema, SchemaKind, StringType, Type, VariantOrUnknownOrEmpty,
};
use std::collections::{BTreeMap, BTreeSet};

/// Name candidates of a type, used by `naming::finalize`.
#[derive(Clone, Debug)]
pub struct Hint {
    /// Preferred name, e.g. `ReasonCode`.
    pub short: String,
    /// Name qualified by its parent, used on collision, e.g. `OperationRequestReasonCode`.
    pub qualified: String,
    /// A `components/schemas` entry: keeps its own name when it collides with inline types.
    pub component: bool,
}

impl Hint {
    fn new(short: String, parent: &str) -> Self {
        let qualified = naming::qualified_type_name(parent, &short);
        Hint { short, qualified, component: false }
    }
}

/// The IR before naming, with one `Hint` per type.
pub struct Lowered {
    pub ir: Ir,
    pub hints: Vec<Hint>,
}

/// [`lower_with`] the default options: patterns that need a backtracking engine refused,
/// D1's `D1-Public-` file-name prefix dropped from module names.
pub fn lower(specs: &[Spec]) -> Result<Lowered, Error> {
    lower_with(specs, &crate::emit::Options::default())
}

/// Lower the specs. `options.allow_backtracking_patterns` accepts patterns only the
/// (backtracking) regex engine can evaluate, which are otherwise located errors;
/// `options.module_prefixes` are dropped from file names to make module names.
pub fn lower_with(specs: &[Spec], options: &crate::emit::Options) -> Result<Lowered, Error> {
    let allow_backtracking_patterns = options.allow_backtracking_patterns;
    let (common, specs) = split_common(specs)?;
    let mut modules: Vec<String> = Vec::with_capacity(specs.len());
    for spec in &specs {
        let module = naming::module_name(&spec.stem, &options.module_prefixes);
        if let Some(other) = modules.iter().position(|m| *m == module) {
            return Err(Error::new(
                &Location::new(&spec.path, ""),
                format!(
                    "its module name `{module}` is also that of `{}`: module names come from file names, so rename one of the files",
                    specs[other].path
                ),
            ));
        }
        modules.push(module);
    }
    let mut ctx = Ctx {
        types: Vec::new(),
        hints: Vec::new(),
        warnings: Vec::new(),
        sealed_fields: 0,
        allow_backtracking_patterns,
    };
    let common = match common {
        Some(spec) => {
            ctx.warnings.extend(spec.warnings.iter().cloned());
            Some(SpecLowering::new(&mut ctx, spec, Module::Common).common()?)
        }
        None => None,
    };
    let mut apis = Vec::new();
    for (spec, module) in specs.into_iter().zip(modules) {
        ctx.warnings.extend(spec.warnings.iter().cloned());
        apis.push(SpecLowering::new(&mut ctx, spec, Module::Api(module)).api()?);
    }
    check_alias_cycles(&ctx.types)?;
    apis.sort_by(|a, b| a.module.cmp(&b.module));
    ctx.warnings.sort();
    ctx.warnings.dedup();
    let ir = Ir {
        apis,
        common,
        types: ctx.types,
        warnings: ctx.warnings,
        sealed_fields: ctx.sealed_fields,
        namesakes: Vec::new(),
    };
    Ok(Lowered { ir, hints: ctx.hints })
}

/// The top-level extension that marks the document of types the APIs share: its
/// `components/schemas` make the `common` module, and an API's type with the same name and the
/// same rules is that type, re-exported. Declaring them (rather than finding them) keeps each
/// API module a function of its own spec: adding or removing a spec moves no type.
pub const COMMON_MARK: &str = "x-d1-common";

/// The document marked [`COMMON_MARK`] (at most one, without operations), and the API specs.
fn split_common(specs: &[Spec]) -> Result<(Option<&Spec>, Vec<&Spec>), Error> {
    let mut common: Option<&Spec> = None;
    let mut apis = Vec::with_capacity(specs.len());
    for spec in specs {
        let at = Location::new(&spec.path, "");
        match spec.document.extensions.get(COMMON_MARK) {
            None | Some(serde_json::Value::Bool(false)) => {
                apis.push(spec);
                continue;
            }
            Some(serde_json::Value::Bool(true)) => {}
            Some(_) => return Err(Error::new(&at.child(COMMON_MARK), "must be `true` or `false`")),
        }
        if let Some(first) = common {
            return Err(Error::new(
                &at.child(COMMON_MARK),
                format!("`{}` is already the document of shared types; mark only one", first.path),
            ));
        }
        if !spec.document.paths.paths.is_empty() {
            return Err(Error::new(
                &at.child("paths"),
                "the document of shared types has operations: it may only define `components/schemas`",
            ));
        }
        common = Some(spec);
    }
    Ok((common, apis))
}

struct Ctx {
    types: Vec<TypeDef>,
    hints: Vec<Hint>,
    warnings: Vec<Warning>,
    sealed_fields: usize,
    allow_backtracking_patterns: bool,
}

struct SpecLowering<'a> {
    ctx: &'a mut Ctx,
    spec: &'a Spec,
    doc: &'a OpenAPI,
    module: Module,
    root: Location,
    /// `components/schemas` name → type (or built-in, for aliases of aliases).
    components: BTreeMap<String, TypeRef>,
    /// Types whose definition is being lowered: a reference back to one is a recursive edge.
    in_progress: BTreeSet<TypeId>,
    /// Schemas being lowered, nested (inline or through `$ref`): bounded by [`MAX_DEPTH`].
    depth: usize,
    /// Schemas merged by the current `allOf`: bounded by [`MAX_ALL_OF_EXPANSIONS`].
    expansions: usize,
}

/// Deeper nesting of schemas (inline and through `$ref`s together) is an error, so that no
/// spec can make the lowering recurse without bound.
const MAX_DEPTH: usize = 64;

/// An `allOf` that merges more schemas than this (diamonds of `$ref`s multiply) is an error.
const MAX_ALL_OF_EXPANSIONS: usize = 4096;

/// What a schema becomes: a reference to an existing/built-in type, or a new definition.
enum Shape {
    Ref(TypeRef),
    Def(TypeKind),
}

const SCHEMA_PREFIX: &str = "#/components/schemas/";

impl<'a> SpecLowering<'a> {
    fn warn(&mut self, location: &Location, message: impl Into<String>) {
        self.ctx.warnings.push(Warning { location: location.clone(), message: message.into() });
    }

    fn define(&mut self, kind: TypeKind, hint: Hint, doc: Option<String>, location: &Location) -> TypeId {
        let id = TypeId(self.ctx.types.len());
        self.ctx.types.push(TypeDef {
            name: hint.short.clone(),
            module: self.module.clone(),
            doc,
            location: location.clone(),
            kind,
            check: None,
        });
        self.ctx.hints.push(hint);
        id
    }

    /// Where `components/<section>/<name>` is in the file: for a copied `$ref` target
    /// ([`crate::refs`]), the place it was copied from.
    fn component_at(&self, section: &str, name: &str) -> Location {
        let at = self.root.child("components").child(section).child(name);
        match self.spec.hoisted.get(&at.pointer) {
            Some(original) => Location::new(&self.spec.path, original.as_str()),
            None => at,
        }
    }

    fn new(ctx: &'a mut Ctx, spec: &'a Spec, module: Module) -> Self {
        SpecLowering {
            ctx,
            spec,
            doc: &spec.document,
            module,
            root: Location::new(&spec.path, ""),
            components: BTreeMap::new(),
            in_progress: BTreeSet::new(),
            depth: 0,
            expansions: 0,
        }
    }

    /// Lower every component schema, used or not: they are part of the API's vocabulary.
    fn component_schemas(&mut self) -> Result<(), Error> {
        if let Some(components) = &self.doc.components {
            for name in components.schemas.keys() {
                let at = self.component_at("schemas", name);
                self.component(name, &at)?;
            }
        }
        Ok(())
    }

    /// The document of shared types: its schemas only.
    fn common(&mut self) -> Result<CommonSource, Error> {
        self.component_schemas()?;
        Ok(CommonSource {
            source: self.spec.path.clone(),
            doc: docs::markdown_of(self.doc.info.description.as_deref()),
        })
    }

    fn api(&mut self) -> Result<Api, Error> {
        let doc = self.doc;
        let module = self.module.name().to_string();
        let mut servers = Vec::new();
        let mut taken = naming::Names::default();
        for (i, server) in doc.servers.iter().enumerate() {
            let base = match &server.description {
                Some(d) if d.chars().any(|c| c.is_ascii_alphanumeric()) => naming::const_name(d),
                _ if doc.servers.len() == 1 => "DEFAULT".to_string(),
                _ => format!("SERVER_{}", i + 1),
            };
            servers.push(Server {
                const_name: taken.unique(base),
                url: server.url.clone(),
                description: server.description.clone(),
            });
        }
        let security_schemes = self.security_schemes();
        let operations = self.operations()?;
        self.component_schemas()?;
        Ok(Api {
            accessor: naming::client_accessor(&module),
            module,
            source: self.spec.path.clone(),
            overlays: self.spec.overlays.clone(),
            // One line each, whatever the spec says: they are written into headings, table rows
            // and sentences (line breaks, tabs and other whitespace runs become one space).
            title: one_line(&doc.info.title),
            version: one_line(&doc.info.version),
            doc: docs::markdown_of(doc.info.description.as_deref()),
            servers,
            operations,
            types: Vec::new(),
            security_schemes,
        })
    }

    fn security_schemes(&mut self) -> Vec<SecurityScheme> {
        let Some(components) = &self.doc.components else { return Vec::new() };
        let mut out = Vec::new();
        for (name, scheme) in &components.security_schemes {
            let kind = match scheme {
                ReferenceOr::Item(openapiv3::SecurityScheme::HTTP { scheme, .. }) => {
                    match scheme.to_ascii_lowercase().as_str() {
                        "bearer" => SecurityKind::Bearer,
                        "basic" => SecurityKind::Basic,
                        _ => SecurityKind::Other,
                    }
                }
                ReferenceOr::Item(openapiv3::SecurityScheme::APIKey {
                    location: openapiv3::APIKeyLocation::Header,
                    name,
                    ..
                }) => SecurityKind::ApiKey { header: name.clone() },
                ReferenceOr::Item(openapiv3::SecurityScheme::OAuth2 { .. }) => SecurityKind::OAuth2,
                _ => SecurityKind::Other,
            };
            out.push(SecurityScheme { name: name.clone(), kind });
        }
        out
    }

    // ----- operations -------------------------------------------------------------------

    /// A path item and where it is written: a `$ref` leads to another entry of `paths` (OpenAPI
    /// 3.0 has no other place for path items), whose operations are then served at this path too.
    fn path_item(&self, item: &'a ReferenceOr<PathItem>, at: Location) -> Result<(&'a PathItem, Location), Error> {
        let (mut item, mut at) = (item, at);
        // Chains are short; a cycle is refused where it closes.
        for _ in 0..16 {
            let reference = match item {
                ReferenceOr::Item(item) => return Ok((item, at)),
                ReferenceOr::Reference { reference } => reference,
            };
            let target = reference
                .strip_prefix("#/paths/")
                .and_then(crate::refs::percent_decode)
                .map(|key| crate::refs::unescape_segment(&key));
            let Some(next) = target.as_ref().and_then(|key| self.doc.paths.paths.get(key)) else {
                return Err(Error::new(
                    &at.child("$ref"),
                    format!("`{reference}` is not an entry of this document's `paths`, the only place a path item can refer to"),
                ));
            };
            item = next;
            at = self.root.child("paths").child(target.as_deref().unwrap_or_default());
        }
        Err(Error::new(&at, "`$ref` path items refer to each other in a cycle"))
    }

    fn operations(&mut self) -> Result<Vec<Operation>, Error> {
        let doc = self.doc;
        let mut operations = Vec::new();
        for (path, item) in doc.paths.iter() {
            let (item, path_loc) = self.path_item(item, self.root.child("paths").child(path))?;
            let segments = parse_path_template(path).map_err(|m| Error::new(&path_loc, m))?;
            for (method, op) in item.iter() {
                let loc = path_loc.child(method);
                operations.push(self.operation(path, &segments, method, op, &item.parameters, &path_loc, &loc)?);
            }
        }
        // Method names must be unique within the API and clippy-clean: a clash, or a name clippy
        // flags (`new`, `from_…`), falls back to a path-derived name.
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for op in &operations {
            *seen.entry(op.name.clone()).or_default() += 1;
        }
        let (mut taken, mut stems) = (naming::Names::default(), naming::Names::default());
        for op in &mut operations {
            let base = naming::operation_method_name(&op.name, seen[&op.name] > 1, op.method.as_str(), &op.path);
            op.name = taken.unique(base);
            // Distinct snake_case names can share an UpperCamelCase form (`get_a1`, `get_a_1`).
            op.type_stem = stems.unique(naming::type_name(&op.name));
        }
        Ok(operations)
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &mut self,
        path: &str,
        segments: &[PathSegment],
        method: &str,
        op: &'a openapiv3::Operation,
        path_params: &'a [ReferenceOr<openapiv3::Parameter>],
        path_loc: &Location,
        loc: &Location,
    ) -> Result<Operation, Error> {
        let name = naming::operation_name(op.operation_id.as_deref(), op.summary.as_deref(), method, path);
        let type_stem = naming::type_name(&name);
        let security: Vec<String> = op
            .security
            .as_ref()
            .or(self.doc.security.as_ref())
            .map(|reqs| {
                let mut names: Vec<String> = reqs.iter().flat_map(|r| r.keys().cloned()).collect();
                names.dedup();
                names
            })
            .unwrap_or_default();

        // Path-level parameters first, then the operation's own, which override by (name, in).
        let mut resolved: Vec<(&openapiv3::Parameter, Location)> = Vec::new();
        for (i, p) in path_params.iter().enumerate() {
            resolved.push(self.parameter_ref(p, &path_loc.child("parameters").index(i))?);
        }
        for (i, p) in op.parameters.iter().enumerate() {
            let (param, at) = self.parameter_ref(p, &loc.child("parameters").index(i))?;
            let key = (param.parameter_data_ref().name.as_str(), location_of(param));
            resolved.retain(|(q, _)| (q.parameter_data_ref().name.as_str(), location_of(q)) != key);
            resolved.push((param, at));
        }
        let mut params = Vec::new();
        let mut idents = naming::Names::default();
        for (param, at) in &resolved {
            let data = param.parameter_data_ref();
            let location = location_of(param);
            if location == ParamLocation::Header
                && data.name.eq_ignore_ascii_case("authorization")
                && !security.is_empty()
            {
                continue; // carried by the security scheme
            }
            let is_header = location == ParamLocation::Header;
            let hint = Hint::new(naming::param_type_name(&data.name, is_header), &type_stem);
            let mut json = false;
            let (ty, default) = match &data.format {
                ParameterSchemaOrContent::Schema(schema) => {
                    let default = match schema {
                        ReferenceOr::Item(s) => s.schema_data.default.clone(),
                        ReferenceOr::Reference { .. } => None,
                    };
                    (self.schema_ref(schema, &at.child("schema"), hint)?, default)
                }
                ParameterSchemaOrContent::Content(content) => match pick_content(content) {
                    Some((media, MediaType::Json, Some(schema))) => {
                        json = true;
                        let schema_at = at.child("content").child(&media).child("schema");
                        (self.schema_ref(schema, &schema_at, hint)?, None)
                    }
                    _ => {
                        self.warn(at, "parameter with `content` is passed as a plain string");
                        (TypeRef::String, None)
                    }
                },
            };
            let ty = match ty {
                TypeRef::Json if !json => {
                    self.warn(at, "parameter without a `type` is passed as text");
                    TypeRef::String
                }
                TypeRef::Array(item) if *item == TypeRef::Json && !json => {
                    self.warn(at, "parameter items without a `type` are passed as text");
                    TypeRef::Array(Box::new(TypeRef::String))
                }
                ty => ty,
            };
            let declared = if json { ValueStyle::Json } else { declared_style(param) };
            let value_style = self.value_style(&data.name, declared, &ty, at);
            let required = data.required || location == ParamLocation::Path;
            params.push(Parameter {
                name: data.name.clone(),
                ident: idents.unique(naming::param_ident(&data.name, is_header)),
                location,
                required,
                ty,
                doc: docs::markdown_of(data.description.as_deref()),
                default,
                list_style: declared.list(),
                value_style,
            });
        }
        for segment in segments {
            if let PathSegment::Param(p) = segment
                && !params.iter().any(|q| q.location == ParamLocation::Path && &q.name == p)
            {
                return Err(Error::new(loc, format!("path parameter `{p}` is used in the path but not declared")));
            }
        }

        let body = match &op.request_body {
            None => None,
            Some(body) => self.request_body(body, &loc.child("requestBody"), &type_stem)?,
        };
        let responses = self.responses(&op.responses, &loc.child("responses"), &type_stem)?;

        Ok(Operation {
            name,
            type_stem,
            method: parse_method(method),
            path: path.to_string(),
            segments: segments.to_vec(),
            summary: op.summary.clone(),
            doc: docs::markdown_of(op.description.as_deref()),
            deprecated: op.deprecated,
            params,
            body,
            responses,
            security,
            location: loc.clone(),
        })
    }

    fn parameter_ref(
        &mut self,
        p: &'a ReferenceOr<openapiv3::Parameter>,
        at: &Location,
    ) -> Result<(&'a openapiv3::Parameter, Location), Error> {
        match p {
            ReferenceOr::Item(param) => Ok((param, at.clone())),
            ReferenceOr::Reference { reference } => {
                let name = local_name(reference, "#/components/parameters/")
                    .ok_or_else(|| Error::new(at, format!("unsupported `$ref` `{reference}` for a parameter")))?;
                let target = self
                    .doc
                    .components
                    .as_ref()
                    .and_then(|c| c.parameters.get(name))
                    .ok_or_else(|| Error::new(at, format!("`$ref` `{reference}` points to nothing")))?;
                let target_loc = self.component_at("parameters", name);
                match target {
                    ReferenceOr::Item(param) => Ok((param, target_loc)),
                    ReferenceOr::Reference { .. } => {
                        Err(Error::new(&target_loc, "a parameter `$ref` to another `$ref` is not supported"))
                    }
                }
            }
        }
    }

    /// How the value of parameter `name` is written (see [`Parameter::value_style`]), with a
    /// warning where OpenAPI 3.0 defines no form and a reading is chosen.
    fn value_style(&mut self, name: &str, declared: ValueStyle, ty: &TypeRef, at: &Location) -> Option<ValueStyle> {
        let shape = shape(&self.ctx.types, ty, 0);
        match (declared, shape) {
            (ValueStyle::Json, _) => Some(ValueStyle::Json),
            (ValueStyle::Label { .. } | ValueStyle::Matrix { .. }, ParamShape::Scalar) => Some(declared),
            (_, ParamShape::Scalar) => None,
            (ValueStyle::DeepObject, ParamShape::List) => {
                self.warn(
                    at,
                    format!(
                        "OpenAPI 3.0 defines `deepObject` for objects only: this array is written \
                         `{name}[0]=…&{name}[1]=…`, as qs and Rails read it; declare the parameter with \
                         `content: application/json` to send it as JSON text instead"
                    ),
                );
                Some(declared)
            }
            (_, ParamShape::List) => None,
            (_, ParamShape::Flat) => Some(declared),
            (ValueStyle::DeepObject, ParamShape::Nested) => {
                self.warn(
                    at,
                    format!(
                        "OpenAPI 3.0 defines `deepObject` for one level of keys: the objects and arrays \
                         inside are written `{name}[key][sub]=…` and `{name}[key][0]=…`, as qs and Rails read \
                         them; declare the parameter with `content: application/json` to send it as JSON text \
                         instead"
                    ),
                );
                Some(declared)
            }
            (_, ParamShape::Nested) => {
                self.warn(
                    at,
                    format!(
                        "style `{}` of OpenAPI 3.0 writes scalars, flat arrays and flat objects only: this \
                         parameter (objects or arrays inside an object or array) is sent as JSON text, as \
                         `content: application/json` would send it; declare it with `content` to make that \
                         explicit",
                        declared.name()
                    ),
                );
                Some(ValueStyle::Json)
            }
        }
    }

    fn request_body(
        &mut self,
        body: &'a ReferenceOr<openapiv3::RequestBody>,
        at: &Location,
        type_stem: &str,
    ) -> Result<Option<RequestBody>, Error> {
        let (body, at) = match body {
            ReferenceOr::Item(b) => (b, at.clone()),
            ReferenceOr::Reference { reference } => {
                let name = local_name(reference, "#/components/requestBodies/")
                    .ok_or_else(|| Error::new(at, format!("unsupported `$ref` `{reference}` for a request body")))?;
                let target_loc = self.component_at("requestBodies", name);
                match self.doc.components.as_ref().and_then(|c| c.request_bodies.get(name)) {
                    Some(ReferenceOr::Item(b)) => (b, target_loc),
                    _ => return Err(Error::new(at, format!("`$ref` `{reference}` points to nothing usable"))),
                }
            }
        };
        let Some((media, media_type, schema)) = pick_content(&body.content) else {
            // `content: {}` is valid OpenAPI and describes nothing that could be sent.
            self.warn(&at.child("content"), "the request body lists no media type: the operation takes no body");
            return Ok(None);
        };
        let alternatives: Vec<String> = body.content.keys().filter(|k| **k != media).cloned().collect();
        let schema_at = at.child("content").child(&media).child("schema");
        let hint = Hint::new("Request".to_string(), type_stem);
        let hint = Hint { short: hint.qualified.clone(), ..hint };
        let ty = match (&media_type, schema) {
            (MediaType::Other(m), _) => {
                self.warn(&at.child("content").child(&media), format!("`{m}` bodies are sent as raw bytes"));
                TypeRef::Bytes
            }
            (_, Some(schema)) => self.schema_ref(schema, &schema_at, hint)?,
            (_, None) => TypeRef::Json,
        };
        Ok(Some(RequestBody {
            media_type,
            alternatives,
            ty,
            required: body.required,
            doc: docs::markdown_of(body.description.as_deref()),
        }))
    }

    fn responses(
        &mut self,
        responses: &'a openapiv3::Responses,
        at: &Location,
        type_stem: &str,
    ) -> Result<Vec<Response>, Error> {
        let mut entries: Vec<(Status, String, &'a ReferenceOr<openapiv3::Response>)> = Vec::new();
        for (code, response) in &responses.responses {
            let (status, key) = match code {
                openapiv3::StatusCode::Code(c) => (Status::Code(*c), c.to_string()),
                openapiv3::StatusCode::Range(r) => (Status::Range(*r), format!("{r}XX")),
            };
            entries.push((status, key, response));
        }
        if let Some(default) = &responses.default {
            entries.push((Status::Default, "default".to_string(), default));
        }
        let successes = entries.iter().filter(|(s, _, _)| s.is_success()).count();
        let mut out = Vec::new();
        for (status, key, response) in entries {
            let response_at = at.child(&key);
            let (response, response_at) = match response {
                ReferenceOr::Item(r) => (r, response_at),
                ReferenceOr::Reference { reference } => {
                    let name = local_name(reference, "#/components/responses/").ok_or_else(|| {
                        Error::new(&response_at, format!("unsupported `$ref` `{reference}` for a response"))
                    })?;
                    let target_loc = self.component_at("responses", name);
                    match self.doc.components.as_ref().and_then(|c| c.responses.get(name)) {
                        Some(ReferenceOr::Item(r)) => (r, target_loc),
                        _ => {
                            return Err(Error::new(
                                &response_at,
                                format!("`$ref` `{reference}` points to nothing usable"),
                            ))
                        }
                    }
                }
            };
            let suffix = if status.is_success() && successes == 1 {
                "Response".to_string()
            } else {
                format!("Response{}", naming::type_name(&key))
            };
            let body = match pick_content(&response.content) {
                None => None,
                Some((media, media_type, schema)) => {
                    let schema_at = response_at.child("content").child(&media).child("schema");
                    let hint = Hint::new(suffix, type_stem);
                    let hint = Hint { short: hint.qualified.clone(), ..hint };
                    let ty = match (&media_type, schema) {
                        (MediaType::Other(_), _) => TypeRef::Bytes,
                        (_, Some(schema)) => self.schema_ref(schema, &schema_at, hint)?,
                        (_, None) => TypeRef::Json,
                    };
                    Some(ResponseBody { media_type, ty })
                }
            };
            let variant = naming::status_variant(status);
            out.push(Response { status, variant, description: docs::to_markdown(&response.description), body });
        }
        // Success first, then by status; a code before the range that contains it (the client
        // matches them in this order).
        out.sort_by_key(|r| (!r.status.is_success(), r.status));
        Ok(out)
    }

    // ----- schemas ----------------------------------------------------------------------

    fn schema_ref(&mut self, schema: &ReferenceOr<Schema>, at: &Location, hint: Hint) -> Result<TypeRef, Error> {
        match schema {
            ReferenceOr::Reference { reference } => self.reference(reference, at),
            ReferenceOr::Item(schema) => self.inline(schema, at, hint),
        }
    }

    fn boxed_schema_ref(
        &mut self,
        schema: &ReferenceOr<Box<Schema>>,
        at: &Location,
        hint: Hint,
    ) -> Result<TypeRef, Error> {
        match schema {
            ReferenceOr::Reference { reference } => self.reference(reference, at),
            ReferenceOr::Item(schema) => self.inline(schema, at, hint),
        }
    }

    fn inline(&mut self, schema: &Schema, at: &Location, hint: Hint) -> Result<TypeRef, Error> {
        let doc = schema_doc(schema);
        match self.shape(schema, at, &hint)? {
            Shape::Ref(r) => Ok(r),
            Shape::Def(kind) => Ok(TypeRef::Named(self.define(kind, hint, doc, at))),
        }
    }

    fn reference(&mut self, reference: &str, at: &Location) -> Result<TypeRef, Error> {
        let Some(name) = local_name(reference, SCHEMA_PREFIX) else {
            let what = if reference.starts_with('#') {
                "a local `$ref` outside components/schemas"
            } else {
                "an external `$ref`"
            };
            return Err(Error::new(at, format!("`{reference}` is {what}, which is not supported")));
        };
        let r = self.component(name, at)?;
        Ok(match r {
            TypeRef::Named(id) if self.in_progress.contains(&id) => TypeRef::Boxed(Box::new(r)),
            other => other,
        })
    }

    /// The type of `components/schemas/<name>`, lowering it on first use.
    fn component(&mut self, name: &str, at: &Location) -> Result<TypeRef, Error> {
        if let Some(r) = self.components.get(name) {
            return Ok(r.clone());
        }
        let schemas = self.doc.components.as_ref().map(|c| &c.schemas);
        // Follow chains of `$ref` to `$ref`, refusing cycles that never reach a schema.
        let mut chain = vec![name.to_string()];
        let schema = loop {
            let current = chain.last().cloned().unwrap_or_default();
            let Some(entry) = schemas.and_then(|s| s.get(&current)) else {
                return Err(Error::new(at, format!("`$ref` `{SCHEMA_PREFIX}{current}` points to nothing")));
            };
            match entry {
                ReferenceOr::Item(schema) => break schema,
                ReferenceOr::Reference { reference } => {
                    let next_at = self.component_at("schemas", &current);
                    let Some(next) = local_name(reference, SCHEMA_PREFIX) else {
                        return Err(Error::new(&next_at, format!("unsupported `$ref` `{reference}`")));
                    };
                    if chain.iter().any(|c| c == next) {
                        return Err(Error::new(
                            &next_at,
                            format!("`$ref` cycle with no schema in it: {} → {next}", chain.join(" → ")),
                        ));
                    }
                    chain.push(next.to_string());
                }
            }
        };
        let target = chain.last().cloned().unwrap_or_default();
        if target != name {
            // An alias of another component: the same type.
            let r = self.component(&target, at)?;
            self.components.insert(name.to_string(), r.clone());
            return Ok(r);
        }
        let def_at = self.component_at("schemas", name);
        let hint = Hint { short: naming::type_name(name), qualified: naming::type_name(name), component: true };
        let doc = schema_doc(schema);
        // Reserve the id first so recursive references find it.
        let id = self.define(TypeKind::Alias(TypeRef::Json), hint.clone(), doc, &def_at);
        self.components.insert(name.to_string(), TypeRef::Named(id));
        self.in_progress.insert(id);
        let shape = self.shape(schema, &def_at, &hint);
        self.in_progress.remove(&id);
        self.ctx.types[id.0].kind = match shape? {
            Shape::Def(kind) => kind,
            Shape::Ref(r) => TypeKind::Alias(r),
        };
        Ok(TypeRef::Named(id))
    }

    fn shape(&mut self, schema: &Schema, at: &Location, hint: &Hint) -> Result<Shape, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(Error::new(
                at,
                format!("schemas nest more than {MAX_DEPTH} levels deep (counting `$ref`s followed)"),
            ));
        }
        self.depth += 1;
        let shape = self.shape_at_depth(schema, at, hint);
        self.depth -= 1;
        shape
    }

    fn shape_at_depth(&mut self, schema: &Schema, at: &Location, hint: &Hint) -> Result<Shape, Error> {
        let data = &schema.schema_data;
        if let Some(jwe) = data.extensions.get("x-d1-jwe") {
            return self.sealed(schema, jwe, at);
        }
        if data.extensions.get("x-d1-plaintext") == Some(&serde_json::Value::Bool(true)) {
            return self.plaintext(schema, at, hint);
        }
        if let Some(Redaction::Sensitive { reveal_last }) = redaction(data.extensions.get("x-d1-redact"), at)? {
            return self.sensitive(schema, reveal_last, at);
        }
        match &schema.schema_kind {
            SchemaKind::Type(Type::String(s)) => self.string(s, at),
            SchemaKind::Type(Type::Integer(i)) => {
                if !i.enumeration.is_empty() {
                    self.warn(at, "integer `enum` is not enforced; any integer is accepted");
                }
                let width = match i.format {
                    VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => IntWidth::I32,
                    _ => IntWidth::I64,
                };
                // Integers stay integers (openapiv3 reads them as `i64`): no `f64` round trip, and
                // a bound the format cannot hold is an error, not an out-of-range literal.
                if width == IntWidth::I32 {
                    for (key, bound) in [("minimum", i.minimum), ("maximum", i.maximum)] {
                        if let Some(v) = bound.filter(|v| i32::try_from(*v).is_err()) {
                            return Err(Error::new(
                                &at.child(key),
                                format!(
                                    "{key} {v} is outside the range of `format: int32` ({} to {})",
                                    i32::MIN,
                                    i32::MAX
                                ),
                            ));
                        }
                    }
                }
                let (lowest, highest) = match width {
                    IntWidth::I32 => (i64::from(i32::MIN), i64::from(i32::MAX)),
                    IntWidth::I64 => (i64::MIN, i64::MAX),
                };
                let constraints = Constraints {
                    minimum: integer_bound(i.minimum, i.exclusive_minimum, lowest, 1),
                    maximum: integer_bound(i.maximum, i.exclusive_maximum, highest, -1),
                    ..Constraints::default()
                };
                Ok(numeric(NewtypeInner::Integer(width), TypeRef::Integer(width), constraints))
            }
            SchemaKind::Type(Type::Number(n)) => {
                let constraints = Constraints {
                    minimum: n.minimum.map(|v| Bound { value: BoundValue::Number(v), exclusive: n.exclusive_minimum }),
                    maximum: n.maximum.map(|v| Bound { value: BoundValue::Number(v), exclusive: n.exclusive_maximum }),
                    ..Constraints::default()
                };
                Ok(numeric(NewtypeInner::Number, TypeRef::Number, constraints))
            }
            SchemaKind::Type(Type::Boolean(_)) => Ok(Shape::Ref(TypeRef::Boolean)),
            SchemaKind::Type(Type::Object(o)) => self.object(o, at, hint),
            SchemaKind::Type(Type::Array(a)) => self.array(a, at, hint),
            SchemaKind::OneOf { one_of } => self.one_of(one_of, data.discriminator.as_ref(), at, hint),
            SchemaKind::AnyOf { any_of } => {
                self.warn(at, "`anyOf` is modelled as an untagged enum: the first alternative that fits wins");
                self.one_of(any_of, None, at, hint)
            }
            SchemaKind::AllOf { all_of } => self.all_of(all_of, at, hint),
            SchemaKind::Not { .. } => {
                self.warn(at, "`not` cannot be expressed as a Rust type; any JSON value is accepted");
                Ok(Shape::Ref(TypeRef::Json))
            }
            SchemaKind::Any(any) => self.any(any, data, at, hint),
        }
    }

    fn string(&mut self, s: &StringType, at: &Location) -> Result<Shape, Error> {
        if !s.enumeration.is_empty() {
            let mut values: Vec<String> = Vec::new();
            for v in s.enumeration.iter().flatten() {
                if !values.contains(v) {
                    values.push(v.clone());
                }
            }
            return Ok(Shape::Def(TypeKind::StringEnum(string_enum(values))));
        }
        let constraints = self.string_constraints(s, at)?;
        if constraints == Constraints::default() {
            return Ok(Shape::Ref(TypeRef::String));
        }
        Ok(Shape::Def(TypeKind::Newtype(Newtype {
            inner: NewtypeInner::String,
            constraints,
            sensitive: false,
            plaintext: false,
            reveal_last: None,
        })))
    }

    fn string_constraints(&mut self, s: &StringType, at: &Location) -> Result<Constraints, Error> {
        if let Some(p) = &s.pattern {
            let compiled = pattern::compile(p)
                .map_err(|e| Error::new(&at.child("pattern"), format!("invalid pattern `{p}`: {e}")))?;
            if let (Some(reason), false) = (compiled.engine_reason(), self.ctx.allow_backtracking_patterns) {
                return Err(Error::new(
                    &at.child("pattern"),
                    format!(
                        "pattern `{p}` {reason}: only a backtracking regex engine could check it, in time \
                         exponential in the value; rewrite it without that construct, or opt in with \
                         `allow_backtracking_patterns`"
                    ),
                ));
            }
            if let Some(offset) = compiled.literal_brace() {
                self.warn(
                    &at.child("pattern"),
                    format!(
                        "pattern `{p}`: the `{{` at character {offset} does not start a valid quantifier, so \
                         ECMA-262 (without the `u` flag, as JavaScript reads it) takes it and what follows as \
                         plain text that every value must contain; if a repetition was meant, the spec \
                         should write `{{min,max}}`"
                    ),
                );
            }
            if let Some(offset) = compiled.pcre_anchor() {
                self.warn(
                    &at.child("pattern"),
                    format!(
                        "pattern `{p}`: `\\A`, `\\Z` and `\\z` (from character {offset}) are anchors in PCRE, Java \
                         and Python, read here as `^` and `$`; ECMA-262 would read them as plain letters that \
                         no real value contains; the spec should write `^` and `$`"
                    ),
                );
            }
            if compiled.accepts_almost_anything() {
                self.warn(
                    &at.child("pattern"),
                    format!("pattern `{p}` is not anchored: any value containing one allowed character matches"),
                );
            } else if !compiled.is_anchored() {
                let what = compiled.describe().replace('`', "");
                self.warn(&at.child("pattern"), format!("pattern `{p}` is not anchored: it matches {what}"));
            }
        }
        if let (Some(min), Some(max)) = (s.min_length, s.max_length)
            && min > max
        {
            return Err(Error::new(at, format!("minLength {min} is greater than maxLength {max}")));
        }
        Ok(Constraints {
            min_length: s.min_length.filter(|m| *m > 0).map(|m| m as u64),
            max_length: s.max_length.map(|m| m as u64),
            pattern: s.pattern.clone(),
            ..Constraints::default()
        })
    }

    fn object(&mut self, o: &ObjectType, at: &Location, hint: &Hint) -> Result<Shape, Error> {
        self.object_parts(&o.properties, &o.required, o.additional_properties.as_ref(), at, hint)
    }

    fn object_parts(
        &mut self,
        properties: &IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        additional: Option<&AdditionalProperties>,
        at: &Location,
        hint: &Hint,
    ) -> Result<Shape, Error> {
        let additional_ty = match additional {
            Some(AdditionalProperties::Schema(s)) => {
                let item_hint = Hint::new("Value".to_string(), &hint.short);
                Some(self.schema_ref(s, &at.child("additionalProperties"), item_hint)?)
            }
            _ => None,
        };
        let deny = matches!(additional, Some(AdditionalProperties::Any(false)));
        if properties.is_empty() {
            if let Some(ty) = additional_ty {
                return Ok(Shape::Ref(TypeRef::Map(Box::new(ty))));
            }
            if !deny {
                return Ok(Shape::Ref(TypeRef::JsonObject));
            }
        }
        let mut fields = Vec::new();
        let mut idents = naming::Names::default();
        for (name, prop) in properties {
            let prop_at = at.child("properties").child(name);
            self.check_sensitive_name(name, prop, &prop_at);
            let prop_hint = Hint::new(naming::type_name(name), &hint.short);
            let ty = self.boxed_schema_ref(prop, &prop_at, prop_hint)?;
            let (nullable, doc) = match prop {
                ReferenceOr::Item(s) => (s.schema_data.nullable, schema_doc(s)),
                ReferenceOr::Reference { .. } => (false, None),
            };
            fields.push(Field {
                name: name.clone(),
                ident: idents.unique(naming::field_ident(name)),
                ty,
                required: required.contains(name),
                nullable,
                doc,
                setter: String::new(),
            });
        }
        Ok(Shape::Def(TypeKind::Struct(structure(fields, deny, additional_ty, false))))
    }

    fn array(&mut self, a: &ArrayType, at: &Location, hint: &Hint) -> Result<Shape, Error> {
        let item = match &a.items {
            Some(items) => self.boxed_schema_ref(items, &at.child("items"), Hint::new("Item".into(), &hint.short))?,
            None => TypeRef::Json,
        };
        let item = match item {
            TypeRef::Boxed(inner) => *inner, // a Vec already breaks the recursion
            other => other,
        };
        let constraints = Constraints {
            // `minItems: 0` allows what no `minItems` does.
            min_items: a.min_items.filter(|m| *m > 0).map(|m| m as u64),
            max_items: a.max_items.map(|m| m as u64),
            unique_items: a.unique_items,
            ..Constraints::default()
        };
        if constraints == Constraints::default() {
            return Ok(Shape::Ref(TypeRef::Array(Box::new(item))));
        }
        Ok(Shape::Def(TypeKind::Newtype(Newtype {
            inner: NewtypeInner::Array(item),
            constraints,
            sensitive: false,
            plaintext: false,
            reveal_last: None,
        })))
    }

    fn one_of(
        &mut self,
        members: &[ReferenceOr<Schema>],
        discriminator: Option<&openapiv3::Discriminator>,
        at: &Location,
        hint: &Hint,
    ) -> Result<Shape, Error> {
        if members.is_empty() {
            return Err(Error::new(at, "`oneOf` needs at least one schema"));
        }
        if let Some(d) = discriminator
            && let Some(shape) = self.tagged(members, d, at)?
        {
            return Ok(shape);
        }
        if members.len() == 1 {
            let r = self.schema_ref(&members[0], &at.child("oneOf").index(0), hint.clone())?;
            return Ok(Shape::Ref(r));
        }
        let mut variants = Vec::new();
        let mut idents = naming::Names::default();
        for (i, member) in members.iter().enumerate() {
            let member_at = at.child("oneOf").index(i);
            let member_hint = Hint::new(format!("Variant{i}"), &hint.short);
            let ty = self.schema_ref(member, &member_at, member_hint)?;
            let named = match &ty {
                TypeRef::Named(id) => Some(*id),
                TypeRef::Boxed(inner) => match **inner {
                    TypeRef::Named(id) => Some(id),
                    _ => None,
                },
                _ => None,
            };
            let base = match named {
                Some(id) => self.ctx.types[id.0].name.clone(),
                None => builtin_variant_name(&ty).to_string(),
            };
            variants.push(OneOfVariant { ident: idents.unique(base), tag_value: None, ty, doc: None });
        }
        Ok(Shape::Def(TypeKind::OneOf(OneOf { tag: None, variants })))
    }

    /// `oneOf` + `discriminator` → an enum tagged by the discriminator property. `None` when the
    /// members are not all named object schemas (then it falls back to an untagged enum).
    fn tagged(
        &mut self,
        members: &[ReferenceOr<Schema>],
        d: &openapiv3::Discriminator,
        at: &Location,
    ) -> Result<Option<Shape>, Error> {
        let mut by_target: BTreeMap<String, String> = BTreeMap::new();
        for (value, target) in &d.mapping {
            let target = local_name(target, SCHEMA_PREFIX).unwrap_or(target);
            by_target.entry(target.to_string()).or_insert_with(|| value.clone());
        }
        let mut variants = Vec::new();
        let mut idents = naming::Names::default();
        for (i, member) in members.iter().enumerate() {
            let member_at = at.child("oneOf").index(i);
            let ReferenceOr::Reference { reference } = member else {
                self.warn(&member_at, "a discriminated `oneOf` member must be a `$ref`; using an untagged enum");
                return Ok(None);
            };
            let Some(name) = local_name(reference, SCHEMA_PREFIX) else {
                return Err(Error::new(&member_at, format!("unsupported `$ref` `{reference}`")));
            };
            let ty = self.reference(reference, &member_at)?;
            let TypeRef::Named(id) = ty else {
                self.warn(
                    &member_at,
                    "a discriminated `oneOf` member must be an object schema; using an untagged enum",
                );
                return Ok(None);
            };
            let TypeKind::Struct(s) = &mut self.ctx.types[id.0].kind else {
                self.warn(
                    &member_at,
                    "a discriminated `oneOf` member must be an object schema; using an untagged enum",
                );
                return Ok(None);
            };
            // The tag is carried by the enum, so the member struct does not hold it twice.
            s.fields.retain(|f| f.name != d.property_name);
            let tag = by_target.get(name).cloned().unwrap_or_else(|| name.to_string());
            variants.push(OneOfVariant {
                ident: idents.unique(naming::variant_ident(&tag)),
                tag_value: Some(tag),
                ty: TypeRef::Named(id),
                doc: None,
            });
        }
        Ok(Some(Shape::Def(TypeKind::OneOf(OneOf { tag: Some(d.property_name.clone()), variants }))))
    }

    fn all_of(&mut self, members: &[ReferenceOr<Schema>], at: &Location, hint: &Hint) -> Result<Shape, Error> {
        // One schema plus members that only annotate it (`description`, `title`, `example`…):
        // AWS writes every `$ref` property this way. It is that schema, of any kind, and a
        // `$ref` to itself stays a reference (a recursive type), not an endless expansion.
        let annotation_only = |m: &ReferenceOr<Schema>| match m {
            ReferenceOr::Item(s) => {
                !s.schema_data.nullable && matches!(&s.schema_kind, SchemaKind::Any(a) if *a == AnySchema::default())
            }
            ReferenceOr::Reference { .. } => false,
        };
        let substantive: Vec<usize> = (0..members.len()).filter(|&i| !annotation_only(&members[i])).collect();
        if let [only] = substantive[..] {
            let r = self.schema_ref(&members[only], &at.child("allOf").index(only), hint.clone())?;
            return Ok(Shape::Ref(r));
        }
        let mut properties = IndexMap::new();
        let mut required = Vec::new();
        let mut deny = false;
        self.expansions = 0;
        for (i, member) in members.iter().enumerate() {
            let member_at = at.child("allOf").index(i);
            if !self.collect_object(member, &member_at, &mut properties, &mut required, &mut deny, 0)? {
                self.warn(&member_at, "`allOf` of a non-object schema: modelled as an open JSON object");
                return Ok(Shape::Ref(TypeRef::JsonObject));
            }
        }
        // `additionalProperties: false` on one member would reject the others' properties in JSON
        // Schema; the merged struct accepts exactly the merged properties.
        let additional = if deny { Some(AdditionalProperties::Any(false)) } else { None };
        self.object_parts(&properties, &required, additional.as_ref(), at, hint)
    }

    /// Merge the properties of an object schema (following `$ref` and nested `allOf`) into the
    /// accumulators. Returns false when the schema is not an object.
    /// [`collect_object`](Self::collect_object) for each member of an `allOf` at `at`.
    fn collect_all_of(
        &mut self,
        all_of: &[ReferenceOr<Schema>],
        at: &Location,
        properties: &mut IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &mut Vec<String>,
        deny: &mut bool,
        depth: usize,
    ) -> Result<bool, Error> {
        for (i, inner) in all_of.iter().enumerate() {
            if !self.collect_object(inner, &at.child("allOf").index(i), properties, required, deny, depth + 1)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn collect_object(
        &mut self,
        member: &ReferenceOr<Schema>,
        at: &Location,
        properties: &mut IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &mut Vec<String>,
        deny: &mut bool,
        depth: usize,
    ) -> Result<bool, Error> {
        if depth > 32 {
            return Err(Error::new(at, "`allOf` nests `$ref`s more than 32 levels deep (a cycle?)"));
        }
        self.expansions += 1;
        if self.expansions > MAX_ALL_OF_EXPANSIONS {
            return Err(Error::new(at, format!("`allOf` merges more than {MAX_ALL_OF_EXPANSIONS} schemas")));
        }
        let doc = self.doc;
        let schema = match member {
            ReferenceOr::Item(s) => s,
            ReferenceOr::Reference { reference } => {
                let name = local_name(reference, SCHEMA_PREFIX)
                    .ok_or_else(|| Error::new(at, format!("unsupported `$ref` `{reference}`")))?;
                match doc.components.as_ref().and_then(|c| c.schemas.get(name)) {
                    Some(ReferenceOr::Item(s)) => s,
                    Some(r @ ReferenceOr::Reference { .. }) => {
                        return self.collect_object(r, at, properties, required, deny, depth + 1);
                    }
                    None => return Err(Error::new(at, format!("`$ref` `{reference}` points to nothing"))),
                }
            }
        };
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(o)) => {
                merge_props(properties, required, &o.properties, &o.required);
                *deny |= matches!(o.additional_properties, Some(AdditionalProperties::Any(false)));
                Ok(true)
            }
            SchemaKind::Any(a)
                if a.typ.as_deref().is_none_or(|t| t == "object") && a.one_of.is_empty() && a.any_of.is_empty() =>
            {
                merge_props(properties, required, &a.properties, &a.required);
                self.collect_all_of(&a.all_of, at, properties, required, deny, depth)
            }
            SchemaKind::AllOf { all_of } => self.collect_all_of(all_of, at, properties, required, deny, depth),
            _ => Ok(false),
        }
    }

    fn any(
        &mut self,
        any: &openapiv3::AnySchema,
        data: &openapiv3::SchemaData,
        at: &Location,
        hint: &Hint,
    ) -> Result<Shape, Error> {
        if !any.one_of.is_empty() {
            if !any.properties.is_empty() {
                self.warn(at, "properties next to `oneOf` are ignored");
            }
            return self.one_of(&any.one_of, data.discriminator.as_ref(), at, hint);
        }
        if !any.all_of.is_empty() {
            let mut members = any.all_of.clone();
            if !any.properties.is_empty() {
                members.push(ReferenceOr::Item(Schema {
                    schema_data: Default::default(),
                    schema_kind: SchemaKind::Type(Type::Object(ObjectType {
                        properties: any.properties.clone(),
                        required: any.required.clone(),
                        additional_properties: any.additional_properties.clone(),
                        ..Default::default()
                    })),
                }));
            }
            return self.all_of(&members, at, hint);
        }
        if !any.any_of.is_empty() {
            self.warn(at, "`anyOf` is modelled as an untagged enum: the first alternative that fits wins");
            return self.one_of(&any.any_of, None, at, hint);
        }
        match any.typ.as_deref() {
            Some("object") | None if !any.properties.is_empty() || any.additional_properties.is_some() => {
                self.object_parts(&any.properties, &any.required, any.additional_properties.as_ref(), at, hint)
            }
            Some("string") | None
                if !any.enumeration.is_empty() && any.enumeration.iter().all(|v| v.is_string() || v.is_null()) =>
            {
                let mut values: Vec<String> = Vec::new();
                for v in any.enumeration.iter().filter_map(|v| v.as_str()) {
                    if !values.iter().any(|x| x == v) {
                        values.push(v.to_string());
                    }
                }
                Ok(Shape::Def(TypeKind::StringEnum(string_enum(values))))
            }
            Some("array") | None if any.items.is_some() => {
                let a = ArrayType {
                    items: any.items.clone(),
                    min_items: any.min_items,
                    max_items: any.max_items,
                    unique_items: any.unique_items.unwrap_or(false),
                };
                self.array(&a, at, hint)
            }
            Some("string") => {
                let s = StringType {
                    pattern: any.pattern.clone(),
                    min_length: any.min_length,
                    max_length: any.max_length,
                    ..Default::default()
                };
                self.string(&s, at)
            }
            Some("object") => Ok(Shape::Ref(TypeRef::JsonObject)),
            Some("integer") => Ok(Shape::Ref(TypeRef::Integer(IntWidth::I64))),
            Some("number") => Ok(Shape::Ref(TypeRef::Number)),
            Some("boolean") => Ok(Shape::Ref(TypeRef::Boolean)),
            None if !any.enumeration.is_empty() => {
                self.warn(at, "`enum` without a type and with non-string values: any JSON value is accepted");
                Ok(Shape::Ref(TypeRef::Json))
            }
            None => Ok(Shape::Ref(TypeRef::Json)),
            // `load` refuses unknown types before lowering (see `validate`): never a silent `Json`.
            Some(other) => Err(Error::new(at, format!("unknown type `{other}`"))),
        }
    }

    /// A JWE plaintext object (`x-d1-plaintext: true`): every property becomes a sensitive newtype.
    fn plaintext(&mut self, schema: &Schema, at: &Location, hint: &Hint) -> Result<Shape, Error> {
        let SchemaKind::Type(Type::Object(o)) = &schema.schema_kind else {
            return Err(Error::new(at, "an `x-d1-plaintext` schema must be `type: object` with properties"));
        };
        let mut fields = Vec::new();
        let mut idents = naming::Names::default();
        for (name, prop) in &o.properties {
            let prop_at = at.child("properties").child(name);
            let ReferenceOr::Item(prop_schema) = prop else {
                return Err(Error::new(&prop_at, "plaintext properties must be inline string schemas"));
            };
            let SchemaKind::Type(Type::String(s)) = &prop_schema.schema_kind else {
                return Err(Error::new(&prop_at, "plaintext properties must be strings"));
            };
            let ext = &prop_schema.schema_data.extensions;
            let mut constraints = self.string_constraints(s, &prop_at)?;
            constraints.luhn = ext.get("x-d1-luhn") == Some(&serde_json::Value::Bool(true));
            let reveal_last = match redaction(ext.get("x-d1-redact"), &prop_at)? {
                Some(Redaction::Sensitive { reveal_last }) => reveal_last,
                Some(Redaction::NotSensitive) => {
                    return Err(Error::new(
                        &prop_at.child("x-d1-redact"),
                        "every member of a JWE plaintext is sensitive: `none` is not allowed here",
                    ))
                }
                None => None,
            };
            let newtype =
                Newtype { inner: NewtypeInner::String, constraints, sensitive: true, plaintext: true, reveal_last };
            let prop_hint = Hint::new(naming::type_name(name), &hint.short);
            let id = self.define(TypeKind::Newtype(newtype), prop_hint, schema_doc(prop_schema), &prop_at);
            fields.push(Field {
                name: name.clone(),
                ident: idents.unique(naming::field_ident(name)),
                ty: TypeRef::Named(id),
                required: o.required.contains(name),
                nullable: false,
                doc: schema_doc(prop_schema),
                setter: String::new(),
            });
        }
        let deny = matches!(o.additional_properties, Some(AdditionalProperties::Any(false)));
        Ok(Shape::Def(TypeKind::Struct(structure(fields, deny, None, true))))
    }

    /// A string declared sensitive (`x-d1-redact: "all"` or `"last4"`): a newtype that never
    /// prints its value and zeroizes it on drop, constrained or not; the wire form is the string.
    fn sensitive(&mut self, schema: &Schema, reveal_last: Option<usize>, at: &Location) -> Result<Shape, Error> {
        let SchemaKind::Type(Type::String(s)) = &schema.schema_kind else {
            return Err(Error::new(
                &at.child("x-d1-redact"),
                "only a `type: string` schema can be declared sensitive (`x-d1-redact`); declare the string members of an object, or a `$ref`'s target",
            ));
        };
        if !s.enumeration.is_empty() {
            return Err(Error::new(
                &at.child("x-d1-redact"),
                "a string `enum` cannot be sensitive: its values are public in the spec",
            ));
        }
        let mut constraints = self.string_constraints(s, at)?;
        constraints.luhn = schema.schema_data.extensions.get("x-d1-luhn") == Some(&serde_json::Value::Bool(true));
        Ok(Shape::Def(TypeKind::Newtype(Newtype {
            inner: NewtypeInner::String,
            constraints,
            sensitive: true,
            plaintext: false,
            reveal_last,
        })))
    }

    /// Whether a property is declared sensitive or not sensitive (`x-d1-redact`, on its inline
    /// schema or on the component schema its `$ref` leads to), or sealed (`x-d1-jwe`).
    fn declared(&self, prop: &ReferenceOr<Box<Schema>>) -> bool {
        let mut current = match prop {
            ReferenceOr::Item(schema) => return declares(schema),
            ReferenceOr::Reference { reference } => reference.clone(),
        };
        let schemas = self.doc.components.as_ref().map(|c| &c.schemas);
        // `$ref` chains are bounded (cycles are refused elsewhere, with a location).
        for _ in 0..64 {
            let Some(name) = local_name(&current, SCHEMA_PREFIX) else { return false };
            match schemas.and_then(|s| s.get(name)) {
                Some(ReferenceOr::Item(schema)) => return declares(schema),
                Some(ReferenceOr::Reference { reference }) => current = reference.clone(),
                None => return false,
            }
        }
        false
    }

    /// A located warning for a property whose name suggests a secret or card data and that is
    /// declared neither sensitive nor not sensitive.
    fn check_sensitive_name(&mut self, name: &str, prop: &ReferenceOr<Box<Schema>>, at: &Location) {
        let Some(word) = secret_word(name) else { return };
        if self.declared(prop) {
            return;
        }
        self.warn(
            at,
            format!(
                "property `{name}` looks like a secret or card data (`{word}`) but is not declared either way: \
                 add `x-d1-redact: \"all\"` (or `\"last4\"`) if it is sensitive, `\"none\"` if it is not"
            ),
        );
    }

    /// A JWE-sealed string (`x-d1-jwe: {plaintext: "#/components/schemas/X"}`).
    fn sealed(&mut self, schema: &Schema, jwe: &serde_json::Value, at: &Location) -> Result<Shape, Error> {
        let ext_at = at.child("x-d1-jwe");
        let Some(reference) = jwe.get("plaintext").and_then(|p| p.as_str()) else {
            return Err(Error::new(&ext_at, "`x-d1-jwe` needs `plaintext`: a `$ref` to the plaintext schema"));
        };
        let max_length = match &schema.schema_kind {
            SchemaKind::Type(Type::String(s)) => {
                if let Some(p) = &s.pattern {
                    self.warn(
                        &at.child("pattern"),
                        format!("pattern `{p}` is not applied to a sealed field; the value is checked as a compact JWE instead"),
                    );
                }
                s.max_length.map(|m| m as u64)
            }
            _ => return Err(Error::new(at, "an `x-d1-jwe` field must be `type: string`")),
        };
        let plaintext = match self.reference(reference, &ext_at)? {
            TypeRef::Named(id) => id,
            _ => return Err(Error::new(&ext_at, "the plaintext must be a named object schema")),
        };
        match &self.ctx.types[plaintext.0].kind {
            TypeKind::Struct(s) if s.plaintext => {}
            _ => {
                return Err(Error::new(&ext_at, format!("`{reference}` is not marked `x-d1-plaintext: true`")));
            }
        }
        self.ctx.sealed_fields += 1;
        Ok(Shape::Ref(TypeRef::Sealed { plaintext, max_length: max_length.unwrap_or(8192) }))
    }
}

/// A type alias can name itself only through a nominal type (a struct, an enum, a newtype):
/// `type A = B; type B = Box<A>;` or `type A = Vec<A>;` is not a Rust type (E0391). Such
/// cycles come from `allOf`/`oneOf`/`anyOf` with one member, `$ref`s and `items` that never
/// pass through an object. The first type of the cycle, by location, names it.
fn check_alias_cycles(types: &[TypeDef]) -> Result<(), Error> {
    fn named(r: &TypeRef, out: &mut Vec<usize>) {
        match r {
            TypeRef::Named(id) => out.push(id.0),
            TypeRef::Array(inner) | TypeRef::Map(inner) | TypeRef::Boxed(inner) => named(inner, out),
            _ => {}
        }
    }
    let edges: Vec<Vec<usize>> = types
        .iter()
        .map(|t| {
            let mut out = Vec::new();
            match &t.kind {
                TypeKind::Alias(r) => named(r, &mut out),
                TypeKind::ReExport(id) => out.push(id.0),
                _ => {}
            }
            out
        })
        .collect();
    // Iterative depth-first search: 0 unvisited, 1 on the stack, 2 done.
    let mut state = vec![0u8; types.len()];
    for root in 0..types.len() {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&to) = edges[node].get(*next) {
                *next += 1;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => {
                        let start = stack.iter().position(|&(n, _)| n == to).unwrap_or(0);
                        let cycle: Vec<usize> = stack[start..].iter().map(|&(n, _)| n).collect();
                        let first = cycle.iter().copied().min_by(|a, b| types[*a].location.cmp(&types[*b].location));
                        let first = first.unwrap_or(to);
                        let names: Vec<&str> = cycle.iter().map(|&n| types[n].name.as_str()).collect();
                        return Err(Error::new(
                            &types[first].location,
                            format!(
                                "schemas {} → {} refer to each other without an object in between \
                                 (only through `allOf`/`oneOf`/`anyOf`, `$ref` or `items`): no Rust type can represent that",
                                names.join(" → "),
                                names[0]
                            ),
                        ));
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
    Ok(())
}

/// A declaration `x-d1-redact` on a schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Redaction {
    /// `"all"` (nothing shown) or `"last4"` (the last 4 characters shown).
    Sensitive { reveal_last: Option<usize> },
    /// `"none"`: checked, not sensitive (silences the warning about its name).
    NotSensitive,
}

fn redaction(value: Option<&serde_json::Value>, at: &Location) -> Result<Option<Redaction>, Error> {
    match value {
        None => Ok(None),
        Some(serde_json::Value::String(v)) if v == "all" => Ok(Some(Redaction::Sensitive { reveal_last: None })),
        Some(serde_json::Value::String(v)) if v == "last4" => Ok(Some(Redaction::Sensitive { reveal_last: Some(4) })),
        Some(serde_json::Value::String(v)) if v == "none" => Ok(Some(Redaction::NotSensitive)),
        Some(other) => Err(Error::new(
            &at.child("x-d1-redact"),
            format!("unknown redaction {other} (supported: `\"all\"`, `\"last4\"`, `\"none\"`)"),
        )),
    }
}

/// Whether a schema is declared either way: `x-d1-redact` (any value), or sealed/plaintext.
fn declares(schema: &Schema) -> bool {
    let ext = &schema.schema_data.extensions;
    ext.contains_key("x-d1-redact") || ext.contains_key("x-d1-jwe") || ext.contains_key("x-d1-plaintext")
}

/// Words of a property name that suggest a secret or card data (matched case-insensitively,
/// as whole words of the name: `cardPin`, `pin_block`, `PIN` match; `pinned`, `spinner` do not).
pub const SECRET_WORDS: &[&str] = &[
    "pan",
    "fpan",
    "dpan",
    "track",
    "track1",
    "track2",
    "track3",
    "cvv",
    "cvv2",
    "cvc",
    "cvc2",
    "cav",
    "pin",
    "pvv",
    "token",
    "secret",
    "password",
    "passcode",
    "passphrase",
    "assertion",
    "otp",
    "cryptogram",
    "credential",
    "credentials",
];

/// The words of a name: split at `_`, `-`, `.`, spaces, lower-to-upper case changes, the
/// end of an acronym (`PANNumber` → `pan`, `number`) and letter/digit changes, lowercased.
pub fn name_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (prev.is_lowercase() && c.is_uppercase())
                || (prev.is_uppercase() && c.is_uppercase() && next_lower)
                || (prev.is_alphabetic() && c.is_numeric())
                || (prev.is_numeric() && c.is_alphabetic());
            if boundary && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The first word of `name` that suggests a secret (with a digit suffix joined: `track1`, `cvv2`).
pub fn secret_word(name: &str) -> Option<String> {
    let words = name_words(name);
    for (i, w) in words.iter().enumerate() {
        if SECRET_WORDS.contains(&w.as_str()) {
            return Some(w.clone());
        }
        if let Some(next) = words.get(i + 1).filter(|n| n.chars().all(|c| c.is_ascii_digit())) {
            let joined = format!("{w}{next}");
            if SECRET_WORDS.contains(&joined.as_str()) {
                return Some(joined);
            }
        }
    }
    None
}

fn numeric(inner: NewtypeInner, plain: TypeRef, constraints: Constraints) -> Shape {
    if constraints == Constraints::default() {
        Shape::Ref(plain)
    } else {
        Shape::Def(TypeKind::Newtype(Newtype {
            inner,
            constraints,
            sensitive: false,
            plaintext: false,
            reveal_last: None,
        }))
    }
}

fn string_enum(values: Vec<String>) -> StringEnum {
    let mut idents = naming::Names::default();
    let variants: Vec<EnumVariant> = values
        .into_iter()
        .map(|value| EnumVariant { ident: idents.unique(naming::variant_ident(&value)), value })
        .collect();
    let unknown_variant = ["Unknown", "UnknownValue", "Other"]
        .iter()
        .find(|c| !idents.contains(c))
        .map(|c| c.to_string())
        .unwrap_or_else(|| idents.unique("Unknown".into()));
    StringEnum { variants, unknown_variant }
}

fn merge_props(
    properties: &mut IndexMap<String, ReferenceOr<Box<Schema>>>,
    required: &mut Vec<String>,
    more: &IndexMap<String, ReferenceOr<Box<Schema>>>,
    more_required: &[String],
) {
    for (k, v) in more {
        properties.insert(k.clone(), v.clone());
    }
    for r in more_required {
        if !required.contains(r) {
            required.push(r.clone());
        }
    }
}

fn builtin_variant_name(ty: &TypeRef) -> &'static str {
    match ty {
        TypeRef::String => "String",
        TypeRef::Integer(_) => "Integer",
        TypeRef::Number => "Number",
        TypeRef::Boolean => "Boolean",
        TypeRef::Array(_) => "Array",
        TypeRef::Map(_) | TypeRef::JsonObject => "Object",
        TypeRef::Bytes => "Bytes",
        _ => "Value",
    }
}

/// A struct with its constructor, setters and map of additional properties named.
fn structure(
    mut fields: Vec<Field>,
    deny_unknown_fields: bool,
    additional: Option<TypeRef>,
    plaintext: bool,
) -> Struct {
    let setters = naming::setters(fields.iter().map(|f| f.ident.as_str()));
    for (field, setter) in fields.iter_mut().zip(setters) {
        field.setter = setter;
    }
    let additional = additional
        .map(|ty| Additional { ty, ident: naming::additional_member(fields.iter().map(|f| f.ident.as_str())) });
    Struct { fields, deny_unknown_fields, additional, plaintext, constructor: naming::CONSTRUCTOR.to_string() }
}

fn schema_doc(schema: &Schema) -> Option<String> {
    let data = &schema.schema_data;
    docs::markdown_of(data.description.as_deref()).or_else(|| docs::markdown_of(data.title.as_deref()))
}

fn local_name<'r>(reference: &'r str, prefix: &str) -> Option<&'r str> {
    reference.strip_prefix(prefix).filter(|n| !n.is_empty() && !n.contains('/'))
}

/// The declared `style` and `explode` of a parameter, with the defaults of OpenAPI 3.0: `form`
/// in query and cookie, `simple` in path and header; `explode` by default only for `form`.
fn declared_style(p: &openapiv3::Parameter) -> ValueStyle {
    use openapiv3::{PathStyle, QueryStyle};
    let explode = p.parameter_data_ref().explode;
    match p {
        openapiv3::Parameter::Query { style, .. } => match style {
            QueryStyle::Form => ValueStyle::Form { explode: explode.unwrap_or(true) },
            QueryStyle::SpaceDelimited => ValueStyle::SpaceDelimited,
            QueryStyle::PipeDelimited => ValueStyle::PipeDelimited,
            QueryStyle::DeepObject => ValueStyle::DeepObject,
        },
        openapiv3::Parameter::Path { style, .. } => match style {
            PathStyle::Simple => ValueStyle::Simple { explode: explode.unwrap_or(false) },
            PathStyle::Label => ValueStyle::Label { explode: explode.unwrap_or(false) },
            PathStyle::Matrix => ValueStyle::Matrix { explode: explode.unwrap_or(false) },
        },
        openapiv3::Parameter::Header { .. } => ValueStyle::Simple { explode: explode.unwrap_or(false) },
        openapiv3::Parameter::Cookie { .. } => ValueStyle::Form { explode: explode.unwrap_or(true) },
    }
}

/// What a parameter's type is to the styles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ParamShape {
    /// Written with `Display`, read with `FromStr`.
    Scalar,
    /// An array of scalars.
    List,
    /// An object or map of scalars, a union of scalars, lists and such objects: what the
    /// styles define.
    Flat,
    /// Objects or lists inside objects or lists: no style of OpenAPI 3.0 defines a form.
    Nested,
}

/// Unions and aliases are followed this deep at most (a cycle ends as `Nested`).
const SHAPE_DEPTH: usize = 16;

fn shape(types: &[TypeDef], ty: &TypeRef, depth: usize) -> ParamShape {
    if depth > SHAPE_DEPTH {
        return ParamShape::Nested;
    }
    let list = |item: &TypeRef| match shape(types, item, depth + 1) {
        ParamShape::Scalar => ParamShape::List,
        _ => ParamShape::Nested,
    };
    let scalar = |t: &TypeRef| shape(types, t, depth + 1) == ParamShape::Scalar;
    match ty {
        TypeRef::String | TypeRef::Integer(_) | TypeRef::Number | TypeRef::Boolean | TypeRef::Bytes => {
            ParamShape::Scalar
        }
        TypeRef::Sealed { .. } => ParamShape::Scalar,
        TypeRef::Json => ParamShape::Nested,
        TypeRef::JsonObject => ParamShape::Flat,
        TypeRef::Boxed(inner) => shape(types, inner, depth + 1),
        TypeRef::Array(item) => list(item),
        TypeRef::Map(value) if scalar(value) => ParamShape::Flat,
        TypeRef::Map(_) => ParamShape::Nested,
        TypeRef::Named(id) => match &types[id.0].kind {
            TypeKind::Newtype(n) => match &n.inner {
                NewtypeInner::Array(item) => list(item),
                _ => ParamShape::Scalar,
            },
            TypeKind::StringEnum(_) => ParamShape::Scalar,
            TypeKind::Alias(target) => shape(types, target, depth + 1),
            TypeKind::ReExport(target) => shape(types, &TypeRef::Named(*target), depth + 1),
            TypeKind::Struct(s) => {
                let flat =
                    s.fields.iter().all(|f| scalar(&f.ty)) && s.additional.as_ref().is_none_or(|a| scalar(&a.ty));
                if flat {
                    ParamShape::Flat
                } else {
                    ParamShape::Nested
                }
            }
            TypeKind::OneOf(o) => {
                let flat = o.variants.iter().all(|v| shape(types, &v.ty, depth + 1) != ParamShape::Nested);
                if flat {
                    ParamShape::Flat
                } else {
                    ParamShape::Nested
                }
            }
        },
    }
}

fn location_of(p: &openapiv3::Parameter) -> ParamLocation {
    match p {
        openapiv3::Parameter::Query { .. } => ParamLocation::Query,
        openapiv3::Parameter::Header { .. } => ParamLocation::Header,
        openapiv3::Parameter::Path { .. } => ParamLocation::Path,
        openapiv3::Parameter::Cookie { .. } => ParamLocation::Cookie,
    }
}

fn parse_method(method: &str) -> Method {
    match method {
        "get" => Method::Get,
        "put" => Method::Put,
        "post" => Method::Post,
        "delete" => Method::Delete,
        "patch" => Method::Patch,
        "head" => Method::Head,
        "options" => Method::Options,
        _ => Method::Trace,
    }
}

/// Prefer JSON, then form-urlencoded, then the first media type listed.
fn pick_content(
    content: &IndexMap<String, openapiv3::MediaType>,
) -> Option<(String, MediaType, Option<&ReferenceOr<Schema>>)> {
    let classify = |m: &str| {
        let base = m.split(';').next().unwrap_or(m).trim().to_ascii_lowercase();
        if base == "application/json" || (base.starts_with("application/") && base.ends_with("+json")) {
            MediaType::Json
        } else if base == "application/x-www-form-urlencoded" {
            MediaType::FormUrlEncoded
        } else {
            MediaType::Other(m.to_string())
        }
    };
    let pick = content
        .iter()
        .find(|(m, _)| classify(m) == MediaType::Json)
        .or_else(|| content.iter().find(|(m, _)| classify(m) == MediaType::FormUrlEncoded))
        .or_else(|| content.iter().next())?;
    Some((pick.0.clone(), classify(pick.0), pick.1.schema.as_ref()))
}

/// Split a path template into literal and `{param}` segments.
fn parse_path_template(path: &str) -> Result<Vec<PathSegment>, String> {
    let mut segments = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            segments.push(PathSegment::Literal(rest[..open].to_string()));
        }
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("unclosed `{{` in path `{path}`"));
        };
        let name = &rest[open + 1..open + close];
        if name.is_empty() || name.contains('{') {
            return Err(format!("invalid parameter name in path `{path}`"));
        }
        segments.push(PathSegment::Param(name.to_string()));
        rest = &rest[open + close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("unmatched `}}` in path `{path}`"));
    }
    if !rest.is_empty() {
        segments.push(PathSegment::Literal(rest.to_string()));
    }
    Ok(segments)
}

/// Whitespace runs (line breaks included) as one space, trimmed.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An integer bound as the generated check needs it. A bound at the edge of the integer type
/// (`extreme`) is one every value meets, so it is dropped (a check against it would compare with
/// the type's own minimum or maximum, which clippy rejects); an exclusive bound there leaves out
/// one value, so it becomes the inclusive bound one step inside (`inward`: +1 for a minimum, -1
/// for a maximum).
fn integer_bound(value: Option<i64>, exclusive: bool, extreme: i64, inward: i64) -> Option<Bound> {
    let bound = |v: i64, exclusive: bool| Bound { value: BoundValue::Integer(v), exclusive };
    match value? {
        v if v == extreme && exclusive => Some(bound(v + inward, false)),
        v if v == extreme => None,
        v => Some(bound(v, exclusive)),
    }
}
