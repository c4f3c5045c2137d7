//! Signal processing on the audio side: oscillators, noise, envelopes,
//! smoothing, panning and the output limiter.

pub(crate) mod wavetable;

#[cfg(test)]
pub(crate) mod spectrum_test_util;
