//! `Chorus`: up to four copies of the input, each delayed by 10–25 ms and
//! swayed by its own phase of a sine LFO, spread across the stereo field.

use super::delay_line::DelayLine;
use super::params::{finite_clamp, ChorusParams};

/// Delay of the first copy's centre, and the spacing of the others
/// (seconds).
const BASE_SECS: f32 = 0.012;
const SPACING_SECS: f32 = 0.0037;
/// The sway at depth 1, in seconds either side.
const MAX_SWAY_SECS: f32 = 0.004;
const MAX_VOICES: usize = 4;

/// The chorus's audio state.
#[derive(Clone, Debug)]
pub(crate) struct Chorus {
    sample_rate: f32,
    params: ChorusParams,
    line: DelayLine,
    phase: f32,
    /// The sway in frames, now (it glides to the depth's).
    sway_frames: f32,
}

impl Chorus {
    pub(crate) fn new(sample_rate: f32) -> Self {
        let longest = BASE_SECS + SPACING_SECS * MAX_VOICES as f32 + MAX_SWAY_SECS;
        let mut chorus = Chorus {
            sample_rate,
            params: ChorusParams::default(),
            line: DelayLine::new((longest * sample_rate).ceil() as usize + 4),
            phase: 0.0,
            sway_frames: 0.0,
        };
        chorus.set(ChorusParams::default());
        chorus.settle();
        chorus
    }

    pub(crate) fn params(&self) -> ChorusParams {
        self.params
    }

    /// New settings (clamped; NaN keeps the current value); the depth
    /// glides.
    pub(crate) fn set(&mut self, p: ChorusParams) {
        let old = self.params;
        self.params = ChorusParams {
            rate_hz: finite_clamp(p.rate_hz, 0.01, 10.0, old.rate_hz),
            depth: finite_clamp(p.depth, 0.0, 1.0, old.depth),
            voices: p.voices.clamp(1, MAX_VOICES as u8),
        };
    }

    /// Jumps to the set depth (nothing sounds to glide).
    pub(crate) fn settle(&mut self) {
        self.sway_frames = self.target_sway();
    }

    fn target_sway(&self) -> f32 {
        self.params.depth * MAX_SWAY_SECS * self.sample_rate
    }

    /// Adds the chorus of the input's mid channel to the outputs; returns
    /// the block's largest output magnitude. The LFO is evaluated at the
    /// block's ends and each copy's delay moves in a straight line between
    /// them (a block is a few milliseconds; the LFO at most 10 Hz).
    pub(crate) fn process(
        &mut self,
        in_left: &[f32],
        in_right: &[f32],
        out_left: &mut [f32],
        out_right: &mut [f32],
    ) -> f32 {
        let frames = out_left.len();
        let voices = self.params.voices as usize;
        let target = self.target_sway();
        // The depth glides over about 20 ms, block by block.
        let glide = (frames as f32 / (0.02 * self.sample_rate)).min(1.0);
        let sway_start = self.sway_frames;
        let sway_end = sway_start + (target - sway_start) * glide;
        self.sway_frames = sway_end;
        let phase_end = self.phase + self.params.rate_hz / self.sample_rate * frames as f32;
        let level = 1.0 / (voices as f32).sqrt();
        // Each copy's delay at the block's start and its step per frame,
        // and its left and right gains.
        let mut delay = [0.0f32; MAX_VOICES];
        let mut step = [0.0f32; MAX_VOICES];
        let mut gains = [(0.0f32, 0.0f32); MAX_VOICES];
        for k in 0..voices {
            let offset = k as f32 / voices as f32;
            let sway =
                |phase: f32, depth: f32| depth * (std::f32::consts::TAU * (phase + offset)).sin();
            let centre = (BASE_SECS + SPACING_SECS * k as f32) * self.sample_rate;
            let start = centre + sway(self.phase, sway_start);
            let end = centre + sway(phase_end, sway_end);
            delay[k] = start;
            step[k] = (end - start) / frames as f32;
            // Spread from left to right, the outer copies wider.
            let pan = if voices == 1 {
                0.5
            } else {
                k as f32 / (voices - 1) as f32
            };
            gains[k] = ((1.0 - pan) * level, pan * level);
        }
        self.phase = phase_end - phase_end.floor();
        let mut peak = 0.0f32;
        for n in 0..frames {
            self.line.push(0.5 * (in_left[n] + in_right[n]));
            let (mut left, mut right) = (0.0f32, 0.0f32);
            for k in 0..voices {
                let y = self.line.read_linear(delay[k] + step[k] * n as f32);
                left += y * gains[k].0;
                right += y * gains[k].1;
            }
            out_left[n] += left;
            out_right[n] += right;
            peak = peak.max(left.abs()).max(right.abs());
        }
        if !peak.is_finite() {
            self.line.clear();
            return 0.0;
        }
        peak
    }
}
