//! Target `flow`: whole flows. A sequence of operations built by `arbitrary` (authorize and
//! decide, redeem a code, refresh, client credentials, impersonation, use an access token at a
//! resource server, revoke and introspect tokens, switch to JWT access tokens, advance the
//! virtual clock, raw malformed requests) runs against one
//! [`MemoryStore`] through [`oauth_core::drive()`], beside a small reference model of every
//! credential issued. Each operation's outcome is predicted by the model and compared with the
//! machine's, and after every operation the store's view of every access and refresh token must
//! be the model's.
//!
//! Operations pick clients, redirect URIs, scopes, verifiers and credentials from the fixture
//! ([`crate::fixture`]) or from what earlier operations issued, by index; `Raw` variants carry
//! arbitrary text instead, so that the fuzzer reaches both deep states and odd inputs.

use std::sync::Arc;

use arbitrary::{Arbitrary, Unstructured};
use oauth_core::bearer;
use oauth_core::jwt::{self, Expected, access_token_key};
use oauth_core::wire::BasicCredentials;
use oauth_core::{
    AccessTokenRecord, Approval, AuthorizeRequest, Config, Driven, GrantType, Hs256Signer, IntrospectRequest,
    OwnerDecision, RefreshStore, Response, RevokeRequest, ScopeSet, Subject, TokenDigest, TokenRequest, TokenState,
    TokenStore, UnixTime, UserField, UserLookup, authorize, drive, introspect, revoke, token,
};
use oauth_memory::MemoryStore;

use crate::check;
use crate::fixture::{
    self, ACCESS_LIFETIME, CLIENTS, CODE_LIFETIME, Fixture, FixtureClient, INTROSPECT, ISSUER, NOW, NamedKind,
    REFRESH_LIFETIME, RFC7636_VERIFIER, USERS, V1, V2, basic_header, s256,
};
use crate::inspect::{INTROSPECT_ERRORS, REVOKE_ERRORS};
use crate::token::authenticate;

/// Most operations one input runs.
pub const MAX_OPS: usize = 48;

/// Longest raw string an operation sends, in bytes (longer ones are cut): raw values test odd
/// content, the `form` target tests the size bounds.
const MAX_RAW: usize = 300;

/// Scope tokens the operations choose from by bit mask; `admin` no client may have.
pub const SCOPES: [&str; 4] = ["read", "write", "offline_access", "admin"];

/// Verifiers the operations choose from; the last is one character short (RFC 7636 §4.1).
pub const VERIFIERS: [&str; 5] = [
    V1,
    V2,
    RFC7636_VERIFIER,
    "abcdefghijklmnopqrstuvwxyz-._~0123456789ABCDEFG",
    "short-verifier-0123456789-abcdefghijklmnop",
];

/// Subjects an approval may name.
pub const SUBJECTS: [&str; 3] = ["user-1", "auth0|user-2", "someone else"];

/// The whole input of the `flow` target: the operations, in order (at most [`MAX_OPS`] run).
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub struct FlowInput {
    /// The operations.
    pub ops: Vec<Op>,
}

/// One operation.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum Op {
    /// An authorization request and the resource owner's decision.
    Authorize(AuthorizeOp),
    /// A token request with `grant_type=authorization_code`.
    Redeem(RedeemOp),
    /// A token request with `grant_type=refresh_token`.
    Refresh(RefreshOp),
    /// A token request with `grant_type=client_credentials`.
    ClientCredentials(ClientOp),
    /// A token request with the impersonation grant.
    Impersonate(ImpersonateOp),
    /// A resource server's check of an access token (RFC 6750).
    UseToken(UseOp),
    /// The virtual clock moves forward.
    Advance(Advance),
    /// A token request from raw parts (content type, `Authorization`, body).
    RawToken(RawTokenOp),
    /// An authorization request with a raw query; the owner denies.
    RawAuthorize(String),
    /// A revocation request (RFC 7009).
    Revoke(RevokeOp),
    /// An introspection request (RFC 7662).
    Introspect(IntrospectOp),
    /// From now on the server issues JWT access tokens (HS256, RFC 9068); tokens issued before
    /// stay valid and are found by their shape.
    SwitchToJwt,
}

/// A token presented to the revocation or introspection endpoint.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum TokenPick {
    /// An access token issued so far, by index.
    Access(u8),
    /// A refresh token issued so far, by index.
    Refresh(u8),
    /// A code issued so far, by index (never a token).
    Code(u8),
    /// Any text (empty: not sent).
    Raw(String),
}

/// A revocation request.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub struct RevokeOp {
    /// The token.
    pub token: TokenPick,
    /// The client.
    pub client: ClientPick,
    /// Its authentication (a public client by `client_id` alone).
    pub auth: AuthPick,
    /// The `token_type_hint`: none, `access_token`, `refresh_token` or an unknown value.
    pub hint: u8,
    /// The `Origin`.
    pub origin: OriginPick,
    /// A JSON body instead of a form.
    pub json: bool,
}

/// Who asks the introspection endpoint.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum CallerPick {
    /// A client and its authentication.
    Client {
        /// The client.
        client: ClientPick,
        /// Its authentication.
        auth: AuthPick,
    },
    /// `Authorization: Bearer` with an access token issued so far, by index.
    Bearer(u8),
}

/// An introspection request.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub struct IntrospectOp {
    /// The token.
    pub token: TokenPick,
    /// The caller.
    pub caller: CallerPick,
    /// The `token_type_hint`, as for revocation.
    pub hint: u8,
    /// A JSON body instead of a form.
    pub json: bool,
}

/// An authorization request (`GET` or `POST`) and the owner's decision.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub struct AuthorizeOp {
    /// The client, by index into [`CLIENTS`].
    pub client: u8,
    /// The `redirect_uri`.
    pub redirect: RedirectPick,
    /// The `scope`.
    pub scope: ScopePick,
    /// The PKCE parameters.
    pub pkce: PkcePick,
    /// The `state` (empty: none).
    pub state: String,
    /// `POST` with a form body instead of `GET`.
    pub post: bool,
    /// The resource owner's decision.
    pub decision: DecisionPick,
}

/// A `redirect_uri` choice.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum RedirectPick {
    /// Not sent.
    Omit,
    /// One of the client's registered redirect URIs, by index.
    Registered(u8),
    /// `http://127.0.0.1:<port>/cb` (a native client's loopback redirect, RFC 8252 §7.3).
    Loopback(u16),
    /// Any text.
    Raw(String),
}

/// A `scope` choice.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum ScopePick {
    /// Not sent.
    Omit,
    /// The tokens of [`SCOPES`] selected by the bits of the mask (none selected: not sent).
    Tokens(u8),
    /// Any text (empty: not sent).
    Raw(String),
}

/// A PKCE choice at the authorization endpoint.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum PkcePick {
    /// No `code_challenge`.
    None,
    /// The S256 challenge of a verifier from [`VERIFIERS`].
    S256(u8),
    /// A verifier from [`VERIFIERS`] as a `plain` challenge.
    Plain(u8),
    /// Any challenge and method.
    Raw {
        /// The `code_challenge` (empty: not sent).
        challenge: String,
        /// The `code_challenge_method` (empty: not sent).
        method: String,
    },
}

