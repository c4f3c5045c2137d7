//! `Group`: the smoothed volume every note of a group is multiplied by.

use crate::dsp::slew::Slew;

/// One group's volume on the audio side.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Group {
    /// The volume set (the target of the smoothing or the fade).
    volume: f32,
    slew: Slew,
    /// Whether a fade is under way (a fade is never cut short by a silent
    /// block, as a plain volume change is).
    fading: bool,
}

impl Group {
    /// A group at volume 1 whose changes take `ramp_frames` frames across
    /// the whole range.
    pub(crate) fn new(ramp_frames: f32) -> Self {
        Group {
            volume: 1.0,
            slew: Slew::new(1.0, 1.0, ramp_frames),
            fading: false,
        }
    }

    /// Sets the volume (NaN and infinities ignored, clamped to `0..=1`),
    /// smoothed.
    pub(crate) fn set_volume(&mut self, volume: f32) {
        if volume.is_finite() {
            self.volume = volume.clamp(0.0, 1.0);
            self.slew.settle_rate();
            self.fading = false;
        }
    }

    /// Fades to `to` (clamped; NaN and infinities ignored) in a straight
    /// line over `frames` frames.
    pub(crate) fn fade(&mut self, to: f32, frames: u32) {
        if to.is_finite() {
            self.volume = to.clamp(0.0, 1.0);
            self.slew.glide(self.volume, frames);
            self.fading = frames > 0;
        }
    }

    /// The volume last set.
    pub(crate) fn volume(&self) -> f32 {
        self.volume
    }

    /// After a silent block a plain volume change has nothing to smooth:
    /// it applies at once.
    pub(crate) fn settle_if_silent(&mut self) {
        if !self.fading {
            self.slew.reset(self.volume);
        }
    }

    /// The gain at the start and end of the next `frames` frames.
    pub(crate) fn advance(&mut self, frames: usize) -> (f32, f32) {
        let ramp = self.slew.advance(self.volume, frames);
        if ramp.1 == self.volume {
            self.fading = false;
        }
        ramp
    }
}
