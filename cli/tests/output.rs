//! The tool never destroys or corrupts a file it did not make: the
//! reproducers of the careless-user probe, kept as tests. Outputs are
//! replaced only when complete, devices and FIFOs are written into and
//! never removed, an output that is an input is refused, Ctrl-C leaves the
//! old file, `-o -` streams a WAV with its real length, and a silent render
//! warns.

mod common;

use common::{root, run, scratch, BIN};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Files in `dir` other than `keep`: what a run left behind.
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !keep.contains(&name.as_str()))
        .collect()
}

fn has_command(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

#[cfg(unix)]
fn is_char_device(path: &str) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device())
}

#[cfg(unix)]
#[test]
fn a_device_that_fails_is_reported_and_never_removed() {
    // "No space left on device": the probe saw /dev/full removed (as root).
    let out = run(&["wave", "sine", "A4", "-d", "0.5", "-o", "/dev/full"]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(message.contains("could not write /dev/full"), "{message}");
    assert!(is_char_device("/dev/full"), "/dev/full is still a device");
    // A device that takes the data: written into, left in place.
    let out = run(&["wave", "sine", "A4", "-d", "0.5", "-o", "/dev/null"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(is_char_device("/dev/null"));
}

#[cfg(unix)]
#[test]
fn a_fifo_receives_the_whole_wav_and_stays() {
    let dir = scratch("fifo");
    let fifo = dir.join("pipe.wav");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !matches!(made, Ok(s) if s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            std::fs::File::open(&fifo)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            bytes
        })
    };
    let out = run(&[
        "wave",
        "sine",
        "A4",
        "-d",
        "0.5",
        "-o",
        fifo.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = reader.join().unwrap();
    let wav = hound::WavReader::new(&bytes[..]).unwrap();
    assert_eq!(wav.duration(), 22_050, "the header holds the real length");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo_like());
}

/// `FileType::is_fifo` through the Unix extension, as a method.
trait FifoLike {
    fn is_fifo_like(&self) -> bool;
}

impl FifoLike for std::fs::FileType {
    #[cfg(unix)]
    fn is_fifo_like(&self) -> bool {
        use std::os::unix::fs::FileTypeExt;
        self.is_fifo()
    }
    #[cfg(not(unix))]
    fn is_fifo_like(&self) -> bool {
        false
    }
}

#[test]
fn standard_output_gets_a_wav_with_its_length_in_the_header() {
    let out = run(&["wave", "saw", "110", "-d", "0.25", "-r", "48000", "-o", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let wav = hound::WavReader::new(&out.stdout[..]).unwrap();
    assert_eq!(wav.spec().sample_rate, 48_000);
    assert_eq!(wav.duration(), 12_000);
    assert_eq!(out.stdout.len(), 44 + 2 * 12_000);

    // Piped into sox, as a user would.
    if !has_command("sox") {
        eprintln!("skipped the sox half: sox is not installed");
        return;
    }
    let pipeline = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{BIN}' midi '{}' -o - | sox -t wav - -n stat 2>&1",
            root().join("../shared/testdata/midi/test01.mid").display()
        ))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&pipeline.stdout);
    let length = text
        .lines()
        .find_map(|l| l.strip_prefix("Length (seconds):"))
        .map(|v| v.trim().parse::<f64>().unwrap());
    assert!(
        matches!(length, Some(secs) if secs > 1.0),
        "sox read the stream: {text}"
    );
}

#[test]
fn an_output_that_is_an_input_is_refused_and_left_alone() {
    let dir = scratch("same-file");
    let wav = dir.join("kick.wav");
    std::fs::copy(root().join("tests/data/kick.wav"), &wav).unwrap();
    let before = std::fs::read(&wav).unwrap();
    let out = run(&[
        "sample",
        wav.to_str().unwrap(),
        "--note",
        "C5",
        "-o",
        wav.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is the input"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&wav).unwrap(), before);

    let song = dir.join("song.mid");
    std::fs::copy(root().join("../shared/testdata/midi/test01.mid"), &song).unwrap();
    let song_bytes = std::fs::read(&song).unwrap();
    let out = run(&["midi", song.to_str().unwrap(), "-o", song.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&song).unwrap(), song_bytes);

    // The score itself, and a sample the score reads (by another path).
    let score = dir.join("score.toml");
    let text =
        "[samples]\nkick = \"kick.wav\"\n[[note]]\ntime = 0\nwaveform = { sample = \"kick\" }\n";
    std::fs::write(&score, text).unwrap();
    for output in [score.clone(), dir.join(".").join("kick.wav")] {
        let out = run(&[
            "render",
            score.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("is the input"), "{}", stderr(&out));
    }
    assert_eq!(std::fs::read_to_string(&score).unwrap(), text);
    assert_eq!(std::fs::read(&wav).unwrap(), before);
    assert_eq!(
        leftovers(&dir, &["kick.wav", "song.mid", "score.toml"]),
        Vec::<String>::new()
    );
}

#[test]
fn a_render_that_cannot_fit_leaves_the_old_file_and_names_its_length() {
    let dir = scratch("too-long");
    let target = dir.join("old.wav");
    std::fs::write(&target, b"precious").unwrap();
    let score = dir.join("long.toml");
    std::fs::write(
        &score,
        "[[note]]\ntime = 9999998\npitch = \"A4\"\nduration = 1\n",
    )
    .unwrap();
    let out = run(&[
        "render",
        score.to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    // 9,999,998.2 s of stereo 16-bit: named by its whole length.
    assert!(
        message.contains("too long to hold in a WAV file"),
        "{message}"
    );
    assert!(message.contains("2777:46:"), "the real length: {message}");
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    assert_eq!(
        leftovers(&dir, &["old.wav", "long.toml"]),
        Vec::<String>::new()
    );
}

#[test]
fn a_failed_render_leaves_the_old_file_as_it_was() {
    let dir = scratch("failed");
    let target = dir.join("old.wav");
    std::fs::write(&target, b"precious").unwrap();
    // The pitch is fine for the check but the sample is not a WAV file.
    let bogus = dir.join("bogus.wav");
    std::fs::write(&bogus, b"not audio").unwrap();
    let out = run(&[
        "sample",
        bogus.to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    // A successful render replaces it whole.
    let out = run(&[
        "wave",
        "sine",
        "A4",
        "-d",
        "0.1",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(hound::WavReader::open(&target).unwrap().duration(), 4_410);
    assert_eq!(
        leftovers(&dir, &["old.wav", "bogus.wav"]),
        Vec::<String>::new()
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_mid_render_leaves_the_old_file_and_no_partial_one() {
    let dir = scratch("interrupt");
    let target = dir.join("old.wav");
    std::fs::write(&target, b"precious").unwrap();
    // Two hours of audio: long enough to be interrupted.
    let mut child = Command::new(BIN)
        .args([
            "wave",
            "noise",
            "A4",
            "-d",
            "7200",
            "-o",
            target.to_str().unwrap(),
        ])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the render has begun writing its temporary file.
    let deadline = Instant::now() + Duration::from_secs(20);
    while leftovers(&dir, &["old.wav"]).is_empty() {
        assert!(Instant::now() < deadline, "the render never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "stopped by the interrupt");
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    assert_eq!(leftovers(&dir, &["old.wav"]), Vec::<String>::new());
}

#[test]
fn a_silent_render_warns() {
    let dir = scratch("silent");
    let target = dir.join("quiet.wav");
    let out = run(&[
        "sweep",
        "sine",
        "440",
        "440",
        "--amplitude",
        "0",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("warning: the output is silent"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_note_no_longer_than_its_release_is_heard() {
    // The probe's silent success: 0.2 s with the default 0.2 s release.
    let dir = scratch("short-note");
    let target = dir.join("short.wav");
    let out = run(&[
        "sweep",
        "sine",
        "440",
        "440",
        "-d",
        "0.2",
        "-o",
        target.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(stderr(&out).is_empty(), "no warning: {}", stderr(&out));
    let mut wav = hound::WavReader::open(&target).unwrap();
    let peak = wav
        .samples::<i16>()
        .map(|s| s.unwrap().unsigned_abs())
        .max()
        .unwrap();
    assert!(peak > 16_000, "peak {peak} of 32767");
}
