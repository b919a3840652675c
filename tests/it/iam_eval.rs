//! Every policy sluice writes, proven by an independent IAM policy evaluation
//! engine (`@cloud-copilot/iam-simulate`, pinned in tests/iam; moto evaluates
//! no policy at all).
//!
//! For each variant (every connector profile on every delivery route, the
//! user, the wildcard scope, SSE-S3 / SSE-KMS / DSSE-KMS, a KMS-encrypted
//! queue, prefixes with IAM's special characters, the alarms' topic on each
//! route...) the documents are taken
//! from every path that writes them: what `sluice apply` writes, the JSON
//! bundle, `cloudformation.yaml`, `main.tf` and `setup.sh`, read back from
//! the exported text. They must be the same JSON. Then a table of requests,
//! each with the request context AWS sends with it (the engine fills in
//! none), is evaluated against each path's documents, and every decision
//! must be the expected one. A self-test breaks the documents on purpose and
//! the table must catch each break.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::common::VENDOR_ACCOUNT;
use serde_json::{Value, json};
use sluice::docs::{self, ACCOUNT_PLACEHOLDER};
use sluice::export::{self, ExportFile, Format};
use sluice::spec::profiles::ExternalId;
use sluice::spec::{
    self, BucketEncryption, Connector, Delivery, PolicyScope, QueueEncryption, Spec,
};

/// The account the stacks are applied in (moto's, for the test that runs on it).
const ACCOUNT: &str = common::ACCOUNT_ID;
/// Someone else's account.
const OTHER_ACCOUNT: &str = "999988887777";
const REGION: &str = common::REGION;
const BUCKET_KEY: &str = "arn:aws:kms:us-west-2:123456789012:key/0b1c2d3e-bucket";
const QUEUE_KEY: &str = "arn:aws:kms:us-west-2:123456789012:key/0b1c2d3e-queue";
const OTHER_KEY: &str = "arn:aws:kms:us-west-2:123456789012:key/0b1c2d3e-other";

// ---------------------------------------------------------------------------
// What each vendor's guide has its connector call, written down here from the
// guides, not read from sluice's profiles.
// ---------------------------------------------------------------------------

struct Guide {
    /// The queue actions the connector calls.
    queue: &'static [&'static str],
    /// The guide grants s3:ListBucket on the bucket without a condition:
    /// HeadBucket and a listing from the root work.
    whole_bucket_list: bool,
    /// Object reads beside s3:GetObject.
    extra_reads: &'static [&'static str],
}

const RECEIVE: &str = "sqs:ReceiveMessage";
const DELETE: &str = "sqs:DeleteMessage";
const VISIBILITY: &str = "sqs:ChangeMessageVisibility";
const ATTRIBUTES: &str = "sqs:GetQueueAttributes";
const URL: &str = "sqs:GetQueueUrl";
const CONSUMER_QUEUE_ACTIONS: &[&str] = &[RECEIVE, DELETE, VISIBILITY, ATTRIBUTES, URL];

fn guide(connector: Connector) -> Guide {
    let (queue, whole_bucket_list, extra_reads): (&'static [&'static str], bool, &[&str]) =
        match connector {
            // sluice's own consumer; least privilege: listing only under the prefix.
            // It reads the version an event names (s3:GetObjectVersion).
            Connector::Generic => (CONSUMER_QUEUE_ACTIONS, false, &["s3:GetObjectVersion"]),
            // The eight actions of Tarsal's policy (SendMessage with the spec's toggle).
            Connector::Tarsal => (CONSUMER_QUEUE_ACTIONS, true, &[]),
            // Databend's / TiDB Cloud Lake's SQSConsumeAccess and S3BucketMetadataAccess.
            Connector::Databend | Connector::TidbCloudLake => {
                (&[RECEIVE, DELETE, ATTRIBUTES, VISIBILITY], true, &[])
            }
            // Treasure Data's read-only policy: GetObject and ListBucket on the bucket.
            Connector::TreasureData => (&[], true, &[]),
            // Hevo: ListBucket "checks if the S3 bucket exists and can be accessed".
            Connector::Hevo => (&[], true, &[]),
            // ClickPipes' policy: S3BucketMetadataAccess and SQSNotificationsAccess.
            Connector::Clickhouse => (&[DELETE, RECEIVE, ATTRIBUTES], true, &[]),
            // Snowflake's policy conditions ListBucket on s3:prefix.
            Connector::Snowflake => (&[], false, &["s3:GetObjectVersion"]),
        };
    Guide {
        queue,
        whole_bucket_list,
        extra_reads,
    }
}

// ---------------------------------------------------------------------------
// Variants
// ---------------------------------------------------------------------------

struct Variant {
    name: String,
    /// As exported: the account is not named (the documents carry the
    /// placeholder, each path fills it in).
    spec: Spec,
    /// KMS aliases the spec names, and the key ARN each stands for (what
    /// kms:DescribeKey answers).
    aliases: BTreeMap<String, String>,
}

fn profiled(connector: Connector, prefix: &str) -> Spec {
    common::profiled(connector, None, prefix)
}

fn variant(name: impl Into<String>, spec: Spec) -> Variant {
    let name = name.into();
    if let Err(errors) = spec::validate(&spec) {
        panic!("variant {name} is not a valid spec:\n{errors}");
    }
    Variant {
        name,
        spec,
        aliases: BTreeMap::new(),
    }
}

/// A variant whose spec names KMS keys by the aliases of `aliases`: its
/// documents are made, as online, from the spec with each alias replaced
/// by the key kms:DescribeKey names (tests/it/iam_eval.rs's moto test checks
/// that `sluice plan` does that).
fn with_aliases(name: &str, spec: Spec, aliases: &[(&str, &str)]) -> Variant {
    let aliases: BTreeMap<String, String> = aliases
        .iter()
        .map(|(a, k)| ((*a).to_owned(), (*k).to_owned()))
        .collect();
    assert!(spec::validate_unresolved(&spec).is_ok(), "{name}");
    let mut resolved = spec.clone();
    for (path, alias) in spec::kms_aliases(&spec) {
        let key = Some(aliases[&alias].clone());
        match path {
            "bucket.kms_key_arn" => resolved.bucket.kms_key_arn = key,
            _ => resolved.queue.kms_key_arn = key,
        }
    }
    let mut v = variant(name, resolved);
    v.aliases = aliases;
    v
}

fn routed(mut spec: Spec, delivery: Delivery) -> Spec {
    spec.notification.delivery = delivery;
    if delivery == Delivery::Sns {
        spec.notification.topic_arn = Some(format!("arn:aws:sns:{REGION}:{ACCOUNT}:uploads"));
    }
    spec
}

