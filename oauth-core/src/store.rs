//! What the machines ask storage to remember, and narrow sync store traits for callers that
//! want the generic sync driver ([`crate::drive()`]).
//!
//! Codes and tokens are keyed by the SHA-256 digest of their value ([`TokenDigest`]), so a
//! leaked store holds no usable credential. Records carry their own expiry; the core checks it
//! on every use, so a store may purge lazily.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::StoreError;
use crate::pkce::CodeChallenge;
use crate::time::UnixTime;
use crate::types::{GrantId, ScopeSet, Subject, TokenDigest};
use crate::user::{User, UserLookup};

/// An authorization code's binding (RFC 6749 §4.1.2, §10.5; RFC 7636 §4.4): who, for which
/// client, which redirect URI, which scope, which PKCE challenge, until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CodeRecord {
    /// The grant the code starts; its tokens share this id.
    pub grant_id: GrantId,
    /// The client the code was issued to.
    pub client_id: Arc<str>,
    /// The resource owner who approved.
    pub subject: Arc<str>,
    /// The scope the resource owner granted.
    pub scope: ScopeSet,
    /// The redirect URI the response went to.
    pub redirect_uri: Arc<str>,
    /// Whether the authorization request carried `redirect_uri` (then the token request must
    /// carry the same value, D5).
    pub redirect_uri_sent: bool,
    /// The PKCE challenge, if any.
    pub code_challenge: Option<CodeChallenge>,
    /// When the resource owner authenticated.
    pub auth_time: UnixTime,
    /// When the code expires.
    pub expires_at: UnixTime,
}

/// An issued access token (opaque; RFC 6749 §1.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessTokenRecord {
    /// The grant it belongs to; revoking the grant revokes it.
    pub grant_id: GrantId,
    /// The client it was issued to.
    pub client_id: Arc<str>,
    /// Whom it speaks for: the resource owner, the impersonated user, or the client itself.
    pub subject: Subject,
    /// For a token of the impersonation grant, the client that acted (the `client_id`; RFC 8693
    /// §4.1 `act`, IMP-09); `None` for every other token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Arc<str>>,
    /// Its scope.
    pub scope: ScopeSet,
    /// The browser origins its client allowed when it was issued (D6): a resource server
    /// refuses the token when presented with any other `Origin`.
    #[serde(default)]
    pub allowed_origins: Arc<[String]>,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// When it expires.
    pub expires_at: UnixTime,
}

impl AccessTokenRecord {
    /// Whether a request carrying `Origin: origin` may use this token: a request without an
    /// `Origin` (not from a browser) always may; a browser request only from an origin its
    /// client allows (exact comparison of the serialized origin, CORS-03).
    #[must_use]
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        origin.is_none_or(|o| self.allowed_origins.iter().any(|a| a == o))
    }
}

/// An issued refresh token (RFC 6749 §1.5, §6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefreshTokenRecord {
    /// The grant it belongs to.
    pub grant_id: GrantId,
    /// The client it was issued to.
    pub client_id: Arc<str>,
    /// The resource owner.
    pub subject: Arc<str>,
    /// The scope of the grant; a rotated token keeps it (RFC 6749 §6).
    pub scope: ScopeSet,
    /// When the resource owner authenticated.
    pub auth_time: UnixTime,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// When it expires: absolute from the original grant, unchanged by rotation (D10).
    pub expires_at: UnixTime,
}

/// One record to write. A [`crate::Persist`] question carries one or more, to be written
/// all-or-nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Write {
    /// A new authorization code.
    Code {
        /// SHA-256 of the code.
        key: TokenDigest,
        /// Its binding.
        record: CodeRecord,
    },
    /// A new access token.
    AccessToken {
        /// SHA-256 of the token.
        key: TokenDigest,
        /// What it grants.
        record: AccessTokenRecord,
    },
    /// A new refresh token.
    RefreshToken {
        /// SHA-256 of the token.
        key: TokenDigest,
        /// What it grants.
        record: RefreshTokenRecord,
    },
}

