//! The revocation endpoint, `POST /oauth/revoke` (RFC 7009).
//!
//! - Form or JSON body (D3); `token` required, `token_type_hint` optional and only a hint: an
//!   unknown value is ignored and a wrong one still finds the token (RFC 7009 §2.1, REV-04).
//! - Confidential clients authenticate as at the token endpoint; public clients send
//!   `client_id` (D7, REV-08).
//! - A token of another client is refused with 400 `unauthorized_client` and stays valid (D7,
//!   REV-06). An unknown, expired or already revoked token answers 200 (REV-03).
//! - Revoking a refresh token or an access token revokes its whole grant, so the other tokens
//!   of that grant die with it (RFC 7009 §2.1, REV-01, REV-02).
//! - A storage failure answers 503 or 500, never a false 200 (REV-07).
//! - A browser request from an origin the client allows gets `Access-Control-Allow-Origin`
//!   (REV-08); any other origin is refused like at the token endpoint (CORS-02).
//!
//! The steps: [`Step::NeedClient`], then [`Step::LookupAccessToken`] and/or
//! [`Step::LookupRefreshToken`], then [`Step::RevokeGrant`], then [`Step::Respond`].

use std::sync::Arc;

use super::client_auth::{Presented, identify};
use super::inspect::{Caller, Parsed, Purpose};
use super::{INSPECT_PARAMS, PostRequest};
use crate::config::Config;
use crate::error::OAuthError;
use crate::step::{AfterClient, NeedClient, Step};
use crate::time::UnixTime;
use crate::types::Secret;
use crate::wire::BasicCredentials;

/// A revocation request as it arrived: the body, its `Content-Type`, the `Authorization`
/// header, the query string (which must be empty) and the `Origin` header. `Debug` shows no
/// parameter value and no credential.
#[derive(Debug)]
pub struct RevokeRequest {
    post: PostRequest,
    origin: Option<String>,
}

impl RevokeRequest {
    /// A request from its HTTP parts. Parsing happens here; errors are answered by [`start`].
    pub fn from_http(
        content_type: Option<&str>,
        authorization: Option<&str>,
        query: Option<&str>,
        body: &[u8],
    ) -> Self {
        Self { post: PostRequest::from_http(content_type, authorization, query, body), origin: None }
    }

    /// The same request, sent by a browser page on `origin` (the `Origin` header; see
    /// [`crate::TokenRequest::with_origin`] for the rules, which are the same here).
    #[must_use]
    pub fn with_origin(mut self, origin: Option<&str>) -> Self {
        self.origin = origin.map(str::to_owned);
        self
    }
}

/// Starts the revocation machine. Answers directly with `invalid_request` (unreadable body,
/// repeated or missing `token`, a query string, two authentication methods) or
/// `invalid_client`; otherwise the first step is [`Step::NeedClient`].
pub fn start(config: &Arc<Config>, request: RevokeRequest, now: UnixTime) -> Step {
    let params = match super::read_params(request.post.params, request.post.query_present) {
        Ok(p) => p,
        Err(e) => return Step::error(e),
    };
    let fields = params.pick(INSPECT_PARAMS);
    if fields.iter().any(|f| f.is_repeated()) {
        return Step::error(OAuthError::invalid_request("a parameter is repeated"));
    }
    let [token, hint, client_id, client_secret, assertion, assertion_type] = fields;
    let presented = Presented {
        authorization: request.post.authorization.as_deref().map(BasicCredentials::parse),
        client_id: client_id.value(),
        client_secret: client_secret.value(),
        assertion: assertion.value().is_some() || assertion_type.value().is_some(),
    };
    let (client_id, auth) = match identify(presented) {
        Ok(x) => x,
        Err(e) => return Step::error(e),
    };
    let Some(token) = token.value().filter(|t| !t.is_empty()) else {
        return Step::error(OAuthError::invalid_request("token missing"));
    };
    Step::NeedClient(NeedClient {
        config: Arc::clone(config),
        now,
        client_id,
        then: AfterClient::Inspect(Box::new(Parsed {
            purpose: Purpose::Revoke,
            token: Secret::new(token.to_owned()),
            refresh_first: hint.value() == Some("refresh_token"),
            caller: Caller::Client(auth),
            origin: request.origin,
            config: Arc::clone(config),
            now,
        })),
    })
}
