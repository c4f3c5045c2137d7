//! White noise: a small, fast, seeded generator per voice.

/// White noise in `-1.0..1.0` from a 64-bit xorshift-multiply generator
/// (period 2^64 - 1: no audible repetition), deterministic per seed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NoiseSource {
    state: u64,
}

impl NoiseSource {
    /// A generator for `seed`; different seeds give independent sequences.
    pub(crate) fn new(seed: u64) -> Self {
        // SplitMix64 scrambles the seed so nearby seeds (1, 2, 3, …) start
        // far apart; the state must never be zero.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        NoiseSource {
            state: if z == 0 { 0x2545_F491_4F6C_DD1D } else { z },
        }
    }

    /// The generator for the voice `voice` of an engine seeded with
    /// `engine_seed`. Engine seed 0 gives `new(voice)`; other engine seeds
    /// move every voice to an unrelated sequence.
    pub(crate) fn for_voice(engine_seed: u64, voice: u64) -> Self {
        Self::new(
            engine_seed
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(29)
                ^ voice,
        )
    }

    /// Fills `out` with uniform white noise.
    pub(crate) fn render(&mut self, out: &mut [f32]) {
        let mut s = self.state;
        for o in out.iter_mut() {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let bits = s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40; // 24 random bits
            *o = bits as f32 * (2.0 / 16_777_216.0) - 1.0;
        }
        self.state = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(seed: u64, n: usize) -> Vec<f32> {
        let mut out = vec![0.0; n];
        NoiseSource::new(seed).render(&mut out);
        out
    }

    #[test]
    fn zero_mean_unit_range_and_white() {
        let x = noise(1, 1 << 18);
        let n = x.len() as f64;
        let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
        let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0 / 3.0).abs() < 0.01, "variance {var}");
        assert!(x.iter().all(|v| (-1.0..1.0).contains(v)));
        // Lag correlations near zero: a flat spectrum.
        for lag in [1, 2, 3, 17, 256] {
            let r = x
                .iter()
                .zip(&x[lag..])
                .map(|(&a, &b)| a as f64 * b as f64)
                .sum::<f64>()
                / n
                / var;
            assert!(r.abs() < 0.01, "lag {lag} correlation {r}");
        }
    }

    #[test]
    fn same_seed_same_noise_other_seed_independent() {
        assert_eq!(noise(42, 1000), noise(42, 1000));
        let a = noise(1, 1 << 16);
        let b = noise(2, 1 << 16);
        let r = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| x as f64 * y as f64)
            .sum::<f64>()
            / a.len() as f64
            * 3.0;
        assert!(r.abs() < 0.02, "cross-correlation {r}");
    }

    #[test]
    fn chunked_equals_whole() {
        let whole = noise(9, 300);
        let mut g = NoiseSource::new(9);
        let mut parts = vec![0.0; 300];
        g.render(&mut parts[..1]);
        g.render(&mut parts[1..129]);
        g.render(&mut parts[129..]);
        assert_eq!(whole, parts);
    }
}
