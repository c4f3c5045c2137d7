//! `SampleData`: decoded audio shared between voices by reference count.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::interpolation::prepare;
use super::wav::{
    check_riff_header, decode_wav, decode_wav_bytes, DecodedAudio, RIFF_HEADER_BYTES,
};
use super::{Interpolation, SampleError};
use crate::limits::{read_capped, FileKind, InputLimits};

/// The frames of a sample, never copied once built.
pub(crate) struct SampleAudio {
    /// Left (or only) channel.
    pub(crate) left: Vec<f32>,
    /// Right channel of a stereo sample.
    pub(crate) right: Option<Vec<f32>>,
    /// A mono sample of 16-bit frames inside data shared with others (a
    /// SoundFont's): the data and the range of it this sample plays. `left`
    /// is then empty.
    pub(crate) pcm16: Option<(Arc<[i16]>, std::ops::Range<usize>)>,
    /// Frames per second the audio was recorded at.
    pub(crate) sample_rate: u32,
}

impl SampleAudio {
    /// Frames in the sample.
    pub(crate) fn frames(&self) -> usize {
        match &self.pcm16 {
            Some((_, range)) => range.len(),
            None => self.left.len(),
        }
    }
}

/// A recorded sound a voice can play at any pitch (`Waveform::Sample`).
///
/// The audio is decoded once and shared: cloning a `SampleData` copies a
/// reference, not the frames, so any number of voices can play one sample.
/// A note at the base frequency (440 Hz unless set with
/// [`with_base_frequency`](Self::with_base_frequency)) plays the recording at
/// its own pitch; at twice that frequency, an octave up; whatever the engine's
/// sample rate.
///
/// A voice's place in its sample is kept in 32.32 fixed point: pitch is
/// exact to 2⁻³² frames per frame, and a sample plays up to its 2³²nd frame
/// (27 hours at 44.1 kHz), where it ends.
///
/// ```
/// use polyphonica::SampleData;
///
/// // One second of a 220 Hz tone at 22.05 kHz, played back as "A3".
/// let frames: Vec<f32> = (0..22_050)
///     .map(|n| (std::f32::consts::TAU * 220.0 * n as f32 / 22_050.0).sin() * 0.5)
///     .collect();
/// let sample = SampleData::from_mono(frames, 22_050)?.with_base_frequency(220.0)?;
/// assert_eq!(sample.frames(), 22_050);
/// assert_eq!(sample.channels(), 1);
/// assert_eq!(sample.base_frequency_hz(), 220.0);
/// # Ok::<(), polyphonica::SampleError>(())
/// ```
#[derive(Clone)]
pub struct SampleData {
    pub(crate) audio: Arc<SampleAudio>,
    base_frequency_hz: f32,
    loop_frames: Option<(usize, usize)>,
    loop_in_release: bool,
    interpolation: Interpolation,
}

impl SampleData {
    /// The base frequency a new sample gets: a note at 440 Hz plays it at its
    /// recorded pitch.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// assert_eq!(SampleData::DEFAULT_BASE_FREQUENCY_HZ, 440.0);
    /// ```
    pub const DEFAULT_BASE_FREQUENCY_HZ: f32 = 440.0;

