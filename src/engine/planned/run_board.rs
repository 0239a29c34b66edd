//! What the other provider configurations of the same Terraform run have
//! planned and applied. Terraform runs each provider configuration (alias)
//! in its own process, all children of the one `terraform` process, and
//! plans and applies a resource after those it depends on, across
//! configurations too. So a grant planned by the `publisher` alias is on
//! this board before the `consumer` alias plans a verification that
//! depends on it, and marked applied before the consumer's apply.
//!
//! The board is a directory per run, `$TMPDIR/lambdasign-plans-<uid>-<pid
//! namespace>/<terraform pid>-<its start time>/`, in which each provider
//! process keeps one file, `<pid>.json`, replaced whole (a private
//! temporary file renamed into place), so a reader never sees half of one.
//! The base directory must be ours and private, checked before each use, or
//! there is no board. Boards of runs that ended are removed when a new one
//! is made. What a board says only ever turns a plan-time error into a
//! check left to apply (or waited for), which then runs.

use std::fs;
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::files::{self, TempFile};

/// A layer grant that a plan of this run makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedGrant {
    pub layer_version_arn: String,
    /// An account id, or `*`; `None` when known only at apply.
    pub principal: Option<String>,
    /// `None` when known only at apply.
    pub statement_id: Option<String>,
}

impl PlannedGrant {
    /// Whether, once applied, it may let `account` use the layer version (a
    /// grant to everyone within an organization, or to a principal known
    /// only at apply, may: that is apply's to tell).
    pub fn covers(&self, account: &str) -> bool {
        self.principal
            .as_deref()
            .is_none_or(|p| p == "*" || p == account)
    }
}

/// One process's page: the grants it plans, and those it has applied.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct GrantPage {
    planned: Vec<PlannedGrant>,
    applied: Vec<PlannedGrant>,
}

impl GrantPage {
    /// Adds a planned grant; whether it is new.
    pub fn plan(&mut self, grant: PlannedGrant) -> bool {
        push_new(&mut self.planned, grant)
    }

    /// Adds an applied grant; whether it is new.
    pub fn apply(&mut self, grant: PlannedGrant) -> bool {
        push_new(&mut self.applied, grant)
    }

    /// The grants of one layer version, each with whether it is applied.
    pub fn grants_of(&self, layer_version_arn: &str) -> Vec<(PlannedGrant, bool)> {
        self.planned
            .iter()
            .chain(&self.applied)
            .filter(|g| g.layer_version_arn == layer_version_arn)
            .map(|g| (g.clone(), self.applied.contains(g)))
            .collect()
    }
}

/// Adds `grant` unless already there; whether it was added.
fn push_new(grants: &mut Vec<PlannedGrant>, grant: PlannedGrant) -> bool {
    let new = !grants.contains(&grant);
    if new {
        grants.push(grant);
    }
    new
}

/// Where this process keeps its page on its run's board.
#[derive(Debug)]
pub struct RunBoard {
    base: PathBuf,
    dir: PathBuf,
    /// This process's page file: `<pid>.json`.
    mine: String,
}

/// The most a board is read for: boards are small, a larger one is not ours.
const MAX_FILE_BYTES: u64 = 1 << 20;
const MAX_FILES: usize = 256;

impl RunBoard {
    /// The board of the Terraform run that started this process (its
    /// parent), or why there is none.
    pub fn of_parent_run() -> Result<RunBoard, String> {
        let parent = std::os::unix::process::parent_id();
        if parent <= 1 {
            return Err("this process has no parent `terraform` process".into());
        }
        let started = start_time(parent)
            .ok_or_else(|| format!("cannot read the start time of process {parent}"))?;
        let base = private_base(&std::env::temp_dir()).map_err(|e| e.to_string())?;
        Ok(RunBoard {
            dir: base.join(format!("{parent}-{started}")),
            base,
            mine: format!("{}.json", std::process::id()),
        })
    }

    /// Replaces this process's page, for the other processes of the run.
    pub fn publish(&self, page: &GrantPage) {
        if let Err(e) = self.write(page) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot write this run's board: the other provider configurations of this run will not see this process's layer grants");
        }
    }

    fn write(&self, page: &GrantPage) -> io::Result<()> {
        check_private(&self.base)?;
        if !self.dir.exists() {
            remove_ended_runs(&self.base);
            match fs::DirBuilder::new().mode(0o700).create(&self.dir) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                _ => {}
            }
        }
        let mut temp = TempFile::new_in(&self.dir)?;
        temp.as_file_mut().write_all(&serde_json::to_vec(page)?)?;
        temp.persist(&self.dir.join(&self.mine))
    }

    /// The pages of the run's other processes.
    pub fn others(&self) -> Vec<GrantPage> {
        if check_private(&self.base).is_err() {
            return Vec::new();
        }
        let Ok(listing) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        listing
            .flatten()
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                is_page_name(&name) && name != self.mine
            })
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
fn read_page(path: &Path) -> Option<GrantPage> {
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

/// `$TMPDIR/lambdasign-plans-<uid>-<pid namespace>`, made private if
/// missing. The namespace keeps runs in containers that share `/tmp` apart.
fn private_base(tmp: &Path) -> io::Result<PathBuf> {
    let uid = fs::metadata("/proc/self")?.uid();
    let namespace = fs::metadata("/proc/self/ns/pid").map_or(0, |m| m.ino());
    let base = tmp.join(format!("lambdasign-plans-{uid}-{namespace}"));
    match fs::DirBuilder::new().mode(0o700).create(&base) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    check_private(&base)?;
    Ok(base)
}

/// Refuses a base that is a link, not a directory, another user's, or open
/// to others (asked again before each use: it may have been replaced).
fn check_private(base: &Path) -> io::Result<()> {
    let uid = fs::metadata("/proc/self")?.uid();
    let meta = fs::symlink_metadata(base)?;
    if meta.is_dir() && meta.uid() == uid && meta.mode() & 0o077 == 0 {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{} is not a private directory of this user",
            base.display()
        )))
    }
}

