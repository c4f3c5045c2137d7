//! WAV decoding: every supported encoding becomes `f32` frames in
//! `-1.0..=1.0`, one vector per channel.
//!
//! The RIFF structure is parsed here rather than by `hound`, because hound
//! (3.5) is too lenient in some places and too strict in others for a loader
//! whose errors must say what is wrong:
//!
//! - a data chunk cut short by the end of the file surfaces as a bare I/O
//!   error ("Failed to read enough bytes.") with `ErrorKind::Other`, and so
//!   does a zero-length file;
//! - big-endian RIFX is reported as "no RIFF tag found", µ-law, A-law and
//!   ADPCM as a bare `Unsupported` that names nothing, 64-bit float as "bits
//!   per sample is not 32";
//! - an odd-sized chunk before the data (a `LIST` chunk, say) is skipped
//!   without its pad byte, so a valid file fails to load;
//! - `WAVE_FORMAT_EXTENSIBLE` 24-bit samples in 32-bit containers are read
//!   from the low three bytes, while that format stores them left-justified
//!   (high three bytes), which turns them into noise;
//! - a redundant field (the byte rate) that disagrees with the others makes
//!   the whole file unreadable.
//!
//! Decisions taken here, also written in the documentation of
//! [`SampleData::from_wav_file`](crate::SampleData::from_wav_file):
//!
//! - Supported: format tag PCM (1) with 8-bit unsigned, 16, 24 and 32-bit
//!   signed samples; IEEE float (3) with 32-bit samples; and the same two
//!   inside `WAVE_FORMAT_EXTENSIBLE`. Any channel count: the first two
//!   channels are kept (for standard layouts, front left and front right),
//!   the rest dropped. Any sample rate above 0 Hz.
//! - Integer scaling divides by 2^(bits-1): the most negative code maps to
//!   -1.0, the most positive just below +1.0 (for 32-bit samples it rounds to
//!   exactly 1.0 in `f32`). Float samples are clamped to `-1.0..=1.0` and
//!   non-finite ones become 0.0.
//! - 24-bit samples stored in 4-byte containers are read as the high three
//!   bytes (left-justified, as `WAVE_FORMAT_EXTENSIBLE` specifies) or the low
//!   three (right-justified, as ALSA's `S24_LE` writes them) according to the
//!   data: if every low byte is zero the samples are left-justified, else if
//!   every high byte is a sign extension they are right-justified, else the
//!   header decides (extensible: left, plain PCM: right).
//! - A data chunk shorter than its declared length (a truncated file), an
//!   empty data chunk, or a length that is not a whole number of frames is an
//!   error. Chunks after the data chunk are not read, and a few stray bytes
//!   after the last chunk are ignored. The RIFF length and the byte rate are
//!   redundant and not checked.

use std::io::Read;

use super::SampleError;
use crate::limits::{read_rest, FileKind};

/// Decoded audio: one or two channels of equal length and their rate.
#[derive(Debug)]
pub(crate) struct DecodedAudio {
    /// One vector per channel (1 or 2), all the same length.
    pub(crate) channels: Vec<Vec<f32>>,
    /// Frames per second of the file.
    pub(crate) sample_rate: u32,
}

/// Decodes a WAV stream (see the module documentation for what is accepted).
///
/// Checks the RIFF header first, then reads the stream to its end, at most
/// `max_bytes`; I/O errors (a stream past the limit among them) are
/// [`SampleError::Io`].
pub(crate) fn decode_wav<R: Read>(
    mut reader: R,
    max_bytes: u64,
) -> Result<DecodedAudio, SampleError> {
    let mut header = Vec::with_capacity(RIFF_HEADER_BYTES);
    (&mut reader)
        .take(RIFF_HEADER_BYTES as u64)
        .read_to_end(&mut header)?;
    check_riff_header(&header)?;
    let bytes = read_rest(reader, header, FileKind::Wav, max_bytes)?;
    decode_wav_bytes(&bytes)
}

/// The RIFF/WAVE header's length: what [`check_riff_header`] needs.
pub(crate) const RIFF_HEADER_BYTES: usize = 12;

