//! Log-spaced latency buckets: 8 linear sub-buckets per power of two of
//! nanoseconds, so a bucket is 6–12% wide at any scale (from 1 ns to the
//! age of the universe) and finding one costs a leading-zero count and a
//! shift, with no floating point on the recording path.

/// Sub-buckets per power of two (as a shift: 2^3 = 8).
const SUB_BITS: u32 = 3;
const SUB: u64 = 1 << SUB_BITS;

/// How many buckets a histogram has: values below 8 ns get one bucket each,
/// then 8 per power of two up to 2^64.
pub(crate) const BUCKETS: usize = ((64 - SUB_BITS) as usize + 1) * SUB as usize;

/// The bucket of a latency in nanoseconds.
#[inline]
pub(crate) fn bucket(nanos: u64) -> usize {
    if nanos < SUB {
        return nanos as usize;
    }
    let msb = 63 - nanos.leading_zeros();
    let shift = msb - SUB_BITS;
    let sub = (nanos >> shift) & (SUB - 1);
    ((shift as u64 + 1) * SUB + sub) as usize
}

/// The lowest latency (ns) that falls in bucket `b`.
pub(crate) fn lower_bound(b: usize) -> f64 {
    let b = b as u64;
    if b < SUB {
        return b as f64;
    }
    let shift = b / SUB - 1;
    let sub = b % SUB;
    ((SUB + sub) as f64) * (shift as f64).exp2()
}

/// The value at quantile `q` of a histogram, in nanoseconds, interpolated
/// linearly inside the bucket where the cumulative count crosses `q`.
/// `None` for an empty histogram.
pub(crate) fn quantile(counts: &[u64], q: f64) -> Option<f64> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let target = q.clamp(0.0, 1.0) * total as f64;
    let mut below = 0u64;
    for (b, &c) in counts.iter().enumerate() {
        if c > 0 && (below + c) as f64 >= target {
            let lo = lower_bound(b);
            let hi = lower_bound(b + 1);
            let within = ((target - below as f64) / c as f64).clamp(0.0, 1.0);
            return Some(lo + (hi - lo) * within);
        }
        below += c;
    }
    counts
        .iter()
        .rposition(|&c| c > 0)
        .map(|b| lower_bound(b + 1))
}

/// The bucket boundary that best splits a histogram at quantile `q`: the
/// index `t` such that the share of counts in buckets below `t` is closest
/// to `q`. Counts in buckets `>= t` are "above".
pub(crate) fn split_at(counts: &[u64], q: f64) -> usize {
    let total: u64 = counts.iter().sum();
    let mut best = (f64::INFINITY, 0);
    let mut below = 0u64;
    for (t, &c) in counts.iter().enumerate() {
        let gap = (below as f64 / total.max(1) as f64 - q).abs();
        if gap < best.0 {
            best = (gap, t);
        }
        below += c;
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotone_and_bounded() {
        let mut last = 0;
        for v in (0..100_000u64).chain([u64::MAX / 2, u64::MAX]) {
            let b = bucket(v);
            assert!(b >= last && b < BUCKETS, "{v} -> {b}");
            assert!(lower_bound(b) <= v as f64, "{v} below bucket {b}");
            last = b;
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn bucket_width_is_at_most_an_eighth_of_a_power_of_two() {
        for b in 8..BUCKETS - 1 {
            let (lo, hi) = (lower_bound(b), lower_bound(b + 1));
            assert!(hi > lo && (hi - lo) / lo <= 0.125 + 1e-12, "bucket {b}");
            assert_eq!(bucket(lo as u64), b);
        }
    }

    #[test]
    fn quantiles_land_in_the_right_bucket() {
        let mut counts = vec![0u64; BUCKETS];
        for v in 1..=1000u64 {
            counts[bucket(v * 1000)] += 1;
        }
        let median = quantile(&counts, 0.5).unwrap();
        assert!((median / 500_000.0 - 1.0).abs() < 0.07, "{median}");
        let t = split_at(&counts, 0.5);
        let below: u64 = counts[..t].iter().sum();
        assert!((450..=550).contains(&below), "{below}");
        assert_eq!(quantile(&vec![0; BUCKETS], 0.5), None);
    }
}
