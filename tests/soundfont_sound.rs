//! SoundFonts sound like FluidSynth: the same notes and songs rendered by
//! FluidSynth's command line (reverb and chorus off) and by the engine,
//! compared by level, loudness envelope and spectrum (`common::compare`).
//! Ignored by default (they need Debian's `fluidsynth` and
//! `timgm6mb-soundfont`); `.ci/run` runs them in release.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::compare::{
    fluidsynth, smf, stereo_difference, Difference, NOTE_WINDOW_SECS, PIECE_WINDOW_SECS, RATE,
};
use polyphonica::midi::{MidiFile, MidiSynth};
use polyphonica::sample::Interpolation;
use polyphonica::soundfont::{BankOptions, SoundFontBank};

const TIMGM6MB: &str = "/usr/share/sounds/sf2/TimGM6mb.sf2";
const FLUIDR3: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
/// Debian's `musescore-general-soundfont-small`: SoundFont 3, its samples
/// in Ogg Vorbis.
#[cfg(feature = "sf3")]
const MUSESCORE_SF3: &str = "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3";

/// A font's instruments read with FluidSynth's own 4-point kernel, so that
/// the comparisons measure everything else. The default 6-point one is
/// cleaner (`interpolation_is_as_clean_as_fluidsynths_fourth_order`): it
/// leaves out the images FluidSynth's leaves above 8 kHz, up to 9 dB of
/// the 16 kHz band of a guitar's fret noise played an octave down.
fn bank_like_fluidsynth(path: &str) -> Arc<SoundFontBank> {
    let font = polyphonica::soundfont::SoundFont::from_file(path).unwrap();
    let options = BankOptions {
        interpolation: Interpolation::Cubic,
        ..BankOptions::default()
    };
    Arc::new(SoundFontBank::with_options(&font, options))
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polyphonica-sf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ours(bank: &Arc<SoundFontBank>, song: &[u8]) -> Vec<f32> {
    let file = MidiFile::parse(song).unwrap();
    let mut out = Vec::new();
    let mut synth = MidiSynth::with_soundfont(Arc::clone(bank));
    synth.set_effects(false);
    file.render_with(synth, RATE, |b| {
        out.extend_from_slice(b);
        Ok::<(), polyphonica::midi::MidiError>(())
    })
    .unwrap();
    out
}

/// One note: program change, `key` at `velocity` for `secs`, then 1.5 s.
fn one_note(channel: u8, program: u8, key: u8, velocity: u8, secs: f32) -> Vec<u8> {
    let off = (secs * 960.0) as u32;
    smf(&[
        (0, vec![0xC0 | channel, program]),
        (0, vec![0x90 | channel, key, velocity]),
        (off, vec![0x80 | channel, key, 0]),
        (off + 1440, vec![0xB0 | channel, 7, 100]),
    ])
}

#[test]
#[ignore = "needs Debian's fluidsynth and timgm6mb-soundfont"]
fn single_notes_across_the_general_midi_families_sound_like_fluidsynth() {
    // Every note's level and spectrum within 3 dB (the snare's noise, at
    // 3.6 dB in its high bands, within 4); the loudness envelope, in 50 ms
    // windows, within 3 dB for nine notes in ten (the strings' stereo pair
    // with its pitch-swept synth layers and a pad are the exceptions, at
    // most 8 dB in one window; an organ's tremolo was one too, until the
    // modulation LFO swung the level in decibels and up first, as the
    // standard and FluidSynth have it).
    single_notes_sound_like_fluidsynth(TIMGM6MB, Limits::default());
}

#[test]
#[ignore = "needs Debian's fluidsynth and fluid-soundfont-gm"]
fn fluidr3s_single_notes_sound_like_fluidsynth() {
    // Every level within 0.5 dB, every spectrum within 1.8 dB; 55 of the
    // 57 envelopes within 3 dB (an organ at 6.1 dB in one window, a bass at
    // 3.5). The sitar and the hi-hats, hard-panned pairs behind filters
    // with a 10 dB resonance, came out 4.5 to 5.1 dB loud until the
    // resonance took half its height off the level, as the standard asks.
    single_notes_sound_like_fluidsynth(FLUIDR3, Limits::default());
}

#[test]
#[cfg(feature = "sf3")]
#[ignore = "needs Debian's fluidsynth and musescore-general-soundfont-small"]
fn musescores_sf3_single_notes_sound_like_fluidsynth() {
    // The Ogg Vorbis samples decode and play, and every note's level is
    // within 0.6 dB, every spectrum within 1.8 dB. This font leans on
    // what the General MIDI fonts leave alone: velocity deepens its filter
    // envelopes and softens its piano's resonance (the piano and the
    // square lead were 23 dB quiet and 25-30 dB apart in spectrum before
    // velocity reached them), shortens its strings' attack (15-17 dB apart
    // in envelope before), and its kick drums sit at -10 dB of
    // attenuation, which the velocity's attenuation is added to before the
    // sum is kept to 0-144 dB. Left over: the square lead's envelope at
    // 6.2-8.4 dB in its worst window (its filter, resonant at 8 dB, sweeps
    // down through the harmonics, and FluidSynth moves the cutoff in steps
    // of 64 frames, smoothed over up to 5 x 64 by the resonance, where we
    // glide it linearly across each 64).
    single_notes_sound_like_fluidsynth(
        MUSESCORE_SF3,
        Limits {
            envelope_db: 9.0,
            ..Limits::default()
        },
    );
}

/// How far a font's single notes may be from FluidSynth's.
struct Limits {
    /// Every note's level, after the overall gain.
    level_db: f64,
    /// Every note's spectrum.
    spectrum_db: f64,
    /// Every note's loudness envelope, in its worst window.
    envelope_db: f64,
    /// The share of notes whose envelope is within 3 dB.
    share: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            level_db: 3.0,
            spectrum_db: 4.0,
            envelope_db: 8.0,
            share: 0.9,
        }
    }
}

