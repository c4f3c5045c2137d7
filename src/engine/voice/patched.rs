//! The audio side of a patched voice: modulation at the control rate,
//! sources and unison into the filter's lanes, then gain and pan into the
//! mix once the core has run the filters of a batch of voices together.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::render::render_sample;
use super::{SlotState, Voice};
use crate::dsp::envelope::EnvelopeState;
use crate::dsp::fast;
use crate::dsp::filter::{prewarp, LadderState, SvfMode, SvfState, CONTROL_FRAMES, LANES};
use crate::dsp::mix::{AddMono, AddStereo, Sink};
use crate::dsp::pan::pan_gains;
use crate::dsp::wavetable::{phase_increment, Shape, Wavetables};
use crate::engine::waveform::clamp_duty_cycle;
use crate::engine::MAX_BLOCK_FRAMES;
use crate::patch::{FilterMode, Lfo, LfoShape, ModSource, ModTarget, Patch, MAX_UNISON, MOD_SLOTS};
use crate::Waveform;

/// Control segments in the longest block.
pub(crate) const SEGMENTS: usize = MAX_BLOCK_FRAMES / CONTROL_FRAMES;

/// A MIDI-style channel's controllers, as modulation sources.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ChannelControls {
    /// Each controller, 0 to 1.
    pub(crate) cc: [f32; 128],
    /// Channel pressure, 0 to 1.
    pub(crate) pressure: f32,
    /// Pitch bend, −1 to 1.
    pub(crate) bend: f32,
}

impl Default for ChannelControls {
    fn default() -> Self {
        let mut cc = [0.0; 128];
        cc[7] = 100.0 / 127.0; // volume
        cc[10] = 0.5; // pan
        cc[11] = 1.0; // expression
        ChannelControls {
            cc,
            pressure: 0.0,
            bend: 0.0,
        }
    }
}

/// What a patched voice's block needs from the core.
pub(crate) struct PatchContext<'a> {
    pub(crate) sample_rate: f32,
    pub(crate) tables: &'static Wavetables,
    pub(crate) channels: &'a [ChannelControls; 16],
}

/// The filter family of a patched voice (voices of one family share a
/// batch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FilterFamily {
    Svf(SvfMode),
    Ladder,
}

/// One buffer per filter lane, then two for a voice without a filter
/// (`LANES` and `LANES + 1`).
pub(crate) type Lanes = [[f32; MAX_BLOCK_FRAMES]; LANES + 2];

/// Working buffers of the patched voices, one block long.
pub(crate) struct PatchScratch {
    /// One buffer per filter lane (a voice's channel).
    pub(crate) lanes: Lanes,
    /// The batch's lanes frame by frame, as the filter kernels take them.
    pub(crate) frame_major: [[f32; LANES]; MAX_BLOCK_FRAMES],
    /// Each lane's coefficients at the end of each control segment: the
    /// voices write their cutoff's base-2 logarithm into `g_points`, the
    /// core turns it into `g` before the filters run.
    pub(crate) g_points: [[f32; LANES]; SEGMENTS],
    pub(crate) k_points: [[f32; LANES]; SEGMENTS],
    /// A source's block before it is added to its lanes (and a filtered
    /// voice's block on its way from the batch to the mix), and the
    /// modulation envelope's levels.
    tmp: [f32; MAX_BLOCK_FRAMES],
    tmp_right: [f32; MAX_BLOCK_FRAMES],
    mod_levels: [f32; MAX_BLOCK_FRAMES],
}

impl PatchScratch {
    pub(crate) fn new() -> Self {
        PatchScratch {
            lanes: [[0.0; MAX_BLOCK_FRAMES]; LANES + 2],
            frame_major: [[0.0; LANES]; MAX_BLOCK_FRAMES],
            g_points: [[0.0; LANES]; SEGMENTS],
            k_points: [[0.0; LANES]; SEGMENTS],
            tmp: [0.0; MAX_BLOCK_FRAMES],
            tmp_right: [0.0; MAX_BLOCK_FRAMES],
            mod_levels: [0.0; MAX_BLOCK_FRAMES],
        }
    }
}

impl std::fmt::Debug for PatchScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatchScratch")
    }
}

