//! What every generated router shares: the error type implementations return, the bearer
//! token, the per-request checks that run before an implementation is called, and the
//! responses the router gives on its own (400, 401, 404, 405, 413, 415, 500).
//!
//! The generated handlers call into this module; a generated server crate re-exports the
//! items its users need ([`ApiError`], [`BearerToken`], [`Config`], …).

pub use axum;

use crate::style::read::{Styled, Text};
use crate::style::Style;
use axum::body::Body;
use axum::http::header::{HeaderMap, HeaderName, HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::task::Poll;

/// The request header D1 uses to correlate a call across systems.
pub const CORRELATION_ID: &str = "x-correlation-id";

/// [`CORRELATION_ID`] as a header name, so that looking it up parses nothing.
const CORRELATION_ID_HEADER: HeaderName = HeaderName::from_static(CORRELATION_ID);

/// How a router treats requests. [`Config::default`] is what [`router`](crate) functions use.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// Largest request body accepted, in bytes; larger ones get a 413. Default 256 KiB (D1's
    /// largest bodies — card orders with sealed card data — are a few KiB).
    pub body_limit: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { body_limit: 256 * 1024 }
    }
}

impl Config {
    /// The default configuration with another body limit.
    pub fn with_body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }
}

/// An implementation and its configuration, shared by all handlers of one router.
pub struct Shared<A> {
    /// The implementation of the API's trait.
    pub api: A,
    /// The router's options.
    pub config: Config,
}

// ----------------------------------------------------------------------------------------------
// Errors an implementation returns
// ----------------------------------------------------------------------------------------------

/// An error response that is not one of an operation's declared responses, with a D1-style
/// body: `{"errorCode": "...", "error": "..."}` (`errorCode` left out when there is none, as in
/// D1's error tables).
///
/// D1 publishes error responses for only some operations (see `specs/README.md`), yet a real
/// D1 answers an unknown id with a 404 everywhere. Return an `ApiError` for such cases; where an
/// operation declares the status with a typed body, prefer that variant of its response enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    error_code: Option<String>,
    message: String,
}

impl ApiError {
    /// An error with this status and human-readable text.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, error_code: None, message: message.into() }
    }

    /// Add a machine-readable `errorCode` (e.g. `UNKNOWN_CARD`).
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401 Unauthorized (the router sends it itself for a missing or malformed token; use this
    /// for a well-formed token the implementation does not accept).
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 403 Forbidden.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// 404 Not Found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 500 Internal Server Error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `errorCode`, if any.
    pub fn error_code(&self) -> Option<&str> {
        self.error_code.as_deref()
    }

    /// The human-readable text.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error_code {
            Some(code) => write!(f, "{} {code}: {}", self.status.as_u16(), self.message),
            None => write!(f, "{}: {}", self.status.as_u16(), self.message),
        }
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error_code: self.error_code.as_deref(), error: &self.message, errors: &[] };
        json_response(self.status, &body)
    }
}

/// The JSON of every error the router sends itself.
#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
    error: &'a str,
    #[serde(skip_serializing_if = "<[FieldViolation]>::is_empty")]
    errors: &'a [FieldViolation],
}

fn error_response(status: StatusCode, message: &str) -> Response {
    json_response(status, &ErrorBody { error_code: None, error: message, errors: &[] })
}

/// Serialize `body` as the JSON response; a body that cannot be serialized is a 500.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(error) => {
            tracing::error!(%error, "cannot serialize the response body");
            let mut response = Response::new(Body::from(
                r#"{"error":"Internal server error: the response body could not be serialized."}"#,
            ));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
    }
}

