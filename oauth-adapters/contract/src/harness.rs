//! What every rule shares: a fresh store from the factory, the fault-injecting wrapper around
//! it, a core configuration, flows driven through `oauth_core::drive`, and checks that name the
//! rule that failed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{SystemTime, UNIX_EPOCH};

use oauth_core::authorize::Method;
use oauth_core::wire::Params;
use oauth_core::{
    AccessTokenRecord, Approval, AuthorizeRequest, Client, CodeRecord, Config, Driven, Entropy, GrantId,
    IntrospectRequest, OwnerDecision, RefreshTokenRecord, Response, RevokeRequest, Secret, SeededEntropy, Step, Store,
    StoreError, TokenDigest, TokenRequest, TokenResponse, TokenState, UnixTime, User, Write, authorize, drive,
    introspect, revoke, token,
};

use crate::faulty::FaultyStore;
use crate::fixture::{self, ISSUER, REDIRECT_URI, RESOURCE_OWNER};

/// The virtual clock's origin: 2023-11-14T22:13:20Z. Every rule runs at `T0` plus a few
/// seconds, days at most.
pub(crate) const T0: u64 = 1_700_000_000;

/// How many threads the concurrency rules release together (through a barrier) on one code,
/// refresh token or grant: 8.
pub const THREADS: usize = 8;

/// How many codes, refresh tokens or grants each concurrency rule races on, one after the
/// other: 16.
pub const ROUNDS: usize = 16;

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// `T0 + secs`.
pub(crate) const fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(T0 + secs)
}

/// One second before `t`.
pub(crate) const fn before(t: UnixTime) -> UnixTime {
    UnixTime::from_secs(t.as_secs().saturating_sub(1))
}

/// A seed no other harness of this process uses, and unlikely in another process, so that
/// stores that share a backing database still see distinct tokens and keys.
fn fresh_seed() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (u64::from(std::process::id()) << 32) ^ u64::from(nanos)
}

/// The answer of a store call that must succeed; a store error fails the rule.
#[track_caller]
pub(crate) fn ok<T>(answer: Result<T, StoreError>, call: &str) -> T {
    match answer {
        Ok(v) => v,
        Err(e) => panic!("{call}: the store failed ({e}) where it had to answer"),
    }
}

/// The record of an `Active` answer; anything else fails the rule with `what`.
#[track_caller]
pub(crate) fn active<T>(state: TokenState<T>, what: &str) -> T {
    match state {
        TokenState::Active(r) => r,
        other => panic!("{what}: expected Active, got {}", state_name(&other)),
    }
}

/// The record of a `Used` answer; anything else fails the rule with `what`.
#[track_caller]
pub(crate) fn used<T>(state: TokenState<T>, what: &str) -> T {
    match state {
        TokenState::Used(r) => r,
        other => panic!("{what}: expected Used, got {}", state_name(&other)),
    }
}

/// Fails the rule with `what` unless `state` is `Missing`.
#[track_caller]
pub(crate) fn missing<T>(state: &TokenState<T>, what: &str) {
    assert!(matches!(state, TokenState::Missing), "{what}: expected Missing, got {}", state_name(state));
}

/// `Active`, `Used` or `Missing`, without the record.
pub(crate) const fn state_name<T>(state: &TokenState<T>) -> &'static str {
    match state {
        TokenState::Active(_) => "Active",
        TokenState::Used(_) => "Used",
        TokenState::Missing => "Missing",
        _ => "an unknown state",
    }
}

/// The HTTP status and `error` of a response, for messages; never a token or code.
pub(crate) fn outcome(r: &Response) -> String {
    match r {
        Response::Token(_) => "200 with tokens".to_owned(),
        Response::Revoked(_) => "200 (revoked)".to_owned(),
        Response::Introspection(i) if i.active.is_some() => "200 active".to_owned(),
        Response::Introspection(_) => "200 inactive".to_owned(),
        Response::Bearer(e) => format!("{} bearer {}", e.status(), e.code().unwrap_or("without code")),
        Response::Error(e) => format!("{} {}", e.status, e.code),
        Response::Redirect(r) => match redirect_params(&r.location).get("error") {
            Ok(Some(e)) => format!("redirect with error={e}"),
            _ => "a redirect without error".to_owned(),
        },
        _ => "an unknown response".to_owned(),
    }
}

/// The query parameters of a redirect `Location` (empty when it has none or cannot be read).
pub(crate) fn redirect_params(location: &str) -> Params {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    Params::parse_form(query.as_bytes()).unwrap_or_else(|_| Params::from_pairs(Vec::new()))
}

/// The tokens of a successful token response; anything else fails the rule with `what`.
#[track_caller]
pub(crate) fn tokens(r: Response, what: &str) -> TokenResponse {
    match r {
        Response::Token(t) => t,
        other => panic!("{what}: expected 200 with tokens, got {}", outcome(&other)),
    }
}