fn variants() -> Vec<Variant> {
    let mut out = Vec::new();
    for connector in Connector::ALL {
        let spec = profiled(*connector, "in/");
        if spec.has_queue() {
            for delivery in [Delivery::Direct, Delivery::Sns, Delivery::Eventbridge] {
                out.push(variant(
                    format!("{connector} {delivery}"),
                    routed(spec.clone(), delivery),
                ));
            }
        } else {
            out.push(variant(connector.to_string(), spec));
        }
    }
    let generic = || profiled(Connector::Generic, "in/");

    let mut spec = generic();
    spec.bucket.prefix.clear();
    out.push(variant("generic without a prefix", spec));

    let mut spec = generic();
    spec.user.enabled = true;
    out.push(variant("generic with a user", spec));

    let mut spec = generic();
    spec.policy.scope = PolicyScope::Wildcard;
    out.push(variant("generic wildcard scope", spec));
    let mut spec = profiled(Connector::Tarsal, "in/");
    spec.policy.scope = PolicyScope::Wildcard;
    out.push(variant("tarsal wildcard scope", spec));

    for (encryption, label) in [
        (BucketEncryption::SseKms, "sse-kms"),
        (BucketEncryption::DsseKms, "dsse-kms"),
    ] {
        let mut spec = generic();
        spec.bucket.encryption = encryption;
        spec.bucket.kms_key_arn = Some(BUCKET_KEY.to_owned());
        out.push(variant(format!("generic {label}"), spec));
    }
    let mut spec = profiled(Connector::Hevo, "in/");
    spec.bucket.encryption = BucketEncryption::SseKms;
    spec.bucket.kms_key_arn = Some(BUCKET_KEY.to_owned());
    out.push(variant("hevo sse-kms", spec));

    let kms_queue = |mut spec: Spec| {
        spec.queue.encryption = QueueEncryption::Kms;
        spec.queue.kms_key_arn = Some(QUEUE_KEY.to_owned());
        spec
    };
    out.push(variant("generic kms queue", kms_queue(generic())));
    let mut spec = kms_queue(generic());
    spec.policy.allow_send_message = true;
    out.push(variant("generic kms queue, backfill sends", spec));
    out.push(variant(
        "tarsal kms queue",
        kms_queue(profiled(Connector::Tarsal, "in/")),
    ));
    out.push(variant(
        "generic kms queue sns",
        routed(kms_queue(generic()), Delivery::Sns),
    ));
    out.push(variant(
        "databend kms queue eventbridge",
        routed(
            kms_queue(profiled(Connector::Databend, "in/")),
            Delivery::Eventbridge,
        ),
    ));
    let mut spec = kms_queue(generic());
    spec.bucket.encryption = BucketEncryption::SseKms;
    spec.bucket.kms_key_arn = Some(BUCKET_KEY.to_owned());
    out.push(variant("generic sse-kms and kms queue", spec));

    for prefix in ["batch?/", "a*b/", "cost$/"] {
        out.push(variant(
            format!("generic prefix {prefix}"),
            profiled(Connector::Generic, prefix),
        ));
    }
    let mut spec = profiled(Connector::Generic, "${aws:username}/");
    spec.user.enabled = true;
    out.push(variant(
        "generic with a user, prefix ${aws:username}/",
        spec,
    ));
    out.push(variant(
        "tarsal prefix batch?/",
        profiled(Connector::Tarsal, "batch?/"),
    ));

    // A key named by its alias.
    let alias = "arn:aws:kms:us-west-2:123456789012:alias/ingest";
    let mut spec = generic();
    spec.bucket.encryption = BucketEncryption::SseKms;
    spec.bucket.kms_key_arn = Some(alias.to_owned());
    out.push(with_aliases(
        "generic sse-kms, the key named by its alias",
        spec,
        &[(alias, BUCKET_KEY)],
    ));

    let mut spec = generic();
    spec.bucket.deny_insecure_transport = false;
    out.push(variant("generic without deny-insecure-transport", spec));
    let mut spec = generic();
    spec.bucket.create = false;
    out.push(variant("generic adopted bucket", spec));

    // The alarms: sluice's topic, on each route; a topic of the user's
    // (no policy of sluice's); no dead-letter queue (two alarms).
    for delivery in [Delivery::Direct, Delivery::Sns, Delivery::Eventbridge] {
        let mut spec = routed(generic(), delivery);
        spec.alarms.enabled = true;
        spec.alarms.email = Some("ops@example.com".to_owned());
        out.push(variant(format!("generic {delivery} alarms"), spec));
    }
    let mut spec = profiled(Connector::Tarsal, "in/");
    spec.alarms.enabled = true;
    out.push(variant("tarsal alarms", spec));
    let mut spec = generic();
    spec.alarms.enabled = true;
    spec.alarms.topic_arn = Some(format!("arn:aws:sns:{REGION}:{ACCOUNT}:ops-pager"));
    out.push(variant("generic alarms on the user's topic", spec));
    let mut spec = generic();
    spec.alarms.enabled = true;
    spec.queue.dead_letter.enabled = false;
    out.push(variant("generic alarms without a dead-letter queue", spec));
    out
}

// ---------------------------------------------------------------------------
// The documents, from every path that writes them
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Docs {
    permissions: Value,
    trust: Option<Value>,
    queue: Option<Value>,
    bucket: Option<Value>,
    /// The access policy of the alarms' topic, when sluice makes the topic.
    alarm_topic: Option<Value>,
}

impl Docs {
    fn to_json(&self) -> Value {
        json!({
            "permissions": self.permissions,
            "trust": self.trust,
            "queue": self.queue,
            "bucket": self.bucket,
            "alarm_topic": self.alarm_topic,
        })
    }
}

const PATHS: [&str; 5] = ["apply", "json", "cloudformation", "terraform", "setup.sh"];

/// The spec as `sluice apply` uses it in the account.
fn in_account(spec: &Spec) -> Spec {
    let caller = sluice::aws::Identity {
        account: ACCOUNT.to_owned(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/admin"),
    };
    sluice::aws::plan::for_account(spec, &caller).unwrap()
}

/// What `sluice apply` writes: the documents made for the caller's account.
fn applied(spec: &Spec) -> Docs {
    let s = in_account(spec);
    Docs {
        permissions: docs::json(&docs::permissions_policy(&s)),
        trust: s.role.enabled.then(|| docs::json(&docs::trust_policy(&s))),
        queue: s.has_queue().then(|| docs::json(&docs::queue_policy(&s))),
        bucket: if s.bucket.create {
            docs::bucket_policy(&s).as_ref().map(docs::json)
        } else {
            None
        },
        alarm_topic: docs::makes_alarm_topic(&s).then(|| docs::json(&docs::alarm_topic_policy(&s))),
    }
}

/// The account filled into every string, as setup.sh's `doc` does.
fn fill(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace(ACCOUNT_PLACEHOLDER, ACCOUNT)),
        Value::Array(items) => Value::Array(items.into_iter().map(fill).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, fill(v))).collect()),
        other => other,
    }
}

fn contents<'a>(files: &'a [ExportFile], name: &str) -> Option<&'a str> {
    files
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.contents.as_str())
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn from_json_bundle(files: &[ExportFile]) -> Docs {
    let doc = |name: &str| contents(files, name).map(|text| fill(parse(text)));
    Docs {
        permissions: doc("permissions-policy.json").expect("permissions-policy.json"),
        trust: doc("trust-policy.json"),
        queue: doc("queue-policy.json"),
        bucket: doc("bucket-policy.json"),
        alarm_topic: doc("alarm-topic-policy.json"),
    }
}

/// setup.sh embeds each document as `doc NAME <<'JSON'` … `JSON`; the
/// queue's policy is the `Policy` attribute of queue-attributes.json on a
/// queue it makes.
fn from_setup_script(script: &str) -> Docs {
    let doc = |name: &str| -> Option<Value> {
        let start = format!("doc {name} <<'JSON'\n");
        let at = script.find(&start)? + start.len();
        let end = script[at..]
            .find("\nJSON\n")
            .expect("an unterminated heredoc");
        Some(fill(parse(&script[at..at + end])))
    };
    let queue = doc("queue-policy.json").or_else(|| {
        doc("queue-attributes.json").map(|attrs| parse(attrs["Policy"].as_str().unwrap()))
    });
    Docs {
        permissions: doc("permissions-policy.json").expect("permissions-policy.json"),
        trust: doc("trust-policy.json"),
        queue,
        bucket: doc("bucket-policy.json"),
        alarm_topic: doc("alarm-topic-policy.json"),
    }
}

/// CloudFormation's intrinsics as CloudFormation resolves them in ACCOUNT.
fn intrinsics(value: Value) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("Fn::Sub") => {
            let Some(Value::String(template)) = map.get("Fn::Sub") else {
                panic!("Fn::Sub with variables: {map:?}");
            };
            let filled = template.replace("${AWS::AccountId}", ACCOUNT);
            let unescaped = filled.replace("${!", "\u{0}");
            assert!(
                !unescaped.contains("${"),
                "Fn::Sub left a variable unresolved: {template}"
            );
            Value::String(unescaped.replace('\u{0}', "${"))
        }
        Value::Object(map) if map.get("Ref") == Some(&json!("AWS::AccountId")) => {
            Value::String(ACCOUNT.to_owned())
        }
        Value::Object(map) if map.contains_key("Ref") || map.contains_key("Fn::GetAtt") => {
            panic!("a policy refers to another resource: {map:?}")
        }
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, intrinsics(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(intrinsics).collect()),
        other => other,
    }
}

fn from_template(template: &Value) -> Docs {
    let resources = template["Resources"].as_object().expect("Resources");
    let property = |kind: &str, name: &str| -> Option<Value> {
        resources
            .values()
            .find(|r| r["Type"] == kind)
            .map(|r| intrinsics(r["Properties"][name].clone()))
    };
    // The alarms' topic policy names the topic the template makes by Ref:
    // its ARN as CloudFormation resolves it (for an AWS::SNS::Topic, Ref
    // gives the topic's ARN).
    let alarm_topic = resources.get("AlarmTopicPolicy").map(|policy| {
        assert_eq!(policy["Type"], "AWS::SNS::TopicPolicy");
        let topic = &resources["AlarmTopic"];
        assert_eq!(topic["Type"], "AWS::SNS::Topic");
        let name = topic["Properties"]["TopicName"]
            .as_str()
            .expect("TopicName");
        let arn = format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}");
        assert_eq!(
            policy["Properties"]["Topics"],
            json!([{ "Ref": "AlarmTopic" }])
        );
        intrinsics(resolve_ref(
            policy["Properties"]["PolicyDocument"].clone(),
            "AlarmTopic",
            &arn,
        ))
    });
    Docs {
        permissions: property("AWS::IAM::ManagedPolicy", "PolicyDocument").expect("the policy"),
        trust: property("AWS::IAM::Role", "AssumeRolePolicyDocument"),
        queue: property("AWS::SQS::QueuePolicy", "PolicyDocument"),
        bucket: property("AWS::S3::BucketPolicy", "PolicyDocument"),
        alarm_topic,
    }
}

