//! Quality, level, continuity and range tests of the wavetable oscillators.
//!
//! `cargo test --lib wavetable -- --nocapture` prints the quality table.

use super::tables::{build_level, harmonic_counts, log2_segments, Series, MAX_HARMONICS};
use super::*;
use crate::dsp::spectrum_test_util::off_harmonic_db;
use std::f64::consts::{PI, TAU};

const SR: f64 = 44_100.0;
const BAR_DB: f64 = -90.0;

/// What to render: a shape, or a pulse of some duty.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Osc {
    Shape(Shape),
    Pulse(f32),
}

impl Osc {
    fn name(self) -> String {
        match self {
            Osc::Shape(s) => format!("{s:?}"),
            Osc::Pulse(d) => format!("Pulse {d}"),
        }
    }

    fn render(self, phase: &mut u32, increment: u32, out: &mut [f32]) {
        match self {
            Osc::Shape(s) => wavetables().render(s, phase, increment, out),
            Osc::Pulse(d) => wavetables().render_pulse(phase, increment, d, out),
        }
    }

    /// `frames` frames at `f0` from phase 0, in one call.
    fn tone(self, f0: f64, frames: usize) -> Vec<f32> {
        let mut out = vec![0.0; frames];
        self.render(&mut 0, phase_increment(f0, SR), &mut out);
        out
    }

    /// The exact band-limited signal (every harmonic below Nyquist),
    /// computed in f64 from the Fourier series.
    fn ideal(self, f0: f64, frames: usize) -> Vec<f32> {
        let (series, duty) = match self {
            Osc::Shape(Shape::Sine) => (Series::Sine, None),
            Osc::Shape(Shape::Saw) => (Series::Saw, None),
            Osc::Shape(Shape::Square) => (Series::Square, None),
            Osc::Shape(Shape::Triangle) => (Series::Triangle, None),
            Osc::Pulse(d) => (Series::Saw, Some(f64::from(d))),
        };
        let top = ((SR / 2.0) / f0).ceil() as u32;
        let harmonics: Vec<(f64, f64)> = (1..=top)
            .filter(|&k| f64::from(k) * f0 < SR / 2.0)
            .map(|k| (f64::from(k), series.coefficient(k)))
            .collect();
        (0..frames)
            .map(|i| {
                let x = f0 * i as f64 / SR;
                let saw_at = |x: f64| -> f64 {
                    harmonics
                        .iter()
                        .map(|&(k, b)| b * (TAU * k * x).sin())
                        .sum()
                };
                match duty {
                    None => saw_at(x) as f32,
                    Some(d) => (saw_at(x - d) - saw_at(x)) as f32,
                }
            })
            .collect()
    }
}

const SHAPES: [Osc; 4] = [
    Osc::Shape(Shape::Sine),
    Osc::Shape(Shape::Saw),
    Osc::Shape(Shape::Square),
    Osc::Shape(Shape::Triangle),
];

const BARRED: [Osc; 5] = [
    Osc::Shape(Shape::Saw),
    Osc::Shape(Shape::Square),
    Osc::Shape(Shape::Triangle),
    Osc::Pulse(0.25),
    Osc::Pulse(0.1),
];

/// The issue-3 figure (one second from phase 0, Blackman-Harris, off vs
/// on harmonics) for every barred shape and fundamental, plus lower notes.
///
/// 1244.5 Hz falls between two bins of a one-second FFT, and the window's
/// own leakage then scores about -87..-89 dB even for the mathematically
/// exact signal. So each row also shows the exact signal's figure there
/// ("floor"), and a two-second render (0.5 Hz bins: every fundamental
/// here on a bin). A row passes when the two-second figure meets the bar
/// and the one-second figure meets it or is within 0.5 dB of the floor.
#[test]
fn off_harmonic_energy_meets_the_bar() {
    println!("shape       f0 Hz    1 s dB   floor dB    2 s dB");
    let mut failures = Vec::new();
    for f0 in [440.0, 1244.5, 2637.0, 4186.0, 55.0, 110.0] {
        for osc in BARRED.into_iter().chain([Osc::Shape(Shape::Sine)]) {
            let one = off_harmonic_db(&osc.tone(f0, 44_100), SR, f0);
            let two = off_harmonic_db(&osc.tone(f0, 88_200), SR, f0);
            let floor = (one > BAR_DB).then(|| off_harmonic_db(&osc.ideal(f0, 44_100), SR, f0));
            let floor_text = floor.map_or("-".to_string(), |f| format!("{f:.1}"));
            println!(
                "{:<10} {f0:>7} {one:>9.1} {floor_text:>10} {two:>9.1}",
                osc.name()
            );
            let one_ok = one <= BAR_DB || floor.is_some_and(|f| one <= f + 0.5);
            if !one_ok || two > BAR_DB {
                failures.push((osc.name(), f0, one, two));
            }
        }
    }
    assert!(failures.is_empty(), "over the bar: {failures:?}");
}

