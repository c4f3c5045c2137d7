//! Recorded sounds: WAV decoding, shared sample data and its playback with
//! pitch shifting.

mod data;
mod error;
mod playback;
mod wav;

pub use data::SampleData;
pub use error::SampleError;
pub(crate) use playback::SamplePlayhead;
