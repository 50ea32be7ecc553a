//! The fixed world the endpoint targets run in: the field-case clients and users
//! (`shared/cases/field-cases.md`), a configuration with [`SeededEntropy`], a virtual clock, an
//! [`oauth_memory::MemoryStore`] wrapped in a fault injector ([`Faulty`]), and credentials
//! issued by the real machines before the input runs, named so that inputs can refer to them
//! (`$CODE_A`, `$RT_A`, …; see [`Fixture::substitute`]).
//!
//! Everything is deterministic: the same input always meets the same world, so every crash
//! reproduces.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauth_core::{
    AccessTokenRecord, AppType, AuthorizeRequest, Client, ClientRegistration, ClientRegistry, CodeRecord, CodeStore,
    Config, ConsentMethod, Driven, GrantId, GrantType, OwnerDecision, RefreshStore, RefreshTokenRecord, Response,
    SeededEntropy, Store, StoreError, TokenDigest, TokenRequest, TokenState, TokenStore, UnixTime, User, UserDirectory,
    UserLookup, Write, authorize, drive, token,
};
use oauth_memory::MemoryStore;
use sha2::{Digest as _, Sha256};

/// The issuer every target's configuration uses.
pub const ISSUER: &str = "https://as.example";

/// The virtual clock's reading when an input starts: Unix seconds (2023-11-14T22:13:20Z).
pub const NOW: u64 = 1_700_000_000;

/// Access token lifetime of the fixture configuration, in seconds (the core's default).
pub const ACCESS_LIFETIME: u64 = 3600;

/// Authorization code lifetime of the fixture configuration, in seconds (the core's default).
pub const CODE_LIFETIME: u64 = 60;

/// Refresh token lifetime of the fixture configuration, in seconds (the core's default, 30 days).
pub const REFRESH_LIFETIME: u64 = 30 * 24 * 3600;

/// PKCE verifier V1 of the field cases (47 characters).
pub const V1: &str = "pkce-verifier-0123456789-abcdefghijklmnopqrstuv";
/// The S256 challenge of [`V1`].
pub const C1: &str = "4O8f97RUaV-Gb9z48pr7pEdnesiwWdEqrU_6qJLRlmY";
/// PKCE verifier V2 of the field cases (49 characters).
pub const V2: &str = "pkce-verifier-9876543210-zyxwvutsrqponmlkjihgfedc";
/// The S256 challenge of [`V2`].
pub const C2: &str = "UupzmOJOwzgBdMJ6ewertvEPmbWahW3SgGQVJVuClcY";
/// The code verifier of RFC 7636 Appendix B.
pub const RFC7636_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// The S256 challenge of RFC 7636 Appendix B.
pub const RFC7636_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// One fixture client: how it is registered and its secret in clear (`None` for public
/// clients).
#[derive(Debug)]
#[non_exhaustive]
pub struct FixtureClient {
    /// The `client_id`.
    pub id: &'static str,
    /// The client secret in clear, for confidential clients.
    pub secret: Option<&'static str>,
    /// The application type.
    pub app_type: AppType,
    /// Registered redirect URIs.
    pub redirect_uris: &'static [&'static str],
    /// Allowed scopes.
    pub scopes: &'static [&'static str],
    /// Allowed grants (`None`: the default, `authorization_code` and `refresh_token`).
    pub grants: Option<&'static [GrantType]>,
    /// Allowed browser origins.
    pub origins: &'static [&'static str],
    /// `Some(false)` opts a confidential client out of PKCE.
    pub require_pkce: Option<bool>,
    /// The consent method.
    pub consent: ConsentMethod,
}

const AC: GrantType = GrantType::AuthorizationCode;
const CC: GrantType = GrantType::ClientCredentials;
const IMP: GrantType = GrantType::UserImpersonation;

