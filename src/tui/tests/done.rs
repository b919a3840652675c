//! The Done screen: connector values, export, consume.

use super::*;

#[test]
fn snapshot_done() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Done);
            app
        },
        "done_offline",
    );
    both(
        |w, h| {
            let mut app = online(w, h);
            go_to(&mut app, Step::Done);
            app.done.access_key = Some(crate::tui::screens::run::AccessKey {
                user: "acme-ingest-user".into(),
                access_key_id: "AKIAEXAMPLE".into(),
                secret: Some("SECRET/EXAMPLE".into()),
                path: PathBuf::from("./acme-ingest-user_accessKeys.csv"),
            });
            app.done.exported = Some(Ok((
                PathBuf::from("./acme-ingest-bundle"),
                vec![PathBuf::from("spec.json"); 16],
            )));
            app
        },
        "done_online_access_key_exported",
    );
}

#[test]
fn snapshot_done_consume() {
    both(
        |w, h| {
            let mut app = online_applied(w, h);
            go_to(&mut app, Step::Done);
            app
        },
        "done_consume_available",
    );
    both(
        |w, h| {
            let mut app = online_applied(w, h);
            go_to(&mut app, Step::Done);
            key(&mut app, KeyCode::Char('d'));
            app
        },
        "done_consume_prompt",
    );
    both(
        |w, h| {
            let mut app = online_applied(w, h);
            go_to(&mut app, Step::Done);
            key(&mut app, KeyCode::Char('d'));
            key(&mut app, KeyCode::Enter);
            let id = app.done.consume.id;
            update(
                &mut app,
                Action::ConsumePrepared {
                    id,
                    result: Ok(Box::new(consume_run())),
                },
            );
            update(
                &mut app,
                Action::ConsumeEnded {
                    id,
                    end: consume_end(false),
                },
            );
            app
        },
        "done_consume_ended",
    );
}

#[test]
fn d_on_done_asks_for_a_sink_then_prepares_the_consumer() {
    let mut app = online_applied(100, 30);
    go_to(&mut app, Step::Done);
    assert!(text(&app).contains("d consume"), "{}", text(&app));
    app.model.effects.clear();
    key(&mut app, KeyCode::Char('d'));
    let Some(Overlay::Prompt { kind, input, .. }) = &app.overlay else {
        panic!("no prompt: {:?}", app.overlay);
    };
    assert_eq!(*kind, crate::tui::overlay::PromptKind::ConsumeSink);
    assert_eq!(input.lines().join(""), "dir:ingest/acme-ingest");
    key(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    assert!(app.done.consume.preparing);
    let Some(Effect::PrepareConsume {
        id,
        spec,
        identity: who,
        settings,
        ..
    }) = app.model.effects.last()
    else {
        panic!("no prepare effect: {:?}", app.model.effects);
    };
    assert_eq!(*id, app.done.consume.id);
    assert_eq!(settings.sink.to_string(), "dir:ingest/acme-ingest");
    assert_eq!(settings.concurrency, None, "the spec's concurrency");
    assert!(!settings.assume_role);
    assert_eq!(spec.account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(who, &identity());
    assert!(text(&app).contains("preparing the consumer"));
    // Pressed again meanwhile: nothing more starts.
    app.model.effects.clear();
    key(&mut app, KeyCode::Char('d'));
    assert!(app.overlay.is_none() && app.model.effects.is_empty());

    // Ready: the runtime is asked to hand the terminal over.
    let id = app.done.consume.id;
    update(
        &mut app,
        Action::ConsumePrepared {
            id,
            result: Ok(Box::new(consume_run())),
        },
    );
    assert!(!app.done.consume.preparing);
    let Some(Effect::Dashboard { id: shown, run }) = app.model.effects.last() else {
        panic!("no dashboard effect: {:?}", app.model.effects);
    };
    assert_eq!(*shown, id);
    assert_eq!(run.info.queue, "acme-ingest-queue");
    assert_eq!(run.info.sink.as_deref(), Some("null"));

    // Back from the dashboard: the Done screen says what the run did.
    update(
        &mut app,
        Action::ConsumeEnded {
            id,
            end: consume_end(false),
        },
    );
    assert_eq!(app.model.step, Step::Done);
    let status = app.model.status.clone().unwrap();
    assert_eq!(status.kind, StatusKind::Ok);
    assert!(
        status
            .text
            .contains("3 records written, 3 messages deleted"),
        "{status:?}"
    );
    assert!(
        text(&app).contains("last run: 3 records into dir:ingest/acme-ingest"),
        "{}",
        text(&app)
    );
    // The prompt offers the sink used last.
    key(&mut app, KeyCode::Char('d'));
    let Some(Overlay::Prompt { input, .. }) = &app.overlay else {
        panic!("no prompt");
    };
    assert_eq!(input.lines().join(""), "dir:ingest/acme-ingest");
}

#[test]
fn the_consume_prompt_refuses_stdout_and_bad_sinks() {
    let mut app = online_applied(100, 30);
    go_to(&mut app, Step::Done);
    key(&mut app, KeyCode::Char('d'));
    ctrl(&mut app, 'u');
    for _ in 0..40 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "stdout");
    app.model.effects.clear();
    key(&mut app, KeyCode::Enter);
    let Some(Overlay::Prompt { error, .. }) = &app.overlay else {
        panic!("the prompt closed");
    };
    assert!(
        error.as_deref().unwrap().contains("stdout is the screen"),
        "{error:?}"
    );
    assert!(app.model.effects.is_empty());
    for _ in 0..10 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "s3://x");
    key(&mut app, KeyCode::Enter);
    let Some(Overlay::Prompt { error, .. }) = &app.overlay else {
        panic!("the prompt closed");
    };
    assert!(
        error.as_deref().unwrap().contains("is not a sink"),
        "{error:?}"
    );
    for _ in 0..10 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "null");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(
        app.model.effects.last(),
        Some(Effect::PrepareConsume { settings, .. }) if settings.sink == crate::consume::sink::SinkSpec::Null
    ));
    // Esc on the prompt starts nothing.
    let mut app = online_applied(100, 30);
    go_to(&mut app, Step::Done);
    key(&mut app, KeyCode::Char('d'));
    app.model.effects.clear();
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none() && app.model.effects.is_empty());
    assert_eq!(app.model.step, Step::Done);
}

