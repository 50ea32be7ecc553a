//! oauth-jose against oauth-core's JWT code, the `jsonwebtoken` crate (an independent JOSE
//! implementation), and the RFC 7515 / RFC 8037 example vectors.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauth_core::jwt::{self, AccessTokenClaims, Expected, JwtError};
use oauth_core::{Hs256Signer, JwsVerifier, TokenSigner, UnixTime};
use oauth_jose::{Algorithm, JoseError, Jwks, KeySet, MAX_JWKS_BYTES, MAX_JWKS_KEYS, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const ISS: &str = "https://as.example";
const AUD: &str = "https://api.example";
/// Far in the future (2096), so `jsonwebtoken`'s wall-clock `exp` check passes without a clock.
const EXP: u64 = 4_000_000_000;
const IAT: u64 = 1_700_000_000;
const ALGS: [Algorithm; 2] = [Algorithm::Es256, Algorithm::EdDsa];

fn now() -> UnixTime {
    UnixTime::from_secs(IAT + 10)
}

fn expected() -> Expected<'static> {
    Expected::new(ISS, AUD, now())
}

fn claims(jti: &str) -> AccessTokenClaims {
    serde_json::from_value(json!({
        "iss": ISS, "sub": "user-1", "aud": AUD, "exp": EXP, "iat": IAT, "jti": jti,
        "client_id": "client-a", "scope": "read write", "act": {"sub": "client-b"},
        "allowed-origins": ["https://app.example"],
    }))
    .unwrap()
}

fn key_set(alg: Algorithm) -> KeySet {
    KeySet::new(SigningKey::generate(alg).unwrap())
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn header_of(token: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap()
}

/// A compact JWS of `token`'s payload with `header`, signed by `key`.
fn resign(key: &SigningKey, header: &Value, token: &str) -> String {
    let input = format!("{}.{}", b64(header.to_string()), token.split('.').nth(1).unwrap());
    let signature = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64(signature))
}

/// `token` with its signature replaced by `signature`.
fn with_signature(token: &str, signature: &[u8]) -> String {
    let input = token.rsplit_once('.').unwrap().0;
    format!("{input}.{}", b64(signature))
}

// ---------------------------------------------------------------- round trips and interop

#[test]
fn round_trip_through_oauth_core_for_both_algorithms() {
    for alg in ALGS {
        let keys = key_set(alg);
        assert_eq!(TokenSigner::algorithm(&keys), alg.as_str());
        let token = jwt::encode(&keys, &claims("j1")).unwrap();
        assert_eq!(
            header_of(&token),
            json!({"alg": alg.as_str(), "typ": "at+jwt", "kid": keys.active().key_id()}),
            "{alg}"
        );
        let signature = URL_SAFE_NO_PAD.decode(token.rsplit('.').next().unwrap()).unwrap();
        assert_eq!(signature.len(), 64, "{alg}: raw r||s or Ed25519, not DER");
        assert_eq!(jwt::verify(&keys, &token, expected()).unwrap(), claims("j1"), "{alg}");

        let rs = Jwks::from_json(&keys.jwks_json()).unwrap();
        assert_eq!(rs.len(), 1);
        assert_eq!(jwt::verify(&rs, &token, expected()).unwrap(), claims("j1"), "{alg}");
        assert_eq!(jwt::verify(&keys.active().verifying_key(), &token, expected()).unwrap(), claims("j1"));

        // Tampering with the payload breaks the signature.
        let mut forged = serde_json::to_value(claims("j1")).unwrap();
        forged["scope"] = json!("read write admin");
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], b64(forged.to_string()), parts[2]);
        assert_eq!(jwt::verify(&keys, &forged, expected()), Err(JwtError::BadSignature));
        assert_eq!(jwt::verify(&rs, &forged, expected()), Err(JwtError::BadSignature));
    }
}

