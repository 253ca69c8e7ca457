//! The tear sheet's charts: time series against dates, an underwater area, annual bars,
//! stacked weights and event strips. Each [`Chart`] is drawn once by a function generic over
//! plotters' drawing backend, into inline SVG for the page ([`Chart::svg`]) or into a PNG
//! ([`Chart::png`], plotters' bitmap backend encoded by the `png` crate). Text is laid out and
//! rasterised with DejaVu Sans, embedded in the binary ([`register_fonts`]): no system font is
//! looked up. Axes are labelled in the reader's units: years on the date axis, percent for
//! returns, drawdowns and exposure, plain numbers for ratios.

use plotters::coord::Shift;
use plotters::prelude::*;
use strat_runtime::frame::year_month_day;

/// DejaVu Sans 2.37, subset to Latin-1 and the chart symbols (assets/fonts/README.md).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");

/// Registers the embedded font as plotters' `sans-serif` (once per process); every chart calls
/// it before laying out text. An error only if the embedded font cannot be read.
pub fn register_fonts() -> Result<(), String> {
    static DONE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    DONE.get_or_init(|| plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).map_err(|_| "the embedded chart font cannot be read".to_string()))
        .clone()
}

/// A chart to draw (borrowing its data): SVG for the page, PNG for `strat report --png`.
pub enum Chart<'a> {
    /// [`lines`].
    Lines { title: &'a str, lines: &'a [Line<'a>], unit: Unit, bands: &'a [Band<'a>] },
    /// [`underwater`].
    Underwater { title: &'a str, points: &'a [(f64, f64)] },
    /// [`bars`] / [`values`].
    Bars { title: &'a str, values: &'a [(String, f64)], unit: Unit },
    /// [`stacked`].
    Stacked { title: &'a str, xs: &'a [f64], layers: &'a [(String, Vec<f64>)], step: usize },
    /// [`strips`].
    Strips { title: &'a str, x0: f64, x1: f64, rows: &'a [Strip<'a>] },
}

impl<'a> Chart<'a> {
    /// [`lines`] as a chart.
    pub fn lines(title: &'a str, lines: &'a [Line<'a>], unit: Unit) -> Chart<'a> {
        Chart::Lines { title, lines, unit, bands: &[] }
    }

    /// [`lines`] with shaded [`Band`]s behind the lines (a regime's arms), each in the legend.
    pub fn lines_with_bands(title: &'a str, lines: &'a [Line<'a>], unit: Unit, bands: &'a [Band<'a>]) -> Chart<'a> {
        Chart::Lines { title, lines, unit, bands }
    }

    /// [`underwater`] as a chart.
    pub fn underwater(title: &'a str, points: &'a [(f64, f64)]) -> Chart<'a> {
        Chart::Underwater { title, points }
    }

    /// [`bars`] as a chart.
    pub fn bars(title: &'a str, values: &'a [(String, f64)]) -> Chart<'a> {
        Chart::Bars { title, values, unit: Unit::Percent }
    }

    /// [`values`] as a chart.
    pub fn values(title: &'a str, values: &'a [(String, f64)], unit: Unit) -> Chart<'a> {
        Chart::Bars { title, values, unit }
    }

    /// [`stacked`] as a chart.
    pub fn stacked(title: &'a str, xs: &'a [f64], layers: &'a [(String, Vec<f64>)], step: usize) -> Chart<'a> {
        Chart::Stacked { title, xs, layers, step }
    }

    /// [`strips`] as a chart.
    pub fn strips(title: &'a str, x0: f64, x1: f64, rows: &'a [Strip<'a>]) -> Chart<'a> {
        Chart::Strips { title, x0, x1, rows }
    }

    /// Width and height in pixels.
    pub fn size(&self) -> (u32, u32) {
        match self {
            Chart::Strips { rows, .. } => (SIZE.0, (70 + 30 * rows.len() as u32).max(130)),
            _ => SIZE,
        }
    }

    fn title(&self) -> &str {
        match self {
            Chart::Lines { title, .. }
            | Chart::Underwater { title, .. }
            | Chart::Bars { title, .. }
            | Chart::Stacked { title, .. }
            | Chart::Strips { title, .. } => title,
        }
    }

    /// Draws the chart on `root`; `Ok(false)` when there is nothing to draw.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<bool, String> {
        register_fonts()?;
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        match *self {
            Chart::Lines { title, lines, unit, bands } => draw_lines(root, title, lines, unit, bands),
            Chart::Underwater { title, points } => draw_underwater(root, title, points),
            Chart::Bars { title, values, unit } => draw_bars(root, title, values, unit),
            Chart::Stacked { title, xs, layers, step } => draw_stacked(root, title, xs, layers, step),
            Chart::Strips { title, x0, x1, rows } => draw_strips(root, title, x0, x1, rows),
        }
    }

    /// The chart as an SVG document (a note "no data" when there is nothing to draw).
    pub fn svg(&self) -> Result<String, String> {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size()).into_drawing_area();
            if !self.draw(&root)? {
                drop(root);
                return Ok(svg_note(self.title(), "no data"));
            }
            root.present().map_err(|e| e.to_string())?;
        }
        Ok(svg)
    }

    /// The chart as the bytes of a PNG file (8-bit RGB, [`Chart::size`] pixels).
    pub fn png(&self) -> Result<Vec<u8>, String> {
        let (w, h) = self.size();
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            if !self.draw(&root)? {
                root.fill(&WHITE).map_err(|e| e.to_string())?;
                root.draw(&Text::new(self.title().to_string(), (12, 12), ("sans-serif", 16).into_font())).map_err(|e| e.to_string())?;
                root.draw(&Text::new("no data", (12, 44), ("sans-serif", 13).into_font().color(&RGBColor(120, 120, 120)))).map_err(|e| e.to_string())?;
            }
            root.present().map_err(|e| e.to_string())?;
        }
        let mut out = vec![];
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut writer = enc.write_header().map_err(|e| e.to_string())?;
            writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
        }
        Ok(out)
    }
}

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
    /// Growth of 1 on a linear axis (`×1.50`).
    GrowthLinear,
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
            Unit::Growth | Unit::GrowthLinear => {
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

/// Shaded date spans behind a [`lines`] chart (a regime arm, a kill switch on): a label for the
/// legend, a colour (drawn light), and the `(from, to)` spans as [`year_of`] positions.
pub struct Band<'a> {
    /// The legend's label.
    pub label: &'a str,
    /// Its colour (drawn at 15 % opacity).
    pub colour: RGBColor,
    /// The spans, in time order.
    pub spans: Vec<(f64, f64)>,
}

/// Draws `bands` over the whole height `lo..hi` of `chart`, each with a legend entry.
fn draw_bands<DB: DrawingBackend, Y: plotters::coord::ranged1d::Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>,
    bands: &[Band],
    lo: f64,
    hi: f64,
) -> Result<(), String> {
    for b in bands.iter().filter(|b| !b.spans.is_empty()) {
        let c = b.colour;
        chart
            .draw_series(b.spans.iter().map(|&(x0, x1)| Rectangle::new([(x0, lo), (x1, hi)], c.mix(0.15).filled())))
            .map_err(|e| e.to_string())?
            .label(b.label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.mix(0.3).filled()));
    }
    Ok(())
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
    Chart::Lines { title, lines, unit, bands: &[] }.svg()
}

fn draw_lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, lines: &[Line], unit: Unit, bands: &[Band]) -> Result<bool, String> {
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
        return Ok(false);
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
        let mut chart = ChartBuilder::on(root)
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
        draw_bands(&mut chart, bands, lo, hi)?;
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
        let mut chart = ChartBuilder::on(root)
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
        draw_bands(&mut chart, bands, y0 - pad, y1 + pad)?;
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
    Ok(true)
}

/// The underwater chart: the drawdown (`points`: date as [`year_of`], fraction ≤ 0) as a red
/// area below zero.
pub fn underwater(title: &str, points: &[(f64, f64)]) -> Result<String, String> {
    Chart::Underwater { title, points }.svg()
}

fn draw_underwater<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, points: &[(f64, f64)]) -> Result<bool, String> {
    let pts: Vec<(f64, f64)> = finite(points).copied().collect();
    let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
        return Ok(false);
    };
    let (x0, x1) = (first.0, last.0.max(first.0 + 1.0));
    let low = pts.iter().map(|p| p.1).fold(0.0f64, f64::min).min(-1e-3) * 1.05;
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let mut chart = ChartBuilder::on(root)
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
    Ok(true)
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
    Chart::Bars { title, values, unit }.svg()
}

