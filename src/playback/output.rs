//! The output device, its stream, and the render callback.

use std::fmt;
use std::sync::mpsc;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample, StreamConfig};

use crate::engine::RenderStereo;

/// Why audio could not be played.
#[derive(Debug)]
#[non_exhaustive]
pub enum PlaybackError {
    /// No output device with that name (or no default device).
    NoDevice(String),
    /// The device or its stream failed; the text is the device's.
    Device(String),
    /// The device only takes a sample format this crate does not write.
    UnsupportedFormat(String),
}

impl fmt::Display for PlaybackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlaybackError::NoDevice(what) => write!(f, "no audio output device {what}"),
            PlaybackError::Device(why) => write!(f, "the audio device failed: {why}"),
            PlaybackError::UnsupportedFormat(format) => {
                write!(
                    f,
                    "the audio device wants {format} samples, which are not supported"
                )
            }
        }
    }
}

impl std::error::Error for PlaybackError {}

impl From<cpal::Error> for PlaybackError {
    fn from(e: cpal::Error) -> Self {
        PlaybackError::Device(e.to_string())
    }
}

/// An audio output device and the configuration it will be opened with.
///
/// ```no_run
/// use polyphonica::playback::OutputDevice;
/// use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
///
/// let device = OutputDevice::default_device()?;
/// let mut engine = RealtimeEngine::new(device.sample_rate() as f32);
/// engine.trigger_note(Waveform::Sine, 440.0, AdsrEnvelope::default());
/// let playback = device.play(engine)?;
/// std::thread::sleep(std::time::Duration::from_secs(1));
/// drop(playback); // stops the stream
/// # Ok::<(), polyphonica::playback::PlaybackError>(())
/// ```
pub struct OutputDevice {
    device: cpal::Device,
    config: StreamConfig,
    format: SampleFormat,
    name: String,
}

impl fmt::Debug for OutputDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutputDevice")
            .field("name", &self.name)
            .field("sample_rate", &self.config.sample_rate)
            .field("channels", &self.config.channels)
            .field("format", &self.format)
            .finish()
    }
}

impl OutputDevice {
    /// The host's default output device in its default configuration.
    ///
    /// # Errors
    /// [`PlaybackError::NoDevice`] when the host has no output device,
    /// [`PlaybackError::Device`] when it cannot report its configuration.
    pub fn default_device() -> Result<Self, PlaybackError> {
        let host = cpal::default_host();
        let device = host
            .default_output_device()
            .ok_or_else(|| PlaybackError::NoDevice("(the system has no default output)".into()))?;
        Self::from_cpal(device)
    }

    /// The default output of a running JACK server (cargo feature `jack`).
    ///
    /// # Errors
    /// [`PlaybackError::NoDevice`] when no JACK server answers.
    #[cfg(feature = "jack")]
    pub fn jack_default() -> Result<Self, PlaybackError> {
        let host = cpal::host_from_id(cpal::HostId::Jack)
            .map_err(|e| PlaybackError::NoDevice(format!("(JACK is not available: {e})")))?;
        let device = host
            .default_output_device()
            .ok_or_else(|| PlaybackError::NoDevice("(no JACK server is running)".into()))?;
        Self::from_cpal(device)
    }

    /// The output device whose name contains `name` (case-insensitive).
    ///
    /// # Errors
    /// [`PlaybackError::NoDevice`] naming the devices there are.
    pub fn by_name(name: &str) -> Result<Self, PlaybackError> {
        let host = cpal::default_host();
        let wanted = name.to_lowercase();
        let mut seen = Vec::new();
        for device in host.output_devices()? {
            let device_name = device_name(&device);
            if device_name.to_lowercase().contains(&wanted) {
                return Self::from_cpal(device);
            }
            seen.push(device_name);
        }
        Err(PlaybackError::NoDevice(format!(
            "named \"{name}\"; there are: {}",
            seen.join(", ")
        )))
    }

    /// The names of the host's output devices.
    ///
    /// # Errors
    /// [`PlaybackError::Device`] if the host cannot list them.
    pub fn names() -> Result<Vec<String>, PlaybackError> {
        Ok(cpal::default_host()
            .output_devices()?
            .map(|d| device_name(&d))
            .collect())
    }

