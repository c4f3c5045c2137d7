//! Parameter smoothing: a slew limiter that moves a value toward its target
//! by at most a fixed step per frame, so a jump becomes a short straight ramp
//! (no zipper noise, no click, no denormal tail).

/// A smoothed parameter.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slew {
    current: f32,
    max_step_per_frame: f32,
}

impl Slew {
    /// A value starting at `value` that crosses a span of `full_span` in
    /// `ramp_frames` frames.
    pub(crate) fn new(value: f32, full_span: f32, ramp_frames: f32) -> Self {
        Slew {
            current: value,
            max_step_per_frame: full_span / ramp_frames.max(1.0),
        }
    }

    /// Jumps to `value` at once.
    pub(crate) fn reset(&mut self, value: f32) {
        self.current = value;
    }

    /// Moves toward `target` over `frames` frames and returns the values at
    /// the start and after the block; in between the value is the straight
    /// line joining them.
    pub(crate) fn advance(&mut self, target: f32, frames: usize) -> (f32, f32) {
        let start = self.current;
        let reach = self.max_step_per_frame * frames as f32;
        self.current = if (target - start).abs() <= reach {
            target
        } else if target > start {
            start + reach
        } else {
            start - reach
        };
        (start, self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_at_the_set_rate_and_lands_exactly() {
        let mut s = Slew::new(0.0, 1.0, 100.0);
        assert_eq!(s.advance(1.0, 50), (0.0, 0.5));
        assert_eq!(s.advance(1.0, 50), (0.5, 1.0));
        assert_eq!(s.advance(1.0, 50), (1.0, 1.0));
        assert_eq!(s.advance(0.9, 256), (1.0, 0.9));
        assert!((s.advance(0.0, 10).1 - 0.8).abs() < 1e-6);
        s.reset(0.25);
        assert_eq!(s.advance(0.25, 1), (0.25, 0.25));
    }
}
