//! Where a patched voice's sources go before the filter: its own lanes or
//! a lane of the batch's frame-major buffer, through sinks the oscillators
//! write into.

use super::Lanes;
use crate::dsp::filter::LANES;
use crate::dsp::mix::Sink;
use crate::dsp::wavetable::Wavetables;
use crate::engine::MAX_BLOCK_FRAMES;

/// Lanes `lane` and `lane + 1` (there is always a lane after a voice's
/// first).
pub(super) fn split_two(lanes: &mut Lanes, lane: usize) -> [&mut [f32; MAX_BLOCK_FRAMES]; 2] {
    let (a, b) = lanes.split_at_mut(lane + 1);
    [&mut a[lane], &mut b[0]]
}

/// Where a patched voice's sources go before the filter.
pub(super) enum Dest<'a> {
    /// Its own contiguous lanes (left, right): a voice without a filter.
    Lanes(&'a mut [f32], &'a mut [f32]),
    /// Lane `.1` (and the next, for stereo) of the filter batch.
    Batch(&'a mut [[f32; LANES]], usize),
}

impl Dest<'_> {
    /// Adds `source × gain` to channel `channel` (0 left, 1 right).
    pub(super) fn add(&mut self, channel: usize, source: &[f32], gain: f32) {
        match self {
            Dest::Lanes(l, r) => add(if channel == 0 { l } else { r }, source, gain),
            Dest::Batch(frames, lane) => {
                for (f, x) in frames.iter_mut().zip(source) {
                    f[*lane + channel] += x * gain;
                }
            }
        }
    }
}

/// Plays a table (or, with a duty cycle, a pulse) into `sink`.
pub(super) fn oscillate<S: Sink>(
    tables: &'static Wavetables,
    level: crate::dsp::wavetable::Spline<'static>,
    phase: &mut u32,
    increment: u32,
    duty: Option<f32>,
    sink: &mut S,
) {
    match duty {
        Some(duty) => tables.play_pulse(level, phase, increment, duty, sink),
        None => tables.play(level, phase, increment, sink),
    }
}

/// An oscillator's frames × `gain` into one lane of frame-major buffers:
/// added (`ADD`), or stored (the first thing written into a lane that
/// holds zeros).
pub(super) struct Lane<'a, const ADD: bool> {
    pub(super) frames: &'a mut [[f32; LANES]],
    pub(super) lane: usize,
    pub(super) gain: f32,
}

/// Adds into a lane.
pub(super) type AddLane<'a> = Lane<'a, true>;
/// Stores into a lane.
pub(super) type WriteLane<'a> = Lane<'a, false>;

impl<const ADD: bool> Sink for Lane<'_, ADD> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.frames.len()
    }

    #[inline(always)]
    fn put8(&mut self, i: usize, y: [f32; 8]) {
        for (f, y) in self.frames[i..i + 8].iter_mut().zip(y) {
            let v = y * self.gain;
            f[self.lane] = if ADD { f[self.lane] + v } else { v };
        }
    }

    #[inline(always)]
    fn put1(&mut self, i: usize, y: f32) {
        let v = y * self.gain;
        let f = &mut self.frames[i][self.lane];
        *f = if ADD { *f + v } else { v };
    }
}

/// As [`AddLane`], panned into a lane and the next.
pub(super) struct AddLanePair<'a> {
    pub(super) frames: &'a mut [[f32; LANES]],
    pub(super) lane: usize,
    pub(super) gain: f32,
    pub(super) pan: (f32, f32),
}

impl Sink for AddLanePair<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.frames.len()
    }

    #[inline(always)]
    fn put8(&mut self, i: usize, y: [f32; 8]) {
        for (f, y) in self.frames[i..i + 8].iter_mut().zip(y) {
            let v = y * self.gain;
            f[self.lane] += v * self.pan.0;
            f[self.lane + 1] += v * self.pan.1;
        }
    }

    #[inline(always)]
    fn put1(&mut self, i: usize, y: f32) {
        let v = y * self.gain;
        self.frames[i][self.lane] += v * self.pan.0;
        self.frames[i][self.lane + 1] += v * self.pan.1;
    }
}

/// Adds `source × gain` to `mix`.
pub(super) fn add(mix: &mut [f32], source: &[f32], gain: f32) {
    for (m, x) in mix.iter_mut().zip(source) {
        *m += x * gain;
    }
}
