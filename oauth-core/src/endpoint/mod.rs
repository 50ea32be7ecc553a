//! One module per endpoint; each owns its request type and its part of the step machine.

pub mod authorize;
pub(crate) mod client_auth;
pub(crate) mod inspect;
pub mod introspect;
pub mod metadata;
pub mod revoke;
pub mod token;

use crate::error::OAuthError;
use crate::wire::{Params, WireError, parse_body};

/// The HTTP parts the revocation and introspection endpoints read: the parsed body, the
/// `Authorization` header as sent, and whether a query string was sent. `Debug` shows neither
/// parameter values nor credentials.
pub(crate) struct PostRequest {
    pub(crate) params: Result<Params, WireError>,
    pub(crate) authorization: Option<String>,
    pub(crate) query_present: bool,
}

impl PostRequest {
    pub(crate) fn from_http(
        content_type: Option<&str>,
        authorization: Option<&str>,
        query: Option<&str>,
        body: &[u8],
    ) -> Self {
        Self {
            params: parse_body(content_type, body),
            authorization: authorization.map(str::to_owned),
            query_present: query.is_some_and(|q| !q.is_empty()),
        }
    }
}

impl std::fmt::Debug for PostRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostRequest")
            .field("params", &self.params)
            .field("query_present", &self.query_present)
            .field("authorization", &self.authorization.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The parameters revocation and introspection read; a repeat of any of them is
/// `invalid_request` (RFC 6749 §3.2).
pub(crate) const INSPECT_PARAMS: [&str; 6] =
    ["token", "token_type_hint", "client_id", "client_secret", "client_assertion", "client_assertion_type"];

/// The body parameters of a POST endpoint, or the error that answers an unreadable body or a
/// query string (credentials never travel in the URI, RFC 6749 §2.3.1; D3).
pub(crate) fn read_params(params: Result<Params, WireError>, query_present: bool) -> Result<Params, OAuthError> {
    let params = match params {
        Ok(p) => p,
        Err(WireError::TooLarge) => return Err(OAuthError::body_too_large()),
        Err(WireError::UnsupportedMediaType) => {
            return Err(OAuthError::invalid_request(
                "content type must be application/x-www-form-urlencoded or application/json",
            ));
        }
        Err(WireError::DuplicateMember) => return Err(OAuthError::invalid_request("a parameter is repeated")),
        Err(_) => return Err(OAuthError::invalid_request("malformed or oversized parameters")),
    };
    if query_present {
        return Err(OAuthError::invalid_request("parameters must be sent in the request body"));
    }
    Ok(params)
}
