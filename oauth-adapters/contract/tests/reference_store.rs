//! The suite against a store written outside `oauth-memory`, as a third-party author would: a
//! small reference store passes every rule, and each deliberately broken variant of it fails the
//! rule written for that breach (so the rules are shown to catch what they claim to).

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use oauth_core::{
    AccessTokenRecord, Client, ClientRegistry, CodeRecord, CodeStore, GrantId, RefreshStore, RefreshTokenRecord,
    StoreError, TokenDigest, TokenState, TokenStore, UnixTime, User, UserDirectory, UserField, UserLookup, Write,
};
use oauth_store_contract::rules;

/// One deliberate breach of the store contracts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    None,
    /// Checks and marks "used" in two steps, with a gap between them.
    NonAtomicTake,
    /// Hands a code to any client.
    TakeIgnoresClient,
    /// Marks a code used even when another client presents it.
    OtherClientUsesUp,
    /// Forgets a code or refresh token once used.
    ForgetsUsed,
    /// Treats a record as expired only once `now > expires_at`.
    ExpiryOffByOne,
    /// The read-only refresh token lookup marks the token used.
    LookupTakes,
    /// Writes a batch record by record, stopping at the first collision.
    PartialPersist,
    /// Replaces a stored record with the same digest.
    Overwrites,
    /// Revokes codes and access tokens but not refresh tokens.
    RevokeSkipsRefresh,
    /// Removes a revoked grant's records but keeps no tombstone.
    NoTombstone,
    /// Refuses a persist for a revoked grant with `Failed` instead of `GrantRevoked`.
    RevokedPersistFails,
    /// Looks clients up ignoring ASCII case (a case-insensitive collation).
    ClientCaseInsensitive,
    /// Compares origins ignoring ASCII case.
    OriginCaseInsensitive,
    /// Looks users up ignoring ASCII case.
    UserCaseInsensitive,
    /// Reports a disabled user as unknown.
    DisabledAsNone,
    /// One "used" flag per digest whatever the kind: a take of the wrong kind uses it up.
    KindsShared,
    /// `access_token` forgets the record it returns (a read that consumes).
    AccessLookupConsumes,
    /// `access_token` ignores revocations (codes and refresh tokens honour them).
    AccessIgnoresRevocation,
    /// `revoke_grant` answers `Ok` and does nothing.
    RevokeDoesNothing,
}

#[derive(Clone)]
enum Rec {
    Code(CodeRecord),
    Access(AccessTokenRecord),
    Refresh(RefreshTokenRecord),
}

impl Rec {
    const fn grant(&self) -> &GrantId {
        match self {
            Self::Code(r) => &r.grant_id,
            Self::Access(r) => &r.grant_id,
            Self::Refresh(r) => &r.grant_id,
        }
    }

    const fn expires_at(&self) -> UnixTime {
        match self {
            Self::Code(r) => r.expires_at,
            Self::Access(r) => r.expires_at,
            Self::Refresh(r) => r.expires_at,
        }
    }
}

fn code_of(r: &Rec) -> Option<CodeRecord> {
    match r {
        Rec::Code(c) => Some(c.clone()),
        _ => None,
    }
}

fn refresh_of(r: &Rec) -> Option<RefreshTokenRecord> {
    match r {
        Rec::Refresh(t) => Some(t.clone()),
        _ => None,
    }
}

#[derive(Default)]
struct State {
    creds: HashMap<TokenDigest, (Rec, bool)>,
    revoked: HashSet<GrantId>,
}

/// A reference store: one lock, revocations remembered forever, nothing purged.
struct RefStore {
    clients: Vec<Arc<Client>>,
    users: Vec<(String, User)>,
    state: Mutex<State>,
    bug: Bug,
}

