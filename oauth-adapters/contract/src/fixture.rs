//! The clients and users every rule registers through the factory, and the names the rules use
//! for them.
//!
//! A factory receives [`clients()`] and [`users()`] and must make them visible through
//! [`oauth_core::ClientRegistry`] and [`oauth_core::UserDirectory`] exactly as given: the rules
//! compare what the store returns with these values (`Client` and `User` by `==`).
//!
//! The identifiers are chosen to catch lookups that are not byte for byte: `web-a` and `WEB-A`
//! are two different clients, and two users differ only in the case of their identifiers, as a
//! case-insensitive database collation would merge them.

use oauth_core::{AppType, Client, ClientRegistration, ConsentMethod, GrantType, TokenDigest, User};

/// The issuer the rules configure the core with (RFC 8414 §2).
pub const ISSUER: &str = "https://as.example";

/// The redirect URI every client that uses the authorization code grant registers (RFC 6749
/// §3.1.2).
pub const REDIRECT_URI: &str = "https://app.example/cb";

/// A confidential `web` client: `authorization_code`, `refresh_token` and `client_credentials`;
/// scopes `read`, `write`, `offline_access`; trusted consent. Most rules use it.
pub const WEB_A: &str = "web-a";

/// A second confidential `web` client with the same grants: the "other client" of the binding
/// rules (RFC 6749 §4.1.3, §6).
pub const WEB_B: &str = "web-b";

/// A confidential `web` client whose identifier differs from [`WEB_A`] only in case, with its
/// own secret and only the `read` scope.
pub const WEB_A_UPPER: &str = "WEB-A";

/// A confidential `web` client allowed the impersonation grant
/// (`urn:qlik:oauth:user-impersonation`) and the browser origin [`IMPERSONATOR_ORIGIN`].
pub const IMPERSONATOR: &str = "imp-c";

/// A public `spa` client with the browser origin [`SPA_ORIGIN`] (D6).
pub const SPA: &str = "spa-d";

/// A confidential resource server (`client_credentials` only) allowed the introspection scope
/// [`INTROSPECT_SCOPE`]: it may introspect every client's tokens, itself or through a bearer
/// token it obtained (RFC 7662 §2.1).
pub const INTROSPECTOR: &str = "rs-e";

/// The core's default introspection scope (`Config::introspection_scope`).
pub const INTROSPECT_SCOPE: &str = "introspect";

/// The origin [`SPA`] allows.
pub const SPA_ORIGIN: &str = "https://spa.example";

/// The origin [`IMPERSONATOR`] allows (with an explicit, non-default port).
pub const IMPERSONATOR_ORIGIN: &str = "https://imp.example:8443";

/// The `userId` of an enabled user whose subject is [`USER_SUBJECT`].
pub const USER_ID: &str = "6422bad8022070c06d2417bc";

/// The subject of the user [`USER_ID`].
pub const USER_SUBJECT: &str = "auth0|u1";

/// The `userId` of a second enabled user: [`USER_ID`] in upper case.
pub const USER_ID_UPPER: &str = "6422BAD8022070C06D2417BC";

/// The subject of the user [`USER_ID_UPPER`]: [`USER_SUBJECT`] in upper case.
pub const USER_SUBJECT_UPPER: &str = "auth0|U1";

/// The `userId` of a disabled user (D8), whose subject is [`DISABLED_SUBJECT`].
pub const DISABLED_USER_ID: &str = "u-disabled";

/// The subject of the disabled user.
pub const DISABLED_SUBJECT: &str = "auth0|u2";

/// The resource owner who approves every authorization request of the rules.
pub const RESOURCE_OWNER: &str = "alice";

/// The client secret of `client_id`, for the fixture's confidential clients; `None` for the
/// public client and unknown identifiers. Secrets of test fixtures, not of anything real.
#[must_use]
pub fn secret(client_id: &str) -> Option<&'static str> {
    match client_id {
        WEB_A => Some("contract-secret-web-a"),
        WEB_B => Some("contract-secret-web-b"),
        WEB_A_UPPER => Some("contract-secret-WEB-A"),
        IMPERSONATOR => Some("contract-secret-imp-c"),
        INTROSPECTOR => Some("contract-secret-rs-e"),
        _ => None,
    }
}

fn web(client_id: &str, scopes: &[&str], grants: Vec<GrantType>, origins: &[&str]) -> Client {
    let digest = secret(client_id).map(TokenDigest::of);
    Client::register(ClientRegistration {
        client_id: client_id.to_owned(),
        client_name: format!("Contract client {client_id}"),
        app_type: Some(AppType::Web),
        secret_digests: digest.into_iter().collect(),
        redirect_uris: vec![REDIRECT_URI.to_owned()],
        allowed_scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        allowed_grant_types: Some(grants),
        allowed_origins: origins.iter().map(|s| (*s).to_owned()).collect(),
        consent: ConsentMethod::Trusted,
        ..ClientRegistration::default()
    })
    .expect("invariant: the fixture registrations follow the registration rules")
}

/// The clients a factory must register, in this order: [`WEB_A`], [`WEB_B`], [`WEB_A_UPPER`],
/// [`IMPERSONATOR`], [`SPA`], [`INTROSPECTOR`]. Each call builds equal values.
#[must_use]
pub fn clients() -> Vec<Client> {
    let code_grants = || vec![GrantType::AuthorizationCode, GrantType::RefreshToken, GrantType::ClientCredentials];
    let spa = Client::register(ClientRegistration {
        client_id: SPA.to_owned(),
        app_type: Some(AppType::Spa),
        redirect_uris: vec![format!("{SPA_ORIGIN}/cb")],
        allowed_scopes: vec!["read".to_owned(), "offline_access".to_owned()],
        allowed_origins: vec![SPA_ORIGIN.to_owned()],
        ..ClientRegistration::default()
    })
    .expect("invariant: the fixture registrations follow the registration rules");
    vec![
        web(WEB_A, &["read", "write", "offline_access"], code_grants(), &[]),
        web(WEB_B, &["read", "write", "offline_access"], code_grants(), &[]),
        web(WEB_A_UPPER, &["read"], code_grants(), &[]),
        web(IMPERSONATOR, &["read", "write"], vec![GrantType::UserImpersonation], &[IMPERSONATOR_ORIGIN]),
        spa,
        web(INTROSPECTOR, &[INTROSPECT_SCOPE, "read"], vec![GrantType::ClientCredentials], &[]),
    ]
}

/// The users a factory must register, as `(userId, user)` pairs in this order: [`USER_ID`],
/// [`USER_ID_UPPER`], and the disabled [`DISABLED_USER_ID`]. Subjects are unique.
#[must_use]
pub fn users() -> Vec<(String, User)> {
    vec![
        (USER_ID.to_owned(), User::new(USER_SUBJECT)),
        (USER_ID_UPPER.to_owned(), User::new(USER_SUBJECT_UPPER)),
        (DISABLED_USER_ID.to_owned(), User::new(DISABLED_SUBJECT).disabled()),
    ]
}