/// The resource owner's decision.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum DecisionPick {
    /// Approve.
    Approve {
        /// Narrow the approval to the [`SCOPES`] of this mask.
        narrow: Option<u8>,
        /// Seconds since the resource owner signed in.
        age: u16,
        /// The subject, by index into the subjects.
        subject: u8,
    },
    /// Deny (`access_denied`).
    Deny,
    /// No session and no page (`login_required`).
    Login,
    /// Consent needed and no page (`consent_required`).
    Consent,
}

/// Which client a token request is for, and how it authenticates.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum ClientPick {
    /// The client the credential was issued to.
    Owner,
    /// A fixture client by index into [`CLIENTS`].
    Other(u8),
}

/// How a token request authenticates its client (RFC 6749 §2.3).
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum AuthPick {
    /// The method the client is registered for: `Basic` with its secret, or `client_id` alone.
    Right,
    /// `client_id` and `client_secret` in the body.
    Post,
    /// `Basic` with a wrong secret.
    Wrong,
    /// `client_id` alone.
    IdOnly,
    /// `Basic` and a body `client_secret`: two methods.
    Both,
    /// `Basic` for the client and a body `client_id` of another.
    Mismatch,
    /// No credentials.
    Nothing,
    /// Any `Authorization` header and the client's `client_id` in the body.
    Raw(String),
}

/// An `Origin` choice.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum OriginPick {
    /// No `Origin` (not a browser).
    None,
    /// The client's first allowed origin (or `https://spa.example` for a client without one).
    Allowed,
    /// Any text.
    Raw(String),
}

/// Redeem an issued code.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub struct RedeemOp {
    /// The code, by index into the codes issued so far.
    pub code: u8,
    /// The client.
    pub client: ClientPick,
    /// Its authentication.
    pub auth: AuthPick,
    /// The `redirect_uri`: as at the authorization request (`None`), or another choice.
    pub redirect: Option<RedirectPick>,
    /// The `code_verifier`.
    pub verifier: VerifierPick,
    /// The `Origin`.
    pub origin: OriginPick,
}

/// A `code_verifier` choice.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum VerifierPick {
    /// The verifier of the code's challenge, when known.
    Right,
    /// Not sent.
    Omit,
    /// A verifier from [`VERIFIERS`].
    Known(u8),
    /// Any text.
    Raw(String),
}

/// Refresh with an issued refresh token.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub struct RefreshOp {
    /// The refresh token, by index into those issued so far.
    pub token: u8,
    /// The client.
    pub client: ClientPick,
    /// Its authentication.
    pub auth: AuthPick,
    /// The `scope`.
    pub scope: ScopePick,
    /// The `Origin`.
    pub origin: OriginPick,
}

/// A client credentials request.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub struct ClientOp {
    /// The client, by index into [`CLIENTS`].
    pub client: u8,
    /// Its authentication.
    pub auth: AuthPick,
    /// The `scope`.
    pub scope: ScopePick,
    /// The `Origin`.
    pub origin: OriginPick,
}

/// An impersonation request.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub struct ImpersonateOp {
    /// The client, by index into [`CLIENTS`].
    pub client: u8,
    /// Its authentication.
    pub auth: AuthPick,
    /// The user named.
    pub user: UserPick,
    /// The `scope`.
    pub scope: ScopePick,
    /// Send a JSON body instead of a form.
    pub json: bool,
}

/// A `user_lookup` choice.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum UserPick {
    /// `{"field":"userId","value":…}` with `user-1`, `user-2` (disabled) or `user-x` (unknown).
    UserId(u8),
    /// `{"field":"subject","value":…}` with the subjects of the same users.
    Subject(u8),
    /// Any text as the `user_lookup` value.
    Raw(String),
}

/// A resource server's check of an issued access token.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub struct UseOp {
    /// The token, by index into the access tokens issued so far.
    pub token: u8,
    /// The scope the resource requires.
    pub scope: ScopePick,
    /// The `Origin` of the request.
    pub origin: OriginPick,
}

/// How far the clock moves.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub enum Advance {
    /// A few seconds.
    Secs(u8),
    /// Exactly the code lifetime.
    CodeLifetime,
    /// Exactly the access token lifetime.
    AccessLifetime,
    /// Exactly the refresh token lifetime.
    RefreshLifetime,
    /// Any number of seconds.
    Far(u32),
}

/// A token request from raw parts.
#[derive(Arbitrary, Debug)]
#[non_exhaustive]
pub struct RawTokenOp {
    /// The `Content-Type`: form, JSON, another, or none, by index.
    pub content_type: u8,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The body.
    pub body: String,
}

fn cut(s: &str) -> &str {
    let mut end = s.len().min(MAX_RAW);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn pick<T: Copy>(items: &[T], i: u8) -> Option<T> {
    (!items.is_empty()).then(|| items[usize::from(i) % items.len()])
}

fn client_at(i: u8) -> &'static FixtureClient {
    &CLIENTS[usize::from(i) % CLIENTS.len()]
}

fn mask_scope(mask: u8) -> String {
    SCOPES.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, s)| *s).collect::<Vec<_>>().join(" ")
}

impl ScopePick {
    /// The `scope` parameter value, `None` when not sent.
    fn value(&self) -> Option<String> {
        let v = match self {
            Self::Omit => String::new(),
            Self::Tokens(m) => mask_scope(*m),
            Self::Raw(s) => cut(s).to_owned(),
        };
        (!v.is_empty()).then_some(v)
    }
}

impl OriginPick {
    fn value(&self, client: &FixtureClient) -> Option<String> {
        match self {
            Self::None => None,
            Self::Allowed => Some(client.origins.first().copied().unwrap_or("https://spa.example").to_owned()),
            Self::Raw(s) => Some(cut(s).to_owned()).filter(|s| !s.is_empty()),
        }
    }
}

/// Parts of a token request.
#[derive(Default)]
struct TokenParts {
    authorization: Option<String>,
    pairs: Vec<(String, String)>,
    origin: Option<String>,
    json: bool,
}

impl TokenParts {
    fn new(grant: &str, client: &FixtureClient, auth: &AuthPick) -> Self {
        let mut p = Self::default();
        p.push("grant_type", grant);
        p.authenticate(client, auth);
        p
    }

    /// The client authentication `auth` of `client`, added to the parts.
    fn authenticate(&mut self, client: &FixtureClient, auth: &AuthPick) {
        let p = self;
        let secret = client.secret.unwrap_or("not-a-secret");
        match auth {
            AuthPick::Right => match client.secret {
                Some(s) => p.authorization = Some(basic_header(client.id, s)),
                None => p.push("client_id", client.id),
            },
            AuthPick::Post => {
                p.push("client_id", client.id);
                p.push("client_secret", secret);
            }
            AuthPick::Wrong => p.authorization = Some(basic_header(client.id, "wrong")),
            AuthPick::IdOnly => p.push("client_id", client.id),
            AuthPick::Both => {
                p.authorization = Some(basic_header(client.id, secret));
                p.push("client_secret", secret);
            }
            AuthPick::Mismatch => {
                p.authorization = Some(basic_header(client.id, secret));
                let other = if client.id == "client-a" { "client-b" } else { "client-a" };
                p.push("client_id", other);
            }
            AuthPick::Nothing => {}
            AuthPick::Raw(h) => {
                p.authorization = Some(cut(h).to_owned());
                p.push("client_id", client.id);
            }
        }
    }

