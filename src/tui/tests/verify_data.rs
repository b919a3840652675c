//! The verify and data-preview steps.

use super::*;

#[test]
fn snapshot_verify_and_data() {
    both(
        |w, h| {
            let mut app = online(w, h);
            go_to(&mut app, Step::Verify);
            let id = app.verify.run.id;
            let report = VerifyReport {
                checks: vec![
                    Check {
                        name: CheckId::CallerIdentity,
                        outcome: Verdict::Pass,
                        latency: Duration::from_millis(31),
                    },
                    Check {
                        name: CheckId::QueueUrl,
                        outcome: Verdict::Pass,
                        latency: Duration::from_millis(12),
                    },
                    Check {
                        name: CheckId::Upload,
                        outcome: Verdict::Pass,
                        latency: Duration::from_millis(44),
                    },
                    Check {
                        name: CheckId::Event,
                        outcome: Verdict::Pass,
                        latency: Duration::from_millis(1530),
                    },
                    Check {
                        name: CheckId::RoleAssume,
                        outcome: Verdict::Fail(
                            "AccessDenied: not authorized to perform sts:AssumeRole".into(),
                        ),
                        latency: Duration::from_millis(20),
                    },
                    Check {
                        name: CheckId::SimulateRole,
                        outcome: Verdict::NotAvailable(
                            "IAM policy simulation is not available at this endpoint".into(),
                        ),
                        latency: Duration::from_millis(3),
                    },
                ],
                object_key: Some("sluice-verify/probe".into()),
            };
            update(&mut app, Action::Verified { id, report });
            app
        },
        "verify_done",
    );
    both(
        |w, h| fetched(online(w, h), data_report(None, 2)),
        "data_sample",
    );
}

/// Two objects under `logs/`, the newest sampled; `predating` of them
/// before the notification put in place at `cutoff`.
fn data_report(cutoff: Option<std::time::SystemTime>, predating: usize) -> DataReport {
    let objects = vec![
        ObjectSummary {
            key: "logs/2025/01/02/b.json.gz".into(),
            size: 20_480,
            last_modified: Some(std::time::UNIX_EPOCH + Duration::from_secs(1_735_800_000)),
        },
        ObjectSummary {
            key: "logs/2025/01/01/a.json.gz".into(),
            size: 512,
            last_modified: Some(std::time::UNIX_EPOCH + Duration::from_secs(1_735_700_000)),
        },
    ];
    DataReport {
        bucket: "acme-ingest-source".into(),
        prefix: "logs/".into(),
        suffix: ".json.gz".into(),
        newest: objects,
        matching: 2,
        complete: true,
        predating,
        cutoff,
        sample: Some(Ok(Sample {
            key: "logs/2025/01/02/b.json.gz".into(),
            bytes: 20_480,
            partial: false,
            compression: "gzip".into(),
            format: "ndjson".into(),
            records: vec![
                r#"{"user":"ana","n":1}"#.into(),
                r#"{"user":"bo","n":2}"#.into(),
            ],
            decoded: 2,
            errors: vec!["record 3 (byte 44): invalid JSON: expected value".into()],
        })),
    }
}

#[test]
fn the_backfill_hint_selects_only_what_predates_the_notification() {
    // The notification went in at 1_735_750_000.4 s: between the two objects.
    let cutoff = std::time::UNIX_EPOCH + Duration::from_millis(1_735_750_000_400);
    let shown = |predating: usize| {
        let app = fetched(online(120, 40), data_report(Some(cutoff), predating));
        text(&app).split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let one = shown(1);
    assert!(one.contains("1 object predates the notification"), "{one}");
    // The next whole second: S3's LastModified has whole seconds.
    assert!(
        one.contains("sluice backfill --config sluice.json --modified-before 2025-01-01T16:46:41Z"),
        "{one}"
    );
    let none = shown(0);
    assert!(
        none.contains("No object predates the notification"),
        "{none}"
    );
    assert!(!none.contains("sluice backfill"), "{none}");
}

/// The data step of `connector`'s applied pipeline, two objects found
/// (neither announced by a notification of ours).
fn data_of(connector: crate::spec::Connector, name: &str, width: u16, height: u16) -> App {
    fetched(
        done::applied_as(connector, name, width, height),
        data_report(None, 2),
    )
}

/// `app` on the data step, its fetch answered with `report`.
fn fetched(mut app: App, report: DataReport) -> App {
    go_to(&mut app, Step::Data);
    app.data.running = true;
    let id = app.data.id;
    update(
        &mut app,
        Action::DataFetched {
            id,
            result: Ok(Box::new(report)),
        },
    );
    app
}

/// A pull import and a destination have no queue of ours: the data step
/// suggests no backfill into one; a queue-fed pipeline still does.
#[test]
fn the_data_step_suggests_a_backfill_only_with_a_queue_of_ours() {
    use crate::spec::Connector;
    for (connector, name) in [(Connector::TreasureData, "td"), (Connector::Hevo, "hevo")] {
        small_and_large(
            |w, h| data_of(connector, name, w, h),
            &format!("data_{name}"),
        );
        let shown = pane_text(&data_of(connector, name, 120, 40));
        for word in ["backfill", "queue", "notification"] {
            assert!(!shown.to_lowercase().contains(word), "{word}:\n{shown}");
        }
    }
    small_and_large(
        |w, h| data_of(Connector::Tarsal, "tarsal", w, h),
        "data_tarsal",
    );
    let shown = text(&data_of(Connector::Tarsal, "tarsal", 120, 40));
    assert!(shown.contains("sluice backfill"), "{shown}");
}
