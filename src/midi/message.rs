//! Channel messages: the part of MIDI that plays notes.

use midly::live::LiveEvent;
use midly::stream::MidiStream;

/// A MIDI channel message, as the synthesizer uses it. Channels are
/// `0..=15` (channel 10 of the MIDI spec is `9` here).
///
/// ```
/// use polyphonica::midi::MidiMessage;
///
/// assert_eq!(
///     MidiMessage::parse(&[0x90, 60, 100]),
///     Some(MidiMessage::NoteOn { channel: 0, key: 60, velocity: 100 })
/// );
/// // A note-on with velocity 0 is a note-off.
/// assert_eq!(MidiMessage::parse(&[0x93, 60, 0]), Some(MidiMessage::NoteOff { channel: 3, key: 60 }));
/// assert_eq!(MidiMessage::parse(&[0xE0, 0x00, 0x40]), Some(MidiMessage::PitchBend { channel: 0, value: 0 }));
/// assert_eq!(MidiMessage::parse(&[0xF8]), None); // clock: not a channel message
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MidiMessage {
    /// A key pressed with a velocity `1..=127`.
    NoteOn {
        /// Channel `0..=15`.
        channel: u8,
        /// Key `0..=127` (60 is middle C).
        key: u8,
        /// Velocity `1..=127`.
        velocity: u8,
    },
    /// A key let go (also a note-on with velocity 0).
    NoteOff {
        /// Channel `0..=15`.
        channel: u8,
        /// Key `0..=127`.
        key: u8,
    },
    /// A controller moved.
    ControlChange {
        /// Channel `0..=15`.
        channel: u8,
        /// Controller number `0..=127`.
        controller: u8,
        /// Value `0..=127`.
        value: u8,
    },
    /// A new instrument for the channel.
    ProgramChange {
        /// Channel `0..=15`.
        channel: u8,
        /// General MIDI program `0..=127`.
        program: u8,
    },
    /// The pitch wheel moved: `-8192..=8191`, 0 is centre.
    PitchBend {
        /// Channel `0..=15`.
        channel: u8,
        /// Bend `-8192..=8191`.
        value: i16,
    },
    /// The channel's pressure (channel aftertouch).
    ChannelPressure {
        /// Channel `0..=15`.
        channel: u8,
        /// Pressure `0..=127`.
        pressure: u8,
    },
    /// One key's pressure (polyphonic aftertouch).
    PolyPressure {
        /// Channel `0..=15`.
        channel: u8,
        /// Key `0..=127`.
        key: u8,
        /// Pressure `0..=127`.
        pressure: u8,
    },
}

impl MidiMessage {
    /// Parses one complete message (status byte and its data bytes).
    /// Returns `None` for anything that is not a channel message (system
    /// messages, malformed bytes). Never allocates, so the audio side may
    /// call it (system messages are refused before midly reads them: it
    /// copies a system exclusive message's data).
    ///
    /// ```
    /// use polyphonica::midi::MidiMessage;
    /// assert_eq!(
    ///     MidiMessage::parse(&[0x91, 60, 100]),
    ///     Some(MidiMessage::NoteOn { channel: 1, key: 60, velocity: 100 })
    /// );
    /// assert_eq!(MidiMessage::parse(&[0xF0, 1, 2]), None);
    /// ```
    pub fn parse(bytes: &[u8]) -> Option<MidiMessage> {
        if bytes.first().is_some_and(|&status| status >= 0xF0) {
            return None;
        }
        match LiveEvent::parse(bytes).ok()? {
            LiveEvent::Midi { channel, message } => Self::from_midly(channel.as_int(), message),
            _ => None,
        }
    }

    /// Converts a message decoded by midly.
    pub(crate) fn from_midly(channel: u8, message: midly::MidiMessage) -> Option<MidiMessage> {
        use midly::MidiMessage as M;
        Some(match message {
            M::NoteOn { key, vel } if vel.as_int() == 0 => MidiMessage::NoteOff {
                channel,
                key: key.as_int(),
            },
            M::NoteOn { key, vel } => MidiMessage::NoteOn {
                channel,
                key: key.as_int(),
                velocity: vel.as_int(),
            },
            M::NoteOff { key, .. } => MidiMessage::NoteOff {
                channel,
                key: key.as_int(),
            },
            M::Controller { controller, value } => MidiMessage::ControlChange {
                channel,
                controller: controller.as_int(),
                value: value.as_int(),
            },
            M::ProgramChange { program } => MidiMessage::ProgramChange {
                channel,
                program: program.as_int(),
            },
            M::PitchBend { bend } => MidiMessage::PitchBend {
                channel,
                value: bend.as_int(),
            },
            M::Aftertouch { key, vel } => MidiMessage::PolyPressure {
                channel,
                key: key.as_int(),
                pressure: vel.as_int(),
            },
            M::ChannelAftertouch { vel } => MidiMessage::ChannelPressure {
                channel,
                pressure: vel.as_int(),
            },
        })
    }
}

