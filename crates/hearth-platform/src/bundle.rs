//! A version's bundle: the project's files as uploaded, gathered by the
//! client and unpacked by the server into the version's own folder.

use crate::api::BundleFile;
use crate::PlatformError;
use base64::Engine;
use std::path::{Component, Path};

/// Folders never uploaded: version control, local state and build caches.
/// `node_modules` is left out too: bundle npm dependencies with a
/// `[build]` step (as for any deploy without a bundler).
const SKIPPED_DIRS: [&str; 5] = [".git", ".hearth", ".wrangler", "node_modules", "target"];

/// Whether a file name is a local secret file (`.dev.vars*`, `.env*`):
/// secrets are set with `hearth secret put`, never uploaded.
fn is_local_secret(name: &str) -> bool {
    name.starts_with(".dev.vars") || name == ".env" || name.starts_with(".env.")
}

/// Every file under `root` that belongs in a bundle, paths relative to it.
pub fn collect(root: &Path) -> std::io::Result<Vec<BundleFile>> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                if !SKIPPED_DIRS.contains(&name.as_str()) {
                    pending.push(path);
                }
            } else if kind.is_file() && !is_local_secret(&name) {
                let relative = path
                    .strip_prefix(root)
                    .expect("walked under the root")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let data = std::fs::read(&path)?;
                files.push(BundleFile {
                    path: relative,
                    data: base64::engine::general_purpose::STANDARD.encode(data),
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Writes `files` under `dest`, refusing any path that would leave it.
pub fn unpack(files: &[BundleFile], dest: &Path) -> Result<(), PlatformError> {
    for file in files {
        let relative = Path::new(&file.path);
        let inside = !file.path.is_empty()
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !inside {
            return Err(PlatformError::Invalid(format!(
                "bundle file `{}`: paths must be relative and stay inside the project",
                file.path
            )));
        }
        let data = base64::engine::general_purpose::STANDARD
            .decode(&file.data)
            .map_err(|e| {
                PlatformError::Invalid(format!("bundle file `{}`: bad base64: {e}", file.path))
            })?;
        let target = dest.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, data)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_the_project_but_not_state_or_local_secrets() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "wrangler.toml",
            "src/index.js",
            ".dev.vars",
            ".hearth/state/x",
            "node_modules/a/b.js",
        ] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, f).unwrap();
        }
        let files = collect(dir.path()).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(names, ["src/index.js", "wrangler.toml"]);
        let out = tempfile::tempdir().unwrap();
        unpack(&files, out.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.path().join("src/index.js")).unwrap(),
            "src/index.js"
        );
    }

    #[test]
    fn refuses_paths_leaving_the_folder() {
        let out = tempfile::tempdir().unwrap();
        for bad in ["../x", "/etc/x", "a/../../x", ""] {
            let file = BundleFile {
                path: bad.into(),
                data: String::new(),
            };
            assert!(unpack(&[file], out.path()).is_err(), "{bad}");
        }
    }
}
