//! Patches: how a note sounds beyond a waveform and an envelope.
//!
//! A [`Patch`] has one or two sources (each with a level and a detune),
//! optional unison (up to 8 detuned copies spread in stereo), the amplitude
//! envelope (with an optional delay and hold), a [`Filter`], a modulation
//! envelope, two [`Lfo`]s, a modulation matrix of up to [`MOD_SLOTS`]
//! slots and effect sends. Build it on the controller side, wrap it in an
//! `Arc` once, and start notes with
//! [`Note::from_patch`](crate::Note::from_patch): the audio side only reads
//! the patch, and keeps the last reference of a patch it let go of until
//! the driver takes it away (as it does with samples), so it never frees
//! one.
//!
//! ```
//! use std::sync::Arc;
//! use polyphonica::patch::{Filter, Lfo, LfoShape, ModSource, ModTarget, Patch};
//! use polyphonica::{AdsrEnvelope, Note, RealtimeEngine, Waveform};
//!
//! let lead = Patch::new(Waveform::Sawtooth)
//!     .with_unison(4, 12.0, 0.8)
//!     .with_envelope(AdsrEnvelope::new(0.01, 0.2, 0.7, 0.3))
//!     .with_filter(Filter::lowpass(1200.0, 0.3))
//!     .with_lfo(1, Lfo::new(LfoShape::Sine, 5.5).with_delay(0.2, 0.3))
//!     .with_modulation(ModSource::Lfo1, ModTarget::Pitch, 0.3)?
//!     .with_modulation(ModSource::Velocity, ModTarget::Cutoff, 1.5)?;
//! let lead = Arc::new(lead);
//!
//! let mut engine = RealtimeEngine::new(48_000.0);
//! let id = engine.trigger(Note::from_patch(&lead, 220.0).with_velocity(0.8)).unwrap();
//! let mut out = [0.0f32; 512];
//! engine.process_buffer(&mut out);
//! assert!(out.iter().any(|&s| s != 0.0));
//! # engine.release_note(id);
//! # Ok::<(), polyphonica::patch::PatchError>(())
//! ```

mod filter;
mod modulation;

pub use filter::{Filter, FilterMode};
pub use modulation::{
    CurveShape, Lfo, LfoShape, ModCurve, ModSource, ModTarget, Modulation, MAX_LFO_HZ, MOD_LINKS,
};

use crate::fx::Sends;
use crate::{AdsrEnvelope, EnvelopeCurve, Waveform};

/// Slots in a patch's modulation matrix.
pub const MOD_SLOTS: usize = 16;

/// Copies a unison can have.
pub const MAX_UNISON: usize = 8;

/// Sources a patch can have.
pub const MAX_SOURCES: usize = 2;

/// The largest detune, in cents, of a source or a unison.
pub const MAX_DETUNE_CENTS: f32 = 2400.0;

/// What a patch cannot be.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatchError {
    /// More than [`MOD_SLOTS`] modulations.
    MatrixFull,
    /// More than [`MAX_SOURCES`] sources.
    TooManySources,
    /// A second sample source: a patch plays at most one sample.
    TwoSamples,
    /// A slot feeds a link that it, or a slot before it, reads (a link is
    /// fed before it is read), or names a link past the last
    /// ([`MOD_LINKS`]).
    LinkOrder,
}

impl std::fmt::Display for PatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PatchError::MatrixFull => write!(f, "a patch has at most {MOD_SLOTS} modulations"),
            PatchError::TooManySources => write!(f, "a patch has at most {MAX_SOURCES} sources"),
            PatchError::TwoSamples => write!(f, "a patch plays at most one sample"),
            PatchError::LinkOrder => write!(
                f,
                "a slot feeds a link that it or an earlier slot reads (feed a link \
                 before reading it), or names a link past link{}",
                MOD_LINKS - 1
            ),
        }
    }
}

impl std::error::Error for PatchError {}

/// One oscillator of a patch.
#[derive(Clone, Debug)]
pub struct PatchSource {
    /// What it plays.
    pub waveform: Waveform,
    /// Its level, 0 to 1.
    pub level: f32,
    /// Its detune in cents (100 to the semitone), ±2400.
    pub detune_cents: f32,
}

