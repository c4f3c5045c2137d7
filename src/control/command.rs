//! `Command`: an [`Event`] on its way from a controller to the audio side,
//! stamped with the frame at which it applies.

use crate::{Event, VoiceId};

/// What crosses a controller's queue.
#[derive(Debug)]
pub(crate) enum Command {
    /// An event to apply.
    Event {
        /// The audio-clock frame to apply at; `None` for the start of the
        /// next block.
        frame: Option<u64>,
        event: Event,
    },
    /// Drop every event this queue sent for a frame that has not been
    /// applied yet.
    CancelScheduled,
}

/// The note a per-voice event controls (`None` for a trigger and for the
/// events that act on a group or the whole engine).
pub(crate) fn controlled_voice(event: &Event) -> Option<VoiceId> {
    event.note_id()
}

/// The id a trigger starts, if `event` is one.
pub(crate) fn started_voice(event: &Event) -> Option<VoiceId> {
    match event {
        Event::NoteOn { id, .. } => Some(*id),
        _ => None,
    }
}