/// A response without a body.
pub fn empty_response(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// A response whose body is given as bytes in `content_type`.
pub fn bytes_response(status: StatusCode, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

// ----------------------------------------------------------------------------------------------
// Status codes of `2XX`-style responses
// ----------------------------------------------------------------------------------------------

/// A status code within one class, for responses the spec declares as a range (`2XX`): the
/// implementation chooses the concrete code. `CLASS` is the first digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatusClass<const CLASS: u16>(u16);

/// A `2XX` status.
pub type Status2xx = StatusClass<2>;

impl<const CLASS: u16> StatusClass<CLASS> {
    /// `Some` when `code` is in the class (e.g. 200..=299 for `StatusClass<2>`).
    pub const fn new(code: u16) -> Option<Self> {
        if code / 100 == CLASS && code >= 100 {
            Some(StatusClass(code))
        } else {
            None
        }
    }

    /// The code.
    pub const fn code(self) -> u16 {
        self.0
    }

    /// The code as an HTTP status.
    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl StatusClass<2> {
    /// 200 OK.
    pub const OK: Self = StatusClass(200);
    /// 201 Created.
    pub const CREATED: Self = StatusClass(201);
    /// 202 Accepted.
    pub const ACCEPTED: Self = StatusClass(202);
    /// 204 No Content.
    pub const NO_CONTENT: Self = StatusClass(204);
}

// ----------------------------------------------------------------------------------------------
// Bearer token
// ----------------------------------------------------------------------------------------------

/// The token of an `Authorization: Bearer …` header, checked for shape only (RFC 6750
/// `token68`): whether it is valid is the implementation's decision. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BearerToken {
    /// The whole header value (shared with the request, not copied).
    header: HeaderValue,
    /// Where the token starts in it.
    start: usize,
}

impl BearerToken {
    /// The token text.
    pub fn as_str(&self) -> &str {
        // Checked to be visible ASCII when parsed, so this never falls back.
        self.header.to_str().ok().and_then(|h| h.get(self.start..)).unwrap_or_default()
    }

    /// Parse the value of an `Authorization` header.
    pub fn from_header(value: &str) -> Option<Self> {
        Self::parse(HeaderValue::from_str(value).ok()?)
    }

    /// `Bearer <token68>` (RFC 6750 §2.1): the scheme in any case, then one or more spaces, then
    /// the token. One pass over the bytes; what it accepts is visible ASCII throughout.
    fn parse(header: HeaderValue) -> Option<Self> {
        let bytes = header.as_bytes();
        let space = bytes.iter().position(|&b| b == b' ')?;
        if !bytes[..space].eq_ignore_ascii_case(b"bearer") {
            return None;
        }
        let start = space + bytes[space..].iter().take_while(|&&b| b == b' ').count();
        let token = &bytes[start..];
        let padding = token.iter().rev().take_while(|&&b| b == b'=').count();
        let body = &token[..token.len() - padding];
        let token68 = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        if body.is_empty() || !body.iter().all(token68) {
            return None;
        }
        Some(BearerToken { header, start })
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

/// The bearer token of a request (`None`: missing or malformed).
pub fn bearer(headers: &HeaderMap) -> Option<BearerToken> {
    headers.get(axum::http::header::AUTHORIZATION).cloned().and_then(BearerToken::parse)
}

/// The 401 for a missing or malformed bearer token.
pub fn unauthorized() -> Response {
    let mut response =
        error_response(StatusCode::UNAUTHORIZED, "The Authorization header is missing or is not a bearer token.");
    response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

// ----------------------------------------------------------------------------------------------
// Collected violations → 400
// ----------------------------------------------------------------------------------------------

/// Where a rejected value was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum In {
    /// A path parameter.
    Path,
    /// A query parameter.
    Query,
    /// A header.
    Header,
    /// A cookie.
    Cookie,
    /// The request body (the field is a JSON Pointer into it).
    Body,
}

/// One rejected value of a request: where, which field (a parameter name, or a JSON Pointer
/// into the body) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldViolation {
    #[serde(rename = "in")]
    /// Where the invalid input is.
    pub location: In,
    /// The parameter name, or the JSON Pointer of the body member.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Every violation of one request, so that a single 400 reports them all.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Violations(Vec::new())
    }

    /// Whether the request is valid so far.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Record one violation.
    pub fn push(&mut self, location: In, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldViolation { location, field: field.into(), message: message.into() });
    }

    /// A repeated (array) parameter: every value must parse.
    pub fn repeated<T>(
        &mut self,
        location: In,
        name: &str,
        raw: &[&str],
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<Vec<T>> {
        let before = self.0.len();
        let values: Vec<T> = raw.iter().filter_map(|r| self.parsed(location, name, r, parse)).collect();
        (self.0.len() == before).then_some(values)
    }

    /// A parameter written in a `style` (an object, a map, a union, JSON text): `None` when it
    /// is missing (a violation if `required`) or when `parse` finds it invalid (a violation).
    pub fn styled<T>(
        &mut self,
        location: In,
        name: &str,
        style: Style,
        text: Option<Text<'_>>,
        required: bool,
        parse: impl FnOnce(&Styled<'_>) -> Result<T, String>,
    ) -> Option<T> {
        let Some(text) = text else {
            if required {
                self.push(location, name, "is required");
            }
            return None;
        };
        match parse(&Styled::new(name, style, text)) {
            Ok(value) => Some(value),
            Err(message) => {
                self.push(location, name, message);
                None
            }
        }
    }

    /// A parameter written in a `style` that has a default (its JSON text), read in place of
    /// the missing parameter.
    pub fn styled_or<T>(
        &mut self,
        location: In,
        name: &str,
        style: Style,
        text: Option<Text<'_>>,
        default: &str,
        parse: impl FnOnce(&Styled<'_>) -> Result<T, String>,
    ) -> Option<T> {
        let (style, text) = match text {
            Some(text) => (style, text),
            None => (Style::Json, Text::from(default)),
        };
        self.styled(location, name, style, Some(text), true, parse)
    }

    /// The items of a list newtype, checked by its constructor; when they break its
    /// constraints, `None` and a violation.
    pub fn list<T, L>(&mut self, location: In, name: &str, items: Vec<T>) -> Option<L>
    where
        L: TryFrom<Vec<T>>,
        L::Error: fmt::Display,
    {
        match L::try_from(items) {
            Ok(list) => Some(list),
            Err(e) => {
                self.push(location, name, e.to_string());
                None
            }
        }
    }

    fn parsed<T>(&mut self, location: In, name: &str, raw: &str, parse: fn(&str) -> Result<T, String>) -> Option<T> {
        self.checked(location, name, parse(raw))
    }

    /// The value of a parse, or `None` and its message as a violation.
    fn checked<T>(&mut self, location: In, name: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.push(location, name, message);
                None
            }
        }
    }

    /// The 400 with every violation.
    pub fn response(&self) -> Response {
        let message = match self.0.len() {
            1 => "The request is invalid: 1 violation.".to_string(),
            n => format!("The request is invalid: {n} violations."),
        };
        json_response(StatusCode::BAD_REQUEST, &ErrorBody { error_code: None, error: &message, errors: &self.0 })
    }
}

/// Parse a parameter with the type's own `FromStr` (the validated newtypes of the types crate).
pub fn parse_from_str<T>(raw: &str) -> Result<T, String>
where
    T: std::str::FromStr,
    T::Err: fmt::Display,
{
    raw.parse::<T>().map_err(|e| e.to_string())
}

/// Parse a parameter as text (always succeeds).
pub fn parse_string(raw: &str) -> Result<String, String> {
    Ok(raw.to_string())
}

/// Parse a parameter as a 64-bit integer.
pub fn parse_i64(raw: &str) -> Result<i64, String> {
    raw.parse().map_err(|e| integer_error(&e, raw, i64::MIN.into(), i64::MAX.into()))
}

/// "not an integer", or — for digits that do not fit — "out of range", with the range.
fn integer_error(error: &std::num::ParseIntError, raw: &str, min: i128, max: i128) -> String {
    use std::num::IntErrorKind::{NegOverflow, PosOverflow};
    let shown: String = raw.chars().take(40).collect();
    match error.kind() {
        PosOverflow | NegOverflow => format!("is out of range {min}..={max} (value {shown:?})"),
        _ => format!("is not an integer (value {shown:?})"),
    }
}

/// Parse a parameter as a 32-bit integer.
pub fn parse_i32(raw: &str) -> Result<i32, String> {
    raw.parse().map_err(|e| integer_error(&e, raw, i32::MIN.into(), i32::MAX.into()))
}

/// Parse a parameter as a finite number.
pub fn parse_f64(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(n),
        _ => Err(format!("is not a number (value {raw:?})")),
    }
}

/// Parse a parameter as `true` or `false`.
pub fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("is not `true` or `false` (value {raw:?})")),
    }
}

