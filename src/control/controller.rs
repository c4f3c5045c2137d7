//! `Controller`: the lock-free control side, usable from any thread.

use std::sync::Arc;

use rtrb::Producer;

use super::command::Command;
use super::shared::Shared;
use super::{At, ControlError, Phrase, Status, Tempo, Timed};
use crate::engine::validated;
use crate::{Event, EventTarget, Note, VoiceId};

/// The control side of a split engine: triggers, releases and changes
/// notes from any thread, without locking and without waiting for the audio
/// side.
///
/// Made by [`RealtimeEngine::split`](crate::RealtimeEngine::split) together
/// with its [`AudioEngine`](crate::AudioEngine). Each controller owns one
/// bounded lock-free queue to the audio side; [`try_clone`](Self::try_clone)
/// gives another thread its own. Every call returns at once:
/// [`trigger_note`](Self::trigger_note) hands out the note's [`VoiceId`]
/// immediately (the id can be released, or changed, before the note has even
/// started), and a call that cannot be queued returns a [`ControlError`]
/// instead of being dropped.
///
/// Every call can carry a time with [`at`](Self::at); the plain calls apply
/// at the start of the audio side's next block. Commands from one controller
/// are applied in the order sent (for one frame), so the commands for a note
/// keep their order when it is controlled from one controller. Commands from
/// different controllers are ordered by their times only: give both the same
/// explicit frame and they still apply in an unspecified order.
///
/// ```
/// use polyphonica::{EventTarget, AdsrEnvelope, At, RealtimeEngine, Waveform};
///
/// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
/// let envelope = AdsrEnvelope::new(0.0, 0.0, 1.0, 0.01);
///
/// // A note from another thread, released half a second (24,000 frames)
/// // after it starts at frame 480, all queued at once.
/// let mut other = control.try_clone().unwrap();
/// std::thread::spawn(move || {
///     let id = other.at(At::Frame(480)).trigger_note(Waveform::Sine, 440.0, envelope).unwrap();
///     other.at(At::Frame(480 + 24_000)).release_note(id).unwrap();
/// })
/// .join()
/// .unwrap();
///
/// let mut block = [0.0f32; 256];
/// audio.process_buffer(&mut block); // frames 0..256: still silent
/// assert!(block.iter().all(|s| *s == 0.0));
/// audio.process_buffer(&mut block); // the note starts at frame 480
/// assert!(block[..480 - 256].iter().all(|s| *s == 0.0));
/// assert!(block[480 - 256 + 1] != 0.0);
/// assert_eq!(control.get_active_voice_count(), 1);
/// ```
#[derive(Debug)]
pub struct Controller {
    pub(super) shared: Arc<Shared>,
    /// This controller's queue; `None` only while it is being dropped.
    lane: Option<Producer<Command>>,
}

impl Controller {
    pub(crate) fn new(shared: Arc<Shared>, lane: Producer<Command>) -> Self {
        Controller {
            shared,
            lane: Some(lane),
        }
    }

    /// Another controller of the same engine, with a queue of its own, for
    /// another thread. Fails with
    /// [`NoFreeController`](ControlError::NoFreeController) when all the
    /// split's queues are held ([`ControlConfig::controllers`](crate::control::ControlConfig::controllers));
    /// dropping a controller frees its queue. Takes a short controller-side
    /// lock (never shared with the audio side).
    ///
    /// ```
    /// use polyphonica::{ControlError, RealtimeEngine};
    /// use polyphonica::control::ControlConfig;
    ///
    /// let config = ControlConfig { controllers: 2, ..ControlConfig::default() };
    /// let (_audio, control) = RealtimeEngine::new(48_000.0).split_with(config);
    /// let second = control.try_clone().unwrap();
    /// assert_eq!(control.try_clone().err(), Some(ControlError::NoFreeController));
    /// drop(second);
    /// assert!(control.try_clone().is_ok());
    /// ```
    pub fn try_clone(&self) -> Result<Controller, ControlError> {
        let lane = self
            .shared
            .claim_lane()
            .ok_or(ControlError::NoFreeController)?;
        Ok(Controller::new(self.shared.clone(), lane))
    }