#[test]
fn d_is_disabled_offline_and_before_the_queue_exists() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Done);
    app.model.effects.clear();
    key(&mut app, KeyCode::Char('d'));
    assert!(app.overlay.is_none());
    assert!(app.model.effects.is_empty());
    let status = app.model.status.clone().unwrap();
    assert_eq!(status.kind, StatusKind::Error);
    assert!(
        status
            .text
            .starts_with("cannot consume from here: offline: "),
        "{status:?}"
    );
    let screen = text(&app);
    assert!(!screen.contains("d consume"), "{screen}");
    assert!(screen.contains("is unavailable: offline"), "{screen}");

    // Online, nothing applied: the queue is not there yet.
    let mut app = online(100, 30);
    go_to(&mut app, Step::Done);
    key(&mut app, KeyCode::Char('d'));
    assert!(app.overlay.is_none());
    assert!(
        app.model
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("queue acme-ingest-queue does not exist yet: apply first"),
        "{:?}",
        app.model.status
    );
}

#[test]
fn a_consumer_that_cannot_start_says_why() {
    let mut app = online_applied(100, 30);
    go_to(&mut app, Step::Done);
    key(&mut app, KeyCode::Char('d'));
    key(&mut app, KeyCode::Enter);
    let id = app.done.consume.id;
    app.model.effects.clear();
    // A stale answer is ignored.
    update(
        &mut app,
        Action::ConsumePrepared {
            id: id + 7,
            result: Err("old".into()),
        },
    );
    assert!(app.done.consume.preparing);
    update(
        &mut app,
        Action::ConsumePrepared {
            id,
            result: Err("cannot open the sink dir:/root: Permission denied".into()),
        },
    );
    assert!(!app.done.consume.preparing);
    assert!(app.model.effects.is_empty(), "no dashboard");
    assert_eq!(app.model.status.as_ref().unwrap().kind, StatusKind::Error);
    assert!(
        text(&app).contains("✗ cannot open the sink dir:/root"),
        "{}",
        text(&app)
    );
    // Left with a second Q: said so.
    update(
        &mut app,
        Action::ConsumeEnded {
            id,
            end: consume_end(true),
        },
    );
    assert!(
        app.model
            .status
            .as_ref()
            .unwrap()
            .text
            .starts_with("left before the consumer stopped"),
        "{:?}",
        app.model.status
    );
    assert!(
        text(&app).contains("left before it stopped"),
        "{}",
        text(&app)
    );
}

