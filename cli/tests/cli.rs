//! The `polyphonica` binary run as a user would: real inputs, WAV files
//! written and read back (length, pitch, level), and error exits.

mod common;

use common::{root, run, scratch};
use std::path::{Path, PathBuf};

/// Runs and expects success with nothing on standard error (no progress
/// bar when it is not a terminal).
fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?} failed: {stderr}");
    assert!(stderr.is_empty(), "{args:?} printed to stderr: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs and expects exit status 1 with a one-sentence error, no panic.
fn run_err(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} should fail with 1: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    stderr
}

struct Wav {
    spec: hound::WavSpec,
    /// Channels de-interleaved, as -1..1.
    channels: Vec<Vec<f32>>,
}

impl Wav {
    fn read(path: &Path) -> Wav {
        let mut reader = hound::WavReader::open(path).unwrap();
        let spec = reader.spec();
        let samples: Vec<f32> = match spec.sample_format {
            hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
            hound::SampleFormat::Int => {
                let full = 2f32.powi(spec.bits_per_sample as i32 - 1);
                reader
                    .samples::<i32>()
                    .map(|s| s.unwrap() as f32 / full)
                    .collect()
            }
        };
        let n = spec.channels as usize;
        let channels = (0..n)
            .map(|c| samples.iter().skip(c).step_by(n).copied().collect())
            .collect();
        Wav { spec, channels }
    }

    fn frames(&self) -> usize {
        self.channels[0].len()
    }

    fn left(&self) -> &[f32] {
        &self.channels[0]
    }
}

fn peak(s: &[f32]) -> f32 {
    s.iter().fold(0.0f32, |m, x| m.max(x.abs()))
}

