//! A minimal in-crate store and helpers for the core's flow tests (oauth-memory is the real
//! store; it depends on this crate, so it cannot be used here).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::*;

#[derive(Default)]
pub(crate) struct TestStore {
    pub(crate) clients: HashMap<String, Arc<Client>>,
    codes: Mutex<HashMap<TokenDigest, (CodeRecord, bool)>>,
    refresh: Mutex<HashMap<TokenDigest, (RefreshTokenRecord, bool)>>,
    access: Mutex<HashMap<TokenDigest, AccessTokenRecord>>,
    revoked: Mutex<HashSet<GrantId>>,
    pub(crate) fail: Mutex<Option<StoreError>>,
    /// Users by (userId, subject, disabled).
    pub(crate) users: Vec<(&'static str, &'static str, bool)>,
}

impl TestStore {
    fn check(&self) -> Result<(), StoreError> {
        match *self.fail.lock().unwrap() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
    fn revoked(&self, g: &GrantId) -> bool {
        self.revoked.lock().unwrap().contains(g)
    }
    pub(crate) fn code_count(&self) -> usize {
        self.codes.lock().unwrap().len()
    }
    pub(crate) fn access_count(&self) -> usize {
        self.access.lock().unwrap().len()
    }
}

impl ClientRegistry for TestStore {
    fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>, StoreError> {
        self.check()?;
        Ok(self.clients.get(client_id).cloned())
    }
    fn origin_registered(&self, origin: &str) -> Result<bool, StoreError> {
        self.check()?;
        Ok(self.clients.values().any(|c| c.allows_origin(origin)))
    }
}

impl UserDirectory for TestStore {
    fn user(&self, lookup: &UserLookup) -> Result<Option<User>, StoreError> {
        self.check()?;
        Ok(self
            .users
            .iter()
            .find(|(id, sub, _)| match lookup.field {
                UserField::UserId => *id == lookup.value,
                _ => *sub == lookup.value,
            })
            .map(|(_, sub, disabled)| if *disabled { User::new(*sub).disabled() } else { User::new(*sub) }))
    }
}

impl CodeStore for TestStore {
    fn take_code(
        &self,
        key: &TokenDigest,
        client_id: &str,
        _now: UnixTime,
    ) -> Result<TokenState<CodeRecord>, StoreError> {
        self.check()?;
        let mut codes = self.codes.lock().unwrap();
        Ok(match codes.get_mut(key) {
            Some((r, _)) if *r.client_id != *client_id => TokenState::Missing,
            Some((r, _)) if self.revoked(&r.grant_id) => TokenState::Missing,
            Some((r, used)) if *used => TokenState::Used(r.clone()),
            Some((r, used)) => {
                *used = true;
                TokenState::Active(r.clone())
            }
            None => TokenState::Missing,
        })
    }
}

impl RefreshStore for TestStore {
    fn refresh_token(&self, key: &TokenDigest, _now: UnixTime) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        self.check()?;
        let map = self.refresh.lock().unwrap();
        Ok(match map.get(key) {
            Some((r, _)) if self.revoked(&r.grant_id) => TokenState::Missing,
            Some((r, true)) => TokenState::Used(r.clone()),
            Some((r, false)) => TokenState::Active(r.clone()),
            None => TokenState::Missing,
        })
    }
    fn take_refresh_token(
        &self,
        key: &TokenDigest,
        _now: UnixTime,
    ) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        self.check()?;
        let mut map = self.refresh.lock().unwrap();
        Ok(match map.get_mut(key) {
            Some((r, _)) if self.revoked(&r.grant_id) => TokenState::Missing,
            Some((r, used)) if *used => TokenState::Used(r.clone()),
            Some((r, used)) => {
                *used = true;
                TokenState::Active(r.clone())
            }
            None => TokenState::Missing,
        })
    }
}

