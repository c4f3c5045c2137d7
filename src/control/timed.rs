//! `Timed`: a controller's calls stamped with the frame they apply at.

use super::{At, ControlError, Controller};
use crate::{AdsrEnvelope, Event, Note, VoiceId, Waveform};

/// A controller's calls, stamped with a time: made by
/// [`Controller::at`]. Each call consumes it.
///
/// ```
/// use polyphonica::{AdsrEnvelope, At, RealtimeEngine, Waveform};
///
/// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
/// let id = control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
/// control.at(At::Frame(1_000)).set_voice_frequency(id, 880.0).unwrap();
/// let mut block = [0.0f32; 999];
/// audio.process_buffer(&mut block);
/// assert_eq!(audio.voice(id).unwrap().frequency_hz(), 440.0);
/// audio.process_buffer(&mut block[..2]); // frames 999 and 1000
/// assert_eq!(audio.voice(id).unwrap().frequency_hz(), 880.0);
/// ```
#[derive(Debug)]
pub struct Timed<'a> {
    controller: &'a mut Controller,
    at: At,
}

impl<'a> Timed<'a> {
    pub(super) fn new(controller: &'a mut Controller, at: At) -> Self {
        Timed { controller, at }
    }

    /// Starts a note at amplitude 1, centred, and returns its id at once.
    ///
    /// The id is allocated here, so it can be used right away: commands
    /// for it sent later by this controller reach the note even if they
    /// fall due before it starts (they wait for it and apply, in order,
    /// right after it starts). With every voice busy the note steals one,
    /// as [`RealtimeEngine::trigger_note`](crate::RealtimeEngine::trigger_note)
    /// does. Errors: [`InvalidNote`](ControlError::InvalidNote) for a note
    /// that cannot be played, [`InvalidTime`](ControlError::InvalidTime),
    /// [`QueueFull`](ControlError::QueueFull),
    /// [`ScheduleFull`](ControlError::ScheduleFull).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let id = control.at(At::Frame(100)).trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
    /// audio.process_buffer(&mut [0.0; 100]);
    /// assert!(audio.voice(id).is_none());
    /// audio.process_buffer(&mut [0.0; 1]);
    /// assert!(audio.voice(id).is_some());
    /// ```
    pub fn trigger_note(
        self,
        waveform: Waveform,
        frequency: f32,
        envelope: AdsrEnvelope,
    ) -> Result<VoiceId, ControlError> {
        self.trigger(Note::new(waveform, frequency, envelope))
    }

    /// Starts a [`Note`] (with its amplitude and pan); see
    /// [`trigger_note`](Self::trigger_note).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, Note, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let note = Note::new(Waveform::Sine, 440.0, AdsrEnvelope::default()).with_amplitude(0.2);
    /// let id = control.at(At::Secs(0.001)).trigger(note).unwrap();
    /// audio.process_buffer(&mut [0.0; 64]);
    /// assert_eq!(audio.voice(id).unwrap().amplitude(), 0.2);
    /// ```
    pub fn trigger(self, note: Note) -> Result<VoiceId, ControlError> {
        let shared = &self.controller.shared;
        let note = note
            .validated(shared.sample_rate)
            .ok_or(ControlError::InvalidNote)?;
        let frame = self.at.to_frame(shared.sample_rate as f64)?;
        self.controller.reserve(1, frame.is_some())?;
        let id = self.controller.shared.ids.take(1);
        self.controller.push(frame, Event::NoteOn { id, note });
        Ok(id)
    }

    /// Starts the release of a note. A stale id does nothing; an id whose
    /// trigger is still waiting for its frame is released right after it
    /// starts.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, EnvelopePhase, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let id = control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::new(0.0, 0.1, 0.7, 0.2)).unwrap();
    /// control.at(At::Frame(64)).release_note(id).unwrap();
    /// audio.process_buffer(&mut [0.0; 64]);
    /// assert_eq!(audio.voice(id).unwrap().envelope_phase(), EnvelopePhase::Decay);
    /// audio.process_buffer(&mut [0.0; 1]);
    /// assert_eq!(audio.voice(id).unwrap().envelope_phase(), EnvelopePhase::Release);
    /// ```
    pub fn release_note(self, id: VoiceId) -> Result<(), ControlError> {
        self.controller.send(self.at, Event::NoteOff { id })
    }

    /// Starts the release of every note sounding at that time (notes that
    /// start later are not affected).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0)).unwrap();
    /// control.at(At::Frame(32)).release_all_notes().unwrap();
    /// audio.process_buffer(&mut [0.0; 64]);
    /// assert_eq!(audio.get_active_voice_count(), 0);
    /// ```
    pub fn release_all_notes(self) -> Result<(), ControlError> {
        self.controller.send(self.at, Event::ReleaseAll)
    }

    /// Silences and frees every voice at that time.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
    /// control.at(At::Frame(10)).stop_all_notes().unwrap();
    /// let mut block = [0.0f32; 64];
    /// audio.process_buffer(&mut block);
    /// assert!(block[10..].iter().all(|s| *s == 0.0));
    /// ```
    pub fn stop_all_notes(self) -> Result<(), ControlError> {
        self.controller.send(self.at, Event::StopAll)
    }