/// A parameter of a structured type, sent as JSON text.
pub fn parse_json_as<T: DeserializeOwned>(raw: &str) -> Result<T, String> {
    serde_json::from_str(raw).map_err(|e| format!("is not valid: {e}"))
}

/// Any JSON text (parameters the generator does not model more closely).
pub fn parse_json(raw: &str) -> Result<Value, String> {
    serde_json::from_str(raw).map_err(|e| format!("is not valid JSON: {e}"))
}

// ----------------------------------------------------------------------------------------------
// Reading parameters
// ----------------------------------------------------------------------------------------------

/// Path parameters (percent-decoded by axum); a parameter that is not UTF-8 once decoded is a
/// violation. Read in place: nothing is copied.
#[derive(Debug)]
pub struct PathParams(Option<axum::extract::RawPathParams>);

impl PathParams {
    /// The path parameters axum matched; a violation when they cannot be read.
    pub fn new(
        params: Result<axum::extract::RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
        violations: &mut Violations,
    ) -> Self {
        match params {
            Ok(params) => PathParams(Some(params)),
            Err(rejection) => {
                violations.push(In::Path, "", rejection.body_text());
                PathParams(None)
            }
        }
    }

    /// The parameter's decoded value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.as_ref()?.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
    }
}

/// Query parameters, decoded (`+` is a space). Unknown parameters are ignored, as D1's
/// compatibility rules ask of both sides. Values that need no decoding are borrowed from the URI.
pub struct QueryParams<'q>(Vec<(Cow<'q, str>, Cow<'q, str>)>);

/// Shows the parameter names only: values may be secrets.
impl fmt::Debug for QueryParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryParams").field("names", &self.0.iter().map(|(name, _)| name).collect::<Vec<_>>()).finish()
    }
}

