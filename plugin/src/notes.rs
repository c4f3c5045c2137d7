//! The notes the host started and the engine plays: the host's names for
//! each (port, channel, key, note id), its per-note modulation and note
//! expressions, kept in a fixed table so the audio side never allocates.

use polyphonica::VoiceId;

/// The parameters a host can modulate per note (each moves a target of
/// the note's own modulation).
pub const LIVE: usize = 4;
/// Positions in a note's per-note values: cutoff, resonance, pan, tune.
pub const CUTOFF: usize = 0;
/// See [`CUTOFF`].
pub const RESONANCE: usize = 1;
/// See [`CUTOFF`].
pub const PAN: usize = 2;
/// See [`CUTOFF`].
pub const TUNE: usize = 3;

/// The port, channel, key and note id an event names (each −1 for any).
pub type Names = (i16, i16, i16, i32);

/// One note the host started.
#[derive(Clone, Copy, Debug)]
pub struct HostNote {
    /// The engine's id for it.
    pub id: VoiceId,
    /// The host's note id (−1 when it gave none).
    pub note_id: i32,
    /// Note port, channel and key, as the host sent them.
    pub port: i16,
    /// See `port`.
    pub channel: i16,
    /// See `port`.
    pub key: i16,
    /// A per-note value the host set for each live parameter (NaN: the
    /// parameter's own value).
    pub value: [f64; LIVE],
    /// The host's per-note modulation of each live parameter, in its unit.
    pub modulation: [f64; LIVE],
    /// Note expressions: volume (gain, 0–4), expression (gain, 0–1), pan
    /// (0–1), tuning (semitones) and brightness (0–1).
    pub volume: f64,
    /// See `volume`.
    pub expression: f64,
    /// See `volume`.
    pub pan: f64,
    /// See `volume`.
    pub tuning: f64,
    /// See `volume`.
    pub brightness: f64,
}

impl HostNote {
    /// A note with no per-note values, modulation or expressions yet.
    pub fn new(id: VoiceId, note_id: i32, port: i16, channel: i16, key: i16) -> Self {
        HostNote {
            id,
            note_id,
            port,
            channel,
            key,
            value: [f64::NAN; LIVE],
            modulation: [0.0; LIVE],
            volume: 1.0,
            expression: 1.0,
            pan: 0.5,
            tuning: 0.0,
            brightness: 0.5,
        }
    }

    /// Whether the note answers to an event's port, channel, key and note
    /// id (each −1 for any).
    pub fn matches(&self, (port, channel, key, note_id): Names) -> bool {
        (port < 0 || port == self.port)
            && (channel < 0 || channel == self.channel)
            && (key < 0 || key == self.key)
            && (note_id < 0 || note_id == self.note_id)
    }
}

/// The table of notes, allocated once with room for every voice and as many
/// again (notes whose end the engine has not reported yet).
#[derive(Debug)]
pub struct NoteTable {
    notes: Vec<HostNote>,
}

impl NoteTable {
    /// A table for an engine of `voices` voices.
    pub fn new(voices: usize) -> Self {
        NoteTable {
            notes: Vec::with_capacity(2 * voices.max(1)),
        }
    }

    /// Adds a note; when the table is full, the oldest entry goes (its
    /// voice has been stolen long before).
    pub fn insert(&mut self, note: HostNote) {
        if self.notes.len() == self.notes.capacity() {
            self.notes.remove(0);
        }
        self.notes.push(note);
    }

    /// Takes out the note the engine knows as `id`.
    pub fn take(&mut self, id: VoiceId) -> Option<HostNote> {
        let i = self.notes.iter().position(|n| n.id == id)?;
        Some(self.notes.remove(i))
    }

    /// The notes.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut HostNote> {
        self.notes.iter_mut()
    }

    /// How many notes are in the table.
    pub fn len(&self) -> usize {
        self.notes.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }

    /// Forgets every note.
    pub fn clear(&mut self) {
        self.notes.clear();
    }
}
