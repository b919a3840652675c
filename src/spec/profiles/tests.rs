use super::*;

/// Each vendor's form as its guide lists it: the labels in the form's
/// order, each with the name the guide's parameter table or
/// configuration file gives it. Typed from the guides; a secret the
/// form asks for (Tarsal's S3 Access Key, Treasure Data's Secret Access
/// Key) is never among sluice's values: it goes only to the 0600 file.
/// A form: each label with the guide's parameter name, if any.
type Form = &'static [(&'static str, Option<&'static str>)];

const GUIDE_FORMS: &[(Connector, Form)] = &[
    // Tarsal's configuration reference table.
    (
        Connector::Tarsal,
        &[
            ("S3 Bucket Name", None),
            ("S3 Bucket Region", None),
            ("IAM Role ARN", None),
            ("S3 Key ID", None),
            ("SQS Queue URL", None),
            ("SQS Queue ARN", None),
        ],
    ),
    // The data source form, and the "Information to Provide" table.
    (Connector::Databend, DATABEND_FORM),
    (Connector::TidbCloudLake, DATABEND_FORM),
    // New Authentication, then Source Table; the keys of the `in:` block.
    (
        Connector::TreasureData,
        &[
            ("Endpoint", Some("endpoint")),
            ("Authentication Method", Some("auth_method")),
            ("Access Key ID", Some("access_key_id")),
            ("Bucket", Some("bucket")),
            ("Path Prefix", Some("path_prefix")),
        ],
    ),
    (
        Connector::Hevo,
        &[
            ("IAM Role ARN", None),
            ("External ID", None),
            ("Bucket Name", None),
            ("Path Prefix", None),
            ("Bucket Region", None),
        ],
    ),
    (
        Connector::Clickhouse,
        &[
            ("IAM role ARN", None),
            ("S3 file path", None),
            ("SQS queue URL", None),
        ],
    ),
    // CREATE STORAGE INTEGRATION's parameters and DESC INTEGRATION's property.
    (
        Connector::Snowflake,
        &[
            ("STORAGE_AWS_ROLE_ARN", None),
            ("STORAGE_ALLOWED_LOCATIONS", None),
            ("STORAGE_AWS_EXTERNAL_ID", None),
        ],
    ),
];
const DATABEND_FORM: Form = &[
    ("Queue URL", Some("queue_url")),
    ("Queue Region", Some("queue_region")),
    ("Role ARN", Some("role_arn")),
    ("External ID", Some("external_id")),
    ("Bucket", Some("bucket")),
    ("Object Key Prefix", Some("prefix")),
    ("Object Key Suffix", Some("suffix")),
];

#[test]
fn every_profile_asks_for_what_its_guides_form_lists_under_its_labels() {
    for connector in Connector::ALL.iter().filter(|c| **c != Connector::Generic) {
        let Some((_, form)) = GUIDE_FORMS.iter().find(|(c, _)| c == connector) else {
            panic!("{connector}: no guide form listed for it");
        };
        let ours: Vec<(&str, Option<&str>)> = profile(*connector)
            .values
            .iter()
            .map(|f| (f.label, f.param))
            .collect();
        assert_eq!(&ours, form, "{connector}");
    }
}

#[test]
fn a_label_shows_the_guides_name_beside_it_where_it_differs() {
    let shown: Vec<String> = profile(Connector::Databend)
        .values
        .iter()
        .map(Field::shown)
        .collect();
    assert_eq!(shown[0], "Queue URL (queue_url)");
    assert_eq!(shown[5], "Object Key Prefix (prefix)");
    let tarsal = profile(Connector::Tarsal).values[0].shown();
    assert_eq!(tarsal, "S3 Bucket Name");
}

#[test]
fn every_connector_has_exactly_one_profile() {
    for connector in Connector::ALL {
        let n = PROFILES
            .iter()
            .filter(|p| p.connector == *connector)
            .count();
        assert_eq!(n, 1, "{connector}");
        assert_eq!(profile(*connector).connector, *connector);
    }
    assert_eq!(PROFILES.len(), Connector::ALL.len());
}

#[test]
fn the_vendors_names_come_out_with_its_own_name_as_the_stack() {
    let tarsal = profile(Connector::Tarsal);
    assert_eq!(
        tarsal.name(tarsal.bucket_name, "tarsal"),
        "tarsal-s3-source"
    );
    assert_eq!(
        tarsal.name(tarsal.queue_name, "tarsal"),
        "tarsal-s3-source-connector-queue"
    );
    let databend = profile(Connector::Databend);
    assert_eq!(
        databend.name(databend.role_name, "platform"),
        "platform-s3-sqs-consumer-role"
    );
    assert_eq!(
        databend.name(databend.policy_name, "platform"),
        "platform-s3-sqs-access"
    );
}
