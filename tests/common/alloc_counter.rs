//! A counting global allocator for the real-time-safety tests. A test binary
//! installs it with
//! `#[global_allocator] static ALLOCATOR: CountingAllocator = CountingAllocator;`
//! and wraps the code under test in [`count_allocations`].

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations, reallocations and frees made by the thread that is
/// inside `count_allocations` (per thread: tests run in parallel).
pub struct CountingAllocator;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static EVENTS: Cell<usize> = const { Cell::new(0) };
}

fn note_event() {
    if COUNTING.with(|c| c.get()) {
        EVENTS.with(|e| e.set(e.get() + 1));
    }
}

// SAFETY: every method forwards to the system allocator unchanged; the
// bookkeeping touches only const-initialised thread-locals without
// destructors (which need no allocation).
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_event();
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_event();
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_event();
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_event();
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` and returns how many allocator calls this thread made in it.
pub fn count_allocations(f: impl FnOnce()) -> usize {
    let before = EVENTS.with(|e| e.get());
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    EVENTS.with(|e| e.get()) - before
}

/// Fails unless the counter is installed and sees one allocation and one
/// free: each test binary checks this, so a zero elsewhere means something.
pub fn assert_the_counter_works() {
    let n = count_allocations(|| {
        let v: Vec<u64> = std::hint::black_box(Vec::with_capacity(100));
        drop(v);
    });
    assert_eq!(n, 2, "one allocation and one free");
}
