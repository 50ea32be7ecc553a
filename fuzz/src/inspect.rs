//! Targets `revoke` and `introspect`: the revocation endpoint ([`oauth_core::revoke::start`],
//! RFC 7009) and the introspection endpoint ([`oauth_core::introspect::start`], RFC 7662),
//! driven through [`oauth_core::drive()`] against the fixture store ([`Fixture`]), then replayed
//! against a store that works.
//!
//! The input is one request in the [text form](crate::http): `POST /oauth/revoke[?query]` or
//! `POST /oauth/introspect[?query]` (the target decides which; the request line is not read),
//! headers (`Content-Type`, `Authorization` — Basic, or Bearer at introspection — `Origin`, and
//! the pseudo-headers `Now` and `Fail`), an empty line and the body. `$NAME` placeholders name
//! the fixture's credentials (`$AT_A`, `$RT_PUB`, `$AT_RS`, …).
//!
//! The oracle is a small model of the fixture's access and refresh tokens: each is live until
//! its `expires_at` unless its grant is revoked, and a refresh token is active unless it was
//! rotated (`$RT_ROTATED`). Every store state the machine could change is snapshotted before and
//! after each request and compared with the model.

use oauth_core::bearer;
use oauth_core::wire::{BasicCredentials, parse_body};
use oauth_core::{
    Driven, IntrospectRequest, RefreshStore, Response, RevokeRequest, StoreError, TokenDigest, TokenState, TokenStore,
    UnixTime, drive, introspect, revoke,
};
use serde_json::Value;

use crate::check;
use crate::fixture::{Faulty, Fixture, FixtureClient, INTROSPECT, ISSUER, NOW, Named, NamedKind};
use crate::http::TextRequest;
use crate::token::authenticate;

/// Error codes the revocation endpoint may answer (RFC 7009 §2.2.1, RFC 6749 §5.2; D7's
/// `unauthorized_client` for another client's token).
pub const REVOKE_ERRORS: &[&str] =
    &["invalid_request", "invalid_client", "unauthorized_client", "server_error", "temporarily_unavailable"];

/// Error codes the introspection endpoint may answer as an OAuth JSON error (RFC 7662 §2.3).
pub const INTROSPECT_ERRORS: &[&str] =
    &["invalid_request", "invalid_client", "server_error", "temporarily_unavailable"];

/// The parameters both endpoints read; a repeat of any of them is `invalid_request`.
const DEFINED: [&str; 6] =
    ["token", "token_type_hint", "client_id", "client_secret", "client_assertion", "client_assertion_type"];

/// The state of one fixture token in the store (or in the model).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// An access token `access_token` returns, or an unrotated refresh token.
    Active,
    /// A rotated refresh token, still remembered.
    Used,
    /// Unknown, expired or revoked.
    Gone,
}

/// Every fixture access and refresh token's state in the store at `now`.
fn snapshot(fixture: &Fixture, now: UnixTime) -> Vec<(&'static str, State)> {
    fixture
        .named
        .iter()
        .filter_map(|n| {
            let key = TokenDigest::of(&n.value);
            let state = match n.kind {
                NamedKind::AccessToken => match fixture.store.access_token(&key, now) {
                    Ok(Some(_)) => State::Active,
                    _ => State::Gone,
                },
                NamedKind::RefreshToken => match fixture.store.refresh_token(&key, now) {
                    Ok(TokenState::Active(_)) => State::Active,
                    Ok(TokenState::Used(_)) => State::Used,
                    _ => State::Gone,
                },
                NamedKind::Code => return None,
            };
            Some((n.name, state))
        })
        .collect()
}

/// The model's state of `n` at `now` when the grants in `revoked` are revoked.
fn modelled(n: &Named, now: UnixTime, revoked: &[u8]) -> State {
    if revoked.contains(&n.grant) || now.as_secs() >= n.expires_at {
        State::Gone
    } else if n.kind == NamedKind::RefreshToken && !n.usable {
        State::Used
    } else {
        State::Active
    }
}

