//! `AudioEngine`: the audio side of a split engine, owned by the audio
//! callback.

use std::sync::Arc;
use std::time::Instant;

use rtrb::{Consumer, Producer};

use super::command::{controlled_voice, Command};
use super::schedule::{Origin, Schedule};
use super::shared::{Published, Shared};
use crate::engine::{EventSource, Output};
use crate::{RealtimeEngine, Voice, VoiceId};

/// Blocks averaged into the published load.
const LOAD_WINDOW: usize = 16;

/// The audio side of a split engine: renders, and applies the commands the
/// [`Controller`](crate::Controller)s queue, each at its frame.
///
/// Made by [`RealtimeEngine::split`](crate::RealtimeEngine::split); move it
/// into the audio callback. Rendering never allocates, frees, locks or
/// waits: at the start of each call it drains every controller's queue into
/// a schedule allocated at the split, then renders the buffer in pieces
/// split at the frames where events fall (render up to the event, apply
/// it, render on). So an event for frame N applies at frame N whatever the
/// buffer sizes. Samples its voices let go of are sent back to the
/// controllers to be freed. After each call it publishes its clock, voice
/// counts and load for the controllers.
///
/// ```
/// use polyphonica::{EventTarget, AdsrEnvelope, At, RealtimeEngine, Waveform};
///
/// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
/// let id = control.at(At::Frame(1_000)).trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
/// let audio_thread = std::thread::spawn(move || {
///     let mut buffer = [0.0f32; 256];
///     let mut loud = 0;
///     for _ in 0..200 {
///         audio.process_buffer(&mut buffer);
///         loud += buffer.iter().filter(|s| s.abs() > 0.1).count();
///     }
///     (loud, audio) // the audio side lives on until joined
/// });
/// // Sent while the audio thread renders: applied at frame 20,000, or at
/// // the next block if the audio clock has passed it already.
/// control.at(At::Frame(20_000)).release_note(id).unwrap();
/// assert!(audio_thread.join().unwrap().0 > 10_000);
/// ```
#[derive(Debug)]
pub struct AudioEngine {
    engine: RealtimeEngine,
    shared: Arc<Shared>,
    lanes: Box<[Consumer<Command>]>,
    garbage: Producer<crate::engine::Retired>,
    /// Ids of the notes that ended, to the controllers.
    ended: Producer<VoiceId>,
    schedule: Schedule,
    /// The frame the next block starts at.
    frame: u64,
    /// Recent blocks' render time and audio duration, in seconds.
    spent: [f64; LOAD_WINDOW],
    span: [f64; LOAD_WINDOW],
    blocks: usize,
}

impl AudioEngine {
    pub(crate) fn new(
        engine: RealtimeEngine,
        shared: Arc<Shared>,
        lanes: Box<[Consumer<Command>]>,
        garbage: Producer<crate::engine::Retired>,
        ended: Producer<VoiceId>,
        schedule_capacity: usize,
    ) -> Self {
        AudioEngine {
            engine,
            shared,
            lanes,
            garbage,
            ended,
            schedule: Schedule::new(schedule_capacity),
            frame: 0,
            spent: [0.0; LOAD_WINDOW],
            span: [0.0; LOAD_WINDOW],
            blocks: 0,
        }
    }

    /// The status a freshly split engine publishes.
    pub(crate) fn initial_status(engine: &RealtimeEngine) -> Published {
        let core = engine.core();
        Published {
            frame: 0,
            active_voices: core.active_voice_count() as u64,
            voices_stolen: core.voices_stolen(),
            load: 0.0,
            master_volume: core.master_volume(),
        }
    }

    /// Renders mono audio into `output` (overwriting it), applying every
    /// queued event at its frame; the buffer covers the audio clock's next
    /// `output.len()` frames. Bounded and finite like
    /// [`RealtimeEngine::process_buffer`](crate::RealtimeEngine::process_buffer).
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, At, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// control.at(At::Frame(10)).trigger_note(Waveform::Square, 1_000.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0)).unwrap();
    /// let mut out = [0.0f32; 64];
    /// audio.process_buffer(&mut out);
    /// assert!(out[..10].iter().all(|s| *s == 0.0));
    /// assert!(out[10..].iter().all(|s| s.abs() <= 1.0) && out[11] != 0.0);
    /// assert_eq!(audio.frame(), 64);
    /// ```
    pub fn process_buffer(&mut self, output: &mut [f32]) {
        self.run(Output::Mono(output));
    }

