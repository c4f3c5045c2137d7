//! The render loops: a level's spline evaluated at eight consecutive phases
//! at a time and handed to a [`Sink`].
//!
//! Two versions of the same arithmetic:
//! - `portable`: plain Rust, four frames per spline call, which the compiler
//!   turns into SSE on any x86-64 (or NEON) CPU;
//! - `avx2`: eight frames per step in 256-bit registers (the eight 16-byte
//!   segments loaded in pairs and transposed in registers), chosen at run
//!   time on CPUs that have AVX2. The whole engine with 512 saw voices
//!   measured 0.85 ns per voice-sample with it against 1.41 with the
//!   portable loop (BENCHMARKS.md).
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

    /// `sink.len()` frames of `spline` into `sink`, advancing `phase`.
    #[inline(always)]
    pub(crate) fn periodic<S: Sink>(
        spline: Spline<'_>,
        phase: &mut u32,
        increment: u32,
        sink: &mut S,
    ) {
        let frames = sink.len();
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
        sink: &mut S,
    ) {
        let frames = sink.len();
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

// The AVX2 intrinsics are safe to call inside `#[target_feature]`
// functions from Rust 1.87; the crate's minimum, 1.85, still makes them
// unsafe. So inside this module an unsafe fn's body stays an unsafe
// context (`unsafe_op_in_unsafe_fn` allowed here only), and every pointer
// access still carries its own `// SAFETY:` block.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_op_in_unsafe_fn)]
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

    /// A spline's four coefficients at eight phases, and the eight
    /// fractions within their segments: everything [`eval`] needs.
    #[derive(Clone, Copy)]
    struct Fetched {
        c: [__m256; 4],
        u: __m256,
    }

    /// Loads the segments under the eight phases `pv` and computes the
    /// fractions.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn fetch(l: Lanes<'_>, pv: __m256i) -> Fetched {
        // Byte offsets of the eight segments (16 bytes each), through
        // memory: eight plain loads cost less than eight extracts.
        let offset =
            _mm256_slli_epi32::<4>(_mm256_and_si256(_mm256_srl_epi32(pv, l.shift), l.mask));
        let mut o = [0u32; 8];
        // SAFETY: `o` is eight `u32`s, the 32 bytes the store writes
        // (unaligned stores need no alignment).
        unsafe { _mm256_storeu_si256(o.as_mut_ptr().cast(), offset) };
        let base = l.spline.segments.as_ptr().cast::<u8>();
        // SAFETY: each offset is a segment index masked to below
        // `segments.len()` (a power of two, `mask + 1`) times the 16 bytes
        // of a segment: the pointer stays inside the table.
        let at = |k: usize| unsafe { base.add(o[k] as usize) }.cast::<f32>();
        // SAFETY: as above, every 16-byte load reads one whole segment
        // inside the table.
        let (r0, r1, r2, r3) = unsafe {
            (
                _mm256_loadu2_m128(at(4), at(0)),
                _mm256_loadu2_m128(at(5), at(1)),
                _mm256_loadu2_m128(at(6), at(2)),
                _mm256_loadu2_m128(at(7), at(3)),
            )
        };
        // r_j holds the segments of lanes j (low half) and j + 4 (high);
        // transpose each half so that c[k] holds coefficient k of every
        // lane.
        let t0 = _mm256_unpacklo_ps(r0, r1);
        let t1 = _mm256_unpacklo_ps(r2, r3);
        let t2 = _mm256_unpackhi_ps(r0, r1);
        let t3 = _mm256_unpackhi_ps(r2, r3);
        let c = [
            _mm256_shuffle_ps::<0x44>(t0, t1),
            _mm256_shuffle_ps::<0xEE>(t0, t1),
            _mm256_shuffle_ps::<0x44>(t2, t3),
            _mm256_shuffle_ps::<0xEE>(t2, t3),
        ];
        let frac = _mm256_srli_epi32::<8>(_mm256_sll_epi32(pv, l.frac_shift));
        let u = _mm256_mul_ps(_mm256_cvtepi32_ps(frac), _mm256_set1_ps(1.0 / 16_777_216.0));
        Fetched { c, u }
    }

    /// Horner's rule on fetched segments: the same arithmetic as
    /// [`Spline::at`] in each lane.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn eval(f: Fetched) -> __m256 {
        let Fetched { c, u } = f;
        let h = _mm256_add_ps(c[2], _mm256_mul_ps(u, c[3]));
        let h = _mm256_add_ps(c[1], _mm256_mul_ps(u, h));
        _mm256_add_ps(c[0], _mm256_mul_ps(u, h))
    }

    #[inline(always)]
    fn lanes_of(y: __m256) -> [f32; 8] {
        // SAFETY: `__m256` and `[f32; 8]` are both 32 bytes of plain data.
        unsafe { std::mem::transmute::<__m256, [f32; 8]>(y) }
    }

    /// [`portable::periodic`], eight lanes wide.
    ///
    /// The loop is software-pipelined: the segments for the next eight
    /// frames are loaded before the arithmetic on these eight, so the
    /// arithmetic finds its operands ready (about 6 % faster here). The
    /// last fetch reads segments that are never used: harmless, they are
    /// in the table.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn periodic<S: Sink>(
        spline: Spline<'_>,
        phase: &mut u32,
        increment: u32,
        sink: &mut S,
    ) {
        let frames = sink.len();
        // SAFETY: `lanes`, `fetch` and `eval` need only AVX2, which this
        // function's caller guarantees (so do the blocks below).
        let l = unsafe { lanes(spline, increment) };
        let step8 = _mm256_set1_epi32(increment.wrapping_mul(8) as i32);
        let mut pv = _mm256_add_epi32(_mm256_set1_epi32(*phase as i32), l.steps);
        // SAFETY: as above.
        let mut next = unsafe { fetch(l, pv) };
        let mut i = 0;
        while i + 8 <= frames {
            let now = next;
            pv = _mm256_add_epi32(pv, step8);
            // SAFETY: as above.
            let y = unsafe {
                next = fetch(l, pv);
                eval(now)
            };
            sink.put8(i, lanes_of(y));
            i += 8;
        }
        let mut p = phase.wrapping_add(increment.wrapping_mul(i as u32));
        while i < frames {
            sink.put1(i, spline.at(p));
            p = p.wrapping_add(increment);
            i += 1;
        }
        *phase = p;
    }

    /// [`portable::pulse`], eight lanes wide and pipelined like
    /// [`periodic`].
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn pulse<S: Sink>(
        spline: Spline<'_>,
        phase: &mut u32,
        increment: u32,
        offset: u32,
        sink: &mut S,
    ) {
        let frames = sink.len();
        // SAFETY: `lanes`, `fetch` and `eval` need only AVX2, which this
        // function's caller guarantees (so do the blocks below).
        let l = unsafe { lanes(spline, increment) };
        let half = _mm256_set1_ps(0.5);
        let step8 = _mm256_set1_epi32(increment.wrapping_mul(8) as i32);
        let behind = _mm256_set1_epi32(offset as i32);
        let mut pv = _mm256_add_epi32(_mm256_set1_epi32(*phase as i32), l.steps);
        // SAFETY: as above.
        let mut next = unsafe { (fetch(l, _mm256_sub_epi32(pv, behind)), fetch(l, pv)) };
        let mut i = 0;
        while i + 8 <= frames {
            let (falling, rising) = next;
            pv = _mm256_add_epi32(pv, step8);
            // SAFETY: as above.
            let (f, r) = unsafe {
                next = (fetch(l, _mm256_sub_epi32(pv, behind)), fetch(l, pv));
                (eval(falling), eval(rising))
            };
            let y = _mm256_mul_ps(half, _mm256_sub_ps(f, r));
            sink.put8(i, lanes_of(y));
            i += 8;
        }
        let mut p = phase.wrapping_add(increment.wrapping_mul(i as u32));
        while i < frames {
            sink.put1(i, 0.5 * (spline.at(p.wrapping_sub(offset)) - spline.at(p)));
            p = p.wrapping_add(increment);
            i += 1;
        }
        *phase = p;
    }
}
