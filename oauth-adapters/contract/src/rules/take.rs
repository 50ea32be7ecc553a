//! Single use of codes and refresh tokens: atomic take, binding to the client, read-only
//! lookup, rotation, and how long used credentials are remembered.

use oauth_core::{Client, Store, TokenDigest, TokenState, User};

use crate::fixture::{WEB_A, WEB_A_UPPER, WEB_B};
use crate::harness::{
    Harness, ROUNDS, THREADS, active, at, before, expect_error, missing, ok, race, state_name, tokens, used,
};

/// Counts the `Active` answers of one race and checks every other answer is `Used` with the
/// same record.
#[track_caller]
fn exactly_one_active<T: PartialEq>(answers: Vec<TokenState<T>>, what: &str, round: usize) {
    let mut records = Vec::with_capacity(answers.len());
    let mut active = 0;
    for answer in answers {
        match answer {
            TokenState::Active(r) => {
                active += 1;
                records.push(r);
            }
            TokenState::Used(r) => records.push(r),
            other => {
                panic!("{what}, round {round}: a racing take answered {}, expected Active or Used", state_name(&other))
            }
        }
    }
    assert_eq!(active, 1, "{what}, round {round}: {active} of {THREADS} concurrent takes saw Active, exactly 1 must");
    assert!(records.windows(2).all(|w| w[0] == w[1]), "{what}, round {round}: every take must return the same record");
}

/// [`oauth_core::CodeStore::take_code`] is atomic: of [`THREADS`] threads taking one code at
/// the same instant, exactly one sees `Active` and every other sees `Used` with the same record
/// (RFC 6749 §4.1.2: "MUST NOT use the authorization code more than once"). Repeated for
/// [`ROUNDS`] codes.
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn take_code_is_atomic_under_concurrency<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let now = at(0);
    let store = &*h.store;
    for round in 0..ROUNDS {
        let key = TokenDigest::of(&h.authorize(WEB_A, "read", now));
        let answers = race(|_| ok(store.take_code(&key, WEB_A, now), "take_code"));
        exactly_one_active(answers, "take_code", round);
    }
}

/// [`oauth_core::RefreshStore::take_refresh_token`] is atomic: of [`THREADS`] threads rotating
/// one refresh token at the same instant, exactly one sees `Active` and every other `Used`
/// (RFC 9700 §4.14.2). Repeated for [`ROUNDS`] tokens.
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn take_refresh_token_is_atomic_under_concurrency<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let now = at(0);
    let store = &*h.store;
    for round in 0..ROUNDS {
        let key = h.issue(now).refresh.digest();
        let answers = race(|_| ok(store.take_refresh_token(&key, now), "take_refresh_token"));
        exactly_one_active(answers, "take_refresh_token", round);
    }
}

/// A taken code stays readable as `Used`, with its record unchanged, until its `expires_at`,
/// while other traffic goes on, and reads as `Missing` from `expires_at` on (RFC 6749 §4.1.2:
/// a replay must be detectable to revoke the grant; a record expires once `now >= expires_at`).
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn used_code_is_remembered_until_expiry<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let key = TokenDigest::of(&h.authorize(WEB_A, "read", at(0)));
    let record = active(h.take_code(&key, WEB_A, at(1)), "the first take of a fresh code");
    let expires_at = record.expires_at;
    assert!(expires_at > at(2), "the code record must keep the expiry the core gave it");
    for now in [at(1), at(2), before(expires_at)] {
        // Other requests in between, which may purge expired records.
        let _ = h.client_credentials(WEB_B, now);
        let _ = h.authorize(WEB_B, "read", now);
        let again = used(h.take_code(&key, WEB_A, now), "a taken code before its expiry");
        assert!(again == record, "a taken code must keep its record");
    }
    missing(&h.take_code(&key, WEB_A, expires_at), "a taken code at its expires_at");
    missing(&h.take_code(&key, WEB_A, expires_at.plus(1)), "a taken code after its expiry");
}

