//! ADSR envelopes: the settings (`AdsrEnvelope`) and the running state of one
//! voice (`EnvelopeState`), rendered a block at a time with sample-accurate
//! phase boundaries.

/// Attack, decay, sustain and release of a note.
///
/// Times are in seconds, the sustain level is a fraction of full level. The
/// level rises linearly from 0 to 1 in `attack_secs`, falls linearly to
/// `sustain_level` in `decay_secs`, holds until the note is released, then
/// falls linearly from wherever it is to 0 in `release_secs`.
///
/// Values are clamped where they are used: negative times count as 0, the
/// sustain level is clamped to `0.0..=1.0`. A non-finite field makes the
/// envelope unplayable (`trigger_note` returns `None`). A sustain level of 0
/// ends the note when its decay ends, as a pluck or a drum would.
///
/// ```
/// use polyphonica::AdsrEnvelope;
///
/// let pad = AdsrEnvelope { attack_secs: 0.1, decay_secs: 0.2, sustain_level: 0.6, release_secs: 0.5 };
/// assert_eq!(pad, AdsrEnvelope::new(0.1, 0.2, 0.6, 0.5));
/// assert!(AdsrEnvelope::new(-1.0, 0.0, 2.0, 0.0).sanitized().is_some());
/// assert!(AdsrEnvelope::new(f32::NAN, 0.0, 1.0, 0.0).sanitized().is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdsrEnvelope {
    /// Seconds from silence to full level.
    pub attack_secs: f32,
    /// Seconds from full level down to the sustain level.
    pub decay_secs: f32,
    /// Level held while the note is held, `0.0..=1.0`.
    pub sustain_level: f32,
    /// Seconds from the level at release down to silence.
    pub release_secs: f32,
}

impl AdsrEnvelope {
    /// An envelope from its four settings.
    pub const fn new(
        attack_secs: f32,
        decay_secs: f32,
        sustain_level: f32,
        release_secs: f32,
    ) -> Self {
        AdsrEnvelope {
            attack_secs,
            decay_secs,
            sustain_level,
            release_secs,
        }
    }

    /// The envelope with every field in range (negative times 0, sustain in
    /// `0.0..=1.0`), or `None` if a field is NaN or infinite.
    pub fn sanitized(&self) -> Option<Self> {
        let fields = [
            self.attack_secs,
            self.decay_secs,
            self.sustain_level,
            self.release_secs,
        ];
        if fields.iter().any(|f| !f.is_finite()) {
            return None;
        }
        Some(AdsrEnvelope {
            attack_secs: self.attack_secs.max(0.0),
            decay_secs: self.decay_secs.max(0.0),
            sustain_level: self.sustain_level.clamp(0.0, 1.0),
            release_secs: self.release_secs.max(0.0),
        })
    }
}

impl Default for AdsrEnvelope {
    /// 10 ms attack, 100 ms decay, sustain 0.7, 200 ms release.
    fn default() -> Self {
        AdsrEnvelope::new(0.01, 0.1, 0.7, 0.2)
    }
}

/// The phase an envelope is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnvelopePhase {
    /// Rising from 0 to full level.
    Attack,
    /// Falling from full level to the sustain level.
    Decay,
    /// Holding the sustain level until release.
    Sustain,
    /// Falling from the level at release to silence.
    Release,
    /// Silent: the voice is done.
    Finished,
}

/// Converts seconds to whole frames, rounding to the nearest frame.
/// The frame of a note `frames` frames long, release included, at which
/// it is released: `release_frames` before the end, but never before the
/// attack has ended (nor, for an attack longer than that, before half the
/// note), so every note sounds. Every length in beats or seconds (scores,
/// timelines, phrases, [`apply_envelope`](crate::apply_envelope)) means
/// this: one meaning of a note's length.
pub(crate) fn release_frame(frames: u32, attack_frames: u32, release_frames: u32) -> u32 {
    frames
        .saturating_sub(release_frames)
        .max(attack_frames.min(frames / 2))
}

