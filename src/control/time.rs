//! Time on the audio clock: [`At`] says when a command applies, [`Tempo`]
//! turns beats into frames.

use super::ControlError;

/// When a controller command applies, on the audio side's clock.
///
/// The audio clock counts frames rendered since the split: the first frame
/// the [`AudioEngine`](crate::AudioEngine) renders is frame 0. A command
/// applies exactly at its frame, whatever the buffer sizes: the audio side
/// renders up to the frame, applies the command and renders on. A time
/// already past when the command reaches the audio side (and [`At::Now`])
/// means the start of the next block.
///
/// ```
/// use polyphonica::{At, Tempo};
///
/// let rate = 48_000.0;
/// assert_eq!(At::Now.to_frame(rate), Ok(None));
/// assert_eq!(At::Frame(1_000).to_frame(rate), Ok(Some(1_000)));
/// assert_eq!(At::Secs(0.5).to_frame(rate), Ok(Some(24_000)));
/// // Beat 2 at 120 BPM is one second in.
/// assert_eq!(At::Beat(2.0, Tempo::new(120.0)).to_frame(rate), Ok(Some(48_000)));
/// assert!(At::Secs(f64::NAN).to_frame(rate).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum At {
    /// At the start of the next block the audio side renders.
    #[default]
    Now,
    /// At this frame of the audio clock.
    Frame(u64),
    /// This many seconds after the audio clock's frame 0 (rounded to the
    /// nearest frame).
    Secs(f64),
    /// At this beat of a tempo (rounded to the nearest frame).
    Beat(f64, Tempo),
}

impl At {
    /// The frame this time falls on at `sample_rate`, or `None` for
    /// [`At::Now`]; an error for a time that is not on the clock (NaN,
    /// infinite or negative, or an invalid tempo).
    pub fn to_frame(self, sample_rate: f32) -> Result<Option<u64>, ControlError> {
        match self {
            At::Now => Ok(None),
            At::Frame(frame) => Ok(Some(frame)),
            At::Secs(secs) => secs_to_frame(secs, f64::from(sample_rate)).map(Some),
            At::Beat(beat, tempo) => tempo.frame_at(beat, sample_rate).map(Some),
        }
    }
}

/// `round(secs * sample_rate)`, or an error for a time before frame 0 or not
/// finite.
fn secs_to_frame(secs: f64, sample_rate: f64) -> Result<u64, ControlError> {
    let frames = (secs * sample_rate).round();
    if frames.is_finite() && frames >= 0.0 {
        Ok(frames as u64)
    } else {
        Err(ControlError::InvalidTime)
    }
}

/// A tempo on the audio clock: beats per minute, and the frame where beat 0
/// falls.
///
/// A tempo converts between beats and frames, so a piece can be written in
/// beats and scheduled ahead of time with [`At::Beat`] or
/// [`Controller::play_phrase`](crate::Controller::play_phrase), with no
/// thread sleeping until each note.
///
/// ```
/// use polyphonica::Tempo;
///
/// let rate = 48_000.0;
/// let tempo = Tempo::new(90.0).starting_at_frame(4_800);
/// assert_eq!(tempo.secs_per_beat(), 60.0 / 90.0);
/// assert_eq!(tempo.frame_at(0.0, rate), Ok(4_800));
/// assert_eq!(tempo.frame_at(3.0, rate), Ok(4_800 + 96_000));
/// assert_eq!(tempo.beat_at(4_800 + 32_000, rate), 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tempo {
    bpm: f64,
    start_frame: u64,
}

impl Tempo {
    /// `bpm` beats per minute, beat 0 at frame 0. A `bpm` that is not finite
    /// and above zero makes every conversion an
    /// [`InvalidTime`](ControlError::InvalidTime) error.
    ///
    /// ```
    /// use polyphonica::{ControlError, Tempo};
    /// assert_eq!(Tempo::new(120.0).bpm(), 120.0);
    /// assert_eq!(Tempo::new(0.0).frame_at(1.0, 48_000.0), Err(ControlError::InvalidTime));
    /// ```
    pub fn new(bpm: f64) -> Self {
        Tempo {
            bpm,
            start_frame: 0,
        }
    }

