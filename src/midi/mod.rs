//! MIDI: channel messages, a synth that turns them into events for any
//! [`EventTarget`](crate::EventTarget) with General MIDI presets, live input
//! through a [`Controller`](crate::Controller), and Standard MIDI File
//! rendering.

mod channel;
mod file;
#[cfg(feature = "midi-input")]
mod input;
mod live;
mod message;
mod presets;
mod synth;

pub use file::{MidiError, MidiFile, MidiFilePlayer, TimedMessage, MAX_TAIL_SECS};
#[cfg(feature = "midi-input")]
#[cfg_attr(docsrs, doc(cfg(feature = "midi-input")))]
pub use input::{connect_input, input_port_names, MidiInputConnection, MidiInputError};
pub use live::LiveMidi;
pub use message::{MidiMessage, MidiParser};
pub use presets::{drum_patch, drum_preset, program_patch, program_preset, Preset};
pub use synth::{key_to_hz, MidiSynth, PERCUSSION_CHANNEL};
