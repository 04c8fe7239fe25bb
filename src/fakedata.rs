//! Deterministic fake input values, the lab's analogue of the old `--fakedata`.
//!
//! Latency does not depend on what the pixels show, only on the tensor's shape
//! and type, so a seeded stream of values is enough. Floats are uniform in
//! [-1, 1); integers are uniform in 0..10 (small enough to be a valid index or
//! token id for most models that take integers).

use crate::rng::SplitMix64;

/// `n` floats uniform in [-1, 1), the same for the same seed on every platform.
pub fn uniform_pm1(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..n).map(|_| rng.next_f32() * 2.0 - 1.0).collect()
}

/// `n` integers uniform in 0..10.
pub fn small_ints(n: usize, seed: u64) -> Vec<i64> {
    let mut rng = SplitMix64::new(seed);
    (0..n).map(|_| rng.below(10) as i64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_in_range_and_seeded() {
        let a = uniform_pm1(10_000, 42);
        assert_eq!(a.len(), 10_000);
        assert!(a.iter().all(|v| (-1.0..1.0).contains(v)));
        assert_eq!(a, uniform_pm1(10_000, 42));
        assert_ne!(a, uniform_pm1(10_000, 43));
        // Uniform on [-1, 1): the mean is near 0 and both halves are used.
        let mean = a.iter().map(|v| *v as f64).sum::<f64>() / a.len() as f64;
        assert!(mean.abs() < 0.05, "{mean}");
        assert!(a.iter().any(|v| *v < -0.9) && a.iter().any(|v| *v > 0.9));
    }

    #[test]
    fn ints_are_in_range() {
        let a = small_ints(1000, 1);
        assert!(a.iter().all(|v| (0..10).contains(v)));
        assert!(a.contains(&0) && a.contains(&9));
    }
}
