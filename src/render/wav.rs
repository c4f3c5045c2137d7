//! WAV output: 16-bit or 24-bit integer or 32-bit float, mono or stereo,
//! written a block at a time.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};
use std::path::Path;

use super::check::check_sample_rate;
use super::error::RenderError;

/// How samples are stored in a WAV file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WavEncoding {
    /// 16-bit integer PCM (CD quality).
    Int16,
    /// 24-bit integer PCM.
    Int24,
    /// 32-bit IEEE float.
    Float32,
}

impl WavEncoding {
    /// Bits per sample.
    ///
    /// ```
    /// use polyphonica::render::WavEncoding;
    /// assert_eq!(WavEncoding::Int24.bits(), 24);
    /// ```
    pub fn bits(self) -> u16 {
        match self {
            WavEncoding::Int16 => 16,
            WavEncoding::Int24 => 24,
            WavEncoding::Float32 => 32,
        }
    }
}

/// Mono or interleaved stereo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channels {
    /// One channel.
    Mono,
    /// Two channels, interleaved L R L R ….
    Stereo,
}

impl Channels {
    /// 1 or 2.
    ///
    /// ```
    /// use polyphonica::render::Channels;
    /// assert_eq!(Channels::Stereo.count(), 2);
    /// ```
    pub fn count(self) -> usize {
        match self {
            Channels::Mono => 1,
            Channels::Stereo => 2,
        }
    }
}

/// The layout of a WAV file to write.
///
/// ```
/// use polyphonica::EventTarget;
/// use polyphonica::render::{Channels, WavEncoding, WavFormat};
/// let f = WavFormat { sample_rate: 48_000, channels: Channels::Stereo, encoding: WavEncoding::Float32 };
/// assert_eq!(WavFormat::stereo_16(44_100).encoding, WavEncoding::Int16);
/// assert_eq!(f.bytes_per_frame(), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WavFormat {
    /// Frames per second.
    pub sample_rate: u32,
    /// Mono or stereo.
    pub channels: Channels,
    /// Sample encoding.
    pub encoding: WavEncoding,
}

impl WavFormat {
    /// Mono 16-bit at `sample_rate`.
    pub fn mono_16(sample_rate: u32) -> Self {
        WavFormat {
            sample_rate,
            channels: Channels::Mono,
            encoding: WavEncoding::Int16,
        }
    }

    /// Stereo 16-bit at `sample_rate`.
    pub fn stereo_16(sample_rate: u32) -> Self {
        WavFormat {
            sample_rate,
            channels: Channels::Stereo,
            encoding: WavEncoding::Int16,
        }
    }

    /// Bytes one frame takes in the file.
    pub fn bytes_per_frame(&self) -> u64 {
        self.channels.count() as u64 * u64::from(self.encoding.bits() / 8)
    }

    /// The most frames a WAV file in this format holds (its sizes are
    /// 32-bit: 4 GiB of audio data at most).
    ///
    /// ```
    /// use polyphonica::render::WavFormat;
    /// // 16-bit stereo at 44.1 kHz: six and three-quarter hours.
    /// assert_eq!(WavFormat::stereo_16(44_100).max_frames(), 1_073_741_567);
    /// ```
    pub fn max_frames(&self) -> u64 {
        MAX_WAV_DATA_BYTES / self.bytes_per_frame()
    }

    /// An error if `frames` frames are more than a WAV file in this format
    /// holds: the one length check of every WAV output ([`WavSink`],
    /// [`MidiFile::write_wav`](crate::midi::MidiFile::write_wav), the
    /// command-line tool), made before anything is written when the length
    /// is known. The error names `frames`, the length asked for.
    ///
    /// # Errors
    /// [`RenderError::TooLong`].
    ///
    /// ```
    /// use polyphonica::{RenderError};
    /// use polyphonica::render::WavFormat;
    /// let ten_hours = 10 * 3600 * 44_100;
    /// let err = WavFormat::stereo_16(44_100).check_length(ten_hours).unwrap_err();
    /// assert!(matches!(err, RenderError::TooLong { frames, .. } if frames == ten_hours));
    /// assert!(err.to_string().contains("10:00:00"), "{err}");
    /// ```
    pub fn check_length(&self, frames: u64) -> Result<(), RenderError> {
        if frames > self.max_frames() {
            return Err(RenderError::TooLong {
                frames,
                sample_rate: self.sample_rate,
                limit: WAV_LIMIT,
            });
        }
        Ok(())
    }

