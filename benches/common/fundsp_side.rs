//! What the comparisons with fundsp share: the envelope as fundsp's side
//! computes it, and a block pulled through fundsp's block API.

use fundsp::prelude32::*;

use super::{BLOCK_FRAMES, ENVELOPE};

/// [`ENVELOPE`]'s level `t` seconds after the note started (held).
pub fn adsr_level(t: f32) -> f32 {
    let a = ENVELOPE.attack_secs;
    let d = ENVELOPE.decay_secs;
    let s = ENVELOPE.sustain_level;
    if t < a {
        t / a
    } else if t < a + d {
        1.0 - (1.0 - s) * (t - a) / d
    } else {
        s
    }
}

/// One 256-frame block through fundsp's block API, copied to `block`.
pub fn fundsp_block(
    unit: &mut dyn AudioUnit,
    input: &BufferArray<U0>,
    out: &mut BufferArray<U1>,
    block: &mut [f32; BLOCK_FRAMES],
) {
    for chunk in block.chunks_mut(MAX_BUFFER_SIZE) {
        unit.process(chunk.len(), &input.buffer_ref(), &mut out.buffer_mut());
        chunk.copy_from_slice(&out.channel_f32(0)[..chunk.len()]);
    }
}
