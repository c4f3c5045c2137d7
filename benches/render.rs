//! Offline rendering speed: a 60 s score with 32 voices sounding at every
//! moment (32 tracks of back-to-back half-second notes: 3 840 events of
//! five waveforms, some sweeping, panned across the field), rendered by the
//! engine at 44.1 kHz.
//!
//! Each iteration renders the whole minute, so the real-time factor is
//! 60 s divided by the time shown (criterion's throughput line gives frames
//! per second; divide by 44 100 for the factor).
//!
//! ```text
//! cargo bench --bench render -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use polyphonica::render::{TimelineEvent, TimelineRenderer, WavFormat, WavSink};
use polyphonica::{AdsrEnvelope, SoundEvent, Waveform};
use std::hint::black_box;
use std::io::Cursor;

const RATE: u32 = 44_100;
const SECONDS: f32 = 60.0;
const TRACKS: usize = 32;
const NOTE_SECS: f32 = 0.5;

/// The score: 32 tracks, each a run of half-second notes with no gaps.
fn score() -> Vec<TimelineEvent> {
    let waveforms = [
        Waveform::Sawtooth,
        Waveform::Square,
        Waveform::Sine,
        Waveform::Triangle,
        Waveform::Pulse { duty_cycle: 0.25 },
    ];
    let envelope = AdsrEnvelope::new(0.01, 0.1, 0.7, 0.15);
    let notes = (SECONDS / NOTE_SECS) as usize;
    let mut events = Vec::with_capacity(TRACKS * notes);
    for track in 0..TRACKS {
        for n in 0..notes {
            let semitone = ((track * 7 + n * 5) % 36) as f32;
            let hz = 55.0 * 2f32.powf(semitone / 12.0);
            let mut event =
                SoundEvent::new(waveforms[(track + n) % 5].clone(), hz, NOTE_SECS, envelope);
            if n % 4 == 3 {
                event = event.sweeping_to(hz * 1.5);
            }
            let placed = TimelineEvent::new(n as f32 * NOTE_SECS, event)
                .with_amplitude(1.0 / TRACKS as f32)
                .with_pan(track as f32 / (TRACKS - 1) as f32 * 2.0 - 1.0);
            events.push(placed);
        }
    }
    events
}

fn render_minute(c: &mut Criterion) {
    let events = score();
    let frames = (SECONDS * RATE as f32) as u64;
    let mut group = c.benchmark_group("render_60s_32_voices");
    group.sample_size(10);
    group.throughput(Throughput::Elements(frames));

    group.bench_function("stereo_blocks", |b| {
        let mut block = vec![0.0f32; 4096 * 2];
        b.iter(|| {
            let mut renderer = TimelineRenderer::new(&events, SECONDS, RATE).unwrap();
            while renderer.render_stereo(black_box(&mut block)) > 0 {}
        })
    });
    group.bench_function("mono_blocks", |b| {
        let mut block = vec![0.0f32; 4096];
        b.iter(|| {
            let mut renderer = TimelineRenderer::new(&events, SECONDS, RATE).unwrap();
            while renderer.render_mono(black_box(&mut block)) > 0 {}
        })
    });
    group.bench_function("stereo_16bit_wav", |b| {
        let mut file = Vec::with_capacity(frames as usize * 4 + 1024);
        b.iter(|| {
            file.clear();
            let mut sink =
                WavSink::new(Cursor::new(&mut file), WavFormat::stereo_16(RATE)).unwrap();
            let mut renderer = TimelineRenderer::new(&events, SECONDS, RATE).unwrap();
            renderer.render_to(&mut sink, |_, _| {}).unwrap();
            sink.finalize().unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, render_minute);
criterion_main!(benches);
