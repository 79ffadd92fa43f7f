//! The `assets` key (Workers Static Assets): `directory`, `binding`,
//! `html_handling`, `not_found_handling` and `run_worker_first`, validated
//! as wrangler validates them.

use std::path::PathBuf;

use crate::node::{Kind, Node};
use crate::{resolve, Loader, Result};

/// Most `run_worker_first` route patterns Cloudflare accepts.
pub const MAX_ROUTE_RULES: usize = 100;
/// Longest `run_worker_first` route pattern Cloudflare accepts (characters).
pub const MAX_ROUTE_RULE_LENGTH: usize = 100;

/// `[assets]`: the folder of static files served in front of the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assets {
    /// The folder, joined onto the project root.
    pub directory: PathBuf,
    /// Name of the `env` binding (`env.ASSETS.fetch()`), if any.
    pub binding: Option<String>,
    /// `html_handling`: trailing slashes and `.html` extensions.
    pub html_handling: HtmlHandling,
    /// `not_found_handling`: what a request matching no file gets.
    pub not_found_handling: NotFoundHandling,
    /// `run_worker_first`: which requests go to the worker before assets.
    pub run_worker_first: RunWorkerFirst,
}

/// `assets.html_handling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HtmlHandling {
    /// `auto-trailing-slash` (default): `/file.html` at `/file`,
    /// `/folder/index.html` at `/folder/`.
    #[default]
    AutoTrailingSlash,
    /// `force-trailing-slash`: every HTML page at a path ending in `/`.
    ForceTrailingSlash,
    /// `drop-trailing-slash`: every HTML page at a path without `/` at the end.
    DropTrailingSlash,
    /// `none`: files only at their exact path.
    None,
}

/// `assets.not_found_handling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotFoundHandling {
    /// `none` (default): a plain 404, or the worker when there is one.
    #[default]
    None,
    /// `404-page`: the nearest `404.html` up the path, status 404.
    NotFoundPage,
    /// `single-page-application`: `/index.html`, status 200.
    SinglePageApplication,
}

/// `assets.run_worker_first`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RunWorkerFirst {
    /// `false` (default): a matching asset is served without the worker.
    #[default]
    Never,
    /// `true`: every request goes to the worker, which may call `env.ASSETS`.
    Always,
    /// Route patterns (`/api/*`) that go to the worker first, and negated
    /// patterns (`!/api/docs/*`) that never do.
    Routes {
        /// Patterns sending a request to the worker, e.g. `/api/*`.
        worker: Vec<String>,
        /// Patterns (without their `!`) sending a request to the assets.
        assets: Vec<String>,
    },
}

impl Loader<'_> {
    pub(crate) fn assets(
        &mut self,
        node: &Node,
        key: &str,
        root: &std::path::Path,
    ) -> Result<Assets> {
        self.fields(
            node,
            key,
            &[
                ("directory", None),
                ("binding", None),
                ("html_handling", None),
                ("not_found_handling", None),
                ("run_worker_first", None),
            ],
        )?;
        let directory = self.req_string(
            node,
            key,
            "directory",
            "the folder of static files, e.g. directory = \"./public\"",
        )?;
        let html_handling = match self.opt_string(node, key, "html_handling")? {
            None => HtmlHandling::default(),
            Some(v) => match v.as_str() {
                "auto-trailing-slash" => HtmlHandling::AutoTrailingSlash,
                "force-trailing-slash" => HtmlHandling::ForceTrailingSlash,
                "drop-trailing-slash" => HtmlHandling::DropTrailingSlash,
                "none" => HtmlHandling::None,
                other => {
                    return Err(self.invalid(
                        node.get("html_handling").unwrap_or(node),
                        &format!("{key}.html_handling"),
                        format!(
                            "`{other}` is not a valid value; use \"auto-trailing-slash\", \
                             \"force-trailing-slash\", \"drop-trailing-slash\" or \"none\""
                        ),
                    ))
                }
            },
        };
        let not_found_handling = match self.opt_string(node, key, "not_found_handling")? {
            None => NotFoundHandling::default(),
            Some(v) => match v.as_str() {
                "none" => NotFoundHandling::None,
                "404-page" => NotFoundHandling::NotFoundPage,
                "single-page-application" => NotFoundHandling::SinglePageApplication,
                other => {
                    return Err(self.invalid(
                        node.get("not_found_handling").unwrap_or(node),
                        &format!("{key}.not_found_handling"),
                        format!(
                            "`{other}` is not a valid value; use \"single-page-application\", \
                             \"404-page\" or \"none\""
                        ),
                    ))
                }
            },
        };
        let run_worker_first = match node.get("run_worker_first") {
            None => RunWorkerFirst::Never,
            Some(Node {
                kind: Kind::Bool(b),
                ..
            }) => {
                if *b {
                    RunWorkerFirst::Always
                } else {
                    RunWorkerFirst::Never
                }
            }
            Some(
                v @ Node {
                    kind: Kind::Array(_),
                    ..
                },
            ) => {
                let rules_key = format!("{key}.run_worker_first");
                let rules = self.strings(v, &rules_key)?;
                route_rules(&rules).map_err(|message| self.invalid(v, &rules_key, message))?
            }
            Some(other) => {
                return Err(self.invalid(
                    other,
                    &format!("{key}.run_worker_first"),
                    format!(
                        "expected true, false or an array of route patterns such as \
                         [\"/api/*\", \"!/api/docs/*\"], found {}",
                        other.type_name()
                    ),
                ))
            }
        };
        Ok(Assets {
            directory: resolve(root, &directory),
            binding: self.opt_string(node, key, "binding")?,
            html_handling,
            not_found_handling,
            run_worker_first,
        })
    }
}

