//! Every snippet of the seed document (realtime-engine-seed.md), compiled
//! and checked for what it says it does.

mod common;
use common::*;
use polyphonica::{
    AdsrEnvelope, AtomicF32, EnvelopePhase, RealtimeEngine, SampleData, VoiceId, Waveform,
};
use std::error::Error;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn envelope() -> AdsrEnvelope {
    AdsrEnvelope {
        attack_secs: 0.1,
        decay_secs: 0.2,
        sustain_level: 0.6,
        release_secs: 0.5,
    }
}

/// "Core Components": trigger with `?` in a function returning `Option`.
fn core_components() -> Option<(RealtimeEngine, VoiceId, Vec<f32>)> {
    let envelope = envelope();
    let mut engine = RealtimeEngine::new(44100.0);

    // Trigger notes and get voice IDs for tracking
    let voice_id = engine.trigger_note(Waveform::Sine, 440.0, envelope)?;

    // Process audio buffers (CPAL-compatible)
    let mut buffer = vec![0.0; 1024];
    engine.process_buffer(&mut buffer);
    Some((engine, voice_id, buffer))
}

#[test]
fn core_components_trigger_and_process() {
    let (engine, voice_id, buffer) = core_components().unwrap();
    assert!(buffer.iter().any(|s| *s != 0.0));
    assert_eq!(engine.get_active_voice_count(), 1);
    assert!(engine.voice(voice_id).is_some());
}

#[test]
fn voice_parameters_update_in_real_time() {
    let (mut engine, voice_id, _) = core_components().unwrap();
    // Update voice parameters in real-time
    engine.set_voice_frequency(voice_id, 880.0);
    engine.set_voice_amplitude(voice_id, 0.5);
    let voice = engine.voice(voice_id).unwrap();
    assert_eq!((voice.frequency_hz(), voice.amplitude()), (880.0, 0.5));
    let out = render_mono(&mut engine, 44_100, 1024);
    assert!((zero_crossing_hz(&out, 44_100.0) - 880.0).abs() < 0.5);
}

#[test]
fn envelope_phases_are_the_five_of_the_seed() {
    let phases = [
        EnvelopePhase::Attack,
        EnvelopePhase::Decay,
        EnvelopePhase::Sustain,
        EnvelopePhase::Release,
        EnvelopePhase::Finished,
    ];
    let (mut engine, id, _) = core_components().unwrap();
    assert_eq!(engine.voice(id).unwrap().envelope_phase(), phases[0]);
    render_mono(&mut engine, 4410 + 1024, 1024); // past the 0.1 s attack
    assert_eq!(engine.voice(id).unwrap().envelope_phase(), phases[1]);
    render_mono(&mut engine, 8820, 1024);
    assert_eq!(engine.voice(id).unwrap().envelope_phase(), phases[2]);
    engine.release_note(id);
    assert_eq!(engine.voice(id).unwrap().envelope_phase(), phases[3]);
    render_mono(&mut engine, 22_050 + 1024, 1024);
    assert!(
        engine.voice(id).is_none(),
        "finished voices are cleaned up: {:?}",
        phases[4]
    );
}

#[test]
fn master_volume_updates_from_any_thread() {
    let engine = Arc::new(RealtimeEngine::new(44_100.0));
    let e = engine.clone();
    std::thread::spawn(move || e.set_master_volume(0.7))
        .join()
        .unwrap();
    assert_eq!(engine.get_master_volume(), 0.7);
    let a = AtomicF32::new(0.0);
    a.store(0.7, Ordering::Relaxed);
    assert_eq!(a.load(Ordering::Relaxed), 0.7);
}

#[test]
fn basic_real_time_setup_with_a_shared_engine() {
    // Create shared engine
    let engine = Arc::new(Mutex::new(RealtimeEngine::new(44100.0)));

    // Audio callback (separate thread)
    let audio_engine = engine.clone();
    let audio_callback = move |output: &mut [f32]| {
        let mut engine = audio_engine.lock().unwrap();
        engine.process_buffer(output);
    };

    // Control thread
    let control_engine = engine.clone();
    std::thread::spawn(move || {
        let mut engine = control_engine.lock().unwrap();

        let envelope = AdsrEnvelope {
            attack_secs: 0.1,
            decay_secs: 0.2,
            sustain_level: 0.6,
            release_secs: 0.5,
        };

        // Trigger notes from control logic
        engine.trigger_note(Waveform::Sine, 440.0, envelope);
    })
    .join()
    .unwrap();

    let audio = std::thread::spawn(move || {
        let callback = audio_callback;
        let mut out = vec![0.0; 44_100];
        for chunk in out.chunks_mut(512) {
            callback(chunk);
        }
        out
    });
    let out = audio.join().unwrap();
    assert!((zero_crossing_hz(&out, 44_100.0) - 440.0).abs() < 0.5);
    assert_eq!(engine.lock().unwrap().get_active_voice_count(), 1);
}

#[test]
fn procedural_music_chord_and_scheduled_release() {
    let engine = Arc::new(Mutex::new(RealtimeEngine::new(44_100.0)));
    let envelope = AdsrEnvelope {
        attack_secs: 0.01,
        decay_secs: 0.05,
        sustain_level: 0.6,
        release_secs: 0.05,
    };
    // Trigger musical phrases
    let chord_notes = &[
        (Waveform::Sine, 261.63), // C
        (Waveform::Sine, 329.63), // E
        (Waveform::Sine, 392.00), // G
    ];

    let voice_ids = engine.lock().unwrap().trigger_chord(chord_notes, envelope);
    assert_eq!(voice_ids.len(), 3);

    // Schedule releases (the seed waits 2 s; 100 ms keeps the test short)
    let control = engine.clone();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        for voice_id in voice_ids {
            control.lock().unwrap().release_note(voice_id);
        }
    });
    releaser.join().unwrap();
    let mut engine = engine.lock().unwrap();
    assert!(engine
        .active_voices()
        .all(|v| v.envelope_phase() == EnvelopePhase::Release));
    render_mono(&mut engine, 4410, 512);
    assert_eq!(engine.get_active_voice_count(), 0);
}

