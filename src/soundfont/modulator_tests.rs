//! Modulators measured on the small test font: velocity and key timing
//! a note, slots a note scales, controllers through their curves, what is
//! not followed counted.

use super::tests::tiny_font;
use super::*;

/// The modulator sources of a note's velocity and key (linear, rising).
pub(super) const VELOCITY: u16 = 2;
pub(super) const KEY: u16 = 3;

/// A modulator of `destination` by `source` (scaled by `amount_source`).
pub(super) fn modulator(
    source: u16,
    destination: Generator,
    amount: i16,
    amount_source: u16,
) -> Modulator {
    Modulator {
        source,
        destination: destination as u16,
        amount,
        amount_source,
        transform: 0,
    }
}

#[test]
fn velocity_and_key_modulators_time_both_envelopes_note_by_note() {
    let mut font = SoundFont::parse(&tiny_font()).unwrap();
    let region = &mut font.presets[0].regions[0];
    // Mod envelope release 1 s, decay 1 s at key 60 (100 timecents
    // shorter per key up), sustain 50 %; hold 0.5 s on both envelopes.
    for (generator, amount) in [
        (Generator::ReleaseModEnv, 0),
        (Generator::DecayModEnv, 0),
        (Generator::KeynumToModEnvDecay, 100),
        (Generator::SustainModEnv, 500),
        (Generator::HoldModEnv, -1200),
        (Generator::HoldVolEnv, -1200),
    ] {
        region.generators[generator as usize] = amount;
    }
    region.instrument_modulators = vec![
        // MuseScore's piano: key × velocity shortens the mod envelope's
        // release, here by up to 2400 timecents (two octaves of time).
        modulator(KEY, Generator::ReleaseModEnv, -2400, VELOCITY),
        // Velocity lengthens the amplitude envelope's hold by up to 1200
        // timecents and delays the mod envelope by up to 0.25 s (from
        // about 1 ms: −12000 + 9600 timecents).
        modulator(VELOCITY, Generator::HoldVolEnv, 1200, 0),
        modulator(VELOCITY, Generator::DelayModEnv, 9600, 0),
        // Key deepens the decay's key scaling, and velocity lowers the
        // mod envelope's sustain by up to 50 %.
        modulator(KEY, Generator::KeynumToModEnvDecay, 127, 0),
        modulator(VELOCITY, Generator::SustainModEnv, 500, 0),
    ];
    let bank = SoundFontBank::new(&font);
    let instrument = bank.instrument(0, 5).unwrap();
    let note = |key: u8, velocity: u8| instrument.notes(key, velocity).next().unwrap().note;
    let close = |got: f32, want: f32| (got / want - 1.0).abs() < 2e-3;
    for (key, velocity) in [(60u8, 127u8), (60, 64), (48, 127), (40, 1)] {
        let n = note(key, velocity);
        let (x_key, x_velocity) = (f32::from(key) / 127.0, f32::from(velocity) / 127.0);
        let mod_envelope = n.mod_envelope.unwrap();
        let (mod_delay, mod_hold) = n.mod_delay_hold_secs.unwrap();
        let (_, hold) = n.delay_hold_secs.unwrap();
        let release = (-2400.0 * x_key * x_velocity / 1200.0).exp2();
        assert!(
            close(mod_envelope.release_secs, release),
            "{key}/{velocity}: {mod_envelope:?}"
        );
        assert!(
            close(hold, 0.5 * x_velocity.exp2()),
            "{key}/{velocity}: hold {hold}"
        );
        let delay = ((-12000.0 + 9600.0 * x_velocity) / 1200.0).exp2();
        let delay = if delay < 0.002 { 0.0 } else { delay };
        assert!(
            delay == mod_delay || close(mod_delay, delay),
            "{mod_delay} against {delay}"
        );
        assert!(close(mod_hold, 0.5));
        let by_key = (100.0 + (127.0 * x_key).round()) * f32::from(60 - i16::from(key));
        let decay = (by_key / 1200.0).exp2();
        assert!(
            close(mod_envelope.decay_secs, decay),
            "{key}: decay {}",
            mod_envelope.decay_secs
        );
        let sustain = 1.0 - (500.0 + (500.0 * x_velocity).round()) / 1000.0;
        assert!(
            (mod_envelope.sustain_level - sustain).abs() < 1e-6,
            "{mod_envelope:?}"
        );
    }
}

