//! The saved-config bundle: the spec, every JSON document, an AWS CLI script,
//! CloudFormation and Terraform, and a README with the connector values.
//! Pure: [`bundle`] builds the files, [`write_bundle`] puts them on disk.
//! Nothing here ever holds a secret: access keys are created at apply time only.
//! The tests are in `tests.rs` and `profile_tests.rs` (every profile's
//! documents as golden files).

mod cli_script;
mod cloudformation;
mod terraform;
mod yaml;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub use cli_script::{setup_script, shell_quote};
pub use cloudformation::cloudformation;
pub use terraform::terraform;

use crate::docs::{
    self, ACCOUNT_PLACEHOLDER, Arns, ResourceKind, bucket_encryption, bucket_policy,
    dlq_attributes, lint, ownership_controls, permissions_policy, public_access_block,
    queue_attributes, queue_policy, to_pretty, trust_policy, versioning,
};
use crate::spec::{self, Spec};

/// Which part of the bundle to write. `spec.json` and `README.md` are always included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    All,
    Json,
    Cli,
    CloudFormation,
    Terraform,
}

impl Format {
    pub const NAMES: &'static [&'static str] =
        &["all", "json", "cli", "cloudformation", "terraform"];
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "all" => Format::All,
            "json" => Format::Json,
            "cli" => Format::Cli,
            "cloudformation" => Format::CloudFormation,
            "terraform" => Format::Terraform,
            other => {
                return Err(format!(
                    "`{other}` is not an export format: use one of {}",
                    Format::NAMES.join(", ")
                ));
            }
        })
    }
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub name: String,
    pub contents: String,
    pub executable: bool,
}

impl ExportFile {
    fn new(name: &str, contents: String) -> Self {
        ExportFile {
            name: name.to_owned(),
            contents,
            executable: false,
        }
    }
}

/// The JSON documents of the bundle, by file name, as `sluice apply` would put them.
pub fn json_documents(spec: &Spec) -> Vec<(&'static str, serde_json::Value)> {
    json_documents_with_key(spec, None)
}

/// [`json_documents`], with the id of the access key apply made (never its
/// secret) in `connector-values.json` instead of a placeholder.
fn json_documents_with_key(
    spec: &Spec,
    access_key_id: Option<&str>,
) -> Vec<(&'static str, serde_json::Value)> {
    let mut docs = vec![(
        "permissions-policy.json",
        docs::json(&permissions_policy(spec)),
    )];
    if ResourceKind::Role.wanted(spec) {
        docs.push(("trust-policy.json", docs::json(&trust_policy(spec))));
    }
    if ResourceKind::Queue.wanted(spec) {
        docs.push(("queue-policy.json", docs::json(&queue_policy(spec))));
        docs.push(("queue-attributes.json", queue_attributes(spec)));
    }
    if let Some(dlq) = dlq_attributes(spec) {
        docs.push(("dlq-attributes.json", dlq));
    }
    if spec.bucket.create {
        docs.push((
            "bucket-public-access-block.json",
            docs::json(&public_access_block(spec)),
        ));
        docs.push((
            "bucket-ownership-controls.json",
            docs::json(&ownership_controls(spec)),
        ));
        docs.push((
            "bucket-encryption.json",
            docs::json(&bucket_encryption(spec)),
        ));
        if let Some(v) = versioning(spec) {
            docs.push(("bucket-versioning.json", docs::json(&v)));
        }
        if let Some(lock) = docs::object_lock(spec) {
            docs.push(("bucket-object-lock.json", docs::json(&lock)));
        }
        if let Some(p) = bucket_policy(spec) {
            docs.push(("bucket-policy.json", docs::json(&p)));
        }
    }
    match spec.delivery() {
        Some(spec::Delivery::Direct) => {
            docs.push((
                "bucket-notification.json",
                docs::json(&docs::own_configuration(spec)),
            ));
        }
        Some(spec::Delivery::Sns) => {
            let document = docs::subscription_document(spec);
            docs.push(("sns-subscription.json", docs::json(&document)));
        }
        Some(spec::Delivery::Eventbridge) => {
            docs.push((
                "bucket-notification.json",
                docs::json(&docs::own_configuration(spec)),
            ));
            docs.push((
                "eventbridge-rule.json",
                docs::json(&docs::rule_document(spec)),
            ));
        }
        None => {}
    }
    docs.extend(alarm_documents(spec));
    docs.push((
        "connector-values.json",
        docs::vendor_values_json(spec, None, access_key_id),
    ));
    docs
}

