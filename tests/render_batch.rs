//! Batch rendering on the engine (DESIGN.md, "Batch rendering"):
//! generate_wave, apply_envelope, render_event with sweeps, render_timeline.

mod common;
use common::*;
use polyphonica::render::{TimelineEvent, TimelineRenderer, FLAT_ENVELOPE};
use polyphonica::{
    apply_envelope, generate_wave, render_event, render_timeline, AdsrEnvelope, RenderError,
    SampleData, SoundEvent, Waveform,
};

const RATE: u32 = 48_000;

#[test]
fn generate_wave_plays_every_waveform_at_its_pitch() {
    for (waveform, hz) in [
        (Waveform::Sine, 440.0),
        (Waveform::Sine, 1234.5),
        (Waveform::Sawtooth, 220.0),
        (Waveform::Square, 330.0),
        (Waveform::Triangle, 523.25),
        (Waveform::Pulse { duty_cycle: 0.3 }, 261.63),
    ] {
        let wave = generate_wave(waveform.clone(), hz, 1.0, RATE).unwrap();
        assert_eq!(wave.len(), RATE as usize);
        let measured = zero_crossing_hz(&wave, RATE as f32);
        assert!(
            (measured - hz).abs() / hz < 5e-4,
            "{waveform:?} at {hz} Hz measured {measured} Hz"
        );
        assert_bounded(&wave);
    }
}

#[test]
fn generate_wave_sine_is_a_pure_sine_of_amplitude_one() {
    let wave = generate_wave(Waveform::Sine, 1000.0, 0.1, RATE).unwrap();
    for (i, s) in wave.iter().enumerate() {
        let expected = (std::f64::consts::TAU * 1000.0 * i as f64 / RATE as f64).sin() as f32;
        assert!((s - expected).abs() < 2e-3, "sample {i}: {s} vs {expected}");
    }
    assert!((peak(&wave) - 1.0).abs() < 1e-3);
}

#[test]
fn generate_wave_length_is_the_rounded_duration() {
    assert_eq!(
        generate_wave(Waveform::Sine, 440.0, 0.5, 44_100)
            .unwrap()
            .len(),
        22_050
    );
    assert_eq!(
        generate_wave(Waveform::Sine, 440.0, 1.0 / 3.0, 44_100)
            .unwrap()
            .len(),
        14_700
    );
    assert_eq!(
        generate_wave(Waveform::Noise, 440.0, 0.00001, 44_100)
            .unwrap()
            .len(),
        0
    );
    assert!(generate_wave(Waveform::Sine, 440.0, 0.0, 44_100)
        .unwrap()
        .is_empty());
}

