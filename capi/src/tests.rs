//! The entry points called from Rust: NULL pointers, caught panics, buffers and names.

use super::*;
use std::ffi::CStr;
use std::ptr::{null, null_mut};

fn last_message() -> String {
    unsafe { CStr::from_ptr(strat_last_error_message()) }.to_string_lossy().into_owned()
}

fn last_diagnostic() -> String {
    unsafe { CStr::from_ptr(strat_last_error_diagnostic()) }.to_string_lossy().into_owned()
}

/// The examples folder of the repository.
fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

#[test]
fn null_pointers_are_bad_arguments_and_never_crash() {
    let mut s: *mut StratStrategy = null_mut();
    unsafe {
        assert_eq!(strat_compile_file(null(), &mut s), STRAT_ERR_BAD_ARGUMENT);
        assert!(s.is_null());
        assert!(last_message().contains("`path` is NULL"), "{}", last_message());
        assert_eq!(last_diagnostic(), "strat::capi::null_pointer");
        assert_eq!(strat_last_error_status(), STRAT_ERR_BAD_ARGUMENT);
        assert_eq!(strat_compile_source(c"hold 1".as_ptr(), null(), null_mut()), STRAT_ERR_BAD_ARGUMENT);
        assert_eq!(strat_param_count(null()), 0);
        assert!(strat_param_name(null(), 0).is_null());
        assert!(strat_strategy_name(null()).is_null());
        let mut x = 0.0;
        assert_eq!(strat_param_get(null(), c"a".as_ptr(), &mut x), STRAT_ERR_BAD_ARGUMENT);
        assert_eq!(strat_param_set(null_mut(), c"a".as_ptr(), c"1".as_ptr()), STRAT_ERR_BAD_ARGUMENT);
        assert_eq!(strat_param_set_value(null_mut(), c"a".as_ptr(), 1.0), STRAT_ERR_BAD_ARGUMENT);
        assert_eq!(strat_param_reset(null_mut()), STRAT_ERR_BAD_ARGUMENT);
        let mut r: *mut StratResult = null_mut();
        assert_eq!(strat_run(null_mut(), &mut r), STRAT_ERR_BAD_ARGUMENT);
        assert_eq!(strat_result_metric(null(), c"sharpe".as_ptr(), &mut x), STRAT_ERR_BAD_ARGUMENT);
        assert_eq!(strat_result_len(null()), 0);
        assert_eq!(strat_result_series_count(null()), 0);
        assert!(strat_result_series_name(null(), 0).is_null());
        assert_eq!(strat_result_series(null(), c"equity".as_ptr(), null_mut(), 0, null_mut()), STRAT_ERR_BAD_ARGUMENT);
        assert_eq!(strat_result_dates(null(), null_mut(), 0, null_mut()), STRAT_ERR_BAD_ARGUMENT);
        let mut sw: *mut StratSweep = null_mut();
        assert_eq!(strat_sweep(null_mut(), &mut sw), STRAT_ERR_BAD_ARGUMENT);
        assert_eq!(strat_sweep_len(null()), 0);
        assert_eq!(strat_sweep_metric(null(), 0, c"sharpe".as_ptr(), &mut x), STRAT_ERR_BAD_ARGUMENT);
        let mut j: *mut std::ffi::c_char = null_mut();
        assert_eq!(strat_result_json(null(), &mut j), STRAT_ERR_BAD_ARGUMENT);
        assert_eq!(strat_sweep_json(null(), &mut j), STRAT_ERR_BAD_ARGUMENT);
        strat_strategy_free(null_mut());
        strat_result_free(null_mut());
        strat_sweep_free(null_mut());
        strat_string_free(null_mut());
        assert_eq!(strat_format_date(0, null_mut(), 16), STRAT_ERR_BAD_ARGUMENT);
    }
}