impl<'q> QueryParams<'q> {
    /// Decode a query string (`None` when the URI has none), as
    /// `application/x-www-form-urlencoded`: pairs split on `&`, name and value on the first `=`,
    /// `+` is a space, `%XX` a byte, invalid UTF-8 replaced. Names and values with nothing to
    /// decode are borrowed, not copied.
    pub fn parse(query: Option<&'q str>) -> Self {
        // Byte searches: the separators are ASCII, so every index found is a char boundary.
        let mut pairs = Vec::new();
        let mut rest = query.unwrap_or("");
        while !rest.is_empty() {
            let end = rest.bytes().position(|b| b == b'&').unwrap_or(rest.len());
            let (pair, after) = rest.split_at(end);
            rest = after.get(1..).unwrap_or("");
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match pair.bytes().position(|b| b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, ""),
            };
            pairs.push((form_decode(name), form_decode(value)));
        }
        QueryParams(pairs)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_ref())
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_ref()).collect()
    }
}

/// A `deepObject` parameter: its `name[key]…=value` pairs as a tree (or a plain `name=value`);
/// `None` when there are none.
pub fn query_deep<'a>(query: &'a QueryParams<'_>, name: &str) -> Option<Text<'a>> {
    Text::deep(name, query.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
}

/// An object parameter in `form` style with `explode`, whose members are query parameters of
/// their own: the pairs named by `keys`; failing those, the value of `name` itself (a scalar
/// variant of a union); `None` when neither is there.
pub fn query_members<'a>(query: &'a QueryParams<'_>, name: &str, keys: &[&str]) -> Option<Text<'a>> {
    let members: Vec<(Cow<'a, str>, Text<'a>)> = query
        .0
        .iter()
        .filter(|(k, _)| keys.contains(&k.as_ref()))
        .map(|(k, v)| (Cow::Borrowed(k.as_ref()), Text::from(v.as_ref())))
        .collect();
    if members.is_empty() {
        query.get(name).map(Text::from)
    } else {
        Some(Text::Map(members))
    }
}

/// A map parameter in `form` style with `explode`: every query pair whose name is not one of
/// `declared` (the operation's other query parameters); `None` when there is none.
pub fn query_rest<'a>(query: &'a QueryParams<'_>, declared: &[&str]) -> Option<Text<'a>> {
    let members: Vec<(Cow<'a, str>, Text<'a>)> = query
        .0
        .iter()
        .filter(|(k, _)| !declared.contains(&k.as_ref()))
        .map(|(k, v)| (Cow::Borrowed(k.as_ref()), Text::from(v.as_ref())))
        .collect();
    (!members.is_empty()).then_some(Text::Map(members))
}

/// One form-encoded name or value, decoded; borrowed when there is nothing to decode.
fn form_decode(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(|b| b == b'+' || b == b'%') {
        return Cow::Borrowed(text);
    }
    let spaced = text.replace('+', " ");
    Cow::Owned(percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
}

/// A header as text; a value that is not visible ASCII is a violation.
pub fn header<'a>(headers: &'a HeaderMap, name: &str, violations: &mut Violations) -> Option<&'a str> {
    let value = headers.get(name)?;
    match value.to_str() {
        Ok(text) => Some(text),
        Err(_) => {
            violations.push(In::Header, name, "is not visible ASCII text");
            None
        }
    }
}

/// Every comma-separated item of a header (array-typed header parameters).
pub fn header_items<'a>(headers: &'a HeaderMap, name: &str, violations: &mut Violations) -> Vec<&'a str> {
    header(headers, name, violations).map(|v| v.split(',').map(str::trim).collect()).unwrap_or_default()
}

/// The items of an array parameter sent as one value: `raw` without its `prefix` (`.` for a
/// `label` path parameter, `;name=` for a `matrix` one, empty otherwise), split on `separator`.
/// A value without the prefix is a violation; a missing or empty value has no items.
pub fn split_items<'a>(
    raw: Option<&'a str>,
    prefix: &str,
    separator: &str,
    location: In,
    name: &str,
    violations: &mut Violations,
) -> Vec<&'a str> {
    let Some(raw) = raw else { return Vec::new() };
    match raw.strip_prefix(prefix) {
        Some("") => Vec::new(),
        Some(rest) => rest.split(separator).collect(),
        None => {
            violations.push(location, name, format!("does not start with `{prefix}`"));
            Vec::new()
        }
    }
}

/// A cookie's value.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

// ----------------------------------------------------------------------------------------------
// Request bodies
// ----------------------------------------------------------------------------------------------

