//! The block runner: the one piece of code that splits a block at the
//! frames where events fall, applies them, and renders the pieces between.
//! The controller's queue, timelines, MIDI files and live MIDI are all
//! [`EventSource`]s feeding it.

use super::core::EngineCore;
use super::{RealtimeEngine, MAX_BLOCK_FRAMES};

/// Events due at frames, fed to an engine by the block runner
/// ([`RealtimeEngine::process_from`]).
///
/// A source knows the frame of its next event and applies the events that
/// are due. The runner renders up to that frame, asks the source to apply
/// what is due there, and renders on, so every event lands on its frame
/// whatever the buffer sizes. The audio side of a split engine, the
/// timeline renderer and the MIDI file player are sources; so is a plugin
/// host's event list.
///
/// ```
/// use polyphonica::{AdsrEnvelope, Event, EventTarget, Note, RealtimeEngine, Waveform};
/// use polyphonica::engine::{EventSource, Output};
///
/// /// One note on at frame 100.
/// struct OneNote(Option<u64>);
///
/// impl EventSource for OneNote {
///     fn next_frame(&mut self) -> Option<u64> {
///         self.0
///     }
///     fn apply_due(&mut self, frame: u64, engine: &mut RealtimeEngine) {
///         if self.0.is_some_and(|f| f <= frame) {
///             self.0 = None;
///             let note = Note::new(Waveform::Square, 1_000.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0));
///             engine.trigger(note);
///         }
///     }
/// }
///
/// let mut engine = RealtimeEngine::new(48_000.0);
/// let mut out = [0.0f32; 256];
/// engine.process_from(&mut OneNote(Some(100)), 0, Output::Mono(&mut out));
/// assert!(out[..100].iter().all(|s| *s == 0.0));
/// assert!(out[101] != 0.0);
/// ```
pub trait EventSource {
    /// The frame of the earliest event not applied yet (`None` if there is
    /// none).
    fn next_frame(&mut self) -> Option<u64>;

    /// Applies to `engine` every event due at or before `frame`.
    fn apply_due(&mut self, frame: u64, engine: &mut RealtimeEngine);
}

/// No events at all.
impl EventSource for () {
    fn next_frame(&mut self) -> Option<u64> {
        None
    }

    fn apply_due(&mut self, _: u64, _: &mut RealtimeEngine) {}
}

/// Where a block goes: one channel, interleaved stereo (L R L R …), or
/// planar stereo (separate left and right slices).
#[derive(Debug)]
pub enum Output<'a> {
    /// Mono: every voice at its level, pan ignored.
    Mono(&'a mut [f32]),
    /// Interleaved stereo; an odd last sample is written as silence.
    Interleaved(&'a mut [f32]),
    /// Planar stereo: frame `i` is `left[i]`, `right[i]`; the block is as
    /// long as the shorter slice (the rest of the longer one is silenced).
    Planar(&'a mut [f32], &'a mut [f32]),
}

impl Output<'_> {
    /// Frames in the block.
    ///
    /// ```
    /// use polyphonica::engine::Output;
    /// assert_eq!(Output::Interleaved(&mut [0.0; 9]).frames(), 4);
    /// assert_eq!(Output::Planar(&mut [0.0; 3], &mut [0.0; 5]).frames(), 3);
    /// ```
    pub fn frames(&self) -> usize {
        match self {
            Output::Mono(m) => m.len(),
            Output::Interleaved(i) => i.len() / 2,
            Output::Planar(l, r) => l.len().min(r.len()),
        }
    }

    /// Silences what lies outside the frames (an odd interleaved sample, the
    /// longer planar slice's tail).
    fn clear_unpaired(&mut self) {
        match self {
            Output::Mono(_) => {}
            Output::Interleaved(i) => {
                let paired = i.len() / 2 * 2;
                i[paired..].fill(0.0);
            }
            Output::Planar(l, r) => {
                let n = l.len().min(r.len());
                l[n..].fill(0.0);
                r[n..].fill(0.0);
            }
        }
    }

    /// Renders frames `from..to` of the block with `core`.
    fn render(&mut self, core: &mut EngineCore, from: usize, to: usize) {
        match self {
            Output::Mono(m) => core.render_mono(&mut m[from..to]),
            Output::Planar(l, r) => core.render_stereo(&mut l[from..to], &mut r[from..to]),
            Output::Interleaved(i) => {
                let mut left = [0.0f32; MAX_BLOCK_FRAMES];
                let mut right = [0.0f32; MAX_BLOCK_FRAMES];
                for chunk in i[2 * from..2 * to].chunks_mut(2 * MAX_BLOCK_FRAMES) {
                    let n = chunk.len() / 2;
                    core.render_stereo(&mut left[..n], &mut right[..n]);
                    interleave(chunk, &left[..n], &right[..n]);
                }
            }
        }
    }
}

/// Writes `left` and `right` into `out` as L R L R ….
pub(crate) fn interleave(out: &mut [f32], left: &[f32], right: &[f32]) {
    for (pair, (l, r)) in out.chunks_exact_mut(2).zip(left.iter().zip(right)) {
        pair[0] = *l;
        pair[1] = *r;
    }
}

/// Renders `output`, the frames from `first_frame` on, applying the events
/// of `source` at their frames. Events due at or before `first_frame` apply
/// before the first frame; events at the frame after the block are left for
/// the next block. Bounded by the block's frames and its events.
pub(crate) fn run(
    engine: &mut RealtimeEngine,
    source: &mut impl EventSource,
    first_frame: u64,
    mut output: Output<'_>,
) {
    output.clear_unpaired();
    let frames = output.frames();
    let end = first_frame + frames as u64;
    let mut pos = 0;
    while pos < frames {
        source.apply_due(first_frame + pos as u64, engine);
        let next = match source.next_frame() {
            // A source never reports a frame it has already applied; should
            // one, the runner still moves on.
            Some(f) if f < end => ((f.saturating_sub(first_frame)) as usize).max(pos + 1),
            _ => frames,
        };
        output.render(engine.core_mut(), pos, next);
        pos = next;
    }
}
