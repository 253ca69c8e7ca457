/*
 * The VIX guard through libstrat's C ABI, using include/strat.h only.
 *
 *   vix_guard EXAMPLES_DIR
 *
 * compiles EXAMPLES_DIR/vix_guard.strat, runs it and prints `sharpe <%.17g>` (the Sharpe ratio
 * `strat run examples/vix_guard.strat` reports), then exercises the rest of the API: params,
 * a series read into a buffer too small and then into one of the right size, the dates, the
 * JSON report (`json <line>`), a sweep, and the error paths (a bad program, an unknown metric).
 * Every handle and string is freed, so that valgrind finds no leak. Exits 0 when every call
 * gave the status it should, 1 otherwise (with a `FAIL` line on stderr).
 *
 * capi/tests/c_program.rs compiles it with the system `cc`, runs it (also under valgrind) and
 * checks its lines against the engine and the `strat` command.
 */
#include "strat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

/* Checks that `status` is `want`; prints the call and the last error otherwise. */
static int expect(int status, int want, const char *what) {
    if (status != want) {
        fprintf(stderr, "FAIL %s: status %d (%s), wanted %d (%s)\n%s\n", what, status, strat_status_name(status), want,
                strat_status_name(want), strat_last_error_message());
        failures++;
        return 0;
    }
    return 1;
}