/// Single notes of every General MIDI family at three keys and
/// velocities, and nine drums, through `font`: compared with FluidSynth
/// playing them, after one overall gain, within `limits`.
fn single_notes_sound_like_fluidsynth(font: &str, limits: Limits) {
    let Some((gain, rows)) = single_note_rows(font) else {
        return;
    };
    assert!((gain + 1.8).abs() < 1.0, "overall gain {gain:+.2} dB");
    let worst = |f: &dyn Fn(&Difference) -> f64| rows.iter().map(|r| f(&r.1)).fold(0.0, f64::max);
    assert!(worst(&|d| (d.level_db + gain).abs()) <= limits.level_db);
    assert!(worst(&|d| d.spectrum_db) <= limits.spectrum_db);
    assert!(worst(&|d| d.envelope_db) <= limits.envelope_db);
    let within = rows.iter().filter(|r| r.1.envelope_db <= 3.0).count();
    assert!(
        within as f64 >= limits.share * rows.len() as f64,
        "{within} of {}",
        rows.len()
    );
}

/// The single notes of [`single_notes_sound_like_fluidsynth`] through
/// `font`, printed and returned with the overall gain (`None` without
/// FluidSynth).
fn single_note_rows(font: &str) -> Option<(f64, Vec<(String, Difference)>)> {
    let bank = bank_like_fluidsynth(font);
    let dir = scratch().join(std::path::Path::new(font).file_stem().unwrap());
    std::fs::create_dir_all(&dir).unwrap();
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for program in (0..128).step_by(8) {
        for (key, velocity) in [(60u8, 100u8), (48, 60), (72, 127)] {
            cases.push((
                format!("program {program:3} key {key} vel {velocity:3}"),
                one_note(0, program, key, velocity, 1.0),
            ));
        }
    }
    for key in [35u8, 36, 38, 40, 42, 46, 49, 51, 56] {
        cases.push((format!("drum key {key}"), one_note(9, 0, key, 100, 0.5)));
    }
    let mut renders = Vec::new();
    for (name, song) in &cases {
        let path = dir.join(format!("{}.mid", name.replace(' ', "_")));
        std::fs::write(&path, song).unwrap();
        let Some(reference) = fluidsynth(font, &path, &dir) else {
            eprintln!("fluidsynth is not installed: skipped");
            return None;
        };
        renders.push((name.clone(), reference, ours(&bank, song)));
    }
    // One overall gain: the median level difference.
    let mut levels: Vec<f64> = renders
        .iter()
        .map(|(_, r, o)| stereo_difference(r, o, 0.0, NOTE_WINDOW_SECS).level_db)
        .collect();
    levels.sort_by(f64::total_cmp);
    let gain = -levels[levels.len() / 2];
    println!("{font}: overall gain {gain:+.2} dB");
    let rows: Vec<(String, Difference)> = renders
        .iter()
        .map(|(name, r, o)| {
            (
                name.clone(),
                stereo_difference(r, o, gain, NOTE_WINDOW_SECS),
            )
        })
        .collect();
    for (name, d) in &rows {
        println!(
            "{name:32} level {:+6.2} dB  envelope {:5.2} dB  spectrum {:5.2} dB",
            d.level_db + gain,
            d.envelope_db,
            d.spectrum_db
        );
    }
    Some((gain, rows))
}

#[test]
#[ignore = "needs Debian's fluidsynth and timgm6mb-soundfont"]
fn whole_pieces_sound_like_fluidsynth() {
    whole_pieces_through(TIMGM6MB, 3.0);
}

