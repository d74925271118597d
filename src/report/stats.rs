//! Statistics for published results: confidence intervals, pass@k, and paired model comparisons.
//!
//! Everything here is a pure, deterministic function of its arguments (no I/O, no global state,
//! no clock): the bootstraps take an explicit seed and use the small PRNG defined below, so a
//! report regenerated from the same stored attempts prints the same numbers on every machine.
//!
//! In: counts (resolved attempts, samples per task, discordant pairs) or per-task scores.
//! Out: point estimates, intervals and p-values as `f64`.
//!
//! # Methods and formulas
//!
//! * [`inverse_normal_cdf`]: the standard normal quantile Φ⁻¹(p), by Wichura's algorithm AS 241
//!   (PPND16): rational approximations in three regions, accurate to about 1 part in 10¹⁶
//!   (M. J. Wichura, "Algorithm AS 241: The percentage points of the normal distribution",
//!   *Applied Statistics* 37(3), 477–484, 1988).
//! * [`wilson_interval`]: the Wilson score interval for a binomial proportion (E. B. Wilson,
//!   "Probable inference, the law of succession, and statistical inference", *JASA* 22, 209–212,
//!   1927; recommended over the Wald interval by Brown, Cai & DasGupta, *Statistical Science*
//!   16(2), 2001). With p̂ = s/n and z = Φ⁻¹((1 + confidence)/2):
//!   `centre = (p̂ + z²/2n) / (1 + z²/n)`,
//!   `half = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²)`, interval `[centre − half, centre + half]`,
//!   with the lower end exactly 0 when s = 0 and the upper end exactly 1 when s = n.
//! * [`pass_at_k`]: the unbiased pass@k estimator of Chen et al., "Evaluating Large Language
//!   Models Trained on Code" (arXiv:2107.03374, 2021), `1 − C(n−c, k) / C(n, k)` for n samples of
//!   which c are correct. The ratio of binomials is evaluated as a product of at most
//!   min(c, k) factors, `∏_{j<c} (1 − k/(n−j))`, summed in log space (`ln_1p`) and turned back
//!   with `expm1`, so it neither overflows nor loses relative precision for small results.
//! * [`mean_pass_at_1_bootstrap`]: the mean over tasks of c/n (the per-task pass@1 estimate),
//!   with a percentile bootstrap interval over tasks (B. Efron & R. Tibshirani, *An Introduction
//!   to the Bootstrap*, 1993, ch. 13): tasks are resampled with replacement, and the interval
//!   ends are the (1 − confidence)/2 and (1 + confidence)/2 quantiles of the resampled means.
//! * [`mcnemar_exact`]: the exact (binomial) McNemar test for paired binary outcomes
//!   (Q. McNemar, *Psychometrika* 12, 1947; exact form as in Fagerland, Lydersen & Laake, *BMC
//!   Medical Research Methodology* 13:91, 2013): with b, c the discordant counts,
//!   `p = min(1, 2 · P[X ≤ min(b, c)])`, X ~ Binomial(b + c, ½). The binomial terms are computed
//!   in log space with Loader's saddle-point expansion (C. Loader, "Fast and accurate computation
//!   of binomial probabilities", 2000, the method behind R's `dbinom`), so counts in the millions
//!   neither overflow nor lose precision.
//! * [`paired_bootstrap`]: the paired bootstrap test of a difference of means (Efron &
//!   Tibshirani 1993, §16.4; the centred "shift to the null" p-value of Davison & Hinkley,
//!   *Bootstrap Methods and their Application*, 1997, §4.4). See the function for the exact
//!   definition.
//!
//! # Quantiles and randomness
//!
//! Bootstrap quantiles use linear interpolation between order statistics (Hyndman & Fan type 7,
//! numpy's default): for sorted values `x₀ ≤ … ≤ x_{m−1}` and level q, `h = (m − 1)q` and the
//! quantile is `x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋)`.
//!
//! Resampling draws come from xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom
//! number generators", *ACM TOMS* 47(4), 2021) whose state is four successive SplitMix64 outputs
//! of the seed; an index below m is drawn with Lemire's unbiased multiply-and-reject method
//! (D. Lemire, *ACM TOMACS* 29(1), 2019). For each resample, the n indices are drawn in order.

use std::f64::consts::{LN_2, PI};