/// The clients: the field-case registry, with `offline_access` added where refresh tokens are
/// wanted, and `rs-i`, a resource server allowed the introspection scope (RFC 7662 §2.1).
pub const CLIENTS: &[FixtureClient] = &[
    FixtureClient {
        id: "client-a",
        secret: Some("s3cret"),
        app_type: AppType::Web,
        redirect_uris: &["https://app.example/cb"],
        scopes: &["read", "write", "offline_access"],
        grants: None,
        origins: &[],
        require_pkce: None,
        consent: ConsentMethod::Required,
    },
    FixtureClient {
        id: "client-b",
        secret: Some("s3cret-b"),
        app_type: AppType::Web,
        redirect_uris: &["https://b.example/cb"],
        scopes: &["read", "write", "offline_access"],
        grants: None,
        origins: &[],
        require_pkce: Some(false),
        consent: ConsentMethod::Required,
    },
    FixtureClient {
        id: "client-m",
        secret: Some("s3cret-m"),
        app_type: AppType::Web,
        redirect_uris: &["https://app.example/cb", "https://app.example/cb2"],
        scopes: &["read"],
        grants: Some(&[AC]),
        origins: &[],
        require_pkce: None,
        consent: ConsentMethod::Required,
    },
    FixtureClient {
        id: "client-q",
        secret: Some("s3cret-q"),
        app_type: AppType::Web,
        redirect_uris: &["https://app.example/cb?tenant=t1"],
        scopes: &["read"],
        grants: Some(&[AC]),
        origins: &[],
        require_pkce: Some(false),
        consent: ConsentMethod::Trusted,
    },
    FixtureClient {
        id: "client-c",
        secret: Some("p+q/r:s%t"),
        app_type: AppType::Web,
        redirect_uris: &[],
        scopes: &["read"],
        grants: Some(&[CC]),
        origins: &[],
        require_pkce: None,
        consent: ConsentMethod::Required,
    },
    FixtureClient {
        id: "client-pub",
        secret: None,
        app_type: AppType::Spa,
        redirect_uris: &["https://spa.example/cb"],
        scopes: &["read", "write", "offline_access"],
        grants: None,
        origins: &["https://spa.example"],
        require_pkce: None,
        consent: ConsentMethod::Required,
    },
    FixtureClient {
        id: "client-native",
        secret: None,
        app_type: AppType::Native,
        redirect_uris: &["http://127.0.0.1/cb", "http://[::1]/cb", "com.example.app:/oauth2redirect"],
        scopes: &["read", "offline_access"],
        grants: None,
        origins: &[],
        require_pkce: None,
        consent: ConsentMethod::Required,
    },
    FixtureClient {
        id: "svc-a",
        secret: Some("s3cret-svc"),
        app_type: AppType::Web,
        redirect_uris: &[],
        scopes: &["read"],
        grants: Some(&[CC, IMP]),
        origins: &["https://svc.example"],
        require_pkce: None,
        consent: ConsentMethod::Required,
    },
    FixtureClient {
        id: "svc-b",
        secret: Some("s3cret-svcb"),
        app_type: AppType::Web,
        redirect_uris: &[],
        scopes: &["read"],
        grants: Some(&[CC]),
        origins: &[],
        require_pkce: None,
        consent: ConsentMethod::Required,
    },
    FixtureClient {
        id: "rs-i",
        secret: Some("s3cret-rs"),
        app_type: AppType::Web,
        redirect_uris: &[],
        scopes: &[INTROSPECT, "read"],
        grants: Some(&[CC]),
        origins: &[],
        require_pkce: None,
        consent: ConsentMethod::Required,
    },
];

/// The scope that lets a confidential client (or a bearer token) introspect every token: the
/// core's default introspection scope.
pub const INTROSPECT: &str = "introspect";

/// Users of the directory: (`userId`, subject, disabled). `user-x` does not exist.
pub const USERS: &[(&str, &str, bool)] = &[("user-1", "auth0|user-1", false), ("user-2", "auth0|user-2", true)];

