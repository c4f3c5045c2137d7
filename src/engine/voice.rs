//! `Voice`: one slot of the pool — its controls (atomics the controller side
//! writes) and its audio state (what the audio side advances each block).

use std::sync::atomic::Ordering::Relaxed;

use super::note::Note;
use super::waveform::{clamp_duty_cycle, Waveform};
use super::{AtomicF32, VoiceId, MAX_BLOCK_FRAMES};
use crate::dsp::envelope::{EnvelopePhase, EnvelopeState};
use crate::dsp::noise::NoiseSource;
use crate::dsp::pan::pan_gains;
use crate::dsp::slew::Slew;
use crate::dsp::wavetable::{phase_increment, Shape, Wavetables};
use crate::sample::SamplePlayhead;
use crate::SampleData;

/// Seconds a parameter takes to slew across its whole range (amplitude 0 to
/// 1, pan -1 to 1, master volume 0 to 1): fast enough to feel immediate, slow
/// enough to never click.
pub(crate) const PARAMETER_RAMP_SECS: f32 = 0.005;

/// Seconds a stolen note takes to fade out.
pub(crate) const STEAL_FADE_SECS: f32 = 0.004;

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

/// Scratch buffers on the audio side's stack, one block long.
pub(crate) struct Scratch {
    left: [f32; MAX_BLOCK_FRAMES],
    right: [f32; MAX_BLOCK_FRAMES],
    gain: [f32; MAX_BLOCK_FRAMES],
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
    amplitude_slew: Slew,
    pan_slew: Slew,
    /// Gain of a stolen note's fade-out, 1.0 until stolen.
    fade: f32,
    fade_step: f32,
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
            amplitude_slew: Slew::new(1.0, 1.0, ramp_frames),
            pan_slew: Slew::new(0.0, 2.0, ramp_frames),
            fade: 1.0,
            fade_step: 0.0,
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

    /// The frequency last set, in Hz.
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
                self.noise = NoiseSource::new(id.raw());
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
    pub(crate) fn render(
        &mut self,
        sample_rate: f32,
        tables: &Wavetables,
        scratch: &mut Scratch,
        target: MixTarget<'_>,
    ) -> bool {
        let frames = match &target {
            MixTarget::Mono(m) => m.len(),
            MixTarget::Stereo(l, r) => l.len().min(r.len()),
        }
        .min(MAX_BLOCK_FRAMES);
        let stereo = matches!(target, MixTarget::Stereo(..));
        let gain = &mut scratch.gain[..frames];
        let left = &mut scratch.left[..frames];
        let right = &mut scratch.right[..frames];

        let mut alive = self.envelope.render(gain);

        let frequency_hz = self.frequency_hz.load(Relaxed);
        let mut two_channels = false;
        match self.source {
            Source::Periodic(shape) => {
                let inc = phase_increment(f64::from(frequency_hz), f64::from(sample_rate));
                tables.render(shape, &mut self.phase, inc, left);
            }
            Source::Pulse => {
                let inc = phase_increment(f64::from(frequency_hz), f64::from(sample_rate));
                let duty = clamp_duty_cycle(self.duty_cycle.load(Relaxed));
                tables.render_pulse(&mut self.phase, inc, duty, left);
            }
            Source::Noise => self.noise.render(left),
            Source::Sample => {
                if let Some(sample) = &self.sample {
                    let step = f64::from(frequency_hz) / f64::from(sample.base_frequency_hz())
                        * f64::from(sample.sample_rate())
                        / f64::from(sample_rate);
                    let held = !self.is_releasing() && self.state == SlotState::Playing;
                    let written = if step.is_finite() && step > 0.0 {
                        let r = if stereo && sample.channels() == 2 {
                            two_channels = true;
                            Some(&mut *right)
                        } else {
                            None
                        };
                        self.playhead.render(sample, step, held, left, r)
                    } else {
                        left.fill(0.0);
                        0
                    };
                    alive = alive.min(written);
                } else {
                    alive = 0;
                }
            }
        }

        // Per-frame gain: envelope × smoothed amplitude × steal fade.
        let (a0, a1) = self
            .amplitude_slew
            .advance(self.amplitude.load(Relaxed), frames);
        apply_ramp(gain, a0, a1);
        if self.state == SlotState::Fading {
            let f0 = self.fade;
            let f1 = (f0 - self.fade_step * frames as f32).max(0.0);
            apply_ramp(gain, f0, f1);
            self.fade = f1;
            if f1 <= 0.0 {
                let until_silent = (f0 / self.fade_step.max(f32::MIN_POSITIVE)).ceil() as usize;
                alive = alive.min(until_silent);
            }
        }

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
