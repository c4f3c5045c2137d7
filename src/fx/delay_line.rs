//! `DelayLine`: a ring of past samples, read at a fractional delay.

/// A delay line: a power-of-two ring holding the last samples written,
/// read at any delay up to its capacity with cubic (Hermite) interpolation.
/// Allocated once; writing and reading never allocate.
#[derive(Clone, Debug)]
pub(crate) struct DelayLine {
    buffer: Box<[f32]>,
    mask: usize,
    /// The longest delay a read may ask for.
    max_delay: f32,
    /// Where the next sample goes.
    write: usize,
}

impl DelayLine {
    /// A line that can delay by up to `max_frames` frames (plus the taps
    /// cubic interpolation needs).
    pub(crate) fn new(max_frames: usize) -> Self {
        let len = (max_frames + 4).next_power_of_two();
        DelayLine {
            buffer: vec![0.0; len].into_boxed_slice(),
            mask: len - 1,
            max_delay: (len - 4) as f32,
            write: 0,
        }
    }

    /// Appends one sample.
    #[inline]
    pub(crate) fn push(&mut self, x: f32) {
        self.buffer[self.write] = x;
        self.write = (self.write + 1) & self.mask;
    }

    /// The sample written `delay` pushes ago (1 = the last one), whole
    /// frames only.
    #[inline]
    pub(crate) fn tap(&self, delay: usize) -> f32 {
        self.buffer[self.write.wrapping_sub(delay) & self.mask]
    }

    /// The signal `delay` frames ago (clamped to `1..=max_delay`),
    /// interpolated between samples with a cubic Hermite spline.
    #[inline]
    pub(crate) fn read(&self, delay: f32) -> f32 {
        let delay = delay.clamp(1.0, self.max_delay);
        let whole = delay as usize;
        let t = delay - whole as f32;
        // Samples around the read point: newer (x0, x1) and older (x2, x3).
        let x0 = self.tap(whole - 1 + usize::from(whole == 1));
        let x1 = self.tap(whole);
        let x2 = self.tap(whole + 1);
        let x3 = self.tap(whole + 2);
        let c1 = 0.5 * (x2 - x0);
        let c2 = x0 - 2.5 * x1 + 2.0 * x2 - 0.5 * x3;
        let c3 = 0.5 * (x3 - x0) + 1.5 * (x1 - x2);
        ((c3 * t + c2) * t + c1) * t + x1
    }

    /// The signal `delay` frames ago (clamped to `1..=max_delay`),
    /// interpolated linearly: cheaper than [`read`](Self::read), for delays
    /// that sway by a few frames.
    #[inline]
    pub(crate) fn read_linear(&self, delay: f32) -> f32 {
        let delay = delay.clamp(1.0, self.max_delay);
        let whole = delay as usize;
        let t = delay - whole as f32;
        let a = self.tap(whole);
        a + t * (self.tap(whole + 1) - a)
    }

    /// Silences the line.
    pub(crate) fn clear(&mut self) {
        self.buffer.fill(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_delays_read_back_exactly_and_fractions_interpolate() {
        let mut line = DelayLine::new(100);
        for i in 0..50 {
            line.push(i as f32);
        }
        assert_eq!(line.read(1.0), 49.0);
        assert_eq!(line.read(10.0), 40.0);
        // A ramp is reproduced exactly by the cubic.
        assert!((line.read(10.25) - 39.75).abs() < 1e-4);
        assert_eq!(line.tap(3), 47.0);
        assert!(line.max_delay >= 100.0);
    }
}
