//! How an effect runs a block: in chunks (see [`CHUNK_FRAMES`]), each stage
//! across the chunk's frames so its loops vectorise, with working buffers
//! that come with the effects.

use super::delay_line::{CHUNK_FRAMES, LANES};
use super::reverb::LINES;

/// An effect's input and output over some frames (a block, or a chunk).
pub(crate) struct Io<'a> {
    pub(crate) in_left: &'a [f32],
    pub(crate) in_right: &'a [f32],
    pub(crate) out_left: &'a mut [f32],
    pub(crate) out_right: &'a mut [f32],
}

impl Io<'_> {
    /// How many frames it covers.
    pub(crate) fn frames(&self) -> usize {
        self.in_left
            .len()
            .min(self.in_right.len())
            .min(self.out_left.len())
            .min(self.out_right.len())
    }

    /// Frames `start..start + frames`.
    fn span(&mut self, start: usize, frames: usize) -> Io<'_> {
        let range = start..start + frames;
        Io {
            in_left: &self.in_left[range.clone()],
            in_right: &self.in_right[range.clone()],
            out_left: &mut self.out_left[range.clone()],
            out_right: &mut self.out_right[range],
        }
    }
}

/// Working buffers for one chunk, shared by the effects (they run one after
/// another) and kept with them, so a block neither allocates nor clears
/// them: every stage writes a buffer's first frames before reading them.
#[derive(Debug)]
pub(crate) struct Scratch {
    /// One run per reverb line, after the line's previous sample (with
    /// room for an interpolated run's last group of [`LANES`]).
    pub(crate) lines: [[f32; CHUNK_FRAMES + 1 + LANES]; LINES],
    /// What each reverb line (or allpass) takes in.
    pub(crate) written: [[f32; CHUNK_FRAMES]; LINES],
    /// An effect's input and output, left and right (the output with room
    /// for an interpolated run's last group of [`LANES`]).
    pub(crate) input: [[f32; CHUNK_FRAMES]; 2],
    pub(crate) output: [[f32; CHUNK_FRAMES + LANES]; 2],
}

impl Scratch {
    /// The buffers, on the heap (about 26 KB).
    pub(crate) fn new() -> Box<Self> {
        Box::new(Scratch {
            lines: [[0.0; CHUNK_FRAMES + 1 + LANES]; LINES],
            written: [[0.0; CHUNK_FRAMES]; LINES],
            input: [[0.0; CHUNK_FRAMES]; 2],
            output: [[0.0; CHUNK_FRAMES + LANES]; 2],
        })
    }
}

/// An effect that runs a block in chunks.
pub(crate) trait Chunked {
    /// Prepares a block of `frames` (what holds across its chunks).
    fn begin_block(&mut self, _frames: usize) {}
    /// The longest chunk it can run next: in a feedback loop, no longer
    /// than the loop's shortest delay (at most [`CHUNK_FRAMES`]).
    fn chunk_frames(&self) -> usize;
    /// Adds its output for the chunk to `io`'s outputs; returns the
    /// chunk's largest output magnitude, or a bound on it (infinite if any
    /// sample was not finite).
    fn process_chunk(&mut self, io: Io<'_>, scratch: &mut Scratch) -> f32;
    /// After the block's last chunk.
    fn end_block(&mut self) {}
    /// Silences its memory.
    fn clear(&mut self);
}

/// Runs `effect` over the block `io`, chunk by chunk; returns the block's
/// largest output magnitude. An output that is not finite silences the
/// effect (it never feeds back) and counts as silence.
#[inline(always)]
pub(crate) fn run_in_chunks<E: Chunked>(
    effect: &mut E,
    mut io: Io<'_>,
    scratch: &mut Scratch,
) -> f32 {
    let frames = io.frames();
    effect.begin_block(frames);
    let mut peak = 0.0f32;
    let mut done = 0;
    while done < frames {
        let n = effect
            .chunk_frames()
            .clamp(1, CHUNK_FRAMES)
            .min(frames - done);
        peak = peak.max(effect.process_chunk(io.span(done, n), scratch));
        done += n;
    }
    effect.end_block();
    if !peak.is_finite() {
        effect.clear();
        return 0.0;
    }
    peak
}
