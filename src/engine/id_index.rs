//! `IdIndex`: which slot plays which voice id, found in O(1) whatever the
//! pool's size (a call with a stale id costs one probe sequence, not a scan
//! of every slot).
//!
//! A fixed-size open-addressing table with linear probing, at most half
//! full, allocated once by [`IdIndex::new`]; removal shifts entries back,
//! so no tombstones build up and nothing ever allocates or rehashes.

use super::VoiceId;

/// An empty entry (voice ids start at 1).
const EMPTY: u64 = 0;

/// Voice id → slot, for at most `slots` ids at once.
#[derive(Debug)]
pub(crate) struct IdIndex {
    /// `(raw id, slot)`; a power-of-two length at least twice `slots`.
    entries: Box<[(u64, u32)]>,
    mask: usize,
}

impl IdIndex {
    /// An index with room for `slots` ids.
    pub(crate) fn new(slots: usize) -> Self {
        let size = (slots.max(1) * 2).next_power_of_two();
        IdIndex {
            entries: vec![(EMPTY, 0); size].into_boxed_slice(),
            mask: size - 1,
        }
    }

    /// Where `raw` would sit with no collisions (Fibonacci hashing: ids
    /// are consecutive numbers, which this spreads over the table).
    fn home(&self, raw: u64) -> usize {
        (raw.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & self.mask
    }

    /// The slot playing `id`, if any.
    pub(crate) fn get(&self, id: VoiceId) -> Option<usize> {
        let raw = id.raw();
        if raw == EMPTY {
            return None;
        }
        let mut at = self.home(raw);
        loop {
            let (key, slot) = self.entries[at];
            if key == raw {
                return Some(slot as usize);
            }
            if key == EMPTY {
                return None;
            }
            at = (at + 1) & self.mask;
        }
    }

    /// Records that `slot` plays `id` (replacing what `id` had). Id 0 is
    /// never recorded (no engine hands it out; it stays unreachable).
    pub(crate) fn insert(&mut self, id: VoiceId, slot: usize) {
        let raw = id.raw();
        if raw == EMPTY {
            return;
        }
        let mut at = self.home(raw);
        // The table is at most half full, so an empty entry is always found.
        while self.entries[at].0 != EMPTY && self.entries[at].0 != raw {
            at = (at + 1) & self.mask;
        }
        self.entries[at] = (raw, slot as u32);
    }

    /// Forgets `id`.
    pub(crate) fn remove(&mut self, id: VoiceId) {
        let raw = id.raw();
        if raw == EMPTY {
            return;
        }
        let mut at = self.home(raw);
        loop {
            match self.entries[at].0 {
                EMPTY => return,
                key if key == raw => break,
                _ => at = (at + 1) & self.mask,
            }
        }
        // Backward-shift deletion: move later entries of the run into the
        // hole when their home does not lie (cyclically) after the hole.
        let mut hole = at;
        let mut next = (hole + 1) & self.mask;
        while self.entries[next].0 != EMPTY {
            let home = self.home(self.entries[next].0);
            let distance_to_next = next.wrapping_sub(home) & self.mask;
            let distance_to_hole = hole.wrapping_sub(home) & self.mask;
            if distance_to_hole <= distance_to_next {
                self.entries[hole] = self.entries[next];
                hole = next;
            }
            next = (next + 1) & self.mask;
        }
        self.entries[hole] = (EMPTY, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn finds_what_was_inserted_and_forgets_what_was_removed() {
        let mut index = IdIndex::new(4);
        index.insert(VoiceId::from_raw(1), 3);
        index.insert(VoiceId::from_raw(9), 0);
        assert_eq!(index.get(VoiceId::from_raw(1)), Some(3));
        assert_eq!(index.get(VoiceId::from_raw(9)), Some(0));
        assert_eq!(index.get(VoiceId::from_raw(2)), None);
        index.remove(VoiceId::from_raw(1));
        assert_eq!(index.get(VoiceId::from_raw(1)), None);
        assert_eq!(index.get(VoiceId::from_raw(9)), Some(0));
        index.insert(VoiceId::from_raw(0), 1);
        assert_eq!(index.get(VoiceId::from_raw(0)), None);
    }

    proptest! {
        /// Inserts and removes of up to `slots` live ids, with ids from a
        /// small range so probe runs collide and wrap: the index always
        /// agrees with a HashMap fed the same way.
        #[test]
        fn matches_a_hash_map(ops in proptest::collection::vec((1u64..64, 0usize..8, any::<bool>()), 0..500)) {
            let slots = 8;
            let mut index = IdIndex::new(slots);
            let mut model: HashMap<u64, usize> = HashMap::new();
            for (raw, slot, add) in ops {
                let id = VoiceId::from_raw(raw);
                if add && (model.len() < slots || model.contains_key(&raw)) {
                    index.insert(id, slot);
                    model.insert(raw, slot);
                } else {
                    index.remove(id);
                    model.remove(&raw);
                }
                for probe in 1u64..64 {
                    prop_assert_eq!(index.get(VoiceId::from_raw(probe)), model.get(&probe).copied());
                }
            }
        }
    }
}