/// A code presented by another client is reported `Missing` and left as it was, so that a
/// client that merely knows a code cannot use it up (RFC 6749 §4.1.3: "ensure that the
/// authorization code was issued to the authenticated confidential client"). The client is
/// compared byte for byte. Checked on the store and through the token endpoint.
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn take_code_by_another_client_leaves_it_usable<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let now = at(0);
    let key = TokenDigest::of(&h.authorize(WEB_A, "read", now));
    for other in [WEB_B, WEB_A_UPPER, "web-a ", ""] {
        missing(&h.take_code(&key, other, now), &format!("take_code by {other:?} of a code of web-a"));
    }
    active(h.take_code(&key, WEB_A, now), "take_code by web-a after others tried");
    for other in [WEB_B, WEB_A_UPPER] {
        missing(&h.take_code(&key, other, now), &format!("take_code by {other:?} of a used code of web-a"));
    }
    used(h.take_code(&key, WEB_A, now), "take_code by web-a of its used code");

    // The same through the token endpoint: web-b's attempt is invalid_grant and changes nothing.
    let code = h.authorize(WEB_A, "read", now);
    expect_error(&h.redeem(WEB_B, &code, now), "invalid_grant", "web-b redeeming web-a's code");
    tokens(h.redeem(WEB_A, &code, now), "web-a redeeming its code after web-b tried");
}

/// [`oauth_core::RefreshStore::refresh_token`] reads the state without changing it: any number
/// of lookups leave an active token active for the one take, and a used token used (RFC 6749
/// §6; D7: a refresh request refused after the lookup leaves the token usable). Checked on the
/// store and through the token endpoint.
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn refresh_token_lookup_does_not_change_state<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let now = at(0);
    let key = h.issue(now).refresh.digest();
    let record = active(h.refresh_token(&key, now), "lookup of a fresh refresh token");
    for _ in 0..3 {
        let again = active(h.refresh_token(&key, now), "repeated lookup of an active refresh token");
        assert!(again == record, "a lookup must return the stored record");
    }
    let taken = active(h.take_refresh_token(&key, now), "take after lookups");
    assert!(taken == record, "the take must return the stored record");
    for _ in 0..3 {
        let again = used(h.refresh_token(&key, now), "lookup of a rotated refresh token");
        assert!(again == record, "a rotated token must keep its record");
    }
    used(h.take_refresh_token(&key, now), "take of a rotated refresh token");
    missing(&h.refresh_token(&h.key(), now), "lookup of an unknown refresh token");

    // Through the token endpoint: a refresh refused after the lookup (a scope beyond the grant,
    // RFC 6749 §6) leaves the token usable.
    let rt = h.issue(now).refresh;
    expect_error(&h.refresh(WEB_A, &rt, Some("write"), now), "invalid_scope", "refresh asking for more scope");
    active(h.refresh_token(&rt.digest(), now), "a refresh token after a refused refresh");
    tokens(h.refresh(WEB_A, &rt, None, now), "refresh after a refused attempt");
}

/// Rotation: a refresh through the token endpoint leaves the presented token `Used` (with its
/// record) until its `expires_at` and `Missing` from then on, and stores the new refresh and
/// access tokens of the same grant as active (RFC 6749 §6; RFC 9700 §4.14.2; D10).
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn rotated_refresh_token_is_used_until_expiry<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let first = h.issue(at(0));
    let old = active(h.refresh_token(&first.refresh.digest(), at(0)), "a fresh refresh token");
    let t = tokens(h.refresh(WEB_A, &first.refresh, None, at(10)), "a refresh");
    let new_rt = t.refresh_token.unwrap_or_else(|| panic!("a refresh must rotate the refresh token"));
    let rotated = used(h.refresh_token(&first.refresh.digest(), at(10)), "the rotated refresh token");
    assert!(rotated == old, "a rotated token must keep its record");
    let new = active(h.refresh_token(&new_rt.digest(), at(10)), "the new refresh token");
    assert_eq!(new.grant_id, old.grant_id, "the new refresh token belongs to the same grant");
    let access = h.access_token(&t.access_token.digest(), at(10));
    assert!(access.is_some_and(|a| a.grant_id == old.grant_id), "the new access token is stored, same grant");
    assert!(h.access_token(&first.access.digest(), at(10)).is_some(), "rotation does not revoke access tokens");

    for now in [at(11), at(3600), before(old.expires_at)] {
        used(h.refresh_token(&first.refresh.digest(), now), "a rotated refresh token before its expiry");
    }
    used(h.take_refresh_token(&first.refresh.digest(), before(old.expires_at)), "take of a rotated token");
    missing(&h.refresh_token(&first.refresh.digest(), old.expires_at), "a rotated refresh token at its expires_at");
    missing(&h.take_refresh_token(&first.refresh.digest(), old.expires_at), "take of a rotated token at expiry");
}