impl FixtureClient {
    /// The fixture client registered as `id`.
    #[must_use]
    pub fn by_id(id: &str) -> Option<&'static Self> {
        CLIENTS.iter().find(|c| c.id == id)
    }

    /// Whether the client may use `grant`.
    #[must_use]
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grants
            .map_or(matches!(grant, GrantType::AuthorizationCode | GrantType::RefreshToken), |g| g.contains(&grant))
    }

    /// Whether `scope` is one of the client's allowed scopes.
    #[must_use]
    pub fn allows_scope(&self, scope: &str) -> bool {
        self.scopes.contains(&scope)
    }

    /// The registered, validated client.
    #[must_use]
    pub fn client(&self) -> Client {
        let reg = ClientRegistration {
            client_id: self.id.into(),
            client_name: String::new(),
            app_type: Some(self.app_type),
            secret_digests: self.secret.map(TokenDigest::of).into_iter().collect(),
            redirect_uris: self.redirect_uris.iter().map(|s| (*s).to_owned()).collect(),
            allowed_scopes: self.scopes.iter().map(|s| (*s).to_owned()).collect(),
            allowed_grant_types: self.grants.map(<[GrantType]>::to_vec),
            allowed_origins: self.origins.iter().map(|s| (*s).to_owned()).collect(),
            consent: self.consent,
            require_pkce: self.require_pkce,
        };
        Client::register(reg).unwrap_or_else(|e| panic!("invariant: fixture client {} is valid: {e}", self.id))
    }

    /// The `Authorization: Basic` value of this client's id and secret (RFC 6749 §2.3.1), or
    /// `None` for a public client.
    #[must_use]
    pub fn basic(&self) -> Option<String> {
        self.secret.map(|s| basic_header(self.id, s))
    }
}

/// `Basic base64(form-urlencode(id) ":" form-urlencode(secret))` (RFC 6749 §2.3.1).
#[must_use]
pub fn basic_header(id: &str, secret: &str) -> String {
    let raw = format!("{}:{}", form_encode(id), form_encode(secret));
    format!("Basic {}", STANDARD.encode(raw))
}

/// `application/x-www-form-urlencoded` encoding of one value.
#[must_use]
pub fn form_encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `BASE64URL(SHA256(verifier))`, the S256 challenge of `verifier` (RFC 7636 §4.2), computed
/// here independently of the core.
#[must_use]
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The verifier of a well-known challenge ([`C1`], [`C2`], RFC 7636 Appendix B), if known.
#[must_use]
pub fn known_verifier(challenge: &str) -> Option<&'static str> {
    [(C1, V1), (C2, V2), (RFC7636_CHALLENGE, RFC7636_VERIFIER)].into_iter().find(|(c, _)| *c == challenge).map(|p| p.1)
}

/// The fixture clients, registered once per process.
#[must_use]
pub fn clients() -> &'static [Arc<Client>] {
    static CELL: OnceLock<Vec<Arc<Client>>> = OnceLock::new();
    CELL.get_or_init(|| CLIENTS.iter().map(|c| Arc::new(c.client())).collect())
}

/// A fresh store holding the fixture clients and users, and nothing else.
#[must_use]
pub fn store() -> MemoryStore {
    let store = MemoryStore::new();
    for c in clients() {
        store.insert_client(Client::clone(c));
    }
    for (id, subject, disabled) in USERS {
        let user = if *disabled { User::new(*subject).disabled() } else { User::new(*subject) };
        store.insert_user(id, user);
    }
    store
}

/// The fixture configuration: [`ISSUER`], default lifetimes, [`SeededEntropy`] with `seed`, and
/// `plain` PKCE when `allow_plain`.
#[must_use]
pub fn config(seed: u64, allow_plain: bool) -> Arc<Config> {
    let config = Config::new(ISSUER, Arc::new(SeededEntropy::new(seed)))
        .unwrap_or_else(|e| panic!("invariant: the fixture issuer is valid: {e}"));
    Arc::new(config.with_plain_pkce(allow_plain))
}

/// Which store call fails, and how, in a [`Faulty`] store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fault {
    /// The 1-based number of the store call that fails.
    pub at_call: u32,
    /// The error it answers.
    pub error: StoreError,
}

/// A store that answers from a [`MemoryStore`] except for one call, chosen by a [`Fault`], which
/// fails without touching the inner store.
#[derive(Debug)]
pub struct Faulty<'a> {
    inner: &'a MemoryStore,
    fault: Option<Fault>,
    calls: AtomicU32,
    failed: AtomicU32,
}

