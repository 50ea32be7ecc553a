//! Store failures in whole flows: every store call of a flow fails in turn, through
//! [`crate::FaultyStore`], with [`StoreError::Unavailable`] and with [`StoreError::Failed`]:
//! the grants, replays, and the revocation and introspection endpoints.

use oauth_core::{
    AccessTokenRecord, Client, RefreshTokenRecord, Response, Store, StoreError, Subject, TokenDigest, UnixTime, User,
    Write,
};

use crate::faulty::Call;
use crate::fixture::{IMPERSONATOR, INTROSPECTOR, USER_ID, USER_SUBJECT, WEB_A, WEB_B};
use crate::harness::{
    Harness, Issued, active, at, code_of, expect_error, expect_introspection, expect_revoked, missing, outcome,
    redirect_params, tokens, used,
};

/// The errors injected into every call.
const ERRORS: [StoreError; 2] = [StoreError::Unavailable, StoreError::Failed];

/// The `error` and status a store error must be answered with (RFC 6749 §4.1.2.1, §5.2).
const fn expected(error: StoreError) -> (&'static str, u16) {
    match error {
        StoreError::Unavailable => ("temporarily_unavailable", 503),
        _ => ("server_error", 500),
    }
}

/// Fails the rule unless `r` answers the injected `error` and carries no credential: a JSON
/// error with the expected code and status, a bearer refusal with that status and code
/// (introspection authenticated by a bearer token, RFC 6750 §3.1), or (authorization endpoint,
/// after the redirect URI is known) an error redirect with the expected code and no `code`.
/// Never a success: no token, no revocation 200 (RFC 7009 §2.2.1), no introspection answer.
#[track_caller]
fn assert_store_error(r: &Response, error: StoreError, what: &str) {
    let (code, status) = expected(error);
    match r {
        Response::Bearer(e) => {
            let http = r.to_http();
            let body_code = http.body.contains(&format!("\"error\":\"{code}\""));
            assert!(e.status() == status && body_code, "{what}: expected {status} {code}, got {}", outcome(r));
        }
        Response::Error(e) => assert!(
            e.code.as_str() == code && e.status == status,
            "{what}: expected {status} {code}, got {}",
            outcome(r)
        ),
        Response::Redirect(redirect) => {
            let params = redirect_params(&redirect.location);
            assert_eq!(params.get("error").ok().flatten(), Some(code), "{what}: expected an error redirect {code}");
            assert!(code_of(r).is_none(), "{what}: an error redirect must carry no code");
        }
        _ => panic!("{what}: expected {status} {code}, got {}", outcome(r)),
    }
}

/// Fails the rule if any record of `writes` (a persist the fault refused) is readable at `now`.
#[track_caller]
fn none_stored<S: Store + Send + Sync + 'static>(h: &Harness<S>, writes: &[Write], now: UnixTime, what: &str) {
    for w in writes {
        match w {
            Write::AccessToken { key, .. } => {
                assert!(h.access_token(key, now).is_none(), "{what}: an access token of the failed persist is stored");
            }
            Write::RefreshToken { key, .. } => {
                missing(&h.refresh_token(key, now), &format!("{what}: a refresh token of the failed persist"));
            }
            Write::Code { key, record } => {
                missing(&h.take_code(key, &record.client_id, now), &format!("{what}: a code of the failed persist"));
            }
            _ => {}
        }
    }
}

/// Checks the store after a request failed at `Call` (the last argument names the fault for
/// messages); may repeat the request.
type After<'a, S, C> = &'a dyn Fn(&Harness<S>, &C, Call, &str);

/// One flow under faults: what to set up on a fresh store, the request to run, its status
/// without faults, and what must hold after each fault.
struct Flow<'a, S, C> {
    name: &'a str,
    /// The time of the request under test; the refused writes are checked at it.
    now: UnixTime,
    /// The HTTP status of the request without faults.
    status: u16,
    setup: &'a dyn Fn(&Harness<S>) -> C,
    run: &'a dyn Fn(&Harness<S>, &C) -> Response,
    /// Checks the store after the request failed at `Call`; may retry the request.
    after: After<'a, S, C>,
}

