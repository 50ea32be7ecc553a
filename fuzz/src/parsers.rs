//! Targets over the core's parsers: form and query strings, JSON bodies, `Authorization: Basic`
//! and `Bearer`, scope strings and the impersonation grant's `user_lookup`. Each takes the raw
//! input bytes; inputs that are not UTF-8 are skipped where the parser takes a `&str` (the
//! adapters hand the core only `&str` header values).

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use oauth_core::bearer::{self, BearerError};
use oauth_core::types::{MAX_SCOPE_BYTES, MAX_SCOPE_TOKENS};
use oauth_core::wire::{
    BasicCredentials, BasicError, Field, MAX_AUTHORIZATION_BYTES, MAX_INPUT_BYTES, MAX_NAME_BYTES, MAX_PARAMS,
    MAX_VALUE_BYTES, Params, WireError, parse_body,
};
use oauth_core::{AuthorizeRequest, ScopeSet, StoreError, UserField, UserLookup, UserLookupError};
use serde_json::Value;

use crate::check;
use crate::fixture::basic_header;

/// Percent-decodes one form component to bytes, `+` as a space (WHATWG URL
/// `application/x-www-form-urlencoded`), written here independently of the core; `None` for a
/// `%` not followed by two hex digits.
#[must_use]
pub fn percent_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut rest = input;
    while let Some((&b, tail)) = rest.split_first() {
        match b {
            b'+' => {
                out.push(b' ');
                rest = tail;
            }
            b'%' => {
                let hex = tail.get(..2)?;
                let text = std::str::from_utf8(hex).ok()?;
                if !text.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(text, 16).ok()?);
                rest = &tail[2..];
            }
            _ => {
                out.push(b);
                rest = tail;
            }
        }
    }
    Some(out)
}

/// Checks that every lookup of `params` agrees with its pairs: `get`, `pick`, `contains`,
/// `first_repeated`, `len`, `is_empty`, and a `Debug` that lists names only.
fn lookups_agree(params: &Params) {
    let pairs: Vec<(&str, &str)> = params.iter().collect();
    assert_eq!(params.len(), pairs.len(), "Params::len");
    assert_eq!(params.is_empty(), pairs.is_empty(), "Params::is_empty");
    let names: Vec<&str> = pairs.iter().map(|p| p.0).collect();
    for (name, _) in &pairs {
        let copies: Vec<&str> = pairs.iter().filter(|p| p.0 == *name).map(|p| p.1).collect();
        let [picked] = params.pick([name]);
        match copies.as_slice() {
            [only] => {
                let expected = Some(*only).filter(|v| !v.is_empty());
                assert_eq!(params.get(name), Ok(expected), "get of a single parameter");
                assert_eq!(picked, expected.map_or(Field::Absent, Field::Value), "pick of a single parameter");
            }
            _ => {
                assert!(params.get(name).is_err(), "get of a repeated parameter must refuse it");
                assert_eq!(picked, Field::Repeated, "pick of a repeated parameter");
                assert_eq!(params.first_repeated(&[name]), Some(*name), "first_repeated");
            }
        }
        assert!(params.contains(name), "contains");
    }
    let absent = (0..).map(|i| format!("absent{i}")).find(|n| !names.contains(&n.as_str())).unwrap_or_default();
    assert_eq!(params.get(&absent), Ok(None), "get of an absent name");
    assert_eq!(format!("{params:?}"), format!("{names:?}"), "Debug must list names only");
}

