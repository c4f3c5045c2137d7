//! `EventTarget`: anything that takes an [`Event`] at a time, with the
//! verbs (`release_note`, `fade_group`, …) written once on top of it.

use std::fmt;

use super::event::Event;
use super::note::Note;
use super::VoiceId;
use crate::dsp::envelope::secs_to_frames;
use crate::fx::{ChorusParams, DelayParams, ReverbParams, Sends};
use crate::{AdsrEnvelope, Waveform};

/// A note that cannot be played: its frequency is NaN, infinite or not above
/// zero, or its envelope has a non-finite field.
///
/// ```
/// use polyphonica::{AdsrEnvelope, EventTarget, Note, RealtimeEngine, Waveform};
/// use polyphonica::engine::InvalidNote;
/// let mut engine = RealtimeEngine::new(48_000.0);
/// let refused = EventTarget::trigger(&mut engine, Note::new(Waveform::Sine, -1.0, AdsrEnvelope::default()));
/// assert_eq!(refused, Err(InvalidNote));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InvalidNote;

impl fmt::Display for InvalidNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the note cannot be played (frequency not finite and positive, or envelope not finite)",
        )
    }
}

impl std::error::Error for InvalidNote {}

/// Something that takes an [`Event`] at a time: the direct engine applies it
/// now ([`RealtimeEngine`](crate::RealtimeEngine)), a
/// [`Controller`](crate::Controller) queues it for the audio side's next
/// block, a [`Timed`](crate::control::Timed) controller queues it for its frame.
///
/// Three methods make a target ([`sample_rate`](Self::sample_rate),
/// [`next_voice_id`](Self::next_voice_id) and [`send`](Self::send)); every verb is written once, here, on top of them.
/// Code written against the trait drives any of them: the MIDI layer
/// ([`MidiSynth`](crate::midi::MidiSynth)) does.
///
/// The verbs return `Result`: a controller can refuse a command (its queue
/// full, a bad time). The direct engine refuses only an unplayable note;
/// its other verbs always return `Ok`.
///
/// ```
/// use polyphonica::{AdsrEnvelope, At, EventTarget, RealtimeEngine, Waveform};
///
/// // One function, three targets.
/// fn swell<T: EventTarget>(target: &mut T) -> Result<(), T::Error> {
///     let id = target.trigger_note(Waveform::Sawtooth, 110.0, AdsrEnvelope::default())?;
///     target.ramp_voice_amplitude(id, 0.2, 0.5)?;
///     target.fade_group(0, 0.5, 1.0)
/// }
///
/// let mut engine = RealtimeEngine::new(48_000.0);
/// swell(&mut engine).unwrap();
/// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
/// swell(&mut control).unwrap();
/// swell(&mut control.at(At::Secs(1.0))).unwrap();
/// # audio.process_buffer(&mut [0.0; 64]);
/// ```
pub trait EventTarget {
    /// Why a call was refused: [`InvalidNote`] for the direct engine,
    /// [`ControlError`](crate::ControlError) for a controller.
    type Error: From<InvalidNote>;

    /// The sample rate in frames per second (turns seconds into frames).
    fn sample_rate(&self) -> f32;

    /// Reserves a fresh id for an [`Event::NoteOn`] sent later with
    /// [`send`](Self::send). Ids are never reused.
    fn next_voice_id(&mut self) -> VoiceId;

    /// Applies or queues one event. An [`Event::NoteOn`] must carry an id
    /// from [`next_voice_id`](Self::next_voice_id) not used before.
    ///
    /// # Errors
    /// [`InvalidNote`] for a `NoteOn` that cannot be played; a
    /// controller's errors when it cannot queue the event.
    fn send(&mut self, event: Event) -> Result<(), Self::Error>;

    /// Starts a [`Note`] (with its amplitude, pan and group) under a fresh
    /// id and returns the id at once (a controller's note may start later,
    /// and the id already controls it).
    ///
    /// # Errors
    /// [`InvalidNote`] for a note that cannot be played (nothing is sent);
    /// a controller's errors when it cannot queue the note.
    fn trigger(&mut self, note: Note) -> Result<VoiceId, Self::Error> {
        let note = note.validated(self.sample_rate()).ok_or(InvalidNote)?;
        let id = self.next_voice_id();
        self.send(Event::NoteOn { id, note })?;
        Ok(id)
    }

    /// Starts a note at amplitude 1, centred, in group 0.
    ///
    /// # Errors
    /// As [`trigger`](Self::trigger).
    fn trigger_note(
        &mut self,
        waveform: Waveform,
        frequency_hz: f32,
        envelope: AdsrEnvelope,
    ) -> Result<VoiceId, Self::Error> {
        self.trigger(Note::new(waveform, frequency_hz, envelope))
    }

