//! The SQLite file: where it lives, its schema, and the transactions every
//! operation runs in.
//!
//! One file (`store.sqlite3`, mode 0600) in one directory (mode 0700) is
//! shared by every provider process that names the same `path`. WAL mode lets
//! readers run beside the single writer; every write is a `BEGIN IMMEDIATE`
//! transaction, so a writer takes the write lock up front (waiting up to
//! [`BUSY_TIMEOUT`] for other processes) and never fails half-way on a lock
//! upgrade. Writers of one process queue on a mutex first: SQLite's busy
//! handler polls with sleeps of up to 100 ms, which ten concurrent applies
//! of one provider would otherwise spend most of their time in. Each
//! backend call is one transaction (a signing job is two short ones around
//! the signing: see `jobs`): the store is never left half-written.
//!
//! Opening checks the store before anything is written to it:
//! - the database file is never followed through a symbolic link (nor its
//!   `-wal`/`-shm`/`-journal` companions), and its mode is made 0600 through
//!   the opened handle (never a link's target);
//! - a store directory or file readable by group or others is reported as a
//!   warning (the provider shows it at configure, the CLI on stderr);
//! - an existing store file that is empty (0 bytes), not SQLite, or fails
//!   `PRAGMA quick_check` is an error naming the file, never a fresh start;
//! - a new store file is made complete under a temporary name and linked into
//!   place, so a crash never leaves an empty one behind.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};

use super::key_cache::KeyCache;
use super::known_outputs::KnownOutputs;
use super::sealing::{AtRest, KeySource, StoreKey};
use crate::domain::files::TempFile;

use crate::backend::{BackendError, BackendResult};
use crate::domain::tags::Tags;

