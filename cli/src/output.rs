//! Where a render's WAV file goes, and how it gets there without ever
//! destroying what was there before.
//!
//! Every render is written whole into a temporary file first. Only when it
//! is complete (its header final) does it take its place:
//!
//! - a regular file (or a new one) is replaced by renaming the temporary
//!   file, made in the same folder, over it: a render that fails or is
//!   interrupted leaves the old file exactly as it was;
//! - `-` copies it to standard output (a pipe into `sox` works, and the
//!   header holds the real length);
//! - a device or a FIFO (`/dev/null`, `/dev/stdout`, a named pipe) has the
//!   file copied into it: it is written to, never replaced or removed.
//!
//! The only file the tool ever removes is its own temporary file, also when
//! Ctrl-C stops a render. An output that is one of the inputs is refused
//! before anything is read or written.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use polyphonica::render::{WavFormat, WavSink};
use tempfile::NamedTempFile;

use crate::{fail, io_cause, Failure};

/// The sink a render writes into.
pub(crate) type Sink<'a> = WavSink<&'a mut BufWriter<File>>;

/// The temporary file being written, for the Ctrl-C handler to remove.
static IN_PROGRESS: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Makes Ctrl-C remove the temporary file of a render in progress (and
/// nothing else) before the tool exits.
pub(crate) fn remove_partial_output_on_interrupt() {
    // If the handler cannot be installed, Ctrl-C still leaves the target as
    // it was; only a temporary file may be left behind.
    let _ = ctrlc::set_handler(|| {
        let partial = IN_PROGRESS.lock().ok().and_then(|mut p| p.take());
        if let Some(path) = partial {
            let _ = std::fs::remove_file(path);
        }
        eprintln!("interrupted: nothing was written");
        std::process::exit(130);
    });
}

/// Where the WAV goes.
#[derive(Debug)]
pub(crate) enum Destination {
    /// `-`: standard output.
    Stdout,
    /// A device, FIFO or other non-regular file: written into, as is.
    Special(PathBuf),
    /// A regular file, existing or new: replaced whole.
    File(PathBuf),
}

impl Destination {
    /// The destination `-o` names, refused if it is one of `inputs` (files
    /// the render reads).
    pub(crate) fn new(output: &Path, inputs: &[&Path]) -> Result<Self, Failure> {
        if output == Path::new("-") {
            return Ok(Destination::Stdout);
        }
        let Ok(meta) = std::fs::metadata(output) else {
            return Ok(Destination::File(output.to_path_buf()));
        };
        if let Some(input) = inputs.iter().find(|input| same_file(output, input)) {
            return fail(format!(
                "the output {} is the input {}; writing it would destroy the input, choose another output",
                output.display(),
                input.display()
            ));
        }
        if meta.is_dir() {
            return fail(format!(
                "the output {} is a directory; name a file in it",
                output.display()
            ));
        }
        if !meta.is_file() {
            return Ok(Destination::Special(output.to_path_buf()));
        }
        // Through a symbolic link, the file it points to is replaced.
        let real = std::fs::canonicalize(output).unwrap_or_else(|_| output.to_path_buf());
        Ok(Destination::File(real))
    }

    /// Writes a WAV file in `format`: `render` fills the sink, then the
    /// complete file takes its place. Warns on standard error when every
    /// sample is 0.
    pub(crate) fn write(
        &self,
        format: WavFormat,
        render: impl FnOnce(&mut Sink<'_>) -> Result<(), Failure>,
    ) -> Result<(), Failure> {
        let mut temp = self.temporary_file()?;
        *IN_PROGRESS.lock().unwrap_or_else(|p| p.into_inner()) = Some(temp.path().to_path_buf());
        let result = self.fill(&mut temp, format, render);
        IN_PROGRESS.lock().unwrap_or_else(|p| p.into_inner()).take();
        let silent = result?;
        if silent {
            eprintln!("warning: the output is silent: every sample is 0");
        }
        self.put_in_place(temp)
    }

    fn name(&self) -> String {
        match self {
            Destination::Stdout => "standard output".into(),
            Destination::Special(path) | Destination::File(path) => path.display().to_string(),
        }
    }

    fn cannot_write(&self, why: impl std::fmt::Display) -> Failure {
        Failure(format!("could not write {}: {why}", self.name()))
    }

    /// A temporary file beside the target (so that renaming it is atomic),
    /// or in the system's temporary folder when nothing will be renamed.
    fn temporary_file(&self) -> Result<NamedTempFile, Failure> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".polyphonica-").suffix(".wav.part");
        let made = match self {
            Destination::File(path) => {
                let folder = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                // As File::create would: the umask's permissions for a new
                // file, the old file's for a replaced one.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    builder.permissions(std::fs::Permissions::from_mode(0o666));
                }
                let temp = builder.tempfile_in(folder);
                if let (Ok(temp), Ok(old)) = (&temp, std::fs::metadata(path)) {
                    let _ = temp.as_file().set_permissions(old.permissions());
                }
                temp
            }
            Destination::Stdout | Destination::Special(_) => builder.tempfile(),
        };
        made.map_err(|e| self.cannot_write(e))
    }

    /// Renders into `temp`; returns whether the output is silent.
    fn fill(
        &self,
        temp: &mut NamedTempFile,
        format: WavFormat,
        render: impl FnOnce(&mut Sink<'_>) -> Result<(), Failure>,
    ) -> Result<bool, Failure> {
        let mut writer = BufWriter::with_capacity(
            1 << 16,
            temp.as_file()
                .try_clone()
                .map_err(|e| self.cannot_write(e))?,
        );
        let mut sink =
            WavSink::new(&mut writer, format).map_err(|e| self.cannot_write(io_cause(&e)))?;
        render(&mut sink)?;
        let silent = sink.is_silent();
        sink.finalize()
            .map_err(|e| self.cannot_write(io_cause(&e)))?;
        writer.flush().map_err(|e| self.cannot_write(e))?;
        Ok(silent)
    }

    /// Moves or copies the complete file to the destination.
    fn put_in_place(&self, temp: NamedTempFile) -> Result<(), Failure> {
        match self {
            Destination::File(path) => temp
                .persist(path)
                .map(drop)
                .map_err(|e| self.cannot_write(e.error)),
            Destination::Stdout => {
                let stdout = std::io::stdout();
                copy_into(temp, &mut stdout.lock()).map_err(|e| self.cannot_write(e))
            }
            Destination::Special(path) => {
                let mut target = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| self.cannot_write(e))?;
                copy_into(temp, &mut target).map_err(|e| self.cannot_write(e))
            }
        }
    }
}

/// Copies the whole of `temp` into `out` (the temporary file is removed
/// when `temp` drops).
fn copy_into(temp: NamedTempFile, out: &mut impl Write) -> std::io::Result<()> {
    let mut file = temp.as_file();
    file.seek(SeekFrom::Start(0))?;
    std::io::copy(&mut file, out)?;
    out.flush()
}

/// Whether two paths name the same file (following links).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}
