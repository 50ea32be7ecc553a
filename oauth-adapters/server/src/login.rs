//! The resource owner's side of the authorization endpoint: the [`OwnerInteraction`] hook with
//! session cookies, double-submit CSRF tokens, argon2 password checks, the login and consent
//! pages, remembered consent, `prompt` and `max_age` (D12), and `dev_login`.
//!
//! The rules, in order, for every authorization request that reaches the hook:
//! 1. `dev_login`: approve as the configured user, no page, nothing remembered.
//! 2. A session is *usable* when it has not expired and [`NeedOwner::session_usable`] accepts
//!    its sign-in time (not with `prompt=login`, not when older than `max_age`).
//! 3. Without a usable session: the login page (with the scope list and Approve/Deny when the
//!    client needs consent or `prompt=consent`), or `login_required` with `prompt=none`.
//!    Remembered consent never skips this step.
//! 4. With a usable session (or a sign-in posted in this request, which always counts):
//!    consent is needed as [`NeedOwner::consent_needed`] says, given the scopes the user
//!    approved for this client before. Needed: the consent page, or `consent_required` with
//!    `prompt=none`. Not needed: approve.
//! 5. An approval posted with a valid CSRF token is remembered (the union of the scopes the
//!    user approved for the client); a denial is not.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordVerifier as _};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use oauth_axum::{OwnerFuture, OwnerInteraction, OwnerOutcome, OwnerRequest};
use oauth_core::{Approval, NeedOwner, OwnerDecision, ScopeSet, UnixTime};
use rand::TryRngCore as _;
use subtle::ConstantTimeEq as _;
use tokio::sync::Semaphore;

use crate::config::{ServerConfig, User, hash_password};

/// Name of the session cookie; behind https it carries the `__Host-` prefix, so no subdomain
/// can set or shadow it (RFC 6265bis §4.1.3.2).
const SESSION_COOKIE: [&str; 2] = ["oauth_session", "__Host-oauth_session"];
/// Name of the CSRF cookie (double submit: its value is also sent as the `csrf_token` field).
const CSRF_COOKIE: [&str; 2] = ["csrf", "__Host-csrf"];
/// How long a sign-in lasts, in seconds: 8 hours.
const SESSION_LIFETIME: u64 = 8 * 3600;
/// Most sessions kept at once; the oldest is dropped beyond that.
const MAX_SESSIONS: usize = 10_000;
/// Most (user, client) consent decisions remembered at once: 100 000. Beyond that, the
/// decision used or made least recently is forgotten, so that user is asked again.
const MAX_CONSENTS: usize = 100_000;
/// Form fields the pages add; never copied back as authorization parameters.
const OWN_FIELDS: [&str; 4] = ["username", "password", "csrf_token", "decision"];

/// A signed-in user.
#[derive(Clone)]
struct Session {
    user_id: String,
    auth_time: UnixTime,
    expires_at: UnixTime,
}

/// The scopes a user approved for a client, and when that decision was last made or used.
struct Consent {
    scope: ScopeSet,
    used_at: UnixTime,
}

/// The login hook of the server.
pub(crate) struct Login {
    issuer_origin: String,
    secure_cookies: bool,
    dev_login: Option<String>,
    users: HashMap<String, User>,
    /// Verified when the user is unknown or disabled, so every failure costs the same.
    dummy_hash: String,
    sessions: Mutex<HashMap<[u8; 32], Session>>,
    /// Remembered consent, by (user id, client id); at most [`MAX_CONSENTS`].
    consents: Mutex<HashMap<(String, String), Consent>>,
    verifying: Semaphore,
}

