use super::*;
use crate::spec::starter;

#[test]
fn a_two_step_spec_keeps_its_blank_principals_and_its_plan_says_step_one() {
    let spec =
        crate::spec::starter_for(crate::spec::Connector::Snowflake, "sfk", "us-west-2", None);
    let caller = crate::aws::Identity {
        account: "123456789012".into(),
        arn: "arn:aws:iam::123456789012:user/admin".into(),
    };
    let filled = for_account(&spec, &caller).unwrap();
    assert!(filled.role.trusted_principals.is_empty());
    assert!(filled.vendor_trust_pending());
    let plan = Plan::offline(&spec);
    assert!(
        plan.notes.iter().any(|n| n
            .to_string()
            .starts_with("Snowflake's values not given yet: step 1 of 2")),
        "{:?}",
        plan.notes
    );
    assert!(plan.item(ResourceKind::Notification).is_none());
}

#[test]
fn a_resolved_alias_is_noted_and_an_aws_managed_queue_key_is_an_error() {
    use crate::spec::QueueEncryption;
    let mut spec = starter("acme", "us-west-2", Some("123456789012"));
    spec.queue.encryption = QueueEncryption::Kms;
    let key = "arn:aws:kms:us-west-2:123456789012:key/aws-managed";
    spec.queue.kms_key_arn = Some(key.into());
    let plan = Plan::offline(&spec);
    assert!(
        plan.findings
            .iter()
            .any(|f| f.message.contains("Add this statement"))
    );
    let resolved = super::super::ResolvedKey {
        path: crate::spec::path::QUEUE_KMS_KEY_ARN,
        alias: "arn:aws:kms:us-west-2:123456789012:alias/aws/sqs".into(),
        key_arn: key.into(),
        aws_managed: true,
    };
    let plan = plan.with_kms_keys(&spec, std::slice::from_ref(&resolved));
    assert!(
        plan.notes
            .iter()
            .any(|n| n.to_string().contains("alias/aws/sqs is the key"))
    );
    assert_eq!(plan.findings[0].severity, crate::docs::Severity::Error);
    assert!(plan.findings[0].message.contains("alias/aws/sqs"));
    assert!(
        !plan
            .findings
            .iter()
            .any(|f| f.message.contains("Add this statement"))
    );
}

#[test]
fn offline_plan_creates_everything_and_adopts_what_exists() {
    let mut spec = starter("acme-ingest", "us-west-2", None);
    spec.bucket.create = false;
    let plan = Plan::offline(&spec);
    let actions: Vec<(&str, PlanAction)> = plan
        .items
        .iter()
        .map(|i| (i.resource.as_str(), i.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("policy", PlanAction::Create),
            ("role", PlanAction::Create),
            ("bucket", PlanAction::Adopt),
            ("dead-letter-queue", PlanAction::Create),
            ("queue", PlanAction::Create),
            ("notification", PlanAction::Create),
        ]
    );
    assert!(plan.has_changes());
    assert!(
        plan.notes
            .iter()
            .any(|n| n.to_string().contains("<ACCOUNT_ID>"))
    );
    let json = plan.to_json();
    assert_eq!(json[0]["resource"], "policy");
    assert_eq!(json[0]["action"], "create");
    assert_eq!(json[0]["before"], Value::Null);
    assert_eq!(json[0]["after"]["Version"], "2012-10-17");
    assert_eq!(json[3]["resource"], "dead-letter-queue");
}

#[test]
fn rendering_shows_each_document_as_added_lines() {
    let spec = starter("acme-ingest", "us-west-2", Some("123456789012"));
    let text = Plan::offline(&spec).render(false);
    assert!(
        text.starts_with("+ create policy acme-ingest-policy\n    @@ -0,0 +1,"),
        "{text}"
    );
    assert!(
        text.contains("+      \"Sid\": \"SQSConsumeAccess\","),
        "{text}"
    );
    assert!(
        text.contains("Plan: 6 to create, 0 to update, 0 to adopt, 0 unchanged."),
        "{text}"
    );
    assert!(!text.contains('\x1b'));
    assert!(
        Plan::offline(&spec)
            .render(true)
            .contains("\x1b[1;32m+ create policy")
    );
}
