//! TEMPORARY STUB (replaced by the embedded store).
use super::BackendError;
use std::path::Path;
pub struct LocalBackend;
impl LocalBackend {
    pub fn open(_p: &Path, _a: &str, _r: &str) -> Result<LocalBackend, BackendError> {
        Err(BackendError::Internal("stub".into()))
    }
}
