//! The plugin hosted in process with `clack-host`, checked in the spirit of
//! clap-validator: every sample rate and block size, random event streams,
//! state round trips, reactivation, no allocation in process, and events at
//! their frames.

mod common;

use std::collections::HashMap;

use clack_extensions::audio_ports::{AudioPortInfoBuffer, PluginAudioPorts};
use clack_extensions::note_ports::{NoteDialect, NotePortInfoBuffer, PluginNotePorts};
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::voice_info::PluginVoiceInfo;
use clack_host::events::event_types::{
    MidiEvent, NoteChokeEvent, NoteExpressionEvent, NoteExpressionType, NoteOffEvent, ParamModEvent,
};
use clack_host::factory::plugin::PluginFactory;
use clack_host::prelude::*;
use common::{note_off, note_on, param, pckn, tone_energy, zero_crossing_hz, Hosted};
use polyphonica::midi::MidiMessage;
use polyphonica_clap::params::SPECS;

// Parameter ids (stable; see params.rs).
const VOLUME: u32 = 1;
const WAVEFORM: u32 = 2;
const ATTACK: u32 = 3;
const RELEASE: u32 = 6;
const FILTER: u32 = 7;
const CUTOFF: u32 = 8;
const PAN: u32 = 12;
const TUNE: u32 = 13;
const REVERB_SEND: u32 = 14;

#[path = "../../tests/common/alloc_counter.rs"]
mod alloc_counter;

use alloc_counter::{assert_the_counter_works, count_allocations, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Whether two signals agree bit for bit.
fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

/// Asserts that `automated` agrees with `plain` bit for bit before `frame`
/// and differs within `within` frames from it.
fn assert_changes_at(plain: &[f32], automated: &[f32], frame: usize, within: usize) {
    assert!(
        same_bits(&plain[..frame], &automated[..frame]),
        "changed before frame {frame}"
    );
    assert!(
        plain[frame..frame + within] != automated[frame..frame + within],
        "no change within {within} frames of frame {frame}"
    );
}

/// Releases note `note_id` at `key` and runs 100 blocks of 512 frames;
/// the note end events they bring.
fn release_and_collect_ends(h: &mut Hosted, key: i16, note_id: i32) -> Vec<(i16, i16, i32)> {
    let mut events = EventBuffer::new();
    events.push(&note_off(0, key, note_id));
    let mut ended = Vec::new();
    for _ in 0..100 {
        h.process(512, &mut events);
        events.clear();
        ended.extend(h.ended());
    }
    ended
}

/// A plain sine with no filter, envelope edges or reverb: for pitch and
/// level measurements.
fn sine_instance(sample_rate: f64, max_frames: u32) -> Hosted {
    let mut h = Hosted::new();
    for (id, v) in [
        (WAVEFORM, 0.0),
        (FILTER, 0.0),
        (ATTACK, 0.0),
        (REVERB_SEND, 0.0),
        (RELEASE, 0.01),
    ] {
        h.set_param_inactive(id, v);
    }
    h.activate(sample_rate, max_frames);
    h
}

fn assert_sane(x: &[f32], what: &str) {
    for (i, &s) in x.iter().enumerate() {
        assert!(s.is_finite() && s.abs() <= 1.0, "{what}: sample {i} is {s}");
    }
}

/// A small xorshift generator (the streams are reproducible by seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn describes_itself_to_the_host() {
    let entry = common::entry();
    let factory = entry.get_factory::<PluginFactory>().unwrap();
    let descriptor = factory.plugin_descriptor(0).unwrap();
    assert_eq!(
        descriptor.id().unwrap().to_bytes(),
        b"org.polyphonica.synth"
    );
    let features: Vec<&[u8]> = descriptor.features().map(|s| s.to_bytes()).collect();
    assert!(features.contains(&&b"instrument"[..]), "{features:?}");

    let mut h = Hosted::new();
    let handle = h.instance.plugin_handle();
    let params = handle.get_extension::<PluginParams>().unwrap();
    assert_eq!(params.count(&handle) as usize, SPECS.len());
    let mut buffer = ParamInfoBuffer::new();
    let mut ids = Vec::new();
    for i in 0..params.count(&handle) {
        let info = params.get_info(&handle, i, &mut buffer).unwrap();
        let (id, name) = (
            info.id.get(),
            String::from_utf8_lossy(info.name).into_owned(),
        );
        assert_eq!(id, SPECS[i as usize].id);
        assert_eq!(name, SPECS[i as usize].name);
        assert_eq!(
            params.get_value(&handle, info.id),
            Some(SPECS[i as usize].default)
        );
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), SPECS.len(), "ids are unique");
    let mut text = [0u8; 64];
    let shown = params
        .value_to_text(&handle, ClapId::new(CUTOFF), 1500.0, &mut text)
        .unwrap();
    let shown = String::from_utf8_lossy(shown)
        .trim_end_matches('\0')
        .to_string();
    assert_eq!(shown, "1.50 kHz");
    let back = params.text_to_value(&handle, ClapId::new(CUTOFF), c"1.5 kHz");
    assert_eq!(back, Some(1500.0));

    let audio = handle.get_extension::<PluginAudioPorts>().unwrap();
    assert_eq!(
        (audio.count(&handle, true), audio.count(&handle, false)),
        (0, 1)
    );
    let mut buffer = AudioPortInfoBuffer::new();
    let channels = audio
        .get(&handle, 0, false, &mut buffer)
        .unwrap()
        .channel_count;
    assert_eq!(channels, 2);

    let notes = handle.get_extension::<PluginNotePorts>().unwrap();
    assert_eq!(
        (notes.count(&handle, true), notes.count(&handle, false)),
        (1, 0)
    );
    let mut buffer = NotePortInfoBuffer::new();
    let port = notes.get(&handle, 0, true, &mut buffer).unwrap();
    assert!(port.supported_dialects.supports(NoteDialect::Clap));
    assert!(port.supported_dialects.supports(NoteDialect::Midi));

    let voices = handle.get_extension::<PluginVoiceInfo>().unwrap();
    let info = voices.get(&handle).unwrap();
    assert_eq!((info.voice_count, info.voice_capacity), (32, 32));
}

