//! The sequential test: mixture likelihood ratios over conditional
//! Bernoulli counts (Lindon & Malek, "Anytime-valid inference for
//! multinomial count data", NeurIPS 2022, §Poisson counting processes).
//!
//! Requests reach the canary at random with a known share `s`. Take any
//! category of finished requests (errors; latencies above a threshold).
//! Whatever the stable arm's rate of that category, and however it drifts
//! over time, an event of the category comes from the canary with
//! probability `θ = s·ρ / (s·ρ + 1 − s)`, where `ρ` is the canary's rate of
//! the category divided by the stable arm's. With identical versions `ρ = 1`
//! and `θ = s` exactly, so the number of canary events among a category's
//! events is a Bernoulli(s) sequence: a simple null hypothesis.
//!
//! A metric is a one-parameter family of alternatives `φ ↦ ρ(φ)` over its
//! categories (one for errors, two for a latency quantile, up to ten for
//! the latency distribution; `φ = 0` is the null). For a fixed `φ`, the
//! likelihood ratio of the events seen so far against the null is a
//! nonnegative martingale with mean 1 under the null; so is any mixture of
//! them over a prior fixed in advance. Ville's inequality then bounds the
//! chance that the mixture *ever* reaches `1/α` by `α`: the test may be
//! looked at after every request and stopped at any time. Inverting a
//! two-sided mixture gives confidence sequences for `φ` (intervals covering
//! the truth at all times at once with probability `1 − α`).
//!
//! The log likelihood ratio of one cell (a category during a span at share
//! `s`, with `c` canary events out of `n`) is
//! `c·ln θ/s + (n−c)·ln (1−θ)/(1−s) = c·ln ρ − n·ln(s·ρ + 1 − s)`,
//! so the counts are all the test needs.

/// The most categories a metric counts (the deciles of the distribution
/// test).
pub(crate) const CATEGORIES: usize = 10;

/// Rate ratios (or counts), one per category; unused categories stay at
/// ratio 1 and count 0.
pub(crate) type PerCategory<T> = [T; CATEGORIES];

/// How a metric's parameter `φ` maps to the canary/stable rate ratio of
/// its categories.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Family {
    /// One category (errors): `ρ = e^φ`, the error-rate ratio.
    RateRatio,
    /// Two categories, below and above a threshold the stable arm exceeds
    /// with probability `base`: the canary exceeds it with probability
    /// `p = logistic(logit(base) + φ)`, so `ρ_below = (1 − p) / (1 − base)`
    /// and `ρ_above = p / base`.
    Exceedance { base: f64 },
    /// Ordered categories (latency deciles) the stable arm falls in with
    /// probabilities `base`, each with a score (the logit of its mid-rank):
    /// the canary's probabilities are the stable ones tilted by `e^{φ·score}`
    /// (a shift towards slower categories for `φ > 0`: a sequential test of
    /// stochastic order). The reported effect is the canary's probability
    /// of landing in category `above` or higher (above the stable median).
    Tilt {
        base: PerCategory<f64>,
        scores: PerCategory<f64>,
        above: usize,
    },
}

impl Family {
    /// The rate ratios `ρ` of the categories at parameter `phi`.
    pub(crate) fn ratios(self, phi: f64) -> PerCategory<f64> {
        let mut r = [1.0; CATEGORIES];
        match self {
            Family::RateRatio => r[0] = phi.exp(),
            Family::Exceedance { base } => {
                let p = self.effect(phi);
                r[0] = (1.0 - p) / (1.0 - base);
                r[1] = p / base;
            }
            Family::Tilt { base, scores, .. } => {
                let norm: f64 = (0..CATEGORIES)
                    .map(|j| base[j] * (phi * scores[j]).exp())
                    .sum();
                for j in 0..CATEGORIES {
                    r[j] = (phi * scores[j]).exp() / norm;
                }
            }
        }
        r
    }

    /// The effect reported at parameter `phi`: the error-rate ratio, or
    /// the canary's probability of exceeding the threshold (the stable
    /// median for `Tilt`).
    pub(crate) fn effect(self, phi: f64) -> f64 {
        match self {
            Family::RateRatio => phi.exp(),
            Family::Exceedance { base } => logistic((base / (1.0 - base)).ln() + phi),
            Family::Tilt { base, above, .. } => {
                let r = self.ratios(phi);
                (above..CATEGORIES).map(|j| base[j] * r[j]).sum()
            }
        }
    }

