//! `jit_vs_reference`: the differential test, driven by the fuzzer. The input's first 32 bytes
//! seed the generator (`runtime/tests/common/mod.rs`) that writes the program and its data;
//! byte 32 sets the expression depth (1..=6), byte 33 the number of rows (1..=160), bytes 34
//! and 35 the params p0 (0..=9, a window length) and p1 (a value of `SPECIAL` or the default);
//! every following pair (position, value) plants a special value (NaN, ±inf, ±0, 1e308,
//! subnormals, ...) in the data. The program is compiled to kernels and run on both backends (the
//! kernels by the runtime's plan runner);
//! any output that differs bitwise after NaN canonicalisation panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strat_fuzz::generator::{data as gen_data, ProgramGen};
use strat_fuzz::SPECIAL;

fuzz_target!(|bytes: &[u8]| {
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut rng = strat_fuzz::rng_from(bytes);
    let depth = 1 + (at(32) % 6) as u32;
    let src = ProgramGen::new(&mut rng).program(depth);
    let mut columns = |_: &str| Ok(vec!["a".to_string(), "b".to_string(), "c".to_string()]);
    let (compiled, diags) = strat_compiler::compile(&src, "generated", &mut columns);
    strat_fuzz::assert_sound(&src, &diags);
    let Some(compiled) = compiled else { return };
    let rows = 1 + (at(33) as usize % 160);
    let mut cols = gen_data(&mut rng, rows);
    for pair in bytes.get(36..).unwrap_or(&[]).chunks_exact(2) {
        let cell = pair[0] as usize % (3 * rows);
        cols[cell % 3][cell / 3] = SPECIAL[pair[1] as usize % SPECIAL.len()];
    }
    let mut params = compiled.default_params();
    if params.len() >= 2 {
        params[0] = (at(34) % 10) as f64;
        let v = at(35) as usize;
        if v < SPECIAL.len() {
            params[1] = SPECIAL[v];
        }
    }
    strat_fuzz::assert_backends_agree(&src, &compiled, &cols, &params);
});
