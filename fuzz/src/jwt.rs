//! Target `jwt`: the resource server's local check of a JWT access token
//! ([`oauth_core::jwt::verify`], RFC 9068 §4) with an HS256 verifier
//! ([`oauth_core::Hs256Signer`], RFC 7518 §3.2), and [`oauth_core::jwt::encode`].
//!
//! The first input byte picks a mode (its value modulo 3); the rest is read as:
//!
//! - **0, raw:** a token (UTF-8; other input is skipped), checked at a fixed time. Oracle: an
//!   accepted token has three parts, an `HS256` header with `typ` `at+jwt`, no `crit` and no other
//!   `kid` than the verifier's, a signature that an HMAC-SHA-256 computed here with the `hmac`
//!   crate (not through the core) matches, and the expected issuer, audience and times; the
//!   claims returned are the payload's.
//! - **1, round trip:** claims built by `arbitrary`, encoded with [`oauth_core::jwt::encode`],
//!   then verified at an arbitrary time against an expected issuer and audience that match or
//!   not: the result is exactly the claims, or exactly the first refusal in the documented order;
//!   another key or `kid` never verifies; and any change to the token's text never verifies
//!   (no malleable encoding).
//! - **2, forged:** a header and a payload assembled from `arbitrary` choices (every `alg`,
//!   `typ`, `kid` and `crit` variant; each claim present, absent or of the wrong type; `aud` as a
//!   string or an array; `nbf`), signed here with the `hmac` crate: the result is exactly the one
//!   a reading of RFC 9068 §4 predicts.

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};
use oauth_core::jwt::{self, AccessTokenClaims, Expected, JwtError, MAX_JWT_BYTES};
use oauth_core::{Hs256Signer, UnixTime};
use serde_json::{Value, json};
use sha2::Sha256;

/// The verifier's key (32 bytes, RFC 7518 §3.2) and key id.
pub const KEY: [u8; 32] = *b"fuzz-jwt-hs256-key-0123456789abc";
/// The verifier's `kid`.
pub const KID: &str = "k1";
/// Another key, which must never verify a token signed with [`KEY`].
pub const OTHER_KEY: [u8; 32] = *b"fuzz-jwt-hs256-key-other-9876543";
/// The issuer and audience the checks expect.
pub const ISSUER: &str = "https://as.example";
/// The audience the checks expect.
pub const AUDIENCE: &str = "https://api.example";
/// The time of the raw mode's check, in Unix seconds.
pub const NOW: u64 = 1_700_000_000;

fn signer(key: &[u8], kid: Option<&str>) -> Hs256Signer {
    Hs256Signer::new(key, kid.map(str::to_owned)).unwrap_or_else(|_| panic!("invariant: the fuzz keys are 32 bytes"))
}

/// HMAC-SHA-256 of `input` under [`KEY`], computed with the `hmac` crate directly.
fn hmac(input: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(&KEY)
        .unwrap_or_else(|_| panic!("invariant: HMAC takes keys of any length"));
    mac.update(input);
    mac.finalize().into_bytes().to_vec()
}

/// Target `jwt`; see the module documentation.
pub fn jwt(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 3 {
        0 => {
            if let Ok(token) = std::str::from_utf8(rest) {
                raw(token);
            }
        }
        1 => round_trip(&mut Unstructured::new(rest)),
        _ => forged(&mut Unstructured::new(rest)),
    }
}

