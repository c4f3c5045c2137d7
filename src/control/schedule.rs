//! `Schedule`: the audio side's events waiting for their frame, in a
//! binary heap whose memory is allocated once, at the split.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::command::started_voice;
use crate::{Event, VoiceId};

/// One waiting event. Ordered so the heap's top is the earliest frame and,
/// within a frame, the first to arrive.
#[derive(Debug)]
struct Entry {
    frame: u64,
    arrival: u64,
    event: Event,
}

impl Entry {
    fn key(&self) -> (u64, u64) {
        (self.frame, self.arrival)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap.
        other.key().cmp(&self.key())
    }
}

/// Events ordered by (frame, arrival), at most `capacity` of them. Never
/// allocates after [`Schedule::new`].
#[derive(Debug)]
pub(crate) struct Schedule {
    heap: BinaryHeap<Entry>,
    capacity: usize,
    arrivals: u64,
    /// How many waiting events are triggers (to skip searching for one).
    note_ons: usize,
}

impl Schedule {
    pub(crate) fn new(capacity: usize) -> Self {
        Schedule {
            heap: BinaryHeap::with_capacity(capacity),
            capacity,
            arrivals: 0,
            note_ons: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    pub(crate) fn has_room(&self) -> bool {
        self.heap.len() < self.capacity
    }

    /// Adds `event` at `frame`, after every event already there for that
    /// frame. The caller checks [`has_room`](Self::has_room) first.
    pub(crate) fn push(&mut self, frame: u64, event: Event) {
        debug_assert!(
            self.has_room(),
            "the schedule never grows past its capacity"
        );
        self.note_ons += started_voice(&event).is_some() as usize;
        self.arrivals += 1;
        self.heap.push(Entry {
            frame,
            arrival: self.arrivals,
            event,
        });
    }

    /// The frame of the earliest waiting event.
    pub(crate) fn next_frame(&self) -> Option<u64> {
        self.heap.peek().map(|e| e.frame)
    }

    /// The earliest waiting event if it is due at or before `frame`.
    pub(crate) fn pop_due(&mut self, frame: u64) -> Option<Event> {
        if self.heap.peek()?.frame > frame {
            return None;
        }
        let entry = self.heap.pop()?;
        self.note_ons -= started_voice(&entry.event).is_some() as usize;
        Some(entry.event)
    }

    /// The frame at which the trigger of `id` waits, if it does. Linear in
    /// the number of waiting events, and skipped when none is a trigger.
    pub(crate) fn pending_start(&self, id: VoiceId) -> Option<u64> {
        if self.note_ons == 0 {
            return None;
        }
        self.heap
            .iter()
            .find(|e| started_voice(&e.event) == Some(id))
            .map(|e| e.frame)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::{AdsrEnvelope, Note, Waveform};

    fn off(raw: u64) -> Event {
        Event::NoteOff {
            id: VoiceId::from_raw(raw),
        }
    }

    fn raw(event: Option<Event>) -> Option<u64> {
        match event? {
            Event::NoteOff { id } => Some(id.raw()),
            Event::NoteOn { id, .. } => Some(id.raw()),
            _ => None,
        }
    }

    #[test]
    fn events_come_out_by_frame_then_arrival() {
        let mut s = Schedule::new(8);
        s.push(30, off(1));
        s.push(10, off(2));
        s.push(30, off(3));
        s.push(10, off(4));
        assert_eq!(s.next_frame(), Some(10));
        assert_eq!(raw(s.pop_due(5)), None);
        assert_eq!(raw(s.pop_due(10)), Some(2));
        assert_eq!(raw(s.pop_due(10)), Some(4));
        assert_eq!(raw(s.pop_due(29)), None);
        assert_eq!(raw(s.pop_due(100)), Some(1));
        assert_eq!(raw(s.pop_due(100)), Some(3));
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn finds_waiting_triggers() {
        let mut s = Schedule::new(4);
        let id = VoiceId::from_raw(9);
        assert_eq!(s.pending_start(id), None);
        let note = Note::new(Waveform::Sine, 440.0, AdsrEnvelope::default());
        s.push(500, Event::NoteOn { id, note });
        s.push(100, off(9));
        assert_eq!(s.pending_start(id), Some(500));
        assert_eq!(s.pending_start(VoiceId::from_raw(8)), None);
        assert_eq!(raw(s.pop_due(100)), Some(9));
        assert_eq!(raw(s.pop_due(500)), Some(9));
        assert_eq!(s.pending_start(id), None);
        assert!(s.has_room());
    }
}
