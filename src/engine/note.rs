//! `Note`: everything a trigger needs, validated in one place.

use std::sync::Arc;

use super::waveform::{clamp_duty_cycle, Waveform};
use super::GROUPS;
use crate::fx::Sends;
use crate::patch::{finite_clamp, Patch};
use crate::{AdsrEnvelope, SampleData};

/// The frequency ratio of `semitones` in equal temperament.
pub(crate) fn semitones_to_ratio(semitones: f32) -> f32 {
    (semitones / 12.0).exp2()
}

/// A note to start: what it plays, at which pitch, shaped how, how loud and
/// where in the stereo field.
///
/// [`RealtimeEngine::trigger_note`](crate::RealtimeEngine::trigger_note) is
/// the short form for amplitude 1 and centre pan;
/// [`RealtimeEngine::trigger`](crate::RealtimeEngine::trigger) takes a
/// `Note`.
///
/// ```
/// use polyphonica::{AdsrEnvelope, Note, RealtimeEngine, Waveform};
///
/// let mut engine = RealtimeEngine::new(48_000.0);
/// let note = Note::new(Waveform::Sawtooth, 110.0, AdsrEnvelope::default())
///     .with_amplitude(0.3)
///     .with_pan(-0.5);
/// let id = engine.trigger(note).unwrap();
/// assert_eq!(engine.voice(id).unwrap().pan(), -0.5);
/// ```
#[derive(Clone, Debug)]
pub struct Note {
    /// The sound source.
    pub waveform: Waveform,
    /// Pitch in Hz; clamped to the engine's Nyquist frequency.
    pub frequency_hz: f32,
    /// The ADSR envelope.
    pub envelope: AdsrEnvelope,
    /// Level, `0.0..=1.0` (clamped).
    pub amplitude: f32,
    /// Stereo position, -1 (left) to 1 (right) (clamped).
    pub pan: f32,
    /// The group the note belongs to, `0..`[`GROUPS`] (a larger number
    /// counts as the last group). Group 0 by default.
    pub group: u8,
    /// How much of the note goes to the reverb, chorus and delay (none by
    /// default).
    pub sends: Sends,
    /// How hard the note is played, `0.0..=1.0` (clamped; 1 by default;
    /// MIDI velocity / 127). A patch's note scales its gain by it (see
    /// [`Patch::with_velocity_to_gain`]) and its matrix can route it
    /// anywhere; a note without a patch ignores it.
    pub velocity: f32,
    /// The channel (`0..16`) whose controllers, pressure and pitch bend
    /// reach the note's modulation matrix (0 by default).
    pub channel: u8,
    /// The patch the note plays, if any (see [`Note::from_patch`]).
    pub patch: Option<Arc<Patch>>,
    /// For a sample, the frame its playback starts at (0, the default:
    /// its first; past its end, the note ends at once). A loop still loops
    /// where it is.
    pub sample_start_frame: usize,
    /// The MIDI key (0 to 127; clamped) that a patch's
    /// [`ModSource::Key`](crate::patch::ModSource::Key) reads for this
    /// note; `None` (the default) reads the key of its frequency. A
    /// SoundFont note plays its zone's sample at a frequency that is not
    /// its key's, and sets it.
    pub midi_key: Option<u8>,
    /// For a patched note, its amplitude envelope's delay and hold in
    /// seconds (`0.0..=3600.0`, clamped), in place of the patch's
    /// ([`Patch::with_delay_hold`]); `None` (the default) keeps the
    /// patch's. A note without a patch ignores it.
    pub delay_hold_secs: Option<(f32, f32)>,
    /// For a patched note, its modulation envelope in place of the
    /// patch's ([`Patch::with_mod_envelope`]); `None` (the default, and
    /// what an envelope with a non-finite field becomes) keeps the
    /// patch's.
    pub mod_envelope: Option<AdsrEnvelope>,
    /// For a patched note, its modulation envelope's delay and hold in
    /// place of the patch's ([`Patch::with_mod_delay_hold`]), as
    /// `delay_hold_secs`.
    pub mod_delay_hold_secs: Option<(f32, f32)>,
    /// For a patched note, how long LFO 1 and LFO 2 stay still before they
    /// move, in seconds (`0.0..=3600.0`, clamped), in place of the patch's
    /// ([`Lfo::with_delay`](crate::patch::Lfo::with_delay)); `None` keeps
    /// the patch's.
    pub lfo_delays_secs: Option<[f32; 2]>,
    /// For a sample, the frame its playback ends at (`None`, the default:
    /// the end of its data; a frame past it counts as that end).
    pub sample_end_frame: Option<usize>,
}