/// Raw mode: soundness of an acceptance.
fn raw(token: &str) {
    let verifier = signer(&KEY, Some(KID));
    let expected = Expected::new(ISSUER, AUDIENCE, UnixTime::from_secs(NOW));
    let outcome = jwt::verify(&verifier, token, expected);
    let _ = jwt::looks_like_jwt(token);
    let Ok(claims) = outcome else { return };
    assert!(token.len() <= MAX_JWT_BYTES, "accepted a token over the size bound");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "accepted a token without exactly three parts");
    let decode =
        |p: &str| URL_SAFE_NO_PAD.decode(p).unwrap_or_else(|_| panic!("accepted a part that is not base64url"));
    let header: Value =
        serde_json::from_slice(&decode(parts[0])).unwrap_or_else(|_| panic!("accepted a non-JSON header"));
    assert_eq!(header.get("alg").and_then(Value::as_str), Some("HS256"), "accepted an alg other than HS256");
    let typ = header.get("typ").and_then(Value::as_str).unwrap_or("");
    assert!(
        typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt"),
        "accepted a typ other than at+jwt"
    );
    assert!(header.get("crit").is_none(), "accepted a crit header");
    let kid = header.get("kid");
    assert!(kid.is_none_or(|k| k.is_null() || k.as_str() == Some(KID)), "accepted another kid");
    let input = format!("{}.{}", parts[0], parts[1]);
    assert_eq!(decode(parts[2]), hmac(input.as_bytes()), "accepted a signature the key did not make");
    let payload: Value =
        serde_json::from_slice(&decode(parts[1])).unwrap_or_else(|_| panic!("accepted a non-JSON payload"));
    assert_eq!(payload.get("iss").and_then(Value::as_str), Some(ISSUER), "accepted another issuer");
    let aud_ok = match payload.get("aud") {
        Some(Value::String(a)) => a == AUDIENCE,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(AUDIENCE)),
        _ => false,
    };
    assert!(aud_ok, "accepted another audience");
    let exp = payload.get("exp").and_then(Value::as_u64).unwrap_or(0);
    assert!(exp > NOW, "accepted an expired token");
    assert!(payload.get("nbf").and_then(Value::as_u64).is_none_or(|nbf| nbf <= NOW), "accepted a token before nbf");
    assert_eq!(claims.exp, exp, "exp differs from the payload's");
    assert_eq!(payload.get("sub").and_then(Value::as_str), Some(claims.sub.as_str()), "sub differs");
    assert_eq!(payload.get("jti").and_then(Value::as_str), Some(claims.jti.as_str()), "jti differs");
    assert_eq!(payload.get("client_id").and_then(Value::as_str), Some(claims.client_id.as_str()), "client_id differs");
    assert_eq!(claims.aud, AUDIENCE, "aud differs");
    let _ = format!("{claims:?}");
}

/// Claims as `arbitrary` builds them.
#[derive(Arbitrary, Debug)]
struct ClaimsInput {
    iss: Pick,
    sub: String,
    aud: Pick,
    exp: u64,
    iat: u64,
    jti: String,
    client_id: String,
    scope: String,
    act: Option<String>,
    allowed_origins: Vec<String>,
    /// Verify at `exp` plus this many seconds (signed), saturating.
    at: i16,
    kid: Option<bool>,
}

/// An issuer or audience: the expected one, a near miss, or any string.
#[derive(Arbitrary, Debug)]
enum Pick {
    Expected,
    TrailingSlash,
    Any(String),
}

impl Pick {
    fn value(&self, expected: &str) -> String {
        match self {
            Self::Expected => expected.to_owned(),
            Self::TrailingSlash => format!("{expected}/"),
            Self::Any(s) => s.clone(),
        }
    }
}

/// Round-trip mode.
fn round_trip(u: &mut Unstructured<'_>) {
    let Ok(input) = ClaimsInput::arbitrary(u) else { return };
    // `AccessTokenClaims` is `#[non_exhaustive]`: built through its `Deserialize`.
    let value = json!({
        "iss": input.iss.value(ISSUER),
        "sub": input.sub,
        "aud": input.aud.value(AUDIENCE),
        "exp": input.exp,
        "iat": input.iat,
        "jti": input.jti,
        "client_id": input.client_id,
        "scope": input.scope,
        "act": input.act.map(|sub| json!({ "sub": sub })),
        "allowed-origins": input.allowed_origins,
    });
    let claims: AccessTokenClaims =
        serde_json::from_value(value).unwrap_or_else(|_| panic!("invariant: the claims' JSON is complete"));
    let kid = match input.kid {
        None => None,
        Some(true) => Some(KID),
        Some(false) => Some("k2"),
    };
    let issuer = signer(&KEY, kid);
    let token = jwt::encode(&issuer, &claims).unwrap_or_else(|_| panic!("HS256 encoding failed"));
    assert!(jwt::looks_like_jwt(&token), "an encoded token is not three parts");
    let now = UnixTime::from_secs(input.exp.saturating_add_signed(i64::from(input.at)));
    let expected = Expected::new(ISSUER, AUDIENCE, now);
    // The refusal RFC 9068 §4 predicts, in the documented order; `kid_ok`: the header names no
    // key or the verifier's key id (a verifier without a kid knows no named key).
    let predict = |kid_ok: bool| {
        if token.len() > MAX_JWT_BYTES {
            Err(JwtError::Malformed)
        } else if !kid_ok {
            Err(JwtError::BadSignature)
        } else if claims.iss != ISSUER {
            Err(JwtError::WrongIssuer)
        } else if claims.aud != AUDIENCE {
            Err(JwtError::WrongAudience)
        } else if claims.exp <= now.as_secs() {
            Err(JwtError::Expired)
        } else {
            Ok(claims.clone())
        }
    };
    let verifier = signer(&KEY, Some(KID));
    assert_eq!(jwt::verify(&verifier, &token, expected), predict(kid != Some("k2")), "verify of an encoded token");
    let anonymous = signer(&KEY, None);
    assert_eq!(jwt::verify(&anonymous, &token, expected), predict(kid.is_none()), "verify without a kid");
    // Another key never verifies.
    let other = jwt::verify(&signer(&OTHER_KEY, Some(KID)), &token, expected);
    assert!(matches!(other, Err(JwtError::BadSignature | JwtError::Malformed)), "another key verified a token");
    // Any change to the text never verifies (at a time the original is valid).
    let Ok(position) = u.arbitrary::<u16>() else { return };
    let Ok(byte) = u.arbitrary::<u8>() else { return };
    let mut mutated = token.clone().into_bytes();
    let i = usize::from(position) % mutated.len().max(1);
    if let Some(b) = mutated.get_mut(i) {
        *b = if byte.is_ascii_graphic() { byte } else { b'A' + byte % 26 };
    }
    let Ok(mutated) = String::from_utf8(mutated) else { return };
    if mutated != token {
        let valid = Expected::new(ISSUER, AUDIENCE, UnixTime::from_secs(claims.exp.saturating_sub(1)));
        assert!(jwt::verify(&signer(&KEY, kid), &mutated, valid).is_err(), "a changed token still verifies");
    }
}

