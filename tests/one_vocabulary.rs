//! One vocabulary, one runner: MIDI through the lock-free controller at
//! exact frames, groups and fades, note ramps, ended notes, planar output,
//! and one meaning of a note's length in beats.

mod common;
use common::alloc_counter::count_allocations;
use common::*;
use polyphonica::midi::{LiveMidi, MidiMessage, MidiSynth};
use polyphonica::render::{Score, TimelineEvent, TimelineRenderer};
use polyphonica::{
    AdsrEnvelope, At, EventTarget, Note, Phrase, RealtimeEngine, SampleData, SoundEvent, Tempo,
    VoiceId, Waveform,
};
use std::path::Path;

const HOLD: AdsrEnvelope = AdsrEnvelope {
    attack_secs: 0.0,
    decay_secs: 0.0,
    sustain_level: 1.0,
    release_secs: 0.0,
};

#[test]
fn midi_through_the_controller_starts_at_the_stamped_frames_at_any_buffer_size() {
    let stamps = [0u64, 1, 63, 64, 65, 255, 700, 1023, 1024, 3001];
    for buffer in [1usize, 64, 256, 1024] {
        let (mut audio, control) = RealtimeEngine::new(48_000.0).split();
        let mut live = LiveMidi::new(control);
        live.synth_mut().set_gain(1.0);
        for (i, &frame) in stamps.iter().enumerate() {
            // Each note on its own channel, so each can be heard alone.
            let channel = i as u8;
            let on = MidiMessage::NoteOn {
                channel,
                key: 69,
                velocity: 127,
            };
            live.send_at(At::Frame(frame), on).unwrap();
        }
        // After each block, exactly the notes stamped before its end play.
        let mut counts = Vec::new();
        let mut block = vec![0.0f32; buffer];
        let mut rendered = 0u64;
        while rendered < 4_096 {
            audio.process_buffer(&mut block);
            rendered += buffer as u64;
            counts.push((rendered, audio.get_active_voice_count()));
        }
        for (end, count) in counts {
            let expected = stamps.iter().filter(|&&f| f < end).count();
            assert_eq!(count, expected, "buffer {buffer}: voices after frame {end}");
        }
    }
}

#[test]
fn a_stamped_midi_note_sounds_from_its_frame_exactly() {
    for buffer in [1usize, 64, 256, 1024] {
        for stamp in [0u64, 1, 255, 256, 1000] {
            let (mut audio, control) = RealtimeEngine::new(48_000.0).split();
            let mut live = LiveMidi::new(control);
            let on = MidiMessage::NoteOn {
                channel: 0,
                key: 81, // 880 Hz: its first sample after the start is not 0
                velocity: 127,
            };
            live.send_at(At::Frame(stamp), on).unwrap();
            let mut out = vec![0.0f32; 2_048];
            for chunk in out.chunks_mut(buffer) {
                audio.process_buffer(chunk);
            }
            // A sine starts at phase 0: frame `stamp` is 0, the next is not.
            assert!(
                out[..=stamp as usize].iter().all(|s| *s == 0.0),
                "buffer {buffer} stamp {stamp}"
            );
            assert!(
                out[stamp as usize + 1] != 0.0,
                "buffer {buffer} stamp {stamp}"
            );
        }
    }
}

#[test]
fn the_same_synth_drives_the_engine_and_the_controller_identically() {
    let song = [
        MidiMessage::NoteOn {
            channel: 0,
            key: 60,
            velocity: 100,
        },
        MidiMessage::NoteOn {
            channel: 1,
            key: 64,
            velocity: 80,
        },
        MidiMessage::ControlChange {
            channel: 0,
            controller: 10,
            value: 20,
        },
        MidiMessage::PitchBend {
            channel: 1,
            value: 3000,
        },
        MidiMessage::NoteOff {
            channel: 0,
            key: 60,
        },
    ];
    let mut engine = RealtimeEngine::new(48_000.0);
    let mut synth = MidiSynth::new();
    for m in song {
        synth.handle(&mut engine, m).unwrap();
    }
    let direct = render_stereo(&mut engine, 4_800, 256);

    let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    let mut synth = MidiSynth::new();
    for m in song {
        synth.handle(&mut control, m).unwrap();
    }
    let mut queued = vec![0.0f32; 2 * 4_800];
    for chunk in queued.chunks_mut(512) {
        audio.process_stereo_buffer(chunk);
    }
    assert_eq!(direct, queued);
}

