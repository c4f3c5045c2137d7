//! Polyphonica against fundsp on the same patch, in one benchmark group so
//! the ratio is read off one run: 32 voices of enveloped band-limited
//! sawtooth spread over four octaves, summed to mono, at 48 kHz, rendered in
//! 256-frame blocks.
//!
//! fundsp's side is built the way its documentation suggests: each voice is
//! `saw_hz(f) * envelope(adsr)`, the 32 voices statically composed with
//! `busi` (a sum), and the graph is pulled through the block API
//! (`AudioUnit::process`, 64 frames per call, four calls per 256-frame
//! block), not sample by sample. Its envelope is evaluated every 2 ms and
//! interpolated, which is cheaper than Polyphonica's per-frame ADSR, so the
//! comparison, if anything, favours fundsp.
//!
//! Throughput is set to frames × voices, so criterion's "elem/s" is
//! voice-samples per second; ns per voice-sample is the block time divided
//! by 256 × 32.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fundsp::prelude32::*;
use polyphonica::{RealtimeEngine, Waveform};
use std::hint::black_box;

mod common;
use common::fundsp_side::{adsr_level, fundsp_block};
use common::{pitch, BLOCK_FRAMES, ENVELOPE, RATE};

const VOICES: usize = 32;

/// Polyphonica: the engine with the 32 notes held, past attack and decay.
fn polyphonica_patch() -> RealtimeEngine {
    let mut engine = RealtimeEngine::with_voices(RATE, VOICES);
    for i in 0..VOICES {
        engine
            .trigger_note(Waveform::Sawtooth, pitch(i), ENVELOPE)
            .expect("playable");
    }
    engine.set_master_volume(0.1);
    let mut warm = vec![0.0; RATE as usize / 2];
    engine.process_buffer(&mut warm);
    engine
}

/// fundsp: the same 32 voices, summed, scaled like the engine's master.
fn fundsp_patch() -> Box<dyn AudioUnit> {
    let voices =
        busi::<U32, _, _>(|i| saw_hz(pitch(i as usize)) * envelope(|t: f32| adsr_level(t)));
    let mut unit: Box<dyn AudioUnit> = Box::new(voices * 0.1);
    unit.set_sample_rate(f64::from(RATE));
    unit.allocate();
    // The same half second of warm-up.
    let mut out = BufferArray::<U1>::new();
    let input = BufferArray::<U0>::new();
    for _ in 0..(RATE as usize / 2 / MAX_BUFFER_SIZE) {
        unit.process(MAX_BUFFER_SIZE, &input.buffer_ref(), &mut out.buffer_mut());
    }
    unit
}

fn saw_32_against_fundsp(c: &mut Criterion) {
    let mut group = c.benchmark_group("peers_32_saw_voices_mono_256");
    group.throughput(Throughput::Elements((BLOCK_FRAMES * VOICES) as u64));
    let mut block = [0.0f32; BLOCK_FRAMES];

    let mut engine = polyphonica_patch();
    group.bench_function("polyphonica", |b| {
        b.iter(|| engine.process_buffer(black_box(&mut block)))
    });

    let mut unit = fundsp_patch();
    let input = BufferArray::<U0>::new();
    let mut out = BufferArray::<U1>::new();
    group.bench_function("fundsp", |b| {
        b.iter(|| fundsp_block(&mut *unit, &input, &mut out, black_box(&mut block)))
    });
    group.finish();
}

/// The two patches make the same kind of sound: a check run once, before
/// timing, so a broken patch cannot pass for a fast one.
fn check_patches_sound() {
    let mut engine = polyphonica_patch();
    let mut unit = fundsp_patch();
    let input = BufferArray::<U0>::new();
    let mut out = BufferArray::<U1>::new();
    let (mut a, mut b) = ([0.0f32; BLOCK_FRAMES], [0.0f32; BLOCK_FRAMES]);
    let (mut ra, mut rb) = (0.0f64, 0.0f64);
    for _ in 0..64 {
        engine.process_buffer(&mut a);
        fundsp_block(&mut *unit, &input, &mut out, &mut b);
        ra += a.iter().map(|x| f64::from(x * x)).sum::<f64>();
        rb += b.iter().map(|x| f64::from(x * x)).sum::<f64>();
    }
    let ratio = (ra / rb).sqrt();
    assert!(
        (0.5..2.0).contains(&ratio),
        "the patches differ in level: RMS ratio {ratio}"
    );
}

fn benches(c: &mut Criterion) {
    check_patches_sound();
    saw_32_against_fundsp(c);
}

criterion_group!(peers, benches);
criterion_main!(peers);
