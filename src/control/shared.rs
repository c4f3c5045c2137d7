//! What the audio side and the controllers share: the id counter, the budget
//! of commands in flight, and the published status. All lock-free; the
//! counters are model-checked with loom (`--cfg loom`).

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use std::sync::{Mutex, MutexGuard};

use rtrb::{Consumer, Producer};

use super::command::Command;
use super::sync::{fence, spin, AtomicU64, AtomicUsize};
use crate::engine::VoiceIdSource;
use crate::VoiceId;

/// Everything the controllers of one split share (through an `Arc`).
///
/// The audio side touches only the atomics (the budget and the status).
/// The two mutexes are for controllers only: `free_lanes` is locked when a
/// controller is cloned or dropped, `garbage` is only ever `try_lock`ed.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) sample_rate: f32,
    pub(crate) voice_capacity: usize,
    pub(crate) ids: VoiceIdSource,
    /// Commands sent for a frame (`At::Frame`, `Secs`, `Beat`), queued or
    /// waiting for it.
    pub(crate) budget: PendingBudget,
    /// Commands sent for "now" (`At::Now`), queued or about to apply: a
    /// budget of their own, so a schedule full of far-future events can
    /// never lock out a release or a stop.
    pub(crate) immediate: PendingBudget,
    pub(crate) status: StatusCell,
    /// Producer ends of the command queues no controller holds.
    free_lanes: Mutex<Vec<Producer<Command>>>,
    /// Samples the audio side let go of, to be dropped here.
    garbage: Mutex<Consumer<crate::engine::Retired>>,
    /// Ids of the notes that ended, from the audio side.
    ended: Mutex<Consumer<VoiceId>>,
}

impl Shared {
    // One argument per shared part, each built by the split.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        sample_rate: f32,
        voice_capacity: usize,
        ids: VoiceIdSource,
        budget: PendingBudget,
        immediate: PendingBudget,
        status: StatusCell,
        free_lanes: Vec<Producer<Command>>,
        garbage: Consumer<crate::engine::Retired>,
        ended: Consumer<VoiceId>,
    ) -> Self {
        Shared {
            sample_rate,
            voice_capacity,
            ids,
            budget,
            immediate,
            status,
            free_lanes: Mutex::new(free_lanes),
            garbage: Mutex::new(garbage),
            ended: Mutex::new(ended),
        }
    }

    fn lanes(&self) -> MutexGuard<'_, Vec<Producer<Command>>> {
        // The vector is valid whatever a panicking holder was doing.
        self.free_lanes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A queue no controller holds, if any.
    pub(crate) fn claim_lane(&self) -> Option<Producer<Command>> {
        self.lanes().pop()
    }

    /// Gives a queue back (the vector has room for every queue: no
    /// allocation).
    pub(crate) fn return_lane(&self, lane: Producer<Command>) {
        self.lanes().push(lane);
    }

    /// The budget a command for `frame` counts against.
    pub(crate) fn budget_for(&self, timed: bool) -> &PendingBudget {
        if timed {
            &self.budget
        } else {
            &self.immediate
        }
    }

    /// Commands queued or waiting, from both budgets.
    pub(crate) fn pending(&self) -> usize {
        self.budget.used() + self.immediate.used()
    }

    /// The oldest ended-note id the audio side sent and no controller took
    /// yet (waits only for another controller taking one).
    pub(crate) fn take_ended_note(&self) -> Option<VoiceId> {
        let mut ended = self
            .ended
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        ended.pop().ok()
    }

    /// Drops the samples the audio side sent back, unless another
    /// controller is doing it right now (never waits).
    pub(crate) fn collect_garbage(&self) {
        if let Ok(mut garbage) = self.garbage.try_lock() {
            while let Ok(sample) = garbage.pop() {
                drop(sample);
            }
        }
    }
}

/// Counts commands sent and not yet applied, so the audio side's schedule
/// (sized to `capacity`) can never overflow: a controller reserves room
/// before it queues, the audio side gives it back as it applies.
#[derive(Debug)]
pub(crate) struct PendingBudget {
    used: AtomicUsize,
    capacity: usize,
}

