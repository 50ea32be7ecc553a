//! A fault-injecting wrapper around a store: fails one chosen call with a [`StoreError`] instead
//! of forwarding it, and records the calls it saw and the writes that were persisted.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use oauth_core::{
    AccessTokenRecord, Client, ClientRegistry, CodeRecord, CodeStore, GrantId, RefreshStore, RefreshTokenRecord, Store,
    StoreError, TokenDigest, TokenState, TokenStore, UnixTime, User, UserDirectory, UserLookup, Write,
};

/// One method of the store traits of `oauth_core::store`, as [`FaultyStore`] names the calls
/// it sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Call {
    /// [`ClientRegistry::client`] (RFC 6749 §2.3: the client lookup of every request).
    Client,
    /// [`ClientRegistry::origin_registered`] (CORS preflight, D6).
    OriginRegistered,
    /// [`UserDirectory::user`] (the impersonation grant's user lookup, D8).
    User,
    /// [`CodeStore::take_code`] (RFC 6749 §4.1.2: single use).
    TakeCode,
    /// [`RefreshStore::refresh_token`] (the read-only lookup of RFC 6749 §6).
    RefreshToken,
    /// [`RefreshStore::take_refresh_token`] (rotation, RFC 9700 §4.14.2).
    TakeRefreshToken,
    /// [`TokenStore::persist`].
    Persist,
    /// [`TokenStore::revoke_grant`] (RFC 6749 §4.1.2, §10.5).
    RevokeGrant,
    /// [`TokenStore::access_token`].
    AccessToken,
}

/// Which call fails.
#[derive(Clone, Copy, Debug)]
enum Trigger {
    /// The call with this 0-based index in the log (counted since the last [`FaultyStore::reset_log`]).
    Index(usize),
    /// The next call of this method.
    Next(Call),
}

#[derive(Debug, Default)]
struct State {
    plan: Option<(Trigger, StoreError)>,
    calls: Vec<Call>,
    injected: Option<(usize, Call, StoreError)>,
    persisted: Vec<Write>,
    refused: Vec<Write>,
}

/// A store that forwards every call to the store under test, except one chosen call, which it
/// answers with a chosen [`StoreError`] without forwarding it (so that call changed nothing,
/// as the store contracts require of a failed call).
///
/// It also logs which calls it forwarded or failed ([`FaultyStore::calls`]), keeps a copy of
/// every batch of writes the inner store accepted ([`FaultyStore::persisted`], the records the
/// core's machines built, which the rules reuse as templates) and of the batch whose persist it
/// failed ([`FaultyStore::refused_writes`]).
///
/// A fault fires once: after it, the wrapper forwards everything again. The bookkeeping takes a
/// lock briefly before and after each call, never across the inner call, but the rules that
/// race threads against one another call the store under test directly, not through this
/// wrapper.
///
/// ```
/// # use std::sync::Arc;
/// use oauth_core::{ClientRegistry, NullStore, StoreError};
/// use oauth_store_contract::{Call, FaultyStore};
///
/// let store = FaultyStore::new(Arc::new(NullStore::default()));
/// store.fail_next(Call::Client, StoreError::Unavailable);
/// assert_eq!(store.client("web-a"), Err(StoreError::Unavailable));
/// assert_eq!(store.client("web-a"), Ok(None)); // forwarded again
/// assert_eq!(store.calls(), [Call::Client, Call::Client]);
/// ```
pub struct FaultyStore<S> {
    inner: Arc<S>,
    state: Mutex<State>,
}

impl<S> fmt::Debug for FaultyStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state();
        f.debug_struct("FaultyStore")
            .field("calls", &s.calls.len())
            .field("armed", &s.plan.is_some())
            .field("injected", &s.injected.map(|(_, call, _)| call))
            .finish_non_exhaustive()
    }
}

impl<S> FaultyStore<S> {
    /// Wraps `inner`; no fault is armed.
    #[must_use]
    pub fn new(inner: Arc<S>) -> Self {
        Self { inner, state: Mutex::new(State::default()) }
    }

