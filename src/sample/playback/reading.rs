//! How the playhead reads a sample: positions in fixed point, the stored
//! frames (`f32` or 16-bit) as the interpolator sees them, the sums of taps,
//! and where each frame goes.

use super::super::interpolation::{Kernel, SHORT_TAPS};

/// Fraction bits of a playhead position: positions and steps are fixed
/// point, 32.32 frames, so a run of frames computes its positions as
/// `start + i · step` exactly as frame-by-frame additions would (and a
/// block's split into calls never changes a sample).
pub(super) const FRACTION_BITS: u32 = 32;
/// One frame, in fixed point.
pub(super) const ONE_FRAME: u64 = 1 << FRACTION_BITS;
/// The largest step, in frames per frame: any faster ends the data within
/// a frame or two (a sample has at most 2³² frames).
pub(super) const MAX_STEP_FRAMES: f64 = (1u64 << 31) as f64;

/// `frames` in fixed point (at most 2³² frames: longer data is played up
/// to there and ends).
#[inline(always)]
pub(super) fn fixed(frames: usize) -> u64 {
    (frames as u64).saturating_mul(ONE_FRAME)
}

/// `frames` in fixed point, 0 for negative ones.
#[inline(always)]
pub(super) fn fixed_signed(frames: isize) -> u64 {
    fixed(frames.max(0) as usize)
}

/// A step as the kernels see it (NaN and values at or below zero as 0,
/// at most [`MAX_STEP_FRAMES`]) and in fixed point.
pub(super) fn steps(step: f64) -> (f64, u64) {
    if step.is_nan() || step <= 0.0 {
        (0.0, 0)
    } else {
        let step = step.min(MAX_STEP_FRAMES);
        (step, (step * ONE_FRAME as f64).round() as u64)
    }
}

/// The frame at or before `position`.
#[inline(always)]
pub(super) fn index_of(position: u64) -> usize {
    (position >> FRACTION_BITS) as usize
}

/// How far past its frame `position` is (0 to 1), to 24 bits: exactly an
/// `f32`, whichever path computes it.
#[inline(always)]
pub(super) fn fraction_of(position: u64) -> f32 {
    ((position as u32) >> 8) as i32 as f32 * (1.0 / (1 << 24) as f32)
}

/// Writes frame `n`: `l`, and `r` when the sample is stereo, as the output
/// wants them (a mono output gets the mean of a stereo sample, a stereo
/// output gets a mono sample on both channels).
#[inline(always)]
pub(super) fn put_frame(
    left: &mut [f32],
    right: Option<&mut [f32]>,
    n: usize,
    l: f32,
    r: Option<f32>,
) {
    match (right, r) {
        (Some(r_out), Some(r)) => {
            left[n] = l;
            r_out[n] = r;
        }
        (Some(r_out), None) => {
            left[n] = l;
            r_out[n] = l;
        }
        (None, Some(r)) => left[n] = 0.5 * (l + r),
        (None, None) => left[n] = l,
    }
}

/// The output buffers of one render call, of equal length.
pub(super) struct Output<'a> {
    pub(super) left: &'a mut [f32],
    pub(super) right: Option<&'a mut [f32]>,
}

/// How a sample's frames are stored: `f32` (−1 to 1) or 16-bit integers
/// (a SoundFont's), read as numbers and scaled by `SCALE` once the taps
/// are summed.
pub(super) trait Pcm: Copy {
    /// What one stored unit is worth.
    const SCALE: f32;
    /// Silence.
    const ZERO: Self;
    /// The stored value as a number (unscaled).
    fn value(self) -> f32;
}

impl Pcm for f32 {
    const SCALE: f32 = 1.0;
    const ZERO: f32 = 0.0;
    #[inline(always)]
    fn value(self) -> f32 {
        self
    }
}

impl Pcm for i16 {
    const SCALE: f32 = 1.0 / 32_768.0;
    const ZERO: i16 = 0;
    #[inline(always)]
    fn value(self) -> f32 {
        f32::from(self)
    }
}

/// The sample's frames as the interpolator sees them: zero outside the
/// data, and, while a loop is active, the loop region repeating.
pub(super) struct Source<'a, T> {
    pub(super) left: &'a [T],
    pub(super) right: Option<&'a [T]>,
    pub(super) loop_region: Option<(usize, usize)>,
}

impl<T: Pcm> Source<'_, T> {
    /// The frame indices that read as themselves.
    #[inline]
    pub(super) fn direct_range(&self, looped: bool) -> (isize, isize) {
        match self.loop_region {
            Some((start, end)) if looped => (start as isize, end as isize),
            Some((_, end)) => (0, end as isize),
            None => (0, self.left.len() as isize),
        }
    }

    /// The frame at `index` of `data` (one of the channels).
    pub(super) fn at(&self, data: &[T], index: isize, looped: bool) -> f32 {
        let index = match self.loop_region {
            Some((start, end)) if index >= end as isize || (looped && index < start as isize) => {
                let (start, span) = (start as isize, (end - start) as isize);
                start + (index - start).rem_euclid(span)
            }
            _ => index,
        };
        if index < 0 {
            0.0
        } else {
            data.get(index as usize).map_or(0.0, |x| x.value())
        }
    }
}

/// Frames a short kernel's run computes at once.
pub(super) const BATCH: usize = 16;

/// A batch's frames (`indices.len()` of them, at most [`BATCH`]) from
/// `data`: frame `i` is its weights (`weights[k][i]`) times the taps from
/// `indices[i] + first` on, summed in [`dot`]'s order for a kernel of under
/// eight taps, and scaled. The taps are gathered first, tap by tap across
/// the frames, so the arithmetic runs in vectors.
#[inline(always)]
pub(super) fn lane_dots<K: Kernel, T: Pcm>(
    weights: &[[f32; BATCH]; SHORT_TAPS],
    indices: &[usize],
    first: isize,
    data: &[T],
) -> [f32; BATCH] {
    let mut taps = [[T::ZERO; BATCH]; SHORT_TAPS];
    for (i, index) in indices.iter().take(BATCH).enumerate() {
        let lo = (*index as isize + first) as usize;
        let x = &data[lo..lo + K::SHORT_TAPS];
        for k in 0..K::SHORT_TAPS {
            taps[k][i] = x[k];
        }
    }
    let mut out = [0.0f32; BATCH];
    for (i, o) in out.iter_mut().enumerate() {
        let mut sum = 0.0f32;
        for k in 0..K::SHORT_TAPS {
            sum += weights[k][i] * taps[k][i].value();
        }
        *o = sum * T::SCALE;
    }
    out
}

/// Dot product in 8 independent lanes (so it vectorises).
#[inline(always)]
pub(super) fn dot<T: Pcm>(w: &[f32], x: &[T]) -> f32 {
    let n = w.len().min(x.len());
    let (w, x) = (&w[..n], &x[..n]);
    let mut acc = [0.0f32; 8];
    let mut i = 0;
    while i + 8 <= n {
        // Fixed-size arrays: the compiler sees eight lanes, no bounds.
        let a: &[f32; 8] = w[i..i + 8].try_into().unwrap();
        let b: &[T; 8] = x[i..i + 8].try_into().unwrap();
        for k in 0..8 {
            acc[k] += a[k] * b[k].value();
        }
        i += 8;
    }
    let mut sum = acc.iter().sum::<f32>();
    for (a, b) in w[i..].iter().zip(&x[i..]) {
        sum += a * b.value();
    }
    sum
}
