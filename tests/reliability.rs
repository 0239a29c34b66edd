//! Failure behaviour at the process level (issue 13): crashes are real
//! SIGKILLs, FIFOs are real FIFOs, orphans are real re-parented processes.
//! Every wait is bounded: a test that would hang fails instead, saying so.
//! One test per defect, named for what must hold.

#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::fixtures::{runtime, write_zip};
use common::terraform::Workspace;
use common::{connect, start_plugin, ClientIdentity, BINARY, MAGIC_COOKIE};
use lambdasign::backend::local::{LocalBackend, LocalConfig, DB_FILE};
use lambdasign::backend::{Backend, CodeSigningConfigInput, JobFilter, PutSigningProfile};
use lambdasign::domain::checks::Enforcement;
use lambdasign::domain::job::JobStatus;

const ACCOUNT: &str = "111111111111";
/// Long enough for a debug build on a busy machine, short enough to fail.
const PATIENCE: Duration = Duration::from_secs(60);

/// Runs `command` to completion, or kills it after `limit` and fails.
fn run_bounded(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn cli(args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .env_remove("LAMBDASIGN_STORE_KEY");
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A zip of `len` bytes (sparse zeros, then an empty EOCD record).
fn large_zip(path: &Path, len: u64) {
    let file = std::fs::File::create(path).expect("create");
    file.set_len(len - 22).expect("set_len");
    drop(file);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open");
    let mut eocd = b"PK\x05\x06".to_vec();
    eocd.extend_from_slice(&[0; 18]);
    file.write_all(&eocd).expect("eocd");
}

fn open_store(store: &Path) -> LocalBackend {
    LocalBackend::open(&LocalConfig {
        path: store.to_path_buf(),
        account_id: ACCOUNT.into(),
        region: "us-east-1".into(),
        key_file: None,
    })
    .expect("store")
}

/// A store with profile `app` and an Enforce config allowing it; returns
/// the config's ARN.
fn store_with_profile(store: &Path) -> String {
    runtime().block_on(async {
        let backend = open_store(store);
        let profile = backend
            .put_signing_profile(PutSigningProfile {
                name: "app".into(),
                platform_id: "AWSLambda-SHA384-ECDSA".into(),
                validity: Default::default(),
                certificate_arn: None,
                signing_parameters: Default::default(),
                tags: Default::default(),
            })
            .await
            .expect("profile");
        backend
            .create_code_signing_config(CodeSigningConfigInput {
                allowed_publishers: vec![profile.version_arn],
                enforcement: Enforcement::Enforce,
                description: String::new(),
                tags: Default::default(),
            })
            .await
            .expect("csc")
            .arn
    })
}

fn sign_command(store: &Path, input: &Path, output: &Path) -> Command {
    let mut command = cli(&["sign", "--account", ACCOUNT, "--profile", "app"]);
    command.arg("--store").arg(store).arg(input).arg(output);
    command
}

fn jobs(store: &Path) -> Vec<lambdasign::domain::job::SigningJob> {
    runtime().block_on(async {
        open_store(store)
            .list_signing_jobs(JobFilter::default())
            .await
            .expect("jobs")
    })
}

/// Our temporary files in `dir`, as (name, writer pid).
fn temp_files(dir: &Path) -> Vec<(String, u32)> {
    std::fs::read_dir(dir)
        .expect("ls")
        .filter_map(|e| {
            let name = e.ok()?.file_name();
            let pid = lambdasign::domain::files::temp_file_pid(&name)?;
            Some((name.to_string_lossy().into_owned(), pid))
        })
        .collect()
}

/// Starts a CLI sign of a large input and SIGKILLs it while it writes its
/// output; returns the killed process's pid.
fn sign_then_kill(store: &Path, input: &Path, output: &Path) -> u32 {
    let out_dir = output.parent().expect("parent");
    let mut child = sign_command(store, input, output)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sign");
    let pid = child.id();
    let started = Instant::now();
    loop {
        let writing = temp_files(out_dir).iter().any(|(_, p)| *p == pid);
        if writing {
            break;
        }
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "the signer finished before it could be killed: use a larger input"
        );
        assert!(
            started.elapsed() < PATIENCE,
            "the signer never started writing"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    child.wait().expect("reap");
    pid
}

// --- 1. Fail open on missing records ----------------------------------------

#[test]
fn verify_fails_when_a_revoked_jobs_record_is_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let csc = store_with_profile(&store);
    let input = dir.path().join("function.zip");
    write_zip(&input, "index.js", b"exports.handler = () => 1;\n");
    let signed = dir.path().join("signed.zip");
    let out = run_bounded(sign_command(&store, &input, &signed), PATIENCE);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let job = jobs(&store).remove(0);
    runtime().block_on(async {
        open_store(&store)
            .revoke_signature(&job.job_id, "leaked")
            .await
            .expect("revoke")
    });
    let verify = || {
        let mut command = cli(&["verify", "--account", ACCOUNT, "--csc", &csc]);
        command.arg("--store").arg(&store).arg(&signed);
        run_bounded(command, PATIENCE)
    };
    let revoked = verify();
    assert_eq!(revoked.status.code(), Some(1), "{}", text(&revoked.stdout));

    let conn = rusqlite::Connection::open(store.join(DB_FILE)).expect("sqlite");
    conn.execute("DELETE FROM signing_jobs WHERE job_id = ?1", [&job.job_id])
        .expect("delete the job's row");
    drop(conn);
    let missing = verify();
    let stdout = text(&missing.stdout);
    assert_eq!(missing.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("REJECTED"), "{stdout}");
    assert!(
        stdout.contains(&job.job_arn) && stdout.contains("no record"),
        "{stdout}"
    );
}

// --- 2. Partial temporary files after a kill --------------------------------

#[test]
fn a_killed_signers_partial_file_is_removed_by_the_next_write_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    store_with_profile(&store);
    let input = dir.path().join("big.zip");
    large_zip(&input, 12 << 20);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("out dir");
    let killed = sign_then_kill(&store, &input, &out_dir.join("big.signed.zip"));
    let left = temp_files(&out_dir);
    assert!(
        left.iter().any(
            |(name, pid)| *pid == killed && name.starts_with(&format!(".lambdasign-{killed}-"))
        ),
        "the killed signer left no recognisable partial file: {left:?}"
    );
    // Another write into the same directory removes it.
    let small = dir.path().join("small.zip");
    write_zip(&small, "index.js", b"exports.handler = () => 2;\n");
    let out = run_bounded(
        sign_command(&store, &small, &out_dir.join("small.signed.zip")),
        PATIENCE,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(temp_files(&out_dir), Vec::new());
}

// --- 3. Orphaned provider processes -----------------------------------------

fn plugin_env(command: &mut Command, client: &ClientIdentity) {
    command
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", &client.pem)
        .env_remove("TF_DISABLE_PLUGIN_TLS");
}

/// Whether `pid` has exited (gone, or a zombie left for its new parent).
fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state == "Z" || state == "X"),
    }
}