impl RefStore {
    fn new(clients: Vec<Client>, users: Vec<(String, User)>, bug: Bug) -> Self {
        Self { clients: clients.into_iter().map(Arc::new).collect(), users, state: Mutex::default(), bug }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn eq(&self, a: &str, b: &str, bug: Bug) -> bool {
        if self.bug == bug { a.eq_ignore_ascii_case(b) } else { a == b }
    }

    /// The live record under `key` if `pick` accepts its kind, and whether it is used.
    fn read<T>(&self, s: &State, key: &TokenDigest, now: UnixTime, pick: fn(&Rec) -> Option<T>) -> Option<(T, bool)> {
        let (rec, used) = s.creds.get(key)?;
        let exempt = match rec {
            Rec::Refresh(_) => self.bug == Bug::RevokeSkipsRefresh,
            Rec::Access(_) => self.bug == Bug::AccessIgnoresRevocation,
            Rec::Code(_) => false,
        };
        let revoked = s.revoked.contains(rec.grant()) && !exempt;
        let expired =
            if self.bug == Bug::ExpiryOffByOne { now > rec.expires_at() } else { rec.expires_at().is_expired_at(now) };
        if revoked || expired {
            return None;
        }
        pick(rec).map(|t| (t, *used))
    }

    /// The take shared by codes and refresh tokens.
    fn take<T>(&self, key: &TokenDigest, now: UnixTime, pick: fn(&Rec) -> Option<T>) -> TokenState<T> {
        let seen = {
            let s = self.state();
            self.read(&s, key, now, pick)
        };
        if self.bug == Bug::NonAtomicTake {
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut s = self.state();
        let seen = if self.bug == Bug::NonAtomicTake { seen } else { self.read(&s, key, now, pick) };
        match seen {
            None => {
                if self.bug == Bug::KindsShared {
                    if let Some(slot) = s.creds.get_mut(key) {
                        slot.1 = true;
                    }
                }
                TokenState::Missing
            }
            Some((_, true)) if self.bug == Bug::ForgetsUsed => TokenState::Missing,
            Some((t, true)) => TokenState::Used(t),
            Some((t, false)) => {
                if let Some(slot) = s.creds.get_mut(key) {
                    slot.1 = true;
                }
                TokenState::Active(t)
            }
        }
    }
}

impl ClientRegistry for RefStore {
    fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>, StoreError> {
        Ok(self.clients.iter().find(|c| self.eq(c.client_id(), client_id, Bug::ClientCaseInsensitive)).cloned())
    }

    fn origin_registered(&self, origin: &str) -> Result<bool, StoreError> {
        Ok(self
            .clients
            .iter()
            .any(|c| c.allowed_origins().iter().any(|o| self.eq(o, origin, Bug::OriginCaseInsensitive))))
    }
}

impl UserDirectory for RefStore {
    fn user(&self, lookup: &UserLookup) -> Result<Option<User>, StoreError> {
        let found = self.users.iter().find(|(id, user)| match lookup.field {
            UserField::UserId => self.eq(id, &lookup.value, Bug::UserCaseInsensitive),
            _ => self.eq(&user.subject, &lookup.value, Bug::UserCaseInsensitive),
        });
        Ok(found.map(|(_, u)| u.clone()).filter(|u| !(self.bug == Bug::DisabledAsNone && u.disabled)))
    }
}

impl CodeStore for RefStore {
    fn take_code(
        &self,
        key: &TokenDigest,
        client_id: &str,
        now: UnixTime,
    ) -> Result<TokenState<CodeRecord>, StoreError> {
        let owner = {
            let s = self.state();
            self.read(&s, key, now, code_of).map(|(c, _)| c.client_id)
        };
        if owner.is_some_and(|o| *o != *client_id) && self.bug != Bug::TakeIgnoresClient {
            if self.bug == Bug::OtherClientUsesUp {
                let _ = self.take(key, now, code_of);
            }
            return Ok(TokenState::Missing);
        }
        Ok(self.take(key, now, code_of))
    }
}

impl RefreshStore for RefStore {
    fn refresh_token(&self, key: &TokenDigest, now: UnixTime) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        if self.bug == Bug::LookupTakes {
            return Ok(self.take(key, now, refresh_of));
        }
        let s = self.state();
        Ok(match self.read(&s, key, now, refresh_of) {
            None => TokenState::Missing,
            Some((_, true)) if self.bug == Bug::ForgetsUsed => TokenState::Missing,
            Some((t, true)) => TokenState::Used(t),
            Some((t, false)) => TokenState::Active(t),
        })
    }

    fn take_refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        Ok(self.take(key, now, refresh_of))
    }
}

