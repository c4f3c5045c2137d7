//! `Event`: every change to the sound, as the engine core applies it.
//!
//! The direct `&mut` API of [`RealtimeEngine`](crate::RealtimeEngine) applies
//! an event at once; other drivers (the lock-free controller, batch
//! rendering, MIDI) carry the same events to the audio side and apply them at
//! a frame.

use super::note::Note;
use super::VoiceId;

/// One change to the engine's sound.
#[derive(Clone, Debug)]
pub enum Event {
    /// Start a note under an id that has never been used.
    NoteOn {
        /// The id the note will answer to.
        id: VoiceId,
        /// The note.
        note: Note,
    },
    /// Start the release of a note.
    NoteOff {
        /// The note.
        id: VoiceId,
    },
    /// Change a note's frequency (phase-continuous).
    SetFrequency {
        /// The note.
        id: VoiceId,
        /// New frequency in Hz.
        frequency_hz: f32,
    },
    /// Sweep a note's frequency linearly from where it is to
    /// `to_frequency_hz` over the next `over_frames` frames, keeping the
    /// phase continuous: frame `k` of the sweep plays at
    /// `from + (to - from)·k/over_frames`, then the note stays at the target.
    /// 0 frames changes the frequency at once, as `SetFrequency` does. A later
    /// `SetFrequency` or `SweepFrequency` replaces the sweep.
    SweepFrequency {
        /// The note.
        id: VoiceId,
        /// Frequency in Hz at the end of the sweep (clamped to Nyquist).
        to_frequency_hz: f32,
        /// Length of the sweep in frames.
        over_frames: u32,
    },
    /// Change a note's amplitude (smoothed).
    SetAmplitude {
        /// The note.
        id: VoiceId,
        /// New amplitude, `0.0..=1.0`.
        amplitude: f32,
    },
    /// Change a note's stereo position (smoothed).
    SetPan {
        /// The note.
        id: VoiceId,
        /// New pan, -1 to 1.
        pan: f32,
    },
    /// Change a pulse note's duty cycle.
    SetDutyCycle {
        /// The note.
        id: VoiceId,
        /// New duty cycle, clamped to `0.01..=0.99`.
        duty_cycle: f32,
    },
    /// Change the master volume (smoothed).
    SetMasterVolume {
        /// New volume, `0.0..=1.0`.
        volume: f32,
    },
    /// Start the release of every note.
    ReleaseAll,
    /// Silence every voice at once.
    StopAll,
}
