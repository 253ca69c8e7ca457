//! The limits of this process (spec/limits.md), set once from the command line's flags.

use super::args::LimitArgs;
use strat::Engine;

impl LimitArgs {
    /// The limits the flags set, the defaults of [`strat::Limits`] where a flag is absent.
    pub(super) fn limits(&self) -> strat::Limits {
        let d = strat::Limits::default();
        strat::Limits {
            max_source_bytes: self.max_source_bytes.unwrap_or(d.max_source_bytes),
            max_depth: self.max_depth.unwrap_or(d.max_depth),
            max_memory_bytes: self.max_memory.unwrap_or(d.max_memory_bytes),
            max_data_bytes: self.max_data_bytes.unwrap_or(d.max_data_bytes),
            max_output_bytes: self.max_output_bytes.unwrap_or(d.max_output_bytes),
        }
    }
}

/// The limits of this process, set once from the command line before any command runs.
pub(super) static LIMITS: std::sync::OnceLock<strat::Limits> = std::sync::OnceLock::new();

/// The limits given on the command line (defaults where a flag is absent).
pub(super) fn limits() -> strat::Limits {
    LIMITS.get().copied().unwrap_or_default()
}

/// An engine with the command line's limits.
pub(super) fn engine() -> Engine {
    Engine::new().with_limits(limits())
}
