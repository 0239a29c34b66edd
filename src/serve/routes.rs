//! Which operation a request is: the service (from the SigV4 credential
//! scope, else the path), then the operation whose model URI template
//! matches the method, the raw path and the query (labels percent-decoded
//! after matching, so `%2F` inside an ARN never splits a segment).

use std::collections::HashMap;

use super::http::{decode, Request};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Signer,
    Lambda,
    S3,
    Sts,
}

impl Service {
    /// The SigV4 signing name.
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Signer => "signer",
            Service::Lambda => "lambda",
            Service::S3 => "s3",
            Service::Sts => "sts",
        }
    }

    pub fn from_signing_name(name: &str) -> Option<Service> {
        match name {
            "signer" => Some(Service::Signer),
            "lambda" => Some(Service::Lambda),
            "s3" => Some(Service::S3),
            "sts" => Some(Service::Sts),
            _ => None,
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Service::Signer => "Signer",
            Service::Lambda => "Lambda",
            Service::S3 => "S3",
            Service::Sts => "STS",
        }
    }
}

/// One operation of a service model.
#[derive(Debug, Clone, Copy)]
pub struct Op {
    pub service: Service,
    pub name: &'static str,
    pub method: &'static str,
    pub uri: &'static str,
    /// Required members sent as query parameters (`?name`) or headers
    /// (lower-case name): they tell apart operations sharing a URI.
    pub needs: &'static [&'static str],
}

impl Op {
    pub const fn new(
        service: Service,
        name: &'static str,
        method: &'static str,
        uri: &'static str,
        needs: &'static [&'static str],
    ) -> Self {
        Op {
            service,
            name,
            method,
            uri,
            needs,
        }
    }
}

/// A matched operation and its URI labels (decoded).
#[derive(Debug, Clone)]
pub struct Matched {
    pub op: &'static Op,
    pub labels: HashMap<&'static str, String>,
}

impl Matched {
    /// A label the template guarantees (empty if the template lacks it).
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map_or("", String::as_str)
    }
}

/// The service a request is for: the credential scope of its SigV4
/// signature (header or presigned query), else by path.
pub fn service_of(request: &Request) -> Service {
    if let Some(service) =
        super::auth::scope(request).and_then(|scope| Service::from_signing_name(&scope.service))
    {
        return service;
    }
    let path = request.path.as_str();
    if [
        "/signing-profiles",
        "/signing-jobs",
        "/signing-platforms",
        "/revocations",
    ]
    .iter()
    .any(|p| path == *p || path.starts_with(&format!("{p}/")))
        || path.starts_with("/tags/arn%3Aaws%3Asigner")
        || path.starts_with("/tags/arn:aws:signer")
    {
        return Service::Signer;
    }
    // Lambda's operations start with their API's date: /2015-03-31/...
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    let is_date = first.len() == 10
        && first.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if is_date {
        return Service::Lambda;
    }
    if request.method == "POST"
        && path == "/"
        && request
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
    {
        return Service::Sts;
    }
    Service::S3
}

struct Template<'a> {
    segments: Vec<&'a str>,
    query: Vec<(&'a str, Option<&'a str>)>,
}

fn template(uri: &str) -> Template<'_> {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    Template {
        segments: path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect(),
        query: query
            .split('&')
            .filter(|s| !s.is_empty())
            .map(|q| match q.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (q, None),
            })
            .collect(),
    }
}

