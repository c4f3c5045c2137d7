//! Building the mip levels: which harmonic counts get a table, how many
//! points each table has, and the cubic segments stored in it.
//!
//! Everything here runs once, inside `wavetables()`'s `OnceLock`.

use super::fft::{inverse_fft, Complex, Twiddles};
use std::f64::consts::{PI, TAU};

/// The highest harmonic count of any level. The richest level plays every
/// note below `Nyquist / 1024` (21.5 Hz at 44.1 kHz); such a note keeps its
/// harmonics up to `1024 * f0` (20 kHz for a 19.5 Hz note).
///
/// Under Miri the tables stop at 8 harmonics: the same code builds and reads
/// them, but the interpreter would take hours over the full set.
pub(super) const MAX_HARMONICS: u32 = if cfg!(miri) { 8 } else { 1024 };

/// Geometric spacing of the harmonic counts: four levels per octave, so a
/// tone always keeps every harmonic below `Nyquist / 2^(1/4)` (18.5 kHz at
/// 44.1 kHz, 20.2 kHz at 48 kHz). Below 8 harmonics every count has a level.
const LEVEL_RATIO: f64 = 1.189_207_115_002_721; // 2^(1/4)

/// Smallest table, in segments.
const MIN_LOG2_SEGMENTS: u32 = 7;

/// Largest table, in segments (the twiddles are sized for it).
pub(super) const MAX_LOG2_SEGMENTS: u32 = 13;

/// One mip level of one shape: a periodic cubic spline over one cycle.
pub(super) struct Level {
    /// Highest harmonic the level holds; it may play while
    /// `max_harmonic * increment <= 2^31` (no partial above Nyquist).
    pub(super) max_harmonic: u32,
    /// `32 - log2(segments.len())`: the phase's top bits index a segment.
    pub(super) index_shift: u32,
    /// `[c0, c1, c2, c3]` of `c0 + c1 u + c2 u² + c3 u³` for `u` in `[0, 1)`
    /// across each segment; the length is a power of two.
    pub(super) segments: Box<[[f32; 4]]>,
}

impl std::fmt::Debug for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Level")
            .field("max_harmonic", &self.max_harmonic)
            .field("segments", &self.segments.len())
            .finish()
    }
}

/// The harmonic counts that get a level, ascending, from 1 to
/// [`MAX_HARMONICS`].
pub(super) fn harmonic_counts() -> Vec<u32> {
    let mut counts = vec![1];
    let mut k = 1u32;
    while k < MAX_HARMONICS {
        let next = (f64::from(k) * LEVEL_RATIO).floor() as u32;
        k = next.max(k + 1).min(MAX_HARMONICS);
        counts.push(k);
    }
    counts
}

/// log2 of the segment count for a level of `series` with `max_harmonic`
/// harmonics.
///
/// A cubic Hermite segment with exact end slopes reproduces harmonic `k` of
/// an `n`-segment table with an error near `(k/n)^4`; the error comes out as
/// images that alias off the harmonics. `n >= 16 * k^(7/8)` keeps the
/// off-harmonic energy of a saw, square or pulse more than 105 dB below its
/// harmonic energy; the triangle, whose harmonics fall twice as fast, gets
/// half that many segments (the tests measure both).
pub(super) fn log2_segments(series: Series, max_harmonic: u32) -> u32 {
    let density = match series {
        Series::Sine => return 9,
        Series::Triangle => 8.0,
        Series::Saw | Series::Square => 16.0,
    };
    let wanted = density * f64::from(max_harmonic).powf(0.875);
    let n = (wanted.ceil() as u64).next_power_of_two();
    n.trailing_zeros()
        .clamp(MIN_LOG2_SEGMENTS, MAX_LOG2_SEGMENTS)
}

/// Fourier sine-series coefficient `b_k` (with `shape(x) = Σ b_k sin(2πkx)`,
/// `x` in cycles) of each unscaled shape.
#[derive(Clone, Copy, Debug)]
pub(super) enum Series {
    /// `sin(2πx)`.
    Sine,
    /// `2x - 1` on `[0, 1)`: `b_k = -2 / (πk)`.
    Saw,
    /// `+1` on `[0, ½)`, `-1` on `[½, 1)`: `b_k = 4 / (πk)` for odd `k`.
    Square,
    /// `0` at 0 rising to `+1` at ¼, `-1` at ¾:
    /// `b_k = 8 (-1)^((k-1)/2) / (π² k²)` for odd `k`.
    Triangle,
}