fn draw_bars<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, values: &[(String, f64)], unit: Unit) -> Result<bool, String> {
    if values.is_empty() {
        return Ok(false);
    }
    let lo = values.iter().map(|v| v.1).filter(|v| v.is_finite()).fold(0.0f64, f64::min);
    let hi = values.iter().map(|v| v.1).filter(|v| v.is_finite()).fold(0.0f64, f64::max);
    let pad = ((hi - lo) * 0.08).max(1e-3);
    let n = values.len();
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let mut chart = ChartBuilder::on(root)
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
    Ok(true)
}

/// One row of a [`strips`] chart: its name and the `(from, to)` date spans (as [`year_of`])
/// when it is on.
pub struct Strip<'a> {
    /// The row's label.
    pub name: &'a str,
    /// Its colour.
    pub colour: RGBColor,
    /// The spans it is on, in time order.
    pub spans: Vec<(f64, f64)>,
}

/// An event strip chart from `x0` to `x1`: one horizontal row per [`Strip`], first on top,
/// filled where it is on (kill switches active, alerts firing). One rectangle per span, so the
/// chart stays small however long the run.
pub fn strips(title: &str, x0: f64, x1: f64, rows: &[Strip]) -> Result<String, String> {
    Chart::Strips { title, x0, x1, rows }.svg()
}

