//! The step API: every endpoint is a state machine that returns a [`Step`]. A step is either the
//! final [`Response`] or a question for the caller; each question is an owned value whose
//! `resume(self, answer)` consumes it, so a question cannot be answered twice or with the wrong
//! kind of answer.
//!
//! The order is fixed by the machines: authenticate the client, then take the code or refresh
//! token, then persist what is issued, and only then respond with tokens.

use std::sync::Arc;

use crate::client::{Client, ConsentMethod};
use crate::config::Config;
use crate::endpoint::{authorize, inspect, token};
use crate::error::{OAuthError, StoreError};
use crate::response::Response;
use crate::store::{AccessTokenRecord, CodeRecord, RefreshTokenRecord, TokenState, Write};
use crate::time::UnixTime;
use crate::types::{GrantId, ScopeSet, TokenDigest};
use crate::user::{User, UserLookup};

/// One step of an endpoint machine. Drivers match on every variant; the enum is exhaustive on
/// purpose, so a new kind of question breaks every driver at compile time instead of falling
/// into a wildcard arm.
#[must_use = "a step must be answered or its response sent"]
#[derive(Debug)]
#[expect(clippy::exhaustive_enums, reason = "a new question must break every driver at compile time")]
pub enum Step {
    /// Look up a client by `client_id`.
    NeedClient(NeedClient),
    /// Ask the application to authenticate the resource owner and obtain consent.
    NeedOwner(NeedOwner),
    /// Find the user an impersonation request names.
    NeedUser(NeedUser),
    /// Atomically take (mark used) an authorization code.
    TakeCode(TakeCode),
    /// Read an access token's record without changing it (revocation, introspection).
    LookupAccessToken(LookupAccessToken),
    /// Read a refresh token's state without changing it.
    LookupRefreshToken(LookupRefreshToken),
    /// Atomically take (rotate) a refresh token.
    TakeRefreshToken(TakeRefreshToken),
    /// Revoke every credential of a grant (replay detected).
    RevokeGrant(RevokeGrant),
    /// Write issued credentials, all or nothing.
    Persist(Persist),
    /// Send this response; the machine is finished.
    Respond(Response),
}

impl Step {
    pub(crate) const fn error(e: OAuthError) -> Self {
        Self::Respond(Response::Error(e))
    }

    /// The same step, with every response it is or will lead to readable by `origin` (the
    /// token endpoint after the client and its origin are checked). Questions that resume into
    /// the token machine carry the origin themselves, and a token endpoint's [`Persist`] is
    /// built with it.
    #[inline]
    pub(crate) fn with_cors(self, origin: Option<&Arc<str>>) -> Self {
        let Some(origin) = origin else { return self };
        match self {
            Self::Respond(r) => Self::Respond(r.with_allow_origin(Some(Arc::clone(origin)))),
            Self::RevokeGrant(mut q) => {
                q.allow_origin = Some(Arc::clone(origin));
                Self::RevokeGrant(q)
            }
            other => other,
        }
    }
}

/// Where the machine goes after a client lookup.
#[derive(Debug)]
pub(crate) enum AfterClient {
    Authorize(Box<authorize::Parsed>),
    Token(Box<token::Parsed>),
    Inspect(Box<inspect::Parsed>),
}

/// Question: which client is registered as [`NeedClient::client_id`]?
#[derive(Debug)]
#[must_use = "answer the question with resume"]
pub struct NeedClient {
    pub(crate) config: Arc<Config>,
    pub(crate) now: UnixTime,
    pub(crate) client_id: String,
    pub(crate) then: AfterClient,
}

impl NeedClient {
    /// The `client_id` to look up.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The time of the request.
    #[must_use]
    pub const fn now(&self) -> UnixTime {
        self.now
    }

    /// Continues with the registry's answer: the client, `None` when unknown, or a store error
    /// (answered as `server_error` or `temporarily_unavailable`).
    pub fn resume(self, answer: Result<Option<Arc<Client>>, StoreError>) -> Step {
        match self.then {
            AfterClient::Authorize(p) => authorize::after_client(self.config, self.now, *p, answer),
            AfterClient::Token(p) => token::after_client(self.config, self.now, *p, answer),
            AfterClient::Inspect(p) => inspect::after_client(self.config, self.now, *p, answer),
        }
    }
}

