//! The audio side of a voice: rendering one block into the mix.

use std::sync::atomic::Ordering::Relaxed;

use super::{SlotState, Source, Voice, SWEEP_SUB_BLOCK};
use crate::dsp::envelope::EnvelopePhase;
use crate::dsp::mix::{apply_ramp, AddMono, AddStereo, Gain, Gains, Sink, Write};
use crate::dsp::pan::pan_gains;
use crate::dsp::wavetable::{phase_increment, Shape, Spline, Wavetables};
use crate::engine::waveform::clamp_duty_cycle;
use crate::engine::MAX_BLOCK_FRAMES;

/// Scratch buffers of the audio side, one block long.
pub(crate) struct Scratch {
    left: [f32; MAX_BLOCK_FRAMES],
    right: [f32; MAX_BLOCK_FRAMES],
    pub(super) gain: [f32; MAX_BLOCK_FRAMES],
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scratch")
    }
}

impl Scratch {
    /// Zeroed scratch buffers.
    pub(crate) fn new() -> Self {
        Scratch {
            left: [0.0; MAX_BLOCK_FRAMES],
            right: [0.0; MAX_BLOCK_FRAMES],
            gain: [0.0; MAX_BLOCK_FRAMES],
        }
    }
}

/// Where a voice adds its block: one channel or two.
pub(crate) enum MixTarget<'a> {
    /// Mono: pan is ignored, stereo samples are mixed down.
    Mono(&'a mut [f32]),
    /// Separate left and right blocks of equal length.
    Stereo(&'a mut [f32], &'a mut [f32]),
}

impl Voice {
    /// Renders one block (at most [`MAX_BLOCK_FRAMES`] frames, the length of
    /// the target) and adds it to `target`. Returns `true` if the voice
    /// finished within the block (the caller then frees it).
    ///
    /// A band-limited oscillator renders, scales and mixes in one pass over
    /// the block (see [`crate::dsp::mix`]); while the envelope sustains and
    /// the amplitude and pan are settled, its gain is one number for the
    /// whole block. Noise and samples render into scratch, then mix.
    pub(crate) fn render(
        &mut self,
        sample_rate: f32,
        tables: &'static Wavetables,
        scratch: &mut Scratch,
        group_gain: (f32, f32),
        target: MixTarget<'_>,
    ) -> bool {
        let frames = match &target {
            MixTarget::Mono(m) => m.len(),
            MixTarget::Stereo(l, r) => l.len().min(r.len()),
        }
        .min(MAX_BLOCK_FRAMES);
        let Scratch { left, right, gain } = scratch;
        let (gain_buffer, left, right) = (
            &mut gain[..frames],
            &mut left[..frames],
            &mut right[..frames],
        );

        let frequency_hz = self.frequency_hz.load(Relaxed);
        if matches!(self.sweep, Some(s) if s.to_hz.to_bits() != frequency_hz.to_bits()) {
            self.sweep = None; // the frequency was set: it applies at once
        }
        let (gain, alive) = self.block_gain(gain_buffer, group_gain);

        if matches!(self.source, Source::Periodic(_) | Source::Pulse) {
            let scratch = (left, right);
            match gain {
                Gain::Constant(g) => {
                    self.mix_oscillator(frequency_hz, sample_rate, tables, g, target, scratch)
                }
                Gain::PerFrame(g) => {
                    self.mix_oscillator(frequency_hz, sample_rate, tables, g, target, scratch)
                }
            }
            return alive < frames;
        }

        // Noise and samples: render into scratch, then mix.
        let constant = match gain {
            Gain::Constant(g) => Some(g),
            Gain::PerFrame(_) => None, // already in `gain_buffer`
        };
        self.mix_buffered(
            frequency_hz,
            sample_rate,
            constant,
            gain_buffer,
            alive,
            target,
            (left, right),
        )
    }

