//! The admin HTTP API under `/api/v1/oauth-clients`, modelled on the platform's `oauth-clients`
//! API: create, list, get, update and delete clients, rotate their secrets and set their
//! consent method.
//!
//! Every route needs a bearer access token issued by this server (RFC 6750 §2.1), opaque or JWT,
//! checked by [`RequireBearer`] over the server's own store ([`StoreValidator`]): its scope must
//! hold the configured admin scope, it must have been issued to a client acting for itself
//! (client credentials), and that client must still exist and still be allowed the admin scope. Clients from the
//! configuration file and clients created here live in one [`Registry`] and behave the same.
//! Every change is applied to a copy, validated with [`Client::register`] and only then swapped
//! into the [`MemoryStore`] and the registry under one lock, so nothing is ever half-registered.
//! Secrets are generated here, shown once in the answer that creates them, and kept only as
//! their SHA-256 digest with a short hint.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::map_response;
use axum::response::Response;
use axum::routing::{delete, get, patch, post};
use oauth_axum::bearer::{AccessToken, RequireBearer, StoreValidator, TokenValidator, ValidateFuture};
use oauth_axum::{BodyError, header_text};
use oauth_core::bearer::BearerError;
use oauth_core::{
    AppType, Client, ClientRegistration, ClientRegistry as _, Config, ConsentMethod, GrantType, RegistrationError,
    ScopeSet, Secret, TokenDigest, UnixTime, generate_client_id, generate_client_secret, secret_hint,
};
use oauth_memory::{MemoryStore, OsEntropy};
use serde::Serialize;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::config::{ConfigError, ServerConfig};

/// Where the API lives.
const BASE: &str = "/api/v1/oauth-clients";
/// The `realm` of every bearer challenge (RFC 6750 §3).
const REALM: &str = "oauth-clients";
/// Largest request body read, in bytes: 64 KiB; a larger one is answered 413.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest `clientName`, in characters: 256.
const MAX_NAME_CHARS: usize = 256;
/// Longest `description`, in characters: 1024.
const MAX_DESCRIPTION_CHARS: usize = 1024;
/// Most secrets a web client holds at once (rotation): 5.
const MAX_SECRETS: usize = 5;
/// Longest member name or path echoed in an error description, in characters.
const MAX_ECHO_CHARS: usize = 64;
/// Attempts at drawing a fresh `client_id` or a secret with a fresh hint before giving up.
const MAX_DRAWS: usize = 8;

/// The grants `allowedGrantTypes` names. `authorization_code` and `refresh_token` are implied
/// by redirect URIs (and always for spa and native clients), as on the platform.
const EXTRA_GRANTS: [GrantType; 2] = [GrantType::ClientCredentials, GrantType::UserImpersonation];
/// Members a create request may carry.
const CREATE_MEMBERS: [&str; 8] = [
    "appType",
    "clientName",
    "description",
    "redirectUris",
    "allowedScopes",
    "allowedGrantTypes",
    "allowedOrigins",
    "connectionConfig",
];
/// Members the server sets; a request that sends one is refused.
const READ_ONLY: [&str; 6] =
    ["clientId", "clientSecrets", "clientSecret", "clientSecretHint", "createdAt", "createdByType"];

/// Who registered a client: the admin API or the configuration file (`createdByType`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum CreatedBy {
    Api,
    Config,
}

impl CreatedBy {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Config => "config",
        }
    }
}

/// One of a web client's secrets: its digest (what authentication compares), its hint (the
/// last characters of the secret, or for a configured `client_secret_sha256`, whose plaintext
/// the server never saw, `sha256:` and the start of the digest) and when it was added.
#[derive(Clone)]
struct SecretEntry {
    digest: TokenDigest,
    hint: Option<String>,
    created_at: UnixTime,
}

/// A registered client with what the API shows beyond the core's [`Client`].
/// Invariant: `client.secret_digests()` equals the digests of `secrets`, in order, and the
/// store holds an equal client under the same id.
#[derive(Clone)]
struct Entry {
    client: Arc<Client>,
    description: String,
    created_at: UnixTime,
    created_by: CreatedBy,
    secrets: Vec<SecretEntry>,
}

/// The admin API's token check: the server's own store ([`StoreValidator`], which keys opaque
/// and JWT access tokens alike), then the API's rules. The token's client must still exist, or
/// the token is `invalid_token`: deleting a client ends its tokens' admin rights at once. Only a
/// client acting for itself (client credentials) that is still allowed the admin scope keeps
/// that scope: for any other token (one issued for a user, by code or impersonation, since
/// users have no administrator role here; or one whose client lost the scope) the admin scope
/// is taken out of the token's effective scope, so [`RequireBearer`] answers 403
/// `insufficient_scope` naming it, after the `Origin` check as for any token.
struct AdminTokens {
    tokens: StoreValidator<MemoryStore>,
    store: Arc<MemoryStore>,
    required: ScopeSet,
}

impl TokenValidator for AdminTokens {
    fn validate<'a>(&'a self, token: &'a str, now: UnixTime) -> ValidateFuture<'a> {
        Box::pin(async move {
            let mut access = self.tokens.validate(token, now).await?;
            let current = self.store.client(&access.client_id).map_err(BearerError::from_store)?;
            let Some(current) = current else {
                return Err(BearerError::InvalidToken("the access token is not active"));
            };
            if !(access.acts_for_itself() && self.required.is_subset(current.allowed_scopes())) {
                for scope in self.required.iter() {
                    access.scope = access.scope.without(scope);
                }
            }
            Ok(access)
        })
    }
}

/// Every registered client by id, kept in step with the [`MemoryStore`]: both change only under
/// the registry's lock.
pub(crate) struct Registry {
    store: Arc<MemoryStore>,
    required: ScopeSet,
    entropy: OsEntropy,
    clients: Mutex<BTreeMap<String, Entry>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").field("required", &self.required).finish_non_exhaustive()
    }
}

