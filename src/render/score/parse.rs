//! From the TOML text to a [`Score`]: what the file holds, deserialised
//! with positions, then resolved (instruments, samples, tempo) into events.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::patch::{RawFilter, RawLfo, RawModulation, RawPatch, RawSource, RawUnison};
use super::{Score, ScoreError};
use crate::fx::{EffectSettings, Sends, MAX_DELAY_SECS};
use crate::limits::InputLimits;
use crate::patch::Patch;
use crate::render::event::SoundEvent;
use crate::render::pitch::parse_pitch;
use crate::render::timeline::TimelineEvent;
use crate::render::wave::FLAT_ENVELOPE;
use crate::{AdsrEnvelope, Note, SampleData, Waveform};
use std::sync::Arc;

/// Reads a score from TOML `text` (see [`Score::from_toml`]).
pub(super) fn parse(
    text: &str,
    name: &str,
    base_dir: &Path,
    limits: &InputLimits,
) -> Result<Score, ScoreError> {
    let raw: RawScore = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start);
        ScoreError::at(name, text, offset, e.message().trim_end().to_string())
    })?;
    Builder {
        name,
        text,
        base_dir,
        raw: &raw,
        limits,
        samples: BTreeMap::new(),
        decoded: HashMap::new(),
        patches: BTreeMap::new(),
    }
    .build()
}

// ---------------------------------------------------------------------------
// What the TOML holds, before names are resolved.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScore {
    #[serde(default, deserialize_with = "tempo")]
    tempo: Option<f64>,
    #[serde(default, deserialize_with = "seconds")]
    duration: Option<f64>,
    #[serde(default, deserialize_with = "beats")]
    beats: Option<f64>,
    #[serde(default)]
    samples: BTreeMap<String, Spanned<RawSample>>,
    #[serde(default)]
    instruments: BTreeMap<String, RawSettings>,
    #[serde(default, rename = "note")]
    notes: Vec<Spanned<RawNote>>,
    #[serde(default)]
    effects: RawEffects,
}

