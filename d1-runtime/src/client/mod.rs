//! The client core every generated client is built on: the [`ClientBuilder`], the shared
//! [`ClientCore`] (connection pool, base URLs, token provider, defaults), and the [`Call`]
//! each generated operation goes through — URL building with percent-encoded path segments,
//! the `x-correlation-id` header, the bearer token, retries, the per-call timeout and the
//! `tracing` span of each call.
//!
//! A generated client crate defines a `Client` (one accessor per API) and an `ApiId` enum (one
//! variant per API), implements [`GeneratedClient`] and [`ApiSet`] for them, and re-exports
//! what its users need from here.

pub mod auth;
pub mod error;
pub mod oauth2;
pub mod retry;

pub use auth::{AccessToken, StaticToken, TokenError, TokenErrorKind, TokenFuture, TokenProvider};
pub use error::{Error, ErrorKind, Failure, RequestError};
pub use reqwest::header::{HeaderName, HeaderValue};
pub use reqwest::{self, Method};
pub use retry::RetryPolicy;

use crate::style::{self, Style};
use bytes::Bytes;
use error::KEPT_BODY;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{HeaderMap, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use retry::{is_idempotent, parse_retry_after};
use std::convert::Infallible;
use std::fmt::{self, Write as _};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument as _;

/// Everything but `A-Z a-z 0-9 - . _ ~` is percent-encoded in path segments and query values.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The `style` of an array path parameter (OpenAPI 3.0 §Style Values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathStyle {
    /// `a,b`.
    Simple,
    /// `.a.b` or `.a,b`.
    Label,
    /// `;name=a;name=b` or `;name=a,b`.
    Matrix,
}

/// The items' text joined by `separator`.
fn joined<I>(items: I, separator: char) -> String
where
    I: IntoIterator,
    I::Item: fmt::Display,
{
    let mut text = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            text.push(separator);
        }
        let _ = write!(text, "{item}");
    }
    text
}

/// The header carrying the correlation id.
pub const CORRELATION_ID_HEADER: &str = "x-correlation-id";

/// One server of an API, as its spec lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Server {
    /// Constant name, e.g. `PRODUCTION`.
    pub name: &'static str,
    /// Base URL, e.g. `https://api.d1.thalescloud.io/banking/v1`.
    pub url: &'static str,
    /// The spec's description, e.g. `Production server`.
    pub description: &'static str,
}

/// The APIs of one generated client crate: an enum with one variant per API.
pub trait ApiSet: Copy + Eq + fmt::Debug + Send + Sync + 'static {
    /// Every API, in the order of [`index`](Self::index).
    const ALL: &'static [Self];
    /// The position of this API in [`ALL`](Self::ALL).
    fn index(self) -> usize;
    /// The API's module name in the generated crates, e.g. `in_v1_card`.
    fn module(self) -> &'static str;
    /// The servers the API's spec lists.
    fn servers(self) -> &'static [Server];
}

/// A generated client: built from a [`ClientCore`] by [`ClientBuilder::build`].
pub trait GeneratedClient: Sized {
    /// The enum naming the crate's APIs.
    type Api: ApiSet;
    /// Wrap a built core.
    fn from_core(core: ClientCore) -> Self;
}

/// Which server each API is called on: one of the spec's named servers (each API uses its own
/// server of that name, e.g. a generated `Environment::PRODUCTION`), or one base URL for every API
/// (a proxy, a mock, a test server). [`ClientBuilder::base_url_for`] overrides single APIs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment(EnvironmentRepr);

#[derive(Clone, Debug, PartialEq, Eq)]
enum EnvironmentRepr {
    Server(&'static str),
    Url(String),
}

impl Environment {
    /// Each API's server with this constant name (see the `SERVERS` of each module).
    pub const fn server(name: &'static str) -> Self {
        Environment(EnvironmentRepr::Server(name))
    }

    /// One base URL for every API; operation paths are appended to it.
    pub fn url(base: impl Into<String>) -> Self {
        Environment(EnvironmentRepr::Url(base.into()))
    }

    fn resolve<A: ApiSet>(&self, api: A) -> Result<String, RequestError> {
        match &self.0 {
            EnvironmentRepr::Url(url) => Ok(url.clone()),
            EnvironmentRepr::Server(name) => api
                .servers()
                .iter()
                .find(|s| s.name == *name)
                .map(|s| s.url.to_string())
                .ok_or_else(|| RequestError::NoServer { api: api.module(), environment: (*name).to_string() }),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            EnvironmentRepr::Server(name) => f.write_str(name),
            EnvironmentRepr::Url(url) => f.write_str(url),
        }
    }
}

/// Why a client could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// A base URL does not parse.
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The TLS set-up failed (bad PEM, unusable key, no certificate verifier).
    Tls(String),
    /// The HTTP client could not be created.
    Http(reqwest::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::InvalidBaseUrl { url, reason } => write!(f, "invalid base URL `{url}`: {reason}"),
            BuildError::Tls(reason) => write!(f, "TLS set-up failed: {reason}"),
            BuildError::Http(e) => write!(f, "cannot create the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Http(e) => Some(e),
            _ => None,
        }
    }
}