/// Frequency of a rendered sine from its rising zero crossings.
fn zero_crossing_frequency(signal: &[f32]) -> f64 {
    let mut crossings = Vec::new();
    for (i, w) in signal.windows(2).enumerate() {
        let (a, b) = (f64::from(w[0]), f64::from(w[1]));
        if a < 0.0 && b >= 0.0 {
            crossings.push(i as f64 + a / (a - b));
        }
    }
    let (first, last) = (crossings[0], crossings[crossings.len() - 1]);
    (crossings.len() - 1) as f64 * SR / (last - first)
}

#[test]
fn sine_is_exact_in_frequency_and_amplitude() {
    let sine = Osc::Shape(Shape::Sine);
    for f0 in [20.0, 440.0, 1244.5, 2637.0, 4186.0, 15_000.0] {
        let tone = sine.tone(f0, 44_100);
        let measured = zero_crossing_frequency(&tone);
        let error = (measured / f0 - 1.0) * 100.0;
        println!("Sine {f0} Hz: measured {measured:.6} Hz, error {error:+.2e} %");
        assert!(error.abs() < 0.05, "{f0}: {measured}");
    }
    // Amplitude exactly 1: +1 at a quarter cycle, -1 at three quarters.
    let t = wavetables();
    let at = |phase: u32| {
        let mut y = [0.0];
        t.render(Shape::Sine, &mut { phase }, 0, &mut y);
        y[0]
    };
    assert_eq!(at(1 << 30), 1.0);
    assert_eq!(at(3 << 30), -1.0);
    assert_eq!(at(0), 0.0);
    // Never beyond ±1 near the peaks (every 256th phase).
    for centre in [1u32 << 30, 3 << 30] {
        for k in 0..(1u32 << 17) {
            let y = at(centre.wrapping_add(k << 8).wrapping_sub(1 << 24));
            assert!(y.abs() <= 1.0, "{centre} {k}: {y}");
        }
    }
}

/// The value of one shape at one phase.
fn value(osc: Osc, phase: u32, increment: u32) -> f32 {
    let mut y = [0.0];
    osc.render(&mut { phase }, increment, &mut y);
    y[0]
}

#[test]
fn phase_conventions() {
    let inc = phase_increment(100.0, SR);
    let at = |osc, cycles: f64| value(osc, (cycles * 4_294_967_296.0) as u32, inc);
    let close = |a: f32, b: f32| (a - b).abs() < 2e-3;
    let (saw, square, tri) = (
        Osc::Shape(Shape::Saw),
        Osc::Shape(Shape::Square),
        Osc::Shape(Shape::Triangle),
    );
    // Saw: -1 side just after phase 0, through 0 at ½, rising.
    assert!(close(at(saw, 0.5), 0.0));
    assert!(close(at(saw, 0.25), -0.5 * SAW_SCALE));
    assert!(close(at(saw, 0.75), 0.5 * SAW_SCALE));
    assert!(close(at(saw, 0.05), -0.9 * SAW_SCALE));
    // Square: high first.
    assert!(close(at(square, 0.25), SQUARE_SCALE));
    assert!(close(at(square, 0.75), -SQUARE_SCALE));
    // Triangle: in phase with the sine.
    assert!(close(at(tri, 0.0), 0.0));
    assert!(close(at(tri, 0.25), 1.0));
    assert!(close(at(tri, 0.5), 0.0));
    assert!(close(at(tri, 0.75), -1.0));
    // DC-free pulse: 2(1 - d) then -2d, in units of SQUARE_SCALE.
    let pulse = Osc::Pulse(0.25);
    assert!(close(at(pulse, 0.125), 1.5 * SQUARE_SCALE));
    assert!(close(at(pulse, 0.6), -0.5 * SQUARE_SCALE));
    let cycle = pulse.tone(441.0, 100);
    let mean = cycle.iter().map(|&x| f64::from(x)).sum::<f64>() / 100.0;
    assert!(mean.abs() < 1e-6, "{mean}");
}

