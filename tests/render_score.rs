//! Scores: the TOML format, its error messages and the example scores
//! (feature `score`).
#![cfg(feature = "score")]

mod common;
use common::*;
use polyphonica::render::Score;
use polyphonica::Waveform;
use std::path::{Path, PathBuf};

fn parse(text: &str) -> Result<Score, polyphonica::render::ScoreError> {
    Score::from_toml(text, "test.toml", Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// The error's `line:column: message`, for comparing.
fn error_of(text: &str) -> String {
    let e = parse(text).unwrap_err();
    e.to_string()
        .strip_prefix("test.toml:")
        .unwrap()
        .to_string()
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/scores")
        .join(name)
}

#[test]
fn times_in_seconds_and_beats_pitches_as_names_and_hz() {
    let score = parse(
        r#"
tempo = 90
[[note]]
time = 0.25
duration = 0.5
pitch = "F#3"
[[note]]
beat = 3
beats = 1.5
pitch = 440
sweep_to = "A5"
waveform = { pulse = 0.25 }
amplitude = 0.5
pan = -1
"#,
    )
    .unwrap();
    let e = score.events();
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].start_secs, 0.25);
    assert!((e[0].event.start_frequency - 184.997).abs() < 0.01);
    assert!(matches!(e[0].event.waveform, Waveform::Sine));
    assert_eq!(e[1].start_secs, 2.0); // beat 3 at 90 bpm
    assert_eq!(e[1].event.duration_secs, 1.0);
    assert_eq!(
        (e[1].event.start_frequency, e[1].event.end_frequency),
        (440.0, 880.0)
    );
    assert!(matches!(e[1].event.waveform, Waveform::Pulse { duty_cycle } if duty_cycle == 0.25));
    assert_eq!((e[1].amplitude, e[1].pan), (0.5, -1.0));
    assert_eq!(score.duration_secs(), 3.0); // the end of the last note
}

#[test]
fn instruments_supply_settings_that_notes_override() {
    let score = parse(
        r#"
duration = 4
[instruments.lead]
waveform = "saw"
amplitude = 0.3
envelope = { attack = 0.2, release = 0.4 }
[[note]]
instrument = "lead"
time = 0
duration = 1
pitch = "C4"
envelope = { release = 0.1 }
"#,
    )
    .unwrap();
    let e = &score.events()[0];
    assert!(matches!(e.event.waveform, Waveform::Sawtooth));
    assert_eq!(e.amplitude, 0.3);
    let env = e.event.envelope;
    assert_eq!((env.attack_secs, env.release_secs), (0.2, 0.1));
    assert_eq!(
        env.sustain_level,
        polyphonica::AdsrEnvelope::default().sustain_level
    );
    assert_eq!(score.duration_secs(), 4.0);
}

#[test]
fn a_sample_note_lasts_as_long_as_its_sample_at_its_pitch() {
    let score = parse(
        r#"
[samples]
kick = { file = "tests/data/kick.wav", base = "C4" }
[[note]]
time = 0
waveform = { sample = "kick" }
[[note]]
time = 1
pitch = "C5"
waveform = { sample = "kick" }
"#,
    )
    .unwrap();
    let kick = polyphonica::SampleData::from_wav_file("tests/data/kick.wav").unwrap();
    let e = score.events();
    assert!((e[0].event.duration_secs as f64 - kick.duration_secs()).abs() < 1e-4);
    assert!((e[1].event.duration_secs as f64 - kick.duration_secs() / 2.0).abs() < 1e-4);
    assert!((e[0].event.start_frequency - 261.63).abs() < 0.01);
    assert_eq!(e[0].event.envelope, polyphonica::render::FLAT_ENVELOPE);
}