fn parameter_automation() -> Option<Vec<f32>> {
    let mut engine = RealtimeEngine::new(44_100.0);
    let envelope = envelope();
    let mut buffer = vec![0.0; 64];
    let mut recorded = Vec::new();
    // Real-time parameter modulation
    let voice_id = engine.trigger_note(Waveform::Sawtooth, 220.0, envelope)?;

    // Frequency sweep over time
    for frame in 0..1000 {
        let frequency = 220.0 + (frame as f32 * 0.1);
        engine.set_voice_frequency(voice_id, frequency);

        // Process audio buffer
        engine.process_buffer(&mut buffer);
        recorded.extend_from_slice(&buffer);
    }
    Some(recorded)
}

#[test]
fn parameter_automation_sweeps_the_pitch_up() {
    let out = parameter_automation().unwrap();
    assert_bounded(&out);
    let early = zero_crossing_hz(&out[6_400..12_800], 44_100.0);
    let late = zero_crossing_hz(&out[57_600..], 44_100.0);
    assert!((early - 230.0).abs() < 10.0, "early pitch {early}");
    assert!((late - 314.0).abs() < 10.0, "late pitch {late}");
}

#[test]
fn every_waveform_of_the_seed_plays_in_real_time() {
    let waveforms = [
        Waveform::Sine,
        Waveform::Square,
        Waveform::Sawtooth,
        Waveform::Triangle,
        Waveform::Pulse { duty_cycle: 0.25 },
        Waveform::Noise,
    ];
    for w in waveforms {
        let mut engine = RealtimeEngine::new(44_100.0);
        engine
            .trigger_note(w.clone(), 440.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.1))
            .unwrap();
        let out = render_mono(&mut engine, 4410, 512);
        assert!(rms(&out) > 0.2, "{w:?} is too quiet: {}", rms(&out));
    }
}

fn sample_based_synthesis() -> Result<usize, Box<dyn Error>> {
    let mut engine = RealtimeEngine::new(44_100.0);
    let envelope = envelope();
    let sample_data = SampleData::from_wav_file("tests/data/kick.wav")?;
    let waveform = Waveform::Sample(sample_data);

    // Real-time pitch shifting
    engine.trigger_note(waveform, 440.0, envelope);
    let mut buffer = vec![0.0; 1024];
    engine.process_buffer(&mut buffer);
    Ok(engine.get_active_voice_count())
}

#[test]
fn sample_based_synthesis_loads_and_plays() {
    assert_eq!(sample_based_synthesis().unwrap(), 1);
    let missing: Result<SampleData, Box<dyn Error>> =
        (|| Ok(SampleData::from_wav_file("kick.wav")?))();
    assert!(missing.unwrap_err().to_string().contains("could not read"));
}

#[test]
fn voice_management_and_status() {
    let (mut engine, voice_id, _) = core_components().unwrap();
    let waveform = Waveform::Triangle;
    let frequency = 330.0;
    let envelope = envelope();
    // Trigger notes
    let second = engine.trigger_note(waveform, frequency, envelope).unwrap();
    // Release specific notes
    engine.release_note(voice_id);
    assert_eq!(
        engine.voice(voice_id).unwrap().envelope_phase(),
        EnvelopePhase::Release
    );
    // Release all notes (graceful)
    engine.release_all_notes();
    assert_eq!(
        engine.voice(second).unwrap().envelope_phase(),
        EnvelopePhase::Release
    );
    assert_eq!(engine.get_active_voice_count(), 2);
    // Emergency stop (immediate)
    engine.stop_all_notes();
    // Voice count monitoring
    let active_voices = engine.get_active_voice_count();
    assert_eq!(active_voices, 0);
    // Master volume (0.0 - 1.0)
    engine.set_master_volume(0.7);
    // Volume levels
    let master_volume = engine.get_master_volume();
    assert_eq!(master_volume, 0.7);
}

#[test]
fn error_handling_prints_the_voice_id() {
    let mut engine = RealtimeEngine::with_voices(44_100.0, 1);
    let (waveform, frequency, envelope) = (Waveform::Sine, 440.0, envelope());
    let mut printed = Vec::new();
    for _ in 0..3 {
        match engine.trigger_note(waveform.clone(), frequency, envelope) {
            Some(voice_id) => printed.push(format!("Note triggered: {}", voice_id)),
            None => printed.push("All voices busy (voice stealing occurred)".to_string()),
        }
    }
    // Stealing makes room: every trigger sounds and gets an id.
    assert_eq!(
        printed,
        [
            "Note triggered: voice#1",
            "Note triggered: voice#2",
            "Note triggered: voice#3"
        ]
    );
}

#[test]
fn buffer_processing_validation_holds() {
    let (mut engine, _, _) = core_components().unwrap();
    for _ in 0..40 {
        engine.trigger_note(Waveform::Square, 110.0, envelope());
    }
    let mut output = vec![0.0; 2048];
    // Buffer size validation
    assert!(output.len() % 2 == 0, "Stereo buffer must have even length");
    engine.process_stereo_buffer(&mut output);
    let buffer = output;
    // Sample validation
    for sample in &buffer {
        assert!(*sample >= -1.0 && *sample <= 1.0);
        assert!(!sample.is_nan());
    }
}