#[test]
fn a_provider_whose_terraform_was_killed_exits() {
    let client = ClientIdentity::generate();
    // A stand-in for Terraform: a shell that starts the provider and waits.
    let mut parent = Command::new("sh");
    parent
        .arg("-c")
        .arg(format!("{BINARY:?} >/dev/null 2>&1 & echo $!; wait"));
    plugin_env(&mut parent, &client);
    let mut parent = parent
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the parent");
    let mut line = String::new();
    BufReader::new(parent.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("provider pid");
    let provider: u32 = line.trim().parse().expect("a pid");
    std::thread::sleep(Duration::from_millis(500));
    assert!(!exited(provider), "the provider did not start");

    parent.kill().expect("SIGKILL the parent");
    parent.wait().expect("reap the parent");
    let started = Instant::now();
    while !exited(provider) {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = Command::new("kill")
                .arg("-9")
                .arg(provider.to_string())
                .status();
            panic!("the provider was still running 20 s after its parent was killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_provider_exits_when_terraforms_connection_closes_with_nothing_in_flight() {
    let client = ClientIdentity::generate();
    let mut plugin = start_plugin(&client);
    runtime().block_on(async {
        let channel = connect(&plugin, Some(&client)).await.expect("connect");
        let mut provider =
            lambdasign::tf::plugin::proto::tfplugin6::provider_client::ProviderClient::new(channel);
        provider
            .get_provider_schema(
                lambdasign::tf::plugin::proto::tfplugin6::get_provider_schema::Request {},
            )
            .await
            .expect("schema");
    });
    // The runtime (and with it the connection) is gone now.
    let started = Instant::now();
    loop {
        if plugin.child.try_wait().expect("try_wait").is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the provider was still running 20 s after its only connection closed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// --- 4. Hangs on special files ----------------------------------------------

#[test]
fn a_fifo_is_refused_not_read_by_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let csc = store_with_profile(&store);
    let fifo = dir.path().join("pipe.zip");
    mkfifo(&fifo);
    let mut digest = cli(&["digest"]);
    digest.arg(&fifo);
    let mut verify = cli(&["verify", "--account", ACCOUNT, "--csc", &csc]);
    verify.arg("--store").arg(&store).arg(&fifo);
    let sign = sign_command(&store, &fifo, &dir.path().join("out.zip"));
    for (what, command) in [("digest", digest), ("verify", verify), ("sign", sign)] {
        let out = run_bounded(command, PATIENCE);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains("FIFO"), "{what}: {stderr}");
    }
    // A directory and a device are refused the same way.
    for (path, kind) in [
        (dir.path(), "directory"),
        (Path::new("/dev/zero"), "device"),
    ] {
        let mut digest = cli(&["digest"]);
        digest.arg(path);
        let out = run_bounded(digest, PATIENCE);
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out.stderr).contains(kind), "{}", text(&out.stderr));
    }
    assert!(jobs(&store).is_empty(), "a job was recorded for a FIFO");
}

#[test]
fn a_fifo_is_refused_not_read_by_terraform_plan() {
    let ws = Workspace::new();
    mkfifo(&ws.path("pipe.zip"));
    ws.main_tf(
        r#"
resource "lambdasign_signing_profile" "app" {
  name = "app"
}

resource "lambdasign_signed_artifact" "fn" {
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "pipe.zip"
  output_file  = "out.zip"
}

data "lambdasign_verification" "v" {
  policy {
    allowed_publishers               = ["arn:aws:signer:us-east-1:111111111111:/signing-profiles/app/ABCDEFGHIJ"]
    untrusted_artifact_on_deployment = "Enforce"
  }
  artifact {
    name        = "pipe"
    signed_file = "pipe.zip"
  }
}

"#,
    );
    ws.ok(&["init", "-no-color"]);
    let plan = || run_bounded(ws.command(&["plan", "-no-color"]), Duration::from_secs(180));
    let out = plan();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    // The resource's source_file and the data source's signed_file.
    assert!(stderr.matches("FIFO").count() >= 2, "{stderr}");
    assert!(stderr.contains("source_file"), "{stderr}");

    // The provider function, in a configuration of its own (Terraform stops
    // at the first function error).
    ws.main_tf(
        r#"
output "digest" {
  value = provider::lambdasign::file_sha384("pipe.zip")
}
"#,
    );
    let out = plan();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("FIFO"), "{stderr}");
}

