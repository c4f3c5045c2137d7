//! Worst block against median block under voice churn.
//!
//! Renders 60 s of 48 kHz mono audio in 256-frame blocks (11,250 blocks)
//! with the churn workload of `common::Churn`: a new note every block into a
//! full pool (every trigger steals), the waveforms taking turns (every
//! eighth note a sinc-interpolated sample), an amplitude, pan or frequency
//! change every block, a release every fourth block, master-volume changes.
//! Each block is timed with `Instant`.
//!
//! The workload is deterministic, so the run is repeated (`RUNS`, default
//! 10) and two figures are printed per pool size:
//! - *raw*: median, p99, p99.9 and worst over every block of every run;
//!   on a shared machine its worst is usually the scheduler, not the engine;
//! - *per-block minimum*: for each block, the fastest of its runs. A cost the
//!   engine itself puts on a block (stealing, a sample start, a parameter
//!   change, denormals) shows in every run and survives the minimum;
//!   preemption and cache noise from other processes do not.
//!
//! Run with `cargo bench --bench block_jitter` (plain `main`, no criterion).

mod common;

use common::{Churn, BLOCK_FRAMES, RATE};
use std::time::Instant;

const SECONDS: usize = 60;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn summary(label: &str, times: &[f64]) {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = percentile(&sorted, 0.5);
    let worst = *sorted.last().unwrap();
    println!(
        "  {label:<18} median {median:7.2} µs  p99 {:7.2} µs  p99.9 {:7.2} µs  worst {worst:8.2} µs  worst/median {:5.2}",
        percentile(&sorted, 0.99),
        percentile(&sorted, 0.999),
        worst / median
    );
}

fn main() {
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10)
        .max(1);
    let blocks = SECONDS * RATE as usize / BLOCK_FRAMES;
    for voices in [32usize, 128] {
        println!(
            "churn, {voices} voices, {SECONDS} s at {RATE} Hz in {BLOCK_FRAMES}-frame blocks ({blocks} blocks), {runs} runs"
        );
        let mut all = Vec::with_capacity(blocks * runs);
        let mut best = vec![f64::INFINITY; blocks];
        let mut out = [0.0f32; BLOCK_FRAMES];
        for _ in 0..runs {
            let mut churn = Churn::new(voices);
            for b in best.iter_mut() {
                let t = Instant::now();
                churn.block(&mut out);
                let us = t.elapsed().as_secs_f64() * 1e6;
                std::hint::black_box(&out);
                all.push(us);
                *b = b.min(us);
            }
        }
        summary("raw", &all);
        summary("per-block minimum", &best);
        // The median block of each kind of trigger.
        let kinds = [
            "sample start",
            "saw",
            "square",
            "pulse",
            "triangle",
            "sine",
            "noise",
        ];
        let by_kind: Vec<String> = kinds
            .iter()
            .map(|kind| {
                let mut t: Vec<f64> = (0..blocks)
                    .filter(|&b| Churn::trigger_kind(voices, b) == *kind)
                    .map(|b| best[b])
                    .collect();
                t.sort_by(f64::total_cmp);
                format!("{kind} {:.1}", percentile(&t, 0.5))
            })
            .collect();
        println!("  median µs by trigger: {}", by_kind.join(", "));
        // Where the slowest blocks are in the churn's cycle of eight
        // triggers (0: a sample starts).
        let mut order: Vec<usize> = (0..blocks).collect();
        order.sort_by(|&a, &b| best[b].total_cmp(&best[a]));
        let slowest: Vec<String> = order[..5]
            .iter()
            .map(|&b| format!("{:.1} µs ({})", best[b], Churn::trigger_kind(voices, b)))
            .collect();
        println!(
            "  slowest blocks (per-block minimum): {}",
            slowest.join(", ")
        );
    }
}
