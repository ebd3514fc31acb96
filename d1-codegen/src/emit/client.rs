//! The client crate: one module per API with one async operation per spec operation, on top of
//! the client core of `d1_runtime::client`, which the crate root re-exports.
//!
//! Per operation `op` of API module `m` it emits, in `m`:
//! * `Api::op(&self, <required inputs>) -> OpBuilder` — path parameters and other required
//!   inputs are arguments (so they cannot be forgotten), optional ones are builder methods;
//! * `OpBuilder` with `.send()` (and `IntoFuture`, so `.await` works directly);
//! * `OpError`, one variant per declared error status, carried by `Error<OpError>`;
//! * `OpSuccess` when more than one success status is declared (otherwise the body type).

use super::templates;
use super::types::type_lines;
use super::{
    describe_sources, doc_attrs, fits, ident, inner_docs, members_text, path_tokens, render_crate_root, render_items,
    rust_header, spaced_after, type_text, type_tokens, Member, Options, Part, RootPart, Scope, MARGIN,
};
use crate::error::{Error, Location};
use crate::ir::{
    Api, Ir, ListStyle, MediaType, Method, Operation, ParamLocation, Parameter, PathSegment, Response, Status,
    TypeKind, TypeRef, ValueStyle,
};
use crate::write::FileTree;
use proc_macro2::{Literal, TokenStream};
use quote::quote;

pub(super) fn emit_crate(ir: &Ir, options: &Options, tree: &mut FileTree) -> Result<(), Error> {
    let root = options.client_crate.clone();
    let krate = root.replace('-', "_");
    let types_krate = options.types_crate.replace('-', "_");
    let types_path = options.path_of(Part::Types);
    let root_path = options.root_of(Part::Client);
    let sources = ir.sources();
    let all_header = rust_header(&sources);
    let accessors: Vec<String> = ir.apis.iter().map(|a| a.accessor.clone()).collect();

    let ctx = Ctx {
        ir,
        krate: &krate,
        types: &types_path,
        root: &root_path,
        fence: options.example_fence(),
        builder_members: builder_members(&root_path, &format!("{root}/src"))?,
        into_future_members: into_future_members(&format!("{root}/src"))?,
    };
    let mut error_examples = Vec::new();
    for (api, accessor) in ir.apis.iter().zip(&accessors) {
        let path = format!("{root}/src/{}.rs", api.module);
        let text = api_module(&ctx, api, accessor, &mut error_examples, &path)?;
        tree.insert(path, spaced_after(&rust_header(&[api.source.as_str()]), text));
    }
    // The lib example matches a declared error: a 404 if some operation declares one.
    let error_example = error_examples.iter().find(|e| e.status == Status::Code(404)).or(error_examples.first());
    tree.insert(
        format!("{root}/src/lib.rs"),
        render_crate_root(lib_rs(&ctx, &accessors, error_example)?, &all_header, "lib.rs")?,
    );

    let apis: Vec<minijinja::Value> = ir
        .apis
        .iter()
        .zip(&accessors)
        .map(|(a, accessor)| {
            minijinja::context! {
                module => a.module.clone(), title => a.title.clone(), version => a.version.clone(),
                source => a.source.clone(), operations => a.operations.len(),
                accessor => if a.operations.is_empty() { "–".to_string() } else { format!("`client.{accessor}()`") },
                direction => direction(&a.module),
            }
        })
        .collect();
    let example = ir
        .apis
        .iter()
        .zip(&accessors)
        .find_map(|(api, accessor)| api.operations.first().map(|op| format!("client.{accessor}().{}(…)", op.name)));
    let context = minijinja::context! {
        name => root.clone(), krate => krate.clone(), version => options.version.clone(),
        types_crate => options.types_crate.clone(), types_krate => types_krate.clone(),
        sources => describe_sources(&sources), apis => apis,
        operations => ir.apis.iter().map(|a| a.operations.len()).sum::<usize>(),
        example => example.unwrap_or_default(),
        runtime_path => options.runtime.context().0, runtime_version => options.runtime.context().1, edition => super::EDITION, rust_version => super::RUST_VERSION,
    };
    tree.insert(format!("{root}/Cargo.toml"), templates::render("client/Cargo.toml.j2", context.clone())?);
    tree.insert(format!("{root}/README.md"), templates::render("client/README.md.j2", context)?);
    Ok(())
}

/// A call whose declared error the crate documentation matches on.
struct ErrorExample {
    /// `name: Type` parameters of the hidden example function.
    params: Vec<String>,
    /// `client.in_v1_card().suspend(issuer_id, card_id)`
    call: String,
    /// `in_v1_card::SuspendError::NotFound`
    variant: String,
    status: Status,
    has_body: bool,
}

struct Ctx<'a> {
    ir: &'a Ir,
    /// Rust name of the client crate (for doc examples).
    krate: &'a str,
    /// Path of the types crate (`::d1_types`) or module (`crate::types`).
    types: &'a str,
    /// Path of this crate's root (`crate`) or module (`crate::client`).
    root: &'a str,
    /// The opening fence of code examples in docs.
    fence: &'static str,
    /// The printed [`builder_members`].
    builder_members: String,
    /// The printed [`into_future_members`].
    into_future_members: String,
}

impl Ctx<'_> {
    fn ty(&self, r: &TypeRef) -> TokenStream {
        type_tokens(self.ir, r, Scope::External(self.types))
    }

    fn root(&self) -> TokenStream {
        path_tokens(self.root)
    }
}

/// `in`, `out` or empty, from the module name.
fn direction(module: &str) -> &'static str {
    if module.starts_with("in_") {
        "inbound"
    } else if module.starts_with("out_") {
        "outbound"
    } else {
        ""
    }
}

