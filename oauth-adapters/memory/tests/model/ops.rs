//! The operations a generated sequence is made of, and their strategies. Operations name
//! credentials by position in the model's lists (never by value), so a printed failing
//! sequence holds no secret and replays exactly.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use proptest::strategy::Union;

use crate::fixture::{CLIENTS, NATIVE, RS, SPA, SVC, VERIFIERS, WEB, WEB2, challenge};

/// Longest generated sequence.
pub(crate) const MAX_OPS: usize = 40;

/// Which of the model's credentials of one kind: the newest, or one by position.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pick {
    Latest,
    /// The one at this position, modulo the list's length.
    At(u8),
}

impl Pick {
    /// The position in a list of `len` credentials, or `None` when there is none.
    pub(crate) fn resolve(self, len: usize) -> Option<usize> {
        match (len, self) {
            (0, _) => None,
            (n, Self::Latest) => Some(n - 1),
            (n, Self::At(i)) => Some(usize::from(i) % n),
        }
    }
}

/// A presented credential: one the model knows (of any kind, so a refresh token can be sent as
/// a code), or a value nobody issued.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cred {
    Code(Pick),
    Access(Pick),
    Refresh(Pick),
    Garbage,
}

/// How the requesting client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthMode {
    /// Basic with the right secret (confidential) or `client_id` in the body (public).
    Right,
    /// `client_secret_post` (confidential) or `client_id` in the body (public).
    RightPost,
    /// A wrong secret (confidential), or a secret for a public client.
    Wrong,
    /// No client identification at all.
    Missing,
}

/// The `Origin` header of a token request or a resource request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OriginChoice {
    Absent,
    /// The client's first allowed origin (an unlisted one when it has none).
    Allowed,
    Foreign,
}

/// How a token request travels.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wire {
    pub(crate) auth: AuthMode,
    pub(crate) origin: OriginChoice,
    /// A JSON body instead of a form.
    pub(crate) json: bool,
}

/// Who presents a code or refresh token: the client it was issued to, or any client.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Who {
    Owner,
    Client(usize),
}

