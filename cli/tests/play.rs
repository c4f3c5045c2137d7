//! `polyphonica play` on a real ALSA device path: the binary plays into
//! ALSA's `file` plugin and the test reads back what it played. Needs the
//! `playback` feature and the ALSA set-up `.ci/run` makes (see
//! tests/playback_alsa.rs in the library).
#![cfg(feature = "playback")]

use std::process::Command;
use std::sync::Mutex;

/// The tests share the device's one capture file: one plays at a time.
static DEVICE: Mutex<()> = Mutex::new(());

const BIN: &str = env!("CARGO_BIN_EXE_polyphonica");

/// Runs `polyphonica play ARGS…` and returns the device's rate, which it
/// prints ("playing on … (48000 Hz, 2 channels, f32)"); the captures are
/// decoded as f32 stereo.
fn play_on_the_device(args: &[&str]) -> u32 {
    let out = Command::new(BIN).arg("play").args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "play failed: {stderr}");
    assert!(stderr.contains("playing on"), "{stderr}");
    assert!(
        stderr.contains("2 channels, f32"),
        "the tests decode f32 stereo captures: {stderr}"
    );
    stderr
        .split('(')
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn rising_zero_crossing_hz(x: &[f32], rate: f32) -> f32 {
    let c: Vec<usize> = (1..x.len())
        .filter(|&i| x[i - 1] < 0.0 && x[i] >= 0.0)
        .collect();
    assert!(c.len() > 2, "no tone in the capture");
    (c.len() - 1) as f32 / ((c[c.len() - 1] - c[0]) as f32 / rate)
}

#[test]
#[ignore = "needs ALSA's file plugin as the default device: run through .ci/run"]
fn play_sends_a_score_to_the_device() {
    let _device = DEVICE.lock().unwrap_or_else(|e| e.into_inner());
    let capture = std::env::var("POLYPHONICA_ALSA_CAPTURE")
        .expect("POLYPHONICA_ALSA_CAPTURE names the capture file");
    let _ = std::fs::remove_file(&capture);
    let dir = std::env::temp_dir().join(format!("polyphonica-play-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let score = dir.join("a4.toml");
    std::fs::write(
        &score,
        "duration = 0.5\n[[note]]\ntime = 0\nduration = 0.5\npitch = \"A4\"\nwaveform = \"sine\"\namplitude = 0.5\nenvelope = { attack = 0.0, decay = 0.0, sustain = 1.0, release = 0.0 }\n",
    )
    .unwrap();
    let rate = play_on_the_device(&[score.to_str().unwrap()]) as f32;
    let raw = std::fs::read(&capture).expect("the file plugin wrote the capture");
    let left: Vec<f32> = raw
        .chunks_exact(8)
        .take((rate * 0.4) as usize)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let peak = left.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    let hz = rising_zero_crossing_hz(&left, rate);
    println!("captured {} frames: {hz:.2} Hz, peak {peak:.3}", left.len());
    assert!((hz - 440.0).abs() < 0.5, "pitch {hz}");
    assert!((peak - 0.5).abs() < 0.01, "level {peak}");
    let _ = std::fs::remove_file(&capture);
}

/// One note (A4, velocity 100, half a second) on channel 1's piano: a
/// format-0 MIDI file at 480 ticks per quarter note and 120 beats per
/// minute.
fn one_note_midi() -> Vec<u8> {
    let track: Vec<u8> = [
        &[0x00, 0x90, 69, 100][..],
        &[0x83, 0x60, 0x80, 69, 0][..],
        &[0x00, 0xFF, 0x2F, 0x00][..],
    ]
    .concat();
    let mut file = b"MThd\0\0\0\x06\0\0\0\x01\x01\xE0MTrk".to_vec();
    file.extend_from_slice(&(track.len() as u32).to_be_bytes());
    file.extend_from_slice(&track);
    file
}

#[test]
#[ignore = "needs ALSA's file plugin as the default device and Debian's timgm6mb-soundfont: run through .ci/run"]
fn play_sends_a_midi_file_through_a_soundfont_to_the_device() {
    const FONT: &str = "/usr/share/sounds/sf2/TimGM6mb.sf2";
    let _device = DEVICE.lock().unwrap_or_else(|e| e.into_inner());
    let capture = std::env::var("POLYPHONICA_ALSA_CAPTURE")
        .expect("POLYPHONICA_ALSA_CAPTURE names the capture file");
    let _ = std::fs::remove_file(&capture);
    let dir = std::env::temp_dir().join(format!("polyphonica-play-sf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let song = dir.join("a4.mid");
    std::fs::write(&song, one_note_midi()).unwrap();
    let rate = play_on_the_device(&[song.to_str().unwrap(), "--soundfont", FONT]);
    // What the device got is what the offline render of the same file
    // at the device's rate gives.
    let wav = dir.join("a4.wav");
    let rendered = Command::new(BIN)
        .args(["midi", song.to_str().unwrap(), "--soundfont", FONT])
        .args(["-r", &rate.to_string(), "-f", "float32", "-o"])
        .arg(&wav)
        .output()
        .unwrap();
    assert!(rendered.status.success(), "{rendered:?}");
    let offline: Vec<f32> = hound::WavReader::open(&wav)
        .unwrap()
        .into_samples::<f32>()
        .map(Result::unwrap)
        .collect();
    let raw = std::fs::read(&capture).expect("the file plugin wrote the capture");
    let played: Vec<f32> = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let frames = (rate as usize * 6 / 10).min(offline.len() / 2);
    assert!(
        played.len() / 2 >= frames,
        "captured {} frames",
        played.len() / 2
    );
    let rms = |x: &[f32]| (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).sqrt();
    let level = rms(&offline[..frames * 2]);
    let difference: Vec<f32> = played[..frames * 2]
        .iter()
        .zip(&offline[..frames * 2])
        .map(|(p, o)| p - o)
        .collect();
    let off = rms(&difference);
    println!(
        "captured {} frames at {rate} Hz: level {level:.4} RMS, {off:.2e} RMS from the offline render",
        played.len() / 2
    );
    assert!(level > 0.002, "the piano is heard: {level}");
    assert!(off < 1e-3 * level, "{off} against {level}");
    let _ = std::fs::remove_file(&capture);
}