/// The database file inside the store directory.
pub const DB_FILE: &str = "store.sqlite3";
/// How long a writer waits for another writer (any process) to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// The schema this code reads and writes.
pub const SCHEMA_VERSION: i64 = 4;
/// How many problems `PRAGMA quick_check` reports at most (its cost is one
/// pass over the store's pages, which hold records only: layer contents and
/// signed artifacts live outside the database).
const QUICK_CHECK_LIMIT: u32 = 5;
/// What every SQLite database file starts with.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";
/// Idle connections kept for reuse.
const POOL_SIZE: usize = 8;
/// Prepared statements each connection keeps (see [`Cached`]).
const STATEMENT_CACHE: usize = 64;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS store_settings (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS signing_profiles (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    validity_value INTEGER NOT NULL,
    validity_unit TEXT NOT NULL,
    status TEXT NOT NULL,
    version TEXT NOT NULL,
    tags TEXT NOT NULL,
    created_at TEXT NOT NULL,
    policy_revision TEXT NOT NULL DEFAULT '',
    certificate_arn TEXT,
    signing_parameters TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (account, region, name)
);
CREATE TABLE IF NOT EXISTS signing_profile_versions (
    version_arn TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    private_key_pkcs8 BLOB NOT NULL,
    public_key_sec1 BLOB NOT NULL,
    private_key_sealed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    revocation_reason TEXT,
    revocation_effective_time TEXT,
    revoked_at TEXT,
    revoked_by TEXT,
    UNIQUE (account, region, name, version),
    FOREIGN KEY (account, region, name) REFERENCES signing_profiles (account, region, name)
);
CREATE TABLE IF NOT EXISTS signing_profile_permissions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    profile_name TEXT NOT NULL,
    statement_id TEXT NOT NULL,
    action TEXT NOT NULL,
    principal TEXT NOT NULL,
    profile_version TEXT,
    UNIQUE (account, region, profile_name, statement_id),
    FOREIGN KEY (account, region, profile_name)
        REFERENCES signing_profiles (account, region, name) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS signing_jobs (
    job_id TEXT PRIMARY KEY,
    job_arn TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    region TEXT NOT NULL,
    client_request_token TEXT NOT NULL,
    profile_owner TEXT NOT NULL,
    profile_name TEXT NOT NULL,
    profile_version_arn TEXT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL,
    source_path TEXT NOT NULL,
    signed_path TEXT NOT NULL,
    signed_sha384 TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revocation_reason TEXT,
    revoked_at TEXT,
    revoked_by TEXT,
    created_at TEXT NOT NULL DEFAULT '',
    source_s3 TEXT,
    signed_s3 TEXT,
    UNIQUE (owner, region, client_request_token)
);
CREATE TABLE IF NOT EXISTS code_signing_configs (
    id TEXT PRIMARY KEY,
    arn TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    allowed_publishers TEXT NOT NULL,
    untrusted_artifact_on_deployment TEXT NOT NULL,
    description TEXT NOT NULL,
    tags TEXT NOT NULL,
    last_modified TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS functions (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    runtime TEXT,
    handler TEXT,
    description TEXT NOT NULL,
    timeout INTEGER NOT NULL,
    memory_size INTEGER NOT NULL,
    architectures TEXT NOT NULL,
    environment TEXT NOT NULL,
    code_file TEXT,
    code_size INTEGER NOT NULL,
    code_sha256 TEXT NOT NULL,
    code_sha384 TEXT NOT NULL,
    signing_profile_version_arn TEXT,
    signing_job_arn TEXT,
    layers TEXT NOT NULL,
    csc_arn TEXT REFERENCES code_signing_configs (arn),
    revision_id TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    tags TEXT NOT NULL,
    PRIMARY KEY (account, region, name)
);
CREATE TABLE IF NOT EXISTS s3_buckets (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    region TEXT NOT NULL,
    versioning TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS s3_objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL REFERENCES s3_buckets (name),
    key TEXT NOT NULL,
    version_id TEXT NOT NULL,
    delete_marker INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    content_type TEXT,
    metadata TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    file TEXT,
    UNIQUE (bucket, key, version_id)
);
CREATE TABLE IF NOT EXISTS layers (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    last_version INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
);
CREATE TABLE IF NOT EXISTS layer_versions (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    description TEXT NOT NULL,
    compatible_runtimes TEXT NOT NULL,
    compatible_architectures TEXT NOT NULL,
    content_sha384 TEXT NOT NULL,
    signing_profile_version_arn TEXT,
    signing_job_arn TEXT,
    created_at TEXT NOT NULL,
    content_file TEXT NOT NULL,
    policy_revision TEXT NOT NULL DEFAULT '',
    license_info TEXT,
    PRIMARY KEY (account, region, name, version),
    FOREIGN KEY (account, region, name) REFERENCES layers (account, region, name)
);
CREATE TABLE IF NOT EXISTS layer_permissions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    statement_id TEXT NOT NULL,
    principal TEXT NOT NULL,
    organization_id TEXT,
    UNIQUE (account, region, name, version, statement_id),
    FOREIGN KEY (account, region, name, version)
        REFERENCES layer_versions (account, region, name, version) ON DELETE CASCADE
);
"#;

impl From<rusqlite::Error> for BackendError {
    fn from(e: rusqlite::Error) -> Self {
        BackendError::Internal(format!("local store: {e}"))
    }
}

/// An I/O failure on a store path, as an internal error naming the path.
pub fn io_error(what: &str, path: &Path, e: std::io::Error) -> BackendError {
    BackendError::Internal(format!("local store: {what} {}: {e}", path.display()))
}

/// Statements through the connection's statement cache: SQLite parses each
/// statement text once per pooled connection instead of on every call (a
/// plan over hundreds of artifacts runs the same few look-ups each time).
pub trait Cached {
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;

    fn cached_execute<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
}

impl Cached for Connection {
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    fn cached_execute<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }
}

/// The store directory and a small pool of connections to its database.
pub struct Store {
    dir: PathBuf,
    db_path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Held for each write transaction of this process (see the module doc).
    writer: Mutex<()>,
    signing_keys: KeyCache,
    known_outputs: KnownOutputs,
    at_rest: AtRest,
    warnings: Vec<String>,
}

