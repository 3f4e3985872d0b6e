//! Small, accessible charts for the staff dashboard, drawn on the server as SVG strings.
//!
//! Why server-side SVG: the dashboard must work without JavaScript and under a strict
//! Content-Security-Policy, so the output uses presentation attributes only (no `<style>`,
//! no `style=`, no scripts). Each chart carries a `<title>` and a `<desc>` listing every
//! value, so screen-reader users get the data rather than a picture. Output is
//! deterministic (same input, same bytes), which keeps responses cacheable and testable.

use std::fmt::Write as _;

/// One labelled value.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// One point of a time series (label = x-axis text such as "2026-11-03").
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub label: String,
    pub value: f64,
}

const BAR_FILL: &str = "#1f5f8b";
const TEXT_FILL: &str = "#1d2430";
const GRID_STROKE: &str = "#dedad2";
const REFERENCE_STROKE: &str = "#a3261b";
const FONT_FAMILY: &str = "system-ui, sans-serif";

/// Nominal chart width; the SVG scales to its container through the viewBox.
const WIDTH: f64 = 600.0;
const PAD: f64 = 8.0;
const TITLE_BASELINE: f64 = 20.0;

// Bar chart geometry.
const LABEL_COLUMN: f64 = 140.0;
const BAR_X: f64 = PAD + LABEL_COLUMN + 8.0;
const ROWS_TOP: f64 = 34.0;
const ROW_HEIGHT: f64 = 26.0;
const BAR_HEIGHT: f64 = 16.0;
const VALUE_GAP: f64 = 6.0;
const MIN_BAR_AREA: f64 = 120.0;

// Column chart geometry.
const COLUMN_HEIGHT: f64 = 280.0;
const PLOT_TOP: f64 = 52.0;
const PLOT_BOTTOM: f64 = COLUMN_HEIGHT - 30.0;
/// At most this many x labels, so days stay readable on a phone.
const MAX_X_LABELS: usize = 8;
/// Cap on an x label's width; longer labels are truncated.
const MAX_X_LABEL_WIDTH: f64 = 96.0;
const X_LABEL_GAP: f64 = 8.0;
/// Cap on the reference line's legend text, leaving the left of that row to the unit.
const LEGEND_WIDTH: f64 = 260.0;

/// Separates thousands; narrow no-break space so a number never wraps apart.
const THOUSANDS: char = '\u{202F}';
/// Visible text (and description) for a chart without data; language-neutral.
const NO_DATA: &str = "—";

#[derive(Clone, Copy)]
enum Anchor {
    Start,
    Middle,
    End,
}

/// Text presentation in one value, keeping the SVG writer's signatures short.
#[derive(Clone, Copy)]
struct TextStyle {
    size: f64,
    anchor: Anchor,
    fill: &'static str,
    bold: bool,
}

const TITLE: TextStyle = TextStyle { size: 14.0, anchor: Anchor::Start, fill: TEXT_FILL, bold: true };
const LABEL: TextStyle = TextStyle { size: 13.0, anchor: Anchor::Start, fill: TEXT_FILL, bold: false };
const AXIS_END: TextStyle = TextStyle { size: 12.0, anchor: Anchor::End, fill: TEXT_FILL, bold: false };
const AXIS_MIDDLE: TextStyle = TextStyle { size: 12.0, anchor: Anchor::Middle, fill: TEXT_FILL, bold: false };
const AXIS_START: TextStyle = TextStyle { size: 12.0, anchor: Anchor::Start, fill: TEXT_FILL, bold: false };
const REFERENCE: TextStyle = TextStyle { size: 12.0, anchor: Anchor::End, fill: REFERENCE_STROKE, bold: false };

