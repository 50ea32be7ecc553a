//! Target `authorize`: the authorization endpoint machine ([`oauth_core::authorize::start`])
//! driven through [`oauth_core::drive()`] against the fixture store, with the resource owner's
//! decision, and every code it issues redeemed at the token endpoint.
//!
//! The input is one request in the [text form](crate::http): `GET /oauth/authorize?query` or
//! `POST /oauth/authorize` with a `Content-Type` and a form body. Pseudo-headers: `Now`,
//! `Fail` (a store call fails), and `Decision`, the resource owner's answer:
//! `approve [sub=<subject>] [age=<seconds since sign-in>] [scope=<a,b>]` (the default, as
//! `user-1` signed in now), `deny`, `login`, `consent`, or `none` (no answer).

use oauth_core::wire::{Params, WireError};
use oauth_core::{
    Approval, AuthorizeRequest, Driven, OwnerDecision, Response, ScopeSet, StoreError, Subject, TokenDigest,
    TokenRequest, TokenStore, UnixTime, authorize, drive, token,
};
use oauth_memory::MemoryStore;

use crate::check;
use crate::fixture::{self, ACCESS_LIFETIME, Fault, Faulty, FixtureClient, ISSUER, NOW, form_encode};
use crate::http::TextRequest;

/// The resource owner's decision, from the `Decision` pseudo-header.
#[derive(Debug)]
enum Decision {
    Approve { subject: String, age: u64, scope: Option<ScopeSet> },
    Deny,
    Login,
    Consent,
    Wait,
}

impl Decision {
    fn parse(value: Option<&str>) -> Self {
        let value = value.unwrap_or("approve");
        let mut words = value.split(' ').filter(|w| !w.is_empty());
        match words.next().unwrap_or("approve") {
            "deny" => Self::Deny,
            "login" => Self::Login,
            "consent" => Self::Consent,
            "none" => Self::Wait,
            _ => {
                let (mut subject, mut age, mut scope) = (String::from("user-1"), 0, None);
                for w in words {
                    if let Some(s) = w.strip_prefix("sub=") {
                        s.clone_into(&mut subject);
                    } else if let Some(a) = w.strip_prefix("age=") {
                        age = a.parse().unwrap_or(0);
                    } else if let Some(s) = w.strip_prefix("scope=") {
                        scope = ScopeSet::try_from(s.replace(',', " ")).ok();
                    }
                }
                Self::Approve { subject, age, scope }
            }
        }
    }
}

/// What an authorization request selects, as the target reads it independently of the
/// machine.
struct Selected {
    /// The fixture client named by a single `client_id`.
    client: Option<&'static FixtureClient>,
    /// The redirect URI a redirect must go to, if the request may be redirected at all.
    base: Option<String>,
    /// The `state` a redirect must carry.
    state: Option<String>,
    /// The `code_challenge`, if sent once.
    challenge: Option<String>,
    /// The `redirect_uri` parameter, if sent once.
    redirect_uri: Option<String>,
}

fn select(params: &Result<Params, WireError>) -> Selected {
    let mut s = Selected { client: None, base: None, state: None, challenge: None, redirect_uri: None };
    let Ok(params) = params else { return s };
    let [client_id, redirect_uri, state, challenge] =
        params.pick(["client_id", "redirect_uri", "state", "code_challenge"]);
    s.client = client_id.value().and_then(FixtureClient::by_id);
    s.state = state.value().map(str::to_owned);
    s.challenge = challenge.value().map(str::to_owned);
    s.redirect_uri = redirect_uri.value().map(str::to_owned);
    let Some(fc) = s.client else { return s };
    let client = fixture::clients().iter().find(|c| c.client_id() == fc.id);
    let base = match (redirect_uri, client) {
        (oauth_core::wire::Field::Value(u), Some(c)) => c.matches_redirect_uri(u).then(|| u.to_owned()),
        (oauth_core::wire::Field::Absent, _) => match fc.redirect_uris {
            [only] => Some((*only).to_owned()),
            _ => None,
        },
        _ => None,
    };
    // A redirect needs a readable state (at most 2048 bytes, `MAX_STATE_BYTES`).
    s.base = base.filter(|_| s.state.as_ref().is_none_or(|st| st.len() <= 2048));
    s
}

