//! The lock-free split's audio side allocates and frees nothing, under load
//! from several controller threads: a counting global allocator (one per
//! test binary) counts the audio thread's calls.

mod common;
use common::alloc_counter::{assert_the_counter_works, count_allocations, CountingAllocator};
use common::stress::{check, run, Stress};
use polyphonica::EventTarget;
use polyphonica::{AdsrEnvelope, At, RealtimeEngine, SampleData, Waveform};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn the_counter_sees_allocations_and_frees() {
    assert_the_counter_works();
}

#[test]
fn the_audio_side_allocates_nothing_while_four_controllers_send_100k_commands() {
    let s = Stress {
        threads: 4,
        commands_per_thread: 26_000,
        notes_per_thread: 300,
        block: 64,
        voices: 256,
        probes: 3,
        max_outstanding: 16,
        queue_capacity: 1_024,
    };
    let on_audio = Arc::new(AtomicUsize::new(usize::MAX));
    let seen = on_audio.clone();
    let (audio, sent, heard) = run(s, move |render| {
        seen.store(count_allocations(render), Ordering::SeqCst);
    });
    check(&audio, &sent, &heard);
    assert!(sent.iter().map(|s| s.commands).sum::<usize>() >= 100_000);
    let n = on_audio.load(Ordering::SeqCst);
    assert_eq!(
        n, 0,
        "the audio thread allocated or freed {n} times over {} blocks",
        heard.blocks
    );
}

#[test]
fn samples_the_audio_side_lets_go_of_are_freed_by_a_controller() {
    let (mut audio, mut control) = RealtimeEngine::with_voices(48_000.0, 4).split();
    let mut buffer = vec![0.0f32; 256];
    for i in 0..50u64 {
        // The note holds the only reference to its sample.
        let only_ref = SampleData::from_mono(vec![0.1; 100], 48_000).unwrap();
        let id = control
            .at(At::Frame(i * 512 + 10))
            .trigger_note(Waveform::Sample(only_ref), 440.0, AdsrEnvelope::default())
            .unwrap();
        if i % 2 == 0 {
            control
                .at(At::Frame(i * 512 + 20))
                .stop_all_notes()
                .unwrap();
        } else {
            control
                .at(At::Frame(i * 512 + 20))
                .release_note(id)
                .unwrap();
        }
    }
    let on_audio = count_allocations(|| {
        while audio.frame() < 50 * 512 + 4_800 {
            audio.process_buffer(&mut buffer);
            audio.process_stereo_buffer(&mut buffer);
        }
    });
    assert_eq!(on_audio, 0, "the audio side freed or allocated");
    let freed = count_allocations(|| control.collect_garbage());
    assert!(
        freed >= 50 * 2,
        "the controller frees every sample ({freed} frees)"
    );
}

#[test]
fn cancelling_scheduled_sample_notes_frees_nothing_on_the_audio_side() {
    let (mut audio, mut control) = RealtimeEngine::with_voices(48_000.0, 4).split();
    for i in 0..100u64 {
        // Each note holds the only reference to its sample.
        let only_ref = SampleData::from_mono(vec![0.1; 100], 48_000).unwrap();
        control
            .at(At::Secs(1e6 + i as f64))
            .trigger_note(Waveform::Sample(only_ref), 440.0, AdsrEnvelope::default())
            .unwrap();
    }
    let mut buffer = vec![0.0f32; 256];
    audio.process_buffer(&mut buffer); // into the schedule
    control.cancel_scheduled().unwrap();
    let on_audio = count_allocations(|| {
        for _ in 0..4 {
            audio.process_buffer(&mut buffer);
        }
    });
    assert_eq!(on_audio, 0, "the audio side freed or allocated");
    assert_eq!(control.status().pending_events, 0);
    let freed = count_allocations(|| control.collect_garbage());
    assert!(
        freed >= 100,
        "the controller frees the samples ({freed} frees)"
    );
}