impl PatchSource {
    /// `waveform` at full level, in tune.
    pub fn new(waveform: Waveform) -> Self {
        PatchSource {
            waveform,
            level: 1.0,
            detune_cents: 0.0,
        }
    }

    /// The same source at `level` (0 to 1) and `detune_cents`.
    ///
    /// ```
    /// use polyphonica::patch::PatchSource;
    /// use polyphonica::Waveform;
    /// let s = PatchSource::new(Waveform::Square).with(0.5, -7.0);
    /// assert_eq!((s.level, s.detune_cents), (0.5, -7.0));
    /// ```
    pub fn with(mut self, level: f32, detune_cents: f32) -> Self {
        self.level = finite_clamp(level, 0.0, 1.0);
        self.detune_cents = finite_clamp(detune_cents, -MAX_DETUNE_CENTS, MAX_DETUNE_CENTS);
        self
    }
}

/// Detuned copies of a patch's oscillators.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unison {
    /// Copies, 1 (no unison) to [`MAX_UNISON`].
    pub voices: u8,
    /// Cents between the lowest and the highest copy.
    pub detune_cents: f32,
    /// How far the copies spread across the stereo field, 0 (all centred)
    /// to 1 (the outer copies hard left and right).
    pub spread: f32,
}

impl Default for Unison {
    fn default() -> Self {
        Unison {
            voices: 1,
            detune_cents: 0.0,
            spread: 0.0,
        }
    }
}

/// How a note sounds: sources, envelopes, filter, modulation and sends.
///
/// Build it with [`Patch::new`] and the `with_` methods (each clamps what
/// it is given into range), share it as an `Arc<Patch>`; see the
/// [module docs](self). A note of a patch with one source and nothing else
/// sounds as the same waveform would through
/// [`trigger_note`](crate::RealtimeEngine::trigger_note).
#[derive(Clone, Debug)]
pub struct Patch {
    pub(crate) sources: Vec<PatchSource>,
    pub(crate) unison: Unison,
    pub(crate) envelope: AdsrEnvelope,
    pub(crate) envelope_curve: EnvelopeCurve,
    pub(crate) delay_secs: f32,
    pub(crate) hold_secs: f32,
    pub(crate) filter: Option<Filter>,
    pub(crate) mod_envelope: AdsrEnvelope,
    /// The modulation envelope's delay and hold, in seconds.
    pub(crate) mod_delay_hold_secs: (f32, f32),
    pub(crate) lfos: [Lfo; 2],
    pub(crate) modulation: Vec<Modulation>,
    pub(crate) sends: Sends,
    pub(crate) velocity_to_gain: f32,
}