#[test]
fn plays_at_every_sample_rate_and_block_size() {
    for sample_rate in [8_000.0, 22_050.0, 44_100.0, 96_000.0, 192_000.0, 384_000.0] {
        for max_frames in [1u32, 100, 16_384] {
            let mut h = sine_instance(sample_rate, max_frames);
            let what = format!("{sample_rate} Hz, blocks up to {max_frames}");
            let total = (sample_rate * 0.25) as usize;
            let release_at = total / 2;
            let mut rng = Rng(max_frames as u64 * 7919 + sample_rate as u64);
            let mut done = 0;
            let mut played = Vec::with_capacity(total);
            let mut ended = Vec::new();
            let mut events = EventBuffer::new();
            events.push(&note_on(0, 69, 7, 0.8));
            let mut released = false;
            while done < total {
                // Varying sizes: any from 1 to the maximum.
                let frames = (1 + rng.below(u64::from(max_frames)) as usize).min(total - done);
                if !released && done + frames > release_at {
                    events.push(&note_off((release_at - done) as u32, 69, 7));
                    released = true;
                }
                h.process(frames, &mut events);
                events.clear();
                assert_sane(&h.left[..frames], &what);
                assert_sane(&h.right[..frames], &what);
                played.extend_from_slice(&h.left[..frames]);
                ended.extend(h.ended());
                done += frames;
            }
            let hz = zero_crossing_hz(&played[..release_at], sample_rate);
            if sample_rate >= 22_050.0 {
                assert!((hz - 440.0).abs() < 2.0, "{what}: {hz} Hz");
            }
            assert!(played.iter().any(|s| s.abs() > 0.1), "{what}: silent");
            assert_eq!(ended, vec![(0, 69, 7)], "{what}");
        }
    }
}

