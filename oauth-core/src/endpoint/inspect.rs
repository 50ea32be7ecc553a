//! The machine behind revocation (RFC 7009) and introspection (RFC 7662): authenticate the
//! caller, find the presented token among access tokens and refresh tokens (the hint only picks
//! the order, RFC 7009 §2.1, RFC 7662 §2.1), check that the caller may act on it, then revoke
//! its grant or describe it.

use std::sync::Arc;

use super::client_auth::{ClientAuth, authenticate};
use crate::bearer::{self, BearerError};
use crate::client::Client;
use crate::config::Config;
use crate::error::{OAuthError, StoreError};
use crate::jwt::{self, Actor, MAX_JWT_BYTES};
use crate::response::{ActiveToken, Introspection, Response, Revoked};
use crate::step::{
    AfterAccessLookup, AfterClient, AfterRefreshLookup, LookupAccessToken, LookupRefreshToken, NeedClient, RevokeGrant,
    Step,
};
use crate::store::{AccessTokenRecord, RefreshTokenRecord, TokenState};
use crate::time::UnixTime;
use crate::types::{Secret, Subject, TokenDigest};

/// Which endpoint runs the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    Revoke,
    Introspect,
}

/// Who asks.
#[derive(Debug)]
pub(crate) enum Caller {
    /// A client, authenticated by `ClientAuth` once it is looked up.
    Client(ClientAuth),
    /// An access token (introspection only), not yet looked up.
    Bearer,
    /// A client-credentials access token carrying the introspection scope, found active; its
    /// client (named by the [`crate::step::NeedClient`] question) must still exist, be
    /// confidential and be allowed the scope.
    BearerClient,
}

/// A request after syntax checks: the token and what the caller presented.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) purpose: Purpose,
    pub(crate) token: Secret,
    pub(crate) refresh_first: bool,
    pub(crate) caller: Caller,
    pub(crate) origin: Option<String>,
    pub(crate) config: Arc<Config>,
    pub(crate) now: UnixTime,
}

/// The search for the token, once the caller is known.
#[derive(Debug)]
pub(crate) struct Inspect {
    purpose: Purpose,
    config: Arc<Config>,
    now: UnixTime,
    /// The client asking.
    caller: Arc<str>,
    /// Whether the caller may see tokens of every client (introspection scope).
    any_client: bool,
    /// Store keys still to try; `None` once tried or not applicable.
    access_key: Option<TokenDigest>,
    refresh_key: Option<TokenDigest>,
    refresh_first: bool,
    cors: Option<Arc<str>>,
}

/// The answer when the token is not found (or may not be seen): 200 for revocation (RFC 7009
/// §2.2), `{"active": false}` for introspection (RFC 7662 §2.2).
fn not_found(purpose: Purpose, cors: Option<Arc<str>>) -> Step {
    Step::Respond(match purpose {
        Purpose::Revoke => Response::Revoked(Revoked { allow_origin: cors }),
        Purpose::Introspect => Response::Introspection(Introspection::INACTIVE),
    })
}

pub(crate) fn after_client(
    config: Arc<Config>,
    now: UnixTime,
    parsed: Parsed,
    answer: Result<Option<Arc<Client>>, StoreError>,
) -> Step {
    let client = match answer {
        Ok(c) => c,
        Err(e) => return Step::error(OAuthError::from_store(e)),
    };
    let auth = match &parsed.caller {
        Caller::Client(auth) => auth,
        Caller::BearerClient => return after_bearer_client(parsed, config, now, client),
        Caller::Bearer => return Step::error(OAuthError::invalid_client()),
    };
    // Revocation: public clients identify themselves with client_id (D7, REV-08). Introspection
    // is for authenticated callers only (RFC 7662 §2.1).
    let public_allowed = parsed.purpose == Purpose::Revoke;
    let Some(client) = authenticate(client, auth, public_allowed) else {
        return Step::error(OAuthError::invalid_client());
    };
    let cors = match (&parsed.origin, parsed.purpose) {
        (None, _) => None,
        (Some(o), Purpose::Revoke) if client.allows_origin(o) => Some(Arc::<str>::from(o.as_str())),
        (Some(_), Purpose::Revoke) => {
            return Step::error(OAuthError::invalid_request("origin is not allowed for this client"));
        }
        // Introspection is a back-end call; browsers get no CORS headers from it.
        (Some(_), Purpose::Introspect) => None,
    };
    let any_client = parsed.purpose == Purpose::Introspect
        && client.is_confidential()
        && config.introspection_scope().is_subset(client.allowed_scopes())
        && !config.introspection_scope().is_empty();
    search(parsed, config, now, client.client_id_shared(), any_client, cors)
}