/// Builds a generated client `C`. Start with the generated `Client::builder`.
#[must_use]
pub struct ClientBuilder<C: GeneratedClient> {
    environment: Environment,
    overrides: Vec<(C::Api, String)>,
    provider: Option<Arc<dyn TokenProvider>>,
    jwt_bearer: Option<crate::client::oauth2::JwtBearerConfig>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    identity: Option<(Vec<u8>, zeroize::Zeroizing<Vec<u8>>)>,
    roots: Option<Vec<u8>>,
    http: Option<reqwest::Client>,
    max_response_bytes: usize,
    client: PhantomData<fn() -> C>,
}

/// The default of [`ClientBuilder::max_response_bytes`]: 4 MiB, far above any D1 answer.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

impl<C: GeneratedClient> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("environment", &self.environment)
            .field("overrides", &self.overrides)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl<C: GeneratedClient> ClientBuilder<C> {
    /// A builder calling each API on its server of `environment`, with default options.
    pub fn new(environment: impl Into<Environment>) -> Self {
        ClientBuilder {
            environment: environment.into(),
            overrides: Vec::new(),
            provider: None,
            jwt_bearer: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")).to_string(),
            identity: None,
            roots: None,
            http: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            client: PhantomData,
        }
    }

    /// Call `api` on `base_url` instead of the environment's server.
    pub fn base_url_for(mut self, api: C::Api, base_url: impl Into<String>) -> Self {
        self.overrides.retain(|(a, _)| *a != api);
        self.overrides.push((api, base_url.into()));
        self
    }

    /// The bearer token of every call that needs one (all but the token endpoints).
    pub fn token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.provider = Some(Arc::new(provider));
        self.jwt_bearer = None;
        self
    }

    /// The same, for a provider already behind an `Arc` (to share it between clients).
    pub fn shared_token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.provider = Some(provider);
        self.jwt_bearer = None;
        self
    }

    /// Get tokens with D1's OAuth2 JWT-bearer flow ([`crate::client::oauth2`]), over this client's
    /// HTTP connection pool and TLS identity.
    pub fn jwt_bearer(mut self, config: crate::client::oauth2::JwtBearerConfig) -> Self {
        self.jwt_bearer = Some(config);
        self.provider = None;
        self
    }

    /// Longest wait for one attempt, from sending the request to the end of the response body
    /// (default 30 s). Each operation's builder has `.timeout(…)` to change it per call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Longest wait for a TCP + TLS connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The default retry policy (see [`RetryPolicy`]); calls can override it.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The longest response body the client reads (default [`DEFAULT_MAX_RESPONSE_BYTES`]);
    /// a longer one is an [`ErrorKind::ResponseTooLarge`], and reading stops at the limit.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// The `User-Agent` header (default `d1-client/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The client certificate chain and private key (PEM) for mutual TLS, which D1 requires.
    pub fn identity_pem(mut self, certificate_chain: &[u8], private_key: &[u8]) -> Self {
        self.identity = Some((certificate_chain.to_vec(), zeroize::Zeroizing::new(private_key.to_vec())));
        self
    }

    /// Trust only these CA certificates (PEM) instead of the operating system's.
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Self {
        self.roots = Some(pem.to_vec());
        self
    }

    /// Use this `reqwest` client (its TLS, proxy and pool settings) instead of building one;
    /// [`identity_pem`](Self::identity_pem), [`root_certificates_pem`](Self::root_certificates_pem),
    /// [`connect_timeout`](Self::connect_timeout) and [`user_agent`](Self::user_agent) are then ignored.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Build the client.
    ///
    /// # Errors
    ///
    /// A base URL that does not parse, or a TLS set-up that fails.
    pub fn build(self) -> Result<C, BuildError> {
        let http = match self.http {
            Some(http) => http,
            None => {
                let tls = tls_config(self.identity.as_ref(), self.roots.as_deref())?;
                reqwest::Client::builder()
                    .tls_backend_preconfigured(tls)
                    .user_agent(self.user_agent)
                    .connect_timeout(self.connect_timeout)
                    .build()
                    .map_err(BuildError::Http)?
            }
        };
        let mut bases = Vec::with_capacity(C::Api::ALL.len());
        for &api in C::Api::ALL {
            let base = match self.overrides.iter().find(|(a, _)| *a == api) {
                Some((_, url)) => Ok(url.clone()),
                None => self.environment.resolve(api),
            };
            if let Ok(url) = &base {
                reqwest::Url::parse(url)
                    .map_err(|e| BuildError::InvalidBaseUrl { url: url.clone(), reason: e.to_string() })?;
            }
            bases.push(base.map(|b| b.trim_end_matches('/').to_string()));
        }
        let provider = match (self.provider, self.jwt_bearer) {
            (Some(p), _) => Some(p),
            (None, Some(config)) => {
                Some(Arc::new(crate::client::oauth2::JwtBearer::new(config, http.clone())) as Arc<dyn TokenProvider>)
            }
            (None, None) => None,
        };
        Ok(C::from_core(ClientCore {
            inner: Arc::new(Inner {
                http,
                bases,
                provider,
                timeout: self.timeout,
                retry: self.retry,
                max_response_bytes: self.max_response_bytes,
            }),
        }))
    }
}

