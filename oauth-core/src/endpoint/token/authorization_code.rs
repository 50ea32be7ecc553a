//! `grant_type=authorization_code` (RFC 6749 §4.1.3; RFC 7636 §4.5, §4.6): take the code
//! atomically, check its binding (client, redirect URI, PKCE, expiry), issue tokens. A replay by
//! the code's own client revokes everything the code issued (D13).

use super::{Ctx, Issue};
use crate::error::{OAuthError, StoreError};
use crate::pkce::CodeChallenge;
use crate::response::Response;
use crate::step::{RevokeGrant, Step, TakeCode};
use crate::store::{CodeRecord, TokenState};
use crate::time::UnixTime;
use crate::types::{GrantType, Subject, TokenDigest};
use crate::wire::Params;

/// Longest `code` accepted, in bytes: 256. Ours are 43.
const MAX_CODE_BYTES: usize = 256;

/// The request waiting for the code; `params` (already checked for repeats) still holds
/// `redirect_uri` and `code_verifier`.
#[derive(Debug)]
pub(crate) struct CodePending {
    pub(crate) now: UnixTime,
    ctx: Ctx,
    params: Params,
}

impl CodePending {
    pub(crate) fn client_id(&self) -> &str {
        self.ctx.client.client_id()
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).ok().flatten()
    }
}

pub(super) fn start(ctx: Ctx, params: Params) -> Step {
    let key = match params.get("code").ok().flatten() {
        None => return Step::error(OAuthError::invalid_request("code missing")),
        Some(code) if code.len() > MAX_CODE_BYTES => {
            return Step::error(OAuthError::invalid_grant("invalid authorization code"));
        }
        Some(code) => TokenDigest::of(code),
    };
    Step::TakeCode(TakeCode { key, pending: Box::new(CodePending { now: ctx.now, ctx, params }) })
}

fn pkce_ok(challenge: Option<&CodeChallenge>, verifier: Option<&str>) -> bool {
    match (challenge, verifier) {
        (Some(c), Some(v)) => c.verify(v),
        // RFC 7636 §4.6: a challenge was stored, so a verifier is required.
        (Some(_), None) => false,
        // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is a downgrade.
        (None, Some(_)) => false,
        (None, None) => true,
    }
}

pub(crate) fn after_take_code(p: CodePending, answer: Result<TokenState<CodeRecord>, StoreError>) -> Step {
    let cors = p.ctx.cors.clone();
    code_taken(p, answer).with_cors(cors.as_ref())
}

fn code_taken(p: CodePending, answer: Result<TokenState<CodeRecord>, StoreError>) -> Step {
    let invalid = || Step::error(OAuthError::invalid_grant("invalid authorization code"));
    let record = match answer {
        Err(e) => return Step::error(OAuthError::from_store(e)),
        Ok(TokenState::Missing) => return invalid(),
        Ok(TokenState::Used(r)) => {
            // A replay. Revoke the grant only when the code's own client, with the right
            // verifier, presents it again: a stranger cannot get another client's tokens revoked
            // (OAuth 2.1 "Reuse of Authorization Codes").
            if *r.client_id == *p.ctx.client.client_id() && pkce_ok(r.code_challenge.as_ref(), p.get("code_verifier")) {
                return Step::RevokeGrant(RevokeGrant {
                    grant_id: r.grant_id,
                    now: p.now,
                    then: Response::Error(OAuthError::invalid_grant("invalid authorization code")),
                    allow_origin: None,
                });
            }
            return invalid();
        }
        Ok(TokenState::Active(r)) => r,
    };
    if record.expires_at.is_expired_at(p.now) || *record.client_id != *p.ctx.client.client_id() {
        return invalid();
    }
    let redirect_ok = match p.get("redirect_uri") {
        Some(sent) => sent == &*record.redirect_uri,
        None => !record.redirect_uri_sent,
    };
    if !redirect_ok {
        return Step::error(OAuthError::invalid_grant("redirect_uri does not match the authorization request"));
    }
    if !pkce_ok(record.code_challenge.as_ref(), p.get("code_verifier")) {
        return Step::error(OAuthError::invalid_grant("code_verifier does not match"));
    }
    let ctx = p.ctx;
    // The approved scope, narrowed to what the client is still allowed: an administrator may
    // have taken a scope away since the code was issued (as the refresh grant does).
    let scope = record.scope.intersection(ctx.client.allowed_scopes());
    if scope.is_empty() {
        return Step::error(OAuthError::invalid_grant("the client may no longer be granted this scope"));
    }
    let refresh = (scope.contains("offline_access") && ctx.client.allows_grant(GrantType::RefreshToken))
        .then(|| (scope.clone(), record.auth_time, ctx.now.plus(ctx.config.lifetimes().refresh_token)));
    ctx.issue(Issue {
        grant_id: Some(record.grant_id),
        subject: Subject::User(record.subject),
        actor: None,
        scope,
        refresh,
    })
}
