//! The configuration file: parsing, validation and the embedded demo configuration.
//!
//! The format is documented in the crate documentation and in `demo.toml`. Everything is
//! checked when the file is loaded, and the first problem is reported as a [`ConfigError`]
//! naming the field (`clients[1].redirect_uris: ...`), so a bad file fails at start.

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, SaltString};
use oauth_core::{
    AppType, Client, ClientRegistration, Config, ConsentMethod, FailingEntropy, GrantType, Lifetimes, ScopeSet, Secret,
    TokenDigest, secret_hint,
};
use rand::TryRngCore as _;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The embedded demo configuration (`demo.toml`): public demo clients and users, loopback only.
pub const DEMO_TOML: &str = include_str!("../demo.toml");

/// Default listen address: `127.0.0.1:8080`.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// The scope an access token must carry to use the admin API (`/api/v1/oauth-clients`) when
/// the file sets no `admin_scope`: `admin_classic`, the platform's full-admin scope.
pub const DEFAULT_ADMIN_SCOPE: &str = "admin_classic";

/// Longest user `id` or `subject` accepted, in bytes: 256.
pub const MAX_USER_ID_BYTES: usize = 256;

/// Why a configuration was refused: the field at fault (`listen`, `lifetimes.access_token`,
/// `clients[1].redirect_uris`, `users[0].password`, or `line N` for TOML syntax) and a reason.
/// `Display` is `<field>: <reason>`. Never contains a secret or password.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigError {
    /// The offending field, as a path into the file.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// A configured resource owner. The password is kept only as an argon2 PHC hash.
#[derive(Clone)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) subject: String,
    pub(crate) password_hash: String,
    pub(crate) disabled: bool,
}

