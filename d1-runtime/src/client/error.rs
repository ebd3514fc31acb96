//! Errors of a call: the declared error responses of the operation, typed, and the ways a call
//! can fail without one.
//!
//! Every operation returns `Result<Response<T>, Error<E>>`, where `E` is the operation's own
//! enum of declared error statuses (e.g. `in_v1_card::SuspendError`). An [`Error`] always
//! carries the operation, the `x-correlation-id` that was sent and — when the server answered —
//! the HTTP status; [`Error::kind`] says what happened:
//!
//! | [`ErrorKind`] | when |
//! |---|---|
//! | [`Declared`](ErrorKind::Declared) | the server answered with an error status the spec declares; the body is typed |
//! | [`UndeclaredStatus`](ErrorKind::UndeclaredStatus) | the server answered with a status the spec does not declare |
//! | [`InvalidBody`](ErrorKind::InvalidBody) | a declared status whose body is not the declared type |
//! | [`Timeout`](ErrorKind::Timeout) | no complete answer within the call's timeout |
//! | [`Transport`](ErrorKind::Transport) | connection refused or dropped, TLS failure, … |
//! | [`Auth`](ErrorKind::Auth) | the token provider could not supply an access token |
//! | [`InvalidRequest`](ErrorKind::InvalidRequest) | the request could not be built (never sent) |
//!
//! Nothing the server sends is printed by `Display` or `Debug`: bodies are kept as bytes you
//! can inspect on purpose ([`Error::body`]), and parse failures say where, not what.

use std::fmt;

/// Why the request could not be built; it was never sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The environment has no server for this API (e.g. `DEVELOP` for an API that lists none).
    NoServer {
        /// Module name of the API.
        api: &'static str,
        /// What was asked for.
        environment: String,
    },
    /// The base URL and path do not form a valid URL.
    InvalidUrl(String),
    /// A path parameter is `.` or `..`, which URL normalisation would remove.
    DotSegment {
        /// Name of the parameter on the wire.
        parameter: &'static str,
    },
    /// A header value contains characters HTTP does not allow.
    InvalidHeader {
        /// Name of the header.
        header: &'static str,
    },
    /// The body could not be serialised in its media type.
    Body(String),
    /// A parameter's value could not be serialised.
    Parameter {
        /// Name of the parameter on the wire.
        parameter: &'static str,
        /// What `serde` said.
        reason: String,
    },
    /// A header added to one call is not a valid header name or value.
    InvalidExtraHeader {
        /// The name, when it is valid (else `None`).
        header: Option<String>,
    },
    /// A header added to one call is one the client sets itself (`authorization`,
    /// `content-type`, …); it was not sent.
    ReservedHeader {
        /// Name of the header.
        header: String,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::NoServer { api, environment } => {
                write!(f, "API `{api}` has no server for environment {environment}; set a base URL for it")
            }
            RequestError::InvalidUrl(reason) => write!(f, "invalid URL: {reason}"),
            RequestError::DotSegment { parameter } => {
                write!(f, "path parameter `{parameter}` is a dot segment (`.` or `..`)")
            }
            RequestError::InvalidHeader { header } => write!(f, "header `{header}` has a value HTTP does not allow"),
            RequestError::Body(reason) => write!(f, "cannot serialise the request body: {reason}"),
            RequestError::Parameter { parameter, reason } => {
                write!(f, "cannot serialise parameter `{parameter}`: {reason}")
            }
            RequestError::InvalidExtraHeader { header: Some(header) } => {
                write!(f, "extra header `{header}` has a value HTTP does not allow")
            }
            RequestError::InvalidExtraHeader { header: None } => write!(f, "an extra header has an invalid name"),
            RequestError::ReservedHeader { header } => {
                write!(f, "header `{header}` is set by the client and cannot be added to a call")
            }
        }
    }
}