/// The model's snapshot: what [`snapshot`] must read.
fn model(fixture: &Fixture, now: UnixTime, revoked: &[u8]) -> Vec<(&'static str, State)> {
    fixture.named.iter().filter(|n| n.kind != NamedKind::Code).map(|n| (n.name, modelled(n, now, revoked))).collect()
}

/// The request as the target reads it, independently of the machines.
struct View {
    /// Parameters readable, none repeated, no query, no assertion.
    clean: bool,
    /// The fixture client the request authenticates as (public clients by `client_id` alone).
    authenticated: Option<&'static FixtureClient>,
    /// The `token` parameter, when sent and not empty.
    token: Option<String>,
}

impl View {
    fn of(req: &TextRequest) -> Self {
        let params = parse_body(req.header("content-type"), &req.body).ok();
        let get = |n: &str| params.as_ref().and_then(|p| p.get(n).ok().flatten());
        let clean = params.as_ref().is_some_and(|p| p.first_repeated(&DEFINED).is_none())
            && req.query.as_deref().is_none_or(str::is_empty)
            && get("client_assertion").is_none()
            && get("client_assertion_type").is_none();
        let basic = req.header("authorization").map(BasicCredentials::parse);
        let authenticated =
            if clean { authenticate(basic.as_ref(), get("client_id"), get("client_secret")) } else { None };
        let token = get("token").filter(|t| !t.is_empty()).map(str::to_owned);
        Self { clean, authenticated, token }
    }
}

/// The error a failing store call must be answered with.
fn store_codes(e: StoreError) -> &'static [&'static str] {
    match e {
        StoreError::Unavailable => &["temporarily_unavailable"],
        _ => &["server_error"],
    }
}

/// Target `revoke`; see the module documentation for the input.
///
/// Invariants: never panics; every answer is 200 with an empty body and `Cache-Control:
/// no-store` (RFC 7009 §2.2) or an RFC 6749 §5.2 JSON error; CORS headers only for an origin the
/// authenticated client allows; a 200 only for an authenticated client (a public one by
/// `client_id` alone, D7), never when a store call failed (RFC 7009 §2.2.1: no false 200) and
/// never for a live token of another client, which is refused with `unauthorized_client`; a 200
/// for the client's own live access or refresh token (rotated or not) revokes every token of
/// its grant and nothing else (RFC 7009 §2.1); every other answer changes nothing. The request
/// is then repeated against a store that works, and the same rules hold.
pub fn revoke(data: &[u8]) {
    let fixture = Fixture::new(0);
    let input = fixture.substitute(data);
    let req = TextRequest::parse(&input);
    let now = UnixTime::from_secs(NOW.saturating_add(req.clock_offset()));
    let origin = req.header("origin");
    let build = || {
        RevokeRequest::from_http(
            req.header("content-type"),
            req.header("authorization"),
            req.query.as_deref(),
            &req.body,
        )
        .with_origin(origin)
    };
    let view = View::of(&req);
    let mut revoked: Vec<u8> = Vec::new();
    assert_eq!(snapshot(&fixture, now), model(&fixture, now, &revoked), "the fixture's store differs from its model");
    let faulty = Faulty::new(&fixture.store, req.fault());
    let Driven::Respond(first) = drive(&faulty, revoke::start(&fixture.config, build(), now)) else {
        panic!("the revocation endpoint asked for the resource owner")
    };
    revoke_outcome(&fixture, &view, origin, &first, faulty.injected(), now, &mut revoked);
    let Driven::Respond(second) = drive(&fixture.store, revoke::start(&fixture.config, build(), now)) else {
        panic!("the revocation endpoint asked for the resource owner")
    };
    revoke_outcome(&fixture, &view, origin, &second, None, now, &mut revoked);
}

