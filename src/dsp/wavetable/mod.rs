//! Band-limited periodic oscillators from mip-mapped wavetables.
//!
//! Interface used by the engine: a voice keeps a `u32` phase (2^32 = one
//! cycle) and asks for a block of one shape at a constant phase increment.
//!
//! # Method
//!
//! Every shape is stored as a set of *levels*, each holding harmonics
//! `1..=K` of the shape's Fourier series: every K from 1 to 11, then four
//! per octave (×2^(1/4), rounded down) up to 1024, 39 levels per shape. A
//! block plays the richest level whose top harmonic stays at or below
//! Nyquist (`K * increment <= 2^31`), so nothing aliases, and a tone keeps
//! every harmonic below `Nyquist / 2^(1/4)` (18.5 kHz at 44.1 kHz, 20.2 kHz
//! at 48 kHz); notes under `Nyquist / 1024` keep their first 1024. Above
//! Nyquist the 1-harmonic level (a pure sine) plays. Levels switch between
//! blocks without a crossfade; the switch adds or removes harmonics just
//! below Nyquist, and the tests check that it never makes a step larger
//! than the waveform's own.
//!
//! A level is a periodic cubic spline over one cycle: 128..8192 segments
//! (more for more harmonics), each stored as the four `f32` coefficients of
//! its cubic, so a sample costs one 16-byte load, three multiplies and
//! three adds; four frames at a time run in SIMD lanes. The cubics are
//! Hermite pieces with the exact values and slopes of the band-limited
//! waveform at their ends, computed from the Fourier series by one inverse
//! FFT per level (about 10 ms for all tables in release builds; 3.0 MiB).
//! Their error shows up as images of the harmonics that fall off like
//! `(k/n)^4`; table sizes keep them more than 105 dB below the tone (the
//! tests print the figures).
//!
//! # Conventions and output level
//!
//! With `x` the phase in cycles (`phase / 2^32`), before scaling:
//! - Sine: `sin(2πx)`.
//! - Saw: `2x - 1`, rising from -1 just after `x = 0` to +1 just before
//!   `x = 1`, zero crossing at `x = ½`; the band-limited jump is centred on
//!   the cycle boundary (value 0 at `x = 0`).
//! - Square: +1 for `x < ½`, -1 after (rising edge centred on `x = 0`).
//! - Triangle: sine phase: 0 at `x = 0`, +1 at `x = ¼`, -1 at `x = ¾`.
//! - Pulse of duty `d`: high for `x < d`, low after, **DC-free**: the levels
//!   are `2(1 - d)` and `-2d` (mean 0), i.e. the ±1 pulse minus `2d - 1`.
//!   Duty ½ is the square, exactly.
//!
//! Each shape is multiplied by one factor, the same for every level, so
//! that no level exceeds 1.0 (band-limited edges overshoot: Gibbs):
//! - Sine: 1 (amplitude exactly 1). Triangle: 1 (its band-limited forms
//!   stay below 1; the largest level peaks at 0.9996).
//! - Saw: [`SAW_SCALE`] `= 1 / ((2/π) Si(π)) ≈ 0.848191`. `(2/π) Si(π) ≈
//!   1.178980` is the Gibbs overshoot of the unit saw, which its partial
//!   sums approach but do not reach; the largest stored level peaks at
//!   1.178004 (0.99917 after scaling).
//! - Square and pulse: [`SQUARE_SCALE`] `= SAW_SCALE / 2 ≈ 0.424095`. The
//!   pulse is half the difference of two scaled saws `d` apart, so it stays
//!   within ±1 for any duty and level, though its high level `2(1 - d)`
//!   nears 2 for narrow pulses. The square shares the factor so that it
//!   equals the 50 % pulse; its RMS (0.424) is close to the saw's (0.490).

mod fft;
mod kernel;
mod tables;
#[cfg(test)]
mod tests;