/// Target `authorize`; see the module documentation for the input.
///
/// Invariants: never panics; a redirect goes only to the redirect URI the request selected,
/// which is registered for the client (exactly, or a native client's loopback URI in all but the
/// port), and carries `code` or an authorization error, `state` exactly as sent, and `iss`;
/// a request that cannot be redirected (unreadable parameters, unknown or repeated `client_id`,
/// a missing, repeated or unregistered `redirect_uri`, an oversized `state`) is answered 400 JSON
/// (413/414 when oversized); a failing store is answered 500/503; the owner is asked only about
/// a known client, with a non-empty scope within what the client may be granted; the owner's
/// answer decides exactly (`access_denied`, `login_required`, `consent_required`, an approval
/// older than `max_age`, a widened or empty approval); every code issued is redeemed at the
/// token endpoint by its client exactly once (when its PKCE verifier is known), for exactly the
/// approved scope and subject, and its replay revokes the tokens.
pub fn authorize(data: &[u8]) {
    let input = fixture::substitute(data, &[]);
    let req = TextRequest::parse(&input);
    let post = req.method == "POST";
    let now = UnixTime::from_secs(NOW.saturating_add(req.clock_offset()));
    let (request, params) = if post {
        let params = match req.header("content-type").and_then(oauth_core::wire::BodyType::from_content_type) {
            Some(oauth_core::wire::BodyType::Form) => Params::parse_form(&req.body),
            _ => Err(WireError::UnsupportedMediaType),
        };
        (AuthorizeRequest::from_form(req.header("content-type"), &req.body), params)
    } else {
        let params = Params::parse_form(req.query.as_deref().unwrap_or("").as_bytes());
        (AuthorizeRequest::from_query(req.query.as_deref()), params)
    };
    let selected = select(&params);
    let store = fixture::store();
    let config = fixture::config(3, false);
    // A store that answers `GrantRevoked` to the persist of a brand-new code breaks its
    // contract (no such grant can have been revoked); the core then redirects `invalid_grant`,
    // which the authorization endpoint does not define. Fuzz the contract-abiding failures.
    let fault = req.fault().map(|f| match f.error {
        StoreError::GrantRevoked => Fault { error: StoreError::Failed, ..f },
        _ => f,
    });
    let faulty = Faulty::new(&store, fault);
    let step = authorize::start(&config, request, now);
    let (resp, approved) = match drive(&faulty, step) {
        Driven::Respond(r) => (r, None),
        Driven::NeedOwner(owner) => {
            let fc = selected.client.unwrap_or_else(|| panic!("asked the owner about an unknown client"));
            assert!(selected.base.is_some(), "asked the owner about a request that cannot be redirected");
            assert_eq!(owner.client().client_id(), fc.id, "asked the owner about another client");
            let scope = owner.scope().clone();
            assert!(!scope.is_empty(), "asked the owner to approve an empty scope");
            assert!(scope.iter().all(|t| fc.allows_scope(t)), "asked the owner for a scope the client may not have");
            let prompt = owner.prompt();
            assert!(!(prompt.none && (prompt.login || prompt.consent)), "prompt=none combined");
            let _ = (owner.session_usable(now), owner.consent_needed(Some(&scope)), owner.login_hint());
            let max_age = owner.max_age();
            let decision = Decision::parse(req.header("decision"));
            let (answer, approved) = match decision {
                Decision::Wait => return,
                Decision::Deny => (OwnerDecision::Deny, None),
                Decision::Login => (OwnerDecision::LoginRequired, None),
                Decision::Consent => (OwnerDecision::ConsentRequired, None),
                Decision::Approve { subject, age, scope: narrowed } => {
                    let auth_time = UnixTime::from_secs(now.as_secs().saturating_sub(age));
                    let mut approval = Approval::new(subject.clone(), auth_time);
                    if let Some(n) = &narrowed {
                        approval = approval.with_scope(n.clone());
                    }
                    let granted = narrowed.clone().unwrap_or_else(|| scope.clone());
                    // A subject that could pass for a client's `sub` (empty, or `client:…`) is the
                    // application's mistake: server_error (JWT-03).
                    let expected_error = if !Subject::is_valid_user_id(&subject) {
                        Some("server_error")
                    } else if max_age.is_some_and(|m| auth_time.plus(m) < now) {
                        Some("login_required")
                    } else if narrowed.as_ref().is_some_and(|n| !n.is_subset(&scope)) {
                        Some("server_error")
                    } else if granted.is_empty() {
                        Some("access_denied")
                    } else {
                        None
                    };
                    (OwnerDecision::Approve(approval), Some((subject, granted, expected_error)))
                }
            };
            let expected = match (&answer, &approved) {
                (OwnerDecision::Deny, _) => Some("access_denied"),
                (OwnerDecision::LoginRequired, _) => Some("login_required"),
                (OwnerDecision::ConsentRequired, _) => Some("consent_required"),
                (_, Some((_, _, e))) => *e,
                _ => None,
            };
            let Driven::Respond(resp) = drive(&faulty, owner.resume(answer)) else { panic!("asked the owner twice") };
            let expected = match faulty.injected() {
                Some(StoreError::Unavailable) => Some("temporarily_unavailable"),
                Some(_) => Some("server_error"),
                None => expected,
            };
            let http = resp.to_http();
            let base = selected.base.as_deref().unwrap_or("");
            let got = check::redirect(&http, base, selected.state.as_deref(), post, ISSUER);
            assert_eq!(got.error.as_deref(), expected, "the owner's decision was not followed");
            (resp, approved.filter(|a| a.2.is_none() && expected.is_none()).map(|a| (a.0, a.1)))
        }
    };
    let http = resp.to_http();
    match &resp {
        Response::Redirect(_) => {
            let base = selected
                .base
                .as_deref()
                .unwrap_or_else(|| panic!("redirected a request that has no valid redirect URI"));
            let got = check::redirect(&http, base, selected.state.as_deref(), post, ISSUER);
            let fc = selected.client.unwrap_or_else(|| panic!("redirected for an unknown client"));
            let client = fixture::clients().iter().find(|c| c.client_id() == fc.id);
            assert!(client.is_some_and(|c| c.matches_redirect_uri(base)), "redirected to an unregistered URI");
            if got.code.is_some() {
                assert!(approved.is_some(), "a code without an approval");
            }
            if let (Some(code), Some((subject, scope))) = (got.code, approved) {
                redeem(&store, &config, fc, &code, &selected, &subject, &scope, now);
            }
            if got.error.as_deref() == Some("temporarily_unavailable") {
                assert!(faulty.injected().is_some(), "temporarily_unavailable without a store failure");
            }
        }
        Response::Error(_) => {
            let code = check::oauth_error(&http, check::AUTHORIZE_DIRECT_ERRORS);
            match code.as_str() {
                "invalid_request" => {
                    assert!(selected.base.is_none() || params.is_err(), "a JSON error for a redirectable request")
                }
                _ => assert!(faulty.injected().is_some(), "a 5xx answer without a store failure"),
            }
        }
        _ => panic!("the authorization endpoint answered with a token response"),
    }
}