#[test]
fn half_duty_pulse_is_the_square() {
    for f0 in [30.0, 440.0, 5_000.0, 20_000.0] {
        let square = Osc::Shape(Shape::Square).tone(f0, 1_000);
        let pulse = Osc::Pulse(0.5).tone(f0, 1_000);
        assert_eq!(square, pulse, "{f0}");
        // And the saw-difference form (which other duties use) agrees
        // with the square table.
        let inc = phase_increment(f0, SR);
        let saw = Osc::Shape(Shape::Saw);
        for (i, &y) in square.iter().enumerate() {
            let p = inc.wrapping_mul(i as u32);
            let pair = 0.5 * (value(saw, p.wrapping_sub(1 << 31), inc) - value(saw, p, inc));
            assert!((y - pair).abs() < 1e-5, "{f0}: {y} {pair}");
        }
    }
}

#[test]
fn split_calls_are_bit_identical() {
    let sizes = [1, 2, 3, 4, 5, 7, 8, 13, 64, 1, 31, 128, 6, 250];
    for osc in SHAPES.into_iter().chain([Osc::Pulse(0.3)]) {
        for f0 in [27.5, 440.0, 7_777.7] {
            let inc = phase_increment(f0, SR);
            let total: usize = sizes.iter().sum();
            let start = 0x1234_5678;
            let mut whole = vec![0.0; total];
            let mut phase_whole = start;
            osc.render(&mut phase_whole, inc, &mut whole);
            let mut split = vec![0.0; total];
            let mut phase_split = start;
            let mut at = 0;
            for &n in &sizes {
                osc.render(&mut phase_split, inc, &mut split[at..at + n]);
                at += n;
            }
            assert_eq!(phase_whole, phase_split);
            assert!(
                whole
                    .iter()
                    .zip(&split)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{osc:?} {f0}"
            );
        }
    }
}

#[test]
fn simd_and_portable_loops_are_bit_identical() {
    // On a CPU with AVX2 `render` runs the eight-lane loop; the portable
    // loop must give the same bits (the engine's output must not depend on
    // the CPU it runs on).
    let tables = wavetables();
    for f0 in [27.5, 61.7, 440.0, 3_001.0, 7_777.7, 21_000.0] {
        let inc = phase_increment(f0, SR);
        for frames in [1, 7, 8, 9, 64, 255, 256] {
            let start = 0x9E37_79B9;
            for osc in SHAPES.into_iter().chain([Osc::Pulse(0.3), Osc::Pulse(0.5)]) {
                let (mut a, mut b) = (vec![0.0; frames], vec![0.0; frames]);
                let (mut pa, mut pb) = (start, start);
                osc.render(&mut pa, inc, &mut a);
                match osc {
                    Osc::Shape(s) => tables.portable().render(s, &mut pb, inc, &mut b),
                    Osc::Pulse(d) => tables.portable().render_pulse(&mut pb, inc, d, &mut b),
                }
                assert_eq!(pa, pb);
                assert!(
                    a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{osc:?} at {f0} Hz, {frames} frames"
                );
            }
        }
    }
}

/// The steady waveform's largest step `|y(φ + inc) - y(φ)|` and its full
/// swing `max y - min y`, over 4096 phases per cycle.
fn steady(osc: Osc, increment: u32) -> (f32, f32) {
    let (mut step, mut lo, mut hi) = (0.0f32, f32::MAX, f32::MIN);
    for g in 0..4096u32 {
        let mut y = [0.0; 2];
        osc.render(&mut (g << 20), increment, &mut y);
        step = step.max((y[1] - y[0]).abs());
        lo = lo.min(y[0]);
        hi = hi.max(y[0]);
    }
    (step, hi - lo)
}