impl TokenStore for TestStore {
    fn persist(&self, writes: Vec<Write>, _now: UnixTime) -> Result<(), StoreError> {
        self.check()?;
        if writes.iter().any(|w| self.revoked(w.grant_id())) {
            return Err(StoreError::GrantRevoked);
        }
        for w in writes {
            match w {
                Write::Code { key, record } => {
                    self.codes.lock().unwrap().insert(key, (record, false));
                }
                Write::AccessToken { key, record } => {
                    self.access.lock().unwrap().insert(key, record);
                }
                Write::RefreshToken { key, record } => {
                    self.refresh.lock().unwrap().insert(key, (record, false));
                }
            }
        }
        Ok(())
    }
    fn revoke_grant(&self, grant_id: &GrantId, _now: UnixTime) -> Result<(), StoreError> {
        self.check()?;
        self.revoked.lock().unwrap().insert(*grant_id);
        Ok(())
    }
    fn access_token(&self, key: &TokenDigest, now: UnixTime) -> Result<Option<AccessTokenRecord>, StoreError> {
        self.check()?;
        Ok(self
            .access
            .lock()
            .unwrap()
            .get(key)
            .filter(|r| !r.expires_at.is_expired_at(now) && !self.revoked(&r.grant_id))
            .cloned())
    }
}

pub(crate) const ISSUER: &str = "https://as.example";
pub(crate) const V: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const C: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The field-case fixtures: client-a (web), client-q (registered query), client-pub (spa),
/// client-native, svc-b (client credentials).
pub(crate) fn fixture() -> (Arc<Config>, TestStore) {
    fixture_with(Arc::new(SeededEntropy::new(42)))
}

pub(crate) fn fixture_with(entropy: Arc<dyn Entropy>) -> (Arc<Config>, TestStore) {
    let config = Arc::new(Config::new(ISSUER, entropy).unwrap());
    let mut store = TestStore::default();
    let web = |id: &str, secret: &str, uris: &[&str], scopes: &[&str], grants: Option<Vec<GrantType>>| {
        Client::register(ClientRegistration {
            client_id: id.into(),
            app_type: Some(AppType::Web),
            secret_digests: vec![TokenDigest::of(secret)],
            redirect_uris: uris.iter().map(|s| (*s).to_owned()).collect(),
            allowed_scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            allowed_grant_types: grants,
            consent: ConsentMethod::Trusted,
            ..Default::default()
        })
        .unwrap()
    };
    let clients = [
        web("client-a", "s3cret", &["https://app.example/cb"], &["read", "write", "offline_access"], None),
        web("client-b", "s3cret-b", &["https://b.example/cb"], &["read", "write", "offline_access"], None),
        web("client-q", "s3cret-q", &["https://app.example/cb?tenant=t1"], &["read"], None),
        web("client-m", "s3cret-m", &["https://app.example/cb", "https://app.example/cb2"], &["read"], None),
        web("svc-b", "s3cret-svcb", &[], &["read"], Some(vec![GrantType::ClientCredentials])),
        web("rs-1", "s3cret-rs", &[], &["introspect", "read"], Some(vec![GrantType::ClientCredentials])),
        Client::register(ClientRegistration {
            client_id: "imp1".into(),
            app_type: Some(AppType::Web),
            secret_digests: vec![TokenDigest::of("s3cret-imp")],
            allowed_scopes: vec!["user_default".into(), "apps:read".into(), "offline_access".into()],
            allowed_grant_types: Some(vec![GrantType::UserImpersonation, GrantType::ClientCredentials]),
            allowed_origins: vec!["https://custom-app.com".into()],
            ..Default::default()
        })
        .unwrap(),
        Client::register(ClientRegistration {
            client_id: "client-pub".into(),
            app_type: Some(AppType::Spa),
            redirect_uris: vec!["https://spa.example/cb".into()],
            allowed_scopes: vec!["read".into(), "write".into(), "offline_access".into()],
            allowed_origins: vec!["https://spa.example".into()],
            ..Default::default()
        })
        .unwrap(),
        Client::register(ClientRegistration {
            client_id: "client-native".into(),
            app_type: Some(AppType::Native),
            redirect_uris: vec!["http://127.0.0.1/cb".into(), "http://[::1]/cb".into()],
            allowed_scopes: vec!["read".into()],
            ..Default::default()
        })
        .unwrap(),
    ];
    for c in clients {
        store.clients.insert(c.client_id().to_owned(), Arc::new(c));
    }
    store.users = vec![("6422bad8022070c06d2417bc", "auth0|u1", false), ("u2-id", "auth0|u2", true)];
    (config, store)
}

