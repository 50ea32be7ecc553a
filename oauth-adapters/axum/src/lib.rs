//! # oauth-axum
//!
//! A thin [axum] adapter for [`oauth_core`]: it turns HTTP requests into the core's request
//! values, runs the endpoint machines with one generic async driver loop ([`drive`]) over an
//! async store trait ([`AsyncStore`]), and turns the core's [`oauth_core::Response`] into HTTP
//! with [`oauth_core::Response::to_http`] (the only mapping; this crate never decides an OAuth
//! error of its own, except that a body over the transport limit is answered 413).
//!
//! Routes ([`router`]):
//!
//! | route | input | notes |
//! |---|---|---|
//! | `GET /oauth/authorize` | query string | RFC 6749 §4.1.1 |
//! | `POST /oauth/authorize` | `application/x-www-form-urlencoded` body | the login/consent form posts back here; the core redirects with 303 (RFC 9700 §4.12) |
//! | `POST /oauth/token` | form or JSON body, `Authorization`, query, `Origin` | RFC 6749 §3.2, §4.1.3, §4.4, §6; CORS per client (D6) |
//! | `OPTIONS /oauth/token` | CORS preflight | [`preflight`] (CORS-04) |
//! | `POST /oauth/revoke` | form or JSON body, `Authorization`, query, `Origin` | RFC 7009 §2; CORS per client (REV-08) |
//! | `OPTIONS /oauth/revoke` | CORS preflight | [`preflight`] |
//! | `POST /oauth/introspect` | form or JSON body, `Authorization` (Basic or Bearer), query | RFC 7662 §2 |
//! | `GET /.well-known/oauth-authorization-server` | | RFC 8414 §3; also at the RFC 8414 §3.1 path of an issuer with a path |
//! | `GET /oauth/jwks` | | the JWK Set (RFC 7517 §5), only when the token signer publishes one |
//!
//! Any other method on these paths is answered 405 with an `Allow` header. Request bodies are
//! read here, up to [`oauth_core::wire::MAX_INPUT_BYTES`] (64 KiB); a larger body is answered
//! `413` with an OAuth JSON error (`invalid_request`, `Cache-Control: no-store`), never with
//! axum's plain-text rejections (axum's own `DefaultBodyLimit` is disabled on these routes).
//!
//! The clock is read once per request (`SystemTime::now()`, whole Unix seconds) and handed to
//! the machine. Every response of the authorization endpoint carries `X-Frame-Options: DENY`,
//! `Content-Security-Policy: frame-ancestors 'none'` and `Referrer-Policy: no-referrer`
//! (RFC 9700 §4.16, RFC 6749 §10.13) and no CORS headers (RFC 9700 §2.6).
//!
//! The metadata document ([`oauth_core::Metadata`], built once from the same [`Config`] as the
//! endpoints, with the `scopes_supported` of [`RouterOptions`]) is answered `200`,
//! `Content-Type: application/json`, `Cache-Control: public, max-age=3600`
//! ([`METADATA_MAX_AGE_SECS`]) and `Access-Control-Allow-Origin: *` (it carries no credentials,
//! RFC 9700 §2.6, META-05). The JWK Set is answered the same way with
//! `Content-Type: application/jwk-set+json` and a max-age of [`JWKS_MAX_AGE_SECS`].
//!
//! The resource owner is authenticated, and consent obtained, by the embedding application
//! through an [`OwnerInteraction`] hook: it sees the request and the [`NeedOwner`] question and
//! answers with an [`OwnerDecision`], or with a page (login, consent) to send instead.
//!
//! ```no_run
//! # use std::sync::Arc;
//! # fn demo(config: Arc<oauth_core::Config>, store: Arc<oauth_memory::MemoryStore>) {
//! let app: axum::Router = oauth_axum::router(config, store, Arc::new(oauth_axum::NoOwner::new()));
//! # }
//! ```

pub mod bearer;

