# The basic pattern on the embedded backend. For now it shows the provider's
# configuration and its SHA-384 functions; the signing resources join it as
# they land.

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

output "handler_sha384" {
  description = "SHA-384 of the function code, as sha384sum prints it."
  value       = provider::lambdasign::file_sha384("${path.module}/handler.js")
}

output "handler_base64sha384" {
  description = "The same digest, base64-encoded."
  value       = provider::lambdasign::file_base64sha384("${path.module}/handler.js")
}
