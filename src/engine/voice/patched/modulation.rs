//! A patched voice's modulation: its per-note state, and the matrix's
//! sources summed into targets (and links) at each control segment (the
//! LFOs are in `lfo.rs`).

use std::sync::Arc;

use super::{ChannelControls, FilterFamily, SEGMENTS};
use crate::dsp::envelope::EnvelopeState;
use crate::dsp::fast;
use crate::dsp::filter::{LadderState, SvfMode, SvfState};
use crate::patch::{
    FilterMode, LfoShape, ModSource, ModTarget, Modulation, Patch, MAX_UNISON, MOD_LINKS, MOD_SLOTS,
};
use crate::Waveform;

/// The per-note state of a patched voice.
#[derive(Debug)]
pub(crate) struct PatchVoice {
    pub(crate) patch: Arc<Patch>,
    pub(crate) velocity: f32,
    pub(crate) key_octaves: f32,
    pub(crate) random: f32,
    pub(crate) channel: u8,
    pub(crate) poly_pressure: f32,
    /// The note's vibrato depth (a note expression), 0 to 1.
    pub(crate) vibrato: f32,
    /// What the note's own modulation adds to each target
    /// (`Event::SetNoteModulation`).
    pub(crate) offsets: Targets,
    pub(crate) phases: [[u32; MAX_UNISON]; 2],
    pub(crate) mod_envelope: EnvelopeState,
    pub(crate) lfo_phase: [f64; 2],
    pub(crate) lfo_held: [f32; 2],
    pub(crate) rng: u32,
    /// Frames since the note started.
    pub(crate) age_frames: u64,
    pub(crate) svf: [SvfState; 2],
    pub(crate) ladder: [LadderState; 2],
    /// The base-2 logarithm of the patch's cutoff in Hz.
    log2_cutoff: f32,
    /// The filter's coefficients where the last block ended.
    pub(crate) g_now: f32,
    pub(crate) k_now: f32,
    /// Gain and pan from the matrix at the start of the block and at the
    /// end of each segment.
    pub(crate) amp_points: [f32; SEGMENTS + 1],
    pub(crate) pan_points: [f32; SEGMENTS + 1],
    /// Sends the matrix adds, as of the end of the last block.
    pub(crate) send_mod: [f32; 3],
    /// How far the matrix moves each LFO's rate, in octaves, as of the
    /// end of the last segment (the next segment runs at it).
    pub(crate) lfo_rate_octaves: [f32; 2],
    /// How long each LFO stays still (the note's own, or its patch's).
    pub(crate) lfo_delays_secs: [f32; 2],
    /// Whether the block's lanes are left and right (unison spread in a
    /// stereo mix) rather than one.
    pub(crate) stereo: bool,
    /// Which LFOs and whether the modulation envelope feed any slot (the
    /// others are not computed at all).
    pub(crate) uses_lfo: [bool; 2],
    /// Whether the LFOs in use run at a steady rate (no slot moves it) and
    /// draw nothing at random, so a block's values can come at once.
    pub(crate) steady_lfos: bool,
    pub(crate) uses_mod_envelope: bool,
    /// The slots whose value moves within a block, and each slot's amount
    /// times its steady part (its steady source or scale), set per block.
    pub(crate) varying: [u8; MOD_SLOTS],
    pub(crate) varying_count: u8,
    /// The other slots with an amount (those `steady_targets` adds up).
    pub(crate) steady: [u8; MOD_SLOTS],
    pub(crate) steady_count: u8,
    pub(crate) varying_amount: [f32; MOD_SLOTS],
    /// Each slot's amount for this note: its patch's, unless the note set
    /// its own ([`Event::SetNoteSlotAmount`](crate::Event::SetNoteSlotAmount)).
    pub(crate) amounts: [f32; MOD_SLOTS],
    /// Whether any slot moves the gain or the pan.
    pub(crate) moves_gain: bool,
    pub(crate) moves_pan: bool,
    /// The slots that run (bit `i` for slot `i`): those with an amount.
    running: u32,
    /// Whether a slot that varies within a block feeds each link (its
    /// readers then vary too).
    link_varies: [bool; MOD_LINKS],
    /// For each varying slot, whether its source (bit 0) and its scale
    /// (bit 1) vary.
    varying_parts: [u8; MOD_SLOTS],
}

const _: () = assert!(MOD_SLOTS <= 32, "PatchVoice::running has a bit per slot");

/// The index of link `n` (a number past the last is the last).
#[inline(always)]
fn link(n: u8) -> usize {
    usize::from(n).min(MOD_LINKS - 1)
}

