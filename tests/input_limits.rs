//! Bounded inputs and outputs: every file read is capped and checked before
//! its body is read, device files and FIFOs are refused, a score decodes
//! each sample once, errors never quote a file's contents, and a render too
//! long for its destination is refused before anything is written. The
//! reproducers of the hostile-input probe are kept here.

use polyphonica::limits::InputLimits;
use polyphonica::midi::{MidiError, MidiFile};
#[cfg(feature = "score")]
use polyphonica::render::Score;
use polyphonica::{RenderError, SampleData};
use std::path::{Path, PathBuf};

/// A fresh, empty folder for one test.
fn scratch(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("polyphonica-limits-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A MIDI variable-length quantity.
fn vlq(mut value: u32) -> Vec<u8> {
    let mut bytes = vec![(value & 0x7F) as u8];
    value >>= 7;
    while value > 0 {
        bytes.insert(0, (value & 0x7F) as u8 | 0x80);
        value >>= 7;
    }
    bytes
}

/// A format-0 file: `division` ticks per beat, a tempo of `micros_per_beat`,
/// and one note held for `ticks`.
fn midi_lasting(division: u16, micros_per_beat: u32, ticks: u32) -> Vec<u8> {
    let t = micros_per_beat.to_be_bytes();
    let mut track = vec![0x00, 0xFF, 0x51, 0x03, t[1], t[2], t[3]];
    track.extend([0x00, 0x90, 60, 100]);
    track.extend(vlq(ticks));
    track.extend([0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00]);
    let mut file = b"MThd\0\0\0\x06\0\0\0\x01".to_vec();
    file.extend(division.to_be_bytes());
    file.extend(b"MTrk");
    file.extend((track.len() as u32).to_be_bytes());
    file.extend(track);
    file
}

#[cfg(all(unix, feature = "score"))]
#[test]
fn device_files_are_refused_for_every_kind_of_input() {
    for device in ["/dev/zero", "/dev/urandom"] {
        let e = SampleData::from_wav_file(device).unwrap_err();
        assert!(
            e.to_string()
                .contains("character device, not a regular file"),
            "{e}"
        );
        let e = MidiFile::from_file(device).unwrap_err();
        assert!(
            e.to_string()
                .contains("character device, not a regular file"),
            "{e}"
        );
        let e = Score::from_file(device).unwrap_err();
        assert!(
            e.to_string()
                .contains("character device, not a regular file"),
            "{e}"
        );
    }
    let dir = scratch("device-in-score");
    let score = dir.join("score.toml");
    std::fs::write(
        &score,
        "[samples]\nz = \"/dev/zero\"\n[[note]]\ntime = 0\nwaveform = { sample = \"z\" }\n",
    )
    .unwrap();
    let e = Score::from_file(&score).unwrap_err();
    assert!(
        e.to_string()
            .contains("character device, not a regular file"),
        "{e}"
    );
    assert!(
        e.to_string().contains("score.toml:2:"),
        "names the line: {e}"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = scratch("fifo");
    let fifo = dir.join("pipe.wav");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !matches!(made, Ok(s) if s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    // Opening a FIFO for reading would block until a writer came: the test
    // would hang, not fail, if the check were missing.
    let e = SampleData::from_wav_file(&fifo).unwrap_err();
    assert!(e.to_string().contains("FIFO"), "{e}");
    let e = MidiFile::from_file(&fifo).unwrap_err();
    assert!(e.to_string().contains("FIFO"), "{e}");
}

#[test]
fn a_huge_file_is_refused_by_its_size_or_its_header_before_its_body_is_read() {
    let dir = scratch("huge");
    // 2 GiB, sparse: reading it would take seconds and 2 GiB of memory.
    let zeros = dir.join("zeros.wav");
    let file = std::fs::File::create(&zeros).unwrap();
    file.set_len(2 << 30).unwrap();
    let e = SampleData::from_wav_file(&zeros).unwrap_err();
    assert!(
        e.to_string()
            .contains("larger than the 1024 MiB allowed for a WAV file"),
        "{e}"
    );
    let e = MidiFile::from_file(&zeros).unwrap_err();
    assert!(
        e.to_string()
            .contains("larger than the 256 MiB allowed for a MIDI file"),
        "{e}"
    );
    // With the limit raised, the header (zeros, not RIFF) stops it.
    let roomy = InputLimits::all(4 << 30);
    let e = SampleData::from_wav_file_with_limits(&zeros, &roomy).unwrap_err();
    assert!(e.to_string().contains("no RIFF header"), "{e}");
    let e = MidiFile::from_file_with_limits(&zeros, &roomy).unwrap_err();
    assert!(
        e.to_string().contains("does not start with a MIDI header"),
        "{e}"
    );

    // A valid 8-bit header in front of 2 GiB: refused by its size, unread.
    let eight_bit = dir.join("eight-bit.wav");
    let mut header = b"RIFF\xff\xff\xff\x7fWAVEfmt \x10\0\0\0\x01\0\x01\0\x44\xac\0\0\x44\xac\0\0\x01\0\x08\0data\xff\xff\xff\x7f".to_vec();
    header.resize(64, 128);
    std::fs::write(&eight_bit, &header).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&eight_bit)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let e = SampleData::from_wav_file(&eight_bit).unwrap_err();
    assert!(e.to_string().contains("larger than the 1024 MiB"), "{e}");
}

#[cfg(feature = "score")]
#[test]
fn a_score_decodes_each_sample_file_once() {
    let dir = scratch("shared-sample");
    let wav = dir.join("kick.wav");
    std::fs::copy("tests/data/kick.wav", &wav).unwrap();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let mut text = String::from("tempo = 120\n[samples]\n");
    for i in 0..300 {
        // The same file by different paths.
        let name = if i % 2 == 0 {
            "kick.wav"
        } else {
            "sub/../kick.wav"
        };
        text.push_str(&format!("s{i} = \"{name}\"\n"));
    }
    for i in 0..300 {
        text.push_str(&format!(
            "[[note]]\nbeat = {i}\nwaveform = {{ sample = \"s{i}\" }}\n"
        ));
    }
    let score_path = dir.join("score.toml");
    std::fs::write(&score_path, text).unwrap();
    let score = Score::from_file(&score_path).unwrap();
    assert_eq!(score.sample_files(), [wav.canonicalize().unwrap()]);
    let sample = |i: usize| match &score.events()[i].event.waveform {
        polyphonica::Waveform::Sample(s) => s.clone(),
        other => panic!("not a sample: {other:?}"),
    };
    let first = sample(0);
    assert!((1..300).all(|i| sample(i).shares_audio_with(&first)));
}

#[cfg(feature = "score")]
#[test]
fn errors_never_quote_the_file() {
    let dir = scratch("quoting");
    let secret = dir.join("shadow");
    std::fs::write(&secret, "root:$6$secrethash:19000:0:99999:7:::\n").unwrap();
    let sample = SampleData::from_wav_file(&secret).unwrap_err().to_string();
    let midi = MidiFile::from_file(&secret).unwrap_err().to_string();
    let score = Score::from_file(&secret).unwrap_err().to_string();
    for message in [&sample, &midi, &score] {
        assert!(!message.contains("root"), "{message}");
        assert!(!message.contains("secret"), "{message}");
    }
    // Binary garbage and the WAV reader's other header errors too.
    let riff_other = dir.join("riff.wav");
    std::fs::write(&riff_other, b"RIFF\x10\0\0\0AVI LIST").unwrap();
    let e = SampleData::from_wav_file(&riff_other)
        .unwrap_err()
        .to_string();
    assert!(!e.contains("AVI"), "{e}");
}

#[test]
fn an_in_memory_midi_render_past_the_cap_is_an_error_not_an_abort() {
    // The probe's 44-byte file lasting 143 years: one tick per beat, the
    // slowest tempo, the longest delta.
    let song = MidiFile::parse(&midi_lasting(1, 0xFF_FFFF, 0x0FFF_FFFF)).unwrap();
    assert!(song.duration_secs() > 140.0 * 365.0 * 86_400.0);
    let e = song.render_to_vec(44_100).unwrap_err();
    let MidiError::Output(RenderError::TooLong { frames, .. }) = &e else {
        panic!("{e:?}");
    };
    assert_eq!(*frames, song.song_frames(44_100), "names the song's length");
    assert!(e.to_string().contains("in memory"), "{e}");
}

#[test]
fn a_wav_too_long_for_its_format_is_refused_before_the_file_is_made() {
    // Ten hours: 6,912,000 ticks at 96 per beat, 120 bpm.
    let song = MidiFile::parse(&midi_lasting(96, 500_000, 6_912_000)).unwrap();
    assert_eq!(song.duration_secs(), 36_000.0);
    let dir = scratch("long-wav");
    let out = dir.join("song.wav");
    let e = song.write_wav(&out, 44_100).unwrap_err();
    let MidiError::Output(RenderError::TooLong { frames, .. }) = &e else {
        panic!("{e:?}");
    };
    assert_eq!(*frames, 36_000 * 44_100);
    assert!(e.to_string().contains("10:00:00 at 44100 Hz"), "{e}");
    assert!(!Path::new(&out).exists(), "nothing was written");
}
