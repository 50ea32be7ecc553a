//! Model-based property tests of the core's sync driver (`oauth_core::drive`) over
//! `oauth_memory::MemoryStore` (issue 5).
//!
//! A generated sequence of up to 40 operations — authorization requests with random scope
//! subsets and PKCE, the resource owner's approval (possibly narrowed), denial or `prompt=none`
//! answers, token requests of every grant (authorization code with replays, wrong verifier,
//! wrong redirect URI and other clients; client credentials; refresh with reuse of rotated
//! tokens and by other clients; user impersonation), token checks (`TokenStore::access_token` +
//! `bearer::check`), clock advances across the short lifetimes, client removal
//! (`MemoryStore::remove_client`, which revokes the client's grants) and re-registration, and
//! malformed input — runs against five clients (public `spa` and `native`, confidential `web`,
//! `web2` without the refresh grant, and `svc` with client credentials and impersonation) and
//! three users (one disabled), with a virtual clock and `SeededEntropy`.
//!
//! The reference model (`model/world.rs`) keeps every code, access token and refresh token
//! issued, with its client, grant, scope, expiry and used/rotated state, and every grant with
//! its original scope and whether (and why) it was revoked. It predicts each response exactly
//! (status and error code, or the tokens and their scope), and after every operation it looks up
//! every token it knows in the store. Each mismatch is tagged with the invariants it breaks; each
//! property fails on its own invariant, and `prop_responses_match_the_reference_model` on any
//! mismatch.
//!
//! Cases per property: 256 by default (5 to 8 s for the whole file in the dev profile on two cores);
//! `PROPTEST_CASES` overrides. Failing cases are shrunk by proptest, then minimized by deleting
//! operations, and reported with the violations; their seeds are saved in
//! `proptest-regressions/model.txt` (replayed first on every run; seeds are tied to the
//! strategies in `model/ops.rs`, so changing those makes old seeds generate other cases).
//!
//! Environment: `MODEL_TRACE=1` prints every request's outcome (no credentials);
//! `MODEL_FAULT=<Fault>` runs the properties against one of the
//! deliberately broken stores of `model/faulty.rs` (nothing is saved then). The plain tests below
//! run fixed sequences: the happy path, the generators' coverage, and each broken store caught
//! by the property it concerns (a property that cannot fail proves nothing).

#[path = "model/faulty.rs"]
mod faulty;
#[path = "model/fixture.rs"]
mod fixture;
#[path = "model/ops.rs"]
mod ops;
#[path = "model/world.rs"]
mod world;

use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestError, TestRunner};

use crate::faulty::{Fault, Faulty};
use crate::fixture::{NATIVE, SPA, SVC, WEB};
use crate::ops::{
    AuthMode, AuthorizeOp, ClientCredentialsOp, Cred, Decision, ImpersonateOp, IntrospectOp, Lookup, Malformed, Mangle,
    Op, OriginChoice, Pick, PkceChoice, Profile, RedeemOp, RedirectChoice, RedirectMode, RefreshOp, ScopePick,
    VerifierMode, Who, Wire, ops,
};
use crate::world::{memory_store, run, run_on, tag};

/// Cases per property unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 256;

/// Where shrunk failing cases are kept (one file for every property of this test).
const REGRESSIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/proptest-regressions/model.txt");

/// `MODEL_FAULT=<Fault>` (e.g. `IgnoreRevocation`) runs the properties against a deliberately
/// broken store instead, to watch them fail and shrink; nothing is saved then.
fn fault() -> Option<Fault> {
    let name = std::env::var("MODEL_FAULT").ok()?;
    let fault = Fault::ALL.into_iter().find(|f| format!("{f:?}") == name);
    assert!(fault.is_some(), "MODEL_FAULT must be one of {:?}", Fault::ALL);
    fault
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    let persistence =
        if fault().is_some() { FileFailurePersistence::Off } else { FileFailurePersistence::Direct(REGRESSIONS) };
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(persistence)),
        max_shrink_iters: 20_000,
        ..ProptestConfig::default()
    }
}

fn check(ops: &[Op], focus: u8) -> Result<(), String> {
    let outcome = match fault() {
        Some(f) => run_on(Faulty::new(f), ops, focus),
        None => run(ops, focus),
    };
    outcome.map(|_| ())
}

