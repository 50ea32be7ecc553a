//! The resource server's side of an access token (RFC 6750): a tower layer,
//! [`RequireBearer`], that reads `Authorization: Bearer`, validates the token by one of three
//! pluggable means ([`TokenValidator`]), checks the required scope and the browser `Origin`, and
//! answers failures with the status and `WWW-Authenticate` challenge RFC 6750 §3 prescribes; and
//! an extractor, [`AccessToken`], that hands the validated token to the handler.
//!
//! The three means, each with what it can see:
//!
//! | validator | where the token is checked | sees a revocation |
//! |---|---|---|
//! | [`StoreValidator`] | the authorization server's own store, in the same process | at once |
//! | [`IntrospectionValidator`] | the server's `POST /oauth/introspect` (RFC 7662), over HTTP | at once, at one request per call |
//! | [`JwtValidator`] | locally: signature, `typ`, `iss`, `aud`, `exp` (RFC 9068 §4) | only with [`JwtValidator::with_revocation_check`]; otherwise not before `exp` |
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, routing::get};
//! use oauth_axum::bearer::{AccessToken, RequireBearer, StoreValidator};
//! use oauth_core::ScopeSet;
//!
//! fn api(config: Arc<oauth_core::Config>, store: Arc<oauth_memory::MemoryStore>) -> Router {
//!     let read = ScopeSet::parse("read").expect("a valid scope token");
//!     Router::new()
//!         .route("/api/thing", get(|token: AccessToken| async move {
//!             format!("{} for {}", token.client_id, token.sub())   // also token.scope, token.actor
//!         }))
//!         .route_layer(RequireBearer::new(StoreValidator::new(store, config), read).realm("api"))
//! }
//! # let _ = api;
//! ```
//!
//! What the layer answers (the JSON body and `WWW-Authenticate` come from
//! [`BearerError::to_http`]; every refusal carries `Cache-Control: no-store`):
//!
//! | request | status | `WWW-Authenticate` |
//! |---|---|---|
//! | no credentials (RS-02) | 401 | `Bearer realm="api"` (no `error`) |
//! | another scheme than `Bearer` (an unsupported method counts as no credentials, RFC 6750 §3.1) | 401 | `Bearer realm="api"` (no `error`) |
//! | a malformed token, several `Authorization` headers, or a token both in the header and the query (RS-05) | 400 | `Bearer realm="api", error="invalid_request", error_description="…"` |
//! | unknown, expired, revoked, foreign or mis-typed token, or an `Origin` the token's client does not allow (RS-03, RS-08, JWT-05) | 401 | `Bearer realm="api", error="invalid_token", error_description="…"` |
//! | a valid token without the required scope (RS-04) | 403 | `Bearer realm="api", error="insufficient_scope", error_description="…", scope="read"` |
//! | the store or the introspection endpoint is unreachable | 503 | none (`{"error":"temporarily_unavailable"}`) |
//!
//! Tokens in the query string (`?access_token=`, RFC 6750 §2.3) are ignored unless the
//! deployment opts in with [`RequireBearer::allow_query_token`] (OAuth 2.1 §5.1 drops them;
//! RS-06): the request then counts as carrying no credentials. A token in both the header and
//! the query is always refused with `invalid_request`. Form-body tokens (RFC 6750 §2.2) are not
//! read.
//!
//! Browser use (RS-08): a request with an `Origin` the token's client does not list in its
//! allowed origins is refused with `invalid_token`, without CORS headers; an allowed one gets
//! `Access-Control-Allow-Origin: <that origin>` (never `*`) and `Vary: Origin`. CORS preflights
//! (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) carry no token; the layer never
//! passes one to the protected service and answers it `204` without CORS headers, which a
//! browser takes as a refusal. To allow browser calls, answer preflights with, for example,
//! tower-http's `CorsLayer` placed outside this layer, allowing the `authorization` request
//! header.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use oauth_core::bearer::{BearerError, parse_authorization};
use oauth_core::jwt::{self, AccessTokenClaims, Expected};
use oauth_core::wire::Params;
use oauth_core::{AccessTokenRecord, ApiMisuse, Config, JwsVerifier, ScopeSet, StoreError, Subject, UnixTime};
use serde::Deserialize;

use crate::{AsyncStore, header_text, http_to_axum};

/// The realm of the challenge when none is set with [`RequireBearer::realm`]: `api`.
pub const DEFAULT_REALM: &str = "api";

/// How long [`IntrospectionValidator`] waits for the whole introspection exchange by default:
/// 5 seconds.
pub const DEFAULT_INTROSPECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest introspection answer read, in bytes: 64 KiB.
pub const MAX_INTROSPECTION_BYTES: usize = 64 * 1024;

