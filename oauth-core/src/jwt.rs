//! JWT access tokens (RFC 9068): the claims, the compact encoding the token endpoint issues,
//! and the resource server's local check ([`verify`]).
//!
//! A JWT access token is stored like an opaque one, keyed by a digest of its `jti`
//! ([`jti_key`], [`access_token_key`]), so revoking it (by token, by grant, or through a replayed code or
//! refresh token) makes introspection and every same-process check report it inactive. A
//! resource server that only verifies signatures locally cannot see a revocation before `exp`;
//! keep access-token lifetimes short or use introspection where that matters.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::config::Config;
use crate::sign::{JwsVerifier, SignError, TokenSigner};
use crate::time::UnixTime;
use crate::types::TokenDigest;

/// Longest JWT accepted for checking: 8 KiB.
pub const MAX_JWT_BYTES: usize = 8 * 1024;

/// The JOSE header `typ` of an access token (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// The acting party of an impersonation token (RFC 8693 §4.1 `act`; IMP-09).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Actor {
    /// The acting client's `client_id`.
    pub sub: String,
}

impl Actor {
    /// The actor `sub`.
    #[must_use]
    pub const fn new(sub: String) -> Self {
        Self { sub }
    }
}

/// The claims of a JWT access token (RFC 9068 §2.2). Times are integer seconds since the Unix
/// epoch (NumericDate).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessTokenClaims {
    /// The issuer, byte-identical to the configured issuer (RFC 9068 §2.2, META-02).
    pub iss: String,
    /// The resource owner's user identifier, or `client:<client_id>` for a client acting for
    /// itself (RFC 9068 §2.2, JWT-03).
    pub sub: String,
    /// The audience: the configured resource identifier ([`Config::audience`]).
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issue time, seconds since the epoch.
    pub iat: u64,
    /// A unique identifier: 256 random bits, base64url. The store keys the token by its digest.
    pub jti: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The granted scope, space-delimited.
    pub scope: String,
    /// For an impersonation token, the acting client (RFC 8693 §4.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Actor>,
    /// The browser origins the client allowed when the token was issued (D6; the claim name
    /// Keycloak uses). A resource server refuses the token from any other `Origin`. Omitted
    /// when empty: then no browser origin may use the token.
    #[serde(default, rename = "allowed-origins", skip_serializing_if = "Vec::is_empty")]
    pub allowed_origins: Vec<String>,
}

impl fmt::Debug for AccessTokenClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokenClaims")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .field("act", &self.act)
            .field("allowed_origins", &self.allowed_origins)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct HeaderOut<'a> {
    alg: &'a str,
    typ: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
}

#[derive(Deserialize)]
struct HeaderIn {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Present,
}

/// Whether a header member was sent at all, whatever its value (`"crit": null` included).
#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        Ok(Self(true))
    }
}

/// Signs `claims` as a compact JWS with `typ: at+jwt` and the signer's `alg` and `kid`
/// (RFC 9068 §2.1; RFC 7515 §7.1).
///
/// # Errors
/// [`SignError`] when the signer fails, or names the algorithm `none`.
pub fn encode(signer: &dyn TokenSigner, claims: &AccessTokenClaims) -> Result<String, SignError> {
    let alg = signer.algorithm();
    if alg.eq_ignore_ascii_case("none") || alg.is_empty() {
        return Err(SignError::new());
    }
    let header = HeaderOut { alg, typ: ACCESS_TOKEN_TYPE, kid: signer.key_id() };
    let header = serde_json::to_vec(&header).map_err(|_| SignError::new())?;
    let payload = serde_json::to_vec(claims).map_err(|_| SignError::new())?;
    let mut out = String::with_capacity(64 + (header.len() + payload.len()) * 4 / 3 + 100);
    URL_SAFE_NO_PAD.encode_string(header, &mut out);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut out);
    let signature = signer.sign(out.as_bytes())?;
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut out);
    Ok(out)
}

