//! `Schedule`: the audio side's events waiting for their frame, in memory
//! allocated once, at the split.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use super::command::started_voice;
use crate::{Event, VoiceId};

/// The heap's view of one waiting event: its place in time and the slot
/// holding it. Small, so the heap moves 24 bytes, not whole events. Ordered
/// so the heap's top is the earliest frame and, within a frame, the first
/// to arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    frame: u64,
    arrival: u64,
    slot: u32,
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap. Arrivals are unique, so
        // (frame, arrival) orders every pair of keys.
        (other.frame, other.arrival).cmp(&(self.frame, self.arrival))
    }
}

/// Where a trigger waits.
/// Who sent a waiting event, and from which budget: what the audio side
/// needs to give the budget back and to cancel a controller's events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The queue (one per controller slot) it came through.
    pub(crate) lane: u16,
    /// Sent for a frame (the timed budget), not for "now" (the immediate
    /// budget).
    pub(crate) timed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// Among the events due at the block's start.
    Now,
    /// In the heap, for this frame.
    At(u64),
}

/// Events ordered by (frame, arrival), at most `capacity` of them. Never
/// allocates after [`Schedule::new`].
///
/// Events due at the start of the current block (commands sent for "now",
/// or late) go to a FIFO in arrival order, which costs O(1); later ones to
/// a binary heap. The heap's events due at the block's start arrived in
/// earlier blocks, so they come out first, then the FIFO's.
#[derive(Debug)]
pub(crate) struct Schedule {
    heap: BinaryHeap<Key>,
    due: VecDeque<u32>,
    /// The events, each in the slot its key names.
    slots: Box<[Option<(Event, Origin)>]>,
    /// Slots holding no event.
    free: Vec<u32>,
    arrivals: u64,
    /// The current block's first frame.
    now: u64,
    /// How many waiting events are triggers (to skip searching for one).
    note_ons: usize,
}

impl Schedule {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.min(u32::MAX as usize);
        Schedule {
            heap: BinaryHeap::with_capacity(capacity),
            due: VecDeque::with_capacity(capacity),
            slots: (0..capacity).map(|_| None).collect(),
            free: (0..capacity as u32).rev().collect(),
            arrivals: 0,
            now: 0,
            note_ons: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len() + self.due.len()
    }

    pub(crate) fn has_room(&self) -> bool {
        !self.free.is_empty()
    }

    /// Starts a block at frame `start`: events pushed for it or earlier are
    /// due at once.
    pub(crate) fn begin_block(&mut self, start: u64) {
        debug_assert!(self.due.is_empty(), "every due event was applied");
        self.now = start;
    }

    /// Stores `event`, returning its slot. The caller checks
    /// [`has_room`](Self::has_room) first.
    fn store(&mut self, event: Event, origin: Origin) -> Option<u32> {
        let Some(slot) = self.free.pop() else {
            debug_assert!(false, "the schedule never grows past its capacity");
            return None;
        };
        self.note_ons += started_voice(&event).is_some() as usize;
        self.slots[slot as usize] = Some((event, origin));
        Some(slot)
    }

    /// Adds `event` at `frame` (at the block's start if earlier), after
    /// every event already there for that frame. The caller checks
    /// [`has_room`](Self::has_room) first.
    pub(crate) fn push(&mut self, frame: u64, event: Event, origin: Origin) {
        if frame <= self.now {
            if let Some(slot) = self.store(event, origin) {
                self.due.push_back(slot);
            }
        } else {
            self.push_to_heap(frame, event, origin);
        }
    }

    fn push_to_heap(&mut self, frame: u64, event: Event, origin: Origin) {
        if let Some(slot) = self.store(event, origin) {
            self.arrivals += 1;
            self.heap.push(Key {
                frame,
                arrival: self.arrivals,
                slot,
            });
        }
    }

    /// Adds `event` right after everything now waiting where `waiting`
    /// says (so after the trigger found there).
    pub(crate) fn push_after(&mut self, waiting: Waiting, event: Event, origin: Origin) {
        match waiting {
            Waiting::Now => {
                if let Some(slot) = self.store(event, origin) {
                    self.due.push_back(slot);
                }
            }
            Waiting::At(frame) => self.push_to_heap(frame, event, origin),
        }
    }

    /// Drops every event sent for a frame through `lane` that is still
    /// waiting, handing each to `discard`, and returns how many. Linear in the waiting events; no
    /// allocation (the heap and the FIFO are filtered in place).
    pub(crate) fn cancel_timed(&mut self, lane: u16, mut discard: impl FnMut(Event)) -> usize {
        let before = self.free.len();
        let (slots, free, note_ons) = (&mut self.slots, &mut self.free, &mut self.note_ons);
        // Takes the event out of `slot` if it is one to cancel.
        let mut cancel = |slot: u32| {
            let entry = &mut slots[slot as usize];
            if !matches!(entry, Some((_, o)) if o.timed && o.lane == lane) {
                return false;
            }
            if let Some((event, _)) = entry.take() {
                *note_ons -= started_voice(&event).is_some() as usize;
                discard(event);
            }
            free.push(slot);
            true
        };
        self.heap.retain(|k| !cancel(k.slot));
        self.due.retain(|&slot| !cancel(slot));
        self.free.len() - before
    }

    /// The frame of the earliest waiting event.
    pub(crate) fn next_frame(&self) -> Option<u64> {
        if self.due.is_empty() {
            self.heap.peek().map(|k| k.frame)
        } else {
            Some(self.now)
        }
    }