/// Renders `calls` blocks of 64 frames, with the increment and pulse duty
/// of each call from `setting`, checks the range, and checks every step
/// where a block joins the previous one:
/// - where only the level changed, against the largest step of the steady
///   waveform on either side (a switch adds no click);
/// - where the pulse duty changed, against the edges: the full swing of the
///   steady pulse on either side, plus the change of its DC-free levels,
///   `2 |Δduty| SQUARE_SCALE`. (A duty change moves the falling edge at
///   once, by `Δduty` cycles, so a join can cross a whole edge.)
///
/// Returns the largest jump a level switch added (the new level's value
/// minus the old level's at the same phase).
fn check_joins(calls: usize, setting: impl Fn(usize) -> (Osc, u32)) -> f32 {
    let saw = &wavetables().saw;
    let mut phase = 0u32;
    let mut previous: Option<(Osc, u32, f32)> = None;
    let mut worst_switch = 0.0f32;
    // The last `steady` result: the new side of one join is the old side
    // of the next.
    let mut cache: Option<((Osc, u32), (f32, f32))> = None;
    for call in 0..calls {
        let (osc, inc) = setting(call);
        let start = phase;
        let mut block = [0.0f32; 64];
        osc.render(&mut phase, inc, &mut block);
        for &y in &block {
            assert!(y.is_finite() && y.abs() <= 1.0, "{osc:?} {inc}: {y}");
        }
        let Some((old, old_inc, last)) = previous.replace((osc, inc, block[63])) else {
            continue;
        };
        let step = (block[0] - last).abs();
        let level_changed =
            saw.for_increment(old_inc).max_harmonic != saw.for_increment(inc).max_harmonic;
        let mut steady = |o: Osc, i: u32| match cache {
            Some((key, value)) if key == (o, i) => value,
            _ => {
                let value = steady(o, i);
                cache = Some(((o, i), value));
                value
            }
        };
        let allowed = match (old, osc) {
            (Osc::Pulse(a), Osc::Pulse(b)) if a != b => {
                let swing = steady(old, old_inc).1.max(steady(osc, inc).1);
                swing + 2.0 * (a - b).abs() * SQUARE_SCALE
            }
            _ if level_changed => steady(old, old_inc).0.max(steady(osc, inc).0),
            _ => {
                // Same level and shape: the join is an ordinary step of
                // the old block's waveform.
                assert_eq!(block[0], value(old, start, old_inc));
                continue;
            }
        };
        assert!(
            step <= allowed * 1.01,
            "call {call} {old:?} -> {osc:?}, inc {old_inc} -> {inc}: {last} -> {} > {allowed}",
            block[0]
        );
        if level_changed {
            worst_switch = worst_switch.max((block[0] - value(old, start, old_inc)).abs());
        }
    }
    worst_switch
}

#[test]
fn frequency_sweep_stays_bounded_without_clicks() {
    let calls = 44_100 / 64;
    for osc in SHAPES.into_iter().chain([Osc::Pulse(0.25)]) {
        let switch = check_joins(calls, |call| {
            let f = 100.0 * 150f64.powf(call as f64 / calls as f64);
            (osc, phase_increment(f, SR))
        });
        println!(
            "{} sweep 100 Hz..15 kHz: largest level-switch jump {switch:.4}",
            osc.name()
        );
    }
}

#[test]
fn pulse_duty_changes_do_not_click() {
    for f0 in [110.0, 1_000.0, 6_000.0] {
        let inc = phase_increment(f0, SR);
        let calls = 690;
        // A ramp from 0.1 to 0.9 and back, changing every call.
        check_joins(calls, |call| {
            let x = call as f32 / calls as f32;
            let duty = 0.1 + 0.8 * (1.0 - (2.0 * x - 1.0).abs());
            (Osc::Pulse(duty), inc)
        });
        // A 6 Hz pulse-width modulation over 0.1..0.9.
        check_joins(calls, |call| {
            let t = call as f64 * 64.0 / SR;
            let duty = 0.5 + 0.4 * (TAU * 6.0 * t).sin();
            (Osc::Pulse(duty as f32), inc)
        });
    }
}

#[test]
fn output_is_finite_and_within_one_for_any_increment_and_duty() {
    let mut increments = vec![0, 1, 2, 3, 1000, (1 << 31) - 1, 1 << 31, u32::MAX];
    for &k in &harmonic_counts() {
        let edge = ((1u64 << 31) / u64::from(k)) as u32;
        increments.extend([edge - 1, edge, edge + 1]);
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..200 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        increments.push((seed >> 33) as u32);
    }
    let duties = [
        -1.0,
        0.0,
        0.005,
        0.01,
        0.1,
        0.25,
        0.499_999,
        0.5,
        0.75,
        0.99,
        1.0,
        3.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ];
    let mut out = [0.0f32; 301];
    for &inc in &increments {
        for osc in SHAPES
            .into_iter()
            .chain(duties.iter().map(|&d| Osc::Pulse(d)))
        {
            let mut phase = inc.wrapping_mul(7);
            osc.render(&mut phase, inc, &mut out);
            for &y in &out {
                assert!(y.is_finite() && y.abs() <= 1.0, "{osc:?} {inc}: {y}");
            }
        }
    }
}