// --- 5. A global lock held during I/O (cross-process) -------------------------

#[test]
fn the_same_sign_from_two_processes_signs_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    store_with_profile(&store);
    let input = dir.path().join("in.zip");
    large_zip(&input, 2 << 20);
    let output = dir.path().join("out.zip");
    let spawn = || {
        sign_command(&store, &input, &output)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b): (Child, Child) = (spawn(), spawn());
    let (a, b) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    assert!(a.status.success(), "{}", text(&a.stderr));
    assert!(b.status.success(), "{}", text(&b.stderr));
    let job_line = |o: &Output| {
        text(&o.stdout)
            .lines()
            .find(|l| l.starts_with("job"))
            .map(str::to_string)
    };
    assert_eq!(job_line(&a), job_line(&b));
    assert_eq!(jobs(&store).len(), 1);
}

// --- 6. Jobs orphaned by crashed applies --------------------------------------

#[test]
fn a_sign_killed_mid_write_is_completed_by_the_retry_not_signed_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    store_with_profile(&store);
    let input = dir.path().join("big.zip");
    large_zip(&input, 12 << 20);
    let output = dir.path().join("big.signed.zip");
    sign_then_kill(&store, &input, &output);
    let orphans = jobs(&store);
    assert_eq!(orphans.len(), 1);
    assert_eq!(orphans[0].status, JobStatus::InProgress);
    assert!(!output.exists());

    let retry = run_bounded(sign_command(&store, &input, &output), PATIENCE);
    assert!(retry.status.success(), "{}", text(&retry.stderr));
    let stdout = text(&retry.stdout);
    assert!(stdout.contains(&orphans[0].job_arn), "{stdout}");
    let after = jobs(&store);
    assert_eq!(after.len(), 1, "signed again instead of completing the job");
    assert_eq!(after[0].status, JobStatus::Succeeded);
    assert!(output.exists());

    // And again: the finished job is returned, its output untouched.
    let before = std::fs::metadata(&output)
        .expect("stat")
        .modified()
        .expect("mtime");
    let again = run_bounded(sign_command(&store, &input, &output), PATIENCE);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains(&orphans[0].job_arn));
    assert_eq!(
        std::fs::metadata(&output)
            .expect("stat")
            .modified()
            .expect("mtime"),
        before
    );
    assert_eq!(jobs(&store).len(), 1);
}

