//! The lock-free control path: how many commands per second cross a
//! controller's queue, and what 1,000 queued events cost a 256-frame block
//! compared with an empty one.
//!
//! ```text
//! cargo bench --bench control -- --warm-up-time 1 --measurement-time 3
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use polyphonica::control::ControlConfig;
use polyphonica::EventTarget;
use polyphonica::{AdsrEnvelope, At, AudioEngine, Controller, RealtimeEngine, VoiceId, Waveform};
use std::hint::black_box;
use std::time::{Duration, Instant};

const BLOCK: usize = 256;
const EVENTS: usize = 1_000;

/// A split engine with eight held notes.
fn playing() -> (AudioEngine, Controller, Vec<VoiceId>) {
    let config = ControlConfig {
        queue_capacity: 4_096,
        ..ControlConfig::default()
    };
    let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split_with(config);
    let env = AdsrEnvelope::new(0.0, 0.0, 1.0, 0.1);
    let ids = (0..8)
        .map(|i| {
            control
                .trigger_note(Waveform::Sawtooth, 110.0 * (i + 1) as f32, env)
                .unwrap()
        })
        .collect();
    audio.process_buffer(&mut [0.0; BLOCK]);
    (audio, control, ids)
}

/// Queues `EVENTS` per-voice changes for the next block, at `frame_of(i)`
/// frames into it.
fn queue_events(
    control: &mut Controller,
    ids: &[VoiceId],
    start: u64,
    frame_of: impl Fn(usize) -> u64,
) {
    for i in 0..EVENTS {
        let id = ids[i % ids.len()];
        let mut at = control.at(At::Frame(start + frame_of(i)));
        match i % 3 {
            0 => at.set_voice_amplitude(id, 0.2 + (i % 7) as f32 * 0.1),
            1 => at.set_voice_frequency(id, 100.0 + i as f32),
            _ => at.set_voice_pan(id, (i % 5) as f32 * 0.5 - 1.0),
        }
        .unwrap();
    }
}

fn commands_per_second(c: &mut Criterion) {
    let mut group = c.benchmark_group("control/commands");
    group.throughput(Throughput::Elements(EVENTS as u64));
    let (mut audio, mut control, ids) = playing();
    // Sending alone: the controller's cost per command (the audio side
    // drains between measurements).
    group.bench_function("send_1000", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                for i in 0..EVENTS {
                    control
                        .set_voice_amplitude(ids[i % 8], black_box(0.5))
                        .unwrap();
                }
                spent += t.elapsed();
                audio.process_buffer(&mut [0.0; 1]);
            }
            spent
        })
    });
    // Through the queue and applied: send, then the audio side drains,
    // schedules and applies them in a one-frame block.
    group.bench_function("send_and_apply_1000", |b| {
        b.iter(|| {
            for i in 0..EVENTS {
                control
                    .set_voice_amplitude(ids[i % 8], black_box(0.5))
                    .unwrap();
            }
            audio.process_buffer(&mut [0.0; 1]);
        })
    });
    // Across threads: one controller thread streams commands while this
    // thread renders one-frame blocks as fast as it can.
    group.bench_function("cross_thread_1000", |b| {
        b.iter_custom(|iters| {
            let total = iters as usize * EVENTS;
            let mut sender = control.try_clone().unwrap();
            let ids = ids.clone();
            let t = Instant::now();
            let producer = std::thread::spawn(move || {
                let mut sent = 0;
                while sent < total {
                    if sender.set_voice_amplitude(ids[sent % 8], 0.5).is_ok() {
                        sent += 1;
                    } else {
                        std::hint::spin_loop();
                    }
                }
            });
            while !producer.is_finished() || audio.pending_events() > 0 {
                audio.process_buffer(&mut [0.0; 1]);
            }
            producer.join().unwrap();
            t.elapsed()
        })
    });
    group.finish();
}

/// Where event `i` of a block falls, in frames from its start.
type FrameOf = fn(usize) -> u64;

fn block_with_events(c: &mut Criterion) {
    let mut group = c.benchmark_group("control/block_256");
    group.throughput(Throughput::Elements(BLOCK as u64));
    let cases: [(&str, Option<FrameOf>); 3] = [
        ("empty", None),
        ("1000_events_at_one_frame", Some(|_| 0)),
        (
            "1000_events_over_every_frame",
            Some(|i| (i * BLOCK / EVENTS) as u64),
        ),
    ];
    for (name, frame_of) in cases {
        let (mut audio, mut control, ids) = playing();
        let mut buffer = [0.0f32; BLOCK];
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    if let Some(frame_of) = frame_of {
                        queue_events(&mut control, &ids, audio.frame(), frame_of);
                    }
                    let t = Instant::now();
                    audio.process_buffer(black_box(&mut buffer));
                    spent += t.elapsed();
                }
                spent
            })
        });
    }
    group.finish();
}

criterion_group!(benches, commands_per_second, block_with_events);
criterion_main!(benches);
