//! A small SoundFont built byte by byte, read back; broken variants of it
//! refused with errors that name what is wrong.

use super::*;

/// A RIFF chunk (padded to an even length).
fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// A `LIST` chunk of `kind` holding `chunks`.
fn list_of(kind: &[u8; 4], chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut body = kind.to_vec();
    for c in chunks {
        body.extend_from_slice(c);
    }
    chunk(b"LIST", &body)
}

fn name20(name: &str) -> Vec<u8> {
    let mut b = name.as_bytes().to_vec();
    b.resize(20, 0);
    b
}

fn gen(op: u16, amount: i16) -> Vec<u8> {
    [op.to_le_bytes(), amount.to_le_bytes()].concat()
}

fn range(op: Generator, lo: u8, hi: u8) -> Vec<u8> {
    gen(op as u16, i16::from_le_bytes([lo, hi]))
}

fn bag(gen_index: u16, mod_index: u16) -> Vec<u8> {
    [gen_index.to_le_bytes(), mod_index.to_le_bytes()].concat()
}

fn phdr(name: &str, program: u16, bank: u16, bag_index: u16) -> Vec<u8> {
    let mut r = name20(name);
    r.extend_from_slice(&program.to_le_bytes());
    r.extend_from_slice(&bank.to_le_bytes());
    r.extend_from_slice(&bag_index.to_le_bytes());
    r.extend_from_slice(&[0; 12]);
    r
}

fn inst(name: &str, bag_index: u16) -> Vec<u8> {
    [name20(name), bag_index.to_le_bytes().to_vec()].concat()
}

#[allow(clippy::too_many_arguments)]
fn shdr(name: &str, start: u32, end: u32, loop_start: u32, loop_end: u32, key: u8) -> Vec<u8> {
    let mut r = name20(name);
    for v in [start, end, loop_start, loop_end, 22_050] {
        r.extend_from_slice(&v.to_le_bytes());
    }
    r.extend_from_slice(&[key, 0]);
    r.extend_from_slice(&0u16.to_le_bytes());
    r.extend_from_slice(&1u16.to_le_bytes());
    r
}

/// The pieces of the test font, so tests can break one.
struct Parts {
    version: u16,
    smpl: Vec<u8>,
    phdr: Vec<u8>,
    pbag: Vec<u8>,
    pgen: Vec<u8>,
    inst: Vec<u8>,
    ibag: Vec<u8>,
    igen: Vec<u8>,
    shdr: Vec<u8>,
}

