//! JSON object bodies (D3): each member becomes one parameter. String members are taken as they
//! are; `null` is an empty (absent) value; a `scope` array of strings is joined with spaces (the
//! platform types `scope` as an array); any other object or array is kept as its JSON text (the
//! impersonation grant's `user_lookup`, which must be an object, not a string holding one);
//! numbers and booleans as their JSON text. A repeated member is an error, as a repeated form
//! parameter is, at every depth: a nested object with a repeated member is refused too, so that
//! no two readers of one body can disagree about which copy counts.

use std::fmt;

use serde::de::{self, Deserializer as _, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::form::{MAX_INPUT_BYTES, MAX_NAME_BYTES, MAX_PARAMS, MAX_VALUE_BYTES, Params, WireError};

pub(crate) fn parse_json_object(body: &[u8]) -> Result<Params, WireError> {
    if body.len() > MAX_INPUT_BYTES {
        return Err(WireError::TooLarge);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let pairs = de.deserialize_map(ObjectVisitor).map_err(|e| {
        if e.to_string().starts_with(DUPLICATE) { WireError::DuplicateMember } else { WireError::BadJson }
    })?;
    de.end().map_err(|_| WireError::BadJson)?;
    for (n, v) in &pairs {
        if n.len() > MAX_NAME_BYTES || v.len() > MAX_VALUE_BYTES {
            return Err(WireError::TooManyParams);
        }
    }
    Ok(Params::from_pairs(pairs))
}

const DUPLICATE: &str = "duplicate member";

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Vec<(String, String)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(de::Error::custom(DUPLICATE));
            }
            if pairs.len() == MAX_PARAMS {
                return Err(de::Error::custom("too many members"));
            }
            // The member's text as sent; strings are decoded, anything structured stays text.
            let raw: &RawValue = map.next_value()?;
            let text = raw.get();
            let value = match text.as_bytes().first() {
                Some(b'"') if name == "user_lookup" => {
                    return Err(de::Error::custom("user_lookup must be a JSON object"));
                }
                Some(b'"') => serde_json::from_str::<String>(text).map_err(de::Error::custom)?,
                Some(b'n') => String::new(),
                Some(b'[') if name == "scope" => serde_json::from_str::<Vec<String>>(text)
                    .map_err(|_| de::Error::custom("scope array must hold strings"))?
                    .join(" "),
                Some(b'{' | b'[') => {
                    // Kept as its exact text, so that whoever reads it (the impersonation
                    // grant's user_lookup) sees every member, repeats included, and refuses them.
                    // Checked here too, so no reader can take a later copy.
                    no_repeated_members(text).map_err(de::Error::custom)?;
                    text.to_owned()
                }
                _ => text.to_owned(),
            };
            pairs.push((name, value));
        }
        Ok(pairs)
    }
}

/// Checks that no object inside `text` (valid JSON) repeats a member.
fn no_repeated_members(text: &str) -> Result<(), &'static str> {
    serde_json::from_str::<Strict>(text).map(|_| ()).map_err(|e| {
        // The other failure is nesting beyond serde_json's recursion limit.
        if e.to_string().starts_with(DUPLICATE) { DUPLICATE } else { "nested too deeply" }
    })
}

/// A JSON value walked with every object checked for repeated members (serde_json's own
/// `Value` keeps the last copy silently). Nothing is kept. Nesting is bounded by serde_json's
/// recursion limit (128).
struct Strict;

impl<'de> de::Deserialize<'de> for Strict {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(Strict)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut names: Vec<String> = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            if names.contains(&name) {
                return Err(de::Error::custom(DUPLICATE));
            }
            names.push(name);
            map.next_value::<Strict>()?;
        }
        Ok(Strict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_objects_and_arrays() {
        let p = parse_json_object(
            br#"{"grant_type":"client_credentials","scope":["a","b"],"user_lookup":{"field":"userId","value":"u1"},"n":null}"#,
        )
        .unwrap();
        assert_eq!(p.get("grant_type").unwrap(), Some("client_credentials"));
        assert_eq!(p.get("scope").unwrap(), Some("a b"));
        assert_eq!(p.get("user_lookup").unwrap(), Some(r#"{"field":"userId","value":"u1"}"#));
        assert_eq!(p.get("n").unwrap(), None);
    }

    #[test]
    fn duplicates_and_non_objects_are_refused() {
        assert_eq!(parse_json_object(br#"{"a":"1","a":"2"}"#), Err(WireError::DuplicateMember));
        assert_eq!(parse_json_object(br#"["a"]"#), Err(WireError::BadJson));
        assert_eq!(parse_json_object(br#"{"a":"1"} x"#), Err(WireError::BadJson));
        assert_eq!(parse_json_object(b"{"), Err(WireError::BadJson));
        assert_eq!(parse_json_object(br#"{"scope":[1]}"#), Err(WireError::BadJson));
    }

    #[test]
    fn nested_duplicates_and_string_lookups_are_refused() {
        let dup = br#"{"user_lookup":{"field":"userId","value":"nobody","value":"user-1"}}"#;
        assert_eq!(parse_json_object(dup), Err(WireError::DuplicateMember));
        let deep = br#"{"x":[{"a":{"b":1,"b":2}}]}"#;
        assert_eq!(parse_json_object(deep), Err(WireError::DuplicateMember));
        let as_string = br#"{"user_lookup":"{\"field\":\"userId\",\"value\":\"u1\"}"}"#;
        assert_eq!(parse_json_object(as_string), Err(WireError::BadJson));
        // Nested values are kept exactly as sent.
        let p = parse_json_object(br#"{"user_lookup": {"value":"a\"b", "field":"subject"} }"#).unwrap();
        assert_eq!(p.get("user_lookup").unwrap(), Some(r#"{"value":"a\"b", "field":"subject"}"#));
        let p = parse_json_object(br#"{"s":"\u00e9\n","b":true,"n":-1.5e3,"a":[1,{"x":null}]}"#).unwrap();
        assert_eq!(p.get("s").unwrap(), Some("\u{e9}\n"));
        assert_eq!(p.get("b").unwrap(), Some("true"));
        assert_eq!(p.get("n").unwrap(), Some("-1.5e3"));
        assert_eq!(p.get("a").unwrap(), Some(r#"[1,{"x":null}]"#));
        let nested = format!("{{\"x\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(parse_json_object(nested.as_bytes()), Err(WireError::BadJson));
    }

    #[test]
    fn very_deep_nesting_is_refused_without_overflow() {
        for depth in [129, 1000, 30_000] {
            let body = format!("{{\"x\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
            assert!(parse_json_object(body.as_bytes()).is_err(), "{depth}");
            let body = format!("{{\"x\":{}1{}}}", "{\"a\":".repeat(depth), "}".repeat(depth));
            assert!(parse_json_object(body.as_bytes()).is_err(), "{depth}");
        }
    }
}