/// Target `form`: [`Params::parse_form`] over a body or query string (RFC 6749 Appendix B).
///
/// Invariants: never panics; the bounds hold ([`MAX_INPUT_BYTES`], [`MAX_PARAMS`],
/// [`MAX_NAME_BYTES`], [`MAX_VALUE_BYTES`]); an accepted input decodes exactly as the
/// independent `form_urlencoded` crate decodes it; every refusal has its stated cause (a bad
/// `%` escape, bytes that are not UTF-8, a bound); serializing the pairs again and parsing gives
/// the same parameters; the lookups agree with the pairs; a query (`AuthorizeRequest::from_query`)
/// and a form body (`parse_body`) parse the same way.
pub fn form(data: &[u8]) {
    let parsed = Params::parse_form(data);
    assert_eq!(parse_body(Some("application/x-www-form-urlencoded; charset=UTF-8"), data), parsed, "form body");
    if let Ok(text) = std::str::from_utf8(data) {
        // The query path keeps the same result; its Debug hides values just the same.
        let _ = AuthorizeRequest::from_query(Some(text));
    }
    if data.len() > MAX_INPUT_BYTES {
        assert_eq!(parsed, Err(WireError::TooLarge), "oversized input");
        return;
    }
    let segments: Vec<&[u8]> = data.split(|&b| b == b'&').filter(|s| !s.is_empty()).collect();
    let components = || {
        segments.iter().flat_map(|s| match s.iter().position(|&b| b == b'=') {
            Some(i) => [&s[..i], &s[i + 1..]],
            None => [*s, &[][..]],
        })
    };
    match parsed {
        Ok(params) => {
            let lenient: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
            let ours: Vec<(String, String)> = params.iter().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
            assert_eq!(ours, lenient, "strict and lenient decoders disagree on an accepted input");
            assert!(params.len() <= MAX_PARAMS, "more than MAX_PARAMS parameters");
            for (n, v) in params.iter() {
                assert!(n.len() <= MAX_NAME_BYTES && v.len() <= MAX_VALUE_BYTES, "parameter over its bound");
            }
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (n, v) in params.iter() {
                ser.append_pair(n, v);
            }
            let again = ser.finish();
            if again.len() <= MAX_INPUT_BYTES {
                assert_eq!(Params::parse_form(again.as_bytes()).as_ref(), Ok(&params), "serialize and parse again");
            }
            lookups_agree(&params);
        }
        Err(WireError::BadEscape) => {
            assert!(components().any(|c| percent_decode(c).is_none()), "BadEscape without a bad escape");
        }
        Err(WireError::NotUtf8) => {
            let bad = components().any(|c| percent_decode(c).is_some_and(|d| String::from_utf8(d).is_err()));
            assert!(bad, "NotUtf8 for an input whose parts all decode to UTF-8");
        }
        Err(WireError::TooManyParams) => {
            let len = |c: &[u8]| percent_decode(c).map_or(0, |d| d.len());
            let long = segments.iter().take(MAX_PARAMS).any(|s| match s.iter().position(|&b| b == b'=') {
                Some(i) => len(&s[..i]) > MAX_NAME_BYTES || len(&s[i + 1..]) > MAX_VALUE_BYTES,
                None => len(s) > MAX_NAME_BYTES,
            });
            assert!(segments.len() > MAX_PARAMS || long, "TooManyParams within the bounds");
        }
        Err(e) => panic!("parse_form refused with {e:?}"),
    }
}

