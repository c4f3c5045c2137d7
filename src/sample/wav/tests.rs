//! The WAV reader on hand-made files: every format, every way to be wrong.

use super::*;

/// A canonical WAV file: a 16-byte fmt chunk (or 40-byte extensible one)
/// and the data.
fn wav(tag: u16, channels: u16, rate: u32, bits: u16, data: &[u8]) -> Vec<u8> {
    let block = channels * bits.div_ceil(8);
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&tag.to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    riff(&[(b"fmt ", &fmt), (b"data", data)])
}

fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut body = b"WAVE".to_vec();
    for (id, content) in chunks {
        body.extend_from_slice(*id);
        body.extend_from_slice(&(content.len() as u32).to_le_bytes());
        body.extend_from_slice(content);
        if content.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn mono(bytes: &[u8]) -> Vec<f32> {
    let mut d = decode_wav_bytes(bytes).unwrap();
    assert_eq!(d.channels.len(), 1);
    d.channels.remove(0)
}

#[test]
fn eight_bit_is_unsigned_and_scaled() {
    let got = mono(&wav(1, 1, 8000, 8, &[0, 128, 255, 64]));
    assert_eq!(got, vec![-1.0, 0.0, 127.0 / 128.0, -0.5]);
}

#[test]
fn sixteen_bit_full_scale() {
    let data: Vec<u8> = [i16::MIN, 0, i16::MAX, -16_384]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let got = mono(&wav(1, 1, 44_100, 16, &data));
    assert_eq!(got, vec![-1.0, 0.0, 32_767.0 / 32_768.0, -0.5]);
    assert!(got[2] < 1.0);
}

#[test]
fn twenty_four_bit_full_scale_and_sign() {
    let codes = [-8_388_608i32, 0, 8_388_607, -1, 4_194_304];
    let data: Vec<u8> = codes
        .iter()
        .flat_map(|v| v.to_le_bytes().into_iter().take(3))
        .collect();
    let got = mono(&wav(1, 1, 48_000, 24, &data));
    assert_eq!(got[0], -1.0);
    assert_eq!(got[1], 0.0);
    assert!(got[2] < 1.0 && got[2] > 0.999_999);
    assert_eq!(got[3], -1.0 / 8_388_608.0);
    assert_eq!(got[4], 0.5);
}

#[test]
fn thirty_two_bit_full_scale() {
    let codes = [i32::MIN, 0, i32::MAX, 1 << 30];
    let data: Vec<u8> = codes.iter().flat_map(|v| v.to_le_bytes()).collect();
    let got = mono(&wav(1, 1, 48_000, 32, &data));
    assert_eq!(got[0], -1.0);
    assert_eq!(got[1], 0.0);
    // 1 - 2^-31 is not an f32: it rounds to 1.0, never above.
    assert!(got[2] <= 1.0 && got[2] > 0.999_999);
    assert_eq!(got[3], 0.5);
}

#[test]
fn float_is_clamped_and_sanitised() {
    let vals = [0.25f32, -1.0, 2.0, f32::NAN, f32::NEG_INFINITY, -3.0e38];
    let data: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
    let got = mono(&wav(3, 1, 48_000, 32, &data));
    assert_eq!(got, vec![0.25, -1.0, 1.0, 0.0, 0.0, -1.0]);
}

#[test]
fn stereo_is_deinterleaved_and_extra_channels_dropped() {
    let data: Vec<u8> = [1i16, 2, 3, 4, 5, 6]
        .iter()
        .flat_map(|v| (v * 1024).to_le_bytes())
        .collect();
    let d = decode_wav_bytes(&wav(1, 3, 8000, 16, &data)).unwrap();
    assert_eq!(d.channels.len(), 2);
    assert_eq!(d.channels[0], vec![1.0 / 32.0, 4.0 / 32.0]);
    assert_eq!(d.channels[1], vec![2.0 / 32.0, 5.0 / 32.0]);
    let d = decode_wav_bytes(&wav(1, 2, 8000, 16, &data)).unwrap();
    assert_eq!(d.channels[0], vec![1.0 / 32.0, 3.0 / 32.0, 5.0 / 32.0]);
    assert_eq!(d.channels[1], vec![2.0 / 32.0, 4.0 / 32.0, 6.0 / 32.0]);
}

fn pcm24_in_4(extensible: bool, data: &[u8]) -> Vec<f32> {
    let mut fmt = Vec::new();
    let tag: u16 = if extensible { 0xFFFE } else { 1 };
    let bits: u16 = if extensible { 32 } else { 24 };
    for v in [tag, 1] {
        fmt.extend_from_slice(&v.to_le_bytes());
    }
    fmt.extend_from_slice(&48_000u32.to_le_bytes());
    fmt.extend_from_slice(&192_000u32.to_le_bytes());
    for v in [4u16, bits] {
        fmt.extend_from_slice(&v.to_le_bytes());
    }
    if extensible {
        for v in [22u16, 24] {
            fmt.extend_from_slice(&v.to_le_bytes());
        }
        fmt.extend_from_slice(&4u32.to_le_bytes());
        fmt.extend_from_slice(&[1, 0]);
        fmt.extend_from_slice(&GUID_SUFFIX);
    }
    mono(&riff(&[(b"fmt ", &fmt), (b"data", data)]))
}

#[test]
fn twenty_four_in_thirty_two_follows_the_data() {
    // Left-justified: low byte zero.
    let left: Vec<u8> = [0x4000_0000i32, -0x8000_0000]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    assert_eq!(pcm24_in_4(true, &left), vec![0.5, -1.0]);
    assert_eq!(pcm24_in_4(false, &left), vec![0.5, -1.0]);
    // Right-justified and sign-extended.
    let right: Vec<u8> = [0x40_0001i32, -0x80_0000]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let want = vec![(0x40_0001 as f64 / 8_388_608.0) as f32, -1.0];
    assert_eq!(pcm24_in_4(true, &right), want);
    assert_eq!(pcm24_in_4(false, &right), want);
}

#[test]
fn odd_chunks_are_padded() {
    let mut fmt = wav(1, 1, 8000, 16, &[]);
    // Take the fmt chunk from a canonical file and put an odd LIST
    // chunk between it and the data.
    let fmt_body = fmt.split_off(20)[..16].to_vec();
    let bytes = riff(&[
        (b"fmt ", &fmt_body),
        (b"LIST", b"odd"),
        (b"data", &[0, 0x40]),
    ]);
    assert_eq!(mono(&bytes), vec![0.5]);
}

#[test]
fn errors_name_the_problem() {
    let err = |b: &[u8]| decode_wav_bytes(b).unwrap_err().to_string();
    assert!(err(&[]).contains("empty (0 bytes)"));
    assert!(err(b"RIF").contains("truncated"));
    assert!(err(b"RIFX\0\0\0\0WAVE").contains("big-endian RIFX"));
    assert!(err(b"RF64\0\0\0\0WAVE").contains("RF64"));
    assert!(err(b"RIFF\0\0\0\0AVI ").contains("not WAVE"));
    assert!(err(b"RIFF\0\0\0\0WAVE").contains("no data chunk"));
    assert!(err(&riff(&[(b"data", &[0, 0])])).contains("no fmt chunk"));
    assert!(err(&wav(1, 1, 8000, 12, &[0, 0])).contains("12-bit"));
    assert!(err(&wav(3, 1, 8000, 64, &[0; 8])).contains("64-bit float"));
    assert!(err(&wav(3, 1, 8000, 16, &[0; 8])).contains("16-bit float"));
    assert!(err(&wav(7, 1, 8000, 8, &[0; 8])).contains("µ-law"));
    assert!(err(&wav(6, 1, 8000, 8, &[0; 8])).contains("A-law"));
    assert!(err(&wav(2, 1, 8000, 4, &[0; 8])).contains("ADPCM"));
    assert!(err(&wav(0x1234, 1, 8000, 16, &[0; 8])).contains("0x1234"));
    assert!(err(&wav(1, 0, 8000, 16, &[0; 8])).contains("0 channels"));
    assert!(err(&wav(1, 1, 0, 16, &[0; 8])).contains("0 Hz"));
    assert!(err(&wav(1, 2, 8000, 16, &[0; 6])).contains("whole number"));
    assert!(err(&wav(1, 1, 8000, 16, &[])).contains("no audio frames"));
    let mut cut = wav(1, 1, 8000, 16, &[0; 100]);
    cut.truncate(cut.len() - 10);
    assert!(err(&cut).contains("declares 100 bytes but the file holds only 90"));
    let mut bad_align = wav(1, 1, 8000, 16, &[0; 8]);
    bad_align[32] = 3;
    assert!(err(&bad_align).contains("block alignment of 3 bytes"));
}