impl Registry {
    /// Registers the configured clients in `store` and in a new registry; they count as created
    /// at `now`.
    ///
    /// # Errors
    /// [`ConfigError`] for `admin_scope` when it is not a scope token (the configuration checks
    /// that already).
    pub(crate) fn new(config: &ServerConfig, store: Arc<MemoryStore>, now: UnixTime) -> Result<Self, ConfigError> {
        let required = ScopeSet::parse(config.admin_scope())
            .map_err(|_| ConfigError::new("admin_scope", "must be one scope token"))?;
        let mut clients = BTreeMap::new();
        for (client, hint) in config.clients_with_hints() {
            store.insert_client(Client::clone(client));
            let secrets = client
                .secret_digests()
                .iter()
                .map(|d| SecretEntry {
                    digest: *d,
                    hint: Some(hint.map_or_else(|| digest_hint(d), str::to_owned)),
                    created_at: now,
                })
                .collect();
            let entry = Entry {
                client: Arc::clone(client),
                description: String::new(),
                created_at: now,
                created_by: CreatedBy::Config,
                secrets,
            };
            clients.insert(client.client_id().to_owned(), entry);
        }
        Ok(Self { store, required, entropy: OsEntropy::new(), clients: Mutex::new(clients) })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        // Every critical section leaves the map consistent before it can panic.
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `POST /api/v1/oauth-clients`.
    fn create(&self, body: &Json, caller: &str, now: UnixTime) -> Result<Response, ApiError> {
        let members = object(body, "", Some(&CREATE_MEMBERS))?;
        let app_type = match member(members, "appType") {
            None => return Err(ApiError::field("appType", "required")),
            Some(v) => app_type(v)?,
        };
        let client_name = match member(members, "clientName") {
            None => return Err(ApiError::field("clientName", "required")),
            Some(v) => client_name(v)?,
        };
        let description = member(members, "description").map(description).transpose()?.unwrap_or_default();
        let array =
            |name: &str| member(members, name).map(|v| strings(v, name)).transpose().map(Option::unwrap_or_default);
        let redirect_uris = array("redirectUris")?;
        let allowed_scopes = array("allowedScopes")?;
        let extra_grants = array("allowedGrantTypes")?;
        let allowed_origins = array("allowedOrigins")?;
        let consent = match member(members, "connectionConfig") {
            None => ConsentMethod::Required,
            Some(v) => {
                let config = object(v, "connectionConfig", Some(&["consentMethod"]))?;
                member(config, "consentMethod")
                    .map(|v| consent_method(v, "connectionConfig.consentMethod"))
                    .transpose()?
                    .unwrap_or(ConsentMethod::Required)
            }
        };
        let draft = Draft {
            client_name,
            description,
            app_type,
            redirect_uris,
            allowed_scopes,
            extra_grants,
            allowed_origins,
            consent,
        };

        let mut clients = self.lock();
        let mut client_id = None;
        for _ in 0..MAX_DRAWS {
            let id = generate_client_id(&self.entropy).map_err(|_| ApiError::unavailable())?;
            if !clients.contains_key(&id) && !self.store.has_client(&id) {
                client_id = Some(id);
                break;
            }
        }
        let client_id = client_id.ok_or_else(ApiError::server_error)?;
        let (secret, secrets) = if app_type.is_confidential() {
            let secret = generate_client_secret(&self.entropy).map_err(|_| ApiError::unavailable())?;
            let entry = SecretEntry { digest: secret.digest(), hint: Some(secret_hint(&secret)), created_at: now };
            (Some(secret), vec![entry])
        } else {
            (None, Vec::new())
        };
        let base = implied_grants(app_type, !draft.redirect_uris.is_empty());
        let client = draft.build(&client_id, &base, &secrets, None)?;
        let entry = Entry {
            client: Arc::new(client),
            description: draft.description,
            created_at: now,
            created_by: CreatedBy::Api,
            secrets,
        };
        self.store.insert_client(Client::clone(&entry.client));
        let body = Created {
            client: View::of(&entry),
            client_secret: secret.as_ref().map(Secret::expose),
            client_secret_hint: entry.secrets.first().and_then(|s| s.hint.as_deref()),
        };
        let mut response = json(StatusCode::CREATED, &body);
        clients.insert(client_id.clone(), entry);
        drop(clients);
        if let Ok(location) = HeaderValue::from_str(&format!("{BASE}/{client_id}")) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        tracing::info!(target: "oauth::audit", client_id, by = caller, "admin: client created");
        Ok(response)
    }

    /// `GET /api/v1/oauth-clients`.
    fn list(&self) -> Response {
        let clients = self.lock();
        json(StatusCode::OK, &List { data: clients.values().map(View::of).collect() })
    }

    /// `GET /api/v1/oauth-clients/{id}`.
    fn get(&self, id: &str) -> Result<Response, ApiError> {
        let clients = self.lock();
        let entry = clients.get(id).ok_or_else(ApiError::no_client)?;
        Ok(json(StatusCode::OK, &View::of(entry)))
    }

    /// `PATCH /api/v1/oauth-clients/{id}`: the operations applied in order to a copy, which
    /// replaces the client only if every operation applies and the result validates.
    fn update(&self, id: &str, ops: Vec<Op>, caller: &str) -> Result<Response, ApiError> {
        let mut clients = self.lock();
        let entry = clients.get(id).ok_or_else(ApiError::no_client)?;
        let mut draft = Draft::of(entry);
        for op in ops {
            draft.apply(op)?;
        }
        let base = kept_grants(entry, &draft);
        let client = draft.build(id, &base, &entry.secrets, Some(entry.client.require_pkce()))?;
        let entry = Entry { client: Arc::new(client), description: draft.description, ..entry.clone() };
        self.commit(&mut clients, entry);
        tracing::info!(target: "oauth::audit", client_id = id, by = caller, "admin: client updated");
        Ok(no_content())
    }

    /// `PATCH /api/v1/oauth-clients/{id}/connection-configs/me`.
    fn set_consent(&self, id: &str, consent: Option<ConsentMethod>, caller: &str) -> Result<Response, ApiError> {
        let mut clients = self.lock();
        let entry = clients.get(id).ok_or_else(ApiError::no_client)?;
        let Some(consent) = consent else { return Ok(no_content()) };
        let draft = Draft { consent, ..Draft::of(entry) };
        let base = kept_grants(entry, &draft);
        let client = draft.build(id, &base, &entry.secrets, Some(entry.client.require_pkce()))?;
        let entry = Entry { client: Arc::new(client), ..entry.clone() };
        self.commit(&mut clients, entry);
        tracing::info!(target: "oauth::audit", client_id = id, by = caller, "admin: consent method changed");
        Ok(no_content())
    }

    /// `DELETE /api/v1/oauth-clients/{id}`: unregisters the client and revokes every grant
    /// issued to it.
    fn delete(&self, id: &str, caller: &str, now: UnixTime) -> Result<Response, ApiError> {
        let mut clients = self.lock();
        clients.remove(id).ok_or_else(ApiError::no_client)?;
        self.store.remove_client(id, now);
        drop(clients);
        tracing::info!(target: "oauth::audit", client_id = id, by = caller, "admin: client deleted");
        Ok(no_content())
    }

    /// `POST /api/v1/oauth-clients/{id}/client-secrets`: one more secret; the others stay valid.
    fn add_secret(&self, id: &str, caller: &str, now: UnixTime) -> Result<Response, ApiError> {
        let mut clients = self.lock();
        let entry = clients.get(id).ok_or_else(ApiError::no_client)?;
        if !entry.client.is_confidential() {
            return Err(ApiError::field("clientSecrets", "spa and native clients have no secret"));
        }
        if entry.secrets.len() >= MAX_SECRETS {
            return Err(ApiError::field("clientSecrets", "at most 5 secrets; delete one first"));
        }
        // A hint names a secret in DELETE, so it must be unique within the client.
        let mut fresh = None;
        for _ in 0..MAX_DRAWS {
            let secret = generate_client_secret(&self.entropy).map_err(|_| ApiError::unavailable())?;
            let hint = secret_hint(&secret);
            if !entry.secrets.iter().any(|s| s.hint.as_deref() == Some(hint.as_str())) {
                fresh = Some((secret, hint));
                break;
            }
        }
        let (secret, hint) = fresh.ok_or_else(ApiError::server_error)?;
        let mut secrets = entry.secrets.clone();
        secrets.push(SecretEntry { digest: secret.digest(), hint: Some(hint.clone()), created_at: now });
        let draft = Draft::of(entry);
        let base = kept_grants(entry, &draft);
        let client = draft.build(id, &base, &secrets, Some(entry.client.require_pkce()))?;
        let entry = Entry { client: Arc::new(client), secrets, ..entry.clone() };
        self.commit(&mut clients, entry);
        drop(clients);
        tracing::info!(target: "oauth::audit", client_id = id, by = caller, "admin: client secret added");
        let body = NewSecret { client_secret: secret.expose(), hint: &hint, created_at: rfc3339(now) };
        Ok(json(StatusCode::CREATED, &body))
    }

    /// `DELETE /api/v1/oauth-clients/{id}/client-secrets/{hint}`.
    fn delete_secret(&self, id: &str, hint: &str, caller: &str) -> Result<Response, ApiError> {
        let mut clients = self.lock();
        let entry = clients.get(id).ok_or_else(ApiError::no_client)?;
        let index = entry
            .secrets
            .iter()
            .position(|s| s.hint.as_deref() == Some(hint))
            .ok_or_else(|| ApiError::not_found("no such secret"))?;
        if entry.secrets.len() == 1 {
            return Err(ApiError::field("clientSecrets", "a web client needs at least one secret"));
        }
        let mut secrets = entry.secrets.clone();
        secrets.remove(index);
        let draft = Draft::of(entry);
        let base = kept_grants(entry, &draft);
        let client = draft.build(id, &base, &secrets, Some(entry.client.require_pkce()))?;
        let entry = Entry { client: Arc::new(client), secrets, ..entry.clone() };
        self.commit(&mut clients, entry);
        tracing::info!(target: "oauth::audit", client_id = id, by = caller, "admin: client secret deleted");
        Ok(no_content())
    }

    /// Swaps a validated entry in: the store first, then the registry, under the lock.
    fn commit(&self, clients: &mut BTreeMap<String, Entry>, entry: Entry) {
        self.store.insert_client(Client::clone(&entry.client));
        clients.insert(entry.client.client_id().to_owned(), entry);
    }
}

/// The grants a client of `app_type` gets from the API's rule: `authorization_code` and
/// `refresh_token` for a public client or one with a redirect URI.
fn implied_grants(app_type: AppType, has_redirect_uri: bool) -> Vec<GrantType> {
    if !app_type.is_confidential() || has_redirect_uri {
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
    } else {
        Vec::new()
    }
}

/// The `authorization_code`/`refresh_token` grants an updated client gets: by the API's rule
/// when the current client follows it, otherwise (a configuration file that chose otherwise)
/// the current ones unchanged.
fn kept_grants(entry: &Entry, draft: &Draft) -> Vec<GrantType> {
    let client = &entry.client;
    let current: Vec<GrantType> =
        client.allowed_grant_types().iter().copied().filter(|g| !EXTRA_GRANTS.contains(g)).collect();
    if current == implied_grants(client.app_type(), !client.redirect_uris().is_empty()) {
        implied_grants(draft.app_type, !draft.redirect_uris.is_empty())
    } else {
        current
    }
}

/// The editable fields of a client, by their API names.
#[derive(Clone)]
struct Draft {
    client_name: String,
    description: String,
    app_type: AppType,
    redirect_uris: Vec<String>,
    allowed_scopes: Vec<String>,
    extra_grants: Vec<String>,
    allowed_origins: Vec<String>,
    consent: ConsentMethod,
}

impl Draft {
    fn of(entry: &Entry) -> Self {
        let c = &entry.client;
        Self {
            client_name: c.client_name().to_owned(),
            description: entry.description.clone(),
            app_type: c.app_type(),
            redirect_uris: c.redirect_uris().to_vec(),
            allowed_scopes: c.allowed_scopes().iter().map(str::to_owned).collect(),
            extra_grants: extra_grants(c).map(|g| g.as_str().to_owned()).collect(),
            allowed_origins: c.allowed_origins().to_vec(),
            consent: c.consent(),
        }
    }