/// Runs `flow` once without faults to learn its store calls, then, on a fresh store each time,
/// once per call and per error in [`ERRORS`] with that call failing, and checks: the response
/// answers the error and issues nothing, no store call follows the failed one, nothing of a
/// refused persist is stored, and the flow's own `after` checks.
fn each_fault<S, F, C>(factory: &F, flow: &Flow<'_, S, C>)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(factory);
    let ctx = (flow.setup)(&h);
    h.faulty.reset_log();
    let r = (flow.run)(&h, &ctx);
    assert_eq!(r.to_http().status, flow.status, "{} without faults: got {}", flow.name, outcome(&r));
    let calls = h.faulty.calls();
    assert!(!calls.is_empty(), "{} without faults made no store call", flow.name);
    for (index, &call) in calls.iter().enumerate() {
        for error in ERRORS {
            let what = format!("{}, store call {} ({call:?}) failing with {error:?}", flow.name, index + 1);
            let h = Harness::new(factory);
            let ctx = (flow.setup)(&h);
            h.faulty.reset_log();
            h.faulty.fail_call_at(index, error);
            let r = (flow.run)(&h, &ctx);
            let injected = h.faulty.injected().map(|(_, c, _)| c);
            assert_eq!(injected, Some(call), "{what}: the flow made other store calls than without faults");
            assert_store_error(&r, error, &what);
            assert_eq!(h.faulty.calls().len(), index + 1, "{what}: the flow called the store after the failure");
            none_stored(&h, &h.faulty.refused_writes(), flow.now, &what);
            (flow.after)(&h, &ctx, call, &what);
        }
    }
}

/// An earlier grant and its stored records, which no failure may lose or change.
struct Earlier {
    issued: Issued,
    access: AccessTokenRecord,
    refresh: RefreshTokenRecord,
}

impl Earlier {
    #[track_caller]
    fn new<S: Store + Send + Sync + 'static>(h: &Harness<S>, now: UnixTime) -> Self {
        let issued = h.issue(now);
        let access = h.access_token(&issued.access.digest(), now).unwrap_or_else(|| panic!("a fresh access token"));
        let refresh = active(h.refresh_token(&issued.refresh.digest(), now), "a fresh refresh token");
        Self { issued, access, refresh }
    }

    /// Fails the rule unless the access token reads as stored at `now` (and the refresh token
    /// too, when `refresh_unused`).
    #[track_caller]
    fn intact<S: Store + Send + Sync + 'static>(
        &self,
        h: &Harness<S>,
        now: UnixTime,
        refresh_unused: bool,
        what: &str,
    ) {
        let access = h.access_token(&self.issued.access.digest(), now);
        assert!(access.as_ref() == Some(&self.access), "{what}: an earlier access token was lost or changed");
        if refresh_unused {
            let refresh = active(h.refresh_token(&self.issued.refresh.digest(), now), what);
            assert!(refresh == self.refresh, "{what}: an earlier refresh token was changed");
        }
    }
}

/// A store failure at any call of the authorization endpoint (the client lookup, the persist of
/// the code) is answered `temporarily_unavailable` (503) or `server_error` (500), as JSON or as
/// an error redirect without a code (RFC 6749 §4.1.2.1), stores no code, and loses nothing: an
/// earlier code still redeems, and the request succeeds when repeated.
///
/// # Panics
/// When the store or the core breaks the rule.
pub fn store_failure_in_authorization_endpoint<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let now = at(1);
    each_fault(
        &factory,
        &Flow {
            name: "authorization request",
            now,
            status: 302,
            setup: &|h| h.authorize(WEB_A, "read offline_access", at(0)),
            run: &|h, _| h.approve(h.drive(h.authorize_step(WEB_A, "read", now)), now),
            after: &|h, earlier, _, what| {
                tokens(h.redeem(WEB_A, earlier, at(2)), &format!("{what}: an earlier code must still redeem"));
                let code = h.authorize(WEB_A, "read", at(2));
                tokens(h.redeem(WEB_A, &code, at(2)), &format!("{what}: the repeated request's code"));
            },
        },
    );
}

/// A store failure at any call of a code redemption (client lookup, `take_code`, persist) is
/// answered 503/500 and issues no token; earlier tokens stay active; a code whose take or
/// client lookup failed is still usable and redeems when the request is repeated; a code taken
/// before the persist failed reads as used (RFC 6749 §4.1.3, §5.2).
///
/// # Panics
/// When the store or the core breaks the rule.
pub fn store_failure_in_authorization_code_grant<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let now = at(2);
    each_fault(
        &factory,
        &Flow {
            name: "authorization code grant",
            now,
            status: 200,
            setup: &|h| (Earlier::new(h, at(0)), h.authorize(WEB_A, "read offline_access", at(1))),
            run: &|h, (_, code)| h.redeem(WEB_A, code, now),
            after: &|h, (earlier, code), call, what| {
                earlier.intact(h, now, true, what);
                if call == Call::Persist {
                    used(h.take_code(&TokenDigest::of(code), WEB_A, now), &format!("{what}: the code taken before"));
                } else {
                    let t = tokens(h.redeem(WEB_A, code, at(3)), &format!("{what}: the repeated redemption"));
                    assert!(h.access_token(&t.access_token.digest(), at(3)).is_some(), "{what}: the retry's token");
                }
            },
        },
    );
}

