//! Compiling a program into a `StratStrategy`, and its params.

use std::ffi::{c_char, CString};
use std::os::raw::c_int;
use std::path::Path;

use strat::{Engine, Frame, Params, Strategy};

use crate::error::{guard, guard_value, Error};
use crate::{handle, handle_mut, str_arg, write_out};

/// A compiled `.strat` program with its params (opaque).
///
/// Made by `strat_compile_file` or `strat_compile_source`, freed by
/// `strat_strategy_free`. It owns one set of param values, the defaults at first, which
/// `strat_param_set` and `strat_param_set_value` change and every later
/// `strat_run` and `strat_sweep` uses. It also keeps the program's data
/// once the first run or sweep has loaded it: later runs reuse it (compile again to read
/// changed files).
pub struct StratStrategy {
    pub(crate) strategy: Strategy,
    pub(crate) params: Params,
    /// Which params were set (a sweep fixes them at their value).
    pub(crate) set: Vec<bool>,
    pub(crate) frame: Option<Frame>,
    param_names: Vec<CString>,
    name: CString,
    warnings: CString,
}

impl StratStrategy {
    fn new(strategy: Strategy) -> StratStrategy {
        let params = strategy.params();
        StratStrategy {
            set: vec![false; params.names.len()],
            param_names: params.names.iter().map(|n| crate::c_string(n.as_str())).collect(),
            name: crate::c_string(strategy.name()),
            warnings: crate::c_string(strat::render::render_diagnostics(strategy.warnings(), false)),
            params,
            strategy,
            frame: None,
        }
    }

    /// The program's data, loaded on first use.
    pub(crate) fn frame(&mut self) -> Result<&Frame, Error> {
        if self.frame.is_none() {
            self.frame = Some(self.strategy.load_data().map_err(|f| Error::failure(&f))?);
        }
        Ok(self.frame.as_ref().expect("loaded above"))
    }

    /// The index of param `name`, or the unknown-name error (with a did-you-mean and the list).
    fn param_index(&self, func: &str, name: &str) -> Result<usize, Error> {
        let names = &self.params.names;
        names.iter().position(|n| n == name).ok_or_else(|| {
            let hint =
                strat_compiler::suggest::did_you_mean(name, names.iter().map(String::as_str)).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
            let list = if names.is_empty() { "the program declares no params".to_string() } else { format!("params: {}", names.join(", ")) };
            Error::unknown_name(format!("{func}: unknown param `{name}`; {hint}{list}"))
        })
    }
}

/// Hands `strategy` to the caller through `out`.
///
/// # Safety
///
/// `out` is non-null and writable.
unsafe fn give(out: *mut *mut StratStrategy, strategy: Strategy) {
    let p = Box::into_raw(Box::new(StratStrategy::new(strategy)));
    // SAFETY: checked non-null by the caller of `give`.
    unsafe { out.write(p) };
}

/// Reads and compiles the `.strat` file at `path` into a new strategy, written to `*out`
/// (NULL on failure). The data files the program names are read relative to the file's folder
/// (their headers now, their rows on the first run).
///
/// Errors: `STRAT_ERR_IO` (the file cannot be read), `STRAT_ERR_COMPILE` (the
/// message holds every diagnostic, as `strat check` prints them), `STRAT_ERR_BAD_ARGUMENT`
/// (NULL). Warnings do not fail: read them with `strat_strategy_warnings`.
///
/// # Safety
///
/// `path` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn strat_compile_file(path: *const c_char, out: *mut *mut StratStrategy) -> c_int {
    const F: &str = "strat_compile_file";
    guard(F, || {
        if out.is_null() {
            return Err(Error::null(F, "out"));
        }
        // SAFETY: non-null, writable by the caller's promise.
        unsafe { out.write(std::ptr::null_mut()) };
        // SAFETY: the caller's promise on `path`.
        let path = unsafe { str_arg(F, "path", path) }?;
        let strategy = Engine::new().compile_file(Path::new(path)).map_err(|f| Error::failure(&f))?;
        // SAFETY: `out` checked above.
        unsafe { give(out, strategy) };
        Ok(())
    })
}