/// AS 241 (PPND16) coefficients, lowest degree first, digit for digit as Wichura (1988) published
/// them (more digits than an `f64` holds, kept so they can be checked against the paper).
mod as241 {
    #![allow(clippy::excessive_precision)]

    pub(super) const A: [f64; 8] = [
        3.387_132_872_796_366_608_0e0,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ];
    pub(super) const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083_0e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061_0e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561_0e3,
    ];
    pub(super) const C: [f64; 8] = [
        1.423_437_110_749_683_577_34e0,
        4.630_337_846_156_545_295_90e0,
        5.769_497_221_460_691_405_50e0,
        3.647_848_324_763_204_605_04e0,
        1.270_458_252_452_368_382_58e0,
        2.417_807_251_774_506_117_70e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_40e-4,
    ];
    pub(super) const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_758_821_87e0,
        1.676_384_830_183_803_849_40e0,
        6.897_673_349_851_000_045_50e-1,
        1.481_039_764_274_800_745_90e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946_00e-4,
        1.050_750_071_644_416_843_24e-9,
    ];
    pub(super) const E: [f64; 8] = [
        6.657_904_643_501_103_777_20e0,
        5.463_784_911_164_114_369_90e0,
        1.784_826_539_917_291_335_80e0,
        2.965_605_718_285_048_912_30e-1,
        2.653_218_952_657_612_309_30e-2,
        1.242_660_947_388_078_438_60e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ];
    pub(super) const F: [f64; 8] = [
        1.0,
        5.998_322_065_558_879_376_90e-1,
        1.369_298_809_227_358_053_10e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591_00e-4,
        1.846_318_317_510_054_681_80e-5,
        1.421_511_758_316_445_888_70e-7,
        2.044_263_103_389_939_785_64e-15,
    ];
}

/// Σ cᵢ xⁱ by Horner's rule, coefficients lowest degree first.
fn horner(coeffs: &[f64], x: f64) -> f64 {
    coeffs.iter().rev().fold(0.0, |acc, &c| acc * x + c)
}

/// The standard normal quantile function Φ⁻¹(p) (Wichura's AS 241, PPND16).
///
/// Returns −∞ for p = 0, +∞ for p = 1 and NaN for p outside [0, 1] or NaN. Accurate to about
/// 1e-16 relative over (0, 1); e.g. `inverse_normal_cdf(0.975) = 1.959963984540054`.
pub fn inverse_normal_cdf(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * horner(&as241::A, r) / horner(&as241::B, r);
    }
    // Distance into the nearer tail: r = √(−ln min(p, 1 − p)).
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = (-tail.ln()).sqrt();
    let x = if r <= 5.0 {
        horner(&as241::C, r - 1.6) / horner(&as241::D, r - 1.6)
    } else {
        horner(&as241::E, r - 5.0) / horner(&as241::F, r - 5.0)
    };
    if q < 0.0 {
        -x
    } else {
        x
    }
}

/// The two-sided Wilson score interval `(low, high)` for `successes` out of `n` at the given
/// `confidence` level (e.g. 0.95), with z = Φ⁻¹((1 + confidence)/2).
///
/// Returns `None` when `n = 0` (no attempts, no interval), when `successes > n`, or when
/// `confidence` is not strictly between 0 and 1. The interval always lies within [0, 1]; its lower
/// end is exactly 0 for `successes = 0` and its upper end exactly 1 for `successes = n`.
pub fn wilson_interval(successes: u64, n: u64, confidence: f64) -> Option<(f64, f64)> {
    if n == 0 || successes > n || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let z = inverse_normal_cdf(0.5 + 0.5 * confidence);
    let nf = n as f64;
    let p = successes as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z / denom * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    let low = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if successes == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    Some((low, high))
}