#[test]
fn bad_input_is_an_error_that_says_what_is_wrong() {
    let msg = |r: Result<Vec<f32>, RenderError>| r.unwrap_err().to_string();
    assert_eq!(
        msg(generate_wave(Waveform::Sine, f32::NAN, 1.0, RATE)),
        "frequency is NaN; expected a frequency above 0 Hz and at most 24000 Hz (half the sample rate)"
    );
    assert_eq!(
        msg(generate_wave(Waveform::Sine, 30_000.0, 1.0, RATE)),
        "frequency is 30000; expected a frequency above 0 Hz and at most 24000 Hz (half the sample rate)"
    );
    assert!(msg(generate_wave(Waveform::Sine, -1.0, 1.0, RATE)).starts_with("frequency is -1;"));
    assert_eq!(
        msg(generate_wave(Waveform::Sine, 440.0, -0.5, RATE)),
        "duration_secs is -0.5; expected a finite number of seconds, 0 or more"
    );
    assert!(
        msg(generate_wave(Waveform::Sine, 440.0, f32::INFINITY, RATE))
            .starts_with("duration_secs is inf;")
    );
    assert_eq!(
        msg(generate_wave(Waveform::Sine, 440.0, 1.0, 0)),
        "the sample rate is 0 Hz; expected 1 to 1536000 Hz"
    );
    assert!(msg(generate_wave(
        Waveform::Pulse { duty_cycle: 1.5 },
        440.0,
        1.0,
        RATE
    ))
    .contains("duty_cycle is 1.5"));
    assert!(msg(generate_wave(Waveform::Sine, 440.0, 1e9, RATE)).contains("less than"));

    let event = |f: fn(&mut SoundEvent)| {
        let mut e = SoundEvent::new(Waveform::Sine, 440.0, 1.0, AdsrEnvelope::default());
        f(&mut e);
        msg(render_event(&e, RATE))
    };
    assert!(event(|e| e.end_frequency = 0.0).starts_with("event.end_frequency is 0;"));
    assert!(event(|e| e.duration_secs = f32::NAN).starts_with("event.duration_secs is NaN;"));
    assert_eq!(
        event(|e| e.envelope.attack_secs = -1.0),
        "event.envelope.attack_secs is -1; expected a finite number of seconds, 0 or more"
    );
    assert_eq!(
        event(|e| e.envelope.sustain_level = 1.5),
        "event.envelope.sustain_level is 1.5; expected a level from 0 to 1"
    );

    let ok = SoundEvent::new(Waveform::Sine, 440.0, 0.1, AdsrEnvelope::default());
    let bad = SoundEvent::new(Waveform::Sine, 440.0, -2.0, AdsrEnvelope::default());
    assert_eq!(
        msg(render_timeline(&[(0.0, ok.clone()), (0.5, bad)], 1.0, RATE)),
        "events[1].1.duration_secs is -2; expected a finite number of seconds, 0 or more"
    );
    assert_eq!(
        msg(render_timeline(&[(f32::NAN, ok.clone())], 1.0, RATE)),
        "events[0].0 is NaN; expected a start time in seconds, finite and 0 or more"
    );
    assert!(msg(render_timeline(&[], -1.0, RATE)).starts_with("total_duration_secs is -1;"));
    let err = TimelineRenderer::new(
        &[TimelineEvent::new(0.0, ok).with_amplitude(2.0)],
        1.0,
        RATE,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "events[0].amplitude is 2; expected a level from 0 to 1"
    );
}

#[test]
fn apply_envelope_shapes_a_buffer_as_one_whole_event() {
    let mut ones = vec![1.0f32; 1000];
    // 100-frame attack, 100-frame decay to 0.5, 300-frame release at 1 kHz.
    apply_envelope(&mut ones, &AdsrEnvelope::new(0.1, 0.1, 0.5, 0.3), 1000);
    assert_eq!(ones[0], 0.0);
    assert!((ones[50] - 0.5).abs() < 1e-6);
    assert_eq!(ones[100], 1.0);
    assert!(ones[200..700].iter().all(|&l| l == 0.5));
    assert!(ones[700..].windows(2).all(|w| w[1] < w[0]));
    assert!(ones[999] < 0.5 / 299.0 + 1e-6, "last level {}", ones[999]);

    // Shorter than the release: the release starts at once and lasts the buffer.
    let mut short = vec![1.0f32; 100];
    apply_envelope(&mut short, &AdsrEnvelope::new(0.0, 0.0, 0.8, 1.0), 1000);
    assert_eq!(short[0], 0.8);
    assert!((short[50] - 0.4).abs() < 1e-6);
    assert!(short[99] < 0.01);

    // Unplayable envelopes and rates leave the samples alone.
    let mut untouched = vec![0.5f32; 10];
    apply_envelope(
        &mut untouched,
        &AdsrEnvelope::new(f32::NAN, 0.0, 1.0, 0.0),
        1000,
    );
    apply_envelope(&mut untouched, &AdsrEnvelope::default(), 0);
    assert!(untouched.iter().all(|&s| s == 0.5));
}

#[test]
fn render_event_is_generate_wave_with_apply_envelope() {
    for envelope in [
        AdsrEnvelope::new(0.05, 0.1, 0.6, 0.2),
        AdsrEnvelope::new(0.3, 0.3, 0.6, 0.5),
    ] {
        let event = SoundEvent::new(Waveform::Sine, 330.0, 0.4, envelope);
        let mut expected = generate_wave(Waveform::Sine, 330.0, 0.4, RATE).unwrap();
        apply_envelope(&mut expected, &envelope, RATE);
        assert!(
            render_event(&event, RATE).unwrap() == expected,
            "{envelope:?}"
        );
    }
}

