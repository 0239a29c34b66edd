# A cross-account layer: the publisher account signs and publishes a layer
# and grants it to the consumer; the consumer trusts both signing profiles
# and verifies its function together with the layer at plan time.
#
# Try `terraform plan -var trust_publisher=false`: the consumer then trusts
# only its own profile, and the plan fails, naming the layer.

terraform {
  required_providers {
    lambdasign = {
      source = "local.test/lambdasign/lambdasign"
    }
  }
}

variable "trust_publisher" {
  description = "Whether the consumer trusts the publisher's signing profile."
  type        = bool
  default     = true
}

locals {
  publisher_account = "111111111111"
  consumer_account  = "333333333333"
}

provider "lambdasign" {
  alias = "publisher"
  local {
    path       = ".lambdasign"
    account_id = local.publisher_account
  }
}

provider "lambdasign" {
  alias = "consumer"
  local {
    path       = ".lambdasign"
    account_id = local.consumer_account
  }
}

# --- Publisher ---------------------------------------------------------------

resource "lambdasign_signing_profile" "publisher" {
  provider = lambdasign.publisher
  name     = "shared_layers"
}

resource "lambdasign_signed_artifact" "layer" {
  provider     = lambdasign.publisher
  profile_name = lambdasign_signing_profile.publisher.name
  source_file  = "${path.module}/layer.zip"
  output_file  = "${path.module}/layer.signed.zip"
}

resource "lambdasign_layer_version" "greeting" {
  provider                 = lambdasign.publisher
  layer_name               = "greeting"
  signed_file              = lambdasign_signed_artifact.layer.signed_file
  compatible_runtimes      = ["nodejs20.x"]
  compatible_architectures = ["x86_64", "arm64"]

}

resource "lambdasign_layer_grant" "consumer" {
  provider       = lambdasign.publisher
  layer_name     = lambdasign_layer_version.greeting.layer_name
  version_number = lambdasign_layer_version.greeting.version
  principal      = local.consumer_account
  statement_id   = "consumer-account"
}

# --- Consumer ----------------------------------------------------------------

resource "lambdasign_signing_profile" "consumer" {
  provider = lambdasign.consumer
  name     = "consumer_functions"
}

locals {
  trusted = var.trust_publisher ? [
    lambdasign_signing_profile.consumer.version_arn,
    lambdasign_signing_profile.publisher.version_arn,
  ] : [lambdasign_signing_profile.consumer.version_arn]
}

resource "lambdasign_code_signing_config" "consumer" {
  provider                         = lambdasign.consumer
  allowed_publishers               = local.trusted
  untrusted_artifact_on_deployment = "Enforce"
}

resource "lambdasign_signed_artifact" "function" {
  provider     = lambdasign.consumer
  profile_name = lambdasign_signing_profile.consumer.name
  source_file  = "${path.module}/function.zip"
  output_file  = "${path.module}/function.signed.zip"
}

# The same policy as the consumer's config, inline, so that the plan itself
# evaluates a change of trust, before the config resource is applied.
resource "lambdasign_verification" "consumer" {
  provider = lambdasign.consumer

  policy {
    allowed_publishers               = local.trusted
    untrusted_artifact_on_deployment = "Enforce"
  }

  artifact {
    name            = "function"
    signing_job_arn = lambdasign_signed_artifact.function.job_arn
  }

  artifact {
    name              = "greeting layer"
    layer_version_arn = lambdasign_layer_version.greeting.arn
  }

  depends_on = [lambdasign_layer_grant.consumer]
}

output "consumer_code_signing_config" {
  value = lambdasign_code_signing_config.consumer.arn
}

output "function_and_layer_deployable" {
  value = lambdasign_verification.consumer.allowed
}