/// The description of every refusal of an unknown, expired or revoked token.
const INACTIVE: BearerError = BearerError::InvalidToken("the access token is not active");

/// A validated access token, as the handler sees it: what it grants and to whom. It holds no
/// copy of the token itself, so `Debug` shows nothing secret.
///
/// Put in the request extensions by [`RequireBearer`]; extract it in a handler by naming it as
/// an argument.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessToken {
    /// The client the token was issued to (`client_id`, RFC 9068 §2.2).
    pub client_id: String,
    /// Whom the token speaks for: a user, or the client itself (client credentials). On the wire
    /// (`sub`) a client is `client:<client_id>`; see [`AccessToken::sub`].
    pub subject: Subject,
    /// The granted scope.
    pub scope: ScopeSet,
    /// When the token expires (seconds since the epoch).
    pub expires_at: UnixTime,
    /// For an impersonation token, the acting client's `client_id` (RFC 8693 §4.1 `act`).
    pub actor: Option<String>,
    /// The browser origins that may present the token (D6); empty: none may.
    pub allowed_origins: Vec<String>,
}

impl AccessToken {
    /// A token of `client_id` for `subject` with `scope`, expiring at `expires_at`, with no
    /// actor and no allowed origin: for a [`TokenValidator`] of one's own.
    #[must_use]
    pub fn new(client_id: impl Into<String>, subject: Subject, scope: ScopeSet, expires_at: UnixTime) -> Self {
        Self { client_id: client_id.into(), subject, scope, expires_at, actor: None, allowed_origins: Vec::new() }
    }

    /// The same token with the acting client `actor` (impersonation).
    #[must_use]
    pub fn with_actor(mut self, actor: Option<String>) -> Self {
        self.actor = actor;
        self
    }

    /// The same token usable from the browser origins `origins` (`scheme://host[:port]`).
    #[must_use]
    pub fn with_allowed_origins(mut self, origins: Vec<String>) -> Self {
        self.allowed_origins = origins;
        self
    }

    /// The `sub` value: the user identifier, or `client:<client_id>` (RFC 9068 §2.2).
    #[must_use]
    pub fn sub(&self) -> String {
        self.subject.to_sub()
    }

    /// Whether the token was issued to a client acting for itself (client credentials): its
    /// subject is its own client and no other client acted.
    #[must_use]
    pub fn acts_for_itself(&self) -> bool {
        matches!(&self.subject, Subject::Client(id) if **id == *self.client_id) && self.actor.is_none()
    }

    /// Whether a request with `Origin: origin` may use the token: one without an `Origin` (not
    /// from a browser page) always may; a browser request only from an allowed origin, compared
    /// exactly (CORS-03).
    #[must_use]
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        origin.is_none_or(|o| self.allowed_origins.iter().any(|a| a == o))
    }

    /// The token from the claims of a verified JWT access token. A `sub` of the form
    /// `client:<client_id>` naming the token's own client is the client itself.
    ///
    /// # Errors
    /// [`BearerError::InvalidToken`] when the `scope` claim is not a valid scope value.
    pub fn from_claims(claims: AccessTokenClaims) -> Result<Self, BearerError> {
        let scope = parse_scope(&claims.scope)?;
        let subject = subject_of(claims.sub, &claims.client_id);
        Ok(Self::new(claims.client_id, subject, scope, UnixTime::from_secs(claims.exp))
            .with_actor(claims.act.map(|a| a.sub))
            .with_allowed_origins(claims.allowed_origins))
    }
}

impl From<AccessTokenRecord> for AccessToken {
    fn from(record: AccessTokenRecord) -> Self {
        Self {
            client_id: String::from(&*record.client_id),
            subject: record.subject,
            scope: record.scope,
            expires_at: record.expires_at,
            actor: record.actor.map(|a| String::from(&*a)),
            allowed_origins: record.allowed_origins.to_vec(),
        }
    }
}

/// The subject a `sub` value names: the client itself for `client:<client_id>`, else a user.
fn subject_of(sub: String, client_id: &str) -> Subject {
    if sub.strip_prefix("client:") == Some(client_id) {
        Subject::Client(Arc::from(client_id))
    } else {
        Subject::User(Arc::from(sub))
    }
}

/// A scope value from a token or an introspection answer; empty is the empty set.
fn parse_scope(scope: &str) -> Result<ScopeSet, BearerError> {
    if scope.is_empty() {
        return Ok(ScopeSet::new());
    }
    ScopeSet::parse(scope).map_err(|_| BearerError::InvalidToken("the access token is malformed"))
}