/// `[effects]`: the settings of the reverb, chorus and delay.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEffects {
    reverb: Option<RawReverb>,
    chorus: Option<RawChorus>,
    delay: Option<Spanned<RawDelay>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReverb {
    #[serde(default, deserialize_with = "decay")]
    decay: Option<f64>,
    #[serde(default, deserialize_with = "predelay")]
    predelay: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    damping: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    size: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChorus {
    #[serde(default, deserialize_with = "rate")]
    rate: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    depth: Option<f64>,
    #[serde(default, deserialize_with = "chorus_voices")]
    voices: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDelay {
    #[serde(default, deserialize_with = "delay_time")]
    time: Option<f64>,
    #[serde(default, deserialize_with = "beats")]
    beats: Option<f64>,
    #[serde(default, deserialize_with = "feedback")]
    feedback: Option<f64>,
    ping_pong: Option<bool>,
}

/// Sends as a note or an instrument writes them (`reverb = 0.3`, …),
/// over `base`.
fn sends_over(reverb: Option<f64>, chorus: Option<f64>, delay: Option<f64>, base: Sends) -> Sends {
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
struct RawSettings {
    waveform: Option<Spanned<WaveSpec>>,
    #[serde(default)]
    envelope: RawEnvelope,
    #[serde(default, deserialize_with = "level")]
    amplitude: Option<f64>,
    #[serde(default, deserialize_with = "pan")]
    pan: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    reverb: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    chorus: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    delay: Option<f64>,
    /// The default velocity of the instrument's notes.
    #[serde(default, deserialize_with = "level")]
    velocity: Option<f64>,
    // The patch keys (see `patch.rs`).
    sources: Option<Spanned<Vec<Spanned<RawSource>>>>,
    unison: Option<RawUnison>,
    filter: Option<Spanned<RawFilter>>,
    mod_envelope: Option<RawEnvelope>,
    lfo1: Option<Spanned<RawLfo>>,
    lfo2: Option<Spanned<RawLfo>>,
    modulation: Option<Spanned<Vec<Spanned<RawModulation>>>>,
}

impl RawSettings {
    fn patch_keys(&self) -> RawPatch<'_> {
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
struct RawNote {
    #[serde(default, deserialize_with = "seconds")]
    time: Option<f64>,
    #[serde(default, deserialize_with = "beats")]
    beat: Option<f64>,
    #[serde(default, deserialize_with = "seconds")]
    duration: Option<f64>,
    #[serde(default, deserialize_with = "beats")]
    beats: Option<f64>,
    pitch: Option<Pitch>,
    sweep_to: Option<Pitch>,
    instrument: Option<Spanned<String>>,
    waveform: Option<Spanned<WaveSpec>>,
    #[serde(default)]
    envelope: RawEnvelope,
    #[serde(default, deserialize_with = "level")]
    amplitude: Option<f64>,
    #[serde(default, deserialize_with = "pan")]
    pan: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    reverb: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    chorus: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    delay: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    velocity: Option<f64>,
}

#[derive(Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEnvelope {
    #[serde(default, deserialize_with = "seconds")]
    attack: Option<f64>,
    #[serde(default, deserialize_with = "seconds")]
    decay: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    sustain: Option<f64>,
    #[serde(default, deserialize_with = "seconds")]
    release: Option<f64>,
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
struct RawSample {
    file: String,
    base: Option<Pitch>,
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

const WAVEFORM_NAMES: &str = "sine, square, saw, triangle, noise or pulse";

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
struct Pitch(f32);

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

fn tempo<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a tempo in beats per minute, above 0", |v| v > 0.0)
}

pub(super) fn level<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a level from 0 to 1", |v| (0.0..=1.0).contains(&v))
}

fn pan<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a pan from -1 (left) to 1 (right)", |v| {
        (-1.0..=1.0).contains(&v)
    })
}

fn decay<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a decay (RT60) from 0.05 to 60 seconds", |v| {
        (0.05..=60.0).contains(&v)
    })
}

fn predelay<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a predelay from 0 to 0.5 seconds", |v| {
        (0.0..=0.5).contains(&v)
    })
}

fn rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a rate from 0.01 to 10 Hz", |v| {
        (0.01..=10.0).contains(&v)
    })
}

fn chorus_voices<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a whole number of voices from 1 to 4", |v| {
        v.fract() == 0.0 && (1.0..=4.0).contains(&v)
    })
}

fn delay_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a delay time from 0.001 to 2 seconds", |v| {
        (0.001..=f64::from(MAX_DELAY_SECS)).contains(&v)
    })
}

fn feedback<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(
        d,
        "a feedback from 0 to 0.98 (at 1 the echoes would never end)",
        |v| (0.0..=0.98).contains(&v),
    )
}

fn duty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    number(d, "a pulse width between 0 and 1", |v| v > 0.0 && v < 1.0)
}

// ---------------------------------------------------------------------------
// From what the TOML holds to events.

struct Builder<'a> {
    name: &'a str,
    text: &'a str,
    base_dir: &'a Path,
    raw: &'a RawScore,
    limits: &'a InputLimits,
    samples: BTreeMap<String, SampleData>,
    /// Each sample file decoded once, by its canonical path: a score naming
    /// one file under many names holds its audio once.
    decoded: HashMap<PathBuf, SampleData>,
    /// Each instrument's patch, for those with patch keys.
    patches: BTreeMap<String, Arc<Patch>>,
}

