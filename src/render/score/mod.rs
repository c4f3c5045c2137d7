//! Scores: timelines written by hand in TOML (feature `score`).
//!
//! The format, by example:
//!
//! ```toml
//! tempo = 120          # beats per minute, for times written in beats
//! beats = 8            # length of the piece (or `duration` in seconds);
//!                      # by default the end of the last note
//!
//! [samples]            # WAV files, relative to the score's folder
//! kick = "kick.wav"    # or { file = "kick.wav", base = "C4" }: the pitch at which it plays as recorded (A4 by default)
//!
//! [instruments.bass]   # settings notes can share
//! waveform = "saw"     # sine, square, saw, triangle, noise, pulse, { pulse = 0.25 }, { sample = "kick" }
//! amplitude = 0.5      # 0 to 1
//! pan = -0.2           # -1 (left) to 1 (right)
//! envelope = { attack = 0.005, decay = 0.15, sustain = 0.6, release = 0.1 }
//!
//! [effects]           # the reverb, chorus and delay the sends feed (defaults shown)
//! reverb = { decay = 2.0, predelay = 0.02, damping = 0.5, size = 0.8 }   # decay: RT60 in seconds
//! chorus = { rate = 0.8, depth = 0.5, voices = 3 }                      # Hz, 0 to 1, 1 to 4
//! delay  = { time = 0.375, feedback = 0.4, ping_pong = false }          # or beats = 0.75 instead of time
//!
//! [instruments.lead]
//! waveform = "saw"
//! reverb = 0.3         # sends, 0 to 1 (none by default); notes can set them too
//! delay = 0.1
//! chorus = 0.2
//!
//! [[note]]
//! beat = 0             # start: `beat`, or `time` in seconds
//! beats = 1            # length, release included: `beats`, or `duration` in seconds
//! pitch = "C2"         # a note name (C4 = 261.63 Hz, F#3, Bb2) or Hz (110)
//! instrument = "bass"  # any field here overrides the instrument's
//!
//! [[note]]
//! time = 1.0
//! duration = 2.0
//! pitch = 220
//! sweep_to = "A4"      # a linear sweep over the note
//! waveform = "sine"
//!
//! [[note]]
//! beat = 4
//! waveform = { sample = "kick" }   # a sample note lasts as long as its sample unless given a length
//!
//! # An instrument with any of the keys below is a patch (see `polyphonica::patch`).
//! [instruments.synth]
//! waveform = "saw"     # or two sources with levels and detunes (cents):
//! # sources = [{ waveform = "saw", detune = -7 }, { waveform = "square", level = 0.5 }]
//! unison = { voices = 4, detune = 12, spread = 0.8 }      # 1 to 8 copies over `detune` cents, spread 0 to 1
//! envelope = { delay = 0.0, attack = 0.01, hold = 0.0, decay = 0.2, sustain = 0.7, release = 0.3 }
//! filter = { mode = "lowpass", cutoff = 1200, resonance = 0.3 }   # highpass, bandpass, notch, or "ladder" (+ drive = 0 to 1)
//! mod_envelope = { attack = 0.0, decay = 0.4, sustain = 0.0, release = 0.2 }
//! lfo1 = { shape = "sine", rate = 5.5, delay = 0.2, fade = 0.3 }  # sine, triangle, square, saw, sample_and_hold
//! lfo2 = { shape = "triangle", beats = 2, free_running = true }    # `beats` per cycle at the tempo
//! modulation = [       # up to 16 slots: source × amount → target
//!   { source = "mod_envelope", target = "cutoff", amount = 3.0 },  # cutoff in octaves
//!   { source = "lfo1", target = "pitch", amount = 0.3 },           # pitch in semitones
//!   { source = "lfo1", target = "pitch", amount = 0.5, scale = "mod_wheel" },  # × a second source
//!   { source = "cc74", target = "cutoff", amount = 2.0, curve = "concave" },   # through a curve
//!   { source = "pitch_bend", target = "cutoff", amount = 1.0, absolute = true }, # up either way
//!   # scale_curve = "...": the scale through a curve
//!   { source = "mod_wheel", target = "link0", amount = 1.0, scale = "cc2" },  # into a link
//!   { source = "link0", target = "pitch", amount = 0.5, scale = "lfo1" },     # read after it
//! ]
//! # sources: velocity, key, mod_envelope, lfo1, lfo2, mod_wheel, pressure, poly_pressure, pitch_bend, cc<N>, random,
//! #   constant (always 1), link0 … link3 (what the slots before feed the link)
//! # curves: linear, concave, convex, switch, after "falling" and "bipolar" if they apply
//! #   ("falling bipolar convex"): the SoundFont standard's, over the source's range (ModCurve)
//! # targets: pitch, cutoff, resonance, amplitude, level_db, pan, pulse_width, lfo1_rate, lfo2_rate, reverb_send, chorus_send, delay_send,
//! #   link0 … link3
//! velocity = 1.0       # the notes' default velocity (a note can set its own)
//! ```
//!
//! When a note sends to an effect, the piece's default length includes the
//! effect's tail (the reverb's decay, the delay's echoes down to −60 dB).
//! A note without a waveform plays a sine; without an envelope it uses
//! [`AdsrEnvelope::default`] (a sample note plays as recorded: no attack,
//! no release). A note's `velocity` (0 to 1, default 1) scales a plain
//! note's amplitude; a patch's note scales its gain by it unless the
//! patch says otherwise, and its matrix can route it anywhere. A mistake is
//! reported with its file, line and column and what was expected.

