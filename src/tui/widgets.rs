//! Text helpers every screen draws with: wrapping, cutting, indented
//! paragraphs, headings, durations, sizes and times. Pure.

use std::time::{Duration, SystemTime};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;

/// Lines of a screen's text.
pub type Lines = Vec<Line<'static>>;

/// Word-wraps `text` to `width` columns (long words are cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut len = 0;
        for word in paragraph.split(' ') {
            let mut word: Vec<char> = word.chars().collect();
            loop {
                let needed = if len == 0 {
                    word.len()
                } else {
                    len + 1 + word.len()
                };
                if needed <= width {
                    if len > 0 {
                        line.push(' ');
                        len += 1;
                    }
                    line.extend(word.iter());
                    len += word.len();
                    break;
                }
                if len > 0 {
                    lines.push(std::mem::take(&mut line));
                    len = 0;
                    continue;
                }
                // A word longer than the line (a path, an ARN, a URL): cut it
                // after its last `/` or `:` that fits in the line's second
                // half (whole names stay together), else after its last `-`,
                // `,`, `&` or `?`, else at the width.
                let window = &word[..width];
                let strong = window.iter().rposition(|c| matches!(c, '/' | ':'));
                let weak = window
                    .iter()
                    .rposition(|c| matches!(c, '/' | ':' | '-' | ',' | '&' | '?'));
                let at = match (strong, weak) {
                    (Some(i), _) if i + 1 >= width / 2 => i + 1,
                    (_, Some(i)) => i + 1,
                    (None, None) => width,
                    (Some(i), None) => i + 1,
                };
                let rest = word.split_off(at);
                lines.push(word.iter().collect());
                word = rest;
            }
        }
        lines.push(line);
    }
    lines
}

/// Cuts `text` to `width` columns, ending with `…` when cut.
pub fn truncate(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

pub fn heading(t: &Theme, text: impl Into<String>) -> Line<'static> {
    Line::styled(text.into(), t.title())
}

/// `text` wrapped to `width` and indented by `indent` (the first line two
/// columns less, so a list reads as bullets without the bullet).
pub fn wrapped(out: &mut Lines, text: &str, width: usize, indent: usize, style: Style) {
    for (i, part) in wrap(text, width.saturating_sub(indent))
        .into_iter()
        .enumerate()
    {
        let pad = if i == 0 {
            indent.saturating_sub(2)
        } else {
            indent
        };
        let lead = if i == 0 && indent >= 2 {
            format!("{}  ", " ".repeat(pad))
        } else {
            " ".repeat(pad)
        };
        out.push(Line::styled(format!("{lead}{part}"), style));
    }
}

pub fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

pub fn millis(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{} ms", d.as_millis())
    } else {
        secs(d)
    }
}

/// A time as UTC, to the second.
pub fn when(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

/// A size in bytes, KiB, MiB or GiB.
pub fn size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A screen without a form: its lines in a bordered pane titled with the
/// step, scrolled by `scroll`, with `footer` pinned at the bottom.
pub fn render_pane(
    frame: &mut Frame,
    t: &Theme,
    title: String,
    (lines, footer): (Lines, Lines),
    scroll: u16,
    area: Rect,
) {
    let block = Block::bordered()
        .border_style(t.dim())
        .title(Span::styled(title, t.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let footer_height = u16::try_from(footer.len())
        .unwrap_or(u16::MAX)
        .min(inner.height / 2);
    let [body, foot] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(footer_height)]).areas(inner);
    let total = lines.len();
    let max = total.saturating_sub(usize::from(body.height));
    let scroll = usize::from(scroll).min(max);
    frame.render_widget(
        Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(0), 0)),
        body,
    );
    if total > usize::from(body.height) && area.width > 20 {
        let text = format!(
            " ↑↓ {}-{} of {total} ",
            scroll + 1,
            (scroll + usize::from(body.height)).min(total)
        );
        let x = area
            .right()
            .saturating_sub(u16::try_from(text.chars().count()).unwrap_or(0) + 1);
        frame
            .buffer_mut()
            .set_string(x, area.bottom() - 1, text, t.dim());
    }
    frame.render_widget(Paragraph::new(footer), foot);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_and_cuts_long_ones() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), ["a", "b"]);
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }

    #[test]
    fn a_long_url_breaks_after_its_last_slash_keeping_the_name_whole() {
        let lines = wrap(
            "https://sqs.us-west-2.amazonaws.com/<ACCOUNT_ID>/acme-ingest-queue",
            62,
        );
        assert_eq!(
            lines,
            [
                "https://sqs.us-west-2.amazonaws.com/<ACCOUNT_ID>/",
                "acme-ingest-queue"
            ]
        );
    }

    #[test]
    fn a_long_path_breaks_after_a_slash_not_inside_a_name() {
        assert_eq!(
            wrap("/root/.config/sluice/sessions/acme.json", 24),
            ["/root/.config/sluice/", "sessions/acme.json"]
        );
        assert_eq!(
            wrap("arn:aws:iam::123456789012:role/x", 16),
            ["arn:aws:iam::", "123456789012:", "role/x"]
        );
    }
}