impl AdsrEnvelope {
    /// The envelope for a note `frames` frames long, release included, and
    /// the frame at which to release it ([`release_frame`]); a release that
    /// would run past the end is shortened to end with the note.
    pub(crate) fn fitted(mut self, frames: u32, sample_rate: f32) -> (AdsrEnvelope, u32) {
        let release_frames = secs_to_frames(self.release_secs, sample_rate);
        let release_at = release_frame(
            frames,
            secs_to_frames(self.attack_secs, sample_rate),
            release_frames,
        );
        if release_at > frames.saturating_sub(release_frames) {
            self.release_secs = (frames - release_at) as f32 / sample_rate;
        }
        (self, release_at)
    }
}

pub(crate) fn secs_to_frames(secs: f32, sample_rate: f32) -> u32 {
    // `as` saturates: huge times become u32::MAX frames (more than a day).
    (f64::from(secs.max(0.0)) * f64::from(sample_rate)).round() as u32
}

/// The running envelope of one voice.
///
/// Within a phase the level is a straight line evaluated at each frame, so
/// it does not drift however long the phase is, and every boundary falls on
/// an exact frame: the attack of `n` frames gives levels `0/n, 1/n, …`,
/// reaching full level at frame `n`.
///
/// ```
/// use polyphonica::{AdsrEnvelope, EnvelopePhase, EnvelopeState};
///
/// // 4-frame attack, 4-frame decay to 0.5, 2-frame release at 1 kHz.
/// let mut env = EnvelopeState::new(&AdsrEnvelope::new(0.004, 0.004, 0.5, 0.002), 1000.0);
/// let levels: Vec<f32> = (0..10).map(|_| env.next_level()).collect();
/// assert_eq!(&levels[..5], &[0.0, 0.25, 0.5, 0.75, 1.0]);
/// assert_eq!(env.phase(), EnvelopePhase::Sustain);
/// env.release();
/// assert_eq!(env.next_level(), 0.5);
/// assert_eq!(env.next_level(), 0.25);
/// assert_eq!(env.phase(), EnvelopePhase::Finished);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct EnvelopeState {
    phase: EnvelopePhase,
    /// Level of the segment at its first frame.
    start: f32,
    /// Level change per frame within the segment.
    slope: f32,
    /// Frames of the segment already produced.
    position: u32,
    /// Frames in the segment (unused for Sustain and Finished).
    length: u32,
    decay_frames: u32,
    sustain_level: f32,
    release_frames: u32,
    /// A patch's delay before the attack (as a silent part of the attack
    /// phase) and hold after it (as a flat part of the decay phase), in
    /// frames; which of the two is running now.
    attack_frames: u32,
    hold_frames: u32,
    delaying: bool,
    holding: bool,
    /// Decay and release fall linearly in decibels (see
    /// [`EnvelopeCurve::Decibels`]): the segments then run on a level
    /// from 0 to 1 that maps onto 96 dB, and `sustain_level` is on it.
    decibels: bool,
    /// Where a decibel curve ends its decay or release: the position of
    /// the quietest gain worth rendering (0 otherwise).
    floor: f32,
}

/// How an envelope's decay and release fall.
///
/// ```
/// use polyphonica::EnvelopeCurve;
/// assert_eq!(EnvelopeCurve::default(), EnvelopeCurve::Linear);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EnvelopeCurve {
    /// Straight lines in amplitude, as [`AdsrEnvelope`] describes.
    #[default]
    Linear,
    /// As a SoundFont's volume envelope: the attack still rises in a
    /// straight line of amplitude, but the decay and the release fall in a
    /// straight line of decibels, their times being what a fall over the
    /// whole 96 dB would take (a decay to a sustain 12 dB down takes an
    /// eighth of `decay_secs`); the sustain level is still a gain.
    Decibels,
}

/// Decibels covered by a [`EnvelopeCurve::Decibels`] segment from 1 to 0,
/// as base-2 logarithm of the gain per unit: 96 dB.
const DB_SPAN_LOG2: f32 = 96.0 / 6.020_6;

