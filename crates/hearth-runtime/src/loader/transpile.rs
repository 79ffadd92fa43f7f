//! TypeScript and JSX on load, with oxc.
//!
//! A `.ts`/`.mts`/`.cts`/`.tsx`/`.jsx` module is parsed, stripped of types
//! (type-only imports and exports are erased) and printed back as
//! JavaScript with a source map. The map is kept per module name, and
//! [`map_stack`] rewrites `file.ts:line:col` positions in stack traces from
//! the generated code back to the user's source. Results are cached per
//! source buffer, so the isolates of one worker generation transpile once.

use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions};
use oxc_parser::Parser;
use oxc_semantic::SemanticBuilder;
use oxc_span::SourceType;
use oxc_transformer::{HelperLoaderMode, JsxOptions, JsxRuntime, TransformOptions, Transformer};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// `(generated line, generated column, source line, source column)`, 0-based,
/// sorted by generated position.
type LineMap = Vec<(u32, u32, u32, u32)>;

/// A transpiled module: the source it was made from, whether `async` was
/// lowered, and the JavaScript.
type Transpiled = (Arc<[u8]>, bool, Arc<str>);

#[derive(Default)]
struct Caches {
    /// Module name → (the source it was made from, async lowered?, the JavaScript).
    code: HashMap<String, Transpiled>,
    /// Module name → (the source it was made from, whether it is an ES module).
    syntax: HashMap<String, (Arc<[u8]>, bool)>,
    /// Module name → its generated-to-source mapping.
    maps: HashMap<String, Arc<LineMap>>,
}

fn caches() -> &'static Mutex<Caches> {
    static CACHES: OnceLock<Mutex<Caches>> = OnceLock::new();
    CACHES.get_or_init(Mutex::default)
}

/// How JSX compiles, from the project's `tsconfig.json` as esbuild (and so
/// wrangler) reads it: `"jsx": "react-jsx"` / `"react-jsxdev"` is the
/// automatic runtime importing `<jsxImportSource>/jsx-runtime` (default
/// `react`); anything else is the classic runtime calling `jsxFactory` /
/// `jsxFragmentFactory` (default `React.createElement` / `React.Fragment`,
/// wrangler's `jsx_factory` / `jsx_fragment` defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Jsx {
    automatic: bool,
    import_source: Option<String>,
    factory: Option<String>,
    fragment: Option<String>,
}

impl Jsx {
    /// The settings of `root/tsconfig.json` (JSONC); defaults when it is
    /// missing or unreadable.
    pub(crate) fn from_tsconfig(root: &Path) -> Jsx {
        let Ok(text) = std::fs::read_to_string(root.join("tsconfig.json")) else {
            return Jsx::default();
        };
        let Ok(value) = json5::from_str::<serde_json::Value>(&text) else {
            return Jsx::default();
        };
        let options = &value["compilerOptions"];
        let text = |key: &str| options[key].as_str().map(str::to_string);
        Jsx {
            automatic: matches!(text("jsx").as_deref(), Some("react-jsx" | "react-jsxdev")),
            import_source: text("jsxImportSource"),
            factory: text("jsxFactory"),
            fragment: text("jsxFragmentFactory"),
        }
    }

    fn options(&self) -> JsxOptions {
        let mut options = JsxOptions::enable();
        if self.automatic {
            options.runtime = JsxRuntime::Automatic;
            options.import_source = self.import_source.clone();
        } else {
            options.runtime = JsxRuntime::Classic;
            options.pragma = Some(
                self.factory
                    .clone()
                    .unwrap_or_else(|| "React.createElement".into()),
            );
            options.pragma_frag = Some(
                self.fragment
                    .clone()
                    .unwrap_or_else(|| "React.Fragment".into()),
            );
        }
        options
    }
}

/// Whether a module needs transpiling before QuickJS can run it.
pub(crate) fn wants_transpile(name: &str) -> bool {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    matches!(ext, "ts" | "mts" | "cts" | "tsx" | "jsx")
}