    /// Sets the master volume (clamped to `0.0..=1.0`; NaN and infinities
    /// ignored; smoothed over about 10 ms from that frame).
    ///
    /// ```
    /// use polyphonica::{At, RealtimeEngine};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// control.at(At::Secs(0.01)).set_master_volume(0.5).unwrap();
    /// audio.process_buffer(&mut [0.0; 480]);
    /// assert_eq!(control.get_master_volume(), 1.0);
    /// audio.process_buffer(&mut [0.0; 1]);
    /// assert_eq!(control.get_master_volume(), 0.5);
    /// ```
    pub fn set_master_volume(self, volume: f32) -> Result<(), ControlError> {
        self.controller
            .send(self.at, Event::SetMasterVolume { volume })
    }

    /// Changes a note's frequency (clamped to `0..=`Nyquist; NaN, infinities
    /// and stale ids ignored), phase-continuous.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let id = control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
    /// control.at(At::Frame(5)).set_voice_frequency(id, 100.0).unwrap();
    /// audio.process_buffer(&mut [0.0; 8]);
    /// assert_eq!(audio.voice(id).unwrap().frequency_hz(), 100.0);
    /// ```
    pub fn set_voice_frequency(self, id: VoiceId, hz: f32) -> Result<(), ControlError> {
        self.controller.send(
            self.at,
            Event::SetFrequency {
                id,
                frequency_hz: hz,
            },
        )
    }

    /// Changes a note's amplitude (clamped to `0.0..=1.0`; NaN, infinities
    /// and stale ids ignored; smoothed over about 5 ms).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let id = control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
    /// control.at(At::Frame(5)).set_voice_amplitude(id, 0.1).unwrap();
    /// audio.process_buffer(&mut [0.0; 8]);
    /// assert_eq!(audio.voice(id).unwrap().amplitude(), 0.1);
    /// ```
    pub fn set_voice_amplitude(self, id: VoiceId, amplitude: f32) -> Result<(), ControlError> {
        self.controller
            .send(self.at, Event::SetAmplitude { id, amplitude })
    }

    /// Moves a note in the stereo field (-1 left to 1 right, clamped; NaN,
    /// infinities and stale ids ignored; smoothed).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let id = control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
    /// control.at(At::Frame(5)).set_voice_pan(id, 0.75).unwrap();
    /// audio.process_stereo_buffer(&mut [0.0; 16]);
    /// assert_eq!(audio.voice(id).unwrap().pan(), 0.75);
    /// ```
    pub fn set_voice_pan(self, id: VoiceId, pan: f32) -> Result<(), ControlError> {
        self.controller.send(self.at, Event::SetPan { id, pan })
    }

    /// Changes a pulse note's duty cycle (clamped to `0.01..=0.99`; NaN and
    /// stale ids ignored).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let id = control.trigger_note(Waveform::Pulse { duty_cycle: 0.5 }, 440.0, AdsrEnvelope::default()).unwrap();
    /// control.at(At::Frame(5)).set_voice_duty_cycle(id, 0.1).unwrap();
    /// audio.process_buffer(&mut [0.0; 8]);
    /// assert_eq!(audio.voice(id).unwrap().duty_cycle(), 0.1);
    /// ```
    pub fn set_voice_duty_cycle(self, id: VoiceId, duty_cycle: f32) -> Result<(), ControlError> {
        self.controller
            .send(self.at, Event::SetDutyCycle { id, duty_cycle })
    }

    /// Queues any [`Event`], as drivers built on the controller do. An
    /// `Event::NoteOn` must carry an id from
    /// [`next_voice_id`](Self::next_voice_id) that was not used before, and
    /// a note that can be played
    /// ([`InvalidNote`](ControlError::InvalidNote) otherwise).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, Event, Note, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let id = control.at(At::Now).next_voice_id();
    /// let note = Note::new(Waveform::Sine, 440.0, AdsrEnvelope::default());
    /// control.at(At::Frame(3)).event(Event::NoteOn { id, note }).unwrap();
    /// audio.process_buffer(&mut [0.0; 4]);
    /// assert!(audio.voice(id).is_some());
    /// ```
    pub fn event(self, event: Event) -> Result<(), ControlError> {
        let event = match event {
            Event::NoteOn { id, note } => Event::NoteOn {
                id,
                note: note
                    .validated(self.controller.shared.sample_rate)
                    .ok_or(ControlError::InvalidNote)?,
            },
            other => other,
        };
        self.controller.send(self.at, event)
    }

    /// Reserves a fresh id for an `Event::NoteOn` sent with
    /// [`event`](Self::event). (The time plays no part.)
    ///
    /// ```
    /// use polyphonica::{At, RealtimeEngine};
    /// let (_audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let a = control.at(At::Now).next_voice_id();
    /// let b = control.at(At::Now).next_voice_id();
    /// assert!(b > a);
    /// ```
    pub fn next_voice_id(self) -> VoiceId {
        self.controller.shared.ids.take(1)
    }
}