impl<'a> Faulty<'a> {
    /// Wraps `inner`; with `fault: None` every call goes through.
    #[must_use]
    pub const fn new(inner: &'a MemoryStore, fault: Option<Fault>) -> Self {
        Self { inner, fault, calls: AtomicU32::new(0), failed: AtomicU32::new(0) }
    }

    /// The error the fault injected, if its call happened.
    #[must_use]
    pub fn injected(&self) -> Option<StoreError> {
        (self.failed.load(Ordering::Relaxed) > 0).then_some(self.fault.map(|f| f.error)).flatten()
    }

    /// Counts one store call and fails it when it is the fault's.
    fn gate(&self) -> Result<(), StoreError> {
        let n = self.calls.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        match self.fault {
            Some(f) if f.at_call == n => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                Err(f.error)
            }
            _ => Ok(()),
        }
    }
}

impl ClientRegistry for Faulty<'_> {
    fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>, StoreError> {
        self.gate()?;
        self.inner.client(client_id)
    }

    fn origin_registered(&self, origin: &str) -> Result<bool, StoreError> {
        self.gate()?;
        self.inner.origin_registered(origin)
    }
}

impl UserDirectory for Faulty<'_> {
    fn user(&self, lookup: &UserLookup) -> Result<Option<User>, StoreError> {
        self.gate()?;
        self.inner.user(lookup)
    }
}

impl CodeStore for Faulty<'_> {
    fn take_code(
        &self,
        key: &TokenDigest,
        client_id: &str,
        now: UnixTime,
    ) -> Result<TokenState<CodeRecord>, StoreError> {
        self.gate()?;
        self.inner.take_code(key, client_id, now)
    }
}

impl RefreshStore for Faulty<'_> {
    fn refresh_token(&self, key: &TokenDigest, now: UnixTime) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        self.gate()?;
        self.inner.refresh_token(key, now)
    }

    fn take_refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        self.gate()?;
        self.inner.take_refresh_token(key, now)
    }
}

impl TokenStore for Faulty<'_> {
    fn persist(&self, writes: Vec<Write>, now: UnixTime) -> Result<(), StoreError> {
        self.gate()?;
        self.inner.persist(writes, now)
    }

    fn revoke_grant(&self, grant_id: &GrantId, now: UnixTime) -> Result<(), StoreError> {
        self.gate()?;
        self.inner.revoke_grant(grant_id, now)
    }

    fn access_token(&self, key: &TokenDigest, now: UnixTime) -> Result<Option<AccessTokenRecord>, StoreError> {
        self.gate()?;
        self.inner.access_token(key, now)
    }
}

/// A credential issued while the fixture was built, and what it is bound to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Named {
    /// The placeholder inputs use (`CODE_A` for `$CODE_A`).
    pub name: &'static str,
    /// The credential.
    pub value: String,
    /// The client it was issued to.
    pub client: &'static str,
    /// What it is.
    pub kind: NamedKind,
    /// Whether it can still be used at [`NOW`]: an unused, unexpired code or an unrotated
    /// refresh token.
    pub usable: bool,
    /// The scope it carries.
    pub scope: &'static str,
    /// For a code: the PKCE verifier of its challenge (`None` without a challenge).
    pub verifier: Option<&'static str>,
    /// For a code: the `redirect_uri` its authorization request sent (`None` when it sent none).
    pub redirect_uri: Option<&'static str>,
    /// When it expires, in Unix seconds.
    pub expires_at: u64,
    /// The grant it belongs to, as a small number: credentials issued from one authorization
    /// (a code, its tokens and their rotations) share it.
    pub grant: u8,
}

/// The kind of a [`Named`] credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NamedKind {
    /// An authorization code.
    Code,
    /// An access token.
    AccessToken,
    /// A refresh token.
    RefreshToken,
}

/// The store, configuration and named credentials an endpoint input runs against.
#[derive(Debug)]
#[non_exhaustive]
pub struct Fixture {
    /// The store, holding the clients, the users and the named credentials.
    pub store: MemoryStore,
    /// The configuration (plain PKCE off).
    pub config: Arc<Config>,
    /// The named credentials.
    pub named: Vec<Named>,
}

