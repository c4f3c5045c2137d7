//! MIDI input ports (cargo feature `midi-input`, through midir).

use std::fmt;

use super::live::LiveMidi;

/// Why a MIDI input could not be opened.
#[derive(Debug)]
pub struct MidiInputError(String);

impl fmt::Display for MidiInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MidiInputError {}

/// An open MIDI input: while it lives, every message that arrives on the
/// port is parsed and queued to the audio side. Drop it to close the port.
pub struct MidiInputConnection {
    _connection: midir::MidiInputConnection<()>,
    port_name: String,
}

impl fmt::Debug for MidiInputConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MidiInputConnection")
            .field("port_name", &self.port_name)
            .finish()
    }
}

impl MidiInputConnection {
    /// The name of the connected port.
    pub fn port_name(&self) -> &str {
        &self.port_name
    }
}

/// The names of the MIDI input ports the system offers.
///
/// # Errors
/// [`MidiInputError`] if the MIDI system cannot be opened.
pub fn input_port_names() -> Result<Vec<String>, MidiInputError> {
    let input = midir::MidiInput::new("polyphonica")
        .map_err(|e| MidiInputError(format!("MIDI is not available: {e}")))?;
    Ok(input
        .ports()
        .iter()
        .filter_map(|p| input.port_name(p).ok())
        .collect())
}

/// Connects the input port whose name contains `port` (case-insensitive),
/// or the first port when `port` is `None`, and plays its messages through
/// `live` (so through its controller's queue) as they arrive.
///
/// # Errors
/// [`MidiInputError`] naming the ports there are when none matches, or
/// saying why the port could not be opened.
pub fn connect_input(
    port: Option<&str>,
    mut live: LiveMidi,
) -> Result<MidiInputConnection, MidiInputError> {
    let mut input = midir::MidiInput::new("polyphonica")
        .map_err(|e| MidiInputError(format!("MIDI is not available: {e}")))?;
    input.ignore(midir::Ignore::All);
    let ports = input.ports();
    let names: Vec<String> = ports
        .iter()
        .map(|p| input.port_name(p).unwrap_or_default())
        .collect();
    let index = match port {
        None => (!ports.is_empty()).then_some(0),
        Some(wanted) => {
            let wanted = wanted.to_lowercase();
            names
                .iter()
                .position(|n| n.to_lowercase().contains(&wanted))
        }
    }
    .ok_or_else(|| {
        MidiInputError(format!(
            "no MIDI input port {}; there are: {}",
            port.map(|p| format!("named \"{p}\"")).unwrap_or_default(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ))
    })?;
    let port_name = names[index].clone();
    let connection = input
        .connect(
            &ports[index],
            "polyphonica-in",
            move |_micros, bytes, _| live.send_bytes(bytes),
            (),
        )
        .map_err(|e| MidiInputError(format!("could not open MIDI input \"{port_name}\": {e}")))?;
    Ok(MidiInputConnection {
        _connection: connection,
        port_name,
    })
}
