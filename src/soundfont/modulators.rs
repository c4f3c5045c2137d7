//! A zone's modulators (the standard's defaults, section 8.4, merged with
//! the font's own, section 9.5): those a note's velocity and key drive are
//! evaluated when the note starts, with their curves; those a controller,
//! the pressure or the pitch wheel drive become slots of the patch's
//! modulation matrix.
//!
//! What the channel does itself is left out: volume and expression (CC7,
//! CC11), pan (CC10), the reverb and chorus sends (CC91, CC93) and the
//! pitch wheel with its range are the MIDI layer's (`MidiSynth`), as a
//! General MIDI channel has them. Slots are linear in their source: the
//! concave, convex and switch curves of a controller's modulator are
//! approximated by a straight line through their ends.

use super::{Generator, Modulator, Region};
use crate::patch::{ModSource, ModTarget};

/// The standard's default modulators (SoundFont 2.04, section 8.4.1–10)
/// that this module handles, but for velocity to filter cutoff
/// ([`VELOCITY_TO_FILTER`]); the others are the channel's.
const DEFAULTS: [Modulator; 3] = [
    // Velocity to attenuation: 960 cB, concave, negative.
    Modulator {
        source: 0x0502,
        destination: Generator::InitialAttenuation as u16,
        amount: 960,
        amount_source: 0,
        transform: 0,
    },
    // Channel pressure to vibrato depth: 50 cents.
    Modulator {
        source: 0x000D,
        destination: Generator::VibLfoToPitch as u16,
        amount: 50,
        amount_source: 0,
        transform: 0,
    },
    // Mod wheel (CC1) to vibrato depth: 50 cents.
    Modulator {
        source: 0x0081,
        destination: Generator::VibLfoToPitch as u16,
        amount: 50,
        amount_source: 0,
        transform: 0,
    },
];

/// The standard's velocity to filter cutoff: −2400 cents, concave,
/// negative. FluidSynth, the reference, leaves it out (its renders of
/// General MIDI fonts match ours only without it: a piano's 4 kHz band at
/// velocity 80 came out 6.5 dB duller with it), so a bank has it only when
/// asked ([`BankOptions::velocity_to_filter`](super::BankOptions::velocity_to_filter)).
const VELOCITY_TO_FILTER: Modulator = Modulator {
    source: 0x0502,
    destination: Generator::InitialFilterFc as u16,
    amount: -2400,
    amount_source: 0,
    transform: 0,
};

/// A slot for the patch's matrix: `source (× scale) × amount → target`.
pub(super) type Slot = (ModSource, Option<ModSource>, ModTarget, f32);

/// A zone's modulators, sorted by what drives them.
#[derive(Clone, Debug, Default)]
pub(super) struct ZoneModulation {
    /// Driven by the note's velocity and key: evaluated at note-on.
    per_note: Vec<Modulator>,
    /// Driven by controllers, pressure or the pitch wheel.
    pub(super) slots: Vec<Slot>,
    /// Whether a slot moves the filter's cutoff (the zone then has a filter
    /// even when its own cutoff is wide open).
    pub(super) moves_cutoff: bool,
}

/// What the velocity and key modulators do to one note.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct NoteModulation {
    /// Pitch, in cents.
    pub(super) pitch_cents: f32,
    /// Filter cutoff, in cents.
    pub(super) cutoff_cents: f32,
    /// Attenuation, in centibels.
    pub(super) attenuation_cb: f32,
    /// Pan, −1 to 1 (added).
    pub(super) pan: f32,
    /// Reverb and chorus sends, 0 to 1 (added).
    pub(super) sends: (f32, f32),
    /// The volume envelope's attack, decay and release, in timecents
    /// (added), and its sustain, in centibels of attenuation (added).
    pub(super) envelope_timecents: [f32; 3],
    pub(super) sustain_cb: f32,
    /// The filter's resonance peak, in centibels (added).
    pub(super) filter_q_cb: f32,
}

