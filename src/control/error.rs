//! `ControlError`: why a controller call was refused.

use std::fmt;

/// Why a [`Controller`](crate::Controller) call was refused. A refused call
/// changes nothing: no command was queued and no id was used.
///
/// ```
/// use polyphonica::{AdsrEnvelope, ControlError, EventTarget, RealtimeEngine, Waveform};
///
/// let (_audio, mut control) = RealtimeEngine::new(48_000.0).split();
/// let refused = control.trigger_note(Waveform::Sine, f32::NAN, AdsrEnvelope::default());
/// assert_eq!(refused, Err(ControlError::InvalidNote));
/// println!("{}", ControlError::QueueFull);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ControlError {
    /// This controller's command queue is full: the audio side has not
    /// drained it (it drains every queue at the start of each block). Try
    /// again after the next block, or split with a larger
    /// [`ControlConfig::queue_capacity`](crate::control::ControlConfig::queue_capacity).
    QueueFull,
    /// The audio side's schedule is full: as many commands sent for a frame
    /// as [`ControlConfig::schedule_capacity`](crate::control::ControlConfig::schedule_capacity)
    /// are queued or waiting for it. Try again once some have been applied,
    /// or drop this controller's with
    /// [`Controller::cancel_scheduled`](crate::Controller::cancel_scheduled).
    /// Commands for now have room of their own and are refused only when
    /// every queue is full of them.
    ScheduleFull,
    /// The note cannot be played: its frequency is NaN, infinite or not above
    /// zero, or its envelope has a non-finite field.
    InvalidNote,
    /// The time cannot be placed on the audio clock: NaN, infinite or
    /// negative seconds or beats, or a tempo that is not a finite positive
    /// number of beats per minute.
    InvalidTime,
    /// Every controller slot of the split is in use (see
    /// [`ControlConfig::controllers`](crate::control::ControlConfig::controllers));
    /// dropping a controller frees its slot.
    NoFreeController,
    /// The audio side ([`AudioEngine`](crate::AudioEngine)) was dropped:
    /// nothing sent now would ever be applied.
    Disconnected,
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ControlError::QueueFull => "the controller's command queue is full (the audio side has not drained it)",
            ControlError::ScheduleFull => "the audio side's schedule is full (too many commands waiting)",
            ControlError::InvalidNote => {
                "the note cannot be played (frequency not finite and positive, or envelope not finite)"
            }
            ControlError::InvalidTime => "the time is not a finite, non-negative point on the audio clock",
            ControlError::NoFreeController => "every controller slot of this engine is in use",
            ControlError::Disconnected => "the audio side is gone (its AudioEngine was dropped)",
        })
    }
}

impl std::error::Error for ControlError {}

impl From<crate::engine::InvalidNote> for ControlError {
    fn from(_: crate::engine::InvalidNote) -> Self {
        ControlError::InvalidNote
    }
}
