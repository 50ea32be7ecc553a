//! Model-based property tests of the core's sync driver (`oauth_core::drive`) over
//! `oauth_memory::MemoryStore` (issue 5; revocation, introspection and JWT access tokens from
//! issue 4).
//!
//! A generated sequence of up to 40 operations — authorization requests with random scope
//! subsets and PKCE, the resource owner's approval (possibly narrowed), denial or `prompt=none`
//! answers, token requests of every grant (authorization code with replays, wrong verifier,
//! wrong redirect URI and other clients; client credentials; refresh with reuse of rotated
//! tokens and by other clients; user impersonation), revocation (RFC 7009: by the owner with
//! every `token_type_hint`, by other clients, public clients by `client_id`, unknown and
//! missing tokens), introspection (RFC 7662: by the owner, by other clients, by the client
//! allowed `introspect`, by bearer tokens), resource-server checks (`TokenStore::access_token`
//! and `bearer::check`), clock advances across the short lifetimes, client removal
//! (`MemoryStore::remove_client`, which revokes the client's grants) and re-registration, and
//! malformed input — runs against six clients (public `spa` and `native`, confidential `web`,
//! `web2` without the refresh grant, `svc` with client credentials and impersonation, and `rs`,
//! a resource server; `svc` and `rs` are allowed `introspect`) and three users (one disabled),
//! with a virtual clock and `SeededEntropy`.
//!
//! Every case runs twice: with opaque access tokens, and with JWT access tokens
//! (`Config::with_jwt_access_tokens`, HS256), where every access token must also verify with
//! `jwt::verify` until its expiry with the model's claims, and every store key is computed with
//! `jwt::access_token_key`.
//!
//! The reference model (`model/world.rs`) keeps every code, access token and refresh token
//! issued, with its client, grant, scope, issue and expiry times and used/rotated state, and
//! every grant with its original scope and whether (and why) it was revoked: revoking an access
//! or refresh token revokes its whole grant (the core's RFC 7009 §2.1 choice). It predicts each
//! response exactly (status and error code, the tokens and their scope, an introspection answer's
//! members), and after every operation it looks up every token it knows in the store. Each
//! mismatch is tagged with the invariants it breaks; each property fails on its own invariant,
//! and `prop_responses_match_the_reference_model` on any mismatch.
//!
//! Cases per property: 256 by default, each in both modes (20 to 40 s for the whole file in the
//! dev profile on two cores); `PROPTEST_CASES` overrides, `MODEL_MODE=opaque|jwt` runs one mode.
//! Failing cases are shrunk by proptest, then minimized by deleting operations, and reported
//! with the violations; their seeds are saved in `proptest-regressions/model.txt` (replayed
//! first on every run; seeds are tied to the strategies in `model/ops.rs`, so changing those
//! makes old seeds generate other cases).
//!
//! Environment: `MODEL_TRACE=1` prints every request's outcome (no credentials);
//! `MODEL_FAULT=<Fault>` runs the properties against one of the
//! deliberately broken stores of `model/faulty.rs` (nothing is saved then). The plain tests below
//! run fixed sequences: the happy path, the generators' coverage, and each broken store (or
//! broken harness or signer, for what only the core decides) caught by the property it concerns
//! (a property that cannot fail proves nothing).

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
use crate::fixture::{NATIVE, RS, SPA, SVC, WEB, WEB2};
use crate::ops::{
    AuthMode, AuthorizeOp, Caller, ClientCredentialsOp, Cred, Decision, FlowOp, Hint, ImpersonateOp, IntrospectOp,
    Lookup, Malformed, Mangle, Op, OriginChoice, Pick, PkceChoice, Profile, RedeemOp, RedirectChoice, RedirectMode,
    RefreshOp, ResourceOp, RevokeOp, ScopePick, TokenParam, VerifierMode, Who, Wire, ops,
};
use crate::world::{Mode, Sabotage, memory_store, run, run_on, run_sabotaged, tag};

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

/// `MODEL_MODE=opaque` or `MODEL_MODE=jwt` runs the properties in one mode only; by default
/// every case runs in both (opaque access tokens, then JWT access tokens).
fn modes() -> Vec<Mode> {
    match std::env::var("MODEL_MODE").ok().as_deref() {
        Some("opaque") => vec![Mode::Opaque],
        Some("jwt") => vec![Mode::Jwt],
        None | Some("" | "both") => Mode::BOTH.to_vec(),
        Some(other) => panic!("MODEL_MODE must be opaque, jwt or both, not {other:?}"),
    }
}

