//! `Voice`: one slot of the pool — its controls (atomics the controller side
//! writes) and its audio state (what the audio side advances each block).

use std::sync::atomic::Ordering::Relaxed;

use super::note::Note;
use super::waveform::{clamp_duty_cycle, Waveform};
use super::{AtomicF32, VoiceId, MAX_BLOCK_FRAMES};
use crate::dsp::envelope::{EnvelopePhase, EnvelopeState};
use crate::dsp::mix::{AddMono, AddStereo, Gain, Sink, Write};
use crate::dsp::noise::NoiseSource;
use crate::dsp::pan::pan_gains;
use crate::dsp::slew::Slew;
use crate::dsp::wavetable::{phase_increment, Shape, Spline, Wavetables};
use crate::sample::SamplePlayhead;
use crate::SampleData;

/// Seconds a parameter takes to slew across its whole range (amplitude 0 to
/// 1, pan -1 to 1, master volume 0 to 1): fast enough to feel immediate, slow
/// enough to never click.
pub(crate) const PARAMETER_RAMP_SECS: f32 = 0.005;

/// Seconds a stolen note takes to fade out.
pub(crate) const STEAL_FADE_SECS: f32 = 0.004;

/// Frames per oscillator call while a voice sweeps its frequency. Each
/// sub-block runs at the frequency of its midpoint, which for a linear sweep
/// makes the phase at every sub-block boundary exactly the integral of the
/// frequency; within a sub-block the phase strays by less than
/// `Δf·16²/8` cycles (Δf per frame), far below anything audible.
pub(crate) const SWEEP_SUB_BLOCK: usize = 16;

/// What a slot is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SlotState {
    /// Silent, ready for a new note.
    Free,
    /// Sounding a note that its id controls.
    Playing,
    /// Sounding the tail of a stolen note (no id any more), fading to
    /// silence within [`STEAL_FADE_SECS`].
    Fading,
}

/// The oscillator a voice runs, decided once per note.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    Periodic(Shape),
    Pulse,
    Noise,
    Sample,
}

/// A linear frequency sweep in progress (audio side only).
#[derive(Clone, Copy, Debug)]
struct Sweep {
    from_hz: f64,
    /// The sweep's target, which the voice's frequency control holds while
    /// it runs; a control that no longer holds it means someone set the
    /// frequency, which ends the sweep.
    to_hz: f32,
    frames: u32,
    position: u32,
}

impl Sweep {
    /// The frequency at `frame` (fractional) frames into the sweep.
    fn hz_at(&self, frame: f64) -> f64 {
        let t = (frame / f64::from(self.frames)).clamp(0.0, 1.0);
        self.from_hz + (f64::from(self.to_hz) - self.from_hz) * t
    }
}

