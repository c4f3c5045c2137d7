//! `polyphonica play`: a score, a MIDI file or live MIDI input on an audio
//! device, in real time (cargo feature `playback`; live input needs
//! `midi-input`).

use std::path::PathBuf;

use clap::Args;

#[cfg(not(feature = "playback"))]
use crate::Failure;

#[derive(Args)]
pub(crate) struct PlayArgs {
    /// A score (.toml) or MIDI file (.mid, .midi) to play. Leave it out to
    /// play live MIDI input (--midi).
    file: Option<PathBuf>,
    /// Play live MIDI from the input port whose name contains PORT (the
    /// first port when no name is given).
    #[arg(long, value_name = "PORT", num_args = 0..=1, default_missing_value = "")]
    midi: Option<String>,
    /// The output device whose name contains NAME (the default device
    /// otherwise).
    #[arg(long, value_name = "NAME")]
    device: Option<String>,
    /// Seconds to listen to live MIDI input before stopping (until
    /// interrupted otherwise).
    #[arg(long, value_parser = crate::seconds)]
    seconds: Option<f32>,
    /// Play MIDI (a file or live input) with this SoundFont's instruments
    /// (.sf2; .sf3 with the `sf3` feature) instead of the built-in
    /// oscillator presets.
    #[arg(long, value_name = "FONT")]
    soundfont: Option<PathBuf>,
    #[command(flatten)]
    limits: crate::Limits,
}

#[cfg(not(feature = "playback"))]
pub(crate) fn play(_: PlayArgs) -> Result<(), Failure> {
    crate::fail(
        "this build of polyphonica cannot play sound; build it with `--features playback` \
         (and `apt-get install libasound2-dev` on Linux)",
    )
}

#[cfg(feature = "playback")]
pub(crate) use device::play;

#[cfg(feature = "playback")]
mod device {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use polyphonica::midi::{MidiFile, MidiFilePlayer};
    use polyphonica::playback::{OutputDevice, Playback, RenderStereo};
    use polyphonica::render::{Score, TimelineRenderer};

    use super::PlayArgs;
    use crate::Failure;

    /// A renderer that says when it has played everything.
    trait Finite: RenderStereo {
        fn is_done(&self) -> bool;
    }

    impl Finite for TimelineRenderer {
        fn is_done(&self) -> bool {
            self.frames_rendered() >= self.total_frames()
        }
    }

    impl Finite for MidiFilePlayer {
        fn is_done(&self) -> bool {
            self.is_finished()
        }
    }

    /// Passes the end of a [`Finite`] renderer to the waiting thread.
    struct Watched<R> {
        inner: R,
        done: Arc<AtomicBool>,
    }

    impl<R: Finite> RenderStereo for Watched<R> {
        fn render_stereo(&mut self, output: &mut [f32]) {
            self.inner.render_stereo(output);
            if self.inner.is_done() {
                self.done.store(true, Ordering::Release);
            }
        }
    }

    fn open(name: Option<&str>) -> Result<OutputDevice, Failure> {
        let device = match name {
            Some(name) => OutputDevice::by_name(name)?,
            None => OutputDevice::default_device()?,
        };
        eprintln!(
            "playing on \"{}\" ({} Hz, {} channels, {})",
            device.name(),
            device.sample_rate(),
            device.channels(),
            device.sample_format()
        );
        Ok(device)
    }

    fn report(playback: &Playback) {
        for e in playback.errors() {
            eprintln!("warning: {e}");
        }
    }

    /// Plays `renderer` until it is done (plus a moment for the device's
    /// buffer to drain).
    fn play_to_end<R: Finite>(device: &OutputDevice, renderer: R) -> Result<(), Failure> {
        let done = Arc::new(AtomicBool::new(false));
        let playback = device.play(Watched {
            inner: renderer,
            done: done.clone(),
        })?;
        while !done.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(20));
            report(&playback);
        }
        std::thread::sleep(Duration::from_millis(200));
        report(&playback);
        Ok(())
    }

    pub(crate) fn play(a: PlayArgs) -> Result<(), Failure> {
        let synth = crate::soundfont::synth(a.soundfont.as_deref())?;
        if let Some(port) = a.midi {
            return live(a.device.as_deref(), &port, a.seconds, synth);
        }
        let Some(file) = a.file else {
            return crate::fail(
                "nothing to play: give a score (.toml), a MIDI file (.mid) or --midi",
            );
        };
        let device = open(a.device.as_deref())?;
        let rate = device.sample_rate();
        let extension = file
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        match extension.as_str() {
            "mid" | "midi" | "smf" => {
                let song =
                    MidiFile::from_file_with_limits(&file, &a.limits.get()).map_err(|e| {
                        Failure(format!(
                            "could not use {} as a MIDI file: {e}",
                            file.display()
                        ))
                    })?;
                play_to_end(&device, song.player_with(synth, rate))
            }
            _ => {
                let score = Score::from_file_with_limits(&file, &a.limits.get())?;
                play_to_end(&device, score.renderer(rate)?)
            }
        }
    }

    #[cfg(feature = "midi-input")]
    fn live(
        device: Option<&str>,
        port: &str,
        seconds: Option<f32>,
        synth: polyphonica::midi::MidiSynth,
    ) -> Result<(), Failure> {
        use polyphonica::control::ControlConfig;
        use polyphonica::midi::{connect_input, LiveMidi};
        use polyphonica::RealtimeEngine;

        let device = open(device)?;
        // Live MIDI goes through the controller's queue, like any command.
        let config = ControlConfig {
            queue_capacity: 4096,
            ..ControlConfig::default()
        };
        let voices = if synth.soundfont().is_some() { 128 } else { 32 };
        let (audio, control) =
            RealtimeEngine::with_voices(device.sample_rate() as f32, voices).split_with(config);
        let port = (!port.is_empty()).then_some(port);
        let input = connect_input(port, LiveMidi::with_synth(control, synth))
            .map_err(|e| Failure(e.to_string()))?;
        eprintln!("listening to MIDI input \"{}\"", input.port_name());
        let playback = device.play(audio)?;
        let start = std::time::Instant::now();
        while seconds.is_none_or(|s| start.elapsed().as_secs_f32() < s) {
            std::thread::sleep(Duration::from_millis(50));
            report(&playback);
        }
        Ok(())
    }

    #[cfg(not(feature = "midi-input"))]
    fn live(
        _: Option<&str>,
        _: &str,
        _: Option<f32>,
        _: polyphonica::midi::MidiSynth,
    ) -> Result<(), Failure> {
        crate::fail(
            "this build of polyphonica has no MIDI input; build it with `--features midi-input`",
        )
    }
}
