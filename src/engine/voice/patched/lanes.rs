//! Where a patched voice's sources go before the filter: its own lanes,
//! one buffer per channel, which a filter batch turns into frames of lanes
//! (`dsp::transpose`) before its filters run.

use super::Lanes;
use crate::dsp::mix::Sink;
use crate::dsp::wavetable::Wavetables;
use crate::engine::MAX_BLOCK_FRAMES;

/// Lanes `lane` and `lane + 1` (there is always a lane after a voice's
/// first).
pub(super) fn split_two(lanes: &mut Lanes, lane: usize) -> [&mut [f32; MAX_BLOCK_FRAMES]; 2] {
    let (a, b) = lanes.split_at_mut(lane + 1);
    [&mut a[lane], &mut b[0]]
}

/// Where a patched voice's sources go before the filter: its own lanes
/// (left, right), one contiguous buffer per channel.
pub(super) struct Dest<'a>(pub(super) &'a mut [f32], pub(super) &'a mut [f32]);

impl Dest<'_> {
    /// Adds `source × gain` to channel `channel` (0 left, 1 right).
    pub(super) fn add(&mut self, channel: usize, source: &[f32], gain: f32) {
        add(if channel == 0 { self.0 } else { self.1 }, source, gain);
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

/// Adds `source × gain` to `mix`.
pub(super) fn add(mix: &mut [f32], source: &[f32], gain: f32) {
    for (m, x) in mix.iter_mut().zip(source) {
        *m += x * gain;
    }
}