/// One random event for a block of `frames` (its time inside the block).
fn random_event(
    rng: &mut Rng,
    frames: usize,
    next_id: &mut i32,
    live: &[i32],
    events: &mut EventBuffer,
) -> Option<MidiMessage> {
    let time = rng.below(frames as u64) as u32;
    let any_note = |rng: &mut Rng| {
        live.get(rng.below(live.len() as u64 + 1) as usize)
            .copied()
            .unwrap_or(-1)
    };
    let wild = |rng: &mut Rng| -> f64 {
        match rng.below(8) {
            0 => f64::NAN,
            1 => 1e12,
            2 => -1e12,
            3 => f64::INFINITY,
            _ => rng.unit() * 2.0 - 0.5,
        }
    };
    match rng.below(10) {
        0 | 1 => {
            let key = 24 + rng.below(80) as i16;
            events.push(&note_on(time, key, *next_id, rng.unit()));
            *next_id += 1;
        }
        2 | 3 => {
            let id = any_note(rng);
            events.push(&NoteOffEvent::new(time, Pckn::from_raw(0, -1, -1, id), 0.0));
        }
        4 => {
            let id = any_note(rng);
            events.push(&NoteChokeEvent::new(time, Pckn::from_raw(0, -1, -1, id)));
        }
        5 => {
            let kinds = [
                NoteExpressionType::Volume,
                NoteExpressionType::Pan,
                NoteExpressionType::Tuning,
                NoteExpressionType::Vibrato,
                NoteExpressionType::Expression,
                NoteExpressionType::Brightness,
                NoteExpressionType::Pressure,
            ];
            let kind = kinds[rng.below(kinds.len() as u64) as usize];
            let id = any_note(rng);
            let value = wild(rng) * 4.0;
            events.push(&NoteExpressionEvent::new(
                time,
                Pckn::from_raw(0, -1, -1, id),
                kind,
                value,
            ));
        }
        6 => {
            let spec = &SPECS[rng.below(SPECS.len() as u64) as usize];
            let value = spec.min + wild(rng) * (spec.max - spec.min);
            events.push(&param(time, spec.id, value));
        }
        7 => {
            let spec = &SPECS[rng.below(SPECS.len() as u64) as usize];
            let id = if rng.below(2) == 0 { -1 } else { any_note(rng) };
            let amount = wild(rng) * (spec.max - spec.min);
            events.push(&ParamModEvent::new(
                time,
                ClapId::new(spec.id),
                Pckn::from_raw(0, -1, -1, id),
                amount,
            ));
        }
        _ => {
            let data = [
                0x80 | rng.below(0x80) as u8,
                rng.below(128) as u8,
                rng.below(128) as u8,
            ];
            events.push(&MidiEvent::new(time, 0, data));
            return MidiMessage::parse(&data);
        }
    }
    None
}

#[test]
fn random_event_streams_stay_bounded_and_every_note_ends() {
    for seed in 1..=4u64 {
        let mut h = Hosted::new();
        h.activate(48_000.0, 1024);
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut next_id = 0;
        let mut live: Vec<i32> = Vec::new();
        let mut ends: HashMap<i32, u32> = HashMap::new();
        let mut midi_started = 0u32;
        let mut midi_ended = 0u32;
        let mut events = EventBuffer::with_capacity(64);
        for block in 0..300 {
            let frames = 1 + rng.below(1024) as usize;
            for _ in 0..rng.below(12) {
                let started_before = next_id;
                if let Some(MidiMessage::NoteOn { velocity, .. }) =
                    random_event(&mut rng, frames, &mut next_id, &live, &mut events)
                {
                    if velocity > 0 {
                        midi_started += 1;
                    }
                }
                if next_id > started_before {
                    live.push(started_before);
                }
            }
            h.process(frames, &mut events);
            events.clear();
            let what = format!("seed {seed}, block {block}");
            assert_sane(&h.left[..frames], &what);
            assert_sane(&h.right[..frames], &what);
            for (_, _, id) in h.ended() {
                if id < 0 {
                    midi_ended += 1;
                } else {
                    *ends.entry(id).or_default() += 1;
                    live.retain(|&l| l != id);
                }
            }
        }
        // Release everything, with effect tails short enough to end (the
        // stream may have left a 20 s reverb or a 95 % feedback delay),
        // then run until the plugin sleeps.
        events.push(&NoteOffEvent::new(0, Pckn::from_raw(-1, -1, -1, -1), 0.0));
        for (id, value) in [(17, 0.5), (23, 0.0)] {
            events.push(&param(0, id, value));
            events.push(&ParamModEvent::new(
                0,
                ClapId::new(id),
                Pckn::match_all(),
                0.0,
            ));
        }
        let mut asleep = false;
        for _ in 0..2_000 {
            let status = h.process(1024, &mut events);
            events.clear();
            assert_sane(&h.left, "release");
            for (_, _, id) in h.ended() {
                if id < 0 {
                    midi_ended += 1;
                } else {
                    *ends.entry(id).or_default() += 1;
                }
            }
            if status == ProcessStatus::Sleep {
                asleep = true;
                break;
            }
        }
        assert!(asleep, "seed {seed}: still sounding after 40 s of release");
        for id in 0..next_id {
            assert_eq!(
                ends.get(&id),
                Some(&1),
                "seed {seed}: note {id} ended {:?} times",
                ends.get(&id)
            );
        }
        assert_eq!(
            ends.len(),
            next_id as usize,
            "seed {seed}: ends of notes never started"
        );
        assert_eq!(
            midi_ended, midi_started,
            "seed {seed}: MIDI notes started and ended"
        );
    }
}