/// Target `json_body`: [`parse_body`] with `application/json` (D3).
///
/// Invariants: never panics, even on deep nesting; an accepted body is a JSON object (as
/// `serde_json` reads it) with no repeated member, within the bounds, and every parameter is the
/// member's value: a string as it decodes, `null` as absent, a `scope` array of strings joined
/// with spaces, anything else as JSON text that reads back to the same value; a `user_lookup`
/// string is never accepted; an object of at most [`MAX_PARAMS`] short string members (not
/// `user_lookup`) is never refused except for a repeated member.
pub fn json_body(data: &[u8]) {
    let parsed = parse_body(Some("Application/JSON"), data);
    if data.len() > MAX_INPUT_BYTES {
        assert_eq!(parsed, Err(WireError::TooLarge), "oversized body");
        return;
    }
    let value = serde_json::from_slice::<Value>(data);
    match (&parsed, &value) {
        (Ok(params), Ok(Value::Object(obj))) => {
            assert_eq!(obj.len(), params.len(), "member count differs: a repeated member was accepted");
            assert!(params.len() <= MAX_PARAMS, "more than MAX_PARAMS members");
            for (name, v) in params.iter() {
                assert!(name.len() <= MAX_NAME_BYTES && v.len() <= MAX_VALUE_BYTES, "member over its bound");
                let member = obj.get(name).unwrap_or_else(|| panic!("a parameter that is not a member"));
                match member {
                    Value::String(s) => {
                        assert_ne!(name, "user_lookup", "a user_lookup string was accepted");
                        assert_eq!(v, s, "string member");
                    }
                    Value::Null => assert_eq!(v, "", "null member"),
                    Value::Array(items) if name == "scope" => {
                        let strings: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                        assert_eq!(strings.len(), items.len(), "a scope array with non-strings was accepted");
                        assert_eq!(v, strings.join(" "), "scope array");
                    }
                    other => {
                        let back = serde_json::from_str::<Value>(v).unwrap_or_else(|_| panic!("kept text is not JSON"));
                        assert_eq!(&back, other, "kept JSON text reads back differently");
                    }
                }
            }
            lookups_agree(params);
        }
        (Ok(_), Err(e)) if e.to_string().contains("number out of range") => {
            // serde_json's Value refuses numbers beyond f64; the core keeps their text.
        }
        (Ok(_), Err(e)) if e.to_string().contains("expected raw value") => {
            // With its `raw_value` feature, serde_json's Value reads a member named
            // `$serde_json::private::RawValue` as its private raw-value token; the core reads it
            // as an ordinary member (the oracle's quirk, found by the CI smoke run).
        }
        (Ok(_), Err(e)) if e.to_string().contains("recursion limit") => {
            // Both stop at depth 128; they count the top-level object differently.
        }
        (Ok(_), _) => panic!("accepted a body that is not a JSON object"),
        (Err(WireError::BadJson), Ok(Value::Object(obj))) => {
            let plain =
                obj.len() <= MAX_PARAMS && !obj.contains_key("user_lookup") && obj.values().all(Value::is_string);
            assert!(!plain, "refused a plain JSON object of strings");
        }
        (Err(WireError::TooManyParams), Ok(Value::Object(obj))) => {
            let simple = obj.values().all(|v| v.is_string() || v.is_null());
            let long = obj.keys().any(|k| k.len() > MAX_NAME_BYTES)
                || obj.values().any(|v| v.as_str().is_some_and(|s| s.len() > MAX_VALUE_BYTES));
            assert!(!simple || long, "TooManyParams within the bounds");
        }
        (Err(WireError::BadJson | WireError::DuplicateMember | WireError::TooManyParams), _) => {}
        (Err(e), _) => panic!("JSON body refused with {e:?}"),
    }
}

