//! Target `pkce`: code verifiers and challenges (RFC 7636), alone and through the authorization
//! and token endpoints.
//!
//! The input is three lines: `code_challenge`, `code_challenge_method`, `code_verifier` (an
//! empty line sends no parameter).

use oauth_core::pkce::{self, MAX_VERIFIER_LEN, MIN_VERIFIER_LEN};
use oauth_core::{AuthorizeRequest, CodeChallenge, Driven, OwnerDecision, Response, TokenRequest, UnixTime, drive};

use crate::check;
use crate::fixture::{self, ACCESS_LIFETIME, ISSUER, NOW, form_encode, s256};

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
fn verifier_ok(v: &str) -> bool {
    (MIN_VERIFIER_LEN..=MAX_VERIFIER_LEN).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// A challenge as a store would load it (serde), so any value can be checked; `method` is the
/// wire name (`S256` or `plain`).
fn challenge(method: &str, value: &str) -> CodeChallenge {
    let method = if method == "plain" { "Plain" } else { method };
    let json = serde_json::json!({ "method": method, "value": value });
    serde_json::from_value(json).unwrap_or_else(|_| panic!("invariant: a CodeChallenge deserializes"))
}

/// What the authorization endpoint must decide about the PKCE parameters of a public client
/// (PKCE required; RFC 7636 §4.3, §4.4.1; D4): `true` when it accepts them.
fn authorize_accepts(challenge: &str, method: &str, allow_plain: bool) -> bool {
    if challenge.is_empty() {
        return false;
    }
    match if method.is_empty() { "plain" } else { method } {
        "S256" => challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)),
        "plain" => allow_plain && verifier_ok(challenge),
        _ => false,
    }
}

/// Target `pkce`; see the module documentation for the input.
///
/// Invariants: never panics; [`pkce::is_valid_verifier`] is exactly RFC 7636 §4.1;
/// [`CodeChallenge::verify`] accepts exactly a valid verifier whose S256 transform (computed here
/// independently) or plain value equals the challenge; the authorization endpoint accepts
/// exactly the challenge and method RFC 7636 §4.3 and the configuration allow (with and without
/// `plain`), redirecting `invalid_request` otherwise; a code issued with a challenge is redeemed
/// exactly when the token request's verifier passes that check, and once only.
pub fn pkce(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.split('\n');
    let challenge_text = lines.next().unwrap_or("");
    let method = lines.next().unwrap_or("");
    let verifier = lines.next().unwrap_or("");

    assert_eq!(pkce::is_valid_verifier(verifier), verifier_ok(verifier), "verifier syntax");
    assert_eq!(challenge("S256", &s256(verifier)).verify(verifier), verifier_ok(verifier), "S256 of itself");
    let s256_ok = verifier_ok(verifier) && s256(verifier) == challenge_text;
    assert_eq!(challenge("S256", challenge_text).verify(verifier), s256_ok, "S256 verify");
    let plain_ok = verifier_ok(verifier) && verifier == challenge_text;
    assert_eq!(challenge("plain", challenge_text).verify(verifier), plain_ok, "plain verify");

    for allow_plain in [false, true] {
        through_endpoints(challenge_text, method, verifier, allow_plain);
    }
}

fn through_endpoints(challenge_text: &str, method: &str, verifier: &str, allow_plain: bool) {
    // Values past the form parser's bounds never reach PKCE (the `form` target covers them).
    if [challenge_text, method, verifier].iter().any(|v| v.len() > 2048) {
        return;
    }
    let store = fixture::store();
    let config = fixture::config(2, allow_plain);
    let now = UnixTime::from_secs(NOW);
    let mut query = String::from("response_type=code&client_id=client-pub&redirect_uri=https%3A%2F%2Fspa.example%2Fcb");
    for (name, value) in [("code_challenge", challenge_text), ("code_challenge_method", method)] {
        if !value.is_empty() {
            query.push('&');
            query.push_str(name);
            query.push('=');
            query.push_str(&form_encode(value));
        }
    }
    let accepts = authorize_accepts(challenge_text, method, allow_plain);
    let step = oauth_core::authorize::start(&config, AuthorizeRequest::from_query(Some(&query)), now);
    let owner = match drive(&store, step) {
        Driven::NeedOwner(owner) => owner,
        Driven::Respond(r) => {
            assert!(!accepts, "refused PKCE parameters RFC 7636 allows");
            let answer = check::redirect(&r.to_http(), "https://spa.example/cb", None, false, ISSUER);
            assert_eq!(answer.error.as_deref(), Some("invalid_request"), "bad PKCE parameters are invalid_request");
            return;
        }
    };
    assert!(accepts, "accepted PKCE parameters RFC 7636 refuses");
    let decision = OwnerDecision::Approve(oauth_core::Approval::new("user-1".into(), now));
    let Driven::Respond(resp) = drive(&store, owner.resume(decision)) else { panic!("asked the owner twice") };
    let answer = check::redirect(&resp.to_http(), "https://spa.example/cb", None, false, ISSUER);
    let code = answer.code.unwrap_or_else(|| panic!("an approved request got no code"));
    let stored = challenge(if method.is_empty() { "plain" } else { method }, challenge_text);
    let expected = stored.verify(verifier);
    let mut body = format!(
        "grant_type=authorization_code&client_id=client-pub&redirect_uri=https%3A%2F%2Fspa.example%2Fcb&code={code}"
    );
    if !verifier.is_empty() {
        body.push_str("&code_verifier=");
        body.push_str(&form_encode(verifier));
    }
    for attempt in 0..2 {
        let req = TokenRequest::from_http(Some("application/x-www-form-urlencoded"), None, None, body.as_bytes());
        let Driven::Respond(resp) = drive(&store, oauth_core::token::start(&config, req, now)) else {
            panic!("the token endpoint asked the owner")
        };
        let http = resp.to_http();
        match resp {
            Response::Token(_) => {
                assert!(expected && attempt == 0, "a code was redeemed with a verifier that does not match, or twice");
                let _ = check::token_answer(&http, ACCESS_LIFETIME);
            }
            _ => {
                assert!(!expected || attempt == 1, "the right verifier was refused");
                let code = check::oauth_error(&http, check::TOKEN_ERRORS);
                assert_eq!(code, "invalid_grant", "a failed redemption is invalid_grant");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{C1, RFC7636_CHALLENGE, RFC7636_VERIFIER, V1};

    #[test]
    fn vectors() {
        assert_eq!(s256(RFC7636_VERIFIER), RFC7636_CHALLENGE);
        assert_eq!(s256(V1), C1);
        pkce(format!("{C1}\nS256\n{V1}").as_bytes());
        pkce(format!("{V1}\nplain\n{V1}").as_bytes());
        pkce(format!("{V1}\n\n{V1}").as_bytes());
        pkce(b"\n\n");
    }
}
