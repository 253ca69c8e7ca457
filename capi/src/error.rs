//! Status codes, the per-thread last error, and the guard every entry point runs in.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::os::raw::c_int;
use std::panic::{catch_unwind, AssertUnwindSafe};

use strat::Failure;

/// The call succeeded.
pub const STRAT_OK: c_int = 0;
/// The program does not compile: the message holds every diagnostic, rendered with its source
/// as `strat check` prints them; the diagnostic code is the first error's.
pub const STRAT_ERR_COMPILE: c_int = -1;
/// A data file is missing or malformed (its file, line, column, code and help are in the
/// message).
pub const STRAT_ERR_DATA: c_int = -2;
/// A run failed (a weight never live, a non-finite weight or return, a memory limit), or a
/// sweep row that failed was read.
pub const STRAT_ERR_RUN: c_int = -3;
/// A NULL pointer, a string that is not UTF-8, an index out of range, or a param value that is
/// not a number (or not a choice) of its param.
pub const STRAT_ERR_BAD_ARGUMENT: c_int = -4;
/// An unknown param, metric or series name; the message lists the valid names.
pub const STRAT_ERR_UNKNOWN_NAME: c_int = -5;
/// The caller's buffer is too small; the needed length was written to `len` (where the
/// function has one) and is named in the message.
pub const STRAT_ERR_BUFFER_TOO_SMALL: c_int = -6;
/// A panic inside libstrat (a bug in Strat) was caught; the handles the call was given may
/// only be freed.
pub const STRAT_ERR_PANIC: c_int = -7;
/// The `.strat` file cannot be read (missing, a folder, not UTF-8).
pub const STRAT_ERR_IO: c_int = -8;

/// The name of status `status` (`"STRAT_OK"`, `"STRAT_ERR_DATA"`, ...; `"STRAT_ERR_UNKNOWN"`
/// for a value that is no status): a static string, never freed.
#[no_mangle]
pub extern "C" fn strat_status_name(status: c_int) -> *const c_char {
    let s: &'static str = match status {
        STRAT_OK => "STRAT_OK\0",
        STRAT_ERR_COMPILE => "STRAT_ERR_COMPILE\0",
        STRAT_ERR_DATA => "STRAT_ERR_DATA\0",
        STRAT_ERR_RUN => "STRAT_ERR_RUN\0",
        STRAT_ERR_BAD_ARGUMENT => "STRAT_ERR_BAD_ARGUMENT\0",
        STRAT_ERR_UNKNOWN_NAME => "STRAT_ERR_UNKNOWN_NAME\0",
        STRAT_ERR_BUFFER_TOO_SMALL => "STRAT_ERR_BUFFER_TOO_SMALL\0",
        STRAT_ERR_PANIC => "STRAT_ERR_PANIC\0",
        STRAT_ERR_IO => "STRAT_ERR_IO\0",
        _ => "STRAT_ERR_UNKNOWN\0",
    };
    s.as_ptr().cast()
}

/// The error a call returns: its status, diagnostic code and message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Error {
    pub(crate) status: c_int,
    pub(crate) code: String,
    pub(crate) message: String,
}

impl Error {
    pub(crate) fn new(status: c_int, code: &str, message: impl Into<String>) -> Error {
        Error { status, code: code.to_string(), message: message.into() }
    }

    /// Argument `what` of `func` is NULL.
    pub(crate) fn null(func: &str, what: &str) -> Error {
        Error::new(STRAT_ERR_BAD_ARGUMENT, "strat::capi::null_pointer", format!("{func}: `{what}` is NULL"))
    }

    pub(crate) fn bad_argument(message: impl Into<String>) -> Error {
        Error::new(STRAT_ERR_BAD_ARGUMENT, "strat::capi::bad_argument", message)
    }

    pub(crate) fn unknown_name(message: impl Into<String>) -> Error {
        Error::new(STRAT_ERR_UNKNOWN_NAME, "strat::capi::unknown_name", message)
    }

    /// `func` needs `needed` `unit` where the caller gave `cap`.
    pub(crate) fn buffer_too_small(func: &str, needed: usize, cap: usize, unit: &str) -> Error {
        Error::new(STRAT_ERR_BUFFER_TOO_SMALL, "strat::capi::buffer_too_small", format!("{func}: the buffer holds {cap} {unit}, {needed} are needed"))
    }

