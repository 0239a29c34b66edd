//! A real moto server for the aws backend's tests: started from the Python
//! in `LAMBDASIGN_MOTO_PYTHON` (scripts/test.sh creates that venv), on a
//! free loopback port, killed when dropped. Without the variable the tests
//! fail, saying so: they never pass silently.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MOTO_ENV: &str = "LAMBDASIGN_MOTO_PYTHON";
/// The account moto acts as.
pub const MOTO_ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts `python -m moto.server` and waits until it answers.
    pub fn start() -> Moto {
        let python = std::env::var_os(MOTO_ENV).unwrap_or_else(|| {
            panic!(
                "{MOTO_ENV} is not set: the aws backend's moto tests need a Python with moto[server] 5 installed. Run scripts/test.sh (it creates target/moto-venv and sets {MOTO_ENV}), or set {MOTO_ENV} to such a python."
            )
        });
        let port = free_port();
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto with {python:?}: {e}"));
        let mut moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if moto.request("GET", "/moto-api/data.json").is_some() {
                return moto;
            }
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto exited before answering ({status}); is moto[server] installed in {python:?}?");
            }
            assert!(
                Instant::now() < deadline,
                "moto did not answer on port {port} within 60s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Forgets every resource (`POST /moto-api/reset`).
    pub fn reset(&self) {
        let status = self.request("POST", "/moto-api/reset");
        assert!(
            status.as_deref().is_some_and(|s| s.contains(" 200")),
            "moto reset failed: {status:?}"
        );
    }

    /// One HTTP/1.0 request; the status line, if anything answered.
    fn request(&self, method: &str, path: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
        )
        .ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        response.lines().next().map(str::to_string)
    }

    /// An SDK configuration aimed at this server with moto's fake credentials.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .load()
            .await
    }

    pub async fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config().await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    pub async fn lambda(&self) -> aws_sdk_lambda::Client {
        aws_sdk_lambda::Client::new(&self.sdk_config().await)
    }

    /// Environment for a provider process (terraform) talking to this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_SESSION_TOKEN", "testing".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ]
    }

    /// A provider block for the aws backend aimed at this server.
    pub fn provider_block(&self) -> String {
        let e = self.endpoint();
        format!(
            "provider \"lambdasign\" {{\n  region = \"{REGION}\"\n  max_retries = 1\n  endpoints {{\n    lambda = \"{e}\"\n    signer = \"{e}\"\n    s3     = \"{e}\"\n    sts    = \"{e}\"\n  }}\n}}\n"
        )
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