mod parse;
mod patch;
mod raw;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::fx::EffectSettings;

use super::timeline::{TimelineEvent, TimelineRenderer};
use super::RenderError;
use crate::limits::InputLimits;
use crate::limits::{read_capped, FileKind};
use crate::Waveform;

/// A mistake in a score, or a file it names that could not be read.
///
/// Its message starts with where the mistake is (`file:line:column`) and
/// says what was expected.
///
/// ```
/// use polyphonica::render::Score;
/// use std::path::Path;
///
/// let text = "[[note]]\ntime = 0\nduration = 1\npitch = \"H4\"\n";
/// let err = Score::from_toml(text, "song.toml", Path::new(".")).unwrap_err();
/// assert_eq!((err.line(), err.column()), (Some(4), Some(9)));
/// assert!(err.to_string().starts_with("song.toml:4:9: \"H4\" is not a pitch"));
/// ```
#[derive(Debug)]
pub struct ScoreError {
    file: String,
    position: Option<(usize, usize)>,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl ScoreError {
    fn at(file: &str, text: &str, offset: Option<usize>, message: impl Into<String>) -> Self {
        ScoreError {
            file: file.to_string(),
            position: offset.map(|o| line_column(text, o)),
            message: message.into(),
            source: None,
        }
    }

    /// The line of the mistake (from 1), if it has one.
    pub fn line(&self) -> Option<usize> {
        self.position.map(|p| p.0)
    }

    /// The column of the mistake (from 1, in characters), if it has one.
    pub fn column(&self) -> Option<usize> {
        self.position.map(|p| p.1)
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ScoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ScoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// A timeline read from a score: events at times, and the piece's length.
///
/// ```
/// use polyphonica::render::Score;
/// use std::path::Path;
///
/// let score = Score::from_toml(r#"
///     tempo = 120
///     [[note]]
///     beat = 1
///     beats = 2
///     pitch = "A4"
///     waveform = "triangle"
/// "#, "inline", Path::new("."))?;
/// assert_eq!(score.events().len(), 1);
/// assert_eq!(score.events()[0].start_secs, 0.5);
/// assert_eq!(score.events()[0].event.duration_secs, 1.0);
/// assert_eq!(score.duration_secs(), 1.5);
///
/// let mut renderer = score.renderer(44_100)?;
/// let mut block = vec![0.0; 1024];
/// while renderer.render_mono(&mut block) > 0 {}
/// # Ok::<(), polyphonica::render::ScoreError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Score {
    name: String,
    events: Vec<TimelineEvent>,
    /// Line and column of each event's note, for messages.
    positions: Vec<(usize, usize)>,
    duration_secs: f32,
    /// The sample files the score read, each once.
    files: Vec<PathBuf>,
    /// The `[effects]` settings.
    effects: EffectSettings,
}

impl Score {
    /// Reads the score at `path`; sample files are found relative to its
    /// folder.
    ///
    /// ```
    /// let score = polyphonica::render::Score::from_file("examples/scores/demo.toml")?;
    /// assert!(score.duration_secs() > 1.0);
    /// # Ok::<(), polyphonica::render::ScoreError>(())
    /// ```
    ///
    /// Only regular files are read (a device, FIFO or directory is refused
    /// unopened), within [`InputLimits::score_bytes`] for the score (16 MiB
    /// by default) and [`InputLimits::wav_bytes`] for each sample file (see
    /// [`from_file_with_limits`](Self::from_file_with_limits)). Each sample
    /// file is decoded once, however many names the score gives it.
    ///
    /// # Errors
    /// A [`ScoreError`] naming the file (and the line and column, for a
    /// mistake in the score).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Score, ScoreError> {
        Score::from_file_with_limits(path, &InputLimits::default())
    }

    /// [`from_file`](Self::from_file) with size limits of your own.
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    ///
    /// ```
    /// use polyphonica::limits::InputLimits;
    /// use polyphonica::render::Score;
    /// let tiny = InputLimits { score_bytes: 10, ..InputLimits::default() };
    /// let err = Score::from_file_with_limits("examples/scores/demo.toml", &tiny).unwrap_err();
    /// assert!(err.to_string().contains("larger than the 10 bytes allowed for a score"), "{err}");
    /// ```
    pub fn from_file_with_limits(
        path: impl AsRef<Path>,
        limits: &InputLimits,
    ) -> Result<Score, ScoreError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let unreadable = |e: std::io::Error| ScoreError {
            file: name.clone(),
            position: None,
            message: format!("could not read the score: {e}"),
            source: Some(Box::new(e)),
        };
        let bytes = read_capped(path, FileKind::Score, limits.score_bytes, 0, |_| Ok(()))
            .map_err(unreadable)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            unreadable(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "it is not UTF-8 text (an invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
            ))
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        parse::parse(&text, &name, dir, limits)
    }

    /// Reads a score from TOML `text`; `name` names it in messages and
    /// sample files are found relative to `base_dir` (and read within the
    /// default [`InputLimits`]).
    pub fn from_toml(text: &str, name: &str, base_dir: &Path) -> Result<Score, ScoreError> {
        parse::parse(text, name, base_dir, &InputLimits::default())
    }

    /// The score's `[effects]` settings (the defaults where it sets none).
    pub fn effects(&self) -> EffectSettings {
        self.effects
    }

    /// The sample files the score read (canonical paths, each once, in
    /// order), for a tool that must not overwrite its inputs.
    ///
    /// ```
    /// let score = polyphonica::render::Score::from_file("examples/scores/demo.toml")?;
    /// assert!(score.sample_files().iter().all(|f| f.is_absolute()));
    /// # Ok::<(), polyphonica::render::ScoreError>(())
    /// ```
    pub fn sample_files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The events, in the order the score lists them.
    pub fn events(&self) -> &[TimelineEvent] {
        &self.events
    }

    /// The length of the piece in seconds.
    pub fn duration_secs(&self) -> f32 {
        self.duration_secs
    }

    /// A renderer of the score at `sample_rate`. A pitch too high for the
    /// rate (above half of it) is reported at its note.
    pub fn renderer(&self, sample_rate: u32) -> Result<TimelineRenderer, ScoreError> {
        let plain = |e: RenderError| ScoreError {
            file: self.name.clone(),
            position: None,
            message: e.to_string(),
            source: Some(Box::new(e)),
        };
        super::check::check_sample_rate(sample_rate).map_err(plain)?;
        let nyquist = sample_rate as f32 / 2.0;
        for (e, &position) in self.events.iter().zip(&self.positions) {
            let sample = matches!(e.event.waveform, Waveform::Sample(_));
            let highest = e.event.start_frequency.max(e.event.end_frequency);
            if highest > nyquist {
                let what = if sample {
                    "the sample's playback pitch"
                } else {
                    "the pitch"
                };
                return Err(ScoreError {
                    file: self.name.clone(),
                    position: Some(position),
                    message: format!(
                        "{what} {highest} Hz is above {nyquist} Hz, the highest a sample rate of {sample_rate} Hz can play"
                    ),
                    source: None,
                });
            }
        }
        let mut renderer =
            TimelineRenderer::new(&self.events, self.duration_secs, sample_rate).map_err(plain)?;
        renderer.set_effects(self.effects);
        Ok(renderer)
    }
}
