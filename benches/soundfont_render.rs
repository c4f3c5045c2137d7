//! Rendering a General MIDI file with a SoundFont, effects off: the engine
//! against rustysynth in the same process (same font, same song, same
//! rate), and both command lines, ours and FluidSynth's
//! (`fluidsynth -ni -R 0 -C 0 -F out.wav -r 44100 FONT SONG`), end to end
//! with the font's loading and the WAV file.
//!
//! `cargo bench --bench soundfont_render` (needs `apt-get install
//! timgm6mb-soundfont fluidsynth`, and `cargo build --release -p
//! polyphonica-cli` for the command-line pair; what is missing is reported
//! and skipped). The song is `POLYPHONICA_SONG` or the shared test data's
//! `test06.mid` (35 s, 12 channels).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use polyphonica::midi::{MidiError, MidiFile, MidiSynth};
use polyphonica::sample::Interpolation;
use polyphonica::soundfont::{BankOptions, SoundFont, SoundFontBank};

const FONT: &str = "/usr/share/sounds/sf2/TimGM6mb.sf2";
const RATE: u32 = 44_100;

fn song() -> PathBuf {
    std::env::var_os("POLYPHONICA_SONG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/testdata/midi/test06.mid"))
}

fn render(c: &mut Criterion) {
    let song = song();
    if !std::path::Path::new(FONT).exists() || !song.exists() {
        eprintln!("{FONT} or {} is missing: skipped", song.display());
        return;
    }
    let mut group = c.benchmark_group("soundfont_render");
    group.sample_size(10);

    let font = SoundFont::from_file(FONT).unwrap();
    let file = MidiFile::from_file(&song).unwrap();
    // The default 6-point interpolation, and FluidSynth's 4-point one.
    for (name, interpolation) in [
        ("polyphonica", Interpolation::Lagrange),
        ("polyphonica_cubic", Interpolation::Cubic),
    ] {
        let options = BankOptions {
            interpolation,
            ..BankOptions::default()
        };
        let bank = Arc::new(SoundFontBank::with_options(&font, options));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut synth = MidiSynth::with_soundfont(Arc::clone(&bank));
                synth.set_effects(false);
                let mut sum = 0.0f32;
                file.render_with(synth, RATE, |block| {
                    sum += block[0];
                    Ok::<(), MidiError>(())
                })
                .unwrap();
                sum
            })
        });
    }

    let font =
        Arc::new(rustysynth::SoundFont::new(&mut std::fs::File::open(FONT).unwrap()).unwrap());
    let midi =
        Arc::new(rustysynth::MidiFile::new(&mut std::fs::File::open(&song).unwrap()).unwrap());
    group.bench_function("rustysynth", |b| {
        b.iter(|| {
            let mut settings = rustysynth::SynthesizerSettings::new(RATE as i32);
            settings.enable_reverb_and_chorus = false;
            let synth = rustysynth::Synthesizer::new(&font, &settings).unwrap();
            let mut sequencer = rustysynth::MidiFileSequencer::new(synth);
            sequencer.play(&midi, false);
            // The song and the same two seconds of tail as ours renders at
            // most, in blocks of 256.
            let frames = ((midi.get_length() + 2.0) * f64::from(RATE)) as usize;
            let (mut left, mut right) = (vec![0.0f32; 256], vec![0.0f32; 256]);
            let mut sum = 0.0f32;
            for _ in 0..frames / 256 {
                sequencer.render(&mut left, &mut right);
                sum += left[0];
            }
            sum
        })
    });

    let out = std::env::temp_dir().join("polyphonica-soundfont-bench.wav");
    let has_fluidsynth = Command::new("fluidsynth").arg("--version").output().is_ok();
    if has_fluidsynth {
        group.bench_function("fluidsynth_cli", |b| {
            b.iter(|| {
                let status = Command::new("fluidsynth")
                    .args(["-ni", "-R", "0", "-C", "0", "-F"])
                    .arg(&out)
                    .args(["-r", "44100", FONT])
                    .arg(&song)
                    .output()
                    .unwrap();
                assert!(status.status.success());
            })
        });
    } else {
        eprintln!("fluidsynth is not installed: fluidsynth_cli skipped");
    }
    let cli = PathBuf::from("target/release/polyphonica");
    if cli.exists() {
        group.bench_function("polyphonica_cli", |b| {
            b.iter(|| {
                let status = Command::new(&cli)
                    .arg("midi")
                    .arg(&song)
                    .args(["--soundfont", FONT, "--no-effects", "-o"])
                    .arg(&out)
                    .output()
                    .unwrap();
                assert!(status.status.success(), "{status:?}");
            })
        });
    } else {
        eprintln!("{} is not built: polyphonica_cli skipped", cli.display());
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
