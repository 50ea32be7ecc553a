//! The admin API (`/api/v1/oauth-clients`) over HTTP on an ephemeral loopback port: an M2M
//! client created, used, updated, rotated and deleted through the API with a token of the
//! demo's `demo-admin` client; bearer refusals; input validation that leaves nothing behind.

mod common;

use common::{Server, http};
use oauth_server::ServerConfig;
use serde_json::{Value, json};

/// The admin API's requests and the demo's tokens, on the shared harness.
impl Server {
    /// A client-credentials token request with the secret in the body (client_secret_post).
    async fn token(&self, client_id: &str, secret: &str, scope: &str) -> reqwest::Response {
        http()
            .post(self.url("/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("scope", scope),
            ])
            .send()
            .await
            .unwrap()
    }

    async fn access_token(&self, client_id: &str, secret: &str, scope: &str) -> String {
        let response = self.token(client_id, secret, scope).await;
        assert_eq!(response.status(), 200, "token for {client_id}");
        body(response).await["access_token"].as_str().unwrap().to_owned()
    }

    fn api(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        http().request(method, self.url(&format!("/api/v1/oauth-clients{path}"))).bearer_auth(token)
    }

    fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.api(reqwest::Method::GET, path, token)
    }

    fn post_json(&self, path: &str, token: &str, value: &Value) -> reqwest::RequestBuilder {
        self.api(reqwest::Method::POST, path, token).header("content-type", "application/json").body(value.to_string())
    }

    fn patch_json(&self, path: &str, token: &str, value: &Value) -> reqwest::RequestBuilder {
        self.api(reqwest::Method::PATCH, path, token).header("content-type", "application/json").body(value.to_string())
    }

    fn delete(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.api(reqwest::Method::DELETE, path, token)
    }

    async fn admin_token(&self) -> String {
        self.access_token("demo-admin", "demo-admin-secret", "admin_classic").await
    }

    async fn client_count(&self, token: &str) -> usize {
        let list = send(self.get("", token)).await;
        assert_eq!(list.status(), 200);
        body(list).await["data"].as_array().unwrap().len()
    }
}

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    let response = request.send().await.unwrap();
    // Every answer of the admin API, refusals included, must not be cached.
    if response.url().path().starts_with("/api/") {
        assert_eq!(response.headers()["cache-control"], "no-store", "{}", response.url());
    }
    response
}

