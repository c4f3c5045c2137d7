//! `polyphonica`: render waveforms, sweeps, samples and TOML scores to WAV
//! files with the Polyphonica engine, and describe WAV files.
//!
//! ```text
//! polyphonica wave sine A4 -d 2 -o tone.wav
//! polyphonica sweep saw 110 880 -d 3 --attack 0.01 --release 0.5 -o sweep.wav
//! polyphonica render examples/scores/demo.toml -o demo.wav
//! polyphonica sample tests/data/kick.wav --note C5 -o kick-up.wav
//! polyphonica midi song.mid -o song.wav
//! polyphonica play examples/scores/demo.toml      # feature `playback`
//! polyphonica play --midi                         # feature `midi-input`
//! polyphonica info demo.wav
//! ```
//!
//! Every error is one sentence on standard error and exit status 1.

mod info;
mod midi;
mod output;
mod play;
mod soundfont;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use output::Destination;
use polyphonica::limits::InputLimits;
use polyphonica::render::{
    parse_pitch, Channels, Score, TimelineEvent, TimelineRenderer, WavEncoding, WavFormat,
    FLAT_ENVELOPE,
};
use polyphonica::{AdsrEnvelope, SampleData, SoundEvent, Waveform};

#[derive(Parser)]
#[command(
    name = "polyphonica",
    version,
    about = "Render synthesizer sounds and scores to WAV files, and describe WAV files.",
    after_help = "Pitches are note names (C4 = 261.63 Hz, F#3, Bb2) or frequencies in Hz (440, 440Hz)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render a waveform at one pitch, at full level.
    Wave(WaveArgs),
    /// Render one note sweeping linearly from one pitch to another, shaped by an envelope.
    Sweep(SweepArgs),
    /// Render a TOML score (see examples/scores/).
    Render(RenderArgs),
    /// Play a WAV sample at a pitch.
    Sample(SampleArgs),
    /// Render a Standard MIDI File (General MIDI sounds, channel 10 as drums).
    Midi(midi::MidiArgs),
    /// Play a score, a MIDI file or live MIDI input on an audio device (needs the `playback` feature).
    Play(play::PlayArgs),
    /// Describe a WAV file: encoding, channels, sample rate, length, peak and RMS level.
    Info(InfoArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Shape {
    Sine,
    Square,
    #[value(alias = "sawtooth")]
    Saw,
    Triangle,
    Pulse,
    Noise,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    /// 16-bit integer
    #[value(name = "int16", alias = "16")]
    Int16,
    /// 24-bit integer
    #[value(name = "int24", alias = "24")]
    Int24,
    /// 32-bit float
    #[value(name = "float32", alias = "32", alias = "f32")]
    Float32,
}

impl From<Format> for WavEncoding {
    fn from(f: Format) -> Self {
        match f {
            Format::Int16 => WavEncoding::Int16,
            Format::Int24 => WavEncoding::Int24,
            Format::Float32 => WavEncoding::Float32,
        }
    }
}

#[derive(Args)]
pub(crate) struct Output {
    /// The WAV file to write, or `-` for standard output. It is replaced
    /// only once the render is complete; a failed or interrupted render
    /// leaves it as it was. A device or FIFO is written into, never replaced.
    #[arg(short, long, value_name = "FILE.wav")]
    pub(crate) output: PathBuf,
    /// Sample encoding.
    #[arg(short, long, value_enum, default_value_t = Format::Int16)]
    pub(crate) format: Format,
}

#[derive(Args)]
#[command(allow_negative_numbers = true)]
struct WaveArgs {
    /// The waveform.
    #[arg(value_enum)]
    waveform: Shape,
    /// The pitch: a note name (A4) or Hz (440).
    #[arg(value_parser = pitch)]
    pitch: f32,
    /// Length in seconds.
    #[arg(short, long, default_value_t = 1.0, value_parser = seconds)]
    duration: f32,
    /// Sample rate in Hz.
    #[arg(short, long, default_value_t = 44_100)]
    rate: u32,
    /// Pulse width of the pulse waveform, between 0 and 1.
    #[arg(long, default_value_t = 0.5, value_parser = fraction)]
    duty: f32,
    /// Write two (identical) channels instead of one.
    #[arg(long)]
    stereo: bool,
    #[command(flatten)]
    output: Output,
}

#[derive(Args)]
#[command(allow_negative_numbers = true)]
struct SweepArgs {
    /// The waveform.
    #[arg(value_enum)]
    waveform: Shape,
    /// The pitch at the start: a note name (A2) or Hz (110).
    #[arg(value_parser = pitch)]
    from: f32,
    /// The pitch at the end.
    #[arg(value_parser = pitch)]
    to: f32,
    /// Length in seconds, release included.
    #[arg(short, long, default_value_t = 2.0, value_parser = seconds)]
    duration: f32,
    /// Attack time in seconds.
    #[arg(long, default_value_t = 0.01, value_parser = seconds)]
    attack: f32,
    /// Decay time in seconds.
    #[arg(long, default_value_t = 0.1, value_parser = seconds)]
    decay: f32,
    /// Sustain level, 0 to 1.
    #[arg(long, default_value_t = 0.7, value_parser = level)]
    sustain: f32,
    /// Release time in seconds (it ends with the note).
    #[arg(long, default_value_t = 0.2, value_parser = seconds)]
    release: f32,
    /// Level, 0 to 1.
    #[arg(long, default_value_t = 1.0, value_parser = level)]
    amplitude: f32,
    /// Sample rate in Hz.
    #[arg(short, long, default_value_t = 44_100)]
    rate: u32,
    /// Pulse width of the pulse waveform, between 0 and 1.
    #[arg(long, default_value_t = 0.5, value_parser = fraction)]
    duty: f32,
    /// Write two (identical) channels instead of one.
    #[arg(long)]
    stereo: bool,
    #[command(flatten)]
    output: Output,
}

/// How large an input file may be.
#[derive(Args)]
pub(crate) struct Limits {
    /// The largest input file read, in MiB (by default 1024 for WAV
    /// samples, 256 for MIDI files, 16 for scores). Device files and FIFOs
    /// are never read as inputs.
    #[arg(long, value_name = "MIB")]
    max_input_mib: Option<u64>,
}

impl Limits {
    pub(crate) fn get(&self) -> InputLimits {
        self.max_input_mib.map_or_else(InputLimits::default, |mib| {
            InputLimits::all(mib.saturating_mul(1 << 20))
        })
    }
}

#[derive(Args)]
struct RenderArgs {
    /// The score (TOML).
    score: PathBuf,
    /// Sample rate in Hz.
    #[arg(short, long, default_value_t = 44_100)]
    rate: u32,
    /// Write one channel instead of two (pan is then ignored).
    #[arg(long)]
    mono: bool,
    #[command(flatten)]
    output: Output,
    #[command(flatten)]
    limits: Limits,
}

#[derive(Args)]
#[command(allow_negative_numbers = true)]
struct SampleArgs {
    /// The WAV sample.
    file: PathBuf,
    /// The pitch to play it at: a note name (C5) or Hz (523.25). By default
    /// the pitch at which it plays as recorded.
    #[arg(short, long, visible_alias = "note", value_parser = pitch)]
    pitch: Option<f32>,
    /// The pitch at which the sample plays as recorded.
    #[arg(long, default_value = "A4", value_parser = pitch)]
    base: f32,
    /// Length in seconds (by default the sample's own, at the pitch played).
    #[arg(short, long, value_parser = seconds)]
    duration: Option<f32>,
    /// Fade-out at the end, in seconds.
    #[arg(long, default_value_t = 0.0, value_parser = seconds)]
    release: f32,
    /// Sample rate in Hz (by default the sample's).
    #[arg(short, long)]
    rate: Option<u32>,
    /// Write one channel (by default, as many as the sample has).
    #[arg(long)]
    mono: bool,
    #[command(flatten)]
    output: Output,
    #[command(flatten)]
    limits: Limits,
}

#[derive(Args)]
struct InfoArgs {
    /// The WAV file.
    file: PathBuf,
}

fn pitch(text: &str) -> Result<f32, String> {
    parse_pitch(text).map_err(|e| e.to_string())
}

fn number(text: &str, what: &str, valid: fn(f32) -> bool) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(v) if v.is_finite() && valid(v) => Ok(v),
        _ => Err(format!("expected {what}")),
    }
}