    fn push(&mut self, name: &str, value: &str) {
        if !value.is_empty() {
            self.pairs.push((name.to_owned(), value.to_owned()));
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The client this request authenticates as, per RFC 6749 §2.3.1.
    fn authenticated(&self) -> Option<&'static FixtureClient> {
        let basic = self.authorization.as_deref().map(BasicCredentials::parse);
        authenticate(basic.as_ref(), self.get("client_id"), self.get("client_secret"))
    }

    fn request(&self) -> TokenRequest {
        let (content_type, body) = self.body();
        TokenRequest::from_http(Some(content_type), self.authorization.as_deref(), None, body.as_bytes())
            .with_origin(self.origin.as_deref())
    }

    /// The body and its `Content-Type`.
    fn body(&self) -> (&'static str, String) {
        if self.json {
            // Members written by hand, so that a `user_lookup` that is JSON goes as its exact
            // text (repeated members included) and anything else as a string.
            let members: Vec<String> = self
                .pairs
                .iter()
                .map(|(n, v)| {
                    let name = serde_json::Value::String(n.clone());
                    let raw = n == "user_lookup" && serde_json::from_str::<serde_json::Value>(v).is_ok();
                    let value = if raw { v.clone() } else { serde_json::Value::String(v.clone()).to_string() };
                    format!("{name}:{value}")
                })
                .collect();
            ("application/json", format!("{{{}}}", members.join(",")))
        } else {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (n, v) in &self.pairs {
                ser.append_pair(n, v);
            }
            ("application/x-www-form-urlencoded", ser.finish())
        }
    }
}

/// An issued code, as the model knows it.
#[derive(Debug)]
struct CodeM {
    value: String,
    client: &'static str,
    /// The `redirect_uri` the authorization request sent.
    sent: Option<String>,
    /// The redirect URI the code is bound to.
    bound: String,
    /// The stored challenge: (`S256` or `plain`, value).
    challenge: Option<(bool, String)>,
    /// The verifier that matches, when the operation chose it.
    verifier: Option<String>,
    scope: ScopeSet,
    subject: String,
    expires: u64,
    used: bool,
    grant: usize,
}

#[derive(Debug)]
struct RefreshM {
    value: String,
    client: &'static str,
    scope: ScopeSet,
    expires: u64,
    rotated: bool,
    grant: usize,
}

#[derive(Debug)]
struct AccessM {
    value: String,
    client: &'static str,
    scope: ScopeSet,
    expires: u64,
    grant: usize,
}

/// The reference model and the world it mirrors.
struct World {
    store: MemoryStore,
    config: Arc<Config>,
    now: u64,
    codes: Vec<CodeM>,
    refresh: Vec<RefreshM>,
    access: Vec<AccessM>,
    /// Whether each grant is revoked.
    revoked: Vec<bool>,
    /// After [`Op::SwitchToJwt`]: the resource server's copy of the signing key.
    jwt: Option<Hs256Signer>,
}

/// The HS256 key of [`Op::SwitchToJwt`] (32 bytes, RFC 7518 §3.2).
const JWT_KEY: [u8; 32] = *b"flow-target-jwt-key-0123456789ab";

/// Whether `verifier` passes `challenge` (RFC 7636 §4.6), computed independently of the core.
fn pkce_passes(challenge: Option<&(bool, String)>, verifier: Option<&str>) -> bool {
    let valid =
        |v: &str| (43..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    match (challenge, verifier) {
        (Some((true, c)), Some(v)) => valid(v) && s256(v) == *c,
        (Some((false, c)), Some(v)) => valid(v) && v == c,
        (None, None) => true,
        _ => false,
    }
}

/// The authorization endpoint's decision on PKCE parameters (RFC 7636 §4.3, §4.4.1; D4):
/// `Err` for `invalid_request`, else the challenge stored (`true` for S256).
fn pkce_accepts(challenge: Option<&str>, method: Option<&str>, required: bool) -> Result<Option<(bool, String)>, ()> {
    let Some(c) = challenge else {
        return if method.is_some() || required { Err(()) } else { Ok(None) };
    };
    let verifier_ok =
        (43..=128).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    match method.unwrap_or("plain") {
        "S256" if c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) => {
            Ok(Some((true, c.to_owned())))
        }
        "plain" if verifier_ok => Ok(Some((false, c.to_owned()))),
        _ => Err(()),
    }
}

impl World {
    /// The world of the fixture ([`Fixture::new`]): its codes, refresh and access tokens are in
    /// the store and in the model from the start, so that every operation has something to
    /// work on. The configuration allows `plain` PKCE and draws from its own entropy stream.
    fn new() -> Self {
        let fixture = Fixture::new(0);
        let mut world = Self {
            store: fixture.store,
            config: fixture::config(7, true),
            now: NOW,
            codes: Vec::new(),
            refresh: Vec::new(),
            access: Vec::new(),
            revoked: Vec::new(),
            jwt: None,
        };
        let grants = fixture.named.iter().map(|n| usize::from(n.grant)).max().unwrap_or(0) + 1;
        world.revoked = vec![false; grants];
        for n in &fixture.named {
            let scope = ScopeSet::try_from(n.scope.to_owned()).unwrap_or_default();
            let grant = usize::from(n.grant);
            match n.kind {
                NamedKind::Code => {
                    let fc = FixtureClient::by_id(n.client).unwrap_or_else(|| panic!("a fixture code of no client"));
                    let bound = n.redirect_uri.or_else(|| fc.redirect_uris.first().copied()).unwrap_or("");
                    world.codes.push(CodeM {
                        value: n.value.clone(),
                        client: n.client,
                        sent: n.redirect_uri.map(str::to_owned),
                        bound: bound.to_owned(),
                        challenge: n.verifier.map(|v| (true, s256(v))),
                        verifier: n.verifier.map(str::to_owned),
                        scope,
                        subject: "user-1".to_owned(),
                        expires: n.expires_at,
                        used: n.name == "CODE_USED",
                        grant,
                    });
                }
                NamedKind::RefreshToken => world.refresh.push(RefreshM {
                    value: n.value.clone(),
                    client: n.client,
                    scope,
                    expires: n.expires_at,
                    rotated: !n.usable,
                    grant,
                }),
                _ => world.access.push(AccessM {
                    value: n.value.clone(),
                    client: n.client,
                    scope,
                    expires: n.expires_at,
                    grant,
                }),
            }
        }
        world
    }

    fn now(&self) -> UnixTime {
        UnixTime::from_secs(self.now)
    }

