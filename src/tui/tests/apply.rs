//! The apply step.

use super::*;

#[test]
fn snapshot_apply() {
    both(applying, "apply_running");
    both(
        |w, h| {
            let mut app = applying(w, h);
            let id = app.apply.run.id;
            update(
                &mut app,
                Action::Progress {
                    run: Run::Apply,
                    id,
                    event: Event::BackupWritten {
                        path: PathBuf::from(
                            "/tmp/backups/acme-ingest/20250101T000000Z/bucket-policy.json",
                        ),
                    },
                },
            );
            update(&mut app, Action::Progress {
                run: Run::Apply,
                id,
                event: Event::Failed {
                    step: StepId::Apply(ResourceKind::Role),
                    error: "access denied to iam:AttachRolePolicy on acme-ingest-role: the caller needs permission for iam:AttachRolePolicy".into(),
                    elapsed: Duration::from_secs(3),
                },
            });
            update(&mut app, Action::Applied {
                id,
                result: Err(ApplyError {
                    step: StepId::Apply(ResourceKind::Role),
                    error: "access denied to iam:AttachRolePolicy on acme-ingest-role: the caller needs permission for iam:AttachRolePolicy".into(),
                    completed: vec![StepId::Apply(ResourceKind::Policy)],
                    backup_dir: Some(PathBuf::from("/tmp/backups/acme-ingest/20250101T000000Z")),
                }),
            });
            app
        },
        "apply_failed",
    );
}

#[test]
fn apply_progress_fills_the_rows_and_the_secret_is_shown_once() {
    let mut app = applying(100, 30);
    assert_eq!(app.model.step, Step::Apply);
    let Some(Effect::Apply { reviewed, spec, .. }) = app
        .model
        .effects
        .iter()
        .find(|e| matches!(e, Effect::Apply { .. }))
    else {
        panic!("no apply effect");
    };
    assert!(reviewed.is_some(), "the reviewed plan is applied");
    assert_eq!(spec.account_id.as_deref(), Some(ACCOUNT));
    let rows: Vec<(StepId, RowState)> = app
        .apply
        .run
        .rows
        .iter()
        .map(|r| (r.step, r.state))
        .collect();
    assert_eq!(
        rows[0],
        (StepId::Apply(ResourceKind::Policy), RowState::Done)
    );
    assert_eq!(
        rows[1],
        (StepId::Apply(ResourceKind::Role), RowState::Running)
    );
    assert_eq!(rows[2].1, RowState::Pending);
    assert!(app.apply.run.rows[1].retry.is_some());
    assert!(
        text(&app).contains("retrying in 1.3 s (attempt 2)"),
        "{}",
        text(&app)
    );
    let id = app.apply.run.id;
    update(
        &mut app,
        Action::Progress {
            run: Run::Apply,
            id,
            event: Event::AccessKeyCreated {
                user: "u".into(),
                access_key_id: "AKIA1".into(),
                secret: crate::aws::Secret::new("s3cr3t"),
                path: PathBuf::from("u_accessKeys.csv"),
            },
        },
    );
    applied_well(
        &mut app,
        vec![(
            StepId::Apply(ResourceKind::Policy),
            StepOutcome::Created,
            "created".into(),
        )],
        vec![("queue_url", "https://real-url".into())],
    );
    assert!(app.apply.report.is_some());
    go_to(&mut app, Step::Done);
    assert!(text(&app).contains("s3cr3t"));
    assert_eq!(
        app.connector_values(),
        [("queue_url", "https://real-url".to_owned())]
    );
    key(&mut app, KeyCode::Char('k'));
    assert!(matches!(app.model.effects.last(), Some(Effect::Copy(v)) if v == "s3cr3t"));
    key(&mut app, KeyCode::Esc);
    assert!(
        app.done.access_key.as_ref().unwrap().secret.is_none(),
        "forgotten once left"
    );
    go_to(&mut app, Step::Done);
    assert!(!text(&app).contains("s3cr3t"));
}

#[test]
fn a_retry_reads_the_account_again() {
    let mut app = applying(100, 30);
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
    app.model.effects.clear();
    key(&mut app, KeyCode::Char('r'));
    assert!(matches!(
        app.model.effects.last(),
        Some(Effect::Apply { reviewed: None, .. })
    ));
    assert!(app.apply.run.running);
    assert!(
        app.apply
            .run
            .rows
            .iter()
            .all(|r| r.state == RowState::Pending)
    );
}

#[test]
fn stale_progress_of_an_old_run_is_ignored() {
    let mut app = applying(100, 30);
    let old = app.apply.run.id - 1;
    update(
        &mut app,
        Action::Progress {
            run: Run::Apply,
            id: old,
            event: Event::Started {
                step: StepId::Apply(ResourceKind::Bucket),
                title: "x".into(),
            },
        },
    );
    assert_eq!(app.apply.run.rows[2].state, RowState::Pending);
}

/// An apply that ends well is kept with the session: the welcome list of a
/// later run says the session was applied.
#[test]
fn an_apply_that_ends_well_is_kept_with_the_session() {
    let mut app = applying(100, 30);
    app.model.config.sessions_dir = Some(PathBuf::from("/sessions"));
    app.model.effects.clear();
    applied_well(&mut app, Vec::new(), Vec::new());
    let applied = app.model.applied.expect("applied");
    assert!(
        app.model.effects.iter().any(|e| matches!(e,
            Effect::Save { kind: SaveKind::Autosave, place: Some(place), .. } if place.applied == Some(applied))),
        "{:?}",
        app.model.effects
    );
}

/// The apply under way ends well with `steps`, reporting `connector`.
fn applied_well(
    app: &mut App,
    steps: Vec<(StepId, StepOutcome, String)>,
    connector: Vec<(&'static str, String)>,
) {
    let id = app.apply.run.id;
    update(
        app,
        Action::Applied {
            id,
            result: Ok(Box::new(crate::aws::apply::ApplyReport {
                backup_dir: None,
                steps,
                connector,
            })),
        },
    );
}
