//! The fixed world of the model: clients, users, lifetimes, PKCE verifiers and the scope
//! universe the generators draw from.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauth_core::{AppType, Client, ClientRegistration, ConsentMethod, GrantType, TokenDigest};
use sha2::{Digest as _, Sha256};

/// A set of scope tokens, as the reference model keeps it (independent of `ScopeSet`).
pub(crate) type Scopes = BTreeSet<String>;

/// The virtual clock starts here (seconds since the epoch).
pub(crate) const T0: u64 = 1_700_000_000;
/// Short lifetimes, in seconds, so that clock advances cross them often.
pub(crate) const CODE_LIFETIME: u64 = 10;
pub(crate) const ACCESS_LIFETIME: u64 = 30;
pub(crate) const REFRESH_LIFETIME: u64 = 60;
pub(crate) const ISSUER: &str = "https://as.example";
/// The seed of the `SeededEntropy` every run uses: token values never influence behaviour, so
/// one seed keeps failures reproducible.
pub(crate) const SEED: u64 = 0x5eed;

/// Every scope token a generator may name: the clients' scopes plus one nobody may have.
pub(crate) static UNIVERSE: [&str; 7] =
    ["admin", "apps:read", "offline_access", "read", "unknown", "user_default", "write"];

/// One registered client.
pub(crate) struct ClientSpec {
    pub(crate) id: &'static str,
    pub(crate) app: AppType,
    pub(crate) secret: Option<&'static str>,
    pub(crate) redirects: &'static [&'static str],
    pub(crate) scopes: &'static [&'static str],
    pub(crate) grants: &'static [GrantType],
    pub(crate) origins: &'static [&'static str],
    pub(crate) require_pkce: Option<bool>,
}

pub(crate) const SPA: usize = 0;
pub(crate) const NATIVE: usize = 1;
pub(crate) const WEB: usize = 2;
pub(crate) const WEB2: usize = 3;
pub(crate) const SVC: usize = 4;
pub(crate) const RS: usize = 5;

const CODE_AND_REFRESH: &[GrantType] = &[GrantType::AuthorizationCode, GrantType::RefreshToken];

/// The number of clients.
pub(crate) const N_CLIENTS: usize = 6;

/// The scope that lets a client (or a bearer token) introspect every token: the core's default
/// (`Config::introspection_scope`).
pub(crate) const INTROSPECT: &str = "introspect";

/// The HS256 key of JWT mode (32 bytes, RFC 7518 §3.2) and its `kid`; the model's resource
/// server verifies with its own `Hs256Signer` built from the same key.
pub(crate) const JWT_KEY: [u8; 32] = *b"model-jwt-key-0123456789abcdef!!";
pub(crate) const JWT_KID: &str = "k1";
/// Another key, for the broken-signer fixture (a rotation the resource servers missed).
pub(crate) const OTHER_JWT_KEY: [u8; 32] = *b"model-jwt-key-rotated-elsewhere!";

