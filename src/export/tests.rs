use super::*;
use crate::spec::starter;

#[test]
fn all_has_every_file() {
    let spec = starter("acme-ingest", "us-west-2", Some("123456789012"));
    let names: Vec<String> = bundle(&spec, Format::All)
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(
        names,
        [
            "spec.json",
            "permissions-policy.json",
            "trust-policy.json",
            "queue-policy.json",
            "queue-attributes.json",
            "dlq-attributes.json",
            "bucket-public-access-block.json",
            "bucket-ownership-controls.json",
            "bucket-encryption.json",
            "bucket-policy.json",
            "bucket-notification.json",
            "connector-values.json",
            "setup.sh",
            "cloudformation.yaml",
            "main.tf",
            "README.md",
        ]
    );
}

#[test]
fn alarms_add_their_documents_and_permissions() {
    let mut spec = starter("acme-ingest", "us-west-2", Some("123456789012"));
    spec.alarms.enabled = true;
    let files = bundle(&spec, Format::Json);
    let file = |name: &str| files.iter().find(|f| f.name == name).map(|f| &f.contents);
    let stalled: serde_json::Value =
        serde_json::from_str(file("alarm-stalled.json").unwrap()).unwrap();
    assert_eq!(stalled, docs::alarms(&spec)[2].document());
    assert!(file("alarm-topic-policy.json").is_some());
    assert!(file("alarm-dlq-not-empty.json").is_some());
    let readme = file("README.md").unwrap();
    assert!(
        readme.contains("- `alarm-stalled.json`: CloudWatch alarm"),
        "{readme}"
    );
    assert!(
        readme.contains(
            "- alarm: `arn:aws:cloudwatch:us-west-2:123456789012:alarm:acme-ingest-stalled`"
        ),
        "{readme}"
    );
    for permission in ALARM_PERMISSIONS {
        assert!(readme.contains(&format!("`{permission}`")), "{permission}");
    }
    spec.alarms.topic_arn = Some("arn:aws:sns:us-west-2:123456789012:ops".into());
    assert!(
        !bundle(&spec, Format::Json)
            .iter()
            .any(|f| f.name == "alarm-topic-policy.json")
    );
}

#[test]
fn formats_select_files() {
    let spec = starter("acme-ingest", "us-west-2", None);
    let names = |f| -> Vec<String> { bundle(&spec, f).into_iter().map(|f| f.name).collect() };
    assert_eq!(names(Format::Cli), ["spec.json", "setup.sh", "README.md"]);
    assert_eq!(
        names(Format::Terraform),
        ["spec.json", "main.tf", "README.md"]
    );
    assert_eq!(
        names(Format::CloudFormation),
        ["spec.json", "cloudformation.yaml", "README.md"]
    );
    assert!(
        "yaml"
            .parse::<Format>()
            .unwrap_err()
            .contains("all, json, cli")
    );
}

#[test]
fn readme_lists_connector_values() {
    let mut spec = starter("acme-ingest", "us-west-2", Some("123456789012"));
    spec.bucket.prefix = "events/".into();
    let files = bundle(&spec, Format::All);
    let readme = &files.last().unwrap().contents;
    assert!(
        readme.contains("| role_arn | `arn:aws:iam::123456789012:role/acme-ingest-role` |"),
        "{readme}"
    );
    assert!(readme.contains(&format!("| external_id | `{}` |", spec.role.external_id)));
    assert!(readme.contains(
        "| queue_url | `https://sqs.us-west-2.amazonaws.com/123456789012/acme-ingest-queue` |"
    ));
    assert!(readme.contains("| prefix | `events/` |"));
    assert!(readme.contains("| suffix | (none) |"));
    assert!(readme.contains("- `setup.sh`: AWS CLI + jq script"));
}

#[test]
fn written_files_have_modes() {
    let dir = tempfile::tempdir().unwrap();
    let spec = starter("acme-ingest", "us-west-2", None);
    let paths = write_bundle(dir.path(), &bundle(&spec, Format::Cli)).unwrap();
    assert_eq!(paths.len(), 3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("setup.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111);
    }
    let read = std::fs::read_to_string(dir.path().join("spec.json")).unwrap();
    assert_eq!(read, spec::to_json_string(&spec));
}