#[test]
fn a_reapply_after_terraform_and_the_provider_are_killed_reuses_the_job() {
    use std::os::unix::process::CommandExt;
    let ws = Workspace::new();
    large_zip(&ws.path("big.zip"), 12 << 20);
    let profile = r#"
resource "lambdasign_signing_profile" "app" {
  name = "app"
}
"#;
    ws.main_tf(profile);
    ws.ok(&["init", "-no-color"]);
    ws.ok(&["apply", "-auto-approve", "-no-color"]);
    ws.main_tf(&format!(
        r#"{profile}
resource "lambdasign_signed_artifact" "fn" {{
  profile_name = lambdasign_signing_profile.app.name
  source_file  = "big.zip"
  output_file  = "big.signed.zip"
}}
"#
    ));
    // Terraform and its provider in a process group of their own, killed
    // together while the artifact is being written.
    let mut apply = ws.command(&["apply", "-auto-approve", "-no-color"]);
    let mut child = apply
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("terraform apply");
    let started = Instant::now();
    let store = ws.dir().join(".lambdasign");
    // The output's temporary file, once its job is recorded: the plan's
    // probe of the output directory makes a temporary file of ours too.
    while temp_files(&ws.dir()).is_empty() || jobs(&store).is_empty() {
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "the apply finished before it could be killed"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "signing never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let group = format!("-{}", child.id());
    let killed = Command::new("kill")
        .args(["-9", "--", &group])
        .status()
        .expect("kill");
    assert!(killed.success());
    child.wait().expect("reap terraform");
    let orphans = jobs(&store);
    assert_eq!(orphans.len(), 1, "{orphans:?}");

    let out = run_bounded(
        ws.command(&["apply", "-auto-approve", "-no-color", "-lock=false"]),
        Duration::from_secs(300),
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let after = jobs(&store);
    assert_eq!(after.len(), 1, "the re-apply signed again: {after:?}");
    assert_eq!(after[0].job_id, orphans[0].job_id);
    assert_eq!(after[0].status, JobStatus::Succeeded);
    assert!(temp_files(&ws.dir()).is_empty());
    assert_eq!(ws.plan_exit_code(), 0);
}

#[test]
fn a_new_job_overwriting_another_jobs_output_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    store_with_profile(&store);
    let output = dir.path().join("out.zip");
    let first = dir.path().join("v1.zip");
    write_zip(&first, "index.js", b"exports.handler = () => 1;\n");
    let second = dir.path().join("v2.zip");
    write_zip(&second, "index.js", b"exports.handler = () => 2;\n");
    let one = run_bounded(sign_command(&store, &first, &output), PATIENCE);
    assert!(one.status.success(), "{}", text(&one.stderr));
    assert!(
        !text(&one.stderr).contains("warning"),
        "{}",
        text(&one.stderr)
    );
    let first_job = jobs(&store).remove(0);
    let two = run_bounded(sign_command(&store, &second, &output), PATIENCE);
    assert!(two.status.success(), "{}", text(&two.stderr));
    let stderr = text(&two.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains(&first_job.job_arn),
        "{stderr}"
    );
}

// --- 7. Store permissions and symlinks ---------------------------------------

#[test]
fn a_store_others_can_read_is_reported_and_a_symlinked_store_file_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let csc = store_with_profile(&store);
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let zip = dir.path().join("f.zip");
    write_zip(&zip, "index.js", b"x");
    let mut verify = cli(&["verify", "--account", ACCOUNT, "--csc", &csc]);
    verify.arg("--store").arg(&store).arg(&zip);
    let out = run_bounded(verify, PATIENCE);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains("0755"),
        "{stderr}"
    );

    let linked = dir.path().join("linked");
    std::fs::create_dir(&linked).expect("dir");
    std::os::unix::fs::symlink(store.join(DB_FILE), linked.join(DB_FILE)).expect("symlink");
    let mut verify = cli(&["verify", "--account", ACCOUNT, "--csc", &csc]);
    verify.arg("--store").arg(&linked).arg(&zip);
    let out = run_bounded(verify, PATIENCE);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("symbolic link"),
        "{}",
        text(&out.stderr)
    );
}

