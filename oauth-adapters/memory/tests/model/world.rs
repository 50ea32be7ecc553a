//! The system under test (the core's sync driver over a store, a virtual clock and seeded
//! entropy) side by side with a small reference model. Every response is checked against the
//! model's prediction, and after every operation every access and refresh token the model knows
//! is looked up in the store and checked against the model's idea of its state.
//!
//! A mismatch is a [`Violation`] tagged with the invariants it breaks (see [`tag`]); a run stops
//! at the first operation that produced one.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use oauth_core::jwt::{self, Expected, JwtError, access_token_key};
use oauth_core::wire::{MAX_INPUT_BYTES, Params};
use oauth_core::{
    AccessTokenRecord, Approval, AuthorizeRequest, BearerError, Client, Config, Driven, GrantId, GrantType,
    Hs256Signer, HttpResponse, IntrospectRequest, Lifetimes, OwnerDecision, RefreshTokenRecord, Response,
    RevokeRequest, ScopeSet, SeededEntropy, Store, Subject, TokenDigest, TokenRequest, TokenResponse, TokenState,
    UnixTime, User, authorize, bearer, drive, introspect, revoke, token,
};
use oauth_memory::MemoryStore;
use serde_json::{Value, json};

use crate::fixture::{
    ACCESS_LIFETIME, CLIENTS, CODE_LIFETIME, ClientSpec, INTROSPECT, ISSUER, JWT_KEY, JWT_KID, N_CLIENTS, NATIVE,
    OTHER_JWT_KEY, REFRESH_LIFETIME, RS, SEED, Scopes, T0, UNIVERSE, USERS, VERIFIERS, basic, challenge, form, scopes,
};
use crate::ops::{
    AuthMode, AuthorizeOp, Caller, ClientCredentialsOp, Cred, Decision, FlowOp, Hint, ImpersonateOp, IntrospectOp,
    Lookup, Malformed, Mangle, Op, OriginChoice, Pick, PkceChoice, RedeemOp, RedirectChoice, RedirectMode, RefreshOp,
    ResourceOp, RevokeOp, ScopePick, TokenParam, VerifierMode, Who, Wire,
};

/// The invariants a violation breaks, as bits.
pub(crate) mod tag {
    /// Invariant 1: a code yields tokens at most once (and its replay revokes what it issued, D13).
    pub(crate) const CODE_ONCE: u16 = 1;
    /// Invariant 2: a token is never accepted after its lifetime or after revocation.
    pub(crate) const LIFETIME: u16 = 1 << 1;
    /// Invariant 3: granted scope never exceeds what the client is allowed and what was approved.
    pub(crate) const SCOPE: u16 = 1 << 2;
    /// Invariant 4: a rotated refresh token never works again; its reuse revokes the grant.
    pub(crate) const ROTATION: u16 = 1 << 3;
    /// Invariant 5: a credential of one client is never usable, refreshable or revocable by another.
    pub(crate) const CROSS_CLIENT: u16 = 1 << 4;
    /// Invariant 6: malformed input gets a 4xx OAuth error and changes nothing.
    pub(crate) const MALFORMED: u16 = 1 << 5;
    /// Any disagreement with the reference model (every violation carries it).
    pub(crate) const MODEL: u16 = 1 << 6;
    /// Invariant 7: a token revoked at the revocation endpoint (and every token of its grant)
    /// is never active again (RFC 7009 §2.1, §2.2).
    pub(crate) const REVOKED: u16 = 1 << 7;
    /// Invariant 8: revocation by another client is refused (400 `unauthorized_client`, D7) and
    /// changes nothing.
    pub(crate) const STRANGER: u16 = 1 << 8;
    /// Invariant 9: introspection answers exactly `{"active":false}` for a dead token and to a
    /// caller that may not see the token, and exactly the token's members otherwise
    /// (RFC 7662 §2.2, §4).
    pub(crate) const INTROSPECTION: u16 = 1 << 9;
    /// Invariant 10: in JWT mode every access token is a JWT that `jwt::verify` accepts until
    /// its expiry, and only until then, with the model's claims (RFC 9068 §2.2, §4).
    pub(crate) const JWT: u16 = 1 << 10;

    pub(crate) const NAMES: [(u16, &str); 11] = [
        (CODE_ONCE, "code-once"),
        (LIFETIME, "lifetime"),
        (SCOPE, "scope"),
        (ROTATION, "rotation"),
        (CROSS_CLIENT, "cross-client"),
        (MALFORMED, "malformed"),
        (MODEL, "model"),
        (REVOKED, "revoked"),
        (STRANGER, "stranger"),
        (INTROSPECTION, "introspection"),
        (JWT, "jwt"),
    ];
}

const FORM: &str = "application/x-www-form-urlencoded";
/// A credential nobody issued (43 characters, like ours).
const GARBAGE: &str = "never-issued-credential-0123456789abcdefghi";

/// The store operations the model needs besides the core's store traits.
pub(crate) trait Admin: Store {
    /// Unregisters the client and revokes all its grants; whether it existed.
    fn remove_client(&self, client_id: &str, now: UnixTime) -> bool;
    /// Registers the client; whether it replaced one.
    fn insert_client(&self, client: Client) -> bool;
}

impl Admin for MemoryStore {
    fn remove_client(&self, client_id: &str, now: UnixTime) -> bool {
        Self::remove_client(self, client_id, now)
    }

    fn insert_client(&self, client: Client) -> bool {
        Self::insert_client(self, client).is_some()
    }
}

/// A `MemoryStore` with the fixture's clients and users.
pub(crate) fn memory_store() -> MemoryStore {
    let store = MemoryStore::with_clients(CLIENTS.iter().map(ClientSpec::register));
    for u in &USERS {
        let user = if u.disabled { User::new(u.subject).disabled() } else { User::new(u.subject) };
        assert!(store.insert_user(u.id, user), "invariant: the fixture's subjects are distinct");
    }
    store
}

/// How access tokens are issued: opaque (the default), or as JWTs (RFC 9068) signed with
/// HS256 and [`JWT_KEY`] (`Config::with_jwt_access_tokens`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Opaque,
    Jwt,
    /// A broken fixture: the server signs with [`OTHER_JWT_KEY`] while the model's resource
    /// server still holds [`JWT_KEY`] (a key rotation it missed).
    JwtForeignKey,
}

impl Mode {
    /// Every mode the properties run in.
    pub(crate) const BOTH: [Self; 2] = [Self::Opaque, Self::Jwt];
}

/// A deliberately broken harness, to show that a property fails when the core does what it
/// must refuse (only the core decides these, so no broken store can provoke them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sabotage {
    /// A stranger's revocation is sent with the owner's credentials, while the model still
    /// predicts a stranger's request.
    StrangerRevokesWithOwnerCredentials,
}

/// Runs `ops` against a fresh `MemoryStore`; `Err` describes the violations when one of them
/// breaks an invariant in `focus`. A violation of other invariants only ends the run early with
/// `Ok`: the model has diverged, and the property that owns the broken invariant (and the
/// model property, which owns them all) reports it.
pub(crate) fn run(ops: &[Op], focus: u16, mode: Mode) -> Result<Stats, String> {
    run_on(memory_store(), ops, focus, mode)
}

/// As [`run`], against `store`.
pub(crate) fn run_on<S: Admin>(store: S, ops: &[Op], focus: u16, mode: Mode) -> Result<Stats, String> {
    run_sabotaged(store, ops, focus, mode, None)
}

/// As [`run_on`], with the harness broken by `sabotage`.
pub(crate) fn run_sabotaged<S: Admin>(
    store: S,
    ops: &[Op],
    focus: u16,
    mode: Mode,
    sabotage: Option<Sabotage>,
) -> Result<Stats, String> {
    let mut w = World::new(store, mode, sabotage);
    for (i, op) in ops.iter().enumerate() {
        w.step = i;
        w.malformed = matches!(op, Op::Malformed(_));
        w.apply(op);
        w.sweep();
        if !w.violations.is_empty() {
            if w.violations.iter().any(|v| v.tags & focus != 0) {
                return Err(format!("{mode:?} mode:\n{}", w.report()));
            }
            return Ok(w.stats());
        }
    }
    Ok(w.stats())
}

/// What a run reached, for the coverage test: a generator that never reaches a state proves
/// nothing about it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stats {
    pub(crate) codes_issued: usize,
    pub(crate) error_redirects: usize,
    pub(crate) codes_redeemed: usize,
    pub(crate) codes_burned: usize,
    pub(crate) code_replays_revoking: usize,
    pub(crate) refreshed: usize,
    pub(crate) refresh_reuses_revoking: usize,
    pub(crate) foreign_refused: usize,
    pub(crate) client_credentials: usize,
    pub(crate) impersonated: usize,
    pub(crate) expired_refused: usize,
    pub(crate) revoked_refused: usize,
    pub(crate) scope_refused: usize,
    pub(crate) auth_refused: usize,
    pub(crate) clients_removed_with_grants: usize,
    pub(crate) malformed: usize,
    /// Access tokens seen inactive by the sweep after having been active.
    pub(crate) access_tokens_dead: usize,
    pub(crate) access_tokens: usize,
    /// Revocations by the owner that revoked a live grant.
    pub(crate) revoked_by_owner: usize,
    /// Revocations answered 200 for a token that was unknown, dead or not a token.
    pub(crate) revoked_nothing: usize,
    /// Revocations by another client, refused.
    pub(crate) revoke_stranger_refused: usize,
    /// Introspections answered with the members, to the token's own client.
    pub(crate) introspected_own: usize,
    /// Introspections answered with the members, to `rs` or a bearer token with `introspect`.
    pub(crate) introspected_any: usize,
    /// Introspections of a live token answered `{"active":false}` to a caller that may not see it.
    pub(crate) introspected_hidden: usize,
    /// Introspections of a revoked, expired or rotated token (or no token at all).
    pub(crate) introspected_dead: usize,
    /// Introspection callers refused (401/403).
    pub(crate) introspect_refused: usize,
}

impl Stats {
    /// The counters by name.
    pub(crate) fn fields(&self) -> [(&'static str, usize); 26] {
        [
            ("codes_issued", self.codes_issued),
            ("error_redirects", self.error_redirects),
            ("codes_redeemed", self.codes_redeemed),
            ("codes_burned", self.codes_burned),
            ("code_replays_revoking", self.code_replays_revoking),
            ("refreshed", self.refreshed),
            ("refresh_reuses_revoking", self.refresh_reuses_revoking),
            ("foreign_refused", self.foreign_refused),
            ("client_credentials", self.client_credentials),
            ("impersonated", self.impersonated),
            ("expired_refused", self.expired_refused),
            ("revoked_refused", self.revoked_refused),
            ("scope_refused", self.scope_refused),
            ("auth_refused", self.auth_refused),
            ("clients_removed_with_grants", self.clients_removed_with_grants),
            ("malformed", self.malformed),
            ("access_tokens_dead", self.access_tokens_dead),
            ("access_tokens", self.access_tokens),
            ("revoked_by_owner", self.revoked_by_owner),
            ("revoked_nothing", self.revoked_nothing),
            ("revoke_stranger_refused", self.revoke_stranger_refused),
            ("introspected_own", self.introspected_own),
            ("introspected_any", self.introspected_any),
            ("introspected_hidden", self.introspected_hidden),
            ("introspected_dead", self.introspected_dead),
            ("introspect_refused", self.introspect_refused),
        ]
    }

    pub(crate) fn add(&mut self, other: &Self) {
        let mine = [
            &mut self.codes_issued,
            &mut self.error_redirects,
            &mut self.codes_redeemed,
            &mut self.codes_burned,
            &mut self.code_replays_revoking,
            &mut self.refreshed,
            &mut self.refresh_reuses_revoking,
            &mut self.foreign_refused,
            &mut self.client_credentials,
            &mut self.impersonated,
            &mut self.expired_refused,
            &mut self.revoked_refused,
            &mut self.scope_refused,
            &mut self.auth_refused,
            &mut self.clients_removed_with_grants,
            &mut self.malformed,
            &mut self.access_tokens_dead,
            &mut self.access_tokens,
            &mut self.revoked_by_owner,
            &mut self.revoked_nothing,
            &mut self.revoke_stranger_refused,
            &mut self.introspected_own,
            &mut self.introspected_any,
            &mut self.introspected_hidden,
            &mut self.introspected_dead,
            &mut self.introspect_refused,
        ];
        for (f, (_, n)) in mine.into_iter().zip(other.fields()) {
            *f += n;
        }
    }
}

struct Violation {
    step: usize,
    tags: u16,
    message: String,
}

/// Why a grant was revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cause {
    CodeReplay,
    RefreshReuse,
    ClientRemoved,
    /// Its owner revoked one of its tokens at the revocation endpoint (RFC 7009 §2.1).
    Revoked,
}

impl Cause {
    /// The invariants a token of a grant revoked this way breaks when still accepted.
    const fn tags(self) -> u16 {
        match self {
            Self::CodeReplay => tag::LIFETIME | tag::CODE_ONCE,
            Self::RefreshReuse => tag::LIFETIME | tag::ROTATION,
            Self::ClientRemoved => tag::LIFETIME,
            Self::Revoked => tag::LIFETIME | tag::REVOKED,
        }
    }
}

struct MGrant {
    client: usize,
    /// The scope first granted (the approved scope of a code): nothing of the grant may exceed it.
    scope: Scopes,
    revoked: Option<Cause>,
    /// Another client presented one of its credentials.
    foreign_touch: bool,
    /// Another client tried to revoke one of its tokens.
    stranger_touch: bool,
    /// A malformed request presented one of its credentials.
    mangled: bool,
    id: Option<GrantId>,
}

