//! The dashboard's charts as inline SVG: horizontal bars, one or several coloured segments per row, with the
//! label on the left and the value on the right. Written by hand: a few dozen lines render every chart the
//! dashboard needs, with nothing to download and nothing to run in the browser.

use std::fmt::Write as _;

/// Row height and the widths of the label column, the bar area and the value column, in SVG units.
const ROW: f64 = 22.0;
const LABEL_WIDTH: f64 = 150.0;
const BAR_WIDTH: f64 = 260.0;
const VALUE_WIDTH: f64 = 90.0;

pub const LOW: &str = "#6b8f71";
pub const MEDIUM: &str = "#c9a227";
pub const HIGH: &str = "#d9822b";
pub const CRITICAL: &str = "#c23030";
pub const NEUTRAL: &str = "#1f5fbf";

/// One bar: its label, its segments (value and colour, drawn left to right) and the text at its end.
pub struct Bar {
    pub label: String,
    pub segments: Vec<(f64, &'static str)>,
    pub value_text: String,
}

impl Bar {
    pub fn single(label: impl Into<String>, value: f64, color: &'static str, value_text: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            segments: vec![(value, color)],
            value_text: value_text.into(),
        }
    }

    fn total(&self) -> f64 {
        self.segments.iter().map(|(value, _)| value.max(0.0)).sum()
    }
}

/// A horizontal bar chart scaled to its longest bar (or to `scale_max` when given, e.g. 1.0 for shares).
pub fn bar_chart(bars: &[Bar], scale_max: Option<f64>) -> String {
    let height = ROW * bars.len().max(1) as f64 + 4.0;
    let width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH;
    let longest = scale_max.unwrap_or_else(|| bars.iter().map(Bar::total).fold(0.0, f64::max));
    let mut svg = format!(r#"<svg viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg">"#);
    if bars.is_empty() {
        let _ = write!(svg, r#"<text x="4" y="15">No data yet</text>"#);
    }
    for (index, bar) in bars.iter().enumerate() {
        let y = ROW * index as f64 + 2.0;
        let _ = write!(
            svg,
            r#"<text x="{x}" y="{ty}" text-anchor="end">{label}</text>"#,
            x = LABEL_WIDTH - 6.0,
            ty = y + 14.0,
            label = escape(&bar.label)
        );
        let mut x = LABEL_WIDTH;
        for (value, color) in &bar.segments {
            let length = if longest > 0.0 {
                value.max(0.0) / longest * BAR_WIDTH
            } else {
                0.0
            };
            if length > 0.0 {
                let _ = write!(
                    svg,
                    r#"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{length:.1}" height="{h}" fill="{color}"><title>{value}</title></rect>"#,
                    h = ROW - 6.0
                );
            }
            x += length;
        }
        let _ = write!(
            svg,
            r#"<text x="{tx:.1}" y="{ty}">{text}</text>"#,
            tx = x + 4.0,
            ty = y + 14.0,
            text = escape(&bar.value_text)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_longest_and_labels_are_escaped() {
        let svg = bar_chart(
            &[
                Bar::single("a<b", 2.0, NEUTRAL, "2"),
                Bar {
                    label: "c".into(),
                    segments: vec![(1.0, LOW), (3.0, CRITICAL)],
                    value_text: "4".into(),
                },
            ],
            None,
        );
        assert!(svg.contains("a&lt;b") && !svg.contains("a<b"));
        assert!(svg.contains(r#"width="130.0""#), "2 of 4 is half the bar area: {svg}");
        assert!(svg.contains(r#"width="195.0""#), "3 of 4");
        assert_eq!(svg.matches(r#"class="bar""#).count(), 3);
        assert!(bar_chart(&[], None).contains("No data yet"));
    }
}
