//! `Reverb`: a stereo feedback delay network (eight lines, a Householder
//! matrix turned slowly by two rotations, a damping filter and an exact
//! RT60 gain in each line), fed in mono (its send bus holds the middle of
//! what the notes send) through a predelay and two allpass diffusers. The
//! two outputs read the lines with orthogonal signs, so they decorrelate.

use super::chunked::{Chunked, Io, Scratch};
use super::delay_line::{feedback_chunk, peak, DelayLine, CHUNK_FRAMES, LANES, RAMP};
use super::params::{finite_clamp, ReverbParams};
use std::f32::consts::TAU;

/// Lines in the network.
pub(crate) const LINES: usize = 8;
/// Line lengths in seconds at size 1: spread between 30 and 70 ms with no
/// common ratios, so their resonances interleave instead of piling up.
const LINE_SECS: [f32; LINES] = [
    0.0317, 0.0371, 0.0411, 0.0437, 0.0479, 0.0533, 0.0599, 0.0671,
];
/// The smallest room is this fraction of the largest.
const MIN_SIZE_SCALE: f32 = 0.35;
/// Two pairs of lines (0 and 4, 2 and 6) whose outputs turn into each
/// other on every pass: a rotation by an angle that grows without end, at
/// these rates (turns a second). The loop's matrix then changes slowly and
/// stays lossless, which smears the network's resonances so a long tail
/// stays smooth instead of ringing (a time-varying feedback matrix, where a
/// modulated delay would also bend the pitch and, interpolated, dull some
/// lines: those that kept their highs then rang). Measured in
/// `tests/effects.rs`.
const TURN_HZ: [f32; 2] = [0.53, 0.89];
/// The fastest a line's length glides to a new room size, and the
/// predelay to a new time, in frames per frame.
const MAX_LENGTH_GLIDE: f32 = 0.25;
const MAX_PREDELAY_GLIDE: f32 = 0.5;
/// The allpass diffusers on the input: delays (seconds) and gain.
const DIFFUSER_SECS: [f32; 2] = [0.0047, 0.0031];
const DIFFUSER_GAIN: f32 = 0.6;
/// The damping filter's second tap at damping 1 (a two-tap lowpass in
/// each line, unity at DC: at 0.5 it has a zero at Nyquist).
const DAMPING_RANGE: f32 = 0.5;
/// With damping, the per-pass gains are set for a decay up to this much
/// longer than asked: the damping takes the highs down faster, so a
/// broadband measurement (Schroeder integration, -5 to -35 dB) would find a
/// decay 11 % short from a damping of 0.05 up (the highs are gone early
/// whatever the damping). Measured in `tests/effects.rs`.
const DAMPED_DECAY_CALIBRATION: f32 = 1.12;
/// The longest predelay, in seconds.
const MAX_PREDELAY_SECS: f32 = 0.5;
/// Output level of the network (its eight lines summed with signs).
const OUTPUT_GAIN: f32 = 0.3;
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
}

/// Two allpasses in series from `input` to `out`, given what each line gives
/// back (`delayed`) and filling in what each takes in (`written`).
#[inline(always)]
fn allpasses(
    (input, out): (&[f32], &mut [f32]),
    delayed: (&[f32], &[f32]),
    written: (&mut [f32], &mut [f32]),
) {
    let lines = delayed
        .0
        .iter()
        .zip(delayed.1)
        .zip(written.0.iter_mut().zip(written.1.iter_mut()));
    let frames = input.iter().zip(out.iter_mut());
    for ((x, out), ((first, second), (first_written, second_written))) in frames.zip(lines) {
        let v = x + DIFFUSER_GAIN * first;
        *first_written = v;
        let y = first - DIFFUSER_GAIN * v;
        let v = y + DIFFUSER_GAIN * second;
        *second_written = v;
        *out = second - DIFFUSER_GAIN * v;
    }
}