// --- 9. Damaged stores ---------------------------------------------------------

#[test]
fn verify_exits_2_on_an_empty_or_damaged_store_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let csc = store_with_profile(&store);
    let zip = dir.path().join("f.zip");
    write_zip(&zip, "index.js", b"x");
    let db = store.join(DB_FILE);
    {
        let conn = rusqlite::Connection::open(&db).expect("sqlite");
        conn.pragma_update(None, "journal_mode", "DELETE")
            .expect("no wal");
    }
    let verify = || {
        let mut command = cli(&["verify", "--account", ACCOUNT, "--csc", &csc]);
        command.arg("--store").arg(&store).arg(&zip);
        run_bounded(command, PATIENCE)
    };
    // Damaged: a page overwritten with garbage.
    let mut bytes = std::fs::read(&db).expect("read");
    assert!(bytes.len() > 2 * 4096);
    for b in &mut bytes[4096 + 8..4096 + 200] {
        *b = 0x5A;
    }
    std::fs::write(&db, &bytes).expect("damage");
    let damaged = verify();
    assert_eq!(damaged.status.code(), Some(2), "{}", text(&damaged.stdout));
    assert!(text(&damaged.stderr).contains(&db.display().to_string()));

    // Empty: truncated to 0 bytes, and left so.
    std::fs::write(&db, b"").expect("truncate");
    let empty = verify();
    assert_eq!(empty.status.code(), Some(2));
    let stderr = text(&empty.stderr);
    assert!(
        stderr.contains(&db.display().to_string()) && stderr.contains("empty"),
        "{stderr}"
    );
    assert_eq!(std::fs::metadata(&db).expect("stat").len(), 0);
}

// --- 10. A bad client certificate ----------------------------------------------

#[test]
fn a_client_certificate_that_cannot_be_decoded_stops_the_plugin_at_start() {
    let pem = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    let mut command = Command::new(BINARY);
    command
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_CLIENT_CERT", pem)
        .env_remove("TF_DISABLE_PLUGIN_TLS");
    let out = run_bounded(command, PATIENCE);
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).is_empty(),
        "a handshake was printed: {}",
        text(&out.stdout)
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("PLUGIN_CLIENT_CERT") && stderr.contains("not an X.509 certificate"),
        "{stderr}"
    );
}

// --- 11. Private keys in the clear at rest ---------------------------------------