/// The JavaScript for a TypeScript/JSX module (or, with `commonjs`, the body
/// of a CommonJS file, where a top-level `return` is allowed); syntax errors
/// name `file:line:col`.
///
/// With `lower_async`, `async` functions become generators driven through
/// `Promise.prototype.then` (`babelHelpers.asyncToGenerator`, defined by the
/// Node.js globals), so `AsyncLocalStorage` context survives `await`:
/// QuickJS resumes native `await` without any hook hearth could use.
pub(crate) fn transpile(
    name: &str,
    source: &Arc<[u8]>,
    lower_async: bool,
    commonjs: bool,
    jsx: &Jsx,
) -> Result<Arc<str>, String> {
    {
        let caches = caches().lock().expect("transpile cache poisoned");
        if let Some((from, lowered, code)) = caches.code.get(name) {
            if Arc::ptr_eq(from, source) && *lowered == lower_async {
                return Ok(code.clone());
            }
        }
    }
    let text = std::str::from_utf8(source).map_err(|_| format!("{name} is not valid UTF-8"))?;
    let (code, map) = run(name, text, lower_async, commonjs, jsx)?;
    let code: Arc<str> = Arc::from(code);
    let mut caches = caches().lock().expect("transpile cache poisoned");
    caches.code.insert(
        name.to_string(),
        (source.clone(), lower_async, code.clone()),
    );
    caches.maps.insert(name.to_string(), Arc::new(map));
    Ok(code)
}

/// `file:line:col: SyntaxError: message (help)` for an oxc diagnostic.
macro_rules! syntax_error {
    ($name:expr, $text:expr, $error:expr) => {{
        let error = $error;
        let offset = error
            .labels
            .first()
            .map(|l| l.offset() as usize)
            .unwrap_or(0);
        let (line, col) = line_col($text, offset);
        let mut message = format!("{}:{line}:{col}: SyntaxError: {}", $name, error.message);
        if let Some(help) = &error.help {
            message.push_str(&format!(" ({help})"));
        }
        message
    }};
}

