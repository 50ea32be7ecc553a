//! `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client acts on its own
//! behalf. No refresh token is issued (§4.4.3, D9).

use super::{Ctx, Issue, requested_scope};
use crate::step::Step;
use crate::types::Subject;
use crate::wire::Params;

pub(super) fn start(ctx: Ctx, params: &Params) -> Step {
    // Only confidential clients reach here: a public client cannot be registered with this
    // grant, and authentication by `none` never passes for a confidential client.
    let allowed = ctx.client.allowed_scopes();
    let scope = match requested_scope(params, allowed, || allowed.without("offline_access")) {
        Ok(s) => s,
        Err(e) => return Step::error(e),
    };
    let subject = Subject::Client(ctx.client.client_id_shared());
    ctx.issue(Issue { grant_id: None, subject, actor: None, scope, refresh: None })
}
