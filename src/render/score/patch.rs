//! An instrument's patch keys (`sources`, `unison`, `filter`,
//! `mod_envelope`, `lfo1`, `lfo2`, `modulation`, and `delay`/`hold` in its
//! envelope): what the TOML holds and the [`Patch`] it builds.

use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::raw::{level, seconds, RawEnvelope, WaveSpec};
use crate::patch::{
    Filter, FilterMode, Lfo, LfoShape, ModCurve, ModSource, ModTarget, Modulation, Patch,
    PatchSource, MAX_LFO_HZ, MOD_SLOTS,
};
use crate::{AdsrEnvelope, Waveform};

/// The patch keys of an instrument, as its settings hold them.
pub(super) struct RawPatch<'a> {
    pub(super) sources: &'a Option<Spanned<Vec<Spanned<RawSource>>>>,
    pub(super) unison: &'a Option<RawUnison>,
    pub(super) filter: &'a Option<Spanned<RawFilter>>,
    pub(super) mod_envelope: &'a Option<RawEnvelope>,
    pub(super) lfo1: &'a Option<Spanned<RawLfo>>,
    pub(super) lfo2: &'a Option<Spanned<RawLfo>>,
    pub(super) modulation: &'a Option<Spanned<Vec<Spanned<RawModulation>>>>,
}

impl RawPatch<'_> {
    /// Whether any patch key is there (else the instrument plays plain
    /// notes, as before).
    pub(super) fn any(&self, envelope: &RawEnvelope) -> bool {
        self.sources.is_some()
            || self.unison.is_some()
            || self.filter.is_some()
            || self.mod_envelope.is_some()
            || self.lfo1.is_some()
            || self.lfo2.is_some()
            || self.modulation.is_some()
            || envelope.delay.is_some()
            || envelope.hold.is_some()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) waveform: Spanned<WaveSpec>,
    #[serde(default, deserialize_with = "level")]
    level: Option<f64>,
    #[serde(default, deserialize_with = "cents")]
    detune: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUnison {
    #[serde(default, deserialize_with = "unison_voices")]
    voices: Option<f64>,
    #[serde(default, deserialize_with = "cents")]
    detune: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    spread: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilter {
    mode: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "cutoff")]
    cutoff: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    resonance: Option<f64>,
    #[serde(default, deserialize_with = "level")]
    drive: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLfo {
    shape: Option<Spanned<String>>,
    #[serde(default, deserialize_with = "lfo_rate")]
    rate: Option<f64>,
    #[serde(default, deserialize_with = "super::raw::beats")]
    beats: Option<f64>,
    #[serde(default, deserialize_with = "seconds")]
    delay: Option<f64>,
    #[serde(default, deserialize_with = "seconds")]
    fade: Option<f64>,
    free_running: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawModulation {
    source: Spanned<String>,
    target: Spanned<String>,
    /// A second source the slot is multiplied by.
    scale: Option<Spanned<String>>,
    /// The curves the source and the scale are read through.
    curve: Option<Spanned<String>>,
    scale_curve: Option<Spanned<String>>,
    /// Whether the slot adds the absolute value of what it would add.
    absolute: Option<bool>,
    #[serde(deserialize_with = "amount")]
    amount: f64,
}

fn cents<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    super::raw::number(d, "a detune in cents from -2400 to 2400", |v| {
        (-2400.0..=2400.0).contains(&v)
    })
}

fn unison_voices<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    super::raw::number(d, "a whole number of unison voices from 1 to 8", |v| {
        v.fract() == 0.0 && (1.0..=8.0).contains(&v)
    })
}

fn cutoff<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    super::raw::number(d, "a cutoff from 10 to 40000 Hz", |v| {
        (10.0..=40_000.0).contains(&v)
    })
}

fn lfo_rate<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    super::raw::number(d, "an LFO rate from 0 to 100 Hz", |v| {
        (0.0..=f64::from(MAX_LFO_HZ)).contains(&v)
    })
}

