//! Calendar schedules over the rows of the aligned data (SEMANTICS.md §1, §6).
//!
//! Dates are days since 1970-01-01 (proleptic Gregorian, as in [`crate::frame`]), one per row,
//! strictly increasing. The dates of the data are known in advance (a trading calendar is public),
//! so a schedule may look at the *next* row's date without look-ahead: a row is a month-end
//! (week-end) when the next row of the data falls in a later month (ISO week), and the last row is
//! one. A schedule is a `Vec<bool>` with one flag per row.
//!
//! Pass the dates of the whole aligned data: the last row of the slice given is always a
//! schedule row, so a slice cut short would add one.

use crate::frame::{days_from_civil, year_month_day};

/// Months since year 0 of a day count: equal for two dates exactly when they share the calendar
/// month, and larger for a later month.
fn month_index(days: i32) -> i64 {
    let (y, m, _) = year_month_day(days);
    y as i64 * 12 + (m as i64 - 1)
}

/// ISO weeks since the week of 1970-01-01: equal for two dates exactly when they share an ISO
/// week (Monday to Sunday), larger for a later week. 1970-01-01 was a Thursday, so the Monday of
/// its week is day -3.
pub fn week_index(days: i32) -> i64 {
    (days as i64 + 3).div_euclid(7)
}

/// ISO weekday of a day count: 1 = Monday ..= 7 = Sunday.
pub fn iso_weekday(days: i32) -> u32 {
    ((days as i64 + 3).rem_euclid(7) + 1) as u32
}

/// ISO 8601 `(week-numbering year, week 1..=53)` of a day count: weeks run Monday to Sunday and
/// week 1 is the week holding the year's first Thursday (so 2021-01-01, a Friday, is in week 53
/// of 2020).
pub fn iso_week(days: i32) -> (i32, u32) {
    let d = days as i64;
    // The Thursday of the same ISO week decides its year.
    let thursday = d - iso_weekday(days) as i64 + 4;
    let (y, _, _) = crate::frame::civil_from_days(thursday);
    let ordinal = thursday - days_from_civil(y, 1, 1); // 0-based day of the year
    (y as i32, (ordinal / 7 + 1) as u32)
}

/// Calendar year of a day count since 1970-01-01.
pub fn year_of(days: i32) -> i32 {
    year_month_day(days).0
}

/// Flags the rows whose next row falls in another period, and the last row.
fn period_ends(dates: &[i32], key: impl Fn(i32) -> i64) -> Vec<bool> {
    let mut out = vec![false; dates.len()];
    for (i, o) in out.iter_mut().enumerate() {
        *o = match dates.get(i + 1) {
            Some(&next) => key(next) != key(dates[i]),
            None => true,
        };
    }
    out
}

/// Month-end rows: `out[t]` is true when row `t + 1`'s date falls in a later calendar month than
/// row `t`'s, and for the last row (SEMANTICS.md §1). Empty input gives an empty schedule.
///
/// A gap in the data does not matter: the month-end is the last row present in the month (e.g.
/// Friday 2024-05-31 when the next row is in June; Thursday 2024-02-29 if the 1st of March is
/// the next row). With strictly increasing dates "later" and "different" coincide; this tests
/// for a different month.
pub fn month_ends(dates: &[i32]) -> Vec<bool> {
    period_ends(dates, month_index)
}

/// Week-end rows: `out[t]` is true when row `t + 1`'s date falls in a later ISO week (Monday to
/// Sunday) than row `t`'s, and for the last row (SEMANTICS.md §1). Weeks cross New Year as ISO
/// weeks do (Thursday 2020-12-31 and Friday 2021-01-01 share a week; Monday 2021-01-04 starts the
/// next). Empty input gives an empty schedule.
pub fn week_ends(dates: &[i32]) -> Vec<bool> {
    period_ends(dates, week_index)
}

