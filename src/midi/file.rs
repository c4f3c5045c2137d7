//! Standard MIDI files: parsed with midly, timed with their tempo map, and
//! rendered by the engine at exact frames.

use std::fmt;
use std::path::Path;

use midly::{MetaMessage, Smf, Timing, TrackEventKind};

use super::message::MidiMessage;
use super::synth::MidiSynth;
use crate::engine::{EventSource, Output};
use crate::limits::{read_capped, FileKind, InputLimits};
use crate::render::{check_in_memory, RenderError, WavFormat, WavSink};
use crate::RealtimeEngine;

/// Frames per block while the releases after the song play out.
const MAX_BLOCK_FRAMES: usize = 256;

/// Why a MIDI file could not be read or rendered.
#[derive(Debug)]
#[non_exhaustive]
pub enum MidiError {
    /// The file could not be read or the output not written.
    Io(std::io::Error),
    /// The bytes are not a Standard MIDI File; the text says what is wrong.
    Parse(String),
    /// A render setting is out of range; the text names it.
    InvalidParameter(String),
    /// The output could not be made: longer than its destination holds
    /// (memory, a WAV file), or the WAV file could not be written.
    Output(RenderError),
}

impl fmt::Display for MidiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MidiError::Io(e) => write!(f, "file error: {e}"),
            MidiError::Parse(why) => write!(f, "not a valid MIDI file: {why}"),
            MidiError::InvalidParameter(why) => write!(f, "invalid setting: {why}"),
            MidiError::Output(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for MidiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MidiError::Io(e) => Some(e),
            MidiError::Output(e) => Some(e),
            _ => None,
        }
    }
}

impl From<RenderError> for MidiError {
    fn from(e: RenderError) -> Self {
        MidiError::Output(e)
    }
}

impl From<std::io::Error> for MidiError {
    fn from(e: std::io::Error) -> Self {
        MidiError::Io(e)
    }
}

/// A channel message at a time in seconds from the start of the song.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimedMessage {
    /// Seconds from the start.
    pub time_secs: f64,
    /// The message.
    pub message: MidiMessage,
}

/// A Standard MIDI File (format 0, 1 or 2) as a list of timed channel
/// messages: every track merged in time order, ticks converted to seconds
/// through the file's tempo changes (format 2 plays its tracks one after
/// another).
///
/// ```
/// use polyphonica::midi::MidiFile;
///
/// // Format 0, 96 ticks per beat, default tempo (120 bpm): A4 for one beat.
/// let bytes = [
///     b'M', b'T', b'h', b'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
///     b'M', b'T', b'r', b'k', 0, 0, 0, 12,
///     0x00, 0x90, 69, 100, // note on at tick 0
///     0x60, 0x80, 69, 0,   // note off at tick 96
///     0x00, 0xFF, 0x2F, 0x00,
/// ];
/// let song = MidiFile::parse(&bytes)?;
/// assert_eq!(song.events().len(), 2);
/// assert_eq!(song.duration_secs(), 0.5);
/// let audio = song.render_to_vec(48_000)?;
/// assert!(audio.len() >= 2 * 24_000); // stereo, the song plus its release
/// # Ok::<(), polyphonica::midi::MidiError>(())
/// ```
#[derive(Clone, Debug)]
pub struct MidiFile {
    events: Vec<TimedMessage>,
    duration_secs: f64,
    tracks: usize,
}

/// How long rendering goes on after the last event, waiting for releases
/// to end, at most.
pub const MAX_TAIL_SECS: f64 = 30.0;

