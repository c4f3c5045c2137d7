//! `RenderError`: the one error type of offline rendering and WAV output.

use std::fmt;

/// Why an offline render or a WAV file could not be made.
///
/// Every message is a sentence that names the bad value and says what was
/// expected, so it can be shown to a user as it is.
///
/// ```
/// use polyphonica::{generate_wave, RenderError, Waveform};
///
/// let err = generate_wave(Waveform::Sine, 440.0, -1.0, 44_100).unwrap_err();
/// assert!(matches!(err, RenderError::InvalidValue { .. }));
/// assert_eq!(
///     err.to_string(),
///     "duration_secs is -1; expected a finite number of seconds, 0 or more"
/// );
/// let err = generate_wave(Waveform::Sine, 440.0, 1.0, 0).unwrap_err();
/// assert_eq!(err.to_string(), "the sample rate is 0 Hz; expected 1 to 1536000 Hz");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum RenderError {
    /// The sample rate is 0 or above [`MAX_SAMPLE_RATE`](crate::render::MAX_SAMPLE_RATE).
    InvalidSampleRate {
        /// The rate given, in Hz.
        sample_rate: u32,
    },
    /// A number is NaN, infinite or out of its range.
    InvalidValue {
        /// Which value, as a path into the arguments (`"events[2].0"`,
        /// `"event.start_frequency"`).
        what: String,
        /// The value given.
        value: f32,
        /// What it should have been.
        expected: String,
    },
    /// A text is not a pitch: neither a note name nor a frequency.
    InvalidPitch {
        /// The text given.
        text: String,
    },
    /// The output would be longer than the destination can hold.
    TooLong {
        /// Frames asked for: the output's whole length.
        frames: u64,
        /// The sample rate of the output, in Hz, to give the length in time.
        sample_rate: u32,
        /// The destination, for the message (`"in memory"`, `"in a WAV file"`).
        limit: &'static str,
    },
    /// The WAV encoder refused the data (a failure of the file itself is
    /// [`Io`](Self::Io)); the text says why.
    Wav(String),
    /// Reading or writing failed.
    Io(std::io::Error),
}

impl RenderError {
    /// An [`InvalidValue`](Self::InvalidValue) error.
    pub(crate) fn invalid(
        what: impl Into<String>,
        value: f32,
        expected: impl Into<String>,
    ) -> Self {
        RenderError::InvalidValue {
            what: what.into(),
            value,
            expected: expected.into(),
        }
    }
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::InvalidSampleRate { sample_rate } => write!(
                f,
                "the sample rate is {sample_rate} Hz; expected 1 to {} Hz",
                crate::render::MAX_SAMPLE_RATE
            ),
            RenderError::InvalidValue { what, value, expected } => {
                write!(f, "{what} is {value}; expected {expected}")
            }
            RenderError::InvalidPitch { text } => write!(
                f,
                "{text:?} is not a pitch; expected a note name (a letter A to G, an optional # or b, \
                 and an octave number, like C4, F#3 or Bb2) or a frequency in Hz (like 440 or 440Hz)"
            ),
            RenderError::TooLong {
                frames,
                sample_rate,
                limit,
            } => {
                let secs = *frames / u64::from((*sample_rate).max(1));
                write!(
                    f,
                    "the output would be {frames} frames long ({}:{:02}:{:02} at {sample_rate} Hz), \
                     too long to hold {limit}",
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60
                )
            }
            RenderError::Io(e) => write!(f, "could not write the audio: {e}"),
            RenderError::Wav(why) => write!(f, "could not write the WAV data: {why}"),
        }
    }
}

impl std::error::Error for RenderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RenderError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl RenderError {
    /// The WAV writer's error as ours (the writer is an implementation
    /// detail: its type stays out of the public API).
    pub(crate) fn from_wav_writer(e: hound::Error) -> Self {
        match e {
            hound::Error::IoError(io) => RenderError::Io(io),
            other => RenderError::Wav(other.to_string()),
        }
    }
}

impl From<std::io::Error> for RenderError {
    fn from(e: std::io::Error) -> Self {
        RenderError::Io(e)
    }
}
