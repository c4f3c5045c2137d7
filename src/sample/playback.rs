//! Reading a sample at any speed: the playhead of one voice.

use super::interpolation::{
    sinc_table, CubicKernel, Kernel, LagrangeKernel, LinearKernel, ScaledSincKernel, SincKernel,
    MAX_TAPS, SHORT_TAPS,
};
use super::{Interpolation, SampleData};

/// Fraction bits of a playhead position: positions and steps are fixed
/// point, 32.32 frames, so a run of frames computes its positions as
/// `start + i · step` exactly as frame-by-frame additions would (and a
/// block's split into calls never changes a sample).
const FRACTION_BITS: u32 = 32;
/// One frame, in fixed point.
const ONE_FRAME: u64 = 1 << FRACTION_BITS;
/// The largest step, in frames per frame: any faster ends the data within
/// a frame or two (a sample has at most 2³² frames).
const MAX_STEP_FRAMES: f64 = (1u64 << 31) as f64;

/// `frames` in fixed point (at most 2³² frames: longer data is played up
/// to there and ends).
#[inline(always)]
fn fixed(frames: usize) -> u64 {
    (frames as u64).saturating_mul(ONE_FRAME)
}

/// `frames` in fixed point, 0 for negative ones.
#[inline(always)]
fn fixed_signed(frames: isize) -> u64 {
    fixed(frames.max(0) as usize)
}

/// A step as the kernels see it (NaN and values at or below zero as 0,
/// at most [`MAX_STEP_FRAMES`]) and in fixed point.
fn steps(step: f64) -> (f64, u64) {
    if step.is_nan() || step <= 0.0 {
        (0.0, 0)
    } else {
        let step = step.min(MAX_STEP_FRAMES);
        (step, (step * ONE_FRAME as f64).round() as u64)
    }
}

/// The frame at or before `position`.
#[inline(always)]
fn index_of(position: u64) -> usize {
    (position >> FRACTION_BITS) as usize
}

/// How far past its frame `position` is (0 to 1), to 24 bits: exactly an
/// `f32`, whichever path computes it.
#[inline(always)]
fn fraction_of(position: u64) -> f32 {
    ((position as u32) >> 8) as i32 as f32 * (1.0 / (1 << 24) as f32)
}

/// Where a voice is in its sample, in source frames (fixed point, see
/// [`FRACTION_BITS`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SamplePlayhead {
    position: u64,
    ended: bool,
    /// Whether the playhead has wrapped from the loop end to the loop start
    /// at least once: from then on, the frames before the loop start read as
    /// the end of the loop.
    looped: bool,
}

impl SamplePlayhead {
    /// A playhead at the first frame.
    pub(crate) const fn new() -> Self {
        SamplePlayhead {
            position: 0,
            ended: false,
            looped: false,
        }
    }

    /// Whether the data ran out (a voice without a loop then ends).
    pub(crate) fn has_ended(&self) -> bool {
        self.ended
    }

    /// Renders up to `left.len()` frames, advancing `step` source frames per
    /// output frame (`step` must be finite and above zero; defensively, NaN
    /// and values at or below zero hold the playhead still, as do steps
    /// under 2⁻³² frames, and steps from 2³¹ frames up, +∞ included, end
    /// the data). While `held` (or always, for a sample that loops in its
    /// release) and the sample has a loop, the loop region
    /// repeats, and the interpolator reads across its seam as if the data
    /// went on from the loop start. Once released, playback goes on from
    /// where it is to the end of the data.
    ///
    /// `left` receives the left channel, or the mono mix-down
    /// (`(left + right) / 2`) of a stereo sample when `right` is `None`;
    /// `right` (same length as `left`) receives the right channel (the mono
    /// channel again for a mono sample).
    ///
    /// Returns the frames written: fewer than `left.len()` means the data
    /// ended at that frame; the frames after it are set to zero.
    ///
    /// Real-time safe: no allocation, no lock, and work bounded by the
    /// output length (at most `MAX_TAPS` taps per channel and frame, loop
    /// wrapping by arithmetic) whatever the step and loop.
    pub(crate) fn render(
        &mut self,
        sample: &SampleData,
        step: f64,
        held: bool,
        left: &mut [f32],
        mut right: Option<&mut [f32]>,
    ) -> usize {
        debug_assert!(right.as_ref().is_none_or(|r| r.len() == left.len()));
        let frames = right
            .as_ref()
            .map_or(left.len(), |r| r.len().min(left.len()));
        let (step, fixed_step) = steps(step);
        let out = Output {
            left: &mut left[..frames],
            right: right.as_deref_mut().map(|r| &mut r[..frames]),
        };
        let written = match sample.interpolation() {
            Interpolation::Linear => self.run(&LinearKernel, sample, fixed_step, held, out),
            Interpolation::Cubic => self.run(&CubicKernel, sample, fixed_step, held, out),
            Interpolation::Lagrange => self.run(&LagrangeKernel, sample, fixed_step, held, out),
            Interpolation::Sinc if step > 1.0 => {
                let kernel = ScaledSincKernel::new(sinc_table(), step);
                self.run(&kernel, sample, fixed_step, held, out)
            }
            Interpolation::Sinc => {
                self.run(&SincKernel(sinc_table()), sample, fixed_step, held, out)
            }
        };
        left[written..].fill(0.0);
        if let Some(r) = right {
            r[written..].fill(0.0);
        }
        written
    }