/// The unbiased pass@k estimate from `n` samples of which `c` are correct (Chen et al. 2021):
/// the probability that at least one of `k` samples drawn without replacement from the `n` is
/// correct, `1 − C(n−c, k) / C(n, k)`.
///
/// Returns `None` when `k > n` (k draws from n samples are impossible) or `c > n`. Edge cases:
/// `k = 0` gives 0; `c = 0` gives 0; `n − c < k` gives exactly 1. Evaluated as a product of
/// min(c, k) ratios in log space (see the module docs), so it is exact to a few ulps for any
/// n and never overflows.
pub fn pass_at_k(n: u64, c: u64, k: u64) -> Option<f64> {
    if k > n || c > n {
        return None;
    }
    if c == 0 || k == 0 {
        return Some(0.0);
    }
    if n - c < k {
        return Some(1.0);
    }
    // C(n−c, k)/C(n, k) = ∏_{j<c} (n−k−j)/(n−j) = ∏_{i<k} (n−c−i)/(n−i); take the shorter.
    let (terms, step) = if c <= k { (c, k) } else { (k, c) };
    let nf = n as f64;
    let log_ratio: f64 = (0..terms)
        .map(|j| (-(step as f64) / (nf - j as f64)).ln_1p())
        .sum();
    Some(-log_ratio.exp_m1())
}

/// The mean over tasks of the per-task pass@1 estimate c/n, with a percentile bootstrap interval
/// over tasks: returns `(mean, low, high)`.
///
/// `per_task` holds `(correct, samples)` per task; tasks with no samples carry no information and
/// are skipped. `resamples` bootstrap replicates each draw as many tasks as there are, with
/// replacement (PRNG seeded by `seed`, see the module docs); `low` and `high` are the
/// (1 − confidence)/2 and (1 + confidence)/2 type-7 quantiles of the replicate means.
///
/// Returns all NaN when no task has samples, and NaN interval ends when `resamples = 0` or
/// `confidence` is not strictly between 0 and 1.
///
/// # Panics
///
/// When a task has more correct samples than samples.
pub fn mean_pass_at_1_bootstrap(
    per_task: &[(u64, u64)],
    resamples: usize,
    seed: u64,
    confidence: f64,
) -> (f64, f64, f64) {
    let rates: Vec<f64> = per_task
        .iter()
        .filter(|&&(_, samples)| samples > 0)
        .map(|&(correct, samples)| {
            assert!(
                correct <= samples,
                "a task cannot have {correct} correct out of {samples} samples"
            );
            correct as f64 / samples as f64
        })
        .collect();
    if rates.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mean = mean(&rates);
    if resamples == 0 || !(confidence > 0.0 && confidence < 1.0) {
        return (mean, f64::NAN, f64::NAN);
    }
    let mut rng = Xoshiro256StarStar::seed_from(seed);
    let mut means = bootstrap_means(&rates, resamples, &mut rng);
    means.sort_by(f64::total_cmp);
    let alpha = 1.0 - confidence;
    (
        mean,
        quantile_sorted(&means, alpha / 2.0),
        quantile_sorted(&means, 1.0 - alpha / 2.0),
    )
}

/// The exact two-sided McNemar p-value for `b` and `c` discordant pairs (pairs where only the
/// first model, respectively only the second, resolved the task):
/// `min(1, 2 · P[X ≤ min(b, c)])` with X ~ Binomial(b + c, ½). Returns 1.0 when `b + c = 0`.
///
/// Equal to scipy's `binomtest(min(b, c), b + c, 0.5).pvalue`. Computed in log space, so counts
/// in the millions do not overflow; p-values below the smallest `f64` underflow to 0.
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    let n = b + c;
    let k = b.min(c);
    if n == 0 || 2 * k >= n.saturating_sub(1) {
        // b = c or |b − c| = 1: P[X ≤ k] ≥ ½ by symmetry, so the p-value is 1.
        return 1.0;
    }
    // P[X ≤ k] = t_k · Σ_{i≤k} t_i/t_k; the ratios t_{i−1}/t_i = i/(n−i+1) shrink as i falls, so
    // the sum is summed downwards until its terms no longer change it.
    let nf = n as f64;
    let log_tk = log_binom_half_pmf(k, n);
    let mut sum = 1.0_f64;
    let mut term = 1.0_f64;
    let mut i = k;
    while i > 0 {
        term *= i as f64 / (nf - i as f64 + 1.0);
        let next = sum + term;
        if next == sum {
            break;
        }
        sum = next;
        i -= 1;
    }
    (LN_2 + log_tk + sum.ln()).exp().min(1.0)
}

