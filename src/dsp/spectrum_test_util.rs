//! Test-only spectrum measurement shared by the DSP tests.
//!
//! The method is the one issue 3 prescribes for oscillator quality: window a
//! rendered signal with a 4-term Blackman-Harris window, take its power
//! spectrum, and compare the energy between the harmonics (inside
//! 20 Hz..20 kHz) with the energy on them.

use rustfft::{num_complex::Complex, FftPlanner};

/// Coefficients of the 4-term (minimum, -92 dB) Blackman-Harris window.
const BH4: [f64; 4] = [0.35875, 0.48829, 0.14128, 0.01168];

/// The periodic ("DFT-even") 4-term Blackman-Harris window of length `n`,
/// the form spectral analysis uses (as `scipy.signal.get_window`).
pub(crate) fn blackman_harris(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let x = std::f64::consts::TAU * i as f64 / n as f64;
            BH4[0] - BH4[1] * x.cos() + BH4[2] * (2.0 * x).cos() - BH4[3] * (3.0 * x).cos()
        })
        .collect()
}

/// Power spectrum (bins `0..=n/2`, bin width `sample_rate / n`) of
/// `signal` after the Blackman-Harris window.
pub(crate) fn power_spectrum(signal: &[f32]) -> Vec<f64> {
    let n = signal.len();
    let window = blackman_harris(n);
    let mut buf: Vec<Complex<f64>> = signal
        .iter()
        .zip(&window)
        .map(|(&s, &w)| Complex::new(f64::from(s) * w, 0.0))
        .collect();
    FftPlanner::new().plan_fft_forward(n).process(&mut buf);
    buf[..=n / 2].iter().map(|c| c.norm_sqr()).collect()
}

/// Off-harmonic energy relative to harmonic energy, in dB, of `signal`
/// (a periodic tone of fundamental `f0` Hz at `sample_rate` Hz).
///
/// Harmonic bins are those within 5 bins of `k * f0` for every `k >= 1`
/// with `k * f0` below Nyquist; the off energy sums the remaining bins whose
/// frequency lies in 20 Hz..=20 kHz.
pub(crate) fn off_harmonic_db(signal: &[f32], sample_rate: f64, f0: f64) -> f64 {
    let spectrum = power_spectrum(signal);
    let bin_hz = sample_rate / signal.len() as f64;
    let nyquist = sample_rate / 2.0;
    let mut harmonic = vec![false; spectrum.len()];
    let mut k = 1.0;
    while k * f0 < nyquist {
        let centre = k * f0 / bin_hz;
        let lo = (centre - 5.0).ceil().max(0.0) as usize;
        let hi = ((centre + 5.0).floor() as usize).min(spectrum.len() - 1);
        for flag in &mut harmonic[lo..=hi] {
            *flag = true;
        }
        k += 1.0;
    }
    let (mut on, mut off) = (0.0, 0.0);
    for (i, (&p, &h)) in spectrum.iter().zip(&harmonic).enumerate() {
        let hz = i as f64 * bin_hz;
        if h {
            on += p;
        } else if (20.0..=20_000.0).contains(&hz) {
            off += p;
        }
    }
    10.0 * (off.max(1e-300) / on).log10()
}

/// Frequency of the strongest spectral peak of `signal`, refined by
/// parabolic interpolation of the log power around the peak bin.
pub(crate) fn peak_frequency(signal: &[f32], sample_rate: f64) -> f64 {
    let spectrum = power_spectrum(signal);
    let bin_hz = sample_rate / signal.len() as f64;
    let (i, _) = spectrum
        .iter()
        .enumerate()
        .skip(1)
        .take(spectrum.len() - 2)
        .fold(
            (1, 0.0),
            |best, (i, &p)| if p > best.1 { (i, p) } else { best },
        );
    let (a, b, c) = (spectrum[i - 1].ln(), spectrum[i].ln(), spectrum[i + 1].ln());
    let offset = 0.5 * (a - c) / (a - 2.0 * b + c);
    (i as f64 + offset) * bin_hz
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::TAU;

    fn sine(f0: f64, frames: usize) -> Vec<f32> {
        (0..frames)
            .map(|i| (TAU * f0 * i as f64 / 44_100.0).sin() as f32)
            .collect()
    }

    #[test]
    fn pure_tone_on_a_bin_has_no_off_energy() {
        let db = off_harmonic_db(&sine(440.0, 44_100), 44_100.0, 440.0);
        assert!(db < -140.0, "{db}");
    }

    /// Between two bins the window's own leakage sets a floor near -87 dB:
    /// the reason the oscillator tests also compute the ideal signal's
    /// figure at 1244.5 Hz.
    #[test]
    fn half_bin_tone_shows_the_window_floor() {
        let db = off_harmonic_db(&sine(1244.5, 44_100), 44_100.0, 1244.5);
        assert!((-90.0..-84.0).contains(&db), "{db}");
    }

    #[test]
    fn off_energy_is_seen() {
        let mut s = sine(440.0, 44_100);
        let spur = sine(1000.0, 44_100);
        for (x, y) in s.iter_mut().zip(&spur) {
            *x += 0.001 * y;
        }
        let db = off_harmonic_db(&s, 44_100.0, 440.0);
        assert!((db + 60.0).abs() < 0.1, "{db}");
    }

    #[test]
    fn peak_frequency_interpolates() {
        let f = peak_frequency(&sine(1000.3, 44_100), 44_100.0);
        assert!((f - 1000.3).abs() < 0.01, "{f}");
    }
}
