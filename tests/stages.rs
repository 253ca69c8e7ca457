//! Every example at every stage: its AST, typed HIR, optimised plan and Cranelift IR, as insta
//! snapshots under tests/snapshots/, so a change to any stage shows up as a reviewed diff.
//! With `CI=true` a missing or changed snapshot fails; `INSTA_UPDATE=always cargo test --test
//! stages` (or `cargo insta review`) writes them.

use std::path::{Path, PathBuf};

/// The example programs, in file-name order.
fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("examples/").map(|e| e.expect("entry").path()).filter(|p| p.extension().is_some_and(|x| x == "strat")).collect();
    files.sort();
    assert!(!files.is_empty(), "no examples in {}", dir.display());
    files
}

/// The columns of a CSV file (its header without `date`), relative to `dir`.
fn columns_of(dir: &Path, path: &str) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(dir.join(path)).map_err(|e| format!("{path}: {e}"))?;
    let header = text.lines().next().unwrap_or("");
    Ok(header.split(',').skip(1).map(str::to_string).collect())
}

#[test]
fn every_example_at_every_stage() {
    for file in examples() {
        let name = file.file_stem().and_then(|s| s.to_str()).expect("a UTF-8 file name").to_string();
        let src = std::fs::read_to_string(&file).expect("the example");
        let (ast, diags) = strat_grammar::source_to_ast(&src);
        assert!(diags.is_empty(), "{name}: {diags:?}");
        insta::assert_snapshot!(format!("{name}.ast"), strat_grammar::print::program_tree(&ast));

        let dir = file.parent().expect("examples/").to_path_buf();
        // A `use` reads the used file beside the example.
        let mut read_use = |p: &str| {
            let f = dir.join(p);
            let source = std::fs::read_to_string(&f).map_err(|e| e.to_string())?;
            Ok(strat_compiler::expand::UsedFile { key: f.canonicalize().map_err(|e| e.to_string())?.display().to_string(), source })
        };
        let (compiled, diags) = strat_compiler::compile_with_files(&src, &name, &mut |p| columns_of(&dir, p), &mut read_use, strat_grammar::DEFAULT_MAX_DEPTH);
        let compiled = compiled.unwrap_or_else(|| panic!("{name}: {diags:?}"));
        insta::assert_snapshot!(format!("{name}.hir"), strat_compiler::print::hir_tree(&compiled.hir));
        insta::assert_snapshot!(format!("{name}.plan"), compiled.plan_text());
        insta::assert_snapshot!(format!("{name}.clif"), compiled.kernels.clif());
    }
}