/// Scratch buffers of the audio side, one block long.
pub(crate) struct Scratch {
    left: [f32; MAX_BLOCK_FRAMES],
    right: [f32; MAX_BLOCK_FRAMES],
    gain: [f32; MAX_BLOCK_FRAMES],
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

/// One voice of the pool.
///
/// Its controls are atomics, so the engine's setters take `&self` and a
/// voice can be inspected while it plays. Read a voice through
/// [`RealtimeEngine::voice`](crate::RealtimeEngine::voice).
///
/// ```
/// use polyphonica::{AdsrEnvelope, EnvelopePhase, RealtimeEngine, Waveform};
///
/// let mut engine = RealtimeEngine::new(48_000.0);
/// let id = engine.trigger_note(Waveform::Triangle, 330.0, AdsrEnvelope::default()).unwrap();
/// engine.set_voice_amplitude(id, 0.5);
/// let voice = engine.voice(id).unwrap();
/// assert_eq!(voice.id(), Some(id));
/// assert_eq!(voice.frequency_hz(), 330.0);
/// assert_eq!(voice.amplitude(), 0.5);
/// assert_eq!(voice.envelope_phase(), EnvelopePhase::Attack);
/// ```
#[derive(Debug)]
pub struct Voice {
    frequency_hz: AtomicF32,
    amplitude: AtomicF32,
    pan: AtomicF32,
    duty_cycle: AtomicF32,
    pub(crate) id: Option<VoiceId>,
    pub(crate) state: SlotState,
    /// Order of the note's trigger (larger = younger).
    pub(crate) started: u64,
    source: Source,
    phase: u32,
    noise: NoiseSource,
    playhead: SamplePlayhead,
    pub(crate) sample: Option<SampleData>,
    envelope: EnvelopeState,
    sweep: Option<Sweep>,
    amplitude_slew: Slew,
    pan_slew: Slew,
    /// Gain of a stolen note's fade-out, 1.0 until stolen.
    fade: f32,
    fade_step: f32,
    /// The frequency (bits) the oscillator last played at without a sweep,
    /// with its phase increment and table level.
    level_cache: Option<(u32, u32, Spline<'static>)>,
}

impl Voice {
    pub(crate) fn new(sample_rate: f32) -> Self {
        let ramp_frames = PARAMETER_RAMP_SECS * sample_rate;
        Voice {
            frequency_hz: AtomicF32::new(0.0),
            amplitude: AtomicF32::new(1.0),
            pan: AtomicF32::new(0.0),
            duty_cycle: AtomicF32::new(0.5),
            id: None,
            state: SlotState::Free,
            started: 0,
            source: Source::Periodic(Shape::Sine),
            phase: 0,
            noise: NoiseSource::new(0),
            playhead: SamplePlayhead::new(),
            sample: None,
            envelope: EnvelopeState::new(&Default::default(), sample_rate),
            sweep: None,
            amplitude_slew: Slew::new(1.0, 1.0, ramp_frames),
            pan_slew: Slew::new(0.0, 2.0, ramp_frames),
            fade: 1.0,
            fade_step: 0.0,
            level_cache: None,
        }
    }

    /// The id of the note this voice plays, or `None` when it is free or
    /// fading out a stolen note.
    pub fn id(&self) -> Option<VoiceId> {
        self.id
    }

    /// Whether the voice plays a note that its id still controls.
    pub fn is_active(&self) -> bool {
        self.state == SlotState::Playing
    }

    /// The frequency last set, in Hz (during a sweep, the frequency the
    /// sweep ends at).
    pub fn frequency_hz(&self) -> f32 {
        self.frequency_hz.load(Relaxed)
    }

    /// The amplitude last set (the target; changes are smoothed).
    pub fn amplitude(&self) -> f32 {
        self.amplitude.load(Relaxed)
    }

    /// The pan last set, -1 (left) to 1 (right).
    pub fn pan(&self) -> f32 {
        self.pan.load(Relaxed)
    }

    /// The pulse duty cycle last set (only `Waveform::Pulse` uses it).
    pub fn duty_cycle(&self) -> f32 {
        self.duty_cycle.load(Relaxed)
    }

    /// The phase of the note's envelope.
    pub fn envelope_phase(&self) -> EnvelopePhase {
        self.envelope.phase()
    }

    /// The note's envelope.
    pub fn envelope(&self) -> &EnvelopeState {
        &self.envelope
    }

    pub(crate) fn set_frequency_hz(&self, frequency_hz: f32) {
        self.frequency_hz.store(frequency_hz, Relaxed);
    }

    pub(crate) fn set_amplitude(&self, amplitude: f32) {
        self.amplitude.store(amplitude, Relaxed);
    }

    pub(crate) fn set_pan(&self, pan: f32) {
        self.pan.store(pan, Relaxed);
    }

    pub(crate) fn set_duty_cycle(&self, duty_cycle: f32) {
        self.duty_cycle.store(duty_cycle, Relaxed);
    }

