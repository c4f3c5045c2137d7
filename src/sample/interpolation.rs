//! Interpolation kernels for reading a sample between its frames.

use std::sync::OnceLock;

/// How a sample is read between its recorded frames when it is played at
/// another pitch (set per sample with
/// [`SampleData::with_interpolation`](crate::SampleData::with_interpolation)).
///
/// Distortion is everything but the new fundamental, in 20 Hz–20 kHz,
/// relative to it, when a sine recorded at 44.1 kHz is replayed at 0.7×,
/// 1.5× and 1.9× speed (worst of the three; the crate's test
/// `sample::quality_tests` prints them). Cost is relative to `Linear`, per
/// output frame of one voice (release build, x86-64, the ignored test
/// `render_cost`; `Linear` took 15–26 ns per stereo frame there).
///
/// | variant | taps | cost | distortion, 1 kHz sine | 5 kHz sine |
/// | --- | --- | --- | --- | --- |
/// | `Linear` | 2 | 1 | −62 dB | −30 dB |
/// | `Cubic` | 4 | ≈ 1.4 | −89 dB | −46 dB |
/// | `Lagrange` | 6 | ≈ 2.7 (`Cubic` ≈ 1.9 in the same run) | −142 dB | −71 dB |
/// | `Sinc` (default) | 48 up to 1× speed, 48 × speed above (≤ 193) | ≈ 2.5 up to 1× speed, ≈ 10 at 1.9×, ≈ 20 from 4× | −102 dB | −101 dB |
///
/// ```
/// use polyphonica::SampleData;
/// use polyphonica::sample::Interpolation;
///
/// let sample = SampleData::from_mono(vec![0.0; 100], 44_100)?;
/// assert_eq!(sample.interpolation(), Interpolation::Sinc);
/// let cheap = sample.with_interpolation(Interpolation::Linear);
/// assert_eq!(cheap.interpolation(), Interpolation::Linear);
/// assert_eq!(Interpolation::default(), Interpolation::Sinc);
/// # Ok::<(), polyphonica::SampleError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Interpolation {
    /// Straight lines between frames: the cheapest, but the images it leaves
    /// are audible on pure tones (−62 dB at 1 kHz, −30 dB at 5 kHz), it dulls
    /// the top octave, and pitched up it aliases freely. For lo-fi sounds or
    /// very many voices.
    Linear,
    /// 4-point Catmull-Rom (3rd-order Hermite) spline: about 1.4 times the
    /// cost of `Linear`; clean on low tones (−89 dB at 1 kHz) but not on high
    /// ones (−46 dB at 5 kHz); aliases when pitched up. Good for drums and
    /// noisy or bass-heavy sounds.
    Cubic,
    /// 6-point, 5th-order Lagrange polynomial (taps −2 to 3): half as
    /// much again as `Cubic` costs, and far cleaner on tones well below the
    /// recording's Nyquist frequency: halfway between frames a tone at a
    /// tenth of the recording rate is off by −71 dB of itself, against
    /// `Cubic`'s −49 dB (at a twentieth, −107 against −73 dB); like
    /// `Cubic`, it aliases when pitched up. SoundFont
    /// zones play with it ([`BankOptions`](crate::soundfont::BankOptions)):
    /// cleaner than FluidSynth's default 4-point interpolation at every
    /// transposition measured, at a cost close to it.
    Lagrange,
    /// Kaiser-windowed sinc (β = 9), 48 taps, read from a table of 256
    /// phases with linear interpolation between phases. Flat within
    /// 0.001 dB to 18 kHz at a 44.1 kHz recording rate (−0.4 dB at 20 kHz);
    /// images of anything below 20 kHz at least 94 dB down. When the sample
    /// plays faster than its own rate (pitched up), the cutoff follows the
    /// speed (rounded so it is at most 1.6 % lower than ideal), so what would
    /// fold back above the output's Nyquist frequency is filtered out
    /// instead (a 15 kHz tone played at 1.9× comes out 100 dB down rather
    /// than as a 15.6 kHz alias); the taps, and the cost, grow with the
    /// speed. Above 4× the cutoff stops following and the cost stays at 193
    /// taps: only such extreme transpositions alias. The default.
    #[default]
    Sinc,
}

