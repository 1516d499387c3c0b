//! Finding flow files and conversation scripts: explicit files are always taken; folders are searched for
//! YAML that is a flow or a script.

use std::path::PathBuf;

/// Expands files and folders into the flows and conversation scripts to check, sorted within each folder.
pub fn flow_and_script_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    flowc::files::expand(paths, &|text| {
        flowc::parse::looks_like_flow(text) || flowc::script::looks_like_script(text)
    })
}