fn tls_config(
    identity: Option<&(Vec<u8>, zeroize::Zeroizing<Vec<u8>>)>,
    roots: Option<&[u8]>,
) -> Result<rustls::ClientConfig, BuildError> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls = |e: &dyn fmt::Display| BuildError::Tls(e.to_string());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?;
    let builder = match roots {
        Some(pem) => {
            let mut store = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem) {
                store.add(cert.map_err(|e| tls(&e))?).map_err(|e| tls(&e))?;
            }
            builder.with_root_certificates(store)
        }
        None => {
            let verifier = rustls_platform_verifier::Verifier::new(provider).map_err(|e| tls(&e))?;
            builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier))
        }
    };
    match identity {
        Some((chain, key)) => {
            let certs = CertificateDer::pem_slice_iter(chain).collect::<Result<Vec<_>, _>>().map_err(|e| tls(&e))?;
            // The PEM parser's errors never quote key material.
            let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| tls(&e))?;
            builder.with_client_auth_cert(certs, key).map_err(|e| tls(&e))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

/// What a generated client holds: the HTTP connection pool and TLS set-up, each API's base
/// URL, the token provider and the defaults of every call. Cheap to clone (an `Arc`),
/// `Send + Sync`.
#[derive(Clone)]
pub struct ClientCore {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    bases: Vec<Result<String, RequestError>>,
    provider: Option<Arc<dyn TokenProvider>>,
    timeout: Duration,
    retry: RetryPolicy,
    max_response_bytes: usize,
}

impl fmt::Debug for ClientCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCore")
            .field("bases", &self.inner.bases)
            .field("token_provider", &self.inner.provider.is_some())
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

impl ClientCore {
    /// The underlying HTTP client (shared connection pool and TLS set-up), for calls the specs
    /// do not describe.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The base URL `api` is called on (or why there is none).
    pub fn base_url<A: ApiSet>(&self, api: A) -> Result<&str, RequestError> {
        match self.inner.bases.get(api.index()) {
            Some(Ok(base)) => Ok(base),
            Some(Err(e)) => Err(e.clone()),
            None => Err(RequestError::NoServer { api: api.module(), environment: String::new() }),
        }
    }
}

/// A successful answer: the typed body of the declared success status, the status itself and
/// the correlation id that was sent.
#[derive(Clone, Debug, PartialEq)]
pub struct Response<T> {
    status: u16,
    correlation_id: String,
    body: T,
}

impl<T> Response<T> {
    /// The HTTP status (useful where the spec declares a range such as `2XX`).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `x-correlation-id` that was sent.
    pub fn correlation_id(&self) -> &str {
        &self.correlation_id
    }

    /// The body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The body, by value.
    pub fn into_body(self) -> T {
        self.body
    }
}

/// The member a serde error is about, when its message names one the type declares (`missing
/// field` / `duplicate field`): (`"missing"` or `"repeated"`, its name). Other messages may quote
/// the body, so nothing else is taken from them.
fn member_named_by(error: &serde_json::Error) -> Option<(&'static str, String)> {
    let message = error.to_string();
    let (what, rest) = if let Some(rest) = message.strip_prefix("missing field `") {
        ("missing", rest)
    } else {
        ("repeated", message.strip_prefix("duplicate field `")?)
    };
    // serde writes these two messages only with the names of the type's own fields.
    let name = rest.split('`').next()?;
    Some((what, name.to_string()))
}

/// Headers the client sets itself, which [`Call::extra_header`] refuses: the bearer token, the
/// body's framing and type, the host, and the correlation id (which has its own setter).
pub const RESERVED_HEADERS: &[&str] =
    &["authorization", "content-length", "content-type", "host", "transfer-encoding", "x-correlation-id"];

/// One call being prepared by a generated operation builder.
pub struct Call<'c> {
    core: &'c ClientCore,
    base: usize,
    operation: &'static str,
    method: reqwest::Method,
    auth: bool,
    path: String,
    query: String,
    headers: Vec<(&'static str, String)>,
    extra_headers: Vec<(HeaderName, HeaderValue)>,
    cookies: String,
    correlation_id: Option<String>,
    body: Option<(Bytes, &'static str)>,
    problem: Option<RequestError>,
    timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
}

impl<'c> Call<'c> {
    /// A call of `operation` (`module.operation`, for errors and tracing) on `api`; `auth`
    /// says whether it carries the bearer token.
    pub fn new<A: ApiSet>(core: &'c ClientCore, api: A, operation: &'static str, method: Method, auth: bool) -> Self {
        Call {
            core,
            base: api.index(),
            operation,
            method,
            auth,
            path: String::with_capacity(96),
            query: String::new(),
            headers: Vec::new(),
            extra_headers: Vec::new(),
            cookies: String::new(),
            correlation_id: None,
            body: None,
            problem: None,
            timeout: None,
            retry: None,
        }
    }

    /// A literal piece of the path template, kept as written (`/operations:suspend`).
    pub fn literal(&mut self, text: &str) {
        self.path.push_str(text);
    }

    /// A path parameter, percent-encoded as one segment.
    pub fn param(&mut self, name: &'static str, value: &dyn fmt::Display) {
        let text = value.to_string();
        if text == "." || text == ".." {
            self.problem.get_or_insert(RequestError::DotSegment { parameter: name });
        }
        let _ = write!(self.path, "{}", utf8_percent_encode(&text, ENCODE));
    }

    /// A query parameter (`form` style, `explode`: repeated for each item).
    pub fn query(&mut self, name: &'static str, value: &dyn fmt::Display) {
        if !self.query.is_empty() {
            self.query.push('&');
        }
        let text = value.to_string();
        let _ = write!(self.query, "{}={}", utf8_percent_encode(name, ENCODE), utf8_percent_encode(&text, ENCODE));
    }

    /// An array path parameter in `style` `simple` (`a,b`), `label` (`.a.b` exploded, `.a,b`
    /// not) or `matrix` (`;name=a;name=b` exploded, `;name=a,b` not): each item percent-encoded,
    /// the delimiters as they are.
    pub fn param_items<I>(&mut self, name: &'static str, style: PathStyle, explode: bool, items: I)
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        let start = self.path.len();
        let encoded_name = utf8_percent_encode(name, ENCODE).to_string();
        let (prefix, separator) = match (style, explode) {
            (PathStyle::Simple, _) => (String::new(), ",".to_string()),
            (PathStyle::Label, false) => (".".to_string(), ",".to_string()),
            (PathStyle::Label, true) => (".".to_string(), ".".to_string()),
            (PathStyle::Matrix, false) => (format!(";{encoded_name}="), ",".to_string()),
            (PathStyle::Matrix, true) => (format!(";{encoded_name}="), format!(";{encoded_name}=")),
        };
        self.path.push_str(&prefix);
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.path.push_str(&separator);
            }
            let _ = write!(self.path, "{}", utf8_percent_encode(&item.to_string(), ENCODE));
        }
        if matches!(&self.path[start..], "." | "..") {
            self.problem.get_or_insert(RequestError::DotSegment { parameter: name });
        }
    }

    /// An array query parameter sent as one value, its items joined by `separator` (`,` for
    /// `form` without `explode`, ` ` for `spaceDelimited`, `|` for `pipeDelimited`).
    pub fn query_joined<I>(&mut self, name: &'static str, separator: char, items: I)
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        self.query(name, &joined(items, separator));
    }

    /// An array header, its items joined by `,` (`simple`).
    pub fn header_items<I>(&mut self, name: &'static str, items: I)
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        self.header(name, &joined(items, ','));
    }

    /// An array cookie, its items percent-encoded and joined by `,` (`form`).
    pub fn cookie_items<I>(&mut self, name: &'static str, items: I)
    where
        I: IntoIterator,
        I::Item: fmt::Display,
    {
        let encoded: Vec<String> =
            items.into_iter().map(|item| utf8_percent_encode(&item.to_string(), ENCODE).to_string()).collect();
        self.push_cookie(name, encoded.join(","));
    }

    /// A path parameter that is an object, a map or a `oneOf`/`anyOf` (or is sent as JSON
    /// text), written in its `style` (see [`crate::style`]): keys and values percent-encoded,
    /// the delimiters as they are.
    pub fn param_value<T: serde::Serialize + ?Sized>(&mut self, name: &'static str, style: Style, value: &T) {
        let Some(value) = self.value_of(name, value) else { return };
        let encoded_name = utf8_percent_encode(name, ENCODE).to_string();
        let encode = |s: &str| utf8_percent_encode(s, ENCODE).to_string();
        if let Some(text) = style::write::one_text(&encoded_name, style, &value, &encode) {
            if matches!(text.as_str(), "." | "..") {
                self.problem.get_or_insert(RequestError::DotSegment { parameter: name });
            }
            self.path.push_str(&text);
        }
    }

    /// A query parameter that is an object, a map or a `oneOf`/`anyOf` (or is sent as JSON
    /// text), in its `style`: one or more pairs (`form` with `explode` spreads an object's
    /// members, `deepObject` writes `name[key]=value`); nothing for a `null`.
    pub fn query_value<T: serde::Serialize + ?Sized>(&mut self, name: &'static str, style: Style, value: &T) {
        let Some(value) = self.value_of(name, value) else { return };
        for (key, text) in style::write::query_pairs(name, style, &value) {
            if !self.query.is_empty() {
                self.query.push('&');
            }
            let _ = write!(self.query, "{}={}", utf8_percent_encode(&key, ENCODE), utf8_percent_encode(&text, ENCODE));
        }
    }

    /// A header that is an object, a map or a `oneOf`/`anyOf` (or is sent as JSON text), in
    /// `style` `simple`.
    pub fn header_value<T: serde::Serialize + ?Sized>(&mut self, name: &'static str, style: Style, value: &T) {
        let Some(value) = self.value_of(name, value) else { return };
        if let Some(text) = style::write::one_text(name, style, &value, &|s| s.to_string()) {
            self.headers.push((name, text));
        }
    }

    /// A cookie that is an object, a map or a `oneOf`/`anyOf` (or is sent as JSON text): keys
    /// and values percent-encoded, joined by `,`.
    pub fn cookie_value<T: serde::Serialize + ?Sized>(&mut self, name: &'static str, style: Style, value: &T) {
        let Some(value) = self.value_of(name, value) else { return };
        let encode = |s: &str| utf8_percent_encode(s, ENCODE).to_string();
        if let Some(text) = style::write::one_text(name, style, &value, &encode) {
            self.push_cookie(name, text);
        }
    }

    /// The JSON form of a parameter's value, which the styles write; `None` (and the call
    /// refused) when it has none.
    fn value_of<T: serde::Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> Option<serde_json::Value> {
        match serde_json::to_value(value) {
            Ok(value) => Some(value),
            Err(e) => {
                self.problem.get_or_insert(RequestError::Parameter { parameter: name, reason: e.to_string() });
                None
            }
        }
    }

    /// A header parameter.
    pub fn header(&mut self, name: &'static str, value: &dyn fmt::Display) {
        self.headers.push((name, value.to_string()));
    }

    /// A header the caller adds to this call only (`Prefer`, an idempotency key, …), sent after
    /// the declared ones. An invalid name or value, or a header the client sets itself
    /// ([`RESERVED_HEADERS`]), makes the call fail with a [`RequestError`] before anything is sent.
    pub fn extra_header<N, V>(&mut self, name: N, value: V)
    where
        HeaderName: TryFrom<N>,
        HeaderValue: TryFrom<V>,
    {
        let Ok(name) = HeaderName::try_from(name) else {
            self.problem.get_or_insert(RequestError::InvalidExtraHeader { header: None });
            return;
        };
        if RESERVED_HEADERS.contains(&name.as_str()) {
            self.problem.get_or_insert(RequestError::ReservedHeader { header: name.as_str().to_string() });
            return;
        }
        match HeaderValue::try_from(value) {
            Ok(value) => self.extra_headers.push((name, value)),
            Err(_) => {
                self.problem
                    .get_or_insert(RequestError::InvalidExtraHeader { header: Some(name.as_str().to_string()) });
            }
        }
    }

    /// A cookie parameter.
    pub fn cookie(&mut self, name: &'static str, value: &dyn fmt::Display) {
        let text = value.to_string();
        self.push_cookie(name, utf8_percent_encode(&text, ENCODE));
    }

    /// `name=value` onto the `Cookie` header, `value` already encoded.
    fn push_cookie(&mut self, name: &str, encoded: impl fmt::Display) {
        if !self.cookies.is_empty() {
            self.cookies.push_str("; ");
        }
        let _ = write!(self.cookies, "{name}={encoded}");
    }

    /// The caller's `x-correlation-id`. One that HTTP does not allow in a header (a line
    /// break, say) is refused before anything is sent, and kept only in escaped form, so that
    /// neither the error nor the `tracing` span can carry it raw into a log.
    pub fn correlation_id(&mut self, value: &dyn fmt::Display) {
        let text = value.to_string();
        if HeaderValue::from_str(&text).is_ok() {
            self.correlation_id = Some(text);
        } else {
            self.problem.get_or_insert(RequestError::InvalidHeader { header: CORRELATION_ID_HEADER });
            self.correlation_id = Some(text.escape_default().to_string());
        }
    }

    /// A JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(&mut self, body: &T) {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body = Some((Bytes::from(bytes), "application/json")),
            Err(e) => {
                self.problem.get_or_insert(RequestError::Body(format!("{:?} error", e.classify())));
            }
        }
    }

    /// An `application/x-www-form-urlencoded` body.
    pub fn form<T: serde::Serialize + ?Sized>(&mut self, body: &T) {
        match serde_urlencoded::to_string(body) {
            Ok(text) => self.body = Some((Bytes::from(text), "application/x-www-form-urlencoded")),
            Err(e) => {
                self.problem.get_or_insert(RequestError::Body(e.to_string()));
            }
        }
    }

    /// A body passed as bytes in another media type.
    pub fn bytes(&mut self, body: Vec<u8>, content_type: &'static str) {
        self.body = Some((Bytes::from(body), content_type));
    }

    /// Per-call timeout of each attempt (overrides the client's).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = Some(timeout);
    }

    /// Per-call retry policy (overrides the client's).
    pub fn set_retry(&mut self, policy: RetryPolicy) {
        self.retry = Some(policy);
    }

    /// Send the request (with retries) and read the whole answer.
    pub async fn execute(self) -> Result<RawResponse, Failure> {
        let correlation_id = self.correlation_id.clone().unwrap_or_else(new_correlation_id);
        let span = tracing::info_span!(
            "d1.call",
            operation = self.operation,
            method = self.method.as_str(),
            correlation_id = correlation_id.as_str(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let operation = self.operation;
        let result = self.run(correlation_id).instrument(span.clone()).await;
        let (status, attempts) = match &result {
            Ok(raw) => (Some(raw.status), raw.attempts),
            Err(e) => (e.status(), e.attempts()),
        };
        if let Some(status) = status {
            span.record("status", status);
        }
        span.record("attempts", attempts);
        span.record("latency_ms", u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
        if let Err(e) = &result {
            let _entered = span.enter();
            tracing::debug!(operation, error = %ErrorSummary(e), "call failed");
        }
        result.map_err(Failure)
    }

    async fn run(self, correlation_id: String) -> Result<RawResponse, Error<Infallible>> {
        let inner = &*self.core.inner;
        let operation = self.operation;
        let fail = |kind: ErrorKind<Infallible>, attempts: u32, status: Option<u16>| {
            let mut e = Error::new(operation, correlation_id.clone(), kind);
            let d = e.details_mut();
            d.attempts = attempts;
            d.status = status;
            e
        };
        if let Some(problem) = self.problem {
            return Err(fail(ErrorKind::InvalidRequest(problem), 0, None));
        }
        let base = match inner.bases.get(self.base) {
            Some(Ok(base)) => base.as_str(),
            Some(Err(e)) => return Err(fail(ErrorKind::InvalidRequest(e.clone()), 0, None)),
            None => {
                return Err(fail(ErrorKind::InvalidRequest(RequestError::InvalidUrl("unknown API".into())), 0, None))
            }
        };
        let mut url = String::with_capacity(base.len() + self.path.len() + self.query.len() + 1);
        url.push_str(base);
        url.push_str(&self.path);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
        }
        let url = match reqwest::Url::parse(&url) {
            Ok(url) => url,
            Err(e) => return Err(fail(ErrorKind::InvalidRequest(RequestError::InvalidUrl(e.to_string())), 0, None)),
        };
        let mut headers = HeaderMap::with_capacity(4 + self.headers.len() + self.extra_headers.len());
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        match HeaderValue::from_str(&correlation_id) {
            Ok(v) => headers.insert(HeaderName::from_static(CORRELATION_ID_HEADER), v),
            Err(_) => {
                let e = RequestError::InvalidHeader { header: CORRELATION_ID_HEADER };
                return Err(fail(ErrorKind::InvalidRequest(e), 0, None));
            }
        };
        for (name, value) in &self.headers {
            let (Ok(n), Ok(mut v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) else {
                return Err(fail(ErrorKind::InvalidRequest(RequestError::InvalidHeader { header: name }), 0, None));
            };
            v.set_sensitive(n == AUTHORIZATION);
            headers.append(n, v);
        }
        for (name, value) in &self.extra_headers {
            headers.append(name.clone(), value.clone());
        }
        if !self.cookies.is_empty() {
            match HeaderValue::from_str(&self.cookies) {
                Ok(v) => headers.insert(reqwest::header::COOKIE, v),
                Err(_) => {
                    return Err(fail(
                        ErrorKind::InvalidRequest(RequestError::InvalidHeader { header: "cookie" }),
                        0,
                        None,
                    ))
                }
            };
        }
        if let Some((_, content_type)) = &self.body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        let policy = self.retry.as_ref().unwrap_or(&inner.retry);
        let timeout = self.timeout.unwrap_or(inner.timeout);
        let repeatable = is_idempotent(&self.method) || policy.non_idempotent;
        let mut attempt = 0u32;
        let mut reauthorized = false;
        let mut next_token: Option<AccessToken> = None;
        loop {
            attempt += 1;
            let token = match (self.auth, next_token.take()) {
                (false, _) => None,
                (true, Some(token)) => Some(token),
                (true, None) => Some(self.token(inner).await.map_err(|e| fail(ErrorKind::Auth(e), attempt - 1, None))?),
            };
            let mut request =
                inner.http.request(self.method.clone(), url.clone()).headers(headers.clone()).timeout(timeout);
            if let Some(token) = &token {
                let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {}", token.secret())) else {
                    let e = RequestError::InvalidHeader { header: "authorization" };
                    return Err(fail(ErrorKind::InvalidRequest(e), attempt - 1, None));
                };
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
            if let Some((body, _)) = &self.body {
                request = request.body(body.clone());
            }
            let failure = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if status == 401
                        && !reauthorized
                        && let (Some(token), Some(provider)) = (&token, &inner.provider)
                    {
                        // The token was rejected, so the request had no effect: if the
                        // provider has a different token after forgetting this one, try
                        // once more with it (not counted as a retry).
                        reauthorized = true;
                        provider.invalidate(token);
                        if let Ok(fresh) = provider.token().await
                            && fresh != *token
                        {
                            tracing::debug!(attempt, "401: retrying once with a new token");
                            next_token = Some(fresh);
                            attempt -= 1;
                            continue;
                        }
                    }
                    if attempt < policy.max_attempts && repeatable && policy.statuses.contains(&status) {
                        let retry_after = response
                            .headers()
                            .get(RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(parse_retry_after);
                        if retry_after.is_none_or(|wait| wait <= policy.max_retry_after) {
                            let wait = policy.backoff(attempt).max(retry_after.unwrap_or(Duration::ZERO));
                            tracing::debug!(attempt, status, wait_ms = wait.as_millis() as u64, "retrying");
                            drop(response);
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                    }
                    match read_limited(response, inner.max_response_bytes).await {
                        Ok(Some(body)) => {
                            return Ok(RawResponse { operation, correlation_id, status, body, attempts: attempt });
                        }
                        Ok(None) => {
                            let limit = inner.max_response_bytes;
                            return Err(fail(ErrorKind::ResponseTooLarge { limit }, attempt, Some(status)));
                        }
                        Err(e) => (e, Some(status)),
                    }
                }
                Err(e) => (e, None),
            };
            let (error, status) = failure;
            let connect = error.is_connect();
            if attempt < policy.max_attempts && (connect || repeatable) {
                let wait = policy.backoff(attempt);
                tracing::debug!(
                    attempt,
                    connect,
                    timeout = error.is_timeout(),
                    wait_ms = wait.as_millis() as u64,
                    "retrying"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            let kind = if error.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Transport { connect, source: Box::new(error.without_url()) }
            };
            return Err(fail(kind, attempt, status));
        }
    }

    async fn token(&self, inner: &Inner) -> Result<AccessToken, TokenError> {
        match &inner.provider {
            Some(provider) => provider.token().await,
            None => Err(TokenError::new(TokenErrorKind::NoProvider)),
        }
    }
}

/// The whole body, or `None` as soon as it is known to exceed `limit` bytes (from its
/// `Content-Length`, or while reading): a hostile or broken server cannot make the client
/// buffer more than `limit`.
async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Option<Bytes>, reqwest::Error> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(None);
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.freeze()))
}