/// How well `op` matches: `None` if it does not; otherwise a score that
/// prefers more query literals of the template, then more literal
/// segments, then more of the required query parameters and headers
/// present (a missing one counts against, so that an operation missing
/// one is still found, to say what is missing).
fn score(op: &'static Op, segments: &[&str], request: &Request) -> Option<(i64, Matched)> {
    let t = template(op.uri);
    let mut labels = HashMap::new();
    let mut literals = 0;
    let mut i = 0;
    for (index, part) in t.segments.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if let Some(greedy) = name.strip_suffix('+') {
                if i >= segments.len() || index + 1 != t.segments.len() {
                    return None;
                }
                let rest = segments[i..].join("/");
                if rest.is_empty() {
                    return None;
                }
                labels.insert(label_name(op, greedy), decode(&rest));
                i = segments.len();
                continue;
            }
            let segment = segments.get(i).filter(|s| !s.is_empty())?;
            labels.insert(label_name(op, name), decode(segment));
            i += 1;
        } else {
            if segments.get(i) != Some(part) {
                return None;
            }
            literals += 1;
            i += 1;
        }
    }
    if i != segments.len() {
        return None;
    }
    for (key, value) in &t.query {
        match (request.query.get(key), value) {
            (Some(given), Some(wanted)) if given == *wanted => {}
            (Some(_), None) => {}
            _ => return None,
        }
    }
    let needs: i64 = op
        .needs
        .iter()
        .map(|need| {
            let present = match need.strip_prefix('?') {
                Some(param) => request.query.get(param).is_some(),
                None => request.header(need).is_some(),
            };
            if present {
                1
            } else {
                -1
            }
        })
        .sum();
    Some((
        (t.query.len() * 1000 + literals * 10) as i64 + needs,
        Matched { op, labels },
    ))
}