/// The per-note state of a patched voice.
#[derive(Debug)]
pub(crate) struct PatchVoice {
    pub(crate) patch: Arc<Patch>,
    velocity: f32,
    key_octaves: f32,
    random: f32,
    pub(crate) channel: u8,
    pub(crate) poly_pressure: f32,
    phases: [[u32; MAX_UNISON]; 2],
    mod_envelope: EnvelopeState,
    lfo_phase: [f64; 2],
    lfo_held: [f32; 2],
    rng: u32,
    /// Frames since the note started.
    age_frames: u64,
    pub(crate) svf: [SvfState; 2],
    pub(crate) ladder: [LadderState; 2],
    /// The base-2 logarithm of the patch's cutoff in Hz.
    log2_cutoff: f32,
    /// The filter's coefficients where the last block ended.
    pub(crate) g_now: f32,
    pub(crate) k_now: f32,
    /// Gain and pan from the matrix at the start of the block and at the
    /// end of each segment.
    amp_points: [f32; SEGMENTS + 1],
    pan_points: [f32; SEGMENTS + 1],
    /// Sends the matrix adds, as of the end of the last block.
    pub(crate) send_mod: [f32; 3],
    /// Whether the block's lanes are left and right (unison spread in a
    /// stereo mix) rather than one.
    pub(crate) stereo: bool,
    /// Which LFOs and whether the modulation envelope feed any slot (the
    /// others are not computed at all).
    uses_lfo: [bool; 2],
    /// Whether the LFOs in use run at a steady rate (no slot moves it) and
    /// draw nothing at random, so a block's values can come at once.
    steady_lfos: bool,
    uses_mod_envelope: bool,
    /// The slots whose value moves within a block, and each slot's amount
    /// times its steady part (its steady source or scale), set per block.
    varying: [u8; MOD_SLOTS],
    varying_count: u8,
    varying_amount: [f32; MOD_SLOTS],
    /// Whether any slot moves the gain or the pan.
    moves_gain: bool,
    moves_pan: bool,
}

/// The values of the matrix's targets at one moment.
#[derive(Clone, Copy, Default)]
struct Targets {
    pitch: f32,
    cutoff: f32,
    resonance: f32,
    amplitude: f32,
    pan: f32,
    pulse_width: f32,
    lfo_rate: [f32; 2],
    sends: [f32; 3],
}

impl Targets {
    #[inline(always)]
    fn add(&mut self, target: ModTarget, v: f32) {
        match target {
            ModTarget::Pitch => self.pitch += v,
            ModTarget::Cutoff => self.cutoff += v,
            ModTarget::Resonance => self.resonance += v,
            ModTarget::Amplitude => self.amplitude += v,
            ModTarget::Pan => self.pan += v,
            ModTarget::PulseWidth => self.pulse_width += v,
            ModTarget::Lfo1Rate => self.lfo_rate[0] += v,
            ModTarget::Lfo2Rate => self.lfo_rate[1] += v,
            ModTarget::ReverbSend => self.sends[0] += v,
            ModTarget::ChorusSend => self.sends[1] += v,
            ModTarget::DelaySend => self.sends[2] += v,
        }
    }
}

/// Whether a source moves within a block (the others change only at
/// events, which split blocks).
fn is_varying(source: ModSource) -> bool {
    matches!(
        source,
        ModSource::Lfo1 | ModSource::Lfo2 | ModSource::ModEnvelope
    )
}

/// Whether a slot's value moves within a block (its source or its scale
/// does).
fn slot_varies(m: &crate::patch::Modulation) -> bool {
    is_varying(m.source) || m.scale.is_some_and(is_varying)
}

impl PatchVoice {
    /// The state for a note of `patch` at `frequency_hz`.
    pub(crate) fn new(
        patch: Arc<Patch>,
        frequency_hz: f32,
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
        let key_octaves = ((frequency_hz / 261.625_57).log2()).clamp(-10.0, 10.0);
        let mod_envelope = EnvelopeState::new(&patch.mod_envelope, sample_rate);
        let mut voice = PatchVoice {
            velocity,
            key_octaves,
            random,
            channel: channel.min(15),
            poly_pressure: 0.0,
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
            stereo: false,
            uses_lfo: [patch.uses(ModSource::Lfo1), patch.uses(ModSource::Lfo2)],
            steady_lfos: !patch.modulates(ModTarget::Lfo1Rate)
                && !patch.modulates(ModTarget::Lfo2Rate)
                && patch
                    .lfos
                    .iter()
                    .all(|l| l.shape != LfoShape::SampleAndHold),
            uses_mod_envelope: patch.uses(ModSource::ModEnvelope),
            varying: [0; MOD_SLOTS],
            varying_count: 0,
            varying_amount: [0.0; MOD_SLOTS],
            moves_gain: patch.modulates(ModTarget::Amplitude),
            moves_pan: patch.modulates(ModTarget::Pan),
            patch,
        };
        voice.lfo_held = [voice.draw(), voice.draw()];
        for (i, m) in voice.patch.modulation.iter().enumerate().take(MOD_SLOTS) {
            if slot_varies(m) && m.amount != 0.0 {
                voice.varying[usize::from(voice.varying_count)] = i as u8;
                voice.varying_count += 1;
            }
        }
        voice
    }

    /// The state of a voice that has not played a patch yet.
    pub(crate) fn idle(sample_rate: f32) -> Self {
        static DEFAULT: std::sync::OnceLock<Arc<Patch>> = std::sync::OnceLock::new();
        // The process keeps this patch: replacing it never frees it.
        let patch = DEFAULT.get_or_init(|| Arc::new(Patch::new(Waveform::Sine)));
        PatchVoice::new(Arc::clone(patch), 440.0, 1.0, 0, 0, sample_rate, 0)
    }

