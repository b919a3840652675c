//! The tests speak the API's JSON, as S3 prints a configuration: each
//! goes through the typed configuration and back.

use super::*;
use crate::docs::testing::acme;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn config(value: &Value) -> NotificationConfiguration {
    NotificationConfiguration::from_json(value).unwrap()
}

fn entry(value: &Value) -> Entry {
    serde_json::from_value(value.clone()).unwrap()
}

fn notification_entry(spec: &Spec) -> Value {
    crate::docs::json(&super::notification_entry(spec))
}

fn recognise(existing: &Value, ours: &Value) -> (Value, Option<String>) {
    let (recognised, taken) = super::recognise(&config(existing), &entry(ours));
    (crate::docs::json(&recognised), taken)
}

fn merge(existing: &Value, ours: &Value) -> Result<Value, MergeError> {
    super::merge(&config(existing), &entry(ours)).map(|merged| crate::docs::json(&merged))
}

fn remove(existing: &Value, id: &str) -> Value {
    crate::docs::json(&super::remove(&config(existing), id))
}

fn entry_events(value: &Value) -> Vec<&str> {
    value["Events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn entry_filter(value: &Value) -> NotificationFilter {
    entry(value).key_filter()
}

fn ours() -> Value {
    let mut spec = acme();
    spec.bucket.prefix = "events/".into();
    spec.bucket.suffix = ".json.gz".into();
    notification_entry(&spec)
}

#[test]
fn an_entry_that_is_ours_under_another_id_is_recognised() {
    let mut theirs = ours();
    theirs["Id"] = json!("NDc2ZTJmZjEtYjQ0Mi00ZTk5");
    // S3 reports rule names capitalised.
    theirs["Filter"]["Key"]["FilterRules"][0]["Name"] = json!("Prefix");
    let mut config = foreign();
    config["QueueConfigurations"]
        .as_array_mut()
        .unwrap()
        .push(theirs.clone());
    let (entry, taken) = recognise(&config, &ours());
    assert_eq!(taken.as_deref(), Some("NDc2ZTJmZjEtYjQ0Mi00ZTk5"));
    assert_eq!(entry, theirs);
    // Merged, nothing changes; removed, only that entry goes.
    assert_eq!(merge(&config, &entry).unwrap(), config);
    let removed = remove(&config, "NDc2ZTJmZjEtYjQ0Mi00ZTk5");
    assert_eq!(removed, foreign());
    // Another queue, other events or another filter: not ours.
    for (path, value) in [
        (
            "/QueueArn",
            json!("arn:aws:sqs:us-west-2:123456789012:other"),
        ),
        ("/Events", json!(["s3:ObjectCreated:Put"])),
        ("/Filter/Key/FilterRules/0/Value", json!("elsewhere/")),
    ] {
        let mut other = theirs.clone();
        *other.pointer_mut(path).unwrap() = value;
        let mut config = foreign();
        config["QueueConfigurations"]
            .as_array_mut()
            .unwrap()
            .push(other);
        assert_eq!(recognise(&config, &ours()).1, None, "{path}");
    }
    // Our own Id wins over a look-alike.
    let (_, taken) = recognise(&json!({"QueueConfigurations": [theirs, ours()]}), &ours());
    assert_eq!(taken, None);
}

#[test]
fn entry_shape() {
    assert_eq!(
        ours(),
        json!({
            "Id": "acme-ingest-object-created",
            "QueueArn": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue",
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [
                {"Name": "prefix", "Value": "events/"},
                {"Name": "suffix", "Value": ".json.gz"}
            ]}}
        })
    );
    let plain = notification_entry(&acme());
    assert!(plain.get("Filter").is_none());
}

fn foreign() -> Value {
    json!({
        "TopicConfigurations": [{
            "Id": "audit", "TopicArn": "arn:aws:sns:us-west-2:123456789012:audit",
            "Events": ["s3:ObjectRemoved:*"]
        }],
        "QueueConfigurations": [{
            "Id": "images", "QueueArn": "arn:aws:sqs:us-west-2:123456789012:images",
            "Events": ["s3:ObjectCreated:Put"],
            "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "images/"}]}}
        }],
        "LambdaFunctionConfigurations": [{
            "Id": "thumbs", "LambdaFunctionArn": "arn:aws:lambda:us-west-2:123456789012:function:thumbs",
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".png"}]}}
        }],
        "EventBridgeConfiguration": {}
    })
}

#[test]
fn merge_appends_and_keeps_foreign_entries() {
    let merged = merge(&foreign(), &ours()).unwrap();
    assert_eq!(
        merged["TopicConfigurations"],
        foreign()["TopicConfigurations"]
    );
    assert_eq!(
        merged["LambdaFunctionConfigurations"],
        foreign()["LambdaFunctionConfigurations"]
    );
    assert_eq!(merged["EventBridgeConfiguration"], json!({}));
    assert_eq!(
        merged["QueueConfigurations"],
        json!([foreign()["QueueConfigurations"][0], ours()])
    );
    assert_eq!(merge(&merged, &ours()).unwrap(), merged);
    assert_eq!(remove(&merged, "acme-ingest-object-created"), foreign());
}

