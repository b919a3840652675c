//! Snowflake's side of its two-step setup, as SQL to paste into a worksheet.
//!
//! The statements follow Snowflake's own guides:
//! "Option 1: Configuring a Snowflake storage integration to access Amazon S3"
//! (docs.snowflake.com/en/user-guide/data-load-s3-config-storage-integration):
//! `CREATE STORAGE INTEGRATION … STORAGE_AWS_ROLE_ARN … STORAGE_ALLOWED_LOCATIONS`,
//! then `DESC INTEGRATION` for `STORAGE_AWS_IAM_USER_ARN` and
//! `STORAGE_AWS_EXTERNAL_ID`, then `CREATE STAGE … STORAGE_INTEGRATION`; and
//! "Automating Snowpipe for Amazon S3"
//! (docs.snowflake.com/en/user-guide/data-load-snowpipe-auto-s3):
//! `CREATE PIPE … AUTO_INGEST = TRUE AS COPY INTO … FROM @stage`, then
//! `SHOW PIPES` for the pipe's `notification_channel`, the queue the
//! bucket notifies.

use std::fmt::Write as _;

use super::Arns;
use crate::spec::{RecordFormat, Spec};

/// Stands for what only the user knows: where the stage and pipe live.
pub const DATABASE_SCHEMA: &str = "<DATABASE>.<SCHEMA>";
/// Stands for the table the pipe loads.
pub const TABLE: &str = "<TABLE>";

/// The Snowflake objects the SQL creates, named after the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub integration: String,
    pub stage: String,
    pub pipe: String,
}

impl Names {
    pub fn of(spec: &Spec) -> Names {
        let base = identifier(&spec.name);
        Names {
            integration: format!("{base}_S3_INTEGRATION"),
            stage: format!("{base}_STAGE"),
            pipe: format!("{base}_PIPE"),
        }
    }
}

/// `name` as an unquoted Snowflake identifier: letters, digits and
/// underscores, starting with a letter or an underscore, in upper case (as
/// Snowflake stores unquoted identifiers).
pub fn identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// The stage's URL and the integration's one allowed location:
/// `s3://BUCKET/PREFIX`.
pub fn location(spec: &Spec) -> String {
    format!("s3://{}/{}", spec.bucket.name, spec.bucket.prefix)
}

/// A SQL string literal: single quotes, a quote doubled.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The stage's FILE_FORMAT for the records sluice's consumer would read,
/// or a placeholder where the spec does not say.
fn file_format(spec: &Spec) -> &'static str {
    match spec.consumer.format {
        RecordFormat::Ndjson | RecordFormat::Json | RecordFormat::JsonArray => "(TYPE = 'JSON')",
        RecordFormat::Csv => "(TYPE = 'CSV')",
        RecordFormat::Tsv => "(TYPE = 'CSV' FIELD_DELIMITER = '\\t')",
        RecordFormat::Auto => {
            "<FILE FORMAT, e.g. (TYPE = 'JSON') or (TYPE = 'CSV' SKIP_HEADER = 1)>"
        }
    }
}

