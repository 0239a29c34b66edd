//! `terraform-provider-lambdasign serve` for tests: started on a free
//! loopback port over a fresh store, stopped with SIGTERM when dropped; and
//! the Python tools (awscli, boto3) from `LAMBDASIGN_AWS_VENV`, which
//! scripts/test.sh creates. Without that variable the tests that need the
//! tools fail, saying so.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::BINARY;

pub const VENV_ENV: &str = "LAMBDASIGN_AWS_VENV";
pub const REGION: &str = "us-east-1";

/// A running `serve`.
pub struct Serve {
    child: Option<Child>,
    pub url: String,
    pub store: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Serve {
    /// Starts `serve` over a new store in a temporary directory.
    pub fn start() -> Serve {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = dir.path().join("store");
        let mut serve = Serve::start_on(&store);
        serve._dir = Some(dir);
        serve
    }

    /// Starts `serve` over a new store, with more arguments
    /// (`--credentials FILE`, `--listen ADDR`).
    pub fn start_with(args: &[&str]) -> Serve {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = dir.path().join("store");
        let mut serve = Serve::spawn(&store, args);
        serve._dir = Some(dir);
        serve
    }

    /// Starts `serve` over the store at `store`.
    pub fn start_on(store: &Path) -> Serve {
        Serve::spawn(store, &[])
    }

    /// Starts `serve` over the store at `store`, with more arguments.
    pub fn start_on_with(store: &Path, args: &[&str]) -> Serve {
        Serve::spawn(store, args)
    }

    /// Kills the server with SIGKILL, as a crash would, and waits for it.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn spawn(store: &Path, args: &[&str]) -> Serve {
        let listen = if args.contains(&"--listen") {
            Vec::new()
        } else {
            vec!["--listen", "127.0.0.1:0"]
        };
        let mut child = Command::new(BINARY)
            .arg("serve")
            .args(listen)
            .args(args)
            .arg("--store")
            .arg(store)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("serve's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("serve printed {line:?}, not `listening on URL`"))
            .to_string();
        // Drain stderr so a chatty server never blocks on a full pipe.
        if let Some(stderr) = child.stderr.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if std::env::var_os("LAMBDASIGN_SERVE_LOG").is_some() {
                        eprintln!("serve: {line}");
                    }
                }
            });
        }
        Serve {
            child: Some(child),
            url,
            store: store.to_path_buf(),
            _dir: None,
        }
    }

    /// The server's peak resident memory so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let pid = self.child.as_ref().expect("serve is running").id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }

    /// Sends SIGTERM and waits; the exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return child.wait().ok();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Environment for an AWS client acting as `account` (the access key id).
    pub fn env(account: &str) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", account.to_string()),
            ("AWS_SECRET_ACCESS_KEY", "secret".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_DEFAULT_REGION", REGION.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
            ("AWS_PAGER", String::new()),
        ]
    }

    /// A provider block for the aws backend aimed at this server.
    pub fn provider_block(&self, alias: Option<&str>) -> String {
        let e = &self.url;
        let alias = alias
            .map(|a| format!("  alias = \"{a}\"\n"))
            .unwrap_or_default();
        format!(
            "provider \"lambdasign\" {{\n{alias}  region      = \"{REGION}\"\n  max_retries = 1\n  endpoints {{\n    lambda = \"{e}\"\n    signer = \"{e}\"\n    s3     = \"{e}\"\n    sts    = \"{e}\"\n  }}\n}}\n"
        )
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The venv with awscli and boto3 (`LAMBDASIGN_AWS_VENV`); the test fails
/// without it.
pub fn venv() -> PathBuf {
    let venv = std::env::var_os(VENV_ENV).unwrap_or_else(|| {
        panic!(
            "{VENV_ENV} is not set: these tests need a venv with awscli and boto3. Run scripts/test.sh (it creates target/aws-venv and sets {VENV_ENV}), or set {VENV_ENV} to such a venv."
        )
    });
    let venv = PathBuf::from(venv);
    assert!(
        venv.join("bin").join("aws").exists(),
        "{VENV_ENV}={} has no bin/aws",
        venv.display()
    );
    venv
}

/// Runs the AWS CLI against `serve` as `account`.
pub fn aws(serve: &Serve, account: &str, args: &[&str]) -> Output {
    aws_as(serve, account, "secret", args)
}

/// Runs the AWS CLI against `serve` with this access key id and secret.
pub fn aws_as(serve: &Serve, key_id: &str, secret: &str, args: &[&str]) -> Output {
    Command::new(venv().join("bin").join("aws"))
        .args(["--endpoint-url", &serve.url, "--output", "json"])
        .args(args)
        .envs(Serve::env(key_id))
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .output()
        .expect("run aws")
}

/// Runs the AWS CLI and requires success; its JSON output (`null` when empty).
pub fn aws_ok(serve: &Serve, account: &str, args: &[&str]) -> serde_json::Value {
    let output = aws(serve, account, args);
    assert!(
        output.status.success(),
        "aws {} failed:\n{}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    if text.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("aws printed non-JSON ({e}): {text}"))
    }
}

/// Runs the AWS CLI, requires failure, and returns stderr.
pub fn aws_fails(serve: &Serve, account: &str, args: &[&str]) -> String {
    let output = aws(serve, account, args);
    assert!(
        !output.status.success(),
        "aws {} should fail:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A plain GET (as a client follows a presigned `Location`): the status
/// line and the body.
pub fn http_get(url: &str) -> (String, Vec<u8>) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("response");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head.lines().next().unwrap_or_default().to_string();
    (status, response[split + 4..].to_vec())
}