    fn spec(&self) -> hound::WavSpec {
        hound::WavSpec {
            channels: self.channels.count() as u16,
            sample_rate: self.sample_rate,
            bits_per_sample: self.encoding.bits(),
            sample_format: match self.encoding {
                WavEncoding::Float32 => hound::SampleFormat::Float,
                _ => hound::SampleFormat::Int,
            },
        }
    }
}

/// The most data bytes a WAV file holds (its sizes are 32-bit), less room
/// for the header.
const MAX_WAV_DATA_BYTES: u64 = u32::MAX as u64 - 1024;

/// Where a WAV output's length limit comes from, for messages.
const WAV_LIMIT: &str = "in a WAV file (4 GiB of audio data at most)";

/// A WAV file being written, a block at a time.
///
/// Samples are `f32` in `[-1, 1]` (clamped); integer encodings round to
/// the nearest step. Call [`finalize`](Self::finalize) at the end to write
/// the final sizes into the header.
///
/// ```
/// use polyphonica::{generate_wave, Waveform};
/// use polyphonica::render::{WavFormat, WavSink};
/// use std::io::Cursor;
///
/// let mut sink = WavSink::new(Cursor::new(Vec::new()), WavFormat::mono_16(44_100))?;
/// sink.write(&generate_wave(Waveform::Sine, 440.0, 0.5, 44_100)?)?;
/// assert_eq!(sink.frames_written(), 22_050);
/// sink.finalize()?;
/// # Ok::<(), polyphonica::RenderError>(())
/// ```
pub struct WavSink<W: Write + Seek> {
    writer: hound::WavWriter<W>,
    format: WavFormat,
    samples: u64,
    peak: f32,
}

impl<W: Write + Seek> std::fmt::Debug for WavSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavSink")
            .field("format", &self.format)
            .field("samples", &self.samples)
            .finish_non_exhaustive()
    }
}

impl WavSink<BufWriter<File>> {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: impl AsRef<Path>, format: WavFormat) -> Result<Self, RenderError> {
        check_sample_rate(format.sample_rate)?;
        let file = File::create(path)?;
        Self::new(BufWriter::with_capacity(1 << 16, file), format)
    }
}

impl<W: Write + Seek> WavSink<W> {
    /// Starts a WAV file in `writer`.
    pub fn new(writer: W, format: WavFormat) -> Result<Self, RenderError> {
        check_sample_rate(format.sample_rate)?;
        Ok(WavSink {
            writer: hound::WavWriter::new(writer, format.spec())
                .map_err(RenderError::from_wav_writer)?,
            format,
            samples: 0,
            peak: 0.0,
        })
    }

    /// The file's layout.
    pub fn format(&self) -> WavFormat {
        self.format
    }

    /// Whole frames written so far.
    pub fn frames_written(&self) -> u64 {
        self.samples / self.format.channels.count() as u64
    }

    /// An error if `frames` more frames would not fit in the file.
    pub(crate) fn check_room(&self, frames: u64) -> Result<(), RenderError> {
        self.format
            .check_length(self.frames_written().saturating_add(frames))
    }

    /// The largest magnitude written so far (after clamping to `[-1, 1]`;
    /// NaN counts as 0).
    ///
    /// ```
    /// use polyphonica::EventTarget;
    /// use polyphonica::render::{WavFormat, WavSink};
    /// let mut sink = WavSink::new(std::io::Cursor::new(Vec::new()), WavFormat::mono_16(8_000))?;
    /// sink.write(&[0.25, -0.5, f32::NAN, 3.0])?;
    /// assert_eq!(sink.peak(), 1.0);
    /// # Ok::<(), polyphonica::RenderError>(())
    /// ```
    pub fn peak(&self) -> f32 {
        self.peak
    }

    /// Whether every sample written so far is stored as 0 (integer
    /// encodings round anything below half a step to 0).
    ///
    /// ```
    /// use polyphonica::EventTarget;
    /// use polyphonica::render::{WavFormat, WavSink};
    /// let mut sink = WavSink::new(std::io::Cursor::new(Vec::new()), WavFormat::mono_16(8_000))?;
    /// sink.write(&[1e-6, -1e-6])?;
    /// assert!(sink.is_silent()); // below half a 16-bit step
    /// sink.write(&[0.01])?;
    /// assert!(!sink.is_silent());
    /// # Ok::<(), polyphonica::RenderError>(())
    /// ```
    pub fn is_silent(&self) -> bool {
        match self.format.encoding {
            WavEncoding::Int16 => to_int(self.peak, 32_767.0) == 0,
            WavEncoding::Int24 => to_int(self.peak, 8_388_607.0) == 0,
            WavEncoding::Float32 => self.peak == 0.0,
        }
    }