use crate::dsp::mix::Sink;
#[cfg(test)]
use crate::dsp::mix::Write;
use std::sync::OnceLock;
use tables::{build_level, harmonic_counts, log2_segments, Level, Series, MAX_LOG2_SEGMENTS};

/// The Wilbraham-Gibbs overshoot `(2/π) Si(π)` of a unit saw's partial sums.
const GIBBS_PEAK: f64 = 1.178_979_744_472_167;

/// Scale of the saw: every level peaks at or below 1.0 (the tables apply
/// it; the tests check against it).
#[cfg(test)]
pub(crate) const SAW_SCALE: f32 = (1.0 / GIBBS_PEAK) as f32;

/// Scale of the square and of the (DC-free) pulse: half the saw's, since a
/// pulse is the difference of two scaled saws, halved.
#[cfg(test)]
pub(crate) const SQUARE_SCALE: f32 = (0.5 / GIBBS_PEAK) as f32;

/// The periodic shapes an oscillator can render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Pure sine, amplitude 1, starting at 0 and rising.
    Sine,
    /// Ramp rising from -1 (phase 0) to +1 (phase → 1), through 0 at ½.
    Saw,
    /// +1 for the first half cycle, -1 for the second.
    Square,
    /// 0 at phase 0, +1 at ¼, -1 at ¾ (in phase with the sine).
    Triangle,
}

/// One shape's levels, ascending in harmonic count.
#[derive(Debug)]
struct ShapeLevels {
    levels: Box<[Level]>,
}

impl ShapeLevels {
    fn build(series: Series, scale: f64, twiddles: &fft::Twiddles) -> Self {
        let levels = harmonic_counts()
            .into_iter()
            .map(|k| build_level(series, k, log2_segments(series, k), twiddles).finish(scale))
            .collect();
        Self { levels }
    }

    /// The richest level with no partial above Nyquist at `increment`
    /// (the 1-harmonic level when even that one is above it).
    fn for_increment(&self, increment: u32) -> &Level {
        let limit = match increment {
            0 => u64::MAX,
            inc => (1u64 << 31) / u64::from(inc),
        };
        let above = self
            .levels
            .partition_point(|l| u64::from(l.max_harmonic) <= limit);
        &self.levels[above.saturating_sub(1)]
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.levels
            .iter()
            .map(|l| std::mem::size_of_val(&*l.segments))
            .sum()
    }
}

/// The shared oscillator tables (built once, on first use).
#[derive(Debug)]
pub(crate) struct Wavetables {
    sine: ShapeLevels,
    saw: ShapeLevels,
    square: ShapeLevels,
    triangle: ShapeLevels,
    /// Which render loop this CPU runs (decided once, when the tables are
    /// built).
    simd: Simd,
}

/// The render loops a CPU can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Simd {
    /// Plain Rust (SSE2 on x86-64).
    Portable,
    /// Eight lanes in AVX2 registers.
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Simd {
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Simd::Avx2;
        }
        Simd::Portable
    }
}

static TABLES: OnceLock<Wavetables> = OnceLock::new();

/// The process-wide tables; the first call builds them (and allocates), so
/// engines call it when they are created, never first on the audio thread.
pub(crate) fn wavetables() -> &'static Wavetables {
    TABLES.get_or_init(Wavetables::build)
}

/// The `u32` phase increment per frame for `frequency_hz` at
/// `sample_rate_hz` (2^32 = one cycle per frame), clamped to
/// `0..=0.5` cycles per frame (0 for NaN).
pub(crate) fn phase_increment(frequency_hz: f64, sample_rate_hz: f64) -> u32 {
    let cycles = (frequency_hz / sample_rate_hz).clamp(0.0, 0.5);
    // A NaN casts to 0.
    (cycles * 4_294_967_296.0).round() as u32
}

/// A level's table, ready for lookups: what a voice plays for a shape at
/// an increment (see [`Wavetables::level`]).
#[derive(Clone, Copy)]
pub(crate) struct Spline<'a> {
    segments: &'a [[f32; 4]],
    /// `segments.len() - 1` (the length is a power of two).
    mask: usize,
    /// `32 - log2(segments.len())`.
    shift: u32,
}

