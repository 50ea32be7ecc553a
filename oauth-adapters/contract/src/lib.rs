//! # oauth-store-contract
//!
//! The storage contract suite of [`oauth_core`]: the security contracts of the store traits
//! ([`oauth_core::ClientRegistry`], [`oauth_core::UserDirectory`], [`oauth_core::CodeStore`],
//! [`oauth_core::RefreshStore`], [`oauth_core::TokenStore`]) as executable rules, which any store
//! implementation runs against itself with one line:
//!
//! ```
//! # use oauth_core::{Client, User};
//! # use oauth_memory::MemoryStore;
//! /// A new, empty store holding exactly these clients and users.
//! fn memory_store(clients: Vec<Client>, users: Vec<(String, User)>) -> MemoryStore {
//!     let store = MemoryStore::with_clients(clients);
//!     for (user_id, user) in users {
//!         assert!(store.insert_user(&user_id, user), "the fixture's subjects are unique");
//!     }
//!     store
//! }
//!
//! // In a test file (`tests/contract_suite.rs`): one `#[test]` per rule, named after it, in a
//! // module `store_contract`.
//! oauth_store_contract::contract_tests!(memory_store);
//! # oauth_store_contract::rules::take_code_is_atomic_under_concurrency(memory_store);
//! ```
//!
//! ## The factory
//!
//! Every rule takes a *factory*: any `Fn(Vec<Client>, Vec<(String, User)>) -> S` (a function
//! or a closure) where `S: oauth_core::Store + Send + Sync + 'static` (every store trait). The
//! core's traits have no methods to register clients or users, so the factory does it the
//! store's own way. Its contract:
//!
//! - **A fresh, empty store per call.** A rule calls the factory once, or (the failure rules)
//!   once per injected fault, and the test harness runs rules on parallel threads: each call
//!   must return a store that shares nothing with any other (a new in-memory instance; for a
//!   database, a new schema or database per call). Tokens and keys are random per store, but a
//!   rule assumes the store holds nothing it did not write.
//! - **Exactly the given clients and users.** `clients` ([`fixture::clients()`]) are registered
//!   as they are (the rules compare what [`oauth_core::ClientRegistry::client`] returns with
//!   them by `==`); `users` ([`fixture::users()`]) are `(userId, user)` pairs with unique
//!   subjects, found by [`oauth_core::UserDirectory::user`] by `userId` or by subject.
//! - **No panics.** A store answers a failure with a [`oauth_core::StoreError`]; a panic in
//!   the factory or the store fails the rule.
//!
//! The store itself must use the `now` each call is given, never its own clock: the rules run
//! on a virtual clock that starts at Unix time 1 700 000 000 (2023-11-14T22:13:20Z) and moves
//! up to about 31 days forward, and a call may carry a `now` a second earlier than the call
//! before it (a request's time is read once, when it starts, as in the race between a take and
//! a replay's revocation).
//!
//! ## Rules
//!
//! One public function per rule in [`rules`] (the table there lists them with their
//! contracts). They cover: exact lookups of clients, origins and users; atomic take of codes
//! and refresh tokens under concurrency ([`THREADS`] threads released together, [`ROUNDS`]
//! rounds); used credentials remembered as `Used` until `expires_at` and `Missing` from then
//! on; another client's take leaving a code usable; read-only refresh token lookups; rotation;
//! expiry; separate credential kinds; all-or-nothing, never-overwriting persists; revocation of
//! every credential of a grant, including records persisted later or concurrently; read-only
//! access-token lookups (`access_token`, which the revocation and introspection endpoints ask
//! through `Step::LookupAccessToken`) that answer `None` for a revoked grant's tokens for good;
//! and, through [`FaultyStore`], the failure of each store call of every flow driven with
//! [`oauth_core::drive()`] (authorization request, code redemption with PKCE, refresh, client
//! credentials, impersonation, replay, revocation, introspection), which must answer
//! `temporarily_unavailable` (503) or `server_error` (500), issue nothing, lose nothing, never
//! answer a revocation 200 and never describe a token at introspection.
//!
//! Records are never built by hand: the rules run the core's machines, and the few records a
//! rule writes itself are copies of records the machines built (the record types are
//! `#[non_exhaustive]`).
//!
//! The failure rules make one store per injected fault (about 90 in all); the concurrency rules
//! start [`THREADS`] threads [`ROUNDS`] times each. Against the in-memory store, the whole suite
//! runs in well under a second in the dev profile.
//!
//! ## Without the macro
//!
//! [`run_all`] runs every rule in one call (for a custom harness, such as one that starts a
//! database first); each rule function can also be called on its own.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod faulty;
pub mod fixture;
mod harness;
pub mod rules;