/// The alarms' documents by file name: the topic's access policy (when
/// sluice makes the topic) and each alarm's PutMetricAlarm definition.
/// setup.sh embeds them under the same names.
fn alarm_documents(spec: &Spec) -> Vec<(&'static str, serde_json::Value)> {
    let mut docs = Vec::new();
    if ResourceKind::AlarmTopic.wanted(spec) {
        docs.push((
            "alarm-topic-policy.json",
            docs::json(&docs::alarm_topic_policy(spec)),
        ));
    }
    for alarm in docs::alarms(spec) {
        if let Some(kind) = alarm.kind(&spec.name) {
            docs.push((alarm_file(kind), alarm.document()));
        }
    }
    docs
}

/// The bundle's file of the alarm of `kind`.
fn alarm_file(kind: docs::AlarmKind) -> &'static str {
    match kind {
        docs::AlarmKind::DlqNotEmpty => "alarm-dlq-not-empty.json",
        docs::AlarmKind::OldestMessageAge => "alarm-oldest-message-age.json",
        docs::AlarmKind::Stalled => "alarm-stalled.json",
    }
}

/// What the caller of an apply (sluice, setup.sh, CloudFormation or
/// Terraform) needs beyond the pipeline's own permissions when the spec has
/// alarms: CloudWatch for the alarms, SNS for their topic.
pub(crate) const ALARM_PERMISSIONS: [&str; 13] = [
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:DeleteAlarms",
    "cloudwatch:ListTagsForResource",
    "cloudwatch:TagResource",
    "cloudwatch:SetAlarmState",
    "sns:CreateTopic",
    "sns:GetTopicAttributes",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
    "sns:ListSubscriptionsByTopic",
    "sns:TagResource",
    "sns:DeleteTopic",
];

/// Every file of the bundle for `format`, in a stable order.
pub fn bundle(spec: &Spec, format: Format) -> Vec<ExportFile> {
    bundle_with_key(spec, format, None, None)
}

/// [`bundle`] after an apply that made the user's access key: its id
/// (never the secret) goes where the connector's form asks for it; with
/// sluice(1) (`manual_page`, roff) as `sluice.1` for whoever runs the spec.
pub fn bundle_with_key(
    spec: &Spec,
    format: Format,
    access_key_id: Option<&str>,
    manual_page: Option<String>,
) -> Vec<ExportFile> {
    let mut files = vec![ExportFile::new("spec.json", spec::to_json_string(spec))];
    if matches!(format, Format::All | Format::Json) {
        files.extend(
            json_documents_with_key(spec, access_key_id)
                .into_iter()
                .map(|(name, doc)| ExportFile::new(name, to_pretty(&doc))),
        );
    }
    if matches!(format, Format::All | Format::Cli) {
        files.push(ExportFile {
            executable: true,
            ..ExportFile::new("setup.sh", setup_script(spec))
        });
    }
    if matches!(format, Format::All | Format::CloudFormation) {
        files.push(ExportFile::new("cloudformation.yaml", cloudformation(spec)));
    }
    if matches!(format, Format::All | Format::Terraform) {
        files.push(ExportFile::new("main.tf", terraform(spec)));
    }
    if let Some(page) = manual_page {
        files.push(ExportFile::new("sluice.1", page));
    }
    let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    files.push(ExportFile::new(
        "README.md",
        readme(spec, &names, access_key_id),
    ));
    files
}

