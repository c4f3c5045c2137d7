//! `generate_wave` and `apply_envelope`: the seed's two building blocks,
//! on the engine's oscillators and envelopes.

use super::check::{check_duration, check_frequency, check_sample_rate};
use super::error::RenderError;
use super::event::SoundEvent;
use super::timeline::render_event;
use crate::dsp::envelope::{secs_to_frames, EnvelopeState};
use crate::{AdsrEnvelope, Waveform};

/// The envelope of [`generate_wave`]: full level from the first frame to
/// the last, no attack, no release.
pub const FLAT_ENVELOPE: AdsrEnvelope = AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0);

/// `round(duration_secs × sample_rate)` samples of `waveform` at
/// `frequency`, at full level: rendered by the engine (one voice) with
/// [`FLAT_ENVELOPE`] (no attack, no release), so
/// `generate_wave(Waveform::Sine, 440.0, …)` is a pure sine of amplitude 1
/// starting at phase 0. A sample plays from its start, at `frequency`
/// relative to its base frequency, and is followed by silence if it ends
/// first. A duration of 0 gives an empty buffer.
///
/// Bad input is an error: a frequency that is NaN, infinite, not above 0 or
/// above half the sample rate; a duration that is negative or not finite; a
/// sample rate of 0.
///
/// ```
/// use polyphonica::{generate_wave, Waveform};
///
/// let sine = generate_wave(Waveform::Sine, 440.0, 1.0, 44_100)?;
/// assert_eq!(sine.len(), 44_100);
/// let peak = sine.iter().fold(0.0f32, |m, s| m.max(s.abs()));
/// assert!((peak - 1.0).abs() < 1e-3);
///
/// let err = generate_wave(Waveform::Sine, f32::NAN, 1.0, 44_100).unwrap_err();
/// assert!(err.to_string().starts_with("frequency is NaN; expected a frequency above 0 Hz"));
/// # Ok::<(), polyphonica::RenderError>(())
/// ```
pub fn generate_wave(
    waveform: Waveform,
    frequency: f32,
    duration_secs: f32,
    sample_rate: u32,
) -> Result<Vec<f32>, RenderError> {
    check_sample_rate(sample_rate)?;
    check_frequency("frequency", frequency, sample_rate)?;
    check_duration("duration_secs", duration_secs, sample_rate)?;
    if let Waveform::Pulse { duty_cycle } = waveform {
        if !(duty_cycle > 0.0 && duty_cycle < 1.0) {
            return Err(RenderError::invalid(
                "waveform's duty_cycle",
                duty_cycle,
                "a fraction between 0 and 1",
            ));
        }
    }
    render_event(
        &SoundEvent::new(waveform, frequency, duration_secs, FLAT_ENVELOPE),
        sample_rate,
    )
}

/// Multiplies `samples` by `envelope`, taking the buffer as one whole event
/// at `sample_rate`: the attack starts at the first sample and the release
/// ends at the last, so the buffer ends in silence.
///
/// It uses the engine's envelope, so `render_event` of a note equals
/// `generate_wave` of it followed by `apply_envelope`. The release starts
/// `release_secs` before the end, but never before the attack has ended
/// (nor, for an attack longer than that, before half the buffer), the
/// release then lasting the rest of the buffer, from whatever level the
/// attack or decay has reached. With a sample rate of 0 or an envelope
/// field that is NaN or infinite the samples are left unchanged (no level
/// can be computed); negative times count as 0 and the sustain level is
/// clamped to `0..=1`, as in the engine.
///
/// ```
/// use polyphonica::{apply_envelope, generate_wave, AdsrEnvelope, Waveform};
///
/// let mut tone = generate_wave(Waveform::Sine, 440.0, 1.0, 44_100)?;
/// apply_envelope(&mut tone, &AdsrEnvelope::new(0.1, 0.1, 0.5, 0.3), 44_100);
/// assert_eq!(tone[0], 0.0);
/// let peak = |s: &[f32]| s.iter().fold(0.0f32, |m, x| m.max(x.abs()));
/// assert!((peak(&tone[22_050..23_050]) - 0.5).abs() < 0.01); // sustain
/// assert!(peak(&tone[44_000..]) < 0.01); // released by the end
/// # Ok::<(), polyphonica::RenderError>(())
/// ```
pub fn apply_envelope(samples: &mut [f32], envelope: &AdsrEnvelope, sample_rate: u32) {
    let Some(envelope) = envelope.sanitized() else {
        return;
    };
    if sample_rate == 0 {
        return;
    }
    let rate = sample_rate as f32;
    let total = samples.len();
    let frames = u32::try_from(total).unwrap_or(u32::MAX);
    let release_at = crate::dsp::envelope::release_frame(
        frames,
        secs_to_frames(envelope.attack_secs, rate),
        secs_to_frames(envelope.release_secs, rate),
    ) as usize;
    let release = total - release_at.min(total);
    let mut state = EnvelopeState::new(&envelope, rate);
    let mut levels = [0.0f32; 256];
    let (held, released) = samples.split_at_mut(total - release);
    for chunk in held.chunks_mut(levels.len()) {
        let levels = &mut levels[..chunk.len()];
        state.render(levels);
        for (s, l) in chunk.iter_mut().zip(levels.iter()) {
            *s *= l;
        }
    }
    // The release falls from the level reached to 0 over exactly the
    // `release` frames left, as the envelope's own release segment does.
    let start = state.level();
    let slope = if release == 0 {
        0.0
    } else {
        -start / release as f32
    };
    for (i, s) in released.iter_mut().enumerate() {
        *s *= start + slope * i as f32;
    }
}
