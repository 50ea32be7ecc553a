//! Races over HTTP (issue 5, "Races and hostile input over HTTP"): many concurrent redemptions
//! of one authorization code and of one refresh token against the running server, each request
//! on its own connection and released together ([`TestServer::race`], last-byte
//! synchronisation). Exactly one succeeds; the others are `invalid_grant`; and afterwards the
//! reuse rules hold:
//! - D13: a code replayed by its own client revokes every token issued from it, so the
//!   winner's access and refresh tokens stop working; a replay that fails client
//!   authentication, or comes from another client, revokes nothing;
//! - D10: a rotated refresh token presented again revokes the whole grant, so the token that
//!   won the race and every access token of the grant stop working.
//!
//! Whether an access token still works is observed through the admin API's bearer check (the
//! server has no introspection endpoint yet): an active token of a client without the admin
//! scope gets `403 insufficient_scope`, an unknown, expired or revoked one `401 invalid_token`.
//!
//! Every race runs [`ROUNDS`] times with [`N`] requests; every loop is bounded.

use std::collections::HashSet;

use oauth_conformance::*;
use reqwest::Method;

/// Concurrent requests per race.
const N: usize = 48;
/// Times each race is repeated.
const ROUNDS: usize = 3;

/// What the admin API's bearer check says about an access token.
#[derive(Debug, PartialEq, Eq)]
enum Liveness {
    /// Known and active (403 `insufficient_scope`: the token works, it only lacks the admin
    /// scope).
    Active,
    /// Unknown, expired or revoked (401 `invalid_token`).
    Inactive,
}

/// Asks the admin API's bearer check whether `access_token` is active. Only for tokens of
/// clients that are not allowed the admin scope.
async fn liveness(srv: &TestServer, access_token: &str) -> Liveness {
    let reply = srv.admin(Method::GET, ADMIN_API, Some(access_token), None).await;
    let challenge = reply.header("www-authenticate").unwrap_or("").to_owned();
    match reply.status {
        403 if challenge.contains("error=\"insufficient_scope\"") => Liveness::Active,
        401 if challenge.contains("error=\"invalid_token\"") => Liveness::Inactive,
        _ => panic!("unexpected bearer check answer (challenge {challenge:?}): {}", reply.describe()),
    }
}

/// Checks that every reply of a race is a token response or `400 invalid_grant` (with the
/// error shape of RFC 6749 §5.2) and returns the token responses.
fn winners(replies: &[Reply], what: &str, round: usize) -> Vec<Tokens> {
    let mut won = Vec::new();
    let mut other = Vec::new();
    for reply in replies {
        if reply.status == 200 {
            won.push(reply.assert_tokens());
        } else if reply.status == 400 && reply.json()["error"] == "invalid_grant" {
            reply.assert_error_shape();
        } else {
            other.push(reply.describe());
        }
    }
    assert!(other.is_empty(), "{what}, round {round}: answers other than 200 or 400 invalid_grant: {other:?}");
    won
}

/// The form body that redeems `code` for `client-a` (or `client-pub`) with [`V1`].
fn redeem_body(code: &str, redirect_uri: &str, public_client: Option<&str>) -> String {
    let mut pairs = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", V1),
    ];
    if let Some(id) = public_client {
        pairs.push(("client_id", id));
    }
    query(&pairs)
}

/// D13 and F13 under load: [`N`] identical redemptions of one code by its own client, on
/// separate connections at the same instant, yield exactly one token response; the other
/// [`N`]` - 1` are replays, answered `invalid_grant`, and they revoke what the winner got: its
/// refresh token is refused by the refresh grant and its access token is no longer active.
/// Tokens of other grants of the same client and user are not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_redeemed_concurrently_succeeds_once_and_the_replays_revoke_its_tokens() {
    let srv = TestServer::start(FIXTURE).await;
    let auth = Auth::Header(BASIC_CLIENT_A);
    // A grant that is never replayed, and proof that the observable sees active tokens.
    let control = srv.code_tokens(auth, "client-a", CB_A, Some("read offline_access")).await;
    assert_eq!(liveness(&srv, &control.access_token).await, Liveness::Active);

    for round in 0..ROUNDS {
        let code = srv.get_code("client-a", CB_A, Some("read offline_access"), C1).await;
        let request = raw_token_form(&redeem_body(&code, CB_A, None), Some(BASIC_CLIENT_A));
        let replies = srv.race(&vec![request; N]).await;
        let won = winners(&replies, "code race", round);
        assert_eq!(won.len(), 1, "round {round}: exactly one of {N} concurrent redemptions may succeed");
        let winner = &won[0];

        // D13: the replays came from the code's own client with the right verifier, so the
        // winner's tokens are revoked.
        srv.refresh(auth, winner.refresh(), None).await.assert_token_error(400, "invalid_grant");
        assert_eq!(
            liveness(&srv, &winner.access_token).await,
            Liveness::Inactive,
            "round {round}: the access token issued from a replayed code must be revoked (D13)"
        );
        // The code stays used.
        srv.redeem(auth, &code, Some(CB_A), Some(V1)).await.assert_token_error(400, "invalid_grant");
    }

    // Revocation is per grant.
    assert_eq!(liveness(&srv, &control.access_token).await, Liveness::Active);
    srv.refresh(auth, control.refresh(), None).await.assert_tokens();
}

