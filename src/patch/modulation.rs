//! What moves a patch while it plays: LFOs, and the modulation matrix's
//! sources, targets and slots.

/// The shape of an LFO's cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LfoShape {
    /// A sine, −1 to 1.
    #[default]
    Sine,
    /// A triangle, −1 to 1.
    Triangle,
    /// A square: 1 for the first half cycle, −1 for the second.
    Square,
    /// A rising saw, −1 to 1.
    Saw,
    /// A new random value (−1 to 1) at the start of each cycle, held.
    SampleAndHold,
}

/// A low-frequency oscillator of a patch.
///
/// Its output (−1 to 1) is a modulation source (`Lfo1`, `Lfo2`); it does
/// nothing until a slot of the matrix routes it somewhere.
///
/// ```
/// use polyphonica::patch::{Lfo, LfoShape};
/// use polyphonica::Tempo;
///
/// let vibrato = Lfo::new(LfoShape::Sine, 5.5).with_delay(0.2, 0.3);
/// assert_eq!(vibrato.rate_hz, 5.5);
/// // Two beats per cycle at 120 beats per minute: 1 Hz.
/// assert_eq!(Lfo::from_beats(LfoShape::Triangle, 2.0, Tempo::new(120.0)).rate_hz, 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lfo {
    /// The shape of a cycle.
    pub shape: LfoShape,
    /// Cycles per second (0 to 100 Hz; clamped).
    pub rate_hz: f32,
    /// Seconds after the note starts before the LFO moves at all.
    pub delay_secs: f32,
    /// Seconds over which it then grows from nothing to full depth.
    pub fade_secs: f32,
    /// Whether the LFO runs on the engine's clock rather than restarting
    /// at phase 0 with each note (so all notes move together).
    pub free_running: bool,
}

/// The fastest LFO, in Hz.
pub const MAX_LFO_HZ: f32 = 100.0;

impl Lfo {
    /// An LFO of `shape` at `rate_hz`, restarted with each note, no delay.
    pub fn new(shape: LfoShape, rate_hz: f32) -> Self {
        Lfo {
            shape,
            rate_hz,
            delay_secs: 0.0,
            fade_secs: 0.0,
            free_running: false,
        }
        .sanitized()
    }

    /// An LFO whose cycle lasts `beats` beats at `tempo`.
    pub fn from_beats(shape: LfoShape, beats: f32, tempo: crate::Tempo) -> Self {
        let secs = f64::from(beats) * 60.0 / tempo.bpm();
        Lfo::new(shape, (1.0 / secs) as f32)
    }

    /// The same LFO, still for `delay_secs`, then fading in over
    /// `fade_secs`.
    pub fn with_delay(mut self, delay_secs: f32, fade_secs: f32) -> Self {
        self.delay_secs = delay_secs;
        self.fade_secs = fade_secs;
        self.sanitized()
    }

    /// The same LFO, free-running (see [`Lfo::free_running`]).
    pub fn free_running(mut self) -> Self {
        self.free_running = true;
        self
    }

    /// Every field in range: the rate in `0..=100` Hz, times at least 0
    /// and at most an hour; NaN counts as 0.
    pub(crate) fn sanitized(mut self) -> Self {
        let clamp = |x: f32, hi: f32| if x.is_nan() { 0.0 } else { x.clamp(0.0, hi) };
        self.rate_hz = clamp(self.rate_hz, MAX_LFO_HZ);
        self.delay_secs = clamp(self.delay_secs, 3600.0);
        self.fade_secs = clamp(self.fade_secs, 3600.0);
        self
    }
}

impl Default for Lfo {
    /// A 5 Hz sine, restarted with each note.
    fn default() -> Self {
        Lfo::new(LfoShape::Sine, 5.0)
    }
}

