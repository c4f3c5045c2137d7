//! From the TOML text to a [`Score`]: what the file holds, deserialised
//! with positions (the shapes in `raw`), then resolved (instruments,
//! samples, tempo) into events.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::raw::{sends_over, RawNote, RawSample, RawScore, RawSettings, RawSoundFont, WaveSpec};
use super::{Score, ScoreError};
use crate::fx::{EffectSettings, Sends, MAX_DELAY_SECS};
use crate::limits::InputLimits;
use crate::patch::Patch;
use crate::render::event::SoundEvent;
use crate::render::timeline::TimelineEvent;
use crate::render::wave::FLAT_ENVELOPE;
use crate::soundfont::{SoundFontBank, SoundFontInstrument};
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
        fonts: HashMap::new(),
        soundfonts: BTreeMap::new(),
    }
    .build()
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
    /// Each SoundFont file loaded once, by its canonical path.
    fonts: HashMap<PathBuf, Arc<SoundFontBank>>,
    /// The SoundFont preset of each instrument that plays one.
    soundfonts: BTreeMap<String, Arc<SoundFontInstrument>>,
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
            if let Some(font) = &inst.soundfont {
                let instrument = self.load_soundfont(font, inst)?;
                self.soundfonts.insert(name.clone(), instrument);
                continue;
            }
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
            let before = events.len();
            self.event(note, &mut events)?;
            let layers = events.len() - before;
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
            let position = (line, self.text[line_start..offset].chars().count() + 1);
            positions.extend(std::iter::repeat_n(position, layers));
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

    /// The preset a `soundfont = { file, bank, program }` names, its file
    /// read once however many instruments use it.
    fn load_soundfont(
        &mut self,
        spec: &Spanned<RawSoundFont>,
        inst: &RawSettings,
    ) -> Result<Arc<SoundFontInstrument>, ScoreError> {
        let at = spec.span().start;
        if inst.waveform.is_some() || inst.patch_keys().any(&inst.envelope) {
            return Err(self.error(
                at,
                "an instrument with a `soundfont` takes its sound from the font: \
                 expected no `waveform`, `envelope` or patch keys beside it",
            ));
        }
        let raw = spec.get_ref();
        let path = self.base_dir.join(&raw.file);
        let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let bank = match self.fonts.get(&key) {
            Some(bank) => Arc::clone(bank),
            None => {
                let bank = SoundFontBank::from_file(&path).map_err(|e| ScoreError {
                    source: None,
                    ..self.error(at, format!("SoundFont file {}: {e}", path.display()))
                })?;
                let bank = Arc::new(bank);
                self.fonts.insert(key, Arc::clone(&bank));
                bank
            }
        };
        bank.instrument(raw.bank, raw.program)
            .cloned()
            .ok_or_else(|| {
                self.error(
                    at,
                    format!(
                        "{} has no preset at bank {} program {}",
                        path.display(),
                        raw.bank,
                        raw.program
                    ),
                )
            })
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

    /// The note's events: one, or one per zone of a SoundFont instrument.
    fn event(
        &self,
        note: &Spanned<RawNote>,
        out: &mut Vec<TimelineEvent>,
    ) -> Result<(), ScoreError> {
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
        let sends = sends_over(
            n.reverb,
            n.chorus,
            n.delay,
            sends_over(inst.reverb, inst.chorus, inst.delay, Sends::default()),
        );
        let velocity = n.velocity.or(inst.velocity).unwrap_or(1.0);
        if let Some(font) = n
            .instrument
            .as_ref()
            .and_then(|name| self.soundfonts.get(name.get_ref()))
        {
            // The nearest key plays; the pitch between keys is a detune.
            let key = (69.0 + 12.0 * (pitch / 440.0).log2())
                .round()
                .clamp(0.0, 127.0) as u8;
            let detune = pitch / crate::render::midi_frequency(f32::from(key));
            let vel = (velocity * 127.0).round().clamp(1.0, 127.0) as u8;
            for zone in font.notes(key, vel) {
                let z = zone.note.clone();
                let hz = z.frequency_hz * detune;
                let event = SoundEvent {
                    waveform: z.waveform,
                    start_frequency: hz,
                    end_frequency: hz * end / pitch,
                    duration_secs: duration as f32,
                    envelope: z.envelope,
                };
                let zone_sends = crate::fx::Sends {
                    reverb: (z.sends.reverb + sends.reverb).min(1.0),
                    chorus: (z.sends.chorus + sends.chorus).min(1.0),
                    delay: sends.delay,
                };
                let mut placed = TimelineEvent::new(start as f32, event)
                    .with_amplitude(amplitude as f32 * z.amplitude)
                    .with_pan((pan as f32 + z.pan).clamp(-1.0, 1.0))
                    .with_sends(zone_sends)
                    .with_velocity(velocity as f32);
                if let Some(p) = z.patch {
                    placed = placed.with_patch(p);
                }
                out.push(placed.with_zone(zone));
            }
            return Ok(());
        }
        let event = SoundEvent {
            waveform,
            start_frequency: pitch,
            end_frequency: end,
            duration_secs: duration as f32,
            envelope,
        };
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
        out.push(placed);
        Ok(())
    }
}