/// With a connector, Done gives the values under the vendor's own names,
/// and copies them so.
#[test]
fn done_names_the_values_as_the_vendor_s_form_does() {
    let build = |w, h| {
        let mut app = offline(w, h);
        crate::spec::apply_profile(&mut app.model.spec, crate::spec::Connector::Tarsal);
        app.model.spec.role.trusted_principals = vec!["arn:aws:iam::111122223333:root".into()];
        app.model.spec.role.external_id = "tarsal-portal-external-id".into();
        app.form.reset_inputs(&app.model);
        app.model.spec_changed();
        go_to(&mut app, Step::Done);
        app
    };
    let mut app = build(100, 30);
    let shown = text(&app);
    for label in [
        "S3 Bucket Name",
        "S3 Bucket Region",
        "IAM Role ARN",
        "SQS Queue URL",
        "SQS Queue ARN",
    ] {
        assert!(shown.contains(label), "{label}:\n{shown}");
    }
    key(&mut app, KeyCode::Char('a'));
    assert!(
        matches!(app.model.effects.last(), Some(Effect::Copy(v)) if v.contains("S3 Bucket Name=acme-ingest-s3-source\n")),
        "{:?}",
        app.model.effects.last()
    );
    both(build, "done_offline_tarsal");
}

/// An online app on Treasure Data's pull import, applied in this session:
/// apply made the import user's key `AKIATDEXAMPLE`.
fn treasure_data_applied(width: u16, height: u16) -> App {
    applied_as(crate::spec::Connector::TreasureData, "td", width, height)
}

/// An online app on Hevo's destination, applied in this session.
fn hevo_applied(width: u16, height: u16) -> App {
    let mut app = applied_as(crate::spec::Connector::Hevo, "hevo", width, height);
    app.done.access_key = None;
    app.model.spec.role.external_id = "hevo-team-external-id".into();
    app.form.reset_inputs(&app.model);
    app.model.spec_changed();
    app.refresh();
    app
}

/// An online app on `connector`'s profile, stack `name`, applied in this
/// session; apply made a user's key `AKIATDEXAMPLE`.
pub(super) fn applied_as(
    connector: crate::spec::Connector,
    name: &str,
    width: u16,
    height: u16,
) -> App {
    let mut spec = crate::spec::starter_for(connector, name, "us-west-2", None);
    spec.bucket.prefix = "logs/".into();
    let mut app = online_done(spec, width, height);
    app.done.access_key = Some(crate::tui::screens::run::AccessKey {
        user: format!("{name}-import-user"),
        access_key_id: "AKIATDEXAMPLE".into(),
        secret: None,
        path: PathBuf::from(format!("./{name}-import-user_accessKeys.csv")),
    });
    let values =
        crate::docs::vendor_values(&app.model.derived.resolved, None, Some("AKIATDEXAMPLE"));
    app.apply.report = Some(crate::aws::apply::ApplyReport {
        backup_dir: None,
        steps: Vec::new(),
        connector: values,
    });
    app.apply.run =
        crate::tui::screens::run::RunView::started(1, app.model.now, &app.model.spec, Vec::new());
    app.apply.run.running = false;
    app.model.stale = true;
    app.refresh();
    app
}

#[test]
fn snapshot_done_treasure_data() {
    small_and_large(treasure_data_applied, "done_treasure_data");
}

#[test]
fn treasure_datas_done_gives_the_endpoint_the_key_id_and_copies_the_in_block() {
    let mut app = treasure_data_applied(120, 40);
    let shown = text(&app);
    assert!(shown.contains("endpoint"), "{shown}");
    assert!(shown.contains("s3.us-west-2.amazonaws.com"), "{shown}");
    assert!(shown.contains("AKIATDEXAMPLE"), "{shown}");
    assert!(
        shown.contains("The in: block for td connector:guess"),
        "{shown}"
    );
    let copied = copied_by_a(&mut app);
    assert_eq!(
        copied,
        "in:\n  type: s3\n  endpoint: s3.us-west-2.amazonaws.com\n  auth_method: basic\n  access_key_id: AKIATDEXAMPLE\n  secret_access_key: '<secret access key: in td-import-user_accessKeys.csv, the 0600 file apply wrote>'\n  bucket: td-source\n  path_prefix: logs/\n"
    );
    // The export carries the key's id too, never its secret.
    app.model.effects.clear();
    app.done.export(&mut app.model, PathBuf::from("bundle"));
    let Some(Effect::Export { access_key_id, .. }) = app.model.effects.last() else {
        panic!("no export: {:?}", app.model.effects);
    };
    assert_eq!(access_key_id.as_deref(), Some("AKIATDEXAMPLE"));
}

#[test]
fn the_wizards_verify_reads_the_key_file_its_apply_wrote() {
    let app = treasure_data_applied(100, 30);
    let key = app.done.access_key.as_ref();
    assert_eq!(
        crate::tui::screens::verify::key_file(&app.model, key),
        Some(PathBuf::from("./td-import-user_accessKeys.csv"))
    );
    // From an earlier session: where the wizard's apply writes it.
    assert_eq!(
        crate::tui::screens::verify::key_file(&app.model, None),
        Some(PathBuf::from("./td-import-user_accessKeys.csv"))
    );
    // No key in the spec, no file.
    let generic = online(100, 30);
    assert_eq!(
        crate::tui::screens::verify::key_file(&generic.model, None),
        None
    );
}

