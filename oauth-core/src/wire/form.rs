//! `application/x-www-form-urlencoded` (WHATWG URL §5, RFC 6749 Appendix B), strictly: a `%`
//! not followed by two hex digits, or bytes that do not decode to UTF-8, are errors, not
//! passed through.

/// Largest body or query string accepted, in bytes: 64 KiB.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;
/// Most parameters accepted in one request: 64.
pub const MAX_PARAMS: usize = 64;
/// Longest parameter name accepted, in bytes (after decoding): 128.
pub const MAX_NAME_BYTES: usize = 128;
/// Longest parameter value accepted, in bytes (after decoding): 8 KiB.
pub const MAX_VALUE_BYTES: usize = 8 * 1024;

/// Why a request's parameters could not be read. Every variant maps to `invalid_request` except
/// [`WireError::TooLarge`], which is 413.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The input exceeds [`MAX_INPUT_BYTES`].
    #[error("request is too large")]
    TooLarge,
    /// More than [`MAX_PARAMS`] parameters, or a name or value over its limit.
    #[error("too many or too long parameters")]
    TooManyParams,
    /// A `%` escape that is not two hex digits.
    #[error("malformed percent-encoding")]
    BadEscape,
    /// Decoded bytes are not UTF-8.
    #[error("parameters are not valid UTF-8")]
    NotUtf8,
    /// Not a JSON object whose members are strings (or, for `user_lookup`, an object).
    #[error("malformed JSON body")]
    BadJson,
    /// A JSON member appears twice.
    #[error("repeated JSON member")]
    DuplicateMember,
    /// The body's media type is neither form nor JSON.
    #[error("unsupported content type")]
    UnsupportedMediaType,
}

/// Request parameters in the order received, every occurrence kept.
///
/// Lookups treat an empty value as absent (RFC 6749 §3.1, §3.2) and refuse a name that occurs
/// more than once, so one copy of a repeated parameter can never be validated while another is
/// used.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

/// One parameter as [`Params::pick`] found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field<'a> {
    /// Not sent, or sent with an empty value (RFC 6749 §3.1: treated as omitted).
    Absent,
    /// Sent once with this value.
    Value(&'a str),
    /// Sent more than once (RFC 6749 §3.1: "MUST NOT be included more than once").
    Repeated,
}

impl<'a> Field<'a> {
    /// The value, when sent once and not empty.
    #[must_use]
    pub const fn value(self) -> Option<&'a str> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the parameter was repeated.
    #[must_use]
    pub const fn is_repeated(self) -> bool {
        matches!(self, Self::Repeated)
    }
}

/// A parameter occurred more than once (RFC 6749 §3.1: "MUST NOT be included more than once").
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("parameter repeated")]
#[non_exhaustive]
pub struct Repeated;

impl Params {
    /// Parameters from name/value pairs (already decoded).
    #[must_use]
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    /// Parses a form body or a query string (without the leading `?`).
    ///
    /// `+` decodes to a space and `%XX` to a byte; empty segments (`a=1&&b=2`) are skipped; a
    /// segment without `=` is a name with an empty value.
    ///
    /// # Errors
    /// [`WireError::TooLarge`], [`WireError::TooManyParams`], [`WireError::BadEscape`],
    /// [`WireError::NotUtf8`].
    pub fn parse_form(input: &[u8]) -> Result<Self, WireError> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(WireError::TooLarge);
        }
        let mut pairs = Vec::new();
        for segment in input.split(|&b| b == b'&') {
            if segment.is_empty() {
                continue;
            }
            if pairs.len() == MAX_PARAMS {
                return Err(WireError::TooManyParams);
            }
            let (name, value) = match segment.iter().position(|&b| b == b'=') {
                Some(i) => (&segment[..i], &segment[i + 1..]),
                None => (segment, &[][..]),
            };
            let name = decode(name)?;
            let value = decode(value)?;
            if name.len() > MAX_NAME_BYTES || value.len() > MAX_VALUE_BYTES {
                return Err(WireError::TooManyParams);
            }
            pairs.push((name, value));
        }
        Ok(Self { pairs })
    }

    /// The value of `name`: `Ok(None)` when absent or empty, `Err(Repeated)` when it occurs
    /// more than once (even if the copies are equal or empty).
    ///
    /// # Errors
    /// [`Repeated`].
    pub fn get(&self, name: &str) -> Result<Option<&str>, Repeated> {
        let mut found: Option<&str> = None;
        let mut seen = false;
        for (n, v) in &self.pairs {
            if n == name {
                if seen {
                    return Err(Repeated);
                }
                seen = true;
                found = Some(v);
            }
        }
        Ok(found.filter(|v| !v.is_empty()))
    }

    /// Looks up several parameters in one pass over the request: for each of `names`, whether
    /// it is absent (or empty, RFC 6749 §3.1), present once with a value, or repeated.
    #[must_use]
    pub fn pick<const N: usize>(&self, names: [&str; N]) -> [Field<'_>; N] {
        let mut out = [Field::Absent; N];
        let mut seen = [false; N];
        for (name, value) in &self.pairs {
            if let Some(i) = names.iter().position(|n| n == name) {
                if seen[i] {
                    out[i] = Field::Repeated;
                } else {
                    seen[i] = true;
                    if !value.is_empty() {
                        out[i] = Field::Value(value);
                    }
                }
            }
        }
        out
    }

    /// Whether `name` occurs at all, even with an empty value.
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    /// The first of `names` that occurs more than once, if any.
    #[must_use]
    pub fn first_repeated<'a>(&self, names: &[&'a str]) -> Option<&'a str> {
        names.iter().copied().find(|n| self.pairs.iter().filter(|(p, _)| p == n).count() > 1)
    }

    /// The number of parameters, repeats included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no parameters.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Every (name, value) pair in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// `Debug` lists parameter names only: values may be secrets, codes or tokens.
impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.pairs.iter().map(|(n, _)| n)).finish()
    }
}

/// Percent-decodes one form component strictly.
pub(crate) fn decode(input: &[u8]) -> Result<String, WireError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = input.get(i + 1).and_then(|b| hex(*b));
                let lo = input.get(i + 2).and_then(|b| hex(*b));
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(WireError::BadEscape),
                }
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| WireError::NotUtf8)
}

const fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_escapes() {
        let p = Params::parse_form(b"a=x+y%2Bz&b=%E2%82%AC").unwrap();
        assert_eq!(p.get("a").unwrap(), Some("x y+z"));
        assert_eq!(p.get("b").unwrap(), Some("\u{20ac}"));
    }

    #[test]
    fn repeated_and_empty() {
        let p = Params::parse_form(b"state=a&state=b&scope=&x").unwrap();
        assert_eq!(p.get("state"), Err(Repeated));
        assert_eq!(p.get("scope").unwrap(), None);
        assert!(p.contains("scope"));
        assert_eq!(p.get("x").unwrap(), None);
        assert_eq!(p.get("missing").unwrap(), None);
        assert_eq!(p.first_repeated(&["scope", "state"]), Some("state"));
        assert_eq!(
            p.pick(["state", "scope", "x", "missing"]),
            [Field::Repeated, Field::Absent, Field::Absent, Field::Absent]
        );
        let p = Params::parse_form(b"a=1&b=2&a=3&a=4").unwrap();
        assert_eq!(p.pick(["b", "a"]), [Field::Value("2"), Field::Repeated]);
    }

    #[test]
    fn bad_escapes_and_utf8_are_errors() {
        assert_eq!(Params::parse_form(b"a=%"), Err(WireError::BadEscape));
        assert_eq!(Params::parse_form(b"a=%G1"), Err(WireError::BadEscape));
        assert_eq!(Params::parse_form(b"a=%4"), Err(WireError::BadEscape));
        assert_eq!(Params::parse_form(b"a=%C0%AF"), Err(WireError::NotUtf8));
        assert_eq!(Params::parse_form(b"a=\xff"), Err(WireError::NotUtf8));
    }

    #[test]
    fn bounds() {
        let many = "a=1&".repeat(MAX_PARAMS + 1);
        assert_eq!(Params::parse_form(many.as_bytes()), Err(WireError::TooManyParams));
        let ok = "a=1&".repeat(MAX_PARAMS);
        assert_eq!(Params::parse_form(ok.as_bytes()).unwrap().len(), MAX_PARAMS);
        let big = vec![b'a'; MAX_INPUT_BYTES + 1];
        assert_eq!(Params::parse_form(&big), Err(WireError::TooLarge));
        let long_value = format!("a={}", "v".repeat(MAX_VALUE_BYTES + 1));
        assert_eq!(Params::parse_form(long_value.as_bytes()), Err(WireError::TooManyParams));
    }

    #[test]
    fn debug_hides_values() {
        let p = Params::parse_form(b"client_secret=hunter2").unwrap();
        assert_eq!(format!("{p:?}"), "[\"client_secret\"]");
    }
}
