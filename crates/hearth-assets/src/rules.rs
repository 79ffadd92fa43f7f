//! `_redirects` and `_headers`: parsing with Cloudflare's limits (each
//! problem a warning naming the file and line, the line skipped, as
//! wrangler does) and matching with splats and `:placeholders`.

use regex::Regex;
use std::collections::HashMap;
use std::path::Path;

/// Longest line Cloudflare reads in `_headers` and `_redirects`.
pub const MAX_LINE_LENGTH: usize = 2000;
/// Most rules in `_headers`.
pub const MAX_HEADER_RULES: usize = 100;
/// Most static (no splat, no placeholder) rules in `_redirects`.
pub const MAX_STATIC_REDIRECT_RULES: usize = 2000;
/// Most dynamic rules in `_redirects`.
pub const MAX_DYNAMIC_REDIRECT_RULES: usize = 100;

const PERMITTED_STATUS: [u16; 6] = [200, 301, 302, 303, 307, 308];

/// A compiled rule path: `*` captures `splat`, `:name` captures a segment
/// (in a host, a label).
#[derive(Debug)]
struct Pattern {
    regex: Regex,
    /// Rules written `https://host/path` match against `https://host/path`.
    cross_host: bool,
}

impl Pattern {
    fn compile(rule: &str) -> Option<Pattern> {
        let cross_host = rule.starts_with("https://");
        let host_end = if cross_host {
            rule["https://".len()..]
                .find('/')
                .map(|i| i + "https://".len())
                .unwrap_or(rule.len())
        } else {
            0
        };
        let mut re = String::from("^");
        let mut chars = rule.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '*' {
                re.push_str("(?P<splat>.*)");
                continue;
            }
            if c == ':' && chars.peek().is_some_and(|(_, n)| n.is_ascii_alphabetic()) {
                let mut name = String::new();
                while let Some((_, n)) = chars.peek().copied() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                let class = if i < host_end { "[^/.]+" } else { "[^/]+" };
                re.push_str(&format!("(?P<{name}>{class})"));
                continue;
            }
            re.push_str(&regex::escape(&c.to_string()));
        }
        re.push('$');
        // A repeated placeholder name does not compile: the rule is skipped,
        // as on Cloudflare.
        Regex::new(&re)
            .ok()
            .map(|regex| Pattern { regex, cross_host })
    }

    /// The captures when `host`/`path` match, as `(name, value)` pairs.
    fn captures(&self, host: &str, path: &str) -> Option<Vec<(String, String)>> {
        let subject;
        let text = if self.cross_host {
            subject = format!("https://{host}{path}");
            subject.as_str()
        } else {
            path
        };
        let caps = self.regex.captures(text)?;
        Some(
            self.regex
                .capture_names()
                .flatten()
                .filter_map(|name| {
                    caps.name(name)
                        .map(|m| (name.to_string(), m.as_str().to_string()))
                })
                .collect(),
        )
    }
}

/// Replaces every `:name` with its captured value.
fn replace(template: &str, captures: &[(String, String)]) -> String {
    let mut out = template.to_string();
    for (name, value) in captures {
        out = out.replace(&format!(":{name}"), value);
    }
    out
}

/// Validates a rule's path the way Cloudflare does (see `validateUrl` in
/// workers-shared): relative paths, or `https://host/path` when absolute
/// URLs are allowed. Returns the path to match, or why it is rejected.
fn validate_url(token: &str, only_relative: bool, keep_query: bool) -> Result<String, String> {
    if let Some(rest) = token.strip_prefix("https://") {
        let rest = rest.trim_start_matches('/');
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !host.is_empty() {
            if only_relative {
                return Err(format!(
                    "Only relative URLs are allowed. Skipping absolute URL {token}."
                ));
            }
            if host
                .rsplit_once(':')
                .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(format!(
                    "Specifying ports is not supported. Skipping absolute URL {token}."
                ));
            }
            return Ok(format!(
                "https://{host}{}",
                clean_path(&format!("/{path}"), keep_query)
            ));
        }
    }
    if token.starts_with('/') {
        return Ok(clean_path(token, keep_query));
    }
    if only_relative {
        return Ok(clean_path(&format!("/{token}"), keep_query));
    }
    Err("URLs should either be relative (e.g. begin with a forward-slash), or use HTTPS (e.g. begin with \"https://\").".into())
}

