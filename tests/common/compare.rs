//! Comparing two renders of the same music by ear's measures: overall
//! level, loudness envelope (RMS in 50 ms windows) and spectrum (power in
//! octave bands), each in decibels; and FluidSynth as the reference
//! renderer.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use rustfft::{num_complex::Complex, FftPlanner};

/// The sample rate of every comparison.
pub const RATE: u32 = 44_100;

/// A Standard MIDI File (format 0, 480 ticks a beat at 120 beats per
/// minute, so a tick is 1/960 s) of `events`: (tick, message bytes).
pub fn smf(events: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut track = vec![0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20];
    let mut events = events.to_vec();
    events.sort_by_key(|e| e.0);
    let mut now = 0;
    for (tick, bytes) in events {
        let mut delta = tick - now;
        now = tick;
        let mut var = vec![(delta & 0x7F) as u8];
        delta >>= 7;
        while delta > 0 {
            var.insert(0, 0x80 | (delta & 0x7F) as u8);
            delta >>= 7;
        }
        track.extend(var);
        track.extend(bytes);
    }
    track.extend([0x00, 0xFF, 0x2F, 0x00]);
    let mut file = b"MThd\0\0\0\x06\0\0\0\x01\x01\xE0MTrk".to_vec();
    file.extend((track.len() as u32).to_be_bytes());
    file.extend(track);
    file
}

/// Renders `song` with FluidSynth's command line, reverb and chorus off,
/// at [`RATE`]: interleaved stereo. `None` when `fluidsynth` is missing.
pub fn fluidsynth(font: &str, song: &Path, scratch: &Path) -> Option<Vec<f32>> {
    let out = scratch.join(format!(
        "{}.fluidsynth.wav",
        song.file_stem()?.to_string_lossy()
    ));
    let status = Command::new("fluidsynth")
        .args(["-ni", "-R", "0", "-C", "0", "-F"])
        .arg(&out)
        .args(["-r", &RATE.to_string()])
        .arg(font)
        .arg(song)
        .output()
        .ok()?;
    assert!(status.status.success(), "fluidsynth failed: {status:?}");
    let mut reader = hound::WavReader::open(&out).expect("fluidsynth's WAV");
    Some(
        reader
            .samples::<i16>()
            .map(|s| f32::from(s.unwrap()) / 32_768.0)
            .collect(),
    )
}

/// Decibels of a power.
pub fn db(power: f64) -> f64 {
    10.0 * (power + 1e-20).log10()
}

/// Mean power of a signal.
pub fn power(signal: &[f32]) -> f64 {
    signal
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        / signal.len().max(1) as f64
}

/// The loudness envelope's window for single notes (their attacks and
/// releases).
pub const NOTE_WINDOW_SECS: f64 = 0.05;
/// The loudness envelope's window for pieces: EBU R 128's momentary
/// loudness.
pub const PIECE_WINDOW_SECS: f64 = 0.4;

/// RMS power in windows of `window_secs`.
pub fn envelope(signal: &[f32], window_secs: f64) -> Vec<f64> {
    let window = ((window_secs * f64::from(RATE)) as usize).max(1);
    signal.chunks(window).map(power).collect::<Vec<_>>()
}

/// Power in octave bands centred 63 Hz … 16 kHz, from Hann-windowed FFTs
/// of 4096 frames, hop 2048, summed over the signal.
pub fn octave_bands(signal: &[f32]) -> [f64; 9] {
    const N: usize = 4096;
    let fft = FftPlanner::<f32>::new().plan_fft_forward(N);
    let window: Vec<f32> = (0..N)
        .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / N as f32).cos())
        .collect();
    let mut bands = [0.0f64; 9];
    let mut start = 0;
    while start + N <= signal.len().max(N) {
        let mut buf: Vec<Complex<f32>> = (0..N)
            .map(|i| {
                Complex::new(
                    signal.get(start + i).copied().unwrap_or(0.0) * window[i],
                    0.0,
                )
            })
            .collect();
        fft.process(&mut buf);
        for (bin, c) in buf.iter().enumerate().take(N / 2).skip(1) {
            let hz = bin as f64 * f64::from(RATE) / N as f64;
            let band = (hz / 62.5).log2().round();
            if (0.0..9.0).contains(&band) {
                bands[band as usize] += f64::from(c.norm_sqr());
            }
        }
        start += N / 2;
    }
    bands
}