/// The values of the matrix's targets at one moment.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Targets {
    pub(crate) pitch: f32,
    pub(crate) cutoff: f32,
    pub(crate) resonance: f32,
    pub(crate) amplitude: f32,
    pub(crate) level_db: f32,
    pub(crate) pan: f32,
    pub(crate) pulse_width: f32,
    pub(crate) lfo_rate: [f32; 2],
    pub(crate) sends: [f32; 3],
    /// What the slots so far feed each link.
    pub(crate) links: [f32; MOD_LINKS],
}

impl Targets {
    /// The matrix's gain less 1: its amplitude (never below a gain of 0)
    /// and its level in decibels together.
    #[inline(always)]
    pub(crate) fn gain_offset(&self) -> f32 {
        if self.level_db == 0.0 {
            return self.amplitude;
        }
        // 10^(dB/20) = 2^(dB · log2(10) / 20).
        let db = self.level_db.clamp(-144.0, 24.0);
        (1.0 + self.amplitude).max(0.0) * fast::exp2(db * (std::f32::consts::LOG2_10 / 20.0)) - 1.0
    }

    /// The value at `target`.
    pub(crate) fn slot(&mut self, target: ModTarget) -> &mut f32 {
        match target {
            ModTarget::Pitch => &mut self.pitch,
            ModTarget::Cutoff => &mut self.cutoff,
            ModTarget::Resonance => &mut self.resonance,
            ModTarget::Amplitude => &mut self.amplitude,
            ModTarget::LevelDb => &mut self.level_db,
            ModTarget::Pan => &mut self.pan,
            ModTarget::PulseWidth => &mut self.pulse_width,
            ModTarget::Lfo1Rate => &mut self.lfo_rate[0],
            ModTarget::Lfo2Rate => &mut self.lfo_rate[1],
            ModTarget::ReverbSend => &mut self.sends[0],
            ModTarget::ChorusSend => &mut self.sends[1],
            ModTarget::DelaySend => &mut self.sends[2],
            ModTarget::Link(n) => &mut self.links[link(n)],
        }
    }

    #[inline(always)]
    pub(crate) fn add(&mut self, target: ModTarget, v: f32) {
        match target {
            ModTarget::Pitch => self.pitch += v,
            ModTarget::Cutoff => self.cutoff += v,
            ModTarget::Resonance => self.resonance += v,
            ModTarget::Amplitude => self.amplitude += v,
            ModTarget::LevelDb => self.level_db += v,
            ModTarget::Pan => self.pan += v,
            ModTarget::PulseWidth => self.pulse_width += v,
            ModTarget::Lfo1Rate => self.lfo_rate[0] += v,
            ModTarget::Lfo2Rate => self.lfo_rate[1] += v,
            ModTarget::ReverbSend => self.sends[0] += v,
            ModTarget::ChorusSend => self.sends[1] += v,
            ModTarget::DelaySend => self.sends[2] += v,
            ModTarget::Link(n) => self.links[link(n)] += v,
        }
    }
}

/// Whether a source moves within a block (the others change only at
/// events, which split blocks), `link_varies` saying which links do.
#[inline(always)]
fn is_varying(source: ModSource, link_varies: &[bool; MOD_LINKS]) -> bool {
    match source {
        ModSource::Lfo1 | ModSource::Lfo2 | ModSource::ModEnvelope => true,
        ModSource::Link(n) => link_varies[link(n)],
        _ => false,
    }
}

/// `value`, of a slot's source, through the slot's curve if it has one.
#[inline(always)]
fn curved(m: &Modulation, value: f32) -> f32 {
    match m.curve {
        None => value,
        Some(curve) => curve.at(m.source.place(value)),
    }
}

/// `value`, of a slot's scale, through the slot's scale curve if it has
/// one.
#[inline(always)]
fn curved_scale(m: &Modulation, scale: ModSource, value: f32) -> f32 {
    match m.scale_curve {
        None => value,
        Some(curve) => curve.at(scale.place(value)),
    }
}

/// A note's modulation envelope with its delay and hold, and its LFOs'
/// delays: the note's own when it has them, else its patch's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NoteTimes {
    pub(crate) mod_envelope: crate::AdsrEnvelope,
    pub(crate) mod_delay_hold_secs: (f32, f32),
    pub(crate) lfo_delays_secs: [f32; 2],
}

impl NoteTimes {
    /// The patch's own.
    pub(crate) fn of(patch: &Patch) -> Self {
        NoteTimes {
            mod_envelope: patch.mod_envelope,
            mod_delay_hold_secs: patch.mod_delay_hold_secs,
            lfo_delays_secs: patch.lfos.map(|l| l.delay_secs),
        }
    }