/// What went wrong in a call. `E` is the operation's enum of declared error statuses.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind<E> {
    /// The server answered with an error status the spec declares, with its typed body.
    Declared(E),
    /// The server answered with a status the spec does not declare for this operation.
    UndeclaredStatus,
    /// The status is declared but the body is not the declared type. `reason` says where
    /// parsing stopped (a JSON path and position), never the content.
    InvalidBody {
        /// Where and why parsing failed.
        reason: String,
    },
    /// No complete answer within the call's timeout (see [`crate::client::ClientBuilder::timeout`]).
    Timeout,
    /// The request did not get an answer: connection refused, reset or closed early, TLS, ….
    Transport {
        /// `true` if no connection could be opened, so the server never saw the request.
        connect: bool,
        /// The underlying error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The token provider failed.
    Auth(crate::client::auth::TokenError),
    /// The request could not be built; nothing was sent.
    InvalidRequest(RequestError),
    /// The response body is longer than the client accepts (see
    /// [`ClientBuilder::max_response_bytes`](crate::client::ClientBuilder::max_response_bytes));
    /// reading stopped there.
    ResponseTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

/// A failed call: what happened ([`kind`](Error::kind)), plus the operation, the correlation id
/// that was sent, the HTTP status when there was an answer, and the number of attempts.
///
/// One pointer wide (the details are boxed), so `Result`s stay small.
pub struct Error<E>(Box<Details<E>>);

pub(crate) struct Details<E> {
    pub(crate) operation: &'static str,
    pub(crate) correlation_id: String,
    pub(crate) status: Option<u16>,
    pub(crate) attempts: u32,
    pub(crate) body: Vec<u8>,
    pub(crate) kind: ErrorKind<E>,
}

/// Bytes of a response body kept in an error (longer bodies are cut).
pub(crate) const KEPT_BODY: usize = 64 * 1024;

impl<E> Error<E> {
    pub(crate) fn new(operation: &'static str, correlation_id: String, kind: ErrorKind<E>) -> Self {
        Error(Box::new(Details { operation, correlation_id, status: None, attempts: 0, body: Vec::new(), kind }))
    }

    pub(crate) fn details_mut(&mut self) -> &mut Details<E> {
        &mut self.0
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind<E> {
        &self.0.kind
    }

    /// What went wrong, by value.
    pub fn into_kind(self) -> ErrorKind<E> {
        self.0.kind
    }

    /// The declared error response, if that is what the server sent.
    pub fn declared(&self) -> Option<&E> {
        match &self.0.kind {
            ErrorKind::Declared(e) => Some(e),
            _ => None,
        }
    }

    /// The declared error response, by value.
    pub fn into_declared(self) -> Option<E> {
        match self.0.kind {
            ErrorKind::Declared(e) => Some(e),
            _ => None,
        }
    }

    /// The operation, as `module.method` (e.g. `in_v1_card.suspend`).
    pub fn operation(&self) -> &'static str {
        self.0.operation
    }

    /// The `x-correlation-id` sent with the request (the caller's, or the generated one).
    pub fn correlation_id(&self) -> &str {
        &self.0.correlation_id
    }

    /// The HTTP status of the answer, if the server answered.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// How many attempts the retry policy made (0 if the request was never sent; a resend
    /// with a fresh token after a `401` is not counted).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// The raw response body (at most 64 KiB), for undeclared statuses and invalid bodies.
    /// Empty when there was no answer. It is never printed by `Debug` or `Display`.
    pub fn body(&self) -> &[u8] {
        &self.0.body
    }

    /// `true` for [`ErrorKind::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Timeout)
    }

    /// `true` for [`ErrorKind::Transport`].
    pub fn is_transport(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Transport { .. })
    }

    /// The same error for another operation's declared-error type; used when a failure
    /// happened before any status could be declared.
    pub(crate) fn cast<F>(self, f: impl FnOnce(E) -> F) -> Error<F> {
        let d = *self.0;
        let kind = match d.kind {
            ErrorKind::Declared(e) => ErrorKind::Declared(f(e)),
            ErrorKind::UndeclaredStatus => ErrorKind::UndeclaredStatus,
            ErrorKind::InvalidBody { reason } => ErrorKind::InvalidBody { reason },
            ErrorKind::Timeout => ErrorKind::Timeout,
            ErrorKind::Transport { connect, source } => ErrorKind::Transport { connect, source },
            ErrorKind::Auth(e) => ErrorKind::Auth(e),
            ErrorKind::InvalidRequest(e) => ErrorKind::InvalidRequest(e),
            ErrorKind::ResponseTooLarge { limit } => ErrorKind::ResponseTooLarge { limit },
        };
        Error(Box::new(Details {
            operation: d.operation,
            correlation_id: d.correlation_id,
            status: d.status,
            attempts: d.attempts,
            body: d.body,
            kind,
        }))
    }
}

/// A failure before any declared status applies; it widens into every operation's error type.
#[derive(Debug)]
pub struct Failure(pub(crate) Error<std::convert::Infallible>);

impl<E> From<Failure> for Error<E> {
    fn from(failure: Failure) -> Self {
        failure.0.cast(|never| match never {})
    }
}

impl<E: fmt::Debug> fmt::Debug for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("operation", &self.0.operation)
            .field("correlation_id", &self.0.correlation_id)
            .field("status", &self.0.status)
            .field("attempts", &self.0.attempts)
            .field("body_len", &self.0.body.len())
            .field("kind", &self.0.kind)
            .finish()
    }
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed (x-correlation-id {}", self.0.operation, self.0.correlation_id)?;
        if let Some(status) = self.0.status {
            write!(f, ", HTTP {status}")?;
        }
        f.write_str("): ")?;
        match &self.0.kind {
            ErrorKind::Declared(_) => f.write_str("error response declared by the spec"),
            ErrorKind::UndeclaredStatus => f.write_str("status not declared by the spec"),
            ErrorKind::InvalidBody { reason } => write!(f, "invalid response body: {reason}"),
            ErrorKind::Timeout => f.write_str("timed out"),
            ErrorKind::Transport { connect: true, source } => write!(f, "cannot connect: {source}"),
            ErrorKind::Transport { connect: false, source } => write!(f, "transport failure: {source}"),
            ErrorKind::Auth(e) => write!(f, "no access token: {e}"),
            ErrorKind::InvalidRequest(e) => write!(f, "invalid request: {e}"),
            ErrorKind::ResponseTooLarge { limit } => write!(f, "response body larger than {limit} bytes"),
        }
    }
}

impl<E: fmt::Debug> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Transport { source, .. } => Some(source.as_ref()),
            ErrorKind::Auth(e) => Some(e),
            _ => None,
        }
    }
}
