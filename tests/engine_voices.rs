//! Voice allocation, stealing, ids and lifetimes (DESIGN.md: Triggering,
//! Voice ids, Stealing, Envelope, Stopping).

mod common;
use common::*;
use polyphonica::{AdsrEnvelope, EnvelopePhase, RealtimeEngine, VoiceId, Waveform, MAX_VOICES};
use std::collections::HashSet;

const RATE: f32 = 48_000.0;

fn held() -> AdsrEnvelope {
    AdsrEnvelope::new(0.0, 0.0, 1.0, 0.05)
}

#[test]
fn new_engine_has_32_voices_and_is_silent() {
    let mut engine = RealtimeEngine::new(RATE);
    assert_eq!(MAX_VOICES, 32);
    assert_eq!(engine.voice_capacity(), 32);
    assert_eq!(engine.get_active_voice_count(), 0);
    assert_eq!(engine.get_master_volume(), 1.0);
    let out = render_mono(&mut engine, 1024, 256);
    assert!(out.iter().all(|&s| s == 0.0));
}

#[test]
fn with_voices_takes_any_capacity_from_one() {
    for n in [1, 2, 7, 128, 512] {
        assert_eq!(RealtimeEngine::with_voices(RATE, n).voice_capacity(), n);
    }
    assert_eq!(RealtimeEngine::with_voices(RATE, 0).voice_capacity(), 1);
}

#[test]
fn trigger_returns_distinct_ids_and_counts_voices() {
    let mut engine = RealtimeEngine::new(RATE);
    let ids: Vec<VoiceId> = (0..10)
        .map(|i| {
            engine
                .trigger_note(Waveform::Sine, 100.0 + i as f32, held())
                .unwrap()
        })
        .collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 10);
    assert_eq!(engine.get_active_voice_count(), 10);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn unplayable_input_returns_none_and_changes_nothing() {
    let mut engine = RealtimeEngine::new(RATE);
    for f in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -440.0] {
        assert_eq!(
            engine.trigger_note(Waveform::Sine, f, held()),
            None,
            "frequency {f}"
        );
    }
    for bad in [
        AdsrEnvelope::new(f32::NAN, 0.1, 0.5, 0.1),
        AdsrEnvelope::new(0.1, f32::INFINITY, 0.5, 0.1),
        AdsrEnvelope::new(0.1, 0.1, f32::NAN, 0.1),
        AdsrEnvelope::new(0.1, 0.1, 0.5, f32::NEG_INFINITY),
    ] {
        assert_eq!(
            engine.trigger_note(Waveform::Sine, 440.0, bad),
            None,
            "{bad:?}"
        );
    }
    assert_eq!(engine.get_active_voice_count(), 0);
}

#[test]
fn out_of_range_values_are_clamped_not_refused() {
    let mut engine = RealtimeEngine::new(RATE);
    let id = engine
        .trigger_note(
            Waveform::Pulse { duty_cycle: 7.0 },
            1e9,
            AdsrEnvelope::new(-1.0, -1.0, 5.0, -1.0),
        )
        .unwrap();
    let voice = engine.voice(id).unwrap();
    assert_eq!(voice.frequency_hz(), RATE / 2.0);
    assert_eq!(voice.duty_cycle(), 0.99);
    assert_bounded(&render_mono(&mut engine, 4096, 256));
}

#[test]
fn ids_are_never_reused() {
    let mut engine = RealtimeEngine::with_voices(RATE, 4);
    let mut seen = HashSet::new();
    let mut buf = [0.0; 64];
    for i in 0..10_000 {
        let id = engine
            .trigger_note(Waveform::Sine, 220.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0))
            .unwrap();
        assert!(seen.insert(id), "id {id} handed out twice");
        if i % 3 == 0 {
            engine.release_note(id);
            engine.process_buffer(&mut buf);
        }
    }
}

#[test]
fn stealing_takes_the_oldest_releasing_voice_first() {
    let mut engine = RealtimeEngine::with_voices(RATE, 4);
    let long_release = AdsrEnvelope::new(0.0, 0.0, 1.0, 10.0);
    let ids: Vec<_> = (0..4)
        .map(|i| {
            engine
                .trigger_note(Waveform::Sine, 200.0 * (i + 1) as f32, long_release)
                .unwrap()
        })
        .collect();
    engine.release_note(ids[2]);
    engine.release_note(ids[3]);
    let newcomer = engine
        .trigger_note(Waveform::Sine, 1000.0, long_release)
        .unwrap();
    assert!(
        engine.voice(ids[2]).is_none(),
        "oldest releasing voice should be stolen"
    );
    for id in [ids[0], ids[1], ids[3], newcomer] {
        assert!(engine.voice(id).is_some(), "{id} should still play");
    }
    assert_eq!(engine.get_active_voice_count(), 4);
    assert_eq!(engine.voices_stolen(), 1);
}