/// Checks one revocation answer against the model, and the store afterwards; records the grant
/// a successful revocation revoked in `revoked`.
fn revoke_outcome(
    fixture: &Fixture,
    view: &View,
    origin: Option<&str>,
    response: &Response,
    injected: Option<StoreError>,
    now: UnixTime,
    revoked: &mut Vec<u8>,
) {
    let http = response.to_http();
    check::common(&http);
    let allowed = view.authenticated.and_then(|c| origin.filter(|o| c.origins.contains(o)));
    check::cors(&http, allowed);
    let target = view.token.as_deref().and_then(|t| fixture.by_value(t)).filter(|n| n.kind != NamedKind::Code);
    let live = target.filter(|n| modelled(n, now, revoked) != State::Gone);
    match response {
        Response::Revoked(_) => {
            assert!(injected.is_none(), "a 200 although a store call failed (RFC 7009 §2.2.1)");
            assert_eq!(http.status, 200, "revocation status");
            assert!(http.body.is_empty(), "a revocation answer with a body");
            assert_eq!(check::header(&http, "cache-control"), Some("no-store"), "a revocation answer without no-store");
            let client = view.authenticated.unwrap_or_else(|| panic!("a 200 for a client that did not authenticate"));
            assert!(view.clean && view.token.is_some(), "a 200 for a malformed request");
            if let Some(o) = origin {
                assert!(client.origins.contains(&o), "a 200 for a browser origin the client does not allow");
            }
            if let Some(n) = live {
                assert_eq!(n.client, client.id, "another client's live token was revoked (D7)");
                revoked.push(n.grant);
            }
        }
        Response::Error(_) => {
            let code = check::oauth_error(&http, REVOKE_ERRORS);
            match injected {
                Some(e) => assert!(store_codes(e).contains(&code.as_str()), "a store failure answered {code}"),
                None => {
                    assert!(code != "server_error" && code != "temporarily_unavailable", "a 5xx from a working store");
                }
            }
            if code == "unauthorized_client" {
                let n = live.unwrap_or_else(|| panic!("unauthorized_client for no live token"));
                let client = view.authenticated.unwrap_or_else(|| panic!("unauthorized_client for no client"));
                assert_ne!(n.client, client.id, "the client's own token refused as another's");
            }
            if code == "invalid_client" && view.clean && view.token.is_some() {
                assert!(view.authenticated.is_none(), "invalid_client for good credentials");
            }
        }
        _ => panic!("the revocation endpoint answered with tokens, a redirect or an introspection"),
    }
    assert_eq!(snapshot(fixture, now), model(fixture, now, revoked), "revocation changed the wrong tokens");
}