    /// The store record of a presented access token, found by its shape
    /// (`jwt::access_token_key`: a JWT that does not verify has none).
    fn lookup(&self, token: &str) -> Option<AccessTokenRecord> {
        let now = self.now();
        let key = access_token_key(&self.config, token, now)?;
        self.store.access_token(&key, now).ok().flatten()
    }

    fn new_grant(&mut self) -> usize {
        self.revoked.push(false);
        self.revoked.len() - 1
    }

    fn revoke(&mut self, grant: usize) {
        self.revoked[grant] = true;
    }

    /// Runs a token request; returns the checked answer when tokens were issued.
    fn token(&self, parts: &TokenParts) -> Option<check::TokenAnswer> {
        let Driven::Respond(resp) = drive(&self.store, token::start(&self.config, parts.request(), self.now())) else {
            panic!("the token endpoint asked for the resource owner")
        };
        let http = resp.to_http();
        let allowed = parts.authenticated().and_then(|c| parts.origin.as_deref().filter(|o| c.origins.contains(o)));
        check::cors(&http, allowed);
        match resp {
            Response::Token(_) => Some(check::token_answer_as(&http, ACCESS_LIFETIME, self.jwt.is_some())),
            Response::Error(_) => {
                let code = check::oauth_error(&http, check::TOKEN_ERRORS);
                assert!(code != "server_error" && code != "temporarily_unavailable", "a 5xx from a working store");
                None
            }
            _ => panic!("the token endpoint redirected"),
        }
    }

    /// Records tokens issued for `grant`, checking them against the store.
    fn record(&mut self, t: &check::TokenAnswer, client: &'static str, grant: usize, refresh_expiry: Option<u64>) {
        let scope = ScopeSet::try_from(t.scope.clone()).unwrap_or_else(|_| panic!("granted a malformed scope"));
        let now = self.now();
        let stored = self.lookup(&t.access_token);
        let stored = stored.unwrap_or_else(|| panic!("an issued access token is not active"));
        assert_eq!(&*stored.client_id, client, "access token stored for another client");
        assert_eq!(stored.scope, scope, "stored scope differs");
        if let Some(verifier) = &self.jwt {
            let claims = jwt::verify(verifier, &t.access_token, Expected::new(ISSUER, ISSUER, now))
                .unwrap_or_else(|e| panic!("an issued JWT does not verify: {e:?}"));
            assert_eq!(claims.client_id, client, "JWT client_id");
            assert_eq!(claims.scope, scope.as_str(), "JWT scope");
            assert_eq!((claims.exp, claims.iat), (self.now + ACCESS_LIFETIME, self.now), "JWT exp/iat");
            assert_eq!(claims.sub, stored.subject.to_sub(), "JWT sub");
            assert_eq!(claims.act.map(|a| a.sub), stored.actor.map(|a| a.to_string()), "JWT act");
        }
        let fc = FixtureClient::by_id(client).unwrap_or_else(|| panic!("tokens for an unknown client"));
        assert!(scope.iter().all(|s| fc.allows_scope(s)), "granted a scope the client may not have");
        self.access.push(AccessM {
            value: t.access_token.clone(),
            client,
            scope: scope.clone(),
            expires: self.now + ACCESS_LIFETIME,
            grant,
        });
        if let (Some(rt), Some(expires)) = (&t.refresh_token, refresh_expiry) {
            self.refresh.push(RefreshM { value: rt.clone(), client, scope, expires, rotated: false, grant });
        }
    }

    /// The store's view of every access and refresh token must be the model's.
    fn check_store(&self) {
        let now = self.now();
        for a in &self.access {
            let active = self.lookup(&a.value).is_some();
            let expected = !self.revoked[a.grant] && self.now < a.expires;
            assert_eq!(active, expected, "an access token is active against the model (revocation or expiry)");
        }
        for r in &self.refresh {
            let state = self.store.refresh_token(&TokenDigest::of(&r.value), now);
            let got = match state {
                Ok(TokenState::Active(_)) => "active",
                Ok(TokenState::Used(_)) => "used",
                Ok(TokenState::Missing) => "missing",
                _ => "error",
            };
            let expected = if self.revoked[r.grant] || self.now >= r.expires {
                "missing"
            } else if r.rotated {
                "used"
            } else {
                "active"
            };
            assert_eq!(got, expected, "a refresh token's state differs from the model's");
        }
    }