/// A `scope` parameter: omitted, empty (`scope=`, treated as omitted), a subset of a base set
/// (the client's allowed scopes, the requested scope, the grant's scope) chosen by the mask's
/// bits, or any subset of the universe (bit 7 reverses the order on the wire).
#[derive(Clone, Copy, Debug)]
pub(crate) enum ScopePick {
    Omit,
    Empty,
    Sub(u8),
    Any(u8),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum RedirectChoice {
    Omit,
    Registered(u8),
    /// The native client's loopback URI with a port (RFC 8252 §7.3); unregistered elsewhere.
    LoopbackPort(u16),
    Unregistered,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum PkceChoice {
    Absent,
    S256(u8),
    /// A challenge without a method, which means `plain` and is refused.
    PlainNoMethod(u8),
    Malformed,
}

/// The resource owner's answer to `NeedOwner`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Decision {
    /// Approve as user `user`, narrowing the scope by `narrow` (a subset of the asked scope, or
    /// any set, which may exceed it).
    Approve {
        user: u8,
        narrow: ScopePick,
    },
    Deny,
    LoginRequired,
    ConsentRequired,
}

/// The `redirect_uri` of a code redemption.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RedirectMode {
    /// Sent exactly when the authorization request sent it.
    AsAuthorized,
    /// Always sent (the right value).
    AlwaysSend,
    Omit,
    Other,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum VerifierMode {
    Right,
    Wrong,
    Omit,
}

/// The `user_lookup` of an impersonation request; user index 3 is nobody.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Lookup {
    UserId(u8),
    Subject(u8),
    BadField,
    EmptyValue,
    Missing,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct AuthorizeOp {
    pub(crate) client: usize,
    pub(crate) redirect: RedirectChoice,
    pub(crate) scope: ScopePick,
    pub(crate) pkce: PkceChoice,
    pub(crate) state: Option<u8>,
    pub(crate) post: bool,
    pub(crate) decision: Decision,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct RedeemOp {
    pub(crate) code: Cred,
    pub(crate) who: Who,
    pub(crate) wire: Wire,
    pub(crate) redirect: RedirectMode,
    pub(crate) verifier: VerifierMode,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct RefreshOp {
    pub(crate) token: Cred,
    pub(crate) who: Who,
    pub(crate) wire: Wire,
    pub(crate) scope: ScopePick,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientCredentialsOp {
    pub(crate) client: usize,
    pub(crate) wire: Wire,
    pub(crate) scope: ScopePick,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct ImpersonateOp {
    pub(crate) client: usize,
    pub(crate) wire: Wire,
    pub(crate) lookup: Lookup,
    pub(crate) scope: ScopePick,
}

/// A resource server's own check of an access token (`TokenStore::access_token` +
/// `bearer::check`, RFC 6750), from a browser origin or not.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResourceOp {
    pub(crate) token: Cred,
    pub(crate) origin: OriginChoice,
}

/// The `token_type_hint` of a revocation or introspection request (RFC 7009 §2.1, RFC 7662
/// §2.1): only a hint, so a wrong or unknown value must still find the token.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Hint {
    Omit,
    AccessToken,
    RefreshToken,
    /// A value no RFC defines.
    Unknown,
}

/// The `token` parameter of a revocation request.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TokenParam {
    Send(Cred),
    /// `token=` with an empty value.
    Empty,
    Missing,
}

/// `POST /oauth/revoke` (RFC 7009) by the credential's owner or another client.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RevokeOp {
    pub(crate) token: TokenParam,
    pub(crate) who: Who,
    pub(crate) wire: Wire,
    pub(crate) hint: Hint,
}

/// Who asks the introspection endpoint (RFC 7662 §2.1).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Caller {
    /// The client the token was issued to (`Basic` or `client_secret_post` when `post`).
    Owner { post: bool },
    /// Any client (`rs` may see every token).
    Client { client: usize, post: bool },
    /// `Authorization: Bearer` with one of the model's access tokens.
    Bearer(Pick),
    /// `Authorization: Bearer` with the newest access token of `rs` (usually carrying the
    /// introspection scope).
    IntrospectorBearer,
    /// No authentication at all.
    Anonymous,
}

/// `POST /oauth/introspect` (RFC 7662).
#[derive(Clone, Copy, Debug)]
pub(crate) struct IntrospectOp {
    pub(crate) token: Cred,
    pub(crate) caller: Caller,
    pub(crate) hint: Hint,
    pub(crate) json: bool,
}

/// What a mangled request breaks; each must be refused before any credential is taken.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mangle {
    /// Repeat the parameter at this position, with the same value or another.
    Duplicate(u8, bool),
    /// Parameters in the query string too.
    Query,
    /// Basic and `client_secret` both.
    TwoAuthMethods,
    BadEscape,
    NotUtf8,
    WrongContentType,
    UnknownGrantType,
    Assertion,
    TooManyParams,
}

/// Malformed input; none of it carries a valid credential unless mangled.
#[derive(Clone, Debug)]
pub(crate) enum Malformed {
    TokenBytes {
        content_type: Option<&'static str>,
        body: Vec<u8>,
        authorization: Option<String>,
        query: Option<String>,
    },
    TokenParams {
        pairs: Vec<(String, String)>,
        json: bool,
        authorization: Option<String>,
    },
    AuthorizeQuery(String),
    AuthorizeParams {
        pairs: Vec<(String, String)>,
        post: bool,
    },
    AuthorizeBytes {
        content_type: Option<&'static str>,
        body: Vec<u8>,
    },
    /// A body or query `extra` bytes over the 64 KiB limit: 0 token, 1 authorize GET, 2 POST.
    Oversized {
        endpoint: u8,
        extra: usize,
    },
    /// An `Authorization` header at the resource server.
    Bearer(String),
    /// A well-formed redemption (`refresh` false) or refresh of a real credential, broken.
    Mangled {
        token: Cred,
        refresh: bool,
        how: Mangle,
    },
    /// Dictionary parameters at the revocation (`introspect` false) or introspection endpoint.
    InspectParams {
        introspect: bool,
        pairs: Vec<(String, String)>,
        json: bool,
        authorization: Option<String>,
    },
    /// A well-formed revocation (`introspect` false) or introspection by the credential's owner,
    /// broken (`UnknownGrantType` repeats `token_type_hint` with another value instead).
    MangledInspect {
        token: Cred,
        introspect: bool,
        how: Mangle,
    },
}