#[test]
fn jsonwebtoken_verifies_our_tokens_from_the_published_jwk() {
    for (alg, theirs) in
        [(Algorithm::Es256, jsonwebtoken::Algorithm::ES256), (Algorithm::EdDsa, jsonwebtoken::Algorithm::EdDSA)]
    {
        let keys = key_set(alg);
        let token = jwt::encode(&keys, &claims("j-interop")).unwrap();

        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&keys.jwks_json()).unwrap();
        let jwk = set.find(keys.active().key_id()).expect("the active key is published under its kid");
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(theirs);
        validation.set_issuer(&[ISS]);
        validation.set_audience(&[AUD]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Value>(&token, &key, &validation).unwrap();

        assert_eq!(data.header.alg, theirs);
        assert_eq!(data.header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(data.header.kid.as_deref(), Some(keys.active().key_id()));
        let c = data.claims;
        assert_eq!((c["iss"].as_str(), c["aud"].as_str(), c["sub"].as_str()), (Some(ISS), Some(AUD), Some("user-1")));
        assert_eq!((c["exp"].as_u64(), c["iat"].as_u64()), (Some(EXP), Some(IAT)));
        assert_eq!((c["jti"].as_str(), c["client_id"].as_str()), (Some("j-interop"), Some("client-a")));
        assert_eq!(c["scope"], "read write");
        assert_eq!(c["act"], json!({"sub": "client-b"}));
        assert_eq!(c["allowed-origins"], json!(["https://app.example"]));

        // jsonwebtoken refuses a wrong audience, so the check above is not vacuous.
        validation.set_audience(&["https://other.example"]);
        assert!(jsonwebtoken::decode::<Value>(&token, &key, &validation).is_err());
        // ... and a token of another key under the same JWK.
        let other = jwt::encode(&key_set(alg), &claims("j-interop")).unwrap();
        validation.set_audience(&[AUD]);
        assert!(jsonwebtoken::decode::<Value>(&other, &key, &validation).is_err());
    }
}

#[test]
fn we_verify_tokens_signed_by_jsonwebtoken() {
    for (alg, theirs) in
        [(Algorithm::Es256, jsonwebtoken::Algorithm::ES256), (Algorithm::EdDsa, jsonwebtoken::Algorithm::EdDSA)]
    {
        let key = SigningKey::generate(alg).unwrap().with_key_id("their-key");
        let pem = key.to_pkcs8_pem().unwrap();
        let encoding = match alg {
            Algorithm::Es256 => jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
            _ => jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()).unwrap(),
        };
        let mut header = jsonwebtoken::Header::new(theirs);
        header.typ = Some("at+jwt".into());
        header.kid = Some("their-key".into());
        let token = jsonwebtoken::encode(&header, &claims("j-theirs"), &encoding).unwrap();

        let rs = Jwks::from_json(&KeySet::new(key).jwks_json()).unwrap();
        assert_eq!(jwt::verify(&rs, &token, expected()).unwrap(), claims("j-theirs"), "{alg}");
    }
}

// ---------------------------------------------------------------- rotation and refusals

