//! Which version of a deployment serves a request: by percentage, sticky
//! for a `Cloudflare-Workers-Version-Key`, forced by
//! `Cloudflare-Workers-Version-Overrides`.

use crate::api::DeploymentVersion;

/// The version for a request. `key` is the request's
/// `Cloudflare-Workers-Version-Key` (the same key always gets the same
/// version of one deployment); without one `random` (in `[0, 1)`) decides.
pub fn pick<'d>(versions: &'d [DeploymentVersion], key: Option<&str>, random: f64) -> &'d str {
    let point = key.map(unit_hash).unwrap_or(random) * 100.0;
    let mut below = 0.0;
    for v in versions {
        below += v.percentage;
        if point < below {
            return &v.version_id;
        }
    }
    &versions
        .last()
        .expect("a deployment has a version")
        .version_id
}

/// The version `header` (a `Cloudflare-Workers-Version-Overrides` value,
/// a dictionary such as `my-worker="dc8dcd28-..."`) names for `worker`,
/// when it is one of `versions`.
pub fn overridden<'d>(
    header: &str,
    worker: &str,
    versions: &'d [DeploymentVersion],
) -> Option<&'d str> {
    header
        .split(',')
        .filter_map(|item| item.split_once('='))
        .find(|(name, _)| name.trim() == worker)
        .map(|(_, id)| id.trim().trim_matches('"'))
        .and_then(|id| {
            versions
                .iter()
                .find(|v| v.version_id == id)
                .map(|v| v.version_id.as_str())
        })
}

/// `key` hashed (FNV-1a, stable across builds) onto `[0, 1)`.
fn unit_hash(key: &str) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(a: f64) -> Vec<DeploymentVersion> {
        vec![
            DeploymentVersion {
                version_id: "a".into(),
                percentage: a,
            },
            DeploymentVersion {
                version_id: "b".into(),
                percentage: 100.0 - a,
            },
        ]
    }

    #[test]
    fn percentages_split_the_unit_interval() {
        let v = split(10.0);
        assert_eq!(pick(&v, None, 0.05), "a");
        assert_eq!(pick(&v, None, 0.5), "b");
        let hits = (0..10_000)
            .filter(|i| pick(&v, Some(&format!("user-{i}")), 0.0) == "a")
            .count();
        assert!((800..1200).contains(&hits), "{hits} of 10000 keys on 10%");
    }

    #[test]
    fn a_key_is_sticky() {
        let v = split(50.0);
        let first = pick(&v, Some("user-42"), 0.0);
        assert!((0..100).all(|i| pick(&v, Some("user-42"), i as f64 / 100.0) == first));
    }

    #[test]
    fn overrides_name_a_version_of_the_deployment() {
        let v = split(50.0);
        assert_eq!(overridden("w=\"b\"", "w", &v), Some("b"));
        assert_eq!(overridden("x=\"a\", w=\"a\"", "w", &v), Some("a"));
        assert_eq!(overridden("w=\"c\"", "w", &v), None);
        assert_eq!(overridden("x=\"a\"", "w", &v), None);
    }
}