    /// Appends interleaved samples (a whole number of frames is expected,
    /// but a partial frame is completed by the next call).
    pub fn write(&mut self, interleaved: &[f32]) -> Result<(), RenderError> {
        let channels = self.format.channels.count() as u64;
        self.check_room((interleaved.len() as u64).div_ceil(channels))?;
        // NaN compares false and is skipped, as the encoders write it as 0.
        self.peak = interleaved
            .iter()
            .fold(
                self.peak,
                |peak, s| if s.abs() > peak { s.abs() } else { peak },
            )
            .min(1.0);
        match self.format.encoding {
            WavEncoding::Int16 => {
                for chunk in interleaved.chunks(8192) {
                    let mut w = self.writer.get_i16_writer(chunk.len() as u32);
                    for &s in chunk {
                        w.write_sample(to_int(s, 32_767.0) as i16);
                    }
                    w.flush().map_err(RenderError::from_wav_writer)?;
                }
            }
            WavEncoding::Int24 => {
                for &s in interleaved {
                    self.writer
                        .write_sample(to_int(s, 8_388_607.0))
                        .map_err(RenderError::from_wav_writer)?;
                }
            }
            WavEncoding::Float32 => {
                for &s in interleaved {
                    let s = if s.is_finite() {
                        s.clamp(-1.0, 1.0)
                    } else {
                        0.0
                    };
                    self.writer
                        .write_sample(s)
                        .map_err(RenderError::from_wav_writer)?;
                }
            }
        }
        self.samples += interleaved.len() as u64;
        Ok(())
    }

    /// Writes the header's final sizes and flushes the file.
    pub fn finalize(self) -> Result<(), RenderError> {
        self.writer
            .finalize()
            .map_err(RenderError::from_wav_writer)?;
        Ok(())
    }
}

/// `s` (clamped to `[-1, 1]`, NaN as 0) scaled by `full_scale` (below
/// 2²³) and rounded half away from zero, as `f32::round` does, without its
/// library call: the truncation is exact in hardware, and so is the
/// fraction left over.
#[inline]
fn to_int(s: f32, full_scale: f32) -> i32 {
    let s = if s.is_nan() { 0.0 } else { s.clamp(-1.0, 1.0) };
    let scaled = s * full_scale;
    let whole = scaled as i32;
    let fraction = scaled - whole as f32;
    whole + i32::from(fraction >= 0.5) - i32::from(fraction <= -0.5)
}

/// Writes `samples` (interleaved if stereo) to a WAV file at `path`.
///
/// ```
/// use polyphonica::{generate_wave, Waveform};
/// use polyphonica::render::{write_wav, WavFormat};
///
/// let path = std::env::temp_dir().join("polyphonica-doc-write-wav.wav");
/// let tone = generate_wave(Waveform::Triangle, 220.0, 0.25, 48_000)?;
/// write_wav(&path, &tone, WavFormat::mono_16(48_000))?;
/// assert_eq!(hound::WavReader::open(&path).unwrap().duration(), 12_000);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), polyphonica::RenderError>(())
/// ```
pub fn write_wav(
    path: impl AsRef<Path>,
    samples: &[f32],
    format: WavFormat,
) -> Result<(), RenderError> {
    let mut sink = WavSink::create(path, format)?;
    sink.write(samples)?;
    sink.finalize()
}

#[cfg(test)]
mod tests {
    use super::to_int;

    #[test]
    fn to_int_rounds_as_f32_round_does() {
        // Every 997th float from -1 to 1, at both integer scales.
        let mut x = -1.0f32;
        while x <= 1.0 {
            for full_scale in [32_767.0, 8_388_607.0] {
                let want = (x * full_scale).round() as i32;
                assert_eq!(to_int(x, full_scale), want, "{x} at {full_scale}");
            }
            x = if x < 0.0 {
                let next = f32::from_bits(x.to_bits() - 997);
                if next > -1e-30 {
                    0.0
                } else {
                    next
                }
            } else {
                f32::from_bits(x.to_bits() + 997)
            };
        }
        // Halves and the float just under a half.
        for y in [0.5f32, -0.5, 1.5, -1.5, 2.5, 0.499_999_97, -0.499_999_97] {
            let x = y / 32_767.0;
            assert_eq!(to_int(x, 32_767.0), (x * 32_767.0).round() as i32, "{y}");
        }
        assert_eq!(to_int(f32::NAN, 32_767.0), 0);
        assert_eq!(to_int(7.0, 32_767.0), 32_767);
        assert_eq!(to_int(-7.0, 32_767.0), -32_767);
    }
}
