//! SoundFonts: real General MIDI fonts from Debian read and resolved, and a
//! real font mutated byte by byte never panics or allocates beyond its size.

mod common;

use std::time::Instant;

use common::alloc_counter::{assert_the_counter_works, count_allocations, CountingAllocator};
use common::mutate::{apply, mutation};
use polyphonica::midi::{MidiMessage, MidiSynth};
use polyphonica::soundfont::{Generator, SoundFont, SoundFontBank};
use polyphonica::RealtimeEngine;
use proptest::prelude::*;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Debian's `timgm6mb-soundfont` (6 MB); `.ci/run` installs it.
const TIMGM6MB: &str = "/usr/share/sounds/sf2/TimGM6mb.sf2";
/// Debian's `fluid-soundfont-gm` (148 MB).
const FLUIDR3: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
/// Debian's `musescore-general-soundfont-small`: a SoundFont 3 (Ogg Vorbis
/// samples).
#[cfg(feature = "sf3")]
const MUSESCORE_SF3: &str = "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3";

/// Checks what every General MIDI font must hold: 128 melodic programs in
/// bank 0 that each play at velocity 100 (FluidR3's contrabass stops below
/// middle C: any key counts), a drum kit in bank 128, every region's sample
/// inside the data.
fn check_general_midi(font: &SoundFont) {
    // Every modulator of the font is followed.
    let bank = polyphonica::soundfont::SoundFontBank::new(font);
    let zones: usize = bank.instruments().iter().map(|i| i.zone_count()).sum();
    println!(
        "{}: {zones} zones, {} modulators not followed",
        font.name,
        bank.ignored_modulators()
    );
    assert_eq!(bank.ignored_modulators(), 0);
    for program in 0..128 {
        let preset = font
            .preset(0, program)
            .unwrap_or_else(|| panic!("no program {program}"));
        assert!(
            (0..128).any(|key| preset.regions_for(key, 100).next().is_some()),
            "program {program} ({}) plays no key",
            preset.name
        );
    }
    let drums = font.preset(128, 0).expect("a drum kit in bank 128");
    for key in [36, 38, 42, 49] {
        assert!(
            drums.regions_for(key, 100).next().is_some(),
            "no drum at key {key}"
        );
    }
    let data = font.sample_data().len() as u32;
    for preset in font.presets() {
        for region in &preset.regions {
            let h = &font.sample_headers()[region.sample];
            assert!(h.start <= h.end && h.end <= data, "{}", h.name);
            assert!(h.start <= h.loop_start && h.loop_start <= h.loop_end && h.loop_end <= h.end);
            assert!(region.keys.0 <= region.keys.1);
            assert!(region.velocities.0 <= region.velocities.1);
            // Sample ids are resolved, never left as generators.
            assert_eq!(region.get(Generator::SampleId), region.sample as i16);
            for key in [region.keys.0, region.keys.1] {
                let s = region.sound(h, key);
                assert!(
                    s.start <= s.loop_start && s.loop_start <= s.loop_end && s.loop_end <= s.end
                );
                assert!(s.playback_rate_hz.is_finite() && s.playback_rate_hz > 0.0);
                assert!(s.gain > 0.0 && s.gain <= 1.0 && s.pan.abs() <= 1.0);
                let e = s.volume_envelope;
                for t in [
                    e.delay_secs,
                    e.attack_secs,
                    e.hold_secs,
                    e.decay_secs,
                    e.release_secs,
                ] {
                    assert!((0.0..=101.6).contains(&t), "{} key {key}: {e:?}", h.name);
                }
            }
        }
    }
}

#[test]
#[ignore = "needs Debian's timgm6mb-soundfont (.ci/run installs it)"]
fn timgm6mb_reads_as_a_general_midi_font() {
    let started = Instant::now();
    let font = SoundFont::from_file(TIMGM6MB).expect("TimGM6mb loads");
    let secs = started.elapsed().as_secs_f64();
    let regions: usize = font.presets().iter().map(|p| p.regions.len()).sum();
    println!(
        "TimGM6mb: {} presets, {regions} regions, {} samples, {} frames of sample data, loaded in {secs:.3} s",
        font.presets().len(),
        font.sample_headers().len(),
        font.sample_data().len()
    );
    check_general_midi(&font);
    agrees_with_rustysynth(TIMGM6MB, &font);
}