/// A validated server configuration: issuer, listen address, lifetimes, clients and users.
/// Build it with [`ServerConfig::from_toml`] or [`ServerConfig::demo`]. `Debug` shows no
/// secrets or password hashes.
#[derive(Clone)]
pub struct ServerConfig {
    issuer: Option<String>,
    listen: SocketAddr,
    dev_login: Option<String>,
    lifetimes: Lifetimes,
    admin_scope: String,
    clients: Vec<Arc<Client>>,
    /// For each entry of `clients` (same index): the hint of its plaintext `client_secret`, or
    /// `None` (no secret, or `client_secret_sha256`).
    secret_hints: Vec<Option<String>>,
    pub(crate) users: Vec<User>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("issuer", &self.issuer)
            .field("listen", &self.listen)
            .field("dev_login", &self.dev_login)
            .field("lifetimes", &self.lifetimes)
            .field("admin_scope", &self.admin_scope)
            .field("clients", &self.clients.iter().map(|c| c.client_id()).collect::<Vec<_>>())
            .field("users", &self.users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    issuer: Option<String>,
    listen: Option<String>,
    dev_login: Option<String>,
    admin_scope: Option<String>,
    lifetimes: Option<toml::Value>,
    #[serde(default)]
    clients: Vec<toml::Value>,
    #[serde(default)]
    users: Vec<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLifetimes {
    access_token: Option<u64>,
    authorization_code: Option<u64>,
    refresh_token: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    client_id: String,
    client_name: Option<String>,
    app_type: Option<String>,
    client_secret: Option<String>,
    client_secret_sha256: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    allowed_scopes: Vec<String>,
    allowed_grant_types: Option<Vec<String>>,
    #[serde(default)]
    allowed_origins: Vec<String>,
    consent: Option<String>,
    require_pkce: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    id: String,
    subject: Option<String>,
    password: Option<String>,
    password_hash: Option<String>,
    #[serde(default)]
    disabled: bool,
}

/// Deserializes `value` into `T`, naming the field of any error under `prefix`.
fn typed<T: DeserializeOwned>(value: toml::Value, prefix: &str) -> Result<T, ConfigError> {
    value.try_into().map_err(|e: toml::de::Error| serde_error(prefix, &e.to_string()))
}

/// Turns a serde message into a field path and a reason: `unknown field `x`…` and `missing
/// field `x`` name the field themselves; type errors end with a line ``in `x` ``.
fn serde_error(prefix: &str, message: &str) -> ConfigError {
    let join = |key: &str| if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") };
    let quoted = |s: &str| s.split('`').nth(1).map(str::to_owned);
    let first = message.lines().next().unwrap_or(message);
    if let Some(rest) = first.strip_prefix("unknown field ") {
        let key = quoted(rest).unwrap_or_default();
        return ConfigError::new(join(&key), "unknown field");
    }
    if let Some(rest) = first.strip_prefix("missing field ") {
        let key = quoted(rest).unwrap_or_default();
        return ConfigError::new(join(&key), "required");
    }
    // serde quotes the offending value (``invalid type: integer `123`, expected a string``);
    // that value may be a secret or a password, so it never reaches the message.
    let reason = if first.starts_with("invalid ") { without_quoted_values(first) } else { first.to_owned() };
    match message.lines().rev().find_map(|l| l.strip_prefix("in ")).and_then(quoted) {
        Some(key) => ConfigError::new(join(&key), reason),
        None => ConfigError::new(if prefix.is_empty() { "(file)" } else { prefix }, reason),
    }
}

/// `message` with every backquoted value removed (`` `x` `` and the space before it).
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    // Odd parts are inside backquotes; an unmatched backquote drops the rest.
    let rest: Vec<&str> = parts.collect();
    for (i, part) in rest.iter().enumerate() {
        if i % 2 == 1 {
            if out.ends_with(' ') && part.starts_with([',', ' ']) {
                out.pop();
            }
            out.push_str(part);
        }
    }
    out
}

impl ServerConfig {
    /// Parses and validates a TOML configuration (format in the crate documentation).
    ///
    /// Plaintext client secrets are replaced by their SHA-256 digest and plaintext passwords by
    /// an argon2id hash here; neither is kept.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad field: TOML syntax (`line N`), an unknown field, a
    /// wrong type, an issuer that is not `https` (or `http` on loopback), a bad listen
    /// address or lifetime, a client that [`Client::register`] refuses
    /// (`clients[i].<field>`), a duplicate client or user id, a user without exactly one of
    /// `password` and `password_hash`, or a `dev_login` that names no enabled user.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e.span().map_or(0, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            ConfigError::new(format!("line {line}"), e.message().lines().next().unwrap_or("invalid TOML"))
        })?;
        let raw: RawFile = typed(toml::Value::Table(table), "")?;

        let listen = match &raw.listen {
            None => DEFAULT_LISTEN,
            Some(l) => l.parse().map_err(|_| ConfigError::new("listen", "must be an IP address and port"))?,
        };
        if let Some(issuer) = &raw.issuer {
            validate_issuer(issuer)?;
        } else if !listen.ip().is_loopback() {
            return Err(ConfigError::new(
                "issuer",
                "required when listen is not a loopback address (and must use https)",
            ));
        }

        let lifetimes = match raw.lifetimes {
            None => Lifetimes::default(),
            Some(v) => {
                let l: RawLifetimes = typed(v, "lifetimes")?;
                let d = Lifetimes::default();
                let lifetimes = Lifetimes {
                    access_token: l.access_token.unwrap_or(d.access_token),
                    authorization_code: l.authorization_code.unwrap_or(d.authorization_code),
                    refresh_token: l.refresh_token.unwrap_or(d.refresh_token),
                };
                validate_lifetimes(lifetimes)?;
                lifetimes
            }
        };

        let admin_scope = match raw.admin_scope {
            None => DEFAULT_ADMIN_SCOPE.to_owned(),
            Some(s) if !s.contains(' ') && ScopeSet::parse(&s).is_ok() => s,
            Some(_) => {
                return Err(ConfigError::new(
                    "admin_scope",
                    "must be one scope token of the characters %x21 / %x23-5B / %x5D-7E",
                ));
            }
        };

        let mut clients = Vec::with_capacity(raw.clients.len());
        let mut secret_hints = Vec::with_capacity(raw.clients.len());
        let mut client_ids = HashSet::new();
        for (i, value) in raw.clients.into_iter().enumerate() {
            let prefix = format!("clients[{i}]");
            let (client, hint) = client(typed(value, &prefix)?, &prefix)?;
            if !client_ids.insert(client.client_id().to_owned()) {
                return Err(ConfigError::new(format!("{prefix}.client_id"), "duplicate client_id"));
            }
            clients.push(Arc::new(client));
            secret_hints.push(hint);
        }

        let mut users = Vec::with_capacity(raw.users.len());
        let mut user_ids = HashSet::new();
        for (i, value) in raw.users.into_iter().enumerate() {
            let prefix = format!("users[{i}]");
            let user = user(typed(value, &prefix)?, &prefix)?;
            if !user_ids.insert(user.id.clone()) {
                return Err(ConfigError::new(format!("{prefix}.id"), "duplicate user id"));
            }
            users.push(user);
        }

        let config =
            Self { issuer: raw.issuer, listen, dev_login: None, lifetimes, admin_scope, clients, secret_hints, users };
        match raw.dev_login {
            None => Ok(config),
            Some(id) => config.with_dev_login(&id),
        }
    }

    /// The embedded demo configuration ([`DEMO_TOML`]): clients `demo-web`, `demo-service`,
    /// `demo-spa`, `demo-native`, `demo-admin` (client credentials with `admin_classic`, for
    /// the admin API), `demo-impersonation` and users `user-1` (enabled) and `user-2` (disabled), on
    /// `127.0.0.1:8080`.
    #[must_use]
    pub fn demo() -> Self {
        Self::from_toml(DEMO_TOML).expect("invariant: the embedded demo.toml is valid (tested)")
    }

    /// The address to listen on (default `127.0.0.1:8080`).
    #[must_use]
    pub const fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// Replaces the listen address (the command line's `--listen`). Without a configured
    /// `issuer`, the issuer follows the address the server actually listens on.
    pub const fn set_listen(&mut self, listen: SocketAddr) {
        self.listen = listen;
    }

    /// The configured issuer, if any; `None` means `http://<listen address>`.
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The `dev_login` user, if set (INSECURE: that user is signed in and approves everything).
    #[must_use]
    pub fn dev_login(&self) -> Option<&str> {
        self.dev_login.as_deref()
    }

    /// Sets `dev_login` to the user with id `user_id` (INSECURE; for tests and scripts).
    ///
    /// # Errors
    /// [`ConfigError`] for `dev_login` when no enabled user has that id.
    pub fn with_dev_login(mut self, user_id: &str) -> Result<Self, ConfigError> {
        if !self.users.iter().any(|u| u.id == user_id && !u.disabled) {
            return Err(ConfigError::new("dev_login", "must name a configured, enabled user"));
        }
        self.dev_login = Some(user_id.to_owned());
        Ok(self)
    }

    /// The credential lifetimes, in seconds.
    #[must_use]
    pub const fn lifetimes(&self) -> Lifetimes {
        self.lifetimes
    }

    /// The scope an access token must carry to use the admin API (`/api/v1/oauth-clients`):
    /// the file's `admin_scope`, default [`DEFAULT_ADMIN_SCOPE`]. One scope token (RFC 6749 §3.3).
    #[must_use]
    pub fn admin_scope(&self) -> &str {
        &self.admin_scope
    }

    /// The registered clients, in file order.
    #[must_use]
    pub fn clients(&self) -> &[Arc<Client>] {
        &self.clients
    }

    /// The registered clients in file order, each with the hint of its plaintext
    /// `client_secret` (`None` for a public client or one configured with
    /// `client_secret_sha256`).
    pub(crate) fn clients_with_hints(&self) -> impl Iterator<Item = (&Arc<Client>, Option<&str>)> {
        self.clients.iter().zip(self.secret_hints.iter().map(Option::as_deref))
    }

    /// The ids of the configured users that may sign in, in file order.
    #[must_use]
    pub fn enabled_users(&self) -> Vec<&str> {
        self.users.iter().filter(|u| !u.disabled).map(|u| u.id.as_str()).collect()
    }

    /// The ids of the configured users that are disabled, in file order.
    #[must_use]
    pub fn disabled_users(&self) -> Vec<&str> {
        self.users.iter().filter(|u| u.disabled).map(|u| u.id.as_str()).collect()
    }
}

