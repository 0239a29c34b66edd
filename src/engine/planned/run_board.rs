//! What the other provider configurations of the same Terraform run have
//! planned. Terraform runs each provider configuration (alias) in its own
//! process, all children of the one `terraform` process, and plans a
//! resource after those it depends on, across configurations too. So a
//! grant planned by the `publisher` alias is on this board before the
//! `consumer` alias plans a verification that depends on it.
//!
//! The board is a directory per run, `$TMPDIR/lambdasign-plans-<uid>/
//! <terraform pid>-<its start time>/`, in which each provider process keeps
//! one file, `<pid>.json`, replaced whole (a private temporary file renamed
//! into place), so a reader never sees half of one. The base directory must
//! be ours and private, or there is no board. Boards of runs that ended are
//! removed when a new one is made. What a board says only ever turns a
//! plan-time error into a check left to apply, which apply then runs.

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::domain::files::TempFile;

/// A layer grant that a plan of this run will make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedGrant {
    pub layer_version_arn: String,
    /// An account id, or `*`.
    pub principal: String,
    pub organization_id: Option<String>,
    pub statement_id: String,
}

impl PlannedGrant {
    /// Whether, once applied, it lets `account` use the layer version (a
    /// grant to everyone within an organization may: that is apply's to
    /// tell).
    pub fn covers(&self, account: &str) -> bool {
        self.principal == "*" || self.principal == account
    }
}

/// One process's plans as written to the board.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Entry {
    grants: Vec<PlannedGrant>,
}

/// This process's page on its run's board.
#[derive(Debug)]
pub struct RunBoard {
    dir: PathBuf,
    mine: Mutex<Entry>,
}

/// The most a board is read for: boards are small, a larger one is not ours.
const MAX_FILE_BYTES: u64 = 1 << 20;
const MAX_FILES: usize = 256;

impl RunBoard {
    /// The board of the Terraform run that started this process (its
    /// parent), or `None` when there is no private place for one.
    pub fn of_parent_run() -> Option<RunBoard> {
        let parent = std::os::unix::process::parent_id();
        let started = start_time(parent)?;
        let base = private_base(&std::env::temp_dir()).ok()?;
        Some(RunBoard {
            dir: base.join(format!("{parent}-{started}")),
            mine: Mutex::default(),
        })
    }

    /// Writes a grant this process plans, for the other processes of the run.
    pub fn publish_grant(&self, grant: PlannedGrant) {
        let mut mine = self.mine.lock().unwrap_or_else(|e| e.into_inner());
        if mine.grants.contains(&grant) {
            return;
        }
        mine.grants.push(grant);
        if let Err(e) = self.write(&mine) {
            tracing::debug!(dir = %self.dir.display(), error = %e, "cannot write this run's board: other provider configurations will not see this plan's grants");
        }
    }

    /// The grants on the board (this process's own included) of one layer
    /// version.
    pub fn grants_of(&self, layer_version_arn: &str) -> Vec<PlannedGrant> {
        self.entries()
            .into_iter()
            .flat_map(|entry| entry.grants)
            .filter(|g| g.layer_version_arn == layer_version_arn)
            .collect()
    }

    fn write(&self, entry: &Entry) -> io::Result<()> {
        if !self.dir.exists() {
            if let Some(base) = self.dir.parent() {
                remove_ended_runs(base);
            }
            match fs::DirBuilder::new().mode(0o700).create(&self.dir) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
        }
        let mut temp = TempFile::new_in(&self.dir)?;
        temp.as_file_mut().write_all(&serde_json::to_vec(entry)?)?;
        temp.persist(&self.dir.join(format!("{}.json", std::process::id())))
    }

    fn entries(&self) -> Vec<Entry> {
        let Ok(listing) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        listing
            .flatten()
            .filter(|e| is_page_name(&e.file_name().to_string_lossy()))
            .take(MAX_FILES)
            .filter_map(|e| read_page(&e.path()))
            .collect()
    }
}

fn is_page_name(name: &str) -> bool {
    name.strip_suffix(".json")
        .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
}