/// D13's other half under load: one legitimate redemption races [`N`]` - 1` requests for the
/// same code that fail client authentication (a wrong secret: `401 invalid_client`) or come from
/// another client (`client-b` presenting `client-a`'s code: `400 invalid_grant`). None of them
/// can use the code up or revoke anything: the legitimate request always wins, and its tokens
/// keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn strangers_racing_for_a_code_neither_win_nor_revoke_anything() {
    let srv = TestServer::start(FIXTURE).await;
    for round in 0..ROUNDS {
        let code = srv.get_code("client-a", CB_A, Some("read offline_access"), C1).await;
        let body = redeem_body(&code, CB_A, None);
        let mut requests = Vec::with_capacity(N);
        for i in 0..N {
            let authorization = match i {
                0 => BASIC_CLIENT_A,
                i if i % 2 == 0 => BASIC_CLIENT_A_WRONG,
                _ => BASIC_CLIENT_B,
            };
            requests.push(raw_token_form(&body, Some(authorization)));
        }
        let replies = srv.race(&requests).await;
        let mut legit = None;
        for (i, reply) in replies.iter().enumerate() {
            match i {
                0 => legit = Some(reply.assert_tokens()),
                i if i % 2 == 0 => reply.assert_basic_invalid_client(),
                _ => reply.assert_token_error(400, "invalid_grant"),
            }
        }
        let Some(legit) = legit else { panic!("round {round}: no reply for the legitimate request") };
        assert_eq!(
            liveness(&srv, &legit.access_token).await,
            Liveness::Active,
            "round {round}: failed client authentication or another client's attempt must revoke nothing (D13)"
        );
        srv.refresh(Auth::Header(BASIC_CLIENT_A), legit.refresh(), None).await.assert_tokens();
    }
}

/// D10 under load: [`N`] refreshes of one refresh token, on separate connections at the same
/// instant, yield exactly one token response (with a new refresh token); the others presented a
/// token that had just been rotated, which is reuse, so they are `invalid_grant` and revoke the
/// whole grant: the refresh token that won no longer refreshes, and neither the original
/// access token nor the new one is active. Rounds alternate between a confidential client
/// (`client-a`, Basic) and a public one (`client-pub`, `client_id` in the body).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_refresh_token_used_concurrently_rotates_once_and_the_reuse_revokes_the_grant() {
    let srv = TestServer::start(FIXTURE).await;
    for round in 0..ROUNDS {
        let public = round % 2 == 1;
        let (client_id, redirect_uri) = if public { ("client-pub", CB_PUB) } else { ("client-a", CB_A) };
        let auth = if public { Auth::Public("client-pub") } else { Auth::Header(BASIC_CLIENT_A) };
        let first = srv.code_tokens(auth, client_id, redirect_uri, Some("read offline_access")).await;

        let mut pairs = vec![("grant_type", "refresh_token"), ("refresh_token", first.refresh())];
        if public {
            pairs.push(("client_id", "client-pub"));
        }
        let authorization = (!public).then_some(BASIC_CLIENT_A);
        let request = raw_token_form(&query(&pairs), authorization);
        let replies = srv.race(&vec![request; N]).await;
        let won = winners(&replies, "refresh race", round);
        assert_eq!(won.len(), 1, "round {round}: exactly one of {N} concurrent refreshes may succeed");
        let second = &won[0];
        assert!(second.refresh_token.is_some(), "round {round}: the refresh token rotates (D10)");
        assert!(second.refresh() != first.refresh(), "round {round}: a rotated refresh token is new");

        // D10: the losers presented a rotated token; the grant is revoked.
        srv.refresh(auth, second.refresh(), None).await.assert_token_error(400, "invalid_grant");
        srv.refresh(auth, first.refresh(), None).await.assert_token_error(400, "invalid_grant");
        for (which, token) in [("original", &first.access_token), ("rotated", &second.access_token)] {
            assert_eq!(
                liveness(&srv, token).await,
                Liveness::Inactive,
                "round {round}: the {which} access token of a grant whose refresh token was reused must be revoked \
                 (D10)"
            );
        }
    }
    // Without reuse, rotation keeps the grant alive.
    let auth = Auth::Header(BASIC_CLIENT_A);
    let calm = srv.code_tokens(auth, "client-a", CB_A, Some("read offline_access")).await;
    let next = srv.refresh(auth, calm.refresh(), None).await.assert_tokens();
    assert_eq!(liveness(&srv, &next.access_token).await, Liveness::Active);
    srv.refresh(auth, next.refresh(), None).await.assert_tokens();
}

/// Grants that issue a new token on every request are not serialised into failures:
/// [`N`] concurrent client-credentials and impersonation requests (`svc-a`, half of each, and
/// `svc-b` client credentials) all succeed, with distinct access tokens across every round, no
/// refresh token (D9), and every token active afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_client_credentials_and_impersonation_all_succeed_with_distinct_tokens() {
    let srv = TestServer::start(FIXTURE).await;
    let cc = query(&[("grant_type", "client_credentials")]);
    let lookup = r#"{"field":"userId","value":"user-1"}"#;
    let imp = query(&[("grant_type", IMPERSONATION), ("user_lookup", lookup)]);
    let mut seen = HashSet::new();
    let mut last_round = Vec::new();
    for round in 0..ROUNDS {
        let requests: Vec<Vec<u8>> = (0..N)
            .map(|i| match i % 3 {
                0 => raw_token_form(&cc, Some(BASIC_SVC_A)),
                1 => raw_token_form(&imp, Some(BASIC_SVC_A)),
                _ => raw_token_form(&cc, Some(BASIC_SVC_B)),
            })
            .collect();
        let replies = srv.race(&requests).await;
        last_round.clear();
        for reply in &replies {
            let tokens = reply.assert_tokens();
            assert!(tokens.refresh_token.is_none(), "round {round}: no refresh token for these grants (D9)");
            assert!(seen.insert(tokens.access_token.clone()), "round {round}: an access token was issued twice");
            last_round.push(tokens.access_token);
        }
    }
    assert_eq!(seen.len(), N * ROUNDS);
    for token in &last_round {
        assert_eq!(liveness(&srv, token).await, Liveness::Active);
    }
}
