//! The welcome step: credentials, profiles, regions, sessions.

use super::*;

// ---- snapshots: every screen ----

#[test]
fn snapshot_welcome() {
    both(offline, "welcome_offline");
    both(
        |w, h| {
            let mut app = online(w, h);
            app.model.config.aws.endpoint_url = Some("http://127.0.0.1:5000".into());
            update(
                &mut app,
                Action::SessionsListed(Ok(vec![SessionInfo {
                    path: PathBuf::from("/tmp/sessions/acme-ingest.json"),
                    name: "acme-ingest".into(),
                    modified: Some(std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
                    ..Default::default()
                }])),
            );
            app
        },
        "welcome_online_with_sessions",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            set_text(&mut app, FieldId::StackName, "Acme_Ingest");
            app
        },
        "welcome_invalid",
    );
}

#[test]
fn the_stack_name_renames_what_still_has_its_default_name() {
    let mut app = offline(100, 30);
    app.model.spec.queue.name = "my-own-queue".into();
    app.form.reset_inputs(&app.model);
    set_text(&mut app, FieldId::StackName, "orders");
    assert_eq!(app.model.spec.name, "orders");
    assert_eq!(app.model.spec.bucket.name, "orders-source");
    assert_eq!(app.model.spec.policy.name, "orders-policy");
    assert_eq!(app.model.spec.queue.name, "my-own-queue");
    assert_eq!(app.form.input_text(FieldId::BucketName), "orders-source");
}

#[test]
fn sessions_autosave_after_a_pause_and_resume() {
    let mut config = Config::offline("test");
    config.sessions_dir = Some(PathBuf::from("/sessions"));
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    assert!(matches!(
        app.model.effects.first(),
        Some(Effect::ListSessions(_))
    ));
    app.model.effects.clear();
    go_to(&mut app, Step::Policy);
    set_text(&mut app, FieldId::PolicyName, "p1");
    assert!(app.model.autosave_due.is_some());
    tick_after(&mut app, Duration::from_millis(900));
    let Some(Effect::Save {
        kind: SaveKind::Autosave,
        path,
        spec,
        replaces,
        place,
    }) = app.model.effects.pop()
    else {
        panic!("{:?}", app.model.effects)
    };
    assert_eq!(path, PathBuf::from("/sessions/acme-ingest.json"));
    assert_eq!(spec.policy.name, "p1");
    assert_eq!(replaces, None);
    assert_eq!(
        place.map(|p| p.step),
        Some(Step::Policy),
        "the session remembers the step"
    );
    update(
        &mut app,
        Action::Saved {
            kind: SaveKind::Autosave,
            path: path.clone(),
            spec,
            result: Ok(()),
        },
    );
    assert_eq!(app.model.session_path, Some(path));

    // Renaming the stack moves the session file.
    go_to(&mut app, Step::Welcome);
    set_text(&mut app, FieldId::StackName, "orders");
    tick_after(&mut app, Duration::from_millis(900));
    assert!(app.model.effects.iter().any(|e| matches!(e,
        Effect::Save { path, replaces: Some(old), .. }
            if path == &PathBuf::from("/sessions/orders.json") && old == &PathBuf::from("/sessions/acme-ingest.json"))));

    // Resume: Enter on a listed session loads it.
    app.model.effects.clear();
    update(
        &mut app,
        Action::SessionsListed(Ok(vec![SessionInfo {
            path: PathBuf::from("/sessions/old.json"),
            name: "old".into(),
            modified: None,
            ..Default::default()
        }])),
    );
    focus(&mut app, FieldId::Sessions);
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.model.effects.last(), Some(Effect::LoadSession(p)) if p == &PathBuf::from("/sessions/old.json"))
    );
    let mut old = crate::spec::starter("old", "eu-west-1", None);
    old.bucket.name = "old-data".into();
    update(
        &mut app,
        Action::SessionLoaded {
            path: PathBuf::from("/sessions/old.json"),
            result: Ok((Box::new(old.clone()), Vec::new())),
            place: None,
            saved: None,
        },
    );
    assert_eq!(app.model.spec, old);
    assert_eq!(app.form.input_text(FieldId::BucketName), "old-data");
    assert!(!app.model.dirty());
}

