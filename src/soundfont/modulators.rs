//! A zone's modulators (the standard's defaults, section 8.4, merged with
//! the font's own, section 9.5): those a note's velocity and key drive are
//! evaluated when the note starts, with their curves; those a controller,
//! the pressure or the pitch wheel drive become slots of the patch's
//! modulation matrix, reading their source through its curve
//! ([`ModCurve`]), as do velocity and key modulators of how deep an LFO or
//! the modulation envelope reaches. Where a note's velocity or key scales
//! a slot's modulator (its amount source, or its source when a controller
//! is the amount source), each note brings its own amount for the slot.
//! A modulator of more factors than a slot has (two controllers on how
//! deep an LFO reaches: the LFO, the controller, the amount's controller)
//! puts the product of two of them in a link of the matrix
//! ([`ModTarget::Link`]) for its slot to read. Linked modulators
//! (SoundFont 2.04's modulators feeding modulators) are in [`super::linked`].
//! Not followed (each counted in [`ZoneModulation::ignored`]): modulators
//! of generators that are not to be modulated (ranges, the sample, its
//! mode, the exclusive class, the root key), a controller on what a note
//! only reads as it starts (its envelopes' times, its sample's start),
//! sources the standard does not define, and what needs more links than a
//! patch has ([`MOD_LINKS`](crate::patch::MOD_LINKS)). A modulator whose
//! source is "no controller" counts it as 1, as the standard says.
//! Attenuations and the modulation LFO's volume swing move the level in
//! decibels ([`ModTarget::LevelDb`]), exactly; a resonance driven by a
//! controller is exact at the curve's ends and linear in the filter's
//! resonance between them.
//!
//! What the channel does itself is left out: volume and expression (CC7,
//! CC11), pan (CC10), the reverb and chorus sends (CC91, CC93) and the
//! pitch wheel with its range are the MIDI layer's (`MidiSynth`), as a
//! General MIDI channel has them.

use super::operator::{amount_source, Source};
use super::sound::GeneratorOffsets;
use super::{Generator, Modulator, Region};
use crate::patch::{ModCurve, ModSource, ModTarget, Modulation, MOD_LINKS};

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

/// A zone's modulators, sorted by what drives them.
#[derive(Clone, Debug, Default)]
pub(super) struct ZoneModulation {
    /// Driven by the note's velocity and key: evaluated at note-on.
    per_note: Vec<Modulator>,
    /// Driven by controllers, pressure or the pitch wheel, and the
    /// velocity and key modulators of modulation depths.
    pub(super) slots: Vec<Modulation>,
    /// The slots whose amount the note's velocity or key scales (their
    /// modulator has both a note's source and a controller, or a depth to
    /// move): each note brings its own amount for them.
    note_scaled: Vec<NoteScaled>,
    /// How many of the zone's modulators are not followed.
    pub(super) ignored: usize,
    /// Whether a slot moves the filter's cutoff (the zone then has a filter
    /// even when its own cutoff is wide open).
    pub(super) moves_cutoff: bool,
    /// How many of the matrix's links the slots use.
    pub(super) links_used: u8,
    /// The zone's linked modulators (each link naming an index among
    /// them), and those that feed a generator from a note's velocity and
    /// key alone: evaluated at note-on.
    pub(super) list: Vec<Modulator>,
    pub(super) per_note_roots: Vec<usize>,
}

/// A slot of [`ZoneModulation::slots`] whose amount a note's velocity or
/// key scales.
#[derive(Clone, Copy, Debug)]
struct NoteScaled {
    /// Its index in `slots`.
    slot: usize,
    /// The modulator's destination and amount, and the note's source that
    /// scales it.
    destination: u16,
    amount: f32,
    by: Source,
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
    /// Everything else (both envelopes' times, sustains and key
    /// scalings, the sample's start and loop, the scale tuning), added to
    /// the zone's generators.
    pub(super) generators: GeneratorOffsets,
    /// The filter's resonance peak, in centibels (added).
    pub(super) filter_q_cb: f32,
    /// The modulation LFO's and the vibrato LFO's rates, in cents.
    pub(super) lfo_rate_cents: [f32; 2],
}