/// Where a modulation comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModSource {
    /// The note's velocity, 0 to 1.
    Velocity,
    /// The note's key in octaves from middle C (MIDI 60 = 0, 72 = 1).
    Key,
    /// The modulation envelope, 0 to 1.
    ModEnvelope,
    /// The first LFO, −1 to 1.
    Lfo1,
    /// The second LFO, −1 to 1.
    Lfo2,
    /// The mod wheel (controller 1) of the note's channel, 0 to 1.
    ModWheel,
    /// The channel's pressure (aftertouch), 0 to 1.
    Pressure,
    /// The note's own pressure (polyphonic aftertouch), 0 to 1.
    PolyPressure,
    /// The channel's pitch bend, −1 to 1.
    PitchBend,
    /// The note's own vibrato depth, 0 to 1 (a CLAP vibrato note
    /// expression; set with
    /// [`Event::SetNoteVibrato`](crate::Event::SetNoteVibrato)).
    Vibrato,
    /// Any controller of the note's channel, 0 to 1.
    Controller(u8),
    /// A number drawn when the note starts, 0 to 1.
    Random,
    /// Always 1: a slot of this source adds its amount (times its scale),
    /// a constant offset.
    Constant,
    /// What the slots feeding link `n` (`0..MOD_LINKS`, see
    /// [`ModTarget::Link`]) add up to now; read through a curve, its range
    /// is 0 to 1. A number past the last link reads the last.
    Link(u8),
}

/// Links in a patch's modulation matrix: sums that slots feed
/// ([`ModTarget::Link`]) and other slots read ([`ModSource::Link`]), so a
/// modulation can have more than two factors, or a curve over a sum.
pub const MOD_LINKS: usize = 4;

impl ModSource {
    /// The source a score names: `velocity`, `key`, `mod_envelope`, `lfo1`,
    /// `lfo2`, `mod_wheel`, `pressure`, `poly_pressure`, `pitch_bend`,
    /// `vibrato`, `random`, `constant`, `cc0` … `cc127` or `link0` …
    /// `link3`.
    ///
    /// ```
    /// use polyphonica::patch::ModSource;
    /// assert_eq!(ModSource::from_name("cc74"), Some(ModSource::Controller(74)));
    /// assert_eq!(ModSource::from_name("cc128"), None);
    /// assert_eq!(ModSource::from_name("link2"), Some(ModSource::Link(2)));
    /// assert_eq!(ModSource::from_name("link4"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "velocity" => ModSource::Velocity,
            "key" => ModSource::Key,
            "mod_envelope" => ModSource::ModEnvelope,
            "lfo1" => ModSource::Lfo1,
            "lfo2" => ModSource::Lfo2,
            "mod_wheel" => ModSource::ModWheel,
            "pressure" => ModSource::Pressure,
            "poly_pressure" => ModSource::PolyPressure,
            "pitch_bend" => ModSource::PitchBend,
            "vibrato" => ModSource::Vibrato,
            "random" => ModSource::Random,
            "constant" => ModSource::Constant,
            _ => match name.strip_prefix("link") {
                Some(n) => ModSource::Link(link_named(n)?),
                None => {
                    let n: u8 = name.strip_prefix("cc")?.parse().ok()?;
                    if n > 127 {
                        return None;
                    }
                    ModSource::Controller(n)
                }
            },
        })
    }

    /// Every name [`from_name`](Self::from_name) takes, `cc<N>` standing for
    /// the controllers and `link<N>` for the links.
    pub const NAMES: [&'static str; 14] = [
        "velocity",
        "key",
        "mod_envelope",
        "lfo1",
        "lfo2",
        "mod_wheel",
        "pressure",
        "poly_pressure",
        "pitch_bend",
        "vibrato",
        "cc<N>",
        "random",
        "constant",
        "link<N>",
    ];
}

/// The link a score names after `link`: `0` … `3`.
fn link_named(n: &str) -> Option<u8> {
    let n: u8 = n.parse().ok()?;
    (usize::from(n) < MOD_LINKS).then_some(n)
}