#[test]
fn a_resumed_session_goes_on_at_its_step_with_the_file_it_was_saved_to() {
    let mut app = sized(App::new(setup_with(Config::offline("x"), None)), 120, 35);
    app.model.config.sessions_dir = Some(PathBuf::from("/sessions"));
    let mut old = crate::spec::starter("old", "eu-west-1", None);
    old.bucket.name = "old-data".into();
    let mut on_disk = old.clone();
    on_disk.bucket.prefix = "before/".into();
    update(
        &mut app,
        Action::SessionLoaded {
            path: PathBuf::from("/sessions/old.json"),
            result: Ok((Box::new(old.clone()), Vec::new())),
            place: Some(crate::tui::session::Place {
                step: Step::Bucket,
                save_path: Some(PathBuf::from("/work/wiz.json")),
                applied: None,
            }),
            saved: Some(Box::new(on_disk)),
        },
    );
    assert_eq!(app.model.step, Step::Bucket);
    assert_eq!(
        app.model.spec_file(),
        Some(&PathBuf::from("/work/wiz.json"))
    );
    assert_eq!(app.model.save_path, Some(PathBuf::from("/work/wiz.json")));
    assert!(
        app.model.dirty(),
        "the session differs from what wiz.json holds"
    );
    // Ctrl-S writes that file again, without asking where.
    app.model.effects.clear();
    ctrl(&mut app, 's');
    assert!(
        app.model.effects.iter().any(|e| matches!(e,
            Effect::Save { kind: SaveKind::Spec, path, .. } if path == &PathBuf::from("/work/wiz.json"))),
        "{:?}",
        app.model.effects
    );
    // A session left after Review comes back at Review.
    resume_at(&mut app, old, Step::Done);
    assert_eq!(app.model.step, Step::Review);
}

#[test]
fn offline_steps_are_marked_and_the_credentials_come_back_with_ctrl_r() {
    let mut config = Config::offline("x");
    config.connect = crate::tui::model::Connect::Chain;
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    assert!(matches!(app.model.connection, Connection::Connecting));
    let generation = app.model.connect_gen;
    update(
        &mut app,
        Action::Connected {
            generation,
            result: Err("no usable AWS credentials".into()),
        },
    );
    assert!(app.model.aws_blocker().unwrap().contains("offline"));
    app.model.effects.clear();
    ctrl(&mut app, 'r');
    assert!(matches!(app.model.connection, Connection::Connecting));
    update(&mut app, Action::Tick);
    assert!(
        app.model
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Connect { .. }))
    );
}

#[test]
fn choosing_a_profile_checks_its_credentials() {
    let mut config = Config::offline("x");
    config.connect = crate::tui::model::Connect::Chain;
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    focus(&mut app, FieldId::Profile);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.model.profile.as_deref(), Some("prod"));
    app.model.effects.clear();
    tick_after(&mut app, Duration::from_millis(400));
    let connect = app.model.effects.iter().find_map(|e| match e {
        Effect::Connect {
            how: crate::tui::action::ConnectHow::Load { options, region },
            ..
        } => Some((options.profile.clone(), region.clone())),
        _ => None,
    });
    assert_eq!(connect, Some((Some("prod".into()), "us-west-2".into())));
}

#[test]
fn a_new_region_is_used_for_the_clients_even_when_the_options_named_one() {
    let mut config = Config::offline("x");
    config.connect = crate::tui::model::Connect::Chain;
    config.aws.region = Some("us-west-2".into());
    let mut app = sized(App::new(setup_with(config, Some(spec()))), 100, 30);
    focus(&mut app, FieldId::Region);
    key(&mut app, KeyCode::Right);
    let region = app.model.spec.region.clone();
    assert_ne!(region, "us-west-2");
    app.model.effects.clear();
    tick_after(&mut app, Duration::from_millis(400));
    let connect = app.model.effects.iter().find_map(|e| match e {
        Effect::Connect {
            how: crate::tui::action::ConnectHow::Load { options, region },
            ..
        } => Some((options.region.clone(), region.clone())),
        _ => None,
    });
    assert_eq!(connect, Some((Some(region.clone()), region)));
}

