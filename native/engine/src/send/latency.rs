//! Latency percentiles. A batch keeps every attempt's latency (a batch has at
//! most `arrowBatchSize` requests times their attempts, so the list is small)
//! and gets exact nearest-rank percentiles. An engine's running total cannot
//! keep every latency of its life, so it keeps a fixed log-linear histogram
//! (976 buckets, 16 per power of two) and reports a bucket's upper bound:
//! at most 1/16 (6.25 %) above the true value, never below it.

/// Sub-buckets per power of two; 16 gives at most 6.25 % relative error.
const SUB_BITS: u32 = 4;
const SUB: usize = 1 << SUB_BITS;
/// Values below `SUB` get one bucket each; then 16 per power of two up to 2^63.
pub const BUCKETS: usize = SUB + (64 - SUB_BITS as usize) * SUB;

/// The nearest-rank percentile (`q` in 0..=100) of `values`; 0 when empty.
/// Sorts `values` in place.
pub fn percentile(values: &mut [u64], q: u32) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    values[rank(values.len() as u64, q) as usize - 1]
}

/// 1-based nearest rank of the `q`th percentile among `n` values.
fn rank(n: u64, q: u32) -> u64 {
    (u64::from(q.min(100)) * n).div_ceil(100).clamp(1, n)
}

/// A cumulative log-linear histogram of latencies in nanoseconds.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
        }
    }
}

impl Histogram {
    pub fn record(&mut self, value: u64) {
        self.counts[bucket(value)] += 1;
        self.total += 1;
    }

    /// The upper bound of the bucket holding the `q`th percentile; 0 when
    /// nothing was recorded.
    pub fn percentile(&self, q: u32) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let wanted = rank(self.total, q);
        let mut seen = 0;
        for (i, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return upper_bound(i);
            }
        }
        upper_bound(BUCKETS - 1)
    }
}

fn bucket(value: u64) -> usize {
    if value < SUB as u64 {
        return value as usize;
    }
    let exp = 63 - value.leading_zeros(); // >= SUB_BITS
    let sub = ((value >> (exp - SUB_BITS)) as usize) & (SUB - 1);
    (exp - SUB_BITS + 1) as usize * SUB + sub
}

fn upper_bound(index: usize) -> u64 {
    if index < SUB {
        return index as u64;
    }
    let exp = (index / SUB) as u32 + SUB_BITS - 1;
    let sub = (index % SUB) as u64;
    let width = 1u64 << (exp - SUB_BITS);
    ((SUB as u64 + sub) << (exp - SUB_BITS)).saturating_add(width - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(percentile(&mut v, 50), 50);
        assert_eq!(percentile(&mut v, 99), 99);
        assert_eq!(percentile(&mut v, 100), 100);
        assert_eq!(percentile(&mut [7], 99), 7);
        assert_eq!(percentile(&mut [], 50), 0);
    }

    #[test]
    fn buckets_cover_every_value_in_order() {
        let mut last = 0;
        for v in [0, 1, 15, 16, 17, 31, 32, 1000, 1 << 40, u64::MAX] {
            let b = bucket(v);
            assert!(b < BUCKETS && b >= last, "{v} -> {b}");
            assert!(upper_bound(b) >= v, "{v}: {}", upper_bound(b));
            last = b;
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn histogram_percentiles_are_within_a_sixteenth_above() {
        let mut h = Histogram::default();
        assert_eq!(h.percentile(50), 0);
        for ms in 1..=1000u64 {
            h.record(ms * 1_000_000);
        }
        for (q, exact) in [(50, 500_000_000u64), (99, 990_000_000)] {
            let got = h.percentile(q);
            assert!(got >= exact && got <= exact + exact / 16, "p{q}: {got}");
        }
    }
}
