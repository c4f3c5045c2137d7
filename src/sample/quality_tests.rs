//! Sound-quality measurements of sample playback: pitch-shift distortion,
//! loop seams, the tail after release and the sample-rate conversion.
//!
//! Run with `cargo test --lib quality_tests -- --nocapture` to see the
//! figures.

use rustfft::{num_complex::Complex, FftPlanner};

use super::{Interpolation, SampleData, SamplePlayhead};

/// `secs` of a sine at `hz`, sampled at `rate`, with amplitude `amp`.
fn sine(hz: f64, rate: u32, frames: usize, amp: f64) -> Vec<f32> {
    (0..frames)
        .map(|n| (amp * (std::f64::consts::TAU * hz * n as f64 / f64::from(rate)).sin()) as f32)
        .collect()
}

/// Renders `frames` output frames (mono) in engine-sized blocks.
fn render(sample: &SampleData, step: f64, held: bool, frames: usize) -> (Vec<f32>, usize) {
    let mut head = SamplePlayhead::new();
    let mut out = vec![0.0; frames];
    let mut written = 0;
    for block in out.chunks_mut(256) {
        written += head.render(sample, step, held, block, None);
    }
    (out, written)
}

/// Everything but the fundamental, relative to the fundamental, in dB:
/// Blackman-Harris (4-term) window, power within ±5 bins of `f0` against
/// the power of every other bin in 20 Hz–20 kHz.
fn distortion_db(signal: &[f32], rate: f64, f0: f64) -> f64 {
    use std::f64::consts::TAU;
    let n = signal.len();
    let mut buf: Vec<Complex<f64>> = signal
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let p = TAU * i as f64 / n as f64;
            let w =
                0.35875 - 0.48829 * p.cos() + 0.14128 * (2.0 * p).cos() - 0.01168 * (3.0 * p).cos();
            Complex::new(f64::from(x) * w, 0.0)
        })
        .collect();
    FftPlanner::new().plan_fft_forward(n).process(&mut buf);
    let bin_hz = rate / n as f64;
    let f0_bin = (f0 / bin_hz).round() as i64;
    let (mut fundamental, mut rest) = (0.0, 0.0);
    for (k, c) in buf.iter().enumerate().take(n / 2 + 1) {
        let hz = k as f64 * bin_hz;
        if (k as i64 - f0_bin).abs() <= 5 {
            fundamental += c.norm_sqr();
        } else if (20.0..=20_000.0).contains(&hz) {
            rest += c.norm_sqr();
        }
    }
    10.0 * (rest / fundamental).log10()
}

/// A recorded 1 kHz sine (1 s at 44.1 kHz, amplitude 0.5) looped on whole
/// cycles (10 cycles are 441 frames), replayed at three speeds.
#[test]
fn pitch_shift_distortion() {
    measure_pitch_shift(1_000.0);
}

/// The same at 5 kHz (50 cycles in 441 frames), where the cheap kernels
/// fall behind.
#[test]
fn pitch_shift_distortion_5khz() {
    measure_pitch_shift(5_000.0);
}

fn measure_pitch_shift(hz: f64) {
    const RATE: u32 = 44_100;
    let recording = sine(hz, RATE, 44_100, 0.5);
    let sample = SampleData::from_mono(recording, RATE)
        .unwrap()
        .with_loop(441, 44_100)
        .unwrap();
    // The floor of the measurement itself: a sine computed directly.
    let floor = distortion_db(&sine(1_900.0, RATE, 44_100, 0.5), 44_100.0, 1_900.0);
    println!("measurement floor (ideal 1.9 kHz sine): {floor:.1} dB");
    for interpolation in [
        Interpolation::Linear,
        Interpolation::Cubic,
        Interpolation::Lagrange,
        Interpolation::Sinc,
    ] {
        let s = sample.clone().with_interpolation(interpolation);
        for speed in [0.7, 1.5, 1.9] {
            // Skip the first frames (the sine starts abruptly at frame 0).
            let (out, n) = render(&s, speed, true, 2_048 + 44_100);
            assert_eq!(n, out.len());
            let db = distortion_db(&out[2_048..], f64::from(RATE), hz * speed);
            println!("{hz} Hz, {interpolation:?} at {speed}x: {db:.1} dB");
            if interpolation == Interpolation::Lagrange {
                let bar = if hz <= 1_000.0 { -130.0 } else { -65.0 };
                assert!(db <= bar, "Lagrange at {speed}x: {db:.1} dB");
            }
            if interpolation == Interpolation::Sinc {
                assert!(db <= -80.0, "sinc at {speed}x: {db:.1} dB");
                // And the tone keeps its level (the passband is flat).
                let power = out[2_048..]
                    .iter()
                    .map(|&v| f64::from(v).powi(2))
                    .sum::<f64>()
                    / 44_100.0;
                let gain_db = 10.0 * (power / 0.125).log10();
                assert!(gain_db.abs() < 0.01, "gain {gain_db} dB");
            }
        }
    }
}

