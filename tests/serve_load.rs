//! `serve --credentials` under load and a crash: 100 concurrent clients
//! (the AWS SDK for Rust, retries off) mix valid requests of two accounts
//! with forged signatures and cross-account attempts for a while; then the
//! server is killed with SIGKILL while they are still sending, and started
//! again on the same store. No
//! answer may be a 5xx, no forged request may succeed, no cross-account
//! request may change the other account's resources, and everything that
//! was acknowledged must be there, whole, after the restart.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_s3::config::{Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use common::serve::Serve;

const A: (&str, &str, &str) = ("AKIDLOADA00000000001", "secret-a", "111111111111");
const B: (&str, &str, &str) = ("AKIDLOADB00000000002", "secret-b", "222222222222");
const CLIENTS: usize = 100;
const PLATFORM: &str = "AWSLambda-SHA384-ECDSA";

fn seconds() -> u64 {
    std::env::var("LAMBDASIGN_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

#[derive(Clone)]
struct Clients {
    s3: aws_sdk_s3::Client,
    signer: aws_sdk_signer::Client,
}

async fn clients(url: &str, key: (&str, &str, &str)) -> Clients {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(key.0, key.1, None, None, "load"))
        .endpoint_url(url)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    Clients {
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        ),
        signer: aws_sdk_signer::Client::new(&sdk),
    }
}

/// The HTTP status of a failed call, if it got an answer.
fn status<E>(
    e: &aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    refused_forged: AtomicU64,
    refused_cross: AtomicU64,
    server_errors: Mutex<Vec<String>>,
    violations: Mutex<Vec<String>>,
    /// Set just before the kill: what fails after it got no answer.
    killed: std::sync::atomic::AtomicBool,
}

impl Tally {
    fn killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
    fn server_error(&self, what: String) {
        if !self.killed() {
            self.server_errors.lock().expect("lock").push(what);
        }
    }
    fn violation(&self, what: String) {
        if !self.killed() || what.contains("succeeded") || what.contains("changed") {
            self.violations.lock().expect("lock").push(what);
        }
    }
}