#[test]
fn rotation_keeps_old_tokens_valid_until_the_old_key_is_dropped() {
    for (old_alg, new_alg) in [
        (Algorithm::Es256, Algorithm::Es256),
        (Algorithm::EdDsa, Algorithm::EdDsa),
        (Algorithm::EdDsa, Algorithm::Es256),
    ] {
        let old_key = SigningKey::generate(old_alg).unwrap();
        let old = KeySet::new(old_key.clone());
        let old_token = jwt::encode(&old, &claims("j-old")).unwrap();

        let new_key = SigningKey::generate(new_alg).unwrap();
        let b = KeySet::new(new_key.clone()).with_verification_key(old_key.verifying_key());
        assert_eq!(TokenSigner::key_id(&b), Some(new_key.key_id()));
        let b_rs = Jwks::from_json(&b.jwks_json()).unwrap();
        assert_eq!(b_rs.len(), 2);
        let published: Value = serde_json::from_str(&b.jwks_json()).unwrap();
        let kids: Vec<&str> =
            published["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
        assert_eq!(kids, [new_key.key_id(), old_key.key_id()], "active first, then older");
        assert_eq!(b.jwks(), Some(b.jwks_json()));

        // Old tokens still verify, at the server and at a resource server with the new JWKS.
        assert_eq!(jwt::verify(&b, &old_token, expected()).unwrap().jti, "j-old");
        assert_eq!(jwt::verify(&b_rs, &old_token, expected()).unwrap().jti, "j-old");
        // New tokens carry the new kid and are signed by the new key only.
        let new_token = jwt::encode(&b, &claims("j-new")).unwrap();
        assert_eq!(header_of(&new_token)["kid"], new_key.key_id());
        assert_eq!(jwt::verify(&b_rs, &new_token, expected()).unwrap().jti, "j-new");
        assert_eq!(jwt::verify(&old, &new_token, expected()), Err(JwtError::BadSignature));

        // A token from an unrelated key is refused.
        let stranger = jwt::encode(&key_set(old_alg), &claims("j-x")).unwrap();
        assert_eq!(jwt::verify(&b, &stranger, expected()), Err(JwtError::BadSignature));
        assert_eq!(jwt::verify(&b_rs, &stranger, expected()), Err(JwtError::BadSignature));
        // The stranger's token relabelled with our old kid is refused too.
        let relabelled = resign(
            &SigningKey::generate(old_alg).unwrap(),
            &json!({"alg": old_alg.as_str(), "typ": "at+jwt", "kid": old_key.key_id()}),
            &old_token,
        );
        assert_eq!(jwt::verify(&b_rs, &relabelled, expected()), Err(JwtError::BadSignature));

        // kid mismatch: the old key's signature under the new key's kid, or an unknown kid.
        for kid in [new_key.key_id(), "unknown"] {
            let t = resign(&old_key, &json!({"alg": old_alg.as_str(), "typ": "at+jwt", "kid": kid}), &old_token);
            assert_eq!(jwt::verify(&b, &t, expected()), Err(JwtError::BadSignature), "{kid}");
            assert_eq!(jwt::verify(&b_rs, &t, expected()), Err(JwtError::BadSignature), "{kid}");
        }
        // Without a kid every key of the algorithm is tried.
        let no_kid = resign(&old_key, &json!({"alg": old_alg.as_str(), "typ": "at+jwt"}), &old_token);
        assert_eq!(jwt::verify(&b, &no_kid, expected()).unwrap().jti, "j-old");
        assert_eq!(jwt::verify(&b_rs, &no_kid, expected()).unwrap().jti, "j-old");

        // Once the old key is dropped, its tokens are refused.
        let c = KeySet::new(new_key.clone());
        assert_eq!(jwt::verify(&c, &old_token, expected()), Err(JwtError::BadSignature));
        assert_eq!(
            jwt::verify(&Jwks::from_json(&c.jwks_json()).unwrap(), &old_token, expected()),
            Err(JwtError::BadSignature)
        );

        // Adding the same key twice publishes it once.
        let twice =
            b.clone().with_verification_key(old_key.verifying_key()).with_verification_key(new_key.verifying_key());
        assert_eq!(twice.verifying_keys().len(), 2);
    }
}

#[test]
fn algorithm_confusion_is_refused() {
    let es = key_set(Algorithm::Es256);
    let ed = key_set(Algorithm::EdDsa);
    let es_rs = Jwks::from_json(&es.jwks_json()).unwrap();
    let input = b"header.payload";
    let es_sig = es.sign(input).unwrap();
    let es_kid = es.active().key_id();
    assert!(es.verify("ES256", Some(es_kid), input, &es_sig));
    assert!(es.verify("ES256", None, input, &es_sig));
    assert!(es_rs.verify("ES256", Some(es_kid), input, &es_sig));
    for alg in ["EdDSA", "HS256", "none", "None", "es256", "ES384", "RS256", ""] {
        assert!(!es.verify(alg, Some(es_kid), input, &es_sig), "{alg}");
        assert!(!es.verify(alg, None, input, &es_sig), "{alg}");
        assert!(!es_rs.verify(alg, None, input, &es_sig), "{alg}");
    }
    let ed_sig = ed.sign(input).unwrap();
    assert!(ed.verify("EdDSA", None, input, &ed_sig));
    for alg in ["ES256", "Ed25519", "eddsa", "HS256", "none"] {
        assert!(!ed.verify(alg, None, input, &ed_sig), "{alg}");
    }
    // An EdDSA signature presented to the ES256 key set and the other way round.
    assert!(!es.verify("EdDSA", None, input, &ed_sig));
    assert!(!ed.verify("ES256", None, input, &es_sig));

    // The classic HS256 attack: an HMAC keyed with the public key (its PEM or its JWK text),
    // labelled with our kid.
    let token = jwt::encode(&es, &claims("j1")).unwrap();
    for secret in [es.active().verifying_key().to_public_pem().unwrap(), es.jwks_json()] {
        let hs = Hs256Signer::new(secret.as_bytes(), Some(es_kid.to_owned())).unwrap();
        let forged = jwt::encode(&hs, &claims("j1")).unwrap();
        assert_eq!(header_of(&forged)["alg"], "HS256");
        assert_eq!(jwt::verify(&es, &forged, expected()), Err(JwtError::BadSignature));
        assert_eq!(jwt::verify(&es_rs, &forged, expected()), Err(JwtError::BadSignature));
    }
    // alg none with an empty or the original signature.
    let parts: Vec<&str> = token.split('.').collect();
    let none_header = b64(json!({"alg": "none", "typ": "at+jwt", "kid": es_kid}).to_string());
    for sig in ["", parts[2]] {
        let t = format!("{none_header}.{}.{sig}", parts[1]);
        assert_eq!(jwt::verify(&es, &t, expected()), Err(JwtError::BadSignature));
    }
}

#[test]
fn es256_signatures_must_be_raw_64_bytes() {
    let keys = key_set(Algorithm::Es256);
    let rs = Jwks::from_json(&keys.jwks_json()).unwrap();
    let token = jwt::encode(&keys, &claims("j1")).unwrap();
    let raw = URL_SAFE_NO_PAD.decode(token.rsplit('.').next().unwrap()).unwrap();
    let der = p256::ecdsa::Signature::from_slice(&raw).unwrap().to_der();
    assert_ne!(der.as_bytes().len(), 64);
    let der_token = with_signature(&token, der.as_bytes());
    assert_eq!(jwt::verify(&keys, &der_token, expected()), Err(JwtError::BadSignature));
    assert_eq!(jwt::verify(&rs, &der_token, expected()), Err(JwtError::BadSignature));

    let mut padded = vec![0u8];
    padded.extend(&raw);
    let mut flipped = raw.clone();
    flipped[10] ^= 1;
    for bad in [&raw[..63], &padded[..], &raw[..32], &[][..], &[0u8; 64][..], &flipped[..]] {
        assert_eq!(jwt::verify(&keys, &with_signature(&token, bad), expected()), Err(JwtError::BadSignature));
        assert_eq!(jwt::verify(&rs, &with_signature(&token, bad), expected()), Err(JwtError::BadSignature));
    }

    // Ed25519: wrong lengths and a flipped bit.
    let ed = key_set(Algorithm::EdDsa);
    let token = jwt::encode(&ed, &claims("j1")).unwrap();
    let raw = URL_SAFE_NO_PAD.decode(token.rsplit('.').next().unwrap()).unwrap();
    let mut flipped = raw.clone();
    flipped[40] ^= 1;
    for bad in [&raw[..63], &[raw.as_slice(), &[0]].concat()[..], &flipped[..]] {
        assert_eq!(jwt::verify(&ed, &with_signature(&token, bad), expected()), Err(JwtError::BadSignature));
    }
}

// ---------------------------------------------------------------- keys, PEM, Debug

/// The private scalar / seed of `key`, read back from its PEM.
fn private_bytes(key: &SigningKey) -> Vec<u8> {
    let pem = key.to_pkcs8_pem().unwrap();
    match key.algorithm() {
        Algorithm::Es256 => p256::SecretKey::from_pkcs8_pem(&pem).unwrap().to_bytes().to_vec(),
        _ => ed25519_dalek::SigningKey::from_pkcs8_pem(&pem).unwrap().to_bytes().to_vec(),
    }
}

#[test]
fn pem_round_trips_and_refusals() {
    for alg in ALGS {
        let key = SigningKey::generate(alg).unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg}");
        let again = SigningKey::from_pkcs8_pem(alg, &pem).unwrap();
        assert_eq!(again.key_id(), key.key_id());
        assert_eq!(again.algorithm(), alg);
        assert_eq!(again.verifying_key(), key.verifying_key());
        // Indented or with surrounding blank lines (as in a TOML string) still loads.
        assert_eq!(SigningKey::from_pkcs8_pem(alg, &format!("\n  {pem}\n\n")).unwrap().key_id(), key.key_id());
        // A signature of one verifies with the other.
        let sig = again.sign(b"x.y").unwrap();
        assert!(KeySet::new(key.clone()).verify(alg.as_str(), Some(key.key_id()), b"x.y", &sig));

        // Public PEM.
        let public = key.verifying_key().to_public_pem().unwrap();
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let vk = VerifyingKey::from_public_pem(alg, &public).unwrap();
        assert_eq!(vk, key.verifying_key());
        assert_eq!(vk.clone().with_key_id("k").key_id(), "k");
        assert!(matches!(VerifyingKey::from_public_pem(alg, &pem), Err(JoseError::InvalidPublicKey(a)) if a == alg));
        assert!(matches!(SigningKey::from_pkcs8_pem(alg, &public), Err(JoseError::InvalidPrivateKey(a)) if a == alg));

        // The other algorithm's PEM is refused.
        let other = if alg == Algorithm::Es256 { Algorithm::EdDsa } else { Algorithm::Es256 };
        assert_eq!(SigningKey::from_pkcs8_pem(other, &pem).unwrap_err(), JoseError::InvalidPrivateKey(other));
        assert_eq!(VerifyingKey::from_public_pem(other, &public).unwrap_err(), JoseError::InvalidPublicKey(other));

        // Garbage.
        let truncated = &pem[..pem.len() / 2];
        for bad in ["", "garbage", "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", truncated] {
            let err = SigningKey::from_pkcs8_pem(alg, bad).unwrap_err();
            assert_eq!(err, JoseError::InvalidPrivateKey(alg));
            assert!(!err.to_string().contains("BEGIN"));
            assert!(VerifyingKey::from_public_pem(alg, bad).is_err());
        }
    }
    // A SEC1 "EC PRIVATE KEY" is not PKCS #8.
    let sec1 =
        p256::SecretKey::from_pkcs8_pem(&SigningKey::generate(Algorithm::Es256).unwrap().to_pkcs8_pem().unwrap())
            .unwrap()
            .to_sec1_pem(p256::pkcs8::LineEnding::LF)
            .unwrap();
    assert!(SigningKey::from_pkcs8_pem(Algorithm::Es256, &sec1).is_err());
}

