//! Links the `strat` executable at a fixed address (`-no-pie`).
//!
//! A position-independent executable makes the dynamic loader apply every relative relocation at
//! start: for this binary about 83,000 of them, which write (and so copy on write) about 1.8 MB of
//! `.data.rel.ro` before `main`. That was a tenth of a short command's CPU time (`strat run` of a
//! small program, an 82-binding sweep). The libraries (`cdylib`s of `python/` and `capi/`) and the
//! test binaries are not affected: the flag applies to this package's binaries only.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
