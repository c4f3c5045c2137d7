//! The engine's render cost: 32 voices of enveloped sawtooth at 48 kHz in
//! 256-frame blocks, and how the cost grows from 1 to 256 voices.
//!
//! Figures are per block; divide by 256 for ns per frame and by
//! 256 × voices for ns per voice-sample.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
use std::hint::black_box;

const RATE: f32 = 48_000.0;
const BLOCK_FRAMES: usize = 256;

/// An engine with `voices` held sawtooth notes spread over four octaves.
fn engine_with(voices: usize) -> RealtimeEngine {
    let mut engine = RealtimeEngine::with_voices(RATE, voices);
    let envelope = AdsrEnvelope::new(0.01, 0.2, 0.7, 0.5);
    for i in 0..voices {
        let hz = 55.0 * 2f32.powf((i % 48) as f32 / 12.0);
        engine
            .trigger_note(Waveform::Sawtooth, hz, envelope)
            .expect("playable");
    }
    engine.set_master_volume(0.1);
    // Past the attack and decay: steady state.
    let mut warm = vec![0.0; RATE as usize / 2];
    engine.process_buffer(&mut warm);
    engine
}

fn saw_32_voices(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_32_saw_voices");
    group.throughput(Throughput::Elements(BLOCK_FRAMES as u64));
    let mut engine = engine_with(32);
    let mut mono = [0.0f32; BLOCK_FRAMES];
    group.bench_function("mono_block_256", |b| {
        b.iter(|| engine.process_buffer(black_box(&mut mono)))
    });
    let mut engine = engine_with(32);
    let mut stereo = [0.0f32; BLOCK_FRAMES * 2];
    group.bench_function("stereo_block_256", |b| {
        b.iter(|| engine.process_stereo_buffer(black_box(&mut stereo)))
    });
    group.finish();
}

fn voice_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_voice_scaling");
    for voices in [1usize, 2, 4, 8, 16, 32, 64, 128, 256] {
        group.throughput(Throughput::Elements((BLOCK_FRAMES * voices) as u64));
        let mut engine = engine_with(voices);
        let mut mono = [0.0f32; BLOCK_FRAMES];
        group.bench_with_input(BenchmarkId::from_parameter(voices), &voices, |b, _| {
            b.iter(|| engine.process_buffer(black_box(&mut mono)))
        });
    }
    group.finish();
}

criterion_group!(benches, saw_32_voices, voice_scaling);
criterion_main!(benches);