    const fn array(&mut self, field: ArrayField) -> &mut Vec<String> {
        match field {
            ArrayField::RedirectUris => &mut self.redirect_uris,
            ArrayField::AllowedScopes => &mut self.allowed_scopes,
            ArrayField::AllowedGrantTypes => &mut self.extra_grants,
            ArrayField::AllowedOrigins => &mut self.allowed_origins,
        }
    }

    fn apply(&mut self, op: Op) -> Result<(), ApiError> {
        match op {
            Op::ClientName(name) => self.client_name = name,
            Op::Description(text) => self.description = text,
            Op::Replace(field, values) => *self.array(field) = values,
            Op::Append(field, value) => self.array(field).push(value),
            Op::Remove(field, index) => {
                let values = self.array(field);
                if index >= values.len() {
                    return Err(ApiError::field(format_args!("{}[{index}]", field.name()), "does not exist"));
                }
                values.remove(index);
            }
        }
        Ok(())
    }

    /// Validates the draft as client `client_id` with `base` grants (plus its extra grants)
    /// and `secrets`, through [`Client::register`].
    fn build(
        &self,
        client_id: &str,
        base: &[GrantType],
        secrets: &[SecretEntry],
        require_pkce: Option<bool>,
    ) -> Result<Client, ApiError> {
        let mut grants = base.to_vec();
        for (i, name) in self.extra_grants.iter().enumerate() {
            let grant = GrantType::parse(name).filter(|g| EXTRA_GRANTS.contains(g)).ok_or_else(|| {
                ApiError::field(
                    format_args!("allowedGrantTypes[{i}]"),
                    "must be client_credentials or urn:qlik:oauth:user-impersonation",
                )
            })?;
            if !grants.contains(&grant) {
                grants.push(grant);
            }
        }
        let registration = ClientRegistration {
            client_id: client_id.to_owned(),
            client_name: self.client_name.clone(),
            app_type: Some(self.app_type),
            secret_digests: secrets.iter().map(|s| s.digest).collect(),
            redirect_uris: self.redirect_uris.clone(),
            allowed_scopes: self.allowed_scopes.clone(),
            allowed_grant_types: Some(grants),
            allowed_origins: self.allowed_origins.clone(),
            consent: self.consent,
            require_pkce,
        };
        let client = Client::register(registration.clone()).map_err(|e| registration_error(e, &registration))?;
        if client.allowed_grant_types().is_empty() {
            return Err(ApiError::field(
                "allowedGrantTypes",
                "a web client without redirectUris needs client_credentials or urn:qlik:oauth:user-impersonation",
            ));
        }
        Ok(client)
    }
}

/// The core's refusal with its field renamed to the API's, and for a per-element rule the index
/// of the first element that breaks it (`redirectUris[1]: ...`).
fn registration_error(e: RegistrationError, reg: &ClientRegistration) -> ApiError {
    let probe = |redirect_uris: Vec<String>, allowed_origins: Vec<String>, app_type: Option<AppType>| {
        let secret_digests =
            if app_type.is_some_and(AppType::is_confidential) { vec![TokenDigest::of("probe")] } else { Vec::new() };
        ClientRegistration {
            client_id: String::from("probe"),
            app_type,
            secret_digests,
            redirect_uris,
            allowed_origins,
            ..ClientRegistration::default()
        }
    };
    let index = match e.field {
        "redirect_uris" => reg.redirect_uris.iter().position(|uri| {
            Client::register(probe(vec![uri.clone()], Vec::new(), reg.app_type))
                .is_err_and(|p| p.field == "redirect_uris")
        }),
        "allowed_origins" => reg.allowed_origins.iter().position(|origin| {
            let spa = probe(vec![String::from("https://probe.example/cb")], vec![origin.clone()], Some(AppType::Spa));
            Client::register(spa).is_err_and(|p| p.field == "allowed_origins")
        }),
        "allowed_scopes" => reg.allowed_scopes.iter().position(|s| ScopeSet::from_tokens([s]).is_err()),
        _ => None,
    };
    // The reason of the element's own refusal, when one element is at fault.
    let reason = match (e.field, index) {
        ("redirect_uris", Some(i)) => {
            Client::register(probe(vec![reg.redirect_uris[i].clone()], Vec::new(), reg.app_type)).err()
        }
        ("allowed_origins", Some(i)) => Client::register(probe(
            vec![String::from("https://probe.example/cb")],
            vec![reg.allowed_origins[i].clone()],
            Some(AppType::Spa),
        ))
        .err(),
        _ => None,
    }
    .map_or(e.reason, |p| p.reason);
    let name = match e.field {
        "redirect_uris" => "redirectUris",
        "allowed_origins" => "allowedOrigins",
        "allowed_grant_types" => "allowedGrantTypes",
        "allowed_scopes" => "allowedScopes",
        "app_type" => "appType",
        "client_secret" => "clientSecrets",
        "client_id" => "clientId",
        "client_name" => "clientName",
        "require_pkce" => "requirePkce",
        other => other,
    };
    match index {
        Some(i) => ApiError::field(format_args!("{name}[{i}]"), reason),
        None => ApiError::field(name, reason),
    }
}

/// The extra grants of a client, as `allowedGrantTypes` lists them.
fn extra_grants(client: &Client) -> impl Iterator<Item = GrantType> + '_ {
    client.allowed_grant_types().iter().copied().filter(|g| EXTRA_GRANTS.contains(g))
}