    /// Runs the band-limited oscillator over the block and mixes it into
    /// `target` in the same pass, at `gain` (one value or one per frame,
    /// each compiled to its own loop), panned in a stereo mix. A pan that
    /// moves within the block goes through `scratch` instead.
    fn mix_oscillator<G: Gains>(
        &mut self,
        frequency_hz: f32,
        sample_rate: f32,
        tables: &'static Wavetables,
        gain: G,
        target: MixTarget<'_>,
        (left, right): (&mut [f32], &mut [f32]),
    ) {
        let frames = left.len();
        match target {
            MixTarget::Mono(mix) => {
                let mut sink = AddMono {
                    mix: &mut mix[..frames],
                    gain,
                };
                self.oscillate(frequency_hz, sample_rate, tables, &mut sink);
            }
            MixTarget::Stereo(mix_left, mix_right) => {
                let (p0, p1) = self.pan_slew.advance(self.pan.load(Relaxed), frames);
                if p0 == p1 {
                    let mut sink = AddStereo {
                        left: &mut mix_left[..frames],
                        right: &mut mix_right[..frames],
                        gain,
                        pan: pan_gains(p0),
                    };
                    self.oscillate(frequency_hz, sample_rate, tables, &mut sink);
                } else {
                    self.oscillate(frequency_hz, sample_rate, tables, &mut Write(left));
                    for (i, g) in right.iter_mut().enumerate() {
                        *g = gain.at(i);
                    }
                    let (l0, r0) = pan_gains(p0);
                    let (l1, r1) = pan_gains(p1);
                    mix_ramped(mix_left, left, right, l0, l1);
                    mix_ramped(mix_right, left, right, r0, r1);
                }
            }
        }
    }

    /// Renders the noise or sample into scratch (in sweep pieces when a
    /// sweep runs), then mixes it into `target` at `gain`. Returns whether
    /// the voice finished within the block.
    #[allow(clippy::too_many_arguments)]
    fn mix_buffered(
        &mut self,
        frequency_hz: f32,
        sample_rate: f32,
        constant_gain: Option<f32>,
        gain_buffer: &mut [f32],
        mut alive: usize,
        target: MixTarget<'_>,
        (left, right): (&mut [f32], &mut [f32]),
    ) -> bool {
        let frames = left.len();
        let stereo = matches!(target, MixTarget::Stereo(..));
        let mut two_channels = false;
        // Without a sweep the block is one piece at the control's frequency;
        // during one, pieces of SWEEP_SUB_BLOCK frames at their midpoints.
        let mut done = 0;
        while done < frames {
            let (n, hz) = self.next_piece(frames - done, frequency_hz);
            let range = done..done + n;
            let written = self.render_source(
                hz,
                sample_rate,
                stereo,
                &mut left[range.clone()],
                &mut right[range],
                &mut two_channels,
            );
            if written < n {
                alive = alive.min(done + written);
                left[done + n..].fill(0.0);
                right[done + n..].fill(0.0);
                break;
            }
            done += n;
        }
        if let Some(g) = constant_gain {
            gain_buffer.fill(g);
        }
        let gain: &[f32] = gain_buffer;
        match target {
            MixTarget::Mono(mix) => {
                for ((m, s), g) in mix.iter_mut().zip(left.iter()).zip(gain.iter()) {
                    *m += s * g;
                }
            }
            MixTarget::Stereo(mix_left, mix_right) => {
                let (p0, p1) = self.pan_slew.advance(self.pan.load(Relaxed), frames);
                let (l0, r0) = pan_gains(p0);
                let (l1, r1) = pan_gains(p1);
                let src_right: &[f32] = if two_channels { right } else { left };
                mix_ramped(mix_left, left, gain, l0, l1);
                mix_ramped(mix_right, src_right, gain, r0, r1);
            }
        }
        alive < frames
    }

