//! `grant_type=refresh_token` (RFC 6749 §6; RFC 9700 §4.14.2): look the token up, check client
//! binding, expiry and scope without changing anything, then take (rotate) it atomically and
//! issue a new access token and a new refresh token with the grant's original scope. A rotated
//! token presented again by its own client revokes the whole grant (D10).
//!
//! The grant's scope is narrowed to what the client is still allowed: a scope an administrator
//! removed from the client is not refreshed, and without `offline_access` the client may no
//! longer refresh at all (`invalid_grant`).

use super::{Ctx, Issue};
use crate::error::{OAuthError, StoreError};
use crate::response::Response;
use crate::step::{AfterRefreshLookup, LookupRefreshToken, RevokeGrant, Step, TakeRefreshToken};
use crate::store::{RefreshTokenRecord, TokenState};
use crate::time::UnixTime;
use crate::types::{ScopeSet, Subject, TokenDigest};
use crate::wire::Params;

const MAX_REFRESH_TOKEN_BYTES: usize = 256;

/// The request waiting for the refresh token.
#[derive(Debug)]
pub(crate) struct RefreshPending {
    pub(crate) now: UnixTime,
    ctx: Ctx,
    /// The requested scope, parsed; `None` when omitted.
    scope: Option<ScopeSet>,
}

fn invalid() -> Step {
    Step::error(OAuthError::invalid_grant("invalid refresh token"))
}

pub(super) fn start(ctx: Ctx, params: &Params) -> Step {
    let Some(token) = params.get("refresh_token").ok().flatten() else {
        return Step::error(OAuthError::invalid_request("refresh_token missing"));
    };
    if token.len() > MAX_REFRESH_TOKEN_BYTES {
        return invalid();
    }
    let scope = match params.get("scope").ok().flatten().map(ScopeSet::parse) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(_)) => return Step::error(OAuthError::invalid_scope("scope is malformed")),
    };
    Step::LookupRefreshToken(LookupRefreshToken {
        key: TokenDigest::of(token),
        now: ctx.now,
        then: AfterRefreshLookup::Refresh(Box::new(RefreshPending { now: ctx.now, ctx, scope })),
    })
}

/// Reuse of a rotated token: revoke the grant if it is the token's own client.
fn reused(p: &RefreshPending, r: RefreshTokenRecord) -> Step {
    if *r.client_id == *p.ctx.client.client_id() {
        Step::RevokeGrant(RevokeGrant {
            grant_id: r.grant_id,
            now: p.now,
            then: Response::Error(OAuthError::invalid_grant("invalid refresh token")),
            allow_origin: None,
        })
    } else {
        invalid()
    }
}

/// The record of an active refresh token that belongs to this client and has not expired, or
/// the step that answers otherwise (a store error, `invalid_grant`, or the revocation of a
/// reused token's grant).
fn usable(
    p: &RefreshPending,
    answer: Result<TokenState<RefreshTokenRecord>, StoreError>,
) -> Result<RefreshTokenRecord, Box<Step>> {
    let record = match answer {
        Err(e) => return Err(Box::new(Step::error(OAuthError::from_store(e)))),
        Ok(TokenState::Missing) => return Err(Box::new(invalid())),
        Ok(TokenState::Used(r)) => return Err(Box::new(reused(p, r))),
        Ok(TokenState::Active(r)) => r,
    };
    if *record.client_id != *p.ctx.client.client_id() || record.expires_at.is_expired_at(p.now) {
        return Err(Box::new(invalid()));
    }
    Ok(record)
}

/// The grant's scope narrowed to the client's current allowed scopes, and the access token's
/// scope (the requested one, or all of the grant's); `invalid_grant` when the client may no
/// longer refresh (`offline_access` removed), `invalid_scope` for a request beyond the grant.
fn grant_scope(p: &RefreshPending, record: &RefreshTokenRecord) -> Result<(ScopeSet, ScopeSet), OAuthError> {
    let granted = record.scope.intersection(p.ctx.client.allowed_scopes());
    if !granted.contains("offline_access") {
        return Err(OAuthError::invalid_grant("the client may no longer use refresh tokens for this grant"));
    }
    match &p.scope {
        Some(s) if s.is_subset(&granted) => Ok((granted, s.clone())),
        Some(_) => Err(OAuthError::invalid_scope("requested scope exceeds the original grant")),
        None => Ok((granted.clone(), granted)),
    }
}

pub(crate) fn after_lookup_refresh(
    key: TokenDigest,
    p: RefreshPending,
    answer: Result<TokenState<RefreshTokenRecord>, StoreError>,
) -> Step {
    let cors = p.ctx.cors.clone();
    looked_up(key, p, answer).with_cors(cors.as_ref())
}

fn looked_up(key: TokenDigest, p: RefreshPending, answer: Result<TokenState<RefreshTokenRecord>, StoreError>) -> Step {
    let record = match usable(&p, answer) {
        Ok(r) => r,
        Err(step) => return *step,
    };
    // Nothing so far changed the token: a refused request leaves it usable (D7).
    if let Err(e) = grant_scope(&p, &record) {
        return Step::error(e);
    }
    Step::TakeRefreshToken(TakeRefreshToken { key, pending: Box::new(p) })
}

pub(crate) fn after_take_refresh(
    p: RefreshPending,
    answer: Result<TokenState<RefreshTokenRecord>, StoreError>,
) -> Step {
    let cors = p.ctx.cors.clone();
    taken(p, answer).with_cors(cors.as_ref())
}

fn taken(p: RefreshPending, answer: Result<TokenState<RefreshTokenRecord>, StoreError>) -> Step {
    // A Used answer here means another request rotated the token between our lookup and take:
    // that is a reuse too.
    let record = match usable(&p, answer) {
        Ok(r) => r,
        Err(step) => return *step,
    };
    let (granted, scope) = match grant_scope(&p, &record) {
        Ok(s) => s,
        Err(e) => return Step::error(e),
    };
    p.ctx.issue(Issue {
        grant_id: Some(record.grant_id),
        subject: Subject::User(record.subject),
        actor: None,
        scope,
        // The new refresh token keeps the grant's scope (narrowed to what the client is still
        // allowed) and absolute expiry (RFC 6749 §6).
        refresh: Some((granted, record.auth_time, record.expires_at)),
    })
}