#[test]
fn the_release_is_inside_the_event() {
    let envelope = AdsrEnvelope::new(0.01, 0.05, 0.7, 0.2);
    let out = render_event(
        &SoundEvent::new(Waveform::Sawtooth, 200.0, 1.0, envelope),
        RATE,
    )
    .unwrap();
    assert_eq!(out.len(), 48_000);
    // Sustaining until 0.8 s, then falling to silence by the end.
    let sustain = peak(&out[24_000..38_000]);
    assert!((sustain - 0.7).abs() < 0.05, "sustain level {sustain}");
    assert!(peak(&out[40_800..41_760]) < 0.7 * 0.8); // a quarter into the release
    assert!(
        peak(&out[47_900..]) < 0.7 * 0.01,
        "tail {}",
        peak(&out[47_900..])
    );

    // An event shorter than attack + decay + release still ends in silence.
    let out = render_event(
        &SoundEvent::new(
            Waveform::Sine,
            200.0,
            0.1,
            AdsrEnvelope::new(0.2, 0.2, 0.5, 0.3),
        ),
        RATE,
    )
    .unwrap();
    assert_eq!(out.len(), 4_800);
    assert!(peak(&out[4_700..]) < 0.01);
}

/// The frequency around `t` seconds, from zero crossings within ±`half` s.
fn pitch_at(signal: &[f32], t: f32, half: f32) -> f32 {
    let (a, b) = (
        ((t - half) * RATE as f32) as usize,
        ((t + half) * RATE as f32) as usize,
    );
    zero_crossing_hz(&signal[a..b], RATE as f32)
}

#[test]
fn a_sweep_is_heard_at_the_interpolated_frequency_at_each_time() {
    let flat = AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0);
    for (from, to) in [(200.0f32, 2000.0f32), (3000.0, 300.0)] {
        let event = SoundEvent::new(Waveform::Sine, from, 2.0, flat).sweeping_to(to);
        let out = render_event(&event, RATE).unwrap();
        for t in [0.1f32, 0.5, 1.0, 1.5, 1.9] {
            let expected = from + (to - from) * t / 2.0;
            let measured = pitch_at(&out, t, 0.01);
            assert!(
                (measured - expected).abs() / expected < 2e-3,
                "{from}->{to} Hz at {t} s: measured {measured} Hz, expected {expected} Hz"
            );
        }
        // Phase-continuous: no step larger than the sine's own at its top pitch.
        let top = from.max(to);
        let own = std::f32::consts::TAU * top / RATE as f32;
        assert!(
            max_step(&out) <= own * 1.01,
            "step {} vs {own}",
            max_step(&out)
        );
    }
}

#[test]
fn a_sweep_integrates_phase_exactly() {
    // The phase of a linear sweep after n frames is Σ f(k)/rate; compare the
    // whole waveform with that sum.
    let (from, to, secs) = (100.0f64, 5000.0f64, 0.5f64);
    let event = SoundEvent::new(Waveform::Sine, from as f32, secs as f32, FLAT_ENVELOPE)
        .sweeping_to(to as f32);
    let out = render_event(&event, RATE).unwrap();
    let n = out.len() as f64;
    let mut phase = 0.0f64;
    let mut worst = 0.0f32;
    for (k, s) in out.iter().enumerate() {
        let expected = (std::f64::consts::TAU * phase).sin() as f32;
        worst = worst.max((s - expected).abs());
        phase += (from + (to - from) * k as f64 / n) / RATE as f64;
    }
    assert!(
        worst < 5e-3,
        "largest difference from the ideal sweep {worst}"
    );
}

#[test]
fn a_sample_sweeps_too() {
    let tone = SampleData::from_mono(sine_frames(440.0, RATE, 2.0, 0.5), RATE).unwrap();
    let event =
        SoundEvent::new(Waveform::Sample(tone), 440.0, 1.0, FLAT_ENVELOPE).sweeping_to(880.0);
    let out = render_event(&event, RATE).unwrap();
    for t in [0.2f32, 0.5, 0.8] {
        let expected = 440.0 * (1.0 + t);
        let measured = pitch_at(&out, t, 0.01);
        assert!(
            (measured - expected).abs() / expected < 3e-3,
            "at {t} s: {measured} Hz, expected {expected}"
        );
    }
}

