//! A SoundFont ready to play: every preset's regions turned, once, into
//! patches over the font's shared sample data, so that starting a note only
//! picks regions and fills in what depends on the key and velocity.

use std::sync::Arc;

use super::modulators::{zone_modulation, ZoneModulation};
use super::zone_note::{constant_power, SlotAmounts, ZoneNote};
use super::{
    EnvelopeSecs, Generator, LoopMode, Region, SampleHeader, SoundFont, SoundFontError, ZoneSound,
};
use crate::fx::Sends;
use crate::patch::{Filter, Lfo, LfoShape, ModSource, ModTarget, Modulation, Patch, MOD_SLOTS};
use crate::sample::Interpolation;
use crate::{AdsrEnvelope, EnvelopeCurve, Note, SampleData, Waveform};

/// The most regions one note of a [`SoundFontInstrument`] plays at once
/// (a stereo pair is two, a layered sound more); regions past it are left
/// out.
pub const MAX_LAYERS: usize = 8;

/// How much of a zone's `initialAttenuation` applies: 0.4, as EMU's
/// hardware and FluidSynth (the reference renderer) read it, rather than
/// the standard's whole value; fonts are voiced for those players.
const ATTENUATION_SCALE: f32 = 0.4;

/// The frequency a zone's sample plays at its recorded pitch: a note's
/// frequency is this times the playback ratio.
const BASE_HZ: f32 = 440.0;

/// A SoundFont's presets as instruments: [`SoundFontInstrument`]s by bank
/// and program, sharing the font's sample data.
///
/// Building it turns every region into a [`Patch`] (sample, loop, volume
/// envelope falling in decibels, filter, modulation envelope, both LFOs,
/// the default modulators and the font's own as slots of the modulation
/// matrix) and allocates; do it off the audio thread. Notes then start
/// without allocating ([`SoundFontInstrument::notes`]).
///
/// ```no_run
/// use polyphonica::soundfont::SoundFontBank;
/// use polyphonica::RealtimeEngine;
///
/// let bank = SoundFontBank::from_file("/usr/share/sounds/sf2/TimGM6mb.sf2")?;
/// let piano = bank.instrument(0, 0).expect("a General MIDI font has a piano");
/// let mut engine = RealtimeEngine::new(48_000.0);
/// for layer in piano.notes(60, 100) {
///     layer.trigger(&mut engine).unwrap();
/// }
/// # Ok::<(), polyphonica::soundfont::SoundFontError>(())
/// ```
#[derive(Clone, Debug)]
pub struct SoundFontBank {
    /// The font's name.
    pub name: String,
    instruments: Vec<Arc<SoundFontInstrument>>,
}

/// How a [`SoundFontBank`] builds its instruments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BankOptions {
    /// Whether zones have the standard's default modulator from velocity
    /// to filter cutoff (−2400 cents on its concave curve). FluidSynth
    /// leaves it out, and so does the default: fonts are voiced for
    /// FluidSynth, and with it a General MIDI piano at velocity 80 comes
    /// out 6.5 dB duller at 4 kHz than FluidSynth plays it.
    pub velocity_to_filter: bool,
    /// How the zones read their samples between frames:
    /// [`Interpolation::Lagrange`] by default (6 points: cleaner than
    /// FluidSynth's default 4-point interpolation at every transposition
    /// measured, `tests/soundfont_sound.rs`); [`Interpolation::Cubic`] is
    /// FluidSynth's own kernel, a quarter cheaper in a whole render;
    /// [`Interpolation::Sinc`] leaves no audible images, at several times
    /// the cost.
    pub interpolation: Interpolation,
}

impl Default for BankOptions {
    fn default() -> Self {
        BankOptions {
            velocity_to_filter: false,
            interpolation: Interpolation::Lagrange,
        }
    }
}

/// One preset of a font, ready to play: its zones as patches.
#[derive(Debug)]
pub struct SoundFontInstrument {
    /// The preset's name.
    pub name: String,
    /// Its MIDI bank (128: percussion).
    pub bank: u16,
    /// Its MIDI program.
    pub program: u16,
    zones: Vec<Zone>,
}

/// A region with what a note of it needs.
#[derive(Debug)]
struct Zone {
    region: Region,
    header: SampleHeader,
    /// Built at the middle key of the zone's range; each note brings its
    /// own envelopes' times (which the key and velocity can move).
    patch: Arc<Patch>,
    modulation: ZoneModulation,
    /// Where each of `modulation.slots` is in the patch's matrix (`None`:
    /// left out, as a cutoff slot of a zone without a filter is).
    patch_slots: Vec<Option<u8>>,
}

