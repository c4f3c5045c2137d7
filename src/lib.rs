//! Polyphonica: real-time polyphonic synthesis.
#![deny(missing_docs)]

mod dsp;
mod engine;
mod sample;

pub use dsp::envelope::{AdsrEnvelope, EnvelopePhase, EnvelopeState};
pub use engine::{
    AtomicF32, Event, Note, RealtimeEngine, Voice, VoiceId, Waveform, MAX_CAPACITY, MAX_VOICES,
};
pub use sample::{SampleData, SampleError};