#[test]
fn a_store_made_with_a_key_refuses_to_sign_without_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    let key = dir.path().join("store.key");
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).expect("key");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    // The first open with a key seals the store's keys.
    runtime().block_on(async {
        let backend = LocalBackend::open(&LocalConfig {
            path: store.clone(),
            account_id: ACCOUNT.into(),
            region: "us-east-1".into(),
            key_file: Some(key.clone()),
        })
        .expect("store");
        backend
            .put_signing_profile(PutSigningProfile {
                name: "app".into(),
                platform_id: "AWSLambda-SHA384-ECDSA".into(),
                validity: Default::default(),
                certificate_arn: None,
                signing_parameters: Default::default(),
                tags: Default::default(),
            })
            .await
            .expect("profile");
    });
    let input = dir.path().join("f.zip");
    write_zip(&input, "index.js", b"x");
    let output = dir.path().join("f.signed.zip");
    let without = run_bounded(sign_command(&store, &input, &output), PATIENCE);
    assert_eq!(without.status.code(), Some(2));
    assert!(
        text(&without.stderr).contains("--key-file"),
        "{}",
        text(&without.stderr)
    );
    assert!(!output.exists());
    assert!(jobs(&store).is_empty());

    let mut with_env = sign_command(&store, &input, &output);
    with_env.env("LAMBDASIGN_STORE_KEY", "ab".repeat(32));
    let out = run_bounded(with_env, PATIENCE);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let mut with_file = sign_command(&store, &input, &dir.path().join("g.zip"));
    with_file.arg("--key-file").arg(&key);
    let out = run_bounded(with_file, PATIENCE);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A full disk is the output's: the error names the file being written, not
/// the input, and the store keeps a failed job, not a half-written output.
/// (A 64 KiB tmpfs; the suite runs as root, as CI does.)
#[test]
fn a_full_disk_error_names_the_output_being_written() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = tmp.path().join("store");
    store_with_profile(&store);
    let input = tmp.path().join("big.zip");
    large_zip(&input, 512 * 1024);
    let small = tmp.path().join("small-disk");
    std::fs::create_dir(&small).expect("mount point");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&small)
        .status()
        .expect("run mount");
    assert!(
        mounted.success(),
        "mounting a small tmpfs needs root, as CI has"
    );
    let output = small.join("signed.zip");
    let out = run_bounded(
        sign_command(&store, &input, &output),
        Duration::from_secs(60),
    );
    let _ = Command::new("umount").arg(&small).status();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("small-disk/signed.zip: No space left on device"),
        "the error names the output being written: {stderr}"
    );
}

/// A signing job left `InProgress` by a killed signer (a real SIGKILL) is
/// resolved by the next read of it, not shown as running forever.
#[test]
fn a_job_left_in_progress_by_a_killed_signer_is_resolved_on_the_next_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = tmp.path().join("store");
    store_with_profile(&store);
    let input = tmp.path().join("large.zip");
    large_zip(&input, 12 << 20);
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).expect("out");
    sign_then_kill(&store, &input, &out_dir.join("signed.zip"));
    let left = jobs(&store);
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0].status,
        JobStatus::InProgress,
        "the kill left it running"
    );
    let read = runtime().block_on(async {
        open_store(&store)
            .describe_signing_job(&left[0].job_id)
            .await
            .expect("describe")
    });
    assert_eq!(read.status, JobStatus::Failed, "{read:?}");
    assert!(read.status_reason.contains("abandoned"), "{read:?}");
    assert_eq!(
        jobs(&store)[0].status,
        JobStatus::Failed,
        "resolved in the store"
    );
}