impl EnvelopeState {
    /// A new envelope at the start of its attack. The settings are
    /// sanitized (non-finite fields count as 0).
    pub fn new(envelope: &AdsrEnvelope, sample_rate: f32) -> Self {
        Self::with_curve(envelope, EnvelopeCurve::Linear, sample_rate)
    }

    /// A new envelope whose decay and release fall as `curve` says.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, EnvelopeCurve, EnvelopeState};
    /// // No attack, a 1 s decay (for 96 dB) to a sustain 48 dB down at 1 kHz.
    /// let e = AdsrEnvelope::new(0.0, 1.0, 10f32.powf(-48.0 / 20.0), 0.1);
    /// let mut env = EnvelopeState::with_curve(&e, EnvelopeCurve::Decibels, 1000.0);
    /// let levels: Vec<f32> = (0..600).map(|_| env.next_level()).collect();
    /// let db = |x: f32| 20.0 * x.log10();
    /// assert!((db(levels[250]) + 24.0).abs() < 0.1); // halfway down in 250 ms
    /// assert!((db(levels[599]) + 48.0).abs() < 0.1); // sustaining
    /// ```
    pub fn with_curve(envelope: &AdsrEnvelope, curve: EnvelopeCurve, sample_rate: f32) -> Self {
        let decibels = curve == EnvelopeCurve::Decibels;
        let e = envelope
            .sanitized()
            .unwrap_or(AdsrEnvelope::new(0.0, 0.0, 0.0, 0.0));
        let attack_frames = secs_to_frames(e.attack_secs, sample_rate);
        let mut state = EnvelopeState {
            phase: EnvelopePhase::Attack,
            start: 0.0,
            slope: 0.0,
            position: 0,
            length: attack_frames,
            decay_frames: secs_to_frames(e.decay_secs, sample_rate),
            sustain_level: if decibels {
                decibel_position(e.sustain_level)
            } else {
                e.sustain_level
            },
            release_frames: secs_to_frames(e.release_secs, sample_rate),
            attack_frames,
            hold_frames: 0,
            delaying: false,
            holding: false,
            decibels,
            floor: 0.0,
        };
        if attack_frames == 0 {
            state.enter_decay();
        } else {
            state.slope = 1.0 / attack_frames as f32;
        }
        state
    }

    /// An envelope that stays silent for `delay_secs` before its attack
    /// and holds full level for `hold_secs` after it (a patch's, as
    /// SoundFonts have them); the delay counts as attack, the hold as
    /// decay. Negative or non-finite times count as 0.
    pub(crate) fn with_delay_hold(
        envelope: &AdsrEnvelope,
        curve: EnvelopeCurve,
        delay_secs: f32,
        hold_secs: f32,
        sample_rate: f32,
    ) -> Self {
        let frames =
            |secs: f32| secs_to_frames(if secs.is_finite() { secs } else { 0.0 }, sample_rate);
        let (delay_frames, hold_frames) = (frames(delay_secs), frames(hold_secs));
        let mut state = EnvelopeState::with_curve(envelope, curve, sample_rate);
        state.hold_frames = hold_frames;
        if delay_frames > 0 {
            state.delaying = true;
            state.phase = EnvelopePhase::Attack;
            state.start = 0.0;
            state.slope = 0.0;
            state.position = 0;
            state.length = delay_frames;
        } else if state.attack_frames == 0 && hold_frames > 0 {
            state.enter_decay(); // again, now with the hold first
        }
        state
    }

    /// For a decibel curve, ends the decay and the release once the level
    /// is below `gain` (a voice's noise floor: −96 dB absolute over its
    /// amplitude) rather than 96 dB below full, as a SoundFont player stops
    /// a voice nobody can hear. No effect on a linear envelope.
    pub(crate) fn with_floor(mut self, gain: f32) -> Self {
        if self.decibels && gain > 0.0 {
            // Never above 48 dB down: a note started nearly silent still
            // decays and releases.
            self.floor = decibel_position(gain).min(0.5);
            if self.phase == EnvelopePhase::Decay && !self.holding && self.position == 0 {
                self.enter_decay();
            }
        }
        self
    }