struct MCode {
    secret: String,
    grant: usize,
    client: usize,
    subject: &'static str,
    scope: Scopes,
    redirect_uri: String,
    redirect_sent: bool,
    verifier: Option<usize>,
    expires_at: u64,
    used: bool,
    successes: u32,
}

struct MAccess {
    secret: String,
    grant: usize,
    client: usize,
    subject: Subject,
    actor: Option<&'static str>,
    scope: Scopes,
    issued_at: u64,
    expires_at: u64,
}

struct MRefresh {
    digest: TokenDigest,
    secret: String,
    grant: usize,
    client: usize,
    subject: String,
    scope: Scopes,
    issued_at: u64,
    expires_at: u64,
    used: bool,
}

/// What the model knows of a presented value.
#[derive(Clone, Copy, Debug)]
enum Known {
    Code(usize),
    Access(usize),
    Refresh(usize),
    Nothing,
}

/// A refusal the model predicts: status, error code, the invariants that break if the request
/// succeeds instead, the CORS origin the answer must name, and what it changes.
struct Refusal {
    status: u16,
    code: &'static str,
    tags: u16,
    cors: Option<&'static str>,
    effect: Effect,
}

impl Refusal {
    const fn new(status: u16, code: &'static str, tags: u16) -> Self {
        Self { status, code, tags, cors: None, effect: Effect::Nothing }
    }

    const fn cors(mut self, cors: Option<&'static str>) -> Self {
        self.cors = cors;
        self
    }

    const fn effect(mut self, effect: Effect) -> Self {
        self.effect = effect;
        self
    }
}

#[derive(Clone, Copy)]
enum Effect {
    Nothing,
    /// The code was taken (marked used) although the request failed.
    Burn(usize),
    Revoke(usize, Cause),
    /// Another client presented a credential of this grant.
    Touch(usize),
    /// Another client tried to revoke a token of this grant.
    Stranger(usize),
}

/// Tokens the model predicts.
struct Issue {
    /// The grant continued, or `None` for a new one.
    grant: Option<usize>,
    client: usize,
    subject: Subject,
    actor: Option<&'static str>,
    scope: Scopes,
    /// What the scope may never exceed (invariant 3).
    bound: Scopes,
    /// A refresh token: its scope and absolute expiry.
    refresh: Option<(Scopes, u64)>,
    /// The code or refresh token used up.
    consume: Known,
    cors: Option<&'static str>,
    /// The invariants an unexpected refusal breaks.
    liveness: u16,
}

/// The authorization endpoint's predicted answer.
enum AuthzExpect {
    /// 400 JSON, no redirect (unknown client, bad redirect URI).
    Json,
    Redirect {
        uri: String,
        sent: bool,
        /// The scope `NeedOwner` asks for, if it is reached.
        asked: Option<Scopes>,
        /// A code (its scope, verifier, subject) or the error code.
        outcome: Result<(Scopes, Option<usize>, &'static str), &'static str>,
        /// The invariants broken if a code is issued although an error is expected.
        tags: u16,
    },
}

struct Presented {
    value: String,
    known: Known,
}

struct World<S> {
    config: Arc<Config>,
    mode: Mode,
    /// The resource server's own copy of the HS256 key (JWT modes).
    verifier: Option<Hs256Signer>,
    sabotage: Option<Sabotage>,
    store: S,
    now: u64,
    registered: [bool; N_CLIENTS],
    /// Each client's allowed scopes as currently registered.
    allowed: [Scopes; N_CLIENTS],
    grants: Vec<MGrant>,
    codes: Vec<MCode>,
    access: Vec<MAccess>,
    refresh: Vec<MRefresh>,
    grant_ids: HashMap<GrantId, usize>,
    step: usize,
    /// Set while a malformed operation runs: every violation then breaks invariant 6 too.
    malformed: bool,
    violations: Vec<Violation>,
    stats: Stats,
    /// Access tokens the sweep has seen inactive.
    dead: Vec<bool>,
}

impl<S: Admin> World<S> {
    fn stats(&self) -> Stats {
        Stats {
            access_tokens: self.access.len(),
            access_tokens_dead: self.dead.iter().filter(|d| **d).count(),
            ..self.stats
        }
    }

    fn new(store: S, mode: Mode, sabotage: Option<Sabotage>) -> Self {
        let lifetimes = Lifetimes {
            access_token: ACCESS_LIFETIME,
            authorization_code: CODE_LIFETIME,
            refresh_token: REFRESH_LIFETIME,
        };
        let signer = |key: &[u8]| {
            Hs256Signer::new(key, Some(JWT_KID.to_owned())).expect("invariant: the fixture's keys are 32 bytes")
        };
        let config = Config::new(ISSUER, Arc::new(SeededEntropy::new(SEED)))
            .and_then(|c| c.with_lifetimes(lifetimes))
            .and_then(|c| match mode {
                Mode::Opaque => Ok(c),
                Mode::Jwt => c.with_jwt_access_tokens(Arc::new(signer(&JWT_KEY))),
                Mode::JwtForeignKey => c.with_jwt_access_tokens(Arc::new(signer(&OTHER_JWT_KEY))),
            })
            .expect("invariant: the fixture's issuer, lifetimes and signer are valid");
        Self {
            config: Arc::new(config),
            mode,
            verifier: (mode != Mode::Opaque).then(|| signer(&JWT_KEY)),
            sabotage,
            store,
            now: T0,
            registered: [true; N_CLIENTS],
            allowed: std::array::from_fn(|c| scopes(CLIENTS[c].scopes.iter().copied())),
            grants: Vec::new(),
            codes: Vec::new(),
            access: Vec::new(),
            refresh: Vec::new(),
            grant_ids: HashMap::new(),
            step: 0,
            malformed: false,
            violations: Vec::new(),
            stats: Stats::default(),
            dead: Vec::new(),
        }
    }

    fn fail(&mut self, tags: u16, message: impl Into<String>) {
        let mut tags = tags | tag::MODEL;
        if self.malformed {
            tags |= tag::MALFORMED;
        }
        self.violations.push(Violation { step: self.step, tags, message: message.into() });
    }

    fn report(&self) -> String {
        let mut out = String::new();
        for v in &self.violations {
            let names: Vec<&str> = tag::NAMES.iter().filter(|(t, _)| v.tags & t != 0).map(|(_, n)| *n).collect();
            let _ = writeln!(out, "op #{} [{}]: {}", v.step, names.join(", "), v.message);
        }
        out
    }

    fn time(&self) -> UnixTime {
        UnixTime::from_secs(self.now)
    }

    /// `t+N`: the current time relative to the start, for messages.
    fn at(&self) -> String {
        format!("t+{}", self.now - T0)
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Flow(f) => self.flow(f),
            Op::Authorize(o) => self.authorize(o),
            Op::Redeem(o) => self.redeem(o),
            Op::Refresh(o) => self.refresh_op(o),
            Op::ClientCredentials(o) => self.client_credentials(o),
            Op::Impersonate(o) => self.impersonate(o),
            Op::Resource(o) => self.resource(o),
            Op::Revoke(o) => self.revoke(o),
            Op::Introspect(o) => self.introspect(o),
            Op::Advance(secs) => self.now += secs,
            Op::RemoveClient(c) => self.remove_client(*c % CLIENTS.len()),
            Op::ReinsertClient(c) => self.reinsert_client(*c % CLIENTS.len()),
            Op::Reregister { client, drop } => self.reregister(*client % CLIENTS.len(), *drop),
            Op::Malformed(m) => self.malformed_op(m),
        }
    }

    // ---- credentials and clients -------------------------------------------------------------

    fn present(&self, cred: Cred) -> Presented {
        let found = match cred {
            Cred::Code(p) => p.resolve(self.codes.len()).map(|i| (self.codes[i].secret.clone(), Known::Code(i))),
            Cred::Access(p) => p.resolve(self.access.len()).map(|i| (self.access[i].secret.clone(), Known::Access(i))),
            Cred::Refresh(p) => {
                p.resolve(self.refresh.len()).map(|i| (self.refresh[i].secret.clone(), Known::Refresh(i)))
            }
            Cred::Garbage => None,
        };
        match found {
            Some((value, known)) => Presented { value, known },
            None => Presented { value: GARBAGE.to_owned(), known: Known::Nothing },
        }
    }

    fn owner_of(&self, known: Known) -> usize {
        match known {
            Known::Code(i) => self.codes[i].client,
            Known::Access(i) => self.access[i].client,
            Known::Refresh(i) => self.refresh[i].client,
            Known::Nothing => 0,
        }
    }

    fn who(&self, who: Who, known: Known) -> usize {
        match who {
            Who::Owner => self.owner_of(known),
            Who::Client(c) => c % CLIENTS.len(),
        }
    }

    /// The invariants an unexpected failure of a credential of `grant` breaks: a foreign
    /// client's or a malformed request's earlier attempt must not have damaged it.
    fn liveness(&self, grant: usize) -> u16 {
        let g = &self.grants[grant];
        (if g.foreign_touch { tag::CROSS_CLIENT } else { 0 })
            | (if g.stranger_touch { tag::STRANGER } else { 0 })
            | (if g.mangled { tag::MALFORMED } else { 0 })
    }