    fn from_cpal(device: cpal::Device) -> Result<Self, PlaybackError> {
        let supported = device.default_output_config()?;
        Ok(OutputDevice {
            name: device_name(&device),
            format: supported.sample_format(),
            config: supported.config(),
            device,
        })
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Frames per second the stream will run at: make the engine at this
    /// rate.
    pub fn sample_rate(&self) -> u32 {
        self.config.sample_rate
    }

    /// Channels of the device (1: the stereo mix is folded to mono; 2 or
    /// more: left and right on the first two, silence on the others).
    pub fn channels(&self) -> u16 {
        self.config.channels
    }

    /// The sample format the device takes, as cpal names it.
    pub fn sample_format(&self) -> String {
        self.format.to_string()
    }

    /// Starts the stream: from now on the device's callback calls
    /// `renderer` for every buffer. Dropping the returned [`Playback`] stops
    /// it.
    ///
    /// # Errors
    /// [`PlaybackError::UnsupportedFormat`] for a sample format other than
    /// 8/16/32-bit integer (signed or unsigned) or 32/64-bit float, and
    /// [`PlaybackError::Device`] when the stream cannot be built or started.
    pub fn play<R: RenderStereo>(&self, renderer: R) -> Result<Playback, PlaybackError> {
        let (errors_in, errors_out) = mpsc::channel();
        let stream = match self.format {
            SampleFormat::F32 => self.build::<f32, R>(renderer, errors_in)?,
            SampleFormat::F64 => self.build::<f64, R>(renderer, errors_in)?,
            SampleFormat::I16 => self.build::<i16, R>(renderer, errors_in)?,
            SampleFormat::U16 => self.build::<u16, R>(renderer, errors_in)?,
            SampleFormat::I32 => self.build::<i32, R>(renderer, errors_in)?,
            SampleFormat::U32 => self.build::<u32, R>(renderer, errors_in)?,
            SampleFormat::I8 => self.build::<i8, R>(renderer, errors_in)?,
            SampleFormat::U8 => self.build::<u8, R>(renderer, errors_in)?,
            other => return Err(PlaybackError::UnsupportedFormat(other.to_string())),
        };
        stream.play()?;
        Ok(Playback {
            _stream: stream,
            errors: errors_out,
        })
    }

    fn build<T, R>(
        &self,
        mut renderer: R,
        errors: mpsc::Sender<PlaybackError>,
    ) -> Result<cpal::Stream, PlaybackError>
    where
        T: SizedSample + FromSample<f32>,
        R: RenderStereo,
    {
        let channels = usize::from(self.config.channels.max(1));
        let stream = self.device.build_output_stream(
            self.config,
            move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
                write_frames(data, channels, &mut renderer);
            },
            move |err: cpal::Error| {
                // The error callback is not the audio callback: sending here
                // may allocate without harming the audio.
                let _ = errors.send(PlaybackError::Device(err.to_string()));
            },
            None,
        )?;
        Ok(stream)
    }
}

/// Frames rendered per pass inside the callback (a stack buffer).
const CALLBACK_CHUNK_FRAMES: usize = 256;

/// Renders stereo in stack-sized chunks and writes it in the device's
/// format and channel layout.
fn write_frames<T, R>(data: &mut [T], channels: usize, renderer: &mut R)
where
    T: SizedSample + FromSample<f32>,
    R: RenderStereo,
{
    let mut stereo = [0.0f32; CALLBACK_CHUNK_FRAMES * 2];
    for chunk in data.chunks_mut(CALLBACK_CHUNK_FRAMES * channels) {
        let frames = chunk.len() / channels;
        let stereo = &mut stereo[..frames * 2];
        renderer.render_stereo(stereo);
        for (frame, lr) in chunk.chunks_exact_mut(channels).zip(stereo.chunks_exact(2)) {
            if channels == 1 {
                frame[0] = T::from_sample(0.5 * (lr[0] + lr[1]));
            } else {
                frame[0] = T::from_sample(lr[0]);
                frame[1] = T::from_sample(lr[1]);
                for extra in &mut frame[2..] {
                    *extra = T::from_sample(0.0f32);
                }
            }
        }
    }
}

/// A running stream. Dropping it stops the sound.
pub struct Playback {
    _stream: cpal::Stream,
    errors: mpsc::Receiver<PlaybackError>,
}

impl fmt::Debug for Playback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Playback")
    }
}

impl Playback {
    /// Errors the device reported since the last call (underruns, a device
    /// that went away, …), for the controlling thread to show or act on.
    pub fn errors(&self) -> Vec<PlaybackError> {
        self.errors.try_iter().collect()
    }
}

fn device_name(device: &cpal::Device) -> String {
    device
        .description()
        .map(|d| d.name().to_string())
        .unwrap_or_else(|_| device.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpal::Sample;

    struct Ramp(f32);
    impl RenderStereo for Ramp {
        fn render_stereo(&mut self, output: &mut [f32]) {
            for lr in output.chunks_exact_mut(2) {
                lr[0] = self.0;
                lr[1] = -self.0;
                self.0 += 0.001;
            }
        }
    }

    #[test]
    fn channel_layouts_and_formats_are_written_frame_by_frame() {
        let mut quad = vec![7i16; 600 * 4];
        write_frames(&mut quad, 4, &mut Ramp(0.0));
        for (n, frame) in quad.chunks_exact(4).enumerate() {
            let expect = i16::from_sample(n as f32 * 0.001);
            assert!(
                (frame[0] - expect).abs() <= 1 && (frame[1] + expect).abs() <= 1,
                "frame {n}: {frame:?}"
            );
            assert_eq!(&frame[2..], &[0, 0]);
        }
        let mut mono = vec![0u16; 300];
        write_frames(&mut mono, 1, &mut Ramp(0.5));
        assert!(
            mono.iter().all(|&s| s == u16::from_sample(0.0f32)),
            "L and -L fold to silence"
        );
    }
}