/// The network's frames, `frames` of them: each line's run damped and
/// scaled (`now`, `before`: the gains on its sample now and the one
/// before), two pairs of lines turned into each other (`turns`, see
/// [`TURN_HZ`]), summed for the Householder reflection (y - (2/N)·Σy) and the
/// two outputs (written to `output` and added to `mix`), and what each line
/// takes in (`written`: its y, less the reflection, plus the input of its
/// side).
///
/// One pass across the frames ([`network_frames`]), every slice its own
/// argument so the compiler knows none overlaps another and keeps the loop
/// in vectors.
#[inline(always)]
fn network(
    frames: usize,
    raw: &[&[f32]; LINES],
    input: &[f32; CHUNK_FRAMES],
    (now, before, turns): (&[f32; LINES], &[f32; LINES], &[Turn; 2]),
    written: &mut [&mut [f32]; LINES],
    (left, right): (
        &mut [f32; CHUNK_FRAMES + LANES],
        &mut [f32; CHUNK_FRAMES + LANES],
    ),
    (mix_left, mix_right): (&mut [f32], &mut [f32]),
) {
    let frames = raw
        .iter()
        .fold(frames.min(CHUNK_FRAMES), |n, run| {
            n.min(run.len().saturating_sub(1))
        })
        .min(written.iter().fold(CHUNK_FRAMES, |n, w| n.min(w.len())))
        .min(mix_left.len())
        .min(mix_right.len());
    let [r0, r1, r2, r3, r4, r5, r6, r7] = raw.map(|r| &r[..=frames]);
    let [w0, w1, w2, w3, w4, w5, w6, w7] = written;
    network_frames(
        r0,
        r1,
        r2,
        r3,
        r4,
        r5,
        r6,
        r7,
        w0,
        w1,
        w2,
        w3,
        w4,
        w5,
        w6,
        w7,
        &input[..frames],
        &mut left[..frames],
        &mut right[..frames],
        &mut mix_left[..frames],
        &mut mix_right[..frames],
        *now,
        *before,
        *turns,
    );
}

/// What [`network`] computes, frame by frame. (Each slice is an argument of
/// its own: the compiler then knows that none overlaps another.)
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn network_frames(
    r0: &[f32],
    r1: &[f32],
    r2: &[f32],
    r3: &[f32],
    r4: &[f32],
    r5: &[f32],
    r6: &[f32],
    r7: &[f32],
    w0: &mut [f32],
    w1: &mut [f32],
    w2: &mut [f32],
    w3: &mut [f32],
    w4: &mut [f32],
    w5: &mut [f32],
    w6: &mut [f32],
    w7: &mut [f32],
    input: &[f32],
    left: &mut [f32],
    right: &mut [f32],
    mix_left: &mut [f32],
    mix_right: &mut [f32],
    now: [f32; LINES],
    before: [f32; LINES],
    turns: [Turn; 2],
) {
    let frames = input.len();
    let ramp = &RAMP[..frames];
    let (r0, r1, r2, r3) = (
        &r0[..=frames],
        &r1[..=frames],
        &r2[..=frames],
        &r3[..=frames],
    );
    let (r4, r5, r6, r7) = (
        &r4[..=frames],
        &r5[..=frames],
        &r6[..=frames],
        &r7[..=frames],
    );
    let (w0, w1, w2, w3) = (
        &mut w0[..frames],
        &mut w1[..frames],
        &mut w2[..frames],
        &mut w3[..frames],
    );
    let (w4, w5, w6, w7) = (
        &mut w4[..frames],
        &mut w5[..frames],
        &mut w6[..frames],
        &mut w7[..frames],
    );
    let (left, right) = (&mut left[..frames], &mut right[..frames]);
    let (mix_left, mix_right) = (&mut mix_left[..frames], &mut mix_right[..frames]);
    for j in 0..frames {
        // Damping (a two-tap lowpass) and the RT60 gain.
        let y = |k: usize, r: &[f32]| now[k] * r[j + 1] + before[k] * r[j];
        let (y0, y1, y2, y3) = (y(0, r0), y(1, r1), y(2, r2), y(3, r3));
        let (y4, y5, y6, y7) = (y(4, r4), y(5, r5), y(6, r6), y(7, r7));
        // The two rotations (see `TURN_HZ`).
        let t = ramp[j];
        let ((y0, y4), (y2, y6)) = (turns[0].apply(t, y0, y4), turns[1].apply(t, y2, y6));
        let pairs = [y0 + y1, y2 + y3, y4 + y5, y6 + y7];
        let differences = [y0 - y1, y2 - y3, y4 - y5, y6 - y7];
        let sum = (pairs[0] + pairs[1]) + (pairs[2] + pairs[3]);
        // Two orthogonal rows of signs, so the channels decorrelate.
        let to_left = (differences[0] + differences[1]) + (differences[2] + differences[3]);
        let to_right = (pairs[0] - pairs[1]) + (pairs[2] - pairs[3]);
        let (l, r) = (OUTPUT_GAIN * to_left, OUTPUT_GAIN * to_right);
        left[j] = l;
        right[j] = r;
        mix_left[j] += l;
        mix_right[j] += r;
        let reflect = (2.0 / LINES as f32) * sum;
        let x = input[j] - reflect;
        w0[j] = y0 + x;
        w1[j] = y1 + x;
        w2[j] = y2 + x;
        w3[j] = y3 + x;
        w4[j] = y4 + x;
        w5[j] = y5 + x;
        w6[j] = y6 + x;
        w7[j] = y7 + x;
    }
}