    /// The voice's gain over the next `buffer.len()` frames (envelope ×
    /// smoothed amplitude × group volume × steal fade), advancing the envelope, the
    /// amplitude slew and the fade; and how many frames come before the
    /// voice falls silent for good (`buffer.len()` if it does not).
    ///
    /// While the envelope sustains and the amplitude holds still, the gain
    /// is one number, exactly what every frame of the buffer would hold;
    /// otherwise it is written into `buffer`.
    pub(super) fn block_gain<'b>(
        &mut self,
        buffer: &'b mut [f32],
        (g0, g1): (f32, f32),
    ) -> (Gain<'b>, usize) {
        let frames = buffer.len();
        let amplitude = self.amplitude.load(Relaxed);
        if matches!(self.amplitude_ramp, Some(bits) if bits != amplitude.to_bits()) {
            // The amplitude was set since the ramp began: the usual rate.
            self.amplitude_ramp = None;
            self.amplitude_slew.settle_rate();
        }
        let (mut a0, mut a1) = self.amplitude_slew.advance(amplitude, frames);
        if self.amplitude_slew.value() == amplitude {
            self.amplitude_ramp = None;
        }
        if (g0, g1) != (1.0, 1.0) {
            // Unity (every group by default) leaves the gain untouched.
            a0 *= g0;
            a1 *= g1;
        }
        if self.envelope.phase() == EnvelopePhase::Sustain
            && a0 == a1
            && self.state != SlotState::Fading
        {
            let level = self.envelope.level();
            // As `apply_ramp` would: unity is skipped, not multiplied.
            let gain = if a0 != 1.0 { level * a0 } else { level };
            return (Gain::Constant(gain), frames);
        }
        let mut alive = self.envelope.render(buffer);
        apply_ramp(buffer, a0, a1);
        if self.state == SlotState::Fading {
            let f0 = self.fade;
            let f1 = (f0 - self.fade_step * frames as f32).max(0.0);
            apply_ramp(buffer, f0, f1);
            self.fade = f1;
            if f1 <= 0.0 {
                let until_silent = (f0 / self.fade_step.max(f32::MIN_POSITIVE)).ceil() as usize;
                alive = alive.min(until_silent);
            }
        }
        (Gain::PerFrame(buffer), alive)
    }

    /// The next piece of a block with `left` frames to go: its length and
    /// frequency. Without a sweep, the rest of the block at the control's
    /// frequency; during one, up to [`SWEEP_SUB_BLOCK`] frames at their
    /// midpoint's frequency (advancing the sweep).
    fn next_piece(&mut self, left: usize, frequency_hz: f32) -> (usize, f64) {
        match &mut self.sweep {
            Some(s) => {
                let n = SWEEP_SUB_BLOCK
                    .min(left)
                    .min((s.frames - s.position) as usize);
                let hz = s.hz_at(f64::from(s.position) + (n as f64 - 1.0) / 2.0);
                s.position += n as u32;
                if s.position >= s.frames {
                    self.sweep = None;
                }
                (n, hz)
            }
            None => (left, f64::from(frequency_hz)),
        }
    }

    /// Runs the band-limited oscillator for `sink.len()` frames into
    /// `sink`.
    fn oscillate<S: Sink>(
        &mut self,
        frequency_hz: f32,
        sample_rate: f32,
        tables: &'static Wavetables,
        sink: &mut S,
    ) {
        if self.sweep.is_none() {
            let (increment, level) = self.level_for(frequency_hz, sample_rate, tables);
            self.play(tables, level, increment, sink);
            return;
        }
        let frames = sink.len();
        let mut done = 0;
        while done < frames {
            let (n, hz) = self.next_piece(frames - done, frequency_hz);
            let increment = phase_increment(hz, f64::from(sample_rate));
            let level = tables.level(self.table_shape(), increment);
            let mut piece = Offset {
                sink: &mut *sink,
                at: done,
                len: n,
            };
            self.play(tables, level, increment, &mut piece);
            done += n;
        }
    }

    fn play<S: Sink>(
        &mut self,
        tables: &'static Wavetables,
        level: Spline<'static>,
        increment: u32,
        sink: &mut S,
    ) {
        match self.source {
            Source::Pulse => {
                let duty = clamp_duty_cycle(self.duty_cycle.load(Relaxed));
                tables.play_pulse(level, &mut self.phase, increment, duty, sink);
            }
            _ => tables.play(level, &mut self.phase, increment, sink),
        }
    }

    /// The table a periodic source reads (a pulse reads the saw's).
    fn table_shape(&self) -> Shape {
        match self.source {
            Source::Periodic(shape) => shape,
            _ => Shape::Saw,
        }
    }

    /// The phase increment and table level for the control frequency,
    /// kept while the frequency holds.
    fn level_for(
        &mut self,
        frequency_hz: f32,
        sample_rate: f32,
        tables: &'static Wavetables,
    ) -> (u32, Spline<'static>) {
        match self.level_cache {
            Some((bits, increment, level)) if bits == frequency_hz.to_bits() => (increment, level),
            _ => {
                let increment = phase_increment(f64::from(frequency_hz), f64::from(sample_rate));
                let level = tables.level(self.table_shape(), increment);
                self.level_cache = Some((frequency_hz.to_bits(), increment, level));
                (increment, level)
            }
        }
    }

    /// Renders the noise or sample at `hz` into `left` (and `right` for a
    /// stereo sample in a stereo mix, setting `two_channels`). Returns the
    /// frames written: fewer than `left.len()` means the sample ended (the
    /// rest is silence).
    pub(super) fn render_source(
        &mut self,
        hz: f64,
        sample_rate: f32,
        stereo: bool,
        left: &mut [f32],
        right: &mut [f32],
        two_channels: &mut bool,
    ) -> usize {
        match self.source {
            Source::Periodic(_) | Source::Pulse => {
                unreachable!("band-limited oscillators render through `oscillate`")
            }
            Source::Noise => {
                self.noise.render(left);
                left.len()
            }
            Source::Sample => {
                let held = !self.is_releasing() && self.state == SlotState::Playing;
                render_sample(
                    &mut self.playhead,
                    self.sample.as_ref(),
                    held,
                    hz,
                    sample_rate,
                    stereo,
                    (left, right),
                    two_channels,
                )
            }
        }
    }
}