/// Renders a phrase of three notes on `h` (stereo, 2 s).
fn phrase(h: &mut Hosted) -> Vec<f32> {
    let mut out = Vec::new();
    for block in 0..375 {
        let mut events = EventBuffer::new();
        match block {
            0 => events.push(&note_on(10, 60, 1, 0.9)),
            20 => events.push(&note_on(100, 64, 2, 0.6)),
            60 => events.push(&note_off(0, 60, 1)),
            90 => events.push(&note_on(5, 67, 3, 1.0)),
            150 => events.push(&NoteOffEvent::new(0, Pckn::from_raw(0, -1, -1, -1), 0.0)),
            _ => {}
        }
        h.process(256, &mut events);
        out.extend_from_slice(&h.left[..256]);
        out.extend_from_slice(&h.right[..256]);
    }
    out
}

#[test]
fn a_saved_state_loads_to_the_same_sound_bit_for_bit() {
    let mut a = Hosted::new();
    for (id, v) in [
        (WAVEFORM, 3.0),
        (FILTER, 5.0),
        (CUTOFF, 900.0),
        (10, 4.0),
        (REVERB_SEND, 0.5),
        (16, 0.3),
        (22, 0.2),
        (ATTACK, 0.05),
        (PAN, -0.3),
        (TUNE, 0.5),
    ] {
        a.set_param_inactive(id, v);
    }
    a.activate(48_000.0, 256);
    let sound_a = phrase(&mut a);
    let state = a.save();

    let mut b = Hosted::new();
    b.load(&state);
    b.activate(48_000.0, 256);
    let sound_b = phrase(&mut b);
    assert!(sound_a.iter().any(|s| s.abs() > 0.05));
    assert!(same_bits(&sound_a, &sound_b), "not bit for bit");

    // The state matters: an instance with the defaults sounds different.
    let mut c = Hosted::new();
    c.activate(48_000.0, 256);
    let sound_c = phrase(&mut c);
    assert!(sound_a.iter().zip(&sound_c).any(|(x, y)| x != y));

    // A state loaded while active takes effect from the next block.
    let mut d = Hosted::new();
    d.activate(48_000.0, 256);
    d.load(&state);
    let sound_d = phrase(&mut d);
    assert!(same_bits(&sound_a, &sound_d), "loaded while active");

    // What is not a state is refused, and changes nothing.
    let handle = b.instance.plugin_handle();
    let ext = handle
        .get_extension::<clack_extensions::state::PluginState>()
        .unwrap();
    assert!(ext.load(&handle, &mut &b"garbage"[..]).is_err());
}

#[test]
fn deactivates_and_reactivates_at_another_rate() {
    let mut h = sine_instance(48_000.0, 256);
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 69, 1, 1.0));
    h.process(256, &mut events);
    h.deactivate();
    h.activate(96_000.0, 4096);
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 81, 2, 1.0));
    h.process(4096, &mut events);
    // The old note is gone; the new one plays at the new rate.
    let hz = zero_crossing_hz(&h.left[..4096], 96_000.0);
    assert!((hz - 880.0).abs() < 2.0, "{hz}");
}

