# The basic pattern: one account signs its own code.
#   signing profile -> code signing config (Enforce) -> signed artifact -> verification
# Runs offline on the embedded backend: `terraform init && terraform apply`.

terraform {
  required_providers {
    lambdasign = {
      source = "local.test/lambdasign/lambdasign"
    }
  }
}

provider "lambdasign" {
  local {
    path       = ".lambdasign"
    account_id = "111111111111"
    region     = "us-east-1"
  }
}

resource "lambdasign_signing_profile" "app" {
  name_prefix = "app_"

  signature_validity {
    value = 12
    type  = "MONTHS"
  }

  tags = {
    team = "payments"
  }
}

resource "lambdasign_code_signing_config" "app" {
  allowed_publishers               = [lambdasign_signing_profile.app.version_arn]
  untrusted_artifact_on_deployment = "Enforce"
  description                      = "Only code signed by the app profile deploys."
}

resource "lambdasign_signed_artifact" "function" {
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "${path.module}/function.zip"
  output_file  = "${path.module}/function.signed.zip"

  # Checked at plan time (would this profile pass?) and after signing (all four checks).
  verify_against = [lambdasign_code_signing_config.app.arn]
  # Re-sign when the signature has less than 30 days left.
  renew_before = "720h"
}

# What Lambda would decide at deploy time, decided at plan time.
resource "lambdasign_verification" "deploy" {
  code_signing_config_arn = lambdasign_code_signing_config.app.arn

  artifact {
    name            = "function"
    signing_job_arn = lambdasign_signed_artifact.function.job_arn
  }
}

output "profile_version_arn" {
  value = lambdasign_signing_profile.app.version_arn
}

output "signed_sha384" {
  value = lambdasign_signed_artifact.function.signed_sha384
}

output "source_sha384" {
  description = "Equal to the resource's source_sha384: the provider function hashes the same file."
  value       = provider::lambdasign::file_sha384("${path.module}/function.zip")
}

output "deployable" {
  value = lambdasign_verification.deploy.allowed
}