const fn app_type_name(app_type: AppType) -> &'static str {
    match app_type {
        AppType::Spa => "spa",
        AppType::Native => "native",
        _ => "web",
    }
}

const fn consent_name(consent: ConsentMethod) -> &'static str {
    match consent {
        ConsentMethod::Trusted => "trusted",
        _ => "required",
    }
}

// ---------------------------------------------------------------------------------------------
// Representations

/// A client as GET answers show it: never a secret or a digest.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct View<'a> {
    client_id: &'a str,
    client_name: &'a str,
    description: &'a str,
    app_type: &'static str,
    redirect_uris: &'a [String],
    allowed_scopes: Vec<&'a str>,
    allowed_grant_types: Vec<&'static str>,
    allowed_origins: &'a [String],
    connection_config: ConnectionConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secrets: Option<Vec<SecretView<'a>>>,
    created_at: String,
    created_by_type: &'static str,
}

impl<'a> View<'a> {
    fn of(entry: &'a Entry) -> Self {
        let c = &entry.client;
        Self {
            client_id: c.client_id(),
            client_name: c.client_name(),
            description: &entry.description,
            app_type: app_type_name(c.app_type()),
            redirect_uris: c.redirect_uris(),
            allowed_scopes: c.allowed_scopes().iter().collect(),
            allowed_grant_types: extra_grants(c).map(GrantType::as_str).collect(),
            allowed_origins: c.allowed_origins(),
            connection_config: ConnectionConfig { consent_method: consent_name(c.consent()) },
            client_secrets: c.is_confidential().then(|| {
                entry
                    .secrets
                    .iter()
                    .map(|s| SecretView { hint: s.hint.as_deref(), created_at: rfc3339(s.created_at) })
                    .collect()
            }),
            created_at: rfc3339(entry.created_at),
            created_by_type: entry.created_by.as_str(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionConfig {
    consent_method: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SecretView<'a> {
    hint: Option<&'a str>,
    created_at: String,
}

/// The create answer: the representation, plus the secret (shown only here) and its hint.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Created<'a> {
    #[serde(flatten)]
    client: View<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_hint: Option<&'a str>,
}

#[derive(Serialize)]
struct List<'a> {
    data: Vec<View<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NewSecret<'a> {
    client_secret: &'a str,
    hint: &'a str,
    created_at: String,
}

/// `t` as an RFC 3339 UTC timestamp, `2026-11-30T02:00:00Z`.
fn rfc3339(t: UnixTime) -> String {
    let secs = t.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The proleptic Gregorian date `days` days after 1970-01-01, as (year, month 1-12, day 1-31)
/// (H. Hinnant's `civil_from_days`, for non-negative day counts).
const fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z / 146_097;
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from March 1st
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

// ---------------------------------------------------------------------------------------------
// Errors and responses

/// A refusal other than the bearer check's: status and an RFC 6749 §5.2-shaped body.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

impl ApiError {
    /// 400 `invalid_request` with `<field>: <reason>`.
    fn field(field: impl fmt::Display, reason: impl fmt::Display) -> Self {
        Self { status: StatusCode::BAD_REQUEST, code: "invalid_request", description: format!("{field}: {reason}") }
    }

    fn not_found(description: &str) -> Self {
        Self { status: StatusCode::NOT_FOUND, code: "not_found", description: description.to_owned() }
    }

    fn no_client() -> Self {
        Self::not_found("no such client")
    }

    fn unavailable() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "temporarily_unavailable",
            description: String::from("the random number generator failed"),
        }
    }

    fn server_error() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "server_error",
            description: String::from("could not draw a fresh identifier"),
        }
    }

    fn too_large() -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "invalid_request",
            description: format!("body: larger than {MAX_BODY_BYTES} bytes"),
        }
    }

    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a str,
            error_description: &'a str,
        }
        json(self.status, &Body { error: self.code, error_description: &self.description })
    }
}

