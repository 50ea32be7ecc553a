//! The client model (RFC 6749 §2): app type, client type, secrets, redirect URIs, scopes, grants,
//! origins and consent, validated once at registration; and the redirect-URI match (D5).

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::entropy::{Entropy, EntropyError};
use crate::types::{GrantType, ScopeSet, Secret, TokenDigest};

/// Longest `client_id` accepted, in bytes: 128.
pub const MAX_CLIENT_ID_BYTES: usize = 128;
/// Longest redirect URI accepted, in bytes: 2048.
pub const MAX_REDIRECT_URI_BYTES: usize = 2048;
/// Most redirect URIs one client may register: 64.
pub const MAX_REDIRECT_URIS: usize = 64;
/// Most allowed origins one client may register: 64.
pub const MAX_ALLOWED_ORIGINS: usize = 64;
/// Longest client name, in characters: 256.
pub const MAX_CLIENT_NAME_CHARS: usize = 256;

/// Unicode bidirectional embedding, override and isolate controls (U+202A–U+202E,
/// U+2066–U+2069): in a client name shown on a consent page they could disguise it.
const fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// The application type chosen at registration; it fixes the client type (D11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AppType {
    /// A server-side web application: confidential (RFC 6749 §2.1).
    Web,
    /// A single-page application: public.
    Spa,
    /// A native application: public (RFC 8252 §8.4).
    Native,
}

impl AppType {
    /// Whether clients of this type are confidential (hold a secret).
    #[must_use]
    pub const fn is_confidential(self) -> bool {
        matches!(self, Self::Web)
    }
}

/// How the resource owner's consent is obtained at the authorization endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ConsentMethod {
    /// The client is trusted: no consent page.
    Trusted,
    /// The resource owner approves the requested scopes on a consent page.
    #[default]
    Required,
}

/// What an administrator submits to register a client. Construct with
/// `ClientRegistration { client_id: …, app_type: …, ..Default::default() }` and validate with
/// [`Client::register`].
#[derive(Clone, Default, PartialEq, Eq)]
#[expect(clippy::exhaustive_structs, reason = "registration input; always built with ..Default::default()")]
pub struct ClientRegistration {
    /// The client identifier: 1 to 128 characters of `[A-Za-z0-9-._~]`.
    pub client_id: String,
    /// Display name shown on consent pages.
    pub client_name: String,
    /// `web` (confidential), `spa` or `native` (public). `None` is refused.
    pub app_type: Option<AppType>,
    /// SHA-256 digests of the valid secrets (several while a secret is rotated). Required for
    /// confidential clients, refused for public ones.
    pub secret_digests: Vec<TokenDigest>,
    /// Registered redirect URIs, compared by exact string match (D5).
    pub redirect_uris: Vec<String>,
    /// Scopes this client may be granted.
    pub allowed_scopes: Vec<String>,
    /// Grants this client may use; `None` means the default for its app type
    /// (`authorization_code` and `refresh_token`).
    pub allowed_grant_types: Option<Vec<GrantType>>,
    /// Browser origins (`scheme://host[:port]`) allowed to call the token endpoint (D6).
    pub allowed_origins: Vec<String>,
    /// How consent is obtained.
    pub consent: ConsentMethod,
    /// Whether PKCE is required; `None` means required. Public clients cannot opt out (D4).
    pub require_pkce: Option<bool>,
}

impl fmt::Debug for ClientRegistration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientRegistration")
            .field("client_id", &self.client_id)
            .field("app_type", &self.app_type)
            .field("secrets", &self.secret_digests.len())
            .finish_non_exhaustive()
    }
}

/// Why a registration was refused: the field at fault and a reason, both fixed strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
#[non_exhaustive]
pub struct RegistrationError {
    /// The offending field, by its registration name (`redirect_uris`, `client_secret`, …).
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: &'static str,
}

const fn reg_err(field: &'static str, reason: &'static str) -> RegistrationError {
    RegistrationError { field, reason }
}

