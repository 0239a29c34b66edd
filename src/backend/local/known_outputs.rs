//! What this process knows of signing jobs' output files.
//!
//! Signing hashes every byte it signs, and a plan's refresh hashes each
//! output before its verification inspects the same bytes. Either pass
//! leaves an inspection here, keyed by path and by the file's version
//! (`files::version`); while the file keeps that version, the next reader
//! takes it instead of reading the file again (which job's signature the
//! file carries is in the inspection's envelope: readers check it). A
//! replaced or rewritten file, or any other process, reads the file as
//! always. (A rewrite in place to the same length within one tick of the
//! file system's clock, a few milliseconds, keeps the version: the next
//! plan, a new process, reads the file.)

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::domain::artifact::{self, ArtifactError, Inspection, SignedArtifact};
use crate::domain::files;

#[derive(Default)]
pub struct KnownOutputs {
    by_path: Mutex<HashMap<PathBuf, Known>>,
}

struct Known {
    version: String,
    inspection: Inspection,
}

impl KnownOutputs {
    /// A signing wrote `signed` to `path`.
    pub fn remember(&self, path: &Path, signed: &SignedArtifact) {
        if let Some(version) = &signed.output_version {
            self.keep(path, version.clone(), signed.inspection());
        }
    }

    /// What the file at `path` holds now: what this process last found in
    /// it while the file keeps that version, otherwise inspected (and kept
    /// when the file did not change during the read).
    pub fn inspect(&self, path: &Path) -> Result<Inspection, ArtifactError> {
        if let Some(known) = self.unchanged(path) {
            return Ok(known);
        }
        let before = version_of(path);
        let inspection = artifact::inspect(path)?;
        match before {
            Some(version) if version_of(path).as_ref() == Some(&version) => {
                self.keep(path, version, inspection.clone());
            }
            _ => {}
        }
        Ok(inspection)
    }

    /// What is known of the file at `path`, if it is still as it was then.
    fn unchanged(&self, path: &Path) -> Option<Inspection> {
        let (version, inspection) = {
            let by_path = self.by_path.lock().unwrap_or_else(|e| e.into_inner());
            let known = by_path.get(path)?;
            (known.version.clone(), known.inspection.clone())
        };
        // The file is asked outside the lock: other signings go on meanwhile.
        (version_of(path)? == version).then_some(inspection)
    }

    fn keep(&self, path: &Path, version: String, inspection: Inspection) {
        // A poisoned map holds only complete entries: inserts are single calls.
        self.by_path
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                path.to_path_buf(),
                Known {
                    version,
                    inspection,
                },
            );
    }
}

fn version_of(path: &Path) -> Option<String> {
    files::version(&std::fs::metadata(path).ok()?)
}
