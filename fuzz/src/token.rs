//! Target `token`: the token endpoint machine ([`oauth_core::token::start`]) for every grant,
//! driven through [`oauth_core::drive()`] against the fixture store ([`Fixture`]), and then replayed.
//!
//! The input is one request in the [text form](crate::http): `POST /oauth/token[?query]`,
//! headers (`Content-Type`, `Authorization`, `Origin`, and the pseudo-headers `Now` and
//! `Fail`), an empty line and the body. `$NAME` placeholders name the fixture's credentials
//! (`$CODE_A`, `$RT_A`, `$V1`, …).

use oauth_core::wire::{BasicCredentials, Params, parse_body};
use oauth_core::{
    Driven, GrantType, RefreshStore, Response, StoreError, Subject, TokenDigest, TokenRequest, TokenState, TokenStore,
    UnixTime, UserField, UserLookup, drive, token,
};

use crate::check::{self, TokenAnswer};
use crate::fixture::{ACCESS_LIFETIME, Faulty, Fixture, FixtureClient, NOW, NamedKind};
use crate::http::TextRequest;

/// Parameters whose repetition the token endpoint refuses (RFC 6749 §3.2).
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

/// The request as the target reads it, independently of the machine.
struct View {
    params: Option<Params>,
    grant: Option<GrantType>,
    /// The fixture client the request authenticates as, if its credentials are right (RFC 6749
    /// §2.3.1: exactly one method; a confidential client with its secret, a public client by
    /// `client_id` alone).
    authenticated: Option<&'static FixtureClient>,
    /// The request's `Origin`, when the client it names allows it.
    allowed_origin: Option<String>,
}

impl View {
    fn of(req: &TextRequest) -> Self {
        let params = parse_body(req.header("content-type"), &req.body).ok();
        let basic = req.header("authorization").map(BasicCredentials::parse);
        let get = |n: &str| params.as_ref().and_then(|p| p.get(n).ok().flatten());
        let (body_id, body_secret) = (get("client_id"), get("client_secret"));
        let named = match &basic {
            Some(Ok(c)) => Some(c.client_id.as_str()),
            Some(Err(_)) => None,
            None => body_id,
        };
        let origin = req.header("origin");
        let allowed_origin = named
            .and_then(FixtureClient::by_id)
            .and_then(|c| origin.filter(|o| c.origins.contains(o)))
            .map(str::to_owned);
        let clean = params.as_ref().is_some_and(|p| p.first_repeated(&DEFINED).is_none())
            && req.query.as_deref().is_none_or(str::is_empty)
            && get("client_assertion").is_none()
            && get("client_assertion_type").is_none();
        let authenticated = if clean { authenticate(basic.as_ref(), body_id, body_secret) } else { None };
        let grant = get("grant_type").and_then(GrantType::parse);
        Self { params, grant, authenticated, allowed_origin }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.params.as_ref().and_then(|p| p.get(name).ok().flatten())
    }
}

/// The fixture client a token request authenticates as (RFC 6749 §2.3.1): exactly one method,
/// the right secret for a confidential client (Basic, with a body `client_id` that is absent or
/// the same, or `client_secret_post`), `client_id` alone for a public client; `None` otherwise.
#[must_use]
pub fn authenticate(
    basic: Option<&Result<BasicCredentials, oauth_core::wire::BasicError>>,
    body_id: Option<&str>,
    body_secret: Option<&str>,
) -> Option<&'static FixtureClient> {
    match (basic, body_id, body_secret) {
        (Some(Ok(c)), id, None) if id.is_none_or(|id| id == c.client_id) => {
            FixtureClient::by_id(&c.client_id).filter(|f| f.secret.is_some_and(|s| s == c.client_secret.expose()))
        }
        (None, Some(id), Some(secret)) => FixtureClient::by_id(id).filter(|f| f.secret.is_some_and(|s| s == secret)),
        (None, Some(id), None) => FixtureClient::by_id(id).filter(|f| f.secret.is_none()),
        _ => None,
    }
}

