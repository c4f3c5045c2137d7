//! `VoiceId`: the handle of one note.

use std::fmt;

/// Identifies one note for its whole life, from trigger to the end of its
/// release.
///
/// Ids are never reused within an engine, so an id whose note has finished or
/// been stolen is simply stale: every call with it does nothing, and it never
/// reaches the note that took its voice.
///
/// ```
/// use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
///
/// let mut engine = RealtimeEngine::new(48_000.0);
/// let a = engine.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
/// let b = engine.trigger_note(Waveform::Sine, 660.0, AdsrEnvelope::default()).unwrap();
/// assert_ne!(a, b);
/// println!("playing {a} and {b}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VoiceId(u64);

impl VoiceId {
    /// The id with this number (ids are handed out by the engine; this is for
    /// tests and for tools that carry ids as numbers).
    ///
    /// ```
    /// use polyphonica::VoiceId;
    /// assert_eq!(VoiceId::from_raw(7).raw(), 7);
    /// ```
    pub const fn from_raw(raw: u64) -> Self {
        VoiceId(raw)
    }

    /// The id's number.
    pub const fn raw(self) -> u64 {
        self.0
    }
}

impl fmt::Display for VoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "voice#{}", self.0)
    }
}

/// Hands out ids in increasing order, never the same twice.
#[derive(Debug, Default)]
pub(crate) struct VoiceIdSource {
    next: u64,
}

impl VoiceIdSource {
    /// The next unused id.
    pub(crate) fn next_id(&mut self) -> VoiceId {
        self.next += 1;
        VoiceId(self.next)
    }

    /// How many ids were handed out (the number of the last one); a source
    /// that takes over continues after it.
    pub(crate) fn issued(&self) -> u64 {
        self.next
    }
}
