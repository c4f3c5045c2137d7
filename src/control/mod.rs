//! The lock-free way to share an engine between threads, with
//! sample-accurate scheduling.
//!
//! [`RealtimeEngine::split`](crate::RealtimeEngine::split) turns an engine
//! into an [`AudioEngine`], which the audio callback owns and renders with,
//! and a [`Controller`], which any other thread uses to queue the same
//! [`Event`](crate::Event)s the direct API applies, each stamped with the
//! frame [`At`] which it applies. Commands cross on bounded wait-free
//! single-producer queues (one per controller, from the `rtrb` crate); the
//! audio side never locks, waits or allocates.

mod audio;
mod command;
mod controller;
mod error;
mod phrase;
mod schedule;
mod shared;
mod split;
mod status;
mod sync;
mod time;
mod timed;

pub use audio::AudioEngine;
pub use controller::Controller;
pub use error::ControlError;
pub use phrase::{Phrase, PhraseNote};
pub use split::ControlConfig;
pub use status::Status;
pub use time::{At, Tempo};
pub use timed::Timed;