/// The SQL of step 1, to run in Snowflake once `sluice apply` has made the
/// role: the integration naming the role, DESC INTEGRATION for the values
/// step 2 needs, the stage, the pipe and SHOW PIPES for its queue. The role
/// ARN is real once the account id is known.
pub fn step_one_sql(spec: &Spec) -> String {
    let arns = Arns::of(spec);
    let n = Names::of(spec);
    let location = literal(&location(spec));
    let stage = format!("{DATABASE_SCHEMA}.{}", n.stage);
    let pipe = format!("{DATABASE_SCHEMA}.{}", n.pipe);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "-- Snowflake, step 1 of 2: run this once `sluice apply` has made\n\
         -- the bucket and the role {}.\n\
         -- Replace {DATABASE_SCHEMA}, {TABLE} and any other <…> with yours.\n\
         -- Snowflake's guides: \"Option 1: Configuring a Snowflake storage\n\
         -- integration to access Amazon S3\" and \"Automating Snowpipe for\n\
         -- Amazon S3\" (docs.snowflake.com).",
        spec.role.name
    );
    let _ = writeln!(
        out,
        "\nCREATE STORAGE INTEGRATION {}\n  TYPE = EXTERNAL_STAGE\n  STORAGE_PROVIDER = 'S3'\n  ENABLED = TRUE\n  STORAGE_AWS_ROLE_ARN = {}\n  STORAGE_ALLOWED_LOCATIONS = ({location});",
        n.integration,
        literal(&arns.role),
    );
    let _ = writeln!(
        out,
        "\n-- Save this result (CSV or TSV) as desc-integration.csv: the role\n\
         -- trusts its STORAGE_AWS_IAM_USER_ARN and STORAGE_AWS_EXTERNAL_ID.\n\
         DESC INTEGRATION {};",
        n.integration
    );
    let _ = writeln!(
        out,
        "\nCREATE STAGE {stage}\n  URL = {location}\n  STORAGE_INTEGRATION = {}\n  FILE_FORMAT = {};",
        n.integration,
        file_format(spec)
    );
    let _ = writeln!(
        out,
        "\nCREATE PIPE {pipe}\n  AUTO_INGEST = TRUE\n  AS\n    COPY INTO {DATABASE_SCHEMA}.{TABLE}\n      FROM @{stage};"
    );
    let _ = writeln!(
        out,
        "\n-- Save this result as show-pipes.csv: its notification_channel column is\n\
         -- Snowflake's queue, which the bucket will notify.\n\
         SHOW PIPES LIKE {} IN SCHEMA {DATABASE_SCHEMA};",
        literal(&n.pipe)
    );
    let _ = writeln!(
        out,
        "\n-- Step 2 of 2, back in your shell:\n\
         --   sluice snowflake --desc-integration desc-integration.csv \\\n\
         --     --show-pipes show-pipes.csv\n\
         --   sluice apply\n\
         -- Until then the role's trust policy lets nobody in, and no event\n\
         -- reaches the pipe."
    );
    out
}

/// What to do in each step, in a few lines, for screens and the bundle's
/// README (the SQL itself is [`step_one_sql`]).
pub const STEPS: &[&str] = &[
    "Step 1: apply with Snowflake's values blank. sluice makes the bucket, the permissions policy and the role (its trust policy lets nobody in yet), and no bucket notification. Run the SQL it prints in Snowflake.",
    "Step 2: give DESC INTEGRATION's STORAGE_AWS_IAM_USER_ARN and STORAGE_AWS_EXTERNAL_ID and the pipe's notification_channel (SHOW PIPES), e.g. with `sluice snowflake --desc-integration FILE --show-pipes FILE`, and apply again: the role trusts Snowflake's user with its external ID and the bucket notifies the pipe's queue.",
];

/// Where a two-step spec stands: the vendor, its values still to come, and
/// which half of the setup waits for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOne {
    pub vendor: &'static str,
    /// The spec's keys of the values not given yet.
    pub pending: Vec<&'static str>,
    /// The role's trust waits for the vendor's principal.
    pub trust: bool,
    /// The bucket notification waits for the vendor's queue.
    pub queue: bool,
}

impl std::fmt::Display for StepOne {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let vendor = self.vendor;
        let now = match (self.trust, self.queue) {
            (true, true) => {
                "apply makes the bucket, the permissions policy and the role, whose trust policy lets nobody in yet, and no bucket notification"
            }
            (true, false) => "the role's trust policy lets nobody in yet",
            _ => "there is no bucket notification yet",
        };
        write!(
            f,
            "{vendor}'s values not given yet: step 1 of 2 ({} to come). Now {now}; then run the SQL of `sluice snowflake --sql` in {vendor}, give its values (`sluice snowflake --desc-integration FILE --show-pipes FILE`) and apply again",
            self.pending.join(", ")
        )
    }
}

/// Where a two-step spec stands, for plans: `None` once every vendor value
/// is given (or for a profile of one step).
pub fn step_one(spec: &Spec) -> Option<StepOne> {
    let pending = spec.pending_vendor_values();
    if pending.is_empty() {
        return None;
    }
    Some(StepOne {
        vendor: spec.profile().vendor,
        pending,
        trust: spec.vendor_trust_pending(),
        queue: spec.vendor_queue_pending(),
    })
}

