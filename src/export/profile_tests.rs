use super::*;
use crate::spec::{Connector, profiles};
use serde_json::Value;

/// `connector`'s starter with the vendor's values given as a user would.
fn profiled(connector: Connector) -> Spec {
    let mut spec = spec::starter_for(connector, "acme", "us-west-2", Some("123456789012"));
    let p = profiles::profile(connector);
    if let profiles::Principals::Vendor { .. } = p.principals {
        let n = p.trust_sids.len().max(1);
        spec.role.trusted_principals = (1..=n)
            .map(|i| format!("arn:aws:iam::111122223333:role/vendor-{i}"))
            .collect();
    }
    if p.external_id != profiles::ExternalId::None {
        spec.role.external_id = "vendor-external-id".into();
    }
    if p.shape == spec::Shape::ForeignQueue {
        spec.notification.queue_arn =
            Some("arn:aws:sqs:us-west-2:444455556666:sf-snowpipe-queue".into());
    }
    spec
}

/// The bundle README says to pick one way, and names only what the shape has:
/// Snowflake's queue is Snowflake's, and no queue ARN of ours is listed.
#[test]
fn the_readme_names_the_vendors_queue_and_says_pick_one() {
    let spec = profiled(Connector::Snowflake);
    let files = bundle(&spec, Format::All);
    let readme = &files
        .iter()
        .find(|f| f.name == "README.md")
        .unwrap()
        .contents;
    assert!(
        readme.contains(
            "to Snowflake's queue `arn:aws:sqs:us-west-2:444455556666:sf-snowpipe-queue`"
        ),
        "{readme}"
    );
    assert!(!readme.contains("- queue: `"), "{readme}");
    assert!(readme.contains("Pick one of these ways"), "{readme}");
    assert!(!readme.contains("verifies with"), "{readme}");
    assert!(readme.contains("## Snowflake in two steps"), "{readme}");
    assert!(readme.contains("it is at step 2"), "{readme}");
}

/// Step 1's bundle: the two steps, the SQL with the real role ARN, no
/// notification, and the trust policy that lets nobody in.
#[test]
fn a_snowflake_bundle_at_step_one_carries_both_steps_and_the_sql() {
    let spec = spec::starter_for(
        Connector::Snowflake,
        "acme",
        "us-west-2",
        Some("123456789012"),
    );
    let files = bundle(&spec, Format::All);
    let file = |name: &str| {
        files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.contents.clone())
    };
    let readme = file("README.md").unwrap();
    for wanted in [
        "# acme: S3 → SQS ingestion",
        "to Snowflake's queue once it is given (step 2 below; until then there is no bucket notification)",
        "Snowflake's values not given yet: this spec is at step 1 of 2 (still to come: role.trusted_principals, role.external_id, notification.queue_arn)",
        "Step 1: apply with Snowflake's values blank",
        "Step 2: give DESC INTEGRATION's",
        "```sql\n-- Snowflake, step 1 of 2",
        "STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/acme-snowflake-role'",
        "SHOW PIPES LIKE 'ACME_PIPE'",
    ] {
        assert!(readme.contains(wanted), "{wanted}\n---\n{readme}");
    }
    assert!(file("bucket-notification.json").is_none());
    let trust: Value = serde_json::from_str(&file("trust-policy.json").unwrap()).unwrap();
    assert_eq!(trust["Statement"][0]["Effect"], "Deny", "{trust}");
    assert_eq!(
        trust["Statement"].as_array().map(Vec::len),
        Some(1),
        "{trust}"
    );
}

/// Every document of every profile, and its connector values, as golden files.
#[test]
fn every_profile_s_documents_are_golden() {
    for connector in Connector::ALL {
        let spec = profiled(*connector);
        assert_eq!(spec::validate(&spec), Ok(()), "{connector}");
        let documents: serde_json::Map<String, Value> = json_documents(&spec)
            .into_iter()
            .map(|(name, doc)| (name.to_owned(), doc))
            .collect();
        insta::assert_json_snapshot!(format!("profile_{connector}"), documents);
    }
}