/// Choosing a connector on Welcome puts the vendor's guide in place: its
/// names in every input, its shape, and its missing values named on their
/// fields.
#[test]
fn choosing_a_connector_fills_the_vendors_setup() {
    let mut app = offline(100, 30);
    focus(&mut app, FieldId::Connector);
    let databend = crate::spec::Connector::ALL
        .iter()
        .position(|c| *c == crate::spec::Connector::Databend)
        .unwrap();
    for _ in 0..databend {
        key(&mut app, KeyCode::Right);
    }
    assert_eq!(app.model.spec.connector, crate::spec::Connector::Databend);
    assert_eq!(app.model.spec.role.name, "acme-ingest-s3-sqs-consumer-role");
    assert_eq!(
        app.form.input_text(FieldId::RoleName),
        "acme-ingest-s3-sqs-consumer-role"
    );
    let errors = crate::spec::validate(&app.model.spec).unwrap_err();
    assert!(
        errors
            .for_path("role.trusted_principals")
            .is_some_and(|e| e.message.contains("Databend Cloud's setup role ARN")),
        "{errors}"
    );
    assert!(
        errors
            .for_path("role.external_id")
            .is_some_and(|e| e.message.contains("organization ID")),
        "{errors}"
    );
    snap!("welcome_connector_databend", app);
    // A pull import: no Queue and no Notification step, in the bar or on
    // the way (the bar follows the choice on the next draw).
    key(&mut app, KeyCode::Right);
    assert_eq!(
        app.model.spec.connector,
        crate::spec::Connector::TreasureData
    );
    assert!(!app.model.spec.has_queue());
    assert!(!app.model.spec.has_notification());
    let bar = text(&app).lines().nth(1).unwrap_or_default().to_owned();
    assert!(bar.contains(" Bucket Review "), "{bar}");
    assert!(!bar.contains("Queue") && !bar.contains("Notify"), "{bar}");
    assert!(text(&app).contains("step 1 of 10 · Welcome"));
}

/// On arriving, the stack name waits for a first key: `q` quits (writing no
/// session), `?` helps; typing or Enter edits it. Ctrl-U clears a text
/// field and Ctrl-W deletes its last word, in every text field.
#[test]
fn welcome_waits_so_q_quits_and_ctrl_u_and_ctrl_w_edit() {
    let mut app = offline(100, 30);
    assert_eq!(app.form.focus, Some(FieldId::StackName));
    assert!(!app.form.typing(&app.model));
    key(&mut app, KeyCode::Char('q'));
    assert_eq!(app.model.spec.name, "acme-ingest", "q typed into the name");
    assert!(
        app.model.quit || matches!(app.overlay, Some(Overlay::ConfirmQuit)),
        "q did not quit"
    );
    assert!(
        app.model
            .effects
            .iter()
            .all(|e| !matches!(e, Effect::Save { .. }))
    );

    // Typing starts editing: the key goes into the field.
    let mut app = offline(100, 30);
    key(&mut app, KeyCode::Char('x'));
    assert_eq!(app.model.spec.name, "acme-ingestx");
    assert!(app.form.typing(&app.model));
    key(&mut app, KeyCode::Char('q'));
    assert_eq!(
        app.model.spec.name, "acme-ingestxq",
        "q types while editing"
    );
    assert!(!app.model.quit && app.overlay.is_none());
    ctrl(&mut app, 'w');
    assert_eq!(app.form.input_text(FieldId::StackName), "acme-");
    ctrl(&mut app, 'u');
    assert_eq!(app.form.input_text(FieldId::StackName), "");

    // Every text field: the bucket prefix.
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::Prefix, "logs/app");
    ctrl(&mut app, 'w');
    assert_eq!(app.form.input_text(FieldId::Prefix), "logs/");
    ctrl(&mut app, 'u');
    assert_eq!(app.form.input_text(FieldId::Prefix), "");
    assert_eq!(app.model.spec.bucket.prefix, "");
}

