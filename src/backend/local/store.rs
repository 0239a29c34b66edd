//! The SQLite file: where it lives, its schema, and the transactions every
//! operation runs in.
//!
//! One file (`store.sqlite3`, mode 0600) in one directory (mode 0700) is
//! shared by every provider process that names the same `path`. WAL mode lets
//! readers run beside the single writer; every write is a `BEGIN IMMEDIATE`
//! transaction, so a writer takes the write lock up front (waiting up to
//! [`BUSY_TIMEOUT`] for other processes) and never fails half-way on a lock
//! upgrade. Each backend call is exactly one transaction: the store is never
//! left half-written.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::backend::{BackendError, BackendResult};
use crate::domain::tags::Tags;

/// The database file inside the store directory.
pub const DB_FILE: &str = "store.sqlite3";
/// How long a writer waits for another writer (any process) to finish.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// The schema this code reads and writes.
pub const SCHEMA_VERSION: i64 = 4;
/// Idle connections kept for reuse.
const POOL_SIZE: usize = 8;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
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

/// The store directory and a small pool of connections to its database.
pub struct Store {
    dir: PathBuf,
    db_path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> BackendResult<Store> {
        create_private_dir(dir)?;
        let db_path = dir.join(DB_FILE);
        create_private_file(&db_path)?;
        let store = Store {
            dir: dir.to_path_buf(),
            db_path,
            idle: Mutex::new(Vec::new()),
        };
        let mut conn = store.connect()?;
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
        tx.commit()?;
        store.give_back(conn);
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn connect(&self) -> BackendResult<Connection> {
        let conn = Connection::open_with_flags(
            &self.db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
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
        let mut conn = self.take()?;
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        self.give_back(conn);
        result
    }

    /// [`Store::write`] for callers with their own error type.
    pub fn write_as<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error> + From<BackendError>,
    {
        let mut conn = self.take()?;
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        self.give_back(conn);
        result
    }

    /// [`Store::read`] for callers with their own error type.
    pub fn read_as<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error> + From<BackendError>,
    {
        let mut conn = self.take()?;
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        self.give_back(conn);
        result
    }

    /// Runs `f` in one read transaction (a consistent snapshot).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> BackendResult<T>,
    ) -> BackendResult<T> {
        let mut conn = self.take()?;
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
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

/// Creates `path` if missing, then makes sure it is mode 0600.
fn create_private_file(path: &Path) -> BackendResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| io_error("cannot create", path, e))?;
    set_mode(path, 0o600)
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
