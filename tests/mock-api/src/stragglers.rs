//! Straggler mode (`--straggler-rate F --straggler-ms N`): a fraction of
//! data requests is answered N ms later than the others, the long tail a
//! real API has. With `--fail-rate` (503s by default) it is the benchmark's
//! "stragglers and failures" scenario.

use std::time::Duration;

use rand::Rng;

use crate::config::Config;

/// The extra delay of one request: `straggler_ms` with probability
/// `straggler_rate`, else none.
pub fn extra_delay(config: &Config, rng: &mut impl Rng) -> Duration {
    if config.straggler_rate > 0.0 && rng.random::<f64>() < config.straggler_rate {
        Duration::from_millis(config.straggler_ms)
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn about_the_rate_of_requests_straggle() {
        let config = Config {
            straggler_rate: 0.1,
            straggler_ms: 500,
            ..Config::default()
        };
        let mut rng = StdRng::seed_from_u64(7);
        let slow = (0..10_000)
            .filter(|_| !extra_delay(&config, &mut rng).is_zero())
            .count();
        assert!((800..1200).contains(&slow), "{slow}");
        assert!(extra_delay(&Config::default(), &mut rng).is_zero());
    }
}
