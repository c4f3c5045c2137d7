//! What a score's TOML holds, before names are resolved: the shapes serde
//! reads (with positions, for errors at file:line:column) and the checks
//! on each number as it is read.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::patch::{RawFilter, RawLfo, RawModulation, RawPatch, RawSource, RawUnison};
use crate::fx::{Sends, MAX_DELAY_SECS};
use crate::render::pitch::parse_pitch;
use crate::AdsrEnvelope;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScore {
    #[serde(default, deserialize_with = "tempo")]
    pub(super) tempo: Option<f64>,
    #[serde(default, deserialize_with = "seconds")]
    pub(super) duration: Option<f64>,
    #[serde(default, deserialize_with = "beats")]
    pub(super) beats: Option<f64>,
    #[serde(default)]
    pub(super) samples: BTreeMap<String, Spanned<RawSample>>,
    #[serde(default)]
    pub(super) instruments: BTreeMap<String, RawSettings>,
    #[serde(default, rename = "note")]
    pub(super) notes: Vec<Spanned<RawNote>>,
    #[serde(default)]
    pub(super) effects: RawEffects,
}

/// `[effects]`: the settings of the reverb, chorus and delay.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEffects {
    pub(super) reverb: Option<RawReverb>,
    pub(super) chorus: Option<RawChorus>,
    pub(super) delay: Option<Spanned<RawDelay>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReverb {
    #[serde(default, deserialize_with = "decay")]
    pub(super) decay: Option<f64>,
    #[serde(default, deserialize_with = "predelay")]
    pub(super) predelay: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    pub(super) damping: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    pub(super) size: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChorus {
    #[serde(default, deserialize_with = "rate")]
    pub(super) rate: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    pub(super) depth: Option<f64>,
    #[serde(default, deserialize_with = "chorus_voices")]
    pub(super) voices: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDelay {
    #[serde(default, deserialize_with = "delay_time")]
    pub(super) time: Option<f64>,
    #[serde(default, deserialize_with = "beats")]
    pub(super) beats: Option<f64>,
    #[serde(default, deserialize_with = "feedback")]
    pub(super) feedback: Option<f64>,
    pub(super) ping_pong: Option<bool>,
}

/// Sends as a note or an instrument writes them (`reverb = 0.3`, …),
/// over `base`.
pub(super) fn sends_over(
    reverb: Option<f64>,
    chorus: Option<f64>,
    delay: Option<f64>,
    base: Sends,
) -> Sends {
    let pick = |v: Option<f64>, b: f32| v.map_or(b, |v| v as f32);
    Sends {
        reverb: pick(reverb, base.reverb),
        chorus: pick(chorus, base.chorus),
        delay: pick(delay, base.delay),
    }
}

/// What a note and an instrument can both set.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub(super) waveform: Option<Spanned<WaveSpec>>,
    #[serde(default)]
    pub(super) envelope: RawEnvelope,
    #[serde(default, deserialize_with = "level")]
    pub(super) amplitude: Option<f64>,
    #[serde(default, deserialize_with = "pan")]
    pub(super) pan: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    pub(super) reverb: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    pub(super) chorus: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    pub(super) delay: Option<f64>,
    /// The default velocity of the instrument's notes.
    #[serde(default, deserialize_with = "level")]
    pub(super) velocity: Option<f64>,
    // The patch keys (see `patch.rs`).
    pub(super) sources: Option<Spanned<Vec<Spanned<RawSource>>>>,
    pub(super) unison: Option<RawUnison>,
    pub(super) filter: Option<Spanned<RawFilter>>,
    pub(super) mod_envelope: Option<RawEnvelope>,
    pub(super) lfo1: Option<Spanned<RawLfo>>,
    pub(super) lfo2: Option<Spanned<RawLfo>>,
    pub(super) modulation: Option<Spanned<Vec<Spanned<RawModulation>>>>,
    /// A SoundFont preset as the instrument.
    pub(super) soundfont: Option<Spanned<RawSoundFont>>,
}

/// `soundfont = { file = "TimGM6mb.sf2", bank = 0, program = 0 }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSoundFont {
    pub(super) file: String,
    #[serde(default)]
    pub(super) bank: u16,
    #[serde(default)]
    pub(super) program: u16,
}

