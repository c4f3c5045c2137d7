//! What managing voices costs as the pool grows: a note that must steal
//! (the pool is full of held notes), calls with a live and a stale id, and
//! a million notes starting together.
//! Every one of these is O(1) or O(log n) in the pool's size: the figures
//! at 32, 1,024 and 16,384 voices should stay within a small factor.
//!
//! `cargo bench --bench voice_management -- --warm-up-time 1 --measurement-time 3`

mod common;

use common::{pitch, ENVELOPE, RATE};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use polyphonica::render::{TimelineEvent, TimelineRenderer};
use polyphonica::{RealtimeEngine, SoundEvent, VoiceId, Waveform};
use std::hint::black_box;

const POOLS: [usize; 3] = [32, 1024, 16_384];

/// A full pool: every voice holds a note. Returns the engine and its ids.
fn full_pool(voices: usize) -> (RealtimeEngine, Vec<VoiceId>) {
    let mut engine = RealtimeEngine::with_voices(RATE, voices);
    let ids = (0..voices)
        .map(|i| {
            engine
                .trigger_note(Waveform::Sawtooth, pitch(i), ENVELOPE)
                .expect("playable")
        })
        .collect();
    (engine, ids)
}

fn steal(c: &mut Criterion) {
    let mut group = c.benchmark_group("voice_management_steal");
    for voices in POOLS {
        // Each trigger steals the oldest note; once the hidden slots are
        // full of tails, it also cuts the quietest tail: the worst case.
        let (mut engine, _) = full_pool(voices);
        let mut i = 0;
        group.bench_with_input(BenchmarkId::from_parameter(voices), &voices, |b, _| {
            b.iter(|| {
                i += 1;
                black_box(engine.trigger_note(Waveform::Sawtooth, pitch(i), ENVELOPE))
            })
        });
    }
    group.finish();
}

fn id_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("voice_management_id");
    for voices in POOLS {
        let (engine, ids) = full_pool(voices);
        let live = ids[voices / 2];
        group.bench_with_input(BenchmarkId::new("live", voices), &voices, |b, _| {
            b.iter(|| engine.set_voice_frequency(black_box(live), 330.0))
        });
        let stale = VoiceId::from_raw(u64::MAX / 2);
        group.bench_with_input(BenchmarkId::new("stale", voices), &voices, |b, _| {
            b.iter(|| engine.set_voice_frequency(black_box(stale), 330.0))
        });
    }
    group.finish();
}

/// The probe's cost cliff: a million notes starting at the same instant
/// (the timeline gives the engine its largest pool, 16,384 voices, so all
/// but the last 16,384 notes are stolen at once), then one second rendered.
fn million_notes_at_once(c: &mut Criterion) {
    let mut group = c.benchmark_group("voice_management_together");
    group.sample_size(10);
    let note = SoundEvent::new(Waveform::Sine, 440.0, 1.0, ENVELOPE);
    let events: Vec<_> = (0..1_000_000)
        .map(|_| TimelineEvent::new(0.0, note.clone()))
        .collect();
    group.bench_function("1e6_notes_1s", |b| {
        b.iter(|| {
            let mut renderer = TimelineRenderer::new(&events, 1.0, 48_000).unwrap();
            let mut block = vec![0.0f32; 4096];
            while renderer.render_mono(&mut block) > 0 {}
            black_box(block[0])
        })
    });
    group.finish();
}

criterion_group!(benches, steal, id_lookup, million_notes_at_once);
criterion_main!(benches);
