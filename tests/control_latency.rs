//! Latency, measured: frames from a note-on handed to the controller to its
//! first output sample, with the audio side paced by the wall clock like a
//! sound card at 64, 256 and 1024-frame buffers. An unscheduled note starts
//! at the next block (at most one buffer late, plus the scheduler's jitter);
//! a scheduled note starts exactly at its frame.

use polyphonica::sample::Interpolation;
use polyphonica::EventTarget;
use polyphonica::{AdsrEnvelope, At, Note, RealtimeEngine, SampleData, Waveform};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RATE: f64 = 48_000.0;

/// A constant level from its first frame, so the onset is unmistakable.
fn click() -> Waveform {
    let sample = SampleData::from_mono(vec![0.5; 48_000], 48_000)
        .unwrap()
        .with_interpolation(Interpolation::Linear);
    Waveform::Sample(sample)
}

/// Frames where the output turns on after at least 256 silent frames.
fn onsets(out: &[f32]) -> Vec<usize> {
    let mut found = Vec::new();
    let mut silent = 256;
    for (i, s) in out.iter().enumerate() {
        if *s == 0.0 {
            silent += 1;
        } else {
            if silent >= 256 {
                found.push(i);
            }
            silent = 0;
        }
    }
    found
}

struct Run {
    latencies: Vec<i64>,
    scheduled_error: i64,
    /// The latest the audio thread started a block, in frames after its
    /// period began.
    late_frames: i64,
}

fn run(block: usize, notes: usize) -> Run {
    let (mut audio, mut control) = RealtimeEngine::new(RATE as f32).split();
    // Hold each note and leave each gap for three buffers and a bit, so
    // every note-on and its stop land in different blocks.
    let spacing_us = (3.0 * block as f64 / RATE * 1e6) as u64 + 5_000;
    let total = ((notes as u64 * (2 * spacing_us + 9_000) + 400_000) as f64 * RATE / 1e6) as usize;
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let audio_thread = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut out = vec![0.0f32; total + block];
            let period = Duration::from_secs_f64(block as f64 / RATE);
            let mut n = 0;
            let mut latest = 0.0f64;
            while n * block < total && !stop.load(Ordering::Relaxed) {
                // A sound card asks for block n when its period begins.
                let due = start + period * n as u32;
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                // A sleeping thread wakes late on a busy machine: a note
                // handed in between is still in time for this block.
                latest = latest.max(Instant::now().duration_since(due).as_secs_f64());
                audio.process_buffer(&mut out[n * block..(n + 1) * block]);
                n += 1;
            }
            (out, (latest * RATE).ceil() as i64)
        })
    };
    let envelope = AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0);
    // Built once: the sample's data would otherwise be allocated and filled
    // between the hand-off time and the trigger, and counted as latency.
    let note = Note::new(click(), 440.0, envelope);
    let mut handed = Vec::new();
    for i in 0..notes {
        std::thread::sleep(Duration::from_micros(
            spacing_us + (i as u64 * 7_919) % 9_000,
        ));
        let note = note.clone();
        let wall_frame = (start.elapsed().as_secs_f64() * RATE) as i64;
        control.trigger(note).unwrap();
        handed.push(wall_frame);
        std::thread::sleep(Duration::from_micros(spacing_us));
        control.stop_all_notes().unwrap();
    }
    // One note scheduled ahead at an exact frame.
    std::thread::sleep(Duration::from_micros(spacing_us));
    let scheduled = control.now() + 3 * block as u64 + 17;
    control.at(At::Frame(scheduled)).trigger(note).unwrap();
    std::thread::sleep(Duration::from_micros(2 * spacing_us));
    stop.store(true, Ordering::Relaxed);
    let (out, late_frames) = audio_thread.join().unwrap();
    let found = onsets(&out);
    assert_eq!(found.len(), notes + 1, "every note sounds once");
    Run {
        latencies: found
            .iter()
            .zip(&handed)
            .map(|(&on, &w)| on as i64 - w)
            .collect(),
        scheduled_error: found[notes] as i64 - scheduled as i64,
        late_frames,
    }
}

#[test]
fn a_note_sounds_within_one_buffer_or_exactly_at_its_frame() {
    for block in [64usize, 256, 1024] {
        let r = run(block, 12);
        let mut sorted = r.latencies.clone();
        sorted.sort_unstable();
        let (median, worst) = (sorted[sorted.len() / 2], sorted[sorted.len() - 1]);
        println!(
            "{block:>5}-frame buffers: note-on to first sample median {median} frames, worst {worst} frames ({:.2} ms); scheduled note off by {} frames; audio thread at most {} frames late",
            worst as f64 / RATE * 1e3,
            r.scheduled_error,
            r.late_frames
        );
        assert_eq!(
            r.scheduled_error, 0,
            "a scheduled note starts exactly at its frame"
        );
        assert!(
            sorted[0] >= -1 - r.late_frames,
            "a note cannot sound before it was sent (the audio thread was at most {} frames late): {sorted:?}",
            r.late_frames
        );
        assert!(
            median <= block as i64,
            "median {median} frames at {block}-frame buffers"
        );
        // One buffer, plus the wake-up jitter of a busy shared machine.
        let jitter = (0.004 * RATE) as i64;
        assert!(
            worst <= block as i64 + jitter,
            "worst {worst} frames at {block}-frame buffers"
        );
    }
}
