//! The step bar and the way through the steps follow the spec's shape: a
//! pull import and a destination have no Queue and no Notification step, a
//! vendor's queue no Queue step; Enter, Esc, clicks and a resumed session
//! pass over the steps a spec does not have.

use super::*;
use crate::spec::Connector;

/// An offline app on `connector`'s profile, at the Bucket step.
fn at_bucket(connector: Connector, width: u16, height: u16) -> App {
    let spec = crate::spec::starter_for(connector, "acme-ingest", "us-west-2", None);
    let mut app = offline_on(spec, width, height);
    go_to(&mut app, Step::Bucket);
    app
}

/// The step bar's row.
fn bar(app: &App) -> String {
    text(app).lines().nth(1).unwrap_or_default().to_owned()
}

fn shown_steps(app: &App) -> Vec<Step> {
    crate::tui::layout::step_tabs(&app.model)
        .into_iter()
        .map(|(s, _, _)| s)
        .collect()
}

fn click_tab(app: &mut App, step: Step) {
    let Some((_, tab, _)) = crate::tui::layout::step_tabs(&app.model)
        .into_iter()
        .find(|(s, _, _)| *s == step)
    else {
        panic!("no {step:?} tab in {}", bar(app));
    };
    update(
        app,
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: tab.x,
            row: tab.y,
            modifiers: KeyModifiers::NONE,
        }),
    );
}

#[test]
fn snapshot_the_step_bar_of_each_shape() {
    small_and_large(|w, h| at_bucket(Connector::Generic, w, h), "steps_generic");
    small_and_large(
        |w, h| at_bucket(Connector::TreasureData, w, h),
        "steps_treasure_data",
    );
    small_and_large(|w, h| at_bucket(Connector::Hevo, w, h), "steps_hevo");
    small_and_large(
        |w, h| at_bucket(Connector::Snowflake, w, h),
        "steps_snowflake",
    );
}

/// The shown steps are numbered 1..n, in the bar, the header and the pane.
#[test]
fn the_bar_numbers_the_shown_steps_without_gaps() {
    let pull = " 1 Welcome › 2 Policy › 3 Role › 4 User ›  5 Bucket  › 6 Review › 7 Apply › 8 Verify › 9 Data › 10 Done";
    for (connector, count, review, bar_text) in [
        // Twelve numbered names do not fit in 120 columns: names only.
        (
            Connector::Generic,
            12,
            8,
            " Welcome Policy Role User  5 Bucket  Queue Notify Review Apply Verify Data Done",
        ),
        (Connector::TreasureData, 10, 6, pull),
        (Connector::Hevo, 10, 6, pull),
        (
            Connector::Snowflake,
            11,
            7,
            " 1 Welcome › 2 Policy › 3 Role › 4 User ›  5 Bucket  › 6 Notify › 7 Review › 8 Apply › 9 Verify › 10 Data › 11 Done",
        ),
    ] {
        let mut app = at_bucket(connector, 120, 40);
        let shown = bar(&app);
        assert_eq!(shown.trim_end(), bar_text, "{connector}");
        assert_eq!(shown_steps(&app), Step::all_for(&app.model.spec));
        assert_eq!(app.model.steps().len(), count);
        let screen = text(&app);
        assert!(
            screen.contains(&format!("step 5 of {count} · Bucket")),
            "{connector}:\n{screen}"
        );
        assert!(screen.contains("5 · Bucket"), "{connector}:\n{screen}");
        go_to(&mut app, Step::Review);
        let screen = text(&app);
        assert!(
            screen.contains(&format!("step {review} of {count} · Review")),
            "{connector}:\n{screen}"
        );
        assert!(
            screen.contains(&format!("{review} · Review")),
            "{connector}:\n{screen}"
        );
    }
}

/// The steps that `code` goes through until `until`, from the current one.
fn walk(app: &mut App, code: KeyCode, until: Step) -> Vec<Step> {
    let mut walked = vec![app.model.step];
    while app.model.step != until {
        key(app, code);
        assert_ne!(
            walked.last(),
            Some(&app.model.step),
            "{code:?} stayed: {:?}",
            app.model.status
        );
        walked.push(app.model.step);
    }
    walked
}