/// How a body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// Read the body, at most `limit` bytes. `Ok(None)`: no body. `Err`: the 413 / 415 / 400 to send.
///
/// `accepted` lists the encodings the operation takes, the spec's first media type first; a
/// body without a `Content-Type` is read as the first.
pub async fn read_body(
    parts: &Parts,
    body: Body,
    limit: usize,
    accepted: &[Encoding],
) -> Result<Option<(Encoding, axum::body::Bytes)>, Response> {
    let declared =
        parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
            while let Some(e) = source {
                if e.is::<http_body_util::LengthLimitError>() {
                    return Err(too_large(limit));
                }
                source = e.source();
            }
            return Err(error_response(StatusCode::BAD_REQUEST, "The request body could not be read."));
        }
    };
    if bytes.is_empty() {
        return Ok(None);
    }
    let content_type = parts.headers.get(CONTENT_TYPE).map(|v| v.to_str().unwrap_or("?"));
    let encoding = match content_type {
        None => accepted.first().copied(),
        Some(ct) => {
            let essence = ct.split(';').next().unwrap_or("").trim();
            let is = |name: &str| essence.eq_ignore_ascii_case(name);
            let structured_json = essence.len() > "application/+json".len()
                && essence.get(.."application/".len()).is_some_and(|p| p.eq_ignore_ascii_case("application/"))
                && essence.get(essence.len() - "+json".len()..).is_some_and(|s| s.eq_ignore_ascii_case("+json"));
            let found = if is("application/json") || structured_json {
                Encoding::Json
            } else if is("application/x-www-form-urlencoded") {
                Encoding::Form
            } else {
                return Err(unsupported_media_type(accepted));
            };
            accepted.contains(&found).then_some(found)
        }
    };
    match encoding {
        Some(encoding) => Ok(Some((encoding, bytes))),
        None => Err(unsupported_media_type(accepted)),
    }
}

fn too_large(limit: usize) -> Response {
    error_response(StatusCode::PAYLOAD_TOO_LARGE, &format!("The request body is larger than {limit} bytes."))
}

fn unsupported_media_type(accepted: &[Encoding]) -> Response {
    let names: Vec<&str> = accepted
        .iter()
        .map(|e| match e {
            Encoding::Json => "application/json",
            Encoding::Form => "application/x-www-form-urlencoded",
        })
        .collect();
    error_response(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        &format!("The request body must be sent as {}.", names.join(" or ")),
    )
}

/// The body as a JSON value: JSON as sent, a form as an object of strings (first value of a
/// repeated key wins). Malformed input is a violation.
pub fn body_value(encoding: Encoding, bytes: &[u8], violations: &mut Violations) -> Option<Value> {
    match encoding {
        Encoding::Json => match serde_json::from_slice::<Value>(bytes) {
            Ok(value) => Some(value),
            Err(e) => {
                violations.push(In::Body, "", format!("is not valid JSON: {e}"));
                None
            }
        },
        Encoding::Form => {
            let mut map = Map::new();
            for (k, v) in form_urlencoded::parse(bytes) {
                map.entry(k.into_owned()).or_insert(Value::String(v.into_owned()));
            }
            Some(Value::Object(map))
        }
    }
}

/// The JSON kind a form field is converted to before checking.
#[derive(Clone, Copy, Debug)]
pub enum Scalar {
    /// An integer member.
    Integer,
    /// A number member.
    Number,
    /// A boolean member.
    Boolean,
}

/// Form fields arrive as text: turn the members the schema types as numbers or booleans into
/// JSON numbers or booleans (text that does not convert is left for the check to reject).
pub fn coerce_form(value: &mut Value, fields: &[(&str, Scalar)]) {
    let Value::Object(map) = value else { return };
    for (name, kind) in fields {
        let Some(slot) = map.get_mut(*name) else { continue };
        let Value::String(text) = slot else { continue };
        let converted = match kind {
            Scalar::Integer => text.parse::<i64>().ok().map(Value::from),
            Scalar::Number => text.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number),
            Scalar::Boolean => parse_bool(text).ok().map(Value::Bool),
        };
        if let Some(converted) = converted {
            *slot = converted;
        }
    }
}

/// The request body as `T`, every problem recorded in `violations`.
///
/// JSON that decodes straight into `T` and has no `null` in it is taken as it is: the checks
/// mirror the types' `Deserialize`, except that they refuse `null` in optional members the spec
/// does not mark nullable, which `Option` accepts — so for such a body they could only agree.
/// Anything else (a form, a `null`, a body that does not decode) takes the slow path: parsed to
/// a value, form fields coerced, walked by `check`, which records every violation with its
/// JSON Pointer, and only then converted.
pub fn checked_body<T: DeserializeOwned>(
    encoding: Encoding,
    bytes: &[u8],
    form_fields: &[(&str, Scalar)],
    check: impl FnOnce(&Value, &mut Checker),
    violations: &mut Violations,
) -> Option<T> {
    if encoding == Encoding::Json
        && !bytes.windows(4).any(|w| w == b"null")
        && let Ok(body) = serde_json::from_slice::<T>(bytes)
    {
        return Some(body);
    }
    let mut value = body_value(encoding, bytes, violations)?;
    if encoding == Encoding::Form {
        coerce_form(&mut value, form_fields);
    }
    let mut checker = Checker::new();
    check(&value, &mut checker);
    if checker.is_clean() {
        typed_body(&value, violations)
    } else {
        checker.report(violations);
        None
    }
}

