//! The lock-free split: sample-accurate timing, ordering, errors and status.

mod common;
use common::*;
use polyphonica::control::ControlConfig;
use polyphonica::EventTarget;
use polyphonica::{
    AdsrEnvelope, At, AudioEngine, ControlError, Controller, EnvelopePhase, Note, Phrase,
    RealtimeEngine, Tempo, VoiceId, Waveform,
};

const RATE: f32 = 48_000.0;

fn split(config: ControlConfig) -> (AudioEngine, Controller) {
    RealtimeEngine::with_voices(RATE, 16).split_with(config)
}

fn render(audio: &mut AudioEngine, frames: usize, block: usize) -> Vec<f32> {
    let mut out = vec![0.0; frames];
    for chunk in out.chunks_mut(block) {
        audio.process_buffer(chunk);
    }
    out
}

fn render_stereo_split(audio: &mut AudioEngine, frames: usize, block: usize) -> Vec<f32> {
    let mut out = vec![0.0; 2 * frames];
    for chunk in out.chunks_mut(2 * block) {
        audio.process_stereo_buffer(chunk);
    }
    out
}

fn first_sound(signal: &[f32]) -> Option<usize> {
    signal.iter().position(|s| *s != 0.0)
}

const SHARP: AdsrEnvelope = AdsrEnvelope {
    attack_secs: 0.0,
    decay_secs: 0.05,
    sustain_level: 0.6,
    release_secs: 0.02,
};

/// The same notes played by the direct API, each call made between blocks
/// that end exactly at its frame: the reference for sample accuracy.
/// A direct-API call made at a frame.
type Call<'a> = (usize, &'a dyn Fn(&mut RealtimeEngine));

fn reference(events: &[Call<'_>], frames: usize) -> Vec<f32> {
    let mut engine = RealtimeEngine::with_voices(RATE, 16);
    let mut out = vec![0.0; frames];
    let mut pos = 0;
    for (frame, call) in events {
        engine.process_buffer(&mut out[pos..*frame]);
        call(&mut engine);
        pos = *frame;
    }
    engine.process_buffer(&mut out[pos..]);
    out
}

#[test]
fn a_note_for_frame_n_starts_at_frame_n_whatever_the_buffer_size() {
    let frames = 12_000;
    let on = 1_000;
    let off = 6_123;
    let expected = reference(
        &[
            (on, &|e: &mut RealtimeEngine| {
                e.trigger_note(Waveform::Triangle, 330.0, SHARP).unwrap();
            }),
            (off, &|e: &mut RealtimeEngine| e.release_all_notes()),
        ],
        frames,
    );
    let onset = first_sound(&expected).unwrap();
    assert!(onset == on || onset == on + 1, "reference onset {onset}");
    for block in [1, 7, 64, 256, 257, 999, 1_000, 1_001, 4_096, 12_000] {
        let (mut audio, mut control) = split(ControlConfig::default());
        let id = control
            .at(At::Frame(on as u64))
            .trigger_note(Waveform::Triangle, 330.0, SHARP)
            .unwrap();
        control.at(At::Frame(off as u64)).release_note(id).unwrap();
        let out = render(&mut audio, frames, block);
        assert_eq!(first_sound(&out), Some(onset), "block {block}");
        let worst = out
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst < 1e-5,
            "block {block}: differs from the reference by {worst}"
        );
        assert_bounded(&out);
    }
}

#[test]
fn stereo_is_sample_accurate_too() {
    for block in [3, 64, 500] {
        let (mut audio, mut control) = split(ControlConfig::default());
        let note = Note::new(Waveform::Triangle, 220.0, SHARP).with_pan(-1.0);
        control.at(At::Frame(777)).trigger(note).unwrap();
        let out = render_stereo_split(&mut audio, 2_000, block);
        let (left, right) = split_stereo(&out);
        let onset = first_sound(&left).unwrap();
        assert!(onset == 777 || onset == 778, "block {block}: onset {onset}");
        assert!(
            right.iter().all(|s| *s == 0.0),
            "hard left: the right channel stays silent"
        );
    }
    // An odd buffer leaves its last sample silent.
    let (mut audio, mut control) = split(ControlConfig::default());
    control
        .trigger_note(Waveform::Square, 200.0, SHARP)
        .unwrap();
    let mut odd = vec![0.5f32; 101];
    audio.process_stereo_buffer(&mut odd);
    assert_eq!(odd[100], 0.0);
    assert_eq!(audio.frame(), 50);
}

