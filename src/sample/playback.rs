//! Reading a sample at any speed: the playhead of one voice.

use super::SampleData;

/// Where a voice is in its sample, in source frames (fractional).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SamplePlayhead {
    position: f64,
    ended: bool,
}

impl SamplePlayhead {
    /// A playhead at the first frame.
    pub(crate) const fn new() -> Self {
        SamplePlayhead {
            position: 0.0,
            ended: false,
        }
    }

    /// Whether the data ran out (a voice without a loop then ends).
    #[allow(dead_code)] // unused on this branch; clippy -D warnings must pass
    pub(crate) fn has_ended(&self) -> bool {
        self.ended
    }

    /// Renders up to `left.len()` frames, advancing `step` source frames per
    /// output frame (`step` must be finite and above zero). While `held` and
    /// the sample has a loop, the loop region repeats.
    ///
    /// `left` receives the left channel, or the mono mix-down of a stereo
    /// sample when `right` is `None`; `right` (same length as `left`) receives
    /// the right channel (the mono channel again for a mono sample).
    ///
    /// Returns the frames written: fewer than `left.len()` means the data
    /// ended at that frame; the frames after it are set to zero.
    pub(crate) fn render(
        &mut self,
        sample: &SampleData,
        step: f64,
        held: bool,
        left: &mut [f32],
        mut right: Option<&mut [f32]>,
    ) -> usize {
        let frames = left.len();
        let audio = &*sample.audio;
        let len = audio.left.len();
        let loop_region = if held { sample.loop_frames() } else { None };
        let mut written = 0;
        while written < frames {
            if let Some((start, end)) = loop_region {
                let end_f = end as f64;
                if self.position >= end_f {
                    let span = (end - start) as f64;
                    self.position = start as f64 + (self.position - end_f) % span;
                }
            }
            if self.ended || self.position >= len as f64 {
                self.ended = true;
                break;
            }
            let index = self.position as usize;
            let frac = (self.position - index as f64) as f32;
            let l = hermite(&audio.left, index, frac);
            match (&mut right, &audio.right) {
                (Some(r_out), Some(r)) => {
                    left[written] = l;
                    r_out[written] = hermite(r, index, frac);
                }
                (Some(r_out), None) => {
                    left[written] = l;
                    r_out[written] = l;
                }
                (None, Some(r)) => left[written] = 0.5 * (l + hermite(r, index, frac)),
                (None, None) => left[written] = l,
            }
            self.position += step;
            written += 1;
        }
        left[written..].fill(0.0);
        if let Some(r) = right {
            r[written..].fill(0.0);
        }
        written
    }
}

/// 4-point, 3rd-order Hermite interpolation; frames outside the data are 0.
fn hermite(data: &[f32], index: usize, frac: f32) -> f32 {
    let at = |i: isize| -> f32 {
        if i < 0 {
            0.0
        } else {
            data.get(i as usize).copied().unwrap_or(0.0)
        }
    };
    let i = index as isize;
    let (xm1, x0, x1, x2) = (at(i - 1), at(i), at(i + 1), at(i + 2));
    let c1 = 0.5 * (x1 - xm1);
    let c2 = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2;
    let c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
    ((c3 * frac + c2) * frac + c1) * frac + x0
}