/// The modulators of `region`: the defaults, the instrument's (each
/// replacing a default of its kind) and the preset's (added).
pub(super) fn zone_modulation(region: &Region, velocity_to_filter: bool) -> ZoneModulation {
    let mut list: Vec<Modulator> = DEFAULTS.to_vec();
    if velocity_to_filter {
        list.push(VELOCITY_TO_FILTER);
    }
    // Where each of the instrument's and the preset's modulators lands in
    // `list`, for the links between them.
    let mut instrument_at = Vec::with_capacity(region.instrument_modulators.len());
    for m in &region.instrument_modulators {
        match list.iter().position(|d| !m.is_linked() && d.same_kind(m)) {
            Some(d) => {
                list[d] = *m;
                instrument_at.push(d);
            }
            None => {
                instrument_at.push(list.len());
                list.push(*m);
            }
        }
    }
    let preset_from = list.len();
    list.extend(region.preset_modulators.iter().copied());
    let preset_count = region.preset_modulators.len();
    // The links, from indices in the zone's own list to indices in `list`.
    for (i, m) in list.iter_mut().enumerate() {
        if let Some(k) = m.feeds() {
            let to = if i < preset_from {
                instrument_at.get(k).copied()
            } else {
                (k < preset_count).then_some(preset_from + k)
            };
            *m = m.feeding(to);
        }
    }
    let mut zone = ZoneModulation::default();
    for m in &list {
        if m.is_linked() || m.amount == 0 || channel_handles(m) {
            continue;
        }
        if !zone.add(m) {
            zone.ignored += 1;
        }
    }
    zone.add_linked(&list);
    zone
}

impl ZoneModulation {
    /// Sorts `m` in: evaluated per note or a slot; `false` if it is not
    /// followed (see the module docs).
    fn add(&mut self, m: &Modulator) -> bool {
        let primary = Source::decode(m.source);
        let Some(amount_source) = amount_source(m) else {
            return false; // An amount source this module cannot follow.
        };
        let depth = is_depth(m.destination);
        let note_only =
            |p: Source, a: Option<Source>| p.per_note() && a.is_none_or(|a| a.per_note());
        match (primary, amount_source) {
            (Some(p), a) if note_only(p, a) && !depth => {
                self.per_note.push(*m);
                follows_per_note(m.destination)
            }
            (Some(p), None) => self.add_slot(m, p, None),
            (Some(p), Some(a)) if a.per_note() => self.add_slot(m, p, Some(a)),
            (Some(p), Some(a)) if p.per_note() => self.add_slot(m, a, Some(p)),
            // Two controllers: the second scales the slot, through its
            // curve (on a depth, with the LFO or envelope a third factor).
            (Some(p), Some(a)) => (|| {
                let source = (p.mod_source()?, p.curve);
                self.product(m, source, Some((a.mod_source()?, a.curve)))
            })()
            .is_some(),
            _ => false,
        }
    }

    /// Adds `m` as what reads `source` through its curve, times `scale`
    /// through its if there is one: one slot, or two when the destination
    /// brings a factor of its own (an LFO's or the modulation envelope's
    /// depth), the first putting `source × scale` in a link that the
    /// second reads. `None` (and nothing added) if the engine has no such
    /// target or no link is left.
    pub(super) fn product(
        &mut self,
        m: &Modulator,
        source: (ModSource, ModCurve),
        scale: Option<(ModSource, ModCurve)>,
    ) -> Option<()> {
        let amount = f32::from(m.amount);
        let slot = slot_for(source.0, m.destination, amount)?;
        let Some((scale, scale_curve)) = scale else {
            self.push(with_curve(slot, source.1), m);
            return Some(());
        };
        let scaled = |slot: Modulation| {
            let slot = with_curve(slot, source.1).with_scale(scale);
            if scale_curve.is_identity_for(scale) {
                slot
            } else {
                slot.with_scale_curve(scale_curve)
            }
        };
        if slot.scale.is_none() {
            self.push(scaled(slot), m);
        } else {
            let link = self.new_link()?;
            let into = Modulation::new(source.0, ModTarget::Link(link), 1.0);
            self.slots.push(scaled(into));
            self.push(slot_for(ModSource::Link(link), m.destination, amount)?, m);
        }
        Some(())
    }

    /// A link of the matrix no slot uses yet, if one is left.
    pub(super) fn new_link(&mut self) -> Option<u8> {
        let link = self.links_used;
        (usize::from(link) < MOD_LINKS).then(|| {
            self.links_used += 1;
            link
        })
    }

