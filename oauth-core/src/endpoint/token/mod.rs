//! The token endpoint, `POST /oauth/token` (RFC 6749 §3.2, §4.1.3, §4.4, §5, §6).
//!
//! Order: read the parameters (refusing repeats), check `grant_type`, pick the one client
//! authentication method the request uses, look the client up and authenticate it, check that
//! it may use the grant, then run the grant: take the code or refresh token, persist what is
//! issued, respond.

mod authorization_code;
mod client_credentials;
mod refresh_token;
mod user_impersonation;

pub(crate) use authorization_code::{CodePending, after_take_code};
pub(crate) use refresh_token::{RefreshPending, after_lookup_refresh, after_take_refresh};
pub(crate) use user_impersonation::{ImpersonationPending, after_user};

use std::sync::Arc;

use super::client_auth::{ClientAuth, Presented, authenticate, identify};
use crate::client::Client;
use crate::config::Config;
use crate::entropy::new_token;
use crate::error::{OAuthError, StoreError};
use crate::jwt::{AccessTokenClaims, Actor};
use crate::response::{Response, TokenResponse};
use crate::step::{AfterClient, NeedClient, OnFailure, Persist, Step};
use crate::store::{AccessTokenRecord, RefreshTokenRecord, Write};
use crate::time::UnixTime;
use crate::types::{GrantId, GrantType, ScopeSet, Secret, Subject};
use crate::wire::{BasicCredentials, BasicError, Params, WireError, parse_body};

/// A token request as it arrived: the body, its `Content-Type`, the `Authorization` header,
/// the query string (which must be empty: credentials never travel in the URI, RFC 6749 §2.3.1)
/// and the `Origin` header of a browser request ([`TokenRequest::with_origin`]).
#[derive(Debug)]
pub struct TokenRequest {
    params: Result<Params, WireError>,
    /// The `Authorization` header, parsed: `None` when absent.
    authorization: Option<Result<BasicCredentials, BasicError>>,
    query_present: bool,
    origin: Option<String>,
}

impl TokenRequest {
    /// A request from its HTTP parts. Parsing happens here; errors are answered by [`start`].
    pub fn from_http(
        content_type: Option<&str>,
        authorization: Option<&str>,
        query: Option<&str>,
        body: &[u8],
    ) -> Self {
        Self {
            params: parse_body(content_type, body),
            authorization: authorization.map(BasicCredentials::parse),
            query_present: query.is_some_and(|q| !q.is_empty()),
            origin: None,
        }
    }

    /// The same request, sent by a browser page on `origin` (the `Origin` header, RFC 6454
    /// §7; `None` when absent). Once the client is authenticated, an origin that is not one of
    /// its allowed origins is refused with `invalid_request` before anything is taken or issued
    /// (CORS-02), and an allowed one is named in `Access-Control-Allow-Origin` on every
    /// response that follows (CORS-01). Several `Origin` headers should be passed as `Some` of
    /// their values joined by `,`, which no client allows.
    #[must_use]
    pub fn with_origin(mut self, origin: Option<&str>) -> Self {
        self.origin = origin.map(str::to_owned);
        self
    }

    /// A request from already-parsed body parameters and an optional `Authorization` header.
    pub fn from_params(params: Params, authorization: Option<&str>) -> Self {
        Self {
            params: Ok(params),
            authorization: authorization.map(BasicCredentials::parse),
            query_present: false,
            origin: None,
        }
    }
}

/// The request after syntax checks, before the client is known.
#[derive(Debug)]
pub(crate) struct Parsed {
    params: Params,
    grant: GrantType,
    auth: ClientAuth,
    origin: Option<String>,
}

/// Names whose repetition is refused (RFC 6749 §3.2); the first six are read here, in this
/// order.
const DEFINED: [&str; 11] = [
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "scope",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "user_lookup",
];

fn bad_request(description: &'static str) -> Step {
    Step::error(OAuthError::invalid_request(description))
}

