//! `Reverb`: a stereo feedback delay network (eight lines, a Householder
//! matrix, a damping filter and an exact RT60 gain in each line), fed
//! through a predelay and two allpass diffusers per channel.

use super::delay_line::DelayLine;
use super::params::{finite_clamp, ReverbParams};

/// Lines in the network.
const LINES: usize = 8;
/// Line lengths in seconds at size 1: spread between 30 and 70 ms with no
/// common ratios, so their resonances interleave instead of piling up.
const LINE_SECS: [f32; LINES] = [
    0.0317, 0.0371, 0.0411, 0.0437, 0.0479, 0.0533, 0.0599, 0.0671,
];
/// The smallest room is this fraction of the largest.
const MIN_SIZE_SCALE: f32 = 0.35;
/// Slow sways of the first four lines' lengths (Hz), which smear the
/// network's resonances so long tails stay smooth instead of ringing.
const SWAY_HZ: [f32; 4] = [0.53, 0.71, 0.89, 1.07];
/// How far the sways reach, in seconds.
const SWAY_SECS: f32 = 0.00025;
/// Allpass diffusers on each input channel: delays (seconds) and gain.
const DIFFUSER_SECS: [[f32; 2]; 2] = [[0.0047, 0.0031], [0.0053, 0.0029]];
const DIFFUSER_GAIN: f32 = 0.6;
/// The damping filter's pole at damping 1 (a one-pole lowpass in each
/// line, unity at DC).
const DAMPING_RANGE: f32 = 0.4;
/// The per-pass gains are set for a decay this much longer than asked:
/// the swaying lines' interpolation and the damping take high frequencies
/// down a little faster, and a broadband measurement (Schroeder
/// integration, -5 to -35 dB) then lands on the asked RT60. Measured in
/// `tests/effects.rs`.
const DECAY_CALIBRATION: f32 = 1.08;
/// The longest predelay, in seconds.
const MAX_PREDELAY_SECS: f32 = 0.5;
/// Output level of the network (its eight lines summed with signs).
const OUTPUT_GAIN: f32 = 0.3;
/// Output signs per line: two orthogonal rows, so the channels are
/// decorrelated.
const LEFT_SIGNS: [f32; LINES] = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
const RIGHT_SIGNS: [f32; LINES] = [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0];

/// A Schroeder allpass on a delay line.
#[derive(Clone, Debug)]
struct Allpass {
    line: DelayLine,
    delay: usize,
}

impl Allpass {
    fn new(delay: usize) -> Self {
        Allpass {
            line: DelayLine::new(delay),
            delay: delay.max(1),
        }
    }

    #[inline]
    fn process(&mut self, x: f32) -> f32 {
        let delayed = self.line.tap(self.delay);
        let v = x + DIFFUSER_GAIN * delayed;
        self.line.push(v);
        delayed - DIFFUSER_GAIN * v
    }
}

/// The reverb's audio state.
#[derive(Clone, Debug)]
pub(crate) struct Reverb {
    sample_rate: f32,
    params: ReverbParams,
    predelay: [DelayLine; 2],
    /// Predelay in frames, now and where it glides to.
    predelay_frames: f32,
    predelay_target: f32,
    diffusers: [[Allpass; 2]; 2],
    lines: [DelayLine; LINES],
    /// Line lengths in frames, now and where they glide to.
    lengths: [f32; LINES],
    length_targets: [f32; LINES],
    /// Per-line feedback gain (the RT60) and damping filter state.
    gains: [f32; LINES],
    damping_coefficient: f32,
    lowpass: [f32; LINES],
    sway_phase: [f32; 4],
    sway_step: [f32; 4],
    sway_frames: f32,
}

