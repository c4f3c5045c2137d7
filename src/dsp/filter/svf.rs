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

/// Lanes a batch with few voices runs (one AVX vector).
pub(crate) const NARROW: usize = 8;

/// [`LANES`] lanes of state-variable filters, gathered for one block.
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
    /// Every lane is a lowpass (a batch holds one mode).
    lowpass: bool,
}

impl SvfBatch {
    /// Puts a lane's memory, mode and starting coefficients into the batch.
    pub(crate) fn load(&mut self, lane: usize, state: SvfState, mode: SvfMode, g: f32, k: f32) {
        self.ic1[lane] = state.ic1;
        self.ic2[lane] = state.ic2;
        (self.wx[lane], self.wb[lane], self.wl[lane]) = mode.weights();
        self.lowpass = mode == SvfMode::Lowpass;
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
    /// Only the first `used` lanes need to be right: when they are at most
    /// [`NARROW`], the rest are left alone (see [`run_narrow_body`]).
    pub(crate) fn run(&mut self, frames: &mut [Lanes], g_end: &Lanes, k_end: &Lanes, used: usize) {
        let narrow = used <= NARROW;
        let lowpass = self.lowpass;
        #[cfg(target_arch = "x86_64")]
        if super::has_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            unsafe { run_avx2(self, frames, g_end, k_end, narrow, lowpass) };
            return;
        }
        match (narrow, lowpass) {
            (true, true) => run_narrow_body::<Separate, true>(self, frames, g_end, k_end),
            (true, false) => run_narrow_body::<Separate, false>(self, frames, g_end, k_end),
            (false, true) => run_body::<Separate, true>(self, frames, g_end, k_end),
            (false, false) => run_body::<Separate, false>(self, frames, g_end, k_end),
        }
    }

