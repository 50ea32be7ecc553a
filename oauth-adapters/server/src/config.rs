//! The configuration file: parsing, validation and the embedded demo configuration.
//!
//! The format is documented in the crate documentation and in `demo.toml`. Everything is
//! checked when the file is loaded, and the first problem is reported as a [`ConfigError`]
//! naming the field (`clients[1].redirect_uris: ...`), so a bad file fails at start.

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, SaltString};
use oauth_core::config::DEFAULT_INTROSPECTION_SCOPE;
use oauth_core::sign::MIN_HS256_KEY_BYTES;
use oauth_core::{
    AppType, Client, ClientRegistration, Config, ConsentMethod, FailingEntropy, GrantType, Hs256Signer, Lifetimes,
    ScopeSet, Secret, TokenDigest, TokenSigner, secret_hint,
};
use oauth_jose::{Algorithm, KeySet, SigningKey, VerifyingKey};
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
    access_tokens: AccessTokens,
}

/// The `[access_tokens]` table, resolved: the signer of JWT access tokens (keys loaded or
/// generated), the audience, the introspection scope and the metadata's `scopes_supported`.
#[derive(Clone)]
struct AccessTokens {
    /// `None`: opaque access tokens.
    signer: Option<Arc<dyn TokenSigner>>,
    /// Whether the signing key was generated at load (no `key_file` / `hs256_secret_file`).
    generated: bool,
    audience: Option<String>,
    introspection_scope: ScopeSet,
    /// `None`: the union of the clients' `allowed_scopes`.
    scopes_supported: Option<ScopeSet>,
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
            .field("access_token_format", &self.access_token_format())
            .field("access_token_algorithm", &self.access_token_signer().map(|s| s.algorithm().to_owned()))
            .field("access_token_key_id", &self.access_token_signer().and_then(|s| s.key_id().map(str::to_owned)))
            .field("audience", &self.access_tokens.audience)
            .field("introspection_scope", &self.access_tokens.introspection_scope)
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
    access_tokens: Option<toml::Value>,
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
struct RawAccessTokens {
    format: Option<String>,
    algorithm: Option<String>,
    key_file: Option<String>,
    previous_public_keys: Option<Vec<toml::Value>>,
    hs256_secret_file: Option<String>,
    key_id: Option<String>,
    audience: Option<String>,
    introspection_scope: Option<String>,
    scopes_supported: Option<Vec<String>>,
}

/// An entry of `previous_public_keys` written as a table rather than a path.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublicKey {
    file: String,
    key_id: Option<String>,
    algorithm: Option<String>,
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
    /// Parses and validates a TOML configuration (format in the crate documentation), reading
    /// the key files of `[access_tokens]` relative to the current directory. A file on disk
    /// should be loaded with [`ServerConfig::from_toml_in`] and its directory instead.
    ///
    /// # Errors
    /// As [`ServerConfig::from_toml_in`].
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::from_toml_in(text, Path::new(""))
    }

    /// Parses and validates a TOML configuration (format in the crate documentation); relative
    /// paths in `[access_tokens]` are read below `dir` (the configuration file's directory).
    ///
    /// Plaintext client secrets are replaced by their SHA-256 digest and plaintext passwords by
    /// an argon2id hash here; neither is kept. With `format = "jwt"`, the key files are read
    /// and parsed here, and a signing key is generated here when none is configured.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad field: TOML syntax (`line N`), an unknown field, a
    /// wrong type, an issuer that is not `https` (or `http` on loopback), a bad listen
    /// address or lifetime, a client that [`Client::register`] refuses
    /// (`clients[i].<field>`), a duplicate client or user id, a user without exactly one of
    /// `password` and `password_hash`, a `dev_login` that names no enabled user, or an
    /// `[access_tokens]` problem (`access_tokens.key_file: cannot read ...`, a key that is not
    /// PEM of the algorithm, an HS256 secret shorter than 32 bytes, an option of another
    /// format or algorithm). Messages never quote a secret or key.
    pub fn from_toml_in(text: &str, dir: &Path) -> Result<Self, ConfigError> {
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

        let access_tokens = access_tokens(raw.access_tokens, dir)?;

        let config = Self {
            issuer: raw.issuer,
            listen,
            dev_login: None,
            lifetimes,
            admin_scope,
            clients,
            secret_hints,
            users,
            access_tokens,
        };
        match raw.dev_login {
            None => Ok(config),
            Some(id) => config.with_dev_login(&id),
        }
    }

    /// The embedded demo configuration ([`DEMO_TOML`]): clients `demo-web`, `demo-service`,
    /// `demo-spa`, `demo-native`, `demo-admin` (client credentials with `admin_classic`, for
    /// the admin API), `demo-impersonation`, `demo-resource-server` (client credentials with
    /// `introspect`: may introspect every token) and users `user-1` (enabled) and `user-2`
    /// (disabled), on `127.0.0.1:8080`, with opaque access tokens.
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

    /// `"opaque"` or `"jwt"`: the `[access_tokens]` `format` (default `"opaque"`).
    #[must_use]
    pub fn access_token_format(&self) -> &'static str {
        if self.access_tokens.signer.is_some() { "jwt" } else { "opaque" }
    }

    /// The signer of JWT access tokens (RFC 9068), when `format = "jwt"`: its
    /// [`TokenSigner::algorithm`], [`TokenSigner::key_id`] and, for ES256 and EdDSA, the JWK
    /// Set with the previous public keys.
    #[must_use]
    pub fn access_token_signer(&self) -> Option<&Arc<dyn TokenSigner>> {
        self.access_tokens.signer.as_ref()
    }

    /// Whether the JWT signing key was generated when the file was loaded (no `key_file` or
    /// `hs256_secret_file`): tokens it signed do not verify after a restart.
    #[must_use]
    pub const fn signing_key_generated(&self) -> bool {
        self.access_tokens.generated
    }

    /// The `audience` of access tokens and introspection answers, if configured (default: the
    /// issuer).
    #[must_use]
    pub fn audience(&self) -> Option<&str> {
        self.access_tokens.audience.as_deref()
    }

    /// The scope that lets a client (or a bearer token) introspect every token
    /// (RFC 7662 §2.1): `introspection_scope`, default `introspect`.
    #[must_use]
    pub const fn introspection_scope(&self) -> &ScopeSet {
        &self.access_tokens.introspection_scope
    }

    /// The metadata's `scopes_supported` (RFC 8414 §2): the configured list or, by default, the
    /// union of every configured client's `allowed_scopes` (clients created later through the
    /// admin API are not added).
    #[must_use]
    pub fn scopes_supported(&self) -> ScopeSet {
        if let Some(scopes) = &self.access_tokens.scopes_supported {
            return scopes.clone();
        }
        let tokens: Vec<&str> = self.clients.iter().flat_map(|c| c.allowed_scopes().iter()).collect();
        // Every token comes from a validated client scope.
        ScopeSet::from_tokens(tokens).unwrap_or_default()
    }
}