#[test]
fn every_time_unit_lands_on_its_frame() {
    let (mut audio, mut control) = split(ControlConfig::default());
    let tempo = Tempo::new(100.0).starting_at_frame(300);
    let a = control
        .at(At::Frame(100))
        .trigger_note(Waveform::Sine, 200.0, SHARP)
        .unwrap();
    let b = control
        .at(At::Secs(0.01))
        .trigger_note(Waveform::Sine, 300.0, SHARP)
        .unwrap(); // frame 480
    let c = control
        .at(At::Beat(0.5, tempo))
        .trigger_note(Waveform::Sine, 400.0, SHARP)
        .unwrap(); // 300 + 14_400
    let expect = [(a, 100u64), (b, 480), (c, 14_700)];
    let mut block = [0.0f32; 37];
    while audio.frame() < 15_000 {
        let before = audio.frame();
        audio.process_buffer(&mut block);
        for (id, frame) in expect {
            // A note exists after the block that contains its frame.
            assert_eq!(
                audio.voice(id).is_some(),
                audio.frame() > frame,
                "{id} at {before}"
            );
        }
    }
}

#[test]
fn events_at_one_frame_apply_in_the_order_sent() {
    let (mut audio, mut control) = split(ControlConfig::default());
    let id = control.trigger_note(Waveform::Sine, 100.0, SHARP).unwrap();
    for hz in [200.0, 300.0, 400.0, 500.0] {
        control
            .at(At::Frame(50))
            .set_voice_frequency(id, hz)
            .unwrap();
    }
    control
        .at(At::Frame(40))
        .set_voice_frequency(id, 150.0)
        .unwrap();
    audio.process_buffer(&mut [0.0; 45]);
    assert_eq!(audio.voice(id).unwrap().frequency_hz(), 150.0);
    audio.process_buffer(&mut [0.0; 10]);
    assert_eq!(audio.voice(id).unwrap().frequency_hz(), 500.0);
}

#[test]
fn a_release_sent_before_its_note_starts_still_reaches_it() {
    let (mut audio, mut control) = split(ControlConfig::default());
    let id = control
        .at(At::Frame(1_000))
        .trigger_note(Waveform::Sine, 440.0, SHARP)
        .unwrap();
    // "Now" is long before the note starts: the commands wait for it.
    control.set_voice_amplitude(id, 0.5).unwrap();
    control.release_note(id).unwrap();
    audio.process_buffer(&mut [0.0; 1_000]);
    assert!(audio.voice(id).is_none());
    assert_eq!(control.status().pending_events, 3);
    audio.process_buffer(&mut [0.0; 1]);
    let voice = audio.voice(id).unwrap();
    assert_eq!(voice.envelope_phase(), EnvelopePhase::Release);
    assert_eq!(voice.amplitude(), 0.5);
    audio.process_buffer(&mut [0.0; 2_000]);
    assert_eq!(audio.get_active_voice_count(), 0, "no stuck note");
    assert_eq!(control.status().pending_events, 0);
}

#[test]
fn a_time_already_past_applies_at_the_start_of_the_next_block() {
    let (mut audio, mut control) = split(ControlConfig::default());
    audio.process_buffer(&mut [0.0; 5_000]);
    let id = control
        .at(At::Frame(10))
        .trigger_note(Waveform::Triangle, 440.0, SHARP)
        .unwrap();
    let out = render(&mut audio, 256, 256);
    assert!(first_sound(&out).unwrap() <= 1);
    assert!(audio.voice(id).is_some());
}

#[test]
fn stop_all_and_release_all_act_at_their_frame() {
    let (mut audio, mut control) = split(ControlConfig::default());
    control
        .trigger_note(Waveform::Square, 300.0, SHARP)
        .unwrap();
    control
        .trigger_note(Waveform::Square, 400.0, SHARP)
        .unwrap();
    control.at(At::Frame(300)).stop_all_notes().unwrap();
    let out = render(&mut audio, 1_024, 128);
    assert!(out[..300].iter().any(|s| s.abs() > 0.1));
    assert!(out[300..].iter().all(|s| *s == 0.0));
    assert_eq!(control.get_active_voice_count(), 0);

    control
        .trigger_note(Waveform::Square, 300.0, SHARP)
        .unwrap();
    control
        .at(At::Frame(1_024 + 100))
        .release_all_notes()
        .unwrap();
    audio.process_buffer(&mut [0.0; 100]);
    assert_eq!(
        audio.active_voices().next().unwrap().envelope_phase(),
        EnvelopePhase::Decay
    );
    audio.process_buffer(&mut [0.0; 1]);
    assert_eq!(
        audio.active_voices().next().unwrap().envelope_phase(),
        EnvelopePhase::Release
    );
}

