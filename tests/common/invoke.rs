//! `cfn-invoke` for tests: Lambda's Invoke API in front of the
//! CloudFormation handlers, on a free port, stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// `cfn-invoke --store DIR` on a free port; stopped when dropped.
pub struct Invoke {
    child: Child,
    pub url: String,
}

impl Invoke {
    pub fn start(store: &Path) -> Invoke {
        Invoke::start_with(&["--store", store.to_str().expect("a UTF-8 path")])
    }
}

impl Invoke {
    /// One invocation through the Invoke API, as `cfn test` sends it.
    pub fn invoke(&self, payload: &Value) -> Value {
        let address = self.url.trim_start_matches("http://");
        let body = payload.to_string();
        let mut stream = std::net::TcpStream::connect(address).expect("connect to cfn-invoke");
        use std::io::{Read, Write};
        write!(
            stream,
            "POST /2015-03-31/functions/TypeFunction/invocations HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
    }

    pub fn start_with(args: &[&str]) -> Invoke {
        let mut child = Command::new(super::BINARY)
            .args(["cfn-invoke", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            // LAMBDASIGN_INVOKE_LOG=1 shows the handlers' log.
            .stderr(if std::env::var_os("LAMBDASIGN_INVOKE_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("start cfn-invoke");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("cfn-invoke's first line");
        let url = line
            .trim()
            .strip_prefix("cfn-invoke listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Invoke { child, url }
    }
}

impl Drop for Invoke {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