/// Starts the token endpoint machine. Answers directly with `invalid_request` (unreadable,
/// repeated or missing parameters, a query string, two authentication methods),
/// `unsupported_grant_type`, or `invalid_client` (malformed Basic credentials, no client
/// identification); otherwise the first step is [`Step::NeedClient`].
pub fn start(config: &Arc<Config>, request: TokenRequest, now: UnixTime) -> Step {
    let params = match super::read_params(request.params, request.query_present) {
        Ok(p) => p,
        Err(e) => return Step::error(e),
    };
    let fields = params.pick(DEFINED);
    if fields.iter().any(|f| f.is_repeated()) {
        return bad_request("a parameter is repeated");
    }
    let [grant_type, client_id, client_secret, assertion, assertion_type, ..] = fields;
    let grant = match grant_type.value() {
        None => return bad_request("grant_type missing"),
        Some(g) => match GrantType::parse(g) {
            Some(g) => g,
            None => {
                return Step::error(OAuthError::new(
                    crate::error::ErrorCode::UNSUPPORTED_GRANT_TYPE,
                    "grant_type not supported",
                ));
            }
        },
    };
    let presented = Presented {
        authorization: request.authorization,
        client_id: client_id.value(),
        client_secret: client_secret.value(),
        assertion: assertion.value().is_some() || assertion_type.value().is_some(),
    };
    let (client_id, auth) = match identify(presented) {
        Ok(x) => x,
        Err(e) => return Step::error(e),
    };
    Step::NeedClient(NeedClient {
        config: Arc::clone(config),
        now,
        client_id,
        then: AfterClient::Token(Box::new(Parsed { params, grant, auth, origin: request.origin })),
    })
}

pub(crate) fn after_client(
    config: Arc<Config>,
    now: UnixTime,
    parsed: Parsed,
    answer: Result<Option<Arc<Client>>, StoreError>,
) -> Step {
    let client = match answer {
        Ok(c) => c,
        Err(e) => return Step::error(OAuthError::from_store(e)),
    };
    let Some(client) = authenticate(client, &parsed.auth, true) else {
        return Step::error(OAuthError::invalid_client());
    };
    // A browser request from an origin the client does not allow gets nothing, and no CORS
    // header (CORS-02, D6).
    let cors = match parsed.origin {
        None => None,
        Some(o) if client.allows_origin(&o) => Some(Arc::<str>::from(o)),
        Some(_) => return bad_request("origin is not allowed for this client"),
    };
    if !client.allows_grant(parsed.grant) {
        return Step::error(OAuthError::new(
            crate::error::ErrorCode::UNAUTHORIZED_CLIENT,
            "client may not use this grant type",
        ))
        .with_cors(cors.as_ref());
    }
    let ctx = Ctx { config, now, client, cors };
    let cors = ctx.cors.clone();
    let step = match parsed.grant {
        GrantType::AuthorizationCode => authorization_code::start(ctx, parsed.params),
        GrantType::ClientCredentials => client_credentials::start(ctx, &parsed.params),
        GrantType::RefreshToken => refresh_token::start(ctx, &parsed.params),
        GrantType::UserImpersonation => user_impersonation::start(ctx, &parsed.params),
    };
    step.with_cors(cors.as_ref())
}

/// What every grant needs once the client is authenticated.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) config: Arc<Config>,
    pub(crate) now: UnixTime,
    pub(crate) client: Arc<Client>,
    /// The request's `Origin`, when the client allows it: named on every response.
    pub(crate) cors: Option<Arc<str>>,
}

/// What to issue.
pub(crate) struct Issue {
    /// The grant; `None` starts a new one, named after the access token.
    pub(crate) grant_id: Option<GrantId>,
    pub(crate) subject: Subject,
    /// The acting client of an impersonation token.
    pub(crate) actor: Option<Arc<str>>,
    /// Scope of the access token.
    pub(crate) scope: ScopeSet,
    /// A refresh token to issue: its scope, auth time and absolute expiry.
    pub(crate) refresh: Option<(ScopeSet, UnixTime, UnixTime)>,
}