/// What a modulation moves, and the unit of its amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModTarget {
    /// Pitch, in semitones.
    Pitch,
    /// The filter's cutoff, in octaves.
    Cutoff,
    /// The filter's resonance, added (the sum is kept in 0–1).
    Resonance,
    /// The gain, times `1 + amount·source` (never below 0).
    Amplitude,
    /// The level, in decibels: the gain times `10^(amount·source / 20)`
    /// (the sum kept within −144 to +24 dB). A tremolo of ±6 dB is
    /// `Lfo1 × 6 → LevelDb`: 6 dB up at the LFO's top, 6 down at its
    /// bottom.
    LevelDb,
    /// The pan, added (the sum is kept in −1–1).
    Pan,
    /// The pulse width of pulse sources, added (kept in 0.01–0.99).
    PulseWidth,
    /// The first LFO's rate, in octaves.
    Lfo1Rate,
    /// The second LFO's rate, in octaves.
    Lfo2Rate,
    /// The reverb send, added (kept in 0–1).
    ReverbSend,
    /// The chorus send, added (kept in 0–1).
    ChorusSend,
    /// The delay send, added (kept in 0–1).
    DelaySend,
    /// Link `n` (`0..MOD_LINKS`): what slots after this one read as
    /// [`ModSource::Link`]. A number past the last feeds the last.
    ///
    /// ```
    /// use polyphonica::patch::{CurveShape, ModCurve, ModSource, ModTarget, Modulation, Patch};
    /// use polyphonica::Waveform;
    /// // A vibrato as deep as the mod wheel times controller 2 (three
    /// // factors: the LFO, the wheel, the controller).
    /// let patch = Patch::new(Waveform::Sawtooth)
    ///     .with_slot(Modulation::new(ModSource::ModWheel, ModTarget::Link(0), 1.0)
    ///         .with_scale(ModSource::Controller(2)))?
    ///     .with_slot(Modulation::new(ModSource::Link(0), ModTarget::Pitch, 0.5)
    ///         .with_scale(ModSource::Lfo2))?;
    /// assert_eq!(patch.modulation().len(), 2);
    /// # Ok::<(), polyphonica::patch::PatchError>(())
    /// ```
    Link(u8),
}

impl ModTarget {
    /// The target a score names: `pitch`, `cutoff`, `resonance`,
    /// `amplitude`, `level_db`, `pan`, `pulse_width`, `lfo1_rate`,
    /// `lfo2_rate`, `reverb_send`, `chorus_send`, `delay_send` or `link0` …
    /// `link3`.
    ///
    /// ```
    /// use polyphonica::patch::ModTarget;
    /// assert_eq!(ModTarget::from_name("cutoff"), Some(ModTarget::Cutoff));
    /// assert_eq!(ModTarget::from_name("link1"), Some(ModTarget::Link(1)));
    /// assert_eq!(ModTarget::from_name("volume"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        if let Some(n) = name.strip_prefix("link") {
            return link_named(n).map(ModTarget::Link);
        }
        let i = Self::NAMES.iter().position(|&n| n == name)?;
        Self::ALL.get(i).copied()
    }

    /// Every name [`from_name`](Self::from_name) takes, `link<N>` standing
    /// for the links.
    pub const NAMES: [&'static str; 13] = [
        "pitch",
        "cutoff",
        "resonance",
        "amplitude",
        "level_db",
        "pan",
        "pulse_width",
        "lfo1_rate",
        "lfo2_rate",
        "reverb_send",
        "chorus_send",
        "delay_send",
        "link<N>",
    ];

    const ALL: [ModTarget; 12] = [
        ModTarget::Pitch,
        ModTarget::Cutoff,
        ModTarget::Resonance,
        ModTarget::Amplitude,
        ModTarget::LevelDb,
        ModTarget::Pan,
        ModTarget::PulseWidth,
        ModTarget::Lfo1Rate,
        ModTarget::Lfo2Rate,
        ModTarget::ReverbSend,
        ModTarget::ChorusSend,
        ModTarget::DelaySend,
    ];
}