/// Pitched up, what would land above the output's Nyquist frequency is
/// filtered out instead of folding back: a 15 kHz tone at 1.9x would alias
/// to 15.6 kHz.
#[test]
fn pitching_up_does_not_alias() {
    const RATE: u32 = 44_100;
    // 15 kHz: 15 cycles in 44.1 frames, so 150 cycles in 441.
    let sample = SampleData::from_mono(sine(15_000.0, RATE, 44_100, 0.5), RATE)
        .unwrap()
        .with_loop(441, 44_100)
        .unwrap();
    for (interpolation, bar) in [(Interpolation::Linear, 0.0), (Interpolation::Sinc, -80.0)] {
        let s = sample.clone().with_interpolation(interpolation);
        let (out, _) = render(&s, 1.9, true, 2_048 + 44_100);
        let power: f64 = out[2_048..]
            .iter()
            .map(|&v| f64::from(v).powi(2))
            .sum::<f64>()
            / 44_100.0;
        let db = 10.0 * (power / 0.125).log10();
        println!("15 kHz at 1.9x, {interpolation:?}: {db:.1} dB left");
        if interpolation == Interpolation::Sinc {
            assert!(db < bar, "{db:.1} dB");
        } else {
            // The alias is plainly there without the scaled cutoff.
            assert!(db > -20.0, "{db:.1} dB");
        }
    }
}

/// The natural largest step between output frames of a sine at `hz`.
fn natural_step(amp: f64, hz: f64, rate: f64) -> f64 {
    2.0 * amp * (std::f64::consts::PI * hz / rate).sin()
}

fn max_step(x: &[f32]) -> f64 {
    x.windows(2)
        .map(|w| f64::from((w[1] - w[0]).abs()))
        .fold(0.0, f64::max)
}

#[test]
fn loop_seam_is_seamless() {
    const RATE: u32 = 44_100;
    // 0.2 s of 1 kHz; the loop is cycles 10..90 (frames 441..3969).
    let recording = sine(1_000.0, RATE, 8_820, 0.5);
    let base = SampleData::from_mono(recording.clone(), RATE).unwrap();
    let whole = base.clone().with_loop(441, 3_969).unwrap();
    // A quarter cycle too long: a seam that jumps from the peak to 0.
    let broken = base.with_loop(441, 3_969 + 11).unwrap();
    for interpolation in [
        Interpolation::Linear,
        Interpolation::Cubic,
        Interpolation::Lagrange,
        Interpolation::Sinc,
    ] {
        for speed in [0.63, 1.0, 1.37] {
            let natural = natural_step(0.5, 1_000.0 * speed, f64::from(RATE));
            let s = whole.clone().with_interpolation(interpolation);
            // Many passes over the seam (about 3969 frames per pass).
            let (out, _) = render(&s, speed, true, 40_000);
            let seam = max_step(&out[64..]);
            println!("{interpolation:?} at {speed}x: largest step {seam:.5}, natural {natural:.5}");
            assert!(seam <= natural * 1.005, "{interpolation:?} {speed}x");
            let b = broken.clone().with_interpolation(interpolation);
            let (out, _) = render(&b, speed, true, 40_000);
            assert!(max_step(&out[64..]) > natural * 1.5, "the test sees seams");
        }
    }
}