impl Store {
    /// Opens (creating if needed) the store in `dir`; `key` seals the
    /// signing keys at rest (see `sealing`).
    pub fn open(dir: &Path, key: Option<StoreKey>) -> BackendResult<Store> {
        let mut warnings = Vec::new();
        prepare_dir(dir, &mut warnings)?;
        let db_path = dir.join(DB_FILE);
        for companion in ["-wal", "-shm", "-journal"] {
            let mut name = db_path.clone().into_os_string();
            name.push(companion);
            refuse_symlink(Path::new(&name))?;
        }
        match std::fs::symlink_metadata(&db_path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_store_file(dir, &db_path)?,
            Err(e) => return Err(io_error("cannot read", &db_path, e)),
            Ok(_) => check_store_file(&db_path, &mut warnings)?,
        }
        let mut store = Store {
            dir: dir.to_path_buf(),
            db_path,
            idle: Mutex::new(Vec::new()),
            writer: Mutex::new(()),
            signing_keys: KeyCache::default(),
            known_outputs: KnownOutputs::default(),
            at_rest: AtRest::Plain,
            warnings,
        };
        let mut conn = store.connect()?;
        quick_check(&conn, &store.db_path)?;
        enable_wal(&conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        let version: Option<i64> =
            tx.query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))?;
        match version {
            None => {
                tx.execute(
                    "INSERT INTO schema_version (version) VALUES (?1)",
                    [SCHEMA_VERSION],
                )?;
            }
            Some(v) if v > SCHEMA_VERSION => {
                return Err(BackendError::Internal(format!(
                    "local store {} has schema version {v}, newer than this provider's {SCHEMA_VERSION}: upgrade the provider",
                    store.db_path.display()
                )));
            }
            Some(v) => migrate(&tx, v)?,
        }
        store.at_rest = key_at_rest(&tx, key, &store.db_path, &mut store.warnings)?;
        tx.commit()?;
        store.give_back(conn);
        Ok(store)
    }

    /// How this store keeps private keys.
    pub fn at_rest(&self) -> &AtRest {
        &self.at_rest
    }

    /// The signing keys this process has parsed.
    pub fn signing_keys(&self) -> &KeyCache {
        &self.signing_keys
    }

    /// What this process's signing jobs wrote to their output files.
    pub fn known_outputs(&self) -> &KnownOutputs {
        &self.known_outputs
    }

    /// What opening the store found worth a warning.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn connect(&self) -> BackendResult<Connection> {
        let conn = Connection::open_with_flags(
            &self.db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )
        .map_err(|e| damaged(&self.db_path, &e.to_string()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(conn)
    }

    fn take(&self) -> BackendResult<Connection> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(conn) => Ok(conn),
            None => self.connect(),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < POOL_SIZE {
                idle.push(conn);
            }
        }
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed only if `f`
    /// returns `Ok`.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> BackendResult<T>,
    ) -> BackendResult<T> {
        self.transaction(TransactionBehavior::Immediate, f)
    }

    /// [`Store::write`] for callers with their own error type.
    pub fn write_as<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error> + From<BackendError>,
    {
        self.transaction(TransactionBehavior::Immediate, f)
    }

    /// Runs `f` in one read transaction (a consistent snapshot).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> BackendResult<T>,
    ) -> BackendResult<T> {
        self.transaction(TransactionBehavior::Deferred, f)
    }

    /// [`Store::read`] for callers with their own error type.
    pub fn read_as<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error> + From<BackendError>,
    {
        self.transaction(TransactionBehavior::Deferred, f)
    }

    /// One transaction on a pooled connection, committed only if `f`
    /// returns `Ok`; the connection goes back to the pool either way.
    fn transaction<T, E>(
        &self,
        behavior: TransactionBehavior,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<rusqlite::Error> + From<BackendError>,
    {
        // A poisoned queue only means another writer panicked: its
        // transaction was rolled back, so the lock itself is still sound.
        let _queued = matches!(behavior, TransactionBehavior::Immediate)
            .then(|| self.writer.lock().unwrap_or_else(|e| e.into_inner()));
        let mut conn = self.take()?;
        let result = (|| {
            let tx = conn.transaction_with_behavior(behavior)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        self.give_back(conn);
        result
    }
}

/// Brings a store made by an older provider up to [`SCHEMA_VERSION`], in
/// the same transaction as the check (a crash leaves the old version).
fn migrate(tx: &Transaction<'_>, from: i64) -> BackendResult<()> {
    if from < 2 {
        tx.execute_batch(
            "ALTER TABLE signing_profiles ADD COLUMN certificate_arn TEXT;
             ALTER TABLE signing_profiles ADD COLUMN signing_parameters TEXT NOT NULL DEFAULT '{}';
             ALTER TABLE signing_profile_versions ADD COLUMN revoked_by TEXT;
             ALTER TABLE signing_jobs ADD COLUMN revoked_by TEXT;
             ALTER TABLE signing_jobs ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
             ALTER TABLE layer_versions ADD COLUMN license_info TEXT;",
        )?;
    }
    if from < 3 {
        // Step 3: private keys may be sealed under a store key (`sealing`).
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS store_settings (name TEXT PRIMARY KEY, value BLOB NOT NULL);
             ALTER TABLE signing_profile_versions ADD COLUMN private_key_sealed INTEGER NOT NULL DEFAULT 0;",
        )?;
    }
    if from < 4 {
        // Functions with code replace the name-only bindings; a binding
        // becomes a function known by name only (no code recorded).
        tx.execute_batch(
            "ALTER TABLE signing_jobs ADD COLUMN source_s3 TEXT;
             ALTER TABLE signing_jobs ADD COLUMN signed_s3 TEXT;",
        )?;
        let bindings: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'function_bindings')",
            [],
            |r| r.get(0),
        )?;
        if bindings {
            tx.execute(
                "INSERT INTO functions
                   (account, region, name, role, runtime, handler, description, timeout, memory_size,
                    architectures, environment, code_file, code_size, code_sha256, code_sha384,
                    layers, csc_arn, revision_id, last_modified, tags)
                 SELECT account, region, function_name, '', NULL, NULL, '', 3, 128, '[]', '{}', NULL,
                        0, '', '', '[]', csc_arn, lower(hex(randomblob(16))), ?1, '{}'
                 FROM function_bindings",
                [time_text(Utc::now())],
            )?;
            tx.execute_batch("DROP TABLE function_bindings;")?;
        }
    }
    if from < SCHEMA_VERSION {
        tx.execute("UPDATE schema_version SET version = ?1", [SCHEMA_VERSION])?;
    }
    Ok(())
}