/// `value` as JSON with `Content-Type: application/json` and `Cache-Control: no-store`.
fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let (status, text) = match serde_json::to_string(value) {
        Ok(text) => (status, text),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, String::from(r#"{"error":"server_error"}"#)),
    };
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn no_content() -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// `Cache-Control: no-store` on every answer of the API (405 included).
async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/// Reads at most [`MAX_BODY_BYTES`] with [`oauth_axum::read_limited_body`]: a larger body is
/// drained (up to [`oauth_axum::MAX_DRAIN_BYTES`], so the client reads the answer) and refused
/// with 413; one that breaks off with 400.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, ApiError> {
    oauth_axum::read_limited_body(headers, body, MAX_BODY_BYTES).await.map_err(|e| match e {
        BodyError::TooLarge => ApiError::too_large(),
        _ => ApiError::field("body", "could not be read"),
    })
}

/// The body as JSON: `Content-Type` must be `application/json` (or, for JSON Patch,
/// `application/json-patch+json`, RFC 6902 §6).
fn parse_json(headers: &HeaderMap, body: &[u8], patch: bool) -> Result<Json, ApiError> {
    let content_type = header_text(headers, &header::CONTENT_TYPE);
    let media = content_type.as_deref().map(|v| v.split(';').next().unwrap_or("").trim());
    let ok = media.is_some_and(|m| {
        m.eq_ignore_ascii_case("application/json") || (patch && m.eq_ignore_ascii_case("application/json-patch+json"))
    });
    if !ok {
        return Err(ApiError::field("Content-Type", "must be application/json"));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::field("body", format_args!("not valid JSON (line {}, column {})", e.line(), e.column())))
}

/// A parsed JSON value that keeps every member of an object in order, repeats included, so
/// that a repeated member can be refused instead of silently taking the last. (No `Debug`
/// outside tests: bodies are never printed.)
#[cfg_attr(test, derive(Debug))]
enum Json {
    Null,
    Bool,
    Number,
    String(String),
    Array(Vec<Self>),
    Object(Vec<(String, Self)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
        Ok(Json::Bool)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
        Ok(Json::Number)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Json, E> {
        Ok(Json::Number)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
        Ok(Json::Number)
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some(entry) = map.next_entry::<String, Json>()? {
            members.push(entry);
        }
        Ok(Json::Object(members))
    }
}

/// At most [`MAX_ECHO_CHARS`] characters of `text`, for an error description.
/// The hint of a secret configured only by its digest (`client_secret_sha256`): `sha256:` and
/// the digest's first 4 bytes in hex, so it can still be named in a DELETE.
fn digest_hint(digest: &TokenDigest) -> String {
    digest.as_bytes()[..4].iter().fold(String::from("sha256:"), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn echo(text: &str) -> String {
    // RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E; anything else is shown
    // as `?`, and a long name is cut with `...`.
    let mut out: String = text
        .chars()
        .take(MAX_ECHO_CHARS)
        .map(|c| if matches!(c, ' '..='!' | '#'..='[' | ']'..='~') { c } else { '?' })
        .collect();
    if text.chars().nth(MAX_ECHO_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

/// The members of the object `value` (named `name`; `""` for the body): refuses a value that
/// is not an object, a repeated member, a read-only member and, when `known` is given, any
/// member not in it.
fn object<'a>(value: &'a Json, name: &str, known: Option<&[&str]>) -> Result<&'a [(String, Json)], ApiError> {
    let Json::Object(members) = value else {
        return Err(ApiError::field(if name.is_empty() { "body" } else { name }, "must be a JSON object"));
    };
    let mut seen = std::collections::HashSet::with_capacity(members.len());
    for (key, _) in members {
        let path = if name.is_empty() { echo(key) } else { format!("{name}.{}", echo(key)) };
        if !seen.insert(key.as_str()) {
            return Err(ApiError::field(path, "repeated member"));
        }
        if let Some(known) = known {
            if name.is_empty() && READ_ONLY.contains(&key.as_str()) {
                return Err(ApiError::field(path, "read-only; set by the server"));
            }
            if !known.contains(&key.as_str()) {
                return Err(ApiError::field(path, "unknown member"));
            }
        }
    }
    Ok(members)
}

/// The member `key`, `None` when absent or `null`.
fn member<'a>(members: &'a [(String, Json)], key: &str) -> Option<&'a Json> {
    members.iter().find(|(k, _)| k == key).map(|(_, v)| v).filter(|v| !matches!(v, Json::Null))
}

fn string<'a>(value: &'a Json, field: &str) -> Result<&'a str, ApiError> {
    match value {
        Json::String(s) => Ok(s),
        _ => Err(ApiError::field(field, "must be a string")),
    }
}

