//! A generic sync driver: answers every store question from the [`crate::store`] traits and
//! hands the one question it cannot answer, [`NeedOwner`], back to the caller.

use crate::response::Response;
use crate::step::{NeedOwner, Step};
use crate::store::{ClientRegistry, CodeStore, RefreshStore, TokenStore, UserDirectory};

/// Every store trait at once, the user directory included; implemented for any type that
/// implements them all.
pub trait Store: ClientRegistry + CodeStore + RefreshStore + TokenStore + UserDirectory {}

impl<T: ClientRegistry + CodeStore + RefreshStore + TokenStore + UserDirectory + ?Sized> Store for T {}

/// What [`drive`] stops at.
#[derive(Debug)]
#[must_use]
#[expect(clippy::exhaustive_enums, reason = "mirrors Step: a new stop must break every caller")]
pub enum Driven {
    /// The machine finished with this response.
    Respond(Response),
    /// The application must authenticate the resource owner and decide on consent; call
    /// [`drive`] again with the step that [`NeedOwner::resume`] returns.
    NeedOwner(NeedOwner),
}

/// Runs `step` to completion against `store`, stopping only for [`NeedOwner`].
///
/// Store errors are answered into the machine, which turns them into `server_error` or
/// `temporarily_unavailable`; this function never panics and never loops forever (every
/// machine has a bounded number of steps).
pub fn drive<S: Store + ?Sized>(store: &S, mut step: Step) -> Driven {
    loop {
        step = match step {
            Step::NeedClient(q) => {
                let answer = store.client(q.client_id());
                q.resume(answer)
            }
            Step::NeedUser(q) => {
                let answer = store.user(q.lookup());
                q.resume(answer)
            }
            Step::NeedOwner(q) => return Driven::NeedOwner(q),
            Step::TakeCode(q) => {
                let answer = store.take_code(q.key(), q.client_id(), q.now());
                q.resume(answer)
            }
            Step::LookupAccessToken(q) => {
                let answer = store.access_token(q.key(), q.now());
                q.resume(answer)
            }
            Step::LookupRefreshToken(q) => {
                let answer = store.refresh_token(q.key(), q.now());
                q.resume(answer)
            }
            Step::TakeRefreshToken(q) => {
                let answer = store.take_refresh_token(q.key(), q.now());
                q.resume(answer)
            }
            Step::RevokeGrant(q) => {
                let answer = store.revoke_grant(q.grant_id(), q.now());
                q.resume(answer)
            }
            Step::Persist(mut q) => {
                let answer = store.persist(q.take_writes(), q.now());
                q.resume(answer)
            }
            Step::Respond(r) => return Driven::Respond(r),
        };
    }
}