impl PendingBudget {
    pub(crate) fn new(capacity: usize) -> Self {
        PendingBudget {
            used: AtomicUsize::new(0),
            capacity,
        }
    }

    /// Reserves room for `n` commands, or returns `false` (changing nothing)
    /// if that would exceed the capacity. `used` never exceeds `capacity`,
    /// not even for an instant.
    pub(crate) fn try_reserve(&self, n: usize) -> bool {
        let mut used = self.used.load(Relaxed);
        loop {
            if n > self.capacity - used {
                return false;
            }
            match self
                .used
                .compare_exchange_weak(used, used + n, Relaxed, Relaxed)
            {
                Ok(_) => return true,
                Err(now) => used = now,
            }
        }
    }

    /// Gives back room for `n` commands.
    pub(crate) fn release(&self, n: usize) {
        self.used.fetch_sub(n, Relaxed);
    }

    /// Commands reserved and not yet released.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Relaxed)
    }
}

/// One consistent snapshot of the audio side's state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Published {
    pub(crate) frame: u64,
    pub(crate) active_voices: u64,
    pub(crate) voices_stolen: u64,
    pub(crate) load: f32,
    pub(crate) master_volume: f32,
}

/// The audio side's status, written once per block by the audio side and
/// read by any controller. A sequence lock built from atomics only: the
/// writer never waits; a reader retries on the rare read that overlapped a
/// write, so it always gets the fields of one block, never a mix.
#[derive(Debug)]
pub(crate) struct StatusCell {
    /// Even when stable, odd while the audio side writes.
    seq: AtomicU64,
    frame: AtomicU64,
    active_voices: AtomicU64,
    voices_stolen: AtomicU64,
    load_bits: AtomicU64,
    master_bits: AtomicU64,
}

impl StatusCell {
    pub(crate) fn new(initial: Published) -> Self {
        StatusCell {
            seq: AtomicU64::new(0),
            frame: AtomicU64::new(initial.frame),
            active_voices: AtomicU64::new(initial.active_voices),
            voices_stolen: AtomicU64::new(initial.voices_stolen),
            load_bits: AtomicU64::new(initial.load.to_bits() as u64),
            master_bits: AtomicU64::new(initial.master_volume.to_bits() as u64),
        }
    }

    /// Publishes a snapshot. Only the audio side calls this (one writer).
    pub(crate) fn write(&self, p: Published) {
        let seq = self.seq.load(Relaxed);
        self.seq.store(seq.wrapping_add(1), Relaxed);
        // Orders the odd sequence before the field stores: a reader that
        // sees any new field then sees the odd (or a later) sequence.
        fence(Release);
        self.frame.store(p.frame, Relaxed);
        self.active_voices.store(p.active_voices, Relaxed);
        self.voices_stolen.store(p.voices_stolen, Relaxed);
        self.load_bits.store(p.load.to_bits() as u64, Relaxed);
        self.master_bits
            .store(p.master_volume.to_bits() as u64, Relaxed);
        self.seq.store(seq.wrapping_add(2), Release);
    }

