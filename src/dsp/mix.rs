//! Where an oscillator's frames go: straight into a buffer, or multiplied by
//! a gain and added to a mix bus, in the same pass that computes them.
//!
//! An oscillator hands its output to a [`Sink`] eight frames at a time (and
//! one at a time for a tail shorter than eight), so a voice's oscillator,
//! gain and mix run as one loop over the block: no scratch buffer written
//! and read back, and the arithmetic is exactly that of the separate passes
//! (`mix += sample × gain`, then `× pan` for a stereo channel), so the
//! result is bit-identical to rendering, scaling and adding in turn.
//!
//! Each `put8` copies what it reads into registers before it writes: the
//! slices sit behind a struct, where the compiler cannot see that they do
//! not overlap, and this way it vectorises without needing to.

/// Takes an oscillator's frames.
pub(crate) trait Sink {
    /// How many frames it takes (the oscillator renders exactly these).
    fn len(&self) -> usize;
    /// Frames `i..i + 8`.
    fn put8(&mut self, i: usize, y: [f32; 8]);
    /// Frame `i`.
    fn put1(&mut self, i: usize, y: f32);
}

/// Writes the frames (`out[i] = y`).
pub(crate) struct Write<'a>(pub(crate) &'a mut [f32]);

impl Sink for Write<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.0.len()
    }

    #[inline(always)]
    fn put8(&mut self, i: usize, y: [f32; 8]) {
        self.0[i..i + 8].copy_from_slice(&y);
    }

    #[inline(always)]
    fn put1(&mut self, i: usize, y: f32) {
        self.0[i] = y;
    }
}

/// The gain of a voice over a block: one value, or one per frame.
#[derive(Clone, Copy)]
pub(crate) enum Gain<'a> {
    Constant(f32),
    PerFrame(&'a [f32]),
}

/// A gain over a block, as a sink reads it: one value for every frame
/// (`f32`), or one per frame (`&[f32]`). The sinks are generic over it, so
/// each kind compiles to its own loop.
pub(crate) trait Gains: Copy {
    /// How many frames it covers.
    fn frames(&self) -> usize;
    /// The gains of frames `i..i + 8`.
    fn at8(&self, i: usize) -> [f32; 8];
    /// The gain of frame `i`.
    fn at(&self, i: usize) -> f32;
}

impl Gains for f32 {
    #[inline(always)]
    fn frames(&self) -> usize {
        usize::MAX
    }

    #[inline(always)]
    fn at8(&self, _: usize) -> [f32; 8] {
        [*self; 8]
    }

    #[inline(always)]
    fn at(&self, _: usize) -> f32 {
        *self
    }
}

impl Gains for &[f32] {
    #[inline(always)]
    fn frames(&self) -> usize {
        self.len()
    }

    #[inline(always)]
    fn at8(&self, i: usize) -> [f32; 8] {
        self[i..i + 8].try_into().unwrap()
    }

    #[inline(always)]
    fn at(&self, i: usize) -> f32 {
        self[i]
    }
}

/// `mix[i] += y × gain[i]`.
pub(crate) struct AddMono<'a, G: Gains> {
    pub(crate) mix: &'a mut [f32],
    pub(crate) gain: G,
}

impl<G: Gains> Sink for AddMono<'_, G> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.mix.len().min(self.gain.frames())
    }

    #[inline(always)]
    fn put8(&mut self, i: usize, y: [f32; 8]) {
        let g = self.gain.at8(i);
        let m: &mut [f32; 8] = (&mut self.mix[i..i + 8]).try_into().unwrap();
        let mut acc = *m;
        for k in 0..8 {
            acc[k] += y[k] * g[k];
        }
        *m = acc;
    }

    #[inline(always)]
    fn put1(&mut self, i: usize, y: f32) {
        self.mix[i] += y * self.gain.at(i);
    }
}

/// `left[i] += y × gain[i] × pan_left`, `right[i] += y × gain[i] × pan_right`.
pub(crate) struct AddStereo<'a, G: Gains> {
    pub(crate) left: &'a mut [f32],
    pub(crate) right: &'a mut [f32],
    pub(crate) gain: G,
    pub(crate) pan: (f32, f32),
}

impl<G: Gains> Sink for AddStereo<'_, G> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.left
            .len()
            .min(self.right.len())
            .min(self.gain.frames())
    }

    #[inline(always)]
    fn put8(&mut self, i: usize, y: [f32; 8]) {
        let pan = self.pan;
        let g = self.gain.at8(i);
        let mut l: [f32; 8] = self.left[i..i + 8].try_into().unwrap();
        let mut r: [f32; 8] = self.right[i..i + 8].try_into().unwrap();
        for k in 0..8 {
            let s = y[k] * g[k];
            l[k] += s * pan.0;
            r[k] += s * pan.1;
        }
        self.left[i..i + 8].copy_from_slice(&l);
        self.right[i..i + 8].copy_from_slice(&r);
    }

    #[inline(always)]
    fn put1(&mut self, i: usize, y: f32) {
        let s = y * self.gain.at(i);
        self.left[i] += s * self.pan.0;
        self.right[i] += s * self.pan.1;
    }
}

/// Multiplies `block` by a line from `start` (first frame) toward `end`
/// (the frame after the block); exact, and skipped, at unity. The master
/// gain and a voice's amplitude ramp both use it.
pub(crate) fn apply_ramp(block: &mut [f32], start: f32, end: f32) {
    if start == end {
        if start != 1.0 {
            for x in block.iter_mut() {
                *x *= start;
            }
        }
        return;
    }
    let step = (end - start) / block.len() as f32;
    for (i, x) in block.iter_mut().enumerate() {
        *x *= start + step * i as f32;
    }
}