/// The clients: two public (spa, native), a confidential web client with every grant but
/// impersonation and optional PKCE, a confidential web client that may not refresh (so
/// `offline_access` yields no refresh token), a service with client credentials and
/// impersonation, and a resource server (`rs`, machine to machine). `rs` and `svc` are allowed
/// the introspection scope, so they may introspect every token, themselves or through their
/// client-credentials tokens (RFC 7662 §2.1); `svc`'s impersonation tokens carry the scope too,
/// but a user's token never sees other tokens.
pub(crate) static CLIENTS: [ClientSpec; N_CLIENTS] = [
    ClientSpec {
        id: "spa",
        app: AppType::Spa,
        secret: None,
        redirects: &["https://spa.example/cb"],
        scopes: &["offline_access", "read", "write"],
        grants: CODE_AND_REFRESH,
        origins: &["https://spa.example"],
        require_pkce: None,
    },
    ClientSpec {
        id: "native",
        app: AppType::Native,
        secret: None,
        redirects: &["http://127.0.0.1/cb"],
        scopes: &["offline_access", "read"],
        grants: CODE_AND_REFRESH,
        origins: &[],
        require_pkce: None,
    },
    ClientSpec {
        id: "web",
        app: AppType::Web,
        secret: Some("web-secret"),
        redirects: &["https://web.example/cb", "https://web.example/cb2"],
        scopes: &["admin", "offline_access", "read", "write"],
        grants: &[GrantType::AuthorizationCode, GrantType::RefreshToken, GrantType::ClientCredentials],
        origins: &[],
        require_pkce: Some(false),
    },
    ClientSpec {
        id: "web2",
        app: AppType::Web,
        secret: Some("web2-secret"),
        redirects: &["https://web2.example/cb?tenant=t1"],
        scopes: &["offline_access", "read"],
        grants: &[GrantType::AuthorizationCode],
        origins: &[],
        require_pkce: None,
    },
    ClientSpec {
        id: "svc",
        app: AppType::Web,
        secret: Some("svc-secret"),
        redirects: &[],
        scopes: &["apps:read", INTROSPECT, "offline_access", "user_default"],
        grants: &[GrantType::ClientCredentials, GrantType::UserImpersonation],
        origins: &["https://svc.example"],
        require_pkce: None,
    },
    ClientSpec {
        id: "rs",
        app: AppType::Web,
        secret: Some("rs-secret"),
        redirects: &[],
        scopes: &[INTROSPECT, "read"],
        grants: &[GrantType::ClientCredentials],
        origins: &[],
        require_pkce: None,
    },
];

impl ClientSpec {
    /// The validated client.
    pub(crate) fn register(&self) -> Client {
        self.register_with(self.scopes)
    }

    /// The validated client, allowed `scopes` instead of its own.
    pub(crate) fn register_with(&self, scopes: &[&str]) -> Client {
        Client::register(ClientRegistration {
            client_id: self.id.to_owned(),
            app_type: Some(self.app),
            secret_digests: self.secret.map(TokenDigest::of).into_iter().collect(),
            redirect_uris: self.redirects.iter().map(|s| (*s).to_owned()).collect(),
            allowed_scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            allowed_grant_types: Some(self.grants.to_vec()),
            allowed_origins: self.origins.iter().map(|s| (*s).to_owned()).collect(),
            consent: ConsentMethod::Required,
            require_pkce: self.require_pkce,
            ..Default::default()
        })
        .expect("invariant: the fixture registrations are valid")
    }

    pub(crate) fn allows(&self, grant: GrantType) -> bool {
        self.grants.contains(&grant)
    }

    pub(crate) fn requires_pkce(&self) -> bool {
        self.require_pkce.unwrap_or(true)
    }
}

/// One user of the directory.
pub(crate) struct UserSpec {
    pub(crate) id: &'static str,
    pub(crate) subject: &'static str,
    pub(crate) disabled: bool,
}

/// Alice and Bob, and Carol, who is disabled.
pub(crate) static USERS: [UserSpec; 3] = [
    UserSpec { id: "u-alice", subject: "auth0|alice", disabled: false },
    UserSpec { id: "u-bob", subject: "auth0|bob", disabled: false },
    UserSpec { id: "u-carol", subject: "auth0|carol", disabled: true },
];

/// Valid PKCE verifiers (RFC 7636 §4.1); the first is Appendix B's.
pub(crate) const VERIFIERS: [&str; 3] = [
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    "verifier-one-0123456789-abcdefghijklmnopqrstu",
    "verifier-two-0123456789-ABCDEFGHIJKLMNOPQRSTU~",
];

/// The S256 challenge of `verifier`.
pub(crate) fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub(crate) fn scopes<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Scopes {
    tokens.into_iter().map(str::to_owned).collect()
}

/// `Authorization: Basic` for `id` and `secret` (both unreserved, so no form-encoding needed).
pub(crate) fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// `application/x-www-form-urlencoded` serialization of `pairs` (every byte outside the
/// unreserved set percent-encoded).
pub(crate) fn form(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, name);
        out.push('=');
        encode_into(&mut out, value);
    }
    out
}

fn encode_into(out: &mut String, value: &str) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}