/// A shortcut to deep states: an approved authorization request (PKCE, the client's only or
/// first redirect URI, scope `scope` plus `offline_access` when `offline`) immediately redeemed
/// by its client. The same checks run as for the two operations on their own.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FlowOp {
    pub(crate) client: usize,
    pub(crate) scope: ScopePick,
    pub(crate) offline: bool,
    pub(crate) user: u8,
}

#[derive(Clone, Debug)]
pub(crate) enum Op {
    Flow(FlowOp),
    Authorize(AuthorizeOp),
    Redeem(RedeemOp),
    Refresh(RefreshOp),
    ClientCredentials(ClientCredentialsOp),
    Impersonate(ImpersonateOp),
    Resource(ResourceOp),
    Revoke(RevokeOp),
    Introspect(IntrospectOp),
    /// Advance the virtual clock by this many seconds.
    Advance(u64),
    /// `MemoryStore::remove_client`: unregisters the client and revokes all its grants.
    RemoveClient(usize),
    /// Registers the client again (same registration).
    ReinsertClient(usize),
    /// Replaces a client's registration (its grants stay) with one allowed scope dropped (the
    /// scope at this position, modulo the number of its scopes plus one: the last value drops
    /// nothing).
    Reregister {
        client: usize,
        drop: u8,
    },
    Malformed(Malformed),
}

/// Relative weights of the operations, and how often a code or refresh token is presented by
/// a client other than its owner. A weight of 0 leaves the operation out.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Profile {
    pub(crate) flow: u32,
    pub(crate) authorize: u32,
    pub(crate) redeem: u32,
    pub(crate) refresh: u32,
    pub(crate) client_credentials: u32,
    pub(crate) impersonate: u32,
    pub(crate) resource: u32,
    pub(crate) revoke: u32,
    pub(crate) introspect: u32,
    pub(crate) advance: u32,
    pub(crate) remove: u32,
    pub(crate) reinsert: u32,
    pub(crate) reregister: u32,
    pub(crate) malformed: u32,
    pub(crate) foreign: u32,
}

impl Profile {
    /// Every operation, in proportions that reach deep flows (codes, rotations, replays).
    pub(crate) const GENERAL: Self = Self {
        flow: 4,
        authorize: 4,
        redeem: 4,
        refresh: 8,
        client_credentials: 2,
        impersonate: 2,
        resource: 2,
        revoke: 2,
        introspect: 2,
        advance: 4,
        remove: 1,
        reinsert: 1,
        reregister: 1,
        malformed: 1,
        foreign: 2,
    };
    /// Many codes and redemptions (replays, foreign clients, wrong bindings).
    pub(crate) const CODES: Self = Self { authorize: 8, redeem: 12, refresh: 3, advance: 3, ..Self::GENERAL };
    /// Much clock movement and revocation.
    pub(crate) const LIFETIMES: Self =
        Self { advance: 8, remove: 2, reinsert: 2, resource: 4, revoke: 3, introspect: 3, ..Self::GENERAL };
    /// Scope-bearing requests of every grant.
    pub(crate) const SCOPES: Self =
        Self { client_credentials: 4, impersonate: 4, refresh: 6, reregister: 3, malformed: 0, ..Self::GENERAL };
    /// Many refreshes, so rotated tokens come back.
    pub(crate) const ROTATION: Self = Self { flow: 6, authorize: 2, redeem: 2, refresh: 14, ..Self::GENERAL };
    /// Credentials presented by other clients.
    /// Fresh codes (authorize, not flow) and rotated tokens presented by other clients.
    pub(crate) const CROSS_CLIENT: Self =
        Self { flow: 2, authorize: 8, redeem: 10, refresh: 8, foreign: 8, ..Self::GENERAL };
    /// Malformed input between real flows.
    pub(crate) const MALFORMED: Self = Self { malformed: 10, ..Self::GENERAL };
    /// Many revocations, by owners and strangers, between refreshes and introspections.
    pub(crate) const REVOCATION: Self =
        Self { flow: 6, refresh: 6, revoke: 10, introspect: 4, resource: 3, foreign: 6, ..Self::GENERAL };
    /// Many introspections, by owners, strangers, the introspecting client and bearer tokens.
    pub(crate) const INTROSPECTION: Self =
        Self { flow: 6, client_credentials: 4, introspect: 12, revoke: 4, advance: 5, ..Self::GENERAL };
}