#[test]
fn merge_replaces_our_entry_in_place() {
    let mut old = ours();
    old["Events"] = json!(["s3:ObjectCreated:Put"]);
    let mut existing = foreign();
    existing["QueueConfigurations"] = json!([old, foreign()["QueueConfigurations"][0]]);
    let merged = merge(&existing, &ours()).unwrap();
    assert_eq!(merged["QueueConfigurations"][0], ours());
    assert_eq!(
        merged["QueueConfigurations"][1],
        foreign()["QueueConfigurations"][0]
    );
}

#[test]
fn an_entry_reported_with_capitalised_rule_names_is_left_alone() {
    let mut reported = ours();
    reported["Filter"]["Key"]["FilterRules"][0]["Name"] = json!("Prefix");
    let existing = json!({"QueueConfigurations": [reported]});
    assert_eq!(merge(&existing, &ours()).unwrap(), existing);
}

#[test]
fn merge_into_empty_and_null() {
    let expected = json!({"QueueConfigurations": [ours()]});
    assert_eq!(merge(&json!({}), &ours()).unwrap(), expected);
    assert_eq!(merge(&Value::Null, &ours()).unwrap(), expected);
    assert_eq!(remove(&expected, "acme-ingest-object-created"), json!({}));
    assert!(NotificationConfiguration::from_json(&json!([1])).is_err());
}

#[test]
fn overlaps_are_refused_naming_the_other_entry() {
    // An unfiltered ObjectCreated:* entry overlaps everything we could want.
    let existing = json!({"QueueConfigurations": [{
        "Id": "everything", "QueueArn": "arn:aws:sqs:us-west-2:123456789012:other",
        "Events": ["s3:ObjectCreated:Put"]
    }]});
    let err = merge(&existing, &ours()).unwrap_err();
    assert!(
        matches!(&err, MergeError::Overlap(o) if o.id == "everything"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("everything") && text.contains("s3:ObjectCreated:Put"),
        "{text}"
    );
    assert!(
        text.contains("arn:aws:sqs:us-west-2:123456789012:other"),
        "{text}"
    );

    // A different suffix under the same prefix is fine.
    let existing = json!({"LambdaFunctionConfigurations": [{
        "Id": "csv", "LambdaFunctionArn": "arn:aws:lambda:us-west-2:1:function:f",
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "events/"}, {"Name": "suffix", "Value": ".csv"}]}}
    }]});
    assert!(merge(&existing, &ours()).is_ok());

    // A deeper prefix overlaps ours; so does a shorter suffix.
    let existing = json!({"TopicConfigurations": [{
        "Id": "deep", "TopicArn": "arn:aws:sns:us-west-2:1:t",
        "Events": ["s3:ObjectCreated:CompleteMultipartUpload"],
        "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "events/2024/"}, {"Name": "Suffix", "Value": ".gz"}]}}
    }]});
    let err = merge(&existing, &ours()).unwrap_err();
    assert!(matches!(err, MergeError::Overlap(o) if o.kind == "topic"));

    // Other event types never overlap.
    let existing = json!({"QueueConfigurations": [{
        "Id": "deletes", "QueueArn": "arn:aws:sqs:us-west-2:1:q", "Events": ["s3:ObjectRemoved:*"]
    }]});
    assert!(merge(&existing, &ours()).is_ok());
}

#[test]
fn our_id_on_another_kind_is_refused() {
    let existing = json!({"TopicConfigurations": [{
        "Id": "acme-ingest-object-created", "TopicArn": "arn:aws:sns:us-west-2:1:t",
        "Events": ["s3:ObjectRemoved:*"]
    }]});
    assert!(matches!(
        merge(&existing, &ours()),
        Err(MergeError::IdTaken { .. })
    ));
}

// --- property tests -------------------------------------------------

fn event() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "s3:ObjectCreated:*",
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Copy",
        "s3:ObjectRemoved:*",
        "s3:ObjectRemoved:Delete",
        "s3:ObjectRestore:Completed",
        "s3:ObjectTagging:*",
    ])
    .prop_map(str::to_owned)
}

fn filter_rules() -> impl Strategy<Value = Option<Value>> {
    let part = prop::sample::select(vec!["", "a/", "a/b/", "b/", "logs/", ".gz", ".json", "x"]);
    (part.clone(), part, any::<bool>()).prop_map(|(prefix, suffix, upper)| {
        let mut rules = Vec::new();
        let (p, s) = if upper {
            ("Prefix", "Suffix")
        } else {
            ("prefix", "suffix")
        };
        if !prefix.is_empty() {
            rules.push(json!({"Name": p, "Value": prefix}));
        }
        if !suffix.is_empty() {
            rules.push(json!({"Name": s, "Value": suffix}));
        }
        (!rules.is_empty()).then(|| json!({"Key": {"FilterRules": rules}}))
    })
}

