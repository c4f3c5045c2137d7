//! MIDI: messages to notes, and Standard MIDI Files rendered at exact
//! frames, tested on the real files in ../shared/testdata/midi.

mod common;
use common::*;
use polyphonica::engine::InvalidNote;
use polyphonica::midi::{key_to_hz, MidiError, MidiFile, MidiMessage, MidiSynth};
use polyphonica::{Event, EventTarget, Note, RealtimeEngine, VoiceId, Waveform};
use std::path::PathBuf;

fn testdata(name: &str) -> PathBuf {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/testdata/midi")
        .join(name);
    if beside.exists() {
        beside
    } else {
        PathBuf::from("/work/shared/testdata/midi").join(name)
    }
}

/// Records what a synth asks of an engine.
#[derive(Default)]
struct Recorder {
    next: u64,
    calls: Vec<String>,
    notes: Vec<Note>,
    /// The controllers, pressures and bends passed on to the notes'
    /// modulation (kept apart from the note calls).
    controls: Vec<String>,
}

impl EventTarget for Recorder {
    type Error = InvalidNote;

    fn sample_rate(&self) -> f32 {
        48_000.0
    }

    fn next_voice_id(&mut self) -> VoiceId {
        self.next += 1;
        VoiceId::from_raw(self.next)
    }

    fn send(&mut self, event: Event) -> Result<(), InvalidNote> {
        let call = match event {
            Event::NoteOn { id, note } => {
                self.notes.push(note);
                format!("on {}", id.raw())
            }
            Event::NoteOff { id } => format!("off {}", id.raw()),
            Event::SetFrequency { id, frequency_hz } => {
                format!("freq {} {:.2}", id.raw(), frequency_hz)
            }
            Event::SetAmplitude { id, amplitude } => format!("amp {} {:.4}", id.raw(), amplitude),
            Event::SetPan { id, pan } => format!("pan {} {:.2}", id.raw(), pan),
            Event::SetController {
                channel,
                controller,
                value,
            } => {
                self.controls
                    .push(format!("cc {channel} {controller} {value:.3}"));
                return Ok(());
            }
            Event::SetChannelPressure { channel, pressure } => {
                self.controls
                    .push(format!("pressure {channel} {pressure:.3}"));
                return Ok(());
            }
            Event::SetPolyPressure { id, pressure } => {
                self.controls
                    .push(format!("poly {} {pressure:.3}", id.raw()));
                return Ok(());
            }
            Event::SetPitchBend { channel, bend } => {
                self.controls.push(format!("bend {channel} {bend:.3}"));
                return Ok(());
            }
            other => format!("{other:?}"),
        };
        self.calls.push(call);
        Ok(())
    }
}

fn on(channel: u8, key: u8, velocity: u8) -> MidiMessage {
    MidiMessage::NoteOn {
        channel,
        key,
        velocity,
    }
}
fn off(channel: u8, key: u8) -> MidiMessage {
    MidiMessage::NoteOff { channel, key }
}
fn cc(channel: u8, controller: u8, value: u8) -> MidiMessage {
    MidiMessage::ControlChange {
        channel,
        controller,
        value,
    }
}

#[test]
fn velocity_volume_and_expression_set_the_level() {
    let mut r = Recorder::default();
    let mut synth = MidiSynth::new();
    synth.set_gain(1.0);
    synth.handle(&mut r, cc(0, 7, 127)).unwrap();
    synth.handle(&mut r, on(0, 60, 127)).unwrap();
    synth.handle(&mut r, on(0, 62, 64)).unwrap();
    let (loud, soft) = (r.notes[0].amplitude, r.notes[1].amplitude);
    assert!(
        (soft / loud - (64.0f32 / 127.0).powi(2)).abs() < 1e-4,
        "velocity curve {soft}/{loud}"
    );
    synth.handle(&mut r, cc(0, 11, 0)).unwrap();
    assert!(
        r.calls.contains(&"amp 1 0.0000".to_string())
            && r.calls.contains(&"amp 2 0.0000".to_string())
    );
    assert_eq!(r.notes[0].frequency_hz, key_to_hz(60));
}

#[test]
fn note_off_and_velocity_zero_release_and_retrigger_releases_the_old_note() {
    let mut r = Recorder::default();
    let mut synth = MidiSynth::new();
    synth.handle(&mut r, on(0, 60, 100)).unwrap();
    synth.handle(&mut r, on(0, 60, 100)).unwrap(); // same key again
    assert_eq!(r.calls, ["on 1", "off 1", "on 2"]);
    synth
        .handle(&mut r, MidiMessage::parse(&[0x90, 60, 0]).unwrap())
        .unwrap();
    assert_eq!(r.calls.last().unwrap(), "off 2");
    synth.handle(&mut r, off(0, 60)).unwrap(); // nothing left to release
    assert_eq!(r.calls.len(), 4);
}