/// Paired bootstrap comparison of two models' per-task scores `a[i]`, `b[i]` on the same tasks
/// (index i is task i for both). Returns `(mean_diff, p_value, (low, high))`:
///
/// * `mean_diff` = D = mean over i of dᵢ = aᵢ − bᵢ.
/// * Each of the `resamples` replicates draws n task indices with replacement (PRNG seeded by
///   `seed`, see the module docs) and computes the replicate mean D*ᵣ of the drawn dᵢ.
/// * `(low, high)`: the 95% percentile interval of D, the 2.5% and 97.5% type-7 quantiles of
///   the D*ᵣ.
/// * `p_value`: the two-sided centred bootstrap p-value for H₀: `E[d] = 0`. Shifting the replicates
///   to the null, D*ᵣ − D estimates the sampling distribution of D under H₀, and
///   `p = (1 + #{r : |D*ᵣ − D| ≥ |D|}) / (resamples + 1)` (Davison & Hinkley 1997, eq. 4.11: the
///   observed sample counts as one replicate, so p is never 0). Ties are counted as at least as
///   extreme up to a rounding allowance of 1e-9 · max|dᵢ|, since scores such as 0/1 make exact
///   ties common. D = 0 gives p = 1.
///
/// Empty inputs give all NaN; `resamples = 0` gives D with NaN for the p-value and interval.
///
/// # Panics
///
/// When `a` and `b` differ in length (the scores are not paired).
pub fn paired_bootstrap(
    a: &[f64],
    b: &[f64],
    resamples: usize,
    seed: u64,
) -> (f64, f64, (f64, f64)) {
    assert_eq!(
        a.len(),
        b.len(),
        "paired_bootstrap needs one score per task for both models"
    );
    if a.is_empty() {
        return (f64::NAN, f64::NAN, (f64::NAN, f64::NAN));
    }
    let diffs: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let observed = mean(&diffs);
    if resamples == 0 {
        return (observed, f64::NAN, (f64::NAN, f64::NAN));
    }
    let mut rng = Xoshiro256StarStar::seed_from(seed);
    let mut means = bootstrap_means(&diffs, resamples, &mut rng);
    let scale = diffs.iter().fold(0.0_f64, |m, d| m.max(d.abs()));
    let threshold = observed.abs() - 1e-9 * scale;
    let extreme = means
        .iter()
        .filter(|&&m| (m - observed).abs() >= threshold)
        .count();
    let p_value = (1 + extreme) as f64 / (resamples + 1) as f64;
    means.sort_by(f64::total_cmp);
    (
        observed,
        p_value,
        (
            quantile_sorted(&means, 0.025),
            quantile_sorted(&means, 0.975),
        ),
    )
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// `resamples` means of `values` resampled with replacement (same size as `values`).
fn bootstrap_means(values: &[f64], resamples: usize, rng: &mut Xoshiro256StarStar) -> Vec<f64> {
    let m = values.len() as u64;
    (0..resamples)
        .map(|_| {
            let total: f64 = (0..m).map(|_| values[rng.below(m) as usize]).sum();
            total / m as f64
        })
        .collect()
}

/// Type-7 quantile (linear interpolation, numpy's default) of an ascending, non-empty slice.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// ln P[X = k] for X ~ Binomial(n, ½), 0 ≤ k ≤ n, by Loader's saddle-point expansion:
/// `ln C(n,k) − n ln 2 = δ(n) − δ(k) − δ(n−k) − bd0(k, n/2) − bd0(n−k, n/2) − ½ ln(2πk(n−k)/n)`.
fn log_binom_half_pmf(k: u64, n: u64) -> f64 {
    if k == 0 || k == n {
        return -(n as f64) * LN_2;
    }
    let (kf, nf) = (k as f64, n as f64);
    let half = nf / 2.0;
    let lc = stirling_error(n)
        - stirling_error(k)
        - stirling_error(n - k)
        - deviance(kf, half)
        - deviance(nf - kf, half);
    let lf = (2.0 * PI).ln() + kf.ln() + (-kf / nf).ln_1p();
    lc - 0.5 * lf
}

/// δ(n) = ln n! − ln(√(2πn) (n/e)ⁿ), the error of Stirling's formula (Loader 2000).
fn stirling_error(n: u64) -> f64 {
    if n <= 15 {
        // n! is exact in f64 here, so the direct formula loses nothing that matters.
        let nf = n as f64;
        let factorial: f64 = (1..=n).map(|i| i as f64).product();
        return factorial.ln() - (nf + 0.5) * nf.ln() + nf - 0.5 * (2.0 * PI).ln();
    }
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    let nf = n as f64;
    let nn = nf * nf;
    if n > 500 {
        (S0 - S1 / nn) / nf
    } else if n > 80 {
        (S0 - (S1 - S2 / nn) / nn) / nf
    } else if n > 35 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / nf
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / nf
    }
}