/// How a fixture code is requested: client, query parameters after `client_id`, approved scope.
struct CodeSpec {
    name: &'static str,
    client: &'static str,
    query: &'static str,
    scope: &'static str,
    verifier: Option<&'static str>,
    redirect_uri: Option<&'static str>,
}

const CODES: &[CodeSpec] = &[
    CodeSpec {
        name: "CODE_A",
        client: "client-a",
        query: "redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=read+write+offline_access&code_challenge=4O8f97RUaV-Gb9z48pr7pEdnesiwWdEqrU_6qJLRlmY&code_challenge_method=S256",
        scope: "offline_access read write",
        verifier: Some(V1),
        redirect_uri: Some("https://app.example/cb"),
    },
    CodeSpec {
        name: "CODE_B",
        client: "client-b",
        query: "scope=read+offline_access",
        scope: "offline_access read",
        verifier: None,
        redirect_uri: None,
    },
    CodeSpec {
        name: "CODE_M",
        client: "client-m",
        query: "redirect_uri=https%3A%2F%2Fapp.example%2Fcb2&code_challenge=4O8f97RUaV-Gb9z48pr7pEdnesiwWdEqrU_6qJLRlmY&code_challenge_method=S256",
        scope: "read",
        verifier: Some(V1),
        redirect_uri: Some("https://app.example/cb2"),
    },
    CodeSpec {
        name: "CODE_Q",
        client: "client-q",
        query: "scope=read",
        scope: "read",
        verifier: None,
        redirect_uri: None,
    },
    CodeSpec {
        name: "CODE_PUB",
        client: "client-pub",
        query: "redirect_uri=https%3A%2F%2Fspa.example%2Fcb&scope=read+offline_access&code_challenge=UupzmOJOwzgBdMJ6ewertvEPmbWahW3SgGQVJVuClcY&code_challenge_method=S256",
        scope: "offline_access read",
        verifier: Some(V2),
        redirect_uri: Some("https://spa.example/cb"),
    },
    CodeSpec {
        name: "CODE_NATIVE",
        client: "client-native",
        query: "redirect_uri=http%3A%2F%2F127.0.0.1%3A51004%2Fcb&scope=read&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        scope: "read",
        verifier: Some(RFC7636_VERIFIER),
        redirect_uri: Some("http://127.0.0.1:51004/cb"),
    },
];

/// Drives an authorization request for `client` with `query` (after `client_id`) at `now`,
/// approving as `user-1`; returns the code.
fn issue_code<S: Store>(store: &S, config: &Arc<Config>, client: &str, query: &str, now: UnixTime) -> String {
    let q = format!("response_type=code&client_id={client}&{query}");
    let step = authorize::start(config, AuthorizeRequest::from_query(Some(&q)), now);
    let Driven::NeedOwner(owner) = drive(store, step) else {
        panic!("invariant: the fixture authorization request for {client} reaches the owner")
    };
    let decision = OwnerDecision::Approve(oauth_core::Approval::new("user-1".into(), now));
    let Driven::Respond(Response::Redirect(r)) = drive(store, owner.resume(decision)) else {
        panic!("invariant: the fixture approval for {client} redirects")
    };
    let query = r.location.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("invariant: the fixture approval for {client} carries a code"))
}

/// Redeems `code` for `client`; returns the access and refresh tokens.
fn redeem<S: Store>(store: &S, config: &Arc<Config>, client: &str, code: &str, extra: &str, now: UnixTime) -> Tokens {
    let fc = FixtureClient::by_id(client).unwrap_or_else(|| panic!("invariant: {client} is a fixture client"));
    let mut body = format!("grant_type=authorization_code&code={code}{extra}");
    if fc.secret.is_none() {
        body.push_str("&client_id=");
        body.push_str(client);
    }
    token_request(store, config, fc.basic().as_deref(), &body, now)
}

struct Tokens {
    access: String,
    refresh: Option<String>,
}

fn token_request<S: Store>(store: &S, config: &Arc<Config>, basic: Option<&str>, body: &str, now: UnixTime) -> Tokens {
    let req = TokenRequest::from_http(Some("application/x-www-form-urlencoded"), basic, None, body.as_bytes());
    match drive(store, token::start(config, req, now)) {
        Driven::Respond(Response::Token(t)) => Tokens {
            access: t.access_token.expose().to_owned(),
            refresh: t.refresh_token.map(|r| r.expose().to_owned()),
        },
        _ => panic!("invariant: the fixture token request succeeds"),
    }
}