#[test]
fn process_never_allocates() {
    let mut h = Hosted::new();
    h.activate(48_000.0, 512);
    let mut rng = Rng(77);
    let mut next_id = 0;
    let mut live = Vec::new();
    // Prepared before counting: the event lists.
    let lists: Vec<EventBuffer> = (0..400)
        .map(|_| {
            let mut events = EventBuffer::with_capacity(64);
            for _ in 0..rng.below(10) {
                let before = next_id;
                random_event(&mut rng, 512, &mut next_id, &live, &mut events);
                if next_id > before {
                    live.push(before);
                }
            }
            events.sort();
            events
        })
        .collect();
    // Warm up: the first blocks fill what the engine and host allocate once.
    let mut warm = EventBuffer::new();
    warm.push(&note_on(0, 60, 10_000, 1.0));
    h.process(512, &mut warm);
    assert_the_counter_works();
    let mut total = 0;
    for mut events in lists {
        total += count_allocations(|| {
            h.process(512, &mut events);
        });
    }
    assert_eq!(total, 0, "allocations or frees in process");
}

#[test]
fn a_note_starts_at_its_frame_and_automation_lands_at_its_frame() {
    let mut h = sine_instance(48_000.0, 512);
    let mut events = EventBuffer::new();
    events.push(&note_on(100, 69, 1, 1.0));
    h.process(512, &mut events);
    assert!(
        h.left[..100].iter().all(|&s| s == 0.0),
        "sound before frame 100"
    );
    assert!(
        h.left[100..103].iter().any(|&s| s != 0.0),
        "no sound at frame 100"
    );

    // A cutoff change at frame 300: two instances agree bit for bit before
    // it and differ after.
    let render = |automate: bool| {
        let mut h = Hosted::new();
        h.set_param_inactive(REVERB_SEND, 0.0);
        h.activate(48_000.0, 512);
        let mut events = EventBuffer::new();
        events.push(&note_on(0, 45, 1, 1.0));
        h.process(512, &mut events);
        let mut events = EventBuffer::new();
        if automate {
            events.push(&param(300, CUTOFF, 200.0));
        }
        h.process(512, &mut events);
        h.left.clone()
    };
    let (plain, automated) = (render(false), render(true));
    assert_changes_at(&plain, &automated, 300, 212);
    // The master volume at a frame too (it glides from there, over 10 ms).
    let render = |automate: bool| {
        let mut h = sine_instance(48_000.0, 2048);
        let mut events = EventBuffer::new();
        events.push(&note_on(0, 69, 1, 1.0));
        if automate {
            events.push(&param(200, VOLUME, 0.0));
        }
        h.process(2048, &mut events);
        h.left.clone()
    };
    let (plain, automated) = (render(false), render(true));
    assert_changes_at(&plain, &automated, 200, 10);
    let late = automated[1500..].iter().fold(0f32, |m, s| m.max(s.abs()));
    assert!(late < 1e-3, "{late}");
}

/// Two sine notes, A3 (id 1) and A4 (id 2), with `events` at the start of
/// the second block; the third block's left and right.
fn two_notes_with(events: &[&dyn AsRef<UnknownEvent>]) -> (Vec<f32>, Vec<f32>) {
    let mut h = sine_instance(48_000.0, 4096);
    let mut first = EventBuffer::new();
    // Quiet enough that the limiter never acts (it would tie the notes'
    // levels together).
    first.push(&note_on(0, 57, 1, 0.25));
    first.push(&note_on(0, 69, 2, 0.25));
    h.process(4096, &mut first);
    let mut second = EventBuffer::new();
    for e in events {
        second.push(e.as_ref());
    }
    h.process(4096, &mut second);
    h.process(4096, &mut EventBuffer::new());
    (h.left.clone(), h.right.clone())
}