use std::future::{Future, poll_fn, ready};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, HttpBody as _};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::handler::Handler as _;
use axum::response::{IntoResponse as _, Response as HttpResponse};
use axum::routing::{get, post};
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use oauth_core::metadata::{WELL_KNOWN, well_known_path};
use oauth_core::wire::{MAX_INPUT_BYTES, Params};
use oauth_core::{
    AccessTokenRecord, AuthorizeRequest, Client, ClientRegistry, CodeRecord, CodeStore, Config, EndpointPaths, GrantId,
    IntrospectRequest, Metadata, NeedOwner, OAuthError, OwnerDecision, RefreshStore, RefreshTokenRecord, Response,
    RevokeRequest, ScopeSet, Step, Store, StoreError, TokenDigest, TokenRequest, TokenState, TokenStore, UnixTime,
    User, UserDirectory, UserLookup, Write, authorize, introspect, revoke, token,
};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How many bytes of an oversized body are read and discarded before the 413 is sent, so that
/// a client still writing its body sees the response instead of a reset connection: 16 MiB.
/// Beyond this the connection is simply closed after the response.
pub const MAX_DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// The storage questions of the endpoint machines, answered asynchronously: one method per
/// store question of [`Step`]. The security contracts are those of the core's sync traits
/// ([`oauth_core::ClientRegistry`], [`oauth_core::CodeStore`], [`oauth_core::RefreshStore`],
/// [`oauth_core::TokenStore`]): `take_code` and `take_refresh_token` are atomic (of two
/// concurrent takes exactly one sees [`TokenState::Active`], RFC 6749 §4.1.2), `persist` is
/// all-or-nothing and never leaves a credential of a revoked grant active (it discards such a
/// write, or refuses it with [`StoreError::GrantRevoked`]).
///
/// Every type that implements the sync [`Store`] (such as `oauth_memory::MemoryStore`)
/// implements this trait by answering at once; a sync store must therefore not block for long
/// (an in-memory map is fine, a network database is not: implement this trait for it instead).
pub trait AsyncStore: Send + Sync {
    /// The client registered as `client_id`, or `None`.
    fn client(&self, client_id: &str) -> impl Future<Output = Result<Option<Arc<Client>>, StoreError>> + Send;

    /// Atomically marks the code with digest `key` used, if it was issued to `client_id`, and
    /// returns its previous state.
    fn take_code(
        &self,
        key: &TokenDigest,
        client_id: &str,
        now: UnixTime,
    ) -> impl Future<Output = Result<TokenState<CodeRecord>, StoreError>> + Send;

    /// The state of the refresh token with digest `key`, unchanged.
    fn refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> impl Future<Output = Result<TokenState<RefreshTokenRecord>, StoreError>> + Send;

    /// Atomically marks the refresh token with digest `key` used and returns its previous state.
    fn take_refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> impl Future<Output = Result<TokenState<RefreshTokenRecord>, StoreError>> + Send;

    /// Revokes every credential of `grant_id` (RFC 6749 §4.1.2, §10.5).
    fn revoke_grant(&self, grant_id: &GrantId, now: UnixTime) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Writes `writes` all or nothing; the records are moved in.
    fn persist(&self, writes: Vec<Write>, now: UnixTime) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The user `lookup` names, for the impersonation grant (see [`oauth_core::UserDirectory`]).
    fn user(&self, lookup: &UserLookup) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// Whether any client allows the browser origin `origin` (answers CORS preflights, CORS-04;
    /// see [`oauth_core::ClientRegistry::origin_registered`]).
    fn origin_registered(&self, origin: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The access token with digest `key` if it is active at `now` (the resource-server check,
    /// RFC 6750; see [`oauth_core::TokenStore::access_token`]).
    fn access_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> impl Future<Output = Result<Option<AccessTokenRecord>, StoreError>> + Send;
}

impl<T: Store + ?Sized> AsyncStore for T {
    fn client(&self, client_id: &str) -> impl Future<Output = Result<Option<Arc<Client>>, StoreError>> + Send {
        ready(ClientRegistry::client(self, client_id))
    }

    fn take_code(
        &self,
        key: &TokenDigest,
        client_id: &str,
        now: UnixTime,
    ) -> impl Future<Output = Result<TokenState<CodeRecord>, StoreError>> + Send {
        ready(CodeStore::take_code(self, key, client_id, now))
    }

    fn refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> impl Future<Output = Result<TokenState<RefreshTokenRecord>, StoreError>> + Send {
        ready(RefreshStore::refresh_token(self, key, now))
    }

    fn take_refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> impl Future<Output = Result<TokenState<RefreshTokenRecord>, StoreError>> + Send {
        ready(RefreshStore::take_refresh_token(self, key, now))
    }

    fn revoke_grant(&self, grant_id: &GrantId, now: UnixTime) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(TokenStore::revoke_grant(self, grant_id, now))
    }

    fn persist(&self, writes: Vec<Write>, now: UnixTime) -> impl Future<Output = Result<(), StoreError>> + Send {
        ready(TokenStore::persist(self, writes, now))
    }

    fn user(&self, lookup: &UserLookup) -> impl Future<Output = Result<Option<User>, StoreError>> + Send {
        ready(UserDirectory::user(self, lookup))
    }

    fn origin_registered(&self, origin: &str) -> impl Future<Output = Result<bool, StoreError>> + Send {
        ready(ClientRegistry::origin_registered(self, origin))
    }

    fn access_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> impl Future<Output = Result<Option<AccessTokenRecord>, StoreError>> + Send {
        ready(TokenStore::access_token(self, key, now))
    }
}

/// What the [`OwnerInteraction`] hook sees of the authorization request: method, URI, headers
/// (cookies included) and the authorization parameters (the query of a `GET`, the form body of
/// a `POST`). `Debug` lists header and parameter names only.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct OwnerRequest<'a> {
    /// `GET` or `POST`.
    pub method: &'a Method,
    /// The request URI.
    pub uri: &'a Uri,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The parameters, every occurrence kept (see [`Params::get`]).
    pub params: &'a Params,
}