/// Compiles the program text `source` into a new strategy, written to `*out` (NULL on
/// failure). The data files it names are read relative to the folder `base_dir` (NULL: the
/// working folder). Diagnostics call the text `<source>`; a program without a `strategy`
/// statement is named `strategy`.
///
/// Errors: `STRAT_ERR_COMPILE` (the message holds every diagnostic),
/// `STRAT_ERR_BAD_ARGUMENT` (NULL `source` or `out`, text that is not UTF-8).
///
/// # Safety
///
/// `source` and `base_dir` are NULL or NUL-terminated strings; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn strat_compile_source(source: *const c_char, base_dir: *const c_char, out: *mut *mut StratStrategy) -> c_int {
    const F: &str = "strat_compile_source";
    guard(F, || {
        if out.is_null() {
            return Err(Error::null(F, "out"));
        }
        // SAFETY: non-null, writable by the caller's promise.
        unsafe { out.write(std::ptr::null_mut()) };
        // SAFETY: the caller's promise on the strings.
        let source = unsafe { str_arg(F, "source", source) }?;
        let base = if base_dir.is_null() { "." } else { unsafe { str_arg(F, "base_dir", base_dir) }? };
        let strategy = Engine::new().compile_source("<source>", "strategy", source.to_string(), Path::new(base)).map_err(|f| Error::failure(&f))?;
        // SAFETY: `out` checked above.
        unsafe { give(out, strategy) };
        Ok(())
    })
}

/// Frees a strategy (and its data). NULL is accepted and ignored. Results and sweeps made from
/// it stay valid.
///
/// # Safety
///
/// `strategy` is NULL or a live strategy; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn strat_strategy_free(strategy: *mut StratStrategy) {
    if strategy.is_null() {
        return;
    }
    // SAFETY: made by `Box::into_raw` in `give`, handed back once.
    let b = unsafe { Box::from_raw(strategy) };
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(b)));
}

/// The strategy's name (its `strategy` statement, else the file's stem), or NULL when
/// `strategy` is NULL. Owned by the strategy: valid until it is freed.
///
/// # Safety
///
/// `strategy` is NULL or a live strategy.
#[no_mangle]
pub unsafe extern "C" fn strat_strategy_name(strategy: *const StratStrategy) -> *const c_char {
    const F: &str = "strat_strategy_name";
    // SAFETY: the caller's promise on `strategy`.
    guard_value(F, std::ptr::null(), || Ok(unsafe { handle(F, "strategy", strategy) }?.name.as_ptr()))
}

/// The warnings found while compiling, rendered as `strat check` prints them (`""` when there
/// are none), or NULL when `strategy` is NULL. Owned by the strategy: valid until it is freed.
///
/// # Safety
///
/// `strategy` is NULL or a live strategy.
#[no_mangle]
pub unsafe extern "C" fn strat_strategy_warnings(strategy: *const StratStrategy) -> *const c_char {
    const F: &str = "strat_strategy_warnings";
    // SAFETY: the caller's promise on `strategy`.
    guard_value(F, std::ptr::null(), || Ok(unsafe { handle(F, "strategy", strategy) }?.warnings.as_ptr()))
}

/// The number of params the program declares (0 when `strategy` is NULL).
///
/// # Safety
///
/// `strategy` is NULL or a live strategy.
#[no_mangle]
pub unsafe extern "C" fn strat_param_count(strategy: *const StratStrategy) -> usize {
    const F: &str = "strat_param_count";
    // SAFETY: the caller's promise on `strategy`.
    guard_value(F, 0, || Ok(unsafe { handle(F, "strategy", strategy) }?.param_names.len()))
}

/// The name of param `index` (0-based, in declaration order), or NULL when `strategy` is NULL
/// or `index` is out of range (the last error says which). Owned by the strategy: valid until
/// it is freed.
///
/// # Safety
///
/// `strategy` is NULL or a live strategy.
#[no_mangle]
pub unsafe extern "C" fn strat_param_name(strategy: *const StratStrategy, index: usize) -> *const c_char {
    const F: &str = "strat_param_name";
    guard_value(F, std::ptr::null(), || {
        // SAFETY: the caller's promise on `strategy`.
        let s = unsafe { handle(F, "strategy", strategy) }?;
        let n = s.param_names.len();
        s.param_names.get(index).map(|c| c.as_ptr()).ok_or_else(|| Error::bad_argument(format!("{F}: index {index} is out of range ({n} params)")))
    })
}