/// Target `basic`: [`BasicCredentials::parse`] (RFC 6749 §2.3.1, RFC 7617 §2, D15).
///
/// Invariants: never panics; a header over [`MAX_AUTHORIZATION_BYTES`] is refused; another
/// scheme is `OtherScheme` and a Basic value that cannot be read is `Malformed`; accepted
/// credentials have a non-empty `client_id`, are the form-urldecoded halves of the base64
/// payload split at its first `:`, encode back to a header that parses to the same credentials,
/// and their `Debug` shows no secret.
pub fn basic(data: &[u8]) {
    let Ok(header) = std::str::from_utf8(data) else { return };
    let parsed = BasicCredentials::parse(header);
    let trimmed = header.trim();
    let (scheme, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
    let is_basic = scheme.eq_ignore_ascii_case("basic");
    match &parsed {
        Ok(c) => {
            assert!(is_basic && header.len() <= MAX_AUTHORIZATION_BYTES, "accepted a header it must refuse");
            assert!(!c.client_id.is_empty(), "empty client_id accepted");
            let raw = STANDARD.decode(rest.trim()).unwrap_or_else(|_| panic!("accepted a payload that is not base64"));
            let colon = raw.iter().position(|&b| b == b':').unwrap_or_else(|| panic!("accepted a payload without ':'"));
            assert_eq!(percent_decode(&raw[..colon]).as_deref(), Some(c.client_id.as_bytes()), "client_id decoding");
            assert_eq!(
                percent_decode(&raw[colon + 1..]).as_deref(),
                Some(c.client_secret.expose().as_bytes()),
                "client secret decoding"
            );
            let again = basic_header(&c.client_id, c.client_secret.expose());
            if again.len() <= MAX_AUTHORIZATION_BYTES {
                assert_eq!(BasicCredentials::parse(&again).as_ref(), Ok(c), "encode and parse again");
            }
            let debug = format!("{c:?}");
            let expected =
                format!("BasicCredentials {{ client_id: {:?}, client_secret: Secret(<redacted>) }}", c.client_id);
            assert_eq!(debug, expected, "Debug of credentials must redact the secret");
        }
        Err(BasicError::OtherScheme) => {
            assert!(!is_basic && header.len() <= MAX_AUTHORIZATION_BYTES, "OtherScheme for a Basic header");
        }
        Err(BasicError::Malformed) => {
            assert!(is_basic || header.len() > MAX_AUTHORIZATION_BYTES, "Malformed for another scheme");
        }
        Err(e) => panic!("Basic parse refused with {e:?}"),
    }
}

/// Whether `token` is an RFC 6750 §2.1 `b64token`:
/// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
#[must_use]
pub fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

/// Checks an RFC 6750 §3 answer of the resource server for `err` with `realm`.
fn bearer_answer(err: &BearerError, realm: &str) {
    let h = err.to_http(realm);
    check::common(&h);
    assert_eq!(h.status, err.status(), "BearerError::to_http status");
    assert_eq!(check::header(&h, "cache-control"), Some("no-store"), "resource error without no-store");
    let body = check::json_object(&h.body);
    match err {
        BearerError::Store(e) => {
            assert!(check::header(&h, "www-authenticate").is_none(), "a store failure with a challenge");
            let code = if *e == StoreError::Unavailable { "temporarily_unavailable" } else { "server_error" };
            assert_eq!(body.get("error").and_then(Value::as_str), Some(code), "store failure code");
            assert!(h.status >= 500, "store failure status");
        }
        _ => {
            let challenge = check::header(&h, "www-authenticate").unwrap_or_else(|| panic!("no challenge"));
            let clean: String = realm.chars().filter(|c| !matches!(c, '"' | '\\') && !c.is_control()).collect();
            let prefix = format!("Bearer realm=\"{clean}\"");
            let rest = challenge.strip_prefix(&prefix).unwrap_or_else(|| panic!("challenge does not start with realm"));
            // The rest is `, name="value"` parameters with plain quoted strings.
            let mut rest = rest;
            while !rest.is_empty() {
                let after = rest.strip_prefix(", ").unwrap_or_else(|| panic!("challenge parameter separator"));
                let (name, value) = after.split_once("=\"").unwrap_or_else(|| panic!("challenge parameter"));
                assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "challenge parameter name");
                let end = value.find('"').unwrap_or_else(|| panic!("unterminated challenge parameter"));
                assert!(!value[..end].contains('\\'), "a backslash in a challenge parameter");
                rest = &value[end + 1..];
            }
            assert_eq!(body.get("error").and_then(Value::as_str), err.code(), "error code in body and challenge");
        }
    }
}

/// Target `bearer`: [`bearer::parse_authorization`] (RFC 6750 §2.1) and the resource server's
/// error answers ([`BearerError::to_http`], RFC 6750 §3) with the input as the realm.
///
/// Invariants: never panics; an accepted header is `Bearer` (any case), spaces and a
/// `b64token`, at most [`bearer::MAX_BEARER_HEADER_BYTES`], and `Bearer <token>` parses to the
/// same token; a header of another scheme lacks authentication information (RFC 6750 §3.1): 401
/// without an error code, like a missing header; every other refusal is 400 `invalid_request`;
/// every error answer has a well-formed challenge whose realm holds no `"`, `\` or control
/// character, so a realm can never inject a parameter or a header.
pub fn bearer(data: &[u8]) {
    let Ok(header) = std::str::from_utf8(data) else { return };
    match bearer::parse_authorization(Some(header)) {
        Ok(token) => {
            assert!(header.len() <= bearer::MAX_BEARER_HEADER_BYTES, "accepted an oversized header");
            let (scheme, rest) = header.split_once(' ').unwrap_or_else(|| panic!("accepted a header without a space"));
            assert!(scheme.eq_ignore_ascii_case("bearer"), "accepted another scheme");
            assert_eq!(rest.trim_start_matches(' '), token.expose(), "token is not the rest of the header");
            assert!(is_b64token(token.expose()), "accepted a token that is not a b64token");
            let again = format!("Bearer {}", token.expose());
            if again.len() <= bearer::MAX_BEARER_HEADER_BYTES {
                let back = bearer::parse_authorization(Some(&again)).map(|t| t.expose() == token.expose());
                assert_eq!(back, Ok(true), "Bearer <token> parses to the same token");
            }
        }
        Err(e) => {
            let scheme = header.split_once(' ').map_or(header, |(s, _)| s);
            let fits = header.len() <= bearer::MAX_BEARER_HEADER_BYTES;
            let want = if fits && !scheme.eq_ignore_ascii_case("bearer") {
                (401, None)
            } else {
                (400, Some("invalid_request"))
            };
            assert_eq!((e.status(), e.code()), want, "a refused header's status and code");
            bearer_answer(&e, "oauth");
        }
    }
    let missing = bearer::parse_authorization(None);
    assert_eq!(missing.as_ref().err().map(|e| (e.status(), e.code())), Some((401, None)), "missing header");
    let realm: String = header.chars().take(256).collect();
    for err in [
        BearerError::Missing,
        BearerError::InvalidRequest("the bearer token is malformed"),
        BearerError::InvalidToken("the access token is not active"),
        BearerError::InsufficientScope(ScopeSet::parse("admin read").unwrap_or_default()),
        BearerError::Store(StoreError::Unavailable),
        BearerError::Store(StoreError::Failed),
    ] {
        bearer_answer(&err, &realm);
    }
}

