//! The `oauth2` crate (v5) as a real client against the real server: authorization code with
//! PKCE for a public (spa) and a confidential client (Basic authentication), client
//! credentials, and refresh with rotation. The authorization step is a plain GET of the URL the
//! crate builds; `dev_login` approves it without a page, and `code` and `state` are read from the
//! `Location` header.

use oauth_conformance::*;
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse, BasicTokenType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};

type AuthCodeClient = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;
type TokenOnlyClient = BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn token_url(srv: &TestServer) -> TokenUrl {
    TokenUrl::new(srv.url("/oauth/token")).unwrap_or_else(|e| panic!("token URL: {e}"))
}

/// An authorization-code client for `client_id` (with `secret` for a confidential client).
fn auth_code_client(srv: &TestServer, client_id: &str, secret: Option<&str>, redirect: &str) -> AuthCodeClient {
    let auth_url = AuthUrl::new(srv.url("/oauth/authorize")).unwrap_or_else(|e| panic!("auth URL: {e}"));
    let redirect = RedirectUrl::new(redirect.to_owned()).unwrap_or_else(|e| panic!("redirect URL: {e}"));
    let client = BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_auth_uri(auth_url)
        .set_token_uri(token_url(srv))
        .set_redirect_uri(redirect);
    match secret {
        Some(s) => client.set_client_secret(ClientSecret::new(s.to_owned())),
        None => client,
    }
}

/// A token-endpoint-only client (client credentials).
fn token_client(srv: &TestServer, client_id: &str, secret: &str) -> TokenOnlyClient {
    BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_client_secret(ClientSecret::new(secret.to_owned()))
        .set_token_uri(token_url(srv))
}

/// Runs the authorization step: builds the URL with the crate, GETs it without following the
/// redirect, checks `state` and `iss`, and returns the code and the PKCE verifier.
async fn authorize(
    srv: &TestServer,
    client: &AuthCodeClient,
    redirect: &str,
    scopes: &[&str],
) -> (AuthorizationCode, PkceCodeVerifier) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge);
    for s in scopes {
        request = request.add_scope(Scope::new((*s).to_owned()));
    }
    let (url, csrf) = request.url();
    let resp = match srv.http().get(url.as_str()).send().await {
        Ok(r) => r,
        Err(e) => panic!("GET of the authorization URL failed: {}", e.without_url()),
    };
    let reply = Reply::read(resp).await;
    let code = srv.assert_code_redirect(&reply, redirect, Some(csrf.secret()));
    (AuthorizationCode::new(code), verifier)
}

fn scopes_of(t: &BasicTokenResponse) -> Vec<String> {
    let mut v: Vec<String> = t.scopes().map(|s| s.iter().map(|s| s.to_string()).collect()).unwrap_or_default();
    v.sort();
    v
}

fn ok<E: std::fmt::Display>(r: Result<BasicTokenResponse, E>, what: &str) -> BasicTokenResponse {
    r.unwrap_or_else(|e| panic!("{what} failed: {e}"))
}

/// Asserts that a token request failed with the server error `expected`.
fn server_error<RE: std::error::Error + 'static>(
    r: Result<BasicTokenResponse, RequestTokenError<RE, oauth2::basic::BasicErrorResponse>>,
    expected: BasicErrorResponseType,
) {
    match r {
        Err(RequestTokenError::ServerResponse(e)) => assert_eq!(e.error(), &expected),
        Err(other) => panic!("expected the server error {expected:?}, got another failure: {other}"),
        Ok(_) => panic!("expected the server error {expected:?}, got tokens"),
    }
}

#[tokio::test]
async fn authorization_code_with_pkce_for_a_public_spa_client() {
    let srv = TestServer::start(FIXTURE).await;
    let client = auth_code_client(&srv, "client-pub", None, CB_PUB);
    let (code, verifier) = authorize(&srv, &client, CB_PUB, &["read", "offline_access"]).await;
    let t = ok(client.exchange_code(code).set_pkce_verifier(verifier).request_async(srv.http()).await, "code exchange");
    assert_eq!(t.token_type(), &BasicTokenType::Bearer);
    assert!(!t.access_token().secret().is_empty());
    assert_eq!(t.expires_in().map(|d| d.as_secs()), Some(3600));
    assert_eq!(scopes_of(&t), ["offline_access", "read"]);
    assert!(t.refresh_token().is_some());
}