    fn draw(&mut self) -> f32 {
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
    fn coefficients(&self, t: &Targets) -> (f32, f32) {
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
    fn source(
        &self,
        source: ModSource,
        lfo: [f32; 2],
        mod_level: f32,
        ch: &ChannelControls,
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
            ModSource::PitchBend => ch.bend,
            ModSource::Controller(n) => ch.cc[usize::from(n.min(127))],
            ModSource::Random => self.random,
        }
    }

    /// What the slots whose source holds still over a block (all but the
    /// LFOs and the modulation envelope) add to the targets.
    fn steady_targets(&self, ch: &ChannelControls) -> Targets {
        let mut t = Targets::default();
        for m in &self.patch.modulation {
            if !is_varying(m.source) {
                t.add(
                    m.target,
                    m.amount * self.source(m.source, [0.0; 2], 0.0, ch),
                );
            }
        }
        t
    }

    /// Sets each varying slot's amount times its steady part for a block.
    fn set_varying_amounts(&mut self, ch: &ChannelControls) {
        for k in 0..usize::from(self.varying_count) {
            let i = usize::from(self.varying[k]);
            let m = self.patch.modulation[i];
            let mut a = m.amount * self.steady_scale(&m, ch);
            if !is_varying(m.source) {
                a *= self.source(m.source, [0.0; 2], 0.0, ch);
            }
            self.varying_amount[i] = a;
        }
    }

    /// The block's value of a slot's steady scale (1 when it has none or
    /// the scale is itself varying: then `targets` multiplies it in).
    fn steady_scale(&self, m: &crate::patch::Modulation, ch: &ChannelControls) -> f32 {
        match m.scale {
            Some(s) if !is_varying(s) => self.source(s, [0.0; 2], 0.0, ch),
            _ => 1.0,
        }
    }

    /// `steady` plus what the LFOs and the modulation envelope add now.
    /// (Inlined: returned through memory, the struct's fields would be
    /// stored one by one and read back in pairs, which stalls.)
    #[inline(always)]
    fn targets(&self, steady: &Targets, lfo: [f32; 2], mod_level: f32) -> Targets {
        let mut t = *steady;
        for &i in &self.varying[..usize::from(self.varying_count)] {
            let m = &self.patch.modulation[usize::from(i)];
            let varying = |s: ModSource| match s {
                ModSource::Lfo1 => lfo[0],
                ModSource::Lfo2 => lfo[1],
                _ => mod_level,
            };
            // The steady half of a slot (its source or its scale) is in
            // `varying_amount`, fixed for the block.
            let mut v = self.varying_amount[usize::from(i)];
            if is_varying(m.source) {
                v *= varying(m.source);
            }
            if let Some(s) = m.scale.filter(|&s| is_varying(s)) {
                v *= varying(s);
            }
            t.add(m.target, v);
        }
        t
    }

    /// Each LFO's value at the end of each control segment of a block of
    /// `frames`, advancing the LFOs to the block's end (only for LFOs at a
    /// steady rate and of a shape with no random draw: see `steady_lfos`).
    fn lfo_block(&mut self, frames: usize, sample_rate: f32) -> [[f32; SEGMENTS]; 2] {
        let mut out = [[0.0; SEGMENTS]; 2];
        let segments = frames.div_ceil(CONTROL_FRAMES);
        for (i, values) in out.iter_mut().enumerate() {
            if !self.uses_lfo[i] {
                continue;
            }
            let lfo: Lfo = self.patch.lfos[i];
            let per_frame = lfo.rate_hz / sample_rate;
            let start = self.lfo_phase[i] as f32;
            // The phase at each segment's end, and the shape there: one loop
            // per shape, computing both, so each vectorises (a loop of
            // phases stored one by one and read back four at a time would
            // stall on every read).
            let (frames32, step) = (frames as i32, CONTROL_FRAMES as i32);
            let phase_at = |s: usize| {
                let end = ((s as i32 + 1) * step).min(frames32) as f32;
                start + per_frame * end
            };
            let wrapped = |s: usize| {
                let p = phase_at(s);
                p - fast::floor(p)
            };
            let values = &mut values[..segments];
            match lfo.shape {
                LfoShape::Sine => {
                    for (s, v) in values.iter_mut().enumerate() {
                        *v = fast::sin_cycles(phase_at(s));
                    }
                }
                LfoShape::Triangle => {
                    for (s, v) in values.iter_mut().enumerate() {
                        let q = phase_at(s) + 0.25;
                        *v = 1.0 - 4.0 * ((q - fast::floor(q)) - 0.5).abs();
                    }
                }
                LfoShape::Square => {
                    for (s, v) in values.iter_mut().enumerate() {
                        *v = if wrapped(s) < 0.5 { 1.0 } else { -1.0 };
                    }
                }
                LfoShape::Saw => {
                    for (s, v) in values.iter_mut().enumerate() {
                        *v = 2.0 * wrapped(s) - 1.0;
                    }
                }
                LfoShape::SampleAndHold => values.fill(0.0), // never steady
            }
            if lfo.delay_secs > 0.0 || lfo.fade_secs > 0.0 {
                for (s, v) in values.iter_mut().enumerate() {
                    let age_frames =
                        self.age_frames + ((s + 1) * CONTROL_FRAMES).min(frames) as u64;
                    let age = age_frames as f32 / sample_rate;
                    *v *= if age < lfo.delay_secs {
                        0.0
                    } else if lfo.fade_secs > 0.0 {
                        ((age - lfo.delay_secs) / lfo.fade_secs).min(1.0)
                    } else {
                        1.0
                    };
                }
            }
            let phase =
                self.lfo_phase[i] + f64::from(lfo.rate_hz) * frames as f64 / f64::from(sample_rate);
            self.lfo_phase[i] = fast::fract_f64(phase);
        }
        out
    }

    /// Each LFO's value now, advancing it by `frames` at rates moved by
    /// `rate_octaves`.
    fn advance_lfos(
        &mut self,
        frames: usize,
        rate_octaves: [f32; 2],
        sample_rate: f32,
    ) -> [f32; 2] {
        let mut out = [0.0; 2];
        for (i, o) in out.iter_mut().enumerate() {
            if !self.uses_lfo[i] {
                continue;
            }
            let lfo: Lfo = self.patch.lfos[i];
            let hz = f64::from(lfo.rate_hz * fast::exp2(rate_octaves[i].clamp(-10.0, 10.0)));
            let phase = self.lfo_phase[i] + hz * frames as f64 / f64::from(sample_rate);
            if phase >= 1.0 {
                self.lfo_held[i] = self.draw();
            }
            self.lfo_phase[i] = fast::fract_f64(phase);
            let p = self.lfo_phase[i] as f32;
            let value = match lfo.shape {
                LfoShape::Sine => fast::sin_cycles(p),
                LfoShape::Triangle => {
                    let q = p + 0.25;
                    1.0 - 4.0 * ((q - fast::floor(q)) - 0.5).abs()
                }
                LfoShape::Square => {
                    if p < 0.5 {
                        1.0
                    } else {
                        -1.0
                    }
                }
                LfoShape::Saw => 2.0 * p - 1.0,
                LfoShape::SampleAndHold => self.lfo_held[i],
            };
            *o = if lfo.delay_secs == 0.0 && lfo.fade_secs == 0.0 {
                value
            } else {
                let age = self.age_frames as f32 / sample_rate;
                if age < lfo.delay_secs {
                    0.0
                } else if lfo.fade_secs > 0.0 {
                    value * ((age - lfo.delay_secs) / lfo.fade_secs).min(1.0)
                } else {
                    value
                }
            };
        }
        out
    }
}

/// How a source of a patch renders.
#[derive(Clone, Copy)]
enum Kind {
    Table(Shape),
    Pulse(f32),
    Noise,
    Sample,
}

impl Voice {
    /// The lanes this voice fills in a block (2 for a spread unison in a
    /// stereo mix, else 1).
    pub(crate) fn patch_lanes(&self, stereo_mix: bool) -> usize {
        match self.patched() {
            Some(p) if stereo_mix && p.patch.unison.voices > 1 && p.patch.unison.spread > 0.0 => 2,
            _ => 1,
        }
    }