/// Why a JWT access token is refused (RFC 9068 §4). Each is `invalid_token` at a resource
/// server (RFC 6750 §3.1) and `{"active": false}` at introspection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three base64url parts of JSON, over [`MAX_JWT_BYTES`], or a `crit` header.
    #[error("the access token is malformed")]
    Malformed,
    /// The header `typ` is not `at+jwt` (for example an ID token).
    #[error("the token is not an access token")]
    NotAnAccessToken,
    /// `alg` is `none` or unknown, or the signature does not verify.
    #[error("the access token signature is invalid")]
    BadSignature,
    /// `iss` is not the expected issuer.
    #[error("the access token is from another issuer")]
    WrongIssuer,
    /// `aud` does not name this resource server.
    #[error("the access token is for another audience")]
    WrongAudience,
    /// Expired (`exp` at or before now) or not yet valid (`nbf` after now).
    #[error("the access token is not active")]
    Expired,
}

impl JwtError {
    /// A fixed description for `error_description` (never quoting the token).
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Self::Malformed => "the access token is malformed",
            Self::NotAnAccessToken => "the token is not an access token",
            Self::BadSignature => "the access token signature is invalid",
            Self::WrongIssuer => "the access token is from another issuer",
            Self::WrongAudience => "the access token is for another audience",
            Self::Expired => "the access token is not active",
        }
    }
}

/// What a JWT access token must match to be accepted.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Expected<'a> {
    /// The issuer, compared byte for byte.
    pub issuer: &'a str,
    /// This resource server's audience; `aud` (a string or an array) must contain it.
    pub audience: &'a str,
    /// The current time.
    pub now: UnixTime,
}

impl<'a> Expected<'a> {
    /// Expect tokens from `issuer` for `audience`, checked at `now`.
    #[must_use]
    pub const fn new(issuer: &'a str, audience: &'a str, now: UnixTime) -> Self {
        Self { issuer, audience, now }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AudIn {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct ClaimsIn {
    iss: String,
    sub: String,
    aud: AudIn,
    exp: u64,
    iat: u64,
    jti: String,
    client_id: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    nbf: Option<u64>,
    #[serde(default)]
    act: Option<Actor>,
    #[serde(default, rename = "allowed-origins")]
    allowed_origins: Vec<String>,
}

/// The resource server's local check of a JWT access token (RFC 9068 §4): three base64url parts,
/// header `typ` `at+jwt` (or `application/at+jwt`), a signature `verifier` accepts for the
/// header's `alg` and `kid` (never `none`), `iss` equal to `expected.issuer`, `aud` containing
/// `expected.audience`, `exp` after `now`, `nbf` (if any) not after `now`, and every RFC 9068
/// claim present with integer times. Checking scope and origin is the caller's part.
///
/// # Errors
/// The first [`JwtError`] found, in the order above.
pub fn verify(verifier: &dyn JwsVerifier, token: &str, expected: Expected<'_>) -> Result<AccessTokenClaims, JwtError> {
    if token.len() > MAX_JWT_BYTES {
        return Err(JwtError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed);
    };
    let header = URL_SAFE_NO_PAD.decode(h).map_err(|_| JwtError::Malformed)?;
    let header: HeaderIn = serde_json::from_slice(&header).map_err(|_| JwtError::Malformed)?;
    if header.crit.0 {
        return Err(JwtError::Malformed);
    }
    let typ_ok = header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(ACCESS_TOKEN_TYPE) || t.eq_ignore_ascii_case("application/at+jwt"));
    if !typ_ok {
        return Err(JwtError::NotAnAccessToken);
    }
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed)?;
    if header.alg.eq_ignore_ascii_case("none") {
        return Err(JwtError::BadSignature);
    }
    let signing_input = &token.as_bytes()[..h.len() + 1 + p.len()];
    if !verifier.verify(&header.alg, header.kid.as_deref(), signing_input, &signature) {
        return Err(JwtError::BadSignature);
    }
    let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| JwtError::Malformed)?;
    let claims: ClaimsIn = serde_json::from_slice(&payload).map_err(|_| JwtError::Malformed)?;
    if claims.iss != expected.issuer {
        return Err(JwtError::WrongIssuer);
    }
    let aud = match claims.aud {
        AudIn::One(a) if a == expected.audience => a,
        AudIn::Many(list) if list.iter().any(|a| a == expected.audience) => expected.audience.to_owned(),
        _ => return Err(JwtError::WrongAudience),
    };
    let now = expected.now.as_secs();
    if claims.exp <= now || claims.nbf.is_some_and(|nbf| nbf > now) {
        return Err(JwtError::Expired);
    }
    Ok(AccessTokenClaims {
        iss: claims.iss,
        sub: claims.sub,
        aud,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        client_id: claims.client_id,
        scope: claims.scope.unwrap_or_default(),
        act: claims.act,
        allowed_origins: claims.allowed_origins,
    })
}

