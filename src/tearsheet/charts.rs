//! The tear sheet's charts as inline SVG (plotters' SVG backend into a string): time series
//! against dates, an underwater area and annual bars. Axes are labelled in the reader's units:
//! years on the date axis, percent for returns, drawdowns and exposure, plain numbers for ratios.

use plotters::prelude::*;
use strat_runtime::frame::year_month_day;

/// Chart width and height in pixels (the SVG scales with the page).
pub const SIZE: (u32, u32) = (960, 300);

/// How a chart's values read on its axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// Fractions shown as percent (`12%`).
    Percent,
    /// Plain numbers (`1.5`).
    Number,
    /// Growth of 1 on a log axis (`×2`).
    Growth,
    /// Whole counts (`12`).
    Count,
}

impl Unit {
    fn label(self, y: f64) -> String {
        match self {
            Unit::Percent => {
                let p = y * 100.0 + 0.0;
                let p = if p.abs() < 1e-9 { 0.0 } else { p };
                if (p - p.round()).abs() < 1e-9 {
                    format!("{p:.0}%")
                } else {
                    format!("{p:.1}%")
                }
            }
            Unit::Number => format!("{y:.2}"),
            Unit::Count => format!("{y:.0}"),
            Unit::Growth => {
                if (y - y.round()).abs() < 1e-9 || y >= 10.0 {
                    format!("×{y:.0}")
                } else {
                    format!("×{y:.2}")
                }
            }
        }
    }
}

/// One line of a chart: its name, colour and (date, value) points, dates as [`year_of`] gives
/// them (NaN values are gaps).
pub struct Line<'a> {
    /// The legend's name.
    pub name: &'a str,
    /// Its colour.
    pub colour: RGBColor,
    /// Dates (as [`year_of`]) and values.
    pub points: Vec<(f64, f64)>,
}

/// The strategy's colour.
pub const STRATEGY: RGBColor = RGBColor(31, 96, 168);
/// The benchmark's colour.
pub const BENCHMARK: RGBColor = RGBColor(150, 150, 150);
/// A second series (e.g. a longer window).
pub const SECOND: RGBColor = RGBColor(214, 120, 24);
/// Losses and drawdowns.
pub const LOSS: RGBColor = RGBColor(190, 40, 40);

/// The position of a day number on a chart's date axis: years as a fraction (2001.5 is
/// mid-2001), so that plotters' round tick values fall on whole years.
pub fn year_of(days: i32) -> f64 {
    1970.0 + days as f64 / 365.2425
}

/// The label of a date axis position: `2001` on a whole year, else `2001-07`.
fn year_label(x: f64) -> String {
    if (x - x.round()).abs() < 0.01 {
        return format!("{:.0}", x.round());
    }
    let (y, m, _) = year_month_day(((x - 1970.0) * 365.2425).round() as i32);
    format!("{y}-{m:02}")
}

fn finite(points: &[(f64, f64)]) -> impl Iterator<Item = &(f64, f64)> {
    points.iter().filter(|p| p.1.is_finite())
}