impl Parts {
    /// One sample (100 frames of a ramp and 46 of silence); an instrument
    /// with a global zone (attenuation 10 dB) and two zones, keys 0–63
    /// (root key 60) and 64–127 at velocities 0–63; a preset "Test" (bank
    /// 0, program 5) whose global zone pans 20 % right and whose zone
    /// takes keys 40–80 of the instrument 2 dB quieter.
    fn new() -> Self {
        let smpl: Vec<u8> = (0..146i16)
            .map(|i| if i < 100 { i * 300 } else { 0 })
            .flat_map(i16::to_le_bytes)
            .collect();
        let pgen = [
            gen(Generator::Pan as u16, 200),
            range(Generator::KeyRange, 40, 80),
            gen(Generator::InitialAttenuation as u16, 20),
            gen(Generator::Instrument as u16, 0),
        ]
        .concat();
        let igen = [
            gen(Generator::InitialAttenuation as u16, 100),
            range(Generator::KeyRange, 0, 63),
            gen(Generator::OverridingRootKey as u16, 60),
            gen(Generator::SampleId as u16, 0),
            range(Generator::KeyRange, 64, 127),
            range(Generator::VelRange, 0, 63),
            gen(Generator::SampleModes as u16, 1),
            gen(Generator::SampleId as u16, 0),
        ]
        .concat();
        Parts {
            version: 2,
            smpl,
            phdr: [phdr("Test", 5, 0, 0), phdr("EOP", 0, 0, 2)].concat(),
            pbag: [bag(0, 0), bag(1, 0), bag(4, 0)].concat(),
            pgen,
            inst: [inst("Ramp", 0), inst("EOI", 3)].concat(),
            ibag: [bag(0, 0), bag(1, 0), bag(4, 0), bag(8, 0)].concat(),
            igen,
            shdr: [shdr("ramp", 0, 100, 10, 90, 60), shdr("EOS", 0, 0, 0, 0, 0)].concat(),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let ifil = [self.version.to_le_bytes(), 1u16.to_le_bytes()].concat();
        let info = list_of(b"INFO", &[chunk(b"ifil", &ifil), chunk(b"INAM", b"Tiny\0")]);
        let sdta = list_of(b"sdta", &[chunk(b"smpl", &self.smpl)]);
        let pdta = list_of(
            b"pdta",
            &[
                chunk(b"phdr", &self.phdr),
                chunk(b"pbag", &self.pbag),
                chunk(b"pmod", &[0; 10]),
                chunk(b"pgen", &self.pgen),
                chunk(b"inst", &self.inst),
                chunk(b"ibag", &self.ibag),
                chunk(b"imod", &[0; 10]),
                chunk(b"igen", &self.igen),
                chunk(b"shdr", &self.shdr),
            ],
        );
        let mut body = b"sfbk".to_vec();
        body.extend_from_slice(&info);
        body.extend_from_slice(&sdta);
        body.extend_from_slice(&pdta);
        chunk(b"RIFF", &body)
    }
}

/// The bytes of the test font.
pub(crate) fn tiny_font() -> Vec<u8> {
    Parts::new().bytes()
}

#[test]
fn reads_presets_and_resolves_their_regions() {
    let font = SoundFont::parse(&tiny_font()).unwrap();
    assert_eq!(font.name, "Tiny");
    assert_eq!(font.presets().len(), 1);
    let preset = font.preset(0, 5).unwrap();
    assert_eq!(preset.name, "Test");
    assert_eq!(preset.regions.len(), 2);
    let (low, high) = (&preset.regions[0], &preset.regions[1]);
    // Ranges intersected with the preset zone's 40–80.
    assert_eq!((low.keys, low.velocities), ((40, 63), (0, 127)));
    assert_eq!((high.keys, high.velocities), ((64, 80), (0, 63)));
    // The instrument's global attenuation, plus the preset's offset; the
    // preset's global pan; instrument-only generators untouched.
    for r in [low, high] {
        assert_eq!(r.get(Generator::InitialAttenuation), 120);
        assert_eq!(r.get(Generator::Pan), 200);
        assert_eq!(r.get(Generator::InitialFilterFc), 13500);
        assert_eq!(r.sample, 0);
    }
    assert_eq!(low.get(Generator::OverridingRootKey), 60);
    assert_eq!(high.get(Generator::OverridingRootKey), -1);
    assert_eq!(high.get(Generator::SampleModes), 1);
    // Picking by key and velocity.
    assert_eq!(preset.regions_for(50, 100).count(), 1);
    assert_eq!(preset.regions_for(70, 100).count(), 0);
    assert_eq!(preset.regions_for(70, 10).next().unwrap().keys, (64, 80));
    assert_eq!(preset.regions_for(90, 10).count(), 0);
    // The sample: its header and its data, shared.
    let h = &font.sample_headers()[0];
    assert_eq!((h.start, h.end, h.loop_start, h.loop_end), (0, 100, 10, 90));
    assert_eq!(h.original_key, 60);
    assert_eq!(font.sample_data().len(), 146);
    assert_eq!(font.sample_data()[3], 900);
}

#[test]
fn a_region_sounds_at_its_pitch_gain_pan_and_loop() {
    let font = SoundFont::parse(&tiny_font()).unwrap();
    let preset = font.preset(0, 5).unwrap();
    let header = &font.sample_headers()[0];
    // Root key 60 (the zone's override), recorded at 22,050 Hz: an octave
    // up plays at twice the rate.
    let low = preset.regions[0].sound(header, 60);
    assert_eq!(low.playback_rate_hz, 22_050.0);
    let up = preset.regions[0].sound(header, 72);
    assert!((up.playback_rate_hz - 44_100.0).abs() < 1e-6);
    // 12 dB of attenuation (10 + 2); pan 200 (tenths of a percent of the
    // way from centre to one side, ±500) is 0.4.
    assert!((low.gain - 10f32.powf(-12.0 / 20.0)).abs() < 1e-6);
    assert!((low.pan - 0.4).abs() < 1e-6);
    assert_eq!(low.loop_mode, LoopMode::None);
    let high = preset.regions[1].sound(header, 70);
    assert_eq!(high.loop_mode, LoopMode::Continuous);
    assert_eq!(
        (high.start, high.end, high.loop_start, high.loop_end),
        (0, 100, 10, 90)
    );
    // Defaults: envelopes of 2^-10 s (about 1 ms), full sustain, the
    // filter open; but the volume envelope's release is at least 2^-6 s
    // (−7200 timecents, FluidSynth's floor).
    assert_eq!(high.volume_envelope.attack_secs, 2f32.powi(-10));
    assert_eq!(high.volume_envelope.release_secs, 2f32.powi(-6));
    assert_eq!(high.mod_envelope.release_secs, 2f32.powi(-10));
    assert_eq!(high.volume_envelope.sustain, 1.0);
    assert_eq!(high.mod_envelope.sustain, 1.0);
    assert_eq!(high.filter_cutoff_hz, None);
    assert!((high.vibrato_lfo.frequency_hz - 8.176).abs() < 1e-3);
}

#[test]
fn generators_convert_with_their_units_and_ranges() {
    let font = SoundFont::parse(&tiny_font()).unwrap();
    let header = &font.sample_headers()[0];
    let mut region = font.preset(0, 5).unwrap().regions[1].clone();
    let mut set = |gen: Generator, v: i16| region.generators[gen as usize] = v;
    set(Generator::StartAddrsOffset, 5);
    set(Generator::EndAddrsOffset, -20);
    set(Generator::StartloopAddrsOffset, -100); // before the start: clamped
    set(Generator::EndloopAddrsOffset, 500); // past the end: clamped
    set(Generator::AttackVolEnv, 0); // 1 s
    set(Generator::DecayVolEnv, 1200); // 2 s at key 60...
    set(Generator::KeynumToVolEnvDecay, 100); // ...a semitone's 100 cents shorter per key up
    set(Generator::SustainVolEnv, 200); // −20 dB
    set(Generator::SustainModEnv, 250); // 75 %
    set(Generator::InitialFilterFc, 6900); // 440 Hz
    set(Generator::InitialFilterQ, 2000); // past the 96 dB range
    set(Generator::CoarseTune, -12);
    set(Generator::FineTune, 50);
    set(Generator::ReverbEffectsSend, 250);
    set(Generator::ChorusEffectsSend, 5000); // past 100 %
    set(Generator::InitialAttenuation, 30_000); // past 144 dB
    set(Generator::ExclusiveClass, 3);
    set(Generator::Pan, -1000);
    let s = region.sound(header, 72);
    assert_eq!((s.start, s.end, s.loop_start, s.loop_end), (5, 80, 5, 80));
    assert_eq!(s.volume_envelope.attack_secs, 1.0);
    let decay_at_72 = 2f32.powf((1200.0 - 12.0 * 100.0) / 1200.0);
    assert!((s.volume_envelope.decay_secs - decay_at_72).abs() < 1e-5);
    assert!((s.volume_envelope.sustain - 0.1).abs() < 1e-6);
    assert!((s.mod_envelope.sustain - 0.75).abs() < 1e-6);
    assert!((s.filter_cutoff_hz.unwrap() - 440.0).abs() < 0.01);
    assert_eq!(s.filter_q_db, 96.0);
    // Key 72 over root -1 → the sample's own key 60: +12 semitones, then
    // −12 coarse and +50 cents fine.
    let want = 22_050.0 * 2f64.powf(50.0 / 1200.0);
    assert!((s.playback_rate_hz - want).abs() < 1e-6);
    assert_eq!((s.reverb_send, s.chorus_send), (0.25, 1.0));
    assert!((s.gain - 10f32.powf(-144.0 / 20.0)).abs() < 1e-9);
    assert_eq!((s.exclusive_class, s.pan), (3, -1.0));
}

#[test]
fn loops_outside_the_data_and_rom_samples_are_clamped() {
    let mut parts = Parts::new();
    parts.shdr = [
        shdr("wild", 50, 1_000_000, 2_000_000, 3_000_000, 60),
        shdr("EOS", 0, 0, 0, 0, 0),
    ]
    .concat();
    let font = SoundFont::parse(&parts.bytes()).unwrap();
    let h = &font.sample_headers()[0];
    assert_eq!(
        (h.start, h.end, h.loop_start, h.loop_end),
        (50, 146, 146, 146)
    );
    let mut rom = shdr("rom", 0, 100, 10, 90, 60);
    rom[44..46].copy_from_slice(&0x8001u16.to_le_bytes());
    parts.shdr = [rom, shdr("EOS", 0, 0, 0, 0, 0)].concat();
    let font = SoundFont::parse(&parts.bytes()).unwrap();
    let h = &font.sample_headers()[0];
    assert_eq!((h.start, h.end), (0, 0));
}

/// The error of parsing `parts` (which must fail).
fn error_of(parts: &Parts) -> String {
    SoundFont::parse(&parts.bytes()).unwrap_err().to_string()
}

#[test]
fn broken_fonts_get_errors_that_name_the_problem() {
    assert!(matches!(
        SoundFont::parse(b"RIFF"),
        Err(SoundFontError::NotASoundFont)
    ));
    assert!(matches!(
        SoundFont::parse(&[0; 64]),
        Err(SoundFontError::NotASoundFont)
    ));

    let mut parts = Parts::new();
    parts.phdr.pop();
    assert!(error_of(&parts).contains("phdr"), "{}", error_of(&parts));

    let mut parts = Parts::new();
    parts.pgen = gen(Generator::Instrument as u16, 9).repeat(4);
    assert!(
        error_of(&parts).contains("instrument 9"),
        "{}",
        error_of(&parts)
    );

    let mut parts = Parts::new();
    parts.igen = gen(Generator::SampleId as u16, 7).repeat(8);
    assert!(
        error_of(&parts).contains("sample 7"),
        "{}",
        error_of(&parts)
    );

    let mut parts = Parts::new();
    parts.pbag = [bag(0, 0), bag(1, 0), bag(400, 0)].concat();
    assert!(
        error_of(&parts).contains("generators"),
        "{}",
        error_of(&parts)
    );

    // A SoundFont 3 needs the sf3 feature; with it, a sample that is not
    // compressed reads as in a SoundFont 2.
    let mut parts = Parts::new();
    parts.version = 3;
    #[cfg(not(feature = "sf3"))]
    assert!(
        error_of(&parts).contains("SoundFont 3"),
        "{}",
        error_of(&parts)
    );
    #[cfg(feature = "sf3")]
    assert_eq!(
        SoundFont::parse(&parts.bytes()).unwrap().sample_headers()[0].end,
        100
    );

    // A sample chunk that claims 2 GB in a small file.
    let mut bytes = Parts::new().bytes();
    let at = bytes.windows(4).position(|w| w == b"smpl").unwrap();
    bytes[at + 4..at + 8].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let err = SoundFont::parse(&bytes).unwrap_err().to_string();
    assert!(err.contains("smpl") && err.contains("2147483647"), "{err}");
}

#[test]
fn every_truncation_is_an_error_or_a_smaller_font_never_a_panic() {
    let bytes = tiny_font();
    for len in 0..bytes.len() {
        let _ = SoundFont::parse(&bytes[..len]);
    }
}

mod mutations {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Bytes of the test font set at random, and the font cut short:
        /// an error or a font, never a panic.
        #[test]
        fn a_mutated_font_is_an_error_or_a_font(
            changes in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6),
            cut in any::<usize>(),
        ) {
            let mut bytes = tiny_font();
            let n = bytes.len();
            for (at, byte) in changes {
                bytes[at % n] = byte;
            }
            bytes.truncate(n - cut % 16);
            let _ = SoundFont::parse(&bytes);
        }
    }
}

