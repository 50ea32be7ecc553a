//! The contract rules, one public function per rule. Each takes the factory (see the crate
//! documentation), asks it for fresh stores, and panics with a message naming what broke when
//! the store (or the core with it) breaks the rule. [`crate::contract_tests!`] makes one
//! `#[test]` of each; [`crate::run_all`] runs them all in one call.
//!
//! | rule | contract |
//! |---|---|
//! | [`client_lookup_is_exact`] | `ClientRegistry::client`: byte for byte |
//! | [`origin_registered_is_exact`] | `ClientRegistry::origin_registered`: byte for byte |
//! | [`user_lookup_is_exact`] | `UserDirectory::user`: `userId` / `subject` byte for byte, disabled reported |
//! | [`take_code_is_atomic_under_concurrency`] | `CodeStore::take_code`: one `Active` among racers |
//! | [`take_refresh_token_is_atomic_under_concurrency`] | `RefreshStore::take_refresh_token`: the same |
//! | [`used_code_is_remembered_until_expiry`] | a taken code is `Used` until `expires_at`, then `Missing` |
//! | [`take_code_by_another_client_leaves_it_usable`] | another client's take is `Missing` and changes nothing |
//! | [`refresh_token_lookup_does_not_change_state`] | `RefreshStore::refresh_token` is read-only |
//! | [`rotated_refresh_token_is_used_until_expiry`] | rotation: `Used` until `expires_at`, then `Missing` |
//! | [`credentials_expire_at_expires_at`] | expired once `now >= expires_at` |
//! | [`credential_kinds_are_separate`] | a code is not a token, and so on |
//! | [`persist_is_all_or_nothing`] | `TokenStore::persist`: all records or none |
//! | [`persist_never_overwrites`] | `TokenStore::persist`: a stored digest is never written again |
//! | [`revoke_grant_deactivates_every_credential`] | `TokenStore::revoke_grant`: every credential of the grant |
//! | [`persist_after_revoke_stays_inactive`] | records persisted after the revocation stay inactive |
//! | [`persist_racing_revoke_stays_inactive`] | the same, persist and revocation racing on threads |
//! | [`store_failure_in_authorization_endpoint`] | each store call failing: 503/500, nothing lost |
//! | [`store_failure_in_authorization_code_grant`] | the same for a code redemption |
//! | [`store_failure_in_refresh_token_grant`] | the same for a refresh |
//! | [`store_failure_in_client_credentials_grant`] | the same for client credentials |
//! | [`store_failure_in_impersonation_grant`] | the same for impersonation |
//! | [`store_failure_in_replay_revocation`] | the same for a replay that revokes its grant |
//! | [`access_token_lookup_does_not_change_state`] | `TokenStore::access_token` is read-only |
//! | [`revoked_grant_access_tokens_stay_inactive`] | a revoked grant's `access_token` is `None`, late ones too |
//! | [`store_failure_in_revocation`] | each store call of a revocation failing: 503/500, never a false 200 |
//! | [`store_failure_in_introspection`] | the same for introspection: never `active: true` wrongly |

mod failure;
mod inspect;
mod lookup;
mod persist;
mod revoke;
mod take;

pub use failure::{
    store_failure_in_authorization_code_grant, store_failure_in_authorization_endpoint,
    store_failure_in_client_credentials_grant, store_failure_in_impersonation_grant, store_failure_in_introspection,
    store_failure_in_refresh_token_grant, store_failure_in_replay_revocation, store_failure_in_revocation,
};
pub use inspect::{access_token_lookup_does_not_change_state, revoked_grant_access_tokens_stay_inactive};
pub use lookup::{client_lookup_is_exact, origin_registered_is_exact, user_lookup_is_exact};
pub use persist::{persist_is_all_or_nothing, persist_never_overwrites};
pub use revoke::{
    persist_after_revoke_stays_inactive, persist_racing_revoke_stays_inactive,
    revoke_grant_deactivates_every_credential,
};
pub use take::{
    credential_kinds_are_separate, credentials_expire_at_expires_at, refresh_token_lookup_does_not_change_state,
    rotated_refresh_token_is_used_until_expiry, take_code_by_another_client_leaves_it_usable,
    take_code_is_atomic_under_concurrency, take_refresh_token_is_atomic_under_concurrency,
    used_code_is_remembered_until_expiry,
};