/// One rotation across a chunk: its cosine and sine at the chunk's first
/// frame and their steps per frame. Between the chunk's ends they move in
/// a straight line, a hair inside the circle (a gain under 1 by at most
/// 1.2e-4 for a 256-frame chunk at 0.89 Hz), so the rotation never adds
/// energy.
#[derive(Clone, Copy, Debug, Default)]
struct Turn {
    cos: f32,
    cos_step: f32,
    sin: f32,
    sin_step: f32,
}

impl Turn {
    /// The rotation over `frames` frames from the angle whose cosine and
    /// sine are `at`, by `radians_per_frame`; also returns the angle it
    /// ends at (its cosine and sine). The step is a product of rotations,
    /// not a `sin`/`cos` of the angle: the angle of a chunk (at most 0.2
    /// radians) is well within a few terms of their series, and the end is
    /// brought back onto the circle.
    fn across(at: (f32, f32), radians_per_frame: f32, frames: usize) -> (Self, (f32, f32)) {
        let frames = frames.max(1) as f32;
        let a = radians_per_frame * frames;
        let a2 = a * a;
        let cos_a = 1.0 - a2 / 2.0 * (1.0 - a2 / 12.0 * (1.0 - a2 / 30.0));
        let sin_a = a * (1.0 - a2 / 6.0 * (1.0 - a2 / 20.0));
        let (cos, sin) = at;
        let (end_cos, end_sin) = (cos * cos_a - sin * sin_a, sin * cos_a + cos * sin_a);
        let norm = (end_cos * end_cos + end_sin * end_sin).sqrt();
        let end = (end_cos / norm, end_sin / norm);
        let turn = Turn {
            cos,
            cos_step: (end.0 - cos) / frames,
            sin,
            sin_step: (end.1 - sin) / frames,
        };
        (turn, end)
    }

    /// `(a, b)` rotated at frame `t` of the chunk.
    #[inline(always)]
    fn apply(&self, t: f32, a: f32, b: f32) -> (f32, f32) {
        let (c, s) = (self.cos + t * self.cos_step, self.sin + t * self.sin_step);
        (c * a - s * b, s * a + c * b)
    }
}

/// Runs `input` through two allpasses in series into `out`, in pieces of
/// at most either delay, so every sample they read was written before.
/// `temporary` holds what the two lines take in.
#[inline(always)]
fn diffuse_pair(
    [first, second]: &mut [Allpass; 2],
    input: &[f32],
    out: &mut [f32],
    temporary: &mut [[f32; CHUNK_FRAMES]],
) {
    let frames = input.len().min(out.len()).min(CHUNK_FRAMES);
    let [first_written, second_written, ..] = temporary else {
        return;
    };
    let piece = first.delay.min(second.delay).clamp(1, CHUNK_FRAMES);
    let mut done = 0;
    while done < frames {
        let n = piece.min(frames - done);
        let span = done..done + n;
        let io = (&input[span.clone()], &mut out[span]);
        // Straight into the rings where their slots are clear (most
        // pieces), else through `temporary` and copied in.
        let slots = (
            first.line.read_and_slot(first.delay, n, n),
            second.line.read_and_slot(second.delay, n, n),
        );
        match slots {
            (Some((first_run, first_slot)), Some((second_run, second_slot))) => {
                allpasses(io, (first_run, second_run), (first_slot, second_slot));
                first.line.advance(n);
                second.line.advance(n);
            }
            _ => {
                allpasses(
                    io,
                    (
                        first.line.run(first.delay, n),
                        second.line.run(second.delay, n),
                    ),
                    (&mut first_written[..n], &mut second_written[..n]),
                );
                first.line.write(&first_written[..n]);
                second.line.write(&second_written[..n]);
            }
        }
        done += n;
    }
}

/// The reverb's audio state.
#[derive(Clone, Debug)]
pub(crate) struct Reverb {
    sample_rate: f32,
    params: ReverbParams,
    predelay: DelayLine,
    /// Predelay in frames, now and where it glides to.
    predelay_frames: f32,
    predelay_target: f32,
    diffusers: [Allpass; 2],
    lines: [DelayLine; LINES],
    /// Line lengths in frames, now and where they glide to.
    lengths: [f32; LINES],
    length_targets: [f32; LINES],
    /// Per-line feedback gain (the RT60) and damping filter state.
    gains: [f32; LINES],
    damping_coefficient: f32,
    /// Each line's last output, for the damping filter.
    last_raw: [f32; LINES],
    /// Each rotation's angle now (its cosine and sine) and its step per
    /// frame, in radians.
    turn_at: [(f32, f32); 2],
    turn_step: [f32; 2],
}