    /// Renders interleaved stereo (L R L R …) into `output` (overwriting
    /// it), applying every queued event at its frame; the buffer covers
    /// `output.len() / 2` frames, and an odd last sample is left silent, as
    /// in [`RealtimeEngine::process_stereo_buffer`](crate::RealtimeEngine::process_stereo_buffer).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, EventTarget, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// control.at(At::Frame(10)).trigger_note(Waveform::Square, 1_000.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0)).unwrap();
    /// let mut out = [0.0f32; 2 * 64 + 1];
    /// audio.process_stereo_buffer(&mut out);
    /// assert!(out[..20].iter().all(|s| *s == 0.0));
    /// assert_eq!(out[22], out[23]); // centred: L == R
    /// assert_eq!(out[128], 0.0);
    /// assert_eq!(audio.frame(), 64);
    /// ```
    pub fn process_stereo_buffer(&mut self, output: &mut [f32]) {
        self.run(Output::Interleaved(output));
    }

    /// Renders planar stereo into `left` and `right` (overwriting them),
    /// applying every queued event at its frame; the block is as long as
    /// the shorter slice, as in
    /// [`RealtimeEngine::process_planar_buffers`](crate::RealtimeEngine::process_planar_buffers).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, At, EventTarget, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// control.at(At::Frame(10)).trigger_note(Waveform::Square, 1_000.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0)).unwrap();
    /// let (mut left, mut right) = ([0.0f32; 64], [0.0f32; 64]);
    /// audio.process_planar_buffers(&mut left, &mut right);
    /// assert!(left[..10].iter().all(|s| *s == 0.0));
    /// assert_eq!(left, right);
    /// assert_eq!(audio.frame(), 64);
    /// ```
    pub fn process_planar_buffers(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.run(Output::Planar(left, right));
    }

    /// The audio clock: the frame the next block starts at (frames rendered
    /// since the split).
    ///
    /// ```
    /// use polyphonica::RealtimeEngine;
    /// let (mut audio, _control) = RealtimeEngine::new(48_000.0).split();
    /// audio.process_buffer(&mut [0.0; 100]);
    /// audio.process_buffer(&mut [0.0; 28]);
    /// assert_eq!(audio.frame(), 128);
    /// ```
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// The sample rate in frames per second.
    ///
    /// ```
    /// use polyphonica::RealtimeEngine;
    /// let (audio, _control) = RealtimeEngine::new(48_000.0).split();
    /// assert_eq!(audio.sample_rate(), 48_000.0);
    /// ```
    pub fn sample_rate(&self) -> f32 {
        self.engine.core().sample_rate()
    }

    /// Voices playing notes, releasing ones included.
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
    /// assert_eq!(audio.get_active_voice_count(), 0); // not drained yet
    /// audio.process_buffer(&mut [0.0; 1]);
    /// assert_eq!(audio.get_active_voice_count(), 1);
    /// ```
    pub fn get_active_voice_count(&self) -> usize {
        self.engine.core().active_voice_count()
    }

    /// Commands sent by the controllers and not applied yet (queued, or
    /// waiting in the schedule for their frame). Once every controller has
    /// stopped sending, 0 means everything sent has been applied.
    ///
    /// ```
    /// use polyphonica::{EventTarget, At, RealtimeEngine};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// control.at(At::Frame(100)).set_master_volume(0.5).unwrap();
    /// assert_eq!(audio.pending_events(), 1);
    /// audio.process_buffer(&mut [0.0; 101]);
    /// assert_eq!(audio.pending_events(), 0);
    /// ```
    pub fn pending_events(&self) -> usize {
        self.shared.pending()
    }

    /// The voice playing `id`, or `None` for an id whose note has not
    /// started yet or is stale.
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let id = control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
    /// assert!(audio.voice(id).is_none());
    /// audio.process_buffer(&mut [0.0; 1]);
    /// assert_eq!(audio.voice(id).unwrap().frequency_hz(), 440.0);
    /// ```
    pub fn voice(&self, id: VoiceId) -> Option<&Voice> {
        self.engine.core().voice(id)
    }

    /// The voices playing notes.
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
    /// audio.process_buffer(&mut [0.0; 1]);
    /// assert_eq!(audio.active_voices().count(), 1);
    /// ```
    pub fn active_voices(&self) -> impl Iterator<Item = &Voice> {
        self.engine.core().active_voices()
    }

