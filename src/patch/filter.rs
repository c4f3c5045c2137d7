//! A patch's filter settings.

use super::finite_clamp;

/// Which filter a patch runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FilterMode {
    /// 12 dB/octave lowpass (state-variable).
    #[default]
    Lowpass,
    /// 12 dB/octave highpass (state-variable).
    Highpass,
    /// Bandpass around the cutoff, 0 dB at its peak (state-variable).
    Bandpass,
    /// Notch at the cutoff (state-variable).
    Notch,
    /// 24 dB/octave ladder lowpass, with drive.
    Ladder,
}

impl FilterMode {
    /// The mode a score names: `lowpass`, `highpass`, `bandpass`, `notch` or
    /// `ladder`.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "lowpass" => FilterMode::Lowpass,
            "highpass" => FilterMode::Highpass,
            "bandpass" => FilterMode::Bandpass,
            "notch" => FilterMode::Notch,
            "ladder" => FilterMode::Ladder,
            _ => return None,
        })
    }
}

/// A patch's filter.
///
/// `resonance` 0 is the flat Butterworth response (−3 dB at the cutoff in
/// the 12 dB modes); 1 rings (self-oscillates) at the cutoff. `drive`
/// (ladder only) gains the input 1× to 4× into a soft clipper whose
/// aliasing stays below −60 dB for fundamentals up to 3 kHz at full drive.
///
/// ```
/// use polyphonica::patch::{Filter, FilterMode};
/// let f = Filter::ladder(800.0, 0.5, 0.3);
/// assert_eq!(f.mode, FilterMode::Ladder);
/// assert_eq!(Filter::lowpass(-5.0, 2.0).resonance, 1.0); // clamped
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Filter {
    /// Which filter.
    pub mode: FilterMode,
    /// Cutoff in Hz (10 Hz to just below Nyquist where it runs).
    pub cutoff_hz: f32,
    /// 0 to 1.
    pub resonance: f32,
    /// 0 to 1 (the ladder only).
    pub drive: f32,
}

impl Filter {
    /// A filter of `mode` at `cutoff_hz` and `resonance`, no drive.
    pub fn new(mode: FilterMode, cutoff_hz: f32, resonance: f32) -> Self {
        Filter {
            mode,
            cutoff_hz,
            resonance,
            drive: 0.0,
        }
        .sanitized()
    }

    /// A 12 dB/octave lowpass.
    pub fn lowpass(cutoff_hz: f32, resonance: f32) -> Self {
        Filter::new(FilterMode::Lowpass, cutoff_hz, resonance)
    }

    /// A 24 dB/octave ladder lowpass with `drive`.
    pub fn ladder(cutoff_hz: f32, resonance: f32, drive: f32) -> Self {
        Filter {
            drive,
            ..Filter::new(FilterMode::Ladder, cutoff_hz, resonance)
        }
        .sanitized()
    }

    pub(crate) fn sanitized(mut self) -> Self {
        self.cutoff_hz = finite_clamp(self.cutoff_hz, 10.0, 100_000.0);
        if self.cutoff_hz.is_nan() {
            self.cutoff_hz = 10.0;
        }
        self.resonance = finite_clamp(self.resonance, 0.0, 1.0);
        self.drive = finite_clamp(self.drive, 0.0, 1.0);
        self
    }
}
