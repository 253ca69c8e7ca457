//! `check`: source text → parse, check, lower and Cranelift codegen (`strat_compiler::compile`),
//! with a header callback that invents the data columns (`strat_fuzz::invented_columns`). It may
//! return diagnostics; it must not panic, and a `strat::internal` diagnostic (a bug by
//! definition) counts as a crash. A program that compiles must have an error-free diagnostic list.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let mut columns = |path: &str| strat_fuzz::invented_columns(path);
    let (compiled, diags) = strat_compiler::compile(&src, "fuzz", &mut columns);
    strat_fuzz::assert_sound(&src, &diags);
    if compiled.is_some() {
        assert!(!diags.iter().any(|d| d.is_error()), "compiled despite an error diagnostic");
    } else {
        assert!(diags.iter().any(|d| d.is_error()), "rejected without an error diagnostic");
    }
});