impl<'a> OwnerRequest<'a> {
    /// A view of a request's parts and parameters.
    #[must_use]
    pub const fn new(parts: &'a Parts, params: &'a Params) -> Self {
        Self { method: &parts.method, uri: &parts.uri, headers: &parts.headers, params }
    }
}

impl std::fmt::Debug for OwnerRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerRequest")
            .field("method", self.method)
            .field("path", &self.uri.path())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("params", self.params)
            .finish()
    }
}

/// The hook's answer to [`NeedOwner`].
#[derive(Debug)]
#[non_exhaustive]
pub enum OwnerOutcome {
    /// Resume the machine with this decision. The headers (for example `Set-Cookie` for a new
    /// session) are added to the response the machine produces.
    Decide(OwnerDecision, HeaderMap),
    /// Send this response instead (a login or consent page, or an error page); no code is
    /// issued. The page typically posts back to `POST /oauth/authorize` with the original
    /// parameters, which re-runs the request.
    Respond(HttpResponse),
}

impl OwnerOutcome {
    /// Resume with `decision` and no extra headers.
    #[must_use]
    pub fn decide(decision: OwnerDecision) -> Self {
        Self::Decide(decision, HeaderMap::new())
    }
}

/// A boxed future, as returned by the object-safe [`OwnerInteraction`].
pub type OwnerFuture<'a> = Pin<Box<dyn Future<Output = OwnerOutcome> + Send + 'a>>;

/// How the embedding application authenticates the resource owner and asks for consent
/// (RFC 6749 §4.1.1: "the authorization server authenticates the resource owner and obtains
/// an authorization decision"). Held as `Arc<dyn OwnerInteraction>`.
///
/// # Security contract
/// - Answer [`OwnerDecision::Approve`] only for a resource owner authenticated by this request
///   or by a session this server issued, and only after consent when consent is needed
///   ([`NeedOwner::client`]'s consent method, `prompt=consent`).
/// - With `prompt=none` ([`NeedOwner::prompt`]) never show a page: answer
///   [`OwnerDecision::LoginRequired`] or [`OwnerDecision::ConsentRequired`] (D12).
/// - Honour `prompt=login` and `max_age` by authenticating again (the core also refuses an
///   approval whose `auth_time` is older than `max_age`).
/// - A form that posts back must be protected against CSRF (RFC 6749 §10.12); a post without a
///   valid anti-CSRF token must not lead to an approval.
/// - Everything the hook renders must escape user-provided text; the adapter adds the
///   anti-framing headers.
pub trait OwnerInteraction: Send + Sync {
    /// Answers `question` for `request`.
    fn interact<'a>(&'a self, request: OwnerRequest<'a>, question: &'a NeedOwner) -> OwnerFuture<'a>;
}

/// The null hook: nobody is ever signed in, every request ends with `login_required`.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct NoOwner;

impl NoOwner {
    /// The null hook.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }
}

impl OwnerInteraction for NoOwner {
    fn interact<'a>(&'a self, _request: OwnerRequest<'a>, _question: &'a NeedOwner) -> OwnerFuture<'a> {
        Box::pin(ready(OwnerOutcome::decide(OwnerDecision::LoginRequired)))
    }
}