impl SoundFontBank {
    /// Reads a SoundFont file and builds its instruments.
    ///
    /// # Errors
    /// As [`SoundFont::from_file`].
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Self, SoundFontError> {
        Ok(Self::new(&SoundFont::from_file(path)?))
    }

    /// The instruments of a loaded font, played as FluidSynth plays them
    /// ([`BankOptions::default`]). The sample data is shared, not copied.
    pub fn new(font: &SoundFont) -> Self {
        Self::with_options(font, BankOptions::default())
    }

    /// The instruments of a loaded font, built as `options` say.
    ///
    /// ```no_run
    /// use polyphonica::sample::Interpolation;
    /// use polyphonica::soundfont::{BankOptions, SoundFont, SoundFontBank};
    /// let font = SoundFont::from_file("/usr/share/sounds/sf2/TimGM6mb.sf2")?;
    /// let options = BankOptions { interpolation: Interpolation::Sinc, ..BankOptions::default() };
    /// let clean = SoundFontBank::with_options(&font, options);
    /// # Ok::<(), polyphonica::soundfont::SoundFontError>(())
    /// ```
    pub fn with_options(font: &SoundFont, options: BankOptions) -> Self {
        let instruments = font
            .presets()
            .iter()
            .map(|preset| {
                let zones = preset
                    .regions
                    .iter()
                    .filter_map(|region| Zone::new(font, region, options))
                    .collect();
                Arc::new(SoundFontInstrument {
                    name: preset.name.clone(),
                    bank: preset.bank,
                    program: preset.program,
                    zones,
                })
            })
            .collect();
        SoundFontBank {
            name: font.name.clone(),
            instruments,
        }
    }

    /// How many modulators its instruments do not follow
    /// ([`SoundFontInstrument::ignored_modulators`], summed).
    ///
    /// ```no_run
    /// use polyphonica::soundfont::SoundFontBank;
    /// let bank = SoundFontBank::from_file("/usr/share/sounds/sf2/FluidR3_GM.sf2")?;
    /// assert_eq!(bank.ignored_modulators(), 0);
    /// # Ok::<(), polyphonica::soundfont::SoundFontError>(())
    /// ```
    pub fn ignored_modulators(&self) -> usize {
        self.instruments
            .iter()
            .map(|i| i.ignored_modulators())
            .sum()
    }

    /// Every instrument, in the font's order.
    pub fn instruments(&self) -> &[Arc<SoundFontInstrument>] {
        &self.instruments
    }

    /// The instrument at `bank` and `program`, if the font has it.
    pub fn instrument(&self, bank: u16, program: u16) -> Option<&Arc<SoundFontInstrument>> {
        self.instruments
            .iter()
            .find(|i| i.bank == bank && i.program == program)
    }

    /// What a MIDI channel plays for `bank` and `program`, as General MIDI
    /// players choose: the exact preset, else the same program in bank 0
    /// (bank 128, percussion, falls back to its program 0), else the
    /// font's first preset; `None` only for a font without presets.
    pub fn instrument_or_fallback(
        &self,
        bank: u16,
        program: u16,
    ) -> Option<&Arc<SoundFontInstrument>> {
        let fallback = if bank == 128 { (128, 0) } else { (0, program) };
        self.instrument(bank, program)
            .or_else(|| self.instrument(fallback.0, fallback.1))
            .or_else(|| self.instruments.first())
    }
}

impl SoundFontInstrument {
    /// The notes that `key` (0–127) at `velocity` (1–127) plays: one per
    /// region whose ranges hold them, at most [`MAX_LAYERS`]. Each is a
    /// complete [`Note`]: its zone's patch, the pitch from the root key
    /// and tuning, the level from the attenuation and the velocity (the
    /// standard's curve, 40 dB from 127 to 1), the pan and the sends. Play
    /// them on channel `c` with `note.with_channel(c)` for the channel's
    /// controllers to reach them.
    ///
    /// Never allocates (it clones `Arc`s).
    pub fn notes(&self, key: u8, velocity: u8) -> impl Iterator<Item = ZoneNote> + '_ {
        let (key, velocity) = (key.min(127), velocity.clamp(1, 127));
        self.zones
            .iter()
            .filter(move |z| {
                (z.region.keys.0..=z.region.keys.1).contains(&key)
                    && (z.region.velocities.0..=z.region.velocities.1).contains(&velocity)
            })
            .take(MAX_LAYERS)
            .map(move |z| z.note(key, velocity))
    }

    /// How many zones the instrument has.
    pub fn zone_count(&self) -> usize {
        self.zones.len()
    }

    /// How many of its zones' modulators are not followed (each counted
    /// once per zone that has it, with the slots of a zone past the
    /// matrix's [`MOD_SLOTS`]): see the README's SoundFont section for
    /// which. 0 for every preset of the fonts the tests play.
    pub fn ignored_modulators(&self) -> usize {
        self.zones.iter().map(|z| z.modulation.ignored).sum()
    }
}

