//! The plugin's parameters: their stable ids, ranges and units, the values
//! both threads see, and how values are shown to the user.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// How a parameter acts on the sound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Read when a note starts (the patch's shape: waveform, envelope,
    /// filter type, unison).
    NoteStart,
    /// Moves every sounding note at the event's frame, and can be modulated
    /// per note (cutoff, resonance, pan, tune).
    Live,
    /// The effect sends of every note, at the event's frame.
    Send,
    /// An effect's setting or the master volume, at the event's frame.
    Global,
}

/// How a value is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Seconds (shown in ms below 1 s).
    Secs,
    /// Hertz (shown in kHz from 1 kHz).
    Hz,
    /// A fraction shown as a percentage.
    Percent,
    /// A gain shown in dB.
    Decibels,
    /// Semitones.
    Semitones,
    /// Cents.
    Cents,
    /// −1 (left) to 1 (right).
    Pan,
    /// A count.
    Count,
    /// One of named choices.
    Choice(&'static [&'static str]),
}

/// One parameter.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Its stable id (never reused: states and automation refer to it).
    pub id: u32,
    /// Its name.
    pub name: &'static str,
    /// The group the host shows it in.
    pub module: &'static str,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Value of a new instance.
    pub default: f64,
    /// How it acts.
    pub reach: Reach,
    /// How it is shown.
    pub unit: Unit,
}

impl Spec {
    /// Whether only whole values are meaningful.
    pub fn stepped(&self) -> bool {
        matches!(self.unit, Unit::Choice(_) | Unit::Count)
    }

    /// `value` clamped into range (and rounded when stepped); NaN becomes
    /// the default.
    pub fn clamp(&self, value: f64) -> f64 {
        if value.is_nan() {
            return self.default;
        }
        let v = value.clamp(self.min, self.max);
        if self.stepped() {
            v.round()
        } else {
            v
        }
    }
}

/// The waveforms the `Waveform` parameter chooses between.
pub const WAVEFORMS: &[&str] = &["sine", "square", "saw", "triangle", "pulse", "noise"];
/// The filter types the `Filter` parameter chooses between.
pub const FILTERS: &[&str] = &["off", "lowpass", "highpass", "bandpass", "notch", "ladder"];
const ON_OFF: &[&str] = &["off", "on"];

macro_rules! params {
    ($($index:ident = $id:literal, $name:literal, $module:literal, $min:expr, $max:expr, $default:expr, $reach:ident, $unit:expr;)*) => {
        /// Each parameter's position in [`SPECS`].
        #[allow(missing_docs)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub enum P { $($index),* }

        /// Every parameter, in the order the host lists them.
        pub const SPECS: &[Spec] = &[$(Spec {
            id: $id,
            name: $name,
            module: $module,
            min: $min,
            max: $max,
            default: $default,
            reach: Reach::$reach,
            unit: $unit,
        }),*];
    };
}