/// Rebalance every `n` rows counting from row `start`: `out[t]` is true for
/// `t = start, start + n, start + 2n, ...` below `rows`, false elsewhere (all false when
/// `start >= rows`).
///
/// Panics if `n == 0`.
pub fn every_n(rows: usize, start: usize, n: usize) -> Vec<bool> {
    assert!(n >= 1, "every_n: the step n must be >= 1");
    (0..rows).map(|t| t >= start && (t - start).is_multiple_of(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::parse_date;

    fn d(s: &str) -> i32 {
        parse_date(s).unwrap_or_else(|| panic!("bad date {s}"))
    }

    fn days(v: &[&str]) -> Vec<i32> {
        v.iter().map(|s| d(s)).collect()
    }

    #[test]
    fn weekday_and_iso_week_known_dates() {
        assert_eq!(iso_weekday(0), 4); // 1970-01-01 Thursday
        assert_eq!(iso_weekday(d("2021-01-04")), 1);
        assert_eq!(iso_weekday(d("2020-12-31")), 4);
        assert_eq!(iso_weekday(d("1969-12-28")), 7);
        assert_eq!(iso_week(d("2020-12-31")), (2020, 53));
        assert_eq!(iso_week(d("2021-01-01")), (2020, 53));
        assert_eq!(iso_week(d("2021-01-03")), (2020, 53));
        assert_eq!(iso_week(d("2021-01-04")), (2021, 1));
        assert_eq!(iso_week(d("2019-12-30")), (2020, 1)); // Monday before New Year
        assert_eq!(iso_week(d("2024-12-30")), (2025, 1));
        assert_eq!(iso_week(d("2026-07-09")), (2026, 28));
        assert_eq!(iso_week(d("1970-01-01")), (1970, 1));
        assert_eq!(iso_week(d("1969-12-29")), (1970, 1));
        assert_eq!(iso_week(d("1969-12-28")), (1969, 52));
        assert_eq!(year_of(d("2020-12-31")), 2020);
        assert_eq!(year_of(d("2021-01-01")), 2021);
        assert_eq!(year_of(-1), 1969);
    }

    #[test]
    fn week_index_agrees_with_iso_weeks() {
        // Same ISO (year, week) exactly when the same week_index, 1899 ..= 2101.
        let (lo, hi) = (d("1899-12-25"), d("2101-01-10"));
        for x in lo..hi {
            let same = iso_week(x) == iso_week(x + 1);
            assert_eq!(same, week_index(x) == week_index(x + 1), "day {x}");
            assert_eq!(same, iso_weekday(x) != 7, "day {x}");
        }
    }

    #[test]
    fn month_ends_across_years_and_gaps() {
        let dates = days(&[
            "2019-12-30",
            "2019-12-31",
            "2020-01-02", // new year: 2019-12-31 is a month-end
            "2020-01-31",
            "2020-02-03",
            "2020-02-28", // Friday; the next row skips the leap day and a weekend
            "2020-03-02",
            "2020-03-03",
            "2020-05-05", // a gap of two months: 03-03 ends March
            "2020-05-06", // last row
        ]);
        let want = [false, true, false, true, false, true, false, true, false, true];
        assert_eq!(month_ends(&dates), want);
    }

    #[test]
    fn week_ends_across_new_year_and_gaps() {
        let dates = days(&[
            "2020-12-28", // Mon, ISO 2020-W53
            "2020-12-31", // Thu, W53; next row Fri 01-01 same week
            "2021-01-01", // Fri, W53 (ISO year 2020): week-end, next is Mon 01-04
            "2021-01-04", // Mon, 2021-W01
            "2021-01-06", // Wed; gap of 6 days to next Tue: week-end
            "2021-01-12", // Tue, W02
            "2021-01-15", // Fri, W02: next row is Sunday 01-17, same week
            "2021-01-17", // Sun, W02: week-end
            "2021-01-18", // Mon, W03, last row
        ]);
        let want = [false, false, true, false, true, false, false, true, true];
        assert_eq!(week_ends(&dates), want);

        // Thursday 2020-12-31 against Monday 2021-01-04: different weeks.
        assert_eq!(week_ends(&days(&["2020-12-31", "2021-01-04"])), [true, true]);
        // A gap of exactly 7 days lands in the next week; Sat to Sun stays.
        assert_eq!(week_ends(&days(&["2021-01-06", "2021-01-13", "2021-01-16", "2021-01-17"])), [true, false, false, true]);
    }

    #[test]
    fn empty_and_single_row() {
        assert!(month_ends(&[]).is_empty());
        assert!(week_ends(&[]).is_empty());
        assert_eq!(month_ends(&[d("2020-01-15")]), [true]);
        assert_eq!(week_ends(&[d("2020-01-15")]), [true]);
    }

    #[test]
    fn month_ends_of_every_day_are_the_last_calendar_days() {
        let dates: Vec<i32> = (d("1999-11-01")..=d("2001-03-31")).collect();
        let ends = month_ends(&dates);
        for (&x, &e) in dates.iter().zip(&ends) {
            let (y, m, day) = year_month_day(x);
            let last = crate::frame::days_in_month(y as i64, m);
            assert_eq!(e, day == last, "{y}-{m}-{day}");
        }
        let ends = week_ends(&dates);
        for (&x, &e) in dates.iter().zip(&ends) {
            assert_eq!(e, iso_weekday(x) == 7 || x == *dates.last().unwrap());
        }
    }

    #[test]
    fn every_n_counts_from_start() {
        assert_eq!(every_n(10, 2, 3), [false, false, true, false, false, true, false, false, true, false]);
        assert_eq!(every_n(4, 0, 1), [true; 4]);
        assert_eq!(every_n(3, 5, 2), [false; 3]);
        assert!(every_n(0, 0, 5).is_empty());
    }

    #[test]
    #[should_panic(expected = "n must be >= 1")]
    fn every_n_rejects_zero_step() {
        every_n(3, 0, 0);
    }
}
