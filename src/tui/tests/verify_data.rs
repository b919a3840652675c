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
                        outcome: Outcome::Pass,
                        latency: Duration::from_millis(31),
                    },
                    Check {
                        name: CheckId::QueueUrl,
                        outcome: Outcome::Pass,
                        latency: Duration::from_millis(12),
                    },
                    Check {
                        name: CheckId::Upload,
                        outcome: Outcome::Pass,
                        latency: Duration::from_millis(44),
                    },
                    Check {
                        name: CheckId::Event,
                        outcome: Outcome::Pass,
                        latency: Duration::from_millis(1530),
                    },
                    Check {
                        name: CheckId::RoleAssume,
                        outcome: Outcome::Fail(
                            "AccessDenied: not authorized to perform sts:AssumeRole".into(),
                        ),
                        latency: Duration::from_millis(20),
                    },
                    Check {
                        name: CheckId::SimulateRole,
                        outcome: Outcome::NotAvailable(
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
        |w, h| {
            let mut app = online(w, h);
            go_to(&mut app, Step::Data);
            app.data.running = true;
            let id = app.data.id;
            update(
                &mut app,
                Action::DataFetched {
                    id,
                    result: Ok(Box::new(data_report(None, 2))),
                },
            );
            app
        },
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
        let mut app = online(120, 40);
        go_to(&mut app, Step::Data);
        app.data.running = true;
        let id = app.data.id;
        update(
            &mut app,
            Action::DataFetched {
                id,
                result: Ok(Box::new(data_report(Some(cutoff), predating))),
            },
        );
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