/// Checks `issuer` with the core's rules: `https`, or `http` on a loopback host.
pub(crate) fn validate_issuer(issuer: &str) -> Result<(), ConfigError> {
    let entropy = Arc::new(FailingEntropy::default());
    let ok = if issuer.starts_with("https://") {
        Config::new(issuer, entropy).is_ok()
    } else {
        Config::new_for_development(issuer, entropy).is_ok()
    };
    if ok {
        Ok(())
    } else {
        Err(ConfigError::new(
            "issuer",
            "must be an https URL without query or fragment (http only on 127.0.0.1, [::1] or localhost)",
        ))
    }
}

fn validate_lifetimes(lifetimes: Lifetimes) -> Result<(), ConfigError> {
    let base = Config::new_for_development("http://127.0.0.1", Arc::new(FailingEntropy::default()))
        .map_err(|_| ConfigError::new("issuer", "internal: loopback issuer refused"))?;
    match base.with_lifetimes(lifetimes) {
        Ok(_) => Ok(()),
        Err(oauth_core::ApiMisuse::Config(message)) => {
            let (field, reason) = message.split_once(' ').unwrap_or(("lifetimes", message));
            Err(ConfigError::new(field, reason))
        }
        Err(other) => Err(ConfigError::new("lifetimes", other.to_string())),
    }
}