    /// The same tempo with beat 0 at `frame` (for instance a little after
    /// the audio clock's present, [`Controller::now`](crate::Controller::now)).
    ///
    /// ```
    /// use polyphonica::Tempo;
    /// assert_eq!(Tempo::new(60.0).starting_at_frame(100).frame_at(1.0, 1_000.0), Ok(1_100));
    /// ```
    pub fn starting_at_frame(self, frame: u64) -> Self {
        Tempo {
            start_frame: frame,
            ..self
        }
    }

    /// Beats per minute.
    ///
    /// ```
    /// use polyphonica::Tempo;
    /// assert_eq!(Tempo::new(140.0).bpm(), 140.0);
    /// ```
    pub fn bpm(self) -> f64 {
        self.bpm
    }

    /// The frame where beat 0 falls.
    ///
    /// ```
    /// use polyphonica::Tempo;
    /// assert_eq!(Tempo::new(140.0).starting_at_frame(9).start_frame(), 9);
    /// ```
    pub fn start_frame(self) -> u64 {
        self.start_frame
    }

    /// Seconds per beat.
    ///
    /// ```
    /// use polyphonica::Tempo;
    /// assert_eq!(Tempo::new(120.0).secs_per_beat(), 0.5);
    /// ```
    pub fn secs_per_beat(self) -> f64 {
        60.0 / self.bpm
    }

    /// The frame where `beat` falls (rounded to the nearest frame); an
    /// error for a beat that is not finite or falls before frame 0, or an
    /// invalid tempo.
    ///
    /// ```
    /// use polyphonica::Tempo;
    /// let tempo = Tempo::new(120.0);
    /// assert_eq!(tempo.frame_at(0.25, 44_100.0), Ok(5_513)); // 5512.5 rounds up
    /// assert!(tempo.frame_at(-1.0, 44_100.0).is_err());
    /// ```
    pub fn frame_at(self, beat: f64, sample_rate: f32) -> Result<u64, ControlError> {
        if !(self.bpm.is_finite() && self.bpm > 0.0) {
            return Err(ControlError::InvalidTime);
        }
        let offset = (beat * self.secs_per_beat() * f64::from(sample_rate)).round();
        let frame = self.start_frame as f64 + offset;
        if offset.is_finite() && frame >= 0.0 {
            Ok(self.start_frame.saturating_add_signed(offset as i64))
        } else {
            Err(ControlError::InvalidTime)
        }
    }

    /// The beat at `frame` (fractional; negative before beat 0, NaN for an
    /// invalid tempo).
    ///
    /// ```
    /// use polyphonica::Tempo;
    /// let tempo = Tempo::new(120.0).starting_at_frame(1_000);
    /// assert_eq!(tempo.beat_at(1_000 + 36_000, 48_000.0), 1.5);
    /// assert_eq!(tempo.beat_at(0, 48_000.0), -1_000.0 / 24_000.0);
    /// ```
    pub fn beat_at(self, frame: u64, sample_rate: f32) -> f64 {
        (frame as f64 - self.start_frame as f64) / (self.secs_per_beat() * f64::from(sample_rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_resolve_to_frames() {
        assert_eq!(At::Secs(1.0).to_frame(44_100.0), Ok(Some(44_100)));
        assert_eq!(
            At::Secs(-0.1).to_frame(44_100.0),
            Err(ControlError::InvalidTime)
        );
        assert_eq!(
            At::Secs(f64::INFINITY).to_frame(44_100.0),
            Err(ControlError::InvalidTime)
        );
        assert_eq!(At::default(), At::Now);
    }

    #[test]
    fn tempo_round_trips() {
        let tempo = Tempo::new(133.0).starting_at_frame(777);
        for beat in [0.0, 0.5, 1.0, 7.25, 100.0] {
            let frame = tempo.frame_at(beat, 48_000.0).unwrap();
            assert!((tempo.beat_at(frame, 48_000.0) - beat).abs() < 1e-4);
        }
        // Before beat 0 but not before frame 0 is fine.
        assert_eq!(tempo.frame_at(-0.001, 48_000.0), Ok(777 - 22));
        for bad in [f64::NAN, -1.0, 0.0, f64::INFINITY] {
            assert_eq!(
                Tempo::new(bad).frame_at(1.0, 48_000.0),
                Err(ControlError::InvalidTime)
            );
        }
        assert_eq!(
            Tempo::new(120.0).frame_at(f64::NAN, 48_000.0),
            Err(ControlError::InvalidTime)
        );
    }
}
