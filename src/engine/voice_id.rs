//! `VoiceId`: the handle of one note.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

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

/// Hands out ids in increasing order, never the same twice, from any
/// thread: the engine and, after a split, its controllers and its audio
/// side share one counter.
#[derive(Clone, Debug, Default)]
pub(crate) struct VoiceIdSource {
    /// The number of the last id handed out.
    last: Arc<AtomicU64>,
}

impl VoiceIdSource {
    /// The next unused id.
    pub(crate) fn next_id(&self) -> VoiceId {
        self.take(1)
    }

    /// `n` fresh consecutive ids; returns the first.
    pub(crate) fn take(&self, n: u64) -> VoiceId {
        // Uniqueness needs only the atomicity of the read-modify-write; the
        // id carries no data another thread must see.
        VoiceId(self.last.fetch_add(n, Relaxed) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_across_threads_and_clones() {
        let ids = VoiceIdSource::default();
        assert_eq!(ids.take(3).raw(), 1);
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let ids = ids.clone();
                std::thread::spawn(move || {
                    (0..1000).map(|_| ids.next_id().raw()).collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<u64> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (4..4004).collect::<Vec<_>>());
    }
}
