//! What every screen shares: windows, colours, quitting, saving, mouse, resizing, timing.

use super::*;

#[test]
fn a_signal_quits_without_asking_and_saves_the_session() {
    let mut config = Config::offline("test");
    config.sessions_dir = Some(PathBuf::from("/tmp/sluice-sessions"));
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    go_to(&mut app, Step::Policy);
    set_text(&mut app, FieldId::PolicyName, "changed");
    assert!(app.model.dirty());
    app.model.effects.clear();
    update(&mut app, Action::Terminate);
    assert!(app.model.quit, "no question asked");
    assert!(matches!(
        app.model.effects.last(),
        Some(Effect::Save {
            kind: SaveKind::Autosave,
            ..
        })
    ));
}

#[test]
fn snapshot_overlays() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Policy);
            key(&mut app, KeyCode::F(1));
            app
        },
        "help",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            app.model.session_path = Some(PathBuf::from("/tmp/sessions/acme-ingest.json"));
            go_to(&mut app, Step::Policy);
            set_text(&mut app, FieldId::PolicyName, "changed");
            ctrl(&mut app, 'c');
            app
        },
        "confirm_quit",
    );
    both(
        |w, h| {
            let mut app = online(w, h);
            go_to(&mut app, Step::Review);
            answer_all(&mut app, |_| None);
            key(&mut app, KeyCode::Enter);
            app
        },
        "confirm_apply",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            focus(&mut app, FieldId::Region);
            key(&mut app, KeyCode::Char(' '));
            type_text(&mut app, "eu-");
            app
        },
        "region_picker",
    );
    snap!("preview_toggled", {
        let mut app = offline(80, 24);
        go_to(&mut app, Step::Policy);
        ctrl(&mut app, 'p');
        app
    });
    snap!("too_small", offline(50, 12));
}

#[test]
fn no_color_carries_meaning_without_colour() {
    let mut app = offline(100, 30);
    app.model.theme = Theme { color: false };
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::BucketName, "Bad_Bucket");
    let style = border_style(&app, FieldId::BucketName);
    assert!(matches!(style.fg, None | Some(Color::Reset)), "{style:?}");
    assert!(style.add_modifier.contains(Modifier::BOLD));
    let terminal = draw(&app);
    let buffer = terminal.backend().buffer();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            assert!(
                matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
                "colour at {x},{y}: {cell:?}"
            );
        }
    }
    assert!(text(&app).contains("✗ `B` is not allowed"));
}

#[test]
fn quitting_asks_only_with_unsaved_changes() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Policy);
    focus(&mut app, FieldId::AllowSendMessage);
    key(&mut app, KeyCode::Char('q'));
    assert!(app.model.quit, "nothing changed: q quits at once");

    let mut app = offline(100, 30);
    go_to(&mut app, Step::Policy);
    focus(&mut app, FieldId::AllowSendMessage);
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char('q'));
    assert!(!app.model.quit);
    assert!(matches!(app.overlay, Some(Overlay::ConfirmQuit)));
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none() && !app.model.quit);
    ctrl(&mut app, 'c');
    key(&mut app, KeyCode::Char('s'));
    assert!(
        matches!(app.overlay, Some(Overlay::Prompt { .. })),
        "asks where to save"
    );
    key(&mut app, KeyCode::Enter);
    let Some(Effect::Save {
        kind: SaveKind::Spec,
        path,
        spec,
        ..
    }) = app.model.effects.pop()
    else {
        panic!("no save: {:?}", app.model.effects)
    };
    assert_eq!(path, PathBuf::from("sluice.json"));
    update(
        &mut app,
        Action::Saved {
            kind: SaveKind::Spec,
            path,
            spec,
            result: Ok(()),
        },
    );
    assert!(app.model.quit, "saved, then quit");
    assert!(!app.model.dirty());
}

#[test]
fn ctrl_s_saves_to_the_config_file() {
    let mut config = Config::offline("test");
    config.config_path = Some(PathBuf::from("/tmp/x/spec.json"));
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    ctrl(&mut app, 's');
    assert!(matches!(
        app.model.effects.last(),
        Some(Effect::Save { kind: SaveKind::Spec, path, .. }) if path == &PathBuf::from("/tmp/x/spec.json")
    ));
}

