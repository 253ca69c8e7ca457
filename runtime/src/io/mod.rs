//! Data input: CSV files into [`Frame`](crate::frame::Frame)s, and their alignment on date.
//!
//! Every failure is a [`DataError`] that names the file and, where there is one, the 1-based
//! line (header = 1) and the column.

pub mod csv;
pub mod error;
pub mod join;

pub use self::csv::{parse_number, read_csv, read_header};
pub use self::error::DataError;
pub use self::join::inner_join;