/// Horizontal bar chart: one row per bar (label left, bar, value right).
///
/// Bars are proportional to their values; the largest fills the bar area.
pub fn bar_chart(title: &str, bars: &[Bar], unit: &str) -> String {
    let id = chart_id("bar", title, unit, bars.iter().map(|b| (b.label.as_str(), b.value)));
    if bars.is_empty() {
        return empty_chart(&id, title);
    }
    let values: Vec<f64> = bars.iter().map(|b| sanitize(b.value)).collect();
    let value_texts: Vec<String> = values.iter().map(|&v| with_unit(v, unit)).collect();
    let layout = BarLayout::new(&value_texts);
    let max = values.iter().copied().fold(0.0, f64::max);
    let height = ROWS_TOP + bars.len() as f64 * ROW_HEIGHT + 4.0;
    let desc = describe(bars.iter().map(|b| b.label.as_str()).zip(&value_texts));

    let mut svg = Svg::open(&id, layout.width, height, title, &desc);
    svg.text(PAD, TITLE_BASELINE, TITLE, &fit(title, layout.width - 2.0 * PAD, TITLE));
    for (i, ((bar, &value), text)) in bars.iter().zip(&values).zip(&value_texts).enumerate() {
        let top = ROWS_TOP + i as f64 * ROW_HEIGHT;
        let baseline = top + ROW_HEIGHT / 2.0 + 4.5;
        let width = if max > 0.0 { value / max * layout.bar_area } else { 0.0 };
        svg.text(PAD, baseline, LABEL, &fit(&bar.label, LABEL_COLUMN, LABEL));
        let tooltip = format!("{}: {text}", bar.label);
        svg.rect(BAR_X, top + (ROW_HEIGHT - BAR_HEIGHT) / 2.0, width, BAR_HEIGHT, &tooltip);
        svg.text(BAR_X + width + VALUE_GAP, baseline, LABEL, text);
    }
    svg.finish()
}

/// Widths of the bar chart's columns: the value column is sized to the widest value so
/// values never leave the chart, and the bar area takes the rest.
struct BarLayout {
    width: f64,
    bar_area: f64,
}

impl BarLayout {
    fn new(value_texts: &[String]) -> Self {
        let value_column = value_texts.iter().map(|t| text_width(t, LABEL)).fold(24.0, f64::max).ceil();
        let bar_area = (WIDTH - PAD - value_column - VALUE_GAP - BAR_X).max(MIN_BAR_AREA);
        BarLayout { width: BAR_X + bar_area + VALUE_GAP + value_column + PAD, bar_area }
    }
}