impl TokenStore for RefStore {
    fn persist(&self, writes: Vec<Write>, _now: UnixTime) -> Result<(), StoreError> {
        let mut s = self.state();
        if self.bug != Bug::NoTombstone && writes.iter().any(|w| s.revoked.contains(w.grant_id())) {
            return Err(if self.bug == Bug::RevokedPersistFails {
                StoreError::Failed
            } else {
                StoreError::GrantRevoked
            });
        }
        let mut entries: Vec<(TokenDigest, Rec)> = Vec::with_capacity(writes.len());
        for w in writes {
            entries.push(match w {
                Write::Code { key, record } => (key, Rec::Code(record)),
                Write::AccessToken { key, record } => (key, Rec::Access(record)),
                Write::RefreshToken { key, record } => (key, Rec::Refresh(record)),
                _ => return Err(StoreError::Failed),
            });
        }
        let collides = |s: &State, i: usize| {
            let key = &entries[i].0;
            s.creds.contains_key(key) || entries[..i].iter().any(|(k, _)| k == key)
        };
        match self.bug {
            Bug::Overwrites => {}
            Bug::PartialPersist => {
                for (i, (key, rec)) in entries.iter().enumerate() {
                    if collides(&s, i) {
                        return Err(StoreError::Failed);
                    }
                    s.creds.insert(*key, (rec.clone(), false));
                }
                return Ok(());
            }
            _ => {
                if (0..entries.len()).any(|i| collides(&s, i)) {
                    return Err(StoreError::Failed);
                }
            }
        }
        for (key, rec) in entries {
            s.creds.insert(key, (rec, false));
        }
        Ok(())
    }

    fn revoke_grant(&self, grant_id: &GrantId, _now: UnixTime) -> Result<(), StoreError> {
        let mut s = self.state();
        if self.bug == Bug::RevokeDoesNothing {
            return Ok(());
        }
        if self.bug == Bug::NoTombstone {
            s.creds.retain(|_, (rec, _)| rec.grant() != grant_id);
        } else {
            s.revoked.insert(*grant_id);
        }
        Ok(())
    }

    fn access_token(&self, key: &TokenDigest, now: UnixTime) -> Result<Option<AccessTokenRecord>, StoreError> {
        let pick = |r: &Rec| match r {
            Rec::Access(a) => Some(a.clone()),
            _ => None,
        };
        let mut s = self.state();
        let found = self.read(&s, key, now, pick).map(|(a, _)| a);
        if self.bug == Bug::AccessLookupConsumes && found.is_some() {
            s.creds.remove(key);
        }
        Ok(found)
    }
}

fn correct(clients: Vec<Client>, users: Vec<(String, User)>) -> RefStore {
    RefStore::new(clients, users, Bug::None)
}

// The whole suite against the correct reference store: one test per rule.
oauth_store_contract::contract_tests!(correct);

type Factory<'a> = &'a dyn Fn(Vec<Client>, Vec<(String, User)>) -> RefStore;