    /// The last snapshot published, whole.
    pub(crate) fn read(&self) -> Published {
        loop {
            let before = self.seq.load(Acquire);
            if before % 2 == 0 {
                let p = Published {
                    frame: self.frame.load(Relaxed),
                    active_voices: self.active_voices.load(Relaxed),
                    voices_stolen: self.voices_stolen.load(Relaxed),
                    load: f32::from_bits(self.load_bits.load(Relaxed) as u32),
                    master_volume: f32::from_bits(self.master_bits.load(Relaxed) as u32),
                };
                // Pairs with the writer's release fence: if a field load saw
                // a store of a newer write, the load below sees its odd
                // sequence (or later) and the read is retried.
                fence(Acquire);
                if self.seq.load(Relaxed) == before {
                    return p;
                }
            }
            spin();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn budget_is_all_or_nothing() {
        let budget = PendingBudget::new(10);
        assert!(budget.try_reserve(7));
        assert!(!budget.try_reserve(4));
        assert_eq!(budget.used(), 7);
        assert!(budget.try_reserve(3));
        budget.release(5);
        assert_eq!(budget.used(), 5);
    }

    #[test]
    fn status_reads_are_whole_and_in_order_while_written() {
        use std::sync::Arc;
        let cell = Arc::new(StatusCell::new(Published::default()));
        let n = if cfg!(miri) { 40 } else { 20_000 };
        let reader = {
            let cell = cell.clone();
            std::thread::spawn(move || {
                let mut last = 0;
                for _ in 0..n {
                    let p = cell.read();
                    assert_eq!(
                        (p.active_voices, p.voices_stolen),
                        (p.frame, 2 * p.frame),
                        "torn read"
                    );
                    assert_eq!(
                        (p.load, p.master_volume),
                        (p.frame as f32, -(p.frame as f32)),
                        "torn read"
                    );
                    assert!(p.frame >= last, "the clock went back");
                    last = p.frame;
                }
            })
        };
        for i in 1..=n {
            cell.write(Published {
                frame: i,
                active_voices: i,
                voices_stolen: 2 * i,
                load: i as f32,
                master_volume: -(i as f32),
            });
        }
        reader.join().unwrap();
    }

    #[test]
    fn budget_holds_under_contention() {
        use std::sync::Arc;
        let budget = Arc::new(PendingBudget::new(64));
        let per_thread = if cfg!(miri) { 20 } else { 20_000 };
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let budget = budget.clone();
                std::thread::spawn(move || {
                    let mut granted = 0;
                    while granted < per_thread {
                        if budget.try_reserve(2) {
                            assert!(budget.used() <= 64);
                            budget.release(2);
                            granted += 1;
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn status_round_trips() {
        let cell = StatusCell::new(Published::default());
        let p = Published {
            frame: 9,
            active_voices: 3,
            voices_stolen: 2,
            load: 0.25,
            master_volume: 0.5,
        };
        cell.write(p);
        assert_eq!(cell.read(), p);
    }
}

/// Model checks: every interleaving (within loom's bounds) of the audio
/// side and controllers on these atomics. Run with
/// `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --lib loom`.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::thread;

    /// Explores every interleaving with at most three preemptions (loom's
    /// recommended bound: unbounded, the status model runs for hours).
    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(f);
    }

    #[test]
    fn loom_budget_never_overflows() {
        model(|| {
            let budget = Arc::new(PendingBudget::new(3));
            let granted = Arc::new(AtomicUsize::new(0));
            let controllers: Vec<_> = (0..2)
                .map(|_| {
                    let (budget, granted) = (budget.clone(), granted.clone());
                    thread::spawn(move || {
                        if budget.try_reserve(2) {
                            granted.fetch_add(2, Relaxed);
                            assert!(budget.used() <= 3);
                        }
                    })
                })
                .collect();
            // The audio side applies whatever was granted so far.
            let applied = granted.load(Relaxed).min(1);
            if applied > 0 {
                budget.release(applied);
            }
            for c in controllers {
                c.join().unwrap();
            }
            let granted = granted.load(Relaxed);
            // Two reservations of 2 never both fit in 3 unless one unit had
            // been given back first.
            assert!(granted == 2 || (granted == 4 && applied == 1));
            assert_eq!(budget.used(), granted - applied);
        });
    }

    #[test]
    fn loom_status_reads_are_never_torn() {
        model(|| {
            let cell = Arc::new(StatusCell::new(Published::default()));
            let reader = {
                let cell = cell.clone();
                thread::spawn(move || {
                    let p = cell.read();
                    // Every field of one write carries the same number.
                    assert_eq!(p.frame, p.active_voices);
                    assert_eq!(p.frame, p.voices_stolen);
                    assert_eq!(p.load, p.frame as f32);
                    p.frame
                })
            };
            for n in 1..=2u64 {
                cell.write(Published {
                    frame: n,
                    active_voices: n,
                    voices_stolen: n,
                    load: n as f32,
                    master_volume: 0.0,
                });
            }
            let seen = reader.join().unwrap();
            assert!(seen <= 2);
            assert_eq!(cell.read().frame, 2);
        });
    }
}