    /// The error of an engine failure, its message rendered as the `strat` command prints it.
    pub(crate) fn failure(f: &Failure) -> Error {
        let message = strat::render::render_failure(f, false).trim_end().to_string();
        match f {
            Failure::Program(ds) => {
                let code = ds.iter().find(|d| d.diag.is_error()).or(ds.first()).map(|d| d.diag.code).unwrap_or("strat::compile");
                Error::new(STRAT_ERR_COMPILE, code, message)
            }
            Failure::Data(e) => Error::new(STRAT_ERR_DATA, e.code, message),
            Failure::Run(d) => Error::new(STRAT_ERR_RUN, d.diag.code, message),
            Failure::Io(..) => Error::new(STRAT_ERR_IO, "strat::io", message),
        }
    }
}

/// The last error of this thread; `None` after a call that succeeded.
struct LastError {
    status: c_int,
    code: CString,
    message: CString,
}

thread_local! {
    static LAST: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

fn set_last(e: Option<Error>) {
    let last = e.map(|e| LastError { status: e.status, code: crate::c_string(e.code), message: crate::c_string(e.message) });
    // At thread exit the slot may be gone: the error is then dropped.
    let _ = LAST.try_with(|l| {
        if let Ok(mut l) = l.try_borrow_mut() {
            *l = last;
        }
    });
}

/// A pointer into this thread's last error (`""` when there is none).
fn last_ptr(field: fn(&LastError) -> *const c_char) -> *const c_char {
    LAST.try_with(|l| l.try_borrow().ok().and_then(|l| l.as_ref().map(field))).ok().flatten().unwrap_or(c"".as_ptr())
}

/// The message of the calling thread's last error: what the `strat` command would print on
/// stderr (diagnostics rendered with their source, without colour), or `""` when the last call
/// succeeded. Owned by libstrat: valid until the next call of a libstrat function on this
/// thread (other than `strat_last_error_message`, `strat_last_error_diagnostic` and
/// `strat_last_error_status`); never freed by the caller.
#[no_mangle]
pub extern "C" fn strat_last_error_message() -> *const c_char {
    catch_unwind(|| last_ptr(|l| l.message.as_ptr())).unwrap_or(c"".as_ptr())
}

/// The stable diagnostic code of the calling thread's last error (e.g.
/// `strat::name::unknown_function`, `strat::data::missing_file`, `strat::capi::null_pointer`),
/// or `""` when the last call succeeded. Owned by libstrat, valid as
/// `strat_last_error_message`'s.
#[no_mangle]
pub extern "C" fn strat_last_error_diagnostic() -> *const c_char {
    catch_unwind(|| last_ptr(|l| l.code.as_ptr())).unwrap_or(c"".as_ptr())
}

/// The status of the calling thread's last error (`STRAT_OK` when the last call succeeded).
#[no_mangle]
pub extern "C" fn strat_last_error_status() -> c_int {
    catch_unwind(|| LAST.try_with(|l| l.try_borrow().ok().and_then(|l| l.as_ref().map(|l| l.status))).ok().flatten().unwrap_or(STRAT_OK))
        .unwrap_or(STRAT_ERR_PANIC)
}

/// Clears the calling thread's last error and frees its text (a host that checks for leaks
/// may call it last).
#[no_mangle]
pub extern "C" fn strat_last_error_clear() {
    let _ = catch_unwind(|| set_last(None));
}

/// The message of a caught panic's payload.
fn panic_message(func: &str, payload: &(dyn std::any::Any + Send)) -> Error {
    let what = payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned()).unwrap_or_else(|| "a panic".into());
    Error::new(STRAT_ERR_PANIC, "strat::internal", format!("{func}: libstrat panicked: {what} (this is a bug in Strat; please report it)"))
}

/// Runs `body`, the work of entry point `func`: resets the last error, catches a panic, and
/// records the error of a failure; returns the status.
pub(crate) fn guard(func: &str, body: impl FnOnce() -> Result<(), Error>) -> c_int {
    set_last(None);
    let e = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return STRAT_OK,
        Ok(Err(e)) => e,
        Err(payload) => panic_message(func, payload.as_ref()),
    };
    let status = e.status;
    set_last(Some(e));
    status
}

/// `guard` for an entry point that returns a value instead of a status: `fallback` on a
/// failure or a panic (the error is recorded as for a status).
pub(crate) fn guard_value<T>(func: &str, fallback: T, body: impl FnOnce() -> Result<T, Error>) -> T {
    set_last(None);
    let e = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(v)) => return v,
        Ok(Err(e)) => e,
        Err(payload) => panic_message(func, payload.as_ref()),
    };
    set_last(Some(e));
    fallback
}
