//! What the engine sounds like: pitch, levels, smoothing, stereo, samples
//! (DESIGN.md: Parameters, Output, Stereo, Samples).

mod common;
use common::*;
use polyphonica::EventTarget;
use polyphonica::{AdsrEnvelope, Note, RealtimeEngine, SampleData, Waveform};

const RATE: f32 = 48_000.0;

fn held() -> AdsrEnvelope {
    AdsrEnvelope::new(0.0, 0.0, 1.0, 0.05)
}

#[test]
fn every_periodic_waveform_plays_at_the_asked_pitch() {
    for (waveform, hz) in [
        (Waveform::Sine, 440.0),
        (Waveform::Sine, 1234.5),
        (Waveform::Sawtooth, 220.0),
        (Waveform::Square, 330.0),
        (Waveform::Triangle, 523.25),
        (Waveform::Pulse { duty_cycle: 0.3 }, 261.63),
    ] {
        let mut engine = RealtimeEngine::new(RATE);
        engine.trigger_note(waveform.clone(), hz, held()).unwrap();
        let out = render_mono(&mut engine, 48_000, 256);
        let measured = zero_crossing_hz(&out, RATE);
        assert!(
            (measured - hz).abs() / hz < 5e-4,
            "{waveform:?} at {hz} Hz measured {measured} Hz"
        );
    }
}

#[test]
fn output_is_exactly_the_mix_below_full_scale() {
    let mut engine = RealtimeEngine::new(RATE);
    engine.set_master_volume(0.8);
    engine.trigger_note(Waveform::Sine, 440.0, held()).unwrap();
    let out = render_mono(&mut engine, 48_000, 256);
    let p = peak(&out);
    assert!(
        (p - 0.8).abs() < 1e-3,
        "single sine at master 0.8 peaks at {p}"
    );

    // Two quiet voices together are the sum of each alone.
    let render_with = |freqs: &[f32]| {
        let mut e = RealtimeEngine::new(RATE);
        for &f in freqs {
            e.trigger(Note::new(Waveform::Sine, f, held()).with_amplitude(0.3))
                .unwrap();
        }
        render_mono(&mut e, 4800, 256)
    };
    let (a, b, both) = (
        render_with(&[300.0]),
        render_with(&[700.0]),
        render_with(&[300.0, 700.0]),
    );
    let err = a
        .iter()
        .zip(&b)
        .zip(&both)
        .map(|((x, y), z)| (x + y - z).abs())
        .fold(0.0f32, f32::max);
    assert!(err < 1e-6, "mix differs from the sum by {err}");
}

#[test]
fn a_loud_mix_is_limited_into_full_scale() {
    let mut engine = RealtimeEngine::new(RATE);
    for i in 0..32 {
        engine
            .trigger_note(Waveform::Sawtooth, 55.0 * (1.0 + i as f32 * 0.01), held())
            .unwrap();
    }
    let out = render_mono(&mut engine, 24_000, 256);
    assert_bounded(&out);
    assert!(
        peak(&out) > 0.9,
        "the limiter keeps the level up: {}",
        peak(&out)
    );
    let stereo = render_stereo(&mut engine, 4800, 256);
    assert_bounded(&stereo);
}

#[test]
fn envelope_levels_and_timing_show_in_the_output() {
    let mut engine = RealtimeEngine::new(RATE);
    // 10 ms attack (480 frames), 20 ms decay to 0.5, 30 ms release.
    let id = engine
        .trigger_note(
            Waveform::Sine,
            1000.0,
            AdsrEnvelope::new(0.01, 0.02, 0.5, 0.03),
        )
        .unwrap();
    let out = render_mono(&mut engine, 9600, 256);
    let level_near = |from: usize| peak(&out[from..from + 48]); // one 1 kHz cycle
    assert!(level_near(0) < 0.1);
    assert!(
        (level_near(240) - 0.55).abs() < 0.06,
        "half-way through attack: {}",
        level_near(240)
    );
    assert!(
        (level_near(456) - 1.0).abs() < 0.06,
        "end of attack: {}",
        level_near(456)
    );
    assert!(
        (level_near(2400) - 0.5).abs() < 0.01,
        "sustain: {}",
        level_near(2400)
    );
    engine.release_note(id);
    let release = render_mono(&mut engine, 2048, 256);
    assert!((peak(&release[..48]) - 0.5).abs() < 0.02);
    assert!(
        (peak(&release[720..768]) - 0.25).abs() < 0.02,
        "half-way through release"
    );
    assert!(
        release[1440..].iter().all(|&s| s == 0.0),
        "silent after 30 ms"
    );
    assert_eq!(engine.get_active_voice_count(), 0);
}

