//! Test fixtures: zips to sign, and direct access to the embedded store
//! that Terraform's provider processes share (to change it behind
//! Terraform's back).

use std::io::Write as _;
use std::path::Path;

use lambdasign::backend::local::{LocalBackend, LocalConfig};

/// A small zip with one file.
pub fn write_zip(path: &Path, name: &str, contents: &[u8]) {
    let file = std::fs::File::create(path).expect("create zip");
    let mut zip = zip::ZipWriter::new(file);
    zip.start_file(name, zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    zip.write_all(contents).expect("zip data");
    zip.finish().expect("finish zip");
}

/// The store a workspace's provider uses (`local { path = ".lambdasign" }`).
pub fn store(dir: &Path, account: &str) -> LocalBackend {
    LocalBackend::open(&LocalConfig {
        path: dir.join(".lambdasign"),
        account_id: account.to_string(),
        region: "us-east-1".to_string(),
        key_file: None,
    })
    .expect("open store")
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}
