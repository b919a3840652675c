//! Snapshot and key-driven tests of the wizard.

use super::app::{App, Config, Setup};
use super::runtime::{draw, screen_text};
use super::theme::Theme;

fn spec() -> crate::spec::Spec {
    let mut spec = crate::spec::starter("acme-ingest", "us-west-2", None);
    spec.role.external_id = "EXTERNAL-ID-FOR-TESTS".to_owned();
    spec
}

fn app(width: u16, height: u16) -> App {
    let mut app = App::new(Setup {
        config: Config::offline("no usable AWS credentials (test)"),
        spec: Some(spec()),
        profiles: Vec::new(),
        theme: Theme { color: true },
        notes: Vec::new(),
    });
    app.size = (width, height);
    app.stale = true;
    app.refresh();
    app
}

#[test]
fn peek() {
    for step in super::app::Step::ALL {
        let mut a = app(100, 30);
        a.step = step;
        a.focus = a.first_focus(step);
        a.stale = true;
        a.refresh();
        println!("{}", screen_text(&draw(&a)));
        let mut a = app(80, 24);
        a.step = step;
        a.focus = a.first_focus(step);
        a.stale = true;
        a.refresh();
        println!("{}", screen_text(&draw(&a)));
    }
}