    /// The smallest and largest possible effect (`None`: unbounded).
    pub(crate) fn bounds(self) -> (f64, Option<f64>) {
        match self {
            Family::RateRatio => (0.0, None),
            Family::Exceedance { .. } | Family::Tilt { .. } => (0.0, Some(1.0)),
        }
    }

    /// The parameter range confidence sequences are searched in.
    fn range(self) -> (f64, f64) {
        match self {
            // Error-rate ratios from 1/1000 to 1000.
            Family::RateRatio => (-1000f64.ln(), 1000f64.ln()),
            Family::Exceedance { .. } => (-12.0, 12.0),
            // Scores span about ±7 (logits of ranks 1/1000 to 999/1000).
            Family::Tilt { .. } => (-4.0, 4.0),
        }
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The counts of one span at one canary share: per category, the events
/// from the canary and the events from both arms.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Cell {
    pub share: f64,
    pub canary: PerCategory<u64>,
    pub total: PerCategory<u64>,
}

impl Cell {
    /// A cell of one category.
    pub(crate) fn single(share: f64, canary: u64, total: u64) -> Cell {
        let mut cell = Cell {
            share,
            ..Cell::default()
        };
        cell.canary[0] = canary;
        cell.total[0] = total;
        cell
    }
}

/// The log likelihood ratio of the cells at rate ratios `ratios` (with
/// their logarithms `logs`) against the null.
fn log_lr(ratios: &PerCategory<f64>, logs: &PerCategory<f64>, cells: &[Cell]) -> f64 {
    let mut sum = 0.0;
    for cell in cells {
        for k in 0..CATEGORIES {
            if cell.total[k] > 0 {
                let (c, n) = (cell.canary[k] as f64, cell.total[k] as f64);
                sum += c * logs[k] - n * (cell.share * ratios[k] + 1.0 - cell.share).ln();
            }
        }
    }
    sum
}

/// The log likelihood ratio at parameter `phi`.
pub(crate) fn log_lr_at(family: Family, phi: f64, cells: &[Cell]) -> f64 {
    let r = family.ratios(phi);
    log_lr(&r, &r.map(f64::ln), cells)
}

/// A mixture's evidence so far, kept up to date span by span so that
/// asking costs no logarithms: per grid point, the log likelihood ratio of
/// the closed spans, and the open span's share with its normalizers.
#[derive(Debug, Clone)]
pub(crate) struct Evidence {
    closed: Vec<f64>,
    share: f64,
    open: Vec<PerCategory<f64>>,
}

/// One grid point of a prior.
#[derive(Debug, Clone)]
struct Point {
    log_weight: f64,
    ratios: PerCategory<f64>,
    logs: PerCategory<f64>,
}

/// A prior over `φ`, discretized on a grid fixed in advance.
#[derive(Debug, Clone)]
pub(crate) struct Mixture {
    family: Family,
    points: Vec<Point>,
}

impl Mixture {
    /// A normal prior on `φ` with standard deviation `scale`, restricted
    /// to `(0, upper]` (`one_sided`: only alternatives where the canary is
    /// worse) or `[−upper, upper]`, on `points` grid points per side.
    pub(crate) fn new(
        family: Family,
        scale: f64,
        upper: f64,
        points: usize,
        one_sided: bool,
    ) -> Self {
        let step = upper / points as f64;
        let first = if one_sided { 1 } else { -(points as i64) };
        let grid: Vec<f64> = (first..=points as i64).map(|i| i as f64 * step).collect();
        let raw: Vec<f64> = grid
            .iter()
            .map(|phi| -0.5 * (phi / scale).powi(2))
            .collect();
        let norm = log_sum_exp(&raw);
        let points = grid
            .iter()
            .zip(raw)
            .map(|(&phi, w)| {
                let ratios = family.ratios(phi);
                Point {
                    log_weight: w - norm,
                    ratios,
                    logs: ratios.map(f64::ln),
                }
            })
            .collect();
        Mixture { family, points }
    }

    /// Running evidence starting with a span at canary share `share`.
    pub(crate) fn evidence(&self, share: f64) -> Evidence {
        Evidence {
            closed: vec![0.0; self.points.len()],
            share,
            open: self.normalizers(share),
        }
    }

    /// Per grid point and category, `ln(s·ρ + 1 − s)` at share `s`.
    fn normalizers(&self, share: f64) -> Vec<PerCategory<f64>> {
        let at = |r: f64| (share * r + 1.0 - share).ln();
        self.points.iter().map(|p| p.ratios.map(at)).collect()
    }