impl std::fmt::Debug for Spline<'_> {
    /// The table's size, not its thousands of coefficients.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spline")
            .field("segments", &self.segments.len())
            .finish()
    }
}

impl<'a> Spline<'a> {
    fn new(level: &'a Level) -> Self {
        let segments = &*level.segments;
        debug_assert_eq!(segments.len(), 1 << (32 - level.index_shift));
        // Never fails (levels have at least 128 segments); it and the mask
        // let the compiler drop the bounds checks, since the index
        // `phase >> shift` is below the length anyway.
        assert!(!segments.is_empty());
        Self {
            segments,
            mask: segments.len() - 1,
            shift: level.index_shift,
        }
    }

    /// The spline at `phase`: the segment from the top bits, the bits below
    /// them as a 24-bit fraction `u` (exact in `f32`), then Horner.
    #[inline(always)]
    fn at(self, phase: u32) -> f32 {
        let c = self.segments[(phase >> self.shift) as usize & self.mask];
        let u = ((phase << (32 - self.shift)) >> 8) as i32 as f32 * (1.0 / 16_777_216.0);
        c[0] + u * (c[1] + u * (c[2] + u * c[3]))
    }

    /// The spline at four phases, written so that the compiler loads the
    /// four segments, transposes them and runs Horner on four lanes at
    /// once. Each lane does exactly the arithmetic of [`Spline::at`], so
    /// the results are bit-identical.
    #[inline(always)]
    fn at4(self, p: [u32; 4]) -> [f32; 4] {
        let c = [
            self.segments[(p[0] >> self.shift) as usize & self.mask],
            self.segments[(p[1] >> self.shift) as usize & self.mask],
            self.segments[(p[2] >> self.shift) as usize & self.mask],
            self.segments[(p[3] >> self.shift) as usize & self.mask],
        ];
        let mut y = [0.0; 4];
        for j in 0..4 {
            let u = ((p[j] << (32 - self.shift)) >> 8) as i32 as f32 * (1.0 / 16_777_216.0);
            y[j] = c[j][0] + u * (c[j][1] + u * (c[j][2] + u * c[j][3]));
        }
        y
    }
}

impl Wavetables {
    fn build() -> Self {
        let twiddles = fft::Twiddles::new(1 << MAX_LOG2_SEGMENTS);
        let sine = build_level(Series::Sine, 1, log2_segments(Series::Sine, 1), &twiddles);
        Self {
            sine: ShapeLevels {
                levels: Box::new([sine.finish(1.0)]),
            },
            saw: ShapeLevels::build(Series::Saw, 1.0 / GIBBS_PEAK, &twiddles),
            square: ShapeLevels::build(Series::Square, 0.5 / GIBBS_PEAK, &twiddles),
            triangle: ShapeLevels::build(Series::Triangle, 1.0, &twiddles),
            simd: Simd::detect(),
        }
    }

    /// Bytes held by all tables.
    #[cfg(test)]
    pub(crate) fn table_bytes(&self) -> usize {
        self.sine.bytes() + self.saw.bytes() + self.square.bytes() + self.triangle.bytes()
    }