/// A store failure at any call of a refresh (client lookup, `refresh_token`,
/// `take_refresh_token`, persist) is answered 503/500 and issues no token; the grant's access
/// token stays active and is not revoked; a refresh token whose lookup or take failed is still
/// active and refreshes when the request is repeated; one taken before the persist failed reads
/// as used (RFC 6749 §6; RFC 9700 §4.14.2).
///
/// # Panics
/// When the store or the core breaks the rule.
pub fn store_failure_in_refresh_token_grant<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let now = at(5);
    each_fault(
        &factory,
        &Flow {
            name: "refresh token grant",
            now,
            status: 200,
            setup: &|h| Earlier::new(h, at(0)),
            run: &|h, earlier| h.refresh(WEB_A, &earlier.issued.refresh, None, now),
            after: &|h, earlier, call, what| {
                let rt = earlier.issued.refresh.digest();
                if call == Call::Persist {
                    earlier.intact(h, now, false, what);
                    let record = used(h.refresh_token(&rt, now), &format!("{what}: the token rotated before"));
                    assert!(record == earlier.refresh, "{what}: the rotated token's record changed");
                } else {
                    earlier.intact(h, now, true, what);
                    let t = tokens(h.refresh(WEB_A, &earlier.issued.refresh, None, at(6)), &format!("{what}: retry"));
                    let new_rt = t.refresh_token.unwrap_or_else(|| panic!("{what}: the retry must rotate"));
                    active(h.refresh_token(&new_rt.digest(), at(6)), &format!("{what}: the retry's refresh token"));
                    used(h.refresh_token(&rt, at(6)), &format!("{what}: the token the retry rotated"));
                }
            },
        },
    );
}

/// A store failure at any call of a client credentials request (client lookup, persist) is
/// answered 503/500 and issues no token; an earlier token stays active; the repeated request
/// succeeds (RFC 6749 §4.4).
///
/// # Panics
/// When the store or the core breaks the rule.
pub fn store_failure_in_client_credentials_grant<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let now = at(1);
    each_fault(
        &factory,
        &Flow {
            name: "client credentials grant",
            now,
            status: 200,
            setup: &|h| {
                let t = tokens(h.client_credentials(WEB_A, at(0)), "an earlier client credentials request");
                let record = h.access_token(&t.access_token.digest(), at(0));
                (t.access_token.digest(), record.unwrap_or_else(|| panic!("a fresh access token")))
            },
            run: &|h, _| h.client_credentials(WEB_A, now),
            after: &|h, (key, record), _, what| {
                assert!(
                    h.access_token(key, now).as_ref() == Some(record),
                    "{what}: an earlier token was lost or changed"
                );
                let t = tokens(h.client_credentials(WEB_A, at(2)), &format!("{what}: the repeated request"));
                let stored = h.access_token(&t.access_token.digest(), at(2));
                assert!(
                    stored.is_some_and(|r| r.subject == Subject::Client(WEB_A.into())),
                    "{what}: the retry's token"
                );
            },
        },
    );
}

/// A store failure at any call of an impersonation request (client lookup, user lookup,
/// persist) is answered 503/500 and issues no token; an earlier token stays active; the
/// repeated request succeeds with the user as subject and the client as actor (D8; RFC 8693
/// §4.1 `act`).
///
/// # Panics
/// When the store or the core breaks the rule.
pub fn store_failure_in_impersonation_grant<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let now = at(1);
    each_fault(
        &factory,
        &Flow {
            name: "impersonation grant",
            now,
            status: 200,
            setup: &|h| {
                let t = tokens(h.impersonate(IMPERSONATOR, USER_ID, at(0)), "an earlier impersonation request");
                let record = h.access_token(&t.access_token.digest(), at(0));
                (t.access_token.digest(), record.unwrap_or_else(|| panic!("a fresh access token")))
            },
            run: &|h, _| h.impersonate(IMPERSONATOR, USER_ID, now),
            after: &|h, (key, record), _, what| {
                assert!(
                    h.access_token(key, now).as_ref() == Some(record),
                    "{what}: an earlier token was lost or changed"
                );
                let t = tokens(h.impersonate(IMPERSONATOR, USER_ID, at(2)), &format!("{what}: the repeated request"));
                let stored = h
                    .access_token(&t.access_token.digest(), at(2))
                    .unwrap_or_else(|| panic!("{what}: the retry's token must be stored"));
                assert_eq!(stored.subject, Subject::User(USER_SUBJECT.into()), "{what}: the retry's subject");
                assert_eq!(stored.actor.as_deref(), Some(IMPERSONATOR), "{what}: the retry's actor");
            },
        },
    );
}