#[test]
fn debug_and_jwks_never_show_private_key_material() {
    for alg in ALGS {
        let key = SigningKey::generate(alg).unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        let d = private_bytes(&key);
        let keys = KeySet::new(key.clone()).with_verification_key(SigningKey::generate(alg).unwrap().verifying_key());
        let needles: Vec<String> =
            [b64(&d), STANDARD.encode(&d), d.iter().map(|b| format!("{b:02x}")).collect(), format!("{:?}", &d[..4])]
                .into_iter()
                .chain(pem.lines().filter(|l| !l.starts_with("-----")).map(str::to_owned))
                .collect();
        let jwks = keys.jwks_json();
        for text in [format!("{key:?}"), format!("{keys:?}"), format!("{key:#?}"), format!("{keys:#?}"), jwks.clone()] {
            assert!(!text.contains("PRIVATE"), "{alg}");
            for needle in &needles {
                assert!(!text.contains(needle.as_str()), "{alg}: {text}");
            }
        }
        let published: Value = serde_json::from_str(&jwks).unwrap();
        for jwk in published["keys"].as_array().unwrap() {
            assert!(jwk.get("d").is_none(), "{alg}");
        }
        assert!(format!("{key:?}").contains(key.key_id()), "Debug names the kid");
    }
}

/// base64url SHA-256 of `canonical`.
fn sha256_b64(canonical: &str) -> String {
    b64(Sha256::digest(canonical.as_bytes()))
}