/// What a resource owner may be asked for (`prompt`, OpenID Connect Core §3.1.2.1; D12).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Prompt {
    /// `prompt=none`: show no page; answer [`OwnerDecision::LoginRequired`] or
    /// [`OwnerDecision::ConsentRequired`] when one would be needed.
    pub none: bool,
    /// `prompt=login`: authenticate again even with a session.
    pub login: bool,
    /// `prompt=consent`: ask for consent even if the client is trusted or consent was given.
    pub consent: bool,
}

/// An authenticated resource owner's approval.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Approval {
    /// The resource owner's user identifier (the token's `sub`).
    pub subject: String,
    /// When the resource owner last authenticated.
    pub auth_time: UnixTime,
    /// The scopes approved; `None` approves exactly [`NeedOwner::scope`]. Must be a subset of it.
    pub scope: Option<ScopeSet>,
}

impl Approval {
    /// An approval of everything requested by `subject`, authenticated at `auth_time`.
    #[must_use]
    pub const fn new(subject: String, auth_time: UnixTime) -> Self {
        Self { subject, auth_time, scope: None }
    }

    /// Narrows the approval to `scope`.
    #[must_use]
    pub fn with_scope(mut self, scope: ScopeSet) -> Self {
        self.scope = Some(scope);
        self
    }
}

/// The application's answer to [`NeedOwner`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OwnerDecision {
    /// The resource owner is authenticated and approved.
    Approve(Approval),
    /// The resource owner denied: error redirect `access_denied` (RFC 6749 §4.1.2.1).
    Deny,
    /// No authenticated resource owner and no page may be shown: `login_required`.
    LoginRequired,
    /// Consent is needed and no page may be shown: `consent_required`.
    ConsentRequired,
}

/// Question: who is the resource owner, and do they approve? The request is fully validated at
/// this point; the application shows its login and consent pages (answering nothing, and
/// re-running the request later) or answers with an [`OwnerDecision`].
#[derive(Debug)]
#[must_use = "answer the question with resume"]
pub struct NeedOwner {
    pub(crate) pending: Box<authorize::Pending>,
}

impl NeedOwner {
    /// The client asking for authorization.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.pending.client
    }

    /// The scope to approve: the requested scope, or the client's default (D9).
    #[must_use]
    pub fn scope(&self) -> &ScopeSet {
        &self.pending.scope
    }

    /// The `prompt` values.
    #[must_use]
    pub const fn prompt(&self) -> Prompt {
        self.pending.prompt
    }

    /// The `login_hint`, if sent.
    #[must_use]
    pub fn login_hint(&self) -> Option<&str> {
        self.pending.login_hint.as_deref()
    }

    /// The `max_age` in seconds, if sent: authenticate again when the last authentication is
    /// older.
    #[must_use]
    pub const fn max_age(&self) -> Option<u64> {
        self.pending.max_age
    }

    /// The time of the request.
    #[must_use]
    pub const fn now(&self) -> UnixTime {
        self.pending.now
    }

    /// Whether an earlier sign-in at `auth_time` (a session) may answer this request without
    /// authenticating the resource owner again: not with `prompt=login`, and not when it is
    /// older than `max_age` seconds (D12; OpenID Connect Core §3.1.2.1). A sign-in made while
    /// answering this very request always counts.
    #[must_use]
    pub fn session_usable(&self, auth_time: UnixTime) -> bool {
        let p = &self.pending;
        !p.prompt.login && p.max_age.is_none_or(|max| auth_time.plus(max) >= p.now)
    }

    /// Whether the consent page must be shown to a resource owner who earlier approved
    /// `remembered` for this client (`None`: never): always with `prompt=consent`; never for a
    /// `trusted` client otherwise; and for a `required` client unless every scope of
    /// [`NeedOwner::scope`] was approved before (scopes approved before are not asked again).
    /// Remembered consent never stands in for authentication: check
    /// [`NeedOwner::session_usable`] first.
    #[must_use]
    pub fn consent_needed(&self, remembered: Option<&ScopeSet>) -> bool {
        let p = &self.pending;
        p.prompt.consent
            || (p.client.consent() == ConsentMethod::Required
                && !remembered.is_some_and(|r| !p.scope.is_empty() && p.scope.is_subset(r)))
    }

    /// Continues with the decision.
    pub fn resume(self, decision: OwnerDecision) -> Step {
        authorize::after_owner(*self.pending, decision)
    }
}

/// Question: which user does [`NeedUser::lookup`] name (impersonation grant,
/// `urn:qlik:oauth:user-impersonation`)? The client is authenticated and allowed the grant, and
/// the scope is checked, when this is asked. Answer from the application's user directory (see
/// [`crate::UserDirectory`]): the user, `None` when no user matches, or a store error.
#[derive(Debug)]
#[must_use = "answer the question with resume"]
pub struct NeedUser {
    pub(crate) lookup: UserLookup,
    pub(crate) pending: Box<token::ImpersonationPending>,
}