    /// Runs the modulation for a block of `frames` and renders the sources
    /// (with unison) into `lanes` (one, or left and right), before any
    /// filter; writes the filter's coefficients at each segment's end into
    /// column `lane` of `g_points`/`k_points`. Returns the frames the
    /// sources played (fewer when a sample source ended).
    pub(crate) fn prepare_patched(
        &mut self,
        ctx: &PatchContext<'_>,
        frames: usize,
        scratch: &mut PatchScratch,
        lane: usize,
        stereo_lanes: bool,
    ) -> usize {
        let frequency_hz = self.frequency_hz.load(Relaxed);
        let duty_control = self.duty_cycle.load(Relaxed);
        let held = !self.is_releasing() && self.state == SlotState::Playing;
        if !self.is_patched {
            return frames;
        }
        // Fields one by one: the patch is read through the voice's own
        // reference while its state changes (no reference count touched).
        let Voice {
            patch,
            patched,
            noise,
            playhead,
            sample,
            ..
        } = self;
        let Some(patch) = patch.as_deref() else {
            return frames;
        };
        let pv = &mut **patched;
        pv.stereo = stereo_lanes;
        let sr = ctx.sample_rate;
        let ch = &ctx.channels[usize::from(pv.channel)];
        // Modulation at the start (from where the last block left it) and
        // at the end of each segment.
        if pv.uses_mod_envelope {
            pv.mod_envelope.render(&mut scratch.mod_levels[..frames]);
        } else {
            scratch.mod_levels[..frames].fill(0.0);
        }
        let segments = frames.div_ceil(CONTROL_FRAMES);
        let mut pitch = [0.0f32; SEGMENTS];
        let mut pulse = [0.0f32; SEGMENTS];
        let mut rate_mod = [0.0f32; 2];
        let first = pv.age_frames == 0;
        if first {
            let lfo = pv.advance_lfos(0, rate_mod, sr);
            pv.set_varying_amounts(ch);
            let t = pv.targets(&pv.steady_targets(ch), lfo, scratch.mod_levels[0]);
            let (log2_cutoff, k) = pv.coefficients(&t);
            pv.g_now = prewarp(fast::exp2(log2_cutoff), sr);
            pv.k_now = k;
            pv.amp_points[SEGMENTS] = t.amplitude;
            pv.pan_points[SEGMENTS] = t.pan;
        }
        pv.amp_points[0] = pv.amp_points[SEGMENTS];
        pv.pan_points[0] = pv.pan_points[SEGMENTS];
        let mut last = Targets::default();
        pv.set_varying_amounts(ch);
        let steady = pv.steady_targets(ch);
        // LFOs whose rate no slot moves run for the whole block at once,
        // each segment's value independent of the last.
        let lfo_block = pv.steady_lfos.then(|| pv.lfo_block(frames, sr));
        for s in 0..segments {
            let start = s * CONTROL_FRAMES;
            let n = CONTROL_FRAMES.min(frames - start);
            // The value at the segment's end: what the oscillators play
            // during it and what gains and coefficients glide toward.
            let lfo = match &lfo_block {
                Some(values) => [values[0][s], values[1][s]],
                None => pv.advance_lfos(n, rate_mod, sr),
            };
            pv.age_frames += n as u64;
            let t = pv.targets(&steady, lfo, scratch.mod_levels[start + n - 1]);
            rate_mod = t.lfo_rate;
            pitch[s] = t.pitch;
            pulse[s] = t.pulse_width;
            if lane < LANES {
                let (g, k) = pv.coefficients(&t);
                scratch.g_points[s][lane] = g;
                scratch.k_points[s][lane] = k;
                if stereo_lanes {
                    scratch.g_points[s][lane + 1] = g;
                    scratch.k_points[s][lane + 1] = k;
                }
            }
            pv.amp_points[s + 1] = t.amplitude;
            pv.pan_points[s + 1] = t.pan;
            last = t;
        }
        if segments > 0 {
            pv.amp_points[SEGMENTS] = pv.amp_points[segments];
            pv.pan_points[SEGMENTS] = pv.pan_points[segments];
        }
        pv.send_mod = last.sends;
        let pitch_moves = patch.modulates(ModTarget::Pitch);

        // Sources and unison into the lanes.
        // A filtered voice writes straight into the batch's frame-major
        // buffer (zeroed when the batch began), where the filters read it;
        // one without a filter into its own two lanes.
        let [left, right, ..] = split_two(&mut scratch.lanes, lane);
        let (left, right) = (&mut left[..frames], &mut right[..frames]);
        let mut dest = if lane < LANES {
            Dest::Batch(&mut scratch.frame_major[..frames], lane)
        } else {
            left.fill(0.0);
            if stereo_lanes {
                right.fill(0.0);
            }
            Dest::Lanes(left, right)
        };
        let unison = patch.unison;
        let copies = usize::from(unison.voices.max(1));
        let copy_gain = 1.0 / (copies as f32).sqrt();
        let mut played = frames;
        // Whether anything was added to the voice's lane yet.
        let mut written_any = false;
        for (si, source) in patch.sources.iter().enumerate() {
            let kind = match &source.waveform {
                Waveform::Sine => Kind::Table(Shape::Sine),
                Waveform::Square => Kind::Table(Shape::Square),
                Waveform::Sawtooth => Kind::Table(Shape::Saw),
                Waveform::Triangle => Kind::Table(Shape::Triangle),
                Waveform::Pulse { duty_cycle } => {
                    Kind::Pulse(if si == 0 { duty_control } else { *duty_cycle })
                }
                Waveform::Noise => Kind::Noise,
                Waveform::Sample(_) => Kind::Sample,
            };
            if source.level == 0.0 {
                continue;
            }
            match kind {
                Kind::Noise => {
                    let tmp = &mut scratch.tmp[..frames];
                    noise.render(tmp);
                    written_any = true;
                    dest.add(0, tmp, source.level);
                    if stereo_lanes {
                        dest.add(1, tmp, source.level);
                    }
                }
                Kind::Sample => {
                    let mut done = 0;
                    let tmp = &mut scratch.tmp[..frames];
                    let tmp_right = &mut scratch.tmp_right[..frames];
                    let mut two = false;
                    while done < frames {
                        let s = done / CONTROL_FRAMES;
                        let n = if pitch_moves {
                            CONTROL_FRAMES.min(frames - done)
                        } else {
                            frames - done
                        };
                        let hz = f64::from(frequency_hz)
                            * f64::from((pitch[s] + source.detune_cents / 100.0) / 12.0).exp2();
                        let written = render_sample(
                            playhead,
                            sample.as_ref(),
                            held,
                            hz,
                            sr,
                            stereo_lanes,
                            (&mut tmp[done..done + n], &mut tmp_right[done..done + n]),
                            &mut two,
                        );
                        if written < n {
                            tmp[done + written..].fill(0.0);
                            tmp_right[done + written..].fill(0.0);
                            if patch.sources.len() == 1 {
                                played = done + written;
                            }
                            break;
                        }
                        done += n;
                    }
                    dest.add(0, tmp, source.level);
                    if stereo_lanes {
                        dest.add(1, if two { &*tmp_right } else { &*tmp }, source.level);
                    }
                    written_any = true;
                }
                Kind::Table(_) | Kind::Pulse(_) => {
                    let shape = match kind {
                        Kind::Table(shape) => shape,
                        _ => Shape::Saw,
                    };
                    for u in 0..copies {
                        let first_write = !written_any;
                        written_any = true;
                        let spread_at = if copies > 1 {
                            u as f32 / (copies - 1) as f32 * 2.0 - 1.0
                        } else {
                            0.0
                        };
                        let cents = source.detune_cents + 0.5 * unison.detune_cents * spread_at;
                        let pan = pan_gains(unison.spread * spread_at);
                        let gain = source.level * copy_gain;
                        let phase = &mut pv.phases[si][u];
                        let mut done = 0;
                        while done < frames {
                            let s = done / CONTROL_FRAMES;
                            let n = if pitch_moves {
                                CONTROL_FRAMES.min(frames - done)
                            } else {
                                frames - done
                            };
                            let semis = pitch[s] + cents / 100.0;
                            let hz = f64::from(frequency_hz) * f64::from(semis / 12.0).exp2();
                            let increment = phase_increment(hz, f64::from(sr));
                            let level = ctx.tables.level(shape, increment);
                            let duty = match kind {
                                Kind::Pulse(duty) => Some(clamp_duty_cycle(duty + pulse[s])),
                                _ => None,
                            };
                            match &mut dest {
                                Dest::Lanes(left, right) => {
                                    let (l, r) =
                                        (&mut left[done..done + n], &mut right[done..done + n]);
                                    if stereo_lanes {
                                        let mut sink = AddStereo {
                                            left: l,
                                            right: r,
                                            gain,
                                            pan,
                                        };
                                        oscillate(
                                            ctx.tables, level, phase, increment, duty, &mut sink,
                                        );
                                    } else {
                                        let mut sink = AddMono { mix: l, gain };
                                        oscillate(
                                            ctx.tables, level, phase, increment, duty, &mut sink,
                                        );
                                    }
                                }
                                Dest::Batch(fm, lane) => {
                                    let frames = &mut fm[done..done + n];
                                    if stereo_lanes {
                                        let mut sink = AddLanePair {
                                            frames,
                                            lane: *lane,
                                            gain,
                                            pan,
                                        };
                                        oscillate(
                                            ctx.tables, level, phase, increment, duty, &mut sink,
                                        );
                                    } else if first_write {
                                        // The lane holds zeros: store, no need to add.
                                        let mut sink = WriteLane {
                                            frames,
                                            lane: *lane,
                                            gain,
                                        };
                                        oscillate(
                                            ctx.tables, level, phase, increment, duty, &mut sink,
                                        );
                                    } else {
                                        let mut sink = AddLane {
                                            frames,
                                            lane: *lane,
                                            gain,
                                        };
                                        oscillate(
                                            ctx.tables, level, phase, increment, duty, &mut sink,
                                        );
                                    }
                                }
                            }
                            done += n;
                        }
                    }
                }
            }
        }
        played
    }