/// A claim's form in the forged payload.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Valid,
    Absent,
    WrongType,
    Null,
}

/// Forged mode's choices.
#[derive(Arbitrary, Debug)]
struct Forged {
    alg: u8,
    typ: u8,
    kid: u8,
    crit: u8,
    iss: Form,
    iss_value: Pick,
    sub: Form,
    aud: Form,
    aud_array: bool,
    aud_value: Pick,
    exp: Form,
    exp_offset: i16,
    iat: Form,
    jti: Form,
    client_id: Form,
    scope: Form,
    nbf: Option<i16>,
    act: Form,
    origins: Form,
    extra: Option<String>,
    signature: u8,
}

fn member(map: &mut serde_json::Map<String, Value>, name: &str, form: Form, valid: Value, wrong: Value) {
    match form {
        Form::Valid => {
            map.insert(name.to_owned(), valid);
        }
        Form::Absent => {}
        Form::WrongType => {
            map.insert(name.to_owned(), wrong);
        }
        Form::Null => {
            map.insert(name.to_owned(), Value::Null);
        }
    }
}

/// Forged mode: every header and payload variant, signed with the right key here.
fn forged(u: &mut Unstructured<'_>) {
    let Ok(f) = Forged::arbitrary(u) else { return };
    let now = NOW;
    // The header.
    let alg = ["HS256", "hs256", "none", "NONE", "HS384", "ES256", ""][usize::from(f.alg) % 7];
    let typ = [Some("at+jwt"), Some("AT+JWT"), Some("application/at+jwt"), Some("JWT"), None, Some("")]
        [usize::from(f.typ) % 6];
    let mut header = serde_json::Map::new();
    header.insert("alg".into(), json!(alg));
    if let Some(t) = typ {
        header.insert("typ".into(), json!(t));
    }
    let kid_ok = match f.kid % 5 {
        0 => true,
        1 => {
            header.insert("kid".into(), json!(KID));
            true
        }
        2 => {
            header.insert("kid".into(), json!("k2"));
            false
        }
        3 => {
            header.insert("kid".into(), json!(1));
            false
        }
        _ => {
            header.insert("kid".into(), Value::Null);
            true
        }
    };
    // kid 3 (a number) cannot be read as a string: the header is malformed.
    let header_malformed = f.kid % 5 == 3;
    let crit = match f.crit % 3 {
        0 => false,
        1 => {
            header.insert("crit".into(), json!(["x"]));
            true
        }
        _ => {
            // Present, even as null: refused like any crit (RFC 7515 §4.1.11).
            header.insert("crit".into(), Value::Null);
            true
        }
    };
    // The payload.
    let iss = f.iss_value.value(ISSUER);
    let aud = f.aud_value.value(AUDIENCE);
    let exp = now.saturating_add_signed(i64::from(f.exp_offset));
    let mut p = serde_json::Map::new();
    member(&mut p, "iss", f.iss, json!(iss), json!(1));
    member(&mut p, "sub", f.sub, json!("user-1"), json!(true));
    let aud_value = if f.aud_array { json!(["other", aud]) } else { json!(aud) };
    member(&mut p, "aud", f.aud, aud_value, json!({"a": 1}));
    member(&mut p, "exp", f.exp, json!(exp), json!(-5));
    member(&mut p, "iat", f.iat, json!(now), json!("now"));
    member(&mut p, "jti", f.jti, json!("j-1"), json!(7));
    member(&mut p, "client_id", f.client_id, json!("client-a"), json!([]));
    member(&mut p, "scope", f.scope, json!("read write"), json!(3));
    if let Some(n) = f.nbf {
        p.insert("nbf".into(), json!(now.saturating_add_signed(i64::from(n))));
    }
    member(&mut p, "act", f.act, json!({"sub": "svc-a"}), json!("svc-a"));
    member(&mut p, "allowed-origins", f.origins, json!(["https://spa.example"]), json!("https://spa.example"));
    if let Some(extra) = &f.extra {
        p.insert(format!("x-{extra}"), json!(extra));
    }
    let h = URL_SAFE_NO_PAD.encode(Value::Object(header).to_string());
    let b = URL_SAFE_NO_PAD.encode(Value::Object(p.clone()).to_string());
    let input = format!("{h}.{b}");
    let mut signature = hmac(input.as_bytes());
    let signature_ok = match f.signature % 4 {
        0 | 1 => true,
        2 => {
            if let Some(first) = signature.first_mut() {
                *first ^= 1;
            }
            false
        }
        _ => {
            signature.truncate(16);
            false
        }
    };
    let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&signature));

    // The prediction, in the order RFC 9068 §4 (and the function's documentation) checks.
    let typ_ok = typ.is_some_and(|t| t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt"));
    let required = [f.iss, f.sub, f.aud, f.exp, f.iat, f.jti, f.client_id];
    let claims_readable = required.iter().all(|r| *r == Form::Valid)
        && matches!(f.scope, Form::Valid | Form::Absent | Form::Null)
        && matches!(f.act, Form::Valid | Form::Absent | Form::Null)
        && matches!(f.origins, Form::Valid | Form::Absent);
    let aud_matches = aud == AUDIENCE;
    let want: Result<(), JwtError> = if token.len() > MAX_JWT_BYTES || header_malformed || crit {
        Err(JwtError::Malformed)
    } else if !typ_ok {
        Err(JwtError::NotAnAccessToken)
    } else if alg.eq_ignore_ascii_case("none") || alg != "HS256" || !kid_ok || !signature_ok {
        Err(JwtError::BadSignature)
    } else if !claims_readable {
        Err(JwtError::Malformed)
    } else if iss != ISSUER {
        Err(JwtError::WrongIssuer)
    } else if !aud_matches {
        Err(JwtError::WrongAudience)
    } else if exp <= now || f.nbf.is_some_and(|n| now.saturating_add_signed(i64::from(n)) > now) {
        Err(JwtError::Expired)
    } else {
        Ok(())
    };
    let verifier = signer(&KEY, Some(KID));
    let got = jwt::verify(&verifier, &token, Expected::new(ISSUER, AUDIENCE, UnixTime::from_secs(now)));
    match (&want, &got) {
        (Ok(()), Ok(claims)) => {
            assert_eq!(claims.iss, ISSUER, "iss");
            assert_eq!(claims.aud, AUDIENCE, "aud");
            assert_eq!((claims.exp, claims.iat), (exp, now), "exp/iat");
            assert_eq!(
                (claims.sub.as_str(), claims.jti.as_str(), claims.client_id.as_str()),
                ("user-1", "j-1", "client-a")
            );
            let scope = if f.scope == Form::Valid { "read write" } else { "" };
            assert_eq!(claims.scope, scope, "scope");
            assert_eq!(claims.act.as_ref().map(|a| a.sub.as_str()), (f.act == Form::Valid).then_some("svc-a"), "act");
            let origins: &[&str] = if f.origins == Form::Valid { &["https://spa.example"] } else { &[] };
            assert_eq!(claims.allowed_origins, origins, "allowed-origins");
        }
        (Err(w), Err(g)) => assert_eq!(w, g, "verify refused for another reason than predicted"),
        _ => panic!("verify answered {got:?}, predicted {want:?}"),
    }
}
