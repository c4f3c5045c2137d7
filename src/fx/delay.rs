//! `Delay`: echoes at a time, each `feedback` times the one before, in
//! place or alternating between the channels (ping-pong).

use super::delay_line::DelayLine;
use super::params::{finite_clamp, DelayParams, MAX_DELAY_SECS};

/// The fastest the delay time moves while it glides, in frames per frame.
const MAX_GLIDE: f32 = 0.25;

/// The delay's audio state.
#[derive(Clone, Debug)]
pub(crate) struct Delay {
    sample_rate: f32,
    params: DelayParams,
    lines: [DelayLine; 2],
    /// The delay in frames, now (it glides to the set time).
    frames: f32,
}

impl Delay {
    pub(crate) fn new(sample_rate: f32) -> Self {
        let max = (MAX_DELAY_SECS * sample_rate).ceil() as usize + 4;
        let mut delay = Delay {
            sample_rate,
            params: DelayParams::default(),
            lines: [DelayLine::new(max), DelayLine::new(max)],
            frames: 0.0,
        };
        delay.set(DelayParams::default());
        delay.settle();
        delay
    }

    pub(crate) fn params(&self) -> DelayParams {
        self.params
    }

    /// New settings (clamped; NaN keeps the current value); the time
    /// glides.
    pub(crate) fn set(&mut self, p: DelayParams) {
        let old = self.params;
        self.params = DelayParams {
            time_secs: finite_clamp(p.time_secs, 0.001, MAX_DELAY_SECS, old.time_secs),
            feedback: finite_clamp(p.feedback, 0.0, 0.98, old.feedback),
            ping_pong: p.ping_pong,
        };
    }

    /// Jumps to the set time (nothing sounds to glide).
    pub(crate) fn settle(&mut self) {
        self.frames = self.target_frames();
    }

    /// The delay now (while it glides), in seconds.
    pub(crate) fn gliding_secs(&self) -> f32 {
        self.frames / self.sample_rate
    }

    /// The set time in whole frames (echoes land on frames exactly).
    fn target_frames(&self) -> f32 {
        (self.params.time_secs * self.sample_rate).round().max(1.0)
    }

    /// Adds the echoes of the input to the outputs; returns the block's
    /// largest output magnitude.
    pub(crate) fn process(
        &mut self,
        in_left: &[f32],
        in_right: &[f32],
        out_left: &mut [f32],
        out_right: &mut [f32],
    ) -> f32 {
        let target = self.target_frames();
        // A glide: about 50 ms for small changes, at most a quarter frame
        // per frame for large ones (the echoes bend by at most 25 % in
        // pitch); nothing jumps, so nothing clicks.
        let glide = 1.0 / (0.05 * self.sample_rate).max(1.0);
        let feedback = self.params.feedback;
        let mut peak = 0.0f32;
        for n in 0..out_left.len() {
            let (left, right) = if self.frames == target {
                // Settled on whole frames: plain taps.
                let whole = target as usize;
                (self.lines[0].tap(whole), self.lines[1].tap(whole))
            } else {
                let step = ((target - self.frames) * glide).clamp(-MAX_GLIDE, MAX_GLIDE);
                self.frames = if step.abs() < 1e-4 {
                    target
                } else {
                    self.frames + step
                };
                (
                    self.lines[0].read(self.frames),
                    self.lines[1].read(self.frames),
                )
            };
            if self.params.ping_pong {
                // Everything enters on the left; each echo crosses over.
                self.lines[0].push(0.5 * (in_left[n] + in_right[n]) + feedback * right);
                self.lines[1].push(feedback * left);
            } else {
                self.lines[0].push(in_left[n] + feedback * left);
                self.lines[1].push(in_right[n] + feedback * right);
            }
            out_left[n] += left;
            out_right[n] += right;
            peak = peak.max(left.abs()).max(right.abs());
        }
        if !peak.is_finite() {
            self.lines.iter_mut().for_each(DelayLine::clear);
            return 0.0;
        }
        peak
    }
}
