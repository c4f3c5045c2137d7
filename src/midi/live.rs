//! Live MIDI: messages from an input thread reach the audio side over a
//! lock-free queue and are played at the start of the next block.

use super::message::{MidiMessage, MidiParser};
use super::synth::MidiSynth;
use crate::RealtimeEngine;

/// Why a live message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueFull(pub MidiMessage);

impl std::fmt::Display for QueueFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the MIDI queue to the audio side is full; {:?} was not delivered",
            self.0
        )
    }
}

impl std::error::Error for QueueFull {}

/// The input side of a live MIDI queue: owned by the thread that receives
/// MIDI (a driver callback, a sequencer).
#[derive(Debug)]
pub struct MidiSender {
    producer: rtrb::Producer<MidiMessage>,
    parser: MidiParser,
    dropped: u64,
}

/// A bounded lock-free queue of MIDI messages to a [`LiveSynth`]; returns
/// its two ends.
///
/// ```
/// use polyphonica::midi::{midi_queue, LiveSynth, MidiMessage};
/// use polyphonica::RealtimeEngine;
///
/// let (mut sender, inbox) = midi_queue(256);
/// let mut live = LiveSynth::new(RealtimeEngine::new(48_000.0), inbox);
/// sender.send(MidiMessage::NoteOn { channel: 0, key: 60, velocity: 100 })?;
/// let mut block = [0.0f32; 512];
/// live.render_stereo(&mut block); // plays the note from this block on
/// assert_eq!(live.engine().get_active_voice_count(), 1);
/// # Ok::<(), polyphonica::midi::QueueFull>(())
/// ```
pub fn midi_queue(capacity: usize) -> (MidiSender, MidiInbox) {
    let (producer, consumer) = rtrb::RingBuffer::new(capacity.max(1));
    (
        MidiSender {
            producer,
            parser: MidiParser::new(),
            dropped: 0,
        },
        MidiInbox { consumer },
    )
}

impl MidiSender {
    /// Queues a message for the audio side.
    ///
    /// # Errors
    /// [`QueueFull`] when the audio side has not kept up; the message is
    /// handed back, nothing is dropped silently.
    pub fn send(&mut self, message: MidiMessage) -> Result<(), QueueFull> {
        self.producer
            .push(message)
            .map_err(|rtrb::PushError::Full(m)| QueueFull(m))
    }

    /// Parses raw MIDI bytes (any split of the stream, running status
    /// included) and queues every channel message. Messages that find the
    /// queue full are counted in [`dropped`](Self::dropped): a driver
    /// callback cannot wait.
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let (producer, dropped) = (&mut self.producer, &mut self.dropped);
        self.parser.feed(bytes, |m| {
            if producer.push(m).is_err() {
                *dropped += 1;
            }
        });
    }

    /// Messages [`send_bytes`](Self::send_bytes) could not queue.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// The audio side of a live MIDI queue.
#[derive(Debug)]
pub struct MidiInbox {
    consumer: rtrb::Consumer<MidiMessage>,
}

/// An engine played by live MIDI: at the start of each block it applies the
/// messages that arrived (so a note starts at most one buffer after it was
/// received), then renders. Nothing here allocates or locks.
#[derive(Debug)]
pub struct LiveSynth {
    engine: RealtimeEngine,
    synth: MidiSynth,
    inbox: MidiInbox,
}

impl LiveSynth {
    /// Plays `engine` from the messages arriving in `inbox`, with a default
    /// [`MidiSynth`].
    pub fn new(engine: RealtimeEngine, inbox: MidiInbox) -> Self {
        LiveSynth {
            engine,
            synth: MidiSynth::new(),
            inbox,
        }
    }

    /// The synth, to set presets, drum samples or gain before playing.
    pub fn synth_mut(&mut self) -> &mut MidiSynth {
        &mut self.synth
    }

    /// The engine.
    pub fn engine(&self) -> &RealtimeEngine {
        &self.engine
    }

    fn apply_pending(&mut self) {
        while let Ok(message) = self.inbox.consumer.pop() {
            self.synth.handle(&mut self.engine, message);
        }
    }

    /// Applies the queued messages, then renders interleaved stereo.
    pub fn render_stereo(&mut self, output: &mut [f32]) {
        self.apply_pending();
        self.engine.process_stereo_buffer(output);
    }

    /// Applies the queued messages, then renders mono.
    pub fn render_mono(&mut self, output: &mut [f32]) {
        self.apply_pending();
        self.engine.process_buffer(output);
    }
}

#[cfg(feature = "playback")]
impl crate::playback::RenderStereo for LiveSynth {
    fn render_stereo(&mut self, output: &mut [f32]) {
        LiveSynth::render_stereo(self, output);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_hands_the_message_back_and_counts_byte_drops() {
        let (mut tx, _rx) = midi_queue(2);
        let m = MidiMessage::NoteOff { channel: 0, key: 1 };
        tx.send(m).unwrap();
        tx.send(m).unwrap();
        assert_eq!(tx.send(m), Err(QueueFull(m)));
        tx.send_bytes(&[0x80, 1, 0, 2, 0]);
        assert_eq!(tx.dropped(), 2);
    }

    #[test]
    fn bytes_become_notes_at_the_next_block() {
        let (mut tx, rx) = midi_queue(64);
        let mut live = LiveSynth::new(RealtimeEngine::new(48_000.0), rx);
        let mut block = [0.0f32; 128];
        tx.send_bytes(&[0x90, 60, 100, 64, 100]); // two notes, running status
        live.render_mono(&mut block);
        assert_eq!(live.engine().get_active_voice_count(), 2);
        assert!(
            block.iter().any(|s| *s != 0.0),
            "the notes sound in this block"
        );
        tx.send_bytes(&[0x80, 60, 0, 0x90, 64, 0]);
        live.render_mono(&mut block);
        assert!(live
            .engine()
            .active_voices()
            .all(|v| v.envelope_phase() == crate::EnvelopePhase::Release));
    }
}
