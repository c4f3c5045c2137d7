//! MIDI: channel messages, a synth that plays them on the engine with
//! General MIDI presets, and Standard MIDI File rendering.

mod file;
mod message;
mod presets;
mod synth;

pub use file::{MidiError, MidiFile, TimedMessage, MAX_TAIL_SECS};
pub use message::{MidiMessage, MidiParser};
pub use presets::{drum_preset, program_preset, Preset};
pub use synth::{key_to_hz, MidiSynth, VoiceControl, PERCUSSION_CHANNEL};