/// A sequence of 1 to [`MAX_OPS`] operations drawn with `profile`.
pub(crate) fn ops(profile: Profile) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(profile), 1..=MAX_OPS)
}

fn op(p: Profile) -> impl Strategy<Value = Op> {
    let options: Vec<(u32, BoxedStrategy<Op>)> = vec![
        (p.flow, flow_op().prop_map(Op::Flow).boxed()),
        (p.authorize, authorize_op().prop_map(Op::Authorize).boxed()),
        (p.redeem, redeem_op(p.foreign).prop_map(Op::Redeem).boxed()),
        (p.refresh, refresh_op(p.foreign).prop_map(Op::Refresh).boxed()),
        (p.client_credentials, client_credentials_op().prop_map(Op::ClientCredentials).boxed()),
        (p.impersonate, impersonate_op().prop_map(Op::Impersonate).boxed()),
        (p.resource, resource_op().prop_map(Op::Resource).boxed()),
        (p.revoke, revoke_op(p.foreign).prop_map(Op::Revoke).boxed()),
        (p.introspect, introspect_op().prop_map(Op::Introspect).boxed()),
        (p.advance, advance().prop_map(Op::Advance).boxed()),
        (p.remove, client().prop_map(Op::RemoveClient).boxed()),
        (p.reinsert, client().prop_map(Op::ReinsertClient).boxed()),
        (p.reregister, (client(), any::<u8>()).prop_map(|(client, drop)| Op::Reregister { client, drop }).boxed()),
        (p.malformed, malformed().prop_map(Op::Malformed).boxed()),
    ];
    Union::new_weighted(options.into_iter().filter(|(w, _)| *w > 0).collect())
}

fn client() -> impl Strategy<Value = usize> {
    0..CLIENTS.len()
}

fn advance() -> impl Strategy<Value = u64> {
    prop_oneof![6 => 0u64..=3, 3 => 4u64..=15, 2 => 25u64..=70]
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![3 => Just(Pick::Latest), 2 => any::<u8>().prop_map(Pick::At)]
}

fn scope_pick() -> impl Strategy<Value = ScopePick> {
    prop_oneof![
        3 => Just(ScopePick::Omit),
        1 => Just(ScopePick::Empty),
        8 => any::<u8>().prop_map(ScopePick::Sub),
        1 => any::<u8>().prop_map(ScopePick::Any),
    ]
}

fn wire() -> impl Strategy<Value = Wire> {
    let auth = prop_oneof![
        12 => Just(AuthMode::Right),
        4 => Just(AuthMode::RightPost),
        1 => Just(AuthMode::Wrong),
        1 => Just(AuthMode::Missing),
    ];
    let origin = prop_oneof![
        20 => Just(OriginChoice::Absent),
        2 => Just(OriginChoice::Allowed),
        1 => Just(OriginChoice::Foreign),
    ];
    (auth, origin, prop::bool::weighted(0.25)).prop_map(|(auth, origin, json)| Wire { auth, origin, json })
}

fn who(foreign: u32) -> BoxedStrategy<Who> {
    if foreign == 0 {
        return Just(Who::Owner).boxed();
    }
    prop_oneof![10 => Just(Who::Owner), foreign => client().prop_map(Who::Client)].boxed()
}

fn cred(code: u32, access: u32, refresh: u32) -> impl Strategy<Value = Cred> {
    prop_oneof![
        code => pick().prop_map(Cred::Code),
        access => pick().prop_map(Cred::Access),
        refresh => pick().prop_map(Cred::Refresh),
        1 => Just(Cred::Garbage),
    ]
}

