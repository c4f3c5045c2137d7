//! Splitting a [`RealtimeEngine`] into its audio side and its controllers.

use std::sync::Arc;

use rtrb::RingBuffer;

use super::audio::AudioEngine;
use super::controller::Controller;
use super::shared::{PendingBudget, Shared, StatusCell};
use crate::RealtimeEngine;

/// How many samples the audio side can hand back to the controllers
/// before one collects them (twice what the core keeps).
const GARBAGE_CAPACITY: usize = 512;

/// The sizes of a split: everything is allocated at the split, nothing
/// later.
///
/// ```
/// use polyphonica::{RealtimeEngine};
/// use polyphonica::control::ControlConfig;
///
/// let config = ControlConfig { controllers: 8, queue_capacity: 4_096, schedule_capacity: 16_384 };
/// let (_audio, control) = RealtimeEngine::new(48_000.0).split_with(config);
/// let others: Vec<_> = (1..8).map(|_| control.try_clone().unwrap()).collect();
/// assert_eq!(others.len(), 7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlConfig {
    /// How many controllers can exist at once, each with its own queue
    /// (clamped to `1..=256`). Default 8.
    pub controllers: usize,
    /// Commands each controller's queue holds until the audio side drains
    /// it at its next block (clamped to `1..=1 << 20`). Default 1,024.
    pub queue_capacity: usize,
    /// Commands sent for a frame (`At::Frame`, `At::Secs`, `At::Beat`)
    /// that all controllers together can have queued or waiting for their
    /// frame on the audio side (clamped to `1..=1 << 22`). Default 8,192.
    ///
    /// Commands for now (`At::Now`, every plain [`Controller`](crate::Controller)
    /// call) do not count here: they have room of their own, as many as the
    /// queues hold (`controllers × queue_capacity`), so far-future events
    /// can never lock out an immediate release or stop. The audio side's
    /// schedule holds both: `schedule_capacity + controllers ×
    /// queue_capacity` events of 120 bytes each, allocated at the split
    /// (about 2 MB with the defaults).
    pub schedule_capacity: usize,
}

impl Default for ControlConfig {
    /// 8 controllers, 1,024 commands per queue, 8,192 commands scheduled.
    fn default() -> Self {
        ControlConfig {
            controllers: 8,
            queue_capacity: 1_024,
            schedule_capacity: 8_192,
        }
    }
}

impl RealtimeEngine {
    /// Splits the engine into its audio side and a controller, with the
    /// default [`ControlConfig`]; see [`split_with`](Self::split_with).
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, RealtimeEngine, Waveform};
    /// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    /// let id = control.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
    /// let mut buffer = [0.0f32; 512];
    /// audio.process_buffer(&mut buffer);
    /// assert!(buffer.iter().any(|s| s.abs() > 0.1));
    /// control.release_note(id).unwrap();
    /// ```
    pub fn split(self) -> (AudioEngine, Controller) {
        self.split_with(ControlConfig::default())
    }

    /// Splits the engine for lock-free use from several threads: the
    /// [`AudioEngine`] renders (move it into the audio callback), the
    /// [`Controller`] queues commands from any other thread
    /// ([`Controller::try_clone`] gives one to each thread). Notes already
    /// playing keep playing, the master volume is kept, and voice ids
    /// continue after the ones the engine handed out. Allocates every queue
    /// and the schedule now; nothing allocates later on the audio side.
    ///
    /// ```
    /// use polyphonica::{EventTarget, AdsrEnvelope, RealtimeEngine, Waveform};
    /// use polyphonica::control::ControlConfig;
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// let held = engine.trigger_note(Waveform::Sine, 110.0, AdsrEnvelope::default()).unwrap();
    /// let (mut audio, mut control) = engine.split_with(ControlConfig { controllers: 2, ..Default::default() });
    /// control.release_note(held).unwrap();
    /// let next = control.trigger_note(Waveform::Sine, 220.0, AdsrEnvelope::default()).unwrap();
    /// assert!(next > held);
    /// audio.process_buffer(&mut [0.0; 64]);
    /// assert_eq!(audio.get_active_voice_count(), 2);
    /// ```
    pub fn split_with(self, config: ControlConfig) -> (AudioEngine, Controller) {
        let controllers = config.controllers.clamp(1, 256);
        let queue_capacity = config.queue_capacity.clamp(1, 1 << 20);
        let schedule_capacity = config.schedule_capacity.clamp(1, 1 << 22);
        // Commands for "now" have their own room: as many as the queues hold.
        let immediate_capacity = (controllers * queue_capacity).min(1 << 22);
        let (producers, consumers): (Vec<_>, Vec<_>) = (0..controllers)
            .map(|_| RingBuffer::new(queue_capacity))
            .unzip();
        let (garbage_in, garbage_out) = RingBuffer::new(GARBAGE_CAPACITY);
        let (ended_in, ended_out) = RingBuffer::new((4 * self.voice_capacity()).max(256));
        let mut free_lanes = Vec::with_capacity(controllers);
        free_lanes.extend(producers);
        let first = free_lanes.pop().expect("at least one controller");
        let shared = Arc::new(Shared::new(
            self.sample_rate(),
            self.voice_capacity(),
            self.id_source().clone(),
            PendingBudget::new(schedule_capacity),
            PendingBudget::new(immediate_capacity),
            StatusCell::new(AudioEngine::initial_status(&self)),
            free_lanes,
            garbage_out,
            ended_out,
        ));
        let audio = AudioEngine::new(
            self,
            shared.clone(),
            consumers.into_boxed_slice(),
            garbage_in,
            ended_in,
            schedule_capacity + immediate_capacity,
        );
        (audio, Controller::new(shared, first))
    }
}