/// A rule, called with a factory.
type Rule = fn(Factory<'_>);

/// Whether `rule` fails against the store with `bug`.
fn fails(bug: Bug, rule: Rule) -> bool {
    let factory = move |clients, users| RefStore::new(clients, users, bug);
    catch_unwind(AssertUnwindSafe(|| rule(&factory))).is_err()
}

#[test]
fn every_breach_fails_its_rule() {
    let cases: [(Bug, &str, Rule); 28] = [
        (Bug::NonAtomicTake, "take_code_is_atomic_under_concurrency", |f| {
            rules::take_code_is_atomic_under_concurrency(f);
        }),
        (Bug::NonAtomicTake, "take_refresh_token_is_atomic_under_concurrency", |f| {
            rules::take_refresh_token_is_atomic_under_concurrency(f);
        }),
        (Bug::TakeIgnoresClient, "take_code_by_another_client_leaves_it_usable", |f| {
            rules::take_code_by_another_client_leaves_it_usable(f);
        }),
        (Bug::OtherClientUsesUp, "take_code_by_another_client_leaves_it_usable", |f| {
            rules::take_code_by_another_client_leaves_it_usable(f);
        }),
        (Bug::ForgetsUsed, "used_code_is_remembered_until_expiry", |f| rules::used_code_is_remembered_until_expiry(f)),
        (Bug::ForgetsUsed, "rotated_refresh_token_is_used_until_expiry", |f| {
            rules::rotated_refresh_token_is_used_until_expiry(f);
        }),
        (Bug::ExpiryOffByOne, "credentials_expire_at_expires_at", |f| rules::credentials_expire_at_expires_at(f)),
        (Bug::ExpiryOffByOne, "used_code_is_remembered_until_expiry", |f| {
            rules::used_code_is_remembered_until_expiry(f);
        }),
        (Bug::LookupTakes, "refresh_token_lookup_does_not_change_state", |f| {
            rules::refresh_token_lookup_does_not_change_state(f);
        }),
        (Bug::PartialPersist, "persist_is_all_or_nothing", |f| rules::persist_is_all_or_nothing(f)),
        (Bug::Overwrites, "persist_never_overwrites", |f| rules::persist_never_overwrites(f)),
        (Bug::Overwrites, "persist_is_all_or_nothing", |f| rules::persist_is_all_or_nothing(f)),
        (Bug::RevokeSkipsRefresh, "revoke_grant_deactivates_every_credential", |f| {
            rules::revoke_grant_deactivates_every_credential(f);
        }),
        (Bug::NoTombstone, "persist_after_revoke_stays_inactive", |f| rules::persist_after_revoke_stays_inactive(f)),
        (Bug::NoTombstone, "persist_racing_revoke_stays_inactive", |f| rules::persist_racing_revoke_stays_inactive(f)),
        (Bug::RevokedPersistFails, "persist_after_revoke_stays_inactive", |f| {
            rules::persist_after_revoke_stays_inactive(f);
        }),
        (Bug::ClientCaseInsensitive, "client_lookup_is_exact", |f| rules::client_lookup_is_exact(f)),
        (Bug::OriginCaseInsensitive, "origin_registered_is_exact", |f| rules::origin_registered_is_exact(f)),
        (Bug::UserCaseInsensitive, "user_lookup_is_exact", |f| rules::user_lookup_is_exact(f)),
        (Bug::DisabledAsNone, "user_lookup_is_exact", |f| rules::user_lookup_is_exact(f)),
        (Bug::KindsShared, "credential_kinds_are_separate", |f| rules::credential_kinds_are_separate(f)),
        (Bug::AccessLookupConsumes, "access_token_lookup_does_not_change_state", |f| {
            rules::access_token_lookup_does_not_change_state(f);
        }),
        (Bug::AccessLookupConsumes, "store_failure_in_introspection", |f| rules::store_failure_in_introspection(f)),
        (Bug::ExpiryOffByOne, "access_token_lookup_does_not_change_state", |f| {
            rules::access_token_lookup_does_not_change_state(f);
        }),
        (Bug::AccessIgnoresRevocation, "revoked_grant_access_tokens_stay_inactive", |f| {
            rules::revoked_grant_access_tokens_stay_inactive(f);
        }),
        (Bug::NoTombstone, "revoked_grant_access_tokens_stay_inactive", |f| {
            rules::revoked_grant_access_tokens_stay_inactive(f);
        }),
        (Bug::RevokeDoesNothing, "revoked_grant_access_tokens_stay_inactive", |f| {
            rules::revoked_grant_access_tokens_stay_inactive(f);
        }),
        (Bug::RevokeDoesNothing, "store_failure_in_revocation", |f| rules::store_failure_in_revocation(f)),
    ];
    let missed: Vec<String> = cases
        .iter()
        .filter(|(bug, _, rule)| !fails(*bug, *rule))
        .map(|(bug, name, _)| format!("{bug:?} passed {name}"))
        .collect();
    assert!(missed.is_empty(), "rules that missed a breach: {missed:?}");
}

#[test]
fn the_rule_list_matches_the_rules_module() {
    let mut public = Vec::new();
    for module in ["failure", "inspect", "lookup", "persist", "revoke", "take"] {
        let path = format!("{}/src/rules/{module}.rs", env!("CARGO_MANIFEST_DIR"));
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        for line in source.lines() {
            if let Some(name) = line.strip_prefix("pub fn ").and_then(|l| l.split(['<', '(']).next()) {
                public.push(name.to_owned());
            }
        }
    }
    let mut listed: Vec<String> = oauth_store_contract::RULES.iter().map(|s| (*s).to_owned()).collect();
    public.sort_unstable();
    listed.sort_unstable();
    assert_eq!(public, listed, "every rule function is in RULES (so in contract_tests! and run_all), and only those");
}

#[test]
fn run_all_passes_on_the_reference_store() {
    oauth_store_contract::run_all(correct);
}