/// Convert a checked body into its type. The checks mirror the types' `Deserialize`, so this
/// fails only if they disagree — which is then reported as a violation, never a panic.
pub fn typed_body<T: DeserializeOwned>(value: &Value, violations: &mut Violations) -> Option<T> {
    match T::deserialize(value) {
        Ok(body) => Some(body),
        Err(e) => {
            violations.push(In::Body, "", e.to_string());
            None
        }
    }
}

/// Walks a JSON body against the schema, recording every violation with a JSON Pointer.
#[derive(Debug, Default)]
pub struct Checker {
    pointer: String,
    found: Vec<(String, String)>,
}

impl Checker {
    /// A checker at the root of the body, with no violations.
    pub fn new() -> Self {
        Checker::default()
    }

    /// Whether no violation was found.
    pub fn is_clean(&self) -> bool {
        self.found.is_empty()
    }

    /// Move the violations into the request's list.
    pub fn report(self, violations: &mut Violations) {
        for (pointer, message) in self.found {
            violations.push(In::Body, pointer, message);
        }
    }

    /// Record a violation at the current position.
    pub fn fail(&mut self, message: impl Into<String>) {
        self.found.push((self.pointer.clone(), message.into()));
    }

    /// Descend into member `key`; give the returned mark to [`Checker::leave`].
    pub fn enter(&mut self, key: &str) -> usize {
        let mark = self.pointer.len();
        self.pointer.push('/');
        for c in key.chars() {
            match c {
                '~' => self.pointer.push_str("~0"),
                '/' => self.pointer.push_str("~1"),
                c => self.pointer.push(c),
            }
        }
        mark
    }

    /// Descend into item `index`.
    pub fn enter_index(&mut self, index: usize) -> usize {
        let mark = self.pointer.len();
        self.pointer.push('/');
        self.pointer.push_str(&index.to_string());
        mark
    }

    /// Go back to the position that `enter` or `enter_index` returned.
    pub fn leave(&mut self, mark: usize) {
        self.pointer.truncate(mark);
    }

    /// A required member that is absent.
    pub fn missing(&mut self, key: &str) {
        let mark = self.enter(key);
        self.fail("is required");
        self.leave(mark);
    }

    /// A member the schema does not allow (`additionalProperties: false`).
    pub fn unknown(&mut self, key: &str) {
        let mark = self.enter(key);
        self.fail("is not a known member (the schema allows no other members)");
        self.leave(mark);
    }

    /// `null` where the schema does not allow it.
    pub fn null(&mut self) {
        self.fail("must not be null");
    }

    fn kind(value: &Value) -> &'static str {
        match value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    fn expected(&mut self, what: &str, value: &Value) {
        self.fail(format!("expected {what}, found {}", Self::kind(value)));
    }

    /// Check that the value is a string.
    pub fn string(&mut self, value: &Value) {
        if !value.is_string() {
            self.expected("a string", value);
        }
    }

    /// Check that the value is an integer in `min..=max`.
    pub fn integer(&mut self, value: &Value, min: i64, max: i64) {
        match value.as_i64() {
            Some(n) if n >= min && n <= max => {}
            Some(_) => self.fail(format!("is outside the integer range {min}..={max}")),
            // A whole number beyond 64 bits (serde_json keeps it as u64 or f64).
            None if value.as_u64().is_some() || value.as_f64().is_some_and(|f| f.fract() == 0.0 && f.is_finite()) => {
                self.fail(format!("is outside the integer range {min}..={max}"))
            }
            None => self.expected("an integer", value),
        }
    }

    /// Check that the value is a number.
    pub fn number(&mut self, value: &Value) {
        if !value.is_number() {
            self.expected("a number", value);
        }
    }

    /// Check that the value is a boolean.
    pub fn boolean(&mut self, value: &Value) {
        if !value.is_boolean() {
            self.expected("a boolean", value);
        }
    }