#[test]
fn mistakes_are_reported_where_they_are_with_what_was_expected() {
    let cases: &[(&str, &str)] = &[
        (
            "[[note]]\ntime = 0\nduration = 1\npitch = \"H4\"\n",
            "4:9: \"H4\" is not a pitch; expected a note name",
        ),
        (
            "[[note]]\ntime = 0\nduration = 1\npitch = \"C4\"\nwaveform = \"sinus\"\n",
            "5:12: unknown waveform \"sinus\"; expected sine, square, saw, triangle, noise or pulse",
        ),
        (
            "[[note]]\ntime = -1\nduration = 1\npitch = 440\n",
            "2:8: expected a number of seconds, 0 or more, found -1",
        ),
        (
            "[[note]]\ntime = 0\nduration = 1\npitch = 440\namplitude = 2\n",
            "5:13: expected a level from 0 to 1, found 2",
        ),
        (
            "[[note]]\ntime = 0\nduration = \"long\"\npitch = 440\n",
            "3:12: invalid type: string \"long\", expected a number of seconds, 0 or more",
        ),
        (
            "[[note]]\ntime = 0\nduration = 1\npitch = 440\nvolume = 1\n",
            "5:1: unknown field `volume`",
        ),
        (
            "[[note]]\nbeat = 2\nduration = 1\npitch = 440\n",
            "1:1: `beat` counts beats, so the score needs a `tempo` (beats per minute) at the top",
        ),
        (
            "[[note]]\ntime = 0\nbeat = 2\nduration = 1\npitch = 440\n",
            "1:1: this note gives both `time` and `beat`; give one start",
        ),
        ("[[note]]\ntime = 0\npitch = 440\n", "1:1: this note has no length"),
        ("[[note]]\ntime = 0\nduration = 1\n", "1:1: this note has no `pitch`"),
        (
            "[instruments.bass]\nwaveform = \"saw\"\n[[note]]\ninstrument = \"lead\"\ntime = 0\nduration = 1\npitch = 40\n",
            "4:14: there is no instrument named \"lead\"; expected one of: bass",
        ),
        (
            "[[note]]\ntime = 0\nwaveform = { sample = \"snare\" }\n",
            "3:12: there is no sample named \"snare\"; the score's [samples] table defines none",
        ),
        ("[samples]\nsnare = \"no/such.wav\"\n", "2:9: sample file"),
        ("tempo = 0\n", "1:9: expected a tempo in beats per minute, above 0, found 0"),
        ("[[note]\ntime = 0\n", "1:8: unclosed array table, expected `]`"),
    ];
    let mut wrong = Vec::new();
    for (text, expected) in cases {
        let got = error_of(text);
        if !got.starts_with(expected) {
            wrong.push(format!(
                "for {text:?}\n  got      {got}\n  expected {expected}…"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_pitch_too_high_for_the_rate_is_reported_at_its_note() {
    let score = parse("[[note]]\ntime = 0\nduration = 1\npitch = 30000\n").unwrap();
    assert!(score.renderer(96_000).is_ok());
    let err = score.renderer(44_100).unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.toml:1:1: the pitch 30000 Hz is above 22050 Hz, the highest a sample rate of 44100 Hz can play"
    );
}

#[test]
fn a_missing_score_file_says_so() {
    let err = Score::from_file("no/such/score.toml").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no/such/score.toml: could not read the score:"),
        "{err}"
    );
}

#[test]
fn effects_and_sends_parse_and_the_tail_is_part_of_the_piece() {
    let score = parse(
        "tempo = 120\n\
         [effects]\n\
         reverb = { decay = 1.5, predelay = 0.01, damping = 0.3, size = 0.6 }\n\
         chorus = { rate = 1.2, depth = 0.4, voices = 2 }\n\
         delay = { beats = 0.5, feedback = 0.5, ping_pong = true }\n\
         [instruments.lead]\nwaveform = \"saw\"\nreverb = 0.3\ndelay = 0.2\n\
         [[note]]\ninstrument = \"lead\"\nbeat = 0\nbeats = 1\npitch = \"A3\"\nchorus = 0.5\n\
         [[note]]\ninstrument = \"lead\"\nbeat = 1\nbeats = 1\npitch = \"C4\"\nreverb = 0\n",
    )
    .unwrap();
    let fx = score.effects();
    assert_eq!((fx.reverb.decay_secs, fx.reverb.size), (1.5, 0.6));
    assert_eq!((fx.chorus.rate_hz, fx.chorus.voices), (1.2, 2));
    assert_eq!(
        (fx.delay.time_secs, fx.delay.feedback, fx.delay.ping_pong),
        (0.25, 0.5, true)
    );
    let sends: Vec<_> = score.events().iter().map(|e| e.sends).collect();
    assert_eq!(
        (sends[0].reverb, sends[0].chorus, sends[0].delay),
        (0.3, 0.5, 0.2)
    );
    assert_eq!(
        (sends[1].reverb, sends[1].chorus, sends[1].delay),
        (0.0, 0.0, 0.2)
    );
    // One second of notes, then the longest tail: the delay's ten echoes
    // (2.5 s) beat the reverb's 1.51 s.
    assert!(
        (score.duration_secs() - 3.5).abs() < 1e-4,
        "{}",
        score.duration_secs()
    );
    let mut renderer = score.renderer(22_050).unwrap();
    let mut out = vec![0.0; (renderer.total_frames() * 2) as usize];
    renderer.render_stereo(&mut out);
    assert_bounded(&out);
    let tail = &out[2 * 22_050 * 2..];
    assert!(rms(tail) > 1e-3, "the effects ring on after the notes");
}

#[test]
fn effect_mistakes_are_reported_where_they_are() {
    let cases: &[(&str, &str)] = &[
        (
            "[effects]\ndelay = { time = 0.3, feedback = 1.5 }\n",
            "2:34: expected a feedback from 0 to 0.98 (at 1 the echoes would never end), found 1.5",
        ),
        (
            "[effects]\nchorus = { voices = 7 }\n",
            "2:21: expected a whole number of voices from 1 to 4, found 7",
        ),
        (
            "[effects]\nreverb = { decay = 0 }\n",
            "2:20: expected a decay (RT60) from 0.05 to 60 seconds, found 0",
        ),
        (
            "[effects]\nreverb = { room = 1 }\n",
            "2:12: unknown field `room`",
        ),
        ("[effects]\nflanger = {}\n", "2:1: unknown field `flanger`"),
        (
            "[effects]\ndelay = { beats = 1 }\n",
            "2:9: `beats` counts beats, so the score needs a `tempo`",
        ),
        (
            "[instruments.a]\nreverb = 2\n",
            "2:10: expected a level from 0 to 1, found 2",
        ),
    ];
    for (text, expected) in cases {
        let got = error_of(text);
        assert!(
            got.starts_with(expected),
            "{text:?}:\n got {got}\n want {expected}"
        );
    }
}

/// The score of DESIGN.md ("Scores"), every key of it.
const DESIGN_SCORE: &str = r#"
tempo = 120
[effects]
reverb = { decay = 2.0, predelay = 0.02, damping = 0.5, size = 0.8 }
chorus = { rate = 0.8, depth = 0.5, voices = 3 }
delay  = { time = 0.375, feedback = 0.4, ping_pong = true }

[instruments.lead]
waveform = "saw"
unison = { voices = 4, detune = 12, spread = 0.8 }
envelope = { attack = 0.01, decay = 0.2, sustain = 0.7, release = 0.3 }
filter = { mode = "lowpass", cutoff = 1200, resonance = 0.3 }
mod_envelope = { attack = 0.0, decay = 0.4, sustain = 0.0, release = 0.2 }
lfo1 = { shape = "sine", rate = 5.5, delay = 0.2, fade = 0.3 }
lfo2 = { shape = "triangle", beats = 2 }
modulation = [
  { source = "mod_envelope", target = "cutoff", amount = 3.0 },
  { source = "lfo1", target = "pitch", amount = 0.3 },
  { source = "velocity", target = "cutoff", amount = 1.5, curve = "concave" },
  { source = "key", target = "cutoff", amount = 1.0, curve = "falling bipolar switch" },
  { source = "cc74", target = "pan", amount = 0.5, scale = "cc75", scale_curve = "convex", absolute = true },
  { source = "mod_wheel", target = "link0", amount = 1.0, scale = "cc2" },
  { source = "constant", target = "link0", amount = 0.1 },
  { source = "link0", target = "pitch", amount = 0.5, scale = "lfo1" },
]
reverb = 0.3
delay = 0.1

[instruments.pair]
sources = [{ waveform = "saw", detune = -7 }, { waveform = "square", level = 0.5 }]
envelope = { delay = 0.1, attack = 0.01, hold = 0.2, decay = 0.2, sustain = 0.5, release = 0.1 }
filter = { mode = "ladder", cutoff = 800, resonance = 0.5, drive = 0.3 }

[[note]]
instrument = "lead"
beat = 0
beats = 2
pitch = "A3"
velocity = 0.8

[[note]]
instrument = "pair"
beat = 1
beats = 1
pitch = "E3"
"#;

#[test]
fn every_key_of_the_design_score_parses_and_plays() {
    use polyphonica::patch::{CurveShape, FilterMode, LfoShape, ModCurve, ModSource, ModTarget};
    let score = parse(DESIGN_SCORE).unwrap_or_else(|e| panic!("{e}"));
    let lead = score.events()[0].patch.as_ref().expect("a patch");
    assert_eq!(score.events()[0].velocity, 0.8);
    assert_eq!(lead.unison().voices, 4);
    assert_eq!(lead.unison().detune_cents, 12.0);
    let filter = lead.filter().unwrap();
    assert_eq!(
        (filter.mode, filter.cutoff_hz, filter.resonance),
        (FilterMode::Lowpass, 1200.0, 0.3)
    );
    assert_eq!(lead.mod_envelope().decay_secs, 0.4);
    let [lfo1, lfo2] = lead.lfos();
    assert_eq!(
        (lfo1.shape, lfo1.rate_hz, lfo1.delay_secs, lfo1.fade_secs),
        (LfoShape::Sine, 5.5, 0.2, 0.3)
    );
    // Two beats at 120 bpm: one cycle a second.
    assert_eq!((lfo2.shape, lfo2.rate_hz), (LfoShape::Triangle, 1.0));
    let slots: Vec<_> = lead
        .modulation()
        .iter()
        .map(|m| (m.source, m.target, m.amount))
        .collect();
    assert_eq!(
        slots,
        [
            (ModSource::ModEnvelope, ModTarget::Cutoff, 3.0),
            (ModSource::Lfo1, ModTarget::Pitch, 0.3),
            (ModSource::Velocity, ModTarget::Cutoff, 1.5),
            (ModSource::Key, ModTarget::Cutoff, 1.0),
            (ModSource::Controller(74), ModTarget::Pan, 0.5),
            (ModSource::ModWheel, ModTarget::Link(0), 1.0),
            (ModSource::Constant, ModTarget::Link(0), 0.1),
            (ModSource::Link(0), ModTarget::Pitch, 0.5),
        ]
    );
    let curves: Vec<_> = lead.modulation().iter().map(|m| m.curve).collect();
    let switch = ModCurve::new(CurveShape::Switch).falling().bipolar();
    let concave = Some(ModCurve::new(CurveShape::Concave));
    assert_eq!(
        curves,
        [None, None, concave, Some(switch), None, None, None, None]
    );
    let last = lead.modulation()[4];
    let convex = Some(ModCurve::new(CurveShape::Convex));
    assert_eq!(
        (last.scale, last.scale_curve, last.absolute),
        (Some(ModSource::Controller(75)), convex, true)
    );
    assert_eq!(score.events()[0].sends.reverb, 0.3);
    let pair = score.events()[1].patch.as_ref().expect("a patch");
    assert_eq!(pair.sources().len(), 2);
    assert_eq!(
        (pair.sources()[0].detune_cents, pair.sources()[1].level),
        (-7.0, 0.5)
    );
    assert_eq!(pair.filter().unwrap().drive, 0.3);

    let mut renderer = score.renderer(48_000).unwrap();
    let mut out = vec![0.0; (renderer.total_frames() * 2) as usize];
    renderer.render_stereo(&mut out);
    assert_bounded(&out);
    let (l, r) = split_stereo(&out);
    assert!(rms(&l[..48_000]) > 0.02);
    assert_ne!(l, r, "unison spread and ping-pong make it stereo");
    // The second instrument's delay keeps it silent for 0.1 s after its
    // beat (0.5 s): its first sound comes later than the lead alone would.
    assert!(l.len() > 96_000);
}

#[test]
fn patch_mistakes_are_reported_where_they_are() {
    let cases: &[(&str, &str)] = &[
        (
            "[instruments.a]\nmodulation = [{ source = \"wheel\", target = \"cutoff\", amount = 1 }]\n",
            "2:26: unknown modulation source \"wheel\"; expected one of: velocity, key, mod_envelope",
        ),
        (
            "[instruments.a]\nmodulation = [{ source = \"lfo1\", target = \"volume\", amount = 1 }]\n",
            "2:43: unknown modulation target \"volume\"; expected one of: pitch, cutoff",
        ),
        (
            "[instruments.a]\nfilter = { mode = \"comb\" }\n",
            "2:19: unknown filter mode \"comb\"; expected lowpass, highpass, bandpass, notch or ladder",
        ),
        (
            "[instruments.a]\nfilter = { cutoff = 5 }\n",
            "2:21: expected a cutoff from 10 to 40000 Hz, found 5",
        ),
        (
            "[instruments.a]\nfilter = { mode = \"lowpass\", drive = 0.5 }\n",
            "2:10: `drive` needs mode = \"ladder\"",
        ),
        (
            "[instruments.a]\nunison = { voices = 9 }\n",
            "2:21: expected a whole number of unison voices from 1 to 8, found 9",
        ),
        (
            "[instruments.a]\nlfo1 = { beats = 2 }\n",
            "2:8: `beats` counts beats, so the score needs a `tempo`",
        ),
        (
            "[instruments.a]\nlfo2 = { shape = \"wobble\" }\n",
            "2:18: unknown LFO shape \"wobble\"",
        ),
        (
            "[instruments.a]\nsources = [{ waveform = \"saw\" }, { waveform = \"saw\" }, { waveform = \"sine\" }]\n",
            "2:11: a patch has one or two `sources`",
        ),
        (
            "[instruments.a]\nmodulation = [{ source = \"cc200\", target = \"pan\", amount = 1 }]\n",
            "2:26: unknown modulation source \"cc200\"",
        ),
        (
            "[instruments.a]\nmodulation = [{ source = \"link0\", target = \"pan\", amount = 1 },\n  { source = \"cc1\", target = \"link0\", amount = 1 }]\n",
            "3:3: a slot feeds a link that it or an earlier slot reads (feed a link before reading it)",
        ),
        (
            "[instruments.a]\nmodulation = [{ source = \"link4\", target = \"pan\", amount = 1 }]\n",
            "2:26: unknown modulation source \"link4\"",
        ),
        (
            "[instruments.a]\nmodulation = [{ source = \"cc1\", target = \"pan\", amount = 1, curve = \"bipolar falling\" }]\n",
            "2:69: unknown modulation curve \"bipolar falling\"; expected linear, concave, convex or switch",
        ),
        (
            "[instruments.a]\nmodulation = [{ source = \"cc1\", target = \"pan\", amount = 1e6 }]\n",
            "2:58: expected an amount from -100 to 100, found 1000000",
        ),
        (
            "[[note]]\ntime = 0\nduration = 1\npitch = 440\nvelocity = 1.5\n",
            "5:12: expected a level from 0 to 1, found 1.5",
        ),
    ];
    for (text, expected) in cases {
        let got = error_of(text);
        assert!(
            got.starts_with(expected),
            "{text:?}:\n got {got}\n want {expected}"
        );
    }
}

#[test]
fn the_example_scores_render() {
    for name in ["demo.toml", "sweeps.toml", "effects.toml", "patches.toml"] {
        let score = Score::from_file(example(name)).unwrap_or_else(|e| panic!("{e}"));
        let mut renderer = score.renderer(22_050).unwrap();
        let mut out = vec![0.0; (renderer.total_frames() * 2) as usize];
        assert_eq!(
            renderer.render_stereo(&mut out) as u64,
            renderer.total_frames()
        );
        assert_bounded(&out);
        assert!(rms(&out) > 0.02, "{name} is nearly silent");
    }
}

mod fuzz {
    use super::common::mutate::{apply, mutation};
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

        /// A damaged score is an error that points inside the text, or a
        /// score whose first second renders within full scale.
        #[test]
        fn mutated_example_scores_parse_or_fail_with_a_position(
            which in 0usize..2,
            mutations in prop::collection::vec(mutation(), 1..5),
        ) {
            let name = ["demo.toml", "sweeps.toml"][which];
            let mut bytes = std::fs::read(example(name)).unwrap();
            for m in &mutations {
                apply(&mut bytes, m);
            }
            let text = String::from_utf8_lossy(&bytes);
            match Score::from_toml(&text, name, &example("")) {
                Err(e) => {
                    prop_assert!(!e.message().is_empty());
                    if let Some(line) = e.line() {
                        prop_assert!(line >= 1 && line <= text.lines().count().max(1) + 1, "line {} of {}", line, e);
                    }
                }
                Ok(score) => {
                    prop_assert!(score.duration_secs().is_finite());
                    if let Ok(mut renderer) = score.renderer(8_000) {
                        let mut block = [0.0f32; 512];
                        for _ in 0..(8_000 / 256) {
                            let frames = renderer.render_stereo(&mut block);
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
}