/* The vix guard with a swept spike_z: a grid of three bindings. */
static const char *SWEPT =
    "strategy vix_guard_swept\n"
    "data mkt = csv(\"data/spx_vix.csv\")\n"
    "param spike_window = 60\n"
    "param spike_z in [2.0, 2.5, 3.0]\n"
    "let tier = tiers(mkt.vix) {\n"
    "  >= 50 => 45%\n"
    "  >= 40 => 65%\n"
    "  >= 30 => 85%\n"
    "  else  => 100%\n"
    "}\n"
    "let spike    = zscore(mkt.vix, spike_window) > spike_z\n"
    "let exposure = if spike then min(tier, 70%) else tier\n"
    "hold mkt.spx weight exposure\n"
    "cost 2bps\n"
    "benchmark mkt.spx\n"
    "report guard_active = exposure < 100%\n";

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s EXAMPLES_DIR\n", argv[0]);
        return 2;
    }
    const char *examples = argv[1];
    char path[4096];
    snprintf(path, sizeof path, "%s/vix_guard.strat", examples);
    printf("libstrat %s\n", strat_version());

    /* Compile the file. */
    StratStrategy *strategy = NULL;
    if (!expect(strat_compile_file(path, &strategy), STRAT_OK, "strat_compile_file")) {
        return 1;
    }
    printf("strategy %s\n", strat_strategy_name(strategy));
    size_t nparams = strat_param_count(strategy);
    for (size_t i = 0; i < nparams; i++) {
        const char *name = strat_param_name(strategy, i);
        double value = NAN;
        expect(strat_param_get(strategy, name, &value), STRAT_OK, "strat_param_get");
        printf("param %s = %.17g\n", name, value);
    }

    /* Run with the defaults: the line the test compares with `strat run --json`. */
    StratResult *result = NULL;
    if (!expect(strat_run(strategy, &result), STRAT_OK, "strat_run")) {
        strat_strategy_free(strategy);
        return 1;
    }
    double sharpe = NAN, mdd = NAN, bars = NAN, guard = NAN, bench = NAN;
    expect(strat_result_metric(result, "sharpe", &sharpe), STRAT_OK, "strat_result_metric sharpe");
    expect(strat_result_metric(result, "max_drawdown", &mdd), STRAT_OK, "strat_result_metric max_drawdown");
    expect(strat_result_metric(result, "bars", &bars), STRAT_OK, "strat_result_metric bars");
    expect(strat_result_metric(result, "report.guard_active", &guard), STRAT_OK, "strat_result_metric report.guard_active");
    expect(strat_result_metric(result, "benchmark.sharpe", &bench), STRAT_OK, "strat_result_metric benchmark.sharpe");
    printf("sharpe %.17g\n", sharpe);
    printf("max_drawdown %.17g\n", mdd);
    printf("bars %.0f\n", bars);
    printf("guard_active %.17g\n", guard);
    printf("benchmark_sharpe %.17g\n", bench);

    /* An unknown metric: an error naming the valid names. */
    double dummy = 0;
    if (expect(strat_result_metric(result, "sharp", &dummy), STRAT_ERR_UNKNOWN_NAME, "strat_result_metric sharp")) {
        printf("unknown metric: %s [%s]\n", strat_last_error_message(), strat_last_error_diagnostic());
    }

    /* The series: every name, then equity into a buffer too small, then into one that fits. */
    size_t rows = strat_result_len(result);
    printf("rows %zu\n", rows);
    size_t nseries = strat_result_series_count(result);
    printf("series");
    for (size_t i = 0; i < nseries; i++) {
        printf(" %s", strat_result_series_name(result, i));
    }
    printf("\n");
    double small[4];
    size_t len = 0;
    if (expect(strat_result_series(result, "equity", small, 4, &len), STRAT_ERR_BUFFER_TOO_SMALL, "strat_result_series (small)")) {
        printf("equity needs %zu values\n", len);
    }
    double *equity = malloc(len * sizeof *equity);
    expect(strat_result_series(result, "equity", equity, len, &len), STRAT_OK, "strat_result_series");
    printf("equity first %.17g last %.17g\n", equity[0], equity[len - 1]);
    free(equity);
    const double *ret = NULL;
    size_t ret_len = 0;
    expect(strat_result_series_data(result, "return", &ret, &ret_len), STRAT_OK, "strat_result_series_data");
    printf("return rows %zu, row 1 %.17g\n", ret_len, ret_len > 1 ? ret[1] : NAN);

    /* The dates: days since 1970-01-01, formatted. */
    int32_t *dates = malloc(rows * sizeof *dates);
    expect(strat_result_dates(result, dates, rows, &len), STRAT_OK, "strat_result_dates");
    char first[STRAT_DATE_CAP], last[STRAT_DATE_CAP];
    expect(strat_format_date(dates[0], first, sizeof first), STRAT_OK, "strat_format_date");
    expect(strat_format_date(dates[len - 1], last, sizeof last), STRAT_OK, "strat_format_date");
    printf("dates %s .. %s (%d .. %d)\n", first, last, dates[0], dates[len - 1]);
    free(dates);
    char tiny[4];
    expect(strat_format_date(0, tiny, sizeof tiny), STRAT_ERR_BUFFER_TOO_SMALL, "strat_format_date (small)");

    /* The JSON report: what `strat run --json` prints, newline included. */
    char *json = NULL;
    if (expect(strat_result_json(result, &json), STRAT_OK, "strat_result_json")) {
        printf("json %s", json);
        strat_string_free(json);
    }
    strat_result_free(result);

    /* Params: set by text and by value, read back, a bad value and an unknown name. */
    expect(strat_param_set(strategy, "spike_z", "3"), STRAT_OK, "strat_param_set");
    expect(strat_param_set_value(strategy, "spike_window", 20), STRAT_OK, "strat_param_set_value");
    double z = NAN;
    expect(strat_param_get(strategy, "spike_z", &z), STRAT_OK, "strat_param_get");
    expect(strat_param_set(strategy, "spike_z", "lots"), STRAT_ERR_BAD_ARGUMENT, "strat_param_set (bad value)");
    expect(strat_param_set(strategy, "spike_zz", "3"), STRAT_ERR_UNKNOWN_NAME, "strat_param_set (unknown)");
    printf("unknown param: %s\n", strat_last_error_message());
    if (expect(strat_run(strategy, &result), STRAT_OK, "strat_run (set)")) {
        double s2 = NAN;
        expect(strat_result_metric(result, "sharpe", &s2), STRAT_OK, "strat_result_metric (set)");
        printf("set sharpe spike_z=%g spike_window=20: %.17g\n", z, s2);
        strat_result_free(result);
    }

    /* A sweep of the file's grid with spike_window fixed at 20 (one binding), then the
       program's whole grid after a reset (one binding, the defaults). */
    StratSweep *sweep = NULL;
    expect(strat_param_reset(strategy), STRAT_OK, "strat_param_reset");
    if (expect(strat_sweep(strategy, &sweep), STRAT_OK, "strat_sweep (file)")) {
        double s = NAN;
        expect(strat_sweep_metric(sweep, 0, "sharpe", &s), STRAT_OK, "strat_sweep_metric");
        printf("sweep of the file: %zu binding(s), sharpe %.17g\n", strat_sweep_len(sweep), s);
        strat_sweep_free(sweep);
    }
    strat_strategy_free(strategy);

    /* A program from source with a swept param: three bindings. */
    StratStrategy *swept = NULL;
    if (expect(strat_compile_source(SWEPT, examples, &swept), STRAT_OK, "strat_compile_source")) {
        if (expect(strat_sweep(swept, &sweep), STRAT_OK, "strat_sweep")) {
            size_t n = strat_sweep_len(sweep);
            printf("sweep bindings %zu\n", n);
            for (size_t i = 0; i < n; i++) {
                double zi = NAN, si = NAN, gi = NAN;
                expect(strat_sweep_param(sweep, i, "spike_z", &zi), STRAT_OK, "strat_sweep_param");
                expect(strat_sweep_metric(sweep, i, "sharpe", &si), STRAT_OK, "strat_sweep_metric");
                expect(strat_sweep_metric(sweep, i, "report.guard_active", &gi), STRAT_OK, "strat_sweep_metric report");
                printf("sweep row %zu spike_z %.17g sharpe %.17g guard_active %.17g\n", i, zi, si, gi);
            }
            expect(strat_sweep_metric(sweep, n, "sharpe", &dummy), STRAT_ERR_BAD_ARGUMENT, "strat_sweep_metric (row out of range)");
            expect(strat_sweep_metric(sweep, 0, "sharpness", &dummy), STRAT_ERR_UNKNOWN_NAME, "strat_sweep_metric (unknown)");
            char *sj = NULL;
            if (expect(strat_sweep_json(sweep, &sj), STRAT_OK, "strat_sweep_json")) {
                printf("sweep_json %s", sj);
                strat_string_free(sj);
            }
            strat_sweep_free(sweep);
        }
        strat_strategy_free(swept);
    }

    /* A program with a mistake: a compile error, its code and its rendered diagnostics. */
    StratStrategy *bad = NULL;
    int status = strat_compile_source("data mkt = csv(\"data/spx_vix.csv\")\nhold mkt.spx weight zscor(mkt.vix, 20)\n", examples, &bad);
    if (expect(status, STRAT_ERR_COMPILE, "strat_compile_source (bad)")) {
        printf("compile error %d %s [%s]\n%s\n", status, strat_status_name(status), strat_last_error_diagnostic(), strat_last_error_message());
    }
    if (bad != NULL) {
        fprintf(stderr, "FAIL: a failed compile left a handle\n");
        failures++;
    }
    /* A missing file and NULL pointers. */
    expect(strat_compile_file("/nonexistent/x.strat", &bad), STRAT_ERR_IO, "strat_compile_file (missing)");
    expect(strat_compile_file(NULL, &bad), STRAT_ERR_BAD_ARGUMENT, "strat_compile_file (NULL)");
    expect(strat_run(NULL, &result), STRAT_ERR_BAD_ARGUMENT, "strat_run (NULL)");
    strat_last_error_clear();

    printf("failures %d\n", failures);
    return failures == 0 ? 0 : 1;
}