#[test]
fn note_expressions_and_per_note_modulation_reach_the_note_they_name() {
    let sr = 48_000.0;
    let (l0, _) = two_notes_with(&[]);
    let (e220, e440) = (tone_energy(&l0, 220.0, sr), tone_energy(&l0, 440.0, sr));
    assert!(e220 > 1e-3 && e440 > 1e-3, "{e220} {e440}");

    // Volume 0 on note 2 only: A4 goes, A3 stays.
    let volume = NoteExpressionEvent::new(0, pckn(-1, 2), NoteExpressionType::Volume, 0.0);
    let (l, _) = two_notes_with(&[&volume]);
    assert!(tone_energy(&l, 440.0, sr) < e440 * 1e-4);
    assert!((tone_energy(&l, 220.0, sr) / e220 - 1.0).abs() < 0.05);

    // Tuning +7 on note 1: A3 becomes E4 (330 Hz); A4 stays.
    let tuning = NoteExpressionEvent::new(0, pckn(-1, 1), NoteExpressionType::Tuning, 7.0);
    let (l, _) = two_notes_with(&[&tuning]);
    assert!(tone_energy(&l, 220.0, sr) < e220 * 1e-3);
    assert!(tone_energy(&l, 329.63, sr) > e220 * 0.5);
    let ratio = tone_energy(&l, 440.0, sr) / e440;
    assert!((ratio - 1.0).abs() < 0.05, "{ratio}");

    // Pan hard left on note 2 (0 is left): A4 leaves the right channel.
    let pan = NoteExpressionEvent::new(0, pckn(-1, 2), NoteExpressionType::Pan, 0.0);
    let (_, r) = two_notes_with(&[&pan]);
    assert!(tone_energy(&r, 440.0, sr) < e440 * 1e-3);
    assert!(tone_energy(&r, 220.0, sr) > e220 * 0.3);

    // Per-note modulation of the pan parameter, by note id.
    let pan_mod = ParamModEvent::new(0, ClapId::new(PAN), pckn(-1, 2), -1.0);
    let (_, r) = two_notes_with(&[&pan_mod]);
    assert!(tone_energy(&r, 440.0, sr) < e440 * 1e-3);
    assert!(tone_energy(&r, 220.0, sr) > e220 * 0.3);

    // Per-note modulation of tune, by key (57): A3 a fifth up (330 Hz).
    let tune_mod = ParamModEvent::new(0, ClapId::new(TUNE), Pckn::from_raw(0, 0, 57, -1), 7.0);
    let (l, _) = two_notes_with(&[&tune_mod]);
    assert!(tone_energy(&l, 220.0, sr) < e220 * 1e-3);
    assert!(tone_energy(&l, 329.63, sr) > e220 * 0.5);
    assert!((tone_energy(&l, 440.0, sr) / e440 - 1.0).abs() < 0.05);

    // Vibrato on note 1 moves its pitch: the A3 line spreads.
    let vibrato = NoteExpressionEvent::new(0, pckn(-1, 1), NoteExpressionType::Vibrato, 1.0);
    let (l, _) = two_notes_with(&[&vibrato]);
    assert!(
        tone_energy(&l, 220.0, sr) < e220 * 0.8,
        "{} vs {e220}",
        tone_energy(&l, 220.0, sr)
    );
    assert!((tone_energy(&l, 440.0, sr) / e440 - 1.0).abs() < 0.05);
}

#[test]
fn brightness_and_pressure_open_the_filter_of_their_note() {
    // A saw through the lowpass: brightness 1 and pressure 1 each add
    // energy above the cutoff.
    let render = |event: Option<NoteExpressionEvent>| {
        let mut h = Hosted::new();
        for (id, v) in [(REVERB_SEND, 0.0), (CUTOFF, 500.0)] {
            h.set_param_inactive(id, v);
        }
        h.activate(48_000.0, 4096);
        let mut events = EventBuffer::new();
        events.push(&note_on(0, 45, 1, 1.0));
        if let Some(e) = event {
            events.push(&e);
        }
        h.process(4096, &mut events);
        h.process(4096, &mut EventBuffer::new());
        tone_energy(&h.left, 110.0 * 20.0, 48_000.0)
    };
    let plain = render(None);
    for kind in [NoteExpressionType::Brightness, NoteExpressionType::Pressure] {
        let opened = render(Some(NoteExpressionEvent::new(0, pckn(45, 1), kind, 1.0)));
        assert!(opened > plain * 10.0, "{kind:?}: {opened} vs {plain}");
    }
}

