//! The authorization endpoint, `GET|POST /oauth/authorize` (RFC 6749 §4.1.1, §4.1.2,
//! §4.1.2.1; RFC 7636 §4.3; RFC 9207 §2).
//!
//! Order (F07): the client, then the redirect URI, then everything else. Until the client and
//! redirect URI are validated, every error is a 400 JSON answer and never a redirect; after
//! that, every error is redirected with `state` and `iss`.

use std::sync::Arc;

use crate::client::{Client, MAX_CLIENT_ID_BYTES, MAX_REDIRECT_URI_BYTES};
use crate::config::Config;
use crate::entropy::new_token;
use crate::error::{ErrorCode, OAuthError, StoreError};
use crate::pkce::CodeChallenge;
use crate::response::{Redirect, Response};
use crate::step::{AfterClient, NeedClient, NeedOwner, OnFailure, OwnerDecision, Persist, Prompt, Step};
use crate::store::{CodeRecord, Write};
use crate::time::UnixTime;
use crate::types::{GrantId, GrantType, ScopeSet};
use crate::wire::{Field, Params, WireError};

/// Longest `state` accepted, in bytes: 2048. A longer one is refused with 400 and not echoed.
pub const MAX_STATE_BYTES: usize = 2048;
/// Longest `login_hint` accepted, in bytes: 256.
pub const MAX_LOGIN_HINT_BYTES: usize = 256;

/// The HTTP method of an authorization request: the response to a `POST` (a login or consent
/// form) redirects with 303, never 307 (RFC 9700 §4.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// `GET`, parameters in the query.
    Get,
    /// `POST`, parameters in a form body.
    Post,
}

/// An authorization request as it arrived.
#[derive(Debug)]
pub struct AuthorizeRequest {
    params: Result<Params, WireError>,
    method: Method,
}

impl AuthorizeRequest {
    /// A `GET` request with query string `query` (without `?`).
    pub fn from_query(query: Option<&str>) -> Self {
        Self { params: Params::parse_form(query.unwrap_or("").as_bytes()), method: Method::Get }
    }

    /// A `POST` request with a form body. A `Content-Type` other than
    /// `application/x-www-form-urlencoded` is refused.
    pub fn from_form(content_type: Option<&str>, body: &[u8]) -> Self {
        let params = match content_type.and_then(crate::wire::BodyType::from_content_type) {
            Some(crate::wire::BodyType::Form) => Params::parse_form(body),
            _ => Err(WireError::UnsupportedMediaType),
        };
        Self { params, method: Method::Post }
    }

    /// A request from already-parsed parameters.
    pub fn from_params(params: Params, method: Method) -> Self {
        Self { params: Ok(params), method }
    }
}

/// Where an authorization response or error redirect goes.
#[derive(Debug, Clone)]
pub(crate) struct RedirectTarget {
    uri: Arc<str>,
    state: Option<String>,
    /// The issuer, already form-urlencoded (RFC 9207 `iss`).
    iss: Arc<str>,
    status: u16,
}

/// Appends `value` form-urlencoded; values made only of unreserved characters (codes, most
/// `state` values) are copied as they are.
fn push_encoded(out: &mut String, value: &str) {
    if value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')) {
        out.push_str(value);
    } else {
        out.extend(form_urlencoded::byte_serialize(value.as_bytes()));
    }
}

impl RedirectTarget {
    /// The redirect URI with `params`, `state` and `iss` added to its query; a query already in
    /// the registered URI is kept (RFC 6749 §3.1.2, §4.1.2).
    fn redirect(&self, params: &[(&str, &str)]) -> Response {
        let state_len = self.state.as_ref().map_or(0, |s| s.len() * 3 + 7);
        let mut loc = String::with_capacity(self.uri.len() + 96 + state_len + self.iss.len());
        loc.push_str(&self.uri);
        match self.uri.find('?') {
            None => loc.push('?'),
            Some(i) if i + 1 == self.uri.len() || self.uri.ends_with('&') => {}
            Some(_) => loc.push('&'),
        }
        for (i, (name, value)) in params.iter().enumerate() {
            if i > 0 {
                loc.push('&');
            }
            loc.push_str(name);
            loc.push('=');
            push_encoded(&mut loc, value);
        }
        if let Some(s) = &self.state {
            loc.push_str("&state=");
            push_encoded(&mut loc, s);
        }
        loc.push_str("&iss=");
        loc.push_str(&self.iss);
        Response::Redirect(Redirect { location: loc, status: self.status })
    }

    /// An error redirect (RFC 6749 §4.1.2.1).
    pub(crate) fn error(&self, e: &OAuthError) -> Response {
        match e.description {
            Some(d) => self.redirect(&[("error", e.code.as_str()), ("error_description", d)]),
            None => self.redirect(&[("error", e.code.as_str())]),
        }
    }
}