    /// The value's members, or a violation if it is not an object.
    pub fn object<'v>(&mut self, value: &'v Value) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            other => {
                self.expected("an object", other);
                None
            }
        }
    }

    /// The value's items, or a violation if it is not an array.
    pub fn array<'v>(&mut self, value: &'v Value) -> Option<&'v Vec<Value>> {
        match value {
            Value::Array(items) => Some(items),
            other => {
                self.expected("an array", other);
                None
            }
        }
    }

    /// The value's items with their indexes; none, and a violation, if it is not an array.
    pub fn items<'v>(&mut self, value: &'v Value) -> impl Iterator<Item = (usize, &'v Value)> + use<'v> {
        self.array(value).into_iter().flatten().enumerate()
    }

    /// The value's members; none, and a violation, if it is not an object.
    pub fn members<'v>(&mut self, value: &'v Value) -> impl Iterator<Item = (&'v String, &'v Value)> + use<'v> {
        self.object(value).into_iter().flatten()
    }

    /// A value whose type checks itself when deserialized (validated newtypes, sealed JWE).
    pub fn leaf<T: DeserializeOwned>(&mut self, value: &Value) {
        if let Err(e) = T::deserialize(value) {
            self.fail(e.to_string());
        }
    }

    /// Run `check` on a scratch checker at the same place, for trying `oneOf` alternatives.
    pub fn attempt(&self, check: impl FnOnce(&mut Checker)) -> Checker {
        let mut scratch = Checker { pointer: self.pointer.clone(), found: Vec::new() };
        check(&mut scratch);
        scratch
    }

    /// Keep the violations of an alternative that was tried.
    pub fn absorb(&mut self, other: Checker) {
        self.found.extend(other.found);
    }
}

// ----------------------------------------------------------------------------------------------
// Per-request context: correlation id, tracing span, panics
// ----------------------------------------------------------------------------------------------

/// One operation, as its generated handler describes it to [`serve`].
#[derive(Debug)]
pub struct Operation {
    /// The API's module name, e.g. `in_v1_card`.
    pub api: &'static str,
    /// The operation's name, e.g. `suspend`.
    pub name: &'static str,
    /// Whether the operation needs a bearer token (a request without one gets a 401).
    pub bearer: bool,
    /// The media types its body may come in; empty when it takes no body.
    pub body: &'static [Encoding],
}

/// A request as the generated `extract` function of an operation reads it: the parts, the
/// path parameters, the body (already read, within the size limit and of an accepted media
/// type), the bearer token, and the violations found so far.
#[derive(Debug)]
pub struct Inputs<'r> {
    /// Method, URI, headers.
    pub parts: &'r Parts,
    /// The path parameters.
    pub path: PathParams,
    /// The query parameters.
    pub query: QueryParams<'r>,
    /// The body and its media type (`None` when the request has none).
    pub body: Option<(Encoding, axum::body::Bytes)>,
    /// The bearer token, when the operation needs one (then it is there).
    pub bearer: Option<BearerToken>,
    /// Every invalid input found.
    pub violations: Violations,
}

impl Inputs<'_> {
    /// The text of the scalar parameter `name` in `location` (a header that is not visible
    /// ASCII is a violation, and missing).
    fn scalar(&mut self, location: In, name: &str) -> Option<&str> {
        match location {
            In::Path => self.path.get(name),
            In::Query => self.query.get(name),
            In::Header => header(&self.parts.headers, name, &mut self.violations),
            In::Cookie => cookie(&self.parts.headers, name),
            // The body is read as a whole, never by name.
            In::Body => None,
        }
    }

    /// A required scalar parameter: `None` (and a violation) when missing or invalid.
    pub fn required<T>(&mut self, location: In, name: &str, parse: fn(&str) -> Result<T, String>) -> Option<T> {
        match self.scalar(location, name).map(parse) {
            None => {
                self.violations.push(location, name, "is required");
                None
            }
            Some(parsed) => self.violations.checked(location, name, parsed),
        }
    }

    /// An optional scalar parameter: `None` when missing; when invalid, `None` and a violation.
    pub fn optional<T>(&mut self, location: In, name: &str, parse: fn(&str) -> Result<T, String>) -> Option<T> {
        let parsed = self.scalar(location, name).map(parse)?;
        self.violations.checked(location, name, parsed)
    }

    /// An optional scalar parameter with a default (given as the text a client would send):
    /// `None` (and a violation) only when invalid.
    pub fn defaulted<T>(
        &mut self,
        location: In,
        name: &str,
        default: &str,
        parse: fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let parsed = parse(self.scalar(location, name).unwrap_or(default));
        self.violations.checked(location, name, parsed)
    }
}