    /// Starts the release of a note. A stale id does nothing.
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn release_note(&mut self, id: VoiceId) -> Result<(), Self::Error> {
        self.send(Event::NoteOff { id })
    }

    /// Starts the release of every note.
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn release_all_notes(&mut self) -> Result<(), Self::Error> {
        self.send(Event::ReleaseAll)
    }

    /// Silences and frees every voice.
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn stop_all_notes(&mut self) -> Result<(), Self::Error> {
        self.send(Event::StopAll)
    }

    /// Sets the master volume (clamped to `0.0..=1.0`, NaN ignored,
    /// smoothed over about 10 ms).
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_master_volume(&mut self, volume: f32) -> Result<(), Self::Error> {
        self.send(Event::SetMasterVolume { volume })
    }

    /// Changes a note's frequency, keeping its phase continuous (clamped to
    /// Nyquist; NaN and infinities ignored).
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_voice_frequency(&mut self, id: VoiceId, frequency_hz: f32) -> Result<(), Self::Error> {
        self.send(Event::SetFrequency { id, frequency_hz })
    }

    /// Sweeps a note's frequency linearly to `to_hz` over `over_secs`
    /// seconds (rounded to whole frames; 0 or less jumps at once), keeping
    /// its phase continuous. A NaN or infinite time is ignored (`Ok`,
    /// nothing sent), as for every verb that takes a time.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, EventTarget, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let id = control.trigger_note(Waveform::Sine, 220.0, AdsrEnvelope::default()).unwrap();
    /// control.sweep_voice_frequency(id, 440.0, 0.5).unwrap();
    /// audio.process_buffer(&mut [0.0; 64]);
    /// assert_eq!(audio.voice(id).unwrap().frequency_hz(), 440.0); // the target
    /// ```
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn sweep_voice_frequency(
        &mut self,
        id: VoiceId,
        to_hz: f32,
        over_secs: f32,
    ) -> Result<(), Self::Error> {
        let Some(over_frames) = frames_of(over_secs, self.sample_rate()) else {
            return Ok(());
        };
        self.send(Event::SweepFrequency {
            id,
            to_frequency_hz: to_hz,
            over_frames,
        })
    }

    /// Changes a note's amplitude (clamped to `0.0..=1.0`, NaN ignored,
    /// smoothed over about 5 ms).
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_voice_amplitude(&mut self, id: VoiceId, amplitude: f32) -> Result<(), Self::Error> {
        self.send(Event::SetAmplitude { id, amplitude })
    }

    /// Ramps a note's amplitude linearly to `to_amplitude` over `over_secs`
    /// seconds (a fade in or out of one note).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, EventTarget, RealtimeEngine, Waveform};
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// let id = engine.trigger_note(Waveform::Sine, 1_000.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0)).unwrap();
    /// engine.ramp_voice_amplitude(id, 0.0, 0.5).unwrap(); // 24,000 frames
    /// let mut out = vec![0.0f32; 24_000];
    /// engine.process_buffer(&mut out);
    /// let peak = |s: &[f32]| s.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    /// assert!(peak(&out[..480]) > 0.98);
    /// assert!((peak(&out[11_760..12_240]) - 0.5).abs() < 0.02); // half way
    /// assert!(peak(&out[23_520..]) < 0.02);
    /// ```
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn ramp_voice_amplitude(
        &mut self,
        id: VoiceId,
        to_amplitude: f32,
        over_secs: f32,
    ) -> Result<(), Self::Error> {
        let Some(over_frames) = frames_of(over_secs, self.sample_rate()) else {
            return Ok(());
        };
        self.send(Event::RampAmplitude {
            id,
            to_amplitude,
            over_frames,
        })
    }

    /// Moves a note in the stereo field: -1 left, 0 centre, 1 right
    /// (clamped, smoothed).
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_voice_pan(&mut self, id: VoiceId, pan: f32) -> Result<(), Self::Error> {
        self.send(Event::SetPan { id, pan })
    }

    /// Changes a pulse note's duty cycle (clamped to `0.01..=0.99`).
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_voice_duty_cycle(&mut self, id: VoiceId, duty_cycle: f32) -> Result<(), Self::Error> {
        self.send(Event::SetDutyCycle { id, duty_cycle })
    }

    /// Sets a group's volume (clamped to `0.0..=1.0`, smoothed over about
    /// 10 ms); every note of the group is multiplied by it.
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_group_volume(&mut self, group: u8, volume: f32) -> Result<(), Self::Error> {
        self.send(Event::SetGroupVolume { group, volume })
    }