#[test]
fn resonance_and_attenuation_below_zero_set_a_notes_level_as_fluidsynth_does() {
    let mut font = SoundFont::parse(&tiny_font()).unwrap();
    let level = |font: &SoundFont, velocity: u8| {
        let bank = SoundFontBank::new(font);
        let instrument = bank.instrument(0, 5).unwrap();
        let note = instrument.notes(60, velocity).next().unwrap();
        note.level
    };
    let db = |gain: f32| 20.0 * gain.log10();
    // 12 dB of attenuation, at 0.4.
    let plain = level(&font, 127);
    assert!((db(plain) + 4.8).abs() < 1e-3, "{}", db(plain));
    // A resonance 10 dB high takes 5 dB off.
    let generators = &mut font.presets[0].regions[0].generators;
    generators[Generator::InitialFilterQ as usize] = 100;
    let resonant = level(&font, 127);
    assert!((db(resonant / plain) + 5.0).abs() < 1e-3);
    // −10 dB of attenuation (−4 at 0.4) makes up for what velocity 100
    // attenuates (40·log10(127/100) = 4.15 dB) before the sum is kept at
    // 0 or more.
    let generators = &mut font.presets[0].regions[0].generators;
    generators[Generator::InitialFilterQ as usize] = 0;
    generators[Generator::InitialAttenuation as usize] = -100;
    assert!((db(level(&font, 100)) + 0.15).abs() < 0.01);
    assert_eq!(level(&font, 127), 1.0);
}

#[test]
fn a_key_scaled_hold_follows_the_key_played() {
    let mut font = SoundFont::parse(&tiny_font()).unwrap();
    // Hold 1 s at key 60, 100 timecents shorter per key up (region keys
    // 40-63).
    let generators = &mut font.presets[0].regions[0].generators;
    generators[Generator::HoldVolEnv as usize] = 0;
    generators[Generator::KeynumToVolEnvHold as usize] = 100;
    let bank = SoundFontBank::new(&font);
    let instrument = bank.instrument(0, 5).unwrap();
    let hold = |key: u8| {
        let note = instrument.notes(key, 100).next().unwrap().note;
        note.delay_hold_secs.unwrap().1
    };
    assert!((hold(60) - 1.0).abs() < 1e-4, "{}", hold(60));
    assert!((hold(48) - 2.0).abs() < 1e-4, "{}", hold(48));
    assert!((hold(63) - 2f32.powf(-0.25)).abs() < 1e-4, "{}", hold(63));
}