fn flow_op() -> impl Strategy<Value = FlowOp> {
    let client = prop_oneof![4 => Just(SPA), 2 => Just(NATIVE), 3 => Just(WEB), 1 => Just(WEB2)];
    (client, scope_pick(), prop::bool::weighted(0.8), 0u8..3).prop_map(|(client, scope, offline, user)| FlowOp {
        client,
        scope,
        offline,
        user,
    })
}

fn authorize_op() -> impl Strategy<Value = AuthorizeOp> {
    let redirect = prop_oneof![
        2 => Just(RedirectChoice::Omit),
        8 => any::<u8>().prop_map(RedirectChoice::Registered),
        1 => (1024u16..=65535).prop_map(RedirectChoice::LoopbackPort),
        1 => Just(RedirectChoice::Unregistered),
    ];
    let pkce = prop_oneof![
        1 => Just(PkceChoice::Absent),
        16 => (0u8..3).prop_map(PkceChoice::S256),
        1 => (0u8..3).prop_map(PkceChoice::PlainNoMethod),
        1 => Just(PkceChoice::Malformed),
    ];
    let decision = prop_oneof![
        16 => (0u8..3, prop_oneof![10 => Just(ScopePick::Omit), 1 => Just(ScopePick::Empty),
            3 => any::<u8>().prop_map(ScopePick::Sub), 1 => any::<u8>().prop_map(ScopePick::Any)])
            .prop_map(|(user, narrow)| Decision::Approve { user, narrow }),
        1 => Just(Decision::Deny),
        1 => Just(Decision::LoginRequired),
        1 => Just(Decision::ConsentRequired),
    ];
    // Mostly clients that can use the authorization endpoint.
    let client = prop_oneof![3 => Just(SPA), 2 => Just(NATIVE), 3 => Just(WEB), 2 => Just(WEB2), 1 => Just(SVC)];
    (client, redirect, scope_pick(), pkce, prop::option::of(any::<u8>()), any::<bool>(), decision).prop_map(
        |(client, redirect, scope, pkce, state, post, decision)| AuthorizeOp {
            client,
            redirect,
            scope,
            pkce,
            state,
            post,
            decision,
        },
    )
}

fn redeem_op(foreign: u32) -> impl Strategy<Value = RedeemOp> {
    let redirect = prop_oneof![
        8 => Just(RedirectMode::AsAuthorized),
        2 => Just(RedirectMode::AlwaysSend),
        1 => Just(RedirectMode::Omit),
        1 => Just(RedirectMode::Other),
    ];
    let verifier =
        prop_oneof![8 => Just(VerifierMode::Right), 1 => Just(VerifierMode::Wrong), 1 => Just(VerifierMode::Omit)];
    (cred(12, 1, 1), who(foreign), wire(), redirect, verifier)
        .prop_map(|(code, who, wire, redirect, verifier)| RedeemOp { code, who, wire, redirect, verifier })
}

fn refresh_op(foreign: u32) -> impl Strategy<Value = RefreshOp> {
    (cred(1, 1, 12), who(foreign), wire(), scope_pick()).prop_map(|(token, who, wire, scope)| RefreshOp {
        token,
        who,
        wire,
        scope,
    })
}

fn client_credentials_op() -> impl Strategy<Value = ClientCredentialsOp> {
    let client = prop_oneof![4 => Just(WEB), 4 => Just(SVC), 2 => client()];
    (client, wire(), scope_pick()).prop_map(|(client, wire, scope)| ClientCredentialsOp { client, wire, scope })
}

fn impersonate_op() -> impl Strategy<Value = ImpersonateOp> {
    let client = prop_oneof![8 => Just(SVC), 2 => client()];
    let lookup = prop_oneof![
        5 => (0u8..4).prop_map(Lookup::UserId),
        5 => (0u8..4).prop_map(Lookup::Subject),
        1 => Just(Lookup::BadField),
        1 => Just(Lookup::EmptyValue),
        1 => Just(Lookup::Missing),
    ];
    (client, wire(), lookup, scope_pick()).prop_map(|(client, wire, lookup, scope)| ImpersonateOp {
        client,
        wire,
        lookup,
        scope,
    })
}

