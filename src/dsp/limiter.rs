//! The output stage: keeps every sample finite and within [-1, 1] while
//! leaving a mix that stays below full scale untouched.

/// A peak limiter with instant attack and a smooth release.
///
/// It tracks a gain divisor that is 1.0 while the signal stays within
/// [-1, 1], so such a mix passes bit for bit. A louder sample raises the
/// divisor to that sample's magnitude at once (the output is then exactly at
/// full scale), after which it relaxes back to 1.0 over about 50 ms. Channels
/// share one divisor, so the stereo image holds. Non-finite samples are
/// replaced by silence.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limiter {
    /// How far the gain divisor is above 1.0 (0.0 when not limiting). Kept
    /// apart from the 1.0 so it decays smoothly instead of sticking at the
    /// last representable step above 1.0.
    excess: f32,
    release_coefficient: f32,
}

impl Limiter {
    /// A limiter for `sample_rate` frames per second.
    pub(crate) fn new(sample_rate: f32) -> Self {
        // Excess gain falls to 1/e in 20 ms: about 50 ms to settle.
        let release_frames = (0.02 * sample_rate).max(1.0);
        Limiter {
            excess: 0.0,
            release_coefficient: (-1.0 / release_frames).exp(),
        }
    }

    /// Limits one mono block in place.
    pub(crate) fn process_mono(&mut self, block: &mut [f32]) {
        if self.excess == 0.0 && within_full_scale(block) {
            return;
        }
        for x in block.iter_mut() {
            let s = if x.is_finite() { *x } else { 0.0 };
            let d = self.step(s.abs());
            *x = (s / d).clamp(-1.0, 1.0);
        }
    }

    /// Limits a stereo block (separate channels of equal length) in place.
    pub(crate) fn process_stereo(&mut self, left: &mut [f32], right: &mut [f32]) {
        if self.excess == 0.0 && within_full_scale(left) && within_full_scale(right) {
            return;
        }
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let sl = if l.is_finite() { *l } else { 0.0 };
            let sr = if r.is_finite() { *r } else { 0.0 };
            let d = self.step(sl.abs().max(sr.abs()));
            *l = (sl / d).clamp(-1.0, 1.0);
            *r = (sr / d).clamp(-1.0, 1.0);
        }
    }

    fn step(&mut self, magnitude: f32) -> f32 {
        let mut excess = self.excess * self.release_coefficient;
        // Snap to exactly 0 once the excess is inaudible (no denormal tail).
        if excess < 1e-7 {
            excess = 0.0;
        }
        excess = excess.max(magnitude - 1.0);
        self.excess = excess;
        1.0 + excess
    }
}

/// True if every sample is finite and within [-1, 1].
fn within_full_scale(block: &[f32]) -> bool {
    // With the sign bit cleared, the bits of a float order like its
    // magnitude, and every NaN and infinity is above 1.0's: one integer
    // maximum (which vectorises) answers for the whole block.
    let peak = block
        .iter()
        .fold(0u32, |m, x| m.max(x.to_bits() & 0x7fff_ffff));
    peak <= 1.0f32.to_bits()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mix_below_full_scale_passes_unchanged() {
        let mut lim = Limiter::new(48_000.0);
        let orig: Vec<f32> = (0..512).map(|i| (i as f32 * 0.1).sin() * 0.999).collect();
        let mut x = orig.clone();
        lim.process_mono(&mut x);
        assert_eq!(x, orig);
    }

    #[test]
    fn loud_input_is_held_to_full_scale_then_released() {
        let mut lim = Limiter::new(48_000.0);
        let mut x: Vec<f32> = (0..4800).map(|i| (i as f32 * 0.05).sin() * 3.0).collect();
        lim.process_mono(&mut x);
        assert!(x.iter().all(|v| v.abs() <= 1.0));
        let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(peak > 0.99, "peak {peak}");
        // After 0.5 s of quiet signal the limiter is fully relaxed.
        let mut quiet = vec![0.5; 24_000];
        lim.process_mono(&mut quiet);
        assert_eq!(*quiet.last().unwrap(), 0.5);
        assert_eq!(lim.excess, 0.0);
    }

    #[test]
    fn non_finite_samples_become_silence() {
        let mut lim = Limiter::new(44_100.0);
        let mut l = [f32::NAN, f32::INFINITY, 0.5, f32::NEG_INFINITY];
        let mut r = [0.25, 0.25, 0.25, 0.25];
        lim.process_stereo(&mut l, &mut r);
        assert_eq!(l[0], 0.0);
        assert_eq!(l[1], 0.0);
        assert!(l.iter().chain(&r).all(|v| v.is_finite() && v.abs() <= 1.0));
    }

    #[test]
    fn full_scale_check_is_exact_at_the_edges() {
        assert!(within_full_scale(&[1.0, -1.0, 0.0, -0.0, 0.5]));
        assert!(within_full_scale(&[]));
        let just_over = f32::from_bits(1.0f32.to_bits() + 1);
        for bad in [
            just_over,
            -just_over,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
        ] {
            let mut block = [0.25f32; 19];
            block[13] = bad;
            assert!(!within_full_scale(&block), "{bad}");
        }
    }

    #[test]
    fn stereo_channels_share_the_gain() {
        let mut lim = Limiter::new(44_100.0);
        let mut l = [2.0, 1.0];
        let mut r = [1.0, 0.5];
        lim.process_stereo(&mut l, &mut r);
        assert_eq!((l[0], r[0]), (1.0, 0.5));
    }
}