impl Fixture {
    /// Builds the world: registers the clients and users, then issues, with the real machines
    /// and [`SeededEntropy`] seeded with `seed`:
    ///
    /// - unused codes `$CODE_A` (PKCE V1), `$CODE_B` (no PKCE, no redirect_uri sent), `$CODE_M`
    ///   (second redirect URI, V1), `$CODE_Q` (registered query, no PKCE), `$CODE_PUB` (public,
    ///   V2), `$CODE_NATIVE` (loopback port 51004, the RFC 7636 verifier);
    /// - `$CODE_USED` (client-a, redeemed into `$AT_USED` and `$RT_USED`), `$CODE_OLD`
    ///   (client-a, expired [`CODE_LIFETIME`] seconds after `NOW - 61`);
    /// - refresh tokens `$RT_A` (client-a, with `$AT_A`), `$RT_PUB` (client-pub, with
    ///   `$AT_PUB`), `$RT_ROTATED` (client-b, rotated into `$RT_B` and `$AT_B`);
    /// - `$AT_CC` (svc-b, client credentials), `$AT_IMP` (svc-a acting as user-1) and `$AT_RS`
    ///   (rs-i, client credentials, scope `introspect read`: a bearer token that may introspect).
    ///
    /// The credentials are issued once per process (for seed 0) and every later fixture replays
    /// the store calls that issued them into a fresh store, which costs no hashing or machine
    /// run. The configuration's entropy continues on another stream (`seed + 1`), so that what
    /// an input issues never collides with the fixture's credentials.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        static CACHE: OnceLock<Built> = OnceLock::new();
        let fresh;
        let built = if seed == 0 {
            CACHE.get_or_init(|| build(0))
        } else {
            fresh = build(seed);
            &fresh
        };
        let store = store();
        for m in &built.log {
            // Replaying what succeeded once, in order, succeeds again.
            let _ = match m {
                Mutation::Persist(writes, now) => store.persist(writes.clone(), *now),
                Mutation::TakeCode(key, client, now) => store.take_code(key, client, *now).map(|_| ()),
                Mutation::TakeRefresh(key, now) => store.take_refresh_token(key, *now).map(|_| ()),
                Mutation::Revoke(grant, now) => store.revoke_grant(grant, *now),
            };
        }
        Self { store, config: config(seed.wrapping_add(1), false), named: built.named.clone() }
    }

    /// The named credential with `name`, if any.
    #[must_use]
    pub fn named(&self, name: &str) -> Option<&Named> {
        self.named.iter().find(|n| n.name == name)
    }

    /// The named credential whose value is `value`, if any.
    #[must_use]
    pub fn by_value(&self, value: &str) -> Option<&Named> {
        self.named.iter().find(|n| n.value == value)
    }

    /// `input` with every `$NAME` placeholder of a named credential, and `$V1`, `$C1`, `$V2`,
    /// `$C2`, replaced by its value. Other bytes, and unknown placeholders, are kept.
    #[must_use]
    pub fn substitute(&self, input: &[u8]) -> Vec<u8> {
        substitute(input, &self.named)
    }
}

/// A store call that changed the fixture's store, in the order made.
#[derive(Debug)]
enum Mutation {
    Persist(Vec<Write>, UnixTime),
    TakeCode(TokenDigest, String, UnixTime),
    TakeRefresh(TokenDigest, UnixTime),
    Revoke(GrantId, UnixTime),
}

/// The fixture's credentials and the store calls that issued them.
#[derive(Debug)]
struct Built {
    log: Vec<Mutation>,
    named: Vec<Named>,
}

/// A [`MemoryStore`] that logs every call that changes it.
struct Recording {
    inner: MemoryStore,
    log: std::sync::Mutex<Vec<Mutation>>,
}

impl Recording {
    fn push(&self, m: Mutation) {
        self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(m);
    }
}

impl ClientRegistry for Recording {
    fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>, StoreError> {
        self.inner.client(client_id)
    }