#[test]
fn master_volume_is_applied_and_reported() {
    let (mut audio, mut control) = split(ControlConfig::default());
    control
        .trigger_note(
            Waveform::Sine,
            1_000.0,
            AdsrEnvelope::new(0.0, 0.0, 1.0, 0.1),
        )
        .unwrap();
    control
        .at(At::Frame(4_800))
        .set_master_volume(0.25)
        .unwrap();
    control
        .at(At::Frame(4_801))
        .set_master_volume(f32::NAN)
        .unwrap();
    let out = render(&mut audio, 9_600, 512);
    assert!((peak(&out[2_400..4_800]) - 1.0).abs() < 0.01);
    assert!((peak(&out[7_200..]) - 0.25).abs() < 0.01);
    assert_eq!(control.get_master_volume(), 0.25);
}

#[test]
fn a_full_queue_is_an_error_and_drops_nothing() {
    let config = ControlConfig {
        queue_capacity: 4,
        ..ControlConfig::default()
    };
    let (mut audio, mut control) = split(config);
    let ids: Vec<VoiceId> = (0..4)
        .map(|i| {
            control
                .trigger_note(Waveform::Sine, 200.0 + i as f32, SHARP)
                .unwrap()
        })
        .collect();
    assert_eq!(
        control.trigger_note(Waveform::Sine, 100.0, SHARP),
        Err(ControlError::QueueFull)
    );
    assert_eq!(control.release_note(ids[0]), Err(ControlError::QueueFull));
    audio.process_buffer(&mut [0.0; 16]);
    assert!(
        ids.iter().all(|id| audio.voice(*id).is_some()),
        "every queued trigger arrived"
    );
    // Drained: room again, and the refused trigger used no id.
    let next = control.trigger_note(Waveform::Sine, 100.0, SHARP).unwrap();
    assert_eq!(next.raw(), ids[3].raw() + 1);
}

#[test]
fn a_full_schedule_is_an_error() {
    let config = ControlConfig {
        schedule_capacity: 3,
        ..ControlConfig::default()
    };
    let (mut audio, mut control) = split(config);
    for i in 0..3 {
        control
            .at(At::Frame(10_000 + i))
            .set_master_volume(0.5)
            .unwrap();
    }
    assert_eq!(
        control.at(At::Frame(20)).set_master_volume(1.0),
        Err(ControlError::ScheduleFull)
    );
    let mut other = control.try_clone().unwrap();
    assert_eq!(
        other.at(At::Secs(0.5)).stop_all_notes(),
        Err(ControlError::ScheduleFull)
    );
    // Waiting events are held by the audio side, not the queues; they still
    // count until applied.
    audio.process_buffer(&mut [0.0; 256]);
    assert_eq!(control.status().pending_events, 3);
    assert_eq!(
        control.at(At::Frame(300)).set_master_volume(1.0),
        Err(ControlError::ScheduleFull)
    );
    audio.process_buffer(&mut [0.0; 10_000]);
    assert_eq!(control.status().pending_events, 0);
    other.at(At::Frame(20_000)).set_master_volume(1.0).unwrap();
}