#[test]
fn a_notes_velocity_and_key_scale_its_own_modulator_slots() {
    use crate::patch::{ModSource, ModTarget};
    let mut font = SoundFont::parse(&tiny_font()).unwrap();
    // MuseScore's: velocity × key deepens the filter envelope (here by up
    // to two octaves), and the breath controller (CC2) × key opens the
    // filter (by up to one).
    font.presets[0].regions[0].instrument_modulators = vec![
        modulator(2, Generator::ModEnvToFilterFc, 2400, 3),
        modulator(0x80 | 2, Generator::InitialFilterFc, 1200, 3),
    ];
    let bank = SoundFontBank::new(&font);
    let instrument = bank.instrument(0, 5).unwrap();
    for (key, velocity) in [(60u8, 127u8), (40, 64)] {
        let zone = instrument.notes(key, velocity).next().unwrap();
        let patch = zone.note.patch.as_ref().unwrap();
        let by_key = f32::from(key) / 127.0;
        let mut found = Vec::new();
        for &(slot, amount) in zone.slot_amounts() {
            let m = patch.modulation()[usize::from(slot)];
            found.push((m.source, m.scale, m.target, amount));
        }
        let want = [
            (
                ModSource::Velocity,
                Some(ModSource::ModEnvelope),
                ModTarget::Cutoff,
                2.0 * by_key,
            ),
            (ModSource::Controller(2), None, ModTarget::Cutoff, by_key),
        ];
        assert_eq!(found.len(), 2, "{found:?}");
        for (got, want) in found.iter().zip(want) {
            assert_eq!((got.0, got.1, got.2), (want.0, want.1, want.2));
            assert!((got.3 - want.3).abs() < 1e-6, "{got:?} against {want:?}");
        }
        // And the events that complete the note carry them.
        let id = crate::VoiceId::from_raw(7);
        let sent = zone
            .events(id)
            .filter(|e| matches!(e, crate::Event::SetNoteSlotAmount { .. }))
            .count();
        assert_eq!(sent, 2);
    }
}

#[test]
fn velocity_and_key_modulators_move_the_sample_the_lfos_and_the_tuning() {
    use crate::patch::{ModSource, ModTarget};
    use crate::{Event, Waveform};
    let mut font = SoundFont::parse(&tiny_font()).unwrap();
    // Region 0 (keys 40-63, no loop): MuseScore's key to the start (here
    // up to 40 frames in), velocity to the vibrato's rate (up to an
    // octave), velocity to the scale tuning (from 100 to 50 cents a key).
    font.presets[0].regions[0].instrument_modulators = vec![
        modulator(KEY, Generator::StartAddrsOffset, 40, 0),
        modulator(VELOCITY, Generator::FreqVibLfo, 1200, 0),
        modulator(VELOCITY, Generator::ScaleTuning, -50, 0),
        // Two controllers: CC74 opens the filter by up to 2 octaves, as
        // far as CC71 lets it.
        modulator(0x80 | 74, Generator::InitialFilterFc, 2400, 0x80 | 71),
        // A controller on the modulation LFO's rate: one octave.
        modulator(0x80 | 76, Generator::FreqModLfo, 1200, 0),
        // And another on its depth on the volume: ±6 dB.
        modulator(0x80 | 77, Generator::ModLfoToVolume, 60, 0),
    ];
    // Region 1 (keys 64-80, loop 10-90): velocity moves the loop's start
    // 20 frames later.
    font.presets[0].regions[1].instrument_modulators =
        vec![modulator(VELOCITY, Generator::StartloopAddrsOffset, 20, 0)];
    let bank = SoundFontBank::new(&font);
    let instrument = bank.instrument(0, 5).unwrap();
    let zone = instrument.notes(48, 127).next().unwrap();
    assert_eq!(
        zone.note.sample_start_frame,
        (40.0f32 * 48.0 / 127.0).round() as usize
    );
    // 12 keys below the root at 50 cents a key: 6 semitones down.
    let rate = 22_050.0 / 2f32.sqrt();
    assert!((zone.note.frequency_hz / 440.0 - rate / 22_050.0).abs() < 1e-4);
    let id = crate::VoiceId::from_raw(3);
    let vibrato = zone.events(id).find_map(|e| match e {
        Event::SetNoteModulation {
            target: ModTarget::Lfo2Rate,
            amount,
            ..
        } => Some(amount),
        _ => None,
    });
    assert_eq!(vibrato, Some(1.0));
    let patch = zone.note.patch.as_ref().unwrap();
    let slots = patch.modulation();
    let slot_of = |cc| {
        slots
            .iter()
            .find(|m| m.source == ModSource::Controller(cc))
            .unwrap()
    };
    let cc = slot_of(74);
    assert_eq!(
        (cc.scale, cc.target, cc.amount),
        (Some(ModSource::Controller(71)), ModTarget::Cutoff, 2.0)
    );
    let swing = slot_of(77);
    assert_eq!(
        (swing.scale, swing.target, swing.amount),
        (Some(ModSource::Lfo1), ModTarget::LevelDb, 6.0)
    );
    assert!(slots.iter().any(|m| m.source == ModSource::Controller(76)
        && m.target == ModTarget::Lfo1Rate
        && m.amount == 1.0));
    // The loop: 10-90 in the sample, 10 frames later at velocity 63, as
    // it was at velocity 1.
    for velocity in [63u8, 1] {
        let note = instrument.notes(70, velocity).next().unwrap().note;
        let Waveform::Sample(sample) = &note.waveform else {
            panic!("a sample")
        };
        let moved = (20.0 * f32::from(velocity) / 127.0).round() as usize;
        assert_eq!(
            sample.loop_frames(),
            Some((10 + moved, 90)),
            "velocity {velocity}"
        );
    }
}