#[test]
fn sustain_pedal_holds_released_keys_until_it_lifts() {
    let mut r = Recorder::default();
    let mut synth = MidiSynth::new();
    synth.handle(&mut r, cc(0, 64, 127)).unwrap();
    synth.handle(&mut r, on(0, 60, 100)).unwrap();
    synth.handle(&mut r, on(0, 64, 100)).unwrap();
    synth.handle(&mut r, off(0, 60)).unwrap();
    synth.handle(&mut r, off(0, 64)).unwrap();
    assert_eq!(r.calls, ["on 1", "on 2"]);
    assert_eq!(synth.held_notes(), 2);
    synth.handle(&mut r, cc(0, 64, 0)).unwrap();
    assert_eq!(r.calls, ["on 1", "on 2", "off 1", "off 2"]);
}

#[test]
fn pitch_bend_uses_two_semitones_or_the_rpn_range() {
    let mut r = Recorder::default();
    let mut synth = MidiSynth::new();
    synth.handle(&mut r, on(0, 69, 100)).unwrap();
    synth
        .handle(
            &mut r,
            MidiMessage::PitchBend {
                channel: 0,
                value: 8191,
            },
        )
        .unwrap();
    assert_eq!(
        r.calls.last().unwrap(),
        &format!(
            "freq 1 {:.2}",
            440.0 * 2f32.powf(2.0 * 8191.0 / 8192.0 / 12.0)
        )
    );
    // RPN 0 (pitch bend range) = 12 semitones.
    for m in [cc(0, 101, 0), cc(0, 100, 0), cc(0, 6, 12), cc(0, 38, 0)] {
        synth.handle(&mut r, m).unwrap();
    }
    synth
        .handle(
            &mut r,
            MidiMessage::PitchBend {
                channel: 0,
                value: -8192,
            },
        )
        .unwrap();
    assert_eq!(r.calls.last().unwrap(), "freq 1 220.00");
    // New notes start bent too.
    synth.handle(&mut r, on(0, 81, 100)).unwrap();
    assert!((r.notes[1].frequency_hz - 440.0).abs() < 0.01);
}

#[test]
fn controllers_pressure_and_bend_reach_the_channels_modulation() {
    let mut r = Recorder::default();
    let mut synth = MidiSynth::new();
    synth.handle(&mut r, on(2, 60, 127)).unwrap();
    assert_eq!((r.notes[0].channel, r.notes[0].velocity), (2, 1.0));
    synth.handle(&mut r, cc(2, 1, 127)).unwrap();
    synth.handle(&mut r, cc(2, 74, 0)).unwrap();
    synth
        .handle(
            &mut r,
            MidiMessage::ChannelPressure {
                channel: 2,
                pressure: 127,
            },
        )
        .unwrap();
    synth
        .handle(
            &mut r,
            MidiMessage::PolyPressure {
                channel: 2,
                key: 60,
                pressure: 64,
            },
        )
        .unwrap();
    synth
        .handle(
            &mut r,
            MidiMessage::PitchBend {
                channel: 2,
                value: -8192,
            },
        )
        .unwrap();
    synth.handle(&mut r, cc(2, 121, 0)).unwrap();
    assert_eq!(
        r.controls,
        [
            "cc 2 1 1.000",
            "cc 2 74 0.000",
            "pressure 2 1.000",
            "poly 1 0.504",
            "bend 2 -1.000",
            "cc 2 1 0.000",
            "pressure 2 0.000",
            "bend 2 0.000"
        ]
    );
}

#[test]
fn pan_program_change_and_channel_messages_stay_on_their_channel() {
    let mut r = Recorder::default();
    let mut synth = MidiSynth::new();
    synth
        .handle(
            &mut r,
            MidiMessage::ProgramChange {
                channel: 1,
                program: 16,
            },
        )
        .unwrap(); // organ
    synth.handle(&mut r, cc(1, 10, 0)).unwrap();
    synth.handle(&mut r, on(1, 60, 100)).unwrap();
    synth.handle(&mut r, on(0, 60, 100)).unwrap();
    assert!(matches!(r.notes[0].waveform, Waveform::Square));
    assert_eq!(r.notes[0].pan, -1.0);
    assert!(matches!(r.notes[1].waveform, Waveform::Triangle));
    assert_eq!(r.notes[1].pan, 0.0);
    synth.handle(&mut r, cc(1, 10, 127)).unwrap();
    assert_eq!(r.calls.last().unwrap(), "pan 1 1.00");
}