/// Checks a successful token response against the fixture: the client authenticated, may use
/// the grant and the origin, and got what the grant allows, recorded in the store as sent.
fn issued(fixture: &Fixture, view: &View, t: &TokenAnswer, origin: Option<&str>, now: UnixTime) {
    let client = view.authenticated.unwrap_or_else(|| panic!("tokens for a request that did not authenticate"));
    let grant = view.grant.unwrap_or_else(|| panic!("tokens without a known grant_type"));
    assert!(client.allows(grant), "tokens for a grant the client may not use");
    if let Some(o) = origin {
        assert!(client.origins.contains(&o), "tokens for a browser origin the client does not allow");
        assert_eq!(t.allow_origin.as_deref(), Some(o), "allowed origin not named");
    }
    let scope: Vec<&str> = t.scope.split(' ').filter(|s| !s.is_empty()).collect();
    assert!(scope.iter().all(|s| client.allows_scope(s)), "granted a scope the client may not have");
    let record = fixture.store.access_token(&TokenDigest::of(&t.access_token), now);
    let record = record.ok().flatten().unwrap_or_else(|| panic!("issued access token is not active in the store"));
    assert_eq!(&*record.client_id, client.id, "access token recorded for another client");
    assert_eq!(record.scope.as_str(), t.scope, "recorded scope differs from the response");
    if let Some(requested) = view.get("scope").filter(|_| grant != GrantType::AuthorizationCode) {
        let requested = oauth_core::ScopeSet::parse(requested).unwrap_or_else(|_| panic!("granted a malformed scope"));
        assert_eq!(record.scope, requested, "granted another scope than requested");
    }
    match grant {
        GrantType::AuthorizationCode => {
            let code = view.get("code").unwrap_or_else(|| panic!("a code grant without a code"));
            let named = fixture.by_value(code).filter(|n| n.kind == NamedKind::Code);
            let named = named.unwrap_or_else(|| panic!("redeemed something that is not an issued code"));
            assert_eq!(named.client, client.id, "redeemed another client's code");
            assert!(named.usable && now.as_secs() < named.expires_at, "redeemed a used or expired code");
            assert_eq!(view.get("code_verifier"), named.verifier, "redeemed without the right PKCE verifier");
            let redirect_ok = match (view.get("redirect_uri"), named.redirect_uri) {
                (Some(sent), Some(bound)) => sent == bound,
                (None, bound) => bound.is_none(),
                (Some(sent), None) => client.redirect_uris == [sent],
            };
            assert!(redirect_ok, "redeemed with another redirect_uri than the authorization request's");
            assert_eq!(t.scope, named.scope, "a code redeemed for another scope than approved");
            let offline =
                named.scope.split(' ').any(|s| s == "offline_access") && client.allows(GrantType::RefreshToken);
            assert_eq!(t.refresh_token.is_some(), offline, "refresh token issued against the rules");
        }
        GrantType::RefreshToken => {
            let rt = view.get("refresh_token").unwrap_or_else(|| panic!("a refresh grant without a refresh token"));
            let named = fixture.by_value(rt).filter(|n| n.kind == NamedKind::RefreshToken);
            let named = named.unwrap_or_else(|| panic!("refreshed with something that is not an issued refresh token"));
            assert_eq!(named.client, client.id, "refreshed another client's token");
            assert!(named.usable && now.as_secs() < named.expires_at, "refreshed with a rotated or expired token");
            let original: Vec<&str> = named.scope.split(' ').collect();
            assert!(scope.iter().all(|s| original.contains(s)), "a refresh widened the grant's scope");
            assert!(t.refresh_token.is_some(), "a refresh without rotation");
        }
        GrantType::ClientCredentials => {
            assert!(t.refresh_token.is_none(), "a refresh token for client_credentials (RFC 6749 §4.4.3)");
            assert_eq!(record.subject, Subject::Client(client.id.into()), "client credentials for another subject");
            assert!(record.actor.is_none(), "client credentials with an actor");
        }
        GrantType::UserImpersonation => {
            assert!(t.refresh_token.is_none(), "a refresh token for impersonation (D9)");
            let lookup = view.get("user_lookup").and_then(|l| UserLookup::parse(l).ok());
            let lookup = lookup.unwrap_or_else(|| panic!("impersonation without a readable user_lookup"));
            let user = crate::fixture::USERS
                .iter()
                .find(|(id, sub, _)| match lookup.field {
                    UserField::UserId => *id == lookup.value,
                    _ => *sub == lookup.value,
                })
                .unwrap_or_else(|| panic!("impersonated a user that does not exist"));
            assert!(!user.2, "impersonated a disabled user");
            assert_eq!(record.subject, Subject::User(user.1.into()), "impersonation for another subject");
            assert_eq!(record.actor.as_deref(), Some(client.id), "impersonation without the client as actor");
        }
        _ => panic!("a grant the fixture does not know"),
    }
}