    /// Starts `note` (already validated and clamped) in this slot. Returns the
    /// sample the slot held before, which the caller must retire (never drop
    /// it on the audio side).
    pub(crate) fn start(
        &mut self,
        id: VoiceId,
        started: u64,
        note: Note,
        sample_rate: f32,
        noise_seed: u64,
    ) -> Option<SampleData> {
        self.id = Some(id);
        self.state = SlotState::Playing;
        self.started = started;
        self.set_frequency_hz(note.frequency_hz);
        self.set_amplitude(note.amplitude);
        self.set_pan(note.pan);
        self.amplitude_slew.reset(note.amplitude);
        self.pan_slew.reset(note.pan);
        self.fade = 1.0;
        self.fade_step = 0.0;
        self.phase = 0;
        self.sweep = None;
        self.level_cache = None;
        self.envelope = EnvelopeState::new(&note.envelope, sample_rate);
        let mut new_sample = None;
        self.source = match note.waveform {
            Waveform::Sine => Source::Periodic(Shape::Sine),
            Waveform::Square => Source::Periodic(Shape::Square),
            Waveform::Sawtooth => Source::Periodic(Shape::Saw),
            Waveform::Triangle => Source::Periodic(Shape::Triangle),
            Waveform::Pulse { duty_cycle } => {
                self.set_duty_cycle(clamp_duty_cycle(duty_cycle));
                Source::Pulse
            }
            Waveform::Noise => {
                self.noise = NoiseSource::for_voice(noise_seed, id.raw());
                Source::Noise
            }
            Waveform::Sample(data) => {
                self.playhead = SamplePlayhead::new();
                new_sample = Some(data);
                Source::Sample
            }
        };
        std::mem::replace(&mut self.sample, new_sample)
    }

    /// Starts a linear sweep from the current frequency to `to_hz` (already
    /// clamped) over the next `frames` frames; 0 frames jumps at once. The
    /// frequency of frame `k` of the sweep is `from + (to - from)·k/frames`.
    pub(crate) fn sweep_to(&mut self, to_hz: f32, frames: u32) {
        let from_hz = self.current_hz(self.frequency_hz());
        self.set_frequency_hz(to_hz);
        self.sweep = (frames > 0).then_some(Sweep {
            from_hz,
            to_hz,
            frames,
            position: 0,
        });
    }

    /// The frequency the next frame plays at, given the control's value:
    /// the sweep's if one runs and the control still holds its target.
    fn current_hz(&self, control_hz: f32) -> f64 {
        match self.sweep {
            Some(s) if s.to_hz.to_bits() == control_hz.to_bits() => s.hz_at(f64::from(s.position)),
            _ => f64::from(control_hz),
        }
    }

    /// Starts the release of the note.
    pub(crate) fn release(&mut self) {
        self.envelope.release();
    }

    /// Whether the note is in its release (or done).
    pub(crate) fn is_releasing(&self) -> bool {
        matches!(
            self.envelope.phase(),
            EnvelopePhase::Release | EnvelopePhase::Finished
        )
    }

    /// Turns the note into a tail fading out over `fade_frames` frames; its
    /// id goes stale at once.
    pub(crate) fn steal(&mut self, fade_frames: f32) {
        self.id = None;
        self.state = SlotState::Fading;
        self.fade_step = self.fade / fade_frames.max(1.0);
    }

    /// The gain a fading tail still has (1.0 for a playing note).
    pub(crate) fn fade_level(&self) -> f32 {
        self.fade
    }

    /// Frees the slot at once; returns the sample it held, for retiring.
    pub(crate) fn silence(&mut self) -> Option<SampleData> {
        self.id = None;
        self.state = SlotState::Free;
        self.sample.take()
    }

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
        let (gain, mut alive) = self.block_gain(gain_buffer);