    /// The current phase.
    pub fn phase(&self) -> EnvelopePhase {
        self.phase
    }

    /// The level the next frame will have.
    pub fn level(&self) -> f32 {
        let raw = self.raw_level();
        if self.decibels && self.phase != EnvelopePhase::Attack {
            decibel_gain(raw)
        } else {
            raw
        }
    }

    /// The next frame's level on the segments' own scale (for a decibel
    /// curve past the attack, the position on the 96 dB span).
    fn raw_level(&self) -> f32 {
        match self.phase {
            EnvelopePhase::Sustain => self.sustain_level,
            EnvelopePhase::Finished => 0.0,
            _ => self.start + self.slope * self.position as f32,
        }
    }

    /// Whether the envelope has reached the end of its release.
    pub fn is_finished(&self) -> bool {
        self.phase == EnvelopePhase::Finished
    }

    /// Starts the release from the current level (at any phase; a finished
    /// or already releasing envelope is left alone).
    pub fn release(&mut self) {
        match self.phase {
            EnvelopePhase::Release | EnvelopePhase::Finished => {}
            _ if self.decibels => {
                // The same fall in decibels per second from wherever it is:
                // a release from 48 dB down takes half the release time.
                let raw = self.raw_level();
                let at = if self.phase == EnvelopePhase::Attack {
                    decibel_position(raw)
                } else {
                    raw
                };
                let floor = self.floor.min(at);
                let frames = (self.release_frames as f32 * (at - floor)).round() as u32;
                self.enter(EnvelopePhase::Release, at, frames, floor);
            }
            _ => {
                let level = self.level();
                self.enter(EnvelopePhase::Release, level, self.release_frames, 0.0);
            }
        }
    }

    /// Advances one frame and returns its level.
    pub fn next_level(&mut self) -> f32 {
        let mut one = [0.0];
        self.render(&mut one);
        one[0]
    }

    /// Fills `out` with the levels of the next `out.len()` frames and returns
    /// how many frames came before the envelope finished (`out.len()` if it
    /// did not); the frames after that are 0.
    pub fn render(&mut self, out: &mut [f32]) -> usize {
        let mut done = 0;
        while done < out.len() {
            let rest = &mut out[done..];
            match self.phase {
                EnvelopePhase::Finished => {
                    rest.fill(0.0);
                    return done;
                }
                EnvelopePhase::Sustain => {
                    rest.fill(self.level());
                    return out.len();
                }
                _ => {
                    let n = (self.length - self.position).min(rest.len() as u32) as usize;
                    // Each level comes from its index in the segment alone, so
                    // any split into blocks gives identical levels.
                    let (start, slope, first) = (self.start, self.slope, self.position);
                    if self.decibels && self.phase != EnvelopePhase::Attack {
                        // A straight line in decibels is a geometric series
                        // of gains: one exponential for the first frame and
                        // one for the ratio, then a multiply a frame.
                        // Re-anchored every 32 frames, so rounding never
                        // drifts.
                        // Eight frames at once: the first gain times the
                        // ratio's powers 0..8, then on by its eighth power.
                        let ratio = (DB_SPAN_LOG2 * slope).exp2();
                        let mut powers = [1.0f32; 8];
                        for k in 1..8 {
                            powers[k] = powers[k - 1] * ratio;
                        }
                        let eighth = powers[7] * ratio;
                        for (c, chunk) in rest[..n].chunks_mut(32).enumerate() {
                            let at = first + 32 * c as u32;
                            let mut gain = decibel_gain(start + slope * at as f32);
                            let mut groups = chunk.chunks_exact_mut(8);
                            for group in &mut groups {
                                for (o, p) in group.iter_mut().zip(&powers) {
                                    *o = gain * p;
                                }
                                gain *= eighth;
                            }
                            for (o, p) in groups.into_remainder().iter_mut().zip(&powers) {
                                *o = gain * p;
                            }
                        }
                    } else {
                        for (i, o) in rest[..n].iter_mut().enumerate() {
                            *o = start + slope * (first + i as u32) as f32;
                        }
                    }
                    self.position += n as u32;
                    done += n;
                    if self.position >= self.length {
                        self.advance_phase();
                    }
                }
            }
        }
        done
    }