/// A process's start time (clock ticks after boot, field 22 of its stat),
/// which tells it from a later process given the same pid.
fn start_time(pid: u32) -> Option<u64> {
    files::process_stat(pid).ok()?.get(19)?.parse().ok()
}

/// Removes the boards of runs whose `terraform` process has ended: its pid
/// is gone, or now names a process that started at another time. A board
/// whose process cannot be read for another reason is kept.
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
        let ended = match files::process_stat(pid) {
            Err(e) => e.kind() == io::ErrorKind::NotFound,
            Ok(fields) => fields.get(19).and_then(|t| t.parse::<u64>().ok()) != Some(started),
        };
        if ended {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A board in `dir` as process `pid` keeps it.
    fn board_in(dir: &Path, pid: u32) -> RunBoard {
        let base = dir.join("base");
        let _ = fs::DirBuilder::new().mode(0o700).create(&base);
        RunBoard {
            dir: base.join("run"),
            base,
            mine: format!("{pid}.json"),
        }
    }

    /// The grants of one layer version on the other pages.
    fn seen(board: &RunBoard, layer_version_arn: &str) -> Vec<(PlannedGrant, bool)> {
        board
            .others()
            .iter()
            .flat_map(|page| page.grants_of(layer_version_arn))
            .collect()
    }

    fn grant(version: u32, principal: &str) -> PlannedGrant {
        PlannedGrant {
            layer_version_arn: format!("arn:aws:lambda:us-east-1:111111111111:layer:lib:{version}"),
            principal: Some(principal.to_string()),
            statement_id: Some("consumer".to_string()),
        }
    }

    #[test]
    fn a_grant_published_by_one_process_is_read_by_another_planned_then_applied() {
        let tmp = tempfile::tempdir().unwrap();
        let publisher = board_in(tmp.path(), 1001);
        let reader = board_in(tmp.path(), 1002);
        let arn = grant(1, "x").layer_version_arn;
        assert!(seen(&reader, &arn).is_empty());
        let mut page = GrantPage::default();
        assert!(page.plan(grant(1, "222222222222")));
        assert!(page.plan(grant(2, "*")));
        assert!(!page.plan(grant(2, "*")), "a grant is on a page once");
        publisher.publish(&page);
        assert_eq!(seen(&reader, &arn), vec![(grant(1, "222222222222"), false)]);
        assert!(
            seen(&publisher, &arn).is_empty(),
            "a process's own page is not another's"
        );
        page.apply(grant(1, "222222222222"));
        publisher.publish(&page);
        assert!(seen(&reader, &arn).iter().all(|(_, applied)| *applied));
        assert!(grant(1, "222222222222").covers("222222222222"));
        assert!(!grant(1, "222222222222").covers("333333333333"));
        assert!(grant(2, "*").covers("333333333333"));
        let unknown = PlannedGrant {
            principal: None,
            ..grant(3, "x")
        };
        assert!(unknown.covers("333333333333"));
    }

    #[test]
    fn what_is_not_a_page_is_not_read() {
        let tmp = tempfile::tempdir().unwrap();
        let publisher = board_in(tmp.path(), 1001);
        let mut page = GrantPage::default();
        page.plan(grant(1, "222222222222"));
        publisher.publish(&page);
        let dir = &publisher.dir;
        fs::write(dir.join("7.json"), b"{not json").unwrap();
        fs::write(dir.join("notes.json"), br#"{"planned":[],"applied":[]}"#).unwrap();
        std::os::unix::fs::symlink(dir.join("1001.json"), dir.join("8.json")).unwrap();
        let reader = board_in(tmp.path(), 1002);
        assert_eq!(seen(&reader, &grant(1, "x").layer_version_arn).len(), 1);
    }

    #[test]
    fn a_base_open_to_others_or_replaced_by_a_link_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let base = private_base(tmp.path()).unwrap();
        assert_eq!(fs::metadata(&base).unwrap().mode() & 0o777, 0o700);
        let board = |pid: u32| RunBoard {
            dir: base.join("run"),
            base: base.clone(),
            mine: format!("{pid}.json"),
        };
        let mut page = GrantPage::default();
        page.plan(grant(1, "222222222222"));
        board(1001).publish(&page);
        fs::set_permissions(&base, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        assert!(private_base(tmp.path()).is_err());
        assert!(seen(&board(1002), &grant(1, "x").layer_version_arn).is_empty());
        fs::remove_dir_all(&base).unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &base).unwrap();
        assert!(private_base(tmp.path()).is_err());
        page.plan(grant(2, "222222222222"));
        board(1001).publish(&page);
        assert_eq!(
            fs::read_dir(&elsewhere).unwrap().count(),
            0,
            "nothing written through the link"
        );
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
