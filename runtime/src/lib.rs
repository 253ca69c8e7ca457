//! Strat runtime: the [`frame::Frame`] (date index + columns), CSV input through polars with
//! precise data errors ([`io`]), alignment on date, the [`executor`] that runs a compiled plan for
//! one parameter binding, and the [`backtest`] engine. It knows nothing of syntax.

pub mod backtest;
pub mod calendar;
pub mod error;
pub mod executor;
pub mod frame;
pub mod sweep;
pub mod walk_forward;
pub mod weights;
pub mod io;
pub mod write;

pub use backtest::{Backtest, BacktestInput};
pub use executor::{load_data, prepare, run, run_prepared, Backend, Prepared, RunError, RunResult};
pub use frame::Frame;
pub use io::DataError;
