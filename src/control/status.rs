//! `Status`: the audio side's state as the controller side reads it.

/// The audio side's state, as
/// [`Controller::status`](super::Controller::status) reads it: one
/// consistent snapshot taken after a block.
///
/// ```
/// use polyphonica::RealtimeEngine;
/// let (mut audio, control) = RealtimeEngine::new(48_000.0).split();
/// audio.process_buffer(&mut [0.0; 4_800]);
/// let status = control.status();
/// assert_eq!(status.frame, 4_800);
/// assert_eq!(status.active_voices, 0);
/// println!("load {:.1} %", status.load * 100.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Status {
    /// The audio clock: frames rendered so far (the frame the next block
    /// starts at).
    pub frame: u64,
    /// Voices playing notes (stolen notes fading out not counted).
    pub active_voices: usize,
    /// Notes stolen to make room since the engine was made.
    pub voices_stolen: u64,
    /// Time spent rendering over the audio time rendered, over the last few
    /// blocks (16): 0.5 means the audio side uses half its time budget.
    pub load: f32,
    /// The master volume target the audio side applied last.
    pub master_volume: f32,
    /// Commands sent by any controller and not yet applied (queued, or
    /// waiting in the schedule for their frame).
    pub pending_events: usize,
}