fn draw_strips<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, title: &str, x0: f64, x1: f64, rows: &[Strip]) -> Result<bool, String> {
    if rows.is_empty() || x0.partial_cmp(&x1) != Some(std::cmp::Ordering::Less) {
        return Ok(false);
    }
    let n = rows.len() as f64;
    let names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 16).into_font())
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(110)
        .build_cartesian_2d(x0..x1, 0.0..n)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_labels(10)
        .y_labels(rows.len() * 2 + 1)
        .x_label_formatter(&|x| year_label(*x))
        // Row k (0 = top) spans y in [n - k - 1, n - k]; its label sits at the middle.
        .y_label_formatter(&|y| {
            let k = n - y - 0.5;
            if (k - k.round()).abs() < 0.01 && k >= -0.01 {
                names.get(k.round() as usize).map(|s| s.to_string()).unwrap_or_default()
            } else {
                String::new()
            }
        })
        .disable_y_mesh()
        // plotters sizes default labels by the area's height; a short strip chart keeps
        // the other charts' size.
        .label_style(("sans-serif", 12))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| err(&e))?;
    for (k, r) in rows.iter().enumerate() {
        let (lo, hi) = (n - k as f64 - 0.85, n - k as f64 - 0.15);
        // A one-bar span still shows: at least ~1/1000 of the axis wide.
        let min_w = (x1 - x0) / 1000.0;
        chart.draw_series(r.spans.iter().map(|&(a, b)| Rectangle::new([(a, lo), (b.max(a + min_w), hi)], r.colour.mix(0.8).filled()))).map_err(|e| err(&e))?;
    }
    Ok(true)
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
pub const PALETTE: [RGBColor; 9] = [
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
    Chart::Stacked { title, xs, layers, step }.svg()
}

fn draw_stacked<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    xs: &[f64],
    layers: &[(String, Vec<f64>)],
    step: usize,
) -> Result<bool, String> {
    let idx: Vec<usize> = (0..xs.len()).step_by(step.max(1)).chain(xs.len().checked_sub(1)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    if idx.len() < 2 || layers.is_empty() {
        return Ok(false);
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
    let mut chart = ChartBuilder::on(root)
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
    Ok(true)
}