#[test]
fn release_plays_the_tail_to_the_end() {
    const RATE: u32 = 44_100;
    // A sine, then a quieter tail after the loop (frames 4410.. at 1/4).
    let mut recording = sine(1_000.0, RATE, 8_820, 0.5);
    for v in &mut recording[4_410..] {
        *v *= 0.25;
    }
    let sample = SampleData::from_mono(recording.clone(), RATE)
        .unwrap()
        .with_loop(441, 4_410)
        .unwrap();
    for interpolation in [
        Interpolation::Linear,
        Interpolation::Cubic,
        Interpolation::Lagrange,
        Interpolation::Sinc,
    ] {
        for speed in [1.0, 0.75] {
            let s = sample.clone().with_interpolation(interpolation);
            let mut head = SamplePlayhead::new();
            let mut held = vec![0.0; 10_000];
            assert_eq!(head.render(&s, speed, true, &mut held, None), 10_000);
            // Where the playhead is: 10000 steps, wrapped into 441..4410.
            let pos = 10_000.0 * speed;
            let pos = 441.0 + (pos - 4_410.0) % 3_969.0;
            let mut tail = vec![1.0; 20_000];
            let n = head.render(&s, speed, false, &mut tail, None);
            let expected = ((8_820.0 - pos) / speed).ceil() as usize;
            assert_eq!(n, expected, "{interpolation:?} {speed}x");
            assert!(head.has_ended());
            assert!(tail[n..].iter().all(|&v| v == 0.0));
            // No jump at the release (the next 1000 frames stay inside the
            // loop's sine), and the tail is the quiet part.
            let mut joined = held[9_000..].to_vec();
            joined.extend_from_slice(&tail[..1_000]);
            let natural = natural_step(0.5, 1_000.0 * speed, f64::from(RATE));
            let step = max_step(&joined);
            assert!(
                step <= natural * 1.005,
                "{interpolation:?} {speed}x: step {step} at release, natural {natural}"
            );
            let last_quarter = &tail[n - n / 4..n - 64];
            let peak = last_quarter.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!((peak - 0.125).abs() < 0.002, "tail peak {peak}");
        }
    }
}

/// Rising zero crossings, linearly interpolated, give the frequency.
fn zero_crossing_hz(x: &[f32], rate: f64) -> f64 {
    let crossings: Vec<f64> = x
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] < 0.0 && w[1] >= 0.0)
        .map(|(i, w)| i as f64 + f64::from(w[0] / (w[0] - w[1])))
        .collect();
    let (first, last) = (crossings[0], crossings[crossings.len() - 1]);
    (crossings.len() - 1) as f64 * rate / (last - first)
}

#[test]
fn recording_rate_sets_the_pitch() {
    // A 1 kHz sine recorded at 22.05 kHz, played at its base frequency on a
    // 48 kHz engine: step = (note / base) * (file rate / engine rate).
    let sample = SampleData::from_mono(sine(1_000.0, 22_050, 44_100, 0.5), 22_050).unwrap();
    let note_hz = f64::from(sample.base_frequency_hz());
    let step = (note_hz / f64::from(sample.base_frequency_hz())) * (22_050.0 / 48_000.0);
    for interpolation in [Interpolation::Linear, Interpolation::Sinc] {
        let s = sample.clone().with_interpolation(interpolation);
        let (out, n) = render(&s, step, false, 48_000);
        assert_eq!(n, 48_000);
        let hz = zero_crossing_hz(&out[100..], 48_000.0);
        println!("{interpolation:?}: {hz:.4} Hz");
        assert!((hz - 1_000.0).abs() < 1.0, "{hz} Hz");
        // An octave up: twice the frequency.
        let (out, _) = render(&s, 2.0 * step, false, 40_000);
        let hz = zero_crossing_hz(&out[100..], 48_000.0);
        assert!((hz - 2_000.0).abs() < 2.0, "{hz} Hz");
    }
}

/// Rough cost of each kernel, in nanoseconds per stereo output frame. Not
/// a test of correctness: run it in release mode,
/// `cargo test --release --lib render_cost -- --ignored --nocapture`.
#[test]
#[ignore = "timing; run in release mode on demand"]
fn render_cost() {
    let frames = 441_000;
    let left = sine(1_000.0, 44_100, frames, 0.5);
    let right = sine(1_234.0, 44_100, frames, 0.5);
    let sample = SampleData::from_stereo(left, right, 44_100)
        .unwrap()
        .with_loop(0, frames)
        .unwrap();
    let (mut l, mut r) = (vec![0.0; 256], vec![0.0; 256]);
    for interpolation in [
        Interpolation::Linear,
        Interpolation::Cubic,
        Interpolation::Lagrange,
        Interpolation::Sinc,
    ] {
        for speed in [0.7, 1.0, 1.9, 4.0] {
            let s = sample.clone().with_interpolation(interpolation);
            let mut head = SamplePlayhead::new();
            let blocks = 1_000;
            // The best of a few runs: the machine may be busy.
            let ns = (0..7)
                .map(|_| {
                    let start = std::time::Instant::now();
                    for _ in 0..blocks {
                        head.render(&s, speed, true, &mut l, Some(&mut r));
                    }
                    start.elapsed().as_nanos() as f64 / (blocks * 256) as f64
                })
                .fold(f64::MAX, f64::min);
            println!("{interpolation:?} at {speed}x: {ns:.1} ns per stereo frame");
            std::hint::black_box((&l, &r));
        }
    }
}