/// `value` with each `{"Ref": logical_id}` replaced by `to`.
fn resolve_ref(value: Value, logical_id: &str, to: &str) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 && map.get("Ref") == Some(&json!(logical_id)) => {
            Value::String(to.to_owned())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, resolve_ref(v, logical_id, to)))
                .collect(),
        ),
        Value::Array(items) => items
            .into_iter()
            .map(|v| resolve_ref(v, logical_id, to))
            .collect(),
        other => other,
    }
}

/// The templates as JSON, read by PyYAML (which cfn-lint brings into
/// .venv): an independent reader of the YAML sluice writes.
fn yaml_to_json(paths: &[std::path::PathBuf]) -> Vec<Value> {
    let python = common::venv().join("bin/python");
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import json, sys, yaml\nprint(json.dumps([yaml.safe_load(open(p)) for p in sys.argv[1:]]))",
        ])
        .args(paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

/// Reads an HCL expression as main.tf writes it inside `jsonencode(...)`:
/// objects (`key = value` lines), lists, quoted strings (with `$${`, `%%{`
/// and the account id's interpolation), numbers, booleans, null.
struct Hcl {
    chars: Vec<char>,
    at: usize,
}

/// The only reference a policy in main.tf may hold.
const TF_ACCOUNT: &str = "data.aws_caller_identity.current.account_id";
/// The alarms' topic, as its access policy in main.tf names it.
const TF_ALARM_TOPIC: &str = "aws_sns_topic.alarms.arn";

impl Hcl {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn starts(&self, text: &str) -> bool {
        text.chars()
            .enumerate()
            .all(|(i, c)| self.chars.get(self.at + i) == Some(&c))
    }

    fn blank(&mut self) {
        while matches!(self.peek(), Some(' ' | '\n' | ',')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, c: char) {
        self.blank();
        assert_eq!(self.peek(), Some(c), "at {}", self.context());
        self.at += 1;
    }

    fn context(&self) -> String {
        self.chars[self.at..].iter().take(60).collect()
    }

    fn bare(&mut self) -> String {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }

    fn value(&mut self) -> Value {
        self.blank();
        if self.starts("jsonencode(") {
            self.at += "jsonencode(".len();
            let inner = self.value();
            self.expect(')');
            return inner;
        }
        match self.peek() {
            Some('{') => {
                self.at += 1;
                let mut map = serde_json::Map::new();
                loop {
                    self.blank();
                    if self.peek() == Some('}') {
                        self.at += 1;
                        return Value::Object(map);
                    }
                    let key = if self.peek() == Some('"') {
                        self.quoted()
                    } else {
                        self.bare()
                    };
                    self.expect('=');
                    let value = self.value();
                    map.insert(key, value);
                }
            }
            Some('[') => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    self.blank();
                    if self.peek() == Some(']') {
                        self.at += 1;
                        return Value::Array(items);
                    }
                    items.push(self.value());
                }
            }
            Some('"') => Value::String(self.quoted()),
            _ => match self.bare().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                TF_ACCOUNT => Value::String(ACCOUNT.to_owned()),
                word => word
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| panic!("unexpected `{word}` in a policy")),
            },
        }
    }

    fn quoted(&mut self) -> String {
        self.expect('"');
        let mut out = String::new();
        let account = format!("${{{TF_ACCOUNT}}}");
        loop {
            let c = self.peek().expect("an unterminated string");
            if c == '"' {
                self.at += 1;
                return out;
            }
            if self.starts("$${") || self.starts("%%{") {
                out.push(c);
                out.push('{');
                self.at += 3;
            } else if self.starts(&account) {
                out.push_str(ACCOUNT);
                self.at += account.chars().count();
            } else if self.starts("${\"$\"}") {
                out.push('$');
                self.at += 6;
            } else if self.starts("${") || self.starts("%{") {
                panic!("a template sequence in a policy: {}", self.context());
            } else if c == '\\' {
                let escaped = self.chars[self.at + 1];
                self.at += 2;
                out.push(match escaped {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let hex: String = self.chars[self.at..self.at + 4].iter().collect();
                        self.at += 4;
                        char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap()
                    }
                    other => other,
                });
            } else {
                out.push(c);
                self.at += 1;
            }
        }
    }
}

/// The value of `argument` in main.tf's resource of type `kind`.
fn tf_argument(tf: &str, kind: &str, argument: &str) -> Option<Value> {
    let start = tf.find(&format!("\nresource \"{kind}\" \""))?;
    let block = &tf[start..];
    let block = &block[..block.find("\n}\n").expect("an unterminated block")];
    let line = format!("\n  {argument} = ");
    let at = block.find(&line)? + line.len();
    let mut hcl = Hcl {
        chars: block[at..].chars().collect(),
        at: 0,
    };
    Some(hcl.value())
}

fn from_terraform(tf: &str) -> Docs {
    // The alarms' topic policy names the topic main.tf makes by reference:
    // its ARN, as the provider's `arn` attribute gives it.
    let makes_topic = tf.contains("\nresource \"aws_sns_topic_policy\" \"");
    let alarm_topic = makes_topic.then(|| {
        assert!(tf.contains(&format!(
            "\nresource \"aws_sns_topic_policy\" \"alarms\" {{\n  arn = {TF_ALARM_TOPIC}\n"
        )));
        let Some(Value::String(name)) = tf_argument(tf, "aws_sns_topic", "name") else {
            panic!("aws_sns_topic.alarms has no name");
        };
        let arn = format!("\"arn:aws:sns:{REGION}:{ACCOUNT}:{name}\"");
        tf_argument(
            &tf.replace(TF_ALARM_TOPIC, &arn),
            "aws_sns_topic_policy",
            "policy",
        )
        .expect("aws_sns_topic_policy")
    });
    Docs {
        permissions: tf_argument(tf, "aws_iam_policy", "policy").expect("aws_iam_policy"),
        trust: tf_argument(tf, "aws_iam_role", "assume_role_policy"),
        queue: tf_argument(tf, "aws_sqs_queue_policy", "policy"),
        bucket: tf_argument(tf, "aws_s3_bucket_policy", "policy"),
        alarm_topic,
    }
}

/// Every variant's documents on every path (in [`PATHS`] order); they must
/// be the same JSON, path by path.
fn documents(variants: &[Variant], scratch: &Path) -> Vec<Vec<Docs>> {
    let bundles: Vec<Vec<ExportFile>> = variants
        .iter()
        .map(|v| export::bundle(&v.spec, Format::All))
        .collect();
    let templates: Vec<std::path::PathBuf> = bundles
        .iter()
        .enumerate()
        .map(|(i, files)| {
            let path = scratch.join(format!("template-{i}.yaml"));
            std::fs::write(&path, contents(files, "cloudformation.yaml").unwrap()).unwrap();
            path
        })
        .collect();
    let templates = yaml_to_json(&templates);
    let mut out = Vec::new();
    for ((v, files), template) in variants.iter().zip(&bundles).zip(&templates) {
        let paths = vec![
            applied(&v.spec),
            from_json_bundle(files),
            from_template(template),
            from_terraform(contents(files, "main.tf").unwrap()),
            from_setup_script(contents(files, "setup.sh").unwrap()),
        ];
        for (path, docs) in PATHS.iter().zip(&paths).skip(1) {
            assert_eq!(
                docs.to_json(),
                paths[0].to_json(),
                "{}: {path} writes other documents than sluice apply",
                v.name
            );
        }
        out.push(paths);
    }
    out
}

// ---------------------------------------------------------------------------
// The table of requests
// ---------------------------------------------------------------------------

const ALLOWED: &str = "Allowed";
const DENIED: &str = "ImplicitlyDenied";
const EXPLICITLY_DENIED: &str = "ExplicitlyDenied";

fn allowed_if(yes: bool) -> &'static str {
    if yes { ALLOWED } else { DENIED }
}

struct Row {
    variant: String,
    path: &'static str,
    name: String,
    expect: &'static str,
    case: Value,
}