#[test]
fn release_mid_attack_falls_from_the_current_level_without_a_jump() {
    let mut engine = RealtimeEngine::new(RATE);
    let id = engine
        .trigger_note(Waveform::Sine, 200.0, AdsrEnvelope::new(0.5, 0.0, 1.0, 0.1))
        .unwrap();
    let a = render_mono(&mut engine, 12_000, 256); // half-way through the attack
    engine.release_note(id);
    let b = render_mono(&mut engine, 6_000, 256);
    let level_before = peak(&a[a.len() - 240..]);
    let level_after = peak(&b[..240]);
    assert!((level_before - 0.5).abs() < 0.02, "level {level_before}");
    assert!(
        (level_after - level_before).abs() < 0.02,
        "release starts at {level_after}"
    );
    let mut joined = a;
    joined.extend(b);
    // A 200 Hz sine at level 0.5 moves at most 2π·200/48000·0.5 ≈ 0.0131.
    assert!(
        max_step(&joined) < 0.0132,
        "largest step {}",
        max_step(&joined)
    );
}

#[test]
fn amplitude_and_master_changes_are_smoothed() {
    let mut engine = RealtimeEngine::new(RATE);
    // A DC-like source: a 5 Hz sine near its peak changes slowly, so any
    // step comes from the gain change itself.
    let id = engine.trigger_note(Waveform::Square, 2.0, held()).unwrap();
    let a = render_mono(&mut engine, 2400, 256);
    engine.set_voice_amplitude(id, 0.0);
    let b = render_mono(&mut engine, 2400, 256);
    engine.set_voice_amplitude(id, 1.0);
    engine.set_master_volume(0.0);
    let c = render_mono(&mut engine, 2400, 256);
    engine.set_master_volume(1.0);
    let d = render_mono(&mut engine, 2400, 256);
    let all: Vec<f32> = [a, b.clone(), c, d].concat();
    let step = max_step(&all[100..]);
    assert!(step < 0.01, "largest step {step}: gain changes must ramp");
    assert!(peak(&b[480..]) < 1e-6, "amplitude 0 reached within 10 ms");
}

#[test]
fn frequency_changes_keep_the_phase_continuous() {
    let mut engine = RealtimeEngine::new(RATE);
    let id = engine.trigger_note(Waveform::Sine, 300.0, held()).unwrap();
    let mut out = Vec::new();
    let mut block = [0.0; 128];
    for i in 0..200 {
        engine.set_voice_frequency(id, 300.0 + 200.0 * (i as f32 * 0.3).sin());
        engine.process_buffer(&mut block);
        out.extend_from_slice(&block);
    }
    // A 500 Hz sine steps at most 2π·500/48000 ≈ 0.065 per frame.
    assert!(max_step(&out) < 0.07, "largest step {}", max_step(&out));
    engine.set_voice_frequency(id, 880.0);
    let tail = render_mono(&mut engine, 9600, 256);
    assert!((zero_crossing_hz(&tail, RATE) - 880.0).abs() < 0.5);
}

#[test]
fn bad_parameter_values_are_ignored_or_clamped() {
    let mut engine = RealtimeEngine::new(RATE);
    let id = engine.trigger_note(Waveform::Sine, 440.0, held()).unwrap();
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        engine.set_voice_frequency(id, bad);
        engine.set_voice_amplitude(id, bad);
        engine.set_voice_pan(id, bad);
        engine.set_master_volume(bad);
        engine.set_voice_duty_cycle(id, bad);
    }
    let v = engine.voice(id).unwrap();
    assert_eq!(
        (v.frequency_hz(), v.amplitude(), v.pan()),
        (440.0, 1.0, 0.0)
    );
    assert_eq!(engine.get_master_volume(), 1.0);
    engine.set_voice_amplitude(id, 5.0);
    engine.set_voice_pan(id, -9.0);
    engine.set_master_volume(-2.0);
    engine.set_voice_frequency(id, 1e12);
    let v = engine.voice(id).unwrap();
    assert_eq!(
        (v.amplitude(), v.pan(), v.frequency_hz()),
        (1.0, -1.0, RATE / 2.0)
    );
    assert_eq!(engine.get_master_volume(), 0.0);
    assert_bounded(&render_stereo(&mut engine, 4096, 256));
}