/// The handler's view of the token [`RequireBearer`] accepted. On a route without the layer
/// there is none: the request is refused with a bare `401` challenge (realm
/// [`DEFAULT_REALM`]) and the misconfiguration is logged, so a forgotten layer never lets a
/// request through.
impl<S: Send + Sync> FromRequestParts<S> for AccessToken {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Self>().cloned().ok_or_else(|| {
            tracing::error!(path = parts.uri.path(), "AccessToken extracted on a route without RequireBearer");
            http_to_axum(BearerError::Missing.to_http(DEFAULT_REALM))
        })
    }
}

/// A boxed future, as returned by the object-safe [`TokenValidator`].
pub type ValidateFuture<'a> = Pin<Box<dyn Future<Output = Result<AccessToken, BearerError>> + Send + 'a>>;

/// How a resource server learns what a presented access token grants. Held as
/// `Arc<dyn TokenValidator>` by [`RequireBearer`].
///
/// # Security contract
/// - Answer `Ok` only for a token this deployment's authorization server issued, that is
///   active at `now` (unexpired, not revoked as far as the means can see), and meant for this
///   resource server (RFC 6750 §3.1, RFC 9068 §4).
/// - Answer [`BearerError::InvalidToken`] for every other token, with a fixed description that
///   never quotes the token; [`BearerError::Store`] when the means cannot answer right now
///   (`StoreError::Unavailable` → 503).
/// - Scope and `Origin` are checked by the layer from the returned [`AccessToken`].
pub trait TokenValidator: Send + Sync {
    /// Validates `token` (the `b64token` of RFC 6750 §2.1, already syntax-checked) at `now`.
    fn validate<'a>(&'a self, token: &'a str, now: UnixTime) -> ValidateFuture<'a>;
}

// ---------------------------------------------------------------------------------------------
// 1. Same-process store

/// Validates tokens against the authorization server's own store, in the same process: opaque
/// and JWT access tokens alike (the key is [`jwt::access_token_key`], so a JWT must verify
/// against the server's signer first). Sees every revocation at once.
pub struct StoreValidator<S: ?Sized> {
    store: Arc<S>,
    config: Arc<Config>,
}

impl<S: ?Sized> StoreValidator<S> {
    /// Validates against `store`, with the server's `config` (issuer, audience, signer).
    #[must_use]
    pub const fn new(store: Arc<S>, config: Arc<Config>) -> Self {
        Self { store, config }
    }
}

impl<S: ?Sized> Clone for StoreValidator<S> {
    fn clone(&self) -> Self {
        Self { store: Arc::clone(&self.store), config: Arc::clone(&self.config) }
    }
}

impl<S: ?Sized> fmt::Debug for StoreValidator<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreValidator").field("issuer", &self.config.issuer()).finish_non_exhaustive()
    }
}