fn amount<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    super::raw::number(d, "an amount from -100 to 100", |v| {
        (-100.0..=100.0).contains(&v)
    })
    .map(|v| v.unwrap_or(0.0))
}

/// A mistake at a byte offset of the score, with its message.
pub(super) type Mistake = (usize, String);

/// Resolves a waveform spec (a sample by its name).
pub(super) type ResolveWave<'a> = &'a dyn Fn(&Spanned<WaveSpec>) -> Result<Waveform, Mistake>;

/// What building a patch needs from the score: how to resolve a waveform
/// and the tempo.
pub(super) struct Context<'a> {
    pub(super) waveform: ResolveWave<'a>,
    pub(super) tempo: Option<f64>,
}

/// The instrument's patch, over its `waveform` (the source when there are
/// no `sources`) and `envelope`.
pub(super) fn build(
    raw: &RawPatch<'_>,
    waveform: Waveform,
    envelope: &RawEnvelope,
    base_envelope: AdsrEnvelope,
    cx: &Context<'_>,
) -> Result<Arc<Patch>, (usize, String)> {
    let mut patch = Patch::new(waveform).with_envelope(envelope.over(base_envelope));
    if let Some(list) = raw.sources {
        if list.get_ref().len() > 2 {
            return Err((list.span().start, "a patch has one or two `sources`".into()));
        }
        let mut sources = Vec::with_capacity(2);
        for s in list.get_ref() {
            let r = s.get_ref();
            let waveform = (cx.waveform)(&r.waveform)?;
            sources.push(PatchSource::new(waveform).with(
                r.level.unwrap_or(1.0) as f32,
                r.detune.unwrap_or(0.0) as f32,
            ));
        }
        patch = patch
            .with_sources(sources)
            .map_err(|e| (list.span().start, e.to_string()))?;
    }
    if envelope.delay.is_some() || envelope.hold.is_some() {
        patch = patch.with_delay_hold(
            envelope.delay.unwrap_or(0.0) as f32,
            envelope.hold.unwrap_or(0.0) as f32,
        );
    }
    if let Some(u) = raw.unison {
        patch = patch.with_unison(
            u.voices.unwrap_or(1.0) as u8,
            u.detune.unwrap_or(0.0).abs() as f32,
            u.spread.unwrap_or(0.0) as f32,
        );
    }
    if let Some(f) = raw.filter {
        let r = f.get_ref();
        let mode = match &r.mode {
            None => FilterMode::Lowpass,
            Some(name) => FilterMode::from_name(name.get_ref()).ok_or_else(|| {
                (
                    name.span().start,
                    format!(
                        "unknown filter mode {:?}; expected lowpass, highpass, bandpass, notch or ladder",
                        name.get_ref()
                    ),
                )
            })?,
        };
        let cutoff = r.cutoff.unwrap_or(1000.0) as f32;
        let resonance = r.resonance.unwrap_or(0.0) as f32;
        if r.drive.is_some() && mode != FilterMode::Ladder {
            return Err((f.span().start, "`drive` needs mode = \"ladder\"".into()));
        }
        patch = patch.with_filter(Filter {
            drive: r.drive.unwrap_or(0.0) as f32,
            ..Filter::new(mode, cutoff, resonance)
        });
    }
    if let Some(e) = raw.mod_envelope {
        patch = patch.with_mod_envelope(e.over(AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0)));
    }
    for (which, lfo) in [(1, raw.lfo1), (2, raw.lfo2)] {
        if let Some(lfo) = lfo {
            patch = patch.with_lfo(which, build_lfo(lfo, cx)?);
        }
    }
    if let Some(list) = raw.modulation {
        if list.get_ref().len() > MOD_SLOTS {
            return Err((
                list.span().start,
                format!("a patch has at most {MOD_SLOTS} modulations"),
            ));
        }
        for m in list.get_ref() {
            let r = m.get_ref();
            let source = ModSource::from_name(r.source.get_ref()).ok_or_else(|| {
                (
                    r.source.span().start,
                    format!(
                        "unknown modulation source {:?}; expected one of: {}",
                        r.source.get_ref(),
                        ModSource::NAMES.join(", ")
                    ),
                )
            })?;
            let target = ModTarget::from_name(r.target.get_ref()).ok_or_else(|| {
                (
                    r.target.span().start,
                    format!(
                        "unknown modulation target {:?}; expected one of: {}",
                        r.target.get_ref(),
                        ModTarget::NAMES.join(", ")
                    ),
                )
            })?;
            let scale = match &r.scale {
                None => None,
                Some(name) => Some(ModSource::from_name(name.get_ref()).ok_or_else(|| {
                    (
                        name.span().start,
                        format!(
                            "unknown modulation source {:?} as a scale; expected one of: {}",
                            name.get_ref(),
                            ModSource::NAMES.join(", ")
                        ),
                    )
                })?),
            };
            let mut slot = Modulation::new(source, target, r.amount as f32);
            if let Some(scale) = scale {
                slot = slot.with_scale(scale);
            }
            if let Some(name) = &r.curve {
                slot = slot.with_curve(curve_named(name)?);
            }
            if let Some(name) = &r.scale_curve {
                slot = slot.with_scale_curve(curve_named(name)?);
            }
            if r.absolute == Some(true) {
                slot = slot.absolute();
            }
            patch = patch
                .with_slot(slot)
                .map_err(|e| (m.span().start, e.to_string()))?;
        }
    }
    Ok(Arc::new(patch))
}