/// The hook and the request it answers for, as handed to [`drive`] by the authorization
/// endpoint. `raw_params` are the still-encoded parameters (query string or form body) the
/// machine was started with.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct Owner<'a> {
    /// The hook.
    pub hook: &'a dyn OwnerInteraction,
    /// The request's parts.
    pub parts: &'a Parts,
    /// The encoded parameters.
    pub raw_params: &'a [u8],
}

impl<'a> Owner<'a> {
    /// The hook `hook` answering for the request with `parts` and encoded parameters
    /// `raw_params`.
    #[must_use]
    pub const fn new(hook: &'a dyn OwnerInteraction, parts: &'a Parts, raw_params: &'a [u8]) -> Self {
        Self { hook, parts, raw_params }
    }
}

impl std::fmt::Debug for Owner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Owner").field("path", &self.parts.uri.path()).finish_non_exhaustive()
    }
}

/// The one async driver loop for every endpoint: answers each question of `step` from `store`
/// (and [`NeedOwner`] from `owner`, at most once) until the machine responds, then maps the
/// response with [`Response::to_http`]. Without an `owner` (the token endpoint, which never
/// asks), [`NeedOwner`] is answered [`OwnerDecision::LoginRequired`].
///
/// The loop ends: every machine has a bounded number of steps.
pub async fn drive<S: AsyncStore + ?Sized>(store: &S, mut step: Step, mut owner: Option<Owner<'_>>) -> HttpResponse {
    let mut extra = HeaderMap::new();
    let response = loop {
        step = match step {
            Step::NeedClient(q) => {
                let answer = store.client(q.client_id()).await;
                q.resume(answer)
            }
            Step::NeedUser(q) => {
                let answer = store.user(q.lookup()).await;
                q.resume(answer)
            }
            Step::NeedOwner(q) => match owner.take() {
                Some(o) => {
                    let params = Params::parse_form(o.raw_params).unwrap_or_default();
                    match o.hook.interact(OwnerRequest::new(o.parts, &params), &q).await {
                        OwnerOutcome::Decide(decision, headers) => {
                            extra = headers;
                            q.resume(decision)
                        }
                        OwnerOutcome::Respond(page) => return page,
                    }
                }
                None => q.resume(OwnerDecision::LoginRequired),
            },
            Step::TakeCode(q) => {
                let answer = store.take_code(q.key(), q.client_id(), q.now()).await;
                q.resume(answer)
            }
            Step::LookupAccessToken(q) => {
                let answer = store.access_token(q.key(), q.now()).await;
                q.resume(answer)
            }
            Step::LookupRefreshToken(q) => {
                let answer = store.refresh_token(q.key(), q.now()).await;
                q.resume(answer)
            }
            Step::TakeRefreshToken(q) => {
                let answer = store.take_refresh_token(q.key(), q.now()).await;
                q.resume(answer)
            }
            Step::RevokeGrant(q) => {
                let answer = store.revoke_grant(q.grant_id(), q.now()).await;
                q.resume(answer)
            }
            Step::Persist(mut q) => {
                let writes = q.take_writes();
                let impersonation = impersonation_of(&writes);
                let answer = store.persist(writes, q.now()).await;
                if let (Some((client_id, subject)), Ok(())) = (impersonation, &answer) {
                    tracing::info!(target: "oauth::audit", %client_id, %subject, "impersonation access token issued");
                }
                q.resume(answer)
            }
            Step::Respond(r) => break r,
        };
    };
    let mut http = to_axum(response);
    for (name, value) in &extra {
        http.headers_mut().append(name, value.clone());
    }
    http
}

/// The acting client and the impersonated subject of an impersonation access token among
/// `writes`, for the audit log (IMP-09). Identifiers only; never a token or digest.
fn impersonation_of(writes: &[Write]) -> Option<(Arc<str>, String)> {
    writes.iter().find_map(|w| match w {
        Write::AccessToken { record, .. } => record.actor.as_ref().map(|a| (Arc::clone(a), record.subject.to_sub())),
        _ => None,
    })
}

/// Maps a core response to axum through [`Response::into_http`], the only mapping (see
/// [`http_to_axum`]).
#[must_use]
pub fn to_axum(response: Response) -> HttpResponse {
    http_to_axum(response.into_http())
}