/// Whether `token` has the shape of a compact JWS (exactly two `.`); opaque tokens the core
/// issues never contain a `.`.
#[must_use]
pub fn looks_like_jwt(token: &str) -> bool {
    token.bytes().filter(|&b| b == b'.').count() == 2
}

/// The store key of a JWT access token with this `jti`: SHA-256 of `jti:` followed by the
/// `jti`. The `:` keeps it apart from every opaque token's key, since an opaque token is only
/// base64url characters ([`access_token_key`]): a bare `jti`, which resource servers may log, is
/// never a usable token.
#[must_use]
pub fn jti_key(jti: &str) -> TokenDigest {
    let mut h = Sha256::new();
    h.update(b"jti:");
    h.update(jti.as_bytes());
    TokenDigest::from_bytes(h.finalize().into())
}

/// Whether `token` has the alphabet of the opaque tokens the core issues: one or more base64url
/// characters (`A-Z a-z 0-9 - _`), and nothing else.
fn is_opaque_shape(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The store key of a presented access token: for an opaque token (base64url characters only)
/// the digest of the token; for a JWT this server signed (checked with [`verify`] against the
/// configured signer, issuer and audience at `now`) the [`jti_key`] of its `jti`. `None` for
/// anything else, above all a JWT that does not verify: such a token is inactive whatever the
/// store holds.
#[must_use]
pub fn access_token_key(config: &Config, token: &str, now: UnixTime) -> Option<TokenDigest> {
    if is_opaque_shape(token) {
        return Some(TokenDigest::of(token));
    }
    if !looks_like_jwt(token) {
        return None;
    }
    let signer = config.token_signer()?;
    let claims = verify(signer, token, Expected::new(config.issuer(), config.audience(), now)).ok()?;
    Some(jti_key(&claims.jti))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::Hs256Signer;

    fn claims() -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "https://as.example".into(),
            sub: "user-1".into(),
            aud: "https://api.example".into(),
            exp: 2000,
            iat: 1000,
            jti: "j1".into(),
            client_id: "client-a".into(),
            scope: "read".into(),
            act: None,
            allowed_origins: vec![],
        }
    }

    fn b64(v: &str) -> String {
        URL_SAFE_NO_PAD.encode(v)
    }

    #[test]
    fn round_trip_and_every_refusal() {
        let s = Hs256Signer::new(&[1u8; 32], Some("k1".into())).unwrap();
        let t = encode(&s, &claims()).unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(t.split('.').next().unwrap()).unwrap()).unwrap();
        assert_eq!(header, serde_json::json!({"alg":"HS256","typ":"at+jwt","kid":"k1"}));
        let exp = Expected::new("https://as.example", "https://api.example", UnixTime::from_secs(1500));
        assert_eq!(verify(&s, &t, exp).unwrap(), claims());
        assert!(looks_like_jwt(&t));

        let at = |now| Expected { now: UnixTime::from_secs(now), ..exp };
        assert_eq!(verify(&s, &t, at(2000)), Err(JwtError::Expired));
        assert_eq!(verify(&s, &t, Expected { issuer: "https://as.example/", ..exp }), Err(JwtError::WrongIssuer));
        assert_eq!(verify(&s, &t, Expected { audience: "https://other", ..exp }), Err(JwtError::WrongAudience));
        let other = Hs256Signer::new(&[2u8; 32], Some("k1".into())).unwrap();
        assert_eq!(verify(&other, &t, exp), Err(JwtError::BadSignature));

        let parts: Vec<&str> = t.split('.').collect();
        // alg none, with and without a signature.
        let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"at+jwt"}"#), parts[1]);
        assert_eq!(verify(&s, &none, exp), Err(JwtError::BadSignature));
        // An ID token (typ JWT) signed by the same key.
        let idt_input = format!("{}.{}", b64(r#"{"alg":"HS256","typ":"JWT"}"#), parts[1]);
        let idt = format!("{idt_input}.{}", URL_SAFE_NO_PAD.encode(s.sign(idt_input.as_bytes()).unwrap()));
        assert_eq!(verify(&s, &idt, exp), Err(JwtError::NotAnAccessToken));
        // A tampered payload.
        let mut c = claims();
        c.scope = "read admin".into();
        let forged = format!("{}.{}.{}", parts[0], b64(&serde_json::to_string(&c).unwrap()), parts[2]);
        assert_eq!(verify(&s, &forged, exp), Err(JwtError::BadSignature));
        // crit, shapes, sizes.
        let crit_input = format!("{}.{}", b64(r#"{"alg":"HS256","typ":"at+jwt","crit":["x"],"x":1}"#), parts[1]);
        let crit = format!("{crit_input}.{}", URL_SAFE_NO_PAD.encode(s.sign(crit_input.as_bytes()).unwrap()));
        assert_eq!(verify(&s, &crit, exp), Err(JwtError::Malformed));
        let null_input = format!("{}.{}", b64(r#"{"alg":"HS256","typ":"at+jwt","crit":null}"#), parts[1]);
        let null = format!("{null_input}.{}", URL_SAFE_NO_PAD.encode(s.sign(null_input.as_bytes()).unwrap()));
        assert_eq!(verify(&s, &null, exp), Err(JwtError::Malformed));
        for bad in ["", "a.b", "a.b.c.d", "...", "!.!.!", &"a".repeat(MAX_JWT_BYTES + 1)] {
            assert_eq!(verify(&s, bad, exp), Err(JwtError::Malformed), "{bad:.20}");
        }
        // aud as an array; nbf in the future.
        let mut v = serde_json::to_value(claims()).unwrap();
        v["aud"] = serde_json::json!(["x", "https://api.example"]);
        v["nbf"] = serde_json::json!(1600);
        let input = format!("{}.{}", parts[0], b64(&v.to_string()));
        let t2 = format!("{input}.{}", URL_SAFE_NO_PAD.encode(s.sign(input.as_bytes()).unwrap()));
        assert_eq!(verify(&s, &t2, exp), Err(JwtError::Expired));
        assert_eq!(verify(&s, &t2, at(1700)).unwrap().aud, "https://api.example");
        // A missing claim.
        v.as_object_mut().unwrap().remove("jti");
        let input = format!("{}.{}", parts[0], b64(&v.to_string()));
        let t3 = format!("{input}.{}", URL_SAFE_NO_PAD.encode(s.sign(input.as_bytes()).unwrap()));
        assert_eq!(verify(&s, &t3, at(1700)), Err(JwtError::Malformed));
    }

    #[test]
    fn debug_hides_jti() {
        assert!(!format!("{:?}", claims()).contains("j1"));
    }
}