/// The curve a score names (see [`ModCurve::from_name`]).
fn curve_named(name: &Spanned<String>) -> Result<ModCurve, (usize, String)> {
    ModCurve::from_name(name.get_ref()).ok_or_else(|| {
        (
            name.span().start,
            format!(
                "unknown modulation curve {:?}; expected linear, concave, convex or switch, \
                 after \"falling\" and \"bipolar\" if they apply",
                name.get_ref()
            ),
        )
    })
}

fn build_lfo(lfo: &Spanned<RawLfo>, cx: &Context<'_>) -> Result<Lfo, (usize, String)> {
    let r = lfo.get_ref();
    let at = lfo.span().start;
    let shape = match &r.shape {
        None => LfoShape::Sine,
        Some(name) => match name.get_ref().as_str() {
            "sine" => LfoShape::Sine,
            "triangle" => LfoShape::Triangle,
            "square" => LfoShape::Square,
            "saw" => LfoShape::Saw,
            "sample_and_hold" => LfoShape::SampleAndHold,
            other => {
                return Err((
                    name.span().start,
                    format!("unknown LFO shape {other:?}; expected sine, triangle, square, saw or sample_and_hold"),
                ))
            }
        },
    };
    let rate_hz = match (r.rate, r.beats) {
        (Some(_), Some(_)) => {
            return Err((
                at,
                "this LFO gives both `rate` and `beats`; give one".into(),
            ))
        }
        (Some(hz), None) => hz as f32,
        (None, Some(beats)) => {
            let Some(tempo) = cx.tempo else {
                return Err((at, "`beats` counts beats, so the score needs a `tempo` (beats per minute) at the top".into()));
            };
            if beats <= 0.0 {
                return Err((
                    at,
                    "an LFO of 0 beats never turns; expected more than 0 beats".into(),
                ));
            }
            (tempo / 60.0 / beats) as f32
        }
        (None, None) => 5.0,
    };
    let mut out = Lfo::new(shape, rate_hz)
        .with_delay(r.delay.unwrap_or(0.0) as f32, r.fade.unwrap_or(0.0) as f32);
    if r.free_running == Some(true) {
        out = out.free_running();
    }
    Ok(out)
}