#[test]
fn plays_the_midi_dialect() {
    let mut h = sine_instance(48_000.0, 4096);
    let mut events = EventBuffer::new();
    events.push(&MidiEvent::new(0, 0, [0x92, 69, 100]));
    h.process(4096, &mut events);
    let hz = zero_crossing_hz(&h.left[..4096], 48_000.0);
    assert!((hz - 440.0).abs() < 2.0, "{hz}");
    // Pitch bend up full: two semitones.
    let mut events = EventBuffer::new();
    events.push(&MidiEvent::new(0, 0, [0xE2, 0x7F, 0x7F]));
    h.process(4096, &mut events);
    h.process(4096, &mut EventBuffer::new());
    let hz = zero_crossing_hz(&h.left[..4096], 48_000.0);
    assert!((hz - 493.9).abs() < 3.0, "{hz}");
    let mut events = EventBuffer::new();
    events.push(&MidiEvent::new(0, 0, [0x82, 69, 0]));
    let mut ended = Vec::new();
    for _ in 0..10 {
        h.process(4096, &mut events);
        events.clear();
        ended.extend(h.ended());
    }
    assert_eq!(ended, vec![(2, 69, -1)]);
}

#[test]
#[ignore = "needs the release build; .ci/run builds it and sets POLYPHONICA_CLAP_PATH"]
fn the_built_library_loads_and_plays() {
    let path = std::env::var("POLYPHONICA_CLAP_PATH").expect("POLYPHONICA_CLAP_PATH names the .so");
    // SAFETY: the library is this crate's own release build, whose entry
    // clack-plugin exports as CLAP requires.
    let entry = unsafe { PluginEntry::load(&path) }.expect("the library loads");
    let mut h = Hosted::with_entry(&entry);
    h.activate(44_100.0, 512);
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 60, 1, 1.0));
    h.process(512, &mut events);
    assert_sane(&h.left[..512], "built library");
    assert!(h.left[..512].iter().any(|s| s.abs() > 0.01), "silent");
    assert_eq!(release_and_collect_ends(&mut h, 60, 1), vec![(0, 60, 1)]);
    println!("{path}: loaded, played and ended a note");
}

#[test]
fn parameters_flushed_without_audio_apply_and_read_back() {
    let mut h = sine_instance(48_000.0, 512);
    let mut events = EventBuffer::new();
    events.push(&param(0, VOLUME, 0.0));
    events.push(&param(0, CUTOFF, 1e9));
    let mut out = EventBuffer::new();
    {
        let processor = h.processor.as_mut().unwrap();
        let mut handle = processor.plugin_handle();
        let params = handle.get_extension::<PluginParams>().unwrap();
        params.flush_active(&mut handle, &events.as_input(), &mut out.as_output());
    }
    // The main thread reads what the audio side applied (clamped).
    let handle = h.instance.plugin_handle();
    let params = handle.get_extension::<PluginParams>().unwrap();
    assert_eq!(params.get_value(&handle, ClapId::new(VOLUME)), Some(0.0));
    assert_eq!(
        params.get_value(&handle, ClapId::new(CUTOFF)),
        Some(20_000.0)
    );
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 69, 1, 1.0));
    for _ in 0..4 {
        h.process(512, &mut events);
        events.clear();
    }
    assert!(
        h.left.iter().all(|s| s.abs() < 1e-4),
        "volume 0 still sounds"
    );
}

#[test]
fn an_event_timed_past_its_block_still_applies() {
    let mut h = sine_instance(48_000.0, 512);
    let mut events = EventBuffer::new();
    events.push(&note_on(900, 69, 1, 1.0));
    h.process(512, &mut events);
    h.process(512, &mut EventBuffer::new());
    assert!(h.left.iter().any(|s| s.abs() > 0.1), "the note was lost");
    assert_eq!(release_and_collect_ends(&mut h, 69, 1), vec![(0, 69, 1)]);
}

#[test]
fn a_note_held_across_stop_and_start_processing_still_ends() {
    let mut h = sine_instance(48_000.0, 512);
    let mut events = EventBuffer::new();
    events.push(&note_on(0, 69, 1, 1.0));
    h.process(512, &mut events);
    let stopped = h.processor.take().unwrap().stop_processing();
    h.processor = Some(
        stopped
            .start_processing()
            .unwrap_or_else(|_| panic!("restarts")),
    );
    h.process(512, &mut EventBuffer::new());
    assert!(
        h.left[..512].iter().any(|s| s.abs() > 0.1),
        "the note was cut"
    );
    assert_eq!(release_and_collect_ends(&mut h, 69, 1), vec![(0, 69, 1)]);
}