/// The modulators of `region`: the defaults, the instrument's (each
/// replacing a default of its kind) and the preset's (added).
pub(super) fn zone_modulation(region: &Region, velocity_to_filter: bool) -> ZoneModulation {
    let mut list: Vec<Modulator> = DEFAULTS.to_vec();
    if velocity_to_filter {
        list.push(VELOCITY_TO_FILTER);
    }
    for m in &region.instrument_modulators {
        match list.iter_mut().find(|d| d.same_kind(m)) {
            Some(d) => *d = *m,
            None => list.push(*m),
        }
    }
    list.extend(region.preset_modulators.iter().copied());
    let mut zone = ZoneModulation::default();
    for m in list {
        if m.amount == 0 || channel_handles(&m) {
            continue;
        }
        let (primary, amount_source) = (Source::decode(m.source), Source::decode(m.amount_source));
        match (primary, amount_source) {
            (Some(p), None) if p.per_note() && depth_of(m.destination).is_some() => {
                zone.add_note_depth(&m, p)
            }
            (Some(p), a) if p.per_note() && a.is_none_or(|a| a.per_note()) => zone.per_note.push(m),
            (Some(p), None) => zone.add_slot(&m, p),
            // A controller scaled by another: too rare to approximate.
            _ => {}
        }
    }
    zone
}

impl ZoneModulation {
    /// Adds `m` (driven by `source`, no amount source) as a matrix slot:
    /// the slope `a` of `y = a·s + b` in the source's own units; the
    /// constant `b` (what the modulator does with the source at rest) is
    /// left out.
    fn add_slot(&mut self, m: &Modulator, source: Source) {
        let a = source.slope();
        let amount = f32::from(m.amount);
        let Some(s) = source.mod_source() else {
            return;
        };
        let direct = |target, scale: f32| Some((s, None, target, a * amount * scale));
        let slot = match m.destination {
            d if d == Generator::FineTune as u16 => direct(ModTarget::Pitch, 0.01),
            d if d == Generator::CoarseTune as u16 => direct(ModTarget::Pitch, 1.0),
            d if d == Generator::InitialFilterFc as u16 => direct(ModTarget::Cutoff, 1.0 / 1200.0),
            d if d == Generator::Pan as u16 => direct(ModTarget::Pan, 1.0 / 500.0),
            d if d == Generator::ReverbEffectsSend as u16 => direct(ModTarget::ReverbSend, 0.001),
            d if d == Generator::ChorusEffectsSend as u16 => direct(ModTarget::ChorusSend, 0.001),
            d if d == Generator::InitialAttenuation as u16 => {
                // Full attenuation at full source as a gain, linear between.
                let full = 10f32.powf(-(a * amount) / 200.0) - 1.0;
                Some((s, None, ModTarget::Amplitude, full.max(-1.0)))
            }
            d => depth_of(d).map(|(by, target, scale)| (by, Some(s), target, a * amount * scale)),
        };
        if let Some(slot) = slot {
            self.push(slot);
        }
    }

    /// Adds `m`, a velocity or key modulator of a modulation depth (how far
    /// an LFO or the modulation envelope moves pitch or cutoff), as slots
    /// scaled by the note's velocity or key: exact for a linear source (as
    /// MuseScore's fonts deepen a filter envelope with velocity); a curve
    /// becomes the straight line through its ends, as a controller's does.
    fn add_note_depth(&mut self, m: &Modulator, source: Source) {
        let Some((by, target, scale)) = depth_of(m.destination) else {
            return;
        };
        let amount = f32::from(m.amount) * scale;
        let (at_0, rise) = (source.shape(0.0), source.shape(1.0) - source.shape(0.0));
        // The shaped value is about `at_0 + rise·x`, x = velocity or key
        // over 127. The engine's velocity is x itself; its key is in
        // octaves from middle C, (127·x − 60)/12.
        let (scale_source, per_unit, constant) = if source.index == 2 {
            (ModSource::Velocity, rise, at_0)
        } else {
            (
                ModSource::Key,
                rise * 12.0 / 127.0,
                at_0 + rise * 60.0 / 127.0,
            )
        };
        if per_unit != 0.0 {
            self.push((by, Some(scale_source), target, amount * per_unit));
        }
        if constant != 0.0 {
            self.push((by, None, target, amount * constant));
        }
    }