/// Splits `run_worker_first` patterns into worker and (negated) asset
/// routes, with Cloudflare's checks: at least one positive rule, at most
/// [`MAX_ROUTE_RULES`], each shorter than [`MAX_ROUTE_RULE_LENGTH`], no
/// duplicates, none made redundant by a `*` rule.
fn route_rules(input: &[String]) -> std::result::Result<RunWorkerFirst, String> {
    if input.is_empty() {
        return Err(
            "no route patterns given; use at least one, e.g. [\"/api/*\"], or false".into(),
        );
    }
    if input.len() > MAX_ROUTE_RULES {
        return Err(format!(
            "{} route patterns given; Cloudflare accepts at most {MAX_ROUTE_RULES}",
            input.len()
        ));
    }
    let (mut worker, mut assets, mut raw_assets, mut problems) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for rule in input {
        if let Some(rest) = rule.strip_prefix('!') {
            if rest.starts_with('/') {
                assets.push(rest.to_string());
                raw_assets.push(rule.clone());
            } else {
                problems.push(format!("'{rule}': negative rules must start with '!/'"));
            }
        } else if rule.starts_with('/') {
            worker.push(rule.clone());
        } else {
            problems.push(format!("'{rule}': rules must start with '/' or '!/'"));
        }
    }
    if worker.is_empty() && !assets.is_empty() {
        return Err(
            "only negative (`!`) route patterns given; add at least one pattern that sends \
             requests to the worker, e.g. \"/*\""
                .into(),
        );
    }
    for group in [&worker, &raw_assets] {
        let mut seen = std::collections::HashSet::new();
        for rule in group.iter() {
            if rule.len() > MAX_ROUTE_RULE_LENGTH {
                problems.push(format!(
                    "'{rule}': every pattern must be shorter than {MAX_ROUTE_RULE_LENGTH} characters"
                ));
            }
            if !seen.insert(rule) {
                problems.push(format!(
                    "'{rule}': duplicate pattern; patterns must be unique"
                ));
            }
            if let Some(prefix) = rule.strip_suffix('*') {
                for other in group.iter() {
                    if other != rule && other.starts_with(prefix) {
                        problems.push(format!("'{other}': pattern '{rule}' makes it redundant"));
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(RunWorkerFirst::Routes { worker, assets })
    } else {
        Err(format!("invalid route patterns: {}", problems.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[&str]) -> std::result::Result<RunWorkerFirst, String> {
        route_rules(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn splits_negations() {
        assert_eq!(
            rules(&["/api/*", "!/api/docs/*"]).unwrap(),
            RunWorkerFirst::Routes {
                worker: vec!["/api/*".into()],
                assets: vec!["/api/docs/*".into()],
            }
        );
    }

    #[test]
    fn rejects_what_cloudflare_rejects() {
        assert!(rules(&[]).unwrap_err().contains("no route patterns"));
        assert!(rules(&["!/a"]).unwrap_err().contains("only negative"));
        assert!(rules(&["api"]).unwrap_err().contains("must start with '/'"));
        assert!(rules(&["/a", "!b"]).unwrap_err().contains("'!b'"));
        assert!(rules(&["/a/*", "/a/b"]).unwrap_err().contains("redundant"));
        assert!(rules(&["/a", "/a"]).unwrap_err().contains("duplicate"));
        let long = format!("/{}", "x".repeat(120));
        assert!(rules(&[long.as_str()])
            .unwrap_err()
            .contains("shorter than"));
    }
}
