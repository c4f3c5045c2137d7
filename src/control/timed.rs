//! `Timed`: a controller's calls stamped with the frame they apply at.

use super::{At, ControlError, Controller};
use crate::{Event, EventTarget, Note, VoiceId};

/// A controller's calls, stamped with a time: made by
/// [`Controller::at`]. Its verbs are those of [`EventTarget`].
///
/// ```
/// use polyphonica::{AdsrEnvelope, At, EventTarget, RealtimeEngine, Waveform};
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
}

/// A timed controller queues each event for its frame. The id a trigger
/// returns can be used at once: commands for it sent later by the same
/// controller reach the note even if they fall due before it starts (they
/// wait for it and apply, in order, right after it starts).
///
/// ```
/// use polyphonica::{AdsrEnvelope, At, EventTarget, RealtimeEngine, Waveform};
/// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
/// let id = control.at(At::Frame(100)).trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
/// audio.process_buffer(&mut [0.0; 100]);
/// assert!(audio.voice(id).is_none());
/// audio.process_buffer(&mut [0.0; 1]);
/// assert!(audio.voice(id).is_some());
/// ```
impl EventTarget for Timed<'_> {
    type Error = ControlError;

    fn sample_rate(&self) -> f32 {
        self.controller.shared.sample_rate
    }

    fn next_voice_id(&mut self) -> VoiceId {
        self.controller.shared.ids.next_id()
    }

    fn send(&mut self, event: Event) -> Result<(), ControlError> {
        self.controller.queue(self.at, event)
    }

    /// As the provided method, but the room in the queue and the schedule
    /// is secured before the id is taken: a refused trigger uses no id.
    fn trigger(&mut self, note: Note) -> Result<VoiceId, ControlError> {
        let shared = &self.controller.shared;
        let note = note
            .validated(shared.sample_rate)
            .ok_or(ControlError::InvalidNote)?;
        let frame = self.at.to_frame(shared.sample_rate)?;
        self.controller.reserve(1, frame.is_some())?;
        let id = self.controller.shared.ids.next_id();
        self.controller.push(frame, Event::NoteOn { id, note });
        Ok(id)
    }
}