    /// [`Self::render`] with every frame and tap on the general path, the
    /// reference for the fast paths (tests only).
    #[cfg(test)]
    pub(crate) fn render_general(
        &mut self,
        sample: &SampleData,
        step: f64,
        held: bool,
        left: &mut [f32],
        mut right: Option<&mut [f32]>,
    ) -> usize {
        let (step, fixed_step) = steps(step);
        let out = Output {
            left: &mut *left,
            right: right.as_deref_mut(),
        };
        let written = match sample.interpolation() {
            Interpolation::Linear => {
                self.run_with::<_, false>(&LinearKernel, sample, fixed_step, held, out)
            }
            Interpolation::Cubic => {
                self.run_with::<_, false>(&CubicKernel, sample, fixed_step, held, out)
            }
            Interpolation::Lagrange => {
                self.run_with::<_, false>(&LagrangeKernel, sample, fixed_step, held, out)
            }
            Interpolation::Sinc if step > 1.0 => {
                let kernel = ScaledSincKernel::new(sinc_table(), step);
                self.run_with::<_, false>(&kernel, sample, fixed_step, held, out)
            }
            Interpolation::Sinc => {
                self.run_with::<_, false>(&SincKernel(sinc_table()), sample, fixed_step, held, out)
            }
        };
        left[written..].fill(0.0);
        if let Some(r) = right {
            r[written..].fill(0.0);
        }
        written
    }