    fn authorize(&mut self, op: &AuthorizeOp) {
        let fc = client_at(op.client);
        let client = fixture::clients().iter().find(|c| c.client_id() == fc.id).cloned();
        let client = client.unwrap_or_else(|| panic!("invariant: every fixture client is registered"));
        let redirect = match &op.redirect {
            RedirectPick::Omit => None,
            RedirectPick::Registered(i) => pick(fc.redirect_uris, *i).map(str::to_owned),
            RedirectPick::Loopback(port) => Some(format!("http://127.0.0.1:{port}/cb")),
            RedirectPick::Raw(s) => Some(cut(s).to_owned()).filter(|s| !s.is_empty()),
        };
        let scope = op.scope.value();
        let (challenge, method) = match &op.pkce {
            PkcePick::None => (None, None),
            PkcePick::S256(i) => (Some(s256(VERIFIERS[usize::from(*i) % VERIFIERS.len()])), Some("S256".to_owned())),
            PkcePick::Plain(i) => (Some(VERIFIERS[usize::from(*i) % VERIFIERS.len()].to_owned()), Some("plain".into())),
            PkcePick::Raw { challenge, method } => (
                Some(cut(challenge).to_owned()).filter(|s| !s.is_empty()),
                Some(cut(method).to_owned()).filter(|s| !s.is_empty()),
            ),
        };
        let verifier = match &op.pkce {
            PkcePick::S256(i) | PkcePick::Plain(i) => Some(VERIFIERS[usize::from(*i) % VERIFIERS.len()].to_owned()),
            _ => None,
        };
        let state = Some(cut(&op.state).to_owned()).filter(|s| !s.is_empty());
        let mut ser = form_urlencoded::Serializer::new(String::new());
        ser.append_pair("response_type", "code").append_pair("client_id", fc.id);
        for (name, value) in [
            ("redirect_uri", &redirect),
            ("scope", &scope),
            ("code_challenge", &challenge),
            ("code_challenge_method", &method),
            ("state", &state),
        ] {
            if let Some(v) = value {
                ser.append_pair(name, v);
            }
        }
        let query = ser.finish();
        let request = if op.post {
            AuthorizeRequest::from_form(Some("application/x-www-form-urlencoded"), query.as_bytes())
        } else {
            AuthorizeRequest::from_query(Some(&query))
        };
        // The model's expectations, in the order the endpoint checks (F07).
        let base = match &redirect {
            Some(u) => client.matches_redirect_uri(u).then(|| u.clone()),
            None => pick(fc.redirect_uris, 0).filter(|_| fc.redirect_uris.len() == 1).map(str::to_owned),
        };
        let requested = match &scope {
            None => Ok(client.allowed_scopes().without("offline_access")),
            Some(s) => ScopeSet::parse(s)
                .map_err(|_| ())
                .and_then(|s| if s.is_subset(client.allowed_scopes()) { Ok(s) } else { Err(()) }),
        };
        let pkce = pkce_accepts(
            challenge.as_deref(),
            method.as_deref(),
            fc.require_pkce != Some(false) || fc.secret.is_none(),
        );
        let early_error = if !fc.allows(GrantType::AuthorizationCode) {
            Some("unauthorized_client")
        } else if requested.as_ref().is_ok_and(ScopeSet::is_empty) || requested.is_err() {
            Some("invalid_scope")
        } else if pkce.is_err() {
            Some("invalid_request")
        } else {
            None
        };
        let now = self.now();
        let step = authorize::start(&self.config, request, now);
        let resp = match drive(&self.store, step) {
            Driven::Respond(r) => {
                if base.is_some() {
                    assert!(early_error.is_some(), "the authorization request was refused against the model");
                }
                r
            }
            Driven::NeedOwner(owner) => {
                assert!(base.is_some() && early_error.is_none(), "asked the owner against the model");
                let requested = owner.scope().clone();
                let (decision, outcome) = match &op.decision {
                    DecisionPick::Deny => (OwnerDecision::Deny, Err("access_denied")),
                    DecisionPick::Login => (OwnerDecision::LoginRequired, Err("login_required")),
                    DecisionPick::Consent => (OwnerDecision::ConsentRequired, Err("consent_required")),
                    DecisionPick::Approve { narrow, age, subject } => {
                        let subject = SUBJECTS[usize::from(*subject) % SUBJECTS.len()];
                        let auth_time = UnixTime::from_secs(self.now.saturating_sub(u64::from(*age)));
                        let mut approval = Approval::new(subject.to_owned(), auth_time);
                        let granted = match narrow {
                            None => requested.clone(),
                            Some(m) => ScopeSet::try_from(mask_scope(*m)).unwrap_or_default(),
                        };
                        if narrow.is_some() {
                            approval = approval.with_scope(granted.clone());
                        }
                        let outcome = if !granted.is_subset(&requested) {
                            Err("server_error")
                        } else if granted.is_empty() {
                            Err("access_denied")
                        } else {
                            Ok((subject, granted))
                        };
                        (OwnerDecision::Approve(approval), outcome)
                    }
                };
                let Driven::Respond(r) = drive(&self.store, owner.resume(decision)) else {
                    panic!("asked the owner twice")
                };
                let http = r.to_http();
                let got = check::redirect(&http, base.as_deref().unwrap_or(""), state.as_deref(), op.post, ISSUER);
                match outcome {
                    Err(e) => assert_eq!(got.error.as_deref(), Some(e), "the owner's decision was not followed"),
                    Ok((subject, granted)) => {
                        let code = got.code.unwrap_or_else(|| panic!("an approval without a code"));
                        let grant = self.new_grant();
                        self.codes.push(CodeM {
                            value: code,
                            client: fc.id,
                            sent: redirect.clone(),
                            bound: base.unwrap_or_default(),
                            challenge: pkce.ok().flatten(),
                            verifier,
                            scope: granted,
                            subject: subject.to_owned(),
                            expires: self.now + CODE_LIFETIME,
                            used: false,
                            grant,
                        });
                    }
                }
                return;
            }
        };
        let http = resp.to_http();
        match (&resp, &base) {
            (Response::Redirect(_), Some(b)) => {
                let got = check::redirect(&http, b, state.as_deref(), op.post, ISSUER);
                assert_eq!(got.error.as_deref(), early_error, "the authorization error differs from the model's");
            }
            (Response::Error(_), None) => {
                let code = check::oauth_error(&http, check::AUTHORIZE_DIRECT_ERRORS);
                assert_eq!(code, "invalid_request", "a bad redirect URI is invalid_request");
            }
            _ => panic!("redirected (or not) against the model"),
        }
    }

    fn redeem(&mut self, op: &RedeemOp) {
        let Some(ci) = (!self.codes.is_empty()).then(|| usize::from(op.code) % self.codes.len()) else { return };
        let code = &self.codes[ci];
        let owner = FixtureClient::by_id(code.client).unwrap_or_else(|| panic!("a code of an unknown client"));
        let fc = match op.client {
            ClientPick::Owner => owner,
            ClientPick::Other(i) => client_at(i),
        };
        let mut parts = TokenParts::new("authorization_code", fc, &op.auth);
        parts.push("code", &code.value);
        let redirect = match &op.redirect {
            None => code.sent.clone(),
            Some(RedirectPick::Omit) => None,
            Some(RedirectPick::Registered(i)) => pick(fc.redirect_uris, *i).map(str::to_owned),
            Some(RedirectPick::Loopback(p)) => Some(format!("http://127.0.0.1:{p}/cb")),
            Some(RedirectPick::Raw(s)) => Some(cut(s).to_owned()),
        };
        if let Some(r) = &redirect {
            parts.push("redirect_uri", r);
        }
        let verifier = match &op.verifier {
            VerifierPick::Right => code.verifier.clone(),
            VerifierPick::Omit => None,
            VerifierPick::Known(i) => Some(VERIFIERS[usize::from(*i) % VERIFIERS.len()].to_owned()),
            VerifierPick::Raw(s) => Some(cut(s).to_owned()),
        };
        if let Some(v) = &verifier {
            parts.push("code_verifier", v);
        }
        parts.origin = op.origin.value(fc);
        let verifier = parts.get("code_verifier").map(str::to_owned);
        let redirect = parts.get("redirect_uri").map(str::to_owned);

        // The model: reaches the take only for an authenticated client allowed the grant and
        // its origin; the take sees the code only for its own client, unexpired, of a live grant.
        let authn = parts.authenticated();
        let reaches = authn.is_some_and(|c| {
            c.allows(GrantType::AuthorizationCode) && parts.origin.as_deref().is_none_or(|o| c.origins.contains(&o))
        });
        let visible = reaches
            && authn.is_some_and(|c| c.id == code.client)
            && !self.revoked[code.grant]
            && self.now < code.expires;
        let pkce_ok = pkce_passes(code.challenge.as_ref(), verifier.as_deref());
        let redirect_ok = match &redirect {
            Some(r) => *r == code.bound,
            None => code.sent.is_none(),
        };
        let success = visible && !code.used && redirect_ok && pkce_ok;
        let replay = visible && code.used && pkce_ok;
        let (grant, scope, subject, code_client) = (code.grant, code.scope.clone(), code.subject.clone(), code.client);
        let answer = self.token(&parts);
        assert_eq!(answer.is_some(), success, "a code redemption differs from the model");
        if visible {
            self.codes[ci].used = true;
        }
        if replay {
            self.revoke(grant);
        }
        if let Some(t) = answer {
            assert_eq!(t.scope, scope.as_str(), "a code redeemed for another scope than approved");
            let offline = scope.contains("offline_access") && owner.allows(GrantType::RefreshToken);
            assert_eq!(t.refresh_token.is_some(), offline, "refresh token issued against the rules");
            let record = self.lookup(&t.access_token);
            let record = record.unwrap_or_else(|| panic!("an issued access token is not active"));
            assert_eq!(record.subject, Subject::User(subject.into()), "a code redeemed for another subject");
            let expiry = self.now + REFRESH_LIFETIME;
            self.record(&t, code_client, grant, Some(expiry));
        }
    }

