//! Deliberately broken stores: `MemoryStore` with one contract broken. The plain tests of
//! `model.rs` run fixed sequences against them to show that each property catches the bug it
//! is about (a property that cannot fail proves nothing).

use std::sync::Arc;

use oauth_core::{
    AccessTokenRecord, Client, ClientRegistry, CodeRecord, CodeStore, GrantId, RefreshStore, RefreshTokenRecord,
    StoreError, TokenDigest, TokenState, TokenStore, UnixTime, User, UserDirectory, UserLookup, Write,
};
use oauth_memory::MemoryStore;

use crate::fixture::{CLIENTS, INTROSPECT};
use crate::world::{Admin, memory_store};

/// The contract a [`Faulty`] store breaks.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Fault {
    /// `revoke_grant` does nothing.
    IgnoreRevocation,
    /// A used code is reported active again.
    ReusableCodes,
    /// A rotated refresh token is reported active again.
    ReusableRefreshTokens,
    /// Access tokens are stored with 1000 more seconds of life.
    LongLivedAccessTokens,
    /// `take_code` takes a code whatever client asks.
    IgnoreCodeClient,
    /// Refresh tokens are stored with the scope `admin` added.
    WiderRefreshScope,
    /// The registry reports every confidential client allowed the introspection scope.
    EveryoneIntrospects,
}

impl Fault {
    pub(crate) const ALL: [Self; 7] = [
        Self::IgnoreRevocation,
        Self::ReusableCodes,
        Self::ReusableRefreshTokens,
        Self::LongLivedAccessTokens,
        Self::IgnoreCodeClient,
        Self::WiderRefreshScope,
        Self::EveryoneIntrospects,
    ];
}

pub(crate) struct Faulty {
    inner: MemoryStore,
    fault: Fault,
}

impl Faulty {
    pub(crate) fn new(fault: Fault) -> Self {
        Self { inner: memory_store(), fault }
    }
}

/// `Active` for a `Used` answer.
fn revive<T>(state: TokenState<T>) -> TokenState<T> {
    match state {
        TokenState::Used(r) => TokenState::Active(r),
        other => other,
    }
}

impl ClientRegistry for Faulty {
    fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>, StoreError> {
        let client = self.inner.client(client_id)?;
        if !matches!(self.fault, Fault::EveryoneIntrospects) {
            return Ok(client);
        }
        Ok(client.map(|c| {
            let spec = CLIENTS.iter().find(|s| s.id == c.client_id());
            match spec {
                Some(spec) if c.is_confidential() && !c.allowed_scopes().contains(INTROSPECT) => {
                    let scopes: Vec<&str> = c.allowed_scopes().iter().chain([INTROSPECT]).collect();
                    Arc::new(spec.register_with(&scopes))
                }
                _ => c,
            }
        }))
    }

    fn origin_registered(&self, origin: &str) -> Result<bool, StoreError> {
        self.inner.origin_registered(origin)
    }
}

impl UserDirectory for Faulty {
    fn user(&self, lookup: &UserLookup) -> Result<Option<User>, StoreError> {
        self.inner.user(lookup)
    }
}

impl CodeStore for Faulty {
    fn take_code(
        &self,
        key: &TokenDigest,
        client_id: &str,
        now: UnixTime,
    ) -> Result<TokenState<CodeRecord>, StoreError> {
        match self.fault {
            Fault::ReusableCodes => self.inner.take_code(key, client_id, now).map(revive),
            Fault::IgnoreCodeClient => {
                for c in &CLIENTS {
                    let state = self.inner.take_code(key, c.id, now)?;
                    if !matches!(state, TokenState::Missing) {
                        return Ok(state);
                    }
                }
                Ok(TokenState::Missing)
            }
            _ => self.inner.take_code(key, client_id, now),
        }
    }
}

impl RefreshStore for Faulty {
    fn refresh_token(&self, key: &TokenDigest, now: UnixTime) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        let state = self.inner.refresh_token(key, now);
        if matches!(self.fault, Fault::ReusableRefreshTokens) { state.map(revive) } else { state }
    }

    fn take_refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        let state = self.inner.take_refresh_token(key, now);
        if matches!(self.fault, Fault::ReusableRefreshTokens) { state.map(revive) } else { state }
    }
}

impl TokenStore for Faulty {
    fn persist(&self, mut writes: Vec<Write>, now: UnixTime) -> Result<(), StoreError> {
        for w in &mut writes {
            match (self.fault, w) {
                (Fault::LongLivedAccessTokens, Write::AccessToken { record, .. }) => {
                    record.expires_at = record.expires_at.plus(1000);
                }
                (Fault::WiderRefreshScope, Write::RefreshToken { record, .. }) => {
                    let wider = record.scope.iter().chain(["admin"]).collect::<Vec<_>>();
                    record.scope = oauth_core::ScopeSet::from_tokens(wider).map_err(|_| StoreError::Failed)?;
                }
                _ => {}
            }
        }
        self.inner.persist(writes, now)
    }

    fn revoke_grant(&self, grant_id: &GrantId, now: UnixTime) -> Result<(), StoreError> {
        if matches!(self.fault, Fault::IgnoreRevocation) { Ok(()) } else { self.inner.revoke_grant(grant_id, now) }
    }

    fn access_token(&self, key: &TokenDigest, now: UnixTime) -> Result<Option<AccessTokenRecord>, StoreError> {
        self.inner.access_token(key, now)
    }
}

impl Admin for Faulty {
    fn remove_client(&self, client_id: &str, now: UnixTime) -> bool {
        self.inner.remove_client(client_id, now)
    }

    fn insert_client(&self, client: Client) -> bool {
        self.inner.insert_client(client).is_some()
    }
}
