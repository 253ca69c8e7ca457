//! Strat runtime: runs a `strat_compiler::Program` + `Plan` + bound params (no checker, no syntax).
//! Loading and alignment: [`load`], [`io`] (polars CSV), [`frame`]; plan execution: [`plan_runner`]
//! runs the kernels the compiler hands over (`strat_compiler::Kernels`) over a run's columns, and
//! [`executor`] runs a program for one binding (JIT through the plan runner, or the reference
//! evaluator) and backtests it; the backtest: [`backtest`], [`calendar`],
//! [`weights`]; studies: [`sweep`], [`walk_forward`]; errors: [`error`]. Parsing and checking live
//! in strat-grammar / strat-compiler; the metrics in strat-stdlib (`strat_stdlib::metrics`).

// `DataError` carries the file, line, column, code and help of a data error so that every
// message names its place; it is returned once per failure, never in a loop, so its size (~128
// bytes) costs nothing worth boxing it for.
#![allow(clippy::result_large_err)]

pub mod alerts;
pub mod asof;
pub mod backtest;
pub mod calendar;
pub mod error;
pub mod executor;
pub mod frame;
pub mod io;
pub mod load;
pub mod merge;
pub mod plan_runner;
pub mod portfolio;
pub mod regimes;
pub mod shard;
pub mod sweep;
pub mod walk_forward;
pub mod weights;
pub mod write;

pub use backtest::{Backtest, BacktestInput};
pub use executor::{load_data, prepare, run, run_prepared, Backend, Prepared, RunError, RunResult};
pub use frame::Frame;
pub use io::DataError;