/// The probe's lock-out: 8,192 events a billion seconds ahead filled the
/// shared schedule, and from then on even `stop_all_notes` was refused,
/// forever. Commands for now have room of their own, and a controller can
/// cancel what it scheduled.
#[test]
fn far_future_events_never_lock_out_immediate_commands() {
    let (mut audio, mut control) = split(ControlConfig::default());
    let mut flooder = control.try_clone().unwrap();
    let mut scheduled = 0;
    while flooder
        .at(At::Secs(1e9))
        .trigger_note(Waveform::Sine, 440.0, SHARP)
        .is_ok()
    {
        scheduled += 1;
        if scheduled % 1_000 == 0 {
            audio.process_buffer(&mut [0.0; 64]); // drain the queue
        }
    }
    assert_eq!(scheduled, ControlConfig::default().schedule_capacity);
    assert_eq!(
        control.at(At::Secs(1.0)).stop_all_notes(),
        Err(ControlError::ScheduleFull)
    );
    // Immediate commands still go through, from any controller.
    let id = control.trigger_note(Waveform::Sine, 440.0, SHARP).unwrap();
    control.stop_all_notes().unwrap();
    flooder.release_all_notes().unwrap();
    audio.process_buffer(&mut [0.0; 64]);
    assert!(audio.voice(id).is_none(), "stopped");
    // The flooder cancels its far-future notes: the room comes back.
    flooder.cancel_scheduled().unwrap();
    audio.process_buffer(&mut [0.0; 64]);
    assert_eq!(control.status().pending_events, 0);
    control
        .at(At::Secs(1.0))
        .trigger_note(Waveform::Sine, 440.0, SHARP)
        .unwrap();
}

#[test]
fn cancelling_drops_only_this_controllers_scheduled_events() {
    let (mut audio, mut mine) = split(ControlConfig::default());
    let mut theirs = mine.try_clone().unwrap();
    let cancelled = mine
        .at(At::Frame(100))
        .trigger_note(Waveform::Sine, 440.0, SHARP)
        .unwrap();
    let now = mine.trigger_note(Waveform::Sine, 550.0, SHARP).unwrap();
    let kept = theirs
        .at(At::Frame(100))
        .trigger_note(Waveform::Sine, 660.0, SHARP)
        .unwrap();
    mine.cancel_scheduled().unwrap();
    // Sent after the cancel: not cancelled.
    let later = mine
        .at(At::Frame(100))
        .trigger_note(Waveform::Sine, 770.0, SHARP)
        .unwrap();
    audio.process_buffer(&mut [0.0; 256]);
    assert!(audio.voice(cancelled).is_none());
    assert!(audio.voice(now).is_some());
    assert!(audio.voice(kept).is_some());
    assert!(audio.voice(later).is_some());
    assert_eq!(mine.status().pending_events, 0);
}

#[test]
fn a_controller_learns_that_the_audio_side_is_gone() {
    let (audio, mut control) = split(ControlConfig::default());
    let other = control.try_clone().unwrap();
    drop(audio);
    assert_eq!(
        control.trigger_note(Waveform::Sine, 440.0, SHARP),
        Err(ControlError::Disconnected)
    );
    assert_eq!(control.stop_all_notes(), Err(ControlError::Disconnected));
    assert_eq!(control.cancel_scheduled(), Err(ControlError::Disconnected));
    let mut other = other;
    assert_eq!(
        other.at(At::Secs(1.0)).release_all_notes(),
        Err(ControlError::Disconnected)
    );
}

#[test]
fn bad_input_is_refused_without_using_an_id() {
    let (_audio, mut control) = split(ControlConfig::default());
    let first = control.trigger_note(Waveform::Sine, 440.0, SHARP).unwrap();
    assert_eq!(
        control.trigger_note(Waveform::Sine, 0.0, SHARP),
        Err(ControlError::InvalidNote)
    );
    let bad_env = AdsrEnvelope::new(f32::INFINITY, 0.0, 1.0, 0.1);
    assert_eq!(
        control.trigger_note(Waveform::Sine, 440.0, bad_env),
        Err(ControlError::InvalidNote)
    );
    assert_eq!(
        control
            .at(At::Secs(-1.0))
            .trigger_note(Waveform::Sine, 440.0, SHARP),
        Err(ControlError::InvalidTime)
    );
    assert_eq!(
        control
            .at(At::Beat(1.0, Tempo::new(f64::NAN)))
            .release_note(first),
        Err(ControlError::InvalidTime)
    );
    let next = control.trigger_note(Waveform::Sine, 440.0, SHARP).unwrap();
    assert_eq!(next.raw(), first.raw() + 1);
    assert_eq!(control.status().pending_events, 2);
}