    /// Adds `m` as a matrix slot that reads `source` through its curve,
    /// its amount scaled note by note by `by` (the note's velocity or key)
    /// if there is one (see the module docs for what is exact).
    fn add_slot(&mut self, m: &Modulator, source: Source, by: Option<Source>) -> bool {
        let Some(s) = source.mod_source() else {
            return false;
        };
        let amount = f32::from(m.amount);
        if let Some(slot) = slot_for(s, m.destination, amount) {
            // ("No controller" is 1, for every note.)
            if let Some(by) = by.filter(|b| !b.is_none()) {
                self.note_scaled.push(NoteScaled {
                    slot: self.slots.len(),
                    destination: m.destination,
                    amount,
                    by,
                });
            }
            self.push(with_curve(slot, source.curve), m);
            return true;
        }
        false
    }

    /// Each note-scaled slot (its index in `slots`) and its amount for a
    /// note of `key` at `velocity`.
    pub(super) fn scaled_slots(
        &self,
        key: u8,
        velocity: u8,
    ) -> impl Iterator<Item = (usize, f32)> + '_ {
        self.note_scaled.iter().filter_map(move |n| {
            let source = self.slots[n.slot].source;
            let amount = n.amount * n.by.value(key, velocity);
            Some((n.slot, slot_for(source, n.destination, amount)?.amount))
        })
    }

    /// Adds the slot of `m`, adding the absolute value of what it would
    /// if `m` asks for it (its transform 2).
    pub(super) fn push(&mut self, slot: Modulation, m: &Modulator) {
        let slot = if m.transform == 2 {
            slot.absolute()
        } else {
            slot
        };
        if slot.target == ModTarget::Cutoff {
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
            out.add(m.destination, if m.transform == 2 { y.abs() } else { y });
        }
        for &root in &self.per_note_roots {
            let y = super::linked::output(&self.list, root, key, velocity);
            out.add(self.list[root].destination, y);
        }
        out
    }
}

impl NoteModulation {
    /// Adds `y`, in the units of the generator `destination`, to it.
    fn add(&mut self, destination: u16, y: f32) {
        match destination {
            d if d == Generator::FineTune as u16 => self.pitch_cents += y,
            d if d == Generator::CoarseTune as u16 => self.pitch_cents += 100.0 * y,
            d if d == Generator::InitialFilterFc as u16 => self.cutoff_cents += y,
            d if d == Generator::InitialFilterQ as u16 => self.filter_q_cb += y,
            d if d == Generator::InitialAttenuation as u16 => self.attenuation_cb += y,
            d if d == Generator::Pan as u16 => self.pan += y / 500.0,
            d if d == Generator::ReverbEffectsSend as u16 => self.sends.0 += y / 1000.0,
            d if d == Generator::ChorusEffectsSend as u16 => self.sends.1 += y / 1000.0,
            d if d == Generator::FreqModLfo as u16 => self.lfo_rate_cents[0] += y,
            d if d == Generator::FreqVibLfo as u16 => self.lfo_rate_cents[1] += y,
            d => self.generators.add(d, y),
        }
    }
}

/// The slot that moves the target of the generator `destination` by
/// `amount` (in the generator's units) per unit of `source`, if the
/// engine has that target.
pub(super) fn slot_for(source: ModSource, destination: u16, amount: f32) -> Option<Modulation> {
    let slot = |target, scale: f32| Some(Modulation::new(source, target, amount * scale));
    match destination {
        d if d == Generator::FineTune as u16 => slot(ModTarget::Pitch, 0.01),
        d if d == Generator::CoarseTune as u16 => slot(ModTarget::Pitch, 1.0),
        d if d == Generator::InitialFilterFc as u16 => slot(ModTarget::Cutoff, 1.0 / 1200.0),
        // In centibels of resonance peak here: the zone turns them into the
        // filter's resonance about its own (`resonance_from_cb`).
        d if d == Generator::InitialFilterQ as u16 => slot(ModTarget::Resonance, 1.0),
        d if d == Generator::Pan as u16 => slot(ModTarget::Pan, 1.0 / 500.0),
        d if d == Generator::ReverbEffectsSend as u16 => slot(ModTarget::ReverbSend, 0.001),
        d if d == Generator::ChorusEffectsSend as u16 => slot(ModTarget::ChorusSend, 0.001),
        d if d == Generator::FreqModLfo as u16 => slot(ModTarget::Lfo1Rate, 1.0 / 1200.0),
        d if d == Generator::FreqVibLfo as u16 => slot(ModTarget::Lfo2Rate, 1.0 / 1200.0),
        // Centibels of attenuation, as decibels of level.
        d if d == Generator::InitialAttenuation as u16 => slot(ModTarget::LevelDb, -0.1),
        // Centibels of swing at the LFO's top (up, when positive), as
        // the zone's own depth.
        d if d == Generator::ModLfoToVolume as u16 => {
            let slot = Modulation::new(source, ModTarget::LevelDb, amount / 10.0);
            Some(slot.with_scale(ModSource::Lfo1))
        }
        // How deep an LFO or the modulation envelope reaches: the source
        // scales the LFO's or envelope's slot.
        d => depth_of(d).map(|(by, target, scale)| {
            Modulation::new(source, target, amount * scale).with_scale(by)
        }),
    }
}

