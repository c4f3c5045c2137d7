//! Parameter smoothing: a slew limiter that moves a value toward its target
//! by at most a fixed step per frame, so a jump becomes a short straight ramp
//! (no zipper noise, no click, no denormal tail).

/// A smoothed parameter.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slew {
    current: f32,
    max_step_per_frame: f32,
    /// The rate a [`glide`](Self::glide) replaced, restored when it lands.
    usual_step_per_frame: f32,
}

impl Slew {
    /// A value starting at `value` that crosses a span of `full_span` in
    /// `ramp_frames` frames.
    pub(crate) fn new(value: f32, full_span: f32, ramp_frames: f32) -> Self {
        let step = full_span / ramp_frames.max(1.0);
        Slew {
            current: value,
            max_step_per_frame: step,
            usual_step_per_frame: step,
        }
    }

    /// Moves to `target` in a straight line over `frames` frames from where
    /// the value is now (the caller then advances toward `target`); the
    /// usual rate comes back once it lands or [`settle_rate`](Self::settle_rate)
    /// is called. 0 frames keeps the usual rate.
    pub(crate) fn glide(&mut self, target: f32, frames: u32) {
        self.max_step_per_frame = if frames == 0 {
            self.usual_step_per_frame
        } else {
            ((target - self.current).abs() / frames as f32).max(f32::MIN_POSITIVE)
        };
    }

    /// Goes back to the usual rate (a glide was replaced).
    pub(crate) fn settle_rate(&mut self) {
        self.max_step_per_frame = self.usual_step_per_frame;
    }

    /// The value now.
    pub(crate) fn value(&self) -> f32 {
        self.current
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
            self.max_step_per_frame = self.usual_step_per_frame;
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

    #[test]
    fn a_glide_is_a_line_over_its_frames_then_the_usual_rate_returns() {
        let mut s = Slew::new(1.0, 1.0, 10.0);
        s.glide(0.0, 1000);
        assert_eq!(s.advance(0.0, 500), (1.0, 0.5));
        assert_eq!(s.advance(0.0, 500), (0.5, 0.0));
        assert_eq!(s.advance(1.0, 5), (0.0, 0.5), "back to 10 frames per span");
        s.glide(0.0, 0);
        assert_eq!(s.advance(0.0, 5), (0.5, 0.0));
    }
}
