//! Measurements shared by the integration tests: pitch, level, clicks.
#![allow(dead_code)]

pub mod compare;
pub mod sf2;

use polyphonica::RealtimeEngine;

/// Renders `frames` mono frames in blocks of `block` frames.
pub fn render_mono(engine: &mut RealtimeEngine, frames: usize, block: usize) -> Vec<f32> {
    let mut out = vec![0.0; frames];
    for chunk in out.chunks_mut(block) {
        engine.process_buffer(chunk);
    }
    out
}

/// Renders `frames` interleaved stereo frames in blocks of `block` frames.
pub fn render_stereo(engine: &mut RealtimeEngine, frames: usize, block: usize) -> Vec<f32> {
    let mut out = vec![0.0; frames * 2];
    for chunk in out.chunks_mut(block * 2) {
        engine.process_stereo_buffer(chunk);
    }
    out
}

/// Frequency from the rising zero crossings, interpolated between samples.
pub fn zero_crossing_hz(signal: &[f32], sample_rate: f32) -> f32 {
    let mut crossings = Vec::new();
    for (i, w) in signal.windows(2).enumerate() {
        if w[0] < 0.0 && w[1] >= 0.0 {
            let frac = -w[0] / (w[1] - w[0]);
            crossings.push(i as f64 + frac as f64);
        }
    }
    assert!(
        crossings.len() >= 2,
        "signal has fewer than two rising zero crossings"
    );
    let span = crossings.last().unwrap() - crossings[0];
    ((crossings.len() - 1) as f64 / span * sample_rate as f64) as f32
}

/// Largest absolute sample.
pub fn peak(signal: &[f32]) -> f32 {
    signal.iter().fold(0.0f32, |m, s| m.max(s.abs()))
}

/// Root mean square.
pub fn rms(signal: &[f32]) -> f32 {
    (signal.iter().map(|s| (*s as f64).powi(2)).sum::<f64>() / signal.len().max(1) as f64).sqrt()
        as f32
}

/// Largest sample-to-sample step: a click shows as a step far above the
/// signal's own.
pub fn max_step(signal: &[f32]) -> f32 {
    signal
        .windows(2)
        .fold(0.0f32, |m, w| m.max((w[1] - w[0]).abs()))
}

/// Every sample finite and within [-1, 1].
pub fn assert_bounded(signal: &[f32]) {
    for (i, s) in signal.iter().enumerate() {
        assert!(s.is_finite() && s.abs() <= 1.0, "sample {i} is {s}");
    }
}

/// Left and right channels of an interleaved buffer.
pub fn split_stereo(interleaved: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let left = interleaved.iter().step_by(2).copied().collect();
    let right = interleaved.iter().skip(1).step_by(2).copied().collect();
    (left, right)
}

/// One second of a sine at `hz`, as a mono sample recorded at `rate`.
pub fn sine_frames(hz: f32, rate: u32, seconds: f32, amplitude: f32) -> Vec<f32> {
    let n = (rate as f32 * seconds) as usize;
    (0..n)
        .map(|i| {
            (std::f64::consts::TAU * hz as f64 * i as f64 / rate as f64).sin() as f32 * amplitude
        })
        .collect()
}

pub mod alloc_counter;
pub mod mutate;
pub mod stress;
