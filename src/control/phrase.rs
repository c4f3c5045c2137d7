//! `Phrase`: notes laid out in beats, queued together by
//! [`Controller::play_phrase`](crate::Controller::play_phrase).

use crate::Note;

/// One note of a [`Phrase`]: when it starts and how long it is held, in
/// beats from the phrase's start.
///
/// ```
/// use polyphonica::{AdsrEnvelope, Note, Waveform};
/// use polyphonica::control::PhraseNote;
/// let n = PhraseNote { start_beat: 1.5, length_beats: 0.5, note: Note::new(Waveform::Sine, 440.0, AdsrEnvelope::default()) };
/// assert_eq!(n.start_beat + n.length_beats, 2.0);
/// ```
#[derive(Clone, Debug)]
pub struct PhraseNote {
    /// Beats from the phrase's start to the note's start.
    pub start_beat: f64,
    /// Beats the note lasts, its release included (as in scores and
    /// timelines): it is released its envelope's release time before the
    /// end, but never before its attack has ended.
    pub length_beats: f64,
    /// The note.
    pub note: Note,
}

/// Notes laid out in beats: a bar, a riff, a chord progression. Built once,
/// played any number of times at any tempo and beat with
/// [`Controller::play_phrase`](crate::Controller::play_phrase), which
/// queues every start and release ahead of time.
///
/// ```
/// use polyphonica::{AdsrEnvelope, Note, Phrase, Waveform};
///
/// let env = AdsrEnvelope::default();
/// let mut phrase = Phrase::new()
///     .note(0.0, 1.0, Note::new(Waveform::Sine, 220.0, env))
///     .note(1.0, 2.0, Note::new(Waveform::Sine, 277.18, env));
/// phrase.push(3.0, 0.5, Note::new(Waveform::Sine, 329.63, env));
/// assert_eq!(phrase.len(), 3);
/// assert_eq!(phrase.length_beats(), 3.5);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Phrase {
    notes: Vec<PhraseNote>,
}

impl Phrase {
    /// An empty phrase.
    ///
    /// ```
    /// use polyphonica::Phrase;
    /// assert!(Phrase::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Phrase::default()
    }

    /// The phrase with one more note, starting `start_beat` beats in and
    /// held `length_beats` beats.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, Note, Phrase, Waveform};
    /// let phrase = Phrase::new().note(0.5, 1.0, Note::new(Waveform::Square, 110.0, AdsrEnvelope::default()));
    /// assert_eq!(phrase.notes()[0].start_beat, 0.5);
    /// ```
    pub fn note(mut self, start_beat: f64, length_beats: f64, note: Note) -> Self {
        self.push(start_beat, length_beats, note);
        self
    }

    /// Adds a note, starting `start_beat` beats in and held `length_beats`
    /// beats.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, Note, Phrase, Waveform};
    /// let mut phrase = Phrase::new();
    /// phrase.push(0.0, 4.0, Note::new(Waveform::Sine, 55.0, AdsrEnvelope::default()));
    /// assert_eq!(phrase.len(), 1);
    /// ```
    pub fn push(&mut self, start_beat: f64, length_beats: f64, note: Note) {
        self.notes.push(PhraseNote {
            start_beat,
            length_beats,
            note,
        });
    }

    /// The notes, in the order added.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, Note, Phrase, Waveform};
    /// let phrase = Phrase::new().note(0.0, 1.0, Note::new(Waveform::Sine, 440.0, AdsrEnvelope::default()));
    /// assert_eq!(phrase.notes()[0].note.frequency_hz, 440.0);
    /// ```
    pub fn notes(&self) -> &[PhraseNote] {
        &self.notes
    }

    /// How many notes.
    ///
    /// ```
    /// use polyphonica::Phrase;
    /// assert_eq!(Phrase::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.notes.len()
    }

    /// Whether the phrase has no notes.
    ///
    /// ```
    /// use polyphonica::Phrase;
    /// assert!(Phrase::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }

    /// The beat at which the last release starts (0 for an empty phrase).
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, Note, Phrase, Waveform};
    /// let n = Note::new(Waveform::Sine, 440.0, AdsrEnvelope::default());
    /// let phrase = Phrase::new().note(0.0, 8.0, n.clone()).note(2.0, 1.0, n);
    /// assert_eq!(phrase.length_beats(), 8.0);
    /// ```
    pub fn length_beats(&self) -> f64 {
        self.notes
            .iter()
            .map(|n| n.start_beat + n.length_beats)
            .fold(0.0, f64::max)
    }
}