/// Redeems `code` for its client at the token endpoint, twice: the first must succeed (when the
/// PKCE verifier is known) with exactly the approved scope and subject; the second must be
/// `invalid_grant` and revoke what the first issued (D13).
#[expect(clippy::too_many_arguments, reason = "one call site; the arguments are the request's parts")]
fn redeem(
    store: &MemoryStore,
    config: &std::sync::Arc<oauth_core::Config>,
    fc: &FixtureClient,
    code: &str,
    selected: &Selected,
    subject: &str,
    scope: &ScopeSet,
    now: UnixTime,
) {
    let verifier = match &selected.challenge {
        None => Some(None),
        Some(c) => fixture::known_verifier(c).map(Some),
    };
    let mut body = format!("grant_type=authorization_code&code={code}");
    if let Some(u) = &selected.redirect_uri {
        body.push_str("&redirect_uri=");
        body.push_str(&form_encode(u));
    }
    if let Some(Some(v)) = verifier {
        body.push_str("&code_verifier=");
        body.push_str(v);
    }
    if fc.secret.is_none() {
        body.push_str("&client_id=");
        body.push_str(fc.id);
    }
    let basic = fc.basic();
    let mut first = None;
    for attempt in 0..2 {
        let req =
            TokenRequest::from_http(Some("application/x-www-form-urlencoded"), basic.as_deref(), None, body.as_bytes());
        let Driven::Respond(resp) = drive(store, token::start(config, req, now)) else {
            panic!("the token endpoint asked the owner")
        };
        let http = resp.to_http();
        if attempt == 0 && verifier.is_some() {
            let t = check::token_answer(&http, ACCESS_LIFETIME);
            assert_eq!(t.scope, scope.as_str(), "redeemed for another scope than approved");
            let offline = scope.contains("offline_access") && fc.allows(oauth_core::GrantType::RefreshToken);
            assert_eq!(t.refresh_token.is_some(), offline, "refresh token issued against the rules");
            let record = store.access_token(&TokenDigest::of(&t.access_token), now);
            let record = record.ok().flatten().unwrap_or_else(|| panic!("issued access token is not stored"));
            assert_eq!(&*record.client_id, fc.id, "access token stored for another client");
            assert_eq!(record.subject, Subject::User(subject.into()), "access token for another subject");
            assert_eq!(&record.scope, scope, "stored scope differs");
            first = Some(t);
        } else {
            let code = check::oauth_error(&http, check::TOKEN_ERRORS);
            assert_eq!(code, "invalid_grant", "a used or unverifiable code is invalid_grant");
        }
    }
    if let Some(t) = first {
        let active = store.access_token(&TokenDigest::of(&t.access_token), now);
        assert!(matches!(active, Ok(None)), "tokens of a replayed code stay active (D13)");
        if let Some(rt) = t.refresh_token {
            let state = oauth_core::RefreshStore::refresh_token(store, &TokenDigest::of(&rt), now);
            assert!(matches!(state, Ok(oauth_core::TokenState::Missing)), "refresh token of a replayed code stays");
        }
    }
}