/// Copies the core's HTTP form of an answer ([`oauth_core::HttpResponse`], from
/// [`Response::into_http`] or [`oauth_core::bearer::BearerError::to_http`]) into an axum
/// response: the same status, the header fields in the core's order, and the body as is.
///
/// Errors: a status that is not a valid HTTP status code (RFC 9110 §15) becomes
/// `500 Internal Server Error`; a header name or value that is not valid HTTP (the core only
/// writes ASCII, so this is a bug) turns the whole answer into an empty `500` and is logged
/// (the header name only), since a response missing e.g. its `Location` must not go out as if
/// it were complete.
#[must_use]
pub fn http_to_axum(h: oauth_core::HttpResponse) -> HttpResponse {
    let mut out = HttpResponse::new(Body::from(h.body));
    *out.status_mut() = StatusCode::from_u16(h.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in h.headers {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            (Ok(n), Ok(v)) => {
                out.headers_mut().append(n, v);
            }
            _ => {
                tracing::error!(header = name, "core produced an invalid header value");
                let mut fail = HttpResponse::new(Body::empty());
                *fail.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                return fail;
            }
        }
    }
    out
}

/// The current time, read once per request: whole seconds since the Unix epoch (0 if the
/// system clock is before 1970).
#[must_use]
pub fn now() -> UnixTime {
    UnixTime::from_secs(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// The shared state of the routes.
struct Endpoints<S: ?Sized> {
    config: Arc<Config>,
    store: Arc<S>,
    owner: Arc<dyn OwnerInteraction>,
    /// The metadata document as JSON, built once (the configuration does not change).
    metadata: Arc<str>,
    /// The path the metadata is served at besides [`WELL_KNOWN`] (RFC 8414 §3.1), if any.
    well_known: Arc<str>,
}

impl<S: ?Sized> Clone for Endpoints<S> {
    fn clone(&self) -> Self {
        Self {
            config: Arc::clone(&self.config),
            store: Arc::clone(&self.store),
            owner: Arc::clone(&self.owner),
            metadata: Arc::clone(&self.metadata),
            well_known: Arc::clone(&self.well_known),
        }
    }
}

/// What [`router_with`] needs besides the configuration, the store and the owner hook.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouterOptions {
    /// The `scopes_supported` of the metadata document (RFC 8414 §2); empty (the default)
    /// omits the member (META-04).
    pub scopes_supported: ScopeSet,
}

impl RouterOptions {
    /// No scopes listed in the metadata.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The same options, with `scopes` as the metadata's `scopes_supported`.
    #[must_use]
    pub fn with_scopes_supported(mut self, scopes: ScopeSet) -> Self {
        self.scopes_supported = scopes;
        self
    }
}

/// How long a client may cache the metadata document, in seconds: 3600.
pub const METADATA_MAX_AGE_SECS: u64 = 3600;

/// How long a resource server may cache the JWK Set, in seconds: 300 (short, so that a key
/// rotated in is fetched soon; a verifier should also fetch again on an unknown `kid`).
pub const JWKS_MAX_AGE_SECS: u64 = 300;

/// The routes of [`router_with`] with default [`RouterOptions`] (no `scopes_supported` in the
/// metadata).
pub fn router<S: AsyncStore + ?Sized + 'static>(
    config: Arc<Config>,
    store: Arc<S>,
    owner: Arc<dyn OwnerInteraction>,
) -> Router {
    router_with(config, store, owner, RouterOptions::new())
}