/// One variant's requests against one path's documents.
struct Table<'a> {
    variant: &'a Variant,
    /// The spec in the account.
    spec: Spec,
    path: &'static str,
    docs: &'a Docs,
    rows: Vec<Row>,
}

/// Who sends a request, and the context keys AWS fills in for it.
struct Caller {
    label: &'static str,
    principal: String,
    context: Value,
}

impl Table<'_> {
    fn row(
        &mut self,
        name: impl Into<String>,
        expect: &'static str,
        identity: &[&Value],
        resource_policy: Option<&Value>,
        request: Value,
    ) {
        self.rows.push(Row {
            variant: self.variant.name.clone(),
            path: self.path,
            name: name.into(),
            expect,
            case: json!({
                "identityPolicies": identity,
                "resourcePolicy": resource_policy,
                "request": request,
            }),
        });
    }

    /// A role of another account, allowed everything by its own account,
    /// calls `action` on `resource`: only `policy` could let it in.
    fn intruder(&mut self, name: &str, policy: Option<&Value>, action: &str, resource: &str) {
        self.row(
            name,
            DENIED,
            &[&allow_all()],
            policy,
            json!({
                "principal": format!("arn:aws:iam::{OTHER_ACCOUNT}:role/intruder"),
                "action": action,
                "resource": resource,
                "context": { "aws:SecureTransport": "true" },
            }),
        );
    }

    fn bucket_arn(&self) -> String {
        format!("arn:aws:s3:::{}", self.spec.bucket.name)
    }

    fn queue_arn(&self) -> String {
        format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{}", self.spec.queue.name)
    }

    fn rule_arn(&self) -> String {
        format!(
            "arn:aws:events:{REGION}:{ACCOUNT}:rule/{}",
            self.spec.notification.id
        )
    }

    fn topic_arn(&self) -> String {
        format!("arn:aws:sns:{REGION}:{ACCOUNT}:uploads")
    }

    /// A key under a prefix that looks like ours to IAM's wildcards, not to S3.
    fn lookalike(&self) -> Option<String> {
        let prefix = &self.spec.bucket.prefix;
        let like = prefix
            .replace("${aws:username}", &self.spec.user.name)
            .replace('?', "1")
            .replace('*', "more");
        (&like != prefix).then_some(like)
    }

    fn all(&mut self) {
        if self.spec.has_queue() {
            self.senders();
        }
        if docs::makes_alarm_topic(&self.spec) {
            self.alarm_publishers();
        }
        if self.spec.role.enabled {
            self.trust();
            let role = Caller {
                label: "role",
                principal: format!(
                    "arn:aws:sts::{ACCOUNT}:assumed-role/{}/connector-session",
                    self.spec.role.name
                ),
                context: json!({ "aws:SecureTransport": "true" }),
            };
            self.identity(&role);
        }
        if self.spec.user.enabled {
            let user = Caller {
                label: "user",
                principal: format!("arn:aws:iam::{ACCOUNT}:user/{}", self.spec.user.name),
                context: json!({
                    "aws:SecureTransport": "true",
                    "aws:username": self.spec.user.name,
                }),
            };
            self.identity(&user);
        }
    }

    /// The route's sender to the queue, and no one else.
    fn senders(&mut self) {
        let queue_policy = self.docs.queue.clone();
        let queue = self.queue_arn();
        let bucket = self.bucket_arn();
        let send = |principal: &str, source: &str, account: &str| {
            json!({
                "principal": principal,
                "action": "sqs:SendMessage",
                "resource": queue,
                "context": {
                    "aws:SourceArn": source,
                    "aws:SourceAccount": account,
                    "aws:SecureTransport": "true",
                },
            })
        };
        let other_bucket = "arn:aws:s3:::someone-elses-bucket";
        let (service, source, label) = match self.spec.delivery() {
            Some(Delivery::Sns) => ("sns.amazonaws.com", self.topic_arn(), "the topic"),
            Some(Delivery::Eventbridge) => ("events.amazonaws.com", self.rule_arn(), "the rule"),
            _ => ("s3.amazonaws.com", bucket.clone(), "the bucket"),
        };
        let q = queue_policy.as_ref();
        self.row(
            format!("{service} sends from {label}"),
            ALLOWED,
            &[],
            q,
            send(service, &source, ACCOUNT),
        );
        if service == "s3.amazonaws.com" {
            // A bucket's ARN names no account: aws:SourceAccount does.
            self.row(
                "s3.amazonaws.com sends from a bucket of that name in another account",
                DENIED,
                &[],
                q,
                send(service, &source, OTHER_ACCOUNT),
            );
        }
        let elsewhere = match self.spec.delivery() {
            Some(Delivery::Sns) => format!("arn:aws:sns:{REGION}:{ACCOUNT}:another-topic"),
            Some(Delivery::Eventbridge) => {
                format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/another-rule")
            }
            _ => other_bucket.to_owned(),
        };
        self.row(
            format!("{service} sends from another source"),
            DENIED,
            &[],
            q,
            send(service, &elsewhere, ACCOUNT),
        );
        self.row(
            format!("{service} sends without aws:SourceArn"),
            DENIED,
            &[],
            q,
            json!({
                "principal": service,
                "action": "sqs:SendMessage",
                "resource": queue,
                "context": { "aws:SourceAccount": ACCOUNT },
            }),
        );
        for other in [
            "s3.amazonaws.com",
            "sns.amazonaws.com",
            "events.amazonaws.com",
        ] {
            if other != service {
                self.row(
                    format!("{other} sends from {label} (not this route's sender)"),
                    DENIED,
                    &[],
                    q,
                    send(other, &source, ACCOUNT),
                );
            }
        }
        self.intruder("another account's role sends", q, "sqs:SendMessage", &queue);
        // A KMS-encrypted queue: the sender makes and checks the data key
        // under the key policy sluice's lint prints.
        if self.spec.queue.encryption == QueueEncryption::Kms {
            let key_policy = key_policy(&self.spec);
            for action in ["kms:GenerateDataKey", "kms:Decrypt"] {
                for (from, expect) in [(source.as_str(), ALLOWED), (elsewhere.as_str(), DENIED)] {
                    self.row(
                        format!(
                            "{service} {action} on the queue's key from {}",
                            if expect == ALLOWED {
                                label
                            } else {
                                "another source"
                            }
                        ),
                        expect,
                        &[],
                        Some(&key_policy),
                        json!({
                            "principal": service,
                            "action": action,
                            "resource": QUEUE_KEY,
                            "context": {
                                "aws:SourceArn": from,
                                "aws:SourceAccount": ACCOUNT,
                                "aws:SecureTransport": "true",
                            },
                        }),
                    );
                }
            }
        }
    }

    /// CloudWatch publishes to the alarms' topic for the stack's alarms, in
    /// the stack's account; nothing else publishes through its policy.
    fn alarm_publishers(&mut self) {
        let policy = self.docs.alarm_topic.clone();
        let p = policy.as_ref();
        let topic = format!(
            "arn:aws:sns:{REGION}:{ACCOUNT}:{}",
            docs::alarm_topic_name(&self.spec)
        );
        let alarm_arn = |account: &str, name: &str| {
            format!("arn:aws:cloudwatch:{REGION}:{account}:alarm:{name}")
        };
        let publish = |principal: &str, source: Option<&str>, account: &str| {
            let mut context =
                json!({ "aws:SourceAccount": account, "aws:SecureTransport": "true" });
            if let Some(source) = source {
                context["aws:SourceArn"] = json!(source);
            }
            request(principal, "sns:Publish", &topic, context)
        };
        const CLOUDWATCH: &str = "cloudwatch.amazonaws.com";
        let names: Vec<String> = docs::alarms(&self.spec)
            .into_iter()
            .map(|a| a.alarm_name)
            .collect();
        assert!(
            !names.is_empty(),
            "{}: a topic for no alarm",
            self.spec.name
        );
        for name in &names {
            self.row(
                format!("{CLOUDWATCH} publishes for alarm {name}"),
                ALLOWED,
                &[],
                p,
                publish(CLOUDWATCH, Some(&alarm_arn(ACCOUNT, name)), ACCOUNT),
            );
        }
        let first = &names[0];
        self.row(
            format!("{CLOUDWATCH} publishes for another alarm of the account"),
            DENIED,
            &[],
            p,
            publish(
                CLOUDWATCH,
                Some(&alarm_arn(ACCOUNT, &format!("{first}-lookalike"))),
                ACCOUNT,
            ),
        );
        self.row(
            format!("{CLOUDWATCH} publishes for an alarm of that name in another account"),
            DENIED,
            &[],
            p,
            publish(
                CLOUDWATCH,
                Some(&alarm_arn(OTHER_ACCOUNT, first)),
                OTHER_ACCOUNT,
            ),
        );
        self.row(
            format!("{CLOUDWATCH} publishes without aws:SourceArn"),
            DENIED,
            &[],
            p,
            publish(CLOUDWATCH, None, ACCOUNT),
        );
        self.row(
            "events.amazonaws.com publishes with the alarm's ARN (not the alarms' sender)",
            DENIED,
            &[],
            p,
            publish(
                "events.amazonaws.com",
                Some(&alarm_arn(ACCOUNT, first)),
                ACCOUNT,
            ),
        );
        self.intruder("another account's role publishes", p, "sns:Publish", &topic);
        if self.spec.role.enabled {
            let permissions = self.docs.permissions.clone();
            self.row(
                "the connector's role publishes to the alarms' topic",
                DENIED,
                &[&permissions],
                p,
                json!({
                    "principal": format!(
                        "arn:aws:sts::{ACCOUNT}:assumed-role/{}/connector-session",
                        self.spec.role.name
                    ),
                    "action": "sns:Publish",
                    "resource": topic,
                    "context": { "aws:SecureTransport": "true" },
                }),
            );
        }
    }

    /// The vendor's principals assume the role with the external ID; nobody else.
    fn trust(&mut self) {
        let trust = self.docs.trust.clone();
        let role = format!("arn:aws:iam::{ACCOUNT}:role/{}", self.spec.role.name);
        let with_id = self.spec.profile().external_id != ExternalId::None;
        let external_id = self.spec.role.external_id.clone();
        let assume = |caller: &str, id: Option<&str>| {
            let mut context = json!({ "aws:SecureTransport": "true" });
            if let Some(id) = id {
                context["sts:ExternalId"] = json!(id);
            }
            request(caller, "sts:AssumeRole", &role, context)
        };
        // The caller's own side: its account lets it call sts:AssumeRole.
        let caller_policy = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]});
        // Whom the spec trusts (the vendor's principals; an account id
        // stands for its root; none given, the account's own root).
        let trusted: Vec<String> = if self.spec.role.trusted_principals.is_empty() {
            vec![format!("arn:aws:iam::{ACCOUNT}:root")]
        } else {
            self.spec
                .role
                .trusted_principals
                .iter()
                .map(|p| {
                    if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
                        format!("arn:aws:iam::{p}:root")
                    } else {
                        p.clone()
                    }
                })
                .collect()
        };
        for principal in trusted {
            // An account's root stands for any of its principals: one of its roles calls.
            let caller = match principal.strip_suffix(":root") {
                Some(account) => format!("{account}:role/connector"),
                None => principal.clone(),
            };
            let t = trust.as_ref();
            let ok_id = with_id.then_some(external_id.as_str());
            self.row(
                format!("{caller} assumes the role with the external ID"),
                ALLOWED,
                &[&caller_policy],
                t,
                assume(&caller, ok_id),
            );
            if with_id {
                self.row(
                    format!("{caller} assumes the role with a wrong external ID"),
                    DENIED,
                    &[&caller_policy],
                    t,
                    assume(&caller, Some("guessed-external-id")),
                );
                self.row(
                    format!("{caller} assumes the role without an external ID"),
                    DENIED,
                    &[&caller_policy],
                    t,
                    assume(&caller, None),
                );
            }
            let account = caller.split(':').nth(4).unwrap().to_owned();
            if !principal.ends_with(":root") {
                let sibling = format!("arn:aws:iam::{account}:role/someone-else");
                self.row(
                    format!("{sibling} (same account, not trusted) assumes the role"),
                    DENIED,
                    &[&caller_policy],
                    t,
                    assume(&sibling, ok_id),
                );
            }
        }
        let stranger = format!("arn:aws:iam::{OTHER_ACCOUNT}:role/connector");
        self.row(
            "another account's role assumes the role with the external ID",
            DENIED,
            &[&caller_policy],
            trust.as_ref(),
            assume(&stranger, with_id.then_some(external_id.as_str())),
        );
    }

    /// What the connector does as `caller` with the permissions policy.
    fn identity(&mut self, caller: &Caller) {
        let s = self.spec.clone();
        let g = guide(s.connector);
        let wildcard = s.policy.scope == PolicyScope::Wildcard;
        let policy = self.docs.permissions.clone();
        let bucket_policy = self.docs.bucket.clone();
        let queue_policy = self.docs.queue.clone();
        let who = caller.label;
        let bucket = self.bucket_arn();
        let prefix = s.bucket.prefix.clone();
        let object = |bucket: &str, key: &str| format!("{bucket}/{key}");
        let inside = format!("{prefix}2024/05/events.json");
        let request = |action: &str, resource: &str, extra: Value| {
            let mut context = caller.context.clone();
            for (k, v) in extra.as_object().unwrap() {
                context[k] = v.clone();
            }
            json!({
                "principal": caller.principal,
                "action": action,
                "resource": resource,
                "resourceAccount": ACCOUNT,
                "context": context,
            })
        };
        let none = json!({});
        let p = &policy;
        let bp = bucket_policy.as_ref();

        // Reading inside the prefix, and nowhere else.
        self.row(
            format!("{who} s3:GetObject inside the prefix"),
            ALLOWED,
            &[p],
            bp,
            request("s3:GetObject", &object(&bucket, &inside), none.clone()),
        );
        for action in g.extra_reads {
            self.row(
                format!("{who} {action} inside the prefix"),
                ALLOWED,
                &[p],
                bp,
                request(action, &object(&bucket, &inside), none.clone()),
            );
        }
        let mut outside = Vec::new();
        if !prefix.is_empty() {
            outside.push(("outside the prefix", "elsewhere/".to_owned()));
        }
        if let Some(like) = self.lookalike() {
            outside.push(("under a prefix IAM's wildcards would match", like));
        }
        for (label, other) in &outside {
            self.row(
                format!("{who} s3:GetObject {label} ({other})"),
                allowed_if(wildcard),
                &[p],
                bp,
                request(
                    "s3:GetObject",
                    &object(&bucket, &format!("{other}secret.json")),
                    none.clone(),
                ),
            );
        }
        self.row(
            format!("{who} s3:GetObject in another bucket"),
            allowed_if(wildcard),
            &[p],
            None,
            request(
                "s3:GetObject",
                &object("arn:aws:s3:::another-bucket", &inside),
                none.clone(),
            ),
        );
        self.row(
            format!("{who} s3:GetObject over plain HTTP"),
            if s.bucket.create && s.bucket.deny_insecure_transport {
                EXPLICITLY_DENIED
            } else {
                ALLOWED
            },
            &[p],
            bp,
            request(
                "s3:GetObject",
                &object(&bucket, &inside),
                json!({ "aws:SecureTransport": "false" }),
            ),
        );

        // Listing.
        let whole_bucket = prefix.is_empty() || g.whole_bucket_list || wildcard;
        for listed in [prefix.clone(), format!("{prefix}2024/")] {
            self.row(
                format!("{who} s3:ListBucket with s3:prefix `{listed}`"),
                ALLOWED,
                &[p],
                bp,
                request("s3:ListBucket", &bucket, json!({ "s3:prefix": listed })),
            );
        }
        self.row(
            format!("{who} HeadBucket (s3:ListBucket without s3:prefix)"),
            allowed_if(whole_bucket),
            &[p],
            bp,
            request("s3:ListBucket", &bucket, none.clone()),
        );
        if !prefix.is_empty() {
            self.row(
                format!("{who} s3:ListBucket from the root (s3:prefix ``)"),
                allowed_if(whole_bucket),
                &[p],
                bp,
                request("s3:ListBucket", &bucket, json!({ "s3:prefix": "" })),
            );
        }
        for (label, other) in &outside {
            self.row(
                format!("{who} s3:ListBucket {label} (s3:prefix `{other}`)"),
                allowed_if(whole_bucket),
                &[p],
                bp,
                request("s3:ListBucket", &bucket, json!({ "s3:prefix": other })),
            );
        }
        self.row(
            format!("{who} s3:GetBucketLocation"),
            // Tarsal's own policy (the wildcard scope) does not grant it.
            allowed_if(!wildcard),
            &[p],
            bp,
            request("s3:GetBucketLocation", &bucket, none.clone()),
        );

        // Writing: only where the shape writes, only inside the prefix.
        for (action, granted) in [
            ("s3:PutObject", s.policy.allow_put_object),
            ("s3:DeleteObject", s.policy.allow_delete_object),
        ] {
            self.row(
                format!("{who} {action} inside the prefix"),
                allowed_if(granted),
                &[p],
                bp,
                request(action, &object(&bucket, &inside), none.clone()),
            );
            for (label, other) in &outside {
                self.row(
                    format!("{who} {action} {label} ({other})"),
                    DENIED,
                    &[p],
                    bp,
                    request(
                        action,
                        &object(&bucket, &format!("{other}x.json")),
                        none.clone(),
                    ),
                );
            }
        }
        for action in ["s3:DeleteBucket", "s3:PutBucketPolicy"] {
            self.row(
                format!("{who} {action}"),
                DENIED,
                &[p],
                bp,
                request(action, &bucket, none.clone()),
            );
        }

        // The queue.
        if s.has_queue() {
            let queue = self.queue_arn();
            let qp = queue_policy.as_ref();
            for action in CONSUMER_QUEUE_ACTIONS {
                self.row(
                    format!("{who} {action} on the queue"),
                    allowed_if(g.queue.contains(action)),
                    &[p],
                    qp,
                    request(action, &queue, none.clone()),
                );
            }
            self.row(
                format!("{who} sqs:SendMessage on the queue"),
                allowed_if(s.policy.allow_send_message),
                &[p],
                qp,
                request("sqs:SendMessage", &queue, none.clone()),
            );
            for action in [
                "sqs:DeleteQueue",
                "sqs:PurgeQueue",
                "sqs:SetQueueAttributes",
            ] {
                self.row(
                    format!("{who} {action} on the queue"),
                    DENIED,
                    &[p],
                    qp,
                    request(action, &queue, none.clone()),
                );
            }
            self.row(
                format!("{who} sqs:ReceiveMessage on another queue"),
                allowed_if(wildcard),
                &[p],
                None,
                request(
                    RECEIVE,
                    &format!("arn:aws:sqs:{REGION}:{ACCOUNT}:another-queue"),
                    none.clone(),
                ),
            );
            if s.has_dead_letter() {
                let dlq = format!(
                    "arn:aws:sqs:{REGION}:{ACCOUNT}:{}",
                    s.queue.dead_letter.name
                );
                self.row(
                    format!("{who} sqs:GetQueueAttributes on the dead-letter queue"),
                    ALLOWED,
                    &[p],
                    None,
                    request(ATTRIBUTES, &dlq, none.clone()),
                );
                self.row(
                    format!("{who} sqs:ReceiveMessage on the dead-letter queue"),
                    allowed_if(wildcard),
                    &[p],
                    None,
                    request(RECEIVE, &dlq, none.clone()),
                );
            }
        }

        // Treasure Data's guide has the import user make its own temporary
        // credentials: GetFederationToken, under the name sluice credentials gives.
        if who == "user" {
            for (name, expect) in [(s.name.as_str(), ALLOWED), ("someone-else", DENIED)] {
                self.row(
                    format!("{who} sts:GetFederationToken for federated user {name}"),
                    expect,
                    &[p],
                    None,
                    request(
                        "sts:GetFederationToken",
                        &format!("arn:aws:sts::{ACCOUNT}:federated-user/{name}"),
                        none.clone(),
                    ),
                );
            }
        }

        // The temporary credentials it makes: the user's policy and the
        // session policy `sluice credentials` passes, both.
        if who == "user" {
            let federated = format!(
                "arn:aws:sts::{ACCOUNT}:federated-user/{}",
                docs::federated_user_name(&s)
            );
            let session = docs::federation_session_policy(&s);
            let mut as_federated = |name: String, expect, action: &str, resource: String| {
                let mut case = request(action, &resource, none.clone());
                case["principal"] = json!(federated);
                self.rows.push(Row {
                    variant: self.variant.name.clone(),
                    path: self.path,
                    name,
                    expect,
                    case: json!({
                        "identityPolicies": [p],
                        "resourcePolicy": bp,
                        "sessionPolicy": session,
                        "request": case,
                    }),
                });
            };
            as_federated(
                "federated user s3:GetObject inside the prefix".to_owned(),
                ALLOWED,
                "s3:GetObject",
                object(&bucket, &inside),
            );
            for (label, other) in &outside {
                as_federated(
                    format!("federated user s3:GetObject {label} ({other})"),
                    allowed_if(wildcard),
                    "s3:GetObject",
                    object(&bucket, &format!("{other}secret.json")),
                );
            }
            as_federated(
                "federated user s3:PutObject inside the prefix".to_owned(),
                allowed_if(s.policy.allow_put_object),
                "s3:PutObject",
                object(&bucket, &inside),
            );
        }

        // KMS, as S3 and SQS call it for the caller.
        let default_key_policy = default_key_policy();
        let via = |service: &str| format!("{service}.{REGION}.amazonaws.com");
        let kms = |action: &str, key: &str, service: &str| {
            request(
                action,
                key,
                json!({ "kms:ViaService": via(service), "kms:CallerAccount": ACCOUNT }),
            )
        };
        let key_of = |arn: &Option<String>| {
            let arn = arn.clone().unwrap();
            self.variant.aliases.get(&arn).cloned().unwrap_or(arn)
        };
        // (key, its policy, the service that calls KMS for the caller,
        // whether the caller writes through it)
        let mut keys = Vec::new();
        if s.bucket.encryption != BucketEncryption::SseS3 {
            let key = key_of(&s.bucket.kms_key_arn);
            keys.push((
                "bucket",
                key,
                default_key_policy.clone(),
                "s3",
                s.policy.allow_put_object,
            ));
        }
        if s.has_queue() && s.queue.encryption == QueueEncryption::Kms {
            let key = key_of(&s.queue.kms_key_arn);
            keys.push((
                "queue",
                key,
                key_policy(&s),
                "sqs",
                s.policy.allow_send_message,
            ));
        }
        for (whose, key, key_policy, service, writes) in &keys {
            for (action, expect) in [
                ("kms:Decrypt", ALLOWED),
                ("kms:GenerateDataKey", allowed_if(*writes)),
            ] {
                self.row(
                    format!("{who} {action} on the {whose}'s key, through {service}"),
                    expect,
                    &[p],
                    Some(key_policy),
                    kms(action, key, service),
                );
            }
        }
        if s.bucket.encryption != BucketEncryption::SseS3
            || (s.has_queue() && s.queue.encryption == QueueEncryption::Kms)
        {
            self.row(
                format!("{who} kms:Decrypt on another key"),
                allowed_if(wildcard),
                &[p],
                Some(&default_key_policy),
                kms("kms:Decrypt", OTHER_KEY, "s3"),
            );
        }
    }
}

