//! `grant_type=urn:qlik:oauth:user-impersonation` (Qlik's M2M impersonation grant, Part 1.6):
//! a confidential client allowed the grant acts as an existing user named by `user_lookup`
//! (`{"field": "userId" | "subject", "value": "…"}`). The token's subject is the user; the
//! client is recorded as the actor (RFC 8693 §4.1 `act`, IMP-09). The scope is the client's
//! allowed scopes, or a narrower requested set (D8, D9). No refresh token is issued (D9).

use std::sync::Arc;

use super::{Ctx, Issue, requested_scope};
use crate::error::{OAuthError, StoreError};
use crate::step::{NeedUser, Step};
use crate::types::{ScopeSet, Subject};
use crate::user::{User, UserLookup, UserLookupError};
use crate::wire::Params;

/// The request waiting for the user directory.
#[derive(Debug)]
pub(crate) struct ImpersonationPending {
    pub(crate) now: crate::time::UnixTime,
    ctx: Ctx,
    scope: ScopeSet,
}

impl ImpersonationPending {
    pub(crate) fn client_id(&self) -> &str {
        self.ctx.client.client_id()
    }
}

pub(super) fn start(ctx: Ctx, params: &Params) -> Step {
    // Only a confidential client authenticated with its secret reaches here: public clients
    // cannot be registered with this grant.
    let lookup = match params.get("user_lookup").ok().flatten() {
        None => return Step::error(OAuthError::invalid_request("user_lookup missing")),
        Some(text) => match UserLookup::parse(text) {
            Ok(l) => l,
            Err(UserLookupError::UnknownField) => {
                return Step::error(OAuthError::invalid_request("user_lookup.field must be userId or subject"));
            }
            Err(UserLookupError::BadValue) => {
                return Step::error(OAuthError::invalid_request("user_lookup.value must be a non-empty string"));
            }
            Err(_) => {
                return Step::error(OAuthError::invalid_request(
                    "user_lookup must be a JSON object with field and value",
                ));
            }
        },
    };
    let allowed = ctx.client.allowed_scopes();
    let scope = match requested_scope(params, allowed, || allowed.without("offline_access")) {
        Ok(s) => s,
        Err(e) => return Step::error(e),
    };
    Step::NeedUser(NeedUser { lookup, pending: Box::new(ImpersonationPending { now: ctx.now, ctx, scope }) })
}

pub(crate) fn after_user(p: ImpersonationPending, answer: Result<Option<User>, StoreError>) -> Step {
    let cors = p.ctx.cors.clone();
    let step = match answer {
        Err(e) => Step::error(OAuthError::from_store(e)),
        // One description for both: the client learns no more than that it cannot act as
        // this user.
        Ok(None) => Step::error(OAuthError::invalid_grant("the user does not exist or is disabled")),
        Ok(Some(u)) if u.disabled => Step::error(OAuthError::invalid_grant("the user does not exist or is disabled")),
        // A directory entry whose subject could pass for a client's `sub` is never impersonated.
        Ok(Some(u)) if !Subject::is_valid_user_id(&u.subject) => {
            Step::error(OAuthError::invalid_grant("the user does not exist or is disabled"))
        }
        Ok(Some(u)) => {
            let actor: Arc<str> = p.ctx.client.client_id_shared();
            p.ctx.issue(Issue {
                grant_id: None,
                subject: Subject::User(u.subject),
                actor: Some(actor),
                scope: p.scope,
                refresh: None,
            })
        }
    };
    step.with_cors(cors.as_ref())
}