/// Starts the search for `parsed.token` on behalf of `caller`.
fn search(
    parsed: Parsed,
    config: Arc<Config>,
    now: UnixTime,
    caller: Arc<str>,
    any_client: bool,
    cors: Option<Arc<str>>,
) -> Step {
    let token = parsed.token.expose();
    let (access_key, refresh_key) = if token.len() > MAX_JWT_BYTES {
        (None, None)
    } else {
        // Refresh tokens are never JWTs; a JWT that does not verify is no token of ours, and
        // neither is anything else outside the opaque tokens' alphabet.
        let refresh = (!jwt::looks_like_jwt(token)).then(|| TokenDigest::of(token));
        (jwt::access_token_key(&config, token, now), refresh)
    };
    next(Inspect {
        purpose: parsed.purpose,
        config,
        now,
        caller,
        any_client,
        access_key,
        refresh_key,
        refresh_first: parsed.refresh_first,
        cors,
    })
}

/// Asks for the next kind of token, or answers "not found" when both were tried.
fn next(mut p: Inspect) -> Step {
    let now = p.now;
    let refresh = if p.refresh_first { p.refresh_key.take() } else { None };
    if let Some(key) = refresh {
        return Step::LookupRefreshToken(LookupRefreshToken {
            key,
            now,
            then: AfterRefreshLookup::Inspect(Box::new(p)),
        });
    }
    if let Some(key) = p.access_key.take() {
        return Step::LookupAccessToken(LookupAccessToken { key, now, then: AfterAccessLookup::Inspect(Box::new(p)) });
    }
    if let Some(key) = p.refresh_key.take() {
        return Step::LookupRefreshToken(LookupRefreshToken {
            key,
            now,
            then: AfterRefreshLookup::Inspect(Box::new(p)),
        });
    }
    not_found(p.purpose, p.cors)
}

/// A store failure: never a false success (RFC 7009 §2.2.1: 503 when unavailable).
fn store_failed(p: &Inspect, e: StoreError) -> Step {
    Step::Respond(Response::Error(OAuthError::from_store(e)).with_allow_origin(p.cors.clone()))
}

/// Revokes the grant of a token the caller owns; a token of another client is refused and left
/// as it is (D7: 400 `unauthorized_client`).
fn revoke(p: Inspect, owner: &str, grant_id: crate::types::GrantId) -> Step {
    if owner != &*p.caller {
        return Step::Respond(
            Response::Error(OAuthError::unauthorized_client("the token was issued to another client"))
                .with_allow_origin(p.cors),
        );
    }
    Step::RevokeGrant(RevokeGrant {
        grant_id,
        now: p.now,
        then: Response::Revoked(Revoked::default()),
        allow_origin: p.cors,
    })
}

pub(crate) fn after_access_lookup(p: Inspect, answer: Result<Option<AccessTokenRecord>, StoreError>) -> Step {
    let record = match answer {
        Err(e) => return store_failed(&p, e),
        Ok(None) => return next(p),
        Ok(Some(r)) => r,
    };
    match p.purpose {
        // RFC 7009 §2.1: revoking an access token MAY revoke its grant; we do, so the refresh
        // token of a signed-out session dies with it.
        Purpose::Revoke => revoke(p, &record.client_id.clone(), record.grant_id),
        Purpose::Introspect => {
            if record.expires_at.is_expired_at(p.now) || !(p.any_client || *record.client_id == *p.caller) {
                return not_found(p.purpose, None);
            }
            Step::Respond(Response::Introspection(Introspection {
                active: Some(ActiveToken {
                    scope: record.scope,
                    sub: record.subject.to_sub(),
                    client_id: record.client_id,
                    exp: record.expires_at.as_secs(),
                    iat: record.issued_at.as_secs(),
                    iss: p.config.issuer().to_owned(),
                    aud: Some(p.config.audience().to_owned()),
                    token_type: Some("Bearer"),
                    act: record.actor.map(|a| Actor::new(a.as_ref().to_owned())),
                    allowed_origins: record.allowed_origins,
                }),
            }))
        }
    }
}