/// Half the taps of the sinc kernel at 1× (taps run from `1 - HALF` to
/// `HALF` around the read position).
const SINC_HALF: usize = 24;
/// Table phases per frame.
///
/// Under Miri the table has 32 phases: the same code builds and reads it,
/// but the interpreter would spend minutes building the full one.
const SINC_PHASES: usize = if cfg!(miri) { 32 } else { 256 };
/// Kaiser window shape: about −90 dB side lobes.
const SINC_BETA: f64 = 9.0;
/// Cutoff (-6 dB) in cycles per source frame at 1×. The transition band of
/// 48 taps with this window is about ±0.06 wide, so 0.486 puts its top at
/// 0.5465 (24.1 kHz at 44.1 kHz), where images of 20 kHz land, and its
/// bottom near 0.42 (18.5 kHz). `kernel_response` checks both edges.
const SINC_CUTOFF: f64 = 0.486;
/// Above this speed the sinc cutoff stops following it.
const SINC_MAX_SCALE: f64 = 4.0;
/// Most taps any kernel uses for one output frame.
pub(crate) const MAX_TAPS: usize = 2 * SINC_HALF * SINC_MAX_SCALE as usize + 2;

/// The sinc kernel sampled at `SINC_PHASES` phases per frame.
pub(crate) struct SincTable {
    /// `SINC_PHASES + 1` rows of `2 * SINC_HALF` taps; row `p`, tap `t` holds
    /// the kernel at `p / SINC_PHASES + SINC_HALF - 1 - t`, each row scaled
    /// to sum to 1.
    rows: Box<[f32]>,
    /// Row `p + 1` minus row `p`, for `p < SINC_PHASES`.
    deltas: Box<[f32]>,
    /// The prototype at `n / SINC_PHASES - SINC_HALF` and the difference to
    /// the next entry, for `n` in `0..=2 * SINC_HALF * SINC_PHASES`: the
    /// stretched kernel reads it.
    flat: Box<[[f32; 2]]>,
}

static SINC_TABLE: OnceLock<SincTable> = OnceLock::new();

/// Builds every table sample playback uses, if not built yet.
///
/// Building allocates (about 200 KB), so the engine calls this when it is
/// created, and every [`SampleData`](crate::SampleData) constructor calls it
/// too: playback on the audio thread then only reads the tables.
pub(crate) fn prepare() {
    sinc_table();
}

/// The shared sinc table (built on first use).
pub(crate) fn sinc_table() -> &'static SincTable {
    SINC_TABLE.get_or_init(SincTable::build)
}

