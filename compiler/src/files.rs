//! Finding YAML files: explicit files are taken as given; folders are searched, recursively and in sorted
//! order, for the YAML files whose text passes a test (a flow, a conversation script).

use std::path::{Path, PathBuf};

/// Expands `paths` (files or folders) into files; a folder contributes its YAML files for which `keep` holds.
pub fn expand(paths: &[PathBuf], keep: &dyn Fn(&str) -> bool) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.is_dir() {
            yaml_files(path, keep, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// Appends the YAML files under `dir` whose text passes `keep`, in sorted order.
pub fn yaml_files(
    dir: &Path,
    keep: &dyn Fn(&str) -> bool,
    out: &mut Vec<PathBuf>,
) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read folder {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, keep, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            // Judged on a lossy copy: a flow that is not UTF-8 is still kept, to be reported as such.
            if keep(&String::from_utf8_lossy(&bytes)) {
                out.push(path);
            }
        }
    }
    Ok(())
}
