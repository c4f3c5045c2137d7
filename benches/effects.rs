//! What the effects cost, in one run each:
//! - the reverb against fundsp's `reverb_stereo` (a 32-line FDN) on the
//!   same 256-frame stereo blocks: ours is measured as an engine whose one
//!   sine voice sends everything to the reverb, minus the same engine dry;
//! - the reverb, chorus and delay together against eight sawtooth voices,
//!   both as separate criterion benchmarks and interleaved
//!   (`effects_interleaved`: the wet engine, the dry one and the eight
//!   voices take turns, batch by batch, so a neighbour's load on this shared
//!   machine falls on all three alike; it prints the medians and the ratio).
//!
//! `python3 benches/summary.py --only effects` prints the ratios.

use criterion::{criterion_group, criterion_main, Criterion};
use fundsp::prelude32::*;
use polyphonica::fx::{ReverbParams, Sends};
use polyphonica::{AdsrEnvelope, EventTarget, Note, RealtimeEngine, Waveform};
use std::hint::black_box;
use std::time::{Duration, Instant};

const RATE: f32 = 48_000.0;
const BLOCK_FRAMES: usize = 256;
const HOLD: AdsrEnvelope = AdsrEnvelope::new(0.0, 0.0, 1.0, 0.1);

/// One sine voice with these sends, warmed up half a second.
fn engine_with(sends: Sends) -> RealtimeEngine {
    let mut engine = RealtimeEngine::new(RATE);
    let params = ReverbParams {
        decay_secs: 2.0,
        damping: 0.5,
        ..ReverbParams::default()
    };
    engine.set_reverb(params).unwrap();
    let note = Note::new(Waveform::Sine, 220.0, HOLD).with_sends(sends);
    engine.trigger(note).unwrap();
    engine.set_master_volume(0.2);
    let mut warm = vec![0.0; RATE as usize];
    engine.process_stereo_buffer(&mut warm);
    engine
}

fn saw_voices(n: usize) -> RealtimeEngine {
    let mut engine = RealtimeEngine::new(RATE);
    for i in 0..n {
        engine
            .trigger_note(Waveform::Sawtooth, 55.0 * (1.0 + i as f32 / 8.0), HOLD)
            .unwrap();
    }
    engine.set_master_volume(0.1);
    engine
}

fn planar(engine: &mut RealtimeEngine, left: &mut [f32], right: &mut [f32]) {
    engine.process_planar_buffers(black_box(left), black_box(right));
}

fn reverb_against_fundsp(c: &mut Criterion) {
    let mut group = c.benchmark_group("effects_reverb_stereo_256");
    let (mut left, mut right) = ([0.0f32; BLOCK_FRAMES], [0.0f32; BLOCK_FRAMES]);
    let mut wet = engine_with(Sends {
        reverb: 1.0,
        ..Sends::default()
    });
    group.bench_function("polyphonica_wet", |b| {
        b.iter(|| planar(&mut wet, &mut left, &mut right))
    });
    let mut dry = engine_with(Sends::default());
    group.bench_function("polyphonica_dry", |b| {
        b.iter(|| planar(&mut dry, &mut left, &mut right))
    });

    let mut unit: Box<dyn AudioUnit> = Box::new(reverb_stereo(10.0, 2.0, 0.5));
    unit.set_sample_rate(f64::from(RATE));
    unit.allocate();
    let mut input = BufferArray::<U2>::new();
    let mut out = BufferArray::<U2>::new();
    let mut seed = 1u32;
    for ch in 0..2 {
        for x in input.channel_f32_mut(ch).iter_mut() {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *x = (seed >> 8) as f32 / (1 << 24) as f32 - 0.5;
        }
    }
    group.bench_function("fundsp", |b| {
        b.iter(|| {
            for _ in 0..BLOCK_FRAMES / MAX_BUFFER_SIZE {
                unit.process(MAX_BUFFER_SIZE, &input.buffer_ref(), &mut out.buffer_mut());
            }
            black_box(out.channel_f32(0)[0])
        })
    });
    group.finish();
}