impl Note {
    /// A note at amplitude 1, centred.
    pub fn new(waveform: Waveform, frequency_hz: f32, envelope: AdsrEnvelope) -> Self {
        Note {
            waveform,
            frequency_hz,
            envelope,
            amplitude: 1.0,
            pan: 0.0,
            group: 0,
            sends: Sends::default(),
            velocity: 1.0,
            channel: 0,
            patch: None,
            sample_start_frame: 0,
            midi_key: None,
            delay_hold_secs: None,
            mod_envelope: None,
            mod_delay_hold_secs: None,
            lfo_delays_secs: None,
            sample_end_frame: None,
        }
    }

    /// A note of `patch` at `frequency_hz`: its first source as the
    /// waveform, its envelope and its sends.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use polyphonica::patch::{Filter, Patch};
    /// use polyphonica::{Note, Waveform};
    /// let patch = Arc::new(Patch::new(Waveform::Sawtooth).with_filter(Filter::lowpass(800.0, 0.2)));
    /// let note = Note::from_patch(&patch, 110.0).with_velocity(0.5);
    /// assert_eq!(note.velocity, 0.5);
    /// ```
    pub fn from_patch(patch: &Arc<Patch>, frequency_hz: f32) -> Self {
        let sources = patch.sources();
        let waveform = sources
            .iter()
            .find(|s| matches!(s.waveform, Waveform::Sample(_)))
            .unwrap_or(&sources[0])
            .waveform
            .clone();
        Note {
            sends: patch.sends(),
            patch: Some(Arc::clone(patch)),
            ..Note::new(waveform, frequency_hz, patch.envelope())
        }
    }

    /// The same note at `velocity` (0 to 1).
    pub fn with_velocity(mut self, velocity: f32) -> Self {
        self.velocity = velocity;
        self
    }

    /// The same note with its own amplitude envelope delay and hold
    /// (see [`Note::delay_hold_secs`]): one note of a patch can wait or
    /// hold longer than another, as a SoundFont's velocity and key
    /// modulators ask.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use polyphonica::patch::Patch;
    /// use polyphonica::{AdsrEnvelope, Note, RealtimeEngine, Waveform};
    /// let patch = Arc::new(Patch::new(Waveform::Sine));
    /// let note = Note::from_patch(&patch, 440.0)
    ///     .with_delay_hold(0.5, 0.0)
    ///     .with_mod_envelope(AdsrEnvelope::new(0.2, 0.3, 0.5, 1.0))
    ///     .with_mod_delay_hold(0.0, 0.1);
    /// assert_eq!(note.delay_hold_secs, Some((0.5, 0.0)));
    /// // Delayed by half a second: the first block is silent.
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// engine.trigger(note).unwrap();
    /// let mut block = [0.0f32; 512];
    /// engine.process_buffer(&mut block);
    /// assert!(block.iter().all(|&s| s == 0.0));
    /// ```
    pub fn with_delay_hold(mut self, delay_secs: f32, hold_secs: f32) -> Self {
        self.delay_hold_secs = Some((delay_secs, hold_secs));
        self
    }

    /// The same note with its own modulation envelope (see
    /// [`Note::mod_envelope`]; an example is at [`Note::with_delay_hold`]).
    pub fn with_mod_envelope(mut self, envelope: AdsrEnvelope) -> Self {
        self.mod_envelope = Some(envelope);
        self
    }

    /// The same note with its own modulation envelope delay and hold (see
    /// [`Note::mod_delay_hold_secs`]).
    pub fn with_mod_delay_hold(mut self, delay_secs: f32, hold_secs: f32) -> Self {
        self.mod_delay_hold_secs = Some((delay_secs, hold_secs));
        self
    }

    /// The same note starting its sample at `frame` (see
    /// [`Note::sample_start_frame`]).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, Note, RealtimeEngine, SampleData};
    /// let ramp: Vec<f32> = (0..1000).map(|i| i as f32 / 1000.0).collect();
    /// let sample = SampleData::from_mono(ramp, 48_000)?;
    /// let hold = AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0);
    /// let note = Note::sample_at_rate(sample, 1.0, hold).with_sample_start_frame(500);
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// engine.trigger(note.with_amplitude(0.5)).unwrap();
    /// let mut block = [0.0f32; 4];
    /// engine.process_buffer(&mut block);
    /// assert!((block[0] - 0.25).abs() < 1e-3); // frame 500 of the ramp, at half level
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn with_sample_start_frame(mut self, frame: usize) -> Self {
        self.sample_start_frame = frame;
        self
    }

    /// The same note with its own LFO delays (see
    /// [`Note::lfo_delays_secs`]).
    pub fn with_lfo_delays(mut self, lfo1_secs: f32, lfo2_secs: f32) -> Self {
        self.lfo_delays_secs = Some([lfo1_secs, lfo2_secs]);
        self
    }

    /// The same note ending its sample at `frame` (see
    /// [`Note::sample_end_frame`]).
    pub fn with_sample_end_frame(mut self, frame: usize) -> Self {
        self.sample_end_frame = Some(frame);
        self
    }

    /// The same note on `channel` (0 to 15).
    pub fn with_channel(mut self, channel: u8) -> Self {
        self.channel = channel;
        self
    }