    /// The earliest waiting event if it is due at or before `frame` (which
    /// is in the current block).
    pub(crate) fn pop_due(&mut self, frame: u64) -> Option<(Event, Origin)> {
        let slot = match self.heap.peek() {
            Some(top) if top.frame <= frame => self.heap.pop()?.slot,
            _ => self.due.pop_front()?,
        };
        self.free.push(slot);
        let (event, origin) = self.slots[slot as usize].take()?;
        self.note_ons -= started_voice(&event).is_some() as usize;
        Some((event, origin))
    }

    /// Whether any waiting event is a trigger.
    pub(crate) fn has_waiting_triggers(&self) -> bool {
        self.note_ons > 0
    }

    /// Where the trigger of `id` waits, if it does. Linear in the number
    /// of waiting events, and skipped when none is a trigger.
    pub(crate) fn pending_start(&self, id: VoiceId) -> Option<Waiting> {
        if self.note_ons == 0 {
            return None;
        }
        let starts = |slot: u32| {
            self.slots[slot as usize]
                .as_ref()
                .and_then(|(event, _)| started_voice(event))
                == Some(id)
        };
        if self.due.iter().any(|slot| starts(*slot)) {
            return Some(Waiting::Now);
        }
        self.heap
            .iter()
            .find(|k| starts(k.slot))
            .map(|k| Waiting::At(k.frame))
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

    fn raw(event: Option<(Event, Origin)>) -> Option<u64> {
        match event?.0 {
            Event::NoteOff { id } => Some(id.raw()),
            Event::NoteOn { id, .. } => Some(id.raw()),
            _ => None,
        }
    }

    #[test]
    fn events_come_out_by_frame_then_arrival() {
        let mut s = Schedule::new(8);
        s.push(30, off(1), Origin::default());
        s.push(10, off(2), Origin::default());
        s.push(30, off(3), Origin::default());
        s.push(10, off(4), Origin::default());
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
        s.push(500, Event::NoteOn { id, note }, Origin::default());
        s.push(100, off(9), Origin::default());
        assert_eq!(s.pending_start(id), Some(Waiting::At(500)));
        assert_eq!(s.pending_start(VoiceId::from_raw(8)), None);
        assert_eq!(raw(s.pop_due(100)), Some(9));
        assert_eq!(raw(s.pop_due(500)), Some(9));
        assert_eq!(s.pending_start(id), None);
        assert!(s.has_room());
    }

    #[test]
    fn events_due_now_follow_the_heaps_due_events_in_arrival_order() {
        let mut s = Schedule::new(8);
        s.push(100, off(1), Origin::default()); // scheduled in an earlier block
        s.push(150, off(2), Origin::default());
        s.begin_block(100);
        s.push(100, off(3), Origin::default()); // "now"
        s.push(40, off(4), Origin::default()); // late
        s.push(120, off(5), Origin::default());
        assert_eq!(s.next_frame(), Some(100));
        let order: Vec<_> = std::iter::from_fn(|| raw(s.pop_due(100))).collect();
        assert_eq!(order, [1, 3, 4]);
        assert_eq!(s.next_frame(), Some(120));
        assert_eq!(raw(s.pop_due(150)), Some(5));
        assert_eq!(raw(s.pop_due(150)), Some(2));
        assert_eq!(s.len(), 0);
    }

    #[test]
    fn cancelling_drops_one_lanes_timed_events_only() {
        let mut s = Schedule::new(8);
        let timed = |lane| Origin { lane, timed: true };
        let id = VoiceId::from_raw(5);
        let note = Note::new(Waveform::Sine, 440.0, AdsrEnvelope::default());
        s.push(1_000_000, Event::NoteOn { id, note }, timed(1));
        s.push(50, off(1), timed(1));
        s.push(60, off(2), timed(0));
        s.push(0, off(3), timed(1)); // late: due now, not yet applied
        s.push(
            0,
            off(4),
            Origin {
                lane: 1,
                timed: false,
            },
        );
        assert!(s.has_waiting_triggers());
        assert_eq!(s.cancel_timed(1, drop), 3);
        assert!(!s.has_waiting_triggers());
        assert_eq!(s.len(), 2);
        let order: Vec<_> = std::iter::from_fn(|| raw(s.pop_due(100))).collect();
        assert_eq!(order, [2, 4]);
        // Every slot came back.
        for i in 0..8 {
            s.push(i, off(i), timed(0));
        }
        assert!(!s.has_room());
    }

    #[test]
    fn an_event_pushed_after_a_waiting_trigger_follows_it() {
        let mut s = Schedule::new(8);
        let id = VoiceId::from_raw(7);
        let note = Note::new(Waveform::Sine, 440.0, AdsrEnvelope::default());
        s.begin_block(10);
        s.push(0, off(1), Origin::default());
        s.push(
            10,
            Event::NoteOn {
                id,
                note: note.clone(),
            },
            Origin::default(),
        );
        s.push(10, off(2), Origin::default());
        assert_eq!(s.pending_start(id), Some(Waiting::Now));
        s.push_after(Waiting::Now, off(7), Origin::default());
        let order: Vec<_> = std::iter::from_fn(|| raw(s.pop_due(10))).collect();
        assert_eq!(order, [1, 7, 2, 7]);
        // A trigger in the heap at the block's start: the follower goes to
        // the heap too, right behind it.
        s.push(20, Event::NoteOn { id, note }, Origin::default());
        s.push(20, off(3), Origin::default());
        s.push_after(Waiting::At(20), off(7), Origin::default());
        s.begin_block(20);
        let order: Vec<_> = std::iter::from_fn(|| raw(s.pop_due(20))).collect();
        assert_eq!(order, [7, 3, 7]);
    }
}
