//! Smoke test of the emulator harness: moto answers the AWS SDK and the AWS
//! CLI, and `common::shared()` hands each test a clean server.

use crate::common;

use aws_config::BehaviorVersion;
use aws_config::Region;

#[tokio::test]
async fn sdk_get_caller_identity_hits_moto() {
    let moto = common::shared();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(common::REGION))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    let sts = aws_sdk_sts::Client::new(&config);
    let identity = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(identity.account(), Some(common::ACCOUNT_ID));
}

#[test]
fn cli_uses_moto_and_reset_clears_state() {
    let moto = common::shared();
    let identity = common::aws_cli(&moto, &["sts", "get-caller-identity"]);
    assert_eq!(identity["Account"], common::ACCOUNT_ID);

    let created = common::aws_cli(&moto, &["sqs", "create-queue", "--queue-name", "smoke"]);
    let url = created["QueueUrl"].as_str().unwrap();
    assert!(url.ends_with("/smoke"), "{url}");
    let listed = common::aws_cli(&moto, &["sqs", "list-queues"]);
    assert_eq!(listed["QueueUrls"].as_array().map(Vec::len), Some(1));

    // `aws` found on the PATH of Moto::env reaches moto too, SQS included.
    let out = moto
        .command("aws")
        .args(["sqs", "list-queues", "--output", "json"])
        .output()
        .expect("running aws from PATH");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["QueueUrls"][0], url);

    moto.reset();
    // After a reset list-queues prints nothing, or an empty list.
    let listed = common::aws_cli(&moto, &["sqs", "list-queues"]);
    let urls = listed.get("QueueUrls").and_then(|u| u.as_array());
    assert!(
        urls.is_none_or(Vec::is_empty),
        "queues survived reset: {listed}"
    );
}

#[test]
fn venv_tools_are_on_the_child_path() {
    let moto = common::shared();
    let out = moto
        .command("cfn-lint")
        .arg("--version")
        .output()
        .expect("running cfn-lint from PATH");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pinned = common::REQUIREMENTS
        .lines()
        .find_map(|l| l.trim().strip_prefix("cfn-lint=="))
        .expect("cfn-lint is pinned in tests/requirements.txt");
    let version = String::from_utf8_lossy(&out.stdout);
    assert!(version.contains(pinned), "cfn-lint --version: {version}");
}
