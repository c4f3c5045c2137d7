//! `SoundEvent`: one note of an offline render, with its sweep and its whole
//! envelope, and `render_event`.

use super::error::RenderError;
use super::timeline::{TimelineEvent, TimelineRenderer};
use crate::dsp::envelope::secs_to_frames;
use crate::{AdsrEnvelope, Note, Waveform};

/// One note rendered offline: a waveform sweeping linearly in frequency
/// from `start_frequency` to `end_frequency` over `duration_secs`, shaped by
/// `envelope`.
///
/// `duration_secs` is the whole event, release included: the note is
/// released `release_secs` before its end, so it ends in silence. A note
/// always sounds: it is held at least until its attack has ended (or for
/// half the event, if the attack is longer than that), and a release that
/// would start earlier is shortened to what is left of the event (a 0.2 s
/// event with the default 0.2 s release is held for its 0.01 s attack and
/// released over the other 0.19 s). When the event is shorter than its
/// attack, decay and release together, the release starts wherever the
/// attack or decay has got to and falls from that level (as in the
/// engine). A sustain level of 0 ends the note when its decay ends.
///
/// The pitch heard at time `t` into the event is
/// `start + (end - start)·t/duration_secs` (for a sample, the speed follows
/// the same line; noise ignores it).
///
/// ```
/// use polyphonica::{EventTarget, render_event, AdsrEnvelope, SoundEvent, Waveform};
///
/// let siren = SoundEvent {
///     waveform: Waveform::Triangle,
///     start_frequency: 300.0,
///     end_frequency: 900.0,
///     duration_secs: 1.0,
///     envelope: AdsrEnvelope::new(0.01, 0.1, 0.8, 0.3),
/// };
/// let samples = render_event(&siren, 44_100)?;
/// assert_eq!(samples.len(), 44_100);
/// assert!(samples[44_099].abs() < 1e-3); // released by the end
/// # Ok::<(), polyphonica::RenderError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SoundEvent {
    /// The sound source.
    pub waveform: Waveform,
    /// Frequency in Hz at the start.
    pub start_frequency: f32,
    /// Frequency in Hz at the end (equal to `start_frequency` for no sweep).
    pub end_frequency: f32,
    /// Length in seconds, release included.
    pub duration_secs: f32,
    /// The envelope; its release ends at the end of the event.
    pub envelope: AdsrEnvelope,
}

impl SoundEvent {
    /// A note at one frequency (no sweep).
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, SoundEvent, Waveform};
    /// let e = SoundEvent::new(Waveform::Sine, 440.0, 0.5, AdsrEnvelope::default());
    /// assert_eq!((e.start_frequency, e.end_frequency), (440.0, 440.0));
    /// ```
    pub fn new(
        waveform: Waveform,
        frequency: f32,
        duration_secs: f32,
        envelope: AdsrEnvelope,
    ) -> Self {
        SoundEvent {
            waveform,
            start_frequency: frequency,
            end_frequency: frequency,
            duration_secs,
            envelope,
        }
    }

    /// The same event sweeping to `end_frequency`.
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, SoundEvent, Waveform};
    /// let e = SoundEvent::new(Waveform::Sine, 440.0, 0.5, AdsrEnvelope::default()).sweeping_to(880.0);
    /// assert_eq!(e.end_frequency, 880.0);
    /// ```
    pub fn sweeping_to(mut self, end_frequency: f32) -> Self {
        self.end_frequency = end_frequency;
        self
    }

    /// Checks every field; `label` names the event in messages.
    pub(crate) fn check(&self, label: &str, sample_rate: u32) -> Result<(), RenderError> {
        check_frequency(
            &format!("{label}.start_frequency"),
            self.start_frequency,
            sample_rate,
        )?;
        check_frequency(
            &format!("{label}.end_frequency"),
            self.end_frequency,
            sample_rate,
        )?;
        check_duration(
            &format!("{label}.duration_secs"),
            self.duration_secs,
            sample_rate,
        )?;
        check_envelope(&format!("{label}.envelope"), &self.envelope)?;
        if let Waveform::Pulse { duty_cycle } = self.waveform {
            if !(duty_cycle > 0.0 && duty_cycle < 1.0) {
                let what = format!("{label}.waveform's duty_cycle");
                return Err(RenderError::invalid(
                    what,
                    duty_cycle,
                    "a fraction between 0 and 1",
                ));
            }
        }
        Ok(())
    }

    /// Frames in the event.
    pub(crate) fn frames(&self, sample_rate: u32) -> u32 {
        secs_to_frames(self.duration_secs, sample_rate as f32)
    }

    /// The note the engine plays and the frame, counted from the event's
    /// start, at which it is released: `release_secs` before the end, but
    /// never before the attack ends (or half the event, for a longer
    /// attack), the release then shortened to end with the event.
    pub(crate) fn to_note(&self, sample_rate: u32) -> (Note, u32) {
        let (envelope, release_at) = self
            .envelope
            .fitted(self.frames(sample_rate), sample_rate as f32);
        let note = Note::new(self.waveform.clone(), self.start_frequency, envelope);
        (note, release_at)
    }
}

/// Renders one event through the engine (one voice): a buffer of
/// `round(duration_secs × sample_rate)` mono samples.
///
/// Bad input (a frequency that is not finite, not above 0 or above half the
/// sample rate, a negative or non-finite duration or envelope time, a
/// sustain level outside `0..=1`, a sample rate of 0) is an error that names
/// the field.
///
/// ```
/// use polyphonica::{EventTarget, render_event, AdsrEnvelope, SoundEvent, Waveform};
///
/// let blip = SoundEvent::new(Waveform::Square, 880.0, 0.1, AdsrEnvelope::new(0.005, 0.02, 0.5, 0.05));
/// assert_eq!(render_event(&blip, 48_000)?.len(), 4_800);
///
/// let bad = SoundEvent::new(Waveform::Square, f32::NAN, 0.1, AdsrEnvelope::default());
/// let err = render_event(&bad, 48_000).unwrap_err();
/// assert!(err.to_string().starts_with("event.start_frequency is NaN"));
/// # Ok::<(), polyphonica::RenderError>(())
/// ```
pub fn render_event(event: &SoundEvent, sample_rate: u32) -> Result<Vec<f32>, RenderError> {
    check_sample_rate(sample_rate)?;
    event.check("event", sample_rate)?;
    let placed = [TimelineEvent::new(0.0, event.clone())];
    let mut renderer = TimelineRenderer::checked(&placed, event.duration_secs, sample_rate)?;
    renderer.render_all_mono()
}

/// The sample rate is 1 to [`MAX_SAMPLE_RATE`](crate::MAX_SAMPLE_RATE).
pub(crate) fn check_sample_rate(sample_rate: u32) -> Result<(), RenderError> {
    if sample_rate == 0 || sample_rate > crate::MAX_SAMPLE_RATE {
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