#[test]
fn a_group_fade_is_a_straight_line_over_its_time_and_leaves_other_groups_alone() {
    let mut engine = RealtimeEngine::new(48_000.0);
    let music = Note::new(Waveform::Sine, 1_000.0, HOLD).with_group(1);
    let effect = Note::new(Waveform::Sine, 1_000.0, HOLD)
        .with_group(2)
        .with_pan(1.0);
    engine.trigger(music.with_pan(-1.0)).unwrap();
    engine.trigger(effect).unwrap();
    engine.fade_group(1, 0.0, 1.0).unwrap();
    let out = render_stereo(&mut engine, 48_000, 256);
    let (left, right) = split_stereo(&out);
    for (t, expected) in [(0.25, 0.75), (0.5, 0.5), (0.75, 0.25)] {
        let at = (t * 48_000.0) as usize;
        let level = peak(&left[at - 24..at + 24]);
        assert!((level - expected).abs() < 0.01, "music at {t} s: {level}");
    }
    assert!(peak(&left[47_900..]) < 0.005);
    assert!(
        peak(&right[47_000..]) > 0.99,
        "the effects group is untouched"
    );
    assert!(
        max_step(&left) < 0.14,
        "no click: the sine's own step is 0.13"
    );
}

#[test]
fn group_volume_is_smoothed_and_release_and_stop_act_on_one_group() {
    let mut engine = RealtimeEngine::new(48_000.0);
    let env = AdsrEnvelope::new(0.0, 0.0, 1.0, 0.05);
    let a = engine
        .trigger(Note::new(Waveform::Sine, 500.0, env).with_group(1))
        .unwrap();
    let b = engine
        .trigger(Note::new(Waveform::Sine, 700.0, env).with_group(2))
        .unwrap();
    let c = engine
        .trigger(Note::new(Waveform::Sine, 900.0, env).with_group(2))
        .unwrap();
    render_mono(&mut engine, 480, 480);
    engine.set_group_volume(2, 0.0).unwrap();
    let after = render_mono(&mut engine, 4_800, 256);
    assert!(max_step(&after) < 0.25, "the volume change is smoothed");
    engine.release_group(1).unwrap();
    assert_eq!(
        engine.voice(a).unwrap().envelope_phase(),
        polyphonica::EnvelopePhase::Release
    );
    assert_eq!(
        engine.voice(b).unwrap().envelope_phase(),
        polyphonica::EnvelopePhase::Sustain
    );
    engine.stop_group(2).unwrap();
    assert!(engine.voice(b).is_none() && engine.voice(c).is_none());
    assert!(engine.voice(a).is_some());
    let mut ended: Vec<VoiceId> = std::iter::from_fn(|| engine.take_ended_note()).collect();
    ended.sort();
    assert_eq!(ended, [b, c]);
    render_mono(&mut engine, 4_800, 256);
    assert_eq!(engine.take_ended_note(), Some(a));
}

#[test]
fn stopping_a_group_fades_out_within_a_block_without_a_click() {
    let mut engine = RealtimeEngine::new(48_000.0);
    engine
        .trigger(Note::new(Waveform::Sine, 200.0, HOLD).with_group(3))
        .unwrap();
    let mut out = render_mono(&mut engine, 1_000, 1_000);
    engine.stop_group(3).unwrap();
    out.extend(render_mono(&mut engine, 1_000, 64));
    let last = out.iter().rposition(|s| *s != 0.0).unwrap();
    // A stolen note's fade: 4 ms, stretched to the end of the block (of at
    // most 256 frames) in which it ends.
    assert!(
        last < 1_000 + 256,
        "silent within a block, not at frame {last}"
    );
    assert!(max_step(&out) < 0.05, "largest step {}", max_step(&out));
    assert_eq!(engine.get_active_voice_count(), 0);
}