/// How the store keeps its private keys, given the key this open was handed
/// (in the opening transaction, so the first key given seals every existing
/// private key and records its check value atomically).
fn key_at_rest(
    tx: &Transaction<'_>,
    key: Option<StoreKey>,
    db_path: &Path,
    warnings: &mut Vec<String>,
) -> BackendResult<AtRest> {
    let check: Option<Vec<u8>> = tx
        .query_row(
            "SELECT value FROM store_settings WHERE name = 'key_check'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match (check, key) {
        (None, None) => Ok(AtRest::Plain),
        (Some(_), None) => Ok(AtRest::Locked),
        (Some(check), Some(key)) if key.matches(&check)? => Ok(AtRest::Sealed(key)),
        (Some(_), Some(key)) => Err(BackendError::invalid(
            match key.source {
                KeySource::File(_) => "key_file",
                KeySource::Env => "store_key",
            },
            format!(
                "the store key from {} is not the key the signing keys of {} are sealed with",
                key.source,
                db_path.display()
            ),
        )),
        (None, Some(key)) => {
            let at_rest = AtRest::Sealed(key);
            let plain: Vec<(String, Vec<u8>)> = {
                let mut stmt = tx.prepare(
                    "SELECT version_arn, private_key_pkcs8 FROM signing_profile_versions
                     WHERE private_key_sealed = 0",
                )?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            for (version_arn, pkcs8) in &plain {
                let pkcs8 = zeroize::Zeroizing::new(pkcs8.clone());
                let (sealed, _) = at_rest.protect(version_arn, &pkcs8)?;
                tx.execute(
                    "UPDATE signing_profile_versions SET private_key_pkcs8 = ?2, private_key_sealed = 1
                     WHERE version_arn = ?1",
                    rusqlite::params![version_arn, sealed],
                )?;
            }
            let AtRest::Sealed(key) = &at_rest else {
                return Ok(at_rest);
            };
            tx.execute(
                "INSERT INTO store_settings (name, value) VALUES ('key_check', ?1)",
                [key.check_value()?],
            )?;
            if !plain.is_empty() {
                warnings.push(format!(
                    "the {} signing key(s) of {} are now sealed with the store key from {}: from now on the store signs only with that key",
                    plain.len(),
                    db_path.display(),
                    key.source
                ));
            }
            Ok(at_rest)
        }
    }
}

/// A damaged (or foreign) store file: an error naming it, never a fresh start.
fn damaged(db_path: &Path, detail: &str) -> BackendError {
    BackendError::Internal(format!(
        "local store {} is damaged or not a lambdasign store ({detail}); it was left untouched. Restore it from a backup, or move it away to start a new, empty store",
        db_path.display()
    ))
}

/// `PRAGMA quick_check`: every page and record is well-formed.
fn quick_check(conn: &Connection, db_path: &Path) -> BackendResult<()> {
    let problems = (|| -> rusqlite::Result<Vec<String>> {
        let mut stmt = conn.prepare(&format!("PRAGMA quick_check({QUICK_CHECK_LIMIT})"))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect()
    })()
    .map_err(|e| damaged(db_path, &e.to_string()))?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(damaged(
        db_path,
        &format!("PRAGMA quick_check: {}", problems.join("; ")),
    ))
}

/// Refuses a path that is a symbolic link (a missing path is fine).
fn refuse_symlink(path: &Path) -> BackendResult<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(BackendError::Internal(format!(
            "local store: {} is a symbolic link; refusing to follow it (the store file must be a regular file in the store directory)",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Creates the store directory (mode 0700) if missing; warns when an
/// existing one may be read by group or others.
fn prepare_dir(dir: &Path, warnings: &mut Vec<String>) -> BackendResult<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = m.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    warnings.push(format!(
                        "the store directory {} has mode {mode:04o}: other users of this machine can reach the store; run `chmod 700 {}` (the store holds signing keys)",
                        dir.display(),
                        dir.display()
                    ));
                }
            }
            Ok(())
        }
        Ok(_) => Err(BackendError::Internal(format!(
            "local store: {} is not a directory",
            dir.display()
        ))),
        Err(_) => create_private_dir(dir),
    }
}