/// The OAuth routes over `store`, with `owner` answering the resource-owner question (the
/// table in the crate documentation): `GET`/`POST /oauth/authorize`, `POST /oauth/token`,
/// `POST /oauth/revoke`, `POST /oauth/introspect` (with CORS preflights for token and
/// revocation), the metadata at `/.well-known/oauth-authorization-server` and, when the issuer
/// has a path, at [`well_known_path`] of the issuer too (RFC 8414 §3.1), and `GET /oauth/jwks`
/// when the configured token signer publishes a JWK Set. Merge the result into the
/// application's router.
///
/// The metadata is built here, once, by [`Metadata::new`] from `config` with the default
/// [`EndpointPaths`] and `options.scopes_supported`.
pub fn router_with<S: AsyncStore + ?Sized + 'static>(
    config: Arc<Config>,
    store: Arc<S>,
    owner: Arc<dyn OwnerInteraction>,
    options: RouterOptions,
) -> Router {
    let paths = EndpointPaths::default();
    let metadata = Metadata::new(&config, &paths, &options.scopes_supported).to_json().into();
    let well_known: Arc<str> = well_known_path(config.issuer()).into();
    let publishes_keys = config.token_signer().and_then(|s| s.jwks()).is_some();
    let options_handler =
        || no_content.layer(preflight(Arc::clone(&store))).layer(axum::middleware::from_fn(preflight_status));
    let token_options = options_handler();
    let revoke_options = options_handler();
    let mut routes = Router::new()
        .route(&paths.authorization, get(authorize_get::<S>).post(authorize_post::<S>))
        .route(&paths.token, post(token_post::<S>).options(token_options))
        .route(&paths.revocation, post(revoke_post::<S>).options(revoke_options))
        .route(&paths.introspection, post(introspect_post::<S>))
        .route(WELL_KNOWN, get(metadata_get::<S>));
    if *well_known != *WELL_KNOWN {
        routes = routes.route(&route_pattern(&well_known), get(metadata_get::<S>));
    }
    if publishes_keys {
        routes = routes.route(&paths.jwks, get(jwks_get::<S>));
    }
    let state = Endpoints { config, store, owner, metadata, well_known };
    // Bodies are read by this crate with its own limit and OAuth JSON errors.
    routes.layer(DefaultBodyLimit::disable()).with_state(state)
}

/// The axum route pattern that matches exactly `path`, a path computed from the issuer: `{`
/// and `}` doubled (matchit's escape). A path with a segment starting with `:` or `*`, which
/// axum refuses as a literal, is routed with a catch-all below the well-known prefix instead;
/// [`metadata_get`] then answers only the exact path.
fn route_pattern(path: &str) -> String {
    if path.split('/').any(|segment| segment.starts_with([':', '*'])) {
        return format!("{WELL_KNOWN}/{{*issuer_path}}");
    }
    path.replace('{', "{{").replace('}', "}}")
}

async fn authorize_get<S: AsyncStore + ?Sized>(State(e): State<Endpoints<S>>, request: Request) -> HttpResponse {
    let now = now();
    let (parts, _body) = request.into_parts();
    let query = parts.uri.query().unwrap_or("");
    let step = authorize::start(&e.config, AuthorizeRequest::from_query(Some(query)), now);
    let owner = Owner::new(&*e.owner, &parts, query.as_bytes());
    let mut response = drive(&*e.store, step, Some(owner)).await;
    harden(response.headers_mut());
    response
}

async fn authorize_post<S: AsyncStore + ?Sized>(State(e): State<Endpoints<S>>, request: Request) -> HttpResponse {
    let now = now();
    let (parts, body) = request.into_parts();
    let mut response = match read_body(&parts.headers, body).await {
        Ok(body) => {
            let content_type = header_text(&parts.headers, &header::CONTENT_TYPE);
            let step = authorize::start(&e.config, AuthorizeRequest::from_form(content_type.as_deref(), &body), now);
            drive(&*e.store, step, Some(Owner::new(&*e.owner, &parts, &body))).await
        }
        Err(refusal) => refusal,
    };
    harden(response.headers_mut());
    response
}

/// The HTTP parts a POST endpoint of the core reads.
struct PostParts<'a> {
    content_type: Option<String>,
    authorization: Option<String>,
    origin: Option<String>,
    query: Option<&'a str>,
    body: &'a [u8],
}

