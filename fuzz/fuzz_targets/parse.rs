//! `parse`: any bytes (as UTF-8, lossily) → `strat_grammar::source_to_ast`. It must return (an
//! AST and diagnostics) without panicking, and every diagnostic's label must be a character
//! range of the source.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let (_ast, diags) = strat_grammar::source_to_ast(&src);
    strat_fuzz::assert_sound(&src, &diags);
});