#[test]
fn controllers_are_limited_and_reusable() {
    let config = ControlConfig {
        controllers: 3,
        ..ControlConfig::default()
    };
    let (mut audio, control) = split(config);
    let mut a = control.try_clone().unwrap();
    let b = control.try_clone().unwrap();
    assert_eq!(b.try_clone().err(), Some(ControlError::NoFreeController));
    // A dropped controller's queued commands still arrive.
    let id = a.trigger_note(Waveform::Sine, 440.0, SHARP).unwrap();
    drop(a);
    let mut c = b.try_clone().unwrap();
    c.set_voice_frequency(id, 660.0).unwrap();
    audio.process_buffer(&mut [0.0; 8]);
    assert_eq!(audio.voice(id).unwrap().frequency_hz(), 660.0);
}

#[test]
fn a_phrase_is_queued_whole_or_not_at_all() {
    let pluck = |hz| {
        Note::new(
            Waveform::Triangle,
            hz,
            AdsrEnvelope::new(0.0, 0.05, 0.5, 0.01),
        )
    };
    let phrase = Phrase::new()
        .note(0.0, 1.0, pluck(261.63))
        .note(1.0, 1.0, pluck(329.63))
        .note(2.0, 2.0, pluck(392.0));
    let config = ControlConfig {
        schedule_capacity: 5,
        ..ControlConfig::default()
    };
    let (_audio, mut control) = split(config);
    assert_eq!(
        control.play_phrase(&phrase, Tempo::new(120.0), 0.0),
        Err(ControlError::ScheduleFull)
    );
    assert_eq!(control.status().pending_events, 0);

    let (mut audio2, mut control2) = split(ControlConfig::default());
    let bad = phrase.clone().note(0.0, 1.0, pluck(-1.0));
    assert_eq!(
        control2.play_phrase(&bad, Tempo::new(120.0), 0.0),
        Err(ControlError::InvalidNote)
    );
    let ids = control2
        .play_phrase(&phrase, Tempo::new(120.0).starting_at_frame(100), 1.0)
        .unwrap();
    // Beat 1 of 120 BPM after frame 100: frame 24_100; each beat 24_000 frames.
    let starts = [24_100u64, 48_100, 72_100];
    let mut block = vec![0.0f32; 1_000];
    while audio2.frame() < 200_000 {
        audio2.process_buffer(&mut block);
        for (id, start) in ids.iter().zip(starts) {
            let sounding = audio2.voice(*id).is_some();
            let end = start + 24_000 * if start == 72_100 { 2 } else { 1 } + 480;
            if audio2.frame() > start && audio2.frame() <= end - 480 {
                assert!(sounding, "{id} should sound at {}", audio2.frame());
            }
            if audio2.frame() > end + 1_000 {
                assert!(!sounding, "{id} should have ended by {}", audio2.frame());
            }
        }
    }
    assert_eq!(audio2.get_active_voice_count(), 0);
}

#[test]
fn status_reports_the_audio_side() {
    let (mut audio, mut control) = RealtimeEngine::with_voices(RATE, 2).split();
    assert_eq!(control.status().frame, 0);
    for hz in [100.0, 200.0, 300.0, 400.0] {
        control.trigger_note(Waveform::Sawtooth, hz, SHARP).unwrap();
    }
    for _ in 0..20 {
        audio.process_buffer(&mut [0.0; 256]);
    }
    let status = control.status();
    assert_eq!(status.frame, 20 * 256);
    assert_eq!(control.now(), 20 * 256);
    assert_eq!(status.active_voices, 2);
    assert_eq!(status.voices_stolen, 2);
    assert!(
        status.load > 0.0 && status.load.is_finite(),
        "load {}",
        status.load
    );
    assert_eq!(status.master_volume, 1.0);
    assert_eq!(control.voice_capacity(), 2);
    assert_eq!(control.sample_rate(), RATE);
}

#[test]
fn splitting_keeps_what_the_engine_was_playing() {
    let mut engine = RealtimeEngine::new(RATE);
    let held = engine.trigger_note(Waveform::Sine, 440.0, SHARP).unwrap();
    engine.set_master_volume(0.5);
    let (mut audio, mut control) = engine.split();
    assert_eq!(control.get_active_voice_count(), 1);
    assert_eq!(control.get_master_volume(), 0.5);
    let next = control.trigger_note(Waveform::Sine, 550.0, SHARP).unwrap();
    assert_eq!(next.raw(), held.raw() + 1);
    control.release_note(held).unwrap();
    audio.process_buffer(&mut [0.0; 64]);
    assert_eq!(
        audio.voice(held).unwrap().envelope_phase(),
        EnvelopePhase::Release
    );
    assert!(audio.voice(next).is_some());
}