/// Reads the body within the limit, hands the parts to `start`, and drives the machine.
async fn post_endpoint<S: AsyncStore + ?Sized>(
    e: Endpoints<S>,
    request: Request,
    start: impl FnOnce(&Arc<Config>, PostParts<'_>, UnixTime) -> Step,
) -> HttpResponse {
    let now = now();
    let (parts, body) = request.into_parts();
    let body = match read_body(&parts.headers, body).await {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    let post = PostParts {
        content_type: header_text(&parts.headers, &header::CONTENT_TYPE),
        authorization: header_text(&parts.headers, &header::AUTHORIZATION),
        origin: header_text(&parts.headers, &header::ORIGIN),
        query: parts.uri.query(),
        body: &body,
    };
    let step = start(&e.config, post, now);
    drive(&*e.store, step, None).await
}

async fn token_post<S: AsyncStore + ?Sized>(State(e): State<Endpoints<S>>, request: Request) -> HttpResponse {
    post_endpoint(e, request, |config, p, now| {
        let request = TokenRequest::from_http(p.content_type.as_deref(), p.authorization.as_deref(), p.query, p.body)
            .with_origin(p.origin.as_deref());
        token::start(config, request, now)
    })
    .await
}

async fn revoke_post<S: AsyncStore + ?Sized>(State(e): State<Endpoints<S>>, request: Request) -> HttpResponse {
    post_endpoint(e, request, |config, p, now| {
        let request = RevokeRequest::from_http(p.content_type.as_deref(), p.authorization.as_deref(), p.query, p.body)
            .with_origin(p.origin.as_deref());
        revoke::start(config, request, now)
    })
    .await
}

/// Introspection is a back-end call: its `Origin` is not read.
async fn introspect_post<S: AsyncStore + ?Sized>(State(e): State<Endpoints<S>>, request: Request) -> HttpResponse {
    post_endpoint(e, request, |config, p, now| {
        let request =
            IntrospectRequest::from_http(p.content_type.as_deref(), p.authorization.as_deref(), p.query, p.body);
        introspect::start(config, request, now)
    })
    .await
}

/// The metadata document (RFC 8414 §3.2), at [`WELL_KNOWN`] and at the issuer's well-known path.
async fn metadata_get<S: ?Sized>(State(e): State<Endpoints<S>>, uri: Uri) -> HttpResponse {
    let path = uri.path();
    if path != WELL_KNOWN && path != &*e.well_known {
        // Only reachable through the catch-all of `route_pattern`.
        return StatusCode::NOT_FOUND.into_response();
    }
    public_document(e.metadata.to_string(), "application/json", METADATA_MAX_AGE_SECS)
}

/// The JWK Set of the token signer (RFC 7517 §5); 404 if it publishes none.
async fn jwks_get<S: ?Sized>(State(e): State<Endpoints<S>>) -> HttpResponse {
    match e.config.token_signer().and_then(|s| s.jwks()) {
        Some(jwks) => public_document(jwks, "application/jwk-set+json", JWKS_MAX_AGE_SECS),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A `200` answer with a public document that holds no credentials: cacheable for `max_age`
/// seconds and readable from any origin (`Access-Control-Allow-Origin: *`, META-05).
fn public_document(body: String, content_type: &'static str, max_age: u64) -> HttpResponse {
    let mut response = HttpResponse::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Digits and ASCII letters only: always a valid header value.
    let cache = HeaderValue::try_from(format!("public, max-age={max_age}"))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"));
    headers.insert(header::CACHE_CONTROL, cache);
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// How long a browser may cache a preflight answer, in seconds: 600.
pub const PREFLIGHT_MAX_AGE_SECS: u64 = 600;

/// The CORS preflight answer for the browser-facing endpoints (`/oauth/token` and
/// `/oauth/revoke`), built on tower-http's [`CorsLayer`]: `OPTIONS` with an `Origin` that any
/// client allows ([`AsyncStore::origin_registered`]) gets `204`,
/// `Access-Control-Allow-Origin: <origin>`, `Access-Control-Allow-Methods: POST`,
/// `Access-Control-Allow-Headers: content-type,authorization`, `Access-Control-Max-Age: 600`
/// and `Vary`; any other origin gets `204` without `Access-Control-Allow-Origin` (tower-http
/// still lists the methods and headers, which reveals nothing), and the browser treats that as
/// a refusal (CORS-04). A preflight carries no `client_id`, so the per-client check happens on
/// the request that follows, in the core ([`TokenRequest::with_origin`]).
///
/// Apply it to the `OPTIONS` handler only, never to the `POST`: the POST's
/// `Access-Control-Allow-Origin` depends on the client and comes from the core.
pub fn preflight<S: AsyncStore + ?Sized + 'static>(store: Arc<S>) -> CorsLayer {
    let allow = AllowOrigin::async_predicate(move |origin: HeaderValue, parts: &Parts| {
        let store = Arc::clone(&store);
        // tower-http reads the first `Origin` only; a request with several is answered for
        // none, as the POST that would follow is refused.
        let single = parts.headers.get_all(header::ORIGIN).iter().count() == 1;
        async move {
            match origin.to_str() {
                Ok(o) if single => store.origin_registered(o).await.unwrap_or(false),
                _ => false,
            }
        }
    });
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
        .max_age(std::time::Duration::from_secs(PREFLIGHT_MAX_AGE_SECS))
}

/// The handler behind [`preflight`]: `204 No Content` (the layer answers every `OPTIONS`
/// itself, so this runs only if the layer is missing).
async fn no_content() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// Sets the status of a successful preflight answer to 204 (tower-http answers 200).
async fn preflight_status(request: Request, next: axum::middleware::Next) -> HttpResponse {
    let mut response = next.run(request).await;
    if response.status() == StatusCode::OK {
        *response.status_mut() = StatusCode::NO_CONTENT;
    }
    response
}

/// A header's value as text: `None` when absent; several occurrences joined with `, ` (which a
/// parser then refuses); bytes that are not UTF-8 replaced (U+FFFD), so a malformed header is
/// refused by the parser rather than treated as absent.
#[must_use]
pub fn header_text(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    let mut text = String::from_utf8_lossy(first.as_bytes()).into_owned();
    for more in values {
        text.push_str(", ");
        text.push_str(&String::from_utf8_lossy(more.as_bytes()));
    }
    Some(text)
}

/// Why [`read_limited_body`] returned no body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyError {
    /// The body could not be read (the client broke off or the connection failed); answer 400.
    Unreadable,
    /// The body is larger than the limit, by its `Content-Length` or by the bytes that
    /// arrived; answer `413 Content Too Large` (RFC 9110 §15.5.14).
    TooLarge,
}

/// Reads a request body of at most `limit` bytes into memory.
///
/// A body larger than `limit` (declared by `Content-Length` in `headers`, or seen arriving) is
/// read and discarded up to [`MAX_DRAIN_BYTES`], so that a client still writing it gets to read
/// the answer, and then refused with [`BodyError::TooLarge`]; nothing of it is kept. A body
/// that breaks off is refused with [`BodyError::Unreadable`]. Trailers are ignored.
///
/// # Errors
/// [`BodyError::TooLarge`] or [`BodyError::Unreadable`], as above.
pub async fn read_limited_body(headers: &HeaderMap, mut body: Body, limit: usize) -> Result<Vec<u8>, BodyError> {
    let declared = header_text(headers, &header::CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
    let mut too_large = declared.is_some_and(|n| n > limit as u64);
    // RFC 9110 §10.1.1: a client that asked `Expect: 100-continue` has not sent the body yet, and
    // one that announced more than can be drained would only be reset later: answer at once,
    // without reading (hyper then closes the connection rather than reuse it).
    let expects_continue = headers
        .get_all(header::EXPECT)
        .iter()
        .any(|v| v.to_str().is_ok_and(|t| t.trim().eq_ignore_ascii_case("100-continue")));
    if too_large && (expects_continue || declared.is_some_and(|n| n > MAX_DRAIN_BYTES as u64)) {
        return Err(BodyError::TooLarge);
    }
    let mut buf = Vec::new();
    let mut seen: usize = 0;
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let Ok(frame) = frame else { return Err(BodyError::Unreadable) };
        let Ok(data) = frame.into_data() else { continue };
        seen = seen.saturating_add(data.len());
        if seen > limit {
            too_large = true;
            buf = Vec::new();
        }
        if too_large {
            // Drain (without keeping) so the client gets to read the 413.
            if seen > MAX_DRAIN_BYTES {
                break;
            }
        } else {
            buf.extend_from_slice(&data);
        }
    }
    if too_large { Err(BodyError::TooLarge) } else { Ok(buf) }
}

/// Reads a request body of at most [`MAX_INPUT_BYTES`]. A larger body is refused with 413 and
/// an OAuth JSON error; an unreadable one (the client broke off) with 400.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, HttpResponse> {
    read_limited_body(headers, body, MAX_INPUT_BYTES).await.map_err(|e| {
        let error = match e {
            BodyError::TooLarge => OAuthError::body_too_large(),
            BodyError::Unreadable => OAuthError::invalid_request("request body could not be read"),
        };
        to_axum(Response::Error(error))
    })
}

/// Anti-framing and referrer headers for every authorization-endpoint response (RFC 9700
/// §4.16, RFC 6749 §10.13), `Cache-Control: no-store` unless set, and no CORS headers
/// (RFC 9700 §2.6).
fn harden(headers: &mut HeaderMap) {
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let has_frame_ancestors = headers
        .get_all(header::CONTENT_SECURITY_POLICY)
        .iter()
        .any(|v| v.to_str().is_ok_and(|s| s.contains("frame-ancestors 'none'")));
    if !has_frame_ancestors {
        headers.append(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    }
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    for name in [
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        header::ACCESS_CONTROL_ALLOW_METHODS,
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
    ] {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests;