/// The request after syntax checks, before the client is known.
#[derive(Debug)]
pub(crate) struct Parsed {
    params: Params,
    method: Method,
}

/// The request after every check, waiting for the resource owner.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) config: Arc<Config>,
    pub(crate) now: UnixTime,
    pub(crate) client: Arc<Client>,
    target: RedirectTarget,
    redirect_uri_sent: bool,
    pub(crate) scope: ScopeSet,
    challenge: Option<CodeChallenge>,
    pub(crate) prompt: Prompt,
    pub(crate) login_hint: Option<String>,
    pub(crate) max_age: Option<u64>,
}

fn bad_request(description: &'static str) -> Step {
    Step::error(OAuthError::invalid_request(description))
}

/// Starts the authorization endpoint machine.
///
/// Answers directly (400 JSON, no redirect) when the parameters cannot be read, `client_id` is
/// missing, repeated or unknown, or `redirect_uri` is missing (with several registered),
/// repeated or not registered (RFC 6749 §4.1.2.1). Otherwise the first step is
/// [`Step::NeedClient`].
pub fn start(config: &Arc<Config>, request: AuthorizeRequest, now: UnixTime) -> Step {
    let params = match request.params {
        Ok(p) => p,
        Err(WireError::UnsupportedMediaType) => return bad_request("form body required"),
        Err(WireError::TooLarge) => {
            // RFC 9110 §15.5.15 and §15.5.14: an oversized query is 414, an oversized form 413.
            let mut e = OAuthError::body_too_large();
            if request.method == Method::Get {
                e.status = 414;
                e.description = Some("request URI too long");
            }
            return Step::error(e);
        }
        Err(_) => return bad_request("malformed or oversized parameters"),
    };
    let client_id = match params.get("client_id") {
        Err(_) => return bad_request("client_id repeated"),
        Ok(None) => return bad_request("client_id missing"),
        Ok(Some(id)) if id.len() > MAX_CLIENT_ID_BYTES => return bad_request("unknown client"),
        Ok(Some(id)) => id.to_owned(),
    };
    Step::NeedClient(NeedClient {
        config: Arc::clone(config),
        now,
        client_id,
        then: AfterClient::Authorize(Box::new(Parsed { params, method: request.method })),
    })
}

/// The parameters the endpoint reads after `client_id`, in [`Params::pick`] order; repeating
/// any of them (or `nonce`, `response_mode`) is refused (RFC 6749 §3.1).
const NAMES: [&str; 11] = [
    "redirect_uri",
    "state",
    "response_type",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "login_hint",
    "max_age",
    "nonce",
    "response_mode",
];