/// A time-series chart of `lines` titled `title`, values in `unit` (a log axis for growth),
/// with a zero line for percent and number charts that cross zero. An empty chart when no
/// point is finite.
pub fn lines(title: &str, lines: &[Line], unit: Unit) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for l in lines {
            for &(x, y) in finite(&l.points) {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
        if !x0.is_finite() || x0 >= x1 {
            return Ok(svg_note(title, "no data"));
        }
        if y0 == y1 {
            y0 -= 0.5 * y0.abs().max(1e-3);
            y1 += 0.5 * y1.abs().max(1e-3);
        }
        let pad = (y1 - y0) * 0.05;
        let caption = (title, ("sans-serif", 16).into_font());
        let err = |e: &dyn std::fmt::Display| e.to_string();
        if unit == Unit::Growth {
            let lowest = lines.iter().flat_map(|l| finite(&l.points)).map(|p| p.1).filter(|&y| y > 0.0).fold(f64::INFINITY, f64::min);
            let (lo, hi) = (lowest.min(y1).max(1e-6) / 1.05, y1.max(1e-6) * 1.05);
            let mut chart = ChartBuilder::on(&root)
                .caption(caption.0, caption.1)
                .margin(12)
                .x_label_area_size(28)
                .y_label_area_size(64)
                .build_cartesian_2d(x0..x1, (lo..hi).log_scale().base(2.0))
                .map_err(|e| err(&e))?;
            chart
                .configure_mesh()
                .x_labels(10)
                .y_labels(8)
                .x_label_formatter(&|x| year_label(*x))
                .y_label_formatter(&|y| unit.label(*y))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(|e| err(&e))?;
            for l in lines {
                // A log axis shows positive values only (a ruined book's equity is not drawn).
                let pts: Vec<(f64, f64)> = finite(&l.points).copied().filter(|p| p.1 > 0.0).collect();
                chart
                    .draw_series(LineSeries::new(pts, l.colour.stroke_width(2)))
                    .map_err(|e| err(&e))?
                    .label(l.name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], l.colour.stroke_width(2)));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(200, 200, 200))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(|e| err(&e))?;
        } else {
            let mut chart = ChartBuilder::on(&root)
                .caption(caption.0, caption.1)
                .margin(12)
                .x_label_area_size(28)
                .y_label_area_size(64)
                .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
                .map_err(|e| err(&e))?;
            chart
                .configure_mesh()
                .x_labels(10)
                .y_labels(8)
                .x_label_formatter(&|x| year_label(*x))
                .y_label_formatter(&|y| unit.label(*y))
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(|e| err(&e))?;
            if y0 - pad < 0.0 && y1 + pad > 0.0 {
                chart.draw_series(LineSeries::new(vec![(x0, 0.0), (x1, 0.0)], BLACK.mix(0.4))).map_err(|e| err(&e))?;
            }
            for l in lines {
                // A NaN value breaks the line: each finite run is its own series.
                let mut runs: Vec<Vec<(f64, f64)>> = vec![vec![]];
                for &(x, y) in &l.points {
                    if y.is_finite() {
                        runs.last_mut().expect("one run").push((x, y));
                    } else if !runs.last().expect("one run").is_empty() {
                        runs.push(vec![]);
                    }
                }
                let mut first = true;
                for run in runs.into_iter().filter(|r| !r.is_empty()) {
                    let s = chart.draw_series(LineSeries::new(run, l.colour.stroke_width(2))).map_err(|e| err(&e))?;
                    if first {
                        s.label(l.name).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], l.colour.stroke_width(2)));
                        first = false;
                    }
                }
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(200, 200, 200))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The underwater chart: the drawdown (`points`: date as [`year_of`], fraction ≤ 0) as a red
/// area below zero.
pub fn underwater(title: &str, points: &[(f64, f64)]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let pts: Vec<(f64, f64)> = finite(points).copied().collect();
        let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
            return Ok(svg_note(title, "no data"));
        };
        let (x0, x1) = (first.0, last.0.max(first.0 + 1.0));
        let low = pts.iter().map(|p| p.1).fold(0.0f64, f64::min).min(-1e-3) * 1.05;
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16).into_font())
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, low..0.0)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_labels(10)
            .y_labels(8)
            .x_label_formatter(&|x| year_label(*x))
            .y_label_formatter(&|y| Unit::Percent.label(*y))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| err(&e))?;
        chart.draw_series(AreaSeries::new(pts, 0.0, LOSS.mix(0.35)).border_style(LOSS.stroke_width(1))).map_err(|e| err(&e))?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Bars of `values` (one per label, e.g. a year's return), percent on the axis, gains in the
/// strategy's colour and losses in red.
pub fn bars(title: &str, values: &[(String, f64)]) -> Result<String, String> {
    bars_in(title, values, Unit::Percent)
}

/// [`bars`] with values in `unit` (percent or plain numbers).
pub fn values(title: &str, values: &[(String, f64)], unit: Unit) -> Result<String, String> {
    bars_in(title, values, unit)
}

fn bars_in(title: &str, values: &[(String, f64)], unit: Unit) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        if values.is_empty() {
            return Ok(svg_note(title, "no data"));
        }
        let lo = values.iter().map(|v| v.1).filter(|v| v.is_finite()).fold(0.0f64, f64::min);
        let hi = values.iter().map(|v| v.1).filter(|v| v.is_finite()).fold(0.0f64, f64::max);
        let pad = ((hi - lo) * 0.08).max(1e-3);
        let n = values.len();
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16).into_font())
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5f64..n as f64 - 0.5, (lo - pad)..(hi + pad))
            .map_err(|e| err(&e))?;
        let labels: Vec<String> = values.iter().map(|v| v.0.clone()).collect();
        chart
            .configure_mesh()
            .x_labels(n.min(20))
            .y_labels(8)
            .x_label_formatter(&|x| {
                let i = x.round();
                if i >= 0.0 && (x - i).abs() < 0.01 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| unit.label(*y))
            .disable_x_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(values.iter().enumerate().filter(|(_, v)| v.1.is_finite()).map(|(i, v)| {
                let c = if v.1 >= 0.0 { STRATEGY } else { LOSS };
                Rectangle::new([(i as f64 - 0.35, 0.0), (i as f64 + 0.35, v.1)], c.filled())
            }))
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// A chart-sized SVG holding only `title` and a note (nothing to draw).
fn svg_note(title: &str, note: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\"><text x=\"12\" y=\"24\" font-family=\"sans-serif\" font-size=\"16\">{}</text><text x=\"12\" y=\"60\" font-family=\"sans-serif\" font-size=\"13\" fill=\"#777\">{}</text></svg>",
        SIZE.0,
        SIZE.1,
        super::escape(title),
        super::escape(note)
    )
}

