//! Data input: CSV files into [`Frame`](crate::frame::Frame)s, and their alignment on date.
//!
//! Every failure is a [`DataError`] that names the file and, where there is one, the 1-based
//! line (header = 1) and the column, and carries a stable code (`strat::data::...`). Every read
//! is bounded: a data file at most [`ReadOptions::max_bytes`] (checked from its metadata before
//! reading), a header line at most [`csv::MAX_HEADER_BYTES`]; only regular files are read.

pub mod csv;
pub mod error;
pub mod join;
pub mod parquet;

pub use self::csv::{parse_number, read_csv, read_csv_with, read_header, read_header_with, read_long_csv, LongTable, ReadOptions};
pub use self::error::DataError;
pub use self::join::{asof_join, inner_join};
