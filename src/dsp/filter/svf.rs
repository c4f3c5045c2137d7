//! The 12 dB/octave state-variable filter, topology-preserving (trapezoidal
//! integrators, zero-delay feedback), eight lanes at a time.
//!
//! Per lane and frame, with `g = tan(π·cutoff/fs)` and damping `k`:
//! `v1 = a1·ic1 + a2·(x − ic2)`, `v2 = ic2 + a2·ic1 + a3·(x − ic2)`,
//! where `a1 = 1/(1 + g(g + k))`, `a2 = g·a1`, `a3 = g·a2`; then
//! `ic1 = 2v1 − ic1`, `ic2 = 2v2 − ic2`. The lowpass is `v2`, the bandpass
//! `k·v1` (0 dB at its peak), the highpass `x − k·v1 − v2` and the notch
//! `x − k·v1`. Resonance `r` gives `k = √2·(1 − r)`: 0 is Butterworth, 1
//! is lossless and rings at the cutoff.

use super::{Lanes, MulAdd, Separate, LANES};

/// What a state-variable filter lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SvfMode {
    Lowpass,
    Highpass,
    Bandpass,
    Notch,
}

impl SvfMode {
    /// The output's weights on `x`, `k·v1` and `v2`.
    fn weights(self) -> (f32, f32, f32) {
        match self {
            SvfMode::Lowpass => (0.0, 0.0, 1.0),
            SvfMode::Bandpass => (0.0, 1.0, 0.0),
            SvfMode::Highpass => (1.0, -1.0, -1.0),
            SvfMode::Notch => (1.0, -1.0, 0.0),
        }
    }
}

/// The damping `k` for a resonance of 0–1 (clamped; NaN counts as 0).
#[inline]
pub(crate) fn damping(resonance: f32) -> f32 {
    let r = if resonance.is_nan() {
        0.0
    } else {
        resonance.clamp(0.0, 1.0)
    };
    std::f32::consts::SQRT_2 * (1.0 - r)
}

/// One lane's memory between blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct SvfState {
    ic1: f32,
    ic2: f32,
}

/// The largest magnitude a filter's memory keeps: a filter driven at its
/// resonance, or modulated wildly, stays bounded.
const STATE_LIMIT: f32 = 8.0;

/// Eight lanes of state-variable filters, gathered for one block.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SvfBatch {
    ic1: Lanes,
    ic2: Lanes,
    /// Output weights per lane (see [`SvfMode`]).
    wx: Lanes,
    wb: Lanes,
    wl: Lanes,
    /// The coefficients reached at the end of the last segment.
    g: Lanes,
    k: Lanes,
}

impl SvfBatch {
    /// Puts a lane's memory, mode and starting coefficients into the batch.
    pub(crate) fn load(&mut self, lane: usize, state: SvfState, mode: SvfMode, g: f32, k: f32) {
        self.ic1[lane] = state.ic1;
        self.ic2[lane] = state.ic2;
        (self.wx[lane], self.wb[lane], self.wl[lane]) = mode.weights();
        self.g[lane] = g;
        self.k[lane] = k;
    }

    /// A lane's memory after the block, bounded and finite.
    pub(crate) fn store(&self, lane: usize) -> SvfState {
        SvfState {
            ic1: bounded(self.ic1[lane]),
            ic2: bounded(self.ic2[lane]),
        }
    }

    /// Filters `frames` (frame-major: one [`Lanes`] per frame) in place,
    /// moving each lane's `g` and `k` in a straight line from where the last
    /// segment left them to `g_end` and `k_end`, reached at the last frame.
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

fn bounded(x: f32) -> f32 {
    if x.is_finite() {
        x.clamp(-STATE_LIMIT, STATE_LIMIT)
    } else {
        0.0
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2(b: &mut SvfBatch, frames: &mut [Lanes], g_end: &Lanes, k_end: &Lanes) {
    run_body::<super::Fused>(b, frames, g_end, k_end);
}

#[inline(always)]
fn run_body<M: MulAdd>(b: &mut SvfBatch, frames: &mut [Lanes], g_end: &Lanes, k_end: &Lanes) {
    let n = frames.len().max(1) as f32;
    let mut g_step = [0.0; LANES];
    let mut k_step = [0.0; LANES];
    for l in 0..LANES {
        g_step[l] = (g_end[l] - b.g[l]) / n;
        k_step[l] = (k_end[l] - b.k[l]) / n;
    }
    let (mut g, mut k) = (b.g, b.k);
    let (mut ic1, mut ic2) = (b.ic1, b.ic2);
    for x in frames.iter_mut() {
        for l in 0..LANES {
            g[l] += g_step[l];
            k[l] += k_step[l];
            let a1 = 1.0 / M::mul_add(g[l], g[l] + k[l], 1.0);
            let a2 = g[l] * a1;
            let a3 = g[l] * a2;
            let v3 = x[l] - ic2[l];
            let v1 = M::mul_add(a1, ic1[l], a2 * v3);
            let v2 = M::mul_add(a3, v3, M::mul_add(a2, ic1[l], ic2[l]));
            ic1[l] = M::mul_add(2.0, v1, -ic1[l]);
            ic2[l] = M::mul_add(2.0, v2, -ic2[l]);
            x[l] = M::mul_add(b.wl[l], v2, M::mul_add(b.wb[l] * k[l], v1, b.wx[l] * x[l]));
        }
    }
    b.g = *g_end;
    b.k = *k_end;
    b.ic1 = ic1;
    b.ic2 = ic2;
}