/// Vertical column chart for a series over days (e.g. requests per day), with a y-axis
/// (0, max rounded up to a nice number, and a middle gridline), x labels thinned so they
/// never overlap (at most 8 shown, always including the latest), and an optional
/// horizontal reference line (e.g. a median) drawn dashed, labelled in a legend above the plot.
pub fn column_chart(title: &str, points: &[Point], unit: &str, reference: Option<(&str, f64)>) -> String {
    let hashed = points.iter().map(|p| (p.label.as_str(), p.value)).chain(reference);
    let id = chart_id("column", title, unit, hashed);
    if points.is_empty() {
        return empty_chart(&id, title);
    }
    let values: Vec<f64> = points.iter().map(|p| sanitize(p.value)).collect();
    let value_texts: Vec<String> = values.iter().map(|&v| with_unit(v, unit)).collect();
    let reference = reference.map(|(label, value)| (label, sanitize(value)));
    let data_max = values.iter().copied().fold(0.0, f64::max);
    let top = nice_ceiling(reference.map_or(data_max, |(_, r)| data_max.max(r)));

    let mut desc = describe(points.iter().map(|p| p.label.as_str()).zip(&value_texts));
    if let Some((label, value)) = reference {
        let _ = write!(desc, ". {label}: {}", with_unit(value, unit));
    }

    // Margins: room for the y labels on the left, and for half of the widest x label on
    // both sides, since x labels are centred under their columns.
    let x_labels: Vec<String> = points.iter().map(|p| fit(&p.label, MAX_X_LABEL_WIDTH, AXIS_MIDDLE)).collect();
    let x_label_width = x_labels.iter().map(|l| text_width(l, AXIS_MIDDLE)).fold(0.0, f64::max);
    let y_labels = [format_value(0.0), format_value(top / 2.0), format_value(top)];
    let y_label_width = y_labels.iter().map(|l| text_width(l, AXIS_END)).fold(0.0, f64::max);
    let plot_left = (PAD + y_label_width + 6.0).max(PAD + x_label_width / 2.0).ceil();
    let plot_right = (WIDTH - PAD - x_label_width / 2.0).min(WIDTH - 12.0).floor();
    let plot_width = plot_right - plot_left;
    let plot_height = PLOT_BOTTOM - PLOT_TOP;
    let y_of = |v: f64| PLOT_BOTTOM - v / top * plot_height;

    let mut svg = Svg::open(&id, WIDTH, COLUMN_HEIGHT, title, &desc);
    svg.text(PAD, TITLE_BASELINE, TITLE, &fit(title, WIDTH - 2.0 * PAD, TITLE));
    if !unit.is_empty() {
        svg.text(PAD, PLOT_TOP - 12.0, AXIS_START, &fit(unit, WIDTH - 3.0 * PAD - LEGEND_WIDTH - 26.0, AXIS_START));
    }
    for (label, value) in y_labels.iter().zip([0.0, top / 2.0, top]) {
        let y = y_of(value);
        let stroke = if value == 0.0 { TEXT_FILL } else { GRID_STROKE };
        svg.line(plot_left, y, plot_right, y, stroke, None);
        svg.text(plot_left - 6.0, y + 4.0, AXIS_END, label);
    }

    let slot = plot_width / points.len() as f64;
    let column_width = (slot * 0.72).max(0.5);
    for (i, ((point, &value), text)) in points.iter().zip(&values).zip(&value_texts).enumerate() {
        let centre = plot_left + slot * (i as f64 + 0.5);
        let tooltip = format!("{}: {text}", point.label);
        let y = y_of(value);
        svg.rect(centre - column_width / 2.0, y, column_width, PLOT_BOTTOM - y, &tooltip);
    }
    let step = label_step(points.len(), slot, x_label_width);
    let last = points.len() - 1;
    for (i, label) in x_labels.iter().enumerate().filter(|(i, _)| (last - i).is_multiple_of(step)) {
        let centre = plot_left + slot * (i as f64 + 0.5);
        svg.text(centre, PLOT_BOTTOM + 18.0, AXIS_MIDDLE, label);
    }

    if let Some((label, value)) = reference {
        let y = y_of(value);
        svg.line(plot_left, y, plot_right, y, REFERENCE_STROKE, Some("6 4"));
        // The label goes in a legend above the plot (a dashed sample, then the text),
        // because on the line itself the columns would run through it.
        let text = fit(&format!("{label}: {}", with_unit(value, unit)), LEGEND_WIDTH, REFERENCE);
        let sample_end = plot_right - text_width(&text, REFERENCE) - 6.0;
        let legend_y = PLOT_TOP - 16.0;
        svg.line(sample_end - 20.0, legend_y, sample_end, legend_y, REFERENCE_STROKE, Some("6 4"));
        svg.text(plot_right, PLOT_TOP - 12.0, REFERENCE, &text);
    }
    svg.finish()
}

/// Every `step`-th x label is shown: at most [`MAX_X_LABELS`], and far enough apart that
/// labels of `label_width` never touch.
fn label_step(count: usize, slot: f64, label_width: f64) -> usize {
    let by_count = count.div_ceil(MAX_X_LABELS);
    let by_width = if slot > 0.0 { ((label_width + X_LABEL_GAP) / slot).ceil() as usize } else { count };
    by_count.max(by_width).max(1)
}

/// Escapes text for SVG/XML (element content and attribute values alike).
///
/// Characters that XML 1.0 forbids (most C0 controls) become U+FFFD, because a single
/// one would make the whole document ill-formed.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Negative, NaN and infinite values are drawn as 0: a count can't be below zero, and
/// one bad value must not wreck the scale of the others.
fn sanitize(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 {
        v
    } else {
        0.0
    }
}

/// A value for people: thousands separated, one decimal only when not integral.
fn format_value(v: f64) -> String {
    let v = sanitize(v);
    let tenths = (v * 10.0).round();
    if !tenths.is_finite() {
        return group_thousands(&format!("{v:.0}"));
    }
    let digits = format!("{tenths:.0}");
    let (int, frac) = if digits.len() > 1 { digits.split_at(digits.len() - 1) } else { ("0", digits.as_str()) };
    let mut out = group_thousands(int);
    if frac != "0" {
        out.push('.');
        out.push_str(frac);
    }
    out
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(THOUSANDS);
        }
        out.push(c);
    }
    out
}

