//! A webhook's deliveries over time as an inline SVG: stacked bars by outcome and
//! a line of mean attempt latency. Drawn on the server, so no chart library ships.

use std::fmt::Write;

use hookwire::store::TimelineBucket;
use maud::{html, Markup, PreEscaped};

const W: f64 = 720.0;
const H: f64 = 220.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 56.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 26.0;

/// The chart, its legend, and the same numbers as a table for screen readers.
pub(super) fn timeline(buckets: &[TimelineBucket], label: &str) -> Markup {
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = buckets.len().max(1) as f64;
    let band = plot_w / n;
    let max_count = buckets
        .iter()
        .map(|b| b.delivered + b.failed + b.pending)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let max_ms = buckets
        .iter()
        .filter_map(|b| b.avg_duration_ms)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let y = |count: f64| TOP + plot_h - count / max_count * plot_h;

    let mut svg = String::new();
    let mut line = String::new();
    for (i, b) in buckets.iter().enumerate() {
        let x = LEFT + i as f64 * band + band * 0.1;
        let width = (band * 0.8).max(1.0);
        let mut base = 0.0;
        for (class, count) in [
            ("delivered", b.delivered),
            ("failed", b.failed),
            ("pending", b.pending),
        ] {
            if count == 0 {
                continue;
            }
            let top = y(base + count as f64);
            let height = y(base) - top;
            let _ = write!(
                svg,
                r#"<rect class="{class}" x="{x:.1}" y="{top:.1}" width="{width:.1}" height="{height:.1}"><title>{}: {count} {class}</title></rect>"#,
                b.start.format("%Y-%m-%d %H:%M")
            );
            base += count as f64;
        }
        if let Some(ms) = b.avg_duration_ms {
            let cx = LEFT + (i as f64 + 0.5) * band;
            let cy = TOP + plot_h - ms / max_ms * plot_h;
            let _ = write!(
                line,
                "{}{cx:.1},{cy:.1} ",
                if line.is_empty() { "M" } else { "L" }
            );
        }
    }
    if !line.is_empty() {
        let _ = write!(svg, r#"<path class="latency" d="{}"/>"#, line.trim_end());
    }
    // Axes: counts on the left, latency on the right, a few times below.
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{base}" x2="{right}" y2="{base}" stroke="#b9c1cb"/><text x="{lx}" y="{ty}" text-anchor="end">{max_count}</text><text x="{lx}" y="{base}" text-anchor="end">0</text><text x="{rx}" y="{ty}">{max_ms:.0} ms</text>"##,
        base = TOP + plot_h,
        right = W - RIGHT,
        lx = LEFT - 6.0,
        rx = W - RIGHT + 6.0,
        ty = TOP + 10.0,
    );
    // Times below: where the range starts, its middle and where it ends (the
    // last bucket's end), in UTC like every time the dashboard shows.
    if let (Some(first), Some(last)) = (buckets.first(), buckets.last()) {
        let width = match buckets.get(1) {
            Some(second) => second.start - first.start,
            None => chrono::TimeDelta::zero(),
        };
        let end = last.start + width;
        let fmt = if end - first.start > chrono::TimeDelta::days(1) {
            "%m-%d %H:%M"
        } else {
            "%H:%M"
        };
        let middle = first.start + (end - first.start) / 2;
        let ly = H - 8.0;
        let _ = write!(
            svg,
            r#"<text x="{LEFT}" y="{ly}">{}</text><text x="{mx:.1}" y="{ly}" text-anchor="middle">{}</text><text x="{rx}" y="{ly}" text-anchor="end">{} UTC</text>"#,
            first.start.format(fmt),
            middle.format(fmt),
            end.format(fmt),
            mx = LEFT + plot_w / 2.0,
            rx = W - RIGHT,
        );
    }
    html! {
        figure class="chart" {
            svg class="chart" viewBox={ "0 0 " (W) " " (H) } role="img" aria-label=(label) {
                (PreEscaped(svg))
            }
            figcaption class="legend" {
                span class="delivered" { "delivered" }
                span class="failed" { "failed" }
                span class="pending" { "pending / retrying" }
                span class="latency" { "mean attempt latency" }
            }
            details {
                summary { "The numbers" }
                div class="table-wrap" {
                    table {
                        thead { tr { th { "From (UTC)" } th { "Delivered" } th { "Failed" } th { "Pending" } th { "Mean latency" } } }
                        tbody {
                            @for b in buckets.iter().filter(|b| b.delivered + b.failed + b.pending > 0) {
                                tr {
                                    td { (b.start.format("%Y-%m-%d %H:%M")) }
                                    td { (b.delivered) } td { (b.failed) } td { (b.pending) }
                                    td { @if let Some(ms) = b.avg_duration_ms { (format!("{ms:.0} ms")) } @else { "—" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