/// The path part of a rule (with its query and fragment when `keep_query`).
fn clean_path(path: &str, keep_query: bool) -> String {
    if keep_query {
        return path.to_string();
    }
    let end = path.find(['?', '#']).unwrap_or(path.len());
    path[..end].to_string()
}

fn has_host(token: &str) -> bool {
    token
        .strip_prefix("https://")
        .map(|r| r.trim_start_matches('/'))
        .is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
}

fn is_dynamic(from: &str) -> bool {
    from.contains('*')
        || from
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b':' && w[1].is_ascii_alphabetic())
}

/// One `_redirects` rule.
#[derive(Debug)]
struct Redirect {
    to: String,
    status: u16,
    line: usize,
}

/// The parsed `_redirects` file.
#[derive(Debug, Default)]
pub(crate) struct Redirects {
    /// Exact-path rules, looked up directly.
    fixed: HashMap<String, Redirect>,
    /// Rules with splats or placeholders, in file order.
    dynamic: Vec<(Pattern, Redirect)>,
}

/// Where a matching redirect sends the request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RedirectMatch {
    pub(crate) to: String,
    pub(crate) status: u16,
}

impl Redirects {
    /// Parses `text` (the file at `file`), pushing a warning per skipped line.
    pub(crate) fn parse(
        text: &str,
        file: &Path,
        html_handling_on: bool,
        warnings: &mut Vec<String>,
    ) -> Redirects {
        let mut out = Redirects::default();
        let (mut fixed_count, mut dynamic_count, mut fixed_allowed) = (0, 0, true);
        let mut seen = std::collections::HashSet::new();
        let lines: Vec<&str> = text.split('\n').collect();
        let mut warn = |line: usize, message: String| {
            warnings.push(format!("{}:{line}: {message}", file.display()));
        };
        for (i, raw) in lines.iter().enumerate() {
            let number = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.len() > MAX_LINE_LENGTH {
                warn(number, format!("ignoring the line: it is longer than the maximum of {MAX_LINE_LENGTH} characters"));
                continue;
            }
            // An inline comment starts at a `#` after whitespace; a `#` in
            // a URL is its fragment.
            let without_comment = match line.find(" #").or_else(|| line.find("\t#")) {
                Some(at) => &line[..at],
                None => line,
            };
            let tokens: Vec<&str> = without_comment.split_whitespace().collect();
            if tokens.len() < 2 || tokens.len() > 3 {
                warn(number, format!("expected 2 or 3 whitespace-separated tokens (from, to, status), got {}; line ignored", tokens.len()));
                continue;
            }
            let from = match validate_url(tokens[0], true, false) {
                Ok(f) => f,
                Err(m) => {
                    warn(number, m);
                    continue;
                }
            };
            if fixed_allowed && !is_dynamic(&from) {
                fixed_count += 1;
                if fixed_count > MAX_STATIC_REDIRECT_RULES {
                    warn(number, format!("more than {MAX_STATIC_REDIRECT_RULES} static rules (Cloudflare's maximum); line ignored"));
                    continue;
                }
            } else {
                dynamic_count += 1;
                fixed_allowed = false;
                if dynamic_count > MAX_DYNAMIC_REDIRECT_RULES {
                    warn(number, format!("more than {MAX_DYNAMIC_REDIRECT_RULES} dynamic rules (Cloudflare's maximum); this line and the {} after it are ignored", lines.len() - i - 1));
                    break;
                }
            }
            let to = match validate_url(tokens[1], false, true) {
                Ok(t) => t,
                Err(m) => {
                    warn(number, m);
                    continue;
                }
            };
            let status_text = tokens.get(2).copied().unwrap_or("302");
            let status = match status_text.parse::<u16>() {
                Ok(s) if PERMITTED_STATUS.contains(&s) => s,
                _ => {
                    warn(number, format!("valid status codes are 200, 301, 302 (default), 303, 307 or 308, got {status_text}; line ignored"));
                    continue;
                }
            };
            let to_index = to.ends_with("/index") || to.ends_with("/index.html");
            if !has_host(&to)
                && to_index
                && (from.ends_with("/*") || (from.ends_with('/') && html_handling_on))
            {
                warn(number, "infinite loop: html_handling strips `/index` and `.html` from the target, which brings the request back to this rule; line ignored".into());
                continue;
            }
            if !seen.insert(from.clone()) {
                warn(
                    number,
                    format!("duplicate rule for path {from}; line ignored"),
                );
                continue;
            }
            if status == 200 && has_host(&to) {
                warn(number, format!("proxy (200) rules can only point to relative paths, got {to}; line ignored"));
                continue;
            }
            let rule = Redirect {
                to,
                status,
                line: number,
            };
            if is_dynamic(&from) {
                match Pattern::compile(&from) {
                    Some(p) => out.dynamic.push((p, rule)),
                    None => warn(number, format!("cannot use the path {from} (a placeholder name is repeated?); line ignored")),
                }
            } else {
                out.fixed.insert(from, rule);
            }
        }
        out
    }