#[test]
fn centred_stereo_equals_mono_on_both_channels() {
    let sample = SampleData::from_mono(sine_frames(440.0, 44_100, 0.5, 0.8), 44_100).unwrap();
    let play = |engine: &mut RealtimeEngine| {
        for (i, w) in [
            Waveform::Sine,
            Waveform::Sawtooth,
            Waveform::Square,
            Waveform::Triangle,
            Waveform::Pulse { duty_cycle: 0.2 },
            Waveform::Noise,
            Waveform::Sample(sample.clone()),
        ]
        .into_iter()
        .enumerate()
        {
            engine.trigger(
                Note::new(w, 110.0 * (i + 1) as f32, AdsrEnvelope::default()).with_amplitude(0.1),
            );
        }
    };
    let mut mono_engine = RealtimeEngine::new(RATE);
    let mut stereo_engine = RealtimeEngine::new(RATE);
    play(&mut mono_engine);
    play(&mut stereo_engine);
    let mono = render_mono(&mut mono_engine, 9000, 300);
    let stereo = render_stereo(&mut stereo_engine, 9000, 300);
    let (l, r) = split_stereo(&stereo);
    assert!(mono.iter().any(|&s| s != 0.0));
    assert!(l == mono, "left differs from mono");
    assert!(r == mono, "right differs from mono");
}

#[test]
fn odd_stereo_buffers_leave_the_last_sample_silent() {
    let mut engine = RealtimeEngine::new(RATE);
    engine
        .trigger_note(Waveform::Square, 440.0, held())
        .unwrap();
    for len in [1usize, 3, 511, 513, 1025] {
        let mut buf = vec![0.7; len];
        engine.process_stereo_buffer(&mut buf);
        assert_eq!(buf[len - 1], 0.0, "length {len}");
        assert_bounded(&buf);
    }
    engine.process_stereo_buffer(&mut []);
    engine.process_buffer(&mut []);
}

#[test]
fn pan_moves_a_voice_between_channels() {
    let mut engine = RealtimeEngine::new(RATE);
    let id = engine
        .trigger(Note::new(Waveform::Sine, 440.0, held()).with_pan(1.0))
        .unwrap();
    let (l, r) = split_stereo(&render_stereo(&mut engine, 4800, 256));
    assert_eq!(peak(&l), 0.0);
    assert!(peak(&r) > 0.99);
    engine.set_voice_pan(id, -0.5);
    let (l, r) = split_stereo(&render_stereo(&mut engine, 4800, 256));
    assert!((peak(&l[960..]) - 1.0).abs() < 1e-3 && (peak(&r[960..]) - 0.5).abs() < 1e-3);
    assert!(max_step(&r) < 0.07, "pan moves are smoothed");
}

#[test]
fn a_sample_at_its_base_frequency_plays_at_its_recorded_pitch_at_any_engine_rate() {
    let sample = SampleData::from_mono(sine_frames(1000.0, 22_050, 1.0, 0.5), 22_050).unwrap();
    for engine_rate in [44_100.0, 48_000.0, 96_000.0] {
        for (note_hz, expected) in [(440.0, 1000.0), (880.0, 2000.0), (220.0, 500.0)] {
            let mut engine = RealtimeEngine::new(engine_rate);
            engine
                .trigger_note(Waveform::Sample(sample.clone()), note_hz, held())
                .unwrap();
            let out = render_mono(&mut engine, (engine_rate * 0.2) as usize, 256);
            let hz = zero_crossing_hz(&out, engine_rate);
            assert!(
                (hz - expected).abs() / expected < 1e-3,
                "{note_hz} Hz note at {engine_rate}: {hz} Hz"
            );
        }
    }
}

#[test]
fn a_sample_without_loop_ends_with_its_data() {
    let sample = SampleData::from_mono(vec![0.5; 4410], 44_100).unwrap(); // 0.1 s
    let mut engine = RealtimeEngine::new(44_100.0);
    let id = engine
        .trigger_note(Waveform::Sample(sample), 440.0, held())
        .unwrap();
    let out = render_mono(&mut engine, 4410 + 256, 256);
    assert!(engine.voice(id).is_none() && engine.get_active_voice_count() == 0);
    assert!(out[4420..].iter().all(|&s| s == 0.0));
    assert!((out[2000] - 0.5).abs() < 1e-6);
}

#[test]
fn a_looped_sample_loops_while_held_and_plays_its_tail_after_release() {
    let frames = sine_frames(441.0, 44_100, 0.1, 0.5); // 44.1 cycles
    let sample = SampleData::from_mono(frames, 44_100)
        .unwrap()
        .with_loop(1000, 2000)
        .unwrap(); // 10 whole cycles
    let mut engine = RealtimeEngine::new(44_100.0);
    let id = engine
        .trigger_note(
            Waveform::Sample(sample),
            440.0,
            AdsrEnvelope::new(0.0, 0.0, 1.0, 1.0),
        )
        .unwrap();
    let held_out = render_mono(&mut engine, 44_100, 256); // ten times the data
    assert!(engine.voice(id).is_some(), "still looping");
    assert!(peak(&held_out[40_000..]) > 0.45);
    assert!(
        max_step(&held_out) < 0.04,
        "the loop seam does not click: {}",
        max_step(&held_out)
    );
    engine.release_note(id);
    render_mono(&mut engine, 4410 + 256, 256);
    assert!(
        engine.voice(id).is_none(),
        "after release the tail plays out and the voice ends"
    );
}