/// Labels are `&'static` names taken from the template.
fn label_name(op: &'static Op, name: &str) -> &'static str {
    let start = op.uri.find(&format!("{{{name}")).map_or(0, |i| i + 1);
    &op.uri[start..start + name.len()]
}

/// Operations of the models that AWS serves at another endpoint (S3
/// Express One Zone's control plane), whose URIs collide with the regular
/// endpoint's (`GET /` is ListBuckets here).
const OTHER_ENDPOINTS: &[&str] = &["ListDirectoryBuckets"];

/// The operation of `service` that the request is (the best match), with
/// `path_segments` raw (percent-encoded).
pub fn route(
    operations: &'static [Op],
    service: Service,
    request: &Request,
    path_segments: &[&str],
) -> Option<Matched> {
    let x_id = request.query.get("x-id");
    operations
        .iter()
        .filter(|op| op.service == service && op.method == request.method)
        .filter(|op| !OTHER_ENDPOINTS.contains(&op.name))
        .filter(|op| x_id.is_none_or(|id| id == op.name))
        .filter_map(|op| score(op, path_segments, request))
        .max_by_key(|(score, _)| *score)
        .map(|(_, matched)| matched)
}

/// The operations of `service` for this method whose path (ignoring the
/// query) matches: to name an operation that is not emulated.
pub fn path_matches(
    operations: &'static [Op],
    service: Service,
    method: &str,
    path_segments: &[&str],
) -> Vec<&'static Op> {
    operations
        .iter()
        .filter(|op| op.service == service && op.method == method)
        .filter(|op| {
            let t = template(op.uri);
            let mut i = 0;
            for (index, part) in t.segments.iter().enumerate() {
                if part.ends_with("+}") {
                    return index + 1 == t.segments.len() && i < path_segments.len();
                }
                if part.starts_with('{') {
                    if path_segments.get(i).is_none_or(|s| s.is_empty()) {
                        return false;
                    }
                } else if path_segments.get(i) != Some(part) {
                    return false;
                }
                i += 1;
            }
            i == path_segments.len()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::operations::OPERATIONS;
    use super::*;

    fn request(method: &str, target: &str) -> Request {
        Request::for_test(method, target, &[])
    }

    fn op_of(service: Service, method: &str, target: &str) -> Option<(String, Matched)> {
        let r = request(method, target);
        let segments = r.path_segments();
        route(OPERATIONS, service, &r, &segments).map(|m| (m.op.name.to_string(), m))
    }

    #[test]
    fn encoded_arns_stay_one_label() {
        let (name, m) = op_of(
            Service::Signer,
            "DELETE",
            "/tags/arn%3Aaws%3Asigner%3Aus-east-1%3A123456789012%3A%2Fsigning-profiles%2FMyProf?tagKeys=a&tagKeys=b",
        )
        .expect("route");
        assert_eq!(name, "UntagResource");
        assert_eq!(
            m.label("resourceArn"),
            "arn:aws:signer:us-east-1:123456789012:/signing-profiles/MyProf"
        );
        let (name, m) = op_of(
            Service::Lambda,
            "PUT",
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn1/configuration",
        )
        .expect("route");
        assert_eq!(name, "UpdateFunctionConfiguration");
        assert_eq!(
            m.label("FunctionName"),
            "arn:aws:lambda:us-east-1:123456789012:function:fn1"
        );
    }

    #[test]
    fn query_literals_pick_the_operation() {
        let name = |s, m, t| op_of(s, m, t).map(|(n, _)| n);
        assert_eq!(
            name(
                Service::Lambda,
                "GET",
                "/2018-10-31/layers?find=LayerVersion&Arn=x"
            )
            .as_deref(),
            Some("GetLayerVersionByArn")
        );
        assert_eq!(
            name(Service::Lambda, "GET", "/2018-10-31/layers").as_deref(),
            Some("ListLayers")
        );
        assert_eq!(
            name(Service::S3, "GET", "/bkt?versions&encoding-type=url").as_deref(),
            Some("ListObjectVersions")
        );
        assert_eq!(
            name(Service::S3, "GET", "/bkt").as_deref(),
            Some("ListObjects")
        );
        assert_eq!(
            name(Service::S3, "PUT", "/bkt?versioning").as_deref(),
            Some("PutBucketVersioning")
        );
        assert_eq!(
            name(Service::S3, "PUT", "/bkt").as_deref(),
            Some("CreateBucket")
        );
        assert_eq!(
            name(Service::S3, "PUT", "/bkt/a%20b/c%2Bd~e.zip").as_deref(),
            Some("PutObject")
        );
        assert_eq!(
            name(Service::S3, "GET", "/bkt/k.zip?x-id=GetObject").as_deref(),
            Some("GetObject")
        );
        assert_eq!(
            name(Service::S3, "PUT", "/bkt/k.zip?tagging").as_deref(),
            Some("PutObjectTagging")
        );
        assert_eq!(
            name(Service::S3, "PUT", "/bkt/k.zip?partNumber=1&uploadId=u").as_deref(),
            Some("UploadPart")
        );
        let copy = Request::for_test("PUT", "/bkt/k.zip", &[("x-amz-copy-source", "/a/b")]);
        let segments = copy.path_segments();
        assert_eq!(
            route(OPERATIONS, Service::S3, &copy, &segments).map(|m| m.op.name),
            Some("CopyObject")
        );
        assert_eq!(
            name(
                Service::Signer,
                "DELETE",
                "/signing-profiles/p/permissions/s"
            )
            .as_deref(),
            Some("RemoveProfilePermission"),
            "found without its revisionId, to say it is missing"
        );
        let (_, m) = op_of(Service::S3, "PUT", "/bkt/dir/a%20b/c%2Bd~e.zip").expect("route");
        assert_eq!(m.label("Key"), "dir/a b/c+d~e.zip");
        assert_eq!(m.label("Bucket"), "bkt");
    }

    #[test]
    fn services_fall_back_to_the_path_without_a_signature() {
        assert_eq!(
            service_of(&request("GET", "/signing-profiles")),
            Service::Signer
        );
        assert_eq!(
            service_of(&request("GET", "/2020-04-22/code-signing-configs")),
            Service::Lambda
        );
        assert_eq!(
            service_of(&request("GET", "/signing-jobs-bucket/key")),
            Service::S3
        );
        let sts = Request::for_test(
            "POST",
            "/",
            &[(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
        );
        assert_eq!(service_of(&sts), Service::Sts);
        let signed = Request::for_test(
            "GET",
            "/signing-profiles",
            &[(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=111111111111/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            )],
        );
        assert_eq!(
            service_of(&signed),
            Service::S3,
            "the scope wins over the path"
        );
    }
}
