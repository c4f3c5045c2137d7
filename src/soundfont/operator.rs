//! A modulator's source operators (SoundFont 2.04, section 8.2.1):
//! which controller, and the curve it is read through.

use super::Modulator;
use crate::patch::{CurveShape, ModCurve, ModSource};

/// A modulator's source operator, decoded (section 8.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Source {
    /// A MIDI controller (`index` its number) or a general one.
    cc: bool,
    index: u16,
    /// Direction, polarity and shape.
    pub(super) curve: ModCurve,
}

/// The curve of the source operator `raw` (its direction, polarity and
/// shape), if the standard defines its shape.
pub(super) fn curve_of(raw: u16) -> Option<ModCurve> {
    let shape = match (raw >> 10) & 0x3F {
        0 => CurveShape::Linear,
        1 => CurveShape::Concave,
        2 => CurveShape::Convex,
        3 => CurveShape::Switch,
        _ => return None,
    };
    Some(ModCurve {
        shape,
        falling: raw & 0x100 != 0,
        bipolar: raw & 0x200 != 0,
    })
}

impl Source {
    /// The operator `raw`, or `None` for the controllers this module
    /// cannot follow (a link, read by [`super::linked`]; the wheel's
    /// range).
    pub(super) fn decode(raw: u16) -> Option<Source> {
        let (cc, index) = (raw & 0x80 != 0, raw & 0x7F);
        let curve = curve_of(raw)?;
        let known = cc || matches!(index, 0 | 2 | 3 | 10 | 13 | 14);
        known.then_some(Source { cc, index, curve })
    }

    /// Whether it is "no controller", whose value is 1.
    pub(super) fn is_none(&self) -> bool {
        !self.cc && self.index == 0
    }

    /// Whether it is the same for the whole note: its velocity, its key or
    /// no controller.
    pub(super) fn per_note(&self) -> bool {
        !self.cc && matches!(self.index, 0 | 2 | 3)
    }

    /// The value for a note of `key` at `velocity`: the normalised input
    /// through direction, curve and polarity (1 for no controller).
    pub(super) fn value(&self, key: u8, velocity: u8) -> f32 {
        let x = match self.index {
            0 => return 1.0,
            2 => f32::from(velocity),
            _ => f32::from(key),
        } / 127.0;
        self.curve.at(x)
    }

    /// The engine's source for it (whose range [`ModCurve`] reads as the
    /// standard normalises the controller), if there is one.
    pub(super) fn mod_source(&self) -> Option<ModSource> {
        Some(match (self.cc, self.index) {
            (false, 0) => ModSource::Constant,
            (true, 1) => ModSource::ModWheel,
            (true, n) => ModSource::Controller(n as u8),
            (false, 2) => ModSource::Velocity,
            (false, 3) => ModSource::Key,
            (false, 10) => ModSource::PolyPressure,
            (false, 13) => ModSource::Pressure,
            (false, 14) => ModSource::PitchBend,
            _ => return None,
        })
    }
}

/// The amount source of `m`: `Some(None)` for "no controller", `None` for
/// one this module cannot follow.
pub(super) fn amount_source(m: &Modulator) -> Option<Option<Source>> {
    if m.amount_source & 0xFF == 0 {
        return Some(None);
    }
    Source::decode(m.amount_source).map(Some)
}