    /// Scales the filtered lanes by the voice's gain (envelope, amplitude,
    /// velocity, the matrix's amplitude, group, fade) and adds them to
    /// `target` at the voice's pan plus the matrix's. Returns whether the
    /// voice finished within the block.
    ///
    /// A gain that holds still over the block (a sustaining note that no
    /// slot moves) is one number, and a pan that holds still one pair of
    /// gains: the mix is then one multiply-add per frame and channel.
    pub(crate) fn finish_patched(
        &mut self,
        scratch: &mut PatchScratch,
        gain_scratch: &mut super::Scratch,
        lane: usize,
        played: usize,
        group_gain: (f32, f32),
        target: super::MixTarget<'_>,
    ) -> bool {
        let frames = match &target {
            super::MixTarget::Mono(m) => m.len(),
            super::MixTarget::Stereo(l, r) => l.len().min(r.len()),
        }
        .min(MAX_BLOCK_FRAMES);
        let base_pan = self.pan_slew.advance(self.pan.load(Relaxed), frames);
        let buffer = &mut gain_scratch.gain[..frames];
        let (gain, alive) = self.block_gain(buffer, group_gain);
        let constant = match gain {
            crate::dsp::mix::Gain::Constant(g) => Some(g),
            crate::dsp::mix::Gain::PerFrame(_) => None,
        };
        let alive = alive.min(played);
        let Some(pv) = self.patched() else {
            return true;
        };
        let velocity_gain =
            1.0 - pv.patch.velocity_to_gain + pv.patch.velocity_to_gain * pv.velocity;
        let gain = &mut gain_scratch.gain[..frames];
        let constant = match constant {
            Some(g) if !pv.moves_gain && alive >= frames => Some(g * velocity_gain),
            _ => {
                if let Some(g) = constant {
                    gain.fill(g);
                }
                if pv.moves_gain {
                    // The matrix's amplitude, a line through each segment.
                    for (s, chunk) in gain.chunks_mut(CONTROL_FRAMES).enumerate() {
                        let a0 = (1.0 + pv.amp_points[s]).max(0.0) * velocity_gain;
                        let a1 = (1.0 + pv.amp_points[s + 1]).max(0.0) * velocity_gain;
                        let step = (a1 - a0) / chunk.len() as f32;
                        for (i, g) in chunk.iter_mut().enumerate() {
                            *g *= a0 + step * (i + 1) as f32;
                        }
                    }
                } else if velocity_gain != 1.0 {
                    gain.iter_mut().for_each(|g| *g *= velocity_gain);
                }
                gain[alive.min(frames)..].fill(0.0);
                None
            }
        };
        let stereo_lanes = pv.stereo;
        // The common case, a steady gain and pan out of the batch: straight
        // from the batch's frames into the mix.
        if let (Some(g), true) = (constant, lane < LANES) {
            let batch = &scratch.frame_major[..frames];
            match target {
                super::MixTarget::Mono(mix) => {
                    for (m, f) in mix.iter_mut().zip(batch) {
                        *m += f[lane] * g;
                    }
                    return alive < frames;
                }
                super::MixTarget::Stereo(left, right)
                    if !pv.moves_pan && base_pan.0 == base_pan.1 =>
                {
                    let (pl, pr) = pan_gains(base_pan.0);
                    let (gl, gr) = (g * pl, g * pr);
                    let other = lane + usize::from(stereo_lanes);
                    for ((l, r), f) in left.iter_mut().zip(right.iter_mut()).zip(batch) {
                        *l += f[lane] * gl;
                        *r += f[other] * gr;
                    }
                    return alive < frames;
                }
                target => {
                    return self.finish_general(
                        scratch,
                        gain_scratch,
                        lane,
                        Some(g),
                        alive,
                        frames,
                        base_pan,
                        target,
                    )
                }
            }
        }
        self.finish_general(
            scratch,
            gain_scratch,
            lane,
            constant,
            alive,
            frames,
            base_pan,
            target,
        )
    }

