//! Polyphonica: real-time polyphonic synthesis.
#![deny(missing_docs)]

mod dsp;
mod sample;

pub use sample::{Interpolation, SampleData, SampleError};
