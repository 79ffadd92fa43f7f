//! Module rules: which files are imported as what kind of module.

use std::fmt;
use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// How a module file is imported (wrangler's rule `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    /// `ESModule`: JavaScript (or TypeScript) ES module.
    EsModule,
    /// `CommonJS`: a CommonJS module.
    CommonJs,
    /// `Text`: the file's contents as a string.
    Text,
    /// `Data`: the file's contents as an `ArrayBuffer`.
    Data,
    /// `CompiledWasm`: a `WebAssembly.Module`.
    CompiledWasm,
}

impl ModuleKind {
    /// Parses wrangler's spelling (`"ESModule"`, `"CommonJS"`, `"Text"`,
    /// `"Data"`, `"CompiledWasm"`).
    pub fn from_wrangler(name: &str) -> Option<ModuleKind> {
        Some(match name {
            "ESModule" => ModuleKind::EsModule,
            "CommonJS" => ModuleKind::CommonJs,
            "Text" => ModuleKind::Text,
            "Data" => ModuleKind::Data,
            "CompiledWasm" => ModuleKind::CompiledWasm,
            _ => return None,
        })
    }

    /// wrangler's spelling of this kind.
    pub fn wrangler_name(self) -> &'static str {
        match self {
            ModuleKind::EsModule => "ESModule",
            ModuleKind::CommonJs => "CommonJS",
            ModuleKind::Text => "Text",
            ModuleKind::Data => "Data",
            ModuleKind::CompiledWasm => "CompiledWasm",
        }
    }
}

/// One module rule: files matching any of `globs` are imported as `kind`.
#[derive(Clone)]
pub struct Rule {
    /// Module type given to matching files.
    pub kind: ModuleKind,
    /// Glob patterns, relative to the module root (`*` stays within one
    /// folder, `**/` spans any number of folders, including none).
    pub globs: Vec<String>,
    /// If false, later rules of the same kind are dropped (wrangler's
    /// semantics); if true they stay in effect.
    pub fallthrough: bool,
    matcher: GlobSet,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The compiled matcher is derived from `globs`; leave it out.
        f.debug_struct("Rule")
            .field("kind", &self.kind)
            .field("globs", &self.globs)
            .field("fallthrough", &self.fallthrough)
            .finish_non_exhaustive()
    }
}

impl Rule {
    /// Compiles a rule. On failure returns the index of the bad glob and the
    /// reason.
    pub fn new(
        kind: ModuleKind,
        globs: Vec<String>,
        fallthrough: bool,
    ) -> Result<Rule, (usize, globset::Error)> {
        let mut set = GlobSetBuilder::new();
        for (i, glob) in globs.iter().enumerate() {
            let compiled = GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map_err(|e| (i, e))?;
            set.add(compiled);
        }
        let matcher = set.build().map_err(|e| (0, e))?;
        Ok(Rule {
            kind,
            globs,
            fallthrough,
            matcher,
        })
    }

    /// Whether `relative_path` (relative to the module root, a leading `./`
    /// allowed) matches one of the rule's globs.
    pub fn matches(&self, relative_path: &Path) -> bool {
        let path = relative_path.strip_prefix(".").unwrap_or(relative_path);
        self.matcher.is_match(path)
    }
}

/// wrangler's default rules, plus TypeScript sources as ES modules / CommonJS.
pub(crate) fn default_rules() -> Vec<Rule> {
    let defaults: [(ModuleKind, &[&str]); 5] = [
        (
            ModuleKind::EsModule,
            &["**/*.js", "**/*.mjs", "**/*.ts", "**/*.mts"],
        ),
        (ModuleKind::CommonJs, &["**/*.cjs", "**/*.cts"]),
        (ModuleKind::Text, &["**/*.txt", "**/*.html", "**/*.sql"]),
        (ModuleKind::Data, &["**/*.bin"]),
        (ModuleKind::CompiledWasm, &["**/*.wasm", "**/*.wasm?module"]),
    ];
    defaults
        .into_iter()
        .map(|(kind, globs)| {
            Rule::new(kind, globs.iter().map(|g| g.to_string()).collect(), false)
                .expect("default globs are valid")
        })
        .collect()
}

/// Appends the defaults to the user's rules and drops every rule that follows
/// a non-`fallthrough` rule of the same kind, as wrangler does. A dropped user
/// rule gets a warning (dropped defaults are expected and silent).
pub(crate) fn with_defaults(
    user: Vec<Rule>,
    file: &Path,
    key: &str,
    warnings: &mut Vec<String>,
) -> Vec<Rule> {
    let mut closed: Vec<ModuleKind> = Vec::new();
    let mut out = Vec::new();
    let user_count = user.len();
    for (i, rule) in user.into_iter().chain(default_rules()).enumerate() {
        if closed.contains(&rule.kind) {
            if i < user_count {
                warnings.push(format!(
                    "{}: {key}[{i}]: this {} rule is never used because an earlier {} rule has no \
                     `fallthrough = true` (add it to the earlier rule)",
                    file.display(),
                    rule.kind.wrangler_name(),
                    rule.kind.wrangler_name()
                ));
            }
            continue;
        }
        if !rule.fallthrough {
            closed.push(rule.kind);
        }
        out.push(rule);
    }
    out
}
