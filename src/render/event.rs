//! `SoundEvent`: one note of an offline render, with its sweep and its whole
//! envelope, and `render_event`.

use super::check::{check_duration, check_envelope, check_frequency};
use super::error::RenderError;
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
/// use polyphonica::{render_event, AdsrEnvelope, SoundEvent, Waveform};
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
    /// use polyphonica::{AdsrEnvelope, SoundEvent, Waveform};
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
    /// use polyphonica::{AdsrEnvelope, SoundEvent, Waveform};
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