impl Zone {
    fn new(font: &SoundFont, region: &Region, options: BankOptions) -> Option<Zone> {
        let header = font.sample_headers().get(region.sample)?.clone();
        let middle = ((u16::from(region.keys.0) + u16::from(region.keys.1)) / 2) as u8;
        let sound = region.sound(&header, middle);
        if sound.end <= sound.start {
            return None;
        }
        // The window is the whole sample, so that a note whose modulators
        // move its start or its end can play from or to there.
        let (start, end) = (header.start as usize, header.end as usize);
        let mut sample = SampleData::from_pcm16(font.sample_data(), start..end, header.sample_rate)
            .ok()?
            .with_interpolation(options.interpolation);
        if sound.loop_mode != LoopMode::None {
            let (ls, le) = (
                sound.loop_start as usize - start,
                sound.loop_end as usize - start,
            );
            sample = sample
                .with_loop(ls, le)
                .ok()?
                .with_loop_in_release(sound.loop_mode == LoopMode::Continuous);
        }
        let mut modulation = zone_modulation(region, options.velocity_to_filter);
        let (patch, patch_slots, dropped) = zone_patch(sample, &sound, &modulation);
        modulation.ignored += dropped;
        Some(Zone {
            region: region.clone(),
            header,
            patch: Arc::new(patch),
            modulation,
            patch_slots,
        })
    }

    /// `note` starting, looping and ending where `sound` (the note's) does
    /// in the zone's sample: a note's modulators can move all three. Never
    /// allocates.
    fn place_in_sample(&self, mut note: Note, sound: &ZoneSound) -> Note {
        let window_start = self.header.start;
        note.sample_start_frame = sound.start.saturating_sub(window_start) as usize;
        if sound.end < self.header.end {
            note.sample_end_frame = Some(sound.end.saturating_sub(window_start) as usize);
        }
        if let Waveform::Sample(sample) = &note.waveform {
            let looped = (
                sound.loop_start.saturating_sub(window_start) as usize,
                sound.loop_end.saturating_sub(window_start) as usize,
            );
            let own = sample.loop_frames().is_some_and(|l| l != looped)
                && looped.0 < looped.1
                && looped.1 <= sample.frames();
            if own {
                if let Ok(s) = sample.clone().with_loop(looped.0, looped.1) {
                    note.waveform = Waveform::Sample(s);
                }
            }
        }
        note
    }