/// Who asks the introspection endpoint, as the target reads the request.
enum Asker {
    /// A confidential client that authenticated, and whether it may see every token.
    Client(&'static FixtureClient, bool),
    /// A bearer token: the named access token, if it is one.
    Bearer(Option<&'static str>),
    /// Nobody who can be authenticated.
    Nobody,
}

/// Target `introspect`; see the module documentation for the input.
///
/// Invariants: never panics; every answer is an introspection (200 JSON, `Cache-Control:
/// no-store`), an RFC 6749 §5.2 JSON error, or an RFC 6750 §3 bearer refusal; an answer other
/// than an error only to a confidential client that authenticated or to a live bearer token
/// carrying the introspection scope (RFC 7662 §2.1), and never when a store call failed;
/// `active: true` only for a live access or unrotated refresh token that the caller may see
/// (its own, or any for the `rs-i` client and bearer callers; RFC 7662 §4), with exactly the
/// token's members (client, scope, expiry, issue time, issuer, `token_type` and `aud` for access
/// tokens, `act` for the impersonation token); anything else is exactly `{"active":false}`;
/// a live, visible token is never reported inactive by a working store; nothing in the store
/// changes. The request is then repeated against a store that works.
pub fn introspect(data: &[u8]) {
    let fixture = Fixture::new(0);
    let input = fixture.substitute(data);
    let req = TextRequest::parse(&input);
    let now = UnixTime::from_secs(NOW.saturating_add(req.clock_offset()));
    let build = || {
        IntrospectRequest::from_http(
            req.header("content-type"),
            req.header("authorization"),
            req.query.as_deref(),
            &req.body,
        )
    };
    let view = View::of(&req);
    let before = snapshot(&fixture, now);
    assert_eq!(before, model(&fixture, now, &[]), "the fixture's store differs from its model");
    let faulty = Faulty::new(&fixture.store, req.fault());
    let Driven::Respond(first) = drive(&faulty, introspect::start(&fixture.config, build(), now)) else {
        panic!("the introspection endpoint asked for the resource owner")
    };
    introspect_outcome(&fixture, &req, &view, &first, faulty.injected(), now);
    assert_eq!(snapshot(&fixture, now), before, "introspection changed the store");
    let Driven::Respond(second) = drive(&fixture.store, introspect::start(&fixture.config, build(), now)) else {
        panic!("the introspection endpoint asked for the resource owner")
    };
    introspect_outcome(&fixture, &req, &view, &second, None, now);
    assert_eq!(snapshot(&fixture, now), before, "introspection changed the store");
}

fn asker(fixture: &Fixture, req: &TextRequest, view: &View) -> Asker {
    let header = req.header("authorization");
    let is_bearer = header.is_some_and(|h| h.split(' ').next().is_some_and(|s| s.eq_ignore_ascii_case("bearer")));
    if is_bearer {
        let token = bearer::parse_authorization(header).ok();
        let named = token.and_then(|t| fixture.by_value(t.expose())).filter(|n| n.kind == NamedKind::AccessToken);
        return Asker::Bearer(named.map(|n| n.name));
    }
    match view.authenticated {
        Some(c) if c.secret.is_some() => Asker::Client(c, c.allows_scope(INTROSPECT)),
        _ => Asker::Nobody,
    }
}

fn introspect_outcome(
    fixture: &Fixture,
    req: &TextRequest,
    view: &View,
    response: &Response,
    injected: Option<StoreError>,
    now: UnixTime,
) {
    let http = response.to_http();
    check::common(&http);
    assert!(check::header(&http, "access-control-allow-origin").is_none(), "introspection with CORS headers");
    let asker = asker(fixture, req, view);
    // Whether the caller may introspect at all, and whose tokens it may see (None: every client's).
    let caller: Option<Option<&str>> = match &asker {
        Asker::Client(c, any) => Some((!any).then_some(c.id)),
        Asker::Bearer(Some(name)) => fixture.named(name).and_then(|n| {
            let scope_ok = n.scope.split(' ').any(|s| s == INTROSPECT);
            (modelled(n, now, &[]) == State::Active && scope_ok).then_some(None)
        }),
        Asker::Bearer(None) | Asker::Nobody => None,
    };
    let target = view.token.as_deref().and_then(|t| fixture.by_value(t)).filter(|n| n.kind != NamedKind::Code);
    let visible = target.filter(|n| {
        modelled(n, now, &[]) == State::Active && caller.is_some_and(|only| only.is_none_or(|c| c == n.client))
    });
    match response {
        Response::Introspection(i) => {
            assert!(injected.is_none(), "an introspection answer although a store call failed");
            let Some(only) = caller else { panic!("an introspection answer to a caller that did not authenticate") };
            assert!(view.clean && view.token.is_some(), "an introspection answer to a malformed request");
            assert_eq!(http.status, 200, "introspection status");
            assert_eq!(check::header(&http, "cache-control"), Some("no-store"), "introspection without no-store");
            assert_eq!(check::header(&http, "content-type"), Some("application/json"), "introspection content type");
            match (&i.active, visible) {
                (None, None) => assert_eq!(http.body, r#"{"active":false}"#, "an inactive answer with more members"),
                (None, Some(_)) => panic!("a live token the caller may see was reported inactive"),
                (Some(_), None) => panic!("an active answer for a dead token or one the caller may not see"),
                (Some(_), Some(n)) => {
                    if let Some(c) = only {
                        assert_eq!(n.client, c, "a caller saw another client's token");
                    }
                    members(n, &http.body);
                }
            }
        }
        Response::Error(_) => {
            let code = check::oauth_error(&http, INTROSPECT_ERRORS);
            match injected {
                Some(e) => assert!(store_codes(e).contains(&code.as_str()), "a store failure answered {code}"),
                None => assert!(code == "invalid_request" || code == "invalid_client", "a 5xx from a working store"),
            }
            if code == "invalid_client" && view.clean && view.token.is_some() && injected.is_none() {
                assert!(!matches!(asker, Asker::Client(..)), "invalid_client for good credentials");
            }
        }
        Response::Bearer(e) => {
            assert!(matches!(asker, Asker::Bearer(_)), "a bearer refusal to a caller without a bearer token");
            match e.status() {
                400 => {}
                401 => assert!(injected.is_some() || caller.is_none(), "a good bearer caller refused as invalid"),
                403 => {
                    let Asker::Bearer(Some(name)) = asker else { panic!("insufficient_scope for an unknown token") };
                    let n = fixture.named(name).unwrap_or_else(|| panic!("a named token disappeared"));
                    assert!(!n.scope.split(' ').any(|s| s == INTROSPECT), "insufficient_scope for a token with it");
                }
                500 | 503 => {
                    let e = injected.unwrap_or_else(|| panic!("a bearer 5xx from a working store"));
                    let want = if e == StoreError::Unavailable { 503 } else { 500 };
                    assert_eq!(http.status, want, "a bearer store failure with the wrong status");
                }
                s => panic!("a bearer refusal with status {s}"),
            }
            if matches!(e.status(), 401 | 403) {
                let challenge = check::header(&http, "www-authenticate").unwrap_or("");
                assert!(challenge.starts_with("Bearer realm=\"oauth\""), "a bearer refusal without its challenge");
            }
        }
        _ => panic!("the introspection endpoint answered with tokens, a redirect or a revocation"),
    }
}

/// Checks the members of an active answer against the named token (RFC 7662 §2.2).
fn members(n: &Named, body: &str) {
    let map = check::json_object(body);
    let access = n.kind == NamedKind::AccessToken;
    let fixture_client = FixtureClient::by_id(n.client).unwrap_or_else(|| panic!("a token of no client"));
    for key in map.keys() {
        let known = matches!(key.as_str(), "active" | "scope" | "client_id" | "sub" | "exp" | "iat" | "iss")
            || (access && matches!(key.as_str(), "aud" | "token_type"))
            || (access && key == "act" && n.name == "AT_IMP")
            || (access && key == "allowed-origins" && !fixture_client.origins.is_empty());
        assert!(known, "an introspection answer with member {key:?}");
    }
    assert_eq!(map.get("active"), Some(&Value::Bool(true)), "active is not true");
    let scope: std::collections::BTreeSet<&str> =
        map.get("scope").and_then(Value::as_str).unwrap_or("").split(' ').collect();
    let want: std::collections::BTreeSet<&str> = n.scope.split(' ').collect();
    assert_eq!(scope, want, "introspected scope differs from the token's");
    assert_eq!(map.get("client_id").and_then(Value::as_str), Some(n.client), "introspected client_id");
    assert_eq!(map.get("exp").and_then(Value::as_u64), Some(n.expires_at), "introspected exp");
    assert_eq!(map.get("iat").and_then(Value::as_u64), Some(NOW), "introspected iat");
    assert_eq!(map.get("iss").and_then(Value::as_str), Some(ISSUER), "introspected iss");
    assert!(map.get("sub").and_then(Value::as_str).is_some_and(|s| !s.is_empty()), "introspected sub");
    if access {
        assert_eq!(map.get("token_type").and_then(Value::as_str), Some("Bearer"), "introspected token_type");
        assert_eq!(map.get("aud").and_then(Value::as_str), Some(ISSUER), "introspected aud (default: the issuer)");
        if !fixture_client.origins.is_empty() {
            let origins: Vec<&str> = map
                .get("allowed-origins")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert_eq!(origins, fixture_client.origins, "introspected allowed-origins");
        }
        if n.name == "AT_IMP" {
            assert_eq!(map.get("act").and_then(|a| a.get("sub")).and_then(Value::as_str), Some("svc-a"), "act");
            assert_eq!(map.get("sub").and_then(Value::as_str), Some("auth0|user-1"), "impersonated sub");
        }
    }
}
