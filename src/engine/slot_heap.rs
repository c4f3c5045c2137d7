//! `SlotHeap`: a set of voice slots ordered by a key, with the smallest
//! found in O(1) and any slot added or removed in O(log n). The core keeps
//! one per kind of slot (free, held, releasing, fading), so choosing the
//! voice to steal or the slot to fill never scans the pool.
//!
//! All memory is allocated by [`SlotHeap::new`]; nothing after allocates.

/// Marks a slot that is not in the heap.
const ABSENT: u32 = u32::MAX;

/// An indexed binary min-heap of slot numbers `0..slots`, each with a `u64`
/// key. Ties between equal keys go to the lower slot.
#[derive(Debug)]
pub(crate) struct SlotHeap {
    /// The slots in the heap, in heap order (`heap[0]` is the smallest).
    heap: Box<[u32]>,
    /// Each slot's key (meaningful while it is in the heap).
    keys: Box<[u64]>,
    /// Each slot's index in `heap`, or [`ABSENT`].
    position: Box<[u32]>,
    len: usize,
}

impl SlotHeap {
    /// An empty heap for slots `0..slots` (fewer than `u32::MAX`).
    pub(crate) fn new(slots: usize) -> Self {
        assert!(slots < ABSENT as usize, "too many slots for a SlotHeap");
        SlotHeap {
            heap: vec![0; slots].into_boxed_slice(),
            keys: vec![0; slots].into_boxed_slice(),
            position: vec![ABSENT; slots].into_boxed_slice(),
            len: 0,
        }
    }

    /// A heap holding every slot, keyed by its own number (a free list that
    /// hands out the lowest slot first).
    pub(crate) fn all_by_number(slots: usize) -> Self {
        let mut heap = SlotHeap::new(slots);
        for slot in 0..slots {
            // In ascending order every key is at least its parent's: already
            // a heap, no sifting needed.
            heap.heap[slot] = slot as u32;
            heap.keys[slot] = slot as u64;
            heap.position[slot] = slot as u32;
        }
        heap.len = slots;
        heap
    }

    /// How many slots are in the heap.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn contains(&self, slot: usize) -> bool {
        self.position[slot] != ABSENT
    }

    /// The slot with the smallest key, if any.
    pub(crate) fn peek(&self) -> Option<usize> {
        (self.len > 0).then(|| self.heap[0] as usize)
    }

    /// Adds `slot` with `key` (a slot already in the heap gets the new key).
    pub(crate) fn insert(&mut self, slot: usize, key: u64) {
        if self.contains(slot) {
            self.remove(slot);
        }
        let at = self.len;
        self.len += 1;
        self.heap[at] = slot as u32;
        self.keys[slot] = key;
        self.position[slot] = at as u32;
        self.sift_up(at);
    }

    /// Removes `slot`; returns whether it was there.
    pub(crate) fn remove(&mut self, slot: usize) -> bool {
        let at = self.position[slot];
        if at == ABSENT {
            return false;
        }
        let at = at as usize;
        self.len -= 1;
        let last = self.heap[self.len];
        self.position[slot] = ABSENT;
        if at < self.len {
            self.heap[at] = last;
            self.position[last as usize] = at as u32;
            // The moved slot may belong above or below its new place.
            self.sift_up(at);
            self.sift_down(self.position[last as usize] as usize);
        }
        true
    }

    /// Removes and returns the slot with the smallest key.
    pub(crate) fn pop(&mut self) -> Option<usize> {
        let slot = self.peek()?;
        self.remove(slot);
        Some(slot)
    }

    /// Whether the slot at heap index `a` orders before the one at `b`.
    fn before(&self, a: usize, b: usize) -> bool {
        let (sa, sb) = (self.heap[a], self.heap[b]);
        (self.keys[sa as usize], sa) < (self.keys[sb as usize], sb)
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.position[self.heap[a] as usize] = a as u32;
        self.position[self.heap[b] as usize] = b as u32;
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if !self.before(at, parent) {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
    }

    fn sift_down(&mut self, mut at: usize) {
        loop {
            let left = 2 * at + 1;
            if left >= self.len {
                break;
            }
            let right = left + 1;
            let child = if right < self.len && self.before(right, left) {
                right
            } else {
                left
            };
            if !self.before(child, at) {
                break;
            }
            self.swap(at, child);
            at = child;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn free_list_hands_out_the_lowest_slot() {
        let mut free = SlotHeap::all_by_number(5);
        assert_eq!(free.pop(), Some(0));
        assert_eq!(free.pop(), Some(1));
        free.insert(0, 0);
        assert_eq!(free.peek(), Some(0));
        assert!(free.remove(3));
        assert!(!free.remove(3));
        let rest: Vec<_> = std::iter::from_fn(|| free.pop()).collect();
        assert_eq!(rest, [0, 2, 4]);
    }

    #[test]
    fn equal_keys_go_to_the_lower_slot() {
        let mut heap = SlotHeap::new(8);
        for slot in [6, 2, 7, 4] {
            heap.insert(slot, 10);
        }
        heap.insert(5, 3);
        let order: Vec<_> = std::iter::from_fn(|| heap.pop()).collect();
        assert_eq!(order, [5, 2, 4, 6, 7]);
    }

    proptest! {
        /// Any sequence of inserts and removes: the heap's minimum is always
        /// the smallest (key, slot) of a plain ordered set fed the same way.
        #[test]
        fn matches_an_ordered_set(ops in proptest::collection::vec((0usize..40, 0u64..20, any::<bool>()), 0..400)) {
            let mut heap = SlotHeap::new(40);
            let mut model: BTreeSet<(u64, usize)> = BTreeSet::new();
            let mut keys = [0u64; 40];
            for (slot, key, add) in ops {
                if add {
                    model.remove(&(keys[slot], slot));
                    heap.insert(slot, key);
                    model.insert((key, slot));
                    keys[slot] = key;
                } else {
                    prop_assert_eq!(heap.remove(slot), model.remove(&(keys[slot], slot)));
                }
                prop_assert_eq!(heap.len(), model.len());
                prop_assert_eq!(heap.peek(), model.first().map(|&(_, s)| s));
            }
        }
    }
}