/// Drops operations one at a time while the sequence still fails (proptest's own shrinking
/// simplifies operations but rarely deletes them once simplified). At most `len²` runs.
fn minimize(mut ops: Vec<Op>, focus: u8) -> Vec<Op> {
    let mut changed = true;
    while changed {
        changed = false;
        let mut i = 0;
        while i < ops.len() {
            let mut shorter = ops.clone();
            shorter.remove(i);
            if check(&shorter, focus).is_err() {
                ops = shorter;
                changed = true;
            } else {
                i += 1;
            }
        }
    }
    ops
}

/// Runs the property `focus` over sequences drawn with `profile`; on failure, panics with the
/// violations of the shrunk and minimized sequence and the sequence itself (its seed is saved
/// in the regression file by proptest).
fn property(profile: Profile, focus: u8) {
    let mut runner = TestRunner::new(config());
    match runner.run(&ops(profile), |ops| check(&ops, focus).map_err(TestCaseError::fail)) {
        Ok(()) => {}
        Err(TestError::Fail(_, shrunk)) => {
            let minimal = minimize(shrunk, focus);
            let report = check(&minimal, focus).err().unwrap_or_default();
            panic!("{report}\nminimal failing sequence ({} operations):\n{minimal:#?}", minimal.len());
        }
        Err(TestError::Abort(why)) => panic!("proptest aborted: {why}"),
    }
}

/// Invariant 1: An authorization code yields tokens at most once, whoever presents it how often; its
/// replay by its own client (with the right verifier) revokes every token it issued (D13).
#[test]
fn prop_code_yields_tokens_at_most_once() {
    property(Profile::CODES, tag::CODE_ONCE);
}

/// Invariant 2: No code, access token or refresh token is accepted once its lifetime is over, or once its
/// grant was revoked (code replay, refresh token reuse, client removal): access tokens through
/// `access_token` + `bearer::check` after every operation, refresh tokens through the refresh
/// grant and `refresh_token`, codes through redemption.
#[test]
fn prop_token_never_accepted_after_lifetime_or_revocation() {
    property(Profile::LIFETIMES, tag::LIFETIME);
}

/// Invariant 3: Granted scope never exceeds the client's allowed scopes and what was requested and
/// approved: for codes the approved scope, for refreshes the original grant's, for client
/// credentials and impersonation the client's; a refresh token only with `offline_access`.
#[test]
fn prop_granted_scope_never_exceeds_allowed_and_approved() {
    property(Profile::SCOPES, tag::SCOPE);
}

/// Invariant 4: A rotated refresh token never works again, and its reuse by its own client revokes the
/// whole grant: every access and refresh token of it becomes inactive (D10).
#[test]
fn prop_rotated_refresh_token_never_works_and_reuse_revokes_grant() {
    property(Profile::ROTATION, tag::ROTATION);
}

/// Invariant 5: A credential issued to one client is never usable (codes), refreshable (refresh tokens)
/// or revocable (a replay by another client revokes nothing, burns nothing) by another client,
/// nor by a request that fails client authentication.
#[test]
fn prop_credentials_are_bound_to_their_client() {
    property(Profile::CROSS_CLIENT, tag::CROSS_CLIENT);
}

/// Invariant 6: Every response to malformed input (random bytes, strings and dictionary parameters as
/// bodies, queries and `Authorization` headers; oversized bodies; real requests broken by
/// repeats, bad escapes, a query, two authentication methods) is a 4xx OAuth error (400/401/413
/// JSON with `error`; 414 for an oversized authorization query; an error redirect once client
/// and redirect URI are valid), never a panic, and changes nothing.
#[test]
fn prop_malformed_input_gets_a_4xx_oauth_error() {
    property(Profile::MALFORMED, tag::MALFORMED);
}

/// Every response and every token state agrees with the reference model: the properties above
/// are safety; this one is also liveness (valid requests succeed, with the predicted scope,
/// refresh token, CORS header and error codes).
#[test]
fn prop_responses_match_the_reference_model() {
    property(Profile::GENERAL, u8::MAX);
}

// ---- fixed sequences: the happy path, and the negative controls ----------------------------

const RIGHT: Wire = Wire { auth: AuthMode::Right, origin: OriginChoice::Absent, json: false };

fn authorize(client: usize, scope: ScopePick) -> Op {
    Op::Authorize(AuthorizeOp {
        client,
        redirect: RedirectChoice::Registered(0),
        scope,
        pkce: PkceChoice::S256(0),
        state: Some(7),
        post: false,
        decision: Decision::Approve { user: 0, narrow: ScopePick::Omit },
    })
}

