//! `persist`: all records or none, and never over a record that exists.

use std::sync::Arc;

use oauth_core::{Client, Store, TokenDigest, User, Write};

use crate::fixture::{WEB_A, WEB_B};
use crate::harness::{
    Harness, access_record, access_write, active, at, code_record, code_write, missing, ok, refresh_record,
    refresh_write, tokens, used,
};

/// [`oauth_core::TokenStore::persist`] writes all records of a batch or none: a batch of a
/// code, an access token and a refresh token is stored exactly as written; a batch in which any
/// write collides with a stored digest (first or last) or two writes share a digest is refused
/// with an error and leaves none of its records behind.
///
/// # Panics
/// When the store breaks the rule or fails a call that must succeed.
pub fn persist_is_all_or_nothing<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let now = at(0);
    let _ = h.issue(now);
    let (code_t, access_t, refresh_t) = h.templates();
    let grant = h.grant();
    let (code_exp, access_exp, refresh_exp) = (at(60), at(3600), at(86_400));

    // A whole batch, stored as written.
    let (c1, a1, r1) = (h.key(), h.key(), h.key());
    let code = code_record(&code_t, grant, code_exp);
    let access = access_record(&access_t, grant, access_exp);
    let refresh = refresh_record(&refresh_t, grant, refresh_exp);
    let batch = vec![
        Write::Code { key: c1, record: code.clone() },
        Write::AccessToken { key: a1, record: access.clone() },
        Write::RefreshToken { key: r1, record: refresh.clone() },
    ];
    ok(h.store.persist(batch, now), "persist of a fresh batch");
    assert_eq!(h.access_token(&a1, now).as_ref(), Some(&access), "a persisted access token reads as written");
    assert!(active(h.refresh_token(&r1, now), "a persisted refresh token") == refresh, "refresh token as written");
    assert!(active(h.take_code(&c1, WEB_A, now), "a persisted code") == code, "code as written");

    // The last write collides with a stored access token: nothing of the batch is written.
    let (a2, r2) = (h.key(), h.key());
    let other_grant = h.grant();
    let batch = vec![
        access_write(&access_t, a2, grant, access_exp),
        refresh_write(&refresh_t, r2, grant, refresh_exp),
        access_write(&access_t, a1, other_grant, access_exp),
    ];
    assert!(h.store.persist(batch, now).is_err(), "a batch whose last write collides must be refused");
    assert!(h.access_token(&a2, now).is_none(), "the refused batch's first access token must not be stored");
    missing(&h.refresh_token(&r2, now), "the refused batch's refresh token must not be stored");
    assert_eq!(h.access_token(&a1, now).as_ref(), Some(&access), "the colliding record must stay as it was");

    // The first write collides with a stored refresh token.
    let a3 = h.key();
    let batch =
        vec![refresh_write(&refresh_t, r1, other_grant, refresh_exp), access_write(&access_t, a3, grant, access_exp)];
    assert!(h.store.persist(batch, now).is_err(), "a batch whose first write collides must be refused");
    assert!(h.access_token(&a3, now).is_none(), "the refused batch's access token must not be stored");
    assert!(active(h.refresh_token(&r1, now), "the colliding refresh token") == refresh, "it stays as it was");

    // The last write collides with a used code.
    let a4 = h.key();
    let batch = vec![access_write(&access_t, a4, grant, access_exp), code_write(&code_t, c1, grant, code_exp)];
    assert!(h.store.persist(batch, now).is_err(), "a batch colliding with a used code must be refused");
    assert!(h.access_token(&a4, now).is_none(), "the refused batch's access token must not be stored");
    let _ = used(h.take_code(&c1, WEB_A, now), "the used code a refused batch collided with");

    // Two writes of one batch share a digest.
    let r5 = h.key();
    let batch =
        vec![refresh_write(&refresh_t, r5, grant, refresh_exp), refresh_write(&refresh_t, r5, other_grant, at(7200))];
    assert!(h.store.persist(batch, now).is_err(), "a batch with one digest twice must be refused");
    missing(&h.refresh_token(&r5, now), "the digest of a refused batch");
}

/// [`oauth_core::TokenStore::persist`] never overwrites a stored record: writing again the
/// digest of a used code or a rotated refresh token (which would make it usable again, RFC 6749
/// §4.1.2, RFC 9700 §4.14.2), or an active refresh or access token with another record, is
/// refused with an error and the stored record stays exactly as it was.
///
/// # Panics
/// When the store breaks the rule or fails a call that must succeed.
pub fn persist_never_overwrites<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let now = at(0);
    let first = h.issue(now);
    let code_key = TokenDigest::of(&first.code);
    let code = used(h.take_code(&code_key, WEB_A, now), "a redeemed code");
    let access = h.access_token(&first.access.digest(), now).unwrap_or_else(|| panic!("a fresh access token"));
    let rotated = active(h.refresh_token(&first.refresh.digest(), now), "a fresh refresh token");
    let t = tokens(h.refresh(WEB_A, &first.refresh, None, now), "a refresh");
    let current_rt = t.refresh_token.unwrap_or_else(|| panic!("a refresh rotates the refresh token"));
    let current = active(h.refresh_token(&current_rt.digest(), now), "the new refresh token");

    let again = Write::Code { key: code_key, record: code.clone() };
    assert!(h.store.persist(vec![again], now).is_err(), "writing a used code again must be refused");
    assert!(used(h.take_code(&code_key, WEB_A, now), "a used code written again") == code, "code unchanged");

    let again = Write::RefreshToken { key: first.refresh.digest(), record: rotated.clone() };
    assert!(h.store.persist(vec![again], now).is_err(), "writing a rotated refresh token again must be refused");
    let after = used(h.refresh_token(&first.refresh.digest(), now), "a rotated refresh token written again");
    assert!(after == rotated, "the rotated refresh token's record must be unchanged");

    let mut stolen = current.clone();
    stolen.client_id = Arc::from(WEB_B);
    let again = Write::RefreshToken { key: current_rt.digest(), record: stolen };
    assert!(h.store.persist(vec![again], now).is_err(), "writing an active refresh token again must be refused");
    let after = active(h.refresh_token(&current_rt.digest(), now), "an active refresh token written again");
    assert!(after == current, "the active refresh token's record must be unchanged");

    let mut wider = access.clone();
    wider.expires_at = access.expires_at.plus(86_400);
    wider.client_id = Arc::from(WEB_B);
    let again = Write::AccessToken { key: first.access.digest(), record: wider };
    assert!(h.store.persist(vec![again], now).is_err(), "writing an access token again must be refused");
    assert_eq!(h.access_token(&first.access.digest(), now), Some(access), "the access token must be unchanged");
}
