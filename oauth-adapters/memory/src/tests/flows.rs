//! Whole flows through `oauth_core::drive` against a `MemoryStore`, with seeded entropy and a
//! virtual clock.

use std::sync::{Arc, Barrier};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use oauth_core::wire::Params;
use oauth_core::{
    Approval, AuthorizeRequest, Config, Driven, Entropy, OwnerDecision, RefreshStore, Response, SeededEntropy, Step,
    Subject, TokenDigest, TokenRequest, TokenResponse, TokenState, TokenStore, UnixTime, authorize, drive, token,
};

use super::web_client;
use crate::{MemoryStore, OsEntropy};

/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const FORM: &str = "application/x-www-form-urlencoded";
const REDIRECT: &str = "https%3A%2F%2Fapp.example%2Fcb";

const T0: u64 = 1_700_000_000;

struct Harness {
    config: Arc<Config>,
    store: Arc<MemoryStore>,
    basic: String,
}

impl Harness {
    fn new(entropy: Arc<dyn Entropy>) -> Self {
        let config = Arc::new(Config::new("https://as.example", entropy).expect("valid issuer"));
        let store = Arc::new(MemoryStore::with_clients([web_client("web-a", "s3cret"), web_client("web-b", "other")]));
        Self { config, store, basic: format!("Basic {}", STANDARD.encode("web-a:s3cret")) }
    }

    fn seeded() -> Self {
        Self::new(Arc::new(SeededEntropy::new(42)))
    }

    fn respond(&self, step: Step) -> Response {
        match drive(&*self.store, step) {
            Driven::Respond(r) => r,
            Driven::NeedOwner(_) => panic!("unexpected NeedOwner"),
        }
    }

    fn token_as(&self, basic: &str, body: &str, now: u64) -> Response {
        let request = TokenRequest::from_http(Some(FORM), Some(basic), None, body.as_bytes());
        self.respond(token::start(&self.config, request, UnixTime::from_secs(now)))
    }

    fn token(&self, body: &str, now: u64) -> Response {
        self.token_as(&self.basic, body, now)
    }

    /// Runs the authorization endpoint for `web-a` with the RFC 7636 challenge; returns the code.
    fn authorize(&self, scope: &str, now: u64) -> String {
        let query = format!(
            "response_type=code&client_id=web-a&redirect_uri={REDIRECT}&state=xyz&scope={scope}\
             &code_challenge={CHALLENGE}&code_challenge_method=S256"
        );
        let now = UnixTime::from_secs(now);
        let step = authorize::start(&self.config, AuthorizeRequest::from_query(Some(&query)), now);
        let Driven::NeedOwner(q) = drive(&*self.store, step) else { panic!("expected NeedOwner") };
        let step = q.resume(OwnerDecision::Approve(Approval::new("alice".into(), now)));
        let Response::Redirect(r) = self.respond(step) else { panic!("expected a redirect") };
        let (base, query) = r.location.split_once('?').expect("the redirect has a query");
        assert_eq!(base, "https://app.example/cb");
        let params = Params::parse_form(query.as_bytes()).expect("a well-formed query");
        assert_eq!(params.get("state").unwrap(), Some("xyz"));
        assert_eq!(params.get("iss").unwrap(), Some("https://as.example"));
        params.get("code").unwrap().expect("a code").to_owned()
    }

    fn redeem(&self, code: &str, now: u64) -> Response {
        self.token(
            &format!("grant_type=authorization_code&code={code}&redirect_uri={REDIRECT}&code_verifier={VERIFIER}"),
            now,
        )
    }
}

fn tokens(r: Response) -> TokenResponse {
    match r {
        Response::Token(t) => t,
        other => panic!("expected tokens, got {:?}", other.to_http()),
    }
}

fn error_code(r: &Response) -> String {
    let http = r.to_http();
    let body: serde_json::Value = serde_json::from_str(&http.body).expect("JSON error body");
    body["error"].as_str().expect("an error member").to_owned()
}

fn key(secret: &oauth_core::Secret) -> TokenDigest {
    secret.digest()
}

#[test]
fn client_credentials_issues_a_stored_access_token() {
    let h = Harness::seeded();
    let r = h.token("grant_type=client_credentials&scope=read", T0);
    let http = r.to_http();
    assert_eq!(http.status, 200);
    assert!(http.headers.contains(&("cache-control", "no-store".into())));
    let t = tokens(r);
    assert!(t.refresh_token.is_none(), "client credentials never get a refresh token");
    let record = h.store.access_token(&key(&t.access_token), UnixTime::from_secs(T0)).unwrap().expect("stored");
    assert_eq!(record.subject, Subject::Client("web-a".into()));
    assert_eq!(record.scope.to_string(), "read");
    assert!(h.store.access_token(&key(&t.access_token), UnixTime::from_secs(T0 + 3600)).unwrap().is_none());

    // A wrong secret: 401 with a challenge, nothing stored.
    let bad = format!("Basic {}", STANDARD.encode("web-a:wrong"));
    let r = h.token_as(&bad, "grant_type=client_credentials", T0);
    assert_eq!(r.to_http().status, 401);
    assert_eq!(h.store.access_token_count(), 1);
}

