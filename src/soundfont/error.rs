//! `SoundFontError`: why a font did not load.

use std::fmt;

/// Why a SoundFont did not load. Every message names what is wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum SoundFontError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// Not a SoundFont at all (no `RIFF`…`sfbk` header).
    NotASoundFont,
    /// A chunk or record runs past the end of the file.
    Truncated(String),
    /// The structure is wrong: a required chunk missing, a record of the
    /// wrong size, an index out of range. The text says which.
    Invalid(String),
    /// A feature this build does not read (an Ogg Vorbis SoundFont 3 without
    /// the `sf3` feature, say).
    Unsupported(String),
}

impl fmt::Display for SoundFontError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SoundFontError::Io(e) => write!(f, "could not read the SoundFont: {e}"),
            SoundFontError::NotASoundFont => f.write_str("not a SoundFont (no RIFF sfbk header)"),
            SoundFontError::Truncated(why) => write!(f, "the SoundFont is cut short: {why}"),
            SoundFontError::Invalid(why) => write!(f, "not a valid SoundFont: {why}"),
            SoundFontError::Unsupported(why) => write!(f, "unsupported SoundFont: {why}"),
        }
    }
}

impl std::error::Error for SoundFontError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SoundFontError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for SoundFontError {
    fn from(e: std::io::Error) -> Self {
        SoundFontError::Io(e)
    }
}