impl Reverb {
    /// A reverb for `sample_rate`, its memory allocated for the largest
    /// room and predelay.
    pub(crate) fn new(sample_rate: f32) -> Self {
        let frames = |secs: f32| (secs * sample_rate).ceil() as usize;
        let mut reverb = Reverb {
            sample_rate,
            params: ReverbParams::default(),
            predelay: DelayLine::new(frames(MAX_PREDELAY_SECS)),
            predelay_frames: 0.0,
            predelay_target: 0.0,
            diffusers: DIFFUSER_SECS.map(|secs| Allpass::new(frames(secs))),
            lines: std::array::from_fn(|i| DelayLine::new(frames(LINE_SECS[i]) + 4)),
            lengths: [0.0; LINES],
            length_targets: [0.0; LINES],
            gains: [0.0; LINES],
            damping_coefficient: 0.0,
            last_raw: [0.0; LINES],
            turn_at: [(1.0, 0.0), (-1.0, 0.0)],
            turn_step: TURN_HZ.map(|hz| TAU * hz / sample_rate),
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
            // Whole frames: a settled line is then read in place, exactly.
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
        // The calibration reaches its full value at a damping of 0.05 and a
        // decay of 1 s (a shorter tail has fewer passes to lose its highs
        // in: at 0.5 s it measures 6 % short, not 11 %).
        let damped = (20.0 * self.params.damping).min(1.0) * self.params.decay_secs.min(1.0);
        let calibration = 1.0 + (DAMPED_DECAY_CALIBRATION - 1.0) * damped;
        let frames_for_60_db = self.params.decay_secs * calibration * self.sample_rate;
        for (gain, length) in self.gains.iter_mut().zip(self.lengths) {
            *gain = 10f32.powf(-3.0 * length.max(1.0) / frames_for_60_db);
        }
    }

    /// A chunk of input through the predelay (gliding if it changed) and
    /// the diffusers, into `scratch.input[0]`.
    #[inline(always)]
    fn diffuse(&mut self, input: &[f32], scratch: &mut Scratch) {
        let n = input.len().min(CHUNK_FRAMES);
        let start = self.predelay_frames;
        let glide = MAX_PREDELAY_GLIDE * n as f32;
        let end = start + (self.predelay_target - start).clamp(-glide, glide);
        self.predelay_frames = end;
        let slope = (end - start) / n as f32;
        let predelay = &mut self.predelay;
        predelay.write(&input[..n]);
        // Settled on whole frames, the predelay is read in place.
        let delayed: &[f32] = match predelay.whole_delay(start, slope) {
            Some(whole) => predelay.run(n - 1 + whole, n),
            None => {
                predelay.read_sweep(n - 1, start, slope, n, &mut scratch.output[0]);
                &scratch.output[0][..n]
            }
        };
        let out = &mut scratch.input[0][..n];
        diffuse_pair(&mut self.diffusers, delayed, out, &mut scratch.written);
    }
}

impl Chunked for Reverb {
    /// How many frames the network can run at once: no longer than its
    /// shortest line while gliding a quarter frame per frame (the
    /// diffusers, shorter, run their chunk in pieces).
    #[inline(always)]
    fn chunk_frames(&self) -> usize {
        let shortest_line = self.lengths.iter().fold(f32::INFINITY, |a, b| a.min(*b));
        feedback_chunk(shortest_line, MAX_LENGTH_GLIDE)
    }

