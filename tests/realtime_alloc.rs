//! Real-time safety, proven: a counting global allocator shows that nothing
//! on the audio path allocates or frees.

mod common;
use common::*;
use polyphonica::{AdsrEnvelope, Note, RealtimeEngine, SampleData, Waveform};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts allocations, reallocations and frees made by the thread that is
/// inside `count_allocations`.
struct CountingAllocator;

static EVENTS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note_event() {
    if COUNTING.with(|c| c.get()) {
        EVENTS.fetch_add(1, Ordering::SeqCst);
    }
}

// SAFETY: every method forwards to the system allocator unchanged; the
// bookkeeping touches only an atomic and a const-initialised thread-local
// (which needs no allocation).
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_event();
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_event();
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_event();
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_event();
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` and returns how many allocator calls this thread made in it.
fn count_allocations(f: impl FnOnce()) -> usize {
    let before = EVENTS.load(Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    EVENTS.load(Ordering::SeqCst) - before
}

#[test]
fn the_counter_sees_allocations_and_frees() {
    let n = count_allocations(|| {
        let v: Vec<u64> = std::hint::black_box(Vec::with_capacity(100));
        drop(v);
    });
    assert_eq!(n, 2, "one allocation and one free");
}

#[test]
fn rendering_and_every_per_note_call_allocate_nothing() {
    let kick = SampleData::from_wav_file("tests/data/kick.wav").unwrap();
    let looped = SampleData::from_mono(sine_frames(440.0, 44_100, 0.5, 0.5), 44_100)
        .unwrap()
        .with_loop(100, 10_000)
        .unwrap();
    let stereo = SampleData::from_stereo(vec![0.25; 3000], vec![-0.25; 3000], 22_050).unwrap();
    let mut engine = RealtimeEngine::new(48_000.0);
    // Waveforms prepared up front: building a Waveform::Sample clones an
    // Arc, which never allocates.
    let waveforms = [
        Waveform::Sine,
        Waveform::Square,
        Waveform::Sawtooth,
        Waveform::Triangle,
        Waveform::Pulse { duty_cycle: 0.1 },
        Waveform::Noise,
        Waveform::Sample(kick.clone()),
        Waveform::Sample(looped.clone()),
        Waveform::Sample(stereo.clone()),
    ];
    let mut mono = vec![0.0f32; 1024];
    let mut interleaved = vec![0.0f32; 2 * 512 + 1];
    let mut ids = [None; 64];
    let mut triggers = 0;
    let events = count_allocations(|| {
        for round in 0..5_000usize {
            let w = waveforms[round % waveforms.len()].clone();
            let f = 50.0 + (round % 97) as f32 * 37.0;
            let env = AdsrEnvelope::new(
                0.001 * (round % 5) as f32,
                0.01,
                0.6,
                0.002 * (round % 7) as f32,
            );
            let id = engine.trigger(
                Note::new(w, f, env)
                    .with_amplitude(0.2)
                    .with_pan((round % 3) as f32 - 1.0),
            );
            triggers += id.is_some() as usize;
            ids[round % 64] = id;
            if let Some(old) = ids[(round + 17) % 64] {
                engine.release_note(old);
                engine.set_voice_frequency(old, f * 1.5);
                engine.set_voice_amplitude(old, 0.1);
                engine.set_voice_pan(old, 0.3);
                engine.set_voice_duty_cycle(old, 0.7);
            }
            engine.set_master_volume(0.5 + (round % 2) as f32 * 0.3);
            let _ = engine.get_active_voice_count() + engine.get_master_volume() as usize;
            match round % 4 {
                0 => engine.process_buffer(&mut mono[..(round % 1024) + 1]),
                1 => engine.process_stereo_buffer(&mut interleaved),
                2 => engine.process_buffer(&mut mono),
                _ => engine.process_stereo_buffer(&mut interleaved[..(round % 1025)]),
            }
            if round % 500 == 0 {
                engine.release_all_notes();
            }
            if round % 1250 == 0 {
                engine.stop_all_notes();
            }
        }
    });
    assert_eq!(triggers, 5_000);
    assert!(
        engine.voices_stolen() > 1_000,
        "the run must exercise stealing"
    );
    assert_eq!(
        events, 0,
        "the audio path allocated or freed {events} times"
    );
}

#[test]
fn dropped_samples_are_not_freed_on_the_audio_path() {
    let mut engine = RealtimeEngine::with_voices(48_000.0, 4);
    let mut buf = vec![0.0f32; 256];
    for _ in 0..20 {
        // The caller gives the engine its only reference to the sample.
        let only_ref = SampleData::from_mono(vec![0.1; 100], 48_000).unwrap();
        engine
            .trigger_note(Waveform::Sample(only_ref), 440.0, AdsrEnvelope::default())
            .unwrap();
        let events = count_allocations(|| {
            // The sample ends within this block; its memory must survive.
            engine.process_buffer(&mut buf);
            engine.stop_all_notes();
            engine.process_buffer(&mut buf);
        });
        assert_eq!(events, 0);
    }
    // Away from the audio path, the engine lets them go.
    let freed = count_allocations(|| engine.collect_garbage());
    assert!(
        freed >= 20 * 2,
        "collect_garbage frees the kept samples ({freed} frees)"
    );
}