    /// Fades a group's volume linearly to `to_volume` over `over_secs`
    /// seconds.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, EventTarget, Note, RealtimeEngine, Waveform};
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// let music = Note::new(Waveform::Sine, 1_000.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0)).with_group(1);
    /// engine.trigger(music).unwrap();
    /// engine.fade_group(1, 0.0, 1.0).unwrap();
    /// let mut out = vec![0.0f32; 48_000];
    /// engine.process_buffer(&mut out);
    /// let peak = |s: &[f32]| s.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    /// assert!(peak(&out[..480]) > 0.98);
    /// assert!(peak(&out[47_520..]) < 0.02);
    /// ```
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn fade_group(&mut self, group: u8, to_volume: f32, over_secs: f32) -> Result<(), Self::Error> {
        let Some(over_frames) = frames_of(over_secs, self.sample_rate()) else {
            return Ok(());
        };
        self.send(Event::FadeGroup {
            group,
            to_volume,
            over_frames,
        })
    }

    /// Starts the release of every note of a group.
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn release_group(&mut self, group: u8) -> Result<(), Self::Error> {
        self.send(Event::ReleaseGroup { group })
    }

    /// Sets a note's effect sends (each ramps over a block).
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_voice_sends(&mut self, id: VoiceId, sends: Sends) -> Result<(), Self::Error> {
        self.send(Event::SetSends { id, sends })
    }

    /// Sets a group's effect sends, added to each of its notes' own (the
    /// sum held to 1): a whole group can be made wetter at once.
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_group_sends(&mut self, group: u8, sends: Sends) -> Result<(), Self::Error> {
        self.send(Event::SetGroupSends { group, sends })
    }

    /// Changes the reverb (see [`ReverbParams`]).
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_reverb(&mut self, params: ReverbParams) -> Result<(), Self::Error> {
        self.send(Event::SetReverb { params })
    }

    /// Changes the chorus (see [`ChorusParams`]).
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_chorus(&mut self, params: ChorusParams) -> Result<(), Self::Error> {
        self.send(Event::SetChorus { params })
    }

    /// Changes the delay (see [`DelayParams`]); a new time glides there.
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_delay(&mut self, params: DelayParams) -> Result<(), Self::Error> {
        self.send(Event::SetDelay { params })
    }

    /// Sets controller `controller` (0–127) of `channel` (0–15) to `value`
    /// (0 to 1): a modulation source for the channel's patched notes
    /// (controller 1 is the mod wheel).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use polyphonica::patch::{ModSource, ModTarget, Patch};
    /// use polyphonica::{EventTarget, Note, RealtimeEngine, Waveform};
    ///
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// let patch = Arc::new(Patch::new(Waveform::Sine).with_modulation(ModSource::ModWheel, ModTarget::Amplitude, -1.0)?);
    /// engine.trigger(Note::from_patch(&patch, 440.0).with_channel(2)).unwrap();
    /// EventTarget::set_controller(&mut engine, 2, 1, 1.0).unwrap(); // wheel up: silent
    /// let mut out = [1.0f32; 256];
    /// engine.process_buffer(&mut out);
    /// assert!(out[64..].iter().all(|&s| s == 0.0));
    /// # Ok::<(), polyphonica::patch::PatchError>(())
    /// ```
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_controller(
        &mut self,
        channel: u8,
        controller: u8,
        value: f32,
    ) -> Result<(), Self::Error> {
        self.send(Event::SetController {
            channel,
            controller,
            value,
        })
    }

    /// Sets `channel`'s pressure (aftertouch), 0 to 1.
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_channel_pressure(&mut self, channel: u8, pressure: f32) -> Result<(), Self::Error> {
        self.send(Event::SetChannelPressure { channel, pressure })
    }

    /// Sets `channel`'s pitch bend, −1 to 1.
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_pitch_bend(&mut self, channel: u8, bend: f32) -> Result<(), Self::Error> {
        self.send(Event::SetPitchBend { channel, bend })
    }

    /// Sets one note's pressure (polyphonic aftertouch), 0 to 1.
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn set_poly_pressure(&mut self, id: VoiceId, pressure: f32) -> Result<(), Self::Error> {
        self.send(Event::SetPolyPressure { id, pressure })
    }

    /// Stops every note of a group: each fades out as a stolen note does
    /// (4 ms, to the end of the block it ends in).
    ///
    /// # Errors
    /// A controller's, when it cannot queue the command.
    fn stop_group(&mut self, group: u8) -> Result<(), Self::Error> {
        self.send(Event::StopGroup { group })
    }
}

/// `secs` as whole frames at `sample_rate` (negative times are 0); `None`
/// for NaN and infinities.
fn frames_of(secs: f32, sample_rate: f32) -> Option<u32> {
    secs.is_finite().then(|| secs_to_frames(secs, sample_rate))
}

/// `event` ready to apply at `sample_rate`: a `NoteOn`'s note validated and
/// clamped.
pub(crate) fn validated(event: Event, sample_rate: f32) -> Result<Event, InvalidNote> {
    Ok(match event {
        Event::NoteOn { id, note } => Event::NoteOn {
            id,
            note: note.validated(sample_rate).ok_or(InvalidNote)?,
        },
        other => other,
    })
}