impl Reverb {
    /// A reverb for `sample_rate`, its memory allocated for the largest
    /// room and predelay.
    pub(crate) fn new(sample_rate: f32) -> Self {
        let frames = |secs: f32| (secs * sample_rate).ceil() as usize;
        let sway_frames = SWAY_SECS * sample_rate;
        let mut reverb = Reverb {
            sample_rate,
            params: ReverbParams::default(),
            predelay: std::array::from_fn(|_| DelayLine::new(frames(MAX_PREDELAY_SECS))),
            predelay_frames: 0.0,
            predelay_target: 0.0,
            diffusers: std::array::from_fn(|c| {
                std::array::from_fn(|k| Allpass::new(frames(DIFFUSER_SECS[c][k])))
            }),
            lines: std::array::from_fn(|i| {
                DelayLine::new(frames(LINE_SECS[i]) + sway_frames.ceil() as usize + 4)
            }),
            lengths: [0.0; LINES],
            length_targets: [0.0; LINES],
            gains: [0.0; LINES],
            damping_coefficient: 0.0,
            lowpass: [0.0; LINES],
            sway_phase: [0.0, 0.25, 0.5, 0.75],
            sway_step: SWAY_HZ.map(|hz| hz / sample_rate),
            sway_frames,
        };
        reverb.set(ReverbParams::default());
        reverb.settle();
        reverb
    }

    /// The settings last set.
    pub(crate) fn params(&self) -> ReverbParams {
        self.params
    }

    /// New settings (clamped; NaN keeps the current value). The size and
    /// the predelay glide to their new values; decay and damping apply at
    /// once (a gain change inside the loop does not click).
    pub(crate) fn set(&mut self, p: ReverbParams) {
        let old = self.params;
        let p = ReverbParams {
            decay_secs: finite_clamp(p.decay_secs, 0.05, 60.0, old.decay_secs),
            predelay_secs: finite_clamp(p.predelay_secs, 0.0, MAX_PREDELAY_SECS, old.predelay_secs),
            damping: finite_clamp(p.damping, 0.0, 1.0, old.damping),
            size: finite_clamp(p.size, 0.0, 1.0, old.size),
        };
        self.params = p;
        let scale = MIN_SIZE_SCALE + (1.0 - MIN_SIZE_SCALE) * p.size;
        for (target, secs) in self.length_targets.iter_mut().zip(LINE_SECS) {
            // Whole frames: the cubic read is then exact, no loss per pass.
            *target = (secs * scale * self.sample_rate).round().max(2.0);
        }
        self.predelay_target = (p.predelay_secs * self.sample_rate).round().max(1.0);
        self.damping_coefficient = DAMPING_RANGE * p.damping;
        self.update_gains();
    }

    /// Jumps to the settings' sizes and predelay (nothing sounds to glide).
    pub(crate) fn settle(&mut self) {
        self.lengths = self.length_targets;
        self.predelay_frames = self.predelay_target;
        self.update_gains();
    }

    /// Each line's gain for its current length: -60 dB after `decay_secs`
    /// of round trips.
    fn update_gains(&mut self) {
        let frames_for_60_db = self.params.decay_secs * DECAY_CALIBRATION * self.sample_rate;
        for (gain, length) in self.gains.iter_mut().zip(self.lengths) {
            *gain = 10f32.powf(-3.0 * length.max(1.0) / frames_for_60_db);
        }
    }