    /// The store under test.
    #[must_use]
    pub const fn inner(&self) -> &Arc<S> {
        &self.inner
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is never held across a call that can panic, so a poisoned lock still holds
        // consistent bookkeeping.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Arms a fault: the call with 0-based index `index` in the log ([`FaultyStore::calls`],
    /// counted since the last [`FaultyStore::reset_log`]) answers `error`. Replaces any armed
    /// fault.
    pub fn fail_call_at(&self, index: usize, error: StoreError) {
        self.state().plan = Some((Trigger::Index(index), error));
    }

    /// Arms a fault: the next call of `call` answers `error`. Replaces any armed fault.
    pub fn fail_next(&self, call: Call, error: StoreError) {
        self.state().plan = Some((Trigger::Next(call), error));
    }

    /// Disarms the fault, if one is armed and has not fired.
    pub fn disarm(&self) {
        self.state().plan = None;
    }

    /// Clears the call log, the record of the fired fault and the refused writes (not the
    /// persisted writes).
    pub fn reset_log(&self) {
        let mut s = self.state();
        s.calls.clear();
        s.injected = None;
        s.refused.clear();
    }

    /// Every call since the last [`FaultyStore::reset_log`], in order, the failed one included.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }

    /// The fault that fired since the last [`FaultyStore::reset_log`]: the call's index in the
    /// log, the call and the error it answered.
    #[must_use]
    pub fn injected(&self) -> Option<(usize, Call, StoreError)> {
        self.state().injected
    }

    /// Every write the inner store accepted (its `persist` returned `Ok`), in order, since the
    /// wrapper was made. A store may have kept such a write inactive (a revoked grant).
    #[must_use]
    pub fn persisted(&self) -> Vec<Write> {
        self.state().persisted.clone()
    }

    /// The writes of the `persist` call the fault failed, since the last
    /// [`FaultyStore::reset_log`]; none of them may be stored.
    #[must_use]
    pub fn refused_writes(&self) -> Vec<Write> {
        self.state().refused.clone()
    }

    /// Logs `call` and answers whether it is the one to fail.
    fn enter(&self, call: Call) -> Result<(), StoreError> {
        let mut s = self.state();
        let index = s.calls.len();
        s.calls.push(call);
        let fire = match s.plan {
            Some((Trigger::Index(i), e)) if i == index => Some(e),
            Some((Trigger::Next(c), e)) if c == call => Some(e),
            _ => None,
        };
        match fire {
            Some(e) => {
                s.plan = None;
                s.injected = Some((index, call, e));
                Err(e)
            }
            None => Ok(()),
        }
    }
}

impl<S: Store> ClientRegistry for FaultyStore<S> {
    fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>, StoreError> {
        self.enter(Call::Client)?;
        self.inner.client(client_id)
    }

    fn origin_registered(&self, origin: &str) -> Result<bool, StoreError> {
        self.enter(Call::OriginRegistered)?;
        self.inner.origin_registered(origin)
    }
}

impl<S: Store> UserDirectory for FaultyStore<S> {
    fn user(&self, lookup: &UserLookup) -> Result<Option<User>, StoreError> {
        self.enter(Call::User)?;
        self.inner.user(lookup)
    }
}

impl<S: Store> CodeStore for FaultyStore<S> {
    fn take_code(
        &self,
        key: &TokenDigest,
        client_id: &str,
        now: UnixTime,
    ) -> Result<TokenState<CodeRecord>, StoreError> {
        self.enter(Call::TakeCode)?;
        self.inner.take_code(key, client_id, now)
    }
}

impl<S: Store> RefreshStore for FaultyStore<S> {
    fn refresh_token(&self, key: &TokenDigest, now: UnixTime) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        self.enter(Call::RefreshToken)?;
        self.inner.refresh_token(key, now)
    }

    fn take_refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        self.enter(Call::TakeRefreshToken)?;
        self.inner.take_refresh_token(key, now)
    }
}

impl<S: Store> TokenStore for FaultyStore<S> {
    fn persist(&self, writes: Vec<Write>, now: UnixTime) -> Result<(), StoreError> {
        if let Err(e) = self.enter(Call::Persist) {
            self.state().refused.extend(writes);
            return Err(e);
        }
        let copy = writes.clone();
        let answer = self.inner.persist(writes, now);
        if answer.is_ok() {
            self.state().persisted.extend(copy);
        }
        answer
    }

    fn revoke_grant(&self, grant_id: &GrantId, now: UnixTime) -> Result<(), StoreError> {
        self.enter(Call::RevokeGrant)?;
        self.inner.revoke_grant(grant_id, now)
    }

    fn access_token(&self, key: &TokenDigest, now: UnixTime) -> Result<Option<AccessTokenRecord>, StoreError> {
        self.enter(Call::AccessToken)?;
        self.inner.access_token(key, now)
    }
}
