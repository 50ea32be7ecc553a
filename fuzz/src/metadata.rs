//! Target `metadata`: the authorization server metadata (RFC 8414) for an arbitrary issuer:
//! [`oauth_core::metadata::well_known_path`] on any string, and, for an issuer
//! [`oauth_core::Config`] accepts, the document [`oauth_core::Metadata`] builds.
//!
//! The input is the issuer (UTF-8; other input is skipped). A first line `dev` selects
//! [`Config::new_for_development`], `plain` also allows `plain` PKCE, `jwt` signs access
//! tokens with HS256; the rest of the input after such a line is the issuer.

use std::sync::Arc;

use oauth_core::metadata::{WELL_KNOWN, well_known_path};
use oauth_core::{Config, EndpointPaths, Hs256Signer, Metadata, ScopeSet, SeededEntropy};
use serde_json::Value;

/// Target `metadata`; see the module documentation.
///
/// Invariants: never panics; the well-known path is `/.well-known/oauth-authorization-server`
/// followed by the issuer's path without its trailing `/` (RFC 8414 §3.1), computed here on its
/// own, and holds no `?`, `#` or control character when the issuer is valid; the document of a
/// valid issuer is JSON whose `issuer` is the issuer byte for byte (RFC 8414 §2, RFC 9207), whose
/// endpoints are the issuer's origin (`scheme://host[:port]`, its path dropped: the paths are
/// absolute on the issuer's host) followed by the default paths, which
/// advertises `S256` (and `plain` only when allowed), the grants the token endpoint implements
/// and no `jwks_uri` for a symmetric key, and omits `scopes_supported` when there are none.
pub fn metadata(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (flags, issuer) = match text.split_once('\n') {
        Some((first, rest)) if first.split(' ').all(|f| matches!(f, "dev" | "plain" | "jwt")) => (first, rest),
        _ => ("", text),
    };
    let path = well_known_path(issuer);
    let after_scheme = issuer.find("://").map_or(issuer, |i| &issuer[i + 3..]);
    let own = after_scheme.find('/').map_or("", |i| &after_scheme[i..]).trim_end_matches('/');
    assert_eq!(path, format!("{WELL_KNOWN}{own}"), "well_known_path differs from RFC 8414 §3.1");

    let entropy = Arc::new(SeededEntropy::new(1));
    let config =
        if flags.contains("dev") { Config::new_for_development(issuer, entropy) } else { Config::new(issuer, entropy) };
    let Ok(mut config) = config else { return };
    assert!(!path.contains(['?', '#']) && !path.chars().any(char::is_control), "a valid issuer's path is odd");
    let plain = flags.contains("plain");
    config = config.with_plain_pkce(plain);
    if flags.contains("jwt") {
        let signer = Hs256Signer::new(&[7; 32], None).unwrap_or_else(|_| panic!("invariant: a 32-byte key"));
        config = config.with_jwt_access_tokens(Arc::new(signer)).unwrap_or_else(|_| panic!("HS256 refused"));
    }
    let scopes = ScopeSet::parse("read write").unwrap_or_else(|_| panic!("invariant: a valid scope"));
    for scopes in [ScopeSet::new(), scopes] {
        let doc: Value = serde_json::from_str(&Metadata::new(&config, &EndpointPaths::default(), &scopes).to_json())
            .unwrap_or_else(|_| panic!("the metadata is not JSON"));
        assert_eq!(doc["issuer"].as_str(), Some(issuer), "issuer differs from the configured one");
        let start = issuer.find("://").map_or(0, |i| i + 3);
        let base = issuer[start..].find('/').map_or(issuer, |i| &issuer[..start + i]);
        for (member, route) in [
            ("authorization_endpoint", "/oauth/authorize"),
            ("token_endpoint", "/oauth/token"),
            ("revocation_endpoint", "/oauth/revoke"),
            ("introspection_endpoint", "/oauth/introspect"),
        ] {
            assert_eq!(doc[member].as_str(), Some(format!("{base}{route}").as_str()), "{member}");
        }
        assert!(doc.get("jwks_uri").is_none(), "a jwks_uri for no or a symmetric key");
        let pkce = if plain { serde_json::json!(["S256", "plain"]) } else { serde_json::json!(["S256"]) };
        assert_eq!(doc["code_challenge_methods_supported"], pkce, "PKCE methods");
        let grants: Vec<&str> =
            doc["grant_types_supported"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        assert!(grants.contains(&"authorization_code") && grants.contains(&"client_credentials"), "grants");
        assert!(!grants.contains(&"implicit") && !grants.contains(&"password"), "a grant the server refuses");
        assert_eq!(doc.get("scopes_supported").is_some(), !scopes.is_empty(), "scopes_supported");
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true, "RFC 9207");
    }
}