/// Three saved sessions, told apart by connector, step and apply; the
/// second selected.
fn with_saved_sessions(w: u16, h: u16) -> App {
    let mut app = offline(w, h);
    app.model.config.sessions_dir = Some(PathBuf::from("/sessions"));
    let at = |secs| Some(std::time::UNIX_EPOCH + Duration::from_secs(secs));
    let place = |step, applied| {
        Some(crate::tui::session::Place {
            step,
            save_path: None,
            applied,
        })
    };
    update(
        &mut app,
        Action::SessionsListed(Ok(vec![
            SessionInfo {
                path: PathBuf::from("/sessions/acme-ingest.json"),
                name: "acme-ingest".into(),
                modified: at(1_700_000_000),
                connector: Some(crate::spec::Connector::Tarsal),
                place: place(Step::Bucket, None),
            },
            SessionInfo {
                path: PathBuf::from("/sessions/td-import.json"),
                name: "td-import".into(),
                modified: at(1_700_100_000),
                connector: Some(crate::spec::Connector::TreasureData),
                place: place(Step::Done, at(1_700_090_000)),
            },
            SessionInfo {
                path: PathBuf::from("/sessions/old.json"),
                name: "old".into(),
                modified: at(1_600_000_000),
                ..Default::default()
            },
        ])),
    );
    focus(&mut app, FieldId::Sessions);
    key(&mut app, KeyCode::Down);
    app
}

#[test]
fn snapshot_welcome_sessions() {
    small_and_large(with_saved_sessions, "welcome_sessions");
    small_and_large(
        |w, h| {
            let mut app = with_saved_sessions(w, h);
            key(&mut app, KeyCode::Char('x'));
            app
        },
        "welcome_delete_session",
    );
}

#[test]
fn saved_sessions_say_their_connector_step_and_apply() {
    let app = with_saved_sessions(120, 40);
    let shown = text(&app);
    for expected in [
        "Tarsal · at Bucket · not applied",
        "Treasure Data · at Done · applied",
        "td-import",
        "saved",
    ] {
        assert!(shown.contains(expected), "{expected}:\n{shown}");
    }
}

/// `x` on a session asks first; `n` keeps it; `y` deletes its file (the
/// runtime's effect), and the list and the status line say what went.
#[test]
fn deleting_a_saved_session_asks_first_and_removes_only_its_file() {
    let mut app = with_saved_sessions(100, 30);
    let path = PathBuf::from("/sessions/td-import.json");
    app.model.effects.clear();
    key(&mut app, KeyCode::Char('x'));
    assert!(
        matches!(&app.overlay, Some(Overlay::ConfirmDeleteSession { path: p, name }) if *p == path && name == "td-import"),
        "{:?}",
        app.overlay
    );
    assert!(
        text(&app).contains("Delete the saved session td-import? y/n"),
        "{}",
        text(&app)
    );
    key(&mut app, KeyCode::Char('n'));
    assert!(app.overlay.is_none());
    assert!(app.model.effects.is_empty(), "{:?}", app.model.effects);
    key(&mut app, KeyCode::Delete);
    key(&mut app, KeyCode::Char('y'));
    assert!(app.overlay.is_none());
    assert!(
        matches!(app.model.effects.as_slice(), [Effect::DeleteSession(p)] if *p == path),
        "{:?}",
        app.model.effects
    );
    update(
        &mut app,
        Action::SessionDeleted {
            path: path.clone(),
            result: Ok(()),
        },
    );
    assert!(!app.model.sessions.iter().any(|s| s.path == path));
    assert_eq!(app.model.sessions.len(), 2);
    let status = app.model.status.as_ref().map(|s| s.text.clone());
    assert_eq!(
        status.as_deref(),
        Some("deleted the saved session td-import: its file only, nothing in AWS was touched")
    );

    // The session being worked on is not deleted from itself.
    app.model.session_path = Some(PathBuf::from("/sessions/acme-ingest.json"));
    focus(&mut app, FieldId::Sessions);
    key(&mut app, KeyCode::Up);
    app.model.effects.clear();
    key(&mut app, KeyCode::Char('x'));
    assert!(app.overlay.is_none());
    assert!(app.model.effects.is_empty());
}
