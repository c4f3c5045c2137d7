//! The render loops: a level's spline evaluated at eight consecutive phases
//! at a time and handed to a [`Sink`].
//!
//! Two versions of the same arithmetic:
//! - `portable`: plain Rust, four frames per spline call, which the compiler
//!   turns into SSE on any x86-64 (or NEON) CPU;
//! - `avx2`: eight frames per step in 256-bit registers (the eight 16-byte
//!   segments loaded in pairs and transposed in registers), chosen at run
//!   time on CPUs that have AVX2. It measured about twice as fast as the
//!   portable loop in the engine benchmarks (BENCHMARKS.md).
//!
//! Both do, lane by lane, exactly the operations of [`Spline::at`] (no fused
//! multiply-add), so their output is bit-identical, whatever the CPU.

use super::Spline;
use crate::dsp::mix::Sink;

/// `[0, 1, 2, 3] * increment`, wrapping.
#[inline(always)]
fn steps4(increment: u32) -> [u32; 4] {
    [0, 1, 2, 3].map(|k: u32| increment.wrapping_mul(k))
}

/// The phases of four consecutive frames from `p`, where `steps` is
/// `[0, 1, 2, 3] * increment` (all wrapping).
#[inline(always)]
fn quad(p: u32, steps: [u32; 4]) -> [u32; 4] {
    steps.map(|s| p.wrapping_add(s))
}

#[inline(always)]
fn join(a: [f32; 4], b: [f32; 4]) -> [f32; 8] {
    [a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]]
}

pub(super) mod portable {
    use super::*;

    /// Eight frames of `spline` from phase `p`.
    #[inline(always)]
    fn at8(spline: Spline<'_>, p: u32, increment: u32, steps: [u32; 4]) -> [f32; 8] {
        let a = spline.at4(quad(p, steps));
        let b = spline.at4(quad(p.wrapping_add(increment.wrapping_mul(4)), steps));
        join(a, b)
    }

    /// `frames` frames of `spline` into `sink`, advancing `phase`.
    #[inline(always)]
    pub(crate) fn periodic<S: Sink>(
        spline: Spline<'_>,
        phase: &mut u32,
        increment: u32,
        frames: usize,
        sink: &mut S,
    ) {
        let steps = steps4(increment);
        let mut p = *phase;
        let mut i = 0;
        while i + 8 <= frames {
            sink.put8(i, at8(spline, p, increment, steps));
            p = p.wrapping_add(increment.wrapping_mul(8));
            i += 8;
        }
        while i < frames {
            sink.put1(i, spline.at(p));
            p = p.wrapping_add(increment);
            i += 1;
        }
        *phase = p;
    }

    /// A DC-free pulse: half the difference of `spline` (a saw) at `offset`
    /// behind the phase and at the phase.
    #[inline(always)]
    pub(crate) fn pulse<S: Sink>(
        spline: Spline<'_>,
        phase: &mut u32,
        increment: u32,
        offset: u32,
        frames: usize,
        sink: &mut S,
    ) {
        let steps = steps4(increment);
        let mut p = *phase;
        let mut i = 0;
        while i + 8 <= frames {
            let falling = at8(spline, p.wrapping_sub(offset), increment, steps);
            let rising = at8(spline, p, increment, steps);
            let mut y = [0.0; 8];
            for k in 0..8 {
                y[k] = 0.5 * (falling[k] - rising[k]);
            }
            sink.put8(i, y);
            p = p.wrapping_add(increment.wrapping_mul(8));
            i += 8;
        }
        while i < frames {
            sink.put1(i, 0.5 * (spline.at(p.wrapping_sub(offset)) - spline.at(p)));
            p = p.wrapping_add(increment);
            i += 1;
        }
        *phase = p;
    }
}

#[cfg(target_arch = "x86_64")]
pub(super) mod avx2 {
    use super::*;
    use std::arch::x86_64::*;