        if matches!(self.source, Source::Periodic(_) | Source::Pulse) {
            match (target, gain) {
                (MixTarget::Mono(mix), Gain::Constant(gain)) => {
                    let mut sink = AddMono {
                        mix: &mut mix[..frames],
                        gain,
                    };
                    self.oscillate(frequency_hz, sample_rate, tables, &mut sink);
                }
                (MixTarget::Mono(mix), Gain::PerFrame(gain)) => {
                    let mut sink = AddMono {
                        mix: &mut mix[..frames],
                        gain,
                    };
                    self.oscillate(frequency_hz, sample_rate, tables, &mut sink);
                }
                (MixTarget::Stereo(mix_left, mix_right), gain) => {
                    let (p0, p1) = self.pan_slew.advance(self.pan.load(Relaxed), frames);
                    if p0 == p1 {
                        let pan = pan_gains(p0);
                        let (left, right) = (&mut mix_left[..frames], &mut mix_right[..frames]);
                        match gain {
                            Gain::Constant(gain) => {
                                let mut sink = AddStereo {
                                    left,
                                    right,
                                    gain,
                                    pan,
                                };
                                self.oscillate(frequency_hz, sample_rate, tables, &mut sink);
                            }
                            Gain::PerFrame(gain) => {
                                let mut sink = AddStereo {
                                    left,
                                    right,
                                    gain,
                                    pan,
                                };
                                self.oscillate(frequency_hz, sample_rate, tables, &mut sink);
                            }
                        }
                    } else {
                        self.oscillate(frequency_hz, sample_rate, tables, &mut Write(left));
                        let gain: &[f32] = match gain {
                            Gain::Constant(g) => {
                                right.fill(g);
                                right
                            }
                            Gain::PerFrame(g) => g,
                        };
                        let (l0, r0) = pan_gains(p0);
                        let (l1, r1) = pan_gains(p1);
                        mix_ramped(mix_left, left, gain, l0, l1);
                        mix_ramped(mix_right, left, gain, r0, r1);
                    }
                }
            }
            return alive < frames;
        }

        // Noise and samples: render into scratch, then mix.
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
        let gain: &[f32] = match gain {
            Gain::Constant(g) => {
                gain_buffer.fill(g);
                gain_buffer
            }
            Gain::PerFrame(_) => gain_buffer,
        };
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
    /// smoothed amplitude × steal fade), advancing the envelope, the
    /// amplitude slew and the fade; and how many frames come before the
    /// voice falls silent for good (`buffer.len()` if it does not).
    ///
    /// While the envelope sustains and the amplitude holds still, the gain
    /// is one number, exactly what every frame of the buffer would hold;
    /// otherwise it is written into `buffer`.
    fn block_gain<'b>(&mut self, buffer: &'b mut [f32]) -> (Gain<'b>, usize) {
        let frames = buffer.len();
        let (a0, a1) = self
            .amplitude_slew
            .advance(self.amplitude.load(Relaxed), frames);
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
    fn render_source(
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
                let Some(sample) = self.sample.as_ref().filter(|_| !self.playhead.has_ended())
                else {
                    left.fill(0.0);
                    return 0;
                };
                let step = hz / f64::from(sample.base_frequency_hz())
                    * f64::from(sample.sample_rate())
                    / f64::from(sample_rate);
                if step.is_finite() && step > 0.0 {
                    let r = if stereo && sample.channels() == 2 {
                        *two_channels = true;
                        Some(right)
                    } else {
                        None
                    };
                    self.playhead.render(sample, step, held, left, r)
                } else {
                    left.fill(0.0);
                    0
                }
            }
        }
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

/// Multiplies `gain` by a line from `start` (first frame) toward `end` (the
/// frame after the block).
fn apply_ramp(gain: &mut [f32], start: f32, end: f32) {
    if start == end {
        if start != 1.0 {
            for g in gain.iter_mut() {
                *g *= start;
            }
        }
        return;
    }
    let step = (end - start) / gain.len() as f32;
    for (i, g) in gain.iter_mut().enumerate() {
        *g *= start + step * i as f32;
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