const TAG_PCM: u16 = 0x0001;
const TAG_FLOAT: u16 = 0x0003;
const TAG_EXTENSIBLE: u16 = 0xFFFE;
/// The last 14 bytes of the `KSDATAFORMAT_SUBTYPE_*` GUIDs derived from a
/// format tag (`XXXXXXXX-0000-0010-8000-00AA00389B71`), as stored in a file.
const GUID_SUFFIX: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// How one sample is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    U8,
    I16,
    /// 24-bit in 3 bytes.
    I24,
    /// 24-bit in the low three bytes of 4.
    I24LowIn32,
    /// 24-bit in the high three bytes of 4; also any left-justified 32-bit
    /// container.
    I32,
    F32,
}

impl Encoding {
    fn bytes(self) -> usize {
        match self {
            Encoding::U8 => 1,
            Encoding::I16 => 2,
            Encoding::I24 => 3,
            Encoding::I24LowIn32 | Encoding::I32 | Encoding::F32 => 4,
        }
    }

    /// The sample at the start of `b` (at least `self.bytes()` long).
    #[inline]
    fn decode(self, b: &[u8]) -> f32 {
        match self {
            Encoding::U8 => (f32::from(b[0]) - 128.0) * (1.0 / 128.0),
            Encoding::I16 => f32::from(i16::from_le_bytes([b[0], b[1]])) * (1.0 / 32_768.0),
            Encoding::I24 | Encoding::I24LowIn32 => {
                // Put the 24 bits at the top of an i32 and shift back down
                // to sign-extend.
                let v = i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8;
                (f64::from(v) * (1.0 / 8_388_608.0)) as f32
            }
            Encoding::I32 => {
                let v = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                (f64::from(v) * (1.0 / 2_147_483_648.0)) as f32
            }
            Encoding::F32 => {
                let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                if v.is_finite() {
                    v.clamp(-1.0, 1.0)
                } else {
                    0.0
                }
            }
        }
    }
}

/// The fields of the fmt chunk this decoder uses.
#[derive(Debug)]
struct Format {
    channels: usize,
    sample_rate: u32,
    block_align: usize,
    encoding: Encoding,
    /// 24 bits in 4-byte containers: whether the header says
    /// left-justified (extensible) when the data does not tell.
    prefers_left_justified: bool,
}

fn invalid(why: impl Into<String>) -> SampleError {
    SampleError::InvalidWav(why.into())
}