impl Write {
    /// The grant the record belongs to.
    #[must_use]
    pub const fn grant_id(&self) -> &GrantId {
        match self {
            Self::Code { record, .. } => &record.grant_id,
            Self::AccessToken { record, .. } => &record.grant_id,
            Self::RefreshToken { record, .. } => &record.grant_id,
        }
    }

    /// When the record expires; a store may forget it after that.
    #[must_use]
    pub const fn expires_at(&self) -> UnixTime {
        match self {
            Self::Code { record, .. } => record.expires_at,
            Self::AccessToken { record, .. } => record.expires_at,
            Self::RefreshToken { record, .. } => record.expires_at,
        }
    }
}

/// The state of a single-use credential (authorization code or refresh token) as a store
/// reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenState<T> {
    /// Unused. From a *take*, it means this caller took it and nobody else ever will.
    Active(T),
    /// Used before (redeemed or rotated) and remembered until it would have expired, so that a
    /// replay can be detected and its grant revoked (RFC 6749 §4.1.2; RFC 9700 §4.14.2).
    Used(T),
    /// Unknown, expired, or belonging to a revoked grant.
    Missing,
}

/// Looks up registered clients.
///
/// # Security contract
/// Return exactly the client registered under `client_id` (compared byte for byte) or `None`.
pub trait ClientRegistry: Send + Sync {
    /// The client registered as `client_id`.
    ///
    /// # Errors
    /// [`StoreError`] when the registry cannot answer.
    fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>, StoreError>;

    /// Whether any registered client lists `origin` in its allowed origins (exact string
    /// comparison). A CORS preflight carries no `client_id`, so it is answered for any such
    /// origin; the request that follows is checked against its own client (CORS-04).
    ///
    /// # Errors
    /// [`StoreError`] when the registry cannot answer.
    fn origin_registered(&self, origin: &str) -> Result<bool, StoreError>;
}

/// Finds users for the impersonation grant (`urn:qlik:oauth:user-impersonation`). The user
/// directory is the application's, like storage.
///
/// # Security contract
/// Return the one user whose identifier named by [`UserLookup::field`] equals
/// [`UserLookup::value`] byte for byte, or `None`; never guess, fold case or create a user
/// (users must exist beforehand, D8). Report a disabled user as disabled rather than `None`, so
/// the answer is `invalid_grant` either way but audit logs can tell them apart.
pub trait UserDirectory: Send + Sync {
    /// The user named by `lookup`.
    ///
    /// # Errors
    /// [`StoreError`] when the directory cannot answer.
    fn user(&self, lookup: &UserLookup) -> Result<Option<User>, StoreError>;
}

/// Redeems authorization codes.
///
/// # Security contract
/// "The client MUST NOT use the authorization code more than once" (RFC 6749 §4.1.2): `take_code`
/// must mark the code used atomically, so that of two concurrent takes exactly one sees
/// [`TokenState::Active`]. Keep a used code (as [`TokenState::Used`]) until its `expires_at`, so
/// replays can be detected. A code issued to another client than `client_id` is reported as
/// [`TokenState::Missing`] and left as it is, so a client that merely knows a code cannot use it
/// up (RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated
/// confidential client"). Losing codes (a restart) is fine; handing one out twice is not.
pub trait CodeStore: Send + Sync {
    /// Atomically marks the code with digest `key` used, if it was issued to `client_id`, and
    /// returns its previous state.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer; nothing may have changed then.
    fn take_code(
        &self,
        key: &TokenDigest,
        client_id: &str,
        now: UnixTime,
    ) -> Result<TokenState<CodeRecord>, StoreError>;
}

/// Looks up and rotates refresh tokens.
///
/// # Security contract
/// `take_refresh_token` must be atomic like [`CodeStore::take_code`]: two concurrent takes of
/// one token cannot both see [`TokenState::Active`]. A rotated token stays known as
/// [`TokenState::Used`] until its `expires_at` (RFC 9700 §4.14.2 reuse detection). Tokens of a
/// revoked grant are [`TokenState::Missing`].
pub trait RefreshStore: Send + Sync {
    /// The current state of the refresh token with digest `key`, without changing it.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    fn refresh_token(&self, key: &TokenDigest, now: UnixTime) -> Result<TokenState<RefreshTokenRecord>, StoreError>;

