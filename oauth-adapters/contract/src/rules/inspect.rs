//! `access_token`, the read-only lookup the revocation and introspection endpoints ask through
//! `Step::LookupAccessToken`: it changes nothing, and a revoked grant's access tokens read as
//! `None` for good, those persisted after the revocation included.

use oauth_core::{Client, Store, TokenDigest, User};

use crate::fixture::{INTROSPECTOR, WEB_A, WEB_B};
use crate::harness::{
    Harness, access_write, active, at, before, expect_error, expect_introspection, expect_revoked, missing, tokens,
};

/// [`oauth_core::TokenStore::access_token`] changes nothing: looked up many times, before and
/// after its expiry, an access token reads the same record until its `expires_at` and `None`
/// from then on; lookups of unknown keys, of a refresh token's key or a code's key answer
/// `None` and leave those credentials usable (their take still answers `Active`); and the
/// revocation and introspection endpoints, which ask this lookup first, change nothing of a
/// token they do not revoke (RFC 7009 §2.1, RFC 7662 §2.2).
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn access_token_lookup_does_not_change_state<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let issued = h.issue(at(0));
    let key = issued.access.digest();
    let record = h.access_token(&key, at(0)).unwrap_or_else(|| panic!("a fresh access token must be found"));
    let expires = record.expires_at;
    for i in 0..16 {
        let now = at(i % 4);
        assert_eq!(h.access_token(&key, now).as_ref(), Some(&record), "lookup {i}: an access token reads as stored");
    }
    // Other kinds' keys: no access token, and still usable afterwards.
    let code = TokenDigest::of(&h.authorize(WEB_A, "read", at(1)));
    for _ in 0..3 {
        assert!(h.access_token(&issued.refresh.digest(), at(1)).is_none(), "a refresh token is no access token");
        assert!(h.access_token(&code, at(1)).is_none(), "a code is no access token");
        assert!(h.access_token(&h.key(), at(1)).is_none(), "an unknown key");
    }
    active(h.refresh_token(&issued.refresh.digest(), at(1)), "a refresh token looked up as an access token");
    active(h.take_code(&code, WEB_A, at(1)), "a code looked up as an access token");
    // Through the endpoints: another client's revocation, and introspections, leave it as it is.
    expect_error(
        &h.revoke(WEB_B, issued.access.expose(), None, at(2)),
        "unauthorized_client",
        "another client's revocation",
    );
    for caller in [WEB_A, WEB_B, INTROSPECTOR] {
        let _ = h.introspect(caller, issued.access.expose(), at(2));
    }
    expect_introspection(&h.introspect(WEB_A, issued.access.expose(), at(2)), true, "its own client's introspection");
    assert_eq!(h.access_token(&key, at(3)).as_ref(), Some(&record), "after the endpoints, the token reads as stored");
    active(h.refresh_token(&issued.refresh.digest(), at(3)), "after the endpoints, the refresh token");
    // Expiry: the same record until `expires_at`, then None, however often it is asked.
    assert_eq!(h.access_token(&key, before(expires)).as_ref(), Some(&record), "a second before expiry");
    for _ in 0..3 {
        assert!(h.access_token(&key, expires).is_none(), "at expires_at an access token is expired");
    }
    assert_eq!(
        h.access_token(&key, before(expires)).as_ref(),
        Some(&record),
        "a lookup after expiry must not delete a record an earlier time still sees"
    );
    expect_introspection(&h.introspect(WEB_A, issued.access.expose(), expires), false, "an expired token");
}

/// After `revoke_grant`, [`oauth_core::TokenStore::access_token`] answers `None` for every access
/// token of the grant: those stored before (whichever token revoked it: the access token, the
/// refresh token, with the right, a wrong or an unknown `token_type_hint`), those persisted
/// afterwards for the grant (with the revocation's time, an earlier one, or much later), at every
/// later time; the endpoints see the same (introspection `{"active":false}`, a repeated
/// revocation 200, the refresh grant `invalid_grant`), and other grants stay active (RFC 7009
/// §2.1, §2.2; RFC 7662 §2.2; the `TokenStore` security contract).
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn revoked_grant_access_tokens_stay_inactive<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let (_, access_t, _) = {
        let _ = h.issue(at(0));
        h.templates()
    };
    let bystander = h.issue(at(0));
    let cases: [(&str, bool, Option<&str>); 5] = [
        ("the access token, no hint", true, None),
        ("the access token, hint refresh_token", true, Some("refresh_token")),
        ("the refresh token, hint access_token", false, Some("access_token")),
        ("the refresh token, unknown hint", false, Some("urn:example:other")),
        ("the refresh token, hint refresh_token", false, Some("refresh_token")),
    ];
    for (i, (what, by_access, hint)) in cases.into_iter().enumerate() {
        let t0 = at(10 * i as u64);
        let issued = h.issue(t0);
        let t = tokens(h.refresh(WEB_A, &issued.refresh, None, t0.plus(1)), "a refresh");
        let second_access = t.access_token;
        let refresh = t.refresh_token.unwrap_or_else(|| panic!("a refresh rotates the refresh token"));
        let grant = active(h.refresh_token(&refresh.digest(), t0.plus(1)), "the new refresh token").grant_id;
        let presented = if by_access { issued.access.expose() } else { refresh.expose() };
        expect_revoked(&h.revoke(WEB_A, presented, hint, t0.plus(2)), &format!("revoking {what}"));
        let late = h.key();
        let answer = h.store.persist(vec![access_write(&access_t, late, grant, t0.plus(3600))], t0.plus(1));
        assert!(
            matches!(answer, Ok(()) | Err(oauth_core::StoreError::GrantRevoked)),
            "{what}: a persist for a revoked grant answers Ok or GrantRevoked, got {answer:?}"
        );
        let later = h.key();
        let _ = h.store.persist(vec![access_write(&access_t, later, grant, t0.plus(7200))], t0.plus(600));
        for now in [t0.plus(2), t0.plus(3), t0.plus(599), t0.plus(3599)] {
            for (which, key) in [
                ("its first access token", issued.access.digest()),
                ("its second access token", second_access.digest()),
                ("an access token persisted after the revocation", late),
                ("an access token persisted much later", later),
            ] {
                assert!(h.access_token(&key, now).is_none(), "{what}: {which} is active after revoke_grant");
            }
            missing(&h.refresh_token(&refresh.digest(), now), &format!("{what}: the grant's refresh token"));
        }
        let now = t0.plus(4);
        for token in [&issued.access, &second_access, &refresh] {
            expect_introspection(&h.introspect(WEB_A, token.expose(), now), false, &format!("{what}: introspection"));
            expect_introspection(&h.introspect(INTROSPECTOR, token.expose(), now), false, &format!("{what}: rs"));
            expect_revoked(&h.revoke(WEB_A, token.expose(), None, now), &format!("{what}: revoking again"));
        }
        expect_error(&h.refresh(WEB_A, &refresh, None, now), "invalid_grant", &format!("{what}: refresh"));
        assert!(h.access_token(&bystander.access.digest(), now).is_some(), "{what}: another grant's token was revoked");
        active(h.refresh_token(&bystander.refresh.digest(), now), &format!("{what}: another grant's refresh token"));
    }
}