    /// The first rule matching `host` + `path` (raw, percent-encoded).
    pub(crate) fn find(&self, host: &str, path: &str) -> Option<RedirectMatch> {
        let with_host = self.fixed.get(&format!("https://{host}{path}"));
        let without = self.fixed.get(path);
        let fixed = match (with_host, without) {
            (Some(a), Some(b)) => Some(if a.line < b.line { a } else { b }),
            (a, b) => a.or(b),
        };
        if let Some(rule) = fixed {
            return Some(RedirectMatch {
                to: rule.to.clone(),
                status: rule.status,
            });
        }
        self.dynamic.iter().find_map(|(pattern, rule)| {
            let captures = pattern.captures(host, path)?;
            let target = replace(&rule.to, &captures);
            let target = target.trim();
            let to = if target.contains("://") {
                target.to_string()
            } else {
                collapse_slashes(target)
            };
            Some(RedirectMatch {
                to,
                status: rule.status,
            })
        })
    }
}

fn collapse_slashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

/// One `_headers` rule.
#[derive(Debug)]
struct HeaderRule {
    pattern: Pattern,
    set: Vec<(String, String)>,
    unset: Vec<String>,
}

/// The parsed `_headers` file.
#[derive(Debug, Default)]
pub(crate) struct Headers {
    rules: Vec<HeaderRule>,
}