impl<S: AsyncStore + ?Sized> TokenValidator for StoreValidator<S> {
    fn validate<'a>(&'a self, token: &'a str, now: UnixTime) -> ValidateFuture<'a> {
        Box::pin(async move {
            let key = jwt::access_token_key(&self.config, token, now).ok_or(INACTIVE)?;
            let record = self.store.access_token(&key, now).await.map_err(BearerError::Store)?;
            record.filter(|r| !r.expires_at.is_expired_at(now)).map(AccessToken::from).ok_or(INACTIVE)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Remote introspection (RFC 7662)

/// Validates tokens by asking the authorization server's introspection endpoint (RFC 7662
/// §2.1): `POST token=<token>&token_type_hint=access_token`, authenticated with HTTP Basic
/// (`client_id` and `client_secret` form-urlencoded first, RFC 6749 §2.3.1). The client must be
/// a confidential client allowed the server's introspection scope (default `introspect`).
/// Sees every revocation at once, at the cost of one HTTP exchange per request (no cache).
///
/// - `{"active":false}`, an answer for another token type than `Bearer` (a refresh token), an
///   expired one, or one missing `client_id`, `sub` or `exp` → `invalid_token`;
/// - a network error, a timeout ([`DEFAULT_INTROSPECTION_TIMEOUT`], see
///   [`IntrospectionValidator::timeout`]), `429` or a `5xx` → 503 (`StoreError::Unavailable`);
/// - any other status (for example `401`: the credentials are wrong) or an answer that is not a
///   JSON object → 500 (`StoreError::Failed`), logged.
///
/// The workspace builds `reqwest` without TLS. An application that introspects over `https`
/// enables a TLS feature of `reqwest` in its own `Cargo.toml` (for example
/// `reqwest = { version = "0.12", features = ["rustls-tls"] }`); Cargo's feature unification
/// then gives this crate the same TLS-capable client. Build the `reqwest::Client` without
/// redirects (`redirect::Policy::none()`): a redirected introspection is refused anyway.
pub struct IntrospectionValidator {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    authorization: HeaderValue,
    timeout: Duration,
    issuer: Option<String>,
    audience: Option<String>,
}

impl fmt::Debug for IntrospectionValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionValidator")
            .field("endpoint", &self.endpoint.as_str())
            .field("timeout", &self.timeout)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl IntrospectionValidator {
    /// Introspects at `endpoint` (an absolute `http` or `https` URL) with `http`, as the
    /// confidential client `client_id` with `client_secret`.
    ///
    /// # Errors
    /// [`ApiMisuse::Config`] when `endpoint` is not an absolute `http`/`https` URL, or the
    /// credentials do not fit in a header.
    pub fn new(http: reqwest::Client, endpoint: &str, client_id: &str, client_secret: &str) -> Result<Self, ApiMisuse> {
        let endpoint = reqwest::Url::parse(endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or(ApiMisuse::Config("the introspection endpoint must be an absolute http or https URL"))?;
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let credentials = STANDARD.encode(format!("{}:{}", encode(client_id), encode(client_secret)));
        let mut authorization = HeaderValue::from_str(&format!("Basic {credentials}"))
            .map_err(|_| ApiMisuse::Config("the introspection credentials do not fit in a header"))?;
        authorization.set_sensitive(true);
        Ok(Self { http, endpoint, authorization, timeout: DEFAULT_INTROSPECTION_TIMEOUT, issuer: None, audience: None })
    }

    /// The same validator giving up on an introspection exchange after `timeout` (connect,
    /// request and the whole answer); the request is then answered 503.
    #[must_use]
    pub const fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same validator also requiring the answer's `iss` to equal `issuer`.
    #[must_use]
    pub fn expect_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The same validator also requiring the answer's `aud` (a string or an array) to contain
    /// `audience`, this resource server's identifier.
    #[must_use]
    pub fn expect_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    async fn introspect(&self, token: &str) -> Result<Vec<u8>, BearerError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("token_type_hint", "access_token")
            .finish();
        let sent = self
            .http
            .post(self.endpoint.clone())
            .header(header::AUTHORIZATION, self.authorization.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .timeout(self.timeout)
            .body(body)
            .send()
            .await;
        let mut response = sent.map_err(|e| {
            tracing::warn!(error = %e.without_url(), "introspection request failed");
            BearerError::Store(StoreError::Unavailable)
        })?;
        let status = response.status();
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            tracing::warn!(status = status.as_u16(), "introspection endpoint unavailable");
            return Err(BearerError::Store(StoreError::Unavailable));
        }
        if status != StatusCode::OK {
            tracing::error!(status = status.as_u16(), "introspection refused; check the resource server's credentials");
            return Err(BearerError::Store(StoreError::Failed));
        }
        let mut answer = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if answer.len() + chunk.len() <= MAX_INTROSPECTION_BYTES => {
                    answer.extend_from_slice(&chunk);
                }
                Ok(Some(_)) => {
                    tracing::error!("introspection answer too large");
                    return Err(BearerError::Store(StoreError::Failed));
                }
                Ok(None) => break Ok(answer),
                Err(e) => {
                    tracing::warn!(error = %e.without_url(), "introspection answer unreadable");
                    return Err(BearerError::Store(StoreError::Unavailable));
                }
            }
        }
    }

    /// The token an introspection `answer` describes, if it is an active access token for this
    /// resource server at `now`.
    fn read_answer(&self, answer: &[u8], now: UnixTime) -> Result<AccessToken, BearerError> {
        let Ok(serde_json::Value::Object(members)) = serde_json::from_slice::<serde_json::Value>(answer) else {
            tracing::error!("introspection answer is not a JSON object");
            return Err(BearerError::Store(StoreError::Failed));
        };
        if members.get("active") != Some(&serde_json::Value::Bool(true)) {
            return Err(INACTIVE);
        }
        let Ok(a) = serde_json::from_value::<ActiveAnswer>(serde_json::Value::Object(members)) else {
            tracing::warn!("introspection answer for an active token lacks a member or has a wrong type");
            return Err(INACTIVE);
        };
        if !a.token_type.eq_ignore_ascii_case("bearer") {
            return Err(BearerError::InvalidToken("the token is not an access token"));
        }
        let now_secs = now.as_secs();
        if a.exp <= now_secs || a.nbf.is_some_and(|nbf| nbf > now_secs) {
            return Err(INACTIVE);
        }
        if self.issuer.as_ref().is_some_and(|iss| a.iss.as_ref() != Some(iss)) {
            return Err(BearerError::InvalidToken(jwt::JwtError::WrongIssuer.description()));
        }
        if let Some(audience) = &self.audience {
            let ok = match &a.aud {
                Some(Audience::One(aud)) => aud == audience,
                Some(Audience::Many(list)) => list.iter().any(|aud| aud == audience),
                None => false,
            };
            if !ok {
                return Err(BearerError::InvalidToken(jwt::JwtError::WrongAudience.description()));
            }
        }
        let scope = parse_scope(a.scope.as_deref().unwrap_or(""))?;
        let subject = subject_of(a.sub, &a.client_id);
        Ok(AccessToken::new(a.client_id, subject, scope, UnixTime::from_secs(a.exp))
            .with_actor(a.act.map(|act| act.sub))
            .with_allowed_origins(a.allowed_origins))
    }
}

/// The members of an active introspection answer this validator reads (RFC 7662 §2.2).
#[derive(Deserialize)]
struct ActiveAnswer {
    client_id: String,
    sub: String,
    exp: u64,
    token_type: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    nbf: Option<u64>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    aud: Option<Audience>,
    #[serde(default)]
    act: Option<ActAnswer>,
    #[serde(default, rename = "allowed-origins")]
    allowed_origins: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct ActAnswer {
    sub: String,
}

impl TokenValidator for IntrospectionValidator {
    fn validate<'a>(&'a self, token: &'a str, now: UnixTime) -> ValidateFuture<'a> {
        Box::pin(async move {
            let answer = self.introspect(token).await?;
            self.read_answer(&answer, now)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Local JWT verification (RFC 9068 §4)

/// Validates JWT access tokens locally with [`jwt::verify`] (RFC 9068 §4, JWT-05): `typ`
/// `at+jwt`, a signature the verifier accepts (never `alg: none`), `iss` equal to the expected
/// issuer, `aud` containing this resource server, and `exp` after now. The verifier is, for
/// example, an `oauth_jose` key set built from the server's `GET /oauth/jwks` document, or the
/// shared key of an [`oauth_core::Hs256Signer`].
///
/// A purely local check cannot see a revocation before the token's `exp`: keep access-token
/// lifetimes short, or add [`JwtValidator::with_revocation_check`] when the authorization
/// server's store is in the same process (or use [`IntrospectionValidator`]).
pub struct JwtValidator {
    verifier: Arc<dyn JwsVerifier>,
    issuer: String,
    audience: String,
    revocation: Option<Box<dyn RevocationCheck>>,
}

impl fmt::Debug for JwtValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtValidator")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("revocation_check", &self.revocation.is_some())
            .finish_non_exhaustive()
    }
}

impl JwtValidator {
    /// Accepts JWT access tokens that `verifier` verifies, issued by `issuer` (byte for byte,
    /// the server's metadata `issuer`) for `audience` (this resource server; the server's
    /// configured audience, by default its issuer).
    #[must_use]
    pub fn new(verifier: Arc<dyn JwsVerifier>, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self { verifier, issuer: issuer.into(), audience: audience.into(), revocation: None }
    }

    /// The same validator also looking each verified token up in the authorization server's
    /// `store`, in the same process, by [`jwt::access_token_key`] under the server's `config`
    /// (which must hold the signer): a revoked or unknown token is refused with
    /// `invalid_token`, and a store failure answers 503.
    #[must_use]
    pub fn with_revocation_check<S: AsyncStore + ?Sized + 'static>(
        mut self,
        store: Arc<S>,
        config: Arc<Config>,
    ) -> Self {
        self.revocation = Some(Box::new(StoreValidator::new(store, config)));
        self
    }
}

/// Whether a verified JWT is still active in a same-process store.
trait RevocationCheck: Send + Sync {
    fn active<'a>(
        &'a self,
        token: &'a str,
        now: UnixTime,
    ) -> Pin<Box<dyn Future<Output = Result<bool, StoreError>> + Send + 'a>>;
}

impl<S: AsyncStore + ?Sized> RevocationCheck for StoreValidator<S> {
    fn active<'a>(
        &'a self,
        token: &'a str,
        now: UnixTime,
    ) -> Pin<Box<dyn Future<Output = Result<bool, StoreError>> + Send + 'a>> {
        Box::pin(async move {
            let Some(key) = jwt::access_token_key(&self.config, token, now) else { return Ok(false) };
            Ok(self.store.access_token(&key, now).await?.is_some_and(|r| !r.expires_at.is_expired_at(now)))
        })
    }
}

impl TokenValidator for JwtValidator {
    fn validate<'a>(&'a self, token: &'a str, now: UnixTime) -> ValidateFuture<'a> {
        Box::pin(async move {
            let claims = jwt::verify(&*self.verifier, token, Expected::new(&self.issuer, &self.audience, now))
                .map_err(|e| BearerError::InvalidToken(e.description()))?;
            if let Some(check) = &self.revocation {
                if !check.active(token, now).await.map_err(BearerError::Store)? {
                    return Err(INACTIVE);
                }
            }
            AccessToken::from_claims(claims)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The layer

/// A tower [`Layer`](tower::Layer) that admits only requests carrying a valid access token
/// with the required scope (RFC 6750), puts the [`AccessToken`] in the request extensions and
/// answers every refusal itself (see the [module documentation](self)). Apply it with
/// `Router::route_layer` so that unknown paths still answer 404. Cloning is cheap.
#[derive(Clone)]
pub struct RequireBearer {
    validator: Arc<dyn TokenValidator>,
    required: ScopeSet,
    realm: Arc<str>,
    allow_query: bool,
}

impl fmt::Debug for RequireBearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireBearer")
            .field("required", &self.required)
            .field("realm", &self.realm)
            .field("allow_query", &self.allow_query)
            .finish_non_exhaustive()
    }
}

impl RequireBearer {
    /// Requires a token `validator` accepts, carrying every scope in `required` (empty: any
    /// valid token), with realm [`DEFAULT_REALM`] and query-string tokens ignored.
    #[must_use]
    pub fn new(validator: impl TokenValidator + 'static, required: ScopeSet) -> Self {
        Self::with_validator(Arc::new(validator), required)
    }

    /// As [`RequireBearer::new`], with a shared validator.
    #[must_use]
    pub fn with_validator(validator: Arc<dyn TokenValidator>, required: ScopeSet) -> Self {
        Self { validator, required, realm: Arc::from(DEFAULT_REALM), allow_query: false }
    }

    /// The same layer naming `realm` in its challenges (RFC 6750 §3; `"` and `\` are dropped).
    #[must_use]
    pub fn realm(mut self, realm: &str) -> Self {
        self.realm = Arc::from(realm);
        self
    }

    /// The same layer also accepting a token in the `access_token` query parameter (RFC 6750
    /// §2.3) when `allow` is true. Off by default (OAuth 2.1 §5.1; RFC 9700 §4.3.2): URLs end
    /// up in logs and `Referer` headers. Successful answers to such requests get
    /// `Cache-Control: private` unless they set their own.
    #[must_use]
    pub const fn allow_query_token(mut self, allow: bool) -> Self {
        self.allow_query = allow;
        self
    }

    /// The check the layer runs on a request with `headers` and `uri` at `now`: the token's
    /// [`AccessToken`], or the refusal to answer with [`BearerError::to_http`].
    ///
    /// # Errors
    /// [`BearerError`] as listed in the [module documentation](self).
    pub async fn check(&self, headers: &HeaderMap, uri: &Uri, now: UnixTime) -> Result<AccessToken, BearerError> {
        self.check_request(headers, uri, now).await.map(|(token, _)| token)
    }

    /// [`RequireBearer::check`], also telling whether the token came from the query string.
    async fn check_request(
        &self,
        headers: &HeaderMap,
        uri: &Uri,
        now: UnixTime,
    ) -> Result<(AccessToken, bool), BearerError> {
        if headers.get_all(header::AUTHORIZATION).iter().nth(1).is_some() {
            // Whatever the schemes, in whichever order (RFC 6750 §2: one method per request).
            return Err(BearerError::InvalidRequest("send one Authorization header"));
        }
        let authorization = header_text(headers, &header::AUTHORIZATION);
        let query = QueryToken::of(uri.query());
        let (token, via_query) = match (authorization.as_deref(), query) {
            (Some(_), QueryToken::Present(_) | QueryToken::Unreadable) => {
                return Err(BearerError::InvalidRequest("the access token was sent in more than one way"));
            }
            (Some(h), QueryToken::Absent) => (parse_authorization(Some(h))?, false),
            (None, QueryToken::Present(Some(t))) if self.allow_query => {
                (parse_authorization(Some(&format!("Bearer {t}")))?, true)
            }
            (None, QueryToken::Present(None) | QueryToken::Unreadable) if self.allow_query => {
                return Err(BearerError::InvalidRequest("the access_token query parameter is malformed"));
            }
            (None, _) => return Err(BearerError::Missing),
        };
        let access = self.validator.validate(token.expose(), now).await?;
        if access.expires_at.is_expired_at(now) {
            return Err(INACTIVE);
        }
        let origin = header_text(headers, &header::ORIGIN);
        if !access.allows_origin(origin.as_deref()) {
            return Err(BearerError::InvalidToken("the access token may not be used from this origin"));
        }
        if !self.required.is_subset(&access.scope) {
            return Err(BearerError::InsufficientScope(self.required.clone()));
        }
        Ok((access, via_query))
    }
}

/// The `access_token` query parameter (RFC 6750 §2.3).
enum QueryToken {
    /// Not in the query (or no query).
    Absent,
    /// Present: its one non-empty value, or `None` when empty or repeated.
    Present(Option<String>),
    /// A query that does not decode but mentions `access_token`.
    Unreadable,
}

impl QueryToken {
    fn of(query: Option<&str>) -> Self {
        let Some(query) = query else { return Self::Absent };
        match Params::parse_form(query.as_bytes()) {
            Ok(params) if params.contains("access_token") => {
                Self::Present(params.get("access_token").ok().flatten().map(str::to_owned))
            }
            Ok(_) => Self::Absent,
            Err(_) if query.contains("access_token") => Self::Unreadable,
            Err(_) => Self::Absent,
        }
    }
}

impl<S> tower::Layer<S> for RequireBearer {
    type Service = RequireBearerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireBearerService { inner, policy: self.clone() }
    }
}

/// The service [`RequireBearer`] wraps around the protected routes.
#[derive(Clone, Debug)]
pub struct RequireBearerService<S> {
    inner: S,
    policy: RequireBearer,
}

impl<S> tower::Service<Request> for RequireBearerService<S>
where
    S: tower::Service<Request, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // The clone that was not polled ready stays here; the ready one serves this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let policy = self.policy.clone();
        Box::pin(async move {
            if is_preflight(&request) {
                // A preflight carries no token, so the protected service never sees it. Answered
                // here without CORS headers, which a browser takes as a refusal: a CORS layer
                // placed outside this one answers real preflights before they get here.
                let mut response = Response::new(Body::empty());
                *response.status_mut() = StatusCode::NO_CONTENT;
                return Ok(response);
            }
            let origin = single_origin(request.headers());
            match policy.check_request(request.headers(), request.uri(), crate::now()).await {
                Ok((token, via_query)) => {
                    request.extensions_mut().insert(token);
                    let mut response = inner.call(request).await?;
                    allow_origin(response.headers_mut(), origin);
                    if via_query && response.status().is_success() {
                        let headers = response.headers_mut();
                        if !headers.contains_key(header::CACHE_CONTROL) {
                            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
                        }
                    }
                    Ok(response)
                }
                Err(refusal) => {
                    tracing::debug!(status = refusal.status(), code = refusal.code(), "bearer token refused");
                    let mut response = http_to_axum(refusal.to_http(&policy.realm));
                    // The origin was checked before the scope: a browser page the token allows
                    // may read why it was refused.
                    if matches!(refusal, BearerError::InsufficientScope(_)) {
                        allow_origin(response.headers_mut(), origin);
                    }
                    Ok(response)
                }
            }
        })
    }
}