async fn body(response: reqwest::Response) -> Value {
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

/// Asserts a 400/404/413-style JSON error: the status, the `error` code and the start of the
/// description (the field it names).
async fn assert_error(response: reqwest::Response, status: u16, code: &str, description_start: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/json");
    let json = body(response).await;
    assert_eq!(json["error"], code, "{json}");
    let description = json["error_description"].as_str().unwrap();
    assert!(description.starts_with(description_start), "{description:?} should start with {description_start:?}");
}

fn www_authenticate(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"].to_str().unwrap().to_owned()
}

fn is_rfc3339_utc(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[tokio::test]
async fn m2m_client_created_used_updated_rotated_and_deleted() {
    let server = Server::start(ServerConfig::demo()).await;
    let admin = server.admin_token().await;
    let before = server.client_count(&admin).await;

    // Create an M2M client that may itself use the admin API.
    let created = send(server.post_json(
        "",
        &admin,
        &json!({
            "appType": "web",
            "clientName": "Robot",
            "description": "made by a test",
            "allowedScopes": ["read", "admin_classic"],
            "allowedGrantTypes": ["client_credentials"],
        }),
    ))
    .await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["content-type"], "application/json");
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let created = body(created).await;
    let id = created["clientId"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/oauth-clients/{id}"));
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{id}");
    let secret = created["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 43);
    let hint = created["clientSecretHint"].as_str().unwrap().to_owned();
    assert_eq!(hint, secret[38..]);
    assert_eq!(created["clientName"], "Robot");
    assert_eq!(created["description"], "made by a test");
    assert_eq!(created["appType"], "web");
    assert_eq!(created["redirectUris"], json!([]));
    assert_eq!(created["allowedScopes"], json!(["admin_classic", "read"]));
    assert_eq!(created["allowedGrantTypes"], json!(["client_credentials"]));
    assert_eq!(created["allowedOrigins"], json!([]));
    assert_eq!(created["connectionConfig"], json!({"consentMethod": "required"}));
    assert_eq!(created["createdByType"], "api");
    assert!(is_rfc3339_utc(created["createdAt"].as_str().unwrap()), "{}", created["createdAt"]);
    assert_eq!(created["clientSecrets"].as_array().unwrap().len(), 1);
    assert_eq!(created["clientSecrets"][0]["hint"], hint.as_str());
    assert!(is_rfc3339_utc(created["clientSecrets"][0]["createdAt"].as_str().unwrap()));

    // The new client gets tokens with its secret, in the body or with Basic.
    let robot_token = server.access_token(&id, &secret, "admin_classic").await;
    let basic = http()
        .post(server.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "read")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    assert_eq!(body(basic).await["scope"], "read");

    // List: config and API clients, sorted by id, no secret or digest anywhere.
    let list = send(server.get("", &robot_token)).await;
    assert_eq!(list.status(), 200);
    let text = list.text().await.unwrap();
    assert!(!text.contains(&secret) && !text.contains("clientSecret\"") && !text.contains("digest"));
    let list: Value = serde_json::from_str(&text).unwrap();
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), before + 1);
    let ids: Vec<&str> = data.iter().map(|c| c["clientId"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    let demo_admin = data.iter().find(|c| c["clientId"] == "demo-admin").unwrap();
    assert_eq!(demo_admin["createdByType"], "config");
    assert_eq!(demo_admin["clientSecrets"][0]["hint"], "ecret");
    assert_eq!(demo_admin["allowedGrantTypes"], json!(["client_credentials"]));
    let demo_web = data.iter().find(|c| c["clientId"] == "demo-web").unwrap();
    assert_eq!(demo_web["allowedGrantTypes"], json!([]));
    let demo_spa = data.iter().find(|c| c["clientId"] == "demo-spa").unwrap();
    assert!(demo_spa.get("clientSecrets").is_none());
    assert_eq!(demo_spa["connectionConfig"]["consentMethod"], "trusted");
    let imp = data.iter().find(|c| c["clientId"] == "demo-impersonation").unwrap();
    assert_eq!(imp["allowedGrantTypes"], json!(["urn:qlik:oauth:user-impersonation"]));
    assert_eq!(imp["allowedOrigins"], json!(["https://custom-app.example"]));

    // Get: the create answer without the secret.
    let one = send(server.get(&format!("/{id}"), &admin)).await;
    assert_eq!(one.status(), 200);
    let one = body(one).await;
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("clientSecret");
    expected.as_object_mut().unwrap().remove("clientSecretHint");
    assert_eq!(one, expected);

    // PATCH: rename and append a redirect URI.
    let patched = send(server.patch_json(
        &format!("/{id}"),
        &admin,
        &json!([
            {"op": "replace", "path": "/clientName", "value": "Robot 2"},
            {"op": "add", "path": "/redirectUris/-", "value": "https://robot.example/cb"},
        ]),
    ))
    .await;
    assert_eq!(patched.status(), 204);
    let after = body(send(server.get(&format!("/{id}"), &admin)).await).await;
    assert_eq!(after["clientName"], "Robot 2");
    assert_eq!(after["redirectUris"], json!(["https://robot.example/cb"]));
    assert_eq!(after["allowedGrantTypes"], json!(["client_credentials"]));
    assert_eq!(after["createdAt"], created["createdAt"]);

    // appType cannot change; an invalid redirect URI is refused and nothing changes, even
    // the operations before it.
    let refused = send(server.patch_json(
        &format!("/{id}"),
        &admin,
        &json!([{"op": "replace", "path": "/appType", "value": "spa"}]),
    ))
    .await;
    assert_error(refused, 400, "invalid_request", "appType: cannot be changed").await;
    let refused = send(server.patch_json(
        &format!("/{id}"),
        &admin,
        &json!([
            {"op": "replace", "path": "/clientName", "value": "Never"},
            {"op": "add", "path": "/redirectUris/-", "value": "http://robot.example/cb"},
        ]),
    ))
    .await;
    assert_error(refused, 400, "invalid_request", "redirectUris[1]: ").await;
    let refused =
        send(server.patch_json(&format!("/{id}"), &admin, &json!([{"op": "remove", "path": "/redirectUris/5"}]))).await;
    assert_error(refused, 400, "invalid_request", "redirectUris[5]: does not exist").await;
    assert_eq!(body(send(server.get(&format!("/{id}"), &admin)).await).await, after);

    // Consent method.
    let consent = send(server.patch_json(
        &format!("/{id}/connection-configs/me"),
        &admin,
        &json!([{"op": "replace", "path": "/consentMethod", "value": "trusted"}]),
    ))
    .await;
    assert_eq!(consent.status(), 204);
    let after = body(send(server.get(&format!("/{id}"), &admin)).await).await;
    assert_eq!(after["connectionConfig"], json!({"consentMethod": "trusted"}));
    let refused = send(server.patch_json(
        &format!("/{id}/connection-configs/me"),
        &admin,
        &json!([{"op": "replace", "path": "/consentMethod", "value": "sometimes"}]),
    ))
    .await;
    assert_error(refused, 400, "invalid_request", "consentMethod: ").await;

    // Secret rotation: the new secret works at once and the old one until it is deleted.
    let rotated = send(server.api(reqwest::Method::POST, &format!("/{id}/client-secrets"), &admin)).await;
    assert_eq!(rotated.status(), 201);
    let rotated = body(rotated).await;
    let new_secret = rotated["clientSecret"].as_str().unwrap().to_owned();
    let new_hint = rotated["hint"].as_str().unwrap().to_owned();
    assert_eq!(new_secret.len(), 43);
    assert_eq!(new_hint, new_secret[38..]);
    assert!(is_rfc3339_utc(rotated["createdAt"].as_str().unwrap()));
    assert_eq!(server.token(&id, &new_secret, "read").await.status(), 200);
    assert_eq!(server.token(&id, &secret, "read").await.status(), 200);
    let hints = body(send(server.get(&format!("/{id}"), &admin)).await).await["clientSecrets"].clone();
    assert_eq!(
        hints.as_array().unwrap().iter().map(|s| s["hint"].as_str().unwrap()).collect::<Vec<_>>(),
        [hint.as_str(), new_hint.as_str()]
    );
    // `{}` is accepted as well.
    let third = send(server.post_json(&format!("/{id}/client-secrets"), &admin, &json!({}))).await;
    assert_eq!(third.status(), 201);
    let third_hint = body(third).await["hint"].as_str().unwrap().to_owned();
    assert_eq!(send(server.delete(&format!("/{id}/client-secrets/{third_hint}"), &admin)).await.status(), 204);
    let gone = send(server.delete(&format!("/{id}/client-secrets/{hint}"), &admin)).await;
    assert_eq!(gone.status(), 204);
    let old = server.token(&id, &secret, "read").await;
    assert_eq!(old.status(), 401);
    assert_eq!(body(old).await["error"], "invalid_client");
    assert_eq!(server.token(&id, &new_secret, "read").await.status(), 200);
    assert_error(
        send(server.delete(&format!("/{id}/client-secrets/{hint}"), &admin)).await,
        404,
        "not_found",
        "no such secret",
    )
    .await;
    assert_error(
        send(server.delete(&format!("/{id}/client-secrets/{new_hint}"), &admin)).await,
        400,
        "invalid_request",
        "clientSecrets: a web client needs at least one secret",
    )
    .await;

    // The robot's admin token works until its client is deleted.
    assert_eq!(send(server.get("", &robot_token)).await.status(), 200);
    let deleted = send(server.delete(&format!("/{id}"), &admin)).await;
    assert_eq!(deleted.status(), 204);
    let after_delete = send(server.get("", &robot_token)).await;
    assert_eq!(after_delete.status(), 401);
    assert!(www_authenticate(&after_delete).contains("error=\"invalid_token\""));
    assert_eq!(body(after_delete).await["error"], "invalid_token");
    // It can no longer authenticate.
    let refused = server.token(&id, &new_secret, "read").await;
    assert_eq!(refused.status(), 401);
    assert_eq!(body(refused).await["error"], "invalid_client");
    // And it is gone from the API.
    let missing = send(server.get(&format!("/{id}"), &admin)).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(body(missing).await, json!({"error": "not_found", "error_description": "no such client"}));
    assert_error(send(server.delete(&format!("/{id}"), &admin)).await, 404, "not_found", "no such client").await;
    assert_eq!(server.client_count(&admin).await, before);
    server.stop().await;
}

#[tokio::test]
async fn bearer_refusals() {
    let server = Server::start(ServerConfig::demo()).await;
    let admin = server.admin_token().await;

    // No Authorization header: 401, a bare challenge and no error code (RFC 6750 §3.1).
    let none = send(http().get(server.url("/api/v1/oauth-clients"))).await;
    assert_eq!(none.status(), 401);
    assert_eq!(www_authenticate(&none), "Bearer realm=\"oauth-clients\"");
    // A token in the query string is not accepted.
    let query = send(http().get(server.url(&format!("/api/v1/oauth-clients?access_token={admin}")))).await;
    assert_eq!(query.status(), 401);
    assert_eq!(www_authenticate(&query), "Bearer realm=\"oauth-clients\"");
    // Nothing is created without a token.
    let create =
        send(http().post(server.url("/api/v1/oauth-clients")).header("content-type", "application/json").body(
            json!({"appType": "web", "clientName": "x", "allowedGrantTypes": ["client_credentials"]}).to_string(),
        ))
        .await;
    assert_eq!(create.status(), 401);

    // Another scheme is an unsupported authentication method: a bare challenge (RFC 6750 §3.1).
    let basic =
        send(http().get(server.url("/api/v1/oauth-clients")).basic_auth("demo-admin", Some("demo-admin-secret"))).await;
    assert_eq!(basic.status(), 401);
    assert_eq!(www_authenticate(&basic), "Bearer realm=\"oauth-clients\"");

    // An unknown token: 401 invalid_token.
    let bad = send(server.get("", "not-a-token")).await;
    assert_eq!(bad.status(), 401);
    assert!(www_authenticate(&bad).starts_with("Bearer realm=\"oauth-clients\", error=\"invalid_token\""));
    assert_eq!(body(bad).await["error"], "invalid_token");

    // A valid token without the admin scope: 403 insufficient_scope naming the scope.
    let read = server.access_token("demo-service", "demo-service-secret", "read").await;
    for request in [
        server.get("", &read),
        server.get("/demo-web", &read),
        server.delete("/demo-web", &read),
        server.post_json("/demo-web/client-secrets", &read, &json!({})),
    ] {
        let forbidden = send(request).await;
        assert_eq!(forbidden.status(), 403);
        let challenge = www_authenticate(&forbidden);
        assert!(challenge.starts_with("Bearer realm=\"oauth-clients\", error=\"insufficient_scope\""), "{challenge}");
        assert!(challenge.ends_with(", scope=\"admin_classic\""), "{challenge}");
        assert_eq!(body(forbidden).await["error"], "insufficient_scope");
    }

    // The admin token from a browser origin its client does not allow: invalid_token.
    let cross = send(server.get("", &admin).header("origin", "https://evil.example")).await;
    assert_eq!(cross.status(), 401);
    assert!(www_authenticate(&cross).contains("error=\"invalid_token\""));

    // The admin token itself works; demo-web is untouched.
    assert_eq!(send(server.get("/demo-web", &admin)).await.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn refused_input_leaves_nothing_behind() {
    let server = Server::start(ServerConfig::demo()).await;
    let admin = server.admin_token().await;
    let before = server.client_count(&admin).await;
    let web = |extra: Value| {
        let mut body = json!({"appType": "web", "clientName": "W", "allowedGrantTypes": ["client_credentials"]});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };

    let cases: Vec<(Value, &str)> = vec![
        (json!([]), "body: must be a JSON object"),
        (json!({"clientName": "x"}), "appType: required"),
        (json!({"appType": "web"}), "clientName: required"),
        (web(json!({"appType": "desktop"})), "appType: must be web, spa or native"),
        (web(json!({"clientName": ""})), "clientName: must be 1 to 256 characters"),
        (web(json!({"clientName": "x".repeat(257)})), "clientName: must be 1 to 256 characters"),
        (web(json!({"description": "x".repeat(1025)})), "description: at most 1024 characters"),
        (web(json!({"clientId": "mine"})), "clientId: read-only"),
        (web(json!({"colour": "red"})), "colour: unknown member"),
        (web(json!({"redirectUris": "https://a.example/cb"})), "redirectUris: must be an array of strings"),
        (web(json!({"redirectUris": ["https://a.example/cb", 7]})), "redirectUris[1]: must be a string"),
        (web(json!({"redirectUris": ["https://a.example/cb", "/relative"]})), "redirectUris[1]: "),
        (web(json!({"redirectUris": ["https://a.example/cb#frag"]})), "redirectUris[0]: "),
        (web(json!({"allowedGrantTypes": ["password"]})), "allowedGrantTypes[0]: must be client_credentials or"),
        (web(json!({"allowedGrantTypes": ["authorization_code"]})), "allowedGrantTypes[0]: "),
        (web(json!({"allowedGrantTypes": []})), "allowedGrantTypes: a web client without redirectUris"),
        (web(json!({"allowedScopes": ["ok", "bad\"scope"]})), "allowedScopes[1]: "),
        (web(json!({"allowedOrigins": ["https://a.example"]})), "allowedOrigins: "),
        (web(json!({"connectionConfig": {"consentMethod": "maybe"}})), "connectionConfig.consentMethod: "),
        (web(json!({"connectionConfig": {"other": 1}})), "connectionConfig.other: unknown member"),
        (
            json!({"appType": "spa", "clientName": "S", "redirectUris": ["https://s.example/cb"],
                   "allowedGrantTypes": ["client_credentials"]}),
            "allowedGrantTypes: ",
        ),
        (json!({"appType": "spa", "clientName": "S"}), "redirectUris: "),
    ];
    for (request, expected) in cases {
        let response = send(server.post_json("", &admin, &request)).await;
        assert_error(response, 400, "invalid_request", expected).await;
    }
    // A repeated member is refused rather than the last one taken.
    let repeated = send(
        server
            .api(reqwest::Method::POST, "", &admin)
            .header("content-type", "application/json")
            .body(r#"{"appType":"web","appType":"spa","clientName":"x"}"#),
    )
    .await;
    assert_error(repeated, 400, "invalid_request", "appType: repeated member").await;
    // Not JSON, or not declared as JSON.
    let text =
        send(server.api(reqwest::Method::POST, "", &admin).header("content-type", "text/plain").body("{}")).await;
    assert_error(text, 400, "invalid_request", "Content-Type: must be application/json").await;
    let broken =
        send(server.api(reqwest::Method::POST, "", &admin).header("content-type", "application/json").body("{")).await;
    assert_error(broken, 400, "invalid_request", "body: not valid JSON").await;
    // Over 64 KiB: 413.
    let big = web(json!({"description": "x".repeat(70 * 1024)}));
    assert_error(send(server.post_json("", &admin, &big)).await, 413, "invalid_request", "body: larger than 65536")
        .await;
    assert_eq!(server.client_count(&admin).await, before);

    // A wrong method: 405, still no-store.
    let put = send(server.api(reqwest::Method::PUT, "", &admin)).await;
    assert_eq!(put.status(), 405);

    // A public client: no secret, and none can be added.
    let spa = send(server.post_json(
        "",
        &admin,
        &json!({"appType": "spa", "clientName": "S", "redirectUris": ["https://s.example/cb"],
                "allowedOrigins": ["https://s.example"], "connectionConfig": {"consentMethod": "trusted"}}),
    ))
    .await;
    assert_eq!(spa.status(), 201);
    let spa = body(spa).await;
    assert!(spa.get("clientSecret").is_none() && spa.get("clientSecrets").is_none());
    assert_eq!(spa["allowedGrantTypes"], json!([]));
    let spa_id = spa["clientId"].as_str().unwrap();
    assert_error(
        send(server.api(reqwest::Method::POST, &format!("/{spa_id}/client-secrets"), &admin)).await,
        400,
        "invalid_request",
        "clientSecrets: spa and native clients have no secret",
    )
    .await;
    // Removing its only redirect URI is refused: it needs one for the authorization code.
    let refused =
        send(server.patch_json(&format!("/{spa_id}"), &admin, &json!([{"op": "remove", "path": "/redirectUris/0"}])))
            .await;
    assert_error(refused, 400, "invalid_request", "redirectUris: ").await;

    // A web client holds at most five secrets.
    let web_client = body(send(server.post_json("", &admin, &web(json!({})))).await).await;
    let web_id = web_client["clientId"].as_str().unwrap();
    for _ in 0..4 {
        let added = send(server.api(reqwest::Method::POST, &format!("/{web_id}/client-secrets"), &admin)).await;
        assert_eq!(added.status(), 201);
    }
    assert_error(
        send(server.api(reqwest::Method::POST, &format!("/{web_id}/client-secrets"), &admin)).await,
        400,
        "invalid_request",
        "clientSecrets: at most 5",
    )
    .await;
    let bad_body = send(server.post_json(&format!("/{web_id}/client-secrets"), &admin, &json!({"hint": "x"}))).await;
    assert_error(bad_body, 400, "invalid_request", "hint: unknown member").await;

    // Unknown clients: 404 everywhere.
    for request in [
        server.get("/nobody", &admin),
        server.patch_json("/nobody", &admin, &json!([])),
        server.patch_json("/nobody/connection-configs/me", &admin, &json!([])),
        server.delete("/nobody", &admin),
        server.api(reqwest::Method::POST, "/nobody/client-secrets", &admin),
        server.delete("/nobody/client-secrets/abcde", &admin),
    ] {
        assert_error(send(request).await, 404, "not_found", "no such client").await;
    }
    assert_eq!(server.client_count(&admin).await, before + 2);
    server.stop().await;
}

#[tokio::test]
async fn configured_clients_are_managed_like_created_ones() {
    let server = Server::start(ServerConfig::demo()).await;
    let admin = server.admin_token().await;
    let patched = send(server.patch_json(
        "/demo-service",
        &admin,
        &json!([
            {"op": "replace", "path": "/description", "value": "from the file"},
            {"op": "add", "path": "/allowedScopes/-", "value": "write"},
        ]),
    ))
    .await;
    assert_eq!(patched.status(), 204);
    let service = body(send(server.get("/demo-service", &admin)).await).await;
    assert_eq!(service["description"], "from the file");
    assert_eq!(service["allowedScopes"], json!(["read", "write"]));
    assert_eq!(service["createdByType"], "config");
    // The configured secret still works, now with the new scope.
    let token = server.token("demo-service", "demo-service-secret", "write").await;
    assert_eq!(token.status(), 200);
    // Rotation works on a configured client too.
    let added = send(server.api(reqwest::Method::POST, "/demo-service/client-secrets", &admin)).await;
    let new_secret = body(added).await["clientSecret"].as_str().unwrap().to_owned();
    assert_eq!(send(server.delete("/demo-service/client-secrets/ecret", &admin)).await.status(), 204);
    assert_eq!(server.token("demo-service", "demo-service-secret", "read").await.status(), 401);
    assert_eq!(server.token("demo-service", &new_secret, "read").await.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn admin_scope_is_configurable() {
    let config = ServerConfig::from_toml(
        r#"
admin_scope = "clients.admin"

[[clients]]
client_id = "ops"
app_type = "web"
client_secret = "ops-secret"
allowed_scopes = ["clients.admin", "admin_classic"]
allowed_grant_types = ["client_credentials"]
"#,
    )
    .unwrap();
    let server = Server::start(config).await;
    let classic = server.access_token("ops", "ops-secret", "admin_classic").await;
    let forbidden = send(server.get("", &classic)).await;
    assert_eq!(forbidden.status(), 403);
    assert!(www_authenticate(&forbidden).ends_with(", scope=\"clients.admin\""));
    let admin = server.access_token("ops", "ops-secret", "clients.admin").await;
    let list = send(server.get("", &admin)).await;
    assert_eq!(list.status(), 200);
    let list = body(list).await;
    assert_eq!(list["data"][0]["clientId"], "ops");
    assert_eq!(list["data"][0]["clientSecrets"][0]["hint"], "ret");
    server.stop().await;
}