#[test]
fn default_kid_is_the_rfc7638_thumbprint() {
    for alg in ALGS {
        let key = SigningKey::generate(alg).unwrap();
        let jwk = key.verifying_key().to_jwk();
        let canonical = match alg {
            Algorithm::Es256 => {
                assert_eq!(jwk.as_object().unwrap().len(), 7);
                assert_eq!(
                    (&jwk["kty"], &jwk["crv"], &jwk["alg"], &jwk["use"]),
                    (&json!("EC"), &json!("P-256"), &json!("ES256"), &json!("sig"))
                );
                format!(
                    r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                    jwk["x"].as_str().unwrap(),
                    jwk["y"].as_str().unwrap()
                )
            }
            _ => {
                assert_eq!(jwk.as_object().unwrap().len(), 6);
                assert_eq!(
                    (&jwk["kty"], &jwk["crv"], &jwk["alg"], &jwk["use"]),
                    (&json!("OKP"), &json!("Ed25519"), &json!("EdDSA"), &json!("sig"))
                );
                format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, jwk["x"].as_str().unwrap())
            }
        };
        assert_eq!(key.key_id(), sha256_b64(&canonical), "{alg}");
        assert_eq!(key.key_id().len(), 43);
        assert_eq!(jwk["kid"], key.key_id());
        assert_eq!(key.verifying_key().thumbprint(), key.key_id());
        // A custom kid replaces it everywhere, but not the thumbprint.
        let named = key.with_key_id("2025-01");
        assert_eq!(named.verifying_key().to_jwk()["kid"], "2025-01");
        assert_eq!(named.verifying_key().thumbprint(), sha256_b64(&canonical));
        let token = jwt::encode(&KeySet::new(named), &claims("j")).unwrap();
        assert_eq!(header_of(&token)["kid"], "2025-01");
    }
}