    /// The level `shape` plays at `increment`: the richest with no partial
    /// above Nyquist. A voice may keep it while its increment holds.
    pub(crate) fn level(&self, shape: Shape, increment: u32) -> Spline<'_> {
        let levels = match shape {
            Shape::Sine => &self.sine,
            Shape::Saw => &self.saw,
            Shape::Square => &self.square,
            Shape::Triangle => &self.triangle,
        };
        Spline::new(levels.for_increment(increment))
    }

    /// Renders `out.len()` frames of `shape`, advancing `phase` (u32,
    /// 2^32 = one cycle) by `increment` per frame. The level is chosen once
    /// for the block from `increment`; the output is within [-1, 1].
    #[cfg(test)]
    pub(crate) fn render(&self, shape: Shape, phase: &mut u32, increment: u32, out: &mut [f32]) {
        self.play(
            self.level(shape, increment),
            phase,
            increment,
            &mut Write(out),
        );
    }

    /// Plays `sink.len()` frames of `level` (from [`Wavetables::level`] at
    /// this `increment`) into `sink`, advancing `phase`.
    #[inline]
    pub(crate) fn play<S: Sink>(
        &self,
        level: Spline<'_>,
        phase: &mut u32,
        increment: u32,
        sink: &mut S,
    ) {
        match self.simd {
            // SAFETY: `Simd::Avx2` is only chosen when the CPU has AVX2.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { kernel::avx2::periodic(level, phase, increment, sink) },
            Simd::Portable => kernel::portable::periodic(level, phase, increment, sink),
        }
    }

    /// Renders a DC-free pulse, high for the first `duty` of each cycle:
    /// ideally `SQUARE_SCALE * 2(1 - duty)` there and `-SQUARE_SCALE * 2 duty`
    /// after, band-limited like the saw (duty 0.5 renders [`Shape::Square`]).
    /// `duty` is clamped to 0.01..=0.99 (NaN plays 0.5).
    ///
    /// The pulse is half the difference of two saws `duty` apart, so a new
    /// duty moves the falling edge and shifts both levels by the change in
    /// the mean, nothing else: changing it between calls does not click.
    #[cfg(test)]
    pub(crate) fn render_pulse(&self, phase: &mut u32, increment: u32, duty: f32, out: &mut [f32]) {
        let saw = self.level(Shape::Saw, increment);
        self.play_pulse(saw, phase, increment, duty, &mut Write(out));
    }

    /// Plays `sink.len()` frames of a pulse (see
    /// [`Wavetables::render_pulse`]) into `sink`; `saw` is [`Shape::Saw`]'s
    /// level at this `increment`.
    #[inline]
    pub(crate) fn play_pulse<S: Sink>(
        &self,
        saw: Spline<'_>,
        phase: &mut u32,
        increment: u32,
        duty: f32,
        sink: &mut S,
    ) {
        let duty = if duty.is_nan() {
            0.5
        } else {
            f64::from(duty).clamp(0.01, 0.99)
        };
        let offset = (duty * 4_294_967_296.0).round() as u32;
        if offset == 1 << 31 {
            let square = self.level(Shape::Square, increment);
            return self.play(square, phase, increment, sink);
        }
        match self.simd {
            // SAFETY: `Simd::Avx2` is only chosen when the CPU has AVX2.
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => unsafe { kernel::avx2::pulse(saw, phase, increment, offset, sink) },
            Simd::Portable => kernel::portable::pulse(saw, phase, increment, offset, sink),
        }
    }

    /// The same tables running the portable loop (for tests comparing the
    /// two).
    #[cfg(test)]
    pub(crate) fn portable(&'static self) -> PortableView {
        PortableView(self)
    }
}

/// [`Wavetables`] forced onto the portable render loop (tests only).
#[cfg(test)]
pub(crate) struct PortableView(&'static Wavetables);

#[cfg(test)]
impl PortableView {
    pub(crate) fn render(&self, shape: Shape, phase: &mut u32, increment: u32, out: &mut [f32]) {
        let level = self.0.level(shape, increment);
        kernel::portable::periodic(level, phase, increment, &mut Write(out));
    }

    pub(crate) fn render_pulse(&self, phase: &mut u32, increment: u32, duty: f32, out: &mut [f32]) {
        let offset = (f64::from(duty).clamp(0.01, 0.99) * 4_294_967_296.0).round() as u32;
        if offset == 1 << 31 {
            return self.render(Shape::Square, phase, increment, out);
        }
        let saw = self.0.level(Shape::Saw, increment);
        kernel::portable::pulse(saw, phase, increment, offset, &mut Write(out));
    }
}
