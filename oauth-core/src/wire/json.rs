//! JSON object bodies (D3): each member becomes one parameter. String members are taken as they
//! are; `null` is an empty (absent) value; a `scope` array of strings is joined with spaces (the
//! platform types `scope` as an array); any other object or array is kept as its JSON text (the
//! impersonation grant's `user_lookup`); numbers and booleans as their JSON text. A repeated
//! member is an error, as a repeated form parameter is.

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
            let value: Value = map.next_value()?;
            let text = match value {
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
}