    /// `note`'s own, else `patch`'s.
    pub(crate) fn for_note(note: &crate::Note, patch: &Patch) -> Self {
        let own = NoteTimes::of(patch);
        NoteTimes {
            mod_envelope: note.mod_envelope.unwrap_or(own.mod_envelope),
            mod_delay_hold_secs: note.mod_delay_hold_secs.unwrap_or(own.mod_delay_hold_secs),
            lfo_delays_secs: note.lfo_delays_secs.unwrap_or(own.lfo_delays_secs),
        }
    }
}

impl PatchVoice {
    /// The state for a note of `patch` at `key_octaves` (from middle C),
    /// its modulation envelope and LFOs timed by `times`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        patch: Arc<Patch>,
        times: NoteTimes,
        key_octaves: f32,
        velocity: f32,
        channel: u8,
        seed: u64,
        sample_rate: f32,
        clock_frames: u64,
    ) -> Self {
        let mut rng = (seed ^ seed >> 32) as u32 | 1;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            rng
        };
        let random = next() as f32 / u32::MAX as f32;
        // Copy 0 of each source starts at phase 0, the others anywhere, so
        // a unison does not start as one loud copy.
        let phases =
            std::array::from_fn(|_| std::array::from_fn(|u| if u == 0 { 0 } else { next() }));
        let clock_secs = clock_frames as f64 / f64::from(sample_rate);
        let lfo_phase = std::array::from_fn(|i| {
            let lfo = patch.lfos[i];
            if lfo.free_running {
                fast::fract_f64(f64::from(lfo.rate_hz) * clock_secs)
            } else {
                0.0
            }
        });
        let (delay_secs, hold_secs) = times.mod_delay_hold_secs;
        let mod_envelope = EnvelopeState::with_delay_hold(
            &times.mod_envelope,
            crate::EnvelopeCurve::Linear,
            delay_secs,
            hold_secs,
            sample_rate,
        );
        let mut voice = PatchVoice {
            velocity,
            key_octaves,
            random,
            channel: channel.min(15),
            poly_pressure: 0.0,
            vibrato: 0.0,
            offsets: Targets::default(),
            phases,
            mod_envelope,
            lfo_phase,
            lfo_held: [0.0; 2],
            rng: next(),
            age_frames: 0,
            svf: [SvfState::default(); 2],
            ladder: [LadderState::default(); 2],
            g_now: 0.0,
            k_now: 0.0,
            log2_cutoff: patch.filter.map_or(0.0, |f| f.cutoff_hz.log2()),
            amp_points: [0.0; SEGMENTS + 1],
            pan_points: [0.0; SEGMENTS + 1],
            send_mod: [0.0; 3],
            lfo_rate_octaves: [0.0; 2],
            lfo_delays_secs: times.lfo_delays_secs,
            stereo: false,
            // These five are set by the slots that run (`run_slot`).
            uses_lfo: [false; 2],
            steady_lfos: patch
                .lfos
                .iter()
                .all(|l| l.shape != LfoShape::SampleAndHold),
            uses_mod_envelope: false,
            varying: [0; MOD_SLOTS],
            varying_count: 0,
            steady: [0; MOD_SLOTS],
            steady_count: 0,
            varying_amount: [0.0; MOD_SLOTS],
            amounts: std::array::from_fn(|i| patch.modulation.get(i).map_or(0.0, |m| m.amount)),
            moves_gain: false,
            moves_pan: false,
            running: 0,
            link_varies: [false; MOD_LINKS],
            varying_parts: [0; MOD_SLOTS],
            patch,
        };
        voice.lfo_held = [voice.draw(), voice.draw()];
        for i in 0..voice.patch.modulation.len().min(MOD_SLOTS) {
            if voice.amounts[i] != 0.0 {
                voice.running |= 1 << i;
            }
        }
        voice.list_slots();
        voice
    }

    /// Makes slot `slot` (which has an amount) run (see `list_slots`).
    fn run_slot(&mut self, slot: u8) {
        if self.running & 1 << slot == 0 {
            self.running |= 1 << slot;
            self.list_slots();
        }
    }

    /// Lists the running slots, in the matrix's order, as varying or
    /// steady (a slot reading a link that a varying slot feeds varies too);
    /// what they read is computed and what they move leaves the fast paths.
    fn list_slots(&mut self) {
        self.link_varies = [false; MOD_LINKS];
        (self.varying_count, self.steady_count) = (0, 0);
        for i in 0..self.patch.modulation.len().min(MOD_SLOTS) {
            if self.running & 1 << i == 0 {
                continue;
            }
            let m = self.patch.modulation[i];
            let reads = |s: ModSource| m.source == s || m.scale == Some(s);
            self.uses_lfo[0] |= reads(ModSource::Lfo1);
            self.uses_lfo[1] |= reads(ModSource::Lfo2);
            self.uses_mod_envelope |= reads(ModSource::ModEnvelope);
            self.moved(m.target);
            let source_varies = is_varying(m.source, &self.link_varies);
            let scale_varies = m.scale.is_some_and(|s| is_varying(s, &self.link_varies));
            self.varying_parts[i] = u8::from(source_varies) | u8::from(scale_varies) << 1;
            let (list, count) = if source_varies || scale_varies {
                if let ModTarget::Link(n) = m.target {
                    self.link_varies[link(n)] = true;
                }
                (&mut self.varying, &mut self.varying_count)
            } else {
                (&mut self.steady, &mut self.steady_count)
            };
            list[usize::from(*count)] = i as u8;
            *count += 1;
        }
    }

    /// The state of a voice that has not played a patch yet.
    pub(crate) fn idle(sample_rate: f32) -> Self {
        static DEFAULT: std::sync::OnceLock<Arc<Patch>> = std::sync::OnceLock::new();
        // The process keeps this patch: replacing it never frees it.
        let patch = DEFAULT.get_or_init(|| Arc::new(Patch::new(Waveform::Sine)));
        let times = NoteTimes::of(patch);
        PatchVoice::new(Arc::clone(patch), times, 0.75, 1.0, 0, 0, sample_rate, 0)
    }

    /// Sets the note's own amount for slot `slot` of its patch's matrix
    /// (no such slot, or a non-finite amount: nothing; else clamped to
    /// ±100). A slot the patch left at 0 starts running what it reads.
    pub(crate) fn set_slot_amount(&mut self, slot: u8, amount: f32) {
        let i = usize::from(slot);
        if i >= self.patch.modulation.len() || !amount.is_finite() {
            return;
        }
        let amount = amount.clamp(-100.0, 100.0);
        self.amounts[i] = amount;
        if amount != 0.0 {
            self.run_slot(slot);
        }
    }

    /// `target` moves for this note: a gain, pan or LFO rate that never
    /// moved keeps its fast path until then.
    fn moved(&mut self, target: ModTarget) {
        match target {
            ModTarget::Amplitude | ModTarget::LevelDb => self.moves_gain = true,
            ModTarget::Pan => self.moves_pan = true,
            // The LFOs then advance segment by segment at the moving rate.
            ModTarget::Lfo1Rate | ModTarget::Lfo2Rate => self.steady_lfos = false,
            _ => {}
        }
    }

    /// Sets the note's own modulation of `target` (non-finite amounts are
    /// ignored): from the next block on, the gain and pan follow the matrix
    /// when it moves them.
    pub(crate) fn set_offset(&mut self, target: ModTarget, amount: f32) {
        if !amount.is_finite() {
            return;
        }
        let amount = amount.clamp(-100.0, 100.0);
        *self.offsets.slot(target) = amount;
        if amount != 0.0 {
            self.moved(target);
        }
    }

    pub(crate) fn draw(&mut self) -> f32 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 17;
        self.rng ^= self.rng << 5;
        self.rng as f32 / u32::MAX as f32 * 2.0 - 1.0
    }

    /// The filter family, if the patch has a filter.
    pub(crate) fn family(&self) -> Option<FilterFamily> {
        self.patch.filter.map(|f| match f.mode {
            FilterMode::Lowpass => FilterFamily::Svf(SvfMode::Lowpass),
            FilterMode::Highpass => FilterFamily::Svf(SvfMode::Highpass),
            FilterMode::Bandpass => FilterFamily::Svf(SvfMode::Bandpass),
            FilterMode::Notch => FilterFamily::Svf(SvfMode::Notch),
            FilterMode::Ladder => FilterFamily::Ladder,
        })
    }

    /// The filter's cutoff (as its base-2 logarithm, which the core turns
    /// into `g` for eight lanes at once) and `k` for the targets `t`.
    #[inline(always)]
    pub(crate) fn coefficients(&self, t: &Targets) -> (f32, f32) {
        let Some(f) = self.patch.filter else {
            return (0.0, 0.0);
        };
        let log2_cutoff = self.log2_cutoff + t.cutoff.clamp(-20.0, 20.0);
        let resonance = (f.resonance + t.resonance).clamp(0.0, 1.0);
        let k = match f.mode {
            FilterMode::Ladder => crate::dsp::filter::ladder_feedback(resonance),
            _ => crate::dsp::filter::svf_damping(resonance),
        };
        (log2_cutoff, k)
    }

    /// The value of `source` now (`lfo` and `mod_level` as they are at the
    /// moment evaluated).
    pub(crate) fn source(
        &self,
        source: ModSource,
        lfo: [f32; 2],
        mod_level: f32,
        ch: &ChannelControls,
        links: &[f32; MOD_LINKS],
    ) -> f32 {
        match source {
            ModSource::Velocity => self.velocity,
            ModSource::Key => self.key_octaves,
            ModSource::ModEnvelope => mod_level,
            ModSource::Lfo1 => lfo[0],
            ModSource::Lfo2 => lfo[1],
            ModSource::ModWheel => ch.cc[1],
            ModSource::Pressure => ch.pressure,
            ModSource::PolyPressure => self.poly_pressure,
            ModSource::Vibrato => self.vibrato,
            ModSource::PitchBend => ch.bend,
            ModSource::Controller(n) => ch.cc[usize::from(n.min(127))],
            ModSource::Random => self.random,
            ModSource::Constant => 1.0,
            ModSource::Link(n) => links[link(n)],
        }
    }

    /// What the slots whose source and scale hold still over a block (all
    /// but the LFOs, the modulation envelope and the links they feed) add
    /// to the targets, and to the links, in the matrix's order.
    pub(crate) fn steady_targets(&self, ch: &ChannelControls) -> Targets {
        let mut t = self.offsets;
        for &i in &self.steady[..usize::from(self.steady_count)] {
            let m = &self.patch.modulation[usize::from(i)];
            let value = curved(m, self.source(m.source, [0.0; 2], 0.0, ch, &t.links));
            let v = self.amounts[usize::from(i)] * value * self.steady_scale(m, ch, &t.links);
            t.add(m.target, if m.absolute { v.abs() } else { v });
        }
        t
    }

    /// Sets each varying slot's amount times its steady part for a block
    /// (`steady`: what the steady slots add, links included).
    pub(crate) fn set_varying_amounts(&mut self, ch: &ChannelControls, steady: &Targets) {
        for k in 0..usize::from(self.varying_count) {
            let i = usize::from(self.varying[k]);
            let m = self.patch.modulation[i];
            let mut a = self.amounts[i] * self.steady_scale(&m, ch, &steady.links);
            if self.varying_parts[i] & 1 == 0 {
                a *= curved(&m, self.source(m.source, [0.0; 2], 0.0, ch, &steady.links));
            }
            self.varying_amount[i] = a;
        }
    }

    /// The block's value of a slot's steady scale (1 when it has none or
    /// the scale is itself varying: then `targets` multiplies it in).
    #[inline]
    pub(crate) fn steady_scale(
        &self,
        m: &Modulation,
        ch: &ChannelControls,
        links: &[f32; MOD_LINKS],
    ) -> f32 {
        match m.scale {
            Some(s) if !is_varying(s, &self.link_varies) => {
                curved_scale(m, s, self.source(s, [0.0; 2], 0.0, ch, links))
            }
            _ => 1.0,
        }
    }

    /// `steady` plus what the LFOs and the modulation envelope add now.
    /// (Inlined: returned through memory, the struct's fields would be
    /// stored one by one and read back in pairs, which stalls.)
    #[inline(always)]
    pub(crate) fn targets(&self, steady: &Targets, lfo: [f32; 2], mod_level: f32) -> Targets {
        let mut t = *steady;
        for &i in &self.varying[..usize::from(self.varying_count)] {
            let m = &self.patch.modulation[usize::from(i)];
            let varying = |s: ModSource| match s {
                ModSource::Lfo1 => lfo[0],
                ModSource::Lfo2 => lfo[1],
                ModSource::Link(n) => t.links[link(n)],
                _ => mod_level,
            };
            // The steady half of a slot (its source or its scale) is in
            // `varying_amount`, fixed for the block.
            let (mut v, parts) = (
                self.varying_amount[usize::from(i)],
                self.varying_parts[usize::from(i)],
            );
            if parts & 1 != 0 {
                v *= curved(m, varying(m.source));
            }
            if let Some(s) = m.scale.filter(|_| parts & 2 != 0) {
                v *= curved_scale(m, s, varying(s));
            }
            t.add(m.target, if m.absolute { v.abs() } else { v });
        }
        t
    }
}
