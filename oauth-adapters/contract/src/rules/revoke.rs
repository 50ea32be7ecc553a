//! `revoke_grant`: every credential of the grant, including those persisted later.

use oauth_core::{Client, GrantId, Store, StoreError, TokenDigest, UnixTime, User, Write};

use crate::fixture::WEB_A;
use crate::harness::{
    Harness, ROUNDS, THREADS, access_write, active, at, before, code_write, expect_error, missing, ok, race,
    refresh_write, tokens,
};

/// Fails the rule unless a persist for a revoked grant answered as the contract allows:
/// `Ok(())` (the store keeps the records inactive) or `Err(StoreError::GrantRevoked)`.
#[track_caller]
fn revoked_persist_answer(answer: Result<(), StoreError>, what: &str) {
    assert!(
        matches!(answer, Ok(()) | Err(StoreError::GrantRevoked)),
        "{what}: a persist for a revoked grant must answer Ok (records kept inactive) or Err(GrantRevoked), got {answer:?}"
    );
}

/// The keys of a batch's access and refresh tokens.
fn token_keys(writes: &[Write]) -> Vec<(bool, TokenDigest)> {
    writes
        .iter()
        .filter_map(|w| match w {
            Write::AccessToken { key, .. } => Some((true, *key)),
            Write::RefreshToken { key, .. } => Some((false, *key)),
            _ => None,
        })
        .collect()
}

/// Fails the rule unless none of the tokens of `writes` is active at `now`.
#[track_caller]
fn inactive<S: Store + Send + Sync + 'static>(h: &Harness<S>, writes: &[Write], now: UnixTime, what: &str) {
    for (is_access, key) in token_keys(writes) {
        if is_access {
            assert!(h.access_token(&key, now).is_none(), "{what}: an access token of a revoked grant is active");
        } else {
            missing(&h.refresh_token(&key, now), &format!("{what}: a refresh token of a revoked grant"));
            missing(&h.take_refresh_token(&key, now), &format!("{what}: take of a refresh token of a revoked grant"));
        }
    }
}

/// [`oauth_core::TokenStore::revoke_grant`] makes every code (used or not), access token and
/// refresh token (rotated or not) of the grant read as `Missing` or `None`, leaves other grants
/// alone, and may be repeated or name an unknown grant (RFC 6749 §4.1.2, §10.5; RFC 7009 §2.1;
/// RFC 9700 §4.14.2). Also checked through the token endpoint: a replayed code revokes what it
/// issued (D13).
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn revoke_grant_deactivates_every_credential<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    // Grant 1: a redeemed code, a rotated refresh token, two access tokens, an active refresh
    // token and an unused code of the same grant.
    let first = h.issue(at(0));
    let code_key = TokenDigest::of(&first.code);
    let t = tokens(h.refresh(WEB_A, &first.refresh, None, at(1)), "a refresh");
    let second_rt = t.refresh_token.unwrap_or_else(|| panic!("a refresh rotates the refresh token"));
    let grant = active(h.refresh_token(&second_rt.digest(), at(1)), "the new refresh token").grant_id;
    let (code_t, _, _) = h.templates();
    let unused_code = h.key();
    ok(h.store.persist(vec![code_write(&code_t, unused_code, grant, at(60))], at(1)), "persist of a code");
    // Grant 2 (tokens) and grant 3 (an unused code) are someone else's.
    let other = h.issue(at(1));
    let other_code = TokenDigest::of(&h.authorize(WEB_A, "read", at(1)));

    ok(h.store.revoke_grant(&grant, at(2)), "revoke_grant");
    let now = at(2);
    missing(&h.take_code(&code_key, WEB_A, now), "the redeemed code of a revoked grant");
    missing(&h.take_code(&unused_code, WEB_A, now), "an unused code of a revoked grant");
    for access in [&first.access, &t.access_token] {
        assert!(h.access_token(&access.digest(), now).is_none(), "an access token of a revoked grant");
    }
    missing(&h.refresh_token(&first.refresh.digest(), now), "the rotated refresh token of a revoked grant");
    missing(&h.refresh_token(&second_rt.digest(), now), "the active refresh token of a revoked grant");
    missing(&h.take_refresh_token(&second_rt.digest(), now), "take of a refresh token of a revoked grant");
    expect_error(&h.refresh(WEB_A, &second_rt, None, now), "invalid_grant", "refresh with a revoked grant's token");

    assert!(h.access_token(&other.access.digest(), now).is_some(), "another grant's access token is untouched");
    active(h.refresh_token(&other.refresh.digest(), now), "another grant's refresh token is untouched");
    active(h.take_code(&other_code, WEB_A, now), "another grant's code is untouched");

    ok(h.store.revoke_grant(&grant, at(3)), "revoking a grant again");
    ok(h.store.revoke_grant(&h.grant(), at(3)), "revoking an unknown grant");
    assert!(h.access_token(&other.access.digest(), at(3)).is_some(), "another grant's access token is untouched");

    // Through the token endpoint: replaying a redeemed code revokes its tokens.
    let replayed = h.issue(at(3));
    expect_error(&h.redeem(WEB_A, &replayed.code, at(4)), "invalid_grant", "a replayed code");
    assert!(h.access_token(&replayed.access.digest(), at(4)).is_none(), "a code replay revokes its access token");
    missing(&h.refresh_token(&replayed.refresh.digest(), at(4)), "a code replay revokes its refresh token");
}

