//! The alarms group of the Queue step: shown while on, recommended for a
//! new pipeline, n/a without a queue, and listed by the review.

use super::*;
use crate::spec::Connector;

/// The alarms' own fields (all but the group's toggle).
const ALARM_FIELDS: [FieldId; 5] = [
    FieldId::AlarmsDlqNotEmpty,
    FieldId::AlarmsMaxMessageAge,
    FieldId::AlarmsStalledAfter,
    FieldId::AlarmsTopicArn,
    FieldId::AlarmsEmail,
];

fn with_alarms() -> Spec {
    let mut spec = spec();
    spec.alarms.enabled = true;
    spec
}

fn focusable(app: &App) -> Vec<FieldId> {
    app.form.focusable(&app.model, app.model.step)
}

/// The Queue step of a queue-fed pipeline whose queue is turned off.
fn no_queue(w: u16, h: u16) -> App {
    let mut spec = with_alarms();
    spec.queue.enabled = false;
    spec.notification.enabled = false;
    let mut app = offline_on(spec, w, h);
    go_to(&mut app, Step::Queue);
    app
}

#[test]
fn snapshot_queue_alarms() {
    small_and_large(
        |w, h| {
            let mut app = offline_on(with_alarms(), w, h);
            go_to(&mut app, Step::Queue);
            // The last field: the form scrolls the whole group into view.
            focus(&mut app, FieldId::AlarmsEmail);
            app
        },
        "queue_alarms",
    );
    small_and_large(
        |w, h| {
            let mut app = no_queue(w, h);
            focus(&mut app, FieldId::QueueEnabled);
            app
        },
        "queue_alarms_no_queue",
    );
}

#[test]
fn the_alarm_fields_show_only_while_the_alarms_are_on() {
    let mut app = offline(120, 40);
    go_to(&mut app, Step::Queue);
    assert!(!app.model.spec.alarms.enabled, "the acme file has none");
    assert!(focusable(&app).contains(&FieldId::AlarmsEnabled));
    for field in ALARM_FIELDS {
        assert!(!focusable(&app).contains(&field), "{field:?} while off");
    }
    focus(&mut app, FieldId::AlarmsEnabled);
    key(&mut app, KeyCode::Char(' '));
    assert!(app.model.spec.alarms.enabled);
    for field in ALARM_FIELDS {
        assert!(focusable(&app).contains(&field), "{field:?} while on");
    }
    assert!(text(&app).contains("[x] Alarms (CloudWatch, recommended)"));
    // The numbers carry into the spec as typed.
    set_text(&mut app, FieldId::AlarmsStalledAfter, "1800");
    assert_eq!(app.model.spec.alarms.stalled_after_secs, 1800);
    set_text(&mut app, FieldId::AlarmsMaxMessageAge, "0");
    assert_eq!(app.model.spec.alarms.max_message_age_secs, 0);
    // Without a dead-letter queue its alarm is not made, and says why.
    focus(&mut app, FieldId::DlqEnabled);
    key(&mut app, KeyCode::Char(' '));
    assert!(!focusable(&app).contains(&FieldId::AlarmsDlqNotEmpty));
    let screen = text(&app);
    assert!(
        screen.contains("[-] Alarm: dead-letter queue not empty: n/a")
            && screen.contains("the queue has no dead-letter queue"),
        "{screen}"
    );
    focus(&mut app, FieldId::AlarmsEnabled);
    key(&mut app, KeyCode::Char(' '));
    assert!(!app.model.spec.alarms.enabled);
    for field in ALARM_FIELDS {
        assert!(!focusable(&app).contains(&field), "{field:?} turned off");
    }
}

#[test]
fn a_bad_email_puts_its_error_on_the_email_field() {
    let mut app = offline_on(with_alarms(), 120, 40);
    go_to(&mut app, Step::Queue);
    set_text(&mut app, FieldId::AlarmsEmail, "ops at example");
    assert_eq!(
        app.model.spec.alarms.email.as_deref(),
        Some("ops at example")
    );
    let error = app.form.field_error(&app.model, FieldId::AlarmsEmail);
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("is not an e-mail address")),
        "{error:?}"
    );
    assert_eq!(
        app.form.step_errors(&app.model, Step::Queue),
        vec![FieldId::AlarmsEmail]
    );
    assert_eq!(
        border_style(&app, FieldId::AlarmsEmail).fg,
        Some(Color::Red)
    );
    // Next is refused with the field's message.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Queue);
    let status = app.model.status.clone().map(|s| s.text).unwrap_or_default();
    assert!(
        status.starts_with("Alarms notify: e-mail (optional): "),
        "{status}"
    );
    set_text(&mut app, FieldId::AlarmsEmail, "ops@example.com");
    assert_eq!(app.form.field_error(&app.model, FieldId::AlarmsEmail), None);
    // Blank is none.
    set_text(&mut app, FieldId::AlarmsEmail, "");
    assert_eq!(app.model.spec.alarms.email, None);
    // An e-mail with someone else's topic: the error is the e-mail's.
    set_text(&mut app, FieldId::AlarmsEmail, "ops@example.com");
    set_text(
        &mut app,
        FieldId::AlarmsTopicArn,
        "arn:aws:sns:us-west-2:123456789012:ops",
    );
    assert_eq!(
        app.form.step_errors(&app.model, Step::Queue),
        vec![FieldId::AlarmsEmail]
    );
}