/// A request as the engine takes it, with the context AWS fills in.
fn request(principal: &str, action: &str, resource: &str, context: Value) -> Value {
    json!({
        "principal": principal,
        "action": action,
        "resource": resource,
        "context": context,
    })
}

/// Allows everything: the caller's own side of a cross-account request.
fn allow_all() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

/// AWS's default key policy: the account's IAM policies decide.
fn default_key_policy() -> Value {
    json!({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
        "Action": "kms:*",
        "Resource": "*"
    }]})
}

/// The queue key's policy: AWS's default, plus the statement sluice's lint
/// prints for the route's sender.
fn key_policy(spec: &Spec) -> Value {
    let mut policy = default_key_policy();
    const LEAD: &str = "Add this statement to the key policy:\n";
    let statement = docs::lint(spec)
        .into_iter()
        .find_map(|f| {
            f.message
                .split_once(LEAD)
                .map(|(_, statement)| parse(statement))
        })
        .unwrap_or_else(|| panic!("no key policy statement among the lints of {}", spec.name));
    policy["Statement"].as_array_mut().unwrap().push(statement);
    policy
}

/// One variant's rows against one path's documents.
fn table(v: &Variant, path: &'static str, docs: &Docs) -> Vec<Row> {
    let mut table = Table {
        variant: v,
        spec: in_account(&v.spec),
        path,
        docs,
        rows: Vec::new(),
    };
    table.all();
    table.rows
}