fn lib_rs(ctx: &Ctx<'_>, accessors: &[String], error_example: Option<&ErrorExample>) -> Result<Vec<RootPart>, Error> {
    let ir = ctx.ir;
    let krate = ctx.krate;
    let mut lines = vec![
        "Client of the Thales D1 APIs, generated from their OpenAPI specs.".to_string(),
        String::new(),
        "Build one [`Client`] (cheap to clone, `Send + Sync`) and call any API through its accessor:".to_string(),
        String::new(),
        "| accessor | module | API | version | direction | operations |".to_string(),
        "|---|---|---|---|---|---|".to_string(),
    ];
    for (api, accessor) in ir.apis.iter().zip(accessors) {
        // A document without operations (types only) has no accessor.
        let accessor = if api.operations.is_empty() {
            "–".to_string()
        } else {
            format!("[`client.{accessor}()`](Client::{accessor})")
        };
        lines.push(format!(
            "| {accessor} | [`{}`] | {} | {} | {} | {} |",
            api.module,
            api.title,
            api.version,
            direction(&api.module),
            api.operations.len()
        ));
    }
    lines.extend(
        [
            "",
            "Each accessor is named like its API's module, so a new spec or a new version of an API",
            "never renames the accessors you use.",
            "",
            "Every operation takes its required inputs as arguments and the optional ones as builder",
            "methods, then `.await`s (or `.send().await`s) to `Result<Response<T>, Error<E>>`: `T` is the",
            "body of the declared success status, `E` the operation's enum of declared error statuses;",
            "[`ErrorKind`] tells those apart from undeclared statuses, invalid bodies, timeouts and",
            "transport failures. Every request carries an `x-correlation-id` (yours, or a fresh random",
            "one), which every [`Response`] and [`Error`] reports.",
            "",
            "Inputs are the validated types of the types crate, re-exported as [`types`]. Authentication",
            "is a [`TokenProvider`]: a [`StaticToken`], D1's OAuth2 JWT-bearer flow ([`oauth2`]), or yours.",
            "Retries follow a [`RetryPolicy`]; each call runs in a `tracing` span `d1.call` with the",
            "operation, method, correlation id, status, attempts and latency (never paths, bodies or tokens).",
        ]
        .map(String::from),
    );
    if let Some(e) = error_example {
        let pattern =
            if e.has_body { format!("{krate}::{}(body)", e.variant) } else { format!("{krate}::{}", e.variant) };
        let arm = if e.has_body {
            "println!(\"declared {}: {body:?}\", error.status().unwrap_or(0))"
        } else {
            "println!(\"declared error\")"
        };
        lines.extend([
            String::new(),
            "Answers are typed by status, D1's error bodies included:".to_string(),
            String::new(),
            ctx.fence.to_string(),
            format!("use {krate}::ErrorKind;"),
            String::new(),
            format!(
                "# async fn example(client: &{krate}::Client{}) {{",
                e.params.iter().map(|p| format!(", {p}")).collect::<String>()
            ),
            format!("match {}.await {{", e.call),
            "    Ok(response) => println!(\"HTTP {}\", response.status()),".to_string(),
            "    Err(error) => match error.kind() {".to_string(),
            format!("        ErrorKind::Declared({pattern}) => {arm},"),
            "        ErrorKind::Declared(other) => println!(\"another declared error: {other:?}\"),".to_string(),
            "        ErrorKind::Timeout => println!(\"timed out, x-correlation-id {}\", error.correlation_id()),"
                .to_string(),
            "        _ => println!(\"{error}\"),".to_string(),
            "    },".to_string(),
            "}".to_string(),
            "# }".to_string(),
            "```".to_string(),
        ]);
    }

    let types = path_tokens(ctx.types);
    let mods: Vec<TokenStream> = ir
        .apis
        .iter()
        .map(|a| {
            let m = ident(&a.module);
            quote!(pub mod #m;)
        })
        .collect();

    // ApiId
    let variants: Vec<proc_macro2::Ident> =
        ir.apis.iter().map(|a| ident(&crate::naming::upper_camel_case(&a.module))).collect();
    let variant_docs: Vec<String> =
        ir.apis.iter().map(|a| format!(" `{}`: {} {}", a.module, a.title, a.version)).collect();
    let modules: Vec<proc_macro2::Ident> = ir.apis.iter().map(|a| ident(&a.module)).collect();
    let module_names: Vec<&str> = ir.apis.iter().map(|a| a.module.as_str()).collect();
    let indices: Vec<Literal> = (0..ir.apis.len()).map(Literal::usize_unsuffixed).collect();

    // Environment constants: the union of server names.
    let mut server_names: Vec<&str> =
        ir.apis.iter().flat_map(|a| a.servers.iter().map(|s| s.const_name.as_str())).collect();
    server_names.sort_unstable();
    server_names.dedup();
    let envs: Vec<TokenStream> = server_names
        .iter()
        .map(|name| {
            let id = ident(name);
            let users: Vec<String> = ir
                .apis
                .iter()
                .filter(|a| a.servers.iter().any(|s| s.const_name == *name))
                .map(|a| format!("`{}`", a.module))
                .collect();
            let doc = format!(" Each API's `{name}` server (listed by {}).", users.join(", "));
            quote!(#[doc = #doc] pub const #id: Environment = Environment::server(#name);)
        })
        .collect();

    let accessor_fns: Vec<TokenStream> = ir
        .apis
        .iter()
        .zip(accessors)
        .filter(|(a, _)| !a.operations.is_empty())
        .map(|(a, accessor)| {
            let name = ident(accessor);
            let m = ident(&a.module);
            let doc = format!(
                " The operations of the **{}** (version {}, [`{}`], `{}`).",
                crate::escape::doc_line(&a.title),
                crate::escape::doc_line(&a.version),
                a.module,
                crate::escape::doc_line(&a.source)
            );
            quote! {
                #[doc = #doc]
                pub fn #name(&self) -> #m::Api<'_> {
                    #m::Api { client: self }
                }
            }
        })
        .collect();
    let example = ir.apis.iter().zip(accessors).find(|(a, _)| !a.operations.is_empty() && !a.servers.is_empty());
    let example_doc: Vec<String> = match example {
        Some((api, accessor)) => {
            let env = &api.servers[0].const_name;
            let mut l = vec![
                ctx.fence.to_string(),
                format!("use {krate}::{{Client, Environment, StaticToken}};"),
                String::new(),
                format!("let client = Client::builder(Environment::{env})"),
                "    .token_provider(StaticToken::new(\"token\"))".to_string(),
                "    .build()?;".to_string(),
                format!("let {accessor} = client.{accessor}();"),
                format!("# let _ = {accessor};"),
                format!("# Ok::<(), {krate}::BuildError>(())"),
                "```".to_string(),
            ];
            l.insert(0, String::new());
            l.insert(0, "Every API of this crate, by the accessor that returns its operations.".to_string());
            l
        }
        None => vec!["Every API of this crate.".to_string()],
    };
    let example_doc = example_doc.iter().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });

    let head = quote! {
        #![forbid(unsafe_code)]
        #![deny(missing_docs)]

        ::d1_runtime::require_generated_api!(1);

        pub use #types as types;
    };
    let client = quote! {
        /// A client of every API in this crate. Cheap to clone (an `Arc`), `Send + Sync`: build
        /// one and share it.
        ///
        #( #[doc = #example_doc] )*
        #[derive(Clone, Debug)]
        pub struct Client {
            core: ::d1_runtime::client::ClientCore,
        }
    };
    // The two `impl`s whose fixed methods are text: the spec's members printed, then put in place.
    let members = |tokens: TokenStream| {
        if tokens.is_empty() {
            Ok(String::new())
        } else {
            members_text(tokens, "lib.rs")
        }
    };
    let client_impl = format!("{CLIENT_IMPL}{}}}\n", members(quote!(#(#accessor_fns)*))?);
    let environment_impl = format!("{ENVIRONMENT_IMPL}{}{ENVIRONMENT_METHODS}}}\n", members(quote!(#(#envs)*))?);
    let api_id = quote! {
        /// Identifies one API, e.g. to give it its own base URL with
        /// [`ClientBuilder::base_url_for`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ApiId {
            #( #[doc = #variant_docs] #variants, )*
        }

        impl ::d1_runtime::client::ApiSet for ApiId {
            const ALL: &'static [ApiId] = &[ #( ApiId::#variants, )* ];

            fn index(self) -> usize {
                match self {
                    #( ApiId::#variants => #indices, )*
                }
            }

            fn module(self) -> &'static str {
                match self {
                    #( ApiId::#variants => #module_names, )*
                }
            }

            fn servers(self) -> &'static [Server] {
                match self {
                    #( ApiId::#variants => #modules::SERVERS, )*
                }
            }
        }
    };
    Ok(vec![
        inner_docs(&lines),
        RootPart::Items(head),
        RootPart::Text(RUNTIME_USE.into()),
        RootPart::Items(quote!(#(#mods)*)),
        RootPart::Text(CLIENT_BUILDER.into()),
        RootPart::Items(client),
        RootPart::Text(GENERATED_CLIENT.into()),
        RootPart::Text(client_impl),
        RootPart::Text(ENVIRONMENT.into()),
        RootPart::Text(environment_impl),
        RootPart::Text(ENVIRONMENT_DISPLAY.into()),
        RootPart::Items(api_id),
    ])
}

// The items of the crate root that no spec changes, as `render_crate_root` prints them; the test
// `fixed_root_items_print_as_prettyplease_prints_them` holds their tokens.

const RUNTIME_USE: &str = "#[rustfmt::skip]
pub use ::d1_runtime::client::{
    auth, error, new_correlation_id, oauth2, retry, AccessToken, BuildError, Error,
    ErrorKind, RequestError, Response, RetryPolicy, Server, StaticToken, TokenError,
    TokenErrorKind, TokenFuture, TokenProvider, CORRELATION_ID_HEADER,
};
";

const CLIENT_BUILDER: &str = "/// Builds a [`Client`]: start with [`Client::builder`].
#[rustfmt::skip]
pub type ClientBuilder = ::d1_runtime::client::ClientBuilder<Client>;
";

const GENERATED_CLIENT: &str = "#[rustfmt::skip]
impl ::d1_runtime::client::GeneratedClient for Client {
    type Api = ApiId;
    fn from_core(core: ::d1_runtime::client::ClientCore) -> Self {
        Client { core }
    }
}
";

const ENVIRONMENT: &str = "/// Which server each API is called on: one of the specs' named servers (each API uses its
/// own server of that name), or one base URL for every API (a proxy, a mock, a test
/// server). [`ClientBuilder::base_url_for`] overrides single APIs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[rustfmt::skip]
pub struct Environment(::d1_runtime::client::Environment);
";

/// `impl Client {` and the methods before the accessors.
const CLIENT_IMPL: &str = "#[rustfmt::skip]
impl Client {
    /// Start building a client that calls each API on its server of `environment`.
    pub fn builder(environment: Environment) -> ClientBuilder {
        ClientBuilder::new(environment.0)
    }
    /// A client with default options and this token provider.
    ///
    /// # Errors
    ///
    /// See [`ClientBuilder::build`].
    pub fn new(
        environment: Environment,
        provider: impl TokenProvider,
    ) -> ::std::result::Result<Client, BuildError> {
        Client::builder(environment).token_provider(provider).build()
    }
    /// The underlying HTTP client (shared connection pool and TLS set-up), for calls the
    /// specs do not describe.
    pub fn http_client(&self) -> &::d1_runtime::client::reqwest::Client {
        self.core.http_client()
    }
    /// The base URL `api` is called on (or why there is none).
    ///
    /// # Errors
    ///
    /// The environment names a server the API's spec does not list.
    pub fn base_url(&self, api: ApiId) -> ::std::result::Result<&str, RequestError> {
        self.core.base_url(api)
    }
";

/// `impl Environment {`, before the constants of the spec's servers.
const ENVIRONMENT_IMPL: &str = "#[rustfmt::skip]
impl Environment {
";

/// The methods of `impl Environment`, after the constants.
const ENVIRONMENT_METHODS: &str =
    "    /// Each API's server with this constant name (see the `SERVERS` of each module).
    pub const fn server(name: &'static str) -> Self {
        Environment(::d1_runtime::client::Environment::server(name))
    }
    /// One base URL for every API; operation paths are appended to it.
    pub fn url(base: impl Into<::std::string::String>) -> Self {
        Environment(::d1_runtime::client::Environment::url(base))
    }
";

const ENVIRONMENT_DISPLAY: &str = "#[rustfmt::skip]
impl ::std::fmt::Display for Environment {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        ::std::fmt::Display::fmt(&self.0, f)
    }
}
";

/// An array parameter: its item type, and whether it is a validated list newtype (taken as
/// the newtype, so its constraints hold before anything is sent).
#[derive(Clone, Copy)]
struct List<'a> {
    item: &'a TypeRef,
    newtype: bool,
}

/// A parameter as the generated code takes it.
struct Input<'a> {
    param: &'a Parameter,
    /// Rust identifier of the argument or builder method.
    name: proc_macro2::Ident,
    /// Scalar or list.
    list: Option<List<'a>>,
    /// How a required argument is passed on to the call: as it is (a reference or a slice), or
    /// by reference when it is a `&str` (unsized behind its reference, so not a `&dyn Display`).
    passed: TokenStream,
}

fn api_module(
    ctx: &Ctx<'_>,
    api: &Api,
    accessor: &str,
    examples: &mut Vec<ErrorExample>,
    what: &str,
) -> Result<String, Error> {
    let root = ctx.root();
    let mut doc = format!(
        "Client of the **{}** (version {}), from `{}`.",
        crate::escape::doc_line(&api.title),
        crate::escape::doc_line(&api.version),
        crate::escape::doc_line(&api.source)
    );
    let types = format!("[`{}::{}`]", ctx.types.trim_start_matches("::"), api.module);
    doc.push_str(&if api.operations.is_empty() {
        format!("\n\nThe spec declares no operations; its types are in {types}.")
    } else {
        format!(
            "\n\nGet the operations with [`Client::{accessor}`]({root}::Client::{accessor}); the types are in {types}.",
            root = ctx.root
        )
    });
    if let Some(d) = &api.doc {
        doc.push_str("\n\n");
        doc.push_str(&end_lists(d));
    }
    let doc_lines: Vec<String> =
        doc.lines().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") }).collect();

    let servers: Vec<TokenStream> = api
        .servers
        .iter()
        .map(|s| {
            let id = ident(&s.const_name);
            let url = &s.url;
            let text = match &s.description {
                Some(d) => format!(" `{url}`: {d}."),
                None => format!(" `{url}`."),
            };
            quote!(#[doc = #text] pub const #id: &str = #url;)
        })
        .collect();
    let server_entries: Vec<TokenStream> = api
        .servers
        .iter()
        .map(|s| {
            let name = &s.const_name;
            let id = ident(&s.const_name);
            let description = s.description.clone().unwrap_or_default();
            quote!(#root::Server { name: #name, url: #id, description: #description },)
        })
        .collect();
    let api_id = ident(&crate::naming::upper_camel_case(&api.module));
    let struct_doc = format!(
        " The operations of the **{}**. Get it with [`Client::{accessor}`]({}::Client::{accessor}).",
        api.title, ctx.root
    );

    let mut methods = Vec::new();
    let mut items = String::new();
    for op in &api.operations {
        let (method, item, example) = operation(ctx, api, accessor, op, what)?;
        examples.extend(example);
        methods.push(method);
        items.push_str(&item);
    }

    let mut text = render_items(
        quote! {
        #( #![doc = #doc_lines] )*

        #(#servers)*

        /// Every server the spec lists.
        pub const SERVERS: &[#root::Server] = &[ #(#server_entries)* ];

        /// This API's identifier.
        pub const ID: #root::ApiId = #root::ApiId::#api_id;

        },
        what,
    )?;
    // A document without operations (types only) has no accessor.
    if !methods.is_empty() {
        text.push_str(&render_items(
            quote! {
                #[doc = #struct_doc]
                #[derive(Clone, Copy, Debug)]
                pub struct Api<'c> {
                    pub(crate) client: &'c #root::Client,
                }
            },
            what,
        )?);
        text.push_str(&impl_block(None, &ident("Api"), methods, what)?);
    }
    text.push_str(&items);
    Ok(text)
}

/// The match pattern of a status.
fn status_pattern(status: Status) -> TokenStream {
    match status {
        Status::Code(c) => {
            let c = Literal::u16_unsuffixed(c);
            quote!(#c)
        }
        Status::Range(r) => {
            let lo = Literal::u16_unsuffixed(r * 100);
            let hi = Literal::u16_unsuffixed(r * 100 + 99);
            quote!(#lo..=#hi)
        }
        Status::Default => quote!(_),
    }
}

/// The match pattern of a status as prettyplease prints it.
fn status_pattern_text(status: Status) -> String {
    match status {
        Status::Code(c) => c.to_string(),
        Status::Range(r) => format!("{}..={}", r * 100, r * 100 + 99),
        Status::Default => "_".to_string(),
    }
}

/// A type as tokens, and as text where [`type_text`] prints it.
struct Ty {
    tokens: TokenStream,
    text: Option<String>,
}

impl Ty {
    fn new(tokens: TokenStream) -> Ty {
        let text = type_text(&tokens);
        Ty { tokens, text }
    }
}

/// How `send` reads the body of a response whose body type is `ty`, as text; `None` where the
/// type has no text.
fn read_text(r: &Response, ty: &Ty) -> Option<Read> {
    if r.body.as_ref().is_some_and(|b| b.ty == TypeRef::Bytes) {
        return Some(Read::Bytes);
    }
    ty.text.clone().map(Read::Json)
}

/// How `send` reads the body of a response whose body type is `ty`, as tokens.
fn read_tokens(r: &Response, ty: &Ty) -> TokenStream {
    if r.body.as_ref().is_some_and(|b| b.ty == TypeRef::Bytes) {
        return quote!(raw.bytes());
    }
    let ty = &ty.tokens;
    quote!(raw.json::<#ty>()?)
}

/// The answer of `send` by status as tokens, for the operations whose answer has no text: the
/// success and the failure responses (each with its body type), and whether an undeclared
/// status needs an arm of its own.
fn answer_tokens(
    (successes, success_tys): (&[&Response], &[Option<Ty>]),
    (failures, failure_tys): (&[&Response], &[Option<Ty>]),
    undeclared: bool,
    success_enum: &proc_macro2::Ident,
    error_enum: &proc_macro2::Ident,
) -> TokenStream {
    let mut arms: Vec<(TokenStream, TokenStream)> = Vec::new();
    for (r, ty) in successes.iter().zip(success_tys) {
        let read = ty.as_ref().map(|ty| read_tokens(r, ty));
        let v = ident(&r.variant);
        let value = match (&read, successes.len() > 1) {
            (Some(read), true) => quote!(#success_enum::#v(#read)),
            (None, true) => quote!(#success_enum::#v),
            (Some(read), false) => read.clone(),
            (None, false) => quote!(()),
        };
        let answer = match read {
            Some(_) => quote!({ let body = #value; ::std::result::Result::Ok(raw.ok(body)) }),
            None => quote!(::std::result::Result::Ok(raw.ok(#value))),
        };
        arms.push((status_pattern(r.status), answer));
    }
    for (r, ty) in failures.iter().zip(failure_tys) {
        let v = ident(&r.variant);
        let answer = match ty {
            Some(ty) => {
                let read = read_tokens(r, ty);
                quote!({ let body = #read; ::std::result::Result::Err(raw.declared(#error_enum::#v(body))) })
            }
            None => quote!(::std::result::Result::Err(raw.declared(#error_enum::#v))),
        };
        arms.push((status_pattern(r.status), answer));
    }
    if undeclared {
        arms.push((quote!(_), quote!(::std::result::Result::Err(raw.undeclared()))));
    }
    match arms.as_slice() {
        [(_, only)] => only.clone(),
        _ => {
            let arms = arms.iter().map(|(pat, answer)| quote!(#pat => #answer,));
            quote!(match raw.status() { #(#arms)* })
        }
    }
}

/// How `send` reads a body, as text: as bytes, or as JSON of a type (printed by [`type_text`]).
enum Read {
    Bytes,
    Json(String),
}

impl Read {
    /// The read on one line.
    fn expr(&self) -> String {
        match self {
            Read::Bytes => "raw.bytes()".to_string(),
            Read::Json(ty) => format!("raw.json::<{ty}>()?"),
        }
    }

    /// `let body = <read>;` in a `match` arm's block as prettyplease prints it (see
    /// [`Read::lines`]).
    fn bind(&self) -> Option<String> {
        self.lines(16, "let body = ", ";", true)
    }

    /// `let body = <path>(<read>);` in a `match` arm's block as prettyplease prints it: on one
    /// line, else the read alone on its lines as the call's argument (see [`Read::lines`]).
    fn bind_in(&self, path: &str) -> Option<String> {
        let line = format!("                let body = {path}({});\n", self.expr());
        if line.len() - 1 <= MARGIN {
            return Some(line);
        }
        Some(format!("                let body = {path}(\n{}                );\n", self.lines(20, "", ",", false)?))
    }

    /// The read after `lead` on a line indented `indent`, followed by `tail` (counted in the
    /// width or not), as prettyplease prints it: on that line, else `raw` there and the method
    /// call on the next line, else its type argument on lines of its own too (see
    /// [`argument_type`]). `None` where a type does not print.
    fn lines(&self, indent: usize, lead: &str, tail: &str, counted: bool) -> Option<String> {
        let pad = " ".repeat(indent);
        let fits = |line: &str| line.len() - if counted { 0 } else { tail.len() } <= MARGIN;
        let line = format!("{pad}{lead}{}{tail}", self.expr());
        if fits(&line) {
            return Some(line + "\n");
        }
        let Read::Json(ty) = self else { return None };
        let call = format!("{pad}    .json::<{ty}>()?{tail}");
        if fits(&call) {
            return Some(format!("{pad}{lead}raw\n{call}\n"));
        }
        let ty = argument_type(indent + 8, ty)?;
        Some(format!("{pad}{lead}raw\n{pad}    .json::<\n{ty}{pad}    >()?{tail}\n"))
    }
}

/// A type alone on its lines as the last argument of a broken generic argument list (indented
/// `indent`), as prettyplease prints it (see [`type_lines`]), its comma not counted.
fn argument_type(indent: usize, ty: &str) -> Option<String> {
    type_lines(indent, "", ty, ",", false)
}

/// Follow aliases to the type they name.
fn resolve<'a>(ir: &'a Ir, r: &'a TypeRef) -> &'a TypeRef {
    let mut r = r;
    while let TypeRef::Named(id) = r {
        match &ir.ty(*id).kind {
            TypeKind::Alias(target) => r = target,
            _ => return r,
        }
    }
    r
}

/// How a parameter the styles do not write goes into a URL, header or cookie: a scalar rendered
/// with `Display` (`None`), or a list of such scalars (lowering sends every other shape through
/// the styles); an error when it holds card data.
fn param_shape<'a>(ir: &'a Ir, p: &'a Parameter) -> Result<Option<List<'a>>, String> {
    match resolve(ir, &p.ty) {
        TypeRef::Array(item) => not_card_data(ir, item).map(|()| Some(List { item, newtype: false })),
        TypeRef::Named(id) => match &named(ir, *id).kind {
            TypeKind::Newtype(n) if !n.sensitive => match &n.inner {
                crate::ir::NewtypeInner::Array(item) => {
                    not_card_data(ir, item).map(|()| Some(List { item, newtype: true }))
                }
                _ => Ok(None),
            },
            _ => not_card_data(ir, &p.ty).map(|()| None),
        },
        other => not_card_data(ir, other).map(|()| None),
    }
}

/// A type's definition, through re-exports.
fn named(ir: &Ir, id: crate::ir::TypeId) -> &crate::ir::TypeDef {
    let def = ir.ty(id);
    match &def.kind {
        TypeKind::ReExport(target) => ir.ty(*target),
        _ => def,
    }
}

/// Card data (a sensitive newtype) must not be sent in a URL or header.
fn not_card_data(ir: &Ir, r: &TypeRef) -> Result<(), String> {
    match resolve(ir, r) {
        TypeRef::Named(id) => match &named(ir, *id) {
            def @ crate::ir::TypeDef { kind: TypeKind::Newtype(n), .. } if n.sensitive => {
                Err(format!("`{}` holds card data and must not be sent in a URL or header", def.name))
            }
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn operation(
    ctx: &Ctx<'_>,
    api: &Api,
    accessor: &str,
    op: &Operation,
    what: &str,
) -> Result<(Member, String, Option<ErrorExample>), Error> {
    let ir = ctx.ir;
    let builder = ident(&crate::naming::operation_type(&op.type_stem, "Builder"));
    let error_enum = ident(&crate::naming::operation_type(&op.type_stem, "Error"));
    let success_enum = ident(&crate::naming::operation_type(&op.type_stem, "Success"));
    let fn_name = ident(&op.name);
    let op_label = format!("{}.{}", api.module, op.name);
    let auth = !op.security.is_empty();
    let fail = |msg: String| Error::new(&op.location, msg);

    // Inputs.
    let mut inputs = Vec::new();
    for p in &op.params {
        let at = |m: String| fail(format!("parameter `{}`: {m}", p.name));
        let list = match p.value_style {
            None => param_shape(ir, p).map_err(at)?,
            Some(_) => {
                not_card_data(ir, &p.ty).map_err(at)?;
                None
            }
        };
        let name = ident(&p.ident);
        let passed =
            if list.is_none() && *resolve(ir, &p.ty) == TypeRef::String { quote!(&#name) } else { quote!(#name) };
        inputs.push(Input { param: p, name, list, passed });
    }
    let is_correlation =
        |p: &Parameter| p.location == ParamLocation::Header && p.name.eq_ignore_ascii_case("x-correlation-id");

    // Required arguments, in declaration order: path first (template order), then the rest.
    let mut args = Vec::new();
    let mut arg_docs = Vec::new();
    let mut example_args = Vec::new();
    let mut example_params = Vec::new();
    let mut render_required = Vec::new();
    let path_inputs: Vec<&Input> = op
        .segments
        .iter()
        .filter_map(|s| match s {
            PathSegment::Param(name) => {
                inputs.iter().find(|i| i.param.location == ParamLocation::Path && i.param.name == *name)
            }
            PathSegment::Literal(_) => None,
        })
        .collect();
    let required_rest: Vec<&Input> =
        inputs.iter().filter(|i| i.param.required && i.param.location != ParamLocation::Path).collect();
    for input in path_inputs.iter().chain(required_rest.iter()) {
        let name = &input.name;
        let (arg_ty, arg_text) = match input.list {
            Some(List { newtype: false, item }) => {
                let item = ctx.ty(item);
                let text = type_text(&item).map(|item| format!("&[{item}]"));
                (quote!(&[#item]), text)
            }
            None if *resolve(ir, &input.param.ty) == TypeRef::String => (quote!(&str), Some("&str".into())),
            _ => {
                let ty = ctx.ty(&input.param.ty);
                let text = type_text(&ty).map(|ty| format!("&{ty}"));
                (quote!(&#ty), text)
            }
        };
        let compact = arg_text.as_deref().map_or_else(|| tokens_text(&arg_ty), compact_text);
        example_params.push(format!("{name}: {compact}"));
        args.push((quote!(#name: #arg_ty), arg_text.map(|ty| format!("{name}: {ty}"))));
        example_args.push(name.to_string());
        arg_docs.push(format!(
            "* `{}` — {} `{}`{}",
            name,
            location_text(input.param.location),
            input.param.name,
            first_line(input.param.doc.as_deref())
        ));
        if input.param.location != ParamLocation::Path {
            render_required.push(render_input(input, input.passed.clone(), is_correlation(input.param)));
        }
    }
    for p in &op.params {
        if p.location == ParamLocation::Path
            && !op.segments.iter().any(|s| matches!(s, PathSegment::Param(n) if *n == p.name))
        {
            return Err(fail(format!("path parameter `{}` is not in the path template", p.name)));
        }
    }
    let path_code: Vec<TokenStream> = op
        .segments
        .iter()
        .map(|s| match s {
            PathSegment::Literal(text) => Ok(quote!(call.literal(#text);)),
            PathSegment::Param(name) => {
                let input = path_inputs
                    .iter()
                    .find(|i| i.param.name == *name)
                    .ok_or_else(|| fail(format!("path template names `{name}`, which is not a path parameter")))?;
                Ok(render_input(input, input.passed.clone(), false))
            }
        })
        .collect::<Result<_, Error>>()?;

    // Body.
    let body = op.body.as_ref();
    let body_ty = body.map(|b| Ty::new(ctx.ty(&b.ty)));
    // How `send` writes the body into the call.
    let write = match body {
        None => None,
        Some(b) => Some(match (&b.media_type, &b.ty) {
            (_, TypeRef::Bytes) => Write::Bytes(match &b.media_type {
                MediaType::Json => "application/json".to_string(),
                MediaType::FormUrlEncoded => "application/x-www-form-urlencoded".to_string(),
                MediaType::Other(ct) => ct.clone(),
            }),
            (MediaType::Json, _) => Write::Json,
            (MediaType::FormUrlEncoded, _) => Write::Form,
            (MediaType::Other(ct), _) => {
                return Err(fail(format!("a `{ct}` body of a modelled type is not supported")));
            }
        }),
    };
    // How `send` adds the body to the call, as text where printed as text.
    let body_send = match (body, &write) {
        (Some(b), Some(write)) => body_send_text(&write.text(), b.required),
        _ => Some(String::new()),
    };
    if let (Some(b), Some(ty)) = (body, &body_ty)
        && b.required
    {
        let tokens = &ty.tokens;
        args.push((quote!(body: #tokens), ty.text.as_ref().map(|ty| format!("body: {ty}"))));
        example_args.push("body".into());
        example_params.push(format!("body: {}", ty.text.as_deref().map_or_else(|| tokens_text(tokens), compact_text)));
        arg_docs.push(format!(
            "* `body` — the request body ({}){}",
            media_text(&b.media_type),
            first_line(b.doc.as_deref())
        ));
    }

    // Optional inputs: builder methods.
    let mut setters = Vec::new();
    let mut optional_docs = Vec::new();
    for input in inputs.iter().filter(|i| !i.param.required && i.param.location != ParamLocation::Path) {
        let name = &input.name;
        let p = input.param;
        let mut doc = p.doc.clone().unwrap_or_default();
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(&format!("Optional {} `{}`.", location_text(p.location), p.name));
        if let Some(default) = &p.default {
            doc.push_str(&format!(" The server's default: `{default}`."));
        }
        if is_correlation(p) {
            doc.push_str(" Without it, a fresh random id is sent.");
        }
        // The parameter type, and its text where the setter can be printed as text.
        let (arg_ty, arg_text, value) = match input.list {
            Some(List { newtype: false, item }) => {
                let item = ctx.ty(item);
                let text = type_text(&item).map(|item| format!("impl ::std::iter::IntoIterator<Item = {item}>"));
                (quote!(impl ::std::iter::IntoIterator<Item = #item>), text, quote!(value))
            }
            Some(List { newtype: true, .. }) => {
                let ty = ctx.ty(&p.ty);
                let text = type_text(&ty);
                (ty, text, quote!(value))
            }
            None if *resolve(ir, &p.ty) == TypeRef::String => (quote!(&str), Some("&str".into()), quote!(&value)),
            None => {
                let ty = ctx.ty(&p.ty);
                let text = type_text(&ty);
                (ty, text, quote!(&value))
            }
        };
        let render = render_input(input, value, is_correlation(p));
        setters.push(setter(&doc, name, &arg_ty, arg_text.as_deref(), &render));
        optional_docs.push(format!("[`.{name}(…)`]({builder}::{name})"));
    }
    if let (Some(b), Some(ty)) = (body, &body_ty)
        && !b.required
    {
        let mut doc = b.doc.clone().unwrap_or_default();
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(&format!("The request body ({}). The spec does not mark it required.", media_text(&b.media_type)));
        if !b.alternatives.is_empty() {
            doc.push_str(&format!(
                " (The spec also accepts {}.)",
                b.alternatives.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        setters.push(body_setter(&doc, ty, what)?);
        optional_docs.push(format!("[`.body(…)`]({builder}::body)"));
    }

    // Responses.
    let mut successes: Vec<&Response> = op.responses.iter().filter(|r| r.status.is_success()).collect();
    let mut failures: Vec<&Response> = op.responses.iter().filter(|r| !r.status.is_success()).collect();
    // Exact codes before ranges before default, so match arms never shadow each other.
    let order = |r: &&Response| match r.status {
        Status::Code(c) => (0, c),
        Status::Range(r) => (1, r),
        Status::Default => (2, 0),
    };
    successes.sort_by_key(order);
    failures.sort_by_key(order);

    // The printed items of the operation: its answer enums, builder struct, `impl` and `IntoFuture`.
    // Each response's body type is made and printed once.
    let typed = |r: &&Response| r.body.as_ref().map(|b| Ty::new(ctx.ty(&b.ty)));
    let success_tys: Vec<Option<Ty>> = successes.iter().map(typed).collect();
    let failure_tys: Vec<Option<Ty>> = failures.iter().map(typed).collect();
    let mut text = String::new();
    let ok_ty = if successes.len() > 1 {
        let variants: Vec<Variant> =
            successes.iter().zip(&success_tys).map(|(r, ty)| Variant::of(r, ty.as_ref())).collect();
        let doc = format!("The success answers of [`Api::{}`], one variant per declared success status.", op.name);
        text.push_str(&answer_enum(&doc, &success_enum, &variants, what)?);
        Ty { tokens: quote!(#success_enum), text: Some(success_enum.to_string()) }
    } else {
        match success_tys.first() {
            Some(Some(ty)) => Ty { tokens: ty.tokens.clone(), text: ty.text.clone() },
            _ => Ty { tokens: quote!(()), text: Some("()".to_string()) },
        }
    };
    let success_doc = match (successes.len() > 1, success_tys.first()) {
        (true, _) => format!("[`{success_enum}`]"),
        (false, Some(Some(ty))) => {
            format!("`{}`", ty.text.as_deref().map_or_else(|| tokens_text(&ty.tokens), compact_text))
        }
        (false, _) => "`()` (no body)".to_string(),
    };

    // Each arm of `match raw.status()` as text where `arm_text` prints it.
    let mut arm_texts: Vec<Option<String>> = Vec::new();
    let success_name = success_enum.to_string();
    for (r, ty) in successes.iter().zip(&success_tys) {
        let pat = status_pattern_text(r.status);
        let read = ty.as_ref().map(|ty| read_text(r, ty));
        let v = &r.variant;
        // The answered value: the lines binding it where a body is read, else the value.
        let value = match (&read, successes.len() > 1) {
            (Some(read), true) => read.as_ref().and_then(|t| t.bind_in(&format!("{success_name}::{v}"))),
            (None, true) => Some(format!("{success_name}::{v}")),
            (Some(read), false) => read.as_ref().and_then(Read::bind),
            (None, false) => Some("()".to_string()),
        };
        // A body read borrows `raw`, so it is bound before `raw.ok` takes `raw`.
        arm_texts.push(match read {
            Some(_) => {
                value.and_then(|t| arm_text(&pat, Some(&t), &Answer::Line("::std::result::Result::Ok(raw.ok(body))")))
            }
            None => value.and_then(|t| arm_text(&pat, None, &Answer::Ok(&t))),
        });
    }
    let mut error_variants = Vec::new();
    let mut failure_docs = Vec::new();
    for (r, ty) in failures.iter().zip(&failure_tys) {
        let v = &r.variant;
        error_variants.push(Variant::of(r, ty.as_ref()));
        let pat = status_pattern_text(r.status);
        arm_texts.push(match ty {
            Some(ty) => {
                let answer = format!("{error_enum}::{v}(body)");
                read_text(r, ty).and_then(|t| arm_text(&pat, Some(&t.bind()?), &Answer::Declared(&answer)))
            }
            None => arm_text(&pat, None, &Answer::Declared(&format!("{error_enum}::{v}"))),
        });
        failure_docs.push(format!("`{}` → [`{error_enum}::{v}`]", r.status));
    }
    let undeclared = !op.responses.iter().any(|r| r.status == Status::Default);
    if undeclared {
        arm_texts.push(arm_text("_", None, &Answer::Line("::std::result::Result::Err(raw.undeclared())")));
    }
    // Every status arm is followed by a catch-all (`default` or undeclared), so a lone arm is
    // the catch-all: no `match` of one arm (and no text: the lone answer is then a tail).
    let answer_text = if arm_texts.len() > 1 {
        let arms: Option<String> = arm_texts.iter().map(Option::as_deref).collect();
        arms.map(|arms| format!("        match raw.status() {{\n{arms}        }}\n"))
    } else {
        None
    };
    let answer_tokens =
        || answer_tokens((&successes, &success_tys), (&failures, &failure_tys), undeclared, &success_enum, &error_enum);
    let error_doc = if failures.is_empty() {
        format!("The declared error answers of [`Api::{}`]: the spec declares none, so every error status is [`ErrorKind::UndeclaredStatus`]({}::ErrorKind::UndeclaredStatus).", op.name, ctx.root)
    } else {
        format!(
            "The declared error answers of [`Api::{}`], one variant per declared error status, with its body.",
            op.name
        )
    };
    text.push_str(&answer_enum(&error_doc, &error_enum, &error_variants, what)?);

    // Method docs.
    let mut doc = String::new();
    if let Some(summary) = &op.summary {
        doc.push_str(summary.trim());
        doc.push_str("\n\n");
    }
    if let Some(d) = &op.doc
        && op.summary.as_deref().map(str::trim) != Some(d.trim())
    {
        doc.push_str(&end_lists(d.trim_end()));
        doc.push_str("\n\n");
    }
    if op.deprecated {
        doc.push_str("**Deprecated** in the spec.\n\n");
    }
    doc.push_str(&format!(
        "`{} {}`{}\n\n",
        op.method.as_str(),
        op.path,
        if auth { " (bearer token)" } else { " (no token)" }
    ));
    if !arg_docs.is_empty() {
        doc.push_str("Required:\n\n");
        for a in &arg_docs {
            doc.push_str(a);
            doc.push('\n');
        }
        doc.push('\n');
    }
    if !optional_docs.is_empty() {
        doc.push_str(&format!("Optional: {}.\n\n", optional_docs.join(", ")));
    }
    let success_codes: Vec<String> = successes.iter().map(|r| format!("`{}`", r.status)).collect();
    doc.push_str(&format!(
        "Answers: {} → [`Response`]({root}::Response)<{}>",
        if success_codes.is_empty() { "(no success status declared)".to_string() } else { success_codes.join(", ") },
        success_doc,
        root = ctx.root
    ));
    if !failure_docs.is_empty() {
        doc.push_str(&format!("; {}", failure_docs.join(", ")));
    }
    doc.push_str(&format!(" (errors as [`Error`]({root}::Error)<[`{error_enum}`]>).\n\n", root = ctx.root));
    let krate = ctx.krate;
    let optional_example =
        if !optional_docs.is_empty() && inputs.iter().any(|i| is_correlation(i.param) && !i.param.required) {
            ".correlation_id(\"my-correlation-id-1\".parse()?)"
        } else {
            ""
        };
    // Only use the correlation setter in the example when its type parses from a string.
    let optional_example = if optional_example.is_empty() {
        String::new()
    } else {
        let input = inputs.iter().find(|i| is_correlation(i.param)).map(|i| resolve(ir, &i.param.ty));
        match input {
            Some(TypeRef::String) => "\n    .correlation_id(\"my-correlation-id-1\")".to_string(),
            Some(TypeRef::Named(_)) => format!("\n    {optional_example}"),
            _ => String::new(),
        }
    };
    let mut example = [
        "# Example".to_string(),
        String::new(),
        ctx.fence.to_string(),
        format!(
            "# async fn example(client: &{krate}::Client{}) -> Result<(), Box<dyn std::error::Error>> {{",
            example_params.iter().map(|p| format!(", {p}")).collect::<String>()
        ),
        format!(
            "let response = client\n    .{accessor}()\n    .{}({}){}\n    .await?;",
            op.name,
            example_args.join(", "),
            optional_example
        ),
        "println!(\"{} {}\", response.status(), response.correlation_id());".to_string(),
        "# Ok(()) }".to_string(),
        "```".to_string(),
    ];
    let error_example =
        failures.iter().find(|r| r.status == Status::Code(404)).or(failures.first()).map(|r| ErrorExample {
            params: example_params
                .iter()
                .map(|p| p.replace(&format!("{}::", ctx.types), &format!("{krate}::types::")))
                .collect(),
            call: format!("client.{accessor}().{}({})", op.name, example_args.join(", ")),
            variant: format!("{}::{error_enum}::{}", api.module, r.variant),
            status: r.status,
            has_body: r.body.is_some(),
        });
    let types_prefix = format!("{}::", ctx.types);
    example.iter_mut().for_each(|l| *l = l.replace(&types_prefix, &format!("{krate}::types::")));
    doc.push_str(&example.join("\n"));
    let has_code = op.responses.iter().any(|r| matches!(r.status, Status::Code(_)));
    let has_range = op.responses.iter().any(|r| matches!(r.status, Status::Range(_)));
    let method_fn = MethodFn {
        doc,
        deprecated: op.deprecated,
        name: &fn_name,
        args,
        builder: &builder,
        label: &op_label,
        method: op.method,
        auth,
        statements: path_code.into_iter().chain(render_required).collect(),
        body: body.map(|b| b.required),
    }
    .member();

    let builder_doc =
        format!("A prepared [`Api::{}`] call: set optional inputs, then `.await` it (or `.send().await`).", op.name);
    let body_field = match (body, &body_ty) {
        (Some(b), Some(ty)) => {
            let ty = ty.text.as_deref().ok_or_else(|| unprintable(what))?;
            Some(if b.required { ty.to_string() } else { format!("::std::option::Option<{ty}>") })
        }
        _ => None,
    };
    text.push_str(&builder_struct(&builder_doc, &builder, body_field.as_deref(), what)?);
    let send = SendFn {
        operation: &op.name,
        overlap: has_code && has_range,
        root: ctx.root,
        ok: &ok_ty,
        error: &error_enum,
        body: body_send,
        answer: answer_text,
    };
    setters.push(Member::Text(ctx.builder_members.clone()));
    setters.push(send.member(|| {
        let body = match (body, &write) {
            (Some(b), Some(write)) => body_send_tokens(write.tokens(), b.required),
            _ => TokenStream::new(),
        };
        (body, answer_tokens())
    }));
    text.push_str(&impl_block(None, &builder, setters, what)?);
    let into_future = vec![send.output(), Member::Text(ctx.into_future_members.clone())];
    text.push_str(&impl_block(Some(INTO_FUTURE), &builder, into_future, what)?);

    Ok((method_fn, text, error_example))
}

/// How `send` writes a request body into the call.
enum Write {
    /// As bytes of a content type.
    Bytes(String),
    Json,
    Form,
}

impl Write {
    fn text(&self) -> String {
        match self {
            Write::Bytes(ct) => format!("call.bytes(body, {});", Literal::string(ct)),
            Write::Json => "call.json(&body);".to_string(),
            Write::Form => "call.form(&body);".to_string(),
        }
    }

    fn tokens(&self) -> TokenStream {
        match self {
            Write::Bytes(ct) => quote!(call.bytes(body, #ct);),
            Write::Json => quote!(call.json(&body);),
            Write::Form => quote!(call.form(&body);),
        }
    }
}

/// How `send` adds the body to the call, given the statement that writes it
/// (`call.json(&body);`) as text: indented two levels, where the statement fits its line (a long
/// content type would break it).
fn body_send_text(write: &str, required: bool) -> Option<String> {
    let text = if required {
        format!("        let body = self.body;\n        {write}\n")
    } else {
        format!("        if let ::std::option::Option::Some(body) = self.body {{\n            {write}\n        }}\n")
    };
    Some(text).filter(|t| fits(t))
}

/// [`body_send_text`] as tokens, given the statement as tokens.
fn body_send_tokens(write: TokenStream, required: bool) -> TokenStream {
    if required {
        quote!(let body = self.body; #write)
    } else {
        quote!(if let ::std::option::Option::Some(body) = self.body { #write })
    }
}

/// A builder's `send`: it adds the body to the call, executes it and types the answer by status.
struct SendFn<'a> {
    /// The operation's name on `Api`, for the doc.
    operation: &'a str,
    /// Whether a status code and a range of statuses overlap in the `match`.
    overlap: bool,
    /// The path of the crate's root.
    root: &'a str,
    /// The success type and the error enum.
    ok: &'a Ty,
    error: &'a proc_macro2::Ident,
    /// What adds the body to the call as text, where printable (indented two levels).
    body: Option<String>,
    /// The answer by status as text, where printable (indented two levels).
    answer: Option<String>,
}

impl SendFn<'_> {
    /// `send`, printed as text where [`SendFn::text`] can, else as tokens from the body and the
    /// answer as tokens (made only then).
    fn member(&self, parts: impl FnOnce() -> (TokenStream, TokenStream)) -> Member {
        self.text().map_or_else(
            || {
                let (body, answer) = parts();
                Member::Tokens(self.tokens(&body, &answer))
            },
            Member::Text,
        )
    }

    /// The `Output` of the builder's `IntoFuture`: what `send` returns.
    fn output(&self) -> Member {
        match self.result_text("    type Output = ", "    type Output = ", ";") {
            Some(text) => Member::Text(text),
            None => {
                let ty = self.result_ty();
                Member::Tokens(quote!(type Output = #ty;))
            }
        }
    }

    fn result_ty(&self) -> TokenStream {
        let (root, ok, error) = (path_tokens(self.root), &self.ok.tokens, self.error);
        quote!(::std::result::Result<#root::Response<#ok>, #root::Error<#error>>)
    }

    fn doc(&self) -> String {
        format!(" Send the request and type the answer by status (see [`Api::{}`]).", self.operation)
    }

    fn tokens(&self, body: &TokenStream, answer: &TokenStream) -> TokenStream {
        let doc = self.doc();
        let overlap = self.overlap.then(|| quote!(#[allow(clippy::match_overlapping_arm)]));
        let result_ty = self.result_ty();
        quote! {
            #[doc = #doc]
            #overlap
            pub async fn send(self) -> #result_ty {
                #[allow(unused_mut)]
                let mut call = self.call;
                #body
                let raw = call.execute().await?;
                #answer
            }
        }
    }

    /// [`SendFn::tokens`] as prettyplease prints them inside the builder's `impl`; `None` where
    /// the body, the answer or the result type has no text.
    fn text(&self) -> Option<String> {
        let (body, answer) = (self.body.as_deref()?, self.answer.as_deref()?);
        let signature = self.result_text(
            "    pub async fn send(self) -> ",
            "    pub async fn send(\n        self,\n    ) -> ",
            " {",
        )?;
        let overlap = if self.overlap { "    #[allow(clippy::match_overlapping_arm)]\n" } else { "" };
        Some(format!(
            "    ///{}\n{overlap}{signature}        #[allow(unused_mut)]\n        let mut call = self.call;\n\
             {body}        let raw = call.execute().await?;\n{answer}    }}\n",
            self.doc()
        ))
    }

    fn result_text(&self, head: &str, head_broken: &str, tail: &str) -> Option<String> {
        result_text(head, head_broken, self.root, self.ok.text.as_deref()?, &self.error.to_string(), tail)
    }
}

/// `::std::result::Result<{root}::Response<{ok}>, {root}::Error<{error}>>` as prettyplease
/// prints it between `head` and `tail` (`;` or ` {`) in an `impl`: on one line after `head` where
/// it fits, else after `head_broken` (its last line indented one level: the parameters one per
/// line) laid out as [`type_lines`] lays out a type, each type argument by [`argument_type`];
/// `None` where a line would break otherwise.
fn result_text(head: &str, head_broken: &str, root: &str, ok: &str, error: &str, tail: &str) -> Option<String> {
    let ty = format!("::std::result::Result<{root}::Response<{ok}>, {root}::Error<{error}>>");
    let one_line = format!("{head}{ty}{tail}\n");
    if fits(&one_line) {
        return Some(one_line);
    }
    let (lead, prefix) = head_broken.rsplit_once('\n').unwrap_or(("", head_broken));
    let prefix = prefix.strip_prefix("    ")?;
    let lead = if lead.is_empty() { String::new() } else { format!("{lead}\n") };
    type_lines(4, prefix, &ty, tail, true).map(|lines| format!("{lead}{lines}"))
}

/// The answer of a `match raw.status()` arm of `send`, as text.
enum Answer<'a> {
    /// An answer short enough never to break.
    Line(&'a str),
    /// `::std::result::Result::Ok(raw.ok(<value>))`.
    Ok(&'a str),
    /// `::std::result::Result::Err(raw.declared(<value>))`.
    Declared(&'a str),
}

impl Answer<'_> {
    /// The `Result` variant, the method of `raw` and its argument, for the answers that may break.
    fn call(&self) -> Option<(&str, &str, &str)> {
        match self {
            Answer::Line(_) => None,
            Answer::Ok(value) => Some(("Ok", "ok", value)),
            Answer::Declared(value) => Some(("Err", "declared", value)),
        }
    }

    fn line(&self) -> String {
        match self {
            Answer::Line(line) => line.to_string(),
            Answer::Ok(value) => format!("::std::result::Result::Ok(raw.ok({value}))"),
            Answer::Declared(value) => format!("::std::result::Result::Err(raw.declared({value}))"),
        }
    }

    /// The answer in the arm's block (indented four levels) as prettyplease prints it: on one
    /// line, else the `Result` variant's argument on a line of its own, else the method call
    /// and its argument too (see [`value_lines`]); `None` where a line would break otherwise.
    fn block_lines(&self) -> Option<String> {
        let one_line = format!("                {}\n", self.line());
        if fits(&one_line) {
            return Some(one_line);
        }
        let (variant, method, value) = self.call()?;
        let open = format!("                ::std::result::Result::{variant}(\n");
        // As after an arm, the comma after the argument is not counted in its width.
        let argument = format!("                    raw.{method}({value})");
        if fits(&argument) {
            return Some(format!("{open}{argument},\n                )\n"));
        }
        let value = value_lines(28, value)?;
        Some(format!(
            "{open}                    raw\n                        .{method}(\n{value}                        ),\n                )\n"
        ))
    }
}

/// An answered value (`Enum::Variant` or `Enum::Variant(body)`) alone on its line, indented
/// `indent` (at most 29), as the last argument of a broken call: whole where it fits (its comma
/// not counted), else the call's argument on a line of its own; a path stays whole past the
/// margin (prettyplease cannot break it). `None` for other text.
fn value_lines(indent: usize, value: &str) -> Option<String> {
    let pad = " ".repeat(indent);
    let line = format!("{pad}{value},\n");
    if line.len() - ",\n".len() <= MARGIN {
        return Some(line);
    }
    match value.strip_suffix("(body)") {
        Some(path) if !path.contains('(') => Some(format!("{pad}{path}(\n{pad}    body,\n{pad}),\n")),
        Some(_) => None,
        None => (!value.contains('(')).then_some(line),
    }
}

/// A `match raw.status()` arm of `send` as prettyplease prints it: `pat => answer,` on one line,
/// else a block, which also binds the body (`bind`, laid out by [`Read::bind`]) where it is read;
/// `None` where a line would break further.
fn arm_text(pat: &str, bind: Option<&str>, answer: &Answer<'_>) -> Option<String> {
    // The comma after an arm is not counted in its width (prettyplease drops it where the arm breaks).
    if bind.is_none() {
        let line = format!("            {pat} => {}", answer.line());
        if fits(&line) {
            return Some(line + ",\n");
        }
    }
    let head = format!("            {pat} => {{\n");
    let answer = answer.block_lines()?;
    fits(&head).then(|| format!("{head}{}{answer}            }}\n", bind.unwrap_or_default()))
}

/// An operation's method on `Api`: it starts the call with the required inputs and returns the
/// builder.
struct MethodFn<'a> {
    doc: String,
    deprecated: bool,
    name: &'a proc_macro2::Ident,
    /// `name: Type` of each argument after `&self`, and its text if [`type_text`] prints the type.
    args: Vec<(TokenStream, Option<String>)>,
    builder: &'a proc_macro2::Ident,
    /// `module.operation`, for the call's span and errors.
    label: &'a str,
    method: Method,
    auth: bool,
    /// What adds the path and the required inputs to the call.
    statements: Vec<TokenStream>,
    /// Whether the builder has a body member, and if so whether it is required (an argument).
    body: Option<bool>,
}

impl MethodFn<'_> {
    /// The method printed as text where [`MethodFn::text`] can, as tokens otherwise.
    fn member(&self) -> Member {
        match self.text() {
            Some(text) => Member::Text(text),
            None => Member::Tokens(self.tokens()),
        }
    }

    fn tokens(&self) -> TokenStream {
        let (name, builder, label, auth) = (self.name, self.builder, self.label, self.auth);
        let doc = doc_attrs(Some(&self.doc));
        let deprecated = self.deprecated.then(|| quote!(#[deprecated = "deprecated in the spec"]));
        let too_many = (self.args.len() > 6).then(|| quote!(#[allow(clippy::too_many_arguments)]));
        let args = self.args.iter().map(|(tokens, _)| tokens);
        let method = ident(self.method.as_str());
        let statements = &self.statements;
        let body = match self.body {
            Some(true) => quote!(body,),
            Some(false) => quote!(body: ::std::option::Option::None,),
            None => TokenStream::new(),
        };
        quote! {
            #doc
            #deprecated
            #too_many
            pub fn #name(&self, #(#args),*) -> #builder<'c> {
                let mut call = ::d1_runtime::client::Call::new(&self.client.core, ID, #label, ::d1_runtime::client::Method::#method, #auth);
                #(#statements)*
                #builder { call, #body }
            }
        }
    }

    /// [`MethodFn::tokens`] as prettyplease prints them inside `impl Api` (one per operation):
    /// the signature on one line when it fits, else one parameter per line (see
    /// [`type_lines`]) and the builder's generics broken where they do not fit after them;
    /// the call's constructor always broken (it never fits); the statements by
    /// [`statement_lines`]; the builder's literal on one line only where it is at most 34 columns
    /// wide (prettyplease's limit for a struct literal). `None` where a statement or a name has
    /// no such text.
    fn text(&self) -> Option<String> {
        let (name, builder) = (self.name.to_string(), self.builder.to_string());
        let label = Literal::string(self.label).to_string();
        let mut params = vec!["&self".to_string()];
        for (_, text) in &self.args {
            params.push(text.clone()?);
        }
        let statements = self.statements.iter().map(|s| statement_lines(8, s)).collect::<Option<String>>()?;
        if !(name.is_ascii() && builder.is_ascii() && label.is_ascii()) {
            return None;
        }
        let one_line = format!("    pub fn {name}({}) -> {builder}<'c> {{\n", params.join(", "));
        let signature = if fits(&one_line) {
            one_line
        } else {
            let mut lines = format!("    pub fn {name}(\n");
            for (i, param) in params.iter().enumerate() {
                let last = i + 1 == params.len();
                lines.push_str(&match param.split_once(": ") {
                    Some((pat, ty)) => type_lines(8, &format!("{pat}: "), ty, ",", !last)?,
                    None => format!("        {param},\n"),
                });
            }
            let returns = format!("    ) -> {builder}<'c> {{\n");
            if returns.len() - 1 <= MARGIN {
                lines + &returns
            } else {
                lines + &format!("    ) -> {builder}<\n        'c,\n    > {{\n")
            }
        };
        let mut out = String::new();
        super::docs::push_doc(&mut out, "    ", Some(&self.doc));
        if self.deprecated {
            out.push_str("    #[deprecated = \"deprecated in the spec\"]\n");
        }
        if self.args.len() > 6 {
            out.push_str("    #[allow(clippy::too_many_arguments)]\n");
        }
        out.push_str(&signature);
        out.push_str("        let mut call = ::d1_runtime::client::Call::new(\n            &self.client.core,\n            ID,\n");
        out.push_str(&format!(
            "            {label},\n            ::d1_runtime::client::Method::{},\n            {},\n        );\n",
            self.method.as_str(),
            self.auth
        ));
        out.push_str(&statements);
        let fields: &[&str] = match self.body {
            Some(true) => &["call", "body"],
            Some(false) => &["call", "body: ::std::option::Option::None"],
            None => &["call"],
        };
        // The width prettyplease measures ends before the closing brace.
        let flat = format!("{builder} {{ {} }}", fields.join(", "));
        if flat.len() - 1 <= 34 {
            out.push_str(&format!("        {flat}\n"));
        } else {
            out.push_str(&format!("        {builder} {{\n"));
            for field in fields {
                out.push_str(&format!("            {field},\n"));
            }
            out.push_str("        }\n");
        }
        out.push_str("    }\n");
        Some(out)
    }
}

/// The members of every builder's `IntoFuture` impl after its `Output`, printed once per crate.
fn into_future_members(what: &str) -> Result<String, Error> {
    members_text(
        quote! {
            type IntoFuture = ::std::pin::Pin<::std::boxed::Box<dyn ::std::future::Future<Output = Self::Output> + ::std::marker::Send + 'c>>;

            fn into_future(self) -> Self::IntoFuture {
                ::std::boxed::Box::pin(self.send())
            }
        },
        what,
    )
}

/// The trait every builder implements, so that `.await` sends the call.
const INTO_FUTURE: &str = "::std::future::IntoFuture";

/// An `impl<'c> Name<'c>` block (the `Api` or a builder), or a builder's
/// `impl<'c> Trait for Name<'c>`: the head written as text (see [`impl_head`]) and each member
/// printed on its own (see [`members_text`]).
fn impl_block(
    trait_path: Option<&str>,
    name: &proc_macro2::Ident,
    members: Vec<Member>,
    what: &str,
) -> Result<String, Error> {
    let mut out = impl_head(trait_path, &name.to_string());
    for member in members {
        match member {
            Member::Text(text) => out.push_str(&text),
            Member::Tokens(tokens) => out.push_str(&members_text(tokens, what)?),
        }
    }
    out.push_str("}\n");
    Ok(out)
}

/// `impl<'c> [Trait for ]Name<'c> {` as prettyplease prints it (the trait a path without
/// generics; members are indented one level whatever the head's layout): on one line where it
/// fits; else, without a trait, the `impl` generics one per line, with one, the type after `for`
/// on a line of its own; and then the type's generics one per line too where `Name<'c> {` does
/// not fit after them.
fn impl_head(trait_path: Option<&str>, name: &str) -> String {
    let of = trait_path.map_or(String::new(), |path| format!("{path} for "));
    let one_line = format!("impl<'c> {of}{name}<'c> {{\n");
    if one_line.len() - 1 <= MARGIN {
        return one_line;
    }
    let (first, lead) = match trait_path {
        None => ("impl<\n    'c,\n".to_string(), "> "),
        Some(path) => (format!("impl<'c> {path}\n"), "for "),
    };
    let self_ty = format!("{lead}{name}<'c> {{\n");
    let self_ty = if self_ty.len() - 1 <= MARGIN { self_ty } else { format!("{lead}{name}<\n    'c,\n> {{\n") };
    first + &self_ty
}

/// A variant of an answer enum: its status and description, and its body type.
struct Variant<'a> {
    doc: String,
    name: proc_macro2::Ident,
    ty: Option<&'a Ty>,
}

impl<'a> Variant<'a> {
    fn of(r: &Response, ty: Option<&'a Ty>) -> Variant<'a> {
        Variant { doc: format!("`{}`: {}", r.status, one_line(&r.description)), name: ident(&r.variant), ty }
    }
}

/// The enum of an operation's success or error answers as prettyplease prints it (one per
/// operation, all alike): nothing in its head can break (a long name runs past the margin); a
/// variant's field goes on a line of its own where the variant does not fit its line.
fn answer_enum(doc: &str, name: &proc_macro2::Ident, variants: &[Variant], what: &str) -> Result<String, Error> {
    let mut out = String::new();
    super::docs::push_doc(&mut out, "", Some(doc));
    out.push_str("#[derive(Clone, Debug, PartialEq)]\n#[allow(clippy::large_enum_variant)]\n#[non_exhaustive]\n");
    out.push_str(&format!("pub enum {name} {{"));
    if variants.is_empty() {
        out.push_str("}\n");
        return Ok(out);
    }
    out.push('\n');
    for v in variants {
        super::docs::push_doc(&mut out, "    ", Some(&v.doc));
        match v.ty {
            Some(ty) => {
                let ty = ty.text.as_deref().ok_or_else(|| unprintable(what))?;
                let line = format!("    {}({ty}),\n", v.name);
                if line.len() - 1 <= MARGIN {
                    out.push_str(&line);
                } else {
                    let field = argument_type(8, ty).ok_or_else(|| unprintable(what))?;
                    out.push_str(&format!("    {}(\n{field}    ),\n", v.name));
                }
            }
            None => out.push_str(&format!("    {},\n", v.name)),
        }
    }
    out.push_str("}\n");
    Ok(out)
}

/// The error for a type that [`type_text`] and [`type_lines`] cannot print: every type
/// that [`type_tokens`] makes is printable.
fn unprintable(what: &str) -> Error {
    Error::new(&Location::new(what, ""), "internal error: a type has no text")
}

/// The builder struct of an operation (its call, and its body if it takes one, of type `body`)
/// as prettyplease prints it: the generics on lines of their own where the head does not fit
/// its line.
fn builder_struct(doc: &str, name: &proc_macro2::Ident, body: Option<&str>, what: &str) -> Result<String, Error> {
    let head = format!("pub struct {name}<'c> {{\n");
    let head = if head.len() - 1 <= MARGIN { head } else { format!("pub struct {name}<\n    'c,\n> {{\n") };
    let mut out = String::new();
    super::docs::push_doc(&mut out, "", Some(doc));
    out.push_str("#[must_use = \"a call does nothing until it is awaited\"]\n");
    out.push_str(&head);
    out.push_str("    call: ::d1_runtime::client::Call<'c>,\n");
    if let Some(ty) = body {
        out.push_str(&type_lines(4, "body: ", ty, ",", true).ok_or_else(|| unprintable(what))?);
    }
    out.push_str("}\n");
    Ok(out)
}

/// The builder methods every operation has, after its own: extra headers, timeout and retry
/// policy. They are the same in every builder, so they are printed once per crate.
fn builder_members(root: &str, what: &str) -> Result<String, Error> {
    let timeout_doc = format!(
        " Per-call timeout of each attempt (overrides [`ClientBuilder::timeout`]({root}::ClientBuilder::timeout))."
    );
    let retry_doc =
        format!(" Per-call retry policy (overrides [`ClientBuilder::retry`]({root}::ClientBuilder::retry)).");
    let root = path_tokens(root);
    members_text(
        quote! {
            /// Adds a header to this call only (e.g. `Prefer`, or an idempotency key), sent after the
            /// declared ones. An invalid name or value, or a header the client sets itself
            /// ([`RESERVED_HEADERS`](d1_runtime::client::RESERVED_HEADERS)), makes the call fail
            /// with a [`RequestError`](d1_runtime::client::RequestError) before anything is sent.
            pub fn header<N, V>(mut self, name: N, value: V) -> Self
            where
                ::d1_runtime::client::HeaderName: ::std::convert::TryFrom<N>,
                ::d1_runtime::client::HeaderValue: ::std::convert::TryFrom<V>,
            {
                self.call.extra_header(name, value);
                self
            }

            #[doc = #timeout_doc]
            pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.call.set_timeout(timeout);
                self
            }

            #[doc = #retry_doc]
            pub fn retry(mut self, policy: #root::RetryPolicy) -> Self {
                self.call.set_retry(policy);
                self
            }
        },
        what,
    )
}

/// A builder method that adds an optional input to the call: printed as text where
/// [`setter_text`] can (`ty` is the parameter type's text, if known), through prettyplease
/// otherwise.
fn setter(
    doc: &str,
    name: &proc_macro2::Ident,
    arg_ty: &TokenStream,
    ty: Option<&str>,
    render: &TokenStream,
) -> Member {
    let text = ty
        .zip(statement_lines(8, render))
        .and_then(|(ty, statement)| setter_text(doc, &name.to_string(), ty, &statement));
    match text {
        Some(text) => Member::Text(text),
        None => Member::Tokens(setter_tokens(doc, name, arg_ty, render)),
    }
}

fn setter_tokens(doc: &str, name: &proc_macro2::Ident, arg_ty: &TokenStream, render: &TokenStream) -> TokenStream {
    let doc = doc_attrs(Some(doc));
    quote! {
        #doc
        pub fn #name(mut self, value: #arg_ty) -> Self {
            let call = &mut self.call;
            #render
            self
        }
    }
}

/// The builder method that sets an optional body of type `ty`, as prettyplease prints it in the
/// builder's `impl`: the signature on one line where it fits, else its parameters one per line.
fn body_setter(doc: &str, ty: &Ty, what: &str) -> Result<Member, Error> {
    let ty = ty.text.as_deref().ok_or_else(|| unprintable(what))?;
    let one_line = format!("    pub fn body(mut self, body: {ty}) -> Self {{\n");
    let signature = if one_line.len() - 1 <= MARGIN {
        one_line
    } else {
        let body = type_lines(8, "body: ", ty, ",", false).ok_or_else(|| unprintable(what))?;
        format!("    pub fn body(\n        mut self,\n{body}    ) -> Self {{\n")
    };
    let mut out = String::new();
    super::docs::push_doc(&mut out, "    ", Some(doc));
    out.push_str(&signature);
    out.push_str("        self.body = ::std::option::Option::Some(body);\n        self\n    }\n");
    Ok(Member::Text(out))
}

/// [`setter_tokens`] as prettyplease prints them inside the builder's `impl` (a spec has
/// thousands), `statement` laid out by [`statement_lines`]: the signature on one line when it
/// fits, else its parameters one per line (see [`type_lines`]); `None` where an
/// `impl Trait<…>` parameter would break.
fn setter_text(doc: &str, name: &str, ty: &str, statement: &str) -> Option<String> {
    // Widths are counted in bytes, prettyplease counts characters.
    if !(name.is_ascii() && ty.is_ascii() && statement.is_ascii()) {
        return None;
    }
    let one_line = format!("    pub fn {name}(mut self, value: {ty}) -> Self {{\n");
    let signature = if one_line.len() - 1 <= MARGIN {
        one_line
    } else {
        // `impl Trait<…>` breaks as the trait's path does.
        let value = match ty.strip_prefix("impl ") {
            Some(bound) => type_lines(8, "value: impl ", bound, ",", false)?,
            None => type_lines(8, "value: ", ty, ",", false)?,
        };
        format!("    pub fn {name}(\n        mut self,\n{value}    ) -> Self {{\n")
    };
    let mut out = String::new();
    super::docs::push_doc(&mut out, "    ", Some(doc));
    out.push_str(&signature);
    out.push_str("        let call = &mut self.call;\n");
    out.push_str(statement);
    out.push_str("        self\n    }\n");
    Some(out)
}

/// A statement `call.method(arguments);` (see [`statement_parts`]) indented `indent` as
/// prettyplease prints it: on one line where it fits, else its arguments one per line (each
/// whole: a string literal cannot break). A loop `for item in items { statement }` has its
/// head on one line (`None` where it does not fit) and its statement one level deeper.
fn statement_lines(indent: usize, tokens: &TokenStream) -> Option<String> {
    let pad = " ".repeat(indent);
    if let Some((var, items, body)) = for_loop(tokens) {
        let head = format!("{pad}for {var} in {items} {{\n");
        if head.len() - 1 > MARGIN {
            return None;
        }
        return Some(format!("{head}{}{pad}}}\n", statement_lines(indent + 4, &body)?));
    }
    let (method, args) = statement_parts(tokens)?;
    let line = format!("{pad}call.{method}({});\n", args.join(", "));
    if !line.is_ascii() {
        return None;
    }
    if line.len() - 1 <= MARGIN {
        return Some(line);
    }
    let mut out = format!("{pad}call.{method}(\n");
    for arg in &args {
        out.push_str(&format!("{pad}    {arg},\n"));
    }
    out.push_str(&format!("{pad});\n"));
    Some(out)
}

/// The method and the arguments of a statement `call.method(arguments);` whose arguments are
/// literals, identifiers, `&x` or `x.method()`, each as prettyplease prints it; `None` for
/// anything else.
fn statement_parts(tokens: &TokenStream) -> Option<(String, Vec<String>)> {
    use proc_macro2::{Delimiter, TokenTree};
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let [TokenTree::Ident(call), TokenTree::Punct(dot), TokenTree::Ident(method), TokenTree::Group(args), TokenTree::Punct(semi)] =
        trees.as_slice()
    else {
        return None;
    };
    if call != "call" || dot.as_char() != '.' || semi.as_char() != ';' || args.delimiter() != Delimiter::Parenthesis {
        return None;
    }
    let mut out = vec![String::new()];
    for tree in args.stream() {
        match tree {
            TokenTree::Punct(p) if p.as_char() == ',' => out.push(String::new()),
            tree => push_simple(out.last_mut()?, &tree)?,
        }
    }
    // A trailing comma ends the last argument.
    if out.len() > 1 && out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    Some((method.to_string(), out))
}

/// The variable, the iterable (see [`push_simple`]) and the body of a loop
/// `for item in items { … }`.
fn for_loop(tokens: &TokenStream) -> Option<(String, String, TokenStream)> {
    use proc_macro2::{Delimiter, TokenTree};
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let [TokenTree::Ident(keyword), TokenTree::Ident(var), TokenTree::Ident(in_keyword), items @ .., TokenTree::Group(body)] =
        trees.as_slice()
    else {
        return None;
    };
    if keyword != "for" || in_keyword != "in" || body.delimiter() != Delimiter::Brace {
        return None;
    }
    let mut text = String::new();
    for tree in items {
        push_simple(&mut text, tree)?;
    }
    Some((var.to_string(), text, body.stream()))
}

/// Appends a token of a simple expression (a literal, an identifier, a path, `&x` or
/// `x.method()`) as prettyplease prints it; `None` for any other token.
fn push_simple(out: &mut String, tree: &proc_macro2::TokenTree) -> Option<()> {
    use proc_macro2::{Delimiter, TokenTree};
    match tree {
        TokenTree::Punct(p) if matches!(p.as_char(), '&' | '.' | ':') => out.push(p.as_char()),
        TokenTree::Ident(id) => out.push_str(&id.to_string()),
        TokenTree::Literal(lit) => out.push_str(&lit.to_string()),
        TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis && g.stream().is_empty() => out.push_str("()"),
        _ => return None,
    }
    Some(())
}

/// How an input is written into the call (`call` in scope, `value` the expression).
/// The statement that adds one input to the call; `value` is a reference (an argument, or
/// `&value` in a setter), or an iterable for a list.
fn render_input(input: &Input<'_>, value: TokenStream, correlation: bool) -> TokenStream {
    let wire = &input.param.name;
    if correlation {
        return quote!(call.correlation_id(#value););
    }
    if let Some(style) = input.param.value_style {
        let style = style_tokens(style);
        return match input.param.location {
            ParamLocation::Query => quote!(call.query_value(#wire, #style, #value);),
            ParamLocation::Header => quote!(call.header_value(#wire, #style, #value);),
            ParamLocation::Cookie => quote!(call.cookie_value(#wire, #style, #value);),
            ParamLocation::Path => quote!(call.param_value(#wire, #style, #value);),
        };
    }
    let Some(list) = input.list else {
        return match input.param.location {
            ParamLocation::Query => quote!(call.query(#wire, #value);),
            ParamLocation::Header => quote!(call.header(#wire, #value);),
            ParamLocation::Cookie => quote!(call.cookie(#wire, #value);),
            ParamLocation::Path => quote!(call.param(#wire, #value);),
        };
    };
    let items = if list.newtype { quote!(#value.as_slice()) } else { value };
    match (input.param.location, input.param.list_style) {
        (ParamLocation::Query, ListStyle::Joined(separator)) => quote!(call.query_joined(#wire, #separator, #items);),
        (ParamLocation::Query, _) => quote!(for item in #items { call.query(#wire, &item); }),
        (ParamLocation::Header, _) => quote!(call.header_items(#wire, #items);),
        (ParamLocation::Cookie, _) => quote!(call.cookie_items(#wire, #items);),
        (ParamLocation::Path, path_style) => {
            let (style, explode) = match path_style {
                ListStyle::Label { explode } => (quote!(Label), explode),
                ListStyle::Matrix { explode } => (quote!(Matrix), explode),
                ListStyle::Repeated | ListStyle::Joined(_) => (quote!(Simple), false),
            };
            quote!(call.param_items(#wire, ::d1_runtime::client::PathStyle::#style, #explode, #items);)
        }
    }
}

/// The runtime's name of a style.
pub(super) fn style_tokens(style: ValueStyle) -> TokenStream {
    let path = quote!(::d1_runtime::style::Style);
    match style {
        ValueStyle::Form { explode } => quote!(#path::Form { explode: #explode }),
        ValueStyle::SpaceDelimited => quote!(#path::SpaceDelimited),
        ValueStyle::PipeDelimited => quote!(#path::PipeDelimited),
        ValueStyle::DeepObject => quote!(#path::DeepObject),
        ValueStyle::Simple { explode } => quote!(#path::Simple { explode: #explode }),
        ValueStyle::Label { explode } => quote!(#path::Label { explode: #explode }),
        ValueStyle::Matrix { explode } => quote!(#path::Matrix { explode: #explode }),
        ValueStyle::Json => quote!(#path::Json),
    }
}

fn location_text(l: ParamLocation) -> &'static str {
    match l {
        ParamLocation::Path => "path parameter",
        ParamLocation::Query => "query parameter",
        ParamLocation::Header => "header",
        ParamLocation::Cookie => "cookie",
    }
}

fn media_text(m: &MediaType) -> String {
    match m {
        MediaType::Json => "`application/json`".into(),
        MediaType::FormUrlEncoded => "`application/x-www-form-urlencoded`".into(),
        MediaType::Other(ct) => format!("`{ct}`, as bytes"),
    }
}

fn first_line(doc: Option<&str>) -> String {
    match doc.and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty())) {
        Some(line) => format!(": {line}"),
        None => String::new(),
    }
}

/// A blank line between a Markdown list item and a following unindented line, which would
/// otherwise be a "lazy continuation" of the item (and a clippy warning).
fn end_lists(text: &str) -> String {
    let is_item = |l: &str| {
        let t = l.trim_start();
        t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ") || {
            let digits = t.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut in_item = false;
    for line in text.lines() {
        let blank = line.trim().is_empty();
        if in_item && !blank && !is_item(line) && !line.starts_with(' ') {
            out.push('\n');
            in_item = false;
        }
        if blank {
            in_item = false;
        } else if is_item(line) {
            in_item = true;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`tokens_text`] of a type, from its text as [`type_text`] prints it (whose only spaces
/// follow commas).
fn compact_text(text: &str) -> String {
    let out = text.replace(", ", ",").replace("&::", "&").replace("<::", "<").replace("[::", "[").replace("(::", "(");
    out.strip_prefix("::").map(str::to_string).unwrap_or(out)
}

/// Tokens as compact Rust text, for docs (`:: d1_types :: common :: IssuerId` → `d1_types::common::IssuerId`).
fn tokens_text(tokens: &TokenStream) -> String {
    let text = tokens.to_string();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ' ' {
            // Keep spaces only between two identifier characters.
            let prev = out.chars().last();
            let next = chars.peek().copied();
            if let (Some(p), Some(n)) = (prev, next)
                && (p.is_alphanumeric() || p == '_')
                && (n.is_alphanumeric() || n == '_')
            {
                out.push(' ');
            }
            continue;
        }
        out.push(c);
    }
    let out = out.replace("&::", "&").replace("<::", "<").replace("[::", "[").replace("(::", "(");
    out.strip_prefix("::").map(str::to_string).unwrap_or(out)
}

#[cfg(test)]
mod tests {
    use super::super::render_block;
    use super::*;

    fn body_setter_tokens(doc: &str, ty: &TokenStream) -> TokenStream {
        let doc = doc_attrs(Some(doc));
        quote! {
            #doc
            pub fn body(mut self, body: #ty) -> Self {
                self.body = ::std::option::Option::Some(body);
                self
            }
        }
    }

    fn answer_enum_tokens(doc: &str, name: &proc_macro2::Ident, variants: &[Variant]) -> TokenStream {
        let doc = doc_attrs(Some(doc));
        let variants = variants.iter().map(|v| {
            let (doc, name) = (doc_attrs(Some(&v.doc)), &v.name);
            match &v.ty {
                Some(ty) => {
                    let ty = &ty.tokens;
                    quote!(#doc #name(#ty),)
                }
                None => quote!(#doc #name,),
            }
        });
        quote! {
            #doc
            #[derive(Clone, Debug, PartialEq)]
            #[allow(clippy::large_enum_variant)]
            #[non_exhaustive]
            pub enum #name {
                #(#variants)*
            }
        }
    }

    fn builder_struct_tokens(doc: &str, name: &proc_macro2::Ident, body: Option<&TokenStream>) -> TokenStream {
        let doc = doc_attrs(Some(doc));
        let body = body.map(|ty| quote!(body: #ty,));
        quote! {
            #doc
            #[must_use = "a call does nothing until it is awaited"]
            pub struct #name<'c> {
                call: ::d1_runtime::client::Call<'c>,
                #body
            }
        }
    }

    /// The fixed items of the crate root, printed as text, equal their printing from tokens.
    #[test]
    fn fixed_root_items_print_as_prettyplease_prints_them() {
        use crate::emit::root_items_text;
        let cases = [
            (
                RUNTIME_USE,
                quote! {
                    pub use ::d1_runtime::client::{
                        auth, error, new_correlation_id, oauth2, retry, AccessToken, BuildError, Error, ErrorKind,
                        RequestError, Response, RetryPolicy, Server, StaticToken, TokenError, TokenErrorKind,
                        TokenFuture, TokenProvider, CORRELATION_ID_HEADER,
                    };
                },
            ),
            (
                CLIENT_BUILDER,
                quote! {
                    /// Builds a [`Client`]: start with [`Client::builder`].
                    pub type ClientBuilder = ::d1_runtime::client::ClientBuilder<Client>;
                },
            ),
            (
                GENERATED_CLIENT,
                quote! {
                    impl ::d1_runtime::client::GeneratedClient for Client {
                        type Api = ApiId;

                        fn from_core(core: ::d1_runtime::client::ClientCore) -> Self {
                            Client { core }
                        }
                    }
                },
            ),
            (
                ENVIRONMENT,
                quote! {
                    /// Which server each API is called on: one of the specs' named servers (each API uses its
                    /// own server of that name), or one base URL for every API (a proxy, a mock, a test
                    /// server). [`ClientBuilder::base_url_for`] overrides single APIs.
                    #[derive(Clone, Debug, PartialEq, Eq)]
                    pub struct Environment(::d1_runtime::client::Environment);
                },
            ),
            (
                ENVIRONMENT_DISPLAY,
                quote! {
                    impl ::std::fmt::Display for Environment {
                        fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                            ::std::fmt::Display::fmt(&self.0, f)
                        }
                    }
                },
            ),
        ];
        for (text, tokens) in cases {
            assert_eq!(text, root_items_text(tokens));
        }
        let client_impl = format!("{CLIENT_IMPL}}}\n");
        assert_eq!(
            client_impl,
            root_items_text(quote! {
                impl Client {
                    /// Start building a client that calls each API on its server of `environment`.
                    pub fn builder(environment: Environment) -> ClientBuilder {
                        ClientBuilder::new(environment.0)
                    }

                    /// A client with default options and this token provider.
                    ///
                    /// # Errors
                    ///
                    /// See [`ClientBuilder::build`].
                    pub fn new(environment: Environment, provider: impl TokenProvider) -> ::std::result::Result<Client, BuildError> {
                        Client::builder(environment).token_provider(provider).build()
                    }

                    /// The underlying HTTP client (shared connection pool and TLS set-up), for calls the
                    /// specs do not describe.
                    pub fn http_client(&self) -> &::d1_runtime::client::reqwest::Client {
                        self.core.http_client()
                    }

                    /// The base URL `api` is called on (or why there is none).
                    ///
                    /// # Errors
                    ///
                    /// The environment names a server the API's spec does not list.
                    pub fn base_url(&self, api: ApiId) -> ::std::result::Result<&str, RequestError> {
                        self.core.base_url(api)
                    }
                }
            })
        );
        let environment_impl = format!("{ENVIRONMENT_IMPL}{ENVIRONMENT_METHODS}}}\n");
        assert_eq!(
            environment_impl,
            root_items_text(quote! {
                impl Environment {
                    /// Each API's server with this constant name (see the `SERVERS` of each module).
                    pub const fn server(name: &'static str) -> Self {
                        Environment(::d1_runtime::client::Environment::server(name))
                    }

                    /// One base URL for every API; operation paths are appended to it.
                    pub fn url(base: impl Into<::std::string::String>) -> Self {
                        Environment(::d1_runtime::client::Environment::url(base))
                    }
                }
            })
        );
    }

    #[test]
    fn lists_are_closed_before_a_following_paragraph() {
        assert_eq!(end_lists("Intro\n- a\n- b\nAfter"), "Intro\n- a\n- b\n\nAfter");
        assert_eq!(end_lists("1. one\n   more\n\ntext"), "1. one\n   more\n\ntext");
    }

    /// `send` and `type Output` printed as text equal what prettyplease prints for their tokens,
    /// at every length around the signature's, the result type's and the arms' line breaks.
    #[test]
    fn send_prints_as_prettyplease_prints_it() {
        let _docs = super::super::docs::Table::scope();
        let body_send = |write: TokenStream, text: &str, required: bool| {
            (body_send_tokens(write, required), body_send_text(text, required))
        };
        let bytes = |ct: &str| (quote!(call.bytes(body, #ct);), format!("call.bytes(body, {});", Literal::string(ct)));
        let long_type = format!("application/{}", "x".repeat(60));
        let bodies = [
            (TokenStream::new(), Some(String::new())),
            body_send(quote!(call.json(&body);), "call.json(&body);", true),
            body_send(quote!(call.form(&body);), "call.form(&body);", false),
            {
                let (write, text) = bytes("multipart/form-data");
                body_send(write, &text, false)
            },
            {
                let (write, text) = bytes("image/\"png\"");
                body_send(write, &text, true)
            },
            {
                let (write, text) = bytes(&long_type);
                body_send(write, &text, true)
            },
        ];
        let (mut text, mut tokens) = (0, 0);
        for (n, e) in (1..90).flat_map(|n| (0..3).map(move |e| (n, e))) {
            let long = ident(&format!("T{}", "x".repeat(n)));
            let error = ident(&format!("E{}", "r".repeat((n * 37 + e * 11) % 120)));
            let ok_types = [
                quote!(()),
                quote!(::d1_types::m::#long),
                quote!(::std::vec::Vec<super::types::#long>),
                quote!(::std::collections::BTreeMap<::std::string::String, ::d1_types::m::#long>),
            ];
            for (k, ok) in ok_types.into_iter().enumerate() {
                let ok_text = type_text(&ok).expect("a printable type");
                let ok_ty = Ty::new(ok.clone());
                let read = Read::Json(ok_text.clone()).bind();
                // Arms: a body read, a success variant, a range without body, a declared error with a body, the catch-all.
                let arms = [
                    (
                        quote!(200 => { let body = raw.json::<#ok>()?; ::std::result::Result::Ok(raw.ok(body)) }),
                        read.and_then(|read| {
                            arm_text("200", Some(&read), &Answer::Line("::std::result::Result::Ok(raw.ok(body))"))
                        }),
                    ),
                    (
                        quote!(202 => {
                            let body = #error::#long(raw.json::<#ok>()?);
                            ::std::result::Result::Ok(raw.ok(body))
                        }),
                        Read::Json(ok_text.clone()).bind_in(&format!("{error}::{long}")).and_then(|bind| {
                            arm_text("202", Some(&bind), &Answer::Line("::std::result::Result::Ok(raw.ok(body))"))
                        }),
                    ),
                    (
                        quote!(201 => ::std::result::Result::Ok(raw.ok(#error::#long)),),
                        arm_text("201", None, &Answer::Ok(&format!("{error}::{long}"))),
                    ),
                    (
                        quote!(400..=499 => ::std::result::Result::Err(raw.declared(#error::#long)),),
                        arm_text("400..=499", None, &Answer::Declared(&format!("{error}::{long}"))),
                    ),
                    (
                        quote!(404 => { let body = raw.bytes(); ::std::result::Result::Err(raw.declared(#error::#long(body))) }),
                        Read::Bytes.bind().and_then(|bind| {
                            arm_text("404", Some(&bind), &Answer::Declared(&format!("{error}::{long}(body)")))
                        }),
                    ),
                    (
                        quote!(_ => ::std::result::Result::Err(raw.undeclared()),),
                        arm_text("_", None, &Answer::Line("::std::result::Result::Err(raw.undeclared())")),
                    ),
                ];
                let arm_tokens = arms.iter().map(|(t, _)| t);
                let answer_text: Option<String> = arms.iter().map(|(_, t)| t.as_deref()).collect();
                let (body_tokens, body_text) = bodies[(n + k) % bodies.len()].clone();
                let answer_tokens = quote!(match raw.status() { #(#arm_tokens)* });
                let send = SendFn {
                    operation: "get_thing",
                    overlap: n % 2 == 0,
                    root: "crate",
                    ok: &ok_ty,
                    error: &error,
                    body: body_text,
                    answer: answer_text.map(|arms| format!("        match raw.status() {{\n{arms}        }}\n")),
                };
                for (member, tokens_of) in [
                    (
                        send.member(|| (body_tokens.clone(), answer_tokens.clone())),
                        send.tokens(&body_tokens, &answer_tokens),
                    ),
                    (send.output(), {
                        let ty = send.result_ty();
                        quote!(type Output = #ty;)
                    }),
                ] {
                    let expected = members_text(tokens_of, "test").expect("prints");
                    match member {
                        Member::Text(printed) => {
                            assert_eq!(printed, expected, "at length {n}");
                            text += 1;
                        }
                        Member::Tokens(_) => {
                            assert!(send.body.is_none(), "at length {n}");
                            tokens += 1;
                        }
                    }
                }
            }
        }
        // Long names included, every one is printed as text.
        assert!(text > 1900 && tokens > 100, "{text} as text, {tokens} as tokens");
    }

    /// Setters printed as text equal the setter printed by prettyplease, at every length around
    /// the signature's and the statement's line breaks.
    #[test]
    fn setters_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        let types = [
            (quote!(&str), "&str".to_string()),
            (quote!(i64), "i64".to_string()),
            (
                quote!(::d1_types::some_module::SomeLongerTypeName),
                "::d1_types::some_module::SomeLongerTypeName".to_string(),
            ),
            (
                quote!(impl ::std::iter::IntoIterator<Item = ::d1_types::m::Item>),
                "impl ::std::iter::IntoIterator<Item = ::d1_types::m::Item>".to_string(),
            ),
            (
                quote!(
                    impl ::std::iter::IntoIterator<Item = ::d1_types::graph::DrivesItemsWorkbookWorksheetsChartsSelect>
                ),
                "impl ::std::iter::IntoIterator<Item = ::d1_types::graph::DrivesItemsWorkbookWorksheetsChartsSelect>"
                    .to_string(),
            ),
            (
                quote!(::d1_types::graph::DrivesItemsWorkbookWorksheetsChartsAxesCategoryAxisMajorGridlinesSelect),
                "::d1_types::graph::DrivesItemsWorkbookWorksheetsChartsAxesCategoryAxisMajorGridlinesSelect"
                    .to_string(),
            ),
        ];
        let wires = ["plain", "with \"quote\" and \\", "caf\u{e9}", "tab\t"];
        let docs = ["One line.", "Two\r\nlines\n\n* and a list\u{202e}"];
        let (mut one_line, mut broken, mut left) = (0, 0, 0);
        for n in (1..80).step_by(2) {
            let long = ident(&format!("B{}", "b".repeat(n)));
            for ty in [quote!(::d1_types::m::#long), quote!(::std::vec::Vec<::d1_types::m::#long>)] {
                let doc = docs[n % 2];
                let Member::Text(member) = body_setter(doc, &Ty::new(ty.clone()), "test").unwrap() else {
                    panic!("{ty}: not text")
                };
                let block = render_block(quote!(impl<'c> B<'c>), [Member::Text(member)], "test").unwrap();
                assert_eq!(
                    block,
                    render_block(quote!(impl<'c> B<'c>), [body_setter_tokens(doc, &ty)], "test").unwrap()
                );
            }
            for (i, (ty, text)) in types.iter().enumerate() {
                let name = ident(&format!("s{}", "x".repeat(n)));
                let wire = format!("{}{}", wires[(n / 2 + i) % 4], "w".repeat((n * 7) % 60));
                let statements = [
                    quote!(call.query(#wire, &value);),
                    quote!(call.header_items(#wire, value.as_slice());),
                    quote!(for item in value.as_slice() { call.query(#wire, &item); }),
                    quote!(call.param_items(#wire, ::d1_runtime::client::PathStyle::Label, true, value);),
                ];
                for render in &statements {
                    let doc = docs[(n + i) % 2];
                    let whole =
                        render_block(quote!(impl<'c> B<'c>), [setter_tokens(doc, &name, ty, render)], "test").unwrap();
                    match setter(doc, &name, ty, Some(text), render) {
                        Member::Text(member) => {
                            if member.contains("(\n") {
                                broken += 1;
                            } else {
                                one_line += 1;
                            }
                            let block = render_block(quote!(impl<'c> B<'c>), [Member::Text(member)], "test").unwrap();
                            assert_eq!(block, whole, "{name}: {text}");
                        }
                        Member::Tokens(_) => left += 1,
                    }
                }
            }
        }
        assert!(one_line > 20 && broken > 20 && left > 20, "{one_line} {broken} {left}");
    }

    /// Answer enums and builder structs printed as text equal their printing by prettyplease,
    /// at every length around their line breaks.
    #[test]
    fn answer_enums_and_builders_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        let long =
            quote!(::d1_types::graph::DrivesItemsWorkbookWorksheetsChartsAxesCategoryAxisMajorGridlinesGetFormatError);
        let types = [
            quote!(i64),
            quote!(::d1_types::some_module::SomeLongerTypeName),
            quote!(::std::vec::Vec<u8>),
            long.clone(),
            quote!(::std::collections::BTreeMap<::std::string::String, #long>),
        ];
        let docs = [
            "`404`: Not found.",
            "`default`: Two\r\nlines with a bidi \u{202e} and a long tail that goes on",
            "`200`: ",
        ];
        let mut broken = 0;
        for n in (1..90).step_by(3) {
            for (i, ty) in types.iter().enumerate() {
                let name = ident(&format!("Op{}Error", "x".repeat(n)));
                let typed = Ty::new(ty.clone());
                let variants: Vec<Variant> = (0..i + 1)
                    .map(|k| Variant {
                        doc: docs[(n + k) % 3].to_string(),
                        name: ident(&format!("V{}", "v".repeat((n + 30 * k) % 80))),
                        ty: (k % 2 == 0).then_some(&typed),
                    })
                    .collect();
                for variants in [&variants[..], &[]] {
                    let whole = render_items(answer_enum_tokens("The answers.", &name, variants), "test").unwrap();
                    assert_eq!(answer_enum("The answers.", &name, variants, "test").unwrap(), whole);
                    broken += usize::from(whole.contains("(\n"));
                }
                let body = quote!(::std::option::Option<#ty>);
                for body in [None, Some(ty), Some(&body)] {
                    let whole = render_items(builder_struct_tokens("A call.", &name, body), "test").unwrap();
                    let text = body.map(|body| type_text(body).expect("a printable type"));
                    assert_eq!(builder_struct("A call.", &name, text.as_deref(), "test").unwrap(), whole);
                }
                let members = || {
                    vec![
                        Member::Tokens(quote!(type Output = ::std::result::Result<#ty, #name>;)),
                        Member::Text(into_future_members("test").unwrap()),
                    ]
                };
                for long in [name.clone(), ident(&format!("{name}{}", "Z".repeat(n % 7)))] {
                    for (trait_path, head) in [
                        (Some(INTO_FUTURE), quote!(impl<'c> ::std::future::IntoFuture for #long<'c>)),
                        (None, quote!(impl<'c> #long<'c>)),
                    ] {
                        assert_eq!(
                            impl_block(trait_path, &long, members(), "test").unwrap(),
                            render_block(head, members(), "test").unwrap()
                        );
                    }
                }
            }
        }
        assert!(broken > 20, "{broken}");
    }

    /// Operation methods printed as text equal their printing by prettyplease, with and without
    /// arguments, statements and body, at every length around the signature's line break.
    #[test]
    fn operation_methods_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        let (mut as_text, mut left) = (0, 0);
        for n in (1..100).step_by(2) {
            for k in 0..8 {
                let name = ident(&format!("op_{}", "x".repeat(n)));
                let builder = ident(&format!("Op{}Builder", "X".repeat((n * 3 + k * 7) % 110)));
                let long = ident(&format!("Id{}", "I".repeat((n * 5 + k) % 90)));
                let args: Vec<(TokenStream, Option<String>)> = (0..k)
                    .map(|i| {
                        let arg = ident(&format!("a{i}{}", "y".repeat(n % 13)));
                        match i % 4 {
                            0 => (quote!(#arg: &str), Some(format!("{arg}: &str"))),
                            1 => (quote!(#arg: &[::d1_types::m::Item]), Some(format!("{arg}: &[::d1_types::m::Item]"))),
                            2 => (quote!(#arg: &::d1_types::m::#long), Some(format!("{arg}: &::d1_types::m::{long}"))),
                            _ => (
                                quote!(body: ::std::collections::BTreeMap<::std::string::String, ::d1_types::m::#long>),
                                Some(format!(
                                    "body: ::std::collections::BTreeMap<::std::string::String, ::d1_types::m::{long}>"
                                )),
                            ),
                        }
                    })
                    .collect();
                let wire = format!("w{}", "w".repeat((n * 3) % 90));
                let statements = (0..k % 3)
                    .map(|_| quote!(call.query(#wire, &value);))
                    .chain([quote!(call.literal("/v1/things");), quote!(for item in a0 { call.query(#wire, &item); })])
                    .collect();
                let label = format!("module.{name}");
                let method = MethodFn {
                    doc: "Does it.\n\n* a list".to_string(),
                    deprecated: k % 2 == 1,
                    name: &name,
                    args,
                    builder: &builder,
                    label: &label,
                    method: [Method::Get, Method::Post][k % 2],
                    auth: k % 3 == 0,
                    statements,
                    body: [None, Some(true), Some(false)][(n + k) % 3],
                };
                let whole = render_block(quote!(impl<'c> Api<'c>), [method.tokens()], "test").unwrap();
                match method.text() {
                    Some(text) => {
                        as_text += 1;
                        assert_eq!(
                            render_block(quote!(impl<'c> Api<'c>), [Member::Text(text)], "test").unwrap(),
                            whole
                        );
                    }
                    None => left += 1,
                }
            }
        }
        assert!(as_text > 390 && left == 0, "{as_text} {left}");
    }

    #[test]
    fn shared_builder_members_print_as_in_the_builder() {
        let members = builder_members("crate", "test").unwrap();
        assert!(members.starts_with("    /// Adds a header") && members.ends_with("    }\n"), "{members}");
    }

    #[test]
    fn token_text_is_compact() {
        let t = quote!(&::d1_types::common::IssuerId);
        assert_eq!(tokens_text(&t), "&d1_types::common::IssuerId");
    }

    /// The compact text of a type made from its printed text equals the compact text of its tokens.
    #[test]
    fn compact_text_equals_token_text() {
        for n in 0..40 {
            let long = ident(&format!("T{}", "x".repeat(n)));
            let types = [
                quote!(()),
                quote!(i64),
                quote!(::d1_types::m::#long),
                quote!(super::types::#long),
                quote!(::std::vec::Vec<::d1_types::m::#long>),
                quote!(::std::collections::BTreeMap<::std::string::String, ::std::vec::Vec<::d1_types::m::#long>>),
                quote!(::std::option::Option<(::d1_types::m::#long)>),
            ];
            for ty in types {
                let Some(text) = type_text(&ty) else { continue };
                assert_eq!(compact_text(&text), tokens_text(&ty), "{ty}");
                assert_eq!(compact_text(&format!("&{text}")), tokens_text(&quote!(&#ty)), "{ty}");
                assert_eq!(compact_text(&format!("&[{text}]")), tokens_text(&quote!(&[#ty])), "{ty}");
            }
        }
    }
}
