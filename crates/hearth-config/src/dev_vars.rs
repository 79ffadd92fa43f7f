//! `.dev.vars` / `.env` files: local secrets in dotenv syntax.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::ConfigError;

/// Loads local secrets for `wrangler dev`-style runs, as wrangler does:
///
/// * with `env = Some(name)`, `.dev.vars.<name>` is used if it exists,
///   otherwise `.dev.vars`;
/// * if no `.dev.vars` file exists at all, the `.env` family is merged instead
///   (later files win): `.env`, `.env.local`, then with an environment
///   `.env.<name>` and `.env.<name>.local`;
/// * no file at all yields an empty map.
///
/// Syntax is dotenv's: `KEY=value`, an optional `export ` prefix, `#`
/// comments, blank lines, and single-, double- or back-quoted values (double
/// quotes understand `\n`, `\r`, `\t`, `\"` and `\\`; quoted values may span
/// lines). Later assignments of the same key win.
pub fn load_dev_vars(
    root: &Path,
    env: Option<&str>,
) -> Result<BTreeMap<String, String>, ConfigError> {
    if let Some(path) = dev_vars_candidates(root, env).find(|p| p.is_file()) {
        return read_dotenv(&path);
    }
    let mut vars = BTreeMap::new();
    for path in env_candidates(root, env).filter(|p| p.is_file()) {
        vars.extend(read_dotenv(&path)?);
    }
    Ok(vars)
}

/// Every file [`load_dev_vars`] may read for `env`, existing or not (what
/// `hearth dev` watches: creating one changes the secrets too).
pub fn dev_vars_files(root: &Path, env: Option<&str>) -> Vec<PathBuf> {
    dev_vars_candidates(root, env)
        .chain(env_candidates(root, env))
        .collect()
}

/// `.dev.vars.<env>` then `.dev.vars`: the first that exists is used.
fn dev_vars_candidates<'a>(
    root: &'a Path,
    env: Option<&'a str>,
) -> impl Iterator<Item = PathBuf> + 'a {
    env.map(|env| root.join(format!(".dev.vars.{env}")))
        .into_iter()
        .chain(std::iter::once(root.join(".dev.vars")))
}

/// The `.env` family, merged in this order when no `.dev.vars` exists.
fn env_candidates<'a>(root: &'a Path, env: Option<&'a str>) -> impl Iterator<Item = PathBuf> + 'a {
    let mut names = vec![".env".to_string(), ".env.local".to_string()];
    if let Some(env) = env {
        names.push(format!(".env.{env}"));
        names.push(format!(".env.{env}.local"));
    }
    names.into_iter().map(move |n| root.join(n))
}

fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_dotenv(&text).map_err(|(line, message)| ConfigError::DevVars {
        path: PathBuf::from(path),
        line,
        message,
    })
}

/// Parses dotenv text; errors carry a one-based line number.
pub(crate) fn parse_dotenv(text: &str) -> Result<BTreeMap<String, String>, (usize, String)> {
    let mut vars = BTreeMap::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line_no = i + 1;
        let line = lines[i].trim_start_matches('\u{feff}').trim();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = match line.strip_prefix("export") {
            Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
            _ => line,
        };
        let Some(eq) = line.find('=') else {
            return Err((
                line_no,
                format!("expected KEY=value, found `{line}` (comment it out with `#` or add `=`)"),
            ));
        };
        let key = line[..eq].trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err((
                line_no,
                format!("invalid variable name `{key}` (use letters, digits and `_`)"),
            ));
        }
        let rest = line[eq + 1..].trim_start();
        let value = match rest.chars().next() {
            Some(quote @ ('"' | '\'' | '`')) => {
                // The value runs to the matching unescaped quote, possibly on a later line.
                let mut body = rest[1..].to_string();
                loop {
                    if let Some(end) = closing_quote(&body, quote) {
                        body.truncate(end);
                        break;
                    }
                    if i >= lines.len() {
                        return Err((
                            line_no,
                            format!("value of `{key}` has no closing {quote} (add one)"),
                        ));
                    }
                    body.push('\n');
                    body.push_str(lines[i]);
                    i += 1;
                }
                if quote == '"' {
                    unescape(&body)
                } else {
                    body
                }
            }
            _ => rest.split('#').next().unwrap_or("").trim().to_string(),
        };
        vars.insert(key.to_string(), value);
    }
    Ok(vars)
}

fn closing_quote(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quote == '"' {
            escaped = true;
        } else if c == quote {
            return Some(i);
        }
    }
    None
}

fn unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
