//! `RealtimeEngine`: the seed's API, a thin layer over the engine core that
//! applies every event at once.

use super::core::EngineCore;
use super::event::Event;
use super::note::Note;
use super::runner::{self, EventSource, Output};
use super::target::{validated, EventTarget, InvalidNote};
use super::voice_id::VoiceIdSource;
use super::{Voice, VoiceId, MAX_VOICES};
use crate::{AdsrEnvelope, Waveform};

/// The largest voice count [`RealtimeEngine::with_voices`] accepts; larger
/// requests are clamped to it.
pub const MAX_CAPACITY: usize = 16_384;

/// A polyphonic synthesizer you drive from code and pull audio from in an
/// audio callback.
///
/// All memory is allocated in the constructor. After that, rendering
/// ([`process_buffer`](Self::process_buffer),
/// [`process_stereo_buffer`](Self::process_stereo_buffer)), triggering,
/// releasing, stopping and every setter and getter run without allocating,
/// freeing, locking or blocking, so they are safe to call on the audio
/// thread. ([`trigger_chord`](Self::trigger_chord) allocates the `Vec` it
/// returns.)
///
/// ```
/// use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
///
/// let mut engine = RealtimeEngine::new(44_100.0);
/// let envelope = AdsrEnvelope { attack_secs: 0.01, decay_secs: 0.1, sustain_level: 0.7, release_secs: 0.2 };
/// let id = engine.trigger_note(Waveform::Sine, 440.0, envelope).unwrap();
///
/// let mut buffer = vec![0.0; 1024];
/// engine.process_buffer(&mut buffer);
/// assert!(buffer.iter().any(|s| s.abs() > 0.1));
///
/// engine.release_note(id);
/// for _ in 0..10 {
///     engine.process_buffer(&mut buffer);
/// }
/// assert_eq!(engine.get_active_voice_count(), 0);
/// ```
#[derive(Debug)]
pub struct RealtimeEngine {
    core: EngineCore,
    ids: VoiceIdSource,
}

impl RealtimeEngine {
    /// An engine with [`MAX_VOICES`] voices at `sample_rate` frames per
    /// second.
    ///
    /// A sample rate that is NaN, infinite or not above zero falls back to
    /// 44,100 Hz; others are clamped to `1.0..=1_536_000.0`.
    pub fn new(sample_rate: f32) -> Self {
        Self::with_voices(sample_rate, MAX_VOICES)
    }

    /// An engine with `voices` voices (clamped to `1..=`[`MAX_CAPACITY`]).
    ///
    /// ```
    /// use polyphonica::RealtimeEngine;
    /// assert_eq!(RealtimeEngine::with_voices(48_000.0, 8).voice_capacity(), 8);
    /// assert_eq!(RealtimeEngine::with_voices(48_000.0, 0).voice_capacity(), 1);
    /// ```
    pub fn with_voices(sample_rate: f32, voices: usize) -> Self {
        let sample_rate = if sample_rate.is_finite() && sample_rate > 0.0 {
            sample_rate.clamp(1.0, 1_536_000.0)
        } else {
            44_100.0
        };
        RealtimeEngine {
            core: EngineCore::new(sample_rate, voices.clamp(1, MAX_CAPACITY)),
            ids: VoiceIdSource::default(),
        }
    }

    /// The sample rate in frames per second.
    pub fn sample_rate(&self) -> f32 {
        self.core.sample_rate()
    }

    /// How many notes can sound at once.
    pub fn voice_capacity(&self) -> usize {
        self.core.capacity()
    }

    /// Starts a note at amplitude 1, centred, and returns its id.
    ///
    /// With every voice busy the note takes the voice of the oldest note
    /// already releasing, or else of the oldest note; the stolen note fades
    /// out within a few milliseconds and its id goes stale. So the result is
    /// `Some` whenever the note sounds; it is `None` only for a frequency
    /// that is NaN, infinite or not above zero, or an envelope with a
    /// non-finite field. A frequency above the Nyquist frequency is clamped
    /// to it.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// assert!(engine.trigger_note(Waveform::Square, 220.0, AdsrEnvelope::default()).is_some());
    /// assert!(engine.trigger_note(Waveform::Square, f32::NAN, AdsrEnvelope::default()).is_none());
    /// assert!(engine.trigger_note(Waveform::Square, -5.0, AdsrEnvelope::default()).is_none());
    /// ```
    pub fn trigger_note(
        &mut self,
        waveform: Waveform,
        frequency: f32,
        envelope: AdsrEnvelope,
    ) -> Option<VoiceId> {
        self.trigger(Note::new(waveform, frequency, envelope))
    }

