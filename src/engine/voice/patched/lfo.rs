//! A patched voice's LFOs: a block's values at once when their rates hold
//! still, or segment by segment at rates the matrix moves.

use super::modulation::PatchVoice;
use super::SEGMENTS;
use crate::dsp::fast;
use crate::dsp::filter::CONTROL_FRAMES;
use crate::patch::{Lfo, LfoShape};

impl PatchVoice {
    /// LFO `i` (0 or 1) of the patch, delayed as the note asks.
    fn lfo(&self, i: usize) -> Lfo {
        Lfo {
            delay_secs: self.lfo_delays_secs[i],
            ..self.patch.lfos[i]
        }
    }

    /// Each LFO's value at the end of each control segment of a block of
    /// `frames`, advancing the LFOs to the block's end (only for LFOs at a
    /// steady rate and of a shape with no random draw: see `steady_lfos`).
    pub(crate) fn lfo_block(&mut self, frames: usize, sample_rate: f32) -> [[f32; SEGMENTS]; 2] {
        let mut out = [[0.0; SEGMENTS]; 2];
        let segments = frames.div_ceil(CONTROL_FRAMES);
        for (i, values) in out.iter_mut().enumerate() {
            if !self.uses_lfo[i] {
                continue;
            }
            let lfo = self.lfo(i);
            let per_frame = lfo.rate_hz / sample_rate;
            let start = self.lfo_phase[i] as f32;
            // The phase at each segment's end, and the shape there: one loop
            // per shape, computing both, so each vectorises (a loop of
            // phases stored one by one and read back four at a time would
            // stall on every read).
            let (frames32, step) = (frames as i32, CONTROL_FRAMES as i32);
            let phase_at = |s: usize| {
                let end = ((s as i32 + 1) * step).min(frames32) as f32;
                start + per_frame * end
            };
            let wrapped = |s: usize| {
                let p = phase_at(s);
                p - fast::floor(p)
            };
            let values = &mut values[..segments];
            match lfo.shape {
                LfoShape::Sine => {
                    for (s, v) in values.iter_mut().enumerate() {
                        *v = fast::sin_cycles(phase_at(s));
                    }
                }
                LfoShape::Triangle => {
                    for (s, v) in values.iter_mut().enumerate() {
                        let q = phase_at(s) + 0.25;
                        *v = 1.0 - 4.0 * ((q - fast::floor(q)) - 0.5).abs();
                    }
                }
                LfoShape::Square => {
                    for (s, v) in values.iter_mut().enumerate() {
                        *v = if wrapped(s) < 0.5 { 1.0 } else { -1.0 };
                    }
                }
                LfoShape::Saw => {
                    for (s, v) in values.iter_mut().enumerate() {
                        *v = 2.0 * wrapped(s) - 1.0;
                    }
                }
                LfoShape::SampleAndHold => values.fill(0.0), // never steady
            }
            if lfo.delay_secs > 0.0 || lfo.fade_secs > 0.0 {
                for (s, v) in values.iter_mut().enumerate() {
                    let age_frames =
                        self.age_frames + ((s + 1) * CONTROL_FRAMES).min(frames) as u64;
                    let age = age_frames as f32 / sample_rate;
                    *v *= if age < lfo.delay_secs {
                        0.0
                    } else if lfo.fade_secs > 0.0 {
                        ((age - lfo.delay_secs) / lfo.fade_secs).min(1.0)
                    } else {
                        1.0
                    };
                }
            }
            let phase =
                self.lfo_phase[i] + f64::from(lfo.rate_hz) * frames as f64 / f64::from(sample_rate);
            self.lfo_phase[i] = fast::fract_f64(phase);
        }
        out
    }

    /// Each LFO's value now, advancing it by `frames` at rates moved by
    /// `rate_octaves`.
    pub(crate) fn advance_lfos(
        &mut self,
        frames: usize,
        rate_octaves: [f32; 2],
        sample_rate: f32,
    ) -> [f32; 2] {
        let mut out = [0.0; 2];
        for (i, o) in out.iter_mut().enumerate() {
            if !self.uses_lfo[i] {
                continue;
            }
            let lfo = self.lfo(i);
            let hz = f64::from(lfo.rate_hz * fast::exp2(rate_octaves[i].clamp(-10.0, 10.0)));
            let phase = self.lfo_phase[i] + hz * frames as f64 / f64::from(sample_rate);
            if phase >= 1.0 {
                self.lfo_held[i] = self.draw();
            }
            self.lfo_phase[i] = fast::fract_f64(phase);
            let p = self.lfo_phase[i] as f32;
            let value = match lfo.shape {
                LfoShape::Sine => fast::sin_cycles(p),
                LfoShape::Triangle => {
                    let q = p + 0.25;
                    1.0 - 4.0 * ((q - fast::floor(q)) - 0.5).abs()
                }
                LfoShape::Square => {
                    if p < 0.5 {
                        1.0
                    } else {
                        -1.0
                    }
                }
                LfoShape::Saw => 2.0 * p - 1.0,
                LfoShape::SampleAndHold => self.lfo_held[i],
            };
            *o = if lfo.delay_secs == 0.0 && lfo.fade_secs == 0.0 {
                value
            } else {
                let age = self.age_frames as f32 / sample_rate;
                if age < lfo.delay_secs {
                    0.0
                } else if lfo.fade_secs > 0.0 {
                    value * ((age - lfo.delay_secs) / lfo.fade_secs).min(1.0)
                } else {
                    value
                }
            };
        }
        out
    }
}