#[tokio::test]
async fn authorization_code_with_pkce_for_a_confidential_client_with_basic_auth() {
    let srv = TestServer::start(FIXTURE).await;
    let client = auth_code_client(&srv, "client-a", Some("s3cret"), CB_A);
    let (code, verifier) = authorize(&srv, &client, CB_A, &["read", "write"]).await;
    let t = ok(client.exchange_code(code).set_pkce_verifier(verifier).request_async(srv.http()).await, "code exchange");
    assert_eq!(t.token_type(), &BasicTokenType::Bearer);
    assert_eq!(scopes_of(&t), ["read", "write"]);
    assert!(t.refresh_token().is_none(), "no offline_access, no refresh token");

    // The same with client_secret_post.
    let post = auth_code_client(&srv, "client-a", Some("s3cret"), CB_A).set_auth_type(AuthType::RequestBody);
    let (code, verifier) = authorize(&srv, &post, CB_A, &["read"]).await;
    let t = ok(post.exchange_code(code).set_pkce_verifier(verifier).request_async(srv.http()).await, "code exchange");
    assert_eq!(scopes_of(&t), ["read"]);

    // A wrong secret is invalid_client; a wrong verifier is invalid_grant.
    let wrong = auth_code_client(&srv, "client-a", Some("wrong"), CB_A);
    let (code, verifier) = authorize(&srv, &wrong, CB_A, &["read"]).await;
    server_error(
        wrong.exchange_code(code).set_pkce_verifier(verifier).request_async(srv.http()).await,
        BasicErrorResponseType::InvalidClient,
    );
    let (code, _) = authorize(&srv, &client, CB_A, &["read"]).await;
    let other = PkceCodeVerifier::new(V2.to_owned());
    server_error(
        client.exchange_code(code).set_pkce_verifier(other).request_async(srv.http()).await,
        BasicErrorResponseType::InvalidGrant,
    );
}

#[tokio::test]
async fn client_credentials() {
    let srv = TestServer::start(FIXTURE).await;
    let svc = token_client(&srv, "svc-b", "s3cret-svcb");
    let t = ok(svc.exchange_client_credentials().request_async(srv.http()).await, "client credentials");
    assert_eq!(t.token_type(), &BasicTokenType::Bearer);
    assert_eq!(scopes_of(&t), ["read"]);
    assert!(t.refresh_token().is_none());
    let t = ok(
        svc.exchange_client_credentials().add_scope(Scope::new("read".into())).request_async(srv.http()).await,
        "client credentials with scope",
    );
    assert_eq!(scopes_of(&t), ["read"]);
    server_error(
        svc.exchange_client_credentials().add_scope(Scope::new("write".into())).request_async(srv.http()).await,
        BasicErrorResponseType::InvalidScope,
    );

    // The awkward secret works because the crate form-urlencodes Basic credentials (RFC 6749
    // §2.3.1), and also in the body.
    let c = token_client(&srv, "client-c", "p+q/r:s%t");
    ok(c.exchange_client_credentials().request_async(srv.http()).await, "client-c with Basic");
    let c = c.set_auth_type(AuthType::RequestBody);
    ok(c.exchange_client_credentials().request_async(srv.http()).await, "client-c with the body");

    // A client without the grant.
    let a = token_client(&srv, "client-a", "s3cret");
    server_error(
        a.exchange_client_credentials().request_async(srv.http()).await,
        BasicErrorResponseType::UnauthorizedClient,
    );
}

#[tokio::test]
async fn refresh_with_rotation() {
    let srv = TestServer::start(FIXTURE).await;
    for (client_id, secret, redirect) in [("client-pub", None, CB_PUB), ("client-a", Some("s3cret"), CB_A)] {
        let client = auth_code_client(&srv, client_id, secret, redirect);
        let (code, verifier) = authorize(&srv, &client, redirect, &["read", "write", "offline_access"]).await;
        let t = ok(client.exchange_code(code).set_pkce_verifier(verifier).request_async(srv.http()).await, "exchange");
        let rt1 = t.refresh_token().map(RefreshToken::secret).cloned().unwrap_or_else(|| panic!("no refresh token"));

        let r = ok(
            client.exchange_refresh_token(&RefreshToken::new(rt1.clone())).request_async(srv.http()).await,
            "refresh",
        );
        assert_eq!(scopes_of(&r), ["offline_access", "read", "write"]);
        assert_ne!(r.access_token().secret(), t.access_token().secret());
        let rt2 = r.refresh_token().map(RefreshToken::secret).cloned().unwrap_or_else(|| panic!("no rotated token"));
        assert_ne!(rt1, rt2, "the refresh token rotates");

        // Narrowing for one request.
        let n = ok(
            client
                .exchange_refresh_token(&RefreshToken::new(rt2.clone()))
                .add_scope(Scope::new("read".into()))
                .request_async(srv.http())
                .await,
            "narrowed refresh",
        );
        assert_eq!(scopes_of(&n), ["read"]);
        let rt3 = n.refresh_token().map(RefreshToken::secret).cloned().unwrap_or_else(|| panic!("no rotated token"));

        // The old token now fails with invalid_grant, and its reuse revokes the family.
        server_error(
            client.exchange_refresh_token(&RefreshToken::new(rt1)).request_async(srv.http()).await,
            BasicErrorResponseType::InvalidGrant,
        );
        server_error(
            client.exchange_refresh_token(&RefreshToken::new(rt3)).request_async(srv.http()).await,
            BasicErrorResponseType::InvalidGrant,
        );
    }
}
