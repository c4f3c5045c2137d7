//! `polyphonica midi SONG.mid -o SONG.wav`: a Standard MIDI File rendered
//! by the engine, block by block, straight into the WAV file.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use polyphonica::midi::{MidiError, MidiFile};
use polyphonica::{Channels, RenderError, WavFormat, WavSink};

use crate::{check_rate, file_name, io_cause, Failure, Output};

#[derive(Args)]
pub(crate) struct MidiArgs {
    /// The MIDI file (format 0, 1 or 2).
    song: PathBuf,
    /// Sample rate in Hz.
    #[arg(short, long, default_value_t = 44_100)]
    rate: u32,
    #[command(flatten)]
    output: Output,
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
    let song = MidiFile::from_file(&a.song).map_err(|e| {
        Failure(format!(
            "could not use {} as a MIDI file: {e}",
            a.song.display()
        ))
    })?;
    let path = &a.output.output;
    let cannot_write =
        |e: &dyn std::fmt::Display| Failure(format!("could not write {}: {e}", path.display()));
    let format = WavFormat {
        sample_rate: a.rate,
        channels: Channels::Stereo,
        encoding: a.output.format.into(),
    };
    let mut sink = WavSink::create(path, format).map_err(|e| cannot_write(&io_cause(&e)))?;
    let song_frames = (song.duration_secs() * f64::from(a.rate)).round() as u64;
    let bar = if song.duration_secs() > 1.0 {
        let bar = ProgressBar::new(song_frames);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} rendering {msg} [{bar:30}] {percent}% ({eta} left)",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        bar.set_message(file_name(path));
        bar
    } else {
        ProgressBar::hidden()
    };
    let result = song
        .render(a.rate, |block| {
            sink.write(block).map_err(Stop::Write)?;
            bar.set_position(sink.frames_written().min(song_frames));
            Ok(())
        })
        .map_err(|stop| match stop {
            Stop::Midi(e) => Failure(e.to_string()),
            Stop::Write(e) => cannot_write(&io_cause(&e)),
        })
        .and_then(|_| sink.finalize().map_err(|e| cannot_write(&io_cause(&e))));
    bar.finish_and_clear();
    if result.is_err() {
        let _ = std::fs::remove_file(path);
    }
    result
}
