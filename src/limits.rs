//! `InputLimits`: how large a file of each kind may be, and the one
//! function that reads input files within them.
//!
//! Every file the crate reads (WAV samples, MIDI files, scores) goes
//! through one reader: it refuses anything that is not a regular file
//! (a device such as `/dev/zero`, a FIFO, a directory) before opening it,
//! refuses a file larger than its kind's limit before reading it, lets the
//! caller check the format's header before the body is read, and never
//! reads past the limit, so an endless or growing stream cannot exhaust
//! memory.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

const MIB: u64 = 1 << 20;

/// The largest input file of each kind the crate reads, in bytes.
///
/// The defaults are far above any real file of the kind and far below what
/// would exhaust memory; raise them for an unusual file. A WAV file cannot
/// exceed 4 GiB (its sizes are 32-bit), so that is the most `wav_bytes`
/// is used up to.
///
/// ```
/// use polyphonica::SampleData;
/// use polyphonica::limits::InputLimits;
///
/// let limits = InputLimits::default();
/// assert_eq!(limits.wav_bytes, 1 << 30);
/// let tiny = InputLimits { wav_bytes: 100, ..limits };
/// let err = SampleData::from_wav_file_with_limits("tests/data/kick.wav", &tiny).unwrap_err();
/// assert!(err.to_string().contains("larger than"), "{err}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputLimits {
    /// WAV samples: 1 GiB by default (over 3 hours of 16-bit stereo at
    /// 44.1 kHz; it decodes to twice its size in memory).
    pub wav_bytes: u64,
    /// Standard MIDI Files: 256 MiB by default (the largest real files,
    /// "black MIDI", are a few hundred MiB; ordinary ones under 1 MiB).
    pub midi_bytes: u64,
    /// TOML scores: 16 MiB by default (some 300,000 notes).
    pub score_bytes: u64,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            wav_bytes: 1024 * MIB,
            midi_bytes: 256 * MIB,
            score_bytes: 16 * MIB,
        }
    }
}

impl InputLimits {
    /// The same limit, `bytes`, for every kind of file.
    ///
    /// ```
    /// use polyphonica::limits::InputLimits;
    /// assert_eq!(InputLimits::all(5).midi_bytes, 5);
    /// ```
    pub fn all(bytes: u64) -> Self {
        InputLimits {
            wav_bytes: bytes,
            midi_bytes: bytes,
            score_bytes: bytes,
        }
    }
}

/// What kind of file is being read, for messages.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FileKind {
    Wav,
    Midi,
    #[cfg_attr(not(feature = "score"), allow(dead_code))]
    Score,
}

impl FileKind {
    fn name(self) -> &'static str {
        match self {
            FileKind::Wav => "a WAV file",
            FileKind::Midi => "a MIDI file",
            FileKind::Score => "a score",
        }
    }

    fn field(self) -> &'static str {
        match self {
            FileKind::Wav => "wav_bytes",
            FileKind::Midi => "midi_bytes",
            FileKind::Score => "score_bytes",
        }
    }
}

/// An error for a file whose size `bytes` passes the limit `max`.
pub(crate) fn too_large(kind: FileKind, bytes: u64, max: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!(
            "the file is larger than the {} allowed for {} ({bytes} bytes; \
             raise InputLimits::{} or the command-line tool's --max-input-mib)",
            describe_bytes(max),
            kind.name(),
            kind.field()
        ),
    )
}

fn describe_bytes(bytes: u64) -> String {
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads the file at `path` whole, within `max_bytes`.
///
/// `check_header` sees the first `header_len` bytes (fewer if the file is
/// shorter) before anything else is read; an error from it is returned as
/// it is. Files that are not regular files are refused unopened.
pub(crate) fn read_capped<E: From<io::Error>>(
    path: &Path,
    kind: FileKind,
    max_bytes: u64,
    header_len: usize,
    check_header: impl FnOnce(&[u8]) -> Result<(), E>,
) -> Result<Vec<u8>, E> {
    check_regular(path, kind)?;
    let mut file = File::open(path)?;
    // The path may have changed since it was checked: check what was opened.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(kind, "a special file").into());
    }
    let len = meta.len();
    if len > max_bytes {
        return Err(too_large(kind, len, max_bytes).into());
    }
    let mut bytes = Vec::with_capacity(header_len.min(len as usize));
    (&mut file)
        .take(header_len as u64)
        .read_to_end(&mut bytes)?;
    check_header(&bytes)?;
    read_rest(file, bytes, kind, max_bytes).map_err(E::from)
}

/// Reads `reader` to its end after `bytes` (what was read of it already),
/// within `max_bytes` in all.
pub(crate) fn read_rest(
    reader: impl Read,
    mut bytes: Vec<u8>,
    kind: FileKind,
    max_bytes: u64,
) -> io::Result<Vec<u8>> {
    let room = max_bytes.saturating_sub(bytes.len() as u64);
    // One byte past the limit tells a stream that goes on from one that
    // ends exactly there.
    reader
        .take(room.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(kind, bytes.len() as u64, max_bytes));
    }
    Ok(bytes)
}

/// Refuses a path that is not a regular file (following symbolic links),
/// without opening it: opening a FIFO would wait for a writer, reading a
/// device would never end.
fn check_regular(path: &Path, kind: FileKind) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        return Ok(());
    }
    let what = if meta.is_dir() {
        "a directory"
    } else {
        special_kind(&meta)
    };
    Err(not_regular(kind, what))
}

fn not_regular(kind: FileKind, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "it is {what}, not a regular file (only regular files are read as {})",
            kind.name()
        ),
    )
}

#[cfg(unix)]
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::Metadata) -> &'static str {
    "a special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &str, max: u64) -> io::Result<Vec<u8>> {
        read_capped(Path::new(path), FileKind::Wav, max, 4, |_| Ok(()))
    }

    #[test]
    #[cfg(unix)]
    fn devices_and_directories_are_refused_unread() {
        let e = read("/dev/zero", 1 << 30).unwrap_err();
        assert!(
            e.to_string()
                .contains("a character device, not a regular file"),
            "{e}"
        );
        let e = read("/", 1 << 30).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
    }

    #[test]
    fn a_file_over_the_limit_is_refused_before_reading() {
        let e = read("tests/data/kick.wav", 100).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(
            e.to_string()
                .contains("larger than the 100 bytes allowed for a WAV file"),
            "{e}"
        );
        assert!(read("tests/data/kick.wav", 1 << 20).is_ok());
    }

    #[test]
    fn an_endless_stream_stops_at_the_limit() {
        let endless = io::repeat(0);
        let e = read_rest(endless, vec![1, 2], FileKind::Midi, 10 * MIB).unwrap_err();
        assert!(
            e.to_string()
                .contains("larger than the 10 MiB allowed for a MIDI file"),
            "{e}"
        );
        let exact = read_rest(&[7u8; 8][..], vec![1, 2], FileKind::Score, 10).unwrap();
        assert_eq!(exact.len(), 10);
    }

    #[test]
    fn the_header_is_checked_before_the_body() {
        let mut seen = 0;
        let r: Result<Vec<u8>, io::Error> = read_capped(
            Path::new("tests/data/kick.wav"),
            FileKind::Wav,
            1 << 20,
            12,
            |h| {
                seen = h.len();
                Err(io::Error::other("bad header"))
            },
        );
        assert_eq!(r.unwrap_err().to_string(), "bad header");
        assert_eq!(seen, 12);
    }
}