    /// The render loop for one kernel; returns the frames written.
    ///
    /// The sinc kernels run on the eight-lane AVX2 instruction set where the
    /// CPU has it (the same arithmetic, so the same output; about 30 %
    /// faster, see [`Kernel::long`]).
    fn run<K: Kernel>(
        &mut self,
        kernel: &K,
        sample: &SampleData,
        step: u64,
        held: bool,
        out: Output<'_>,
    ) -> usize {
        #[cfg(target_arch = "x86_64")]
        if (kernel.long() || K::SHORT_TAPS > 0) && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { self.run_avx2(kernel, sample, step, held, out) };
        }
        self.run_with::<K, true>(kernel, sample, step, held, out)
    }

    /// [`Self::run_with`] compiled for AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2<K: Kernel>(
        &mut self,
        kernel: &K,
        sample: &SampleData,
        step: u64,
        held: bool,
        out: Output<'_>,
    ) -> usize {
        self.run_with::<K, true>(kernel, sample, step, held, out)
    }

    /// The render loop; `FAST` enables the runs of frames that cross no
    /// boundary and the block copies of the taps that read the data
    /// directly (off only in a test that checks they change nothing: off,
    /// every frame reads every tap through `Source::at`).
    #[inline(always)]
    fn run_with<K: Kernel, const FAST: bool>(
        &mut self,
        kernel: &K,
        sample: &SampleData,
        step: u64,
        held: bool,
        out: Output<'_>,
    ) -> usize {
        if self.ended {
            return 0;
        }
        let audio = &*sample.audio;
        let loop_region = if held || sample.loops_in_release() {
            sample.loop_frames()
        } else {
            None
        };
        match &audio.pcm16 {
            Some((data, range)) => {
                let source = Source {
                    left: &data[range.clone()],
                    right: None,
                    loop_region,
                };
                self.run_source::<K, i16, FAST>(kernel, source, step, out)
            }
            None => {
                let source = Source {
                    left: &audio.left[..],
                    right: audio.right.as_deref(),
                    loop_region,
                };
                self.run_source::<K, f32, FAST>(kernel, source, step, out)
            }
        }
    }

    /// [`Self::run_with`] over frames stored as `T`.
    #[inline(always)]
    fn run_source<K: Kernel, T: Pcm, const FAST: bool>(
        &mut self,
        kernel: &K,
        source: Source<'_, T>,
        step: u64,
        out: Output<'_>,
    ) -> usize {
        let len = fixed(source.left.len());
        let (reach_lo, reach_hi) = kernel.reach();
        let Output { left, mut right } = out;
        let mut n = 0;
        while n < left.len() {
            let end = self.wrap_loop(&source, len);
            if self.position >= len {
                self.ended = true;
                return n;
            }
            let direct = source.direct_range(self.looped);
            // A run of frames that cross no boundary: no loop end or data
            // end ahead, and every tap in the direct range (the taps only
            // move forward, so checking the first frame's lowest tap is
            // enough).
            let limit = end.min(len).min(fixed_signed(direct.1 - reach_hi + 1));
            if FAST
                && self.position < limit
                && index_of(self.position) as isize + reach_lo >= direct.0
            {
                n = self.direct_run(kernel, &source, step, limit, left, right.as_deref_mut(), n);
            } else {
                self.edge_frame::<K, T, FAST>(
                    kernel,
                    &source,
                    direct,
                    left,
                    right.as_deref_mut(),
                    n,
                );
                self.position = self.position.saturating_add(step);
                n += 1;
            }
        }
        left.len()
    }

    /// Wraps the position back into the loop when it has passed the loop's
    /// end (one remainder, whatever the step: never a loop of
    /// subtractions); returns where the playable frames end.
    fn wrap_loop<T: Pcm>(&mut self, source: &Source<'_, T>, len: u64) -> u64 {
        let Some((start, end)) = source.loop_region else {
            return len;
        };
        let (start, end) = (fixed(start), fixed(end));
        if end <= start {
            return len;
        }
        if self.position >= end {
            self.position = start + (self.position - end) % (end - start);
            self.looped = true;
        }
        end
    }

    /// Frames `n..` while the position stays below `limit`, each reading
    /// the data directly: exactly what [`edge_frame`](Self::edge_frame)
    /// computes for them, faster. Returns the next frame to write.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn direct_run<K: Kernel, T: Pcm>(
        &mut self,
        kernel: &K,
        source: &Source<'_, T>,
        step: u64,
        limit: u64,
        left: &mut [f32],
        mut right: Option<&mut [f32]>,
        mut n: usize,
    ) -> usize {
        if K::SHORT_TAPS > 0 {
            return self.short_run(kernel, source, step, limit, left, right, n);
        }
        let mut weights = [0.0f32; MAX_TAPS];
        while n < left.len() && self.position < limit {
            let index = index_of(self.position);
            let frac = f64::from(fraction_of(self.position));
            let (first, taps) = kernel.weights(frac, &mut weights);
            // Long kernels (the sinc ones, 48 taps and more) go through the
            // vectorised loop of `dot`.
            let taps = std::hint::black_box(taps);
            let w = &weights[..taps];
            let lo = (index as isize + first) as usize;
            let l = dot(w, &source.left[lo..lo + taps]) * T::SCALE;
            let r = source
                .right
                .map(|data| dot(w, &data[lo..lo + taps]) * T::SCALE);
            put_frame(left, right.as_deref_mut(), n, l, r);
            self.position = self.position.saturating_add(step);
            n += 1;
        }
        n
    }

    /// [`direct_run`](Self::direct_run) for the short kernels, [`BATCH`]
    /// frames at a time: their positions and weights computed across the
    /// frames (so in vectors), then each frame's taps summed in the order
    /// [`dot`] sums them (the same numbers, to the bit).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn short_run<K: Kernel, T: Pcm>(
        &mut self,
        kernel: &K,
        source: &Source<'_, T>,
        step: u64,
        limit: u64,
        left: &mut [f32],
        mut right: Option<&mut [f32]>,
        mut n: usize,
    ) -> usize {
        let first = kernel.reach().0;
        while n < left.len() && self.position < limit {
            // The frames before `limit`, at most a batch and the output.
            let room = (left.len() - n).min(BATCH);
            // (A playhead held still, step 0, fills the room.)
            let count = (limit - self.position - 1)
                .checked_div(step)
                .map_or(room, |before| (before + 1).min(room as u64) as usize);
            let start = self.position;
            // Lanes past `count` hold positions nobody reads (they may wrap).
            let mut fractions = [0.0f32; BATCH];
            let mut indices = [0usize; BATCH];
            for (i, (f, index)) in fractions.iter_mut().zip(&mut indices).enumerate() {
                let position = start.wrapping_add(step.wrapping_mul(i as u64));
                *f = fraction_of(position);
                *index = index_of(position);
            }
            let mut weights = [[0.0f32; BATCH]; SHORT_TAPS];
            for (i, f) in fractions.iter().enumerate() {
                let w = K::lane_weights(*f);
                for k in 0..SHORT_TAPS {
                    weights[k][i] = w[k];
                }
            }
            let l = lane_dots::<K, T>(&weights, &indices[..count], first, source.left);
            let r = source
                .right
                .map(|data| lane_dots::<K, T>(&weights, &indices[..count], first, data));
            for i in 0..count {
                put_frame(left, right.as_deref_mut(), n + i, l[i], r.map(|r| r[i]));
            }
            n += count;
            // Where `count` steps, each saturating, take the playhead.
            let last = start + step * (count as u64 - 1);
            self.position = last.saturating_add(step);
        }
        n
    }

    /// Frame `n` at the current position, near a boundary: taps outside
    /// the direct range read through [`Source::at`] (silence before the
    /// data, the loop once it has wrapped).
    fn edge_frame<K: Kernel, T: Pcm, const FAST: bool>(
        &self,
        kernel: &K,
        source: &Source<'_, T>,
        direct: (isize, isize),
        left: &mut [f32],
        right: Option<&mut [f32]>,
        n: usize,
    ) {
        let mut weights = [0.0f32; MAX_TAPS];
        let mut scratch = [0.0f32; MAX_TAPS];
        let index = index_of(self.position);
        let frac = f64::from(fraction_of(self.position));
        let (first, taps) = kernel.weights(frac, &mut weights);
        let w = &weights[..taps];
        let lo = index as isize + first;
        let read = |data: &[T], scratch: &mut [f32; MAX_TAPS]| -> f32 {
            if lo >= direct.0 && lo + taps as isize <= direct.1 {
                let lo = lo as usize;
                dot(w, &data[lo..lo + taps])
            } else if !FAST {
                for (t, s) in scratch[..taps].iter_mut().enumerate() {
                    *s = source.at(data, lo + t as isize, self.looped);
                }
                dot(w, &scratch[..taps])
            } else {
                // Taps `a..b` read the data directly; the ones before and
                // after go through `Source::at` (before the data's start,
                // unless a loop wraps there, they are silence).
                let a = (direct.0 - lo).clamp(0, taps as isize) as usize;
                let b = (direct.1 - lo).clamp(a as isize, taps as isize) as usize;
                if source.loop_region.is_none() || !self.looped {
                    scratch[..a].fill(0.0);
                } else {
                    for (t, s) in scratch[..a].iter_mut().enumerate() {
                        *s = source.at(data, lo + t as isize, self.looped);
                    }
                }
                if a < b {
                    let from = (lo + a as isize) as usize;
                    for (s, x) in scratch[a..b].iter_mut().zip(&data[from..from + (b - a)]) {
                        *s = x.value();
                    }
                }
                for (t, s) in scratch[b..taps].iter_mut().enumerate() {
                    *s = source.at(data, lo + (b + t) as isize, self.looped);
                }
                dot(w, &scratch[..taps])
            }
        };
        let l = read(source.left, &mut scratch) * T::SCALE;
        let r = source.right.map(|data| read(data, &mut scratch) * T::SCALE);
        put_frame(left, right, n, l, r);
    }
}