fn strings(value: &Json, field: &str) -> Result<Vec<String>, ApiError> {
    let Json::Array(items) = value else { return Err(ApiError::field(field, "must be an array of strings")) };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Json::String(s) => Ok(s.clone()),
            _ => Err(ApiError::field(format_args!("{field}[{i}]"), "must be a string")),
        })
        .collect()
}

fn app_type(value: &Json) -> Result<AppType, ApiError> {
    match string(value, "appType")? {
        "web" => Ok(AppType::Web),
        "spa" => Ok(AppType::Spa),
        "native" => Ok(AppType::Native),
        _ => Err(ApiError::field("appType", "must be web, spa or native")),
    }
}

fn client_name(value: &Json) -> Result<String, ApiError> {
    let name = string(value, "clientName")?;
    let count = name.chars().count();
    if count == 0 || count > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::field("clientName", "must be 1 to 256 characters without control characters"));
    }
    Ok(name.to_owned())
}

fn description(value: &Json) -> Result<String, ApiError> {
    let text = string(value, "description")?;
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::field("description", "at most 1024 characters"));
    }
    Ok(text.to_owned())
}

fn consent_method(value: &Json, field: &str) -> Result<ConsentMethod, ApiError> {
    match string(value, field)? {
        "required" => Ok(ConsentMethod::Required),
        "trusted" => Ok(ConsentMethod::Trusted),
        _ => Err(ApiError::field(field, "must be required or trusted")),
    }
}

/// An array member a JSON Patch may change.
#[derive(Clone, Copy)]
enum ArrayField {
    RedirectUris,
    AllowedScopes,
    AllowedGrantTypes,
    AllowedOrigins,
}

impl ArrayField {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "redirectUris" => Some(Self::RedirectUris),
            "allowedScopes" => Some(Self::AllowedScopes),
            "allowedGrantTypes" => Some(Self::AllowedGrantTypes),
            "allowedOrigins" => Some(Self::AllowedOrigins),
            _ => None,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::RedirectUris => "redirectUris",
            Self::AllowedScopes => "allowedScopes",
            Self::AllowedGrantTypes => "allowedGrantTypes",
            Self::AllowedOrigins => "allowedOrigins",
        }
    }
}

/// One supported JSON Patch operation (RFC 6902 subset), its value already type-checked.
enum Op {
    /// `replace /clientName`.
    ClientName(String),
    /// `replace /description`, or `remove /description` (empty).
    Description(String),
    /// `replace /<array>`.
    Replace(ArrayField, Vec<String>),
    /// `add /<array>/-`.
    Append(ArrayField, String),
    /// `remove /<array>/<index>`.
    Remove(ArrayField, usize),
}

/// One operation object of a JSON Patch document (RFC 6902 §3), its members still unchecked
/// beyond being strings.
struct PatchOp<'a> {
    /// Its name in error descriptions: `patch[<index>]`.
    at: String,
    op: &'a str,
    path: &'a str,
    value: Option<&'a Json>,
}

impl PatchOp<'_> {
    fn value(&self) -> Result<&Json, ApiError> {
        self.value.ok_or_else(|| ApiError::field(format_args!("{}.value", self.at), "required"))
    }
}

/// The operation objects of a JSON Patch document: an array of objects with string members
/// `op` and `path`. Members other than `op`, `path` and `value` are ignored (RFC 6902 §4).
fn patch_ops(body: &Json) -> Result<Vec<PatchOp<'_>>, ApiError> {
    let Json::Array(items) = body else {
        return Err(ApiError::field("body", "must be a JSON Patch array of operations"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("patch[{i}]");
            let members = object(item, &at, None)?;
            let text = |key: &str| {
                let field = format!("{at}.{key}");
                member(members, key).map_or_else(|| Err(ApiError::field(&field, "required")), |v| string(v, &field))
            };
            let (op, path) = (text("op")?, text("path")?);
            let value = members.iter().find(|(k, _)| k == "value").map(|(_, v)| v);
            Ok(PatchOp { at, op, path, value })
        })
        .collect()
}

/// Parses a `PATCH /api/v1/oauth-clients/{id}` body.
fn parse_update(body: &Json) -> Result<Vec<Op>, ApiError> {
    patch_ops(body)?.iter().map(parse_op).collect()
}

