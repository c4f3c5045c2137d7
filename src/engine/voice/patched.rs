//! The audio side of a patched voice: modulation at the control rate,
//! sources and unison into the filter's lanes, then gain and pan into the
//! mix once the core has run the filters of a batch of voices together.

use std::sync::atomic::Ordering::Relaxed;

use super::render::render_sample;
use super::{SlotState, Voice};
use crate::dsp::fast;
use crate::dsp::filter::{prewarp, SvfMode, CONTROL_FRAMES, LANES};
use crate::dsp::mix::{AddMono, AddStereo};
use crate::dsp::pan::pan_gains;
use crate::dsp::wavetable::{phase_increment, Shape, Wavetables};
use crate::engine::waveform::clamp_duty_cycle;
use crate::engine::MAX_BLOCK_FRAMES;
use crate::Waveform;

mod lanes;
mod lfo;
mod modulation;

use lanes::{add, oscillate, split_two, Dest};
use modulation::Targets;
pub(crate) use modulation::{NoteTimes, PatchVoice};

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
    /// voice's block on its way from the batch to the mix).
    tmp: [f32; MAX_BLOCK_FRAMES],
    tmp_right: [f32; MAX_BLOCK_FRAMES],
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
        }
    }
}

impl std::fmt::Debug for PatchScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatchScratch")
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
        // at the end of each segment; the modulation envelope is read only
        // there.
        let uses_mod_envelope = pv.uses_mod_envelope;
        let mod_level = |pv: &mut PatchVoice, frames: usize| {
            if uses_mod_envelope {
                pv.mod_envelope.skip(frames)
            } else {
                0.0
            }
        };
        let segments = frames.div_ceil(CONTROL_FRAMES);
        let mut pitch = [0.0f32; SEGMENTS];
        let mut pulse = [0.0f32; SEGMENTS];
        // The LFOs' rates as the last segment left them.
        let mut rate_mod = pv.lfo_rate_octaves;
        let first = pv.age_frames == 0;
        if first {
            let lfo = pv.advance_lfos(0, rate_mod, sr);
            let steady = pv.steady_targets(ch);
            pv.set_varying_amounts(ch, &steady);
            let level = mod_level(pv, 0);
            let t = pv.targets(&steady, lfo, level);
            rate_mod = t.lfo_rate;
            let (log2_cutoff, k) = pv.coefficients(&t);
            pv.g_now = prewarp(fast::exp2(log2_cutoff), sr);
            pv.k_now = k;
            pv.amp_points[SEGMENTS] = t.gain_offset();
            pv.pan_points[SEGMENTS] = t.pan;
        }
        pv.amp_points[0] = pv.amp_points[SEGMENTS];
        pv.pan_points[0] = pv.pan_points[SEGMENTS];
        let mut last = Targets::default();
        let steady = pv.steady_targets(ch);
        pv.set_varying_amounts(ch, &steady);
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
            let level = mod_level(pv, n);
            let t = pv.targets(&steady, lfo, level);
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
            pv.amp_points[s + 1] = t.gain_offset();
            pv.pan_points[s + 1] = t.pan;
            last = t;
        }
        if segments > 0 {
            pv.amp_points[SEGMENTS] = pv.amp_points[segments];
            pv.pan_points[SEGMENTS] = pv.pan_points[segments];
        }
        pv.send_mod = last.sends;
        pv.lfo_rate_octaves = rate_mod;
        // Pitch that a slot could move but that holds still through the
        // block (a vibrato whose mod wheel is down) plays the block in one
        // piece: the same steps, so the same frames, with one call.
        let pitch_moves = pitch[..segments].iter().any(|&p| p != pitch[0]);

        // Sources and unison into the voice's own lanes (one buffer per
        // channel, where the oscillators write in vectors of frames); a
        // filter batch turns them into frames of lanes before it runs.
        let [left, right, ..] = split_two(&mut scratch.lanes, lane);
        let (left, right) = (&mut left[..frames], &mut right[..frames]);
        // A sample alone at full level in one lane (a SoundFont zone)
        // plays straight into its lane, which it fills: no clearing, no
        // copy.
        let alone = !stereo_lanes
            && matches!(patch.sources.as_slice(),
                [only] if matches!(only.waveform, Waveform::Sample(_)) && only.level == 1.0);
        if !alone {
            left.fill(0.0);
        }
        if stereo_lanes {
            right.fill(0.0);
        }
        let mut dest = Dest(left, right);
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
                    noise.render(tmp);
                    dest.add(0, tmp, source.level);
                    if stereo_lanes {
                        dest.add(1, tmp, source.level);
                    }
                }
                Kind::Sample => {
                    let hz_of = |s: usize| {
                        f64::from(frequency_hz)
                            * f64::from((pitch[s] + source.detune_cents / 100.0) / 12.0).exp2()
                    };
                    let step_frames = if pitch_moves { CONTROL_FRAMES } else { frames };
                    let tmp_right = &mut scratch.tmp_right[..frames];
                    let mut two = false;
                    let mut play = |out: &mut [f32], out_right: &mut [f32]| {
                        let sound = (sample.as_ref(), held, sr, stereo_lanes);
                        play_sample(
                            playhead,
                            sound,
                            hz_of,
                            step_frames,
                            (out, out_right),
                            &mut two,
                        )
                    };
                    let ended_at = if alone {
                        play(&mut *dest.0, tmp_right)
                    } else {
                        let tmp = &mut scratch.tmp[..frames];
                        let ended_at = play(&mut *tmp, &mut *tmp_right);
                        dest.add(0, tmp, source.level);
                        if stereo_lanes {
                            dest.add(1, if two { &*tmp_right } else { &*tmp }, source.level);
                        }
                        ended_at
                    };
                    if let (Some(at), 1) = (ended_at, patch.sources.len()) {
                        played = at;
                    }
                }
                Kind::Table(_) | Kind::Pulse(_) => {
                    let shape = match kind {
                        Kind::Table(shape) => shape,
                        _ => Shape::Saw,
                    };
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
                            let duty = match kind {
                                Kind::Pulse(duty) => Some(clamp_duty_cycle(duty + pulse[s])),
                                _ => None,
                            };
                            let Dest(left, right) = &mut dest;
                            let (l, r) = (&mut left[done..done + n], &mut right[done..done + n]);
                            if stereo_lanes {
                                let mut sink = AddStereo {
                                    left: l,
                                    right: r,
                                    gain,
                                    pan,
                                };
                                oscillate(ctx.tables, level, phase, increment, duty, &mut sink);
                            } else {
                                let mut sink = AddMono { mix: l, gain };
                                oscillate(ctx.tables, level, phase, increment, duty, &mut sink);
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
        // The voice's lanes (filtered lanes come back from the batch).
        let [l, r, ..] = split_two(&mut scratch.lanes, lane);
        let (l_lane, r_lane): (&[f32], &[f32]) = (&l[..frames], &r[..frames]);
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

/// Plays a sample source into `out` (and `out_right`, for a stereo lane of
/// a stereo sample) in steps of `step_frames` (a control segment each when
/// the pitch moves), each at the pitch of its segment (`hz_of`). What the
/// sample no longer reaches is silence; returns the frame where it ended,
/// if it did.
fn play_sample(
    playhead: &mut crate::sample::SamplePlayhead,
    (sample, held, sample_rate, stereo): (Option<&crate::SampleData>, bool, f32, bool),
    hz_of: impl Fn(usize) -> f64,
    step_frames: usize,
    (out, out_right): (&mut [f32], &mut [f32]),
    two_channels: &mut bool,
) -> Option<usize> {
    let frames = out.len().min(out_right.len());
    let mut done = 0;
    while done < frames {
        let n = step_frames.max(1).min(frames - done);
        let written = render_sample(
            playhead,
            sample,
            held,
            hz_of(done / CONTROL_FRAMES),
            sample_rate,
            stereo,
            (&mut out[done..done + n], &mut out_right[done..done + n]),
            two_channels,
        );
        if written < n {
            out[done + written..frames].fill(0.0);
            out_right[done + written..frames].fill(0.0);
            return Some(done + written);
        }
        done += n;
    }
    None
}
