//! What this process's signing jobs wrote to their output files.
//!
//! Signing hashes every byte it signs; the verification that follows each
//! signing (`engine::signed_artifact`) would read the whole output again to
//! find the same digests. While an output file still has the version
//! (`files::version`) its signing left, what the signing computed stands
//! for it; once the file is replaced or rewritten, or in any other process,
//! the file is read as always. (A rewrite in place to the same length
//! within one tick of the file system's clock, a few milliseconds, keeps
//! the version: the next plan, a new process, reads the file.)

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::domain::artifact::{Inspection, SignedArtifact};
use crate::domain::files;

#[derive(Default)]
pub struct FreshOutputs {
    by_job: Mutex<HashMap<String, Written>>,
}

struct Written {
    path: PathBuf,
    version: String,
    inspection: Inspection,
}

impl FreshOutputs {
    /// Signing job `job_arn` wrote `signed` to `path`.
    pub fn remember(&self, job_arn: &str, path: &Path, signed: &SignedArtifact) {
        let Some(version) = signed.output_version.clone() else {
            return;
        };
        let written = Written {
            path: path.to_path_buf(),
            version,
            inspection: signed.inspection(),
        };
        // A poisoned map holds only complete entries: inserts are single calls.
        self.by_job
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(job_arn.to_string(), written);
    }

    /// What job `job_arn` wrote to `path`, if the file is still as written.
    pub fn unchanged(&self, job_arn: &str, path: &Path) -> Option<Inspection> {
        let (version, inspection) = {
            let by_job = self.by_job.lock().unwrap_or_else(|e| e.into_inner());
            let written = by_job.get(job_arn).filter(|w| w.path == path)?;
            (written.version.clone(), written.inspection.clone())
        };
        // The file is asked outside the lock: other signings go on meanwhile.
        let now = std::fs::metadata(path).ok()?;
        (files::version(&now).as_deref() == Some(version.as_str())).then_some(inspection)
    }
}