params! {
    Volume = 1, "Volume", "Master", 0.0, 1.0, 0.7, Global, Unit::Decibels;
    Waveform = 2, "Waveform", "Oscillator", 0.0, 5.0, 2.0, NoteStart, Unit::Choice(WAVEFORMS);
    Attack = 3, "Attack", "Envelope", 0.0, 10.0, 0.005, NoteStart, Unit::Secs;
    Decay = 4, "Decay", "Envelope", 0.0, 10.0, 0.3, NoteStart, Unit::Secs;
    Sustain = 5, "Sustain", "Envelope", 0.0, 1.0, 0.7, NoteStart, Unit::Percent;
    Release = 6, "Release", "Envelope", 0.0, 10.0, 0.3, NoteStart, Unit::Secs;
    Filter = 7, "Filter", "Filter", 0.0, 5.0, 1.0, NoteStart, Unit::Choice(FILTERS);
    Cutoff = 8, "Cutoff", "Filter", 20.0, 20_000.0, 4_000.0, Live, Unit::Hz;
    Resonance = 9, "Resonance", "Filter", 0.0, 1.0, 0.2, Live, Unit::Percent;
    Unison = 10, "Unison", "Oscillator", 1.0, 8.0, 1.0, NoteStart, Unit::Count;
    Detune = 11, "Unison detune", "Oscillator", 0.0, 100.0, 12.0, NoteStart, Unit::Cents;
    Pan = 12, "Pan", "Master", -1.0, 1.0, 0.0, Live, Unit::Pan;
    Tune = 13, "Tune", "Oscillator", -24.0, 24.0, 0.0, Live, Unit::Semitones;
    ReverbSend = 14, "Reverb send", "Sends", 0.0, 1.0, 0.15, Send, Unit::Percent;
    ChorusSend = 15, "Chorus send", "Sends", 0.0, 1.0, 0.0, Send, Unit::Percent;
    DelaySend = 16, "Delay send", "Sends", 0.0, 1.0, 0.0, Send, Unit::Percent;
    ReverbDecay = 17, "Reverb decay", "Reverb", 0.1, 20.0, 2.0, Global, Unit::Secs;
    ReverbSize = 18, "Reverb size", "Reverb", 0.0, 1.0, 0.8, Global, Unit::Percent;
    ReverbDamping = 19, "Reverb damping", "Reverb", 0.0, 1.0, 0.5, Global, Unit::Percent;
    ChorusRate = 20, "Chorus rate", "Chorus", 0.01, 10.0, 0.8, Global, Unit::Hz;
    ChorusDepth = 21, "Chorus depth", "Chorus", 0.0, 1.0, 0.5, Global, Unit::Percent;
    DelayTime = 22, "Delay time", "Delay", 0.01, 2.0, 0.375, Global, Unit::Secs;
    DelayFeedback = 23, "Delay feedback", "Delay", 0.0, 0.95, 0.4, Global, Unit::Percent;
    PingPong = 24, "Delay ping-pong", "Delay", 0.0, 1.0, 0.0, Global, Unit::Choice(ON_OFF);
}

/// How many parameters there are.
pub const COUNT: usize = SPECS.len();

/// Every parameter's default value, in the order of [`SPECS`].
pub fn defaults() -> [f64; COUNT] {
    std::array::from_fn(|i| SPECS[i].default)
}

/// The position in [`SPECS`] of the parameter with stable id `id`.
pub fn index_of(id: u32) -> Option<usize> {
    SPECS.iter().position(|s| s.id == id)
}

/// The parameter values both threads see: the audio side writes what the
/// host's events set, the main thread reads them (and writes them when the
/// host sets values while the plugin is not processing, or loads a state).
/// Each write from the main thread bumps `generation`, so the audio side
/// knows to take the values over at its next block.
#[derive(Debug)]
pub struct SharedValues {
    values: [AtomicU64; COUNT],
    generation: AtomicU64,
}

impl Default for SharedValues {
    fn default() -> Self {
        SharedValues {
            values: std::array::from_fn(|i| AtomicU64::new(SPECS[i].default.to_bits())),
            generation: AtomicU64::new(0),
        }
    }
}

impl SharedValues {
    /// The value at position `index`.
    pub fn get(&self, index: usize) -> f64 {
        f64::from_bits(self.values[index].load(Relaxed))
    }

    /// Stores a value the audio side applied.
    pub fn store_from_audio(&self, index: usize, value: f64) {
        self.values[index].store(value.to_bits(), Relaxed);
    }