#[test]
#[ignore = "needs Debian's fluid-soundfont-gm (148 MB)"]
fn fluidr3_reads_as_a_general_midi_font() {
    let started = Instant::now();
    let font = SoundFont::from_file(FLUIDR3).expect("FluidR3 loads");
    let secs = started.elapsed().as_secs_f64();
    let file_bytes = std::fs::metadata(FLUIDR3).unwrap().len();
    println!(
        "FluidR3_GM: {} presets, {} MB of sample data from a {} MB file, loaded in {secs:.3} s",
        font.presets().len(),
        font.sample_data().len() * 2 / 1_000_000,
        file_bytes / 1_000_000
    );
    check_general_midi(&font);
    // How fast it loads is measured by `cargo bench --bench soundfont_load`
    // (a timed test would fail on a busy machine); the time is printed here.
    agrees_with_rustysynth(FLUIDR3, &font);
}

/// For every preset, key and a few velocities, the regions we resolve and
/// the ones rustysynth (an independent reader) picks agree: the samples,
/// and the summed attenuation, pan and tuning and the root key of each.
fn agrees_with_rustysynth(path: &str, font: &SoundFont) {
    let mut file = std::fs::File::open(path).unwrap();
    let theirs = rustysynth::SoundFont::new(&mut file).expect("rustysynth reads it");
    let mut checked = 0;
    for preset in theirs.get_presets() {
        let bank = preset.get_bank_number() as u16;
        let program = preset.get_patch_number() as u16;
        let ours = font.preset(bank, program).expect("the same presets");
        for key in 0..128u8 {
            for velocity in [1u8, 40, 80, 127] {
                // (sample, attenuation in cB, pan, coarse tune, fine tune
                // with the sample's correction, root key)
                let mut want: Vec<(usize, i32, i32, i32, i32, i32)> = Vec::new();
                for pr in preset.get_regions() {
                    if !pr.contains(i32::from(key), i32::from(velocity)) {
                        continue;
                    }
                    let instrument = &theirs.get_instruments()[pr.get_instrument_id()];
                    for ir in instrument.get_regions() {
                        if ir.contains(i32::from(key), i32::from(velocity)) {
                            let attenuation =
                                ir.get_initial_attenuation() + pr.get_initial_attenuation();
                            want.push((
                                ir.get_sample_id(),
                                (10.0 * attenuation).round() as i32,
                                (10.0 * (ir.get_pan() + pr.get_pan())).round() as i32,
                                ir.get_coarse_tune() + pr.get_coarse_tune(),
                                ir.get_fine_tune() + pr.get_fine_tune(),
                                ir.get_root_key(),
                            ));
                        }
                    }
                }
                let mut got: Vec<_> = ours
                    .regions_for(key, velocity)
                    .map(|r| {
                        let h = &font.sample_headers()[r.sample];
                        let root = match r.get(Generator::OverridingRootKey) {
                            k @ 0..=127 => i32::from(k),
                            _ => i32::from(h.original_key),
                        };
                        (
                            r.sample,
                            i32::from(r.get(Generator::InitialAttenuation)),
                            i32::from(r.get(Generator::Pan)),
                            i32::from(r.get(Generator::CoarseTune)),
                            i32::from(r.get(Generator::FineTune)) + i32::from(h.correction_cents),
                            root,
                        )
                    })
                    .collect();
                want.sort_unstable();
                got.sort_unstable();
                assert_eq!(got, want, "{} key {key} velocity {velocity}", ours.name);
                checked += 1;
            }
        }
    }
    println!("{path}: {checked} (preset, key, velocity) choices agree with rustysynth");
}