/// Writes frame `n`: `l`, and `r` when the sample is stereo, as the output
/// wants them (a mono output gets the mean of a stereo sample, a stereo
/// output gets a mono sample on both channels).
#[inline(always)]
fn put_frame(left: &mut [f32], right: Option<&mut [f32]>, n: usize, l: f32, r: Option<f32>) {
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
struct Output<'a> {
    left: &'a mut [f32],
    right: Option<&'a mut [f32]>,
}

/// How a sample's frames are stored: `f32` (−1 to 1) or 16-bit integers
/// (a SoundFont's), read as numbers and scaled by `SCALE` once the taps
/// are summed.
trait Pcm: Copy {
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
struct Source<'a, T> {
    left: &'a [T],
    right: Option<&'a [T]>,
    loop_region: Option<(usize, usize)>,
}

impl<T: Pcm> Source<'_, T> {
    /// The frame indices that read as themselves.
    #[inline]
    fn direct_range(&self, looped: bool) -> (isize, isize) {
        match self.loop_region {
            Some((start, end)) if looped => (start as isize, end as isize),
            Some((_, end)) => (0, end as isize),
            None => (0, self.left.len() as isize),
        }
    }

    /// The frame at `index` of `data` (one of the channels).
    fn at(&self, data: &[T], index: isize, looped: bool) -> f32 {
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
const BATCH: usize = 16;

/// A batch's frames (`indices.len()` of them, at most [`BATCH`]) from
/// `data`: frame `i` is its weights (`weights[k][i]`) times the taps from
/// `indices[i] + first` on, summed in [`dot`]'s order for a kernel of under
/// eight taps, and scaled. The taps are gathered first, tap by tap across
/// the frames, so the arithmetic runs in vectors.
#[inline(always)]
fn lane_dots<K: Kernel, T: Pcm>(
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
fn dot<T: Pcm>(w: &[f32], x: &[T]) -> f32 {
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

#[cfg(test)]
mod tests;
