//! What this process knows of its signing jobs' output files.
//!
//! Signing hashes every byte it signs, and a plan's refresh hashes each
//! output before its verification inspects the same bytes. Either pass
//! leaves an inspection here, keyed by job and by the file's version
//! (`files::version`); while the file keeps that version, the next reader
//! takes it instead of reading the file again. A replaced or rewritten
//! file, or any other process, reads the file as always. (A rewrite in
//! place to the same length within one tick of the file system's clock, a
//! few milliseconds, keeps the version: the next plan, a new process, reads
//! the file.)

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::domain::artifact::{self, ArtifactError, Inspection, SignedArtifact};
use crate::domain::files;

#[derive(Default)]
pub struct KnownOutputs {
    by_job: Mutex<HashMap<String, Known>>,
}

struct Known {
    path: PathBuf,
    version: String,
    inspection: Inspection,
}

impl KnownOutputs {
    /// Signing job `job_arn` wrote `signed` to `path`.
    pub fn remember(&self, job_arn: &str, path: &Path, signed: &SignedArtifact) {
        if let Some(version) = &signed.output_version {
            self.keep(job_arn, path, version.clone(), signed.inspection());
        }
    }

    /// What job `job_arn`'s output at `path` holds now: what this process
    /// last found in it while the file keeps that version, otherwise
    /// inspected (and kept when the file did not change during the read).
    pub fn inspect(&self, job_arn: &str, path: &Path) -> Result<Inspection, ArtifactError> {
        if let Some(known) = self.unchanged(job_arn, path) {
            return Ok(known);
        }
        let before = version_of(path);
        let inspection = artifact::inspect(path)?;
        match before {
            Some(version) if version_of(path).as_ref() == Some(&version) => {
                self.keep(job_arn, path, version, inspection.clone());
            }
            _ => {}
        }
        Ok(inspection)
    }

    /// What is known of job `job_arn`'s output at `path`, if the file is
    /// still as it was then.
    fn unchanged(&self, job_arn: &str, path: &Path) -> Option<Inspection> {
        let (version, inspection) = {
            let by_job = self.by_job.lock().unwrap_or_else(|e| e.into_inner());
            let known = by_job.get(job_arn).filter(|k| k.path == path)?;
            (known.version.clone(), known.inspection.clone())
        };
        // The file is asked outside the lock: other signings go on meanwhile.
        (version_of(path)? == version).then_some(inspection)
    }

    fn keep(&self, job_arn: &str, path: &Path, version: String, inspection: Inspection) {
        let known = Known {
            path: path.to_path_buf(),
            version,
            inspection,
        };
        // A poisoned map holds only complete entries: inserts are single calls.
        self.by_job
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(job_arn.to_string(), known);
    }
}

fn version_of(path: &Path) -> Option<String> {
    files::version(&std::fs::metadata(path).ok()?)
}