fn with_unit(v: f64, unit: &str) -> String {
    if unit.is_empty() {
        format_value(v)
    } else {
        format!("{} {unit}", format_value(v))
    }
}

/// `label: value; label: value` — the data in words for `<desc>`.
fn describe<'a>(items: impl Iterator<Item = (&'a str, &'a String)>) -> String {
    items.map(|(label, value)| format!("{label}: {value}")).collect::<Vec<_>>().join("; ")
}

/// The smallest "nice" number ≥ `max` for the top of the y-axis, chosen so that its half
/// (the middle gridline) still prints exactly with at most one decimal. At least 1, so an
/// all-zero series still has an axis.
fn nice_ceiling(max: f64) -> f64 {
    if max <= 1.0 || !max.is_finite() {
        return 1.0;
    }
    let mut exp = max.log10().floor() as i32;
    if max / 10f64.powi(exp) >= 10.0 {
        exp += 1;
    } else if max / 10f64.powi(exp) < 1.0 {
        exp -= 1;
    }
    let scale = 10f64.powi(exp);
    // 1.5 and 2.5 have halves with two decimals below 10, so they're only used above it.
    let steps: &[f64] = if exp == 0 {
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
    } else {
        &[1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
    };
    steps.iter().map(|s| s * scale).find(|&c| c >= max && c.is_finite()).unwrap_or(max)
}

/// Rough advance width of `c` in ems for a system sans-serif. Erring wide keeps
/// truncated labels inside their column without measuring real fonts.
fn char_em(c: char) -> f64 {
    match c {
        '\u{0300}'..='\u{036F}' | '\u{200B}'..='\u{200F}' | '\u{FE00}'..='\u{FE0F}' => 0.0,
        ' ' | 'i' | 'l' | 'j' | 'I' | '.' | ',' | ':' | ';' | '\'' | '!' | '|' => 0.3,
        'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '-' | '/' | '\u{202F}' => 0.38,
        'm' | 'w' | 'M' | 'W' | '@' | '—' | '…' => 0.9,
        '0'..='9' => 0.58,
        c if c.is_uppercase() => 0.7,
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}'
        | '\u{1F300}'..='\u{1FAFF}'
        | '\u{20000}'..='\u{3FFFD}' => 1.0,
        _ => 0.6,
    }
}

fn text_width(s: &str, style: TextStyle) -> f64 {
    let bold = if style.bold { 1.08 } else { 1.0 };
    s.chars().map(char_em).sum::<f64>() * style.size * bold
}