    /// What the eight-lane loop needs of a spline, in registers.
    #[derive(Clone, Copy)]
    struct Lanes<'a> {
        spline: Spline<'a>,
        /// `[0, 1, …, 7] * increment`.
        steps: __m256i,
        /// The segment index shift, and `32 -` it (the fraction's shift).
        shift: __m128i,
        frac_shift: __m128i,
        mask: __m256i,
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn lanes(spline: Spline<'_>, increment: u32) -> Lanes<'_> {
        Lanes {
            spline,
            steps: _mm256_mullo_epi32(
                _mm256_set1_epi32(increment as i32),
                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
            ),
            shift: _mm_cvtsi32_si128(spline.shift as i32),
            frac_shift: _mm_cvtsi32_si128(32 - spline.shift as i32),
            mask: _mm256_set1_epi32(spline.mask as i32),
        }
    }

    /// The spline at the eight phases `p + [0..8] * increment`: the same
    /// arithmetic as [`Spline::at`] in each lane.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn at8(l: Lanes<'_>, p: u32) -> __m256 {
        let pv = _mm256_add_epi32(_mm256_set1_epi32(p as i32), l.steps);
        let index = _mm256_and_si256(_mm256_srl_epi32(pv, l.shift), l.mask);
        let seg = l.spline.segments.as_ptr().cast::<f32>();
        let i = |k: i32| k as usize * 4;
        let (i0, i1, i2, i3) = (
            i(_mm256_extract_epi32::<0>(index)),
            i(_mm256_extract_epi32::<1>(index)),
            i(_mm256_extract_epi32::<2>(index)),
            i(_mm256_extract_epi32::<3>(index)),
        );
        let (i4, i5, i6, i7) = (
            i(_mm256_extract_epi32::<4>(index)),
            i(_mm256_extract_epi32::<5>(index)),
            i(_mm256_extract_epi32::<6>(index)),
            i(_mm256_extract_epi32::<7>(index)),
        );
        // SAFETY: each index is masked to below `segments.len()` (a power
        // of two, `mask + 1`), so every 16-byte load reads one whole
        // segment inside the table.
        let (r0, r1, r2, r3) = unsafe {
            (
                _mm256_loadu2_m128(seg.add(i4), seg.add(i0)),
                _mm256_loadu2_m128(seg.add(i5), seg.add(i1)),
                _mm256_loadu2_m128(seg.add(i6), seg.add(i2)),
                _mm256_loadu2_m128(seg.add(i7), seg.add(i3)),
            )
        };
        // r_j holds the segments of lanes j (low half) and j + 4 (high);
        // transpose each half so that c_k holds coefficient k of every lane.
        let t0 = _mm256_unpacklo_ps(r0, r1);
        let t1 = _mm256_unpacklo_ps(r2, r3);
        let t2 = _mm256_unpackhi_ps(r0, r1);
        let t3 = _mm256_unpackhi_ps(r2, r3);
        let c0 = _mm256_shuffle_ps::<0x44>(t0, t1);
        let c1 = _mm256_shuffle_ps::<0xEE>(t0, t1);
        let c2 = _mm256_shuffle_ps::<0x44>(t2, t3);
        let c3 = _mm256_shuffle_ps::<0xEE>(t2, t3);
        let frac = _mm256_srli_epi32::<8>(_mm256_sll_epi32(pv, l.frac_shift));
        let u = _mm256_mul_ps(_mm256_cvtepi32_ps(frac), _mm256_set1_ps(1.0 / 16_777_216.0));
        let h = _mm256_add_ps(c2, _mm256_mul_ps(u, c3));
        let h = _mm256_add_ps(c1, _mm256_mul_ps(u, h));
        _mm256_add_ps(c0, _mm256_mul_ps(u, h))
    }

    #[inline(always)]
    fn lanes_of(y: __m256) -> [f32; 8] {
        // SAFETY: `__m256` and `[f32; 8]` are both 32 bytes of plain data.
        unsafe { std::mem::transmute::<__m256, [f32; 8]>(y) }
    }

    /// [`portable::periodic`], eight lanes wide.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn periodic<S: Sink>(
        spline: Spline<'_>,
        phase: &mut u32,
        increment: u32,
        frames: usize,
        sink: &mut S,
    ) {
        let l = lanes(spline, increment);
        let mut p = *phase;
        let mut i = 0;
        while i + 8 <= frames {
            sink.put8(i, lanes_of(at8(l, p)));
            p = p.wrapping_add(increment.wrapping_mul(8));
            i += 8;
        }
        while i < frames {
            sink.put1(i, spline.at(p));
            p = p.wrapping_add(increment);
            i += 1;
        }
        *phase = p;
    }

    /// [`portable::pulse`], eight lanes wide.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn pulse<S: Sink>(
        spline: Spline<'_>,
        phase: &mut u32,
        increment: u32,
        offset: u32,
        frames: usize,
        sink: &mut S,
    ) {
        let l = lanes(spline, increment);
        let half = _mm256_set1_ps(0.5);
        let mut p = *phase;
        let mut i = 0;
        while i + 8 <= frames {
            let falling = at8(l, p.wrapping_sub(offset));
            let rising = at8(l, p);
            let y = _mm256_mul_ps(half, _mm256_sub_ps(falling, rising));
            sink.put8(i, lanes_of(y));
            p = p.wrapping_add(increment.wrapping_mul(8));
            i += 8;
        }
        while i < frames {
            sink.put1(i, 0.5 * (spline.at(p.wrapping_sub(offset)) - spline.at(p)));
            p = p.wrapping_add(increment);
            i += 1;
        }
        *phase = p;
    }
}