pub(crate) fn after_refresh_lookup(p: Inspect, answer: Result<TokenState<RefreshTokenRecord>, StoreError>) -> Step {
    let (record, active) = match answer {
        Err(e) => return store_failed(&p, e),
        Ok(TokenState::Missing) => return next(p),
        Ok(TokenState::Active(r)) => (r, true),
        Ok(TokenState::Used(r)) => (r, false),
    };
    match p.purpose {
        // A rotated refresh token revoked by its client still ends its grant: the client wants
        // the session gone, and the newest token of that grant is the one to kill.
        Purpose::Revoke => revoke(p, &record.client_id.clone(), record.grant_id),
        Purpose::Introspect => {
            let visible = p.any_client || *record.client_id == *p.caller;
            if !active || !visible || record.expires_at.is_expired_at(p.now) {
                return not_found(p.purpose, None);
            }
            Step::Respond(Response::Introspection(Introspection {
                active: Some(ActiveToken {
                    scope: record.scope,
                    sub: record.subject.as_ref().to_owned(),
                    client_id: record.client_id,
                    exp: record.expires_at.as_secs(),
                    iat: record.issued_at.as_secs(),
                    iss: p.config.issuer().to_owned(),
                    aud: None,
                    token_type: None,
                    act: None,
                    allowed_origins: Arc::from([]),
                }),
            }))
        }
    }
}

/// The introspection caller's own bearer token was looked up (RFC 7662 §2.1; RFC 6750 §3.1 for
/// the refusal): it must be active, carry the introspection scope, and be a client-credentials
/// token (a client acting for itself, no user, no actor). Its client is looked up next.
pub(crate) fn after_caller_lookup(parsed: Parsed, answer: Result<Option<AccessTokenRecord>, StoreError>) -> Step {
    let record = match answer {
        Ok(r) => r,
        Err(e) => return Step::Respond(Response::Bearer(BearerError::from_store(e))),
    };
    let record = match bearer::check(record, parsed.now, parsed.config.introspection_scope(), None) {
        Ok(r) => r,
        Err(e) => return Step::Respond(Response::Bearer(e)),
    };
    let own = matches!(&record.subject, Subject::Client(id) if *id == record.client_id) && record.actor.is_none();
    if !own {
        // A user's token (or an impersonation token) never lets its client see other tokens.
        return Step::Respond(Response::Bearer(BearerError::InsufficientScope(
            parsed.config.introspection_scope().clone(),
        )));
    }
    Step::NeedClient(NeedClient {
        config: Arc::clone(&parsed.config),
        now: parsed.now,
        client_id: record.client_id.as_ref().to_owned(),
        then: AfterClient::Inspect(Box::new(Parsed { caller: Caller::BearerClient, ..parsed })),
    })
}

/// The bearer caller's client: it must still exist, be confidential and still be allowed the
/// introspection scope, or the token has lost its power (as at the admin API).
fn after_bearer_client(parsed: Parsed, config: Arc<Config>, now: UnixTime, client: Option<Arc<Client>>) -> Step {
    let scope = config.introspection_scope();
    let Some(client) = client else {
        return Step::Respond(Response::Bearer(BearerError::InvalidToken("the access token is not active")));
    };
    if !client.is_confidential() || !scope.is_subset(client.allowed_scopes()) {
        return Step::Respond(Response::Bearer(BearerError::InsufficientScope(scope.clone())));
    }
    search(parsed, config, now, client.client_id_shared(), true, None)
}