    /// The same note with effect sends.
    ///
    /// ```
    /// use polyphonica::fx::Sends;
    /// use polyphonica::{AdsrEnvelope, Note, Waveform};
    /// let note = Note::new(Waveform::Sine, 440.0, AdsrEnvelope::default())
    ///     .with_sends(Sends { reverb: 0.3, delay: 0.1, ..Sends::default() });
    /// assert_eq!(note.sends.reverb, 0.3);
    /// ```
    pub fn with_sends(mut self, sends: Sends) -> Self {
        self.sends = sends;
        self
    }

    /// A note playing `sample` at `rate` times its recorded speed (2.0 an
    /// octave up, 0.5 an octave down).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, Note, SampleData};
    /// let sample = SampleData::from_wav_file("tests/data/kick.wav")?.with_base_frequency(220.0)?;
    /// let note = Note::sample_at_rate(sample, 1.5, AdsrEnvelope::default());
    /// assert_eq!(note.frequency_hz, 330.0);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn sample_at_rate(sample: SampleData, rate: f32, envelope: AdsrEnvelope) -> Self {
        let frequency_hz = sample.base_frequency_hz() * rate;
        Note::new(Waveform::Sample(sample), frequency_hz, envelope)
    }

    /// A note playing `sample` shifted by `semitones` (12 = an octave up,
    /// fractions allowed).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, Note, SampleData};
    /// let sample = SampleData::from_wav_file("tests/data/kick.wav")?;
    /// let note = Note::sample_at_semitones(sample, -12.0, AdsrEnvelope::default());
    /// assert_eq!(note.frequency_hz, 220.0);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn sample_at_semitones(sample: SampleData, semitones: f32, envelope: AdsrEnvelope) -> Self {
        Self::sample_at_rate(sample, semitones_to_ratio(semitones), envelope)
    }

    /// The same note in `group`.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, Note, Waveform};
    /// let note = Note::new(Waveform::Sine, 440.0, AdsrEnvelope::default()).with_group(2);
    /// assert_eq!(note.group, 2);
    /// ```
    pub fn with_group(mut self, group: u8) -> Self {
        self.group = group;
        self
    }

    /// The same note at `amplitude`.
    pub fn with_amplitude(mut self, amplitude: f32) -> Self {
        self.amplitude = amplitude;
        self
    }

    /// The same note at `pan`.
    pub fn with_pan(mut self, pan: f32) -> Self {
        self.pan = pan;
        self
    }

    /// The note made playable at `sample_rate`, or `None` if it cannot be
    /// played: a frequency that is NaN, infinite or not above zero, or an
    /// envelope with a non-finite field. Finite values out of range are
    /// clamped; a non-finite amplitude counts as 1 and a non-finite pan as 0.
    pub(crate) fn validated(mut self, sample_rate: f32) -> Option<Note> {
        if !(self.frequency_hz.is_finite() && self.frequency_hz > 0.0) {
            return None;
        }
        self.envelope = self.envelope.sanitized()?;
        self.frequency_hz = clamp_frequency(self.frequency_hz, sample_rate);
        self.amplitude = clamp_or(self.amplitude, 0.0, 1.0, 1.0);
        self.pan = clamp_or(self.pan, -1.0, 1.0, 0.0);
        self.group = self.group.min(GROUPS as u8 - 1);
        self.velocity = clamp_or(self.velocity, 0.0, 1.0, 1.0);
        self.channel = self.channel.min(15);
        self.midi_key = self.midi_key.map(|k| k.min(127));
        self.sends = Sends::from_levels(self.sends.levels());
        let times = |(delay, hold): (f32, f32)| {
            (
                finite_clamp(delay, 0.0, 3600.0),
                finite_clamp(hold, 0.0, 3600.0),
            )
        };
        self.delay_hold_secs = self.delay_hold_secs.map(times);
        self.mod_delay_hold_secs = self.mod_delay_hold_secs.map(times);
        self.mod_envelope = self.mod_envelope.and_then(|e| e.sanitized());
        self.lfo_delays_secs = self
            .lfo_delays_secs
            .map(|d| d.map(|secs| finite_clamp(secs, 0.0, 3600.0)));
        if let Waveform::Pulse { duty_cycle } = &mut self.waveform {
            *duty_cycle = clamp_duty_cycle(*duty_cycle);
        }
        Some(self)
    }
}

/// Clamps a finite frequency to `0..=sample_rate / 2`.
pub(crate) fn clamp_frequency(frequency_hz: f32, sample_rate: f32) -> f32 {
    frequency_hz.clamp(0.0, 0.5 * sample_rate)
}

/// `value` clamped to `lo..=hi`, or `fallback` if it is not finite.
pub(crate) fn clamp_or(value: f32, lo: f32, hi: f32, fallback: f32) -> f32 {
    if value.is_finite() {
        value.clamp(lo, hi)
    } else {
        fallback
    }
}