    fn refresh(&mut self, op: &RefreshOp) {
        let Some(ri) = (!self.refresh.is_empty()).then(|| usize::from(op.token) % self.refresh.len()) else { return };
        let rt = &self.refresh[ri];
        let owner = FixtureClient::by_id(rt.client).unwrap_or_else(|| panic!("a refresh token of an unknown client"));
        let fc = match op.client {
            ClientPick::Owner => owner,
            ClientPick::Other(i) => client_at(i),
        };
        let mut parts = TokenParts::new("refresh_token", fc, &op.auth);
        parts.push("refresh_token", &rt.value);
        if let Some(s) = op.scope.value() {
            parts.push("scope", &s);
        }
        parts.origin = op.origin.value(fc);
        let requested = parts.get("scope").map(ScopeSet::parse);
        let authn = parts.authenticated();
        let reaches = authn.is_some_and(|c| {
            c.allows(GrantType::RefreshToken) && parts.origin.as_deref().is_none_or(|o| c.origins.contains(&o))
        }) && !matches!(requested, Some(Err(_)));
        let live = reaches && !self.revoked[rt.grant] && self.now < rt.expires;
        let own = authn.is_some_and(|c| c.id == rt.client);
        let granted = authn.map_or_else(ScopeSet::new, |c| {
            let allowed = ScopeSet::from_tokens(c.scopes).unwrap_or_default();
            rt.scope.intersection(&allowed)
        });
        let scope_ok = granted.contains("offline_access")
            && match &requested {
                Some(Ok(s)) => s.is_subset(&granted),
                _ => true,
            };
        let success = live && own && !rt.rotated && scope_ok;
        let replay = live && own && rt.rotated;
        let (grant, expires) = (rt.grant, rt.expires);
        let answer = self.token(&parts);
        assert_eq!(answer.is_some(), success, "a refresh differs from the model");
        if replay {
            self.revoke(grant);
        }
        if let Some(t) = answer {
            self.refresh[ri].rotated = true;
            let expected = match requested {
                Some(Ok(s)) => s,
                _ => granted.clone(),
            };
            assert_eq!(t.scope, expected.as_str(), "a refresh granted another scope");
            assert!(t.refresh_token.is_some(), "a refresh without a new refresh token");
            let before = self.refresh.len();
            let client = self.refresh[ri].client;
            self.record(&t, client, grant, Some(expires));
            if let Some(new) = self.refresh.get_mut(before) {
                new.scope = granted;
            }
        }
    }

    fn client_credentials(&mut self, op: &ClientOp) {
        let fc = client_at(op.client);
        let mut parts = TokenParts::new("client_credentials", fc, &op.auth);
        if let Some(s) = op.scope.value() {
            parts.push("scope", &s);
        }
        parts.origin = op.origin.value(fc);
        let success = self.simple_grant(&parts, GrantType::ClientCredentials);
        let answer = self.token(&parts);
        assert_eq!(answer.is_some(), success, "a client credentials request differs from the model");
        if let Some(t) = answer {
            assert!(t.refresh_token.is_none(), "a refresh token for client credentials (RFC 6749 §4.4.3)");
            let client = parts.authenticated().map_or("", |c| c.id);
            let grant = self.new_grant();
            self.record(&t, client, grant, None);
        }
    }

    /// Whether a client credentials or impersonation request succeeds before the user lookup:
    /// authenticated, allowed the grant and the origin, a scope within the allowed ones.
    fn simple_grant(&self, parts: &TokenParts, grant: GrantType) -> bool {
        let Some(c) = parts.authenticated() else { return false };
        let allowed = ScopeSet::from_tokens(c.scopes).unwrap_or_default();
        let scope_ok = match parts.get("scope") {
            None => true,
            Some(s) => ScopeSet::parse(s).is_ok_and(|s| s.is_subset(&allowed)),
        };
        c.allows(grant) && parts.origin.as_deref().is_none_or(|o| c.origins.contains(&o)) && scope_ok
    }

    fn impersonate(&mut self, op: &ImpersonateOp) {
        let fc = client_at(op.client);
        let mut parts = TokenParts::new("urn:qlik:oauth:user-impersonation", fc, &op.auth);
        parts.json = op.json;
        let lookup = match &op.user {
            UserPick::UserId(i) => {
                let value = ["user-1", "user-2", "user-x"][usize::from(*i) % 3];
                serde_json::json!({ "field": "userId", "value": value }).to_string()
            }
            UserPick::Subject(i) => {
                let value = ["auth0|user-1", "auth0|user-2", "auth0|user-x"][usize::from(*i) % 3];
                serde_json::json!({ "field": "subject", "value": value }).to_string()
            }
            UserPick::Raw(s) => cut(s).to_owned(),
        };
        parts.push("user_lookup", &lookup);
        if let Some(s) = op.scope.value() {
            parts.push("scope", &s);
        }
        let parsed = UserLookup::parse(&lookup).ok();
        let user = parsed.as_ref().and_then(|l| {
            USERS.iter().find(|(id, sub, _)| match l.field {
                UserField::UserId => *id == l.value,
                _ => *sub == l.value,
            })
        });
        // In a JSON body, a lookup that is not JSON travels as a string, which is refused.
        let success = self.simple_grant(&parts, GrantType::UserImpersonation) && user.is_some_and(|u| !u.2);
        let answer = self.token(&parts);
        assert_eq!(answer.is_some(), success, "an impersonation request differs from the model");
        if let Some(t) = answer {
            assert!(t.refresh_token.is_none(), "a refresh token for impersonation (D9)");
            let record = self.lookup(&t.access_token);
            let record = record.unwrap_or_else(|| panic!("an issued access token is not active"));
            let subject = user.map_or("", |u| u.1);
            assert_eq!(record.subject, Subject::User(subject.into()), "impersonated another user");
            let client = parts.authenticated().map_or("", |c| c.id);
            assert_eq!(record.actor.as_deref(), Some(client), "impersonation without the client as actor");
            let grant = self.new_grant();
            self.record(&t, client, grant, None);
        }
    }

    fn use_token(&self, op: &UseOp) {
        let Some(a) = pick_ref(&self.access, op.token) else { return };
        let fc = FixtureClient::by_id(a.client).unwrap_or_else(|| panic!("a token of an unknown client"));
        let required = match op.scope.value() {
            None => ScopeSet::new(),
            Some(s) => match ScopeSet::parse(&s) {
                Ok(s) => s,
                Err(_) => return,
            },
        };
        let origin = op.origin.value(fc);
        let now = self.now();
        let header = format!("Bearer {}", a.value);
        let outcome = bearer::parse_authorization(Some(&header))
            .map(|t| self.lookup(t.expose()))
            .and_then(|r| bearer::check(r, now, &required, origin.as_deref()));
        let active = !self.revoked[a.grant] && self.now < a.expires;
        let origin_ok = origin.as_deref().is_none_or(|o| fc.origins.contains(&o));
        match outcome {
            Ok(record) => {
                assert!(
                    active && origin_ok && required.is_subset(&a.scope),
                    "a resource accepted a token it must refuse"
                );
                assert_eq!(&*record.client_id, a.client, "the token belongs to another client");
            }
            Err(e) => {
                let expected = if !active || !origin_ok { 401 } else { 403 };
                assert!(!(active && origin_ok && required.is_subset(&a.scope)), "a resource refused a good token");
                assert_eq!(e.status(), expected, "the resource's refusal status");
                let _ = e.to_http("api");
            }
        }
    }