#[test]
fn a_controller_moves_the_resonance_and_what_is_not_followed_is_counted() {
    use crate::patch::{CurveShape, ModSource, ModTarget};
    let mut font = SoundFont::parse(&tiny_font()).unwrap();
    font.presets[0].regions[0].instrument_modulators = vec![
        // MuseScore's: the breath controller (falling) on the resonance,
        // 8 cB; CC74 on the cutoff gives the zone a filter.
        modulator(0x0100 | 0x80 | 2, Generator::InitialFilterQ, 80, 0),
        modulator(0x80 | 74, Generator::InitialFilterFc, 1200, 0),
        // Followed: the absolute value of a bipolar controller on the pan;
        // a second controller, through its concave curve, scaling a first.
        Modulator {
            transform: 2,
            ..modulator(0x0200 | 0x80 | 75, Generator::Pan, 500, 0)
        },
        modulator(0x80 | 76, Generator::Pan, 500, 0x0400 | 0x80 | 77),
        // Followed through a link: two controllers on the vibrato's
        // depth. Not followed: velocity on the exclusive class (not to be
        // modulated).
        modulator(0x80 | 78, Generator::VibLfoToPitch, 50, 0x80 | 79),
        modulator(VELOCITY, Generator::ExclusiveClass, 1, 0),
    ];
    let bank = SoundFontBank::new(&font);
    let instrument = bank.instrument(0, 5).unwrap();
    assert_eq!(instrument.ignored_modulators(), 1);
    assert_eq!(bank.ignored_modulators(), 1);
    let zone = instrument.notes(48, 100).next().unwrap();
    let patch = zone.note.patch.as_ref().unwrap();
    let q = patch
        .modulation()
        .iter()
        .find(|m| m.source == ModSource::Controller(2))
        .unwrap();
    // From a flat filter (resonance 0) to a peak 8 dB high: Q 10^(4.99/20),
    // resonance 1 − 1/(√2·Q).
    let peak_q = 10f32.powf((8.0 - 3.01) / 20.0);
    let want = 1.0 - 1.0 / (std::f32::consts::SQRT_2 * peak_q);
    assert_eq!(q.target, ModTarget::Resonance);
    assert!(
        (q.amount - want).abs() < 1e-4,
        "{} against {want}",
        q.amount
    );
    assert!(q.curve.unwrap().falling);
    let slot_of = |cc: u8| {
        *patch
            .modulation()
            .iter()
            .find(|m| m.source == ModSource::Controller(cc))
            .unwrap()
    };
    let absolute = slot_of(75);
    assert!(absolute.absolute && absolute.curve.unwrap().bipolar);
    let scaled = slot_of(76);
    assert_eq!(scaled.scale, Some(ModSource::Controller(77)));
    assert_eq!(scaled.scale_curve.unwrap().shape, CurveShape::Concave);
    // CC78 × CC79 into link 0, which LFO 2 scales on the pitch: 50 cents.
    let into = slot_of(78);
    assert_eq!(
        (into.scale, into.target, into.amount),
        (Some(ModSource::Controller(79)), ModTarget::Link(0), 1.0)
    );
    let depth = patch
        .modulation()
        .iter()
        .find(|m| m.source == ModSource::Link(0))
        .unwrap();
    assert_eq!(
        (depth.scale, depth.target, depth.amount),
        (Some(ModSource::Lfo2), ModTarget::Pitch, 0.5)
    );
}

