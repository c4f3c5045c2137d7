//! `Event`: every change to the sound, as the engine core applies it.
//!
//! The direct `&mut` API of [`RealtimeEngine`](crate::RealtimeEngine) applies
//! an event at once; other drivers (the lock-free controller, batch
//! rendering, MIDI) carry the same events to the audio side and apply them at
//! a frame.

use super::note::Note;
use super::VoiceId;
use crate::fx::{ChorusParams, DelayParams, ReverbParams, Sends};
use crate::patch::ModTarget;

/// One change to the engine's sound.
///
/// This is the whole vocabulary: every driver (the direct engine, the
/// controller, timelines, MIDI, a plugin host) says what it wants as these
/// events, and the engine core applies them. New kinds of change are new
/// variants, so the enum is `#[non_exhaustive]`. The verbs of
/// [`EventTarget`](crate::EventTarget) (`release_note`, `fade_group`, …)
/// are the readable way to send them.
#[derive(Clone, Debug)]
#[non_exhaustive]
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
    /// Ramp a note's amplitude linearly from where it is to `to_amplitude`
    /// over `over_frames` frames (0 = the usual 5 ms smoothing). A later
    /// `SetAmplitude` or ramp replaces it.
    RampAmplitude {
        /// The note.
        id: VoiceId,
        /// Amplitude at the end of the ramp, `0.0..=1.0` (clamped).
        to_amplitude: f32,
        /// Length of the ramp in frames.
        over_frames: u32,
    },
    /// Start the release of every note.
    ReleaseAll,
    /// Silence every voice at once.
    StopAll,
    /// Set a group's volume (smoothed over about 10 ms, like the master
    /// volume). Every note belongs to a group ([`Note::group`]).
    SetGroupVolume {
        /// The group, `0..GROUPS` (others are ignored).
        group: u8,
        /// New volume, `0.0..=1.0` (clamped).
        volume: f32,
    },
    /// Fade a group's volume linearly to `to_volume` over `over_frames`
    /// frames. A later `SetGroupVolume` or fade replaces it.
    FadeGroup {
        /// The group, `0..GROUPS` (others are ignored).
        group: u8,
        /// Volume at the end of the fade, `0.0..=1.0` (clamped).
        to_volume: f32,
        /// Length of the fade in frames.
        over_frames: u32,
    },
    /// Start the release of every note of a group.
    ReleaseGroup {
        /// The group.
        group: u8,
    },
    /// Set a note's effect sends (each ramps to its new level over a
    /// block).
    SetSends {
        /// The note.
        id: VoiceId,
        /// The new sends (clamped to `0..=1`).
        sends: Sends,
    },
    /// Set a group's effect sends, added to each of its notes' own (the
    /// sum held to 1).
    SetGroupSends {
        /// The group, `0..GROUPS` (others are ignored).
        group: u8,
        /// The group's sends (clamped to `0..=1`).
        sends: Sends,
    },
    /// Change the reverb's settings (size and predelay glide).
    SetReverb {
        /// The new settings (clamped).
        params: ReverbParams,
    },
    /// Change the chorus's settings (depth glides).
    SetChorus {
        /// The new settings (clamped).
        params: ChorusParams,
    },
    /// Change the delay's settings (the time glides).
    SetDelay {
        /// The new settings (clamped).
        params: DelayParams,
    },
    /// Set a controller of a channel (a modulation source of the
    /// channel's patched notes; controller 1 is the mod wheel).
    SetController {
        /// The channel, `0..16`.
        channel: u8,
        /// The controller number, `0..128`.
        controller: u8,
        /// Its value, 0 to 1 (MIDI value / 127).
        value: f32,
    },
    /// Set a channel's pressure (aftertouch), 0 to 1.
    SetChannelPressure {
        /// The channel, `0..16`.
        channel: u8,
        /// The pressure.
        pressure: f32,
    },
    /// Set a channel's pitch bend, −1 to 1 (a modulation source; what it
    /// does to a patch's pitch is its matrix's business).
    SetPitchBend {
        /// The channel, `0..16`.
        channel: u8,
        /// The bend.
        bend: f32,
    },
    /// Set one note's pressure (polyphonic aftertouch), 0 to 1.
    SetPolyPressure {
        /// The note.
        id: VoiceId,
        /// The pressure.
        pressure: f32,
    },
    /// Set one note's own modulation of a target: `amount`, in the
    /// target's unit ([`ModTarget`]), is added to what the patch's matrix
    /// sends there, and replaces the note's earlier amount for that target.
    /// This is per-note modulation (a plugin host's per-note parameter
    /// modulation, note expressions such as tuning or brightness). Only
    /// notes of a patch ([`Note::from_patch`](crate::Note::from_patch))
    /// have a matrix; other notes ignore it. Non-finite amounts are
    /// ignored, the rest clamped to ±100.
    SetNoteModulation {
        /// The note.
        id: VoiceId,
        /// What it moves.
        target: ModTarget,
        /// How much, in the target's unit.
        amount: f32,
    },
    /// Set one note's own amount for one slot of its patch's matrix
    /// (`slot` counts from 0 in [`Patch::modulation`](crate::patch::Patch::modulation)),
    /// in place of the patch's: how deep that note's vibrato or filter
    /// envelope goes, say (a SoundFont note whose velocity and key scale a
    /// modulator). It lasts for the note's life. Notes without a patch,
    /// slots the patch does not have and non-finite amounts are ignored;
    /// the rest are clamped to ±100.
    SetNoteSlotAmount {
        /// The note.
        id: VoiceId,
        /// The slot, from 0.
        slot: u8,
        /// The amount, in the slot's target's unit per unit of its source.
        amount: f32,
    },
    /// Set one note's vibrato depth, 0 to 1: the value of the
    /// [`ModSource::Vibrato`](crate::patch::ModSource::Vibrato) source in
    /// its patch's matrix (a CLAP vibrato note expression).
    SetNoteVibrato {
        /// The note.
        id: VoiceId,
        /// The depth (clamped to `0..=1`).
        depth: f32,
    },
    /// Silence every note of a group: each fades out as a stolen note does
    /// (4 ms, to the end of the block it ends in), so nothing clicks; their
    /// ids go stale at once.
    StopGroup {
        /// The group.
        group: u8,
    },
}