    /// From now on, access tokens are JWTs signed with [`JWT_KEY`].
    fn switch_to_jwt(&mut self) {
        if self.jwt.is_some() {
            return;
        }
        let signer = || {
            Hs256Signer::new(&JWT_KEY, Some("k1".to_owned()))
                .unwrap_or_else(|_| panic!("invariant: the flow's key is 32 bytes"))
        };
        let config = Config::clone(&self.config)
            .with_jwt_access_tokens(Arc::new(signer()))
            .unwrap_or_else(|_| panic!("invariant: HS256 is a signing algorithm"));
        self.config = Arc::new(config);
        self.jwt = Some(signer());
    }

    /// The value of a picked token, and what the model knows of it: (owner, grant, live, active
    /// for introspection, scope, expiry, is an access token).
    fn pick_token(&self, pick: &TokenPick) -> (String, Option<Target>) {
        let target = |value: &str, client, grant: usize, active: bool, scope: &ScopeSet, expires, access| {
            let live = !self.revoked[grant] && self.now < expires;
            let t = Target { client, grant, live, active: live && active, scope: scope.clone(), expires, access };
            (value.to_owned(), Some(t))
        };
        match pick {
            TokenPick::Access(i) => match pick_ref(&self.access, *i) {
                Some(a) => target(&a.value, a.client, a.grant, true, &a.scope, a.expires, true),
                None => (String::new(), None),
            },
            TokenPick::Refresh(i) => match pick_ref(&self.refresh, *i) {
                Some(r) => target(&r.value, r.client, r.grant, !r.rotated, &r.scope, r.expires, false),
                None => (String::new(), None),
            },
            TokenPick::Code(i) => (pick_ref(&self.codes, *i).map_or_else(String::new, |c| c.value.clone()), None),
            TokenPick::Raw(s) => (cut(s).to_owned(), None),
        }
    }

    fn revocation(&mut self, op: &RevokeOp) {
        let (value, target) = self.pick_token(&op.token);
        let owner = target.as_ref().and_then(|t| FixtureClient::by_id(t.client));
        let fc = match (&op.client, owner) {
            (ClientPick::Owner, Some(o)) => o,
            (ClientPick::Owner, None) => client_at(0),
            (ClientPick::Other(i), _) => client_at(*i),
        };
        let mut parts = TokenParts::default();
        parts.authenticate(fc, &op.auth);
        parts.push("token", &value);
        if let Some(h) = hint(op.hint) {
            parts.push("token_type_hint", h);
        }
        parts.origin = op.origin.value(fc);
        parts.json = op.json;
        let (content_type, body) = parts.body();
        let request =
            RevokeRequest::from_http(Some(content_type), parts.authorization.as_deref(), None, body.as_bytes())
                .with_origin(parts.origin.as_deref());
        // The model (RFC 7009 §2.1, D7): an authenticated client (a public one by client_id),
        // from an origin it allows, with a token, revokes the grant of its own live token, is
        // refused another client's live token, and is answered 200 for anything else.
        let authn = parts.authenticated();
        let reaches =
            !value.is_empty() && authn.is_some_and(|c| parts.origin.as_deref().is_none_or(|o| c.origins.contains(&o)));
        let live = target.filter(|t| t.live);
        let stranger = reaches && live.as_ref().is_some_and(|t| authn.is_some_and(|c| c.id != t.client));
        let Driven::Respond(resp) = drive(&self.store, revoke::start(&self.config, request, self.now())) else {
            panic!("the revocation endpoint asked for the resource owner")
        };
        let http = resp.to_http();
        let allowed = authn.and_then(|c| parts.origin.as_deref().filter(|o| c.origins.contains(o)));
        check::cors(&http, allowed);
        match resp {
            Response::Revoked(_) => {
                assert!(reaches && !stranger, "a revocation succeeded against the model");
                assert!(http.status == 200 && http.body.is_empty(), "a revocation answer with a body");
                if let Some(t) = live {
                    self.revoke(t.grant);
                }
            }
            Response::Error(_) => {
                let code = check::oauth_error(&http, REVOKE_ERRORS);
                assert!(!reaches || stranger, "a revocation was refused against the model ({code})");
                assert_eq!(code == "unauthorized_client", stranger, "a stranger's revocation is unauthorized_client");
            }
            _ => panic!("the revocation endpoint answered with something else"),
        }
    }

    fn introspect(&self, op: &IntrospectOp) {
        let (value, target) = self.pick_token(&op.token);
        let mut parts = TokenParts::default();
        // Whether the caller may introspect, and whose tokens it sees (None: everyone's).
        let caller: Option<Option<&'static str>> = match &op.caller {
            CallerPick::Client { client, auth } => {
                let owner = target.as_ref().and_then(|t| FixtureClient::by_id(t.client));
                let fc = match (client, owner) {
                    (ClientPick::Owner, Some(o)) => o,
                    (ClientPick::Owner, None) => client_at(0),
                    (ClientPick::Other(i), _) => client_at(*i),
                };
                parts.authenticate(fc, auth);
                let bearer = parts
                    .authorization
                    .as_deref()
                    .is_some_and(|h| h.split(' ').next().is_some_and(|s| s.eq_ignore_ascii_case("bearer")));
                let authn = parts.authenticated().filter(|c| c.secret.is_some() && !bearer);
                authn.map(|c| (!c.allows_scope(INTROSPECT)).then_some(c.id))
            }
            CallerPick::Bearer(i) => match pick_ref(&self.access, *i) {
                Some(a) => {
                    parts.authorization = Some(format!("Bearer {}", a.value));
                    let live = !self.revoked[a.grant] && self.now < a.expires;
                    (live && a.scope.contains(INTROSPECT)).then_some(None)
                }
                None => {
                    parts.authorization = Some("Bearer no-such-token".to_owned());
                    None
                }
            },
        };
        parts.push("token", &value);
        if let Some(h) = hint(op.hint) {
            parts.push("token_type_hint", h);
        }
        parts.json = op.json;
        let (content_type, body) = parts.body();
        let request =
            IntrospectRequest::from_http(Some(content_type), parts.authorization.as_deref(), None, body.as_bytes());
        let Driven::Respond(resp) = drive(&self.store, introspect::start(&self.config, request, self.now())) else {
            panic!("the introspection endpoint asked for the resource owner")
        };
        let http = resp.to_http();
        check::common(&http);
        let visible = target
            .filter(|t| t.active && caller.is_some_and(|only| only.is_none_or(|c| c == t.client)) && !value.is_empty());
        match resp {
            Response::Introspection(i) => {
                assert!(caller.is_some() && !value.is_empty(), "an introspection answer to a caller it must refuse");
                match (i.active, &visible) {
                    (None, None) => assert_eq!(http.body, r#"{"active":false}"#, "an inactive answer with members"),
                    (None, Some(_)) => panic!("a live token the caller may see was reported inactive"),
                    (Some(_), None) => panic!("an active answer for a dead token or one the caller may not see"),
                    (Some(active), Some(t)) => {
                        assert_eq!(&*active.client_id, t.client, "introspected client_id");
                        assert_eq!(active.scope, t.scope, "introspected scope");
                        assert_eq!(active.exp, t.expires, "introspected exp");
                        assert_eq!(active.iss, ISSUER, "introspected iss");
                        assert_eq!(active.token_type.is_some(), t.access, "token_type only for access tokens");
                    }
                }
            }
            Response::Error(_) => {
                let code = check::oauth_error(&http, INTROSPECT_ERRORS);
                assert!(caller.is_none() || value.is_empty(), "an authorized introspection refused ({code})");
            }
            Response::Bearer(e) => {
                assert!(matches!(op.caller, CallerPick::Bearer(_)), "a bearer refusal to a client caller");
                assert!(caller.is_none() && matches!(e.status(), 400 | 401 | 403), "a good bearer caller refused");
            }
            _ => panic!("the introspection endpoint answered with something else"),
        }
    }

