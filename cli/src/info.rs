//! `polyphonica info`: what a WAV file holds and how loud it is.

use std::path::Path;

use crate::Failure;

/// Prints the file's encoding, channels, rate, length, and peak and RMS
/// levels (over all channels), reading it a block at a time.
pub(crate) fn describe(path: &Path) -> Result<(), Failure> {
    let cannot = |e: &dyn std::fmt::Display| {
        Failure(format!(
            "could not read {} as a WAV file: {e}",
            path.display()
        ))
    };
    let mut reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::IoError(io) => cannot(&io),
        other => cannot(&other),
    })?;
    let spec = reader.spec();
    let frames = u64::from(reader.duration());
    let (mut peak, mut sum_squares, mut count) = (0.0f64, 0.0f64, 0u64);
    let mut add = |x: f64| {
        peak = peak.max(x.abs());
        sum_squares += x * x;
        count += 1;
    };
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for s in reader.samples::<f32>() {
                add(f64::from(s.map_err(|e| cannot(&e))?));
            }
        }
        hound::SampleFormat::Int => {
            let full_scale = 2f64.powi(i32::from(spec.bits_per_sample) - 1);
            for s in reader.samples::<i32>() {
                add(f64::from(s.map_err(|e| cannot(&e))?) / full_scale);
            }
        }
    }
    let rms = if count == 0 {
        0.0
    } else {
        (sum_squares / count as f64).sqrt()
    };
    let encoding = match spec.sample_format {
        hound::SampleFormat::Float => format!("{}-bit float", spec.bits_per_sample),
        hound::SampleFormat::Int => format!("{}-bit integer PCM", spec.bits_per_sample),
    };
    let layout = match spec.channels {
        1 => " (mono)",
        2 => " (stereo)",
        _ => "",
    };
    println!("file:        {}", path.display());
    println!("encoding:    {encoding}");
    println!("channels:    {}{layout}", spec.channels);
    println!("sample rate: {} Hz", spec.sample_rate);
    println!(
        "length:      {frames} frames ({:.3} s)",
        frames as f64 / f64::from(spec.sample_rate.max(1))
    );
    println!("peak:        {:.6} ({})", peak, decibels(peak));
    println!("rms:         {:.6} ({})", rms, decibels(rms));
    Ok(())
}

fn decibels(level: f64) -> String {
    if level > 0.0 {
        format!("{:.1} dBFS", 20.0 * level.log10())
    } else {
        "silent".to_string()
    }
}