/// A registered, validated client. Built only by [`Client::register`], so every `Client` obeys
/// the registration rules.
#[derive(Clone, PartialEq, Eq)]
pub struct Client {
    client_id: Arc<str>,
    client_name: String,
    app_type: AppType,
    secret_digests: Vec<TokenDigest>,
    redirect_uris: Vec<String>,
    allowed_scopes: ScopeSet,
    allowed_grant_types: Vec<GrantType>,
    allowed_origins: Arc<[String]>,
    consent: ConsentMethod,
    require_pkce: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.client_id)
            .field("app_type", &self.app_type)
            .field("redirect_uris", &self.redirect_uris)
            .field("allowed_scopes", &self.allowed_scopes)
            .field("allowed_grant_types", &self.allowed_grant_types)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Validates a registration (RFC 6749 §2, §3.1.2; RFC 8252 §7; RFC 9700 §2.1, §2.6; D4, D6,
    /// D11, D14).
    ///
    /// # Errors
    /// [`RegistrationError`] naming the first field that breaks a rule: a malformed
    /// `client_id`; a missing `app_type`; a secret on a public client or none on a confidential
    /// one; a redirect URI that is relative, has a fragment, uses `http` outside native
    /// loopback, or a private-use scheme without a `.`; a public client that may use
    /// `client_credentials` or impersonation, or opts out of PKCE; an authorization-code client
    /// without redirect URIs; an origin that is not a bare, lower-case `scheme://host[:port]`
    /// as a browser serializes it (valid port without leading zeros, no default port); more
    /// than [`MAX_REDIRECT_URIS`] redirect URIs, [`MAX_ALLOWED_ORIGINS`] origins or 64 scopes;
    /// a client name over [`MAX_CLIENT_NAME_CHARS`] characters or with control or
    /// bidirectional-override characters.
    pub fn register(reg: ClientRegistration) -> Result<Self, RegistrationError> {
        let id = &reg.client_id;
        if id.is_empty()
            || id.len() > MAX_CLIENT_ID_BYTES
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        {
            return Err(reg_err("client_id", "must be 1 to 128 characters of A-Z a-z 0-9 - . _ ~"));
        }
        let app_type = reg.app_type.ok_or(reg_err("app_type", "required: web, spa or native"))?;
        let confidential = app_type.is_confidential();
        if confidential && reg.secret_digests.is_empty() {
            return Err(reg_err("client_secret", "required for web clients"));
        }
        if !confidential && !reg.secret_digests.is_empty() {
            return Err(reg_err("client_secret", "public clients (spa, native) have no secret"));
        }
        let grants =
            reg.allowed_grant_types.unwrap_or_else(|| vec![GrantType::AuthorizationCode, GrantType::RefreshToken]);
        if !confidential
            && grants.iter().any(|g| matches!(g, GrantType::ClientCredentials | GrantType::UserImpersonation))
        {
            return Err(reg_err(
                "allowed_grant_types",
                "public clients may use only authorization_code and refresh_token",
            ));
        }
        let require_pkce = reg.require_pkce.unwrap_or(true);
        if !confidential && !require_pkce {
            return Err(reg_err("require_pkce", "public clients must use PKCE"));
        }
        if reg.redirect_uris.len() > MAX_REDIRECT_URIS {
            return Err(reg_err("redirect_uris", "at most 64 redirect URIs"));
        }
        if reg.allowed_origins.len() > MAX_ALLOWED_ORIGINS {
            return Err(reg_err("allowed_origins", "at most 64 origins"));
        }
        if reg.allowed_scopes.len() > crate::types::MAX_SCOPE_TOKENS {
            return Err(reg_err("allowed_scopes", "at most 64 scopes"));
        }
        if reg.client_name.chars().count() > MAX_CLIENT_NAME_CHARS
            || reg.client_name.chars().any(|c| c.is_control() || is_bidi_control(c))
        {
            return Err(reg_err(
                "client_name",
                "at most 256 characters, without control or bidirectional-override characters",
            ));
        }
        for uri in &reg.redirect_uris {
            validate_redirect_uri(uri, app_type)?;
        }
        if grants.contains(&GrantType::AuthorizationCode) && reg.redirect_uris.is_empty() {
            return Err(reg_err("redirect_uris", "at least one is required for the authorization_code grant"));
        }
        let allowed_scopes = ScopeSet::from_tokens(&reg.allowed_scopes)
            .map_err(|_| reg_err("allowed_scopes", "each scope is one or more of %x21 / %x23-5B / %x5D-7E"))?;
        for origin in &reg.allowed_origins {
            validate_origin(origin)?;
        }
        if !reg.allowed_origins.is_empty()
            && app_type != AppType::Spa
            && !grants.contains(&GrantType::UserImpersonation)
        {
            return Err(reg_err(
                "allowed_origins",
                "only spa clients and web clients with the impersonation grant may have origins",
            ));
        }
        Ok(Self {
            client_name: if reg.client_name.is_empty() { reg.client_id.clone() } else { reg.client_name },
            client_id: Arc::from(reg.client_id),
            app_type,
            secret_digests: reg.secret_digests,
            redirect_uris: reg.redirect_uris,
            allowed_scopes,
            allowed_grant_types: grants,
            allowed_origins: reg.allowed_origins.into(),
            consent: reg.consent,
            require_pkce,
        })
    }

    /// The client identifier.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client identifier as a shared string, for records that keep it (no copy).
    #[must_use]
    pub fn client_id_shared(&self) -> Arc<str> {
        Arc::clone(&self.client_id)
    }

    /// The display name.
    #[must_use]
    pub fn client_name(&self) -> &str {
        &self.client_name
    }

    /// The application type.
    #[must_use]
    pub const fn app_type(&self) -> AppType {
        self.app_type
    }

    /// Whether the client is confidential (RFC 6749 §2.1).
    #[must_use]
    pub const fn is_confidential(&self) -> bool {
        self.app_type.is_confidential()
    }

    /// The registered redirect URIs.
    #[must_use]
    pub fn redirect_uris(&self) -> &[String] {
        &self.redirect_uris
    }

    /// The scopes this client may be granted.
    #[must_use]
    pub const fn allowed_scopes(&self) -> &ScopeSet {
        &self.allowed_scopes
    }

    /// The grants this client may use.
    #[must_use]
    pub fn allowed_grant_types(&self) -> &[GrantType] {
        &self.allowed_grant_types
    }

    /// Whether the client may use `grant`.
    #[must_use]
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.allowed_grant_types.contains(&grant)
    }

    /// The browser origins allowed for this client (D6).
    #[must_use]
    pub fn allowed_origins(&self) -> &[String] {
        &self.allowed_origins
    }

    /// The allowed origins as a shared list, for the records of issued tokens (no copy).
    #[must_use]
    pub fn allowed_origins_shared(&self) -> Arc<[String]> {
        Arc::clone(&self.allowed_origins)
    }

    /// Whether a browser request from `origin` (the serialized `Origin` header) may use this
    /// client: exact string comparison with each allowed origin (CORS-03).
    #[must_use]
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
    }

    /// The SHA-256 digests of the client's valid secrets, in registration order (several while
    /// a secret is rotated). Digests only: the secrets themselves are never kept.
    #[must_use]
    pub fn secret_digests(&self) -> &[TokenDigest] {
        &self.secret_digests
    }

    /// The consent method.
    #[must_use]
    pub const fn consent(&self) -> ConsentMethod {
        self.consent
    }

    /// Whether authorization requests must carry a PKCE challenge.
    #[must_use]
    pub const fn require_pkce(&self) -> bool {
        self.require_pkce
    }

    /// Whether `presented` is one of the client's secrets. Compares the SHA-256 digest of the
    /// presented secret with every stored digest in constant time and without stopping early
    /// (RFC 6749 §10.3; SEC-02). Always false for public clients.
    #[must_use]
    pub fn verify_secret(&self, presented: &Secret) -> bool {
        let digest = presented.digest();
        self.secret_digests.iter().fold(false, |ok, d| d.ct_eq(&digest) | ok)
    }

    /// The registered redirect URI that `requested` selects (D5): an exact string match, or for
    /// a native client an `http` loopback IP literal (`127.0.0.1`, `[::1]`) that matches a
    /// registered one in everything but the port (RFC 8252 §7.3).
    #[must_use]
    pub fn matches_redirect_uri(&self, requested: &str) -> bool {
        if requested.len() > MAX_REDIRECT_URI_BYTES {
            return false;
        }
        if self.redirect_uris.iter().any(|r| r == requested) {
            return true;
        }
        if self.app_type != AppType::Native {
            return false;
        }
        let Some((host, rest)) = split_loopback(requested) else { return false };
        self.redirect_uris.iter().filter_map(|r| split_loopback(r)).any(|(h, r)| h == host && r == rest)
    }
}

