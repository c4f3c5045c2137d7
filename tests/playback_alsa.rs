//! Playback on a real ALSA device path: cpal plays into ALSA's `file`
//! plugin, and the test reads back what was played.
//!
//! Needs the `playback` feature and an ALSA configuration whose default
//! device is a `file` plugin writing raw audio to the path in
//! `POLYPHONICA_ALSA_CAPTURE`; `.ci/run` sets both up:
//!
//! ```text
//! pcm.!default { type file; slave.pcm "null"; file "/tmp/x/out.raw"; format "raw" }
//! ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:<that file> POLYPHONICA_ALSA_CAPTURE=/tmp/x/out.raw \
//!   cargo test --features playback --test playback_alsa -- --ignored
//! ```
#![cfg(feature = "playback")]

mod common;
use common::*;
use polyphonica::playback::OutputDevice;
use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
use std::time::Duration;

fn decode(raw: &[u8], format: &str) -> Vec<f32> {
    match format {
        "f32" => raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        "i16" => raw
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0)
            .collect(),
        "u16" => raw
            .chunks_exact(2)
            .map(|b| (u16::from_le_bytes([b[0], b[1]]) as f32 - 32768.0) / 32768.0)
            .collect(),
        "i32" => raw
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0)
            .collect(),
        other => panic!("the test does not decode {other} captures"),
    }
}

#[test]
#[ignore = "needs ALSA's file plugin as the default device: run through .ci/run"]
fn what_the_device_plays_is_the_engine_output() {
    let capture = std::env::var("POLYPHONICA_ALSA_CAPTURE")
        .expect("POLYPHONICA_ALSA_CAPTURE names the capture file");
    let _ = std::fs::remove_file(&capture);
    let device = OutputDevice::default_device().expect("a default output device");
    let (rate, channels, format) = (
        device.sample_rate(),
        device.channels() as usize,
        device.sample_format(),
    );
    println!(
        "device \"{}\": {rate} Hz, {channels} channels, {format}",
        device.name()
    );

    let mut engine = RealtimeEngine::new(rate as f32);
    engine.set_master_volume(0.5);
    engine
        .trigger_note(
            Waveform::Sine,
            440.0,
            AdsrEnvelope::new(0.0, 0.0, 1.0, 0.01),
        )
        .unwrap();
    let playback = device.play(engine).expect("the stream starts");
    std::thread::sleep(Duration::from_millis(300));
    let errors = playback.errors();
    drop(playback);
    assert!(errors.is_empty(), "device errors: {errors:?}");

    let raw = std::fs::read(&capture).expect("the file plugin wrote the capture");
    let bytes_per_sample = if format.ends_with("16") { 2 } else { 4 };
    let frames = (raw.len() / bytes_per_sample / channels).min(rate as usize);
    assert!(
        frames >= rate as usize / 10,
        "only {frames} frames captured"
    );
    let samples = decode(&raw[..frames * channels * bytes_per_sample], &format);
    let left: Vec<f32> = samples.iter().step_by(channels).copied().collect();
    let pitch = zero_crossing_hz(&left, rate as f32);
    let level = peak(&left);
    println!("captured {frames} frames: {pitch:.2} Hz, peak {level:.4}");
    assert!((pitch - 440.0).abs() < 0.5, "pitch {pitch}");
    assert!((level - 0.5).abs() < 0.01, "level {level}");
    if channels >= 2 {
        let right: Vec<f32> = samples.iter().skip(1).step_by(channels).copied().collect();
        assert_eq!(left, right, "a centred voice is the same on both channels");
    }
    let _ = std::fs::remove_file(&capture);
}
