//! The `strat` command-line tool.

// `strat::Failure` carries a data error's file, line, column, code and help (~128 bytes); it is
// returned once per failure, never in a loop.
#![allow(clippy::result_large_err)]

mod cli;

fn main() {
    std::process::exit(cli::main());
}