    /// The token endpoint's checks before any grant runs: client authentication, origin, grant
    /// type. `Ok` carries the origin the answer must allow (CORS).
    fn precheck(&self, r: usize, wire: Wire, grant: GrantType) -> Result<Option<&'static str>, Refusal> {
        let spec = &CLIENTS[r];
        if !matches!(wire.auth, AuthMode::Right | AuthMode::RightPost) {
            return Err(Refusal::new(401, "invalid_client", tag::CROSS_CLIENT));
        }
        if !self.registered[r] {
            return Err(Refusal::new(401, "invalid_client", tag::LIFETIME));
        }
        let origin = origin_value(wire.origin, spec);
        if origin.is_some_and(|o| !spec.origins.contains(&o)) {
            return Err(Refusal::new(400, "invalid_request", 0));
        }
        if !spec.allows(grant) {
            return Err(Refusal::new(400, "unauthorized_client", 0).cors(origin));
        }
        Ok(origin)
    }

    fn token_request(
        &self,
        r: usize,
        wire: Wire,
        grant: &str,
        params: Vec<(&'static str, Option<String>)>,
        lookup: Option<Value>,
    ) -> TokenRequest {
        let spec = &CLIENTS[r];
        let mut pairs = vec![("grant_type".to_owned(), grant.to_owned())];
        let (header, auth) = credentials(spec, wire.auth);
        pairs.extend(auth);
        pairs.extend(params.into_iter().filter_map(|(n, v)| v.map(|v| (n.to_owned(), v))));
        let (content_type, body) = if wire.json {
            let mut map = serde_json::Map::new();
            for (n, v) in pairs {
                map.insert(n, Value::String(v));
            }
            if let Some(l) = lookup {
                map.insert("user_lookup".to_owned(), l);
            }
            ("application/json", Value::Object(map).to_string())
        } else {
            if let Some(l) = lookup {
                pairs.push(("user_lookup".to_owned(), l.to_string()));
            }
            (FORM, form(&pairs))
        };
        TokenRequest::from_http(Some(content_type), header.as_deref(), None, body.as_bytes())
            .with_origin(origin_value(wire.origin, spec))
    }

    fn drive_token(&mut self, request: TokenRequest) -> Option<Response> {
        match drive(&self.store, token::start(&self.config, request, self.time())) {
            Driven::Respond(r) => Some(r),
            Driven::NeedOwner(_) => {
                self.fail(0, "the token endpoint asked for the resource owner");
                None
            }
        }
    }

    /// Sends a token request and checks the answer against `expect`.
    fn exchange(&mut self, label: &str, request: TokenRequest, expect: Result<Issue, Refusal>) {
        let Some(response) = self.drive_token(request) else { return };
        let http = response.to_http();
        trace(|| {
            let want = expect.as_ref().map(|i| &i.scope).map_err(|r| r.code);
            format!("{label}: {} {:?}, expected {want:?}", http.status, error_of(&http))
        });
        match (expect, &response) {
            (Err(refusal), Response::Error(_)) => {
                if self.check_error(label, &http, refusal.status, refusal.code, refusal.cors) {
                    self.count_refusal(&refusal);
                    self.apply_effect(refusal.effect);
                }
            }
            (Err(refusal), Response::Token(t)) => {
                let refresh = if t.refresh_token.is_some() { " and a refresh token" } else { "" };
                self.fail(
                    refusal.tags,
                    format!(
                        "{label}: issued an access token{refresh} (scope {:?}) at {}; expected {} {}",
                        t.scope.as_str(),
                        self.at(),
                        refusal.status,
                        refusal.code
                    ),
                );
            }
            (Ok(issue), Response::Error(_)) => {
                let tags = issue.liveness;
                self.fail(
                    tags,
                    format!(
                        "{label}: refused with {} {:?} at {}; expected tokens with scope {:?}",
                        http.status,
                        error_of(&http),
                        self.at(),
                        issue.scope
                    ),
                );
            }
            (Ok(issue), Response::Token(t)) => self.accept(label, issue, t, &http),
            (_, _) => self.fail(0, format!("{label}: answered with a redirect (status {})", http.status)),
        }
    }

    /// Checks an error answer; whether it is the expected one.
    fn check_error(
        &mut self,
        label: &str,
        http: &HttpResponse,
        status: u16,
        code: &str,
        cors: Option<&'static str>,
    ) -> bool {
        let error = error_of(http);
        if http.status != status || error.as_deref() != Some(code) {
            self.fail(0, format!("{label}: expected {status} {code}, got {} {error:?} at {}", http.status, self.at()));
            return false;
        }
        if header(http, "cache-control") != Some("no-store") {
            self.fail(0, format!("{label}: error without Cache-Control: no-store"));
            return false;
        }
        let acao = header(http, "access-control-allow-origin");
        if acao != cors {
            self.fail(0, format!("{label}: Access-Control-Allow-Origin {acao:?}, expected {cors:?}"));
            return false;
        }
        true
    }

    fn count_refusal(&mut self, refusal: &Refusal) {
        let s = &mut self.stats;
        match (refusal.code, refusal.effect) {
            (_, Effect::Burn(_)) => s.codes_burned += 1,
            (_, Effect::Revoke(_, Cause::CodeReplay)) => s.code_replays_revoking += 1,
            (_, Effect::Revoke(_, _)) => s.refresh_reuses_revoking += 1,
            (_, Effect::Touch(_)) => s.foreign_refused += 1,
            (_, Effect::Stranger(_)) => s.revoke_stranger_refused += 1,
            ("invalid_scope", _) => s.scope_refused += 1,
            ("invalid_client", _) => s.auth_refused += 1,
            _ if refusal.tags & tag::LIFETIME != 0 && refusal.tags & (tag::ROTATION | tag::CODE_ONCE) == 0 => {
                s.expired_refused += 1;
            }
            _ if refusal.tags & tag::LIFETIME != 0 => s.revoked_refused += 1,
            _ => {}
        }
    }

    fn apply_effect(&mut self, effect: Effect) {
        match effect {
            Effect::Nothing => {}
            Effect::Burn(c) => self.codes[c].used = true,
            Effect::Revoke(g, cause) => {
                let grant = &mut self.grants[g];
                if grant.revoked.is_none() {
                    grant.revoked = Some(cause);
                }
            }
            Effect::Touch(g) => self.grants[g].foreign_touch = true,
            Effect::Stranger(g) => {
                self.grants[g].foreign_touch = true;
                self.grants[g].stranger_touch = true;
            }
        }
    }

    /// Checks issued tokens against `issue` and records them.
    fn accept(&mut self, label: &str, issue: Issue, t: &TokenResponse, http: &HttpResponse) {
        let granted: Scopes = t.scope.iter().map(str::to_owned).collect();
        if !granted.is_subset(&issue.bound) {
            self.fail(tag::SCOPE, format!("{label}: granted scope {granted:?} exceeds {:?}", issue.bound));
        } else if granted != issue.scope {
            self.fail(0, format!("{label}: granted scope {granted:?}, expected {:?}", issue.scope));
        }
        if t.token_type != "Bearer" || t.expires_in != ACCESS_LIFETIME {
            let tags = if t.expires_in > ACCESS_LIFETIME { tag::LIFETIME } else { 0 };
            self.fail(tags, format!("{label}: token_type {:?}, expires_in {}", t.token_type, t.expires_in));
        }
        match (&issue.refresh, &t.refresh_token) {
            (None, Some(_)) => {
                let tags = if granted.contains("offline_access") { 0 } else { tag::SCOPE };
                self.fail(tags, format!("{label}: a refresh token was issued (scope {granted:?})"));
            }
            (Some(_), None) => self.fail(0, format!("{label}: no refresh token was issued")),
            _ => {}
        }
        let acao = header(http, "access-control-allow-origin");
        if acao != issue.cors || header(http, "cache-control") != Some("no-store") {
            self.fail(
                0,
                format!("{label}: Access-Control-Allow-Origin {acao:?} (expected {:?}) or no no-store", issue.cors),
            );
        }
        match (issue.consume, issue.actor) {
            (Known::Code(_), _) => self.stats.codes_redeemed += 1,
            (Known::Refresh(_), _) => self.stats.refreshed += 1,
            (_, Some(_)) => self.stats.impersonated += 1,
            (_, None) => self.stats.client_credentials += 1,
        }
        match issue.consume {
            Known::Code(i) => {
                let c = &mut self.codes[i];
                c.used = true;
                c.successes += 1;
                if c.successes > 1 {
                    let n = c.successes;
                    self.fail(tag::CODE_ONCE, format!("{label}: code #{i} yielded tokens {n} times"));
                }
            }
            Known::Refresh(i) => self.refresh[i].used = true,
            Known::Access(_) | Known::Nothing => {}
        }
        let grant = issue.grant.unwrap_or_else(|| {
            self.grants.push(MGrant {
                client: issue.client,
                scope: issue.scope.clone(),
                revoked: None,
                foreign_touch: false,
                stranger_touch: false,
                mangled: false,
                id: None,
            });
            self.grants.len() - 1
        });
        let subject = match &issue.subject {
            Subject::User(s) => s.to_string(),
            _ => String::new(),
        };
        self.access.push(MAccess {
            secret: t.access_token.expose().to_owned(),
            grant,
            client: issue.client,
            subject: issue.subject,
            actor: issue.actor,
            scope: issue.scope,
            issued_at: self.now,
            expires_at: self.now + ACCESS_LIFETIME,
        });
        self.check_token_form(label, self.access.len() - 1);
        if let (Some((scope, expires_at)), Some(rt)) = (issue.refresh, &t.refresh_token) {
            self.refresh.push(MRefresh {
                digest: rt.digest(),
                secret: rt.expose().to_owned(),
                grant,
                client: issue.client,
                subject,
                scope,
                issued_at: self.now,
                expires_at,
                used: false,
            });
        }
    }

    // ---- the authorization endpoint ----------------------------------------------------------

    fn flow(&mut self, f: &FlowOp) {
        let c = f.client % CLIENTS.len();
        // The pick is over the scopes other than offline_access, which `offline` decides.
        let others: Vec<&str> = CLIENTS[c].scopes.iter().copied().filter(|s| *s != "offline_access").collect();
        let mut tokens: Vec<&str> = match f.scope {
            ScopePick::Sub(m) => {
                others.iter().enumerate().filter(|(i, _)| (m >> i) & 1 == 1).map(|(_, s)| *s).collect()
            }
            _ => others.clone(),
        };
        if tokens.is_empty() {
            tokens = others;
        }
        if f.offline && CLIENTS[c].scopes.contains(&"offline_access") {
            tokens.push("offline_access");
        }
        let mask =
            CLIENTS[c].scopes.iter().enumerate().filter(|(_, s)| tokens.contains(s)).fold(0u8, |m, (i, _)| m | 1 << i);
        let codes = self.codes.len();
        self.authorize(&AuthorizeOp {
            client: c,
            redirect: RedirectChoice::Registered(0),
            scope: ScopePick::Sub(mask),
            pkce: PkceChoice::S256(f.user),
            state: None,
            post: false,
            decision: Decision::Approve { user: f.user, narrow: ScopePick::Omit },
        });
        if self.codes.len() > codes && self.violations.is_empty() {
            self.redeem(&RedeemOp {
                code: Cred::Code(Pick::Latest),
                who: Who::Owner,
                wire: Wire { auth: AuthMode::Right, origin: OriginChoice::Absent, json: false },
                redirect: RedirectMode::AsAuthorized,
                verifier: VerifierMode::Right,
            });
        }
    }

    fn authorize(&mut self, op: &AuthorizeOp) {
        let c = op.client % CLIENTS.len();
        let spec = &CLIENTS[c];
        let redirect = match op.redirect {
            RedirectChoice::Omit => None,
            RedirectChoice::Registered(i) => Some(match spec.redirects {
                [] => "https://unregistered.example/cb".to_owned(),
                r => r[usize::from(i) % r.len()].to_owned(),
            }),
            RedirectChoice::LoopbackPort(p) if c == NATIVE => Some(format!("http://127.0.0.1:{p}/cb")),
            RedirectChoice::LoopbackPort(p) => Some(format!("https://spa.example:{p}/cb")),
            RedirectChoice::Unregistered => Some("https://evil.example/cb".to_owned()),
        };
        let scope = render(op.scope, spec.scopes);
        let (code_challenge, method) = match op.pkce {
            PkceChoice::Absent => (None, None),
            PkceChoice::S256(v) => (Some(challenge(VERIFIERS[usize::from(v) % 3])), Some("S256")),
            PkceChoice::PlainNoMethod(v) => (Some(VERIFIERS[usize::from(v) % 3].to_owned()), None),
            PkceChoice::Malformed => (Some("short".to_owned()), Some("S256")),
        };
        let state = op.state.map(|s| format!("st {s}&x=\u{e9}"));
        let pairs: Vec<(String, String)> = [
            ("client_id", Some(spec.id.to_owned())),
            ("redirect_uri", redirect.clone()),
            ("response_type", Some("code".to_owned())),
            ("scope", scope.as_ref().map(|(w, _)| w.clone())),
            ("code_challenge", code_challenge),
            ("code_challenge_method", method.map(str::to_owned)),
            ("state", state.clone()),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| (n.to_owned(), v)))
        .collect();
        let query = form(&pairs);
        let request = if op.post {
            AuthorizeRequest::from_form(Some(FORM), query.as_bytes())
        } else {
            AuthorizeRequest::from_query(Some(&query))
        };
        let requested = scope.map(|(_, s)| s).filter(|s| !s.is_empty());
        let expect = self.predict_authorize(c, redirect.as_deref(), requested, op.pkce, op.decision);

        let now = self.time();
        let step = authorize::start(&self.config, request, now);
        let mut asked = None;
        let response = match drive(&self.store, step) {
            Driven::Respond(r) => r,
            Driven::NeedOwner(q) => {
                let scope: Scopes = q.scope().iter().map(str::to_owned).collect();
                if q.client().client_id() != spec.id {
                    self.fail(
                        tag::CROSS_CLIENT,
                        format!("authorize: NeedOwner names client {}", q.client().client_id()),
                    );
                }
                let decision = decide(op.decision, &scope, now);
                asked = Some(scope);
                match drive(&self.store, q.resume(decision)) {
                    Driven::Respond(r) => r,
                    Driven::NeedOwner(_) => {
                        self.fail(0, "authorize: asked for the resource owner twice");
                        return;
                    }
                }
            }
        };
        self.check_authorize(op, c, state.as_deref(), &expect, asked.as_ref(), &response);
    }

    fn predict_authorize(
        &self,
        c: usize,
        redirect: Option<&str>,
        requested: Option<Scopes>,
        pkce: PkceChoice,
        decision: Decision,
    ) -> AuthzExpect {
        let spec = &CLIENTS[c];
        if !self.registered[c] {
            return AuthzExpect::Json;
        }
        let (uri, sent) = match redirect {
            Some(u) if redirect_registered(c, u) => (u.to_owned(), true),
            Some(_) => return AuthzExpect::Json,
            None => match spec.redirects {
                [only] => ((*only).to_owned(), false),
                _ => return AuthzExpect::Json,
            },
        };
        let fail = |code: &'static str, tags: u16| AuthzExpect::Redirect {
            uri: uri.clone(),
            sent,
            asked: None,
            outcome: Err(code),
            tags,
        };
        if !spec.allows(GrantType::AuthorizationCode) {
            return fail("unauthorized_client", 0);
        }
        let allowed = &self.allowed[c];
        let scope = match requested {
            None => without(allowed, "offline_access"),
            Some(s) if s.is_subset(allowed) => s,
            Some(_) => return fail("invalid_scope", tag::SCOPE),
        };
        if scope.is_empty() {
            return fail("invalid_scope", tag::SCOPE);
        }
        let verifier = match pkce {
            PkceChoice::Absent if spec.requires_pkce() => return fail("invalid_request", 0),
            PkceChoice::Absent => None,
            PkceChoice::S256(v) => Some(usize::from(v) % 3),
            PkceChoice::PlainNoMethod(_) | PkceChoice::Malformed => return fail("invalid_request", 0),
        };
        let (outcome, tags) = match decision {
            Decision::Deny => (Err("access_denied"), 0),
            Decision::LoginRequired => (Err("login_required"), 0),
            Decision::ConsentRequired => (Err("consent_required"), 0),
            Decision::Approve { user, narrow } => {
                let subject = USERS[usize::from(user) % USERS.len()].subject;
                let tokens: Vec<&str> = scope.iter().map(String::as_str).collect();
                match render(narrow, &tokens) {
                    None => (Ok((scope.clone(), verifier, subject)), 0),
                    Some((_, n)) if !n.is_subset(&scope) => (Err("server_error"), tag::SCOPE),
                    Some((_, n)) if n.is_empty() => (Err("access_denied"), tag::SCOPE),
                    Some((_, n)) => (Ok((n, verifier, subject)), 0),
                }
            }
        };
        AuthzExpect::Redirect { uri, sent, asked: Some(scope), outcome, tags }
    }

    fn check_authorize(
        &mut self,
        op: &AuthorizeOp,
        c: usize,
        state: Option<&str>,
        expect: &AuthzExpect,
        asked: Option<&Scopes>,
        response: &Response,
    ) {
        let http = response.to_http();
        trace(|| {
            let want = match expect {
                AuthzExpect::Json => "400 JSON".to_owned(),
                AuthzExpect::Redirect { outcome, .. } => format!("{:?}", outcome.as_ref().map(|o| &o.0)),
            };
            format!("authorize {}: {}, expected {want}", CLIENTS[c].id, http.status)
        });
        match (expect, response) {
            (AuthzExpect::Json, Response::Error(_)) => {
                if asked.is_some() {
                    self.fail(0, "authorize: asked the resource owner, then answered 400");
                }
                self.check_error("authorize", &http, 400, "invalid_request", None);
            }
            (AuthzExpect::Redirect { uri, sent, asked: want_asked, outcome, tags }, Response::Redirect(r)) => {
                let status = if op.post { 303 } else { 302 };
                let Some(params) = redirect_params(&r.location, uri) else {
                    self.fail(0, format!("authorize: redirect does not go to {uri}"));
                    return;
                };
                if r.status != status {
                    self.fail(0, format!("authorize: redirect status {}, expected {status}", r.status));
                }
                if asked != want_asked.as_ref() {
                    self.fail(
                        if asked.is_some_and(|a| !a.is_subset(&self.allowed[c])) { tag::SCOPE } else { 0 },
                        format!("authorize: asked the owner for {asked:?}, expected {want_asked:?}"),
                    );
                }
                let get = |name: &str| params.get(name).ok().flatten().map(str::to_owned);
                if get("state").as_deref() != state || get("iss").as_deref() != Some(ISSUER) {
                    self.fail(0, "authorize: state not echoed or iss missing");
                }
                match (outcome, get("code"), get("error")) {
                    (Err(code), None, Some(error)) if error == *code => self.stats.error_redirects += 1,
                    (Err(code), Some(_), _) => {
                        self.fail(*tags, format!("authorize: issued a code; expected error {code}"));
                    }
                    (Ok((scope, verifier, subject)), Some(secret), None) => {
                        self.stats.codes_issued += 1;
                        let grant = self.grants.len();
                        self.grants.push(MGrant {
                            client: c,
                            scope: scope.clone(),
                            revoked: None,
                            foreign_touch: false,
                            stranger_touch: false,
                            mangled: false,
                            id: None,
                        });
                        self.codes.push(MCode {
                            secret,
                            grant,
                            client: c,
                            subject,
                            scope: scope.clone(),
                            redirect_uri: uri.clone(),
                            redirect_sent: *sent,
                            verifier: *verifier,
                            expires_at: self.now + CODE_LIFETIME,
                            used: false,
                            successes: 0,
                        });
                    }
                    (outcome, code, error) => self.fail(
                        0,
                        format!(
                            "authorize: redirect with code {} and error {error:?}; expected {:?}",
                            code.is_some(),
                            outcome.as_ref().map(|(s, ..)| s)
                        ),
                    ),
                }
            }
            (AuthzExpect::Json, _) => {
                self.fail(0, format!("authorize: answered {}; expected 400 invalid_request", http.status));
            }
            (AuthzExpect::Redirect { outcome, .. }, _) => self.fail(
                0,
                format!(
                    "authorize: answered {} {:?}; expected a redirect ({:?})",
                    http.status,
                    error_of(&http),
                    outcome.as_ref().err()
                ),
            ),
        }
    }

    // ---- token grants ------------------------------------------------------------------------

    fn redeem(&mut self, op: &RedeemOp) {
        let p = self.present(op.code);
        let r = self.who(op.who, p.known);
        let code = if let Known::Code(i) = p.known { Some(&self.codes[i]) } else { None };
        let redirect = match op.redirect {
            RedirectMode::AsAuthorized => match code {
                Some(c) => c.redirect_sent.then(|| c.redirect_uri.clone()),
                None => CLIENTS[r].redirects.first().map(|s| (*s).to_owned()),
            },
            RedirectMode::AlwaysSend => {
                Some(code.map_or_else(|| "https://web.example/cb".to_owned(), |c| c.redirect_uri.clone()))
            }
            RedirectMode::Omit => None,
            RedirectMode::Other => Some("https://evil.example/cb".to_owned()),
        };
        let verifier = match op.verifier {
            VerifierMode::Right => code.and_then(|c| c.verifier).map(|v| VERIFIERS[v]),
            VerifierMode::Wrong => Some(VERIFIERS[code.and_then(|c| c.verifier).map_or(0, |v| (v + 1) % 3)]),
            VerifierMode::Omit => None,
        };
        let expect = self.predict_redeem(r, op.wire, p.known, redirect.as_deref(), verifier);
        let params =
            vec![("code", Some(p.value)), ("redirect_uri", redirect), ("code_verifier", verifier.map(str::to_owned))];
        let request = self.token_request(r, op.wire, "authorization_code", params, None);
        let label = format!("redeem {:?} as {}", p.known, CLIENTS[r].id);
        self.exchange(&label, request, expect);
    }

    fn predict_redeem(
        &self,
        r: usize,
        wire: Wire,
        known: Known,
        redirect: Option<&str>,
        verifier: Option<&str>,
    ) -> Result<Issue, Refusal> {
        let cors = self.precheck(r, wire, GrantType::AuthorizationCode)?;
        let invalid = |tags: u16| Refusal::new(400, "invalid_grant", tags).cors(cors);
        let Known::Code(i) = known else { return Err(invalid(0)) };
        let c = &self.codes[i];
        let g = &self.grants[c.grant];
        if c.client != r {
            // Missing for another client, and left as it is.
            return Err(invalid(tag::CROSS_CLIENT).effect(Effect::Touch(c.grant)));
        }
        let used = if c.used { tag::CODE_ONCE } else { 0 };
        if let Some(cause) = g.revoked {
            return Err(invalid(used | cause.tags()));
        }
        if self.now >= c.expires_at {
            return Err(invalid(used | tag::LIFETIME));
        }
        if c.used {
            // A replay: revoke the grant when the code's own client proves PKCE again (D13).
            let refusal = invalid(tag::CODE_ONCE);
            return Err(if pkce_ok(c.verifier, verifier) {
                refusal.effect(Effect::Revoke(c.grant, Cause::CodeReplay))
            } else {
                refusal
            });
        }
        // The take marks the code used whatever the checks after it say.
        let redirect_ok = match redirect {
            Some(sent) => sent == c.redirect_uri,
            None => !c.redirect_sent,
        };
        if !redirect_ok || !pkce_ok(c.verifier, verifier) {
            return Err(invalid(0).effect(Effect::Burn(i)));
        }
        // The approved scope, narrowed to what the client is still allowed.
        let scope: Scopes = c.scope.intersection(&self.allowed[r]).cloned().collect();
        let bound = scope.clone();
        if scope.is_empty() {
            return Err(invalid(0).effect(Effect::Burn(i)));
        }
        let refresh = (scope.contains("offline_access") && CLIENTS[r].allows(GrantType::RefreshToken))
            .then(|| (scope.clone(), self.now + REFRESH_LIFETIME));
        Ok(Issue {
            grant: Some(c.grant),
            client: r,
            subject: Subject::User(Arc::from(c.subject)),
            actor: None,
            scope,
            bound,
            refresh,
            consume: known,
            cors,
            liveness: self.liveness(c.grant),
        })
    }

    fn refresh_op(&mut self, op: &RefreshOp) {
        let p = self.present(op.token);
        let r = self.who(op.who, p.known);
        let base: Vec<&str> = match p.known {
            Known::Refresh(i) => self.refresh[i].scope.iter().map(String::as_str).collect(),
            _ => UNIVERSE.to_vec(),
        };
        let scope = render(op.scope, &base);
        let requested = scope.as_ref().map(|(_, s)| s.clone()).filter(|s| !s.is_empty());
        let expect = self.predict_refresh(r, op.wire, p.known, requested);
        let params = vec![("refresh_token", Some(p.value)), ("scope", scope.map(|(w, _)| w))];
        let request = self.token_request(r, op.wire, "refresh_token", params, None);
        let label = format!("refresh {:?} as {}", p.known, CLIENTS[r].id);
        self.exchange(&label, request, expect);
    }

    fn predict_refresh(&self, r: usize, wire: Wire, known: Known, requested: Option<Scopes>) -> Result<Issue, Refusal> {
        let cors = self.precheck(r, wire, GrantType::RefreshToken)?;
        let invalid = |tags: u16| Refusal::new(400, "invalid_grant", tags).cors(cors);
        let Known::Refresh(i) = known else { return Err(invalid(0)) };
        let t = &self.refresh[i];
        let g = &self.grants[t.grant];
        let used = if t.used { tag::ROTATION } else { 0 };
        if let Some(cause) = g.revoked {
            return Err(invalid(used | cause.tags()));
        }
        if self.now >= t.expires_at {
            return Err(invalid(used | tag::LIFETIME));
        }
        if t.used {
            // Reuse of a rotated token: its own client's reuse revokes the grant (D10).
            return Err(if t.client == r {
                invalid(tag::ROTATION).effect(Effect::Revoke(t.grant, Cause::RefreshReuse))
            } else {
                invalid(tag::ROTATION | tag::CROSS_CLIENT).effect(Effect::Touch(t.grant))
            });
        }
        if t.client != r {
            return Err(invalid(tag::CROSS_CLIENT).effect(Effect::Touch(t.grant)));
        }
        let allowed = &self.allowed[r];
        let granted: Scopes = t.scope.intersection(allowed).cloned().collect();
        if !granted.contains("offline_access") {
            return Err(invalid(0));
        }
        if requested.as_ref().is_some_and(|s| !s.is_subset(&granted)) {
            return Err(Refusal::new(400, "invalid_scope", tag::SCOPE).cors(cors));
        }
        let scope = requested.unwrap_or_else(|| granted.clone());
        let bound: Scopes = g.scope.intersection(allowed).filter(|s| scope.contains(*s)).cloned().collect();
        Ok(Issue {
            grant: Some(t.grant),
            client: r,
            subject: Subject::User(Arc::from(t.subject.as_str())),
            actor: None,
            scope,
            bound,
            refresh: Some((granted, t.expires_at)),
            consume: known,
            cors,
            liveness: self.liveness(t.grant),
        })
    }

    fn client_credentials(&mut self, op: &ClientCredentialsOp) {
        let r = op.client % CLIENTS.len();
        let spec = &CLIENTS[r];
        let scope = render(op.scope, spec.scopes);
        let requested = scope.as_ref().map(|(_, s)| s.clone()).filter(|s| !s.is_empty());
        let allowed = self.allowed[r].clone();
        let expect = self.precheck(r, op.wire, GrantType::ClientCredentials).and_then(|cors| {
            let scope = match requested {
                Some(s) if !s.is_subset(&allowed) => {
                    return Err(Refusal::new(400, "invalid_scope", tag::SCOPE).cors(cors));
                }
                Some(s) => s,
                None => without(&allowed, "offline_access"),
            };
            Ok(Issue {
                grant: None,
                client: r,
                subject: Subject::Client(Arc::from(spec.id)),
                actor: None,
                bound: allowed.intersection(&scope).cloned().collect(),
                scope,
                refresh: None,
                consume: Known::Nothing,
                cors,
                liveness: 0,
            })
        });
        let request =
            self.token_request(r, op.wire, "client_credentials", vec![("scope", scope.map(|(w, _)| w))], None);
        self.exchange(&format!("client_credentials as {}", spec.id), request, expect);
    }

    fn impersonate(&mut self, op: &ImpersonateOp) {
        let r = op.client % CLIENTS.len();
        let spec = &CLIENTS[r];
        let scope = render(op.scope, spec.scopes);
        let requested = scope.as_ref().map(|(_, s)| s.clone()).filter(|s| !s.is_empty());
        let allowed = self.allowed[r].clone();
        let user = |i: u8| USERS.get(usize::from(i));
        let lookup = match op.lookup {
            Lookup::UserId(i) => Some(json!({"field": "userId", "value": user(i).map_or("u-nobody", |u| u.id)})),
            Lookup::Subject(i) => {
                Some(json!({"field": "subject", "value": user(i).map_or("auth0|nobody", |u| u.subject)}))
            }
            Lookup::BadField => Some(json!({"field": "email", "value": "alice@example.com"})),
            Lookup::EmptyValue => Some(json!({"field": "userId", "value": ""})),
            Lookup::Missing => None,
        };
        let expect = self.precheck(r, op.wire, GrantType::UserImpersonation).and_then(|cors| {
            let target = match op.lookup {
                Lookup::UserId(i) | Lookup::Subject(i) => user(i),
                Lookup::BadField | Lookup::EmptyValue | Lookup::Missing => {
                    return Err(Refusal::new(400, "invalid_request", 0).cors(cors));
                }
            };
            let scope = match requested {
                Some(s) if !s.is_subset(&allowed) => {
                    return Err(Refusal::new(400, "invalid_scope", tag::SCOPE).cors(cors));
                }
                Some(s) => s,
                None => without(&allowed, "offline_access"),
            };
            let Some(target) = target.filter(|u| !u.disabled) else {
                return Err(Refusal::new(400, "invalid_grant", 0).cors(cors));
            };
            Ok(Issue {
                grant: None,
                client: r,
                subject: Subject::User(Arc::from(target.subject)),
                actor: Some(spec.id),
                bound: allowed.intersection(&scope).cloned().collect(),
                scope,
                refresh: None,
                consume: Known::Nothing,
                cors,
                liveness: 0,
            })
        });
        let request = self.token_request(
            r,
            op.wire,
            "urn:qlik:oauth:user-impersonation",
            vec![("scope", scope.map(|(w, _)| w))],
            lookup,
        );
        self.exchange(&format!("impersonate {:?} as {}", op.lookup, spec.id), request, expect);
    }

    // ---- the resource server, clients, the sweep ---------------------------------------------

    /// The store record of a presented access token, as a resource server in this process
    /// finds it: keyed by `jwt::access_token_key` (a JWT that does not verify has no record).
    fn lookup_access(&self, token: &str) -> Result<Option<AccessTokenRecord>, BearerError> {
        let now = self.time();
        match access_token_key(&self.config, token, now) {
            None => Ok(None),
            Some(key) => self.store.access_token(&key, now).map_err(BearerError::from_store),
        }
    }

    fn resource(&mut self, op: &ResourceOp) {
        let p = self.present(op.token);
        let owner = self.owner_of(p.known);
        let origin = origin_value(op.origin, &CLIENTS[owner]);
        let now = self.time();
        let header = format!("Bearer {}", p.value);
        let outcome = bearer::parse_authorization(Some(&header))
            .and_then(|t| self.lookup_access(t.expose()))
            .and_then(|record| bearer::check(record, now, &ScopeSet::new(), origin));
        let (expected, tags, why) = match p.known {
            Known::Access(i) => {
                let a = &self.access[i];
                let g = &self.grants[a.grant];
                match g.revoked {
                    Some(cause) => (false, cause.tags(), "revoked"),
                    None if self.now >= a.expires_at => (false, tag::LIFETIME, "expired"),
                    None if origin.is_some_and(|o| !CLIENTS[a.client].origins.contains(&o)) => {
                        (false, 0, "from an origin its client does not allow")
                    }
                    None => (true, self.liveness(a.grant), "alive"),
                }
            }
            _ => (false, 0, "not an access token"),
        };
        let label = format!("resource check of {:?} from {origin:?}", p.known);
        match (expected, outcome) {
            (true, Ok(record)) => {
                let Known::Access(i) = p.known else { return };
                let need = ScopeSet::from_tokens(self.access[i].scope.iter())
                    .expect("invariant: the model's scopes come from the universe");
                if bearer::check(Some(record.clone()), now, &need, origin).is_err() {
                    self.fail(tag::SCOPE, format!("{label}: lacks its own scope {need:?}"));
                }
                let more = ScopeSet::from_tokens(self.access[i].scope.iter().map(String::as_str).chain(["unknown"]))
                    .expect("invariant: the model's scopes come from the universe");
                match bearer::check(Some(record), now, &more, origin) {
                    Err(e) if e.status() == 403 && e.code() == Some("insufficient_scope") => {}
                    _ => self.fail(tag::SCOPE, format!("{label}: satisfied a scope it was not granted")),
                }
            }
            (false, Ok(_)) => self.fail(tags, format!("{label}: accepted at {} although {why}", self.at())),
            (true, Err(e)) => self.fail(tags, format!("{label}: refused ({e:?}) at {} although alive", self.at())),
            (false, Err(e)) => {
                let http = e.to_http("model");
                if http.status != 401 || error_of(&http).as_deref() != Some("invalid_token") {
                    self.fail(0, format!("{label}: refused with {} {:?}", http.status, error_of(&http)));
                }
            }
        }
    }

    // ---- the token's form: opaque, or a JWT that verifies with the model's claims ----------

    /// Checks the form of a newly issued access token: 43 base64url characters (opaque), or a
    /// JWT with the model's claims.
    fn check_token_form(&mut self, label: &str, i: usize) {
        let secret = &self.access[i].secret;
        match self.mode {
            Mode::Opaque => {
                let ok = secret.len() == 43 && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
                if !ok {
                    self.fail(0, format!("{label}: AT#{i} is not 43 base64url characters"));
                }
            }
            Mode::Jwt | Mode::JwtForeignKey => {
                if !jwt::looks_like_jwt(secret) {
                    self.fail(tag::JWT, format!("{label}: AT#{i} is not a JWT"));
                } else {
                    self.check_jwt(label, i);
                }
            }
        }
    }

    /// In JWT mode: AT#i verifies with the resource server's key until its expiry (and is
    /// refused as expired from then on), and its claims are the model's (RFC 9068 §2.2).
    fn check_jwt(&mut self, label: &str, i: usize) {
        let Some(verifier) = &self.verifier else { return };
        let now = self.time();
        let a = &self.access[i];
        let spec = &CLIENTS[a.client];
        let outcome = jwt::verify(verifier, &a.secret, Expected::new(ISSUER, ISSUER, now));
        let mut problems: Vec<(u16, String)> = Vec::new();
        match (self.now < a.expires_at, outcome) {
            (true, Ok(claims)) => {
                let scope: Scopes = claims.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
                if !scope.is_subset(&a.scope) {
                    problems.push((tag::JWT | tag::SCOPE, format!("scope {scope:?} exceeds {:?}", a.scope)));
                } else if scope != a.scope {
                    problems.push((tag::JWT, format!("scope {scope:?}, expected {:?}", a.scope)));
                }
                if claims.exp != a.expires_at || claims.iat != a.issued_at {
                    let tags = tag::JWT | if claims.exp > a.expires_at { tag::LIFETIME } else { 0 };
                    problems.push((
                        tags,
                        format!("exp/iat {}/{}, expected {}/{}", claims.exp, claims.iat, a.expires_at, a.issued_at),
                    ));
                }
                if claims.client_id != spec.id {
                    problems.push((
                        tag::JWT | tag::CROSS_CLIENT,
                        format!("client_id {}, issued to {}", claims.client_id, spec.id),
                    ));
                }
                if claims.sub != a.subject.to_sub() || claims.act.as_ref().map(|x| x.sub.as_str()) != a.actor {
                    problems.push((tag::JWT, format!("sub/act {:?}/{:?}", claims.sub, claims.act)));
                }
                if claims.iss != ISSUER || claims.aud != ISSUER {
                    problems.push((tag::JWT, format!("iss/aud {:?}/{:?}", claims.iss, claims.aud)));
                }
                if !claims.allowed_origins.iter().map(String::as_str).eq(spec.origins.iter().copied()) {
                    problems.push((tag::JWT, format!("allowed-origins {:?}", claims.allowed_origins)));
                }
                if access_token_key(&self.config, &a.secret, now) != Some(jwt::jti_key(&claims.jti)) {
                    problems.push((tag::JWT, "its store key is not the jti_key of its jti".to_owned()));
                }
                if access_token_key(&self.config, &claims.jti, now) == access_token_key(&self.config, &a.secret, now) {
                    problems.push((tag::JWT, "its bare jti is a usable token".to_owned()));
                }
            }
            (true, Err(e)) => {
                problems
                    .push((tag::JWT | self.liveness(a.grant), format!("does not verify ({e:?}) although unexpired")));
            }
            (false, Ok(_)) => problems.push((tag::JWT | tag::LIFETIME, "verifies after its expiry".to_owned())),
            (false, Err(JwtError::Expired)) => {}
            (false, Err(e)) => problems.push((tag::JWT, format!("after its expiry is refused as {e:?}, not Expired"))),
        }
        let at = self.at();
        for (tags, message) in problems {
            self.fail(tags, format!("{label}: JWT AT#{i} at {at}: {message}"));
        }
    }

    // ---- revocation (RFC 7009) ---------------------------------------------------------------

    fn revoke(&mut self, op: &RevokeOp) {
        let (value, known) = match op.token {
            TokenParam::Send(c) => {
                let p = self.present(c);
                (Some(p.value), p.known)
            }
            TokenParam::Empty => (Some(String::new()), Known::Nothing),
            TokenParam::Missing => (None, Known::Nothing),
        };
        let r = self.who(op.who, known);
        let sent = value.as_deref().is_some_and(|v| !v.is_empty());
        let expect = self.predict_revoke(r, op.wire, known, sent);
        let sender = match self.sabotage {
            Some(Sabotage::StrangerRevokesWithOwnerCredentials) if !matches!(known, Known::Nothing) => {
                self.owner_of(known)
            }
            _ => r,
        };
        let (authorization, mut pairs) = credentials(&CLIENTS[sender], op.wire.auth);
        pairs.extend(value.map(|v| ("token".to_owned(), v)));
        pairs.extend(hint_value(op.hint).map(|h| ("token_type_hint".to_owned(), h.to_owned())));
        let (content_type, body) = encode(&pairs, op.wire.json);
        let request = RevokeRequest::from_http(Some(content_type), authorization.as_deref(), None, body.as_bytes())
            .with_origin(origin_value(op.wire.origin, &CLIENTS[r]));
        let label = format!("revoke {known:?} as {} (hint {:?})", CLIENTS[r].id, op.hint);
        let response = match drive(&self.store, revoke::start(&self.config, request, self.time())) {
            Driven::Respond(r) => r,
            Driven::NeedOwner(_) => return self.fail(0, format!("{label}: asked for the resource owner")),
        };
        let http = response.to_http();
        trace(|| {
            let want = expect.as_ref().map(|(w, _)| w).map_err(|r| r.code);
            format!("{label}: {} {:?}, expected {want:?}", http.status, error_of(&http))
        });
        match (expect, &response) {
            (Ok((what, cors)), Response::Revoked(_)) => {
                let acao = header(&http, "access-control-allow-origin");
                if http.status != 200 || !http.body.is_empty() || header(&http, "cache-control") != Some("no-store") {
                    self.fail(
                        0,
                        format!("{label}: a 200 with status {} and a body of {} bytes", http.status, http.body.len()),
                    );
                } else if acao != cors {
                    self.fail(0, format!("{label}: Access-Control-Allow-Origin {acao:?}, expected {cors:?}"));
                }
                match what {
                    RevokeExpect::Grant(g) => {
                        self.apply_effect(Effect::Revoke(g, Cause::Revoked));
                        self.stats.revoked_by_owner += 1;
                    }
                    RevokeExpect::Nothing => self.stats.revoked_nothing += 1,
                }
            }
            (Ok((what, _)), _) => {
                let tags = match what {
                    RevokeExpect::Grant(g) => self.liveness(g),
                    RevokeExpect::Nothing => 0,
                };
                let error = error_of(&http);
                self.fail(tags, format!("{label}: answered {} {error:?} at {}; expected 200", http.status, self.at()));
            }
            (Err(refusal), Response::Error(_)) => {
                if self.check_error(&label, &http, refusal.status, refusal.code, refusal.cors) {
                    self.count_refusal(&refusal);
                    self.apply_effect(refusal.effect);
                }
            }
            (Err(refusal), Response::Revoked(_)) => self.fail(
                refusal.tags,
                format!("{label}: answered 200 at {}; expected {} {}", self.at(), refusal.status, refusal.code),
            ),
            (Err(refusal), _) => self.fail(0, format!("{label}: answered {}; expected {}", http.status, refusal.code)),
        }
    }

    /// The revocation endpoint's answer (RFC 7009 §2.1, §2.2; D7): client authentication (a
    /// public client by `client_id`), then the token, whose whole grant its own client revokes;
    /// another client's live token is refused and left alone; anything else answers 200.
    fn predict_revoke(
        &self,
        r: usize,
        wire: Wire,
        known: Known,
        sent: bool,
    ) -> Result<(RevokeExpect, Option<&'static str>), Refusal> {
        let spec = &CLIENTS[r];
        if wire.auth == AuthMode::Missing {
            return Err(Refusal::new(401, "invalid_client", tag::CROSS_CLIENT));
        }
        if !sent {
            return Err(Refusal::new(400, "invalid_request", 0));
        }
        if !self.registered[r] {
            return Err(Refusal::new(401, "invalid_client", tag::LIFETIME));
        }
        if wire.auth == AuthMode::Wrong {
            return Err(Refusal::new(401, "invalid_client", tag::CROSS_CLIENT));
        }
        let cors = origin_value(wire.origin, spec);
        if cors.is_some_and(|o| !spec.origins.contains(&o)) {
            return Err(Refusal::new(400, "invalid_request", 0));
        }
        let target = match known {
            Known::Access(i) => {
                let a = &self.access[i];
                (self.grants[a.grant].revoked.is_none() && self.now < a.expires_at).then_some((a.client, a.grant))
            }
            // A rotated refresh token still names its grant (inspect.rs): its client may end it.
            Known::Refresh(i) => {
                let t = &self.refresh[i];
                (self.grants[t.grant].revoked.is_none() && self.now < t.expires_at).then_some((t.client, t.grant))
            }
            Known::Code(_) | Known::Nothing => None,
        };
        match target {
            None => Ok((RevokeExpect::Nothing, cors)),
            Some((owner, g)) if owner == r => Ok((RevokeExpect::Grant(g), cors)),
            Some((_, g)) => Err(Refusal::new(400, "unauthorized_client", tag::STRANGER | tag::CROSS_CLIENT)
                .cors(cors)
                .effect(Effect::Stranger(g))),
        }
    }

    // ---- introspection (RFC 7662) ------------------------------------------------------------

    fn introspect(&mut self, op: &IntrospectOp) {
        let p = self.present(op.token);
        let owner = self.owner_of(p.known);
        let bearer_of = |j: Option<usize>, access: &[MAccess]| {
            let value = j.map_or(GARBAGE, |j| access[j].secret.as_str());
            (Some(format!("Bearer {value}")), Vec::new(), Asker::Bearer(j))
        };
        let (header, mut pairs, asker) = match op.caller {
            Caller::Owner { post } => {
                let (h, p) = credentials(&CLIENTS[owner], if post { AuthMode::RightPost } else { AuthMode::Right });
                (h, p, Asker::Client(owner))
            }
            Caller::Client { client, post } => {
                let c = client % CLIENTS.len();
                let (h, p) = credentials(&CLIENTS[c], if post { AuthMode::RightPost } else { AuthMode::Right });
                (h, p, Asker::Client(c))
            }
            Caller::Bearer(pick) => bearer_of(pick.resolve(self.access.len()), &self.access),
            Caller::IntrospectorBearer => bearer_of(self.access.iter().rposition(|a| a.client == RS), &self.access),
            Caller::Anonymous => (None, Vec::new(), Asker::Nobody),
        };
        pairs.push(("token".to_owned(), p.value));
        pairs.extend(hint_value(op.hint).map(|h| ("token_type_hint".to_owned(), h.to_owned())));
        let (content_type, body) = encode(&pairs, op.json);
        let request = IntrospectRequest::from_http(Some(content_type), header.as_deref(), None, body.as_bytes());
        let expect = self.predict_introspect(asker, p.known);
        let label = format!("introspect {:?} by {asker:?} (hint {:?})", p.known, op.hint);
        let response = match drive(&self.store, introspect::start(&self.config, request, self.time())) {
            Driven::Respond(r) => r,
            Driven::NeedOwner(_) => return self.fail(0, format!("{label}: asked for the resource owner")),
        };
        let http = response.to_http();
        trace(|| format!("{label}: {} {}, expected {expect:?}", http.status, summary(&http)));
        self.check_introspection(&label, &expect, &response, &http);
    }

    /// The introspection endpoint's answer (RFC 7662 §2.1, §2.2, §4): an authenticated
    /// confidential client, or a live bearer token with the introspection scope; then exactly
    /// the members of a live token the caller may see (its own, or any for `rs` and bearer
    /// callers), and exactly `{"active":false}` for everything else.
    fn predict_introspect(&self, asker: Asker, known: Known) -> IntroExpect {
        let (caller, any) = match asker {
            Asker::Nobody => return IntroExpect::refused(401, "invalid_client", false, tag::CROSS_CLIENT),
            Asker::Client(c) if CLIENTS[c].secret.is_none() => {
                return IntroExpect::refused(401, "invalid_client", false, tag::CROSS_CLIENT);
            }
            Asker::Client(c) if !self.registered[c] => {
                return IntroExpect::refused(401, "invalid_client", false, tag::LIFETIME);
            }
            Asker::Client(c) => (Some(c), self.allowed[c].contains(INTROSPECT)),
            Asker::Bearer(None) => return IntroExpect::refused(401, "invalid_token", true, 0),
            Asker::Bearer(Some(j)) => {
                let a = &self.access[j];
                let dead = self.dead_tags(a.grant, a.expires_at, false);
                if dead != 0 {
                    return IntroExpect::refused(401, "invalid_token", true, dead);
                }
                if !a.scope.contains(INTROSPECT) {
                    return IntroExpect::refused(403, "insufficient_scope", true, tag::SCOPE);
                }
                // Only a client acting for itself (client credentials), whose client still
                // exists, is confidential and is still allowed the scope, sees every token.
                let own = a.subject == Subject::Client(Arc::from(CLIENTS[a.client].id)) && a.actor.is_none();
                if !own {
                    return IntroExpect::refused(403, "insufficient_scope", true, tag::INTROSPECTION);
                }
                if !self.registered[a.client] {
                    return IntroExpect::refused(401, "invalid_token", true, tag::LIFETIME);
                }
                if CLIENTS[a.client].secret.is_none() || !self.allowed[a.client].contains(INTROSPECT) {
                    return IntroExpect::refused(403, "insufficient_scope", true, tag::SCOPE);
                }
                (None, true)
            }
        };
        let (owner, grant, dead) = match known {
            Known::Access(i) => {
                let a = &self.access[i];
                (a.client, a.grant, self.dead_tags(a.grant, a.expires_at, false))
            }
            Known::Refresh(i) => {
                let t = &self.refresh[i];
                (t.client, t.grant, self.dead_tags(t.grant, t.expires_at, t.used))
            }
            Known::Code(_) | Known::Nothing => {
                return IntroExpect::Inactive { tags: tag::INTROSPECTION, hidden: false };
            }
        };
        if dead != 0 {
            return IntroExpect::Inactive { tags: tag::INTROSPECTION | dead, hidden: false };
        }
        if !any && caller != Some(owner) {
            return IntroExpect::Inactive { tags: tag::INTROSPECTION | tag::CROSS_CLIENT, hidden: true };
        }
        IntroExpect::Active { token: known, own: caller == Some(owner), liveness: self.liveness(grant) }
    }

    /// The invariants a token breaks when accepted: 0 while it lives; else why it died (its
    /// grant's revocation, its expiry, its rotation).
    fn dead_tags(&self, grant: usize, expires_at: u64, used: bool) -> u16 {
        match self.grants[grant].revoked {
            Some(cause) => cause.tags(),
            None if self.now >= expires_at => tag::LIFETIME,
            None if used => tag::ROTATION,
            None => 0,
        }
    }

    fn check_introspection(&mut self, label: &str, expect: &IntroExpect, response: &Response, http: &HttpResponse) {
        let active = match response {
            Response::Introspection(i) => Some(i.active.is_some()),
            _ => None,
        };
        match (expect, response) {
            (IntroExpect::Refused { status, code, bearer, tags }, _) => {
                let shape_ok = match response {
                    Response::Bearer(e) => *bearer && e.status() == *status && e.code() == Some(*code),
                    Response::Error(_) => {
                        !*bearer && http.status == *status && error_of(http).as_deref() == Some(*code)
                    }
                    _ => false,
                };
                let challenge_ok = match response {
                    Response::Bearer(_) => header(http, "www-authenticate").is_some_and(|c| c.starts_with("Bearer ")),
                    _ => true,
                };
                if shape_ok && challenge_ok {
                    self.stats.introspect_refused += 1;
                } else {
                    let tags = if active == Some(true) { tag::INTROSPECTION | tags } else { 0 };
                    self.fail(
                        tags,
                        format!("{label}: answered {} {}; expected {status} {code}", http.status, summary(http)),
                    );
                }
            }
            (IntroExpect::Inactive { tags, hidden }, Response::Introspection(i)) if i.active.is_none() => {
                if http.status != 200
                    || http.body != r#"{"active":false}"#
                    || header(http, "cache-control") != Some("no-store")
                {
                    self.fail(*tags, format!("{label}: an inactive answer that is not exactly {{\"active\":false}}"));
                } else if *hidden {
                    self.stats.introspected_hidden += 1;
                } else {
                    self.stats.introspected_dead += 1;
                }
            }
            (IntroExpect::Inactive { tags, .. }, _) => {
                self.fail(
                    *tags,
                    format!(
                        "{label}: answered {} {} at {}; expected {{\"active\":false}}",
                        http.status,
                        summary(http),
                        self.at()
                    ),
                );
            }
            (IntroExpect::Active { token, own, liveness }, Response::Introspection(i)) if i.active.is_some() => {
                let problems = self.members_problems(*token, http);
                if problems.is_empty() {
                    if *own {
                        self.stats.introspected_own += 1;
                    } else {
                        self.stats.introspected_any += 1;
                    }
                }
                for (tags, message) in problems {
                    self.fail(tag::INTROSPECTION | tags, format!("{label}: {message}"));
                }
                let _ = liveness;
            }
            (IntroExpect::Active { liveness, .. }, _) => {
                self.fail(
                    *liveness,
                    format!(
                        "{label}: answered {} {} at {}; expected the token's members",
                        http.status,
                        summary(http),
                        self.at()
                    ),
                );
            }
        }
    }

    /// Differences between an active introspection answer and the model's token: exactly the
    /// members RFC 7662 §2.2 names for it (`act` and `allowed-origins` when the token has them),
    /// with the model's values.
    fn members_problems(&self, token: Known, http: &HttpResponse) -> Vec<(u16, String)> {
        let mut problems = Vec::new();
        if http.status != 200 || header(http, "cache-control") != Some("no-store") {
            problems.push((0, format!("an active answer with status {} or without no-store", http.status)));
        }
        let Ok(Value::Object(body)) = serde_json::from_str::<Value>(&http.body) else {
            problems.push((0, "an active answer that is not a JSON object".to_owned()));
            return problems;
        };
        let (mut want, scope, exp) = match token {
            Known::Access(i) => {
                let a = &self.access[i];
                let spec = &CLIENTS[a.client];
                let mut m = json!({
                    "active": true, "client_id": spec.id, "sub": a.subject.to_sub(), "exp": a.expires_at,
                    "iat": a.issued_at, "iss": ISSUER, "aud": ISSUER, "token_type": "Bearer",
                });
                if let Some(actor) = a.actor {
                    m["act"] = json!({ "sub": actor });
                }
                if !spec.origins.is_empty() {
                    m["allowed-origins"] = json!(spec.origins);
                }
                (m, &a.scope, a.expires_at)
            }
            Known::Refresh(i) => {
                let t = &self.refresh[i];
                let m = json!({
                    "active": true, "client_id": CLIENTS[t.client].id, "sub": t.subject, "exp": t.expires_at,
                    "iat": t.issued_at, "iss": ISSUER,
                });
                (m, &t.scope, t.expires_at)
            }
            Known::Code(_) | Known::Nothing => return vec![(0, "an active answer for no token".to_owned())],
        };
        let got_scope: Scopes = body
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| s.split(' ').filter(|t| !t.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default();
        if !got_scope.is_subset(scope) {
            problems.push((tag::SCOPE, format!("scope {got_scope:?} exceeds {scope:?}")));
        } else if &got_scope != scope {
            problems.push((0, format!("scope {got_scope:?}, expected {scope:?}")));
        }
        let Some(want) = want.as_object_mut() else { return problems };
        want.insert("scope".to_owned(), body.get("scope").cloned().unwrap_or(Value::Null));
        for (name, value) in &body {
            match want.get(name) {
                None => problems.push((0, format!("member {name:?} that the token does not have"))),
                Some(w) if w != value => {
                    let tags = match name.as_str() {
                        "exp" if value.as_u64().is_some_and(|v| v > exp) => tag::LIFETIME,
                        "client_id" => tag::CROSS_CLIENT,
                        _ => 0,
                    };
                    problems.push((tags, format!("member {name:?} is {value}, expected {w}")));
                }
                Some(_) => {}
            }
        }
        for name in want.keys() {
            if !body.contains_key(name) {
                problems.push((0, format!("member {name:?} is missing")));
            }
        }
        problems
    }

    fn remove_client(&mut self, c: usize) {
        let existed = self.store.remove_client(CLIENTS[c].id, self.time());
        if existed != self.registered[c] {
            self.fail(0, format!("remove_client({}) answered {existed}", CLIENTS[c].id));
        }
        self.registered[c] = false;
        let mut revoked = false;
        for g in &mut self.grants {
            if g.client == c && g.revoked.is_none() {
                g.revoked = Some(Cause::ClientRemoved);
                revoked = true;
            }
        }
        self.stats.clients_removed_with_grants += usize::from(revoked);
    }

    fn reinsert_client(&mut self, c: usize) {
        let replaced = self.store.insert_client(CLIENTS[c].register());
        if replaced != self.registered[c] {
            self.fail(0, format!("insert_client({}) replaced {replaced}", CLIENTS[c].id));
        }
        self.registered[c] = true;
        self.allowed[c] = scopes(CLIENTS[c].scopes.iter().copied());
    }

    fn reregister(&mut self, c: usize, drop: u8) {
        let spec = &CLIENTS[c];
        let dropped = spec.scopes.get(usize::from(drop) % (spec.scopes.len() + 1));
        let kept: Vec<&str> = spec.scopes.iter().copied().filter(|s| Some(s) != dropped).collect();
        let replaced = self.store.insert_client(spec.register_with(&kept));
        if replaced != self.registered[c] {
            self.fail(0, format!("insert_client({}) replaced {replaced}", spec.id));
        }
        self.registered[c] = true;
        self.allowed[c] = scopes(kept);
    }

    /// Looks up every access token (`TokenStore::access_token` under the key
    /// `jwt::access_token_key` computes, and `bearer::check`; in JWT mode also `jwt::verify`)
    /// and every refresh token (`RefreshStore::refresh_token`, which changes nothing) the model
    /// knows.
    fn sweep(&mut self) {
        let now = self.time();
        for i in 0..self.access.len() {
            if self.verifier.is_some() {
                self.check_jwt(&format!("sweep at {}", self.at()), i);
            }
            let a = &self.access[i];
            let g = &self.grants[a.grant];
            let revoked = g.revoked;
            let alive = revoked.is_none() && self.now < a.expires_at;
            let (grant, touched) = (a.grant, self.liveness(a.grant));
            let record = match access_token_key(&self.config, &a.secret, now) {
                None if alive => {
                    self.fail(tag::JWT | touched, format!("AT#{i} has no store key at {} although alive", self.at()));
                    continue;
                }
                None => None,
                Some(key) => match self.store.access_token(&key, now) {
                    Ok(r) => r,
                    Err(e) => {
                        self.fail(0, format!("access_token(AT#{i}) failed: {e:?}"));
                        continue;
                    }
                },
            };
            match (alive, bearer::check(record, now, &ScopeSet::new(), None)) {
                (true, Ok(record)) => self.check_access_record(i, &record),
                (false, Ok(_)) => {
                    let (tags, why) = match revoked {
                        Some(cause) => (cause.tags(), format!("its grant #{grant} was revoked ({cause:?})")),
                        None => (tag::LIFETIME, "it expired".to_owned()),
                    };
                    self.fail(tags, format!("AT#{i} is accepted at {} although {why}", self.at()));
                }
                (true, Err(e)) => {
                    self.fail(touched, format!("AT#{i} is refused ({e:?}) at {} although alive", self.at()))
                }
                (false, Err(_)) => {}
            }
            if !alive {
                self.dead.resize(self.access.len(), false);
                self.dead[i] = true;
            }
        }
        for i in 0..self.refresh.len() {
            let t = &self.refresh[i];
            let revoked = self.grants[t.grant].revoked;
            let dead = revoked.is_some() || self.now >= t.expires_at;
            let (digest, used, touched) = (t.digest, t.used, self.liveness(t.grant));
            let state = match self.store.refresh_token(&digest, now) {
                Ok(s) => s,
                Err(e) => {
                    self.fail(0, format!("refresh_token(RT#{i}) failed: {e:?}"));
                    continue;
                }
            };
            let dead_tags = revoked.map_or(tag::LIFETIME, Cause::tags);
            match (dead, used, state) {
                (true, _, TokenState::Missing) => {}
                (false, false, TokenState::Active(r)) | (false, true, TokenState::Used(r)) => {
                    self.check_refresh_record(i, &r);
                }
                (true, _, TokenState::Active(_)) => self.fail(
                    dead_tags | if used { tag::ROTATION } else { 0 },
                    format!("RT#{i} is active at {} although revoked ({revoked:?}) or expired", self.at()),
                ),
                (true, _, TokenState::Used(_)) => {
                    self.fail(0, format!("RT#{i} reads as used at {}, expected missing ({revoked:?})", self.at()));
                }
                (false, true, TokenState::Active(_)) => {
                    self.fail(tag::ROTATION, format!("RT#{i} is active again after its rotation"));
                }
                (false, false, TokenState::Used(_)) => {
                    self.fail(touched, format!("RT#{i} reads as rotated although it was never used"));
                }
                (false, _, TokenState::Missing) => {
                    self.fail(touched, format!("RT#{i} is missing at {} although alive", self.at()));
                }
                (_, _, _) => self.fail(0, format!("RT#{i}: an unknown token state")),
            }
        }
    }

    fn check_access_record(&mut self, i: usize, record: &AccessTokenRecord) {
        let a = &self.access[i];
        let spec = &CLIENTS[a.client];
        let scope: Scopes = record.scope.iter().map(str::to_owned).collect();
        let mut problems: Vec<(u16, String)> = Vec::new();
        if &*record.client_id != spec.id {
            problems
                .push((tag::CROSS_CLIENT, format!("AT#{i} names client {}, issued to {}", record.client_id, spec.id)));
        }
        if !scope.is_subset(&a.scope) || !scope.is_subset(&self.grants[a.grant].scope) {
            problems.push((tag::SCOPE, format!("AT#{i} record scope {scope:?} exceeds {:?}", a.scope)));
        } else if scope != a.scope {
            problems.push((0, format!("AT#{i} record scope {scope:?}, expected {:?}", a.scope)));
        }
        if record.subject != a.subject || record.actor.as_deref() != a.actor {
            problems.push((0, format!("AT#{i} record subject/actor {:?}/{:?}", record.subject, record.actor)));
        }
        if record.expires_at != UnixTime::from_secs(a.expires_at) {
            let tags = if record.expires_at > UnixTime::from_secs(a.expires_at) { tag::LIFETIME } else { 0 };
            problems.push((tags, format!("AT#{i} expires at {:?}, expected {}", record.expires_at, a.expires_at)));
        }
        if !record.allowed_origins.iter().map(String::as_str).eq(spec.origins.iter().copied()) {
            problems.push((0, format!("AT#{i} allowed origins {:?}", record.allowed_origins)));
        }
        let grant = a.grant;
        for (tags, message) in problems {
            self.fail(tags, message);
        }
        self.learn_grant(grant, record.grant_id, &format!("AT#{i}"));
    }

    fn check_refresh_record(&mut self, i: usize, record: &RefreshTokenRecord) {
        let t = &self.refresh[i];
        let spec = &CLIENTS[t.client];
        let scope: Scopes = record.scope.iter().map(str::to_owned).collect();
        let mut problems: Vec<(u16, String)> = Vec::new();
        if &*record.client_id != spec.id {
            problems
                .push((tag::CROSS_CLIENT, format!("RT#{i} names client {}, issued to {}", record.client_id, spec.id)));
        }
        if !scope.is_subset(&self.grants[t.grant].scope) {
            problems.push((tag::SCOPE, format!("RT#{i} scope {scope:?} exceeds its grant's")));
        } else if scope != t.scope {
            problems.push((0, format!("RT#{i} scope {scope:?}, expected {:?}", t.scope)));
        }
        if &*record.subject != t.subject.as_str() {
            problems.push((0, format!("RT#{i} subject {}", record.subject)));
        }
        if record.expires_at != UnixTime::from_secs(t.expires_at) {
            let tags = if record.expires_at > UnixTime::from_secs(t.expires_at) { tag::LIFETIME } else { 0 };
            problems.push((tags, format!("RT#{i} expires at {:?}, expected {}", record.expires_at, t.expires_at)));
        }
        let grant = t.grant;
        for (tags, message) in problems {
            self.fail(tags, message);
        }
        self.learn_grant(grant, record.grant_id, &format!("RT#{i}"));
    }

    /// Every credential of one model grant carries one grant id, and no two grants share one.
    fn learn_grant(&mut self, grant: usize, id: GrantId, what: &str) {
        match (self.grant_ids.get(&id).copied(), self.grants[grant].id) {
            (Some(g), _) if g != grant => {
                let tags = if self.grants[g].client == self.grants[grant].client { 0 } else { tag::CROSS_CLIENT };
                self.fail(tags, format!("{what} of grant #{grant} carries the grant id of grant #{g}"));
            }
            (Some(_), _) => {}
            (None, Some(_)) => self.fail(0, format!("{what} carries another grant id than the rest of grant #{grant}")),
            (None, None) => {
                self.grants[grant].id = Some(id);
                self.grant_ids.insert(id, grant);
            }
        }
    }

    // ---- malformed input ---------------------------------------------------------------------

    fn malformed_op(&mut self, m: &Malformed) {
        self.stats.malformed += 1;
        match m {
            Malformed::TokenBytes { content_type, body, authorization, query } => {
                let request = TokenRequest::from_http(*content_type, authorization.as_deref(), query.as_deref(), body);
                self.expect_token_refusal("token endpoint, random bytes", request, None);
            }
            Malformed::TokenParams { pairs, json, authorization } => {
                let (content_type, body) =
                    if *json { ("application/json", json_object(pairs)) } else { (FORM, raw_form(pairs)) };
                let request =
                    TokenRequest::from_http(Some(content_type), authorization.as_deref(), None, body.as_bytes());
                self.expect_token_refusal("token endpoint, dictionary parameters", request, None);
            }
            Malformed::AuthorizeQuery(q) => {
                self.expect_authorize_refusal("authorize, random query", AuthorizeRequest::from_query(Some(q)), false);
            }
            Malformed::AuthorizeParams { pairs, post } => {
                let q = raw_form(pairs);
                let request = if *post {
                    AuthorizeRequest::from_form(Some(FORM), q.as_bytes())
                } else {
                    AuthorizeRequest::from_query(Some(&q))
                };
                self.expect_authorize_refusal("authorize, dictionary parameters", request, *post);
            }
            Malformed::AuthorizeBytes { content_type, body } => {
                let request = AuthorizeRequest::from_form(*content_type, body);
                self.expect_authorize_refusal("authorize, random body", request, true);
            }
            Malformed::Oversized { endpoint, extra } => {
                let big = "a=".repeat((MAX_INPUT_BYTES + 1 + extra).div_ceil(2));
                match endpoint {
                    0 => {
                        let request = TokenRequest::from_http(Some(FORM), None, None, big.as_bytes());
                        self.expect_token_refusal("token endpoint, oversized body", request, Some(413));
                    }
                    1 => {
                        let request = AuthorizeRequest::from_query(Some(&big));
                        self.expect_authorize_status("authorize, oversized query", request, 414);
                    }
                    _ => {
                        let request = AuthorizeRequest::from_form(Some(FORM), big.as_bytes());
                        self.expect_authorize_status("authorize, oversized form", request, 413);
                    }
                }
            }
            Malformed::Bearer(h) => {
                let now = self.time();
                let outcome = bearer::parse_authorization(Some(h))
                    .and_then(|t| self.lookup_access(t.expose()))
                    .and_then(|record| bearer::check(record, now, &ScopeSet::new(), None));
                match outcome {
                    Ok(_) => self.fail(0, "resource server: a random Authorization header was accepted"),
                    Err(e) => {
                        // Another scheme lacks authentication information (RFC 6750 §3.1): a
                        // bare 401 challenge; anything else names its error.
                        let http = e.to_http("model");
                        let scheme = h.split_once(' ').map_or(h.as_str(), |(s, _)| s);
                        let bare = http.status == 401
                            && !scheme.eq_ignore_ascii_case("bearer")
                            && header(&http, "www-authenticate") == Some(r#"Bearer realm="model""#);
                        if !(matches!(http.status, 400 | 401) && error_of(&http).is_some() || bare) {
                            self.fail(0, format!("resource server: answered {} {:?}", http.status, error_of(&http)));
                        }
                    }
                }
            }
            Malformed::Mangled { token, refresh, how } => self.mangled(*token, *refresh, *how),
            Malformed::InspectParams { introspect, pairs, json, authorization } => {
                let (content_type, body) =
                    if *json { ("application/json", json_object(pairs)) } else { (FORM, raw_form(pairs)) };
                let label = if *introspect {
                    "introspection, dictionary parameters"
                } else {
                    "revocation, dictionary parameters"
                };
                self.expect_inspect_refusal(
                    label,
                    *introspect,
                    content_type,
                    authorization.as_deref(),
                    None,
                    body.as_bytes(),
                );
            }
            Malformed::MangledInspect { token, introspect, how } => self.mangled_inspect(*token, *introspect, *how),
        }
    }

    /// A revocation or introspection request that is malformed: a 4xx error (JSON, or a bearer
    /// refusal at introspection). A dictionary revocation may also answer 200: a public client
    /// names itself by `client_id` alone, and no dictionary value is a real token, so it revokes
    /// nothing (the sweep checks that).
    fn expect_inspect_refusal(
        &mut self,
        label: &str,
        introspect: bool,
        content_type: &str,
        authorization: Option<&str>,
        query: Option<&str>,
        body: &[u8],
    ) -> Option<Response> {
        let now = self.time();
        let step = if introspect {
            introspect::start(
                &self.config,
                IntrospectRequest::from_http(Some(content_type), authorization, query, body),
                now,
            )
        } else {
            revoke::start(&self.config, RevokeRequest::from_http(Some(content_type), authorization, query, body), now)
        };
        let response = match drive(&self.store, step) {
            Driven::Respond(r) => r,
            Driven::NeedOwner(_) => {
                self.fail(0, format!("{label}: asked for the resource owner"));
                return None;
            }
        };
        let http = response.to_http();
        let ok = match &response {
            Response::Error(_) | Response::Bearer(_) => {
                matches!(http.status, 400 | 401 | 413) && error_of(&http).is_some()
            }
            Response::Revoked(_) => !introspect && http.status == 200 && http.body.is_empty(),
            _ => false,
        };
        if !ok {
            self.fail(tag::INTROSPECTION, format!("{label}: answered {} {}", http.status, summary(&http)));
        }
        Some(response)
    }

    /// A well-formed revocation or introspection of a real credential by its owner, broken by
    /// `how`: refused (400, or 401 for an assertion from a public client) before anything is
    /// looked up or revoked.
    fn mangled_inspect(&mut self, token: Cred, introspect: bool, how: Mangle) {
        let p = self.present(token);
        let spec = &CLIENTS[self.owner_of(p.known)];
        let grant = match p.known {
            Known::Code(i) => Some(self.codes[i].grant),
            Known::Access(i) => Some(self.access[i].grant),
            Known::Refresh(i) => Some(self.refresh[i].grant),
            Known::Nothing => None,
        };
        if let Some(g) = grant {
            self.grants[g].mangled = true;
        }
        let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
        let (mut header, mut pairs) = credentials(spec, AuthMode::Right);
        pairs.push(pair("token", &p.value));
        pairs.push(pair("token_type_hint", "access_token"));
        let (mut content_type, mut query, mut tail) = (FORM, None, String::new());
        match how {
            Mangle::Duplicate(i, same) => {
                let (n, v) = pairs[usize::from(i) % pairs.len()].clone();
                pairs.push((n, if same { v } else { "x".to_owned() }));
            }
            Mangle::Query => query = Some("x=1"),
            Mangle::TwoAuthMethods => {
                let secret = spec.secret.unwrap_or("x");
                header = Some(basic(spec.id, secret));
                pairs.push(pair("client_secret", secret));
            }
            Mangle::BadEscape => tail.push_str("&foo=%zz"),
            Mangle::NotUtf8 => tail.push_str("&foo=%FF%FE"),
            Mangle::WrongContentType => content_type = "text/plain",
            Mangle::UnknownGrantType => pairs.push(pair("token_type_hint", "refresh_token")),
            Mangle::Assertion => {
                pairs.push(pair("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
                pairs.push(pair("client_assertion", "eyJhbGciOiJub25lIn0.e30."));
            }
            Mangle::TooManyParams => {
                for i in 0..64 {
                    let _ = write!(tail, "&junk{i}=1");
                }
            }
        }
        let body = form(&pairs) + &tail;
        let endpoint = if introspect { "introspection" } else { "revocation" };
        let label = format!("mangled {endpoint} ({how:?}) {:?}", p.known);
        let response =
            self.expect_inspect_refusal(&label, introspect, content_type, header.as_deref(), query, body.as_bytes());
        if let Some(r) = response {
            if !matches!(r, Response::Error(_)) {
                self.fail(tag::REVOKED, format!("{label}: was not refused"));
            }
        }
    }

    /// A well-formed request of the credential's own client, broken by `how`: refused before
    /// anything is taken, so the sweep (and later requests) must find everything unchanged.
    fn mangled(&mut self, token: Cred, refresh: bool, how: Mangle) {
        let p = self.present(token);
        let spec = &CLIENTS[self.owner_of(p.known)];
        let grant = match p.known {
            Known::Code(i) => Some(self.codes[i].grant),
            Known::Access(i) => Some(self.access[i].grant),
            Known::Refresh(i) => Some(self.refresh[i].grant),
            Known::Nothing => None,
        };
        if let Some(g) = grant {
            self.grants[g].mangled = true;
        }
        let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
        let mut pairs = vec![pair("grant_type", if refresh { "refresh_token" } else { "authorization_code" })];
        let mut header = spec.secret.map(|s| basic(spec.id, s));
        if spec.secret.is_none() {
            pairs.push(pair("client_id", spec.id));
        }
        if refresh {
            pairs.push(pair("refresh_token", &p.value));
        } else {
            pairs.push(pair("code", &p.value));
            if let Known::Code(i) = p.known {
                let c = &self.codes[i];
                if c.redirect_sent {
                    pairs.push(pair("redirect_uri", &c.redirect_uri));
                }
                if let Some(v) = c.verifier {
                    pairs.push(pair("code_verifier", VERIFIERS[v]));
                }
            }
        }
        let (mut content_type, mut query, mut tail) = (FORM, None, String::new());
        match how {
            Mangle::Duplicate(i, same) => {
                let (n, v) = pairs[usize::from(i) % pairs.len()].clone();
                pairs.push((n, if same { v } else { "x".to_owned() }));
            }
            Mangle::Query => query = Some("x=1"),
            Mangle::TwoAuthMethods => {
                let secret = spec.secret.unwrap_or("x");
                header = Some(basic(spec.id, secret));
                pairs.push(pair("client_secret", secret));
            }
            Mangle::BadEscape => tail.push_str("&foo=%zz"),
            Mangle::NotUtf8 => tail.push_str("&foo=%FF%FE"),
            Mangle::WrongContentType => content_type = "text/plain",
            Mangle::UnknownGrantType => pairs[0].1 = "password".to_owned(),
            Mangle::Assertion => {
                pairs.push(pair("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"));
                pairs.push(pair("client_assertion", "eyJhbGciOiJub25lIn0.e30."));
            }
            Mangle::TooManyParams => {
                for i in 0..64 {
                    let _ = write!(tail, "&junk{i}=1");
                }
            }
        }
        let body = form(&pairs) + &tail;
        let request = TokenRequest::from_http(Some(content_type), header.as_deref(), query, body.as_bytes());
        self.expect_token_refusal(&format!("mangled ({how:?}) {:?}", p.known), request, None);
    }

    /// A 400, 401 or 413 JSON error (exactly `status` when given).
    fn expect_token_refusal(&mut self, label: &str, request: TokenRequest, status: Option<u16>) {
        let Some(response) = self.drive_token(request) else { return };
        let http = response.to_http();
        let error = error_of(&http);
        let status_ok = status.map_or(matches!(http.status, 400 | 401 | 413), |s| http.status == s);
        if !matches!(response, Response::Error(_)) || !status_ok || error.is_none() {
            let issued = if matches!(response, Response::Token(_)) { " and issued tokens" } else { "" };
            self.fail(0, format!("{label}: answered {} {error:?}{issued}", http.status));
        }
    }

    fn drive_authorize(&mut self, request: AuthorizeRequest) -> Option<Response> {
        let step = authorize::start(&self.config, request, self.time());
        match drive(&self.store, step) {
            Driven::Respond(r) => Some(r),
            // Only a valid request gets here; the owner denies it.
            Driven::NeedOwner(q) => match drive(&self.store, q.resume(OwnerDecision::Deny)) {
                Driven::Respond(r) => Some(r),
                Driven::NeedOwner(_) => {
                    self.fail(0, "authorize: asked for the resource owner twice");
                    None
                }
            },
        }
    }

    /// A 400 JSON error (413/414 when oversized), or an error redirect to a registered URI
    /// without a code.
    fn expect_authorize_refusal(&mut self, label: &str, request: AuthorizeRequest, post: bool) {
        let Some(response) = self.drive_authorize(request) else { return };
        let http = response.to_http();
        match &response {
            Response::Error(_) => {
                if !matches!(http.status, 400 | 413 | 414) || error_of(&http).is_none() {
                    self.fail(0, format!("{label}: answered {} {:?}", http.status, error_of(&http)));
                }
            }
            Response::Redirect(r) => {
                let registered = CLIENTS
                    .iter()
                    .flat_map(|c| c.redirects.iter())
                    .chain(["http://127.0.0.1:9/cb"].iter())
                    .find_map(|uri| redirect_params(&r.location, uri));
                let ok = registered
                    .is_some_and(|p| p.get("code").ok().flatten().is_none() && p.get("error").ok().flatten().is_some())
                    && r.status == if post { 303 } else { 302 };
                if !ok {
                    self.fail(
                        0,
                        format!("{label}: redirected ({}) without an error or to an unregistered URI", r.status),
                    );
                }
            }
            _ => self.fail(0, format!("{label}: answered {}", http.status)),
        }
    }

    fn expect_authorize_status(&mut self, label: &str, request: AuthorizeRequest, status: u16) {
        let Some(response) = self.drive_authorize(request) else { return };
        let http = response.to_http();
        if !matches!(response, Response::Error(_)) || http.status != status || error_of(&http).is_none() {
            self.fail(0, format!("{label}: answered {} {:?}, expected {status}", http.status, error_of(&http)));
        }
    }
}

/// What a revocation by its sender does (RFC 7009 §2.1).
#[derive(Clone, Copy, Debug)]
enum RevokeExpect {
    /// The sender's own live token: its whole grant is revoked.
    Grant(usize),
    /// An unknown, dead or foreign-kind token: 200 and nothing changes.
    Nothing,
}

/// Who asks the introspection endpoint, as sent.
#[derive(Clone, Copy, Debug)]
enum Asker {
    Client(usize),
    /// A bearer token: one of the model's access tokens, or a value nobody issued.
    Bearer(Option<usize>),
    Nobody,
}

/// The introspection endpoint's predicted answer.
#[derive(Debug)]
enum IntroExpect {
    /// The caller is refused: a JSON OAuth error (`invalid_client`), or a bearer refusal
    /// (RFC 6750 §3.1). `tags`: what breaks when the token is described instead.
    Refused { status: u16, code: &'static str, bearer: bool, tags: u16 },
    /// Exactly `{"active":false}`; `hidden` when the token lives but the caller may not see it.
    Inactive { tags: u16, hidden: bool },
    /// The token's members; `own` when the caller is its client.
    Active { token: Known, own: bool, liveness: u16 },
}

impl IntroExpect {
    const fn refused(status: u16, code: &'static str, bearer: bool, tags: u16) -> Self {
        Self::Refused { status, code, bearer, tags }
    }
}

/// The `Authorization` header and body parameters with which client `spec` authenticates as
/// `auth` says (RFC 6749 §2.3.1; a public client names itself with `client_id`).
fn credentials(spec: &ClientSpec, auth: AuthMode) -> (Option<String>, Vec<(String, String)>) {
    let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
    match (spec.secret, auth) {
        (Some(secret), AuthMode::Right) => (Some(basic(spec.id, secret)), Vec::new()),
        (Some(secret), AuthMode::RightPost) => (None, vec![pair("client_id", spec.id), pair("client_secret", secret)]),
        (Some(_), AuthMode::Wrong) => (Some(basic(spec.id, "wrong-secret")), Vec::new()),
        (None, AuthMode::Right | AuthMode::RightPost) => (None, vec![pair("client_id", spec.id)]),
        (None, AuthMode::Wrong) => (None, vec![pair("client_id", spec.id), pair("client_secret", "wrong-secret")]),
        (_, AuthMode::Missing) => (None, Vec::new()),
    }
}

/// A form or JSON body of string members, and its `Content-Type`.
fn encode(pairs: &[(String, String)], json: bool) -> (&'static str, String) {
    if json {
        let map: serde_json::Map<String, Value> =
            pairs.iter().map(|(n, v)| (n.clone(), Value::String(v.clone()))).collect();
        ("application/json", Value::Object(map).to_string())
    } else {
        (FORM, form(pairs))
    }
}

/// The wire value of a `token_type_hint`.
const fn hint_value(hint: Hint) -> Option<&'static str> {
    match hint {
        Hint::Omit => None,
        Hint::AccessToken => Some("access_token"),
        Hint::RefreshToken => Some("refresh_token"),
        Hint::Unknown => Some("urn:example:unknown-token-type"),
    }
}

/// `error` of a JSON error body, or whether an introspection answer is active, for messages;
/// never a credential.
fn summary(http: &HttpResponse) -> String {
    match serde_json::from_str::<Value>(&http.body) {
        Ok(v) => match (v.get("error"), v.get("active")) {
            (Some(e), _) => format!("error {e}"),
            (None, Some(a)) => format!("active {a}"),
            _ => "a body without error or active".to_owned(),
        },
        Err(_) => format!("a body of {} bytes", http.body.len()),
    }
}

/// With `MODEL_TRACE` set, prints one line per request: what was sent (by model position, never
/// a credential), the answer's status and error code, and the prediction.
fn trace(line: impl FnOnce() -> String) {
    if std::env::var_os("MODEL_TRACE").is_some() {
        eprintln!("model: {}", line());
    }
}

/// The `Origin` a choice sends for a client's request.
fn origin_value(choice: OriginChoice, spec: &ClientSpec) -> Option<&'static str> {
    match choice {
        OriginChoice::Absent => None,
        OriginChoice::Allowed => Some(spec.origins.first().copied().unwrap_or("https://unlisted.example")),
        OriginChoice::Foreign => Some("https://evil.example"),
    }
}

/// The wire value and the set of a scope pick over `base` (bits of the mask select tokens);
/// `None` when the parameter is omitted.
fn render(pick: ScopePick, base: &[&str]) -> Option<(String, Scopes)> {
    let (bits, base, reverse) = match pick {
        ScopePick::Omit => return None,
        ScopePick::Empty => return Some((String::new(), Scopes::new())),
        ScopePick::Sub(m) => (m, base, false),
        ScopePick::Any(m) => (m, &UNIVERSE[..], m & 0x80 != 0),
    };
    let set: Scopes =
        base.iter().enumerate().filter(|(i, _)| *i < 8 && (bits >> i) & 1 == 1).map(|(_, s)| (*s).to_owned()).collect();
    let mut tokens: Vec<&str> = set.iter().map(String::as_str).collect();
    if reverse {
        tokens.reverse();
    }
    Some((tokens.join(" "), set))
}

fn without(set: &Scopes, token: &str) -> Scopes {
    set.iter().filter(|t| *t != token).cloned().collect()
}

fn pkce_ok(verifier: Option<usize>, sent: Option<&str>) -> bool {
    match (verifier, sent) {
        (Some(v), Some(s)) => VERIFIERS[v] == s,
        (None, None) => true,
        _ => false,
    }
}

/// Whether `uri` selects a registered redirect URI of client `c` (D5; RFC 8252 §7.3 loopback
/// ports for the native client).
fn redirect_registered(c: usize, uri: &str) -> bool {
    if CLIENTS[c].redirects.contains(&uri) {
        return true;
    }
    c == NATIVE
        && uri
            .strip_prefix("http://127.0.0.1:")
            .and_then(|rest| rest.split_once('/'))
            .is_some_and(|(port, path)| port.parse::<u16>().is_ok() && path == "cb")
}

fn decide(decision: Decision, asked: &Scopes, now: UnixTime) -> OwnerDecision {
    match decision {
        Decision::Deny => OwnerDecision::Deny,
        Decision::LoginRequired => OwnerDecision::LoginRequired,
        Decision::ConsentRequired => OwnerDecision::ConsentRequired,
        Decision::Approve { user, narrow } => {
            let subject = USERS[usize::from(user) % USERS.len()].subject;
            let approval = Approval::new(subject.to_owned(), now);
            let tokens: Vec<&str> = asked.iter().map(String::as_str).collect();
            let approval = match render(narrow, &tokens) {
                None => approval,
                Some((_, set)) => approval.with_scope(
                    ScopeSet::from_tokens(set.iter()).expect("invariant: the model's scopes come from the universe"),
                ),
            };
            OwnerDecision::Approve(approval)
        }
    }
}

/// The parameters of a redirect to `uri` (its own query included), or `None` when `location`
/// goes elsewhere.
fn redirect_params(location: &str, uri: &str) -> Option<Params> {
    let rest = location.strip_prefix(uri)?;
    if !rest.starts_with(['?', '&']) {
        return None;
    }
    let (_, query) = location.split_once('?')?;
    Params::parse_form(query.as_bytes()).ok()
}

fn error_of(http: &HttpResponse) -> Option<String> {
    let body: Value = serde_json::from_str(&http.body).ok()?;
    body.get("error")?.as_str().map(str::to_owned)
}

fn header<'a>(http: &'a HttpResponse, name: &str) -> Option<&'a str> {
    http.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_ref())
}

/// `name=value&…` exactly as given (no encoding): malformed input stays malformed.
fn raw_form(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&")
}

/// A JSON object of string members, repeats kept.
fn json_object(pairs: &[(String, String)]) -> String {
    let members: Vec<String> =
        pairs.iter().map(|(n, v)| format!("{}:{}", Value::from(n.as_str()), Value::from(v.as_str()))).collect();
    format!("{{{}}}", members.join(","))
}
