//! The filters measured: responses by sine sweeps, slopes, ringing by zero
//! crossings, aliasing of the drive by spectrum, stability by property
//! tests.

use super::ladder::{drive_gain, feedback};
use super::svf::damping;
use super::*;
use crate::dsp::spectrum_test_util::off_harmonic_db;
use proptest::prelude::*;

const SR: f32 = 48_000.0;

#[derive(Clone, Copy)]
enum Kind {
    Svf(SvfMode),
    Ladder { drive: f32 },
}

/// Runs `input` through one filter in lane 3 (the other lanes silent), at a
/// fixed cutoff and resonance, in control segments as the engine does. A
/// state-variable filter runs both in a full batch and in a narrow one
/// (its closed-form update), which must agree.
fn filter(kind: Kind, cutoff_hz: f32, resonance: f32, input: &[f32]) -> Vec<f32> {
    filter_moving(kind, input, |_| (cutoff_hz, resonance))
}

/// As [`filter`], with the cutoff and resonance of each segment from
/// `settings(segment)`.
fn filter_moving(
    kind: Kind,
    input: &[f32],
    mut settings: impl FnMut(usize) -> (f32, f32),
) -> Vec<f32> {
    const LANE: usize = 3;
    let (c0, r0) = settings(0);
    let mut svf = SvfBatch::default();
    let mut narrow = SvfBatch::default();
    // One lane in its own row, and two (the second fed the input negated:
    // the filter and the bound on its memory are odd, so it gives the
    // output negated).
    let mut one_row = SvfBatch::default();
    let mut two_rows = SvfBatch::default();
    let mut ladder = LadderBatch::default();
    match kind {
        Kind::Svf(mode) => {
            let load = |batch: &mut SvfBatch, lane| {
                batch.load(
                    lane,
                    SvfState::default(),
                    mode,
                    prewarp(c0, SR),
                    damping(r0),
                )
            };
            load(&mut svf, LANE);
            load(&mut narrow, LANE);
            load(&mut one_row, 0);
            load(&mut two_rows, 0);
            load(&mut two_rows, 1);
        }
        Kind::Ladder { drive } => ladder.load(
            LANE,
            LadderState::default(),
            drive_gain(drive),
            prewarp(c0, SR),
            feedback(r0),
        ),
    }
    let mut out = Vec::with_capacity(input.len());
    for (segment, chunk) in input.chunks(CONTROL_FRAMES).enumerate() {
        let (c, r) = settings(segment + 1);
        let mut frames: Vec<Lanes> = chunk
            .iter()
            .map(|&x| {
                let mut f = [0.0; LANES];
                f[LANE] = x;
                f
            })
            .collect();
        let mut g = [0.0; LANES];
        let mut k = [0.0; LANES];
        g[LANE] = prewarp(c, SR);
        match kind {
            Kind::Svf(_) => {
                k[LANE] = damping(r);
                let mut narrow_frames = frames.clone();
                svf.run(&mut frames, &g, &k, LANES);
                narrow.run(&mut narrow_frames, &g, &k, NARROW);
                let mut row = chunk.to_vec();
                let (mut first, mut second) =
                    (chunk.to_vec(), chunk.iter().map(|x| -x).collect::<Vec<_>>());
                let (mut g_rows, mut k_rows) = ([0.0; LANES], [0.0; LANES]);
                g_rows[..2].fill(g[LANE]);
                k_rows[..2].fill(k[LANE]);
                one_row.run_rows([&mut row], &g_rows, &k_rows);
                two_rows.run_rows([&mut first, &mut second], &g_rows, &k_rows);
                let close = |a: f32, b: f32| (a - b).abs() <= 1e-3 * a.abs().max(1.0);
                for (j, (wide, few)) in frames.iter().zip(&narrow_frames).enumerate() {
                    let (a, b) = (wide[LANE], few[LANE]);
                    assert!(close(a, b), "narrow {b} against full {a}");
                    assert!(few[NARROW..].iter().all(|&y| y == 0.0));
                    assert!(close(a, row[j]), "one row {} against full {a}", row[j]);
                    assert!(close(a, first[j]), "two rows {} against full {a}", first[j]);
                    assert!(
                        close(-a, second[j]),
                        "the second row {} against {}",
                        second[j],
                        -a
                    );
                }
            }
            Kind::Ladder { .. } => {
                k[LANE] = feedback(r);
                ladder.run(&mut frames, &g, &k);
            }
        }
        for (l, f) in frames.iter().enumerate() {
            assert!(
                f.iter().enumerate().all(|(i, &y)| i == LANE || y == 0.0),
                "frame {l}"
            );
            out.push(f[LANE]);
        }
        // Memory goes through the voice between blocks.
        if segment % 16 == 15 {
            match kind {
                Kind::Svf(mode) => {
                    let st = svf.store(LANE);
                    svf.load(LANE, st, mode, g[LANE], k[LANE]);
                    let st = narrow.store(LANE);
                    narrow.load(LANE, st, mode, g[LANE], k[LANE]);
                    for (batch, lanes) in [(&mut one_row, 1), (&mut two_rows, 2)] {
                        for lane in 0..lanes {
                            let st = batch.store(lane);
                            batch.load(lane, st, mode, g[LANE], k[LANE]);
                        }
                    }
                }
                Kind::Ladder { drive } => {
                    let st = ladder.store(LANE);
                    ladder.load(LANE, st, drive_gain(drive), g[LANE], k[LANE]);
                }
            }
        }
    }
    out
}

