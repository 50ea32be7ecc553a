//! Target `redirect_uri`: redirect-URI registration ([`Client::register`]) and matching
//! ([`Client::matches_redirect_uri`], D5, RFC 8252 §7.3), and where the authorization endpoint
//! then redirects.
//!
//! The input is lines: the application type (`web`, `spa`, `native`; anything else registers
//! none), then the registered redirect URIs, and last the `redirect_uri` of an authorization
//! request (an empty last line sends none).

use oauth_core::{
    AppType, AuthorizeRequest, Client, ClientRegistration, Driven, OwnerDecision, Response, TokenDigest, UnixTime,
    authorize, drive,
};
use oauth_memory::MemoryStore;

use crate::check;
use crate::fixture::{self, C1, ISSUER, NOW, form_encode};

/// Longest redirect URI the core accepts, in bytes (`oauth_core::client::MAX_REDIRECT_URI_BYTES`).
const MAX_URI: usize = 2048;

/// For `http://127.0.0.1[:port]rest` or `http://[::1][:port]rest` with a port of 1 to 65535 and
/// a `rest` that is empty or starts with `/` or `?`: the host and `rest`. Written from RFC 8252
/// §7.3 independently of the core.
fn loopback(uri: &str) -> Option<(&str, &str)> {
    let after = uri.strip_prefix("http://")?;
    let host = ["127.0.0.1", "[::1]"].into_iter().find(|h| after.starts_with(h))?;
    let after = &after[host.len()..];
    let rest = match after.strip_prefix(':') {
        None => after,
        Some(p) => {
            let end = p.find(|c: char| !c.is_ascii_digit()).unwrap_or(p.len());
            let port: u32 = p[..end].parse().ok().filter(|_| (1..=5).contains(&end))?;
            if !(1..=65535).contains(&port) {
                return None;
            }
            &p[end..]
        }
    };
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')).then_some((host, rest))
}

/// Whether the registration rules of the core's documentation hold for `uri`: at most 2048
/// bytes of visible ASCII other than `"<>\^`{|}`, no fragment, an absolute URI whose scheme is
/// `https` with a host and no user information, `http` on a loopback IP for a native client, or
/// a private-use scheme containing `.` for a native client.
fn registrable(uri: &str, app: AppType) -> bool {
    let chars_ok = uri.len() <= MAX_URI && uri.bytes().all(|b| b.is_ascii_graphic() && !b"\"<>\\^`{|}#".contains(&b));
    let Some((scheme, rest)) = uri.split_once(':') else { return false };
    let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !chars_ok || !scheme_ok {
        return false;
    }
    match scheme {
        "https" => rest.strip_prefix("//").is_some_and(|a| {
            let authority = a.split(['/', '?']).next().unwrap_or("");
            !authority.is_empty() && !authority.contains('@')
        }),
        "http" => app == AppType::Native && loopback(uri).is_some(),
        _ => app == AppType::Native && scheme.contains('.'),
    }
}

/// Whether a request for `requested` may be redirected for a client of type `app` with
/// `registered` URIs: an exact match, or for a native client a loopback URI equal to a
/// registered one but for the port (RFC 8252 §7.3).
fn may_redirect(app: AppType, registered: &[String], requested: &str) -> bool {
    if requested.len() > MAX_URI {
        return false;
    }
    if registered.iter().any(|r| r == requested) {
        return true;
    }
    app == AppType::Native
        && loopback(requested).is_some_and(|(h, rest)| registered.iter().any(|r| loopback(r) == Some((h, rest))))
}

