//! `polyphonica play` on a real ALSA device path: the binary plays into
//! ALSA's `file` plugin and the test reads back what it played. Needs the
//! `playback` feature and the ALSA set-up `.ci/run` makes (see
//! tests/playback_alsa.rs in the library).
#![cfg(feature = "playback")]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_polyphonica");

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
    let out = Command::new(BIN)
        .args(["play", score.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "play failed: {stderr}");
    assert!(stderr.contains("playing on"), "{stderr}");
    // The device's format is printed: "(48000 Hz, 2 channels, f32)".
    let rate: f32 = stderr
        .split('(')
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        stderr.contains("2 channels, f32"),
        "the test decodes f32 stereo captures: {stderr}"
    );
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
