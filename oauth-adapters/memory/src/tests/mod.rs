//! Tests of the store contracts (`contract`), of `OsEntropy` (`entropy`) and of whole flows
//! through `oauth_core::drive` (`flows`). Records are built through their serde form, since the
//! core's record types are non-exhaustive.

mod contract;
mod directory;
mod entropy;
mod flows;

use oauth_core::{AppType, Client, ClientRegistration, ConsentMethod, GrantId, GrantType, TokenDigest, Write};
use serde_json::json;

/// A distinct digest per `n`.
pub(crate) fn digest(n: u64) -> TokenDigest {
    TokenDigest::of(&format!("token-{n}"))
}

/// The grant id the tests name `grant` (the same derivation as `contract::gid`).
fn grant_hex(grant: &str) -> String {
    GrantId::from_digest(&TokenDigest::of(grant)).to_string()
}

fn write(value: serde_json::Value) -> Write {
    serde_json::from_value(value).expect("invariant: the test builds a valid Write")
}

/// A code of grant `grant` for `client-a`, expiring at `expires_at`.
pub(crate) fn code(key: TokenDigest, grant: &str, expires_at: u64) -> Write {
    write(json!({ "Code": { "key": key, "record": {
        "grant_id": grant_hex(grant), "client_id": "client-a", "subject": "alice", "scope": "read",
        "redirect_uri": "https://app.example/cb", "redirect_uri_sent": true,
        "code_challenge": null, "auth_time": 0, "expires_at": expires_at,
    }}}))
}

/// An access token of grant `grant`, expiring at `expires_at`.
pub(crate) fn access(key: TokenDigest, grant: &str, expires_at: u64) -> Write {
    write(json!({ "AccessToken": { "key": key, "record": {
        "grant_id": grant_hex(grant), "client_id": "client-a", "subject": { "User": "alice" }, "scope": "read",
        "issued_at": 0, "expires_at": expires_at,
    }}}))
}

/// A refresh token of grant `grant`, expiring at `expires_at`.
pub(crate) fn refresh(key: TokenDigest, grant: &str, expires_at: u64) -> Write {
    write(json!({ "RefreshToken": { "key": key, "record": {
        "grant_id": grant_hex(grant), "client_id": "client-a", "subject": "alice", "scope": "offline_access read",
        "auth_time": 0, "issued_at": 0, "expires_at": expires_at,
    }}}))
}

/// A confidential client `id` with secret `secret`, every grant, trusted consent.
pub(crate) fn web_client(id: &str, secret: &str) -> Client {
    Client::register(ClientRegistration {
        client_id: id.to_owned(),
        app_type: Some(AppType::Web),
        secret_digests: vec![TokenDigest::of(secret)],
        redirect_uris: vec!["https://app.example/cb".to_owned()],
        allowed_scopes: vec!["read".to_owned(), "write".to_owned(), "offline_access".to_owned()],
        allowed_grant_types: Some(vec![
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
        ]),
        consent: ConsentMethod::Trusted,
        ..Default::default()
    })
    .expect("invariant: the test registration is valid")
}
