//! Several controller threads hammer a split engine while an audio thread
//! renders; the harness records what each controller sent so the test can
//! check what arrived.

use polyphonica::control::ControlConfig;
use polyphonica::EventTarget;
use polyphonica::{
    AdsrEnvelope, At, AudioEngine, ControlError, Controller, Note, RealtimeEngine, SampleData,
    VoiceId, Waveform,
};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

/// The shape of a run.
#[derive(Clone, Copy, Debug)]
pub struct Stress {
    pub threads: usize,
    /// Commands each controller thread sends (at least).
    pub commands_per_thread: usize,
    /// Churn notes (triggered and released) each thread plays (at least).
    pub notes_per_thread: usize,
    /// Frames per audio block.
    pub block: usize,
    pub voices: usize,
    /// Held notes per thread whose frequency and amplitude are changed over
    /// and over (the per-voice order check).
    pub probes: usize,
    /// Churn notes per thread not yet known to be released (keeps the pool
    /// from stealing, so every probe survives).
    pub max_outstanding: usize,
    pub queue_capacity: usize,
}

/// What one controller thread sent.
#[derive(Debug, Default)]
pub struct Sent {
    pub commands: usize,
    pub refused_full: usize,
    /// Every churn note, each triggered and released.
    pub churn: Vec<VoiceId>,
    /// Probe ids with the last frequency and amplitude sent to each.
    pub probes: Vec<(VoiceId, f32, f32)>,
}

