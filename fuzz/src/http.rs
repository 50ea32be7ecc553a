//! The text form of one HTTP request that the `authorize` and `token` targets read, so that
//! seeds can be written by hand from the RFC examples and field cases:
//!
//! ```text
//! POST /oauth/token?optional-query
//! Content-Type: application/x-www-form-urlencoded
//! Authorization: Basic Y2xpZW50LWE6czNjcmV0
//! Now: 30
//!
//! grant_type=authorization_code&code=$CODE_A&code_verifier=$V1
//! ```
//!
//! The first line is the method and the request target (only the query after `?` counts). Header
//! lines follow (`Name: value`, names case-insensitive, a repeated header joined with `,` as
//! RFC 9110 §5.3 allows), then an empty line and the body (any bytes). Without an empty line the
//! whole input is the head and the body is empty. The head is read as UTF-8, invalid sequences
//! replaced. Pseudo-headers steer the harness: `Now` (seconds added to the virtual clock),
//! `Fail` (`<n> unavailable|failed|revoked`: the n-th store call fails) and `Decision` (the
//! resource owner's answer at the authorization endpoint).

use oauth_core::StoreError;

use crate::fixture::Fault;

/// One request in the text form.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct TextRequest {
    /// The method, as written (`GET`, `POST`, anything else).
    pub method: String,
    /// The query string (without `?`), when the request target has a `?`.
    pub query: Option<String>,
    /// Headers in order, names lower-cased, repeats joined with `,`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl TextRequest {
    /// Parses the text form; never fails (anything unreadable is simply absent).
    #[must_use]
    pub fn parse(input: &[u8]) -> Self {
        let (head, body) = split_head(input);
        let head = String::from_utf8_lossy(head);
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let first = lines.next().unwrap_or("");
        let (method, target) = first.split_once(' ').unwrap_or((first, ""));
        let query = target.split_once('?').map(|(_, q)| q.to_owned());
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { continue };
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim_matches([' ', '\t']);
            match headers.iter_mut().find(|(n, _)| *n == name) {
                Some((_, v)) => {
                    v.push(',');
                    v.push_str(value);
                }
                None => headers.push((name, value.to_owned())),
            }
        }
        Self { method: method.to_owned(), query, headers, body: body.to_vec() }
    }

    /// The value of header `name` (lower case), if sent.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The `Now` pseudo-header: seconds to add to the virtual clock (0 when absent or not a
    /// number).
    #[must_use]
    pub fn clock_offset(&self) -> u64 {
        self.header("now").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
    }

    /// The `Fail` pseudo-header: `<n> unavailable|failed|revoked`.
    #[must_use]
    pub fn fault(&self) -> Option<Fault> {
        let v = self.header("fail")?;
        let (n, kind) = v.split_once(' ').unwrap_or((v, "unavailable"));
        let at_call = n.trim().parse::<u32>().ok().filter(|n| *n > 0)?;
        let error = match kind.trim() {
            "failed" => StoreError::Failed,
            "revoked" => StoreError::GrantRevoked,
            _ => StoreError::Unavailable,
        };
        Some(Fault { at_call, error })
    }
}

/// Splits at the first empty line (`\n\n` or `\r\n\r\n`).
fn split_head(input: &[u8]) -> (&[u8], &[u8]) {
    let lf = input.windows(2).position(|w| w == b"\n\n").map(|i| (i, i + 2));
    let crlf = input.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, i + 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => {
            let (end, start) = if a.0 <= b.0 { a } else { b };
            (&input[..end], &input[start..])
        }
        (Some((end, start)), None) | (None, Some((end, start))) => (&input[..end], &input[start..]),
        (None, None) => (input, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_text_form() {
        let r = TextRequest::parse(
            b"POST /oauth/token?x=1\r\nContent-Type: a/b\nOrigin: o1\norigin:o2\nNow: 61\n\nbody\n\nmore",
        );
        assert_eq!(r.method, "POST");
        assert_eq!(r.query.as_deref(), Some("x=1"));
        assert_eq!(r.header("content-type"), Some("a/b"));
        assert_eq!(r.header("origin"), Some("o1,o2"));
        assert_eq!(r.clock_offset(), 61);
        assert_eq!(r.body, b"body\n\nmore");
        let r = TextRequest::parse(b"GET");
        assert_eq!((r.method.as_str(), r.query.as_deref(), r.body.len()), ("GET", None, 0));
        let r = TextRequest::parse(b"GET /x\nFail: 2 revoked\n\n");
        assert_eq!(r.fault(), Some(Fault { at_call: 2, error: StoreError::GrantRevoked }));
    }
}
