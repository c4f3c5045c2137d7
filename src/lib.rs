//! Polyphonica: real-time polyphonic synthesis.
#![deny(missing_docs)]

mod control;
mod dsp;
mod engine;
mod sample;

pub use control::{
    At, AudioEngine, ControlConfig, ControlError, Controller, Phrase, PhraseNote, Status, Tempo,
    Timed,
};
pub use dsp::envelope::{AdsrEnvelope, EnvelopePhase, EnvelopeState};
pub use engine::{
    AtomicF32, Event, Note, RealtimeEngine, Voice, VoiceId, Waveform, MAX_CAPACITY, MAX_VOICES,
};
pub use sample::{SampleData, SampleError};