    fn origin_registered(&self, origin: &str) -> Result<bool, StoreError> {
        self.inner.origin_registered(origin)
    }
}

impl UserDirectory for Recording {
    fn user(&self, lookup: &UserLookup) -> Result<Option<User>, StoreError> {
        self.inner.user(lookup)
    }
}

impl CodeStore for Recording {
    fn take_code(
        &self,
        key: &TokenDigest,
        client_id: &str,
        now: UnixTime,
    ) -> Result<TokenState<CodeRecord>, StoreError> {
        self.push(Mutation::TakeCode(*key, client_id.to_owned(), now));
        self.inner.take_code(key, client_id, now)
    }
}

impl RefreshStore for Recording {
    fn refresh_token(&self, key: &TokenDigest, now: UnixTime) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        self.inner.refresh_token(key, now)
    }

    fn take_refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        self.push(Mutation::TakeRefresh(*key, now));
        self.inner.take_refresh_token(key, now)
    }
}

impl TokenStore for Recording {
    fn persist(&self, writes: Vec<Write>, now: UnixTime) -> Result<(), StoreError> {
        self.push(Mutation::Persist(writes.clone(), now));
        self.inner.persist(writes, now)
    }

    fn revoke_grant(&self, grant_id: &GrantId, now: UnixTime) -> Result<(), StoreError> {
        self.push(Mutation::Revoke(*grant_id, now));
        self.inner.revoke_grant(grant_id, now)
    }

    fn access_token(&self, key: &TokenDigest, now: UnixTime) -> Result<Option<AccessTokenRecord>, StoreError> {
        self.inner.access_token(key, now)
    }
}