/// How far apart two renders are, in decibels, after `gain_db` is added to
/// ours.
#[derive(Debug, Clone, Copy)]
pub struct Difference {
    /// Our level minus the reference's (before the gain).
    pub level_db: f64,
    /// The largest envelope difference over the windows where the
    /// reference is within 30 dB of its loudest.
    pub envelope_db: f64,
    /// The largest band difference over the bands within 30 dB of the
    /// reference's loudest, the spectra each relative to its total.
    pub spectrum_db: f64,
}

/// The left and right channels of interleaved stereo.
pub fn channels(stereo: &[f32]) -> (Vec<f32>, Vec<f32>) {
    stereo.chunks_exact(2).map(|f| (f[0], f[1])).unzip()
}

/// Compares two interleaved stereo renders by the sum of their channels'
/// powers (so a stereo pair's channels, which a mid fold-down would let
/// cancel, count as they sound), our level shifted by `gain_db`.
pub fn stereo_difference(
    reference: &[f32],
    ours: &[f32],
    gain_db: f64,
    window_secs: f64,
) -> Difference {
    let (rl, rr) = channels(reference);
    let (ol, or) = channels(ours);
    let sum = |a: Vec<f64>, b: Vec<f64>| -> Vec<f64> {
        let n = a.len().max(b.len());
        (0..n)
            .map(|i| a.get(i).unwrap_or(&0.0) + b.get(i).unwrap_or(&0.0))
            .collect()
    };
    let bands = |l: &[f32], r: &[f32]| {
        let (a, b) = (octave_bands(l), octave_bands(r));
        std::array::from_fn::<f64, 9, _>(|i| a[i] + b[i])
    };
    let energy = |l: &[f32], r: &[f32]| power(l) * l.len() as f64 + power(r) * r.len() as f64;
    compare(
        energy(&rl, &rr),
        energy(&ol, &or),
        &sum(envelope(&rl, window_secs), envelope(&rr, window_secs)),
        &sum(envelope(&ol, window_secs), envelope(&or, window_secs)),
        &bands(&rl, &rr),
        &bands(&ol, &or),
        gain_db,
    )
}

/// The measures of [`Difference`] from energies, envelopes and bands.
fn compare(
    reference_energy: f64,
    our_energy: f64,
    er: &[f64],
    eo: &[f64],
    br: &[f64; 9],
    bo: &[f64; 9],
    gain_db: f64,
) -> Difference {
    let level_db = db(our_energy) - db(reference_energy);
    let loudest = er.iter().cloned().fold(0.0, f64::max);
    let mut envelope_db = 0.0f64;
    for (i, &r) in er.iter().enumerate() {
        if db(r) > db(loudest) - 30.0 {
            let o = eo.get(i).copied().unwrap_or(0.0);
            envelope_db = envelope_db.max((db(o) + gain_db - db(r)).abs());
        }
    }
    let (tr, to) = (br.iter().sum::<f64>(), bo.iter().sum::<f64>());
    let top = br.iter().cloned().fold(0.0, f64::max);
    let mut spectrum_db = 0.0f64;
    for b in 0..9 {
        if db(br[b]) > db(top) - 30.0 {
            spectrum_db = spectrum_db.max((db(bo[b] / to) - db(br[b] / tr)).abs());
        }
    }
    Difference {
        level_db,
        envelope_db,
        spectrum_db,
    }
}

/// The frequency of the strongest spectral peak of `signal` (a Hann
/// window over its first 32768 frames, the peak refined by a parabola).
pub fn peak_hz(signal: &[f32]) -> f64 {
    const N: usize = 32_768;
    let fft = FftPlanner::<f32>::new().plan_fft_forward(N);
    let mut buf: Vec<Complex<f32>> = (0..N)
        .map(|i| {
            let w = 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / N as f32).cos();
            Complex::new(signal.get(i).copied().unwrap_or(0.0) * w, 0.0)
        })
        .collect();
    fft.process(&mut buf);
    let mag: Vec<f64> = buf[..N / 2]
        .iter()
        .map(|c| f64::from(c.norm()).max(1e-30).ln())
        .collect();
    let k = (1..N / 2 - 1)
        .max_by(|&a, &b| mag[a].total_cmp(&mag[b]))
        .unwrap();
    let (a, b, c) = (mag[k - 1], mag[k], mag[k + 1]);
    let shift = 0.5 * (a - c) / (a - 2.0 * b + c);
    (k as f64 + shift) * f64::from(RATE) / N as f64
}