    /// Adds the reverb of `(in_left, in_right)` to `(out_left, out_right)`.
    /// Returns the largest output magnitude of the block.
    // The lines' state sits in parallel arrays, indexed by line.
    #[allow(clippy::needless_range_loop)]
    pub(crate) fn process(
        &mut self,
        in_left: &[f32],
        in_right: &[f32],
        out_left: &mut [f32],
        out_right: &mut [f32],
    ) -> f32 {
        let frames = out_left.len();
        let gliding = self.lengths != self.length_targets;
        if gliding {
            self.update_gains();
        }
        // The swaying lines' offsets at the block's ends, a line between
        // (the sways are slower than 1.1 Hz; a block is a few ms).
        let mut sway = [0.0f32; 4];
        let mut sway_step = [0.0f32; 4];
        for k in 0..4 {
            let start = self.sway_frames * triangle(self.sway_phase[k]);
            let mut phase = self.sway_phase[k] + self.sway_step[k] * frames as f32;
            phase -= phase.floor();
            let end = self.sway_frames * triangle(phase);
            self.sway_phase[k] = phase;
            sway[k] = self.lengths[k] + start;
            sway_step[k] = (end - start) / frames as f32;
        }
        let taps: [usize; LINES] = self.lengths.map(|l| l as usize);
        let a = self.damping_coefficient;
        let gains = self.gains;
        let mut lowpass = self.lowpass;
        let mut peak = 0.0f32;
        for n in 0..frames {
            let input = self.diffuse(in_left[n], in_right[n]);
            // Read every line: the first four swaying (linear
            // interpolation), the others at whole frames unless gliding.
            let mut raw = [0.0f32; LINES];
            for k in 0..4 {
                raw[k] = self.lines[k].read_linear(sway[k] + sway_step[k] * n as f32);
            }
            for k in 4..LINES {
                raw[k] = if gliding {
                    self.lines[k].read(self.lengths[k])
                } else {
                    self.lines[k].tap(taps[k])
                };
            }
            if gliding {
                for k in 0..LINES {
                    self.lengths[k] +=
                        (self.length_targets[k] - self.lengths[k]).clamp(-0.25, 0.25);
                }
            }
            // Damp and scale (eight lanes, no branches), then the
            // Householder feedback: y - (2/N)·Σy, plus the input.
            let mut y = [0.0f32; LINES];
            for k in 0..LINES {
                lowpass[k] = raw[k] + a * (lowpass[k] - raw[k]);
                y[k] = lowpass[k] * gains[k];
            }
            let reflect = y.iter().sum::<f32>() * (2.0 / LINES as f32);
            let (mut left, mut right) = (0.0f32, 0.0f32);
            for k in 0..LINES {
                left += LEFT_SIGNS[k] * y[k];
                right += RIGHT_SIGNS[k] * y[k];
            }
            for k in 0..LINES {
                self.lines[k].push(y[k] - reflect + input[k & 1]);
            }
            let (left, right) = (left * OUTPUT_GAIN, right * OUTPUT_GAIN);
            out_left[n] += left;
            out_right[n] += right;
            peak = peak.max(left.abs()).max(right.abs());
        }
        self.lowpass = lowpass;
        if !peak.is_finite() {
            self.clear();
            return 0.0;
        }
        peak
    }

    /// One frame of input through the predelay (gliding if it changed) and
    /// the diffusers, per channel.
    #[inline]
    fn diffuse(&mut self, left: f32, right: f32) -> [f32; 2] {
        let settled = self.predelay_frames == self.predelay_target;
        if !settled {
            self.predelay_frames += (self.predelay_target - self.predelay_frames).clamp(-0.5, 0.5);
        }
        let mut out = [0.0f32; 2];
        for (c, x) in [left, right].into_iter().enumerate() {
            self.predelay[c].push(x);
            let delayed = if settled {
                self.predelay[c].tap(self.predelay_frames as usize)
            } else {
                self.predelay[c].read(self.predelay_frames)
            };
            let d = &mut self.diffusers[c];
            let diffused = d[0].process(delayed);
            out[c] = d[1].process(diffused);
        }
        out
    }

    /// Silences the tail.
    pub(crate) fn clear(&mut self) {
        for line in self.lines.iter_mut().chain(self.predelay.iter_mut()) {
            line.clear();
        }
        for d in self.diffusers.iter_mut().flatten() {
            d.line.clear();
        }
        self.lowpass = [0.0; LINES];
    }
}

/// A triangle wave over one cycle of `phase` (`0..1`): -1 at 0, 1 at 0.5.
#[inline]
fn triangle(phase: f32) -> f32 {
    1.0 - 4.0 * (phase - 0.5).abs()
}