/// Resolves the `[access_tokens]` table: reads (or generates) the keys below `dir`.
fn access_tokens(value: Option<toml::Value>, dir: &Path) -> Result<AccessTokens, ConfigError> {
    const P: &str = "access_tokens";
    let field = |name: &str| format!("{P}.{name}");
    let raw: RawAccessTokens = match value {
        None => typed(toml::Value::Table(toml::Table::new()), P)?,
        Some(v) => typed(v, P)?,
    };
    let audience = match raw.audience {
        None => None,
        Some(a) => {
            let base = Config::new_for_development("http://127.0.0.1", Arc::new(FailingEntropy::default()))
                .map_err(|_| ConfigError::new("issuer", "internal: loopback issuer refused"))?;
            if base.with_audience(a.as_str()).is_err() {
                return Err(ConfigError::new(
                    field("audience"),
                    "must be a non-empty string without control characters",
                ));
            }
            Some(a)
        }
    };
    let introspection_scope = match raw.introspection_scope.as_deref() {
        None => ScopeSet::parse(DEFAULT_INTROSPECTION_SCOPE).unwrap_or_default(),
        Some(s) if !s.contains(' ') => ScopeSet::parse(s).map_err(|_| {
            ConfigError::new(
                field("introspection_scope"),
                "must be one scope token of the characters %x21 / %x23-5B / %x5D-7E",
            )
        })?,
        Some(_) => return Err(ConfigError::new(field("introspection_scope"), "must be one scope token")),
    };
    let scopes_supported = match raw.scopes_supported {
        None => None,
        Some(list) => Some(ScopeSet::from_tokens(&list).map_err(|_| {
            ConfigError::new(field("scopes_supported"), "every entry must be a scope token (RFC 6749 §3.3)")
        })?),
    };
    let jwt = match raw.format.as_deref() {
        None | Some("opaque") => false,
        Some("jwt") => true,
        Some(_) => return Err(ConfigError::new(field("format"), "must be opaque or jwt")),
    };
    let mut resolved = AccessTokens { signer: None, generated: false, audience, introspection_scope, scopes_supported };
    if !jwt {
        let jwt_only = [
            ("algorithm", raw.algorithm.is_some()),
            ("key_file", raw.key_file.is_some()),
            ("previous_public_keys", raw.previous_public_keys.is_some()),
            ("hs256_secret_file", raw.hs256_secret_file.is_some()),
            ("key_id", raw.key_id.is_some()),
        ];
        if let Some((name, _)) = jwt_only.iter().find(|(_, set)| *set) {
            return Err(ConfigError::new(field(name), "only with format = \"jwt\""));
        }
        return Ok(resolved);
    }
    if let Some(kid) = &raw.key_id {
        validate_key_id(kid).map_err(|reason| ConfigError::new(field("key_id"), reason))?;
    }
    let algorithm = raw.algorithm.as_deref().unwrap_or("ES256");
    if algorithm == "HS256" {
        if raw.key_file.is_some() {
            return Err(ConfigError::new(field("key_file"), "not with HS256 (use hs256_secret_file)"));
        }
        if raw.previous_public_keys.is_some() {
            return Err(ConfigError::new(field("previous_public_keys"), "only with ES256 or EdDSA"));
        }
        let key = match &raw.hs256_secret_file {
            Some(path) => {
                let key =
                    read_file(dir, path).map_err(|reason| ConfigError::new(field("hs256_secret_file"), reason))?;
                if key.len() < MIN_HS256_KEY_BYTES {
                    return Err(ConfigError::new(field("hs256_secret_file"), "must hold at least 32 bytes"));
                }
                key
            }
            None => {
                resolved.generated = true;
                let mut key = vec![0u8; MIN_HS256_KEY_BYTES];
                rand::rngs::OsRng.try_fill_bytes(&mut key).map_err(|_| {
                    ConfigError::new(field("hs256_secret_file"), "the OS random number generator failed")
                })?;
                key
            }
        };
        let signer = Hs256Signer::new(&key, raw.key_id.clone())
            .map_err(|_| ConfigError::new(field("hs256_secret_file"), "must hold at least 32 bytes"))?;
        resolved.signer = Some(Arc::new(signer));
        return Ok(resolved);
    }
    let alg: Algorithm =
        algorithm.parse().map_err(|_| ConfigError::new(field("algorithm"), "must be ES256, EdDSA or HS256"))?;
    if raw.hs256_secret_file.is_some() {
        return Err(ConfigError::new(field("hs256_secret_file"), "only with algorithm = \"HS256\""));
    }
    let key = match &raw.key_file {
        Some(path) => {
            let pem = read_text(dir, path).map_err(|reason| ConfigError::new(field("key_file"), reason))?;
            SigningKey::from_pkcs8_pem(alg, &pem).map_err(|e| ConfigError::new(field("key_file"), e.to_string()))?
        }
        None => {
            resolved.generated = true;
            SigningKey::generate(alg).map_err(|e| ConfigError::new(field("key_file"), e.to_string()))?
        }
    };
    let key = match raw.key_id {
        Some(kid) => key.with_key_id(kid),
        None => key,
    };
    let mut kids = vec![key.key_id().to_owned()];
    let mut set = KeySet::new(key);
    for (i, entry) in raw.previous_public_keys.unwrap_or_default().into_iter().enumerate() {
        let prefix = format!("{P}.previous_public_keys[{i}]");
        let entry = match entry {
            toml::Value::String(file) => RawPublicKey { file, key_id: None, algorithm: None },
            table @ toml::Value::Table(_) => typed(table, &prefix)?,
            _ => return Err(ConfigError::new(prefix, "must be a file path or a table { file, key_id, algorithm }")),
        };
        let alg = match entry.algorithm.as_deref() {
            None => alg,
            Some(a) => {
                a.parse().map_err(|_| ConfigError::new(format!("{prefix}.algorithm"), "must be ES256 or EdDSA"))?
            }
        };
        let pem = read_text(dir, &entry.file).map_err(|reason| ConfigError::new(prefix.clone(), reason))?;
        let public =
            VerifyingKey::from_public_pem(alg, &pem).map_err(|e| ConfigError::new(prefix.clone(), e.to_string()))?;
        let public = match entry.key_id {
            Some(kid) => {
                validate_key_id(&kid).map_err(|reason| ConfigError::new(format!("{prefix}.key_id"), reason))?;
                public.with_key_id(kid)
            }
            None => public,
        };
        if kids.iter().any(|k| k == public.key_id()) {
            return Err(ConfigError::new(prefix, "another configured key has the same key id (kid)"));
        }
        kids.push(public.key_id().to_owned());
        set = set.with_verification_key(public);
    }
    resolved.signer = Some(Arc::new(set));
    Ok(resolved)
}

