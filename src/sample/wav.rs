//! WAV decoding with hound: every supported encoding becomes `f32` frames in
//! `-1.0..=1.0`, one vector per channel.

use std::io::Read;

use super::SampleError;

/// Decoded audio: one or two channels of equal length and their rate.
#[derive(Debug)]
pub(crate) struct DecodedAudio {
    /// One vector per channel (1 or 2), all the same length.
    pub(crate) channels: Vec<Vec<f32>>,
    /// Frames per second of the file.
    pub(crate) sample_rate: u32,
}

/// Decodes a WAV stream: 8-bit unsigned, 16/24/32-bit signed integer and
/// 32-bit float, any channel count (channels past the second are dropped).
pub(crate) fn decode_wav<R: Read>(reader: R) -> Result<DecodedAudio, SampleError> {
    let reader = hound::WavReader::new(reader).map_err(map_hound)?;
    let spec = reader.spec();
    if spec.channels == 0 {
        return Err(SampleError::InvalidWav(
            "the header declares zero channels".into(),
        ));
    }
    if spec.sample_rate == 0 {
        return Err(SampleError::InvalidWav(
            "the header declares a sample rate of 0 Hz".into(),
        ));
    }
    let channel_count = spec.channels as usize;
    let kept = channel_count.min(2);
    let mut channels: Vec<Vec<f32>> = vec![Vec::new(); kept];
    let mut push = |index: usize, value: f32| {
        let channel = index % channel_count;
        if channel < kept {
            channels[channel].push(value);
        }
    };
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => {
            for (i, s) in reader.into_samples::<f32>().enumerate() {
                let v = s.map_err(map_hound)?;
                push(i, if v.is_finite() { v } else { 0.0 });
            }
        }
        (hound::SampleFormat::Float, bits) => {
            return Err(SampleError::Unsupported(format!(
                "{bits}-bit float samples (only 32-bit float is decoded)"
            )))
        }
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f64;
            for (i, s) in reader.into_samples::<i32>().enumerate() {
                let v = s.map_err(map_hound)?;
                push(i, (v as f64 * scale) as f32);
            }
        }
        (hound::SampleFormat::Int, bits) => {
            return Err(SampleError::Unsupported(format!(
                "{bits}-bit integer samples (8, 16, 24 and 32-bit are decoded)"
            )))
        }
    }
    let frames = channels.iter().map(Vec::len).min().unwrap_or(0);
    if frames == 0 {
        return Err(SampleError::Empty);
    }
    for c in &mut channels {
        c.truncate(frames);
    }
    Ok(DecodedAudio {
        channels,
        sample_rate: spec.sample_rate,
    })
}

fn map_hound(e: hound::Error) -> SampleError {
    match e {
        hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            SampleError::InvalidWav("the file ends in the middle of its data (truncated)".into())
        }
        hound::Error::IoError(io) => SampleError::Io(io),
        hound::Error::FormatError(why) => SampleError::InvalidWav(why.to_string()),
        hound::Error::Unsupported => {
            SampleError::Unsupported("an encoding hound does not decode".into())
        }
        other => SampleError::InvalidWav(other.to_string()),
    }
}