pub(crate) fn after_client(
    config: Arc<Config>,
    now: UnixTime,
    parsed: Parsed,
    answer: Result<Option<Arc<Client>>, StoreError>,
) -> Step {
    let client = match answer {
        Ok(Some(c)) => c,
        Ok(None) => return bad_request("unknown client"),
        Err(e) => return Step::error(OAuthError::from_store(e)),
    };
    let fields = parsed.params.pick(NAMES);
    let [
        redirect_uri,
        state_field,
        response_type,
        scope,
        code_challenge,
        method,
        prompt_field,
        login_hint,
        max_age,
        ..,
    ] = fields;
    // The redirect URI, validated before anything may be redirected.
    let (uri, sent) = match redirect_uri {
        Field::Repeated => return bad_request("redirect_uri repeated"),
        Field::Value(u) if u.len() <= MAX_REDIRECT_URI_BYTES && client.matches_redirect_uri(u) => (Arc::from(u), true),
        Field::Value(_) => return bad_request("redirect_uri is not registered for this client"),
        Field::Absent => match client.redirect_uris() {
            [only] => (Arc::from(only.as_str()), false),
            [] => return bad_request("client has no registered redirect_uri"),
            _ => return bad_request("redirect_uri required"),
        },
    };
    let state = match state_field.value() {
        Some(s) if s.len() > MAX_STATE_BYTES => return bad_request("state too long"),
        s => s.map(str::to_owned),
    };
    let status = if parsed.method == Method::Post { 303 } else { 302 };
    let target = RedirectTarget { uri, state, iss: config.encoded_issuer(), status };
    let fail = |code: ErrorCode, d: &'static str| Step::Respond(target.error(&OAuthError::new(code, d)));

    // From here on every error is redirected (RFC 6749 §4.1.2.1).
    if state_field.is_repeated() {
        return fail(ErrorCode::INVALID_REQUEST, "state repeated");
    }
    if fields.iter().any(|f| f.is_repeated()) {
        return fail(ErrorCode::INVALID_REQUEST, "a parameter is repeated");
    }
    match response_type.value() {
        Some("code") => {}
        None => return fail(ErrorCode::INVALID_REQUEST, "response_type missing"),
        Some(_) => return fail(ErrorCode::UNSUPPORTED_RESPONSE_TYPE, "only response_type=code is supported"),
    }
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return fail(ErrorCode::UNAUTHORIZED_CLIENT, "client may not use the authorization code grant");
    }
    let scope = match scope.value() {
        None => {
            let default = client.allowed_scopes().without("offline_access");
            if default.is_empty() {
                return fail(ErrorCode::INVALID_SCOPE, "scope required");
            }
            default
        }
        Some(s) => match ScopeSet::parse(s) {
            Ok(s) if s.is_subset(client.allowed_scopes()) => s,
            Ok(_) => return fail(ErrorCode::INVALID_SCOPE, "scope not allowed for this client"),
            Err(_) => return fail(ErrorCode::INVALID_SCOPE, "scope is malformed"),
        },
    };
    let challenge = match CodeChallenge::from_params(
        code_challenge.value(),
        method.value(),
        client.require_pkce(),
        config.allows_plain_pkce(),
    ) {
        Ok(c) => c,
        Err(e) => return fail(ErrorCode::INVALID_REQUEST, e.description()),
    };
    let mut prompt = Prompt::default();
    if let Some(p) = prompt_field.value() {
        for v in p.split(' ') {
            match v {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                _ => return fail(ErrorCode::INVALID_REQUEST, "unsupported prompt value"),
            }
        }
        if prompt.none && (prompt.login || prompt.consent) {
            return fail(ErrorCode::INVALID_REQUEST, "prompt=none cannot be combined");
        }
    }
    let max_age = match max_age.value() {
        None => None,
        Some(m) => match m.parse::<u32>() {
            Ok(v) if m.bytes().all(|b| b.is_ascii_digit()) => Some(u64::from(v)),
            _ => return fail(ErrorCode::INVALID_REQUEST, "max_age must be a non-negative integer"),
        },
    };
    let login_hint = match login_hint.value() {
        Some(h) if h.len() > MAX_LOGIN_HINT_BYTES => return fail(ErrorCode::INVALID_REQUEST, "login_hint too long"),
        h => h.map(str::to_owned),
    };
    Step::NeedOwner(NeedOwner {
        pending: Box::new(Pending {
            config,
            now,
            client,
            target,
            redirect_uri_sent: sent,
            scope,
            challenge,
            prompt,
            login_hint,
            max_age,
        }),
    })
}

pub(crate) fn after_owner(p: Pending, decision: OwnerDecision) -> Step {
    let fail = |code: ErrorCode, d: &'static str| Step::Respond(p.target.error(&OAuthError::new(code, d)));
    let approval = match decision {
        OwnerDecision::Approve(a) => a,
        OwnerDecision::Deny => return fail(ErrorCode::ACCESS_DENIED, "the resource owner denied the request"),
        OwnerDecision::LoginRequired => return fail(ErrorCode::LOGIN_REQUIRED, "authentication required"),
        OwnerDecision::ConsentRequired => return fail(ErrorCode::CONSENT_REQUIRED, "consent required"),
    };
    if !crate::types::Subject::is_valid_user_id(&approval.subject) {
        // The application answered with an identifier that could pass for a client's `sub`.
        return fail(ErrorCode::SERVER_ERROR, "the resource owner identifier is not usable");
    }
    if let Some(max_age) = p.max_age {
        if approval.auth_time.plus(max_age) < p.now {
            return fail(ErrorCode::LOGIN_REQUIRED, "authentication is older than max_age");
        }
    }
    let scope = match approval.scope {
        None => p.scope.clone(),
        Some(s) if s.is_subset(&p.scope) => s,
        Some(_) => return fail(ErrorCode::SERVER_ERROR, "approved scope exceeds the request"),
    };
    if scope.is_empty() {
        return fail(ErrorCode::ACCESS_DENIED, "no scope was approved");
    }
    let Ok(code) = new_token(p.config.entropy()) else {
        return Step::Respond(p.target.error(&OAuthError::entropy_failed()));
    };
    let key = code.digest();
    let record = CodeRecord {
        grant_id: GrantId::from_digest(&key),
        client_id: p.client.client_id_shared(),
        subject: Arc::from(approval.subject),
        scope,
        redirect_uri: Arc::clone(&p.target.uri),
        redirect_uri_sent: p.redirect_uri_sent,
        code_challenge: p.challenge,
        auth_time: approval.auth_time,
        expires_at: p.now.plus(p.config.lifetimes().authorization_code),
    };
    let success = p.target.redirect(&[("code", code.expose())]);
    Step::Persist(Persist {
        writes: vec![Write::Code { key, record }],
        now: p.now,
        success,
        failure: OnFailure::Redirect(p.target),
    })
}