/// Serve one request to `operation`: read the bearer token and the body, `extract` the
/// checked inputs (or answer 400 with every violation), `call` the implementation and turn
/// its answer into the response. All of it runs in the request's `d1_request` span; a panic
/// becomes a 500; the `x-correlation-id` is echoed. This is the whole of a generated
/// handler; `extract` is the generated, operation-specific part.
///
/// Not an `async fn`: the request is taken apart before the future is built, so the future
/// (which axum allocates for every request) holds each part once. Its size matters: with
/// axum's own state it stays under 1 KiB, where the allocation takes the allocator's fast path
/// (glibc serves larger requests from its "large bins", consolidating free chunks first).
pub fn serve<R, F, T>(
    operation: &'static Operation,
    body_limit: usize,
    params: Result<axum::extract::RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: axum::extract::Request,
    extract: fn(&mut Inputs<'_>) -> Option<R>,
    call: impl FnOnce(R) -> F,
) -> impl Future<Output = Response>
where
    F: Future<Output = Result<T, ApiError>>,
    T: IntoResponse,
{
    let (parts, body) = request.into_parts();
    let span = tracing::info_span!(
        "d1_request",
        api = operation.api,
        operation = operation.name,
        method = %parts.method,
        correlation_id = tracing::field::Empty,
    );
    if let Some(id) = parts.headers.get(&CORRELATION_ID_HEADER).and_then(|v| v.to_str().ok()) {
        span.record("correlation_id", id);
    }
    async move {
        // Pinned where it is: polled in place, never moved into a wrapper.
        let mut handler = pin!(async {
            // The implementation's future gets its own allocation: this one then stays small
            // whatever the implementation holds (see above), and the checked inputs, moved into
            // the call before it is awaited, are held once, inside it.
            let call = match checked_inputs(operation, &parts, body, body_limit, params, extract).await {
                Ok(request) => Box::pin(call(request)),
                Err(response) => return response,
            };
            match call.await {
                Ok(response) => response.into_response(),
                Err(error) => error.into_response(),
            }
        });
        let polled = std::future::poll_fn(|cx| {
            let _entered = span.enter();
            match std::panic::catch_unwind(AssertUnwindSafe(|| handler.as_mut().poll(cx))) {
                Ok(Poll::Ready(response)) => Poll::Ready(Ok(response)),
                Ok(Poll::Pending) => Poll::Pending,
                Err(panic) => Poll::Ready(Err(panic)),
            }
        });
        let mut response = match polled.await {
            Ok(response) => response,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-text panic payload".to_string());
                span.in_scope(|| tracing::error!(panic = %message, "the implementation panicked"));
                error_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error.")
            }
        };
        span.in_scope(|| tracing::info!(status = response.status().as_u16(), "handled"));
        if let Some(id) = parts.headers.get(&CORRELATION_ID_HEADER) {
            response.headers_mut().insert(CORRELATION_ID_HEADER, id.clone());
        }
        response
    }
}

/// The checked inputs of one request, or the response that refuses it (401, 413, 415 or 400
/// with every violation). A future of its own: none of its state takes room in the request's
/// future while the implementation runs.
async fn checked_inputs<R>(
    operation: &'static Operation,
    parts: &Parts,
    body: Body,
    body_limit: usize,
    params: Result<axum::extract::RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    extract: fn(&mut Inputs<'_>) -> Option<R>,
) -> Result<R, Response> {
    let bearer = if operation.bearer {
        match bearer(&parts.headers) {
            Some(token) => Some(token),
            None => return Err(unauthorized()),
        }
    } else {
        None
    };
    // Boxed: reading a body is the largest state of this future, and only operations that take
    // a body should pay for it in the request's future (which axum allocates per request).
    let body = if operation.body.is_empty() {
        None
    } else {
        Box::pin(read_body(parts, body, body_limit, operation.body)).await?
    };
    let mut violations = Violations::new();
    let path = PathParams::new(params, &mut violations);
    let query = QueryParams::parse(parts.uri.query());
    let mut inputs = Inputs { parts, path, query, body, bearer, violations };
    match extract(&mut inputs) {
        Some(request) if inputs.violations.is_empty() => Ok(request),
        _ => Err(inputs.violations.response()),
    }
}

// ----------------------------------------------------------------------------------------------
// Responses the router sends on its own
// ----------------------------------------------------------------------------------------------

fn echo(headers: &HeaderMap, mut response: Response) -> Response {
    if let Some(id) = headers.get(&CORRELATION_ID_HEADER) {
        response.headers_mut().insert(CORRELATION_ID_HEADER, id.clone());
    }
    response
}

/// The 404 for a path no operation has (the fallback of a finished router).
pub async fn not_found(method: Method, headers: HeaderMap) -> Response {
    let _ = method;
    echo(&headers, error_response(StatusCode::NOT_FOUND, "No operation has this path."))
}

/// The 405 for a path that exists with other methods; `allow` is the `Allow` header value.
pub fn method_not_allowed(headers: &HeaderMap, allow: &'static str) -> Response {
    let mut response =
        error_response(StatusCode::METHOD_NOT_ALLOWED, &format!("This path takes only these methods: {allow}."));
    response.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
    echo(headers, response)
}

/// Add the JSON 404 for unknown paths to a router built from one or more `routes` functions
/// (merged or nested). A router has only one such fallback, so add it once, last.
pub fn finish(router: axum::Router) -> axum::Router {
    router.fallback(not_found)
}
