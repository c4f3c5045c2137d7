//! Recorded sounds: WAV decoding, shared sample data and its playback with
//! pitch shifting.

mod data;
mod error;
mod interpolation;
mod playback;
#[cfg(test)]
mod quality_tests;
mod wav;

pub use data::SampleData;
pub use error::SampleError;
pub(crate) use interpolation::prepare;
pub use interpolation::Interpolation;
pub(crate) use playback::SamplePlayhead;
