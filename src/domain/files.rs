//! Files as inputs and outputs, safely: an input is read only if it is a
//! regular file (a FIFO, device, socket or directory would block or mislead
//! a reader), and an output is written through a temporary file named as
//! ours, with the writer's pid, and locked while it is written, so that
//! what a killed writer leaves behind is recognised and removed by the next
//! writer to the same directory.

use std::ffi::OsStr;
use std::fs::{File, FileType, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Temporary files are named `.lambdasign-<pid>-<random>.tmp`.
pub const TEMP_PREFIX: &str = ".lambdasign-";
pub const TEMP_SUFFIX: &str = ".tmp";
/// Entries looked at per directory scan for stale temporary files.
const MAX_SCANNED_ENTRIES: usize = 100_000;
/// Where no process table can be read, a temporary file this old whose lock
/// is free is taken as stale.
const STALE_WITHOUT_PROCFS: Duration = Duration::from_secs(600);

/// What a non-regular file is, for an error message.
fn describe(file_type: &FileType) -> &'static str {
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// The error for an input that is not a regular file.
fn not_regular(file_type: &FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "is {}, not a regular file: only regular files are read",
            describe(file_type)
        ),
    )
}

/// A path as the filesystem will resolve it: absolute, with the symbolic
/// links and `..` of the part that exists followed, and the rest (which
/// may not exist yet) taken as written, `.` and `..` applied. Two paths
/// that name one file, however spelled, resolve alike.
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path))
    };
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    let base = loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            break real;
        }
        let (Some(parent), Some(last)) = (existing.parent(), existing.components().next_back())
        else {
            break existing.to_path_buf(); // the root
        };
        rest.push(last.as_os_str().to_os_string());
        existing = parent;
    };
    let mut out = base;
    for part in rest.iter().rev() {
        match Path::new(part).components().next() {
            Some(std::path::Component::ParentDir) => {
                out.pop();
            }
            Some(std::path::Component::CurDir) | None => {}
            Some(_) => out.push(part),
        }
    }
    out
}

/// Whether `path` is `dir` or inside it, both resolved.
pub fn is_within(path: &Path, dir: &Path) -> bool {
    resolve(path).starts_with(resolve(dir))
}

/// Whether an I/O error is the refusal of a non-regular input.
pub fn is_not_regular(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::InvalidInput && e.to_string().contains("not a regular file")
}

/// Opens `path` for reading only if it is a regular file (a symbolic link
/// to one is followed). Anything else is refused before it is opened, and
/// checked again on the opened handle (opened non-blocking, so a FIFO
/// swapped in between cannot block the open either).
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file_type = std::fs::metadata(path)?.file_type();
    if !file_type.is_file() {
        return Err(not_regular(&file_type));
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let file_type = file.metadata()?.file_type();
    if !file_type.is_file() {
        return Err(not_regular(&file_type));
    }
    Ok(file)
}

/// Which version of a file `metadata` describes: device, inode, size and
/// modification time (to the nanosecond), which change whenever the file is
/// replaced or rewritten. `None` where the platform does not tell them.
pub fn version(metadata: &std::fs::Metadata) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(format!(
            "{}:{}:{}:{}.{:09}",
            metadata.dev(),
            metadata.ino(),
            metadata.size(),
            metadata.mtime(),
            metadata.mtime_nsec()
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        None
    }
}

/// A temporary file in an output's directory, named
/// `.lambdasign-<pid>-<random>.tmp`, created with mode 0600 and locked
/// (exclusively) while this value lives. Removed on drop unless persisted.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    file: File,
    persisted: bool,
}