    /// Filters the first `W` lanes (one or two: a batch of one or two
    /// voice channels) in place in their own rows (`rows[l]`: lane `l`'s
    /// frames), as [`run`](Self::run) would with them in frames.
    pub(crate) fn run_rows<const W: usize>(
        &mut self,
        rows: [&mut [f32]; W],
        g_end: &Lanes,
        k_end: &Lanes,
    ) {
        let lowpass = self.lowpass;
        #[cfg(target_arch = "x86_64")]
        if super::has_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            unsafe { run_rows_avx2(self, rows, g_end, k_end, lowpass) };
            return;
        }
        match lowpass {
            true => run_rows_body::<Separate, true, W>(self, rows, g_end, k_end),
            false => run_rows_body::<Separate, false, W>(self, rows, g_end, k_end),
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_rows_avx2<const W: usize>(
    b: &mut SvfBatch,
    rows: [&mut [f32]; W],
    g_end: &Lanes,
    k_end: &Lanes,
    lowpass: bool,
) {
    use super::Fused;
    match lowpass {
        true => run_rows_body::<Fused, true, W>(b, rows, g_end, k_end),
        false => run_rows_body::<Fused, false, W>(b, rows, g_end, k_end),
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
unsafe fn run_avx2(
    b: &mut SvfBatch,
    frames: &mut [Lanes],
    g_end: &Lanes,
    k_end: &Lanes,
    narrow: bool,
    lowpass: bool,
) {
    use super::Fused;
    match (narrow, lowpass) {
        (true, true) => run_narrow_body::<Fused, true>(b, frames, g_end, k_end),
        (true, false) => run_narrow_body::<Fused, false>(b, frames, g_end, k_end),
        (false, true) => run_body::<Fused, true>(b, frames, g_end, k_end),
        (false, false) => run_body::<Fused, false>(b, frames, g_end, k_end),
    }
}

/// All [`LANES`] lanes, in the update of the module's header: four
/// multiply-adds deep from one frame's memory to the next, which is no
/// limit here, as two vectors of lanes fill the arithmetic units anyway.
/// `LOWPASS`: every lane is a lowpass (the output is `v2`, nothing to weigh).
#[inline(always)]
fn run_body<M: MulAdd, const LOWPASS: bool>(
    b: &mut SvfBatch,
    frames: &mut [Lanes],
    g_end: &Lanes,
    k_end: &Lanes,
) {
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
            x[l] = if LOWPASS {
                v2
            } else {
                M::mul_add(b.wl[l], v2, M::mul_add(b.wb[l] * k[l], v1, b.wx[l] * x[l]))
            };
        }
    }
    b.g = *g_end;
    b.k = *k_end;
    b.ic1 = ic1;
    b.ic2 = ic2;
}

/// The first [`NARROW`] lanes only (a batch with few voices: the rest of
/// each frame is neither read nor written). One vector of lanes cannot hide
/// the four-deep update's latency, so the memory moves in closed form, two
/// multiply-adds deep (and, while the coefficients hold still, two frames
/// per step, through the update's square: see [`Steady`]; a segment whose
/// coefficients move by under [`STEADY_TOLERANCE`] runs at their midpoint,
/// as a SoundFont's slow modulation envelope moves them):
/// `ic1' = (2a1 − 1)·ic1 − 2a2·ic2 + 2a2·x`,
/// `ic2' = 2a2·ic1 + (1 − 2a3)·ic2 + 2a3·x`,
/// and the outputs use `v1 = (ic1 + ic1')/2`, `v2 = (ic2 + ic2')/2` (the
/// same filter; only the rounding differs).
#[inline(always)]
fn run_narrow_body<M: MulAdd, const LOWPASS: bool>(
    b: &mut SvfBatch,
    frames: &mut [Lanes],
    g_end: &Lanes,
    k_end: &Lanes,
) {
    let n = frames.len().max(1) as f32;
    let mut g_step = [0.0; NARROW];
    let mut k_step = [0.0; NARROW];
    for l in 0..NARROW {
        g_step[l] = (g_end[l] - b.g[l]) / n;
        k_step[l] = (k_end[l] - b.k[l]) / n;
    }
    let mut g: [f32; NARROW] = std::array::from_fn(|l| b.g[l]);
    let mut k: [f32; NARROW] = std::array::from_fn(|l| b.k[l]);
    let mut ic1: [f32; NARROW] = std::array::from_fn(|l| b.ic1[l]);
    let mut ic2: [f32; NARROW] = std::array::from_fn(|l| b.ic2[l]);
    let wl: [f32; NARROW] = std::array::from_fn(|l| 0.5 * b.wl[l]);
    let wb: [f32; NARROW] = std::array::from_fn(|l| 0.5 * b.wb[l]);
    let wx: [f32; NARROW] = std::array::from_fn(|l| b.wx[l]);
    if (0..NARROW).all(|l| steady(b.g[l], g_end[l], b.k[l], k_end[l])) {
        let g_mid: [f32; NARROW] = std::array::from_fn(|l| 0.5 * (b.g[l] + g_end[l]));
        let k_mid: [f32; NARROW] = std::array::from_fn(|l| 0.5 * (b.k[l] + k_end[l]));
        let (one, two) = Steady::<M>::new(&g_mid, &k_mid);
        let k = k_mid;
        let mut pairs = frames.chunks_exact_mut(2);
        for pair in &mut pairs {
            let [f0, f1] = pair else { unreachable!() };
            for l in 0..NARROW {
                let (x0, x1) = (f0[l], f1[l]);
                let s0 = (ic1[l], ic2[l]);
                // Two frames on from s0 (the only serial step), and the
                // frame between, both from s0.
                let s2 = two.advance(l, s0, two.input2(l, x0, x1));
                let s1 = one.advance(l, s0, one.input(l, x0));
                f0[l] = output::<M, LOWPASS>(s0, s1, x0, wl[l], wb[l] * k[l], wx[l]);
                f1[l] = output::<M, LOWPASS>(s1, s2, x1, wl[l], wb[l] * k[l], wx[l]);
                (ic1[l], ic2[l]) = s2;
            }
        }
        for frame in pairs.into_remainder() {
            for l in 0..NARROW {
                let s0 = (ic1[l], ic2[l]);
                let s1 = one.advance(l, s0, one.input(l, frame[l]));
                frame[l] = output::<M, LOWPASS>(s0, s1, frame[l], wl[l], wb[l] * k[l], wx[l]);
                (ic1[l], ic2[l]) = s1;
            }
        }
        b.g[..NARROW].copy_from_slice(&g_end[..NARROW]);
        b.k[..NARROW].copy_from_slice(&k_end[..NARROW]);
        b.ic1[..NARROW].copy_from_slice(&ic1);
        b.ic2[..NARROW].copy_from_slice(&ic2);
        return;
    }
    for frame in frames.iter_mut() {
        let x = &mut frame[..NARROW];
        for l in 0..NARROW {
            g[l] += g_step[l];
            k[l] += k_step[l];
            let weights = (wl[l], wb[l], wx[l]);
            let (next, y) = moving_frame::<M, LOWPASS>(g[l], k[l], (ic1[l], ic2[l]), x[l], weights);
            x[l] = y;
            (ic1[l], ic2[l]) = next;
        }
    }
    b.g[..NARROW].copy_from_slice(&g_end[..NARROW]);
    b.k[..NARROW].copy_from_slice(&k_end[..NARROW]);
    b.ic1[..NARROW].copy_from_slice(&ic1);
    b.ic2[..NARROW].copy_from_slice(&ic2);
}

/// One frame of a lane whose coefficients move, in the closed form of
/// [`run_narrow_body`]: from the memory `s` and the input `x` at `g` and
/// `k`, the memory after the frame and the output (`weights`: half the
/// output's weights on `v2` and `v1`, and its weight on `x`).
#[inline(always)]
fn moving_frame<M: MulAdd, const LOWPASS: bool>(
    g: f32,
    k: f32,
    s: (f32, f32),
    x: f32,
    (half_wl, half_wb, wx): (f32, f32, f32),
) -> ((f32, f32), f32) {
    let a1 = 1.0 / M::mul_add(g, g + k, 1.0);
    let a2 = g * a1;
    let two_a2 = a2 + a2;
    let two_a3 = g * two_a2;
    let c11 = M::mul_add(2.0, a1, -1.0);
    let c22 = 1.0 - two_a3;
    let next1 = M::mul_add(c11, s.0, M::mul_add(-two_a2, s.1, two_a2 * x));
    let next2 = M::mul_add(two_a2, s.0, M::mul_add(c22, s.1, two_a3 * x));
    let next = (next1, next2);
    (
        next,
        output::<M, LOWPASS>(s, next, x, half_wl, half_wb * k, wx),
    )
}

/// The first `W` lanes (one or two), each in its own row of frames: what
/// [`run_narrow_body`] does to them, lane by lane within each frame, with
/// no turning of rows into frames and back (for a batch that small, the
/// turning cost more than the filter).
#[inline(always)]
fn run_rows_body<M: MulAdd, const LOWPASS: bool, const W: usize>(
    b: &mut SvfBatch,
    rows: [&mut [f32]; W],
    g_end: &Lanes,
    k_end: &Lanes,
) {
    let frames = rows.iter().map(|r| r.len()).min().unwrap_or(0);
    let mut rows = rows.map(|r| &mut r[..frames]);
    let weights: [(f32, f32, f32); W] =
        std::array::from_fn(|l| (0.5 * b.wl[l], 0.5 * b.wb[l], b.wx[l]));
    let mut s: [(f32, f32); W] = std::array::from_fn(|l| (b.ic1[l], b.ic2[l]));
    if (0..W).all(|l| steady(b.g[l], g_end[l], b.k[l], k_end[l])) {
        let g_mid: [f32; NARROW] = std::array::from_fn(|l| 0.5 * (b.g[l] + g_end[l]));
        let k_mid: [f32; NARROW] = std::array::from_fn(|l| 0.5 * (b.k[l] + k_end[l]));
        let (one, two) = Steady::<M>::new(&g_mid, &k_mid);
        let out = |l: usize, s0, s1, x| {
            let (half_wl, half_wb, wx) = weights[l];
            output::<M, LOWPASS>(s0, s1, x, half_wl, half_wb * k_mid[l], wx)
        };
        let mut j = 0;
        while j + 1 < frames {
            for (l, row) in rows.iter_mut().enumerate() {
                let (x0, x1) = (row[j], row[j + 1]);
                let s0 = s[l];
                let s2 = two.advance(l, s0, two.input2(l, x0, x1));
                let s1 = one.advance(l, s0, one.input(l, x0));
                row[j] = out(l, s0, s1, x0);
                row[j + 1] = out(l, s1, s2, x1);
                s[l] = s2;
            }
            j += 2;
        }
        if j < frames {
            for (l, row) in rows.iter_mut().enumerate() {
                let s1 = one.advance(l, s[l], one.input(l, row[j]));
                row[j] = out(l, s[l], s1, row[j]);
                s[l] = s1;
            }
        }
    } else {
        let n = frames.max(1) as f32;
        let step: [(f32, f32); W] =
            std::array::from_fn(|l| ((g_end[l] - b.g[l]) / n, (k_end[l] - b.k[l]) / n));
        let mut g: [f32; W] = std::array::from_fn(|l| b.g[l]);
        let mut k: [f32; W] = std::array::from_fn(|l| b.k[l]);
        for j in 0..frames {
            for (l, row) in rows.iter_mut().enumerate() {
                g[l] += step[l].0;
                k[l] += step[l].1;
                let (next, y) = moving_frame::<M, LOWPASS>(g[l], k[l], s[l], row[j], weights[l]);
                row[j] = y;
                s[l] = next;
            }
        }
    }
    for (l, (ic1, ic2)) in s.into_iter().enumerate() {
        b.g[l] = g_end[l];
        b.k[l] = k_end[l];
        b.ic1[l] = ic1;
        b.ic2[l] = ic2;
    }
}

/// How far a segment's coefficients may move and still run at their
/// midpoint, as a fraction of `g` (for `k`, absolute): 0.1 %, under 1.8
/// cents of cutoff, so the midpoint is under 0.9 cents from the glide.
const STEADY_TOLERANCE: f32 = 1e-3;

/// Whether a lane's coefficients hold (near enough) still over a segment.
#[inline(always)]
fn steady(g: f32, g_end: f32, k: f32, k_end: f32) -> bool {
    (g_end - g).abs() <= STEADY_TOLERANCE * g && (k_end - k).abs() <= STEADY_TOLERANCE
}

/// A narrow filter's output frame from its memory before (`s0`) and after
/// (`s1`) the frame: `v1`, `v2` are their means.
#[inline(always)]
fn output<M: MulAdd, const LOWPASS: bool>(
    s0: (f32, f32),
    s1: (f32, f32),
    x: f32,
    half_wl: f32,
    half_wb_k: f32,
    wx: f32,
) -> f32 {
    if LOWPASS {
        0.5 * (s0.1 + s1.1)
    } else {
        M::mul_add(
            half_wl,
            s0.1 + s1.1,
            M::mul_add(half_wb_k, s0.0 + s1.0, wx * x),
        )
    }
}

/// The closed-form update `s' = A·s + B·x` with coefficients that hold
/// still (a segment whose cutoff and resonance do not move), per lane.
struct Steady<M> {
    /// `A` by rows, and `B`.
    a: [[f32; NARROW]; 4],
    b: [[f32; NARROW]; 2],
    /// For two frames: the input's effect through `A` (`A·B`).
    ab: [[f32; NARROW]; 2],
    mul_add: std::marker::PhantomData<M>,
}

impl<M: MulAdd> Steady<M> {
    /// The update for one frame, and for two (`A²`, with `A·B` kept for
    /// [`input`](Self::input)).
    #[inline(always)]
    fn new(g: &[f32; NARROW], k: &[f32; NARROW]) -> (Self, Self) {
        let mut one = Steady {
            a: [[0.0; NARROW]; 4],
            b: [[0.0; NARROW]; 2],
            ab: [[0.0; NARROW]; 2],
            mul_add: std::marker::PhantomData,
        };
        for l in 0..NARROW {
            let a1 = 1.0 / M::mul_add(g[l], g[l] + k[l], 1.0);
            let two_a2 = 2.0 * g[l] * a1;
            let two_a3 = g[l] * two_a2;
            one.a[0][l] = M::mul_add(2.0, a1, -1.0);
            one.a[1][l] = -two_a2;
            one.a[2][l] = two_a2;
            one.a[3][l] = 1.0 - two_a3;
            one.b[0][l] = two_a2;
            one.b[1][l] = two_a3;
        }
        let mut two = Steady {
            a: [[0.0; NARROW]; 4],
            b: one.b,
            ab: [[0.0; NARROW]; 2],
            mul_add: std::marker::PhantomData,
        };
        for l in 0..NARROW {
            let [p, q, r, t] = [one.a[0][l], one.a[1][l], one.a[2][l], one.a[3][l]];
            two.a[0][l] = M::mul_add(p, p, q * r);
            two.a[1][l] = M::mul_add(p, q, q * t);
            two.a[2][l] = M::mul_add(r, p, t * r);
            two.a[3][l] = M::mul_add(r, q, t * t);
            two.ab[0][l] = M::mul_add(p, one.b[0][l], q * one.b[1][l]);
            two.ab[1][l] = M::mul_add(r, one.b[0][l], t * one.b[1][l]);
        }
        (one, two)
    }

    /// What one frame of input adds to the memory (`B·x`).
    #[inline(always)]
    fn input(&self, l: usize, x: f32) -> (f32, f32) {
        (self.b[0][l] * x, self.b[1][l] * x)
    }

    /// What two frames of input add over the two frames (`A·B·x0 + B·x1`).
    #[inline(always)]
    fn input2(&self, l: usize, x0: f32, x1: f32) -> (f32, f32) {
        (
            M::mul_add(self.ab[0][l], x0, self.b[0][l] * x1),
            M::mul_add(self.ab[1][l], x0, self.b[1][l] * x1),
        )
    }

    /// `A·s + u`.
    #[inline(always)]
    fn advance(&self, l: usize, s: (f32, f32), u: (f32, f32)) -> (f32, f32) {
        (
            M::mul_add(self.a[0][l], s.0, M::mul_add(self.a[1][l], s.1, u.0)),
            M::mul_add(self.a[2][l], s.0, M::mul_add(self.a[3][l], s.1, u.1)),
        )
    }
}