#[test]
fn timeline_events_start_at_exactly_their_rounded_frame() {
    let event = SoundEvent::new(
        Waveform::Sine,
        523.25,
        0.05,
        AdsrEnvelope::new(0.0, 0.01, 0.5, 0.02),
    );
    let alone = render_event(&event, 44_100).unwrap();
    for start in [0.0f32, 0.123_456, 0.5, 0.999_99, 1.000_011_3] {
        let out = render_timeline(&[(start, event.clone())], 1.2, 44_100).unwrap();
        assert_eq!(out.len(), 52_920);
        let at = (start as f64 * 44_100.0).round() as usize;
        assert!(
            out[..at].iter().all(|&s| s == 0.0),
            "sound before frame {at}"
        );
        assert!(
            out[at..at + alone.len()] == alone[..],
            "event at {start} s differs from the event alone"
        );
        assert!(out[at + alone.len()..].iter().all(|&s| s == 0.0));
    }
}

#[test]
fn a_quiet_timeline_is_exactly_the_sum_of_its_events() {
    let env = AdsrEnvelope::new(0.01, 0.05, 0.6, 0.1);
    let events = [
        (0.0, SoundEvent::new(Waveform::Sine, 220.0, 0.6, env)),
        (0.25, SoundEvent::new(Waveform::Triangle, 330.0, 0.5, env)),
        (
            0.3,
            SoundEvent::new(Waveform::Sine, 440.0, 0.4, env).sweeping_to(660.0),
        ),
    ];
    let placed: Vec<TimelineEvent> = events
        .iter()
        .map(|(t, e)| TimelineEvent::new(*t, e.clone()).with_amplitude(0.3))
        .collect();
    let mut renderer = TimelineRenderer::new(&placed, 1.0, RATE).unwrap();
    let mut mix = vec![0.0f32; 48_000];
    assert_eq!(renderer.render_mono(&mut mix), 48_000);
    let mut sum = vec![0.0f32; mix.len()];
    for (start, e) in &events {
        let at = (start * RATE as f32).round() as usize;
        for (s, x) in sum[at..].iter_mut().zip(render_event(e, RATE).unwrap()) {
            *s += x * 0.3;
        }
    }
    let worst = mix
        .iter()
        .zip(&sum)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "mix differs from the sum by {worst}");
}

#[test]
fn a_timeline_of_64_loud_overlapping_events_stays_in_bounds() {
    let loud = AdsrEnvelope::new(0.0, 0.0, 1.0, 0.05);
    let events: Vec<(f32, SoundEvent)> = (0..64)
        .map(|i| {
            (
                i as f32 * 0.002,
                SoundEvent::new(Waveform::Sawtooth, 60.0 + i as f32 * 3.0, 0.5, loud),
            )
        })
        .collect();
    let placed: Vec<TimelineEvent> = events
        .iter()
        .map(|(t, e)| TimelineEvent::new(*t, e.clone()))
        .collect();
    assert_eq!(
        TimelineRenderer::new(&placed, 1.0, RATE)
            .unwrap()
            .voice_capacity(),
        64
    );
    let out = render_timeline(&events, 1.0, RATE).unwrap();
    assert_bounded(&out);
    assert!(
        peak(&out[6_000..24_000]) > 0.9,
        "the limiter should hold the mix near full scale"
    );
    assert!(
        out[40_000..].iter().all(|&s| s == 0.0),
        "silence after the last event"
    );
}

#[test]
fn events_past_the_end_are_cut_or_ignored() {
    let e = SoundEvent::new(Waveform::Sine, 440.0, 1.0, AdsrEnvelope::default());
    let out = render_timeline(&[(0.9, e.clone()), (5.0, e)], 1.0, RATE).unwrap();
    assert_eq!(out.len(), 48_000);
    assert!(peak(&out[44_000..]) > 0.5);
    assert!(render_timeline(&[], 0.25, RATE)
        .unwrap()
        .iter()
        .all(|&s| s == 0.0));
}