#[test]
fn a_click_focuses_the_field_and_a_step_tab_goes_back() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Queue);
    let (_, rect) = crate::tui::screens::form::field_rects(&app.model, &app.form)
        .into_iter()
        .find(|(f, _)| *f == FieldId::Retention)
        .unwrap();
    update(
        &mut app,
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: rect.x + 2,
            row: rect.y + 1,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(app.form.focus, Some(FieldId::Retention));
    let (_, tab, _) = crate::tui::layout::step_tabs(&app.model)
        .into_iter()
        .find(|(s, _, _)| *s == Step::Role)
        .unwrap();
    update(
        &mut app,
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: tab.x,
            row: tab.y,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(app.model.step, Step::Role);
}

#[test]
fn page_keys_scroll_the_preview_and_narrow_terminals_toggle_it() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Policy);
    key(&mut app, KeyCode::PageDown);
    assert!(app.model.preview.scroll > 0);
    key(&mut app, KeyCode::PageDown);
    key(&mut app, KeyCode::PageDown);
    let max = app.model.preview.scroll;
    key(&mut app, KeyCode::PageDown);
    assert_eq!(app.model.preview.scroll, max, "clamped at the end");
    key(&mut app, KeyCode::PageUp);
    assert!(app.model.preview.scroll < max);

    let mut app = offline(80, 24);
    go_to(&mut app, Step::Policy);
    assert!(crate::tui::layout::body_areas(&app.model).preview.is_none());
    ctrl(&mut app, 'p');
    assert!(crate::tui::layout::body_areas(&app.model).preview.is_some());
    key(&mut app, KeyCode::Esc);
    assert!(crate::tui::layout::body_areas(&app.model).preview.is_none());
    assert_eq!(app.model.step, Step::Policy);
}

#[test]
fn resize_switches_between_side_by_side_and_toggled_preview() {
    let mut app = offline(120, 40);
    go_to(&mut app, Step::Bucket);
    assert!(crate::tui::layout::body_areas(&app.model).preview.is_some());
    update(&mut app, Action::Resize(80, 24));
    assert!(crate::tui::layout::body_areas(&app.model).preview.is_none());
    assert!(text(&app).contains("Ctrl-P preview: new"));
}

#[test]
fn idle_has_no_wakeups() {
    let mut app = online(100, 30);
    app.model.effects.clear();
    assert_eq!(app.next_wakeup(), None, "nothing animates, nothing is due");
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::BucketName, "b-2");
    assert!(app.next_wakeup().is_some());
}

/// A keystroke's handling (the spec re-derived, the preview diffed again)
/// costs no more than a few full redraws: measured as a ratio against the
/// redraw alone in the same run, so a loaded machine slows both alike. (A
/// release build handles and redraws a keystroke at 100×30 in about 1 ms.)
#[test]
fn a_keystroke_costs_no_more_than_a_few_redraws() {
    let mut app = online(100, 30);
    go_to(&mut app, Step::Review);
    answer_all(&mut app, |_| None);
    go_to(&mut app, Step::Bucket);
    focus(&mut app, FieldId::Prefix);
    let backend = ratatui::backend::TestBackend::new(100, 30);
    let mut terminal = ratatui::Terminal::new(backend).unwrap();
    let n = 50;
    let mut draw = |app: &App| {
        terminal.draw(|f| crate::tui::view::render(f, app)).unwrap();
    };
    // The baseline, the same screen drawn again, taken in turn with the
    // keystrokes so that both see the same load.
    draw(&app);
    let (mut redraw, mut keystroke) = (Duration::ZERO, Duration::ZERO);
    for i in 0..n {
        let started = Instant::now();
        draw(&app);
        redraw += started.elapsed();
        let started = Instant::now();
        key(&mut app, KeyCode::Char(if i % 2 == 0 { 'a' } else { 'b' }));
        draw(&app);
        keystroke += started.elapsed();
    }
    let (redraw, keystroke) = (redraw / n, keystroke / n);
    let ratio = keystroke.as_secs_f64() / redraw.as_secs_f64().max(1e-9);
    eprintln!(
        "at 100×30: a redraw {redraw:?}, a keystroke handled and redrawn {keystroke:?} ({ratio:.1}×, mean of {n})"
    );
    assert!(
        ratio < 6.0,
        "a keystroke took {ratio:.1}× a redraw ({keystroke:?} against {redraw:?})"
    );
}

// ---- the keymap: hints say what the keys do now ----