fn unsupported(why: impl Into<String>) -> SampleError {
    SampleError::Unsupported(why.into())
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Decodes a whole WAV file held in memory.
pub(crate) fn decode_wav_bytes(bytes: &[u8]) -> Result<DecodedAudio, SampleError> {
    check_riff_header(bytes)?;
    let (fmt_chunk, data) = find_chunks(bytes)?;
    let format = parse_format(fmt_chunk)?;
    let data = check_data(data, &format)?;
    Ok(decode_frames(data, &format))
}

/// Checks that `bytes` (the file, or at least its first 12 bytes) start a
/// little-endian RIFF/WAVE file.
pub(crate) fn check_riff_header(bytes: &[u8]) -> Result<(), SampleError> {
    if bytes.is_empty() {
        return Err(invalid(
            "the file is empty (0 bytes), with no RIFF/WAVE header",
        ));
    }
    let magic = &bytes[..bytes.len().min(4)];
    if magic == b"RIFX" {
        return Err(unsupported(
            "big-endian RIFX file (only little-endian RIFF WAV files are decoded)",
        ));
    }
    if magic == b"RF64" || magic == b"BW64" {
        return Err(unsupported(
            "RF64/BW64 (64-bit RIFF) file; only plain RIFF WAV files are decoded",
        ));
    }
    if bytes.len() < 12 {
        if b"RIFF".starts_with(magic) {
            return Err(invalid(format!(
                "truncated: the file is only {} bytes long, shorter than the 12-byte RIFF/WAVE header",
                bytes.len()
            )));
        }
    } else if magic == b"RIFF" {
        if &bytes[8..12] != b"WAVE" {
            return Err(invalid("a RIFF file of another type, not WAVE"));
        }
        return Ok(());
    }
    // The file's bytes are never quoted: an error message must not show
    // the contents of a file that was never audio (a key, a password file).
    Err(invalid(
        "no RIFF header: the file does not start with \"RIFF\" (it is not a WAV file)",
    ))
}

/// The fmt chunk's body and the data chunk's body (as far as the file
/// holds it) with its declared length.
type Chunks<'a> = (&'a [u8], (&'a [u8], usize));

fn find_chunks(bytes: &[u8]) -> Result<Chunks<'_>, SampleError> {
    let mut fmt_chunk: Option<&[u8]> = None;
    let mut data: Option<(&[u8], usize)> = None;
    let mut at = 12usize;
    // Every pass moves `at` forward by at least 8 bytes, so this ends.
    while bytes.len().saturating_sub(at) >= 8 {
        let id = &bytes[at..at + 4];
        let declared = u32_at(bytes, at + 4) as usize;
        let body_start = at + 8;
        let body_end = body_start.saturating_add(declared);
        match id {
            b"fmt " if fmt_chunk.is_none() => {
                if body_end > bytes.len() {
                    return Err(invalid(format!(
                        "truncated: the fmt chunk declares {declared} bytes but the file ends {} bytes into it",
                        bytes.len() - body_start
                    )));
                }
                fmt_chunk = Some(&bytes[body_start..body_end]);
            }
            b"data" if data.is_none() => {
                let held = &bytes[body_start..body_end.min(bytes.len())];
                data = Some((held, declared));
            }
            _ => {}
        }
        if let (Some(f), Some(d)) = (fmt_chunk, data) {
            return Ok((f, d));
        }
        // Chunks are padded to an even length.
        at = body_end.saturating_add(declared & 1);
    }
    match (fmt_chunk, data) {
        (None, Some(_)) => Err(invalid(
            "no fmt chunk: the file does not say how its samples are encoded",
        )),
        (_, None) => Err(invalid(if at > bytes.len() {
            "truncated: the file ends inside a chunk before any data chunk"
        } else {
            "no data chunk: the file holds no audio"
        })),
        (Some(f), Some(d)) => Ok((f, d)),
    }
}

fn format_tag_name(tag: u16) -> String {
    let name = match tag {
        0x0000 => "an unknown encoding",
        0x0002 => "Microsoft ADPCM",
        0x0006 => "A-law compressed audio",
        0x0007 => "µ-law compressed audio",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10 compressed audio",
        0x0050 => "MPEG audio",
        0x0055 => "MP3 audio",
        0x0161..=0x0163 => "Windows Media Audio",
        0x1610 => "AAC audio",
        _ => "an unknown encoding",
    };
    format!(
        "{name} (format tag 0x{tag:04X}); only integer PCM and 32-bit float samples are decoded"
    )
}

fn parse_format(f: &[u8]) -> Result<Format, SampleError> {
    if f.len() < 16 {
        return Err(invalid(format!(
            "the fmt chunk is {} bytes long, shorter than the 16 bytes of a WAVE format header",
            f.len()
        )));
    }
    let mut tag = u16_at(f, 0);
    let channels = usize::from(u16_at(f, 2));
    let sample_rate = u32_at(f, 4);
    let block_align = usize::from(u16_at(f, 12));
    let bits = u16_at(f, 14);
    let extensible = tag == TAG_EXTENSIBLE;
    if extensible {
        if f.len() < 40 || u16_at(f, 16) < 22 {
            return Err(invalid(
                "the fmt chunk says WAVE_FORMAT_EXTENSIBLE but is too short to hold its sub-format",
            ));
        }
        let valid_bits = u16_at(f, 18);
        if valid_bits > bits {
            return Err(invalid(format!(
                "the fmt chunk declares {valid_bits} valid bits in {bits}-bit containers"
            )));
        }
        let guid = &f[24..40];
        if guid[2..] != GUID_SUFFIX {
            return Err(unsupported(
                "WAVE_FORMAT_EXTENSIBLE with a sub-format GUID that is not PCM or IEEE float",
            ));
        }
        tag = u16_at(guid, 0);
    }
    if channels == 0 {
        return Err(invalid("the fmt chunk declares 0 channels"));
    }
    if sample_rate == 0 {
        return Err(invalid("the fmt chunk declares a sample rate of 0 Hz"));
    }
    let kind = if extensible {
        "WAVE_FORMAT_EXTENSIBLE "
    } else {
        ""
    };
    let encoding = match (tag, bits) {
        (TAG_PCM, 8) => Encoding::U8,
        (TAG_PCM, 16) => Encoding::I16,
        (TAG_PCM, 24) => Encoding::I24,
        (TAG_PCM, 32) => Encoding::I32,
        (TAG_PCM, _) => {
            return Err(unsupported(format!(
                "{bits}-bit {kind}integer samples (8, 16, 24 and 32-bit are decoded)"
            )))
        }
        (TAG_FLOAT, 32) => Encoding::F32,
        (TAG_FLOAT, _) => {
            return Err(unsupported(format!(
                "{bits}-bit {kind}float samples (only 32-bit float is decoded)"
            )))
        }
        (other, _) => return Err(unsupported(format_tag_name(other))),
    };
    // Extensible 24 valid bits in 32-bit containers: the same 24-in-4 case
    // as plain PCM (justification decided by the data).
    let encoding = if extensible && encoding == Encoding::I32 && u16_at(f, 18) == 24 {
        Encoding::I24LowIn32
    } else {
        encoding
    };
    let encoding = if block_align == channels * encoding.bytes() {
        encoding
    } else if encoding == Encoding::I24 && block_align == channels * 4 {
        Encoding::I24LowIn32
    } else {
        return Err(invalid(format!(
            "the block alignment of {block_align} bytes does not fit {channels} channel(s) of {bits}-bit samples"
        )));
    };
    Ok(Format {
        channels,
        sample_rate,
        block_align,
        encoding,
        prefers_left_justified: extensible,
    })
}

/// The complete data chunk body, or why it is unusable.
fn check_data<'a>(
    (held, declared): (&'a [u8], usize),
    format: &Format,
) -> Result<&'a [u8], SampleError> {
    if held.len() < declared {
        return Err(invalid(format!(
            "truncated: the data chunk declares {declared} bytes but the file holds only {}",
            held.len()
        )));
    }
    if declared == 0 {
        return Err(SampleError::Empty);
    }
    if declared % format.block_align != 0 {
        return Err(invalid(format!(
            "the data chunk's {declared} bytes are not a whole number of {}-byte frames",
            format.block_align
        )));
    }
    Ok(held)
}