impl Login {
    /// The hook for `config`, served at `issuer`.
    pub(crate) fn new(config: &ServerConfig, issuer: &str) -> Result<Self, &'static str> {
        let users: HashMap<String, User> = config.users.iter().map(|u| (u.id.clone(), u.clone())).collect();
        let dev_login = config.dev_login().and_then(|id| users.get(id)).map(|u| u.subject.clone());
        let dummy_hash = hash_password(&random_hex().ok_or("the OS random number generator failed")?)?;
        let permits = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Self {
            issuer_origin: origin_of(issuer),
            secure_cookies: issuer.starts_with("https://"),
            dev_login,
            users,
            dummy_hash,
            sessions: Mutex::new(HashMap::new()),
            consents: Mutex::new(HashMap::new()),
            verifying: Semaphore::new(permits),
        })
    }

    async fn answer(&self, req: OwnerRequest<'_>, q: &NeedOwner) -> OwnerOutcome {
        let now = q.now();
        if let Some(subject) = &self.dev_login {
            return OwnerOutcome::decide(OwnerDecision::Approve(Approval::new(subject.clone(), now)));
        }
        let ctx = Ctx {
            req,
            q,
            csrf_cookie: cookie(req.headers, self.cookie_name(CSRF_COOKIE)).filter(|v| decode_hex(v).is_some()),
        };
        let session = self.session(req.headers, now).filter(|s| q.session_usable(s.auth_time));
        if *req.method != Method::POST {
            return match session {
                None => self.page(&ctx, None, None, HeaderMap::new()),
                Some(s) if self.consent_needed(q, &s.user_id) => {
                    self.page(&ctx, Some(&s.user_id), None, HeaderMap::new())
                }
                Some(s) => self.approve(q, &s, false, HeaderMap::new()),
            };
        }
        // A form posted back from one of our pages.
        if !self.origin_ok(req.headers) || !ctx.csrf_ok() {
            return OwnerOutcome::Respond(error_page(
                StatusCode::BAD_REQUEST,
                "This form is not valid: it expired, or it was not sent from this site. \
                 Go back to the application and start again.",
            ));
        }
        let field = |name: &str| req.params.get(name).ok().flatten();
        let decision = field("decision");
        if decision == Some("deny") {
            return OwnerOutcome::decide(OwnerDecision::Deny);
        }
        let mut headers = HeaderMap::new();
        let signed_in = match (field("username"), field("password")) {
            (Some(username), Some(password)) => match self.verify(username, password).await {
                Some(user_id) => match self.new_session(user_id, now) {
                    Some((id, session)) => {
                        headers.append(
                            header::SET_COOKIE,
                            self.cookie_header(self.cookie_name(SESSION_COOKIE), &id, SESSION_LIFETIME),
                        );
                        session
                    }
                    None => return OwnerOutcome::Respond(unavailable()),
                },
                None => return self.page(&ctx, None, Some("Wrong username or password."), headers),
            },
            (None, None) => match session {
                Some(s) => s,
                None => return self.page(&ctx, None, None, headers),
            },
            _ => return self.page(&ctx, None, Some("Enter your username and password."), headers),
        };
        let approved = decision == Some("approve");
        if self.consent_needed(q, &signed_in.user_id) && !approved {
            return self.page(&ctx, Some(&signed_in.user_id), None, headers);
        }
        // Remember only what a page showed: the scope list appears whenever consent can be
        // needed for this client and prompt, before the user is known.
        self.approve(q, &signed_in, approved && q.consent_needed(None), headers)
    }

    /// Approves the request for the session's user with exactly the requested scope; with
    /// `remember`, records the approval for later requests. A user disabled since signing in
    /// gets `login_required`.
    fn approve(&self, q: &NeedOwner, session: &Session, remember: bool, headers: HeaderMap) -> OwnerOutcome {
        match self.users.get(&session.user_id).filter(|u| !u.disabled) {
            Some(user) => {
                if remember {
                    self.remember(&user.id, q.client().client_id(), q.scope(), q.now());
                }
                OwnerOutcome::Decide(
                    OwnerDecision::Approve(Approval::new(user.subject.clone(), session.auth_time)),
                    headers,
                )
            }
            None => OwnerOutcome::decide(OwnerDecision::LoginRequired),
        }
    }

    /// Whether `user_id` must be asked for consent (the core's rule, given the scopes the user
    /// approved for this client before). When not, the remembered decision counts as used.
    fn consent_needed(&self, q: &NeedOwner, user_id: &str) -> bool {
        let key = (user_id.to_owned(), q.client().client_id().to_owned());
        let mut consents = self.consents.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let remembered = consents.get_mut(&key);
        let needed = q.consent_needed(remembered.as_ref().map(|c| &c.scope));
        if let Some(c) = remembered.filter(|_| !needed) {
            c.used_at = q.now();
        }
        needed
    }

    /// Adds `scope` to what `user_id` approved for `client_id`. At [`MAX_CONSENTS`] entries, a
    /// new (user, client) pair replaces the one used least recently.
    fn remember(&self, user_id: &str, client_id: &str, scope: &ScopeSet, now: UnixTime) {
        if scope.is_empty() {
            return;
        }
        let key = (user_id.to_owned(), client_id.to_owned());
        let mut consents = self.consents.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(c) = consents.get_mut(&key) {
            if let Ok(union) = ScopeSet::from_tokens(c.scope.iter().chain(scope.iter())) {
                c.scope = union;
            }
            c.used_at = now;
            return;
        }
        if consents.len() >= MAX_CONSENTS {
            let oldest = consents.iter().min_by_key(|(_, c)| c.used_at).map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                consents.remove(&k);
            }
        }
        consents.insert(key, Consent { scope: scope.clone(), used_at: now });
    }

    /// The login page (`user` is `None`) or the consent page (`user` signed in), or, with
    /// `prompt=none`, the decision that no page may be shown.
    fn page(&self, ctx: &Ctx<'_>, user: Option<&str>, error: Option<&str>, mut headers: HeaderMap) -> OwnerOutcome {
        if ctx.q.prompt().none {
            let decision = if user.is_none() { OwnerDecision::LoginRequired } else { OwnerDecision::ConsentRequired };
            return OwnerOutcome::decide(decision);
        }
        let token = match &ctx.csrf_cookie {
            Some(t) => (*t).to_owned(),
            None => match random_hex() {
                Some(t) => {
                    headers.append(header::SET_COOKIE, self.cookie_header(self.cookie_name(CSRF_COOKIE), &t, 0));
                    t
                }
                None => return OwnerOutcome::Respond(unavailable()),
            },
        };
        // The login page asks for consent too whenever it may be needed: the user is not known
        // yet, so what they approved before cannot be looked up.
        let consent = user.is_some() || ctx.q.consent_needed(None);
        let html = render(ctx, user, consent, error, &token);
        let mut response = html_response(StatusCode::OK, html);
        for (name, value) in &headers {
            response.headers_mut().append(name, value.clone());
        }
        OwnerOutcome::Respond(response)
    }

    /// Whether `Origin`, when present, is the issuer's origin.
    fn origin_ok(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(header::ORIGIN)
            .iter()
            .all(|v| v.to_str().is_ok_and(|o| o.eq_ignore_ascii_case(&self.issuer_origin)))
    }

    /// The user id of an enabled user whose password is `password`, checked with argon2 on a
    /// blocking thread. Unknown and disabled users cost one verification too.
    async fn verify(&self, username: &str, password: &str) -> Option<String> {
        let user = self.users.get(username).filter(|u| !u.disabled);
        let hash = user.map_or_else(|| self.dummy_hash.clone(), |u| u.password_hash.clone());
        let password = password.to_owned();
        let _permit = self.verifying.acquire().await.ok()?;
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        })
        .await
        .unwrap_or(false);
        user.filter(|_| ok).map(|u| u.id.clone())
    }

    /// The signed-in session named by the request's session cookie, if it has not expired.
    fn session(&self, headers: &HeaderMap, now: UnixTime) -> Option<Session> {
        let id = decode_hex(cookie(headers, self.cookie_name(SESSION_COOKIE))?)?;
        let mut sessions = self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match sessions.get(&id) {
            Some(s) if !s.expires_at.is_expired_at(now) => Some(s.clone()),
            Some(_) => {
                sessions.remove(&id);
                None
            }
            None => None,
        }
    }

    /// Starts a session for `user_id` authenticated at `now`: a fresh 256-bit id from the OS.
    fn new_session(&self, user_id: String, now: UnixTime) -> Option<(String, Session)> {
        let id = random_hex()?;
        let key = decode_hex(&id)?;
        let session = Session { user_id, auth_time: now, expires_at: now.plus(SESSION_LIFETIME) };
        let mut sessions = self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if sessions.len() >= MAX_SESSIONS {
            sessions.retain(|_, s| !s.expires_at.is_expired_at(now));
        }
        if sessions.len() >= MAX_SESSIONS {
            let oldest = sessions.iter().min_by_key(|(_, s)| s.expires_at).map(|(k, _)| *k);
            if let Some(k) = oldest {
                sessions.remove(&k);
            }
        }
        sessions.insert(key, session.clone());
        Some((id, session))
    }

    /// The plain name over http (development), the `__Host-` name over https.
    const fn cookie_name(&self, names: [&'static str; 2]) -> &'static str {
        if self.secure_cookies { names[1] } else { names[0] }
    }

    /// A `Set-Cookie` value: `HttpOnly; SameSite=Lax; Path=/`, `Secure` behind https, and
    /// `Max-Age` when `max_age` is not 0.
    fn cookie_header(&self, name: &str, value: &str, max_age: u64) -> HeaderValue {
        let mut text = format!("{name}={value}; HttpOnly; SameSite=Lax; Path=/");
        if max_age > 0 {
            let _ = write!(text, "; Max-Age={max_age}");
        }
        if self.secure_cookies {
            text.push_str("; Secure");
        }
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

impl OwnerInteraction for Login {
    fn interact<'a>(&'a self, request: OwnerRequest<'a>, question: &'a NeedOwner) -> OwnerFuture<'a> {
        Box::pin(self.answer(request, question))
    }
}

/// One request's view for the hook.
struct Ctx<'a> {
    req: OwnerRequest<'a>,
    q: &'a NeedOwner,
    /// The request's well-formed CSRF cookie, if any.
    csrf_cookie: Option<&'a str>,
}