/// The validated client, and the hint of its plaintext `client_secret` if it has one.
fn client(raw: RawClient, prefix: &str) -> Result<(Client, Option<String>), ConfigError> {
    let field = |name: &str| format!("{prefix}.{name}");
    let app_type = match raw.app_type.as_deref() {
        None => None,
        Some("web") => Some(AppType::Web),
        Some("spa") => Some(AppType::Spa),
        Some("native") => Some(AppType::Native),
        Some(_) => return Err(ConfigError::new(field("app_type"), "must be web, spa or native")),
    };
    let consent = match raw.consent.as_deref() {
        None | Some("required") => ConsentMethod::Required,
        Some("trusted") => ConsentMethod::Trusted,
        Some(_) => return Err(ConfigError::new(field("consent"), "must be trusted or required")),
    };
    let mut hint = None;
    let secret_digests = match (raw.client_secret, raw.client_secret_sha256) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                field("client_secret"),
                "set client_secret or client_secret_sha256, not both",
            ));
        }
        (Some(s), None) if s.is_empty() => return Err(ConfigError::new(field("client_secret"), "must not be empty")),
        (Some(s), None) => {
            let secret = Secret::new(s);
            hint = Some(secret_hint(&secret));
            vec![secret.digest()]
        }
        (None, Some(hex)) => match TokenDigest::from_hex(&hex) {
            Some(d) => vec![d],
            None => return Err(ConfigError::new(field("client_secret_sha256"), "must be 64 hexadecimal characters")),
        },
        (None, None) => Vec::new(),
    };
    let allowed_grant_types = match raw.allowed_grant_types {
        None => None,
        Some(names) => {
            Some(names.iter().map(|n| GrantType::parse(n)).collect::<Option<Vec<_>>>().ok_or_else(|| {
                ConfigError::new(
                    field("allowed_grant_types"),
                    "unknown grant type (use authorization_code, refresh_token, client_credentials or \
                     urn:qlik:oauth:user-impersonation)",
                )
            })?)
        }
    };
    let registration = ClientRegistration {
        client_id: raw.client_id,
        client_name: raw.client_name.unwrap_or_default(),
        app_type,
        secret_digests,
        redirect_uris: raw.redirect_uris,
        allowed_scopes: raw.allowed_scopes,
        allowed_grant_types,
        allowed_origins: raw.allowed_origins,
        consent,
        require_pkce: raw.require_pkce,
    };
    let client = Client::register(registration).map_err(|e| ConfigError::new(field(e.field), e.reason))?;
    Ok((client, hint))
}

fn user(raw: RawUser, prefix: &str) -> Result<User, ConfigError> {
    let field = |name: &str| format!("{prefix}.{name}");
    let printable = |s: &str| !s.is_empty() && s.len() <= MAX_USER_ID_BYTES && !s.chars().any(char::is_control);
    if !printable(&raw.id) {
        return Err(ConfigError::new(field("id"), "must be 1 to 256 bytes without control characters"));
    }
    let subject = raw.subject.unwrap_or_else(|| raw.id.clone());
    if !printable(&subject) {
        return Err(ConfigError::new(field("subject"), "must be 1 to 256 bytes without control characters"));
    }
    let password_hash = match (raw.password, raw.password_hash) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(field("password"), "set password or password_hash, not both"));
        }
        (None, None) => return Err(ConfigError::new(field("password"), "required (or password_hash)")),
        (Some(p), None) if p.is_empty() => return Err(ConfigError::new(field("password"), "must not be empty")),
        (Some(p), None) => hash_password(&p).map_err(|reason| ConfigError::new(field("password"), reason))?,
        (None, Some(h)) => match PasswordHash::new(&h) {
            Ok(parsed) if parsed.algorithm.as_str().starts_with("argon2") => h,
            _ => return Err(ConfigError::new(field("password_hash"), "must be an argon2 PHC string ($argon2id$...)")),
        },
    };
    Ok(User { id: raw.id, subject, password_hash, disabled: raw.disabled })
}