#[test]
fn authorization_code_with_pkce_then_refresh_rotation() {
    let h = Harness::seeded();
    let code = h.authorize("read%20offline_access", T0);
    assert_eq!(h.store.code_count(), 1);
    let t1 = tokens(h.redeem(&code, T0 + 1));
    let rt1 = t1.refresh_token.clone().expect("offline_access yields a refresh token");
    let at1 = h.store.access_token(&key(&t1.access_token), UnixTime::from_secs(T0 + 1)).unwrap().expect("stored");
    assert_eq!(at1.subject, Subject::User("alice".into()));
    assert_eq!(t1.scope.to_string(), "offline_access read");

    // A wrong verifier for a fresh code is refused and issues nothing.
    let code2 = h.authorize("read", T0 + 2);
    let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj";
    let r = h.token(
        &format!("grant_type=authorization_code&code={code2}&redirect_uri={REDIRECT}&code_verifier={wrong}"),
        T0 + 2,
    );
    assert_eq!(error_code(&r), "invalid_grant");

    // Refresh rotates: RT1 becomes used, RT2 active, the scope stays the grant's.
    let r = h.token(&format!("grant_type=refresh_token&refresh_token={}", rt1.expose()), T0 + 10);
    let t2 = tokens(r);
    let rt2 = t2.refresh_token.clone().expect("rotation issues a new refresh token");
    assert_ne!(rt1.expose(), rt2.expose());
    let now = UnixTime::from_secs(T0 + 10);
    assert!(matches!(h.store.refresh_token(&key(&rt1), now).unwrap(), TokenState::Used(_)));
    assert!(matches!(h.store.refresh_token(&key(&rt2), now).unwrap(), TokenState::Active(_)));
    assert!(h.store.access_token(&key(&t2.access_token), now).unwrap().is_some());

    // Narrowing applies to the access token only.
    let t3 = tokens(h.token(&format!("grant_type=refresh_token&refresh_token={}&scope=read", rt2.expose()), T0 + 20));
    assert_eq!(t3.scope.to_string(), "read");
    let rt3 = t3.refresh_token.clone().expect("rotation issues a new refresh token");
    let now = UnixTime::from_secs(T0 + 20);
    let TokenState::Active(r3) = h.store.refresh_token(&key(&rt3), now).unwrap() else { panic!("RT3 active") };
    assert_eq!(r3.scope.to_string(), "offline_access read");

    // Reuse of the rotated RT1 revokes the whole grant, including the first access token.
    let r = h.token(&format!("grant_type=refresh_token&refresh_token={}", rt1.expose()), T0 + 30);
    assert_eq!(error_code(&r), "invalid_grant");
    let now = UnixTime::from_secs(T0 + 30);
    for at in [&t1.access_token, &t2.access_token, &t3.access_token] {
        assert!(h.store.access_token(&key(at), now).unwrap().is_none());
    }
    assert_eq!(h.store.refresh_token(&key(&rt3), now).unwrap(), TokenState::Missing);
    let r = h.token(&format!("grant_type=refresh_token&refresh_token={}", rt3.expose()), T0 + 31);
    assert_eq!(error_code(&r), "invalid_grant");
    h.store.check_invariants();
}

#[test]
fn code_replay_revokes_the_tokens_it_issued() {
    let h = Harness::seeded();
    let code = h.authorize("read%20offline_access", T0);
    let t = tokens(h.redeem(&code, T0 + 1));
    let rt = t.refresh_token.clone().expect("a refresh token");
    let now = UnixTime::from_secs(T0 + 1);
    assert!(h.store.access_token(&key(&t.access_token), now).unwrap().is_some());

    let r = h.redeem(&code, T0 + 2);
    assert_eq!(error_code(&r), "invalid_grant");
    let now = UnixTime::from_secs(T0 + 2);
    assert!(h.store.access_token(&key(&t.access_token), now).unwrap().is_none());
    assert_eq!(h.store.refresh_token(&key(&rt), now).unwrap(), TokenState::Missing);
    let r = h.token(&format!("grant_type=refresh_token&refresh_token={}", rt.expose()), T0 + 3);
    assert_eq!(error_code(&r), "invalid_grant");
    assert_eq!(h.store.revoked_grant_count(), 1);
    h.store.check_invariants();
}

#[test]
fn another_clients_replay_does_not_revoke() {
    let h = Harness::seeded();
    let code = h.authorize("read", T0);
    let t = tokens(h.redeem(&code, T0 + 1));
    let other = format!("Basic {}", STANDARD.encode("web-b:other"));
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri={REDIRECT}&code_verifier={VERIFIER}");
    assert_eq!(error_code(&h.token_as(&other, &body, T0 + 2)), "invalid_grant");
    assert!(h.store.access_token(&key(&t.access_token), UnixTime::from_secs(T0 + 2)).unwrap().is_some());
}

#[test]
fn an_expired_code_is_refused() {
    let h = Harness::seeded();
    let code = h.authorize("read", T0);
    assert_eq!(error_code(&h.redeem(&code, T0 + 60)), "invalid_grant");
}

#[test]
fn concurrent_redemptions_of_one_code_issue_tokens_once() {
    const THREADS: usize = 16;
    let h = Arc::new(Harness::new(Arc::new(OsEntropy::new())));
    let code = Arc::new(h.authorize("read%20offline_access", T0));
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (h, code, barrier) = (Arc::clone(&h), Arc::clone(&code), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                h.redeem(&code, T0 + 1).to_http().status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|t| t.join().expect("redeemer ran")).collect();
    // Exactly one request took the code and gets 200 (F13 step 4). The losers presented it
    // again with the right client and verifier, which is a replay and revokes the grant (D13):
    // when a revocation lands between the winner's take and its persist, the store discards the
    // winner's credentials, so either way no token of the grant stays usable.
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 400).count(), THREADS - 1, "{statuses:?}");
    assert_eq!(h.store.access_token_count(), 0);
    assert_eq!(h.store.refresh_token_count(), 0);
    h.store.check_invariants();
}
