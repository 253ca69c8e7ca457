//! # libstrat: the C ABI of Strat
//!
//! `libstrat.so` compiles `.strat` programs, sets their params, runs them, reads the metrics
//! and the daily series, and sweeps their grids, through the functions declared in
//! `include/strat.h` (generated from this crate by cbindgen; see `capi/README.md`).
//!
//! Conventions, the same for every function:
//!
//! - **Handles** are opaque: `StratStrategy` (a compiled program with its params),
//!   `StratResult` (one run) and `StratSweep` (one sweep). Each is created by one function
//!   (`strat_compile_*`, `strat_run`, `strat_sweep`) and freed by its own free function; a result
//!   or a sweep owns all its data and outlives the strategy that made it. A handle is not
//!   thread-safe: use it from one thread at a time (different handles may be used on different
//!   threads at once).
//! - **Status**: every fallible call returns an `int`, `STRAT_OK` (0) or a negative
//!   `STRAT_ERR_*` code. The calling thread's last error is then readable with
//!   `strat_last_error_message` (the text the `strat` command prints on stderr, diagnostics
//!   and all), `strat_last_error_diagnostic` (the stable diagnostic code such as
//!   `strat::name::unknown_function`) and `strat_last_error_status`. Every call that can fail
//!   resets it on entry, so after `STRAT_OK` the message is `""`.
//! - **Pointers**: a NULL handle, string or output pointer gives `STRAT_ERR_BAD_ARGUMENT`,
//!   never undefined behaviour; strings are NUL-terminated UTF-8. Output pointers are written
//!   only on success, except that `out` handle pointers are set to NULL on failure and `len`
//!   receives the needed length on `STRAT_ERR_BUFFER_TOO_SMALL`.
//! - **Panics** never cross the boundary: each entry point runs in `catch_unwind` and turns a
//!   panic (a bug in Strat) into `STRAT_ERR_PANIC`; the handles it was given may then only be
//!   freed.
//! - **Numbers** are fractions (`0.05` is 5 %), as in `strat run --json`; NaN stands for an
//!   undefined value (a Sharpe ratio of a flat series, a metric without a benchmark).

// The entry points that dereference the caller's raw pointers are `unsafe`, each with its
// contract in a `# Safety` section.

// The header declares the items in this order (cbindgen follows the modules as written):
// errors, compiling and params, runs, sweeps.
mod error;

mod strategy;

mod result;

mod sweep;

pub use error::*;
pub use result::*;
pub use strategy::*;
pub use sweep::*;

use std::ffi::{c_char, CStr, CString};
use std::os::raw::c_int;

/// The version of libstrat (the workspace's, e.g. `0.1.0`): a static string, never freed.
#[no_mangle]
pub extern "C" fn strat_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Frees a string that libstrat handed over to the caller (`strat_result_json`,
/// `strat_sweep_json`). NULL is accepted and ignored.
///
/// # Safety
///
/// `s` is NULL or a string returned by one of those functions and not freed yet; it must not
/// be used afterwards. Strings borrowed from a handle (`strat_param_name`,
/// `strat_last_error_message`, ...) must not be passed here.
#[no_mangle]
pub unsafe extern "C" fn strat_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    // SAFETY: the caller hands back a pointer made by `CString::into_raw` (see `owned_string`).
    let _ = std::panic::catch_unwind(|| drop(unsafe { CString::from_raw(s) }));
}

/// `s` as a C string, any NUL byte in it replaced (a C string cannot hold one).
pub(crate) fn c_string(s: impl Into<String>) -> CString {
    let s: String = s.into();
    CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// `s` handed over to the caller, who frees it with `strat_string_free`.
pub(crate) fn owned_string(s: impl Into<String>) -> *mut c_char {
    c_string(s).into_raw()
}

/// The UTF-8 text of the C string `p`, argument `what` of function `func`.
///
/// # Safety
///
/// `p` is NULL or a NUL-terminated string valid for the call.
pub(crate) unsafe fn str_arg<'a>(func: &str, what: &str, p: *const c_char) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(Error::null(func, what));
    }
    // SAFETY: the caller promises a NUL-terminated string.
    unsafe { CStr::from_ptr(p) }.to_str().map_err(|e| Error::bad_argument(format!("{func}: `{what}` is not UTF-8 ({e})")))
}