    fn note(&self, key: u8, velocity: u8) -> ZoneNote {
        let patch = &self.patch;
        let velocity = match self.region.get(Generator::Velocity) {
            v @ 1..=127 => v as u8,
            _ => velocity,
        };
        let m = self.modulation.for_note(key, velocity);
        let sound = self.region.sound_for_note(&self.header, key, &m.generators);
        // (Kept within 20 octaves of the base, which the engine then keeps
        // below the Nyquist frequency: absurd modulators cannot make it
        // infinite.)
        let cents = 1200.0 * (sound.playback_rate_hz / f64::from(self.header.sample_rate)).log2()
            + f64::from(m.pitch_cents);
        let frequency_hz = BASE_HZ * (cents.clamp(-24_000.0, 24_000.0) / 1200.0).exp2() as f32;
        let (e, me) = (sound.volume_envelope, sound.mod_envelope);
        let sends = Sends {
            reverb: (sound.reverb_send + m.sends.0).clamp(0.0, 1.0),
            chorus: (sound.chorus_send + m.sends.1).clamp(0.0, 1.0),
            delay: 0.0,
        };
        // The zone's attenuation (at 0.4, see ATTENUATION_SCALE) plus the
        // modulators', kept to the standard's 0 to 144 dB as a sum, as
        // FluidSynth does: a zone below 0 (MuseScore's kick drums, −10 dB)
        // makes up for its velocity's attenuation.
        let own_cb = f32::from(self.region.get(Generator::InitialAttenuation));
        let attenuation_cb = (own_cb * ATTENUATION_SCALE + m.attenuation_cb).clamp(0.0, 1440.0);
        let attenuation = 10f32.powf(-attenuation_cb / 200.0);
        let filtered = patch.filter().is_some();
        // The resonance with its modulators (MuseScore's piano softens
        // it with velocity), summed before the standard's 0-96 dB clamp.
        let own_q_cb = f32::from(self.region.get(Generator::InitialFilterQ));
        let q_db = (own_q_cb + m.filter_q_cb).clamp(0.0, 960.0) / 10.0;
        let (resonance_gain, resonance) = if filtered {
            (
                resonance_gain(q_db),
                q_to_resonance(q_db) - q_to_resonance(sound.filter_q_db),
            )
        } else {
            (1.0, 0.0)
        };
        let level = attenuation * resonance_gain;
        let pan = (sound.pan + m.pan).clamp(-1.0, 1.0);
        let (engine_pan, pan_gain) = constant_power(pan);
        let note = Note {
            envelope: adsr(&e),
            delay_hold_secs: Some(delay_hold(&e)),
            mod_envelope: Some(adsr(&me)),
            mod_delay_hold_secs: Some(delay_hold(&me)),
            lfo_delays_secs: Some([sound.mod_lfo.delay_secs, sound.vibrato_lfo.delay_secs]),
            amplitude: (level * pan_gain).min(1.0),
            pan: engine_pan,
            velocity: f32::from(velocity) / 127.0,
            midi_key: Some(key),
            sends,
            ..Note::from_patch(patch, frequency_hz)
        };
        let note = self.place_in_sample(note, &sound);
        let mut slot_amounts = SlotAmounts::default();
        for (zone_slot, amount) in self.modulation.scaled_slots(key, velocity) {
            if let Some(&Some(slot)) = self.patch_slots.get(zone_slot) {
                let target = patch.modulation()[usize::from(slot)].target;
                let amount = resonance_from_cb(target, amount, sound.filter_q_db);
                slot_amounts.push(slot, amount);
            }
        }
        ZoneNote {
            note,
            slot_amounts,
            lfo_rate_octaves: m.lfo_rate_cents.map(|c| c / 1200.0),
            exclusive_class: sound.exclusive_class,
            cutoff_octaves: if filtered {
                m.cutoff_cents / 1200.0
            } else {
                0.0
            },
            resonance,
            pan,
            level,
        }
    }
}

/// A zone as a patch, with its envelopes as `sound` (made at one key) has
/// them (a note brings its own: [`Zone::note`]), where each of the zone's
/// modulation slots (`m.slots`) went in its matrix, and how many found no
/// room there.
fn zone_patch(
    sample: SampleData,
    sound: &ZoneSound,
    m: &ZoneModulation,
) -> (Patch, Vec<Option<u8>>, usize) {
    let (e, me) = (sound.volume_envelope, sound.mod_envelope);
    let ((delay, hold), (mod_delay, mod_hold)) = (delay_hold(&e), delay_hold(&me));
    let mut patch = Patch::new(Waveform::Sample(sample))
        .with_envelope(adsr(&e))
        .with_envelope_curve(EnvelopeCurve::Decibels)
        .with_delay_hold(delay, hold)
        .with_mod_envelope(adsr(&me))
        .with_mod_delay_hold(mod_delay, mod_hold)
        .with_lfo(
            1,
            Lfo::new(LfoShape::Triangle, sound.mod_lfo.frequency_hz)
                .with_delay(sound.mod_lfo.delay_secs, 0.0),
        )
        .with_lfo(
            2,
            Lfo::new(LfoShape::Triangle, sound.vibrato_lfo.frequency_hz)
                .with_delay(sound.vibrato_lfo.delay_secs, 0.0),
        )
        .with_velocity_to_gain(0.0);
    let filtered = sound.filter_cutoff_hz.is_some() || m.moves_cutoff;
    if filtered {
        let cutoff_hz = sound.filter_cutoff_hz.unwrap_or(19_912.0);
        patch = patch.with_filter(Filter::lowpass(
            cutoff_hz,
            q_to_resonance(sound.filter_q_db),
        ));
    }
    // Each slot, and its index in the zone's own (`m.slots`), if it is one.
    let mut slots: Vec<(Modulation, Option<usize>)> = Vec::new();
    let mut push = |slot: Modulation, zones: Option<usize>| {
        if slot.amount != 0.0 {
            slots.push((slot, zones));
        }
    };
    let depths = [
        (
            ModSource::Lfo1,
            ModTarget::Pitch,
            sound.mod_lfo_to_pitch_cents / 100.0,
        ),
        (
            ModSource::Lfo2,
            ModTarget::Pitch,
            sound.vibrato_lfo_to_pitch_cents / 100.0,
        ),
        (
            ModSource::ModEnvelope,
            ModTarget::Pitch,
            sound.mod_env_to_pitch_cents / 100.0,
        ),
        (
            ModSource::Lfo1,
            ModTarget::Cutoff,
            sound.mod_lfo_to_cutoff_cents / 1200.0,
        ),
        (
            ModSource::ModEnvelope,
            ModTarget::Cutoff,
            sound.mod_env_to_cutoff_cents / 1200.0,
        ),
    ];
    for (source, target, amount) in depths {
        if filtered || target != ModTarget::Cutoff {
            push(Modulation::new(source, target, amount), None);
        }
    }
    // The tremolo: the level `mod_lfo_to_volume_db` up at the LFO's top
    // and as far down at its bottom (the standard's sign, and FluidSynth's).
    let tremolo = sound.mod_lfo_to_volume_db;
    push(
        Modulation::new(ModSource::Lfo1, ModTarget::LevelDb, tremolo),
        None,
    );
    for (i, &slot) in m.slots.iter().enumerate() {
        let filters = matches!(slot.target, ModTarget::Cutoff | ModTarget::Resonance);
        if filtered || !filters {
            let amount = resonance_from_cb(slot.target, slot.amount, sound.filter_q_db);
            push(Modulation { amount, ..slot }, Some(i));
        }
    }
    let mut patch_slots = vec![None; m.slots.len()];
    let dropped = slots.len().saturating_sub(MOD_SLOTS);
    for (index, (slot, zones)) in slots.into_iter().take(MOD_SLOTS).enumerate() {
        patch = patch
            .with_slot(slot)
            .expect("at most MOD_SLOTS slots, each link fed before it is read");
        if let Some(i) = zones {
            patch_slots[i] = Some(index as u8);
        }
    }
    (patch, patch_slots, dropped)
}

