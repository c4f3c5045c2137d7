//! What a 256-frame block costs, by what plays in it: each waveform alone,
//! the engine from 1 to 512 voices, mono against stereo, sample voices, and
//! voice churn (a new note every block, stealing).
//!
//! Throughput is voice-samples (frames × voices), so criterion's "elem/s"
//! reads as voice-samples per second and ns per voice-sample is the block
//! time divided by 256 × voices. BENCHMARKS.md has the figures.

mod common;

use common::{engine_with, pitch, test_sample, warm_up, Churn, BLOCK_FRAMES, ENVELOPE, RATE};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use polyphonica::sample::Interpolation;
use polyphonica::{Note, RealtimeEngine, Waveform};
use std::hint::black_box;

fn waveforms(c: &mut Criterion) {
    let mut group = c.benchmark_group("waveform_1_voice_256");
    group.throughput(Throughput::Elements(BLOCK_FRAMES as u64));
    let sample = test_sample(Interpolation::Sinc);
    let cases: [(&str, Waveform); 8] = [
        ("sine", Waveform::Sine),
        ("square", Waveform::Square),
        ("sawtooth", Waveform::Sawtooth),
        ("triangle", Waveform::Triangle),
        ("pulse_0.25", Waveform::Pulse { duty_cycle: 0.25 }),
        ("noise", Waveform::Noise),
        ("sample_sinc", Waveform::Sample(sample.clone())),
        (
            "sample_cubic",
            Waveform::Sample(sample.clone().with_interpolation(Interpolation::Cubic)),
        ),
    ];
    let mut block = [0.0f32; BLOCK_FRAMES];
    for (name, waveform) in cases {
        // 220 Hz: a sample plays an octave below its base at a fractional
        // step (its rate is 44.1 kHz), so its interpolator works.
        let mut engine = RealtimeEngine::with_voices(RATE, 1);
        engine.trigger_note(waveform, 220.0, ENVELOPE).unwrap();
        warm_up(&mut engine);
        group.bench_function(name, |b| {
            b.iter(|| engine.process_buffer(black_box(&mut block)))
        });
    }
    // Pitched up, the sinc kernel stretches (more taps): 554 Hz and 880 Hz
    // play the 440 Hz, 44.1 kHz recording 1.16 and 1.84 times faster.
    for (name, hz) in [
        ("sample_sinc_up_1.16x", 554.37),
        ("sample_sinc_up_1.84x", 880.0),
    ] {
        let mut engine = RealtimeEngine::with_voices(RATE, 1);
        engine
            .trigger_note(Waveform::Sample(sample.clone()), hz, ENVELOPE)
            .unwrap();
        warm_up(&mut engine);
        group.bench_function(name, |b| {
            b.iter(|| engine.process_buffer(black_box(&mut block)))
        });
    }
    group.finish();
}

fn voice_counts(c: &mut Criterion) {
    let mut group = c.benchmark_group("saw_voices_mono_256");
    let mut block = [0.0f32; BLOCK_FRAMES];
    for voices in [1usize, 8, 32, 128, 512] {
        group.throughput(Throughput::Elements((BLOCK_FRAMES * voices) as u64));
        let mut engine = engine_with(voices, |_| Waveform::Sawtooth);
        group.bench_with_input(BenchmarkId::from_parameter(voices), &voices, |b, _| {
            b.iter(|| engine.process_buffer(black_box(&mut block)))
        });
    }
    group.finish();
}

fn mono_against_stereo(c: &mut Criterion) {
    let mut group = c.benchmark_group("saw_32_voices_channels_256");
    group.throughput(Throughput::Elements((BLOCK_FRAMES * 32) as u64));
    let mut engine = engine_with(32, |_| Waveform::Sawtooth);
    let mut mono = [0.0f32; BLOCK_FRAMES];
    group.bench_function("mono", |b| {
        b.iter(|| engine.process_buffer(black_box(&mut mono)))
    });
    let mut engine = engine_with(32, |_| Waveform::Sawtooth);
    let mut stereo = [0.0f32; BLOCK_FRAMES * 2];
    group.bench_function("stereo_centred", |b| {
        b.iter(|| engine.process_stereo_buffer(black_box(&mut stereo)))
    });
    let mut engine = RealtimeEngine::with_voices(RATE, 32);
    for i in 0..32 {
        let pan = i as f32 / 15.5 - 1.0;
        engine
            .trigger(Note::new(Waveform::Sawtooth, pitch(i), ENVELOPE).with_pan(pan))
            .unwrap();
    }
    engine.set_master_volume(0.1);
    warm_up(&mut engine);
    group.bench_function("stereo_panned", |b| {
        b.iter(|| engine.process_stereo_buffer(black_box(&mut stereo)))
    });
    group.finish();
}

fn sample_voices(c: &mut Criterion) {
    let mut group = c.benchmark_group("sample_32_voices_mono_256");
    group.throughput(Throughput::Elements((BLOCK_FRAMES * 32) as u64));
    let mut block = [0.0f32; BLOCK_FRAMES];
    for (name, interpolation) in [
        ("sinc", Interpolation::Sinc),
        ("cubic", Interpolation::Cubic),
        ("linear", Interpolation::Linear),
    ] {
        let sample = test_sample(interpolation);
        let mut engine = engine_with(32, |_| Waveform::Sample(sample.clone()));
        group.bench_function(name, |b| {
            b.iter(|| engine.process_buffer(black_box(&mut block)))
        });
    }
    group.finish();
}

fn churn(c: &mut Criterion) {
    let mut group = c.benchmark_group("churn_trigger_per_block_256");
    group.throughput(Throughput::Elements(BLOCK_FRAMES as u64));
    let mut block = [0.0f32; BLOCK_FRAMES];
    for voices in [32usize, 128] {
        let mut churn = Churn::new(voices);
        group.bench_with_input(BenchmarkId::from_parameter(voices), &voices, |b, _| {
            b.iter(|| churn.block(black_box(&mut block)))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    waveforms,
    voice_counts,
    mono_against_stereo,
    sample_voices,
    churn
);
criterion_main!(benches);