/// The current value of param `name` into `*out`: a number as a fraction (`45%` is 0.45,
/// `2bps` 0.0002), a choice param's choice as its 0-based index.
///
/// Errors: `STRAT_ERR_UNKNOWN_NAME` (the message lists the params),
/// `STRAT_ERR_BAD_ARGUMENT` (NULL).
///
/// # Safety
///
/// `strategy` is NULL or a live strategy; `name` NULL or a NUL-terminated string; `out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn strat_param_get(strategy: *const StratStrategy, name: *const c_char, out: *mut f64) -> c_int {
    const F: &str = "strat_param_get";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let s = unsafe { handle(F, "strategy", strategy) }?;
        let name = unsafe { str_arg(F, "name", name) }?;
        let i = s.param_index(F, name)?;
        unsafe { write_out(F, "out", out, s.params.values[i]) }
    })
}

/// Sets param `name` from literal text, as `strat run --set NAME=TEXT` does: a number with an
/// optional unit (`2.5`, `-10%`, `45%`, `2bps`) or, for a choice param, a choice's name. The
/// value holds for every later run and sweep of this strategy (a sweep fixes it there).
///
/// Errors: `STRAT_ERR_UNKNOWN_NAME` (the message lists the params),
/// `STRAT_ERR_BAD_ARGUMENT` (text that is no number or choice of the param, NULL).
///
/// # Safety
///
/// `strategy` is NULL or a live strategy; `name` and `text` NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn strat_param_set(strategy: *mut StratStrategy, name: *const c_char, text: *const c_char) -> c_int {
    const F: &str = "strat_param_set";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let s = unsafe { handle_mut(F, "strategy", strategy) }?;
        let name = unsafe { str_arg(F, "name", name) }?;
        let text = unsafe { str_arg(F, "text", text) }?;
        let i = s.param_index(F, name)?;
        s.params.set(name, text).map_err(|m| Error::new(crate::STRAT_ERR_BAD_ARGUMENT, "strat::param::set", format!("{F}: {m}")))?;
        s.set[i] = true;
        Ok(())
    })
}

/// Sets param `name` to the number `value`: a fraction (45 % is 0.45) or, for a choice param,
/// a choice's 0-based index. The value holds for every later run and sweep of this strategy.
///
/// Errors: `STRAT_ERR_UNKNOWN_NAME`, `STRAT_ERR_BAD_ARGUMENT` (a value that
/// is not finite, a choice index out of range, NULL).
///
/// # Safety
///
/// `strategy` is NULL or a live strategy; `name` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn strat_param_set_value(strategy: *mut StratStrategy, name: *const c_char, value: f64) -> c_int {
    const F: &str = "strat_param_set_value";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let s = unsafe { handle_mut(F, "strategy", strategy) }?;
        let name = unsafe { str_arg(F, "name", name) }?;
        let i = s.param_index(F, name)?;
        s.params.set_value(name, value).map_err(|m| Error::new(crate::STRAT_ERR_BAD_ARGUMENT, "strat::param::set", format!("{F}: {m}")))?;
        s.set[i] = true;
        Ok(())
    })
}

/// Puts every param back to its declared default (and a sweep back to the program's whole
/// grid).
///
/// Errors: `STRAT_ERR_BAD_ARGUMENT` (NULL).
///
/// # Safety
///
/// `strategy` is NULL or a live strategy.
#[no_mangle]
pub unsafe extern "C" fn strat_param_reset(strategy: *mut StratStrategy) -> c_int {
    const F: &str = "strat_param_reset";
    guard(F, || {
        // SAFETY: the caller's promise on `strategy`.
        let s = unsafe { handle_mut(F, "strategy", strategy) }?;
        s.params = s.strategy.params();
        s.set.iter_mut().for_each(|b| *b = false);
        Ok(())
    })
}