#[test]
fn all_notes_off_releases_and_all_sound_off_silences() {
    let mut r = Recorder::default();
    let mut synth = MidiSynth::new();
    synth.handle(&mut r, on(0, 60, 100)).unwrap();
    synth.handle(&mut r, on(0, 61, 100)).unwrap();
    synth.handle(&mut r, on(2, 62, 100)).unwrap();
    synth.handle(&mut r, cc(0, 123, 0)).unwrap();
    assert_eq!(&r.calls[3..], ["off 1", "off 2"]);
    synth.handle(&mut r, cc(2, 120, 0)).unwrap();
    assert_eq!(&r.calls[5..], ["amp 3 0.0000", "off 3"]);
    assert_eq!(synth.held_notes(), 0);
}

#[test]
fn channel_ten_plays_drum_hits_that_end_by_themselves() {
    let mut engine = RealtimeEngine::new(48_000.0);
    let mut synth = MidiSynth::new();
    for key in [36, 38, 42, 49] {
        synth.handle(&mut engine, on(9, key, 120)).unwrap();
        synth.handle(&mut engine, off(9, key)).unwrap(); // drum note-offs change nothing
    }
    assert_eq!(engine.get_active_voice_count(), 4);
    let out = render_mono(&mut engine, 4800, 256);
    assert!(peak(&out) > 0.05);
    render_mono(&mut engine, 48_000, 256);
    assert_eq!(engine.get_active_voice_count(), 0, "hits end by themselves");
}

#[test]
fn a_played_note_sounds_at_its_key_and_bends() {
    let mut engine = RealtimeEngine::new(48_000.0);
    let mut synth = MidiSynth::new();
    synth
        .handle(
            &mut engine,
            MidiMessage::ProgramChange {
                channel: 0,
                program: 80,
            },
        )
        .unwrap(); // square lead
                   // Dry (no reverb tail of the old pitch under the bent one).
    synth.handle(&mut engine, cc(0, 91, 0)).unwrap();
    synth.handle(&mut engine, on(0, 69, 127)).unwrap();
    let out = render_mono(&mut engine, 24_000, 256);
    assert!((zero_crossing_hz(&out[4800..], 48_000.0) - 440.0).abs() < 0.5);
    synth
        .handle(
            &mut engine,
            MidiMessage::PitchBend {
                channel: 0,
                value: 8191,
            },
        )
        .unwrap();
    let bent = render_mono(&mut engine, 24_000, 256);
    let expected = 440.0 * 2f32.powf(2.0 / 12.0 * 8191.0 / 8192.0);
    assert!((zero_crossing_hz(&bent[256..], 48_000.0) - expected).abs() < 0.5);
}

/// A format-1 file: a tempo track (120 bpm, then 240 bpm from beat 1) and
/// a note track with a note on at beat 2 and off at beat 3.
fn tempo_change_file() -> Vec<u8> {
    let mut f = b"MThd\0\0\0\x06\0\x01\0\x02\0\x60".to_vec(); // 96 ticks per beat
    let tempo_track = [
        0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20, // 500000 µs per beat
        0x60, 0xFF, 0x51, 0x03, 0x03, 0xD0, 0x90, // tick 96: 250000
        0x00, 0xFF, 0x2F, 0x00,
    ];
    let note_track = [
        0x81, 0x40, 0x90, 69, 100, // tick 192
        0x60, 0x80, 69, 64, // tick 288
        0x00, 0xFF, 0x2F, 0x00,
    ];
    for t in [&tempo_track[..], &note_track[..]] {
        f.extend_from_slice(b"MTrk");
        f.extend_from_slice(&(t.len() as u32).to_be_bytes());
        f.extend_from_slice(t);
    }
    f
}

#[test]
fn tempo_changes_place_events_at_exact_frames() {
    let song = MidiFile::parse(&tempo_change_file()).unwrap();
    let times: Vec<f64> = song.events().iter().map(|e| e.time_secs).collect();
    assert_eq!(times, [0.75, 1.0]); // 0.5 s for beat 1, then 0.25 s per beat
    assert_eq!(song.duration_secs(), 1.0);
    let audio = song.render_to_vec(48_000).unwrap();
    let (left, _) = split_stereo(&audio);
    let start = 36_000; // 0.75 s
    assert!(
        left[..start].iter().all(|&s| s == 0.0),
        "nothing before frame {start}"
    );
    assert!(
        left[start..start + 200].iter().any(|&s| s != 0.0),
        "the note starts at frame {start}"
    );
    assert_bounded(&audio);
    // The song plus the piano preset's 0.3 s release, then the reverb's
    // tail (General MIDI's default send), until it has died away: at most
    // twice its 2 s decay (-120 dB) and a little.
    let frames = left.len();
    let release_end = 48_000 + 14_400;
    assert!(
        (release_end + 48_000..release_end + 4 * 48_000 + 24_000).contains(&frames),
        "{frames} frames"
    );
    let tail = peak(&left[release_end + 256..release_end + 4_800]);
    assert!(tail > 1e-3, "the reverb rings on after the note: {tail}");
    assert!(peak(&left[frames - 4_800..]) < 1e-4, "and dies away");
}