/// Target `redirect_uri`; see the module documentation for the input.
///
/// Invariants: never panics; a registered client's redirect URIs all obey the documented rules,
/// and a registration without redirect URIs is refused (the client may use the authorization
/// code grant); every registered URI matches itself; a requested URI matches exactly when it is
/// registered, or, for a native client, is a loopback URI that differs from a registered one
/// only in its port; the authorization endpoint redirects (answer, error or owner question)
/// exactly when the requested URI matches (or none is sent and exactly one is registered),
/// always to that URI, and otherwise answers 400 JSON without a redirect.
pub fn redirect_uri(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines: Vec<&str> = text.split('\n').collect();
    let app = match lines.first().copied() {
        Some("web") => Some(AppType::Web),
        Some("spa") => Some(AppType::Spa),
        Some("native") => Some(AppType::Native),
        _ => None,
    };
    let (registered, requested) = match lines.as_slice() {
        [_, middle @ .., last] => (middle.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(), *last),
        _ => (Vec::new(), ""),
    };
    let reg = ClientRegistration {
        client_id: "fuzz-client".into(),
        app_type: app,
        secret_digests: if app == Some(AppType::Web) { vec![TokenDigest::of("s3cret")] } else { vec![] },
        redirect_uris: registered.clone(),
        allowed_scopes: vec!["read".into()],
        ..ClientRegistration::default()
    };
    let Ok(client) = Client::register(reg) else { return };
    let app = client.app_type();
    assert!(!registered.is_empty(), "an authorization-code client registered without redirect URIs");
    for r in &registered {
        assert!(registrable(r, app), "registered a redirect URI that breaks the rules");
        assert!(client.matches_redirect_uri(r), "a registered redirect URI does not match itself");
    }
    let matches = client.matches_redirect_uri(requested);
    assert_eq!(matches, may_redirect(app, &registered, requested), "redirect URI matching");
    if app != AppType::Native {
        assert_eq!(matches, registered.iter().any(|r| r == requested), "exact matching for web and spa clients");
    }

    // Where the authorization endpoint redirects.
    let expected = if requested.is_empty() {
        match registered.as_slice() {
            [only] => Some(only.as_str()),
            _ => None,
        }
    } else {
        matches.then_some(requested)
    };
    let store = MemoryStore::with_clients([client]);
    let config = fixture::config(1, false);
    let now = UnixTime::from_secs(NOW);
    let mut query =
        format!("response_type=code&client_id=fuzz-client&state=xyz&code_challenge={C1}&code_challenge_method=S256");
    if !requested.is_empty() {
        query.push_str("&redirect_uri=");
        query.push_str(&form_encode(requested));
    }
    let step = authorize::start(&config, AuthorizeRequest::from_query(Some(&query)), now);
    let resp = match drive(&store, step) {
        Driven::NeedOwner(owner) => {
            assert!(expected.is_some(), "asked the owner for a request whose redirect URI does not match");
            let decision = OwnerDecision::Approve(oauth_core::Approval::new("user-1".into(), now));
            match drive(&store, owner.resume(decision)) {
                Driven::Respond(r) => r,
                Driven::NeedOwner(_) => panic!("asked the owner twice"),
            }
        }
        Driven::Respond(r) => r,
    };
    let http = resp.to_http();
    match (&resp, expected) {
        (Response::Redirect(_), Some(base)) => {
            let answer = check::redirect(&http, base, Some("xyz"), false, ISSUER);
            assert!(answer.code.is_some(), "an approved request with a good redirect URI got no code");
        }
        (Response::Redirect(_), None) => panic!("redirected to a URI that is not registered"),
        (Response::Error(_), None) => {
            let code = check::oauth_error(&http, check::AUTHORIZE_DIRECT_ERRORS);
            assert_eq!(code, "invalid_request", "a bad redirect URI is invalid_request");
        }
        (Response::Error(_), Some(_)) => panic!("a JSON error for a request with a good redirect URI"),
        _ => panic!("the authorization endpoint answered with a token response"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_oracle() {
        assert_eq!(loopback("http://127.0.0.1:51004/cb"), Some(("127.0.0.1", "/cb")));
        assert_eq!(loopback("http://[::1]/cb"), Some(("[::1]", "/cb")));
        assert_eq!(loopback("http://127.0.0.1:0/cb"), None);
        assert_eq!(loopback("http://127.0.0.1:65536/cb"), None);
        assert_eq!(loopback("http://127.0.0.1:/cb"), None);
        assert_eq!(loopback("http://127.0.0.1.evil/cb"), None);
        assert_eq!(loopback("http://127.0.0.1:123456/cb"), None);
    }

    #[test]
    fn field_cases() {
        redirect_uri(b"native\nhttp://127.0.0.1/cb\nhttp://127.0.0.1:51004/cb");
        redirect_uri(b"web\nhttps://app.example/cb\nhttps://APP.example/cb");
        redirect_uri(b"web\nhttps://app.example/cb\n");
        redirect_uri(b"spa\nhttps://spa.example/cb?x=1&\nhttps://spa.example/cb?x=1&");
    }
}