#[test]
fn rfc8037_ed25519_vectors() {
    // RFC 8037 Appendix A.1 (private key), A.2 (public key), A.3 (thumbprint), A.4 (signature).
    let d = URL_SAFE_NO_PAD.decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A").unwrap();
    // PKCS #8 v1 for Ed25519 (RFC 8410 §7): a fixed prefix, then the 32-byte seed.
    let mut der = hex("302e020100300506032b657004220420");
    der.extend(&d);
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", STANDARD.encode(&der));
    let key = SigningKey::from_pkcs8_pem(Algorithm::EdDsa, &pem).unwrap();
    assert_eq!(key.verifying_key().to_jwk()["x"], "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    assert_eq!(key.key_id(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");

    let input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    let expected_sig = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    assert_eq!(b64(key.sign(input.as_bytes()).unwrap()), expected_sig);

    // The public JWK exactly as printed in A.2 (no kid): its kid defaults to the A.3 thumbprint.
    let public = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
    let vk = VerifyingKey::from_jwk(&public).unwrap();
    assert_eq!(vk.key_id(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    let sig = URL_SAFE_NO_PAD.decode(expected_sig).unwrap();
    assert!(vk.verify("EdDSA", None, input.as_bytes(), &sig));
    assert!(vk.verify("EdDSA", Some("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"), input.as_bytes(), &sig));
    assert!(!vk.verify("EdDSA", None, b"eyJhbGciOiJFZERTQSJ9.X", &sig));
}

#[test]
fn rfc7515_es256_vector() {
    // RFC 7515 Appendix A.3: the P-256 key (A.3.1) and the example JWS (A.3.1, Figure 27).
    let x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    let y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    let d = URL_SAFE_NO_PAD.decode("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI").unwrap();
    let pem = p256::SecretKey::from_slice(&d).unwrap().to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap();
    let key = SigningKey::from_pkcs8_pem(Algorithm::Es256, &pem).unwrap();
    let jwk = key.verifying_key().to_jwk();
    assert_eq!((jwk["x"].as_str(), jwk["y"].as_str()), (Some(x), Some(y)));
    assert_eq!(key.key_id(), sha256_b64(&format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#)));

    let doc = json!({"keys": [{"kty": "EC", "crv": "P-256", "x": x, "y": y}]}).to_string();
    let rs = Jwks::from_json(&doc).unwrap();
    let input = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    let sig = URL_SAFE_NO_PAD
        .decode("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q")
        .unwrap();
    assert!(rs.verify("ES256", None, input.as_bytes(), &sig));
    assert!(rs.verify("ES256", Some(key.key_id()), input.as_bytes(), &sig));
    assert!(!rs.verify("ES256", Some("other"), input.as_bytes(), &sig));
    let mut tampered = sig;
    tampered[63] ^= 1;
    assert!(!rs.verify("ES256", None, input.as_bytes(), &tampered));
    // Our own signature with the RFC key verifies there too.
    assert!(rs.verify("ES256", None, input.as_bytes(), &key.sign(input.as_bytes()).unwrap()));
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn algorithm_names() {
    for alg in ALGS {
        assert_eq!(alg.as_str().parse::<Algorithm>().unwrap(), alg);
        assert_eq!(alg.to_string(), alg.as_str());
    }
    for bad in ["es256", "EDDSA", "Ed25519", "HS256", "none", "ES256 ", ""] {
        assert_eq!(bad.parse::<Algorithm>(), Err(JoseError::UnknownAlgorithm), "{bad}");
    }
}

// ---------------------------------------------------------------- Jwks::from_json

#[test]
fn jwks_keeps_only_es256_and_eddsa_signature_keys() {
    let es = SigningKey::generate(Algorithm::Es256).unwrap().with_key_id("es");
    let ed = SigningKey::generate(Algorithm::EdDsa).unwrap().with_key_id("ed");
    let es_jwk = es.verifying_key().to_jwk();
    let ed_jwk = ed.verifying_key().to_jwk();
    let with = |base: &Value, member: &str, value: Value| {
        let mut v = base.clone();
        v[member] = value;
        v
    };
    let without = |base: &Value, member: &str| {
        let mut v = base.clone();
        v.as_object_mut().unwrap().remove(member);
        v
    };
    let skipped = [
        json!({"kty": "RSA", "kid": "rsa", "use": "sig", "alg": "RS256", "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw", "e": "AQAB"}),
        json!({"kty": "oct", "kid": "hmac", "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}),
        with(&es_jwk, "crv", json!("P-384")),
        with(&ed_jwk, "crv", json!("X25519")),
        with(&es_jwk, "use", json!("enc")),
        with(&ed_jwk, "use", json!("enc")),
        with(&es_jwk, "key_ops", json!(["encrypt"])),
        with(&es_jwk, "alg", json!("ES384")),
        with(&ed_jwk, "alg", json!("ES256")),
        with(&es_jwk, "x", json!("AAAA")),
        with(&es_jwk, "y", es_jwk["x"].clone()),
        with(&ed_jwk, "x", json!(b64([0xffu8; 33]))),
        with(&es_jwk, "kid", json!(7)),
        without(&es_jwk, "y"),
        without(&ed_jwk, "kty"),
        json!({}),
    ];
    let mut keys: Vec<Value> = skipped.to_vec();
    keys.push(es_jwk.clone());
    keys.push(without(&without(&ed_jwk, "use"), "alg"));
    keys.push(with(&es_jwk, "key_ops", json!(["verify"])));
    let rs = Jwks::from_json(&json!({"keys": keys, "other": true}).to_string()).unwrap();
    assert_eq!(rs.len(), 3);
    assert!(!rs.is_empty());
    let kids: Vec<&str> = rs.keys().iter().map(VerifyingKey::key_id).collect();
    assert_eq!(kids, ["es", "ed", "es"]);
    let input = b"h.p";
    assert!(rs.verify("ES256", Some("es"), input, &es.sign(input).unwrap()));
    assert!(rs.verify("EdDSA", Some("ed"), input, &ed.sign(input).unwrap()));
    assert!(!rs.verify("EdDSA", Some("es"), input, &ed.sign(input).unwrap()));

    // Only unsupported keys: an empty, usable-but-refusing verifier.
    let only_skipped = Jwks::from_json(&json!({"keys": skipped}).to_string()).unwrap();
    assert!(only_skipped.is_empty());
    assert!(!only_skipped.verify("ES256", None, input, &es.sign(input).unwrap()));
    assert!(Jwks::from_json(r#"{"keys":[]}"#).unwrap().is_empty());

    // The single-key reader says why.
    assert_eq!(VerifyingKey::from_jwk(&skipped[0]).unwrap_err(), JoseError::UnsupportedJwk);
    assert_eq!(VerifyingKey::from_jwk(&skipped[4]).unwrap_err(), JoseError::UnsupportedJwk);
    assert_eq!(VerifyingKey::from_jwk(&skipped[9]).unwrap_err(), JoseError::InvalidJwk);
    assert_eq!(VerifyingKey::from_jwk(&json!("x")).unwrap_err(), JoseError::InvalidJwk);
}

#[test]
fn jwks_refuses_malformed_and_oversized_documents() {
    for bad in [
        "",
        "not json",
        "[]",
        "{}",
        r#"{"keys":{}}"#,
        r#"{"keys":null}"#,
        r#"{"keys":[1]}"#,
        r#"{"keys":[[]]}"#,
        "{\"keys\":[",
        "null",
    ] {
        assert_eq!(Jwks::from_json(bad).unwrap_err(), JoseError::MalformedJwks, "{bad}");
    }
    let jwk = SigningKey::generate(Algorithm::EdDsa).unwrap().verifying_key().to_jwk();
    let doc = |n: usize| json!({ "keys": vec![jwk.clone(); n] }).to_string();
    assert_eq!(MAX_JWKS_KEYS, 64);
    assert_eq!(Jwks::from_json(&doc(64)).unwrap().len(), 64);
    assert_eq!(Jwks::from_json(&doc(65)).unwrap_err(), JoseError::TooManyKeys);
    let rsa = json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"});
    assert_eq!(Jwks::from_json(&json!({ "keys": vec![rsa; 65] }).to_string()).unwrap_err(), JoseError::TooManyKeys);

    assert_eq!(MAX_JWKS_BYTES, 65_536);
    let small = doc(1);
    let exactly = format!("{small}{}", " ".repeat(MAX_JWKS_BYTES - small.len()));
    assert_eq!(Jwks::from_json(&exactly).unwrap().len(), 1);
    let over = format!("{exactly} ");
    assert_eq!(Jwks::from_json(&over).unwrap_err(), JoseError::JwksTooLarge);
    let huge = json!({"keys": [{"kty": "oct", "k": "A".repeat(MAX_JWKS_BYTES)}]}).to_string();
    assert_eq!(Jwks::from_json(&huge).unwrap_err(), JoseError::JwksTooLarge);
}

#[test]
fn generated_keys_differ() {
    for alg in ALGS {
        let a = SigningKey::generate(alg).unwrap();
        let b = SigningKey::generate(alg).unwrap();
        assert_ne!(a.key_id(), b.key_id());
        assert_ne!(private_bytes(&a), private_bytes(&b));
    }
}

/// Throwaway test keys made by `openssl genpkey` (PKCS #8) and `openssl pkey -pubout` (SPKI).
const OPENSSL_ES256: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgc6ynGf1v6GotHnfP
ha5L8O8D1wzyhZ7KhIemE1iq7TyhRANCAAR9otqGBrmFcOsvGKLuLOLMYftv53ui
w7l2qga5M54geIZKaICl7ICzgl3DdjMXv1QIcO4n4Lmaw9HnxYwyGct/
-----END PRIVATE KEY-----
";
const OPENSSL_ES256_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfaLahga5hXDrLxii7izizGH7b+d7
osO5dqoGuTOeIHiGSmiApeyAs4Jdw3YzF79UCHDuJ+C5msPR58WMMhnLfw==
-----END PUBLIC KEY-----
";
const OPENSSL_ED25519: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIIXRDCL+G3+m+nzqAA1Y8q2H7Do0KYSTNgjbG9z+ZEw/
-----END PRIVATE KEY-----
";
const OPENSSL_ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA8SgAL0JJOH8d2tLVIN8I+T4W+DkmzRL3kRS0Tc6CgGg=
-----END PUBLIC KEY-----
";

#[test]
fn openssl_generated_keys_load() {
    for (alg, private, public) in [
        (Algorithm::Es256, OPENSSL_ES256, OPENSSL_ES256_PUBLIC),
        (Algorithm::EdDsa, OPENSSL_ED25519, OPENSSL_ED25519_PUBLIC),
    ] {
        let key = SigningKey::from_pkcs8_pem(alg, private).unwrap().with_key_id("2025-06");
        let public = VerifyingKey::from_public_pem(alg, public).unwrap().with_key_id("2025-06");
        assert_eq!(key.verifying_key(), public, "{alg}");
        let token = jwt::encode(&KeySet::new(key), &claims("j-openssl")).unwrap();
        // A resource server configured with the public PEM only.
        let rs = Jwks::from_json(&json!({ "keys": [public.to_jwk()] }).to_string()).unwrap();
        assert_eq!(jwt::verify(&rs, &token, expected()).unwrap().jti, "j-openssl");
        assert_eq!(jwt::verify(&public, &token, expected()).unwrap().jti, "j-openssl");
    }
}