    fn raw_token(&self, op: &RawTokenOp) {
        let content_type = ["application/x-www-form-urlencoded", "application/json", "text/plain", ""]
            [usize::from(op.content_type) % 4];
        let req = TokenRequest::from_http(
            Some(content_type).filter(|c| !c.is_empty()),
            op.authorization.as_deref().map(cut),
            None,
            cut(&op.body).as_bytes(),
        );
        let Driven::Respond(resp) = drive(&self.store, token::start(&self.config, req, self.now())) else {
            panic!("the token endpoint asked for the resource owner")
        };
        let http = resp.to_http();
        match resp {
            Response::Token(_) => {
                // Only a grant that takes nothing can succeed without a credential of the model.
                let t = check::token_answer_as(&http, ACCESS_LIFETIME, self.jwt.is_some());
                assert!(t.refresh_token.is_none(), "a raw request got a refresh token without a code or token");
            }
            Response::Error(_) => {
                let _ = check::oauth_error(&http, check::TOKEN_ERRORS);
            }
            _ => panic!("the token endpoint redirected"),
        }
    }

    fn raw_authorize(&self, query: &str) {
        let step = authorize::start(&self.config, AuthorizeRequest::from_query(Some(cut(query))), self.now());
        let resp = match drive(&self.store, step) {
            Driven::Respond(r) => r,
            Driven::NeedOwner(owner) => match drive(&self.store, owner.resume(OwnerDecision::Deny)) {
                Driven::Respond(r) => r,
                Driven::NeedOwner(_) => panic!("asked the owner twice"),
            },
        };
        let http = resp.to_http();
        match resp {
            Response::Redirect(_) => {
                let location = check::header(&http, "location").unwrap_or("");
                let registered = fixture::clients().iter().any(|c| {
                    c.redirect_uris().iter().any(|u| location.starts_with(u.as_str()))
                        || (c.app_type() == oauth_core::AppType::Native && location.starts_with("http://127.0.0.1:"))
                        || (c.app_type() == oauth_core::AppType::Native && location.starts_with("http://[::1]:"))
                });
                assert!(registered, "a raw authorization request redirected to an unregistered URI");
                assert!(!location.contains("code="), "a denied request got a code");
            }
            Response::Error(_) => {
                let _ = check::oauth_error(&http, check::AUTHORIZE_DIRECT_ERRORS);
            }
            _ => panic!("the authorization endpoint answered with tokens"),
        }
    }
}

/// What the model knows of a token presented to revocation or introspection.
#[derive(Debug, Clone)]
struct Target {
    client: &'static str,
    grant: usize,
    /// Unexpired and of a live grant (a rotated refresh token included).
    live: bool,
    /// Live, and not a rotated refresh token: what introspection reports active.
    active: bool,
    scope: ScopeSet,
    expires: u64,
    access: bool,
}

/// A `token_type_hint` by index: none, the two RFC 7009 values, or an unknown one.
fn hint(i: u8) -> Option<&'static str> {
    [None, Some("access_token"), Some("refresh_token"), Some("id_token")][usize::from(i) % 4]
}

fn pick_ref<T>(items: &[T], i: u8) -> Option<&T> {
    (!items.is_empty()).then(|| &items[usize::from(i) % items.len()])
}

/// Target `flow`: runs the operations against one store beside the reference model.
///
/// Invariants, each checked after every operation: never panics; every answer has the right
/// shape; each operation succeeds exactly when the model says: a code yields tokens at most once,
/// only to its client, with its redirect URI and PKCE verifier, before it expires and while its
/// grant lives, and its replay by its client revokes the grant (D13); a refresh token works only
/// for its client, once (rotation), within its absolute lifetime, never widening the grant, and
/// its reuse by its client revokes the grant (D10); granted scope never exceeds what the client
/// may have and what the owner approved; client credentials and impersonation issue no refresh
/// token; a resource server accepts a token only while it is unexpired, unrevoked, for its
/// scope and from an origin its client allows; the store's state of every access and refresh
/// token equals the model's (expiry and revocation of whole grants).
pub fn flow(input: &FlowInput) {
    let mut world = World::new();
    for op in input.ops.iter().take(MAX_OPS) {
        match op {
            Op::Authorize(a) => world.authorize(a),
            Op::Redeem(r) => world.redeem(r),
            Op::Refresh(r) => world.refresh(r),
            Op::ClientCredentials(c) => world.client_credentials(c),
            Op::Impersonate(i) => world.impersonate(i),
            Op::UseToken(u) => world.use_token(u),
            Op::Advance(a) => {
                let secs = match a {
                    Advance::Secs(s) => u64::from(*s),
                    Advance::CodeLifetime => CODE_LIFETIME,
                    Advance::AccessLifetime => ACCESS_LIFETIME,
                    Advance::RefreshLifetime => REFRESH_LIFETIME,
                    Advance::Far(s) => u64::from(*s),
                };
                world.now = world.now.saturating_add(secs);
            }
            Op::RawToken(r) => world.raw_token(r),
            Op::RawAuthorize(q) => world.raw_authorize(q),
            Op::Revoke(r) => world.revocation(r),
            Op::Introspect(i) => world.introspect(i),
            Op::SwitchToJwt => world.switch_to_jwt(),
        }
        world.check_store();
    }
}

/// The `flow` target over raw bytes, decoded exactly as `libfuzzer_sys::fuzz_target!` decodes a
/// typed input (`arbitrary_take_rest`, inputs shorter than the size hint skipped), so that the
/// corpus replays the same inputs the fuzzer ran.
pub fn flow_bytes(data: &[u8]) {
    if data.len() < <FlowInput as Arbitrary<'_>>::size_hint(0).0 {
        return;
    }
    if let Ok(input) = FlowInput::arbitrary_take_rest(Unstructured::new(data)) {
        flow(&input);
    }
}
