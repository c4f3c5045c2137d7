//! Sound on a real audio device (cargo feature `playback`, through cpal).
//!
//! Open a device, make an engine at the device's sample rate, and hand the
//! engine's audio side to [`OutputDevice::play`]: the device's callback then
//! renders in stereo, converts to the device's sample format and channel
//! count, and never locks or allocates. Device errors reach the controlling
//! thread through [`Playback::errors`].
//!
//! On Linux the build needs ALSA's headers: `apt-get install libasound2-dev`.

mod output;

pub use crate::engine::RenderStereo;
pub use output::{OutputDevice, Playback, PlaybackError};
