//! The preview pane: each section's title and badge, then its diff with
//! +/− colouring, hard-wrapped to the pane and scrolled with PgUp/PgDn.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{truncate, wide};
use crate::tui::app::App;
use crate::tui::preview::LineKind;

/// Cuts `text` into pieces of `width` characters (at least one piece).
fn chunks(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// Every line of the preview at `width` columns, before scrolling.
pub fn preview_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let t = &app.theme;
    let width = usize::from(width);
    let mut out: Vec<Line<'static>> = Vec::new();
    if app.derived.preview.is_empty() {
        out.push(Line::styled("Nothing to preview on this step.", t.dim()));
    }
    for (i, section) in app.derived.preview.iter().enumerate() {
        if i > 0 {
            out.push(Line::raw(""));
        }
        let mut title = vec![];
        let mut used = 0;
        if let Some((badge, kind)) = &section.badge {
            let text = format!(" {badge} ");
            used += text.chars().count() + 1;
            title.push(Span::styled(text, t.badge(*kind)));
            title.push(Span::raw(" "));
        }
        title.push(Span::styled(
            truncate(&section.title, width.saturating_sub(used)),
            t.title(),
        ));
        out.push(Line::from(title));
        for line in &section.lines {
            let style: Style = match line.kind {
                LineKind::Hunk => t.hunk(),
                LineKind::Insert => t.insert(),
                LineKind::Delete => t.delete(),
                LineKind::Context => t.text(),
                LineKind::Plain => t.dim(),
                LineKind::Note => t.accent(),
                LineKind::Error => t.error(),
            };
            let pieces = match line.kind {
                LineKind::Note | LineKind::Error => super::wrap(&line.text, width),
                _ => chunks(&line.marked(), width),
            };
            for piece in pieces {
                out.push(Line::styled(piece, style));
            }
        }
    }
    out
}

/// How many rows the preview has at `width`.
pub fn preview_height(app: &App, width: u16) -> usize {
    preview_lines(app, width).len()
}

pub fn render(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let title = if wide(app) {
        " Preview ".to_owned()
    } else {
        " Preview (Ctrl-P: back to the form) ".to_owned()
    };
    let block = Block::bordered()
        .border_style(t.dim())
        .title(Span::styled(title, t.title()));
    let inner = block.inner(area);
    let lines = preview_lines(app, inner.width);
    let total = lines.len();
    let max_scroll = total.saturating_sub(usize::from(inner.height));
    let scroll = usize::from(app.preview.scroll).min(max_scroll);
    let block = if total > usize::from(inner.height) {
        block.title_bottom(
            Line::styled(
                format!(
                    " {}-{} of {} · PgUp/PgDn ",
                    scroll + 1,
                    (scroll + usize::from(inner.height)).min(total),
                    total
                ),
                t.dim(),
            )
            .right_aligned(),
        )
    } else {
        block
    };
    frame.render_widget(block, area);
    frame.render_widget(
        Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        inner,
    );
}
