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
            update(
                &mut app,
                Action::DataFetched {
                    id,
                    result: Ok(Box::new(DataReport {
                        bucket: "acme-ingest-source".into(),
                        prefix: "logs/".into(),
                        suffix: ".json.gz".into(),
                        newest: objects,
                        matching: 2,
                        complete: true,
                        predating: 2,
                        cutoff: None,
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
                    })),
                },
            );
            app
        },
        "data_sample",
    );
}
