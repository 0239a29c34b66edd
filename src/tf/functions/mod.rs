//! Provider functions: `file_sha384` and `file_base64sha384`, because
//! Terraform has SHA-256 and SHA-512 file functions but none for SHA-384,
//! the digest Lambda's code signing uses.

use std::path::Path;

use async_trait::async_trait;
use base64::Engine as _;

use crate::domain::digest::sha384_file;
use crate::tf::plugin::cty::{Type, Value};
use crate::tf::plugin::framework::{Function, FunctionError, FunctionSignature, Parameter};

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Hex,
    Base64,
}

/// SHA-384 of a file, hashed in a streaming way, in one of two encodings.
pub struct FileDigest {
    encoding: Encoding,
}

impl FileDigest {
    pub fn hex() -> Self {
        FileDigest {
            encoding: Encoding::Hex,
        }
    }

    pub fn base64() -> Self {
        FileDigest {
            encoding: Encoding::Base64,
        }
    }
}

#[async_trait]
impl Function for FileDigest {
    fn name(&self) -> &'static str {
        match self.encoding {
            Encoding::Hex => "file_sha384",
            Encoding::Base64 => "file_base64sha384",
        }
    }

    fn signature(&self) -> FunctionSignature {
        let (summary, description) = match self.encoding {
            Encoding::Hex => (
                "SHA-384 of a file, as lower-case hex",
                "Returns the SHA-384 digest of the file at `path` as 96 lower-case hex digits, as `sha384sum` prints it. The file is read in a streaming way, so large artifacts are fine.",
            ),
            Encoding::Base64 => (
                "SHA-384 of a file, base64-encoded",
                "Returns the SHA-384 digest of the file at `path`, base64-encoded (standard alphabet, padded), like `filebase64sha256` does for SHA-256.",
            ),
        };
        FunctionSignature {
            parameters: vec![Parameter {
                name: "path",
                ty: Type::String,
                description: "Path of the file, relative to the working directory.",
            }],
            return_type: Type::String,
            summary,
            description,
        }
    }

    async fn call(&self, arguments: Vec<Value>) -> Result<Value, FunctionError> {
        let path = arguments
            .first()
            .and_then(Value::as_str)
            .ok_or_else(|| FunctionError {
                text: "path must be a string".into(),
                argument: Some(0),
            })?
            .to_string();
        let encoding = self.encoding;
        // Hashing is blocking file I/O: keep it off the async workers.
        let digest = tokio::task::spawn_blocking(move || {
            sha384_file(Path::new(&path)).map_err(|e| FunctionError {
                text: format!("cannot read {path:?}: {e}"),
                argument: Some(0),
            })
        })
        .await
        .map_err(|e| FunctionError {
            text: format!("hashing failed: {e}"),
            argument: None,
        })??;
        Ok(Value::string(match encoding {
            Encoding::Hex => hex::encode(digest),
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(digest),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_a_file_in_both_encodings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("abc.txt");
        std::fs::write(&path, b"abc").expect("write");
        let arg = vec![Value::string(path.to_string_lossy())];
        let hex = FileDigest::hex().call(arg.clone()).await.expect("hex");
        assert_eq!(
            hex.as_str(),
            Some("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")
        );
        let b64 = FileDigest::base64().call(arg).await.expect("base64");
        assert_eq!(
            b64.as_str(),
            Some("ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn")
        );
    }

    #[tokio::test]
    async fn a_missing_file_blames_the_path_argument() {
        let error = FileDigest::hex()
            .call(vec![Value::string("/nonexistent/artifact.zip")])
            .await
            .expect_err("must fail");
        assert_eq!(error.argument, Some(0));
        assert!(
            error.text.contains("/nonexistent/artifact.zip"),
            "{}",
            error.text
        );
    }
}
