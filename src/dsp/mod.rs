//! Signal processing on the audio side: oscillators, noise, envelopes,
//! smoothing, panning and the output limiter.

pub(crate) mod denormal;
pub(crate) mod envelope;
pub(crate) mod fast;
pub(crate) mod filter;
pub(crate) mod limiter;
pub(crate) mod mix;
pub(crate) mod noise;
pub(crate) mod pan;
pub(crate) mod slew;
pub(crate) mod transpose;
pub(crate) mod wavetable;

#[cfg(test)]
pub(crate) mod spectrum_test_util;
