//! The engine: the voice pool and the direct API ([`RealtimeEngine`]), the
//! event vocabulary ([`Event`], [`EventTarget`]) and the block runner
//! ([`EventSource`], [`Output`]) every driver renders through.
//!
//! Where the next parts go: a voice's filters and modulators (the patch)
//! belong to the voice (`voice/`), applied in `Voice::render` between the
//! oscillator and the mix; effects sit in the core's mix, after the voices
//! and before the master gain and limiter (`core.rs`), fed by per-voice
//! sends; both are configured by new [`Event`] variants.

mod atomic_f32;
mod core;
mod ended;
mod event;
mod group;
mod id_index;
mod note;
mod realtime;
mod runner;
mod slot_heap;
mod stereo;
mod tap;
mod target;
mod voice;
mod voice_id;
mod waveform;

pub use crate::dsp::envelope::{AdsrEnvelope, EnvelopePhase, EnvelopeState};
pub use atomic_f32::AtomicF32;
pub(crate) use core::Retired;
pub use event::Event;
pub use note::Note;
pub use realtime::{RealtimeEngine, MAX_CAPACITY};
pub use runner::{EventSource, Output};
pub use stereo::RenderStereo;
pub use tap::{Tap, TapReader};
pub(crate) use target::validated;
pub use target::{EventTarget, InvalidNote};
pub use voice::Voice;
pub use voice_id::VoiceId;
pub(crate) use voice_id::VoiceIdSource;
pub use waveform::Waveform;

/// How many groups notes can belong to ([`Note::group`]): group volumes,
/// fades, and releasing or stopping a group act on the notes of one group.
pub const GROUPS: usize = 8;

/// Voices in an engine made with [`RealtimeEngine::new`].
pub const MAX_VOICES: usize = 32;

/// The longest block the audio side renders in one pass; longer buffers are
/// rendered in pieces of this many frames.
pub(crate) const MAX_BLOCK_FRAMES: usize = 256;
