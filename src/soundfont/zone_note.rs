//! One note of one zone, ready to start ([`ZoneNote`]), and the pan law
//! SoundFont players place zones with ([`constant_power`]).

use crate::patch::{ModTarget, MOD_SLOTS};
use crate::{Event, EventTarget, Note, VoiceId};

/// One note of one zone: the [`Note`] to trigger and the exclusive class
/// of its zone (notes of the same non-zero class on a channel cut each
/// other off, as an open and a closed hi-hat do).
#[derive(Clone, Debug)]
pub struct ZoneNote {
    /// The note, at the zone's pitch, level, pan, envelope and sends.
    pub note: Note,
    /// The zone's exclusive class (0: none).
    pub exclusive_class: u16,
    /// How far the note's velocity and key move its filter's cutoff, in
    /// octaves: [`ZoneNote::trigger`] sends it as the note's own
    /// modulation ([`Event::SetNoteModulation`](crate::Event::SetNoteModulation)).
    pub cutoff_octaves: f32,
    /// How far the note's velocity and key move its filter's resonance
    /// (0 to 1 scale, added to the zone's), sent as `cutoff_octaves` is.
    pub resonance: f32,
    /// The zone's pan (−1 to 1) and level before the pan law: `note` has
    /// them through [`constant_power`], for a player that adds its own pan
    /// (a MIDI channel's) first.
    pub pan: f32,
    /// See `pan`.
    pub level: f32,
    /// The note's own amounts for slots of its patch's matrix, and its
    /// LFOs' rates (octaves off the zone's), sent as `cutoff_octaves` is.
    pub(super) slot_amounts: SlotAmounts,
    pub(super) lfo_rate_octaves: [f32; 2],
}

/// A note's own amounts for slots of its patch's matrix, without
/// allocating.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct SlotAmounts {
    slots: [(u8, f32); MOD_SLOTS],
    count: usize,
}

impl SlotAmounts {
    pub(super) fn push(&mut self, slot: u8, amount: f32) {
        if let Some(free) = self.slots.get_mut(self.count) {
            *free = (slot, amount);
            self.count += 1;
        }
    }
}

/// The engine's pan and a gain that together place a voice as a SoundFont
/// player's constant-power law does (FluidSynth's: the sides at cos and
/// sin of (pan + 1)·π/4, the centre 3 dB down on each), relative to a
/// centred voice: the engine's own law (`pan_gains`) keeps the centre at
/// full level on both sides, so a hard-panned zone gets 3 dB more.
///
/// ```
/// use polyphonica::soundfont::constant_power;
/// let (pan, gain) = constant_power(0.0);
/// assert!(pan == 0.0 && (gain - 1.0).abs() < 1e-6);
/// let (pan, gain) = constant_power(-1.0);
/// assert_eq!(pan, -1.0);
/// assert!((gain - std::f32::consts::SQRT_2).abs() < 1e-6);
/// ```
pub fn constant_power(pan: f32) -> (f32, f32) {
    let pan = if pan.is_nan() {
        0.0
    } else {
        pan.clamp(-1.0, 1.0)
    };
    let theta = (pan + 1.0) * std::f32::consts::FRAC_PI_4;
    let (left, right) = (theta.cos(), theta.sin());
    let gain = std::f32::consts::SQRT_2 * left.max(right);
    let engine_pan = if pan < 0.0 {
        right / left - 1.0
    } else if pan > 0.0 {
        1.0 - left / right
    } else {
        0.0
    };
    (engine_pan.clamp(-1.0, 1.0), gain)
}

impl ZoneNote {
    /// Starts the note on `target`, with its cutoff offset.
    ///
    /// # Errors
    /// The target's, when it refuses a command.
    pub fn trigger<T: EventTarget>(self, target: &mut T) -> Result<VoiceId, T::Error> {
        let ZoneNote {
            note,
            cutoff_octaves,
            resonance,
            slot_amounts,
            lfo_rate_octaves,
            ..
        } = self;
        let id = target.trigger(note)?;
        let offsets = [
            cutoff_octaves,
            resonance,
            lfo_rate_octaves[0],
            lfo_rate_octaves[1],
        ];
        for event in completion(id, offsets, &slot_amounts) {
            target.send(event)?;
        }
        Ok(id)
    }

    /// What completes the note once it plays as `id`: its own cutoff and
    /// resonance offsets and slot amounts, as events
    /// ([`ZoneNote::trigger`] sends them; a player that starts notes
    /// itself sends them after the note, at the same frame).
    pub fn events(&self, id: VoiceId) -> impl Iterator<Item = Event> + '_ {
        let [lfo1, lfo2] = self.lfo_rate_octaves;
        let offsets = [self.cutoff_octaves, self.resonance, lfo1, lfo2];
        completion(id, offsets, &self.slot_amounts)
    }

    /// The note's own amounts for slots of its patch's matrix (slot,
    /// amount): its velocity or key scaling a modulator of the zone.
    pub fn slot_amounts(&self) -> &[(u8, f32)] {
        &self.slot_amounts.slots[..self.slot_amounts.count]
    }
}

/// The events that complete a zone's note playing as `id` (see
/// [`ZoneNote::events`]).
/// `offsets` are the note's own cutoff, resonance and LFO rates.
fn completion(
    id: VoiceId,
    offsets: [f32; 4],
    slot_amounts: &SlotAmounts,
) -> impl Iterator<Item = Event> + '_ {
    let targets = [
        ModTarget::Cutoff,
        ModTarget::Resonance,
        ModTarget::Lfo1Rate,
        ModTarget::Lfo2Rate,
    ];
    let offsets = targets
        .into_iter()
        .zip(offsets)
        .filter(|&(_, amount)| amount != 0.0)
        .map(move |(target, amount)| Event::SetNoteModulation { id, target, amount });
    let slots = slot_amounts.slots[..slot_amounts.count]
        .iter()
        .map(move |&(slot, amount)| Event::SetNoteSlotAmount { id, slot, amount });
    offsets.chain(slots)
}