/// An existing store file: a regular file (not a link), not empty, with
/// SQLite's header; its mode made 0600 through the opened handle.
fn check_store_file(db_path: &Path, warnings: &mut Vec<String>) -> BackendResult<()> {
    refuse_symlink(db_path)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut file = options
        .open(db_path)
        .map_err(|e| io_error("cannot open", db_path, e))?;
    let metadata = file
        .metadata()
        .map_err(|e| io_error("cannot read", db_path, e))?;
    if !metadata.is_file() {
        return Err(BackendError::Internal(format!(
            "local store: {} is not a regular file",
            db_path.display()
        )));
    }
    if metadata.len() == 0 {
        return Err(damaged(
            db_path,
            "the file is empty (0 bytes): it was truncated",
        ));
    }
    let mut header = [0u8; 16];
    let header_ok =
        std::io::Read::read_exact(&mut file, &mut header).is_ok() && &header == SQLITE_HEADER;
    if !header_ok {
        return Err(damaged(
            db_path,
            "the file does not start with SQLite's header",
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode != 0o600 {
            if mode & 0o077 != 0 {
                warnings.push(format!(
                    "the store file {} had mode {mode:04o} (readable by other users); it is now 0600",
                    db_path.display()
                ));
            }
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| io_error("cannot set permissions on", db_path, e))?;
        }
    }
    #[cfg(not(unix))]
    let _ = warnings;
    Ok(())
}

/// Makes a new store file: the schema is written under a temporary name
/// (mode 0600) and the file is then linked into place, so the store file
/// either does not exist or is complete. Another process that got there
/// first wins; its file is used.
fn create_store_file(dir: &Path, db_path: &Path) -> BackendResult<()> {
    let temp = TempFile::new_in(dir).map_err(|e| io_error("cannot create a file in", dir, e))?;
    {
        let mut conn = Connection::open_with_flags(
            temp.path(),
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NOFOLLOW,
        )?;
        let tx = conn.transaction()?;
        tx.execute_batch(SCHEMA)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [SCHEMA_VERSION],
        )?;
        tx.commit()?;
        conn.close().map_err(|(_, e)| BackendError::from(e))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| io_error("cannot write", temp.path(), e))?;
    match std::fs::hard_link(temp.path(), db_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        // No hard links here: a rename, which may replace a store made
        // meanwhile by another process (still a complete, empty one).
        Err(_) => temp
            .persist(db_path)
            .map_err(|e| io_error("cannot create", db_path, e))?,
    }
    Ok(())
}

/// Switches the database to WAL. Changing the journal mode needs a moment
/// of exclusive access, which SQLite may refuse with BUSY without calling
/// the busy handler while other processes open the store at the same time:
/// retry for up to `BUSY_TIMEOUT`.
fn enable_wal(conn: &Connection) -> BackendResult<()> {
    let started = std::time::Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => {
                return Err(BackendError::Internal(format!(
                    "local store: cannot use WAL journal mode (got {mode})"
                )))
            }
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Creates `dir` (and missing parents) with mode 0700; an existing directory
/// is left as it is.
pub fn create_private_dir(dir: &Path) -> BackendResult<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| io_error("cannot create directory", dir, e))?;
    set_mode(dir, 0o700)
}

/// Sets unix permission bits explicitly (the umask does not apply).
pub fn set_mode(path: &Path, mode: u32) -> BackendResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| io_error("cannot set permissions on", path, e))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Times are stored as RFC 3339 text in UTC, exact to the nanosecond.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub fn parse_time(text: &str) -> BackendResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| BackendError::Internal(format!("local store: bad time {text:?}: {e}")))
}

pub fn opt_time(text: Option<String>) -> BackendResult<Option<DateTime<Utc>>> {
    text.as_deref().map(parse_time).transpose()
}

/// Lists and maps are stored as JSON text.
pub fn tags_json(tags: &Tags) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "{}".into())
}

pub fn list_json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

pub fn parse_tags(text: &str) -> BackendResult<Tags> {
    serde_json::from_str(text)
        .map_err(|e| BackendError::Internal(format!("local store: bad tags: {e}")))
}

pub fn parse_list(text: &str) -> BackendResult<Vec<String>> {
    serde_json::from_str(text)
        .map_err(|e| BackendError::Internal(format!("local store: bad list: {e}")))
}

/// Whether an error is a unique-constraint violation.
pub fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}
