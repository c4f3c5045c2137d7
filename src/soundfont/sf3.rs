//! SoundFont 3: the samples are Ogg Vorbis streams (MuseScore's format, which
//! FluidSynth also reads), decoded with lewton when the font loads.
//!
//! In such a font a sample header's start and end are byte offsets of its
//! stream in the `smpl` chunk, and its loop is in frames from the sample's
//! start. Decoding turns every compressed sample back into 16-bit frames in
//! one buffer and rewrites its header as a SoundFont 2 header would be. A
//! sample that is not compressed (type bit 4 clear) is read as 16-bit
//! frames at its frame offsets, as in a SoundFont 2.

use std::io::Cursor;

use lewton::inside_ogg::OggStreamReader;

use super::{SampleHeader, SoundFontError};

/// Type bit of a compressed sample.
const OGG_VORBIS: u16 = 0x10;

/// The most frames all the samples may decode to (a bound on what a
/// hostile font can make the loader allocate): 2^30, two gigabytes.
pub(super) const MAX_DECODED_FRAMES: usize = 1 << 30;

/// Every sample of `smpl` as 16-bit frames, headers rewritten to point into
/// them.
pub(super) fn decode(
    smpl: &[u8],
    headers: &mut [SampleHeader],
) -> Result<Vec<i16>, SoundFontError> {
    let mut data: Vec<i16> = Vec::new();
    for header in headers.iter_mut() {
        let first = data.len();
        if header.kind & OGG_VORBIS != 0 {
            let (start, end) = (header.start as usize, header.end as usize);
            let stream = smpl.get(start..end.max(start)).ok_or_else(|| {
                SoundFontError::Invalid(format!(
                    "sample {:?} lies at bytes {start}..{end} of a {}-byte sample chunk",
                    header.name,
                    smpl.len()
                ))
            })?;
            decode_stream(&header.name, stream, &mut data)?;
        } else {
            let (start, end) = (header.start as usize * 2, header.end as usize * 2);
            let bytes = smpl.get(start..end.max(start)).unwrap_or(&[]);
            data.extend(
                bytes
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]])),
            );
            let frames = (data.len() - first) as u32;
            header.loop_start = header.loop_start.saturating_sub(header.start).min(frames);
            header.loop_end = header.loop_end.saturating_sub(header.start).min(frames);
        }
        if data.len() > MAX_DECODED_FRAMES {
            return Err(SoundFontError::Invalid(format!(
                "the samples decode to more than {MAX_DECODED_FRAMES} frames"
            )));
        }
        let first_u32 = first as u32;
        header.start = first_u32;
        header.end = data.len() as u32;
        header.loop_start = first_u32.saturating_add(header.loop_start);
        header.loop_end = first_u32.saturating_add(header.loop_end);
        header.kind &= !OGG_VORBIS;
    }
    Ok(data)
}

/// Appends the mono 16-bit frames of one Ogg Vorbis `stream` to `data`
/// (a stereo stream's first channel).
fn decode_stream(name: &str, stream: &[u8], data: &mut Vec<i16>) -> Result<(), SoundFontError> {
    let broken = |e: lewton::VorbisError| {
        SoundFontError::Invalid(format!(
            "sample {name:?} does not decode as Ogg Vorbis: {e}"
        ))
    };
    let mut reader = OggStreamReader::new(Cursor::new(stream)).map_err(broken)?;
    let channels = usize::from(reader.ident_hdr.audio_channels.max(1));
    while let Some(packet) = reader.read_dec_packet_itl().map_err(broken)? {
        data.extend(packet.iter().step_by(channels));
        if data.len() > MAX_DECODED_FRAMES {
            return Err(SoundFontError::Invalid(format!(
                "the samples decode to more than {MAX_DECODED_FRAMES} frames"
            )));
        }
    }
    Ok(())
}
