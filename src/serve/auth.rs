//! SigV4, parsed and not verified: the credential scope says which
//! account (a 12-digit access key id selects that account, as moto does;
//! any other key acts as `123456789012`), which region and which service.

use crate::domain::names;

/// `Credential=AKID/DATE/REGION/SERVICE/aws4_request`, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    pub access_key_id: String,
    pub region: String,
    pub service: String,
}

/// The credential scope of an `Authorization: AWS4-HMAC-SHA256
/// Credential=..., SignedHeaders=..., Signature=...` header.
pub fn from_authorization(header: &str) -> Option<CredentialScope> {
    let rest = header.trim().strip_prefix("AWS4-HMAC-SHA256")?;
    let credential = rest
        .split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("Credential="))?;
    parse_credential(credential)
}

/// The scope of a presigned URL's `X-Amz-Credential` (already decoded).
pub fn parse_credential(credential: &str) -> Option<CredentialScope> {
    let parts: Vec<&str> = credential.split('/').collect();
    match parts[..] {
        [key, _date, region, service, "aws4_request"] => Some(CredentialScope {
            access_key_id: key.to_string(),
            region: region.to_string(),
            service: service.to_string(),
        }),
        _ => None,
    }
}

/// The account a request acts as.
pub fn account_of(scope: Option<&CredentialScope>) -> String {
    match scope {
        Some(scope) if names::account_id(&scope.access_key_id).is_ok() => {
            scope.access_key_id.clone()
        }
        _ => names::EXAMPLE_ACCOUNT.to_string(),
    }
}

/// The region a request acts in (the scope's, when it is a region name).
pub fn region_of(scope: Option<&CredentialScope>, default: &str) -> String {
    match scope {
        Some(scope) if names::region(&scope.region).is_ok() => scope.region.clone(),
        _ => default.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_come_from_twelve_digit_access_keys() {
        let scope = from_authorization(
            "AWS4-HMAC-SHA256 Credential=222222222222/20261130/eu-west-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123",
        )
        .expect("scope");
        assert_eq!(scope.service, "lambda");
        assert_eq!(account_of(Some(&scope)), "222222222222");
        assert_eq!(region_of(Some(&scope), "us-east-1"), "eu-west-1");
        let other = parse_credential("AKIAEXAMPLE/20261130/us-east-1/s3/aws4_request");
        assert_eq!(account_of(other.as_ref()), "123456789012");
        assert_eq!(account_of(None), "123456789012");
        assert_eq!(from_authorization("Bearer x"), None);
        assert_eq!(parse_credential("a/b/c"), None);
    }
}
