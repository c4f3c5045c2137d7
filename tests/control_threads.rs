//! The lock-free split under load: several controller threads send over
//! 100,000 commands while the audio thread renders. Every release reaches
//! its note, per-voice order holds, the output stays bounded. (The audio
//! side's allocations are counted in `control_alloc.rs`, which needs its
//! own global allocator.)
//!
//! The same runs, scaled down, pass under Miri (data-race detection and
//! weak-memory emulation; `rustup +nightly component add miri rust-src`),
//! and at full size under ThreadSanitizer; `.ci/sanitizers` runs both in CI
//! (about three and two minutes here). By hand:
//!
//! ```text
//! cargo +nightly miri test --test control_threads
//! MIRIFLAGS=-Zmiri-many-seeds=1..5 cargo +nightly miri test --test control_threads
//! ```
//!
//! and under ThreadSanitizer:
//!
//! ```text
//! RUSTFLAGS=-Zsanitizer=thread CARGO_TARGET_DIR=target/tsan cargo +nightly test \
//!     -Zbuild-std --target x86_64-unknown-linux-gnu --test control_threads --test control_alloc
//! ```
//!
//! The atomics the controllers and the audio side share (ids, the budget,
//! the status sequence lock) are model-checked with loom:
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test --lib loom`.

mod common;
use common::stress::{check, run, Stress};

#[test]
fn controllers_on_four_threads_send_100k_commands_while_audio_renders() {
    let s = if cfg!(miri) {
        Stress {
            threads: 2,
            commands_per_thread: 60,
            notes_per_thread: 6,
            block: 16,
            voices: 32,
            probes: 1,
            max_outstanding: 4,
            queue_capacity: 32,
        }
    } else {
        Stress {
            threads: 4,
            commands_per_thread: 26_000,
            notes_per_thread: 300,
            block: 64,
            voices: 256,
            probes: 3,
            max_outstanding: 16,
            queue_capacity: 1_024,
        }
    };
    let (audio, sent, heard) = run(s, |render| render());
    let commands: usize = sent.iter().map(|s| s.commands).sum();
    let notes: usize = sent.iter().map(|s| s.churn.len()).sum();
    println!(
        "{commands} commands ({notes} notes) from {} threads over {} blocks; {} refused as full and retried; peak {}",
        s.threads,
        heard.blocks,
        sent.iter().map(|s| s.refused_full).sum::<usize>(),
        heard.peak
    );
    if !cfg!(miri) {
        assert!(commands >= 100_000);
        assert!(notes >= 1_200);
    }
    check(&audio, &sent, &heard);
}

#[test]
fn small_queues_under_pressure_refuse_and_lose_nothing() {
    let s = Stress {
        threads: 3,
        commands_per_thread: if cfg!(miri) { 40 } else { 5_000 },
        notes_per_thread: if cfg!(miri) { 4 } else { 100 },
        block: if cfg!(miri) { 8 } else { 32 },
        voices: 64,
        probes: 2,
        max_outstanding: 6,
        queue_capacity: 8,
    };
    let (audio, sent, heard) = run(s, |render| render());
    assert!(
        sent.iter().map(|s| s.refused_full).sum::<usize>() > 0,
        "the queues never filled"
    );
    check(&audio, &sent, &heard);
}
