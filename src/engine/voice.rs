//! `Voice`: one slot of the pool — its controls (atomics the controller side
//! writes) and its audio state (what the audio side advances each block).

use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use super::note::Note;
use super::waveform::{clamp_duty_cycle, Waveform};
use super::{AtomicF32, VoiceId};
use crate::dsp::envelope::{EnvelopePhase, EnvelopeState};
use crate::dsp::noise::NoiseSource;
use crate::dsp::slew::Slew;
use crate::dsp::wavetable::{Shape, Spline};
use crate::patch::Patch;

/// The quietest gain a voice's decibel envelope renders before it ends:
/// −96 dB, a 16-bit output's least step.
const NOISE_FLOOR: f32 = 1.585e-5;
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

mod patched;
mod render;

pub(crate) use patched::{
    ChannelControls, FilterFamily, NoteTimes, PatchContext, PatchScratch, PatchVoice,
};
pub(crate) use render::{MixTarget, Scratch};

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
    /// The group the note belongs to (`0..GROUPS`).
    pub(crate) group: u8,
    /// The note's own effect sends (reverb, chorus, delay), and the levels
    /// the last block ended at (they ramp over a block to a new value).
    pub(crate) sends: [f32; 3],
    pub(crate) sends_now: [f32; 3],
    /// The amplitude an amplitude ramp is heading for (bits), while one
    /// runs; a different control value means it was replaced.
    amplitude_ramp: Option<u32>,
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
    /// The patch of the note (kept after the note ends, until the slot
    /// starts another, so it is never freed here).
    pub(crate) patch: Option<Arc<Patch>>,
    /// A patched note's state, allocated with the voice and reused by each
    /// patched note; `is_patched` says whether the note is one.
    patched: Box<PatchVoice>,
    is_patched: bool,
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
            group: 0,
            sends: [0.0; 3],
            sends_now: [0.0; 3],
            amplitude_ramp: None,
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
            patch: None,
            patched: Box::new(PatchVoice::idle(sample_rate)),
            is_patched: false,
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

    /// The group the note belongs to.
    pub fn group(&self) -> u8 {
        self.group
    }

    /// The note's own effect sends (its group's come on top).
    pub fn sends(&self) -> crate::fx::Sends {
        crate::fx::Sends::from_levels(self.sends)
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
    /// sample and the patch the slot held before, which the caller must
    /// retire (never drop them on the audio side). `clock_frames` is the
    /// engine's frame count (for free-running LFOs).
    pub(crate) fn start(
        &mut self,
        id: VoiceId,
        started: u64,
        mut note: Note,
        sample_rate: f32,
        noise_seed: u64,
        clock_frames: u64,
    ) -> (Option<SampleData>, Option<Arc<Patch>>) {
        let old_patch = self.patch.take();
        self.is_patched = false;
        // A patched note's own envelope times, else its patch's.
        let delay_hold_secs = note.patch.as_ref().map_or((0.0, 0.0), |p| {
            note.delay_hold_secs.unwrap_or((p.delay_secs, p.hold_secs))
        });
        if let Some(patch) = note.patch.take() {
            if patch.is_plain() && delay_hold_secs == (0.0, 0.0) {
                let v = patch.velocity_to_gain;
                note.amplitude *= 1.0 - v + v * note.velocity;
            } else {
                let seed = noise_seed ^ id.raw().wrapping_mul(0x9E37_79B9_7F4A_7C15);
                self.is_patched = true;
                // Replacing the old state drops its reference to the old
                // patch, which `old_patch` still holds: nothing is freed.
                *self.patched = PatchVoice::new(
                    Arc::clone(&patch),
                    NoteTimes::for_note(&note, &patch),
                    match note.midi_key {
                        Some(key) => (f32::from(key) - 60.0) / 12.0,
                        None => (note.frequency_hz / 261.625_57).log2().clamp(-10.0, 10.0),
                    },
                    note.velocity,
                    note.channel,
                    seed,
                    sample_rate,
                    clock_frames,
                );
            }
            self.patch = Some(patch);
        }
        self.id = Some(id);
        self.state = SlotState::Playing;
        self.started = started;
        self.group = note.group;
        self.sends = note.sends.levels();
        self.sends_now = [f32::NAN; 3]; // set from the group's at the first block
        self.amplitude_ramp = None;
        self.amplitude_slew.settle_rate();
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
        self.envelope = match &self.patch {
            Some(p) if self.is_patched => EnvelopeState::with_delay_hold(
                &note.envelope,
                p.envelope_curve,
                delay_hold_secs.0,
                delay_hold_secs.1,
                sample_rate,
            )
            .with_floor(NOISE_FLOOR / note.amplitude.max(NOISE_FLOOR)),
            _ => EnvelopeState::new(&note.envelope, sample_rate),
        };
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
                self.playhead = SamplePlayhead::at_frame(note.sample_start_frame)
                    .ending_at(note.sample_end_frame);
                new_sample = Some(data);
                Source::Sample
            }
        };
        (std::mem::replace(&mut self.sample, new_sample), old_patch)
    }

    /// The patched note's state, if the note is patched.
    pub(crate) fn patched(&self) -> Option<&PatchVoice> {
        self.is_patched.then_some(&*self.patched)
    }

    /// The patched note's state, if the note is patched.
    pub(crate) fn patched_mut(&mut self) -> Option<&mut PatchVoice> {
        if self.is_patched {
            Some(&mut self.patched)
        } else {
            None
        }
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

    /// Ramps the amplitude linearly to `to` (already clamped) over `frames`
    /// frames from where it is now.
    pub(crate) fn ramp_amplitude(&mut self, to: f32, frames: u32) {
        self.set_amplitude(to);
        self.amplitude_slew.glide(to, frames);
        self.amplitude_ramp = Some(to.to_bits());
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
}
