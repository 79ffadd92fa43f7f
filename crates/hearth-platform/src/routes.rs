//! Which worker a request goes to: its `routes` patterns (host and path,
//! the most specific match wins), else `<worker>.<base domain>` for a
//! worker that claims no route.

/// A route pattern, parsed: `example.com/api/*`, `*.example.com/*`, or a
/// custom domain (a hostname, every path of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The hostname, lowercase; with `wildcard`, the suffix after the `*`.
    host: String,
    wildcard_host: bool,
    /// The path, without its trailing `*`.
    path: String,
    wildcard_path: bool,
}

impl Pattern {
    /// Parses `pattern` (checked by the configuration loader: a `*` only
    /// leads the hostname or ends the path). A custom domain, or a pattern
    /// without a path, covers every path of its host.
    pub fn parse(pattern: &str) -> Pattern {
        let bare = pattern
            .strip_prefix("https://")
            .or_else(|| pattern.strip_prefix("http://"))
            .unwrap_or(pattern);
        let (host, path) = match bare.find('/') {
            Some(i) => (&bare[..i], &bare[i..]),
            None => (bare, "/*"),
        };
        let host = host.to_ascii_lowercase();
        let (host, wildcard_host) = match host.strip_prefix('*') {
            Some(rest) => (rest.to_string(), true),
            None => (host, false),
        };
        let (path, wildcard_path) = match path.strip_suffix('*') {
            Some(rest) => (rest.to_string(), true),
            None => (path.to_string(), false),
        };
        Pattern {
            host,
            wildcard_host,
            path,
            wildcard_path,
        }
    }

    /// The pattern in one spelling (scheme dropped, host lowercase), so two
    /// ways of writing one pattern are seen as the same.
    pub fn canonical(&self) -> String {
        format!(
            "{}{}{}{}",
            if self.wildcard_host { "*" } else { "" },
            self.host,
            self.path,
            if self.wildcard_path { "*" } else { "" }
        )
    }

    /// Whether a request for `host` (lowercase, no port) and `path` matches.
    pub fn matches(&self, host: &str, path: &str) -> bool {
        let host_ok = if self.wildcard_host {
            host.ends_with(&self.host)
        } else {
            host == self.host
        };
        let path_ok = if self.wildcard_path {
            path.starts_with(&self.path)
        } else {
            path == self.path
        };
        host_ok && path_ok
    }

    /// Orders matching patterns: an exact host beats a wildcard one, a
    /// longer host a shorter, then an exact path, then a longer path.
    fn specificity(&self) -> (bool, usize, bool, usize) {
        (
            !self.wildcard_host,
            self.host.len(),
            !self.wildcard_path,
            self.path.len(),
        )
    }
}

/// Every deployed worker's routes.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    /// Most specific first.
    routes: Vec<(Pattern, String)>,
    base_domain: String,
    /// Deployed workers that claim no route: they answer on their hostname.
    unrouted: std::collections::HashSet<String>,
}

impl RouteTable {
    /// A table of `(pattern, worker)` pairs; `unrouted` are the deployed
    /// workers without routes, answering on `<name>.<base_domain>`.
    pub fn new(
        routes: impl IntoIterator<Item = (String, String)>,
        unrouted: impl IntoIterator<Item = String>,
        base_domain: &str,
    ) -> RouteTable {
        let mut routes: Vec<(Pattern, String)> = routes
            .into_iter()
            .map(|(pattern, worker)| (Pattern::parse(&pattern), worker))
            .collect();
        routes.sort_by_key(|(p, _)| std::cmp::Reverse(p.specificity()));
        RouteTable {
            routes,
            base_domain: base_domain.trim_matches('.').to_ascii_lowercase(),
            unrouted: unrouted.into_iter().collect(),
        }
    }

    /// The worker serving `host` (a `Host` header: any port is ignored) and
    /// `path`.
    pub fn find(&self, host: &str, path: &str) -> Option<&str> {
        let host = strip_port(host).to_ascii_lowercase();
        if let Some((_, worker)) = self.routes.iter().find(|(p, _)| p.matches(&host, path)) {
            return Some(worker);
        }
        let name = host
            .strip_suffix(&self.base_domain)?
            .strip_suffix('.')
            .filter(|n| !n.is_empty() && !n.contains('.'))?;
        self.unrouted.get(name).map(String::as_str)
    }
}

/// `host:port` → `host` (IPv6 literals keep their brackets).
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        RouteTable::new(
            [
                ("example.com/*".to_string(), "site".to_string()),
                ("example.com/api/*".to_string(), "api".to_string()),
                ("*.example.com/*".to_string(), "subs".to_string()),
                ("shop.example.com".to_string(), "shop".to_string()),
            ],
            ["hello".to_string()],
            "localhost",
        )
    }

    #[test]
    fn the_most_specific_route_wins() {
        let t = table();
        assert_eq!(t.find("example.com", "/"), Some("site"));
        assert_eq!(t.find("example.com:8080", "/api/x"), Some("api"));
        assert_eq!(t.find("a.example.com", "/api/x"), Some("subs"));
        assert_eq!(t.find("shop.example.com", "/cart"), Some("shop"));
        assert_eq!(t.find("other.com", "/"), None);
    }

    #[test]
    fn workers_without_routes_answer_on_their_hostname() {
        let t = table();
        assert_eq!(t.find("hello.localhost:8080", "/"), Some("hello"));
        assert_eq!(t.find("HELLO.localhost", "/x"), Some("hello"));
        assert_eq!(t.find("site.localhost", "/"), None);
        assert_eq!(t.find("a.hello.localhost", "/"), None);
    }

    #[test]
    fn spellings_of_one_pattern_are_one_pattern() {
        assert_eq!(
            Pattern::parse("https://Example.com/api/*").canonical(),
            Pattern::parse("example.com/api/*").canonical()
        );
    }
}