#[test]
#[ignore = "needs Debian's fluidsynth and fluid-soundfont-gm"]
fn whole_pieces_through_fluidr3_sound_like_fluidsynth() {
    whole_pieces_through(FLUIDR3, 3.0);
}

#[test]
#[cfg(feature = "sf3")]
#[ignore = "needs Debian's fluidsynth and musescore-general-soundfont-small"]
fn whole_pieces_through_musescores_sf3_sound_like_fluidsynth() {
    whole_pieces_through(MUSESCORE_SF3, 3.0);
}

/// The test songs through `font` (read with FluidSynth's kernel, as the
/// single notes are), compared with FluidSynth's renders after one overall
/// gain: level, envelope and spectrum each within `limit_db`.
fn whole_pieces_through(font: &str, limit_db: f64) {
    let bank = bank_like_fluidsynth(font);
    // FluidSynth's renders, by song, apart from other fonts' (the tests
    // run at once).
    let dir = scratch().join(format!(
        "pieces-{}",
        std::path::Path::new(font)
            .file_stem()
            .unwrap()
            .to_string_lossy()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let songs = std::fs::read_dir("../shared/testdata/midi").unwrap();
    let mut paths: Vec<PathBuf> = songs.map(|e| e.unwrap().path()).collect();
    paths.sort();
    let mut rows = Vec::new();
    for path in &paths {
        let Some(reference) = fluidsynth(font, path, &dir) else {
            eprintln!("fluidsynth is not installed: skipped");
            return;
        };
        let song = std::fs::read(path).unwrap();
        let o = ours(&bank, &song);
        rows.push((path.clone(), reference, o));
    }
    let mut levels: Vec<f64> = rows
        .iter()
        .map(|(_, r, o)| stereo_difference(r, o, 0.0, PIECE_WINDOW_SECS).level_db)
        .collect();
    levels.sort_by(f64::total_cmp);
    let gain = -levels[levels.len() / 2];
    println!("{font}, whole pieces: overall gain {gain:+.2} dB");
    let mut worst = 0.0f64;
    for (path, r, o) in &rows {
        let d = stereo_difference(r, o, gain, PIECE_WINDOW_SECS);
        println!(
            "{:12} {:5.1} s  level {:+6.2} dB  envelope {:5.2} dB  spectrum {:5.2} dB",
            path.file_name().unwrap().to_string_lossy(),
            r.len() as f32 / 2.0 / RATE as f32,
            d.level_db + gain,
            d.envelope_db,
            d.spectrum_db
        );
        worst = worst
            .max((d.level_db + gain).abs())
            .max(d.envelope_db)
            .max(d.spectrum_db);
    }
    assert!(worst <= limit_db, "{worst:.2} dB");
}

#[test]
#[ignore = "needs Debian's timgm6mb-soundfont"]
#[cfg(feature = "score")]
fn a_score_instrument_plays_a_soundfont_preset() {
    use polyphonica::render::Score;
    let text = format!(
        r#"
        tempo = 120
        [instruments.flute]
        soundfont = {{ file = "{TIMGM6MB}", bank = 0, program = 73 }}
        [instruments.strings]
        soundfont = {{ file = "{TIMGM6MB}", program = 48 }}
        [[note]]
        instrument = "flute"
        beat = 0
        beats = 2
        pitch = "A4"
        velocity = 0.8
        [[note]]
        instrument = "strings"
        beat = 2
        beats = 2
        pitch = "A3"
        "#
    );
    let score = Score::from_toml(&text, "sf.toml", std::path::Path::new(".")).unwrap();
    // The flute is one zone; the strings' A3 five (a stereo pair, two
    // synth layers and an ensemble).
    assert_eq!(score.events().len(), 6);
    // Each event brings its zone's note: its envelopes' times, its key
    // and its own modulation go with it.
    let zone = score.events()[0].zone.as_ref().expect("a zone");
    assert_eq!(zone.note.midi_key, Some(69));
    assert!(zone.note.mod_envelope.is_some() && zone.note.delay_hold_secs.is_some());
    assert!(score.events().iter().all(|e| e.zone.is_some()));
    let mut renderer = score.renderer(RATE).unwrap();
    let mut out = vec![0.0f32; 2 * RATE as usize * 4];
    renderer.render_stereo(&mut out);
    let left: Vec<f32> = out.iter().step_by(2).copied().collect();
    common::assert_bounded(&left);
    let hz = common::compare::peak_hz(&left[..RATE as usize]);
    assert!((hz - 440.0).abs() < 2.0, "{hz} Hz");
    let strings = &left[RATE as usize * 5 / 4..RATE as usize * 7 / 4];
    assert!(common::rms(strings) > 0.01, "{}", common::rms(strings));
    // A font that is missing, and a preset it lacks, are errors at the key.
    let missing = text.replace(TIMGM6MB, "no-such.sf2");
    let e = Score::from_toml(&missing, "sf.toml", std::path::Path::new(".")).unwrap_err();
    assert!(e.to_string().contains("no-such.sf2"), "{e}");
    let lacking = text.replace("program = 48", "program = 48, bank = 7");
    let e = Score::from_toml(&lacking, "sf.toml", std::path::Path::new(".")).unwrap_err();
    assert!(e.to_string().contains("bank 7 program 48"), "{e}");
}

/// The signal-to-noise ratio of a tone: the energy within eight bins of
/// the strongest peak over everything else above 30 Hz (a 4-term
/// Blackman-Harris window over 32768 frames, whose leakage is 92 dB down),
/// in decibels.
fn tone_snr_db(signal: &[f32]) -> f64 {
    use rustfft::{num_complex::Complex, FftPlanner};
    const N: usize = 32_768;
    let fft = FftPlanner::<f64>::new().plan_fft_forward(N);
    let mut buf: Vec<Complex<f64>> = (0..N)
        .map(|i| {
            let x = std::f64::consts::TAU * i as f64 / N as f64;
            let w =
                0.35875 - 0.48829 * x.cos() + 0.14128 * (2.0 * x).cos() - 0.01168 * (3.0 * x).cos();
            Complex::new(f64::from(signal[i]) * w, 0.0)
        })
        .collect();
    fft.process(&mut buf);
    let power: Vec<f64> = buf[..N / 2].iter().map(|c| c.norm_sqr()).collect();
    let peak = (23..N / 2)
        .max_by(|&a, &b| power[a].total_cmp(&power[b]))
        .unwrap();
    let tone: f64 = power[peak - 8..=peak + 8].iter().sum();
    let rest: f64 = power[23..].iter().sum::<f64>() - tone;
    10.0 * (tone / rest).log10()
}

#[test]
#[ignore = "needs Debian's fluidsynth"]
fn interpolation_is_as_clean_as_fluidsynths_fourth_order() {
    // A 4410 Hz sine recorded at 44.1 kHz (ten frames a cycle, so the loop
    // is seamless), played from an octave down to an octave up: what the
    // interpolation adds (its images and aliases) is all that is not the
    // tone.
    let frames: Vec<i16> = (0..44_100)
        .map(|n| (16_000.0 * (std::f64::consts::TAU * n as f64 / 10.0).sin()).round() as i16)
        .collect();
    let font = common::sf2::looped_sample_font(&frames, 44_100, 60, (4_410, 44_100), &[]);
    let dir = scratch();
    let font_path = dir.join("sine.sf2");
    std::fs::write(&font_path, &font).unwrap();
    let bank = Arc::new(SoundFontBank::from_file(&font_path).unwrap());
    let sinc = Arc::new(SoundFontBank::with_options(
        &polyphonica::soundfont::SoundFont::from_file(&font_path).unwrap(),
        BankOptions {
            interpolation: Interpolation::Sinc,
            ..BankOptions::default()
        },
    ));
    for key in [48u8, 55, 63, 67, 72] {
        let song = one_note(0, 0, key, 127, 2.0);
        let path = dir.join(format!("sine{key}.mid"));
        std::fs::write(&path, &song).unwrap();
        let Some(reference) = fluidsynth(font_path.to_str().unwrap(), &path, &dir) else {
            eprintln!("fluidsynth is not installed: skipped");
            return;
        };
        let sinc_render = ours(&sinc, &song);
        let ours = ours(&bank, &song);
        let take = |stereo: &[f32]| -> Vec<f32> {
            stereo
                .iter()
                .step_by(2)
                .skip(RATE as usize / 2)
                .take(32_768)
                .copied()
                .collect()
        };
        let (theirs_db, ours_db) = (tone_snr_db(&take(&reference)), tone_snr_db(&take(&ours)));
        let sinc_db = tone_snr_db(&take(&sinc_render));
        println!(
            "{:7.1} Hz: FluidSynth {theirs_db:5.1} dB, polyphonica {ours_db:5.1} dB (sinc {sinc_db:5.1} dB)",
            4410.0 * 2f64.powf((f64::from(key) - 60.0) / 12.0)
        );
        // The 6-point kernel at least as clean as FluidSynth's 4-point one
        // (whose images near Nyquist its own always-on lowpass at 0.45 of
        // the output rate softens); the sinc kernel cleaner still.
        assert!(ours_db >= theirs_db, "{ours_db} dB against {theirs_db} dB");
        assert!(sinc_db >= theirs_db + 15.0, "sinc {sinc_db} dB");
    }
}