/// Number of random bytes in a generated `client_id`: 16 (128 bits; REG-08).
pub const CLIENT_ID_BYTES: usize = 16;

/// Number of characters of a client secret shown as its hint: 5 (the last five; the platform
/// shows hints such as `e6815`). The remaining 38 characters still carry 228 bits.
pub const SECRET_HINT_CHARS: usize = 5;

/// Generates a `client_id` for a new registration: [`CLIENT_ID_BYTES`] random bytes as 32
/// lower-case hexadecimal characters, so identifiers are chosen by the server and never collide
/// with a user's identifier by choice (REG-08, RFC 9700 §4.15).
///
/// # Errors
/// [`EntropyError`] when the entropy source fails; nothing is generated.
pub fn generate_client_id(entropy: &dyn Entropy) -> Result<String, EntropyError> {
    let mut bytes = [0u8; CLIENT_ID_BYTES];
    entropy.fill(&mut bytes)?;
    Ok(bytes.iter().fold(String::with_capacity(2 * CLIENT_ID_BYTES), |mut s, b| {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
        s
    }))
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Generates a client secret: 256 random bits as 43 base64url characters, all unreserved, so
/// the raw and form-encoded forms agree (D15; SEC-01). Show it once, keep only
/// [`Secret::digest`], and show [`secret_hint`] afterwards.
///
/// # Errors
/// [`EntropyError`] when the entropy source fails; nothing is generated.
pub fn generate_client_secret(entropy: &dyn Entropy) -> Result<Secret, EntropyError> {
    crate::entropy::new_token(entropy)
}

/// The hint that names a secret after it is shown: its last [`SECRET_HINT_CHARS`] characters
/// (fewer for a shorter secret; at most a third of it, so a short secret keeps most of its
/// strength).
#[must_use]
pub fn secret_hint(secret: &Secret) -> String {
    let chars: Vec<char> = secret.expose().chars().collect();
    let n = SECRET_HINT_CHARS.min(chars.len() / 3);
    chars[chars.len() - n..].iter().collect()
}

/// For `http://127.0.0.1[:port]rest` or `http://[::1][:port]rest`, the host and the part after
/// the port. The port must be 1 to 5 digits; `rest` must be empty or start with `/`, `?`.
fn split_loopback(uri: &str) -> Option<(&'static str, &str)> {
    let (host, after) = if let Some(a) = uri.strip_prefix("http://127.0.0.1") {
        ("127.0.0.1", a)
    } else if let Some(a) = uri.strip_prefix("http://[::1]") {
        ("[::1]", a)
    } else {
        return None;
    };
    let rest = match after.strip_prefix(':') {
        Some(p) => {
            let digits = p.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 5 || p[..digits].parse::<u32>().ok().is_none_or(|n| n == 0 || n > 65535) {
                return None;
            }
            &p[digits..]
        }
        None => after,
    };
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')).then_some((host, rest))
}

/// Whether `authority` (no user information) is `host[:port]`: a host of non-empty labels of
/// letters, digits, `-` and `_`, or a bracketed IPv6 literal, and a port of 1 to 65535.
fn valid_authority(authority: &str) -> bool {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((inside, after)) = v6.split_once(']') else { return false };
        if inside.is_empty() || !inside.bytes().all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.')) {
            return false;
        }
        match after.strip_prefix(':') {
            Some(p) => (None, Some(p)),
            None if after.is_empty() => (None, None),
            None => return false,
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(authority), None),
        }
    };
    let host_ok = host.is_none_or(|h| {
        !h.is_empty()
            && h.split('.')
                .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    });
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n))
    });
    host_ok && port_ok
}

