//! Drives the real `terraform` binary against the provider, offline, through
//! a filesystem mirror under a custom hostname, with TLS on.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::BINARY;

pub const SOURCE: &str = "local.test/lambdasign/lambdasign";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Terraform binary: `$TERRAFORM`, else `/usr/local/bin/terraform`, else
/// `terraform` on PATH. Without one these tests fail, saying so.
fn terraform_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TERRAFORM") {
        return PathBuf::from(path);
    }
    let default = PathBuf::from("/usr/local/bin/terraform");
    if default.exists() {
        return default;
    }
    let on_path = Command::new("terraform").arg("version").output();
    assert!(
        on_path.is_ok_and(|o| o.status.success()),
        "the end-to-end tests need Terraform 1.11: install it at /usr/local/bin/terraform, put it on PATH, or set TERRAFORM"
    );
    PathBuf::from("terraform")
}

fn platform() -> String {
    let os = std::env::consts::OS;
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os}_{arch}")
}

/// Where the provider's binary is in a filesystem mirror.
fn installed_in(mirror: &Path) -> PathBuf {
    mirror
        .join(SOURCE)
        .join(VERSION)
        .join(platform())
        .join(format!("terraform-provider-lambdasign_v{VERSION}"))
}

/// A temporary root module with its own provider mirror and CLI config.
pub struct Workspace {
    root: tempfile::TempDir,
    terraform: PathBuf,
    env: Vec<(String, String)>,
}

impl Workspace {
    pub fn new() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let mirror = root.path().join("mirror");
        let installed = installed_in(&mirror);
        std::fs::create_dir_all(installed.parent().expect("package dir")).expect("mirror dir");
        std::fs::copy(BINARY, &installed).expect("install the provider into the mirror");
        let cli_config = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"local.test/*/*\"]\n  }}\n}}\n",
            mirror.display().to_string()
        );
        std::fs::write(root.path().join("cli.tfrc"), cli_config).expect("cli config");
        std::fs::create_dir_all(root.path().join("module")).expect("module dir");
        Workspace {
            root,
            terraform: terraform_binary(),
            env: Vec::new(),
        }
    }

    /// The root module's directory.
    pub fn dir(&self) -> PathBuf {
        self.root.path().join("module")
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir().join(name);
        std::fs::write(&path, contents).expect("write module file");
        path
    }

    /// Writes `main.tf` with the provider requirement and a local-backend
    /// provider block in front of `body`.
    pub fn main_tf(&self, body: &str) {
        self.write(
            "main.tf",
            format!(
                "terraform {{\n  required_providers {{\n    lambdasign = {{ source = \"{SOURCE}\" }}\n  }}\n}}\n\nprovider \"lambdasign\" {{\n  local {{\n    account_id = \"111111111111\"\n  }}\n}}\n\n{body}"
            ),
        );
    }

    /// Writes `main.tf` with the provider requirement, the given provider
    /// block(s) (e.g. an aws-backend block with `endpoints`) and `body`.
    pub fn main_tf_with_provider(&self, provider: &str, body: &str) {
        self.write(
            "main.tf",
            format!(
                "terraform {{\n  required_providers {{\n    lambdasign = {{ source = \"{SOURCE}\" }}\n  }}\n}}\n\n{provider}\n{body}"
            ),
        );
    }

    /// An environment variable for every terraform run (and so the provider),
    /// e.g. fake AWS credentials for moto.
    pub fn set_env(&mut self, key: &str, value: impl Into<String>) {
        self.env.push((key.to_string(), value.into()));
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.terraform);
        command
            .args(args)
            .current_dir(self.dir())
            .env("TF_CLI_CONFIG_FILE", self.root.path().join("cli.tfrc"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("TF_DISABLE_PLUGIN_TLS")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .env_remove("TF_CLI_ARGS");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run terraform")
    }

    /// Runs and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "terraform {} failed ({}):\n{}\n{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// `terraform plan -detailed-exitcode`: 0 no changes, 2 changes.
    pub fn plan_exit_code(&self) -> i32 {
        let output = self.run(&["plan", "-detailed-exitcode", "-no-color"]);
        let code = output.status.code().unwrap_or(-1);
        assert!(
            code == 0 || code == 2,
            "plan failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        code
    }

    /// The provider's binary in this workspace's mirror (before `init`,
    /// it may be replaced, e.g. by a wrapper that measures it).
    #[allow(dead_code)]
    pub fn installed_provider(&self) -> PathBuf {
        installed_in(&self.root.path().join("mirror"))
    }

    /// A directory beside the module (outside what Terraform reads).
    #[allow(dead_code)]
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// Replaces the CLI configuration (how providers are installed).
    #[allow(dead_code)]
    pub fn set_cli_config(&self, text: &str) {
        std::fs::write(self.root.path().join("cli.tfrc"), text).expect("cli config");
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    /// Installs a stand-in for `hashicorp/aws` into the mirror, for state
    /// that names the AWS provider. The real one cannot be downloaded
    /// offline; `moved` across providers asks only the target provider
    /// (MoveResourceState), but Terraform wants every provider that state
    /// names to be installed. The stand-in is this provider's binary.
    #[allow(dead_code)]
    pub fn with_aws_provider_stand_in(&self) {
        let package = self
            .root
            .path()
            .join("mirror/registry.terraform.io/hashicorp/aws/5.0.0")
            .join(platform());
        std::fs::create_dir_all(&package).expect("mirror dir");
        std::fs::copy(BINARY, package.join("terraform-provider-aws_v5.0.0"))
            .expect("install the stand-in");
        let config = self.root.path().join("cli.tfrc");
        let text = std::fs::read_to_string(&config)
            .expect("cli config")
            .replace(
                "include = [\"local.test/*/*\"]",
                "include = [\"local.test/*/*\", \"registry.terraform.io/hashicorp/aws\"]",
            );
        std::fs::write(config, text).expect("cli config");
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

/// Output of `sha384sum FILE`, the reference the functions must match.
pub fn sha384sum(path: &Path) -> String {
    let output = Command::new("sha384sum")
        .arg(path)
        .output()
        .expect("sha384sum");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}