    /// The same calls, applied at `at` on the audio clock.
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, At, RealtimeEngine, Tempo, Waveform};
    ///
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let tempo = Tempo::new(120.0);
    /// let id = control.at(At::Beat(1.0, tempo)).trigger_note(Waveform::Square, 220.0, AdsrEnvelope::default()).unwrap();
    /// control.at(At::Beat(2.0, tempo)).release_note(id).unwrap();
    /// control.at(At::Secs(0.75)).set_voice_amplitude(id, 0.5).unwrap();
    ///
    /// let mut second = vec![0.0f32; 48_000];
    /// audio.process_buffer(&mut second);
    /// assert!(second[..24_000].iter().all(|s| *s == 0.0)); // beat 1 is at 0.5 s
    /// assert!(second[24_001..].iter().any(|s| *s != 0.0));
    /// ```
    pub fn at(&mut self, at: At) -> Timed<'_> {
        Timed::new(self, at)
    }

    /// Queues every note of `phrase`: each starts at `start_beat` plus its
    /// own start and lasts its length, release included (it is released
    /// its envelope's release time before its end, never before its attack
    /// has ended; a release that would run past the end is shortened). All or nothing: if the queue or the schedule
    /// has no room for the whole phrase (two commands per note), nothing is
    /// queued and the error says why; so a phrase never leaves a note
    /// without its release (a phrase of more than half
    /// [`ControlConfig::queue_capacity`](crate::control::ControlConfig::queue_capacity)
    /// notes never fits: split it). Returns the ids in the phrase's order.
    /// Allocates the returned `Vec`.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, Note, Phrase, RealtimeEngine, Tempo, Waveform};
    ///
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let pluck = |hz| Note::new(Waveform::Triangle, hz, AdsrEnvelope::new(0.005, 0.1, 0.5, 0.05));
    /// let phrase = Phrase::new()
    ///     .note(0.0, 0.5, pluck(261.63))
    ///     .note(0.5, 0.5, pluck(329.63))
    ///     .note(1.0, 1.0, pluck(392.0));
    /// // Two beats at 240 BPM = half a second, starting 0.1 s in.
    /// let tempo = Tempo::new(240.0).starting_at_frame(4_800);
    /// let ids = control.play_phrase(&phrase, tempo, 0.0).unwrap();
    /// assert_eq!(ids.len(), 3);
    ///
    /// let mut buffer = vec![0.0f32; 48_000];
    /// audio.process_buffer(&mut buffer);
    /// assert!(buffer[..4_800].iter().all(|s| *s == 0.0));
    /// assert!(buffer[4_801..30_000].iter().any(|s| s.abs() > 0.1));
    /// assert_eq!(audio.get_active_voice_count(), 0); // all released and faded
    /// ```
    pub fn play_phrase(
        &mut self,
        phrase: &Phrase,
        tempo: Tempo,
        start_beat: f64,
    ) -> Result<Vec<VoiceId>, ControlError> {
        let rate = self.shared.sample_rate;
        let mut placed = Vec::with_capacity(phrase.len());
        for n in phrase.notes() {
            let note = n
                .note
                .clone()
                .validated(self.shared.sample_rate)
                .ok_or(ControlError::InvalidNote)?;
            if !(n.length_beats.is_finite() && n.length_beats >= 0.0) {
                return Err(ControlError::InvalidTime);
            }
            let on = tempo.frame_at(start_beat + n.start_beat, rate)?;
            let end = tempo
                .frame_at(start_beat + n.start_beat + n.length_beats, rate)?
                .max(on);
            // The length includes the release, as in scores and timelines.
            let frames = u32::try_from(end - on).unwrap_or(u32::MAX);
            let (envelope, release_at) = note.envelope.fitted(frames, self.shared.sample_rate);
            let note = Note { envelope, ..note };
            placed.push((on, on + u64::from(release_at), note));
        }
        self.reserve(2 * placed.len(), true)?;
        let first = self.shared.ids.take(placed.len() as u64).raw();
        let mut ids = Vec::with_capacity(placed.len());
        for (i, (on, off, note)) in placed.into_iter().enumerate() {
            let id = VoiceId::from_raw(first + i as u64);
            self.push(Some(on), Event::NoteOn { id, note });
            self.push(Some(off), Event::NoteOff { id });
            ids.push(id);
        }
        Ok(ids)
    }

    /// The audio side's state after its last block, read as one consistent
    /// snapshot.
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::with_voices(48_000.0, 2).split();
    /// for hz in [220.0, 330.0, 440.0] {
    ///     control.trigger_note(Waveform::Sine, hz, AdsrEnvelope::default()).unwrap();
    /// }
    /// assert_eq!(control.status().pending_events, 3);
    /// audio.process_buffer(&mut [0.0; 480]);
    /// let status = control.status();
    /// assert_eq!(status.frame, 480);
    /// assert_eq!(status.active_voices, 2);
    /// assert_eq!(status.voices_stolen, 1);
    /// assert_eq!(status.pending_events, 0);
    /// assert!(status.load >= 0.0);
    /// ```
    pub fn status(&self) -> Status {
        let p = self.shared.status.read();
        Status {
            frame: p.frame,
            active_voices: p.active_voices as usize,
            voices_stolen: p.voices_stolen,
            load: p.load,
            master_volume: p.master_volume,
            pending_events: self.shared.pending(),
        }
    }

    /// The audio clock: how many frames the audio side has rendered, which
    /// is the frame its next block starts at.
    ///
    /// ```
    /// use polyphonica::RealtimeEngine;
    /// let (mut audio, control) = RealtimeEngine::new(48_000.0).split();
    /// audio.process_stereo_buffer(&mut [0.0; 2 * 300]);
    /// assert_eq!(control.now(), 300);
    /// ```
    pub fn now(&self) -> u64 {
        self.shared.status.read().frame
    }

    /// Voices playing notes after the audio side's last block.
    ///
    /// ```
    /// use polyphonica::RealtimeEngine;
    /// let (_audio, control) = RealtimeEngine::new(48_000.0).split();
    /// assert_eq!(control.get_active_voice_count(), 0);
    /// ```
    pub fn get_active_voice_count(&self) -> usize {
        self.status().active_voices
    }

    /// The master volume the audio side applied last (the target, not the
    /// smoothed level).
    ///
    /// ```
    /// use polyphonica::RealtimeEngine;
    /// let (_audio, control) = RealtimeEngine::new(48_000.0).split();
    /// assert_eq!(control.get_master_volume(), 1.0);
    /// ```
    pub fn get_master_volume(&self) -> f32 {
        self.status().master_volume
    }

    /// The engine's sample rate in frames per second.
    ///
    /// ```
    /// use polyphonica::RealtimeEngine;
    /// let (_audio, control) = RealtimeEngine::new(44_100.0).split();
    /// assert_eq!(control.sample_rate(), 44_100.0);
    /// ```
    pub fn sample_rate(&self) -> f32 {
        self.shared.sample_rate
    }

    /// How many notes can sound at once.
    ///
    /// ```
    /// use polyphonica::RealtimeEngine;
    /// let (_audio, control) = RealtimeEngine::with_voices(44_100.0, 6).split();
    /// assert_eq!(control.voice_capacity(), 6);
    /// ```
    pub fn voice_capacity(&self) -> usize {
        self.shared.voice_capacity
    }

    /// Frees the samples the audio side has let go of (it never frees
    /// memory itself; it sends them back). Every controller call does this
    /// too; call it when no other call comes for a while. Never waits: if
    /// another controller is collecting, it returns at once.
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, RealtimeEngine, SampleData, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let sample = SampleData::from_mono(vec![0.5; 64], 48_000).unwrap();
    /// control.trigger_note(Waveform::Sample(sample), 440.0, AdsrEnvelope::default()).unwrap();
    /// audio.process_buffer(&mut [0.0; 256]); // the sample ends: sent back
    /// control.collect_garbage(); // and freed here
    /// ```
    pub fn collect_garbage(&self) {
        self.shared.collect_garbage();
    }

    /// The id of a note that ended, oldest first, or `None` when no more
    /// have been reported: released notes whose release finished, stopped
    /// and stolen notes, samples that ran out. The audio side reports each
    /// id once, after the block in which it went stale, into a queue sized
    /// at the split (four times the voice count, at least 256; it never
    /// grows): game code can drop its ids as they come back instead of
    /// keeping them forever. Ids nobody takes wait in the engine, which
    /// keeps the newest when it must drop some. Controllers share the
    /// queue: each id goes to the one that takes it. Takes a short
    /// controller-side lock (never shared with the audio side).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, EventTarget, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let id = control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.001)).unwrap();
    /// control.release_note(id).unwrap();
    /// audio.process_buffer(&mut [0.0; 256]);
    /// assert_eq!(control.take_ended_note(), Some(id));
    /// assert_eq!(control.take_ended_note(), None);
    /// ```
    pub fn take_ended_note(&self) -> Option<VoiceId> {
        self.shared.take_ended_note()
    }

    /// Drops every event this controller sent for a frame
    /// ([`at`](Self::at) with `At::Frame`, `At::Secs` or `At::Beat`, and
    /// [`play_phrase`](Self::play_phrase)) that has not been applied yet,
    /// giving its room in the schedule back. Notes that have not started
    /// never start; scheduled releases and changes of notes already playing
    /// are dropped too (release those notes yourself, or call
    /// [`release_all_notes`](Self::release_all_notes)). Events sent for now
    /// and other controllers' events are not touched.
    ///
    /// It travels through the queue like any command, so it applies at the
    /// audio side's next block, after everything this controller sent
    /// before it. On the audio side it costs time linear in the events
    /// waiting (no allocation).
    ///
    /// # Errors
    /// [`ControlError::QueueFull`] if this controller's queue is full,
    /// [`ControlError::Disconnected`] if the audio side is gone.
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, At, RealtimeEngine, Waveform};
    ///
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// for i in 0..10 {
    ///     control.at(At::Secs(1e9 + i as f64)).trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
    /// }
    /// assert_eq!(control.status().pending_events, 10);
    /// control.cancel_scheduled().unwrap();
    /// audio.process_buffer(&mut [0.0; 64]);
    /// assert_eq!(control.status().pending_events, 0);
    /// ```
    pub fn cancel_scheduled(&mut self) -> Result<(), ControlError> {
        let lane = self.live_lane(1)?;
        let pushed = lane.push(Command::CancelScheduled);
        debug_assert!(pushed.is_ok(), "the queue had room");
        Ok(())
    }

    /// This controller's queue, if the audio side still drains it and it
    /// has room for `n` commands.
    fn live_lane(&mut self, n: usize) -> Result<&mut Producer<Command>, ControlError> {
        let lane = self
            .lane
            .as_mut()
            .expect("a live controller holds its queue");
        if lane.is_abandoned() {
            return Err(ControlError::Disconnected);
        }
        if lane.slots() < n {
            return Err(ControlError::QueueFull);
        }
        Ok(lane)
    }

    /// Checks that the queue and the schedule have room for `n` commands
    /// and reserves it in the budget of commands for a frame (`timed`) or
    /// for now.
    pub(super) fn reserve(&mut self, n: usize, timed: bool) -> Result<(), ControlError> {
        self.shared.collect_garbage();
        self.live_lane(n)?;
        if !self.shared.budget_for(timed).try_reserve(n) {
            return Err(ControlError::ScheduleFull);
        }
        Ok(())
    }

    /// Queues a command whose room [`reserve`](Self::reserve) secured.
    pub(super) fn push(&mut self, frame: Option<u64>, event: Event) {
        let lane = self
            .lane
            .as_mut()
            .expect("a live controller holds its queue");
        // Only this controller writes to its queue, so the slots reserved
        // are still free.
        let pushed = lane.push(Command::Event { frame, event });
        debug_assert!(pushed.is_ok(), "reserved queue slots are free");
    }

    /// Queues one event at `at` (a trigger's note validated first).
    pub(super) fn queue(&mut self, at: At, event: Event) -> Result<(), ControlError> {
        let event = validated(event, self.shared.sample_rate)?;
        let frame = at.to_frame(self.shared.sample_rate)?;
        self.reserve(1, frame.is_some())?;
        self.push(frame, event);
        Ok(())
    }
}

/// A controller queues each event for the start of the audio side's next
/// block; [`Controller::at`] gives the same verbs at a frame.
///
/// ```
/// use polyphonica::{AdsrEnvelope, EnvelopePhase, EventTarget, RealtimeEngine, Waveform};
/// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
/// let id = control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
/// control.release_note(id).unwrap(); // queued behind its trigger
/// audio.process_buffer(&mut [0.0; 64]);
/// assert_eq!(audio.voice(id).unwrap().envelope_phase(), EnvelopePhase::Release);
/// ```
impl EventTarget for Controller {
    type Error = ControlError;

    fn sample_rate(&self) -> f32 {
        self.shared.sample_rate
    }

    fn next_voice_id(&mut self) -> VoiceId {
        self.shared.ids.next_id()
    }

    fn send(&mut self, event: Event) -> Result<(), ControlError> {
        self.queue(At::Now, event)
    }

    /// A refused trigger uses no id (see [`Timed`]'s).
    fn trigger(&mut self, note: Note) -> Result<VoiceId, ControlError> {
        self.at(At::Now).trigger(note)
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        if let Some(lane) = self.lane.take() {
            // Commands still in the queue stay there and are applied.
            self.shared.return_lane(lane);
        }
    }
}