    /// Starts a [`Note`] (with its amplitude and pan) and returns its id; see
    /// [`trigger_note`](Self::trigger_note).
    pub fn trigger(&mut self, note: Note) -> Option<VoiceId> {
        EventTarget::trigger(self, note).ok()
    }

    /// Starts several notes with one envelope and returns the ids of those
    /// that sound (an unplayable frequency is skipped). Allocates the
    /// returned `Vec`.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// let ids = engine.trigger_chord(
    ///     &[(Waveform::Sine, 261.63), (Waveform::Sine, 329.63), (Waveform::Sine, 392.0)],
    ///     AdsrEnvelope::default(),
    /// );
    /// assert_eq!(ids.len(), 3);
    /// assert_eq!(engine.get_active_voice_count(), 3);
    /// ```
    pub fn trigger_chord(
        &mut self,
        notes: &[(Waveform, f32)],
        envelope: AdsrEnvelope,
    ) -> Vec<VoiceId> {
        // This call may allocate anyway: release kept samples here too.
        self.collect_garbage();
        notes
            .iter()
            .filter_map(|(waveform, frequency)| {
                self.trigger_note(waveform.clone(), *frequency, envelope)
            })
            .collect()
    }

    /// Starts the release of a note. A stale id does nothing.
    pub fn release_note(&mut self, id: VoiceId) {
        self.core.apply(Event::NoteOff { id });
    }

    /// Starts the release of every note (they fade out by their envelopes).
    pub fn release_all_notes(&mut self) {
        self.core.apply(Event::ReleaseAll);
    }

    /// Silences every voice at once and frees it:
    /// [`get_active_voice_count`](Self::get_active_voice_count) is 0
    /// immediately.
    pub fn stop_all_notes(&mut self) {
        self.core.apply(Event::StopAll);
    }

    /// Sets the master volume, clamped to `0.0..=1.0`; NaN and infinities are
    /// ignored. The change is smoothed over about 10 ms. Starts at 1.0.
    ///
    /// ```
    /// use polyphonica::RealtimeEngine;
    /// let engine = RealtimeEngine::new(48_000.0);
    /// engine.set_master_volume(0.7);
    /// engine.set_master_volume(f32::NAN);
    /// assert_eq!(engine.get_master_volume(), 0.7);
    /// engine.set_master_volume(3.0);
    /// assert_eq!(engine.get_master_volume(), 1.0);
    /// ```
    pub fn set_master_volume(&self, volume: f32) {
        self.core.set_master_volume(volume);
    }

    /// The master volume last set (the target, not the smoothed level).
    pub fn get_master_volume(&self) -> f32 {
        self.core.master_volume()
    }

    /// Changes a note's frequency at the next block, keeping the oscillator's
    /// phase continuous. Clamped to `0..=`Nyquist; NaN and infinities are
    /// ignored, and so is a stale id.
    pub fn set_voice_frequency(&self, id: VoiceId, hz: f32) {
        self.core.set_frequency(id, hz);
    }

    /// Sweeps a note's frequency linearly from where it is to `to_hz` over
    /// `over_secs` seconds (rounded to whole frames), keeping the oscillator's
    /// phase continuous: the pitch heard at time `t` into the sweep is the
    /// interpolated frequency at `t`. The frequency is updated every 16
    /// frames within a block. A later
    /// [`set_voice_frequency`](Self::set_voice_frequency) or sweep replaces
    /// it; [`Voice::frequency_hz`] reports the target. NaN and infinite
    /// targets, a non-finite time and stale ids are ignored; a time of 0 or
    /// less jumps at once.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// let id = engine.trigger_note(Waveform::Sine, 220.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.1)).unwrap();
    /// engine.sweep_voice_frequency(id, 440.0, 1.0);
    /// assert_eq!(engine.voice(id).unwrap().frequency_hz(), 440.0);
    /// let mut second = vec![0.0; 48_000];
    /// engine.process_buffer(&mut second); // rises from 220 Hz to 440 Hz
    /// ```
    pub fn sweep_voice_frequency(&mut self, id: VoiceId, to_hz: f32, over_secs: f32) {
        let applied = EventTarget::sweep_voice_frequency(self, id, to_hz, over_secs);
        debug_assert!(applied.is_ok(), "only a trigger can fail");
    }

    /// Changes a note's amplitude, clamped to `0.0..=1.0`, smoothed over
    /// about 5 ms. NaN and infinities are ignored, and so is a stale id.
    pub fn set_voice_amplitude(&self, id: VoiceId, amplitude: f32) {
        self.core.set_amplitude(id, amplitude);
    }

