//! The origin database of a pool, read from a PostgreSQL connection string
//! (`localConnectionString` or `CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<BINDING>`).

use percent_encoding::percent_decode_str;
use std::fmt;
use url::Url;

/// Where and as whom the pool connects.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) password: Option<String>,
    pub(crate) database: String,
}

/// `host:port/database`, never the password (it goes into logs and errors).
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}/{}", self.host, self.port, self.database)
        } else {
            write!(f, "{}:{}/{}", self.host, self.port, self.database)
        }
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({} as {})", self, self.user)
    }
}

/// Parses `postgres://user:password@host:port/database?sslmode=disable`.
pub(crate) fn parse(text: &str) -> Result<Origin, String> {
    let url = Url::parse(text.trim())
        .map_err(|e| format!("`{}` is not a connection string URL ({e})", redact(text)))?;
    match url.scheme() {
        "postgres" | "postgresql" => {}
        "mysql" => return Err(
            "mysql:// origins are not supported: hearth's Hyperdrive pool speaks PostgreSQL only"
                .to_string(),
        ),
        other => {
            return Err(format!(
                "unsupported scheme `{other}://`; use postgres://user:password@host:port/database"
            ))
        }
    }
    let host = match url.host_str() {
        Some(h) if !h.is_empty() => h.trim_start_matches('[').trim_end_matches(']'),
        _ => {
            return Err(
                "the connection string has no host (Unix sockets are not supported); \
                 use e.g. postgres://user:password@127.0.0.1:5432/database"
                    .to_string(),
            )
        }
    };
    let decode = |part: &str, what: &str| {
        percent_decode_str(part)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| format!("the {what} in the connection string is not UTF-8"))
    };
    let user = decode(url.username(), "user")?;
    if user.is_empty() {
        return Err(
            "the connection string has no user; use postgres://user:password@host:port/database"
                .to_string(),
        );
    }
    let password = url.password().map(|p| decode(p, "password")).transpose()?;
    let database = decode(url.path().trim_start_matches('/'), "database name")?;
    let database = if database.is_empty() {
        user.clone()
    } else {
        database
    };
    for (key, value) in url.query_pairs() {
        match (key.as_ref(), value.as_ref()) {
            ("sslmode", "disable" | "allow" | "prefer") => {}
            ("sslmode", mode) => {
                return Err(format!(
                    "sslmode={mode}: hearth's Hyperdrive pool connects to the database without \
                     TLS; use a database on this machine or a private network with sslmode=disable"
                ))
            }
            (other, _) => {
                return Err(format!(
                    "connection string parameter `{other}` is not supported by hearth's \
                     Hyperdrive pool (only sslmode=disable|allow|prefer)"
                ))
            }
        }
    }
    Ok(Origin {
        host: host.to_string(),
        port: url.port().unwrap_or(5432),
        user,
        password,
        database,
    })
}

/// The connection string with its password replaced, for error messages.
fn redact(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &text[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}:***{}", &text[..scheme + 3 + colon], &text[at..]),
                None => text.to_string(),
            }
        }
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_url_with_encoded_parts() {
        let o = parse("postgres://app%20user:s3cret%20p%C3%A4ss@127.0.0.1:6543/shop%2Fx").unwrap();
        assert_eq!(o.host, "127.0.0.1");
        assert_eq!(o.port, 6543);
        assert_eq!(o.user, "app user");
        assert_eq!(o.password.as_deref(), Some("s3cret päss"));
        assert_eq!(o.database, "shop/x");
        assert_eq!(o.to_string(), "127.0.0.1:6543/shop/x");
    }

    #[test]
    fn defaults_port_and_database() {
        let o = parse("postgresql://bob@[::1]").unwrap();
        assert_eq!((o.host.as_str(), o.port), ("::1", 5432));
        assert_eq!(o.database, "bob");
        assert_eq!(o.password, None);
        assert_eq!(o.to_string(), "[::1]:5432/bob");
    }

    #[test]
    fn rejects_what_the_pool_cannot_do() {
        let err = |s: &str| parse(s).unwrap_err();
        assert!(err("mysql://u:p@h/db").contains("PostgreSQL only"));
        assert!(err("postgres://u:p@h/db?sslmode=require").contains("without TLS"));
        assert!(err("postgres://u:p@h/db?schema=x").contains("`schema`"));
        assert!(err("postgres://h/db").contains("no user"));
        let bad = err("postgres://u:hunter2@h:notaport/db");
        assert!(!bad.contains("hunter2"), "{bad}");
    }
}