/// `slot` reading its source through `curve`, unless the curve reads it
/// as it is (a rising line of the source's polarity: most controllers'),
/// which the engine then need not evaluate.
pub(super) fn with_curve(slot: Modulation, curve: ModCurve) -> Modulation {
    if curve.is_identity_for(slot.source) {
        slot
    } else {
        slot.with_curve(curve)
    }
}

/// Whether a note's velocity and key modulators of `destination` are
/// followed: what the note starts with, and the generators
/// [`Region::sound_for_note`] reads that the note plays (its envelopes and
/// LFO delays, its sample's start, loop and end, its tuning).
pub(super) fn follows_per_note(destination: u16) -> bool {
    use Generator as G;
    let followed = [
        G::StartAddrsOffset,
        G::EndAddrsOffset,
        G::EndAddrsCoarseOffset,
        G::DelayModLfo,
        G::DelayVibLfo,
        G::StartloopAddrsOffset,
        G::EndloopAddrsOffset,
        G::StartAddrsCoarseOffset,
        G::StartloopAddrsCoarseOffset,
        G::EndloopAddrsCoarseOffset,
        G::InitialFilterFc,
        G::InitialFilterQ,
        G::ChorusEffectsSend,
        G::ReverbEffectsSend,
        G::Pan,
        G::FreqModLfo,
        G::FreqVibLfo,
        G::InitialAttenuation,
        G::CoarseTune,
        G::FineTune,
        G::ScaleTuning,
    ];
    let envelopes = G::DelayModEnv as u16..=G::KeynumToVolEnvDecay as u16;
    envelopes.contains(&destination) || followed.iter().any(|&g| g as u16 == destination)
}

/// Whether `destination` is how deep an LFO or the modulation envelope
/// reaches (a slot's amount, not something the note starts with).
pub(super) fn is_depth(destination: u16) -> bool {
    depth_of(destination).is_some() || destination == Generator::ModLfoToVolume as u16
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::CurveShape;

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
        // The wheel and the pressure deepen the vibrato by 50 cents (read
        // as they are: their curve is a rising line).
        for by in [ModSource::ModWheel, ModSource::Pressure] {
            let slot = Modulation::new(by, ModTarget::Pitch, 0.5).with_scale(ModSource::Lfo2);
            assert!(zone.slots.contains(&slot), "{:?}", zone.slots);
        }
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
        let cc74 = Modulation::new(ModSource::Controller(74), ModTarget::Cutoff, 2.0);
        assert!(zone.slots.contains(&cc74));
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
        let linear = ModCurve::new(CurveShape::Linear);
        let deeper = Modulation::new(ModSource::Velocity, ModTarget::Cutoff, 2.5)
            .with_scale(ModSource::ModEnvelope);
        assert!(zone.slots.contains(&deeper), "{:?}", zone.slots);
        // 1.27 semitones × (1 − key/127), the key read through a falling
        // line.
        let key_vibrato = Modulation::new(ModSource::Key, ModTarget::Pitch, 1.27)
            .with_scale(ModSource::Lfo2)
            .with_curve(linear.falling());
        assert!(zone.slots.contains(&key_vibrato), "{:?}", zone.slots);
        let note = zone.for_note(60, 100);
        let want = -3986.0 * 100.0 / 127.0;
        let attack = note.generators.of(Generator::AttackVolEnv);
        assert!((attack as f32 - want).abs() <= 0.5, "{note:?}");
        assert_eq!(note.generators.of(Generator::DecayVolEnv), 0);
        assert_eq!(note.generators.of(Generator::ReleaseVolEnv), 0);
        assert!((note.filter_q_cb + 160.0 * 100.0 / 127.0).abs() < 0.01);
    }
}