    /// Sets a value from the main thread (clamped); the audio side takes
    /// it over at its next block.
    pub fn set_from_main(&self, index: usize, value: f64) {
        self.values[index].store(SPECS[index].clamp(value).to_bits(), Relaxed);
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// A number that changes whenever the main thread sets a value.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// Writes `value` of `spec` for the user, with its unit.
pub fn write_value(spec: &Spec, value: f64, out: &mut impl std::fmt::Write) -> std::fmt::Result {
    match spec.unit {
        Unit::Secs if value < 1.0 => write!(out, "{:.1} ms", value * 1000.0),
        Unit::Secs => write!(out, "{value:.2} s"),
        Unit::Hz if value >= 1000.0 => write!(out, "{:.2} kHz", value / 1000.0),
        Unit::Hz => write!(out, "{value:.1} Hz"),
        Unit::Percent => write!(out, "{:.1} %", value * 100.0),
        Unit::Decibels if value <= 0.0 => out.write_str("-inf dB"),
        Unit::Decibels => write!(out, "{:.1} dB", 20.0 * value.log10()),
        Unit::Semitones => write!(out, "{value:+.2} st"),
        Unit::Cents => write!(out, "{value:.1} ct"),
        Unit::Pan if value.abs() < 0.005 => out.write_str("C"),
        Unit::Pan if value < 0.0 => write!(out, "L{:.0}", -value * 100.0),
        Unit::Pan => write!(out, "R{:.0}", value * 100.0),
        Unit::Count => write!(out, "{value:.0}"),
        Unit::Choice(names) => {
            let i = (value.round().max(0.0) as usize).min(names.len() - 1);
            out.write_str(names[i])
        }
    }
}

/// Reads what [`write_value`] writes (a number alone is taken in the
/// parameter's own unit).
pub fn parse_value(spec: &Spec, text: &str) -> Option<f64> {
    let text = text.trim();
    if let Unit::Choice(names) = spec.unit {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
            return Some(i as f64);
        }
    }
    let (number, scale): (&str, fn(f64) -> f64) = match spec.unit {
        Unit::Secs => match text.strip_suffix("ms") {
            Some(n) => (n, |v| v / 1000.0),
            None => (text.trim_end_matches('s'), |v| v),
        },
        Unit::Hz => match text.strip_suffix("kHz") {
            Some(n) => (n, |v| v * 1000.0),
            None => (text.trim_end_matches("Hz"), |v| v),
        },
        Unit::Percent => match text.strip_suffix('%') {
            Some(n) => (n, |v| v / 100.0),
            None => (text, |v| v),
        },
        Unit::Decibels => match text.strip_suffix("dB") {
            Some(n) => (n, |db| 10f64.powf(db / 20.0)),
            None => (text, |v| v),
        },
        Unit::Semitones => (text.trim_end_matches("st"), |v| v),
        Unit::Cents => (text.trim_end_matches("ct"), |v| v),
        Unit::Pan => {
            if text == "C" {
                return Some(0.0);
            }
            match (text.strip_prefix('L'), text.strip_prefix('R')) {
                (Some(n), _) => (n, |v| -v / 100.0),
                (_, Some(n)) => (n, |v| v / 100.0),
                _ => (text, |v| v),
            }
        }
        Unit::Count | Unit::Choice(_) => (text, |v| v),
    };
    let v: f64 = number.trim().parse().ok()?;
    let v = scale(v);
    v.is_finite().then(|| spec.clamp(v))
}

/// A value shown for the user, as a `String` (for tests and logs; the
/// plugin writes into the host's buffer).
pub fn display(spec: &Spec, value: f64) -> String {
    let mut s = String::new();
    let _ = write_value(spec, value, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_defaults_in_range() {
        for (i, s) in SPECS.iter().enumerate() {
            assert_eq!(index_of(s.id), Some(i), "{}", s.name);
            assert!(s.min <= s.default && s.default <= s.max, "{}", s.name);
            assert_eq!(s.clamp(s.default), s.default, "{}", s.name);
        }
    }

    #[test]
    fn values_read_back_from_their_text() {
        for s in SPECS {
            for value in [s.min, s.default, s.max, (s.min + s.max) / 2.0] {
                let v = s.clamp(value);
                let text = display(s, v);
                let back = parse_value(s, &text).unwrap_or_else(|| panic!("{text}"));
                let tolerance = (s.max - s.min) * 0.01 + 1e-3 * v.abs();
                // Decibels read back through a rounded logarithm.
                if s.unit == Unit::Decibels && v == 0.0 {
                    continue;
                }
                assert!(
                    (back - v).abs() <= tolerance,
                    "{}: {v} -> {text} -> {back}",
                    s.name
                );
            }
        }
        assert_eq!(display(&SPECS[P::Cutoff as usize], 1500.0), "1.50 kHz");
        assert_eq!(display(&SPECS[P::Attack as usize], 0.005), "5.0 ms");
        assert_eq!(display(&SPECS[P::Waveform as usize], 2.0), "saw");
        assert_eq!(parse_value(&SPECS[P::Filter as usize], "Ladder"), Some(5.0));
        assert_eq!(parse_value(&SPECS[P::Cutoff as usize], "nonsense"), None);
    }
}
