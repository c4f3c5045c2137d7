//! `Tap`: a copy of what an audio callback plays, handed to another thread
//! (to record or analyse it) over a lock-free ring.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use super::RenderStereo;

/// Wraps a [`RenderStereo`] so that every block it renders is also copied
/// into a bounded lock-free ring (`rtrb`), for a [`TapReader`] on another
/// thread: record a live performance, meter it, write it to a file. The
/// audio side never waits or allocates: a block that finds the ring full is
/// not copied, and counted.
///
/// ```
/// use polyphonica::engine::{RenderStereo, Tap};
/// use polyphonica::{AdsrEnvelope, EventTarget, RealtimeEngine, Waveform};
///
/// let mut engine = RealtimeEngine::new(48_000.0);
/// engine.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
/// let (mut tapped, mut reader) = Tap::new(engine, 48_000); // one second
/// let mut block = [0.0f32; 512];
/// tapped.render_stereo(&mut block); // on the audio thread
/// let mut recording = Vec::new();
/// reader.read_into(&mut recording); // elsewhere
/// assert_eq!(recording, block);
/// assert_eq!(reader.dropped_blocks(), 0);
/// ```
#[derive(Debug)]
pub struct Tap<R> {
    inner: R,
    ring: rtrb::Producer<f32>,
    dropped: Arc<AtomicU64>,
}

/// The reading end of a [`Tap`].
#[derive(Debug)]
pub struct TapReader {
    ring: rtrb::Consumer<f32>,
    dropped: Arc<AtomicU64>,
}

impl<R: RenderStereo> Tap<R> {
    /// Taps `inner` through a ring of `capacity_frames` stereo frames
    /// (allocated here).
    pub fn new(inner: R, capacity_frames: usize) -> (Tap<R>, TapReader) {
        let (ring, reader) = rtrb::RingBuffer::new(2 * capacity_frames.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let tap = Tap {
            inner,
            ring,
            dropped: dropped.clone(),
        };
        (
            tap,
            TapReader {
                ring: reader,
                dropped,
            },
        )
    }

    /// The wrapped renderer.
    pub fn inner(&mut self) -> &mut R {
        &mut self.inner
    }
}

impl<R: RenderStereo> RenderStereo for Tap<R> {
    fn render_stereo(&mut self, output: &mut [f32]) {
        self.inner.render_stereo(output);
        match self.ring.write_chunk(output.len()) {
            Ok(mut chunk) => {
                let (a, b) = chunk.as_mut_slices();
                let split = a.len();
                a.copy_from_slice(&output[..split]);
                b.copy_from_slice(&output[split..]);
                chunk.commit_all();
            }
            Err(_) => {
                self.dropped.fetch_add(1, Relaxed);
            }
        }
    }
}

impl TapReader {
    /// Hands every sample copied so far (interleaved stereo) to `take`, in
    /// one or two slices, and returns how many samples that was.
    pub fn read_with(&mut self, mut take: impl FnMut(&[f32])) -> usize {
        let Ok(chunk) = self.ring.read_chunk(self.ring.slots()) else {
            return 0;
        };
        let (a, b) = chunk.as_slices();
        take(a);
        take(b);
        let n = a.len() + b.len();
        chunk.commit_all();
        n
    }

    /// Appends every sample copied so far to `out`; returns how many.
    pub fn read_into(&mut self, out: &mut Vec<f32>) -> usize {
        self.read_with(|s| out.extend_from_slice(s))
    }

    /// Blocks the audio side could not copy because the ring was full.
    pub fn dropped_blocks(&self) -> u64 {
        self.dropped.load(Relaxed)
    }
}
