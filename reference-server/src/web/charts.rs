//! Server-rendered SVG charts: the geometry of bar charts, computed here
//! and drawn by the templates (`templates/web/chart_*.html`) as `<rect>`
//! elements with classes for their colours, so no script or inline style
//! is needed. Every bar carries a `<title>` with its figure, which
//! browsers show on hover and screen readers read.

/// Width of every chart's coordinate system (`viewBox`); the SVG scales
/// to its container.
const WIDTH: f64 = 640.0;
/// Room on the left for the axis labels of a column chart.
const AXIS: f64 = 40.0;
/// Room at the bottom for the date labels of a column chart.
const FOOT: f64 = 20.0;

/// One drawn rectangle.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bar {
    pub(crate) x: String,
    pub(crate) y: String,
    pub(crate) w: String,
    pub(crate) h: String,
    /// CSS class giving the colour (`series-0`, `series-1`, ...).
    pub(crate) class: &'static str,
    /// What the bar stands for, with its figure.
    pub(crate) title: String,
}

/// A text placed on the chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Label {
    pub(crate) x: String,
    pub(crate) y: String,
    pub(crate) text: String,
    /// `text-anchor`: `start`, `middle` or `end`.
    pub(crate) anchor: &'static str,
}

/// A series of a column chart: its name (legend) and one value per column.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) values: Vec<i64>,
}

/// The CSS classes of the series, in order (colours in `console.css`).
const CLASSES: [&str; 5] = ["series-0", "series-1", "series-2", "series-3", "series-4"];

/// A legend entry: the series' name and colour class.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Legend {
    pub(crate) name: String,
    pub(crate) class: &'static str,
}

/// A drawn chart.
#[derive(Debug, Clone)]
pub(crate) struct Chart {
    /// `0 0 <width> <height>`.
    pub(crate) view_box: String,
    pub(crate) bars: Vec<Bar>,
    /// Axis and category labels.
    pub(crate) labels: Vec<Label>,
    /// Horizontal grid lines (y positions) of a column chart.
    pub(crate) grid: Vec<String>,
    pub(crate) legend: Vec<Legend>,
    /// Whether every value is zero (the page says so instead of drawing).
    pub(crate) empty: bool,
}

fn n(v: f64) -> String {
    format!("{v:.1}")
}

fn legend(names: impl IntoIterator<Item = String>) -> Vec<Legend> {
    names
        .into_iter()
        .zip(CLASSES.iter().cycle())
        .map(|(name, class)| Legend { name, class })
        .collect()
}

/// A step for the axis: 1, 2 or 5 times a power of ten, so that about four
/// steps reach `max`.
fn nice_step(max: i64) -> i64 {
    let rough = (max.max(1) as f64 / 4.0).max(1.0);
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power);
    step as i64
}

/// Grouped columns: one group per category (`labels`, e.g. days), one
/// column per series in each group. Every `label_every`-th category is
/// labelled under the axis.
pub(crate) fn columns(labels: &[String], series: &[Series], label_every: usize) -> Chart {
    let height = 200.0;
    let plot_h = height - FOOT - 8.0;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0);
    let step = nice_step(max);
    let top = (max.max(1) + step - 1) / step * step;
    let scale = plot_h / top as f64;
    let groups = labels.len().max(1) as f64;
    let group_w = (WIDTH - AXIS) / groups;
    let gap = (group_w * 0.2).min(6.0);
    let bar_w = (group_w - gap) / series.len().max(1) as f64;
    let mut bars = Vec::new();
    for (i, day) in labels.iter().enumerate() {
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0);
            if v <= 0 {
                continue;
            }
            let h = v as f64 * scale;
            bars.push(Bar {
                x: n(AXIS + i as f64 * group_w + gap / 2.0 + k as f64 * bar_w),
                y: n(8.0 + plot_h - h),
                w: n(bar_w.max(0.5)),
                h: n(h),
                class: CLASSES[k % CLASSES.len()],
                title: format!("{day}: {} {v}", s.name),
            });
        }
    }
    let mut labels_out = Vec::new();
    let mut grid = Vec::new();
    let mut tick = 0;
    while tick <= top {
        let y = 8.0 + plot_h - tick as f64 * scale;
        grid.push(n(y));
        labels_out.push(Label {
            x: n(AXIS - 6.0),
            y: n(y + 5.0),
            text: tick.to_string(),
            anchor: "end",
        });
        tick += step;
    }
    // Every `every`-th category, and the last one flush with the right
    // edge; a regular label too close to the last is left out.
    let every = label_every.max(1);
    let last = labels.len().saturating_sub(1);
    for (i, day) in labels.iter().enumerate() {
        let (x, anchor) = if i == last {
            (WIDTH, "end")
        } else if i % every == 0 && last - i > every / 2 {
            (AXIS + (i as f64 + 0.5) * group_w, "middle")
        } else {
            continue;
        };
        labels_out.push(Label {
            x: n(x),
            y: n(height - 2.0),
            text: day.clone(),
            anchor,
        });
    }
    Chart {
        view_box: format!("0 0 {WIDTH} {height}"),
        bars,
        labels: labels_out,
        grid,
        legend: legend(series.iter().map(|s| s.name.clone())),
        empty: max == 0,
    }
}

/// One row of a bar chart: its label and its segments (value, series
/// index), drawn left to right.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) label: String,
    pub(crate) segments: Vec<(i64, usize)>,
}

