//! Client registry and user directory lookups.

use oauth_core::{Client, Store, User, UserField, UserLookup};

use crate::fixture::{
    self, DISABLED_SUBJECT, DISABLED_USER_ID, IMPERSONATOR, IMPERSONATOR_ORIGIN, SPA, SPA_ORIGIN, USER_ID,
    USER_ID_UPPER, USER_SUBJECT, USER_SUBJECT_UPPER, WEB_A, WEB_A_UPPER, WEB_B,
};
use crate::harness::{Harness, ok};

/// [`oauth_core::ClientRegistry::client`] returns exactly the client registered under the
/// identifier, compared byte for byte, or `None` (RFC 6749 §2.2: the identifier is a string;
/// nothing in OAuth folds its case).
///
/// Checks every fixture client comes back equal (`==`) to what the factory was given, that
/// `web-a` and `WEB-A` are two clients, and that case variants, prefixes, extensions, padding,
/// a trailing NUL and the empty string are unknown.
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn client_lookup_is_exact<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    for client in fixture::clients() {
        let id = client.client_id().to_owned();
        let found = ok(h.store.client(&id), "client");
        assert!(found.is_some(), "client({id:?}): a registered client must be found");
        assert!(found.is_some_and(|c| *c == client), "client({id:?}): must return the client as registered");
    }
    let upper = ok(h.store.client(WEB_A_UPPER), "client");
    assert_eq!(upper.map(|c| c.client_id().to_owned()).as_deref(), Some(WEB_A_UPPER), "WEB-A is not web-a");
    for unknown in ["Web-A", "web-A", "web-", "web-ab", "web-a ", " web-a", "web-a\0", "web-a/", "web-c", "", "WEB_A"] {
        let found = ok(h.store.client(unknown), "client");
        assert!(found.is_none(), "client({unknown:?}): no client is registered under that exact identifier");
    }
    // Still there, and still distinct, after the misses.
    let a = ok(h.store.client(WEB_A), "client").map(|c| c.client_id().to_owned());
    let b = ok(h.store.client(WEB_B), "client").map(|c| c.client_id().to_owned());
    assert_eq!((a.as_deref(), b.as_deref()), (Some(WEB_A), Some(WEB_B)), "client lookups after misses");
}

/// [`oauth_core::ClientRegistry::origin_registered`] answers whether any registered client
/// lists the origin, compared byte for byte with the serialized origin (RFC 6454 §6.2; CORS-04,
/// D6).
///
/// Checks the `spa` and the impersonation client's origins are registered, and that a different
/// case, an explicit default port, a missing non-default port, a trailing slash, another scheme
/// or host, `null` and the empty string are not.
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn origin_registered_is_exact<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    for origin in [SPA_ORIGIN, IMPERSONATOR_ORIGIN] {
        assert!(ok(h.store.origin_registered(origin), "origin_registered"), "{origin} is registered by a client");
    }
    for other in [
        "https://SPA.example",
        "HTTPS://spa.example",
        "https://spa.example:443",
        "https://spa.example/",
        "http://spa.example",
        "https://spa.exampl",
        "https://spa.example.evil",
        "https://imp.example",
        "https://imp.example:8444",
        "https://evil.example",
        "null",
        "",
    ] {
        assert!(!ok(h.store.origin_registered(other), "origin_registered"), "{other:?} is not a registered origin");
    }
    // The clients that list them are the ones the fixture says.
    for (id, origin) in [(SPA, SPA_ORIGIN), (IMPERSONATOR, IMPERSONATOR_ORIGIN)] {
        let client = ok(h.store.client(id), "client");
        assert!(client.is_some_and(|c| c.allows_origin(origin)), "client {id} must keep its origin {origin}");
    }
}

/// [`oauth_core::UserDirectory::user`] returns the one user whose `userId` or `subject` (as the
/// lookup's field says) equals the value byte for byte, reports a disabled user as disabled, and
/// never guesses or creates a user (D8; the impersonation grant).
///
/// # Panics
/// When the store breaks the rule or fails a call.
pub fn user_lookup_is_exact<S, F>(factory: F)
where
    S: Store + Send + Sync + 'static,
    F: Fn(Vec<Client>, Vec<(String, User)>) -> S,
{
    let h = Harness::new(&factory);
    let find = |field: UserField, value: &str| ok(h.store.user(&UserLookup::new(field, value.to_owned())), "user");
    let enabled = |subject: &str| Some(User::new(subject));
    for (id, subject) in [(USER_ID, USER_SUBJECT), (USER_ID_UPPER, USER_SUBJECT_UPPER)] {
        assert_eq!(find(UserField::UserId, id), enabled(subject), "user by userId {id:?}");
        assert_eq!(find(UserField::Subject, subject), enabled(subject), "user by subject {subject:?}");
    }
    let disabled = Some(User::new(DISABLED_SUBJECT).disabled());
    assert_eq!(find(UserField::UserId, DISABLED_USER_ID), disabled, "a disabled user is reported as disabled");
    assert_eq!(find(UserField::Subject, DISABLED_SUBJECT), disabled, "a disabled user is reported as disabled");
    for (field, value, why) in [
        (UserField::Subject, USER_ID, "a userId is not a subject"),
        (UserField::UserId, USER_SUBJECT, "a subject is not a userId"),
        (UserField::UserId, "6422bad8022070c06d2417bC", "userId compares byte for byte"),
        (UserField::Subject, "Auth0|u1", "subject compares byte for byte"),
        (UserField::UserId, "6422bad8022070c06d2417b", "a prefix is not a match"),
        (UserField::UserId, "6422bad8022070c06d2417bc ", "padding is not ignored"),
        (UserField::Subject, "auth0|u", "a prefix is not a match"),
        (UserField::Subject, "*", "no wildcard"),
        (UserField::Subject, "%", "no wildcard"),
        (UserField::UserId, "nobody", "unknown users are not created"),
    ] {
        assert_eq!(find(field, value), None, "user({}, {value:?}): {why}", field.as_str());
    }
    assert_eq!(find(UserField::UserId, "nobody"), None, "a looked-up unknown user must not have been created");
}