fn hints(app: &App) -> Vec<String> {
    crate::tui::keymap::hints(app)
        .into_iter()
        .map(|(k, what)| format!("{k} {what}"))
        .collect()
}

fn enters(app: &App) -> Vec<String> {
    hints(app)
        .into_iter()
        .filter(|h| h.starts_with("Enter"))
        .collect()
}

#[test]
fn enter_has_one_hint_which_says_what_it_does() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Role);
    focus(&mut app, FieldId::TrustedPrincipals);
    assert_eq!(enters(&app), ["Enter next"], "empty add row");
    type_text(&mut app, "123456789012");
    assert_eq!(enters(&app), ["Enter add"], "something typed");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.spec.role.trusted_principals, ["123456789012"]);
    assert_eq!(app.model.step, Step::Role, "Enter added, it did not go on");
    assert_eq!(enters(&app), ["Enter next"]);

    let mut app = offline(100, 30);
    update(
        &mut app,
        Action::SessionsListed(Ok(vec![SessionInfo {
            path: PathBuf::from("/tmp/sessions/old.json"),
            name: "old".into(),
            modified: None,
            ..Default::default()
        }])),
    );
    focus(&mut app, FieldId::Sessions);
    assert_eq!(enters(&app), ["Enter resume"]);
    app.model.effects.clear();
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.model.effects.last(), Some(Effect::LoadSession(p)) if p.ends_with("old.json"))
    );
    assert_eq!(app.model.step, Step::Welcome);
}

#[test]
fn keys_refused_while_a_run_is_busy_have_no_hint_and_esc_leaves_a_fetch() {
    // Apply: r only after a failure and once nothing runs.
    let mut app = applying(100, 30);
    assert!(app.apply.run.running);
    assert!(
        !hints(&app).iter().any(|h| h.starts_with("r ")),
        "{:?}",
        hints(&app)
    );
    assert!(!hints(&app).contains(&"Esc back".to_owned()));
    let id = app.apply.run.id;
    update(
        &mut app,
        Action::Applied {
            id,
            result: Err(ApplyError {
                step: StepId::Apply(ResourceKind::Role),
                error: "boom".into(),
                completed: vec![],
                backup_dir: None,
            }),
        },
    );
    assert!(
        hints(&app).contains(&"r retry".to_owned()),
        "{:?}",
        hints(&app)
    );
    assert!(hints(&app).contains(&"Esc back".to_owned()));

    // Data: a fetch can be left with Esc, and the hint says so.
    let mut app = online(100, 30);
    go_to(&mut app, Step::Bucket);
    app.data.return_to = Some(Step::Bucket);
    go_to(&mut app, Step::Data);
    app.data.running = true;
    assert!(
        hints(&app).contains(&"Esc back".to_owned()),
        "{:?}",
        hints(&app)
    );
    assert!(!hints(&app).iter().any(|h| h.starts_with("r ")));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.model.step, Step::Bucket);
}

#[test]
fn offline_review_says_enter_goes_to_done() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Review);
    assert_eq!(enters(&app), ["Enter done"]);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Done);
}

#[test]
fn every_hint_bar_key_works_and_the_help_window_lists_every_place() {
    // Each binding's keys, pressed where its hint shows, send its message:
    // looked up, the first applicable binding of the key is the hinted one.
    let mut app = online(100, 30);
    for step in [Step::Welcome, Step::Bucket, Step::Review, Step::Done] {
        go_to(&mut app, step);
        for map in crate::tui::keymap::active(&app) {
            for binding in map.bindings {
                if binding.hint.is_empty() || !(binding.when)(&app) {
                    continue;
                }
                for press in binding.keys {
                    let mods = if press.ctrl {
                        KeyModifiers::CONTROL
                    } else {
                        KeyModifiers::NONE
                    };
                    let event = KeyEvent::new(press.code, mods);
                    assert_eq!(
                        crate::tui::keymap::lookup(&app, &event),
                        Ok(binding.msg),
                        "{step:?}: {} {}",
                        binding.label,
                        binding.hint
                    );
                }
            }
        }
    }
    let places: Vec<&str> = crate::tui::keymap::help_rows()
        .iter()
        .map(|r| r.place)
        .collect();
    for place in [
        "everywhere",
        "form steps",
        "role",
        "bucket",
        "review",
        "apply",
        "done",
    ] {
        assert!(places.contains(&place), "{place}");
    }
}