/// Writes the bundle into `dir` (created if needed), each file atomically.
/// Returns the paths written.
pub fn write_bundle(dir: &Path, files: &[ExportFile]) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    files
        .iter()
        .map(|file| {
            let path = dir.join(&file.name);
            let mode = if file.executable { 0o755 } else { 0o644 };
            crate::fsutil::write_atomic(&path, file.contents.as_bytes(), Some(mode))?;
            Ok(path)
        })
        .collect()
}

/// The README's account of a two-step setup (Snowflake's): where this spec
/// stands, what each step does, and step 1's SQL.
fn two_steps(r: &mut String, spec: &Spec) {
    let vendor = spec.profile().vendor;
    let _ = writeln!(r, "## {vendor} in two steps\n");
    let pending = spec.pending_vendor_values();
    if pending.is_empty() {
        let _ = writeln!(
            r,
            "This spec holds {vendor}'s values: it is at step 2 (the role trusts {vendor}'s IAM user with its external ID, and the bucket notifies the pipe's queue).\n"
        );
    } else {
        let _ = writeln!(
            r,
            "{vendor}'s values not given yet: this spec is at step 1 of 2 (still to come: {}).\n",
            pending.join(", ")
        );
    }
    for step in docs::snowflake::STEPS {
        let _ = writeln!(r, "{step}\n");
    }
    let _ = writeln!(
        r,
        "The SQL of step 1 (`sluice snowflake --config spec.json --sql` prints it again):\n\n```sql\n{}```\n",
        docs::snowflake::step_one_sql(spec)
    );
}

fn describe(file: &str) -> &'static str {
    match file {
        "spec.json" => "the sluice spec: `sluice plan|apply --config spec.json` re-runs it",
        "permissions-policy.json" => "IAM permissions policy attached to the role and user",
        "trust-policy.json" => "the role's trust policy (who may assume it, with the external ID)",
        "queue-policy.json" => {
            "the queue's access policy: lets in only the sender of this bucket's events"
        }
        "queue-attributes.json" => {
            "queue attributes, in `aws sqs set-queue-attributes --attributes` form"
        }
        "dlq-attributes.json" => "dead-letter queue attributes",
        "bucket-public-access-block.json" => "bucket public access block",
        "bucket-ownership-controls.json" => "bucket object ownership",
        "bucket-encryption.json" => "bucket default encryption",
        "bucket-versioning.json" => "bucket versioning",
        "bucket-object-lock.json" => "bucket Object Lock (set at creation)",
        "bucket-policy.json" => {
            "sluice's bucket policy statement (merged into any existing policy)"
        }
        "bucket-notification.json" => {
            "the notification configuration for a bucket with no other entries; setup.sh and sluice merge instead"
        }
        "sns-subscription.json" => {
            "the queue's subscription to the bucket's SNS topic, with its key filter"
        }
        "eventbridge-rule.json" => {
            "the EventBridge rule (pattern, target) that takes the bucket's Object Created events to the queue"
        }
        "sluice.1" => "the manual page of sluice's commands (`man ./sluice.1`)",
        "setup.sh" => {
            "AWS CLI + jq script: idempotent, backs up what it changes, merges the notification"
        }
        "cloudformation.yaml" => "CloudFormation template",
        "main.tf" => "Terraform configuration",
        "alarm-topic-policy.json" => {
            "the access policy of the alarms' SNS topic: CloudWatch may publish for this stack's alarms only"
        }
        "alarm-dlq-not-empty.json" => {
            "CloudWatch alarm (PutMetricAlarm input): the dead-letter queue holds messages"
        }
        "alarm-oldest-message-age.json" => {
            "CloudWatch alarm (PutMetricAlarm input): the queue's oldest message is too old"
        }
        "alarm-stalled.json" => {
            "CloudWatch alarm (PutMetricAlarm input, metric math): messages arrive and none is consumed"
        }
        "connector-values.json" => {
            "the values the connector's form asks for, under its own field names (never a secret)"
        }
        _ => "",
    }
}