#[test]
fn the_real_files_parse_and_render() {
    for name in [
        "test01.mid",
        "test03.mid",
        "test05.mid",
        "test06.mid",
        "test08.mid",
        "test11.mid",
        "test15.mid",
        "test19.mid",
    ] {
        let song = MidiFile::from_file(testdata(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let notes = song
            .events()
            .iter()
            .filter(|e| matches!(e.message, MidiMessage::NoteOn { .. }))
            .count();
        println!(
            "{name}: {} tracks, {notes} notes, {:.1} s",
            song.tracks(),
            song.duration_secs()
        );
        assert!(notes > 0 && song.duration_secs() > 0.0, "{name}");
        assert!(song
            .events()
            .windows(2)
            .all(|w| w[0].time_secs <= w[1].time_secs));
    }
}

#[test]
fn a_format_0_file_renders_as_long_as_the_song_plus_its_release() {
    let song = MidiFile::from_file(testdata("test06.mid")).unwrap();
    let mut frames = 0u64;
    let mut peak_level = 0.0f32;
    let rendered = song
        .render(22_050, |block| {
            frames += block.len() as u64 / 2;
            peak_level = peak_level.max(peak(block));
            assert_bounded(block);
            Ok::<(), MidiError>(())
        })
        .unwrap();
    assert_eq!(rendered, frames);
    let song_frames = (song.duration_secs() * 22_050.0).round() as u64;
    assert!(
        frames >= song_frames
            && frames <= song_frames + (polyphonica::midi::MAX_TAIL_SECS * 22_050.0) as u64
    );
    assert!(peak_level > 0.05, "the song is audible: peak {peak_level}");
}

#[test]
fn broken_midi_files_give_errors_not_panics() {
    let err = MidiFile::parse(b"RIFF not midi at all").unwrap_err();
    assert!(
        err.to_string().starts_with("not a valid MIDI file"),
        "{err}"
    );
    assert!(matches!(
        MidiFile::from_file("no/such/song.mid"),
        Err(MidiError::Io(_))
    ));
    let real = std::fs::read(testdata("test03.mid")).unwrap();
    for cut in [0, 10, 14, 22, 100, real.len() / 2, real.len() - 1] {
        let _ = MidiFile::parse(&real[..cut]); // Ok or Err, never a panic
    }
    // Kept from the fuzz test: an SMPTE header of -128 frames per second
    // made midly overflow negating it.
    let mut smpte = b"MThd\0\0\0\x06\0\0\0\x01\x80\x00".to_vec();
    smpte.extend_from_slice(b"MTrk\0\0\0\x04\x00\xFF\x2F\x00");
    let err = MidiFile::parse(&smpte).unwrap_err();
    assert!(err.to_string().contains("SMPTE frame rate"), "{err}");
    let song = MidiFile::parse(&tempo_change_file()).unwrap();
    assert!(matches!(
        song.render_to_vec(0),
        Err(MidiError::InvalidParameter(_))
    ));
}

mod fuzz {
    use super::common::mutate::{apply, mutation};
    use super::*;
    use proptest::prelude::*;

    /// The real files, read once.
    fn seeds() -> &'static [Vec<u8>] {
        static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        SEEDS.get_or_init(|| {
            [
                "test01.mid",
                "test03.mid",
                "test06.mid",
                "test08.mid",
                "test19.mid",
            ]
            .iter()
            .map(|name| std::fs::read(testdata(name)).unwrap())
            .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

        /// A damaged MIDI file is an error or a song; the song's first two
        /// seconds render within full scale, whatever its tempo and events.
        #[test]
        fn mutated_real_files_parse_or_fail_and_render_bounded(
            seed in 0usize..5,
            mutations in prop::collection::vec(mutation(), 1..5),
        ) {
            let mut bytes = seeds()[seed].clone();
            for m in &mutations {
                apply(&mut bytes, m);
            }
            match MidiFile::parse(&bytes) {
                Err(e) => prop_assert!(!e.to_string().is_empty()),
                Ok(song) => {
                    prop_assert!(song.duration_secs().is_finite() && song.duration_secs() >= 0.0);
                    let mut player = song.player(8_000);
                    let mut block = [0.0f32; 512];
                    for _ in 0..(2 * 8_000 / 256) {
                        let frames = player.render_stereo(&mut block);
                        prop_assert!(
                            block[..frames * 2].iter().all(|s| s.is_finite() && s.abs() <= 1.0)
                        );
                        if frames == 0 {
                            break;
                        }
                    }
                }
            }
        }
    }
}
