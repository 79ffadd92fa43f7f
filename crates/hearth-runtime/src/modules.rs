//! Module resolution and loading for a worker's sources.
//!
//! Module names are paths relative to the project root with `/` separators
//! (`src/index.js`), so stack traces read like the user's tree. Files are
//! typed by the project's `[[rules]]`: ES modules are compiled, Text and Data
//! modules become a default export of a string or an `ArrayBuffer`.

use crate::worker::Worker;
use hearth_config::ModuleKind;
use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::{Ctx, Error, Module};
use std::path::{Component, Path, PathBuf};

/// Modules hearth provides itself, and the JavaScript that backs each.
const BUILTINS: &[(&str, &str)] = &[
    (
        "cloudflare:workers",
        include_str!("host_js/module_workers.js"),
    ),
    (
        "cloudflare:sockets",
        include_str!("host_js/module_sockets.js"),
    ),
];

/// Extensions tried for extension-less relative imports, as bundlers do.
const PROBE_EXTENSIONS: &[&str] = &["js", "mjs", "ts", "mts", "json"];

pub(crate) struct ProjectResolver {
    pub(crate) worker: Worker,
}

impl Resolver for ProjectResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        if BUILTINS.iter().any(|(n, _)| *n == name) {
            return Ok(name.to_string());
        }
        if !(name.starts_with("./") || name.starts_with("../") || name.starts_with('/')) {
            return Err(Error::new_resolving_message(
                base,
                name,
                format!(
                    "cannot resolve '{name}' imported from {base}: only relative imports and \
                     cloudflare:* modules are supported (bundle npm packages first)"
                ),
            ));
        }
        let base_dir = Path::new(base).parent().unwrap_or(Path::new(""));
        let joined = normalize(&base_dir.join(name));
        let root = self.worker.root();
        let candidate = |p: &Path| root.join(p).is_file();
        let found = if candidate(&joined) {
            Some(joined.clone())
        } else {
            PROBE_EXTENSIONS
                .iter()
                .map(|ext| PathBuf::from(format!("{}.{ext}", joined.display())))
                .chain(
                    PROBE_EXTENSIONS
                        .iter()
                        .map(|ext| joined.join(format!("index.{ext}"))),
                )
                .find(|p| candidate(p))
        };
        match found {
            Some(p) => Ok(to_module_name(&p)),
            None => Err(Error::new_resolving_message(
                base,
                name,
                format!(
                    "cannot find module '{name}' imported from {base} (looked for {})",
                    root.join(&joined).display()
                ),
            )),
        }
    }
}

pub(crate) struct ProjectLoader {
    pub(crate) worker: Worker,
}

impl Loader for ProjectLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, rquickjs::module::Declared>> {
        if let Some((_, source)) = BUILTINS.iter().find(|(n, _)| *n == name) {
            return Module::declare(ctx.clone(), name, *source);
        }
        let bytes = self
            .worker
            .source(name)
            .map_err(|e| Error::new_loading_message(name, e))?;
        let kind = self
            .worker
            .module_kind(name)
            .unwrap_or(if name.ends_with(".json") {
                ModuleKind::Text
            } else {
                ModuleKind::EsModule
            });
        let text = || {
            std::str::from_utf8(&bytes)
                .map_err(|_| Error::new_loading_message(name, "file is not valid UTF-8"))
        };
        match kind {
            ModuleKind::EsModule | ModuleKind::CommonJs => {
                Module::declare(ctx.clone(), name, text()?)
            }
            ModuleKind::Text if name.ends_with(".json") => {
                Module::declare(ctx.clone(), name, format!("export default {};", text()?))
            }
            ModuleKind::Text => {
                let literal = serde_json::to_string(text()?).expect("strings serialize");
                Module::declare(ctx.clone(), name, format!("export default {literal};"))
            }
            ModuleKind::Data => {
                let literal = serde_json::to_string(name).expect("strings serialize");
                Module::declare(
                    ctx.clone(),
                    name,
                    format!("export default __hearth_native.moduleData({literal});"),
                )
            }
            ModuleKind::CompiledWasm => Err(Error::new_loading_message(
                name,
                "WebAssembly modules are not supported by hearth yet (QuickJS has no WebAssembly)",
            )),
        }
    }
}

/// Collapses `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(p) => out.push(p),
        }
    }
    out
}

/// A module name is the relative path with forward slashes.
pub(crate) fn to_module_name(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}
