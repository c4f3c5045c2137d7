//! `polyphonica midi SONG.mid -o SONG.wav`: a Standard MIDI File rendered
//! by the engine, block by block, into the WAV file.

use std::path::PathBuf;

use clap::Args;
use polyphonica::midi::{MidiError, MidiFile};
use polyphonica::render::{Channels, WavFormat};
use polyphonica::RenderError;

use crate::output::Destination;
use crate::{check_rate, io_cause, progress_bar, Failure, Limits, Output};

#[derive(Args)]
pub(crate) struct MidiArgs {
    /// The MIDI file (format 0, 1 or 2).
    song: PathBuf,
    /// Sample rate in Hz.
    #[arg(short, long, default_value_t = 44_100)]
    rate: u32,
    /// Play the song's instruments from this SoundFont (.sf2; .sf3 with
    /// the `sf3` feature) instead of the built-in oscillator presets.
    #[arg(long, value_name = "FONT")]
    soundfont: Option<PathBuf>,
    /// A dry render: no note sends to the reverb, chorus or delay (as
    /// FluidSynth's `-R 0 -C 0`).
    #[arg(long)]
    no_effects: bool,
    #[command(flatten)]
    output: Output,
    #[command(flatten)]
    limits: Limits,
}

/// What can stop a MIDI render: the file, or writing the output.
enum Stop {
    Midi(MidiError),
    Write(RenderError),
}

impl From<MidiError> for Stop {
    fn from(e: MidiError) -> Self {
        Stop::Midi(e)
    }
}

pub(crate) fn render(a: MidiArgs) -> Result<(), Failure> {
    check_rate(a.rate)?;
    let song = MidiFile::from_file_with_limits(&a.song, &a.limits.get()).map_err(|e| {
        Failure(format!(
            "could not use {} as a MIDI file: {e}",
            a.song.display()
        ))
    })?;
    let path = &a.output.output;
    let destination = Destination::new(path, &[&a.song])?;
    let format = WavFormat {
        sample_rate: a.rate,
        channels: Channels::Stereo,
        encoding: a.output.format.into(),
    };
    // The song's length is known before anything is rendered: a song too
    // long for a WAV file is refused here, by its real length.
    let song_frames = song.song_frames(a.rate);
    format.check_length(song_frames)?;
    // A SoundFont loads on this thread while another builds the engine's
    // oscillator tables (built once per process, whichever engine comes
    // first): on two cores the two overlap.
    let rate = a.rate as f32;
    let mut synth = std::thread::scope(|scope| {
        scope.spawn(move || drop(polyphonica::RealtimeEngine::new(rate)));
        crate::soundfont::synth(a.soundfont.as_deref())
    })?;
    synth.set_effects(!a.no_effects);
    let bar = progress_bar(song_frames, song.duration_secs() > 1.0, path);
    let cannot_write = |e: &RenderError| {
        Failure(format!(
            "could not write {}: {}",
            path.display(),
            io_cause(e)
        ))
    };
    let result = destination.write(format, |sink| {
        song.render_with(synth, a.rate, |block| {
            sink.write(block).map_err(Stop::Write)?;
            bar.set_position(sink.frames_written().min(song_frames));
            Ok(())
        })
        .map(drop)
        .map_err(|stop| match stop {
            Stop::Midi(e) => Failure(e.to_string()),
            Stop::Write(e) => cannot_write(&e),
        })
    });
    bar.finish_and_clear();
    result
}