fn rms(s: &[f32]) -> f32 {
    (s.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt() as f32
}

/// Frequency from rising zero crossings.
fn pitch(s: &[f32], rate: u32) -> f32 {
    let mut crossings = Vec::new();
    for (i, w) in s.windows(2).enumerate() {
        if w[0] < 0.0 && w[1] >= 0.0 {
            crossings.push(i as f64 + (-w[0] / (w[1] - w[0])) as f64);
        }
    }
    assert!(crossings.len() >= 2, "no pitch in the signal");
    ((crossings.len() - 1) as f64 / (crossings.last().unwrap() - crossings[0]) * rate as f64) as f32
}

fn close(measured: f32, expected: f32, tolerance: f32) -> bool {
    (measured - expected).abs() <= expected.abs() * tolerance
}

#[test]
fn wave_writes_a_sine_at_its_pitch_length_and_level() {
    let dir = scratch("wave");
    let out = dir.join("a4.wav");
    run_ok(&[
        "wave",
        "sine",
        "A4",
        "--duration",
        "0.5",
        "--rate",
        "48000",
        "-o",
        out.to_str().unwrap(),
    ]);
    let wav = Wav::read(&out);
    assert_eq!(
        (
            wav.spec.channels,
            wav.spec.sample_rate,
            wav.spec.bits_per_sample
        ),
        (1, 48_000, 16)
    );
    assert_eq!(wav.spec.sample_format, hound::SampleFormat::Int);
    assert_eq!(wav.frames(), 24_000);
    assert!(
        close(pitch(wav.left(), 48_000), 440.0, 5e-4),
        "{}",
        pitch(wav.left(), 48_000)
    );
    assert!(close(peak(wav.left()), 1.0, 1e-3));
    assert!(close(
        rms(wav.left()),
        std::f32::consts::FRAC_1_SQRT_2,
        1e-3
    ));
}

#[test]
fn wave_writes_24_bit_and_float_stereo() {
    let dir = scratch("formats");
    for (format, bits, sample_format) in [
        ("int24", 24, hound::SampleFormat::Int),
        ("float32", 32, hound::SampleFormat::Float),
    ] {
        let out = dir.join(format!("{format}.wav"));
        let path = out.to_str().unwrap();
        run_ok(&[
            "wave", "saw", "220", "-d", "1", "-f", format, "--stereo", "-o", path,
        ]);
        let wav = Wav::read(&out);
        assert_eq!((wav.spec.channels, wav.spec.bits_per_sample), (2, bits));
        assert_eq!(wav.spec.sample_format, sample_format);
        assert_eq!(wav.frames(), 44_100);
        assert_eq!(wav.channels[0], wav.channels[1]);
        assert!(close(pitch(wav.left(), 44_100), 220.0, 1e-3));
        assert!(peak(wav.left()) > 0.9 && peak(wav.left()) <= 1.0);
    }
}

#[test]
fn sweep_rises_through_the_interpolated_pitches_and_ends_in_silence() {
    let dir = scratch("sweep");
    let out = dir.join("sweep.wav");
    let path = out.to_str().unwrap();
    run_ok(&[
        "sweep",
        "sine",
        "220",
        "880",
        "-d",
        "2",
        "--attack",
        "0",
        "--decay",
        "0",
        "--sustain",
        "1",
        "--release",
        "0.1",
        "-o",
        path,
    ]);
    let wav = Wav::read(&out);
    assert_eq!(wav.frames(), 88_200);
    for t in [0.25f32, 1.0, 1.75] {
        let at = (t * 44_100.0) as usize;
        let measured = pitch(&wav.left()[at - 441..at + 441], 44_100);
        let expected = 220.0 + 660.0 * t / 2.0;
        assert!(
            close(measured, expected, 3e-3),
            "at {t} s: {measured} Hz, expected {expected}"
        );
    }
    assert!(close(peak(&wav.left()[40_000..50_000]), 1.0, 2e-3));
    assert!(peak(&wav.left()[88_160..]) < 0.01); // the last 40 of 4410 release frames
}

#[test]
fn render_writes_the_example_scores() {
    let dir = scratch("examples");
    for (name, secs) in [("demo", 4.0), ("sweeps", 3.0)] {
        let score = root().join(format!("examples/scores/{name}.toml"));
        let out = dir.join(format!("{name}.wav"));
        run_ok(&[
            "render",
            score.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        let wav = Wav::read(&out);
        assert_eq!(wav.spec.channels, 2);
        assert_eq!(wav.frames(), (secs * 44_100.0) as usize);
        for channel in &wav.channels {
            assert!(rms(channel) > 0.05, "{name} is nearly silent");
            assert!(peak(channel) <= 1.0);
        }
    }
}

#[test]
fn render_places_a_score_note_at_its_time_pitch_and_level() {
    let dir = scratch("score");
    let score = dir.join("one.toml");
    std::fs::write(
        &score,
        "tempo = 120\nbeats = 4\n[[note]]\nbeat = 1\nbeats = 2\npitch = \"C5\"\namplitude = 0.5\n\
         envelope = { attack = 0, decay = 0, sustain = 1, release = 0 }\n",
    )
    .unwrap();
    let out = dir.join("one.wav");
    let path = out.to_str().unwrap();
    run_ok(&[
        "render",
        score.to_str().unwrap(),
        "--mono",
        "--rate",
        "22050",
        "-f",
        "float32",
        "-o",
        path,
    ]);
    let wav = Wav::read(&out);
    assert_eq!(
        (wav.spec.channels, wav.spec.sample_rate, wav.frames()),
        (1, 22_050, 44_100)
    );
    let s = wav.left();
    // Beat 1 at 120 bpm is 0.5 s = frame 11 025; the note lasts 1 s.
    assert!(s[..11_025].iter().all(|&x| x == 0.0));
    assert!(s[11_026] != 0.0);
    assert!(s[33_075..].iter().all(|&x| x == 0.0));
    assert!(close(pitch(&s[11_025..33_075], 22_050), 523.25, 1e-3));
    assert!(close(peak(&s[11_025..33_075]), 0.5, 1e-3));
}

#[test]
fn sample_plays_a_recording_at_a_pitch() {
    let dir = scratch("sample");
    // A 440 Hz recording: at A5 it plays an octave up, in half the time.
    let tone = dir.join("tone.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 32_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&tone, spec).unwrap();
    for i in 0..32_000 {
        let x = (std::f64::consts::TAU * 440.0 * i as f64 / 32_000.0).sin() * 0.5;
        w.write_sample((x * 32_767.0).round() as i16).unwrap();
    }
    w.finalize().unwrap();
    let out = dir.join("up.wav");
    run_ok(&[
        "sample",
        tone.to_str().unwrap(),
        "--note",
        "A5",
        "-o",
        out.to_str().unwrap(),
    ]);
    let wav = Wav::read(&out);
    assert_eq!(wav.spec.sample_rate, 32_000);
    assert_eq!(wav.frames(), 16_000);
    assert!(close(
        pitch(&wav.left()[1_000..15_000], 32_000),
        880.0,
        1e-3
    ));
    assert!(close(peak(wav.left()), 0.5, 0.01));

    // The kick, at its own pitch and rate, through --pitch in Hz.
    let kick = root().join("tests/data/kick.wav");
    let out = dir.join("kick.wav");
    run_ok(&[
        "sample",
        kick.to_str().unwrap(),
        "--pitch",
        "440",
        "--rate",
        "44100",
        "-o",
        out.to_str().unwrap(),
    ]);
    let original = Wav::read(&kick);
    let wav = Wav::read(&out);
    let expected = original.frames() as f64 * 44_100.0 / original.spec.sample_rate as f64;
    assert!((wav.frames() as f64 - expected).abs() <= 1.0);
    assert!(close(peak(wav.left()), peak(original.left()), 0.05));
}

#[test]
fn sample_keeps_a_stereo_recording_in_stereo() {
    let voice = root().join("../shared/testdata/wav/voice-stereo.wav");
    if !voice.exists() {
        eprintln!("skipped: {} is not there", voice.display());
        return;
    }
    let dir = scratch("stereo");
    let out = dir.join("voice.wav");
    run_ok(&[
        "sample",
        voice.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let original = Wav::read(&voice);
    let wav = Wav::read(&out);
    assert_eq!(wav.spec.channels, 2);
    assert_eq!(wav.spec.sample_rate, original.spec.sample_rate);
    assert!((wav.frames() as i64 - original.frames() as i64).abs() <= 1);
    for c in 0..2 {
        assert!(close(
            rms(&wav.channels[c]),
            rms(&original.channels[c]),
            0.02
        ));
    }
}

#[test]
fn info_describes_a_wav_file() {
    let dir = scratch("info");
    let out = dir.join("tone.wav");
    let path = out.to_str().unwrap();
    run_ok(&[
        "sweep",
        "square",
        "C3",
        "C3",
        "-d",
        "1.5",
        "--amplitude",
        "0.5",
        "--stereo",
        "-f",
        "24",
        "-o",
        path,
    ]);
    let text = run_ok(&["info", path]);
    assert!(text.contains("encoding:    24-bit integer PCM"), "{text}");
    assert!(text.contains("channels:    2 (stereo)"), "{text}");
    assert!(text.contains("sample rate: 44100 Hz"), "{text}");
    assert!(
        text.contains("length:      66150 frames (1.500 s)"),
        "{text}"
    );
    let wav = Wav::read(&out);
    let peak_line = text.lines().find(|l| l.starts_with("peak:")).unwrap();
    let shown: f32 = peak_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(close(shown, peak(wav.left()), 1e-4), "{peak_line}");
}

#[test]
fn mistakes_end_with_a_sentence_and_status_1() {
    let dir = scratch("errors");
    let out = dir.join("x.wav");
    let o = out.to_str().unwrap();

    let e = run_err(&["wave", "sine", "H4", "-o", o]);
    assert!(e.contains("\"H4\" is not a pitch"), "{e}");
    let e = run_err(&["wave", "sine", "30000", "-o", o]);
    assert!(e.contains("the pitch 30000 Hz is above 22050 Hz"), "{e}");
    let e = run_err(&["wave", "sine", "440", "-d", "-1", "-o", o]);
    assert!(e.contains("expected a number of seconds, 0 or more"), "{e}");
    let e = run_err(&["wave", "sine", "440", "--rate", "0", "-o", o]);
    assert!(e.contains("the sample rate 0 Hz is not usable"), "{e}");
    let e = run_err(&["sweep", "saw", "440", "880", "--sustain", "2", "-o", o]);
    assert!(e.contains("expected a level from 0 to 1"), "{e}");
    let e = run_err(&["wave", "sine", "440"]);
    assert!(e.contains("--output"), "{e}");
    assert!(!out.exists(), "no file is left behind");

    let e = run_err(&[
        "wave",
        "sine",
        "440",
        "-o",
        dir.join("no/such/dir/x.wav").to_str().unwrap(),
    ]);
    assert!(
        e.contains("could not write") && e.contains("No such file or directory"),
        "{e}"
    );

    let score = dir.join("bad.toml");
    std::fs::write(
        &score,
        "[[note]]\ntime = 0\npitch = \"C4\"\nduration = 1\nwaveform = \"sinus\"\n",
    )
    .unwrap();
    let e = run_err(&["render", score.to_str().unwrap(), "-o", o]);
    assert!(
        e.contains("bad.toml:5:12: unknown waveform \"sinus\""),
        "{e}"
    );
    let e = run_err(&["render", dir.join("none.toml").to_str().unwrap(), "-o", o]);
    assert!(e.contains("could not read the score"), "{e}");

    let e = run_err(&[
        "sample",
        root().join("tests/data/garbage.wav").to_str().unwrap(),
        "-o",
        o,
    ]);
    assert!(
        e.contains("could not use") && e.contains("as a sample"),
        "{e}"
    );
    let e = run_err(&[
        "info",
        root().join("tests/data/garbage.wav").to_str().unwrap(),
    ]);
    assert!(
        e.contains("could not read") && e.contains("as a WAV file"),
        "{e}"
    );
    let e = run_err(&["info", dir.join("missing.wav").to_str().unwrap()]);
    assert!(e.contains("No such file or directory"), "{e}");
}

/// A shared MIDI test file, beside the repository (CI) or in /work/shared.
fn shared_midi(name: &str) -> PathBuf {
    let beside = root().join("../shared/testdata/midi").join(name);
    if beside.exists() {
        beside
    } else {
        PathBuf::from("/work/shared/testdata/midi").join(name)
    }
}

#[test]
fn midi_renders_a_song_as_long_as_the_song_plus_its_release() {
    let dir = scratch("midi");
    let out = dir.join("song.wav");
    let song = shared_midi("test06.mid");
    let events = polyphonica::midi::MidiFile::from_file(&song).unwrap();
    run_ok(&[
        "midi",
        song.to_str().unwrap(),
        "-r",
        "22050",
        "-o",
        out.to_str().unwrap(),
    ]);
    let wav = Wav::read(&out);
    assert_eq!((wav.spec.channels, wav.spec.sample_rate), (2, 22_050));
    let song_frames = (events.duration_secs() * 22_050.0).round() as usize;
    assert!(
        wav.frames() >= song_frames && wav.frames() < song_frames + 22_050 * 31,
        "{} frames for a {song_frames}-frame song",
        wav.frames()
    );
    assert!(peak(wav.left()) > 0.05 && peak(wav.left()) <= 1.0);
    let err = run_err(&[
        "midi",
        dir.join("missing.mid").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        err.contains("could not use") && err.contains("MIDI"),
        "{err}"
    );
    let not_midi = root().join("tests/data/kick.wav");
    let err = run_err(&[
        "midi",
        not_midi.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(err.contains("not a valid MIDI file"), "{err}");
}

/// The library's byte-built SoundFont writer.
#[path = "../../tests/common/sf2.rs"]
mod sf2;

#[test]
fn midi_plays_a_soundfont_given_with_soundfont() {
    let dir = scratch("soundfont");
    // A 441 Hz sine recorded at 44.1 kHz (100 frames a cycle, looped on
    // whole cycles) that sounds at A4, key 69.
    let frames: Vec<i16> = (0..44_100)
        .map(|n| (12_000.0 * (std::f64::consts::TAU * n as f64 / 100.0).sin()).round() as i16)
        .collect();
    let font = dir.join("sine.sf2");
    std::fs::write(
        &font,
        sf2::looped_sample_font(&frames, 44_100, 69, (4_400, 44_100), &[]),
    )
    .unwrap();
    // Format 0, 480 ticks a beat at 120 bpm: E5 (key 76) for one second.
    let mut song = b"MThd\0\0\0\x06\0\0\0\x01\x01\xE0MTrk".to_vec();
    let track = [
        0x00, 0x90, 76, 100, 0x87, 0x40, 0x80, 76, 0, 0x00, 0xFF, 0x2F, 0x00,
    ];
    song.extend((track.len() as u32).to_be_bytes());
    song.extend(track);
    let song_path = dir.join("e5.mid");
    std::fs::write(&song_path, song).unwrap();
    let out = dir.join("e5.wav");
    let args = |font: &Path| {
        vec![
            "midi".to_string(),
            song_path.to_str().unwrap().to_string(),
            "--soundfont".into(),
            font.to_str().unwrap().to_string(),
            "--no-effects".into(),
            "-o".into(),
            out.to_str().unwrap().to_string(),
        ]
    };
    let ok: Vec<String> = args(&font);
    run_ok(&ok.iter().map(String::as_str).collect::<Vec<_>>());
    let wav = Wav::read(&out);
    let note = &wav.left()[11_025..33_075];
    // Seven semitones above the recording: 441 × 2^(7/12) = 660.7 Hz.
    let hz = pitch(note, wav.spec.sample_rate);
    assert!(close(hz, 660.7, 0.003), "{hz} Hz");
    assert!(rms(note) > 0.01);
    // Not a SoundFont: a sentence naming the file.
    let wrong: Vec<String> = args(&root().join("tests/data/kick.wav"));
    let e = run_err(&wrong.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        e.contains("could not use") && e.contains("SoundFont"),
        "{e}"
    );
}