/// Every credential expires at its `expires_at`: an unused code can be taken one second
/// before and reads `Missing` at it; an access token is returned until one second before and is
/// `None` at and after it; an active refresh token reads `Active` until one second before and
/// `Missing` at it (a record is expired once `now >= expires_at`; RFC 6749 §4.1.2, §5.1).
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn credentials_expire_at_expires_at<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let late = TokenDigest::of(&h.authorize(WEB_A, "read", at(0)));
    let last_second = TokenDigest::of(&h.authorize(WEB_A, "read", at(0)));
    let issued = h.issue(at(0));
    let access = h.access_token(&issued.access.digest(), at(0)).unwrap_or_else(|| panic!("a fresh access token"));
    let refresh = active(h.refresh_token(&issued.refresh.digest(), at(0)), "a fresh refresh token");

    let code_expiry = h.persisted_code(&last_second).expires_at;
    assert!(code_expiry < access.expires_at && access.expires_at < refresh.expires_at, "the core's lifetimes");
    let _ = active(h.take_code(&last_second, WEB_A, before(code_expiry)), "an unused code one second before expiry");
    missing(&h.take_code(&late, WEB_A, code_expiry), "an unused code at its expires_at");
    missing(&h.take_code(&late, WEB_A, code_expiry.plus(1)), "an unused code after its expiry");

    let at_last = h.access_token(&issued.access.digest(), before(access.expires_at));
    assert!(at_last.is_some_and(|a| a == access), "an access token one second before its expires_at");
    for now in [access.expires_at, access.expires_at.plus(1)] {
        assert!(h.access_token(&issued.access.digest(), now).is_none(), "an access token at or after expires_at");
    }

    let _ = active(h.refresh_token(&issued.refresh.digest(), before(refresh.expires_at)), "refresh token at the end");
    missing(&h.refresh_token(&issued.refresh.digest(), refresh.expires_at), "a refresh token at its expires_at");
    missing(&h.take_refresh_token(&issued.refresh.digest(), refresh.expires_at), "take of an expired refresh token");
}

/// Codes, access tokens and refresh tokens are separate: the key of one kind is unknown to the
/// calls of the other kinds, and such a probe changes nothing (a code is never a bearer token
/// and never refreshes; RFC 6749 §10.5, §10.4).
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn credential_kinds_are_separate<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let now = at(0);
    let code = TokenDigest::of(&h.authorize(WEB_A, "read offline_access", now));
    let issued = h.issue(now);
    let (access, refresh) = (issued.access.digest(), issued.refresh.digest());

    missing(&h.take_code(&access, WEB_A, now), "take_code with an access token's key");
    missing(&h.take_code(&refresh, WEB_A, now), "take_code with a refresh token's key");
    missing(&h.refresh_token(&code, now), "refresh_token with a code's key");
    missing(&h.refresh_token(&access, now), "refresh_token with an access token's key");
    missing(&h.take_refresh_token(&code, now), "take_refresh_token with a code's key");
    missing(&h.take_refresh_token(&access, now), "take_refresh_token with an access token's key");
    assert!(h.access_token(&code, now).is_none(), "access_token with a code's key");
    assert!(h.access_token(&refresh, now).is_none(), "access_token with a refresh token's key");

    active(h.take_code(&code, WEB_A, now), "the code after probes of other kinds");
    active(h.take_refresh_token(&refresh, now), "the refresh token after probes of other kinds");
    assert!(h.access_token(&access, now).is_some(), "the access token after probes of other kinds");
}