#[test]
fn a_note_amplitude_ramp_lands_on_time_and_a_later_set_replaces_it() {
    let mut engine = RealtimeEngine::new(48_000.0);
    let id = engine.trigger_note(Waveform::Sine, 1_000.0, HOLD).unwrap();
    engine.ramp_voice_amplitude(id, 0.2, 0.5).unwrap();
    let out = render_mono(&mut engine, 24_000, 100);
    assert!((peak(&out[11_976..12_024]) - 0.6).abs() < 0.01);
    assert!((peak(&out[23_952..]) - 0.2).abs() < 0.01);
    engine.ramp_voice_amplitude(id, 1.0, 10.0).unwrap();
    render_mono(&mut engine, 4_800, 256);
    engine.set_voice_amplitude(id, 0.5);
    let out = render_mono(&mut engine, 4_800, 256);
    assert!(
        (peak(&out[2_400..]) - 0.5).abs() < 0.01,
        "the set replaced the ramp"
    );
}

#[test]
fn the_controller_learns_which_notes_ended_in_bounded_memory() {
    let (mut audio, mut control) = RealtimeEngine::with_voices(48_000.0, 4).split();
    let short = AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0);
    let mut started = Vec::new();
    for round in 0..50 {
        for _ in 0..4 {
            let id = control
                .trigger_note(Waveform::Square, 300.0, short)
                .unwrap();
            control.release_note(id).unwrap();
            started.push(id);
        }
        audio.process_buffer(&mut [0.0; 64]);
        if round < 40 {
            // Nobody takes them for a while: the queue stays at its size.
            continue;
        }
    }
    let ended: Vec<VoiceId> = std::iter::from_fn(|| control.take_ended_note()).collect();
    // 200 notes ended; the queue holds 256 (four times 4 voices, at least
    // 256), so all are there, in order.
    assert_eq!(ended, started);
    // Far more than the queue holds: the newest are kept, memory is fixed.
    for _ in 0..300 {
        let id = control
            .trigger_note(Waveform::Square, 300.0, short)
            .unwrap();
        control.release_note(id).unwrap();
        audio.process_buffer(&mut [0.0; 16]);
    }
    let ended = std::iter::from_fn(|| control.take_ended_note()).count();
    assert!(ended <= 256 + 4 * 2 * 4, "bounded: {ended}");
    assert!(ended >= 256);
}

#[test]
fn planar_output_is_the_interleaved_output_deinterleaved() {
    let play = |engine: &mut RealtimeEngine| {
        let id = engine
            .trigger_note(Waveform::Sawtooth, 110.0, AdsrEnvelope::default())
            .unwrap();
        engine.set_voice_pan(id, -0.4).unwrap();
        engine
            .trigger(
                Note::new(Waveform::Noise, 1.0, HOLD)
                    .with_pan(0.7)
                    .with_amplitude(0.2),
            )
            .unwrap();
    };
    let mut a = RealtimeEngine::new(48_000.0);
    play(&mut a);
    let (l1, r1) = split_stereo(&render_stereo(&mut a, 3_000, 300));
    let mut b = RealtimeEngine::new(48_000.0);
    play(&mut b);
    let (mut l2, mut r2) = (vec![0.0; 3_000], vec![0.0; 3_000]);
    for (l, r) in l2.chunks_mut(300).zip(r2.chunks_mut(300)) {
        b.process_planar_buffers(l, r);
    }
    assert_eq!((l1, r1), (l2, r2));
}