/// Horizontal stacked bars, one row per item, each row scaled to `total`
/// (its own sum when `total` is `None`, so every row is a full bar of
/// shares; with a total, rows compare with each other). `names` are the
/// series' names for the legend and titles, `unit` follows each figure
/// in the titles (`%`, or nothing).
pub(crate) fn rows(rows: &[Row], names: &[String], total: Option<i64>, unit: &str) -> Chart {
    let row_h = 44.0;
    let label_h = 20.0;
    let height = (rows.len().max(1) as f64) * row_h;
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    let mut any = false;
    for (i, r) in rows.iter().enumerate() {
        let y = i as f64 * row_h;
        labels.push(Label {
            x: n(0.0),
            y: n(y + 13.0),
            text: r.label.clone(),
            anchor: "start",
        });
        let sum: i64 = r.segments.iter().map(|(v, _)| (*v).max(0)).sum();
        let whole = total.unwrap_or(sum).max(1) as f64;
        let mut x = 0.0;
        for (v, k) in &r.segments {
            if *v <= 0 {
                continue;
            }
            any = true;
            let w = (*v as f64 / whole * WIDTH).min(WIDTH - x);
            let name = names.get(*k).map_or("", String::as_str);
            bars.push(Bar {
                x: n(x),
                y: n(y + label_h),
                w: n(w),
                h: n(row_h - label_h - 4.0),
                class: CLASSES[k % CLASSES.len()],
                title: format!("{}: {name} {v}{unit}", r.label),
            });
            x += w;
        }
    }
    Chart {
        view_box: format!("0 0 {WIDTH} {height}"),
        bars,
        labels,
        grid: Vec::new(),
        legend: legend(names.iter().cloned()),
        empty: !any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> f64 {
        s.parse().unwrap_or(f64::NAN)
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(0), 1);
        assert_eq!(nice_step(3), 1);
        assert_eq!(nice_step(10), 5);
        assert_eq!(nice_step(37), 10);
        assert_eq!(nice_step(1200), 500);
    }

    #[test]
    fn columns_are_proportional_and_zero_is_not_drawn() {
        let days = vec!["01".to_owned(), "02".to_owned(), "03".to_owned()];
        let c = columns(
            &days,
            &[
                Series {
                    name: "in".into(),
                    values: vec![10, 0, 5],
                },
                Series {
                    name: "out".into(),
                    values: vec![20, 4, 0],
                },
            ],
            1,
        );
        assert!(!c.empty);
        assert_eq!(c.bars.len(), 4, "zeros draw nothing");
        let h = |title: &str| {
            f(&c.bars
                .iter()
                .find(|b| b.title == title)
                .unwrap_or_else(|| panic!("no bar {title}: {:?}", c.bars))
                .h)
        };
        assert!((h("01: out 20") - 2.0 * h("01: in 10")).abs() < 0.2);
        assert!((h("01: in 10") - 2.0 * h("03: in 5")).abs() < 0.2);
        // Bars stand on the axis: y + h is the same for all.
        let base: Vec<f64> = c.bars.iter().map(|b| f(&b.y) + f(&b.h)).collect();
        assert!(
            base.windows(2).all(|w| (w[0] - w[1]).abs() < 0.2),
            "{base:?}"
        );
        assert_eq!(c.legend.len(), 2);
        assert_ne!(c.legend[0].class, c.legend[1].class);
    }

    #[test]
    fn date_labels_stay_inside_and_apart() {
        let days: Vec<String> = (1..=30).map(|d| format!("11-{d:02}")).collect();
        let c = columns(
            &days,
            &[Series {
                name: "in".into(),
                values: vec![1; 30],
            }],
            5,
        );
        let dates: Vec<&Label> = c.labels.iter().filter(|l| l.text.contains('-')).collect();
        let last = dates.last().unwrap_or_else(|| panic!("no date labels"));
        assert_eq!(
            (last.text.as_str(), last.anchor, f(&last.x)),
            ("11-30", "end", WIDTH)
        );
        let xs: Vec<f64> = dates.iter().map(|l| f(&l.x)).collect();
        assert!(xs.windows(2).all(|w| w[1] - w[0] > 50.0), "{xs:?}");
        assert_eq!(dates.len(), 7, "every fifth day and the last");
    }

    #[test]
    fn an_all_zero_chart_is_empty() {
        let c = columns(
            &["a".to_owned()],
            &[Series {
                name: "x".into(),
                values: vec![0],
            }],
            1,
        );
        assert!(c.empty);
        assert!(c.bars.is_empty());
    }

    #[test]
    fn stacked_rows_fill_their_share() {
        let names = vec!["read".to_owned(), "failed".to_owned()];
        let c = rows(
            &[Row {
                label: "Promo".into(),
                segments: vec![(3, 0), (1, 1)],
            }],
            &names,
            None,
            "",
        );
        let w: Vec<f64> = c.bars.iter().map(|b| f(&b.w)).collect();
        assert!((w[0] - WIDTH * 0.75).abs() < 0.2, "{w:?}");
        assert!((w[0] + w[1] - WIDTH).abs() < 0.2, "{w:?}");
        // With a total, a row of 50 of 100 is half wide.
        let c = rows(
            &[Row {
                label: "delivered".into(),
                segments: vec![(50, 0)],
            }],
            &names,
            Some(100),
            "%",
        );
        assert!((f(&c.bars[0].w) - WIDTH / 2.0).abs() < 0.2);
        assert!(c.bars[0].title.contains("read 50%"));
    }
}