    /// The rest of [`finish_patched`](Self::finish_patched): through
    /// contiguous buffers, with gains and pans that move.
    #[allow(clippy::too_many_arguments)]
    fn finish_general(
        &mut self,
        scratch: &mut PatchScratch,
        gain_scratch: &mut super::Scratch,
        lane: usize,
        constant: Option<f32>,
        alive: usize,
        frames: usize,
        base_pan: (f32, f32),
        target: super::MixTarget<'_>,
    ) -> bool {
        let Some(pv) = self.patched() else {
            return true;
        };
        let gain = &mut gain_scratch.gain[..frames];
        let stereo_lanes = pv.stereo;
        let (l_lane, r_lane): (&[f32], &[f32]) = if lane < LANES {
            // Out of the batch's frame-major buffer.
            let PatchScratch {
                frame_major,
                tmp,
                tmp_right,
                ..
            } = scratch;
            for (t, f) in tmp[..frames].iter_mut().zip(&frame_major[..frames]) {
                *t = f[lane];
            }
            if stereo_lanes {
                for (t, f) in tmp_right[..frames].iter_mut().zip(&frame_major[..frames]) {
                    *t = f[lane + 1];
                }
            }
            (&tmp[..frames], &tmp_right[..frames])
        } else {
            let [l, r, ..] = split_two(&mut scratch.lanes, lane);
            (&l[..frames], &r[..frames])
        };
        match target {
            super::MixTarget::Mono(mix) => match constant {
                Some(g) => add(mix, l_lane, g),
                None => mix
                    .iter_mut()
                    .zip(l_lane)
                    .zip(&*gain)
                    .for_each(|((m, x), g)| *m += x * g),
            },
            super::MixTarget::Stereo(mix_left, mix_right) => {
                let right_src = if stereo_lanes { r_lane } else { l_lane };
                if !pv.moves_pan && base_pan.0 == base_pan.1 {
                    let (pl, pr) = pan_gains(base_pan.0);
                    match constant {
                        Some(g) => {
                            add(mix_left, l_lane, g * pl);
                            add(mix_right, right_src, g * pr);
                        }
                        None => {
                            for i in 0..frames {
                                mix_left[i] += l_lane[i] * gain[i] * pl;
                                mix_right[i] += right_src[i] * gain[i] * pr;
                            }
                        }
                    }
                } else {
                    if let Some(g) = constant {
                        gain.fill(g);
                    }
                    let segments = frames.div_ceil(CONTROL_FRAMES).max(1) as f32;
                    let pan_at = |s: usize| {
                        let base = base_pan.0 + (base_pan.1 - base_pan.0) * s as f32 / segments;
                        (base + pv.pan_points[s]).clamp(-1.0, 1.0)
                    };
                    for (s, start) in (0..frames).step_by(CONTROL_FRAMES).enumerate() {
                        let end = (start + CONTROL_FRAMES).min(frames);
                        let (l0, r0) = pan_gains(pan_at(s));
                        let (l1, r1) = pan_gains(pan_at(s + 1));
                        let n = (end - start) as f32;
                        for i in start..end {
                            let t = (i - start + 1) as f32 / n;
                            let g = gain[i];
                            mix_left[i] += l_lane[i] * g * (l0 + (l1 - l0) * t);
                            mix_right[i] += right_src[i] * g * (r0 + (r1 - r0) * t);
                        }
                    }
                }
            }
        }
        if self.state == SlotState::Fading && self.fade <= 0.0 {
            return true;
        }
        alive < frames
    }
}

/// Lanes `lane` and `lane + 1` (there is always a lane after a voice's
/// first).
fn split_two(lanes: &mut Lanes, lane: usize) -> [&mut [f32; MAX_BLOCK_FRAMES]; 2] {
    let (a, b) = lanes.split_at_mut(lane + 1);
    [&mut a[lane], &mut b[0]]
}

/// Where a patched voice's sources go before the filter.
enum Dest<'a> {
    /// Its own contiguous lanes (left, right): a voice without a filter.
    Lanes(&'a mut [f32], &'a mut [f32]),
    /// Lane `.1` (and the next, for stereo) of the filter batch.
    Batch(&'a mut [[f32; LANES]], usize),
}

impl Dest<'_> {
    /// Adds `source × gain` to channel `channel` (0 left, 1 right).
    fn add(&mut self, channel: usize, source: &[f32], gain: f32) {
        match self {
            Dest::Lanes(l, r) => add(if channel == 0 { l } else { r }, source, gain),
            Dest::Batch(frames, lane) => {
                for (f, x) in frames.iter_mut().zip(source) {
                    f[*lane + channel] += x * gain;
                }
            }
        }
    }
}