/// bd0(x, m) = x ln(x/m) + m − x, summed as a series when x is near m (Loader 2000).
fn deviance(x: f64, m: f64) -> f64 {
    if (x - m).abs() < 0.1 * (x + m) {
        let mut v = (x - m) / (x + m);
        let mut s = (x - m) * v;
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let next = s + ej / f64::from(2 * j + 1);
            if next == s {
                return next;
            }
            s = next;
        }
        return s;
    }
    x * (x / m).ln() + m - x
}

/// xoshiro256** seeded from SplitMix64: small, fast, and the same stream on every platform.
struct Xoshiro256StarStar {
    s: [u64; 4],
}

impl Xoshiro256StarStar {
    fn seed_from(seed: u64) -> Self {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..bound` (bound > 0), without modulo bias (Lemire 2019).
    fn below(&mut self, bound: u64) -> u64 {
        let mut m = u128::from(self.next_u64()) * u128::from(bound);
        if (m as u64) < bound {
            let threshold = bound.wrapping_neg() % bound;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(bound);
            }
        }
        (m >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn inverse_normal_known_values() {
        assert!(close(
            inverse_normal_cdf(0.975),
            1.959_963_984_540_054,
            1e-15
        ));
        assert!(close(
            inverse_normal_cdf(0.025),
            -1.959_963_984_540_054,
            1e-15
        ));
        assert_eq!(inverse_normal_cdf(0.5), 0.0);
        // Φ⁻¹(0.995), Φ⁻¹(0.84134474606854293) ≈ 1, and a far tail value.
        assert!(close(
            inverse_normal_cdf(0.995),
            2.575_829_303_548_900_4,
            1e-14
        ));
        assert!(close(
            inverse_normal_cdf(0.841_344_746_068_542_9),
            1.0,
            1e-12
        ));
        assert!(close(
            inverse_normal_cdf(1e-20),
            -9.262_340_089_798_408,
            1e-12
        ));
        assert_eq!(inverse_normal_cdf(0.0), f64::NEG_INFINITY);
        assert_eq!(inverse_normal_cdf(1.0), f64::INFINITY);
        assert!(inverse_normal_cdf(-0.1).is_nan());
        assert!(inverse_normal_cdf(1.5).is_nan());
        assert!(inverse_normal_cdf(f64::NAN).is_nan());
    }

    #[test]
    fn inverse_normal_is_odd_and_increasing() {
        let mut prev = f64::NEG_INFINITY;
        for i in 1..1000 {
            let p = i as f64 / 1000.0;
            let x = inverse_normal_cdf(p);
            assert!(x > prev, "not increasing at {p}");
            assert!(
                close(x, -inverse_normal_cdf(1.0 - p), 1e-12),
                "not odd at {p}"
            );
            prev = x;
        }
    }

    #[test]
    fn wilson_known_values() {
        // 0/10 and 10/10 at 95%: [0, z²/(n+z²)] and its mirror.
        let (lo, hi) = wilson_interval(0, 10, 0.95).unwrap();
        assert_eq!(lo, 0.0);
        assert!(close(hi, 0.277_532_799_862_940_3, 1e-12), "{hi}");
        let (lo, hi) = wilson_interval(10, 10, 0.95).unwrap();
        assert!(close(lo, 0.722_467_200_137_059_7, 1e-12), "{lo}");
        assert_eq!(hi, 1.0);
        // 5/10: symmetric about ½.
        let (lo, hi) = wilson_interval(5, 10, 0.95).unwrap();
        assert!(close(lo, 0.236_593_090_512_564_2, 1e-12), "{lo}");
        assert!(close(hi, 0.763_406_909_487_435_8, 1e-12), "{hi}");
        assert!(close(lo + hi, 1.0, 1e-15));
    }

    #[test]
    fn wilson_edges() {
        assert_eq!(wilson_interval(0, 0, 0.95), None);
        assert_eq!(wilson_interval(11, 10, 0.95), None);
        assert_eq!(wilson_interval(5, 10, 0.0), None);
        assert_eq!(wilson_interval(5, 10, 1.0), None);
        assert_eq!(wilson_interval(5, 10, f64::NAN), None);
        // Wider at higher confidence, narrower with more data.
        let w = |s, n, c| {
            let (lo, hi) = wilson_interval(s, n, c).unwrap();
            hi - lo
        };
        assert!(w(5, 10, 0.99) > w(5, 10, 0.95));
        assert!(w(50, 100, 0.95) < w(5, 10, 0.95));
    }

    #[test]
    fn pass_at_k_edges() {
        assert_eq!(pass_at_k(10, 3, 11), None);
        assert_eq!(pass_at_k(10, 11, 1), None);
        assert_eq!(pass_at_k(0, 0, 0), Some(0.0));
        assert_eq!(pass_at_k(10, 0, 5), Some(0.0));
        assert_eq!(pass_at_k(10, 3, 0), Some(0.0));
        assert_eq!(pass_at_k(10, 10, 1), Some(1.0));
        assert_eq!(pass_at_k(10, 3, 8), Some(1.0)); // n − c = 7 < 8
        assert_eq!(pass_at_k(10, 3, 10), Some(1.0));
    }

    #[test]
    fn pass_at_k_known_values() {
        // pass@1 is c/n.
        assert!(close(pass_at_k(10, 3, 1).unwrap(), 0.3, 1e-15));
        assert!(close(pass_at_k(200, 37, 1).unwrap(), 37.0 / 200.0, 1e-15));
        // 1 − C(7,2)/C(10,2) = 1 − 21/45.
        assert!(close(pass_at_k(10, 3, 2).unwrap(), 24.0 / 45.0, 1e-15));
        // 1 − C(5,5)/C(10,5) = 1 − 1/252.
        assert!(close(pass_at_k(10, 5, 5).unwrap(), 251.0 / 252.0, 1e-15));
        // Symmetric in c and k: C(n−c,k)/C(n,k) = C(n−k,c)/C(n,c).
        assert!(close(
            pass_at_k(1000, 7, 100).unwrap(),
            pass_at_k(1000, 100, 7).unwrap(),
            1e-14
        ));
        // Huge n: no overflow, and relative precision for a tiny result (≈ k·c/n²·n = 1e-12).
        let tiny = pass_at_k(1_000_000_000_000, 1, 1).unwrap();
        assert!(close(tiny / 1e-12, 1.0, 1e-12), "{tiny}");
    }

    #[test]
    fn mcnemar_known_values() {
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert_eq!(mcnemar_exact(7, 7), 1.0);
        assert_eq!(mcnemar_exact(1000, 1000), 1.0);
        assert_eq!(mcnemar_exact(5, 6), 1.0);
        // b = 0, c = 5: 2 · 2⁻⁵.
        assert!(close(mcnemar_exact(0, 5), 0.0625, 1e-15));
        assert_eq!(mcnemar_exact(0, 5), mcnemar_exact(5, 0));
        // b = 1, c = 9: 2 · (1 + 10)/1024.
        assert!(close(mcnemar_exact(1, 9), 22.0 / 1024.0, 1e-15));
        // b = 2, c = 8: 2 · (1 + 10 + 45)/1024.
        assert!(close(mcnemar_exact(2, 8), 112.0 / 1024.0, 1e-15));
        // Large counts stay finite and within [0, 1].
        let p = mcnemar_exact(10, 1000);
        assert!(p > 0.0 && p < 1e-250, "{p}");
        let p = mcnemar_exact(400_000, 401_000);
        assert!(p > 0.0 && p < 1.0, "{p}");
    }

    #[test]
    fn mcnemar_matches_direct_sum_for_small_counts() {
        for n in 1..=60u64 {
            for k in 0..=n / 2 {
                let mut choose = 1.0_f64;
                let mut total = 0.0;
                for i in 0..=k {
                    if i > 0 {
                        choose = choose * (n - i + 1) as f64 / i as f64;
                    }
                    total += choose;
                }
                let direct = (2.0 * total / 2f64.powi(n as i32)).min(1.0);
                let p = mcnemar_exact(k, n - k);
                assert!(
                    (p - direct).abs() <= 1e-13 * direct.max(1e-300),
                    "n={n} k={k}: {p} vs {direct}"
                );
            }
        }
    }

    #[test]
    fn prng_is_deterministic_and_unbiased_enough() {
        let mut a = Xoshiro256StarStar::seed_from(42);
        let mut b = Xoshiro256StarStar::seed_from(42);
        let mut c = Xoshiro256StarStar::seed_from(43);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[a.below(7) as usize] += 1;
        }
        for n in counts {
            assert!((9_500..10_500).contains(&n), "{counts:?}");
        }
    }

    #[test]
    fn bootstrap_mean_and_interval() {
        let tasks = [(3, 5), (5, 5), (0, 5), (2, 4), (1, 1), (0, 0)];
        let (mean, lo, hi) = mean_pass_at_1_bootstrap(&tasks, 2000, 7, 0.95);
        let expected = (0.6 + 1.0 + 0.0 + 0.5 + 1.0) / 5.0;
        assert!(close(mean, expected, 1e-15));
        assert!(lo <= mean && mean <= hi && lo >= 0.0 && hi <= 1.0);
        assert_eq!(
            mean_pass_at_1_bootstrap(&tasks, 2000, 7, 0.95),
            (mean, lo, hi)
        );
        let (_, lo2, hi2) = mean_pass_at_1_bootstrap(&tasks, 2000, 7, 0.5);
        assert!(hi2 - lo2 < hi - lo);
        let (m, lo, hi) = mean_pass_at_1_bootstrap(&[], 100, 7, 0.95);
        assert!(m.is_nan() && lo.is_nan() && hi.is_nan());
        let (m, lo, hi) = mean_pass_at_1_bootstrap(&tasks, 0, 7, 0.95);
        assert!(close(m, expected, 1e-15) && lo.is_nan() && hi.is_nan());
        // Identical tasks: the interval collapses onto the mean.
        let (m, lo, hi) = mean_pass_at_1_bootstrap(&[(1, 4); 10], 500, 1, 0.95);
        assert_eq!((m, lo, hi), (0.25, 0.25, 0.25));
    }

    #[test]
    fn paired_bootstrap_behaviour() {
        let a = [1.0, 1.0, 0.0, 1.0, 0.5, 1.0, 0.0, 1.0, 1.0, 0.75];
        let (d, p, (lo, hi)) = paired_bootstrap(&a, &a, 1000, 3);
        assert_eq!((d, p, lo, hi), (0.0, 1.0, 0.0, 0.0));
        // A large consistent gain is significant; the CI excludes 0.
        let b: Vec<f64> = a.iter().map(|x| x - 0.5).collect();
        let b2: Vec<f64> = b
            .iter()
            .enumerate()
            .map(|(i, x)| x + 0.01 * i as f64)
            .collect();
        let (d, p, (lo, hi)) = paired_bootstrap(&a, &b2, 2000, 3);
        assert!(close(d, 0.5 - 0.045, 1e-12), "{d}");
        assert!(p < 0.01 && lo > 0.0 && lo <= d && d <= hi, "{p} {lo} {hi}");
        assert_eq!(paired_bootstrap(&a, &b2, 2000, 3).1, p);
        // Noise around zero is not significant.
        let c = [0.0, 1.0, 1.0, 0.0, 0.5, 1.0, 1.0, 1.0, 0.0, 0.75];
        let (_, p, (lo, hi)) = paired_bootstrap(&a, &c, 2000, 3);
        assert!(p > 0.2 && lo < 0.0 && hi > 0.0, "{p} {lo} {hi}");
        let (d, p, (lo, hi)) = paired_bootstrap(&[], &[], 10, 3);
        assert!(d.is_nan() && p.is_nan() && lo.is_nan() && hi.is_nan());
        let (d, p, _) = paired_bootstrap(&a, &c, 0, 3);
        assert!(close(d, 0.1, 1e-15) && p.is_nan());
    }

    #[test]
    #[should_panic(expected = "one score per task")]
    fn paired_bootstrap_rejects_unpaired() {
        paired_bootstrap(&[1.0], &[1.0, 0.0], 10, 0);
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let xs = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(quantile_sorted(&xs, 0.0), 1.0);
        assert_eq!(quantile_sorted(&xs, 1.0), 8.0);
        assert_eq!(quantile_sorted(&xs, 0.5), 3.0);
        assert!(close(quantile_sorted(&xs, 0.25), 1.75, 1e-15));
        assert_eq!(quantile_sorted(&[5.0], 0.975), 5.0);
    }
}