pub(crate) fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(id), enc(secret))))
}

pub(crate) fn t(secs: u64) -> UnixTime {
    UnixTime::from_secs(1_700_000_000 + secs)
}

/// Runs an authorization request; a `NeedOwner` is approved by `user-1` authenticated at `now`.
pub(crate) fn authorize(config: &Arc<Config>, store: &TestStore, query: &str, now: UnixTime) -> Response {
    authorize_with(config, store, query, now, |q| OwnerDecision::Approve(Approval::new("user-1".into(), q.now())))
}

pub(crate) fn authorize_with(
    config: &Arc<Config>,
    store: &TestStore,
    query: &str,
    now: UnixTime,
    decide: impl FnOnce(&NeedOwner) -> OwnerDecision,
) -> Response {
    let step = authorize::start(config, AuthorizeRequest::from_query(Some(query)), now);
    match drive(store, step) {
        Driven::Respond(r) => r,
        Driven::NeedOwner(q) => {
            let d = decide(&q);
            match drive(store, q.resume(d)) {
                Driven::Respond(r) => r,
                Driven::NeedOwner(_) => panic!("asked twice for the owner"),
            }
        }
    }
}

pub(crate) fn token(
    config: &Arc<Config>,
    store: &TestStore,
    body: &str,
    auth: Option<&str>,
    now: UnixTime,
) -> Response {
    let req = TokenRequest::from_http(Some("application/x-www-form-urlencoded"), auth, None, body.as_bytes());
    token_request(config, store, req, now)
}

/// Runs a prepared token request to the end.
pub(crate) fn token_request(config: &Arc<Config>, store: &TestStore, req: TokenRequest, now: UnixTime) -> Response {
    match drive(store, token::start(config, req, now)) {
        Driven::Respond(r) => r,
        Driven::NeedOwner(_) => panic!("token endpoint asked for the owner"),
    }
}

pub(crate) fn location(r: &Response) -> &str {
    match r {
        Response::Redirect(r) => &r.location,
        other => panic!("expected a redirect, got {other:?}"),
    }
}

/// The value of `name` in the Location's query.
pub(crate) fn query_param(r: &Response, name: &str) -> Option<String> {
    let loc = location(r);
    let q = loc.split_once('?')?.1;
    form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

pub(crate) fn error_code(r: &Response) -> &str {
    match r {
        Response::Error(e) => e.code.as_str(),
        other => panic!("expected an error, got {other:?}"),
    }
}

pub(crate) fn tokens(r: &Response) -> &TokenResponse {
    match r {
        Response::Token(t) => t,
        other => panic!("expected tokens, got {other:?}"),
    }
}

/// A code for client-a with the App. B challenge and scope `read offline_access`.
pub(crate) fn code_for_client_a(config: &Arc<Config>, store: &TestStore, now: UnixTime) -> String {
    let q = format!(
        "response_type=code&client_id=client-a&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=s1&scope=read%20offline_access&code_challenge={C}&code_challenge_method=S256"
    );
    query_param(&authorize(config, store, &q, now), "code").expect("a code")
}

pub(crate) fn redeem_client_a(config: &Arc<Config>, store: &TestStore, code: &str, now: UnixTime) -> Response {
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier={V}"
    );
    token(config, store, &body, Some(&basic("client-a", "s3cret")), now)
}