impl Event {
    /// The note a per-note event controls (`None` for a trigger and for the
    /// events that act on a group or the whole engine).
    ///
    /// ```
    /// use polyphonica::{Event, VoiceId};
    /// let id = VoiceId::from_raw(7);
    /// assert_eq!(Event::NoteOff { id }.note_id(), Some(id));
    /// assert_eq!(Event::StopAll.note_id(), None);
    /// ```
    pub fn note_id(&self) -> Option<VoiceId> {
        match *self {
            Event::NoteOff { id }
            | Event::SetFrequency { id, .. }
            | Event::SweepFrequency { id, .. }
            | Event::SetAmplitude { id, .. }
            | Event::RampAmplitude { id, .. }
            | Event::SetSends { id, .. }
            | Event::SetPan { id, .. }
            | Event::SetPolyPressure { id, .. }
            | Event::SetNoteModulation { id, .. }
            | Event::SetNoteSlotAmount { id, .. }
            | Event::SetNoteVibrato { id, .. }
            | Event::SetDutyCycle { id, .. } => Some(id),
            Event::NoteOn { .. }
            | Event::SetMasterVolume { .. }
            | Event::ReleaseAll
            | Event::StopAll
            | Event::SetGroupVolume { .. }
            | Event::FadeGroup { .. }
            | Event::ReleaseGroup { .. }
            | Event::StopGroup { .. }
            | Event::SetGroupSends { .. }
            | Event::SetReverb { .. }
            | Event::SetChorus { .. }
            | Event::SetDelay { .. }
            | Event::SetController { .. }
            | Event::SetChannelPressure { .. }
            | Event::SetPitchBend { .. } => None,
        }
    }
}
