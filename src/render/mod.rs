//! Offline rendering: the engine run on a schedule of events into buffers
//! and WAV files (DESIGN.md, "Batch rendering"). There is no second
//! synthesizer here: every function drives [`RealtimeEngine`](crate::RealtimeEngine).

mod check;
mod error;
mod event;
mod pitch;
#[cfg(feature = "score")]
mod score;
mod timeline;
mod wav;
mod wave;

pub use error::RenderError;
pub use event::SoundEvent;
pub use pitch::{midi_frequency, note_frequency, parse_pitch};
#[cfg(feature = "score")]
#[cfg_attr(docsrs, doc(cfg(feature = "score")))]
pub use score::{Score, ScoreError};
pub(crate) use timeline::check_in_memory;
pub use timeline::{
    render_event, render_timeline, TimelineEvent, TimelineRenderer, MAX_IN_MEMORY_SAMPLES,
};
pub use wav::{write_wav, Channels, WavEncoding, WavFormat, WavSink};
pub use wave::{apply_envelope, generate_wave, FLAT_ENVELOPE};

/// The highest sample rate offline rendering accepts, in Hz (the engine's
/// own limit).
pub const MAX_SAMPLE_RATE: u32 = 1_536_000;