fn foreign_entry(target_key: &'static str) -> impl Strategy<Value = Value> {
    (
        "[a-z]{1,6}",
        prop::collection::vec(event(), 1..3),
        filter_rules(),
    )
        .prop_map(move |(id, events, filter)| {
            let mut entry = json!({
                "Id": format!("foreign-{id}"),
                target_key: format!("arn:aws:x:us-west-2:1:{id}"),
                "Events": events,
            });
            if let Some(filter) = filter {
                entry["Filter"] = filter;
            }
            entry
        })
}

/// Configurations as S3 reports them: a list is either absent or non-empty.
fn configuration() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(foreign_entry("QueueArn"), 0..3),
        prop::collection::vec(foreign_entry("TopicArn"), 0..3),
        prop::collection::vec(foreign_entry("LambdaFunctionArn"), 0..3),
        any::<bool>(),
    )
        .prop_map(|(queues, topics, lambdas, eventbridge)| {
            let mut config = Map::new();
            for (key, list) in [
                ("QueueConfigurations", queues),
                ("TopicConfigurations", topics),
                ("LambdaFunctionConfigurations", lambdas),
            ] {
                if !list.is_empty() {
                    config.insert(key.into(), Value::Array(list));
                }
            }
            if eventbridge {
                config.insert("EventBridgeConfiguration".into(), json!({}));
            }
            Value::Object(config)
        })
}

fn our_entry() -> impl Strategy<Value = Value> {
    (prop::collection::vec(event(), 1..3), filter_rules()).prop_map(|(events, filter)| {
        let mut entry = json!({
            "Id": "acme-ingest-object-created",
            "QueueArn": "arn:aws:sqs:us-west-2:123456789012:acme-ingest-queue",
            "Events": events,
        });
        if let Some(filter) = filter {
            entry["Filter"] = filter;
        }
        entry
    })
}

fn all_foreign(config: &Value) -> Vec<Value> {
    [
        "QueueConfigurations",
        "TopicConfigurations",
        "LambdaFunctionConfigurations",
    ]
    .iter()
    .flat_map(|kind| {
        config
            .get(*kind)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    })
    .filter(|e| e["Id"] != "acme-ingest-object-created")
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn foreign_entries_are_never_dropped_or_altered(x in configuration(), ours in our_entry()) {
        if let Ok(merged) = merge(&x, &ours) {
            prop_assert_eq!(all_foreign(&merged), all_foreign(&x));
            prop_assert_eq!(merged.get("EventBridgeConfiguration"), x.get("EventBridgeConfiguration"));
            let removed = remove(&merged, "acme-ingest-object-created");
            prop_assert_eq!(all_foreign(&removed), all_foreign(&x));
        }
    }

    #[test]
    fn merge_is_idempotent(x in configuration(), ours in our_entry()) {
        if let Ok(once) = merge(&x, &ours) {
            prop_assert_eq!(merge(&once, &ours).unwrap(), once);
        }
    }

    #[test]
    fn remove_undoes_merge(x in configuration(), ours in our_entry()) {
        if let Ok(merged) = merge(&x, &ours) {
            prop_assert_eq!(remove(&merged, "acme-ingest-object-created"), x);
        }
    }

    #[test]
    fn a_refusal_names_an_entry_that_really_overlaps(x in configuration(), ours in our_entry()) {
        match merge(&x, &ours) {
            Err(MergeError::Overlap(overlap)) => {
                // Ids need not be unique in a generated configuration: some
                // entry with the named id really overlaps ours.
                let named: Vec<Value> = all_foreign(&x)
                    .into_iter()
                    .filter(|e| e["Id"] == overlap.id.as_str())
                    .collect();
                prop_assert!(!named.is_empty(), "named entry {} not in the configuration", overlap.id);
                prop_assert!(named.iter().any(|other| {
                    !shared_events(&entry_events(&ours), &entry_events(other)).is_empty()
                        && filters_overlap(&entry_filter(&ours), &entry_filter(other))
                }), "no entry named {} overlaps ours", overlap.id);
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
            Ok(merged) => {
                // Accepted: no foreign entry overlaps ours.
                for e in all_foreign(&merged) {
                    let overlap = !shared_events(&entry_events(&ours), &entry_events(&e)).is_empty()
                        && filters_overlap(&entry_filter(&ours), &entry_filter(&e));
                    prop_assert!(!overlap, "accepted an overlap with {}", e["Id"]);
                }
            }
        }
    }
}