/// After `revoke_grant`, records persisted later for the grant never become active: the race
/// where a request took a code or refresh token, a replay revoked the grant, and the first
/// request then persists its tokens (with its own, earlier `now`), and later persists for the
/// grant until its newest credential would have expired. The persist answers `Ok(())` (the
/// records are kept inactive) or `Err(StoreError::GrantRevoked)`; a batch mixing a live and a
/// revoked grant never activates the revoked grant's record and, when refused, writes nothing
/// (RFC 6749 §4.1.2; RFC 9700 §4.14.2; the `TokenStore` security contract).
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn persist_after_revoke_stays_inactive<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let _ = h.issue(at(0));
    let (code_t, access_t, refresh_t) = h.templates();
    let batch = |grant: GrantId, now: UnixTime| {
        vec![
            access_write(&access_t, h.key(), grant, now.plus(3600)),
            refresh_write(&refresh_t, h.key(), grant, now.plus(86_400)),
        ]
    };

    // A code taken, then its grant revoked by a replay, then the taker's persist.
    let code = TokenDigest::of(&h.authorize(WEB_A, "read offline_access", at(0)));
    let taken = active(h.take_code(&code, WEB_A, at(1)), "the winning take");
    ok(h.store.revoke_grant(&taken.grant_id, at(2)), "revoke_grant");
    let writes = batch(taken.grant_id, at(1));
    revoked_persist_answer(h.store.persist(writes.clone(), at(1)), "the taker's persist after the revocation");
    inactive(&h, &writes, at(2), "tokens persisted after their code's grant was revoked");
    for now in [at(3), before(taken.expires_at)] {
        let writes = batch(taken.grant_id, now);
        revoked_persist_answer(h.store.persist(writes.clone(), now), "a later persist for a revoked grant");
        inactive(&h, &writes, now, "tokens persisted later for a revoked grant");
        let late_code = h.key();
        let answer = h.store.persist(vec![code_write(&code_t, late_code, taken.grant_id, now.plus(60))], now);
        revoked_persist_answer(answer, "a code persisted for a revoked grant");
        missing(&h.take_code(&late_code, WEB_A, now), "a code persisted for a revoked grant");
    }

    // A refresh token rotated, then its grant revoked, then the rotation's persist; and persists
    // until the grant's refresh token would have expired.
    let issued = h.issue(at(100));
    let rotated = active(h.take_refresh_token(&issued.refresh.digest(), at(110)), "the winning rotation");
    ok(h.store.revoke_grant(&rotated.grant_id, at(111)), "revoke_grant");
    let writes = batch(rotated.grant_id, at(110));
    revoked_persist_answer(h.store.persist(writes.clone(), at(110)), "the rotation's persist after the revocation");
    inactive(&h, &writes, at(111), "tokens of a rotation persisted after the revocation");
    assert!(h.access_token(&issued.access.digest(), at(111)).is_none(), "the grant's first access token");

    // One batch, a live grant and a revoked one.
    let live = h.grant();
    let (live_key, revoked_key) = (h.key(), h.key());
    let mixed = vec![
        access_write(&access_t, live_key, live, at(3700)),
        access_write(&access_t, revoked_key, rotated.grant_id, at(3700)),
    ];
    match h.store.persist(mixed, at(120)) {
        Ok(()) => {}
        Err(StoreError::GrantRevoked) => {
            assert!(h.access_token(&live_key, at(120)).is_none(), "a refused batch writes nothing");
        }
        Err(e) => panic!("a batch with a revoked grant: expected Ok or Err(GrantRevoked), got {e}"),
    }
    assert!(h.access_token(&revoked_key, at(120)).is_none(), "a revoked grant's record of a mixed batch");

    let last = before(rotated.expires_at);
    let writes = batch(rotated.grant_id, last);
    revoked_persist_answer(h.store.persist(writes.clone(), last), "a persist just before the grant's expiry");
    inactive(&h, &writes, last, "tokens persisted just before the revoked grant's refresh token expiry");
}

/// A persist and a `revoke_grant` of the same grant, racing on [`THREADS`] threads (one
/// revokes, the others persist tokens of the grant, released together): whatever the order,
/// afterwards no token of those persists is active. Repeated for [`ROUNDS`] grants (RFC 9700
/// §4.14.2; the `TokenStore` security contract).
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn persist_racing_revoke_stays_inactive<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let now = at(0);
    let _ = h.issue(now);
    let (_, access_t, refresh_t) = h.templates();
    let store = &*h.store;
    for round in 0..ROUNDS {
        let code = TokenDigest::of(&h.authorize(WEB_A, "read offline_access", now));
        let grant = active(h.take_code(&code, WEB_A, now), "the winning take").grant_id;
        let batches: Vec<Vec<Write>> = (0..THREADS)
            .map(|_| {
                vec![
                    access_write(&access_t, h.key(), grant, now.plus(3600)),
                    refresh_write(&refresh_t, h.key(), grant, now.plus(86_400)),
                ]
            })
            .collect();
        let answers =
            race(|i| if i == 0 { store.revoke_grant(&grant, now) } else { store.persist(batches[i].clone(), now) });
        for (i, answer) in answers.into_iter().enumerate() {
            if i == 0 {
                ok(answer, "revoke_grant racing persists");
            } else {
                // A persist that ran first succeeds; one after the revocation may be refused.
                revoked_persist_answer(answer, &format!("round {round}: a persist racing revoke_grant"));
                inactive(&h, &batches[i], now, &format!("round {round}: tokens persisted while the grant was revoked"));
            }
        }
    }
}