impl RawSettings {
    pub(super) fn patch_keys(&self) -> RawPatch<'_> {
        RawPatch {
            sources: &self.sources,
            unison: &self.unison,
            filter: &self.filter,
            mod_envelope: &self.mod_envelope,
            lfo1: &self.lfo1,
            lfo2: &self.lfo2,
            modulation: &self.modulation,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNote {
    #[serde(default, deserialize_with = "seconds")]
    pub(super) time: Option<f64>,
    #[serde(default, deserialize_with = "beats")]
    pub(super) beat: Option<f64>,
    #[serde(default, deserialize_with = "seconds")]
    pub(super) duration: Option<f64>,
    #[serde(default, deserialize_with = "beats")]
    pub(super) beats: Option<f64>,
    pub(super) pitch: Option<Pitch>,
    pub(super) sweep_to: Option<Pitch>,
    pub(super) instrument: Option<Spanned<String>>,
    pub(super) waveform: Option<Spanned<WaveSpec>>,
    #[serde(default)]
    pub(super) envelope: RawEnvelope,
    #[serde(default, deserialize_with = "level")]
    pub(super) amplitude: Option<f64>,
    #[serde(default, deserialize_with = "pan")]
    pub(super) pan: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    pub(super) reverb: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    pub(super) chorus: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    pub(super) delay: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    pub(super) velocity: Option<f64>,
}

#[derive(Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEnvelope {
    #[serde(default, deserialize_with = "seconds")]
    pub(super) attack: Option<f64>,
    #[serde(default, deserialize_with = "seconds")]
    pub(super) decay: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    pub(super) sustain: Option<f64>,
    #[serde(default, deserialize_with = "seconds")]
    pub(super) release: Option<f64>,
    /// A patch's delay before the attack and hold after it.
    #[serde(default, deserialize_with = "seconds")]
    pub(super) delay: Option<f64>,
    #[serde(default, deserialize_with = "seconds")]
    pub(super) hold: Option<f64>,
}

impl RawEnvelope {
    pub(super) fn over(&self, base: AdsrEnvelope) -> AdsrEnvelope {
        let pick = |v: Option<f64>, b: f32| v.map_or(b, |v| v as f32);
        AdsrEnvelope {
            attack_secs: pick(self.attack, base.attack_secs),
            decay_secs: pick(self.decay, base.decay_secs),
            sustain_level: pick(self.sustain, base.sustain_level),
            release_secs: pick(self.release, base.release_secs),
        }
    }
}

/// A sample file, and the pitch at which it plays as recorded.
pub(super) struct RawSample {
    pub(super) file: String,
    pub(super) base: Option<Pitch>,
}

impl<'de> Deserialize<'de> for RawSample {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            file: String,
            base: Option<Pitch>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSample;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a WAV file name, or a table like { file = \"kick.wav\", base = \"C4\" }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSample, E> {
                Ok(RawSample {
                    file: v.to_string(),
                    base: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawSample, A::Error> {
                let t = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawSample {
                    file: t.file,
                    base: t.base,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A waveform as written: a name, `{ pulse = width }` or `{ sample = name }`.
pub(super) enum WaveSpec {
    Sine,
    Square,
    Saw,
    Triangle,
    Noise,
    Pulse(f32),
    Sample(String),
}

pub(super) const WAVEFORM_NAMES: &str = "sine, square, saw, triangle, noise or pulse";

impl<'de> Deserialize<'de> for WaveSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            #[serde(default, deserialize_with = "duty")]
            pulse: Option<f64>,
            sample: Option<String>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WaveSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a waveform: {WAVEFORM_NAMES}, or {{ pulse = 0.25 }} or {{ sample = \"name\" }}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WaveSpec, E> {
                Ok(match v.to_ascii_lowercase().as_str() {
                    "sine" => WaveSpec::Sine,
                    "square" => WaveSpec::Square,
                    "saw" | "sawtooth" => WaveSpec::Saw,
                    "triangle" => WaveSpec::Triangle,
                    "noise" => WaveSpec::Noise,
                    "pulse" => WaveSpec::Pulse(0.5),
                    _ => {
                        return Err(E::custom(format!(
                            "unknown waveform {v:?}; expected {WAVEFORM_NAMES}, or {{ pulse = 0.25 }} or {{ sample = \"name\" }}"
                        )))
                    }
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<WaveSpec, A::Error> {
                let t = Table::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (t.pulse, t.sample) {
                    (Some(width), None) => Ok(WaveSpec::Pulse(width as f32)),
                    (None, Some(name)) => Ok(WaveSpec::Sample(name)),
                    _ => Err(de::Error::custom(
                        "expected one of `pulse = width` or `sample = \"name\"` in a waveform table",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A pitch as written: a note name or a number of Hz.
#[derive(Clone, Copy)]
pub(super) struct Pitch(pub(super) f32);

impl<'de> Deserialize<'de> for Pitch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Pitch;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a note name like \"C4\", \"F#3\" or \"Bb2\", or a frequency in Hz like 440",
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Pitch, E> {
                self.visit_f64(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Pitch, E> {
                self.visit_f64(v as f64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Pitch, E> {
                if v.is_finite() && v > 0.0 && v < f64::from(f32::MAX) {
                    Ok(Pitch(v as f32))
                } else {
                    Err(E::custom(format!(
                        "expected a frequency above 0 Hz or a note name like \"C4\", found {v}"
                    )))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Pitch, E> {
                parse_pitch(v).map(Pitch).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A number checked against a range, with what was expected for messages.
pub(super) fn number<'de, D: Deserializer<'de>>(
    d: D,
    expecting: &'static str,
    valid: fn(f64) -> bool,
) -> Result<Option<f64>, D::Error> {
    struct V {
        expecting: &'static str,
        valid: fn(f64) -> bool,
    }
    impl Visitor<'_> for V {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            self.visit_f64(v as f64)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            self.visit_f64(v as f64)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            if v.is_finite() && v < f64::from(f32::MAX) && (self.valid)(v) {
                Ok(v)
            } else {
                Err(E::custom(format!("expected {}, found {v}", self.expecting)))
            }
        }
    }
    d.deserialize_any(V { expecting, valid }).map(Some)
}

pub(super) fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a number of seconds, 0 or more", |v| v >= 0.0)
}

pub(super) fn beats<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a number of beats, 0 or more", |v| v >= 0.0)
}

pub(super) fn tempo<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a tempo in beats per minute, above 0", |v| v > 0.0)
}

pub(super) fn level<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a level from 0 to 1", |v| (0.0..=1.0).contains(&v))
}

pub(super) fn pan<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a pan from -1 (left) to 1 (right)", |v| {
        (-1.0..=1.0).contains(&v)
    })
}

pub(super) fn decay<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a decay (RT60) from 0.05 to 60 seconds", |v| {
        (0.05..=60.0).contains(&v)
    })
}

pub(super) fn predelay<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a predelay from 0 to 0.5 seconds", |v| {
        (0.0..=0.5).contains(&v)
    })
}

pub(super) fn rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a rate from 0.01 to 10 Hz", |v| {
        (0.01..=10.0).contains(&v)
    })
}

pub(super) fn chorus_voices<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a whole number of voices from 1 to 4", |v| {
        v.fract() == 0.0 && (1.0..=4.0).contains(&v)
    })
}

pub(super) fn delay_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a delay time from 0.001 to 2 seconds", |v| {
        (0.001..=f64::from(MAX_DELAY_SECS)).contains(&v)
    })
}

pub(super) fn feedback<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(
        d,
        "a feedback from 0 to 0.98 (at 1 the echoes would never end)",
        |v| (0.0..=0.98).contains(&v),
    )
}

pub(super) fn duty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a pulse width between 0 and 1", |v| v > 0.0 && v < 1.0)
}