#[test]
fn sample_pitch_in_semitones_and_as_a_rate() {
    let rate = 48_000;
    let tone = sine_frames(440.0, rate, 1.0, 0.5);
    let sample = SampleData::from_mono(tone, rate).unwrap();
    for (note, expected) in [
        (Note::sample_at_semitones(sample.clone(), 7.0, HOLD), 659.26),
        (Note::sample_at_rate(sample.clone(), 0.5, HOLD), 220.0),
    ] {
        let mut engine = RealtimeEngine::new(48_000.0);
        engine.trigger(note).unwrap();
        let out = render_mono(&mut engine, 19_200, 256);
        let hz = zero_crossing_hz(&out[..19_000], 48_000.0);
        assert!(
            (hz - expected).abs() / expected < 0.002,
            "{hz} Hz, not {expected}"
        );
    }
}

#[test]
fn group_and_ramp_events_allocate_nothing_on_the_audio_side() {
    let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
    let mut block = [0.0f32; 256];
    let mut counted = 0;
    for round in 0..500u32 {
        let group = (round % 8) as u8;
        let id = control
            .trigger(
                Note::new(
                    Waveform::Triangle,
                    200.0 + round as f32,
                    AdsrEnvelope::default(),
                )
                .with_group(group),
            )
            .unwrap();
        control.ramp_voice_amplitude(id, 0.3, 0.01).unwrap();
        control
            .fade_group(group, (round % 3) as f32 * 0.4, 0.02)
            .unwrap();
        if round % 5 == 0 {
            control.release_group(group).unwrap();
        }
        if round % 7 == 0 {
            control.stop_group((group + 1) % 8).unwrap();
        }
        counted += count_allocations(|| audio.process_stereo_buffer(&mut block));
        while control.take_ended_note().is_some() {}
    }
    assert_eq!(counted, 0);
}

/// One beat at 120 BPM with a 0.1 s release, played three ways: a score, a
/// phrase through the controller, a timeline. Each lasts exactly one beat,
/// release included.
#[test]
fn a_note_of_one_beat_lasts_one_beat_release_included_everywhere() {
    let rate = 48_000u32;
    let beat_frames = 24_000usize;
    let env = AdsrEnvelope::new(0.01, 0.05, 0.7, 0.1);
    let last_sound = |signal: &[f32]| signal.iter().rposition(|s| s.abs() > 1e-6).unwrap();

    let score = Score::from_toml(
        "tempo = 120\nbeats = 2\n[instruments.lead]\nwaveform = \"sine\"\n\
         envelope = { attack = 0.01, decay = 0.05, sustain = 0.7, release = 0.1 }\n\
         [[note]]\ninstrument = \"lead\"\nbeat = 0\nbeats = 1\npitch = 440\n",
        "beat.toml",
        Path::new("."),
    )
    .unwrap();
    let mut renderer = score.renderer(rate).unwrap();
    let mut from_score = vec![0.0f32; 2 * beat_frames];
    renderer.render_mono(&mut from_score);

    let (mut audio, mut control) = RealtimeEngine::new(rate as f32).split();
    let phrase = Phrase::new().note(0.0, 1.0, Note::new(Waveform::Sine, 440.0, env));
    control
        .play_phrase(&phrase, Tempo::new(120.0), 0.0)
        .unwrap();
    let mut from_phrase = vec![0.0f32; 2 * beat_frames];
    audio.process_buffer(&mut from_phrase);

    let event = SoundEvent::new(Waveform::Sine, 440.0, 0.5, env);
    let mut timeline = TimelineRenderer::new(&[TimelineEvent::new(0.0, event)], 1.0, rate).unwrap();
    let mut from_timeline = vec![0.0f32; 2 * beat_frames];
    timeline.render_mono(&mut from_timeline);

    for (name, signal) in [
        ("score", &from_score),
        ("phrase", &from_phrase),
        ("timeline", &from_timeline),
    ] {
        let end = last_sound(signal);
        assert!(
            (beat_frames - 48..beat_frames).contains(&end),
            "{name}: the note ends at frame {end}, not at the beat (24000)"
        );
    }
    assert_eq!(
        from_phrase, from_timeline,
        "the same note, the same samples"
    );
}