    /// Advances `frames` frames without writing their levels and returns
    /// the last one's level: what [`render`](Self::render) would have put
    /// last (0 once finished), computed from its index alone (on a decibel
    /// curve `render`'s series may differ from it in the last bits). With
    /// 0 frames, the next frame's level, nothing advanced. For envelopes
    /// read only at a control rate (a patch's modulation envelope).
    pub(crate) fn skip(&mut self, frames: usize) -> f32 {
        let mut left = u32::try_from(frames).unwrap_or(u32::MAX);
        let mut last = self.level();
        while left > 0 {
            match self.phase {
                EnvelopePhase::Finished => return 0.0,
                EnvelopePhase::Sustain => return self.level(),
                phase => {
                    let n = self.length.saturating_sub(self.position).min(left);
                    if n > 0 {
                        let raw = self.start + self.slope * (self.position + n - 1) as f32;
                        last = if self.decibels && phase != EnvelopePhase::Attack {
                            decibel_gain(raw)
                        } else {
                            raw
                        };
                    }
                    self.position += n;
                    left -= n;
                    if self.position >= self.length {
                        self.advance_phase();
                    }
                }
            }
        }
        last
    }

    fn enter(&mut self, phase: EnvelopePhase, start: f32, length: u32, end: f32) {
        self.phase = phase;
        self.start = start;
        self.position = 0;
        self.length = length;
        self.slope = if length == 0 {
            0.0
        } else {
            (end - start) / length as f32
        };
        if length == 0 {
            self.advance_phase();
        }
    }

    fn enter_decay(&mut self) {
        if self.hold_frames > 0 && !self.holding {
            self.holding = true;
            self.enter(EnvelopePhase::Decay, 1.0, self.hold_frames, 1.0);
            return;
        }
        self.holding = false;
        self.hold_frames = 0;
        let end = self.sustain_level.max(self.floor);
        let frames = if self.decibels {
            // The decay time is the time of a fall over the whole span.
            (self.decay_frames as f32 * (1.0 - end)).round() as u32
        } else {
            self.decay_frames
        };
        self.enter(EnvelopePhase::Decay, 1.0, frames, end);
    }

    fn advance_phase(&mut self) {
        match self.phase {
            EnvelopePhase::Attack if self.delaying => {
                self.delaying = false;
                if self.attack_frames == 0 {
                    self.enter_decay();
                } else {
                    self.enter(EnvelopePhase::Attack, 0.0, self.attack_frames, 1.0);
                }
            }
            EnvelopePhase::Attack => self.enter_decay(),
            EnvelopePhase::Decay if self.holding => self.enter_decay(),
            EnvelopePhase::Decay if self.sustain_level <= self.floor => {
                self.phase = EnvelopePhase::Finished
            }
            EnvelopePhase::Decay => self.phase = EnvelopePhase::Sustain,
            EnvelopePhase::Release => self.phase = EnvelopePhase::Finished,
            EnvelopePhase::Sustain | EnvelopePhase::Finished => {}
        }
    }
}

/// The gain at `position` (0 to 1) on a decibel curve's 96 dB span.
#[inline(always)]
fn decibel_gain(position: f32) -> f32 {
    crate::dsp::fast::exp2(DB_SPAN_LOG2 * (position - 1.0))
}

/// Where `gain` (0 to 1) sits on a decibel curve's 96 dB span (0 for
/// anything 96 dB down or more).
fn decibel_position(gain: f32) -> f32 {
    if gain > 0.0 {
        (1.0 + gain.log2() / DB_SPAN_LOG2).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests;
