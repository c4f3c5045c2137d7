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
}

impl ModSource {
    /// The source a score names: `velocity`, `key`, `mod_envelope`, `lfo1`,
    /// `lfo2`, `mod_wheel`, `pressure`, `poly_pressure`, `pitch_bend`,
    /// `vibrato`, `random` or `cc0` … `cc127`.
    ///
    /// ```
    /// use polyphonica::patch::ModSource;
    /// assert_eq!(ModSource::from_name("cc74"), Some(ModSource::Controller(74)));
    /// assert_eq!(ModSource::from_name("cc128"), None);
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
            _ => {
                let n: u8 = name.strip_prefix("cc")?.parse().ok()?;
                if n > 127 {
                    return None;
                }
                ModSource::Controller(n)
            }
        })
    }

    /// Every name [`from_name`](Self::from_name) takes, `cc<N>` standing for
    /// the controllers.
    pub const NAMES: [&'static str; 12] = [
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
    ];
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
}

impl ModTarget {
    /// The target a score names: `pitch`, `cutoff`, `resonance`,
    /// `amplitude`, `pan`, `pulse_width`, `lfo1_rate`, `lfo2_rate`,
    /// `reverb_send`, `chorus_send` or `delay_send`.
    ///
    /// ```
    /// use polyphonica::patch::ModTarget;
    /// assert_eq!(ModTarget::from_name("cutoff"), Some(ModTarget::Cutoff));
    /// assert_eq!(ModTarget::from_name("volume"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        let i = Self::NAMES.iter().position(|&n| n == name)?;
        Some(Self::ALL[i])
    }

    /// Every name [`from_name`](Self::from_name) takes.
    pub const NAMES: [&'static str; 11] = [
        "pitch",
        "cutoff",
        "resonance",
        "amplitude",
        "pan",
        "pulse_width",
        "lfo1_rate",
        "lfo2_rate",
        "reverb_send",
        "chorus_send",
        "delay_send",
    ];

    const ALL: [ModTarget; 11] = [
        ModTarget::Pitch,
        ModTarget::Cutoff,
        ModTarget::Resonance,
        ModTarget::Amplitude,
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
}