pub(crate) fn seconds(text: &str) -> Result<f32, String> {
    number(text, "a number of seconds, 0 or more", |v| v >= 0.0)
}

fn level(text: &str) -> Result<f32, String> {
    number(text, "a level from 0 to 1", |v| (0.0..=1.0).contains(&v))
}

fn fraction(text: &str) -> Result<f32, String> {
    number(text, "a number between 0 and 1", |v| v > 0.0 && v < 1.0)
}

/// An error for the user: one sentence.
pub(crate) struct Failure(pub(crate) String);

impl<E: std::error::Error> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

pub(crate) fn fail<T>(message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure(message.into()))
}

fn main() -> ExitCode {
    output::remove_partial_output_on_interrupt();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Wave(a) => wave(a),
        Command::Sweep(a) => sweep(a),
        Command::Render(a) => render(a),
        Command::Sample(a) => sample(a),
        Command::Midi(a) => midi::render(a),
        Command::Play(a) => play::play(a),
        Command::Info(a) => info::describe(&a.file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn waveform(shape: Shape, duty: f32) -> Waveform {
    match shape {
        Shape::Sine => Waveform::Sine,
        Shape::Square => Waveform::Square,
        Shape::Saw => Waveform::Sawtooth,
        Shape::Triangle => Waveform::Triangle,
        Shape::Pulse => Waveform::Pulse { duty_cycle: duty },
        Shape::Noise => Waveform::Noise,
    }
}

/// The sample rate is one the engine runs at.
pub(crate) fn check_rate(rate: u32) -> Result<(), Failure> {
    if rate == 0 || rate > polyphonica::render::MAX_SAMPLE_RATE {
        return fail(format!(
            "the sample rate {rate} Hz is not usable; expected 1 to {} Hz",
            polyphonica::render::MAX_SAMPLE_RATE
        ));
    }
    Ok(())
}

/// The pitch is one the sample rate can play.
fn check_pitch(what: &str, hz: f32, rate: u32) -> Result<(), Failure> {
    let nyquist = rate as f32 / 2.0;
    if hz > nyquist {
        return fail(format!(
            "{what} {hz} Hz is above {nyquist} Hz, the highest a sample rate of {rate} Hz can play; \
             lower it or raise the rate with --rate"
        ));
    }
    Ok(())
}

fn wave(a: WaveArgs) -> Result<(), Failure> {
    check_rate(a.rate)?;
    check_pitch("the pitch", a.pitch, a.rate)?;
    let event = SoundEvent::new(
        waveform(a.waveform, a.duty),
        a.pitch,
        a.duration,
        FLAT_ENVELOPE,
    );
    let channels = if a.stereo {
        Channels::Stereo
    } else {
        Channels::Mono
    };
    write(
        &[TimelineEvent::new(0.0, event)],
        a.duration,
        a.rate,
        channels,
        &a.output,
    )
}

fn sweep(a: SweepArgs) -> Result<(), Failure> {
    check_rate(a.rate)?;
    check_pitch("the start pitch", a.from, a.rate)?;
    check_pitch("the end pitch", a.to, a.rate)?;
    let envelope = AdsrEnvelope::new(a.attack, a.decay, a.sustain, a.release);
    let event = SoundEvent::new(waveform(a.waveform, a.duty), a.from, a.duration, envelope)
        .sweeping_to(a.to);
    let channels = if a.stereo {
        Channels::Stereo
    } else {
        Channels::Mono
    };
    let placed = TimelineEvent::new(0.0, event).with_amplitude(a.amplitude);
    write(&[placed], a.duration, a.rate, channels, &a.output)
}

fn render(a: RenderArgs) -> Result<(), Failure> {
    check_rate(a.rate)?;
    let score = Score::from_file_with_limits(&a.score, &a.limits.get())?;
    let mut inputs: Vec<&Path> = vec![&a.score];
    inputs.extend(score.sample_files().iter().map(PathBuf::as_path));
    let renderer = score.renderer(a.rate)?;
    let channels = if a.mono {
        Channels::Mono
    } else {
        Channels::Stereo
    };
    stream(renderer, channels, &a.output, &inputs)
}

fn sample(a: SampleArgs) -> Result<(), Failure> {
    let data = SampleData::from_wav_file_with_limits(&a.file, &a.limits.get()).map_err(|e| {
        Failure(format!(
            "could not use {} as a sample: {e}",
            a.file.display()
        ))
    })?;
    let data = data.with_base_frequency(a.base)?;
    let rate = a.rate.unwrap_or(data.sample_rate());
    check_rate(rate)?;
    let pitch = a.pitch.unwrap_or(a.base);
    check_pitch("the pitch", pitch, rate)?;
    let duration = a
        .duration
        .unwrap_or((data.duration_secs() * f64::from(a.base) / f64::from(pitch)) as f32);
    let channels = if a.mono || data.channels() == 1 {
        Channels::Mono
    } else {
        Channels::Stereo
    };
    let envelope = AdsrEnvelope {
        release_secs: a.release,
        ..FLAT_ENVELOPE
    };
    let event = SoundEvent::new(Waveform::Sample(data), pitch, duration, envelope);
    let renderer = TimelineRenderer::new(&[TimelineEvent::new(0.0, event)], duration, rate)?;
    stream(renderer, channels, &a.output, &[&a.file])
}

fn write(
    events: &[TimelineEvent],
    secs: f32,
    rate: u32,
    channels: Channels,
    out: &Output,
) -> Result<(), Failure> {
    let renderer = TimelineRenderer::new(events, secs, rate)?;
    stream(renderer, channels, out, &[])
}

/// Renders into the output block by block, with a progress bar for renders
/// longer than a second of audio. A render too long for a WAV file is
/// refused before anything is written; the output is replaced only when
/// complete (see [`output`]).
fn stream(
    mut renderer: TimelineRenderer,
    channels: Channels,
    out: &Output,
    inputs: &[&Path],
) -> Result<(), Failure> {
    let format = WavFormat {
        sample_rate: renderer.sample_rate(),
        channels,
        encoding: out.format.into(),
    };
    let destination = Destination::new(&out.output, inputs)?;
    let total = renderer.total_frames();
    format.check_length(total)?;
    let bar = progress_bar(
        total,
        total > u64::from(renderer.sample_rate()),
        &out.output,
    );
    let result = destination.write(format, |sink| {
        renderer
            .render_to(sink, |done, _| bar.set_position(done))
            .map_err(|e| {
                Failure(format!(
                    "could not write {}: {}",
                    out.output.display(),
                    io_cause(&e)
                ))
            })
    });
    bar.finish_and_clear();
    result
}

/// A progress bar over `total` frames, drawn on standard error when `show`.
pub(crate) fn progress_bar(total: u64, show: bool, output: &Path) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{spinner} rendering {msg} [{bar:30}] {percent}% ({eta} left)",
    )
    .expect("the template is valid")
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(file_name(output));
    bar
}

/// The operating system's reason for an I/O failure, else the error itself.
pub(crate) fn io_cause(e: &polyphonica::RenderError) -> String {
    match e {
        polyphonica::RenderError::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