/// Enter walks only the steps that apply; Esc walks them back.
#[test]
fn enter_and_esc_pass_over_the_steps_that_do_not_apply() {
    for (connector, forward) in [
        (
            Connector::Generic,
            &[Step::Bucket, Step::Queue, Step::Notification, Step::Review][..],
        ),
        (Connector::TreasureData, &[Step::Bucket, Step::Review]),
        (Connector::Hevo, &[Step::Bucket, Step::Review]),
        (
            Connector::Snowflake,
            &[Step::Bucket, Step::Notification, Step::Review],
        ),
    ] {
        let mut app = at_bucket(connector, 100, 30);
        assert_eq!(
            walk(&mut app, KeyCode::Enter, Step::Review),
            forward,
            "{connector}"
        );
        // Back from Review to Welcome.
        let back = walk(&mut app, KeyCode::Esc, Step::Welcome);
        let mut expected: Vec<Step> = Step::all_for(&app.model.spec)
            .into_iter()
            .filter(|s| *s <= Step::Review)
            .collect();
        expected.reverse();
        assert_eq!(back, expected, "{connector}");
    }
}

/// A click reaches only a shown step; a step the spec does not have is not
/// reachable even when it lies before the furthest step.
#[test]
fn a_click_on_the_bar_reaches_only_the_shown_steps() {
    let mut app = at_bucket(Connector::TreasureData, 120, 40);
    go_to(&mut app, Step::Review);
    assert!(!shown_steps(&app).contains(&Step::Queue));
    assert!(!app.model.step_reachable(Step::Queue));
    assert!(!app.model.step_reachable(Step::Notification));
    assert!(app.model.step_reachable(Step::Bucket));
    click_tab(&mut app, Step::Bucket);
    assert_eq!(app.model.step, Step::Bucket);
    click_tab(&mut app, Step::Review);
    assert_eq!(app.model.step, Step::Review);
}

/// The bar follows a choice on the next draw: the connector on Welcome,
/// and the queue's and the notification's own choices (whose steps stay,
/// so that they can be turned on again there).
#[test]
fn the_bar_follows_the_choices_that_change_the_steps() {
    let mut app = at_bucket(Connector::Generic, 120, 40);
    go_to(&mut app, Step::Welcome);
    assert!(bar(&app).contains(" Queue Notify "), "{}", bar(&app));
    focus(&mut app, FieldId::Connector);
    let treasure_data = Connector::ALL
        .iter()
        .position(|c| *c == Connector::TreasureData)
        .unwrap_or_default();
    for _ in 0..treasure_data {
        key(&mut app, KeyCode::Right);
    }
    assert_eq!(app.model.spec.connector, Connector::TreasureData);
    let shown = bar(&app);
    assert!(
        !shown.contains("Queue") && !shown.contains("Notify"),
        "{shown}"
    );
    assert!(shown.contains("6 Review"), "{shown}");

    // No queue: the Queue step stays, the Notification step goes.
    let mut app = at_bucket(Connector::Generic, 120, 40);
    go_to(&mut app, Step::Queue);
    focus(&mut app, FieldId::QueueEnabled);
    key(&mut app, KeyCode::Right);
    assert!(!app.model.spec.has_queue());
    let shown = bar(&app);
    assert!(shown.contains(" 6 Queue "), "{shown}");
    assert!(!shown.contains("Notify"), "{shown}");
    assert!(shown.contains("7 Review"), "{shown}");
    assert!(
        pane_text(&app).contains("step skipped: no queue, no notification"),
        "{}",
        pane_text(&app)
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Review);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.model.step, Step::Queue);
    focus(&mut app, FieldId::QueueEnabled);
    key(&mut app, KeyCode::Left);
    assert!(app.model.spec.has_queue());
    assert!(bar(&app).contains(" Queue  Notify "), "{}", bar(&app));

    // No notification: its step stays, where it is turned on again.
    go_to(&mut app, Step::Notification);
    focus(&mut app, FieldId::NotificationEnabled);
    key(&mut app, KeyCode::Right);
    assert!(!app.model.spec.notification.enabled);
    assert!(bar(&app).contains(" 7 Notify "), "{}", bar(&app));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Notification);
}

/// A session left on a step its spec no longer has resumes at the next
/// step that it has.
#[test]
fn a_resumed_session_on_a_step_the_spec_lacks_goes_on_at_the_next() {
    for (connector, resumed) in [
        (Connector::TreasureData, Step::Review),
        (Connector::Snowflake, Step::Notification),
        (Connector::Generic, Step::Queue),
    ] {
        let mut app = sized(App::new(setup_with(Config::offline("x"), None)), 120, 35);
        let old = crate::spec::starter_for(connector, "old", "eu-west-1", None);
        resume_at(&mut app, old, Step::Queue);
        assert_eq!(app.model.step, resumed, "{connector}");
        let status = app.model.status.as_ref().map(|s| s.text.clone());
        assert!(
            status
                .as_deref()
                .is_some_and(|s| s.ends_with(&format!("at {}", resumed.title()))),
            "{connector}: {status:?}"
        );
    }
}