/// Whether 24-bit samples in 4-byte containers sit in the high three bytes.
fn left_justified_24_in_32(data: &[u8], format: &Format) -> bool {
    let mut low_bytes_zero = true;
    let mut high_bytes_sign = true;
    for s in data.chunks_exact(4) {
        low_bytes_zero &= s[0] == 0;
        let sign = if s[2] & 0x80 != 0 { 0xFF } else { 0x00 };
        high_bytes_sign &= s[3] == sign;
        if !low_bytes_zero && !high_bytes_sign {
            break;
        }
    }
    match (low_bytes_zero, high_bytes_sign) {
        (true, false) => true,
        (false, true) => false,
        _ => format.prefers_left_justified,
    }
}

fn decode_frames(data: &[u8], format: &Format) -> DecodedAudio {
    let mut encoding = format.encoding;
    if encoding == Encoding::I24LowIn32 && left_justified_24_in_32(data, format) {
        encoding = Encoding::I32;
    }
    let size = encoding.bytes();
    let kept = format.channels.min(2);
    let frames = data.len() / format.block_align;
    let channels = (0..kept)
        .map(|c| {
            data.chunks_exact(format.block_align)
                .map(|frame| encoding.decode(&frame[c * size..]))
                .collect::<Vec<f32>>()
        })
        .collect::<Vec<_>>();
    debug_assert!(channels.iter().all(|c| c.len() == frames));
    DecodedAudio {
        channels,
        sample_rate: format.sample_rate,
    }
}

#[cfg(test)]
mod tests;
