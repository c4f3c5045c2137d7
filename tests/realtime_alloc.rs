//! Real-time safety, proven: a counting global allocator shows that nothing
//! on the audio path allocates or frees.

mod common;
use common::alloc_counter::{assert_the_counter_works, count_allocations, CountingAllocator};
use common::*;
use polyphonica::{AdsrEnvelope, Note, RealtimeEngine, SampleData, Waveform};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn the_counter_sees_allocations_and_frees() {
    assert_the_counter_works();
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

#[test]
fn live_midi_on_the_audio_side_allocates_nothing() {
    use polyphonica::control::ControlConfig;
    use polyphonica::midi::LiveMidi;
    let config = ControlConfig {
        queue_capacity: 4096,
        ..ControlConfig::default()
    };
    let (mut audio, control) = RealtimeEngine::new(48_000.0).split_with(config);
    let mut sender = LiveMidi::new(control);
    let mut block = vec![0.0f32; 512];
    let mut events = 0;
    for round in 0..2_000u32 {
        let key = (36 + round % 48) as u8;
        let channel = (round % 16) as u8;
        // Note on, a controller, a bend and a program change, then note off
        // (the input side's parsing may allocate; only the audio side is
        // measured).
        sender.send_bytes(&[
            0x90 | channel,
            key,
            100,
            0xB0 | channel,
            7,
            90,
            0xE0 | channel,
            0,
            0x50,
        ]);
        sender.send_bytes(&[
            0xC0 | channel,
            (round % 128) as u8,
            0xB0 | channel,
            64,
            (round % 2 * 127) as u8,
        ]);
        if round % 3 == 0 {
            sender.send_bytes(&[0x80 | channel, key, 0]);
        }
        events += count_allocations(|| audio.process_stereo_buffer(&mut block));
    }
    assert_eq!(sender.dropped(), 0);
    assert!(
        sender.controller().status().voices_stolen > 100,
        "the run must steal voices"
    );
    assert_eq!(
        events, 0,
        "the audio side allocated or freed {events} times"
    );
}