impl Series {
    /// `b_k` of the unscaled shape.
    pub(super) fn coefficient(self, k: u32) -> f64 {
        let kf = f64::from(k);
        let odd = k % 2 == 1;
        match self {
            Series::Sine => f64::from(u8::from(k == 1)),
            Series::Saw => -2.0 / (PI * kf),
            Series::Square if odd => 4.0 / (PI * kf),
            Series::Triangle if odd => {
                let sign = if (k / 2) % 2 == 0 { 1.0 } else { -1.0 };
                sign * 8.0 / (PI * PI * kf * kf)
            }
            Series::Square | Series::Triangle => 0.0,
        }
    }
}

/// Unscaled cubic segments (f64) of one level, and the largest magnitude
/// the spline reaches anywhere.
pub(super) struct RawLevel {
    pub(super) max_harmonic: u32,
    pub(super) segments: Vec<[f64; 4]>,
    pub(super) peak: f64,
}

impl RawLevel {
    /// Rounds to `f32` after multiplying by `scale`, which must keep the
    /// level within ±1.
    pub(super) fn finish(&self, scale: f64) -> Level {
        debug_assert!(self.peak * scale <= 1.0 + 1e-9, "{}", self.peak * scale);
        let segments = self
            .segments
            .iter()
            .map(|c| c.map(|x| (x * scale) as f32))
            .collect::<Box<[_]>>();
        Level {
            max_harmonic: self.max_harmonic,
            index_shift: 32 - segments.len().trailing_zeros(),
            segments,
        }
    }
}

/// Builds the level holding harmonics `1..=max_harmonic` of `series`.
///
/// One inverse FFT gives both the values `f_i` and the slopes `f'_i` (per
/// segment) at the `n` knots: the real part carries the sine series of the
/// values, the imaginary part the cosine series of the slopes. Each segment
/// is then the cubic Hermite piece between its two knots, so the spline is
/// continuous with a continuous slope.
pub(super) fn build_level(
    series: Series,
    max_harmonic: u32,
    log2_n: u32,
    twiddles: &Twiddles,
) -> RawLevel {
    let n = 1usize << log2_n;
    assert!((max_harmonic as usize) < n / 2);
    let mut buf = vec![Complex::default(); n];
    for k in 1..=max_harmonic {
        let b = series.coefficient(k);
        let d = b * TAU * f64::from(k) / n as f64;
        let k = k as usize;
        buf[k].im = 0.5 * (d - b);
        buf[n - k].im = 0.5 * (b + d);
    }
    inverse_fft(&mut buf, twiddles);
    let mut peak = 0.0f64;
    let segments = (0..n)
        .map(|i| {
            let (a, b) = (buf[i], buf[(i + 1) % n]);
            let (p0, p1, m0, m1) = (a.re, b.re, a.im, b.im);
            let c = [
                p0,
                m0,
                3.0 * (p1 - p0) - 2.0 * m0 - m1,
                2.0 * (p0 - p1) + m0 + m1,
            ];
            peak = peak.max(cubic_peak(&c));
            c
        })
        .collect();
    RawLevel {
        max_harmonic,
        segments,
        peak,
    }
}

/// The largest `|c0 + c1 u + c2 u² + c3 u³|` for `u` in `[0, 1]`.
pub(super) fn cubic_peak(c: &[f64; 4]) -> f64 {
    let eval = |u: f64| c[0] + u * (c[1] + u * (c[2] + u * c[3]));
    let mut peak = eval(0.0).abs().max(eval(1.0).abs());
    // Stationary points: c1 + 2 c2 u + 3 c3 u² = 0.
    let (a, b, cc) = (3.0 * c[3], 2.0 * c[2], c[1]);
    let mut consider = |u: f64| {
        if (0.0..=1.0).contains(&u) {
            peak = peak.max(eval(u).abs());
        }
    };
    if a.abs() < 1e-300 {
        if b != 0.0 {
            consider(-cc / b);
        }
    } else {
        let disc = b * b - 4.0 * a * cc;
        if disc >= 0.0 {
            let s = disc.sqrt();
            consider((-b + s) / (2.0 * a));
            consider((-b - s) / (2.0 * a));
        }
    }
    peak
}
