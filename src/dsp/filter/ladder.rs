//! The 24 dB/octave ladder lowpass, eight lanes at a time: four
//! trapezoidal one-pole stages in a zero-delay feedback loop, with an
//! optional drive stage in front.
//!
//! Each stage is `y = G·x + (1 − G)·s`, `s ← 2y − s`, with `G = g/(1 + g)`.
//! The loop `u = x − k·y4` is solved exactly each frame:
//! `u = (x − k·S)/(1 + k·G⁴)`, where `S` is what the four memories give at
//! the output. Resonance `r` gives `k = 4r`; at 1 the loop rings at the
//! cutoff.
//!
//! Drive gains the input up (1× to 16×) into a soft clipper,
//! `x − x³/3` up to ±1 and ±2/3 beyond, through its first-order
//! antiderivative (`(F(x₁) − F(x₀))/(x₁ − x₀)`), which keeps what the
//! clipper adds above Nyquist from folding back as loud aliases. Drive 0 is
//! the linear filter.

use super::{Lanes, MulAdd, Separate, LANES};

/// One lane's memory between blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct LadderState {
    s: [f32; 4],
    /// The last (gained) input, for the clipper's antiderivative.
    previous: f32,
}

const STATE_LIMIT: f32 = 8.0;

/// The feedback `k` for a resonance of 0–1 (clamped; NaN counts as 0).
#[inline]
pub(crate) fn feedback(resonance: f32) -> f32 {
    if resonance.is_nan() {
        0.0
    } else {
        4.0 * resonance.clamp(0.0, 1.0)
    }
}

/// The input gain for a drive of 0–1 (clamped; NaN counts as 0); 0 means
/// no clipper at all.
pub(crate) fn drive_gain(drive: f32) -> f32 {
    if drive.is_nan() || drive <= 0.0 {
        0.0
    } else {
        1.0 + 3.0 * drive.min(1.0)
    }
}

/// Eight lanes of ladder filters, gathered for one block.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LadderBatch {
    s: [Lanes; 4],
    previous: Lanes,
    /// Input gain into the clipper; 0 bypasses it.
    drive: Lanes,
    g: Lanes,
    k: Lanes,
}

impl LadderBatch {
    /// Puts a lane's memory, drive gain and starting coefficients into the
    /// batch.
    pub(crate) fn load(&mut self, lane: usize, state: LadderState, drive: f32, g: f32, k: f32) {
        for (s, v) in self.s.iter_mut().zip(state.s) {
            s[lane] = v;
        }
        self.previous[lane] = state.previous;
        self.drive[lane] = drive;
        self.g[lane] = g;
        self.k[lane] = k;
    }

    /// A lane's memory after the block, bounded and finite.
    pub(crate) fn store(&self, lane: usize) -> LadderState {
        let bounded = |x: f32| {
            if x.is_finite() {
                x.clamp(-STATE_LIMIT, STATE_LIMIT)
            } else {
                0.0
            }
        };
        LadderState {
            s: std::array::from_fn(|i| bounded(self.s[i][lane])),
            previous: bounded(self.previous[lane]),
        }
    }

    /// Filters `frames` in place, moving `g` and `k` linearly to `g_end`
    /// and `k_end` over the segment (see [`SvfBatch::run`](super::SvfBatch::run)).
    pub(crate) fn run(&mut self, frames: &mut [Lanes], g_end: &Lanes, k_end: &Lanes) {
        #[cfg(target_arch = "x86_64")]
        if super::has_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            unsafe { run_avx2(self, frames, g_end, k_end) };
            return;
        }
        run_body::<Separate>(self, frames, g_end, k_end);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2(b: &mut LadderBatch, frames: &mut [Lanes], g_end: &Lanes, k_end: &Lanes) {
    run_body::<super::Fused>(b, frames, g_end, k_end);
}

/// The clipper's slope at 0: the input is divided by it, so a small
/// signal passes at the drive's gain.
const CLIP_SLOPE: f32 = 15.0 / 8.0;

/// The soft clipper: `(15x − 10x³ + 3x⁵)/8` up to ±1 and ±1 beyond, whose
/// first and second derivatives are 0 where it meets the flat part, so
/// what it adds falls off fast with the harmonic's number.
#[inline(always)]
fn clip(x: f32) -> f32 {
    let c = x.clamp(-1.0, 1.0);
    let c2 = c * c;
    c * (15.0 - c2 * (10.0 - 3.0 * c2)) * 0.125
}

/// The clipper's antiderivative.
#[inline(always)]
fn clip_integral(x: f32) -> f32 {
    let a = x.abs();
    if a <= 1.0 {
        let x2 = x * x;
        x2 * (7.5 - x2 * (2.5 - 0.5 * x2)) * 0.125
    } else {
        a - 0.3125
    }
}

#[inline(always)]
fn run_body<M: MulAdd>(b: &mut LadderBatch, frames: &mut [Lanes], g_end: &Lanes, k_end: &Lanes) {
    // The one-pole gain G = g/(1 + g) glides linearly between the
    // segment's ends (one division per segment, not per frame).
    let n = frames.len().max(1) as f32;
    let mut big_g = [0.0; LANES];
    let mut g_step = [0.0; LANES];
    let mut k_step = [0.0; LANES];
    for l in 0..LANES {
        big_g[l] = b.g[l] / (1.0 + b.g[l]);
        g_step[l] = (g_end[l] / (1.0 + g_end[l]) - big_g[l]) / n;
        k_step[l] = (k_end[l] - b.k[l]) / n;
    }
    let any_drive = b.drive.iter().any(|&d| d > 0.0);
    let mut k = b.k;
    let mut s = b.s;
    let mut previous = b.previous;
    for x in frames.iter_mut() {
        if any_drive {
            for l in 0..LANES {
                let gained = x[l] * (b.drive[l] * (1.0 / CLIP_SLOPE));
                let dx = gained - previous[l];
                let smooth = if dx.abs() > 1e-4 {
                    (clip_integral(gained) - clip_integral(previous[l])) / dx
                } else {
                    clip(0.5 * (gained + previous[l]))
                };
                previous[l] = gained;
                x[l] = if b.drive[l] > 0.0 { smooth } else { x[l] };
            }
        }
        for l in 0..LANES {
            big_g[l] += g_step[l];
            k[l] += k_step[l];
            let big_g = big_g[l];
            let keep = 1.0 - big_g;
            let b1 = keep * s[0][l];
            let b2 = keep * s[1][l];
            let b3 = keep * s[2][l];
            let b4 = keep * s[3][l];
            let sum = M::mul_add(M::mul_add(M::mul_add(b1, big_g, b2), big_g, b3), big_g, b4);
            let g2 = big_g * big_g;
            let u = M::mul_add(-k[l], sum, x[l]) / M::mul_add(k[l], g2 * g2, 1.0);
            let y1 = M::mul_add(big_g, u, b1);
            let y2 = M::mul_add(big_g, y1, b2);
            let y3 = M::mul_add(big_g, y2, b3);
            let y4 = M::mul_add(big_g, y3, b4);
            s[0][l] = M::mul_add(2.0, y1, -s[0][l]);
            s[1][l] = M::mul_add(2.0, y2, -s[1][l]);
            s[2][l] = M::mul_add(2.0, y3, -s[2][l]);
            s[3][l] = M::mul_add(2.0, y4, -s[3][l]);
            x[l] = y4;
        }
    }
    b.g = *g_end;
    b.k = *k_end;
    b.s = s;
    b.previous = previous;
}