fn sine(hz: f32, frames: usize) -> Vec<f32> {
    (0..frames)
        .map(|i| (std::f64::consts::TAU * f64::from(hz) * i as f64 / f64::from(SR)).sin() as f32)
        .collect()
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

/// The steady-state gain in dB at `hz`.
fn gain_db(kind: Kind, cutoff_hz: f32, resonance: f32, hz: f32) -> f64 {
    let frames = 24_000;
    let out = filter(kind, cutoff_hz, resonance, &sine(hz, frames));
    20.0 * (rms(&out[frames / 2..]) / std::f64::consts::FRAC_1_SQRT_2).log10()
}

#[test]
fn resonance_0_is_butterworth_minus_3_db_at_the_cutoff() {
    for mode in [SvfMode::Lowpass, SvfMode::Highpass] {
        for cutoff in [100.0, 1000.0, 8000.0] {
            let db = gain_db(Kind::Svf(mode), cutoff, 0.0, cutoff);
            assert!(
                (db + 3.0).abs() <= 1.0,
                "{mode:?} at {cutoff} Hz: {db:.2} dB"
            );
            // Flat in the passband.
            let pass = if mode == SvfMode::Lowpass {
                cutoff / 8.0
            } else {
                (cutoff * 4.0).min(20_000.0)
            };
            let db = gain_db(Kind::Svf(mode), cutoff, 0.0, pass);
            assert!(db.abs() < 0.3, "{mode:?} {cutoff} Hz passband: {db:.2} dB");
        }
    }
}

#[test]
fn slopes_are_12_and_24_db_per_octave() {
    let cases = [
        (Kind::Svf(SvfMode::Lowpass), 500.0, 2000.0, 4000.0, 12.0),
        (Kind::Svf(SvfMode::Highpass), 2000.0, 500.0, 250.0, 12.0),
        (Kind::Ladder { drive: 0.0 }, 500.0, 2000.0, 4000.0, 24.0),
    ];
    for (kind, cutoff, f1, f2, want) in cases {
        let slope = gain_db(kind, cutoff, 0.0, f1) - gain_db(kind, cutoff, 0.0, f2);
        println!("slope {slope:.2} dB/octave (want {want})");
        assert!((slope - want).abs() <= 2.0, "slope {slope:.2}, want {want}");
    }
}

#[test]
fn the_bandpass_peaks_at_the_cutoff_and_the_notch_is_deep() {
    for cutoff in [300.0_f32, 2000.0] {
        let mut best = (0.0, f64::NEG_INFINITY);
        for step in -20..=20 {
            let hz = cutoff * 2f32.powf(step as f32 / 40.0);
            let db = gain_db(Kind::Svf(SvfMode::Bandpass), cutoff, 0.5, hz);
            if db > best.1 {
                best = (hz, db);
            }
        }
        println!(
            "bandpass {cutoff} Hz: peak at {:.1} Hz, {:.2} dB",
            best.0, best.1
        );
        assert!((best.0 / cutoff - 1.0).abs() < 0.02, "peak at {}", best.0);
        assert!(best.1.abs() < 0.5, "peak gain {:.2} dB", best.1);
        let notch = gain_db(Kind::Svf(SvfMode::Notch), cutoff, 0.0, cutoff);
        println!("notch {cutoff} Hz: {notch:.1} dB");
        assert!(notch <= -20.0, "notch only {notch:.1} dB");
    }
}

/// Zero crossings per second / 2 of the second half of `x`.
fn ring_hz(x: &[f32]) -> f64 {
    let tail = &x[x.len() / 2..];
    let crossings = tail
        .windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count();
    crossings as f64 / 2.0 / (tail.len() as f64 / f64::from(SR))
}

#[test]
fn resonance_1_rings_at_the_cutoff() {
    for kind in [
        Kind::Svf(SvfMode::Lowpass),
        Kind::Svf(SvfMode::Highpass),
        Kind::Ladder { drive: 0.0 },
    ] {
        for cutoff in [220.0_f32, 1000.0, 5000.0] {
            let mut click = vec![0.0; 48_000];
            click[0] = 1.0;
            let out = filter(kind, cutoff, 1.0, &click);
            let hz = ring_hz(&out);
            let level = rms(&out[24_000..]);
            println!("rings at {hz:.1} Hz for a cutoff of {cutoff} Hz (rms {level:.4})");
            assert!(level > 1e-4, "no ringing left");
            assert!(
                (hz / f64::from(cutoff) - 1.0).abs() < 0.03,
                "{hz} Hz for {cutoff}"
            );
        }
    }
}

#[test]
fn a_cutoff_jump_makes_no_click() {
    // A 110 Hz saw-like ramp, the cutoff jumping 200 Hz -> 8 kHz between
    // control segments: the largest step stays that of the input.
    let input: Vec<f32> = (0..48_000)
        .map(|i| ((i as f32 * 110.0 / SR) % 1.0) * 0.2 - 0.1)
        .collect();
    let steady = filter(Kind::Svf(SvfMode::Lowpass), 8000.0, 0.3, &input);
    let steady_step = largest_step(&steady[4800..]);
    for kind in [Kind::Svf(SvfMode::Lowpass), Kind::Ladder { drive: 0.0 }] {
        let out = filter_moving(kind, &input, |s| {
            if (s / 100) % 2 == 0 {
                (200.0, 0.3)
            } else {
                (8000.0, 0.3)
            }
        });
        let step = largest_step(&out[4800..]);
        println!("largest step {step:.4} (steady filter {steady_step:.4})");
        assert!(step <= steady_step * 1.1, "step {step}");
    }
}

fn largest_step(x: &[f32]) -> f32 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

#[test]
fn drive_does_not_alias() {
    for (hz, drive) in [
        (440.0_f32, 0.5_f32),
        (1245.0, 1.0),
        (2900.0, 1.0),
        (4186.0, 0.5),
        (7000.0, 0.2),
    ] {
        let input: Vec<f32> = sine(hz, 65_536).iter().map(|x| 0.8 * x).collect();
        let out = filter(Kind::Ladder { drive }, 18_000.0, 0.0, &input);
        let db = off_harmonic_db(&out[..], f64::from(SR), f64::from(hz));
        println!("drive {drive} at {hz} Hz: aliases {db:.1} dB");
        assert!(db < -60.0, "aliases at {db:.1} dB");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_modulation_stays_bounded_and_finite(
        settings in prop::collection::vec((10.0f32..24_000.0, 0.0f32..=1.0), 64),
        mode in 0usize..5,
        drive in 0.0f32..=1.0,
        seed in any::<u32>(),
    ) {
        let kind = match mode {
            0 => Kind::Svf(SvfMode::Lowpass),
            1 => Kind::Svf(SvfMode::Highpass),
            2 => Kind::Svf(SvfMode::Bandpass),
            3 => Kind::Svf(SvfMode::Notch),
            _ => Kind::Ladder { drive },
        };
        let mut state = seed | 1;
        let input: Vec<f32> = (0..settings.len() * CONTROL_FRAMES * 4)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as f32 / u32::MAX as f32 * 2.0 - 1.0
            })
            .collect();
        let out = filter_moving(kind, &input, |s| settings[s % settings.len()]);
        for y in out {
            prop_assert!(y.is_finite() && y.abs() < 64.0, "{y}");
        }
    }
}