    fn push(&mut self, slot: Slot) {
        if slot.2 == ModTarget::Cutoff {
            self.moves_cutoff = true;
        }
        self.slots.push(slot);
    }

    /// What the velocity and key modulators do to a note of `key` at
    /// `velocity` (both 0–127).
    pub(super) fn for_note(&self, key: u8, velocity: u8) -> NoteModulation {
        let mut out = NoteModulation::default();
        for m in &self.per_note {
            let value = |raw: u16| match Source::decode(raw) {
                Some(s) => s.value(key, velocity),
                None => 1.0,
            };
            let y = f32::from(m.amount) * value(m.source) * value(m.amount_source);
            let y = if m.transform == 2 { y.abs() } else { y };
            match m.destination {
                d if d == Generator::FineTune as u16 => out.pitch_cents += y,
                d if d == Generator::CoarseTune as u16 => out.pitch_cents += 100.0 * y,
                d if d == Generator::InitialFilterFc as u16 => out.cutoff_cents += y,
                d if d == Generator::InitialFilterQ as u16 => out.filter_q_cb += y,
                d if d == Generator::InitialAttenuation as u16 => out.attenuation_cb += y,
                d if d == Generator::Pan as u16 => out.pan += y / 500.0,
                d if d == Generator::ReverbEffectsSend as u16 => out.sends.0 += y / 1000.0,
                d if d == Generator::ChorusEffectsSend as u16 => out.sends.1 += y / 1000.0,
                d if d == Generator::AttackVolEnv as u16 => out.envelope_timecents[0] += y,
                d if d == Generator::DecayVolEnv as u16 => out.envelope_timecents[1] += y,
                d if d == Generator::ReleaseVolEnv as u16 => out.envelope_timecents[2] += y,
                d if d == Generator::SustainVolEnv as u16 => out.sustain_cb += y,
                _ => {}
            }
        }
        out
    }
}

/// What a modulation-depth generator scales: the LFO or envelope, the
/// target it moves, and the target's units per unit of the generator.
fn depth_of(destination: u16) -> Option<(ModSource, ModTarget, f32)> {
    Some(match destination {
        d if d == Generator::VibLfoToPitch as u16 => (ModSource::Lfo2, ModTarget::Pitch, 0.01),
        d if d == Generator::ModLfoToPitch as u16 => (ModSource::Lfo1, ModTarget::Pitch, 0.01),
        d if d == Generator::ModLfoToFilterFc as u16 => {
            (ModSource::Lfo1, ModTarget::Cutoff, 1.0 / 1200.0)
        }
        d if d == Generator::ModEnvToPitch as u16 => {
            (ModSource::ModEnvelope, ModTarget::Pitch, 0.01)
        }
        d if d == Generator::ModEnvToFilterFc as u16 => {
            (ModSource::ModEnvelope, ModTarget::Cutoff, 1.0 / 1200.0)
        }
        _ => return None,
    })
}

/// Whether the channel itself does what `m` does (see the module docs).
fn channel_handles(m: &Modulator) -> bool {
    let cc = m.source & 0x80 != 0;
    let index = m.source & 0x7F;
    let d = m.destination;
    (cc && matches!(index, 7 | 11) && d == Generator::InitialAttenuation as u16)
        || (cc && index == 10 && d == Generator::Pan as u16)
        || (cc && index == 91 && d == Generator::ReverbEffectsSend as u16)
        || (cc && index == 93 && d == Generator::ChorusEffectsSend as u16)
        || (!cc
            && index == 14
            && (d == Generator::FineTune as u16 || d == Generator::CoarseTune as u16))
}

/// A modulator's source operator, decoded (section 8.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Source {
    /// A MIDI controller (`index` its number) or a general one.
    cc: bool,
    index: u16,
    /// From max to min rather than min to max.
    negative: bool,
    /// −1 to 1 rather than 0 to 1.
    bipolar: bool,
    /// 0 linear, 1 concave, 2 convex, 3 switch.
    curve: u16,
}