#[test]
fn a_new_pipeline_has_alarms_on_whatever_connector_is_chosen() {
    let mut app = sized(App::new(setup_with(Config::offline("x"), None)), 120, 40);
    assert!(
        app.model.spec.alarms.enabled,
        "recommended for a new pipeline"
    );
    assert!(app.model.spec.has_alarms());
    // Nothing unsaved: the recommendation is where a new pipeline starts.
    assert!(!app.model.dirty());
    focus(&mut app, FieldId::Connector);
    for _ in 0..Connector::ALL.len() * 2 {
        key(&mut app, KeyCode::Right);
        let spec = &app.model.spec;
        assert_eq!(
            spec.alarms.enabled,
            spec.has_queue(),
            "{}: alarms follow the shape",
            spec.connector
        );
    }
    // Back to a queue of its own after a shape without one: on again.
    while app.model.spec.connector != Connector::TreasureData {
        key(&mut app, KeyCode::Right);
    }
    assert!(!app.model.spec.alarms.enabled);
    while app.model.spec.connector != Connector::Tarsal {
        key(&mut app, KeyCode::Right);
    }
    assert!(app.model.spec.has_alarms());
}

#[test]
fn a_loaded_spec_without_the_section_keeps_the_alarms_off() {
    let mut file: serde_json::Value =
        serde_json::from_str(&crate::spec::to_json_string(&spec())).unwrap();
    file.as_object_mut().unwrap().remove("alarms");
    let loaded = crate::spec::from_json_str(&file.to_string(), "acme.json")
        .unwrap()
        .spec;
    assert!(!loaded.alarms.enabled);
    // Opened with --config.
    let mut app = offline_on(loaded.clone(), 120, 40);
    assert!(!app.model.spec.alarms.enabled);
    go_to(&mut app, Step::Queue);
    assert!(text(&app).contains("[ ] Alarms (CloudWatch, recommended)"));
    // Resumed from a session.
    let mut app = sized(App::new(setup_with(Config::offline("x"), None)), 120, 40);
    assert!(app.model.spec.alarms.enabled);
    resume_at(&mut app, loaded, Step::Queue);
    assert!(!app.model.spec.alarms.enabled);
    // A file that turns them on keeps them on, and changing to a
    // connector with a queue keeps the choice.
    let mut app = offline_on(with_alarms(), 120, 40);
    focus(&mut app, FieldId::Connector);
    while app.model.spec.connector != Connector::Tarsal {
        key(&mut app, KeyCode::Right);
    }
    assert!(app.model.spec.alarms.enabled);
}

#[test]
fn without_a_queue_the_alarms_say_why_and_offer_nothing() {
    let app = no_queue(120, 40);
    let screen = text(&app);
    assert!(
        screen.contains("[-] Alarms (CloudWatch, recommended): n/a")
            && screen.contains("no alarms: there is no queue to watch"),
        "{screen}"
    );
    assert_eq!(focusable(&app), vec![FieldId::QueueEnabled]);
    // Shapes without a queue of their own have no Queue step at all.
    for connector in [
        Connector::TreasureData,
        Connector::Hevo,
        Connector::Snowflake,
    ] {
        let spec = crate::spec::starter_for(connector, "acme", "us-west-2", None);
        assert!(!Step::Queue.applies(&spec), "{connector}");
    }
}

#[test]
fn the_review_lists_the_alarms_and_their_topic() {
    let mut app = offline_on(with_alarms(), 120, 40);
    go_to(&mut app, Step::Review);
    let screen = text(&app);
    for line in [
        "+ alarm-topic       acme-ingest-alarms",
        "+ alarm             acme-ingest-dlq-not-empty",
        "+ alarm             acme-ingest-oldest-messag",
        "+ alarm             acme-ingest-stalled",
    ] {
        assert!(screen.contains(line), "{line}: {screen}");
    }
    // The live preview shows each alarm once.
    let sections = crate::tui::preview::sections(&app.model);
    let titles: Vec<&str> = sections.iter().map(|s| s.title.as_str()).collect();
    for kind in crate::docs::AlarmKind::ALL {
        let name = kind.name("acme-ingest");
        assert_eq!(
            titles.iter().filter(|t| t.ends_with(&name)).count(),
            1,
            "{titles:?}"
        );
    }
    // On the Queue step too, beside the queue's.
    go_to(&mut app, Step::Queue);
    let titles: Vec<String> = crate::tui::preview::sections(&app.model)
        .into_iter()
        .map(|s| s.title)
        .collect();
    assert_eq!(titles.len(), 6, "{titles:?}");
}