/// A profile without the vendor's values fails, naming each field.
#[test]
fn a_profile_without_its_vendor_values_names_the_fields() {
    for connector in Connector::ALL {
        let spec = spec::starter_for(*connector, "acme", "us-west-2", None);
        let p = profiles::profile(*connector);
        let result = spec::validate(&spec);
        if p.two_steps {
            // Step 1 goes without them; half of the trust's pair is named.
            assert_eq!(result, Ok(()), "{connector}: step 1");
            let mut half = spec.clone();
            half.role.external_id = "vendor-external-id".into();
            let errors = spec::validate(&half).unwrap_err();
            let paths: Vec<&str> = errors.0.iter().map(|e| e.path.as_str()).collect();
            assert_eq!(paths, ["role.trusted_principals"], "{connector}: {errors}");
            continue;
        }
        let mut wanted = Vec::new();
        if matches!(p.external_id, profiles::ExternalId::Vendor { .. }) {
            wanted.push("role.external_id");
        }
        if matches!(p.principals, profiles::Principals::Vendor { .. }) {
            wanted.push("role.trusted_principals");
        }
        if p.shape == spec::Shape::ForeignQueue {
            wanted.push("notification.queue_arn");
        }
        match result {
            Ok(()) => assert!(wanted.is_empty(), "{connector}: {wanted:?} not asked for"),
            Err(errors) => {
                let paths: Vec<&str> = errors.0.iter().map(|e| e.path.as_str()).collect();
                assert_eq!(paths, wanted, "{connector}: {errors}");
                for e in &errors.0 {
                    assert!(e.message.contains(p.vendor), "{connector}: {e:?}");
                }
            }
        }
    }
}

#[test]
fn connector_values_use_the_vendors_field_names() {
    let keys = |c: Connector| -> Vec<String> {
        docs::vendor_values_json(&profiled(c), None, None)
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(
        keys(Connector::Databend),
        [
            "Queue URL",
            "Queue Region",
            "Role ARN",
            "External ID",
            "Bucket",
            "Object Key Prefix",
            "Object Key Suffix"
        ]
    );
    assert_eq!(keys(Connector::TidbCloudLake), keys(Connector::Databend));
    assert_eq!(
        keys(Connector::Tarsal),
        [
            "S3 Bucket Name",
            "S3 Bucket Region",
            "IAM Role ARN",
            "SQS Queue URL",
            "SQS Queue ARN"
        ]
    );
    let mut tarsal_with_key = profiled(Connector::Tarsal);
    tarsal_with_key.user.enabled = true;
    tarsal_with_key.user.create_access_key = true;
    let values = docs::vendor_values_json(&tarsal_with_key, None, Some("AKIAEXAMPLE"));
    assert_eq!(values["S3 Key ID"], "AKIAEXAMPLE");
    assert_eq!(
        keys(Connector::TreasureData),
        [
            "Endpoint",
            "Authentication Method",
            "Access Key ID",
            "Bucket",
            "Path Prefix",
            "td connector:guess in:"
        ]
    );
    let mut values = docs::vendor_values_json(&profiled(Connector::TreasureData), None, None);
    // The block's secret line names the key file; nothing else says "secret".
    let block = values
        .as_object_mut()
        .and_then(|v| v.remove(docs::IN_BLOCK_KEY))
        .unwrap();
    let secret_lines: Vec<&str> = block
        .as_str()
        .unwrap()
        .lines()
        .filter(|l| l.contains("secret"))
        .collect();
    assert_eq!(
        secret_lines,
        [
            "  secret_access_key: '<secret access key: in acme-import-user_accessKeys.csv, the 0600 file apply wrote>'"
        ]
    );
    let text = values.to_string();
    assert!(!text.contains("secret"), "{text}");
}
