//! The introspection endpoint, `POST /oauth/introspect` (RFC 7662), for resource servers.
//!
//! - Form or JSON body; `token` required, `token_type_hint` only picks the search order
//!   (INTRO-04).
//! - The caller authenticates (RFC 7662 §2.1, INTRO-02): a confidential client (Basic or
//!   `client_secret_post`), or `Authorization: Bearer` with an access token carrying the
//!   introspection scope ([`Config::introspection_scope`]). A client allowed that scope, or such
//!   a bearer token, may see every token; any other client sees only its own tokens.
//! - An active token the caller may see answers `active`, `scope`, `client_id`, `sub`, `exp`,
//!   `iat`, `iss`, `aud` and `token_type` (INTRO-01), plus `act` for an impersonation token.
//!   Expired, revoked, unknown, malformed, foreign-issuer tokens and tokens the caller may not
//!   see all answer exactly `{"active":false}` (INTRO-03, RFC 7662 §4).
//! - A JWT access token is active only after its signature, `typ`, `iss`, `aud` and `exp` are
//!   checked and its `jti` is found unrevoked in the store (INTRO-05).
//!
//! The steps: [`Step::NeedClient`] (or [`Step::LookupAccessToken`] for a bearer caller), then
//! [`Step::LookupAccessToken`] and/or [`Step::LookupRefreshToken`], then [`Step::Respond`].

use std::sync::Arc;

use super::client_auth::{Presented, identify};
use super::inspect::{Caller, Parsed, Purpose};
use super::{INSPECT_PARAMS, PostRequest};
use crate::bearer;
use crate::config::Config;
use crate::error::OAuthError;
use crate::jwt::access_token_key;
use crate::response::Response;
use crate::step::{AfterAccessLookup, AfterClient, LookupAccessToken, NeedClient, Step};
use crate::time::UnixTime;
use crate::types::Secret;
use crate::wire::BasicCredentials;

/// An introspection request as it arrived: the body, its `Content-Type`, the `Authorization`
/// header (Basic or Bearer) and the query string (which must be empty). `Debug` shows no
/// parameter value and no credential.
#[derive(Debug)]
pub struct IntrospectRequest {
    post: PostRequest,
}

impl IntrospectRequest {
    /// A request from its HTTP parts. Parsing happens here; errors are answered by [`start`].
    pub fn from_http(
        content_type: Option<&str>,
        authorization: Option<&str>,
        query: Option<&str>,
        body: &[u8],
    ) -> Self {
        Self { post: PostRequest::from_http(content_type, authorization, query, body) }
    }
}

fn is_bearer(header: &str) -> bool {
    header.split(' ').next().is_some_and(|s| s.eq_ignore_ascii_case("bearer"))
}

/// Starts the introspection machine. Answers directly with `invalid_request` (unreadable body,
/// repeated or missing `token`, a query string, two authentication methods), `invalid_client`
/// (no or malformed client credentials) or a bearer refusal (RFC 6750 §3.1); otherwise the first
/// step is [`Step::NeedClient`] or, for a bearer caller, [`Step::LookupAccessToken`].
pub fn start(config: &Arc<Config>, request: IntrospectRequest, now: UnixTime) -> Step {
    let params = match super::read_params(request.post.params, request.post.query_present) {
        Ok(p) => p,
        Err(e) => return Step::error(e),
    };
    let fields = params.pick(INSPECT_PARAMS);
    if fields.iter().any(|f| f.is_repeated()) {
        return Step::error(OAuthError::invalid_request("a parameter is repeated"));
    }
    let [token, hint, client_id, client_secret, assertion, assertion_type] = fields;
    let token = token.value().filter(|t| !t.is_empty()).map(|t| Secret::new(t.to_owned()));
    let refresh_first = hint.value() == Some("refresh_token");
    let parsed = |caller, token| Parsed {
        purpose: Purpose::Introspect,
        token,
        refresh_first,
        caller,
        origin: None,
        config: Arc::clone(config),
        now,
    };
    if let Some(header) = request.post.authorization.as_deref().filter(|h| is_bearer(h)) {
        if client_id.value().is_some() || client_secret.value().is_some() {
            return Step::error(OAuthError::invalid_request("use one client authentication method"));
        }
        let caller_token = match bearer::parse_authorization(Some(header)) {
            Ok(t) => t,
            Err(e) => return Step::Respond(Response::Bearer(e)),
        };
        let Some(token) = token else { return Step::error(OAuthError::invalid_request("token missing")) };
        let Some(key) = access_token_key(config, caller_token.expose(), now) else {
            return Step::Respond(Response::Bearer(bearer::BearerError::InvalidToken(
                "the access token is not active",
            )));
        };
        return Step::LookupAccessToken(LookupAccessToken {
            key,
            now,
            then: AfterAccessLookup::Caller(Box::new(parsed(Caller::Bearer, token))),
        });
    }
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
    let Some(token) = token else { return Step::error(OAuthError::invalid_request("token missing")) };
    Step::NeedClient(NeedClient {
        config: Arc::clone(config),
        now,
        client_id,
        then: AfterClient::Inspect(Box::new(parsed(Caller::Client(auth), token))),
    })
}
