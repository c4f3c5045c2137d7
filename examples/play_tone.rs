//! Plays a tone on the default audio device (cargo feature `playback`).
//!
//! ```text
//! cargo run --release --features playback --example play_tone [SECONDS] [HZ]
//! ```

#[cfg(feature = "playback")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use polyphonica::playback::OutputDevice;
    use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};

    let mut args = std::env::args().skip(1);
    let seconds: f32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let hz: f32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(440.0);
    let device = OutputDevice::default_device()?;
    println!(
        "device \"{}\": {} Hz, {} channels, {}",
        device.name(),
        device.sample_rate(),
        device.channels(),
        device.sample_format()
    );
    let mut engine = RealtimeEngine::new(device.sample_rate() as f32);
    engine.set_master_volume(0.5);
    engine.trigger_note(Waveform::Sine, hz, AdsrEnvelope::new(0.01, 0.0, 1.0, 0.01));
    let playback = device.play(engine)?;
    std::thread::sleep(std::time::Duration::from_secs_f32(seconds));
    for e in playback.errors() {
        eprintln!("device error: {e}");
    }
    Ok(())
}

#[cfg(not(feature = "playback"))]
fn main() {
    eprintln!("this example needs the `playback` feature: cargo run --features playback --example play_tone");
    std::process::exit(1);
}
