//! Live MIDI: messages from an input thread go through a lock-free
//! [`Controller`]'s queue, like every other command, and sound at the start
//! of the audio side's next block (or at the frame they are stamped with).

use super::message::{MidiMessage, MidiParser};
use super::synth::MidiSynth;
use crate::{At, ControlError, Controller};

/// A [`MidiSynth`] driving a [`Controller`]: what the thread that receives
/// MIDI (a driver callback, a sequencer) owns. The audio side is the split
/// engine's [`AudioEngine`](crate::AudioEngine), with no queue of its own
/// for MIDI. Nothing here waits for the audio side; the synth's state
/// lives on this thread.
///
/// ```
/// use polyphonica::midi::{LiveMidi, MidiMessage};
/// use polyphonica::{At, RealtimeEngine};
///
/// let (mut audio, control) = RealtimeEngine::new(48_000.0).split();
/// let mut live = LiveMidi::new(control);
/// live.send(MidiMessage::NoteOn { channel: 0, key: 60, velocity: 100 })?;
/// live.send_at(At::Frame(700), MidiMessage::NoteOn { channel: 0, key: 64, velocity: 100 })?;
/// let mut block = [0.0f32; 512];
/// audio.process_buffer(&mut block); // the first note from this block on
/// assert_eq!(audio.get_active_voice_count(), 1);
/// audio.process_buffer(&mut block); // the second at frame 700
/// assert_eq!(audio.get_active_voice_count(), 2);
/// # Ok::<(), polyphonica::ControlError>(())
/// ```
#[derive(Debug)]
pub struct LiveMidi {
    controller: Controller,
    synth: MidiSynth,
    parser: MidiParser,
    dropped: u64,
}

impl LiveMidi {
    /// Plays MIDI through `controller` with a default [`MidiSynth`].
    pub fn new(controller: Controller) -> Self {
        LiveMidi {
            controller,
            synth: MidiSynth::new(),
            parser: MidiParser::new(),
            dropped: 0,
        }
    }

    /// Plays MIDI through `controller` with `synth` (say one playing a
    /// SoundFont, [`MidiSynth::with_soundfont`]).
    ///
    /// ```
    /// use polyphonica::midi::{LiveMidi, MidiSynth};
    /// use polyphonica::RealtimeEngine;
    /// let (_audio, control) = RealtimeEngine::new(48_000.0).split();
    /// let mut synth = MidiSynth::new();
    /// synth.set_gain(0.5);
    /// let live = LiveMidi::with_synth(control, synth);
    /// # drop(live);
    /// ```
    pub fn with_synth(controller: Controller, synth: MidiSynth) -> Self {
        LiveMidi {
            synth,
            ..LiveMidi::new(controller)
        }
    }

    /// The synth, to set presets, drum samples or gain.
    pub fn synth_mut(&mut self) -> &mut MidiSynth {
        &mut self.synth
    }

    /// The controller, for anything else (status, groups, ended notes).
    pub fn controller(&mut self) -> &mut Controller {
        &mut self.controller
    }

    /// Plays a message at the start of the audio side's next block.
    ///
    /// # Errors
    /// The controller's ([`ControlError::QueueFull`] when the audio side has
    /// not kept up); the message may then have been applied in part.
    pub fn send(&mut self, message: MidiMessage) -> Result<(), ControlError> {
        self.synth.handle(&mut self.controller, message)
    }

    /// Plays a message at `at` on the audio clock (sample-accurate).
    ///
    /// # Errors
    /// As [`send`](Self::send), and [`ControlError::InvalidTime`].
    pub fn send_at(&mut self, at: At, message: MidiMessage) -> Result<(), ControlError> {
        self.synth.handle(&mut self.controller.at(at), message)
    }

    /// Parses raw MIDI bytes (any split of the stream, running status
    /// included) and plays every channel message. Messages the controller
    /// refuses are counted in [`dropped`](Self::dropped): a driver callback
    /// cannot wait.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let LiveMidi {
            controller,
            synth,
            parser,
            dropped,
        } = self;
        parser.feed(bytes, |message| {
            if synth.handle(controller, message).is_err() {
                *dropped += 1;
            }
        });
    }

    /// Messages [`send_bytes`](Self::send_bytes) could not play.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::ControlConfig;
    use crate::RealtimeEngine;

    #[test]
    fn bytes_become_notes_at_the_next_block() {
        let (mut audio, control) = RealtimeEngine::new(48_000.0).split();
        let mut live = LiveMidi::new(control);
        let mut block = [0.0f32; 128];
        live.send_bytes(&[0x90, 60, 100, 64, 100]); // two notes, running status
        audio.process_buffer(&mut block);
        assert_eq!(audio.get_active_voice_count(), 2);
        assert!(
            block.iter().any(|s| *s != 0.0),
            "the notes sound in this block"
        );
        live.send_bytes(&[0x80, 60, 0, 0x90, 64, 0]);
        audio.process_buffer(&mut block);
        assert!(audio
            .active_voices()
            .all(|v| v.envelope_phase() == crate::EnvelopePhase::Release));
        assert_eq!(live.dropped(), 0);
    }

    #[test]
    fn a_full_queue_counts_the_messages_dropped() {
        let config = ControlConfig {
            queue_capacity: 2,
            ..ControlConfig::default()
        };
        let (_audio, control) = RealtimeEngine::new(48_000.0).split_with(config);
        let mut live = LiveMidi::new(control);
        live.send_bytes(&[0x90, 60, 100, 61, 100, 62, 100, 63, 100]);
        assert_eq!(live.dropped(), 2);
        let refused = live.send(MidiMessage::NoteOn {
            channel: 0,
            key: 70,
            velocity: 1,
        });
        assert_eq!(refused, Err(ControlError::QueueFull));
    }
}
