//! The user directory, the origin registry and the removal of a client with its grants.

use oauth_core::{
    AppType, Client, ClientRegistration, ClientRegistry as _, CodeStore as _, RefreshStore as _, TokenState,
    TokenStore as _, UnixTime, User, UserDirectory as _, UserField, UserLookup,
};

use super::{access, code, digest, refresh, web_client};
use crate::MemoryStore;

fn lookup(field: UserField, value: &str) -> UserLookup {
    UserLookup::new(field, value.to_owned())
}

#[test]
fn users_are_found_by_user_id_or_subject_exactly() {
    let store = MemoryStore::new();
    assert!(store.insert_user("6422bad8022070c06d2417bc", User::new("auth0|u1")));
    assert!(store.insert_user("u2", User::new("auth0|u2").disabled()));
    let u1 = store.user(&lookup(UserField::UserId, "6422bad8022070c06d2417bc")).unwrap().unwrap();
    assert_eq!(&*u1.subject, "auth0|u1");
    assert!(!u1.disabled);
    assert_eq!(store.user(&lookup(UserField::Subject, "auth0|u1")).unwrap(), Some(u1));
    assert!(store.user(&lookup(UserField::Subject, "auth0|u2")).unwrap().unwrap().disabled);
    // Exact comparison, and a userId is not a subject.
    assert_eq!(store.user(&lookup(UserField::Subject, "AUTH0|U1")).unwrap(), None);
    assert_eq!(store.user(&lookup(UserField::Subject, "6422bad8022070c06d2417bc")).unwrap(), None);
    assert_eq!(store.user(&lookup(UserField::UserId, "auth0|u1")).unwrap(), None);
    // A subject belongs to one user.
    assert!(!store.insert_user("u3", User::new("auth0|u1")));
    assert_eq!(store.user(&lookup(UserField::UserId, "u3")).unwrap(), None);
    // Replacing a user frees its old subject.
    assert!(store.insert_user("6422bad8022070c06d2417bc", User::new("auth0|renamed")));
    assert_eq!(store.user(&lookup(UserField::Subject, "auth0|u1")).unwrap(), None);
    assert!(store.insert_user("u3", User::new("auth0|u1")));
    assert!(store.remove_user("u3"));
    assert!(!store.remove_user("u3"));
    assert_eq!(store.user(&lookup(UserField::Subject, "auth0|u1")).unwrap(), None);
}

#[test]
fn origins_of_any_client_are_registered() {
    let spa = Client::register(ClientRegistration {
        client_id: "spa".into(),
        app_type: Some(AppType::Spa),
        redirect_uris: vec!["https://spa.example/cb".into()],
        allowed_origins: vec!["https://spa.example".into()],
        ..Default::default()
    })
    .unwrap();
    let store = MemoryStore::with_clients([spa, web_client("client-a", "s")]);
    assert!(store.origin_registered("https://spa.example").unwrap());
    assert!(!store.origin_registered("https://spa.example:443").unwrap());
    assert!(!store.origin_registered("https://evil.example").unwrap());
    assert!(store.remove_client("spa", UnixTime::from_secs(0)));
    assert!(!store.origin_registered("https://spa.example").unwrap());
}

#[test]
fn removing_a_client_revokes_its_grants() {
    let store = MemoryStore::with_clients([web_client("client-a", "s")]);
    let now = UnixTime::from_secs(100);
    store
        .persist(vec![code(digest(1), "g1", 160), access(digest(2), "g2", 4000), refresh(digest(3), "g2", 9000)], now)
        .unwrap();
    assert!(store.access_token(&digest(2), now).unwrap().is_some());
    assert!(store.has_client("client-a"));
    assert!(store.remove_client("client-a", now));
    assert!(!store.has_client("client-a"));
    assert_eq!(store.access_token(&digest(2), now).unwrap(), None);
    assert_eq!(store.refresh_token(&digest(3), now).unwrap(), TokenState::Missing);
    assert_eq!(store.take_code(&digest(1), "client-a", now).unwrap(), TokenState::Missing);
    // A late persist of a revoked grant does not bring it back.
    store.persist(vec![access(digest(4), "g2", 4000)], now).unwrap();
    assert_eq!(store.access_token(&digest(4), now).unwrap(), None);
    store.check_invariants();
}