/// A `kid` (RFC 7515 §4.1.4): 1 to 128 printable ASCII characters, as it goes into every JWT
/// header and the JWK Set.
fn validate_key_id(kid: &str) -> Result<(), &'static str> {
    if kid.is_empty() || kid.len() > 128 || !kid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be 1 to 128 printable ASCII characters without spaces");
    }
    Ok(())
}

/// Reads `path` (relative to `dir`) whole; the reason names the path and the OS error only.
fn read_file(dir: &Path, path: &str) -> Result<Vec<u8>, String> {
    let full: PathBuf = dir.join(path);
    std::fs::read(&full).map_err(|e| format!("cannot read {}: {e}", full.display()))
}

/// As [`read_file`], as UTF-8 text (a PEM file).
fn read_text(dir: &Path, path: &str) -> Result<String, String> {
    String::from_utf8(read_file(dir, path)?).map_err(|_| format!("{path} is not a PEM text file"))
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
    if !oauth_core::Subject::is_valid_user_id(&subject) {
        // A client's `sub` is `client:<client_id>`; a user's must never look like one (JWT-03).
        return Err(ConfigError::new(field("subject"), "must not start with client:"));
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
    fn a_user_subject_may_not_look_like_a_client() {
        let text = "issuer = \"http://127.0.0.1:8080\"\n[[users]]\nid = \"client:svc\"\npassword = \"pw\"\n";
        let err = ServerConfig::from_toml(text).unwrap_err().to_string();
        assert!(err.contains("users[0].subject") && err.contains("client:"), "{err}");
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
        assert_eq!(
            ids,
            [
                "demo-web",
                "demo-service",
                "demo-spa",
                "demo-native",
                "demo-admin",
                "demo-impersonation",
                "demo-resource-server"
            ]
        );
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
        let rs = &c.clients()[6];
        assert_eq!(rs.allowed_grant_types(), [GrantType::ClientCredentials]);
        assert!(rs.allowed_scopes().contains("introspect"));
        assert!(rs.verify_secret(&Secret::new("demo-resource-server-secret".into())));
        assert_eq!(c.access_token_format(), "opaque");
        assert!(c.access_token_signer().is_none());
        assert_eq!(c.introspection_scope().as_str(), "introspect");
        assert_eq!(c.scopes_supported().as_str(), "admin_classic introspect offline_access read user_default write");
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

    /// A fresh directory under the system's temporary directory, for key files.
    fn key_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("oauth-server-config-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("keys")).unwrap();
        dir
    }

    fn err_in(text: &str, dir: &Path) -> String {
        ServerConfig::from_toml_in(text, dir).map(|_| ()).unwrap_err().to_string()
    }

    #[test]
    fn access_tokens_default_to_opaque() {
        let c = ServerConfig::from_toml(GOOD).unwrap();
        assert_eq!(c.access_token_format(), "opaque");
        assert!(!c.signing_key_generated());
        assert_eq!(c.audience(), None);
        assert_eq!(c.scopes_supported().as_str(), "read write");
        let c = ServerConfig::from_toml(
            "[access_tokens]\nformat = \"opaque\"\naudience = \"https://api.example\"\nintrospection_scope = \"rs:introspect\"\nscopes_supported = [\"b\", \"a\"]",
        )
        .unwrap();
        assert_eq!(c.audience(), Some("https://api.example"));
        assert_eq!(c.introspection_scope().as_str(), "rs:introspect");
        assert_eq!(c.scopes_supported().as_str(), "a b");
    }

    #[test]
    fn jwt_keys_are_generated_when_no_file_is_named() {
        for (alg, expected) in [("", "ES256"), ("algorithm = \"ES256\"", "ES256"), ("algorithm = \"EdDSA\"", "EdDSA")] {
            let c = ServerConfig::from_toml(&format!("[access_tokens]\nformat = \"jwt\"\n{alg}")).unwrap();
            assert_eq!(c.access_token_format(), "jwt");
            assert!(c.signing_key_generated());
            let signer = c.access_token_signer().unwrap();
            assert_eq!(signer.algorithm(), expected);
            assert!(signer.key_id().is_some_and(|k| !k.is_empty()));
            assert!(signer.jwks().is_some());
        }
        let c = ServerConfig::from_toml("[access_tokens]\nformat = \"jwt\"\nalgorithm = \"HS256\"\nkey_id = \"h1\"")
            .unwrap();
        let signer = c.access_token_signer().unwrap();
        assert_eq!((signer.algorithm(), signer.key_id()), ("HS256", Some("h1")));
        assert!(signer.jwks().is_none());
        assert!(c.signing_key_generated());
    }

    #[test]
    fn jwt_key_files_are_read_relative_to_the_config_directory() {
        let dir = key_dir("files");
        let current = SigningKey::generate(Algorithm::Es256).unwrap();
        std::fs::write(dir.join("keys/current.pem"), current.to_pkcs8_pem().unwrap()).unwrap();
        let old = SigningKey::generate(Algorithm::Es256).unwrap();
        std::fs::write(dir.join("keys/old.pub.pem"), old.verifying_key().to_public_pem().unwrap()).unwrap();
        let ed = SigningKey::generate(Algorithm::EdDsa).unwrap();
        std::fs::write(dir.join("keys/ed.pub.pem"), ed.verifying_key().to_public_pem().unwrap()).unwrap();
        let text = r#"
[access_tokens]
format = "jwt"
algorithm = "ES256"
key_file = "keys/current.pem"
key_id = "2026-11"
previous_public_keys = ["keys/old.pub.pem", { file = "keys/ed.pub.pem", key_id = "ed-1", algorithm = "EdDSA" }]
"#;
        let c = ServerConfig::from_toml_in(text, &dir).unwrap();
        assert!(!c.signing_key_generated());
        let signer = c.access_token_signer().unwrap();
        assert_eq!(signer.key_id(), Some("2026-11"));
        let jwks: serde_json::Value = serde_json::from_str(&signer.jwks().unwrap()).unwrap();
        let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
        assert_eq!(kids, ["2026-11", old.key_id(), "ed-1"]);
        let debug = format!("{c:?}");
        assert!(debug.contains("2026-11") && debug.contains("ES256"));
        let pem = current.to_pkcs8_pem().unwrap();
        let body = pem.lines().nth(1).unwrap();
        assert!(!debug.contains(body));

        // The same file from another directory is not found; the path is named.
        let e = err_in(text, Path::new("/nonexistent-oauth-dir"));
        assert!(e.starts_with("access_tokens.key_file: cannot read /nonexistent-oauth-dir/keys/current.pem"), "{e}");

        // HS256 from a file: at least 32 bytes.
        std::fs::write(dir.join("keys/hs.key"), [7u8; 32]).unwrap();
        let c = ServerConfig::from_toml_in(
            "[access_tokens]\nformat = \"jwt\"\nalgorithm = \"HS256\"\nhs256_secret_file = \"keys/hs.key\"",
            &dir,
        )
        .unwrap();
        assert!(!c.signing_key_generated());
        assert_eq!(c.access_token_signer().unwrap().key_id(), None);
        std::fs::write(dir.join("keys/short.key"), "hunter2-short-secret").unwrap();
        let e = err_in(
            "[access_tokens]\nformat = \"jwt\"\nalgorithm = \"HS256\"\nhs256_secret_file = \"keys/short.key\"",
            &dir,
        );
        assert_eq!(e, "access_tokens.hs256_secret_file: must hold at least 32 bytes");

        // A key that is not PEM of the algorithm: named, never quoted.
        std::fs::write(
            dir.join("keys/bad.pem"),
            "-----BEGIN PRIVATE KEY-----\nhunter2secretmaterial\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let e = err_in("[access_tokens]\nformat = \"jwt\"\nkey_file = \"keys/bad.pem\"", &dir);
        assert!(e.starts_with("access_tokens.key_file: not a PKCS #8 PEM private key"), "{e}");
        assert!(!e.contains("hunter2"));
        let e =
            err_in("[access_tokens]\nformat = \"jwt\"\nalgorithm = \"EdDSA\"\nkey_file = \"keys/current.pem\"", &dir);
        assert!(e.starts_with("access_tokens.key_file: "), "{e}");
        let e = err_in("[access_tokens]\nformat = \"jwt\"\nprevious_public_keys = [\"keys/current.pem\"]", &dir);
        assert!(e.starts_with("access_tokens.previous_public_keys[0]: not an SPKI PEM public key"), "{e}");
        let e = err_in(
            "[access_tokens]\nformat = \"jwt\"\nkey_id = \"same\"\nprevious_public_keys = [{ file = \"keys/old.pub.pem\", key_id = \"same\" }]",
            &dir,
        );
        assert!(e.starts_with("access_tokens.previous_public_keys[0]: another configured key"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn access_token_errors_name_the_field() {
        let at = |body: &str| err(&format!("[access_tokens]\n{body}"));
        assert_eq!(at("format = \"paseto\""), "access_tokens.format: must be opaque or jwt");
        assert_eq!(at("colour = 1"), "access_tokens.colour: unknown field");
        assert_eq!(at("key_file = \"k.pem\""), "access_tokens.key_file: only with format = \"jwt\"");
        assert_eq!(at("algorithm = \"ES256\""), "access_tokens.algorithm: only with format = \"jwt\"");
        assert_eq!(
            at("format = \"jwt\"\nalgorithm = \"RS256\""),
            "access_tokens.algorithm: must be ES256, EdDSA or HS256"
        );
        assert_eq!(
            at("format = \"jwt\"\nalgorithm = \"none\""),
            "access_tokens.algorithm: must be ES256, EdDSA or HS256"
        );
        assert_eq!(
            at("format = \"jwt\"\nalgorithm = \"HS256\"\nkey_file = \"k.pem\""),
            "access_tokens.key_file: not with HS256 (use hs256_secret_file)"
        );
        assert_eq!(
            at("format = \"jwt\"\nhs256_secret_file = \"k\""),
            "access_tokens.hs256_secret_file: only with algorithm = \"HS256\""
        );
        assert!(at("format = \"jwt\"\nkey_id = \"a b\"").starts_with("access_tokens.key_id: "));
        assert!(at("audience = \"\"").starts_with("access_tokens.audience: "));
        assert!(at("introspection_scope = \"a b\"").starts_with("access_tokens.introspection_scope: "));
        assert!(at("scopes_supported = [\"a b\"]").starts_with("access_tokens.scopes_supported: "));
        assert!(
            at("format = \"jwt\"\nprevious_public_keys = [1]").starts_with("access_tokens.previous_public_keys[0]: ")
        );
        assert_eq!(
            at("format = \"jwt\"\nprevious_public_keys = [{ path = \"x\" }]"),
            "access_tokens.previous_public_keys[0].path: unknown field"
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
