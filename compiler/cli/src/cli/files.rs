//! Finding flow files: explicit files are always checked; folders are searched for YAML that is a flow.

use std::path::PathBuf;

/// Expands files and folders into the flow files to check, sorted within each folder.
pub fn flow_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    flowc::files::expand(paths, &flowc::parse::looks_like_flow)
}