impl Ctx {
    /// Generates the tokens, and asks to persist them; the token response follows the persist.
    pub(crate) fn issue(&self, issue: Issue) -> Step {
        let entropy = self.config.entropy();
        let Ok(random) = new_token(entropy) else { return Step::error(OAuthError::entropy_failed()) };
        let lifetime = self.config.lifetimes().access_token;
        // An opaque token is the random value, keyed by its digest; a JWT carries it as `jti`,
        // keyed by its `jti_key` (which no opaque token can hit).
        let (key, access) = match self.config.token_signer() {
            None => (random.digest(), random),
            Some(signer) => {
                let mut claims = AccessTokenClaims {
                    iss: self.config.issuer().to_owned(),
                    sub: issue.subject.to_sub(),
                    aud: self.config.audience().to_owned(),
                    exp: self.now.plus(lifetime).as_secs(),
                    iat: self.now.as_secs(),
                    jti: random.expose().to_owned(),
                    client_id: self.client.client_id().to_owned(),
                    scope: issue.scope.as_str().to_owned(),
                    act: issue.actor.as_deref().map(|a| Actor::new(a.to_owned())),
                    allowed_origins: self.client.allowed_origins().to_vec(),
                };
                let mut jwt = crate::jwt::encode(signer, &claims);
                if jwt.as_ref().is_ok_and(|t| t.len() > crate::jwt::MAX_JWT_BYTES) {
                    // Never sign a token that the server itself would refuse as too long. The
                    // origins are what can make it so; without them the token is refused from
                    // every browser origin by a local check (fail closed), and the store keeps
                    // the full list.
                    claims.allowed_origins.clear();
                    jwt = crate::jwt::encode(signer, &claims);
                }
                match jwt {
                    Ok(jwt) if jwt.len() <= crate::jwt::MAX_JWT_BYTES => {
                        (crate::jwt::jti_key(random.expose()), Secret::new(jwt))
                    }
                    Ok(_) => return Step::error(OAuthError::from_store(StoreError::Failed)),
                    Err(_) => return Step::error(OAuthError::signing_failed()),
                }
            }
        };
        let grant_id = issue.grant_id.unwrap_or_else(|| GrantId::from_digest(&key));
        let mut writes = Vec::with_capacity(2);
        writes.push(Write::AccessToken {
            key,
            record: AccessTokenRecord {
                grant_id,
                client_id: self.client.client_id_shared(),
                subject: issue.subject.clone(),
                actor: issue.actor,
                scope: issue.scope.clone(),
                allowed_origins: self.client.allowed_origins_shared(),
                issued_at: self.now,
                expires_at: self.now.plus(lifetime),
            },
        });
        let refresh_token = match issue.refresh {
            None => None,
            Some((scope, auth_time, expires_at)) => {
                let Ok(rt) = new_token(entropy) else { return Step::error(OAuthError::entropy_failed()) };
                let Subject::User(subject) = issue.subject else {
                    return Step::error(OAuthError::from_store(StoreError::Failed));
                };
                writes.push(Write::RefreshToken {
                    key: rt.digest(),
                    record: RefreshTokenRecord {
                        grant_id,
                        client_id: self.client.client_id_shared(),
                        subject,
                        scope,
                        auth_time,
                        issued_at: self.now,
                        expires_at,
                    },
                });
                Some(rt)
            }
        };
        Step::Persist(Persist {
            writes,
            now: self.now,
            success: Response::Token(TokenResponse {
                access_token: access,
                token_type: "Bearer",
                expires_in: lifetime,
                scope: issue.scope,
                refresh_token,
                allow_origin: self.cors.clone(),
            }),
            failure: OnFailure::Json(self.cors.clone()),
        })
    }
}

/// The requested `scope` parsed and checked against `allowed` (RFC 6749 §3.3): omitted means
/// `default`; anything outside `allowed` is `invalid_scope` (D9).
pub(crate) fn requested_scope(
    params: &Params,
    allowed: &ScopeSet,
    default: impl FnOnce() -> ScopeSet,
) -> Result<ScopeSet, OAuthError> {
    match params.get("scope").ok().flatten() {
        None => Ok(default()),
        Some(s) => match ScopeSet::parse(s) {
            Ok(s) if s.is_subset(allowed) => Ok(s),
            Ok(_) => Err(OAuthError::invalid_scope("requested scope exceeds what may be granted")),
            Err(_) => Err(OAuthError::invalid_scope("scope is malformed")),
        },
    }
}