/// Colours of stacked layers, in order (the last is "other").
const PALETTE: [RGBColor; 9] = [
    RGBColor(31, 96, 168),
    RGBColor(214, 120, 24),
    RGBColor(44, 150, 80),
    RGBColor(190, 40, 40),
    RGBColor(130, 90, 180),
    RGBColor(140, 90, 70),
    RGBColor(220, 110, 170),
    RGBColor(120, 160, 190),
    RGBColor(170, 170, 170),
];

/// A stacked area chart of non-negative `layers` (name and one value per `xs`, percent on the
/// axis), bottom layer first, at most 9 (colours from a fixed palette). Every `step`-th point is
/// drawn (to keep the page small); the last point always is.
pub fn stacked(title: &str, xs: &[f64], layers: &[(String, Vec<f64>)], step: usize) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let idx: Vec<usize> =
            (0..xs.len()).step_by(step.max(1)).chain(xs.len().checked_sub(1)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        if idx.len() < 2 || layers.is_empty() {
            return Ok(svg_note(title, "no data"));
        }
        // Cumulative tops of each layer at the drawn points.
        let mut tops: Vec<Vec<f64>> = vec![];
        let mut below = vec![0.0; idx.len()];
        for (_, v) in layers {
            let top: Vec<f64> = idx.iter().zip(&below).map(|(&i, b)| b + v.get(i).copied().filter(|x| x.is_finite()).unwrap_or(0.0).max(0.0)).collect();
            below = top.clone();
            tops.push(top);
        }
        let hi = below.iter().copied().fold(0.0f64, f64::max).max(1e-3) * 1.05;
        let (x0, x1) = (xs[idx[0]], xs[*idx.last().expect("two points")]);
        let err = |e: &dyn std::fmt::Display| e.to_string();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16).into_font())
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, 0.0..hi)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_labels(10)
            .y_labels(8)
            .x_label_formatter(&|x| year_label(*x))
            .y_label_formatter(&|y| Unit::Percent.label(*y))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| err(&e))?;
        for (k, ((name, _), top)) in layers.iter().zip(&tops).enumerate().rev() {
            let c = PALETTE[k.min(PALETTE.len() - 1)];
            let pts: Vec<(f64, f64)> = idx.iter().zip(top).map(|(&i, &y)| (xs[i], y)).collect();
            chart
                .draw_series(AreaSeries::new(pts, 0.0, c.mix(0.85)))
                .map_err(|e| err(&e))?
                .label(name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(200, 200, 200))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}
