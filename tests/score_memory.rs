//! A score holds each sample's audio once, however many names it gives the
//! file: the probe's 7.7 KB score naming one 10 MB WAV 300 times peaked at
//! 5.9 GB (decoded 300 times). Memory now stays under twice the decoded
//! audio the piece uses (Linux: the process's peak resident set, VmHWM).
//! Alone in its test binary so that no other test moves the peak.

#![cfg(feature = "score")]

use polyphonica::render::Score;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_score_naming_one_sample_300_times_holds_it_once() {
    let dir = std::env::temp_dir().join(format!("polyphonica-score-memory-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // 10 MB of 16-bit mono: 5,000,000 frames, 20 MB once decoded to f32.
    let frames = 5_000_000u32;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(dir.join("big.wav"), spec).unwrap();
    for n in 0..frames {
        writer.write_sample(((n % 200) as i16 - 100) * 100).unwrap();
    }
    writer.finalize().unwrap();
    let mut text = String::from("tempo = 120\n[samples]\n");
    for i in 0..300 {
        text.push_str(&format!("s{i} = \"big.wav\"\n"));
    }
    for i in 0..300 {
        text.push_str(&format!(
            "[[note]]\nbeat = {i}\nbeats = 1\nwaveform = {{ sample = \"s{i}\" }}\n"
        ));
    }
    std::fs::write(dir.join("score.toml"), text).unwrap();

    let Some(before) = peak_rss_kib() else {
        eprintln!("skipped: no /proc/self/status");
        return;
    };
    let score = Score::from_file(dir.join("score.toml")).unwrap();
    let grown_kib = peak_rss_kib().unwrap().saturating_sub(before);
    let decoded_kib = u64::from(frames) * 4 / 1024;
    println!("peak grew by {grown_kib} KiB for {decoded_kib} KiB of decoded audio");
    assert_eq!(score.events().len(), 300);
    assert!(
        grown_kib < 2 * decoded_kib,
        "peak grew by {grown_kib} KiB, decoded audio is {decoded_kib} KiB"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