fn resource_op() -> impl Strategy<Value = ResourceOp> {
    let origin = prop_oneof![
        6 => Just(OriginChoice::Absent),
        2 => Just(OriginChoice::Allowed),
        1 => Just(OriginChoice::Foreign),
    ];
    (cred(1, 10, 1), origin).prop_map(|(token, origin)| ResourceOp { token, origin })
}

fn hint() -> impl Strategy<Value = Hint> {
    prop_oneof![
        4 => Just(Hint::Omit),
        2 => Just(Hint::AccessToken),
        2 => Just(Hint::RefreshToken),
        1 => Just(Hint::Unknown),
    ]
}

fn revoke_op(foreign: u32) -> impl Strategy<Value = RevokeOp> {
    let token = prop_oneof![
        20 => cred(1, 8, 8).prop_map(TokenParam::Send),
        1 => Just(TokenParam::Empty),
        1 => Just(TokenParam::Missing),
    ];
    // Strangers at least now and then, even in profiles without foreign presenters.
    (token, who(foreign.max(2)), wire(), hint()).prop_map(|(token, who, wire, hint)| RevokeOp {
        token,
        who,
        wire,
        hint,
    })
}

fn introspect_op() -> impl Strategy<Value = IntrospectOp> {
    let caller = prop_oneof![
        6 => any::<bool>().prop_map(|post| Caller::Owner { post }),
        3 => (client(), any::<bool>()).prop_map(|(client, post)| Caller::Client { client, post }),
        4 => any::<bool>().prop_map(|post| Caller::Client { client: RS, post }),
        2 => pick().prop_map(Caller::Bearer),
        3 => Just(Caller::IntrospectorBearer),
        1 => Just(Caller::Anonymous),
    ];
    (cred(1, 8, 6), caller, hint(), prop::bool::weighted(0.25)).prop_map(|(token, caller, hint, json)| IntrospectOp {
        token,
        caller,
        hint,
        json,
    })
}

static CONTENT_TYPES: [Option<&str>; 7] = [
    None,
    Some("application/x-www-form-urlencoded"),
    Some("application/json"),
    Some("application/json; charset=UTF-8"),
    Some("APPLICATION/X-WWW-FORM-URLENCODED"),
    Some("text/plain"),
    Some(""),
];

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop::sample::select(&CONTENT_TYPES[..])
}

fn printable() -> impl Strategy<Value = String> {
    "[ -~]{0,64}"
}

/// Bytes and strings that look like form data, with escapes good and bad.
fn formish() -> impl Strategy<Value = String> {
    "[a-z_=&%+0-9A-Fa-f.~ -]{0,80}"
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..160)
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![printable(), formish(), any::<String>()]
}

static CLIENT_IDS: [&str; 7] = ["spa", "native", "web", "web2", "svc", "rs", "ghost"];

fn authorization() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        1 => printable().prop_map(Some),
        1 => bytes().prop_map(|b| Some(format!("Basic {}", STANDARD.encode(b)))),
        2 => (prop::sample::select(&CLIENT_IDS[..]), printable())
            .prop_map(|(id, s)| Some(format!("Basic {}", STANDARD.encode(format!("{id}:{s}"))))),
        1 => printable().prop_map(|s| Some(format!("Basic {s}"))),
        1 => printable().prop_map(|s| Some(format!("Bearer {s}"))),
    ]
}

static TOKEN_NAMES: [&str; 12] = [
    "grant_type",
    "client_id",
    "client_secret",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "scope",
    "user_lookup",
    "client_assertion",
    "client_assertion_type",
    "state",
];

