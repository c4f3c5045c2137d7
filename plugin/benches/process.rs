//! The plugin's process call against driving the engine directly, for the
//! same notes at 256-frame blocks: 16 held saw notes through the default
//! lowpass with the default reverb send, one note released and one started
//! mid-block every fourth block.
//!
//! `cargo bench -p polyphonica-clap --bench process`

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use clack_host::prelude::*;
use criterion::{criterion_group, criterion_main, Criterion};
use polyphonica::fx::Sends;
use polyphonica::midi::key_to_hz;
use polyphonica::patch::{Filter, FilterMode};
use polyphonica::{Note, RealtimeEngine, VoiceId};
use polyphonica_clap::instrument::patch_of;
use polyphonica_clap::params::defaults;

const FRAMES: usize = 256;
const BLOCKS: usize = 64;
const HELD: usize = 16;
const SAMPLE_RATE: f64 = 48_000.0;

/// The key of note `n` of the run.
fn key(n: usize) -> i16 {
    36 + (n * 7 % 48) as i16
}

/// The engine driven directly: the plugin's patch with its default cutoff
/// and resonance in the patch itself.
struct Direct {
    engine: RealtimeEngine,
    patch: Arc<polyphonica::patch::Patch>,
    ids: Vec<VoiceId>,
    left: Vec<f32>,
    right: Vec<f32>,
    next: usize,
}

impl Direct {
    fn new() -> Self {
        let mut patch = patch_of(&defaults());
        patch.set_filter(Some(Filter::new(FilterMode::Lowpass, 4_000.0, 0.2)));
        let mut d = Direct {
            engine: RealtimeEngine::with_voices(SAMPLE_RATE as f32, 32),
            patch: Arc::new(patch),
            ids: Vec::new(),
            left: vec![0.0; FRAMES],
            right: vec![0.0; FRAMES],
            next: 0,
        };
        for _ in 0..HELD {
            d.start();
        }
        d
    }

    fn start(&mut self) {
        let note = Note::from_patch(&self.patch, key_to_hz(key(self.next) as u8))
            .with_velocity(0.8)
            .with_sends(Sends {
                reverb: 0.15,
                ..Sends::default()
            });
        self.next += 1;
        let id = self.engine.trigger(note).expect("plays");
        self.ids.push(id);
    }

    fn run(&mut self) {
        for block in 0..BLOCKS {
            if block % 4 == 0 {
                let half = FRAMES / 2;
                self.engine
                    .process_planar_buffers(&mut self.left[..half], &mut self.right[..half]);
                let old = self.ids.remove(0);
                self.engine.release_note(old);
                self.start();
                self.engine
                    .process_planar_buffers(&mut self.left[half..], &mut self.right[half..]);
            } else {
                self.engine
                    .process_planar_buffers(&mut self.left, &mut self.right);
            }
            while self.engine.take_ended_note().is_some() {}
        }
    }
}

/// The same notes through the plugin, hosted in process.
struct Plugin {
    hosted: common::Hosted,
    events: Vec<EventBuffer>,
    live: Vec<(i16, i32)>,
    next: usize,
}

impl Plugin {
    fn new() -> Self {
        let mut hosted = common::Hosted::new();
        hosted.activate(SAMPLE_RATE, FRAMES as u32);
        let mut p = Plugin {
            hosted,
            events: (0..BLOCKS).map(|_| EventBuffer::with_capacity(8)).collect(),
            live: Vec::new(),
            next: 0,
        };
        let mut first = EventBuffer::new();
        for _ in 0..HELD {
            let (k, id) = p.take_next();
            first.push(&common::note_on(0, k, id, 0.8));
        }
        p.hosted.process(FRAMES, &mut first);
        p
    }

    fn take_next(&mut self) -> (i16, i32) {
        let note = (key(self.next), self.next as i32);
        self.next += 1;
        self.live.push(note);
        note
    }

    fn run(&mut self) {
        for block in 0..BLOCKS {
            let mut events = std::mem::take(&mut self.events[block]);
            events.clear();
            if block % 4 == 0 {
                let (k, id) = self.live.remove(0);
                events.push(&common::note_off(FRAMES as u32 / 2, k, id));
                let (k, id) = self.take_next();
                events.push(&common::note_on(FRAMES as u32 / 2, k, id, 0.8));
            }
            self.hosted.process(FRAMES, &mut events);
            self.events[block] = events;
        }
    }
}

fn process(c: &mut Criterion) {
    let mut group = c.benchmark_group("plugin_process_256");
    let mut direct = Direct::new();
    group.bench_function("engine_direct", |b| b.iter(|| direct.run()));
    let mut plugin = Plugin::new();
    group.bench_function("clap_plugin", |b| b.iter(|| plugin.run()));
    group.finish();
}

criterion_group!(benches, process);
criterion_main!(benches);
