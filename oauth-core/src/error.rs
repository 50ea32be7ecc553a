//! Errors: the wire error code ([`ErrorCode`], RFC 6749 §5.2 and §4.1.2.1, RFC 7009 §2.2.1),
//! the error a response carries ([`OAuthError`]), storage failures ([`StoreError`]) and API
//! misuse ([`ApiMisuse`]).
//!
//! An OAuth error is a normal response, not a Rust `Err`: the machines return it inside
//! [`Step::Respond`](crate::Step::Respond). [`Response::to_http`](crate::Response::to_http) is
//! the one place that maps it to a status and headers.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// An OAuth error code as it appears in `error=` (RFC 6749 §5.2, §4.1.2.1; extension codes
/// are allowed by §8.5 and are built with [`ErrorCode::extension`]).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ErrorCode(Cow<'static, str>);

impl ErrorCode {
    /// `invalid_request` (RFC 6749 §4.1.2.1, §5.2): missing, repeated or malformed parameter.
    pub const INVALID_REQUEST: Self = Self(Cow::Borrowed("invalid_request"));
    /// `invalid_client` (RFC 6749 §5.2): client authentication failed.
    pub const INVALID_CLIENT: Self = Self(Cow::Borrowed("invalid_client"));
    /// `invalid_grant` (RFC 6749 §5.2): code or refresh token invalid, expired, revoked, or bound
    /// to another client or redirect URI.
    pub const INVALID_GRANT: Self = Self(Cow::Borrowed("invalid_grant"));
    /// `unauthorized_client` (RFC 6749 §4.1.2.1, §5.2): the client may not use this grant.
    pub const UNAUTHORIZED_CLIENT: Self = Self(Cow::Borrowed("unauthorized_client"));
    /// `unsupported_grant_type` (RFC 6749 §5.2).
    pub const UNSUPPORTED_GRANT_TYPE: Self = Self(Cow::Borrowed("unsupported_grant_type"));
    /// `invalid_scope` (RFC 6749 §4.1.2.1, §5.2).
    pub const INVALID_SCOPE: Self = Self(Cow::Borrowed("invalid_scope"));
    /// `access_denied` (RFC 6749 §4.1.2.1): the resource owner denied the request.
    pub const ACCESS_DENIED: Self = Self(Cow::Borrowed("access_denied"));
    /// `unsupported_response_type` (RFC 6749 §4.1.2.1).
    pub const UNSUPPORTED_RESPONSE_TYPE: Self = Self(Cow::Borrowed("unsupported_response_type"));
    /// `server_error` (RFC 6749 §4.1.2.1): an internal failure; nothing was issued.
    pub const SERVER_ERROR: Self = Self(Cow::Borrowed("server_error"));
    /// `temporarily_unavailable` (RFC 6749 §4.1.2.1): storage or entropy unavailable for now.
    pub const TEMPORARILY_UNAVAILABLE: Self = Self(Cow::Borrowed("temporarily_unavailable"));
    /// `login_required` (OpenID Connect Core §3.1.2.6): `prompt=none` but no authenticated user.
    pub const LOGIN_REQUIRED: Self = Self(Cow::Borrowed("login_required"));
    /// `consent_required` (OpenID Connect Core §3.1.2.6): `prompt=none` but consent is needed.
    pub const CONSENT_REQUIRED: Self = Self(Cow::Borrowed("consent_required"));

    /// An extension code (RFC 6749 §8.5). Codes may hold only `%x20-21 / %x23-5B / %x5D-7E`
    /// (RFC 6749 §5.2); anything else yields `None`.
    #[must_use]
    pub fn extension(code: &str) -> Option<Self> {
        let ok = !code.is_empty() && code.bytes().all(|b| matches!(b, 0x20 | 0x21 | 0x23..=0x5B | 0x5D..=0x7E));
        ok.then(|| Self(Cow::Owned(code.to_owned())))
    }

    /// The code as sent on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ErrorCode({})", self.0)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The authentication scheme to name in `WWW-Authenticate` when a 401 answers a failed client
/// authentication (RFC 6749 §5.2: "MUST include the WWW-Authenticate header field indicating
/// the authentication scheme supported by the client").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Challenge {
    /// `Basic` (RFC 7617).
    Basic,
}

/// An OAuth error response: the code, a fixed human-readable description and the HTTP status.
///
/// Descriptions are `&'static str` chosen by the core, so they can never echo a submitted
/// secret, code or token (RFC 6749 §10.8), and they hold only the characters RFC 6749 §5.2
/// allows.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// The `error` value.
    pub code: ErrorCode,
    /// The `error_description` value, if any.
    pub description: Option<&'static str>,
    /// The HTTP status: 400 by default; 401 for `invalid_client` after `Authorization` header
    /// authentication (RFC 6749 §5.2); 500 for `server_error`; 503 for
    /// `temporarily_unavailable`; 413 for an oversized body.
    pub status: u16,
    /// When set, the response carries `WWW-Authenticate` with this scheme.
    pub challenge: Option<Challenge>,
    /// The browser origin allowed to read this response (`Access-Control-Allow-Origin`): set
    /// only once the client is authenticated and the request's `Origin` is one of its allowed
    /// origins (CORS-01, D6).
    pub allow_origin: Option<Arc<str>>,
}