fn validate_redirect_uri(uri: &str, app_type: AppType) -> Result<(), RegistrationError> {
    const F: &str = "redirect_uris";
    if uri.len() > MAX_REDIRECT_URI_BYTES {
        return Err(reg_err(F, "longer than 2048 bytes"));
    }
    if uri
        .bytes()
        .any(|b| b <= b' ' || b >= 0x7f || matches!(b, b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'))
    {
        return Err(reg_err(F, "contains characters that are not allowed in a URI"));
    }
    if uri.contains('#') {
        return Err(reg_err(F, "must not contain a fragment"));
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(reg_err(F, "must be an absolute URI"));
    };
    let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err(reg_err(F, "must be an absolute URI"));
    }
    match scheme {
        "https" => {
            let authority = rest.strip_prefix("//").ok_or(reg_err(F, "https URIs need a host"))?;
            let host = authority.split(['/', '?']).next().unwrap_or("");
            if host.is_empty() || host.contains('@') {
                return Err(reg_err(F, "https URIs need a host and no user information"));
            }
            if !valid_authority(host) {
                return Err(reg_err(F, "the host or port is malformed"));
            }
            Ok(())
        }
        "http" => {
            if app_type == AppType::Native && split_loopback(uri).is_some() {
                Ok(())
            } else {
                Err(reg_err(F, "http is allowed only for native clients on 127.0.0.1 or [::1]"))
            }
        }
        _ if app_type == AppType::Native => {
            if scheme.contains('.') {
                Ok(())
            } else {
                Err(reg_err(F, "private-use schemes must be reverse-DNS names containing a '.'"))
            }
        }
        _ => Err(reg_err(F, "must use https")),
    }
}

fn validate_origin(origin: &str) -> Result<(), RegistrationError> {
    const F: &str = "allowed_origins";
    let bare = reg_err(F, "must be a bare origin: no path, query, fragment, user or trailing '/'");
    let (rest, default_port) = match (origin.strip_prefix("https://"), origin.strip_prefix("http://")) {
        (Some(r), _) => (r, "443"),
        (None, Some(r)) => (r, "80"),
        _ => return Err(reg_err(F, "must be scheme://host[:port] with https or http")),
    };
    // Split host and port; an IPv6 literal keeps its brackets.
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (inside, after) = v6.split_once(']').ok_or(bare)?;
        if inside.is_empty() || !inside.bytes().all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.')) {
            return Err(reg_err(F, "the IPv6 address is malformed"));
        }
        match after.strip_prefix(':') {
            Some(p) => (&rest[..inside.len() + 2], Some(p)),
            None if after.is_empty() => (rest, None),
            None => return Err(bare),
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if !host.starts_with('[') {
        let labels_ok = !host.is_empty()
            && host.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        if !labels_ok {
            return Err(bare);
        }
        // Browsers send the host in lower case; an upper-case entry could never match.
        if host.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(reg_err(F, "the host must be lower case, as browsers send it"));
        }
    }
    if let Some(port) = port {
        // Browsers send the port without leading zeros and omit the scheme's default port.
        let valid = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && !port.starts_with('0')
            && port.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
        if !valid {
            return Err(reg_err(F, "the port must be 1 to 65535 without leading zeros"));
        }
        if port == default_port {
            return Err(reg_err(F, "leave out the scheme's default port, as browsers do"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(id: &str, app: AppType, uris: &[&str]) -> ClientRegistration {
        ClientRegistration {
            client_id: id.into(),
            app_type: Some(app),
            secret_digests: if app.is_confidential() { vec![TokenDigest::of("s3cret")] } else { vec![] },
            redirect_uris: uris.iter().map(|s| (*s).to_owned()).collect(),
            allowed_scopes: vec!["read".into(), "write".into()],
            ..Default::default()
        }
    }

    #[test]
    fn exact_match_for_web_clients() {
        let c = Client::register(reg("client-a", AppType::Web, &["https://app.example/cb"])).unwrap();
        assert!(c.matches_redirect_uri("https://app.example/cb"));
        for v in [
            "https://app.example/CB",
            "https://APP.example/cb",
            "HTTPS://app.example/cb",
            "https://app.example/cb/",
            "https://app.example:443/cb",
            "https://app.example/cb?",
            "https://app.example/cb#frag",
            "https://app.example:8443/cb",
            "https://app.example/cb%2F",
        ] {
            assert!(!c.matches_redirect_uri(v), "{v}");
        }
    }

    #[test]
    fn loopback_any_port_for_native_clients() {
        let c = Client::register(reg("client-native", AppType::Native, &["http://127.0.0.1/cb", "http://[::1]/cb"]))
            .unwrap();
        assert!(c.matches_redirect_uri("http://127.0.0.1:51004/cb"));
        assert!(c.matches_redirect_uri("http://[::1]:61023/cb"));
        assert!(c.matches_redirect_uri("http://127.0.0.1/cb"));
        for v in [
            "http://127.0.0.1:51004/other",
            "https://127.0.0.1:51004/cb",
            "http://localhost:51004/cb",
            "http://127.0.0.1.evil.example:51004/cb",
            "http://127.0.0.1:51004@evil.example/cb",
            "http://127.0.0.1:51004/cb?x=1",
            "http://127.0.0.1:0/cb",
            "http://127.0.0.1:99999/cb",
            "http://127.0.0.1:/cb",
        ] {
            assert!(!c.matches_redirect_uri(v), "{v}");
        }
    }

    #[test]
    fn registration_rules() {
        let e = |r| Client::register(r).unwrap_err().field;
        assert_eq!(e(reg("a", AppType::Web, &["/cb"])), "redirect_uris");
        assert_eq!(e(reg("a", AppType::Web, &["https://a.example/cb#x"])), "redirect_uris");
        assert_eq!(e(reg("a", AppType::Web, &["http://app.example/cb"])), "redirect_uris");
        for bad in [
            "https://:443/cb",
            "https://[/cb",
            "https://a.example:99999/cb",
            "https://./cb",
            "https://%00/cb",
            "https://a..example/cb",
            "https://a.example:/cb",
        ] {
            assert_eq!(e(reg("a", AppType::Web, &[bad])), "redirect_uris", "{bad}");
        }
        for good in [
            "https://a.example:8443/cb?x=1",
            "https://[::1]:8443/cb",
            "https://my_host.example/cb",
            "https://A.Example/cb",
        ] {
            assert!(Client::register(reg("a", AppType::Web, &[good])).is_ok(), "{good}");
        }
        assert_eq!(e(reg("a", AppType::Spa, &["http://127.0.0.1/cb"])), "redirect_uris");
        assert_eq!(e(reg("a", AppType::Native, &["myapp:/cb"])), "redirect_uris");
        assert!(Client::register(reg("a", AppType::Native, &["com.example.app:/oauth2redirect"])).is_ok());
        assert_eq!(e(reg("a", AppType::Spa, &[])), "redirect_uris");
        assert_eq!(e(reg("a b", AppType::Spa, &["https://s.example/cb"])), "client_id");
        let mut r = reg("a", AppType::Spa, &["https://s.example/cb"]);
        r.secret_digests = vec![TokenDigest::of("x")];
        assert_eq!(e(r), "client_secret");
        let mut r = reg("a", AppType::Spa, &["https://s.example/cb"]);
        r.allowed_grant_types = Some(vec![GrantType::ClientCredentials]);
        assert_eq!(e(r), "allowed_grant_types");
        let mut r = reg("a", AppType::Spa, &["https://s.example/cb"]);
        r.allowed_origins = vec!["https://s.example/".into()];
        assert_eq!(e(r), "allowed_origins");
        let mut r = reg("a", AppType::Spa, &["https://s.example/cb"]);
        r.allowed_origins = vec!["https://s.example:8443".into()];
        assert!(Client::register(r).is_ok());
        let mut r = reg("a", AppType::Web, &["https://s.example/cb"]);
        r.allowed_origins = vec!["https://s.example".into()];
        assert_eq!(e(r), "allowed_origins");
    }

    #[test]
    fn origins_are_what_browsers_send() {
        let with_origin = |o: &str| {
            let mut r = reg("a", AppType::Spa, &["https://s.example/cb"]);
            r.allowed_origins = vec![o.to_owned()];
            Client::register(r).map(|_| ()).map_err(|e| e.field)
        };
        for ok in [
            "https://s.example",
            "http://s.example:8080",
            "https://s.example:65535",
            "https://127.0.0.1:8443",
            "https://[::1]:8443",
            "https://[2001:db8::1]",
            "https://xn--bcher-kva.example",
        ] {
            assert_eq!(with_origin(ok), Ok(()), "{ok}");
        }
        for bad in [
            "https://a:b:443",
            "https://][",
            "https://[::1",
            "https://[zz]",
            "https://a.example:0",
            "https://a.example:99999",
            "https://a.example:0443",
            "https://a.example:443",
            "http://a.example:80",
            "https://a.example:",
            "https://A.example",
            "https://a..example",
            "https://.example",
            "https://a.example.",
            "https://a_b.example",
            "https://user@a.example",
            "https://a.example?x",
            "https://a.example#x",
            "https://",
            "ftp://a.example",
            "null",
        ] {
            assert_eq!(with_origin(bad), Err("allowed_origins"), "{bad}");
        }
    }

    #[test]
    fn registration_lists_and_names_are_bounded() {
        let e = |r| Client::register(r).unwrap_err().field;
        let many = |n: usize, f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<Vec<_>>();
        let mut r = reg("a", AppType::Spa, &[]);
        r.redirect_uris = many(MAX_REDIRECT_URIS, &|i| format!("https://s.example/cb{i}"));
        r.allowed_origins = many(MAX_ALLOWED_ORIGINS, &|i| format!("https://s{i}.example"));
        r.allowed_scopes = many(crate::types::MAX_SCOPE_TOKENS, &|i| format!("s{i}"));
        assert!(Client::register(r.clone()).is_ok());
        let mut more = r.clone();
        more.redirect_uris.push("https://s.example/x".into());
        assert_eq!(e(more), "redirect_uris");
        let mut more = r.clone();
        more.allowed_origins.push("https://x.example".into());
        assert_eq!(e(more), "allowed_origins");
        let mut more = r.clone();
        more.allowed_scopes.push("x".into());
        assert_eq!(e(more), "allowed_scopes");
        for name in ["x".repeat(MAX_CLIENT_NAME_CHARS + 1), "Pay\u{202e}lapyap".into(), "a\nb".into()] {
            let mut named = r.clone();
            named.client_name = name;
            assert_eq!(e(named), "client_name");
        }
        let mut named = r;
        named.client_name = "Zürich Büro ✓".into();
        assert!(Client::register(named).is_ok());
    }

    #[test]
    fn secrets_compare_by_digest() {
        let c = Client::register(reg("a", AppType::Web, &["https://a.example/cb"])).unwrap();
        assert!(c.verify_secret(&Secret::new("s3cret".into())));
        assert!(!c.verify_secret(&Secret::new("s3cre".into())));
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
