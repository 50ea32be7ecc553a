//! One module per endpoint; each owns its request type and its part of the step machine.

pub mod authorize;
pub(crate) mod client_auth;
pub(crate) mod inspect;
pub mod introspect;
pub mod metadata;
pub mod revoke;
pub mod token;

use crate::error::OAuthError;
use crate::wire::{Params, WireError};

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