    /// Runs one block: drains the queues into the schedule, then renders
    /// through the block runner with the schedule as its event source.
    fn run(&mut self, output: Output<'_>) {
        let started = Instant::now();
        let start = self.frame;
        let frames = output.frames();
        if frames == 0 {
            // Nothing rendered, nothing due: commands wait in their queues.
            self.publish(0.0, 0);
            return;
        }
        self.schedule.begin_block(start);
        self.drain(start);
        let mut source = Scheduled {
            schedule: &mut self.schedule,
            shared: &self.shared,
        };
        self.engine.process_from(&mut source, start, output);
        self.frame = start + frames as u64;
        self.send_back_samples();
        self.send_back_ended_notes();
        self.publish(started.elapsed().as_secs_f64(), frames);
    }

    /// Moves every queued command into the schedule; "now" and times
    /// already past become `start`.
    fn drain(&mut self, start: u64) {
        for (index, lane) in self.lanes.iter_mut().enumerate() {
            // The controllers' budgets keep the schedule from filling up;
            // should it fill, the rest stays queued for the next block.
            while self.schedule.has_room() {
                let Ok(command) = lane.pop() else { break };
                match command {
                    Command::Event { frame, event } => {
                        let origin = Origin {
                            lane: index as u16,
                            timed: frame.is_some(),
                        };
                        let at = frame.map_or(start, |f| f.max(start));
                        self.schedule.push(at, event, origin);
                    }
                    Command::CancelScheduled => {
                        let core = self.engine.core_mut();
                        let cancelled = self
                            .schedule
                            .cancel_timed(index as u16, |event| core.discard(event));
                        self.shared.budget.release(cancelled);
                    }
                }
            }
        }
    }

    /// Hands the ids of the notes that ended to the controllers; when their
    /// queue is full the oldest wait in the core's ring (which drops the
    /// oldest of all once it fills).
    fn send_back_ended_notes(&mut self) {
        while !self.ended.is_full() {
            let Some(id) = self.engine.take_ended_note() else {
                break;
            };
            let sent = self.ended.push(id);
            debug_assert!(sent.is_ok(), "room was checked");
        }
    }

    /// Hands the samples the core let go of to the controllers, when the
    /// return queue has room for all of them (else they wait in the core).
    fn send_back_samples(&mut self) {
        let kept = self.engine.core().retired_count();
        if kept > 0 && self.garbage.slots() >= kept {
            let garbage = &mut self.garbage;
            self.engine.core_mut().take_retired(|sample| {
                let sent = garbage.push(sample);
                debug_assert!(sent.is_ok(), "room was checked");
            });
        }
    }

    fn publish(&mut self, spent_secs: f64, frames: usize) {
        if frames > 0 {
            let i = self.blocks % LOAD_WINDOW;
            self.spent[i] = spent_secs;
            self.span[i] = frames as f64 / self.engine.core().sample_rate() as f64;
            self.blocks += 1;
        }
        let span: f64 = self.span.iter().sum();
        let load = if span > 0.0 {
            self.spent.iter().sum::<f64>() / span
        } else {
            0.0
        };
        self.shared.status.write(Published {
            frame: self.frame,
            active_voices: self.engine.core().active_voice_count() as u64,
            voices_stolen: self.engine.core().voices_stolen(),
            load: load as f32,
            master_volume: self.engine.core().master_volume(),
        });
    }
}

/// The schedule as the block runner's event source.
struct Scheduled<'a> {
    schedule: &'a mut Schedule,
    shared: &'a Shared,
}

impl EventSource for Scheduled<'_> {
    fn next_frame(&mut self) -> Option<u64> {
        self.schedule.next_frame()
    }

    /// Applies every event due at or before `frame`; an event for a note
    /// whose trigger still waits for its frame waits for it and follows it.
    fn apply_due(&mut self, frame: u64, engine: &mut RealtimeEngine) {
        while let Some((event, origin)) = self.schedule.pop_due(frame) {
            if let Some(id) =
                controlled_voice(&event).filter(|_| self.schedule.has_waiting_triggers())
            {
                if engine.voice(id).is_none() {
                    if let Some(waiting) = self.schedule.pending_start(id) {
                        // The note has not started yet: the event waits for
                        // it and follows it (keeping its budget unit).
                        self.schedule.push_after(waiting, event, origin);
                        continue;
                    }
                }
            }
            engine.core_mut().apply(event);
            self.shared.budget_for(origin.timed).release(1);
        }
    }
}

/// The audio side of a split engine: the lock-free way to play on a device
/// while [`Controller`](crate::Controller)s drive it from other threads.
impl crate::engine::RenderStereo for AudioEngine {
    fn render_stereo(&mut self, output: &mut [f32]) {
        self.process_stereo_buffer(output);
    }
}