fn check(ops: &[Op], focus: u16) -> Result<(), String> {
    for mode in modes() {
        match fault() {
            Some(f) => run_on(Faulty::new(f), ops, focus, mode)?,
            None => run(ops, focus, mode)?,
        };
    }
    Ok(())
}

/// Drops operations one at a time while the sequence still fails (proptest's own shrinking
/// simplifies operations but rarely deletes them once simplified). At most `len²` runs.
fn minimize(mut ops: Vec<Op>, focus: u16) -> Vec<Op> {
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
fn property(profile: Profile, focus: u16) {
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

/// Invariant 7: A token its client revoked at the revocation endpoint (RFC 7009), with each
/// `token_type_hint` (right, wrong, unknown or none), is never active again, and neither is any
/// other token of its grant (the core revokes the whole grant, RFC 7009 §2.1): not at the
/// resource server, not at introspection, not at the refresh grant, not in the store.
#[test]
fn prop_revoked_token_is_never_active_again() {
    property(Profile::REVOCATION, tag::REVOKED);
}

/// Invariant 8: A revocation by a client other than the token's (D7) is refused with 400
/// `unauthorized_client` and changes nothing: the token and its grant stay active.
#[test]
fn prop_revocation_by_a_stranger_changes_nothing() {
    property(Profile::REVOCATION, tag::STRANGER);
}

/// Invariant 9: Introspection (RFC 7662) answers exactly `{"active":false}` for expired, revoked,
/// rotated and unknown tokens and to a caller that may not see the token (RFC 7662 §4: another
/// client without the introspection scope); exactly the token's members to its own client, to
/// the client allowed `introspect` and to a bearer token carrying it; and refuses callers that
/// do not authenticate.
#[test]
fn prop_introspection_reveals_nothing_to_a_caller_that_may_not_see_it() {
    property(Profile::INTROSPECTION, tag::INTROSPECTION);
}

/// Invariant 10: In JWT mode (`Config::with_jwt_access_tokens`, HS256), every access token is a
/// JWT that `jwt::verify` accepts with the resource server's copy of the key until its expiry,
/// and refuses as expired from then on, with the model's `sub`, `client_id`, `scope`, `act`,
/// `iss`, `aud`, `exp`, `iat` and `allowed-origins`, a `jti` whose `jwt::jti_key` is its store
/// key, and a bare `jti` that is no usable token.
#[test]
fn prop_jwt_access_tokens_verify_until_expiry_with_the_models_claims() {
    property(Profile::GENERAL, tag::JWT);
}

/// Every response and every token state agrees with the reference model: the properties above
/// are safety; this one is also liveness (valid requests succeed, with the predicted scope,
/// refresh token, CORS header and error codes).
#[test]
fn prop_responses_match_the_reference_model() {
    property(Profile::GENERAL, u16::MAX);
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

/// `web`'s approved and redeemed `read write offline_access` (PKCE, first redirect URI).
fn web_flow() -> Op {
    Op::Flow(FlowOp { client: WEB, scope: ScopePick::Omit, offline: true, user: 0 })
}

fn revoke(token: TokenParam, who: Who, hint: Hint) -> Op {
    Op::Revoke(RevokeOp { token, who, wire: RIGHT, hint })
}

fn introspect(token: Cred, caller: Caller) -> Op {
    Op::Introspect(IntrospectOp { token, caller, hint: Hint::Omit, json: false })
}

/// A code, its redemption, a replay; a refresh, a reuse of the rotated token; client
/// credentials, impersonation; token checks across expiry; client removal.
fn happy_path() -> Vec<Op> {
    vec![
        authorize(SPA, OFFLINE_READ),
        redeem(Pick::Latest, Who::Owner),
        refresh(Pick::Latest, ScopePick::Omit),
        refresh(Pick::Latest, ScopePick::Sub(0b10)),
        Op::Resource(ResourceOp { token: Cred::Access(Pick::Latest), origin: OriginChoice::Allowed }),
        refresh(Pick::At(0), ScopePick::Omit),
        authorize(NATIVE, ScopePick::Omit),
        redeem(Pick::Latest, Who::Client(WEB)),
        redeem(Pick::Latest, Who::Owner),
        redeem(Pick::Latest, Who::Owner),
        Op::ClientCredentials(ClientCredentialsOp { client: WEB, wire: RIGHT, scope: ScopePick::Omit }),
        Op::Impersonate(ImpersonateOp { client: SVC, wire: RIGHT, lookup: Lookup::Subject(1), scope: ScopePick::Omit }),
        Op::Impersonate(ImpersonateOp { client: SVC, wire: RIGHT, lookup: Lookup::UserId(2), scope: ScopePick::Omit }),
        Op::Advance(29),
        Op::Resource(ResourceOp { token: Cred::Access(Pick::Latest), origin: OriginChoice::Absent }),
        Op::Advance(1),
        Op::RemoveClient(SVC),
        Op::ReinsertClient(SVC),
        // Introspection and revocation: AT#6 and RT#3 are web's, AT#7 is rs's (`introspect read`).
        web_flow(),
        Op::ClientCredentials(ClientCredentialsOp { client: RS, wire: RIGHT, scope: ScopePick::Omit }),
        introspect(Cred::Access(Pick::At(6)), Caller::Owner { post: false }),
        introspect(Cred::Access(Pick::At(6)), Caller::Client { client: WEB2, post: true }),
        introspect(Cred::Access(Pick::At(6)), Caller::Client { client: RS, post: false }),
        introspect(Cred::Access(Pick::At(6)), Caller::IntrospectorBearer),
        introspect(Cred::Refresh(Pick::At(3)), Caller::Owner { post: true }),
        introspect(Cred::Access(Pick::At(0)), Caller::Owner { post: false }),
        revoke(TokenParam::Send(Cred::Access(Pick::At(6))), Who::Client(SVC), Hint::AccessToken),
        revoke(TokenParam::Send(Cred::Refresh(Pick::At(3))), Who::Owner, Hint::AccessToken),
        introspect(Cred::Access(Pick::At(6)), Caller::Owner { post: false }),
        revoke(TokenParam::Send(Cred::Access(Pick::At(6))), Who::Owner, Hint::Unknown),
        revoke(TokenParam::Send(Cred::Garbage), Who::Client(SPA), Hint::RefreshToken),
        revoke(TokenParam::Missing, Who::Client(WEB), Hint::Omit),
        // Bearer callers (AT#8 svc's impersonation of Alice, AT#9 svc's own token, both carrying
        // `introspect`): only a client acting for itself, still allowed the scope, sees all.
        Op::Impersonate(ImpersonateOp { client: SVC, wire: RIGHT, lookup: Lookup::Subject(0), scope: ScopePick::Omit }),
        Op::ClientCredentials(ClientCredentialsOp { client: SVC, wire: RIGHT, scope: ScopePick::Omit }),
        introspect(Cred::Access(Pick::At(7)), Caller::Bearer(Pick::At(8))),
        introspect(Cred::Access(Pick::At(7)), Caller::Bearer(Pick::At(9))),
        Op::Reregister { client: RS, drop: 0 },
        introspect(Cred::Access(Pick::At(8)), Caller::IntrospectorBearer),
        Op::Malformed(Malformed::Mangled { token: Cred::Code(Pick::Latest), refresh: false, how: Mangle::Query }),
    ]
}

#[test]
fn the_happy_path_agrees_with_the_model() {
    for mode in Mode::BOTH {
        // Ten access tokens: the spa code and two refreshes, the native code (revoked by its
        // replay), client credentials, impersonation of Bob (Carol is disabled), web's code, rs,
        // svc's impersonation of Alice and its own.
        let stats = run_on(memory_store(), &happy_path(), u16::MAX, mode)
            .unwrap_or_else(|report| panic!("the happy path disagrees with the model: {report}"));
        assert_eq!(stats.access_tokens, 10, "{mode:?}: {stats:?}");
        assert_eq!((stats.code_replays_revoking, stats.refresh_reuses_revoking, stats.foreign_refused), (1, 1, 1));
        assert_eq!((stats.revoked_by_owner, stats.revoked_nothing, stats.revoke_stranger_refused), (1, 2, 1));
        assert_eq!((stats.introspected_own, stats.introspected_any), (2, 3), "{mode:?}: {stats:?}");
        assert_eq!(
            (stats.introspected_hidden, stats.introspected_dead, stats.introspect_refused),
            (1, 1, 3),
            "{mode:?}: {stats:?}"
        );
    }
}

/// The generators reach every interesting state: over 300 sequences of the general profile
/// (fixed seed), each run in both modes, each counter of `Stats` is well above zero. Prints the
/// totals (`--nocapture`).
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
        for mode in Mode::BOTH {
            let stats = run(&ops, u16::MAX, mode).unwrap_or_else(|report| panic!("{report}"));
            total.add(&stats);
        }
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
    let stats = run_on(memory_store(), &ops, tag::SCOPE, Mode::Opaque).unwrap_or_else(|report| panic!("{report}"));
    assert_eq!(stats.codes_redeemed, 1);
}

/// Runs `ops` against a store with `fault` (opaque tokens); the property `focus` must catch it.
fn caught(fault: Fault, ops: &[Op], focus: u16) -> String {
    caught_in(Mode::Opaque, fault, ops, focus)
}

/// As [`caught`], in `mode`.
fn caught_in(mode: Mode, fault: Fault, ops: &[Op], focus: u16) -> String {
    match run_on(Faulty::new(fault), ops, focus, mode) {
        Err(report) => report,
        Ok(_) => panic!("{fault:?} went unnoticed by the {focus:#b} checks in {mode:?} mode"),
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
    let report = run(&ops, tag::MALFORMED, Mode::Opaque)
        .map(|_| ())
        .expect_err("a token response to a malformed-input op is reported");
    assert!(report.contains("issued tokens"), "{report}");
}

#[test]
fn a_store_that_ignores_revocation_keeps_revoked_tokens_alive_and_is_caught() {
    // web revokes its refresh token (with the wrong hint): the grant's access token must die.
    for mode in Mode::BOTH {
        let ops = [web_flow(), revoke(TokenParam::Send(Cred::Refresh(Pick::Latest)), Who::Owner, Hint::AccessToken)];
        let report = caught_in(mode, Fault::IgnoreRevocation, &ops, tag::REVOKED);
        assert!(report.contains("revoked (Revoked)"), "{report}");
        // And introspection of the access token it revoked must not describe it.
        let ops = [
            web_flow(),
            revoke(TokenParam::Send(Cred::Access(Pick::Latest)), Who::Owner, Hint::Omit),
            introspect(Cred::Access(Pick::Latest), Caller::Owner { post: false }),
        ];
        caught_in(mode, Fault::IgnoreRevocation, &ops, tag::REVOKED);
    }
}

#[test]
fn a_stranger_revoking_with_the_owners_secret_is_caught() {
    // Only the core decides who may revoke, so the broken part is the harness: the stranger's
    // request carries the owner's credentials (a leaked secret, as far as the core can tell).
    for mode in Mode::BOTH {
        let ops = [web_flow(), revoke(TokenParam::Send(Cred::Access(Pick::Latest)), Who::Client(WEB2), Hint::Omit)];
        let sabotage = Some(Sabotage::StrangerRevokesWithOwnerCredentials);
        let report = run_sabotaged(memory_store(), &ops, tag::STRANGER, mode, sabotage)
            .map(|_| ())
            .expect_err("a stranger's revocation that succeeds is reported");
        assert!(report.contains("answered 200") && report.contains("unauthorized_client"), "{report}");
        // The same sequence without the sabotage is a refusal that changes nothing.
        run(&ops, u16::MAX, mode).unwrap_or_else(|report| panic!("{report}"));
    }
}

#[test]
fn a_registry_that_grants_everyone_introspection_is_caught() {
    // web2 may not see web's tokens; a registry that reports it allowed `introspect` lets it.
    for mode in Mode::BOTH {
        let ops = [web_flow(), introspect(Cred::Access(Pick::Latest), Caller::Client { client: WEB2, post: false })];
        let report = caught_in(mode, Fault::EveryoneIntrospects, &ops, tag::INTROSPECTION);
        assert!(report.contains("expected {\"active\":false}"), "{report}");
    }
}

#[test]
fn a_signer_the_resource_server_does_not_know_is_caught() {
    let ops = [Op::ClientCredentials(ClientCredentialsOp { client: WEB, wire: RIGHT, scope: ScopePick::Omit })];
    let report = run_on(memory_store(), &ops, tag::JWT, Mode::JwtForeignKey)
        .map(|_| ())
        .expect_err("a JWT that does not verify with the resource server's key is reported");
    assert!(report.contains("does not verify (BadSignature)"), "{report}");
    // With the right key, the same JWT verifies, and stops verifying at its expiry.
    let ops = [ops[0].clone(), Op::Advance(29), Op::Advance(1), Op::Advance(5)];
    run(&ops, tag::JWT, Mode::Jwt).unwrap_or_else(|report| panic!("{report}"));
}
