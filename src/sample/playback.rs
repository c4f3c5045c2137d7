//! Reading a sample at any speed: the playhead of one voice.

mod reading;

use super::interpolation::{
    sinc_table, CubicKernel, Kernel, LagrangeKernel, LinearKernel, ScaledSincKernel, SincKernel,
    MAX_TAPS, SHORT_TAPS,
};
use super::{Interpolation, SampleData};
use reading::{
    dot, fixed, fixed_signed, fraction_of, index_of, lane_dots, put_frame, put_frames, steps,
    Output, Pcm, Source, BATCH,
};

/// Where a voice is in its sample, in source frames (32.32 fixed point,
/// see [`reading::FRACTION_BITS`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SamplePlayhead {
    position: u64,
    /// Where the playable frames end (fixed point; `u64::MAX`: at the end
    /// of the data).
    end: u64,
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
            end: u64::MAX,
            ended: false,
            looped: false,
        }
    }

    /// A playhead at frame `frame` (past the data: it ends at once).
    pub(crate) fn at_frame(frame: usize) -> Self {
        let frame = u64::try_from(frame)
            .unwrap_or(u64::MAX)
            .min(u64::from(u32::MAX));
        SamplePlayhead {
            position: frame << reading::FRACTION_BITS,
            ..Self::new()
        }
    }

    /// The same playhead, ending at frame `frame` if there is one (and it
    /// comes before the end of the data).
    pub(crate) fn ending_at(mut self, frame: Option<usize>) -> Self {
        if let Some(frame) = frame {
            let frame = u64::try_from(frame)
                .unwrap_or(u64::MAX)
                .min(u64::from(u32::MAX));
            self.end = frame << reading::FRACTION_BITS;
        }
        self
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
        let len = fixed(source.left.len()).min(self.end);
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
            put_frames(
                left,
                right.as_deref_mut(),
                n,
                &l[..count],
                r.as_ref().map(|r| &r[..count]),
            );
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

#[cfg(test)]
mod tests;