/// What the audio thread saw.
#[derive(Debug)]
pub struct Heard {
    pub blocks: usize,
    pub peak: f32,
    pub all_finite: bool,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Retries while the queue or schedule is full (the audio side drains them
/// every block); any other error is a bug.
fn retry<T>(sent: &mut Sent, mut call: impl FnMut() -> Result<T, ControlError>) -> T {
    loop {
        match call() {
            Ok(v) => {
                sent.commands += 1;
                return v;
            }
            Err(ControlError::QueueFull | ControlError::ScheduleFull) => {
                sent.refused_full += 1;
                thread::yield_now();
            }
            Err(e) => panic!("unexpected refusal: {e}"),
        }
    }
}

/// One controller thread's work.
fn control_thread(mut ctl: Controller, seed: u64, s: Stress, block: u64) -> Sent {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut sent = Sent::default();
    let shared_sample = SampleData::from_mono(
        (0..2_000)
            .map(|i| ((i as f32) * 0.05).sin() * 0.3)
            .collect(),
        48_000,
    )
    .unwrap();
    let probe_env = AdsrEnvelope::new(0.0, 0.0, 1.0, 0.005);
    let churn_env = AdsrEnvelope::new(0.0005, 0.001, 0.5, 0.002);
    for j in 0..s.probes {
        let note = Note::new(Waveform::Sine, 100.0 + j as f32, probe_env).with_amplitude(0.05);
        let id = retry(&mut sent, || ctl.trigger(note.clone()));
        sent.probes.push((id, 100.0 + j as f32, 0.05));
    }
    let mut step = 0u32;
    // Churn notes not released yet, with the frame each starts at (at the
    // latest).
    let mut held: VecDeque<(VoiceId, u64)> = VecDeque::new();
    // Released churn notes with the clock value after which each has surely
    // started, been released and faded (5 ms at most).
    let mut releasing: VecDeque<u64> = VecDeque::new();
    while sent.commands < s.commands_per_thread || sent.churn.len() < s.notes_per_thread {
        // Per-voice order: a probe's last value must win.
        let probing = sent.commands < s.commands_per_thread;
        if probing && s.probes > 0 {
            let j = rng.below(s.probes as u64) as usize;
            step += 1;
            let id = sent.probes[j].0;
            let hz = 50.0 + (step % 80_000) as f32 * 0.25;
            retry(&mut sent, || ctl.set_voice_frequency(id, hz));
            sent.probes[j].1 = hz;
            if step % 3 == 0 {
                let amplitude = (step % 997) as f32 / 997.0 * 0.1;
                retry(&mut sent, || ctl.set_voice_amplitude(id, amplitude));
                sent.probes[j].2 = amplitude;
            }
        }
        let now = ctl.now();
        while releasing.front().is_some_and(|safe| now > *safe) {
            releasing.pop_front();
        }
        let paced = held.len() + releasing.len() >= s.max_outstanding;
        if !probing && paced {
            // Waiting for the audio clock to pass the releases sent.
            thread::yield_now();
        }
        if !paced {
            let waveform = match rng.below(8) {
                0 => Waveform::Sample(shared_sample.clone()),
                // A sample only this note holds: the audio side must send it
                // back to be freed here.
                1 => Waveform::Sample(SampleData::from_mono(vec![0.2; 300], 48_000).unwrap()),
                2 => Waveform::Pulse { duty_cycle: 0.3 },
                3 => Waveform::Noise,
                4 => Waveform::Sawtooth,
                _ => Waveform::Triangle,
            };
            let note = Note::new(waveform, 200.0 + rng.below(2_000) as f32, churn_env)
                .with_amplitude(0.05);
            let start = now + rng.below(4 * block);
            let at = if start % 2 == 0 {
                At::Now
            } else {
                At::Frame(start)
            };
            let id = retry(&mut sent, || ctl.at(at).trigger(note.clone()));
            sent.churn.push(id);
            held.push_back((id, start));
            if rng.below(2) == 0 {
                let pan = rng.below(3) as f32 - 1.0;
                retry(&mut sent, || ctl.set_voice_pan(id, pan));
            }
        }
        if held.len() * 2 > s.max_outstanding
            || (held.len() + releasing.len() >= s.max_outstanding && !held.is_empty())
        {
            let (id, start) = held.pop_front().unwrap();
            let end = now + rng.below(4 * block);
            // A release due before its note starts waits for it.
            let at = if end % 2 == 0 {
                At::Now
            } else {
                At::Frame(end)
            };
            retry(&mut sent, || ctl.at(at).release_note(id));
            releasing.push_back(start.max(end) + 2 * block + 240);
        }
    }
    while let Some((id, _)) = held.pop_front() {
        retry(&mut sent, || ctl.release_note(id));
    }
    sent
}

/// Runs the audio thread (its render loop passed through `wrap`, for
/// instance to count its allocations) and `s.threads` controller threads.
/// Returns the audio side after everything sent has been applied and every
/// release has had time to finish, with what was sent and heard.
pub fn run(
    s: Stress,
    wrap: impl FnOnce(&mut dyn FnMut()) + Send + 'static,
) -> (AudioEngine, Vec<Sent>, Heard) {
    let config = ControlConfig {
        controllers: s.threads,
        queue_capacity: s.queue_capacity,
        ..ControlConfig::default()
    };
    let (mut audio, first) = RealtimeEngine::with_voices(48_000.0, s.voices).split_with(config);
    let mut controllers = vec![first];
    while controllers.len() < s.threads {
        controllers.push(controllers[0].try_clone().unwrap());
    }
    let finished = Arc::new(AtomicUsize::new(0));
    let block = s.block;
    let audio_thread = {
        let finished = finished.clone();
        thread::spawn(move || {
            let mut mono = vec![0.0f32; block];
            let mut stereo = vec![0.0f32; 2 * block];
            let mut heard = Heard {
                blocks: 0,
                peak: 0.0,
                all_finite: true,
            };
            // Tails: the longest release is 5 ms; give them 20 ms.
            let tail = 960 + 16 * block as u64;
            let mut quiet_from = None;
            wrap(&mut || loop {
                let out: &mut [f32] = if heard.blocks % 2 == 0 {
                    audio.process_buffer(&mut mono);
                    &mut mono
                } else {
                    audio.process_stereo_buffer(&mut stereo);
                    &mut stereo
                };
                for x in out.iter() {
                    heard.all_finite &= x.is_finite();
                    heard.peak = heard.peak.max(x.abs());
                }
                heard.blocks += 1;
                if quiet_from.is_none()
                    && finished.load(Ordering::Acquire) == s.threads
                    && audio.pending_events() == 0
                {
                    quiet_from = Some(audio.frame());
                }
                if quiet_from.is_some_and(|f| audio.frame() > f + tail) {
                    break;
                }
            });
            (audio, heard)
        })
    };
    let senders: Vec<_> = controllers
        .into_iter()
        .enumerate()
        .map(|(i, ctl)| {
            let finished = finished.clone();
            thread::spawn(move || {
                let sent = control_thread(ctl, i as u64 + 1, s, block as u64);
                finished.fetch_add(1, Ordering::Release);
                sent
            })
        })
        .collect();
    let sent: Vec<Sent> = senders.into_iter().map(|t| t.join().unwrap()).collect();
    let (audio, heard) = audio_thread.join().unwrap();
    (audio, sent, heard)
}

/// The checks every run must pass: no stuck note, per-voice order kept,
/// bounded output.
pub fn check(audio: &AudioEngine, sent: &[Sent], heard: &Heard) {
    assert!(heard.all_finite, "non-finite output");
    assert!(heard.peak <= 1.0, "output peaked at {}", heard.peak);
    let mut probes = 0;
    for (t, s) in sent.iter().enumerate() {
        for id in &s.churn {
            assert!(audio.voice(*id).is_none(), "thread {t}: {id} is stuck");
        }
        for (id, hz, amplitude) in &s.probes {
            let voice = audio
                .voice(*id)
                .unwrap_or_else(|| panic!("thread {t}: probe {id} vanished"));
            assert_eq!(
                voice.frequency_hz(),
                *hz,
                "thread {t}: {id} frequency out of order"
            );
            assert_eq!(
                voice.amplitude(),
                *amplitude,
                "thread {t}: {id} amplitude out of order"
            );
            probes += 1;
        }
    }
    assert_eq!(
        audio.get_active_voice_count(),
        probes,
        "only the probes still sound"
    );
    assert_eq!(audio.pending_events(), 0);
}