fn rows(variants: &[Variant], documents: &[Vec<Docs>]) -> Vec<Row> {
    let mut out = Vec::new();
    for (v, paths) in variants.iter().zip(documents) {
        for (path, docs) in PATHS.iter().zip(paths) {
            out.extend(table(v, path, docs));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The self-test: documents broken on purpose, each break caught by a row
// ---------------------------------------------------------------------------

/// Every statement of `policy`.
fn statements(policy: &mut Value) -> impl Iterator<Item = &mut Value> {
    policy["Statement"].as_array_mut().unwrap().iter_mut()
}

/// The statement of `policy` whose Action names `action`.
fn granting<'a>(policy: &'a mut Value, action: &str) -> &'a mut Value {
    statements(policy)
        .find(|s| {
            s["Action"] == action
                || s["Action"]
                    .as_array()
                    .is_some_and(|list| list.iter().any(|a| a == action))
        })
        .unwrap_or_else(|| panic!("no statement grants {action}"))
}

fn queue(docs: &mut Docs) -> &mut Value {
    docs.queue.as_mut().unwrap()
}

/// Each string of `value` with `from` replaced by `to`.
fn replace_all(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(s) => *s = s.replace(from, to),
        Value::Array(items) => items.iter_mut().for_each(|v| replace_all(v, from, to)),
        Value::Object(map) => map.values_mut().for_each(|v| replace_all(v, from, to)),
        _ => {}
    }
}