#[test]
fn the_streaming_renderer_gives_the_same_audio_in_any_block_size() {
    let env = AdsrEnvelope::new(0.01, 0.05, 0.6, 0.1);
    let events: Vec<TimelineEvent> = (0..12)
        .map(|i| {
            let e = SoundEvent::new(Waveform::Square, 110.0 * (1 + i % 4) as f32, 0.3, env);
            TimelineEvent::new(i as f32 * 0.0731, e)
                .with_amplitude(0.2)
                .with_pan(i as f32 / 6.0 - 1.0)
        })
        .collect();
    let render = |block: usize| {
        let mut r = TimelineRenderer::new(&events, 1.0, RATE).unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0.0; block * 2];
        loop {
            let n = r.render_stereo(&mut buf);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n * 2]);
        }
        out
    };
    let whole = render(48_000);
    assert_eq!(whole.len(), 96_000);
    assert!(render(1) == whole);
    assert!(render(333) == whole);
    // Panned hard left: the right channel is silent while only it plays.
    let (_, right) = split_stereo(&whole);
    assert_eq!(peak(&right[..3_000]), 0.0);
}

#[test]
fn the_engine_sweeps_a_live_voice_and_a_set_frequency_ends_the_sweep() {
    let mut engine = polyphonica::RealtimeEngine::new(RATE as f32);
    let id = engine
        .trigger_note(Waveform::Sine, 220.0, FLAT_ENVELOPE)
        .unwrap();
    engine.sweep_voice_frequency(id, 880.0, 1.0);
    assert_eq!(engine.voice(id).unwrap().frequency_hz(), 880.0);
    let first = render_mono(&mut engine, 24_000, 256);
    // Half-way through the first half second: 220 + 660 × 0.25.
    assert!(
        (pitch_at(&first, 0.25, 0.01) - 385.0).abs() < 1.0,
        "{}",
        pitch_at(&first, 0.25, 0.01)
    );
    engine.set_voice_frequency(id, 330.0);
    let after = render_mono(&mut engine, 24_000, 256);
    assert!((zero_crossing_hz(&after[256..], RATE as f32) - 330.0).abs() < 0.5);
    assert!(max_step(&after) < std::f32::consts::TAU * 700.0 / RATE as f32);
}

/// The probe's silent successes: a note no longer than its release (the
/// default release is 0.2 s) rendered silence, and so did a long run of
/// short notes. A note is now held at least through its attack (or half
/// its length), the release shortened to the rest.
#[test]
fn a_note_shorter_than_its_release_still_sounds() {
    let event = SoundEvent::new(Waveform::Sine, 440.0, 0.2, AdsrEnvelope::default());
    let out = render_event(&event, RATE).unwrap();
    assert!(peak(&out) > 0.9, "peak {}", peak(&out));
    assert!(peak(&out[9_550..]) < 0.01, "still ends in silence");
    // A slow attack longer than the event: held for half, released over
    // the other half.
    let slow = AdsrEnvelope::new(1.0, 0.0, 1.0, 1.0);
    let out = render_event(&SoundEvent::new(Waveform::Sine, 440.0, 0.1, slow), RATE).unwrap();
    let top = peak(&out);
    assert!(
        (0.04..0.06).contains(&top),
        "reaches half the event's worth of attack: {top}"
    );
    // apply_envelope agrees (the test above checks it in general).
    let mut tone = generate_wave(Waveform::Sine, 440.0, 0.2, RATE).unwrap();
    apply_envelope(&mut tone, &AdsrEnvelope::default(), RATE);
    assert!(tone == render_event(&event, RATE).unwrap());
}

#[test]
fn a_million_short_sequential_notes_are_heard() {
    let rate = 8_000;
    let note = SoundEvent::new(Waveform::Square, 440.0, 0.002, AdsrEnvelope::default());
    let events: Vec<_> = (0..1_000_000)
        .map(|i| (i as f32 * 0.002, note.clone()))
        .collect();
    let out = render_timeline(&events, 2_000.0, rate).unwrap();
    // 16 frames each, held 8 frames into a 10 ms attack: quiet (about
    // -26 dB) but heard; before, each was released at its first frame, from
    // level 0, and the render was silent.
    let heard = out.chunks(16).filter(|note| peak(note) > 0.02).count();
    assert!(heard > 990_000, "{heard} of 1,000,000 notes heard");
}