/// Issues the fixture's credentials with the real machines; see [`Fixture::new`].
fn build(seed: u64) -> Built {
    let store = Recording { inner: store(), log: std::sync::Mutex::new(Vec::new()) };
    let config = config(seed, false);
    let now = UnixTime::from_secs(NOW);
    let mut named = Vec::new();
    let mut add = |name, value: String, client, kind, usable, scope| {
        let expires_at = match kind {
            NamedKind::Code => NOW + CODE_LIFETIME,
            NamedKind::AccessToken => NOW + ACCESS_LIFETIME,
            NamedKind::RefreshToken => NOW + REFRESH_LIFETIME,
        };
        let n = Named {
            name,
            value,
            client,
            kind,
            usable,
            scope,
            verifier: None,
            redirect_uri: None,
            expires_at,
            grant: 0,
        };
        named.push(n);
    };
    let old = issue_code(&store, &config, "client-a", CODES[0].query, UnixTime::from_secs(NOW - 61));
    add("CODE_OLD", old, "client-a", NamedKind::Code, false, CODES[0].scope);
    for spec in CODES {
        let code = issue_code(&store, &config, spec.client, spec.query, now);
        add(spec.name, code, spec.client, NamedKind::Code, true, spec.scope);
    }
    let redirect = "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier=";
    let used = issue_code(&store, &config, "client-a", CODES[0].query, now);
    let t = redeem(&store, &config, "client-a", &used, &format!("{redirect}{V1}"), now);
    add("CODE_USED", used, "client-a", NamedKind::Code, false, CODES[0].scope);
    add("AT_USED", t.access, "client-a", NamedKind::AccessToken, true, CODES[0].scope);
    if let Some(rt) = t.refresh {
        add("RT_USED", rt, "client-a", NamedKind::RefreshToken, true, CODES[0].scope);
    }
    let code = issue_code(&store, &config, "client-a", CODES[0].query, now);
    let t = redeem(&store, &config, "client-a", &code, &format!("{redirect}{V1}"), now);
    add("AT_A", t.access, "client-a", NamedKind::AccessToken, true, CODES[0].scope);
    if let Some(rt) = t.refresh {
        add("RT_A", rt, "client-a", NamedKind::RefreshToken, true, CODES[0].scope);
    }
    let code = issue_code(&store, &config, "client-pub", CODES[4].query, now);
    let extra = format!("&redirect_uri=https%3A%2F%2Fspa.example%2Fcb&code_verifier={V2}");
    let t = redeem(&store, &config, "client-pub", &code, &extra, now);
    add("AT_PUB", t.access, "client-pub", NamedKind::AccessToken, true, CODES[4].scope);
    if let Some(rt) = t.refresh {
        add("RT_PUB", rt, "client-pub", NamedKind::RefreshToken, true, CODES[4].scope);
    }
    let code = issue_code(&store, &config, "client-b", CODES[1].query, now);
    let t = redeem(&store, &config, "client-b", &code, "", now);
    let basic_b = basic_header("client-b", "s3cret-b");
    if let Some(rotated) = t.refresh {
        let body = format!("grant_type=refresh_token&refresh_token={rotated}");
        let next = token_request(&store, &config, Some(&basic_b), &body, now);
        add("RT_ROTATED", rotated, "client-b", NamedKind::RefreshToken, false, CODES[1].scope);
        add("AT_B", next.access, "client-b", NamedKind::AccessToken, true, CODES[1].scope);
        if let Some(rt) = next.refresh {
            add("RT_B", rt, "client-b", NamedKind::RefreshToken, true, CODES[1].scope);
        }
    }
    let cc = token_request(
        &store,
        &config,
        Some(&basic_header("svc-b", "s3cret-svcb")),
        "grant_type=client_credentials",
        now,
    );
    add("AT_CC", cc.access, "svc-b", NamedKind::AccessToken, true, "read");
    let imp = token_request(
        &store,
        &config,
        Some(&basic_header("svc-a", "s3cret-svc")),
        "grant_type=urn%3Aqlik%3Aoauth%3Auser-impersonation&user_lookup=%7B%22field%22%3A%22userId%22%2C%22value%22%3A%22user-1%22%7D",
        now,
    );
    add("AT_IMP", imp.access, "svc-a", NamedKind::AccessToken, true, "read");
    let rs =
        token_request(&store, &config, Some(&basic_header("rs-i", "s3cret-rs")), "grant_type=client_credentials", now);
    add("AT_RS", rs.access, "rs-i", NamedKind::AccessToken, true, "introspect read");
    for n in &mut named {
        // CODE_OLD and CODE_USED were requested as CODE_A was.
        let like_a = n.kind == NamedKind::Code && n.client == "client-a";
        let spec = CODES.iter().find(|c| c.name == n.name).or_else(|| like_a.then_some(&CODES[0]));
        if let Some(spec) = spec {
            n.verifier = spec.verifier;
            n.redirect_uri = spec.redirect_uri;
        }
        if n.name == "CODE_OLD" {
            n.expires_at = NOW - 61 + CODE_LIFETIME;
        }
        n.grant = match n.name {
            "CODE_A" => 1,
            "CODE_B" => 2,
            "CODE_M" => 3,
            "CODE_Q" => 4,
            "CODE_PUB" => 5,
            "CODE_NATIVE" => 6,
            "CODE_USED" | "AT_USED" | "RT_USED" => 7,
            "AT_A" | "RT_A" => 8,
            "AT_PUB" | "RT_PUB" => 9,
            "RT_ROTATED" | "AT_B" | "RT_B" => 10,
            "AT_CC" => 11,
            "AT_IMP" => 12,
            "AT_RS" => 13,
            _ => 0,
        };
    }
    let log = std::mem::take(&mut *store.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    Built { log, named }
}

/// `input` with every `$NAME` placeholder of a credential in `named`, and `$V1`, `$C1`, `$V2`,
/// `$C2`, replaced by its value. Other bytes, and unknown placeholders, are kept.
#[must_use]
pub fn substitute(input: &[u8], named: &[Named]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + 64);
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'$' {
            let len = input[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
                .count();
            let name = std::str::from_utf8(&input[i + 1..i + 1 + len]).unwrap_or("");
            let constant = match name {
                "V1" => Some(V1),
                "C1" => Some(C1),
                "V2" => Some(V2),
                "C2" => Some(C2),
                _ => None,
            };
            if let Some(v) = constant.or_else(|| named.iter().find(|n| n.name == name).map(|n| n.value.as_str())) {
                out.extend_from_slice(v.as_bytes());
                i += 1 + len;
                continue;
            }
        }
        out.push(input[i]);
        i += 1;
    }
    out
}
