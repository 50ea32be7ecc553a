//! Client authentication shared by the token, revocation and introspection endpoints
//! (RFC 6749 §2.3, §3.2.1; RFC 7009 §2.1; RFC 7662 §2.1): exactly one method per request,
//! Basic credentials form-urldecoded (D15), secrets compared in constant time, and the same
//! work for an unknown client as for a wrong secret (F21).

use std::sync::Arc;

use crate::client::{Client, MAX_CLIENT_ID_BYTES};
use crate::error::OAuthError;
use crate::types::{Secret, TokenDigest};
use crate::wire::{BasicCredentials, BasicError};

/// How the client authenticated.
#[derive(Debug)]
pub(crate) enum ClientAuth {
    /// `client_secret_basic`.
    Basic(Secret),
    /// `client_secret_post`.
    Post(Secret),
    /// A public client naming itself with `client_id`.
    None,
}

/// The client credentials a request carries, as read from its `Authorization` header and body.
pub(crate) struct Presented<'a> {
    pub(crate) authorization: Option<Result<BasicCredentials, BasicError>>,
    pub(crate) client_id: Option<&'a str>,
    pub(crate) client_secret: Option<&'a str>,
    /// `client_assertion` or `client_assertion_type` was sent (RFC 7523; not supported, D16).
    pub(crate) assertion: bool,
}

/// Which client the request names and how it authenticates.
///
/// # Errors
/// `invalid_request` for two methods or a `client_id` that contradicts Basic credentials;
/// `invalid_client` for malformed Basic credentials, an assertion, no client at all, or an
/// over-long `client_id`.
pub(crate) fn identify(p: Presented<'_>) -> Result<(String, ClientAuth), OAuthError> {
    let body_secret = p.client_secret.map(|s| Secret::new(s.to_owned()));
    if p.assertion {
        // RFC 6749 §5.2: more than one authentication mechanism is invalid_request; a JWT
        // assertion alone cannot authenticate anyone yet (D16).
        return Err(if p.authorization.is_some() || body_secret.is_some() {
            OAuthError::invalid_request("use one client authentication method")
        } else {
            OAuthError::invalid_client()
        });
    }
    let (client_id, auth) = match (p.authorization, p.client_id, body_secret) {
        (Some(_), _, Some(_)) => return Err(OAuthError::invalid_request("use one client authentication method")),
        (Some(header), body_id, None) => {
            let Ok(basic) = header else { return Err(OAuthError::invalid_client()) };
            if body_id.is_some_and(|id| id != basic.client_id) {
                return Err(OAuthError::invalid_request("client_id does not match the authenticated client"));
            }
            (basic.client_id, ClientAuth::Basic(basic.client_secret))
        }
        (None, Some(id), Some(secret)) => (id.to_owned(), ClientAuth::Post(secret)),
        (None, Some(id), None) => (id.to_owned(), ClientAuth::None),
        (None, None, _) => return Err(OAuthError::invalid_client()),
    };
    if client_id.len() > MAX_CLIENT_ID_BYTES {
        return Err(OAuthError::invalid_client());
    }
    Ok((client_id, auth))
}

/// A digest no secret hashes to in practice, compared when the client is unknown so that an
/// unknown client and a wrong secret take the same work (F21).
const DUMMY: TokenDigest = TokenDigest::from_bytes([0x5a; 32]);

/// The client, if `auth` authenticates it: a confidential client by its secret, a public client
/// by `client_id` alone (when `public_allowed`). Never a confidential client without a secret,
/// nor a public client presenting one.
pub(crate) fn authenticate(
    client: Option<Arc<Client>>,
    auth: &ClientAuth,
    public_allowed: bool,
) -> Option<Arc<Client>> {
    let ok = match (&client, auth) {
        (Some(c), ClientAuth::Basic(s) | ClientAuth::Post(s)) => c.is_confidential() && c.verify_secret(s),
        (Some(c), ClientAuth::None) => public_allowed && !c.is_confidential(),
        (None, ClientAuth::Basic(s) | ClientAuth::Post(s)) => {
            let _ = s.digest().ct_eq(&DUMMY);
            false
        }
        (None, ClientAuth::None) => false,
    };
    client.filter(|_| ok)
}