/// `Display` of an error without its type parameter's `Debug`.
struct ErrorSummary<'a>(&'a Error<Infallible>);

impl fmt::Display for ErrorSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}

/// The whole answer to a call, before the generated code types it by status.
#[derive(Debug)]
pub struct RawResponse {
    operation: &'static str,
    correlation_id: String,
    status: u16,
    body: Bytes,
    attempts: u32,
}

impl RawResponse {
    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body as the declared JSON type.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Failure> {
        // serde_json's messages can quote the body; keep only where and what kind, and the name
        // of a missing or repeated member, which comes from the type, not from the body.
        let describe = |e: &serde_json::Error, path: &str| {
            let member = member_named_by(e).map(|(what, name)| format!(": {what} member `{name}`")).unwrap_or_default();
            format!("{:?} error at line {}, column {} (JSON path `{path}`){member}", e.classify(), e.line(), e.column())
        };
        let mut de = serde_json::Deserializer::from_slice(&self.body);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let reason = describe(e.inner(), &e.path().to_string());
            Failure(self.error(ErrorKind::InvalidBody { reason }))
        })?;
        de.end().map_err(|e| Failure(self.error(ErrorKind::InvalidBody { reason: describe(&e, ".") })))?;
        Ok(value)
    }

    /// The body as bytes (media types the generator does not model).
    pub fn bytes(&self) -> Vec<u8> {
        self.body.to_vec()
    }

    /// A success.
    pub fn ok<T>(self, body: T) -> Response<T> {
        Response { status: self.status, correlation_id: self.correlation_id, body }
    }

    /// A declared error response.
    pub fn declared<E>(&self, error: E) -> Error<E> {
        self.error(ErrorKind::Declared(error))
    }

    /// A status the spec does not declare.
    pub fn undeclared<E>(&self) -> Error<E> {
        self.error(ErrorKind::UndeclaredStatus)
    }

    fn error<E>(&self, kind: ErrorKind<E>) -> Error<E> {
        let keep = !matches!(kind, ErrorKind::Declared(_));
        let mut e = Error::new(self.operation, self.correlation_id.clone(), kind);
        let d = e.details_mut();
        d.status = Some(self.status);
        d.attempts = self.attempts;
        if keep {
            d.body = self.body[..self.body.len().min(KEPT_BODY)].to_vec();
        }
        e
    }
}