    /// Per grid point: the closed spans' log likelihood ratio plus the
    /// open span's (its counts in `open`), from the cached normalizers:
    /// multiplications and additions only.
    fn point_lrs(&self, evidence: &Evidence, open: &Cell) -> Vec<f64> {
        let counted = open.share == evidence.share && open.share > 0.0 && open.share < 1.0;
        let (c, n) = (open.canary.map(|c| c as f64), open.total.map(|n| n as f64));
        self.points
            .iter()
            .zip(&evidence.closed)
            .zip(&evidence.open)
            .map(|((point, closed), norm)| {
                let mut sum = *closed;
                if counted {
                    for k in 0..CATEGORIES {
                        sum += c[k] * point.logs[k] - n[k] * norm[k];
                    }
                }
                sum
            })
            .collect()
    }

    /// The log e-value of the closed spans and the open span `open`.
    pub(crate) fn log_e_with(&self, evidence: &Evidence, open: &Cell) -> f64 {
        let lrs = self.point_lrs(evidence, open);
        let terms: Vec<f64> = self
            .points
            .iter()
            .zip(lrs)
            .map(|(point, lr)| point.log_weight + lr)
            .collect();
        log_sum_exp(&terms)
    }

    /// Ends the open span with counts `open` and opens one at `share`.
    pub(crate) fn close(&self, evidence: &mut Evidence, open: &Cell, share: f64) {
        evidence.closed = self.point_lrs(evidence, open);
        evidence.open = self.normalizers(share);
        evidence.share = share;
    }

    /// The log of the mixture likelihood ratio against the null: the log
    /// e-value.
    pub(crate) fn log_e(&self, cells: &[Cell]) -> f64 {
        let terms: Vec<f64> = self
            .points
            .iter()
            .map(|p| p.log_weight + log_lr(&p.ratios, &p.logs, cells))
            .collect();
        log_sum_exp(&terms)
    }

