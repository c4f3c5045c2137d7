//! Streaming a timeline to a WAV file keeps memory flat: rendering two
//! minutes takes no more memory than rendering five seconds (Linux: the
//! process's peak resident set, VmHWM). Alone in its test binary so that
//! no other test moves the peak.

use polyphonica::render::{TimelineEvent, TimelineRenderer, WavFormat, WavSink};
use polyphonica::{AdsrEnvelope, SoundEvent, Waveform};
use std::io::{self, Seek, SeekFrom, Write};

/// A file that keeps nothing: counts bytes, accepts seeks.
#[derive(Default)]
struct Discard {
    position: u64,
    len: u64,
}

impl Write for Discard {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.position += buf.len() as u64;
        self.len = self.len.max(self.position);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Discard {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.position = match to {
            SeekFrom::Start(p) => p,
            SeekFrom::End(d) => (self.len as i64 + d) as u64,
            SeekFrom::Current(d) => (self.position as i64 + d) as u64,
        };
        Ok(self.position)
    }
}

/// Peak resident memory of this process in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Four held notes across `secs` seconds, streamed as 32-bit float stereo.
fn stream(secs: f32) -> u64 {
    let events: Vec<TimelineEvent> = [110.0, 220.0, 330.0, 440.0]
        .iter()
        .map(|&hz| {
            let e = SoundEvent::new(
                Waveform::Sawtooth,
                hz,
                secs,
                AdsrEnvelope::new(0.01, 0.1, 0.7, 0.5),
            );
            TimelineEvent::new(0.0, e).with_amplitude(0.2)
        })
        .collect();
    let mut renderer = TimelineRenderer::new(&events, secs, 48_000).unwrap();
    let format = WavFormat {
        sample_rate: 48_000,
        channels: polyphonica::render::Channels::Stereo,
        encoding: polyphonica::render::WavEncoding::Float32,
    };
    let mut sink = WavSink::new(Discard::default(), format).unwrap();
    renderer.render_to(&mut sink, |_, _| {}).unwrap();
    let frames = sink.frames_written();
    sink.finalize().unwrap();
    frames
}

#[test]
fn streaming_two_minutes_takes_no_more_memory_than_five_seconds() {
    assert_eq!(stream(5.0), 240_000);
    let Some(after_short) = peak_rss_kib() else {
        eprintln!("skipped: no /proc/self/status");
        return;
    };
    // Two minutes of 32-bit stereo is 46 MB of output; none of it is kept.
    assert_eq!(stream(120.0), 5_760_000);
    let after_long = peak_rss_kib().unwrap();
    let growth = after_long.saturating_sub(after_short);
    eprintln!("peak RSS after 5 s: {after_short} KiB, after 120 s: {after_long} KiB");
    assert!(growth < 2_048, "peak memory grew by {growth} KiB");
}
