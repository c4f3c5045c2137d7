//! The real-time engine: the voice pool, its core, and the direct API.

mod atomic_f32;
mod core;
mod event;
mod id_index;
mod note;
mod realtime;
mod slot_heap;
mod voice;
mod voice_id;
mod waveform;

pub(crate) use self::core::EngineCore;

pub use atomic_f32::AtomicF32;
pub use event::Event;
pub use note::Note;
pub use realtime::{RealtimeEngine, MAX_CAPACITY};
pub use voice::Voice;
pub use voice_id::VoiceId;
pub use waveform::Waveform;

/// Voices in an engine made with [`RealtimeEngine::new`].
pub const MAX_VOICES: usize = 32;

/// The longest block the audio side renders in one pass; longer buffers are
/// rendered in pieces of this many frames.
pub(crate) const MAX_BLOCK_FRAMES: usize = 256;