pub use faulty::{Call, FaultyStore};
pub use harness::{ROUNDS, THREADS};

use oauth_core::{Client, Store, User};

/// One `#[test]` per contract rule, each named after its function in [`rules`] and calling it
/// with the factory, in a module `store_contract` (or the module named first).
///
/// The factory is an expression of a type `Fn(Vec<Client>, Vec<(String, User)>) -> S` with
/// `S: oauth_core::Store + Send + Sync + 'static`: a closure or the path of a function. It is
/// evaluated once in every test. The generated module imports everything of the module the
/// macro is called in (`use super::*`), so the factory may name its items.
///
/// ```text
/// // tests/contract_suite.rs of a store crate
/// oauth_store_contract::contract_tests!(|clients, users| my_store::Store::for_tests(clients, users));
/// // or, to run the suite twice in one file:
/// oauth_store_contract::contract_tests!(mod sharded, |clients, users| my_store::Store::sharded(clients, users, 4));
/// ```
///
/// A failing rule fails its test with a message that names what broke.
#[macro_export]
macro_rules! contract_tests {
    (mod $name:ident, $factory:expr $(,)?) => {
        #[allow(unused_imports, clippy::redundant_closure)]
        mod $name {
            use super::*;
            $crate::__contract_rules! { tests ($factory) }
        }
    };
    ($factory:expr $(,)?) => {
        $crate::contract_tests! { mod store_contract, $factory }
    };
}

/// The list of rules, expanded into tests, names or calls. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __contract_rules {
    (@emit tests ($factory:expr) [$($rule:ident)*]) => {
        $(
            #[test]
            fn $rule() {
                $crate::rules::$rule($factory);
            }
        )*
    };
    (@emit names () [$($rule:ident)*]) => {
        [$(::core::stringify!($rule)),*]
    };
    (@emit run ($factory:ident) [$($rule:ident)*]) => {
        $(
            $crate::rules::$rule(&$factory);
        )*
    };
    ($mode:ident $args:tt) => {
        $crate::__contract_rules! { @emit $mode $args [
            client_lookup_is_exact
            origin_registered_is_exact
            user_lookup_is_exact
            take_code_is_atomic_under_concurrency
            take_refresh_token_is_atomic_under_concurrency
            used_code_is_remembered_until_expiry
            take_code_by_another_client_leaves_it_usable
            refresh_token_lookup_does_not_change_state
            rotated_refresh_token_is_used_until_expiry
            credentials_expire_at_expires_at
            credential_kinds_are_separate
            persist_is_all_or_nothing
            persist_never_overwrites
            revoke_grant_deactivates_every_credential
            persist_after_revoke_stays_inactive
            persist_racing_revoke_stays_inactive
            store_failure_in_authorization_endpoint
            store_failure_in_authorization_code_grant
            store_failure_in_refresh_token_grant
            store_failure_in_client_credentials_grant
            store_failure_in_impersonation_grant
            store_failure_in_replay_revocation
            access_token_lookup_does_not_change_state
            revoked_grant_access_tokens_stay_inactive
            store_failure_in_revocation
            store_failure_in_introspection
        ] }
    };
}

/// The names of every rule, in the order [`contract_tests!`] and [`run_all`] run them; each is
/// a function in [`rules`] and a test generated by [`contract_tests!`].
pub const RULES: &[&str] = &__contract_rules!(names());

/// Runs every rule against stores from `factory`, one after the other, in the order of
/// [`RULES`]. Prefer [`contract_tests!`], which reports each rule as its own test.
///
/// # Panics
/// At the first rule the store breaks, with a message that names what broke.
pub fn run_all<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    __contract_rules!(run(factory));
}