#[test]
fn stealing_takes_the_oldest_voice_when_none_is_releasing() {
    let mut engine = RealtimeEngine::with_voices(RATE, 3);
    let ids: Vec<_> = (0..3)
        .map(|_| engine.trigger_note(Waveform::Sine, 300.0, held()).unwrap())
        .collect();
    let d = engine.trigger_note(Waveform::Sine, 400.0, held()).unwrap();
    assert!(engine.voice(ids[0]).is_none());
    let e = engine.trigger_note(Waveform::Sine, 500.0, held()).unwrap();
    assert!(engine.voice(ids[1]).is_none());
    for id in [ids[2], d, e] {
        assert!(engine.voice(id).is_some());
    }
}

#[test]
fn a_stale_id_never_touches_the_note_that_took_its_voice() {
    let mut engine = RealtimeEngine::with_voices(RATE, 1);
    let old = engine.trigger_note(Waveform::Sine, 300.0, held()).unwrap();
    let new = engine.trigger_note(Waveform::Sine, 600.0, held()).unwrap();
    engine.set_voice_frequency(old, 50.0);
    engine.set_voice_amplitude(old, 0.0);
    engine.set_voice_pan(old, -1.0);
    engine.release_note(old);
    let voice = engine.voice(new).unwrap();
    assert_eq!(voice.frequency_hz(), 600.0);
    assert_eq!(voice.amplitude(), 1.0);
    assert_eq!(voice.pan(), 0.0);
    assert_eq!(voice.envelope_phase(), EnvelopePhase::Sustain);
    let out = render_mono(&mut engine, 9600, 256);
    let hz = zero_crossing_hz(&out[4800..], RATE);
    assert!((hz - 600.0).abs() < 1.0, "new note plays at {hz} Hz");
}

#[test]
fn a_finished_note_frees_its_voice_in_the_same_block_and_its_id_goes_stale() {
    let mut engine = RealtimeEngine::new(RATE);
    // 100-frame release.
    let id = engine
        .trigger_note(
            Waveform::Sine,
            440.0,
            AdsrEnvelope::new(0.0, 0.0, 1.0, 100.0 / RATE),
        )
        .unwrap();
    render_mono(&mut engine, 256, 256);
    engine.release_note(id);
    assert_eq!(
        engine.voice(id).unwrap().envelope_phase(),
        EnvelopePhase::Release
    );
    let mut block = [0.0; 256];
    engine.process_buffer(&mut block);
    assert_eq!(engine.get_active_voice_count(), 0);
    assert!(engine.voice(id).is_none());
    assert!(block[..95].iter().any(|s| s.abs() > 0.01));
    assert!(
        block[100..].iter().all(|&s| s == 0.0),
        "silent after the release"
    );
    engine.set_voice_frequency(id, 880.0); // stale: nothing happens
    engine.release_note(id);
}

#[test]
fn stop_all_frees_every_voice_at_once() {
    let mut engine = RealtimeEngine::new(RATE);
    for i in 0..40 {
        engine.trigger_note(Waveform::Sawtooth, 100.0 + 10.0 * i as f32, held());
    }
    render_mono(&mut engine, 512, 256);
    engine.stop_all_notes();
    assert_eq!(engine.get_active_voice_count(), 0);
    let out = render_mono(&mut engine, 512, 256);
    assert!(out.iter().all(|&s| s == 0.0), "stolen tails must stop too");
}

#[test]
fn release_all_releases_gracefully() {
    let mut engine = RealtimeEngine::new(RATE);
    let ids: Vec<_> = (0..5)
        .map(|i| {
            engine
                .trigger_note(Waveform::Triangle, 200.0 + 50.0 * i as f32, held())
                .unwrap()
        })
        .collect();
    render_mono(&mut engine, 1024, 256);
    engine.release_all_notes();
    for id in &ids {
        assert_eq!(
            engine.voice(*id).unwrap().envelope_phase(),
            EnvelopePhase::Release
        );
    }
    assert_eq!(engine.get_active_voice_count(), 5);
    let out = render_mono(&mut engine, 4800, 256); // 50 ms release
    assert!(max_step(&out) < 0.2, "graceful release must not click");
    assert_eq!(engine.get_active_voice_count(), 0);
}