type Break = (&'static str, &'static str, fn(&mut Docs));

/// (variant, what is broken, the break).
const BREAKS: &[Break] = &[
    (
        "generic direct",
        "the queue policy without its conditions",
        |d| {
            statements(queue(d)).for_each(|s| {
                s.as_object_mut().unwrap().remove("Condition");
            })
        },
    ),
    (
        "generic direct",
        "the queue policy's aws:SourceArn widened to every bucket",
        |d| {
            statements(queue(d)).for_each(|s| {
                s["Condition"]["ArnLike"]["aws:SourceArn"] = json!("arn:aws:s3:::*");
            })
        },
    ),
    (
        "generic direct",
        "the queue policy without aws:SourceAccount",
        |d| {
            statements(queue(d)).for_each(|s| {
                s["Condition"]
                    .as_object_mut()
                    .unwrap()
                    .remove("StringEquals");
            })
        },
    ),
    (
        "generic sns",
        "the topic's condition widened to every topic",
        |d| {
            statements(queue(d)).for_each(|s| {
                s["Condition"] = json!({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"}});
            })
        },
    ),
    ("generic eventbridge", "the rule's condition dropped", |d| {
        statements(queue(d)).for_each(|s| {
            s.as_object_mut().unwrap().remove("Condition");
        })
    }),
    (
        "databend direct",
        "the trust policy without the external ID",
        |d| {
            statements(d.trust.as_mut().unwrap()).for_each(|s| {
                s.as_object_mut().unwrap().remove("Condition");
            })
        },
    ),
    (
        "databend direct",
        "the trust policy's principal widened to the vendor's account",
        |d| {
            statements(d.trust.as_mut().unwrap()).for_each(|s| {
                s["Principal"]["AWS"] = json!(format!("arn:aws:iam::{VENDOR_ACCOUNT}:root"));
            })
        },
    ),
    (
        "clickhouse direct",
        "an external ID ClickPipes never sends required",
        |d| {
            statements(d.trust.as_mut().unwrap()).for_each(|s| {
                s["Condition"] = json!({"StringEquals": {"sts:ExternalId": "x"}});
            })
        },
    ),
    (
        "generic direct",
        "object reads widened from the prefix to the bucket",
        |d| {
            granting(&mut d.permissions, "s3:GetObject")["Resource"] =
                json!("arn:aws:s3:::acme-source/*");
        },
    ),
    (
        "generic direct",
        "ListBucket's s3:prefix condition dropped",
        |d| {
            granting(&mut d.permissions, "s3:ListBucket")
                .as_object_mut()
                .unwrap()
                .remove("Condition");
        },
    ),
    (
        "tarsal direct",
        "the guide's ListBucket narrowed to the prefix",
        |d| {
            granting(&mut d.permissions, "s3:ListBucket")["Condition"] =
                json!({"StringLike": {"s3:prefix": ["in/", "in/*"]}});
        },
    ),
    (
        "generic direct",
        "the bucket policy's deny of plain HTTP dropped",
        |d| {
            d.bucket = None;
        },
    ),
    (
        "generic direct",
        "the queue actions widened to every queue",
        |d| {
            granting(&mut d.permissions, "sqs:ReceiveMessage")["Resource"] = json!("*");
        },
    ),
    (
        "generic direct",
        "sqs:* in place of the consumer's actions",
        |d| {
            granting(&mut d.permissions, "sqs:ReceiveMessage")["Action"] = json!("sqs:*");
        },
    ),
    ("tarsal kms queue", "kms:GenerateDataKey dropped", |d| {
        granting(&mut d.permissions, "kms:GenerateDataKey")["Action"] = json!("kms:Decrypt");
    }),
    (
        "generic sse-kms",
        "the key named by an alias in Resource",
        |d| {
            granting(&mut d.permissions, "kms:Decrypt")["Resource"] =
                json!("arn:aws:kms:us-west-2:123456789012:alias/ingest");
        },
    ),
    (
        "generic prefix batch?/",
        "the prefix's ? written raw",
        |d| {
            replace_all(&mut d.permissions, "${?}", "?");
        },
    ),
    ("generic prefix a*b/", "the prefix's * written raw", |d| {
        replace_all(&mut d.permissions, "${*}", "*");
    }),
    (
        "generic with a user, prefix ${aws:username}/",
        "the prefix's $ written raw",
        |d| replace_all(&mut d.permissions, "${$}", "$"),
    ),
    (
        "generic direct alarms",
        "the alarms' topic open to every alarm",
        |d| {
            statements(alarm_topic(d)).for_each(|s| {
                s["Condition"].as_object_mut().unwrap().remove("ArnEquals");
            })
        },
    ),
    (
        "generic direct alarms",
        "the alarms' topic open to the same alarm names in any account",
        |d| {
            statements(alarm_topic(d)).for_each(|s| {
                s["Condition"]
                    .as_object_mut()
                    .unwrap()
                    .remove("StringEquals");
                replace_all(s, &format!(":{ACCOUNT}:alarm:"), ":*:alarm:");
                let sources = s["Condition"]["ArnEquals"].take();
                s["Condition"]["ArnLike"] = sources;
                s["Condition"].as_object_mut().unwrap().remove("ArnEquals");
            })
        },
    ),
    (
        "generic sns alarms",
        "the alarms' topic open to every principal",
        |d| {
            statements(alarm_topic(d)).for_each(|s| {
                s["Principal"] = json!("*");
                s.as_object_mut().unwrap().remove("Condition");
            })
        },
    ),
    (
        "treasure-data",
        "the user's own GetFederationToken dropped",
        |d| {
            granting(&mut d.permissions, "sts:GetFederationToken")["Effect"] = json!("Deny");
        },
    ),
];

fn alarm_topic(docs: &mut Docs) -> &mut Value {
    docs.alarm_topic.as_mut().unwrap()
}

/// The rows of every break, each made in its variant's JSON bundle.
fn broken_rows(variants: &[Variant], documents: &[Vec<Docs>]) -> Vec<(String, Vec<Row>)> {
    BREAKS
        .iter()
        .map(|(name, what, break_it)| {
            let at = variants
                .iter()
                .position(|v| v.name == *name)
                .unwrap_or_else(|| panic!("no variant {name}"));
            let mut docs = documents[at][1].clone();
            break_it(&mut docs);
            assert_ne!(docs, documents[at][1], "{name}: {what} changed nothing");
            let label = format!("{name}, {what}");
            let mut rows = table(&variants[at], "broken", &docs);
            for row in &mut rows {
                row.variant.clone_from(&label);
            }
            (label, rows)
        })
        .collect()
}

/// The rows whose decision is not the expected one, each in a line.
fn mismatches(rows: &[Row], answers: &[Value]) -> Vec<String> {
    rows.iter()
        .zip(answers)
        .filter_map(|(row, answer)| {
            let decision = answer["decision"].as_str().unwrap_or("?");
            let ignored = answer.get("ignoredContextKeys");
            (decision != row.expect || ignored.is_some()).then(|| {
                format!(
                    "{} [{}] {}: expected {}, the engine says {decision}{}{}",
                    row.variant,
                    row.path,
                    row.name,
                    row.expect,
                    answer
                        .get("errors")
                        .map(|e| format!(" {e}"))
                        .unwrap_or_default(),
                    ignored
                        .map(|k| format!(" (context keys it does not take: {k})"))
                        .unwrap_or_default(),
                )
            })
        })
        .collect()
}

fn cases(rows: &[Row]) -> Vec<Value> {
    rows.iter()
        .map(|row| {
            let mut case = row.case.clone();
            case["name"] = json!(format!("{} [{}] {}", row.variant, row.path, row.name));
            case
        })
        .collect()
}

/// What the engine is not asked: specs that validation must refuse before a
/// document is written, and lints that must speak before AWS answers.
fn spec_checks() -> Vec<(String, Result<(), String>)> {
    let mut out = Vec::new();
    let refused = |name: &str, spec: &Spec, path: &str, words: &[&str]| {
        let result = match spec::validate(spec) {
            Ok(()) => Err("accepted".to_owned()),
            Err(errors) => match errors.for_path(path) {
                Some(e) if words.iter().all(|w| e.message.contains(w)) => Ok(()),
                Some(e) => Err(format!("the message lacks {words:?}: {}", e.message)),
                None => Err(format!("refused for something else:\n{errors}")),
            },
        };
        (format!("{path} refused: {name}"), result)
    };
    let generic = || profiled(Connector::Generic, "in/");

    // IAM's Principal element: "You cannot use a wildcard to match part of
    // a principal name or ARN."
    for principal in [
        "arn:aws:iam::111122223333:role/*",
        "arn:aws:iam::111122223333:role/vendor-?",
    ] {
        let mut spec = generic();
        spec.role.trusted_principals = vec![principal.to_owned()];
        out.push(refused(
            principal,
            &spec,
            "role.trusted_principals[0]",
            &["wildcard"],
        ));
    }
    // Offline, nothing can tell which key an alias names.
    let alias = "arn:aws:kms:us-west-2:123456789012:alias/ingest";
    let mut spec = generic();
    spec.bucket.encryption = BucketEncryption::SseKms;
    spec.bucket.kms_key_arn = Some(alias.to_owned());
    out.push(refused(
        "a bucket key named by its alias, offline",
        &spec,
        "bucket.kms_key_arn",
        &["alias", "key ARN"],
    ));
    let mut spec = generic();
    spec.queue.encryption = QueueEncryption::Kms;
    spec.queue.kms_key_arn = Some(alias.to_owned());
    out.push(refused(
        "a queue key named by its alias, offline",
        &spec,
        "queue.kms_key_arn",
        &["alias", "key ARN"],
    ));

    // The trust policy's size: AWS's default quota is 2,048 characters.
    for (principals, id_length) in [(12, 1224), (5, 150)] {
        let mut spec = generic();
        spec.role.trusted_principals = (1..=principals)
            .map(|i| format!("arn:aws:iam::{VENDOR_ACCOUNT}:role/data-platform-loader-{i:02}"))
            .collect();
        spec.role.external_id = "x".repeat(id_length);
        let size = docs::trust_policy(&in_account(&spec)).to_string().len();
        let name = format!("a trust policy of {size} characters");
        let warned = docs::lint(&spec)
            .iter()
            .any(|f| f.resource == "role" && f.message.contains("2,048"));
        let result = match (size > 2048, size > 1638, warned) {
            (true, _, true) | (false, true, true) => Ok(()),
            (false, false, _) => Err(format!(
                "{name} is not near the limit: the check proves nothing"
            )),
            (_, _, false) => Err("no lint".to_owned()),
        };
        out.push((format!("lint: {name}"), result));
    }

    // A guide's ListBucket on the whole bucket is the user's to narrow: said.
    let found = docs::lint(&profiled(Connector::Tarsal, "in/"));
    out.push((
        "lint: Tarsal's unconditioned s3:ListBucket beside a prefix".to_owned(),
        if found
            .iter()
            .any(|f| f.message.contains("s3:ListBucket") && f.message.contains("Tarsal"))
        {
            Ok(())
        } else {
            Err(format!("no lint among {found:?}"))
        },
    ));
    out
}

/// The engine, or a skip (named, and listed by tests/run.sh) when this
/// machine cannot run it.
fn engine(test: &str) -> Option<std::path::PathBuf> {
    match common::iam::engine() {
        Ok(harness) => Some(harness),
        Err(why) => {
            common::skip(
                test,
                &format!("{why}: the IAM evaluation table was not run"),
            );
            None
        }
    }
}

#[test]
fn every_policy_holds_up_in_an_iam_evaluation_engine() {
    let Some(harness) = engine("every_policy_holds_up_in_an_iam_evaluation_engine") else {
        return;
    };
    let started = Instant::now();
    let scratch = tempfile::tempdir().unwrap();
    let variants = variants();
    let documents = documents(&variants, scratch.path());
    let rows = rows(&variants, &documents);
    let breaks = broken_rows(&variants, &documents);
    let mut all = cases(&rows);
    for (_, broken) in &breaks {
        all.extend(cases(broken));
    }
    let built = started.elapsed();
    let (answers, timing) = common::iam::evaluate(&harness, &all, scratch.path());
    let (answers, mut broken_answers) = answers.split_at(rows.len());
    let mut wrong = mismatches(&rows, answers);
    let mut caught = Vec::new();
    for (label, broken) in &breaks {
        let (these, rest) = broken_answers.split_at(broken.len());
        broken_answers = rest;
        let flipped = mismatches(broken, these);
        match flipped.first() {
            None => wrong.push(format!("self-test: no row catches {label}")),
            Some(first) => caught.push(format!(
                "  {label}: {} rows, e.g. {}",
                flipped.len(),
                first.split_once("] ").map_or(first.as_str(), |(_, r)| r)
            )),
        }
    }
    for (name, result) in spec_checks() {
        if let Err(why) = result {
            wrong.push(format!("{name}: {why}"));
        }
    }
    let mut per_variant: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        *per_variant.entry(row.variant.as_str()).or_default() += 1;
    }
    eprintln!(
        "{} rows over {} variants × {} paths, and {} breaks of the self-test; documents and table built in {:.2} s; {timing}; {:.2} s in all\nthe self-test's breaks, each caught:\n{}",
        rows.len(),
        variants.len(),
        PATHS.len(),
        breaks.len(),
        built.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        caught.join("\n")
    );
    assert!(
        wrong.is_empty(),
        "{} of {} rows are not as expected:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}

/// Online, `sluice plan` resolves a KMS alias to its key with
/// kms:DescribeKey (moto answers it) and the documents name the key; offline,
/// export and plan --offline refuse the alias, saying why and what to give.
#[test]
fn a_kms_alias_is_resolved_online_and_refused_offline() {
    let moto = common::shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let key = common::aws_cli(&moto, &["kms", "create-key"])["KeyMetadata"].clone();
    let (key_id, key_arn) = (
        key["KeyId"].as_str().unwrap().to_owned(),
        key["Arn"].as_str().unwrap().to_owned(),
    );
    common::aws_cli(
        &moto,
        &[
            "kms",
            "create-alias",
            "--alias-name",
            "alias/ingest",
            "--target-key-id",
            &key_id,
        ],
    );
    let alias = format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/ingest");
    common::init_spec(
        &moto,
        dir,
        &["--name", "kmsalias"],
        &[
            "bucket.deny_insecure_transport=false",
            "bucket.encryption=sse-kms",
            &format!("bucket.kms_key_arn={alias}"),
        ],
    );
    let planned = common::run(&mut common::sluice(
        &moto,
        dir,
        &["plan", "--config", "spec.json", "--json"],
    ));
    assert_eq!(planned.status.code(), Some(2), "{}", common::said(&planned));
    let plan: Value = serde_json::from_slice(&planned.stdout).unwrap();
    let shown = common::run(&mut common::sluice(
        &moto,
        dir,
        &["plan", "--config", "spec.json"],
    ));
    let notes = common::text(&shown.stdout);
    assert!(
        notes.contains(&format!("the alias {alias} is the key {key_arn}")),
        "{notes}"
    );
    let policy = plan
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["resource"] == "policy")
        .unwrap()["after"]
        .clone();
    let decrypt = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "KMSDecrypt")
        .unwrap()
        .clone();
    assert_eq!(decrypt["Resource"], key_arn.as_str(), "{policy}");
    assert!(!plan.to_string().contains(":alias/ingest\"}"), "{plan}");

    // Offline, nothing can say which key it is.
    for args in [
        &["export", "--config", "spec.json", "--out", "bundle"][..],
        &["plan", "--config", "spec.json", "--offline"][..],
    ] {
        let out = common::sluice_offline(dir, args);
        let said = common::said(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {said}");
        for words in [
            "bucket.kms_key_arn",
            "is an alias",
            "key ARN",
            "kms:DescribeKey",
        ] {
            assert!(said.contains(words), "{args:?} lacks {words}: {said}");
        }
    }
    assert!(!dir.join("bundle").exists());

    // An alias that names no key: the plan stops, naming the field.
    let mut spec: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("spec.json")).unwrap()).unwrap();
    spec["bucket"]["kms_key_arn"] = json!(format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/missing"));
    std::fs::write(dir.join("spec.json"), spec.to_string()).unwrap();
    let out = common::run(&mut common::sluice(
        &moto,
        dir,
        &["plan", "--config", "spec.json"],
    ));
    let said = common::said(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("bucket.kms_key_arn") && said.contains("kms:DescribeKey"),
        "{said}"
    );
}