/// An online app on Snowflake at step 1: its values not given yet.
fn snowflake_step_one(width: u16, height: u16) -> App {
    let mut spec =
        crate::spec::starter_for(crate::spec::Connector::Snowflake, "sfk", "us-west-2", None);
    spec.bucket.prefix = "load/".into();
    spec.consumer.format = crate::spec::RecordFormat::Ndjson;
    online_done(spec, width, height)
}

/// An online app on `spec`, every lookup answered "does not exist", at Done.
fn online_done(spec: Spec, width: u16, height: u16) -> App {
    let mut app = offline_on(spec, width, height);
    connect(&mut app);
    answer_all(&mut app, |_| None);
    go_to(&mut app, Step::Done);
    app
}

#[test]
fn snapshot_done_snowflake_step_one() {
    small_and_large(snowflake_step_one, "done_snowflake_step_one");
}

#[test]
fn snowflakes_done_shows_step_ones_sql_with_the_role_arn_and_a_copies_it() {
    let mut app = snowflake_step_one(120, 40);
    assert!(
        app.model.derived.errors.is_empty(),
        "{:?}",
        app.model.derived.errors
    );
    let shown = text(&app);
    assert!(shown.contains("Snowflake: step 1 of 2"), "{shown}");
    assert!(
        shown
            .contains("STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/sfk-snowflake-role'"),
        "{shown}"
    );
    let copied = copied_by_a(&mut app);
    assert_eq!(
        copied,
        crate::docs::snowflake::step_one_sql(&app.model.derived.resolved)
    );
    assert!(copied.contains("CREATE PIPE <DATABASE>.<SCHEMA>.SFK_PIPE"));
    // The Role and Notification steps say the order.
    for step in [Step::Role, Step::Notification] {
        go_to(&mut app, step);
        let shown = text(&app);
        assert!(
            shown.contains("Snowflake in two steps. Step 1: leave its values"),
            "{step:?}: {shown}"
        );
    }
    go_to(&mut app, Step::Role);
    assert!(
        text(&app).contains("(none yet: step 1, nobody can assume the role"),
        "{}",
        text(&app)
    );
    // With the values given, Done has no step 1 and a copies the values.
    app.model.spec.role.trusted_principals =
        vec!["arn:aws:iam::210987654321:user/abc1-b-self1234".into()];
    app.model.spec.role.external_id = "MYACCOUNT_SFCRole=2_a123456=".into();
    app.model.spec.notification.queue_arn =
        Some("arn:aws:sqs:us-west-2:210987654321:sf-snowpipe-1".into());
    app.model.spec_changed();
    app.refresh();
    go_to(&mut app, Step::Done);
    assert!(!text(&app).contains("step 1 of 2"), "{}", text(&app));
    let copied = copied_by_a(&mut app);
    assert!(copied.starts_with("STORAGE_AWS_ROLE_ARN="), "{copied}");
}

/// What `a` on Done copies.
fn copied_by_a(app: &mut App) -> String {
    app.model.effects.clear();
    key(app, KeyCode::Char('a'));
    match app.model.effects.last() {
        Some(Effect::Copy(copied)) => copied.clone(),
        other => panic!("nothing copied: {other:?}"),
    }
}

#[test]
fn snapshot_done_hevo() {
    small_and_large(hevo_applied, "done_hevo");
}

/// A pull import and a destination have no queue of ours: Done offers no
/// dashboard, binds no `d`, speaks of no queue, and says what comes next.
#[test]
fn done_without_a_queue_of_ours_offers_no_consumer() {
    for (build, next) in [
        (
            treasure_data_applied as fn(u16, u16) -> App,
            "Treasure Data lists and reads the bucket itself",
        ),
        (hevo_applied, "Hevo writes into the bucket"),
    ] {
        let mut app = build(120, 40);
        // Below the step bar (which has no Queue step for these shapes either).
        let shown = pane_text(&app);
        assert!(shown.contains(next), "{shown}");
        for word in ["queue", "consume", "dashboard"] {
            assert!(!shown.to_lowercase().contains(word), "{word}:\n{shown}");
        }
        app.model.effects.clear();
        let status = app.model.status.clone();
        key(&mut app, KeyCode::Char('d'));
        assert!(app.overlay.is_none(), "{:?}", app.overlay);
        assert!(app.model.effects.is_empty(), "{:?}", app.model.effects);
        assert_eq!(app.model.status, status);
        let map = crate::tui::keymap::lookup(&app, &KeyEvent::from(KeyCode::Char('d')));
        assert!(map.is_err(), "d is bound: {map:?}");
    }
}