    /// Moves a note in the stereo field: -1 left, 0 centre, 1 right (clamped;
    /// smoothed over about 5 ms). Centred voices put the mono signal on both
    /// channels; panning turns the far channel down linearly. NaN and
    /// infinities are ignored, and so is a stale id.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// let id = engine.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.1)).unwrap();
    /// engine.set_voice_pan(id, -1.0);
    /// let mut stereo = vec![0.0; 4096];
    /// engine.process_stereo_buffer(&mut stereo);
    /// let right_peak = stereo[2048..].iter().skip(1).step_by(2).fold(0.0f32, |m, s| m.max(s.abs()));
    /// assert_eq!(right_peak, 0.0);
    /// ```
    pub fn set_voice_pan(&self, id: VoiceId, pan: f32) {
        self.core.set_pan(id, pan);
    }

    /// Changes a pulse note's duty cycle (clamped to `0.01..=0.99`; NaN and
    /// stale ids are ignored).
    pub fn set_voice_duty_cycle(&self, id: VoiceId, duty_cycle: f32) {
        self.core.set_duty_cycle(id, duty_cycle);
    }

    /// Voices playing notes, releasing ones included (stolen notes fading out
    /// are not counted).
    pub fn get_active_voice_count(&self) -> usize {
        self.core.active_voice_count()
    }

    /// Seeds the noise of the notes started from now on (default 0).
    ///
    /// Each noise voice draws from its own generator, seeded by this seed and
    /// its voice id, so voices are independent of each other and an engine
    /// given the same seed and the same calls plays the same samples. The
    /// seed travels with the engine into [`split`](Self::split).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
    ///
    /// let play = |seed| {
    ///     let mut engine = RealtimeEngine::new(48_000.0);
    ///     engine.set_noise_seed(seed);
    ///     engine.trigger_note(Waveform::Noise, 440.0, AdsrEnvelope::default());
    ///     let mut out = [0.0f32; 256];
    ///     engine.process_buffer(&mut out);
    ///     out
    /// };
    /// assert_eq!(play(7), play(7));
    /// assert_ne!(play(7), play(8));
    /// ```
    pub fn set_noise_seed(&mut self, seed: u64) {
        self.core.set_noise_seed(seed);
    }

    /// The seed set by [`set_noise_seed`](Self::set_noise_seed).
    ///
    /// ```
    /// let mut engine = polyphonica::RealtimeEngine::new(48_000.0);
    /// assert_eq!(engine.noise_seed(), 0);
    /// engine.set_noise_seed(42);
    /// assert_eq!(engine.noise_seed(), 42);
    /// ```
    pub fn noise_seed(&self) -> u64 {
        self.core.noise_seed()
    }

    /// Notes stolen to make room since the engine was made.
    pub fn voices_stolen(&self) -> u64 {
        self.core.voices_stolen()
    }

    /// The voice playing `id`, or `None` for a stale id.
    pub fn voice(&self, id: VoiceId) -> Option<&Voice> {
        self.core.voice(id)
    }

    /// The voices playing notes.
    pub fn active_voices(&self) -> impl Iterator<Item = &Voice> {
        self.core.active_voices()
    }

    /// The core, for the block runner and the drivers built on the engine.
    pub(crate) fn core_mut(&mut self) -> &mut EngineCore {
        &mut self.core
    }

    /// The core, read-only.
    pub(crate) fn core(&self) -> &EngineCore {
        &self.core
    }

    /// The engine's id counter, shared with the controllers of a split.
    pub(crate) fn id_source(&self) -> &VoiceIdSource {
        &self.ids
    }

    /// Renders mono audio into `output`, overwriting it. Every sample is
    /// finite and within `[-1, 1]`; while the mix stays below full scale it
    /// is exactly the mix. Pan plays no part: each voice is mixed once at
    /// its level (the stereo mix folded down before panning, so a centred
    /// voice gives exactly the left and right outputs).
    pub fn process_buffer(&mut self, output: &mut [f32]) {
        self.core.render_mono(output);
    }

    /// Renders interleaved stereo (L R L R …) into `output`, overwriting it.
    /// Centred voices give `L == R ==` the mono output. An odd length leaves
    /// the last, unpaired sample silent.
    pub fn process_stereo_buffer(&mut self, output: &mut [f32]) {
        self.process_from(&mut (), 0, Output::Interleaved(output));
    }

    /// Renders planar stereo: `left` and `right` get the two channels
    /// (overwritten), as many frames as the shorter slice holds (the rest of
    /// the longer one is silenced). The same samples as
    /// [`process_stereo_buffer`](Self::process_stereo_buffer), without the
    /// interleaving.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// let id = engine.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
    /// engine.set_voice_pan(id, 1.0);
    /// let (mut left, mut right) = ([0.0f32; 4096], [0.0f32; 4096]);
    /// engine.process_planar_buffers(&mut left, &mut right);
    /// assert!(left[2048..].iter().all(|s| *s == 0.0));
    /// assert!(right.iter().any(|s| s.abs() > 0.1));
    /// ```
    pub fn process_planar_buffers(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.process_from(&mut (), 0, Output::Planar(left, right));
    }