/// A page, or `None` if it is not a small regular file that parses.
fn read_page(path: &Path) -> Option<Entry> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES).read_to_end(&mut bytes).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `$TMPDIR/lambdasign-plans-<uid>`, made private if missing; refused
/// when it is a link, not a directory, another user's, or open to others.
fn private_base(tmp: &Path) -> io::Result<PathBuf> {
    let uid = fs::metadata("/proc/self")?.uid();
    let base = tmp.join(format!("lambdasign-plans-{uid}"));
    match fs::DirBuilder::new().mode(0o700).create(&base) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    let meta = fs::symlink_metadata(&base)?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o077 != 0 {
        return Err(io::Error::other(format!(
            "{} is not a private directory of this user",
            base.display()
        )));
    }
    Ok(base)
}

/// A process's start time (clock ticks after boot, from /proc), which
/// tells it from a later process given the same pid.
fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count from its end.
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// Removes the boards of runs whose `terraform` process has ended.
fn remove_ended_runs(base: &Path) {
    let Ok(listing) = fs::read_dir(base) else {
        return;
    };
    for entry in listing.flatten() {
        let name = entry.file_name();
        let Some((pid, started)) = name.to_str().and_then(|n| n.split_once('-')) else {
            continue;
        };
        let (Ok(pid), Ok(started)) = (pid.parse::<u32>(), started.parse::<u64>()) else {
            continue;
        };
        if start_time(pid) != Some(started) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board_in(dir: &Path) -> RunBoard {
        RunBoard {
            dir: dir.join("run"),
            mine: Mutex::default(),
        }
    }

    fn grant(version: u32, principal: &str) -> PlannedGrant {
        PlannedGrant {
            layer_version_arn: format!("arn:aws:lambda:us-east-1:111111111111:layer:lib:{version}"),
            principal: principal.to_string(),
            organization_id: None,
            statement_id: "consumer".to_string(),
        }
    }

    #[test]
    fn a_grant_published_by_one_process_is_read_by_another() {
        let tmp = tempfile::tempdir().unwrap();
        let publisher = board_in(tmp.path());
        let reader = board_in(tmp.path());
        assert!(reader
            .grants_of(&grant(1, "x").layer_version_arn)
            .is_empty());
        publisher.publish_grant(grant(1, "222222222222"));
        publisher.publish_grant(grant(2, "*"));
        let seen = reader.grants_of(&grant(1, "x").layer_version_arn);
        assert_eq!(seen, vec![grant(1, "222222222222")]);
        assert!(seen[0].covers("222222222222"));
        assert!(!seen[0].covers("333333333333"));
        assert!(grant(2, "*").covers("333333333333"));
    }

    #[test]
    fn what_is_not_a_page_is_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        let board = board_in(tmp.path());
        board.publish_grant(grant(1, "222222222222"));
        fs::write(board.dir.join("7.json"), b"{not json").unwrap();
        fs::write(board.dir.join("notes.json"), br#"{"grants":[]}"#).unwrap();
        std::os::unix::fs::symlink(
            board.dir.join(format!("{}.json", std::process::id())),
            board.dir.join("8.json"),
        )
        .unwrap();
        assert_eq!(board.grants_of(&grant(1, "x").layer_version_arn).len(), 1);
    }

    #[test]
    fn a_base_open_to_others_or_another_users_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let base = private_base(tmp.path()).unwrap();
        assert_eq!(fs::metadata(&base).unwrap().mode() & 0o777, 0o700);
        fs::set_permissions(&base, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        assert!(private_base(tmp.path()).is_err());
        fs::remove_dir(&base).unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &base).unwrap();
        assert!(private_base(tmp.path()).is_err());
    }

    #[test]
    fn boards_of_ended_runs_are_removed_and_live_ones_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let me = std::process::id();
        let live = tmp.path().join(format!("{me}-{}", start_time(me).unwrap()));
        let ended = tmp.path().join(format!("{me}-1"));
        let other = tmp.path().join("unrelated");
        for dir in [&live, &ended, &other] {
            fs::create_dir(dir).unwrap();
        }
        remove_ended_runs(tmp.path());
        assert!(live.exists() && other.exists() && !ended.exists());
    }
}