impl Source {
    /// The operator `raw`, or `None` for "no controller" and the
    /// controllers this module cannot follow (links, the wheel's range).
    fn decode(raw: u16) -> Option<Source> {
        let s = Source {
            cc: raw & 0x80 != 0,
            index: raw & 0x7F,
            negative: raw & 0x100 != 0,
            bipolar: raw & 0x200 != 0,
            curve: (raw >> 10) & 0x3F,
        };
        let known = s.cc || matches!(s.index, 2 | 3 | 10 | 13 | 14);
        (known && s.curve <= 3).then_some(s)
    }

    /// Whether a note's velocity or key drives it.
    fn per_note(&self) -> bool {
        !self.cc && matches!(self.index, 2 | 3)
    }

    /// The value for a note of `key` at `velocity`: the normalised input
    /// through direction, curve and polarity.
    fn value(&self, key: u8, velocity: u8) -> f32 {
        let x = match self.index {
            2 => f32::from(velocity),
            _ => f32::from(key),
        } / 127.0;
        self.shape(x)
    }

    /// `x` (0 to 1) through direction, polarity and curve.
    fn shape(&self, x: f32) -> f32 {
        let x = if self.negative { 1.0 - x } else { x };
        let curve = |x: f32| match self.curve {
            1 => concave(x),
            2 => 1.0 - concave(1.0 - x),
            3 => f32::from(u8::from(x >= 0.5)),
            _ => x,
        };
        if self.bipolar {
            if x >= 0.5 {
                curve(2.0 * x - 1.0)
            } else {
                -curve(1.0 - 2.0 * x)
            }
        } else {
            curve(x)
        }
    }

    /// The engine's source for it, if there is one.
    fn mod_source(&self) -> Option<ModSource> {
        Some(match (self.cc, self.index) {
            (true, 1) => ModSource::ModWheel,
            (true, n) => ModSource::Controller(n as u8),
            (false, 10) => ModSource::PolyPressure,
            (false, 13) => ModSource::Pressure,
            (false, 14) => ModSource::PitchBend,
            _ => return None,
        })
    }

    /// The slope `a` of the straight line `y = a·s + b` through the ends
    /// of the shaped value, `s` being the engine's source (0 to 1, or −1
    /// to 1 for the pitch wheel, whose `x` is `(s + 1) / 2`).
    fn slope(&self) -> f32 {
        let rise = self.shape(1.0) - self.shape(0.0);
        if self.mod_source() == Some(ModSource::PitchBend) {
            rise / 2.0
        } else {
            rise
        }
    }
}