impl NeedUser {
    /// The user to find.
    #[must_use]
    pub const fn lookup(&self) -> &UserLookup {
        &self.lookup
    }

    /// The authenticated client that will act as the user.
    #[must_use]
    pub fn client_id(&self) -> &str {
        self.pending.client_id()
    }

    /// The time of the request.
    #[must_use]
    pub const fn now(&self) -> UnixTime {
        self.pending.now
    }

    /// Continues with the directory's answer: an unknown or disabled user is `invalid_grant`
    /// (D8); a store error is `server_error` or `temporarily_unavailable`.
    pub fn resume(self, answer: Result<Option<User>, StoreError>) -> Step {
        token::after_user(*self.pending, answer)
    }
}

/// Question: take the authorization code with digest [`TakeCode::key`] (see
/// [`crate::CodeStore::take_code`] for the atomicity contract).
#[derive(Debug)]
#[must_use = "answer the question with resume"]
pub struct TakeCode {
    pub(crate) key: TokenDigest,
    pub(crate) pending: Box<token::CodePending>,
}

impl TakeCode {
    /// SHA-256 of the presented code.
    #[must_use]
    pub const fn key(&self) -> &TokenDigest {
        &self.key
    }

    /// The authenticated client: only a code issued to it may be taken.
    #[must_use]
    pub fn client_id(&self) -> &str {
        self.pending.client_id()
    }

    /// The time of the request.
    #[must_use]
    pub const fn now(&self) -> UnixTime {
        self.pending.now
    }

    /// Continues with the code's state before the take.
    pub fn resume(self, answer: Result<TokenState<CodeRecord>, StoreError>) -> Step {
        token::after_take_code(*self.pending, answer)
    }
}

/// Where the machine goes after a refresh-token lookup.
#[derive(Debug)]
pub(crate) enum AfterRefreshLookup {
    Refresh(Box<token::RefreshPending>),
    Inspect(Box<inspect::Inspect>),
}

/// Question: what is the state of the refresh token with digest
/// [`LookupRefreshToken::key`]? Nothing changes yet: a request that fails validation leaves the
/// token usable.
#[derive(Debug)]
#[must_use = "answer the question with resume"]
pub struct LookupRefreshToken {
    pub(crate) key: TokenDigest,
    pub(crate) now: UnixTime,
    pub(crate) then: AfterRefreshLookup,
}

impl LookupRefreshToken {
    /// SHA-256 of the presented refresh token.
    #[must_use]
    pub const fn key(&self) -> &TokenDigest {
        &self.key
    }

    /// The time of the request.
    #[must_use]
    pub const fn now(&self) -> UnixTime {
        self.now
    }

    /// Continues with the token's state.
    pub fn resume(self, answer: Result<TokenState<RefreshTokenRecord>, StoreError>) -> Step {
        match self.then {
            AfterRefreshLookup::Refresh(p) => token::after_lookup_refresh(self.key, *p, answer),
            AfterRefreshLookup::Inspect(p) => inspect::after_refresh_lookup(*p, answer),
        }
    }
}

/// Where the machine goes after an access-token lookup.
#[derive(Debug)]
pub(crate) enum AfterAccessLookup {
    /// The token a revocation or introspection request is about.
    Inspect(Box<inspect::Inspect>),
    /// The bearer token an introspection caller authenticates with.
    Caller(Box<inspect::Parsed>),
}

/// Question: which access token has digest [`LookupAccessToken::key`]? Answer like
/// [`crate::TokenStore::access_token`]: the record when it exists, has not expired and its
/// grant is not revoked, else `None`. Nothing changes.
#[derive(Debug)]
#[must_use = "answer the question with resume"]
pub struct LookupAccessToken {
    pub(crate) key: TokenDigest,
    pub(crate) now: UnixTime,
    pub(crate) then: AfterAccessLookup,
}

impl LookupAccessToken {
    /// The store key of the token (see [`crate::jwt::access_token_key`]).
    #[must_use]
    pub const fn key(&self) -> &TokenDigest {
        &self.key
    }

    /// The time of the request.
    #[must_use]
    pub const fn now(&self) -> UnixTime {
        self.now
    }