#[test]
fn a_burst_of_forty_notes_keeps_thirty_two_and_steals_eight() {
    let mut engine = RealtimeEngine::new(RATE);
    let ids: Vec<_> = (0..40)
        .map(|i| {
            engine
                .trigger_note(Waveform::Sine, 110.0 * (1.0 + i as f32 / 10.0), held())
                .unwrap()
        })
        .collect();
    assert_eq!(engine.get_active_voice_count(), 32);
    assert_eq!(engine.voices_stolen(), 8);
    assert!(ids[..8].iter().all(|id| engine.voice(*id).is_none()));
    assert!(ids[8..].iter().all(|id| engine.voice(*id).is_some()));
    engine.set_master_volume(0.05);
    assert_bounded(&render_mono(&mut engine, 4800, 256));
}

#[test]
fn a_stolen_note_fades_within_a_few_milliseconds_without_a_click_and_the_new_one_starts_at_once() {
    let mut engine = RealtimeEngine::with_voices(RATE, 1);
    let attack = AdsrEnvelope::new(0.002, 0.0, 1.0, 0.01);
    engine.trigger_note(Waveform::Sine, 200.0, attack).unwrap();
    let before = render_mono(&mut engine, 4800 + 37, 256);
    engine.trigger_note(Waveform::Sine, 1000.0, attack).unwrap();
    let after = render_mono(&mut engine, 4800, 256);
    let mut joined = before.clone();
    joined.extend(&after);
    // A 1 kHz sine at full level moves at most 2π·1000/48000 ≈ 0.13 per frame;
    // a click would be a step near the full amplitude of the old note.
    let step = max_step(&joined[4000..]);
    assert!(step < 0.15, "largest step around the steal is {step}");
    // The old note is gone after 5 ms: only 1 kHz remains.
    let tail = &after[240..];
    let hz = zero_crossing_hz(tail, RATE);
    assert!(
        (hz - 1000.0).abs() < 2.0,
        "after the fade only the new note plays: {hz} Hz"
    );
    // The new note is audible within its 2 ms attack.
    assert!(peak(&after[96..240]) > 0.5);
}

#[test]
fn many_steals_in_one_block_stay_bounded_and_counted() {
    let mut engine = RealtimeEngine::with_voices(RATE, 2);
    for i in 0..100 {
        assert!(engine
            .trigger_note(Waveform::Square, 100.0 + i as f32, held())
            .is_some());
    }
    assert_eq!(engine.get_active_voice_count(), 2);
    assert_eq!(engine.voices_stolen(), 98);
    assert_bounded(&render_mono(&mut engine, 2048, 256));
}

#[test]
fn chord_returns_an_id_per_playable_note() {
    let mut engine = RealtimeEngine::new(RATE);
    let ids = engine.trigger_chord(
        &[
            (Waveform::Sine, 261.63),
            (Waveform::Sine, f32::NAN),
            (Waveform::Sine, 392.0),
        ],
        held(),
    );
    assert_eq!(ids.len(), 2);
    assert_eq!(engine.get_active_voice_count(), 2);
}

#[test]
fn percussive_notes_with_zero_sustain_end_by_themselves() {
    let mut engine = RealtimeEngine::new(RATE);
    engine
        .trigger_note(
            Waveform::Noise,
            1.0,
            AdsrEnvelope::new(0.001, 0.05, 0.0, 0.1),
        )
        .unwrap();
    render_mono(&mut engine, 2400 + 48 + 256, 256);
    assert_eq!(engine.get_active_voice_count(), 0);
}

#[test]
fn the_engine_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RealtimeEngine>();
    assert_send_sync::<polyphonica::SampleData>();
    assert_send_sync::<VoiceId>();
}

#[test]
fn the_pool_for_32_voices_fits_in_32_kib() {
    // Voices plus the hidden slots for stolen tails.
    let bytes = std::mem::size_of::<polyphonica::Voice>() * 64;
    println!(
        "voice: {} bytes, pool: {bytes} bytes",
        std::mem::size_of::<polyphonica::Voice>()
    );
    assert!(bytes <= 32 * 1024, "pool is {bytes} bytes");
}
