//! Checks of offline-render input: each error names the bad value and
//! says what was expected.

use super::error::RenderError;
use crate::AdsrEnvelope;

/// The sample rate is 1 to [`MAX_SAMPLE_RATE`](crate::render::MAX_SAMPLE_RATE).
pub(crate) fn check_sample_rate(sample_rate: u32) -> Result<(), RenderError> {
    if sample_rate == 0 || sample_rate > crate::render::MAX_SAMPLE_RATE {
        return Err(RenderError::InvalidSampleRate { sample_rate });
    }
    Ok(())
}

/// A frequency is finite, above 0 and at most Nyquist.
pub(crate) fn check_frequency(what: &str, hz: f32, sample_rate: u32) -> Result<(), RenderError> {
    let nyquist = sample_rate as f32 / 2.0;
    if !(hz.is_finite() && hz > 0.0 && hz <= nyquist) {
        let expected =
            format!("a frequency above 0 Hz and at most {nyquist} Hz (half the sample rate)");
        return Err(RenderError::invalid(what, hz, expected));
    }
    Ok(())
}

/// A duration is finite, 0 or more, and shorter than 2^32 frames.
pub(crate) fn check_duration(what: &str, secs: f32, sample_rate: u32) -> Result<(), RenderError> {
    if !(secs.is_finite() && secs >= 0.0) {
        return Err(RenderError::invalid(
            what,
            secs,
            "a finite number of seconds, 0 or more",
        ));
    }
    let frames = f64::from(secs) * f64::from(sample_rate);
    if frames >= f64::from(u32::MAX) {
        let expected = format!(
            "less than {} seconds at this sample rate",
            f64::from(u32::MAX) / f64::from(sample_rate)
        );
        return Err(RenderError::invalid(what, secs, expected));
    }
    Ok(())
}

/// Times finite and 0 or more, sustain in `0..=1`.
pub(crate) fn check_envelope(what: &str, envelope: &AdsrEnvelope) -> Result<(), RenderError> {
    let times = [
        ("attack_secs", envelope.attack_secs),
        ("decay_secs", envelope.decay_secs),
        ("release_secs", envelope.release_secs),
    ];
    for (field, secs) in times {
        if !(secs.is_finite() && secs >= 0.0) {
            let expected = "a finite number of seconds, 0 or more";
            return Err(RenderError::invalid(
                format!("{what}.{field}"),
                secs,
                expected,
            ));
        }
    }
    let sustain = envelope.sustain_level;
    if !(0.0..=1.0).contains(&sustain) {
        return Err(RenderError::invalid(
            format!("{what}.sustain_level"),
            sustain,
            "a level from 0 to 1",
        ));
    }
    Ok(())
}