#[test]
fn stereo_samples_play_in_stereo_and_mix_down_in_mono() {
    let left = sine_frames(500.0, 48_000, 0.2, 0.8);
    let right: Vec<f32> = left.iter().map(|s| s * 0.25).collect();
    let sample = SampleData::from_stereo(left, right, 48_000).unwrap();
    let mut engine = RealtimeEngine::new(RATE);
    engine
        .trigger_note(Waveform::Sample(sample.clone()), 440.0, held())
        .unwrap();
    let (l, r) = split_stereo(&render_stereo(&mut engine, 4800, 256));
    assert!((peak(&l) - 0.8).abs() < 0.01 && (peak(&r) - 0.2).abs() < 0.01);
    let mut engine = RealtimeEngine::new(RATE);
    engine
        .trigger_note(Waveform::Sample(sample), 440.0, held())
        .unwrap();
    let mono = render_mono(&mut engine, 4800, 256);
    assert!(
        (peak(&mono) - 0.5).abs() < 0.01,
        "mono mix-down is the average: {}",
        peak(&mono)
    );
}

#[test]
fn noise_voices_are_white_and_independent() {
    let mut engine = RealtimeEngine::new(RATE);
    let a = engine
        .trigger(Note::new(Waveform::Noise, 1.0, held()).with_pan(-1.0))
        .unwrap();
    engine
        .trigger(Note::new(Waveform::Noise, 1.0, held()).with_pan(1.0))
        .unwrap();
    let (l, r) = split_stereo(&render_stereo(&mut engine, 48_000, 256));
    let corr = l.iter().zip(&r).map(|(a, b)| (a * b) as f64).sum::<f64>()
        / (rms(&l) as f64 * rms(&r) as f64 * l.len() as f64);
    assert!(corr.abs() < 0.02, "voices correlate: {corr}");
    assert!((rms(&l) - (1.0f32 / 3.0).sqrt()).abs() < 0.02);
    let _ = a;
}

/// Two noise notes, the second after a steal-free gap, with `seed`.
fn seeded_noise(seed: Option<u64>) -> Vec<f32> {
    let mut engine = RealtimeEngine::with_voices(RATE, 4);
    if let Some(seed) = seed {
        engine.set_noise_seed(seed);
    }
    engine.trigger(Note::new(Waveform::Noise, 1.0, held()));
    let mut out = render_mono(&mut engine, 1000, 256);
    engine.trigger(Note::new(Waveform::Noise, 1.0, held()));
    out.extend(render_mono(&mut engine, 1000, 256));
    out
}

#[test]
fn noise_is_deterministic_per_seed() {
    assert_eq!(seeded_noise(Some(99)), seeded_noise(Some(99)));
    assert_eq!(
        seeded_noise(None),
        seeded_noise(Some(0)),
        "default seed is 0"
    );
    let a = seeded_noise(Some(1));
    let b = seeded_noise(Some(2));
    let corr = a.iter().zip(&b).map(|(x, y)| (x * y) as f64).sum::<f64>()
        / (rms(&a) as f64 * rms(&b) as f64 * a.len() as f64);
    assert!(corr.abs() < 0.1, "seeds 1 and 2 correlate: {corr}");

    // The seed travels into the lock-free split.
    let split_noise = |seed| {
        let mut engine = RealtimeEngine::new(RATE);
        engine.set_noise_seed(seed);
        let (mut audio, mut controller) = engine.split();
        controller
            .trigger(Note::new(Waveform::Noise, 1.0, held()))
            .unwrap();
        let mut out = vec![0.0; 512];
        audio.process_buffer(&mut out);
        out
    };
    assert_eq!(split_noise(5), split_noise(5));
    assert_ne!(split_noise(5), split_noise(6));
}

#[test]
fn long_release_tails_produce_no_denormals() {
    let mut engine = RealtimeEngine::new(RATE);
    let id = engine
        .trigger_note(
            Waveform::Sine,
            100.0,
            AdsrEnvelope::new(0.0, 0.0, 1e-30, 2.0),
        )
        .unwrap();
    render_mono(&mut engine, 4800, 256);
    engine.release_note(id);
    let out = render_mono(&mut engine, 96_000, 256);
    assert!(
        out.iter().all(|s| *s == 0.0 || s.is_normal()),
        "denormal output"
    );
}