/// A store failure at any call of a replay (a redeemed code or a rotated refresh token presented
/// again by its client: client lookup, the take or lookup, `revoke_grant`) is answered 503/500;
/// the used credential is not lost, so the repeated replay still revokes the grant (RFC 6749
/// §4.1.2; RFC 9700 §4.14.2; D10, D13). Before the revocation is reached, nothing of the grant
/// changes.
///
/// # Panics
/// When the store or the core breaks the rule.
pub fn store_failure_in_replay_revocation<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let now = at(2);
    each_fault(
        &factory,
        &Flow {
            name: "authorization code replay",
            now,
            status: 400,
            setup: &|h| h.issue(at(0)),
            run: &|h, issued| h.redeem(WEB_A, &issued.code, now),
            after: &|h, issued, call, what| {
                if call != Call::RevokeGrant {
                    assert!(
                        h.access_token(&issued.access.digest(), now).is_some(),
                        "{what}: nothing may be revoked yet"
                    );
                    active(h.refresh_token(&issued.refresh.digest(), now), &format!("{what}: nothing revoked yet"));
                }
                expect_error(
                    &h.redeem(WEB_A, &issued.code, at(3)),
                    "invalid_grant",
                    &format!("{what}: the repeated replay"),
                );
                assert!(
                    h.access_token(&issued.access.digest(), at(3)).is_none(),
                    "{what}: the repeated replay revokes"
                );
                missing(
                    &h.refresh_token(&issued.refresh.digest(), at(3)),
                    &format!("{what}: the repeated replay revokes"),
                );
            },
        },
    );
    each_fault(
        &factory,
        &Flow {
            name: "refresh token replay",
            now,
            status: 400,
            setup: &|h| {
                let issued = h.issue(at(0));
                let t = tokens(h.refresh(WEB_A, &issued.refresh, None, at(1)), "a refresh");
                let rt = t.refresh_token.unwrap_or_else(|| panic!("a refresh rotates the refresh token"));
                (issued, t.access_token, rt)
            },
            run: &|h, (issued, _, _)| h.refresh(WEB_A, &issued.refresh, None, now),
            after: &|h, (issued, access, rt), call, what| {
                if call != Call::RevokeGrant {
                    assert!(h.access_token(&access.digest(), now).is_some(), "{what}: nothing may be revoked yet");
                    active(h.refresh_token(&rt.digest(), now), &format!("{what}: nothing revoked yet"));
                }
                let again = h.refresh(WEB_A, &issued.refresh, None, at(3));
                expect_error(&again, "invalid_grant", &format!("{what}: the repeated replay"));
                assert!(h.access_token(&access.digest(), at(3)).is_none(), "{what}: the repeated replay revokes");
                missing(&h.refresh_token(&rt.digest(), at(3)), &format!("{what}: the repeated replay revokes"));
            },
        },
    );
}