fn redeem(code: Pick, who: Who) -> Op {
    Op::Redeem(RedeemOp {
        code: Cred::Code(code),
        who,
        wire: RIGHT,
        redirect: RedirectMode::AsAuthorized,
        verifier: VerifierMode::Right,
    })
}

fn refresh(token: Pick, scope: ScopePick) -> Op {
    Op::Refresh(RefreshOp { token: Cred::Refresh(token), who: Who::Owner, wire: RIGHT, scope })
}

/// `spa` asks for `offline_access read` (bits 0 and 1 of its allowed `offline_access read write`).
const OFFLINE_READ: ScopePick = ScopePick::Sub(0b011);

/// A code, its redemption, a replay; a refresh, a reuse of the rotated token; client
/// credentials, impersonation; token checks across expiry; client removal.
fn happy_path() -> Vec<Op> {
    vec![
        authorize(SPA, OFFLINE_READ),
        redeem(Pick::Latest, Who::Owner),
        refresh(Pick::Latest, ScopePick::Omit),
        refresh(Pick::Latest, ScopePick::Sub(0b10)),
        Op::Introspect(IntrospectOp { token: Cred::Access(Pick::Latest), origin: OriginChoice::Allowed }),
        refresh(Pick::At(0), ScopePick::Omit),
        authorize(NATIVE, ScopePick::Omit),
        redeem(Pick::Latest, Who::Client(WEB)),
        redeem(Pick::Latest, Who::Owner),
        redeem(Pick::Latest, Who::Owner),
        Op::ClientCredentials(ClientCredentialsOp { client: WEB, wire: RIGHT, scope: ScopePick::Omit }),
        Op::Impersonate(ImpersonateOp { client: SVC, wire: RIGHT, lookup: Lookup::Subject(1), scope: ScopePick::Omit }),
        Op::Impersonate(ImpersonateOp { client: SVC, wire: RIGHT, lookup: Lookup::UserId(2), scope: ScopePick::Omit }),
        Op::Advance(29),
        Op::Introspect(IntrospectOp { token: Cred::Access(Pick::Latest), origin: OriginChoice::Absent }),
        Op::Advance(1),
        Op::RemoveClient(SVC),
        Op::ReinsertClient(SVC),
        Op::Malformed(Malformed::Mangled { token: Cred::Code(Pick::Latest), refresh: false, how: Mangle::Query }),
    ]
}

#[test]
fn the_happy_path_agrees_with_the_model() {
    // Six access tokens: the spa code and two refreshes, the native code (revoked by its
    // replay), client credentials, impersonation of Bob (Carol is disabled).
    let stats = run_on(memory_store(), &happy_path(), u8::MAX).expect("the happy path agrees with the model");
    assert_eq!(stats.access_tokens, 6, "{stats:?}");
    assert_eq!((stats.code_replays_revoking, stats.refresh_reuses_revoking, stats.foreign_refused), (1, 1, 1));
}

/// The generators reach every interesting state: over 300 sequences of the general profile
/// (fixed seed), each counter of `Stats` is well above zero. Prints the totals (`--nocapture`).
#[test]
fn the_generators_reach_every_state() {
    use proptest::strategy::ValueTree as _;
    use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};

    let mut runner =
        TestRunner::new_with_rng(ProptestConfig::default(), TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = ops(Profile::GENERAL);
    let mut total = world::Stats::default();
    let mut lengths = 0;
    for _ in 0..300 {
        let ops = strategy.new_tree(&mut runner).expect("invariant: the strategy never rejects").current();
        lengths += ops.len();
        let stats = run(&ops, u8::MAX).unwrap_or_else(|report| panic!("{report}"));
        total.add(&stats);
    }
    println!("{lengths} operations: {total:#?}");
    for (name, n) in total.fields() {
        assert!(n >= 10, "{name} reached only {n} times in 300 sequences: {total:#?}");
    }
}

/// Regression (found by `prop_granted_scope_never_exceeds_allowed_and_approved`, seed kept
/// in the regression file): `native` gets a code for `offline_access read`; an administrator
/// re-registers it without `offline_access`; redeeming the code must grant only `read` and no
/// refresh token (oauth-core narrows a code's scope to the client's current allowed scopes).
#[test]
fn redeemed_code_is_narrowed_to_the_clients_current_scopes() {
    let ops = [
        Op::Authorize(AuthorizeOp {
            client: NATIVE,
            redirect: RedirectChoice::Omit,
            scope: ScopePick::Sub(0b11),
            pkce: PkceChoice::S256(0),
            state: None,
            post: false,
            decision: Decision::Approve { user: 0, narrow: ScopePick::Omit },
        }),
        Op::Reregister { client: NATIVE, drop: 0 },
        redeem(Pick::Latest, Who::Owner),
    ];
    let stats = run_on(memory_store(), &ops, tag::SCOPE).unwrap_or_else(|report| panic!("{report}"));
    assert_eq!(stats.codes_redeemed, 1);
}

