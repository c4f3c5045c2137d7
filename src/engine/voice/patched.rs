//! The audio side of a patched voice: modulation at the control rate,
//! sources and unison into the filter's lanes, then gain and pan into the
//! mix once the core has run the filters of a batch of voices together.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::{SlotState, Voice};
use crate::dsp::envelope::EnvelopeState;
use crate::dsp::filter::{prewarp, LadderState, SvfMode, SvfState, CONTROL_FRAMES, LANES};
use crate::dsp::mix::{AddMono, AddStereo};
use crate::dsp::pan::pan_gains;
use crate::dsp::wavetable::{phase_increment, Shape, Wavetables};
use crate::engine::waveform::clamp_duty_cycle;
use crate::engine::MAX_BLOCK_FRAMES;
use crate::patch::{FilterMode, Lfo, LfoShape, ModSource, ModTarget, Patch, MAX_UNISON};
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
    /// Each lane's coefficients at the end of each control segment.
    pub(crate) g_points: [[f32; LANES]; SEGMENTS],
    pub(crate) k_points: [[f32; LANES]; SEGMENTS],
    /// A source's block before it is added to its lanes, and the
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
                (f64::from(lfo.rate_hz) * clock_secs).fract()
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
            amp_points: [0.0; SEGMENTS + 1],
            pan_points: [0.0; SEGMENTS + 1],
            send_mod: [0.0; 3],
            stereo: false,
            patch,
        };
        voice.lfo_held = [voice.draw(), voice.draw()];
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

    /// The filter's `g` and `k` for the targets `t`.
    fn coefficients(&self, t: &Targets, sample_rate: f32) -> (f32, f32) {
        let Some(f) = self.patch.filter else {
            return (0.0, 0.0);
        };
        let cutoff = f.cutoff_hz * t.cutoff.clamp(-20.0, 20.0).exp2();
        let resonance = (f.resonance + t.resonance).clamp(0.0, 1.0);
        let g = prewarp(cutoff, sample_rate);
        let k = match f.mode {
            FilterMode::Ladder => crate::dsp::filter::ladder_feedback(resonance),
            _ => crate::dsp::filter::svf_damping(resonance),
        };
        (g, k)
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

    fn targets(&self, lfo: [f32; 2], mod_level: f32, ch: &ChannelControls) -> Targets {
        let mut t = Targets::default();
        for m in &self.patch.modulation {
            let v = m.amount * self.source(m.source, lfo, mod_level, ch);
            match m.target {
                ModTarget::Pitch => t.pitch += v,
                ModTarget::Cutoff => t.cutoff += v,
                ModTarget::Resonance => t.resonance += v,
                ModTarget::Amplitude => t.amplitude += v,
                ModTarget::Pan => t.pan += v,
                ModTarget::PulseWidth => t.pulse_width += v,
                ModTarget::Lfo1Rate => t.lfo_rate[0] += v,
                ModTarget::Lfo2Rate => t.lfo_rate[1] += v,
                ModTarget::ReverbSend => t.sends[0] += v,
                ModTarget::ChorusSend => t.sends[1] += v,
                ModTarget::DelaySend => t.sends[2] += v,
            }
        }
        t
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
            let lfo: Lfo = self.patch.lfos[i];
            let hz = f64::from(lfo.rate_hz) * f64::from(rate_octaves[i].clamp(-10.0, 10.0)).exp2();
            let phase = self.lfo_phase[i] + hz * frames as f64 / f64::from(sample_rate);
            if phase >= 1.0 {
                self.lfo_held[i] = self.draw();
            }
            self.lfo_phase[i] = phase.fract();
            let p = self.lfo_phase[i] as f32;
            let value = match lfo.shape {
                LfoShape::Sine => (std::f32::consts::TAU * p).sin(),
                LfoShape::Triangle => 1.0 - 4.0 * ((p + 0.25).fract() - 0.5).abs(),
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
            let age = self.age_frames as f32 / sample_rate;
            let depth = if age < lfo.delay_secs {
                0.0
            } else if lfo.fade_secs > 0.0 {
                ((age - lfo.delay_secs) / lfo.fade_secs).min(1.0)
            } else {
                1.0
            };
            *o = value * depth;
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
        let Some(pv) = self.patched_mut() else {
            return frames;
        };
        pv.stereo = stereo_lanes;
        let sr = ctx.sample_rate;
        let ch = ctx.channels[usize::from(pv.channel)];
        let patch = Arc::clone(&pv.patch);
        // Modulation at the start (from where the last block left it) and
        // at the end of each segment.
        pv.mod_envelope.render(&mut scratch.mod_levels[..frames]);
        let segments = frames.div_ceil(CONTROL_FRAMES);
        let mut pitch = [0.0f32; SEGMENTS];
        let mut pulse = [0.0f32; SEGMENTS];
        let mut rate_mod = [0.0f32; 2];
        let first = pv.age_frames == 0;
        if first {
            let lfo = pv.advance_lfos(0, rate_mod, sr);
            let t = pv.targets(lfo, scratch.mod_levels[0], &ch);
            (pv.g_now, pv.k_now) = pv.coefficients(&t, sr);
            pv.amp_points[SEGMENTS] = t.amplitude;
            pv.pan_points[SEGMENTS] = t.pan;
        }
        pv.amp_points[0] = pv.amp_points[SEGMENTS];
        pv.pan_points[0] = pv.pan_points[SEGMENTS];
        let mut last = Targets::default();
        for s in 0..segments {
            let start = s * CONTROL_FRAMES;
            let n = CONTROL_FRAMES.min(frames - start);
            // The middle of the segment for what the oscillators play, its
            // end for what is interpolated toward.
            let lfo = pv.advance_lfos(n, rate_mod, sr);
            pv.age_frames += n as u64;
            let t = pv.targets(lfo, scratch.mod_levels[start + n - 1], &ch);
            rate_mod = t.lfo_rate;
            pitch[s] = t.pitch;
            pulse[s] = t.pulse_width;
            if lane < LANES {
                let (g, k) = pv.coefficients(&t, sr);
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
        let [left, right, ..] = split_two(&mut scratch.lanes, lane);
        let (left, right) = (&mut left[..frames], &mut right[..frames]);
        left.fill(0.0);
        if stereo_lanes {
            right.fill(0.0);
        }
        let unison = patch.unison;
        let copies = usize::from(unison.voices.max(1));
        let copy_gain = 1.0 / (copies as f32).sqrt();
        let mut played = frames;
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
                    self.noise.render(tmp);
                    add(left, tmp, source.level);
                    if stereo_lanes {
                        add(right, tmp, source.level);
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
                        let written = self.render_source(
                            hz,
                            sr,
                            stereo_lanes,
                            &mut tmp[done..done + n],
                            &mut tmp_right[done..done + n],
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
                    add(left, tmp, source.level);
                    if stereo_lanes {
                        add(right, if two { &*tmp_right } else { &*tmp }, source.level);
                    }
                }
                Kind::Table(_) | Kind::Pulse(_) => {
                    let shape = match kind {
                        Kind::Table(shape) => shape,
                        _ => Shape::Saw,
                    };
                    let pv = self.patched_mut().expect("patched");
                    for u in 0..copies {
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
                            let (l, r) = (&mut left[done..done + n], &mut right[done..done + n]);
                            match kind {
                                Kind::Pulse(duty) => {
                                    let duty = clamp_duty_cycle(duty + pulse[s]);
                                    if stereo_lanes {
                                        let mut sink = AddStereo {
                                            left: l,
                                            right: r,
                                            gain,
                                            pan,
                                        };
                                        ctx.tables
                                            .play_pulse(level, phase, increment, duty, &mut sink);
                                    } else {
                                        let mut sink = AddMono { mix: l, gain };
                                        ctx.tables
                                            .play_pulse(level, phase, increment, duty, &mut sink);
                                    }
                                }
                                _ => {
                                    if stereo_lanes {
                                        let mut sink = AddStereo {
                                            left: l,
                                            right: r,
                                            gain,
                                            pan,
                                        };
                                        ctx.tables.play(level, phase, increment, &mut sink);
                                    } else {
                                        let mut sink = AddMono { mix: l, gain };
                                        ctx.tables.play(level, phase, increment, &mut sink);
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
        let (gain, mut alive) = self.gain_buffer(&mut gain_scratch.gain[..frames], group_gain);
        alive = alive.min(played);
        let base_pan = self.pan_slew.advance(self.pan.load(Relaxed), frames);
        let Some(pv) = self.patched() else {
            return true;
        };
        let velocity_gain =
            1.0 - pv.patch.velocity_to_gain + pv.patch.velocity_to_gain * pv.velocity;
        // The matrix's amplitude, a line through each segment.
        for (s, chunk) in gain.chunks_mut(CONTROL_FRAMES).enumerate() {
            let a0 = (1.0 + pv.amp_points[s]).max(0.0) * velocity_gain;
            let a1 = (1.0 + pv.amp_points[s + 1]).max(0.0) * velocity_gain;
            let step = (a1 - a0) / chunk.len() as f32;
            for (i, g) in chunk.iter_mut().enumerate() {
                *g *= a0 + step * (i + 1) as f32;
            }
        }
        gain[alive.min(frames)..].fill(0.0);
        let stereo_lanes = pv.stereo;
        let segments = frames.div_ceil(CONTROL_FRAMES).max(1) as f32;
        let pan_at = |s: usize| {
            let base = base_pan.0 + (base_pan.1 - base_pan.0) * s as f32 / segments;
            (base + pv.pan_points[s]).clamp(-1.0, 1.0)
        };
        let [l_lane, r_lane, ..] = split_two(&mut scratch.lanes, lane);
        match target {
            super::MixTarget::Mono(mix) => {
                for ((m, x), g) in mix.iter_mut().zip(&l_lane[..frames]).zip(&*gain) {
                    *m += x * g;
                }
            }
            super::MixTarget::Stereo(mix_left, mix_right) => {
                let right_src: &[f32] = if stereo_lanes {
                    &r_lane[..frames]
                } else {
                    &l_lane[..frames]
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
        if self.state == SlotState::Fading && self.fade <= 0.0 {
            return true;
        }
        alive < frames
    }

    /// The voice's gain per frame over `buffer` (see `block_gain`), always
    /// written out; and the frames before it falls silent.
    fn gain_buffer<'b>(
        &mut self,
        buffer: &'b mut [f32],
        group_gain: (f32, f32),
    ) -> (&'b mut [f32], usize) {
        let (gain, alive) = self.block_gain(buffer, group_gain);
        if let crate::dsp::mix::Gain::Constant(g) = gain {
            buffer.fill(g);
        }
        (buffer, alive)
    }
}

/// Lanes `lane` and `lane + 1` (there is always a lane after a voice's
/// first).
fn split_two(lanes: &mut Lanes, lane: usize) -> [&mut [f32; MAX_BLOCK_FRAMES]; 2] {
    let (a, b) = lanes.split_at_mut(lane + 1);
    [&mut a[lane], &mut b[0]]
}

/// Adds `source × gain` to `mix`.
fn add(mix: &mut [f32], source: &[f32], gain: f32) {
    for (m, x) in mix.iter_mut().zip(source) {
        *m += x * gain;
    }
}