fn parse_op(p: &PatchOp<'_>) -> Result<Op, ApiError> {
    let at = &p.at;
    if !matches!(p.op, "replace" | "add" | "remove") {
        return Err(ApiError::field(format_args!("{at}.op"), "must be replace, add or remove"));
    }
    let Some(pointer) = p.path.strip_prefix('/') else {
        return Err(ApiError::field(format_args!("{at}.path"), "must be a JSON Pointer such as /clientName"));
    };
    let (head, tail) = match pointer.split_once('/') {
        Some((head, tail)) => (head, Some(tail)),
        None => (pointer, None),
    };
    match head {
        "appType" | "clientId" | "createdAt" | "createdByType" => {
            return Err(ApiError::field(head, "cannot be changed"));
        }
        "clientSecrets" => {
            return Err(ApiError::field(head, "cannot be patched; use POST or DELETE on client-secrets"));
        }
        "connectionConfig" => {
            return Err(ApiError::field(head, "cannot be patched here; use PATCH on connection-configs/me"));
        }
        _ => {}
    }
    match (p.op, head, tail, ArrayField::parse(head)) {
        ("replace", "clientName", None, _) => Ok(Op::ClientName(client_name(p.value()?)?)),
        ("replace", "description", None, _) => Ok(Op::Description(description(p.value()?)?)),
        ("remove", "description", None, _) => Ok(Op::Description(String::new())),
        ("replace", _, None, Some(field)) => Ok(Op::Replace(field, strings(p.value()?, field.name())?)),
        ("add", _, Some("-"), Some(field)) => {
            Ok(Op::Append(field, string(p.value()?, &format!("{}[-]", field.name()))?.to_owned()))
        }
        ("remove", _, Some(index), Some(field)) => {
            // An array index (RFC 6901 §4): 0, or digits without a leading zero.
            let valid = index == "0" || (!index.starts_with('0') && index.bytes().all(|b| b.is_ascii_digit()));
            match index.parse::<usize>() {
                Ok(n) if valid => Ok(Op::Remove(field, n)),
                _ => Err(ApiError::field(
                    format_args!("{at}.path"),
                    format_args!("{} is not an array index", echo(index)),
                )),
            }
        }
        _ => Err(ApiError::field(
            format_args!("{at}.path"),
            format_args!("{} is not supported on {}", p.op, echo(p.path)),
        )),
    }
}

/// Parses a `PATCH .../connection-configs/me` body: the last consent method it sets, if any.
fn parse_consent(body: &Json) -> Result<Option<ConsentMethod>, ApiError> {
    let mut consent = None;
    for p in patch_ops(body)? {
        if p.op != "replace" {
            return Err(ApiError::field(format_args!("{}.op", p.at), "must be replace"));
        }
        if p.path != "/consentMethod" {
            return Err(ApiError::field(format_args!("{}.path", p.at), "must be /consentMethod"));
        }
        consent = Some(consent_method(p.value()?, "consentMethod")?);
    }
    Ok(consent)
}

// ---------------------------------------------------------------------------------------------
// Routes

/// The admin routes over `registry`, to merge into the application's router. Every route is
/// behind [`RequireBearer`] (realm `oauth-clients`) with [`AdminTokens`] over the store and the
/// server's `core` configuration (issuer, audience and signer of JWT access tokens). Every
/// answer carries `Cache-Control: no-store`; a wrong method gets 405.
pub(crate) fn router(registry: Arc<Registry>, core: Arc<Config>) -> Router {
    let tokens = AdminTokens {
        tokens: StoreValidator::new(Arc::clone(&registry.store), core),
        store: Arc::clone(&registry.store),
        required: registry.required.clone(),
    };
    let bearer = RequireBearer::new(tokens, registry.required.clone()).realm(REALM);
    Router::new()
        .route(BASE, get(list_clients).post(create_client))
        .route("/api/v1/oauth-clients/{id}", get(get_client).patch(update_client).delete(delete_client))
        .route("/api/v1/oauth-clients/{id}/connection-configs/me", patch(update_consent))
        .route("/api/v1/oauth-clients/{id}/client-secrets", post(add_secret))
        .route("/api/v1/oauth-clients/{id}/client-secrets/{hint}", delete(delete_secret))
        .route_layer(bearer)
        .layer(map_response(no_store))
        .with_state(registry)
}

type Shared = State<Arc<Registry>>;

/// Reads the body, or returns the refusal.
macro_rules! body {
    ($parts:expr, $body:expr) => {
        match read_body(&$parts.headers, $body).await {
            Ok(bytes) => bytes,
            Err(e) => return e.into_response(),
        }
    };
}

fn finish(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(ApiError::into_response)
}

/// Reads the body as JSON (a JSON Patch document, RFC 6902, if `patch`) and hands it to `apply`
/// with the caller's `client_id` and the time of the request. The bearer check has already run
/// ([`router`]).
async fn with_json(
    caller: &AccessToken,
    request: Request,
    patch: bool,
    apply: impl FnOnce(&Json, &str, UnixTime) -> Result<Response, ApiError>,
) -> Response {
    let now = oauth_axum::now();
    let (parts, body) = request.into_parts();
    let body = body!(parts, body);
    finish(parse_json(&parts.headers, &body, patch).and_then(|json| apply(&json, &caller.client_id, now)))
}

async fn list_clients(State(registry): Shared, _caller: AccessToken) -> Response {
    registry.list()
}

async fn create_client(State(registry): Shared, caller: AccessToken, request: Request) -> Response {
    with_json(&caller, request, false, |json, caller, now| registry.create(json, caller, now)).await
}

async fn get_client(State(registry): Shared, _caller: AccessToken, Path(id): Path<String>) -> Response {
    finish(registry.get(&id))
}

async fn update_client(
    State(registry): Shared,
    caller: AccessToken,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    with_json(&caller, request, true, |json, caller, _| registry.update(&id, parse_update(json)?, caller)).await
}

async fn update_consent(
    State(registry): Shared,
    caller: AccessToken,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    with_json(&caller, request, true, |json, caller, _| registry.set_consent(&id, parse_consent(json)?, caller)).await
}

async fn delete_client(State(registry): Shared, caller: AccessToken, Path(id): Path<String>) -> Response {
    finish(registry.delete(&id, &caller.client_id, oauth_axum::now()))
}

async fn add_secret(
    State(registry): Shared,
    caller: AccessToken,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let now = oauth_axum::now();
    let (parts, body) = request.into_parts();
    let body = body!(parts, body);
    // An empty body, or an empty JSON object.
    let checked = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(())
    } else {
        parse_json(&parts.headers, &body, false).and_then(|json| object(&json, "", Some(&[])).map(|_| ()))
    };
    finish(checked.and_then(|()| registry.add_secret(&id, &caller.client_id, now)))
}