impl Ctx<'_> {
    /// Whether the posted `csrf_token` equals the `csrf` cookie (constant-time).
    fn csrf_ok(&self) -> bool {
        match (self.csrf_cookie, self.req.params.get("csrf_token")) {
            (Some(cookie), Ok(Some(field))) => {
                cookie.len() == field.len() && bool::from(cookie.as_bytes().ct_eq(field.as_bytes()))
            }
            _ => false,
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// 32 bytes from the OS random number generator as 64 lower-case hex characters.
fn random_hex() -> Option<String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.try_fill_bytes(&mut bytes).ok()?;
    Some(bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

/// 64 hex characters as 32 bytes.
fn decode_hex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// `scheme://host[:port]` of a URL, lower-cased.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{scheme}://{authority}").to_ascii_lowercase()
}

/// Escapes text for HTML content and double-quoted attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}\
label{display:block;margin:.8rem 0}input{display:block;width:100%;padding:.4rem;box-sizing:border-box}\
button{padding:.5rem 1.2rem;margin-right:.5rem}.error{color:#a00}code{background:#eee;padding:0 .2rem}";

/// The login page (`user` is `None`; with the scope list when `consent`) or the consent page.
fn render(ctx: &Ctx<'_>, user: Option<&str>, consent: bool, error: Option<&str>, csrf: &str) -> String {
    let client = escape(ctx.q.client().client_name());
    let title = if user.is_none() { "Sign in" } else { "Allow access" };
    let mut html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><main>\n<h1>{title}</h1>\n"
    );
    match user {
        None => {
            let _ = writeln!(html, "<p>Sign in to continue to <strong>{client}</strong>.</p>");
        }
        Some(u) => {
            let _ = writeln!(html, "<p>Signed in as <strong>{}</strong>.</p>", escape(u));
        }
    }
    if let Some(e) = error {
        let _ = writeln!(html, "<p class=\"error\" role=\"alert\">{}</p>", escape(e));
    }
    html.push_str("<form method=\"post\" action=\"/oauth/authorize\">\n");
    for (name, value) in ctx.req.params.iter().filter(|(n, _)| !OWN_FIELDS.contains(n)) {
        let _ = writeln!(html, "<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(name), escape(value));
    }
    let _ = writeln!(html, "<input type=\"hidden\" name=\"csrf_token\" value=\"{}\">", escape(csrf));
    if user.is_none() {
        let hint = escape(ctx.q.login_hint().unwrap_or(""));
        let _ = writeln!(
            html,
            "<label>Username <input name=\"username\" autocomplete=\"username\" required value=\"{hint}\"></label>\n\
             <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>"
        );
    }
    if consent {
        let _ = writeln!(html, "<p><strong>{client}</strong> asks for access to:</p>\n<ul>");
        for scope in ctx.q.scope().iter() {
            let _ = writeln!(html, "<li><code>{}</code></li>", escape(scope));
        }
        html.push_str(
            "</ul>\n<button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>\n\
             <button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button>\n",
        );
    } else {
        html.push_str("<button type=\"submit\" name=\"decision\" value=\"approve\">Sign in</button>\n");
    }
    html.push_str("</form>\n</main></body></html>\n");
    html
}

/// An HTML response with `no-store` caching and a strict Content-Security-Policy (no scripts,
/// no third-party resources, no framing). The adapter adds `X-Frame-Options` and
/// `Referrer-Policy`.
fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = Response::new(Body::from(html));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    response
}

/// A page that only explains a problem.
fn error_page(status: StatusCode, message: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error</title>\
         <style>{STYLE}</style></head><body><main>\n<h1>Something went wrong</h1>\n<p>{}</p>\n</main></body></html>\n",
        escape(message)
    );
    html_response(status, html)
}

/// The OS random number generator failed: nothing can be issued right now.
fn unavailable() -> Response {
    error_page(StatusCode::SERVICE_UNAVAILABLE, "Signing in is not possible right now. Try again later.")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oauth_core::wire::Params;
    use oauth_core::{AuthorizeRequest, Config, SeededEntropy, Step, authorize};

    use super::*;

    const CONFIG: &str = r#"
[[clients]]
client_id = "client-r"
app_type = "web"
client_secret = "s3cret"
redirect_uris = ["https://app.example/cb"]
allowed_scopes = ["read", "write", "admin"]

[[clients]]
client_id = "client-t"
app_type = "spa"
redirect_uris = ["https://spa.example/cb"]
allowed_scopes = ["read"]
consent = "trusted"

[[users]]
id = "alice"
password = "alice-pw"

[[users]]
id = "bob"
password = "bob-pw"
"#;

    fn config() -> ServerConfig {
        ServerConfig::from_toml(CONFIG).unwrap()
    }

    /// The owner question of an authorization request by `client_id` with the extra query
    /// parameters `extra` (each starting with `&`), at `now` seconds.
    fn question(config: &ServerConfig, client_id: &str, extra: &str, now: u64) -> NeedOwner {
        let core = Config::new_for_development("http://127.0.0.1:8080", Arc::new(SeededEntropy::new(7))).unwrap();
        let redirect =
            if client_id == "client-t" { "https%3A%2F%2Fspa.example%2Fcb" } else { "https%3A%2F%2Fapp.example%2Fcb" };
        let query = format!(
            "response_type=code&client_id={client_id}&redirect_uri={redirect}&state=s\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256{extra}"
        );
        let client = config.clients().iter().find(|c| c.client_id() == client_id).cloned();
        let step =
            authorize::start(&Arc::new(core), AuthorizeRequest::from_query(Some(&query)), UnixTime::from_secs(now));
        let Step::NeedClient(q) = step else { panic!("expected NeedClient, got {step:?}") };
        match q.resume(Ok(client)) {
            Step::NeedOwner(q) => q,
            other => panic!("expected NeedOwner, got {other:?}"),
        }
    }

    #[test]
    fn consent_is_remembered_per_user_client_and_scope() {
        let config = config();
        let login = Login::new(&config, "http://127.0.0.1:8080").unwrap();
        let read = question(&config, "client-r", "&scope=read", 100);
        let both = question(&config, "client-r", "&scope=write+read", 100);
        let write = question(&config, "client-r", "&scope=write", 100);
        assert!(login.consent_needed(&read, "alice"));

        login.remember("alice", "client-r", read.scope(), UnixTime::from_secs(100));
        assert!(!login.consent_needed(&read, "alice"));
        assert!(login.consent_needed(&read, "bob"), "per user");
        assert!(login.consent_needed(&both, "alice"), "a wider scope set is asked again");
        assert!(login.consent_needed(&question(&config, "client-r", "&scope=read&prompt=consent", 100), "alice"));

        // Approvals add up: read, then read+write, covers write alone.
        login.remember("alice", "client-r", both.scope(), UnixTime::from_secs(101));
        assert!(!login.consent_needed(&write, "alice"));
        assert!(!login.consent_needed(&both, "alice"));
        let consents = login.consents.lock().unwrap();
        let entry = consents.get(&("alice".to_owned(), "client-r".to_owned())).unwrap();
        assert_eq!(entry.scope.as_str(), "read write");
        drop(consents);

        // A trusted client needs no consent unless prompt=consent.
        assert!(!login.consent_needed(&question(&config, "client-t", "&scope=read", 100), "bob"));
        assert!(login.consent_needed(&question(&config, "client-t", "&scope=read&prompt=consent", 100), "bob"));
    }

    #[test]
    fn remembered_consent_is_bounded_least_recently_used_first() {
        let config = config();
        let login = Login::new(&config, "http://127.0.0.1:8080").unwrap();
        let scope = ScopeSet::parse("read").unwrap();
        login.remember("alice", "client-r", &scope, UnixTime::from_secs(10));
        login.remember("bob", "client-r", &scope, UnixTime::from_secs(11));
        {
            let mut consents = login.consents.lock().unwrap();
            for i in 0..MAX_CONSENTS - 2 {
                consents.insert(
                    (format!("u{i}"), "c".to_owned()),
                    Consent { scope: scope.clone(), used_at: UnixTime::from_secs(20) },
                );
            }
            assert_eq!(consents.len(), MAX_CONSENTS);
        }
        // Using alice's decision makes bob's the least recently used.
        assert!(!login.consent_needed(&question(&config, "client-r", "&scope=read", 30), "alice"));
        login.remember("carol", "client-r", &scope, UnixTime::from_secs(31));
        let consents = login.consents.lock().unwrap();
        assert_eq!(consents.len(), MAX_CONSENTS);
        assert!(consents.contains_key(&("alice".to_owned(), "client-r".to_owned())));
        assert!(consents.contains_key(&("carol".to_owned(), "client-r".to_owned())));
        assert!(!consents.contains_key(&("bob".to_owned(), "client-r".to_owned())), "bob was forgotten: asked again");
    }

    /// Answers a `GET` for `q` with the cookies `cookies`.
    async fn get(login: &Login, q: &NeedOwner, cookies: &str) -> OwnerOutcome {
        let mut request = axum::http::Request::builder().method(Method::GET).uri("/oauth/authorize");
        if !cookies.is_empty() {
            request = request.header(header::COOKIE, cookies);
        }
        let (parts, ()) = request.body(()).unwrap().into_parts();
        let params = Params::default();
        login.answer(OwnerRequest::new(&parts, &params), q).await
    }

    #[tokio::test]
    async fn dev_login_approves_without_remembering() {
        let config = config().with_dev_login("alice").unwrap();
        let login = Login::new(&config, "http://127.0.0.1:8080").unwrap();
        let q = question(&config, "client-r", "&scope=read&prompt=none", 200);
        let ok = get(&login, &q, "").await;
        assert!(matches!(ok, OwnerOutcome::Decide(OwnerDecision::Approve(_), _)), "{ok:?}");
        assert!(login.consents.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn remembered_consent_never_skips_authentication() {
        let config = config();
        let login = Login::new(&config, "http://127.0.0.1:8080").unwrap();
        let scope = ScopeSet::parse("read").unwrap();
        login.remember("alice", "client-r", &scope, UnixTime::from_secs(100));

        // No session: the login page, or login_required with prompt=none.
        let page = get(&login, &question(&config, "client-r", "&scope=read", 200), "").await;
        assert!(matches!(page, OwnerOutcome::Respond(ref r) if r.status() == StatusCode::OK), "{page:?}");
        let none = get(&login, &question(&config, "client-r", "&scope=read&prompt=none", 200), "").await;
        assert!(matches!(none, OwnerOutcome::Decide(OwnerDecision::LoginRequired, _)), "{none:?}");

        // A session signed in at 150: approved without a page; not with max_age 10 or prompt=login.
        let (id, _) = login.new_session("alice".to_owned(), UnixTime::from_secs(150)).unwrap();
        let cookies = format!("oauth_session={id}");
        let ok = get(&login, &question(&config, "client-r", "&scope=read&prompt=none", 200), &cookies).await;
        let OwnerOutcome::Decide(OwnerDecision::Approve(approval), _) = ok else { panic!("{ok:?}") };
        assert_eq!(approval.auth_time, UnixTime::from_secs(150));
        let old =
            get(&login, &question(&config, "client-r", "&scope=read&prompt=none&max_age=10", 200), &cookies).await;
        assert!(matches!(old, OwnerOutcome::Decide(OwnerDecision::LoginRequired, _)), "{old:?}");
        let relogin = get(&login, &question(&config, "client-r", "&scope=read&prompt=login", 200), &cookies).await;
        assert!(matches!(relogin, OwnerOutcome::Respond(ref r) if r.status() == StatusCode::OK), "{relogin:?}");
        // Not covered: consent_required with prompt=none.
        let wider = get(&login, &question(&config, "client-r", "&scope=read+write&prompt=none", 200), &cookies).await;
        assert!(matches!(wider, OwnerOutcome::Decide(OwnerDecision::ConsentRequired, _)), "{wider:?}");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn origins() {
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(origin_of("https://AS.example/tenant?x"), "https://as.example");
    }

    #[test]
    fn hex_round_trip() {
        let h = random_hex().unwrap();
        assert_eq!(h.len(), 64);
        assert!(decode_hex(&h).is_some());
        assert!(decode_hex("zz").is_none());
        assert!(decode_hex(&"g".repeat(64)).is_none());
    }

    #[test]
    fn https_cookies_are_secure_and_host_prefixed() {
        let config = ServerConfig::from_toml("[[users]]\nid = \"u\"\npassword = \"p\"\n").unwrap();
        let login = Login::new(&config, "https://as.example").unwrap();
        assert_eq!(login.cookie_name(SESSION_COOKIE), "__Host-oauth_session");
        let v = login.cookie_header(login.cookie_name(CSRF_COOKIE), "ab", 0);
        assert_eq!(v.to_str().unwrap(), "__Host-csrf=ab; HttpOnly; SameSite=Lax; Path=/; Secure");
        let dev = Login::new(&config, "http://127.0.0.1:8080").unwrap();
        assert_eq!(dev.cookie_name(SESSION_COOKIE), "oauth_session");
        let v = dev.cookie_header(dev.cookie_name(SESSION_COOKIE), "cd", 60);
        assert_eq!(v.to_str().unwrap(), "oauth_session=cd; HttpOnly; SameSite=Lax; Path=/; Max-Age=60");
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("xcsrf=1; csrf=abc"));
        h.append(header::COOKIE, HeaderValue::from_static("oauth_session=def"));
        assert_eq!(cookie(&h, "csrf"), Some("abc"));
        assert_eq!(cookie(&h, "oauth_session"), Some("def"));
        assert_eq!(cookie(&h, "other"), None);
    }
}