/// Dictionary values for token, revocation and introspection requests: never a client secret,
/// code or token, so nothing can succeed (a public client's revocation of an unknown token
/// answers 200 and revokes nothing).
fn token_values() -> Vec<String> {
    let mut v: Vec<String> = [
        "authorization_code",
        "client_credentials",
        "refresh_token",
        "urn:qlik:oauth:user-impersonation",
        "password",
        "https://spa.example/cb",
        "https://web.example/cb",
        "read",
        "offline_access",
        "read offline_access",
        "S256",
        r#"{"field":"userId","value":"u-alice"}"#,
        r#"{"field":"subject","value":"auth0|bob"}"#,
        r#"{"field":"userId"}"#,
        "",
        "%",
        "%zz",
        "%FF",
        "null",
        "access_token",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.extend(CLIENT_IDS.iter().map(|s| (*s).to_owned()));
    v.push(VERIFIERS[0].to_owned());
    v
}

fn authorize_values() -> Vec<String> {
    let mut v: Vec<String> = [
        "code",
        "token",
        "https://spa.example/cb",
        "https://web.example/cb",
        "https://web2.example/cb?tenant=t1",
        "http://127.0.0.1:9/cb",
        "read",
        "offline_access",
        "S256",
        "plain",
        "none",
        "login",
        "consent",
        "none login",
        "0",
        "-1",
        "99999999999",
        "",
        "%zz",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    v.extend(CLIENT_IDS.iter().map(|s| (*s).to_owned()));
    v.push(challenge(VERIFIERS[0]));
    v
}

static INSPECT_NAMES: [&str; 6] =
    ["token", "token_type_hint", "client_id", "client_secret", "client_assertion", "client_assertion_type"];

static AUTHORIZE_NAMES: [&str; 12] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "login_hint",
    "max_age",
    "nonce",
    "response_mode",
];

fn pairs(names: &'static [&'static str], values: Vec<String>) -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![4 => prop::sample::select(names).prop_map(str::to_owned), 1 => "[a-z_]{1,10}"];
    let value = prop_oneof![4 => prop::sample::select(values), 1 => any_text()];
    prop::collection::vec((name, value), 0..10)
}

fn mangle() -> impl Strategy<Value = Mangle> {
    prop_oneof![
        3 => (any::<u8>(), any::<bool>()).prop_map(|(i, same)| Mangle::Duplicate(i, same)),
        1 => Just(Mangle::Query),
        1 => Just(Mangle::TwoAuthMethods),
        1 => Just(Mangle::BadEscape),
        1 => Just(Mangle::NotUtf8),
        1 => Just(Mangle::WrongContentType),
        1 => Just(Mangle::UnknownGrantType),
        1 => Just(Mangle::Assertion),
        1 => Just(Mangle::TooManyParams),
    ]
}

fn malformed() -> impl Strategy<Value = Malformed> {
    prop_oneof![
        3 => (content_type(), bytes(), authorization(), prop::option::weighted(0.2, formish())).prop_map(
            |(content_type, body, authorization, query)| Malformed::TokenBytes { content_type, body, authorization, query }
        ),
        4 => (pairs(&TOKEN_NAMES, token_values()), any::<bool>(), authorization())
            .prop_map(|(pairs, json, authorization)| Malformed::TokenParams { pairs, json, authorization }),
        2 => any_text().prop_map(Malformed::AuthorizeQuery),
        3 => (pairs(&AUTHORIZE_NAMES, authorize_values()), any::<bool>())
            .prop_map(|(pairs, post)| Malformed::AuthorizeParams { pairs, post }),
        1 => (content_type(), bytes()).prop_map(|(content_type, body)| Malformed::AuthorizeBytes { content_type, body }),
        1 => (0u8..3, 1usize..2048).prop_map(|(endpoint, extra)| Malformed::Oversized { endpoint, extra }),
        2 => any_text().prop_map(Malformed::Bearer),
        4 => (cred(3, 1, 3), any::<bool>(), mangle())
            .prop_map(|(token, refresh, how)| Malformed::Mangled { token, refresh, how }),
        2 => (any::<bool>(), pairs(&INSPECT_NAMES, token_values()), any::<bool>(), authorization()).prop_map(
            |(introspect, pairs, json, authorization)| {
                Malformed::InspectParams { introspect, pairs, json, authorization }
            }
        ),
        3 => (cred(0, 3, 3), any::<bool>(), mangle())
            .prop_map(|(token, introspect, how)| Malformed::MangledInspect { token, introspect, how }),
    ]
}