#[cfg(feature = "sf3")]
#[test]
#[ignore = "needs Debian's musescore-general-soundfont-small (.ci/run installs it)"]
fn a_soundfont_3_decodes_its_ogg_vorbis_samples() {
    let started = Instant::now();
    let font = SoundFont::from_file(MUSESCORE_SF3).expect("the SoundFont 3 loads");
    let secs = started.elapsed().as_secs_f64();
    let file_bytes = std::fs::metadata(MUSESCORE_SF3).unwrap().len();
    println!(
        "MuseScore_General_Lite.sf3: {} presets, {} samples decoded to {} MB of 16-bit data from a {} MB file in {secs:.2} s",
        font.presets().len(),
        font.sample_headers().len(),
        font.sample_data().len() * 2 / 1_000_000,
        file_bytes / 1_000_000
    );
    check_general_midi(&font);
    // Every sample decoded to sound, its loop inside it.
    for h in font.sample_headers() {
        assert!(h.end > h.start, "{} decoded to nothing", h.name);
        let frames = &font.sample_data()[h.start as usize..h.end as usize];
        assert!(frames.iter().any(|&x| x != 0), "{} is silent", h.name);
    }
    // A broken stream is an error naming the sample, not a panic.
    let mut bytes = std::fs::read(MUSESCORE_SF3).unwrap();
    let smpl = bytes.windows(4).position(|w| w == b"smpl").unwrap() + 8;
    for b in &mut bytes[smpl..smpl + 64] {
        *b ^= 0x5a;
    }
    let err = SoundFont::parse(&bytes).unwrap_err().to_string();
    assert!(err.contains("Ogg Vorbis"), "{err}");
}

fn timgm6mb_bytes() -> Option<Vec<u8>> {
    std::fs::read(TIMGM6MB).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Mutations of a real font: an error or a font, never a panic. (Run
    /// with the font installed; without it the property has nothing to
    /// mutate, and `.ci/run` installs it.)
    #[test]
    #[ignore = "needs Debian's timgm6mb-soundfont (.ci/run installs it)"]
    fn mutated_timgm6mb_never_panics(mutations in prop::collection::vec(mutation(), 1..8)) {
        let mut bytes = timgm6mb_bytes().expect("TimGM6mb is installed");
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let _ = SoundFont::parse(&bytes);
    }
}

#[test]
#[ignore = "needs Debian's timgm6mb-soundfont"]
fn soundfont_voices_never_allocate_on_the_audio_path() {
    assert_the_counter_works();
    let bank = std::sync::Arc::new(SoundFontBank::from_file(TIMGM6MB).unwrap());
    let mut synth = MidiSynth::with_soundfont(bank);
    let mut engine = RealtimeEngine::with_voices(44_100.0, 48);
    let mut block = vec![0.0f32; 2 * 256];
    let mut events = 0;
    let mut seed = 0x1234_5678u32;
    let mut next = move |n: u32| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed % n
    };
    for _ in 0..3_000 {
        let channel = next(16) as u8;
        let key = (24 + next(80)) as u8;
        // Notes (the percussion channel's hi-hats cut each other off),
        // program and bank changes, controllers, pedal and bend, all
        // handled where the audio is made, as a plugin or a live input
        // would.
        let messages = [
            MidiMessage::NoteOn {
                channel,
                key,
                velocity: (1 + next(127)) as u8,
            },
            MidiMessage::NoteOn {
                channel: 9,
                key: [42, 44, 46][next(3) as usize],
                velocity: 100,
            },
            MidiMessage::ProgramChange {
                channel,
                program: next(128) as u8,
            },
            MidiMessage::ControlChange {
                channel,
                controller: [0, 1, 7, 10, 11, 64, 91][next(7) as usize],
                value: next(128) as u8,
            },
            MidiMessage::PitchBend {
                channel,
                value: next(16_384) as i16 - 8_192,
            },
            MidiMessage::NoteOff { channel, key },
        ];
        events += count_allocations(|| {
            for message in messages.iter().take(1 + next(6) as usize) {
                synth.handle(&mut engine, *message).unwrap();
            }
            engine.process_stereo_buffer(&mut block);
        });
        assert!(block.iter().all(|s| s.is_finite() && s.abs() <= 1.0));
    }
    assert!(engine.voices_stolen() > 100, "the run must steal voices");
    assert_eq!(
        events, 0,
        "the audio path allocated or freed {events} times"
    );
}