/// A store failure at any call of a revocation (client lookup, `access_token` or
/// `refresh_token` lookup, `revoke_grant`) is answered 503/500, never a false 200 (RFC 7009
/// §2.2.1); nothing is revoked or lost: the token and its grant stay active, an earlier grant is
/// intact, and the repeated revocation answers 200 and then revokes the whole grant (RFC 7009
/// §2.1). The same for an access token, a refresh token with its hint, an unknown token (200
/// without faults), and another client's token (400 `unauthorized_client` without faults, D7).
///
/// # Panics
/// When the store or the core breaks the rule.
pub fn store_failure_in_revocation<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let now = at(2);
    let setup = |h: &Harness<S>| (Earlier::new(h, at(0)), h.issue(at(1)));
    let after = |by_refresh: bool| {
        move |h: &Harness<S>, (earlier, issued): &(Earlier, Issued), _: Call, what: &str| {
            earlier.intact(h, now, true, what);
            assert!(h.access_token(&issued.access.digest(), now).is_some(), "{what}: nothing may be revoked yet");
            active(h.refresh_token(&issued.refresh.digest(), now), &format!("{what}: nothing revoked yet"));
            let token = if by_refresh { &issued.refresh } else { &issued.access };
            expect_revoked(&h.revoke(WEB_A, token.expose(), None, at(3)), &format!("{what}: the repeated revocation"));
            assert!(h.access_token(&issued.access.digest(), at(3)).is_none(), "{what}: the retry revokes the grant");
            missing(&h.refresh_token(&issued.refresh.digest(), at(3)), &format!("{what}: the retry revokes the grant"));
            earlier.intact(h, at(3), true, what);
        }
    };
    let (by_access, by_refresh) = (after(false), after(true));
    each_fault(
        &factory,
        &Flow {
            name: "revocation of an access token",
            now,
            status: 200,
            setup: &setup,
            run: &|h, (_, issued)| h.revoke(WEB_A, issued.access.expose(), None, now),
            after: &by_access,
        },
    );
    each_fault(
        &factory,
        &Flow {
            name: "revocation of a refresh token (hint refresh_token)",
            now,
            status: 200,
            setup: &setup,
            run: &|h, (_, issued)| h.revoke(WEB_A, issued.refresh.expose(), Some("refresh_token"), now),
            after: &by_refresh,
        },
    );
    each_fault(
        &factory,
        &Flow {
            name: "revocation of an unknown token",
            now,
            status: 200,
            setup: &setup,
            run: &|h, _| h.revoke(WEB_A, "never-issued-token-0123456789abcdefghijklmn", None, now),
            after: &by_access,
        },
    );
    each_fault(
        &factory,
        &Flow {
            name: "revocation of another client's token",
            now,
            status: 400,
            setup: &setup,
            run: &|h, (_, issued)| h.revoke(WEB_B, issued.access.expose(), None, now),
            after: &|h, ctx, call, what| {
                let again = h.revoke(WEB_B, ctx.1.access.expose(), None, at(3));
                expect_error(&again, "unauthorized_client", &format!("{what}: the repeated request"));
                by_access(h, ctx, call, what);
            },
        },
    );
}

/// A store failure at any call of an introspection (client lookup or, for a bearer caller, the
/// lookup of its own token; then the `access_token` and `refresh_token` lookups) is answered
/// 503/500 (RFC 7662 §2.3), never with an introspection answer, so never `active: true`
/// wrongly; nothing changes, and the repeated request answers as without faults: an active
/// access token, an active refresh token, a revoked token (`{"active":false}`), and a token
/// introspected by [`crate::fixture::INTROSPECTOR`]'s bearer token (RFC 7662 §2.1).
///
/// # Panics
/// When the store or the core breaks the rule.
pub fn store_failure_in_introspection<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let now = at(2);
    let still = |active_now: bool| {
        move |h: &Harness<S>, issued: &Issued, _: Call, what: &str| {
            let access = h.access_token(&issued.access.digest(), now);
            assert_eq!(access.is_some(), active_now, "{what}: introspection changed the access token");
            let retry = h.introspect(WEB_A, issued.access.expose(), at(3));
            expect_introspection(&retry, active_now, &format!("{what}: the repeated introspection"));
            let retry = h.introspect(WEB_A, issued.refresh.expose(), at(3));
            expect_introspection(&retry, active_now, &format!("{what}: the refresh token's introspection"));
        }
    };
    let (live, dead) = (still(true), still(false));
    each_fault(
        &factory,
        &Flow {
            name: "introspection of an active access token",
            now,
            status: 200,
            setup: &|h| h.issue(at(1)),
            run: &|h, issued| h.introspect(WEB_A, issued.access.expose(), now),
            after: &live,
        },
    );
    each_fault(
        &factory,
        &Flow {
            name: "introspection of an active refresh token",
            now,
            status: 200,
            setup: &|h| h.issue(at(1)),
            run: &|h, issued| h.introspect(WEB_A, issued.refresh.expose(), now),
            after: &live,
        },
    );
    each_fault(
        &factory,
        &Flow {
            name: "introspection of a revoked token",
            now,
            status: 200,
            setup: &|h| {
                let issued = h.issue(at(1));
                expect_revoked(&h.revoke(WEB_A, issued.access.expose(), None, at(1)), "a revocation");
                issued
            },
            run: &|h, issued| h.introspect(WEB_A, issued.access.expose(), now),
            after: &dead,
        },
    );
    each_fault(
        &factory,
        &Flow {
            name: "introspection by a bearer token with the introspection scope",
            now,
            status: 200,
            setup: &|h| {
                let t = tokens(h.token(INTROSPECTOR, &[("grant_type", "client_credentials")], at(0)), "rs token");
                (t.access_token, h.issue(at(1)))
            },
            run: &|h, (bearer, issued)| h.introspect_as_bearer(bearer, issued.access.expose(), now),
            after: &|h, (bearer, issued), call, what| {
                live(h, issued, call, what);
                let retry = h.introspect_as_bearer(bearer, issued.access.expose(), at(3));
                expect_introspection(&retry, true, &format!("{what}: the repeated bearer introspection"));
            },
        },
    );
}