#[test]
fn a_panic_becomes_the_panic_status_with_its_message() {
    let status = error::guard("strat_test", || panic!("boom"));
    assert_eq!(status, STRAT_ERR_PANIC);
    assert!(last_message().contains("boom"), "{}", last_message());
    assert_eq!(strat_last_error_status(), STRAT_ERR_PANIC);
    assert_eq!(error::guard_value("strat_test", 7usize, || panic!("again")), 7);
    assert!(last_message().contains("again"));
    // The next call resets the error.
    assert_eq!(unsafe { strat_param_count(null()) }, 0);
    assert!(last_message().contains("`strategy` is NULL"));
    assert_eq!(error::guard("strat_test", || Ok(())), STRAT_OK);
    assert_eq!(last_message(), "");
    assert_eq!(strat_last_error_status(), STRAT_OK);
    strat_last_error_clear();
    assert_eq!(last_diagnostic(), "");
}

#[test]
fn dates_format_into_the_callers_buffer() {
    let mut buf = [0 as std::ffi::c_char; STRAT_DATE_CAP];
    unsafe {
        assert_eq!(strat_format_date(0, buf.as_mut_ptr(), buf.len()), STRAT_OK);
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), "1970-01-01");
        assert_eq!(strat_format_date(7391, buf.as_mut_ptr(), 11), STRAT_OK);
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), "1990-03-28");
        assert_eq!(strat_format_date(7391, buf.as_mut_ptr(), 10), STRAT_ERR_BUFFER_TOO_SMALL);
        assert!(last_message().contains("11 are needed"), "{}", last_message());
        for d in [i32::MIN, i32::MAX] {
            assert_eq!(strat_format_date(d, buf.as_mut_ptr(), buf.len()), STRAT_OK);
        }
    }
}

