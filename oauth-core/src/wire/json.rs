//! JSON object bodies (D3): each member becomes one parameter. String members are taken as they
//! are; `null` is an empty (absent) value; a `scope` array of strings is joined with spaces (the
//! platform types `scope` as an array); any other object or array is kept as its JSON text (the
//! impersonation grant's `user_lookup`, which must be an object, not a string holding one);
//! numbers and booleans as their JSON text. A repeated member is an error, as a repeated form
//! parameter is, at every depth: a nested object with a repeated member is refused too, so that
//! no two readers of one body can disagree about which copy counts.

use std::fmt;

use serde::de::{self, Deserializer as _, MapAccess, Visitor};
use serde_json::Value;

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
            let Strict(value) = map.next_value()?;
            let text = match value {
                Value::String(_) if name == "user_lookup" => {
                    return Err(de::Error::custom("user_lookup must be a JSON object"));
                }
                Value::String(s) => s,
                Value::Null => String::new(),
                Value::Array(items) if name == "scope" => {
                    let mut tokens = Vec::with_capacity(items.len());
                    for item in items {
                        match item {
                            Value::String(s) => tokens.push(s),
                            _ => return Err(de::Error::custom("scope array must hold strings")),
                        }
                    }
                    tokens.join(" ")
                }
                other => other.to_string(),
            };
            pairs.push((name, text));
        }
        Ok(pairs)
    }
}

/// A JSON value read with every object checked for repeated members (serde_json's own `Value`
/// keeps the last copy silently). Nesting is bounded by serde_json's recursion limit (128).
struct Strict(Value);

impl<'de> de::Deserialize<'de> for Strict {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if object.contains_key(&name) {
                return Err(de::Error::custom(DUPLICATE));
            }
            let Strict(v) = map.next_value()?;
            object.insert(name, v);
        }
        Ok(Value::Object(object))
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
        // Nested values keep their order and escapes through the round trip.
        let p = parse_json_object(br#"{"user_lookup":{"value":"a\"b","field":"subject"}}"#).unwrap();
        assert_eq!(p.get("user_lookup").unwrap(), Some(r#"{"field":"subject","value":"a\"b"}"#));
        let nested = format!("{{\"x\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(parse_json_object(nested.as_bytes()), Err(WireError::BadJson));
    }
}