/// A fresh random correlation id: 32 lowercase hex digits (128 bits from the operating
/// system's generator). It matches every `x-correlation-id` pattern of the D1 specs and is
/// never derived from the request.
pub fn new_correlation_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness (should not happen): fall back to a process-unique, non-personal value.
        let n = FALLBACK.fetch_add(1, Ordering::Relaxed);
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        bytes[..8].copy_from_slice(&t.to_le_bytes());
        bytes[8..].copy_from_slice(&n.to_le_bytes());
    }
    let mut id = String::with_capacity(32);
    for b in bytes {
        let _ = write!(id, "{b:02x}");
    }
    id
}

static FALLBACK: AtomicU64 = AtomicU64::new(0);

/// A random number for backoff jitter (not for secrets).
pub(crate) fn random_u64() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        let n = FALLBACK.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        n ^ (n >> 31)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-API client, for building calls.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct OneApi;

    impl ApiSet for OneApi {
        const ALL: &'static [Self] = &[OneApi];
        fn index(self) -> usize {
            0
        }
        fn module(self) -> &'static str {
            "one"
        }
        fn servers(self) -> &'static [Server] {
            &[]
        }
    }

    struct OneClient(ClientCore);

    impl GeneratedClient for OneClient {
        type Api = OneApi;
        fn from_core(core: ClientCore) -> Self {
            OneClient(core)
        }
    }

    fn with_call(write: impl FnOnce(&mut Call<'_>)) -> (String, String, Vec<(&'static str, String)>, String) {
        let client = ClientBuilder::<OneClient>::new(Environment::url("http://127.0.0.1:9")).build().expect("client");
        let mut call = Call::new(&client.0, OneApi, "one.test", Method::GET, false);
        write(&mut call);
        assert!(call.problem.is_none(), "{:?}", call.problem);
        (call.path, call.query, call.headers, call.cookies)
    }

    #[test]
    fn path_items_in_each_style() {
        let path = |style, explode| with_call(|c| c.param_items("p", style, explode, ["a b", "c"])).0;
        assert_eq!(path(PathStyle::Simple, false), "a%20b,c");
        assert_eq!(path(PathStyle::Simple, true), "a%20b,c");
        assert_eq!(path(PathStyle::Label, false), ".a%20b,c");
        assert_eq!(path(PathStyle::Label, true), ".a%20b.c");
        assert_eq!(path(PathStyle::Matrix, false), ";p=a%20b,c");
        assert_eq!(path(PathStyle::Matrix, true), ";p=a%20b;p=c");
        // The delimiters inside an item are encoded, so they cannot split it.
        assert_eq!(with_call(|c| c.param_items("p", PathStyle::Simple, false, ["x,y", "z/"])).0, "x%2Cy,z%2F");
    }

    #[test]
    fn a_path_item_list_that_is_a_dot_segment_is_refused() {
        let client = ClientBuilder::<OneClient>::new(Environment::url("http://127.0.0.1:9")).build().expect("client");
        let mut call = Call::new(&client.0, OneApi, "one.test", Method::GET, false);
        call.param_items("p", PathStyle::Simple, false, [".."]);
        assert!(matches!(call.problem, Some(RequestError::DotSegment { parameter: "p" })), "{:?}", call.problem);
    }

    #[test]
    fn joined_query_header_and_cookie_items() {
        let (_, query, headers, cookies) = with_call(|c| {
            c.query_joined("f", ',', [1, 2]);
            c.query_joined("s", ' ', ["a", "b"]);
            c.query_joined("p", '|', ["a", "b"]);
            c.header_items("x-h", ["a", "b"]);
            c.cookie_items("k", ["a b", "c"]);
        });
        assert_eq!(query, "f=1%2C2&s=a%20b&p=a%7Cb");
        assert_eq!(headers, [("x-h", "a,b".to_string())]);
        assert_eq!(cookies, "k=a%20b,c");
    }
}