/// [`step_one`] in words, for screens.
pub fn step_note(spec: &Spec) -> Option<String> {
    step_one(spec).map(|step| step.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Connector, starter_for};

    fn snowflake() -> Spec {
        let mut spec = starter_for(
            Connector::Snowflake,
            "sfk-2",
            "us-west-2",
            Some("123456789012"),
        );
        spec.bucket.prefix = "load/".into();
        spec.consumer.format = RecordFormat::Ndjson;
        spec
    }

    #[test]
    fn the_step_note_says_what_is_still_to_come() {
        let mut spec = snowflake();
        let note = step_note(&spec).unwrap();
        assert!(note.starts_with("Snowflake's values not given yet: step 1 of 2 (role.trusted_principals, role.external_id, notification.queue_arn to come)"), "{note}");
        spec.role.trusted_principals = vec!["arn:aws:iam::210987654321:user/sf".into()];
        spec.role.external_id = "x_SFCRole=2_y".into();
        let note = step_note(&spec).unwrap();
        assert!(
            note.contains(
                "(notification.queue_arn to come). Now there is no bucket notification yet"
            ),
            "{note}"
        );
        spec.notification.queue_arn =
            Some("arn:aws:sqs:us-west-2:210987654321:sf-snowpipe-1".into());
        assert_eq!(step_note(&spec), None);
        assert_eq!(step_note(&crate::docs::testing::acme()), None);
    }

    #[test]
    fn identifiers_are_upper_case_letters_digits_and_underscores() {
        assert_eq!(identifier("acme-ingest"), "ACME_INGEST");
        assert_eq!(identifier("9lives"), "_9LIVES");
        let n = Names::of(&snowflake());
        assert_eq!(n.integration, "SFK_2_S3_INTEGRATION");
        assert_eq!(n.stage, "SFK_2_STAGE");
        assert_eq!(n.pipe, "SFK_2_PIPE");
    }

    #[test]
    fn step_one_names_the_role_the_location_and_every_statement() {
        let sql = step_one_sql(&snowflake());
        for wanted in [
            "CREATE STORAGE INTEGRATION SFK_2_S3_INTEGRATION\n  TYPE = EXTERNAL_STAGE\n  STORAGE_PROVIDER = 'S3'\n  ENABLED = TRUE\n  STORAGE_AWS_ROLE_ARN = 'arn:aws:iam::123456789012:role/sfk-2-snowflake-role'\n  STORAGE_ALLOWED_LOCATIONS = ('s3://sfk-2-source/load/');",
            "DESC INTEGRATION SFK_2_S3_INTEGRATION;",
            "CREATE STAGE <DATABASE>.<SCHEMA>.SFK_2_STAGE\n  URL = 's3://sfk-2-source/load/'\n  STORAGE_INTEGRATION = SFK_2_S3_INTEGRATION\n  FILE_FORMAT = (TYPE = 'JSON')",
            "CREATE PIPE <DATABASE>.<SCHEMA>.SFK_2_PIPE\n  AUTO_INGEST = TRUE\n  AS\n    COPY INTO <DATABASE>.<SCHEMA>.<TABLE>\n      FROM @<DATABASE>.<SCHEMA>.SFK_2_STAGE;",
            "SHOW PIPES LIKE 'SFK_2_PIPE' IN SCHEMA <DATABASE>.<SCHEMA>;",
            "notification_channel",
        ] {
            assert!(sql.contains(wanted), "{wanted}\n---\n{sql}");
        }
    }

    #[test]
    fn the_file_format_follows_the_consumer_and_the_account_may_be_unknown() {
        let mut spec = snowflake();
        spec.consumer.format = RecordFormat::Tsv;
        spec.account_id = None;
        let sql = step_one_sql(&spec);
        assert!(sql.contains("FIELD_DELIMITER = '\\t'"), "{sql}");
        assert!(sql.contains("'arn:aws:iam::<ACCOUNT_ID>:role/sfk-2-snowflake-role'"));
        spec.consumer.format = RecordFormat::Auto;
        assert!(step_one_sql(&spec).contains("FILE_FORMAT = <FILE FORMAT, e.g."));
    }
}
