# Centralized enforcement: a security team owns the signing profile and
# manages the code signing config; developers may sign with the profile (a permission
# grants it) and may create functions only with the config (an IAM policy).
# Two provider aliases act as two accounts sharing one embedded store.

terraform {
  required_providers {
    lambdasign = {
      source = "local.test/lambdasign/lambdasign"
    }
  }
}

locals {
  security_account  = "111111111111"
  developer_account = "222222222222"
}

provider "lambdasign" {
  alias = "security"
  local {
    path       = ".lambdasign"
    account_id = local.security_account
  }
}

provider "lambdasign" {
  alias = "developer"
  local {
    path       = ".lambdasign"
    account_id = local.developer_account
  }
}

# --- Security team -----------------------------------------------------------

resource "lambdasign_signing_profile" "release" {
  provider = lambdasign.security
  name     = "release_signing"
}

resource "lambdasign_signing_profile_permission" "developers_sign" {
  provider     = lambdasign.security
  profile_name = lambdasign_signing_profile.release.name
  action       = "signer:StartSigningJob"
  principal    = "arn:aws:iam::${local.developer_account}:role/developer"
  statement_id = "developers-sign"
}

resource "lambdasign_signing_profile_permission" "developers_read" {
  provider     = lambdasign.security
  profile_name = lambdasign_signing_profile.release.name
  action       = "signer:GetSigningProfile"
  principal    = local.developer_account
  statement_id = "developers-read"
}

# The config lives in the developer account (functions can only use a config
# of their own account), but the security team manages it: developers are
# denied creating or changing configs by the policy below.
resource "lambdasign_code_signing_config" "enforce" {
  provider                         = lambdasign.developer
  allowed_publishers               = [lambdasign_signing_profile.release.version_arn]
  untrusted_artifact_on_deployment = "Enforce"
  description                      = "Release-signed code only."
}

# The IAM policy to attach to the developers' role.
data "lambdasign_enforcement_policy" "developers" {
  provider                 = lambdasign.security
  code_signing_config_arns = [lambdasign_code_signing_config.enforce.arn]
}

# --- Developer ---------------------------------------------------------------

resource "lambdasign_signed_artifact" "service" {
  provider       = lambdasign.developer
  profile_name   = lambdasign_signing_profile.release.name
  profile_owner  = local.security_account
  source_file    = "${path.module}/function.zip"
  output_file    = "${path.module}/function.signed.zip"
  verify_against = [lambdasign_code_signing_config.enforce.arn]

  depends_on = [lambdasign_signing_profile_permission.developers_sign]
}

resource "lambdasign_verification" "service" {
  provider                = lambdasign.developer
  code_signing_config_arn = lambdasign_code_signing_config.enforce.arn

  artifact {
    name            = "service"
    signing_job_arn = lambdasign_signed_artifact.service.job_arn
  }
}

output "developer_policy_json" {
  value = data.lambdasign_enforcement_policy.developers.json
}

output "service_deployable" {
  value = lambdasign_verification.service.allowed
}