/// One slot of the modulation matrix: `source × amount → target`, or
/// `source × scale × amount → target` when a second source scales it.
///
/// Slots run in the matrix's order. A slot whose target is a link
/// ([`ModTarget::Link`]) adds to it; a later slot whose source or scale
/// is that link reads the sum, so a link is fed before it is read
/// ([`Patch::with_slot`](super::Patch::with_slot) refuses otherwise).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Modulation {
    /// Where it comes from.
    pub source: ModSource,
    /// A second source the first is multiplied by, if any (how deep the
    /// mod wheel makes a vibrato).
    pub scale: Option<ModSource>,
    /// What it moves.
    pub target: ModTarget,
    /// How much, in the target's unit per unit of the source (finite;
    /// clamped to ±100).
    pub amount: f32,
    /// The curve the source is read through, if any (`None`: the source
    /// as it is).
    pub curve: Option<ModCurve>,
    /// The curve the scale is read through, if any (`None`: as it is).
    pub scale_curve: Option<ModCurve>,
    /// Whether the slot adds the absolute value of what it would add
    /// (a SoundFont modulator's absolute-value transform).
    pub absolute: bool,
}

impl Modulation {
    /// A slot moving `target` by `amount` per unit of `source`, with no
    /// scale and no curve (add them with [`with_scale`](Self::with_scale)
    /// and [`with_curve`](Self::with_curve); give it to a patch with
    /// [`Patch::with_slot`](super::Patch::with_slot)).
    pub fn new(source: ModSource, target: ModTarget, amount: f32) -> Self {
        Modulation {
            source,
            scale: None,
            target,
            amount,
            curve: None,
            scale_curve: None,
            absolute: false,
        }
    }

    /// The same slot multiplied by a second source.
    pub fn with_scale(mut self, scale: ModSource) -> Self {
        self.scale = Some(scale);
        self
    }

    /// The same slot reading its source through `curve`.
    ///
    /// ```
    /// use polyphonica::patch::{CurveShape, ModCurve, ModSource, ModTarget, Modulation};
    /// // The standard's velocity to level: full at 127, falling on the
    /// // concave curve below it.
    /// let slot = Modulation::new(ModSource::Velocity, ModTarget::Amplitude, -1.0)
    ///     .with_curve(ModCurve::new(CurveShape::Concave).falling());
    /// assert_eq!(slot.curve.unwrap().at(1.0), 0.0);
    /// ```
    pub fn with_curve(mut self, curve: ModCurve) -> Self {
        self.curve = Some(curve);
        self
    }

    /// The same slot reading its scale through `curve`.
    pub fn with_scale_curve(mut self, curve: ModCurve) -> Self {
        self.scale_curve = Some(curve);
        self
    }

    /// The same slot adding the absolute value of what it would add: a
    /// bipolar source then moves its target one way only.
    ///
    /// ```
    /// use polyphonica::patch::{ModSource, ModTarget, Modulation};
    /// let up_only = Modulation::new(ModSource::PitchBend, ModTarget::Cutoff, 2.0).absolute();
    /// assert!(up_only.absolute);
    /// ```
    pub fn absolute(mut self) -> Self {
        self.absolute = true;
        self
    }
}

/// The shape of a [`ModCurve`]: SoundFont 2.04's four (section 8.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CurveShape {
    /// A straight line.
    #[default]
    Linear,
    /// Slow, then fast: the gain of a level falling linearly in decibels
    /// over 96 dB (0 at 0, 1 at 1; half way at 0.94).
    Concave,
    /// Fast, then slow: the concave curve turned over.
    Convex,
    /// 0 in the lower half, 1 in the upper.
    Switch,
}

/// A curve a slot of the matrix reads its source through, as a SoundFont
/// modulator reads its controller: the source's place in its range (0 at
/// its bottom, 1 at its top) through a shape, rising or falling, to 0..1,
/// or −1..1 when bipolar.
///
/// A source's range: 0 to 1 for the velocity, controllers, pressures,
/// the modulation envelope, the random draw, the links and the constant;
/// −1 to 1 for the LFOs and the pitch wheel; MIDI keys 0 to 127 for the
/// key.
///
/// ```
/// use polyphonica::patch::{CurveShape, ModCurve};
/// let concave = ModCurve::new(CurveShape::Concave);
/// assert_eq!((concave.at(0.0), concave.at(1.0)), (0.0, 1.0));
/// assert!(concave.at(0.5) < 0.2);
/// // Bipolar: −1 at the bottom, 0 in the middle, 1 at the top.
/// let bipolar = ModCurve::new(CurveShape::Linear).bipolar();
/// assert_eq!((bipolar.at(0.0), bipolar.at(0.5), bipolar.at(1.0)), (-1.0, 0.0, 1.0));
/// assert_eq!(ModCurve::from_name("falling convex"), Some(ModCurve::new(CurveShape::Convex).falling()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ModCurve {
    /// The shape.
    pub shape: CurveShape,
    /// From 1 at the bottom of the range down to 0 at its top (−1 when
    /// bipolar) rather than up.
    pub falling: bool,
    /// −1 to 1, 0 in the middle of the range, rather than 0 to 1; each
    /// half is the shape, turned about the middle.
    pub bipolar: bool,
}

