//! Authorization server metadata (RFC 8414), generated from the same [`Config`] that drives the
//! endpoints, so it cannot advertise a grant, PKCE method or authentication method the
//! endpoints refuse (META-01 to META-04).

use serde::Serialize;

use crate::config::Config;
use crate::types::{GrantType, ScopeSet};

/// The well-known suffix (RFC 8414 §3).
pub const WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

/// Where the endpoints live, as absolute paths on the issuer's host (RFC 8414 §2 does not put
/// endpoints below the issuer's path). The defaults are the routes of the `oauth-axum` adapter;
/// an adapter mounted under a prefix passes paths that include it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointPaths {
    /// Default `/oauth/authorize`.
    pub authorization: String,
    /// Default `/oauth/token`.
    pub token: String,
    /// Default `/oauth/revoke`.
    pub revocation: String,
    /// Default `/oauth/introspect`.
    pub introspection: String,
    /// Default `/oauth/jwks`; advertised only when the token signer publishes keys.
    pub jwks: String,
}

impl Default for EndpointPaths {
    fn default() -> Self {
        Self {
            authorization: "/oauth/authorize".into(),
            token: "/oauth/token".into(),
            revocation: "/oauth/revoke".into(),
            introspection: "/oauth/introspect".into(),
            jwks: "/oauth/jwks".into(),
        }
    }
}

/// The path at which the metadata of `issuer` is served (RFC 8414 §3.1): the well-known suffix,
/// followed by the issuer's path with any terminating `/` removed. For `https://h.example/t1`
/// that is `/.well-known/oauth-authorization-server/t1`; for `https://h.example`, the suffix
/// alone.
#[must_use]
pub fn well_known_path(issuer: &str) -> String {
    let after_scheme = issuer.split_once("://").map_or(issuer, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    format!("{WELL_KNOWN}{}", path.trim_end_matches('/'))
}

/// `scheme://host[:port]` of `issuer`, without its path.
fn origin_of(issuer: &str) -> &str {
    let start = issuer.find("://").map_or(0, |i| i + 3);
    issuer[start..].find('/').map_or(issuer, |i| &issuer[..start + i])
}

/// The metadata document (RFC 8414 §2) as a struct, for adapters that want to add members.
/// Empty lists are omitted (META-04).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Metadata {
    /// The issuer, byte-identical to the `iss` of authorization responses and JWTs (META-02).
    pub issuer: String,
    /// The issuer's origin + the authorization path.
    pub authorization_endpoint: String,
    /// The issuer's origin + the token path.
    pub token_endpoint: String,
    /// The issuer's origin + the revocation path (RFC 7009).
    pub revocation_endpoint: String,
    /// The issuer's origin + the introspection path (RFC 7662).
    pub introspection_endpoint: String,
    /// The issuer's origin + the JWKS path, when JWT access tokens are signed with a published key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// The configured scopes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    /// `["code"]`.
    pub response_types_supported: Vec<&'static str>,
    /// `["query"]`.
    pub response_modes_supported: Vec<&'static str>,
    /// Every grant the token endpoint implements (never `implicit` or `password`).
    pub grant_types_supported: Vec<&'static str>,
    /// `client_secret_basic`, `client_secret_post` and `none` (public clients).
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// As for the token endpoint (public clients send `client_id`, D7).
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// `client_secret_basic` and `client_secret_post` (a bearer token with the introspection
    /// scope is accepted too, but has no registered method name).
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// `["S256"]`, plus `plain` only where the deployment allows it (D4).
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// `true`: authorization responses carry `iss` (RFC 9207 §3).
    pub authorization_response_iss_parameter_supported: bool,
}

impl Metadata {
    /// The metadata for `config`, with endpoints at `paths` below the issuer and
    /// `scopes_supported` listing `scopes`.
    #[must_use]
    pub fn new(config: &Config, paths: &EndpointPaths, scopes: &ScopeSet) -> Self {
        let base = origin_of(config.issuer());
        let url = |path: &str| format!("{base}{path}");
        let mut pkce = vec!["S256"];
        if config.allows_plain_pkce() {
            pkce.push("plain");
        }
        let with_none = vec!["client_secret_basic", "client_secret_post", "none"];
        Self {
            issuer: config.issuer().to_owned(),
            authorization_endpoint: url(&paths.authorization),
            token_endpoint: url(&paths.token),
            revocation_endpoint: url(&paths.revocation),
            introspection_endpoint: url(&paths.introspection),
            jwks_uri: config.token_signer().and_then(|s| s.jwks()).map(|_| url(&paths.jwks)),
            scopes_supported: scopes.iter().map(str::to_owned).collect(),
            response_types_supported: vec!["code"],
            response_modes_supported: vec!["query"],
            grant_types_supported: GrantType::ALL.iter().map(|g| g.as_str()).collect(),
            token_endpoint_auth_methods_supported: with_none.clone(),
            revocation_endpoint_auth_methods_supported: with_none,
            introspection_endpoint_auth_methods_supported: vec!["client_secret_basic", "client_secret_post"],
            code_challenge_methods_supported: pkce,
            authorization_response_iss_parameter_supported: true,
        }
    }

    /// The document as JSON (RFC 8414 §3.2), to serve with `Content-Type: application/json`.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::entropy::SeededEntropy;

    #[test]
    fn well_known_paths() {
        assert_eq!(well_known_path("https://h.example"), WELL_KNOWN);
        assert_eq!(well_known_path("https://h.example/"), WELL_KNOWN);
        assert_eq!(well_known_path("https://h.example/t1"), "/.well-known/oauth-authorization-server/t1");
        assert_eq!(well_known_path("https://h.example/t1/"), "/.well-known/oauth-authorization-server/t1");
        assert_eq!(well_known_path("http://127.0.0.1:8080"), WELL_KNOWN);
    }

    #[test]
    fn document_matches_config() {
        let config = Config::new("https://h.example/t1", Arc::new(SeededEntropy::new(1))).unwrap();
        let m = Metadata::new(&config, &EndpointPaths::default(), &ScopeSet::parse("read write").unwrap());
        let v: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(v["issuer"], "https://h.example/t1");
        assert_eq!(v["token_endpoint"], "https://h.example/oauth/token");
        assert_eq!(origin_of("https://h.example"), "https://h.example");
        assert_eq!(origin_of("http://127.0.0.1:8080/a/b/"), "http://127.0.0.1:8080");
        assert_eq!(v["code_challenge_methods_supported"], serde_json::json!(["S256"]));
        assert_eq!(v["scopes_supported"], serde_json::json!(["read", "write"]));
        assert!(v.get("jwks_uri").is_none());
        assert_eq!(v["authorization_response_iss_parameter_supported"], true);
        let m = Metadata::new(&config.with_plain_pkce(true), &EndpointPaths::default(), &ScopeSet::new());
        assert_eq!(m.code_challenge_methods_supported, ["S256", "plain"]);
        assert!(!m.to_json().contains("scopes_supported"));
    }
}
