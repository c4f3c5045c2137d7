//! The RIFF layer of a SoundFont: chunks and lists, every length checked
//! against the bytes that are there before anything is read or allocated.

use super::SoundFontError;

/// One chunk: its four-character id and its body.
#[derive(Clone, Copy, Debug)]
pub(super) struct Chunk<'a> {
    pub(super) id: [u8; 4],
    pub(super) body: &'a [u8],
}

/// The chunks one after another in `bytes` (each body padded to an even
/// length). A chunk whose length runs past the end is an error naming it;
/// a stray byte or three at the very end is ignored.
pub(super) fn chunks(bytes: &[u8]) -> impl Iterator<Item = Result<Chunk<'_>, SoundFontError>> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.len() < 8 {
            return None;
        }
        let id: [u8; 4] = rest[..4].try_into().expect("four bytes");
        let len = u32::from_le_bytes(rest[4..8].try_into().expect("four bytes")) as usize;
        let body_and_more = &rest[8..];
        if len > body_and_more.len() {
            rest = &[];
            return Some(Err(SoundFontError::Truncated(format!(
                "the {} chunk says {len} bytes, {} are left",
                name(id),
                body_and_more.len()
            ))));
        }
        let body = &body_and_more[..len];
        // An odd-sized chunk is followed by a pad byte, except where its
        // writer left it out (MuseScore's SoundFont 3 files): then the next
        // chunk's id starts right after the body.
        let padded = len + (len & 1);
        let next = if len & 1 == 1
            && !looks_like_chunk(body_and_more.get(padded..))
            && looks_like_chunk(body_and_more.get(len..))
        {
            len
        } else {
            padded.min(body_and_more.len())
        };
        rest = &body_and_more[next..];
        Some(Ok(Chunk { id, body }))
    })
}

/// Whether `bytes` start with a chunk: four characters an id is made of,
/// and a length that fits in what follows.
fn looks_like_chunk(bytes: Option<&[u8]>) -> bool {
    bytes.is_some_and(|b| {
        b.len() >= 8
            && b[..4]
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b' ')
            && u32_at(b, 4) as usize <= b.len() - 8
    })
}

/// The body of a `LIST` chunk of type `kind`: its sub-chunks.
pub(super) fn list<'a>(chunk: &Chunk<'a>, kind: &[u8; 4]) -> Option<&'a [u8]> {
    (chunk.id == *b"LIST" && chunk.body.len() >= 4 && &chunk.body[..4] == kind)
        .then(|| &chunk.body[4..])
}

/// A chunk id for messages (`smpl`, or its bytes when not printable).
pub(super) fn name(id: [u8; 4]) -> String {
    if id.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        String::from_utf8_lossy(&id).into_owned()
    } else {
        format!("{id:02x?}")
    }
}

/// A fixed-size name field: up to its first NUL, Latin-1 read as UTF-8
/// where it can be, trailing spaces dropped.
pub(super) fn text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end])
        .trim_end()
        .to_string()
}

/// Little-endian readers over a record.
pub(super) fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// See [`u16_at`].
pub(super) fn i16_at(b: &[u8], at: usize) -> i16 {
    i16::from_le_bytes([b[at], b[at + 1]])
}

/// See [`u16_at`].
pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_chunks_with_padding_and_refuses_an_overlong_one() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(b"abcd\x03\x00\x00\x00xyz\x00");
        bytes.extend_from_slice(b"efgh\x02\x00\x00\x00pq");
        bytes.push(7); // a stray byte
        let found: Vec<_> = chunks(&bytes).map(|c| c.unwrap()).collect();
        assert_eq!(found.len(), 2);
        assert_eq!((&found[0].id, found[0].body), (b"abcd", &b"xyz"[..]));
        assert_eq!((&found[1].id, found[1].body), (b"efgh", &b"pq"[..]));
        // An odd chunk with its pad byte left out.
        let unpadded = b"abcd\x01\x00\x00\x00xefgh\x00\x00\x00\x00";
        let ids: Vec<[u8; 4]> = chunks(unpadded).map(|c| c.unwrap().id).collect();
        assert_eq!(ids, [*b"abcd", *b"efgh"]);
        let long = b"smpl\xff\xff\xff\x7fabc";
        let err = chunks(long).next().unwrap().unwrap_err();
        assert!(err.to_string().contains("smpl"), "{err}");
        assert_eq!(chunks(long).count(), 1);
    }
}
