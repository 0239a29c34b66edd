//! Who a permission or a role names: IAM principal ARNs, and an account
//! id or an IAM ARN where Signer takes either. ARNs are parsed by
//! [`super::arn`], account ids checked by [`super::names`].

use super::arn::ArnFields;
use super::names::{account_id, invalid, Rule};

/// An IAM principal ARN (`arn:aws:iam::123456789012:role/deployer`).
pub fn iam_arn(text: &str) -> Rule {
    let valid = ArnFields::parse(text).is_ok_and(|arn| {
        arn.partition.starts_with("aws")
            && arn.service == "iam"
            && arn.region.is_empty()
            && account_id(arn.account_id).is_ok()
            && !arn.resource.is_empty()
    });
    if valid {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not an IAM ARN such as arn:aws:iam::123456789012:role/deployer"
        ))
    }
}

/// An IAM role ARN, as `assume_role` takes it.
pub fn role_arn(text: &str) -> Rule {
    let role = ArnFields::parse(text)
        .ok()
        .and_then(|arn| arn.resource.strip_prefix("role/"))
        .is_some_and(|name| !name.is_empty());
    if iam_arn(text).is_ok() && role {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
        ))
    }
}

/// Who a signing profile permission is for: an account id or an IAM ARN.
pub fn signer_principal(text: &str) -> Rule {
    if account_id(text).is_ok() || iam_arn(text).is_ok() {
        Ok(())
    } else {
        invalid(format!(
            "{text:?} is not a principal: a 12-digit account id or an IAM ARN such as arn:aws:iam::123456789012:role/deployer"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Case = (
        fn(&str) -> Rule,
        &'static [&'static str],
        &'static [&'static str],
    );

    #[test]
    fn each_rule_takes_the_good_and_refuses_the_bad() {
        let cases: &[(&str, Case)] = &[
            (
                "signer principal",
                (
                    signer_principal,
                    &["123456789012", "arn:aws:iam::123456789012:role/dev"],
                    &["dev", "arn:aws:iam::1:role/x"],
                ),
            ),
            (
                "role",
                (
                    role_arn,
                    &["arn:aws:iam::222222222222:role/deployer"],
                    &["arn:aws:iam::1:user/x", "arn:aws:iam::222222222222:user/x"],
                ),
            ),
        ];
        for (what, (rule, good, bad)) in cases {
            for text in *good {
                assert!(rule(text).is_ok(), "{what}: {text:?} should pass");
            }
            for text in *bad {
                assert!(rule(text).is_err(), "{what}: {text:?} should fail");
            }
        }
    }
}