    /// Loads a WAV file: 8-bit unsigned, 16, 24 or 32-bit integer, or 32-bit
    /// float samples (plain or `WAVE_FORMAT_EXTENSIBLE` headers), mono or
    /// stereo, at any rate.
    ///
    /// - Files with more than two channels keep the first two (front left
    ///   and right in the standard layouts); the others are dropped.
    /// - Integers are scaled by 2^(bits-1): the most negative value is -1.0
    ///   and the most positive just below +1.0. Float samples are clamped to
    ///   `-1.0..=1.0`, and NaN or infinite ones become 0.0.
    /// - 24-bit samples in 4-byte containers are read left- or
    ///   right-justified as the data shows (see the `wav` module).
    /// - Strict about the audio: a data chunk shorter than its header says (a
    ///   truncated file), an empty one, or one that is not a whole number of
    ///   frames is an error. Lenient about redundant fields: the RIFF length
    ///   and byte rate are not checked, chunks after the data are not read.
    ///
    /// This reads the whole file and allocates: call it away from the audio
    /// thread. Only regular files are read (a device, FIFO or directory is
    /// refused unopened), the RIFF header is checked before the rest is
    /// read, and a file larger than [`InputLimits::wav_bytes`] (1 GiB by
    /// default; see [`from_wav_file_with_limits`](Self::from_wav_file_with_limits))
    /// is refused unread.
    ///
    /// # Errors
    /// [`SampleError::Io`] when the file cannot be read, is not a regular
    /// file or is larger than the limit;
    /// [`SampleError::InvalidWav`] when it is not a well-formed WAV file
    /// (garbage, empty, truncated, missing chunks, inconsistent header);
    /// [`SampleError::Unsupported`] for WAV encodings not listed above
    /// (big-endian RIFX, RF64, 64-bit float, µ-law, A-law, ADPCM, MP3…,
    /// named in the message); [`SampleError::Empty`] for a data chunk
    /// without frames.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let sample = SampleData::from_wav_file("tests/data/kick.wav")?;
    /// assert_eq!(sample.channels(), 1);
    /// assert_eq!(sample.sample_rate(), 44_100);
    /// assert!(sample.duration_secs() < 0.25);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_wav_file(path: impl AsRef<Path>) -> Result<Self, SampleError> {
        Self::from_wav_file_with_limits(path, &InputLimits::default())
    }

    /// [`from_wav_file`](Self::from_wav_file) with a size limit of your own
    /// ([`InputLimits::wav_bytes`]).
    ///
    /// # Errors
    /// As [`from_wav_file`](Self::from_wav_file).
    pub fn from_wav_file_with_limits(
        path: impl AsRef<Path>,
        limits: &InputLimits,
    ) -> Result<Self, SampleError> {
        let bytes = read_capped(
            path.as_ref(),
            FileKind::Wav,
            limits.wav_bytes,
            RIFF_HEADER_BYTES,
            check_riff_header,
        )?;
        Self::from_decoded(decode_wav_bytes(&bytes)?)
    }

    /// Decodes a WAV stream; see [`from_wav_file`](Self::from_wav_file).
    /// The header is checked before the rest is read, and reading stops
    /// with an error past the default [`InputLimits::wav_bytes`] (an
    /// endless stream cannot exhaust memory).
    ///
    /// # Errors
    /// As [`from_wav_file`](Self::from_wav_file).
    ///
    /// ```
    /// use polyphonica::{SampleData, SampleError};
    /// let err = SampleData::from_wav_reader(&b"definitely not a wav file"[..]).unwrap_err();
    /// assert!(matches!(err, SampleError::InvalidWav(_)));
    /// ```
    pub fn from_wav_reader<R: Read>(reader: R) -> Result<Self, SampleError> {
        let decoded = decode_wav(reader, InputLimits::default().wav_bytes)?;
        Self::from_decoded(decoded)
    }

    fn from_decoded(decoded: DecodedAudio) -> Result<Self, SampleError> {
        let mut channels = decoded.channels.into_iter();
        let left = channels.next().ok_or(SampleError::Empty)?;
        let right = channels.next();
        Self::build(left, right, decoded.sample_rate)
    }

    /// Builds a mono sample from frames at `sample_rate` frames per second.
    /// Values are clamped to `-1.0..=1.0` and non-finite ones become 0.0.
    ///
    /// # Errors
    /// [`SampleError::Empty`] for no frames, [`SampleError::InvalidParameter`]
    /// for a zero rate.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// assert!(SampleData::from_mono(vec![], 48_000).is_err());
    /// assert!(SampleData::from_mono(vec![0.0; 4], 0).is_err());
    /// ```
    pub fn from_mono(frames: Vec<f32>, sample_rate: u32) -> Result<Self, SampleError> {
        Self::build(frames, None, sample_rate)
    }

    /// Builds a stereo sample from two channels of equal length.
    ///
    /// # Errors
    /// As [`from_mono`](Self::from_mono), and
    /// [`SampleError::InvalidParameter`] when the lengths differ.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let s = SampleData::from_stereo(vec![0.5; 100], vec![-0.5; 100], 44_100)?;
    /// assert_eq!(s.channels(), 2);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn from_stereo(
        left: Vec<f32>,
        right: Vec<f32>,
        sample_rate: u32,
    ) -> Result<Self, SampleError> {
        if left.len() != right.len() {
            return Err(SampleError::InvalidParameter(format!(
                "left and right channels differ in length ({} and {} frames)",
                left.len(),
                right.len()
            )));
        }
        Self::build(left, Some(right), sample_rate)
    }

    fn build(
        mut left: Vec<f32>,
        mut right: Option<Vec<f32>>,
        sample_rate: u32,
    ) -> Result<Self, SampleError> {
        if sample_rate == 0 {
            return Err(SampleError::InvalidParameter(
                "the sample rate must be above 0 Hz".into(),
            ));
        }
        if left.is_empty() {
            return Err(SampleError::Empty);
        }
        sanitize(&mut left);
        if let Some(r) = right.as_mut() {
            sanitize(r);
        }
        // Samples are built away from the audio thread: build the playback
        // tables now, so playback never has to.
        prepare();
        Ok(SampleData {
            audio: Arc::new(SampleAudio {
                left,
                right,
                pcm16: None,
                sample_rate,
            }),
            base_frequency_hz: Self::DEFAULT_BASE_FREQUENCY_HZ,
            loop_frames: None,
            loop_in_release: false,
            interpolation: Interpolation::default(),
        })
    }

    /// A mono sample that plays `range` of 16-bit frames shared with other
    /// samples (a SoundFont's data, [`SoundFont::sample_data`]), at
    /// `sample_rate` frames per second. Nothing is copied: the sample holds
    /// a reference to `data`, so any number of samples over one font cost
    /// the font's data once. A range past the data's end is cut to it.
    ///
    /// Such a sample has no `f32` frames: [`channel`](Self::channel)
    /// returns an empty slice for it (use [`frame`](Self::frame)).
    ///
    /// # Errors
    /// [`SampleError::Empty`] for an empty range,
    /// [`SampleError::InvalidParameter`] for a zero rate.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use polyphonica::SampleData;
    /// let data: Arc<[i16]> = vec![0, 16_384, -32_768, 0].into();
    /// let sample = SampleData::from_pcm16(&data, 1..3, 22_050)?;
    /// assert_eq!(sample.frames(), 2);
    /// assert_eq!(sample.frame(0, 0), 0.5);
    /// assert_eq!(sample.frame(0, 1), -1.0);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    ///
    /// [`SoundFont::sample_data`]: crate::soundfont::SoundFont::sample_data
    pub fn from_pcm16(
        data: &Arc<[i16]>,
        range: std::ops::Range<usize>,
        sample_rate: u32,
    ) -> Result<Self, SampleError> {
        if sample_rate == 0 {
            return Err(SampleError::InvalidParameter(
                "the sample rate must be above 0 Hz".into(),
            ));
        }
        let end = range.end.min(data.len());
        let range = range.start.min(end)..end;
        if range.is_empty() {
            return Err(SampleError::Empty);
        }
        prepare();
        Ok(SampleData {
            audio: Arc::new(SampleAudio {
                left: Vec::new(),
                right: None,
                pcm16: Some((Arc::clone(data), range)),
                sample_rate,
            }),
            base_frequency_hz: Self::DEFAULT_BASE_FREQUENCY_HZ,
            loop_frames: None,
            loop_in_release: false,
            interpolation: Interpolation::default(),
        })
    }

    /// Frame `index` of channel 0 (left) or 1 (right; the left one again
    /// for a mono sample), from −1 to 1; 0 past the end.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let s = SampleData::from_stereo(vec![0.5; 4], vec![-0.25; 4], 8_000)?;
    /// assert_eq!((s.frame(0, 3), s.frame(1, 3), s.frame(1, 4)), (0.5, -0.25, 0.0));
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn frame(&self, channel: usize, index: usize) -> f32 {
        match &self.audio.pcm16 {
            Some((data, range)) if index < range.len() => {
                f32::from(data[range.start + index]) / 32_768.0
            }
            Some(_) => 0.0,
            None => self.channel(channel).get(index).copied().unwrap_or(0.0),
        }
    }

    /// Sets the frequency at which the sample plays at its recorded pitch.
    ///
    /// # Errors
    /// [`SampleError::InvalidParameter`] unless `frequency_hz` is finite and
    /// above zero.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let s = SampleData::from_mono(vec![0.0; 10], 8_000)?;
    /// assert!(s.clone().with_base_frequency(f32::NAN).is_err());
    /// assert_eq!(s.with_base_frequency(261.63)?.base_frequency_hz(), 261.63);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn with_base_frequency(mut self, frequency_hz: f32) -> Result<Self, SampleError> {
        if !(frequency_hz.is_finite() && frequency_hz > 0.0) {
            return Err(SampleError::InvalidParameter(format!(
                "base frequency must be a finite number of Hz above 0, not {frequency_hz}"
            )));
        }
        self.base_frequency_hz = frequency_hz;
        Ok(self)
    }

    /// Sets loop points in frames of the file: while its note is held the
    /// voice plays `start_frame..end_frame` over and over; after release it
    /// plays on from the loop to the end of the data.
    ///
    /// # Errors
    /// [`SampleError::InvalidParameter`] unless
    /// `start_frame < end_frame <= frames()`.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let s = SampleData::from_mono(vec![0.0; 1000], 8_000)?;
    /// assert!(s.clone().with_loop(500, 2000).is_err());
    /// assert_eq!(s.with_loop(100, 900)?.loop_frames(), Some((100, 900)));
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn with_loop(mut self, start_frame: usize, end_frame: usize) -> Result<Self, SampleError> {
        if start_frame >= end_frame || end_frame > self.frames() {
            return Err(SampleError::InvalidParameter(format!(
                "loop {start_frame}..{end_frame} must satisfy start < end <= {} frames",
                self.frames()
            )));
        }
        self.loop_frames = Some((start_frame, end_frame));
        Ok(self)
    }

    /// Makes the loop go on through the release (as a SoundFont's loop
    /// mode one) instead of playing on to the end of the data once the note
    /// is released (the default, `false`, as loop mode three). No effect
    /// without a loop.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let s = SampleData::from_mono(vec![0.0; 1000], 8_000)?.with_loop(100, 900)?;
    /// assert!(!s.loops_in_release());
    /// assert!(s.with_loop_in_release(true).loops_in_release());
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn with_loop_in_release(mut self, in_release: bool) -> Self {
        self.loop_in_release = in_release;
        self
    }

    /// Whether the loop goes on through the release (see
    /// [`with_loop_in_release`](Self::with_loop_in_release)).
    pub fn loops_in_release(&self) -> bool {
        self.loop_in_release
    }

    /// Chooses how the sample is read between its frames when it plays at
    /// another pitch; see [`Interpolation`] for the cost and quality of each.
    /// The default is [`Interpolation::Sinc`]. Clones made before keep their
    /// own choice; the audio stays shared.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// use polyphonica::sample::Interpolation;
    /// let hq = SampleData::from_mono(vec![0.1; 64], 44_100)?;
    /// let cheap = hq.clone().with_interpolation(Interpolation::Cubic);
    /// assert_eq!(cheap.interpolation(), Interpolation::Cubic);
    /// assert_eq!(hq.interpolation(), Interpolation::Sinc);
    /// assert!(cheap.shares_audio_with(&hq));
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn with_interpolation(mut self, interpolation: Interpolation) -> Self {
        self.interpolation = interpolation;
        self
    }

    /// How the sample is read between its frames (see
    /// [`with_interpolation`](Self::with_interpolation)).
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// use polyphonica::sample::Interpolation;
    /// let s = SampleData::from_mono(vec![0.0; 8], 8_000)?;
    /// assert_eq!(s.interpolation(), Interpolation::Sinc);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn interpolation(&self) -> Interpolation {
        self.interpolation
    }

    /// The frequency at which the sample plays at its recorded pitch.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let s = SampleData::from_mono(vec![0.0; 8], 8_000)?;
    /// assert_eq!(s.base_frequency_hz(), SampleData::DEFAULT_BASE_FREQUENCY_HZ);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn base_frequency_hz(&self) -> f32 {
        self.base_frequency_hz
    }

    /// The loop region in frames, if one is set.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let s = SampleData::from_mono(vec![0.0; 8], 8_000)?;
    /// assert_eq!(s.loop_frames(), None);
    /// assert_eq!(s.with_loop(2, 6)?.loop_frames(), Some((2, 6)));
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn loop_frames(&self) -> Option<(usize, usize)> {
        self.loop_frames
    }

    /// Frames per second of the recording.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let s = SampleData::from_mono(vec![0.0; 8], 22_050)?;
    /// assert_eq!(s.sample_rate(), 22_050);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn sample_rate(&self) -> u32 {
        self.audio.sample_rate
    }

    /// Length in frames (a stereo frame is one left and one right sample).
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let s = SampleData::from_stereo(vec![0.0; 8], vec![0.0; 8], 8_000)?;
    /// assert_eq!(s.frames(), 8);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn frames(&self) -> usize {
        self.audio.frames()
    }

    /// 1 for mono, 2 for stereo.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// assert_eq!(SampleData::from_mono(vec![0.0; 8], 8_000)?.channels(), 1);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn channels(&self) -> usize {
        if self.audio.right.is_some() {
            2
        } else {
            1
        }
    }

    /// Length in seconds at the recording's own rate.
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let s = SampleData::from_mono(vec![0.0; 4_000], 8_000)?;
    /// assert_eq!(s.duration_secs(), 0.5);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn duration_secs(&self) -> f64 {
        self.frames() as f64 / self.sample_rate() as f64
    }

    /// Whether both share the same audio frames (one was cloned from the
    /// other).
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let a = SampleData::from_mono(vec![0.0; 8], 8_000)?;
    /// let b = a.clone().with_base_frequency(220.0)?;
    /// let c = SampleData::from_mono(vec![0.0; 8], 8_000)?;
    /// assert!(a.shares_audio_with(&b));
    /// assert!(!a.shares_audio_with(&c));
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn shares_audio_with(&self, other: &SampleData) -> bool {
        Arc::ptr_eq(&self.audio, &other.audio)
    }

    /// The frames of channel 0 (left) or 1 (right; the left one again for a
    /// mono sample). Empty for a sample of shared 16-bit frames
    /// ([`from_pcm16`](Self::from_pcm16); read those with
    /// [`frame`](Self::frame)).
    ///
    /// ```
    /// use polyphonica::SampleData;
    /// let s = SampleData::from_stereo(vec![0.5; 4], vec![-0.25; 4], 8_000)?;
    /// assert_eq!(s.channel(0), &[0.5; 4]);
    /// assert_eq!(s.channel(1), &[-0.25; 4]);
    /// # Ok::<(), polyphonica::SampleError>(())
    /// ```
    pub fn channel(&self, index: usize) -> &[f32] {
        match (index, &self.audio.right) {
            (1, Some(r)) => r,
            _ => &self.audio.left,
        }
    }
}

impl fmt::Debug for SampleData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SampleData")
            .field("frames", &self.frames())
            .field("channels", &self.channels())
            .field("sample_rate", &self.sample_rate())
            .field("base_frequency_hz", &self.base_frequency_hz)
            .field("loop_frames", &self.loop_frames)
            .field("loop_in_release", &self.loop_in_release)
            .field("interpolation", &self.interpolation)
            .finish()
    }
}

/// Makes every frame finite and within full scale, so interpolation can
/// never overflow.
fn sanitize(frames: &mut [f32]) {
    for f in frames {
        *f = if f.is_finite() {
            f.clamp(-1.0, 1.0)
        } else {
            0.0
        };
    }
}