/// Plays a table (or, with a duty cycle, a pulse) into `sink`.
fn oscillate<S: Sink>(
    tables: &'static Wavetables,
    level: crate::dsp::wavetable::Spline<'static>,
    phase: &mut u32,
    increment: u32,
    duty: Option<f32>,
    sink: &mut S,
) {
    match duty {
        Some(duty) => tables.play_pulse(level, phase, increment, duty, sink),
        None => tables.play(level, phase, increment, sink),
    }
}

/// An oscillator's frames × `gain` into one lane of frame-major buffers:
/// added (`ADD`), or stored (the first thing written into a lane that
/// holds zeros).
struct Lane<'a, const ADD: bool> {
    frames: &'a mut [[f32; LANES]],
    lane: usize,
    gain: f32,
}

/// Adds into a lane.
type AddLane<'a> = Lane<'a, true>;
/// Stores into a lane.
type WriteLane<'a> = Lane<'a, false>;

impl<const ADD: bool> Sink for Lane<'_, ADD> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.frames.len()
    }

    #[inline(always)]
    fn put8(&mut self, i: usize, y: [f32; 8]) {
        for (f, y) in self.frames[i..i + 8].iter_mut().zip(y) {
            let v = y * self.gain;
            f[self.lane] = if ADD { f[self.lane] + v } else { v };
        }
    }

    #[inline(always)]
    fn put1(&mut self, i: usize, y: f32) {
        let v = y * self.gain;
        let f = &mut self.frames[i][self.lane];
        *f = if ADD { *f + v } else { v };
    }
}

/// As [`AddLane`], panned into a lane and the next.
struct AddLanePair<'a> {
    frames: &'a mut [[f32; LANES]],
    lane: usize,
    gain: f32,
    pan: (f32, f32),
}

impl Sink for AddLanePair<'_> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.frames.len()
    }

    #[inline(always)]
    fn put8(&mut self, i: usize, y: [f32; 8]) {
        for (f, y) in self.frames[i..i + 8].iter_mut().zip(y) {
            let v = y * self.gain;
            f[self.lane] += v * self.pan.0;
            f[self.lane + 1] += v * self.pan.1;
        }
    }

    #[inline(always)]
    fn put1(&mut self, i: usize, y: f32) {
        let v = y * self.gain;
        self.frames[i][self.lane] += v * self.pan.0;
        self.frames[i][self.lane + 1] += v * self.pan.1;
    }
}

/// Adds `source × gain` to `mix`.
fn add(mix: &mut [f32], source: &[f32], gain: f32) {
    for (m, x) in mix.iter_mut().zip(source) {
        *m += x * gain;
    }
}