/// The handle behind `p`, argument `what` of `func`.
///
/// # Safety
///
/// `p` is NULL or a live handle of type `T` made by this library.
pub(crate) unsafe fn handle<'a, T>(func: &str, what: &str, p: *const T) -> Result<&'a T, Error> {
    // SAFETY: the caller promises a live handle.
    unsafe { p.as_ref() }.ok_or_else(|| Error::null(func, what))
}

/// The handle behind `p`, mutably.
///
/// # Safety
///
/// `p` is NULL or a live handle of type `T` made by this library, used by no one else meanwhile.
pub(crate) unsafe fn handle_mut<'a, T>(func: &str, what: &str, p: *mut T) -> Result<&'a mut T, Error> {
    // SAFETY: the caller promises a live, unshared handle.
    unsafe { p.as_mut() }.ok_or_else(|| Error::null(func, what))
}

/// Writes `v` to the output pointer `out`, argument `what` of `func`.
///
/// # Safety
///
/// `out` is NULL or valid for a write of one `T`.
pub(crate) unsafe fn write_out<T>(func: &str, what: &str, out: *mut T, v: T) -> Result<(), Error> {
    if out.is_null() {
        return Err(Error::null(func, what));
    }
    // SAFETY: non-null and, by the caller's promise, writable.
    unsafe { out.write(v) };
    Ok(())
}

/// Copies `src` into the caller's buffer `buf` of `cap` elements and its length into `len`
/// (always, when `len` is not NULL); `STRAT_ERR_BUFFER_TOO_SMALL` when `cap < src.len()`
/// (nothing is copied then). `buf` may be NULL only when `src` is empty or `cap` is 0 (a query
/// of the length).
///
/// # Safety
///
/// `buf` is NULL or valid for writes of `cap` elements; `len` is NULL or writable.
pub(crate) unsafe fn copy_out<T: Copy>(func: &str, src: &[T], buf: *mut T, cap: usize, len: *mut usize) -> Result<(), Error> {
    if !len.is_null() {
        // SAFETY: non-null and, by the caller's promise, writable.
        unsafe { len.write(src.len()) };
    }
    if cap < src.len() {
        return Err(Error::buffer_too_small(func, src.len(), cap, "values"));
    }
    if src.is_empty() {
        return Ok(());
    }
    if buf.is_null() {
        return Err(Error::null(func, "buf"));
    }
    // SAFETY: `buf` holds at least `cap >= src.len()` elements by the caller's promise, and
    // cannot overlap the library's own vector.
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), buf, src.len()) };
    Ok(())
}

/// Formats `days` (days since 1970-01-01, as `strat_result_dates` gives them) as
/// `YYYY-MM-DD` into the caller's buffer `buf` of `cap` bytes, NUL-terminated. 11 bytes hold
/// every date of the years 0 to 9999; `STRAT_DATE_CAP` bytes hold any `int32_t`.
///
/// Errors: `STRAT_ERR_BAD_ARGUMENT` when `buf` is NULL; `STRAT_ERR_BUFFER_TOO_SMALL` when
/// the text and its NUL do not fit (nothing is written then; the message names the size).
///
/// # Safety
///
/// `buf` is NULL or valid for writes of `cap` bytes.
#[no_mangle]
pub unsafe extern "C" fn strat_format_date(days: i32, buf: *mut c_char, cap: usize) -> c_int {
    guard("strat_format_date", || {
        let text = strat_runtime::frame::format_date(days);
        let bytes = text.as_bytes();
        if buf.is_null() {
            return Err(Error::null("strat_format_date", "buf"));
        }
        if cap < bytes.len() + 1 {
            return Err(Error::buffer_too_small("strat_format_date", bytes.len() + 1, cap, "bytes"));
        }
        // SAFETY: `buf` holds `cap > bytes.len()` bytes by the caller's promise.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr().cast::<c_char>(), buf, bytes.len());
            buf.add(bytes.len()).write(0);
        }
        Ok(())
    })
}

/// A buffer of this many bytes holds any date `strat_format_date` writes, NUL included.
pub const STRAT_DATE_CAP: usize = 16;

#[cfg(test)]
mod tests;