/// Whether `b` may appear in a scope token (RFC 6749 §3.3: `%x21 / %x23-5B / %x5D-7E`).
const fn scope_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

/// The tokens of `value` as RFC 6749 §3.3 reads them, or `None` when it is malformed or over
/// the bounds; written here independently of the core.
fn scope_oracle(value: &str) -> Option<BTreeSet<&str>> {
    let tokens: Vec<&str> = value.split(' ').collect();
    let ok = value.len() <= MAX_SCOPE_BYTES
        && tokens.len() <= MAX_SCOPE_TOKENS
        && tokens.iter().all(|t| !t.is_empty() && t.bytes().all(scope_char));
    ok.then(|| tokens.into_iter().collect())
}

/// Target `scope`: [`ScopeSet::parse`] (RFC 6749 §3.3). The input is one scope value, or two
/// separated by a newline.
///
/// Invariants: never panics; a value is accepted exactly when its tokens are non-empty, in the
/// RFC's character set and within the bounds; the set is canonical (distinct tokens in byte
/// order, single spaces) and equals the independent set of tokens; reparsing the canonical form,
/// parsing the tokens in reverse order, `from_tokens`, `TryFrom<String>` and a serde round trip
/// all give the same set; `is_subset`, `intersection`, `without`, `contains` and `len` agree
/// with `BTreeSet`.
pub fn scope(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (first, second) = text.split_once('\n').unwrap_or((text, ""));
    let a = scope_one(first);
    if second.is_empty() {
        return;
    }
    let b = scope_one(second);
    let (Some((sa, ta)), Some((sb, tb))) = (a, b) else { return };
    assert_eq!(sa.is_subset(&sb), ta.is_subset(&tb), "is_subset");
    let inter: Vec<&str> = ta.intersection(&tb).copied().collect();
    assert_eq!(sa.intersection(&sb).as_str(), inter.join(" "), "intersection");
    if let Some(t) = tb.iter().next() {
        let without: Vec<&str> = ta.iter().copied().filter(|x| x != t).collect();
        assert_eq!(sa.without(t).as_str(), without.join(" "), "without");
        assert_eq!(sa.contains(t), ta.contains(t), "contains");
    }
}

fn scope_one(value: &str) -> Option<(ScopeSet, BTreeSet<&str>)> {
    let parsed = ScopeSet::parse(value);
    let oracle = scope_oracle(value);
    match (parsed, oracle) {
        (Ok(set), Some(tokens)) => {
            let canonical: Vec<&str> = tokens.iter().copied().collect();
            assert_eq!(set.as_str(), canonical.join(" "), "canonical form");
            assert_eq!(set.to_string(), set.as_str(), "Display");
            assert_eq!(set.len(), tokens.len(), "len");
            assert!(set.iter().eq(tokens.iter().copied()), "iter order");
            assert!(tokens.iter().all(|t| set.contains(t)), "contains");
            assert!(set.is_subset(&set), "is_subset is reflexive");
            assert!(!set.is_empty(), "a parsed scope is never empty");
            assert_eq!(ScopeSet::parse(set.as_str()).as_ref(), Ok(&set), "reparse the canonical form");
            let reversed: Vec<&str> = value.split(' ').rev().collect();
            assert_eq!(ScopeSet::parse(&reversed.join(" ")).as_ref(), Ok(&set), "order does not matter");
            assert_eq!(ScopeSet::from_tokens(value.split(' ')).as_ref(), Ok(&set), "from_tokens");
            assert_eq!(ScopeSet::try_from(value.to_owned()).as_ref(), Ok(&set), "TryFrom<String>");
            let json = serde_json::to_string(&set).unwrap_or_else(|_| panic!("a scope set serializes"));
            assert_eq!(serde_json::from_str::<ScopeSet>(&json).ok().as_ref(), Some(&set), "serde round trip");
            Some((set, tokens))
        }
        (Err(e), None) => {
            if value.len() > MAX_SCOPE_BYTES {
                assert_eq!(e, oauth_core::types::ScopeError::TooLong, "an oversized scope is TooLong");
            }
            None
        }
        (Ok(_), None) => panic!("accepted a malformed or oversized scope"),
        (Err(e), Some(_)) => panic!("refused a well-formed scope: {e:?}"),
    }
}