async fn delete_secret(
    State(registry): Shared,
    caller: AccessToken,
    Path((id, hint)): Path<(String, String)>,
) -> Response {
    finish(registry.delete_secret(&id, &hint, &caller.client_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The admin API accepts JWT access tokens (here ES256 with a generated key) through the
    /// store check, and refuses one as soon as it is revoked.
    #[tokio::test]
    async fn jwt_access_tokens_and_their_revocation() {
        let config = ServerConfig::from_toml(
            r#"
[access_tokens]
format = "jwt"

[[clients]]
client_id = "ops"
app_type = "web"
client_secret = "ops-secret"
allowed_scopes = ["admin_classic"]
allowed_grant_types = ["client_credentials"]
"#,
        )
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(crate::serve_with_shutdown(config, listener, async {
            let _ = stopped.await;
        }));
        let http = reqwest::Client::new();
        let token = http
            .post(format!("{base}/oauth/token"))
            .basic_auth("ops", Some("ops-secret"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&scope=admin_classic")
            .send()
            .await
            .unwrap();
        assert_eq!(token.status(), 200);
        let token: serde_json::Value = serde_json::from_str(&token.text().await.unwrap()).unwrap();
        let token = token["access_token"].as_str().unwrap().to_owned();
        assert_eq!(token.matches('.').count(), 2, "a JWT");
        let list = |t: String| http.get(format!("{base}{BASE}")).bearer_auth(t).send();
        assert_eq!(list(token.clone()).await.unwrap().status(), 200);
        // A tampered signature does not verify, so the token has no store key.
        let tampered = format!("{}AAAA", token.trim_end_matches('='));
        let refused = list(tampered).await.unwrap();
        assert_eq!(refused.status(), 401);
        let challenge = refused.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.starts_with("Bearer realm=\"oauth-clients\", error=\"invalid_token\""), "{challenge}");
        let revoked = http
            .post(format!("{base}/oauth/revoke"))
            .basic_auth("ops", Some("ops-secret"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), 200);
        assert_eq!(list(token.clone()).await.unwrap().status(), 401);
        let _ = stop.send(());
        tokio::time::timeout(std::time::Duration::from_secs(10), task).await.unwrap().unwrap().unwrap();
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(UnixTime::from_secs(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UnixTime::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(UnixTime::from_secs(1_796_004_000)), "2026-11-30T02:00:00Z");
        assert_eq!(rfc3339(UnixTime::from_secs(4_107_542_399)), "2100-02-28T23:59:59Z");
        assert_eq!(rfc3339(UnixTime::from_secs(4_107_542_400)), "2100-03-01T00:00:00Z");
        assert_eq!(rfc3339(UnixTime::from_secs(1_704_067_199)), "2023-12-31T23:59:59Z");
    }

    #[test]
    fn repeated_members_are_kept_and_refused() {
        let json: Json = serde_json::from_str(r#"{"clientName":"a","clientName":"b"}"#).unwrap();
        let e = object(&json, "", Some(&CREATE_MEMBERS)).unwrap_err();
        assert_eq!(e.description, "clientName: repeated member");
        let json: Json = serde_json::from_str(r#"{"clientId":"x"}"#).unwrap();
        assert_eq!(
            object(&json, "", Some(&CREATE_MEMBERS)).unwrap_err().description,
            "clientId: read-only; set by the server"
        );
        let json: Json = serde_json::from_str(r#"{"colour":1}"#).unwrap();
        assert_eq!(object(&json, "", Some(&CREATE_MEMBERS)).unwrap_err().description, "colour: unknown member");
    }

    #[test]
    fn patch_paths() {
        let ops = |text: &str| parse_update(&serde_json::from_str::<Json>(text).unwrap());
        let err = |text: &str| ops(text).err().map(|e| e.description).unwrap_or_default();
        assert_eq!(err(r#"[{"op":"replace","path":"/appType","value":"spa"}]"#), "appType: cannot be changed");
        assert_eq!(
            err(r#"[{"op":"move","path":"/clientName","from":"/x"}]"#),
            "patch[0].op: must be replace, add or remove"
        );
        assert_eq!(err(r#"[{"op":"remove","path":"/redirectUris/01"}]"#), "patch[0].path: 01 is not an array index");
        assert_eq!(
            err(r#"[{"op":"add","path":"/redirectUris/0","value":"x"}]"#),
            "patch[0].path: add is not supported on /redirectUris/0"
        );
        assert_eq!(err(r#"[{"op":"replace","path":"/clientName"}]"#), "patch[0].value: required");
        assert_eq!(
            err(r#"[{"op":"replace","path":"/redirectUris","value":["a",1]}]"#),
            "redirectUris[1]: must be a string"
        );
        assert_eq!(err(r#"{"op":"replace"}"#), "body: must be a JSON Patch array of operations");
        assert!(
            ops(r#"[{"op":"remove","path":"/allowedScopes/10","extra":true},{"op":"remove","path":"/description"}]"#)
                .is_ok()
        );
    }

    #[test]
    fn registration_errors_name_the_element() {
        let reg = ClientRegistration {
            client_id: "c".into(),
            app_type: Some(AppType::Spa),
            redirect_uris: vec!["https://a.example/cb".into(), "http://b.example/cb".into()],
            allowed_origins: vec!["https://a.example".into(), "https://b.example/path".into()],
            allowed_scopes: vec!["ok".into(), "bad\"".into()],
            ..ClientRegistration::default()
        };
        let e = Client::register(reg.clone()).unwrap_err();
        assert!(registration_error(e, &reg).description.starts_with("redirectUris[1]: "));
        let reg = ClientRegistration { redirect_uris: vec!["https://a.example/cb".into()], ..reg };
        let e = Client::register(reg.clone()).unwrap_err();
        assert!(registration_error(e, &reg).description.starts_with("allowedScopes[1]: "), "{e}");
        let reg = ClientRegistration { allowed_scopes: vec![], ..reg };
        let e = Client::register(reg.clone()).unwrap_err();
        assert!(registration_error(e, &reg).description.starts_with("allowedOrigins[1]: "));
        // A whole-field rule names no element.
        let reg = ClientRegistration {
            app_type: Some(AppType::Native),
            allowed_origins: vec!["https://a.example".into()],
            ..reg
        };
        let e = Client::register(reg.clone()).unwrap_err();
        assert!(registration_error(e, &reg).description.starts_with("allowedOrigins: only spa"));
    }
}