    /// One chunk (at most the shortest loop long): each stage runs across
    /// the chunk's frames, one line after another, so the loops vectorise.
    // The lines' state sits in parallel arrays, indexed by line.
    #[allow(clippy::needless_range_loop)]
    #[inline(always)]
    fn process_chunk(&mut self, io: Io<'_>, scratch: &mut Scratch) -> f32 {
        let n = io.frames().min(CHUNK_FRAMES);
        // The bus is mono, in its left.
        let Io {
            in_left: input,
            out_left,
            out_right,
            ..
        } = io;
        self.diffuse(&input[..n], scratch);
        // Read every line: at whole frames in place, or gliding while the
        // room size changes (linear interpolation). Each run comes after
        // the line's last sample of the chunk before (the damping filter's
        // second tap).
        let gliding = self.lengths != self.length_targets;
        // Lines read in place (at whole frames) keep their delay here.
        let mut in_place = [None; LINES];
        for k in 0..LINES {
            let delay = self.lengths[k];
            let mut slope = 0.0;
            if gliding {
                let glide = MAX_LENGTH_GLIDE * n as f32;
                let end = delay + (self.length_targets[k] - delay).clamp(-glide, glide);
                slope = (end - delay) / n as f32;
                self.lengths[k] = end;
            }
            in_place[k] = self.lines[k].whole_delay(delay, slope);
            if in_place[k].is_none() {
                let raw = &mut scratch.lines[k];
                raw[0] = self.last_raw[k];
                self.lines[k].read_sweep(0, delay, slope, n, &mut raw[1..]);
            }
        }
        if gliding {
            self.update_gains();
        }
        // Each run with the sample before it: from the ring itself, one
        // frame earlier, or from the copy. What each line takes in goes
        // straight into its ring where the slot is clear (most chunks),
        // else into `scratch.written` and is copied in after.
        let reads = in_place.map(|whole| whole.map_or((0, 0), |whole| (whole + 1, n + 1)));
        let direct: [bool; LINES] =
            std::array::from_fn(|k| self.lines[k].has_slot(reads[k].0, reads[k].1, n));
        let mut raw: [&[f32]; LINES] = [&[]; LINES];
        let mut written: [&mut [f32]; LINES] = Default::default();
        let lines = self.lines.iter_mut().zip(&scratch.lines);
        let spare = scratch.written.iter_mut();
        for (k, ((line, copy), spare)) in lines.zip(spare).enumerate() {
            let (back, read_frames) = reads[k];
            let (run, slot) = if direct[k] {
                line.read_and_slot(back, read_frames, n).unwrap_or_default()
            } else {
                (line.run(back, read_frames), &mut spare[..n])
            };
            raw[k] = if in_place[k].is_some() {
                run
            } else {
                &copy[..=n]
            };
            written[k] = slot;
        }
        for k in 0..LINES {
            self.last_raw[k] = raw[k][n];
        }
        // Damping (a two-tap lowpass) and the RT60 gain in one pair of
        // taps per line.
        let turns: [Turn; 2] = std::array::from_fn(|p| {
            let (turn, end) = Turn::across(self.turn_at[p], self.turn_step[p], n);
            self.turn_at[p] = end;
            turn
        });
        let b = self.damping_coefficient;
        let now = self.gains.map(|g| g * (1.0 - b));
        let before = self.gains.map(|g| g * b);
        let [left, right] = &mut scratch.output;
        network(
            n,
            &raw,
            &scratch.input[0],
            (&now, &before, &turns),
            &mut written,
            (left, right),
            (out_left, out_right),
        );
        for ((line, direct), spare) in self.lines.iter_mut().zip(direct).zip(&scratch.written) {
            if direct {
                line.advance(n);
            } else {
                line.write(&spare[..n]);
            }
        }
        let [left, right] = &scratch.output;
        peak(&left[..n]).max(peak(&right[..n]))
    }

    /// Silences the tail.
    fn clear(&mut self) {
        for line in self.lines.iter_mut().chain([&mut self.predelay]) {
            line.clear();
        }
        for d in &mut self.diffusers {
            d.line.clear();
        }
        self.last_raw = [0.0; LINES];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_follows_its_angle_chunk_after_chunk_and_stays_on_the_circle() {
        let step = TAU * 0.89 / 48_000.0;
        let mut at = (1.0f32, 0.0f32);
        let mut frames_done = 0usize;
        // Chunks of every length a block splits into, for a minute.
        for chunk in (1..=256).cycle().take(22_000) {
            let (turn, end) = Turn::across(at, step, chunk);
            // Halfway, the line between the ends is a hair inside the
            // circle, and it meets the end at the chunk's last frame.
            let (c, s) = (
                turn.cos + chunk as f32 / 2.0 * turn.cos_step,
                turn.sin + chunk as f32 / 2.0 * turn.sin_step,
            );
            let gain = (c * c + s * s).sqrt();
            assert!(gain <= 1.0 + 1e-6 && gain > 1.0 - 2e-4, "gain {gain}");
            let last = (
                turn.cos + chunk as f32 * turn.cos_step,
                turn.sin + chunk as f32 * turn.sin_step,
            );
            assert!((last.0 - end.0).abs() < 1e-5 && (last.1 - end.1).abs() < 1e-5);
            at = end;
            frames_done += chunk;
        }
        let angle = f64::from(step) * frames_done as f64;
        let (cos, sin) = (angle.cos() as f32, angle.sin() as f32);
        assert!(
            (at.0 - cos).abs() < 1e-3 && (at.1 - sin).abs() < 1e-3,
            "after {frames_done} frames: {at:?} against ({cos}, {sin})"
        );
    }
}