/// The standard's concave curve: 0 at 0, 1 at 1, rising as the gain of an
/// attenuation falling linearly in decibels over 96 dB.
fn concave(x: f32) -> f32 {
    if x >= 1.0 {
        1.0
    } else {
        (-(40.0 / 96.0) * (1.0 - x).log10()).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region_with(instrument: Vec<Modulator>) -> Region {
        Region {
            keys: (0, 127),
            velocities: (0, 127),
            sample: 0,
            generators: super::super::DEFAULTS,
            instrument_modulators: instrument,
            preset_modulators: Vec::new(),
        }
    }

    #[test]
    fn velocity_attenuates_on_the_concave_curve() {
        let zone = zone_modulation(&region_with(Vec::new()), true);
        // 40 log10(127 / v) dB: 0 at 127, 6 dB at 90, 12 dB at 64.
        for (v, db) in [(127u8, 0.0f32), (90, 5.98), (64, 11.91), (1, 84.1)] {
            let got = zone.for_note(60, v).attenuation_cb / 10.0;
            assert!((got - db).abs() < 0.1, "{v}: {got} dB");
        }
        // And the filter follows, when asked: −2400 cents at full scale.
        let cut = zone.for_note(60, 64).cutoff_cents;
        assert!((cut + 2400.0 * 11.91 / 96.0).abs() < 5.0, "{cut}");
        let fluidsynths = zone_modulation(&region_with(Vec::new()), false);
        assert_eq!(fluidsynths.for_note(60, 64).cutoff_cents, 0.0);
        // The wheel and the pressure deepen the vibrato by 50 cents.
        assert!(zone.slots.contains(&(
            ModSource::Lfo2,
            Some(ModSource::ModWheel),
            ModTarget::Pitch,
            0.5
        )));
        assert!(zone.slots.contains(&(
            ModSource::Lfo2,
            Some(ModSource::Pressure),
            ModTarget::Pitch,
            0.5
        )));
    }

    #[test]
    fn a_fonts_own_modulator_replaces_the_default_of_its_kind_and_others_add() {
        let softer = Modulator {
            amount: 480,
            ..DEFAULTS[0]
        };
        let cc74 = Modulator {
            source: 0x80 | 74,
            destination: Generator::InitialFilterFc as u16,
            amount: 2400,
            amount_source: 0,
            transform: 0,
        };
        let key_pan = Modulator {
            source: 0x0200 | 3, // key, bipolar
            destination: Generator::Pan as u16,
            amount: 500,
            amount_source: 0,
            transform: 0,
        };
        let zone = zone_modulation(&region_with(vec![softer, cc74, key_pan]), false);
        let at64 = zone.for_note(60, 64).attenuation_cb;
        assert!((at64 / 10.0 - 5.96).abs() < 0.1, "{at64}");
        assert!(zone.moves_cutoff);
        assert!(zone
            .slots
            .contains(&(ModSource::Controller(74), None, ModTarget::Cutoff, 2.0)));
        assert!((zone.for_note(127, 127).pan - 1.0).abs() < 1e-6);
        assert!((zone.for_note(0, 127).pan + 1.0).abs() < 1e-6);
        // The channel's own: CC7 to attenuation is left to the channel.
        let cc7 = Modulator {
            source: 0x0587,
            destination: Generator::InitialAttenuation as u16,
            amount: 960,
            amount_source: 0,
            transform: 0,
        };
        let zone = zone_modulation(&region_with(vec![cc7]), false);
        assert_eq!(zone.slots.len(), 2);
    }

    #[test]
    fn velocity_and_key_reach_depths_and_envelope_times() {
        // MuseScore's: velocity deepens the filter envelope by up to 3000
        // cents, and shortens the attack by up to 3986 timecents.
        let deeper = Modulator {
            source: 2, // velocity, linear, unipolar, rising
            destination: Generator::ModEnvToFilterFc as u16,
            amount: 3000,
            amount_source: 0,
            transform: 0,
        };
        let quicker = Modulator {
            source: 2,
            destination: Generator::AttackVolEnv as u16,
            amount: -3986,
            amount_source: 0,
            transform: 0,
        };
        // Key (falling) into the vibrato's depth: a line through its ends.
        let key_vibrato = Modulator {
            source: 0x0100 | 3,
            destination: Generator::VibLfoToPitch as u16,
            amount: 127,
            amount_source: 0,
            transform: 0,
        };
        // And velocity softening the filter's resonance (MuseScore's piano).
        let softer = Modulator {
            source: 2,
            destination: Generator::InitialFilterQ as u16,
            amount: -160,
            amount_source: 0,
            transform: 0,
        };
        let modulators = vec![deeper, quicker, key_vibrato, softer];
        let zone = zone_modulation(&region_with(modulators), false);
        assert!(zone.moves_cutoff);
        assert!(zone.slots.contains(&(
            ModSource::ModEnvelope,
            Some(ModSource::Velocity),
            ModTarget::Cutoff,
            2.5
        )));
        // 1.27 semitones × (1 − key/127): 0.67 at C4 (key 60), 0.12 less
        // per octave above.
        let scaled = zone
            .slots
            .iter()
            .find(|s| s.1 == Some(ModSource::Key))
            .expect("a slot scaled by the key");
        assert_eq!((scaled.0, scaled.2), (ModSource::Lfo2, ModTarget::Pitch));
        assert!((scaled.3 + 0.12).abs() < 1e-5, "{scaled:?}");
        assert!(zone
            .slots
            .iter()
            .any(|s| s.1.is_none() && s.2 == ModTarget::Pitch && (s.3 - 0.67).abs() < 1e-5));
        let note = zone.for_note(60, 100);
        let want = -3986.0 * 100.0 / 127.0;
        assert!((note.envelope_timecents[0] - want).abs() < 0.5, "{note:?}");
        assert_eq!(note.envelope_timecents[1..], [0.0, 0.0]);
        assert!((note.filter_q_cb + 160.0 * 100.0 / 127.0).abs() < 0.01);
    }
}