impl TempFile {
    /// Removes stale temporary files from `dir` (see
    /// [`remove_stale_temp_files`]), then creates a new one there.
    pub fn new_in(dir: &Path) -> io::Result<TempFile> {
        remove_stale_temp_files(dir);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        // A name collision (same pid, same 64 random bits) is retried, a few times.
        let mut last = None;
        for _ in 0..4 {
            let path = dir.join(temp_name(std::process::id()));
            match options.open(&path) {
                Ok(file) => {
                    let temp = TempFile {
                        path,
                        file,
                        persisted: false,
                    };
                    temp.file.try_lock().map_err(|e| match e {
                        std::fs::TryLockError::Error(e) => e,
                        std::fs::TryLockError::WouldBlock => {
                            io::Error::other("a new temporary file is locked by another process")
                        }
                    })?;
                    return Ok(temp);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("cannot name a temporary file")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn as_file(&self) -> &File {
        &self.file
    }

    pub fn as_file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// Renames the file onto `target` (atomically, replacing it).
    pub fn persist(mut self, target: &Path) -> io::Result<()> {
        std::fs::rename(&self.path, target)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn temp_name(pid: u32) -> String {
    use rand_core::RngCore as _;
    let mut random = [0u8; 8];
    rand_core::OsRng.fill_bytes(&mut random);
    format!("{TEMP_PREFIX}{pid}-{}{TEMP_SUFFIX}", hex::encode(random))
}

/// A fresh path for a temporary file of this process in `dir` (named as
/// [`TempFile`]'s are, so that [`remove_stale_temp_files`] knows it), for
/// a writer that creates the file itself (with `create_new`).
/// Creates a new file at `path` for writing, mode 0600, never following a
/// symlink planted there and never opening one that exists
/// (`O_EXCL | O_NOFOLLOW`).
pub fn create_new_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

pub fn temp_path_in(dir: &Path) -> PathBuf {
    dir.join(temp_name(std::process::id()))
}

/// The writer's pid, if `name` is one of our temporary files.
pub fn temp_file_pid(name: &OsStr) -> Option<u32> {
    let name = name.to_str()?;
    let rest = name.strip_prefix(TEMP_PREFIX)?.strip_suffix(TEMP_SUFFIX)?;
    let (pid, random) = rest.split_once('-')?;
    if random.is_empty() || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` is running: `Some` where the process table can be
/// read (`/proc`), `None` where it cannot.
pub fn process_alive(pid: u32) -> Option<bool> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    let Ok(stat) = process_stat(pid) else {
        return Some(false);
    };
    // A zombie has exited; only its exit status is left to collect.
    let state = stat.first().map(String::as_str);
    Some(state != Some("Z") && state != Some("X"))
}

/// The fields of `/proc/<pid>/stat` that follow the command name, the
/// process state (field 3) first. The name, in parentheses, may itself
/// hold spaces and parentheses, so fields are counted from its end.
pub fn process_stat(pid: u32) -> io::Result<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let (_, rest) = stat
        .rsplit_once(')')
        .ok_or_else(|| io::Error::other(format!("/proc/{pid}/stat has no command name")))?;
    Ok(rest.split_whitespace().map(str::to_string).collect())
}

/// Removes our temporary files in `dir` whose writer is gone: its pid is not
/// running (or, without a process table, the file is old) and nobody holds
/// its lock. Errors are ignored: cleaning up is a courtesy, never a reason
/// to fail a write. Returns how many were removed.
pub fn remove_stale_temp_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.take(MAX_SCANNED_ENTRIES).flatten() {
        let Some(pid) = temp_file_pid(&entry.file_name()) else {
            continue;
        };
        let path = entry.path();
        let writer_gone = match process_alive(pid) {
            Some(alive) => !alive,
            None => entry
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= STALE_WITHOUT_PROCFS),
        };
        if !writer_gone {
            continue;
        }
        // Not a regular file: not one of ours, whatever its name.
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !metadata.file_type().is_file() {
            continue;
        }
        let Ok(file) = File::open(&path) else {
            continue;
        };
        if file.try_lock().is_ok() && std::fs::remove_file(&path).is_ok() {
            tracing::info!(path = %path.display(), pid, "removed a stale temporary file");
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_open_and_directories_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a.zip");
        std::fs::write(&file, b"x").expect("write");
        assert!(open_regular(&file).is_ok());
        let err = open_regular(dir.path()).expect_err("directory");
        assert!(is_not_regular(&err), "{err}");
        assert!(err.to_string().contains("a directory"), "{err}");
        let missing = open_regular(&dir.path().join("missing")).expect_err("missing");
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("pipe.zip");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        // Nobody writes to the FIFO: opening it for reading would block forever.
        let started = std::time::Instant::now();
        let err = open_regular(&fifo).expect_err("fifo");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(err.to_string().contains("FIFO"), "{err}");
        let err = open_regular(Path::new("/dev/null")).expect_err("device");
        assert!(err.to_string().contains("character device"), "{err}");
    }

    #[test]
    fn temp_names_carry_the_pid_and_are_recognised() {
        let name = temp_name(4242);
        assert!(name.starts_with(".lambdasign-4242-"), "{name}");
        assert_eq!(temp_file_pid(OsStr::new(&name)), Some(4242));
        for other in [
            ".tmpAbC123",
            ".lambdasign-x-ab.tmp",
            ".lambdasign-12-.tmp",
            "out.zip",
        ] {
            assert_eq!(temp_file_pid(OsStr::new(other)), None, "{other}");
        }
    }

    #[test]
    fn a_temp_file_is_removed_unless_persisted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let temp = TempFile::new_in(dir.path()).expect("temp");
        let path = temp.path().to_path_buf();
        assert!(path.exists());
        drop(temp);
        assert!(!path.exists());
        let temp = TempFile::new_in(dir.path()).expect("temp");
        let target = dir.path().join("out");
        temp.persist(&target).expect("persist");
        assert!(target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn stale_temp_files_of_gone_writers_are_removed_live_ones_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A writer that has exited: a child we started and waited for.
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let gone = child.id();
        child.wait().expect("wait");
        // Our own, still being written (and locked).
        let live = TempFile::new_in(dir.path()).expect("temp");
        let stale = dir.path().join(temp_name(gone));
        std::fs::write(&stale, b"partial").expect("write");
        // Someone else's file with a similar name is not ours.
        let foreign = dir.path().join(".tmp123456");
        std::fs::write(&foreign, b"x").expect("write");

        assert_eq!(remove_stale_temp_files(dir.path()), 1);
        assert!(!stale.exists());
        assert!(live.path().exists());
        assert!(foreign.exists());
    }
}