#[test]
fn levels_keep_every_partial_at_or_below_nyquist() {
    let t = wavetables();
    let counts = harmonic_counts();
    assert_eq!(counts[0], 1);
    assert_eq!(*counts.last().unwrap(), MAX_HARMONICS);
    for levels in [&t.saw, &t.square, &t.triangle] {
        let ks: Vec<u32> = levels.levels.iter().map(|l| l.max_harmonic).collect();
        assert_eq!(ks, counts);
        for &k in &counts {
            let edge = ((1u64 << 31) / u64::from(k)) as u32;
            for inc in [edge - 1, edge, edge + 1] {
                let chosen = u64::from(levels.for_increment(inc).max_harmonic);
                if chosen > 1 {
                    assert!(chosen * u64::from(inc) <= 1 << 31, "{inc}: {chosen}");
                }
                // The richest such level: the next one would alias.
                if let Some(&richer) = counts.iter().find(|&&c| u64::from(c) > chosen) {
                    assert!(u64::from(richer) * u64::from(inc) > 1 << 31, "{inc}");
                }
            }
        }
        assert_eq!(levels.for_increment(0).max_harmonic, MAX_HARMONICS);
        assert_eq!(levels.for_increment(1 << 31).max_harmonic, 1);
        assert_eq!(levels.for_increment(u32::MAX).max_harmonic, 1);
    }
}

/// The documented factors keep every level of every shape at or below 1:
/// the spline peaks (exact maxima of each cubic, in f64) times the scale.
#[test]
fn every_level_peaks_at_or_below_one() {
    let twiddles = fft::Twiddles::new(1 << tables::MAX_LOG2_SEGMENTS);
    for (series, scale) in [
        (Series::Saw, f64::from(SAW_SCALE)),
        (Series::Square, f64::from(SQUARE_SCALE)),
        (Series::Triangle, 1.0),
        (Series::Sine, 1.0),
    ] {
        let counts = if matches!(series, Series::Sine) {
            vec![1]
        } else {
            harmonic_counts()
        };
        let peak = counts
            .iter()
            .map(|&k| build_level(series, k, log2_segments(series, k), &twiddles).peak)
            .fold(0.0, f64::max);
        println!(
            "{series:?}: largest level peak {peak:.6} x scale {scale:.6} = {:.6}",
            peak * scale
        );
        // Room for f32 rounding of the coefficients and of Horner.
        assert!(
            peak * scale <= 1.0 - 1e-5 || matches!(series, Series::Sine),
            "{series:?}"
        );
        assert!(peak * scale <= 1.0 + 1e-12, "{series:?}");
    }
    assert!((f64::from(SAW_SCALE) - PI / 2.0 / 1.851_937_051_982_466).abs() < 1e-7);
    assert_eq!(SQUARE_SCALE, SAW_SCALE / 2.0);
}

#[test]
fn tables_are_modest() {
    let bytes = wavetables().table_bytes();
    println!("wavetables: {bytes} bytes");
    assert!(bytes < 4 << 20, "{bytes}");
}

#[test]
fn phase_increment_clamps() {
    assert_eq!(phase_increment(0.0, SR), 0);
    assert_eq!(phase_increment(-5.0, SR), 0);
    assert_eq!(phase_increment(f64::NAN, SR), 0);
    assert_eq!(phase_increment(SR / 2.0, SR), 1 << 31);
    assert_eq!(phase_increment(SR, SR), 1 << 31);
    assert_eq!(phase_increment(f64::INFINITY, SR), 1 << 31);
    assert_eq!(phase_increment(441.0, SR), 42_949_673);
}

#[test]
fn tables_are_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Wavetables>();
    let here = wavetables() as *const Wavetables as usize;
    let there = std::thread::spawn(|| wavetables() as *const Wavetables as usize)
        .join()
        .unwrap();
    assert_eq!(here, there);
    assert!(format!("{:?}", wavetables()).len() < 20_000);
}

#[test]
#[cfg(target_arch = "x86_64")]
fn the_loop_follows_the_cpu() {
    // Under Miri with `-C target-feature=+avx2` (.ci/sanitizers) the AVX2
    // loop is the one that runs, so the interpreter checks its raw loads.
    if std::arch::is_x86_feature_detected!("avx2") {
        assert_eq!(wavetables().simd, Simd::Avx2);
    } else {
        assert_eq!(wavetables().simd, Simd::Portable);
    }
}