/// A SoundFont envelope's attack, decay, sustain and release.
fn adsr(e: &EnvelopeSecs) -> AdsrEnvelope {
    AdsrEnvelope::new(e.attack_secs, e.decay_secs, e.sustain, e.release_secs)
}

/// A SoundFont envelope's delay and hold, each 0 below 2 ms.
fn delay_hold(e: &EnvelopeSecs) -> (f32, f32) {
    (at_least_2_ms(e.delay_secs), at_least_2_ms(e.hold_secs))
}

/// `secs`, or 0 below 2 ms: the standard's default delay and hold
/// (−12000 timecents, about 1 ms) mean none, and a note released in a
/// delay never sounds.
fn at_least_2_ms(secs: f32) -> f32 {
    if secs < 0.002 {
        0.0
    } else {
        secs
    }
}

/// A slot's amount for `target`: as it is, but for the resonance, whose
/// modulators move the resonance peak (`amount`, in centibels) from the
/// zone's (`q_db`): the change of the filter's resonance that makes, so
/// that the slot is exact at full modulation.
fn resonance_from_cb(target: ModTarget, amount: f32, q_db: f32) -> f32 {
    if target != ModTarget::Resonance {
        return amount;
    }
    let moved = (q_db + amount / 10.0).clamp(0.0, 96.0);
    q_to_resonance(moved) - q_to_resonance(q_db)
}

/// The gain a zone's resonant filter costs it: half the height of the
/// resonance peak, as the standard asks (SoundFont 2.01, section 8.1.3:
/// a 10 dB peak takes 5 dB off), so a resonant zone sounds about as loud
/// as a plain one. FluidSynth does the same; without it FluidR3's sitar
/// and hi-hats (10 dB peaks) came out 4 to 5 dB loud against its renders.
fn resonance_gain(q_db: f32) -> f32 {
    10f32.powf(-q_db.clamp(0.0, 96.0) / 40.0)
}

/// The resonance (0 to 1) of the state-variable filter whose peak is
/// `q_db` above the passband, as the standard's `initialFilterQ` gives it
/// (0 dB: the flat Butterworth response).
fn q_to_resonance(q_db: f32) -> f32 {
    // The peak of a lowpass of quality Q is about Q; 0 dB is Q = 1/√2.
    let q = 10f32
        .powf((q_db - 3.01) / 20.0)
        .max(std::f32::consts::FRAC_1_SQRT_2);
    (1.0 - 1.0 / (std::f32::consts::SQRT_2 * q)).clamp(0.0, 0.99)
}
