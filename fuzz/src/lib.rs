//! # oauth-fuzz
//!
//! Fuzz targets over `oauth-core`: every parser (form and query strings, JSON bodies,
//! `Authorization: Basic` and `Bearer`, redirect URIs, scope strings, `user_lookup`, PKCE, JWT
//! access tokens, the metadata path) and every endpoint machine (authorization, token for every
//! grant, revocation, introspection, whole flows), each driven
//! through [`oauth_core::drive()`] against [`oauth_memory::MemoryStore`] with fixed clients and
//! users, a virtual clock and [`oauth_core::SeededEntropy`].
//!
//! The logic of each target is a public function of this library that takes the raw input
//! (`&[u8]`) and panics when an invariant breaks; [`TARGETS`] lists them by name. The
//! cargo-fuzz binaries in `fuzz_targets/` only call these functions, and `tests/corpus.rs`
//! replays every file of `corpus/<target>/` and `regressions/<target>/` through them as an
//! ordinary test. See `README.md` for running the fuzzer.

pub mod authorize;
pub mod check;
pub mod fixture;
pub mod flow;
pub mod http;
pub mod inspect;
pub mod jwt;
pub mod metadata;
pub mod parsers;
pub mod pkce;
pub mod redirect_uri;
pub mod token;

/// A target's function over raw input bytes.
pub type TargetFn = fn(&[u8]);

/// Every target by name (the name of its cargo-fuzz binary and of its corpus directory), with
/// its function over raw bytes.
pub const TARGETS: &[(&str, TargetFn)] = &[
    ("form", parsers::form),
    ("json_body", parsers::json_body),
    ("basic", parsers::basic),
    ("bearer", parsers::bearer),
    ("redirect_uri", redirect_uri::redirect_uri),
    ("scope", parsers::scope),
    ("user_lookup", parsers::user_lookup),
    ("pkce", pkce::pkce),
    ("authorize", authorize::authorize),
    ("token", token::token),
    ("flow", flow::flow_bytes),
    ("revoke", inspect::revoke),
    ("introspect", inspect::introspect),
    ("jwt", jwt::jwt),
    ("metadata", metadata::metadata),
];
