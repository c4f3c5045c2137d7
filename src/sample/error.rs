//! The one error type of sample loading.

use std::fmt;

/// Why a sample could not be loaded or configured.
///
/// Every variant's message is a sentence that says what is wrong, so it can
/// be shown to a user as it is.
///
/// ```
/// use polyphonica::{SampleData, SampleError};
///
/// let err = SampleData::from_wav_file("no/such/file.wav").unwrap_err();
/// assert!(matches!(err, SampleError::Io(_)));
/// assert!(err.to_string().contains("could not read"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SampleError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The data is not a well-formed WAV file; the text says what was found.
    InvalidWav(String),
    /// The file is a WAV file in an encoding this crate does not decode
    /// (for example big-endian RIFX, 64-bit float or µ-law).
    Unsupported(String),
    /// The file holds no audio frames.
    Empty,
    /// A parameter given to a constructor or builder is out of range; the text
    /// names it.
    InvalidParameter(String),
}

impl fmt::Display for SampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SampleError::Io(e) => write!(f, "could not read the sample file: {e}"),
            SampleError::InvalidWav(why) => write!(f, "not a valid WAV file: {why}"),
            SampleError::Unsupported(why) => write!(f, "unsupported WAV encoding: {why}"),
            SampleError::Empty => write!(f, "the WAV file holds no audio frames"),
            SampleError::InvalidParameter(why) => write!(f, "invalid sample parameter: {why}"),
        }
    }
}

impl std::error::Error for SampleError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SampleError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for SampleError {
    fn from(e: std::io::Error) -> Self {
        SampleError::Io(e)
    }
}
