//! Recorded sounds: WAV decoding, shared sample data and its playback with
//! pitch shifting.

mod data;
mod error;
mod playback;
mod wav;

pub use data::SampleData;
pub use error::SampleError;
pub(crate) use playback::SamplePlayhead;

/// Builds any tables sample playback uses, so that the audio side never
/// builds them. Engines call this when they are made.
pub(crate) fn prepare() {}