impl MidiFile {
    /// Reads and parses a `.mid` file. Only regular files are read (a
    /// device, FIFO or directory is refused unopened), the first four bytes
    /// must be a MIDI (`MThd`) or RIFF (`RMID`) header before the rest is
    /// read, and a file larger than [`InputLimits::midi_bytes`] (256 MiB by
    /// default) is refused unread.
    ///
    /// # Errors
    /// [`MidiError::Io`] if the file cannot be read, is not a regular file
    /// or is over the limit; [`MidiError::Parse`] if it is not a Standard
    /// MIDI File.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, MidiError> {
        Self::from_file_with_limits(path, &InputLimits::default())
    }

    /// [`from_file`](Self::from_file) with a size limit of your own
    /// ([`InputLimits::midi_bytes`]).
    ///
    /// # Errors
    /// As [`from_file`](Self::from_file).
    ///
    /// ```
    /// use polyphonica::{midi::MidiFile};
    /// use polyphonica::limits::InputLimits;
    /// let err = MidiFile::from_file_with_limits("/dev/zero", &InputLimits::default()).unwrap_err();
    /// assert!(err.to_string().contains("not a regular file"), "{err}");
    /// ```
    pub fn from_file_with_limits(
        path: impl AsRef<Path>,
        limits: &InputLimits,
    ) -> Result<Self, MidiError> {
        let bytes = read_capped(
            path.as_ref(),
            FileKind::Midi,
            limits.midi_bytes,
            4,
            |header| {
                if header == b"MThd" || header == b"RIFF" {
                    Ok(())
                } else {
                    Err(MidiError::Parse(
                        "the file does not start with a MIDI header (MThd or RIFF)".into(),
                    ))
                }
            },
        )?;
        Self::parse(&bytes)
    }

    /// Parses the bytes of a Standard MIDI File.
    ///
    /// # Errors
    /// [`MidiError::Parse`] when the bytes are not a valid file.
    pub fn parse(bytes: &[u8]) -> Result<Self, MidiError> {
        reject_smpte_minus_128(bytes)?;
        let smf = Smf::parse(bytes).map_err(|e| MidiError::Parse(e.to_string()))?;
        let sequential = smf.header.format == midly::Format::Sequential;
        // Every event with its absolute tick; ties keep track order, then
        // file order (a stable sort).
        let mut all: Vec<(u64, TrackEventKind<'_>)> = Vec::new();
        let mut offset = 0u64;
        for track in &smf.tracks {
            let mut tick = offset;
            for event in track {
                tick += u64::from(event.delta.as_int());
                all.push((tick, event.kind));
            }
            if sequential {
                offset = tick;
            }
        }
        all.sort_by_key(|(tick, _)| *tick);

        let mut events = Vec::new();
        let mut secs = 0.0f64;
        let mut last_tick = 0u64;
        let mut micros_per_beat = 500_000.0f64;
        let secs_per_tick = |micros_per_beat: f64| match smf.header.timing {
            Timing::Metrical(per_beat) => {
                micros_per_beat / 1e6 / f64::from(per_beat.as_int().max(1))
            }
            Timing::Timecode(fps, sub) => 1.0 / (f64::from(fps.as_f32()) * f64::from(sub.max(1))),
        };
        for (tick, kind) in all {
            secs += (tick - last_tick) as f64 * secs_per_tick(micros_per_beat);
            last_tick = tick;
            match kind {
                TrackEventKind::Meta(MetaMessage::Tempo(t)) => {
                    micros_per_beat = f64::from(t.as_int().max(1))
                }
                TrackEventKind::Midi { channel, message } => {
                    if let Some(message) = MidiMessage::from_midly(channel.as_int(), message) {
                        events.push(TimedMessage {
                            time_secs: secs,
                            message,
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(MidiFile {
            events,
            duration_secs: secs,
            tracks: smf.tracks.len(),
        })
    }

    /// The channel messages in time order.
    pub fn events(&self) -> &[TimedMessage] {
        &self.events
    }

    /// Seconds from the start to the last event of any track (end-of-track
    /// markers included).
    pub fn duration_secs(&self) -> f64 {
        self.duration_secs
    }

    /// Number of tracks in the file.
    pub fn tracks(&self) -> usize {
        self.tracks
    }

    /// Frames from the start to the song's last event at `sample_rate`:
    /// what a render holds at least (the releases after it add up to
    /// [`MAX_TAIL_SECS`]).
    ///
    /// ```
    /// # let bytes = [b'M', b'T', b'h', b'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
    /// #     b'M', b'T', b'r', b'k', 0, 0, 0, 12, 0x00, 0x90, 69, 100, 0x60, 0x80, 69, 0, 0x00, 0xFF, 0x2F, 0x00];
    /// let song = polyphonica::midi::MidiFile::parse(&bytes)?; // one beat at 120 bpm
    /// assert_eq!(song.song_frames(48_000), 24_000);
    /// # Ok::<(), polyphonica::midi::MidiError>(())
    /// ```
    pub fn song_frames(&self, sample_rate: u32) -> u64 {
        (self.duration_secs * f64::from(sample_rate.max(1))).round() as u64
    }

    /// Renders the song as interleaved stereo at `sample_rate`, block by
    /// block: `on_block` receives each block as it is made, so memory stays
    /// flat however long the song. Every message applies at frame
    /// `round(time_secs × sample_rate)`. Rendering goes on after the song
    /// until every note has finished its release (at most
    /// [`MAX_TAIL_SECS`]). Uses a 64-voice engine and a default
    /// [`MidiSynth`]; returns the frames rendered.
    ///
    /// # Errors
    /// [`MidiError::InvalidParameter`] for a sample rate of 0; errors from
    /// `on_block` are passed on.
    pub fn render<E>(
        &self,
        sample_rate: u32,
        on_block: impl FnMut(&[f32]) -> Result<(), E>,
    ) -> Result<u64, E>
    where
        E: From<MidiError>,
    {
        self.render_with(MidiSynth::new(), sample_rate, on_block)
    }

    /// [`render`](Self::render) through `synth`: say one that plays a
    /// SoundFont ([`MidiSynth::with_soundfont`]; the engine then has 128
    /// voices, since a SoundFont note often plays two).
    ///
    /// # Errors
    /// As [`render`](Self::render).
    pub fn render_with<E>(
        &self,
        synth: MidiSynth,
        sample_rate: u32,
        mut on_block: impl FnMut(&[f32]) -> Result<(), E>,
    ) -> Result<u64, E>
    where
        E: From<MidiError>,
    {
        if sample_rate == 0 {
            return Err(
                MidiError::InvalidParameter("the sample rate must be above 0 Hz".into()).into(),
            );
        }
        const BLOCK_FRAMES: usize = 256;
        let mut player = self.player_with(synth, sample_rate);
        let mut buffer = [0.0f32; BLOCK_FRAMES * 2];
        loop {
            let n = player.render_stereo(&mut buffer);
            if n == 0 {
                return Ok(player.frames_rendered());
            }
            on_block(&buffer[..n * 2])?;
        }
    }

    /// A player of this song at `sample_rate` (at least 1): a pull-based
    /// renderer for an audio callback or a streaming writer.
    pub fn player(&self, sample_rate: u32) -> MidiFilePlayer {
        self.player_with(MidiSynth::new(), sample_rate)
    }

    /// A player of this song through `synth` (see
    /// [`render_with`](Self::render_with)).
    pub fn player_with(&self, synth: MidiSynth, sample_rate: u32) -> MidiFilePlayer {
        MidiFilePlayer::new(self.clone(), synth, sample_rate.max(1))
    }

    /// Renders the whole song into memory (interleaved stereo); see
    /// [`render`](Self::render).
    ///
    /// # Errors
    /// As [`render`](Self::render); [`MidiError::Output`] with
    /// [`RenderError::TooLong`] before anything is rendered if the song is
    /// longer than an in-memory render holds
    /// ([`MAX_IN_MEMORY_SAMPLES`](crate::render::MAX_IN_MEMORY_SAMPLES), the cap every
    /// in-memory render obeys; stream a long song with
    /// [`render`](Self::render) instead).
    pub fn render_to_vec(&self, sample_rate: u32) -> Result<Vec<f32>, MidiError> {
        check_in_memory(self.song_frames(sample_rate), 2, sample_rate)?;
        let mut out = Vec::new();
        self.render(sample_rate, |block| {
            check_in_memory((out.len() + block.len()) as u64 / 2, 2, sample_rate)?;
            out.extend_from_slice(block);
            Ok::<(), MidiError>(())
        })?;
        Ok(out)
    }

    /// Renders the song to a 16-bit stereo WAV file through a
    /// [`WavSink`], streaming block by block. Returns the frames written.
    ///
    /// # Errors
    /// [`MidiError::Output`] when the file cannot be written, or before it
    /// is created when the song is longer than a WAV file holds (the
    /// sink's 4 GiB check, naming the song's length).
    pub fn write_wav(&self, path: impl AsRef<Path>, sample_rate: u32) -> Result<u64, MidiError> {
        let format = WavFormat::stereo_16(sample_rate.max(1));
        format.check_length(self.song_frames(sample_rate))?;
        let mut sink = WavSink::create(path, format)?;
        let frames = self.render(sample_rate, |block| {
            sink.write(block)?;
            Ok::<(), MidiError>(())
        })?;
        sink.finalize()?;
        Ok(frames)
    }
}

/// Rejects a header whose SMPTE frame rate byte is -128: `midly` 0.5
/// negates that byte as an `i8`, which overflows (a panic in builds with
/// overflow checks). No frame rate is -128, so the file is invalid anyway.
/// Found by the fuzz test in `tests/midi.rs`.
fn reject_smpte_minus_128(bytes: &[u8]) -> Result<(), MidiError> {
    let Some(header) = bytes.windows(4).position(|w| w == b"MThd") else {
        return Ok(()); // midly reports the missing header
    };
    if bytes.get(header + 12) == Some(&0x80) {
        return Err(MidiError::Parse(
            "invalid midi: invalid SMPTE frame rate (-128) in the header".into(),
        ));
    }
    Ok(())
}

/// A MIDI file playing on its own engine, rendered a buffer at a time: every
/// message applies at frame `round(time_secs × sample_rate)`; after the song
/// the held notes are released and rendering goes on until their releases
/// end (at most [`MAX_TAIL_SECS`]). Rendering allocates nothing, so it can
/// run in an audio callback (with the `playback` feature it is a
/// [`RenderStereo`](crate::engine::RenderStereo)).
///
/// ```
/// use polyphonica::midi::MidiFile;
/// let bytes = [
///     b'M', b'T', b'h', b'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
///     b'M', b'T', b'r', b'k', 0, 0, 0, 12,
///     0x00, 0x90, 69, 100, 0x60, 0x80, 69, 0, 0x00, 0xFF, 0x2F, 0x00,
/// ];
/// let mut player = MidiFile::parse(&bytes)?.player(48_000);
/// let mut block = [0.0f32; 512];
/// let mut frames = 0;
/// while player.render_stereo(&mut block) > 0 {
///     frames += 1;
/// }
/// assert!(player.is_finished() && player.frames_rendered() >= 24_000);
/// # Ok::<(), polyphonica::midi::MidiError>(())
/// ```
#[derive(Debug)]
pub struct MidiFilePlayer {
    engine: RealtimeEngine,
    song: Song,
    frame: u64,
    song_end: u64,
    tail_end: Option<u64>,
    finished: bool,
}

/// A song's messages as the block runner's event source, played through a
/// [`MidiSynth`].
#[derive(Debug)]
struct Song {
    file: MidiFile,
    synth: MidiSynth,
    sample_rate: f64,
    next: usize,
}

impl Song {
    fn frame_of(&self, message: &TimedMessage) -> u64 {
        (message.time_secs * self.sample_rate).round() as u64
    }
}

impl EventSource for Song {
    fn next_frame(&mut self) -> Option<u64> {
        self.file.events.get(self.next).map(|m| self.frame_of(m))
    }

    fn apply_due(&mut self, frame: u64, engine: &mut RealtimeEngine) {
        while let Some(message) = self.file.events.get(self.next) {
            if self.frame_of(message) > frame {
                break;
            }
            // The direct engine refuses nothing the synth sends.
            let played = self.synth.handle(engine, message.message);
            debug_assert!(played.is_ok());
            self.next += 1;
        }
    }
}

impl MidiFilePlayer {
    fn new(song: MidiFile, synth: MidiSynth, sample_rate: u32) -> Self {
        let rate = f64::from(sample_rate);
        let voices = if synth.soundfont().is_some() { 128 } else { 64 };
        MidiFilePlayer {
            song_end: (song.duration_secs * rate).round() as u64,
            engine: RealtimeEngine::with_voices(rate as f32, voices),
            song: Song {
                file: song,
                synth,
                sample_rate: rate,
                next: 0,
            },
            frame: 0,
            tail_end: None,
            finished: false,
        }
    }

    /// Frames rendered so far.
    pub fn frames_rendered(&self) -> u64 {
        self.frame
    }

    /// How many voices are sounding now (a SoundFont note plays one per
    /// zone).
    ///
    /// ```
    /// use polyphonica::midi::MidiFile;
    /// let song = MidiFile::parse(&[
    ///     b'M', b'T', b'h', b'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
    ///     b'M', b'T', b'r', b'k', 0, 0, 0, 12,
    ///     0, 0x90, 60, 100, 96, 0x80, 60, 0, 0, 0xFF, 0x2F, 0,
    /// ]).unwrap();
    /// let mut player = song.player(48_000);
    /// let mut block = [0.0f32; 512];
    /// player.render_stereo(&mut block);
    /// assert_eq!(player.active_voice_count(), 1);
    /// ```
    pub fn active_voice_count(&self) -> usize {
        self.engine.get_active_voice_count()
    }

    /// Whether the song and its releases are over.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Renders the next interleaved stereo frames into `out` and returns how
    /// many were written: fewer than `out.len() / 2` at the end (the rest is
    /// silence), 0 once the song is over.
    pub fn render_stereo(&mut self, out: &mut [f32]) -> usize {
        let wanted = out.len() / 2;
        let mut done = 0;
        while done < wanted && !self.finished {
            let limit = if self.frame < self.song_end {
                // The runner splits the song at its messages' frames.
                self.song_end
            } else {
                // Messages at the song's last frame come before the tail.
                self.song.apply_due(self.frame, &mut self.engine);
                let tail_end = *self.tail_end.get_or_insert_with(|| {
                    self.engine.release_all_notes();
                    self.frame + (MAX_TAIL_SECS * self.song.sample_rate) as u64
                });
                let silent =
                    self.engine.get_active_voice_count() == 0 && !self.engine.effects_ringing();
                if silent || self.frame >= tail_end {
                    self.finished = true;
                    break;
                }
                // A block at a time, to stop as soon as the releases end.
                tail_end.min(self.frame + MAX_BLOCK_FRAMES as u64)
            };
            let n = ((limit - self.frame) as usize).min(wanted - done);
            let piece = Output::Interleaved(&mut out[done * 2..(done + n) * 2]);
            self.engine.process_from(&mut self.song, self.frame, piece);
            done += n;
            self.frame += n as u64;
        }
        out[done * 2..].fill(0.0);
        done
    }
}

impl crate::engine::RenderStereo for MidiFilePlayer {
    fn render_stereo(&mut self, output: &mut [f32]) {
        MidiFilePlayer::render_stereo(self, output);
    }
}
