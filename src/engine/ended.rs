//! `EndedNotes`: the ids of notes that ended, kept in a fixed ring so the
//! audio side can report them without allocating.

use super::VoiceId;

/// A ring of note ids that ended, oldest first. Its memory is allocated
/// once; when full, the oldest id is dropped and counted.
#[derive(Debug)]
pub(crate) struct EndedNotes {
    ids: Box<[VoiceId]>,
    head: usize,
    len: usize,
    dropped: u64,
}

impl EndedNotes {
    /// A ring holding up to `capacity` ids (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        EndedNotes {
            ids: vec![VoiceId::from_raw(0); capacity.max(1)].into_boxed_slice(),
            head: 0,
            len: 0,
            dropped: 0,
        }
    }

    /// Records that `id` ended (dropping the oldest id when full).
    pub(crate) fn push(&mut self, id: VoiceId) {
        let capacity = self.ids.len();
        if self.len == capacity {
            self.head = (self.head + 1) % capacity;
            self.len -= 1;
            self.dropped += 1;
        }
        self.ids[(self.head + self.len) % capacity] = id;
        self.len += 1;
    }

    /// The oldest id not yet taken.
    pub(crate) fn pop(&mut self) -> Option<VoiceId> {
        if self.len == 0 {
            return None;
        }
        let id = self.ids[self.head];
        self.head = (self.head + 1) % self.ids.len();
        self.len -= 1;
        Some(id)
    }

    /// Ids dropped because the ring was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_ids_in_order_and_counts_the_dropped() {
        let mut ring = EndedNotes::new(3);
        for raw in 1..=5 {
            ring.push(VoiceId::from_raw(raw));
        }
        assert_eq!(ring.dropped(), 2);
        let taken: Vec<u64> = std::iter::from_fn(|| ring.pop())
            .map(VoiceId::raw)
            .collect();
        assert_eq!(taken, [3, 4, 5]);
        ring.push(VoiceId::from_raw(6));
        assert_eq!(ring.pop(), Some(VoiceId::from_raw(6)));
        assert_eq!(ring.pop(), None);
    }
}
