//! Where things go on the screen: pure functions of the model's size and
//! step, shared by drawing and by update (to find what a click hit).

use ratatui::layout::{Constraint, Layout, Rect};

use super::model::Model;
use super::step::Step;

/// The smallest terminal the wizard draws in.
pub const MIN_SIZE: (u16, u16) = (60, 16);
/// From this width on, the preview stands beside the form.
pub const WIDE: u16 = 100;

/// The rows of the frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame5 {
    pub header: Rect,
    pub steps: Rect,
    pub body: Rect,
    pub status: Rect,
    pub keys: Rect,
}

pub fn frame_areas(area: Rect) -> Frame5 {
    let [header, steps, body, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    Frame5 {
        header,
        steps,
        body,
        status,
        keys,
    }
}

/// The whole screen for the model's size.
pub fn screen(model: &Model) -> Rect {
    Rect::new(0, 0, model.size.0, model.size.1)
}

/// Whether the preview stands beside the form.
pub fn wide(model: &Model) -> bool {
    model.size.0 >= WIDE
}

/// Where the form (or the main pane) and the preview go.
#[derive(Debug, Clone, Copy)]
pub struct Body {
    pub main: Option<Rect>,
    pub preview: Option<Rect>,
}

pub fn body_areas(model: &Model) -> Body {
    let body = frame_areas(screen(model)).body;
    if !model.step.has_preview() {
        return Body {
            main: Some(body),
            preview: None,
        };
    }
    if wide(model) {
        let form_width = (body.width * 46 / 100).max(44);
        let [main, preview] =
            Layout::horizontal([Constraint::Length(form_width), Constraint::Min(1)]).areas(body);
        Body {
            main: Some(main),
            preview: Some(preview),
        }
    } else if model.preview.shown {
        Body {
            main: None,
            preview: Some(body),
        }
    } else {
        Body {
            main: Some(body),
            preview: None,
        }
    }
}

/// The inside of a bordered pane.
pub fn inner(rect: Rect) -> Rect {
    ratatui::widgets::Block::bordered().inner(rect)
}

/// The tabs of the step bar (the steps shown for the spec, numbered from
/// 1), where each is, its label and the separator drawn after it. Tries
/// numbered names, then names, then abbreviations, then numbers (with the
/// current step named).
pub fn step_tabs(model: &Model) -> Vec<(Step, Rect, String)> {
    let area = frame_areas(screen(model)).steps;
    let steps = model.steps();
    // A tab's label from its number and step, and the gap after it.
    type Label = fn(usize, Step) -> String;
    let styles: [(Label, u16); 4] = [
        (|n, s| format!("{n} {}", s.short()), 3),
        (|_, s| s.short().to_owned(), 1),
        (|_, s| s.abbreviation().to_owned(), 1),
        (|n, _| n.to_string(), 1),
    ];
    let mut chosen = None;
    for (label, gap) in styles {
        let labels: Vec<String> = steps
            .iter()
            .zip(1..)
            .map(|(s, n)| {
                if *s == model.step {
                    format!(" {n} {} ", s.short())
                } else {
                    label(n, *s)
                }
            })
            .collect();
        let width: usize = labels.iter().map(|l| l.chars().count()).sum::<usize>()
            + usize::from(gap) * labels.len().saturating_sub(1)
            + 1;
        chosen = Some((labels, gap));
        if width <= usize::from(area.width) {
            break;
        }
    }
    let Some((labels, gap)) = chosen else {
        return Vec::new();
    };
    let mut x = area.x + 1;
    let mut out = Vec::new();
    for (step, label) in steps.into_iter().zip(labels) {
        let width = u16::try_from(label.chars().count()).unwrap_or(u16::MAX);
        let rect = Rect::new(x, area.y, width.min(area.right().saturating_sub(x)), 1);
        out.push((step, rect, label));
        x = x.saturating_add(width + gap);
    }
    out
}