    /// The block runner: renders `output`, whose first frame is
    /// `first_frame` on the source's clock, applying each of `source`'s
    /// events at its frame (render up to it, apply it, render on). Every
    /// driver renders through this: the split engine's audio side, the
    /// timeline renderer, the MIDI file player. Allocates nothing itself.
    pub fn process_from(
        &mut self,
        source: &mut impl EventSource,
        first_frame: u64,
        output: Output<'_>,
    ) {
        runner::run(self, source, first_frame, output);
    }

    /// The ids of the notes that ended since the last call, oldest first:
    /// released notes whose release finished, stopped and stolen notes,
    /// notes whose sample ran out. Each id is reported once, when it goes
    /// stale. The engine keeps up to four times its voice count of them
    /// (allocated with the engine); older ones are dropped if nobody takes
    /// them. Never allocates.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// let id = engine.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.001)).unwrap();
    /// engine.release_note(id);
    /// engine.process_buffer(&mut [0.0; 256]);
    /// assert_eq!(engine.take_ended_note(), Some(id));
    /// assert_eq!(engine.take_ended_note(), None);
    /// ```
    pub fn take_ended_note(&mut self) -> Option<VoiceId> {
        self.core.pop_ended()
    }

    /// Ended-note ids dropped because more notes ended than the engine keeps
    /// before [`take_ended_note`](Self::take_ended_note) took them.
    pub fn ended_notes_dropped(&self) -> u64 {
        self.core.ended_dropped()
    }

    /// Whether an effect still has a tail to play (it was fed in a recent
    /// block, or its output has not yet died away below −120 dB). With no
    /// voices and no tails, the output is silence.
    pub fn effects_ringing(&self) -> bool {
        self.core.effects().busy()
    }

    /// The reverb's settings (as clamped when set).
    pub fn reverb(&self) -> crate::fx::ReverbParams {
        self.core.effects().reverb()
    }

    /// The chorus's settings (as clamped when set).
    pub fn chorus(&self) -> crate::fx::ChorusParams {
        self.core.effects().chorus()
    }

    /// The delay's settings (as clamped when set).
    ///
    /// ```
    /// use polyphonica::fx::DelayParams;
    /// use polyphonica::{EventTarget, RealtimeEngine};
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// engine.set_delay(DelayParams { feedback: 1.5, ..DelayParams::default() }).unwrap();
    /// assert_eq!(engine.delay().feedback, 0.98); // never endless
    /// ```
    pub fn delay(&self) -> crate::fx::DelayParams {
        self.core.effects().delay()
    }

    /// The volume last set for `group` (the target of its smoothing or
    /// fade; 1.0 until set, and for a group out of range).
    ///
    /// ```
    /// use polyphonica::{EventTarget, RealtimeEngine};
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// engine.fade_group(3, 0.25, 2.0).unwrap();
    /// assert_eq!(engine.group_volume(3), 0.25);
    /// assert_eq!(engine.group_volume(0), 1.0);
    /// ```
    pub fn group_volume(&self, group: u8) -> f32 {
        self.core.group_volume(group)
    }

    /// Releases the samples that finished voices let go of and that nothing
    /// else holds. Voices never free sample memory on the audio thread;
    /// instead the engine keeps up to 256 such samples until this is called
    /// (from a thread that may free memory), until
    /// [`trigger_chord`](Self::trigger_chord) is called, or until the engine
    /// is dropped. Only an engine that keeps more than 256 distinct dropped
    /// samples without collecting frees the oldest on the audio thread.
    pub fn collect_garbage(&mut self) {
        self.core.take_retired(drop);
    }
}

/// The direct engine applies each event at once. Only an unplayable note is
/// refused.
///
/// ```
/// use polyphonica::{AdsrEnvelope, Event, EventTarget, Note, RealtimeEngine, Waveform};
/// let mut engine = RealtimeEngine::new(48_000.0);
/// let id = engine.next_voice_id();
/// let note = Note::new(Waveform::Sine, 440.0, AdsrEnvelope::default());
/// engine.send(Event::NoteOn { id, note }).unwrap();
/// assert!(engine.voice(id).is_some());
/// ```
impl EventTarget for RealtimeEngine {
    type Error = InvalidNote;

    fn sample_rate(&self) -> f32 {
        self.core.sample_rate()
    }

    fn next_voice_id(&mut self) -> VoiceId {
        self.ids.next_id()
    }

    fn send(&mut self, event: Event) -> Result<(), InvalidNote> {
        self.core.apply(validated(event, self.core.sample_rate())?);
        Ok(())
    }
}