impl OAuthError {
    /// A 400 error with `code` and `description`.
    #[must_use]
    pub const fn new(code: ErrorCode, description: &'static str) -> Self {
        Self { code, description: Some(description), status: 400, challenge: None, allow_origin: None }
    }

    /// `invalid_request` with a description (400).
    #[must_use]
    pub const fn invalid_request(description: &'static str) -> Self {
        Self::new(ErrorCode::INVALID_REQUEST, description)
    }

    /// `invalid_grant` with a description (400).
    #[must_use]
    pub const fn invalid_grant(description: &'static str) -> Self {
        Self::new(ErrorCode::INVALID_GRANT, description)
    }

    /// `invalid_scope` with a description (400).
    #[must_use]
    pub const fn invalid_scope(description: &'static str) -> Self {
        Self::new(ErrorCode::INVALID_SCOPE, description)
    }

    /// `invalid_client` (RFC 6749 §5.2): 401 with a `Basic` challenge. RFC 6749 requires the
    /// challenge when the client used the `Authorization` header, and RFC 9110 §15.5.2 requires
    /// one on every 401, so body authentication (`client_secret_post`) gets it too. One
    /// description for every cause, so the response does not reveal whether the client exists.
    #[must_use]
    pub const fn invalid_client() -> Self {
        Self {
            code: ErrorCode::INVALID_CLIENT,
            description: Some("client authentication failed"),
            status: 401,
            challenge: Some(Challenge::Basic),
            allow_origin: None,
        }
    }

    /// `invalid_request` with status 413: the body exceeds [`crate::wire::MAX_INPUT_BYTES`]
    /// (RFC 9110 §15.5.14). Adapters that stop reading a body at that limit answer with this
    /// too. (An oversized authorization query is answered 414.)
    #[must_use]
    pub const fn body_too_large() -> Self {
        Self {
            code: ErrorCode::INVALID_REQUEST,
            description: Some("request body too large"),
            status: 413,
            challenge: None,
            allow_origin: None,
        }
    }

    /// The error for a failed store call: `temporarily_unavailable` (503) for
    /// [`StoreError::Unavailable`], else `server_error` (500).
    #[must_use]
    pub const fn from_store(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable => Self {
                code: ErrorCode::TEMPORARILY_UNAVAILABLE,
                description: Some("storage is temporarily unavailable"),
                status: 503,
                challenge: None,
                allow_origin: None,
            },
            StoreError::Failed | StoreError::GrantRevoked => Self {
                code: ErrorCode::SERVER_ERROR,
                description: Some("storage failed"),
                status: 500,
                challenge: None,
                allow_origin: None,
            },
        }
    }

    /// `temporarily_unavailable` (503) because the token signer failed.
    #[must_use]
    pub const fn signing_failed() -> Self {
        Self {
            code: ErrorCode::TEMPORARILY_UNAVAILABLE,
            description: Some("cannot sign access tokens right now"),
            status: 503,
            challenge: None,
            allow_origin: None,
        }
    }

    /// `unauthorized_client` (400): the client may not do this (RFC 6749 §5.2; RFC 7009 §2.1
    /// for a token of another client, D7).
    #[must_use]
    pub const fn unauthorized_client(description: &'static str) -> Self {
        Self::new(ErrorCode::UNAUTHORIZED_CLIENT, description)
    }

    /// `temporarily_unavailable` (503) because the entropy source failed.
    #[must_use]
    pub const fn entropy_failed() -> Self {
        Self {
            code: ErrorCode::TEMPORARILY_UNAVAILABLE,
            description: Some("cannot generate credentials right now"),
            status: 503,
            challenge: None,
            allow_origin: None,
        }
    }
}

/// A storage answer that is not an answer: the core turns it into `server_error` or
/// `temporarily_unavailable` and issues nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is unreachable or overloaded; retrying later may work (503).
    #[error("store unavailable")]
    Unavailable,
    /// The store failed in a way a retry will not fix (500).
    #[error("store failed")]
    Failed,
    /// A `persist` was refused because the grant it writes to was revoked meanwhile (a replayed
    /// code or refresh token raced with this request). The core answers `invalid_grant`. A
    /// store may instead accept such a write and keep its records revoked; see
    /// [`crate::TokenStore::persist`].
    #[error("grant revoked")]
    GrantRevoked,
}

/// The caller used the API in a way its contract forbids; a bug in the caller, not bad input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiMisuse {
    /// A configuration value is invalid; the message names the field.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
}
