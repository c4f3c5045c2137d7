//! `Chorus`: up to four copies of the input, each delayed by 10–25 ms and
//! swayed by its own phase of a sine LFO, spread across the stereo field.

use super::chunked::{Chunked, Io, Scratch};
use super::delay_line::{interpolate, peak, DelayLine, CHUNK_FRAMES};
use super::params::{finite_clamp, ChorusParams};
use crate::dsp::fast::sin_cycles;

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
    block: Block,
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
            block: Block::default(),
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
}

/// What holds through a block: where the LFO and the depth start and end,
/// and each copy's centre delay and gains.
#[derive(Clone, Copy, Debug, Default)]
struct Block {
    frames: usize,
    done: usize,
    phase_end: f32,
    sway_start: f32,
    sway_end: f32,
    voices: usize,
    centres: [f32; MAX_VOICES],
    gains: [(f32, f32); MAX_VOICES],
}

impl Chunked for Chorus {
    fn begin_block(&mut self, frames: usize) {
        let voices = usize::from(self.params.voices).clamp(1, MAX_VOICES);
        let target = self.target_sway();
        // The depth glides over about 20 ms, block by block.
        let glide = (frames as f32 / (0.02 * self.sample_rate)).min(1.0);
        let sway_start = self.sway_frames;
        let sway_end = sway_start + (target - sway_start) * glide;
        self.sway_frames = sway_end;
        let level = 1.0 / (voices as f32).sqrt();
        let mut block = Block {
            frames: frames.max(1),
            done: 0,
            phase_end: self.phase + self.params.rate_hz / self.sample_rate * frames as f32,
            sway_start,
            sway_end,
            voices,
            ..Block::default()
        };
        for k in 0..voices {
            block.centres[k] = (BASE_SECS + SPACING_SECS * k as f32) * self.sample_rate;
            // Spread from left to right, the outer copies wider.
            let pan = if voices == 1 {
                0.5
            } else {
                k as f32 / (voices - 1) as f32
            };
            block.gains[k] = ((1.0 - pan) * level, pan * level);
        }
        self.block = block;
    }

    /// A feed-forward path: any chunk.
    fn chunk_frames(&self) -> usize {
        CHUNK_FRAMES
    }

    /// Adds the chorus of the chunk's mid channel to its outputs, each copy
    /// reading its run of the line at once and adding it in place. Returns
    /// a bound on what it added: the mid channel's peak times the copies'
    /// summed gain (a feed-forward path; it falls silent within
    /// [`Chorus`]'s longest delay of its input).
    #[inline(always)]
    fn process_chunk(&mut self, io: Io<'_>, scratch: &mut Scratch) -> f32 {
        let n = io.frames().min(CHUNK_FRAMES);
        let block = self.block;
        // The bus is mono (the middle of what the notes send), in its left.
        let input = &io.in_left[..n];
        self.line.write(input);
        let mid_peak = peak(input);
        // Each copy's delay at the chunk's ends, a line between (the LFO is
        // at most 10 Hz; a chunk a few milliseconds).
        let at = |frame: usize| {
            let t = frame as f32 / block.frames as f32;
            (
                self.phase + (block.phase_end - self.phase) * t,
                block.sway_start + (block.sway_end - block.sway_start) * t,
            )
        };
        let ((phase_a, depth_a), (phase_b, depth_b)) = (at(block.done), at(block.done + n));
        let (left, right) = (&mut io.out_left[..n], &mut io.out_right[..n]);
        let mut gain = 0.0f32;
        // Each copy in its own buffer (in whole groups of eight frames: the
        // buffers have the room), then all of them added to both sides in
        // one pass.
        let copies = &mut scratch.lines[..block.voices];
        for (k, copy) in copies.iter_mut().enumerate() {
            let offset = k as f32 / block.voices as f32;
            let sway = |phase: f32, depth: f32| depth * sin_cycles(phase + offset);
            let start = block.centres[k] + sway(phase_a, depth_a);
            let end = block.centres[k] + sway(phase_b, depth_b);
            let slope = (end - start) / n as f32;
            gain += block.gains[k].0.max(block.gains[k].1);
            for run in self.line.sweep(n - 1, start, slope, n) {
                let (older, newer) = self.line.pair(&run);
                let out = &mut copy[run.at..run.at + older.len()];
                interpolate(out, older, newer, run.base, slope);
            }
        }
        let g = &block.gains;
        match copies {
            [a] => add_copies(left, right, [g[0]], [a]),
            [a, b] => add_copies(left, right, [g[0], g[1]], [a, b]),
            [a, b, c] => add_copies(left, right, [g[0], g[1], g[2]], [a, b, c]),
            [a, b, c, d, ..] => add_copies(left, right, *g, [a, b, c, d]),
            [] => {}
        }
        self.block.done += n;
        gain * mid_peak
    }

    fn end_block(&mut self) {
        let phase = self.block.phase_end;
        self.phase = phase - phase.floor();
    }

    fn clear(&mut self) {
        self.line.clear();
    }
}

/// `left += Σ gains[k].0 · copies[k]`, `right += Σ gains[k].1 ·
/// copies[k]`.
#[inline(always)]
fn add_copies<const COPIES: usize>(
    left: &mut [f32],
    right: &mut [f32],
    gains: [(f32, f32); COPIES],
    copies: [&[f32]; COPIES],
) {
    let n = left.len().min(right.len());
    let copies = copies.map(|c| &c[..n]);
    for (j, (l, r)) in left[..n].iter_mut().zip(&mut right[..n]).enumerate() {
        for k in 0..COPIES {
            *l += gains[k].0 * copies[k][j];
            *r += gains[k].1 * copies[k][j];
        }
    }
}