/// Target `user_lookup`: [`UserLookup::parse`], the impersonation grant's `user_lookup` (D3).
///
/// Invariants: never panics; an accepted lookup is a JSON object of exactly `field` (`userId` or
/// `subject`) and `value` (a string of 1 to 256 bytes) and carries those values; such an
/// object without repeated members is never refused; the lookup reads the same when it arrives
/// as a member of a JSON body (whose parser keeps its text).
pub fn user_lookup(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = UserLookup::parse(text);
    let value = serde_json::from_str::<Value>(text);
    let well_formed = match &value {
        Ok(Value::Object(o)) => {
            o.len() == 2
                && matches!(o.get("field").and_then(Value::as_str), Some("userId" | "subject"))
                && o.get("value").and_then(Value::as_str).is_some_and(|v| (1..=256).contains(&v.len()))
        }
        _ => false,
    };
    let wrapped = format!("{{\"user_lookup\":{text}}}");
    let body = parse_body(Some("application/json"), wrapped.as_bytes());
    match &parsed {
        Ok(l) => {
            assert!(well_formed, "accepted a lookup that is not a well-formed object");
            let o = value.as_ref().ok().and_then(Value::as_object);
            let field = o.and_then(|o| o.get("field")).and_then(Value::as_str);
            let expected = if l.field == UserField::UserId { "userId" } else { "subject" };
            assert_eq!(field, Some(expected), "lookup field");
            assert_eq!(l.field.as_str(), expected, "UserField::as_str");
            let v = o.and_then(|o| o.get("value")).and_then(Value::as_str);
            assert_eq!(v, Some(l.value.as_str()), "lookup value");
        }
        Err(e) => {
            // A well-formed object is refused only for a repeated member, which the JSON body
            // parser refuses too.
            if well_formed && text.trim_start().starts_with('{') {
                assert!(body.is_err(), "refused a well-formed lookup: {e:?}");
            }
            if let Ok(Value::Object(o)) = &value {
                let field_ok = matches!(o.get("field").and_then(Value::as_str), Some("userId" | "subject"));
                if *e == UserLookupError::UnknownField {
                    assert!(!field_ok, "UnknownField for a known field");
                }
            }
        }
    }
    if let Ok(params) = body {
        if let Ok(Some(kept)) = params.get("user_lookup") {
            if kept == text.trim_matches([' ', '\t', '\n', '\r']) {
                assert_eq!(UserLookup::parse(kept), parsed, "a lookup reads the same inside a JSON body");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_is_strict() {
        assert_eq!(percent_decode(b"a+b%2B%e2%82%ac").as_deref(), Some("a b+\u{20ac}".as_bytes()));
        assert_eq!(percent_decode(b"%"), None);
        assert_eq!(percent_decode(b"%4"), None);
        assert_eq!(percent_decode(b"%+1"), None);
        assert_eq!(percent_decode(b"%g1"), None);
    }

    #[test]
    fn targets_accept_small_inputs() {
        for input in [&b""[..], b"a", b"%", b"a=1&a=2", b"{}", b"[", b"Basic Og==", b"Bearer a", b"read write\nread"] {
            form(input);
            json_body(input);
            basic(input);
            bearer(input);
            scope(input);
            user_lookup(input);
        }
    }
}
