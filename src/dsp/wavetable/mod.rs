//! Band-limited periodic oscillators.
//!
//! Interface used by the engine: a voice keeps a `u32` phase (2^32 = one
//! cycle) and asks for a block of one shape at a constant phase increment.
//! This first version uses PolyBLEP; it is replaced by mip-mapped tables.

use std::sync::OnceLock;

/// The periodic shapes an oscillator can render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Pure sine.
    Sine,
    /// Falling... rising ramp from -1 to 1.
    Saw,
    /// 50 % square.
    Square,
    /// Triangle.
    Triangle,
}

/// The shared oscillator tables (built once, on first use).
#[derive(Debug)]
pub(crate) struct Wavetables {
    _private: (),
}

static TABLES: OnceLock<Wavetables> = OnceLock::new();

/// The process-wide tables; the first call builds them (and allocates), so
/// engines call it when they are created, never first on the audio thread.
pub(crate) fn wavetables() -> &'static Wavetables {
    TABLES.get_or_init(|| Wavetables { _private: () })
}

/// The `u32` phase increment per frame for `frequency_hz` at
/// `sample_rate_hz`; frequencies are expected in `0..=sample_rate_hz / 2`.
pub(crate) fn phase_increment(frequency_hz: f64, sample_rate_hz: f64) -> u32 {
    let cycles = (frequency_hz / sample_rate_hz).clamp(0.0, 0.5);
    (cycles * 4_294_967_296.0) as u32
}

const PHASE_TO_UNIT: f32 = 1.0 / 4_294_967_296.0;

fn poly_blep(t: f32, dt: f32) -> f32 {
    if t < dt {
        let x = t / dt;
        x + x - x * x - 1.0
    } else if t > 1.0 - dt {
        let x = (t - 1.0) / dt;
        x * x + x + x + 1.0
    } else {
        0.0
    }
}

impl Wavetables {
    /// Renders `out.len()` frames of `shape`, advancing `phase` by
    /// `increment` per frame.
    pub(crate) fn render(&self, shape: Shape, phase: &mut u32, increment: u32, out: &mut [f32]) {
        let dt = increment as f32 * PHASE_TO_UNIT;
        let mut p = *phase;
        match shape {
            Shape::Sine => {
                for o in out.iter_mut() {
                    *o = (p as f32 * PHASE_TO_UNIT * std::f32::consts::TAU).sin();
                    p = p.wrapping_add(increment);
                }
            }
            Shape::Saw => {
                for o in out.iter_mut() {
                    let t = p as f32 * PHASE_TO_UNIT;
                    *o = 2.0 * t - 1.0 - poly_blep(t, dt);
                    p = p.wrapping_add(increment);
                }
            }
            Shape::Square => self.render_pulse(phase, increment, 0.5, out),
            Shape::Triangle => {
                for o in out.iter_mut() {
                    let t = p as f32 * PHASE_TO_UNIT;
                    *o = 1.0 - 4.0 * (t - 0.5).abs();
                    p = p.wrapping_add(increment);
                }
            }
        }
        if shape != Shape::Square {
            *phase = p;
        }
    }

    /// Renders a pulse wave high for `duty` of each cycle (`duty` in
    /// `0.0..=1.0`, clamped by the caller to a usable range).
    pub(crate) fn render_pulse(&self, phase: &mut u32, increment: u32, duty: f32, out: &mut [f32]) {
        let dt = increment as f32 * PHASE_TO_UNIT;
        let mut p = *phase;
        for o in out.iter_mut() {
            let t = p as f32 * PHASE_TO_UNIT;
            let mut v = if t < duty { 1.0 } else { -1.0 };
            v += poly_blep(t, dt);
            let t2 = (t - duty).rem_euclid(1.0);
            v -= poly_blep(t2, dt);
            *o = v;
            p = p.wrapping_add(increment);
        }
        *phase = p;
    }
}