    /// The maximum-likelihood `φ` and the confidence sequence at level
    /// `log_threshold` (= ln 1/α): the `φ0` the mixture fails to reject,
    /// `{φ0 : ln M − ℓ(φ0) < ln 1/α}`. An end is `None` where the set
    /// reaches the edge of the searched range.
    pub(crate) fn interval(
        &self,
        cells: &[Cell],
        log_threshold: f64,
    ) -> (f64, Option<f64>, Option<f64>) {
        let family = self.family;
        let ll = |phi: f64| log_lr_at(family, phi, cells);
        let (lo, hi) = family.range();
        let best = argmax(ll, lo, hi);
        let level = self.log_e(cells) - log_threshold;
        let low = (ll(lo) < level).then(|| crossing(ll, level, lo, best));
        let high = (ll(hi) < level).then(|| crossing(ll, level, hi, best));
        (best, low, high)
    }
}

/// The maximum of a unimodal function on `[lo, hi]` (golden-section search).
fn argmax(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (hi - g * (hi - lo), lo + g * (hi - lo));
    let (mut fa, mut fb) = (f(a), f(b));
    for _ in 0..64 {
        if fa < fb {
            lo = a;
            (a, fa) = (b, fb);
            b = lo + g * (hi - lo);
            fb = f(b);
        } else {
            hi = b;
            (b, fb) = (a, fa);
            a = hi - g * (hi - lo);
            fa = f(a);
        }
    }
    (lo + hi) / 2.0
}

/// Where `f` crosses `level` between `outside` (below it) and `inside`
/// (above it), by bisection.
fn crossing(f: impl Fn(f64) -> f64, level: f64, mut outside: f64, mut inside: f64) -> f64 {
    for _ in 0..48 {
        let mid = (outside + inside) / 2.0;
        if f(mid) >= level {
            inside = mid;
        } else {
            outside = mid;
        }
    }
    inside
}

fn log_sum_exp(xs: &[f64]) -> f64 {
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + xs.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell with the given counts in its first categories.
    fn cell(share: f64, canary: &[u64], total: &[u64]) -> Cell {
        let mut c = Cell {
            share,
            ..Cell::default()
        };
        c.canary[..canary.len()].copy_from_slice(canary);
        c.total[..total.len()].copy_from_slice(total);
        c
    }

    fn errors(share: f64, canary: u64, total: u64) -> Vec<Cell> {
        vec![cell(share, &[canary], &[total])]
    }

    #[test]
    fn no_data_is_no_evidence() {
        let m = Mixture::new(Family::RateRatio, 1.0, 100f64.ln(), 64, true);
        assert!(m.log_e(&[]).abs() < 1e-12);
        assert!(m.log_e(&errors(0.1, 0, 0)).abs() < 1e-12);
    }

    #[test]
    fn evidence_grows_with_canary_errors_and_shrinks_without() {
        let m = Mixture::new(Family::RateRatio, 1.0, 100f64.ln(), 64, true);
        // 10% share: 30 of 60 errors on the canary is a 9x error rate.
        assert!(m.log_e(&errors(0.1, 30, 60)) > 20f64.ln());
        // 6 of 60 is what identical versions give: no evidence.
        assert!(m.log_e(&errors(0.1, 6, 60)) < 0.0);
        // Fewer canary errors than expected is never evidence of a regression.
        assert!(m.log_e(&errors(0.1, 0, 60)) < m.log_e(&errors(0.1, 6, 60)));
    }

    #[test]
    fn the_interval_covers_the_estimate_and_narrows_with_data() {
        let m = Mixture::new(Family::RateRatio, 1.0, 100f64.ln(), 64, false);
        let (best, low, high) = m.interval(&errors(0.1, 25, 100), 40f64.ln());
        // The MLE of θ is 0.25: ρ = (0.25/0.75)/(0.1/0.9) = 3.
        assert!((best.exp() - 3.0).abs() < 1e-3, "{}", best.exp());
        let (low, high) = (low.unwrap(), high.unwrap());
        assert!(low < best && best < high && low > 0.0, "{low} {high}");
        let (_, low2, high2) = m.interval(&errors(0.1, 250, 1000), 40f64.ln());
        assert!(low2.unwrap() > low && high2.unwrap() < high);
    }

    #[test]
    fn running_evidence_matches_the_whole_computation() {
        let f = Family::Exceedance { base: 0.5 };
        let m = Mixture::new(f, 0.5, 4.0, 48, true);
        let spans = [
            cell(0.01, &[30, 10], &[1000, 1000]),
            cell(0.1, &[120, 80], &[1000, 1000]),
            cell(0.5, &[60, 40], &[100, 100]),
        ];
        let mut ev = m.evidence(0.01);
        for (i, cell) in spans.iter().enumerate() {
            let whole = m.log_e(&spans[..=i]);
            assert!((m.log_e_with(&ev, cell) - whole).abs() < 1e-9, "span {i}");
            m.close(&mut ev, cell, spans.get(i + 1).map_or(1.0, |c| c.share));
        }
        let none = Cell {
            share: 1.0,
            ..Cell::default()
        };
        assert!((m.log_e_with(&ev, &none) - m.log_e(&spans)).abs() < 1e-9);
    }

    #[test]
    fn exceedance_family_is_null_at_zero() {
        let f = Family::Exceedance { base: 0.1 };
        assert!(f.ratios(0.0).iter().all(|r| (r - 1.0).abs() < 1e-12));
        assert!((f.effect(0.0) - 0.1).abs() < 1e-12);
        let worse = f.ratios(1.0);
        assert!(worse[0] < 1.0 && worse[1] > 1.0, "{worse:?}");
    }

    /// Five equally likely categories with logit scores, above the median
    /// from category 3 on (2.5 of 5 is the median: category 2 straddles it).
    fn tilt() -> Family {
        let mut base = [0.0; CATEGORIES];
        let mut scores = [0.0; CATEGORIES];
        for j in 0..5 {
            base[j] = 0.2;
            let u = (j as f64 + 0.5) / 5.0;
            scores[j] = (u / (1.0 - u)).ln();
        }
        Family::Tilt {
            base,
            scores,
            above: 3,
        }
    }

    #[test]
    fn tilt_family_shifts_towards_slower_categories() {
        let f = tilt();
        assert!(f.ratios(0.0).iter().all(|r| (r - 1.0).abs() < 1e-12));
        assert!((f.effect(0.0) - 0.4).abs() < 1e-12);
        let r = f.ratios(0.5);
        assert!(r[0] < r[1] && r[1] < r[2] && r[2] < r[3] && r[3] < r[4]);
        // The tilted probabilities still sum to 1.
        let sum: f64 = (0..5).map(|j| 0.2 * r[j]).sum();
        assert!((sum - 1.0).abs() < 1e-12);
        assert!(f.effect(0.5) > 0.4 && f.effect(-0.5) < 0.4);
        // A canary over-represented in the slow categories is evidence.
        let m = Mixture::new(f, 0.25, 4.0, 48, true);
        let slow = [cell(0.5, &[40, 45, 50, 55, 60], &[100; 5])];
        let even = [cell(0.5, &[50; 5], &[100; 5])];
        assert!(m.log_e(&slow) > 20f64.ln());
        assert!(m.log_e(&even) < 0.0);
    }
}
