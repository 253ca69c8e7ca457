//! The results of a run, a sweep and a walk-forward as plain values with one serialisation
//! (serde), so that every front end (the CLI's `--json`, the Python and C interfaces) gives the
//! same values under the same names: [`RunReport`], [`SweepReport`] (rows of [`SweepRowReport`])
//! and [`WalkForwardReport`].
//!
//! Dates are `YYYY-MM-DD` text, metrics are objects keyed by the names of
//! [`strat_stdlib::metrics::METRICS`] in its order. Floats serialise round-trip exact; NaN is
//! `null` and the infinities are `"inf"` / `"-inf"` (SEMANTICS.md §4).
//!
//! ```no_run
//! use strat::Engine;
//!
//! let strategy = Engine::new().compile_file("examples/vix_guard.strat".as_ref()).expect("compiles");
//! let frame = strategy.load_data().expect("data loads");
//! let result = strategy.run(&frame, &strategy.params()).expect("runs");
//! let report = strategy.report(&frame, &result);
//! println!("{}", serde_json::to_string(&report).unwrap());
//! ```

mod conventions;
pub(crate) mod json;
mod run;
mod sweep;
pub mod tables;
mod walk_forward;

pub use conventions::{parametric_var_95, Conventions, InformationRatio, VarMethod, NORMAL_Q05};
pub use json::{ParamValue, Period};
pub use run::{AlertEpisode, AlertReport, AlertValue, KillSwitchReport, RunReport, TradesReport, WeightsLogLine, WeightsReport};
pub use sweep::{SweepReport, SweepRowReport, SweepWeightsReport};
pub use walk_forward::{FoldReport, WalkForwardReport, Windows};