fn readme(spec: &Spec, files: &[String], access_key_id: Option<&str>) -> String {
    let mut r = String::new();
    let profile = spec.profile();
    if spec.has_notification() || spec.vendor_queue_pending() {
        let target = match spec.foreign_queue() {
            Some(arn) => format!(
                "{}'s queue `{arn}` (the vendor's, not this stack's)",
                profile.vendor
            ),
            None if spec.vendor_queue_pending() => format!(
                "{}'s queue once it is given (step 2 below; until then there is no bucket notification)",
                profile.vendor
            ),
            None => format!("queue `{}`", spec.queue.name),
        };
        let _ = writeln!(r, "# {}: S3 → SQS ingestion\n", spec.name);
        let _ = writeln!(
            r,
            "Exported by sluice {} from `spec.json`. Bucket `{}` in {} sends `{}` events for keys matching prefix `{}` and suffix `{}` to {target}.\n",
            env!("CARGO_PKG_VERSION"),
            spec.bucket.name,
            spec.region,
            spec.notification.events.join("`, `"),
            spec.bucket.prefix,
            spec.bucket.suffix,
        );
        match spec.notification.delivery {
            spec::Delivery::Direct => {}
            spec::Delivery::Sns => {
                let _ = writeln!(
                    r,
                    "The events come through the bucket's own SNS topic `{}`: the queue subscribes to it, and the bucket's notification configuration is left as it is.\n",
                    spec.notification.topic_arn.as_deref().unwrap_or_default()
                );
            }
            spec::Delivery::Eventbridge => {
                let _ = writeln!(
                    r,
                    "The events come through EventBridge: the bucket's EventBridge delivery is turned on beside its other entries, and rule `{}` sends Object Created events for these keys to the queue.\n",
                    spec.notification.id
                );
            }
        }
    } else {
        let what = match profile.shape {
            spec::Shape::Destination => "destination",
            _ => "pull import",
        };
        let _ = writeln!(r, "# {}: S3 {what}\n", spec.name);
        let _ = writeln!(
            r,
            "Exported by sluice {} from `spec.json`. Bucket `{}` in {}, prefix `{}`; no queue and no notification: the connector reaches the bucket itself.\n",
            env!("CARGO_PKG_VERSION"),
            spec.bucket.name,
            spec.region,
            spec.bucket.prefix,
        );
    }
    if spec.connector != spec::Connector::Generic {
        let _ = writeln!(r, "Follows {}.\n", profile.guide);
    }
    if profile.two_steps {
        two_steps(&mut r, spec);
    }
    let _ = writeln!(r, "## Values to give your connector\n");
    if spec.connector != spec::Connector::Generic {
        let _ = writeln!(
            r,
            "Under the names {}'s form uses (also in `connector-values.json`):\n",
            profile.vendor
        );
    }
    let _ = writeln!(r, "| value | |\n|---|---|");
    let values = docs::vendor_values(spec, None, access_key_id);
    for (key, value) in &values {
        let shown = if value.is_empty() {
            "(none)".to_owned()
        } else {
            format!("`{value}`")
        };
        let _ = writeln!(r, "| {} | {shown} |", docs::shown_label(spec, key));
    }
    if spec.account_id.is_none() {
        let _ = writeln!(
            r,
            "\n`{ACCOUNT_PLACEHOLDER}` stands for your AWS account id, which the spec does not name yet; setup.sh, CloudFormation and Terraform fill it in themselves."
        );
    }
    if let Some(block) = docs::guess_in_block(spec, &values) {
        let _ = writeln!(
            r,
            "\nThe `in:` block {}'s guide has `td connector:guess` read (also under `{}` in `connector-values.json`); put the secret access key in its place:\n\n```yaml\n{block}```",
            profile.vendor,
            docs::IN_BLOCK_KEY
        );
    }
    if ResourceKind::User.wanted(spec) && spec.user.create_access_key {
        let _ = writeln!(
            r,
            "\nThe access key of user `{}` is not in this bundle, by design: `sluice apply` or `setup.sh` creates it and writes the secret only to `{}_accessKeys.csv` (mode 0600).",
            spec.user.name, spec.user.name
        );
    }
    let _ = writeln!(r, "\n## Files\n");
    for name in files {
        let _ = writeln!(r, "- `{name}`: {}", describe(name));
    }
    let _ = writeln!(r, "- `README.md`: this file\n");
    let _ = writeln!(r, "## Applying\n");
    let _ = writeln!(
        r,
        "Pick one of these ways; each builds the same stack. Whether it exists already: `sluice plan --config spec.json` exits 0 when the account matches the spec, 2 when changes are pending. `sluice apply` and `setup.sh` recognise a stack either of them (or CloudFormation) made and bring it in line; CloudFormation and Terraform keep their own state and stop on names that already exist, so do not point them at a stack made another way (Terraform can `terraform import` it).\n"
    );
    let _ = writeln!(
        r,
        "- sluice: `sluice apply --config spec.json` (plans, asks, backs up, merges); then `sluice verify --config spec.json` checks it end to end."
    );
    if files.iter().any(|f| f == "setup.sh") {
        let _ = writeln!(
            r,
            "- AWS CLI: `./setup.sh --dry-run` shows what it would change and writes nothing; `./setup.sh` then shows that and asks before the first write (`--yes` in automation; `--help` for the rest). Needs `aws` and `jq`; safe to re-run."
        );
    }
    if files.iter().any(|f| f == "cloudformation.yaml") {
        let _ = writeln!(
            r,
            "- CloudFormation: `aws cloudformation deploy --template-file cloudformation.yaml --stack-name {} --capabilities CAPABILITY_NAMED_IAM --region {}`.",
            spec.name, spec.region
        );
    }
    if files.iter().any(|f| f == "main.tf") {
        let _ = writeln!(r, "- Terraform: `terraform init && terraform apply`.");
    }
    if !spec.bucket.create {
        let _ = writeln!(
            r,
            "\nThe bucket is adopted: its notification configuration may hold other teams' entries. CloudFormation and Terraform replace a bucket's whole notification configuration, so they leave it out; `setup.sh` and `sluice apply` merge our entry in."
        );
    }
    let findings = lint(spec);
    if !findings.is_empty() {
        let _ = writeln!(r, "\n## Findings\n");
        for f in findings {
            let _ = writeln!(
                r,
                "- **{}** ({}): {}",
                f.severity,
                f.resource,
                f.message.replace('\n', "\n  ")
            );
        }
    }
    let arns = Arns::of(spec);
    let _ = writeln!(r, "\n## ARNs\n\n- policy: `{}`", arns.policy);
    if ResourceKind::Queue.wanted(spec) {
        let _ = writeln!(r, "- queue: `{}`", arns.queue);
    }
    let _ = writeln!(r, "- bucket: `{}`", arns.bucket);
    alarms_readme(&mut r, spec);
    r
}

/// The README's alarms: the topic, each alarm's ARN, and the caller's
/// extra permissions.
fn alarms_readme(r: &mut String, spec: &Spec) {
    let all = docs::alarms(spec);
    if all.is_empty() {
        return;
    }
    let _ = writeln!(r, "- alarm topic: `{}`", docs::alarm_topic_arn(spec));
    for alarm in &all {
        let _ = writeln!(
            r,
            "- alarm: `arn:{}:cloudwatch:{}:{}:alarm:{}`",
            docs::partition(&spec.region),
            spec.region,
            Arns::of(spec).account,
            alarm.alarm_name
        );
    }
    let _ = writeln!(
        r,
        "
## Alarms
"
    );
    let _ = writeln!(
        r,
        "{} CloudWatch alarm(s) on the queue notify `{}`{}. Whoever applies the stack also needs: {}.",
        all.len(),
        docs::alarm_topic_arn(spec),
        match (&spec.alarms.email, docs::makes_alarm_topic(spec)) {
            (Some(email), true) =>
                format!(", to which `{email}` is subscribed (AWS mails it a link to confirm)"),
            _ => String::new(),
        },
        ALARM_PERMISSIONS.map(|p| format!("`{p}`")).join(", ")
    );
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod profile_tests;
