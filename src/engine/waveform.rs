//! `Waveform`: what a voice plays.

use crate::SampleData;

/// The sound source of a note.
///
/// The periodic shapes are band-limited (no aliasing into the audible band);
/// `Noise` is white noise; `Sample` plays recorded audio, pitch-shifted so
/// that the sample's base frequency (440 Hz by default) plays it at its own
/// pitch.
///
/// ```
/// use polyphonica::{SampleData, Waveform};
///
/// let lead = Waveform::Pulse { duty_cycle: 0.25 };
/// let kick = Waveform::Sample(SampleData::from_wav_file("tests/data/kick.wav")?);
/// assert!(matches!(lead, Waveform::Pulse { .. }));
/// assert!(matches!(kick, Waveform::Sample(_)));
/// # Ok::<(), polyphonica::SampleError>(())
/// ```
#[derive(Clone, Debug)]
pub enum Waveform {
    /// A pure sine, exactly at the asked frequency.
    Sine,
    /// A square wave: high for the first half of each cycle.
    Square,
    /// A sawtooth rising over each cycle.
    Sawtooth,
    /// A triangle wave.
    Triangle,
    /// A pulse wave high for `duty_cycle` of each cycle. The duty cycle is
    /// clamped to `0.01..=0.99`; NaN counts as 0.5.
    Pulse {
        /// Fraction of the cycle spent high.
        duty_cycle: f32,
    },
    /// White noise, uniform in `-1.0..1.0` (the frequency is ignored).
    /// Each note draws from its own generator (period 2^64 − 1), seeded by
    /// its voice id and the engine's
    /// [`noise_seed`](crate::RealtimeEngine::set_noise_seed): notes are
    /// independent, and the same seed and calls reproduce the same output.
    Noise,
    /// A recorded sample, shared, never copied.
    Sample(SampleData),
}

/// The narrowest and widest pulse a voice plays.
pub(crate) const DUTY_CYCLE_RANGE: (f32, f32) = (0.01, 0.99);

/// A duty cycle made playable: clamped to [`DUTY_CYCLE_RANGE`], NaN → 0.5.
pub(crate) fn clamp_duty_cycle(duty_cycle: f32) -> f32 {
    if duty_cycle.is_nan() {
        0.5
    } else {
        duty_cycle.clamp(DUTY_CYCLE_RANGE.0, DUTY_CYCLE_RANGE.1)
    }
}