impl ModCurve {
    /// A rising, unipolar curve of `shape`.
    pub const fn new(shape: CurveShape) -> Self {
        ModCurve {
            shape,
            falling: false,
            bipolar: false,
        }
    }

    /// The same curve, falling.
    pub const fn falling(mut self) -> Self {
        self.falling = true;
        self
    }

    /// The same curve, bipolar.
    pub const fn bipolar(mut self) -> Self {
        self.bipolar = true;
        self
    }

    /// The curve a score names: `linear`, `concave`, `convex` or
    /// `switch`, after `falling` and `bipolar` if they apply, as in
    /// `"falling bipolar concave"`.
    pub fn from_name(name: &str) -> Option<Self> {
        let mut curve = ModCurve::default();
        let mut words = name.split_whitespace().peekable();
        if words.peek() == Some(&"falling") {
            curve.falling = true;
            words.next();
        }
        if words.peek() == Some(&"bipolar") {
            curve.bipolar = true;
            words.next();
        }
        curve.shape = match words.next()? {
            "linear" => CurveShape::Linear,
            "concave" => CurveShape::Concave,
            "convex" => CurveShape::Convex,
            "switch" => CurveShape::Switch,
            _ => return None,
        };
        words.next().is_none().then_some(curve)
    }

    /// Whether the curve reads `source` as it is: a rising line of the
    /// source's own polarity (−1 to 1 for the LFOs and the pitch wheel, 0
    /// to 1 for the others but the key).
    pub(crate) fn is_identity_for(&self, source: ModSource) -> bool {
        let bipolar = matches!(
            source,
            ModSource::Lfo1 | ModSource::Lfo2 | ModSource::PitchBend
        );
        self.shape == CurveShape::Linear
            && !self.falling
            && self.bipolar == bipolar
            && source != ModSource::Key
    }

    /// The curve at `x`, a place in the source's range from 0 (its bottom)
    /// to 1 (its top; kept in 0–1).
    pub fn at(&self, x: f32) -> f32 {
        let x = if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
        let x = if self.falling { 1.0 - x } else { x };
        let shape = |x: f32| match self.shape {
            CurveShape::Linear => x,
            CurveShape::Concave => concave(x),
            CurveShape::Convex => 1.0 - concave(1.0 - x),
            CurveShape::Switch => f32::from(u8::from(x >= 0.5)),
        };
        if !self.bipolar {
            shape(x)
        } else if x >= 0.5 {
            shape(2.0 * x - 1.0)
        } else {
            -shape(1.0 - 2.0 * x)
        }
    }
}

/// The standard's concave curve: 0 at 0, 1 at 1, rising as the gain of a
/// level falling linearly in decibels over 96 dB.
fn concave(x: f32) -> f32 {
    if x >= 1.0 {
        1.0
    } else {
        (-(40.0 / 96.0) * (1.0 - x).log10()).clamp(0.0, 1.0)
    }
}

impl ModSource {
    /// Where `value`, a value of this source, sits in its range: 0 at the
    /// bottom, 1 at the top (see [`ModCurve`]).
    pub(crate) fn place(self, value: f32) -> f32 {
        match self {
            ModSource::Lfo1 | ModSource::Lfo2 | ModSource::PitchBend => 0.5 * (value + 1.0),
            ModSource::Key => (60.0 + 12.0 * value) / 127.0,
            _ => value,
        }
    }
}
