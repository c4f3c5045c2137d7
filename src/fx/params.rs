//! The settings of the effects and the sends that feed them.

/// The reverb's settings: a stereo feedback delay network.
///
/// ```
/// use polyphonica::fx::ReverbParams;
/// let hall = ReverbParams { decay_secs: 3.5, size: 1.0, ..ReverbParams::default() };
/// assert_eq!(hall.predelay_secs, 0.02);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReverbParams {
    /// RT60: the seconds a sound takes to decay by 60 dB (clamped to
    /// `0.05..=60`). Exact at low frequencies; `damping` shortens the highs.
    pub decay_secs: f32,
    /// Seconds before the reverb begins (clamped to `0..=0.5`).
    pub predelay_secs: f32,
    /// How much faster high frequencies die away, `0..=1` (0: as fast as
    /// the lows).
    pub damping: f32,
    /// Room size, `0..=1`: the spacing of the reflections (longer delay
    /// lines for a larger room).
    pub size: f32,
}

impl Default for ReverbParams {
    fn default() -> Self {
        ReverbParams {
            decay_secs: 2.0,
            predelay_secs: 0.02,
            damping: 0.5,
            size: 0.8,
        }
    }
}

/// The chorus's settings: a few delayed copies whose delays an LFO sways.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChorusParams {
    /// LFO rate in Hz (clamped to `0.01..=10`).
    pub rate_hz: f32,
    /// How far the delays sway, `0..=1` (1 = ±4 ms).
    pub depth: f32,
    /// Delayed copies, `1..=4`, spread across the stereo field.
    pub voices: u8,
}

impl Default for ChorusParams {
    fn default() -> Self {
        ChorusParams {
            rate_hz: 0.8,
            depth: 0.5,
            voices: 3,
        }
    }
}

/// The delay's settings: echoes `time_secs` apart, each `feedback` times
/// the one before.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DelayParams {
    /// Seconds between echoes (clamped to `0.001..=`[`MAX_DELAY_SECS`]).
    /// While the delay sounds, a change glides there (about 50 ms for a
    /// small change, a second per quarter second for a large one, like a
    /// tape delay), so it never clicks. In beats:
    /// `beats * tempo.secs_per_beat()`.
    pub time_secs: f32,
    /// Level of each echo against the one before, `0..=0.98` (clamped: at
    /// 1 or above the echoes would never die).
    pub feedback: f32,
    /// Echoes alternate left and right.
    pub ping_pong: bool,
}

impl Default for DelayParams {
    fn default() -> Self {
        DelayParams {
            time_secs: 0.375,
            feedback: 0.4,
            ping_pong: false,
        }
    }
}

/// The longest delay time, in seconds.
pub const MAX_DELAY_SECS: f32 = 2.0;

/// How much of a note (or a group) goes to each effect, `0..=1` each
/// (clamped). The dry sound is unchanged; the effects add to it. The reverb
/// and the chorus take the middle of a note, `(left + right) / 2` (as
/// FluidSynth's and Freeverb's do), and spread it across both sides
/// themselves; the delay takes left and right apart.
///
/// ```
/// use polyphonica::fx::Sends;
/// let wet = Sends { reverb: 0.3, ..Sends::default() };
/// assert_eq!(wet.delay, 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sends {
    /// To the reverb.
    pub reverb: f32,
    /// To the chorus.
    pub chorus: f32,
    /// To the delay.
    pub delay: f32,
}

impl Sends {
    /// The sends as an array (reverb, chorus, delay), each made finite and
    /// clamped to `0..=1`.
    pub(crate) fn levels(self) -> [f32; 3] {
        [self.reverb, self.chorus, self.delay].map(|s| {
            if s.is_finite() {
                s.clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
    }

    /// The sends from an array (reverb, chorus, delay).
    pub(crate) fn from_levels([reverb, chorus, delay]: [f32; 3]) -> Self {
        Sends {
            reverb,
            chorus,
            delay,
        }
    }
}

/// `x` if finite, else `fallback`, then clamped.
pub(crate) fn finite_clamp(x: f32, lo: f32, hi: f32, fallback: f32) -> f32 {
    if x.is_finite() {
        x.clamp(lo, hi)
    } else {
        fallback
    }
}

/// The three effects' settings together, as a score or a renderer sets
/// them up front.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EffectSettings {
    /// The reverb.
    pub reverb: ReverbParams,
    /// The chorus.
    pub chorus: ChorusParams,
    /// The delay.
    pub delay: DelayParams,
}

impl EffectSettings {
    /// Seconds the effects ring on after their last input, near enough to
    /// silence (-60 dB) for a render's end: the reverb's decay, the delay's
    /// echoes until they are 60 dB down (at most ten seconds), the chorus's
    /// longest delay.
    ///
    /// ```
    /// use polyphonica::fx::{DelayParams, EffectSettings};
    /// let fx = EffectSettings { delay: DelayParams { time_secs: 0.5, feedback: 0.5, ping_pong: false }, ..EffectSettings::default() };
    /// assert_eq!(fx.tail_secs([false, false, true]), 5.0); // ten echoes
    /// ```
    pub fn tail_secs(&self, used: [bool; 3]) -> f32 {
        let reverb = if used[0] {
            self.reverb.decay_secs + self.reverb.predelay_secs
        } else {
            0.0
        };
        let chorus = if used[1] { 0.05 } else { 0.0 };
        let delay = if used[2] {
            let feedback = finite_clamp(self.delay.feedback, 0.0, 0.98, 0.0);
            let echoes = if feedback > 0.0 {
                (0.001f32.ln() / feedback.ln()).ceil().max(1.0)
            } else {
                1.0
            };
            (self.delay.time_secs * echoes).min(10.0)
        } else {
            0.0
        };
        reverb.max(chorus).max(delay)
    }
}