/// `serve` under hostile clients: a client that stalls in its headers is
/// disconnected, and with its descriptors exhausted the accept loop pauses
/// (a little CPU, a log line a second) instead of spinning, and serves
/// again once they are free.
#[test]
fn serve_closes_stalled_clients_and_backs_off_when_out_of_descriptors() {
    use std::io::Read;
    let tmp = tempfile::tempdir().expect("tmp");
    let store = tmp.path().join("store");
    let log = tmp.path().join("serve.log");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 64 && exec {BINARY} serve --listen 127.0.0.1:0 --store {} 2>{}",
            store.display(),
            log.display()
        ))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("serve's first line");
    let address = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("serve printed {line:?}"))
        .to_string();
    let pid = child.id();

    // A client whose upload goes quiet is answered as S3 answers it.
    let mut quiet = std::net::TcpStream::connect(&address).expect("connect");
    quiet
        .write_all(format!("PUT /bucket/key HTTP/1.1\r\nHost: {address}\r\nContent-Length: 100\r\n\r\n0123456789").as_bytes())
        .expect("send");
    let quiet_since = Instant::now();

    // A client that sends half a request line and stalls is closed.
    let mut stalled = std::net::TcpStream::connect(&address).expect("connect");
    stalled.write_all(b"GET / HT").expect("send");
    let started = Instant::now();
    let mut rest = Vec::new();
    stalled
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let _ = stalled.read_to_end(&mut rest);
    let closed_after = started.elapsed();
    assert!(
        closed_after < Duration::from_secs(20),
        "a stalled client is disconnected (after {closed_after:?})"
    );
    let mut answer = Vec::new();
    quiet
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let _ = quiet.read_to_end(&mut answer);
    let quiet_after = quiet_since.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 400") && answer.contains("<Code>RequestTimeout</Code>"),
        "an upload that goes quiet gets S3's RequestTimeout (after {quiet_after:?}):\n{answer}"
    );
    assert!(
        quiet_after < Duration::from_secs(40),
        "an upload that goes quiet is ended (after {quiet_after:?})"
    );

    // Exhaust its descriptors, then measure its CPU for two seconds.
    let cpu = || -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .expect("stat")
            .1
            .split_whitespace()
            .collect();
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
    };
    let clients: Vec<std::net::TcpStream> = (0..100)
        .filter_map(|_| std::net::TcpStream::connect(&address).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let (before, at) = (cpu(), Instant::now());
    std::thread::sleep(Duration::from_secs(2));
    let ticks = cpu() - before;
    let seconds = at.elapsed().as_secs_f64();
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    let refusals = log_text.matches("accept failed").count();
    assert!(
        (ticks as f64) / 100.0 / seconds < 0.2,
        "out of descriptors, serve used {ticks} ticks of CPU in {seconds:.1}s"
    );
    assert!(
        (1..=6).contains(&refusals),
        "{refusals} accept-failure lines in ~2.5s"
    );
    eprintln!(
        "stalled client closed after {closed_after:?}; quiet upload answered after {quiet_after:?}; out of descriptors: {ticks} CPU ticks in {seconds:.1}s, {refusals} log lines"
    );
    drop(clients);
    std::thread::sleep(Duration::from_millis(1500));
    let mut again = std::net::TcpStream::connect(&address).expect("connect again");
    again
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    again
        .write_all(
            format!("GET / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .expect("send");
    let mut answer = String::new();
    let _ = again.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 "), "serves again: {answer:?}");
    let _ = child.kill();
    let _ = child.wait();
}

/// What a killed `serve` leaves (uploads and staged S3 objects named with
/// its pid, which is gone) is removed when `serve` starts again; a live
/// writer's file is kept.
#[test]
fn serve_removes_what_a_killed_serve_left_when_it_starts() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = tmp.path().join("store");
    let start = || {
        let mut child = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--store"])
            .arg(&store)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("listening");
        assert!(line.starts_with("listening on"), "{line:?}");
        child
    };
    let mut first = start();
    let dead = first.id();
    first.kill().expect("SIGKILL");
    first.wait().expect("reap");
    let bucket = store.join("objects/artifacts");
    let uploads = store.join("tmp");
    std::fs::create_dir_all(&bucket).expect("bucket dir");
    std::fs::create_dir_all(&uploads).expect("uploads dir");
    let left = [
        bucket.join(format!(".lambdasign-{dead}-00112233aabbccdd.tmp")),
        uploads.join(format!(".lambdasign-{dead}-44556677aabbccdd.tmp")),
    ];
    let live = bucket.join(format!(
        ".lambdasign-{}-8899aabbccddeeff.tmp",
        std::process::id()
    ));
    for file in left.iter().chain([&live]) {
        std::fs::write(file, b"partial").expect("plant");
    }
    let mut second = start();
    for file in &left {
        assert!(!file.exists(), "{} was removed", file.display());
    }
    assert!(live.exists(), "a live writer's file is kept");
    second.kill().expect("stop");
    second.wait().expect("reap");
}