#[test]
fn load_forgery_cross_account_and_kill9_lose_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        format!(
            "[a]\naws_access_key_id={}\naws_secret_access_key={}\naws_account_id={}\n[b]\naws_access_key_id={}\naws_secret_access_key={}\naws_account_id={}\n",
            A.0, A.1, A.2, B.0, B.1, B.2
        ),
    )
    .expect("credentials");
    let store = dir.path().join("store");
    let args = ["--credentials", credentials.to_str().expect("utf-8")];
    let mut serve = Serve::start_on_with(&store, &args);
    let url = serve.url.clone();
    let tally = Arc::new(Tally::default());
    // What the server acknowledged: objects (key -> bytes) and profiles.
    let objects: Arc<Mutex<BTreeMap<String, Vec<u8>>>> = Arc::default();
    let profiles: Arc<Mutex<Vec<(String, String)>>> = Arc::default();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let a = clients(&url, A).await;
        let b = clients(&url, B).await;
        let forged = clients(&url, (A.0, "not-the-secret", A.2)).await;
        a.s3.create_bucket()
            .bucket("load-a")
            .send()
            .await
            .expect("bucket");
        a.signer
            .put_signing_profile()
            .profile_name("a_anchor")
            .platform_id(PLATFORM)
            .send()
            .await
            .expect("anchor profile");
        let deadline = Instant::now() + Duration::from_secs(seconds());
        let mut tasks = Vec::new();
        for client in 0..CLIENTS {
            let (a, b, forged) = (a.clone(), b.clone(), forged.clone());
            let (tally, objects, profiles) = (
                Arc::clone(&tally),
                Arc::clone(&objects),
                Arc::clone(&profiles),
            );
            tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while !tally.killed() {
                    n += 1;
                    match (client + n as usize) % 5 {
                        // A valid upload, then reading it back.
                        0 | 1 => {
                            let key = format!("c{client}/o{n}");
                            let body =
                                format!("{client}:{n}:{}", "x".repeat((n % 7) as usize * 1000))
                                    .into_bytes();
                            match a
                                .s3
                                .put_object()
                                .bucket("load-a")
                                .key(&key)
                                .body(ByteStream::from(body.clone()))
                                .send()
                                .await
                            {
                                Ok(_) => {
                                    tally.ok.fetch_add(1, Ordering::Relaxed);
                                    objects
                                        .lock()
                                        .expect("lock")
                                        .insert(key.clone(), body.clone());
                                    match a.s3.get_object().bucket("load-a").key(&key).send().await
                                    {
                                        Ok(out) => match out.body.collect().await {
                                            Ok(got) => {
                                                if got.into_bytes() != body {
                                                    tally.violation(format!(
                                                        "{key} read back changed"
                                                    ));
                                                }
                                            }
                                            // The answer broke off (the kill, mid-body): no
                                            // answer, not other bytes.
                                            Err(e) => tally.server_error(format!(
                                                "GetObject {key}: the body broke off: {e}"
                                            )),
                                        },
                                        Err(e) if status(&e).is_some_and(|s| s >= 500) => {
                                            tally.server_error(format!("GetObject {key}: {e:?}"))
                                        }
                                        Err(e) => {
                                            tally.violation(format!("GetObject {key}: {e:?}"))
                                        }
                                    }
                                }
                                Err(e) if status(&e).is_some_and(|s| s >= 500) => {
                                    tally.server_error(format!("PutObject {key}: {e:?}"))
                                }
                                Err(e) => tally
                                    .violation(format!("a valid PutObject {key} failed: {e:?}")),
                            }
                        }
                        // A valid Signer write of the other account.
                        2 => {
                            let name = format!("b_{client}_{n}");
                            match b
                                .signer
                                .put_signing_profile()
                                .profile_name(&name)
                                .platform_id(PLATFORM)
                                .send()
                                .await
                            {
                                Ok(_) => {
                                    tally.ok.fetch_add(1, Ordering::Relaxed);
                                    profiles.lock().expect("lock").push((B.2.to_string(), name));
                                }
                                Err(e)
                                    if e.raw_response()
                                        .is_some_and(|r| r.status().as_u16() >= 500) =>
                                {
                                    tally.server_error(format!("PutSigningProfile: {e:?}"))
                                }
                                Err(e) => tally
                                    .violation(format!("a valid PutSigningProfile failed: {e:?}")),
                            }
                        }
                        // Forged: A's key id with the wrong secret.
                        3 => {
                            let key = format!("forged/c{client}/o{n}");
                            match forged
                                .s3
                                .put_object()
                                .bucket("load-a")
                                .key(&key)
                                .body(ByteStream::from_static(b"forged"))
                                .send()
                                .await
                            {
                                Ok(_) => {
                                    tally.violation(format!("a forged PutObject {key} succeeded"))
                                }
                                Err(e) if status(&e) == Some(403) => {
                                    tally.refused_forged.fetch_add(1, Ordering::Relaxed);
                                }
                                Err(e) => tally.server_error(format!(
                                    "a forged PutObject got {:?}: {e:?}",
                                    status(&e)
                                )),
                            }
                            match forged
                                .signer
                                .cancel_signing_profile()
                                .profile_name("a_anchor")
                                .send()
                                .await
                            {
                                Ok(_) => tally
                                    .violation("a forged CancelSigningProfile succeeded".into()),
                                Err(e)
                                    if e.raw_response()
                                        .is_some_and(|r| r.status().as_u16() == 403) =>
                                {
                                    tally.refused_forged.fetch_add(1, Ordering::Relaxed);
                                }
                                Err(e) => tally
                                    .server_error(format!("a forged CancelSigningProfile: {e:?}")),
                            }
                        }
                        // Cross-account: B acting on A's profile by name.
                        _ => match b
                            .signer
                            .cancel_signing_profile()
                            .profile_name("a_anchor")
                            .send()
                            .await
                        {
                            Ok(_) => tally.violation(
                                "B cancelled a profile named like A's: it must not exist in B"
                                    .into(),
                            ),
                            Err(e)
                                if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) =>
                            {
                                tally.refused_cross.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => tally.server_error(format!(
                                "a cross-account CancelSigningProfile: {e:?}"
                            )),
                        },
                    }
                }
            }));
        }
        // A crash while the clients are still sending: SIGKILL.
        tokio::time::sleep_until(deadline.into()).await;
        tally.killed.store(true, Ordering::SeqCst);
        serve.kill9();
        for task in tasks {
            task.await.expect("client task");
        }
    });

    // A restart on the same store.
    let serve = Serve::start_on_with(&store, &args);
    let url = serve.url.clone();
    let objects = objects.lock().expect("lock").clone();
    let profiles = profiles.lock().expect("lock").clone();
    let mut lost = Vec::new();
    runtime.block_on(async {
        let a = clients(&url, A).await;
        let b = clients(&url, B).await;
        // Each object and profile is read back; 16 at a time, as the
        // clients wrote them (one by one, this took minutes in CI).
        let mut reads = tokio::task::JoinSet::new();
        let objects = Arc::new(objects.clone());
        let profiles = Arc::new(profiles.clone());
        const READERS: usize = 16;
        for reader in 0..READERS {
            let (a, b) = (a.clone(), b.clone());
            let (objects, profiles) = (objects.clone(), profiles.clone());
            reads.spawn(async move {
                let mut lost = Vec::new();
                for (key, body) in objects.iter().skip(reader).step_by(READERS) {
                    match a.s3.get_object().bucket("load-a").key(key).send().await {
                        Ok(out) => {
                            let got = out
                                .body
                                .collect()
                                .await
                                .map(|d| d.into_bytes().to_vec())
                                .unwrap_or_default();
                            if &got != body {
                                lost.push(format!("{key} changed"));
                            }
                        }
                        Err(e) => lost.push(format!("{key}: {e:?}")),
                    }
                }
                for (_, name) in profiles.iter().skip(reader).step_by(READERS) {
                    if let Err(e) = b
                        .signer
                        .get_signing_profile()
                        .profile_name(name)
                        .send()
                        .await
                    {
                        lost.push(format!("profile {name}: {e:?}"));
                    }
                }
                lost
            });
        }
        while let Some(found) = reads.join_next().await {
            lost.extend(found.expect("reader task"));
        }
        let anchor = a
            .signer
            .get_signing_profile()
            .profile_name("a_anchor")
            .send()
            .await
            .expect("A's profile");
        if anchor.status().map(|s| s.as_str()) != Some("Active") {
            lost.push(format!(
                "A's profile is {:?} after B's and forged cancels",
                anchor.status()
            ));
        }
        let forged_objects =
            a.s3.list_objects_v2()
                .bucket("load-a")
                .prefix("forged/")
                .send()
                .await
                .expect("list");
        if forged_objects.key_count().unwrap_or(0) != 0 {
            lost.push("a forged upload was stored".into());
        }
    });
    let leftovers: Vec<_> = walk(&store)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".lambdasign-"))
        })
        .collect();

    let server_errors = tally.server_errors.lock().expect("lock").clone();
    let violations = tally.violations.lock().expect("lock").clone();
    println!(
        "{CLIENTS} clients for {}s: {} valid requests acknowledged ({} objects, {} profiles), {} forged refused, {} cross-account refused, {} 5xx",
        seconds(),
        tally.ok.load(Ordering::Relaxed),
        objects.len(),
        profiles.len(),
        tally.refused_forged.load(Ordering::Relaxed),
        tally.refused_cross.load(Ordering::Relaxed),
        server_errors.len()
    );
    assert!(
        server_errors.is_empty(),
        "5xx or no answer:\n{}",
        server_errors
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        violations.is_empty(),
        "{}",
        violations
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        lost.is_empty(),
        "lost after kill -9:\n{}",
        lost.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(
        leftovers.is_empty(),
        "temporary files left after the restart: {leftovers:?}"
    );
    assert!(
        tally.refused_forged.load(Ordering::Relaxed) > 0
            && tally.refused_cross.load(Ordering::Relaxed) > 0
            && !objects.is_empty()
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}