#[test]
fn a_modulator_pitching_a_note_off_the_scale_still_plays_it() {
    // Found by `any_modulators_build_and_play_bounded`: velocity (concave)
    // on the coarse tune, −5142 semitones, absolute value: the note's
    // frequency overflowed to infinity and the engine refused it.
    let mut font = SoundFont::parse(&tiny_font()).unwrap();
    // At velocity 100 that is 1440 semitones up.
    font.presets[0].regions[0].instrument_modulators = vec![Modulator {
        transform: 2,
        ..modulator(0x0400 | VELOCITY, Generator::CoarseTune, -5142, 0)
    }];
    let bank = SoundFontBank::new(&font);
    let zone = bank
        .instrument(0, 5)
        .unwrap()
        .notes(50, 100)
        .next()
        .unwrap();
    assert!(zone.note.frequency_hz.is_finite());
    let mut engine = crate::RealtimeEngine::new(48_000.0);
    zone.trigger(&mut engine).unwrap();
    let mut out = [0.0f32; 1024];
    engine.process_buffer(&mut out);
    assert!(out.iter().all(|s| s.is_finite() && s.abs() <= 1.0));
}

#[test]
fn the_modulation_lfo_swings_the_level_up_first_by_its_decibels() {
    // The looped zone (keys 64-80) with a tremolo of 6 dB (60 cB) on its
    // modulation LFO (a triangle at 8.176 Hz, rising first): each 2 ms loop
    // cycle's peak against the plain zone's, over the LFO's first cycle.
    let peaks = |tremolo_cb: i16| {
        let mut font = SoundFont::parse(&tiny_font()).unwrap();
        font.presets[0].regions[1].generators[Generator::ModLfoToVolume as usize] = tremolo_cb;
        let bank = SoundFontBank::new(&font);
        let zone = bank.instrument(0, 5).unwrap().notes(70, 50).next().unwrap();
        let mut engine = crate::RealtimeEngine::new(48_000.0);
        zone.trigger(&mut engine).unwrap();
        let mut out = vec![0.0f32; 6_000];
        for block in out.chunks_mut(256) {
            engine.process_buffer(block);
        }
        // Peaks of 96-frame windows (2 ms), from 10 ms on (past the attack).
        out[480..]
            .chunks(96)
            .map(|w| w.iter().fold(0.0f32, |m, x| m.max(x.abs())))
            .collect::<Vec<f32>>()
    };
    let plain = peaks(0);
    let steady = plain[plain.len() / 2];
    let moved = peaks(60);
    let db: Vec<f32> = moved.iter().map(|p| 20.0 * (p / steady).log10()).collect();
    let (top, bottom) =
        db.iter()
            .enumerate()
            .fold(((0, f32::MIN), (0, f32::MAX)), |(t, b), (i, &x)| {
                (
                    if x > t.1 { (i, x) } else { t },
                    if x < b.1 { (i, x) } else { b },
                )
            });
    println!(
        "tremolo 6 dB: top {:+.2} dB at window {}, bottom {:+.2} dB at window {}",
        top.1, top.0, bottom.1, bottom.0
    );
    assert!((top.1 - 6.0).abs() < 0.5, "{top:?}");
    assert!((bottom.1 + 6.0).abs() < 0.5, "{bottom:?}");
    assert!(
        top.0 < bottom.0,
        "the level rises first: {top:?} {bottom:?}"
    );
}
