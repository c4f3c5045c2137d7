//! `RenderStereo`: anything that fills interleaved stereo buffers on
//! demand, as an audio callback or a file writer pulls them.

use super::RealtimeEngine;

/// Something that renders interleaved stereo (L R L R …) on demand: the
/// engine, the audio side of a split engine, a timeline, a MIDI file
/// player. A device callback (the `playback` module, with the
/// `playback` feature) and a file writer pull from it alike.
/// Implementations used on an audio thread must not allocate, lock or
/// block.
///
/// ```
/// use polyphonica::{AdsrEnvelope, EventTarget, RealtimeEngine, Waveform};
/// use polyphonica::engine::RenderStereo;
///
/// fn pull(source: &mut impl RenderStereo, frames: usize) -> Vec<f32> {
///     let mut out = vec![0.0; 2 * frames];
///     for block in out.chunks_mut(512) {
///         source.render_stereo(block);
///     }
///     out
/// }
/// let mut engine = RealtimeEngine::new(48_000.0);
/// engine.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default()).unwrap();
/// assert!(pull(&mut engine, 4_800).iter().any(|s| s.abs() > 0.1));
/// ```
pub trait RenderStereo: Send + 'static {
    /// Renders interleaved stereo (L R L R …) into `output`, overwriting
    /// it.
    fn render_stereo(&mut self, output: &mut [f32]);
}

impl RenderStereo for RealtimeEngine {
    fn render_stereo(&mut self, output: &mut [f32]) {
        self.process_stereo_buffer(output);
    }
}
