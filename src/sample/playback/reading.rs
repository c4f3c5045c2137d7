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

/// [`put_frame`] for frames `n ..` of a run, from `l` (and `r`) in whole.
#[inline(always)]
pub(super) fn put_frames(
    left: &mut [f32],
    right: Option<&mut [f32]>,
    n: usize,
    l: &[f32],
    r: Option<&[f32]>,
) {
    let out = &mut left[n..n + l.len()];
    match (right, r) {
        (Some(r_out), Some(r)) => {
            copy(out, l);
            copy(&mut r_out[n..n + l.len()], r);
        }
        (Some(r_out), None) => {
            copy(out, l);
            copy(&mut r_out[n..n + l.len()], l);
        }
        (None, Some(r)) => {
            for ((o, a), b) in out.iter_mut().zip(l).zip(r) {
                *o = 0.5 * (a + b);
            }
        }
        (None, None) => copy(out, l),
    }
}

/// A short copy: a whole batch as one array (a call to `memcpy` would
/// cost more than it moves).
#[inline(always)]
fn copy(to: &mut [f32], from: &[f32]) {
    match (
        <&mut [f32; BATCH]>::try_from(&mut *to),
        <&[f32; BATCH]>::try_from(from),
    ) {
        (Ok(to), Ok(from)) => *to = *from,
        _ => to.copy_from_slice(from),
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

    /// A batch's taps, tap by tap across the frames: `taps[k][i]` is
    /// `data[indices[i] + first + k]`, for the first `count` taps (at most
    /// [`SHORT_TAPS`]) of each of the first [`BATCH`] indices. The indices
    /// are in the data's direct range (panics otherwise).
    #[inline(always)]
    fn gather(
        data: &[Self],
        indices: &[usize],
        first: isize,
        count: usize,
        taps: &mut [[Self; BATCH]; SHORT_TAPS],
    ) {
        gather_one_by_one(data, indices, first, count, taps);
    }
}

/// [`Pcm::gather`] a tap at a time.
#[inline(always)]
fn gather_one_by_one<T: Copy>(
    data: &[T],
    indices: &[usize],
    first: isize,
    count: usize,
    taps: &mut [[T; BATCH]; SHORT_TAPS],
) {
    let count = count.min(SHORT_TAPS);
    for (i, index) in indices.iter().take(BATCH).enumerate() {
        let lo = (*index as isize + first) as usize;
        let x = &data[lo..lo + count];
        for k in 0..count {
            taps[k][i] = x[k];
        }
    }
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

    /// A whole batch whose every frame has eight taps of data from its
    /// first on reads them eight at a time and turns them around in
    /// registers (SSE2, which every x86-64 CPU has), in place of 96 loads
    /// and stores of one tap each.
    #[inline(always)]
    fn gather(
        data: &[i16],
        indices: &[usize],
        first: isize,
        count: usize,
        taps: &mut [[i16; BATCH]; SHORT_TAPS],
    ) {
        #[cfg(target_arch = "x86_64")]
        if indices.len() >= BATCH {
            let mut starts = [0usize; BATCH];
            let mut inside = true;
            for (s, &index) in starts.iter_mut().zip(indices) {
                let lo = index as isize + first;
                inside &= lo >= 0 && lo as usize + 8 <= data.len();
                *s = lo as usize;
            }
            if inside {
                gather_pcm16_sse2(data, &starts, taps);
                return;
            }
        }
        gather_one_by_one(data, indices, first, count, taps);
    }
}

/// [`Pcm::gather`] for 16-bit data whose every frame's eight taps from
/// `starts[i]` are inside `data`: two 8 × 8 transposes of 16-bit values.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn gather_pcm16_sse2(data: &[i16], starts: &[usize; BATCH], taps: &mut [[i16; BATCH]; SHORT_TAPS]) {
    use std::arch::x86_64::*;
    // The transposes give six taps.
    const _: () = assert!(SHORT_TAPS <= 6);
    assert!(starts
        .iter()
        .all(|&s| s.checked_add(8).is_some_and(|end| end <= data.len())));
    for half in 0..BATCH / 8 {
        // SAFETY: SSE2 is part of x86-64; each load reads the eight `i16`
        // from `starts[i]`, inside `data` (asserted above); unaligned loads.
        // (Newer compilers call the shuffles safe here; Rust 1.85 does not.)
        #[allow(unused_unsafe)]
        let c = unsafe {
            let r: [__m128i; 8] = std::array::from_fn(|i| {
                _mm_loadu_si128(data.as_ptr().add(starts[half * 8 + i]).cast::<__m128i>())
            });
            // Pairs of frames, then fours, then all eight, tap by tap.
            let a0 = _mm_unpacklo_epi16(r[0], r[1]);
            let a1 = _mm_unpackhi_epi16(r[0], r[1]);
            let a2 = _mm_unpacklo_epi16(r[2], r[3]);
            let a3 = _mm_unpackhi_epi16(r[2], r[3]);
            let a4 = _mm_unpacklo_epi16(r[4], r[5]);
            let a5 = _mm_unpackhi_epi16(r[4], r[5]);
            let a6 = _mm_unpacklo_epi16(r[6], r[7]);
            let a7 = _mm_unpackhi_epi16(r[6], r[7]);
            let b0 = _mm_unpacklo_epi32(a0, a2);
            let b1 = _mm_unpackhi_epi32(a0, a2);
            let b2 = _mm_unpacklo_epi32(a1, a3);
            let b4 = _mm_unpacklo_epi32(a4, a6);
            let b5 = _mm_unpackhi_epi32(a4, a6);
            let b6 = _mm_unpacklo_epi32(a5, a7);
            [
                _mm_unpacklo_epi64(b0, b4),
                _mm_unpackhi_epi64(b0, b4),
                _mm_unpacklo_epi64(b1, b5),
                _mm_unpackhi_epi64(b1, b5),
                _mm_unpacklo_epi64(b2, b6),
                _mm_unpackhi_epi64(b2, b6),
            ]
        };
        for (row, tap) in taps.iter_mut().zip(c) {
            let out: &mut [i16; 8] = (&mut row[half * 8..half * 8 + 8]).try_into().unwrap();
            // SAFETY: `out` is eight `i16`, 16 bytes; an unaligned store.
            #[allow(unused_unsafe)]
            unsafe {
                _mm_storeu_si128(out.as_mut_ptr().cast::<__m128i>(), tap)
            };
        }
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
    T::gather(data, indices, first, K::SHORT_TAPS, &mut taps);
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