/// Modified Bessel function of the first kind, order 0.
fn bessel_i0(x: f64) -> f64 {
    let q = x * x / 4.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    while term > sum * 1e-17 {
        term *= q / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

/// The windowed-sinc prototype at `v` frames from its centre.
fn sinc_prototype(v: f64) -> f64 {
    let half = SINC_HALF as f64;
    if v.abs() >= half {
        return 0.0;
    }
    let x = 2.0 * SINC_CUTOFF * v;
    let sinc = if x == 0.0 {
        1.0
    } else {
        (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
    };
    let r = v / half;
    let window = bessel_i0(SINC_BETA * (1.0 - r * r).sqrt()) / bessel_i0(SINC_BETA);
    2.0 * SINC_CUTOFF * sinc * window
}

impl SincTable {
    const WIDTH: usize = 2 * SINC_HALF;

    fn build() -> SincTable {
        let mut rows = vec![0.0f32; (SINC_PHASES + 1) * Self::WIDTH];
        for (p, row) in rows.chunks_exact_mut(Self::WIDTH).enumerate() {
            let offset = p as f64 / SINC_PHASES as f64 + SINC_HALF as f64 - 1.0;
            let taps: Vec<f64> = (0..Self::WIDTH)
                .map(|t| sinc_prototype(offset - t as f64))
                .collect();
            let sum: f64 = taps.iter().sum();
            for (out, tap) in row.iter_mut().zip(&taps) {
                *out = (tap / sum) as f32;
            }
        }
        let deltas = (0..SINC_PHASES * Self::WIDTH)
            .map(|i| rows[i + Self::WIDTH] - rows[i])
            .collect();
        let at = |n: usize| sinc_prototype(n as f64 / SINC_PHASES as f64 - SINC_HALF as f64);
        let flat = (0..=Self::WIDTH * SINC_PHASES)
            .map(|n| [at(n) as f32, (at(n + 1) - at(n)) as f32])
            .collect();
        SincTable {
            rows: rows.into_boxed_slice(),
            deltas,
            flat,
        }
    }

    /// The row index and the weight of the next row for fraction `frac` in
    /// `0.0..1.0`.
    #[inline]
    fn phase(frac: f64) -> (usize, f32) {
        let pf = frac * SINC_PHASES as f64;
        let p = (pf as usize).min(SINC_PHASES - 1);
        (p * Self::WIDTH, (pf - p as f64) as f32)
    }

    /// The prototype at `v` in `-SINC_HALF..SINC_HALF` frames, from the
    /// table (for the tests).
    #[cfg(test)]
    fn at(&self, v: f64) -> f32 {
        let m = v.floor();
        let t = SINC_HALF as isize - 1 - m as isize;
        if !(0..Self::WIDTH as isize).contains(&t) {
            return 0.0;
        }
        let t = t as usize;
        let (row, a) = Self::phase(v - m);
        self.rows[row + t] + a * self.deltas[row + t]
    }
}

/// Weights of the taps around a read position, for one output frame.
pub(crate) trait Kernel {
    /// Writes the weights of taps `first..first + len` (relative to the frame
    /// at or before the read position, which is `frac` in `0.0..1.0` past
    /// it) into `w[..len]` and returns `(first, len)`.
    fn weights(&self, frac: f64, w: &mut [f32; MAX_TAPS]) -> (isize, usize);

    /// The span of taps `weights` may return, for any `frac`: every tap
    /// `first..first + len` lies in `reach().0..reach().1`.
    fn reach(&self) -> (isize, isize);

    /// How many taps a short kernel has (2, 4 or 6; at most
    /// [`SHORT_TAPS`]), 0 for the long ones. A short kernel's runs compute
    /// many frames' weights at once with [`lane_weights`](Self::lane_weights).
    const SHORT_TAPS: usize = 0;

    /// A short kernel's weights at `frac` (the first `SHORT_TAPS`, the rest
    /// zero): the numbers [`weights`](Self::weights) gives for `frac`
    /// exactly.
    fn lane_weights(_frac: f32) -> [f32; SHORT_TAPS] {
        [0.0; SHORT_TAPS]
    }

    /// Whether the kernel has enough taps to gain from eight-lane (AVX2)
    /// arithmetic: the sinc kernels (about 30 % faster), not the two- and
    /// four-tap ones (a few percent slower).
    fn long(&self) -> bool {
        false
    }
}

/// The most taps a short kernel has (the 6-point Lagrange one).
pub(crate) const SHORT_TAPS: usize = 6;

/// Straight-line interpolation.
pub(crate) struct LinearKernel;

impl Kernel for LinearKernel {
    const SHORT_TAPS: usize = 2;

    #[inline(always)]
    fn lane_weights(f: f32) -> [f32; SHORT_TAPS] {
        [1.0 - f, f, 0.0, 0.0, 0.0, 0.0]
    }

    #[inline(always)]
    fn weights(&self, frac: f64, w: &mut [f32; MAX_TAPS]) -> (isize, usize) {
        w[..2].copy_from_slice(&Self::lane_weights(frac as f32)[..2]);
        (0, 2)
    }

    fn reach(&self) -> (isize, isize) {
        (0, 2)
    }
}

/// Catmull-Rom spline.
pub(crate) struct CubicKernel;

/// The Catmull-Rom weights of the taps at −1, 0, 1 and 2 for a read
/// position `frac` past tap 0.
#[inline(always)]
fn catmull_rom(f: f32) -> [f32; 4] {
    let f2 = f * f;
    let f3 = f2 * f;
    [
        0.5 * (-f3 + 2.0 * f2 - f),
        0.5 * (3.0 * f3 - 5.0 * f2 + 2.0),
        0.5 * (-3.0 * f3 + 4.0 * f2 + f),
        0.5 * (f3 - f2),
    ]
}

impl Kernel for CubicKernel {
    const SHORT_TAPS: usize = 4;

    #[inline(always)]
    fn lane_weights(f: f32) -> [f32; SHORT_TAPS] {
        let [a, b, c, d] = catmull_rom(f);
        [a, b, c, d, 0.0, 0.0]
    }

    #[inline(always)]
    fn weights(&self, frac: f64, w: &mut [f32; MAX_TAPS]) -> (isize, usize) {
        w[..4].copy_from_slice(&catmull_rom(frac as f32));
        (-1, 4)
    }

    fn reach(&self) -> (isize, isize) {
        (-1, 3)
    }
}

/// 6-point Lagrange interpolation.
pub(crate) struct LagrangeKernel;

/// The Lagrange weights of the taps at −2 … 3 for a read position `frac`
/// past tap 0: each the product of `(frac − j) / (k − j)` over the other
/// taps `j`, built from the products of the factors before and after it
/// (ten multiplications, no division), the denominators folded into
/// constants.
#[inline(always)]
fn lagrange6(x: f32) -> [f32; 6] {
    let (a, b, c, d, e, f) = (x + 2.0, x + 1.0, x, x - 1.0, x - 2.0, x - 3.0);
    // Products of the factors before tap k, and after it.
    let (ab, abc) = (a * b, a * b * c);
    let abcd = abc * d;
    let (ef, def) = (e * f, d * e * f);
    let cdef = c * def;
    [
        (-1.0 / 120.0) * b * cdef,
        (1.0 / 24.0) * a * cdef,
        (-1.0 / 12.0) * ab * def,
        (1.0 / 12.0) * abc * ef,
        (-1.0 / 24.0) * abcd * f,
        (1.0 / 120.0) * abcd * e,
    ]
}

impl Kernel for LagrangeKernel {
    const SHORT_TAPS: usize = 6;

    #[inline(always)]
    fn lane_weights(f: f32) -> [f32; SHORT_TAPS] {
        lagrange6(f)
    }

    #[inline(always)]
    fn weights(&self, frac: f64, w: &mut [f32; MAX_TAPS]) -> (isize, usize) {
        w[..6].copy_from_slice(&lagrange6(frac as f32));
        (-2, 6)
    }

    fn reach(&self) -> (isize, isize) {
        (-2, 4)
    }
}

/// The sinc kernel at its own cutoff (speed up to 1×).
pub(crate) struct SincKernel(pub(crate) &'static SincTable);

impl Kernel for SincKernel {
    fn long(&self) -> bool {
        true
    }

    #[inline(always)]
    fn weights(&self, frac: f64, w: &mut [f32; MAX_TAPS]) -> (isize, usize) {
        const WIDTH: usize = SincTable::WIDTH;
        let (row, a) = SincTable::phase(frac);
        let rows = &self.0.rows[row..row + WIDTH];
        let deltas = &self.0.deltas[row..row + WIDTH];
        for ((out, r), d) in w[..WIDTH].iter_mut().zip(rows).zip(deltas) {
            *out = r + a * d;
        }
        (1 - SINC_HALF as isize, WIDTH)
    }

    fn reach(&self) -> (isize, isize) {
        (1 - SINC_HALF as isize, 1 + SINC_HALF as isize)
    }
}

/// The sinc kernel stretched by about `scale` (in `1.0..=SINC_MAX_SCALE`):
/// cutoff divided by the scale, for playback faster than 1×.
///
/// The stretch is rounded up so that consecutive taps are a whole number of
/// table entries apart (`SINC_PHASES / stretch`, at least 64): then every tap
/// shares one interpolation weight between table entries, and the cutoff
/// is at most 1.6 % lower than `scale` asks.
pub(crate) struct ScaledSincKernel {
    table: &'static SincTable,
    /// Table entries between consecutive taps: `SINC_PHASES` over the
    /// stretch actually used.
    stride: usize,
}

impl ScaledSincKernel {
    pub(crate) fn new(table: &'static SincTable, scale: f64) -> Self {
        let scale = scale.clamp(1.0, SINC_MAX_SCALE);
        let stride = ((SINC_PHASES as f64 / scale) as usize).max(1);
        ScaledSincKernel { table, stride }
    }
}

impl Kernel for ScaledSincKernel {
    fn long(&self) -> bool {
        true
    }

    #[inline(always)]
    fn weights(&self, frac: f64, w: &mut [f32; MAX_TAPS]) -> (isize, usize) {
        // Tap j reads the prototype at (frac - j) / scale, table entry
        // (frac - j) * stride + SINC_HALF * SINC_PHASES: the fraction of an
        // entry, `frac * stride`, is the same for every tap.
        let pos = frac * self.stride as f64;
        let whole = pos as usize;
        let a = (pos - whole as f64) as f32;
        let centre = SINC_HALF * SINC_PHASES + whole;
        // The taps inside the table: j from -(2 * SINC_HALF * SINC_PHASES
        // - centre) / stride up to centre / stride.
        let before = (2 * SINC_HALF * SINC_PHASES - centre) / self.stride;
        let len = (before + centre / self.stride + 1).min(MAX_TAPS);
        let first = -(before as isize);
        let flat = &self.table.flat;
        // Tap `first + n` is entry centre - (first + n) * stride, so the taps
        // walk down the table from `top` in steps of `stride` (a plain
        // index: 16-20 % faster here than a stepped iterator).
        let top = centre + before * self.stride;
        let mut e = top;
        for out in w[..len].iter_mut() {
            let [h, d] = flat[e];
            *out = h + a * d;
            e = e.wrapping_sub(self.stride);
        }
        // Summed in eight lanes, so the loop vectorises.
        let mut sums = [0.0f32; 8];
        let mut chunks = w[..len].chunks_exact(8);
        for chunk in &mut chunks {
            for (s, x) in sums.iter_mut().zip(chunk) {
                *s += x;
            }
        }
        let tail: f32 = chunks.remainder().iter().sum();
        let sums = [
            sums[0] + sums[4] + tail,
            sums[1] + sums[5],
            sums[2] + sums[6],
            sums[3] + sums[7],
        ];
        // The stretched kernel sums to about `scale`: divide by the actual
        // sum, so a constant stays exactly constant.
        let sum = (sums[0] + sums[1]) + (sums[2] + sums[3]);
        let norm = if sum > 1e-3 { 1.0 / sum } else { 0.0 };
        for out in &mut w[..len] {
            *out *= norm;
        }
        (first, len)
    }

    fn reach(&self) -> (isize, isize) {
        // `before` is at most SINC_HALF * SINC_PHASES / stride (the centre
        // is at least SINC_HALF * SINC_PHASES) and the last tap, `centre /
        // stride`, at most one more than that.
        let half = (SINC_HALF * SINC_PHASES / self.stride) as isize;
        (-half, half + 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_sum_to_one_and_peak_at_zero() {
        let t = sinc_table();
        for p in [0, 1, 100, SINC_PHASES] {
            let row = &t.rows[p * SincTable::WIDTH..(p + 1) * SincTable::WIDTH];
            let sum: f32 = row.iter().sum();
            assert!((sum - 1.0).abs() < 1e-5, "row {p} sums to {sum}");
        }
        // Phase 0: the centre tap is nearly 1, its neighbours nearly 0
        // (the cutoff is a little below Nyquist).
        assert!(t.at(0.0) > 0.95);
        assert!(t.at(1.0).abs() < 0.05 && t.at(-1.0).abs() < 0.05);
        assert_eq!(t.at(SINC_HALF as f64), 0.0);
        assert_eq!(t.at(-(SINC_HALF as f64)), 0.0);
        // The table agrees with the prototype between phases.
        for v in [-3.3, -0.51, 0.123, 2.9, 17.77] {
            assert!((f64::from(t.at(v)) - sinc_prototype(v)).abs() < 1e-4, "{v}");
        }
    }

    #[test]
    fn kernels_sum_to_one() {
        fn check<K: Kernel>(k: &K) {
            let mut w = [0.0; MAX_TAPS];
            for frac in [0.0, 0.25, 0.5, 0.999] {
                let (first, len) = k.weights(frac, &mut w);
                // Roughly symmetric around the read position.
                assert!(first <= 0 && first + len as isize >= 1);
                assert!((first + len as isize / 2).abs() <= 2);
                let sum: f32 = w[..len].iter().sum();
                assert!((sum - 1.0).abs() < 1e-4, "sum {sum} at {frac}");
                // A short kernel's lane weights are the same numbers.
                if K::SHORT_TAPS > 0 {
                    assert_eq!(len, K::SHORT_TAPS);
                    let lanes = K::lane_weights(frac as f32);
                    assert_eq!(lanes[..len], w[..len]);
                    assert!(lanes[len..].iter().all(|x| *x == 0.0));
                }
            }
        }
        let t = sinc_table();
        check(&LinearKernel);
        check(&CubicKernel);
        check(&LagrangeKernel);
        check(&SincKernel(t));
        check(&ScaledSincKernel::new(t, 1.7));
        check(&ScaledSincKernel::new(t, 1000.0));
    }

    /// The interpolator's frequency response (the Fourier transform of the
    /// kernel as read from the table, in cycles per source frame): flat in
    /// the passband, and images of anything below 20 kHz at 44.1 kHz land
    /// where it is at least 90 dB down.
    #[test]
    fn kernel_response() {
        let t = sinc_table();
        // Sampled off the table's grid, so the phase interpolation counts.
        const DENSITY: f64 = 997.0;
        let points: Vec<(f64, f64)> = (-(SINC_HALF as i64 * 997)..=(SINC_HALF as i64 * 997))
            .map(|n| {
                let v = n as f64 / DENSITY;
                (v, f64::from(t.at(v)))
            })
            .collect();
        let response = |f: f64| -> f64 {
            let h: f64 = points
                .iter()
                .map(|(v, h)| h * (std::f64::consts::TAU * f * v).cos())
                .sum();
            h / DENSITY
        };
        let db = |f: f64| 20.0 * response(f).abs().log10();
        let pass = (0..=40)
            .map(|k| db(k as f64 * 0.408 / 40.0))
            .fold((0.0f64, 0.0f64), |(lo, hi), d| (lo.min(d), hi.max(d)));
        // Images of 20 kHz at 44.1 kHz: 24.1 kHz = 0.5465 cycles per frame.
        let stop = (0..=400)
            .map(|k| db(0.5465 + k as f64 * 0.01))
            .fold(f64::MIN, f64::max);
        println!(
            "passband (to 18 kHz at 44.1 kHz): {:.4}..{:.4} dB",
            pass.0, pass.1
        );
        println!("stop band (from 24.1 kHz): at most {stop:.1} dB");
        println!("at 20 kHz: {:.2} dB", db(20.0 / 44.1));
        assert!(pass.0 > -0.01 && pass.1 < 0.01, "{pass:?}");
        assert!(stop < -90.0, "{stop}");
    }

    #[test]
    fn bessel_matches_known_values() {
        assert!((bessel_i0(0.0) - 1.0).abs() < 1e-15);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_4).abs() < 1e-12);
        assert!((bessel_i0(9.0) - 1_093.588_354_511_374_6).abs() < 1e-8);
    }
}