/// Turns a live MIDI byte stream into messages: running status, system
/// real-time bytes in the middle of a message, and SysEx are handled (by
/// midly's stream parser).
///
/// ```
/// use polyphonica::midi::{MidiMessage, MidiParser};
///
/// let mut parser = MidiParser::new();
/// let mut got = Vec::new();
/// // Note on, then a second note by running status, with a clock byte inside.
/// parser.feed(&[0x90, 60, 100, 64, 0xF8, 90], |m| got.push(m));
/// assert_eq!(got, [
///     MidiMessage::NoteOn { channel: 0, key: 60, velocity: 100 },
///     MidiMessage::NoteOn { channel: 0, key: 64, velocity: 90 },
/// ]);
/// ```
#[derive(Debug, Default)]
pub struct MidiParser {
    stream: MidiStream,
}

impl MidiParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        MidiParser::default()
    }

    /// Feeds bytes (any split of the stream) and calls `on_message` for each
    /// complete channel message.
    pub fn feed(&mut self, bytes: &[u8], mut on_message: impl FnMut(MidiMessage)) {
        self.stream.feed(bytes, |event| {
            if let LiveEvent::Midi { channel, message } = event {
                if let Some(m) = MidiMessage::from_midly(channel.as_int(), message) {
                    on_message(m);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_stream(chunks: &[&[u8]]) -> Vec<MidiMessage> {
        let mut parser = MidiParser::new();
        let mut out = Vec::new();
        for c in chunks {
            parser.feed(c, |m| out.push(m));
        }
        out
    }

    #[test]
    fn messages_split_across_feeds_are_joined() {
        let got = parse_stream(&[&[0xB2], &[7], &[100, 0xC2], &[5]]);
        assert_eq!(
            got,
            [
                MidiMessage::ControlChange {
                    channel: 2,
                    controller: 7,
                    value: 100
                },
                MidiMessage::ProgramChange {
                    channel: 2,
                    program: 5
                },
            ]
        );
    }

    #[test]
    fn running_status_with_velocity_zero_gives_note_offs() {
        let got = parse_stream(&[&[0x99, 36, 127, 36, 0, 38, 80]]);
        assert_eq!(
            got,
            [
                MidiMessage::NoteOn {
                    channel: 9,
                    key: 36,
                    velocity: 127
                },
                MidiMessage::NoteOff {
                    channel: 9,
                    key: 36
                },
                MidiMessage::NoteOn {
                    channel: 9,
                    key: 38,
                    velocity: 80
                },
            ]
        );
    }

    #[test]
    fn pitch_bend_extremes_and_sysex_in_between() {
        let got = parse_stream(&[&[0xE1, 0, 0, 0xF0, 1, 2, 3, 0xF7, 0xE1, 0x7F, 0x7F]]);
        assert_eq!(
            got,
            [
                MidiMessage::PitchBend {
                    channel: 1,
                    value: -8192
                },
                MidiMessage::PitchBend {
                    channel: 1,
                    value: 8191
                },
            ]
        );
    }

    #[test]
    fn garbage_and_stray_data_bytes_are_ignored() {
        let got = parse_stream(&[&[1, 2, 3, 0x80], &[60], &[0x40]]);
        assert_eq!(
            got,
            [MidiMessage::NoteOff {
                channel: 0,
                key: 60
            }]
        );
        assert_eq!(MidiMessage::parse(&[]), None);
        assert_eq!(MidiMessage::parse(&[0x90, 200, 1]), None);
        assert_eq!(
            MidiMessage::parse(&[0xA0, 60, 1]),
            Some(MidiMessage::PolyPressure {
                channel: 0,
                key: 60,
                pressure: 1
            })
        );
        assert_eq!(
            MidiMessage::parse(&[0xD3, 90]),
            Some(MidiMessage::ChannelPressure {
                channel: 3,
                pressure: 90
            })
        );
    }
}