fn run(
    name: &str,
    text: &str,
    lower_async: bool,
    commonjs: bool,
    jsx: &Jsx,
) -> Result<(String, LineMap), String> {
    let path = Path::new(name);
    let allocator = Allocator::default();
    let source_type = SourceType::from_path(path)
        .unwrap_or_default()
        .with_commonjs(commonjs);
    let parsed = Parser::new(&allocator, text, source_type).parse();
    if let Some(error) = parsed.diagnostics.iter().next() {
        return Err(syntax_error!(name, text, error));
    }
    let mut program = parsed.program;
    let semantic = SemanticBuilder::new().build(&program);
    let scoping = semantic.semantic.into_scoping();
    let mut options = TransformOptions::default();
    options.jsx = jsx.options();
    if lower_async {
        options.env.es2017.async_to_generator = true;
        options.helper_loader.mode = HelperLoaderMode::External;
    }
    let transformed =
        Transformer::new(&allocator, path, &options).build_with_scoping(scoping, &mut program);
    if let Some(error) = transformed.diagnostics.iter().next() {
        return Err(syntax_error!(name, text, error));
    }
    let printed = Codegen::new()
        .with_options(CodegenOptions {
            source_map_path: Some(PathBuf::from(name)),
            ..CodegenOptions::default()
        })
        .build(&program);
    let mut map: LineMap = printed
        .map
        .map(|m| {
            m.get_tokens()
                .map(|t| {
                    (
                        t.get_dst_line(),
                        t.get_dst_col(),
                        t.get_src_line(),
                        t.get_src_col(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    map.sort_unstable();
    Ok((printed.code, map))
}

/// The 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before, |i| &before[i + 1..])
        .chars()
        .count()
        + 1;
    (line, col)
}

/// Whether a `.js` file uses `import`/`export` (else it is CommonJS).
pub(crate) fn has_module_syntax(name: &str, source: &Arc<[u8]>) -> bool {
    {
        let caches = caches().lock().expect("transpile cache poisoned");
        if let Some((from, esm)) = caches.syntax.get(name) {
            if Arc::ptr_eq(from, source) {
                return *esm;
            }
        }
    }
    let esm = match std::str::from_utf8(source) {
        Ok(text) => {
            let allocator = Allocator::default();
            let parsed = Parser::new(&allocator, text, SourceType::mjs()).parse();
            parsed.module_record.has_module_syntax
        }
        Err(_) => false,
    };
    caches()
        .lock()
        .expect("transpile cache poisoned")
        .syntax
        .insert(name.to_string(), (source.clone(), esm));
    esm
}

/// Rewrites `name:line:col` positions of transpiled modules in a stack trace
/// (or any message) to positions in their original sources.
pub(crate) fn map_stack(text: &str) -> String {
    let caches = caches().lock().expect("transpile cache poisoned");
    if caches.maps.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        // The next `.ext:` of a transpiled kind.
        let next = [".ts:", ".mts:", ".cts:", ".tsx:", ".jsx:", ".js:", ".mjs:"]
            .iter()
            .filter_map(|m| rest.find(m).map(|i| (i, m.len())))
            .min();
        let Some((at, len)) = next else { break };
        let name_end = at + len - 1;
        let name_start = rest[..at]
            .rfind(|c: char| c.is_whitespace() || c == '(' || c == '"' || c == '\'')
            .map_or(0, |i| i + 1);
        let name = &rest[name_start..name_end];
        let after = &rest[name_end + 1..];
        let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let line_len = digits(after);
        if let (Some(map), true) = (caches.maps.get(name), line_len > 0) {
            let line: u32 = after[..line_len].parse().unwrap_or(0);
            let tail = &after[line_len..];
            let (col, col_len) = match tail.strip_prefix(':') {
                Some(c) if digits(c) > 0 => (c[..digits(c)].parse().unwrap_or(1), digits(c) + 1),
                _ => (1, 0),
            };
            if let Some((src_line, src_col)) = lookup(map, line, col) {
                out.push_str(&rest[..name_end]);
                if col_len > 0 {
                    out.push_str(&format!(":{src_line}:{src_col}"));
                } else {
                    out.push_str(&format!(":{src_line}"));
                }
                rest = &after[line_len + col_len..];
                continue 'scan;
            }
        }
        out.push_str(&rest[..name_end + 1]);
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The source position (1-based) of a generated position (1-based).
fn lookup(map: &LineMap, line: u32, col: u32) -> Option<(u32, u32)> {
    let (line, col) = (line.checked_sub(1)?, col.saturating_sub(1));
    let idx = map.partition_point(|&(l, c, _, _)| (l, c) <= (line, col));
    let token = if idx > 0 && map[idx - 1].0 == line {
        map[idx - 1]
    } else {
        // Before the first token of the line: take the line's first token.
        *map.get(idx).filter(|t| t.0 == line)?
    };
    Some((token.2 + 1, token.3 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_types_and_maps_lines() {
        let src = "import type { X } from './x';\ninterface A { a: number }\n\nexport function f(a: number): number {\n  throw new Error('boom ' + a);\n}\n";
        let (code, map) = run("src/a.ts", src, false, false, &Jsx::default()).unwrap();
        assert!(!code.contains("interface"));
        assert!(!code.contains("./x"));
        let throw_line = code.lines().position(|l| l.contains("throw")).unwrap() as u32 + 1;
        let (line, _) = lookup(&map, throw_line, 3).unwrap();
        assert_eq!(line, 5);
    }

    #[test]
    fn syntax_errors_name_file_line_col() {
        let err = run(
            "src/bad.ts",
            "const a = 1;\nlet x: = 2;\n",
            false,
            false,
            &Jsx::default(),
        )
        .unwrap_err();
        assert!(err.starts_with("src/bad.ts:2:"), "{err}");
    }

    #[test]
    fn commonjs_bodies_keep_top_level_return_and_lower_await() {
        let src = "if (module.loaded) return;\nexports.f = async function () { await g(); };\n";
        let (code, _) = run("node_modules/p/index.js", src, true, true, &Jsx::default()).unwrap();
        assert!(code.contains("return;"), "{code}");
        assert!(code.contains("babelHelpers.asyncToGenerator"), "{code}");
        assert!(!code.contains("await"), "{code}");
    }
}