/// Plays `sample` at `hz` into `left` (and `right` for a stereo sample in a
/// stereo mix, setting `two_channels`), advancing `playhead`; `held` while
/// the note is held (for loops until release). Returns the frames written:
/// fewer than `left.len()` means the sample ended (the rest is silence).
#[allow(clippy::too_many_arguments)]
pub(super) fn render_sample(
    playhead: &mut crate::sample::SamplePlayhead,
    sample: Option<&crate::SampleData>,
    held: bool,
    hz: f64,
    sample_rate: f32,
    stereo: bool,
    (left, right): (&mut [f32], &mut [f32]),
    two_channels: &mut bool,
) -> usize {
    let Some(sample) = sample.filter(|_| !playhead.has_ended()) else {
        left.fill(0.0);
        return 0;
    };
    let step = hz / f64::from(sample.base_frequency_hz()) * f64::from(sample.sample_rate())
        / f64::from(sample_rate);
    if step.is_finite() && step > 0.0 {
        let r = if stereo && sample.channels() == 2 {
            *two_channels = true;
            Some(right)
        } else {
            None
        };
        playhead.render(sample, step, held, left, r)
    } else {
        left.fill(0.0);
        0
    }
}

/// Passes `len` frames on to `sink`, `at` frames later (a piece of a
/// block).
struct Offset<'s, S: Sink> {
    sink: &'s mut S,
    at: usize,
    len: usize,
}

impl<S: Sink> Sink for Offset<'_, S> {
    #[inline(always)]
    fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    fn put8(&mut self, i: usize, y: [f32; 8]) {
        self.sink.put8(self.at + i, y);
    }

    #[inline(always)]
    fn put1(&mut self, i: usize, y: f32) {
        self.sink.put1(self.at + i, y);
    }
}

/// `mix += source × gain × (line from start toward end)`.
fn mix_ramped(mix: &mut [f32], source: &[f32], gain: &[f32], start: f32, end: f32) {
    if start == end {
        for ((m, s), g) in mix.iter_mut().zip(source).zip(gain) {
            *m += s * g * start;
        }
        return;
    }
    let step = (end - start) / mix.len() as f32;
    for (i, ((m, s), g)) in mix.iter_mut().zip(source).zip(gain).enumerate() {
        *m += s * g * (start + step * i as f32);
    }
}