    /// Atomically marks the refresh token used and returns its previous state.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer; nothing may have changed then.
    fn take_refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> Result<TokenState<RefreshTokenRecord>, StoreError>;
}

/// Persists issued credentials and revokes grants.
///
/// # Security contract
/// `persist` writes all records or none. After `revoke_grant`, every code, access token and
/// refresh token of that grant must read as missing or inactive, *including records persisted
/// later*: a replay can revoke a grant between the take that won and the persist of its tokens.
/// A store meets this either by remembering the revocation (a tombstone) and keeping later
/// records of the grant inactive (answering `Ok`), or by refusing such a persist with
/// [`StoreError::GrantRevoked`]; it must never leave a credential of a revoked grant active.
/// `persist` never overwrites: a batch holding a digest that is already stored (or one digest
/// twice) is refused with an error and nothing is written. A `revoke_grant` that fails may have
/// revoked part of the grant, never more; the caller answers `server_error` and the grant may
/// be revoked again. The suite in the `oauth-store-contract` crate checks all of this.
pub trait TokenStore: Send + Sync {
    /// Writes `writes` atomically.
    ///
    /// # Errors
    /// [`StoreError::GrantRevoked`] when the grant was revoked and the store refuses the write;
    /// another [`StoreError`] when the store fails or a digest is already stored (then nothing
    /// was written).
    fn persist(&self, writes: Vec<Write>, now: UnixTime) -> Result<(), StoreError>;

    /// Revokes every credential of `grant_id` (RFC 6749 §4.1.2, §10.5; RFC 7009 §2.1).
    ///
    /// # Errors
    /// [`StoreError`] when the store fails.
    fn revoke_grant(&self, grant_id: &GrantId, now: UnixTime) -> Result<(), StoreError>;

    /// The access token with digest `key`, if it exists, has not expired at `now` and its grant
    /// is not revoked.
    ///
    /// # Errors
    /// [`StoreError`] when the store fails.
    fn access_token(&self, key: &TokenDigest, now: UnixTime) -> Result<Option<AccessTokenRecord>, StoreError>;
}

/// A store that knows nothing and keeps nothing: every lookup misses, every write succeeds.
/// The null implementation of every store trait, for tests and for machines that need no
/// storage.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct NullStore;

impl ClientRegistry for NullStore {
    fn client(&self, _client_id: &str) -> Result<Option<Arc<Client>>, StoreError> {
        Ok(None)
    }
    fn origin_registered(&self, _origin: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
}

impl UserDirectory for NullStore {
    fn user(&self, _lookup: &UserLookup) -> Result<Option<User>, StoreError> {
        Ok(None)
    }
}

impl CodeStore for NullStore {
    fn take_code(
        &self,
        _key: &TokenDigest,
        _client_id: &str,
        _now: UnixTime,
    ) -> Result<TokenState<CodeRecord>, StoreError> {
        Ok(TokenState::Missing)
    }
}

impl RefreshStore for NullStore {
    fn refresh_token(&self, _key: &TokenDigest, _now: UnixTime) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        Ok(TokenState::Missing)
    }
    fn take_refresh_token(
        &self,
        _key: &TokenDigest,
        _now: UnixTime,
    ) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        Ok(TokenState::Missing)
    }
}

impl TokenStore for NullStore {
    fn persist(&self, _writes: Vec<Write>, _now: UnixTime) -> Result<(), StoreError> {
        Ok(())
    }
    fn revoke_grant(&self, _grant_id: &GrantId, _now: UnixTime) -> Result<(), StoreError> {
        Ok(())
    }
    fn access_token(&self, _key: &TokenDigest, _now: UnixTime) -> Result<Option<AccessTokenRecord>, StoreError> {
        Ok(None)
    }
}