impl Patch {
    /// A patch playing `waveform` through the default envelope, with no
    /// filter or modulation; velocity scales its gain.
    pub fn new(waveform: Waveform) -> Self {
        Patch {
            sources: vec![PatchSource::new(waveform)],
            unison: Unison::default(),
            envelope: AdsrEnvelope::default(),
            envelope_curve: EnvelopeCurve::Linear,
            delay_secs: 0.0,
            hold_secs: 0.0,
            filter: None,
            mod_envelope: AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0),
            mod_delay_hold_secs: (0.0, 0.0),
            lfos: [Lfo::default(); 2],
            modulation: Vec::with_capacity(MOD_SLOTS),
            sends: Sends::default(),
            velocity_to_gain: 1.0,
        }
    }

    /// The patch with its sources replaced by `sources`.
    ///
    /// # Errors
    /// [`PatchError::TooManySources`] for more than [`MAX_SOURCES`] (none at
    /// all counts as one silent sine), [`PatchError::TwoSamples`] for two
    /// samples.
    pub fn with_sources(
        mut self,
        sources: impl IntoIterator<Item = PatchSource>,
    ) -> Result<Self, PatchError> {
        let mut list: Vec<PatchSource> = sources
            .into_iter()
            .map(|s| {
                let (level, detune) = (s.level, s.detune_cents);
                s.with(level, detune)
            })
            .collect();
        if list.len() > MAX_SOURCES {
            return Err(PatchError::TooManySources);
        }
        let samples = list
            .iter()
            .filter(|s| matches!(s.waveform, Waveform::Sample(_)))
            .count();
        if samples > 1 {
            return Err(PatchError::TwoSamples);
        }
        if list.is_empty() {
            list.push(PatchSource::new(Waveform::Sine).with(0.0, 0.0));
        }
        self.sources = list;
        Ok(self)
    }

    /// The patch with `voices` unison copies (1 to 8) spread over
    /// `detune_cents` and `spread` (0 to 1) of the stereo field. Noise and
    /// samples play once, whatever the unison.
    pub fn with_unison(mut self, voices: u8, detune_cents: f32, spread: f32) -> Self {
        self.set_unison(voices, detune_cents, spread);
        self
    }

    /// The patch with `envelope` as its amplitude envelope.
    pub fn with_envelope(mut self, envelope: AdsrEnvelope) -> Self {
        self.set_envelope(envelope);
        self
    }

    /// The patch's amplitude envelope decaying and releasing along `curve`
    /// (straight lines of amplitude by default; [`EnvelopeCurve::Decibels`]
    /// as a SoundFont's volume envelope).
    ///
    /// ```
    /// use polyphonica::patch::Patch;
    /// use polyphonica::{EnvelopeCurve, Waveform};
    /// let patch = Patch::new(Waveform::Sine).with_envelope_curve(EnvelopeCurve::Decibels);
    /// assert_eq!(patch.envelope_curve(), EnvelopeCurve::Decibels);
    /// ```
    pub fn with_envelope_curve(mut self, curve: EnvelopeCurve) -> Self {
        self.envelope_curve = curve;
        self
    }

    /// The patch's amplitude envelope silent for `delay_secs` before its
    /// attack and holding full level for `hold_secs` after it.
    pub fn with_delay_hold(mut self, delay_secs: f32, hold_secs: f32) -> Self {
        self.delay_secs = finite_clamp(delay_secs, 0.0, 3600.0);
        self.hold_secs = finite_clamp(hold_secs, 0.0, 3600.0);
        self
    }

    /// The patch through `filter`.
    pub fn with_filter(mut self, filter: Filter) -> Self {
        self.set_filter(Some(filter));
        self
    }

    /// The patch with `envelope` as its modulation envelope (a source, 0 to
    /// 1; by default it jumps to 1 and stays there).
    pub fn with_mod_envelope(mut self, envelope: AdsrEnvelope) -> Self {
        self.mod_envelope = envelope.sanitized().unwrap_or_default();
        self
    }

    /// The patch's modulation envelope at 0 for `delay_secs` before its
    /// attack and holding 1 for `hold_secs` after it (as a SoundFont's
    /// modulation envelope has them).
    ///
    /// ```
    /// use polyphonica::patch::Patch;
    /// use polyphonica::Waveform;
    /// let patch = Patch::new(Waveform::Sine).with_mod_delay_hold(0.1, 0.05);
    /// assert_eq!(patch.mod_delay_hold_secs(), (0.1, 0.05));
    /// ```
    pub fn with_mod_delay_hold(mut self, delay_secs: f32, hold_secs: f32) -> Self {
        self.mod_delay_hold_secs = (
            finite_clamp(delay_secs, 0.0, 3600.0),
            finite_clamp(hold_secs, 0.0, 3600.0),
        );
        self
    }

    /// The modulation envelope's delay and hold, in seconds.
    pub fn mod_delay_hold_secs(&self) -> (f32, f32) {
        self.mod_delay_hold_secs
    }

    /// The patch with `lfo` as its LFO number `which` (1 or 2; anything
    /// else counts as 2).
    pub fn with_lfo(mut self, which: u8, lfo: Lfo) -> Self {
        self.lfos[usize::from(which >= 2)] = lfo.sanitized();
        self
    }

    /// The patch with one more slot in its modulation matrix.
    ///
    /// # Errors
    /// [`PatchError::MatrixFull`] when all [`MOD_SLOTS`] are taken.
    pub fn with_modulation(
        self,
        source: ModSource,
        target: ModTarget,
        amount: f32,
    ) -> Result<Self, PatchError> {
        self.with_slot(Modulation::new(source, target, amount))
    }

    /// The patch with one more slot whose amount a second source scales:
    /// `source × scale × amount → target` (the mod wheel deepening a
    /// vibrato: `Lfo1 × ModWheel × 0.5 → Pitch`).
    ///
    /// ```
    /// use polyphonica::patch::{Lfo, LfoShape, ModSource, ModTarget, Patch};
    /// use polyphonica::Waveform;
    /// let patch = Patch::new(Waveform::Sawtooth)
    ///     .with_lfo(1, Lfo::new(LfoShape::Sine, 5.5))
    ///     .with_scaled_modulation(ModSource::Lfo1, ModSource::ModWheel, ModTarget::Pitch, 0.5)?;
    /// assert_eq!(patch.modulation()[0].scale, Some(ModSource::ModWheel));
    /// # Ok::<(), polyphonica::patch::PatchError>(())
    /// ```
    ///
    /// # Errors
    /// [`PatchError::MatrixFull`] when all [`MOD_SLOTS`] are taken.
    pub fn with_scaled_modulation(
        self,
        source: ModSource,
        scale: ModSource,
        target: ModTarget,
        amount: f32,
    ) -> Result<Self, PatchError> {
        self.with_slot(Modulation::new(source, target, amount).with_scale(scale))
    }

    /// The patch with one more slot of the matrix, as built (with a scale,
    /// a curve or both).
    ///
    /// ```
    /// use polyphonica::patch::{CurveShape, ModCurve, ModSource, ModTarget, Modulation, Patch};
    /// use polyphonica::Waveform;
    /// // Controller 74 opens the filter by up to 3 octaves, slowly at first.
    /// let slot = Modulation::new(ModSource::Controller(74), ModTarget::Cutoff, 3.0)
    ///     .with_curve(ModCurve::new(CurveShape::Concave));
    /// let patch = Patch::new(Waveform::Sawtooth).with_slot(slot)?;
    /// assert_eq!(patch.modulation()[0], slot);
    /// # Ok::<(), polyphonica::patch::PatchError>(())
    /// ```
    ///
    /// # Errors
    /// [`PatchError::MatrixFull`] when all [`MOD_SLOTS`] are taken;
    /// [`PatchError::LinkOrder`] when the slot feeds a link that it or an
    /// earlier slot reads, or names a link past the last.
    pub fn with_slot(mut self, slot: Modulation) -> Result<Self, PatchError> {
        if self.modulation.len() >= MOD_SLOTS {
            return Err(PatchError::MatrixFull);
        }
        let read = |m: &Modulation| {
            [Some(m.source), m.scale]
                .into_iter()
                .flatten()
                .filter_map(|s| match s {
                    ModSource::Link(n) => Some(n),
                    _ => None,
                })
        };
        let fed = match slot.target {
            ModTarget::Link(n) => Some(n),
            _ => None,
        };
        let past_last = read(&slot).chain(fed).any(|n| usize::from(n) >= MOD_LINKS);
        let read_first = |n| {
            self.modulation
                .iter()
                .chain([&slot])
                .flat_map(read)
                .any(|r| r == n)
        };
        if past_last || fed.is_some_and(read_first) {
            return Err(PatchError::LinkOrder);
        }
        self.modulation.push(Modulation {
            amount: finite_clamp(slot.amount, -100.0, 100.0),
            ..slot
        });
        Ok(self)
    }

    /// The patch sending to the effects at `sends`.
    pub fn with_sends(mut self, sends: Sends) -> Self {
        self.sends = crate::fx::Sends::from_levels(sends.levels());
        self
    }

    /// How much velocity scales the gain: 1 (the default) multiplies the
    /// gain by the velocity, 0 ignores it, between the two blends.
    pub fn with_velocity_to_gain(mut self, amount: f32) -> Self {
        self.velocity_to_gain = finite_clamp(amount, 0.0, 1.0);
        self
    }

    /// Changes the patch in place: the first source plays `waveform`
    /// (its level and detune kept). Like the other `set_` methods it never
    /// allocates, so a driver that owns a patch no note holds (say
    /// `Arc::get_mut` succeeds) can change it on the audio side; the
    /// waveform it replaces is dropped there, which frees a sample only if
    /// nothing else holds it.
    ///
    /// ```
    /// use polyphonica::patch::Patch;
    /// use polyphonica::Waveform;
    /// let mut patch = Patch::new(Waveform::Sine);
    /// patch.set_waveform(Waveform::Sawtooth);
    /// assert!(matches!(patch.sources()[0].waveform, Waveform::Sawtooth));
    /// ```
    pub fn set_waveform(&mut self, waveform: Waveform) {
        match self.sources.first_mut() {
            Some(first) => first.waveform = waveform,
            None => self.sources.push(PatchSource::new(waveform)),
        }
    }

    /// Changes the amplitude envelope in place (as
    /// [`with_envelope`](Self::with_envelope); never allocates).
    ///
    /// ```
    /// use polyphonica::patch::Patch;
    /// use polyphonica::{AdsrEnvelope, Waveform};
    /// let mut patch = Patch::new(Waveform::Sine);
    /// patch.set_envelope(AdsrEnvelope::new(0.5, 0.1, 0.8, 1.0));
    /// assert_eq!(patch.envelope().attack_secs, 0.5);
    /// ```
    pub fn set_envelope(&mut self, envelope: AdsrEnvelope) {
        self.envelope = envelope.sanitized().unwrap_or_default();
    }

    /// Sets or removes the filter in place (as
    /// [`with_filter`](Self::with_filter); never allocates).
    ///
    /// ```
    /// use polyphonica::patch::{Filter, Patch};
    /// use polyphonica::Waveform;
    /// let mut patch = Patch::new(Waveform::Sawtooth);
    /// patch.set_filter(Some(Filter::lowpass(800.0, 0.2)));
    /// assert!(patch.filter().is_some());
    /// patch.set_filter(None);
    /// assert!(patch.filter().is_none());
    /// ```
    pub fn set_filter(&mut self, filter: Option<Filter>) {
        self.filter = filter.map(Filter::sanitized);
    }

    /// Changes the unison in place (as [`with_unison`](Self::with_unison);
    /// never allocates).
    ///
    /// ```
    /// use polyphonica::patch::Patch;
    /// use polyphonica::Waveform;
    /// let mut patch = Patch::new(Waveform::Sawtooth);
    /// patch.set_unison(12, 20.0, 0.5);
    /// assert_eq!(patch.unison().voices, 8);
    /// ```
    pub fn set_unison(&mut self, voices: u8, detune_cents: f32, spread: f32) {
        self.unison = Unison {
            voices: voices.clamp(1, MAX_UNISON as u8),
            detune_cents: finite_clamp(detune_cents, 0.0, MAX_DETUNE_CENTS),
            spread: finite_clamp(spread, 0.0, 1.0),
        };
    }

    /// The sources.
    pub fn sources(&self) -> &[PatchSource] {
        &self.sources
    }

    /// The unison.
    pub fn unison(&self) -> Unison {
        self.unison
    }

    /// The amplitude envelope.
    pub fn envelope(&self) -> AdsrEnvelope {
        self.envelope
    }

    /// How the amplitude envelope decays and releases.
    pub fn envelope_curve(&self) -> EnvelopeCurve {
        self.envelope_curve
    }

    /// The filter, if any.
    pub fn filter(&self) -> Option<Filter> {
        self.filter
    }

    /// The modulation envelope.
    pub fn mod_envelope(&self) -> AdsrEnvelope {
        self.mod_envelope
    }

    /// LFO 1 and LFO 2.
    pub fn lfos(&self) -> [Lfo; 2] {
        self.lfos
    }

    /// The slots of the modulation matrix in use.
    pub fn modulation(&self) -> &[Modulation] {
        &self.modulation
    }

    /// The effect sends.
    pub fn sends(&self) -> Sends {
        self.sends
    }

    /// Whether the patch is one source at full level, in tune, with
    /// nothing else that a plain voice cannot do: such notes play through
    /// the plain voice, exactly as `trigger_note` would.
    pub(crate) fn is_plain(&self) -> bool {
        self.sources.len() == 1
            && self.sources[0].level == 1.0
            && self.sources[0].detune_cents == 0.0
            && self.unison.voices == 1
            && self.filter.is_none()
            && self.modulation.is_empty()
            && self.delay_secs == 0.0
            && self.hold_secs == 0.0
            && self.envelope_curve == EnvelopeCurve::Linear
    }
}

/// `x` clamped to `lo..=hi`; NaN counts as `lo.max(0.0).min(hi)`.
pub(crate) fn finite_clamp(x: f32, lo: f32, hi: f32) -> f32 {
    if x.is_nan() {
        0f32.clamp(lo, hi)
    } else {
        x.clamp(lo, hi)
    }
}