fn all_three_against_eight_voices(c: &mut Criterion) {
    let mut group = c.benchmark_group("effects_all_three_256");
    let (mut left, mut right) = ([0.0f32; BLOCK_FRAMES], [0.0f32; BLOCK_FRAMES]);
    let mut wet = engine_with(Sends {
        reverb: 0.5,
        chorus: 0.5,
        delay: 0.5,
    });
    group.bench_function("polyphonica_wet", |b| {
        b.iter(|| planar(&mut wet, &mut left, &mut right))
    });
    let mut dry = engine_with(Sends::default());
    group.bench_function("polyphonica_dry", |b| {
        b.iter(|| planar(&mut dry, &mut left, &mut right))
    });
    for (name, sends) in [
        (
            "polyphonica_chorus",
            Sends {
                chorus: 0.5,
                ..Sends::default()
            },
        ),
        (
            "polyphonica_delay",
            Sends {
                delay: 0.5,
                ..Sends::default()
            },
        ),
    ] {
        let mut one = engine_with(sends);
        group.bench_function(name, |b| b.iter(|| planar(&mut one, &mut left, &mut right)));
    }
    let mut eight = saw_voices(8);
    group.bench_function("saw_voices_8", |b| {
        b.iter(|| planar(&mut eight, &mut left, &mut right))
    });
    group.finish();
}

/// Blocks per timed batch in the interleaved measurement (about 40 µs of
/// work, far above the clock's own cost).
const BATCH_BLOCKS: u32 = 16;

/// The time `engine` takes for one batch of blocks.
fn batch(engine: &mut RealtimeEngine, left: &mut [f32], right: &mut [f32]) -> Duration {
    let start = Instant::now();
    for _ in 0..BATCH_BLOCKS {
        planar(engine, left, right);
    }
    start.elapsed()
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// The reverb, chorus and delay against eight saw voices, taking turns
/// batch by batch with the dry engine and each effect alone. Criterion
/// times the effects' cost (wet less dry); the medians are printed at the
/// end, and the ratio of the effects' cost to the saw voices'.
fn interleaved(c: &mut Criterion) {
    let (mut left, mut right) = ([0.0f32; BLOCK_FRAMES], [0.0f32; BLOCK_FRAMES]);
    let half = |reverb: bool, chorus: bool, delay: bool| {
        let level = |on: bool| if on { 0.5 } else { 0.0 };
        engine_with(Sends {
            reverb: level(reverb),
            chorus: level(chorus),
            delay: level(delay),
        })
    };
    // Wet, dry, the eight voices, then each effect alone.
    let mut engines = [
        half(true, true, true),
        half(false, false, false),
        saw_voices(8),
        half(true, false, false),
        half(false, true, false),
        half(false, false, true),
    ];
    let mut samples: Vec<[f64; 6]> = Vec::new();
    c.bench_function("effects_interleaved", |b| {
        b.iter_custom(|iters| {
            let mut cost = Duration::ZERO;
            for _ in 0..iters.div_ceil(u64::from(BATCH_BLOCKS)) {
                let times = engines
                    .each_mut()
                    .map(|engine| batch(engine, &mut left, &mut right));
                cost += times[0].saturating_sub(times[1]);
                samples.push(times.map(|t| t.as_secs_f64() * 1e6 / f64::from(BATCH_BLOCKS)));
            }
            cost
        })
    });
    if samples.is_empty() {
        return;
    }
    let m: [f64; 6] =
        std::array::from_fn(|i| median(&mut samples.iter().map(|s| s[i]).collect::<Vec<_>>()));
    let mut ratios: Vec<f64> = samples.iter().map(|x| (x[0] - x[1]) / x[2]).collect();
    println!(
        "interleaved, {} batches of {BATCH_BLOCKS} blocks, medians in µs per block: \
         wet {:.3}, dry {:.3}, 8 saw voices {:.3}; reverb {:.3}, chorus {:.3}, delay {:.3} \
         (each less dry); all three {:.3}, ratio to the saw voices {:.3} (median of the \
         batches' ratios {:.3})",
        samples.len(),
        m[0],
        m[1],
        m[2],
        m[3] - m[1],
        m[4] - m[1],
        m[5] - m[1],
        m[0] - m[1],
        (m[0] - m[1]) / m[2],
        median(&mut ratios)
    );
}

criterion_group!(
    effects,
    reverb_against_fundsp,
    all_three_against_eight_voices,
    interleaved
);
criterion_main!(effects);