/// Runs `ops` against a store with `fault`; the property `focus` must catch it.
fn caught(fault: Fault, ops: &[Op], focus: u8) -> String {
    match run_on(Faulty::new(fault), ops, focus) {
        Err(report) => report,
        Ok(_) => panic!("{fault:?} went unnoticed by the {focus:#b} checks"),
    }
}

#[test]
fn a_store_that_ignores_revocation_is_caught() {
    let ops = [authorize(SPA, OFFLINE_READ), redeem(Pick::Latest, Who::Owner), redeem(Pick::Latest, Who::Owner)];
    let report = caught(Fault::IgnoreRevocation, &ops, tag::CODE_ONCE);
    assert!(report.contains("revoked (CodeReplay)"), "{report}");
    let rotation = [
        authorize(SPA, OFFLINE_READ),
        redeem(Pick::Latest, Who::Owner),
        refresh(Pick::Latest, ScopePick::Omit),
        refresh(Pick::At(0), ScopePick::Omit),
    ];
    caught(Fault::IgnoreRevocation, &rotation, tag::ROTATION);
    caught(Fault::IgnoreRevocation, &rotation, tag::LIFETIME);
}

#[test]
fn a_store_that_hands_out_a_code_twice_is_caught() {
    let ops = [authorize(WEB, ScopePick::Omit), redeem(Pick::Latest, Who::Owner), redeem(Pick::Latest, Who::Owner)];
    let report = caught(Fault::ReusableCodes, &ops, tag::CODE_ONCE);
    assert!(report.contains("issued an access token"), "{report}");
}

#[test]
fn a_store_that_revives_rotated_refresh_tokens_is_caught() {
    let ops = [
        authorize(SPA, OFFLINE_READ),
        redeem(Pick::Latest, Who::Owner),
        refresh(Pick::Latest, ScopePick::Omit),
        refresh(Pick::At(0), ScopePick::Omit),
    ];
    caught(Fault::ReusableRefreshTokens, &ops, tag::ROTATION);
}

#[test]
fn a_store_that_extends_lifetimes_is_caught() {
    let ops = [
        Op::ClientCredentials(ClientCredentialsOp { client: WEB, wire: RIGHT, scope: ScopePick::Omit }),
        Op::Advance(40),
    ];
    let report = caught(Fault::LongLivedAccessTokens, &ops, tag::LIFETIME);
    assert!(report.contains("expires at"), "{report}");
}

#[test]
fn a_store_that_lets_another_client_take_a_code_is_caught() {
    // The core still refuses web's redemption, but the code is used up for its owner.
    let ops = [authorize(SPA, OFFLINE_READ), redeem(Pick::Latest, Who::Client(WEB)), redeem(Pick::Latest, Who::Owner)];
    caught(Fault::IgnoreCodeClient, &ops, tag::CROSS_CLIENT);
}

#[test]
fn a_store_that_widens_refresh_scope_is_caught() {
    // web may have `admin`; a refresh of a `read offline_access` grant must not grant it.
    let ops = [
        authorize(WEB, ScopePick::Sub(0b0110)),
        Op::Redeem(RedeemOp {
            code: Cred::Code(Pick::Latest),
            who: Who::Owner,
            wire: RIGHT,
            redirect: RedirectMode::AlwaysSend,
            verifier: VerifierMode::Right,
        }),
        refresh(Pick::Latest, ScopePick::Omit),
    ];
    caught(Fault::WiderRefreshScope, &ops, tag::SCOPE);
}

#[test]
fn malformed_input_checks_can_fail() {
    // A "malformed" request that is in fact valid (client credentials with web's secret) is
    // reported: the check does not accept whatever comes back.
    let body = b"grant_type=client_credentials".to_vec();
    let ops = [Op::Malformed(Malformed::TokenBytes {
        content_type: Some("application/x-www-form-urlencoded"),
        body,
        authorization: Some(fixture::basic("web", "web-secret")),
        query: None,
    })];
    let report =
        run(&ops, tag::MALFORMED).map(|_| ()).expect_err("a token response to a malformed-input op is reported");
    assert!(report.contains("issued tokens"), "{report}");
}