#[test]
fn status_names_and_version_are_static_strings() {
    let name = |s| unsafe { CStr::from_ptr(strat_status_name(s)) }.to_str().unwrap().to_string();
    assert_eq!(name(STRAT_OK), "STRAT_OK");
    assert_eq!(name(STRAT_ERR_UNKNOWN_NAME), "STRAT_ERR_UNKNOWN_NAME");
    assert_eq!(name(-100), "STRAT_ERR_UNKNOWN");
    let codes = [
        STRAT_ERR_COMPILE,
        STRAT_ERR_DATA,
        STRAT_ERR_RUN,
        STRAT_ERR_BAD_ARGUMENT,
        STRAT_ERR_UNKNOWN_NAME,
        STRAT_ERR_BUFFER_TOO_SMALL,
        STRAT_ERR_PANIC,
        STRAT_ERR_IO,
    ];
    for (i, a) in codes.iter().enumerate() {
        assert!(*a < 0 && name(*a) != "STRAT_ERR_UNKNOWN");
        assert!(codes[..i].iter().all(|b| b != a), "codes are distinct");
    }
    assert_eq!(unsafe { CStr::from_ptr(strat_version()) }.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn compile_errors_carry_the_rendered_diagnostics_and_their_code() {
    let mut s: *mut StratStrategy = null_mut();
    let base = std::ffi::CString::new(examples().to_str().unwrap()).unwrap();
    let src = c"data mkt = csv(\"data/spx_vix.csv\")\nhold mkt.spx weight zscor(mkt.vix, 20)\n";
    unsafe {
        assert_eq!(strat_compile_source(src.as_ptr(), base.as_ptr(), &mut s), STRAT_ERR_COMPILE);
        assert!(s.is_null());
        assert_eq!(last_diagnostic(), "strat::name::unknown_function");
        assert!(last_message().contains("zscor"), "{}", last_message());
        let missing = c"/nonexistent/strat/x.strat";
        assert_eq!(strat_compile_file(missing.as_ptr(), &mut s), STRAT_ERR_IO);
        assert_eq!(last_diagnostic(), "strat::io");
    }
}

#[test]
fn a_run_of_the_vix_guard_matches_the_engine() {
    let path = examples().join("vix_guard.strat");
    let engine = strat::Engine::new();
    let strategy = engine.compile_file(&path).unwrap();
    let frame = strategy.load_data().unwrap();
    let mut params = strategy.params();
    params.set("spike_z", "3").unwrap();
    let expected = strategy.run(&frame, &params).unwrap();
    let json = format!("{}\n", serde_json::to_string(&strategy.report(&frame, &expected)).unwrap());

    let cpath = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    let mut s: *mut StratStrategy = null_mut();
    let mut r: *mut StratResult = null_mut();
    unsafe {
        assert_eq!(strat_compile_file(cpath.as_ptr(), &mut s), STRAT_OK, "{}", last_message());
        assert_eq!(CStr::from_ptr(strat_strategy_name(s)).to_str().unwrap(), "vix_guard");
        assert_eq!(strat_param_count(s), 2);
        assert_eq!(CStr::from_ptr(strat_param_name(s, 1)).to_str().unwrap(), "spike_z");
        assert!(strat_param_name(s, 2).is_null());
        assert_eq!(strat_param_set(s, c"spike_z".as_ptr(), c"3".as_ptr()), STRAT_OK);
        assert_eq!(strat_param_set(s, c"spike_x".as_ptr(), c"3".as_ptr()), STRAT_ERR_UNKNOWN_NAME);
        assert!(last_message().contains("did you mean `spike_z`"), "{}", last_message());
        assert_eq!(strat_param_set(s, c"spike_z".as_ptr(), c"abc".as_ptr()), STRAT_ERR_BAD_ARGUMENT);
        let mut z = 0.0;
        assert_eq!(strat_param_get(s, c"spike_z".as_ptr(), &mut z), STRAT_OK);
        assert_eq!(z, 3.0);
        assert_eq!(strat_run(s, &mut r), STRAT_OK, "{}", last_message());
        let mut sharpe = 0.0;
        assert_eq!(strat_result_metric(r, c"sharpe".as_ptr(), &mut sharpe), STRAT_OK);
        assert_eq!(sharpe.to_bits(), expected.backtest.metrics.sharpe.to_bits());
        let mut g = 0.0;
        assert_eq!(strat_result_metric(r, c"report.guard_active".as_ptr(), &mut g), STRAT_OK);
        assert_eq!(g, expected.reports[0].1);
        assert_eq!(strat_result_metric(r, c"benchmark.sharpe".as_ptr(), &mut g), STRAT_OK);
        assert_eq!(g, expected.backtest.benchmark.unwrap().sharpe);
        assert_eq!(strat_result_metric(r, c"sharp".as_ptr(), &mut g), STRAT_ERR_UNKNOWN_NAME);
        assert!(last_message().contains("did you mean `sharpe`"), "{}", last_message());
        let mut j: *mut std::ffi::c_char = null_mut();
        assert_eq!(strat_result_json(r, &mut j), STRAT_OK);
        assert_eq!(CStr::from_ptr(j).to_str().unwrap(), json);
        strat_string_free(j);
        let n = strat_result_len(r);
        assert_eq!(n, expected.backtest.returns.len() + 1);
        let mut len = 0;
        let mut small = vec![0.0; 3];
        assert_eq!(strat_result_series(r, c"equity".as_ptr(), small.as_mut_ptr(), small.len(), &mut len), STRAT_ERR_BUFFER_TOO_SMALL);
        assert_eq!(len, n);
        let mut eq = vec![0.0; len];
        assert_eq!(strat_result_series(r, c"equity".as_ptr(), eq.as_mut_ptr(), eq.len(), &mut len), STRAT_OK);
        assert_eq!(eq[0], 1.0);
        assert_eq!(eq[n - 1], *expected.backtest.equity.last().unwrap());
        let (mut p, mut plen) = (null(), 0);
        assert_eq!(strat_result_series_data(r, c"return".as_ptr(), &mut p, &mut plen), STRAT_OK);
        assert_eq!(plen, n);
        assert!((*p).is_nan());
        assert_eq!(strat_result_series(r, c"equality".as_ptr(), null_mut(), 0, &mut len), STRAT_ERR_UNKNOWN_NAME);
        let names: Vec<String> =
            (0..strat_result_series_count(r)).map(|i| CStr::from_ptr(strat_result_series_name(r, i)).to_str().unwrap().to_string()).collect();
        assert_eq!(names, ["weight", "return", "equity", "turnover", "cost"]);
        let mut dates = vec![0i32; n];
        assert_eq!(strat_result_dates(r, dates.as_mut_ptr(), n, &mut len), STRAT_OK);
        assert_eq!(dates[0], frame.dates[expected.backtest.first_live]);
        strat_result_free(r);
        strat_strategy_free(s);
    }
}
