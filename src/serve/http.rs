//! Requests and responses as the handlers see them: the method, the raw
//! path (percent-encoded, split by the router), the query as a multimap,
//! headers, and the whole body; a response is a status, headers and bytes.

use bytes::Bytes;

/// Percent-decodes one URI component (`+` stays `+`).
pub fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether a URI component percent-decodes to UTF-8 (so that [`decode`]
/// keeps it exactly).
pub fn decodes_to_utf8(text: &str) -> bool {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .is_ok()
}

/// Percent-encodes for XML values that S3 clients URL-decode
/// (`encoding-type=url`): everything but unreserved characters and `/`.
pub fn encode_key(text: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(text, KEEP).to_string()
}

/// A query string as pairs; a key without `=` has an empty value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    pub fn parse(raw: &str) -> Query {
        Query(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) => (form_decode(k), form_decode(v)),
                    None => (form_decode(pair), String::new()),
                })
                .collect(),
        )
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space).
fn form_decode(text: &str) -> String {
    decode(&text.replace('+', "%20"))
}

/// A body kept on disk as it arrived (an object upload), with its
/// SHA-256 (what a signature's `x-amz-content-sha256` names) when
/// signatures are checked.
#[derive(Debug)]
pub struct Spooled {
    pub file: crate::domain::files::TempFile,
    pub len: u64,
    pub sha256: Option<String>,
}

/// A request: its body read whole (`body`), or, for object uploads,
/// spooled to a file (`spooled`).
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The raw path, percent-encoded as sent.
    pub path: String,
    /// The query as sent (what a signature covers).
    pub raw_query: String,
    pub query: Query,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub spooled: Option<std::sync::Arc<Spooled>>,
    /// Set once the signature is verified, for a signed `aws-chunked` body.
    pub chunk_signing: Option<super::chunk_signing::ChunkSigning>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The raw path split into segments (`/` alone is none; `/bucket/`
    /// is the bucket, as S3 clients address buckets either way).
    pub fn path_segments(&self) -> Vec<&str> {
        let trimmed = self.path.strip_prefix('/').unwrap_or(&self.path);
        if trimmed.is_empty() {
            return Vec::new();
        }
        let mut segments: Vec<&str> = trimmed.split('/').collect();
        if segments.len() == 2 && segments[1].is_empty() {
            segments.pop();
        }
        segments
    }

    /// The host name the client addressed (without the port).
    pub fn host_name(&self) -> &str {
        let host = self.header("host").unwrap_or_default();
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        }
    }

    #[cfg(test)]
    pub fn for_test(method: &str, target: &str, headers: &[(&str, &str)]) -> Request {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Request {
            method: method.to_string(),
            path: path.to_string(),
            raw_query: query.to_string(),
            query: Query::parse(query),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: Bytes::new(),
            spooled: None,
            chunk_signing: None,
        }
    }
}

/// A response to send.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Instead of `body`: bytes of a file opened while the request was
    /// answered (so a file replaced meanwhile is still whole), streamed:
    /// the file, offset, length.
    pub file: Option<(std::sync::Arc<std::fs::File>, u64, u64)>,
}

impl Response {
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Bytes::new(),
            file: None,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Response {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    /// A body streamed from `len` bytes of an open file, from `offset`.
    pub fn file_body(mut self, file: std::fs::File, offset: u64, len: u64) -> Response {
        self.file = Some((std::sync::Arc::new(file), offset, len));
        self.header("content-length", len.to_string())
    }

    /// A JSON body (Signer, Lambda).
    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        Response::new(status).body("application/json", value.to_string())
    }

    /// An XML body (S3, STS).
    pub fn xml(status: u16, xml: String) -> Response {
        Response::new(status).body("application/xml", xml)
    }
}

/// Escapes text for XML content.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_keep_repeated_and_valueless_keys() {
        let q = Query::parse("versions&tagKeys=a&tagKeys=b%20c&x=1+2&signatureExpiresBefore=2030-01-01T00%3A00%3A00Z");
        assert_eq!(q.get("versions"), Some(""));
        assert_eq!(q.all("tagKeys"), vec!["a", "b c"]);
        assert_eq!(q.get("x"), Some("1 2"));
        assert_eq!(
            q.get("signatureExpiresBefore"),
            Some("2030-01-01T00:00:00Z")
        );
        assert_eq!(q.get("missing"), None);
    }

    #[test]
    fn keys_encode_as_clients_decode_them() {
        assert_eq!(encode_key("dir/a b+c~.zip"), "dir/a%20b%2Bc~.zip");
        assert_eq!(decode("a%2Bb+c"), "a+b+c");
        assert_eq!(xml_escape("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
    }
}