impl Builder<'_> {
    fn error(&self, offset: usize, message: impl Into<String>) -> ScoreError {
        ScoreError::at(self.name, self.text, Some(offset), message)
    }

    fn build(mut self) -> Result<Score, ScoreError> {
        let raw = self.raw;
        for (key, spec) in &raw.samples {
            let sample = self.load_sample(spec)?;
            self.samples.insert(key.clone(), sample);
        }
        for (name, inst) in &raw.instruments {
            let keys = inst.patch_keys();
            if !keys.any(&inst.envelope) {
                continue;
            }
            let waveform = match &inst.waveform {
                Some(spec) => self
                    .resolve_wave(spec)
                    .map_err(|(at, m)| self.error(at, m))?,
                None => Waveform::Sine,
            };
            let cx = super::patch::Context {
                waveform: &|spec| self.resolve_wave(spec),
                tempo: raw.tempo,
            };
            let patch = super::patch::build(
                &keys,
                waveform,
                &inst.envelope,
                AdsrEnvelope::default(),
                &cx,
            )
            .map_err(|(at, m)| self.error(at, m))?;
            self.patches.insert(name.clone(), patch);
        }
        let mut files: Vec<PathBuf> = std::mem::take(&mut self.decoded).into_keys().collect();
        files.sort();
        let mut events = Vec::with_capacity(self.raw.notes.len());
        let mut positions = Vec::with_capacity(self.raw.notes.len());
        // Notes come in order: find their lines in one pass over the text.
        let (mut line, mut line_start, mut scanned) = (1, 0, 0);
        for note in &self.raw.notes {
            events.push(self.event(note)?);
            let offset = note.span().start.min(self.text.len());
            if offset < scanned {
                (line, line_start, scanned) = (1, 0, 0);
            }
            for (i, b) in self.text.as_bytes()[scanned..offset].iter().enumerate() {
                if *b == b'\n' {
                    line += 1;
                    line_start = scanned + i + 1;
                }
            }
            scanned = offset;
            positions.push((line, self.text[line_start..offset].chars().count() + 1));
        }
        let effects = self.effects()?;
        let used: [bool; 3] = std::array::from_fn(|k| {
            events
                .iter()
                .any(|e: &TimelineEvent| e.sends.levels()[k] > 0.0)
        });
        // By default a score ends when its last note and the effects' tails
        // (if any note sends to them) have ended.
        let last_end = events
            .iter()
            .map(|e| f64::from(e.start_secs) + f64::from(e.event.duration_secs))
            .fold(0.0, f64::max)
            + f64::from(effects.tail_secs(used));
        let duration = match (self.raw.duration, self.raw.beats) {
            (Some(_), Some(_)) => {
                return Err(self.error(
                    0,
                    "the score gives both `duration` and `beats`; give one length",
                ))
            }
            (Some(secs), None) => secs,
            (None, Some(beats)) => self.beats_to_secs(beats, 0, "beats")?,
            (None, None) => last_end,
        };
        Ok(Score {
            name: self.name.to_string(),
            events,
            positions,
            duration_secs: duration as f32,
            files,
            effects,
        })
    }

    /// The `[effects]` table over the defaults.
    fn effects(&self) -> Result<EffectSettings, ScoreError> {
        let mut fx = EffectSettings::default();
        let raw = &self.raw.effects;
        let pick = |v: Option<f64>, b: f32| v.map_or(b, |v| v as f32);
        if let Some(r) = &raw.reverb {
            fx.reverb.decay_secs = pick(r.decay, fx.reverb.decay_secs);
            fx.reverb.predelay_secs = pick(r.predelay, fx.reverb.predelay_secs);
            fx.reverb.damping = pick(r.damping, fx.reverb.damping);
            fx.reverb.size = pick(r.size, fx.reverb.size);
        }
        if let Some(c) = &raw.chorus {
            fx.chorus.rate_hz = pick(c.rate, fx.chorus.rate_hz);
            fx.chorus.depth = pick(c.depth, fx.chorus.depth);
            fx.chorus.voices = c.voices.map_or(fx.chorus.voices, |v| v as u8);
        }
        if let Some(d) = &raw.delay {
            let at = d.span().start;
            let d = d.get_ref();
            fx.delay.time_secs = match (d.time, d.beats) {
                (Some(_), Some(_)) => {
                    return Err(self.error(at, "the delay gives both `time` and `beats`; give one"))
                }
                (Some(secs), None) => secs as f32,
                (None, Some(beats)) => {
                    let secs = self.beats_to_secs(beats, at, "beats")?;
                    if !(0.001..=f64::from(MAX_DELAY_SECS)).contains(&secs) {
                        return Err(self.error(
                            at,
                            format!("the delay's {beats} beats are {secs} seconds at this tempo; expected 0.001 to {MAX_DELAY_SECS} seconds"),
                        ));
                    }
                    secs as f32
                }
                (None, None) => fx.delay.time_secs,
            };
            fx.delay.feedback = pick(d.feedback, fx.delay.feedback);
            fx.delay.ping_pong = d.ping_pong.unwrap_or(fx.delay.ping_pong);
        }
        Ok(fx)
    }

    fn load_sample(&mut self, spec: &Spanned<RawSample>) -> Result<SampleData, ScoreError> {
        let at = spec.span().start;
        let raw = spec.get_ref();
        let path = self.base_dir.join(&raw.file);
        let fail = |this: &Self, e: crate::SampleError| ScoreError {
            source: None,
            ..this.error(at, format!("sample file {}: {e}", path.display()))
        };
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let mut sample = match self.decoded.get(&key) {
            Some(sample) => sample.clone(),
            None => {
                let sample = SampleData::from_wav_file_with_limits(&path, self.limits)
                    .map_err(|e| fail(self, e))?;
                self.decoded.insert(key, sample.clone());
                sample
            }
        };
        if let Some(base) = raw.base {
            sample = sample
                .with_base_frequency(base.0)
                .map_err(|e| fail(self, e))?;
        }
        Ok(sample)
    }

    /// The waveform a spec names (a sample by its name in `[samples]`).
    fn resolve_wave(&self, spec: &Spanned<WaveSpec>) -> Result<Waveform, (usize, String)> {
        Ok(match spec.get_ref() {
            WaveSpec::Sine => Waveform::Sine,
            WaveSpec::Square => Waveform::Square,
            WaveSpec::Saw => Waveform::Sawtooth,
            WaveSpec::Triangle => Waveform::Triangle,
            WaveSpec::Noise => Waveform::Noise,
            WaveSpec::Pulse(duty_cycle) => Waveform::Pulse {
                duty_cycle: *duty_cycle,
            },
            WaveSpec::Sample(name) => {
                let sample = self.samples.get(name).ok_or_else(|| {
                    let known: Vec<&str> = self.samples.keys().map(String::as_str).collect();
                    let known = if known.is_empty() {
                        "the score's [samples] table defines none".to_string()
                    } else {
                        format!("expected one of: {}", known.join(", "))
                    };
                    (
                        spec.span().start,
                        format!("there is no sample named {name:?}; {known}"),
                    )
                })?;
                Waveform::Sample(sample.clone())
            }
        })
    }

    fn beats_to_secs(&self, beats: f64, at: usize, field: &str) -> Result<f64, ScoreError> {
        match self.raw.tempo {
            Some(tempo) => Ok(beats * 60.0 / tempo),
            None => Err(self.error(
                at,
                format!("`{field}` counts beats, so the score needs a `tempo` (beats per minute) at the top"),
            )),
        }
    }

    fn event(&self, note: &Spanned<RawNote>) -> Result<TimelineEvent, ScoreError> {
        let at = note.span().start;
        let n = note.get_ref();
        let instrument = match &n.instrument {
            None => None,
            Some(name) => Some(self.raw.instruments.get(name.get_ref()).ok_or_else(|| {
                let known: Vec<&str> = self.raw.instruments.keys().map(String::as_str).collect();
                let known = if known.is_empty() {
                    "the score defines none".to_string()
                } else {
                    format!("expected one of: {}", known.join(", "))
                };
                self.error(
                    name.span().start,
                    format!("there is no instrument named {:?}; {known}", name.get_ref()),
                )
            })?),
        };
        let fallback = RawSettings::default();
        let inst = instrument.unwrap_or(&fallback);

        let patch = n
            .instrument
            .as_ref()
            .and_then(|name| self.patches.get(name.get_ref()));
        let spec = n.waveform.as_ref().or(inst.waveform.as_ref());
        let waveform = match (spec, patch) {
            // A patch plays its sources (its first sample, if it has one).
            (None, Some(p)) => Note::from_patch(p, 440.0).waveform,
            (None, None) => Waveform::Sine,
            (Some(spec), _) => self
                .resolve_wave(spec)
                .map_err(|(at, m)| self.error(at, m))?,
        };
        let sample_length = match &waveform {
            Waveform::Sample(sample) => Some((sample.duration_secs(), sample.base_frequency_hz())),
            _ => None,
        };

        let start = match (n.time, n.beat) {
            (Some(_), Some(_)) => {
                return Err(self.error(at, "this note gives both `time` and `beat`; give one start"))
            }
            (Some(secs), None) => secs,
            (None, Some(beat)) => self.beats_to_secs(beat, at, "beat")?,
            (None, None) => {
                return Err(self.error(
                    at,
                    "this note has no start; expected `time` (seconds) or `beat`",
                ));
            }
        };

        let pitch = match (n.pitch, sample_length, &waveform) {
            (Some(p), _, _) => p.0,
            (None, Some((_, base)), _) => base,
            (None, None, Waveform::Noise) => 440.0,
            (None, None, _) => return Err(self.error(
                at,
                "this note has no `pitch`; expected a note name like \"C4\" or a frequency in Hz",
            )),
        };
        let duration = match (n.duration, n.beats, sample_length) {
            (Some(_), Some(_), _) => {
                return Err(self.error(
                    at,
                    "this note gives both `duration` and `beats`; give one length",
                ));
            }
            (Some(secs), None, _) => secs,
            (None, Some(beats), _) => self.beats_to_secs(beats, at, "beats")?,
            // A sample plays to its end at the note's speed.
            (None, None, Some((length, base))) => length * f64::from(base) / f64::from(pitch),
            (None, None, None) => {
                return Err(self.error(
                    at,
                    "this note has no length; expected `duration` (seconds) or `beats`",
                ));
            }
        };
        if start + duration > 1e7 {
            return Err(self.error(
                at,
                "this note ends more than 10 million seconds in; expected a shorter piece",
            ));
        }

        let base_envelope = if sample_length.is_some() {
            FLAT_ENVELOPE
        } else {
            AdsrEnvelope::default()
        };
        let envelope = n.envelope.over(inst.envelope.over(base_envelope));
        let amplitude = n.amplitude.or(inst.amplitude).unwrap_or(1.0);
        let pan = n.pan.or(inst.pan).unwrap_or(0.0);
        let end = n.sweep_to.map_or(pitch, |p| p.0);
        let event = SoundEvent {
            waveform,
            start_frequency: pitch,
            end_frequency: end,
            duration_secs: duration as f32,
            envelope,
        };
        let sends = sends_over(
            n.reverb,
            n.chorus,
            n.delay,
            sends_over(inst.reverb, inst.chorus, inst.delay, Sends::default()),
        );
        let velocity = n.velocity.or(inst.velocity).unwrap_or(1.0);
        // A plain note has no patch to read its velocity: it scales the
        // amplitude, as a patch's does by default.
        let amplitude = if patch.is_some() {
            amplitude
        } else {
            amplitude * velocity
        };
        let mut placed = TimelineEvent::new(start as f32, event)
            .with_amplitude(amplitude as f32)
            .with_pan(pan as f32)
            .with_sends(sends)
            .with_velocity(velocity as f32);
        if let Some(p) = patch {
            placed = placed.with_patch(Arc::clone(p));
        }
        Ok(placed)
    }
}