/// An argon2id PHC hash of `password` with a fresh 128-bit salt from the OS.
pub(crate) fn hash_password(password: &str) -> Result<String, &'static str> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.try_fill_bytes(&mut salt).map_err(|_| "the OS random number generator failed")?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| "cannot encode salt")?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| "cannot hash")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
issuer = "https://as.example"
listen = "127.0.0.1:9000"
dev_login = "user-1"

[lifetimes]
access_token = 600
authorization_code = 30

[[clients]]
client_id = "client-a"
client_name = "Client A"
app_type = "web"
client_secret = "s3cret"
redirect_uris = ["https://app.example/cb"]
allowed_scopes = ["read", "write"]
allowed_grant_types = ["authorization_code", "refresh_token"]
consent = "required"
require_pkce = true

[[clients]]
client_id = "svc"
app_type = "web"
client_secret_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
allowed_scopes = ["read"]
allowed_grant_types = ["client_credentials"]

[[clients]]
client_id = "spa"
app_type = "spa"
redirect_uris = ["https://spa.example/cb"]
allowed_scopes = ["read"]
allowed_origins = ["https://spa.example"]
consent = "trusted"

[[users]]
id = "user-1"
subject = "auth0|user-1"
password = "pw-1"

[[users]]
id = "user-2"
password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Gm9OHEzKa38bKSKTvbPmBkGpdmyHkC3uFZJDGFpuF0U"
disabled = true
"#;

    fn err(text: &str) -> String {
        ServerConfig::from_toml(text).map(|_| ()).unwrap_err().to_string()
    }

    fn with_client(body: &str) -> String {
        format!(
            "[[clients]]\nclient_id = \"ok\"\napp_type = \"spa\"\nredirect_uris = [\"https://ok.example/cb\"]\n\n[[clients]]\n{body}\n"
        )
    }

    #[test]
    fn good_config_loads() {
        let c = ServerConfig::from_toml(GOOD).unwrap();
        assert_eq!(c.listen(), "127.0.0.1:9000".parse().unwrap());
        assert_eq!(c.issuer(), Some("https://as.example"));
        assert_eq!(c.dev_login(), Some("user-1"));
        assert_eq!(c.lifetimes().access_token, 600);
        assert_eq!(c.lifetimes().authorization_code, 30);
        assert_eq!(c.lifetimes().refresh_token, Lifetimes::default().refresh_token);
        assert_eq!(c.clients().len(), 3);
        let a = &c.clients()[0];
        assert!(a.verify_secret(&Secret::new("s3cret".into())));
        assert_eq!(a.client_name(), "Client A");
        let svc = &c.clients()[1];
        assert!(svc.verify_secret(&Secret::new("abc".into())));
        assert!(svc.allows_grant(GrantType::ClientCredentials));
        assert_eq!(c.clients()[2].consent(), ConsentMethod::Trusted);
        assert_eq!(c.enabled_users(), vec!["user-1"]);
        assert_eq!(c.users[0].subject, "auth0|user-1");
        assert!(c.users[0].password_hash.starts_with("$argon2id$"));
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3cret") && !debug.contains("argon2"));
    }

    #[test]
    fn defaults() {
        let c = ServerConfig::from_toml("").unwrap();
        assert_eq!(c.listen(), DEFAULT_LISTEN);
        assert_eq!(c.issuer(), None);
        assert_eq!(c.lifetimes(), Lifetimes::default());
        assert!(c.clients().is_empty());
    }

    #[test]
    fn demo_config_loads() {
        let c = ServerConfig::demo();
        assert_eq!(c.listen(), DEFAULT_LISTEN);
        assert!(c.dev_login().is_none());
        let ids: Vec<_> = c.clients().iter().map(|c| c.client_id()).collect();
        assert_eq!(ids, ["demo-web", "demo-service", "demo-spa", "demo-native", "demo-admin", "demo-impersonation"]);
        assert_eq!(c.enabled_users(), vec!["user-1"]);
        assert_eq!(c.admin_scope(), DEFAULT_ADMIN_SCOPE);
        let admin = &c.clients()[4];
        assert!(admin.allows_grant(GrantType::ClientCredentials));
        assert_eq!(admin.allowed_scopes().as_str(), "admin_classic");
        assert!(admin.verify_secret(&Secret::new("demo-admin-secret".into())));
        let imp = &c.clients()[5];
        assert_eq!(imp.allowed_grant_types(), [GrantType::UserImpersonation]);
        assert!(imp.allows_origin("https://custom-app.example"));
        assert!(imp.verify_secret(&Secret::new("demo-impersonation-secret".into())));
    }

    #[test]
    fn admin_scope_defaults_and_is_one_scope_token() {
        assert_eq!(ServerConfig::from_toml("").unwrap().admin_scope(), "admin_classic");
        let c = ServerConfig::from_toml("admin_scope = \"clients:admin\"").unwrap();
        assert_eq!(c.admin_scope(), "clients:admin");
        assert!(format!("{c:?}").contains("clients:admin"));
        for bad in ["\"\"", "\"a b\"", "\"a\\\\b\"", "\"caf\u{e9}\"", "1"] {
            assert!(err(&format!("admin_scope = {bad}")).starts_with("admin_scope: "), "{bad}");
        }
    }

    #[test]
    fn plaintext_secrets_keep_a_hint_and_digests_none() {
        let c = ServerConfig::from_toml(GOOD).unwrap();
        let hints: Vec<_> =
            c.clients_with_hints().map(|(c, h)| (c.client_id().to_owned(), h.map(str::to_owned))).collect();
        // "s3cret" is 6 characters: the hint is at most a third of it.
        assert_eq!(
            hints,
            [("client-a".to_owned(), Some("et".to_owned())), ("svc".to_owned(), None), ("spa".to_owned(), None)]
        );
        let demo = ServerConfig::demo();
        let admin = demo.clients_with_hints().find(|(c, _)| c.client_id() == "demo-admin").unwrap();
        assert_eq!(admin.1, Some("ecret"));
    }

    #[test]
    fn top_level_errors_name_the_field() {
        assert_eq!(err("colour = 1"), "colour: unknown field");
        assert!(err("issuer = 1").starts_with("issuer: invalid type"));
        let e = err("[[clients]]\nclient_id = \"a\"\napp_type = \"web\"\nclient_secret = 918273645546372819\n");
        assert_eq!(e, "clients[0].client_secret: invalid type: integer, expected a string");
        assert_eq!(without_quoted_values("a `x` b `y`, c"), "a b, c");
        assert!(err("listen = \"nowhere\"").starts_with("listen: "));
        assert!(err("issuer = \"http://as.example\"").starts_with("issuer: must be an https URL"));
        assert!(err("issuer = \"https://as.example?x=1\"").starts_with("issuer: "));
        assert!(err("listen = \"0.0.0.0:8080\"").starts_with("issuer: required"));
        assert!(err("x = [").starts_with("line 1: "));
        assert_eq!(err("dev_login = \"nobody\""), "dev_login: must name a configured, enabled user");
    }

    #[test]
    fn lifetime_errors_name_the_field() {
        assert!(err("[lifetimes]\naccess_token = 0").starts_with("lifetimes.access_token: "));
        assert!(err("[lifetimes]\nauthorization_code = 601").starts_with("lifetimes.authorization_code: "));
        assert!(err("[lifetimes]\nrefresh_token = 0").starts_with("lifetimes.refresh_token: "));
        assert!(err("[lifetimes]\naccess_token = -1").starts_with("lifetimes.access_token: invalid value"));
        assert_eq!(err("[lifetimes]\nforever = 1"), "lifetimes.forever: unknown field");
    }

    #[test]
    fn client_errors_name_the_field() {
        let web = "client_id = \"w\"\napp_type = \"web\"\nclient_secret = \"x\"\n";
        assert!(
            err(&with_client("client_id = \"w\"\napp_type = \"web\"\nclient_secret = \"x\"\nredirect_uris = [\"http://app.example/cb\"]"))
                .starts_with("clients[1].redirect_uris: ")
        );
        assert_eq!(err(&with_client(&format!("{web}colour = 1"))), "clients[1].colour: unknown field");
        assert!(
            err(&with_client(&format!("{web}redirect_uris = [1]")))
                .starts_with("clients[1].redirect_uris: invalid type")
        );
        assert_eq!(err(&with_client("app_type = \"web\"")), "clients[1].client_id: required");
        assert!(err(&with_client("client_id = \"w\"\napp_type = \"desktop\"")).starts_with("clients[1].app_type: "));
        assert!(err(&with_client("client_id = \"w\"")).starts_with("clients[1].app_type: "));
        assert!(
            err(&with_client(&format!("{web}client_secret_sha256 = \"{}\"", "a".repeat(64))))
                .starts_with("clients[1].client_secret: ")
        );
        assert!(
            err(&with_client("client_id = \"w\"\napp_type = \"web\"\nclient_secret_sha256 = \"xyz\""))
                .starts_with("clients[1].client_secret_sha256: ")
        );
        assert!(
            err(&with_client("client_id = \"s\"\napp_type = \"spa\"\nclient_secret = \"x\"\nredirect_uris = [\"https://s.example/cb\"]"))
                .starts_with("clients[1].client_secret: ")
        );
        assert!(err(&with_client("client_id = \"w\"\napp_type = \"web\"")).starts_with("clients[1].client_secret: "));
        assert!(
            err(&with_client(&format!("{web}allowed_grant_types = [\"password\"]")))
                .starts_with("clients[1].allowed_grant_types: ")
        );
        assert!(
            err(&with_client(&format!("{web}redirect_uris = [\"https://a.example/cb\"]\nconsent = \"maybe\"")))
                .starts_with("clients[1].consent: ")
        );
        assert!(
            err(&with_client("client_id = \"has space\"\napp_type = \"spa\"")).starts_with("clients[1].client_id: ")
        );
        assert!(
            err(&with_client("client_id = \"ok\"\napp_type = \"spa\"\nredirect_uris = [\"https://ok.example/cb\"]"))
                .starts_with("clients[1].client_id: duplicate")
        );
        assert!(err(&with_client(
            "client_id = \"s\"\napp_type = \"spa\"\nredirect_uris = [\"https://s.example/cb\"]\nrequire_pkce = false"
        ))
        .starts_with("clients[1].require_pkce: "));
    }

    #[test]
    fn user_errors_name_the_field() {
        assert_eq!(err("[[users]]\nid = \"u\""), "users[0].password: required (or password_hash)");
        assert!(
            err("[[users]]\nid = \"u\"\npassword = \"a\"\npassword_hash = \"b\"").starts_with("users[0].password: ")
        );
        assert!(err("[[users]]\nid = \"u\"\npassword_hash = \"plain\"").starts_with("users[0].password_hash: "));
        assert!(err("[[users]]\nid = \"u\"\npassword = \"\"").starts_with("users[0].password: "));
        assert!(err("[[users]]\nid = \"\"\npassword = \"p\"").starts_with("users[0].id: "));
        assert_eq!(err("[[users]]\nid = \"u\"\npassword = \"p\"\nage = 3"), "users[0].age: unknown field");
        assert!(
            err("[[users]]\nid = \"u\"\npassword = \"p\"\n[[users]]\nid = \"u\"\npassword = \"q\"")
                .starts_with("users[1].id: duplicate")
        );
        assert_eq!(
            err("dev_login = \"u\"\n[[users]]\nid = \"u\"\npassword = \"p\"\ndisabled = true"),
            "dev_login: must name a configured, enabled user"
        );
    }

    #[test]
    fn errors_never_echo_secrets() {
        let e = err(&with_client(
            "client_id = \"w\"\napp_type = \"spa\"\nclient_secret = \"hunter2-secret\"\nredirect_uris = [\"https://s.example/cb\"]",
        ));
        assert!(!e.contains("hunter2"));
    }
}