/// Target `token`; see the module documentation for the input.
///
/// Invariants: never panics; every error is an RFC 6749 §5.2 JSON error of the right status
/// (401 with a `Basic` challenge for `invalid_client`); tokens are issued only to a client whose
/// credentials are right (one method, the right secret for a confidential client, none for a
/// public one), allowed the grant and the request's origin, for a scope it may be granted: for
/// a code, only an unused, unexpired code of that client with its redirect URI and PKCE
/// verifier, for exactly the approved scope; for a refresh, only an unrotated refresh token of
/// that client, never widening its grant; never a refresh token for client credentials or
/// impersonation; impersonation only of an existing, enabled user, with the client as actor;
/// CORS headers only for an origin the client allows; a failing store call is answered
/// 500/503 (or `invalid_grant` when a persist finds the grant revoked) and leaves no new
/// credential; replaying a request that redeemed a code or refresh token is `invalid_grant` and
/// revokes what the first issued (D10, D13).
pub fn token(data: &[u8]) {
    let fixture = Fixture::new(0);
    let input = fixture.substitute(data);
    let req = TextRequest::parse(&input);
    let now = UnixTime::from_secs(NOW.saturating_add(req.clock_offset()));
    let origin = req.header("origin");
    let build = || {
        TokenRequest::from_http(
            req.header("content-type"),
            req.header("authorization"),
            req.query.as_deref(),
            &req.body,
        )
        .with_origin(origin)
    };
    let view = View::of(&req);
    let counts = || (fixture.store.access_token_count(), fixture.store.refresh_token_count());
    let before = counts();
    let faulty = Faulty::new(&fixture.store, req.fault());
    let Driven::Respond(first) = drive(&faulty, token::start(&fixture.config, build(), now)) else {
        panic!("the token endpoint asked for the resource owner")
    };
    let injected = faulty.injected();
    let http = first.to_http();
    check::cors(&http, view.allowed_origin.as_deref());
    let first_tokens = match &first {
        Response::Token(_) => {
            assert!(injected.is_none(), "tokens although a store call failed");
            let t = check::token_answer(&http, ACCESS_LIFETIME);
            issued(&fixture, &view, &t, origin, now);
            Some(t)
        }
        Response::Error(_) => {
            let code = check::oauth_error(&http, check::TOKEN_ERRORS);
            if let Some(e) = injected {
                let allowed: &[&str] = match e {
                    StoreError::Unavailable => &["temporarily_unavailable"],
                    StoreError::GrantRevoked => &["server_error", "invalid_grant"],
                    _ => &["server_error"],
                };
                assert!(allowed.contains(&code.as_str()), "a store failure answered {code}");
                let after = counts();
                assert!(after.0 <= before.0 && after.1 <= before.1, "a failed request left new credentials");
            } else {
                assert_ne!(code, "temporarily_unavailable", "temporarily_unavailable without a store failure");
            }
            if code == "invalid_client" {
                assert!(view.authenticated.is_none() || view.params.is_none(), "invalid_client for good credentials");
            }
            None
        }
        Response::Redirect(_) => panic!("the token endpoint redirected"),
        _ => panic!("an unknown kind of response"),
    };

    // The same request again, with a store that works.
    let Driven::Respond(second) = drive(&fixture.store, token::start(&fixture.config, build(), now)) else {
        panic!("the token endpoint asked for the resource owner")
    };
    let http = second.to_http();
    check::cors(&http, view.allowed_origin.as_deref());
    let replayed = matches!(view.grant, Some(GrantType::AuthorizationCode | GrantType::RefreshToken));
    match &second {
        Response::Token(_) => {
            let t = check::token_answer(&http, ACCESS_LIFETIME);
            assert!(!(replayed && first_tokens.is_some()), "a code or refresh token was used twice");
            issued(&fixture, &view, &t, origin, now);
            if let Some(f) = &first_tokens {
                assert_ne!(f.access_token, t.access_token, "the same access token issued twice");
            }
        }
        Response::Error(_) => {
            let code = check::oauth_error(&http, check::TOKEN_ERRORS);
            if replayed && first_tokens.is_some() {
                assert_eq!(code, "invalid_grant", "a replay is invalid_grant");
            }
        }
        _ => panic!("the token endpoint redirected"),
    }
    if let (true, Some(f)) = (replayed, &first_tokens) {
        let active = fixture.store.access_token(&TokenDigest::of(&f.access_token), now);
        assert!(matches!(active, Ok(None)), "tokens of a replayed code or refresh token stay active (D10, D13)");
        if let Some(rt) = &f.refresh_token {
            let state = fixture.store.refresh_token(&TokenDigest::of(rt), now);
            assert!(matches!(state, Ok(TokenState::Missing)), "a refresh token of a replayed grant stays");
        }
    }
}