/// `s` unchanged if it fits in `max_width` px, else cut (at a character boundary) and
/// ended with "…", so long names can't run into the bars.
fn fit(s: &str, max_width: f64, style: TextStyle) -> String {
    if text_width(s, style) <= max_width {
        return s.to_string();
    }
    let ellipsis = text_width("…", style);
    let mut width = 0.0;
    let mut out = String::new();
    for c in s.chars() {
        let w = text_width(c.encode_utf8(&mut [0; 4]), style);
        if width + w + ellipsis > max_width {
            break;
        }
        width += w;
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Element ids unique per chart without randomness: an FNV-1a hash of the chart's kind,
/// title and data, so two charts on one page don't share ids and output stays stable.
fn chart_id<'a>(kind: &str, title: &str, unit: &str, items: impl Iterator<Item = (&'a str, f64)>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes.iter().chain(&[0xff]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(kind.as_bytes());
    feed(title.as_bytes());
    feed(unit.as_bytes());
    for (label, value) in items {
        feed(label.as_bytes());
        feed(&sanitize(value).to_bits().to_le_bytes());
    }
    format!("chart-{hash:016x}")
}

/// The title and "—": still a valid, labelled image when there is nothing to draw.
fn empty_chart(id: &str, title: &str) -> String {
    let mut svg = Svg::open(id, WIDTH, 64.0, title, NO_DATA);
    svg.text(PAD, TITLE_BASELINE, TITLE, &fit(title, WIDTH - 2.0 * PAD, TITLE));
    svg.text(PAD, 48.0, LABEL, NO_DATA);
    svg.finish()
}

/// Coordinates to one decimal, trailing ".0" dropped, never "-0": compact and stable.
fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0 + 0.0;
    if r == r.trunc() {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Minimal SVG writer; every piece of caller text passes through [`escape`] here.
struct Svg {
    out: String,
}

impl Svg {
    fn open(id: &str, width: f64, height: f64, title: &str, desc: &str) -> Self {
        let mut out = String::with_capacity(4096);
        let _ = write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
             aria-labelledby=\"{id}-title {id}-desc\" width=\"100%\" preserveAspectRatio=\"xMinYMin meet\" \
             font-family=\"{FONT_FAMILY}\"><title id=\"{id}-title\">{title}</title><desc id=\"{id}-desc\">{desc}</desc>",
            w = num(width),
            h = num(height),
            title = escape(title),
            desc = escape(desc),
        );
        Svg { out }
    }

    fn text(&mut self, x: f64, y: f64, style: TextStyle, content: &str) {
        let _ = write!(
            self.out,
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\"",
            num(x),
            num(y),
            style.size,
            style.fill
        );
        match style.anchor {
            Anchor::Start => {}
            Anchor::Middle => self.out.push_str(" text-anchor=\"middle\""),
            Anchor::End => self.out.push_str(" text-anchor=\"end\""),
        }
        if style.bold {
            self.out.push_str(" font-weight=\"600\"");
        }
        let _ = write!(self.out, ">{}</text>", escape(content));
    }

    /// A data rectangle; `tooltip` becomes a `<title>` child so pointer users can read
    /// exact values (and full labels) on hover.
    fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, tooltip: &str) {
        let _ = write!(
            self.out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{BAR_FILL}\"><title>{}</title></rect>",
            num(x),
            num(y),
            num(width),
            num(height),
            escape(tooltip)
        );
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, dash: Option<&str>) {
        let _ = write!(
            self.out,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\"",
            num(x1),
            num(y1),
            num(x2),
            num(y2)
        );
        match dash {
            // Thicker so the dashed reference line stands out from the gridlines.
            Some(dash) => {
                let _ = write!(self.out, " stroke-width=\"2\" stroke-dasharray=\"{dash}\"");
            }
            None => self.out.push_str(" stroke-width=\"1\""),
        }
        self.out.push_str("/>");
    }

    fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(items: &[(&str, f64)]) -> Vec<Bar> {
        items.iter().map(|&(label, value)| Bar { label: label.to_string(), value }).collect()
    }

    fn days(count: usize) -> Vec<Point> {
        (0..count).map(|i| Point { label: format!("2026-11-{:02}", i + 1), value: (i * 7 % 23) as f64 }).collect()
    }

    /// Checks well-formedness the way an XML parser would care about: one root element,
    /// balanced tags, quoted and unique attributes, only known entities, no raw `<` in
    /// text. Also rejects anything a strict CSP would block.
    fn assert_well_formed(svg: &str) {
        assert!(svg.starts_with("<svg "), "must start with <svg: {svg}");
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        let mut closed_root = false;
        while let Some(start) = rest.find('<') {
            check_text(&rest[..start]);
            assert!(!closed_root || rest[..start].trim().is_empty(), "content after the root element");
            rest = &rest[start + 1..];
            let end = rest.find('>').expect("unterminated tag");
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
                closed_root = stack.is_empty();
                continue;
            }
            assert!(!closed_root, "second root element <{tag}>");
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
            let name = &tag[..name_end];
            assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()), "bad tag name {name:?}");
            assert!(!["style", "script", "foreignObject"].contains(&name), "forbidden element <{name}>");
            check_attributes(name, &tag[name_end..]);
            if !self_closing {
                stack.push(name.to_string());
            }
        }
        check_text(rest);
        assert!(rest.is_empty() && closed_root && stack.is_empty(), "unbalanced: {stack:?}");
    }

    fn check_attributes(tag: &str, mut attrs: &str) {
        let mut seen = Vec::new();
        loop {
            attrs = attrs.trim_start();
            if attrs.is_empty() {
                break;
            }
            let eq = attrs.find("=\"").expect("attribute without =\"");
            let name = &attrs[..eq];
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'), "bad attribute {name:?}");
            assert!(name != "style" && !name.starts_with("on") && name != "href", "forbidden attribute {name}");
            assert!(!seen.contains(&name), "duplicate attribute {name} on <{tag}>");
            seen.push(name);
            attrs = &attrs[eq + 2..];
            let close = attrs.find('"').expect("unterminated attribute value");
            let value = &attrs[..close];
            assert!(!value.contains('<'), "raw < in attribute {name}");
            check_text(value);
            attrs = &attrs[close + 1..];
            assert!(attrs.is_empty() || attrs.starts_with(char::is_whitespace), "attributes must be separated");
        }
    }

    fn check_text(text: &str) {
        assert!(!text.contains('>') && !text.contains('<'), "raw angle bracket in {text:?}");
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].iter().any(|e| entity.starts_with(e)),
                "bad entity at {entity:?}"
            );
        }
    }

    /// The content of every `<text>` element, still escaped.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text ")
            .skip(1)
            .map(|t| t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].to_string())
            .collect()
    }

    fn desc(svg: &str) -> &str {
        let start = svg.find("<desc").unwrap();
        let start = start + svg[start..].find('>').unwrap() + 1;
        &svg[start..start + svg[start..].find("</desc>").unwrap()]
    }

    fn attr(element: &str, name: &str) -> f64 {
        let key = format!(" {name}=\"");
        let start = element.find(&key).unwrap() + key.len();
        element[start..start + element[start..].find('"').unwrap()].parse().unwrap()
    }

    fn rects(svg: &str) -> Vec<&str> {
        svg.split("<rect ").skip(1).map(|r| &r[..r.find('>').unwrap()]).collect()
    }

    #[test]
    fn escapes_markup_and_forbidden_characters() {
        assert_eq!(escape("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(escape("Müller – 李"), "Müller – 李");
        assert_eq!(escape("a\u{0}b\u{1b}c\nd"), "a\u{FFFD}b\u{FFFD}c\nd");
    }

    #[test]
    fn hostile_labels_come_out_harmless() {
        let evil = "<script>alert(1)</script>&\"'";
        let bar = bar_chart(evil, &bars(&[(evil, 3.0)]), evil);
        let column = column_chart(evil, &[Point { label: evil.into(), value: 1.0 }], evil, Some((evil, 1.0)));
        for svg in [bar, column] {
            assert_well_formed(&svg);
            assert!(!svg.contains("<script") && !svg.contains("style"), "{svg}");
            assert!(svg.contains("&lt;script&gt;"));
        }
    }

    #[test]
    fn root_element_is_accessible_and_scalable() {
        let svg = bar_chart("Status", &bars(&[("captured", 1200.0)]), "");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 600 "));
        for needle in ["role=\"img\"", "width=\"100%\"", "preserveAspectRatio=\"xMinYMin meet\"", FONT_FAMILY] {
            assert!(svg.contains(needle), "missing {needle}");
        }
        let id = chart_id("bar", "Status", "", [("captured", 1200.0)].into_iter());
        assert!(svg.contains(&format!("aria-labelledby=\"{id}-title {id}-desc\"")));
        assert!(svg.contains(&format!("<title id=\"{id}-title\">Status</title>")));
        assert!(svg.contains(&format!("<desc id=\"{id}-desc\">")));
        let other = bar_chart("Other", &bars(&[("captured", 1200.0)]), "");
        assert!(!other.contains(&id), "ids must differ between charts");
    }

    #[test]
    fn bar_chart_is_well_formed_and_describes_every_value() {
        let svg = bar_chart("Status", &bars(&[("captured", 1200.0), ("released", 300.0), ("missing", 2.5)]), "");
        assert_well_formed(&svg);
        assert_eq!(desc(&svg), "captured: 1\u{202F}200; released: 300; missing: 2.5");
        let with_unit = bar_chart("Status", &bars(&[("captured", 1200.0)]), "records");
        assert_eq!(desc(&with_unit), "captured: 1\u{202F}200 records");
        assert!(texts(&with_unit).contains(&"1\u{202F}200 records".to_string()));
    }

    #[test]
    fn bar_widths_are_proportional_and_the_largest_is_full_width() {
        let values = [("a", 50.0), ("b", 200.0), ("c", 100.0), ("d", 0.0)];
        let svg = bar_chart("t", &bars(&values), "");
        let widths: Vec<f64> = rects(&svg).iter().map(|r| attr(r, "width")).collect();
        let texts: Vec<String> = values.iter().map(|&(_, v)| format_value(v)).collect();
        let full = BarLayout::new(&texts).bar_area;
        assert_eq!(widths.len(), 4);
        assert!((widths[1] - full).abs() < 0.05, "{widths:?} vs {full}");
        for (w, (_, v)) in widths.iter().zip(values) {
            assert!((w - v / 200.0 * full).abs() < 0.1, "{w} for {v}");
        }
        assert!(rects(&svg).iter().all(|r| r.contains("fill=\"#1f5f8b\"")));
    }

    #[test]
    fn values_stay_inside_the_chart() {
        let svg = bar_chart("t", &bars(&[("a", 123_456_789.5), ("b", 1.0)]), "requests per day");
        let view = &svg[svg.find("viewBox=\"").unwrap() + 9..];
        let chart_width: f64 = view.split(['"', ' ']).nth(2).unwrap().parse().unwrap();
        let texts: Vec<String> = vec![format_value(123_456_789.5) + " requests per day", "1 requests per day".into()];
        let layout = BarLayout::new(&texts);
        assert_eq!(chart_width, layout.width);
        let value_end = BAR_X + layout.bar_area + VALUE_GAP + text_width(&texts[0], LABEL);
        assert!(value_end <= chart_width - PAD + 0.5);
    }

    #[test]
    fn long_labels_are_truncated_to_the_label_column() {
        let long = "Oleksandr Volodymyrovych Kovalenko-Shevchenko";
        let svg = bar_chart("t", &bars(&[(long, 1.0)]), "");
        let label = &texts(&svg)[1];
        assert!(label.ends_with('…') && label.len() < long.len(), "{label}");
        assert!(text_width(label, LABEL) <= LABEL_COLUMN);
        assert!(desc(&svg).contains(long), "the description keeps the full label");
        assert_eq!(fit("short", LABEL_COLUMN, LABEL), "short");
        assert_eq!(fit("李".repeat(40).as_str(), 50.0, LABEL).chars().count(), 3);
    }

    #[test]
    fn values_are_formatted_for_people() {
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(999.0), "999");
        assert_eq!(format_value(1000.0), "1\u{202F}000");
        assert_eq!(format_value(1_234_567.0), "1\u{202F}234\u{202F}567");
        assert_eq!(format_value(1234.56), "1\u{202F}234.6");
        assert_eq!(format_value(0.25), "0.3");
        assert_eq!(format_value(2.96), "3");
        assert_eq!(format_value(-5.0), "0");
        assert_eq!(format_value(f64::NAN), "0");
        assert_eq!(format_value(f64::INFINITY), "0");
    }

    #[test]
    fn negative_and_nan_values_are_drawn_as_zero() {
        let svg = bar_chart("t", &bars(&[("a", -3.0), ("b", f64::NAN), ("c", 4.0)]), "");
        assert_well_formed(&svg);
        assert_eq!(desc(&svg), "a: 0; b: 0; c: 4");
        let widths: Vec<f64> = rects(&svg).iter().map(|r| attr(r, "width")).collect();
        assert_eq!(&widths[..2], &[0.0, 0.0]);
        let column = column_chart("t", &[Point { label: "x".into(), value: f64::NAN }], "", Some(("m", -1.0)));
        assert_well_formed(&column);
        assert!(!column.contains("NaN") && !column.contains("inf"));
    }

    #[test]
    fn column_chart_is_well_formed_and_describes_every_value() {
        let points = days(30);
        let svg = column_chart("Requests per day", &points, "requests", None);
        assert_well_formed(&svg);
        let desc = desc(&svg);
        for p in &points {
            assert!(desc.contains(&format!("{}: {} requests", p.label, format_value(p.value))), "{}", p.label);
        }
        assert_eq!(rects(&svg).len(), 30);
        assert!(!svg.contains(REFERENCE_STROKE));
    }

    #[test]
    fn y_axis_has_zero_middle_and_nice_maximum() {
        let points = vec![Point { label: "a".into(), value: 1180.0 }, Point { label: "b".into(), value: 3.0 }];
        let svg = column_chart("t", &points, "", None);
        let texts = texts(&svg);
        for label in ["0", "750", "1\u{202F}500"] {
            assert!(texts.contains(&label.to_string()), "{label} in {texts:?}");
        }
        assert_eq!(svg.matches(&format!("stroke=\"{GRID_STROKE}\"")).count(), 2);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 8.0);
        assert_eq!(nice_ceiling(10.0), 10.0);
        assert_eq!(nice_ceiling(11.0), 15.0);
        assert_eq!(nice_ceiling(1000.0), 1000.0);
        assert_eq!(nice_ceiling(1001.0), 1500.0);
        assert_eq!(nice_ceiling(f64::MAX), f64::MAX);
    }

    #[test]
    fn x_labels_are_thinned_and_never_overlap() {
        for count in [1, 5, 8, 9, 31, 60, 365] {
            let svg = column_chart("t", &days(count), "", None);
            assert_well_formed(&svg);
            let shown: Vec<(f64, String)> = svg
                .split("<text ")
                .skip(1)
                .filter(|t| t.contains("text-anchor=\"middle\""))
                .map(|t| {
                    (attr(&format!(" {t}"), "x"), t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].to_string())
                })
                .collect();
            assert!(!shown.is_empty() && shown.len() <= MAX_X_LABELS, "{count}: {}", shown.len());
            assert_eq!(shown.last().unwrap().1, days(count).last().unwrap().label, "the latest day is labelled");
            for pair in shown.windows(2) {
                let room = pair[1].0 - pair[0].0;
                let needed = (text_width(&pair[0].1, AXIS_MIDDLE) + text_width(&pair[1].1, AXIS_MIDDLE)) / 2.0;
                assert!(room >= needed, "{count}: labels overlap: {pair:?}");
            }
            for (x, label) in &shown {
                let half = text_width(label, AXIS_MIDDLE) / 2.0;
                assert!(x - half >= 0.0 && x + half <= WIDTH, "{label} leaves the chart");
            }
        }
        let svg = column_chart("t", &days(60), "", None);
        let shown = texts(&svg).iter().filter(|t| t.starts_with("2026-")).count();
        assert!((5..=MAX_X_LABELS).contains(&shown), "60 points: {shown} labels");
    }

    #[test]
    fn reference_line_is_dashed_and_labelled() {
        let svg = column_chart("t", &days(14), "requests", Some(("median", 11.0)));
        assert_well_formed(&svg);
        let line = svg.split("<line ").find(|l| l.contains(REFERENCE_STROKE)).expect("reference line");
        assert!(line.contains("stroke-dasharray"));
        assert!(texts(&svg).contains(&"median: 11 requests".to_string()));
        assert!(desc(&svg).ends_with(". median: 11 requests"));
        // Above the data: the axis grows to include it.
        let high = column_chart("t", &days(3), "", Some(("target", 90.0)));
        assert!(texts(&high).contains(&"100".to_string()));
    }

    #[test]
    fn empty_input_gives_a_small_valid_chart() {
        for svg in [bar_chart("Nothing <yet>", &[], "x"), column_chart("Nothing <yet>", &[], "x", Some(("m", 1.0)))] {
            assert_well_formed(&svg);
            assert!(svg.contains("viewBox=\"0 0 600 64\""));
            assert!(svg.contains("Nothing &lt;yet&gt;</title>"));
            assert_eq!(desc(&svg), NO_DATA);
            assert_eq!(texts(&svg), vec!["Nothing &lt;yet&gt;".to_string(), NO_DATA.to_string()]);
        }
    }

    #[test]
    fn output_is_deterministic() {
        let b = bars(&[("captured", 1200.0), ("released", 300.0)]);
        assert_eq!(bar_chart("Status", &b, "people"), bar_chart("Status", &b.clone(), "people"));
        let p = days(45);
        assert_eq!(
            column_chart("Requests", &p, "", Some(("median", 9.5))),
            column_chart("Requests", &p.clone(), "", Some(("median", 9.5)))
        );
    }

    #[test]
    fn coordinates_are_compact() {
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.349), "12.3");
    }
}