/// A CORS preflight (Fetch §3.2.2): `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`; it never carries credentials.
fn is_preflight(request: &Request<Body>) -> bool {
    request.method() == Method::OPTIONS
        && request.headers().contains_key(header::ORIGIN)
        && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The request's `Origin` when it has exactly one, as a header value.
fn single_origin(headers: &HeaderMap) -> Option<HeaderValue> {
    let mut all = headers.get_all(header::ORIGIN).iter();
    match (all.next(), all.next()) {
        (Some(o), None) => Some(o.clone()),
        _ => None,
    }
}

/// `Access-Control-Allow-Origin: <origin>` (never `*`) and `Vary: Origin` for an origin the
/// token allows (RS-08).
fn allow_origin(headers: &mut HeaderMap, origin: Option<HeaderValue>) {
    let Some(origin) = origin else { return };
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    let varies = headers.get_all(header::VARY).iter().any(|v| {
        v.to_str().is_ok_and(|s| s.split(',').any(|p| p.trim().eq_ignore_ascii_case("origin") || p.trim() == "*"))
    });
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_query_tokens() {
        assert_eq!(subject_of("client:svc".into(), "svc"), Subject::Client(Arc::from("svc")));
        assert_eq!(subject_of("client:svc".into(), "other"), Subject::User(Arc::from("client:svc")));
        assert_eq!(subject_of("alice".into(), "svc"), Subject::User(Arc::from("alice")));
        assert!(matches!(QueryToken::of(None), QueryToken::Absent));
        assert!(matches!(QueryToken::of(Some("a=1")), QueryToken::Absent));
        assert!(matches!(QueryToken::of(Some("access_token=x")), QueryToken::Present(Some(t)) if t == "x"));
        assert!(matches!(QueryToken::of(Some("access_token=")), QueryToken::Present(None)));
        assert!(matches!(QueryToken::of(Some("access_token=a&access_token=b")), QueryToken::Present(None)));
        assert!(matches!(QueryToken::of(Some("access_token=%zz")), QueryToken::Unreadable));
        assert!(matches!(QueryToken::of(Some("q=%zz")), QueryToken::Absent));
    }

    #[test]
    fn introspection_answers() {
        let v = IntrospectionValidator::new(reqwest::Client::new(), "http://127.0.0.1:9/introspect", "rs", "s e:cret")
            .unwrap()
            .expect_audience("https://api.example");
        // Basic credentials are form-urlencoded before base64 (RFC 6749 §2.3.1).
        assert_eq!(v.authorization.to_str().unwrap(), format!("Basic {}", STANDARD.encode("rs:s+e%3Acret")));
        assert!(!format!("{v:?}").contains("cret"));
        let now = UnixTime::from_secs(1_000);
        let read = |json: serde_json::Value| v.read_answer(json.to_string().as_bytes(), now);
        let active = serde_json::json!({
            "active": true, "client_id": "app", "sub": "alice", "exp": 2000, "iat": 900, "scope": "read write",
            "token_type": "Bearer", "aud": ["x", "https://api.example"], "act": {"sub": "app"},
            "allowed-origins": ["https://a.example"],
        });
        let token = read(active.clone()).unwrap();
        assert_eq!(token.subject, Subject::User(Arc::from("alice")));
        assert_eq!((token.actor.as_deref(), token.scope.as_str()), (Some("app"), "read write"));
        assert_eq!(token.allowed_origins, ["https://a.example"]);
        assert_eq!(token.expires_at, UnixTime::from_secs(2000));
        let with = |key: &str, value: serde_json::Value| {
            let mut a = active.clone();
            a[key] = value;
            read(a).unwrap_err()
        };
        // A refresh token's answer has no token_type: not an access token.
        let mut refresh = active.clone();
        refresh.as_object_mut().unwrap().remove("token_type");
        assert_eq!(read(refresh).unwrap_err().code(), Some("invalid_token"));
        assert_eq!(with("token_type", "refresh_token".into()).code(), Some("invalid_token"));
        assert_eq!(with("exp", 1000.into()), INACTIVE);
        assert_eq!(with("nbf", 1001.into()), INACTIVE);
        assert_eq!(with("exp", "2000".into()), INACTIVE);
        assert_eq!(with("aud", "https://other.example".into()).code(), Some("invalid_token"));
        assert_eq!(with("scope", "a  b".into()).code(), Some("invalid_token"));
        assert_eq!(with("active", "true".into()), INACTIVE);
        assert_eq!(read(serde_json::json!({"active": false})), Err(INACTIVE));
        assert_eq!(v.read_answer(b"[]", now), Err(BearerError::Store(StoreError::Failed)));
        assert_eq!(v.read_answer(b"<html>", now), Err(BearerError::Store(StoreError::Failed)));
        // No scope member: the empty set.
        let mut bare = active;
        bare.as_object_mut().unwrap().remove("scope");
        assert!(read(bare).unwrap().scope.is_empty());
    }

    #[test]
    fn token_debug_and_origins() {
        let t = AccessToken::new("svc", Subject::Client(Arc::from("svc")), ScopeSet::new(), UnixTime::from_secs(9))
            .with_allowed_origins(vec!["https://a.example".into()]);
        assert!(t.acts_for_itself());
        assert!(!t.clone().with_actor(Some("x".into())).acts_for_itself());
        assert!(t.allows_origin(None) && t.allows_origin(Some("https://a.example")));
        assert!(!t.allows_origin(Some("http://a.example")));
        assert_eq!(t.sub(), "client:svc");
        let mut headers = HeaderMap::new();
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        allow_origin(&mut headers, Some(HeaderValue::from_static("https://a.example")));
        allow_origin(&mut headers, Some(HeaderValue::from_static("https://a.example")));
        assert_eq!(headers.get_all(header::VARY).iter().count(), 2);
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://a.example");
    }
}