impl Headers {
    /// Parses `text` (the file at `file`), pushing a warning per skipped line.
    pub(crate) fn parse(text: &str, file: &Path, warnings: &mut Vec<String>) -> Headers {
        struct Open {
            path: String,
            line: usize,
            set: Vec<(String, String)>,
            unset: Vec<String>,
        }
        let mut out = Headers::default();
        let mut warn = |line: usize, message: String| {
            warnings.push(format!("{}:{line}: {message}", file.display()));
        };
        let finish =
            |rule: Option<Open>, out: &mut Headers, warn: &mut dyn FnMut(usize, String)| {
                let Some(rule) = rule else { return };
                if rule.set.is_empty() && rule.unset.is_empty() {
                    warn(
                        rule.line,
                        format!("no headers given for {}; rule ignored", rule.path),
                    );
                    return;
                }
                match Pattern::compile(&rule.path) {
                    Some(pattern) => out.rules.push(HeaderRule {
                        pattern,
                        set: rule.set,
                        unset: rule.unset,
                    }),
                    None => warn(
                        rule.line,
                        format!(
                        "cannot use the path {} (a placeholder name is repeated?); rule ignored",
                        rule.path
                    ),
                    ),
                }
            };
        let lines: Vec<&str> = text.split('\n').collect();
        let mut rule: Option<Open> = None;
        let mut skipping = false;
        for (i, raw) in lines.iter().enumerate() {
            let number = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.len() > MAX_LINE_LENGTH {
                warn(number, format!("ignoring the line: it is longer than the maximum of {MAX_LINE_LENGTH} characters"));
                continue;
            }
            let is_path = line.starts_with('/')
                || line.split_once("://").is_some_and(|(scheme, _)| {
                    !scheme.is_empty() && !scheme.contains(char::is_whitespace)
                });
            if is_path {
                skipping = false;
                finish(rule.take(), &mut out, &mut warn);
                if out.rules.len() >= MAX_HEADER_RULES {
                    warn(number, format!("more than {MAX_HEADER_RULES} rules (Cloudflare's maximum); this line and the {} after it are ignored", lines.len() - i - 1));
                    break;
                }
                let path = match validate_url(line, false, false) {
                    Ok(p) => p,
                    Err(m) => {
                        warn(number, m);
                        skipping = true;
                        continue;
                    }
                };
                let wildcards = path.matches('*').count();
                let splat = path.match_indices(":splat").any(|(at, m)| {
                    !path[at + m.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                });
                if wildcards > 1 || (wildcards == 1 && splat) {
                    warn(number, format!("only one wildcard (or `:splat`) is allowed per rule; use a named placeholder (e.g. :project); skipping {path}"));
                    skipping = true;
                    continue;
                }
                rule = Some(Open {
                    path,
                    line: number,
                    set: Vec::new(),
                    unset: Vec::new(),
                });
                continue;
            }
            if skipping {
                continue;
            }
            let Some(open) = rule.as_mut() else {
                warn(
                    number,
                    "expected a path beginning with a forward slash before any header".into(),
                );
                continue;
            };
            let Some((name, value)) = line.split_once(':') else {
                if let Some(name) = line.strip_prefix("! ") {
                    open.unset.push(name.trim().to_ascii_lowercase());
                } else {
                    warn(
                        number,
                        "expected a colon-separated header pair (e.g. name: value)".into(),
                    );
                }
                continue;
            };
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim();
            if name.contains(' ') {
                warn(number, "header names cannot include spaces".into());
            } else if name.is_empty() {
                warn(number, "no header name given".into());
            } else if value.is_empty() {
                warn(number, "no header value given".into());
            } else if let Some(existing) = open.set.iter_mut().find(|(n, _)| *n == name) {
                existing.1 = format!("{}, {value}", existing.1);
            } else {
                open.set.push((name, value.to_string()));
            }
        }
        finish(rule, &mut out, &mut warn);
        out
    }

    /// Applies every matching rule, in file order, to `headers`: removals
    /// first, then values (the first rule to set a header replaces it,
    /// later ones append).
    pub(crate) fn apply(&self, host: &str, path: &str, headers: &mut http::HeaderMap) {
        let mut set_here: Vec<String> = Vec::new();
        for rule in &self.rules {
            let Some(captures) = rule.pattern.captures(host, path) else {
                continue;
            };
            for name in &rule.unset {
                headers.remove(name.as_str());
            }
            for (name, value) in &rule.set {
                let value = replace(value, &captures);
                let (Ok(name), Ok(value)) = (
                    http::HeaderName::from_bytes(name.as_bytes()),
                    http::HeaderValue::from_str(&value),
                ) else {
                    continue;
                };
                if set_here.iter().any(|n| n == name.as_str()) {
                    headers.append(name, value);
                } else {
                    set_here.push(name.as_str().to_string());
                    headers.insert(name, value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirects(text: &str) -> (Redirects, Vec<String>) {
        let mut w = Vec::new();
        let r = Redirects::parse(text, Path::new("public/_redirects"), true, &mut w);
        (r, w)
    }

    #[test]
    fn redirect_splats_placeholders_and_statuses() {
        let (r, w) = redirects(
            "# comment\n/old /new 301\n/blog/:year/:slug /posts/:year-:slug\n/docs/* /documentation/:splat 308\n/users/:id /profile.html 200\n",
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            r.find("x", "/old"),
            Some(RedirectMatch {
                to: "/new".into(),
                status: 301
            })
        );
        assert_eq!(
            r.find("x", "/blog/2024/hello"),
            Some(RedirectMatch {
                to: "/posts/2024-hello".into(),
                status: 302
            })
        );
        assert_eq!(
            r.find("x", "/docs/a/b"),
            Some(RedirectMatch {
                to: "/documentation/a/b".into(),
                status: 308
            })
        );
        assert_eq!(
            r.find("x", "/users/7"),
            Some(RedirectMatch {
                to: "/profile.html".into(),
                status: 200
            })
        );
        assert_eq!(r.find("x", "/users/7/x"), None);
    }

    #[test]
    fn redirect_problems_name_the_line() {
        let long = format!("/a /{}", "b".repeat(2100));
        let (r, w) = redirects(&format!(
            "/a\n/b /c 404\n/c /d\n/c /e\n{long}\n/x/* /index.html\nhttps://ext.example/x /y\n"
        ));
        assert_eq!(w.len(), 6, "{w:?}");
        assert!(w[0].starts_with("public/_redirects:1: expected 2 or 3"));
        assert!(w[1].starts_with("public/_redirects:2: valid status codes"));
        assert!(w[2].starts_with("public/_redirects:4: duplicate"));
        assert!(w[3].starts_with("public/_redirects:5: ignoring the line"));
        assert!(w[4].starts_with("public/_redirects:6: infinite loop"));
        assert!(w[5].starts_with("public/_redirects:7: Only relative"));
        assert_eq!(r.find("h", "/c").unwrap().to, "/d");
    }

    #[test]
    fn redirect_rule_limits() {
        let dynamic: String = (0..101).map(|i| format!("/d{i}/* /x\n")).collect();
        let (_, w) = redirects(&dynamic);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains(":101: more than 100 dynamic rules"), "{w:?}");
        let fixed: String = (0..2001).map(|i| format!("/s{i} /x\n")).collect();
        let (_, w) = redirects(&fixed);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains(":2001: more than 2000 static rules"), "{w:?}");
    }

    #[test]
    fn headers_set_append_unset_and_placeholders() {
        let mut w = Vec::new();
        let h = Headers::parse(
            "/*\n  X-Frame-Options: DENY\n  X-Multi: a\n/static/:file\n  X-File: :file\n  X-Multi: b\n  ! X-Frame-Options\n",
            Path::new("_headers"),
            &mut w,
        );
        assert!(w.is_empty(), "{w:?}");
        let mut map = http::HeaderMap::new();
        map.insert("x-multi", "old".parse().unwrap());
        h.apply("h", "/static/app.js", &mut map);
        assert_eq!(map.get("x-file").unwrap(), "app.js");
        assert!(map.get("x-frame-options").is_none());
        let multi: Vec<_> = map.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["a", "b"]);
    }

    #[test]
    fn headers_problems_and_limit() {
        let mut w = Vec::new();
        Headers::parse(
            "X-A: b\n/a\n  novalue\n/b/*/*\n  X-C: d\n",
            Path::new("_headers"),
            &mut w,
        );
        assert!(w[0].starts_with("_headers:1: expected a path"), "{w:?}");
        assert!(w[1].starts_with("_headers:3: expected a colon"), "{w:?}");
        assert!(w[2].starts_with("_headers:2: no headers given"), "{w:?}");
        assert!(w[3].starts_with("_headers:4: only one wildcard"), "{w:?}");
        let many: String = (0..101).map(|i| format!("/p{i}\n  X-A: 1\n")).collect();
        let mut w = Vec::new();
        let h = Headers::parse(&many, Path::new("_headers"), &mut w);
        assert_eq!(h.rules.len(), 100);
        assert!(w[0].contains(":201: more than 100 rules"), "{w:?}");
    }
}
