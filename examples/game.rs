//! Game sound: looping music in one group, pitched sound effects in
//! another, sent from a game-loop thread through the lock-free controller.
//! The music fades out, then every effect stops. No sound card needed: the
//! audio side renders into `game.wav`, at 20 times real time
//! (`cargo run --release --example game`).

use polyphonica::render::{WavFormat, WavSink};
use polyphonica::{AdsrEnvelope, EventTarget, Note, Phrase, RealtimeEngine, SampleData};
use polyphonica::{Tempo, Waveform};
use std::time::Duration;

const MUSIC: u8 = 1;
const EFFECTS: u8 = 2;
const RATE: u32 = 48_000;
const SPEED: u32 = 20; // times faster than real time
const GAME_SECS: u32 = 8;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut audio, mut control) = RealtimeEngine::new(RATE as f32).split();
    let thud = SampleData::from_wav_file("tests/data/kick.wav")?;

    // The game loop: 60 ticks per second, on its own thread.
    let game = std::thread::spawn(move || -> Result<u32, polyphonica::ControlError> {
        let pluck = AdsrEnvelope::new(0.005, 0.2, 0.4, 0.1);
        let bar =
            [220.0, 277.18, 329.63, 277.18]
                .iter()
                .enumerate()
                .fold(Phrase::new(), |p, (i, hz)| {
                    let note = Note::new(Waveform::Triangle, *hz, pluck).with_amplitude(0.3);
                    p.note(i as f64, 1.0, note.with_group(MUSIC))
                });
        let tempo = Tempo::new(120.0);
        let (mut next_bar, mut effects_ended) = (0.0, 0);
        for tick in 0..GAME_SECS * 60 {
            // Keep a bar of music queued ahead: the loop.
            if tempo.beat_at(control.now(), RATE as f32) + 4.0 > next_bar {
                control.play_phrase(&bar, tempo, next_bar)?;
                next_bar += 4.0;
            }
            // A pitched effect twice a second, a different pitch each time.
            if tick % 30 == 0 && tick < 7 * 60 {
                let semitones = (tick / 30 % 8) as f32 - 3.0;
                let hit = Note::sample_at_semitones(
                    thud.clone(),
                    semitones,
                    AdsrEnvelope::new(0.0, 0.0, 1.0, 0.05),
                );
                control.trigger(hit.with_amplitude(0.6).with_group(EFFECTS))?;
            }
            if tick == 5 * 60 {
                control.fade_group(MUSIC, 0.0, 2.0)?; // two seconds
            }
            if tick == 7 * 60 {
                control.stop_group(EFFECTS)?;
            }
            // Ended notes come back, so the game never keeps ids forever.
            while control.take_ended_note().is_some() {
                effects_ended += 1;
            }
            std::thread::sleep(Duration::from_secs_f64(1.0 / 60.0 / f64::from(SPEED)));
        }
        Ok(effects_ended)
    });

    // The audio side: what a device callback would do, into a WAV file.
    let mut sink = WavSink::create("game.wav", WavFormat::stereo_16(RATE))?;
    let mut block = [0.0f32; 2 * 480];
    for _ in 0..GAME_SECS * RATE / 480 {
        audio.process_stereo_buffer(&mut block);
        sink.write(&block)?;
        std::thread::sleep(Duration::from_secs_f64(0.01 / f64::from(SPEED)));
    }
    let ended = game.join().expect("the game loop")?;
    println!(
        "wrote game.wav: {GAME_SECS} s, peak {:.2}, {ended} notes ended",
        sink.peak()
    );
    sink.finalize()?;
    Ok(())
}