/// Fails the rule with `what` unless `r` is an error with `code` (the `error` member, RFC 6749
/// §5.2).
#[track_caller]
pub(crate) fn expect_error(r: &Response, code: &str, what: &str) {
    let got = match r {
        Response::Error(e) => Some(e.code.as_str()),
        _ => None,
    };
    assert_eq!(got, Some(code), "{what}: expected error {code}, got {}", outcome(r));
}

/// Runs `f` on [`THREADS`] threads released together; returns their answers in thread order.
pub(crate) fn race<T: Send>(f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let (f, barrier) = (&f, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

/// Tokens of one authorization: the code (already redeemed), the access token and the refresh
/// token it yielded.
pub(crate) struct Issued {
    pub(crate) code: String,
    pub(crate) access: Secret,
    pub(crate) refresh: Secret,
}

/// A fresh store from the factory, wrapped, with a core configuration and seeded entropy.
pub(crate) struct Harness<S> {
    /// The store under test (the concurrency rules call it directly).
    pub(crate) store: Arc<S>,
    /// The same store behind the fault-injecting wrapper (every flow goes through it).
    pub(crate) faulty: FaultyStore<S>,
    config: Arc<Config>,
    keys: SeededEntropy,
}

impl<S: Store + Send + Sync + 'static> Harness<S> {
    /// Asks `factory` for a store with the fixture's clients and users.
    pub(crate) fn new<F>(factory: &F) -> Self
    where
        F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
    {
        let seed = fresh_seed();
        let store = Arc::new(factory(fixture::clients(), fixture::users()));
        let config = Config::new(ISSUER, Arc::new(SeededEntropy::new(seed)))
            .expect("invariant: the fixture issuer is an https URL");
        Self {
            faulty: FaultyStore::new(Arc::clone(&store)),
            store,
            config: Arc::new(config),
            keys: SeededEntropy::new(seed ^ 0x5bd1_e995),
        }
    }

    /// A fresh random digest, as the key of a record the rule writes itself.
    pub(crate) fn key(&self) -> TokenDigest {
        let mut bytes = [0u8; 32];
        self.keys.fill(&mut bytes).expect("invariant: seeded entropy never fails");
        TokenDigest::from_bytes(bytes)
    }

    /// A fresh random grant id.
    pub(crate) fn grant(&self) -> GrantId {
        GrantId::from_digest(&self.key())
    }

    /// Drives `step` through the wrapper.
    pub(crate) fn drive(&self, step: Step) -> Driven {
        drive(&self.faulty, step)
    }

    /// Drives `step` to its response; the token endpoint never stops for the resource owner.
    pub(crate) fn respond(&self, step: Step) -> Response {
        match self.drive(step) {
            Driven::Respond(r) => r,
            Driven::NeedOwner(_) => panic!("the token endpoint asked for the resource owner"),
        }
    }

    /// The first step of an authorization request by `client_id` for `scope` (with the RFC
    /// 7636 Appendix B challenge).
    pub(crate) fn authorize_step(&self, client_id: &str, scope: &str, now: UnixTime) -> Step {
        let pairs = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT_URI),
            ("state", "contract-state"),
            ("scope", scope),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        let params = Params::from_pairs(pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect());
        authorize::start(&self.config, AuthorizeRequest::from_params(params, Method::Get), now)
    }

    /// Approves a [`Driven::NeedOwner`] as [`RESOURCE_OWNER`] and drives on; a response is
    /// returned as it is.
    pub(crate) fn approve(&self, driven: Driven, now: UnixTime) -> Response {
        match driven {
            Driven::Respond(r) => r,
            Driven::NeedOwner(q) => {
                let step = q.resume(OwnerDecision::Approve(Approval::new(RESOURCE_OWNER.to_owned(), now)));
                self.respond(step)
            }
        }
    }

    /// The code of an approved authorization by `client_id` for `scope`.
    #[track_caller]
    pub(crate) fn authorize(&self, client_id: &str, scope: &str, now: UnixTime) -> String {
        let driven = self.drive(self.authorize_step(client_id, scope, now));
        let r = self.approve(driven, now);
        code_of(&r).unwrap_or_else(|| panic!("authorization by {client_id}: expected a code, got {}", outcome(&r)))
    }

    /// A token request by `client_id`, authenticated with its fixture secret in the body
    /// (RFC 6749 §2.3.1), with the extra parameters `params`.
    pub(crate) fn token(&self, client_id: &str, params: &[(&str, &str)], now: UnixTime) -> Response {
        let mut pairs = vec![("client_id".to_owned(), client_id.to_owned())];
        if let Some(secret) = fixture::secret(client_id) {
            pairs.push(("client_secret".to_owned(), secret.to_owned()));
        }
        pairs.extend(params.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())));
        let request = TokenRequest::from_params(Params::from_pairs(pairs), None);
        self.respond(token::start(&self.config, request, now))
    }

    /// Redeems `code` as `client_id`, with the right `redirect_uri` and verifier.
    pub(crate) fn redeem(&self, client_id: &str, code: &str, now: UnixTime) -> Response {
        let params = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ];
        self.token(client_id, &params, now)
    }

    /// Refreshes with `refresh_token` as `client_id`, optionally narrowing to `scope`.
    pub(crate) fn refresh(
        &self,
        client_id: &str,
        refresh_token: &Secret,
        scope: Option<&str>,
        now: UnixTime,
    ) -> Response {
        let mut params = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token.expose())];
        params.extend(scope.map(|s| ("scope", s)));
        self.token(client_id, &params, now)
    }

    /// A client credentials request by `client_id` (RFC 6749 §4.4).
    pub(crate) fn client_credentials(&self, client_id: &str, now: UnixTime) -> Response {
        self.token(client_id, &[("grant_type", "client_credentials"), ("scope", "read")], now)
    }

    /// An impersonation request by `client_id` for the user with `userId` `user_id`.
    pub(crate) fn impersonate(&self, client_id: &str, user_id: &str, now: UnixTime) -> Response {
        let lookup = format!(r#"{{"field":"userId","value":"{user_id}"}}"#);
        let params = [("grant_type", "urn:qlik:oauth:user-impersonation"), ("user_lookup", lookup.as_str())];
        self.token(client_id, &params, now)
    }

    /// A revocation request (RFC 7009) by `client_id` (its fixture secret in the body; a public
    /// client sends `client_id` alone) for `token`, with an optional `token_type_hint`.
    pub(crate) fn revoke(&self, client_id: &str, token: &str, hint: Option<&str>, now: UnixTime) -> Response {
        let mut pairs = vec![("client_id", client_id), ("token", token)];
        pairs.extend(fixture::secret(client_id).map(|s| ("client_secret", s)));
        pairs.extend(hint.map(|h| ("token_type_hint", h)));
        let request = RevokeRequest::from_http(Some(FORM), None, None, form(&pairs).as_bytes());
        self.respond(revoke::start(&self.config, request, now))
    }

    /// An introspection request (RFC 7662) by the confidential client `client_id` for `token`.
    pub(crate) fn introspect(&self, client_id: &str, token: &str, now: UnixTime) -> Response {
        let mut pairs = vec![("client_id", client_id), ("token", token)];
        pairs.extend(fixture::secret(client_id).map(|s| ("client_secret", s)));
        let request = IntrospectRequest::from_http(Some(FORM), None, None, form(&pairs).as_bytes());
        self.respond(introspect::start(&self.config, request, now))
    }

    /// An introspection request for `token` authenticated with `Authorization: Bearer` and the
    /// access token `bearer` (RFC 7662 §2.1).
    pub(crate) fn introspect_as_bearer(&self, bearer: &Secret, token: &str, now: UnixTime) -> Response {
        let header = format!("Bearer {}", bearer.expose());
        let body = form(&[("token", token)]);
        let request = IntrospectRequest::from_http(Some(FORM), Some(&header), None, body.as_bytes());
        self.respond(introspect::start(&self.config, request, now))
    }

    /// An authorization by [`fixture::WEB_A`] for `read offline_access`, redeemed at once.
    #[track_caller]
    pub(crate) fn issue(&self, now: UnixTime) -> Issued {
        let code = self.authorize(fixture::WEB_A, "read offline_access", now);
        let t = tokens(self.redeem(fixture::WEB_A, &code, now), "redeeming a fresh code");
        let refresh = t.refresh_token.unwrap_or_else(|| panic!("a grant with offline_access yields a refresh token"));
        Issued { code, access: t.access_token, refresh }
    }

    /// The last persisted code, access token and refresh token records, as the core built them:
    /// templates for the records a rule writes itself.
    #[track_caller]
    pub(crate) fn templates(&self) -> (CodeRecord, AccessTokenRecord, RefreshTokenRecord) {
        let (mut code, mut access, mut refresh) = (None, None, None);
        for w in self.faulty.persisted() {
            match w {
                Write::Code { record, .. } => code = Some(record),
                Write::AccessToken { record, .. } => access = Some(record),
                Write::RefreshToken { record, .. } => refresh = Some(record),
                _ => {}
            }
        }
        match (code, access, refresh) {
            (Some(c), Some(a), Some(r)) => (c, a, r),
            _ => panic!("templates: a flow must have persisted a code, an access token and a refresh token first"),
        }
    }

    /// The code record persisted under `key` (as the core built it).
    #[track_caller]
    pub(crate) fn persisted_code(&self, key: &TokenDigest) -> CodeRecord {
        self.faulty
            .persisted()
            .into_iter()
            .find_map(|w| match w {
                Write::Code { key: k, record } if k == *key => Some(record),
                _ => None,
            })
            .unwrap_or_else(|| panic!("persisted_code: no code was persisted under this key"))
    }

    /// `store.access_token(key, now)`, which must answer.
    #[track_caller]
    pub(crate) fn access_token(&self, key: &TokenDigest, now: UnixTime) -> Option<AccessTokenRecord> {
        ok(self.store.access_token(key, now), "access_token")
    }

    /// `store.refresh_token(key, now)`, which must answer.
    #[track_caller]
    pub(crate) fn refresh_token(&self, key: &TokenDigest, now: UnixTime) -> TokenState<RefreshTokenRecord> {
        ok(self.store.refresh_token(key, now), "refresh_token")
    }

    /// `store.take_refresh_token(key, now)`, which must answer.
    #[track_caller]
    pub(crate) fn take_refresh_token(&self, key: &TokenDigest, now: UnixTime) -> TokenState<RefreshTokenRecord> {
        ok(self.store.take_refresh_token(key, now), "take_refresh_token")
    }

    /// `store.take_code(key, client_id, now)`, which must answer.
    #[track_caller]
    pub(crate) fn take_code(&self, key: &TokenDigest, client_id: &str, now: UnixTime) -> TokenState<CodeRecord> {
        ok(self.store.take_code(key, client_id, now), "take_code")
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

/// `application/x-www-form-urlencoded` serialization of `pairs` (every byte outside the
/// unreserved set percent-encoded).
fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (j, part) in [name, value].into_iter().enumerate() {
            if j > 0 {
                out.push('=');
            }
            for b in part.bytes() {
                if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// Fails the rule with `what` unless `r` is an introspection answer of exactly `active`.
#[track_caller]
pub(crate) fn expect_introspection(r: &Response, active: bool, what: &str) {
    let ok = matches!(r, Response::Introspection(i) if i.active.is_some() == active);
    let want = if active { "active" } else { "inactive" };
    assert!(ok, "{what}: expected an introspection answer {want}, got {}", outcome(r));
}

/// Fails the rule with `what` unless `r` is a successful revocation (200, RFC 7009 §2.2).
#[track_caller]
pub(crate) fn expect_revoked(r: &Response, what: &str) {
    assert!(matches!(r, Response::Revoked(_)), "{what}: expected 200 (revoked), got {}", outcome(r));
}

/// The `code` of an authorization response, if it is one.
pub(crate) fn code_of(r: &Response) -> Option<String> {
    match r {
        Response::Redirect(r) => redirect_params(&r.location).get("code").ok().flatten().map(str::to_owned),
        _ => None,
    }
}

/// A copy of `template` with `grant_id` and `expires_at`.
pub(crate) fn code_record(template: &CodeRecord, grant_id: GrantId, expires_at: UnixTime) -> CodeRecord {
    let mut record = template.clone();
    record.grant_id = grant_id;
    record.expires_at = expires_at;
    record
}

/// A copy of `template` with `grant_id` and `expires_at`.
pub(crate) fn access_record(
    template: &AccessTokenRecord,
    grant_id: GrantId,
    expires_at: UnixTime,
) -> AccessTokenRecord {
    let mut record = template.clone();
    record.grant_id = grant_id;
    record.expires_at = expires_at;
    record
}

/// A copy of `template` with `grant_id` and `expires_at`.
pub(crate) fn refresh_record(
    template: &RefreshTokenRecord,
    grant_id: GrantId,
    expires_at: UnixTime,
) -> RefreshTokenRecord {
    let mut record = template.clone();
    record.grant_id = grant_id;
    record.expires_at = expires_at;
    record
}

/// A code write with `key`: a copy of `template` with `grant_id` and `expires_at`.
pub(crate) fn code_write(template: &CodeRecord, key: TokenDigest, grant_id: GrantId, expires_at: UnixTime) -> Write {
    Write::Code { key, record: code_record(template, grant_id, expires_at) }
}

/// An access token write with `key`: a copy of `template` with `grant_id` and `expires_at`.
pub(crate) fn access_write(
    template: &AccessTokenRecord,
    key: TokenDigest,
    grant_id: GrantId,
    expires_at: UnixTime,
) -> Write {
    Write::AccessToken { key, record: access_record(template, grant_id, expires_at) }
}

/// A refresh token write with `key`: a copy of `template` with `grant_id` and `expires_at`.
pub(crate) fn refresh_write(
    template: &RefreshTokenRecord,
    key: TokenDigest,
    grant_id: GrantId,
    expires_at: UnixTime,
) -> Write {
    Write::RefreshToken { key, record: refresh_record(template, grant_id, expires_at) }
}