    /// Continues with the store's answer.
    pub fn resume(self, answer: Result<Option<AccessTokenRecord>, StoreError>) -> Step {
        match self.then {
            AfterAccessLookup::Inspect(p) => inspect::after_access_lookup(*p, answer),
            AfterAccessLookup::Caller(p) => inspect::after_caller_lookup(*p, answer),
        }
    }
}

/// Question: take (rotate) the refresh token with digest [`TakeRefreshToken::key`] (see
/// [`crate::RefreshStore::take_refresh_token`]).
#[derive(Debug)]
#[must_use = "answer the question with resume"]
pub struct TakeRefreshToken {
    pub(crate) key: TokenDigest,
    pub(crate) pending: Box<token::RefreshPending>,
}

impl TakeRefreshToken {
    /// SHA-256 of the presented refresh token.
    #[must_use]
    pub const fn key(&self) -> &TokenDigest {
        &self.key
    }

    /// The time of the request.
    #[must_use]
    pub const fn now(&self) -> UnixTime {
        self.pending.now
    }

    /// Continues with the token's state before the take.
    pub fn resume(self, answer: Result<TokenState<RefreshTokenRecord>, StoreError>) -> Step {
        token::after_take_refresh(*self.pending, answer)
    }
}

/// Question: revoke every credential of grant [`RevokeGrant::grant_id`]. Asked when a used code
/// or rotated refresh token is presented again by its own client (D10, D13), and when a client
/// revokes one of its tokens (RFC 7009 §2.1).
#[derive(Debug)]
#[must_use = "answer the question with resume"]
pub struct RevokeGrant {
    pub(crate) grant_id: GrantId,
    pub(crate) now: UnixTime,
    /// The response once the grant is revoked.
    pub(crate) then: Response,
    pub(crate) allow_origin: Option<Arc<str>>,
}

impl RevokeGrant {
    /// The grant to revoke.
    #[must_use]
    pub const fn grant_id(&self) -> &GrantId {
        &self.grant_id
    }

    /// The time of the request.
    #[must_use]
    pub const fn now(&self) -> UnixTime {
        self.now
    }

    /// Continues once the grant is revoked (or the store failed: `server_error` or
    /// `temporarily_unavailable`, never a success).
    pub fn resume(self, answer: Result<(), StoreError>) -> Step {
        let response = match answer {
            Ok(()) => self.then,
            Err(e) => Response::Error(OAuthError::from_store(e)),
        };
        Step::Respond(response.with_allow_origin(self.allow_origin))
    }
}

/// How a failed persist is answered.
#[derive(Debug)]
pub(crate) enum OnFailure {
    /// As a JSON error (token endpoint), readable by this browser origin if any.
    Json(Option<Arc<str>>),
    /// As an error redirect (authorization endpoint).
    Redirect(authorize::RedirectTarget),
}

/// Question: write [`Persist::writes`] all or nothing (see [`crate::TokenStore::persist`]).
/// The response that carries the credentials exists only after this succeeds.
#[derive(Debug)]
#[must_use = "answer the question with resume"]
pub struct Persist {
    pub(crate) writes: Vec<Write>,
    pub(crate) now: UnixTime,
    pub(crate) success: Response,
    pub(crate) failure: OnFailure,
}

impl Persist {
    /// The records to write.
    #[must_use]
    pub fn writes(&self) -> &[Write] {
        &self.writes
    }

    /// Moves the records out, so a store can keep them without copying; afterwards
    /// [`Persist::writes`] is empty. Call it once, hand the records to the store, then
    /// [`Persist::resume`] with the store's answer.
    pub fn take_writes(&mut self) -> Vec<Write> {
        std::mem::take(&mut self.writes)
    }

    /// The time of the request.
    #[must_use]
    pub const fn now(&self) -> UnixTime {
        self.now
    }

    /// Continues with the store's answer: the response with the credentials, or an error that
    /// issues nothing.
    pub fn resume(self, answer: Result<(), StoreError>) -> Step {
        let err = match answer {
            Ok(()) => return Step::Respond(self.success),
            // invalid_grant is a token-endpoint error; the authorization endpoint (whose new code
            // cannot belong to a revoked grant unless the store breaks its contract) answers
            // server_error (RFC 6749 §4.1.2.1).
            Err(StoreError::GrantRevoked) if matches!(self.failure, OnFailure::Json(_)) => {
                OAuthError::invalid_grant("grant revoked")
            }
            Err(e) => OAuthError::from_store(e),
        };
        match self.failure {
            OnFailure::Json(origin) => Step::Respond(Response::Error(err).with_allow_origin(origin)),
            OnFailure::Redirect(target) => Step::Respond(target.error(&err)),
        }
    }
}
